// The life of a demand report through the gateway, as hospitals, bureaus and manufacturers call it
// (REST + JSON, each with its own key), with the real catalog-svc, pricing-svc and volume-svc behind
// it (tests/stack.sh starts them, and contract-svc): report -> review chain -> agreed volumes ->
// purchases (one by one and a daily NDJSON file) -> progress -> supply issue -> assessment ->
// prepayment. Every expected value below is worked out by hand from DOMAIN.md "Volume rules"; the
// arithmetic is in the comments.
//
// The scene (Fujian, 350000): batch executed from 2024-07-22 for 4 years, so (C5, C6) agreement
// year 1 is 2024-07-22..2025-12-31 = 10+31+30+31+30+31 (2024) + 365 (2025) = 528 days, and the
// cycle's last day is 2028-07-21. Group G1 (competitive) of generic name GN:
//   W1 (maker M1) WINNING 60% at 12.3457, W2 (maker M2) WINNING 40% at 13.8333,
//   N  (maker M3) NON_WINNING, NOT_EVALUATED, listed at 20.0000.
// Max sale prices (P1c: min(lowest listing in G1 = 20, winning price)): W1 12.3457, W2 13.8333;
// N (LISTED) 20.0000.
// Hospitals: H1 in county 350121 (闽侯县), H2 in city 350100 (福州市). Bureaus: the province, the
// city 350100, the county 350121, and county 350122 (连江县), which is not H1's.
//
// Its ids carry a random run tag, so it can share the stack with pricing.test.mjs (the regions it
// shares are written with the same values); CMakeLists.txt keeps the two from running at once,
// since its catalog and listing writes move the versions in pricing's ETags.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { assertError, call, creditCode } from './http.mjs';

const run = crypto.randomBytes(4).toString('hex');
const batch = `VB-FJ-${run}`;
const GN = `氨氯地平-${run}`;
const [W1, W2, N] = ['W1', 'W2', 'N'].map((p) => `${p}-${run}`);
const [M1, M2, M3] = ['VM1', 'VM2', 'VM3'].map((m) => `${m}-${run}`);
const [H1, H2] = ['H1', 'H2'].map((h) => `${h}-${run}`);
const [PROV, CITY, COUNTY, OTHER_COUNTY] = ['BP', 'BC', 'BX', 'BY'].map((b) => `${b}-${run}`);
const commitment = crypto.createHash('sha256').update(`承诺书 ${run}: 院长、党委书记签字`).digest('hex');
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;

const keys = {};
const state = {};

async function ok(method, path, { key, body } = {}) {
  const res = await call(method, path, { key, body });
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
  return res.json;
}

before(async () => {
  for (const [code, name, level, parentCode] of [
    ['350000', '福建省', 'PROVINCE', ''],
    ['350100', '福州市', 'CITY', '350000'],
    ['350121', '闽侯县', 'COUNTY', '350100'],
    ['350122', '连江县', 'COUNTY', '350100'],
  ])
    await ok('POST', '/v1/regions', { body: { code, name, level, parentCode } });

  const orgs = [
    [PROV, '福建省医疗保障局', 'BUREAU', '350000'],
    [CITY, '福州市医疗保障局', 'BUREAU', '350100'],
    [COUNTY, '闽侯县医疗保障局', 'BUREAU', '350121'],
    [OTHER_COUNTY, '连江县医疗保障局', 'BUREAU', '350122'],
    [H1, '闽侯县总医院', 'MEDICAL_INSTITUTION', '350121'],
    [H2, '福州市第一医院', 'MEDICAL_INSTITUTION', '350100'],
    [M1, '甲药业', 'MANUFACTURER', '350000'],
    [M2, '乙药业', 'MANUFACTURER', '350000'],
    [M3, '丙药业', 'MANUFACTURER', '350000'],
  ];
  for (const [id, name, kind, regionCode] of orgs) {
    const body = { id, name, kind, regionCode, creditCode: creditCode(regionCode) };
    if (kind === 'MEDICAL_INSTITUTION') body.institutionType = 'PUBLIC';
    await ok('POST', '/v1/organizations', { body });
    const minted = await ok('POST', '/v1/apiKeys', { body: { organizationId: id } });
    assert.equal(minted.organizationId, id);
    assert.equal(minted.role, kind);
    keys[id] = minted.key;
  }

  await ok('POST', '/v1/batches', {
    body: {
      code: batch, name: '福建省药品带量采购', kind: 'DRUG', organizerLevel: 'PROVINCE',
      leadRegionCode: '350000', memberRegionCodes: ['350000'], cycleYears: 4,
    },
  });
  await ok('POST', `/v1/batches/${batch}/executions`, {
    body: { regionCode: '350000', listingDate: '2024-07-18', startDate: '2024-07-22' },
  });
  for (const [id, manufacturerId, qualityTier] of [
    [W1, M1, 'CONSISTENCY_PASSED'], [W2, M2, 'CONSISTENCY_PASSED'], [N, M3, 'NOT_EVALUATED'],
  ])
    await ok('POST', '/v1/products', {
      body: {
        id, kind: 'DRUG', genericName: GN, dosageForm: '片剂', specification: '5mg', unit: '片',
        manufacturerId, qualityTier, inInsuranceCatalog: true,
      },
    });
  await ok('POST', `/v1/batches/${batch}/groups`, { body: { id: 'G1', genericName: GN, competitive: true } });
  await ok('POST', `/v1/batches/${batch}/results`, {
    body: { productId: W1, groupId: 'G1', status: 'WINNING', winningPrice: '12.3457', sharePercent: 60 },
  });
  await ok('POST', `/v1/batches/${batch}/results`, {
    body: { productId: W2, groupId: 'G1', status: 'WINNING', winningPrice: '13.8333', sharePercent: 40 },
  });
  await ok('POST', `/v1/batches/${batch}/results`, { body: { productId: N, groupId: 'G1', status: 'NON_WINNING' } });
  await ok('PUT', `/v1/listings/350000/${N}`, { body: { price: '20', listedOn: '2024-07-18' } });
});

