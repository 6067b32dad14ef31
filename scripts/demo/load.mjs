// Loads the demo data into a running catalog-svc over gRPC, with the admin key:
//   VBP_ADMIN_KEY=... VBP_CATALOG_ADDR=127.0.0.1:50051 node scripts/demo/load.mjs
// With VBP_PRICING_ADDR also a listing in pricing-svc; with VBP_VOLUME_ADDR also demand reports,
// their review, the allocations and (with pricing-svc, which flags purchases) two purchases in
// volume-svc; with VBP_CONTRACT_ADDR too (contracts are made of volume-svc's allocations) a
// distributor named for the product, the year-1 contracts and one of them signed by its three
// parties in contract-svc. Creates are idempotent on the server (same id and body answer the
// stored resource), so it may run again; ALREADY_EXISTS means the stored resource differs from
// the demo's.
// Also a small client for trying the API by hand:
//   node scripts/demo/load.mjs call METHOD '{"json": "request"}'
// (with VBP_API_KEY, or else VBP_ADMIN_KEY, as the bearer key).
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiDir = path.resolve(here, '../../api');

// GB 32100-2015 (common/credit_code.h): the 18th character checks the first 17.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export function creditCode(first17) {
  if (first17.length !== 17) throw new Error(`credit code stem must be 17 characters: ${first17}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(first17[i]);
    if (v < 0) throw new Error(`'${first17[i]}' is outside the GB 32100 alphabet`);
    sum += v * WEIGHTS[i];
  }
  const check = (31 - (sum % 31)) % 31;
  return first17 + ALPHABET[check];
}

function loadClient(addr, file = 'vbp/v1/catalog.proto', service = 'CatalogService') {
  const def = protoLoader.loadSync(path.join(apiDir, file), {
    includeDirs: [apiDir, '/usr/include'],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const vbp = grpc.loadPackageDefinition(def).vbp.v1;
  return new vbp[service](addr, grpc.credentials.createInsecure());
}

function call(client, key, method, req) {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${key}`);
  return new Promise((resolve, reject) => {
    client[method](req, md, { deadline: Date.now() + 10_000 }, (err, res) => {
      if (err) {
        err.method = method;
        reject(err);
      } else {
        resolve(res);
      }
    });
  });
}

function waitReady(client, seconds) {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + seconds * 1000, (err) => (err ? reject(err) : resolve())));
}

// The demo's reference data: the regions the seed document names.
const regions = [
  { code: '350000', name: '福建省', level: 'PROVINCE' },
  { code: '350100', name: '福州市', level: 'CITY', parentCode: '350000' },
  { code: '350102', name: '鼓楼区', level: 'COUNTY', parentCode: '350100' },
  { code: '360000', name: '江西省', level: 'PROVINCE' },
  { code: '220000', name: '吉林省', level: 'PROVINCE' },
  { code: '140000', name: '山西省', level: 'PROVINCE' },
  { code: '141100', name: '吕梁市', level: 'CITY', parentCode: '140000' },
];

// Registration authority + kind (GB 32100: 11 a government body, 12 a public institution,
// 91 an enterprise), the region, then an organization code of 9 characters.
const organizations = [
  { id: 'fj-bureau', name: '福建省医疗保障局', kind: 'BUREAU', regionCode: '350000',
    creditCode: creditCode('11350000MB0000001') },
  { id: 'jx-alliance-office', name: '江西省医药采购服务中心', kind: 'ALLIANCE_OFFICE',
    regionCode: '360000', creditCode: creditCode('12360000MB0000002') },
  { id: 'fz-manufacturer', name: '福州示例生物制药有限公司', kind: 'MANUFACTURER',
    regionCode: '350100', creditCode: creditCode('91350100MA0000003') },
  { id: 'fz-distributor', name: '福州示例医药配送有限公司', kind: 'DISTRIBUTOR',
    regionCode: '350100', creditCode: creditCode('91350100MA0000004') },
  { id: 'fz-hospital', name: '福州示例人民医院', kind: 'MEDICAL_INSTITUTION', regionCode: '350100',
    creditCode: creditCode('12350100MB0000005'), institutionType: 'PUBLIC' },
  { id: 'gl-hospital', name: '福州市鼓楼区示例医院', kind: 'MEDICAL_INSTITUTION',
    regionCode: '350102', creditCode: creditCode('12350102MB0000006'), institutionType: 'PUBLIC' },
];

