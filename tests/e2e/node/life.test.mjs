// The whole life of a batch through the gateway only (issue 13, part 5), each actor with its own
// API key made through POST /v1/apiKeys: regions and organizations -> batch and executions (with
// signing windows) -> products, groups, results -> listings -> prices (every P rule) -> demand and
// its V1 reviews -> allocations -> distributor and agency authorisations -> contracts generated
// and signed by each party (the agency for a hospital) -> renewal into year 2 -> purchases (one by
// one and a daily file) -> progress -> assessment -> prepayment -> the change feed -> the
// supervision record -> export -> import into a fresh second stack, whose reads answer as the
// source's. Every expected value is worked out by hand from DOMAIN.md; the arithmetic is in the
// comments.
//
// The clock: both stacks start with VBP_TODAY=2025-12-01 (inside agreement year 1, so that a
// contract reads the same state on both). The signing windows are in July 2024, so the test
// restarts the source's contract-svc and volume-svc (the services whose writes read today) pinned
// to 2024-07-05 (enterprises' window), then 2024-07-10 (hospitals' window), then back to
// 2025-12-01 for the rest, with scripts/demo/pin (VBP_LIFE_RUN: the source stack's directory).
// catalog-svc and pricing-svc stay on 2025-12-01 throughout; every price look-up names its date.
//
// The scene. Batch B (DRUG, alliance led by Jiangxi 360000, 4-year cycle), executed in Fujian
// (350000) from 2024-07-22 with windows enterprises 07-04..07-08, hospitals 07-09..07-12 (000),
// and in Jilin (220000) from 2024-09-20. Agreement years in Fujian (C6): 2024-07-22..2025-12-31
// (528 days), 2026, 2027, 2028-01-01..2028-07-21.
//   G1 competitive GN1: W1 (M1) WINNING 60% 12.5, W2 (M2) WINNING 40% 13, N1 (M3) NON_WINNING.
//   G2 non-competitive GN2: W3 (M2) WINNING 100% 30, N2 (M3) NON_WINNING.
// Listings in Fujian: W1 14, N1 20, N2 42; in Jilin: N1 18.
// Batch C (CONSUMABLE, Fujian from 2024-07-22): K1 (M1) WINNING 100% 80, K2 (M3) NON_WINNING of
// the same category and function, listed 120.
// Hospitals: H1 in county 350121 (闽侯县), H2 registered at city 350100 (福州市); both in the
// coordination area 350100. H2 authorises the Fujian insurance agency AG to confirm for it (C3).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertError, call, creditCode } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pinScript = path.join(here, '..', '..', '..', 'scripts', 'demo', 'pin');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');

