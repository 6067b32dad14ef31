// The REST API through the gateway (VBP_GATEWAY_ADDR), with fetch as a portal would call it,
// against the real catalog-svc behind it (tests/stack.sh starts both). contract-, pricing- and
// volume-svc are not running: their routes must answer 503.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { assertError, call, creditCode } from './http.mjs';

const keyCacheMs = Number(process.env.VBP_KEY_CACHE_TTL_MS ?? 30000);

const run = crypto.randomBytes(4).toString('hex');

async function ensureRegions() {
  for (const [code, name, level, parentCode] of [
    ['350000', '福建省', 'PROVINCE', ''],
    ['350100', '福州市', 'CITY', '350000'],
    ['360000', '江西省', 'PROVINCE', ''],
  ]) {
    const res = await call('POST', '/v1/regions', { body: { code, name, level, parentCode } });
    assert.equal(res.status, 200, res.text);
  }
}

test('operations endpoints answer without a key', async () => {
  const health = await call('GET', '/healthz', { key: null });
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok' });
  const metrics = await call('GET', '/metrics', { key: null });
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type'), /^text\/plain/);
  // Only catalog-svc runs: not every backend is serving.
  const ready = await call('GET', '/readyz', { key: null });
  assert.equal(ready.status, 503, ready.text);
  assert.equal(ready.json.backends.catalog, 'SERVING');
  assert.equal(ready.json.backends.contract, 'NOT_SERVING');
});

test('a missing or wrong key is 401 with the JSON error body', async () => {
  assertError(await call('GET', '/v1/organizations', { key: null }), 401, 'UNAUTHENTICATED');
  assertError(await call('GET', '/v1/organizations', { key: 'vbp_nope' }), 401, 'UNAUTHENTICATED');
  const basic = await call('GET', '/v1/organizations', { key: null, headers: { Authorization: 'Basic eDp5' } });
  assertError(basic, 401, 'UNAUTHENTICATED');
});