const BATCH = 'JX-YP2023-01';
const batch = {
  code: BATCH,
  name: '江西牵头省际联盟干扰素集中带量采购',
  kind: 'DRUG',
  organizerLevel: 'ALLIANCE',
  leadRegionCode: '360000',
  memberRegionCodes: ['360000', '350000'],
  cycleYears: 4,
};

// No signing windows (C2): those of the 000 document (enterprises 2024-07-04..08, hospitals
// 07-09..12) would refuse every year-1 signature today, and the demo signs one.
const execution = {
  batchCode: BATCH,
  regionCode: '350000',
  listingDate: '2024-07-18',
  startDate: '2024-07-22',
};
// Demos before contract-svc gave the execution those windows. A database loaded by one keeps
// them: it is loaded again as it is, and its contracts are generated but not signed.
const earlierExecution = {
  ...execution,
  enterpriseSignFrom: '2024-07-04',
  enterpriseSignTo: '2024-07-08',
  institutionSignFrom: '2024-07-09',
  institutionSignTo: '2024-07-12',
};

const product = {
  id: 'ifn-a2b-inj-3miu',
  kind: 'DRUG',
  genericName: '重组人干扰素α2b',
  dosageForm: '注射剂',
  specification: '300万IU',
  unit: '支',
  manufacturerId: 'fz-manufacturer',
  qualityTier: 'ORIGINATOR',
  inInsuranceCatalog: true,
};

const group = { batchCode: BATCH, id: 'ifn-a2b-inj', genericName: '重组人干扰素α2b', competitive: true };

const result = {
  batchCode: BATCH,
  productId: product.id,
  groupId: group.id,
  status: 'WINNING',
  winningPrice: '30.0000',
  sharePercent: 100,
};

// The product's listed price in Fujian (挂网), kept by pricing-svc.
const listing = { regionCode: '350000', productId: product.id, price: '35.0000', listedOn: '2024-01-01' };

// volume-svc: each Fujian hospital's demand for the group in agreement year 1 (V1), reviewed by
// the admin key at every level of the chain, then the year's allocations at 80% (V2, V3).
const demands = [
  { institutionId: 'fz-hospital', quantity: '1200', lastYearQuantity: '1000' },
  { institutionId: 'gl-hospital', quantity: '300', lastYearQuantity: '250' },
].map((d) => ({
  batchCode: BATCH,
  regionCode: execution.regionCode,
  groupId: group.id,
  agreementYear: 1,
  ...d,
  // The hex SHA-256 of the signed commitment letter: the demo's stands in for a real one.
  commitmentSha256: crypto.createHash('sha256')
    .update(`demo commitment ${BATCH} ${d.institutionId} ${group.id} 1`).digest('hex'),
}));

const allocations = { batchCode: BATCH, regionCode: execution.regionCode, agreementYear: 1, ratioPercent: 80 };

// Purchases at the winning price (10 x 30.0000), accepted in 2024, so never after today.
const purchases = [
  { institutionId: 'fz-hospital', orderedOn: '2024-08-12', acceptedOn: '2024-08-15' },
  { institutionId: 'gl-hospital', orderedOn: '2024-09-02', acceptedOn: '2024-09-05' },
].map((p) => ({
  productId: product.id,
  batchCode: BATCH,
  quantity: '10',
  amount: '300.0000',
  externalId: `demo-${p.institutionId}-${p.acceptedOn}`,
  ...p,
}));

