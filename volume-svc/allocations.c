/* Agreed volumes (V2, V3 and the C7 floor of later years): ComputeAllocations, ListAllocations,
 * and FreezeAllocations, which contract-svc calls when it generates a year's contracts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/feed.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

#define MAX_GROUP_RATIOS 1000

/* ---------------------------------------------------------------- listing */

/* Which allocations a list shows: the request's filters and the caller's scope. */
typedef struct allocation_filter {
  const char *batch_code, *region_code, *institution_id;
  int agreement_year;
  const char *region_prefix;   /* a bureau's region: institutions in it and below */
  const char *manufacturer_id; /* a manufacturer: its products */
  const char *scope;           /* the page token's query */
  const char *after;           /* "year|institution|product" of the last row shown, or "" */
  int limit;
} allocation_filter;

void *volume_allocation_of_row(const vbp_pg_row *row) {
  Vbp__V1__Allocation *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__allocation__init(r);
  r->batch_code = vbp_pg_text(row, 0);
  r->region_code = vbp_pg_text(row, 1);
  r->institution_id = vbp_pg_text(row, 2);
  r->group_id = vbp_pg_text(row, 3);
  r->product_id = vbp_pg_text(row, 4);
  r->agreement_year = vbp_pg_int(row, 5);
  r->agreed_quantity = vbp_pg_int64(row, 6);
  r->ratio_percent = vbp_pg_int(row, 7);
  r->base_quantity = vbp_pg_int64(row, 8);
  return r;
}

/* The caller's scope as a filter: lists filter silently (API.md). */
static void scope_filter(vbp_arena *a, const vbp_caller *who, allocation_filter *f) {
  f->region_prefix = "";
  f->manufacturer_id = "";
  if (vbp_scope_is_admin(who) || who->role == VBP_ROLE_SERVICE) return;
  if (who->role == VBP_ROLE_BUREAU) {
    char *prefix = vbp_arena_alloc(a, 7);
    vbp_region_prefix(who->region_code, prefix);
    f->region_prefix = prefix;
  } else if (who->role == VBP_ROLE_MANUFACTURER) {
    f->manufacturer_id = who->org_id;
  } else {
    f->institution_id = who->org_id; /* an institution: its own only */
  }
}

/* One page of allocations into r (a ListAllocations or ComputeAllocations answer's fields). */
static vbp_status list_page(vbp_pg_conn *c, vbp_call *call, const allocation_filter *f,
                            Vbp__V1__Allocation ***rows, size_t *n, char **next) {
  vbp_arena *a = vbp_call_arena(call);
  char year[12], limit[12], after_year[12] = "0";
  const char *after_inst = "", *after_product = "";
  snprintf(year, sizeof year, "%d", f->agreement_year);
  snprintf(limit, sizeof limit, "%d", f->limit + 1);
  if (*f->after) {
    char *key = vbp_arena_strdup(a, f->after);
    char *bar1 = strchr(key, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar2) return vbp_invalid("pageToken", "is not a token of this list");
    *bar1 = *bar2 = '\0';
    snprintf(after_year, sizeof after_year, "%s", key);
    after_inst = bar1 + 1;
    after_product = bar2 + 1;
  }
  const char *params[] = {
      f->batch_code,      f->region_code, f->institution_id, year,          f->region_prefix,
      f->manufacturer_id, after_year,     after_inst,        after_product, limit};
  void **found = NULL;
  VBP_CHECK(vbp_pg_query_rows(
      c, a, "list allocations",
      "SELECT batch_code, region_code, institution_id, group_id, product_id, agreement_year, "
      "agreed_quantity, ratio_percent, base_quantity FROM allocations "
      "WHERE batch_code = $1 AND ($2 = '' OR region_code = $2) "
      "AND ($3 = '' OR institution_id = $3) AND ($4::int = 0 OR agreement_year = $4::int) "
      "AND ($5 = '' OR starts_with(institution_region, $5)) "
      "AND ($6 = '' OR manufacturer_id = $6) "
      "AND (agreement_year, institution_id, product_id) > ($7::int, $8, $9) "
      "ORDER BY agreement_year, institution_id, product_id LIMIT $10::int",
      10, params, volume_allocation_of_row, &found, n));
  *rows = (Vbp__V1__Allocation **)found;
  *next = NULL;
  if (*n > (size_t)f->limit) {
    *n = (size_t)f->limit;
    const Vbp__V1__Allocation *last = (*rows)[*n - 1];
    *next = vbp_page_token_encode(a, volume_page_secret(call), vbp_call_caller(call), f->scope,
                                  vbp_arena_printf(a, "%d|%s|%s", last->agreement_year,
                                                   last->institution_id, last->product_id));
  }
  return vbp_status_ok();
}

