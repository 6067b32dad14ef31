/* Writing one contract outside signing: CreateContract (C1, C8), AssignDistributor (C8) and
 * TerminateContract. */
#include <stdio.h>
#include <string.h>

#include "common/batch_inputs.h"
#include "common/clock.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/authorizations.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "contract-svc/volume_client.h"

#define REASON_MAX 2000

/* The provincial bureau of province, or the admin (API.md "Who may do what": contracts in its
 * province are the provincial bureau's to create, generate, renew and terminate). */
/* C8: distributor_id is one the manufacturer named (and has not withdrawn) for product_id in
 * area_code. */
static vbp_status need_named(vbp_pg_conn *c, vbp_arena *a, const char *product_id,
                             const char *area_code, const char *distributor_id) {
  char **ids = NULL;
  size_t n = 0;
  VBP_CHECK(contract_named_distributors(c, a, product_id, area_code, &ids, &n));
  for (size_t i = 0; i < n; i++)
    if (strcmp(ids[i], distributor_id) == 0) return vbp_status_ok();
  return vbp_invalid("distributorId", "C8: %s is not named for product %s in area %s",
                     distributor_id, product_id, area_code);
}

/* A contract that is not there: NOT_FOUND for the admin, who may see everything, 403 for anyone
 * else (AIP-211). */
static vbp_status unknown(const vbp_caller *who) {
  if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
  return vbp_status_field(VBP_NOT_FOUND, "id", "names no contract");
}

/* ---------------------------------------------------------------- CreateContract */

typedef struct create {
  contract_new n;
  bool allocated; /* the institution has an allocation of the product for the year (C1) */
  int64_t allocated_quantity;
} create;

static vbp_status create_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const create *k = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  VBP_CHECK(need_named(c, a, k->n.product_id, k->n.area_code, k->n.distributor_id));
  if (k->allocated && k->n.quantity != k->allocated_quantity)
    return vbp_invalid("quantity", "C1: the allocated quantity is %lld",
                       (long long)k->allocated_quantity);
  contract_row *r = NULL;
  bool created = false;
  VBP_CHECK(contract_insert(c, a, &k->n, who, "CreateContract", &r, &created));
  /* One contract per institution x product x year (C1): an identical repeat answers it. */
  if (!created && !contract_same(r, &k->n))
    return vbp_status_field(VBP_ALREADY_EXISTS, "institutionId",
                            "already has contract %s for product %s in year %d (C1)", r->c->id,
                            k->n.product_id, k->n.agreement_year);
  contract_show_state(r, vbp_today());
  t->out = &r->c->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_create) {
  const Vbp__V1__Contract *in = (const Vbp__V1__Contract *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  if (!vbp_scope_provincial(vbp_call_caller(call), in->region_code)) return vbp_scope_denied();
  VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  VBP_CHECK(vbp_need_id("productId", in->product_id));
  VBP_CHECK(vbp_need_id("distributorId", in->distributor_id));
  if (in->agreement_year < 1) return vbp_invalid("agreementYear", "is required");
  if (in->quantity < 0) return vbp_invalid("quantity", "must not be negative");

  vbp_batch_inputs inputs;
  const char *ids[] = {in->institution_id};
  VBP_CHECK(vbp_batch_inputs_fetch(contract_of(call)->catalog, call, a, in->batch_code,
                                   in->region_code, ids, 1, &inputs));
  VBP_CHECK(vbp_batch_need_year(&inputs, in->agreement_year));
  const Vbp__V1__Organization *inst = vbp_batch_institution(&inputs, in->institution_id);
  if (!inst || inst->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION ||
      !vbp_region_contains(in->region_code, inst->region_code))
    return vbp_invalid("institutionId", "names no medical institution in %s", in->region_code);
  /* V1: a consortium reports, is allocated and signs as one unit for its members, so a member
   * has no contract of its own (as volume-svc refuses a member's own demand report). */
  if (*inst->consortium_id)
    return vbp_invalid("institutionId",
                       "is a member of consortium %s, which contracts for its members (V1)",
                       inst->consortium_id);
  /* C1: a winning (or backup) product of the batch, at its winning price. */
  int status = vbp_batch_status_of(&inputs, in->product_id);
  const Vbp__V1__Product *product = vbp_batch_product(&inputs, in->product_id);
  if (!product ||
      (status != VBP__V1__RESULT_STATUS__WINNING && status != VBP__V1__RESULT_STATUS__BACKUP))
    return vbp_invalid("productId", "C1: %s is not WINNING or BACKUP in batch %s", in->product_id,
                       in->batch_code);
  vbp_money price = vbp_result_winning_price(vbp_batch_result(&inputs, in->product_id));
  if (price <= 0)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "productId",
                            "C1: %s has no winning price in batch %s", in->product_id,
                            in->batch_code);
  char area[7];
  if (!contract_coordination_area(inst->region_code, area))
    return vbp_invalid("institutionId", "is in region %s, which has no coordination area",
                       inst->region_code);

  create k = {.n = {.batch_code = in->batch_code,
                    .province = in->region_code,
                    .institution_id = in->institution_id,
                    .institution_region = inst->region_code,
                    .area_code = area,
                    .manufacturer_id = product->manufacturer_id,
                    .distributor_id = in->distributor_id,
                    .product_id = in->product_id,
                    .kind = inputs.kind,
                    .agreement_year = in->agreement_year,
                    .price = price,
                    .quantity = in->quantity,
                    .period_start = inputs.year_start[in->agreement_year - 1],
                    .period_end = inputs.year_end[in->agreement_year - 1]}};
  /* C1: exactly the allocated quantity when there is one (asked before the transaction, so no
   * connection waits on volume-svc). */
  Vbp__V1__Allocation **allocations = NULL;
  size_t n_allocations = 0;
  VBP_CHECK(contract_allocations(call, a, in->batch_code, in->region_code, in->institution_id,
                                 in->agreement_year, &allocations, &n_allocations));
  for (size_t i = 0; i < n_allocations; i++)
    if (strcmp(allocations[i]->institution_id, in->institution_id) == 0 &&
        strcmp(allocations[i]->product_id, in->product_id) == 0) {
      k.allocated = true;
      k.allocated_quantity = allocations[i]->agreed_quantity;
    }
  return contract_in_tx(call, create_tx, &k, response);
}

