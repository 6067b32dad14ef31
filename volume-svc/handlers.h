/* What the handler files of volume-svc share (private to volume-svc): the service of a call,
 * transactions with the call's input and output, page tokens, and the RPC handlers themselves
 * for service.c's method table. */
#ifndef VOLUME_HANDLERS_H
#define VOLUME_HANDLERS_H

#include "common/arena.h"
#include "common/pg.h"
#include "common/rpc.h"
#include "common/status.h"
#include "volume-svc/service.h"

/* One call's work inside a transaction: its input and, on OK, its answer. */
typedef struct volume_tx {
  vbp_call *call;
  const void *in;
  ProtobufCMessage *out;
} volume_tx;

volume_service *volume_of(vbp_call *call);

/* fn in a write transaction (retried on serialization failures) or a read, with t.in = in;
 * *out = t.out on OK. */
vbp_status volume_in_tx(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out);
vbp_status volume_in_read(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out);

/* The secret page tokens are keyed with (the internal one, which every replica has). */
const char *volume_page_secret(vbp_call *call);

/* SQL for a timestamptz column as an RFC 3339 time in China ("2024-07-22T09:30:00+08:00"). */
#define VOLUME_SQL_TIME(col)        \
  "to_char(" col                    \
  " AT TIME ZONE 'Asia/Shanghai', " \
  "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"

#define VOLUME_HANDLER(name) \
  vbp_status name(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)

VOLUME_HANDLER(volume_submit_demand);
VOLUME_HANDLER(volume_review_demand);
VOLUME_HANDLER(volume_compute_allocations);
VOLUME_HANDLER(volume_list_allocations);
VOLUME_HANDLER(volume_freeze_allocations);
VOLUME_HANDLER(volume_record_purchase);
VOLUME_HANDLER(volume_record_purchases);
VOLUME_HANDLER(volume_report_supply_issue);
VOLUME_HANDLER(volume_verify_supply_issue);
VOLUME_HANDLER(volume_get_progress);
VOLUME_HANDLER(volume_assess);
VOLUME_HANDLER(volume_get_prepayment);
/* An allocation row's change in the feed (allocations.c): id batch/province/year/institution/
 * product, readable by the institution and the product's manufacturer. */
void volume_record_allocation(vbp_pg_conn *c, vbp_arena *a, const char *batch, const char *region,
                              const char *year, const char *institution_id, const char *product_id,
                              const char *institution_region, const char *manufacturer_id,
                              const char *action);

/* An allocations row read as SELECT batch_code, region_code, institution_id, group_id,
 * product_id, agreement_year, agreed_quantity, ratio_percent, base_quantity (allocations.c; the
 * lists and the export read the same columns). */
void *volume_allocation_of_row(const vbp_pg_row *row);

/* Internal, for catalog-svc: the change feed (changes.c), the supervision record (record.c),
 * the alliance exchange (export.c, import.c). */
VOLUME_HANDLER(volume_list_service_changes);
VOLUME_HANDLER(volume_list_record_entries);
VOLUME_HANDLER(volume_prepare_import);
VOLUME_HANDLER(volume_finish_import);
vbp_status volume_export_part(vbp_call *call, const ProtobufCMessage *request);

#endif
