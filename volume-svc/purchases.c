/* Purchases (V4, V8, V9): RecordPurchase, and the checks and writes RecordPurchases shares. */
#include "volume-svc/purchases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/feed.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/limits.h"
#include "volume-svc/rules.h"

#define EXTERNAL_ID_MAX 128
#define ROWS_PER_TX 2000 /* one INSERT of unnest()ed arrays each */

static void fail(purchase_item *item, vbp_status st) {
  item->outcome = PURCHASE_FAILED;
  item->st = st;
}

static bool pending(const purchase_item *item) { return item->outcome == PURCHASE_PENDING; }

/* ---------------------------------------------------------------- the message's own fields */

vbp_status volume_purchase_parse(Vbp__V1__Purchase *p, purchase_item *item) {
  memset(item, 0, sizeof *item);
  item->p = p;
  VBP_CHECK(vbp_need_id("institutionId", p->institution_id));
  VBP_CHECK(vbp_need_id("productId", p->product_id));
  VBP_CHECK(vbp_need_text("batchCode", p->batch_code, 64));
  if (p->quantity <= 0) return vbp_invalid("quantity", "must be more than zero");
  VBP_CHECK(vbp_need_amount("amount", p->amount, &item->amount));
  VBP_CHECK(vbp_need_date("orderedOn", p->ordered_on, &item->ordered));
  VBP_CHECK(vbp_need_date("acceptedOn", p->accepted_on, &item->accepted));
  if (item->accepted < item->ordered)
    return vbp_invalid("acceptedOn", "must not be before orderedOn (%s)", p->ordered_on);
  vbp_date today = vbp_today();
  if (item->accepted > today) {
    char day[VBP_DATE_FORMAT_MAX];
    return vbp_invalid("acceptedOn", "must not be after today (%s, China)",
                       vbp_date_format(today, day));
  }
  VBP_CHECK(vbp_opt_text("externalId", p->external_id, EXTERNAL_ID_MAX));
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- institutions and batches */

static int by_string(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The distinct strings of strings[0..n) (sorted) into an arena array; returns how many. */
static size_t distinct(vbp_arena *a, const char **strings, size_t n, const char ***out) {
  const char **copy = vbp_arena_alloc(a, (n ? n : 1) * sizeof *copy);
  if (n) memcpy(copy, strings, n * sizeof *copy);
  qsort(copy, n, sizeof *copy, by_string);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (m == 0 || strcmp(copy[m - 1], copy[i]) != 0) copy[m++] = copy[i];
  *out = copy;
  return m;
}

/* Scope, then who each institution is: its unit (V1: a consortium member's purchases count for
 * the consortium), region and province. */
static vbp_status resolve_institutions(vbp_call *call, vbp_arena *a, purchase_item *items,
                                       size_t n) {
  const vbp_caller *who = vbp_call_caller(call);
  const char **ids = vbp_arena_alloc(a, (n ? n : 1) * sizeof *ids);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!pending(&items[i])) continue;
    if (!vbp_scope_own(who, items[i].p->institution_id)) {
      fail(&items[i], vbp_status_field(VBP_PERMISSION_DENIED, "institutionId",
                                       "is not the caller's: an institution records its own "
                                       "purchases"));
      continue;
    }
    ids[m++] = items[i].p->institution_id;
  }
  const char **unique = NULL;
  m = distinct(a, ids, m, &unique);
  vbp_batch_inputs orgs;
  VBP_CHECK(vbp_institutions_fetch(volume_of(call)->catalog, call, a, unique, m, &orgs));
  for (size_t i = 0; i < n; i++) {
    if (!pending(&items[i])) continue;
    const Vbp__V1__Organization *org = vbp_batch_institution(&orgs, items[i].p->institution_id);
    char province[7];
    if (!org || org->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION ||
        !vbp_region_province_of(org->region_code, province)) {
      fail(&items[i], vbp_invalid("institutionId", "names no medical institution"));
      continue;
    }
    items[i].unit_id = volume_unit_of(org);
    items[i].institution_region = org->region_code;
    items[i].province = vbp_arena_strdup(a, province);
  }
  return vbp_status_ok();
}

/* The batch's scope in the institution's province: which product, its result, its agreement
 * year and its settlement dates. */
