/* Contract rows (contracts.h), and the handlers that read them or change one without signing:
 * GetContract, ListContracts, TerminateContract. */
#include "contract-svc/contracts.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/feed.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"

#define REASON_MAX 2000

/* ---------------------------------------------------------------- rows */

#define CONTRACT_COLUMNS                                                                       \
  "id, batch_code, region_code, institution_id, manufacturer_id, distributor_id, product_id, " \
  "price, quantity, agreement_year, period_start, period_end, state, kind, signed_parties, "   \
  "institution_region, area_code, coalesce(renews, '')"

const char *contract_state_name(int state) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&vbp__v1__contract_state__descriptor, state);
  return v ? v->name : "?";
}

char *contract_money(vbp_arena *a, vbp_money m) {
  char buf[32];
  return vbp_arena_strdup(a, vbp_money_format(m, buf));
}

static void *row_of(const vbp_pg_row *row) {
  contract_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  Vbp__V1__Contract *c = r->c = vbp_arena_alloc(row->arena, sizeof *c);
  vbp__v1__contract__init(c);
  c->id = vbp_pg_text(row, 0);
  c->batch_code = vbp_pg_text(row, 1);
  c->region_code = vbp_pg_text(row, 2);
  c->institution_id = vbp_pg_text(row, 3);
  c->manufacturer_id = vbp_pg_text(row, 4);
  c->distributor_id = vbp_pg_text(row, 5);
  c->product_id = vbp_pg_text(row, 6);
  c->price = contract_money(row->arena, vbp_pg_int64(row, 7));
  c->quantity = vbp_pg_int64(row, 8);
  c->agreement_year = vbp_pg_int(row, 9);
  c->period_start = vbp_pg_text(row, 10);
  c->period_end = vbp_pg_text(row, 11);
  c->state = vbp_pg_int(row, 12);
  r->kind = vbp_pg_int(row, 13);
  r->signed_parties = (unsigned)vbp_pg_int(row, 14);
  r->institution_region = vbp_pg_text(row, 15);
  r->area_code = vbp_pg_text(row, 16);
  r->renews = vbp_pg_text(row, 17);
  vbp_pg_date(row, 11, &r->period_end);
  return r;
}

static void *signature_of(const vbp_pg_row *row) {
  Vbp__V1__Signature *s = vbp_arena_alloc(row->arena, sizeof *s);
  vbp__v1__signature__init(s);
  s->party = vbp_pg_int(row, 0);
  s->signer_name = vbp_pg_text(row, 1);
  s->document_sha256 = vbp_pg_text(row, 2);
  s->on_behalf_of = vbp_pg_text(row, 3);
  s->signed_by = vbp_pg_text(row, 4);
  s->signed_at = vbp_pg_text(row, 5);
  s->key_id = vbp_pg_text(row, 6);
  s->signature = vbp_pg_text(row, 7);
  return s;
}

static void *event_of(const vbp_pg_row *row) {
  Vbp__V1__ContractEvent *e = vbp_arena_alloc(row->arena, sizeof *e);
  vbp__v1__contract_event__init(e);
  e->at = vbp_pg_text(row, 0);
  e->actor_id = vbp_pg_text(row, 1);
  e->actor_role = vbp_pg_text(row, 2);
  e->action = vbp_pg_int(row, 3);
  e->from_state = vbp_pg_int(row, 4);
  e->to_state = vbp_pg_int(row, 5);
  e->document_sha256 = vbp_pg_text(row, 6);
  e->note = vbp_pg_text(row, 7);
  e->key_id = vbp_pg_text(row, 8);
  e->signature = vbp_pg_text(row, 9);
  return e;
}

static vbp_status load_signatures(vbp_pg_conn *c, vbp_arena *a, Vbp__V1__Contract *k) {
  const char *params[] = {k->id};
  void **rows = NULL;
  VBP_CHECK(vbp_pg_query_rows(
      c, a, "read signatures",
      "SELECT party, signer_name, document_sha256, on_behalf_of, "
      "signed_by, " CONTRACT_SQL_TIME(
          "signed_at") ", key_id, signature "
                       "FROM signatures WHERE contract_id = $1 ORDER BY signed_at, party",
      1, params, signature_of, &rows, &k->n_signatures));
  k->signatures = (Vbp__V1__Signature **)rows;
  return vbp_status_ok();
}

