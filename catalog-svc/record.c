/* GetEnterpriseRecord: an enterprise's supervision record (DOMAIN.md "Supervision", API.md),
 * gathered from the services that hold each kind: volume-svc's verified supply issues and
 * flagged purchases of its products, contract-svc's contracts it left unsigned, and the catalog's
 * own: its NON_WINNING products' listings (asked of pricing-svc) above their group's
 * maxNonWinningPrice. One page runs through the sources in that order (the kinds' order); its
 * token holds the source and that source's own token. */
#include <stdlib.h>
#include <string.h>

#include "catalog-svc/handlers.h"
#include "catalog-svc/store.h"
#include "common/date.h"
#include "common/money.h"
#include "common/page.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/feed.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

#define PEER_TIMEOUT_MS 10000
#define LISTINGS_PER_CALL 1000 /* what ListListings takes */

enum { SOURCE_VOLUME, SOURCE_CONTRACT, SOURCE_CATALOG, SOURCES };

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

/* ---------------------------------------------------------------- the catalog's reads */

/* A NON_WINNING result of the enterprise's product in a group with a cap, in a province that
 * executes the batch. */
typedef struct capped {
  char *batch_code, *product_id, *group_id, *province;
  vbp_money cap;
  vbp_date listing_date; /* the execution's: the cap binds listings from then on */
} capped;

static void *capped_of_row(const vbp_pg_row *row) {
  capped *c = vbp_arena_alloc(row->arena, sizeof *c);
  c->batch_code = vbp_pg_text(row, 0);
  c->product_id = vbp_pg_text(row, 1);
  c->group_id = vbp_pg_text(row, 2);
  c->cap = vbp_pg_int64(row, 3);
  c->province = vbp_pg_text(row, 4);
  vbp_pg_date(row, 5, &c->listing_date);
  return c;
}

static void *text_of_row(const vbp_pg_row *row) { return vbp_pg_text(row, 0); }

typedef struct record_read {
  const char *org;
  vbp_arena *arena;
  Vbp__V1__Organization *organization;
  char **products; /* the manufacturer's, by id */
  size_t n_products;
  capped **capped;
  size_t n_capped;
} record_read;

static vbp_status record_read_tx(vbp_pg_conn *c, void *ctx) {
  record_read *r = ctx;
  VBP_CHECK(catalog_store_find_organization(c, r->arena, r->org, &r->organization));
  if (!r->organization || r->organization->kind != VBP__V1__ORGANIZATION_KIND__MANUFACTURER)
    return vbp_status_ok(); /* a distributor has no products */
  const char *p[] = {r->org, vbp_arena_printf(r->arena, "%d", VBP__V1__RESULT_STATUS__NON_WINNING)};
  VBP_CHECK(vbp_pg_query_rows(c, r->arena, "list manufacturer's products",
                              "SELECT id FROM products WHERE manufacturer_id = $1 "
                              "ORDER BY id COLLATE \"C\"",
                              1, p, text_of_row, (void ***)&r->products, &r->n_products));
  return vbp_pg_query_rows(
      c, r->arena, "list capped non-winning results",
      "SELECT r.batch_code, r.product_id, r.group_id, g.max_non_winning_price, x.region_code, "
      "to_char(x.listing_date, 'YYYY-MM-DD') "
      "FROM products p JOIN results r ON r.product_id = p.id AND r.status = $2::int "
      "JOIN groups g ON g.batch_code = r.batch_code AND g.id = r.group_id "
      "JOIN executions x ON x.batch_code = r.batch_code "
      "WHERE p.manufacturer_id = $1 AND g.max_non_winning_price IS NOT NULL",
      2, p, capped_of_row, (void ***)&r->capped, &r->n_capped);
}

/* ---------------------------------------------------------------- the catalog's own kind */

typedef struct cap_entry {
  Vbp__V1__RecordEntry *entry;
  const char *key; /* "at|product|province|batch": its place in the order */
} cap_entry;

