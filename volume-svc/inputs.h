/* What the volume rules need from the catalog about one batch executed in one province, asked of
 * catalog-svc in one call (GetVolumeInputs, read in one snapshot there) and indexed for look-ups:
 * volume-svc never reads the catalog's tables. */
#ifndef VOLUME_INPUTS_H
#define VOLUME_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/date.h"
#include "common/money.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct volume_inputs {
  const Vbp__V1__Batch *batch;
  const Vbp__V1__Execution *execution;
  int kind;                 /* the batch's VOLUME_DRUG or VOLUME_CONSUMABLE */
  int cap_percent;          /* V6: the batch's, or 50 */
  vbp_date execution_start; /* the execution's start date */
  vbp_date *year_start;     /* agreement year y (1-based) is year_start[y - 1] .. year_end[y - 1] */
  vbp_date *year_end;
  size_t n_years;
  /* Sorted by id (products, groups, institutions) or by product id (results), for bsearch. */
  Vbp__V1__Product **products;
  size_t n_products;
  Vbp__V1__Result **results;
  size_t n_results;
  Vbp__V1__Group **groups;
  size_t n_groups;
  Vbp__V1__Organization **institutions;
  size_t n_institutions;
} volume_inputs;

/* Asks catalog-svc for batch_code in `province` and the institutions ids[0..n) (unknown ones are
 * left out), in the call's arena; without institutions, the answer kept under the catalog's
 * current price-input version, if any (inputs.c). NOT_FOUND naming batchCode or regionCode when the
 * batch or its execution there does not exist; UNAVAILABLE when catalog-svc does not answer. */
vbp_status volume_inputs_get(vbp_call *call, const char *batch_code, const char *province,
                             const char *const *ids, size_t n, volume_inputs *out);

/* volume_inputs_get into `arena` instead of the call's (a daily file's window of lines). */
vbp_status volume_inputs_fetch(vbp_call *call, vbp_arena *arena, const char *batch_code,
                               const char *province, const char *const *ids, size_t n,
                               volume_inputs *out);

/* volume_inputs_get of no institutions in two steps, so that the caller can read PostgreSQL
 * while catalog-svc answers: start asks for the catalog's price-input version, answer waits for
 * it and gives the inputs kept under it (asking for them when none are). Every start must be
 * followed by its answer, whatever the caller's outcome: the ask lives in the call's arena. */
typedef struct volume_inputs_ask volume_inputs_ask;
volume_inputs_ask *volume_inputs_start(vbp_call *call, const char *batch_code,
                                       const char *province);
vbp_status volume_inputs_answer(vbp_call *call, volume_inputs_ask *ask, volume_inputs *out);

/* Only the institutions ids[0..n) (unknown ones left out) into out->institutions, in arena: the
 * same call with no batch, for purchases, whose province is their institution's. */
vbp_status volume_institutions_get(vbp_call *call, vbp_arena *arena, const char *const *ids,
                                   size_t n, volume_inputs *out);

const Vbp__V1__Product *volume_product(const volume_inputs *in, const char *id);
/* The product's result in the batch, or NULL (VOLUME_NO_RESULT). */
const Vbp__V1__Result *volume_result(const volume_inputs *in, const char *product_id);
int volume_status_of(const volume_inputs *in, const char *product_id);
const Vbp__V1__Group *volume_group(const volume_inputs *in, const char *id);
const Vbp__V1__Organization *volume_institution(const volume_inputs *in, const char *id);

/* The institution that reports, is allocated and assessed for org: its consortium, or itself. */
const char *volume_unit_of(const Vbp__V1__Organization *org);

/* A product's variety (品种) in arena: its generic name for a drug, "category / function" for a
 * consumable, as Assess names it. */
const char *volume_variety(vbp_arena *arena, const volume_inputs *in, const Vbp__V1__Product *p);

/* A result's winning price (0 when it has none). */
vbp_money volume_winning_price(const Vbp__V1__Result *r);

/* The agreement year containing day (0 outside the cycle), and the last day of the cycle. */
int volume_year_of(const volume_inputs *in, vbp_date day);
vbp_date volume_cycle_last_day(const volume_inputs *in);

/* A batch code and the province of its execution, as a request names them: INVALID_ARGUMENT
 * naming batchCode or regionCode. */
vbp_status volume_need_execution(const char *batch_code, const char *region_code);
vbp_status volume_need_province(const char *region_code);

/* Checks that agreement_year is one of the execution's: INVALID_ARGUMENT naming agreementYear. */
vbp_status volume_need_year(const volume_inputs *in, int agreement_year);

#ifdef __cplusplus
}
#endif
#endif
