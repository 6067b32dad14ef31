// Three-party contracts through the gateway, as bureaus, a hospital, a manufacturer and a
// distributor call it (REST + JSON, each with its own key minted by the admin), with the real
// catalog-svc, pricing-svc, volume-svc and contract-svc behind it (tests/stack.sh starts them on the
// e2e_contract_stack fixture): demand -> allocations -> a distributor named -> contracts generated
// -> signing keys registered (WebCrypto) -> signatures in the C2 order, checked offline -> year-2
// demand and allocations -> the renewal generated and signed -> the year-1 contract RENEWED.
// Every expected value is worked out by hand from DOMAIN.md "Contract rules" and "Volume rules";
// the arithmetic is in the comments.
//
// Today: the fixture pins VBP_TODAY=2025-12-01 (tests/e2e/CMakeLists.txt), a day of agreement year
// 1 (the batch has no signing windows, so year-1 signing is open), one month before year 2.
//
// The scene (Fujian, 350000): batch executed from 2024-07-22 for 4 years, so (C6) agreement year 1
// is 2024-07-22..2025-12-31 = 10+31+30+31+30+31 (2024) + 365 (2025) = 528 days, and year 2 is
// 2026-01-01..2026-12-31 = 365 days. Group G1 (competitive) of generic name GN:
//   W1 (maker M, the manufacturer of this test) WINNING 60% at 12.5,
//   W2 (maker M2, no distributor named)      WINNING 40% at 13.
// Hospital H in county 350121 (闽侯县): its coordination area (C8) is the city 350100 (福州市).
// Distributor D. Bureaus: the province, the city 350100, the county 350121 (H's review chain, V1).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { adminKey, assertError, call, creditCode } from './http.mjs';

const run = crypto.randomBytes(4).toString('hex');
const batch = `CT-FJ-${run}`;
const GN = `阿托伐他汀-${run}`;
const [W1, W2] = ['CW1', 'CW2'].map((p) => `${p}-${run}`);
const [M, M2, D, H] = ['CM', 'CM2', 'CD', 'CH'].map((o) => `${o}-${run}`);
const [PROV, CITY, COUNTY] = ['CBP', 'CBC', 'CBX'].map((b) => `${b}-${run}`);
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;
const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');

const keys = {};
const state = {};

async function ok(method, path, { key, body } = {}) {
  const res = await call(method, path, { key, body });
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
  return res.json;
}

// V1 for H, a county hospital with a drug batch: county -> city -> province.
async function reportAndApprove(agreementYear, quantity, lastYearQuantity) {
  const body = {
    batchCode: batch, regionCode: '350000', institutionId: H, groupId: 'G1', agreementYear,
    quantity, lastYearQuantity, commitmentSha256: sha256hex(`承诺书 ${run} 第${agreementYear}年`),
  };
  const report = await ok('POST', '/v1/demandReports', { key: keys[H], body });
  assert.equal(report.state, 'SUBMITTED');
  assert.equal(report.quantity, String(quantity));
  let last;
  for (const [who, level] of [[COUNTY, 'COUNTY'], [CITY, 'CITY'], [PROV, 'PROVINCE']])
    last = await ok('POST', `/v1/demandReports/${report.id}:review`, {
      key: keys[who], body: { level, approve: true, comment: `${level} ok` },
    });
  assert.equal(last.state, 'APPROVED');
}

const allocation = (productId, agreementYear, agreedQuantity, ratioPercent, baseQuantity) => ({
  batchCode: batch, regionCode: '350000', institutionId: H, groupId: 'G1', productId, agreementYear,
  agreedQuantity, ratioPercent, baseQuantity,
});

