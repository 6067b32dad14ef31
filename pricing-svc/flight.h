/* One computation per key at a time (cache stampedes): the first thread to ask for a key leads
 * its computation; threads asking for the same key meanwhile wait for the leader's answer
 * instead of computing it again. In-process: each replica computes a key at most once at a
 * time. */
#ifndef PRICING_FLIGHT_H
#define PRICING_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pricing_flights pricing_flights;
typedef struct pricing_flight pricing_flight;

pricing_flights *pricing_flights_create(void);
/* No flight may be in progress. NULL does nothing. */
void pricing_flights_destroy(pricing_flights *f);

/* Joins the computation of key. Returns true when the caller leads it: it computes, then must
 * call pricing_flight_done. Returns false when another thread leads: the caller must call
 * pricing_flight_wait. A leader must finish every flight it leads before it waits for another
 * (so that two leaders never wait for each other). */
bool pricing_flight_join(pricing_flights *f, const char *key, pricing_flight **out);

/* The leader's answer: st, and on OK the len bytes at value (copied). Wakes the waiters. */
void pricing_flight_done(pricing_flights *f, pricing_flight *flight, vbp_status st,
                         const char *value, size_t len);

/* Waits for the leader's answer: its status, and on OK a copy of the value in arena (NUL
 * appended, not counted in *len). */
vbp_status pricing_flight_wait(pricing_flights *f, pricing_flight *flight, vbp_arena *arena,
                               char **value, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