/* ---------------------------------------------------------------- AssignDistributor */

static vbp_status assign_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const Vbp__V1__AssignDistributorRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  contract_row *r = NULL;
  VBP_CHECK(contract_find(c, a, in->id, true, false, &r));
  if (!r) return unknown(who);
  /* The manufacturer picks the distributor of its own contracts. */
  if (!vbp_scope_own(who, r->c->manufacturer_id)) return vbp_scope_denied();
  if ((int)r->c->state != CONTRACT_DRAFT || *r->c->distributor_id)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "id",
                            "is %s%s%s: only a DRAFT without a distributor is assigned one",
                            contract_state_name((int)r->c->state),
                            *r->c->distributor_id ? " with " : "", r->c->distributor_id);
  VBP_CHECK(need_named(c, a, r->c->product_id, r->area_code, in->distributor_id));
  const char *params[] = {in->id, in->distributor_id};
  VBP_CHECK(vbp_pg_command(c, "assign distributor",
                           "UPDATE contracts SET distributor_id = $2 WHERE id = $1", 2, params));
  /* C9: the history keeps it; the proto has no ASSIGN action, so a CREATE that keeps the state
   * says what the contract was completed with. */
  contract_event e = {.action = VBP__V1__CONTRACT_EVENT__ACTION__CREATE,
                      .from_state = CONTRACT_DRAFT,
                      .to_state = CONTRACT_DRAFT,
                      .note = vbp_arena_printf(a, "distributor %s assigned", in->distributor_id)};
  VBP_CHECK(contract_append(c, in->id, who, &e));
  VBP_CHECK(contract_find(c, a, in->id, false, true, &r));
  if (!r) return vbp_status_make(VBP_INTERNAL, "the contract vanished while assigned");
  contract_show_state(r, vbp_today());
  t->out = &r->c->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_assign_distributor) {
  const Vbp__V1__AssignDistributorRequest *in = (const Vbp__V1__AssignDistributorRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  VBP_CHECK(vbp_need_id("distributorId", in->distributor_id));
  return contract_in_tx(call, assign_tx, in, response);
}

/* ---------------------------------------------------------------- TerminateContract */

static vbp_status terminate_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const Vbp__V1__TerminateContractRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  contract_row *r = NULL;
  VBP_CHECK(contract_find(c, a, in->id, true, false, &r));
  if (!r) return unknown(who);
  if (!vbp_scope_provincial(who, r->c->region_code)) return vbp_scope_denied();
  int stored = (int)r->c->state;
  /* As a read shows it: a contract past its period is EXPIRED, and stays so. */
  contract_show_state(r, vbp_today());
  if (!contract_terminable((int)r->c->state))
    return vbp_status_field(VBP_FAILED_PRECONDITION, "id", "is %s: it cannot be terminated",
                            contract_state_name((int)r->c->state));
  VBP_CHECK(contract_set_state(c, in->id, CONTRACT_TERMINATED, r->signed_parties));
  contract_event e = {.action = VBP__V1__CONTRACT_EVENT__ACTION__TERMINATE,
                      .from_state = stored,
                      .to_state = CONTRACT_TERMINATED,
                      .note = in->reason};
  VBP_CHECK(contract_append(c, in->id, who, &e));
  VBP_CHECK(contract_find(c, a, in->id, false, true, &r));
  if (!r) return vbp_status_make(VBP_INTERNAL, "the contract vanished while terminated");
  contract_show_state(r, vbp_today());
  t->out = &r->c->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_terminate) {
  const Vbp__V1__TerminateContractRequest *in = (const Vbp__V1__TerminateContractRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  VBP_CHECK(vbp_need_text("reason", in->reason, REASON_MAX));
  return contract_in_tx(call, terminate_tx, in, response);
}