/* The page-token scope of a list: the same for ListAllocations and ComputeAllocations' answer
 * of the same year, so that the one's token pages on in the other. */
static const char *list_scope(vbp_arena *a, const char *batch, const char *region,
                              const char *institution, int year) {
  return vbp_arena_printf(a, "allocations|%s|%s|%s|%d", batch, region, institution, year);
}

static vbp_status list_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const allocation_filter *f = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  Vbp__V1__ListAllocationsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__list_allocations_response__init(r);
  VBP_CHECK(list_page(c, t->call, f, &r->allocations, &r->n_allocations, &r->next_page_token));
  t->out = &r->base;
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_list_allocations) {
  const Vbp__V1__ListAllocationsRequest *in = (const Vbp__V1__ListAllocationsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_text("batchCode", in->batch_code, 64));
  if (*in->region_code) VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  if (*in->institution_id) VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  if (in->agreement_year < 0) return vbp_invalid("agreementYear", "must not be negative");
  allocation_filter f = {.batch_code = in->batch_code,
                         .region_code = in->region_code,
                         .institution_id = in->institution_id,
                         .agreement_year = in->agreement_year};
  VBP_CHECK(vbp_page_size(in->page_size, &f.limit));
  f.scope = list_scope(a, in->batch_code, in->region_code, in->institution_id, in->agreement_year);
  VBP_CHECK(vbp_page_token_decode(a, volume_page_secret(call), vbp_call_caller(call), f.scope,
                                  in->page_token, &f.after));
  const vbp_caller *who = vbp_call_caller(call);
  if (who->role == VBP_ROLE_MEDICAL_INSTITUTION && *in->institution_id &&
      strcmp(in->institution_id, who->org_id) != 0) {
    /* Another institution's: nothing to see (lists filter silently). */
    Vbp__V1__ListAllocationsResponse *r = vbp_arena_alloc(a, sizeof *r);
    vbp__v1__list_allocations_response__init(r);
    *response = &r->base;
    return vbp_status_ok();
  }
  scope_filter(a, who, &f);
  return volume_in_read(call, list_tx, &f, response);
}

/* ---------------------------------------------------------------- the year's lock */

/* Serialises ComputeAllocations and FreezeAllocations of one year (held to the commit), then
 * says whether the year is frozen. */
static vbp_status lock_year(vbp_pg_conn *c, const char *batch, const char *region, const char *year,
                            bool *frozen) {
  const char *params[] = {batch, region, year};
  VBP_CHECK(vbp_pg_command(c, "lock allocation year",
                           "SELECT pg_advisory_xact_lock(hashtext($1 || '|' || $2 || '|' || $3))",
                           3, params));
  int64_t n = 0;
  VBP_CHECK(vbp_pg_get_int64(c, "read frozen year",
                             "SELECT count(*) FROM frozen_years WHERE batch_code = $1 AND "
                             "region_code = $2 AND agreement_year = $3::int",
                             3, params, "count(*) gave no row", &n));
  *frozen = n > 0;
  return vbp_status_ok();
}

/* An allocation row in the change feed: where its institution is, for the institution and the
 * manufacturer of the product. Its id is its key, batch/province/year/institution/product. */
