/* ListRecordEntries (internal, for catalog-svc's GetEnterpriseRecord): contract-svc's kind of an
 * enterprise's supervision record (DOMAIN.md "Supervision"): its first-year contracts, as
 * MANUFACTURER or DISTRIBUTOR, that it had not signed when the enterprises' window (C2) or the
 * consumables' 30 days (C4) closed (UNSIGNED_CONTRACT, on that day). A bureau reader sees the
 * contracts of institutions in its region, the enterprise itself (and the admin) all of them. */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/validate.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "vbp/v1/feed.pb-c.h"

/* One execution the enterprise has first-year contracts in, and when its side closed there. */
typedef struct closing {
  char *batch_code, *province;
  int kind;
  vbp_date closed_on;
  bool by_c4;
} closing;

static void *closing_of_row(const vbp_pg_row *row) {
  closing *c = vbp_arena_alloc(row->arena, sizeof *c);
  c->batch_code = vbp_pg_text(row, 0);
  c->province = vbp_pg_text(row, 1);
  c->kind = vbp_pg_int(row, 2);
  return c;
}

/* A candidate contract: first year, of a closed execution, not signed by one of the enterprise's
 * parties. */
typedef struct candidate {
  char *id, *closed_on, *batch_code, *product_id, *institution_id, *institution_region;
  char *manufacturer_id, *distributor_id;
  unsigned signed_parties;
  int state;
  vbp_date terminated_on; /* 0: never terminated */
  int64_t quantity;
  vbp_money price;
  bool by_c4;
} candidate;

static void *candidate_of_row(const vbp_pg_row *row) {
  candidate *c = vbp_arena_alloc(row->arena, sizeof *c);
  c->id = vbp_pg_text(row, 0);
  c->closed_on = vbp_pg_text(row, 1);
  c->batch_code = vbp_pg_text(row, 2);
  c->product_id = vbp_pg_text(row, 3);
  c->institution_id = vbp_pg_text(row, 4);
  c->institution_region = vbp_pg_text(row, 5);
  c->manufacturer_id = vbp_pg_text(row, 6);
  c->distributor_id = vbp_pg_text(row, 7);
  c->signed_parties = (unsigned)vbp_pg_int(row, 8);
  c->state = vbp_pg_int(row, 9);
  c->terminated_on = 0;
  if (!vbp_pg_is_null(row, 10)) vbp_pg_date(row, 10, &c->terminated_on);
  c->quantity = vbp_pg_int64(row, 11);
  c->price = vbp_pg_int64(row, 12);
  c->by_c4 = vbp_pg_bool(row, 13);
  return c;
}

typedef struct record_query {
  const char *org, *region_prefix;
  /* The first look: the executions. */
  closing **executions;
  size_t n_executions;
  /* The second: a chunk of candidates after (after_day, after_id), by (closed_on, id). */
  const char *const *batches, *const *provinces, *const *days, *const *c4;
  size_t n_closed;
  const char *after_day, *after_id;
  int chunk;
  candidate **rows;
  size_t n;
} record_query;

static vbp_status executions_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  record_query *q = (record_query *)t->in;
  const char *p[] = {q->org, q->region_prefix};
  return vbp_pg_query_rows(c, vbp_call_arena(t->call), "list record executions",
                           "SELECT DISTINCT batch_code, region_code, kind FROM contracts "
                           "WHERE agreement_year = 1 "
                           "AND (manufacturer_id = $1 OR distributor_id = $1) "
                           "AND starts_with(institution_region, $2) "
                           "ORDER BY batch_code, region_code",
                           2, p, closing_of_row, (void ***)&q->executions, &q->n_executions);
}

