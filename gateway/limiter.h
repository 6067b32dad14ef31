/* Per-key rate limits: a token bucket per API key, refilled at `rate` tokens a second up to
 * `burst`. Buckets live in a fixed table (bounded memory whatever the number of keys); two keys
 * that share a slot share nothing else: the newcomer starts with a full bucket. Time is a
 * parameter, so the arithmetic is testable. Thread-safe. */
#ifndef GW_LIMITER_H
#define GW_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gw_limiter gw_limiter;

/* rate <= 0 makes a limiter that allows everything. */
gw_limiter *gw_limiter_create(double rate, double burst, size_t slots);
void gw_limiter_destroy(gw_limiter *limiter);

/* Takes one token from key's bucket at now_us (monotonic microseconds). True if allowed;
 * otherwise *retry_after_s is the whole seconds (at least 1) until a token is there. */
bool gw_limiter_take(gw_limiter *limiter, const char *key, int64_t now_us, int *retry_after_s);

/* The same test without taking the token: true if key's bucket holds one at now_us. */
bool gw_limiter_peek(gw_limiter *limiter, const char *key, int64_t now_us, int *retry_after_s);

#ifdef __cplusplus
}
#endif
#endif