static void place(vbp_arena *a, const vbp_batch_inputs *in, purchase_item *item) {
  Vbp__V1__Purchase *p = item->p;
  const Vbp__V1__Product *product = vbp_batch_product(in, p->product_id);
  if (!product) {
    fail(item, vbp_invalid("productId", "is not in the scope of batch %s: no result in it, and %s",
                           p->batch_code,
                           in->kind == VOLUME_CONSUMABLE ? "not of a result's category and function"
                                                         : "not of a group's generic name"));
    return;
  }
  int status = vbp_batch_status_of(in, p->product_id);
  p->agreement_year = vbp_batch_year_of(in, item->accepted);
  char day[VBP_DATE_FORMAT_MAX];
  p->settlement_due =
      vbp_arena_strdup(a, vbp_date_format(volume_settlement_due(item->accepted), day));
  vbp_date agency;
  if (volume_agency_settlement_due(in->kind, status, item->province, item->accepted, &agency))
    p->agency_settlement_due = vbp_arena_strdup(a, vbp_date_format(agency, day));
  else
    p->agency_settlement_due = "";
}

/* Asks catalog-svc once per (batch, province) and places every item of it. */
static vbp_status resolve_batches(vbp_call *call, vbp_arena *a, purchase_item *items, size_t n) {
  const char **keys = vbp_arena_alloc(a, (n ? n : 1) * sizeof *keys);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (pending(&items[i]))
      keys[m++] = vbp_arena_printf(a, "%s|%s", items[i].province, items[i].p->batch_code);
  const char **unique = NULL;
  m = distinct(a, keys, m, &unique);
  for (size_t k = 0; k < m; k++) {
    const char *bar = strchr(unique[k], '|');
    char province[7];
    snprintf(province, sizeof province, "%.*s", (int)(bar - unique[k]), unique[k]);
    const char *batch = bar + 1;
    vbp_batch_inputs in;
    vbp_status st = vbp_batch_inputs_kept(volume_of(call)->catalog, volume_of(call)->inputs, call,
                                          a, batch, province, &in);
    if (!vbp_ok(&st) && st.code != VBP_NOT_FOUND && st.code != VBP_INVALID_ARGUMENT) return st;
    if (!vbp_ok(&st))
      st = strcmp(st.field, "regionCode") == 0
               ? vbp_invalid("batchCode", "is not executed in province %s", province)
               : vbp_invalid("batchCode", "names no batch");
    for (size_t i = 0; i < n; i++) {
      if (!pending(&items[i]) || strcmp(items[i].province, province) != 0 ||
          strcmp(items[i].p->batch_code, batch) != 0)
        continue;
      if (!vbp_ok(&st))
        fail(&items[i], st);
      else
        place(a, &in, &items[i]);
    }
  }
  return vbp_status_ok();
}

/* V9: flagged when above the max sale price in force on the accepted date, never refused. */
static vbp_status flag_above_limit(vbp_call *call, vbp_arena *a, purchase_item *items, size_t n) {
  volume_limit *q = malloc((n ? n : 1) * sizeof *q);
  size_t *owner = malloc((n ? n : 1) * sizeof *owner);
  if (!q || !owner) abort();
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (pending(&items[i])) {
      q[m] = (volume_limit){.province = items[i].province,
                            .product_id = items[i].p->product_id,
                            .date = items[i].accepted};
      owner[m++] = i;
    }
  vbp_status st = volume_limits_get(call, a, q, m);
  if (vbp_ok(&st))
    for (size_t k = 0; k < m; k++) {
      purchase_item *item = &items[owner[k]];
      item->p->above_limit =
          q[k].known && volume_above_limit(item->amount, item->p->quantity, q[k].limit);
    }
  free(q);
  free(owner);
  return st;
}

/* ---------------------------------------------------------------- the rows */

typedef struct chunk {
  vbp_arena *arena;
  purchase_item *items;
  size_t n;
} chunk;

/* A stored purchase, to answer a repeat with or to tell it from other content. */
typedef struct stored {
  char *id, *institution_id, *external_id, *product_id, *batch_code, *ordered_on, *accepted_on,
      *settlement_due, *agency_settlement_due;
  int64_t quantity, amount;
  int agreement_year;
  bool above_limit;
} stored;

#define STORED_COLUMNS                                                                         \
  "id, institution_id, coalesce(external_id, ''), product_id, batch_code, ordered_on, "        \
  "accepted_on, settlement_due, coalesce(agency_settlement_due::text, ''), quantity, amount, " \
  "agreement_year, above_limit"

static void *stored_of_row(const vbp_pg_row *row) {
  stored *s = vbp_arena_alloc(row->arena, sizeof *s);
  s->id = vbp_pg_text(row, 0);
  s->institution_id = vbp_pg_text(row, 1);
  s->external_id = vbp_pg_text(row, 2);
  s->product_id = vbp_pg_text(row, 3);
  s->batch_code = vbp_pg_text(row, 4);
  s->ordered_on = vbp_pg_text(row, 5);
  s->accepted_on = vbp_pg_text(row, 6);
  s->settlement_due = vbp_pg_text(row, 7);
  s->agency_settlement_due = vbp_pg_text(row, 8);
  s->quantity = vbp_pg_int64(row, 9);
  s->amount = vbp_pg_int64(row, 10);
  s->agreement_year = vbp_pg_int(row, 11);
  s->above_limit = vbp_pg_bool(row, 12);
  return s;
}

