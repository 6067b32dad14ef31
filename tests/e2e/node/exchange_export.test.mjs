// The alliance exchange export through the gateway (GET /v1/exchange/batches/{code}?regionCode=,
// NDJSON), with the real catalog-svc, pricing-svc, volume-svc and contract-svc behind it on a
// stack of its own (e2e_exchange_export_stack: the last test stops volume-svc). A batch created by
// an alliance office, executed in Fujian: demand -> allocations -> contracts generated, one signed
// by all three parties -> a purchase. The export validates line by line against the JSON Schemas
// of docs/exchange/ (ajv, draft 2020-12), in the order docs/exchange.md gives, with exact counts and
// values; who may export; and a download cut by a failing backend ends with an error line, no `end`.
//
// Today: the fixture pins VBP_TODAY=2025-12-01, a day of agreement year 1 (2024-07-22..2025-12-31,
// 528 days): 163 days of 2024 + 335 of 2025 = 498 elapsed, 498/528 = 94.3% -> 94.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv2020 from 'ajv/dist/2020.js';

import { buildExchangeBatch } from './exchange_fixture.mjs';
import { assertError, call } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaDir = path.join(here, '..', '..', '..', 'docs', 'exchange');
const ajv = new Ajv2020({ allErrors: true, strict: true });
for (const file of fs.readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json')))
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')));
const validateLine = ajv.getSchema('https://vbp.invalid/exchange/v1/line.schema.json');
const validateError = ajv.getSchema('https://vbp.invalid/exchange/v1/error.schema.json');

let batch, W1, W2, M, M2, D, DX, H, PROV, CITY, COUNTY, AO, AO2, keys;
const ORDER = ['region', 'organization', 'product', 'batch', 'execution', 'group', 'result',
  'allocation', 'contract', 'progress', 'end'];

const state = {};

const exportPath = (code, regionCode) =>
  `/v1/exchange/batches/${code}${regionCode === undefined ? '' : `?regionCode=${regionCode}`}`;

// The download as lines: each parsed, and the text's last byte (a complete line ends in "\n").
async function download(key, code = batch, regionCode = '350000') {
  const res = await call('GET', exportPath(code, regionCode), { key });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  assert.ok(res.text.endsWith('\n'), 'the last line is complete');
  const lines = res.text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
  return lines;
}

const typeOf = (line) => Object.keys(line)[0];

before(async () => {
  const f = await buildExchangeBatch('E');
  ({ batch, W1, W2, M, M2, D, DX, H, PROV, CITY, COUNTY, AO, AO2, keys } = f);
  state.contracts = f.contracts;
  state.signed = f.signed;
});

test('an export validates line by line against the JSON Schemas, in order, with the end count', async () => {
  const lines = await download(keys[AO]);
  for (const [i, line] of lines.entries())
    assert.ok(validateLine(line), `line ${i + 1}: ${ajv.errorsText(validateLine.errors)}\n${JSON.stringify(line)}`);
  // Types in the file's order; each type's records by id.
  const types = lines.map(typeOf);
  for (let i = 1; i < types.length; i++)
    assert.ok(ORDER.indexOf(types[i - 1]) <= ORDER.indexOf(types[i]), `line ${i + 1}: ${types[i]} after ${types[i - 1]}`);
  const ids = (type, id) => lines.filter((l) => typeOf(l) === type).map((l) => id(l[type]));
  assert.deepEqual(ids('region', (r) => r.code), ['350000', '360000', '350100', '350121']);
  // Every bureau, agency and institution of Fujian, the results' manufacturers, every distributor
  // (Jiangxi's too) and the alliance office that created the batch (not the other one), by id.
  assert.deepEqual(ids('organization', (o) => o.id), [AO, CITY, PROV, COUNTY, D, DX, H, M, M2].sort());
  assert.deepEqual(ids('product', (p) => p.id), [W1, W2]);
  assert.deepEqual(ids('group', (g) => g.id), ['G1']);
  assert.deepEqual(ids('result', (r) => r.productId), [W1, W2]);
  assert.deepEqual(ids('contract', (c) => c.id), state.contracts);

  const one = (type) => lines.find((l) => typeOf(l) === type)[type];
  assert.equal(one('batch').createdBy, AO);
  assert.deepEqual(one('execution').agreementYears.slice(0, 2), [
    { year: 1, start: '2024-07-22', end: '2025-12-31' },
    { year: 2, start: '2026-01-01', end: '2026-12-31' },
  ]);
  assert.deepEqual(lines.filter((l) => typeOf(l) === 'allocation').map((l) => l.allocation), [
    { batchCode: batch, regionCode: '350000', institutionId: H, groupId: 'G1', productId: W1,
      agreementYear: 1, agreedQuantity: '421', ratioPercent: 70, baseQuantity: '1003' },
    { batchCode: batch, regionCode: '350000', institutionId: H, groupId: 'G1', productId: W2,
      agreementYear: 1, agreedQuantity: '281', ratioPercent: 70, baseQuantity: '1003' },
  ]);
  const signed = lines.map((l) => l.contract).find((c) => c && c.id === state.signed);
  assert.equal(signed.state, 'EFFECTIVE');
  assert.equal(signed.price, '12.5000');
  assert.deepEqual(signed.signatures.map((s) => `${s.party} ${s.signedBy}`),
    [`MANUFACTURER ${M}`, `DISTRIBUTOR ${D}`, `INSTITUTION ${H}`]);
  assert.deepEqual(signed.history.map((e) => `${e.action} ${e.toState}`),
    ['CREATE DRAFT', 'SIGN PARTIALLY_SIGNED', 'SIGN ENTERPRISE_SIGNED', 'SIGN EFFECTIVE']);
  // 100 of 421 = 23.75% -> 23; 94% of the year elapsed.
  assert.deepEqual(lines.filter((l) => typeOf(l) === 'progress').map((l) => l.progress), [
    { batchCode: batch, regionCode: '350000', agreementYear: 1, asOf: '2025-12-01', institutionId: H,
      productId: W1, agreed: '421', purchased: '100', completionPercent: 23, elapsedPercent: 94 },
    { batchCode: batch, regionCode: '350000', agreementYear: 1, asOf: '2025-12-01', institutionId: H,
      productId: W2, agreed: '281', purchased: '0', completionPercent: 0, elapsedPercent: 94 },
  ]);
  // 4 regions, 9 organizations, 2 products, batch, execution, group, 2 results, 2 allocations,
  // 2 contracts, 2 progress rows: 26, then `end` saying so.
  assert.equal(lines.length, 27);
  assert.deepEqual(lines.at(-1), { end: { records: '26' } });
});

test('the provincial bureau and the admin get the same file; others are refused', async () => {
  const office = await download(keys[AO]);
  assert.deepEqual(await download(keys[PROV]), office);
  assert.deepEqual(await download(undefined), office);
  for (const code of [batch, `NOPE-${batch}`]) {
    for (const who of [H, AO2, CITY, M, D])
      assertError(await call('GET', exportPath(code, '350000'), { key: keys[who] }), 403, 'PERMISSION_DENIED');
  }
  assertError(await call('GET', exportPath(batch)), 400, 'INVALID_ARGUMENT', 'regionCode');
  assertError(await call('GET', exportPath(batch, '350100')), 400, 'INVALID_ARGUMENT', 'regionCode');
  assertError(await call('GET', exportPath(batch, '360000')), 404, 'NOT_FOUND');
  assertError(await call('GET', exportPath(`NOPE-${batch}`, '350000')), 404, 'NOT_FOUND', 'code');
  assertError(await call('GET', exportPath(batch, '350000'), { key: null }), 401, 'UNAUTHENTICATED');
});

// Last: it stops this stack's volume-svc for good.
test('a download cut by a failing backend ends with an error line and no end record', async () => {
  const pidFile = path.join(process.env.VBP_STACK_DIR, 'pids', 'volume-svc.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split(' ')[0]);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const encoding of ['gzip', 'identity']) {
    const res = await call('GET', exportPath(batch, '350000'), { headers: { 'Accept-Encoding': encoding } });
    // The catalog's records went out before volume-svc's part was asked for: the 200 stands, and
    // the failure is the last line, complete, in place of `end`.
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-encoding'), encoding === 'gzip' ? 'gzip' : null);
    assert.ok(res.text.endsWith('\n'), 'the error line is complete');
    const lines = res.text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
    const last = lines.at(-1);
    assert.ok(validateError(last), JSON.stringify(last));
    assert.equal(last.error.code, 'UNAVAILABLE', JSON.stringify(last));
    for (const line of lines.slice(0, -1)) assert.ok(validateLine(line), JSON.stringify(line));
    assert.deepEqual([...new Set(lines.slice(0, -1).map(typeOf))],
      ['region', 'organization', 'product', 'batch', 'execution', 'group', 'result']);
    assert.equal(lines.filter((l) => typeOf(l) === 'end').length, 0);
  }
});
