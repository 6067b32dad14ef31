// The gateway's front door over raw sockets: bytes no HTTP client library would send, and
// exactly what comes back, including whether the gateway closed the connection and whether a
// request hidden in a body was served. Runs against the e2e gateway stack (tests/stack.sh with
// catalog-svc and the gateway; VBP_GATEWAY_ADDR). Each test is named after what broke.
//
// Where libmicrohttpd 0.9.75 answers by itself before the gateway's handler runs, the test
// asserts what really happens (its HTML, no X-Request-Id); gateway/http.c says why it cannot be
// corrected there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';

import { adminKey, call, creditCode } from './http.mjs';

const [host, port] = process.env.VBP_GATEWAY_ADDR.split(':');
const run = crypto.randomBytes(4).toString('hex');
const auth = `Authorization: Bearer ${adminKey}\r\n`;
// Served if the gateway ever read it as a request of its own.
const hidden = 'GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n';

// Writes bytes on a connection of its own and reads until the gateway closes it (closed: true)
// or nothing more comes for idleMs (closed: false).
function exchange(bytes, { idleMs = 1500 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    const chunks = [];
    let timer;
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const wait = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), idleMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      wait();
    });
    socket.on('data', (data) => {
      chunks.push(data);
      wait();
    });
    socket.on('end', () => finish(true));
    socket.on('error', (e) => (e.code === 'ECONNRESET' ? finish(true) : reject(e)));
  });
}

// The responses in text, in order; heads lists the ones that answer a HEAD (no body follows).
function responses(text, heads = []) {
  const out = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (!rest.startsWith('HTTP/1.1 ') || end < 0) {
      out.push({ garbage: rest });
      break;
    }
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    rest = rest.slice(end + 4);
    let body = '';
    if (heads.includes(out.length)) {
      // HEAD: the headers say what GET would send, and nothing follows them.
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, eol), 16);
        body += rest.slice(eol + 2, eol + 2 + size);
        rest = rest.slice(eol + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    let json;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    out.push({ status: Number(statusLine.slice(9, 12)), headers, body, json });
  }
  return out;
}

// One exchange that must bring exactly one response: that response, and whether it closed.
async function one(bytes, options) {
  const { text, closed } = await exchange(bytes, options);
  const all = responses(text);
  assert.equal(all.length, 1, text);
  return { ...all[0], closed, text };
}

// API.md's error body with an X-Request-Id; field is the one detail's, or none.
function assertApiError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers['content-type'], 'application/json', res.text);
  assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{8,64}$/, res.text);
  assert.equal(res.json?.code, code, res.text);
  assert.equal(typeof res.json.message, 'string');
  if (field === undefined) assert.equal(res.json.details, undefined, res.text);
  else assert.deepEqual(res.json.details?.map((d) => d.field), [field], res.text);
}

// A refusal libmicrohttpd makes by itself: its HTML, no X-Request-Id, the connection closed and
// nothing after it served.
function assertLibraryRefusal(text, closed, status) {
  assert.ok(text.startsWith(`HTTP/1.1 ${status} `), text);
  assert.doesNotMatch(text, /X-Request-Id/i);
  assert.match(text, /<html>/);
  assert.doesNotMatch(text, /"status":"ok"/);
  assert.equal(closed, true, text);
}

function post(path, headers, body) {
  return `POST ${path} HTTP/1.1\r\nHost: gw\r\n${headers}\r\n${body}`;
}

async function organization(id, kind = 'DISTRIBUTOR') {
  for (const [code, name, level, parentCode] of [
    ['350000', '福建省', 'PROVINCE', ''],
    ['350100', '福州市', 'CITY', '350000'],
  ]) {
    const res = await call('POST', '/v1/regions', { body: { code, name, level, parentCode } });
    assert.equal(res.status, 200, res.text);
  }
  const body = { id, name: '配送', kind, regionCode: '350100', creditCode: creditCode('350100') };
  const res = await call('POST', '/v1/organizations', { body });
  assert.equal(res.status, 200, res.text);
  return body;
}

// ---------------------------------------------------------------- 3: request smuggling

test('two Content-Length headers that differ are 400 and close before the request hidden in the body', async () => {
  const body = `{}${hidden}`;
  const res = await one(post('/v1/regions', `${auth}Content-Type: application/json\r\n` +
    `Content-Length: 2\r\nContent-Length: ${body.length}\r\n`, body));
  assertApiError(res, 400, 'INVALID_ARGUMENT', 'Content-Length');
  assert.equal(res.headers.connection, 'close');
  assert.equal(res.closed, true);
});

