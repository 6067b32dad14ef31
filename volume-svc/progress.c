/* Progress (V5): per allocation unit x product, purchased against agreed and against the time
 * elapsed in the agreement year (序时进度), and the 3-month review of winning products not bought
 * at all since the execution start (执行满3个月, notInUse). */
#include <string.h>

#include "common/clock.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

/* One page's query: the request's filters and the caller's scope, each "" when it filters
 * nothing. */
typedef struct progress_query {
  const char *batch_code, *province;
  const char *institution_id;  /* the request's, or an institution caller's own */
  const char *region_prefix;   /* a city or county asked for, narrowed by a bureau's region */
  const char *manufacturer_id; /* a manufacturer: its products */
  int agreement_year;
  vbp_date as_of;
  /* notInUse: the years and first day a purchase "since the start" may have. */
  bool not_in_use;
  const char *since_years; /* int[] literal */
  vbp_date since;
  const char *scope, *after; /* the page token's query and "institution|product", or "" */
  int limit;
} progress_query;

typedef struct progress_row {
  char *institution_id, *product_id;
  int64_t agreed, purchased;
} progress_row;

static void *progress_row_of_row(const vbp_pg_row *row) {
  progress_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->institution_id = vbp_pg_text(row, 0);
  r->product_id = vbp_pg_text(row, 1);
  r->agreed = vbp_pg_int64(row, 2);
  r->purchased = vbp_pg_int64(row, 3);
  return r;
}

/* The page's SQL: one scan of the year's allocations in key order from the token on, so a page
 * costs its own rows and never the province's million purchases. Only the filters in use are
 * written: a generic plan over "($n = '' OR ...)" loses the index order and sorts the whole year
 * instead. The year's purchases are then summed per unit of the page, one range of
 * purchases_by_unit (batch, province, year, unit) a unit read in product order, and joined to the
 * page's rows: a probe of the index per row cost about three times as much. A manufacturer's page
 * holds a product or so of each of many units, so its units' purchases are read for those
 * products only. The 3-month review asks per row whether anything was bought since the start (a
 * NOT wrapped around a scalar EXISTS, so that it is probed per row in index order rather than
 * planned as an anti-join that sorts every purchase of the province for each page); its rows have
 * bought nothing, the year's sum included. */
static const char *progress_sql(vbp_arena *a, const progress_query *q, const char ***params,
                                int *n_params) {
  const char **p = vbp_arena_alloc(a, 12 * sizeof *p);
  int n = 0;
  p[n++] = q->batch_code;
  p[n++] = q->province;
  p[n++] = vbp_arena_printf(a, "%d", q->agreement_year);
  const char *after_inst = "", *after_product = "";
  if (*q->after) {
    const char *bar = strchr(q->after, '|');
    after_inst = vbp_arena_strndup(a, q->after, (size_t)(bar - q->after));
    after_product = bar + 1;
  }
  p[n++] = after_inst;
  p[n++] = after_product;
  char day[VBP_DATE_FORMAT_MAX];
  p[n++] = vbp_arena_strdup(a, vbp_date_format(q->as_of, day));
  p[n++] = vbp_arena_printf(a, "%d", q->limit + 1);
  const char *where = "";
  if (*q->institution_id) {
    p[n++] = q->institution_id;
    where = vbp_arena_printf(a, "%s AND a.institution_id = $%d", where, n);
  }
  if (*q->region_prefix) {
    p[n++] = q->region_prefix;
    where = vbp_arena_printf(a, "%s AND starts_with(a.institution_region, $%d)", where, n);
  }
  if (*q->manufacturer_id) {
    p[n++] = q->manufacturer_id;
    where = vbp_arena_printf(a, "%s AND a.manufacturer_id = $%d", where, n);
  }
  if (q->not_in_use) {
    p[n++] = q->since_years;
    p[n++] = vbp_arena_strdup(a, vbp_date_format(q->since, day));
    where = vbp_arena_printf(
        a,
        "%s AND NOT (SELECT EXISTS (SELECT 1 FROM purchases p WHERE p.batch_code = a.batch_code "
        "AND p.region_code = a.region_code AND p.agreement_year = ANY($%d::int[]) "
        "AND p.unit_id = a.institution_id AND p.product_id = a.product_id "
        "AND p.accepted_on BETWEEN $%d::date AND $6::date))",
        where, n - 1, n);
  }
  *params = p;
  *n_params = n;
  const char *page = vbp_arena_printf(a,
                                      "SELECT a.institution_id, a.product_id, a.agreed_quantity%s "
                                      "FROM allocations a WHERE a.batch_code = $1 "
                                      "AND a.region_code = $2 AND a.agreement_year = $3::int%s "
                                      "AND (a.institution_id, a.product_id) > ($4, $5) "
                                      "ORDER BY a.institution_id, a.product_id LIMIT $7::int",
                                      q->not_in_use ? ", 0" : "", where);
  if (q->not_in_use) return page;
  return vbp_arena_printf(
      a,
      "WITH page AS MATERIALIZED (%s), "
      "unit AS (SELECT institution_id, array_agg(product_id) AS products FROM page "
      "GROUP BY institution_id), "
      "bought AS (SELECT u.institution_id, s.product_id, s.purchased FROM unit u "
      "CROSS JOIN LATERAL (SELECT p.product_id, sum(p.quantity) AS purchased FROM purchases p "
      "WHERE p.batch_code = $1 AND p.region_code = $2 AND p.agreement_year = $3::int "
      "AND p.unit_id = u.institution_id AND p.accepted_on <= $6::date%s "
      "GROUP BY p.product_id) s) "
      "SELECT g.institution_id, g.product_id, g.agreed_quantity, coalesce(b.purchased, 0) "
      "FROM page g LEFT JOIN bought b USING (institution_id, product_id) "
      "ORDER BY g.institution_id, g.product_id",
      page, *q->manufacturer_id ? " AND p.product_id = ANY (u.products)" : "");
}

