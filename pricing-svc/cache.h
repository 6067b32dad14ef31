/* What a price look-up keeps in Redis: the key of one answer and the answer's bytes.
 *
 * The key carries the versions of the inputs it was computed from (versions.h) with the
 * province, the date and the product, so a write of any input makes every older key
 * unreachable: nothing is ever deleted to stay fresh, old keys just expire. The value is either
 * a price ('P' then the packed vbp.v1.Price) or the reason there is none ('N' then the text):
 * a product without a price is asked for as often as one with. */
#ifndef PRICING_CACHE_H
#define PRICING_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/date.h"
#include "vbp/v1/pricing.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long an answer stays: long enough to serve a day's look-ups, short enough that keys of
 * old versions do not pile up. */
#define PRICING_CACHE_TTL_SECONDS 86400

/* "vbp:price:<catalog>:<own>:<province>:<date>:", what the keys of one look-up share, in arena. */
char *pricing_cache_prefix(vbp_arena *arena, int64_t catalog_version, int64_t own_version,
                           const char *province, vbp_date date);
/* prefix then the product: "vbp:price:<catalog>:<own>:<province>:<date>:<product>", in arena. */
char *pricing_cache_key(vbp_arena *arena, const char *prefix, const char *product_id);

/* A price as a cached value, in arena. */
char *pricing_cache_encode_price(vbp_arena *arena, const Vbp__V1__Price *price, size_t *len);
/* "no price" with its reason as a cached value, in arena. */
char *pricing_cache_encode_none(vbp_arena *arena, const char *reason, size_t *len);

/* A cached value read back: a price (*price unpacked in arena, *reason NULL) or none (*price
 * NULL, *reason in arena). False when the bytes are neither (then treat it as a miss). */
bool pricing_cache_decode(vbp_arena *arena, const char *value, size_t len, Vbp__V1__Price **price,
                          const char **reason);

#ifdef __cplusplus
}
#endif
#endif
