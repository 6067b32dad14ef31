/* volume-svc's part of an all-or-nothing ImportBatch (docs/exchange.md "Import"): the allocations
 * and progress rows of another province's exchange file, written in one transaction that is
 * prepared (PREPARE TRANSACTION 'vbp-import-<id>-volume') and finished by catalog-svc, the
 * coordinator, with FinishImport. An import never updates or deletes a row: a row already there
 * with the same content is skipped, with other content it is an error of its line, and then
 * nothing is prepared. The prepare/finish shape is common/import_part.h's. */
#include <inttypes.h>

#include "common/import_part.h"
#include "common/money.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"

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
static vbp_status put_row(vbp_pg_conn *c, vbp_import_part *v, int line, const char *what,
                          const char *insert, const char *same, int n, const char *const *params) {
  bool wrote = false;
  VBP_CHECK(vbp_pg_write(c, what, insert, n, params, &wrote));
  if (wrote) {
    v->imported++;
    return vbp_status_ok();
  }
  int64_t matches = 0;
  VBP_CHECK(vbp_pg_get_int64(c, what, same, n, params, "count gave no row", &matches));
  if (matches == 1) {
    v->skipped++;
  } else {
    vbp_status st =
        vbp_status_make(VBP_ALREADY_EXISTS, "%s exists already with other values", what);
    vbp_import_part_error(v, line, &st);
  }
  return vbp_status_ok();
}

static vbp_status allocation_tx(vbp_pg_conn *c, vbp_import_part *v,
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
  int imported_before = v->imported;
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
  if (v->imported > imported_before)
    volume_record_allocation(c, a, x->batch_code, x->region_code, params[2], x->institution_id,
                             x->product_id, it->institution_region, it->manufacturer_id,
                             "imported");
  /* The other province's year is final here: ComputeAllocations must not replace it (V3). */
  return vbp_pg_command(c, "freeze imported year",
                        "INSERT INTO frozen_years (batch_code, region_code, agreement_year) "
                        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        3, params);
}

static vbp_status progress_tx(vbp_pg_conn *c, vbp_import_part *v,
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
                          v->import_id};
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

/* One line of the file: checked, then written unless it has an error. */
static vbp_status import_item(vbp_pg_conn *c, vbp_import_part *v, size_t i) {
  const Vbp__V1__PrepareVolumeImportRequest *in = v->request;
  const Vbp__V1__VolumeImportItem *it = in->items[i];
  const Vbp__V1__VolumeExchangeRecord *r = it->record;
  vbp_status st;
  vbp_money price = 0;
  if (!r || r->record_case == VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD__NOT_SET) {
    st = vbp_invalid("record", "is required");
  } else if (r->record_case == VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION) {
    st = check_allocation(it, &price);
    if (vbp_ok(&st)) VBP_CHECK(allocation_tx(c, v, it, price));
  } else {
    st = check_progress(r->progress);
    if (vbp_ok(&st)) VBP_CHECK(progress_tx(c, v, it));
  }
  if (!vbp_ok(&st)) vbp_import_part_error(v, it->line, &st);
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_prepare_import) {
  const Vbp__V1__PrepareVolumeImportRequest *in =
      (const Vbp__V1__PrepareVolumeImportRequest *)request;
  return vbp_import_part_prepare(call, volume_of(call)->pool, "volume", in->import_id, in,
                                 in->n_items, import_item, response);
}

VOLUME_HANDLER(volume_finish_import) {
  return vbp_import_part_finish(call, volume_of(call)->pool, "volume", request, response);
}
