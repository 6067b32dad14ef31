/* A service's part of an all-or-nothing ImportBatch (docs/exchange.md "Import"), the same for
 * volume-svc and contract-svc: the part written in one transaction that is prepared
 * (PREPARE TRANSACTION 'vbp-import-<id>-<service>') and finished by catalog-svc, the
 * coordinator, with FinishImport. The service gives only what is its own: how one item of the
 * request is checked and written. An item's error is collected (vbp_import_part_error); any
 * collected error rolls the part back, and then nothing is prepared. */
#ifndef VBP_IMPORT_PART_H
#define VBP_IMPORT_PART_H

#include <stddef.h>

#include "common/arena.h"
#include "common/pg.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/feed.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_import_part vbp_import_part;

/* Checks and writes item i of the request in transaction c: counts it in p->imported or
 * p->skipped, or collects its line's error with vbp_import_part_error and returns OK. A status
 * not OK is a failure of the transaction (it is rolled back, maybe retried). */
typedef vbp_status (*vbp_import_item_fn)(vbp_pg_conn *c, vbp_import_part *p, size_t i);

struct vbp_import_part {
  vbp_call *call;
  vbp_arena *arena; /* the call's */
  const char *import_id;
  const void *request; /* the service's Prepare*ImportRequest */
  int imported, skipped;
  Vbp__V1__PrepareImportError **errors;
  size_t n_errors;
};

/* Collects the error of line `line`: "field: reason", or the message of a status without one. */
void vbp_import_part_error(vbp_import_part *p, int line, const vbp_status *st);

/* PrepareImport's body: checks import_id, then prepares 'vbp-import-<import_id>-<service>' in
 * pool with item(c, p, i) for each i < n_items (from scratch each attempt), unless a line had an
 * error, the coordinator's deadline passed, or failpoint "<service>.import.prepare" is armed.
 * *response is a PrepareImportResponse: the counts, or the lines' errors. */
vbp_status vbp_import_part_prepare(vbp_call *call, vbp_pg_pool *pool, const char *service,
                                   const char *import_id, const void *request, size_t n_items,
                                   vbp_import_item_fn item, ProtobufCMessage **response);

/* FinishImport's body: COMMIT or ROLLBACK PREPARED 'vbp-import-<id>-<service>' in pool. */
vbp_status vbp_import_part_finish(vbp_call *call, vbp_pg_pool *pool, const char *service,
                                  const ProtobufCMessage *request, ProtobufCMessage **response);

#ifdef __cplusplus
}
#endif
#endif
