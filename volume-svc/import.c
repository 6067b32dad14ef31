/* volume-svc's part of an all-or-nothing ImportBatch (docs/exchange.md "Import"): the allocations
 * and progress rows of another province's exchange file, written in one transaction that is
 * prepared (PREPARE TRANSACTION 'vbp-import-<id>-volume') and finished by catalog-svc, the
 * coordinator, with FinishImport. An import never updates or deletes a row: a row already there
 * with the same content is skipped, with other content it is an error of its line, and then
 * nothing is prepared. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/import_part.h"
#include "common/money.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"

/* Rows written by one INSERT of the fast path: a few hundred kB of array literals. */
#define CHUNK 1000

typedef struct volume_import {
  vbp_import_part part; /* first: vbp_import_part_prepare hands the work a pointer to it */
  const Vbp__V1__PrepareVolumeImportRequest *in;
  vbp_arena *arena;
} volume_import;

static char *num(vbp_arena *a, int64_t n) { return vbp_arena_printf(a, "%" PRId64, n); }

/* The checks CreateAllocation would make if there were one (ComputeAllocations makes these). */
static vbp_status check_allocation(const Vbp__V1__VolumeImportItem *it, vbp_money *price) {
  const Vbp__V1__Allocation *x = it->record->allocation;
  VBP_CHECK(vbp_need_id("allocation.batchCode", x->batch_code));
  VBP_CHECK(vbp_need_region_code("allocation.regionCode", x->region_code));
  VBP_CHECK(vbp_need_id("allocation.institutionId", x->institution_id));
  VBP_CHECK(vbp_need_id("allocation.groupId", x->group_id));
  VBP_CHECK(vbp_need_id("allocation.productId", x->product_id));
  if (x->agreement_year < 1) return vbp_invalid("allocation.agreementYear", "must be 1 or more");
  if (x->agreed_quantity < 0)
    return vbp_invalid("allocation.agreedQuantity", "must not be negative");
  if (x->base_quantity < 0) return vbp_invalid("allocation.baseQuantity", "must not be negative");
  if (x->ratio_percent < 1 || x->ratio_percent > 100)
    return vbp_invalid("allocation.ratioPercent", "must be 1 to 100");
  VBP_CHECK(vbp_need_region_code("institutionRegion", it->institution_region));
  VBP_CHECK(vbp_need_id("manufacturerId", it->manufacturer_id));
  return vbp_need_price("winningPrice", it->winning_price, price);
}

static vbp_status check_progress(const Vbp__V1__ExchangeProgress *x) {
  vbp_date d;
  VBP_CHECK(vbp_need_id("progress.batchCode", x->batch_code));
  VBP_CHECK(vbp_need_region_code("progress.regionCode", x->region_code));
  if (x->agreement_year < 1) return vbp_invalid("progress.agreementYear", "must be 1 or more");
  VBP_CHECK(vbp_need_date("progress.asOf", x->as_of, &d));
  VBP_CHECK(vbp_need_id("progress.institutionId", x->institution_id));
  VBP_CHECK(vbp_need_id("progress.productId", x->product_id));
  if (x->agreed < 0) return vbp_invalid("progress.agreed", "must not be negative");
  if (x->purchased < 0) return vbp_invalid("progress.purchased", "must not be negative");
  return vbp_status_ok();
}

/* Inserts the row unless its key is taken; then whether the row there is the same. */
static vbp_status put_row(vbp_pg_conn *c, volume_import *v, int line, const char *what,
                          const char *insert, const char *same, int n, const char *const *params) {
  bool wrote = false;
  VBP_CHECK(vbp_pg_write(c, what, insert, n, params, &wrote));
  if (wrote) {
    v->part.imported++;
    return vbp_status_ok();
  }
  int64_t matches = 0;
  VBP_CHECK(vbp_pg_get_int64(c, what, same, n, params, "count gave no row", &matches));
  if (matches == 1) {
    v->part.skipped++;
  } else {
    vbp_status st =
        vbp_status_make(VBP_ALREADY_EXISTS, "%s exists already with other values", what);
    vbp_import_part_error(&v->part, line, &st);
  }
  return vbp_status_ok();
}