// DIR/env of tests/stack.sh: KEY=VALUE a line.
function readEnv(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
const targetEnv = readEnv(process.env.VBP_TARGET_ENV);

const run = crypto.randomBytes(4).toString('hex');
const B = `LB-${run}`;
const C = `LC-${run}`;
const GN1 = `阿托伐他汀-${run}`;
const GN2 = `干扰素喷雾剂-${run}`;
const id = (x) => `${x}-${run}`;
const [W1, W2, N1, W3, N2, K1, K2] = ['W1', 'W2', 'N1', 'W3', 'N2', 'K1', 'K2'].map(id);
const [M1, M2, M3, D] = ['M1', 'M2', 'M3', 'D'].map(id);
const [H1, H2, AG] = ['H1', 'H2', 'AG'].map(id);
const [PROV, CITY, COUNTY, JL, AO] = ['BP', 'BC', 'BX', 'BJ', 'AO'].map(id);
const keys = {};
const madeKeys = [];
const s = {}; // what a step leaves for the next ones

// A call that must answer 200; a 503 (a service just restarted, the gateway's channel not back
// yet) is asked again for a while.
async function ok(method, urlPath, { key, body, raw, headers, gateway } = {}) {
  let res;
  for (let i = 0; i < 100; i++) {
    res = await call(method, urlPath, { key, body, raw, headers, gateway });
    if (res.status !== 503) break;
    await sleep(100);
  }
  assert.equal(res.status, 200, `${method} ${urlPath}: ${res.text}`);
  return res.json;
}
const okOnTarget = (method, urlPath, opts = {}) =>
  ok(method, urlPath, { key: targetEnv.VBP_ADMIN_KEY, ...opts, gateway: targetEnv.VBP_GATEWAY_ADDR });

// Restarts the source's contract-svc and volume-svc with today pinned to `date`, then waits until
// the gateway reaches both again.
async function pin(date) {
  execFileSync(pinScript, [process.env.VBP_LIFE_RUN, date], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (const probe of ['/v1/contracts/NOPE', `/v1/allocations?batchCode=${B}`]) {
    let res;
    for (let i = 0; i < 100; i++) {
      res = await call('GET', probe);
      if (res.status !== 503) break;
      await sleep(100);
    }
    assert.notEqual(res.status, 503, `${probe} after pinning ${date}: ${res.text}`);
  }
}

const sign = (contractId, who, party, extra = {}) =>
  call('POST', `/v1/contracts/${contractId}:sign`, {
    key: keys[who], body: { party, signerName: '张三', documentSha256: sha256hex(`合同 ${contractId}`), ...extra },
  });

// Every change the caller may read, from the start of the feed.
async function changes(key) {
  const out = [];
  let since = '';
  for (let i = 0; i < 50; i++) {
    const page = await ok('GET', `/v1/changes?pageSize=500${since ? `&since=${encodeURIComponent(since)}` : ''}`, { key });
    out.push(...(page.changes ?? []));
    if (!page.changes?.length || page.nextCursor === since) break;
    since = page.nextCursor;
  }
  return out;
}

after(async () => {
  // The keys made here revoked (the stack is the test's own, stopped after it).
  for (const k of madeKeys) await call('DELETE', `/v1/apiKeys/${k}`);
});

test('regions and organizations, each with its own key', async () => {
  for (const [code, name, level, parentCode] of [
    ['350000', '福建省', 'PROVINCE', ''],
    ['350100', '福州市', 'CITY', '350000'],
    ['350121', '闽侯县', 'COUNTY', '350100'],
    ['220000', '吉林省', 'PROVINCE', ''],
    ['360000', '江西省', 'PROVINCE', ''],
  ]) {
    const r = await ok('POST', '/v1/regions', { body: { code, name, level, parentCode } });
    assert.equal(r.code, code);
    assert.equal(r.level, level);
  }
  // The admin makes the alliance office and the provincial bureaus; the provincial bureau makes
  // everything else in Fujian, keys included (API.md "Who may do what").
  const byAdmin = [
    [AO, '江西联采办', 'ALLIANCE_OFFICE', '360000'],
    [PROV, '福建省医疗保障局', 'BUREAU', '350000'],
    [JL, '吉林省医疗保障局', 'BUREAU', '220000'],
  ];
  const byProvince = [
    [CITY, '福州市医疗保障局', 'BUREAU', '350100'],
    [COUNTY, '闽侯县医疗保障局', 'BUREAU', '350121'],
    [AG, '福建省医疗保障基金管理中心', 'INSURANCE_AGENCY', '350000'],
    [H1, '闽侯县总医院', 'MEDICAL_INSTITUTION', '350121'],
    [H2, '福州市第一医院', 'MEDICAL_INSTITUTION', '350100'],
    [M1, '甲药业', 'MANUFACTURER', '350000'],
    [M2, '乙药业', 'MANUFACTURER', '350000'],
    [M3, '丙药业', 'MANUFACTURER', '350000'],
    [D, '鹭燕医药', 'DISTRIBUTOR', '350100'],
  ];
  for (const [list, maker] of [[byAdmin, null], [byProvince, PROV]]) {
    for (const [oid, name, kind, regionCode] of list) {
      const body = { id: oid, name, kind, regionCode, creditCode: creditCode(regionCode) };
      if (kind === 'MEDICAL_INSTITUTION') body.institutionType = 'PUBLIC';
      const key = maker ? keys[maker] : undefined;
      const o = await ok('POST', '/v1/organizations', { key, body });
      assert.deepEqual([o.id, o.kind, o.regionCode], [oid, kind, regionCode]);
      const minted = await ok('POST', '/v1/apiKeys', { key, body: { organizationId: oid } });
      assert.deepEqual([minted.organizationId, minted.role], [oid, kind]);
      keys[oid] = minted.key;
      madeKeys.push(minted.id);
    }
  }
  // An alliance office and its keys are the admin's alone: not the provincial bureau's, nor a
  // city bureau's.
  assertError(await call('POST', '/v1/organizations', {
    key: keys[PROV],
    body: { id: id('AO2'), name: '另一联采办', kind: 'ALLIANCE_OFFICE', regionCode: '350000', creditCode: creditCode('350000') },
  }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/apiKeys', { key: keys[CITY], body: { organizationId: AO } }),
    403, 'PERMISSION_DENIED');
});

test('batches and executions with signing windows; agreement years (C5, C6)', async () => {
  const batch = await ok('POST', '/v1/batches', {
    key: keys[AO],
    body: {
      code: B, name: '联盟药品带量采购', kind: 'DRUG', organizerLevel: 'ALLIANCE',
      leadRegionCode: '360000', memberRegionCodes: ['360000', '350000', '220000'], cycleYears: 4,
    },
  });
  assert.deepEqual([batch.code, batch.createdBy, batch.cycleYears], [B, AO, 4]);
  const fj = await ok('POST', `/v1/batches/${B}/executions`, {
    key: keys[PROV],
    body: {
      regionCode: '350000', listingDate: '2024-07-18', startDate: '2024-07-22',
      enterpriseSignFrom: '2024-07-04', enterpriseSignTo: '2024-07-08',
      institutionSignFrom: '2024-07-09', institutionSignTo: '2024-07-12',
    },
  });
  assert.deepEqual([fj.startDate, fj.enterpriseSignTo, fj.institutionSignFrom], ['2024-07-22', '2024-07-08', '2024-07-09']);
  // A bureau executes in its own province only.
  assertError(await call('POST', `/v1/batches/${B}/executions`, {
    key: keys[PROV], body: { regionCode: '220000', listingDate: '2024-09-20', startDate: '2024-09-20' },
  }), 403, 'PERMISSION_DENIED');
  await ok('POST', `/v1/batches/${B}/executions`, {
    key: keys[JL], body: { regionCode: '220000', listingDate: '2024-09-20', startDate: '2024-09-20' },
  });
  await ok('POST', '/v1/batches', {
    key: keys[AO],
    body: {
      code: C, name: '联盟耗材带量采购', kind: 'CONSUMABLE', organizerLevel: 'ALLIANCE',
      leadRegionCode: '360000', memberRegionCodes: ['360000', '350000'], cycleYears: 2,
    },
  });
  await ok('POST', `/v1/batches/${C}/executions`, {
    key: keys[PROV], body: { regionCode: '350000', listingDate: '2024-07-18', startDate: '2024-07-22' },
  });
  const years = await ok('GET', `/v1/batches/${B}/executions/350000/agreementYears`, { key: keys[H1] });
  assert.deepEqual(years.agreementYears, [
    { year: 1, start: '2024-07-22', end: '2025-12-31' },
    { year: 2, start: '2026-01-01', end: '2026-12-31' },
    { year: 3, start: '2027-01-01', end: '2027-12-31' },
    { year: 4, start: '2028-01-01', end: '2028-07-21' },
  ]);
});

test('products, groups and results', async () => {
  const drug = (pid, manufacturerId, genericName, qualityTier) => ({
    id: pid, kind: 'DRUG', genericName, dosageForm: '片剂', specification: '20mg', unit: '片',
    manufacturerId, qualityTier, inInsuranceCatalog: true,
  });
  for (const p of [
    drug(W1, M1, GN1, 'CONSISTENCY_PASSED'), drug(W2, M2, GN1, 'CONSISTENCY_PASSED'),
    drug(N1, M3, GN1, 'NOT_EVALUATED'), drug(W3, M2, GN2, 'ORIGINATOR'), drug(N2, M3, GN2, 'NOT_EVALUATED'),
  ])
    assert.equal((await ok('POST', '/v1/products', { key: keys[AO], body: p })).id, p.id);
  for (const [pid, manufacturerId] of [[K1, M1], [K2, M3]])
    await ok('POST', '/v1/products', {
      key: keys[AO],
      body: {
        id: pid, kind: 'CONSUMABLE', genericName: '静脉留置针', specification: '22G', unit: '支',
        manufacturerId, inInsuranceCatalog: true, category: '留置针', function: '静脉输液',
      },
    });
  await ok('POST', `/v1/batches/${B}/groups`, { key: keys[AO], body: { id: 'G1', genericName: GN1, competitive: true } });
  await ok('POST', `/v1/batches/${B}/groups`, { key: keys[AO], body: { id: 'G2', genericName: GN2, competitive: false } });
  await ok('POST', `/v1/batches/${C}/groups`, { key: keys[AO], body: { id: 'K', genericName: '静脉留置针', competitive: true } });
  for (const [b, body] of [
    [B, { productId: W1, groupId: 'G1', status: 'WINNING', winningPrice: '12.5', sharePercent: 60 }],
    [B, { productId: W2, groupId: 'G1', status: 'WINNING', winningPrice: '13', sharePercent: 40 }],
    [B, { productId: N1, groupId: 'G1', status: 'NON_WINNING' }],
    [B, { productId: W3, groupId: 'G2', status: 'WINNING', winningPrice: '30', sharePercent: 100 }],
    [B, { productId: N2, groupId: 'G2', status: 'NON_WINNING' }],
    [C, { productId: K1, groupId: 'K', status: 'WINNING', winningPrice: '80', sharePercent: 100 }],
    [C, { productId: K2, groupId: 'K', status: 'NON_WINNING' }],
  ])
    await ok('POST', `/v1/batches/${b}/results`, { key: keys[AO], body });
  // A manufacturer publishes no result.
  assertError(await call('POST', `/v1/batches/${B}/results`, {
    key: keys[M1], body: { productId: W1, groupId: 'G1', status: 'WINNING', winningPrice: '1', sharePercent: 60 },
  }), 403, 'PERMISSION_DENIED');
  const results = await ok('GET', `/v1/batches/${B}/results?groupId=G1`, { key: keys[H1] });
  assert.deepEqual(results.results.map((r) => `${r.productId} ${r.status} ${r.winningPrice ?? '-'} ${r.sharePercent}`),
    [`${N1} NON_WINNING - 0`, `${W1} WINNING 12.5000 60`, `${W2} WINNING 13.0000 40`]);
});

test('listings, and prices by every P rule', async () => {
  for (const [region, pid, price] of [
    ['350000', W1, '14'], ['350000', N1, '20'], ['350000', N2, '42'], ['350000', K2, '120'],
  ]) {
    const l = await ok('PUT', `/v1/listings/${region}/${pid}`, { key: keys[PROV], body: { price, listedOn: '2024-07-18' } });
    assert.equal(l.price, `${price}.0000`);
  }
  await ok('PUT', `/v1/listings/220000/${N1}`, { key: keys[JL], body: { price: '18', listedOn: '2024-09-01' } });
  // The Fujian bureau lists nothing in Jilin.
  assertError(await call('PUT', `/v1/listings/220000/${N2}`, { key: keys[PROV], body: { price: '1', listedOn: '2024-09-20' } }),
    403, 'PERMISSION_DENIED');

  const price = async (region, pid, date) => {
    const p = await ok('GET', `/v1/prices/${region}/${pid}?date=${date}`, { key: keys[H1] });
    return [p.productId, p.batchCode, p.maxSalePrice, p.rule, p.paymentStandard ?? '-', p.standardRule ?? '-', p.covered];
  };
  const day = '2024-08-01';
  // Fujian drugs (P1 + P2). L(G1) = min(12.5, 13) = 12.5; L(G2) = 30.
  //   W1: its maker lists W1 at 14 in G1: min(14, 12.5) = 12.5 (P1a); in the catalog: s (P2a).
  assert.deepEqual(await price('350000', W1, day), [W1, B, '12.5000', 'P1a', '12.5000', 'P2a', true]);
  //   W2: M2 lists nothing in competitive G1: min(lowest listing in G1 = 14, 13) = 13 (P1c).
  assert.deepEqual(await price('350000', W2, day), [W2, B, '13.0000', 'P1c', '13.0000', 'P2a', true]);
  //   W3: non-competitive G2, M2 lists nothing there: its winning price 30 (P1b).
  assert.deepEqual(await price('350000', W3, day), [W3, B, '30.0000', 'P1b', '30.0000', 'P2a', true]);
  //   N1 (competitive G1) listed 20: standard min(20, 12.5) = 12.5 (P2c).
  assert.deepEqual(await price('350000', N1, day), [N1, B, '20.0000', 'LISTED', '12.5000', 'P2c', true]);
  //   N2 (non-competitive G2) listed 42 > L = 30: max(70% x 42 = 29.4, 30) = 30 (P2b).
  assert.deepEqual(await price('350000', N2, day), [N2, B, '42.0000', 'LISTED', '30.0000', 'P2b', true]);
  // Consumables (P3): K1's standard its winning price 80 (P3a); K2 listed 120: min(120, highest
  // winning price of the category and function = 80) = 80 (P3b).
  assert.deepEqual(await price('350000', K1, day), [K1, C, '80.0000', 'WINNING_PRICE', '80.0000', 'P3a', true]);
  assert.deepEqual(await price('350000', K2, day), [K2, C, '120.0000', 'LISTED', '80.0000', 'P3b', true]);
  // Jilin (the national default, P4), from its start 2024-09-20: W1 its winning price (P4a); N1
  // listed 18: min(18, B(G1) = 12.5) = 12.5 (P4b).
  assert.deepEqual(await price('220000', W1, '2024-10-01'), [W1, B, '12.5000', 'WINNING_PRICE', '12.5000', 'P4a', true]);
  assert.deepEqual(await price('220000', N1, '2024-10-01'), [N1, B, '18.0000', 'LISTED', '12.5000', 'P4b', true]);
  // Before Jilin's execution: the listing, no payment standard.
  assert.deepEqual(await price('220000', N1, '2024-09-19'), [N1, undefined, '18.0000', 'NOT_IN_VBP', '-', '-', true]);
});

const review = (reportId, who, level) =>
  ok('POST', `/v1/demandReports/${reportId}:review`, { key: keys[who], body: { level, approve: true, comment: `${level} 同意` } });

test('demand and its reviews (V1), allocations (V2, V3)', async () => {
  const report = (h, quantity, lastYearQuantity) => ok('POST', '/v1/demandReports', {
    key: keys[h],
    body: {
      batchCode: B, regionCode: '350000', institutionId: h, groupId: 'G1', agreementYear: 1,
      quantity, lastYearQuantity, commitmentSha256: sha256hex(`承诺书 ${h}`),
    },
  });
  const r1 = await report(H1, 1003, 980);
  const r2 = await report(H2, 515, 480);
  assert.deepEqual([r1.state, r1.quantity, r2.state, r2.quantity], ['SUBMITTED', '1003', 'SUBMITTED', '515']);
  // H1 (county): COUNTY -> CITY -> PROVINCE; the city may not go first.
  assertError(await call('POST', `/v1/demandReports/${r1.id}:review`, {
    key: keys[CITY], body: { level: 'CITY', approve: true, comment: 'x' },
  }), 400, 'INVALID_ARGUMENT', 'level');
  assert.equal((await review(r1.id, COUNTY, 'COUNTY')).state, 'IN_REVIEW');
  assert.equal((await review(r1.id, CITY, 'CITY')).state, 'IN_REVIEW');
  const done1 = await review(r1.id, PROV, 'PROVINCE');
  assert.equal(done1.state, 'APPROVED');
  assert.deepEqual(done1.reviews.map((r) => `${r.level} ${r.reviewerId}`),
    [`COUNTY ${COUNTY}`, `CITY ${CITY}`, `PROVINCE ${PROV}`]);
  // H2 (registered at the city): CITY -> PROVINCE; the county bureau does not contain it.
  assertError(await call('POST', `/v1/demandReports/${r2.id}:review`, {
    key: keys[COUNTY], body: { level: 'COUNTY', approve: true, comment: 'x' },
  }), 403, 'PERMISSION_DENIED');
  assert.equal((await review(r2.id, CITY, 'CITY')).state, 'IN_REVIEW');
  assert.equal((await review(r2.id, PROV, 'PROVINCE')).state, 'APPROVED');

  // V2 at 70%: H1 1003 x 0.7 = 702.1 -> 702; V3 60/40: 421.2, 280.8 -> 421 + 280 = 701, the
  // larger remainder (W2's .8) takes the last: W1 421, W2 281. H2 515 x 0.7 = 360.5 -> 361:
  // 216.6, 144.4 -> 216 + 144 = 360, W1's .6 takes the last: W1 217, W2 144.
  assertError(await call('POST', '/v1/allocations:compute', {
    key: keys[CITY], body: { batchCode: B, regionCode: '350000', agreementYear: 1, ratioPercent: 70 },
  }), 403, 'PERMISSION_DENIED');
  const computed = await ok('POST', '/v1/allocations:compute', {
    key: keys[PROV], body: { batchCode: B, regionCode: '350000', agreementYear: 1, ratioPercent: 70 },
  });
  assert.equal(computed.computed, 4);
  const listed = await ok('GET', `/v1/allocations?batchCode=${B}&regionCode=350000&agreementYear=1`, { key: keys[PROV] });
  const rows = listed.allocations.map((a) => `${a.institutionId} ${a.productId} ${a.agreedQuantity}`).sort();
  assert.deepEqual(rows, [`${H1} ${W1} 421`, `${H1} ${W2} 281`, `${H2} ${W1} 217`, `${H2} ${W2} 144`].sort());
  // A hospital sees its own allocations only.
  const own = await ok('GET', `/v1/allocations?batchCode=${B}`, { key: keys[H2] });
  assert.deepEqual(own.allocations.map((a) => `${a.productId} ${a.agreedQuantity}`).sort(),
    [`${W1} 217`, `${W2} 144`].sort());
});

test('authorisations; contracts generated and signed in their windows (C1-C3, C8)', async () => {
  // C8: each maker names D for its product in the coordination area 350100 (both hospitals').
  for (const [m, p] of [[M1, W1], [M2, W2]])
    await ok('POST', '/v1/distributorAuthorizations', {
      key: keys[m], body: { manufacturerId: m, productId: p, distributorId: D, regionCode: '350100' },
    });
  assertError(await call('POST', '/v1/distributorAuthorizations', {
    key: keys[M1], body: { manufacturerId: M2, productId: W2, distributorId: D, regionCode: '350100' },
  }), 403, 'PERMISSION_DENIED');
  // C3: H2 lets the agency confirm its drug contracts.
  const auth = await ok('POST', '/v1/agencyAuthorizations', {
    key: keys[H2], body: { institutionId: H2, agencyId: AG, batchCode: B },
  });
  assert.equal(auth.agencyId, AG);

  await pin('2024-07-05');
  const generated = await ok('POST', '/v1/contracts:generate', {
    key: keys[PROV], body: { batchCode: B, regionCode: '350000', agreementYear: 1 },
  });
  assert.equal(generated.generated, 4);
  const cs = generated.contracts.map((c) =>
    `${c.institutionId} ${c.productId} ${c.manufacturerId} ${c.distributorId} ${c.price} ${c.quantity} ` +
    `${c.periodStart}..${c.periodEnd} ${c.state}`).sort();
  assert.deepEqual(cs, [
    `${H1} ${W1} ${M1} ${D} 12.5000 421 2024-07-22..2025-12-31 DRAFT`,
    `${H1} ${W2} ${M2} ${D} 13.0000 281 2024-07-22..2025-12-31 DRAFT`,
    `${H2} ${W1} ${M1} ${D} 12.5000 217 2024-07-22..2025-12-31 DRAFT`,
    `${H2} ${W2} ${M2} ${D} 13.0000 144 2024-07-22..2025-12-31 DRAFT`,
  ].sort());
  s.y1 = {};
  for (const c of generated.contracts) s.y1[`${c.institutionId} ${c.productId}`] = c;

  // C2: enterprises in their window (07-04..07-08); the hospital not yet (its window opens 07-09).
  for (const c of generated.contracts) {
    let res = await sign(c.id, c.manufacturerId, 'MANUFACTURER');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.state, 'PARTIALLY_SIGNED');
    res = await sign(c.id, D, 'DISTRIBUTOR');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.state, 'ENTERPRISE_SIGNED');
  }
  const early = await sign(s.y1[`${H1} ${W1}`].id, H1, 'INSTITUTION');
  assertError(early, 400, 'FAILED_PRECONDITION', 'party');
  assert.equal(early.json.details[0].reason, "C2: outside the institutions' window 2024-07-09..2024-07-12");

  await pin('2024-07-10');
  // H1 confirms its own; the agency confirms H2's on its behalf; H1 may not sign H2's.
  assertError(await sign(s.y1[`${H2} ${W1}`].id, H1, 'INSTITUTION'), 403, 'PERMISSION_DENIED');
  for (const p of [W1, W2]) {
    let res = await sign(s.y1[`${H1} ${p}`].id, H1, 'INSTITUTION');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.state, 'EFFECTIVE');
    res = await sign(s.y1[`${H2} ${p}`].id, AG, 'INSTITUTION', { onBehalfOf: H2 });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.state, 'EFFECTIVE');
  }
  const c = await ok('GET', `/v1/contracts/${s.y1[`${H2} ${W1}`].id}`, { key: keys[H2] });
  // (signedAt is the wall clock's time; only the windows read the pinned day.)
  assert.deepEqual(c.signatures.map((x) => `${x.party} ${x.signedBy}${x.onBehalfOf ? ` for ${x.onBehalfOf}` : ''}`),
    [`MANUFACTURER ${M1}`, `DISTRIBUTOR ${D}`, `INSTITUTION ${AG} for ${H2}`]);
  assert.deepEqual(c.history.map((e) => `${e.action} ${e.toState}`),
    ['CREATE DRAFT', 'SIGN PARTIALLY_SIGNED', 'SIGN ENTERPRISE_SIGNED', 'SIGN EFFECTIVE']);
  // A hospital reads its own contracts only.
  assertError(await call('GET', `/v1/contracts/${s.y1[`${H1} ${W1}`].id}`, { key: keys[H2] }), 403, 'PERMISSION_DENIED');
});

