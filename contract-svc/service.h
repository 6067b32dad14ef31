/* ContractService: one handler per RPC (unpack -> authorise -> validate -> catalog inputs ->
 * rules -> store -> pack). The handlers live by subject: authorizations.c (C3, C8), contracts.c
 * (create, assign, read, terminate), generate.c (GenerateContracts, RenewContract: C1, C5-C7),
 * sign.c (C2-C4, C9) and keys.c (signing keys); service.c holds the method table and what they
 * share. */
#ifndef CONTRACT_SERVICE_H
#define CONTRACT_SERVICE_H

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
typedef struct contract_service {
  vbp_pg_pool *pool;
  vbp_authenticator *auth; /* its secret keys the page tokens */
  vbp_client *catalog;     /* CatalogService: GetVolumeInputs */
  vbp_client *volume;      /* VolumeService: ListAllocations, FreezeAllocations */
  /* Executions' signing windows by batch and province (C2, C4), kept once read: the catalog never
   * changes an execution once created. NULL: none kept (each signature asks the catalog). */
  vbp_memo *windows;
} contract_service;

/* The method table, in the order of vbp.v1.ContractService. */
extern const vbp_method contract_methods[];
extern const size_t contract_methods_count;

/* The readiness of the service: its database answers. */
bool contract_ready(void *context);

#ifdef __cplusplus
}
#endif
#endif
