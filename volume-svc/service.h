/* VolumeService: one handler per RPC (unpack -> authorise -> validate -> catalog inputs -> rules
 * -> store -> pack). The handlers live by subject: demand.c (V1), allocations.c (V2, V3),
 * purchases.c and purchase_file.c (V4, V8, V9), supply.c, progress.c (V5), assess.c (V6),
 * prepayment.c (V7); service.c holds the method table and what they share. */
#ifndef VOLUME_SERVICE_H
#define VOLUME_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/auth.h"
#include "common/memo.h"
#include "common/pg.h"
#include "common/rpc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the handlers share; borrowed, owned by main (or a test). */
typedef struct volume_service {
  vbp_pg_pool *pool;
  vbp_authenticator *auth; /* its secret keys the page tokens */
  vbp_client *catalog;     /* CatalogService: GetVolumeInputs */
  vbp_memo *inputs;        /* its answers, by price-input version (vbp_batch_inputs_kept) */
  vbp_client *pricing;     /* PricingService: the limits purchases are flagged against */
} volume_service;

/* The method table, in the order of vbp.v1.VolumeService. */
extern const vbp_method volume_methods[];
extern const size_t volume_methods_count;

/* The readiness of the service: its database answers. */
bool volume_ready(void *context);

#ifdef __cplusplus
}
#endif
#endif
