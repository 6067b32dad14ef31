/* Supply issues of winning products (V6's exemption while one is verified): ReportSupplyIssue by
 * the institution, VerifySupplyIssue by a bureau whose region contains it (属地核实). */
#include <string.h>

#include "common/feed.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

#define DESCRIPTION_MAX 2000
#define COMMENT_MAX 2000

/* ---------------------------------------------------------------- store */

#define ISSUE_COLUMNS                                                                   \
  "id, batch_code, region_code, product_id, to_char(from_day, 'YYYY-MM-DD'), "          \
  "to_char(to_day, 'YYYY-MM-DD'), verified, institution_id, description, verified_by, " \
  "verify_comment, " VOLUME_SQL_TIME("verified_at") ", institution_region"

static void *issue_of_row(const vbp_pg_row *row) {
  Vbp__V1__SupplyIssue *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__supply_issue__init(r);
  r->id = vbp_pg_text(row, 0);
  r->batch_code = vbp_pg_text(row, 1);
  r->region_code = vbp_pg_text(row, 2);
  r->product_id = vbp_pg_text(row, 3);
  r->from = vbp_pg_text(row, 4);
  r->to = vbp_pg_text(row, 5);
  r->verified = vbp_pg_bool(row, 6);
  r->institution_id = vbp_pg_text(row, 7);
  r->description = vbp_pg_text(row, 8);
  r->verified_by = vbp_pg_text(row, 9);
  r->verify_comment = vbp_pg_text(row, 10);
  r->verified_at = vbp_pg_text(row, 11);
  return r;
}

/* What verifying needs beside the message: where the institution is. */
typedef struct issue_row {
  Vbp__V1__SupplyIssue *issue;
  char *institution_region;
} issue_row;

static void *issue_row_of_row(const vbp_pg_row *row) {
  issue_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->issue = issue_of_row(row);
  r->institution_region = vbp_pg_text(row, 12);
  return r;
}

/* A supply issue in the change feed: where its institution is, for the institution. */
static void record_issue(vbp_pg_conn *c, const issue_row *row, const char *action) {
  const char *parties[] = {row->issue->institution_id};
  vbp_feed_add(c, &(vbp_change){.type = "supplyIssue",
                                .id = row->issue->id,
                                .action = action,
                                .region_code = row->institution_region,
                                .batch_code = row->issue->batch_code,
                                .parties = parties,
                                .n_parties = 1});
}

/* ---------------------------------------------------------------- ReportSupplyIssue */

typedef struct report {
  const Vbp__V1__SupplyIssue *in;
  const char *id, *province, *unit_id, *institution_region;
} report;

static vbp_status report_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const report *r = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char *params[] = {
      r->id,      r->in->batch_code,     r->province,       r->in->institution_id,
      r->unit_id, r->institution_region, r->in->product_id, r->in->from,
      r->in->to,  r->in->description};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "insert supply issue",
                            "INSERT INTO supply_issues (id, batch_code, region_code, "
                            "institution_id, unit_id, institution_region, product_id, from_day, "
                            "to_day, description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, "
                            "$9::date, $10) RETURNING " ISSUE_COLUMNS,
                            10, params, issue_row_of_row, &row));
  if (!row) return vbp_status_make(VBP_INTERNAL, "insert supply issue returned no row");
  record_issue(c, row, "created");
  t->out = &((issue_row *)row)->issue->base;
  return vbp_status_ok();
}

/* The province the issue is filed in: the institution's (API.md's body names no region); a
 * regionCode given must be that province. */
