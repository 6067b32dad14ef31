/* Demand reports and their review chain (V1): SubmitDemand, ReviewDemand. */
#include <stdio.h>
#include <string.h>

#include "common/feed.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

enum { SUBMITTED = 1, IN_REVIEW = 2, APPROVED = 3, REJECTED = 4 };

#define COMMENT_MAX 2000

static const char *const level_names[] = {"", "PROVINCE", "CITY", "COUNTY"};

/* ---------------------------------------------------------------- store */

#define REPORT_COLUMNS                                                                    \
  "id, batch_code, region_code, institution_id, group_id, quantity, last_year_quantity, " \
  "commitment_sha256, state, agreement_year, institution_region, institution_level, kind"

static void *report_of_row(const vbp_pg_row *row) {
  Vbp__V1__DemandReport *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__demand_report__init(r);
  r->id = vbp_pg_text(row, 0);
  r->batch_code = vbp_pg_text(row, 1);
  r->region_code = vbp_pg_text(row, 2);
  r->institution_id = vbp_pg_text(row, 3);
  r->group_id = vbp_pg_text(row, 4);
  r->quantity = vbp_pg_int64(row, 5);
  r->last_year_quantity = vbp_pg_int64(row, 6);
  r->commitment_sha256 = vbp_pg_text(row, 7);
  r->state = vbp_pg_int(row, 8);
  r->agreement_year = vbp_pg_int(row, 9);
  return r;
}

/* What the review needs beside the message: kept in the rows, not in the answer. */
typedef struct report_row {
  Vbp__V1__DemandReport *report;
  char *institution_region;
  int institution_level, kind;
} report_row;

static void *report_row_of_row(const vbp_pg_row *row) {
  report_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->report = report_of_row(row);
  r->institution_region = vbp_pg_text(row, 10);
  r->institution_level = vbp_pg_int(row, 11);
  r->kind = vbp_pg_int(row, 12);
  return r;
}

static void *review_of_row(const vbp_pg_row *row) {
  Vbp__V1__DemandReview *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__demand_review__init(r);
  r->level = vbp_pg_int(row, 0);
  r->approve = vbp_pg_bool(row, 1);
  r->comment = vbp_pg_text(row, 2);
  r->reviewer_id = vbp_pg_text(row, 3);
  r->at = vbp_pg_text(row, 4);
  return r;
}

static vbp_status load_reviews(vbp_pg_conn *c, vbp_arena *a, Vbp__V1__DemandReport *r) {
  const char *params[] = {r->id};
  void **rows = NULL;
  VBP_CHECK(vbp_pg_query_rows(c, a, "read demand reviews",
                              "SELECT level, approve, comment, reviewer_id, " VOLUME_SQL_TIME(
                                  "at") " FROM demand_reviews WHERE report_id = $1 ORDER BY seq",
                              1, params, review_of_row, &rows, &r->n_reviews));
  r->reviews = (Vbp__V1__DemandReview **)rows;
  return vbp_status_ok();
}

/* The report `id` (locked FOR UPDATE when lock), with its reviews; *out NULL when none. */
static vbp_status find_report(vbp_pg_conn *c, vbp_arena *a, const char *id, bool lock,
                              report_row **out) {
  const char *params[] = {id};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read demand report",
                            lock ? "SELECT " REPORT_COLUMNS " FROM demand_reports WHERE id = $1 "
                                   "FOR UPDATE"
                                 : "SELECT " REPORT_COLUMNS " FROM demand_reports WHERE id = $1",
                            1, params, report_row_of_row, &row));
  *out = row;
  if (row) VBP_CHECK(load_reviews(c, a, ((report_row *)row)->report));
  return vbp_status_ok();
}

/* A report in the change feed: where its institution is, for the institution itself. */
static void record_report(vbp_pg_conn *c, const char *id, const char *action,
                          const char *institution_region, const char *batch_code,
                          const char *institution_id) {
  const char *parties[] = {institution_id};
  vbp_feed_add(c, &(vbp_change){.type = "demandReport",
                                .id = id,
                                .action = action,
                                .region_code = institution_region,
                                .batch_code = batch_code,
                                .parties = parties,
                                .n_parties = 1});
}

