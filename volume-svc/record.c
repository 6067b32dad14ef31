/* ListRecordEntries (internal, for catalog-svc's GetEnterpriseRecord): volume-svc's kinds of an
 * enterprise's supervision record (DOMAIN.md "Supervision"): verified supply issues of its
 * products (SUPPLY_ISSUE, on the day of the verification) and purchases of them flagged above
 * the limit when recorded (ABOVE_LIMIT_PURCHASE, on the accepted date). The catalog names the
 * products (volume-svc does not know manufacturers) and the reader: a bureau sees the entries of
 * institutions in its region, the enterprise itself (and the admin) everything. */
#include <stdio.h>
#include <string.h>

#include "common/page.h"
#include "common/regions.h"
#include "common/validate.h"
#include "vbp/v1/feed.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/limits.h"

enum {
  SUPPLY_ISSUE = VBP__V1__RECORD_ENTRY__KIND__SUPPLY_ISSUE,
  ABOVE_LIMIT = VBP__V1__RECORD_ENTRY__KIND__ABOVE_LIMIT_PURCHASE
};

/* One row of either kind, as the query below answers it. */
typedef struct record_row {
  int kind;
  char *at, *key, *batch_code, *product_id, *institution_region, *institution_id;
  char *from, *to, *description, *verified_by; /* SUPPLY_ISSUE */
  int64_t quantity, amount;                    /* ABOVE_LIMIT_PURCHASE */
  char *province;
} record_row;

static void *record_row_of(const vbp_pg_row *row) {
  record_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->kind = vbp_pg_int(row, 0);
  r->at = vbp_pg_text(row, 1);
  r->key = vbp_pg_text(row, 2);
  r->batch_code = vbp_pg_text(row, 3);
  r->product_id = vbp_pg_text(row, 4);
  r->institution_region = vbp_pg_text(row, 5);
  r->institution_id = vbp_pg_text(row, 6);
  r->from = vbp_pg_text(row, 7);
  r->to = vbp_pg_text(row, 8);
  r->description = vbp_pg_text(row, 9);
  r->verified_by = vbp_pg_text(row, 10);
  r->quantity = vbp_pg_int64(row, 11);
  r->amount = vbp_pg_int64(row, 12);
  r->province = vbp_pg_text(row, 13);
  return r;
}

typedef struct record_query {
  const Vbp__V1__ListRecordEntriesRequest *in;
  const char *region_prefix; /* "" for every region */
  const char *scope, *after;
  int limit;
  record_row **rows;
  size_t n;
} record_query;

/* Ordered by kind, then (at, id) within a kind, so that a page ends at one key. Purchase ids are
 * numbers: padded so that they sort as text. */
static vbp_status record_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  record_query *q = (record_query *)t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char *after_kind = "0", *after_at = "", *after_key = "";
  if (*q->after) {
    char *key = vbp_arena_strdup(a, q->after);
    char *bar1 = strchr(key, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar2) return vbp_invalid("pageToken", "is not a token of this record");
    *bar1 = *bar2 = '\0';
    after_kind = key;
    after_at = bar1 + 1;
    after_key = bar2 + 1;
  }
  const char *params[] = {
      vbp_pg_text_array(a, (const char *const *)q->in->product_ids, q->in->n_product_ids),
      q->region_prefix,
      after_kind,
      after_at,
      after_key,
      vbp_arena_printf(a, "%d", q->limit + 1),
      vbp_arena_printf(a, "%d", SUPPLY_ISSUE),
      vbp_arena_printf(a, "%d", ABOVE_LIMIT)};
  return vbp_pg_query_rows(
      c, a, "list record entries",
      "SELECT kind, at, key, batch_code, product_id, institution_region, institution_id, "
      "from_day, to_day, description, verified_by, quantity, amount, region_code FROM ("
      "  SELECT $7::int AS kind, "
      "    to_char(verified_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS at, id AS key, "
      "    batch_code, product_id, institution_region, institution_id, "
      "    to_char(from_day, 'YYYY-MM-DD') AS from_day, to_char(to_day, 'YYYY-MM-DD') AS to_day, "
      "    description, verified_by, 0::bigint AS quantity, 0::bigint AS amount, region_code "
      "  FROM supply_issues WHERE verified AND product_id = ANY($1::text[]) "
      "    AND starts_with(institution_region, $2) "
      "  UNION ALL "
      "  SELECT $8::int, to_char(accepted_on, 'YYYY-MM-DD'), lpad(id::text, 20, '0'), "
      "    batch_code, product_id, institution_region, institution_id, '', '', '', '', "
      "    quantity, amount, region_code "
      "  FROM purchases WHERE above_limit AND product_id = ANY($1::text[]) "
      "    AND starts_with(institution_region, $2)) e "
      "WHERE (kind, at COLLATE \"C\", key COLLATE \"C\") > ($3::int, $4, $5) "
      "ORDER BY kind, at COLLATE \"C\", key COLLATE \"C\" LIMIT $6::int",
      8, params, record_row_of, (void ***)&q->rows, &q->n);
}

/* The limits in force on the purchases' accepted dates (V9), asked again of pricing-svc: a
 * purchase keeps only its flag. */