void volume_record_allocation(vbp_pg_conn *c, vbp_arena *a, const char *batch, const char *region,
                              const char *year, const char *institution_id, const char *product_id,
                              const char *institution_region, const char *manufacturer_id,
                              const char *action) {
  const char *parties[] = {institution_id, manufacturer_id};
  vbp_feed_add(c, &(vbp_change){.type = "allocation",
                                .id = vbp_arena_printf(a, "%s/%s/%s/%s/%s", batch, region, year,
                                                       institution_id, product_id),
                                .action = action,
                                .region_code = institution_region,
                                .batch_code = batch,
                                .parties = parties,
                                .n_parties = 2});
}

/* ---------------------------------------------------------------- ComputeAllocations */

typedef struct demand {
  char *institution_id, *institution_region, *group_id;
  int64_t quantity;
} demand;

static void *demand_of_row(const vbp_pg_row *row) {
  demand *d = vbp_arena_alloc(row->arena, sizeof *d);
  d->institution_id = vbp_pg_text(row, 0);
  d->institution_region = vbp_pg_text(row, 1);
  d->group_id = vbp_pg_text(row, 2);
  d->quantity = vbp_pg_int64(row, 3);
  return d;
}

/* One allocation to write. */
typedef struct part {
  const char *institution_id, *institution_region, *group_id, *product_id, *manufacturer_id;
  int64_t base, agreed;
  int ratio;
  vbp_money price;
} part;

/* A group's winning products and their shares (V3), in the inputs' order. */
typedef struct winners {
  const char **ids;
  int *shares;
  vbp_money *prices;
  const char **manufacturers;
  size_t n;
} winners;

typedef struct compute {
  const Vbp__V1__ComputeAllocationsRequest *in;
  const vbp_batch_inputs *inputs;
  char year[12];
  int page_limit;
  const char *scope;
} compute;

static int ratio_of(const Vbp__V1__ComputeAllocationsRequest *in, const char *group_id) {
  for (size_t i = 0; i < in->n_group_ratios; i++)
    if (strcmp(in->group_ratios[i]->group_id, group_id) == 0)
      return in->group_ratios[i]->ratio_percent;
  return in->ratio_percent;
}

static vbp_status winners_of(vbp_arena *a, const vbp_batch_inputs *inputs, const char *group_id,
                             winners *w) {
  w->ids = vbp_arena_alloc(a, (inputs->n_results + 1) * sizeof *w->ids);
  w->shares = vbp_arena_alloc(a, (inputs->n_results + 1) * sizeof *w->shares);
  w->prices = vbp_arena_alloc(a, (inputs->n_results + 1) * sizeof *w->prices);
  w->manufacturers = vbp_arena_alloc(a, (inputs->n_results + 1) * sizeof *w->manufacturers);
  w->n = 0;
  int sum = 0;
  for (size_t i = 0; i < inputs->n_results; i++) {
    const Vbp__V1__Result *r = inputs->results[i];
    if ((int)r->status != VOLUME_WINNING || strcmp(r->group_id, group_id) != 0) continue;
    const Vbp__V1__Product *p = vbp_batch_product(inputs, r->product_id);
    w->ids[w->n] = r->product_id;
    w->shares[w->n] = r->share_percent;
    w->prices[w->n] = vbp_result_winning_price(r);
    w->manufacturers[w->n] = p ? p->manufacturer_id : "";
    sum += r->share_percent;
    w->n++;
  }
  if (w->n == 0 || sum != 100)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "groupId",
                            "group %s: its winning shares sum to %d, not 100 (V3); publish its "
                            "results first",
                            group_id, sum);
  return vbp_status_ok();
}

static int by_institution_product(const void *x, const void *y) {
  const part *p = x, *q = y;
  int c = strcmp(p->institution_id, q->institution_id);
  return c ? c : strcmp(p->product_id, q->product_id);
}