test('GET /readyz: every backend serving, volume-svc among them', async () => {
  const res = await call('GET', '/readyz', { key: null });
  // The stack runs all four services (contract-svc too), so the gateway is ready as a whole.
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, {
    backends: { catalog: 'SERVING', contract: 'SERVING', pricing: 'SERVING', volume: 'SERVING' },
    status: 'ready',
  });
});

test('the scene: agreement years (C6) and the max sale prices purchases are held to (P1c)', async () => {
  const years = await ok('GET', `/v1/batches/${batch}/executions/350000/agreementYears`);
  assert.deepEqual(years.agreementYears, [
    { year: 1, start: '2024-07-22', end: '2025-12-31' },
    { year: 2, start: '2026-01-01', end: '2026-12-31' },
    { year: 3, start: '2027-01-01', end: '2027-12-31' },
    { year: 4, start: '2028-01-01', end: '2028-07-21' },
  ]);
  const prices = await ok('POST', '/v1/prices:batchGet', {
    body: { regionCode: '350000', productIds: [W1, W2, N], date: '2024-09-02' },
  });
  assert.deepEqual(prices.prices.map((p) => [p.productId, p.maxSalePrice, p.rule]), [
    [W1, '12.3457', 'P1c'], [W2, '13.8333', 'P1c'], [N, '20.0000', 'LISTED'],
  ]);
});

