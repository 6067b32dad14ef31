// A batch with something of every exchange record type, built through the gateway only, for the
// exchange tests (exchange_export.test.mjs, exchange_roundtrip.test.mjs): a batch created by an
// alliance office and executed in Fujian; demand reviewed at three levels -> allocations ->
// contracts generated, one signed by all three parties -> a purchase, so progress rows exist.
// On a fresh stack: it creates the regions, so it runs once per stack.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { call, creditCode } from './http.mjs';

export const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');

export async function ok(method, urlPath, { key, body } = {}) {
  const res = await call(method, urlPath, { key, body });
  assert.equal(res.status, 200, `${method} ${urlPath}: ${res.text}`);
  return res.json;
}

// `p` prefixes every code (export: 'E'), so two tests' files never share an id. Answers the ids,
// each organization's API key, the contracts' ids (sorted) and the one signed by all parties.
export async function buildExchangeBatch(p) {
  const run = crypto.randomBytes(4).toString('hex');
  const f = {
    run,
    batch: `${p}X-FJ-${run}`,
    GN: `阿托伐他汀-${run}`,
    keys: {},
  };
  [f.W1, f.W2] = ['W1', 'W2'].map((x) => `${p}${x}-${run}`);
  [f.M, f.M2, f.D, f.DX, f.H] = ['M', 'M2', 'D', 'DX', 'H'].map((x) => `${p}${x}-${run}`);
  [f.PROV, f.CITY, f.COUNTY] = ['BP', 'BC', 'BX'].map((x) => `${p}${x}-${run}`);
  [f.AO, f.AO2] = ['AO', 'AO2'].map((x) => `${p}${x}-${run}`);
  const { batch, GN, keys } = f;

  for (const [code, name, level, parentCode] of [
    ['350000', '福建省', 'PROVINCE', ''],
    ['350100', '福州市', 'CITY', '350000'],
    ['350121', '闽侯县', 'COUNTY', '350100'],
    ['360000', '江西省', 'PROVINCE', ''],
  ])
    await ok('POST', '/v1/regions', { body: { code, name, level, parentCode } });

  for (const [id, name, kind, regionCode] of [
    [f.AO, '江西联采办', 'ALLIANCE_OFFICE', '360000'],
    [f.AO2, '另一联采办', 'ALLIANCE_OFFICE', '360000'],
    [f.PROV, '福建省医疗保障局', 'BUREAU', '350000'],
    [f.CITY, '福州市医疗保障局', 'BUREAU', '350100'],
    [f.COUNTY, '闽侯县医疗保障局', 'BUREAU', '350121'],
    [f.H, '闽侯县总医院', 'MEDICAL_INSTITUTION', '350121'],
    [f.M, '甲药业', 'MANUFACTURER', '350000'],
    [f.M2, '乙药业', 'MANUFACTURER', '350000'],
    [f.D, '鹭燕医药', 'DISTRIBUTOR', '350100'],
    [f.DX, '江西配送', 'DISTRIBUTOR', '360000'],
  ]) {
    const body = { id, name, kind, regionCode, creditCode: creditCode(regionCode) };
    if (kind === 'MEDICAL_INSTITUTION') body.institutionType = 'PUBLIC';
    await ok('POST', '/v1/organizations', { body });
    keys[id] = (await ok('POST', '/v1/apiKeys', { body: { organizationId: id } })).key;
  }

  // The alliance office creates the batch, its products, group and results.
  await ok('POST', '/v1/batches', {
    key: keys[f.AO],
    body: {
      code: batch, name: '联盟药品带量采购(导出)', kind: 'DRUG', organizerLevel: 'ALLIANCE',
      leadRegionCode: '360000', memberRegionCodes: ['360000', '350000'], cycleYears: 4,
    },
  });
  await ok('POST', `/v1/batches/${batch}/executions`, {
    body: { regionCode: '350000', listingDate: '2024-07-18', startDate: '2024-07-22' },
  });
  for (const [id, manufacturerId] of [[f.W1, f.M], [f.W2, f.M2]])
    await ok('POST', '/v1/products', {
      key: keys[f.AO],
      body: {
        id, kind: 'DRUG', genericName: GN, dosageForm: '片剂', specification: '20mg', unit: '片',
        manufacturerId, qualityTier: 'CONSISTENCY_PASSED', inInsuranceCatalog: true,
      },
    });
  await ok('POST', `/v1/batches/${batch}/groups`, {
    key: keys[f.AO], body: { id: 'G1', genericName: GN, competitive: true },
  });
  await ok('POST', `/v1/batches/${batch}/results`, {
    key: keys[f.AO],
    body: { productId: f.W1, groupId: 'G1', status: 'WINNING', winningPrice: '12.5', sharePercent: 60 },
  });
  await ok('POST', `/v1/batches/${batch}/results`, {
    key: keys[f.AO],
    body: { productId: f.W2, groupId: 'G1', status: 'WINNING', winningPrice: '13', sharePercent: 40 },
  });

  // V1-V3: 1003 x 70% = 702: W1 421, W2 281.
  const report = await ok('POST', '/v1/demandReports', {
    key: keys[f.H],
    body: {
      batchCode: batch, regionCode: '350000', institutionId: f.H, groupId: 'G1', agreementYear: 1,
      quantity: 1003, lastYearQuantity: 980, commitmentSha256: sha256hex(`承诺书 ${run}`),
    },
  });
  for (const [who, level] of [[f.COUNTY, 'COUNTY'], [f.CITY, 'CITY'], [f.PROV, 'PROVINCE']])
    await ok('POST', `/v1/demandReports/${report.id}:review`, {
      key: keys[who], body: { level, approve: true, comment: 'ok' },
    });
  await ok('POST', '/v1/allocations:compute', {
    key: keys[f.PROV], body: { batchCode: batch, regionCode: '350000', agreementYear: 1, ratioPercent: 70 },
  });
  // C8: D for W1 in H's area; W2's contract stays a DRAFT without a distributor.
  await ok('POST', '/v1/distributorAuthorizations', {
    key: keys[f.M], body: { manufacturerId: f.M, productId: f.W1, distributorId: f.D, regionCode: '350100' },
  });
  const generated = await ok('POST', '/v1/contracts:generate', {
    key: keys[f.PROV], body: { batchCode: batch, regionCode: '350000', agreementYear: 1 },
  });
  assert.equal(generated.generated, 2);
  f.contracts = generated.contracts.map((c) => c.id).sort();
  f.signed = generated.contracts.find((c) => c.productId === f.W1).id;
  const document = sha256hex(`合同 ${run}`);
  for (const [who, party] of [[f.M, 'MANUFACTURER'], [f.D, 'DISTRIBUTOR'], [f.H, 'INSTITUTION']])
    await ok('POST', `/v1/contracts/${f.signed}:sign`, {
      key: keys[who], body: { party, signerName: '张经理', documentSha256: document },
    });
  await ok('POST', '/v1/purchases', {
    key: keys[f.H],
    body: {
      institutionId: f.H, productId: f.W1, batchCode: batch, quantity: 100, amount: '1250',
      orderedOn: '2025-11-01', acceptedOn: '2025-11-02',
    },
  });
  return f;
}