/* C7 per day from agreement year 2 on: every institution x product at or above the floor taken
 * from its reference year (the first, or the previous for a PREVIOUS_YEAR batch). */
static vbp_status check_floor(vbp_pg_conn *c, vbp_arena *a, const compute *k, part *parts,
                              size_t n) {
  const vbp_batch_inputs *inputs = k->inputs;
  int year = k->in->agreement_year;
  if (year < 2) return vbp_status_ok();
  int ref =
      inputs->batch->renewal_floor == VBP__V1__BATCH__RENEWAL_FLOOR__PREVIOUS_YEAR ? year - 1 : 1;
  char ref_text[12];
  snprintf(ref_text, sizeof ref_text, "%d", ref);
  const char *params[] = {k->in->batch_code, k->in->region_code, ref_text};
  void **rows = NULL;
  size_t n_ref = 0;
  VBP_CHECK(vbp_pg_query_rows(c, a, "read reference allocations",
                              "SELECT batch_code, region_code, institution_id, group_id, "
                              "product_id, agreement_year, agreed_quantity, ratio_percent, "
                              "base_quantity FROM allocations WHERE batch_code = $1 AND "
                              "region_code = $2 AND agreement_year = $3::int "
                              "ORDER BY institution_id, product_id",
                              3, params, volume_allocation_of_row, &rows, &n_ref));
  int new_days = volume_days(inputs->year_start[year - 1], inputs->year_end[year - 1]);
  int ref_days = volume_days(inputs->year_start[ref - 1], inputs->year_end[ref - 1]);
  if (n > 1) qsort(parts, n, sizeof *parts, by_institution_product);
  /* Every one that breaks it, as far as a message holds them, then how many more. */
  char list[VBP_STATUS_MESSAGE_MAX] = "";
  size_t broken = 0, shown = 0, used = 0;
  for (size_t i = 0; i < n_ref; i++) {
    const Vbp__V1__Allocation *r = rows[i];
    int64_t floor = volume_floor(r->agreed_quantity, new_days, ref_days);
    part key = {.institution_id = r->institution_id, .product_id = r->product_id};
    const part *hit = n ? bsearch(&key, parts, n, sizeof *parts, by_institution_product) : NULL;
    int64_t now = hit ? hit->agreed : 0;
    if (now >= floor) continue;
    broken++;
    char one[160];
    int len = snprintf(one, sizeof one, "%s%s %s %lld < %lld", shown ? ", " : "", r->institution_id,
                       r->product_id, (long long)now, (long long)floor);
    if (len > 0 && used + (size_t)len < 120) {
      memcpy(list + used, one, (size_t)len + 1);
      used += (size_t)len;
      shown++;
    }
  }
  if (broken == 0) return vbp_status_ok();
  char more[40] = "";
  if (broken > shown) snprintf(more, sizeof more, " and %zu more", broken - shown);
  return vbp_status_field(VBP_FAILED_PRECONDITION, "agreementYear",
                          "C7: %zu below the per-day floor from year %d: %s%s", broken, ref, list,
                          more);
}