test('renewal into year 2 (C5-C7): one by its hospital, the rest generated at the per-day floor', async () => {
  await pin('2025-12-01');
  const y1 = s.y1[`${H1} ${W1}`];
  // C7: 421 over the 528 days of year 1 holds the 365-day year 2 to 421 x 365 / 528 = 291.03 -> 291.
  const low = await call('POST', `/v1/contracts/${y1.id}:renew`, { key: keys[H1], body: { quantity: 290 } });
  assertError(low, 400, 'INVALID_ARGUMENT', 'quantity');
  assert.equal(low.json.details[0].reason, 'C7: at least 291 (per day from year 1)');
  assertError(await call('POST', `/v1/contracts/${y1.id}:renew`, { key: keys[H2], body: { quantity: 300 } }),
    403, 'PERMISSION_DENIED');
  const renewed = await ok('POST', `/v1/contracts/${y1.id}:renew`, { key: keys[H1], body: { quantity: 300 } });
  assert.deepEqual(
    [renewed.agreementYear, renewed.periodStart, renewed.periodEnd, renewed.price, renewed.quantity, renewed.distributorId, renewed.state],
    [2, '2026-01-01', '2026-12-31', '12.5000', '300', D, 'DRAFT']);
  const twice = await call('POST', `/v1/contracts/${y1.id}:renew`, { key: keys[H1], body: { quantity: 300 } });
  assertError(twice, 409, 'ALREADY_EXISTS', 'id');
  assert.equal(twice.json.details[0].reason, `already renewed by ${renewed.id}`);
  // The provincial bureau renews the other three at their floors: H1 W2 281 x 365 / 528 = 194.25
  // -> 194; H2 W1 217 x 365 / 528 = 150.01 -> 150; H2 W2 144 x 365 / 528 = 99.55 -> 100.
  const generated = await ok('POST', '/v1/contracts:generate', {
    key: keys[PROV], body: { batchCode: B, regionCode: '350000', agreementYear: 2 },
  });
  // The answer is the year's contracts (so a retry answers the same): the hospital's renewal too.
  assert.equal(generated.generated, 4);
  assert.ok(generated.contracts.some((c) => c.id === renewed.id));
  s.y2 = {};
  for (const c of generated.contracts) s.y2[`${c.institutionId} ${c.productId}`] = c;
  assert.deepEqual(Object.entries(s.y2).map(([k, c]) => `${k} ${c.quantity} ${c.periodStart}..${c.periodEnd}`).sort(), [
    `${H1} ${W1} 300 2026-01-01..2026-12-31`, `${H1} ${W2} 194 2026-01-01..2026-12-31`,
    `${H2} ${W1} 150 2026-01-01..2026-12-31`, `${H2} ${W2} 100 2026-01-01..2026-12-31`,
  ].sort());
  // Renewals have no window: signed on 2025-12-01, H2's again by the agency.
  for (const [h, signer, extra] of [[H1, H1, {}], [H2, AG, { onBehalfOf: H2 }]]) {
    const c = s.y2[`${h} ${W1}`];
    for (const [who, party, x] of [[M1, 'MANUFACTURER', {}], [D, 'DISTRIBUTOR', {}], [signer, 'INSTITUTION', extra]]) {
      const res = await sign(c.id, who, party, x);
      assert.equal(res.status, 200, res.text);
    }
  }
  // C6 states: a year-1 contract whose renewal is EFFECTIVE reads RENEWED; the others stay EFFECTIVE.
  const states = {};
  for (const [k, c] of Object.entries(s.y1)) states[`1 ${k}`] = (await ok('GET', `/v1/contracts/${c.id}`)).state;
  for (const [k, c] of Object.entries(s.y2)) states[`2 ${k}`] = (await ok('GET', `/v1/contracts/${c.id}`)).state;
  assert.deepEqual(states, {
    [`1 ${H1} ${W1}`]: 'RENEWED', [`1 ${H1} ${W2}`]: 'EFFECTIVE', [`1 ${H2} ${W1}`]: 'RENEWED', [`1 ${H2} ${W2}`]: 'EFFECTIVE',
    [`2 ${H1} ${W1}`]: 'EFFECTIVE', [`2 ${H1} ${W2}`]: 'DRAFT', [`2 ${H2} ${W1}`]: 'EFFECTIVE', [`2 ${H2} ${W2}`]: 'DRAFT',
  });
});