before(async () => {
  for (const [code, name, level, parentCode] of [
    ['350000', '福建省', 'PROVINCE', ''],
    ['350100', '福州市', 'CITY', '350000'],
    ['350121', '闽侯县', 'COUNTY', '350100'],
  ])
    await ok('POST', '/v1/regions', { body: { code, name, level, parentCode } });

  for (const [id, name, kind, regionCode] of [
    [PROV, '福建省医疗保障局', 'BUREAU', '350000'],
    [CITY, '福州市医疗保障局', 'BUREAU', '350100'],
    [COUNTY, '闽侯县医疗保障局', 'BUREAU', '350121'],
    [H, '闽侯县总医院', 'MEDICAL_INSTITUTION', '350121'],
    [M, '甲药业', 'MANUFACTURER', '350000'],
    [M2, '乙药业', 'MANUFACTURER', '350000'],
    [D, '鹭燕医药', 'DISTRIBUTOR', '350100'],
  ]) {
    const body = { id, name, kind, regionCode, creditCode: creditCode(regionCode) };
    if (kind === 'MEDICAL_INSTITUTION') body.institutionType = 'PUBLIC';
    await ok('POST', '/v1/organizations', { body });
    const minted = await ok('POST', '/v1/apiKeys', { body: { organizationId: id } });
    assert.equal(minted.organizationId, id);
    assert.equal(minted.role, kind);
    keys[id] = minted.key;
  }

  // No signing windows on the execution (C2): year-1 signing is open on any day.
  await ok('POST', '/v1/batches', {
    body: {
      code: batch, name: '福建省药品带量采购(合同)', kind: 'DRUG', organizerLevel: 'PROVINCE',
      leadRegionCode: '350000', memberRegionCodes: ['350000'], cycleYears: 4,
    },
  });
  await ok('POST', `/v1/batches/${batch}/executions`, {
    body: { regionCode: '350000', listingDate: '2024-07-18', startDate: '2024-07-22' },
  });
  for (const [id, manufacturerId] of [[W1, M], [W2, M2]])
    await ok('POST', '/v1/products', {
      body: {
        id, kind: 'DRUG', genericName: GN, dosageForm: '片剂', specification: '20mg', unit: '片',
        manufacturerId, qualityTier: 'CONSISTENCY_PASSED', inInsuranceCatalog: true,
      },
    });
  await ok('POST', `/v1/batches/${batch}/groups`, { body: { id: 'G1', genericName: GN, competitive: true } });
  await ok('POST', `/v1/batches/${batch}/results`, {
    body: { productId: W1, groupId: 'G1', status: 'WINNING', winningPrice: '12.5', sharePercent: 60 },
  });
  await ok('POST', `/v1/batches/${batch}/results`, {
    body: { productId: W2, groupId: 'G1', status: 'WINNING', winningPrice: '13', sharePercent: 40 },
  });
});

test('GET /readyz lists contract-svc as serving', async () => {
  const res = await call('GET', '/readyz', { key: null });
  assert.equal(res.status, 200, res.text);
  for (const backend of ['catalog', 'pricing', 'volume', 'contract'])
    assert.equal(res.json.backends[backend], 'SERVING', res.text);
});

test('the scene: agreement years (C6)', async () => {
  const years = await ok('GET', `/v1/batches/${batch}/executions/350000/agreementYears`, { key: keys[PROV] });
  assert.deepEqual(years.agreementYears.slice(0, 2), [
    { year: 1, start: '2024-07-22', end: '2025-12-31' },
    { year: 2, start: '2026-01-01', end: '2026-12-31' },
  ]);
});

// V2, V3, year 1: 1003 x 70% = 702.1 -> 702. W1 702 x 60% = 421.2 -> 421 (remainder .2), W2
// 702 x 40% = 280.8 -> 280 (remainder .8); 421 + 280 = 701: the unit left goes to the largest
// remainder, W2: 281 (421 + 281 = 702).
const YEAR1 = [allocation(W1, 1, '421', 70, '1003'), allocation(W2, 1, '281', 70, '1003')];

test('year 1: demand reported and reviewed, allocations computed (V1-V3)', async () => {
  await reportAndApprove(1, 1003, '980');
  const computed = await ok('POST', '/v1/allocations:compute', {
    key: keys[PROV],
    body: { batchCode: batch, regionCode: '350000', agreementYear: 1, ratioPercent: 70 },
  });
  assert.deepEqual(computed, { computed: 2, allocations: YEAR1 });
});

