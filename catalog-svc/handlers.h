/* The handlers of catalog-svc that live outside service.c: the ones that gather the other
 * services' parts (the alliance exchange, the change feed, the supervision record). Private to
 * catalog-svc; service.c's method table names them. */
#ifndef CATALOG_HANDLERS_H
#define CATALOG_HANDLERS_H

#include "catalog-svc/service.h"
#include "common/pg.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"

#define CATALOG_HANDLER(name) \
  vbp_status name(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)

/* The agreement years of execution e of batch b (C5, C6), as ListAgreementYears answers them
 * (service.c). *out is an array in a of *n. */
vbp_status catalog_agreement_years_of(vbp_arena *a, const Vbp__V1__Batch *b,
                                      const Vbp__V1__Execution *e, Vbp__V1__AgreementYear ***out,
                                      size_t *n);

/* The change feed's row for a catalog write (service.c), in the write's transaction: ids are
 * the thing's code or id, or "batch/id" for what lives in a batch. */
void catalog_record_change(vbp_pg_conn *c, const char *type, const char *id, const char *action,
                           const char *region_code, const char *batch_code);

/* export.c: ExportBatch, the catalog's records then volume-svc's and contract-svc's parts. */
vbp_status catalog_export_batch(vbp_call *call, const ProtobufCMessage *request);
/* import.c: ImportBatch, all-or-nothing across the services. */
CATALOG_HANDLER(catalog_import_batch);
/* changes.c: the merged change feed. A watch holds a server worker for as long as it lasts, so
 * at most CATALOG_WATCHERS_MAX run at once (main.c adds as many workers); each ends after
 * CATALOG_WATCH_MAX_MS (the client resumes with its last cursor). A watcher looks again when a
 * service notifies a commit, and every CATALOG_WATCH_POLL_MS anyway; it notices a client gone
 * within CATALOG_WATCH_WAKE_MS. */
#define CATALOG_WATCHERS_MAX 32
#define CATALOG_WATCH_MAX_MS (5 * 60 * 1000) /* under the gateway's 10-minute stream deadline */
#define CATALOG_WATCH_POLL_MS 30000
#define CATALOG_WATCH_WAKE_MS 500
CATALOG_HANDLER(catalog_list_changes);
vbp_status catalog_watch_changes(vbp_call *call, const ProtobufCMessage *request);
/* record.c: an enterprise's supervision record. */
CATALOG_HANDLER(catalog_get_enterprise_record);

#endif