test('every catalog route, as API.md gives it', async () => {
  await ensureRegions();
  const mfr = `mfr-${run}`;
  const office = `office-${run}`;
  let res = await call('POST', '/v1/organizations', {
    body: { id: mfr, name: '厂家', kind: 'MANUFACTURER', regionCode: '350100', creditCode: creditCode('350100') },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.kind, 'MANUFACTURER');
  assert.equal(res.json.institutionType, undefined); // 0 is absent
  res = await call('POST', '/v1/organizations', {
    body: { id: office, name: '联采办', kind: 'ALLIANCE_OFFICE', regionCode: '360000', creditCode: creditCode('360000') },
  });
  assert.equal(res.status, 200, res.text);

  res = await call('GET', `/v1/organizations/${mfr}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.id, mfr);
  assert.equal(res.json.regionCode, '350100');

  res = await call('GET', `/v1/organizations?kind=MANUFACTURER&regionCode=350000&pageSize=1`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.organizations.length, 1);
  assert.equal(typeof res.json.nextPageToken === 'string' || res.json.nextPageToken === undefined, true);

  const key = await call('POST', '/v1/apiKeys', { body: { organizationId: office } });
  assert.equal(key.status, 200, key.text);
  assert.equal(key.json.role, 'ALLIANCE_OFFICE');
  assert.match(key.json.key, /^vbp_/);
  const officeKey = key.json.key;

  const code = `JX-${run}`;
  res = await call('POST', '/v1/batches', {
    key: officeKey,
    body: { code, name: '干扰素联盟', kind: 'DRUG', organizerLevel: 'ALLIANCE', leadRegionCode: '360000',
      memberRegionCodes: ['360000', '350000'], cycleYears: 4 },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.renewalFloor, 'FIRST_YEAR');
  assert.equal(res.json.cycleYears, 4);
  assert.equal(res.json.createdBy, office);

  res = await call('GET', `/v1/batches/${code}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.memberRegionCodes, ['360000', '350000']);

  res = await call('POST', `/v1/batches/${code}/executions`, {
    body: { regionCode: '350000', listingDate: '2024-07-18', startDate: '2024-07-22' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.alignRenewal, true);

  res = await call('GET', `/v1/batches/${code}/executions/350000/agreementYears`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.agreementYears, [
    { year: 1, start: '2024-07-22', end: '2025-12-31' },
    { year: 2, start: '2026-01-01', end: '2026-12-31' },
    { year: 3, start: '2027-01-01', end: '2027-12-31' },
    { year: 4, start: '2028-01-01', end: '2028-07-21' },
  ]);

  res = await call('POST', `/v1/batches/${code}:extend`, { key: officeKey, body: { cycleEnd: '2028-12-31' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.cycleEnd, '2028-12-31');

  const product = `p-${run}`;
  res = await call('POST', '/v1/products', {
    body: { id: product, kind: 'DRUG', genericName: '重组人干扰素α2b', dosageForm: '注射剂',
      specification: '300万IU', unit: '支', manufacturerId: mfr, qualityTier: 'CONSISTENCY_PASSED',
      inInsuranceCatalog: true },
  });
  assert.equal(res.status, 200, res.text);
  res = await call('GET', `/v1/products/${product}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.inInsuranceCatalog, true);

  res = await call('POST', `/v1/batches/${code}/groups`, {
    key: officeKey, body: { id: 'g1', genericName: '重组人干扰素α2b', competitive: true },
  });
  assert.equal(res.status, 200, res.text);
  res = await call('POST', `/v1/batches/${code}/results`, {
    key: officeKey, body: { productId: product, groupId: 'g1', status: 'WINNING', winningPrice: '30', sharePercent: 100 },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.winningPrice, '30.0000');
  res = await call('GET', `/v1/batches/${code}/results?groupId=g1&status=WINNING`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.results.map((r) => r.productId), [product]);

  res = await call('DELETE', `/v1/apiKeys/${key.json.id}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, {});
});

test('bad input is 400 naming the field, and reaches no service', async () => {
  let res = await call('POST', '/v1/regions', { raw: '{"code": "350000",', headers: { 'Content-Type': 'application/json' } });
  assertError(res, 400, 'INVALID_ARGUMENT'); // no field to name: the message has the position
  assert.match(res.json.message, /line 1 column 18/);
  assertError(await call('POST', '/v1/regions', { body: { code: '350000', colour: 'red' } }), 400, 'INVALID_ARGUMENT', 'colour');
  assertError(await call('POST', '/v1/regions', { body: { code: 350000 } }), 400, 'INVALID_ARGUMENT', 'code');
  assertError(await call('POST', '/v1/regions', { body: { code: '350000', level: 'STATE' } }), 400, 'INVALID_ARGUMENT', 'level');
  assertError(await call('GET', '/v1/organizations?pageSize=ten'), 400, 'INVALID_ARGUMENT', 'pageSize');
  assertError(await call('GET', '/v1/organizations?colour=red'), 400, 'INVALID_ARGUMENT', 'colour');
  // The service's own field errors travel through as details.
  assertError(await call('POST', '/v1/regions', { body: { code: '35000', name: 'x', level: 'PROVINCE' } }), 400, 'INVALID_ARGUMENT', 'code');
  assertError(await call('POST', '/v1/regions', { body: { code: '福建', name: 'x', level: 'PROVINCE' } }), 400, 'INVALID_ARGUMENT', 'code');
});

test('unknown routes are 404, wrong methods 405, oversized bodies 413, all in JSON', async () => {
  assertError(await call('GET', '/v1/nothing'), 404, 'NOT_FOUND');
  assertError(await call('GET', '/v1/regions'), 405, 'METHOD_NOT_ALLOWED');
  assertError(await call('POST', '/v1/organizations/x:cancel'), 404, 'NOT_FOUND');
  const big = JSON.stringify({ code: '350000', name: 'x'.repeat(1024 * 1024 + 1) });
  assertError(await call('POST', '/v1/regions', { raw: big, headers: { 'Content-Type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  assertError(await call('GET', `/v1/organizations/nobody-${run}`), 404, 'NOT_FOUND');
});

test('a backend that is down is 503', async () => {
  assertError(await call('GET', '/v1/pricingPolicies'), 503, 'UNAVAILABLE');
  assertError(await call('GET', '/v1/contracts/c1'), 503, 'UNAVAILABLE');
});

test('X-Request-Id is echoed, or made when absent', async () => {
  let res = await call('GET', '/healthz', { headers: { 'X-Request-Id': `req-${run}` } });
  assert.equal(res.headers.get('x-request-id'), `req-${run}`);
  res = await call('GET', '/v1/organizations');
  assert.match(res.headers.get('x-request-id'), /^[0-9a-f-]{8,64}$/);
  res = await call('GET', '/v1/organizations', { headers: { 'X-Request-Id': 'bad id with spaces' } });
  assert.notEqual(res.headers.get('x-request-id'), 'bad id with spaces');
});

test('a key works at once, and a revoked one stops within the cache time', async () => {
  await ensureRegions();
  const org = `bureau-${run}`;
  let res = await call('POST', '/v1/organizations', {
    body: { id: org, name: '医保局', kind: 'BUREAU', regionCode: '350000', creditCode: creditCode('350000') },
  });
  assert.equal(res.status, 200, res.text);
  const key = await call('POST', '/v1/apiKeys', { body: { organizationId: org } });
  assert.equal(key.status, 200, key.text);
  res = await call('GET', `/v1/organizations/${org}`, { key: key.json.key });
  assert.equal(res.status, 200, res.text);
  // A bureau may not create a batch: the service decides, the gateway passes the caller on.
  res = await call('POST', '/v1/batches', { key: key.json.key, body: { code: `B-${run}` } });
  assertError(res, 403, 'PERMISSION_DENIED');
  res = await call('DELETE', `/v1/apiKeys/${key.json.id}`);
  assert.equal(res.status, 200, res.text);
  await new Promise((resolve) => setTimeout(resolve, keyCacheMs + 200));
  assertError(await call('GET', `/v1/organizations/${org}`, { key: key.json.key }), 401, 'UNAUTHENTICATED');
});

test('metrics count requests by route and code', async () => {
  await call('GET', `/v1/organizations/nobody-${run}`);
  const metrics = await call('GET', '/metrics', { key: null });
  assert.match(metrics.text, /vbp_rpc_requests_total\{service="gateway",method="GET \/v1\/organizations\/\{id\}",code="NOT_FOUND"\} [1-9]/);
  assert.match(metrics.text, /vbp_rpc_duration_seconds_bucket\{service="gateway",method="GET \/v1\/organizations\/\{id\}",le="\+Inf"\} [1-9]/);
  assert.match(metrics.text, /vbp_gateway_backend_errors_total\{service="gateway"\} [1-9]/);
});

test('a key over its rate limit gets 429 with Retry-After, and other keys are not affected', async () => {
  await ensureRegions();
  const org = `busy-${run}`;
  let res = await call('POST', '/v1/organizations', {
    body: { id: org, name: '繁忙', kind: 'DISTRIBUTOR', regionCode: '350100', creditCode: creditCode('350100') },
  });
  assert.equal(res.status, 200, res.text);
  const key = await call('POST', '/v1/apiKeys', { body: { organizationId: org } });
  assert.equal(key.status, 200, key.text);
  // The fixture allows 20 a second with a burst of 200 per key: 400 at once must overflow
  // unless they took 10 s, and the refill bounds how many can pass.
  const started = Date.now();
  const answers = await Promise.all(
    Array.from({ length: 400 }, () => call('GET', `/v1/organizations/${org}`, { key: key.json.key })));
  const seconds = (Date.now() - started) / 1000;
  const limited = answers.filter((a) => a.status === 429);
  assert.ok(limited.length >= 1, `none of 400 was limited in ${seconds} s`);
  assert.ok(400 - limited.length <= 200 + Math.ceil(20 * seconds) + 1,
    `${400 - limited.length} passed in ${seconds} s`);
  assert.ok(answers.every((a) => a.status === 200 || a.status === 429));
  assertError(limited[0], 429, 'RESOURCE_EXHAUSTED');
  assert.match(limited[0].headers.get('retry-after'), /^[1-9][0-9]*$/);
  res = await call('GET', `/v1/organizations/${org}`);
  assert.equal(res.status, 200, res.text);
});

test('Idempotency-Key: a retry gets the first answer, another body 409, apiKeys never stored', async () => {
  await ensureRegions();
  const id = `idem-${run}`;
  const body = { id, name: '配送', kind: 'DISTRIBUTOR', regionCode: '350100', creditCode: creditCode('350100') };
  const headers = { 'Idempotency-Key': `k-${run}` };
  const first = await call('POST', '/v1/organizations', { body, headers });
  assert.equal(first.status, 200, first.text);
  const again = await call('POST', '/v1/organizations', { body, headers });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.text, first.text);
  const other = await call('POST', '/v1/organizations', { body: { ...body, name: '别的' }, headers });
  assertError(other, 409, 'ALREADY_EXISTS', 'Idempotency-Key');
  // Keys are per caller: another caller's same key is a first attempt of its own.
  const org = await call('POST', '/v1/apiKeys', { body: { organizationId: id }, headers });
  const org2 = await call('POST', '/v1/apiKeys', { body: { organizationId: id }, headers });
  assert.equal(org.status, 200, org.text);
  assert.notEqual(org.json.key, org2.json.key); // never replayed: a secret is never stored
});

test('Idempotency-Key: concurrent first attempts run once', async () => {
  await ensureRegions();
  const id = `race-${run}`;
  const body = { id, name: '并发', kind: 'DISTRIBUTOR', regionCode: '350100', creditCode: creditCode('350100') };
  const headers = { 'Idempotency-Key': `race-${run}` };
  const answers = await Promise.all(
    Array.from({ length: 12 }, () => call('POST', '/v1/organizations', { body, headers })));
  const ok = answers.filter((a) => a.status === 200);
  const busy = answers.filter((a) => a.status === 409);
  assert.equal(ok.length + busy.length, 12, answers.map((a) => a.text).join('\n'));
  assert.ok(ok.length >= 1);
  for (const a of ok) assert.equal(a.text, ok[0].text);
  for (const a of busy) assertError(a, 409, 'ABORTED');
  // Once the first has answered, every retry replays it.
  const after = await call('POST', '/v1/organizations', { body, headers });
  assert.equal(after.text, ok[0].text);
});

test('while Redis is down, only requests with an Idempotency-Key are refused (503)', async () => {
  const { execFileSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const pid = Number(fs.readFileSync(process.env.VBP_REDIS_PIDFILE, 'utf8'));
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try { process.kill(pid, 0); } catch { break; }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    const keyed = await call('POST', '/v1/regions', {
      body: { code: '350000', name: '福建省', level: 'PROVINCE' }, headers: { 'Idempotency-Key': `down-${run}` },
    });
    assertError(keyed, 503, 'UNAVAILABLE');
    const plain = await call('POST', '/v1/regions', { body: { code: '350000', name: '福建省', level: 'PROVINCE' } });
    assert.equal(plain.status, 200, plain.text);
  } finally {
    execFileSync('redis-server', [process.env.VBP_REDIS_CONF]);
  }
  // Back up: keyed requests work again (the client retries its connection after a short pause).
  let res;
  for (let i = 0; i < 40; i++) {
    res = await call('POST', '/v1/regions', {
      body: { code: '350000', name: '福建省', level: 'PROVINCE' }, headers: { 'Idempotency-Key': `up-${run}` },
    });
    if (res.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(res.status, 200, res.text);
});

test('the alliance export streams NDJSON, one record a line, and a backend down ends it with an error line', async () => {
  await ensureRegions();
  const office = `exp-office-${run}`;
  let res = await call('POST', '/v1/organizations', {
    body: { id: office, name: '联采办', kind: 'ALLIANCE_OFFICE', regionCode: '360000', creditCode: creditCode('360000') },
  });
  assert.equal(res.status, 200, res.text);
  const mfr = `exp-mfr-${run}`;
  res = await call('POST', '/v1/organizations', {
    body: { id: mfr, name: '厂家', kind: 'MANUFACTURER', regionCode: '350100', creditCode: creditCode('350100') },
  });
  assert.equal(res.status, 200, res.text);
  const code = `EXP-${run}`;
  res = await call('POST', '/v1/batches', {
    body: { code, name: '导出', kind: 'DRUG', organizerLevel: 'ALLIANCE', leadRegionCode: '360000',
      memberRegionCodes: ['360000', '350000'], cycleYears: 2 },
  });
  assert.equal(res.status, 200, res.text);
  res = await call('POST', `/v1/batches/${code}/executions`, {
    body: { regionCode: '350000', listingDate: '2025-06-01', startDate: '2025-06-10' },
  });
  assert.equal(res.status, 200, res.text);
  res = await call('POST', `/v1/batches/${code}/groups`, { body: { id: 'g', genericName: '阿莫西林', competitive: true } });
  assert.equal(res.status, 200, res.text);
  const products = [];
  for (let i = 0; i < 30; i++) {
    const id = `exp-${run}-${String(i).padStart(2, '0')}`;
    products.push(id);
    res = await call('POST', '/v1/products', {
      body: { id, kind: 'DRUG', genericName: '阿莫西林', dosageForm: '胶囊', specification: '0.25g', unit: '粒', manufacturerId: mfr },
    });
    assert.equal(res.status, 200, res.text);
    res = await call('POST', `/v1/batches/${code}/results`, {
      body: { productId: id, groupId: 'g', status: i === 0 ? 'WINNING' : 'NON_WINNING', winningPrice: i === 0 ? '1.2' : '', sharePercent: i === 0 ? 100 : 0 },
    });
    assert.equal(res.status, 200, res.text);
  }
  // volume-svc and contract-svc are a closed port on this stack: the catalog's records stream,
  // then the download ends with an error line in place of the `end` record.
  const url = `/v1/exchange/batches/${code}?regionCode=350000`;
  res = await call('GET', url);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  // fetch takes gzip (and gunzips): the stream came compressed, and says the same as without.
  assert.equal(res.headers.get('content-encoding'), 'gzip');
  assert.match(res.headers.get('vary'), /Accept-Encoding/);
  const plain = await call('GET', url, { headers: { 'Accept-Encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(plain.text, res.text);
  assert.ok(res.text.endsWith('\n'));
  const lines = res.text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.batch).map((l) => l.batch.code).join(), code);
  const results = lines.filter((l) => l.result);
  assert.deepEqual(results.map((l) => l.result.productId), products);
  assert.equal(results[0].result.winningPrice, '1.2000');
  assert.equal(lines.at(-2).result.productId, products.at(-1));
  assert.equal(lines.at(-1).error.code, 'UNAVAILABLE', JSON.stringify(lines.at(-1)));
  assert.equal(lines.filter((l) => l.end).length, 0);

  assertError(await call('GET', `/v1/exchange/batches/NOPE-${run}?regionCode=350000`), 404, 'NOT_FOUND', 'code');
  assertError(await call('GET', `/v1/exchange/batches/${code}`), 400, 'INVALID_ARGUMENT', 'regionCode');
  assertError(await call('GET', url, { key: null }), 401, 'UNAUTHENTICATED');
});