// contract-svc: the manufacturer names the demo distributor for its product in Fuzhou, the
// coordination area of both hospitals (C8); the admin key generates the year-1 contracts from the
// allocations (C1; volume-svc freezes them then), which take that distributor (the only one
// named); the Fuzhou hospital's contract is signed by the manufacturer, the distributor and the
// hospital, in that order (C2), each with an API key of its own: the admin key signs for no one.
const naming = {
  manufacturerId: product.manufacturerId,
  productId: product.id,
  distributorId: 'fz-distributor',
  regionCode: '350100',
};
const generation = { batchCode: BATCH, regionCode: execution.regionCode, agreementYear: 1 };
const signedInstitution = 'fz-hospital';
const signers = [
  { party: 'MANUFACTURER', organizationId: naming.manufacturerId, signerName: '张伟' },
  { party: 'DISTRIBUTOR', organizationId: naming.distributorId, signerName: '李娜' },
  { party: 'INSTITUTION', organizationId: signedInstitution, signerName: '王芳' },
];

// V1: a drug report is reviewed COUNTY -> CITY -> PROVINCE, from the institution's own level.
const LEVELS = ['COUNTY', 'CITY', 'PROVINCE'];
function reviewChain(institutionId) {
  const org = organizations.find((o) => o.id === institutionId);
  const level = regions.find((r) => r.code === org.regionCode).level;
  return LEVELS.slice(LEVELS.indexOf(level));
}

// One report submitted and approved at every level. Again on a later run, SubmitDemand answers
// the stored report (the same content), with the reviews it already has: only the rest are made.
async function submitAndApprove(volume, key, demand) {
  const report = await call(volume, key, 'SubmitDemand', demand);
  let state = report.state;
  for (const level of reviewChain(demand.institutionId).slice((report.reviews ?? []).length)) {
    state = (await call(volume, key, 'ReviewDemand', { id: report.id, level, approve: { value: true } }))
      .state;
  }
  if (state !== 'APPROVED') {
    throw new Error(`demand report ${report.id} of ${demand.institutionId} is ${state}, not APPROVED`);
  }
}

async function loadVolume(key, volumeAddr, withPurchases) {
  const volume = loadClient(volumeAddr, 'vbp/v1/volume.proto', 'VolumeService');
  let what = '';
  try {
    await waitReady(volume, 10);
    for (const d of demands) {
      what = `demand report of ${d.institutionId} for group ${d.groupId}`;
      await submitAndApprove(volume, key, d);
    }
    what = `allocations of ${BATCH} in ${allocations.regionCode}, year 1`;
    let computed;
    try {
      computed = (await call(volume, key, 'ComputeAllocations', allocations)).computed;
    } catch (err) {
      // Frozen once contract-svc generated the year's contracts: they stay as they were.
      if (err.code !== grpc.status.FAILED_PRECONDITION || !/frozen/.test(err.details ?? '')) throw err;
      computed = 'frozen';
    }
    let recorded = 0;
    for (const p of withPurchases ? purchases : []) {
      what = `purchase ${p.externalId}`;
      await call(volume, key, 'RecordPurchase', p); // the same externalId and content: the stored one
      recorded++;
    }
    console.log(`demo: ${demands.length} demand reports approved, allocations of year 1 at ` +
      `${allocations.ratioPercent}% (${computed})` +
      (withPurchases ? `, ${recorded} purchases` : ' (no purchases: they need pricing-svc)') +
      ` at ${volumeAddr}`);
  } catch (err) {
    if (err.code === grpc.status.ALREADY_EXISTS) {
      err.message = `${what} is already stored with other values than the demo's ` +
        `(start from an empty database to reload it): ${err.details}`;
    } else {
      err.message = `${what}: ${err.message}`;
    }
    throw err;
  } finally {
    volume.close();
  }
}

// An API key of organizationId, made by the admin key (the caller revokes it when done).
async function mintKey(catalog, key, organizationId) {
  const made = await call(catalog, key, 'CreateApiKey', { organizationId });
  return { id: made.id, key: made.key };
}

