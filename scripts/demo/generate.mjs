// The demo data: expands the description in data.mjs into REST calls through the gateway
// (VBP_GATEWAY_ADDR, with VBP_ADMIN_KEY and keys it makes for the parties that sign), and loads
// the history the way it happened: in phases, each with the services' clock pinned to its day
// (VBP_TODAY, common/clock.h), since a 2024 signature is refused on today's clock.
//   node scripts/demo/generate.mjs load    loads what is missing. Before each phase it runs
//                                          `scripts/demo/pin RUN DATE` (VBP_DEMO_RUN: the run
//                                          directory of scripts/stack), which restarts
//                                          contract-svc and volume-svc (the services whose writes
//                                          read today) pinned to DATE; after the last, with no
//                                          DATE: the real clock. A phase whose last write is
//                                          there already is skipped, so loading again restarts
//                                          nothing; every write is idempotent besides.
//   node scripts/demo/generate.mjs calls   prints (JSON) the example calls scripts/up shows, with
//                                          the ids the load made; as curl commands with
//                                          VBP_DEMO_FORMAT=curl.
// Deterministic: the same description gives the same data (ids, names, quantities, dates).
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import data from './data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = `http://${process.env.VBP_GATEWAY_ADDR || '127.0.0.1:8080'}`;
const adminKey = process.env.VBP_ADMIN_KEY;

// ------------------------------------------------------------------ deterministic helpers

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
// A number in [0, 1) from a name: the same name, the same number, on every run.
const unit = (name) => parseInt(sha256(`${data.seed}|${name}`).slice(0, 8), 16) / 2 ** 32;

// GB 32100-2015 (common/credit_code.h): registration authority and kind (11 a government body,
// 12 a public institution, 91 an enterprise), the region, a 9-character organization code from the
// id, and the check character over the 17.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export function creditCode(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return first17 + ALPHABET[(31 - (sum % 31)) % 31];
}
function creditCodeOf(prefix, regionCode, id) {
  const h = sha256(id);
  let org = '';
  for (let i = 0; i < 9; i++) org += ALPHABET[parseInt(h.slice(2 * i, 2 * i + 2), 16) % 31];
  return creditCode(`${prefix}${regionCode}${org}`);
}

// Money: strings of yuan, computed in integers of 0.0001 yuan (DOMAIN.md).
const units = (yuan) => {
  const [i, f = ''] = yuan.split('.');
  return BigInt(i) * 10000n + BigInt((f + '0000').slice(0, 4));
};
const yuan = (u) => `${u / 10000n}.${String(u % 10000n).padStart(4, '0')}`;

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰', '涛', '明', '超', '霞', '平'];
const personOf = (id) => SURNAMES[Math.floor(unit(`s|${id}`) * SURNAMES.length)] +
  GIVEN[Math.floor(unit(`g|${id}`) * GIVEN.length)];

// ------------------------------------------------------------------ the description, expanded

