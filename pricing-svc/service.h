/* PricingService: one handler per RPC (unpack -> authorise -> validate -> look up or store ->
 * pack), dispatched through the static method table below. Look-ups go Redis first, then (one
 * computation per key at a time) catalog-svc's inputs + the listings + the rules. */
#ifndef PRICING_SERVICE_H
#define PRICING_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/memo.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "common/rpc.h"
#include "pricing-svc/flight.h"
#include "pricing-svc/versions.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the handlers share. Set the borrowed parts, then pricing_service_start. */
typedef struct pricing_service {
  vbp_pg_pool *pool;     /* borrowed */
  vbp_redis *redis;      /* borrowed */
  vbp_client *catalog;   /* borrowed; opened with the internal secret (calls sign as SERVICE) */
  int poll_ms, lease_ms; /* versions.h; 0: 200 and 500 */
  int memo_slots;        /* memo.h; < 0: none, 0: 65536 */
  /* Owned, made by pricing_service_start. */
  pricing_versions *versions;
  pricing_flights *flights;
  vbp_memo *memo;
  vbp_counter *memo_hits, *hits, *misses, *cache_errors, *computations, *computation_us, *shared;
} pricing_service;

/* The method table, in the order of vbp.v1.PricingService. */
extern const vbp_method pricing_methods[];
extern const size_t pricing_methods_count;

/* Starts the versions' poller and the flights; registers the cache counters in metrics (may be
 * NULL: then counters are not kept). */
void pricing_service_start(pricing_service *svc, vbp_metrics *metrics);
/* Stops what pricing_service_start started (after the server stopped). */
void pricing_service_stop(pricing_service *svc);

/* The versions' reader (versions.h): catalog-svc's GetPriceInputsVersion and pricing's own. */
vbp_status pricing_fetch_versions(void *svc, int64_t *catalog, int64_t *own);

/* Health: the database answers and the versions are confirmed. ctx is the pricing_service. */
bool pricing_ready(void *ctx);

#ifdef __cplusplus
}
#endif
#endif
