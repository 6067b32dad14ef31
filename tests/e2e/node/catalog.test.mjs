// The catalog's gRPC API from a client nobody here wrote (@grpc/grpc-js), against a running
// catalog-svc at VBP_CATALOG_ADDR that knows VBP_ADMIN_KEY (tests/stack.sh starts one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiDir = path.resolve(here, '../../../api');
const addr = process.env.VBP_CATALOG_ADDR;
const adminKey = process.env.VBP_ADMIN_KEY;

// GB 32100-2015, as common/credit_code.h has it: the 18th character checks the first 17.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function creditCode(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return first17 + ALPHABET[(31 - (sum % 31)) % 31];
}

// A fresh organization code each run, so the test also passes against a database it has used.
function randomStem(regionCode) {
  let org = '';
  for (const b of crypto.randomBytes(9)) org += ALPHABET[b % 31];
  return `91${regionCode}${org}`;
}

let client;

function rpc(method, req, key) {
  const md = new grpc.Metadata();
  if (key !== undefined) md.set('authorization', `Bearer ${key}`);
  return new Promise((resolve, reject) => {
    let trailers;
    const call = client[method](req, md, { deadline: Date.now() + 10_000 }, (err, res) => {
      if (err) {
        err.trailers = err.metadata ?? trailers;
        reject(err);
      } else {
        resolve(res);
      }
    });
    call.on('status', (s) => { trailers = s.metadata; });
  });
}

// Asserts that promise fails with gRPC status code; answers the error.
async function rejectsWith(promise, code) {
  try {
    await promise;
  } catch (err) {
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    return err;
  }
  assert.fail(`expected ${grpc.status[code]}, but the call succeeded`);
}

before(async () => {
  assert.ok(addr, 'VBP_CATALOG_ADDR is not set');
  assert.ok(adminKey, 'VBP_ADMIN_KEY is not set');
  const def = protoLoader.loadSync(path.join(apiDir, 'vbp/v1/catalog.proto'), {
    includeDirs: [apiDir, '/usr/include'],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const vbp = grpc.loadPackageDefinition(def).vbp.v1;
  client = new vbp.CatalogService(addr, grpc.credentials.createInsecure());
  await new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
});

after(() => client?.close());

test('an organization created with the admin key is read with its own key', async (t) => {
  // The demo data's name for 350000 (scripts/demo/data.mjs): the test also runs against scripts/up.
  const region = await rpc('CreateRegion', { code: '350000', name: '福建省', level: 'PROVINCE' }, adminKey);
  assert.equal(region.code, '350000');
  assert.equal(region.name, '福建省');
  assert.equal(region.level, 'PROVINCE');

  const id = `e2e-mfr-${crypto.randomBytes(4).toString('hex')}`;
  const credit = creditCode(randomStem('350000'));
  const org = {
    id,
    name: 'E2E Pharmaceutical Co., Ltd.',
    kind: 'MANUFACTURER',
    regionCode: '350000',
    creditCode: credit,
  };
  const created = await rpc('CreateOrganization', org, adminKey);
  assert.equal(created.id, id);
  assert.equal(created.kind, 'MANUFACTURER');

  // The same id and body again answer the stored resource (idempotent create).
  const again = await rpc('CreateOrganization', org, adminKey);
  assert.equal(again.id, id);
  assert.equal(again.creditCode, credit);

  const apiKey = await rpc('CreateApiKey', { organizationId: id }, adminKey);
  assert.ok(apiKey.id, 'the answer names the key');
  assert.ok(apiKey.key && apiKey.key.length >= 16, 'the answer holds the secret');
  assert.equal(apiKey.organizationId, id);
  assert.equal(apiKey.role, 'MANUFACTURER');

  await t.test('GetOrganization with the new key', async () => {
    const got = await rpc('GetOrganization', { id }, apiKey.key);
    assert.equal(got.id, id);
    assert.equal(got.name, org.name);
    assert.equal(got.kind, 'MANUFACTURER');
    assert.equal(got.regionCode, '350000');
    assert.equal(got.creditCode, credit);
    assert.equal(got.institutionType, 'INSTITUTION_TYPE_UNSPECIFIED');
    assert.equal(got.consortiumId, '');
  });

  await t.test('no key is UNAUTHENTICATED', async () => {
    await rejectsWith(rpc('GetOrganization', { id }), grpc.status.UNAUTHENTICATED);
  });

  await t.test('a wrong key is UNAUTHENTICATED', async () => {
    const wrong = crypto.randomBytes(32).toString('hex');
    await rejectsWith(rpc('GetOrganization', { id }, wrong), grpc.status.UNAUTHENTICATED);
  });
});

test('a malformed region code is INVALID_ARGUMENT naming the field', async () => {
  const err = await rejectsWith(
    rpc('CreateRegion', { code: '35000', name: '福建省', level: 'PROVINCE' }, adminKey),
    grpc.status.INVALID_ARGUMENT);
  assert.ok(err.trailers, 'the error carries trailing metadata');
  assert.deepEqual(err.trailers.get('vbp-error-field'), ['code']);
});