// V1: H1 is a county hospital, so its drug report goes COUNTY -> CITY -> PROVINCE; H2 is registered
// at city level, so its chain starts at the city: CITY -> PROVINCE.
test('demand reports and their review chain (V1)', async () => {
  const h1Body = {
    batchCode: batch, regionCode: '350000', institutionId: H1, groupId: 'G1', agreementYear: 1,
    quantity: 1003, lastYearQuantity: '980', commitmentSha256: commitment,
  };
  // Only the hospital itself reports its demand.
  assertError(await call('POST', '/v1/demandReports', { key: keys[H2], body: h1Body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/demandReports', { key: keys[COUNTY], body: h1Body }), 403, 'PERMISSION_DENIED');
  const submitted = await ok('POST', '/v1/demandReports', { key: keys[H1], body: h1Body });
  assert.match(submitted.id, /^dr-[0-9a-f]{24}$/);
  assert.deepEqual(submitted, {
    id: submitted.id, batchCode: batch, regionCode: '350000', institutionId: H1, groupId: 'G1',
    quantity: '1003', lastYearQuantity: '980', commitmentSha256: commitment, state: 'SUBMITTED',
    agreementYear: 1,
  });
  const h1 = submitted.id;
  // Sent again (a retry): the same report; other numbers for the same group and year: refused.
  assert.deepEqual(await ok('POST', '/v1/demandReports', { key: keys[H1], body: h1Body }), submitted);
  assertError(await call('POST', '/v1/demandReports', { key: keys[H1], body: { ...h1Body, quantity: 1004 } }),
    409, 'ALREADY_EXISTS', 'groupId');

  const review = (id, who, level, approve = true, comment = `${level} ok`) =>
    call('POST', `/v1/demandReports/${id}:review`, { key: keys[who], body: { level, approve, comment } });
  // Out of order: the city and the province before the county.
  assertError(await review(h1, CITY, 'CITY'), 400, 'INVALID_ARGUMENT', 'level');
  assertError(await review(h1, PROV, 'PROVINCE'), 400, 'INVALID_ARGUMENT', 'level');
  // A county bureau whose region does not contain H1's; a bureau at a level not its own; a hospital.
  assertError(await review(h1, OTHER_COUNTY, 'COUNTY'), 403, 'PERMISSION_DENIED');
  assertError(await review(h1, CITY, 'COUNTY'), 403, 'PERMISSION_DENIED');
  assertError(await review(h1, H1, 'COUNTY'), 403, 'PERMISSION_DENIED');

  let res = await review(h1, COUNTY, 'COUNTY');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'IN_REVIEW');
  res = await review(h1, CITY, 'CITY');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'IN_REVIEW');
  res = await review(h1, PROV, 'PROVINCE');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'APPROVED');
  for (const r of res.json.reviews) assert.match(r.at, TIME);
  assert.deepEqual(res.json.reviews.map(({ at, ...r }) => r), [
    { level: 'COUNTY', approve: true, comment: 'COUNTY ok', reviewerId: COUNTY },
    { level: 'CITY', approve: true, comment: 'CITY ok', reviewerId: CITY },
    { level: 'PROVINCE', approve: true, comment: 'PROVINCE ok', reviewerId: PROV },
  ]);
  // Approved: nothing more to review.
  assertError(await review(h1, PROV, 'PROVINCE'), 400, 'INVALID_ARGUMENT', 'level');

  // H2's first report is rejected by the city (only approved reports count), the second approved.
  const h2Body = { ...h1Body, institutionId: H2, quantity: '9999', lastYearQuantity: '480' };
  const first = await ok('POST', '/v1/demandReports', { key: keys[H2], body: h2Body });
  assertError(await review(first.id, COUNTY, 'COUNTY'), 403, 'PERMISSION_DENIED'); // H2 is not in 350121
  assertError(await review(first.id, PROV, 'PROVINCE'), 400, 'INVALID_ARGUMENT', 'level');
  assertError(await review(first.id, CITY, 'CITY', false, ''), 400, 'INVALID_ARGUMENT', 'comment');
  res = await review(first.id, CITY, 'CITY', false, '远超去年用量');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'REJECTED');
  assert.deepEqual(res.json.reviews.map(({ at, ...r }) => r), [
    { level: 'CITY', approve: false, comment: '远超去年用量', reviewerId: CITY },
  ]);
  const second = await ok('POST', '/v1/demandReports', { key: keys[H2], body: { ...h2Body, quantity: 515 } });
  assert.notEqual(second.id, first.id);
  assert.equal(second.state, 'SUBMITTED');
  assert.equal(second.quantity, '515');
  res = await review(second.id, CITY, 'CITY');
  assert.equal(res.json.state, 'IN_REVIEW', res.text);
  res = await review(second.id, PROV, 'PROVINCE');
  assert.equal(res.json.state, 'APPROVED', res.text);
  assert.deepEqual(res.json.reviews.map((r) => [r.level, r.reviewerId]), [['CITY', CITY], ['PROVINCE', PROV]]);
});

// V2 then V3, G1 at 70% (groupRatios; ratioPercent 90 is for the other groups, of which there are none):
//   H1: 1003 x 70% = 702.1 -> 702. W1 702 x 60% = 421.2 -> 421 (remainder .2),
//       W2 702 x 40% = 280.8 -> 280 (remainder .8); 421 + 280 = 701, the one unit left goes to the
//       largest remainder, W2: 281. (421 + 281 = 702)
//   H2: 515 x 70% = 360.5 -> 361 (half up). W1 361 x 60% = 216.6 -> 216 (.6), W2 361 x 40% = 144.4
//       -> 144 (.4); the one unit left goes to W1: 217. (217 + 144 = 361)
// The rejected 9999 counts nowhere.
const allocation = (institutionId, productId, agreedQuantity, baseQuantity) => ({
  batchCode: batch, regionCode: '350000', institutionId, groupId: 'G1', productId, agreementYear: 1,
  agreedQuantity, ratioPercent: 70, baseQuantity,
});
const ALLOCATIONS = [
  allocation(H1, W1, '421', '1003'), allocation(H1, W2, '281', '1003'),
  allocation(H2, W1, '217', '515'), allocation(H2, W2, '144', '515'),
];