/* ---------------------------------------------------------------- SubmitDemand */

typedef struct submit {
  const Vbp__V1__DemandReport *in;
  const char *id, *institution_region, *commitment;
  int institution_level, kind;
} submit;

static vbp_status submit_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const submit *s = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  char quantity[24], last_year[24], year[12], level[4], kind[4], state[4];
  snprintf(quantity, sizeof quantity, "%lld", (long long)s->in->quantity);
  snprintf(last_year, sizeof last_year, "%lld", (long long)s->in->last_year_quantity);
  snprintf(year, sizeof year, "%d", s->in->agreement_year);
  snprintf(level, sizeof level, "%d", s->institution_level);
  snprintf(kind, sizeof kind, "%d", s->kind);
  snprintf(state, sizeof state, "%d", SUBMITTED);
  const char *params[] = {s->id,
                          s->in->batch_code,
                          s->in->region_code,
                          s->in->institution_id,
                          s->institution_region,
                          level,
                          kind,
                          s->in->group_id,
                          year,
                          quantity,
                          last_year,
                          s->commitment,
                          state};
  bool wrote = false;
  VBP_CHECK(vbp_pg_write(
      c, "insert demand report",
      "INSERT INTO demand_reports (id, batch_code, region_code, institution_id, "
      "institution_region, institution_level, kind, group_id, agreement_year, quantity, "
      "last_year_quantity, commitment_sha256, state) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
      "ON CONFLICT (batch_code, region_code, institution_id, group_id, agreement_year) "
      "WHERE state <> 4 DO NOTHING RETURNING 1",
      13, params, &wrote));
  report_row *stored = NULL;
  if (wrote) {
    record_report(c, s->id, "created", s->institution_region, s->in->batch_code,
                  s->in->institution_id);
    VBP_CHECK(find_report(c, a, s->id, false, &stored));
  } else {
    /* The live report there: a retry of this one is answered with it, anything else refused. */
    const char *key[] = {s->in->batch_code, s->in->region_code, s->in->institution_id,
                         s->in->group_id, year};
    void *row = NULL;
    VBP_CHECK(vbp_pg_find_row(c, a, "read live demand report",
                              "SELECT " REPORT_COLUMNS " FROM demand_reports WHERE batch_code = $1 "
                              "AND region_code = $2 AND institution_id = $3 AND group_id = $4 "
                              "AND agreement_year = $5 AND state <> 4",
                              5, key, report_row_of_row, &row));
    stored = row;
    if (!stored) return vbp_status_make(VBP_ABORTED, "the live demand report changed; retry");
    const Vbp__V1__DemandReport *r = stored->report;
    if (r->quantity != s->in->quantity || r->last_year_quantity != s->in->last_year_quantity ||
        strcmp(r->commitment_sha256, s->commitment) != 0)
      return vbp_status_field(VBP_ALREADY_EXISTS, "groupId",
                              "already has live demand report %s for agreement year %d (V1: one "
                              "per institution, group and year until it is rejected)",
                              r->id, r->agreement_year);
    VBP_CHECK(load_reviews(c, a, stored->report));
  }
  t->out = &stored->report->base;
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_submit_demand) {
  const Vbp__V1__DemandReport *in = (const Vbp__V1__DemandReport *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  VBP_CHECK(vbp_need_id("groupId", in->group_id));
  if (in->quantity < 0) return vbp_invalid("quantity", "must not be negative");
  if (in->last_year_quantity < 0) return vbp_invalid("lastYearQuantity", "must not be negative");
  submit s = {.in = in, .commitment = vbp_arena_alloc(a, 65)};
  VBP_CHECK(vbp_need_sha256_hex("commitmentSha256", in->commitment_sha256, (char *)s.commitment));
  if (!vbp_scope_own(vbp_call_caller(call), in->institution_id)) return vbp_scope_denied();

  vbp_batch_inputs inputs;
  const char *ids[] = {in->institution_id};
  VBP_CHECK(volume_inputs_get(call, in->batch_code, in->region_code, ids, 1, &inputs));
  const Vbp__V1__Organization *org = vbp_batch_institution(&inputs, in->institution_id);
  if (!org || org->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION)
    return vbp_invalid("institutionId", "names no medical institution");
  if (*org->consortium_id)
    return vbp_invalid("institutionId",
                       "is a member of consortium %s, which reports for its members (V1)",
                       org->consortium_id);
  if (!vbp_region_contains(in->region_code, org->region_code))
    return vbp_invalid("institutionId", "is not in region %s", in->region_code);
  if (!vbp_batch_group(&inputs, in->group_id))
    return vbp_invalid("groupId", "names no group of batch %s", in->batch_code);
  VBP_CHECK(vbp_batch_need_year(&inputs, in->agreement_year));
  s.id = vbp_random_id(a, "dr");
  s.institution_region = org->region_code;
  s.institution_level = vbp_region_level_of(org->region_code);
  s.kind = inputs.kind;
  return volume_in_tx(call, submit_tx, &s, response);
}

/* ---------------------------------------------------------------- ReviewDemand */

static vbp_status review_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const Vbp__V1__ReviewDemandRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  report_row *row = NULL;
  VBP_CHECK(find_report(c, a, in->id, true, &row));
  if (!row) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "id", "names no demand report");
  }
  /* Each level by a bureau of that level whose region contains the institution's (V1). */
  if (!vbp_scope_is_admin(who) && (vbp_region_level_of(who->region_code) != (int)in->level ||
                                   !vbp_region_contains(who->region_code, row->institution_region)))
    return vbp_scope_denied();
  Vbp__V1__DemandReport *r = row->report;
  if ((int)r->state == APPROVED || (int)r->state == REJECTED)
    return vbp_invalid("level", "the report is already %s",
                       (int)r->state == APPROVED ? "APPROVED" : "REJECTED");
  int next = volume_review_next(row->kind, row->institution_level, r->n_reviews);
  if ((int)in->level != next)
    return vbp_invalid("level",
                       "must be %s next (V1: %s reports of a %s institution are reviewed "
                       "%s), got %s",
                       level_names[next], row->kind == VOLUME_DRUG ? "drug" : "consumable",
                       level_names[row->institution_level],
                       row->kind == VOLUME_DRUG ? "COUNTY -> CITY -> PROVINCE" : "CITY -> PROVINCE",
                       level_names[in->level]);
  bool approve = in->approve->value;
  int state = !approve ? REJECTED
              : volume_review_next(row->kind, row->institution_level, r->n_reviews + 1) == 0
                  ? APPROVED
                  : IN_REVIEW;
  char seq[12], level[4], state_text[4];
  snprintf(seq, sizeof seq, "%zu", r->n_reviews + 1);
  snprintf(level, sizeof level, "%d", (int)in->level);
  snprintf(state_text, sizeof state_text, "%d", state);
  const char *params[] = {r->id, seq, level, approve ? "t" : "f", in->comment, who->org_id};
  VBP_CHECK(vbp_pg_command(c, "insert demand review",
                           "INSERT INTO demand_reviews (report_id, seq, level, approve, comment, "
                           "reviewer_id) VALUES ($1, $2, $3, $4, $5, $6)",
                           6, params));
  const char *update[] = {r->id, state_text};
  VBP_CHECK(vbp_pg_command(c, "update demand report",
                           "UPDATE demand_reports SET state = $2 WHERE id = $1", 2, update));
  record_report(c, r->id, "updated", row->institution_region, r->batch_code, r->institution_id);
  r->state = state;
  VBP_CHECK(load_reviews(c, a, r));
  t->out = &r->base;
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_review_demand) {
  const Vbp__V1__ReviewDemandRequest *in = (const Vbp__V1__ReviewDemandRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  VBP_CHECK(vbp_need_enum("level", in->level, &vbp__v1__region_level__descriptor));
  if (!in->approve) return vbp_invalid("approve", "is required: true approves, false rejects");
  VBP_CHECK(vbp_opt_text("comment", in->comment, COMMENT_MAX));
  if (!in->approve->value && !*in->comment)
    return vbp_invalid("comment", "is required when rejecting: it says why");
  return volume_in_tx(call, review_tx, in, response);
}
