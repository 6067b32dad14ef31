/* A small Redis client over hiredis for caches and idempotency keys: short timeouts, a few
 * pooled connections, and failing fast while Redis is down, so that callers can fall back (a
 * price look-up goes to the database) instead of waiting.
 *
 * Every failure (Redis down or unreachable, a timeout, an error reply such as OOM or WRONGTYPE)
 * is UNAVAILABLE with the reason in the message; whether to fall back is the caller's decision.
 * After a failed connect or a command timeout, calls fail at once without trying again for
 * retry_interval_ms; a connection the server closed (a restart) is noticed before use and remade.
 *
 * Threads: a vbp_redis is shared by all threads; every function but open/close is thread-safe.
 * Keys are NUL-terminated strings; values are bytes (binary-safe, NULs allowed). */
#ifndef VBP_REDIS_H
#define VBP_REDIS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_redis vbp_redis;

typedef struct vbp_redis_options {
  int connect_timeout_ms; /* <= 0: 50 */
  int command_timeout_ms; /* <= 0: 50; a timed-out command is UNAVAILABLE */
  int retry_interval_ms;  /* <= 0: 250; after a failed connect or a timeout, fail at once */
  int connections;        /* <= 0: 4; each is used by one thread at a time */
} vbp_redis_options;

/* A client for `host_port` ("127.0.0.1:6379", "[::1]:6379", "redis.svc:6379"; copied) with
 * `timeout_ms` (<= 0: 50) for both connecting and each command, and the other options at their
 * defaults. Connects lazily: Redis being down at start-up is not an error here (the first calls
 * fail with UNAVAILABLE), so a service starts without its cache. INVALID_ARGUMENT if host_port is
 * malformed. On success *out is the caller's; free it with vbp_redis_close. */
vbp_status vbp_redis_open(const char *host_port, int timeout_ms, vbp_redis **out);

/* Same, with every option (`opts` only read during the call; NULL: all defaults). */
vbp_status vbp_redis_open_opts(const char *host_port, const vbp_redis_options *opts,
                               vbp_redis **out);

/* Closes the connections and frees the client. No call may be in progress. NULL does nothing. */
void vbp_redis_close(vbp_redis *r);

/* GET key. On success *value_out is a malloc'd copy of the value with a NUL appended (not
 * counted in *len), which the caller frees, or NULL when the key does not exist (then *len is
 * 0). `len` may be NULL. Out-parameters are written only on success. */
vbp_status vbp_redis_get(vbp_redis *r, const char *key, char **value_out, size_t *len);

/* SET key to the `len` bytes at `value` (read during the call only), expiring after
 * `ttl_seconds` (<= 0: no expiry). */
vbp_status vbp_redis_set(vbp_redis *r, const char *key, const char *value, size_t len,
                         int ttl_seconds);

/* SET key value NX [EX ttl_seconds]: sets only if the key does not exist. *created (may be NULL)
 * is true when this call set it, false when the key was already there (and is unchanged). */
vbp_status vbp_redis_set_nx(vbp_redis *r, const char *key, const char *value, size_t len,
                            int ttl_seconds, bool *created);

/* DEL key. OK whether or not the key existed. */
vbp_status vbp_redis_del(vbp_redis *r, const char *key);

/* INCR key (a missing key counts as 0); *out (may be NULL) is the new value. */
vbp_status vbp_redis_incr(vbp_redis *r, const char *key, long long *out);

/* MGET keys[0..n): values[i] gets a malloc'd NUL-terminated copy of key i's value (its length
 * in lens[i]), which the caller frees, or NULL for a missing key. Written only on success; one
 * round trip. */
vbp_status vbp_redis_mget(vbp_redis *r, const char *const *keys, size_t n, char **values,
                          size_t *lens);

/* SET keys[i] values[i] (lens[i] bytes) EX ttl_seconds (<= 0: no expiry) for i < n, pipelined
 * in one round trip. An error reply for one key is reported after the others were sent. */
vbp_status vbp_redis_set_many(vbp_redis *r, const char *const *keys, const char *const *values,
                              const size_t *lens, size_t n, int ttl_seconds);

#ifdef __cplusplus
}
#endif
#endif