function expand() {
  const regions = [], orgs = [], hospitals = {}, areas = {};
  const org = (id, name, kind, regionCode, prefix, extra = {}) => {
    const o = { id, name, kind, regionCode, creditCode: creditCodeOf(prefix, regionCode, id), ...extra };
    orgs.push(o);
    return o;
  };
  const executing = new Set(data.batches.flatMap((b) => Object.keys(b.executions)));
  for (const [pcode, p] of Object.entries(data.provinces)) {
    regions.push({ code: pcode, name: p.name, level: 'PROVINCE' });
    const cities = Object.entries(p.cities);
    for (const [ccode, [cname, counties]] of cities) {
      regions.push({ code: ccode, name: cname, level: 'CITY', parentCode: pcode });
      for (const [xcode, xname] of Object.entries(counties))
        regions.push({ code: xcode, name: xname, level: 'COUNTY', parentCode: ccode });
    }
    if (!executing.has(pcode)) continue;
    // Bureaus at every level, the insurance agency, a distributor per city (the capital's also
    // serves the provincial hospitals, whose coordination area is the province), the hospitals.
    const hs = (hospitals[pcode] = []);
    const hospital = (code, name, level, area) => {
      const id = `h-${code}-${hs.filter((h) => h.regionCode === code).length + 1}`;
      hs.push(Object.assign(org(id, name, 'MEDICAL_INSTITUTION', code, '12', { institutionType: 'PUBLIC' }), { level, area }));
    };
    org(`bureau-${pcode}`, `${p.name}医疗保障局`, 'BUREAU', pcode, '11');
    org(`agency-${pcode}`, `${p.name}医疗保障基金管理中心`, 'INSURANCE_AGENCY', pcode, '12');
    for (const suffix of data.hospitals.province)
      hospital(pcode, `${p.name.replace(/省$/, '')}${suffix}`, 'PROVINCE', pcode);
    areas[pcode] = { [pcode]: [`dist-${cities[0][0]}`] };
    for (const [ccode, [cname, counties]] of cities) {
      org(`bureau-${ccode}`, `${cname}医疗保障局`, 'BUREAU', ccode, '11');
      org(`dist-${ccode}`, `${cname.replace(/市$/, '')}${data.distributor}`, 'DISTRIBUTOR', ccode, '91');
      areas[pcode][ccode] = [`dist-${ccode}`];
      for (const suffix of data.hospitals.city) hospital(ccode, `${cname}${suffix}`, 'CITY', ccode);
      for (const [xcode, xname] of Object.entries(counties)) {
        org(`bureau-${xcode}`, `${xname}医疗保障局`, 'BUREAU', xcode, '11');
        for (const suffix of data.hospitals.county) hospital(xcode, `${xname}${suffix}`, 'COUNTY', ccode);
      }
    }
  }
  for (const [m, [name, region]] of Object.entries(data.manufacturers))
    org(`mfr-${m.slice(1).toLowerCase()}`, name, 'MANUFACTURER', region, '91');
  for (const [id, name, region] of data.extraDistributors)
    org(id, name, 'DISTRIBUTOR', region, '91');

  const batches = data.batches.map((b) => {
    const office = b.office && org(`office-${b.lead}`, b.office, 'ALLIANCE_OFFICE', b.lead, '12');
    const products = [], groups = [], results = [];
    for (const [gid, [genericName, competitive, dosageForm, specification, unitName, items, cf]] of Object.entries(b.groups)) {
      groups.push({ id: gid, genericName, competitive });
      for (const [m, status, price, share, qualityTier] of items) {
        const p = {
          id: `${gid}-${m}`, kind: b.kind, genericName, specification, unit: unitName,
          manufacturerId: `mfr-${m.slice(1).toLowerCase()}`, inInsuranceCatalog: true,
        };
        if (b.kind === 'DRUG') Object.assign(p, { dosageForm, qualityTier });
        else Object.assign(p, { category: cf[0], function: cf[1] });
        products.push(p);
        const r = { productId: p.id, groupId: gid, status };
        if (price) r.winningPrice = price;
        if (share) r.sharePercent = share;
        results.push(r);
      }
    }
    return { ...b, office, products, groups, results };
  });
  return { regions, orgs, hospitals, areas, batches };
}

const world = expand();
const byId = new Map(world.orgs.map((o) => [o.id, o]));
const JX = world.batches[0];
const SX = world.batches[1];

// ------------------------------------------------------------------ calling the gateway

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let calls = 0;

async function api(method, route, { key = adminKey, body, raw, ndjson, idem } = {}) {
  const headers = { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ndjson !== undefined) headers['Content-Type'] = 'application/x-ndjson';
  if (idem) headers['Idempotency-Key'] = idem;
  const payload = body !== undefined ? JSON.stringify(body) : ndjson;
  // A service just restarted may answer 503 for a moment, until the gateway's channel is back.
  for (let attempt = 0; ; attempt++) {
    calls++;
    const res = await fetch(base + route, { method, headers, body: payload });
    const text = await res.text();
    if (res.status === 503 && attempt < 100) {
      await sleep(100);
      continue;
    }
    const json = text ? JSON.parse(text) : {};
    // Two writes side by side may conflict (a serialization failure the service did not retry).
    if (res.status === 409 && json.code === 'ABORTED' && attempt < 20) {
      await sleep(20 * (attempt + 1));
      continue;
    }
    if (res.status !== 200 && !raw) {
      const err = new Error(`${method} ${route}: ${res.status} ${text}`);
      err.status = res.status;
      err.json = json;
      throw err;
    }
    return raw ? { status: res.status, json } : json;
  }
}

