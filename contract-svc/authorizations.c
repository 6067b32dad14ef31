/* The authorisations contracts rest on (authorizations.h): AuthorizeDistributor and
 * WithdrawDistributor (C8: the distributors a manufacturer names per product and coordination
 * area), AuthorizeAgency (C3: an insurance agency confirms drug contracts for a hospital). */
#include "contract-svc/authorizations.h"

#include <string.h>

#include "common/batch_inputs.h"
#include "common/clock.h"
#include "common/feed.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"

#define BATCH_CODE_MAX 64

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

/* ---------------------------------------------------------------- what the contracts ask */

static void *text_of(const vbp_pg_row *row) { return vbp_pg_text(row, 0); }

vbp_status contract_named_distributors(vbp_pg_conn *c, vbp_arena *a, const char *product_id,
                                       const char *area_code, char ***ids, size_t *n) {
  const char *params[] = {product_id, area_code};
  void **rows = NULL;
  size_t count = 0;
  /* FOR SHARE: a contract written on the strength of a naming holds it until it commits, so a
   * withdrawal (FOR UPDATE) waits and then sees that contract, or wins and is not seen here. */
  VBP_CHECK(vbp_pg_query_rows(c, a, "read named distributors",
                              "SELECT distributor_id FROM distributor_authorizations "
                              "WHERE product_id = $1 AND region_code = $2 AND withdrawn_at IS NULL "
                              "ORDER BY distributor_id FOR SHARE",
                              2, params, text_of, &rows, &count));
  *ids = (char **)rows;
  *n = count;
  return vbp_status_ok();
}

