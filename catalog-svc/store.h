/* catalog-svc's SQL. Every function runs on a connection the caller acquired (usually inside
 * vbp_pg_transaction) and builds its answers in the caller's arena as vbp.v1 messages; a
 * PGresult never leaves store.c. "find" may find nothing (*out = NULL, OK); "get" must. */
#ifndef CATALOG_STORE_H
#define CATALOG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog-svc/rules.h"
#include "common/arena.h"
#include "common/auth.h"
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
vbp_status catalog_store_find_batch(vbp_pg_conn *c, vbp_arena *a, const char *code, bool for_update,
                                    Vbp__V1__Batch **out);
vbp_status catalog_store_set_cycle_end(vbp_pg_conn *c, const char *code, const char *cycle_end);

vbp_status catalog_store_insert_execution(vbp_pg_conn *c, const Vbp__V1__Execution *e,
                                          bool *inserted);
vbp_status catalog_store_find_execution(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                        const char *region_code, Vbp__V1__Execution **out);
vbp_status catalog_store_list_executions(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                         Vbp__V1__Execution ***out, size_t *n);

vbp_status catalog_store_insert_product(vbp_pg_conn *c, const Vbp__V1__Product *p, bool *inserted);
vbp_status catalog_store_find_product(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                      Vbp__V1__Product **out);

/* max_non_winning_price in 0.0001 yuan; 0 for none. */
vbp_status catalog_store_insert_group(vbp_pg_conn *c, const Vbp__V1__Group *g,
                                      long long max_non_winning_price, bool *inserted);
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

vbp_status catalog_store_insert_api_key(vbp_pg_conn *c, const char *id, const char *organization_id,
                                        const char *key_sha256);
/* The organization of key id, or NULL when there is no such key (revoked or not). */
vbp_status catalog_store_find_api_key_owner(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                            Vbp__V1__Organization **owner);
/* Revokes key id, and when it was live, stamps it with a new key revocation version
 * (migrations/0003_key_revocations.sql). Take no lock after it in the same transaction. */
vbp_status catalog_store_revoke_api_key(vbp_pg_conn *c, const char *id);
/* The key revocation version and the keys revoked after after_version (ListKeyRevocations). */
vbp_status catalog_store_list_key_revocations(vbp_pg_conn *c, long long after_version,
                                              vbp_key_revocations *out);
/* The caller a live key's SHA-256 stands for: NOT_FOUND for an unknown or revoked key. */
vbp_status catalog_store_authenticate(vbp_pg_conn *c, const char *key_sha256, vbp_caller *out,
                                      char key_id[65]);

/* ---------------------------------------------------------------- price inputs
 * The tables the pricing rules read (products, groups, results, executions, batches) bump the
 * price-input version on every row written (migrations/0002_price_inputs.sql). */

/* The version as this transaction sees it: right after a write of its own, the number that
 * write bumped it to (the row stays locked by the writer until it ends). */
vbp_status catalog_store_get_price_inputs_version(vbp_pg_conn *c, long long *version);

/* Turns the transaction vbp_pg_transaction began into a REPEATABLE READ, READ ONLY one, so that
 * everything read after it comes from one snapshot. Must be its first statement. */
vbp_status catalog_store_begin_snapshot(vbp_pg_conn *c);

/* The products named ids[0..n) (valid ids; repeats allowed) into out[0..n), NULL for an id that
 * names none. out is the caller's; the products live in a. */
vbp_status catalog_store_find_products(vbp_pg_conn *c, vbp_arena *a, char *const *ids, size_t n,
                                       Vbp__V1__Product **out);

/* An execution that may be in force for the product at ids[index]. */
typedef struct catalog_product_execution {
  size_t index;
  catalog_execution execution; /* batch_code lives in a */
} catalog_product_execution;

/* The executions in province region_code starting on or before date (YYYY-MM-DD) of the batches
 * of each product's kind that concern it (DOMAIN.md "Pricing rules": the product has a result in
 * the batch; or, for a drug, the batch has a group of its generic name; for a consumable with a
 * category, the batch has a result for a product of that category), for the products named
 * ids[0..n), ordered by index. Whether each is still in force is catalog_execution_in_force's
 * call. *out is an arena array of *count. */
