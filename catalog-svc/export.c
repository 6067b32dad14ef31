/* ExportBatch: one batch in one province as the alliance exchange file (docs/exchange.md). */
#include <stdbool.h>

#include "catalog-svc/handlers.h"
#include "catalog-svc/store.h"
#include "common/pg.h"
#include "common/validate.h"
#include "vbp/v1/catalog.pb-c.h"

typedef struct export_page {
  const Vbp__V1__ExportBatchRequest *in;
  vbp_arena *arena;
  const char *after;
  Vbp__V1__Batch *batch; /* read with the first page only */
  Vbp__V1__Result **results;
  size_t n;
} export_page;

#define EXPORT_PAGE 500

static vbp_status export_page_tx(vbp_pg_conn *c, void *ctx) {
  export_page *p = ctx;
  if (!*p->after) {
    VBP_CHECK(catalog_store_find_batch(c, p->arena, p->in->code, false, &p->batch));
    if (!p->batch) return vbp_status_make(VBP_NOT_FOUND, "batch %s does not exist", p->in->code);
  }
  return catalog_store_list_results(c, p->arena, p->in->code, "", 0, p->after, EXPORT_PAGE,
                                    &p->results, &p->n);
}

/* Streams the catalog's part of a batch: the batch, then its results page by page, so a large
 * batch never sits in memory whole and no connection is held while the client reads. */
vbp_status catalog_export_batch(vbp_call *call, const ProtobufCMessage *request) {
  const Vbp__V1__ExportBatchRequest *in = (const Vbp__V1__ExportBatchRequest *)request;
  catalog_service *svc = vbp_call_context(call);
  VBP_CHECK(vbp_need_id("code", in->code));
  if (*in->region_code) VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  export_page p = {.in = in, .after = ""};
  vbp_arena *page = vbp_arena_create();
  p.arena = page;
  vbp_status st = vbp_pg_read(svc->pool, export_page_tx, &p);
  if (vbp_ok(&st)) {
    Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
    record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_BATCH;
    record.batch = p.batch;
    st = vbp_call_send(call, &record.base);
  }
  while (vbp_ok(&st) && p.n > 0) {
    for (size_t i = 0; i < p.n && vbp_ok(&st); i++) {
      Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
      record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_RESULT;
      record.result = p.results[i];
      st = vbp_call_send(call, &record.base);
    }
    if (!vbp_ok(&st) || p.n < EXPORT_PAGE) break;
    char *after = vbp_arena_strdup(vbp_call_arena(call), p.results[p.n - 1]->product_id);
    vbp_arena_reset(page);
    p.after = after;
    st = vbp_pg_read(svc->pool, export_page_tx, &p);
  }
  vbp_arena_destroy(page);
  return st;
}
