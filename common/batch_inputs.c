#include "common/batch_inputs.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/regions.h"
#include "common/validate.h"

#define CATALOG_TIMEOUT_MS 5000

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

/* ---------------------------------------------------------------- sorting and look-ups */

static int by_product_id(const void *a, const void *b) {
  return strcmp((*(Vbp__V1__Product *const *)a)->id, (*(Vbp__V1__Product *const *)b)->id);
}
static int by_result_product(const void *a, const void *b) {
  return strcmp((*(Vbp__V1__Result *const *)a)->product_id,
                (*(Vbp__V1__Result *const *)b)->product_id);
}
static int by_group_id(const void *a, const void *b) {
  return strcmp((*(Vbp__V1__Group *const *)a)->id, (*(Vbp__V1__Group *const *)b)->id);
}
static int by_org_id(const void *a, const void *b) {
  return strcmp((*(Vbp__V1__Organization *const *)a)->id, (*(Vbp__V1__Organization *const *)b)->id);
}

/* A sorted copy of the answer's array, in arena, so the answer's own order stays as it came. */
static void *sorted_copy(vbp_arena *a, void *items, size_t n,
                         int (*cmp)(const void *, const void *)) {
  void **copy = vbp_arena_alloc(a, (n ? n : 1) * sizeof *copy);
  if (n) memcpy(copy, items, n * sizeof *copy);
  qsort(copy, n, sizeof *copy, cmp);
  return copy;
}

const Vbp__V1__Product *vbp_batch_product(const vbp_batch_inputs *in, const char *id) {
  Vbp__V1__Product key = {.id = (char *)id}, *k = &key;
  Vbp__V1__Product **hit = bsearch(&k, in->products, in->n_products, sizeof k, by_product_id);
  return hit ? *hit : NULL;
}

const Vbp__V1__Result *vbp_batch_result(const vbp_batch_inputs *in, const char *product_id) {
  Vbp__V1__Result key = {.product_id = (char *)product_id}, *k = &key;
  Vbp__V1__Result **hit = bsearch(&k, in->results, in->n_results, sizeof k, by_result_product);
  return hit ? *hit : NULL;
}

int vbp_batch_status_of(const vbp_batch_inputs *in, const char *product_id) {
  const Vbp__V1__Result *r = vbp_batch_result(in, product_id);
  return r ? (int)r->status : 0;
}

const Vbp__V1__Group *vbp_batch_group(const vbp_batch_inputs *in, const char *id) {
  Vbp__V1__Group key = {.id = (char *)id}, *k = &key;
  Vbp__V1__Group **hit = bsearch(&k, in->groups, in->n_groups, sizeof k, by_group_id);
  return hit ? *hit : NULL;
}

const Vbp__V1__Organization *vbp_batch_institution(const vbp_batch_inputs *in, const char *id) {
  Vbp__V1__Organization key = {.id = (char *)id}, *k = &key;
  Vbp__V1__Organization **hit =
      bsearch(&k, in->institutions, in->n_institutions, sizeof k, by_org_id);
  return hit ? *hit : NULL;
}

vbp_money vbp_result_winning_price(const Vbp__V1__Result *r) {
  vbp_money price = 0;
  if (r && *r->winning_price && !vbp_money_parse(r->winning_price, &price)) price = 0;
  return price;
}

int vbp_batch_year_of(const vbp_batch_inputs *in, vbp_date day) {
  for (size_t i = 0; i < in->n_years; i++)
    if (in->year_start[i] <= day && day <= in->year_end[i]) return (int)i + 1;
  return 0;
}

vbp_date vbp_batch_cycle_last_day(const vbp_batch_inputs *in) {
  return in->n_years ? in->year_end[in->n_years - 1] : in->execution_start;
}

vbp_status vbp_need_province(const char *region_code) {
  VBP_CHECK(vbp_need_region_code("regionCode", region_code));
  if (vbp_region_level_of(region_code) != VBP__V1__REGION_LEVEL__PROVINCE)
    return vbp_invalid("regionCode", "must be the province of the execution, got %s", region_code);
  return vbp_status_ok();
}

vbp_status vbp_need_execution(const char *batch_code, const char *region_code) {
  VBP_CHECK(vbp_need_text("batchCode", batch_code, 64));
  return vbp_need_province(region_code);
}

