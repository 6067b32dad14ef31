/* ExportPart (internal, catalog-svc's ExportBatch): volume-svc's part of one batch in one
 * province as the exchange file carries it, streamed: every allocation (by year, institution,
 * product), then each started agreement year's progress rows as GetProgress computes them as of
 * min(today, the year's end). Page by page, each page its own short read in an arena reset
 * before the next, so neither memory nor a connection is held for the whole part. */
#include <stdio.h>

#include "common/arena.h"
#include "common/batch_inputs.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/pg.h"
#include "vbp/v1/feed.pb-c.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

#define EXPORT_PAGE 500

typedef struct part_page {
  const char *batch_code, *province;
  vbp_arena *arena;
  int year; /* allocations: the last row's; progress: the year read */
  char after_institution[VBP_ORG_ID_MAX + 1]; /* the last row sent, "" before the first */
  char after_product[VBP_ORG_ID_MAX + 1];     /* ids are at most 64 bytes (common/ids.h) */
  char as_of[VBP_DATE_FORMAT_MAX];            /* progress only */
  void **rows;
  size_t n;
} part_page;

static vbp_status allocations_tx(vbp_pg_conn *c, void *ctx) {
  part_page *p = ctx;
  char year[12], limit[12];
  snprintf(year, sizeof year, "%d", p->year);
  snprintf(limit, sizeof limit, "%d", EXPORT_PAGE);
  const char *params[] = {p->batch_code,        p->province,      year,
                          p->after_institution, p->after_product, limit};
  return vbp_pg_query_rows(
      c, p->arena, "export allocations",
      "SELECT batch_code, region_code, institution_id, group_id, product_id, agreement_year, "
      "agreed_quantity, ratio_percent, base_quantity FROM allocations "
      "WHERE batch_code = $1 AND region_code = $2 "
      "AND (agreement_year, institution_id, product_id) > ($3::int, $4, $5) "
      "ORDER BY agreement_year, institution_id, product_id LIMIT $6::int",
      6, params, volume_allocation_of_row, &p->rows, &p->n);
}

static void *progress_of_row(const vbp_pg_row *row) {
  Vbp__V1__ExchangeProgress *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__exchange_progress__init(r);
  r->institution_id = vbp_pg_text(row, 0);
  r->product_id = vbp_pg_text(row, 1);
  r->agreed = vbp_pg_int64(row, 2);
  r->purchased = vbp_pg_int64(row, 3);
  return r;
}

/* GetProgress's sum (progress.c): the unit's purchases of the year accepted by as_of. */
static vbp_status progress_tx(vbp_pg_conn *c, void *ctx) {
  part_page *p = ctx;
  char year[12], limit[12];
  snprintf(year, sizeof year, "%d", p->year);
  snprintf(limit, sizeof limit, "%d", EXPORT_PAGE);
  const char *params[] = {p->batch_code,    p->province, year, p->after_institution,
                          p->after_product, p->as_of,    limit};
  return vbp_pg_query_rows(
      c, p->arena, "export progress",
      "SELECT a.institution_id, a.product_id, a.agreed_quantity, "
      "(SELECT coalesce(sum(p.quantity), 0) FROM purchases p WHERE p.batch_code = a.batch_code "
      "AND p.region_code = a.region_code AND p.agreement_year = a.agreement_year "
      "AND p.unit_id = a.institution_id AND p.product_id = a.product_id "
      "AND p.accepted_on <= $6::date) "
      "FROM allocations a WHERE a.batch_code = $1 AND a.region_code = $2 "
      "AND a.agreement_year = $3::int AND (a.institution_id, a.product_id) > ($4, $5) "
      "ORDER BY a.institution_id, a.product_id LIMIT $7::int",
      7, params, progress_of_row, &p->rows, &p->n);
}

static void remember(part_page *p, const char *institution, const char *product) {
  snprintf(p->after_institution, sizeof p->after_institution, "%s", institution);
  snprintf(p->after_product, sizeof p->after_product, "%s", product);
}

static vbp_status send_allocations(vbp_call *call, part_page *p) {
  for (;;) {
    vbp_arena_reset(p->arena);
    VBP_CHECK(vbp_pg_read(volume_of(call)->pool, allocations_tx, p));
    Vbp__V1__Allocation **rows = (Vbp__V1__Allocation **)p->rows;
    for (size_t i = 0; i < p->n; i++) {
      Vbp__V1__VolumeExchangeRecord record = VBP__V1__VOLUME_EXCHANGE_RECORD__INIT;
      record.record_case = VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION;
      record.allocation = rows[i];
      VBP_CHECK(vbp_call_send(call, &record.base));
    }
    if (p->n < EXPORT_PAGE) return vbp_status_ok();
    const Vbp__V1__Allocation *last = rows[p->n - 1];
    p->year = last->agreement_year;
    remember(p, last->institution_id, last->product_id);
  }
}

/* Year y's rows as of as_of, with its elapsed percent. */
static vbp_status send_progress(vbp_call *call, part_page *p, int elapsed_percent) {
  for (;;) {
    vbp_arena_reset(p->arena);
    VBP_CHECK(vbp_pg_read(volume_of(call)->pool, progress_tx, p));
    Vbp__V1__ExchangeProgress **rows = (Vbp__V1__ExchangeProgress **)p->rows;
    for (size_t i = 0; i < p->n; i++) {
      Vbp__V1__ExchangeProgress *row = rows[i];
      row->batch_code = (char *)p->batch_code;
      row->region_code = (char *)p->province;
      row->agreement_year = p->year;
      row->as_of = p->as_of;
      row->completion_percent = volume_completion_percent(row->purchased, row->agreed);
      row->elapsed_percent = elapsed_percent;
      Vbp__V1__VolumeExchangeRecord record = VBP__V1__VOLUME_EXCHANGE_RECORD__INIT;
      record.record_case = VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_PROGRESS;
      record.progress = row;
      VBP_CHECK(vbp_call_send(call, &record.base));
    }
    if (p->n < EXPORT_PAGE) return vbp_status_ok();
    remember(p, rows[p->n - 1]->institution_id, rows[p->n - 1]->product_id);
  }
}

vbp_status volume_export_part(vbp_call *call, const ProtobufCMessage *request) {
  const Vbp__V1__ExportPartRequest *in = (const Vbp__V1__ExportPartRequest *)request;
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  /* The agreement years (and NOT_FOUND for a batch without an execution there). */
  vbp_batch_inputs inputs;
  VBP_CHECK(volume_inputs_get(call, in->batch_code, in->region_code, NULL, 0, &inputs));
  part_page p = {.batch_code = in->batch_code, .province = in->region_code};
  p.arena = vbp_arena_create();
  vbp_status st = send_allocations(call, &p);
  vbp_date today = vbp_today();
  for (size_t y = 0; vbp_ok(&st) && y < inputs.n_years; y++) {
    if (inputs.year_start[y] > today) break; /* years not started have no progress yet */
    vbp_date as_of = inputs.year_end[y] < today ? inputs.year_end[y] : today;
    p.year = (int)y + 1;
    remember(&p, "", "");
    vbp_date_format(as_of, p.as_of);
    st = send_progress(call, &p,
                       volume_elapsed_percent(inputs.year_start[y], inputs.year_end[y], as_of));
  }
  vbp_arena_destroy(p.arena);
  return st;
}
