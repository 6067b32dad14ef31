// GET /openapi.json from the gateway (VBP_GATEWAY_ADDR), without a key: a valid OpenAPI 3.1
// document by a validator nobody here wrote (@seriousme/openapi-schema-validator), with one path
// per distinct route template and one operation per route, both counted from the .proto files
// under api/ (their (vbp.api.http) options) rather than from the gateway.
// Run: tests/e2e/run-node.sh ENVFILE openapi.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protoLoader from '@grpc/proto-loader';
import { Validator } from '@seriousme/openapi-schema-validator';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiDir = path.resolve(here, '../../../api');
const base = `http://${process.env.VBP_GATEWAY_ADDR}`;
const VERBS = ['get', 'put', 'post', 'delete', 'patch'];

// protoc's JSON name: each '_' dropped and the character after it upper-cased.
const jsonName = (name) => name.replace(/_(.)/g, (_, c) => c.toUpperCase());

// The routes the .proto files declare: [{verb, path}] with the OpenAPI form of each template
// ("/v1/prices/{region_code}/{product_id}" -> "/v1/prices/{regionCode}/{productId}").
function declaredRoutes() {
  const files = ['catalog', 'contract', 'pricing', 'volume'].map((f) => `vbp/v1/${f}.proto`);
  const def = protoLoader.loadSync(files, { includeDirs: [apiDir, '/usr/include'] });
  const routes = [];
  for (const [name, service] of Object.entries(def)) {
    if (!name.startsWith('vbp.v1.') || typeof service !== 'object' || 'format' in service) continue;
    for (const [methodName, method] of Object.entries(service)) {
      const rule = method?.options?.['(vbp.api.http)'];
      if (!rule) continue;
      const verb = VERBS.find((v) => typeof rule[v] === 'string' && rule[v] !== '');
      assert.ok(verb, `${name}/${methodName}: a rule without a verb`);
      const openapiPath = rule[verb].replace(/\{([^}]+)\}/g, (_, field) =>
        `{${field.split('.').map(jsonName).join('.')}}`);
      routes.push({ verb, path: openapiPath, method: methodName });
    }
  }
  return routes;
}

async function fetchDocument() {
  const res = await fetch(`${base}/openapi.json`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return JSON.parse(text);
}

test('GET /openapi.json needs no key and is a valid OpenAPI 3.1 document', async () => {
  const doc = await fetchDocument();
  assert.equal(doc.openapi, '3.1.0');
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, '3.1');
  // Every $ref resolves.
  assert.doesNotThrow(() => validator.resolveRefs());
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  assert.equal(doc.components.securitySchemes.bearer.type, 'http');
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
});

test('one path per distinct template and one operation per route of the .proto files', async () => {
  const doc = await fetchDocument();
  const routes = declaredRoutes();
  assert.ok(routes.length > 30, `only ${routes.length} routes found under api/`);
  const patterns = new Set(routes.map((r) => r.path));
  assert.equal(Object.keys(doc.paths).length, patterns.size);
  assert.deepEqual(new Set(Object.keys(doc.paths)), patterns);
  const operations = Object.values(doc.paths).flatMap((item) =>
    Object.keys(item).filter((k) => VERBS.includes(k)));
  assert.equal(operations.length, routes.length);
  for (const r of routes) {
    const op = doc.paths[r.path]?.[r.verb];
    assert.ok(op, `${r.verb.toUpperCase()} ${r.path} is missing`);
    assert.equal(op.operationId, r.method);
  }
  const sign = doc.paths['/v1/contracts/{id}:sign'].post;
  assert.deepEqual(sign.requestBody.content['application/json'].schema, {
    $ref: '#/components/schemas/vbp.v1.SignContractRequest',
  });
  assert.deepEqual(doc.paths['/v1/exchange/batches/{code}'].get.responses['200'].content, {
    'application/x-ndjson': { schema: { $ref: '#/components/schemas/vbp.v1.ExchangeRecord' } },
  });
});