static vbp_status candidates_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  record_query *q = (record_query *)t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char *p[] = {q->org,
                     q->region_prefix,
                     vbp_pg_text_array(a, q->batches, q->n_closed),
                     vbp_pg_text_array(a, q->provinces, q->n_closed),
                     vbp_pg_text_array(a, q->days, q->n_closed),
                     vbp_pg_text_array(a, q->c4, q->n_closed),
                     q->after_day,
                     q->after_id,
                     vbp_arena_printf(a, "%d", q->chunk),
                     vbp_arena_printf(a, "%u", CONTRACT_PARTY_BIT(CONTRACT_MANUFACTURER)),
                     vbp_arena_printf(a, "%u", CONTRACT_PARTY_BIT(CONTRACT_DISTRIBUTOR)),
                     vbp_arena_printf(a, "%d", CONTRACT_TERMINATED)};
  return vbp_pg_query_rows(
      c, a, "list unsigned contracts",
      "SELECT k.id, x.closed_on, k.batch_code, k.product_id, k.institution_id, "
      "k.institution_region, k.manufacturer_id, k.distributor_id, k.signed_parties, k.state, "
      "(SELECT to_char(min(e.at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') "
      "   FROM contract_events e WHERE e.contract_id = k.id AND e.to_state = $12::int), "
      "k.quantity, k.price, x.c4::boolean "
      "FROM contracts k "
      "JOIN unnest($3::text[], $4::text[], $5::text[], $6::text[]) "
      "  AS x(batch_code, region_code, closed_on, c4) "
      "  ON k.batch_code = x.batch_code AND k.region_code = x.region_code "
      "WHERE k.agreement_year = 1 AND starts_with(k.institution_region, $2) "
      "AND ((k.manufacturer_id = $1 AND k.signed_parties & $10::int = 0) "
      "  OR (k.distributor_id = $1 AND k.signed_parties & $11::int = 0)) "
      "AND (x.closed_on COLLATE \"C\", k.id COLLATE \"C\") > ($7, $8) "
      "ORDER BY x.closed_on COLLATE \"C\", k.id COLLATE \"C\" LIMIT $9::int",
      12, p, candidate_of_row, (void ***)&q->rows, &q->n);
}

/* Whether the enterprise org left c unsigned (contract_left_unsigned), as its manufacturer or
 * its distributor. */
static bool left_unsigned(const char *org, const candidate *c) {
  vbp_date closed_on = 0;
  if (!vbp_date_parse(c->closed_on, &closed_on)) return false;
  bool signed_by_it = true;
  if (strcmp(c->manufacturer_id, org) == 0)
    signed_by_it = c->signed_parties & CONTRACT_PARTY_BIT(CONTRACT_MANUFACTURER);
  if (strcmp(c->distributor_id, org) == 0)
    signed_by_it = signed_by_it && (c->signed_parties & CONTRACT_PARTY_BIT(CONTRACT_DISTRIBUTOR));
  return contract_left_unsigned(signed_by_it, closed_on, c->state, c->terminated_on);
}

static Vbp__V1__RecordEntry *entry_of(vbp_arena *a, const char *org, const candidate *c) {
  Vbp__V1__RecordEntry *e = vbp_arena_alloc(a, sizeof *e);
  vbp__v1__record_entry__init(e);
  e->kind = VBP__V1__RECORD_ENTRY__KIND__UNSIGNED_CONTRACT;
  e->at = c->closed_on;
  e->batch_code = c->batch_code;
  e->product_id = c->product_id;
  e->region_code = c->institution_region;
  const char *as = strcmp(c->manufacturer_id, org) == 0 ? "manufacturer" : "distributor";
  e->detail = vbp_arena_printf(
      a, "Contract %s with %s for %lld of %s at %s was not signed by %s (%s) when %s closed on %s.",
      c->id, c->institution_id, (long long)c->quantity, c->product_id, contract_money(a, c->price),
      org, as, c->by_c4 ? "the 30 days for consumables (C4)" : "the enterprises' window (C2)",
      c->closed_on);
  return e;
}

#define CHUNK_MIN 64

