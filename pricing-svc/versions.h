/* The versions of the price inputs that cached answers are keyed by, kept fresh in memory.
 *
 * Two counters, each kept durably by its owner and bumped in the same transaction as every
 * write that can change a price: the catalog's (catalog-svc: products, groups, results,
 * executions, batches) and pricing's own (listings, policies). A look-up uses the pair it reads
 * here in its cache key, so an answer cached under an older pair is never read again.
 *
 * Freshness: a poller re-reads both every poll_ms, and catalog-svc pushes its new version before
 * it acknowledges a write (pricing_versions_saw), so the next look-up sees it. The pair is only
 * trusted for lease_ms after the start of the read that confirmed it: past that (the poller
 * failing: catalog-svc or the database unreachable), a look-up confirms it itself and fails
 * rather than answer from a version that may be stale. So every look-up started more than
 * lease_ms + one read after a write was acknowledged sees that write, whatever failed.
 * Versions never go down. */
#ifndef PRICING_VERSIONS_H
#define PRICING_VERSIONS_H

#include <stdint.h>

#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads both versions from their owners. Called from the poller and from look-ups, from any
 * thread. */
typedef vbp_status (*pricing_versions_fetch_fn)(void *ctx, int64_t *catalog, int64_t *own);

typedef struct pricing_versions pricing_versions;

/* Starts the poller (the first read is made at once, in its thread). poll_ms < lease_ms. */
pricing_versions *pricing_versions_start(pricing_versions_fetch_fn fetch, void *ctx, int poll_ms,
                                         int lease_ms);
/* Stops the poller and frees. NULL does nothing. */
void pricing_versions_stop(pricing_versions *v);

/* The current pair. Confirms it first (one read, shared by the threads that ask meanwhile) when
 * the lease ran out; UNAVAILABLE when that read fails. */
vbp_status pricing_versions_get(pricing_versions *v, int64_t *catalog, int64_t *own);

/* A version learnt otherwise (a push from catalog-svc, a read made with a look-up's inputs, a
 * listing written here): raises the pair (0 leaves a counter alone). Does not renew the lease. */
void pricing_versions_saw(pricing_versions *v, int64_t catalog, int64_t own);

#ifdef __cplusplus
}
#endif
#endif
