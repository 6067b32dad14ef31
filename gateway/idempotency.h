/* Idempotency-Key (API.md): the first answer to a write is kept in Redis for 24 hours under
 * (caller, key) with a fingerprint of the request; a retry with the same request gets that
 * answer back unchanged, a different request with the same key is refused, and of two first
 * attempts at once only one runs. While Redis cannot be reached, a request carrying a key is
 * refused (UNAVAILABLE): its guarantee lives there. */
#ifndef GW_IDEMPOTENCY_H
#define GW_IDEMPOTENCY_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/redis.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_IDEMPOTENCY_TTL_S (24 * 3600)
#define GW_IDEMPOTENCY_KEY_MAX 255

typedef enum gw_idem {
  GW_IDEM_PROCEED = 0, /* the first attempt: call the backend, then gw_idem_finish */
  GW_IDEM_REPLAY,      /* a retry of a finished request: *status and *body are its answer */
} gw_idem;

/* The fingerprint (SHA-256, 64 hex digits and a NUL into out) of a request as the service
 * sees it: the method's gRPC path and the packed request message, which holds the body, the
 * path variables and the query. Two requests that differ only in their JSON's whitespace or key
 * order, or in how the path is escaped, have one fingerprint; comparing bytes made a retry of
 * the same request a 409. protobuf-c packs fields in number order, so packing is stable.
 * Thread-safe. */
void gw_idem_fingerprint(const char *rpc_path, const ProtobufCMessage *request, char out[65]);

/* Claims (caller, key) for the request whose SHA-256 fingerprint (hex) is given. On OK, *out
 * says what to do; *body (malloc'd, the caller frees it) and *status are set for a replay.
 * INVALID_ARGUMENT on field Idempotency-Key when the key is empty, too long or not printable
 * ASCII; ALREADY_EXISTS when the key was used for another request; ABORTED while the first
 * attempt is still running; UNAVAILABLE when Redis does not answer. */
vbp_status gw_idem_begin(vbp_redis *redis, const char *caller, const char *key,
                         const char *fingerprint, gw_idem *out, unsigned *status, char **body,
                         size_t *len);

/* Records the answer of the first attempt: kept for 24 h when it is final (2xx and 4xx but 429),
 * forgotten (so a retry runs again) when the backend could not answer. */
void gw_idem_finish(vbp_redis *redis, const char *caller, const char *key, const char *fingerprint,
                    unsigned status, const char *body, size_t len);

#ifdef __cplusplus
}
#endif
#endif
