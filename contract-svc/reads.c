/* Reading contracts: GetContract (with its history) and ListContracts, each filtered to what the
 * caller may read (API.md "Who may do what"); a foreign contract is 403 whether or not it
 * exists. */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "vbp/v1/catalog.pb-c.h"

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

/* The organization that created batch_code (an alliance office reads its batches), or "" when
 * the batch is unknown. */
static vbp_status batch_creator(vbp_call *call, const char *batch_code, const char **out) {
  Vbp__V1__GetBatchRequest req = VBP__V1__GET_BATCH_REQUEST__INIT;
  req.code = (char *)batch_code;
  vbp_call_options options = {.caller = &service_caller, .request_id = vbp_call_request_id(call)};
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(contract_of(call)->catalog,
                                  vbp_method_of(&vbp__v1__catalog_service__descriptor, "GetBatch"),
                                  &req.base, &options, vbp_call_allocator(call), &answer);
  if (st.code == VBP_NOT_FOUND) {
    *out = "";
    return vbp_status_ok();
  }
  if (!vbp_ok(&st)) return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc: %s", st.message);
  *out = ((const Vbp__V1__Batch *)answer)->created_by;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- GetContract */

typedef struct get {
  const char *id;
  bool alliance; /* the caller is an alliance office: may read the batches it created */
} get;

static vbp_status get_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const get *g = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  contract_row *r = NULL;
  VBP_CHECK(contract_find(c, a, g->id, false, true, &r));
  if (!r) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "id", "names no contract");
  }
  const char *creator = NULL;
  if (g->alliance) VBP_CHECK(batch_creator(t->call, r->c->batch_code, &creator));
  if (!contract_may_read(who, r, creator)) return vbp_scope_denied();
  contract_show_state(r, vbp_today());
  t->out = &r->c->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_get) {
  const Vbp__V1__GetContractRequest *in = (const Vbp__V1__GetContractRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  get g = {.id = in->id, .alliance = vbp_call_caller(call)->role == VBP_ROLE_ALLIANCE_OFFICE};
  return contract_in_read(call, get_tx, &g, response);
}

/* ---------------------------------------------------------------- ListContracts */

typedef struct list {
  const Vbp__V1__ListContractsRequest *in;
  const char *scope_column; /* the caller's own column, or NULL */
  const char *scope_value;
  const char *region_prefix; /* a bureau's or an agency's region */
  const char *scope, *after;
  int limit;
} list;

static void *row_id(const vbp_pg_row *row) { return vbp_pg_text(row, 0); }

static vbp_status list_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const list *l = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  char today[VBP_DATE_FORMAT_MAX], limit[12], state[4];
  vbp_date_format(vbp_today(), today);
  snprintf(limit, sizeof limit, "%d", l->limit + 1);
  snprintf(state, sizeof state, "%d", (int)l->in->state);
  /* Only the filters in use are written, so that the plan keeps to an index's order. */
  const char *params[8];
  int n = 0;
  char *where = vbp_arena_printf(a, "id > $%d", ++n);
  params[n - 1] = l->after;
  if (*l->in->batch_code) {
    where = vbp_arena_printf(a, "%s AND batch_code = $%d", where, ++n);
    params[n - 1] = l->in->batch_code;
  }
  if (*l->in->party_id) {
    where = vbp_arena_printf(
        a, "%s AND (institution_id = $%d OR manufacturer_id = $%d OR distributor_id = $%d)", where,
        n + 1, n + 1, n + 1);
    params[n++] = l->in->party_id;
  }
  if (l->scope_column) {
    where = vbp_arena_printf(a, "%s AND %s = $%d", where, l->scope_column, ++n);
    params[n - 1] = l->scope_value;
  }
  if (l->region_prefix) {
    where = vbp_arena_printf(a, "%s AND starts_with(institution_region, $%d)", where, ++n);
    params[n - 1] = l->region_prefix;
  }
  if (l->in->state == VBP__V1__CONTRACT_STATE__EXPIRED) {
    /* A state that follows from the date is the same here as in GetContract. */
    where = vbp_arena_printf(a, "%s AND (state = 5 OR (state = 4 AND period_end < $%d::date))",
                             where, ++n);
    params[n - 1] = today;
  } else if (l->in->state == VBP__V1__CONTRACT_STATE__EFFECTIVE) {
    where = vbp_arena_printf(a, "%s AND state = 4 AND period_end >= $%d::date", where, ++n);
    params[n - 1] = today;
  } else if (l->in->state) {
    where = vbp_arena_printf(a, "%s AND state = $%d::smallint", where, ++n);
    params[n - 1] = state;
  }
  const char *sql =
      vbp_arena_printf(a, "SELECT id FROM contracts WHERE %s ORDER BY id LIMIT %s", where, limit);
  void **ids = NULL;
  size_t found = 0;
  VBP_CHECK(vbp_pg_query_rows(c, a, "list contracts", sql, n, params, row_id, &ids, &found));
  Vbp__V1__ListContractsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__list_contracts_response__init(r);
  if (found > (size_t)l->limit) {
    found = (size_t)l->limit;
    r->next_page_token = vbp_page_token_encode(a, contract_page_secret(t->call),
                                               vbp_call_caller(t->call), l->scope, ids[found - 1]);
  }
  r->contracts = vbp_arena_alloc(a, (found + 1) * sizeof *r->contracts);
  vbp_date day = vbp_today();
  for (size_t i = 0; i < found; i++) {
    contract_row *row = NULL;
    VBP_CHECK(contract_find(c, a, ids[i], false, false, &row));
    if (!row) continue; /* gone between the two reads: contracts are never deleted */
    contract_show_state(row, day);
    r->contracts[r->n_contracts++] = row->c;
  }
  t->out = &r->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_list) {
  const Vbp__V1__ListContractsRequest *in = (const Vbp__V1__ListContractsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  if (*in->batch_code) VBP_CHECK(vbp_need_text("batchCode", in->batch_code, 64));
  if (*in->party_id) VBP_CHECK(vbp_need_id("partyId", in->party_id));
  VBP_CHECK(vbp_opt_enum("state", in->state, &vbp__v1__contract_state__descriptor));
  list l = {.in = in};
  VBP_CHECK(vbp_page_size(in->page_size, &l.limit));
  l.scope = vbp_arena_printf(a, "contracts|%s|%s|%d", in->batch_code, in->party_id, in->state);
  VBP_CHECK(
      vbp_page_token_decode(a, contract_page_secret(call), who, l.scope, in->page_token, &l.after));
  /* Lists filter silently (API.md): each caller's own rows. */
  switch (who->role) {
    case VBP_ROLE_BUREAU:
    case VBP_ROLE_INSURANCE_AGENCY: {
      char *prefix = vbp_arena_alloc(a, 7);
      vbp_region_prefix(who->region_code, prefix);
      l.region_prefix = prefix;
      break;
    }
    case VBP_ROLE_MEDICAL_INSTITUTION:
      l.scope_column = "institution_id";
      break;
    case VBP_ROLE_MANUFACTURER:
      l.scope_column = "manufacturer_id";
      break;
    case VBP_ROLE_DISTRIBUTOR:
      l.scope_column = "distributor_id";
      break;
    case VBP_ROLE_ALLIANCE_OFFICE: {
      /* The batches it created: a list of one of them, nothing else. */
      const char *creator = "";
      if (*in->batch_code) VBP_CHECK(batch_creator(call, in->batch_code, &creator));
      if (strcmp(creator, who->org_id) != 0) {
        Vbp__V1__ListContractsResponse *r = vbp_arena_alloc(a, sizeof *r);
        vbp__v1__list_contracts_response__init(r);
        *response = &r->base;
        return vbp_status_ok();
      }
      break;
    }
    default:
      break;
  }
  if (l.scope_column) l.scope_value = who->org_id;
  return contract_in_read(call, list_tx, &l, response);
}
