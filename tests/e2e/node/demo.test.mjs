// The demo data scripts/up loads (scripts/demo/generate.mjs), against a stack of all four services
// and the gateway (tests/stack.sh, VBP_DEMO_RUN its directory, so the generator can restart
// contract-svc and volume-svc pinned to each phase's day): it loads in time, loading again restarts
// nothing, running every phase again changes nothing, and each call scripts/up prints answers 200
// with the values below.
// The prices are worked out by hand from DOMAIN.md; quantities come from the description's
// deterministic expansion (a change of data.mjs changes them, and this test says so).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { call } from './http.mjs';

const generator = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/demo/generate.mjs');
const run = (mode) => execFileSync('node', [generator, mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

let examples;
let loadSeconds;

before(async () => {
  const t0 = Date.now();
  process.stdout.write(run('load'));
  loadSeconds = (Date.now() - t0) / 1000;
  examples = JSON.parse(run('calls'));
});

async function get(i) {
  const res = await call('GET', examples[i].path);
  assert.equal(res.status, 200, `${examples[i].path}: ${res.text}`);
  return res.json;
}

// What the load made, as the API reads it: every contract with its state and signatures, the
// allocations, progress and assessments (purchases counted in them).
async function snapshot() {
  const out = [];
  for (const q of ['contracts?batchCode=JX-YP2023-01', 'contracts?batchCode=SX-HC2024-01',
    'allocations?batchCode=JX-YP2023-01', 'allocations?batchCode=SX-HC2024-01',
    'progress?batchCode=JX-YP2023-01&regionCode=350000&agreementYear=1&asOf=2025-12-31',
    'progress?batchCode=JX-YP2023-01&regionCode=220000&agreementYear=2&asOf=2026-11-30',
    'progress?batchCode=SX-HC2024-01&regionCode=140000&agreementYear=1&asOf=2025-12-31',
    'assessments?batchCode=JX-YP2023-01&regionCode=350000&agreementYear=1',
    'assessments?batchCode=SX-HC2024-01&regionCode=140000&agreementYear=1']) {
    const res = await call('GET', `/v1/${q}&pageSize=500`);
    assert.equal(res.status, 200, `${q}: ${res.text}`);
    assert.equal(res.json.nextPageToken, undefined, q);
    out.push(res.json);
  }
  return out;
}

test('the whole history loads; again it loads nothing, and forced to, it changes nothing', async () => {
  // Reported, not asserted: speed is measured by hand, never held to a timer in a test.
  console.log(`demo loaded in ${loadSeconds.toFixed(1)} s`);
  assert.match(run('load'), /^demo: already loaded/);
  const before = await snapshot();
  const { contracts } = before[0];
  // Every state of a contract, and every year of the cycle loaded so far.
  assert.deepEqual([...new Set(contracts.map((c) => c.state))].sort(), [
    'DRAFT', 'EFFECTIVE', 'ENTERPRISE_SIGNED', 'PARTIALLY_SIGNED', 'RENEWED', 'TERMINATED']);
  assert.deepEqual([...new Set(contracts.map((c) => c.agreementYear))].sort(), [1, 2, 3]);
  // Every phase again: each write answers what is stored.
  const forced = execFileSync('node', [generator, 'load'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, VBP_DEMO_FORCE: '1' },
  });
  assert.equal(forced.match(/^demo: \d{4}-\d{2}-\d{2} /gm).length, 5, forced);
  assert.deepEqual(await snapshot(), before);
});

test('after the load every service runs on the real clock again', () => {
  for (const name of ['contract-svc', 'volume-svc']) {
    const [pid] = readFileSync(path.join(process.env.VBP_DEMO_RUN, 'pids', `${name}.pid`), 'utf8').split(' ');
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    assert.deepEqual(env.filter((e) => e.startsWith('VBP_TODAY=')), [], name);
    assert.ok(env.some((e) => e.startsWith('VBP_PG_DSN=')), name);
  }
});

test('the printed calls', () => {
  assert.deepEqual(examples.map((e) => e.path.replace(/ct-[0-9a-f]{24}/, 'ct-ID')), [
    '/v1/prices/350102/ifn-a1b-inj-mA?date=2024-08-01',
    '/v1/prices/350200/ifn-a2b-spray-mA?date=2024-08-01',
    '/v1/contracts/ct-ID',
    '/v1/progress?batchCode=JX-YP2023-01&regionCode=350000&institutionId=h-350102-1&agreementYear=1&asOf=2025-12-31',
    '/v1/assessments?batchCode=JX-YP2023-01&regionCode=350000&agreementYear=1&pageSize=100',
    '/v1/contracts?batchCode=JX-YP2023-01&state=ENTERPRISE_SIGNED',
    '/v1/prepayments/h-141102-1?batchCode=SX-HC2024-01&agreementYear=1',
  ]);
});

test('the explorer scripts/up names answers without a key', async () => {
  const res = await call('GET', '/docs', { key: null });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/html/);
});