test('purchases, one by one and as a daily file (V8, V9)', async () => {
  const one = (h, body) => ok('POST', '/v1/purchases', {
    key: keys[h], body: { institutionId: h, batchCode: B, orderedOn: '2025-11-01', ...body },
  });
  // V8: accepted in November 2025 -> due by 2025-12-31. V9: H2 pays 130 for 10 of W1, 13 a unit,
  // above its max sale price 12.5 (P1a): recorded, flagged.
  const p1 = await one(H1, { productId: W1, quantity: 100, amount: '1250', acceptedOn: '2025-11-02', externalId: `his-${H1}-1` });
  assert.deepEqual([p1.agreementYear, p1.settlementDue, p1.aboveLimit], [1, '2025-12-31', false]);
  const p2 = await one(H2, { productId: W1, quantity: 10, amount: '130', acceptedOn: '2025-11-03', externalId: `his-${H2}-1` });
  assert.deepEqual([p2.agreementYear, p2.settlementDue, p2.aboveLimit], [1, '2025-12-31', true]);
  assertError(await call('POST', '/v1/purchases', {
    key: keys[H2],
    body: { institutionId: H1, productId: W1, batchCode: B, quantity: 1, amount: '12.5', orderedOn: '2025-11-01', acceptedOn: '2025-11-02' },
  }), 403, 'PERMISSION_DENIED');

  // Each hospital's daily file of 2025-11-15: H1 buys the rest of W1 (321 at 12.5 = 4012.5) and
  // all of W2 (281 at 13 = 3653); H2 100 of W1 (1250) and 300 of the non-winning N1 (6000).
  const line = (h, productId, quantity, amount, n) => JSON.stringify({
    institutionId: h, productId, batchCode: B, quantity: String(quantity), amount,
    orderedOn: '2025-11-12', acceptedOn: '2025-11-15', externalId: `his-${h}-1115-${n}`,
  });
  const files = {
    [H1]: [line(H1, W1, 321, '4012.5', 1), line(H1, W2, 281, '3653', 2)].join('\n') + '\n',
    [H2]: [line(H2, W1, 100, '1250', 1), line(H2, N1, 300, '6000', 2)].join('\n') + '\n',
  };
  const send = (h) => ok('POST', '/v1/purchases:import', {
    key: keys[h], raw: files[h], headers: { 'Content-Type': 'application/x-ndjson' },
  });
  assert.deepEqual(await send(H1), { recorded: 2, skipped: 0 });
  assert.deepEqual(await send(H2), { recorded: 2, skipped: 0 });
  // The same file again (a retry): nothing new.
  assert.deepEqual(await send(H1), { recorded: 0, skipped: 2 });
  // A line for another hospital is an error of its line.
  const bad = await ok('POST', '/v1/purchases:import', {
    key: keys[H2], raw: line(H1, W1, 1, '12.5', 9) + '\n', headers: { 'Content-Type': 'application/x-ndjson' },
  });
  assert.deepEqual(bad, {
    recorded: 0, skipped: 0,
    errors: [{ line: 1, field: 'institutionId', reason: "is not the caller's: an institution records its own purchases" }],
  });
});

