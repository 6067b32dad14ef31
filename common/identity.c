#include "common/identity.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/hex.h"

static const char *const role_names[] = {
    [VBP_ROLE_BUREAU] = "BUREAU",
    [VBP_ROLE_INSURANCE_AGENCY] = "INSURANCE_AGENCY",
    [VBP_ROLE_ALLIANCE_OFFICE] = "ALLIANCE_OFFICE",
    [VBP_ROLE_MEDICAL_INSTITUTION] = "MEDICAL_INSTITUTION",
    [VBP_ROLE_MANUFACTURER] = "MANUFACTURER",
    [VBP_ROLE_DISTRIBUTOR] = "DISTRIBUTOR",
};

const char *vbp_role_name(vbp_role role) {
  if (role == VBP_ROLE_ADMIN) return "ADMIN";
  if (role == VBP_ROLE_SERVICE) return "SERVICE";
  if (role > VBP_ROLE_NONE && role <= VBP_ROLE_DISTRIBUTOR) return role_names[role];
  return NULL;
}

vbp_role vbp_role_parse(const char *name) {
  if (!name) return VBP_ROLE_NONE;
  if (strcmp(name, "ADMIN") == 0) return VBP_ROLE_ADMIN;
  if (strcmp(name, "SERVICE") == 0) return VBP_ROLE_SERVICE;
  for (int r = VBP_ROLE_BUREAU; r <= VBP_ROLE_DISTRIBUTOR; r++)
    if (strcmp(name, role_names[r]) == 0) return (vbp_role)r;
  return VBP_ROLE_NONE;
}

const char *vbp_caller_name(const vbp_caller *caller) {
  return caller->org_id[0] ? caller->org_id : vbp_role_name(caller->role);
}

/* SHA-256 fetched from OpenSSL's provider once. OpenSSL 3's one-shot SHA256() and HMAC() fetch
 * the algorithm again on every call (a locked look-up), which cost more than the hashing on the
 * path every request takes (the gateway hashes the API key and signs the caller, each service
 * verifies the signature). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void) {
  sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
  if (!sha256_md) abort(); /* no default provider: nothing here can work */
}

static const EVP_MD *sha256(void) {
  pthread_once(&sha256_once, fetch_sha256);
  return sha256_md;
}

/* parts[0..n) hashed as one message into digest (32 bytes). */
static void digest_parts(EVP_MD_CTX *ctx, const void *const *parts, const size_t *lens, size_t n,
                         unsigned char *digest) {
  if (!EVP_DigestInit_ex2(ctx, sha256(), NULL)) abort();
  for (size_t i = 0; i < n; i++)
    if (!EVP_DigestUpdate(ctx, parts[i], lens[i])) abort();
  if (!EVP_DigestFinal_ex(ctx, digest, NULL)) abort();
}

void vbp_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char digest[32];
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx) abort();
  digest_parts(ctx, &data, &len, 1, digest);
  EVP_MD_CTX_free(ctx);
  vbp_hex_encode(digest, sizeof digest, out);
}

void vbp_hmac_sha256(const void *key, size_t key_len, const void *text, size_t text_len,
                     unsigned char mac[32]) {
  enum { BLOCK = 64 };
  unsigned char k[BLOCK] = {0}, ipad[BLOCK], opad[BLOCK], inner[32];
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx) abort();
  if (key_len > BLOCK) {
    const void *part = key;
    digest_parts(ctx, &part, &key_len, 1, k);
  } else {
    memcpy(k, key, key_len);
  }
  for (int i = 0; i < BLOCK; i++) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  const void *inner_parts[2] = {ipad, text};
  const size_t inner_lens[2] = {BLOCK, text_len};
  digest_parts(ctx, inner_parts, inner_lens, 2, inner);
  const void *outer_parts[2] = {opad, inner};
  const size_t outer_lens[2] = {BLOCK, sizeof inner};
  digest_parts(ctx, outer_parts, outer_lens, 2, mac);
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
}

bool vbp_secure_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb) return false;
  return CRYPTO_memcmp(a, b, la) == 0;
}

/* The signed text: every field on its own line, so no field can bleed into another. */
static void signature(const char *secret, const char *method, const char *org, const char *role,
                      const char *region, const char *ts, char out[65]) {
  char text[512];
  int n = snprintf(text, sizeof text, "%s\n%s\n%s\n%s\n%s", method, org, role, region, ts);
  if (n < 0 || (size_t)n >= sizeof text) n = (int)sizeof text - 1;
  unsigned char mac[32];
  vbp_hmac_sha256(secret, strlen(secret), text, (size_t)n, mac);
  vbp_hex_encode(mac, sizeof mac, out);
}

void vbp_identity_sign(const char *secret, const char *method, const vbp_caller *caller,
                       int64_t now_ms, vbp_signed_caller *out) {
  const char *role = vbp_role_name(caller->role);
  snprintf(out->role, sizeof out->role, "%s", role ? role : "");
  snprintf(out->ts, sizeof out->ts, "%" PRId64, now_ms);
  signature(secret, method, caller->org_id, out->role, caller->region_code, out->ts, out->sig);
}

vbp_status vbp_identity_verify(const char *secret, const char *method, const char *org,
                               const char *role, const char *region, const char *ts,
                               const char *sig, int64_t now_ms, vbp_caller *out) {
  if (!org || !role || !region || !ts || !sig)
    return vbp_status_make(VBP_UNAUTHENTICATED, "caller metadata is incomplete");
  char *end = NULL;
  long long when = strtoll(ts, &end, 10);
  if (!*ts || *end) return vbp_status_make(VBP_UNAUTHENTICATED, "caller timestamp is malformed");
  char expected[65];
  signature(secret, method, org, role, region, ts, expected);
  if (!vbp_secure_equal(expected, sig))
    return vbp_status_make(VBP_UNAUTHENTICATED, "caller signature does not verify");
  long long age = (long long)now_ms - when;
  if (age > VBP_SIGNATURE_MAX_AGE_MS || age < -VBP_SIGNATURE_MAX_AGE_MS)
    return vbp_status_make(VBP_UNAUTHENTICATED, "caller signature is stale");
  vbp_role r = vbp_role_parse(role);
  if (r == VBP_ROLE_NONE) return vbp_status_make(VBP_UNAUTHENTICATED, "caller role is unknown");
  if (strlen(org) > VBP_ORG_ID_MAX || strlen(region) > VBP_REGION_CODE_LEN)
    return vbp_status_make(VBP_UNAUTHENTICATED, "caller metadata is malformed");
  vbp_caller c = {.role = r};
  strcpy(c.org_id, org);
  strcpy(c.region_code, region);
  *out = c;
  return vbp_status_ok();
}

char *vbp_random_id(vbp_arena *arena, const char *prefix) {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) abort(); /* no entropy: no id that cannot collide */
  char hex[2 * sizeof raw + 1];
  vbp_hex_encode(raw, sizeof raw, hex);
  return vbp_arena_printf(arena, "%s-%s", prefix, hex);
}