static vbp_status province_of_issue(const Vbp__V1__SupplyIssue *in,
                                    const Vbp__V1__Organization *org, char province[7]) {
  if (!vbp_region_province_of(org->region_code, province))
    return vbp_invalid("institutionId", "has no region code");
  if (*in->region_code && strcmp(in->region_code, province) != 0)
    return vbp_invalid("institutionId", "is not in region %s", in->region_code);
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_report_supply_issue) {
  const Vbp__V1__SupplyIssue *in = (const Vbp__V1__SupplyIssue *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_text("batchCode", in->batch_code, 64));
  if (*in->region_code) {
    VBP_CHECK(vbp_need_province(in->region_code));
  }
  VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  VBP_CHECK(vbp_need_id("productId", in->product_id));
  vbp_date from = 0, to = 0;
  VBP_CHECK(vbp_need_date("from", in->from, &from));
  VBP_CHECK(vbp_need_date("to", in->to, &to));
  if (to < from) return vbp_invalid("to", "must not be before from (%s), got %s", in->from, in->to);
  VBP_CHECK(vbp_need_text("description", in->description, DESCRIPTION_MAX));
  /* The hospital reports its own (V6); the admin may for any. */
  if (!vbp_scope_own(vbp_call_caller(call), in->institution_id)) return vbp_scope_denied();

  vbp_batch_inputs orgs;
  const char *ids[] = {in->institution_id};
  VBP_CHECK(vbp_institutions_fetch(volume_of(call)->catalog, call, a, ids, 1, &orgs));
  const Vbp__V1__Organization *org = vbp_batch_institution(&orgs, in->institution_id);
  if (!org || org->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION)
    return vbp_invalid("institutionId", "names no medical institution");
  char province[7];
  VBP_CHECK(province_of_issue(in, org, province));
  vbp_batch_inputs inputs;
  vbp_status st = volume_inputs_get(call, in->batch_code, province, NULL, 0, &inputs);
  if (st.code == VBP_NOT_FOUND && strcmp(st.field, "regionCode") == 0)
    return vbp_invalid("batchCode", "is not executed in province %s", province);
  VBP_CHECK(st);
  /* Only a winning product's interruption exempts anything (V6: its BACKUP stands in for it). */
  if (vbp_batch_status_of(&inputs, in->product_id) != VOLUME_WINNING)
    return vbp_invalid("productId",
                       "is not a winning product of batch %s (V6: a supply issue is "
                       "of a winning product)",
                       in->batch_code);
  report r = {.in = in,
              .id = vbp_random_id(a, "si"),
              .province = vbp_arena_strdup(a, province),
              /* A consortium member's purchases count for the consortium (V1), so its issues
               * exempt them there. */
              .unit_id = volume_unit_of(org),
              .institution_region = org->region_code};
  return volume_in_tx(call, report_tx, &r, response);
}

/* ---------------------------------------------------------------- VerifySupplyIssue */

static vbp_status verify_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const Vbp__V1__VerifySupplyIssueRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  const char *key[] = {in->id};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read supply issue",
                            "SELECT " ISSUE_COLUMNS " FROM supply_issues WHERE id = $1 FOR UPDATE",
                            1, key, issue_row_of_row, &row));
  issue_row *found = row;
  if (!found) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "id", "names no supply issue");
  }
  /* 属地核实: a bureau whose region contains the institution (any level), or the admin. */
  if (!vbp_scope_region(who, found->institution_region)) return vbp_scope_denied();
  if (found->issue->verified) {
    /* Verified once: a second verification (a retry) changes nothing, not even the comment. */
    t->out = &found->issue->base;
    return vbp_status_ok();
  }
  const char *params[] = {in->id, who->org_id, in->comment};
  row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "verify supply issue",
                            "UPDATE supply_issues SET verified = true, verified_by = $2, "
                            "verify_comment = $3, verified_at = now() WHERE id = $1 "
                            "RETURNING " ISSUE_COLUMNS,
                            3, params, issue_row_of_row, &row));
  if (!row) return vbp_status_make(VBP_ABORTED, "the supply issue vanished; retry");
  record_issue(c, row, "updated");
  t->out = &((issue_row *)row)->issue->base;
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_verify_supply_issue) {
  const Vbp__V1__VerifySupplyIssueRequest *in = (const Vbp__V1__VerifySupplyIssueRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  VBP_CHECK(vbp_opt_text("comment", in->comment, COMMENT_MAX));
  return volume_in_tx(call, verify_tx, in, response);
}