async function listAll(route, field) {
  const out = [];
  let token = '';
  do {
    const sep = route.includes('?') ? '&' : '?';
    const page = await api('GET', `${route}${sep}pageSize=500${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
    out.push(...(page[field] ?? []));
    token = page.nextPageToken ?? '';
  } while (token);
  return out;
}

// API keys of the parties, made by the admin key when first needed and revoked at the end.
// (The promise is kept, so calls running side by side make one key per organization.)
const keys = new Map();
async function keyOf(orgId) {
  if (!keys.has(orgId)) keys.set(orgId, api('POST', '/v1/apiKeys', { body: { organizationId: orgId } }));
  return (await keys.get(orgId)).key;
}
async function revokeKeys() {
  const made = await Promise.allSettled(keys.values());
  keys.clear();
  await each(made.filter((m) => m.status === 'fulfilled'), (m) => api('DELETE', `/v1/apiKeys/${m.value.id}`).catch(() => {}));
}

// fn over items, CONCURRENCY at a time: independent writes (different hospitals, contracts) go side
// by side; what depends on another is awaited in order inside fn.
const CONCURRENCY = 8;
async function each(items, fn) {
  const list = [...items];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      await fn(list[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, list.length) }, worker));
}

// ------------------------------------------------------------------ the steps

async function reference() {
  for (const r of world.regions) await api('POST', '/v1/regions', { body: r });
  await each(world.orgs, ({ level, area, ...o }) => api('POST', '/v1/organizations', { body: o }));
  for (const b of world.batches) {
    // The alliance's batch is the alliance office's: it creates it, its products and results.
    const key = b.office ? await keyOf(b.office.id) : adminKey;
    await api('POST', '/v1/batches', {
      key,
      body: {
        code: b.code, name: b.name, kind: b.kind, organizerLevel: b.organizer, leadRegionCode: b.lead,
        memberRegionCodes: [...new Set([b.lead, ...Object.keys(b.executions)])], cycleYears: b.cycleYears,
      },
    });
    for (const [region, e] of Object.entries(b.executions)) {
      const body = { regionCode: region, listingDate: e.listingDate, startDate: e.startDate };
      if (e.windows) {
        [body.enterpriseSignFrom, body.enterpriseSignTo, body.institutionSignFrom, body.institutionSignTo] = e.windows;
      }
      await api('POST', `/v1/batches/${b.code}/executions`, { key: await keyOf(`bureau-${region}`), body });
    }
    await each(b.products, (p) => api('POST', '/v1/products', { key, body: p }));
    for (const g of b.groups) await api('POST', `/v1/batches/${b.code}/groups`, { key, body: g });
    for (const r of b.results) await api('POST', `/v1/batches/${b.code}/results`, { key, body: r });
    for (const [region, listed] of Object.entries(b.listings))
      for (const [productId, price] of Object.entries(listed))
        await api('PUT', `/v1/listings/${region}/${productId}`, { body: { price, listedOn: data.listedOn } });
  }
}

// V1: the levels that review a hospital's report, from its own level up (consumables skip the
// county), each by the bureau of that level whose region contains the hospital.
function reviewers(b, h) {
  const chain = [['COUNTY', h.regionCode], ['CITY', h.area], ['PROVINCE', h.regionCode.slice(0, 2) + '0000']];
  let from = ['COUNTY', 'CITY', 'PROVINCE'].indexOf(h.level);
  if (b.kind === 'CONSUMABLE') from = Math.max(from, 1);
  return chain.slice(from).map(([level, code]) => [level, `bureau-${code}`]);
}

const STAGES = ['APPROVED', 'IN_REVIEW', 'SUBMITTED', 'REJECTED'];

// One report per hospital and group for the year, taken through the chain to its stage: APPROVED
// at every level, IN_REVIEW after the first, SUBMITTED, or REJECTED (then sent again corrected).
async function demand(b, region, year, stageOf = () => 'APPROVED') {
  await each(world.hospitals[region], async (h, hi) => {
    for (const [gi, g] of b.groups.entries()) {
      const base = data.demand[h.level.toLowerCase()];
      const quantity = Math.round(base * (0.75 + unit(`${b.code}|${h.id}|${g.id}`) / 2));
      const body = {
        batchCode: b.code, regionCode: region, institutionId: h.id, groupId: g.id, agreementYear: year,
        quantity: String(quantity), lastYearQuantity: String(Math.round(quantity * 0.9)),
        commitmentSha256: sha256(`承诺书 ${b.code} ${h.id} ${g.id} ${year}: 院长、党委书记签字`),
      };
      const hk = await keyOf(h.id);
      const chain = reviewers(b, h);
      let stage = stageOf(hi, gi);
      if (stage === 'IN_REVIEW' && chain.length < 2) stage = 'SUBMITTED';
      if (stage === 'REJECTED') {
        // First twice the demand, which the first level sends back; then the corrected report,
        // which waits for review. Again (a second load) the inflated one conflicts with the
        // corrected one in review (409): it was rejected before.
        const inflated = { ...body, quantity: String(2 * quantity) };
        const first = await api('POST', '/v1/demandReports', { key: hk, body: inflated, raw: true });
        if (first.status === 200 && first.json.state === 'SUBMITTED') {
          const [level, bureau] = chain[0];
          await api('POST', `/v1/demandReports/${first.json.id}:review`, {
            key: await keyOf(bureau),
            body: { level, approve: false, comment: '上报量明显高于上年实际使用量，请核实后重报' },
          });
        } else if (first.status !== 409 && first.status !== 200) {
          throw new Error(`demand of ${h.id} for ${g.id}: ${JSON.stringify(first.json)}`);
        }
      }
      let report = await api('POST', '/v1/demandReports', { key: hk, body });
      const todo = stage === 'APPROVED' ? chain : stage === 'IN_REVIEW' ? chain.slice(0, 1) : [];
      for (const [i, [level, bureau]] of todo.entries()) {
        if ((report.reviews ?? []).length > i) continue; // reviewed by an earlier load
        report = await api('POST', `/v1/demandReports/${report.id}:review`, {
          key: await keyOf(bureau), body: { level, approve: true, comment: '同意' },
        });
      }
    }
  });
}

async function allocate(b, region, year) {
  const body = { batchCode: b.code, regionCode: region, agreementYear: year, ratioPercent: b.executions[region].ratio };
  const res = await api('POST', '/v1/allocations:compute', { key: await keyOf(`bureau-${region}`), body, raw: true });
  // Frozen once the year's contracts were generated (a second load): they stay as they are.
  if (res.status !== 200 && !(res.status === 400 && /frozen/.test(res.json.message))) {
    throw new Error(`allocations of ${b.code} in ${region}: ${JSON.stringify(res.json)}`);
  }
}

// C8: each winning or backup product's manufacturer names the distributors of every coordination
// area of the province.
async function nameDistributors(b, region) {
  await each(b.results.filter((x) => x.status !== 'NON_WINNING'), async (r) => {
    const p = b.products.find((x) => x.id === r.productId);
    for (const [area, dists] of Object.entries(world.areas[region])) {
      const extra = data.secondDistributor[`${area}|${p.id}`];
      for (const distributorId of extra ? [...dists, extra] : dists)
        await api('POST', '/v1/distributorAuthorizations', {
          key: await keyOf(p.manufacturerId),
          body: { manufacturerId: p.manufacturerId, productId: p.id, distributorId, regionCode: area },
        });
    }
  });
}

async function contracts(b, region, year) {
  const all = await listAll(`/v1/contracts?batchCode=${b.code}`, 'contracts');
  return all.filter((c) => c.regionCode === region && c.agreementYear === year)
    .sort((x, y) => x.institutionId.localeCompare(y.institutionId) || x.productId.localeCompare(y.productId));
}

async function generate(b, region, year) {
  await api('POST', '/v1/contracts:generate', {
    key: await keyOf(`bureau-${region}`), body: { batchCode: b.code, regionCode: region, agreementYear: year },
  });
  return contracts(b, region, year);
}

const PARTIES = ['MANUFACTURER', 'DISTRIBUTOR', 'INSTITUTION'];

// Signs contract c as each of `parties` that has not signed yet (C2 order), each with its own key;
// an institution in data.agencySigns is confirmed by its province's insurance agency (C3).
async function sign(c, parties) {
  const documentSha256 = sha256(`三方购销合同 ${c.id} ${c.batchCode} ${c.institutionId} ${c.productId} ` +
    `${c.agreementYear} ${c.quantity} ${c.price}`);
  for (const party of parties) {
    if ((c.signatures ?? []).some((s) => s.party === party)) continue;
    const orgId = { MANUFACTURER: c.manufacturerId, DISTRIBUTOR: c.distributorId, INSTITUTION: c.institutionId }[party];
    const body = { party, signerName: personOf(orgId), documentSha256 };
    let signer = orgId;
    if (party === 'INSTITUTION' && data.agencySigns.includes(c.institutionId)) {
      signer = `agency-${c.regionCode}`;
      body.onBehalfOf = c.institutionId;
      body.signerName = personOf(signer);
    }
    c = await api('POST', `/v1/contracts/${c.id}:sign`, { key: await keyOf(signer), body });
  }
  return c;
}

// The max sale price of each product in force in the province on a day (the platform's own
// answer: purchases are made at it).
async function limits(b, region, date) {
  const res = await api('POST', '/v1/prices:batchGet', {
    body: {
      regionCode: region, date,
      productIds: b.results.filter((r) => r.status !== 'NON_WINNING' || b.listings[region]?.[r.productId])
        .map((r) => r.productId),
    },
  });
  return new Map(res.prices.map((p) => [p.productId, p.maxSalePrice]));
}

const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
const daysBetween = (a, b) => Math.round((Date.parse(b) - Date.parse(a)) / 86400000) + 1;

// Purchases of the year's contracts, delivered and accepted on the 15th of each month from the
// year's start to `until`: each hospital at its own pace (0.8..1.3 of time elapsed); the hospitals
// of data.nonWinningBuyers buy the group's non-winning product too; during a verified supply issue
// the hospital buys the backup product. Sent as one daily file per acceptance day.
async function purchases(b, region, year, start, end, until) {
  const cs = await contracts(b, region, year);
  const price = await limits(b, region, start);
  const days = daysBetween(start, end);
  // (institution, product, day) -> quantity: a hospital with two winning products of a group buys
  // its non-winning one on one line a day.
  const bought = new Map();
  const add = (institutionId, productId, quantity, acceptedOn) => {
    const k = `${institutionId}|${productId}|${acceptedOn}`;
    bought.set(k, (bought.get(k) ?? 0) + quantity);
  };
  const issue = data.supplyIssue;
  for (const c of cs) {
    const pace = 0.8 + 0.5 * unit(`pace|${c.institutionId}`);
    let month = `${start.slice(0, 7)}-15`;
    if (month < start) month = addDays(`${start.slice(0, 7)}-01`, 45).slice(0, 8) + '15';
    let sofar = 0;
    const p = b.products.find((x) => x.id === c.productId);
    const g = b.groups.find((x) => b.results.some((r) => r.productId === p.id && r.groupId === x.id));
    const nonWinning = b.results.find((r) => r.groupId === g.id && r.status === 'NON_WINNING');
    const backup = b.results.find((r) => r.groupId === g.id && r.status === 'BACKUP');
    for (; month <= until && month <= end; month = addDays(month.slice(0, 8) + '28', 10).slice(0, 8) + '15') {
      const due = Math.round(Number(c.quantity) * pace * daysBetween(start, month) / days);
      const q = due - sofar;
      sofar = due;
      const short = issue.institutionId === c.institutionId && issue.productId === c.productId &&
        month >= issue.from && month <= issue.to;
      if (short && backup) add(c.institutionId, backup.productId, q, month);
      else add(c.institutionId, c.productId, q, month);
      if (nonWinning && price.has(nonWinning.productId) && data.nonWinningBuyers.includes(c.institutionId))
        add(c.institutionId, nonWinning.productId, Math.round(q * 1.2), month);
    }
  }
  const files = new Map();
  for (const [k, quantity] of bought) {
    const [institutionId, productId, acceptedOn] = k.split('|');
    if (quantity <= 0) continue;
    const line = {
      institutionId, productId, batchCode: b.code, quantity: String(quantity),
      amount: yuan(units(price.get(productId)) * BigInt(quantity)), orderedOn: addDays(acceptedOn, -3), acceptedOn,
      externalId: `his-${institutionId}-${productId}-${acceptedOn}`,
    };
    if (!files.has(acceptedOn)) files.set(acceptedOn, []);
    files.get(acceptedOn).push(JSON.stringify(line));
  }
  let recorded = 0;
  await each([...files.entries()].sort(), async ([, lines]) => {
    const res = await api('POST', '/v1/purchases:import', { ndjson: lines.join('\n') + '\n' });
    if (res.errors?.length) throw new Error(`purchases: ${JSON.stringify(res.errors.slice(0, 3))}`);
    recorded += res.recorded + res.skipped;
  });
  return recorded;
}

// ------------------------------------------------------------------ the phases

const FJ = '350000', JL = '220000', SXP = '140000';
const special = data.contractStates;
// The contracts of Fujian's year 1 and what each one's parties do in July 2024.
function fujianPlan(c) {
  if (!c.distributorId) return []; // no distributor picked: stays a DRAFT
  if (c.institutionId === special.partiallySigned) return ['MANUFACTURER'];
  if (c.institutionId === special.enterpriseSigned) return ['MANUFACTURER', 'DISTRIBUTOR'];
  return PARTIES;
}
// Year 3, being signed now: every fourth contract at each stage (none, the manufacturer, both
// enterprises, all three).
const year3Plan = (c, i) => PARTIES.slice(0, i % 4);
const enterprises = (plan) => (c, i) => plan(c, i).filter((p) => p !== 'INSTITUTION');

// Whether a phase is done: its signatures come last (they run side by side), so it is when the
// year's contracts exist and each has every signature the plan gives it.
async function signed(b, region, year, plan) {
  const cs = await contracts(b, region, year);
  return cs.length > 0 &&
    cs.every((c, i) => plan(c, i).every((p) => (c.signatures ?? []).some((s) => s.party === p)));
}

const phases = [{
  date: '2024-07-05',
  what: 'the catalog, listings, Fujian demand, allocations, contracts, enterprise signatures',
  done: () => signed(JX, FJ, 1, enterprises(fujianPlan)),
  async run() {
    await reference();
    await demand(JX, FJ, 1);
    await allocate(JX, FJ, 1);
    await nameDistributors(JX, FJ);
    await each(await generate(JX, FJ, 1), async (c) => {
      if (!c.distributorId && c.institutionId !== special.draft) {
        const dist = world.areas[FJ][byId.get(c.institutionId).area][0];
        await api('POST', `/v1/contracts/${c.id}:assignDistributor`, {
          key: await keyOf(c.manufacturerId), body: { distributorId: dist },
        });
      }
    });
    await each(await contracts(JX, FJ, 1), (c, i) => sign(c, enterprises(fujianPlan)(c, i)));
  },
}, {
  date: '2024-07-10',
  what: 'Fujian hospitals confirm their contracts',
  done: () => signed(JX, FJ, 1, fujianPlan),
  async run() {
    await each(await contracts(JX, FJ, 1), (c) => sign(c, fujianPlan(c)));
  },
}, {
  date: '2024-10-15',
  what: 'Jilin (from 2024-09-20) and the Shanxi consumables (from 2024-10-08): demand, allocations, signed contracts',
  done: async () => await signed(JX, JL, 1, () => PARTIES) && signed(SX, SXP, 1, () => PARTIES),
  async run() {
    // C3: the hospitals that let their province's agency confirm their drug contracts.
    for (const h of data.agencySigns)
      await api('POST', '/v1/agencyAuthorizations', {
        key: await keyOf(h), body: { institutionId: h, agencyId: `agency-${JL}`, batchCode: JX.code },
      });
    for (const [b, region] of [[JX, JL], [SX, SXP]]) {
      await demand(b, region, 1);
      await allocate(b, region, 1);
      await nameDistributors(b, region);
      await each(await generate(b, region, 1), (c) => sign(c, PARTIES));
    }
  },
}, {
  date: '2025-12-20',
  what: 'year-1 purchases, a verified supply issue, a termination, year-2 renewals signed',
  done: async () => await signed(JX, FJ, 2, () => PARTIES) && await signed(JX, JL, 2, () => PARTIES) &&
    signed(SX, SXP, 2, () => PARTIES),
  async run() {
    let n = 0;
    for (const [b, region] of [[JX, FJ], [JX, JL], [SX, SXP]]) {
      const [y1] = (await api('GET', `/v1/batches/${b.code}/executions/${region}/agreementYears`)).agreementYears;
      n += await purchases(b, region, 1, y1.start, y1.end, '2025-12-15');
    }
    // One purchase recorded on its own, by the hospital, above the max sale price (V9: flagged).
    const a = data.aboveLimit;
    const one = await api('POST', '/v1/purchases', {
      key: await keyOf(a.institutionId),
      body: { ...a, batchCode: JX.code, externalId: `his-${a.institutionId}-${a.productId}-${a.acceptedOn}` },
    });
    if (!one.aboveLimit) throw new Error(`purchase ${one.id} above the limit is not flagged`);
    // Reported once: the Idempotency-Key answers a second report with the first (for the 24 h the
    // gateway keeps it; the phase is not run again after it is done, unless VBP_DEMO_FORCE).
    const issue = data.supplyIssue;
    const reported = await api('POST', '/v1/supplyIssues', {
      key: await keyOf(issue.institutionId), idem: `demo-supply-${issue.institutionId}-${issue.from}`,
      body: { batchCode: JX.code, institutionId: issue.institutionId, productId: issue.productId,
        from: issue.from, to: issue.to, description: issue.description },
    });
    await api('POST', `/v1/supplyIssues/${reported.id}:verify`, {
      key: await keyOf(`bureau-${byId.get(issue.institutionId).area}`), body: { comment: '经属地核实，情况属实' },
    });
    const [tInst, tProduct, reason] = special.terminated;
    const t = (await contracts(JX, FJ, 1)).find((c) => c.institutionId === tInst && c.productId === tProduct);
    if (t.state !== 'TERMINATED') {
      await api('POST', `/v1/contracts/${t.id}:terminate`, { key: await keyOf(`bureau-${FJ}`), body: { reason } });
    }
    for (const [b, region] of [[JX, FJ], [JX, JL], [SX, SXP]])
      await each(await generate(b, region, 2), (c) => sign(c, PARTIES));
    return `${n} purchases`;
  },
}, {
  date: '2026-12-01',
  what: 'year-2 purchases, year-3 demand at every review stage, year-3 renewals being signed',
  done: () => signed(JX, FJ, 3, year3Plan),
  async run() {
    let n = 0;
    for (const [b, region] of [[JX, FJ], [JX, JL], [SX, SXP]]) {
      const y2 = (await api('GET', `/v1/batches/${b.code}/executions/${region}/agreementYears`)).agreementYears[1];
      n += await purchases(b, region, 2, y2.start, y2.end, '2026-11-15');
    }
    await demand(JX, FJ, 3, (hi, gi) => STAGES[(hi + gi) % 4]);
    const cs = await generate(JX, FJ, 3);
    await each(cs, (c, i) => sign(c, year3Plan(c, i)));
    return `${n} purchases`;
  },
}];

// ------------------------------------------------------------------ load, calls

async function ready(seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const res = await fetch(`${base}/readyz`).catch(() => null);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${base}/readyz not ready after ${seconds}s`);
    await sleep(50);
  }
}

