#include "catalog-svc/service.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "catalog-svc/checks.h"
#include "catalog-svc/handlers.h"
#include "catalog-svc/rules.h"
#include "catalog-svc/store.h"
#include "common/clock.h"
#include "common/date.h"
#include "common/feed.h"
#include "common/hex.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/money.h"
#include "common/page.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"

#define AGREEMENT_YEARS_MAX 64
#define PRICE_INPUTS_MAX_PRODUCTS 1000
#define VOLUME_INPUTS_MAX_INSTITUTIONS 10000
/* A write waits this long at most for pricing-svc to hear of it. */
#define PRICE_INPUTS_PUSH_TIMEOUT_MS 200

/* ---------------------------------------------------------------- checks */

static vbp_status ok(void) { return vbp_status_ok(); }

/* Same resource: the packed forms are equal (protobuf-c packs fields in number order). */
static bool same(vbp_arena *a, const ProtobufCMessage *x, const ProtobufCMessage *y) {
  size_t nx = protobuf_c_message_get_packed_size(x), ny = protobuf_c_message_get_packed_size(y);
  if (nx != ny) return false;
  uint8_t *bx = vbp_arena_alloc(a, nx + 1), *by = vbp_arena_alloc(a, ny + 1);
  protobuf_c_message_pack(x, bx);
  protobuf_c_message_pack(y, by);
  return memcmp(bx, by, nx) == 0;
}

/* The answer to a create whose key is taken: the stored resource when the bodies match
 * (a retry), ALREADY_EXISTS otherwise. */
static vbp_status existing(vbp_arena *a, const ProtobufCMessage *stored,
                           const ProtobufCMessage *wanted, const char *field, const char *what,
                           const char *key, const ProtobufCMessage **out) {
  if (!stored) return vbp_status_make(VBP_ABORTED, "%s %s vanished; retry", what, key);
  if (!same(a, stored, wanted))
    return vbp_status_field(VBP_ALREADY_EXISTS, field, "%s %s exists already with other values",
                            what, key);
  *out = stored;
  return ok();
}

/* ---------------------------------------------------------------- transactions */

typedef struct tx {
  vbp_call *call;
  const void *in;
  const ProtobufCMessage *out;
  vbp_pg_tx_fn work; /* in_tx's */
  /* After a write of price inputs, the price-input version it made (read in its transaction);
   * 0 when the transaction wrote none. */
  long long price_inputs_version;
} tx;

static catalog_service *service_of(vbp_call *call) { return vbp_call_context(call); }

/* Records a write in the change feed (common/feed.h), in its transaction. Everything the catalog
 * keeps that the feed shows is reference data every authenticated caller may read. */
void catalog_record_change(vbp_pg_conn *c, const char *type, const char *id, const char *action,
                           const char *region_code, const char *batch_code) {
  const vbp_change change = {.type = type,
                             .id = id,
                             .action = action,
                             .region_code = region_code,
                             .batch_code = batch_code,
                             .is_public = true};
  vbp_feed_add(c, &change);
}

/* Tells pricing-svc the version a committed write made, before the writer hears back, so that
 * the writer's next price look-up need not be answered from before its write. The write stands
 * whatever happens here (the version is committed, and GetPriceInputsVersion answers it): a
 * failure is logged, not returned. Skipped silently without a pricing client. */
static void push_price_inputs(vbp_call *call, long long version) {
  vbp_client *pricing = service_of(call)->pricing;
  if (!pricing) return;
  Vbp__V1__PriceInputsChangedRequest req = VBP__V1__PRICE_INPUTS_CHANGED_REQUEST__INIT;
  req.catalog_version = version;
  const vbp_caller service = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {.timeout_ms = PRICE_INPUTS_PUSH_TIMEOUT_MS,
                              .caller = &service,
                              .request_id = vbp_call_request_id(call)};
  ProtobufCMessage *answer = NULL; /* in the call's arena */
  vbp_status st = vbp_client_call(
      pricing, vbp_method_of(&vbp__v1__pricing_service__descriptor, "PriceInputsChanged"),
      &req.base, &options, vbp_call_allocator(call), &answer);
  if (!vbp_ok(&st))
    vbp_log(VBP_LOG_WARN, "%s (request %s): telling pricing-svc of price-input version %lld: %s %s",
            vbp_call_method(call), vbp_call_request_id(call), version, vbp_code_name(st.code),
            st.message);
}

/* One attempt of in_tx's work. A retried attempt starts again from "wrote nothing": it may find
 * its work done meanwhile by someone else. */
static vbp_status attempt(vbp_pg_conn *c, void *ctx) {
  tx *t = ctx;
  t->price_inputs_version = 0;
  return t->work(c, t);
}

/* Runs fn in a write transaction; after a commit that wrote price inputs, tells pricing-svc. */
static vbp_status in_tx(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out) {
  tx t = {.call = call, .in = in, .work = fn};
  vbp_status st = vbp_pg_transaction(service_of(call)->pool, attempt, &t);
  if (!vbp_ok(&st)) return st;
  if (t.price_inputs_version > 0) push_price_inputs(call, t.price_inputs_version);
  *out = (ProtobufCMessage *)t.out;
  return st;
}

/* Notes, after a write of price inputs, the version its trigger bumped (0002_price_inputs.sql).
 * The trigger holds the version row until commit, so the number read is the write's own. */
static vbp_status wrote_price_inputs(vbp_pg_conn *c, tx *t) {
  return catalog_store_get_price_inputs_version(c, &t->price_inputs_version);
}

static vbp_status in_read(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out) {
  tx t = {.call = call, .in = in};
  vbp_status st = vbp_pg_read(service_of(call)->pool, fn, &t);
  if (vbp_ok(&st)) *out = (ProtobufCMessage *)t.out;
  return st;
}

#define TX_PROLOGUE(T)                              \
  tx *t = ctx;                                      \
  const T *in = t->in;                              \
  vbp_arena *a = vbp_call_arena(t->call);           \
  const vbp_caller *who = vbp_call_caller(t->call); \
  (void)who;                                        \
  (void)a

/* ---------------------------------------------------------------- regions */

static vbp_status create_region_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__Region);
  if (*in->parent_code) {
    Vbp__V1__Region *parent = NULL;
    VBP_CHECK(catalog_store_find_region(c, a, in->parent_code, &parent));
    if (!parent)
      return vbp_invalid("parentCode", "names no region: create %s first", in->parent_code);
  }
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_region(c, in, &inserted));
  if (inserted) {
    catalog_record_change(c, "region", in->code, "created", in->code, NULL);
    t->out = &in->base;
    return ok();
  }
  Vbp__V1__Region *stored = NULL;
  VBP_CHECK(catalog_store_find_region(c, a, in->code, &stored));
  return existing(a, &stored->base, &in->base, "code", "region", in->code, &t->out);
}