test('progress (V5), assessment (V6) and prepayment (V7) of year 1 as of 2025-12-01', async () => {
  // Elapsed: 2024-07-22..2025-12-01 is 528 - 30 = 498 of 528 days = 94.3 -> 94. Completion: H1 W1
  // 100 + 321 = 421 of 421, W2 281 of 281; H2 W1 10 + 100 = 110 of 217 = 50.7 -> 50, W2 0 of 144.
  const progress = await ok('GET', `/v1/progress?batchCode=${B}&regionCode=350000&agreementYear=1&asOf=2025-12-01`, { key: keys[PROV] });
  assert.deepEqual(progress.rows.map((r) => `${r.institutionId} ${r.productId} ${r.agreed} ${r.purchased} ${r.completionPercent} ${r.elapsedPercent}`).sort(), [
    `${H1} ${W1} 421 421 100 94`, `${H1} ${W2} 281 281 100 94`, `${H2} ${W1} 217 110 50 94`, `${H2} ${W2} 144 0 0 94`,
  ].sort());
  // A manufacturer sees its own products' rows only.
  const m2 = await ok('GET', `/v1/progress?batchCode=${B}&regionCode=350000&agreementYear=1&asOf=2025-12-01`, { key: keys[M2] });
  assert.deepEqual(m2.rows.map((r) => `${r.institutionId} ${r.productId}`).sort(), [`${H1} ${W2}`, `${H2} ${W2}`].sort());

  // V6: H1 met both agreed quantities and bought nothing non-winning: passes. H2 met neither
  // (W1 110 < 217, W2 0 < 144) and its non-winning N1 is 300 of 410 (30000 > 50 x 410): fails.
  const assessed = await ok('GET', `/v1/assessments?batchCode=${B}&regionCode=350000&agreementYear=1`, { key: keys[PROV] });
  s.assessed = assessed.rows;
  assert.deepEqual(assessed.rows.map((r) => [r.institutionId, r.genericName, r.passed]).sort(),
    [[H1, GN1, true], [H2, GN1, false]]);
  const h2 = assessed.rows.find((r) => r.institutionId === H2);
  assert.deepEqual(h2.reasons, [
    `V6 ${W1}: 110 of 217`, `V6 ${W2}: 0 of 144`, 'V6 non-winning 300 of 410 (73.1%) > 50%',
  ]);
  assert.equal(assessed.rows.find((r) => r.institutionId === H1).reasons, undefined);

  // V7 (drugs 50%): H1 agreed 421 x 12.5 + 281 x 13 = 5262.5 + 3653 = 8915.5, prepaid 2631.25 +
  // 1826.5 = 4457.75, offset by its 8915.5 of purchases up to the prepaid sum: 4457.75, balance 0.
  // H2 agreed 217 x 12.5 + 144 x 13 = 2712.5 + 1872 = 4584.5, prepaid 1356.25 + 936 = 2292.25,
  // offset by 130 + 1250 = 1380 (N1 is not one of those products), balance 912.25. The cycle's
  // last day 2028-07-21: reclaimed by 2028-09-21.
  const pre = (h) => ok('GET', `/v1/prepayments/${h}?batchCode=${B}&agreementYear=1`, { key: keys[h] });
  assert.deepEqual(await pre(H1), {
    rate: 50, agreedAmount: '8915.5000', prepaid: '4457.7500', offset: '4457.7500', balance: '0.0000', reclaimDue: '2028-09-21',
  });
  assert.deepEqual(await pre(H2), {
    rate: 50, agreedAmount: '4584.5000', prepaid: '2292.2500', offset: '1380.0000', balance: '912.2500', reclaimDue: '2028-09-21',
  });
  assertError(await call('GET', `/v1/prepayments/${H1}?batchCode=${B}&agreementYear=1`, { key: keys[H2] }), 403, 'PERMISSION_DENIED');
  // The agency pays prepayments in its region: it reads H1's.
  assert.equal((await ok('GET', `/v1/prepayments/${H1}?batchCode=${B}&agreementYear=1`, { key: keys[AG] })).prepaid, '4457.7500');
});

