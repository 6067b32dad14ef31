/* ListListings (internal, for catalog-svc's supervision record): every listing of some products,
 * the whole history of each (a listing above a group's cap is on the record from the day it was
 * listed, whatever came after). */
#include "common/validate.h"
#include "pricing-svc/feed_handlers.h"
#include "pricing-svc/service.h"
#include "vbp/v1/pricing.pb-c.h"

#define LISTINGS_PRODUCTS_MAX 1000

typedef struct listings_read {
  const Vbp__V1__ListListingsRequest *in;
  vbp_arena *arena;
  Vbp__V1__ListListingsResponse *out;
} listings_read;

static void *listing_of_row(const vbp_pg_row *row) {
  Vbp__V1__Listing *l = vbp_arena_alloc(row->arena, sizeof *l);
  vbp__v1__listing__init(l);
  l->region_code = vbp_pg_text(row, 0);
  l->product_id = vbp_pg_text(row, 1);
  l->listed_on = vbp_pg_text(row, 2);
  l->price = vbp_arena_alloc(row->arena, VBP_MONEY_FORMAT_MAX);
  vbp_money_format(vbp_pg_int64(row, 3), l->price);
  return l;
}

static vbp_status listings_tx(vbp_pg_conn *c, void *ctx) {
  listings_read *r = ctx;
  const char *p[] = {
      vbp_pg_text_array(r->arena, (const char *const *)r->in->product_ids, r->in->n_product_ids)};
  return vbp_pg_query_rows(c, r->arena, "list listings",
                           "SELECT region_code, product_id, to_char(listed_on, 'YYYY-MM-DD'), "
                           "price FROM listings WHERE product_id = ANY($1::text[]) "
                           "ORDER BY product_id COLLATE \"C\", region_code, listed_on",
                           1, p, listing_of_row, (void ***)&r->out->listings, &r->out->n_listings);
}

vbp_status pricing_list_listings(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response) {
  const Vbp__V1__ListListingsRequest *in = (const Vbp__V1__ListListingsRequest *)request;
  if (in->n_product_ids > LISTINGS_PRODUCTS_MAX)
    return vbp_invalid("productIds", "may name at most %d products, got %zu", LISTINGS_PRODUCTS_MAX,
                       in->n_product_ids);
  vbp_arena *a = vbp_call_arena(call);
  for (size_t i = 0; i < in->n_product_ids; i++) /* named as BatchGetPrices names one */
    VBP_CHECK(vbp_need_id(vbp_arena_printf(a, "productIds[%zu]", i), in->product_ids[i]));
  Vbp__V1__ListListingsResponse *out = vbp_arena_alloc(a, sizeof *out);
  vbp__v1__list_listings_response__init(out);
  if (in->n_product_ids > 0) {
    listings_read r = {.in = in, .arena = a, .out = out};
    pricing_service *svc = vbp_call_context(call);
    VBP_CHECK(vbp_pg_read(svc->pool, listings_tx, &r));
  }
  *response = &out->base;
  return vbp_status_ok();
}