static vbp_status create_region(vbp_call *call, const ProtobufCMessage *request,
                                ProtobufCMessage **response) {
  const Vbp__V1__Region *in = (const Vbp__V1__Region *)request;
  const vbp_caller *who = vbp_call_caller(call);
  /* The code first: the caller's scope is decided by it. */
  VBP_CHECK(vbp_need_region_code("code", in->code));
  if (!vbp_scope_below_region(who, in->code)) return vbp_scope_denied();
  VBP_CHECK(catalog_check_region(in, ""));
  return in_tx(call, create_region_tx, in, response);
}

/* ---------------------------------------------------------------- organizations */

static vbp_status create_organization_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__Organization);
  Vbp__V1__Region *region = NULL;
  VBP_CHECK(catalog_store_find_region(c, a, in->region_code, &region));
  if (!region) return vbp_invalid("regionCode", "names no region");
  if (*in->consortium_id) {
    Vbp__V1__Organization *consortium = NULL;
    VBP_CHECK(catalog_store_find_organization(c, a, in->consortium_id, &consortium));
    if (!consortium) return vbp_invalid("consortiumId", "names no organization");
    if (consortium->kind != VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION)
      return vbp_invalid("consortiumId", "must name a medical institution (the consortium)");
  }
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_organization(c, in, &inserted));
  if (inserted) {
    catalog_record_change(c, "organization", in->id, "created", in->region_code, NULL);
    t->out = &in->base;
    return ok();
  }
  Vbp__V1__Organization *stored = NULL;
  VBP_CHECK(catalog_store_find_organization(c, a, in->id, &stored));
  return existing(a, &stored->base, &in->base, "id", "organization", in->id, &t->out);
}

static vbp_status create_organization(vbp_call *call, const ProtobufCMessage *request,
                                      ProtobufCMessage **response) {
  const Vbp__V1__Organization *in = (const Vbp__V1__Organization *)request;
  const vbp_caller *who = vbp_call_caller(call);
  /* The region, then the kind, as soon as known: the caller's scope is decided by them. */
  VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  if (!vbp_scope_region(who, in->region_code)) return vbp_scope_denied();
  VBP_CHECK(catalog_check_organization_kind(in, ""));
  /* OrganizationKind's numbers are the roles' (common/identity.h). */
  if (!vbp_scope_organization(who, (vbp_role)in->kind, in->region_code)) return vbp_scope_denied();
  VBP_CHECK(catalog_check_organization_rest(in, ""));
  return in_tx(call, create_organization_tx, in, response);
}

static vbp_status get_organization_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__GetOrganizationRequest);
  Vbp__V1__Organization *o = NULL;
  VBP_CHECK(catalog_store_find_organization(c, a, in->id, &o));
  if (!o) return vbp_status_make(VBP_NOT_FOUND, "organization %s does not exist", in->id);
  t->out = &o->base;
  return ok();
}

static vbp_status get_organization(vbp_call *call, const ProtobufCMessage *request,
                                   ProtobufCMessage **response) {
  const Vbp__V1__GetOrganizationRequest *in = (const Vbp__V1__GetOrganizationRequest *)request;
  vbp_memo *kept = service_of(call)->organizations;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("id", in->id));
  char *packed = NULL;
  size_t len = 0;
  if (kept && vbp_memo_get(kept, in->id, a, &packed, &len)) {
    ProtobufCMessage *o = protobuf_c_message_unpack(
        &vbp__v1__organization__descriptor, vbp_call_allocator(call), len, (const uint8_t *)packed);
    if (o) {
      *response = o;
      return ok();
    }
  }
  VBP_CHECK(in_read(call, get_organization_tx, in, response));
  if (kept) { /* only found ones: an id asked before its organization exists is asked again */
    len = protobuf_c_message_get_packed_size(*response);
    packed = vbp_arena_alloc(a, len + 1);
    protobuf_c_message_pack(*response, (uint8_t *)packed);
    vbp_memo_put(kept, in->id, packed, len);
  }
  return ok();
}

/* A list request with its page: size, the key it starts after, and the scope its token names
 * (keyed with secret, for the caller). */
typedef struct list_query {
  const void *in;
  const char *scope, *after, *prefix, *secret;
  int limit;
} list_query;

/* The secret page tokens are keyed with: the internal one, which every replica has. */
static const char *page_secret(vbp_call *call) {
  return vbp_authenticator_secret(service_of(call)->auth);
}

static vbp_status list_organizations_tx(vbp_pg_conn *c, void *ctx) {
  tx *t = ctx;
  const list_query *q = t->in;
  const Vbp__V1__ListOrganizationsRequest *in = q->in;
  vbp_arena *a = vbp_call_arena(t->call);
  Vbp__V1__Organization **orgs = NULL;
  size_t n = 0;
  VBP_CHECK(catalog_store_list_organizations(c, a, in->kind, q->prefix, q->after, q->limit + 1,
                                             &orgs, &n));
  Vbp__V1__ListOrganizationsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__list_organizations_response__init(r);
  if (n > (size_t)q->limit) { /* one more row than asked for: there is a next page */
    n = (size_t)q->limit;
    r->next_page_token =
        vbp_page_token_encode(a, q->secret, vbp_call_caller(t->call), q->scope, orgs[n - 1]->id);
  }
  r->organizations = orgs;
  r->n_organizations = n;
  t->out = &r->base;
  return ok();
}

static vbp_status list_organizations(vbp_call *call, const ProtobufCMessage *request,
                                     ProtobufCMessage **response) {
  const Vbp__V1__ListOrganizationsRequest *in = (const Vbp__V1__ListOrganizationsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_opt_enum("kind", in->kind, &vbp__v1__organization_kind__descriptor));
  char prefix[7] = "";
  if (*in->region_code) {
    VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
    vbp_region_prefix(in->region_code, prefix);
  }
  list_query q = {.in = in, .prefix = prefix, .secret = page_secret(call)};
  VBP_CHECK(vbp_page_size(in->page_size, &q.limit));
  q.scope = vbp_arena_printf(a, "organizations|%d|%s", in->kind, prefix);
  VBP_CHECK(
      vbp_page_token_decode(a, q.secret, vbp_call_caller(call), q.scope, in->page_token, &q.after));
  return in_read(call, list_organizations_tx, &q, response);
}

/* ---------------------------------------------------------------- batches */

/* Region levels a batch's organizer level asks of its lead and members. */
static int lead_level_for(int organizer_level) {
  return organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__CITY ? VBP__V1__REGION_LEVEL__CITY
                                                                  : VBP__V1__REGION_LEVEL__PROVINCE;
}