static vbp_status allocation_tx(vbp_pg_conn *c, volume_import *v,
                                const Vbp__V1__VolumeImportItem *it, vbp_money price) {
  const Vbp__V1__Allocation *x = it->record->allocation;
  vbp_arena *a = v->arena;
  const char *params[] = {x->batch_code,
                          x->region_code,
                          num(a, x->agreement_year),
                          x->institution_id,
                          it->institution_region,
                          x->group_id,
                          x->product_id,
                          it->manufacturer_id,
                          num(a, x->base_quantity),
                          num(a, x->ratio_percent),
                          num(a, x->agreed_quantity),
                          num(a, price)};
  int imported_before = v->part.imported;
  VBP_CHECK(put_row(c, v, it->line, "allocation",
                    "INSERT INTO allocations (batch_code, region_code, agreement_year, "
                    "institution_id, institution_region, group_id, product_id, manufacturer_id, "
                    "base_quantity, ratio_percent, agreed_quantity, winning_price) VALUES ($1, $2, "
                    "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING 1",
                    "SELECT count(*) FROM allocations WHERE batch_code = $1 AND region_code = $2 "
                    "AND agreement_year = $3 AND institution_id = $4 AND institution_region = $5 "
                    "AND group_id = $6 AND product_id = $7 AND manufacturer_id = $8 AND "
                    "base_quantity = $9 AND ratio_percent = $10 AND agreed_quantity = $11 AND "
                    "winning_price = $12",
                    12, params));
  if (v->part.imported > imported_before)
    volume_record_allocation(c, a, x->batch_code, x->region_code, params[2], x->institution_id,
                             x->product_id, it->institution_region, it->manufacturer_id,
                             "imported");
  /* The other province's year is final here: ComputeAllocations must not replace it (V3). */
  return vbp_pg_command(c, "freeze imported year",
                        "INSERT INTO frozen_years (batch_code, region_code, agreement_year) "
                        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        3, params);
}

static vbp_status progress_tx(vbp_pg_conn *c, volume_import *v,
                              const Vbp__V1__VolumeImportItem *it) {
  const Vbp__V1__ExchangeProgress *x = it->record->progress;
  vbp_arena *a = v->arena;
  const char *params[] = {x->batch_code,
                          x->region_code,
                          num(a, x->agreement_year),
                          x->as_of,
                          x->institution_id,
                          x->product_id,
                          num(a, x->agreed),
                          num(a, x->purchased),
                          num(a, x->completion_percent),
                          num(a, x->elapsed_percent),
                          v->in->import_id};
  return put_row(c, v, it->line, "progress row",
                 "INSERT INTO imported_progress (batch_code, region_code, agreement_year, as_of, "
                 "institution_id, product_id, agreed, purchased, completion_percent, "
                 "elapsed_percent, import_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                 "$11) ON CONFLICT DO NOTHING RETURNING 1",
                 "SELECT count(*) FROM imported_progress WHERE batch_code = $1 AND region_code = "
                 "$2 AND agreement_year = $3 AND as_of = $4 AND institution_id = $5 AND "
                 "product_id = $6 AND agreed = $7 AND purchased = $8 AND completion_percent = $9 "
                 "AND elapsed_percent = $10 AND $11 <> ''",
                 11, params);
}

/* Column k of a chunk's rows: cols[k][row]. */
typedef struct chunk_cols {
  const char **cols[12];
  size_t n;
} chunk_cols;

static void cols_init(vbp_arena *a, chunk_cols *t, int ncols) {
  for (int k = 0; k < ncols; k++) t->cols[k] = vbp_arena_alloc(a, CHUNK * sizeof(char *));
  t->n = 0;
}

