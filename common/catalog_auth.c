#include "common/catalog_auth.h"

#include <stdio.h>
#include <string.h>

#include "vbp/v1/catalog.pb-c.h"

#define AUTHENTICATE_TIMEOUT_MS 2000
/* Polled every 200 ms: an answer later than this is no use to the next poll either. */
#define REVOCATIONS_TIMEOUT_MS 1000

vbp_status vbp_catalog_resolve_key(void *ctx, const char *key_sha256, vbp_caller *out) {
  vbp_client *catalog = ctx;
  Vbp__V1__AuthenticateRequest req = VBP__V1__AUTHENTICATE_REQUEST__INIT;
  req.key_sha256 = (char *)key_sha256;
  const vbp_caller service = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {.timeout_ms = AUTHENTICATE_TIMEOUT_MS, .caller = &service};
  ProtobufCMessage *answer = NULL;
  vbp_status st =
      vbp_client_call(catalog, vbp_method_of(&vbp__v1__catalog_service__descriptor, "Authenticate"),
                      &req.base, &options, NULL, &answer);
  if (st.code == VBP_NOT_FOUND) return st;
  if (!vbp_ok(&st))
    return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc could not check the key: %s", st.message);
  const Vbp__V1__AuthenticateResponse *r = (const Vbp__V1__AuthenticateResponse *)answer;
  vbp_caller caller = {.role = (vbp_role)r->role};
  snprintf(caller.org_id, sizeof caller.org_id, "%s", r->organization_id);
  snprintf(caller.region_code, sizeof caller.region_code, "%s", r->region_code);
  protobuf_c_message_free_unpacked(answer, NULL);
  *out = caller;
  return st;
}

vbp_status vbp_catalog_key_revocations(void *ctx, long long after_version,
                                       vbp_key_revocations *out) {
  vbp_client *catalog = ctx;
  Vbp__V1__ListKeyRevocationsRequest req = VBP__V1__LIST_KEY_REVOCATIONS_REQUEST__INIT;
  req.after_version = after_version;
  const vbp_caller service = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {.timeout_ms = REVOCATIONS_TIMEOUT_MS, .caller = &service};
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(
      catalog, vbp_method_of(&vbp__v1__catalog_service__descriptor, "ListKeyRevocations"),
      &req.base, &options, NULL, &answer);
  if (!vbp_ok(&st))
    return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc did not list key revocations: %s",
                           st.message);
  const Vbp__V1__KeyRevocations *r = (const Vbp__V1__KeyRevocations *)answer;
  vbp_key_revocations got = {.version = r->version, .everything = r->everything};
  /* More than fit, or a key that is no SHA-256: forget everything rather than guess. */
  if (r->n_key_sha256s > VBP_KEY_REVOCATIONS_MAX) got.everything = true;
  for (size_t i = 0; i < r->n_key_sha256s && !got.everything; i++) {
    if (strlen(r->key_sha256s[i]) != 64) got.everything = true;
    snprintf(got.key_sha256[got.n++], sizeof got.key_sha256[0], "%s", r->key_sha256s[i]);
  }
  protobuf_c_message_free_unpacked(answer, NULL);
  *out = got;
  return st;
}
