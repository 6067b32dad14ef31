/* CatalogService: one handler per RPC (unpack -> authorise -> validate -> rules -> store ->
 * pack), dispatched through the static method table below. */
#ifndef CATALOG_SERVICE_H
#define CATALOG_SERVICE_H

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
typedef struct catalog_service {
  vbp_pg_pool *pool;
  /* Required: forgotten when a key is revoked here; its secret keys the page tokens. */
  vbp_authenticator *auth;
  /* PricingService, told the price-input version after each write that changed price inputs
   * (opened with the internal secret); NULL: nobody is told (VBP_PRICING_ADDR unset). */
  vbp_client *pricing;
  /* VolumeService and ContractService, for their parts of ExportBatch, ImportBatch, the change
   * feed and the supervision record (opened with the internal secret); NULL: unset address. */
  vbp_client *volume;
  vbp_client *contract;
  /* Organizations read lately, by id (packed vbp.v1.Organization): rows nobody changes once
   * created (no RPC updates or deletes one), so a kept one is never stale. NULL: none kept. An
   * RPC that changes an organization must forget it here. */
  vbp_memo *organizations;
  /* How many WatchChanges may run at once (each holds a server worker); 0: CATALOG_WATCHERS_MAX
   * (catalog-svc/handlers.h), which main.c adds workers for. */
  int watchers_max;
} catalog_service;

/* The method table, in the order of vbp.v1.CatalogService. */
extern const vbp_method catalog_methods[];
extern const size_t catalog_methods_count;

/* The key resolver for catalog-svc's own authenticator: the api_keys table. ctx is the
 * catalog_service. Thread-safe. */
vbp_status catalog_resolve_key(void *ctx, const char *key_sha256, vbp_caller *out);

/* The revocation source for catalog-svc's own authenticator: the api_keys table, as
 * ListKeyRevocations answers it. ctx is the catalog_service. Thread-safe. */
vbp_status catalog_key_revocations(void *ctx, long long after_version, vbp_key_revocations *out);

#ifdef __cplusplus
}
#endif
#endif