test('agreed volumes: POST /v1/allocations:compute by the provincial bureau (V2, V3)', async () => {
  const body = {
    batchCode: batch, regionCode: '350000', agreementYear: 1, ratioPercent: 90,
    groupRatios: [{ groupId: 'G1', ratioPercent: 70 }],
  };
  assertError(await call('POST', '/v1/allocations:compute', { key: keys[CITY], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/allocations:compute', { key: keys[H1], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/allocations:compute', {
    key: keys[PROV], body: { ...body, groupRatios: [{ groupId: 'G9', ratioPercent: 70 }] },
  }), 400, 'INVALID_ARGUMENT', 'groupRatios[0].groupId');
  const computed = await ok('POST', '/v1/allocations:compute', { key: keys[PROV], body });
  assert.deepEqual(computed, { computed: 4, allocations: ALLOCATIONS });
  // Computing again gives the same.
  assert.deepEqual(await ok('POST', '/v1/allocations:compute', { key: keys[PROV], body }), computed);
});

test('GET /v1/allocations: a hospital sees its own, a manufacturer its products\'', async () => {
  const q = `/v1/allocations?batchCode=${batch}&agreementYear=1`;
  assert.deepEqual(await ok('GET', q, { key: keys[PROV] }), { allocations: ALLOCATIONS });
  assert.deepEqual(await ok('GET', q, { key: keys[H1] }), { allocations: ALLOCATIONS.slice(0, 2) });
  assert.deepEqual(await ok('GET', q, { key: keys[H2] }), { allocations: ALLOCATIONS.slice(2) });
  // Another hospital's, asked for by name: filtered away, not refused.
  assert.deepEqual(await ok('GET', `${q}&institutionId=${H2}`, { key: keys[H1] }), {});
  assert.deepEqual(await ok('GET', q, { key: keys[M2] }), { allocations: [ALLOCATIONS[1], ALLOCATIONS[3]] });
  assert.deepEqual(await ok('GET', q, { key: keys[M1] }), { allocations: [ALLOCATIONS[0], ALLOCATIONS[2]] });
  assert.deepEqual(await ok('GET', q, { key: keys[M3] }), {}); // the non-winning maker has none
  // The county bureau sees the institutions of its county, the city bureau both.
  assert.deepEqual(await ok('GET', q, { key: keys[COUNTY] }), { allocations: ALLOCATIONS.slice(0, 2) });
  assert.deepEqual(await ok('GET', `${q}&pageSize=3`, { key: keys[CITY] }).then((r) => r.allocations),
    ALLOCATIONS.slice(0, 3));
});

// H1's purchases, one by one. V8: due by the end of the month after acceptance. V9: aboveLimit when
// amount > limit x quantity (limits above); agreementYear 0 outside the cycle (before 2024-07-22).
const h1Purchases = [
  // [externalId tag, product, quantity, amount, orderedOn, acceptedOn, agreementYear, settlementDue, aboveLimit]
  // Before the start: year 0; no execution in force and W1 has no listing, so no limit to be above.
  ['p0', W1, 5, '61.7285', '2024-07-19', '2024-07-20', 0, '2024-08-31', false],
  // 100 x 12.3457 = 1234.57: exactly at the limit.
  ['p1', W1, 100, '1234.57', '2024-08-10', '2024-08-15', 1, '2024-09-30', false],
  // 10 for 130: 130 > 10 x 12.3457 = 123.457, above the limit.
  ['p2', W1, 10, '130', '2024-08-30', '2024-09-02', 1, '2024-10-31', true],
  // 311 x 12.3457 = 3839.5127; accepted on the last day of January: due the last day of February.
  ['p3', W1, 311, '3839.5127', '2025-01-20', '2025-01-31', 1, '2025-02-28', false],
  // 200 x 13.8333 = 2766.66.
  ['p4', W2, 200, '2766.66', '2024-11-15', '2024-11-20', 1, '2024-12-31', false],
  // 81 x 13.8333 = 1120.4973, after progress's asOf (2025-03-01).
  ['p5', W2, 81, '1120.4973', '2025-03-05', '2025-03-10', 1, '2025-04-30', false],
  // Non-winning N at 18 (below its listed 20); accepted inside the supply issue of W2 reported below.
  ['p6', N, 900, '16200', '2024-10-10', '2024-10-15', 1, '2024-11-30', false],
  // N at 21 a unit: 4200 > 200 x 20.0000 = 4000, above its listed limit.
  ['p7', N, 200, '4200', '2025-02-05', '2025-02-10', 1, '2025-03-31', true],
];

// API.md: money in answers has exactly four decimals, whatever the request wrote.
function money4(text) {
  const [whole, frac = ''] = text.split('.');
  return `${whole}.${frac.padEnd(4, '0')}`;
}

async function recordH1(rows) {
  for (const [tag, productId, quantity, amount, orderedOn, acceptedOn, agreementYear, settlementDue, aboveLimit] of rows) {
    const body = {
      institutionId: H1, productId, batchCode: batch, quantity, amount, orderedOn, acceptedOn,
      externalId: `${run}-${tag}`,
    };
    const res = await call('POST', '/v1/purchases', { key: keys[H1], body });
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.id, /^\d+$/);
    assert.deepEqual(res.json, {
      id: res.json.id, institutionId: H1, productId, batchCode: batch, quantity: String(quantity),
      amount: money4(amount), orderedOn, acceptedOn, settlementDue, externalId: `${run}-${tag}`,
      agreementYear, aboveLimit,
    }, tag);
  }
}

