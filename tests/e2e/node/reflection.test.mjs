// gRPC server reflection on every service, as grpcurl, Postman or grpcui use it: a reflection
// client nobody here wrote (grpc-js-reflection-client, over @grpc/grpc-js) lists a running
// pricing-svc's services with no .proto file and no key, fetches its descriptors, builds a client
// from them and calls PricingService/GetPrice with a key, getting the price set up below (DOMAIN.md's
// worked example, as pricing.test.mjs has it); both grpc.reflection.v1 and v1alpha. Then one raw
// stream carrying several requests (the bidirectional shape the package does not use: it opens a
// stream per request) for the answers it cannot read.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { GrpcReflection } from 'grpc-js-reflection-client';

import { call, creditCode } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiDir = path.resolve(here, '../../../api');
const adminKey = process.env.VBP_ADMIN_KEY;
const insecure = grpc.credentials.createInsecure();

const run = crypto.randomBytes(4).toString('hex');
const batch = `FJ-R${run}`;
const [A, B, C] = ['A', 'B', 'C'].map((p) => `RA-${p}-${run}`);
const makers = [1, 2, 3].map((i) => `RM${i}-${run}`);
const day = '2024-08-01';
let makerKey;

const COMMON = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];
// Each service of the stack (tests/stack.sh writes the addresses it started) and what it serves.
const SERVICES = [
  ['VBP_PRICING_ADDR', 'vbp.v1.PricingService'],
  ['VBP_CATALOG_ADDR', 'vbp.v1.CatalogService'],
  ['VBP_VOLUME_ADDR', 'vbp.v1.VolumeService'],
  ['VBP_CONTRACT_ADDR', 'vbp.v1.ContractService'],
].filter(([env]) => process.env[env]);

async function ok(method, p, body) {
  const res = await call(method, p, { body });
  assert.equal(res.status, 200, `${method} ${p}: ${res.text}`);
  return res.json;
}

before(async () => {
  assert.ok(process.env.VBP_PRICING_ADDR && process.env.VBP_CATALOG_ADDR, 'the stack has no pricing-svc or catalog-svc');
  await ok('POST', '/v1/regions', { code: '350000', name: '福建省', level: 'PROVINCE' });
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
  for (const [i, id] of [A, B, C].entries())
    await ok('POST', '/v1/products', {
      id, kind: 'DRUG', genericName: '阿莫西林', dosageForm: '胶囊剂', specification: '0.25g', unit: '粒',
      manufacturerId: makers[i], inInsuranceCatalog: true,
    });
  await ok('POST', `/v1/batches/${batch}/groups`, { id: 'G', genericName: '阿莫西林', competitive: true });
  await ok('POST', `/v1/batches/${batch}/results`, { productId: A, groupId: 'G', status: 'WINNING', winningPrice: '30' });
  for (const p of [B, C])
    await ok('POST', `/v1/batches/${batch}/results`, { productId: p, groupId: 'G', status: 'NON_WINNING' });
  for (const [p, price] of [[B, '45'], [C, '38']])
    await ok('PUT', `/v1/listings/350000/${p}`, { price, listedOn: '2024-01-01' });
});

function bearer(key) {
  const md = new grpc.Metadata();
  if (key) md.set('authorization', `Bearer ${key}`);
  return md;
}

