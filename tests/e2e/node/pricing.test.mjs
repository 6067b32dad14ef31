// Price look-ups and listings through the gateway, as hospital apps and vendor portals call them,
// with the real catalog-svc and pricing-svc behind it (tests/stack.sh starts them, volume-svc,
// contract-svc and the gateway). The answers are DOMAIN.md's worked example (Fujian, competitive group:
// limit(A) = 30.0000, L = 30).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { assertError, call, creditCode } from './http.mjs';

const run = crypto.randomBytes(4).toString('hex');
const batch = `FJ-${run}`;
const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((p) => `${p}-${run}`);
const day = '2024-08-01';
let makerKey;

async function ok(method, path, body) {
  const res = await call(method, path, { body });
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
  return res.json;
}

before(async () => {
  await ok('POST', '/v1/regions', { code: '350000', name: '福建省', level: 'PROVINCE' });
  await ok('POST', '/v1/regions', { code: '350100', name: '福州市', level: 'CITY', parentCode: '350000' });
  const makers = [1, 2, 3, 4].map((i) => `M${i}-${run}`);
  for (const id of makers)
    await ok('POST', '/v1/organizations', {
      id, name: `厂家${id}`, kind: 'MANUFACTURER', regionCode: '350000', creditCode: creditCode('350000'),
    });
  makerKey = (await ok('POST', '/v1/apiKeys', { organizationId: makers[1] })).key;
  await ok('POST', '/v1/batches', {
    code: batch, name: '福建药品集采', kind: 'DRUG', organizerLevel: 'PROVINCE',
    leadRegionCode: '350000', memberRegionCodes: ['350000'], cycleYears: 2,
  });
  await ok('POST', `/v1/batches/${batch}/executions`, { regionCode: '350000', listingDate: '2024-07-20', startDate: day });
  for (const [i, id] of [A, B, C, D].entries())
    await ok('POST', '/v1/products', {
      id, kind: 'DRUG', genericName: '阿莫西林', dosageForm: '胶囊剂', specification: '0.25g', unit: '粒',
      manufacturerId: makers[i], inInsuranceCatalog: true,
    });
  await ok('POST', `/v1/batches/${batch}/groups`, { id: 'G', genericName: '阿莫西林', competitive: true });
  await ok('POST', `/v1/batches/${batch}/results`, { productId: A, groupId: 'G', status: 'WINNING', winningPrice: '30' });
  for (const p of [B, C])
    await ok('POST', `/v1/batches/${batch}/results`, { productId: p, groupId: 'G', status: 'NON_WINNING' });
  for (const [p, price] of [[B, '45'], [C, '38'], [D, '50']])
    await ok('PUT', `/v1/listings/350000/${p}`, { price, listedOn: '2024-01-01' });
});