// V7 for H1, year 1, a drug batch: rate 50%, each product rounded half away from zero on its own.
//   W1: 421 x 12.3457 = 5197.5397; x 50% = 2598.76985 -> 2598.7699
//   W2: 281 x 13.8333 = 3887.1573; x 50% = 1943.57865 -> 1943.5787
//   agreedAmount 5197.5397 + 3887.1573 = 9084.6970; prepaid 2598.7699 + 1943.5787 = 4542.3486
//   (rounding the sum instead would give 9084.6970 x 50% = 4542.3485).
//   reclaimDue: two months after the cycle's last day 2028-07-21: 2028-09-21.
const prepayment = (offset, balance) => ({
  rate: 50, agreedAmount: '9084.6970', prepaid: '4542.3486', offset, balance, reclaimDue: '2028-09-21',
});

test('POST /v1/purchases: agreementYear, settlementDue, aboveLimit (V8, V9), and the prepayment offset (V7)', async () => {
  const body = {
    institutionId: H1, productId: W1, batchCode: batch, quantity: 1, amount: '12.3457',
    orderedOn: '2024-08-01', acceptedOn: '2024-08-02',
  };
  assertError(await call('POST', '/v1/purchases', { key: keys[H2], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/purchases', { key: keys[PROV], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/purchases', { key: keys[H1], body: { ...body, acceptedOn: '2024-07-31' } }),
    400, 'INVALID_ARGUMENT', 'acceptedOn');
  assertError(await call('POST', '/v1/purchases', { key: keys[H1], body: { ...body, quantity: 0 } }),
    400, 'INVALID_ARGUMENT', 'quantity');

  await recordH1(h1Purchases.slice(0, 3));
  // p0 lies in no agreement year; p1 and p2 offset the prepayment: 1234.57 + 130 = 1364.5700,
  // balance 4542.3486 - 1364.5700 = 3177.7786.
  const path = `/v1/prepayments/${H1}?batchCode=${batch}&agreementYear=1`;
  assert.deepEqual(await ok('GET', path, { key: keys[H1] }), prepayment('1364.5700', '3177.7786'));
  await recordH1(h1Purchases.slice(3));
  // The same line again (same externalId, same content) is the same purchase; other content is refused.
  const [tag, productId, quantity, amount, orderedOn, acceptedOn] = h1Purchases[1];
  const again = { institutionId: H1, productId, batchCode: batch, quantity, amount, orderedOn, acceptedOn, externalId: `${run}-${tag}` };
  const first = await ok('POST', '/v1/purchases', { key: keys[H1], body: again });
  assert.equal(first.settlementDue, '2024-09-30');
  assert.equal(first.amount, '1234.5700');
  assertError(await call('POST', '/v1/purchases', { key: keys[H1], body: { ...again, quantity: 99 } }),
    409, 'ALREADY_EXISTS', 'externalId');
});

// H2's daily file: line 3 is bad (quantity 0); a blank line 5 is no purchase.
//   line 1: W1 150 x 12.3457 = 1851.855, line 2: W2 144 x 13.8333 = 1991.9952 (quantity as a
//   string), line 4: N 300 at 18 = 5400.
test('POST /v1/purchases:import: NDJSON, line by line, and safe to send twice', async () => {
  const line = (tag, productId, quantity, amount, orderedOn, acceptedOn) => JSON.stringify({
    institutionId: H2, productId, batchCode: batch, quantity, amount, orderedOn, acceptedOn, externalId: `${run}-${tag}`,
  });
  const file = [
    line('f1', W1, 150, '1851.855', '2024-10-08', '2024-10-10'),
    line('f2', W2, '144', '1991.9952', '2024-11-01', '2024-11-05'),
    line('f3', W1, 0, '0', '2024-11-01', '2024-11-05'),
    line('f4', N, 300, '5400', '2024-11-28', '2024-12-01'),
    '',
  ].join('\n');
  const send = (key) => call('POST', '/v1/purchases:import', {
    key, raw: file, headers: { 'Content-Type': 'application/x-ndjson' },
  });
  const errors = [{ line: 3, field: 'quantity', reason: 'must be more than zero' }];
  assertError(await send(keys[PROV]), 403, 'PERMISSION_DENIED');
  let res = await send(keys[H2]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { recorded: 3, skipped: 0, errors });
  res = await send(keys[H2]);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { recorded: 0, skipped: 3, errors });
  // H1's key may not send H2's lines: each is refused on its own.
  res = await send(keys[H1]);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.recorded, 0);
  assert.equal(res.json.skipped, 0);
  assert.deepEqual(res.json.errors.map((e) => [e.line, e.field]),
    [[1, 'institutionId'], [2, 'institutionId'], [3, 'quantity'], [4, 'institutionId']]);
});

