/* Authentication of an RPC's caller: signed caller metadata (the gateway, another service) or a
 * bearer API key (a direct gRPC client). Keys are resolved by their SHA-256 through a resolver
 * the service provides (catalog-svc reads its table; the others ask catalog-svc), and the answer
 * is cached briefly, so a revoked key stops working within the cache's time to live. */
#ifndef VBP_AUTH_H
#define VBP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/identity.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Resolves a key's SHA-256 (lowercase hex) to its caller: OK and *out, NOT_FOUND for an unknown
 * or revoked key, anything else for a failure (which is not cached). Called from worker threads
 * concurrently. */
typedef vbp_status (*vbp_key_resolver)(void *ctx, const char *key_sha256, vbp_caller *out);

typedef struct vbp_authenticator vbp_authenticator;

/* The credentials a call carries; each NUL-terminated, NULL when absent. */
typedef struct vbp_credentials {
  const char *authorization;                  /* "Bearer <key>" */
  const char *org, *role, *region, *ts, *sig; /* signed caller metadata (identity.h) */
} vbp_credentials;

/* Creates an authenticator. admin_key and secret are copied; resolve may be NULL (then only the
 * admin key and signed metadata are accepted). A cache_ttl_ms of 0 disables the cache. */
vbp_authenticator *vbp_authenticator_create(const char *admin_key, const char *secret,
                                            vbp_key_resolver resolve, void *resolve_ctx,
                                            int cache_ttl_ms, size_t cache_capacity);
void vbp_authenticator_destroy(vbp_authenticator *auth);

/* Who is calling method. Signed metadata wins over a bearer key when both are present.
 * UNAUTHENTICATED when neither proves anyone; UNAVAILABLE when the resolver failed.
 * Thread-safe. */
vbp_status vbp_authenticate(vbp_authenticator *auth, const char *method,
                            const vbp_credentials *credentials, int64_t now_ms, vbp_caller *out);

/* For callers that resolve keys asynchronously (the gateway): the admin key test, a cache-only
 * lookup, and storing an answer obtained elsewhere. All thread-safe. */
bool vbp_authenticator_is_admin(const vbp_authenticator *auth, const char *key);
/* True when the answer for key_sha256 is cached and fresh: *found says whether the key is
 * known, and *out is its caller when it is. */
bool vbp_authenticator_cached(vbp_authenticator *auth, const char *key_sha256, int64_t now_ms,
                              bool *found, vbp_caller *out);
/* Caches the answer for key_sha256 (found false: an unknown or revoked key). */
void vbp_authenticator_remember(vbp_authenticator *auth, const char *key_sha256, bool found,
                                const vbp_caller *caller, int64_t now_ms);

/* Drops every cached key (a key was revoked in this process). Thread-safe. */
void vbp_authenticator_forget(vbp_authenticator *auth);

/* The secret signing internal calls (for a client that calls another service as this caller). */
const char *vbp_authenticator_secret(const vbp_authenticator *auth);

#ifdef __cplusplus
}
#endif
#endif