async function loadContracts(catalog, key, contractAddr, windowsClosed) {
  const contracts = loadClient(contractAddr, 'vbp/v1/contract.proto', 'ContractService');
  const minted = new Map(); // organization id -> {id, key}
  const keyOf = async (organizationId) => {
    if (!minted.has(organizationId)) {
      minted.set(organizationId, await mintKey(catalog, key, organizationId));
    }
    return minted.get(organizationId).key;
  };
  let what = '';
  try {
    await waitReady(contracts, 10);
    what = `naming of ${naming.distributorId} for ${naming.productId} in ${naming.regionCode}`;
    // Again: the naming that stands.
    await call(contracts, await keyOf(naming.manufacturerId), 'AuthorizeDistributor', naming);
    what = `contracts of ${BATCH} in ${generation.regionCode}, year 1`;
    // Again: the contracts already there are left as they are.
    const { generated } = await call(contracts, key, 'GenerateContracts', generation);
    what = `the year-1 contract of ${signedInstitution}`;
    const listed = await call(contracts, key, 'ListContracts',
      { batchCode: BATCH, partyId: signedInstitution });
    const found = listed.contracts.find((c) => c.agreementYear === 1 &&
      c.institutionId === signedInstitution && c.productId === product.id);
    if (!found) throw new Error(`GenerateContracts made none for ${signedInstitution}`);
    let contract = await call(contracts, key, 'GetContract', { id: found.id });
    what = `contract ${contract.id}`;
    if (!contract.distributorId) { // generated before the naming: the manufacturer names it now
      contract = await call(contracts, await keyOf(naming.manufacturerId), 'AssignDistributor',
        { id: contract.id, distributorId: naming.distributorId });
    }
    // Every party signs the same document; the demo's hash stands in for a real one's (C9).
    const documentSha256 = crypto.createHash('sha256')
      .update(`demo contract ${contract.id} ${BATCH} ${signedInstitution} ${product.id} year 1`)
      .digest('hex');
    let unsigned = '';
    for (const s of signers) {
      if (contract.signatures.some((x) => x.party === s.party)) continue; // an earlier run's
      if (windowsClosed) {
        unsigned = ' (not signed: the execution stored by an earlier demo has the signing ' +
          'windows of July 2024; load into an empty database to sign)';
        break;
      }
      what = `the ${s.party} signature of contract ${contract.id}`;
      try {
        contract = await call(contracts, await keyOf(s.organizationId), 'SignContract',
          { id: contract.id, party: s.party, signerName: s.signerName, documentSha256 });
      } catch (err) {
        // Signed meanwhile by another run: done.
        const signedAlready = /signed already/.test(err.details ?? '');
        if (err.code !== grpc.status.FAILED_PRECONDITION || !signedAlready) throw err;
      }
    }
    contract = await call(contracts, key, 'GetContract', { id: contract.id });
    console.log(`demo: ${naming.distributorId} named for ${naming.productId} in ` +
      `${naming.regionCode}, ${generated} contracts of year 1 (allocations frozen), contract ` +
      `${contract.id} of ${signedInstitution} with ${contract.signatures.length} of 3 signatures, ` +
      `${contract.state}${unsigned} at ${contractAddr}`);
  } catch (err) {
    if (err.code === grpc.status.ALREADY_EXISTS) {
      err.message = `${what} is already stored with other values than the demo's ` +
        `(start from an empty database to reload it): ${err.details}`;
    } else {
      err.message = `${what}: ${err.message}`;
    }
    throw err;
  } finally {
    // The keys were for these calls alone.
    for (const { id } of minted.values()) {
      await call(catalog, key, 'RevokeApiKey', { id }).catch((err) =>
        console.error(`demo: revoking API key ${id}: ${err.message}`));
    }
    contracts.close();
  }
}

