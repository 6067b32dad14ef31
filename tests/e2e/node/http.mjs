// What the REST tests share: calling the gateway (VBP_GATEWAY_ADDR) with fetch as a portal
// would, checking API.md's error body, and making valid credit codes.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

const base = `http://${process.env.VBP_GATEWAY_ADDR}`;
export const adminKey = process.env.VBP_ADMIN_KEY;

// GB 32100-2015 check character (common/credit_code.h).
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export function creditCode(regionCode) {
  let first17 = `91${regionCode}`;
  for (const b of crypto.randomBytes(9)) first17 += ALPHABET[b % 31];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
  return first17 + ALPHABET[(31 - (sum % 31)) % 31];
}

// `gateway` (host:port) calls another stack's gateway than VBP_GATEWAY_ADDR's.
export async function call(method, path, { key = adminKey, body, raw, headers = {}, gateway } = {}) {
  const h = { ...headers };
  if (key !== null) h.Authorization = `Bearer ${key}`;
  let payload = raw;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const res = await fetch((gateway ? `http://${gateway}` : base) + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export function assertError(res, status, code, field) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.json.code, code, res.text);
  assert.equal(typeof res.json.message, 'string');
  if (field === undefined) {
    assert.equal(res.json.details, undefined, res.text);
  } else {
    assert.deepEqual(res.json.details?.map((d) => d.field), [field], res.text);
    assert.equal(typeof res.json.details[0].reason, 'string');
  }
}
