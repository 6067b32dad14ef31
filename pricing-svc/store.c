#include "pricing-svc/store.h"

#include "common/feed.h"
#include "pricing_migrations.h"

#include <stdio.h>
#include <string.h>

vbp_status pricing_store_upsert_listing(vbp_pg_conn *c, const char *province,
                                        const char *product_id, vbp_date listed_on, vbp_money price,
                                        const char *recorded_by, bool *changed, bool *created) {
  char day[11], amount[24];
  vbp_date_format(listed_on, day);
  snprintf(amount, sizeof amount, "%lld", (long long)price);
  const char *params[] = {province, product_id, day, amount, recorded_by};
  /* The WHERE leaves an unchanged row alone, so a retry neither bumps the version nor adds a
   * change; a row comes back when one was written, saying whether it was new (xmax 0). */
  PGresult *r = NULL;
  VBP_CHECK(vbp_pg_query(
      c, "upsert listing",
      "WITH written AS ("
      "  INSERT INTO listings (region_code, product_id, listed_on, price) VALUES ($1, $2, $3, $4)"
      "  ON CONFLICT (region_code, product_id, listed_on) DO UPDATE"
      "    SET price = EXCLUDED.price, recorded_at = now()"
      "    WHERE listings.price <> EXCLUDED.price"
      "  RETURNING (xmax = 0) AS created),"
      " logged AS ("
      " INSERT INTO listing_changes (region_code, product_id, listed_on, price, recorded_by)"
      " SELECT $1, $2, $3, $4, $5 FROM written RETURNING 1)"
      " SELECT created FROM written",
      5, params, &r));
  *changed = PQntuples(r) > 0;
  *created = *changed && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  return vbp_status_ok();
}

vbp_status pricing_store_listed(vbp_pg_conn *c, vbp_arena *a, const char *province, vbp_date date,
                                const char *const *ids, size_t n, pricing_listed **out,
                                size_t *count) {
  char day[11];
  vbp_date_format(date, day);
  const char *params[] = {province, day, vbp_pg_text_array(a, ids, n)};
  PGresult *r = NULL;
  vbp_status st =
      vbp_pg_query(c, "read listings",
                   "SELECT DISTINCT ON (product_id) product_id, price FROM listings"
                   " WHERE region_code = $1 AND listed_on <= $2 AND product_id = ANY($3::text[])"
                   " ORDER BY product_id, listed_on DESC",
                   3, params, &r);
  if (!vbp_ok(&st)) return st;
  size_t rows = (size_t)PQntuples(r);
  pricing_listed *listed = vbp_arena_alloc(a, (rows + 1) * sizeof *listed);
  for (size_t i = 0; i < rows; i++) {
    vbp_pg_row row = {.result = r, .index = (int)i, .arena = a};
    listed[i].product_id = vbp_pg_text(&row, 0);
    listed[i].price = vbp_pg_int64(&row, 1);
  }
  PQclear(r);
  *out = listed;
  *count = rows;
  return st;
}

vbp_status pricing_store_policies(vbp_pg_conn *c, vbp_arena *a, pricing_policy **out,
                                  size_t *count) {
  PGresult *r = NULL;
  vbp_status st = vbp_pg_query(c, "read pricing policies",
                               "SELECT region_code, product_kind, limit_family, standard_family,"
                               " rule_family, source FROM pricing_policies ORDER BY position,"
                               " region_code, product_kind",
                               0, NULL, &r);
  if (!vbp_ok(&st)) return st;
  size_t rows = (size_t)PQntuples(r);
  pricing_policy *policies = vbp_arena_alloc(a, (rows + 1) * sizeof *policies);
  for (size_t i = 0; i < rows; i++) {
    vbp_pg_row row = {.result = r, .index = (int)i, .arena = a};
    pricing_policy *p = &policies[i];
    p->region_code = vbp_pg_text(&row, 0);
    p->product_kind = (pricing_product_kind)vbp_pg_int(&row, 1);
    /* The table's CHECKs allow only names these parse. */
    if (!pricing_limit_family_parse(vbp_pg_text(&row, 2), &p->limit_family) ||
        !pricing_standard_family_parse(vbp_pg_text(&row, 3), &p->standard_family)) {
      PQclear(r);
      return vbp_status_make(VBP_INTERNAL, "a pricing policy names an unknown rule family");
    }
    p->rule_family = vbp_pg_text(&row, 4);
    p->source = vbp_pg_text(&row, 5);
  }
  PQclear(r);
  *out = policies;
  *count = rows;
  return st;
}

vbp_status pricing_store_version(vbp_pg_conn *c, int64_t *out) {
  return vbp_pg_get_int64(c, "read pricing version", "SELECT version FROM inputs_version", 0, NULL,
                          "pricing's version row is missing", out);
}

vbp_status pricing_store_migrate(vbp_pg_pool *pool) {
  VBP_CHECK(vbp_pg_migrate(pool, "pricing", pricing_migrations, pricing_migrations_count));
  return vbp_feed_migrate(pool, "pricing");
}
