#include "pricing-svc/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/date.h"
#include "common/feed.h"
#include "common/ids.h"
#include "common/money.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "pricing-svc/cache.h"
#include "pricing-svc/feed_handlers.h"
#include "pricing-svc/lookup.h"
#include "pricing-svc/rules.h"
#include "pricing-svc/store.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"

#define MAX_PRODUCTS 1000 /* per BatchGetPrices, as GetPriceInputs takes */
#define CATALOG_TIMEOUT_MS 2000
#define VERSION_TIMEOUT_MS 300 /* well inside the lease */
#define DEFAULT_POLL_MS 200
#define DEFAULT_LEASE_MS 500
#define DEFAULT_MEMO_SLOTS 65536

/* CatalogService's method `name`, as pricing-svc calls it. */
static const vbp_method *catalog_method(const char *name) {
  return vbp_method_of(&vbp__v1__catalog_service__descriptor, name);
}

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

static pricing_service *service_of(vbp_call *call) { return vbp_call_context(call); }

static void count(vbp_counter *counter, uint64_t n) {
  if (counter && n) vbp_counter_add(counter, n);
}

/* ---------------------------------------------------------------- checks */

/* A province, city or county code, answered for its province. */
static vbp_status need_region(const char *field, const char *code, char province[7]) {
  VBP_CHECK(vbp_need_region_code(field, code));
  vbp_region_province_of(code, province);
  return vbp_status_ok();
}

