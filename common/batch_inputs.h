/* What a service needs from the catalog about one batch executed in one province (the batch, its
 * execution and agreement years, groups, results, the products in its scope, and institutions),
 * asked of catalog-svc in one call (GetVolumeInputs, read in one snapshot there) and indexed for
 * look-ups: volume-svc and contract-svc never read the catalog's tables. */
#ifndef VBP_BATCH_INPUTS_H
#define VBP_BATCH_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/date.h"
#include "common/memo.h"
#include "common/money.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_batch_inputs {
  const Vbp__V1__Batch *batch;
  const Vbp__V1__Execution *execution;
  int kind;                 /* the batch's vbp.v1.ProductKind */
  int cap_percent;          /* V6: the batch's non-winning cap, or 50 */
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
} vbp_batch_inputs;

/* Asks catalog (as a SERVICE caller, with the call's request id) for batch_code in `province`
 * and the organizations ids[0..n) (unknown ones are left out), in arena. NOT_FOUND naming
 * batchCode or regionCode when the batch or its execution there does not exist; UNAVAILABLE when
 * catalog-svc does not answer. */
vbp_status vbp_batch_inputs_fetch(vbp_client *catalog, vbp_call *call, vbp_arena *arena,
                                  const char *batch_code, const char *province,
                                  const char *const *ids, size_t n, vbp_batch_inputs *out);

/* vbp_batch_inputs_fetch of no organizations, the answer kept in `kept` under the catalog's
 * price-input version, which every write to the tables the answer comes from bumps (catalog-svc's
 * 0002_price_inputs.sql): each call asks catalog-svc for the version (one statement there, where
 * the inputs are seven) and for the inputs only when none are kept under it. `kept` is for these
 * answers alone (keys "version|batch|province"); NULL keeps none and asks for the inputs. */
vbp_status vbp_batch_inputs_kept(vbp_client *catalog, vbp_memo *kept, vbp_call *call,
                                 vbp_arena *arena, const char *batch_code, const char *province,
                                 vbp_batch_inputs *out);

/* vbp_batch_inputs_kept in two steps, so that the caller can read PostgreSQL while catalog-svc
 * answers: start asks for the version, answer waits for it and gives the inputs kept under it (or
 * asks for them), in the call's arena. Every start must be followed by its answer, whatever the
 * caller's outcome: the ask lives in the call's arena and the catalog's answer comes to it. */
typedef struct vbp_batch_inputs_ask vbp_batch_inputs_ask;
vbp_batch_inputs_ask *vbp_batch_inputs_start(vbp_client *catalog, vbp_memo *kept, vbp_call *call,
                                             const char *batch_code, const char *province);
vbp_status vbp_batch_inputs_answer(vbp_batch_inputs_ask *ask, vbp_batch_inputs *out);

/* Only the organizations ids[0..n) (unknown ones left out) into out->institutions, in arena:
 * the same call with no batch (a purchase's province is its institution's). */
vbp_status vbp_institutions_fetch(vbp_client *catalog, vbp_call *call, vbp_arena *arena,
                                  const char *const *ids, size_t n, vbp_batch_inputs *out);

const Vbp__V1__Product *vbp_batch_product(const vbp_batch_inputs *in, const char *id);
/* The product's result in the batch, or NULL; its status, 0 without one. */
const Vbp__V1__Result *vbp_batch_result(const vbp_batch_inputs *in, const char *product_id);
int vbp_batch_status_of(const vbp_batch_inputs *in, const char *product_id);
const Vbp__V1__Group *vbp_batch_group(const vbp_batch_inputs *in, const char *id);
const Vbp__V1__Organization *vbp_batch_institution(const vbp_batch_inputs *in, const char *id);

/* A result's winning price (0 when it has none). */
vbp_money vbp_result_winning_price(const Vbp__V1__Result *r);

/* The agreement year containing day (0 outside the cycle), and the last day of the cycle. */
int vbp_batch_year_of(const vbp_batch_inputs *in, vbp_date day);
vbp_date vbp_batch_cycle_last_day(const vbp_batch_inputs *in);

/* A batch code and the province of its execution, as a request names them: INVALID_ARGUMENT
 * naming batchCode or regionCode. */
vbp_status vbp_need_execution(const char *batch_code, const char *region_code);
vbp_status vbp_need_province(const char *region_code);

/* Checks that agreement_year is one of the execution's: INVALID_ARGUMENT naming agreementYear. */
vbp_status vbp_batch_need_year(const vbp_batch_inputs *in, int agreement_year);

#ifdef __cplusplus
}
#endif
#endif