static vbp_status create_batch_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__Batch);
  int want = lead_level_for(in->organizer_level);
  Vbp__V1__Region *lead = NULL;
  VBP_CHECK(catalog_store_find_region(c, a, in->lead_region_code, &lead));
  if (!lead) return vbp_invalid("leadRegionCode", "names no region");
  if ((int)lead->level != want)
    return vbp_invalid("leadRegionCode", "must be a %s for a batch organized at this level",
                       catalog_level_name(want));
  for (size_t i = 0; i < in->n_member_region_codes; i++) {
    char *field = vbp_arena_printf(a, "memberRegionCodes[%zu]", i);
    Vbp__V1__Region *member = NULL;
    VBP_CHECK(catalog_store_find_region(c, a, in->member_region_codes[i], &member));
    if (!member) return vbp_invalid(field, "names no region");
    if ((int)member->level != want)
      return vbp_invalid(field, "must be a %s for a batch organized at this level",
                         catalog_level_name(want));
  }
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_batch(c, in, &inserted));
  if (inserted) {
    catalog_record_change(c, "batch", in->code, "created", NULL, in->code);
    VBP_CHECK(wrote_price_inputs(c, t));
    t->out = &in->base;
    return ok();
  }
  Vbp__V1__Batch *stored = NULL;
  VBP_CHECK(catalog_store_find_batch(c, a, in->code, false, &stored));
  Vbp__V1__Batch wanted = *in;
  if (stored) wanted.created_by = stored->created_by; /* not part of the body */
  return existing(a, stored ? &stored->base : NULL, &wanted.base, "code", "batch", in->code,
                  &t->out);
}

static vbp_status create_batch(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response) {
  const Vbp__V1__Batch *in = (const Vbp__V1__Batch *)request;
  const vbp_caller *who = vbp_call_caller(call);
  vbp_arena *a = vbp_call_arena(call);
  /* The batch as stored: the request with its defaults and its creator. */
  Vbp__V1__Batch *b = vbp_arena_alloc(a, sizeof *b);
  *b = *in;
  /* A provincial or city batch has one member: its lead (checked with the members). */
  if ((in->organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE ||
       in->organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__CITY) &&
      in->n_member_region_codes == 0) {
    b->member_region_codes = vbp_arena_alloc(a, sizeof(char *));
    b->member_region_codes[0] = in->lead_region_code;
    b->n_member_region_codes = 1;
  }
  VBP_CHECK(catalog_check_batch(a, b, "", false));
  if (!in->renewal_floor) b->renewal_floor = VBP__V1__BATCH__RENEWAL_FLOOR__FIRST_YEAR;
  b->created_by = (char *)who->org_id;
  return in_tx(call, create_batch_tx, b, response);
}

static vbp_status get_batch_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__GetBatchRequest);
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(catalog_store_find_batch(c, a, in->code, false, &b));
  if (!b) return vbp_status_make(VBP_NOT_FOUND, "batch %s does not exist", in->code);
  t->out = &b->base;
  return ok();
}

static vbp_status get_batch(vbp_call *call, const ProtobufCMessage *request,
                            ProtobufCMessage **response) {
  const Vbp__V1__GetBatchRequest *in = (const Vbp__V1__GetBatchRequest *)request;
  VBP_CHECK(vbp_need_id("code", in->code));
  return in_read(call, get_batch_tx, in, response);
}

/* The batch a write under it names, for a caller who must own it: the admin, or the alliance
 * office that created it. Anyone else is refused whether or not the batch exists. */
static vbp_status owned_batch(vbp_pg_conn *c, vbp_arena *a, const vbp_caller *who, const char *code,
                              bool for_update, Vbp__V1__Batch **out) {
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(catalog_store_find_batch(c, a, code, for_update, &b));
  if (!b ? !vbp_scope_is_admin(who) : !vbp_scope_own(who, b->created_by)) return vbp_scope_denied();
  if (!b) return vbp_status_make(VBP_NOT_FOUND, "batch %s does not exist", code);
  *out = b;
  return ok();
}

static catalog_cycle cycle_of(const Vbp__V1__Batch *b) {
  catalog_cycle cycle = {.years = b->cycle_years};
  cycle.has_last_day = *b->cycle_end && vbp_date_parse(b->cycle_end, &cycle.last_day);
  return cycle;
}

/* An extension: the request, its new end parsed once, and the day it is asked on. */
typedef struct extension {
  const Vbp__V1__ExtendBatchRequest *request;
  vbp_date end, today;
} extension;

static vbp_status extend_batch_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(extension);
  const vbp_date wanted = in->end;
  const Vbp__V1__ExtendBatchRequest *x = in->request;
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(owned_batch(c, a, who, x->code, true, &b));
  catalog_cycle cycle = cycle_of(b);
  if (cycle.has_last_day && cycle.last_day == wanted) { /* a retry: already extended */
    t->out = &b->base;
    return ok();
  }
  /* A cycle cannot be extended into the past (a retry above may be, once that day passed). */
  if (wanted < in->today) {
    char buf[VBP_DATE_FORMAT_MAX];
    return vbp_invalid("cycleEnd", "must not be before today, %s", vbp_date_format(in->today, buf));
  }
  /* An extension moves the end later for every province that runs the batch. */
  vbp_date latest = cycle.has_last_day ? cycle.last_day : INT32_MIN;
  Vbp__V1__Execution **executions = NULL;
  size_t n = 0;
  VBP_CHECK(catalog_store_list_executions(c, a, x->code, &executions, &n));
  for (size_t i = 0; i < n; i++) {
    vbp_date start;
    if (!vbp_date_parse(executions[i]->start_date, &start)) continue;
    vbp_date last = catalog_cycle_last_day(start, &cycle);
    if (last > latest) latest = last;
  }
  if (latest != INT32_MIN && wanted <= latest) {
    char buf[VBP_DATE_FORMAT_MAX];
    return vbp_invalid("cycleEnd", "must be after the current cycle end %s",
                       vbp_date_format(latest, buf));
  }
  VBP_CHECK(catalog_store_set_cycle_end(c, x->code, x->cycle_end));
  catalog_record_change(c, "batch", x->code, "updated", NULL, x->code);
  VBP_CHECK(wrote_price_inputs(c, t));
  b->cycle_end = x->cycle_end;
  t->out = &b->base;
  return ok();
}

static vbp_status extend_batch(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response) {
  const Vbp__V1__ExtendBatchRequest *in = (const Vbp__V1__ExtendBatchRequest *)request;
  VBP_CHECK(vbp_need_id("code", in->code));
  extension x = {.request = in, .today = vbp_today()};
  VBP_CHECK(vbp_need_date("cycleEnd", in->cycle_end, &x.end));
  return in_tx(call, extend_batch_tx, &x, response);
}