vbp_status contract_agency_authorized(vbp_pg_conn *c, const char *institution_id,
                                      const char *agency_id, const char *batch_code,
                                      bool *authorized) {
  const char *params[] = {institution_id, agency_id, batch_code};
  int64_t count = 0;
  VBP_CHECK(vbp_pg_get_int64(c, "read agency authorization",
                             "SELECT count(*) FROM agency_authorizations WHERE institution_id = $1 "
                             "AND agency_id = $2 AND batch_code = $3",
                             3, params, "count(*) gave no row", &count));
  *authorized = count > 0;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- the catalog */

/* method of CatalogService on req as a SERVICE caller; *found false (and OK) when the catalog
 * knows no such thing. */
static vbp_status catalog_get(vbp_call *call, const char *method, const ProtobufCMessage *req,
                              ProtobufCMessage **answer, bool *found) {
  vbp_call_options options = {.caller = &service_caller, .request_id = vbp_call_request_id(call)};
  vbp_status st = vbp_client_call(contract_of(call)->catalog,
                                  vbp_method_of(&vbp__v1__catalog_service__descriptor, method), req,
                                  &options, vbp_call_allocator(call), answer);
  /* INVALID_ARGUMENT too: an id the catalog would not even look up names nothing there. */
  if (st.code == VBP_NOT_FOUND || st.code == VBP_INVALID_ARGUMENT) {
    *found = false;
    return vbp_status_ok();
  }
  if (!vbp_ok(&st)) return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc: %s", st.message);
  *found = true;
  return vbp_status_ok();
}

static vbp_status find_product(vbp_call *call, const char *id, const Vbp__V1__Product **out) {
  Vbp__V1__GetProductRequest req = VBP__V1__GET_PRODUCT_REQUEST__INIT;
  req.id = (char *)id;
  ProtobufCMessage *answer = NULL;
  bool found = false;
  VBP_CHECK(catalog_get(call, "GetProduct", &req.base, &answer, &found));
  *out = found ? (const Vbp__V1__Product *)answer : NULL;
  return vbp_status_ok();
}

static vbp_status find_batch(vbp_call *call, const char *code, const Vbp__V1__Batch **out) {
  Vbp__V1__GetBatchRequest req = VBP__V1__GET_BATCH_REQUEST__INIT;
  req.code = (char *)code;
  ProtobufCMessage *answer = NULL;
  bool found = false;
  VBP_CHECK(catalog_get(call, "GetBatch", &req.base, &answer, &found));
  *out = found ? (const Vbp__V1__Batch *)answer : NULL;
  return vbp_status_ok();
}

static Google__Protobuf__Empty *empty_answer(vbp_arena *a) {
  Google__Protobuf__Empty *empty = vbp_arena_alloc(a, sizeof *empty);
  google__protobuf__empty__init(empty);
  return empty;
}

/* ---------------------------------------------------------------- AuthorizeDistributor */

#define DISTRIBUTOR_COLUMNS                                                           \
  "id, manufacturer_id, product_id, distributor_id, region_code, " CONTRACT_SQL_TIME( \
      "created_at") ", withdrawn_at IS NOT NULL"

static void *distributor_of(const vbp_pg_row *row) {
  Vbp__V1__Authorization *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__authorization__init(r);
  r->id = vbp_pg_text(row, 0);
  r->kind = VBP__V1__AUTHORIZATION__KIND__DISTRIBUTOR;
  r->manufacturer_id = vbp_pg_text(row, 1);
  r->product_id = vbp_pg_text(row, 2);
  r->distributor_id = vbp_pg_text(row, 3);
  r->region_code = vbp_pg_text(row, 4);
  r->created_at = vbp_pg_text(row, 5);
  return r;
}

/* A distributor authorization in the change feed: for its manufacturer and distributor, in its
 * coordination area. */
static void record_distributor(vbp_pg_conn *c, const Vbp__V1__Authorization *z,
                               const char *action) {
  const char *parties[] = {z->manufacturer_id, z->distributor_id};
  vbp_feed_add(c, &(vbp_change){.type = "distributorAuthorization",
                                .id = z->id,
                                .action = action,
                                .region_code = z->region_code,
                                .parties = parties,
                                .n_parties = 2});
}

typedef struct authorize {
  const Vbp__V1__AuthorizeDistributorRequest *in;
  const char *id;
  int kind; /* the product's */
} authorize;

static vbp_status authorize_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const authorize *z = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char *area[] = {z->in->product_id, z->in->region_code};
  /* C8 counts the namings of a product in an area: one writer of them at a time. */
  VBP_CHECK(vbp_pg_command(c, "lock distributor authorizations",
                           "SELECT pg_advisory_xact_lock(hashtext($1::text || '|' || $2::text))", 2,
                           area));
  const char *key[] = {z->in->product_id, z->in->region_code, z->in->distributor_id};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read distributor authorization",
                            "SELECT " DISTRIBUTOR_COLUMNS " FROM distributor_authorizations "
                            "WHERE product_id = $1 AND region_code = $2 AND distributor_id = $3 "
                            "AND withdrawn_at IS NULL",
                            3, key, distributor_of, &row));
  if (row) { /* named already: a retry, answered with the naming that stands */
    t->out = &((Vbp__V1__Authorization *)row)->base;
    return vbp_status_ok();
  }
  int64_t named = 0;
  VBP_CHECK(
      vbp_pg_get_int64(c, "count distributor authorizations",
                       "SELECT count(*) FROM distributor_authorizations WHERE product_id = $1 "
                       "AND region_code = $2 AND withdrawn_at IS NULL",
                       2, area, "count(*) gave no row", &named));
  int cap = contract_distributor_cap(z->kind);
  if (named >= cap)
    return vbp_invalid("distributorId",
                       "C8: at most %d distributors per coordination area for a %s; product %s "
                       "has %lld named in %s (withdraw one first)",
                       cap, z->kind == CONTRACT_DRUG ? "drug" : "consumable", z->in->product_id,
                       (long long)named, z->in->region_code);
  const char *params[] = {z->id, z->in->manufacturer_id, z->in->product_id, z->in->distributor_id,
                          z->in->region_code};
  row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "insert distributor authorization",
                            "INSERT INTO distributor_authorizations (id, manufacturer_id, "
                            "product_id, distributor_id, region_code) VALUES ($1, $2, $3, $4, $5) "
                            "RETURNING " DISTRIBUTOR_COLUMNS,
                            5, params, distributor_of, &row));
  if (!row) return vbp_status_make(VBP_INTERNAL, "insert distributor authorization gave no row");
  record_distributor(c, row, "created");
  t->out = &((Vbp__V1__Authorization *)row)->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_authorize_distributor) {
  const Vbp__V1__AuthorizeDistributorRequest *in =
      (const Vbp__V1__AuthorizeDistributorRequest *)request;
  const vbp_caller *who = vbp_call_caller(call);
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("manufacturerId", in->manufacturer_id));
  VBP_CHECK(vbp_need_id("productId", in->product_id));
  VBP_CHECK(vbp_need_id("distributorId", in->distributor_id));
  VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  int level = vbp_region_level_of(in->region_code);
  if (level != VBP__V1__REGION_LEVEL__CITY && level != VBP__V1__REGION_LEVEL__PROVINCE)
    return vbp_invalid("regionCode",
                       "must be a coordination area (C8): a CITY, or a PROVINCE for its "
                       "provincial hospitals; %s is a county",
                       in->region_code);
  /* A manufacturer names distributors for its own products (API.md "Who may do what"). */
  if (!vbp_scope_own(who, in->manufacturer_id)) return vbp_scope_denied();

  vbp_batch_inputs orgs;
  const char *ids[] = {in->manufacturer_id, in->distributor_id};
  VBP_CHECK(vbp_institutions_fetch(contract_of(call)->catalog, call, a, ids, 2, &orgs));
  const Vbp__V1__Organization *m = vbp_batch_institution(&orgs, in->manufacturer_id);
  if (!m || m->kind != VBP__V1__ORGANIZATION_KIND__MANUFACTURER)
    return vbp_invalid("manufacturerId", "names no manufacturer");
  const Vbp__V1__Product *p = NULL;
  VBP_CHECK(find_product(call, in->product_id, &p));
  if (!p) return vbp_invalid("productId", "names no product");
  if (strcmp(p->manufacturer_id, in->manufacturer_id) != 0) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_invalid("manufacturerId", "is not the manufacturer of product %s (%s is)",
                       in->product_id, p->manufacturer_id);
  }
  const Vbp__V1__Organization *d = vbp_batch_institution(&orgs, in->distributor_id);
  if (!d || d->kind != VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR)
    return vbp_invalid("distributorId", "names no distributor");
  if (contract_distributor_cap((int)p->kind) <= 0)
    return vbp_status_make(VBP_INTERNAL, "product %s has no known kind", p->id);
  authorize z = {.in = in, .id = vbp_random_id(a, "da"), .kind = (int)p->kind};
  return contract_in_tx(call, authorize_tx, &z, response);
}

