#include "common/identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

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

static void hex(const unsigned char *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

void vbp_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(data, len, digest);
  hex(digest, sizeof digest, out);
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
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)text, (size_t)n, mac,
       &mac_len);
  hex(mac, mac_len, out);
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

static bool six_digits(const char *code) {
  for (int i = 0; i < 6; i++)
    if (code[i] < '0' || code[i] > '9') return false;
  return code[6] == '\0';
}

bool vbp_region_contains(const char *ancestor, const char *region_code) {
  if (!six_digits(ancestor) || !six_digits(region_code)) return false;
  /* Significant digits of the ancestor: 2 for a province (xx0000), 4 for a city (xxxx00). */
  size_t n = 6;
  if (strcmp(ancestor + 2, "0000") == 0) n = 2;
  else if (strcmp(ancestor + 4, "00") == 0) n = 4;
  return strncmp(ancestor, region_code, n) == 0;
}