static vbp_status load_history(vbp_pg_conn *c, vbp_arena *a, Vbp__V1__Contract *k) {
  const char *params[] = {k->id};
  void **rows = NULL;
  VBP_CHECK(
      vbp_pg_query_rows(c, a, "read contract history",
                        "SELECT " CONTRACT_SQL_TIME(
                            "at") ", actor_id, actor_role, action, "
                                  "from_state, to_state, document_sha256, note, key_id, signature "
                                  "FROM contract_events WHERE contract_id = $1 ORDER BY seq",
                        1, params, event_of, &rows, &k->n_history));
  k->history = (Vbp__V1__ContractEvent **)rows;
  return vbp_status_ok();
}

vbp_status contract_find(vbp_pg_conn *c, vbp_arena *a, const char *id, bool lock, bool history,
                         contract_row **out) {
  const char *params[] = {id};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read contract",
                            lock ? "SELECT " CONTRACT_COLUMNS
                                   " FROM contracts WHERE id = $1 FOR UPDATE"
                                 : "SELECT " CONTRACT_COLUMNS " FROM contracts WHERE id = $1",
                            1, params, row_of, &row));
  *out = row;
  if (!row) return vbp_status_ok();
  VBP_CHECK(load_signatures(c, a, (*out)->c));
  if (history) VBP_CHECK(load_history(c, a, (*out)->c));
  return vbp_status_ok();
}

vbp_status contract_list_page(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                              const char *province, const char *after, int limit,
                              contract_row ***out, size_t *n) {
  char count[12];
  snprintf(count, sizeof count, "%d", limit);
  const char *params[] = {batch_code, province, after, count};
  return vbp_pg_query_rows(c, a, "list contracts of a batch",
                           "SELECT " CONTRACT_COLUMNS
                           " FROM contracts WHERE batch_code = $1 "
                           "AND region_code = $2 AND id > $3 ORDER BY id LIMIT $4::int",
                           4, params, row_of, (void ***)out, n);
}

const char *contract_actor_role(const vbp_caller *who) {
  return who->role == VBP_ROLE_ADMIN ? "ADMIN" : vbp_role_name(who->role);
}

vbp_status contract_append(vbp_pg_conn *c, const char *contract_id, const vbp_caller *who,
                           const contract_event *e) {
  char action[4], from[4], to[4];
  snprintf(action, sizeof action, "%d", e->action);
  snprintf(from, sizeof from, "%d", e->from_state);
  snprintf(to, sizeof to, "%d", e->to_state);
  const char *params[] = {contract_id,
                          who->org_id,
                          contract_actor_role(who),
                          action,
                          from,
                          to,
                          e->document_sha256 ? e->document_sha256 : "",
                          e->note ? e->note : "",
                          e->key_id ? e->key_id : "",
                          e->signature ? e->signature : ""};
  /* The next number under the contract's row lock, which every writer of a contract holds. */
  VBP_CHECK(vbp_pg_command(c, "append contract event",
                           "INSERT INTO contract_events (contract_id, seq, actor_id, actor_role, "
                           "action, from_state, to_state, document_sha256, note, key_id, "
                           "signature) SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, "
                           "$7, $8, $9, $10 FROM contract_events WHERE contract_id = $1",
                           10, params));
  /* Every change of a contract appends an event: the change feed records it here. The first
   * event (a CREATE from no state) made it; any other changed it. */
  return contract_record(c, contract_id,
                         e->action == VBP__V1__CONTRACT_EVENT__ACTION__CREATE && e->from_state == 0
                             ? "created"
                             : "updated");
}

vbp_status contract_record(vbp_pg_conn *c, const char *contract_id, const char *action) {
  const char *params[] = {contract_id};
  PGresult *r = NULL;
  VBP_CHECK(vbp_pg_query(c, "read contract parties",
                         "SELECT batch_code, institution_region, institution_id, "
                         "manufacturer_id, distributor_id FROM contracts WHERE id = $1",
                         1, params, &r));
  if (PQntuples(r) == 1) {
    const char *parties[] = {PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4)};
    vbp_feed_add(c, &(vbp_change){.type = "contract",
                                  .id = contract_id,
                                  .action = action,
                                  .region_code = PQgetvalue(r, 0, 1),
                                  .batch_code = PQgetvalue(r, 0, 0),
                                  .parties = parties,
                                  .n_parties = 3});
  }
  PQclear(r);
  return vbp_status_ok();
}

vbp_status contract_set_state(vbp_pg_conn *c, const char *contract_id, int state,
                              unsigned signed_parties) {
  char s[4], p[12];
  snprintf(s, sizeof s, "%d", state);
  snprintf(p, sizeof p, "%u", signed_parties);
  const char *params[] = {contract_id, s, p};
  return vbp_pg_command(c, "update contract",
                        "UPDATE contracts SET state = $2, signed_parties = $3 WHERE id = $1", 3,
                        params);
}

