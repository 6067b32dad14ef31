/* pricing-svc's SQL: listings with their history, the policies, and the version of pricing's
 * own inputs. Every function runs on a connection the caller acquired (inside vbp_pg_transaction
 * or vbp_pg_read); a PGresult never leaves store.c. */
#ifndef PRICING_STORE_H
#define PRICING_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/date.h"
#include "common/money.h"
#include "common/pg.h"
#include "common/status.h"
#include "pricing-svc/lookup.h"
#include "pricing-svc/rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The price of (province, product) in force from listed_on: a new day's row, or a new price for
 * that day. *changed is false when the same price was already recorded for that day (a retry):
 * then nothing is written and the version does not move. *created: the day's row is new.
 * recorded_by names the caller. */
vbp_status pricing_store_upsert_listing(vbp_pg_conn *c, const char *province,
                                        const char *product_id, vbp_date listed_on, vbp_money price,
                                        const char *recorded_by, bool *changed, bool *created);

/* The listed limits in force in province on date of the products ids[0..n) (each listed one
 * once, in no particular order) into an arena array *out of *count entries. */
vbp_status pricing_store_listed(vbp_pg_conn *c, vbp_arena *a, const char *province, vbp_date date,
                                const char *const *ids, size_t n, pricing_listed **out,
                                size_t *count);

/* Every policy row, in the order ListPricingPolicies gives (strings in the arena). */
vbp_status pricing_store_policies(vbp_pg_conn *c, vbp_arena *a, pricing_policy **out,
                                  size_t *count);

/* The version of pricing's own inputs (listings and policies; see the first migration). */
vbp_status pricing_store_version(vbp_pg_conn *c, int64_t *out);

/* OK when the database answers. */
/* Brings the pricing schema up to date (pricing-svc/migrations, embedded at build time). */
vbp_status pricing_store_migrate(vbp_pg_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