test('the change feed shows each reader what it may read', async () => {
  const mine = (h) => Object.values(s.y1).concat(Object.values(s.y2)).filter((c) => c.institutionId === h).map((c) => c.id).sort();
  const feed1 = await changes(keys[H1]);
  const feed2 = await changes(keys[H2]);
  const ids = (feed, type) => [...new Set(feed.filter((c) => c.type === type).map((c) => c.id))].sort();
  // A hospital's feed has its own contracts' changes and not the other hospital's.
  assert.deepEqual(ids(feed1, 'contract'), mine(H1));
  assert.deepEqual(ids(feed2, 'contract'), mine(H2));
  // Its year-1 contract's changes: one for each entry of its history (C9).
  const y1 = s.y1[`${H1} ${W1}`].id;
  const history = (await ok('GET', `/v1/contracts/${y1}`, { key: keys[H1] })).history;
  assert.deepEqual(history.map((e) => `${e.action} ${e.toState} ${e.actorId}`), [
    `CREATE DRAFT ${PROV}`, `SIGN PARTIALLY_SIGNED ${M1}`, `SIGN ENTERPRISE_SIGNED ${D}`, `SIGN EFFECTIVE ${H1}`,
    `RENEW EFFECTIVE ${H1}`, `RENEW RENEWED ${H1}`,
  ]);
  assert.deepEqual(feed1.filter((c) => c.type === 'contract' && c.id === y1).map((c) => c.action),
    ['created', 'updated', 'updated', 'updated', 'updated', 'updated']);
  // Its purchases, its demand report: its own only.
  assert.equal(feed1.filter((c) => c.type === 'purchase').length, 3);
  assert.equal(feed2.filter((c) => c.type === 'purchase').length, 3);
  assert.equal(ids(feed1, 'demandReport').length, 1);
  // The province reads all eight contracts.
  assert.deepEqual(ids(await changes(keys[PROV]), 'contract'), [...mine(H1), ...mine(H2)].sort());
});