CONTRACT_HANDLER(contract_list_record_entries) {
  const Vbp__V1__ListRecordEntriesRequest *in = (const Vbp__V1__ListRecordEntriesRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("organizationId", in->organization_id));
  int limit = 0;
  VBP_CHECK(vbp_page_size(in->page_size, &limit));
  /* Who reads: everything (the enterprise itself, the admin), or a bureau its region's. Any
   * other reader sees nothing. */
  const Vbp__V1__FeedReader *reader = in->reader;
  bool everything = reader && reader->everything;
  bool bureau = reader && !everything && reader->role == VBP__V1__ORGANIZATION_KIND__BUREAU &&
                vbp_region_level_of(reader->region_code) > 0;
  char *prefix = vbp_arena_alloc(a, 7);
  *prefix = '\0';
  if (bureau) vbp_region_prefix(reader->region_code, prefix);
  const char *scope =
      vbp_arena_printf(a, "record|%s|%s", in->organization_id, everything ? "*" : prefix);
  const char *after = "";
  VBP_CHECK(vbp_page_token_decode(a, contract_page_secret(call), vbp_call_caller(call), scope,
                                  in->page_token, &after));
  record_query q = {.org = in->organization_id, .region_prefix = prefix};
  q.after_day = "";
  q.after_id = "";
  if (*after) {
    char *key = vbp_arena_strdup(a, after);
    char *bar = strchr(key, '|');
    if (!bar) return vbp_invalid("pageToken", "is not a token of this record");
    *bar = '\0';
    q.after_day = key;
    q.after_id = bar + 1;
  }

  Vbp__V1__EnterpriseRecord *out = vbp_arena_alloc(a, sizeof *out);
  vbp__v1__enterprise_record__init(out);
  *response = &out->base;
  if (!everything && !bureau) return vbp_status_ok();

  ProtobufCMessage *unused = NULL; /* the reads leave their rows in q */
  VBP_CHECK(contract_in_read(call, executions_tx, &q, &unused));
  /* Where the enterprises' side has closed, by the common clock. */
  vbp_date today = vbp_today();
  const char **batches = vbp_arena_alloc(a, (q.n_executions + 1) * sizeof *batches);
  const char **provinces = vbp_arena_alloc(a, (q.n_executions + 1) * sizeof *provinces);
  const char **days = vbp_arena_alloc(a, (q.n_executions + 1) * sizeof *days);
  const char **c4 = vbp_arena_alloc(a, (q.n_executions + 1) * sizeof *c4);
  for (size_t i = 0; i < q.n_executions; i++) {
    closing *x = q.executions[i];
    contract_windows w;
    vbp_status st = contract_windows_get(call, x->batch_code, x->province, &w);
    if (st.code == VBP_NOT_FOUND) continue; /* the catalog no longer has the execution */
    VBP_CHECK(st);
    if (!contract_enterprise_closed(1, x->kind, &w, today, &x->closed_on, &x->by_c4)) continue;
    char *day = vbp_arena_alloc(a, VBP_DATE_FORMAT_MAX);
    batches[q.n_closed] = x->batch_code;
    provinces[q.n_closed] = x->province;
    days[q.n_closed] = vbp_date_format(x->closed_on, day);
    c4[q.n_closed++] = x->by_c4 ? "true" : "false";
  }
  if (q.n_closed == 0) return vbp_status_ok();
  q.batches = batches;
  q.provinces = provinces;
  q.days = days;
  q.c4 = c4;

  /* Chunks in (closed_on, id) order until the page and one more are found: the rule drops the
   * few contracts terminated before their side closed. */
  out->entries = vbp_arena_alloc(a, (size_t)(limit + 1) * sizeof *out->entries);
  const candidate *last = NULL;
  q.chunk = limit + 1 < CHUNK_MIN ? CHUNK_MIN : limit + 1;
  bool more = false;
  for (;;) {
    VBP_CHECK(contract_in_read(call, candidates_tx, &q, &unused));
    for (size_t i = 0; i < q.n && !more; i++) {
      const candidate *c = q.rows[i];
      q.after_day = c->closed_on;
      q.after_id = c->id;
      if (!left_unsigned(in->organization_id, c)) continue;
      if (out->n_entries == (size_t)limit) {
        more = true;
        break;
      }
      out->entries[out->n_entries++] = entry_of(a, in->organization_id, c);
      last = c;
    }
    if (more || q.n < (size_t)q.chunk) break;
  }
  if (more && last)
    out->next_page_token =
        vbp_page_token_encode(a, contract_page_secret(call), vbp_call_caller(call), scope,
                              vbp_arena_printf(a, "%s|%s", last->closed_on, last->id));
  return vbp_status_ok();
}