/* ---------------------------------------------------------------- executions */

/* An execution to create: the request with its defaults, and its start parsed once. */
typedef struct execution_write {
  const Vbp__V1__Execution *execution;
  vbp_date start;
} execution_write;

static vbp_status create_execution_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(execution_write);
  const vbp_date start = in->start;
  const Vbp__V1__Execution *e = in->execution;
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(catalog_store_find_batch(c, a, e->batch_code, false, &b));
  if (!b) return vbp_status_make(VBP_NOT_FOUND, "batch %s does not exist", e->batch_code);
  Vbp__V1__Region *region = NULL;
  VBP_CHECK(catalog_store_find_region(c, a, e->region_code, &region));
  if (!region) return vbp_invalid("regionCode", "names no region");
  if (region->level != VBP__V1__REGION_LEVEL__PROVINCE &&
      b->organizer_level != VBP__V1__BATCH__ORGANIZER_LEVEL__CITY)
    return vbp_invalid("regionCode",
                       "must be a province: a batch is executed province by "
                       "province");
  catalog_cycle cycle = cycle_of(b);
  if (cycle.has_last_day && start > cycle.last_day)
    return vbp_invalid("startDate", "must not be after the cycle end %s of batch %s", b->cycle_end,
                       b->code);
  bool member = false;
  for (size_t i = 0; i < b->n_member_region_codes; i++)
    member |= strcmp(b->member_region_codes[i], e->region_code) == 0;
  if (!member)
    return vbp_invalid("regionCode", "is not a member region of batch %s", e->batch_code);
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_execution(c, e, &inserted));
  if (inserted) {
    catalog_record_change(c, "execution",
                          vbp_arena_printf(a, "%s/%s", e->batch_code, e->region_code), "created",
                          e->region_code, e->batch_code);
    VBP_CHECK(wrote_price_inputs(c, t));
    t->out = &e->base;
    return ok();
  }
  Vbp__V1__Execution *stored = NULL;
  VBP_CHECK(catalog_store_find_execution(c, a, e->batch_code, e->region_code, &stored));
  return existing(a, stored ? &stored->base : NULL, &e->base, "regionCode", "execution in",
                  e->region_code, &t->out);
}

static vbp_status create_execution(vbp_call *call, const ProtobufCMessage *request,
                                   ProtobufCMessage **response) {
  const Vbp__V1__Execution *in = (const Vbp__V1__Execution *)request;
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  if (!vbp_scope_region(who, in->region_code)) return vbp_scope_denied();
  execution_write w = {.execution = in};
  VBP_CHECK(catalog_check_execution(in, "", &w.start));
  if (!in->align_renewal) { /* absent means aligned (C6) */
    vbp_arena *a = vbp_call_arena(call);
    Vbp__V1__Execution *e = vbp_arena_alloc(a, sizeof *e);
    *e = *in;
    e->align_renewal = vbp_arena_alloc(a, sizeof *e->align_renewal);
    google__protobuf__bool_value__init(e->align_renewal);
    e->align_renewal->value = true;
    w.execution = e;
  }
  return in_tx(call, create_execution_tx, &w, response);
}

/* The agreement years of execution e of batch b (C5, C6): ListAgreementYears's answer, which
 * GetVolumeInputs repeats. *out is an arena array of *n. */
vbp_status catalog_agreement_years_of(vbp_arena *a, const Vbp__V1__Batch *b,
                                      const Vbp__V1__Execution *e, Vbp__V1__AgreementYear ***out,
                                      size_t *n_out) {
  vbp_date start;
  if (!vbp_date_parse(e->start_date, &start))
    return vbp_status_make(VBP_INTERNAL, "stored start date is unreadable");
  catalog_cycle cycle = cycle_of(b);
  catalog_agreement_year years[AGREEMENT_YEARS_MAX];
  size_t n =
      catalog_agreement_years(start, &cycle, e->align_renewal->value, years, AGREEMENT_YEARS_MAX);
  if (n > AGREEMENT_YEARS_MAX) n = AGREEMENT_YEARS_MAX; /* cycles are at most 20 years */
  Vbp__V1__AgreementYear **list = vbp_arena_alloc(a, (n ? n : 1) * sizeof *list);
  for (size_t i = 0; i < n; i++) {
    Vbp__V1__AgreementYear *y = vbp_arena_alloc(a, sizeof *y);
    vbp__v1__agreement_year__init(y);
    y->year = years[i].year;
    y->start = vbp_date_format(years[i].start, vbp_arena_alloc(a, VBP_DATE_FORMAT_MAX));
    y->end = vbp_date_format(years[i].end, vbp_arena_alloc(a, VBP_DATE_FORMAT_MAX));
    list[i] = y;
  }
  *out = list;
  *n_out = n;
  return ok();
}

static vbp_status list_agreement_years_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__ListAgreementYearsRequest);
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(catalog_store_find_batch(c, a, in->batch_code, false, &b));
  if (!b) return vbp_status_make(VBP_NOT_FOUND, "batch %s does not exist", in->batch_code);
  Vbp__V1__Execution *e = NULL;
  VBP_CHECK(catalog_store_find_execution(c, a, in->batch_code, in->region_code, &e));
  if (!e)
    return vbp_status_make(VBP_NOT_FOUND, "batch %s has no execution in region %s", in->batch_code,
                           in->region_code);
  Vbp__V1__ListAgreementYearsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__list_agreement_years_response__init(r);
  VBP_CHECK(catalog_agreement_years_of(a, b, e, &r->agreement_years, &r->n_agreement_years));
  t->out = &r->base;
  return ok();
}

static vbp_status list_agreement_years(vbp_call *call, const ProtobufCMessage *request,
                                       ProtobufCMessage **response) {
  const Vbp__V1__ListAgreementYearsRequest *in =
      (const Vbp__V1__ListAgreementYearsRequest *)request;
  VBP_CHECK(vbp_need_id("batchCode", in->batch_code));
  VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  return in_read(call, list_agreement_years_tx, in, response);
}

/* ---------------------------------------------------------------- products */

static vbp_status create_product_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__Product);
  Vbp__V1__Organization *maker = NULL;
  VBP_CHECK(catalog_store_find_organization(c, a, in->manufacturer_id, &maker));
  if (!maker) return vbp_invalid("manufacturerId", "names no organization");
  if (maker->kind != VBP__V1__ORGANIZATION_KIND__MANUFACTURER)
    return vbp_invalid("manufacturerId", "must name a MANUFACTURER");
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_product(c, in, &inserted));
  if (inserted) {
    catalog_record_change(c, "product", in->id, "created", NULL, NULL);
    VBP_CHECK(wrote_price_inputs(c, t));
    t->out = &in->base;
    return ok();
  }
  Vbp__V1__Product *stored = NULL;
  VBP_CHECK(catalog_store_find_product(c, a, in->id, &stored));
  return existing(a, stored ? &stored->base : NULL, &in->base, "id", "product", in->id, &t->out);
}