test('the supervision record: a purchase above the limit, a verified supply issue', async () => {
  // H2 reports W2 short from 2025-11-20 to 2025-11-30 (after its file of 11-15, so the assessment
  // above is the same); the county bureau does not contain H2, the city's verifies (属地核实).
  const issue = await ok('POST', '/v1/supplyIssues', {
    key: keys[H2],
    body: { batchCode: B, institutionId: H2, productId: W2, from: '2025-11-20', to: '2025-11-30', description: '厂家停产' },
  });
  assert.equal(issue.verified, false);
  assertError(await call('POST', `/v1/supplyIssues/${issue.id}:verify`, { key: keys[COUNTY], body: { comment: 'x' } }),
    403, 'PERMISSION_DENIED');
  const verified = await ok('POST', `/v1/supplyIssues/${issue.id}:verify`, { key: keys[CITY], body: { comment: '属实' } });
  assert.deepEqual([verified.verified, verified.verifiedBy], [true, CITY]);
  // On the day of the verification: its verifiedAt, a wall-clock time like a signature's (the
  // pinned today is the rules' day, not the timestamps').
  assert.match(verified.verifiedAt, /^\d{4}-\d{2}-\d{2}T/);
  assert.deepEqual(await ok('GET', `/v1/enterprises/${M2}/record`, { key: keys[M2] }), {
    entries: [{
      kind: 'SUPPLY_ISSUE', at: verified.verifiedAt.slice(0, 10), batchCode: B, productId: W2, regionCode: '350100',
      detail: `Supply of ${W2} to ${H2} interrupted from 2025-11-20 to 2025-11-30 (厂家停产), verified by ${CITY}.`,
    }],
  });
  const record = await ok('GET', `/v1/enterprises/${M1}/record`, { key: keys[M1] });
  assert.deepEqual(record.entries, [{
    kind: 'ABOVE_LIMIT_PURCHASE', at: '2025-11-03', batchCode: B, productId: W1, regionCode: '350100',
    detail: `${H2} bought 10 of ${W1} for 130.0000, 13.0000 a unit, above the max sale price 12.5000 in force.`,
  }]);
  assert.deepEqual(await ok('GET', `/v1/enterprises/${M3}/record`, { key: keys[PROV] }), {});
  assertError(await call('GET', `/v1/enterprises/${M1}/record`, { key: keys[M2] }), 403, 'PERMISSION_DENIED');
});