static vbp_status insert_parts(vbp_pg_conn *c, vbp_arena *a, const compute *k, const part *parts,
                               size_t n) {
  const char **inst = vbp_arena_alloc(a, (n + 1) * sizeof *inst);
  const char **region = vbp_arena_alloc(a, (n + 1) * sizeof *region);
  const char **group = vbp_arena_alloc(a, (n + 1) * sizeof *group);
  const char **product = vbp_arena_alloc(a, (n + 1) * sizeof *product);
  const char **mfr = vbp_arena_alloc(a, (n + 1) * sizeof *mfr);
  const char **base = vbp_arena_alloc(a, (n + 1) * sizeof *base);
  const char **ratio = vbp_arena_alloc(a, (n + 1) * sizeof *ratio);
  const char **agreed = vbp_arena_alloc(a, (n + 1) * sizeof *agreed);
  const char **price = vbp_arena_alloc(a, (n + 1) * sizeof *price);
  for (size_t i = 0; i < n; i++) {
    inst[i] = parts[i].institution_id;
    region[i] = parts[i].institution_region;
    group[i] = parts[i].group_id;
    product[i] = parts[i].product_id;
    mfr[i] = parts[i].manufacturer_id;
    base[i] = vbp_arena_printf(a, "%lld", (long long)parts[i].base);
    ratio[i] = vbp_arena_printf(a, "%d", parts[i].ratio);
    agreed[i] = vbp_arena_printf(a, "%lld", (long long)parts[i].agreed);
    price[i] = vbp_arena_printf(a, "%lld", (long long)parts[i].price);
  }
  const char *params[] = {k->in->batch_code,
                          k->in->region_code,
                          k->year,
                          vbp_pg_text_array(a, inst, n),
                          vbp_pg_text_array(a, region, n),
                          vbp_pg_text_array(a, group, n),
                          vbp_pg_text_array(a, product, n),
                          vbp_pg_text_array(a, mfr, n),
                          vbp_pg_text_array(a, base, n),
                          vbp_pg_text_array(a, ratio, n),
                          vbp_pg_text_array(a, agreed, n),
                          vbp_pg_text_array(a, price, n)};
  /* The change feed: one change per allocation row created, changed or gone (a recompute that
   * gives the same rows records nothing), before the rows are replaced. */
  PGresult *diff = NULL;
  VBP_CHECK(vbp_pg_query(
      c, "compare allocations",
      "WITH n AS (SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], "
      "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) "
      "AS u(i, r, g, p, m, b, ra, q, pr)), "
      "o AS (SELECT * FROM allocations WHERE batch_code = $1 AND region_code = $2 "
      "AND agreement_year = $3::int) "
      "SELECT coalesce(n.i, o.institution_id), coalesce(n.p, o.product_id), "
      "coalesce(n.r, o.institution_region), coalesce(n.m, o.manufacturer_id), "
      "CASE WHEN o.institution_id IS NULL THEN 'created' WHEN n.i IS NULL THEN 'deleted' "
      "ELSE 'updated' END "
      "FROM n FULL JOIN o ON n.i = o.institution_id AND n.p = o.product_id "
      "WHERE o.institution_id IS NULL OR n.i IS NULL OR "
      "(n.r, n.g, n.m, n.b::bigint, n.ra::int, n.q::bigint, n.pr::bigint) IS DISTINCT FROM "
      "(o.institution_region, o.group_id, o.manufacturer_id, o.base_quantity, o.ratio_percent, "
      "o.agreed_quantity, o.winning_price) "
      "ORDER BY 1, 2",
      12, params, &diff));
  for (int i = 0; i < PQntuples(diff); i++)
    volume_record_allocation(c, a, k->in->batch_code, k->in->region_code, k->year,
                             PQgetvalue(diff, i, 0), PQgetvalue(diff, i, 1), PQgetvalue(diff, i, 2),
                             PQgetvalue(diff, i, 3), PQgetvalue(diff, i, 4));
  PQclear(diff);
  VBP_CHECK(vbp_pg_command(c, "replace allocations",
                           "DELETE FROM allocations WHERE batch_code = $1 AND region_code = $2 "
                           "AND agreement_year = $3::int",
                           3, params));
  return vbp_pg_command(
      c, "insert allocations",
      "INSERT INTO allocations (batch_code, region_code, agreement_year, institution_id, "
      "institution_region, group_id, product_id, manufacturer_id, base_quantity, ratio_percent, "
      "agreed_quantity, winning_price) "
      "SELECT $1, $2, $3::int, i, r, g, p, m, b::bigint, ra::int, q::bigint, pr::bigint "
      "FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
      "$10::text[], $11::text[], $12::text[]) AS u(i, r, g, p, m, b, ra, q, pr)",
      12, params);
}

