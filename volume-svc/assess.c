/* Assessment (V6): per allocation unit x variety (品种) of an agreement year, whether every winning
 * product met its agreed quantity and non-winning purchases stayed within the cap, with the
 * exemptions (不纳入考核) and supply issues applied purchase by purchase. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

/* ---------------------------------------------------------------- varieties */

/* The batch's varieties, numbered in byte order of their names (so that SQL can order and page
 * by the number as C orders the names), with what V6 needs of each. */
typedef struct variety {
  const char *name;
  const char **winning; /* its WINNING products, by id */
  size_t n_winning;
  vbp_money lowest_price; /* the least winning price among them; 0 when none has one */
} variety;

typedef struct varieties {
  variety *v;
  size_t n;
  int *of_product; /* inputs->products[i]'s variety */
} varieties;

static int by_name(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int find_name(const varieties *vs, const char *name) {
  size_t lo = 0, hi = vs->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(vs->v[mid].name, name);
    if (c == 0) return (int)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* How many varieties sort at or before name: the page token's variety may have gone meanwhile,
 * and the page goes on after where it was. */
static int count_up_to(const varieties *vs, const char *name) {
  int n = 0;
  while ((size_t)n < vs->n && strcmp(vs->v[n].name, name) <= 0) n++;
  return n;
}

/* Products of a variety are every product of the batch's scope with that name (DOMAIN.md: a
 * generic name for drugs, category and function for consumables), whatever their result. */
static void varieties_of(vbp_arena *a, const vbp_batch_inputs *in, varieties *vs) {
  size_t n = in->n_products;
  const char **names = vbp_arena_alloc(a, (n ? n : 1) * sizeof *names);
  const char **sorted = vbp_arena_alloc(a, (n ? n : 1) * sizeof *sorted);
  for (size_t i = 0; i < n; i++) sorted[i] = names[i] = volume_variety(a, in, in->products[i]);
  qsort(sorted, n, sizeof *sorted, by_name);
  vs->v = vbp_arena_alloc(a, (n ? n : 1) * sizeof *vs->v);
  vs->n = 0;
  for (size_t i = 0; i < n; i++)
    if (vs->n == 0 || strcmp(vs->v[vs->n - 1].name, sorted[i]) != 0)
      vs->v[vs->n++].name = sorted[i];
  vs->of_product = vbp_arena_alloc(a, (n ? n : 1) * sizeof *vs->of_product);
  for (size_t i = 0; i < n; i++) {
    vs->of_product[i] = find_name(vs, names[i]);
    if (vbp_batch_status_of(in, in->products[i]->id) == VOLUME_WINNING)
      vs->v[vs->of_product[i]].n_winning++;
  }
  for (size_t k = 0; k < vs->n; k++) {
    vs->v[k].winning = vbp_arena_alloc(a, (vs->v[k].n_winning + 1) * sizeof(const char *));
    vs->v[k].n_winning = 0;
  }
  /* in->products is sorted by id, so each variety's winning products come out by id. */
  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__Result *r = vbp_batch_result(in, in->products[i]->id);
    if (!r || (int)r->status != VOLUME_WINNING) continue;
    variety *v = &vs->v[vs->of_product[i]];
    v->winning[v->n_winning++] = in->products[i]->id;
    vbp_money price = vbp_result_winning_price(r);
    if (price > 0 && (v->lowest_price == 0 || price < v->lowest_price)) v->lowest_price = price;
  }
}

/* The variety of product id (inputs->products is sorted by id), or -1 outside the batch's scope. */
static int variety_of_product(const vbp_batch_inputs *in, const varieties *vs, const char *id) {
  size_t lo = 0, hi = in->n_products;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(in->products[mid]->id, id);
    if (c == 0) return vs->of_product[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* ---------------------------------------------------------------- the page */

typedef struct assess_query {
  const Vbp__V1__AssessRequest *in;
  const vbp_batch_inputs *inputs;
  varieties vs;
  const char *unit_id;       /* an institution: its unit only */
  const char *region_prefix; /* a bureau: the institutions in its region */
  const char *scope;
  const char *after_unit;
  int after_variety; /* the last variety shown of after_unit, or -1 */
  int limit;
} assess_query;

/* One unit x variety of the page, and its count. */
typedef struct cell {
  char *unit_id;
  int variety;
  volume_winning *winning; /* the variety's winning products, agreed and purchased */
  int64_t non_winning, all;
} cell;

static void *cell_of_row(const vbp_pg_row *row) {
  cell *c = vbp_arena_alloc(row->arena, sizeof *c);
  c->unit_id = vbp_pg_text(row, 0);
  c->variety = vbp_pg_int(row, 1);
  return c;
}

static int by_unit_variety(const void *x, const void *y) {
  const cell *p = *(const cell *const *)x, *q = *(const cell *const *)y;
  int c = strcmp(p->unit_id, q->unit_id);
  return c ? c : p->variety - q->variety;
}

static cell *find_cell(cell **cells, size_t n, const char *unit_id, int v) {
  cell key = {.unit_id = (char *)unit_id, .variety = v}, *k = &key;
  cell **hit = bsearch(&k, cells, n, sizeof *cells, by_unit_variety);
  return hit ? *hit : NULL;
}

static volume_winning *find_winning(cell *c, size_t n, const char *product_id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(c->winning[i].product_id, product_id) == 0) return &c->winning[i];
  return NULL;
}

/* A unit's agreed quantity of a product, or a unit's purchases of a product in one bucket. */
typedef struct unit_product {
  char *unit_id, *product_id, *issue_product;
  bool cheap;
  int64_t quantity;
} unit_product;

static void *agreed_of_row(const vbp_pg_row *row) {
  unit_product *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->unit_id = vbp_pg_text(row, 0);
  r->product_id = vbp_pg_text(row, 1);
  r->quantity = vbp_pg_int64(row, 2);
  return r;
}

static void *bucket_of_row(const vbp_pg_row *row) {
  unit_product *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->unit_id = vbp_pg_text(row, 0);
  r->product_id = vbp_pg_text(row, 1);
  r->issue_product = vbp_pg_is_null(row, 2) ? NULL : vbp_pg_text(row, 2);
  r->cheap = vbp_pg_bool(row, 3);
  r->quantity = vbp_pg_int64(row, 4);
  return r;
}

/* The batch's products and their varieties as a JSON object {"product id": variety, ...}, for
 * SQL to look each allocation's product up in: a key search, where joining the allocations with
 * an unnest of the products was a nested loop comparing each allocation with every product. */
static const char *variety_map(vbp_arena *a, const vbp_batch_inputs *in, const varieties *vs) {
  json_t *map = json_object();
  if (!map) abort(); /* out of memory */
  for (size_t i = 0; i < in->n_products; i++)
    if (json_object_set_new(map, in->products[i]->id, json_integer(vs->of_product[i])) != 0)
      abort();
  char *text = json_dumps(map, JSON_COMPACT);
  json_decref(map);
  if (!text) abort();
  const char *copy = vbp_arena_strdup(a, text);
  free(text);
  return copy;
}

/* The page's unit x variety pairs, in (institution, variety) order from the token on: the year's
 * allocations of the products of each variety, which is what makes a unit assessed for it. */
static vbp_status read_cells(vbp_pg_conn *c, vbp_arena *a, const assess_query *q, void ***cells,
                             size_t *n) {
  const char *p[8];
  int np = 0;
  p[np++] = q->in->batch_code;
  p[np++] = q->in->region_code;
  p[np++] = vbp_arena_printf(a, "%d", q->in->agreement_year);
  p[np++] = variety_map(a, q->inputs, &q->vs);
  p[np++] = q->after_unit;
  p[np++] = vbp_arena_printf(a, "%d", q->after_variety);
  p[np++] = vbp_arena_printf(a, "%d", q->limit + 1);
  /* Only the filter in use is written, so the plan keeps to the primary key's order; the
   * variety is no key column, so "institution_id >= after" is what starts the scan there. A
   * product outside the batch's scope has no variety and makes no pair. */
  const char *filter = *q->unit_id         ? " AND a.institution_id = $8"
                       : *q->region_prefix ? " AND starts_with(a.institution_region, $8)"
                                           : "";
  const char *sql = vbp_arena_printf(
      a,
      "SELECT a.institution_id, v.variety FROM allocations a "
      "CROSS JOIN LATERAL (SELECT ($4::jsonb ->> a.product_id)::int AS variety) v "
      "WHERE a.batch_code = $1 AND a.region_code = $2 AND a.agreement_year = $3::int%s "
      "AND a.institution_id >= $5 AND v.variety IS NOT NULL "
      "AND (a.institution_id, v.variety) > ($5, $6::int) "
      "GROUP BY a.institution_id, v.variety ORDER BY a.institution_id, v.variety LIMIT $7::int",
      filter);
  if (*q->unit_id)
    p[np++] = q->unit_id;
  else if (*q->region_prefix)
    p[np++] = q->region_prefix;
  return vbp_pg_query_rows(c, a, "read assessed units", sql, np, p, cell_of_row, cells, n);
}

/* The page's units' allocations of the year: each winning product's agreed quantity. */
static vbp_status read_agreed(vbp_pg_conn *c, vbp_arena *a, const assess_query *q,
                              const char *units, void ***rows, size_t *n) {
  const char *p[] = {q->in->batch_code, q->in->region_code,
                     vbp_arena_printf(a, "%d", q->in->agreement_year), units};
  return vbp_pg_query_rows(
      c, a, "read agreed volumes",
      "SELECT institution_id, product_id, agreed_quantity FROM allocations "
      "WHERE batch_code = $1 AND region_code = $2 AND agreement_year = $3::int "
      "AND institution_id = ANY($4::text[])",
      4, p, agreed_of_row, rows, n);
}

/* Whether the page's units have a verified supply issue of one of the winning products
 * winning[0..n). */
static vbp_status any_issue(vbp_pg_conn *c, vbp_arena *a, const assess_query *q, const char *units,
                            const char **winning, size_t n, bool *found) {
  const char *p[] = {q->in->batch_code, q->in->region_code, units,
                     vbp_pg_text_array(a, winning, n)};
  int64_t count = 0;
  VBP_CHECK(vbp_pg_get_int64(c, "look for supply issues",
                             "SELECT count(*) FROM supply_issues WHERE batch_code = $1 "
                             "AND region_code = $2 AND unit_id = ANY($3::text[]) AND verified "
                             "AND product_id = ANY($4::text[])",
                             4, p, "count(*) gave no row", &count));
  *found = count > 0;
  return vbp_status_ok();
}

/* The page's units' purchases of the year, of the products of the page's varieties, summed per
 * unit x product x the two things V6 asks of each purchase of a product that did not win (a
 * winning product's purchases count whatever they are): whether it lies in a verified supply
 * issue of the unit's of a winning product of the same variety (and of which: the lowest id when
 * several overlap), and whether it was bought below the variety's lowest winning price at a
 * quality that exempts it (thresholds from C). One pass over the units' rows of
 * purchases_by_unit. Both questions cost per purchase, so each is written only when it can be
 * answered yes: the issue when the units have one at all (asked first: issues are few), the price
 * for the products with a threshold; otherwise the purchases are only summed. All purchases of
 * the year lie in the cycle (V9 numbers none outside it), so none is left out for being after its
 * end. */
static vbp_status read_buckets(vbp_pg_conn *c, vbp_arena *a, const assess_query *q,
                               const char *units, const bool *page_variety, void ***rows,
                               size_t *n) {
  const vbp_batch_inputs *in = q->inputs;
  size_t np = in->n_products;
  const char **winning = vbp_arena_alloc(a, (np + 1) * sizeof *winning);
  const char **winning_vars = vbp_arena_alloc(a, (np + 1) * sizeof *winning_vars);
  /* The products that did not win, which the two questions are about. */
  const char **other = vbp_arena_alloc(a, (np + 1) * sizeof *other);
  const char **thresholds = vbp_arena_alloc(a, (np + 1) * sizeof *thresholds);
  const char **other_vars = vbp_arena_alloc(a, (np + 1) * sizeof *other_vars);
  size_t w = 0, o = 0;
  bool cheap = false;
  for (size_t i = 0; i < np; i++) {
    int k = q->vs.of_product[i];
    if (!page_variety[k]) continue;
    const Vbp__V1__Product *p = in->products[i];
    const char *var = vbp_arena_printf(a, "%d", k);
    int status = vbp_batch_status_of(in, p->id);
    if (status == VOLUME_WINNING) {
      winning[w] = p->id;
      winning_vars[w++] = var;
      continue;
    }
    /* A backup counts whatever its price: only a supply issue lets it in. */
    vbp_money threshold = status == VOLUME_BACKUP ? 0
                                                  : volume_cheap_threshold((int)p->quality_tier,
                                                                           q->vs.v[k].lowest_price);
    cheap = cheap || threshold > 0;
    other[o] = p->id;
    thresholds[o] = vbp_arena_printf(a, "%lld", (long long)threshold);
    other_vars[o++] = var;
  }
  bool issues = false;
  if (o > 0 && w > 0) VBP_CHECK(any_issue(c, a, q, units, winning, w, &issues));

  const char *p[9];
  int n_p = 0;
  p[n_p++] = q->in->batch_code;
  p[n_p++] = q->in->region_code;
  p[n_p++] = vbp_arena_printf(a, "%d", q->in->agreement_year);
  p[n_p++] = units;
  const char *with = "", *join = "", *issue = "NULL::text", *below = "false";
  if (issues || cheap) {
    p[n_p++] = vbp_pg_text_array(a, other, o);
    p[n_p++] = vbp_pg_text_array(a, thresholds, o);
    p[n_p++] = vbp_pg_text_array(a, other_vars, o);
    join =
        " LEFT JOIN unnest($5::text[], $6::bigint[], $7::int[])"
        " AS t(product_id, threshold, variety) USING (product_id)";
  }
  if (issues) {
    p[n_p++] = vbp_pg_text_array(a, winning, w);
    p[n_p++] = vbp_pg_text_array(a, winning_vars, w);
    with =
        "WITH issue AS MATERIALIZED ("
        " SELECT s.unit_id, s.from_day, s.to_day, s.product_id, w.variety FROM supply_issues s"
        " JOIN unnest($8::text[], $9::int[]) AS w(product_id, variety) USING (product_id)"
        " WHERE s.batch_code = $1 AND s.region_code = $2 AND s.unit_id = ANY($4::text[])"
        " AND s.verified) ";
    issue =
        "CASE WHEN t.variety IS NOT NULL THEN"
        " (SELECT min(i.product_id COLLATE \"C\") FROM issue i WHERE i.unit_id = p.unit_id"
        " AND i.variety = t.variety AND p.accepted_on BETWEEN i.from_day AND i.to_day) END";
  }
  if (cheap)
    below =
        "CASE WHEN t.threshold > 0"
        " THEN p.amount::numeric < t.threshold::numeric * p.quantity ELSE false END";
  /* A unit at a time, its range of the index read in product order; its products of other
   * varieties (a unit whose varieties span two pages) are left out in C, which is cheaper than
   * a second array in the index condition: PostgreSQL would search the index once per unit and
   * product. */
  const char *sql = vbp_arena_printf(
      a,
      "%sSELECT u.unit_id, b.product_id, b.issue_product, b.cheap, b.quantity"
      " FROM unnest($4::text[]) AS u(unit_id) CROSS JOIN LATERAL ("
      " SELECT p.product_id, %s AS issue_product, %s AS cheap, sum(p.quantity) AS quantity"
      " FROM purchases p%s"
      " WHERE p.batch_code = $1 AND p.region_code = $2 AND p.agreement_year = $3::int"
      " AND p.unit_id = u.unit_id GROUP BY 1, 2, 3) b",
      with, issue, below, join);
  return vbp_pg_query_rows(c, a, "count purchases", sql, n_p, p, bucket_of_row, rows, n);
}

static vbp_status assess_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const assess_query *q = t->in;
  const vbp_batch_inputs *in = q->inputs;
  vbp_arena *a = vbp_call_arena(t->call);
  void **found = NULL;
  size_t n = 0;
  VBP_CHECK(read_cells(c, a, q, &found, &n));
  Vbp__V1__AssessResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__assess_response__init(r);
  t->out = &r->base;
  if (n > (size_t)q->limit) {
    n = (size_t)q->limit;
    const cell *last = found[n - 1];
    r->next_page_token = vbp_page_token_encode(
        a, volume_page_secret(t->call), vbp_call_caller(t->call), q->scope,
        vbp_arena_printf(a, "%s|%s", last->unit_id, q->vs.v[last->variety].name));
  }
  if (n == 0) return vbp_status_ok();

  /* The page's cells by (unit, variety) for the look-ups below; its units and varieties. */
  cell **cells = vbp_arena_alloc(a, n * sizeof *cells);
  const char **units = vbp_arena_alloc(a, n * sizeof *units);
  bool *page_variety = vbp_arena_alloc(a, q->vs.n * sizeof *page_variety);
  size_t n_units = 0;
  for (size_t i = 0; i < n; i++) {
    cell *x = cells[i] = found[i];
    const variety *v = &q->vs.v[x->variety];
    x->winning = vbp_arena_alloc(a, (v->n_winning + 1) * sizeof *x->winning);
    for (size_t j = 0; j < v->n_winning; j++) x->winning[j].product_id = v->winning[j];
    page_variety[x->variety] = true;
    if (n_units == 0 || strcmp(units[n_units - 1], x->unit_id) != 0) units[n_units++] = x->unit_id;
  }
  qsort(cells, n, sizeof *cells, by_unit_variety);
  const char *unit_array = vbp_pg_text_array(a, units, n_units);

  void **rows = NULL;
  size_t n_rows = 0;
  VBP_CHECK(read_agreed(c, a, q, unit_array, &rows, &n_rows));
  for (size_t i = 0; i < n_rows; i++) {
    const unit_product *u = rows[i];
    int k = variety_of_product(in, &q->vs, u->product_id);
    cell *x = k < 0 ? NULL : find_cell(cells, n, u->unit_id, k);
    volume_winning *w = x ? find_winning(x, q->vs.v[k].n_winning, u->product_id) : NULL;
    if (w) w->agreed = u->quantity;
  }

  VBP_CHECK(read_buckets(c, a, q, unit_array, page_variety, &rows, &n_rows));
  for (size_t i = 0; i < n_rows; i++) {
    const unit_product *b = rows[i];
    int k = variety_of_product(in, &q->vs, b->product_id);
    cell *x = k < 0 ? NULL : find_cell(cells, n, b->unit_id, k);
    if (!x) continue; /* a variety of the unit's on another page */
    int status = vbp_batch_status_of(in, b->product_id);
    switch (volume_count_of(status, b->cheap, b->issue_product != NULL, true)) {
      case VOLUME_COUNT_WINNING: {
        /* A BACKUP bought during a verified issue stands in for the product that failed. */
        const char *credited = status == VOLUME_WINNING ? b->product_id : b->issue_product;
        volume_winning *w = find_winning(x, q->vs.v[k].n_winning, credited);
        if (w) w->purchased += b->quantity;
        x->all += b->quantity;
        break;
      }
      case VOLUME_COUNT_NON_WINNING:
        x->non_winning += b->quantity;
        x->all += b->quantity;
        break;
      case VOLUME_COUNT_NONE:
        break;
    }
  }

  r->rows = vbp_arena_alloc(a, n * sizeof *r->rows);
  r->n_rows = n;
  for (size_t i = 0; i < n; i++) {
    const cell *x = found[i]; /* the answer keeps the query's order */
    const variety *v = &q->vs.v[x->variety];
    Vbp__V1__AssessmentRow *row = vbp_arena_alloc(a, sizeof *row);
    vbp__v1__assessment_row__init(row);
    row->institution_id = x->unit_id;
    row->generic_name = (char *)v->name;
    char(*reasons)[VOLUME_REASON_MAX] = vbp_arena_alloc(a, (v->n_winning + 1) * sizeof *reasons);
    bool passed = false;
    size_t n_reasons = volume_assess_variety(x->winning, v->n_winning, x->non_winning, x->all,
                                             in->cap_percent, reasons, v->n_winning + 1, &passed);
    row->passed = passed;
    row->reasons = vbp_arena_alloc(a, (n_reasons + 1) * sizeof *row->reasons);
    row->n_reasons = n_reasons;
    for (size_t j = 0; j < n_reasons; j++) row->reasons[j] = vbp_arena_strdup(a, reasons[j]);
    r->rows[i] = row;
  }
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_assess) {
  const Vbp__V1__AssessRequest *in = (const Vbp__V1__AssessRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  if (in->agreement_year < 1) return vbp_invalid("agreementYear", "is required");
  assess_query q = {
      .in = in, .unit_id = "", .region_prefix = "", .after_unit = "", .after_variety = -1};
  VBP_CHECK(vbp_page_size(in->page_size, &q.limit));
  q.scope =
      vbp_arena_printf(a, "assess|%s|%s|%d", in->batch_code, in->region_code, in->agreement_year);
  const char *after = "";
  VBP_CHECK(
      vbp_page_token_decode(a, volume_page_secret(call), who, q.scope, in->page_token, &after));
  if (*after && !strchr(after, '|'))
    return vbp_invalid("pageToken", "is not a token of this query");

  /* Scope: lists filter silently (API.md); an institution sees its unit's (V1: a consortium
   * member is assessed with its consortium). */
  const char *ids[1] = {who->org_id};
  size_t n_ids = 0;
  if (who->role == VBP_ROLE_BUREAU) {
    char prefix[7];
    vbp_region_prefix(who->region_code, prefix);
    /* A provincial bureau of the province sees all of it: no filter to write. */
    if (strncmp(prefix, in->region_code, strlen(prefix)) != 0 || strlen(prefix) > 2)
      q.region_prefix = vbp_arena_strdup(a, prefix);
  } else if (who->role == VBP_ROLE_MEDICAL_INSTITUTION) {
    n_ids = 1;
  }

  vbp_batch_inputs inputs;
  VBP_CHECK(volume_inputs_get(call, in->batch_code, in->region_code, ids, n_ids, &inputs));
  VBP_CHECK(vbp_batch_need_year(&inputs, in->agreement_year));
  q.inputs = &inputs;
  if (n_ids) {
    const Vbp__V1__Organization *org = vbp_batch_institution(&inputs, who->org_id);
    q.unit_id = org ? volume_unit_of(org) : who->org_id;
  }
  varieties_of(a, &inputs, &q.vs);
  if (*after) {
    const char *bar = strchr(after, '|');
    q.after_unit = vbp_arena_strndup(a, after, (size_t)(bar - after));
    q.after_variety = count_up_to(&q.vs, bar + 1) - 1;
  }
  return volume_in_read(call, assess_tx, &q, response);
}