static vbp_status create_product(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
  const Vbp__V1__Product *in = (const Vbp__V1__Product *)request;
  const vbp_caller *who = vbp_call_caller(call);
  if (!vbp_scope_acts_for(who, in->manufacturer_id)) return vbp_scope_denied();
  VBP_CHECK(catalog_check_product(in, ""));
  return in_tx(call, create_product_tx, in, response);
}

static vbp_status get_product_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__GetProductRequest);
  Vbp__V1__Product *p = NULL;
  VBP_CHECK(catalog_store_find_product(c, a, in->id, &p));
  if (!p) return vbp_status_make(VBP_NOT_FOUND, "product %s does not exist", in->id);
  t->out = &p->base;
  return ok();
}

static vbp_status get_product(vbp_call *call, const ProtobufCMessage *request,
                              ProtobufCMessage **response) {
  const Vbp__V1__GetProductRequest *in = (const Vbp__V1__GetProductRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  return in_read(call, get_product_tx, in, response);
}

/* ---------------------------------------------------------------- groups and results */

/* A group as it is stored and answered: its maxNonWinningPrice written with four decimals. */
typedef struct new_group {
  Vbp__V1__Group group;
  vbp_money max_non_winning_price; /* 0: none set */
} new_group;

static vbp_status create_group_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(new_group);
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(owned_batch(c, a, who, in->group.batch_code, false, &b));
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_group(c, &in->group, in->max_non_winning_price, &inserted));
  if (inserted) {
    catalog_record_change(c, "group",
                          vbp_arena_printf(a, "%s/%s", in->group.batch_code, in->group.id),
                          "created", NULL, in->group.batch_code);
    VBP_CHECK(wrote_price_inputs(c, t));
    t->out = &in->group.base;
    return ok();
  }
  Vbp__V1__Group *stored = NULL;
  VBP_CHECK(catalog_store_find_group(c, a, in->group.batch_code, in->group.id, false, &stored));
  return existing(a, stored ? &stored->base : NULL, &in->group.base, "id", "group", in->group.id,
                  &t->out);
}

static vbp_status create_group(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response) {
  const Vbp__V1__Group *in = (const Vbp__V1__Group *)request;
  new_group *g = vbp_arena_alloc(vbp_call_arena(call), sizeof *g);
  g->group = *in;
  VBP_CHECK(catalog_check_group(in, "", &g->max_non_winning_price));
  if (*in->max_non_winning_price) {
    /* Answered (and compared with a stored one on a retry) as the reads write it. */
    g->group.max_non_winning_price = vbp_money_format(
        g->max_non_winning_price, vbp_arena_alloc(vbp_call_arena(call), VBP_MONEY_FORMAT_MAX));
  }
  return in_tx(call, create_group_tx, g, response);
}

typedef struct publish {
  const Vbp__V1__Result *result;
  vbp_money price;
} publish;

static vbp_status publish_result_tx(vbp_pg_conn *c, void *ctx) {
  tx *t = ctx;
  const publish *p = t->in;
  const Vbp__V1__Result *in = p->result;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(owned_batch(c, a, who, in->batch_code, false, &b));
  /* Locking the group publishes its results one at a time, so the share check holds. */
  Vbp__V1__Group *g = NULL;
  VBP_CHECK(catalog_store_find_group(c, a, in->batch_code, in->group_id, true, &g));
  if (!g) return vbp_invalid("groupId", "names no group of batch %s", in->batch_code);
  Vbp__V1__Product *product = NULL;
  VBP_CHECK(catalog_store_find_product(c, a, in->product_id, &product));
  if (!product) return vbp_invalid("productId", "names no product");
  if (product->kind != b->kind)
    return vbp_invalid(
        "productId", "is a %s but batch %s buys %s",
        protobuf_c_enum_descriptor_get_value(&vbp__v1__product_kind__descriptor, product->kind)
            ->name,
        b->code,
        protobuf_c_enum_descriptor_get_value(&vbp__v1__product_kind__descriptor, b->kind)->name);
  if (product->kind == VBP__V1__PRODUCT_KIND__DRUG &&
      strcmp(product->generic_name, g->generic_name) != 0)
    return vbp_invalid("groupId", "is the group of %s, not of the product's %s", g->generic_name,
                       product->generic_name);
  Vbp__V1__Result *stored = NULL;
  VBP_CHECK(catalog_store_find_result(c, a, in->batch_code, in->product_id, &stored));
  if (stored)
    return existing(a, &stored->base, &in->base, "productId", "result for product", in->product_id,
                    &t->out);
  int sum = 0;
  VBP_CHECK(catalog_store_group_share_sum(c, in->batch_code, in->group_id, &sum));
  if (sum + in->share_percent > 100)
    return vbp_invalid("sharePercent", "would bring the shares of group %s to %d, more than 100",
                       in->group_id, sum + in->share_percent);
  bool inserted = false;
  VBP_CHECK(catalog_store_insert_result(c, in, p->price, &inserted));
  if (!inserted) return vbp_status_make(VBP_ABORTED, "the result was published meanwhile; retry");
  catalog_record_change(c, "result", vbp_arena_printf(a, "%s/%s", in->batch_code, in->product_id),
                        "created", NULL, in->batch_code);
  VBP_CHECK(wrote_price_inputs(c, t));
  t->out = &in->base;
  return ok();
}

static vbp_status publish_result(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
  const Vbp__V1__Result *in = (const Vbp__V1__Result *)request;
  /* The result as stored: the request with its price in the canonical four decimals. */
  Vbp__V1__Result *r = vbp_arena_alloc(vbp_call_arena(call), sizeof *r);
  *r = *in;
  publish p = {.result = r};
  VBP_CHECK(catalog_check_result(vbp_call_arena(call), in, "", r, &p.price));
  return in_tx(call, publish_result_tx, &p, response);
}

static vbp_status list_results_tx(vbp_pg_conn *c, void *ctx) {
  tx *t = ctx;
  const list_query *q = t->in;
  const Vbp__V1__ListResultsRequest *in = q->in;
  vbp_arena *a = vbp_call_arena(t->call);
  Vbp__V1__Batch *b = NULL;
  VBP_CHECK(catalog_store_find_batch(c, a, in->batch_code, false, &b));
  if (!b) return vbp_status_make(VBP_NOT_FOUND, "batch %s does not exist", in->batch_code);
  Vbp__V1__Result **results = NULL;
  size_t n = 0;
  VBP_CHECK(catalog_store_list_results(c, a, in->batch_code, in->group_id, in->status, q->after,
                                       q->limit + 1, &results, &n));
  Vbp__V1__ListResultsResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__list_results_response__init(r);
  if (n > (size_t)q->limit) {
    n = (size_t)q->limit;
    r->next_page_token = vbp_page_token_encode(a, q->secret, vbp_call_caller(t->call), q->scope,
                                               results[n - 1]->product_id);
  }
  r->results = results;
  r->n_results = n;
  t->out = &r->base;
  return ok();
}