function pin(date) {
  const run = process.env.VBP_DEMO_RUN;
  if (!run) throw new Error('VBP_DEMO_RUN (the stack\'s run directory) is not set: cannot pin the clock');
  execFileSync(path.join(here, 'pin'), date ? [run, date] : [run], { stdio: ['ignore', 'inherit', 'inherit'] });
}

async function load() {
  const t0 = Date.now();
  await ready();
  // The first phase not done, and every one after it.
  // VBP_DEMO_FORCE=1 runs every phase again (each write answers what is stored: nothing changes).
  let from = phases.length;
  for (let i = phases.length - 1; i >= 0; i--) {
    // A phase whose data is not there at all (an empty database) may answer an error: not done.
    if (!process.env.VBP_DEMO_FORCE && await phases[i].done().catch(() => false)) break;
    from = i;
  }
  if (from === phases.length) {
    console.log(`demo: already loaded (${Date.now() - t0} ms)`);
    return;
  }
  try {
    for (const phase of phases.slice(from)) {
      const t = Date.now();
      pin(phase.date);
      await ready();
      const restart = Date.now() - t;
      const extra = await phase.run();
      console.log(`demo: ${phase.date} ${phase.what}${extra ? ` (${extra})` : ''}: ` +
        `${Date.now() - t} ms (${restart} ms restarting)`);
    }
  } finally {
    await revokeKeys().catch(() => {});
    pin('');
    await ready();
  }
  console.log(`demo: loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s (${calls} calls)`);
}