static vbp_status compute_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const compute *k = t->in;
  const Vbp__V1__ComputeAllocationsRequest *in = k->in;
  vbp_arena *a = vbp_call_arena(t->call);
  bool frozen = false;
  VBP_CHECK(lock_year(c, in->batch_code, in->region_code, k->year, &frozen));
  if (frozen)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "agreementYear",
                            "year %d is frozen: its contracts were generated (V3)",
                            in->agreement_year);
  const char *params[] = {in->batch_code, in->region_code, k->year};
  void **rows = NULL;
  size_t n_demands = 0;
  VBP_CHECK(vbp_pg_query_rows(c, a, "read approved demand",
                              "SELECT institution_id, institution_region, group_id, quantity "
                              "FROM demand_reports WHERE batch_code = $1 AND region_code = $2 "
                              "AND agreement_year = $3::int AND state = 3 "
                              "ORDER BY group_id, institution_id",
                              3, params, demand_of_row, &rows, &n_demands));
  size_t cap = 0, n = 0;
  part *parts = NULL;
  winners w = {0};
  const char *group = NULL;
  for (size_t i = 0; i < n_demands; i++) {
    const demand *d = rows[i];
    if (!group || strcmp(group, d->group_id) != 0) {
      group = d->group_id;
      VBP_CHECK(winners_of(a, k->inputs, group, &w));
    }
    int ratio = ratio_of(in, d->group_id);
    int64_t agreed = volume_agreed(d->quantity, ratio);
    int64_t *split = vbp_arena_alloc(a, w.n * sizeof *split);
    if (!volume_split(agreed, w.ids, w.shares, w.n, split))
      return vbp_status_make(VBP_INTERNAL, "group %s: shares checked but not split", group);
    if (n + w.n > cap) {
      size_t grown = cap ? 2 * cap : 64;
      while (grown < n + w.n) grown *= 2;
      part *more = vbp_arena_alloc(a, grown * sizeof *more);
      if (n) memcpy(more, parts, n * sizeof *more);
      parts = more;
      cap = grown;
    }
    for (size_t j = 0; j < w.n; j++)
      parts[n++] = (part){.institution_id = d->institution_id,
                          .institution_region = d->institution_region,
                          .group_id = d->group_id,
                          .product_id = w.ids[j],
                          .manufacturer_id = w.manufacturers[j],
                          .base = d->quantity,
                          .agreed = split[j],
                          .ratio = ratio,
                          .price = w.prices[j]};
  }
  VBP_CHECK(check_floor(c, a, k, parts, n));
  VBP_CHECK(insert_parts(c, a, k, parts, n));
  Vbp__V1__ComputeAllocationsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__compute_allocations_response__init(r);
  r->computed = (int32_t)n;
  allocation_filter f = {.batch_code = in->batch_code,
                         .region_code = in->region_code,
                         .institution_id = "",
                         .agreement_year = in->agreement_year,
                         .region_prefix = "",
                         .manufacturer_id = "",
                         .scope = k->scope,
                         .after = "",
                         .limit = k->page_limit};
  VBP_CHECK(list_page(c, t->call, &f, &r->allocations, &r->n_allocations, &r->next_page_token));
  t->out = &r->base;
  return vbp_status_ok();
}