static int by_key(const void *x, const void *y) {
  const purchase_item *p = *(purchase_item *const *)x, *q = *(purchase_item *const *)y;
  int c = strcmp(p->p->institution_id, q->p->institution_id);
  return c ? c : strcmp(p->p->external_id, q->p->external_id);
}

/* The first item of sorted[0..n) with the key of (institution, external) still PENDING. */
static purchase_item *pending_with_key(purchase_item **sorted, size_t n, const char *institution,
                                       const char *external) {
  Vbp__V1__Purchase key_message = {.institution_id = (char *)institution,
                                   .external_id = (char *)external};
  purchase_item key = {.p = &key_message}, *k = &key;
  size_t lo = 0, hi = n;
  while (lo < hi) { /* the first not below the key */
    size_t mid = (lo + hi) / 2;
    if (by_key(&sorted[mid], &k) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < n && by_key(&sorted[lo], &k) == 0; lo++)
    if (pending(sorted[lo])) return sorted[lo];
  return NULL;
}

static bool same_content(const stored *s, const purchase_item *item) {
  const Vbp__V1__Purchase *p = item->p;
  return strcmp(s->product_id, p->product_id) == 0 && strcmp(s->batch_code, p->batch_code) == 0 &&
         s->quantity == p->quantity && s->amount == item->amount &&
         strcmp(s->ordered_on, p->ordered_on) == 0 && strcmp(s->accepted_on, p->accepted_on) == 0;
}

static void answer_stored(const stored *s, purchase_item *item) {
  Vbp__V1__Purchase *p = item->p;
  p->id = s->id;
  p->agreement_year = s->agreement_year;
  p->settlement_due = s->settlement_due;
  p->agency_settlement_due = s->agency_settlement_due;
  p->above_limit = s->above_limit;
}

/* A purchase recorded before under the same externalId: the same content is a repeat (the
 * stored one answers), other content is refused. */
static vbp_status settle_repeats(vbp_pg_conn *c, vbp_arena *a, purchase_item **sorted, size_t n) {
  const char **inst = vbp_arena_alloc(a, (n ? n : 1) * sizeof *inst);
  const char **ext = vbp_arena_alloc(a, (n ? n : 1) * sizeof *ext);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (pending(sorted[i])) {
      inst[m] = sorted[i]->p->institution_id;
      ext[m++] = sorted[i]->p->external_id;
    }
  if (m == 0) return vbp_status_ok();
  const char *params[] = {vbp_pg_text_array(a, inst, m), vbp_pg_text_array(a, ext, m)};
  void **rows = NULL;
  size_t n_rows = 0;
  VBP_CHECK(vbp_pg_query_rows(c, a, "read recorded purchases",
                              "SELECT " STORED_COLUMNS " FROM purchases WHERE (institution_id, "
                              "external_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                              2, params, stored_of_row, &rows, &n_rows));
  for (size_t r = 0; r < n_rows; r++) {
    const stored *s = rows[r];
    purchase_item *item;
    while ((item = pending_with_key(sorted, n, s->institution_id, s->external_id))) {
      if (same_content(s, item)) {
        answer_stored(s, item);
        item->outcome = PURCHASE_SKIPPED;
      } else {
        fail(item, vbp_status_field(VBP_ALREADY_EXISTS, "externalId",
                                    "%s was recorded with other content (purchase %s)",
                                    s->external_id, s->id));
      }
    }
  }
  for (size_t i = 0; i < n; i++) /* nothing stored, yet not written: another writer's race */
    if (pending(sorted[i])) return vbp_status_make(VBP_ABORTED, "purchase write raced; retry");
  return vbp_status_ok();
}

static const char *text_array(vbp_arena *a, const char **items, size_t n) {
  return vbp_pg_text_array(a, items, n);
}

static vbp_status insert_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const chunk *k = t->in;
  vbp_arena *a = k->arena;
  size_t n = 0;
  purchase_item **sorted = vbp_arena_alloc(a, (k->n ? k->n : 1) * sizeof *sorted);
  for (size_t i = 0; i < k->n; i++) {
    purchase_item *item = &k->items[i];
    if (item->outcome == PURCHASE_RECORDED || item->outcome == PURCHASE_SKIPPED)
      item->outcome = PURCHASE_PENDING; /* a retried attempt starts again */
    if (item->outcome == PURCHASE_FAILED && item->st.code == VBP_ALREADY_EXISTS &&
        strcmp(item->st.field, "externalId") == 0)
      item->outcome = PURCHASE_PENDING;
    if (pending(item)) sorted[n++] = item;
  }
  if (n == 0) return vbp_status_ok();
  qsort(sorted, n, sizeof *sorted, by_key);
  const char **col[15];
  for (int j = 0; j < 15; j++) col[j] = vbp_arena_alloc(a, n * sizeof **col);
  for (size_t i = 0; i < n; i++) {
    const purchase_item *item = sorted[i];
    const Vbp__V1__Purchase *p = item->p;
    col[0][i] = p->institution_id;
    col[1][i] = item->unit_id;
    col[2][i] = item->institution_region;
    col[3][i] = p->product_id;
    col[4][i] = p->batch_code;
    col[5][i] = item->province;
    col[6][i] = vbp_arena_printf(a, "%lld", (long long)p->quantity);
    col[7][i] = vbp_arena_printf(a, "%lld", (long long)item->amount);
    col[8][i] = p->ordered_on;
    col[9][i] = p->accepted_on;
    col[10][i] = vbp_arena_printf(a, "%d", p->agreement_year);
    col[11][i] = p->settlement_due;
    col[12][i] = *p->agency_settlement_due ? p->agency_settlement_due : NULL;
    col[13][i] = p->above_limit ? "t" : "f";
    col[14][i] = *p->external_id ? p->external_id : NULL;
  }
  const char *params[15];
  for (int j = 0; j < 15; j++) params[j] = text_array(a, col[j], n);
  void **rows = NULL;
  size_t n_rows = 0;
  VBP_CHECK(vbp_pg_query_rows(
      c, a, "insert purchases",
      "INSERT INTO purchases (institution_id, unit_id, institution_region, product_id, "
      "batch_code, region_code, quantity, amount, ordered_on, accepted_on, agreement_year, "
      "settlement_due, agency_settlement_due, above_limit, external_id) "
      "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
      "$6::text[], $7::bigint[], $8::bigint[], $9::date[], $10::date[], $11::int[], $12::date[], "
      "$13::date[], $14::boolean[], $15::text[]) "
      "ON CONFLICT (institution_id, external_id) DO NOTHING "
      "RETURNING " STORED_COLUMNS,
      15, params, stored_of_row, &rows, &n_rows));
  for (size_t r = 0; r < n_rows; r++) {
    const stored *s = rows[r];
    /* Without an externalId (a single call) the one row is the one item. */
    purchase_item *item = *s->external_id
                              ? pending_with_key(sorted, n, s->institution_id, s->external_id)
                              : (n == 1 ? sorted[0] : NULL);
    if (!item) return vbp_status_make(VBP_INTERNAL, "an inserted purchase matches no line");
    const char *parties[] = {s->institution_id, item->unit_id};
    vbp_feed_add(c, &(vbp_change){.type = "purchase",
                                  .id = s->id,
                                  .action = "created",
                                  .region_code = item->institution_region,
                                  .batch_code = s->batch_code,
                                  .parties = parties,
                                  .n_parties = 2});
    answer_stored(s, item);
    item->outcome = PURCHASE_RECORDED;
  }
  return settle_repeats(c, a, sorted, n);
}

vbp_status volume_purchases_record(vbp_call *call, vbp_arena *a, purchase_item *items, size_t n) {
  VBP_CHECK(resolve_institutions(call, a, items, n));
  VBP_CHECK(resolve_batches(call, a, items, n));
  VBP_CHECK(flag_above_limit(call, a, items, n));
  for (size_t i = 0; i < n; i += ROWS_PER_TX) {
    chunk k = {.arena = a, .items = items + i, .n = n - i < ROWS_PER_TX ? n - i : ROWS_PER_TX};
    ProtobufCMessage *unused = NULL;
    VBP_CHECK(volume_in_tx(call, insert_tx, &k, &unused));
  }
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- RecordPurchase */

VOLUME_HANDLER(volume_record_purchase) {
  Vbp__V1__Purchase *in = (Vbp__V1__Purchase *)request;
  purchase_item item;
  VBP_CHECK(volume_purchase_parse(in, &item));
  if (!vbp_scope_own(vbp_call_caller(call), in->institution_id)) return vbp_scope_denied();
  in->id = "";
  VBP_CHECK(volume_purchases_record(call, vbp_call_arena(call), &item, 1));
  if (item.outcome == PURCHASE_FAILED) return item.st;
  /* The answer's money has exactly four decimals (API.md), whatever the request wrote ("30.5"). */
  char amount[VBP_MONEY_FORMAT_MAX];
  in->amount = vbp_arena_strdup(vbp_call_arena(call), vbp_money_format(item.amount, amount));
  *response = &in->base;
  return vbp_status_ok();
}