static int by_key(const void *x, const void *y) {
  return strcmp(((const cap_entry *)x)->key, ((const cap_entry *)y)->key);
}

/* Every listing of the products in r->capped (ListListings, LISTINGS_PER_CALL at a time). */
static vbp_status listings_of(vbp_call *call, const record_read *r, Vbp__V1__Listing ***out,
                              size_t *n) {
  vbp_arena *a = vbp_call_arena(call);
  catalog_service *svc = vbp_call_context(call);
  *out = NULL;
  *n = 0;
  /* The distinct products, in order. */
  char **ids = vbp_arena_alloc(a, (r->n_capped + 1) * sizeof *ids);
  size_t n_ids = 0;
  for (size_t i = 0; i < r->n_capped; i++) {
    bool seen = false;
    for (size_t j = 0; j < n_ids && !seen; j++)
      seen = strcmp(ids[j], r->capped[i]->product_id) == 0;
    if (!seen) ids[n_ids++] = r->capped[i]->product_id;
  }
  if (n_ids == 0) return vbp_status_ok();
  if (!svc->pricing) return vbp_status_make(VBP_UNAVAILABLE, "pricing-svc is not configured");
  size_t cap = 0;
  for (size_t from = 0; from < n_ids; from += LISTINGS_PER_CALL) {
    Vbp__V1__ListListingsRequest req = VBP__V1__LIST_LISTINGS_REQUEST__INIT;
    req.product_ids = ids + from;
    req.n_product_ids = n_ids - from < LISTINGS_PER_CALL ? n_ids - from : LISTINGS_PER_CALL;
    vbp_call_options options = {.timeout_ms = PEER_TIMEOUT_MS,
                                .caller = &service_caller,
                                .request_id = vbp_call_request_id(call)};
    ProtobufCMessage *answer = NULL;
    vbp_status st = vbp_client_call(
        svc->pricing, vbp_method_of(&vbp__v1__pricing_service__descriptor, "ListListings"),
        &req.base, &options, vbp_call_allocator(call), &answer);
    if (!vbp_ok(&st)) return vbp_status_make(VBP_UNAVAILABLE, "pricing-svc: %s", st.message);
    const Vbp__V1__ListListingsResponse *l = (const Vbp__V1__ListListingsResponse *)answer;
    if (*n + l->n_listings > cap) {
      size_t more = (*n + l->n_listings) * 2;
      Vbp__V1__Listing **grown = vbp_arena_alloc(a, more * sizeof *grown);
      if (*n) memcpy(grown, *out, *n * sizeof *grown);
      *out = grown;
      cap = more;
    }
    for (size_t i = 0; i < l->n_listings; i++) (*out)[(*n)++] = l->listings[i];
  }
  return vbp_status_ok();
}

/* NON_WINNING_ABOVE_CAP: a listing of a capped product in a province executing the batch, from
 * the execution's listing date (挂网) on, above the cap. For a bureau, only its province's. */