static vbp_status list_results(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response) {
  const Vbp__V1__ListResultsRequest *in = (const Vbp__V1__ListResultsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("batchCode", in->batch_code));
  if (*in->group_id) VBP_CHECK(vbp_need_id("groupId", in->group_id));
  VBP_CHECK(vbp_opt_enum("status", in->status, &vbp__v1__result_status__descriptor));
  list_query q = {.in = in, .secret = page_secret(call)};
  VBP_CHECK(vbp_page_size(in->page_size, &q.limit));
  q.scope = vbp_arena_printf(a, "results|%s|%s|%d", in->batch_code, in->group_id, in->status);
  VBP_CHECK(
      vbp_page_token_decode(a, q.secret, vbp_call_caller(call), q.scope, in->page_token, &q.after));
  return in_read(call, list_results_tx, &q, response);
}

/* ---------------------------------------------------------------- API keys */

/* The organization whose keys the caller manages: one it could have created itself (a bureau:
 * parties and lower bureaus in its region). Others are refused whether or not it exists. */
static vbp_status managed_organization(const vbp_caller *who, const Vbp__V1__Organization *org,
                                       const char *what, const char *id) {
  if (!org ? !vbp_scope_is_admin(who)
           : !vbp_scope_organization(who, (vbp_role)org->kind, org->region_code))
    return vbp_scope_denied();
  if (!org) return vbp_status_make(VBP_NOT_FOUND, "%s %s does not exist", what, id);
  return ok();
}

static void random_hex(char *out, size_t bytes) {
  unsigned char raw[32];
  if (RAND_bytes(raw, (int)bytes) != 1) abort(); /* no entropy: nothing safe to hand out */
  vbp_hex_encode(raw, bytes, out);
}

static vbp_status create_api_key_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__CreateApiKeyRequest);
  Vbp__V1__Organization *org = NULL;
  VBP_CHECK(catalog_store_find_organization(c, a, in->organization_id, &org));
  VBP_CHECK(managed_organization(who, org, "organization", in->organization_id));
  char secret[65], id_hex[33], sha[65];
  random_hex(secret, 32);
  random_hex(id_hex, 16);
  Vbp__V1__ApiKey *key = vbp_arena_alloc(a, sizeof *key);
  vbp__v1__api_key__init(key);
  key->id = vbp_arena_printf(a, "key_%s", id_hex);
  key->key = vbp_arena_printf(a, "vbp_%s", secret);
  key->organization_id = org->id;
  key->role = org->kind;
  vbp_sha256_hex(key->key, strlen(key->key), sha);
  VBP_CHECK(catalog_store_insert_api_key(c, key->id, org->id, sha));
  t->out = &key->base;
  return ok();
}

static vbp_status create_api_key(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
  const Vbp__V1__CreateApiKeyRequest *in = (const Vbp__V1__CreateApiKeyRequest *)request;
  VBP_CHECK(vbp_need_id("organizationId", in->organization_id));
  return in_tx(call, create_api_key_tx, in, response);
}

static vbp_status revoke_api_key_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__RevokeApiKeyRequest);
  Vbp__V1__Organization *owner = NULL;
  VBP_CHECK(catalog_store_find_api_key_owner(c, a, in->id, &owner));
  VBP_CHECK(managed_organization(who, owner, "API key", in->id));
  VBP_CHECK(catalog_store_revoke_api_key(c, in->id));
  Google__Protobuf__Empty *empty = vbp_arena_alloc(a, sizeof *empty);
  google__protobuf__empty__init(empty);
  t->out = &empty->base;
  return ok();
}