/* A date, or today in China when absent. */
static vbp_status date_or_today(const char *field, const char *text, vbp_date *out) {
  if (!text || !*text) {
    *out = vbp_today();
    return vbp_status_ok();
  }
  if (!vbp_date_parse(text, out))
    return vbp_invalid(field, "must be a real date as YYYY-MM-DD, got \"%s\"", text);
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- versions */

static vbp_status own_version_tx(vbp_pg_conn *c, void *ctx) {
  return pricing_store_version(c, ctx);
}

vbp_status pricing_fetch_versions(void *ctx, int64_t *catalog, int64_t *own) {
  pricing_service *svc = ctx;
  Vbp__V1__GetPriceInputsVersionRequest req = VBP__V1__GET_PRICE_INPUTS_VERSION_REQUEST__INIT;
  vbp_call_options options = {.timeout_ms = VERSION_TIMEOUT_MS, .caller = &service_caller};
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(svc->catalog, catalog_method("GetPriceInputsVersion"), &req.base,
                                  &options, NULL, &answer);
  if (!vbp_ok(&st)) return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc: %s", st.message);
  *catalog = ((const Vbp__V1__PriceInputsVersion *)answer)->version;
  protobuf_c_message_free_unpacked(answer, NULL);
  return vbp_pg_read(svc->pool, own_version_tx, own);
}

/* ---------------------------------------------------------------- computing answers */

/* What pricing's own database says for one computation. The version is read first, so the
 * listings and policies read after it are at least as new as the version they are cached
 * under. */
typedef struct own_inputs {
  vbp_arena *arena;
  const char *province;
  vbp_date date;
  const char *const *ids; /* the products and their groups' others */
  size_t n_ids;
  int64_t version;
  pricing_policy *policies;
  size_t n_policies;
  pricing_listed *listed;
  size_t n_listed;
} own_inputs;

static vbp_status own_inputs_tx(vbp_pg_conn *c, void *ctx) {
  own_inputs *o = ctx;
  VBP_CHECK(pricing_store_version(c, &o->version));
  VBP_CHECK(pricing_store_policies(c, o->arena, &o->policies, &o->n_policies));
  return pricing_store_listed(c, o->arena, o->province, o->date, o->ids, o->n_ids, &o->listed,
                              &o->n_listed);
}

/* The answers of ids[0..n) (distinct): values[i] (the cached form, cache.h) or statuses[i] for a
 * failure that is not an answer (not cached). *catalog and *own are the versions the inputs
 * were read at. A failure of the whole computation is returned (and statuses are not set). */
static vbp_status compute(vbp_call *call, const char *province, vbp_date date,
                          const char *const *ids, size_t n, char **values, size_t *lens,
                          vbp_status *statuses, int64_t *catalog, int64_t *own) {
  pricing_service *svc = service_of(call);
  vbp_arena *a = vbp_call_arena(call);
  char day[11];
  Vbp__V1__GetPriceInputsRequest req = VBP__V1__GET_PRICE_INPUTS_REQUEST__INIT;
  req.region_code = (char *)province;
  req.product_ids = (char **)ids;
  req.n_product_ids = n;
  req.date = vbp_date_format(date, day);
  vbp_call_options options = {.timeout_ms = CATALOG_TIMEOUT_MS,
                              .caller = &service_caller,
                              .request_id = vbp_call_request_id(call)};
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(svc->catalog, catalog_method("GetPriceInputs"), &req.base,
                                  &options, vbp_call_allocator(call), &answer);
  if (!vbp_ok(&st))
    return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc could not give the price inputs: %s",
                           st.message);
  const Vbp__V1__PriceInputs *inputs = (const Vbp__V1__PriceInputs *)answer;
  if (inputs->n_products != n)
    return vbp_status_make(VBP_INTERNAL, "catalog-svc answered for %zu products of %zu",
                           inputs->n_products, n);

  size_t n_ids = n;
  for (size_t i = 0; i < n; i++) n_ids += inputs->products[i]->n_others;
  const char **all = vbp_arena_alloc(a, (n_ids + 1) * sizeof *all);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    all[k++] = ids[i];
    for (size_t j = 0; j < inputs->products[i]->n_others; j++)
      all[k++] = inputs->products[i]->others[j]->product_id;
  }
  own_inputs o = {.arena = a, .province = province, .date = date, .ids = all, .n_ids = n_ids};
  VBP_CHECK(vbp_pg_read(svc->pool, own_inputs_tx, &o));

  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__ProductPriceInputs *in = inputs->products[i];
    statuses[i] = vbp_status_ok();
    if (strcmp(in->product_id, ids[i]) != 0) {
      statuses[i] = vbp_status_make(VBP_INTERNAL, "catalog-svc answered out of order");
      continue;
    }
    if (!in->product) {
      values[i] = pricing_cache_encode_none(a, "no product has this id", &lens[i]);
      continue;
    }
    Vbp__V1__Price *price = vbp_arena_alloc(a, sizeof *price);
    vbp_status ps = pricing_lookup_answer(a, o.policies, o.n_policies, province, in, o.listed,
                                          o.n_listed, price);
    if (vbp_ok(&ps))
      values[i] = pricing_cache_encode_price(a, price, &lens[i]);
    else if (ps.code == VBP_NOT_FOUND)
      values[i] = pricing_cache_encode_none(a, ps.message, &lens[i]);
    else
      statuses[i] = vbp_status_make(VBP_INTERNAL, "the price inputs of %s contradict: %s", ids[i],
                                    ps.message);
  }
  *catalog = inputs->version;
  *own = o.version;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- look-ups */

typedef enum slot_state { SLOT_DONE, SLOT_LEAD, SLOT_FOLLOW, SLOT_SAME_AS } slot_state;

/* One asked product on its way to an answer. */
typedef struct slot {
  const char *key;
  slot_state state;
  pricing_flight *flight; /* LEAD and FOLLOW */
  size_t same_as;         /* SAME_AS: an earlier slot with the same key */
  vbp_status status;
  char *value; /* the cached form, once known */
  size_t len;
} slot;

/* Reads what the memo has, then asks Redis for the rest in one round trip; a Redis that fails
 * is a miss for those (look-ups go on without it). */