test('Content-Length with Transfer-Encoding: chunked is 400 and closes before the hidden request', async () => {
  const res = await one(post('/v1/regions', `${auth}Content-Type: application/json\r\n` +
    'Content-Length: 7\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${hidden}`));
  assertApiError(res, 400, 'INVALID_ARGUMENT', 'Transfer-Encoding');
  assert.equal(res.headers.connection, 'close');
  assert.equal(res.closed, true);
});

test('an unknown transfer coding is 501 at once and closes, where it used to wait for the close', async () => {
  for (const coding of ['gzip', 'gzip, chunked', 'chunked, chunked']) {
    const res = await one(post('/v1/regions', `${auth}Content-Type: application/json\r\n` +
      `Transfer-Encoding: ${coding}\r\n`, `2\r\n{}\r\n0\r\n\r\n${hidden}`));
    if (coding === 'chunked, chunked') assertApiError(res, 400, 'INVALID_ARGUMENT', 'Transfer-Encoding');
    else assertApiError(res, 501, 'UNIMPLEMENTED', 'Transfer-Encoding');
    assert.equal(res.closed, true, coding);
  }
});

test('a malformed Content-Length is refused by libmicrohttpd itself, its status line sent twice', async () => {
  for (const [length, status] of [['-1', 400], ['abc', 400], ['1, 2', 400], ['9'.repeat(20), 413]]) {
    const { text, closed } = await exchange(post('/v1/regions',
      `${auth}Content-Type: application/json\r\nContent-Length: ${length}\r\n`, `{}${hidden}`));
    assertLibraryRefusal(text, closed, status);
    // libmicrohttpd 0.9.75 builds its error response's head twice (gateway/http.c).
    assert.equal(text.match(/^HTTP\/1\.1 /gm).length, 2, text);
  }
});

// ---------------------------------------------------------------- 4: paths decoded once

test('a path is percent-decoded once: %2564 reaches the service as %64, not d', async () => {
  const id = `dd-${run}`;
  await organization(id);
  assert.equal((await call('GET', `/v1/organizations/${id}`)).status, 200);
  // Decoded twice it was dd-..., that organization; once, it is an id with a '%', no id at all.
  const once = await call('GET', `/v1/organizations/%2564d-${run}`);
  assert.equal(once.status, 400, once.text);
  assert.deepEqual(once.json.details.map((d) => d.field), ['id']);
});

test('a NUL or control character in a path variable is 400 naming it, and revokes no key', async () => {
  const id = `nul-${run}`;
  await organization(id);
  const key = await call('POST', '/v1/apiKeys', { body: { organizationId: id } });
  assert.equal(key.status, 200, key.text);
  for (const junk of ['%00zzz', '%00', '%0A', '%7F', '%1b[0m']) {
    const { text, closed } = await exchange(
      `DELETE /v1/apiKeys/${key.json.id}${junk} HTTP/1.1\r\nHost: gw\r\n${auth}Connection: close\r\n\r\n`);
    const all = responses(text);
    assert.equal(all.length, 1, text);
    assertApiError({ ...all[0], text }, 400, 'INVALID_ARGUMENT', 'id');
    assert.equal(closed, true);
  }
  const still = await call('GET', `/v1/organizations/${id}`, { key: key.json.key });
  assert.equal(still.status, 200, still.text);
});

// ---------------------------------------------------------------- 5: refusals in the API's JSON

test('a long URI is 414 in the API JSON, until libmicrohttpd refuses it itself', async () => {
  const ours = await one(`GET /v1/organizations/${'x'.repeat(10 * 1024)} HTTP/1.1\r\nHost: gw\r\n` +
    'Connection: close\r\n\r\n');
  assertApiError(ours, 414, 'URI_TOO_LONG');
  const { text, closed } = await exchange(`GET /v1/${'x'.repeat(64 * 1024)} HTTP/1.1\r\nHost: gw\r\n\r\n`);
  assertLibraryRefusal(text, closed, 414);
});

test('large headers are 431 in the API JSON, until libmicrohttpd refuses them itself', async () => {
  const ours = await one(`GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n` +
    `X-Big: ${'y'.repeat(20 * 1024)}\r\n\r\n`);
  assertApiError(ours, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
  const { text, closed } = await exchange(
    `GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Big: ${'y'.repeat(64 * 1024)}\r\n\r\n`);
  assertLibraryRefusal(text, closed, 431);
});

test('an HTTP version other than 1.x is libmicrohttpd\'s own 505', async () => {
  for (const version of ['HTTP/2.0', 'HTTP/0.9']) {
    const { text, closed } = await exchange(`GET /healthz ${version}\r\nHost: gw\r\n\r\n${hidden}`);
    assertLibraryRefusal(text, closed, 505);
  }
});

test('a bad chunk size is libmicrohttpd\'s own 400', async () => {
  const { text, closed } = await exchange(post('/v1/regions',
    `${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n`, `zz\r\n{}\r\n0\r\n\r\n${hidden}`));
  assertLibraryRefusal(text, closed, 400);
});

// ---------------------------------------------------------------- 9: HTTP conformance

test('405 carries Allow with the methods the path has', async () => {
  for (const [method, path, allow] of [
    ['GET', '/v1/regions', 'POST'],
    ['DELETE', '/v1/organizations/x', 'GET, HEAD'],
    ['PUT', '/v1/organizations', 'GET, HEAD, POST'],
    ['GET', '/v1/apiKeys/k1', 'DELETE'],
  ]) {
    const res = await one(`${method} ${path} HTTP/1.1\r\nHost: gw\r\n${auth}Connection: close\r\n\r\n`);
    assertApiError(res, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(res.headers.allow, allow, `${method} ${path}`);
  }
});

test('HEAD answers as GET without a body, where it was 404 or 405', async () => {
  const id = `head-${run}`;
  await organization(id);
  for (const [path, status] of [
    ['/healthz', 200],
    [`/v1/organizations/${id}`, 200],
    [`/v1/organizations/nobody-${run}`, 404],
  ]) {
    // HEAD then GET on one connection: a body after the HEAD's head would break the GET's.
    const { text } = await exchange(`HEAD ${path} HTTP/1.1\r\nHost: gw\r\n${auth}\r\n` +
      `GET ${path} HTTP/1.1\r\nHost: gw\r\n${auth}Connection: close\r\n\r\n`);
    const [head, get] = responses(text, [0]);
    assert.equal(head.status, status, text);
    assert.equal(get.status, status, text);
    assert.equal(head.headers['content-length'], get.headers['content-length'], text);
    assert.equal(head.headers['content-type'], get.headers['content-type'], text);
    assert.ok(head.headers['x-request-id'], text);
    assert.ok(get.body.length > 0, text);
  }
});

test('an HTTP/1.1 request without Host, or with two, is 400; HTTP/1.0 needs none', async () => {
  const none = await one('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
  assertApiError(none, 400, 'INVALID_ARGUMENT', 'Host');
  const two = await one('GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
  assertApiError(two, 400, 'INVALID_ARGUMENT', 'Host');
  const old = await one('GET /healthz HTTP/1.0\r\n\r\n');
  assert.equal(old.status, 200, old.text);
});

test('a body that is not application/json is 415, and the NDJSON import takes only NDJSON', async () => {
  const region = JSON.stringify({ code: '350000', name: '福建省', level: 'PROVINCE' });
  const send = (path, type, body = region) => one(post(path,
    `${auth}${type === null ? '' : `Content-Type: ${type}\r\n`}Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n', body));
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', null, 'application/json; charset=latin1',
    'application/x-ndjson', 'application/jsonx']) {
    assertApiError(await send('/v1/regions', type), 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type');
  }
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"']) {
    const res = await send('/v1/regions', type);
    assert.equal(res.status, 200, `${type}: ${res.text}`);
  }
  assertApiError(await send('/v1/exchange:import', 'application/json', '{}\n'), 415, 'UNSUPPORTED_MEDIA_TYPE',
    'Content-Type');
  const ndjson = await send('/v1/exchange:import', 'application/x-ndjson', '{}\n');
  assert.notEqual(ndjson.status, 415, ndjson.text);
  // No body, no Content-Type needed.
  const empty = await one(`POST /v1/organizations/x:cancel HTTP/1.1\r\nHost: gw\r\n${auth}Connection: close\r\n\r\n`);
  assertApiError(empty, 404, 'NOT_FOUND');
});

test('an Idempotency-Key retry whose JSON differs only in layout replays, where it was 409', async () => {
  const id = `layout-${run}`;
  const key = `layout-${run}`;
  await organization(`seed-${run}`);
  const fields = { id, name: '配送', kind: 'DISTRIBUTOR', regionCode: '350100', creditCode: creditCode('350100') };
  const headers = { 'Idempotency-Key': key, 'Content-Type': 'application/json' };
  const first = await call('POST', '/v1/organizations', { raw: JSON.stringify(fields), headers });
  assert.equal(first.status, 200, first.text);
  const reordered = Object.fromEntries(Object.entries(fields).reverse());
  const again = await call('POST', '/v1/organizations', { raw: JSON.stringify(reordered, null, 2), headers });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.text, first.text);
  const other = await call('POST', '/v1/organizations', { raw: JSON.stringify({ ...fields, name: '别的' }), headers });
  assert.equal(other.status, 409, other.text);
  assert.equal(other.json.details[0].field, 'Idempotency-Key');
});
