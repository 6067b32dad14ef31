/* What volume-svc's and contract-svc's parts of an all-or-nothing ImportBatch share
 * (docs/exchange.md "Import"): the errors of their lines, the checks before PREPARE, and the
 * PrepareImport / FinishImport handlers around the service's own rows. The prepared transaction
 * is 'vbp-import-<importId>-<service>' (common/pg.h vbp_pg_prepare); the failpoint before it
 * is "<service>.import.prepare" (common/failpoint.h). */
#ifndef VBP_IMPORT_PART_H
#define VBP_IMPORT_PART_H

#include <stddef.h>

#include "common/pg.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/feed.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One call's part: the service's import keeps it as its first member and counts into it. */
typedef struct vbp_import_part {
  vbp_call *call;
  const char *service; /* "volume", "contract" */
  int imported, skipped;
  Vbp__V1__PrepareImportError **errors; /* in the call's arena */
  size_t n_errors;
} vbp_import_part;

/* Starts an attempt afresh (vbp_pg_prepare may re-run the work). */
void vbp_import_part_reset(vbp_import_part *p);

/* The error of one line: "field: reason", or the status's message when it names no field. */
void vbp_import_part_error(vbp_import_part *p, int line, const vbp_status *st);

/* The last check of the work, once its rows are written: FAILED_PRECONDITION when a line
 * conflicts (nothing is prepared then), DEADLINE_EXCEEDED when the coordinator has given up on
 * the call (it rolls back, maybe before this PREPARE, which would be left holding its locks),
 * UNAVAILABLE when the failpoint is armed. */
vbp_status vbp_import_part_ready(const vbp_import_part *p);

/* PrepareImport: checks importId, runs work(conn, ctx) in a transaction prepared as the part's
 * gid (ctx's first member is p) and answers PrepareImportResponse in the call's arena: the
 * counts, or the lines' errors with zero counts. Another failure is the status. */
vbp_status vbp_import_part_prepare(vbp_import_part *p, vbp_pg_pool *pool, const char *import_id,
                                   vbp_pg_tx_fn work, ProtobufCMessage **response);

/* FinishImport for `service`: COMMIT or ROLLBACK PREPARED of its gid, OK (found false) when it
 * is not there. */
vbp_status vbp_import_part_finish(vbp_call *call, vbp_pg_pool *pool, const char *service,
                                  const ProtobufCMessage *request, ProtobufCMessage **response);

#ifdef __cplusplus
}
#endif
#endif
