/* The insurance prepayment (V7) of one allocation unit for one agreement year: the prepaid share of
 * its agreed amount, offset by its purchases of those products, and when the balance is
 * reclaimed. */
#include <stdio.h>
#include <string.h>

#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/inputs.h"
#include "volume-svc/rules.h"

typedef struct prepayment_query {
  const Vbp__V1__GetPrepaymentRequest *in;
  const vbp_batch_inputs *inputs;
  const char *province;
} prepayment_query;

/* One allocation of the unit, with what it bought of that product in the year. */
typedef struct agreed_product {
  int64_t agreed;
  vbp_money price, purchased;
} agreed_product;

static void *agreed_product_of_row(const vbp_pg_row *row) {
  agreed_product *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->agreed = vbp_pg_int64(row, 0);
  r->price = vbp_pg_int64(row, 1);
  r->purchased = vbp_pg_int64(row, 2);
  return r;
}

static char *money_text(vbp_arena *a, vbp_money m) {
  char buf[VBP_MONEY_FORMAT_MAX];
  return vbp_arena_strdup(a, vbp_money_format(m, buf));
}

static bool add(vbp_money *sum, vbp_money m) { return !__builtin_add_overflow(*sum, m, sum); }

static vbp_status prepayment_tx(vbp_pg_conn *c, void *ctx) {
  volume_tx *t = ctx;
  const prepayment_query *q = t->in;
  const Vbp__V1__GetPrepaymentRequest *in = q->in;
  vbp_arena *a = vbp_call_arena(t->call);
  char year[12];
  snprintf(year, sizeof year, "%d", in->agreement_year);
  const char *params[] = {in->batch_code, q->province, year, in->institution_id};
  void **rows = NULL;
  size_t n = 0;
  /* The purchases of each allocated product in the year (purchases_by_unit), whenever made:
   * none is recorded before its acceptance, so all of them are made by now. */
  VBP_CHECK(vbp_pg_query_rows(
      c, a, "read prepayment",
      "SELECT a.agreed_quantity, a.winning_price, "
      "(SELECT coalesce(sum(p.amount), 0) FROM purchases p WHERE p.batch_code = a.batch_code "
      "AND p.region_code = a.region_code AND p.agreement_year = a.agreement_year "
      "AND p.unit_id = a.institution_id AND p.product_id = a.product_id) "
      "FROM allocations a WHERE a.batch_code = $1 AND a.region_code = $2 "
      "AND a.agreement_year = $3::int AND a.institution_id = $4",
      4, params, agreed_product_of_row, &rows, &n));
  if (n == 0)
    return vbp_status_field(VBP_NOT_FOUND, "institutionId",
                            "has no agreed volume in batch %s, agreement year %d", in->batch_code,
                            in->agreement_year);
  int rate = volume_prepayment_rate(q->inputs->kind);
  vbp_money agreed = 0, prepaid = 0, purchased = 0;
  for (size_t i = 0; i < n; i++) {
    const agreed_product *p = rows[i];
    vbp_money amount = 0;
    /* V7: each product's prepayment is rounded on its own, then summed. */
    if (!volume_agreed_amount(p->agreed, p->price, &amount) || !add(&agreed, amount) ||
        !add(&prepaid, volume_prepaid(amount, rate)) || !add(&purchased, p->purchased))
      return vbp_status_make(VBP_INTERNAL, "the prepayment of %s overflows", in->institution_id);
  }
  vbp_money offset = volume_offset(purchased, prepaid);
  Vbp__V1__Prepayment *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__prepayment__init(r);
  r->rate = rate;
  r->agreed_amount = money_text(a, agreed);
  r->prepaid = money_text(a, prepaid);
  r->offset = money_text(a, offset);
  r->balance = money_text(a, prepaid - offset);
  char day[VBP_DATE_FORMAT_MAX];
  r->reclaim_due = vbp_arena_strdup(
      a, vbp_date_format(volume_reclaim_due(vbp_batch_cycle_last_day(q->inputs)), day));
  t->out = &r->base;
  return vbp_status_ok();
}

VOLUME_HANDLER(volume_get_prepayment) {
  const Vbp__V1__GetPrepaymentRequest *in = (const Vbp__V1__GetPrepaymentRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  VBP_CHECK(vbp_need_text("batchCode", in->batch_code, 64));
  if (in->agreement_year < 1) return vbp_invalid("agreementYear", "is required");
  /* The institution itself (or the admin), or a bureau or insurance agency over its region
   * (API.md: prepayments in its region); anyone else is refused before learning anything. */
  bool own = vbp_scope_own(who, in->institution_id);
  bool regional = who->role == VBP_ROLE_BUREAU || who->role == VBP_ROLE_INSURANCE_AGENCY;
  if (!own && !regional) return vbp_scope_denied();

  vbp_batch_inputs orgs;
  const char *ids[] = {in->institution_id};
  VBP_CHECK(vbp_institutions_fetch(volume_of(call)->catalog, call, a, ids, 1, &orgs));
  const Vbp__V1__Organization *org = vbp_batch_institution(&orgs, in->institution_id);
  if (!org || org->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION) {
    if (!own) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "institutionId", "names no medical institution");
  }
  if (!own && !vbp_region_contains(who->region_code, org->region_code)) return vbp_scope_denied();
  /* Its allocations are in the execution of its own province. */
  char province[7];
  if (!vbp_region_province_of(org->region_code, province))
    return vbp_status_make(VBP_INTERNAL, "institution %s has no region", org->id);

  vbp_batch_inputs inputs;
  vbp_status st = volume_inputs_get(call, in->batch_code, province, NULL, 0, &inputs);
  if (st.code == VBP_NOT_FOUND && strcmp(st.field, "regionCode") == 0)
    return vbp_status_field(VBP_NOT_FOUND, "batchCode",
                            "is not executed in province %s, where institution %s is", province,
                            org->id);
  VBP_CHECK(st);
  VBP_CHECK(vbp_batch_need_year(&inputs, in->agreement_year));
  prepayment_query q = {.in = in, .inputs = &inputs, .province = province};
  return volume_in_read(call, prepayment_tx, &q, response);
}