static void read_cache(pricing_service *svc, vbp_arena *a, slot *slots, size_t n) {
  const char **keys = vbp_arena_alloc(a, n * sizeof *keys);
  char **values = vbp_arena_alloc(a, n * sizeof *values);
  size_t *lens = vbp_arena_alloc(a, n * sizeof *lens);
  size_t *asked = vbp_arena_alloc(a, n * sizeof *asked); /* slots asked of Redis */
  size_t m = 0, memo_hits = 0, hits = 0;
  for (size_t i = 0; i < n; i++) {
    if (vbp_memo_get(svc->memo, slots[i].key, a, &slots[i].value, &slots[i].len)) {
      slots[i].state = SLOT_DONE;
      memo_hits++;
    } else {
      asked[m] = i;
      keys[m++] = slots[i].key;
    }
  }
  count(svc->memo_hits, memo_hits);
  vbp_status st = m ? vbp_redis_mget(svc->redis, keys, m, values, lens) : vbp_status_ok();
  if (!vbp_ok(&st)) {
    count(svc->cache_errors, 1);
    m = 0;
  }
  for (size_t j = 0; j < m; j++) {
    if (!values[j]) continue;
    slot *s = &slots[asked[j]];
    s->value = vbp_arena_strndup(a, values[j], lens[j]);
    s->len = lens[j];
    s->state = SLOT_DONE;
    vbp_memo_put(svc->memo, s->key, s->value, s->len);
    hits++;
    free(values[j]);
  }
  count(svc->hits, memo_hits + hits);
}

/* Computes the slots this call leads, in one go, tells their followers and caches them. */
static void lead(vbp_call *call, const char *province, vbp_date date, const char *const *ids,
                 slot *slots, size_t n) {
  pricing_service *svc = service_of(call);
  vbp_arena *a = vbp_call_arena(call);
  size_t *led = vbp_arena_alloc(a, (n + 1) * sizeof *led), m = 0;
  for (size_t i = 0; i < n; i++)
    if (slots[i].state == SLOT_LEAD) led[m++] = i;
  if (m == 0) return;

  const char **led_ids = vbp_arena_alloc(a, m * sizeof *led_ids);
  char **values = vbp_arena_alloc(a, m * sizeof *values);
  size_t *lens = vbp_arena_alloc(a, m * sizeof *lens);
  vbp_status *statuses = vbp_arena_alloc(a, m * sizeof *statuses);
  for (size_t j = 0; j < m; j++) led_ids[j] = ids[led[j]];
  int64_t catalog = 0, own = 0, started = vbp_monotonic_us();
  vbp_status st = compute(call, province, date, led_ids, m, values, lens, statuses, &catalog, &own);
  count(svc->computations, m);
  count(svc->computation_us, (uint64_t)(vbp_monotonic_us() - started));

  const char **keys = vbp_arena_alloc(a, m * sizeof *keys);
  /* Under the versions the inputs were read at: never older than the key looked up. */
  const char *prefix = pricing_cache_prefix(a, catalog, own, province, date);
  char **cached_values = vbp_arena_alloc(a, m * sizeof *cached_values);
  size_t *cached_lens = vbp_arena_alloc(a, m * sizeof *cached_lens), cached = 0;
  for (size_t j = 0; j < m; j++) {
    slot *s = &slots[led[j]];
    s->status = vbp_ok(&st) ? statuses[j] : st;
    if (!vbp_ok(&s->status)) continue;
    s->value = values[j];
    s->len = lens[j];
    keys[cached] = pricing_cache_key(a, prefix, ids[led[j]]);
    vbp_memo_put(svc->memo, keys[cached], values[j], lens[j]);
    cached_values[cached] = values[j];
    cached_lens[cached++] = lens[j];
  }
  /* Cached before the flights end, so a look-up that comes after finds one or the other. */
  if (vbp_ok(&st)) pricing_versions_saw(svc->versions, catalog, own);
  vbp_status cache_st = vbp_redis_set_many(svc->redis, keys, (const char *const *)cached_values,
                                           cached_lens, cached, PRICING_CACHE_TTL_SECONDS);
  if (!vbp_ok(&cache_st)) count(svc->cache_errors, 1);
  for (size_t j = 0; j < m; j++) {
    const slot *s = &slots[led[j]];
    pricing_flight_done(svc->flights, s->flight, s->status, s->value, s->len);
  }
}

/* The answers to ids[0..n) in province on date, in order. A product without a price is
 * NOT_FOUND naming field (with "[i]" when indexed). */