test('GET /v1/prices answers with API.md fields, for a city too', async () => {
  let res = await call('GET', `/v1/prices/350000/${A}?date=${day}`, { key: makerKey });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, {
    productId: A, regionCode: '350000', batchCode: batch, maxSalePrice: '30.0000',
    paymentStandard: '30.0000', rule: 'P1c', standardRule: 'P2a', covered: true,
  });
  res = await call('GET', `/v1/prices/350100/${B}?date=${day}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, {
    productId: B, regionCode: '350000', batchCode: batch, maxSalePrice: '45.0000',
    paymentStandard: '30.0000', rule: 'LISTED', standardRule: 'P2c', covered: true,
  });
});

test('before the execution the answer is the listing, without a payment standard', async () => {
  const res = await call('GET', `/v1/prices/350000/${B}?date=2024-07-31`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { productId: B, regionCode: '350000', maxSalePrice: '45.0000', rule: 'NOT_IN_VBP', covered: true });
});

test('a listing written through PUT is seen by the next look-up', async () => {
  const before = await call('GET', `/v1/prices/350000/${C}?date=${day}`);
  assert.equal(before.json.maxSalePrice, '38.0000', before.text);
  const put = await call('PUT', `/v1/listings/350000/${C}`, { body: { price: '36.5', listedOn: '2024-01-01' } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json, { regionCode: '350000', productId: C, price: '36.5000', listedOn: '2024-01-01' });
  const after = await call('GET', `/v1/prices/350000/${C}?date=${day}`);
  assert.equal(after.json.maxSalePrice, '36.5000', after.text);
});

test('POST /v1/prices:batchGet answers in order', async () => {
  const res = await call('POST', '/v1/prices:batchGet', { body: { regionCode: '350000', productIds: [D, A], date: day } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.prices.map((p) => [p.productId, p.maxSalePrice, p.rule, p.paymentStandard]), [
    [D, '50.0000', 'LISTED', '30.0000'],
    [A, '30.0000', 'P1c', '30.0000'],
  ]);
  assertError(await call('POST', '/v1/prices:batchGet', { body: { regionCode: '350000', productIds: [A, `nope-${run}`], date: day } }),
    404, 'NOT_FOUND', 'productIds[1]');
});

test('GET /v1/pricingPolicies lists the policy rows', async () => {
  const res = await call('GET', '/v1/pricingPolicies', { key: makerKey });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.policies.map((p) => [p.regionCode ?? '', p.productKind, p.ruleFamily]), [
    ['350000', 'DRUG', 'P1+P2'], ['350000', 'CONSUMABLE', 'P3'], ['', 'DRUG', 'P4'], ['', 'CONSUMABLE', 'P3'],
  ]);
});

test('bad input, unknown products and refusals', async () => {
  assertError(await call('GET', `/v1/prices/35/${A}`), 400, 'INVALID_ARGUMENT', 'regionCode');
  assertError(await call('GET', `/v1/prices/350000/${A}?date=2024-13-01`), 400, 'INVALID_ARGUMENT', 'date');
  assertError(await call('GET', `/v1/prices/350000/nope-${run}`), 404, 'NOT_FOUND', 'productId');
  assertError(await call('GET', `/v1/prices/350000/${A}`, { key: null }), 401, 'UNAUTHENTICATED');
  assertError(await call('PUT', `/v1/listings/350000/${B}`, { key: makerKey, body: { price: '1', listedOn: '2024-01-01' } }),
    403, 'PERMISSION_DENIED');
  assertError(await call('PUT', `/v1/listings/350000/${B}`, { body: { price: '-1', listedOn: '2024-01-01' } }),
    400, 'INVALID_ARGUMENT', 'price');
  assertError(await call('PUT', `/v1/listings/350100/${B}`, { body: { price: '1', listedOn: '2024-01-01' } }),
    400, 'INVALID_ARGUMENT', 'regionCode');
  const still = await call('GET', `/v1/prices/350000/${B}?date=${day}`);
  assert.equal(still.json.maxSalePrice, '45.0000', still.text);
});

// Conditional GET: the ETag names the versions the answer was computed under (and its bytes), so
// a client that asks again with If-None-Match gets 304 while nothing changed, and never for an
// answer that changed. Last in the file: it changes D's listing.
test('a conditional look-up is 304 until a listing changes the answer, then 200 with the new one', async () => {
  const path = `/v1/prices/350000/${D}?date=${day}`;
  const first = await call('GET', path);
  assert.equal(first.status, 200, first.text);
  const etag = first.headers.get('etag');
  assert.match(etag, /^"\d+\.\d+-[0-9a-f]{32}"$/);
  const same = await call('GET', path, { headers: { 'If-None-Match': etag } });
  assert.equal(same.status, 304, same.text);
  assert.equal(same.text, '');
  assert.equal(same.headers.get('etag'), etag);

  const put = await call('PUT', `/v1/listings/350000/${D}`, { body: { price: '48', listedOn: '2024-01-01' } });
  assert.equal(put.status, 200, put.text);
  const changed = await call('GET', path, { headers: { 'If-None-Match': etag } });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.json.maxSalePrice, '48.0000');
  const newTag = changed.headers.get('etag');
  assert.notEqual(newTag, etag);
  assert.equal((await call('GET', path, { headers: { 'If-None-Match': newTag } })).status, 304);
});