test('POST /v1/distributorAuthorizations: the manufacturer names D for W1 in H\'s area (C8)', async () => {
  const body = { manufacturerId: M, productId: W1, distributorId: D, regionCode: '350100' };
  // Another's product, another's name, a county (not a coordination area), the distributor itself.
  assertError(await call('POST', '/v1/distributorAuthorizations', { key: keys[M], body: { ...body, productId: W2 } }),
    403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/distributorAuthorizations', { key: keys[M2], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/distributorAuthorizations', { key: keys[D], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/distributorAuthorizations', { key: keys[M], body: { ...body, regionCode: '350121' } }),
    400, 'INVALID_ARGUMENT', 'regionCode');
  const named = await ok('POST', '/v1/distributorAuthorizations', { key: keys[M], body });
  assert.match(named.id, /\S/);
  assert.match(named.createdAt, TIME);
  assert.deepEqual(named, { id: named.id, kind: 'DISTRIBUTOR', ...body, createdAt: named.createdAt });
  // Named again (a retry): the same naming.
  assert.deepEqual(await ok('POST', '/v1/distributorAuthorizations', { key: keys[M], body }), named);
});

// C1: one contract per allocation, at the winning price and exactly the allocated quantity, for
// year 1's period 2024-07-22..2025-12-31. C8: W1's distributor is D, the one M named for 350100;
// M2 named none for W2, so that one waits as a DRAFT without a distributor.
const contract1 = (productId, manufacturerId, distributorId, price, quantity) => {
  const c = {
    batchCode: batch, regionCode: '350000', institutionId: H, manufacturerId, productId, price,
    quantity, agreementYear: 1, periodStart: '2024-07-22', periodEnd: '2025-12-31', state: 'DRAFT',
  };
  if (distributorId) c.distributorId = distributorId;
  return c;
};

test('POST /v1/contracts:generate, year 1, by the provincial bureau (C1, C8)', async () => {
  const body = { batchCode: batch, regionCode: '350000', agreementYear: 1 };
  assertError(await call('POST', '/v1/contracts:generate', { key: keys[CITY], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/contracts:generate', { key: keys[H], body }), 403, 'PERMISSION_DENIED');
  assertError(await call('POST', '/v1/contracts:generate', { key: keys[M], body }), 403, 'PERMISSION_DENIED');
  const generated = await ok('POST', '/v1/contracts:generate', { key: keys[PROV], body });
  assert.equal(generated.generated, 2, JSON.stringify(generated));
  assert.equal(generated.nextPageToken, undefined);
  const byProduct = Object.fromEntries(generated.contracts.map((c) => [c.productId, c]));
  for (const c of generated.contracts) assert.match(c.id, /^ct-/);
  // 12.5 -> "12.5000", 13 -> "13.0000" (API.md: money with exactly four decimals).
  assert.deepEqual(generated.contracts.map(({ id, ...c }) => c).sort((a, b) => a.productId.localeCompare(b.productId)), [
    contract1(W1, M, D, '12.5000', '421'),
    contract1(W2, M2, '', '13.0000', '281'),
  ]);
  state.c1 = byProduct[W1].id;
  state.c1w2 = byProduct[W2].id;
  // Generating again makes nothing new: still 2 (C1), and the allocations are frozen (V3).
  const again = await ok('POST', '/v1/contracts:generate', { key: keys[PROV], body });
  assert.equal(again.generated, 2);
  assert.deepEqual(again.contracts.map((c) => c.id).sort(), [state.c1, state.c1w2].sort());
  assertError(await call('POST', '/v1/allocations:compute', {
    key: keys[PROV], body: { batchCode: batch, regionCode: '350000', agreementYear: 1, ratioPercent: 80 },
  }), 400, 'FAILED_PRECONDITION', 'agreementYear');
});

// ---------------------------------------------------------------- signing keys

const toPem = (der) =>
  `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g).join('\n')}\n-----END PUBLIC KEY-----\n`;

async function registerKey(org, algorithm, expectedAlgorithm) {
  const pair = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', pair.publicKey));
  const pem = toPem(spki);
  const body = { organizationId: org, publicKeyPem: pem };
  // Only the organization itself registers its keys.
  assertError(await call('POST', '/v1/signingKeys', { key: keys[H], body }), 403, 'PERMISSION_DENIED');
  const registered = await ok('POST', '/v1/signingKeys', { key: keys[org], body });
  assert.match(registered.createdAt, TIME);
  assert.deepEqual(registered, {
    id: registered.id, organizationId: org, algorithm: expectedAlgorithm,
    // The hex SHA-256 of the DER SubjectPublicKeyInfo, computed here from WebCrypto's export.
    fingerprintSha256: sha256hex(spki), createdAt: registered.createdAt, publicKeyPem: pem,
  });
  assert.match(registered.id, /\S/);
  return { pair, pem, keyId: registered.id };
}

test('POST /v1/signingKeys: an Ed25519 key for M, a P-256 key for D (WebCrypto)', async () => {
  state.mKey = await registerKey(M, { name: 'Ed25519' }, 'Ed25519');
  state.dKey = await registerKey(D, { name: 'ECDSA', namedCurve: 'P-256' }, 'ECDSA_P256');
  assert.notEqual(state.mKey.keyId, state.dKey.keyId);
});

// ---------------------------------------------------------------- signing

const documentOf = (contractId) => `三方购销合同 ${contractId}: ${H} / ${M} / ${D}, ${GN} ${W1}`;

// Ed25519 over the 32 bytes of documentSha256; ECDSA P-256 with SHA-256 over the same 32 bytes
// (hashed once more, as WebCrypto does), raw r||s.
async function signBytes(k, digestHex) {
  const bytes = Buffer.from(digestHex, 'hex');
  const alg = k.pair.privateKey.algorithm.name === 'Ed25519'
    ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  return Buffer.from(await crypto.subtle.sign(alg, k.pair.privateKey, bytes)).toString('base64');
}

const sign = (id, who, party, body) =>
  call('POST', `/v1/contracts/${id}:sign`, { key: who, body: { party, ...body } });

// Offline, with Node's crypto and the PEMs registered: Ed25519 takes no digest (null); P-256 with
// 'sha256' over the 32 bytes, raw r||s (ieee-p1363) or DER.
function verifyOffline(pem, digestHex, signatureB64, dsaEncoding = 'ieee-p1363') {
  const bytes = Buffer.from(digestHex, 'hex');
  const sig = Buffer.from(signatureB64, 'base64');
  const key = crypto.createPublicKey(pem);
  if (key.asymmetricKeyType === 'ed25519') return crypto.verify(null, bytes, key, sig);
  return crypto.verify('sha256', bytes, { key, dsaEncoding }, sig);
}

test('POST /v1/contracts/{id}:sign, year 1: the C2 order, registered keys, refusals', async () => {
  const id = state.c1;
  const doc = sha256hex(documentOf(id));
  state.doc1 = doc;
  const mSig = await signBytes(state.mKey, doc);
  const dSig = await signBytes(state.dKey, doc);
  assert.equal(Buffer.from(mSig, 'base64').length, 64); // Ed25519
  assert.equal(Buffer.from(dSig, 'base64').length, 64); // P-256 r||s, 32 + 32
  const mBody = { signerName: '张经理', documentSha256: doc, keyId: state.mKey.keyId, signature: mSig };
  const dBody = { signerName: '李经理', documentSha256: doc, keyId: state.dKey.keyId, signature: dSig };
  const hBody = { signerName: '王院长', documentSha256: doc };

  // The admin key signs for no one; a party signs only as itself.
  assertError(await sign(id, adminKey, 'MANUFACTURER', mBody), 403, 'PERMISSION_DENIED');
  assertError(await sign(id, keys[PROV], 'INSTITUTION', hBody), 403, 'PERMISSION_DENIED');
  assertError(await sign(id, keys[M2], 'MANUFACTURER', mBody), 403, 'PERMISSION_DENIED');
  // C2: the hospital confirms after both enterprises.
  assertError(await sign(id, keys[H], 'INSTITUTION', hBody), 400, 'FAILED_PRECONDITION', 'party');
  // A registered key must sign, and with a signature that verifies: one byte flipped (the first
  // byte of R), another document, the other party's key, no key at all.
  const tampered = Buffer.from(mSig, 'base64');
  tampered[0] ^= 0x01;
  assertError(await sign(id, keys[M], 'MANUFACTURER', { ...mBody, signature: tampered.toString('base64') }),
    400, 'INVALID_ARGUMENT', 'signature');
  assertError(await sign(id, keys[M], 'MANUFACTURER', { ...mBody, documentSha256: sha256hex('另一份合同') }),
    400, 'INVALID_ARGUMENT', 'signature');
  assertError(await sign(id, keys[M], 'MANUFACTURER', { ...mBody, keyId: state.dKey.keyId }),
    400, 'INVALID_ARGUMENT', 'keyId');
  assertError(await sign(id, keys[M], 'MANUFACTURER', hBody), 400, 'INVALID_ARGUMENT', 'keyId');
  // H has no key: it signs without one.
  assertError(await sign(id, keys[D], 'DISTRIBUTOR', { ...dBody, signature: mSig }), 400, 'INVALID_ARGUMENT', 'signature');

  let res = await sign(id, keys[M], 'MANUFACTURER', mBody);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'PARTIALLY_SIGNED');
  // Twice as the same party: refused (C2).
  assertError(await sign(id, keys[M], 'MANUFACTURER', mBody), 400, 'FAILED_PRECONDITION', 'party');
  assertError(await sign(id, keys[H], 'INSTITUTION', hBody), 400, 'FAILED_PRECONDITION', 'party');
  res = await sign(id, keys[D], 'DISTRIBUTOR', dBody);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'ENTERPRISE_SIGNED');
  assertError(await sign(id, keys[H], 'INSTITUTION', { ...hBody, keyId: state.mKey.keyId }),
    400, 'INVALID_ARGUMENT', 'keyId');
  res = await sign(id, keys[H], 'INSTITUTION', hBody);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'EFFECTIVE');
  // Nothing left to sign.
  assertError(await sign(id, keys[H], 'INSTITUTION', hBody), 400, 'FAILED_PRECONDITION', 'party');
});

// The history of a contract as [action, fromState, toState, actorId, actorRole].
const steps = (contract) =>
  contract.history.map((e) => [e.action, e.fromState ?? 'CONTRACT_STATE_UNSPECIFIED', e.toState, e.actorId ?? '', e.actorRole]);

// Every SIGN entry with a key verifies offline with the PEM registered under that key id; the
// signatures list agrees with the history.
function checkSignatures(contract, pems, dsaEncoding) {
  const signs = contract.history.filter((e) => e.action === 'SIGN');
  assert.equal(signs.length, 3);
  for (const e of signs) {
    assert.match(e.at, TIME);
    if (e.keyId === undefined) {
      assert.equal(e.signature, undefined);
      continue;
    }
    const pem = pems[e.keyId];
    assert.ok(pem, `history names key ${e.keyId}`);
    const enc = pem === state.dKey.pem ? dsaEncoding : undefined;
    assert.ok(verifyOffline(pem, e.documentSha256, e.signature, enc), `signature of ${e.actorId}`);
    // The same signature over another document does not verify.
    assert.equal(verifyOffline(pem, sha256hex('另一份合同'), e.signature, enc), false);
  }
  assert.equal(signs.filter((e) => e.keyId !== undefined).length, 2);
  const bySigner = Object.fromEntries(contract.signatures.map((s) => [s.party, s]));
  assert.deepEqual(Object.keys(bySigner).sort(), ['DISTRIBUTOR', 'INSTITUTION', 'MANUFACTURER']);
  assert.equal(bySigner.MANUFACTURER.signedBy, M);
  assert.equal(bySigner.DISTRIBUTOR.signedBy, D);
  assert.equal(bySigner.INSTITUTION.signedBy, H);
  assert.equal(bySigner.MANUFACTURER.keyId, state.mKey.keyId);
  assert.equal(bySigner.DISTRIBUTOR.keyId, state.dKey.keyId);
  assert.equal(bySigner.INSTITUTION.keyId, undefined);
  assert.equal(bySigner.INSTITUTION.signature, undefined);
  for (const s of contract.signatures) {
    assert.match(s.signedAt, TIME);
    const e = signs.find((x) => x.actorId === s.signedBy);
    assert.equal(s.documentSha256, e.documentSha256);
    assert.equal(s.signature, e.signature);
  }
}

test('GET /v1/contracts/{id}: the history (C9), every signature verified offline', async () => {
  const got = await ok('GET', `/v1/contracts/${state.c1}`, { key: keys[H] });
  assert.equal(got.state, 'EFFECTIVE');
  assert.equal(got.quantity, '421');
  assert.equal(got.price, '12.5000');
  assert.deepEqual(steps(got), [
    ['CREATE', 'CONTRACT_STATE_UNSPECIFIED', 'DRAFT', PROV, 'BUREAU'],
    ['SIGN', 'DRAFT', 'PARTIALLY_SIGNED', M, 'MANUFACTURER'],
    ['SIGN', 'PARTIALLY_SIGNED', 'ENTERPRISE_SIGNED', D, 'DISTRIBUTOR'],
    ['SIGN', 'ENTERPRISE_SIGNED', 'EFFECTIVE', H, 'MEDICAL_INSTITUTION'],
  ]);
  for (const e of got.history.filter((x) => x.action === 'SIGN')) assert.equal(e.documentSha256, state.doc1);
  checkSignatures(got, { [state.mKey.keyId]: state.mKey.pem, [state.dKey.keyId]: state.dKey.pem }, 'ieee-p1363');
  // The same for every party and the bureaus above H; no one else learns it exists.
  for (const who of [M, D, COUNTY, CITY, PROV])
    assert.deepEqual(await ok('GET', `/v1/contracts/${state.c1}`, { key: keys[who] }), got);
  assertError(await call('GET', `/v1/contracts/${state.c1}`, { key: keys[M2] }), 403, 'PERMISSION_DENIED');
});

// ---------------------------------------------------------------- the renewal into year 2

// C7 per day, from year 1 (528 days) into year 2 (365 days), rounded half up:
//   W1: 421 x 365 / 528 = 153665 / 528 = 291.03 -> 291 (DOMAIN.md's example)
//   W2: 281 x 365 / 528 = 102565 / 528 = 194.25 -> 194
// V2 binds year 2's allocations to the same floor. Year-2 demand 697:
//   at 50%: 697 x 50% = 348.5 -> 349; W1 349 x 60% = 209.4 -> 209 < 291: refused, nothing saved.
//   at 70%: 697 x 70% = 487.9 -> 488; W1 488 x 60% = 292.8 -> 292 (.8), W2 488 x 40% = 195.2 -> 195
//   (.2); 292 + 195 = 487, the unit left goes to W1 (.8): 293. 293 >= 291, 195 >= 194.
const YEAR2 = [allocation(W1, 2, '293', 70, '697'), allocation(W2, 2, '195', 70, '697')];

test('year 2: demand reviewed, allocations held to the per-day floor (V2, C7)', async () => {
  await reportAndApprove(2, 697, '1003');
  const body = { batchCode: batch, regionCode: '350000', agreementYear: 2, ratioPercent: 50 };
  const low = await call('POST', '/v1/allocations:compute', { key: keys[PROV], body });
  assertError(low, 400, 'FAILED_PRECONDITION', 'agreementYear');
  assert.match(low.json.message + low.json.details[0].reason, /209 < 291/, low.text);
  assert.deepEqual(await ok('GET', `/v1/allocations?batchCode=${batch}&agreementYear=2`, { key: keys[PROV] }), {});
  const computed = await ok('POST', '/v1/allocations:compute', { key: keys[PROV], body: { ...body, ratioPercent: 70 } });
  assert.deepEqual(computed, { computed: 2, allocations: YEAR2 });
});

// Only an EFFECTIVE contract of year 1 is renewed: W1's (W2's is still a DRAFT), so year 2 has 1
// contract: the same parties, product and price, year 2's allocated 293, period 2026-01-01..2026-12-31.
test('POST /v1/contracts:generate, year 2: the renewal (C5-C7)', async () => {
  const body = { batchCode: batch, regionCode: '350000', agreementYear: 2 };
  assertError(await call('POST', '/v1/contracts:generate', { key: keys[H], body }), 403, 'PERMISSION_DENIED');
  const generated = await ok('POST', '/v1/contracts:generate', { key: keys[PROV], body });
  assert.equal(generated.generated, 1, JSON.stringify(generated));
  assert.equal(generated.contracts.length, 1);
  const [c2] = generated.contracts;
  assert.notEqual(c2.id, state.c1);
  assert.deepEqual({ ...c2, id: undefined }, {
    id: undefined, batchCode: batch, regionCode: '350000', institutionId: H, manufacturerId: M,
    distributorId: D, productId: W1, price: '12.5000', quantity: '293', agreementYear: 2,
    periodStart: '2026-01-01', periodEnd: '2026-12-31', state: 'DRAFT',
  });
  state.c2 = c2.id;
  // The old one stays EFFECTIVE until the renewal is; renewing it again by hand is a conflict.
  assert.equal((await ok('GET', `/v1/contracts/${state.c1}`, { key: keys[H] })).state, 'EFFECTIVE');
  assertError(await call('POST', `/v1/contracts/${state.c1}:renew`, { key: keys[H], body: { quantity: 293 } }),
    409, 'ALREADY_EXISTS', 'id');
  // W2's DRAFT is not in force: no renewal of it (C5).
  assertError(await call('POST', `/v1/contracts/${state.c1w2}:renew`, { key: keys[PROV], body: { quantity: 195 } }),
    400, 'FAILED_PRECONDITION', 'id');
  // The year's contracts stand; its allocations are frozen.
  assert.equal((await ok('POST', '/v1/contracts:generate', { key: keys[PROV], body })).generated, 1);
  assertError(await call('POST', '/v1/allocations:compute', {
    key: keys[PROV], body: { batchCode: batch, regionCode: '350000', agreementYear: 2, ratioPercent: 80 },
  }), 400, 'FAILED_PRECONDITION', 'agreementYear');
});

// Year 2 has no window (C2: renewals have none). D signs this one with a DER-encoded ECDSA
// signature (API.md: DER or raw r||s accepted), made with Node's crypto from the WebCrypto key.
test('signing the renewal: the year-1 contract becomes RENEWED', async () => {
  const id = state.c2;
  const doc = sha256hex(documentOf(id));
  const bytes = Buffer.from(doc, 'hex');
  const mSig = await signBytes(state.mKey, doc);
  const dPrivate = crypto.KeyObject.from(state.dKey.pair.privateKey);
  const dSig = crypto.sign('sha256', bytes, { key: dPrivate, dsaEncoding: 'der' }).toString('base64');
  assert.equal(Buffer.from(dSig, 'base64')[0], 0x30); // a DER SEQUENCE
  // The distributor first this time (either order, C2).
  let res = await sign(id, keys[D], 'DISTRIBUTOR', { signerName: '李经理', documentSha256: doc, keyId: state.dKey.keyId, signature: dSig });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'PARTIALLY_SIGNED');
  assertError(await sign(id, keys[H], 'INSTITUTION', { signerName: '王院长', documentSha256: doc }),
    400, 'FAILED_PRECONDITION', 'party');
  res = await sign(id, keys[M], 'MANUFACTURER', { signerName: '张经理', documentSha256: doc, keyId: state.mKey.keyId, signature: mSig });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'ENTERPRISE_SIGNED');
  // Until the renewal is in force, the old contract is.
  assert.equal((await ok('GET', `/v1/contracts/${state.c1}`, { key: keys[D] })).state, 'EFFECTIVE');
  res = await sign(id, keys[H], 'INSTITUTION', { signerName: '王院长', documentSha256: doc });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.state, 'EFFECTIVE');

  const c2 = await ok('GET', `/v1/contracts/${id}`, { key: keys[M] });
  assert.equal(c2.state, 'EFFECTIVE');
  assert.deepEqual(steps(c2), [
    ['CREATE', 'CONTRACT_STATE_UNSPECIFIED', 'DRAFT', PROV, 'BUREAU'],
    ['SIGN', 'DRAFT', 'PARTIALLY_SIGNED', D, 'DISTRIBUTOR'],
    ['SIGN', 'PARTIALLY_SIGNED', 'ENTERPRISE_SIGNED', M, 'MANUFACTURER'],
    ['SIGN', 'ENTERPRISE_SIGNED', 'EFFECTIVE', H, 'MEDICAL_INSTITUTION'],
  ]);
  assert.equal(c2.history[0].note, `renews ${state.c1}`);
  checkSignatures(c2, { [state.mKey.keyId]: state.mKey.pem, [state.dKey.keyId]: state.dKey.pem }, 'der');

  // The year-1 contract: RENEWED, its history appended (C9): the renewal made (state kept), then
  // the renewal in force.
  const c1 = await ok('GET', `/v1/contracts/${state.c1}`, { key: keys[H] });
  assert.equal(c1.state, 'RENEWED');
  assert.deepEqual(steps(c1), [
    ['CREATE', 'CONTRACT_STATE_UNSPECIFIED', 'DRAFT', PROV, 'BUREAU'],
    ['SIGN', 'DRAFT', 'PARTIALLY_SIGNED', M, 'MANUFACTURER'],
    ['SIGN', 'PARTIALLY_SIGNED', 'ENTERPRISE_SIGNED', D, 'DISTRIBUTOR'],
    ['SIGN', 'ENTERPRISE_SIGNED', 'EFFECTIVE', H, 'MEDICAL_INSTITUTION'],
    ['RENEW', 'EFFECTIVE', 'EFFECTIVE', PROV, 'BUREAU'],
    ['RENEW', 'EFFECTIVE', 'RENEWED', H, 'MEDICAL_INSTITUTION'],
  ]);
  assert.equal(c1.history[4].note, `renewed by ${id}`);
  assert.equal(c1.history[5].note, `renewed by ${id}`);
  // Nothing more to sign or renew on it.
  assertError(await sign(state.c1, keys[H], 'INSTITUTION', { signerName: '王院长', documentSha256: doc }),
    400, 'FAILED_PRECONDITION', 'party');
});

