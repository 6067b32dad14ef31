/* A year's contracts: GenerateContracts (year 1 from the allocations, C1; a later year renews the
 * contracts in force, C5-C7) and RenewContract (one renewal, C5-C7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/batch_inputs.h"
#include "common/clock.h"
#include "common/feed.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/authorizations.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "contract-svc/volume_client.h"

#define INSERT_CHUNK 5000      /* contracts per INSERT: bounds the size of its array parameters */
#define INSTITUTIONS_MAX 10000 /* ids per GetVolumeInputs, catalog-svc's limit */

/* The provincial bureau of province, or the admin (API.md "Who may do what"). */
/* Days of agreement year `year`, both ends counted. */
static int year_days(const vbp_batch_inputs *in, int year) {
  return in->year_end[year - 1] - in->year_start[year - 1] + 1;
}

/* C7: the year a renewal into `year` takes its floor from: the first, or for a PREVIOUS_YEAR
 * batch the one before. */
static int reference_year(const vbp_batch_inputs *in, int year) {
  return in->batch->renewal_floor == VBP__V1__BATCH__RENEWAL_FLOOR__PREVIOUS_YEAR ? year - 1 : 1;
}

static int by_string(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* ---------------------------------------------------------------- new contracts in bulk */

/* One contract GenerateContracts writes; what it shares with the others is the year's. */
typedef struct draft {
  const char *institution_id, *institution_region, *area_code, *manufacturer_id;
  const char *distributor_id, *product_id, *renews; /* renews: "" for year 1 */
  vbp_money price;
  int64_t quantity;
} draft;

/* What one GenerateContracts works with. */
typedef struct generation {
  const Vbp__V1__GenerateContractsRequest *in;
  vbp_batch_inputs *inputs; /* first_year_drafts adds the institutions */
  char year[12];
  draft *drafts; /* year 1: one per allocation */
  size_t n_drafts;
  Vbp__V1__Allocation **allocations; /* later years: the year's, by institution and product */
  size_t n_allocations;
  const char *scope; /* ListContracts' page-token scope for the batch */
  int limit;
} generation;

/* Inserts drafts[0..n) as DRAFTs of the generation's year, each with its CREATE event, and for a
 * renewal the RENEW event of the contract it renews, in one statement. One that is there already
 * (C1 key, or a renewal of the same contract) is left as it is: a repeat, or a race. */
static vbp_status insert_drafts(vbp_pg_conn *c, vbp_arena *a, const vbp_caller *who,
                                const generation *g, const draft *drafts, size_t n) {
  const vbp_batch_inputs *inputs = g->inputs;
  int year = g->in->agreement_year;
  char kind[4], start[VBP_DATE_FORMAT_MAX], end[VBP_DATE_FORMAT_MAX], state[4];
  snprintf(kind, sizeof kind, "%d", inputs->kind);
  snprintf(state, sizeof state, "%d", CONTRACT_DRAFT);
  vbp_date_format(inputs->year_start[year - 1], start);
  vbp_date_format(inputs->year_end[year - 1], end);
  const char **cols[10];
  for (size_t k = 0; k < 10; k++) cols[k] = vbp_arena_alloc(a, (n + 1) * sizeof *cols[k]);
  for (size_t i = 0; i < n; i++) {
    const draft *d = &drafts[i];
    cols[0][i] = vbp_random_id(a, "ct");
    cols[1][i] = d->institution_id;
    cols[2][i] = d->institution_region;
    cols[3][i] = d->area_code;
    cols[4][i] = d->manufacturer_id;
    cols[5][i] = d->distributor_id;
    cols[6][i] = d->product_id;
    cols[7][i] = vbp_arena_printf(a, "%lld", (long long)d->price);
    cols[8][i] = vbp_arena_printf(a, "%lld", (long long)d->quantity);
    cols[9][i] = d->renews;
  }
  const char *params[19] = {
      g->in->batch_code, g->in->region_code, kind, g->year, start, end, state};
  for (size_t k = 0; k < 10; k++) params[7 + k] = vbp_pg_text_array(a, cols[k], n);
  params[17] = who->org_id;
  params[18] = contract_actor_role(who);
  /* The RENEW event keeps the old contract's state: it becomes RENEWED only once the new one is
   * EFFECTIVE (sign.c). Its sequence number is taken under the row lock the caller holds. */
  PGresult *made = NULL;
  VBP_CHECK(vbp_pg_query(
      c, "insert contracts",
      "WITH made AS (INSERT INTO contracts (id, batch_code, region_code, kind, institution_id, "
      "institution_region, area_code, manufacturer_id, distributor_id, product_id, price, "
      "quantity, agreement_year, period_start, period_end, state, renews) "
      "SELECT u.id, $1, $2, $3::smallint, u.i, u.r, u.ar, u.m, u.d, u.p, u.pr::bigint, "
      "u.q::bigint, $4::int, $5::date, $6::date, $7::smallint, nullif(u.rn, '') "
      "FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "
      "$14::text[], $15::text[], $16::text[], $17::text[]) AS u(id, i, r, ar, m, d, p, pr, q, rn) "
      "ON CONFLICT DO NOTHING RETURNING id, renews, batch_code, institution_region, "
      "institution_id, manufacturer_id, distributor_id), "
      "created AS (INSERT INTO contract_events (contract_id, seq, actor_id, actor_role, action, "
      "from_state, to_state, note) SELECT id, 1, $18, $19, 1, 0, $7::smallint, "
      "CASE WHEN renews IS NULL THEN 'GenerateContracts' ELSE 'renews ' || renews END FROM made), "
      "renewed AS (INSERT INTO contract_events (contract_id, seq, actor_id, actor_role, action, "
      "from_state, to_state, note) SELECT m.renews, (SELECT coalesce(max(e.seq), 0) + 1 FROM "
      "contract_events e WHERE e.contract_id = m.renews), $18, $19, 3, o.state, o.state, "
      "'renewed by ' || m.id FROM made m JOIN contracts o ON o.id = m.renews) "
      "SELECT id, coalesce(renews, ''), batch_code, institution_region, institution_id, "
      "manufacturer_id, distributor_id FROM made ORDER BY id",
      19, params, &made));
  /* The change feed: each contract made, and each one it renews (its history grew). */
  for (int i = 0; i < PQntuples(made); i++) {
    const char *parties[] = {PQgetvalue(made, i, 4), PQgetvalue(made, i, 5),
                             PQgetvalue(made, i, 6)};
    vbp_change change = {.type = "contract",
                         .id = PQgetvalue(made, i, 0),
                         .action = "created",
                         .region_code = PQgetvalue(made, i, 3),
                         .batch_code = PQgetvalue(made, i, 2),
                         .parties = parties,
                         .n_parties = 3};
    vbp_feed_add(c, &change);
    if (*PQgetvalue(made, i, 1)) {
      change.id = PQgetvalue(made, i, 1);
      change.action = "updated";
      vbp_feed_add(c, &change);
    }
  }
  PQclear(made);
  return vbp_status_ok();
}

static vbp_status insert_all(vbp_pg_conn *c, vbp_arena *a, const vbp_caller *who,
                             const generation *g, const draft *drafts, size_t n) {
  for (size_t i = 0; i < n; i += INSERT_CHUNK)
    VBP_CHECK(insert_drafts(c, a, who, g, drafts + i, n - i < INSERT_CHUNK ? n - i : INSERT_CHUNK));
  return vbp_status_ok();
}

static void *row_id(const vbp_pg_row *row) { return vbp_pg_text(row, 0); }

/* The answer: how many contracts the year has in the province now, and the first page of them
 * by id, with a token that ListContracts (batchCode) pages on with. */
static vbp_status answer(vbp_pg_conn *c, contract_tx *t, const generation *g) {
  vbp_arena *a = vbp_call_arena(t->call);
  char limit[12];
  snprintf(limit, sizeof limit, "%d", g->limit + 1);
  const char *params[] = {g->in->batch_code, g->in->region_code, g->year, limit};
  int64_t count = 0;
  VBP_CHECK(vbp_pg_get_int64(c, "count contracts",
                             "SELECT count(*) FROM contracts WHERE batch_code = $1 AND "
                             "region_code = $2 AND agreement_year = $3::int",
                             3, params, "count(*) gave no row", &count));
  void **ids = NULL;
  size_t found = 0;
  VBP_CHECK(vbp_pg_query_rows(c, a, "list generated contracts",
                              "SELECT id FROM contracts WHERE batch_code = $1 AND region_code = $2 "
                              "AND agreement_year = $3::int ORDER BY id LIMIT $4::int",
                              4, params, row_id, &ids, &found));
  Vbp__V1__GenerateContractsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__generate_contracts_response__init(r);
  r->generated = (int32_t)count;
  if (found > (size_t)g->limit) {
    found = (size_t)g->limit;
    r->next_page_token = vbp_page_token_encode(a, contract_page_secret(t->call),
                                               vbp_call_caller(t->call), g->scope, ids[found - 1]);
  }
  r->contracts = vbp_arena_alloc(a, (found + 1) * sizeof *r->contracts);
  vbp_date today = vbp_today();
  for (size_t i = 0; i < found; i++) {
    contract_row *row = NULL;
    VBP_CHECK(contract_find(c, a, ids[i], false, false, &row));
    if (!row) continue; /* contracts are never deleted */
    contract_show_state(row, today);
    r->contracts[r->n_contracts++] = row->c;
  }
  t->out = &r->base;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- GenerateContracts, year 1 */

static int by_product_area(const void *x, const void *y) {
  const draft *p = x, *q = y;
  int c = strcmp(p->product_id, q->product_id);
  return c ? c : strcmp(p->area_code, q->area_code);
}

static vbp_status first_year_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const generation *g = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  /* C8: the distributor when the manufacturer named exactly one for the area; otherwise the
   * contract waits as a DRAFT for AssignDistributor. One look-up per product and area. */
  qsort(g->drafts, g->n_drafts, sizeof *g->drafts, by_product_area);
  const char *named = "";
  for (size_t i = 0; i < g->n_drafts; i++) {
    draft *d = &g->drafts[i];
    if (i == 0 || by_product_area(d, d - 1) != 0) {
      char **ids = NULL;
      size_t n = 0;
      VBP_CHECK(contract_named_distributors(c, a, d->product_id, d->area_code, &ids, &n));
      named = n == 1 ? ids[0] : "";
    }
    d->distributor_id = named;
  }
  VBP_CHECK(insert_all(c, a, vbp_call_caller(t->call), g, g->drafts, g->n_drafts));
  return answer(c, t, g);
}

/* The organizations the allocations name, into inputs->institutions (sorted by id), in chunks
 * catalog-svc takes. */
static vbp_status fetch_institutions(vbp_call *call, vbp_arena *a, Vbp__V1__Allocation **al,
                                     size_t n, vbp_batch_inputs *inputs) {
  const char **ids = vbp_arena_alloc(a, (n + 1) * sizeof *ids);
  for (size_t i = 0; i < n; i++) ids[i] = al[i]->institution_id;
  qsort(ids, n, sizeof *ids, by_string);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (m == 0 || strcmp(ids[m - 1], ids[i]) != 0) ids[m++] = ids[i];
  /* Chunks of sorted ids answer sorted (by id) and in order, so they join sorted. */
  Vbp__V1__Organization **all = vbp_arena_alloc(a, (m + 1) * sizeof *all);
  size_t count = 0;
  for (size_t i = 0; i < m; i += INSTITUTIONS_MAX) {
    size_t k = m - i < INSTITUTIONS_MAX ? m - i : INSTITUTIONS_MAX;
    vbp_batch_inputs part;
    VBP_CHECK(vbp_institutions_fetch(contract_of(call)->catalog, call, a, ids + i, k, &part));
    for (size_t j = 0; j < part.n_institutions && count < m; j++)
      all[count++] = part.institutions[j];
  }
  inputs->institutions = all;
  inputs->n_institutions = count;
  return vbp_status_ok();
}

/* One DRAFT per allocation (C1): its institution, the winning product at its winning price, the
 * allocated quantity; distributors are filled in inside the transaction. */
static vbp_status first_year_drafts(vbp_call *call, generation *g) {
  vbp_arena *a = vbp_call_arena(call);
  const Vbp__V1__GenerateContractsRequest *in = g->in;
  Vbp__V1__Allocation **al = NULL;
  size_t n = 0;
  VBP_CHECK(contract_allocations(call, a, in->batch_code, in->region_code, "", 1, &al, &n));
  vbp_batch_inputs *inputs = g->inputs;
  VBP_CHECK(fetch_institutions(call, a, al, n, inputs));
  g->drafts = vbp_arena_alloc(a, (n + 1) * sizeof *g->drafts);
  g->n_drafts = n;
  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__Allocation *x = al[i];
    const Vbp__V1__Organization *org = vbp_batch_institution(inputs, x->institution_id);
    char *area = vbp_arena_alloc(a, 7);
    if (!org || !contract_coordination_area(org->region_code, area))
      return vbp_status_field(VBP_FAILED_PRECONDITION, "agreementYear",
                              "an allocation names institution %s, which catalog-svc does not "
                              "know in a region",
                              x->institution_id);
    int status = vbp_batch_status_of(inputs, x->product_id);
    const Vbp__V1__Product *product = vbp_batch_product(inputs, x->product_id);
    vbp_money price = vbp_result_winning_price(vbp_batch_result(inputs, x->product_id));
    if (!product ||
        (status != VBP__V1__RESULT_STATUS__WINNING && status != VBP__V1__RESULT_STATUS__BACKUP) ||
        price <= 0)
      return vbp_status_field(VBP_FAILED_PRECONDITION, "agreementYear",
                              "C1: allocated product %s is not WINNING or BACKUP with a winning "
                              "price in batch %s",
                              x->product_id, in->batch_code);
    g->drafts[i] = (draft){.institution_id = x->institution_id,
                           .institution_region = org->region_code,
                           .area_code = area,
                           .manufacturer_id = product->manufacturer_id,
                           .distributor_id = "",
                           .product_id = x->product_id,
                           .renews = "",
                           .price = price,
                           .quantity = x->agreed_quantity};
  }
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- GenerateContracts, later */

/* A contract of the year before that a generation may renew, with its C7 reference. */
typedef struct candidate {
  const char *id, *institution_id, *institution_region, *area_code, *manufacturer_id;
  const char *distributor_id, *product_id;
  vbp_money price;
  int state;
  vbp_date period_end;
  int64_t reference_quantity;
  int reference_year;
} candidate;

static void *candidate_of(const vbp_pg_row *row) {
  candidate *k = vbp_arena_alloc(row->arena, sizeof *k);
  k->id = vbp_pg_text(row, 0);
  k->institution_id = vbp_pg_text(row, 1);
  k->institution_region = vbp_pg_text(row, 2);
  k->area_code = vbp_pg_text(row, 3);
  k->manufacturer_id = vbp_pg_text(row, 4);
  k->distributor_id = vbp_pg_text(row, 5);
  k->product_id = vbp_pg_text(row, 6);
  k->price = vbp_pg_int64(row, 7);
  k->state = vbp_pg_int(row, 8);
  vbp_pg_date(row, 9, &k->period_end);
  k->reference_quantity = vbp_pg_int64(row, 10);
  k->reference_year = vbp_pg_int(row, 11);
  return k;
}

static int by_institution_product(const void *x, const void *y) {
  const Vbp__V1__Allocation *p = *(Vbp__V1__Allocation *const *)x;
  const Vbp__V1__Allocation *q = *(Vbp__V1__Allocation *const *)y;
  int c = strcmp(p->institution_id, q->institution_id);
  return c ? c : strcmp(p->product_id, q->product_id);
}

static vbp_status later_year_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const generation *g = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_batch_inputs *inputs = g->inputs;
  int year = g->in->agreement_year, ref = reference_year(inputs, year);
  char previous[12], ref_text[12], effective[4];
  snprintf(previous, sizeof previous, "%d", year - 1);
  snprintf(ref_text, sizeof ref_text, "%d", ref);
  snprintf(effective, sizeof effective, "%d", CONTRACT_EFFECTIVE);
  const char *params[] = {g->in->batch_code, g->in->region_code, previous, ref_text, effective};
  void **rows = NULL;
  size_t n = 0;
  /* The year before's contracts in force whose institution x product has no contract of this
   * year yet (a renewal or another, C1), locked: their RENEW events are appended under the lock.
   * The C7 reference is the same institution x product's contract of the reference year, or
   * this one when there is none. */
  VBP_CHECK(vbp_pg_query_rows(
      c, a, "read contracts to renew",
      "SELECT c.id, c.institution_id, c.institution_region, c.area_code, c.manufacturer_id, "
      "c.distributor_id, c.product_id, c.price, c.state, c.period_end, "
      "coalesce(f.quantity, c.quantity), coalesce(f.agreement_year, c.agreement_year) "
      "FROM contracts c LEFT JOIN contracts f ON f.batch_code = c.batch_code AND "
      "f.institution_id = c.institution_id AND f.product_id = c.product_id AND "
      "f.agreement_year = $4::int "
      "WHERE c.batch_code = $1 AND c.region_code = $2 AND c.agreement_year = $3::int AND "
      "c.state = $5::smallint AND NOT EXISTS (SELECT 1 FROM contracts n WHERE n.batch_code = "
      "c.batch_code AND n.institution_id = c.institution_id AND n.product_id = c.product_id AND "
      "n.agreement_year = c.agreement_year + 1) "
      "ORDER BY c.id FOR UPDATE OF c",
      5, params, candidate_of, &rows, &n));
  draft *drafts = vbp_arena_alloc(a, (n + 1) * sizeof *drafts);
  size_t m = 0;
  int new_days = year_days(inputs, year);
  /* C7: every offender, as far as a message holds them, then how many more. */
  char list[VBP_STATUS_MESSAGE_MAX] = "";
  size_t broken = 0, shown = 0, used = 0;
  for (size_t i = 0; i < n; i++) {
    const candidate *k = rows[i];
    /* C5, C6: a contract in force is renewed, also one past its period (it shows EXPIRED):
     * until a renewal is signed, supply continues at the old price and terms. */
    if (!contract_renewable(k->state)) continue;
    int64_t floor = contract_renewal_floor(k->reference_quantity, new_days,
                                           year_days(inputs, k->reference_year));
    Vbp__V1__Allocation key = {.institution_id = (char *)k->institution_id,
                               .product_id = (char *)k->product_id},
                        *kp = &key;
    Vbp__V1__Allocation **hit = bsearch(&kp, g->allocations, g->n_allocations,
                                        sizeof *g->allocations, by_institution_product);
    int64_t quantity = hit ? (*hit)->agreed_quantity : floor;
    if (quantity < floor) {
      broken++;
      char one[160];
      int len = snprintf(one, sizeof one, "%s%s %s %lld < %lld", shown ? ", " : "",
                         k->institution_id, k->product_id, (long long)quantity, (long long)floor);
      if (len > 0 && used + (size_t)len < 90) { /* the reason holds 160 bytes */
        memcpy(list + used, one, (size_t)len + 1);
        used += (size_t)len;
        shown++;
      }
      continue;
    }
    drafts[m++] = (draft){.institution_id = k->institution_id,
                          .institution_region = k->institution_region,
                          .area_code = k->area_code,
                          .manufacturer_id = k->manufacturer_id,
                          .distributor_id = k->distributor_id,
                          .product_id = k->product_id,
                          .renews = k->id,
                          .price = k->price,
                          .quantity = quantity};
  }
  /* A renewal below the floor is refused for the whole year: nothing is saved. */
  if (broken) {
    char more[40] = "";
    if (broken > shown) snprintf(more, sizeof more, " and %zu more", broken - shown);
    return vbp_status_field(VBP_FAILED_PRECONDITION, "agreementYear",
                            "C7: %zu below the per-day floor from year %d: %s%s", broken, ref, list,
                            more);
  }
  VBP_CHECK(insert_all(c, a, vbp_call_caller(t->call), g, drafts, m));
  return answer(c, t, g);
}