vbp_status vbp_batch_need_year(const vbp_batch_inputs *in, int agreement_year) {
  if (agreement_year < 1 || (size_t)agreement_year > in->n_years)
    return vbp_invalid("agreementYear",
                       "must be an agreement year of the execution (1 to %zu), got %d", in->n_years,
                       agreement_year);
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- the call */

static vbp_call_options catalog_options(vbp_call *call) {
  return (vbp_call_options){.timeout_ms = CATALOG_TIMEOUT_MS,
                            .caller = &service_caller,
                            .request_id = vbp_call_request_id(call)};
}

/* The catalog's refusals of what the caller named pass through; anything else is the catalog
 * being unreachable, which is no fault of the caller's. */
static vbp_status catalog_status(vbp_status st) {
  if (vbp_ok(&st) || st.code == VBP_NOT_FOUND || st.code == VBP_INVALID_ARGUMENT) return st;
  return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc: %s", st.message);
}

/* GetVolumeInputs; *answer in arena. */
static vbp_status ask(vbp_client *catalog, vbp_call *call, vbp_arena *arena, const char *batch_code,
                      const char *province, const char *const *ids, size_t n,
                      const Vbp__V1__VolumeInputs **answer) {
  Vbp__V1__GetVolumeInputsRequest req = VBP__V1__GET_VOLUME_INPUTS_REQUEST__INIT;
  req.batch_code = (char *)batch_code;
  req.region_code = (char *)province;
  req.institution_ids = (char **)ids;
  req.n_institution_ids = n;
  vbp_call_options options = catalog_options(call);
  ProtobufCMessage *message = NULL;
  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  vbp_status st = vbp_client_call(
      catalog, vbp_method_of(&vbp__v1__catalog_service__descriptor, "GetVolumeInputs"), &req.base,
      &options, &allocator, &message);
  VBP_CHECK(catalog_status(st));
  *answer = (const Vbp__V1__VolumeInputs *)message;
  return st;
}

vbp_status vbp_institutions_fetch(vbp_client *catalog, vbp_call *call, vbp_arena *arena,
                                  const char *const *ids, size_t n, vbp_batch_inputs *out) {
  const Vbp__V1__VolumeInputs *v = NULL;
  VBP_CHECK(ask(catalog, call, arena, "", "", ids, n, &v));
  memset(out, 0, sizeof *out);
  out->institutions = sorted_copy(arena, v->institutions, v->n_institutions, by_org_id);
  out->n_institutions = v->n_institutions;
  return vbp_status_ok();
}

/* What vbp_batch_inputs_fetch makes of the catalog's answer v, in a. */
static vbp_status inputs_of_answer(vbp_arena *a, const Vbp__V1__VolumeInputs *v,
                                   vbp_batch_inputs *out) {
  if (!v->batch || !v->execution)
    return vbp_status_make(VBP_INTERNAL, "catalog-svc answered no batch");
  memset(out, 0, sizeof *out);
  out->batch = v->batch;
  out->execution = v->execution;
  out->kind = v->batch->kind;
  out->cap_percent = v->batch->non_winning_cap_percent ? v->batch->non_winning_cap_percent : 50;
  if (!vbp_date_parse(v->execution->start_date, &out->execution_start))
    return vbp_status_make(VBP_INTERNAL, "catalog-svc answered a bad start date");
  out->n_years = v->n_agreement_years;
  out->year_start = vbp_arena_alloc(a, (v->n_agreement_years + 1) * sizeof(vbp_date));
  out->year_end = vbp_arena_alloc(a, (v->n_agreement_years + 1) * sizeof(vbp_date));
  for (size_t i = 0; i < v->n_agreement_years; i++)
    if (!vbp_date_parse(v->agreement_years[i]->start, &out->year_start[i]) ||
        !vbp_date_parse(v->agreement_years[i]->end, &out->year_end[i]))
      return vbp_status_make(VBP_INTERNAL, "catalog-svc answered a bad agreement year");
  out->products = sorted_copy(a, v->products, v->n_products, by_product_id);
  out->n_products = v->n_products;
  out->results = sorted_copy(a, v->results, v->n_results, by_result_product);
  out->n_results = v->n_results;
  out->groups = sorted_copy(a, v->groups, v->n_groups, by_group_id);
  out->n_groups = v->n_groups;
  out->institutions = sorted_copy(a, v->institutions, v->n_institutions, by_org_id);
  out->n_institutions = v->n_institutions;
  return vbp_status_ok();
}

vbp_status vbp_batch_inputs_fetch(vbp_client *catalog, vbp_call *call, vbp_arena *a,
                                  const char *batch_code, const char *province,
                                  const char *const *ids, size_t n, vbp_batch_inputs *out) {
  const Vbp__V1__VolumeInputs *v = NULL;
  VBP_CHECK(ask(catalog, call, a, batch_code, province, ids, n, &v));
  return inputs_of_answer(a, v, out);
}

/* ---------------------------------------------------------------- answers kept */

/* GetVolumeInputs without organizations reads a batch, its execution, groups, results and
 * products, and every write to those bumps the catalog's price-input version in the writer's
 * transaction. So an answer read after the version was read is kept under that version and served
 * for as long as catalog-svc answers that version: it is what catalog-svc would answer (or newer),
 * as pricing-svc keeps its prices. Organizations are no price input: a call naming some asks for
 * the inputs every time (vbp_batch_inputs_fetch). */

static const vbp_method *get_version_method(void) {
  return vbp_method_of(&vbp__v1__catalog_service__descriptor, "GetPriceInputsVersion");
}

static vbp_status catalog_version(const vbp_status *st, const ProtobufCMessage *answer,
                                  int64_t *version) {
  vbp_status mapped = catalog_status(*st);
  if (vbp_ok(&mapped)) *version = ((const Vbp__V1__PriceInputsVersion *)answer)->version;
  return mapped;
}

/* The inputs of batch_code in province as of the price-input version `version` (or later): the
 * answer kept under it, else catalog-svc's, then kept. */
static vbp_status kept_or_asked(vbp_client *catalog, vbp_memo *kept, vbp_call *call, vbp_arena *a,
                                const char *batch_code, const char *province, int64_t version,
                                vbp_batch_inputs *out) {
  const char *key = vbp_arena_printf(a, "%lld|%s|%s", (long long)version, batch_code, province);
  char *packed = NULL;
  size_t len = 0;
  if (vbp_memo_get(kept, key, a, &packed, &len)) {
    ProtobufCAllocator allocator = vbp_arena_allocator(a);
    const Vbp__V1__VolumeInputs *v =
        vbp__v1__volume_inputs__unpack(&allocator, len, (const uint8_t *)packed);
    if (v) return inputs_of_answer(a, v, out);
  }
  const Vbp__V1__VolumeInputs *v = NULL;
  VBP_CHECK(ask(catalog, call, a, batch_code, province, NULL, 0, &v));
  VBP_CHECK(inputs_of_answer(a, v, out));
  len = protobuf_c_message_get_packed_size(&v->base);
  packed = vbp_arena_alloc(a, len ? len : 1);
  protobuf_c_message_pack(&v->base, (uint8_t *)packed);
  vbp_memo_put(kept, key, packed, len);
  return vbp_status_ok();
}

vbp_status vbp_batch_inputs_kept(vbp_client *catalog, vbp_memo *kept, vbp_call *call, vbp_arena *a,
                                 const char *batch_code, const char *province,
                                 vbp_batch_inputs *out) {
  if (!kept) return vbp_batch_inputs_fetch(catalog, call, a, batch_code, province, NULL, 0, out);
  Vbp__V1__GetPriceInputsVersionRequest req = VBP__V1__GET_PRICE_INPUTS_VERSION_REQUEST__INIT;
  vbp_call_options options = catalog_options(call);
  ProtobufCMessage *answer = NULL;
  ProtobufCAllocator allocator = vbp_arena_allocator(a);
  vbp_status st =
      vbp_client_call(catalog, get_version_method(), &req.base, &options, &allocator, &answer);
  int64_t version = 0;
  VBP_CHECK(catalog_version(&st, answer, &version));
  return kept_or_asked(catalog, kept, call, a, batch_code, province, version, out);
}

/* ---------------------------------------------------------------- asked ahead */

struct vbp_batch_inputs_ask {
  vbp_client *catalog;
  vbp_memo *kept;
  vbp_call *call;
  const char *batch_code, *province;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool finished;
  vbp_status status;
  int64_t version;
};

/* On the client's thread: the version alone is kept (the call's arena is the handler's). */
static void asked(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  vbp_batch_inputs_ask *k = ctx;
  pthread_mutex_lock(&k->lock);
  k->status = catalog_version(status, response, &k->version);
  if (response) protobuf_c_message_free_unpacked(response, NULL);
  k->finished = true;
  pthread_cond_signal(&k->cond);
  pthread_mutex_unlock(&k->lock);
}

vbp_batch_inputs_ask *vbp_batch_inputs_start(vbp_client *catalog, vbp_memo *kept, vbp_call *call,
                                             const char *batch_code, const char *province) {
  vbp_batch_inputs_ask *k = vbp_arena_alloc(vbp_call_arena(call), sizeof *k);
  k->catalog = catalog;
  k->kept = kept;
  k->call = call;
  k->batch_code = batch_code;
  k->province = province;
  pthread_mutex_init(&k->lock, NULL);
  pthread_cond_init(&k->cond, NULL);
  if (!kept) {
    k->finished = true; /* nothing kept: the answer asks for the inputs */
    return k;
  }
  Vbp__V1__GetPriceInputsVersionRequest req = VBP__V1__GET_PRICE_INPUTS_VERSION_REQUEST__INIT;
  vbp_call_options options = catalog_options(call);
  vbp_client_start(catalog, get_version_method(), &req.base, &options, NULL, asked, k);
  return k;
}

vbp_status vbp_batch_inputs_answer(vbp_batch_inputs_ask *k, vbp_batch_inputs *out) {
  pthread_mutex_lock(&k->lock);
  while (!k->finished) pthread_cond_wait(&k->cond, &k->lock);
  pthread_mutex_unlock(&k->lock);
  pthread_cond_destroy(&k->cond);
  pthread_mutex_destroy(&k->lock);
  vbp_arena *a = vbp_call_arena(k->call);
  if (!k->kept)
    return vbp_batch_inputs_fetch(k->catalog, k->call, a, k->batch_code, k->province, NULL, 0, out);
  VBP_CHECK(k->status);
  return kept_or_asked(k->catalog, k->kept, k->call, a, k->batch_code, k->province, k->version,
                       out);
}
