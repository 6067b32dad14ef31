/* Cross-origin access for browsers (the Fetch standard's CORS protocol), for the origins of an
 * allowlist from configuration (VBP_CORS_ORIGINS: comma-separated, empty by default, so no
 * cross-origin access). A listed origin gets Access-Control-Allow-Origin echoing it; "*" in the
 * list lets any origin read answers (then "*" is what is answered). Credentials are never allowed,
 * with "*" or without: the API authenticates with the Authorization header, which a page sends
 * without the credentials mode, and no cookie of ours is worth exposing. The decisions are pure;
 * gw_cors_preflight and gw_cors_headers apply them to a request. */
#ifndef GW_CORS_H
#define GW_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/status.h"
#include "gateway/routes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a preflight allows besides its route's methods, and how long a browser may keep it. */
#define GW_CORS_ALLOW_HEADERS "Authorization, Content-Type, Idempotency-Key, X-Request-Id"
#define GW_CORS_EXPOSE_HEADERS "X-Request-Id, ETag, Retry-After"
#define GW_CORS_MAX_AGE "600"

typedef struct gw_cors gw_cors;

/* The allowlist of origins: comma-separated, spaces around them ignored, each "*" or a
 * serialized origin: http or https, "://", a host and an optional ":port", nothing else (no
 * path, no "null": a sandboxed page's origin must not pass for an allowed one). Scheme and host
 * compare as browsers send them, in lower case. NULL or "" allows nothing. On success *out is
 * the caller's (gw_cors_destroy); INVALID_ARGUMENT naming VBP_CORS_ORIGINS and the entry
 * otherwise. Thread-safe once made. */
vbp_status gw_cors_create(const char *origins, gw_cors **out);
void gw_cors_destroy(gw_cors *cors);

/* The Access-Control-Allow-Origin for a request from origin (its Origin header, or NULL): origin
 * itself when listed, "*" when the list has "*", NULL when neither (or cors is NULL). */
const char *gw_cors_allow_origin(const gw_cors *cors, const char *origin);

/* True when answers depend on the request's Origin (the list names origins), so every answer
 * carries Vary: Origin, even one without CORS headers, which a cache must not hand to an allowed
 * origin. */
bool gw_cors_varies(const gw_cors *cors);

/* The methods that routes take path with ("GET, POST"), in arena; NULL when none does. */
const char *gw_cors_methods(const gw_routes *routes, const char *path, vbp_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