static vbp_status cap_entries(vbp_call *call, const record_read *r, bool everything,
                              cap_entry **out, size_t *n) {
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  Vbp__V1__Listing **listings = NULL;
  size_t n_listings = 0;
  VBP_CHECK(listings_of(call, r, &listings, &n_listings));
  *out = NULL;
  *n = 0;
  size_t room = 0;
  for (size_t i = 0; i < n_listings; i++) {
    const Vbp__V1__Listing *l = listings[i];
    vbp_money price = 0;
    vbp_date listed_on = 0;
    if (!vbp_money_parse(l->price, &price) || !vbp_date_parse(l->listed_on, &listed_on)) continue;
    if (!everything && !vbp_scope_region(who, l->region_code)) continue;
    for (size_t j = 0; j < r->n_capped; j++) {
      const capped *c = r->capped[j];
      if (strcmp(c->product_id, l->product_id) != 0 || strcmp(c->province, l->region_code) != 0 ||
          listed_on < c->listing_date || price <= c->cap)
        continue;
      Vbp__V1__RecordEntry *e = vbp_arena_alloc(a, sizeof *e);
      vbp__v1__record_entry__init(e);
      char cap_text[VBP_MONEY_FORMAT_MAX], price_text[VBP_MONEY_FORMAT_MAX];
      e->kind = VBP__V1__RECORD_ENTRY__KIND__NON_WINNING_ABOVE_CAP;
      e->at = l->listed_on;
      e->batch_code = c->batch_code;
      e->product_id = c->product_id;
      e->region_code = l->region_code;
      e->detail = vbp_arena_printf(
          a,
          "Non-winning %s listed in %s at %s from %s, above the %s the alliance office set for "
          "non-winning products of group %s.",
          c->product_id, l->region_code, vbp_money_format(price, price_text), l->listed_on,
          vbp_money_format(c->cap, cap_text), c->group_id);
      if (*n == room) { /* a listing matches one capped result per batch: grow as found */
        room = room ? 2 * room : 16;
        cap_entry *grown = vbp_arena_alloc(a, room * sizeof *grown);
        if (*n) memcpy(grown, *out, *n * sizeof *grown);
        *out = grown;
      }
      (*out)[*n] = (cap_entry){.entry = e,
                               .key = vbp_arena_printf(a, "%s|%s|%s|%s", e->at, e->product_id,
                                                       e->region_code, e->batch_code)};
      (*n)++;
    }
  }
  if (*n) qsort(*out, *n, sizeof **out, by_key);
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- the sources */

typedef struct page {
  Vbp__V1__EnterpriseRecord *out;
  int room; /* entries the page still takes */
} page;

static void take(page *p, Vbp__V1__RecordEntry *const *entries, size_t n, size_t cap) {
  if (p->out->n_entries + n > cap) n = cap - p->out->n_entries;
  for (size_t i = 0; i < n; i++) p->out->entries[p->out->n_entries++] = entries[i];
  p->room -= (int)n;
}

/* One page of a peer's kinds (ListRecordEntries as our service), unpacked into the call's
 * arena. UNAVAILABLE when the peer is not configured or does not answer. */
static vbp_status ask_peer(vbp_call *call, vbp_client *client, const ProtobufCServiceDescriptor *d,
                           const char *name, const Vbp__V1__ListRecordEntriesRequest *req,
                           Vbp__V1__EnterpriseRecord **answer) {
  if (!client) return vbp_status_make(VBP_UNAVAILABLE, "%s is not configured", name);
  vbp_call_options options = {.timeout_ms = PEER_TIMEOUT_MS,
                              .caller = &service_caller,
                              .request_id = vbp_call_request_id(call)};
  ProtobufCMessage *m = NULL;
  vbp_status st = vbp_client_call(client, vbp_method_of(d, "ListRecordEntries"), &req->base,
                                  &options, vbp_call_allocator(call), &m);
  if (!vbp_ok(&st)) return vbp_status_make(VBP_UNAVAILABLE, "%s: %s", name, st.message);
  *answer = (Vbp__V1__EnterpriseRecord *)m;
  return vbp_status_ok();
}

CATALOG_HANDLER(catalog_get_enterprise_record) {
  const Vbp__V1__GetEnterpriseRecordRequest *in =
      (const Vbp__V1__GetEnterpriseRecordRequest *)request;
  catalog_service *svc = vbp_call_context(call);
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_id("organizationId", in->organization_id));
  int limit = 0;
  VBP_CHECK(vbp_page_size(in->page_size, &limit));
  /* The enterprise itself (and the admin) reads all of it; a bureau its region's entries. */
  bool everything = vbp_scope_own(who, in->organization_id);
  if (!everything && !vbp_scope_supervisor(who)) return vbp_scope_denied();
  const char *secret = vbp_authenticator_secret(svc->auth);
  const char *scope = vbp_arena_printf(a, "enterprise-record|%s", in->organization_id);
  const char *after = "";
  VBP_CHECK(vbp_page_token_decode(a, secret, who, scope, in->page_token, &after));
  int source = SOURCE_VOLUME;
  const char *inner = "";
  if (*after) {
    const char *bar = strchr(after, '|');
    if (!bar || bar - after != 1 || after[0] < '0' || after[0] >= '0' + SOURCES)
      return vbp_invalid("pageToken", "is not a token of this record");
    source = after[0] - '0';
    inner = bar + 1;
  }

  record_read r = {.org = in->organization_id, .arena = a};
  VBP_CHECK(vbp_pg_read(svc->pool, record_read_tx, &r));
  if (!r.organization)
    return vbp_status_field(VBP_NOT_FOUND, "organizationId", "names no organization");
  if (r.organization->kind != VBP__V1__ORGANIZATION_KIND__MANUFACTURER &&
      r.organization->kind != VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR)
    return vbp_invalid("organizationId", "names no enterprise (a MANUFACTURER or DISTRIBUTOR)");

  Vbp__V1__FeedReader reader = VBP__V1__FEED_READER__INIT;
  reader.everything = everything;
  /* The admin's role is none of the organization kinds: it reads everything anyway. */
  if (!vbp_scope_is_admin(who)) reader.role = (Vbp__V1__OrganizationKind)who->role;
  reader.organization_id = (char *)who->org_id;
  reader.region_code = (char *)who->region_code;

  Vbp__V1__EnterpriseRecord *out = vbp_arena_alloc(a, sizeof *out);
  vbp__v1__enterprise_record__init(out);
  out->entries = vbp_arena_alloc(a, (size_t)limit * sizeof *out->entries);
  page p = {.out = out, .room = limit};
  const char *next = NULL; /* the next page's key: source|inner */
  for (; source < SOURCES && !next; source++, inner = "") {
    if (p.room == 0) {
      next = vbp_arena_printf(a, "%d|", source);
      break;
    }
    if (source == SOURCE_CATALOG) {
      cap_entry *entries = NULL;
      size_t n = 0;
      VBP_CHECK(cap_entries(call, &r, everything, &entries, &n));
      size_t i = 0;
      while (i < n && *inner && strcmp(entries[i].key, inner) <= 0) i++;
      for (; i < n && p.room > 0; i++) take(&p, &entries[i].entry, 1, (size_t)limit);
      if (i < n) next = vbp_arena_printf(a, "%d|%s", source, entries[i - 1].key);
      continue;
    }
    /* volume-svc's kinds are of products: a distributor has none. */
    if (source == SOURCE_VOLUME && r.n_products == 0) continue;
    Vbp__V1__ListRecordEntriesRequest req = VBP__V1__LIST_RECORD_ENTRIES_REQUEST__INIT;
    req.organization_id = in->organization_id;
    req.page_size = p.room;
    req.page_token = (char *)inner;
    req.reader = &reader;
    if (source == SOURCE_VOLUME) {
      req.product_ids = r.products;
      req.n_product_ids = r.n_products;
    }
    Vbp__V1__EnterpriseRecord *answer = NULL;
    if (source == SOURCE_VOLUME)
      VBP_CHECK(ask_peer(call, svc->volume, &vbp__v1__volume_service__descriptor, "volume-svc",
                         &req, &answer));
    else
      VBP_CHECK(ask_peer(call, svc->contract, &vbp__v1__contract_service__descriptor,
                         "contract-svc", &req, &answer));
    take(&p, answer->entries, answer->n_entries, (size_t)limit);
    if (*answer->next_page_token)
      next = vbp_arena_printf(a, "%d|%s", source, answer->next_page_token);
  }
  if (next) out->next_page_token = vbp_page_token_encode(a, secret, who, scope, next);
  *response = &out->base;
  return vbp_status_ok();
}
