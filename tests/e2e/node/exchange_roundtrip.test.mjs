// The alliance exchange round trip through two real stacks (issue 12): a batch with every record
// type built on the source stack (this runner's env: VBP_GATEWAY_ADDR...) through its gateway,
// exported (GET /v1/exchange/batches/{code}?regionCode=350000) and imported into a fresh target
// stack (VBP_TARGET_ENV, its env file; VBP_TARGET_DIR, its tests/stack.sh dir) through the
// target's gateway (POST /v1/exchange:import) by an alliance office of the target. Both stacks
// pin VBP_TODAY=2025-12-01, so the contracts read the same state on both.
//
// The target's alliance office sits in Zhejiang (330000), a region the file does not carry, with
// an id of its own: the file brings the source's office (the batch's createdBy) as an organization
// like any other, and an organization already on the target under the same id with other content
// would be an error of that line (exchange_import_test ACatalogRowWithOtherContentIsAnErrorOfItsLine).
// So the target holds nothing the file has, and the first import takes every record.
//
// Order matters (node:test runs the tests one after the other): the failures first, while the
// target has none of the file, so that "changes nothing" means something; then the import.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildExchangeBatch, ok } from './exchange_fixture.mjs';
import { assertError, call, creditCode } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const stackScript = path.join(here, '..', '..', '..', 'scripts', 'stack');