/* INSERT ... SELECT FROM unnest of the columns ... ON CONFLICT DO NOTHING: how many it wrote. */
static vbp_status insert_all(vbp_pg_conn *c, vbp_arena *a, const char *what, const char *sql,
                             const chunk_cols *t, int ncols, int64_t *wrote) {
  *wrote = 0;
  if (t->n == 0) return vbp_status_ok();
  const char *params[12];
  for (int k = 0; k < ncols; k++) params[k] = vbp_pg_text_array(a, t->cols[k], t->n);
  return vbp_pg_get_int64(c, what, sql, ncols, params, "count gave no row", wrote);
}

/* The items [from, to) that passed their checks (ok[i]): the fast path first, every row in one
 * INSERT a table; when any of them is already there (or repeated in the file), the chunk's
 * INSERTs are rolled back to the savepoint and each row goes the slow way, put_row, which
 * tells a skipped row from a conflicting one. Either way the same rows end up written. */
static vbp_status chunk_tx(vbp_pg_conn *c, volume_import *v, vbp_arena *a, size_t from, size_t to,
                           const bool *ok, const vbp_money *prices) {
  chunk_cols al, pr;
  cols_init(a, &al, 12);
  cols_init(a, &pr, 11);
  for (size_t i = from; i < to; i++) {
    if (!ok[i - from]) continue;
    const Vbp__V1__VolumeImportItem *it = v->in->items[i];
    if (it->record->record_case == VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION) {
      const Vbp__V1__Allocation *x = it->record->allocation;
      const char *row[] = {x->batch_code,
                           x->region_code,
                           num(a, x->agreement_year),
                           x->institution_id,
                           it->institution_region,
                           x->group_id,
                           x->product_id,
                           it->manufacturer_id,
                           num(a, x->base_quantity),
                           num(a, x->ratio_percent),
                           num(a, x->agreed_quantity),
                           num(a, prices[i - from])};
      for (int k = 0; k < 12; k++) al.cols[k][al.n] = row[k];
      al.n++;
    } else {
      const Vbp__V1__ExchangeProgress *x = it->record->progress;
      const char *row[] = {x->batch_code,
                           x->region_code,
                           num(a, x->agreement_year),
                           x->as_of,
                           x->institution_id,
                           x->product_id,
                           num(a, x->agreed),
                           num(a, x->purchased),
                           num(a, x->completion_percent),
                           num(a, x->elapsed_percent),
                           v->in->import_id};
      for (int k = 0; k < 11; k++) pr.cols[k][pr.n] = row[k];
      pr.n++;
    }
  }
  VBP_CHECK(vbp_pg_command(c, "savepoint", "SAVEPOINT import_chunk", 0, NULL));
  int64_t wrote_al = 0, wrote_pr = 0;
  VBP_CHECK(insert_all(
      c, a, "allocations",
      "WITH w AS (INSERT INTO allocations (batch_code, region_code, agreement_year, "
      "institution_id, institution_region, group_id, product_id, manufacturer_id, base_quantity, "
      "ratio_percent, agreed_quantity, winning_price) SELECT * FROM unnest($1::text[], "
      "$2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
      "$9::bigint[], $10::int[], $11::bigint[], $12::bigint[]) ON CONFLICT DO NOTHING "
      "RETURNING 1) SELECT count(*) FROM w",
      &al, 12, &wrote_al));
  if ((size_t)wrote_al == al.n)
    VBP_CHECK(insert_all(
        c, a, "progress rows",
        "WITH w AS (INSERT INTO imported_progress (batch_code, region_code, agreement_year, "
        "as_of, institution_id, product_id, agreed, purchased, completion_percent, "
        "elapsed_percent, import_id) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], "
        "$4::date[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::int[], $10::int[], "
        "$11::text[]) ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM w",
        &pr, 11, &wrote_pr));
  if ((size_t)wrote_al == al.n && (size_t)wrote_pr == pr.n) {
    VBP_CHECK(vbp_pg_command(c, "release", "RELEASE SAVEPOINT import_chunk", 0, NULL));
    v->part.imported += (int)(al.n + pr.n);
    /* The change feed's rows, as allocation_tx records a written allocation (buffered on the
     * connection, written before PREPARE). */
    for (size_t i = 0; i < al.n; i++)
      volume_record_allocation(c, a, al.cols[0][i], al.cols[1][i], al.cols[2][i], al.cols[3][i],
                               al.cols[6][i], al.cols[4][i], al.cols[7][i], "imported");
    /* The other province's years are final here: ComputeAllocations must not replace them. */
    if (al.n)
      VBP_CHECK(vbp_pg_command(c, "freeze imported years",
                               "INSERT INTO frozen_years (batch_code, region_code, "
                               "agreement_year) SELECT DISTINCT * FROM unnest($1::text[], "
                               "$2::text[], $3::int[]) ON CONFLICT DO NOTHING",
                               3,
                               (const char *[]){vbp_pg_text_array(a, al.cols[0], al.n),
                                                vbp_pg_text_array(a, al.cols[1], al.n),
                                                vbp_pg_text_array(a, al.cols[2], al.n)}));
    return vbp_status_ok();
  }
  VBP_CHECK(
      vbp_pg_command(c, "rollback to savepoint", "ROLLBACK TO SAVEPOINT import_chunk", 0, NULL));
  for (size_t i = from; i < to; i++) {
    if (!ok[i - from]) continue;
    const Vbp__V1__VolumeImportItem *it = v->in->items[i];
    if (it->record->record_case == VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION)
      VBP_CHECK(allocation_tx(c, v, it, prices[i - from]));
    else
      VBP_CHECK(progress_tx(c, v, it));
  }
  return vbp_status_ok();
}

