/* catalog-svc's SQL. Every function runs on a connection the caller acquired (usually inside
 * vbp_pg_transaction) and builds its answers in the caller's arena as vbp.v1 messages; a
 * PGresult never leaves store.c. "find" may find nothing (*out = NULL, OK); "get" must. */
#ifndef CATALOG_STORE_H
#define CATALOG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/identity.h"
#include "common/pg.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each insert writes the row unless its key is taken; *inserted says which. A row that would
 * break a uniqueness rule other than the key (a credit code) is ALREADY_EXISTS. */
vbp_status catalog_store_insert_region(vbp_pg_conn *c, const Vbp__V1__Region *r, bool *inserted);
vbp_status catalog_store_find_region(vbp_pg_conn *c, vbp_arena *a, const char *code,
                                     Vbp__V1__Region **out);

vbp_status catalog_store_insert_organization(vbp_pg_conn *c, const Vbp__V1__Organization *o,
                                             bool *inserted);
vbp_status catalog_store_find_organization(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                           Vbp__V1__Organization **out);
/* Organizations with id > after_id, by id, at most limit; kind 0 and region_prefix "" match
 * all (the prefix selects a region and every region below it). */
vbp_status catalog_store_list_organizations(vbp_pg_conn *c, vbp_arena *a, int kind,
                                            const char *region_prefix, const char *after_id,
                                            int limit, Vbp__V1__Organization ***out, size_t *n);

vbp_status catalog_store_insert_batch(vbp_pg_conn *c, const Vbp__V1__Batch *b, bool *inserted);
/* for_update locks the batch row until the transaction ends. */
vbp_status catalog_store_find_batch(vbp_pg_conn *c, vbp_arena *a, const char *code,
                                    bool for_update, Vbp__V1__Batch **out);
vbp_status catalog_store_set_cycle_end(vbp_pg_conn *c, const char *code, const char *cycle_end);

vbp_status catalog_store_insert_execution(vbp_pg_conn *c, const Vbp__V1__Execution *e,
                                          bool *inserted);
vbp_status catalog_store_find_execution(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                        const char *region_code, Vbp__V1__Execution **out);
vbp_status catalog_store_list_executions(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                         Vbp__V1__Execution ***out, size_t *n);

vbp_status catalog_store_insert_product(vbp_pg_conn *c, const Vbp__V1__Product *p,
                                        bool *inserted);
vbp_status catalog_store_find_product(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                      Vbp__V1__Product **out);

vbp_status catalog_store_insert_group(vbp_pg_conn *c, const Vbp__V1__Group *g, bool *inserted);
/* for_update locks the group row, so results of one group are published one at a time. */
vbp_status catalog_store_find_group(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                    const char *id, bool for_update, Vbp__V1__Group **out);

/* winning_price is in 0.0001 yuan (ignored for NON_WINNING). */
vbp_status catalog_store_insert_result(vbp_pg_conn *c, const Vbp__V1__Result *r,
                                       long long winning_price, bool *inserted);
vbp_status catalog_store_find_result(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                     const char *product_id, Vbp__V1__Result **out);
/* The sum of the shares published so far in a group. */
vbp_status catalog_store_group_share_sum(vbp_pg_conn *c, const char *batch_code,
                                         const char *group_id, int *sum);
/* Results of a batch with product id > after, by product id; group "" and status 0 match all. */
vbp_status catalog_store_list_results(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                      const char *group_id, int status, const char *after,
                                      int limit, Vbp__V1__Result ***out, size_t *n);

vbp_status catalog_store_insert_api_key(vbp_pg_conn *c, const char *id,
                                        const char *organization_id, const char *key_sha256);
/* The organization of key id, or NULL when there is no such key (revoked or not). */
vbp_status catalog_store_find_api_key_owner(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                            Vbp__V1__Organization **owner);
vbp_status catalog_store_revoke_api_key(vbp_pg_conn *c, const char *id);
/* The caller a live key's SHA-256 stands for: NOT_FOUND for an unknown or revoked key. */
vbp_status catalog_store_authenticate(vbp_pg_conn *c, const char *key_sha256, vbp_caller *out,
                                      char key_id[65]);

/* OK when the database answers. */
vbp_status catalog_store_ping(vbp_pg_conn *c);

#ifdef __cplusplus
}
#endif
#endif