static vbp_status look_up(vbp_call *call, const char *province, vbp_date date,
                          const char *const *ids, size_t n, const char *field, bool indexed,
                          Vbp__V1__Price ***out) {
  pricing_service *svc = service_of(call);
  vbp_arena *a = vbp_call_arena(call);
  int64_t catalog, own;
  VBP_CHECK(pricing_versions_get(svc->versions, &catalog, &own));
  /* The answers reflect these versions (or newer): the gateway's ETag for GET /v1/prices. */
  vbp_call_set_header(call, "vbp-etag",
                      vbp_arena_printf(a, "%lld.%lld", (long long)catalog, (long long)own));

  slot *slots = vbp_arena_alloc(a, (n + 1) * sizeof *slots);
  const char *prefix = pricing_cache_prefix(a, catalog, own, province, date);
  for (size_t i = 0; i < n; i++)
    slots[i] = (slot){.key = pricing_cache_key(a, prefix, ids[i]), .state = SLOT_LEAD};
  read_cache(svc, a, slots, n);

  size_t followers = 0;
  for (size_t i = 0; i < n; i++) {
    if (slots[i].state == SLOT_DONE) continue;
    for (size_t j = 0; j < i && slots[i].state != SLOT_SAME_AS; j++)
      if (slots[j].state != SLOT_DONE && slots[j].state != SLOT_SAME_AS &&
          strcmp(slots[j].key, slots[i].key) == 0) {
        slots[i].state = SLOT_SAME_AS;
        slots[i].same_as = j;
      }
    if (slots[i].state == SLOT_SAME_AS) continue;
    if (!pricing_flight_join(svc->flights, slots[i].key, &slots[i].flight)) {
      slots[i].state = SLOT_FOLLOW;
      followers++;
    } else if (vbp_memo_get(svc->memo, slots[i].key, a, &slots[i].value, &slots[i].len)) {
      /* A leader that finished between our read and our join left its answer here: a hit from
       * memory like any other (uncounted, the metrics said one look-up had no answer at all). */
      slots[i].state = SLOT_DONE;
      count(svc->hits, 1);
      count(svc->memo_hits, 1);
      pricing_flight_done(svc->flights, slots[i].flight, vbp_status_ok(), slots[i].value,
                          slots[i].len);
    }
  }
  size_t answered = 0; /* from the cache, before or after joining */
  for (size_t i = 0; i < n; i++) answered += slots[i].state == SLOT_DONE;
  count(svc->misses, n - answered);
  /* Every flight this call leads is finished before it waits for another's. */
  lead(call, province, date, ids, slots, n);
  count(svc->shared, followers);
  for (size_t i = 0; i < n; i++)
    if (slots[i].state == SLOT_FOLLOW)
      slots[i].status =
          pricing_flight_wait(svc->flights, slots[i].flight, a, &slots[i].value, &slots[i].len);

  Vbp__V1__Price **prices = vbp_arena_alloc(a, (n + 1) * sizeof *prices);
  for (size_t i = 0; i < n; i++) {
    const slot *s = slots[i].state == SLOT_SAME_AS ? &slots[slots[i].same_as] : &slots[i];
    if (!vbp_ok(&s->status)) return s->status;
    const char *reason = NULL;
    if (!pricing_cache_decode(a, s->value, s->len, &prices[i], &reason))
      return vbp_status_make(VBP_INTERNAL, "a cached answer of %s does not decode", ids[i]);
    if (!prices[i]) {
      const char *name = indexed ? vbp_arena_printf(a, "%s[%zu]", field, i) : field;
      return vbp_status_field(VBP_NOT_FOUND, name, "%s: %s", ids[i], reason);
    }
  }
  *out = prices;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- handlers */

static vbp_status get_price(vbp_call *call, const ProtobufCMessage *request,
                            ProtobufCMessage **response) {
  const Vbp__V1__GetPriceRequest *in = (const Vbp__V1__GetPriceRequest *)request;
  char province[7];
  vbp_date date;
  VBP_CHECK(need_region("regionCode", in->region_code, province));
  VBP_CHECK(vbp_need_id("productId", in->product_id));
  VBP_CHECK(date_or_today("date", in->date, &date));
  Vbp__V1__Price **prices = NULL;
  const char *ids[] = {in->product_id};
  VBP_CHECK(look_up(call, province, date, ids, 1, "productId", false, &prices));
  *response = &prices[0]->base;
  return vbp_status_ok();
}

static vbp_status batch_get_prices(vbp_call *call, const ProtobufCMessage *request,
                                   ProtobufCMessage **response) {
  const Vbp__V1__BatchGetPricesRequest *in = (const Vbp__V1__BatchGetPricesRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  char province[7];
  vbp_date date;
  VBP_CHECK(need_region("regionCode", in->region_code, province));
  if (in->n_product_ids == 0) return vbp_invalid("productIds", "must name at least one product");
  if (in->n_product_ids > MAX_PRODUCTS)
    return vbp_invalid("productIds", "must name at most %d products", MAX_PRODUCTS);
  for (size_t i = 0; i < in->n_product_ids; i++) /* the field's name made only when wrong */
    if (!in->product_ids[i] || !vbp_valid_id(in->product_ids[i]))
      return vbp_need_id(vbp_arena_printf(a, "productIds[%zu]", i), in->product_ids[i]);
  VBP_CHECK(date_or_today("date", in->date, &date));
  Vbp__V1__BatchGetPricesResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__batch_get_prices_response__init(r);
  VBP_CHECK(look_up(call, province, date, (const char *const *)in->product_ids, in->n_product_ids,
                    "productIds", true, &r->prices));
  r->n_prices = in->n_product_ids;
  *response = &r->base;
  return vbp_status_ok();
}

typedef struct policies_read {
  vbp_arena *arena;
  pricing_policy *rows;
  size_t n;
} policies_read;

static vbp_status policies_tx(vbp_pg_conn *c, void *ctx) {
  policies_read *p = ctx;
  return pricing_store_policies(c, p->arena, &p->rows, &p->n);
}

static char **rule_names(vbp_arena *a, const char *const *names, size_t *n) {
  for (*n = 0; names && names[*n];) (*n)++;
  char **out = vbp_arena_alloc(a, (*n + 1) * sizeof *out);
  for (size_t i = 0; i < *n; i++) out[i] = (char *)names[i];
  return out;
}

static vbp_status list_pricing_policies(vbp_call *call, const ProtobufCMessage *request,
                                        ProtobufCMessage **response) {
  (void)request;
  vbp_arena *a = vbp_call_arena(call);
  policies_read p = {.arena = a};
  VBP_CHECK(vbp_pg_read(service_of(call)->pool, policies_tx, &p));
  Vbp__V1__ListPricingPoliciesResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__list_pricing_policies_response__init(r);
  r->policies = vbp_arena_alloc(a, (p.n + 1) * sizeof *r->policies);
  for (size_t i = 0; i < p.n; i++) {
    Vbp__V1__PricingPolicy *m = vbp_arena_alloc(a, sizeof *m);
    vbp__v1__pricing_policy__init(m);
    m->region_code = (char *)p.rows[i].region_code;
    m->product_kind = (Vbp__V1__ProductKind)p.rows[i].product_kind;
    m->rule_family = (char *)p.rows[i].rule_family;
    m->limit_rules = rule_names(a, pricing_limit_rules(p.rows[i].limit_family), &m->n_limit_rules);
    m->standard_rules =
        rule_names(a, pricing_standard_rules(p.rows[i].standard_family), &m->n_standard_rules);
    m->source = (char *)p.rows[i].source;
    r->policies[r->n_policies++] = m;
  }
  *response = &r->base;
  return vbp_status_ok();
}

typedef struct listing_write {
  const char *province, *product_id, *recorded_by;
  vbp_date listed_on;
  vbp_money price;
  int64_t version;
} listing_write;

static vbp_status listing_tx(vbp_pg_conn *c, void *ctx) {
  listing_write *w = ctx;
  bool changed = false, created = false;
  VBP_CHECK(pricing_store_upsert_listing(c, w->province, w->product_id, w->listed_on, w->price,
                                         w->recorded_by, &changed, &created));
  if (changed) { /* a listing is reference data: every caller may read it */
    char day[11], id[96];
    vbp_date_format(w->listed_on, day);
    snprintf(id, sizeof id, "%s/%s/%s", w->province, w->product_id, day);
    const vbp_change change = {.type = "listing",
                               .id = id,
                               .action = created ? "created" : "updated",
                               .region_code = w->province,
                               .is_public = true};
    vbp_feed_add(c, &change);
  }
  /* After the write, in its transaction: the version the trigger has just bumped. */
  return pricing_store_version(c, &w->version);
}

/* NOT_FOUND naming productId when the catalog has no such product. */
static vbp_status need_product(vbp_call *call, const char *id) {
  Vbp__V1__GetProductRequest req = VBP__V1__GET_PRODUCT_REQUEST__INIT;
  req.id = (char *)id;
  vbp_call_options options = {.timeout_ms = CATALOG_TIMEOUT_MS,
                              .caller = &service_caller,
                              .request_id = vbp_call_request_id(call)};
  ProtobufCMessage *product = NULL;
  vbp_status st = vbp_client_call(service_of(call)->catalog, catalog_method("GetProduct"),
                                  &req.base, &options, vbp_call_allocator(call), &product);
  if (st.code == VBP_NOT_FOUND)
    return vbp_status_field(VBP_NOT_FOUND, "productId", "no product has the id \"%s\"", id);
  if (!vbp_ok(&st))
    return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc could not check the product: %s",
                           st.message);
  return st;
}

static vbp_status upsert_listing(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
  const Vbp__V1__Listing *in = (const Vbp__V1__Listing *)request;
  const vbp_caller *who = vbp_call_caller(call);
  vbp_arena *a = vbp_call_arena(call);
  char province[7];
  VBP_CHECK(need_region("regionCode", in->region_code, province));
  if (strcmp(province, in->region_code) != 0)
    return vbp_invalid("regionCode", "must be a province (listings are provincial), got \"%s\"",
                       in->region_code);
  if (!vbp_scope_region(who, province)) return vbp_scope_denied();
  VBP_CHECK(vbp_need_id("productId", in->product_id));
  listing_write w = {
      .province = province, .product_id = in->product_id, .recorded_by = vbp_caller_name(who)};
  VBP_CHECK(vbp_need_price("price", in->price, &w.price));
  VBP_CHECK(vbp_need_date("listedOn", in->listed_on, &w.listed_on));
  VBP_CHECK(need_product(call, in->product_id));
  VBP_CHECK(vbp_pg_transaction(service_of(call)->pool, listing_tx, &w));
  /* Before the answer: the next look-up here already keys by the new version. */
  pricing_versions_saw(service_of(call)->versions, 0, w.version);

  Vbp__V1__Listing *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__listing__init(r);
  char buf[VBP_MONEY_FORMAT_MAX], day[11];
  r->region_code = vbp_arena_strdup(a, province);
  r->product_id = vbp_arena_strdup(a, in->product_id);
  r->price = vbp_arena_strdup(a, vbp_money_format(w.price, buf));
  r->listed_on = vbp_arena_strdup(a, vbp_date_format(w.listed_on, day));
  *response = &r->base;
  return vbp_status_ok();
}

static vbp_status price_inputs_changed(vbp_call *call, const ProtobufCMessage *request,
                                       ProtobufCMessage **response) {
  const Vbp__V1__PriceInputsChangedRequest *in =
      (const Vbp__V1__PriceInputsChangedRequest *)request;
  if (in->catalog_version <= 0) return vbp_invalid("catalogVersion", "must be positive");
  pricing_versions_saw(service_of(call)->versions, in->catalog_version, 0);
  Vbp__V1__PriceInputsChangedResponse *r = vbp_arena_alloc(vbp_call_arena(call), sizeof *r);
  vbp__v1__price_inputs_changed_response__init(r);
  *response = &r->base;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- method table */

/* Who may call what (API.md "Who may do what"); scope is the handlers' (common/scope.h). */
#define UNARY(name, req, resp, fn, who)                                    \
  {                                                                        \
    .path = "/vbp.v1.PricingService/" name, .request = &req##__descriptor, \
    .response = &resp##__descriptor, .unary = fn, .roles = (who)           \
  }

const vbp_method pricing_methods[] = {
    UNARY("GetPrice", vbp__v1__get_price_request, vbp__v1__price, get_price, VBP_ALLOW_ANY_CALLER),
    UNARY("BatchGetPrices", vbp__v1__batch_get_prices_request, vbp__v1__batch_get_prices_response,
          batch_get_prices, VBP_ALLOW_ANY_CALLER),
    UNARY("ListPricingPolicies", vbp__v1__list_pricing_policies_request,
          vbp__v1__list_pricing_policies_response, list_pricing_policies, VBP_ALLOW_ANY_CALLER),
    UNARY("UpsertListing", vbp__v1__listing, vbp__v1__listing, upsert_listing,
          VBP_ALLOW_ADMIN | VBP_ALLOW_BUREAU),
    UNARY("PriceInputsChanged", vbp__v1__price_inputs_changed_request,
          vbp__v1__price_inputs_changed_response, price_inputs_changed,
          VBP_ALLOW_SERVICE | VBP_ALLOW_ADMIN),
    UNARY("ListServiceChanges", vbp__v1__list_service_changes_request,
          vbp__v1__list_service_changes_response, pricing_list_service_changes, VBP_ALLOW_SERVICE),
    UNARY("ListListings", vbp__v1__list_listings_request, vbp__v1__list_listings_response,
          pricing_list_listings, VBP_ALLOW_SERVICE),
};
const size_t pricing_methods_count = sizeof pricing_methods / sizeof pricing_methods[0];

/* ---------------------------------------------------------------- life cycle */

void pricing_service_start(pricing_service *svc, vbp_metrics *metrics) {
  if (metrics) {
    svc->hits = vbp_metrics_counter(metrics, "vbp_price_cache_hits_total",
                                    "Price look-ups answered from the cache (memory or Redis).");
    svc->memo_hits = vbp_metrics_counter(metrics, "vbp_price_cache_memory_hits_total",
                                         "Price look-ups answered from this process's memory.");
    svc->misses = vbp_metrics_counter(metrics, "vbp_price_cache_misses_total",
                                      "Price look-ups the cache had no answer for.");
    svc->cache_errors = vbp_metrics_counter(metrics, "vbp_price_cache_errors_total",
                                            "Redis commands of price look-ups that failed.");
    svc->computations = vbp_metrics_counter(metrics, "vbp_price_computations_total",
                                            "Prices computed from their inputs.");
    svc->computation_us =
        vbp_metrics_counter(metrics, "vbp_price_computation_microseconds_total",
                            "Time spent computing prices (inputs read and rules run).");
    svc->shared = vbp_metrics_counter(metrics, "vbp_price_computations_shared_total",
                                      "Look-ups that waited for another's computation.");
  }
  svc->flights = pricing_flights_create();
  svc->memo = vbp_memo_create(svc->memo_slots < 0    ? 0
                              : svc->memo_slots == 0 ? DEFAULT_MEMO_SLOTS
                                                     : (size_t)svc->memo_slots);
  svc->versions = pricing_versions_start(pricing_fetch_versions, svc,
                                         svc->poll_ms > 0 ? svc->poll_ms : DEFAULT_POLL_MS,
                                         svc->lease_ms > 0 ? svc->lease_ms : DEFAULT_LEASE_MS);
}

void pricing_service_stop(pricing_service *svc) {
  pricing_versions_stop(svc->versions);
  svc->versions = NULL;
  pricing_flights_destroy(svc->flights);
  svc->flights = NULL;
  vbp_memo_destroy(svc->memo);
  svc->memo = NULL;
}

bool pricing_ready(void *ctx) {
  pricing_service *svc = ctx;
  int64_t catalog, own;
  if (!vbp_pg_ready(svc->pool)) return false;
  vbp_status st = pricing_versions_get(svc->versions, &catalog, &own);
  return vbp_ok(&st);
}