CONTRACT_HANDLER(contract_generate) {
  const Vbp__V1__GenerateContractsRequest *in = (const Vbp__V1__GenerateContractsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  if (in->agreement_year < 1) return vbp_invalid("agreementYear", "is required");
  if (!vbp_scope_provincial(vbp_call_caller(call), in->region_code)) return vbp_scope_denied();
  generation g = {.in = in};
  VBP_CHECK(vbp_page_size(in->page_size, &g.limit));
  snprintf(g.year, sizeof g.year, "%d", in->agreement_year);
  /* ListContracts' scope for (batchCode, no partyId, no state), so that it pages on. */
  g.scope = vbp_arena_printf(a, "contracts|%s|%s|%d", in->batch_code, "", 0);
  vbp_batch_inputs inputs;
  VBP_CHECK(vbp_batch_inputs_fetch(contract_of(call)->catalog, call, a, in->batch_code,
                                   in->region_code, NULL, 0, &inputs));
  VBP_CHECK(vbp_batch_need_year(&inputs, in->agreement_year));
  g.inputs = &inputs;
  /* V3: the year's allocations stop changing before they are read. */
  VBP_CHECK(contract_freeze_allocations(call, in->batch_code, in->region_code, in->agreement_year));
  if (in->agreement_year == 1) {
    VBP_CHECK(first_year_drafts(call, &g));
    return contract_in_tx(call, first_year_tx, &g, response);
  }
  VBP_CHECK(contract_allocations(call, a, in->batch_code, in->region_code, "", in->agreement_year,
                                 &g.allocations, &g.n_allocations));
  qsort(g.allocations, g.n_allocations, sizeof *g.allocations, by_institution_product);
  return contract_in_tx(call, later_year_tx, &g, response);
}

/* ---------------------------------------------------------------- RenewContract */

typedef struct renew {
  const Vbp__V1__RenewContractRequest *in;
  contract_row **old;      /* read: the contract */
  int64_t *first_quantity; /* read: its first year's quantity (C7), -1 without one */
  const contract_new *n;   /* write: the renewal */
} renew;

/* The contract of the year after r for the same institution and product (its C1 key), if
 * any: r's renewal, or one made otherwise. */
typedef struct next_contract {
  char *id, *renews;
} next_contract;

static void *next_of(const vbp_pg_row *row) {
  next_contract *x = vbp_arena_alloc(row->arena, sizeof *x);
  x->id = vbp_pg_text(row, 0);
  x->renews = vbp_pg_text(row, 1);
  return x;
}

static vbp_status find_next(vbp_pg_conn *c, vbp_arena *a, const contract_row *r,
                            next_contract **out) {
  char year[12];
  snprintf(year, sizeof year, "%d", (int)r->c->agreement_year + 1);
  const char *params[] = {r->c->batch_code, r->c->institution_id, r->c->product_id, year};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read next year's contract",
                            "SELECT id, coalesce(renews, '') FROM contracts WHERE batch_code = $1 "
                            "AND institution_id = $2 AND product_id = $3 AND agreement_year = "
                            "$4::int",
                            4, params, next_of, &row));
  *out = row;
  return vbp_status_ok();
}