// V5 as of 2025-03-01 in year 1 (2024-07-22..2025-12-31, 528 days): elapsed = 223 days
// (10+31+30+31+30+31 in 2024, 31+28+1 in 2025) x 100 / 528 = 42.23 -> 42.
//   H1 W1: p1 100 + p2 10 + p3 311 = 421 of 421 -> 100 (p0 is in no year)
//   H1 W2: p4 200 (p5 is after asOf) of 281 -> 20000 / 281 = 71.17 -> 71
//   H2 W1: 150 of 217 -> 15000 / 217 = 69.12 -> 69
//   H2 W2: 144 of 144 -> 100
// N has no agreed volume, so no row.
const PROGRESS = [
  { institutionId: H1, productId: W1, agreed: '421', purchased: '421', completionPercent: 100, elapsedPercent: 42 },
  { institutionId: H1, productId: W2, agreed: '281', purchased: '200', completionPercent: 71, elapsedPercent: 42 },
  { institutionId: H2, productId: W1, agreed: '217', purchased: '150', completionPercent: 69, elapsedPercent: 42 },
  { institutionId: H2, productId: W2, agreed: '144', purchased: '144', completionPercent: 100, elapsedPercent: 42 },
];

test('GET /v1/progress as of 2025-03-01 (V5)', async () => {
  const q = `/v1/progress?batchCode=${batch}&regionCode=350000&agreementYear=1&asOf=2025-03-01`;
  assert.deepEqual(await ok('GET', q, { key: keys[PROV] }), { rows: PROGRESS });
  assert.deepEqual(await ok('GET', q, { key: keys[H2] }), { rows: PROGRESS.slice(2) });
  assert.deepEqual(await ok('GET', q, { key: keys[M2] }), { rows: [PROGRESS[1], PROGRESS[3]] });
  assert.deepEqual(await ok('GET', q, { key: keys[COUNTY] }), { rows: PROGRESS.slice(0, 2) });
  // The year defaults to the one containing asOf; the whole year later, p5 counts: 281 of 281.
  const late = await ok('GET', `/v1/progress?batchCode=${batch}&regionCode=350000&asOf=2025-12-31`, { key: keys[H1] });
  assert.deepEqual(late.rows.map((r) => [r.productId, r.purchased, r.completionPercent, r.elapsedPercent]),
    [[W1, '421', 100, 100], [W2, '281', 100, 100]]);
});