static vbp_status revoke_api_key(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
  const Vbp__V1__RevokeApiKeyRequest *in = (const Vbp__V1__RevokeApiKeyRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  vbp_status st = in_tx(call, revoke_api_key_tx, in, response);
  /* This process stops accepting the key at once; the others within their cache's lifetime. */
  if (vbp_ok(&st)) vbp_authenticator_forget(service_of(call)->auth);
  return st;
}

typedef struct key_lookup {
  const char *sha;
  vbp_caller caller;
  char key_id[65];
} key_lookup;

static vbp_status key_lookup_tx(vbp_pg_conn *c, void *ctx) {
  key_lookup *k = ctx;
  return catalog_store_authenticate(c, k->sha, &k->caller, k->key_id);
}

vbp_status catalog_resolve_key(void *ctx, const char *key_sha256, vbp_caller *out) {
  catalog_service *svc = ctx;
  key_lookup k = {.sha = key_sha256};
  vbp_status st = vbp_pg_read(svc->pool, key_lookup_tx, &k);
  if (vbp_ok(&st)) *out = k.caller;
  return st;
}

static vbp_status authenticate(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response) {
  const Vbp__V1__AuthenticateRequest *in = (const Vbp__V1__AuthenticateRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  size_t n = strlen(in->key_sha256);
  if (n != 64 || strspn(in->key_sha256, "0123456789abcdef") != 64)
    return vbp_invalid("keySha256", "must be 64 lowercase hex digits");
  key_lookup k = {.sha = in->key_sha256};
  VBP_CHECK(vbp_pg_read(service_of(call)->pool, key_lookup_tx, &k));
  Vbp__V1__AuthenticateResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__authenticate_response__init(r);
  r->key_id = vbp_arena_strdup(a, k.key_id);
  r->organization_id = vbp_arena_strdup(a, k.caller.org_id);
  r->role = (Vbp__V1__OrganizationKind)k.caller.role;
  r->region_code = vbp_arena_strdup(a, k.caller.region_code);
  *response = &r->base;
  return ok();
}

typedef struct revocations_read {
  long long after;
  vbp_key_revocations *out;
} revocations_read;

static vbp_status revocations_tx(vbp_pg_conn *c, void *ctx) {
  revocations_read *r = ctx;
  return catalog_store_list_key_revocations(c, r->after, r->out);
}

vbp_status catalog_key_revocations(void *ctx, long long after_version, vbp_key_revocations *out) {
  catalog_service *svc = ctx;
  revocations_read r = {.after = after_version, .out = out};
  return vbp_pg_read(svc->pool, revocations_tx, &r);
}

static vbp_status list_key_revocations(vbp_call *call, const ProtobufCMessage *request,
                                       ProtobufCMessage **response) {
  const Vbp__V1__ListKeyRevocationsRequest *in =
      (const Vbp__V1__ListKeyRevocationsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  vbp_key_revocations *got = vbp_arena_alloc(a, sizeof *got);
  VBP_CHECK(catalog_key_revocations(service_of(call), in->after_version, got));
  Vbp__V1__KeyRevocations *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__key_revocations__init(r);
  r->version = got->version;
  r->everything = got->everything;
  r->key_sha256s = vbp_arena_alloc(a, (got->n ? got->n : 1) * sizeof *r->key_sha256s);
  for (size_t i = 0; i < got->n; i++) r->key_sha256s[r->n_key_sha256s++] = got->key_sha256[i];
  *response = &r->base;
  return ok();
}

/* ---------------------------------------------------------------- price inputs */

static vbp_status get_price_inputs_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__GetPriceInputsRequest);
  /* One snapshot for the version and everything read with it: a write committing in between
   * would otherwise pair new inputs with an old version (or the reverse) in pricing-svc's cache. */
  VBP_CHECK(catalog_store_begin_snapshot(c));
  long long version = 0;
  VBP_CHECK(catalog_store_get_price_inputs_version(c, &version));
  size_t n = in->n_product_ids;
  Vbp__V1__Product **products = vbp_arena_alloc(a, n * sizeof *products);
  VBP_CHECK(catalog_store_find_products(c, a, in->product_ids, n, products));
  catalog_product_execution *candidates = NULL;
  size_t n_candidates = 0;
  VBP_CHECK(catalog_store_list_price_executions(c, a, in->region_code, in->date, in->product_ids, n,
                                                &candidates, &n_candidates));

  Vbp__V1__ProductPriceInputs **inputs = vbp_arena_alloc(a, n * sizeof *inputs);
  for (size_t i = 0; i < n; i++) {
    inputs[i] = vbp_arena_alloc(a, sizeof *inputs[i]);
    vbp__v1__product_price_inputs__init(inputs[i]);
    inputs[i]->product_id = in->product_ids[i];
    inputs[i]->product = products[i];
  }
  /* The candidates come grouped by product: pick the one in force within each group. */
  vbp_date date;
  vbp_date_parse(in->date, &date); /* checked by the handler */
  catalog_execution *executions =
      vbp_arena_alloc(a, (n_candidates ? n_candidates : 1) * sizeof *executions);
  for (size_t first = 0, end; first < n_candidates; first = end) {
    size_t index = candidates[first].index;
    for (end = first; end < n_candidates && candidates[end].index == index; end++)
      executions[end - first] = candidates[end].execution;
    size_t chosen;
    if (catalog_execution_in_force(executions, end - first, date, &chosen))
      inputs[index]->batch_code = (char *)executions[chosen].batch_code;
  }
  VBP_CHECK(catalog_store_fill_price_inputs(c, a, inputs, n));

  Vbp__V1__PriceInputs *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__price_inputs__init(r);
  r->version = version;
  r->products = inputs;
  r->n_products = n;
  t->out = &r->base;
  return ok();
}

static vbp_status get_price_inputs(vbp_call *call, const ProtobufCMessage *request,
                                   ProtobufCMessage **response) {
  const Vbp__V1__GetPriceInputsRequest *in = (const Vbp__V1__GetPriceInputsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  /* A province: pricing-svc maps a city or county to its province before it asks. */
  if (vbp_region_level_of(in->region_code) != VBP__V1__REGION_LEVEL__PROVINCE)
    return vbp_invalid("regionCode", "must be a province (six digits ending in 0000), got \"%s\"",
                       in->region_code);
  if (in->n_product_ids == 0) return vbp_invalid("productIds", "is required");
  if (in->n_product_ids > PRICE_INPUTS_MAX_PRODUCTS)
    return vbp_invalid("productIds", "must name at most %d products, got %zu",
                       PRICE_INPUTS_MAX_PRODUCTS, in->n_product_ids);
  for (size_t i = 0; i < in->n_product_ids; i++)
    VBP_CHECK(vbp_need_id(vbp_arena_printf(a, "productIds[%zu]", i), in->product_ids[i]));
  vbp_date date;
  VBP_CHECK(vbp_need_date("date", in->date, &date));
  return in_tx(call, get_price_inputs_tx, in, response);
}

static vbp_status price_inputs_version_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__GetPriceInputsVersionRequest);
  (void)in;
  Vbp__V1__PriceInputsVersion *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__price_inputs_version__init(r);
  long long version = 0;
  VBP_CHECK(catalog_store_get_price_inputs_version(c, &version));
  r->version = version;
  t->out = &r->base;
  return ok();
}

static vbp_status get_price_inputs_version(vbp_call *call, const ProtobufCMessage *request,
                                           ProtobufCMessage **response) {
  return in_read(call, price_inputs_version_tx, request, response);
}

/* ---------------------------------------------------------------- volume inputs */

static vbp_status get_volume_inputs_tx(vbp_pg_conn *c, void *ctx) {
  TX_PROLOGUE(Vbp__V1__GetVolumeInputsRequest);
  /* One snapshot for all of it: a result published or an execution created meanwhile would
   * otherwise give volume-svc a batch's groups without their results, or the reverse. */
  VBP_CHECK(catalog_store_begin_snapshot(c));
  Vbp__V1__VolumeInputs *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__volume_inputs__init(r);
  t->out = &r->base;
  if (!*in->batch_code) /* the institutions alone */
    return catalog_store_find_organizations(c, a, in->institution_ids, in->n_institution_ids,
                                            &r->institutions, &r->n_institutions);
  VBP_CHECK(catalog_store_find_batch(c, a, in->batch_code, false, &r->batch));
  if (!r->batch) return vbp_status_field(VBP_NOT_FOUND, "batchCode", "names no batch");
  VBP_CHECK(catalog_store_find_execution(c, a, in->batch_code, in->region_code, &r->execution));
  if (!r->execution)
    return vbp_status_field(VBP_NOT_FOUND, "regionCode", "has no execution of batch %s",
                            in->batch_code);
  VBP_CHECK(catalog_agreement_years_of(a, r->batch, r->execution, &r->agreement_years,
                                       &r->n_agreement_years));
  VBP_CHECK(catalog_store_list_batch_groups(c, a, in->batch_code, &r->groups, &r->n_groups));
  VBP_CHECK(catalog_store_list_batch_results(c, a, in->batch_code, &r->results, &r->n_results));
  VBP_CHECK(catalog_store_list_batch_products(c, a, in->batch_code, r->batch->kind, &r->products,
                                              &r->n_products));
  if (in->n_institution_ids > 0)
    VBP_CHECK(catalog_store_find_organizations(c, a, in->institution_ids, in->n_institution_ids,
                                               &r->institutions, &r->n_institutions));
  t->out = &r->base;
  return ok();
}