/* Whether r may be renewed now: not renewed yet (ALREADY_EXISTS, whatever its state: renewing
 * twice is a conflict), and in force (C5). */
static vbp_status need_renewable(vbp_pg_conn *c, vbp_arena *a, contract_row *r) {
  next_contract *next = NULL;
  VBP_CHECK(find_next(c, a, r, &next));
  if (next && strcmp(next->renews, r->c->id) == 0)
    return vbp_status_field(VBP_ALREADY_EXISTS, "id", "already renewed by %s", next->id);
  if (next)
    return vbp_status_field(VBP_ALREADY_EXISTS, "id",
                            "year %d already has contract %s for this institution and product "
                            "(C1)",
                            (int)r->c->agreement_year + 1, next->id);
  /* The stored state: a contract past its period (shown EXPIRED) is renewed late, since supply
   * continues at the old terms until a renewal is signed (C6); it becomes RENEWED then. */
  if (!contract_renewable((int)r->c->state))
    return vbp_status_field(VBP_FAILED_PRECONDITION, "id",
                            "C5: is %s; only an EFFECTIVE contract is renewed",
                            contract_state_name((int)r->c->state));
  return vbp_status_ok();
}

static void *quantity_of(const vbp_pg_row *row) {
  int64_t *q = vbp_arena_alloc(row->arena, sizeof *q);
  *q = vbp_pg_int64(row, 0);
  return q;
}