// GET answers of a stack, as its admin.
async function reads(get) {
  const out = {
    batch: await get(`/v1/batches/${B}`),
    agreementYears: await get(`/v1/batches/${B}/executions/350000/agreementYears`),
    results: await get(`/v1/batches/${B}/results`),
    allocations: await get(`/v1/allocations?batchCode=${B}&regionCode=350000`),
  };
  for (const c of [...Object.values(s.y1), ...Object.values(s.y2)]) out[c.id] = await get(`/v1/contracts/${c.id}`);
  return out;
}

test('export, import into a fresh second stack, and the same answers there', async () => {
  // A hospital exports nothing; the batch's alliance office does.
  assertError(await call('GET', `/v1/exchange/batches/${B}?regionCode=350000`, { key: keys[H1] }), 403, 'PERMISSION_DENIED');
  const res = await call('GET', `/v1/exchange/batches/${B}?regionCode=350000`, { key: keys[AO] });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  const file = res.text;
  const lines = file.slice(0, -1).split('\n').map((l) => JSON.parse(l));
  const perType = {};
  for (const l of lines) perType[Object.keys(l)[0]] = (perType[Object.keys(l)[0]] ?? 0) + 1;
  // Fujian's part of B: the regions it names (its members 360000, 350000, 220000 and Fujian's
  // city and county), the organizations of Fujian and the office (not Jilin's bureau), B's five
  // products, Fujian's execution only, both groups, five results, year 1's four allocations
  // (year 2 has none: its contracts took the floor), the eight contracts, year 1's progress as
  // of today.
  assert.deepEqual(perType, {
    region: 5, organization: 11, product: 5, batch: 1, execution: 1, group: 2, result: 5,
    allocation: 4, contract: 8, progress: 4, end: 1,
  });
  const records = 46;
  assert.deepEqual(lines.at(-1), { end: { records: String(records) } });
  assert.deepEqual(lines.filter((l) => l.organization).map((l) => l.organization.id).sort(),
    [AO, PROV, CITY, COUNTY, AG, H1, H2, M1, M2, M3, D].sort());
  assert.deepEqual(lines.filter((l) => l.progress).map(({ progress: p }) =>
    `${p.agreementYear} ${p.asOf} ${p.institutionId} ${p.productId} ${p.agreed} ${p.purchased} ${p.completionPercent} ${p.elapsedPercent}`).sort(), [
    `1 2025-12-01 ${H1} ${W1} 421 421 100 94`, `1 2025-12-01 ${H1} ${W2} 281 281 100 94`,
    `1 2025-12-01 ${H2} ${W1} 217 110 50 94`, `1 2025-12-01 ${H2} ${W2} 144 0 0 94`,
  ].sort());

  // The target: a fresh stack; its own alliance office (Zhejiang, a region the file does not
  // carry) imports the file.
  await okOnTarget('POST', '/v1/regions', { body: { code: '330000', name: '浙江省', level: 'PROVINCE' } });
  const office = `TAO-${run}`;
  await okOnTarget('POST', '/v1/organizations', {
    body: { id: office, name: '浙江联采办', kind: 'ALLIANCE_OFFICE', regionCode: '330000', creditCode: creditCode('330000') },
  });
  const officeKey = (await okOnTarget('POST', '/v1/apiKeys', { body: { organizationId: office } })).key;
  const importFile = () => okOnTarget('POST', '/v1/exchange:import',
    { key: officeKey, raw: file, headers: { 'Content-Type': 'application/x-ndjson' } });
  assert.deepEqual(await importFile(), { imported: records, skipped: 0 });
  // Again: nothing new.
  assert.deepEqual(await importFile(), { imported: 0, skipped: records });

  const source = await reads((p) => ok('GET', p));
  const target = await reads((p) => okOnTarget('GET', p));
  assert.deepEqual(target, source);
  // Not two empty answers alike.
  assert.equal(target.batch.createdBy, AO);
  assert.equal(target.results.results.length, 5);
  assert.deepEqual(target.allocations.allocations.map((a) => `${a.institutionId} ${a.productId} ${a.agreedQuantity}`).sort(),
    [`${H1} ${W1} 421`, `${H1} ${W2} 281`, `${H2} ${W1} 217`, `${H2} ${W2} 144`].sort());
  const c = target[s.y1[`${H2} ${W1}`].id];
  assert.deepEqual([c.state, c.quantity, c.signatures.map((x) => `${x.party} ${x.signedBy} ${x.onBehalfOf ?? ''}`)],
    ['RENEWED', '217', [`MANUFACTURER ${M1} `, `DISTRIBUTOR ${D} `, `INSTITUTION ${AG} ${H2}`]]);
});