test('a price with its rule: P1a (its own listing 45 and winning price 38.5), P2a', async () => {
  assert.deepEqual(await get(0), {
    productId: 'ifn-a1b-inj-mA', regionCode: '350000', batchCode: 'JX-YP2023-01', maxSalePrice: '38.5000',
    paymentStandard: '38.5000', rule: 'P1a', standardRule: 'P2a', covered: true,
  });
  // Non-competitive group: L = 52 (the winner's P1b limit); listed at 80 > 52: max(56, 52) = 56.
  assert.deepEqual(await get(1), {
    productId: 'ifn-a2b-spray-mA', regionCode: '350000', batchCode: 'JX-YP2023-01', maxSalePrice: '80.0000',
    paymentStandard: '56.0000', rule: 'LISTED', standardRule: 'P2b', covered: true,
  });
});

test('a contract with its history: signed in the July 2024 windows, renewed for 2026', async () => {
  const c = await get(2);
  assert.equal(c.state, 'RENEWED');
  assert.deepEqual([c.institutionId, c.productId, c.manufacturerId, c.distributorId, c.price, c.agreementYear,
    c.periodStart, c.periodEnd], ['h-350102-1', 'ifn-a1b-inj-mA', 'mfr-a', 'dist-350100', '38.5000', 1,
    '2024-07-22', '2025-12-31']);
  assert.deepEqual(c.signatures.map((s) => [s.party, s.signedBy]), [
    ['MANUFACTURER', 'mfr-a'], ['DISTRIBUTOR', 'dist-350100'], ['INSTITUTION', 'h-350102-1']]);
  // Then the renewal made from it, and its state once the renewal took effect (C9).
  assert.deepEqual(c.history.slice(0, 5).map((h) => [h.action, h.toState]), [
    ['CREATE', 'DRAFT'], ['SIGN', 'PARTIALLY_SIGNED'], ['SIGN', 'ENTERPRISE_SIGNED'], ['SIGN', 'EFFECTIVE'],
    ['RENEW', 'EFFECTIVE']]);
  assert.equal(c.history.at(-1).toState, 'RENEWED');
  // The agreed quantity is the allocation (C1).
  const { allocations } = await (await call('GET',
    '/v1/allocations?batchCode=JX-YP2023-01&regionCode=350000&institutionId=h-350102-1&agreementYear=1')).json;
  assert.equal(allocations.find((a) => a.productId === 'ifn-a1b-inj-mA').agreedQuantity, c.quantity);
});

test("a hospital's progress: year 1 as of its last day", async () => {
  const { rows } = await get(3);
  assert.deepEqual(rows.map((r) => [r.productId, r.elapsedPercent]), [
    ['ifn-a1b-inj-mA', 100], ['ifn-a1b-inj-mB', 100], ['ifn-a2b-gel-mA', 100], ['ifn-a2b-inj-mE', 100],
    ['ifn-a2b-spray-mE', 100]]);
  for (const r of rows) {
    assert.equal(r.institutionId, 'h-350102-1');
    assert.equal(r.completionPercent, Math.floor((Number(r.purchased) * 100) / Number(r.agreed)), JSON.stringify(r));
  }
});

test('the assessment: a hospital that bought the non-winning product fails V6', async () => {
  const { rows } = await get(4);
  // 20 Fujian hospitals (1 provincial, 3 of a city, 2 in each of 8 counties) x 4 varieties.
  assert.equal(rows.length, 80);
  const row = rows.find((r) => r.institutionId === 'h-350203-2' && r.genericName === '重组人干扰素α1b注射液');
  assert.equal(row.passed, false);
  assert.ok(row.reasons.some((x) => /^V6 non-winning \d+ of \d+ \(\d+\.\d%\) > 50%$/.test(x)), row.reasons.join());
  assert.ok(rows.some((r) => r.passed));
});

test('contracts waiting for the hospital: year-3 renewals being signed now, and year-1 ones never confirmed', async () => {
  const { contracts } = await get(5);
  assert.ok(contracts.length > 0);
  for (const c of contracts) assert.equal(c.state, 'ENTERPRISE_SIGNED');
  assert.deepEqual([...new Set(contracts.map((c) => c.agreementYear))].sort(), [1, 3]);
  assert.ok(contracts.filter((c) => c.agreementYear === 1).every((c) => c.institutionId === 'h-350582-2'));
});

test('a consumables prepayment in Lvliang: 30% (V7), reclaimed two months after the cycle', async () => {
  const p = await get(6);
  assert.equal(p.rate, 30);
  // Rounded half away from zero to 0.0001 yuan: 30% of the agreed amount.
  const agreed = BigInt(p.agreedAmount.replace('.', ''));
  const prepaid = (agreed * 30n + 50n) / 100n;
  assert.equal(p.prepaid, `${prepaid / 10000n}.${String(prepaid % 10000n).padStart(4, '0')}`);
  // The cycle (2 years from 2024-10-08) ends 2026-10-07.
  assert.equal(p.reclaimDue, '2026-12-07');
});