// DIR/env of tests/stack.sh: KEY=VALUE a line, the value unquoted to the end of the line.
function readEnv(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
const targetEnv = readEnv(process.env.VBP_TARGET_ENV);
const targetDir = process.env.VBP_TARGET_DIR;

// The target's gateway, as its admin unless a key is given.
const onTarget = (method, urlPath, opts = {}) =>
  call(method, urlPath, { key: targetEnv.VBP_ADMIN_KEY, ...opts, gateway: targetEnv.VBP_GATEWAY_ADDR });
async function okOnTarget(method, urlPath, opts) {
  const res = await onTarget(method, urlPath, opts);
  assert.equal(res.status, 200, `target ${method} ${urlPath}: ${res.text}`);
  return res.json;
}

// One SQL answer from the target's database (every service's schema is in it).
function targetSql(sql) {
  const r = spawnSync('psql', [targetEnv.VBP_PG_DSN, '-XAtqc', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// How many rows the target holds of each table an import writes, and what is left prepared.
const rowCounts = () =>
  targetSql(`SELECT concat_ws('/', ${[
    'catalog.regions', 'catalog.organizations', 'catalog.products', 'catalog.batches',
    'catalog.executions', 'catalog.groups', 'catalog.results', 'volume.allocations',
    'volume.imported_progress', 'volume.frozen_years', 'contract.contracts', 'contract.signatures',
    'contract.contract_events',
  ].map((t) => `(SELECT count(*) FROM ${t})`).join(', ')}, (SELECT count(*) FROM pg_prepared_xacts))`);

// The target's imports (catalog.imports) by state: "aborted 3,done 1".
const importStates = () =>
  targetSql("SELECT string_agg(state || ' ' || n, ',' ORDER BY state) FROM " +
    '(SELECT state, count(*) AS n FROM catalog.imports GROUP BY state) s');

// Restarts one service of the target stack on its port, with VBP_FAILPOINTS set to `points` (''
// for none): scripts/stack's stack_svc_start with the command tests/stack.sh recorded, in the
// stack's environment. Then waits until the target's gateway reaches it again: a channel that
// saw the old process go may wait out a reconnect backoff first (503 meanwhile).
const probes = {
  'catalog-svc': ['/v1/batches/NOPE', 404],
  'volume-svc': ['/v1/allocations?batchCode=NOPE', 200],
  'contract-svc': ['/v1/contracts/NOPE', 404],
};
async function restartTarget(name, points) {
  const [port, ...cmd] = fs.readFileSync(path.join(targetDir, 'pids', `${name}.cmd`), 'utf8')
    .split('\0').filter((s) => s !== '');
  const env = { ...process.env, ...targetEnv, VBP_FAILPOINTS: points };
  const r = spawnSync(stackScript, ['stack_svc_start', targetDir, name, port, ...cmd],
    { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `restarting ${name}: ${r.stdout}${r.stderr}`);
  const [probe, status] = probes[name];
  let res;
  for (let i = 0; i < 100; i++) {
    res = await onTarget('GET', probe);
    if (res.status !== 503) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(res.status, status, `${name} after its restart: ${res.text}`);
}

const exportPath = (code) => `/v1/exchange/batches/${code}?regionCode=350000`;
const importFile = (text, key) => onTarget('POST', '/v1/exchange:import',
  { key, raw: text, headers: { 'Content-Type': 'application/x-ndjson' } });

let f; // the source's batch (exchange_fixture.mjs)
let file; // the export, as downloaded
let records; // its `end` count
let officeKey; // the target's alliance office
let emptyCounts; // the target's rows before any import
const W3 = () => `RW3-${f.run}`;

before(async () => {
  f = await buildExchangeBatch('R');
  // A second group with a price cap for non-winning products, and a non-winning result in it.
  const GN2 = `瑞舒伐他汀-${f.run}`;
  await ok('POST', `/v1/batches/${f.batch}/groups`, {
    key: f.keys[f.AO],
    body: { id: 'G2', genericName: GN2, competitive: true, maxNonWinningPrice: '20.5' },
  });
  await ok('POST', '/v1/products', {
    key: f.keys[f.AO],
    body: {
      id: W3(), kind: 'DRUG', genericName: GN2, dosageForm: '片剂', specification: '10mg', unit: '片',
      manufacturerId: f.M2, qualityTier: 'CONSISTENCY_PASSED', inInsuranceCatalog: true,
    },
  });
  await ok('POST', `/v1/batches/${f.batch}/results`, {
    key: f.keys[f.AO], body: { productId: W3(), groupId: 'G2', status: 'NON_WINNING' },
  });

  const res = await call('GET', exportPath(f.batch));
  assert.equal(res.status, 200, res.text);
  file = res.text;
  const lines = file.slice(0, -1).split('\n').map((l) => JSON.parse(l));
  const perType = {};
  for (const l of lines) perType[Object.keys(l)[0]] = (perType[Object.keys(l)[0]] ?? 0) + 1;
  assert.deepEqual(perType, {
    region: 4, organization: 9, product: 3, batch: 1, execution: 1, group: 2, result: 3,
    allocation: 2, contract: 2, progress: 2, end: 1,
  });
  assert.deepEqual(lines.at(-1), { end: { records: '29' } });
  records = 29;
  assert.deepEqual(lines.filter((l) => l.group).map((l) => l.group.maxNonWinningPrice),
    [undefined, '20.5000']);

  await okOnTarget('POST', '/v1/regions', {
    body: { code: '330000', name: '浙江省', level: 'PROVINCE' },
  });
  const office = `RTAO-${f.run}`;
  await okOnTarget('POST', '/v1/organizations', {
    body: {
      id: office, name: '浙江联采办', kind: 'ALLIANCE_OFFICE', regionCode: '330000',
      creditCode: creditCode('330000'),
    },
  });
  officeKey = (await okOnTarget('POST', '/v1/apiKeys', { body: { organizationId: office } })).key;
  emptyCounts = rowCounts();
  assert.equal(emptyCounts, '1/1/0/0/0/0/0/0/0/0/0/0/0/0');
});

test('a broken last line or a wrong end count is refused at its line and changes nothing', async () => {
  const lines = file.slice(0, -1).split('\n');
  const endLine = lines.length; // 30
  const joined = (ls) => ls.join('\n') + '\n';
  const withEnd = (end) => joined([...lines.slice(0, -1), end]);
  // The last record before `end` (a progress row) naming a year the execution does not have.
  const badLast = lines.at(-2).replace('"agreementYear":1', '"agreementYear":9');
  const cases = [
    [withEnd('{"end":{"records":"29"}'), (errors) => {
      assert.equal(errors.length, 2, JSON.stringify(errors));
      assert.equal(errors[0].line, endLine);
      assert.ok(errors[0].message.startsWith('is not valid JSON'), errors[0].message);
      assert.deepEqual(errors[1],
        { line: endLine, message: 'end: the file has no end record: it is not whole' });
    }],
    [withEnd('{"end":{"records":"28"}}'), (errors) => assert.deepEqual(errors,
      [{ line: endLine, message: 'end.records: is 28 but 29 records came before it' }])],
    [joined([...lines.slice(0, -2), badLast, lines.at(-1)]), (errors) => assert.deepEqual(errors, [{
      line: endLine - 1,
      message: "progress.agreementYear: must be 1 to 4, the execution's agreement years",
    }])],
  ];
  for (const [text, check] of cases) {
    const res = await importFile(text, officeKey);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.imported, 0);
    assert.equal(res.json.skipped, 0);
    check(res.json.errors);
    assert.equal(rowCounts(), emptyCounts);
  }
});

test('a failure in any service\'s part of the import leaves nothing on the target', async () => {
  // The parts are prepared in this order: catalog-svc's, volume-svc's, contract-svc's. Each failure
  // comes after the parts before it were prepared, so each is undone by the coordinator.
  for (const [name, point] of [
    ['contract-svc', 'contract.import.prepare'],
    ['volume-svc', 'volume.import.prepare'],
    ['catalog-svc', 'catalog.import.prepare'],
  ]) {
    await restartTarget(name, point);
    // catalog-svc's channel to a peer just restarted may still wait out its reconnect backoff:
    // that failure is UNAVAILABLE too (and leaves nothing either), but it is not the failpoint's.
    let res;
    for (let i = 0; i < 50; i++) {
      res = await importFile(file, officeKey);
      if (res.status !== 503 || res.json?.message?.includes('failpoint')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assertError(res, 503, 'UNAVAILABLE');
    assert.ok(res.json.message.includes(`failpoint ${point}`), res.text);
    assert.equal(rowCounts(), emptyCounts, `after ${point}`);
    await restartTarget(name, '');
  }
  assert.equal(importStates(), 'aborted 3');
});

// GET answers of both stacks, as the admin of each.
async function reads(get) {
  const out = {
    batch: await get(`/v1/batches/${f.batch}`),
    agreementYears: await get(`/v1/batches/${f.batch}/executions/350000/agreementYears`),
    results: await get(`/v1/batches/${f.batch}/results`),
    allocations: await get(`/v1/allocations?batchCode=${f.batch}&regionCode=350000`),
  };
  for (const id of f.contracts) out[id] = await get(`/v1/contracts/${id}`);
  return out;
}

test('the imported batch answers every read as the source does', async () => {
  const res = await importFile(file, officeKey);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { imported: records, skipped: 0 });

  const source = await reads((p) => ok('GET', p));
  const target = await reads((p) => okOnTarget('GET', p));
  assert.deepEqual(target, source);
  // Not two empty answers alike: what the source built is there.
  assert.equal(source.batch.createdBy, f.AO);
  assert.deepEqual(source.results.results.map((r) => `${r.productId} ${r.status}`),
    [`${f.W1} WINNING`, `${f.W2} WINNING`, `${W3()} NON_WINNING`]);
  assert.deepEqual(source.allocations.allocations.map((a) => a.agreedQuantity), ['421', '281']);
  const signed = target[f.signed];
  assert.equal(signed.state, 'EFFECTIVE');
  assert.deepEqual(signed.signatures.map((s) => `${s.party} ${s.signedBy}`),
    [`MANUFACTURER ${f.M}`, `DISTRIBUTOR ${f.D}`, `INSTITUTION ${f.H}`]);
  assert.deepEqual(signed.history.map((e) => `${e.action} ${e.toState}`),
    ['CREATE DRAFT', 'SIGN PARTIALLY_SIGNED', 'SIGN ENTERPRISE_SIGNED', 'SIGN EFFECTIVE']);
  assert.equal(importStates(), 'aborted 3,done 1');
  // The target exports the file it took in, but for the progress rows: its export computes them
  // from its own purchases (none: the other province's are not ours), while the file's rows are
  // kept as they came in volume.imported_progress.
  const again = await onTarget('GET', exportPath(f.batch));
  assert.equal(again.status, 200, again.text);
  const notProgress = (text) => text.split('\n').filter((l) => !l.startsWith('{"progress"'));
  assert.deepEqual(notProgress(again.text), notProgress(file));
  assert.equal(targetSql('SELECT string_agg(concat_ws(\' \', agreement_year, as_of, institution_id, ' +
    "product_id, agreed, purchased, completion_percent, elapsed_percent), ',' ORDER BY product_id) " +
    'FROM volume.imported_progress'),
  `1 2025-12-01 ${f.H} ${f.W1} 421 100 23 94,1 2025-12-01 ${f.H} ${f.W2} 281 0 0 94`);
});

test('the same file again imports nothing and skips every record', async () => {
  const before = rowCounts();
  const res = await importFile(file, officeKey);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { imported: 0, skipped: records });
  assert.equal(rowCounts(), before);
});