async function load(client, key, addr) {
  const steps = [
    ...regions.map((r) => ['CreateRegion', r, `region ${r.code}`]),
    ...organizations.map((o) => ['CreateOrganization', o, `organization ${o.id}`]),
    ['CreateBatch', batch, `batch ${BATCH}`],
    ['CreateExecution', execution, `execution ${BATCH}/${execution.regionCode}`],
    ['CreateProduct', product, `product ${product.id}`],
    ['CreateGroup', group, `group ${group.id}`],
    ['PublishResult', result, `result ${BATCH}/${product.id}`],
  ];
  let windowsClosed = false;
  for (const [method, req, what] of steps) {
    try {
      await call(client, key, method, req);
    } catch (err) {
      if (err.code === grpc.status.ALREADY_EXISTS && req === execution) {
        const earlier = await call(client, key, method, earlierExecution)
          .then(() => true, () => false);
        if (earlier) {
          windowsClosed = true;
          continue;
        }
      }
      if (err.code === grpc.status.ALREADY_EXISTS) {
        err.message = `${what} is already stored with other values than the demo's ` +
          `(start from an empty database to reload it): ${err.details}`;
      } else {
        err.message = `${what}: ${err.message}`;
      }
      throw err;
    }
  }
  console.log(`demo: ${regions.length} regions, ${organizations.length} organizations, ` +
    `batch ${BATCH} with its Fujian execution, 1 product, 1 group, 1 winning result ` +
    `(30.0000, 100%) at ${addr}`);
  const pricingAddr = process.env.VBP_PRICING_ADDR;
  const volumeAddr = process.env.VBP_VOLUME_ADDR;
  const contractAddr = process.env.VBP_CONTRACT_ADDR;
  if (pricingAddr) await loadPricing(key, pricingAddr);
  if (volumeAddr) await loadVolume(key, volumeAddr, Boolean(pricingAddr));
  if (contractAddr && volumeAddr) {
    await loadContracts(client, key, contractAddr, windowsClosed);
  } else if (contractAddr) {
    console.log("demo: no contracts (they are made of volume-svc's allocations)");
  }
}

async function loadPricing(key, pricingAddr) {
  const pricing = loadClient(pricingAddr, 'vbp/v1/pricing.proto', 'PricingService');
  try {
    await waitReady(pricing, 10);
    await call(pricing, key, 'UpsertListing', listing);
  } catch (err) {
    err.message = `listing ${listing.productId} in ${listing.regionCode}: ${err.message}`;
    throw err;
  } finally {
    pricing.close();
  }
  console.log(`demo: ${listing.productId} listed in ${listing.regionCode} at ${listing.price} ` +
    `from ${listing.listedOn} at ${pricingAddr}`);
}

async function main() {
  const addr = process.env.VBP_CATALOG_ADDR || '127.0.0.1:50051';
  const [mode, method, json] = process.argv.slice(2);
  const key = (mode === 'call' && process.env.VBP_API_KEY) || process.env.VBP_ADMIN_KEY;
  if (!key) throw new Error('VBP_ADMIN_KEY is not set');
  const client = loadClient(addr);
  try {
    await waitReady(client, 10);
    if (mode === 'call') {
      if (!method || typeof client[method] !== 'function') {
        throw new Error(`usage: load.mjs call METHOD [JSON]; no method '${method ?? ''}'`);
      }
      const res = await call(client, key, method, json ? JSON.parse(json) : {});
      console.log(JSON.stringify(res, null, 2));
    } else if (mode === undefined) {
      await load(client, key, addr);
    } else {
      throw new Error(`unknown argument '${mode}' (expected nothing or 'call')`);
    }
  } finally {
    client.close();
  }
}

main().catch((err) => {
  const field = err.metadata?.get?.('vbp-error-field')?.[0];
  const code = err.code !== undefined ? ` [${grpc.status[err.code] ?? err.code}]` : '';
  console.error(`demo: ${err.message}${code}${field ? ` (field ${field})` : ''}`);
  process.exitCode = 1;
});
