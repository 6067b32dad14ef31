#include "volume-svc/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vbp/v1/pricing.pb-c.h"
#include "volume-svc/handlers.h"

#define MAX_PER_CALL 1000 /* what BatchGetPrices takes */
#define PRICING_TIMEOUT_MS 5000

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

static int by_question(const void *x, const void *y) {
  const volume_limit *p = *(volume_limit *const *)x, *q = *(volume_limit *const *)y;
  int c = strcmp(p->province, q->province);
  if (!c) c = (p->date > q->date) - (p->date < q->date);
  return c ? c : strcmp(p->product_id, q->product_id);
}

/* One BatchGetPrices of ids[0..n) (distinct) in province on date into limits/known. A product
 * pricing-svc has no price for fails the whole call naming it (productIds[i]): it is marked
 * unknown and the call made again without it. */
static vbp_status ask(vbp_call *call, vbp_arena *arena, const char *province, vbp_date date,
                      const char **ids, size_t n, vbp_money *limits, bool *known) {
  char day[VBP_DATE_FORMAT_MAX];
  vbp_date_format(date, day);
  size_t *index = malloc((n ? n : 1) * sizeof *index); /* ids[k] of the call's k-th product */
  const char **asked = malloc((n ? n : 1) * sizeof *asked);
  if (!index || !asked) abort();
  bool *dropped = calloc(n ? n : 1, sizeof *dropped);
  if (!dropped) abort();
  vbp_status st;
  for (;;) {
    st = vbp_status_ok();
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (!dropped[i]) {
        index[m] = i;
        asked[m++] = ids[i];
      }
    if (m == 0) break;
    Vbp__V1__BatchGetPricesRequest req = VBP__V1__BATCH_GET_PRICES_REQUEST__INIT;
    req.region_code = (char *)province;
    req.product_ids = (char **)asked;
    req.n_product_ids = m;
    req.date = day;
    vbp_call_options options = {.timeout_ms = PRICING_TIMEOUT_MS,
                                .caller = &service_caller,
                                .request_id = vbp_call_request_id(call)};
    ProtobufCMessage *answer = NULL;
    ProtobufCAllocator allocator = vbp_arena_allocator(arena);
    st = vbp_client_call(volume_of(call)->pricing,
                         vbp_method_of(&vbp__v1__pricing_service__descriptor, "BatchGetPrices"),
                         &req.base, &options, &allocator, &answer);
    size_t k;
    if (st.code == VBP_NOT_FOUND && sscanf(st.field, "productIds[%zu]", &k) == 1 && k < m) {
      dropped[index[k]] = true;
      known[index[k]] = false;
      continue;
    }
    if (!vbp_ok(&st)) {
      st = vbp_status_make(VBP_UNAVAILABLE, "pricing-svc: %s", st.message);
      break;
    }
    const Vbp__V1__BatchGetPricesResponse *r = (const Vbp__V1__BatchGetPricesResponse *)answer;
    for (size_t j = 0; j < m && j < r->n_prices; j++) {
      vbp_money limit = 0;
      known[index[j]] = vbp_money_parse(r->prices[j]->max_sale_price, &limit);
      limits[index[j]] = limit;
    }
    break;
  }
  free(index);
  free(asked);
  free(dropped);
  return st;
}

vbp_status volume_limits_get(vbp_call *call, vbp_arena *arena, volume_limit *q, size_t n) {
  if (n == 0) return vbp_status_ok();
  volume_limit **order = malloc(n * sizeof *order);
  const char **ids = malloc(MAX_PER_CALL * sizeof *ids);
  vbp_money *limits = malloc(MAX_PER_CALL * sizeof *limits);
  bool *known = malloc(MAX_PER_CALL * sizeof *known);
  volume_limit **owners = malloc(MAX_PER_CALL * sizeof *owners);
  if (!order || !ids || !limits || !known || !owners) abort();
  for (size_t i = 0; i < n; i++) order[i] = &q[i];
  qsort(order, n, sizeof *order, by_question);
  vbp_status st = vbp_status_ok();
  size_t i = 0;
  while (i < n && vbp_ok(&st)) {
    /* One call: distinct products of one (province, date), up to MAX_PER_CALL. Questions that
     * repeat one already asked take its answer afterwards. */
    size_t m = 0, j = i;
    for (; j < n; j++) {
      if (strcmp(order[j]->province, order[i]->province) != 0 || order[j]->date != order[i]->date)
        break;
      if (m > 0 && strcmp(order[j]->product_id, ids[m - 1]) == 0) continue;
      if (m == MAX_PER_CALL) break;
      ids[m] = order[j]->product_id;
      owners[m++] = order[j];
    }
    st = ask(call, arena, order[i]->province, order[i]->date, ids, m, limits, known);
    for (size_t k = 0; k < m; k++) {
      owners[k]->limit = limits[k];
      owners[k]->known = known[k];
    }
    for (size_t k = i; k < j; k++) /* the repeats: same as the one before them */
      if (k > i && by_question(&order[k], &order[k - 1]) == 0) {
        order[k]->limit = order[k - 1]->limit;
        order[k]->known = order[k - 1]->known;
      }
    i = j;
  }
  free(order);
  free(ids);
  free(limits);
  free(known);
  free(owners);
  return st;
}
