/* Authentication of an RPC's caller: signed caller metadata (the gateway, another service) or a
 * bearer API key (a direct gRPC client). Keys are resolved by their SHA-256 through a resolver
 * the service provides (catalog-svc reads its table; the others ask catalog-svc), and the answer
 * is cached briefly. A watcher asks for the keys revoked lately every few hundred milliseconds
 * and forgets them, so a revoked key stops working within a second while catalog-svc answers,
 * and within the cache's time to live when it does not. */
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

#define VBP_KEY_REVOCATIONS_MAX 64

/* The keys revoked after a revocation version (catalog-svc's ListKeyRevocations). */
typedef struct vbp_key_revocations {
  long long version; /* the newest revocation version */
  /* True when key_sha256 cannot say it all (no version asked about, more than
   * VBP_KEY_REVOCATIONS_MAX keys, a version of another database): forget every key. */
  bool everything;
  size_t n;
  char key_sha256[VBP_KEY_REVOCATIONS_MAX][65]; /* lowercase hex, oldest revocation first */
} vbp_key_revocations;

/* Fills *out with the keys revoked after after_version (0: none known yet, so everything).
 * Anything but OK leaves the cache as it is (its time to live bounds what it keeps). Called from
 * the watcher's thread. */
typedef vbp_status (*vbp_revocation_source)(void *ctx, long long after_version,
                                            vbp_key_revocations *out);

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
/* Stops the watcher (waiting for a source call in progress) and frees auth. NULL does nothing. */
void vbp_authenticator_destroy(vbp_authenticator *auth);

/* How often every authenticator asks for revocations: API.md promises a revoked key stops
 * working everywhere within 1 s while the channel is up. */
#define VBP_KEY_REVOCATION_POLL_MS 200

/* Starts a thread that asks source (with ctx, borrowed until destroy) every interval_ms for the
 * keys revoked since its last answer, and forgets them (all keys when it says everything, and
 * at its first answer). At most one watcher per authenticator; call before sharing auth. */
void vbp_authenticator_watch(vbp_authenticator *auth, vbp_revocation_source source, void *ctx,
                             int interval_ms);

/* The API key in an Authorization value: the scheme "Bearer" in any case (RFC 7235: `bearer`,
 * `BEARER`), one or more spaces, then the key (the rest of the value, not empty). NULL when the
 * value is not that. The result points into authorization. */
const char *vbp_bearer_key(const char *authorization);

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
/* The cache's generation: it moves whenever keys are forgotten. Read it before a look-up starts
 * and hand it to remember, so that an answer read before a revocation is not cached after it. */
uint64_t vbp_authenticator_generation(vbp_authenticator *auth);
/* Caches the answer for key_sha256 (found false: an unknown or revoked key), unless keys were
 * forgotten since generation (vbp_authenticator_generation before the look-up). */
void vbp_authenticator_remember(vbp_authenticator *auth, const char *key_sha256, bool found,
                                const vbp_caller *caller, int64_t now_ms, uint64_t generation);

/* Drops every cached key (a key was revoked through this process). Thread-safe. */
void vbp_authenticator_forget(vbp_authenticator *auth);

/* The secret signing internal calls (for a client that calls another service as this caller). */
const char *vbp_authenticator_secret(const vbp_authenticator *auth);

#ifdef __cplusplus
}
#endif
#endif