/* ---------------------------------------------------------------- WithdrawDistributor */

typedef struct naming {
  Vbp__V1__Authorization *authorization;
  bool withdrawn;
} naming;

static void *naming_of(const vbp_pg_row *row) {
  naming *n = vbp_arena_alloc(row->arena, sizeof *n);
  n->authorization = distributor_of(row);
  n->withdrawn = vbp_pg_bool(row, 6);
  return n;
}

static vbp_status withdraw_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const Vbp__V1__WithdrawDistributorRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  const char *key[] = {in->id};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read distributor authorization",
                            "SELECT " DISTRIBUTOR_COLUMNS
                            " FROM distributor_authorizations WHERE id = $1 FOR UPDATE",
                            1, key, naming_of, &row));
  naming *n = row;
  if (!n) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "id", "names no distributor authorization");
  }
  const Vbp__V1__Authorization *z = n->authorization;
  if (!vbp_scope_own(who, z->manufacturer_id)) return vbp_scope_denied();
  if (n->withdrawn) { /* a retry: withdrawn already */
    t->out = &empty_answer(a)->base;
    return vbp_status_ok();
  }
  /* C8: a live contract's distributor stays named for its area. The state as read: an EFFECTIVE
   * contract binds until its period ends. */
  char today[VBP_DATE_FORMAT_MAX];
  vbp_date_format(vbp_today(), today);
  const char *use[] = {z->product_id, z->distributor_id, z->region_code, today};
  void *contract = NULL;
  VBP_CHECK(
      vbp_pg_find_row(c, a, "read contracts of distributor",
                      "SELECT id FROM contracts WHERE distributor_id = $2 AND product_id = $1 "
                      "AND area_code = $3 AND (state IN (1, 2, 3) OR (state = 4 AND "
                      "period_end >= $4::date)) ORDER BY id LIMIT 1",
                      4, use, text_of, &contract));
  if (contract)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "id",
                            "is used by live contract %s (C8: a contract's distributor is one "
                            "named for its area)",
                            (const char *)contract);
  VBP_CHECK(vbp_pg_command(
      c, "withdraw distributor authorization",
      "UPDATE distributor_authorizations SET withdrawn_at = now() WHERE id = $1", 1, key));
  record_distributor(c, z, "updated"); /* withdrawn: kept, no longer in force */
  t->out = &empty_answer(a)->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_withdraw_distributor) {
  const Vbp__V1__WithdrawDistributorRequest *in =
      (const Vbp__V1__WithdrawDistributorRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  return contract_in_tx(call, withdraw_tx, in, response);
}

/* ---------------------------------------------------------------- AuthorizeAgency */

#define AGENCY_COLUMNS "id, institution_id, agency_id, batch_code, " CONTRACT_SQL_TIME("created_at")

static void *agency_of(const vbp_pg_row *row) {
  Vbp__V1__Authorization *r = vbp_arena_alloc(row->arena, sizeof *r);
  vbp__v1__authorization__init(r);
  r->id = vbp_pg_text(row, 0);
  r->kind = VBP__V1__AUTHORIZATION__KIND__AGENCY;
  r->institution_id = vbp_pg_text(row, 1);
  r->agency_id = vbp_pg_text(row, 2);
  r->batch_code = vbp_pg_text(row, 3);
  r->created_at = vbp_pg_text(row, 4);
  return r;
}

typedef struct agency {
  const Vbp__V1__AuthorizeAgencyRequest *in;
  const char *id;
} agency;

static vbp_status agency_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const agency *g = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char *params[] = {g->id, g->in->institution_id, g->in->agency_id, g->in->batch_code};
  /* One per institution, agency and batch: a retry finds the first and answers it. */
  bool wrote = false;
  VBP_CHECK(vbp_pg_write(c, "insert agency authorization",
                         "INSERT INTO agency_authorizations (id, institution_id, agency_id, "
                         "batch_code) VALUES ($1, $2, $3, $4) ON CONFLICT (institution_id, "
                         "agency_id, batch_code) DO NOTHING RETURNING 1",
                         4, params, &wrote));
  if (wrote) { /* for the institution and the agency it authorised */
    const char *parties[] = {g->in->institution_id, g->in->agency_id};
    vbp_feed_add(c, &(vbp_change){.type = "agencyAuthorization",
                                  .id = g->id,
                                  .action = "created",
                                  .batch_code = g->in->batch_code,
                                  .parties = parties,
                                  .n_parties = 2});
  }
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read agency authorization",
                            "SELECT " AGENCY_COLUMNS " FROM agency_authorizations "
                            "WHERE institution_id = $1 AND agency_id = $2 AND batch_code = $3",
                            3, params + 1, agency_of, &row));
  if (!row)
    return vbp_status_make(VBP_ABORTED, "the agency authorization changed meanwhile; retry");
  t->out = &((Vbp__V1__Authorization *)row)->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_authorize_agency) {
  const Vbp__V1__AuthorizeAgencyRequest *in = (const Vbp__V1__AuthorizeAgencyRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("institutionId", in->institution_id));
  VBP_CHECK(vbp_need_id("agencyId", in->agency_id));
  VBP_CHECK(vbp_need_text("batchCode", in->batch_code, BATCH_CODE_MAX));
  /* The hospital authorises for itself (C3). */
  if (!vbp_scope_own(vbp_call_caller(call), in->institution_id)) return vbp_scope_denied();

  vbp_batch_inputs orgs;
  const char *ids[] = {in->institution_id, in->agency_id};
  VBP_CHECK(vbp_institutions_fetch(contract_of(call)->catalog, call, a, ids, 2, &orgs));
  const Vbp__V1__Organization *h = vbp_batch_institution(&orgs, in->institution_id);
  if (!h || h->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION)
    return vbp_invalid("institutionId", "names no medical institution");
  const Vbp__V1__Organization *g = vbp_batch_institution(&orgs, in->agency_id);
  if (!g || g->kind != VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY)
    return vbp_invalid("agencyId", "names no insurance agency");
  if (!vbp_region_contains(g->region_code, h->region_code))
    return vbp_invalid("agencyId",
                       "is in region %s, which does not contain the institution's %s (C3: the "
                       "agency of its region)",
                       g->region_code, h->region_code);
  const Vbp__V1__Batch *b = NULL;
  VBP_CHECK(find_batch(call, in->batch_code, &b));
  if (!b) return vbp_invalid("batchCode", "names no batch");
  if ((int)b->kind != CONTRACT_DRUG)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "batchCode",
                            "C3: only drug contracts may be confirmed by an insurance agency; "
                            "batch %s is of consumables",
                            in->batch_code);
  agency w = {.in = in, .id = vbp_random_id(a, "aa")};
  return contract_in_tx(call, agency_tx, &w, response);
}