// The calls scripts/up prints: each a path (GET, with the admin key) and what it shows.
async function examples() {
  const c = data.examples;
  const y1 = (await contracts(JX, FJ, 1)).find((x) => x.institutionId === c.contract[0] && x.productId === c.contract[1]);
  return [
    { what: `a price with its rule (${c.price[1]} in ${c.price[0]}, P1a/P2a)`, path: `/v1/prices/${c.price[0]}/${c.price[1]}?date=${c.price[2]}` },
    { what: 'a non-winning product of a non-competitive group (P2b: 70% of its price)', path: `/v1/prices/${c.price2[0]}/${c.price2[1]}?date=${c.price2[2]}` },
    { what: 'a contract with its history (signed in July 2024, renewed for 2026)', path: `/v1/contracts/${y1.id}` },
    { what: "a hospital's progress in agreement year 1", path: `/v1/progress?batchCode=${JX.code}&regionCode=${FJ}&institutionId=${c.progress}&agreementYear=1&asOf=2025-12-31` },
    { what: 'the assessment of Fujian for agreement year 1 (V6)', path: `/v1/assessments?batchCode=${JX.code}&regionCode=${FJ}&agreementYear=1&pageSize=100` },
    { what: 'contracts the hospitals have yet to confirm: year-3 renewals being signed now (and year-1 ones never confirmed)', path: `/v1/contracts?batchCode=${JX.code}&state=ENTERPRISE_SIGNED` },
    { what: 'a Lvliang hospital\'s consumables prepayment (30%, V7)', path: `/v1/prepayments/${c.prepayment}?batchCode=${SX.code}&agreementYear=1` },
  ];
}

async function main() {
  if (!adminKey) throw new Error('VBP_ADMIN_KEY is not set');
  const mode = process.argv[2];
  if (mode === 'load') await load();
  else if (mode === 'calls' && process.env.VBP_DEMO_FORMAT === 'curl') {
    for (const c of await examples())
      console.log(`  # ${c.what}\n  curl -H "Authorization: Bearer ${adminKey}" '${base}${c.path}'`);
  } else if (mode === 'calls') console.log(JSON.stringify(await examples(), null, 1));
  else throw new Error(`usage: generate.mjs load|calls (got '${mode ?? ''}')`);
}

main().catch((err) => {
  console.error(`demo: ${err.status ? err.message : err.stack}`);
  process.exitCode = 1;
});