static vbp_status renew_read_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const renew *k = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  contract_row *r = NULL;
  VBP_CHECK(contract_find(c, a, k->in->id, false, false, &r));
  if (!r) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "id", "names no contract");
  }
  /* Its institution, or the provincial bureau of its province (API.md). */
  if (!vbp_scope_own(who, r->c->institution_id) && !vbp_scope_provincial(who, r->c->region_code))
    return vbp_scope_denied();
  VBP_CHECK(need_renewable(c, a, r));
  *k->first_quantity = -1;
  if (r->c->agreement_year == 1) {
    *k->first_quantity = r->c->quantity;
  } else {
    const char *params[] = {r->c->batch_code, r->c->institution_id, r->c->product_id};
    void *row = NULL;
    VBP_CHECK(vbp_pg_find_row(c, a, "read first year's contract",
                              "SELECT quantity FROM contracts WHERE batch_code = $1 AND "
                              "institution_id = $2 AND product_id = $3 AND agreement_year = 1",
                              3, params, quantity_of, &row));
    if (row) *k->first_quantity = *(int64_t *)row;
  }
  *k->old = r;
  return vbp_status_ok();
}

static vbp_status renew_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const renew *k = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  contract_row *r = NULL;
  /* Again under the lock: a renewal or a termination may have come between. */
  VBP_CHECK(contract_find(c, a, k->in->id, true, false, &r));
  if (!r) return vbp_status_make(VBP_INTERNAL, "contract %s vanished", k->in->id);
  int stored = (int)r->c->state;
  VBP_CHECK(need_renewable(c, a, r));
  contract_row *made = NULL;
  bool created = false;
  VBP_CHECK(contract_insert(c, a, k->n, who, vbp_arena_printf(a, "renews %s", k->in->id), &made,
                            &created));
  if (!created && strcmp(made->renews, k->in->id) == 0)
    return vbp_status_field(VBP_ALREADY_EXISTS, "id", "already renewed by %s", made->c->id);
  if (!created) /* one made meanwhile otherwise (CreateContract holds no lock on this one) */
    return vbp_status_field(VBP_ALREADY_EXISTS, "id",
                            "year %d already has contract %s for this institution and product "
                            "(C1)",
                            k->n->agreement_year, made->c->id);
  /* The old one keeps its state: it becomes RENEWED once the new one is EFFECTIVE (sign.c). */
  contract_event e = {.action = VBP__V1__CONTRACT_EVENT__ACTION__RENEW,
                      .from_state = stored,
                      .to_state = stored,
                      .note = vbp_arena_printf(a, "renewed by %s", made->c->id)};
  VBP_CHECK(contract_append(c, k->in->id, who, &e));
  contract_show_state(made, vbp_today());
  t->out = &made->c->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_renew) {
  const Vbp__V1__RenewContractRequest *in = (const Vbp__V1__RenewContractRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("id", in->id));
  if (in->quantity < 0) return vbp_invalid("quantity", "must not be negative");
  contract_row *r = NULL;
  int64_t first_quantity = -1;
  renew k = {.in = in, .old = &r, .first_quantity = &first_quantity};
  ProtobufCMessage *none = NULL;
  VBP_CHECK(contract_in_read(call, renew_read_tx, &k, &none));

  vbp_batch_inputs inputs;
  VBP_CHECK(vbp_batch_inputs_fetch(contract_of(call)->catalog, call, a, r->c->batch_code,
                                   r->c->region_code, NULL, 0, &inputs));
  int year = (int)r->c->agreement_year, next = year + 1;
  /* C5: one agreement per year inside the cycle; none after its last. */
  if ((size_t)next > inputs.n_years) {
    char end[VBP_DATE_FORMAT_MAX];
    vbp_date_format(vbp_batch_cycle_last_day(&inputs), end);
    return vbp_status_field(VBP_FAILED_PRECONDITION, "id",
                            "C5: year %d is the last of the cycle, which ends %s", year, end);
  }
  /* C7 per day: at least the reference year's quantity over its days, times the new year's. */
  int ref = reference_year(&inputs, next);
  int64_t ref_quantity = r->c->quantity;
  if (ref == 1 && first_quantity >= 0) ref_quantity = first_quantity;
  if (ref == 1 && first_quantity < 0) ref = year; /* no first-year contract: this one is it */
  int64_t floor =
      contract_renewal_floor(ref_quantity, year_days(&inputs, next), year_days(&inputs, ref));
  if (in->quantity < floor)
    return vbp_invalid("quantity", "C7: at least %lld (per day from year %d)", (long long)floor,
                       ref);
  /* C1: into a year the institution has an allocation of the product for, exactly the allocated
   * quantity, as CreateContract and GenerateContracts hold it (asked before the transaction, so
   * no connection waits on volume-svc). */
  Vbp__V1__Allocation **allocations = NULL;
  size_t n_allocations = 0;
  VBP_CHECK(contract_allocations(call, a, r->c->batch_code, r->c->region_code, r->c->institution_id,
                                 next, &allocations, &n_allocations));
  for (size_t i = 0; i < n_allocations; i++)
    if (strcmp(allocations[i]->institution_id, r->c->institution_id) == 0 &&
        strcmp(allocations[i]->product_id, r->c->product_id) == 0 &&
        allocations[i]->agreed_quantity != in->quantity)
      return vbp_invalid("quantity", "C1: the allocated quantity of year %d is %lld", next,
                         (long long)allocations[i]->agreed_quantity);

  vbp_money price = 0;
  if (!vbp_money_parse(r->c->price, &price))
    return vbp_status_make(VBP_INTERNAL, "contract %s has a bad price", r->c->id);
  /* The same parties, product and price, for the next year's period (C1, C6). */
  contract_new n = {.batch_code = r->c->batch_code,
                    .province = r->c->region_code,
                    .institution_id = r->c->institution_id,
                    .institution_region = r->institution_region,
                    .area_code = r->area_code,
                    .manufacturer_id = r->c->manufacturer_id,
                    .distributor_id = r->c->distributor_id,
                    .product_id = r->c->product_id,
                    .renews = r->c->id,
                    .kind = r->kind,
                    .agreement_year = next,
                    .price = price,
                    .quantity = in->quantity,
                    .period_start = inputs.year_start[next - 1],
                    .period_end = inputs.year_end[next - 1]};
  k.n = &n;
  return contract_in_tx(call, renew_tx, &k, response);
}