test('GET /v1/contracts: each party sees only the contracts that name it', async () => {
  const list = async (who, query = '') =>
    (await ok('GET', `/v1/contracts${query}`, { key: keys[who] })).contracts ?? [];
  const summary = (cs) => cs.map((c) => [c.id, c.productId, c.agreementYear, c.state]).sort();
  const c1 = [state.c1, W1, 1, 'RENEWED'];
  const c2 = [state.c2, W1, 2, 'EFFECTIVE'];
  const w2 = [state.c1w2, W2, 1, 'DRAFT'];
  // D: W1's two, not W2's (which names no distributor), whatever it asks for.
  assert.deepEqual(summary(await list(D)), [c1, c2].sort());
  assert.deepEqual(summary(await list(D, `?batchCode=${batch}`)), [c1, c2].sort());
  assert.deepEqual(summary(await list(D, `?batchCode=${batch}&partyId=${H}`)), [c1, c2].sort());
  assert.deepEqual(summary(await list(D, `?batchCode=${batch}&state=RENEWED`)), [c1]);
  for (const c of await list(D)) assert.equal(c.distributorId, D);
  assert.deepEqual(summary(await list(M)), [c1, c2].sort());
  assert.deepEqual(summary(await list(M2)), [w2]);
  assert.deepEqual(summary(await list(H, `?batchCode=${batch}`)), [c1, c2, w2].sort());
  assert.deepEqual(summary(await list(PROV, `?batchCode=${batch}&state=EFFECTIVE`)), [c2]);
});