vbp_status catalog_store_list_price_executions(vbp_pg_conn *c, vbp_arena *a,
                                               const char *region_code, const char *date,
                                               char *const *ids, size_t n,
                                               catalog_product_execution **out, size_t *count);

/* Completes inputs[0..n): each with a batch_code and a product gets the product's status and
 * winning price in that batch, its group (its result's, or for a drug without a result the
 * batch's group of its generic name with the lowest id), the other products with a result in
 * that group, and for a consumable the batch's WINNING and BACKUP consumables of the same category
 * and function but itself; members ordered by product id (byte order). Inputs without a batch
 * are left alone. A few queries for all inputs together. Allocates in a. */
vbp_status catalog_store_fill_price_inputs(vbp_pg_conn *c, vbp_arena *a,
                                           Vbp__V1__ProductPriceInputs *const *inputs, size_t n);

/* ---------------------------------------------------------------- volume inputs
 * What GetVolumeInputs reads of one batch, in the snapshot catalog_store_begin_snapshot made.
 * Ids are ordered in byte order (COLLATE "C"), whatever the database's collation. */

/* The groups of batch batch_code, by id. *out is an arena array of *n. */
vbp_status catalog_store_list_batch_groups(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                           Vbp__V1__Group ***out, size_t *n);

/* Every result of batch batch_code, by group id then product id (winning prices formatted as
 * ListResults answers them). *out is an arena array of *n. */
vbp_status catalog_store_list_batch_results(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                            Vbp__V1__Result ***out, size_t *n);

/* The products in the scope of batch batch_code of kind `kind` (V4, V6), by id: every product
 * with a result in it; and for a DRUG batch every drug of a group's generic name, for a
 * CONSUMABLE batch every consumable of the category and function of a product with a result in
 * it. *out is an arena array of *n. */
vbp_status catalog_store_list_batch_products(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                             int kind, Vbp__V1__Product ***out, size_t *n);

/* The organizations among ids[0..n) (valid ids; repeats allowed) that exist, each once, in the
 * order of its first mention. One query whatever n. *out is an arena array of *count. */
vbp_status catalog_store_find_organizations(vbp_pg_conn *c, vbp_arena *a, char *const *ids,
                                            size_t n, Vbp__V1__Organization ***out, size_t *count);

/* ---------------------------------------------------------------- alliance exchange
 * What ExportBatch reads of batch_code for one province (province_prefix: its two digits), a
 * page at a time, keyset-paged so that no page costs more than its own rows. */

/* The organizations an export of the batch in the province may refer to, in export order
 * (consortia, that is organizations without one, before their members; then by id), after
 * (after_member, after_id): the alliance office that created the batch (created_by, "" for
 * none), the manufacturers of its results' products, every bureau, insurance agency and medical
 * institution of the province, every distributor (a contract's may sit in any region), and the
 * consortium of each of them. Bounded by the organizations, whatever the number of contracts. */
vbp_status catalog_store_export_organizations(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                              const char *province_prefix, const char *created_by,
                                              bool after_member, const char *after_id, int limit,
                                              Vbp__V1__Organization ***out, size_t *n);

/* The regions those organizations sit in, the province, the batch's lead and member regions, and
 * every ancestor of them, parents before children (by level, then code), after (after_level,
 * after_code). */
vbp_status catalog_store_export_regions(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                        const char *province, const char *province_prefix,
                                        const char *created_by, int after_level,
                                        const char *after_code, int limit, Vbp__V1__Region ***out,
                                        size_t *n);

/* The products with a result in the batch, by id, after after_id. */
vbp_status catalog_store_export_products(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                         const char *after_id, int limit, Vbp__V1__Product ***out,
                                         size_t *n);

/* OK when the database answers. */
/* Brings the catalog schema up to date (catalog-svc/migrations, embedded at build time). */
vbp_status catalog_store_migrate(vbp_pg_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