static vbp_status progress_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const progress_query *q = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char **params = NULL;
  int n_params = 0;
  const char *sql = progress_sql(a, q, &params, &n_params);
  void **rows = NULL;
  size_t n = 0;
  VBP_CHECK(vbp_pg_query_rows(c, a, "read progress", sql, n_params, params, progress_row_of_row,
                              &rows, &n));
  Vbp__V1__GetProgressResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__get_progress_response__init(r);
  if (n > (size_t)q->limit) {
    n = (size_t)q->limit;
    const progress_row *last = rows[n - 1];
    r->next_page_token =
        vbp_page_token_encode(a, volume_page_secret(t->call), vbp_call_caller(t->call), q->scope,
                              vbp_arena_printf(a, "%s|%s", last->institution_id, last->product_id));
  }
  r->rows = vbp_arena_alloc(a, (n ? n : 1) * sizeof *r->rows);
  r->n_rows = n;
  for (size_t i = 0; i < n; i++) {
    const progress_row *row = rows[i];
    Vbp__V1__ProgressRow *out = vbp_arena_alloc(a, sizeof *out);
    vbp__v1__progress_row__init(out);
    out->institution_id = row->institution_id;
    out->product_id = row->product_id;
    out->agreed = row->agreed;
    out->purchased = row->purchased;
    out->completion_percent = volume_completion_percent(row->purchased, row->agreed);
    r->rows[i] = out;
  }
  t->out = &r->base;
  return vbp_status_ok();
}

static ProtobufCMessage *empty_answer(vbp_arena *a) {
  Vbp__V1__GetProgressResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__get_progress_response__init(r);
  return &r->base;
}

/* The longer of two region prefixes when one selects inside the other; NULL when they select
 * nothing in common (a bureau asking about a region beside its own). */
static const char *narrower(const char *x, const char *y) {
  if (strncmp(x, y, strlen(x)) == 0) return y;
  if (strncmp(y, x, strlen(y)) == 0) return x;
  return NULL;
}

/* The region asked about: regionCode, else a bureau's own region or an institution's own
 * province (API.md leaves it optional; the other callers have no region to default to). */
static vbp_status region_of_request(vbp_arena *a, const Vbp__V1__GetProgressRequest *in,
                                    const vbp_caller *who, const char **region) {
  *region = in->region_code;
  if (!**region && who->role == VBP_ROLE_BUREAU) *region = who->region_code;
  if (!**region && who->role == VBP_ROLE_MEDICAL_INSTITUTION) {
    char province[7];
    if (vbp_region_province_of(who->region_code, province)) *region = vbp_arena_strdup(a, province);
  }
  return vbp_need_region_code("regionCode", *region);
}

/* The years ("{0,1,2}" as an int[]) a purchase accepted from the execution start up to as_of may
 * have: those of the cycle up to as_of's, and 0 (outside the cycle) once as_of is past the cycle's
 * end. */
static const char *since_years(vbp_arena *a, const vbp_batch_inputs *inputs, vbp_date as_of) {
  int last = vbp_batch_year_of(inputs, as_of);
  bool after_cycle = as_of > vbp_batch_cycle_last_day(inputs);
  if (after_cycle) last = (int)inputs->n_years;
  const char *years = after_cycle ? "0" : "";
  for (int y = 1; y <= last; y++)
    years = vbp_arena_printf(a, "%s%s%d", years, *years ? "," : "", y);
  return vbp_arena_printf(a, "{%s}", years);
}

/* The page token's place in the query: decoded against the query's scope (its agreement year
 * resolved) into q->scope and q->after. */
static vbp_status progress_after(vbp_call *call, const Vbp__V1__GetProgressRequest *in,
                                 const char *region, progress_query *q) {
  vbp_arena *a = vbp_call_arena(call);
  char day[VBP_DATE_FORMAT_MAX];
  q->scope =
      vbp_arena_printf(a, "progress|%s|%s|%s|%d|%s|%d", in->batch_code, region, in->institution_id,
                       q->agreement_year, vbp_date_format(q->as_of, day), (int)in->not_in_use);
  VBP_CHECK(vbp_page_token_decode(a, volume_page_secret(call), vbp_call_caller(call), q->scope,
                                  in->page_token, &q->after));
  if (*q->after && !strchr(q->after, '|'))
    return vbp_invalid("pageToken", "is not a token of this query");
  return vbp_status_ok();
}

