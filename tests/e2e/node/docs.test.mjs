// The API explorer at GET /docs (gateway/docs.h) against a stack with the gateway and
// pricing-svc (VBP_GATEWAY_ADDR, VBP_ADMIN_KEY). First over HTTP: the files, their types,
// caching and gzip, and the paths that must not reach anything else. Then in a real browser:
// Debian's headless Chromium (VBP_CHROMIUM, default /usr/bin/chromium; scripts/deps installs it)
// driven by puppeteer-core opens /docs, finds the routes of /openapi.json, sends
// GET /v1/pricingPolicies through "Try it out" first without a key (401) and then with the key
// typed into the Authorize dialog (200, the same policies as a direct call), and leaves a
// screenshot in build-logs/docs.png for a person to look at. Every request the page makes goes
// to the gateway: nothing comes from the internet. The browser is closed (killed if it hangs)
// whatever happens.
// Run: tests/e2e/run-node.sh ENVFILE docs.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

import { adminKey, call } from './http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [host, port] = process.env.VBP_GATEWAY_ADDR.split(':');
const base = `http://${process.env.VBP_GATEWAY_ADDR}`;
const chromium = process.env.VBP_CHROMIUM || '/usr/bin/chromium';
const screenshot = path.resolve(here, '../../../build-logs/docs.png');