bool contract_same(const contract_row *r, const contract_new *n) {
  const Vbp__V1__Contract *c = r->c;
  char price[32];
  vbp_money_format(n->price, price);
  return strcmp(c->batch_code, n->batch_code) == 0 &&
         strcmp(c->institution_id, n->institution_id) == 0 &&
         strcmp(c->product_id, n->product_id) == 0 &&
         strcmp(c->distributor_id, n->distributor_id ? n->distributor_id : "") == 0 &&
         c->quantity == n->quantity && c->agreement_year == n->agreement_year &&
         strcmp(c->price, price) == 0;
}

vbp_status contract_insert(vbp_pg_conn *c, vbp_arena *a, const contract_new *n,
                           const vbp_caller *who, const char *note, contract_row **out,
                           bool *created) {
  const char *id = vbp_random_id(a, "ct");
  char kind[4], year[12], price[24], quantity[24], start[VBP_DATE_FORMAT_MAX],
      end[VBP_DATE_FORMAT_MAX], state[4];
  snprintf(kind, sizeof kind, "%d", n->kind);
  snprintf(year, sizeof year, "%d", n->agreement_year);
  snprintf(price, sizeof price, "%lld", (long long)n->price);
  snprintf(quantity, sizeof quantity, "%lld", (long long)n->quantity);
  snprintf(state, sizeof state, "%d", CONTRACT_DRAFT);
  vbp_date_format(n->period_start, start);
  vbp_date_format(n->period_end, end);
  const char *params[] = {id,
                          n->batch_code,
                          n->province,
                          kind,
                          n->institution_id,
                          n->institution_region,
                          n->area_code,
                          n->manufacturer_id,
                          n->distributor_id ? n->distributor_id : "",
                          n->product_id,
                          price,
                          quantity,
                          year,
                          start,
                          end,
                          state,
                          n->renews && *n->renews ? n->renews : NULL};
  VBP_CHECK(vbp_pg_write(
      c, "insert contract",
      "INSERT INTO contracts (id, batch_code, region_code, kind, institution_id, "
      "institution_region, area_code, manufacturer_id, distributor_id, product_id, price, "
      "quantity, agreement_year, period_start, period_end, state, renews) VALUES ($1, $2, $3, $4, "
      "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
      "ON CONFLICT (batch_code, institution_id, product_id, agreement_year) DO NOTHING "
      "RETURNING 1",
      17, params, created));
  if (*created) {
    contract_event e = {.action = VBP__V1__CONTRACT_EVENT__ACTION__CREATE,
                        .to_state = CONTRACT_DRAFT,
                        .note = note};
    VBP_CHECK(contract_append(c, id, who, &e));
    return contract_find(c, a, id, false, true, out);
  }
  const char *key[] = {n->batch_code, n->institution_id, n->product_id, year};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read contract",
                            "SELECT " CONTRACT_COLUMNS " FROM contracts WHERE batch_code = $1 "
                            "AND institution_id = $2 AND product_id = $3 AND agreement_year = "
                            "$4::int",
                            4, key, row_of, &row));
  if (!row) return vbp_status_make(VBP_ABORTED, "the contract changed meanwhile; retry");
  *out = row;
  VBP_CHECK(load_signatures(c, a, (*out)->c));
  return load_history(c, a, (*out)->c);
}

/* ---------------------------------------------------------------- reading */

bool contract_may_read(const vbp_caller *who, const contract_row *r, const char *batch_created_by) {
  const Vbp__V1__Contract *c = r->c;
  switch (who->role) {
    case VBP_ROLE_ADMIN:
    case VBP_ROLE_SERVICE:
      return true;
    case VBP_ROLE_BUREAU:
    case VBP_ROLE_INSURANCE_AGENCY:
      return vbp_region_contains(who->region_code, r->institution_region);
    case VBP_ROLE_MEDICAL_INSTITUTION:
      return strcmp(who->org_id, c->institution_id) == 0;
    case VBP_ROLE_MANUFACTURER:
      return strcmp(who->org_id, c->manufacturer_id) == 0;
    case VBP_ROLE_DISTRIBUTOR:
      return strcmp(who->org_id, c->distributor_id) == 0;
    case VBP_ROLE_ALLIANCE_OFFICE:
      return batch_created_by && strcmp(who->org_id, batch_created_by) == 0;
    default:
      return false;
  }
}

void contract_show_state(contract_row *r, vbp_date today) {
  r->c->state = contract_state_on((int)r->c->state, false, r->period_end, today);
}