/* ratioPercent and groupRatios: each 1-100, every group named once and of the batch. */
static vbp_status check_ratios(const Vbp__V1__ComputeAllocationsRequest *in,
                               const vbp_batch_inputs *inputs) {
  if (in->n_group_ratios > MAX_GROUP_RATIOS)
    return vbp_invalid("groupRatios", "must have at most %d entries", MAX_GROUP_RATIOS);
  if (in->ratio_percent < 1 || in->ratio_percent > 100)
    return vbp_invalid("ratioPercent", "must be a whole percent from 1 to 100, got %d",
                       in->ratio_percent);
  for (size_t i = 0; i < in->n_group_ratios; i++) {
    const Vbp__V1__GroupRatio *g = in->group_ratios[i];
    char field[64];
    snprintf(field, sizeof field, "groupRatios[%zu].groupId", i);
    if (!vbp_batch_group(inputs, g->group_id))
      return vbp_invalid(field, "names no group of batch %s", in->batch_code);
    for (size_t j = 0; j < i; j++)
      if (strcmp(in->group_ratios[j]->group_id, g->group_id) == 0)
        return vbp_invalid(field, "names group %s a second time", g->group_id);
    snprintf(field, sizeof field, "groupRatios[%zu].ratioPercent", i);
    if (g->ratio_percent < 1 || g->ratio_percent > 100)
      return vbp_invalid(field, "must be a whole percent from 1 to 100, got %d", g->ratio_percent);
  }
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_compute_allocations) {
  const Vbp__V1__ComputeAllocationsRequest *in =
      (const Vbp__V1__ComputeAllocationsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  if (in->agreement_year < 1) return vbp_invalid("agreementYear", "is required");
  if (!vbp_scope_provincial(vbp_call_caller(call), in->region_code)) return vbp_scope_denied();
  vbp_batch_inputs inputs;
  VBP_CHECK(volume_inputs_get(call, in->batch_code, in->region_code, NULL, 0, &inputs));
  VBP_CHECK(vbp_batch_need_year(&inputs, in->agreement_year));
  VBP_CHECK(check_ratios(in, &inputs));
  compute k = {.in = in, .inputs = &inputs};
  snprintf(k.year, sizeof k.year, "%d", in->agreement_year);
  VBP_CHECK(vbp_page_size(in->page_size, &k.page_limit));
  k.scope = list_scope(a, in->batch_code, in->region_code, "", in->agreement_year);
  return volume_in_tx(call, compute_tx, &k, response);
}

/* ---------------------------------------------------------------- FreezeAllocations */

static vbp_status freeze_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const Vbp__V1__FreezeAllocationsRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  char year[12];
  snprintf(year, sizeof year, "%d", in->agreement_year);
  bool frozen = false;
  VBP_CHECK(lock_year(c, in->batch_code, in->region_code, year, &frozen));
  const char *params[] = {in->batch_code, in->region_code, year};
  bool froze = false;
  VBP_CHECK(vbp_pg_write(c, "freeze allocation year",
                         "INSERT INTO frozen_years (batch_code, region_code, agreement_year) "
                         "VALUES ($1, $2, $3::int) ON CONFLICT DO NOTHING RETURNING 1",
                         3, params, &froze));
  if (froze) { /* every allocation of the year is now frozen: each one changed */
    PGresult *rows = NULL;
    VBP_CHECK(vbp_pg_query(c, "read frozen allocations",
                           "SELECT institution_id, product_id, institution_region, "
                           "manufacturer_id FROM allocations WHERE batch_code = $1 AND "
                           "region_code = $2 AND agreement_year = $3::int ORDER BY 1, 2",
                           3, params, &rows));
    for (int i = 0; i < PQntuples(rows); i++)
      volume_record_allocation(c, a, in->batch_code, in->region_code, year, PQgetvalue(rows, i, 0),
                               PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 2),
                               PQgetvalue(rows, i, 3), "updated");
    PQclear(rows);
  }
  int64_t n = 0;
  VBP_CHECK(vbp_pg_get_int64(c, "count allocations",
                             "SELECT count(*) FROM allocations WHERE batch_code = $1 AND "
                             "region_code = $2 AND agreement_year = $3::int",
                             3, params, "count(*) gave no row", &n));
  Vbp__V1__FreezeAllocationsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__freeze_allocations_response__init(r);
  r->allocations = (int32_t)n;
  t->out = &r->base;
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_freeze_allocations) {
  const Vbp__V1__FreezeAllocationsRequest *in = (const Vbp__V1__FreezeAllocationsRequest *)request;
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  if (in->agreement_year < 1) return vbp_invalid("agreementYear", "is required");
  return volume_in_tx(call, freeze_tx, in, response);
}