// A unary call of a client built from reflected descriptors; rejects with the gRPC error.
function unary(client, method, req, md) {
  return new Promise((resolve, reject) => {
    client[method](req, md, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

for (const version of ['v1', 'v1alpha']) {
  test(`${version}: every service lists what it serves, with no key`, async () => {
    assert.equal(SERVICES.length, 4, 'the pricing stack runs all four services');
    for (const [env, service] of SERVICES) {
      const reflection = new GrpcReflection(process.env[env], insecure, {}, version);
      assert.deepEqual(await reflection.listServices(), [service, ...COMMON], env);
    }
  });

  test(`${version}: a client built from pricing-svc's descriptors gets the price with a key, and nothing without`, async () => {
    const reflection = new GrpcReflection(process.env.VBP_PRICING_ADDR, insecure, {}, version);
    const methods = (await reflection.listMethods('vbp.v1.PricingService')).map((m) => m.name).sort();
    assert.deepEqual(methods.filter((m) => m === 'GetPrice' || m === 'BatchGetPrices'), ['BatchGetPrices', 'GetPrice']);
    const descriptor = await reflection.getDescriptorBySymbol('vbp.v1.PricingService');
    // Descriptors keep the .proto's field names (snake_case).
    const pkg = descriptor.getPackageObject({ keepCase: true, longs: String, enums: String, defaults: true });
    const client = new pkg.vbp.v1.PricingService(process.env.VBP_PRICING_ADDR, insecure);
    try {
      const price = await unary(client, 'GetPrice', { region_code: '350000', product_id: A, date: day }, bearer(makerKey));
      assert.deepEqual(price, {
        product_id: A, region_code: '350000', batch_code: batch, max_sale_price: '30.0000',
        payment_standard: '30.0000', rule: 'P1c', standard_rule: 'P2a', covered: true,
      });
      const listed = await unary(client, 'GetPrice', { region_code: '350000', product_id: B, date: day }, bearer(makerKey));
      assert.equal(listed.max_sale_price, '45.0000');
      assert.equal(listed.rule, 'LISTED');
      // Reflection needed no key; the methods it reveals still do.
      await assert.rejects(unary(client, 'GetPrice', { region_code: '350000', product_id: A, date: day }, bearer()),
        (err) => err.code === grpc.status.UNAUTHENTICATED);
      await assert.rejects(unary(client, 'GetPrice', { region_code: '350000', product_id: A, date: day }, bearer('not-a-key')),
        (err) => err.code === grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });

  test(`${version}: catalog-svc's descriptors by file name build a client that reads an organization`, async () => {
    const reflection = new GrpcReflection(process.env.VBP_CATALOG_ADDR, insecure, {}, version);
    const descriptor = await reflection.getDescriptorByFileName('vbp/v1/catalog.proto');
    const pkg = descriptor.getPackageObject({ keepCase: true, longs: String, enums: String, defaults: true });
    const client = new pkg.vbp.v1.CatalogService(process.env.VBP_CATALOG_ADDR, insecure);
    try {
      const org = await unary(client, 'GetOrganization', { id: makers[0] }, bearer(adminKey));
      assert.equal(org.id, makers[0]);
      assert.equal(org.name, `厂家${makers[0]}`);
      assert.equal(org.kind, 'MANUFACTURER');
      await assert.rejects(unary(client, 'GetOrganization', { id: makers[0] }, bearer()),
        (err) => err.code === grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });

  test(`${version}: an unknown symbol or file is refused as not found`, async () => {
    const reflection = new GrpcReflection(process.env.VBP_PRICING_ADDR, insecure, {}, version);
    await assert.rejects(reflection.getDescriptorBySymbol('vbp.v1.NoSuchService'), /no symbol vbp\.v1\.NoSuchService/);
    await assert.rejects(reflection.getDescriptorByFileName('vbp/v1/nothing.proto'), /no file vbp\/v1\/nothing\.proto/);
  });
}

// ---------------------------------------------------------------- one stream, many requests

function reflectionStub(version, addr) {
  const def = protoLoader.loadSync(path.join(apiDir, `grpc/reflection/${version}/reflection.proto`), {
    includeDirs: [apiDir], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def).grpc.reflection[version];
  return new pkg.ServerReflection(addr, insecure);
}

// Sends requests one by one on one stream, each after the answer to the one before, then
// half-closes; resolves with the answers and the stream's status code.
function converse(stub, requests) {
  return new Promise((resolve, reject) => {
    const answers = [];
    const stream = stub.ServerReflectionInfo({ deadline: Date.now() + 10_000 });
    stream.on('data', (answer) => {
      answers.push(answer);
      if (answers.length < requests.length) stream.write(requests[answers.length]);
      else stream.end();
    });
    stream.on('error', reject);
    stream.on('status', (s) => resolve({ answers, code: s.code }));
    stream.write(requests[0]);
  });
}

// The name (field 1, written first by protoc) of a serialized FileDescriptorProto.
function fileName(bytes) {
  assert.equal(bytes[0], 0x0a);
  let len = 0;
  let i = 1;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[i++];
    len |= (b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return bytes.subarray(i, i + len).toString('utf8');
}

for (const version of ['v1', 'v1alpha']) {
  test(`${version}: one stream answers each request in turn, extensions and errors included`, async () => {
    const stub = reflectionStub(version, process.env.VBP_PRICING_ADDR);
    try {
      const { answers, code } = await converse(stub, [
        { host: 'pricing', listServices: '' },
        { fileContainingSymbol: 'vbp.v1.GetPriceRequest' },
        { fileByFilename: 'grpc/health/v1/health.proto' },
        { fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 72295 } },
        { allExtensionNumbersOfType: 'google.protobuf.MethodOptions' },
        { allExtensionNumbersOfType: 'vbp.v1.Price' },
        { fileContainingSymbol: 'vbp.v1.Nope' },
        { fileContainingExtension: { containingType: 'google.protobuf.MethodOptions', extensionNumber: 1 } },
        { host: 'pricing' },
      ]);
      assert.equal(code, grpc.status.OK);
      assert.equal(answers.length, 9);
      assert.equal(answers[0].validHost, 'pricing');
      assert.equal(answers[0].originalRequest.messageRequest, 'listServices');
      assert.deepEqual(answers[0].listServicesResponse.service.map((s) => s.name), ['vbp.v1.PricingService', ...COMMON]);
      assert.deepEqual(answers[1].fileDescriptorResponse.fileDescriptorProto.map(fileName),
        ['vbp/v1/pricing.proto', 'vbp/api/http.proto', 'google/protobuf/descriptor.proto', 'vbp/v1/types.proto']);
      assert.deepEqual(answers[2].fileDescriptorResponse.fileDescriptorProto.map(fileName), ['grpc/health/v1/health.proto']);
      assert.deepEqual(answers[3].fileDescriptorResponse.fileDescriptorProto.map(fileName),
        ['vbp/api/http.proto', 'google/protobuf/descriptor.proto']);
      assert.deepEqual(answers[4].allExtensionNumbersResponse,
        { baseTypeName: 'google.protobuf.MethodOptions', extensionNumber: [72295] });
      assert.deepEqual(answers[5].allExtensionNumbersResponse, { baseTypeName: 'vbp.v1.Price', extensionNumber: [] });
      assert.deepEqual(answers[6].errorResponse, { errorCode: grpc.status.NOT_FOUND, errorMessage: 'no symbol vbp.v1.Nope' });
      assert.deepEqual(answers[7].errorResponse,
        { errorCode: grpc.status.NOT_FOUND, errorMessage: 'no extension 1 of google.protobuf.MethodOptions' });
      assert.deepEqual(answers[8].errorResponse,
        { errorCode: grpc.status.UNIMPLEMENTED, errorMessage: 'the request asks nothing this server knows' });
    } finally {
      stub.close();
    }
  });
}

test('a stream that goes quiet, sends bytes that are no request, or is cancelled, ends without holding the server', async () => {
  const addr = process.env.VBP_PRICING_ADDR;
  const stub = reflectionStub('v1', addr);
  const raw = new grpc.Client(addr, insecure);
  try {
    // A worker waits for the next request at most 10 s (common/rpc_server.c), then gives up.
    const started = Date.now();
    const idle = await new Promise((resolve) => {
      const stream = stub.ServerReflectionInfo({ deadline: Date.now() + 30_000 });
      stream.on('data', () => assert.fail('no request, no answer'));
      stream.on('error', resolve);
    });
    assert.equal(idle.code, grpc.status.DEADLINE_EXCEEDED);
    assert.equal(idle.details, 'no request for 10000 ms');
    assert.ok(Date.now() - started >= 9_500, `ended after ${Date.now() - started} ms`);

    const garbage = await new Promise((resolve) => {
      const stream = raw.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
        (b) => b, (b) => b, new grpc.Metadata(), { deadline: Date.now() + 10_000 });
      stream.on('data', () => assert.fail('bytes that are no request get no answer'));
      stream.on('error', resolve);
      stream.write(Buffer.from([0xff, 0xff, 0xff]));
    });
    assert.equal(garbage.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(garbage.details, 'a request is not a valid grpc.reflection.v1.ServerReflectionRequest');

    const cancelled = await new Promise((resolve) => {
      const stream = stub.ServerReflectionInfo({ deadline: Date.now() + 10_000 });
      stream.on('data', () => stream.cancel());
      stream.on('error', resolve);
      stream.write({ listServices: '' });
    });
    assert.equal(cancelled.code, grpc.status.CANCELLED);

    const { answers, code } = await converse(stub, [{ listServices: '' }]);
    assert.equal(code, grpc.status.OK);
    assert.deepEqual(answers[0].listServicesResponse.service.map((s) => s.name), ['vbp.v1.PricingService', ...COMMON]);
  } finally {
    raw.close();
    stub.close();
  }
});