/* The days elapsed in the year, the same for every row: one year, one day. */
static void set_elapsed(ProtobufCMessage *response, const vbp_batch_inputs *inputs, int year,
                        vbp_date as_of) {
  Vbp__V1__GetProgressResponse *r = (Vbp__V1__GetProgressResponse *)response;
  int percent =
      volume_elapsed_percent(inputs->year_start[year - 1], inputs->year_end[year - 1], as_of);
  for (size_t i = 0; i < r->n_rows; i++) r->rows[i]->elapsed_percent = percent;
}

VOLUME_HANDLER(volume_get_progress) {
  const Vbp__V1__GetProgressRequest *in = (const Vbp__V1__GetProgressRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_text("batchCode", in->batch_code, 64));
  const char *region = NULL;
  VBP_CHECK(region_of_request(a, in, who, &region));
  if (*in->institution_id) VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  if (in->agreement_year < 0) return vbp_invalid("agreementYear", "must not be negative");
  vbp_date as_of = 0;
  bool as_of_given = false;
  VBP_CHECK(vbp_opt_date("asOf", in->as_of, &as_of, &as_of_given));
  if (!as_of_given) as_of = vbp_today();
  progress_query q = {.batch_code = in->batch_code,
                      .institution_id = in->institution_id,
                      .manufacturer_id = "",
                      .as_of = as_of,
                      .not_in_use = in->not_in_use};
  VBP_CHECK(vbp_page_size(in->page_size, &q.limit));
  char province[7], prefix[7];
  vbp_region_province_of(region, province);
  q.province = province;
  /* A city or county narrows the execution's province to the institutions in it. */
  vbp_region_prefix(region, prefix);
  q.region_prefix = prefix;

  /* Scope: lists filter silently (API.md). */
  if (who->role == VBP_ROLE_BUREAU) {
    char own[7];
    vbp_region_prefix(who->region_code, own);
    q.region_prefix = narrower(prefix, own);
    if (!q.region_prefix) {
      *response = empty_answer(a);
      return vbp_status_ok();
    }
    q.region_prefix = vbp_arena_strdup(a, q.region_prefix);
  } else if (who->role == VBP_ROLE_MEDICAL_INSTITUTION) {
    if (*in->institution_id && strcmp(in->institution_id, who->org_id) != 0) {
      *response = empty_answer(a);
      return vbp_status_ok();
    }
    q.institution_id = who->org_id;
  } else if (who->role == VBP_ROLE_MANUFACTURER) {
    q.manufacturer_id = who->org_id;
  }
  /* The whole province is what region_code = province already selects. */
  if (strlen(q.region_prefix) == 2) q.region_prefix = "";

  q.agreement_year = in->agreement_year;
  if (q.agreement_year > 0 && !q.not_in_use) {
    /* The page's query needs nothing of the catalog here, so it runs while catalog-svc answers
     * (its price-input version, a round trip of about 1 ms a page: inputs.c); the inputs are
     * then checked as if they had come first, their refusals before anything else. */
    vbp_batch_inputs_ask *ask = volume_inputs_start(call, in->batch_code, province);
    vbp_status page = progress_after(call, in, region, &q);
    if (vbp_ok(&page)) page = volume_in_read(call, progress_tx, &q, response);
    vbp_batch_inputs inputs;
    VBP_CHECK(vbp_batch_inputs_answer(ask, &inputs));
    VBP_CHECK(vbp_batch_need_year(&inputs, q.agreement_year));
    VBP_CHECK(page);
    set_elapsed(*response, &inputs, q.agreement_year, as_of);
    return vbp_status_ok();
  }

  vbp_batch_inputs inputs;
  VBP_CHECK(volume_inputs_get(call, in->batch_code, province, NULL, 0, &inputs));
  if (q.agreement_year == 0) {
    /* V5: a purchase belongs to the year containing its accepted date; so does the as-of day. */
    q.agreement_year = vbp_batch_year_of(&inputs, as_of);
    if (q.agreement_year == 0) {
      char day[VBP_DATE_FORMAT_MAX];
      return vbp_invalid("agreementYear",
                         "is required: asOf %s lies outside the cycle of batch %s in %s",
                         vbp_date_format(as_of, day), in->batch_code, province);
    }
  } else {
    VBP_CHECK(vbp_batch_need_year(&inputs, q.agreement_year));
  }
  VBP_CHECK(progress_after(call, in, region, &q));
  if (q.not_in_use) {
    /* V5 执行满3个月: nothing to review before three months of execution have passed. */
    if (as_of < volume_in_use_review_from(inputs.execution_start)) {
      *response = empty_answer(a);
      return vbp_status_ok();
    }
    q.since = inputs.execution_start;
    q.since_years = since_years(a, &inputs, as_of);
  }
  VBP_CHECK(volume_in_read(call, progress_tx, &q, response));
  set_elapsed(*response, &inputs, q.agreement_year, as_of);
  return vbp_status_ok();
}