static vbp_status get_volume_inputs(vbp_call *call, const ProtobufCMessage *request,
                                    ProtobufCMessage **response) {
  const Vbp__V1__GetVolumeInputsRequest *in = (const Vbp__V1__GetVolumeInputsRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  /* Without a batch nor a region: the institutions alone (a purchase's province is its
   * institution's, so volume-svc asks who they are first). */
  bool institutions_only = !*in->batch_code && !*in->region_code;
  if (!institutions_only) VBP_CHECK(vbp_need_id("batchCode", in->batch_code));
  if (!institutions_only) VBP_CHECK(vbp_need_region_code("regionCode", in->region_code));
  /* A province: volume-svc maps an institution's city or county to its province before it asks. */
  if (!institutions_only && vbp_region_level_of(in->region_code) != VBP__V1__REGION_LEVEL__PROVINCE)
    return vbp_invalid("regionCode", "must be a province (six digits ending in 0000), got \"%s\"",
                       in->region_code);
  if (in->n_institution_ids > VOLUME_INPUTS_MAX_INSTITUTIONS)
    return vbp_invalid("institutionIds", "must name at most %d institutions, got %zu",
                       VOLUME_INPUTS_MAX_INSTITUTIONS, in->n_institution_ids);
  for (size_t i = 0; i < in->n_institution_ids; i++) /* the field named only for a bad one */
    if (!vbp_valid_id(in->institution_ids[i]))
      return vbp_need_id(vbp_arena_printf(a, "institutionIds[%zu]", i), in->institution_ids[i]);
  return in_tx(call, get_volume_inputs_tx, in, response);
}

/* ---------------------------------------------------------------- table */

/* Who may call what (API.md "Who may do what"); scope is the handlers' (common/scope.h). */
#define ANY VBP_ALLOW_ANY_CALLER
#define ADMIN VBP_ALLOW_ADMIN
#define BUREAU VBP_ALLOW_BUREAU
#define ALLIANCE VBP_ALLOW_ALLIANCE_OFFICE
#define MANUFACTURER VBP_ALLOW_MANUFACTURER
#define INTERNAL (VBP_ALLOW_SERVICE | VBP_ALLOW_ADMIN)

#define UNARY(name, req, resp, fn, who)                                    \
  {                                                                        \
    .path = "/vbp.v1.CatalogService/" name, .request = &req##__descriptor, \
    .response = &resp##__descriptor, .unary = fn, .roles = (who)           \
  }

const vbp_method catalog_methods[] = {
    UNARY("CreateRegion", vbp__v1__region, vbp__v1__region, create_region, ADMIN | BUREAU),
    UNARY("CreateOrganization", vbp__v1__organization, vbp__v1__organization, create_organization,
          ADMIN | BUREAU),
    UNARY("GetOrganization", vbp__v1__get_organization_request, vbp__v1__organization,
          get_organization, ANY),
    UNARY("ListOrganizations", vbp__v1__list_organizations_request,
          vbp__v1__list_organizations_response, list_organizations, ANY),
    UNARY("CreateBatch", vbp__v1__batch, vbp__v1__batch, create_batch, ADMIN | ALLIANCE),
    UNARY("GetBatch", vbp__v1__get_batch_request, vbp__v1__batch, get_batch, ANY),
    UNARY("ExtendBatch", vbp__v1__extend_batch_request, vbp__v1__batch, extend_batch,
          ADMIN | ALLIANCE),
    UNARY("CreateExecution", vbp__v1__execution, vbp__v1__execution, create_execution,
          ADMIN | BUREAU),
    UNARY("ListAgreementYears", vbp__v1__list_agreement_years_request,
          vbp__v1__list_agreement_years_response, list_agreement_years, ANY),
    UNARY("CreateProduct", vbp__v1__product, vbp__v1__product, create_product,
          ADMIN | ALLIANCE | MANUFACTURER),
    UNARY("GetProduct", vbp__v1__get_product_request, vbp__v1__product, get_product, ANY),
    UNARY("CreateGroup", vbp__v1__group, vbp__v1__group, create_group, ADMIN | ALLIANCE),
    UNARY("PublishResult", vbp__v1__result, vbp__v1__result, publish_result, ADMIN | ALLIANCE),
    UNARY("ListResults", vbp__v1__list_results_request, vbp__v1__list_results_response,
          list_results, ANY),
    UNARY("CreateApiKey", vbp__v1__create_api_key_request, vbp__v1__api_key, create_api_key,
          ADMIN | BUREAU),
    UNARY("RevokeApiKey", vbp__v1__revoke_api_key_request, google__protobuf__empty, revoke_api_key,
          ADMIN | BUREAU),
    UNARY("Authenticate", vbp__v1__authenticate_request, vbp__v1__authenticate_response,
          authenticate, INTERNAL),
    UNARY("GetPriceInputs", vbp__v1__get_price_inputs_request, vbp__v1__price_inputs,
          get_price_inputs, INTERNAL),
    UNARY("GetPriceInputsVersion", vbp__v1__get_price_inputs_version_request,
          vbp__v1__price_inputs_version, get_price_inputs_version, INTERNAL),
    {.path = "/vbp.v1.CatalogService/ExportBatch",
     .request = &vbp__v1__export_batch_request__descriptor,
     .response = &vbp__v1__exchange_record__descriptor,
     .stream = catalog_export_batch,
     .roles = ADMIN | ALLIANCE | BUREAU},
    UNARY("ImportBatch", vbp__v1__import_batch_request, vbp__v1__import_batch_response,
          catalog_import_batch, ADMIN | ALLIANCE),
    UNARY("ListKeyRevocations", vbp__v1__list_key_revocations_request, vbp__v1__key_revocations,
          list_key_revocations, VBP_ALLOW_SERVICE),
    UNARY("GetVolumeInputs", vbp__v1__get_volume_inputs_request, vbp__v1__volume_inputs,
          get_volume_inputs, INTERNAL),
    UNARY("ListChanges", vbp__v1__list_changes_request, vbp__v1__list_changes_response,
          catalog_list_changes, ANY),
    {.path = "/vbp.v1.CatalogService/WatchChanges",
     .request = &vbp__v1__watch_changes_request__descriptor,
     .response = &vbp__v1__change__descriptor,
     .stream = catalog_watch_changes,
     .roles = ANY},
    UNARY("GetEnterpriseRecord", vbp__v1__get_enterprise_record_request, vbp__v1__enterprise_record,
          catalog_get_enterprise_record, ADMIN | BUREAU | MANUFACTURER | VBP_ALLOW_DISTRIBUTOR),
};
const size_t catalog_methods_count = sizeof catalog_methods / sizeof catalog_methods[0];