// One request with the path exactly as given (fetch would resolve "..": http.request does not),
// its body gunzipped when it came gzipped.
function get(target, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path: target, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
        resolve({ status: res.statusCode, headers: res.headers, raw, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// The files the build puts in the gateway's docs directory (gateway/CMakeLists.txt).
const files = [
  ['/docs/index.html', 'text/html; charset=utf-8'],
  ['/docs/swagger-initializer.js', 'text/javascript; charset=utf-8'],
  ['/docs/swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['/docs/swagger-ui.css', 'text/css; charset=utf-8'],
  ['/docs/index.css', 'text/css; charset=utf-8'],
  ['/docs/favicon-32x32.png', 'image/png'],
  ['/docs/favicon-16x16.png', 'image/png'],
  ['/docs/swagger-ui-LICENSE.txt', 'text/plain; charset=utf-8'],
];

test('/docs and /docs/ are the page, without a key, over the gateway\'s own document', async () => {
  const page = await get('/docs');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'public, no-cache');
  assert.match(page.headers.etag, /^"docs-[0-9a-f]{32}"$/);
  const html = page.body.toString();
  assert.match(html, /<title>VBP API explorer<\/title>/);
  for (const other of ['/docs/', '/docs/index.html']) {
    const res = await get(other);
    assert.equal(res.status, 200, other);
    assert.equal(res.body.toString(), html, other);
    assert.equal(res.headers.etag, page.headers.etag, other);
  }
  // Every address on the page and in its script is of this origin, and the document is ours.
  const init = (await get('/docs/swagger-initializer.js')).body.toString();
  for (const text of [html, init]) assert.doesNotMatch(text, /https?:|\/\/[a-z]/i);
  assert.match(init, /url: '\/openapi\.json'/);
  assert.match(init, /persistAuthorization: true/);
  assert.doesNotMatch(init, /petstore/);
});

test('each file with its content type; HEAD as GET without the body', async () => {
  for (const [file, type] of files) {
    const res = await get(file);
    assert.equal(res.status, 200, file);
    assert.equal(res.headers['content-type'], type, file);
    assert.equal(res.headers['content-encoding'], undefined, file); // none asked for
    assert.equal(Number(res.headers['content-length']), res.body.length, file);
    const head = await get(file, { method: 'HEAD' });
    assert.equal(head.status, 200, file);
    assert.equal(head.headers['content-type'], type, file);
    assert.equal(head.headers.etag, res.headers.etag, file);
    assert.equal(head.raw.length, 0, file);
  }
  // The dist's own bundle, not a placeholder.
  const bundle = (await get('/docs/swagger-ui-bundle.js')).body.toString();
  assert.ok(bundle.length > 500000, `${bundle.length} bytes`);
  assert.match(bundle, /SwaggerUIBundle/);
  const png = (await get('/docs/favicon-32x32.png')).body;
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('gzip when asked for, with a tag of its own, and 304 for a tag the client holds', async () => {
  const plain = await get('/docs/swagger-ui-bundle.js');
  const gzipped = await get('/docs/swagger-ui-bundle.js', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(gzipped.status, 200);
  assert.equal(gzipped.headers['content-encoding'], 'gzip');
  assert.equal(gzipped.headers.vary, 'Accept-Encoding');
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.ok(gzipped.raw.length < plain.raw.length / 2, `${gzipped.raw.length} of ${plain.raw.length}`);
  assert.deepEqual(gzipped.body, plain.body);
  assert.match(gzipped.headers.etag, /^"docs-gzip-[0-9a-f]{32}"$/);
  assert.notEqual(gzipped.headers.etag, plain.headers.etag);

  const again = await get('/docs/swagger-ui-bundle.js', {
    headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gzipped.headers.etag },
  });
  assert.equal(again.status, 304);
  assert.equal(again.raw.length, 0);
  assert.equal(again.headers.etag, gzipped.headers.etag);
  // The identity copy's tag does not stand for the gzipped bytes.
  const other = await get('/docs/swagger-ui-bundle.js', {
    headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': plain.headers.etag },
  });
  assert.equal(other.status, 200);
  // A PNG is compressed already: never gzipped again.
  const png = await get('/docs/favicon-32x32.png', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(png.headers['content-encoding'], undefined);
});

test('no path reaches anything but the explorer\'s files: traversal and escapes are 404', async () => {
  const refused = [
    '/docs/../../etc/passwd',
    '/docs/../openapi.json',
    '/docs/..%2f..%2fetc%2fpasswd',
    '/docs/%2e%2e/%2e%2e/etc/passwd',
    '/docs/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/docs/..%5c..%5cetc%5cpasswd',
    '/docs/%252e%252e%252fetc%252fpasswd',
    '/docs//etc/passwd',
    '/docs/index%2ehtml',
    '/docs/.npmrc',
    '/docs/package.json',
    '/docs/swagger-ui-bundle.js.map', // not installed
    '/docs/nope.js',
  ];
  for (const target of refused) {
    const res = await get(target);
    assert.equal(res.status, 404, target);
    assert.equal(res.headers['content-type'], 'application/json', target);
    assert.deepEqual(JSON.parse(res.body), {
      code: 'NOT_FOUND',
      message: 'no such file of the API explorer',
    }, target);
  }
  // "/docsx" is not the explorer's: the gateway's usual unknown route.
  const other = await get('/docsx');
  assert.equal(other.status, 404);
  assert.equal(JSON.parse(other.body).message, 'no such route');
});

test('only GET and HEAD: another method is 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await call(method, '/docs/', { key: null });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get('allow'), 'GET, HEAD', method);
    assert.equal(res.json.code, 'METHOD_NOT_ALLOWED', method);
  }
});

// Resolves with fn's result, or rejects after ms.
function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

test('in Chromium: the routes, Authorize, Try it out, Execute: 401 without the key, 200 with it', {
  timeout: 90000,
}, async () => {
  assert.ok(fs.existsSync(chromium), `no browser at ${chromium}: scripts/deps installs chromium`);
  const doc = (await call('GET', '/openapi.json', { key: null })).json;
  const operations = Object.values(doc.paths).flatMap((item) =>
    Object.values(item).filter((op) => op && op.operationId));
  const direct = await call('GET', '/v1/pricingPolicies');
  assert.equal(direct.status, 200, direct.text);
  assert.ok(direct.json.policies.length > 0);

  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // As root Chromium refuses to start without --no-sandbox; /dev/shm may be small in a container.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage',
      '--disable-gpu', '--no-first-run', '--lang=en-US'],
    timeout: 30000,
  });
  const child = browser.process();
  // However the test ends (an assertion, a hang past the test's timeout), no browser is left.
  const watchdog = setTimeout(() => child?.kill('SIGKILL'), 85000);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    await page.setViewport({ width: 1280, height: 1000 });
    const requests = [];
    page.on('request', (req) => requests.push({
      url: req.url(), authorization: req.headers().authorization,
    }));
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    const res = await page.goto(`${base}/docs`, { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), 'VBP API explorer');
    await page.waitForSelector('.opblock');
    // The document's title and every operation, in the tag (service) sections Swagger UI makes.
    const title = await page.$eval('.info .title', (e) => e.textContent);
    assert.match(title, /^VBP API/);
    assert.equal((await page.$$('.opblock')).length, operations.length);
    for (const id of ['PricingService-GetPrice', 'PricingService-ListPricingPolicies',
      'CatalogService-CreateBatch', 'ContractService-SignContract']) {
      assert.ok(await page.$(`#operations-${id}`), `${id} is not on the page`);
    }
    const getPrice = await page.$eval('#operations-PricingService-GetPrice .opblock-summary-path',
      (e) => e.getAttribute('data-path'));
    assert.equal(getPrice, '/v1/prices/{regionCode}/{productId}');

    const op = '#operations-PricingService-ListPricingPolicies';
    const statusShown = async () => page.$eval(`${op} .live-responses-table tr.response .response-col_status`,
      (e) => e.textContent.trim());
    await page.click(`${op} .opblock-summary-control`);
    await page.waitForSelector(`${op} .try-out__btn`);
    await page.click(`${op} .try-out__btn`);
    await page.waitForSelector(`${op} .execute`);

    // Without a key first: the gateway refuses it, and the page shows so.
    await page.click(`${op} .execute`);
    await page.waitForSelector(`${op} .live-responses-table tr.response .response-col_status`);
    assert.equal(await statusShown(), '401');

    // Authorize: the bearer key into the dialog's field.
    await page.click('.scheme-container .btn.authorize');
    await page.waitForSelector('.modal-ux #auth-bearer-value');
    await page.type('.modal-ux #auth-bearer-value', adminKey);
    await page.click('.modal-ux .auth-btn-wrapper button.authorize');
    await page.waitForSelector('.modal-ux .btn-done');
    await page.click('.modal-ux .btn-done');
    await page.waitForSelector('.modal-ux', { hidden: true });
    // persistAuthorization: kept in the browser's storage for the next visit.
    const stored = await page.evaluate(() => localStorage.getItem('authorized'));
    assert.equal(JSON.parse(stored).bearer.value, adminKey);

    await page.click(`${op} .execute`);
    await page.waitForFunction((sel) => {
      const e = document.querySelector(sel);
      return e && e.textContent.trim() === '200';
    }, {}, `${op} .live-responses-table tr.response .response-col_status`);
    assert.equal(await statusShown(), '200');
    // The body the page shows is what the gateway answers a direct call.
    const shown = await page.$eval(`${op} .live-responses-table .response-col_description pre`,
      (e) => e.textContent);
    assert.deepEqual(JSON.parse(shown), direct.json);

    const calls = requests.filter((r) => new URL(r.url).pathname === '/v1/pricingPolicies');
    assert.equal(calls.length, 2, JSON.stringify(calls));
    assert.equal(calls[0].authorization, undefined);
    assert.equal(calls[1].authorization, `Bearer ${adminKey}`);
    // Nothing from anywhere but the gateway (data: URIs are the page's own inline images).
    const foreign = requests.filter((r) => !r.url.startsWith(`${base}/`) && !r.url.startsWith('data:'));
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((r) => r.url === `${base}/openapi.json`));
    assert.deepEqual(errors, []);

    // For a person: the operation with its 200, under the page's header and Authorize button.
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.$eval(op, (e) => e.scrollIntoView({ block: 'start' }));
    await page.evaluate(() => window.scrollBy(0, -160));
    await page.screenshot({ path: screenshot });
    assert.ok(fs.statSync(screenshot).size > 10000);
  } finally {
    clearTimeout(watchdog);
    // close() asks the browser to quit; one that does not within 5 s is killed.
    await within(5000, 'browser.close', browser.close()).catch(() => child?.kill('SIGKILL'));
  }
});