/* The part, from scratch each attempt (vbp_pg_prepare may re-run it). Any error rolls it back:
 * then nothing is prepared. */
static vbp_status import_tx(vbp_pg_conn *c, void *ctx) {
  volume_import *v = ctx;
  vbp_import_part_reset(&v->part);
  bool ok[CHUNK];
  vbp_money prices[CHUNK];
  vbp_arena *scratch = vbp_arena_create();
  for (size_t from = 0; from < v->in->n_items; from += CHUNK) {
    size_t to = from + CHUNK < v->in->n_items ? from + CHUNK : v->in->n_items;
    for (size_t i = from; i < to; i++) {
      const Vbp__V1__VolumeImportItem *it = v->in->items[i];
      const Vbp__V1__VolumeExchangeRecord *r = it->record;
      vbp_status st;
      prices[i - from] = 0;
      if (!r || r->record_case == VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD__NOT_SET)
        st = vbp_invalid("record", "is required");
      else if (r->record_case == VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION)
        st = check_allocation(it, &prices[i - from]);
      else
        st = check_progress(r->progress);
      ok[i - from] = vbp_ok(&st);
      if (!ok[i - from]) vbp_import_part_error(&v->part, it->line, &st);
    }
    /* The chunk's arrays in an arena of their own: the call's would hold every chunk's. */
    vbp_arena_reset(scratch);
    vbp_status st = chunk_tx(c, v, scratch, from, to, ok, prices);
    if (!vbp_ok(&st)) {
      vbp_arena_destroy(scratch);
      return st;
    }
  }
  vbp_arena_destroy(scratch);
  return vbp_import_part_ready(&v->part);
}

VOLUME_HANDLER(volume_prepare_import) {
  const Vbp__V1__PrepareVolumeImportRequest *in =
      (const Vbp__V1__PrepareVolumeImportRequest *)request;
  volume_import v = {
      .part = {.call = call, .service = "volume"}, .in = in, .arena = vbp_call_arena(call)};
  return vbp_import_part_prepare(&v.part, volume_of(call)->pool, in->import_id, import_tx,
                                 response);
}

VOLUME_HANDLER(volume_finish_import) {
  return vbp_import_part_finish(call, volume_of(call)->pool, "volume", request, response);
}