// V6 per hospital x variety (GN), year 1, cap 50%:
//   H1: W1 421 >= 421, W2 200 + 81 = 281 >= 281. Non-winning N: p6 900 + p7 200 = 1100 of
//       421 + 281 + 1100 = 1802: 110000 > 50 x 1802 = 90100 -> fails, 1100000 / 1802 = 610.4 -> 61.0%.
//       Once W2's supply issue (2024-10-01..2024-10-31) is verified, p6 (accepted 2024-10-15) is left
//       out: 200 of 902: 20000 <= 45100 -> passes.
//   H2: W1 150 < 217 -> fails; W2 144 >= 144; N 300 of 150 + 144 + 300 = 594: 30000 > 29700 -> fails,
//       300000 / 594 = 505.05 -> 50.5%.
const H2_ROW = {
  institutionId: H2, genericName: GN, passed: false,
  reasons: [`V6 ${W1}: 150 of 217`, 'V6 non-winning 300 of 594 (50.5%) > 50%'],
};

test('supply issue, assessment (V6) before and after its verification, and the prepayment (V7)', async () => {
  const issue = {
    batchCode: batch, institutionId: H1, productId: W2, from: '2024-10-01', to: '2024-10-31',
    description: '中选企业乙药业断供',
  };
  assertError(await call('POST', '/v1/supplyIssues', { key: keys[H2], body: issue }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/supplyIssues', { key: keys[H1], body: { ...issue, productId: N } }),
    400, 'INVALID_ARGUMENT', 'productId');
  const reported = await ok('POST', '/v1/supplyIssues', { key: keys[H1], body: issue });
  assert.match(reported.id, /^si-[0-9a-f]{24}$/);
  assert.deepEqual(reported, { ...issue, id: reported.id, regionCode: '350000', verified: false });

  const assess = `/v1/assessments?batchCode=${batch}&regionCode=350000&agreementYear=1`;
  assert.deepEqual(await ok('GET', assess, { key: keys[PROV] }), {
    rows: [
      { institutionId: H1, genericName: GN, passed: false, reasons: ['V6 non-winning 1100 of 1802 (61.0%) > 50%'] },
      H2_ROW,
    ],
  });

  const verify = (who) => call('POST', `/v1/supplyIssues/${reported.id}:verify`, { key: keys[who], body: { comment: '属地核实属实' } });
  assertError(await verify(OTHER_COUNTY), 403, 'PERMISSION_DENIED');
  assertError(await verify(H1), 403, 'PERMISSION_DENIED');
  const res = await verify(COUNTY);
  assert.equal(res.status, 200, res.text);
  assert.match(res.json.verifiedAt, TIME);
  assert.deepEqual(res.json, {
    ...reported, verified: true, verifiedBy: COUNTY, verifyComment: '属地核实属实', verifiedAt: res.json.verifiedAt,
  });

  const H1_ROW = { institutionId: H1, genericName: GN, passed: true };
  assert.deepEqual(await ok('GET', assess, { key: keys[PROV] }), { rows: [H1_ROW, H2_ROW] });
  assert.deepEqual(await ok('GET', assess, { key: keys[H2] }), { rows: [H2_ROW] });
  assert.deepEqual(await ok('GET', assess, { key: keys[COUNTY] }), { rows: [H1_ROW] });

  // V7 at the end of it: H1's year-1 purchases of W1 and W2 are 1234.57 + 130 + 3839.5127 + 2766.66
  // + 1120.4973 = 9091.24 (N is not prepaid, p0 is in no year), more than the 4542.3486 prepaid:
  // the offset stops there and nothing is left to reclaim.
  const path = `/v1/prepayments/${H1}?batchCode=${batch}&agreementYear=1`;
  const done = prepayment('4542.3486', '0.0000');
  assert.deepEqual(await ok('GET', path, { key: keys[H1] }), done);
  assert.deepEqual(await ok('GET', path, { key: keys[COUNTY] }), done);
  assertError(await call('GET', path, { key: keys[H2] }), 403, 'PERMISSION_DENIED');
  assertError(await call('GET', path, { key: keys[OTHER_COUNTY] }), 403, 'PERMISSION_DENIED');
});