static vbp_status limits_of(vbp_call *call, record_query *q, volume_limit **out) {
  vbp_arena *a = vbp_call_arena(call);
  volume_limit *limits = vbp_arena_alloc(a, (q->n ? q->n : 1) * sizeof *limits);
  size_t m = 0;
  size_t *owner = vbp_arena_alloc(a, (q->n ? q->n : 1) * sizeof *owner);
  for (size_t i = 0; i < q->n; i++) {
    const record_row *r = q->rows[i];
    vbp_date day = 0;
    if (r->kind != ABOVE_LIMIT || !vbp_date_parse(r->at, &day)) continue;
    limits[m] = (volume_limit){.province = r->province, .product_id = r->product_id, .date = day};
    owner[m++] = i;
  }
  VBP_CHECK(volume_limits_get(call, a, limits, m));
  volume_limit *by_row = vbp_arena_alloc(a, (q->n ? q->n : 1) * sizeof *by_row);
  memset(by_row, 0, (q->n ? q->n : 1) * sizeof *by_row);
  for (size_t k = 0; k < m; k++) by_row[owner[k]] = limits[k];
  *out = by_row;
  return vbp_status_ok();
}

static Vbp__V1__RecordEntry *entry_of(vbp_arena *a, const record_row *r,
                                      const volume_limit *limit) {
  Vbp__V1__RecordEntry *e = vbp_arena_alloc(a, sizeof *e);
  vbp__v1__record_entry__init(e);
  e->kind = (Vbp__V1__RecordEntry__Kind)r->kind;
  e->at = r->at;
  e->batch_code = r->batch_code;
  e->product_id = r->product_id;
  e->region_code = r->institution_region;
  if (r->kind == SUPPLY_ISSUE) {
    e->detail = vbp_arena_printf(a,
                                 "Supply of %s to %s interrupted from %s to %s (%s), verified by "
                                 "%s.",
                                 r->product_id, r->institution_id, r->from, r->to, r->description,
                                 r->verified_by);
    return e;
  }
  char unit[VBP_MONEY_FORMAT_MAX], amount[VBP_MONEY_FORMAT_MAX], cap[VBP_MONEY_FORMAT_MAX];
  vbp_money_format(vbp_money_mul_div(r->amount, 1, r->quantity > 0 ? r->quantity : 1), unit);
  vbp_money_format(r->amount, amount);
  if (limit->known)
    e->detail = vbp_arena_printf(
        a, "%s bought %lld of %s for %s, %s a unit, above the max sale price %s in force.",
        r->institution_id, (long long)r->quantity, r->product_id, amount, unit,
        vbp_money_format(limit->limit, cap));
  else
    e->detail =
        vbp_arena_printf(a,
                         "%s bought %lld of %s for %s, %s a unit, above the max sale "
                         "price in force when recorded.",
                         r->institution_id, (long long)r->quantity, r->product_id, amount, unit);
  return e;
}

VOLUME_HANDLER(volume_list_record_entries) {
  const Vbp__V1__ListRecordEntriesRequest *in = (const Vbp__V1__ListRecordEntriesRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("organizationId", in->organization_id));
  for (size_t i = 0; i < in->n_product_ids; i++)
    VBP_CHECK(vbp_need_id(vbp_arena_printf(a, "productIds[%zu]", i), in->product_ids[i]));
  record_query q = {.in = in};
  VBP_CHECK(vbp_page_size(in->page_size, &q.limit));
  /* Who reads: everything (the enterprise itself, the admin), or a bureau its region's. Any
   * other reader sees nothing. */
  const Vbp__V1__FeedReader *reader = in->reader;
  bool everything = reader && reader->everything;
  bool bureau = reader && !everything && reader->role == VBP__V1__ORGANIZATION_KIND__BUREAU &&
                vbp_region_level_of(reader->region_code) > 0;
  char *prefix = vbp_arena_alloc(a, 7);
  *prefix = '\0';
  if (bureau) vbp_region_prefix(reader->region_code, prefix);
  q.region_prefix = prefix;
  q.scope = vbp_arena_printf(a, "record|%s|%s", in->organization_id, everything ? "*" : prefix);
  VBP_CHECK(vbp_page_token_decode(a, volume_page_secret(call), vbp_call_caller(call), q.scope,
                                  in->page_token, &q.after));

  Vbp__V1__EnterpriseRecord *out = vbp_arena_alloc(a, sizeof *out);
  vbp__v1__enterprise_record__init(out);
  *response = &out->base;
  if ((!everything && !bureau) || in->n_product_ids == 0) return vbp_status_ok();

  ProtobufCMessage *unused = NULL; /* record_tx leaves its rows in q */
  VBP_CHECK(volume_in_read(call, record_tx, &q, &unused));
  if (q.n > (size_t)q.limit) {
    q.n = (size_t)q.limit;
    const record_row *last = q.rows[q.n - 1];
    out->next_page_token =
        vbp_page_token_encode(a, volume_page_secret(call), vbp_call_caller(call), q.scope,
                              vbp_arena_printf(a, "%d|%s|%s", last->kind, last->at, last->key));
  }
  volume_limit *limits = NULL;
  VBP_CHECK(limits_of(call, &q, &limits));
  out->entries = vbp_arena_alloc(a, (q.n ? q.n : 1) * sizeof *out->entries);
  for (size_t i = 0; i < q.n; i++)
    out->entries[out->n_entries++] = entry_of(a, q.rows[i], &limits[i]);
  return vbp_status_ok();
}
