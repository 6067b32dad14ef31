/* From what catalog-svc and the listings say about one product to the answer of the rules:
 * builds rules.h's pricing_lookup from a vbp.v1.ProductPriceInputs and the province's listed
 * limits on the look-up date, picks the policy, and runs pricing_find_price. Pure: no I/O, no
 * clock; it allocates only in the arena it is given. */
#ifndef PRICING_LOOKUP_H
#define PRICING_LOOKUP_H

#include <stddef.h>

#include "common/arena.h"
#include "common/money.h"
#include "common/status.h"
#include "pricing-svc/rules.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A product's listed limit in force in the province on the look-up date. */
typedef struct pricing_listed {
  const char *product_id;
  vbp_money price;
} pricing_listed;

/* The answer for in->product (which must be present) in region_code on the date the inputs were
 * read for, under the policy among policies[0..n_policies) for the province (a city or county
 * code is answered for its province, which the answer names) and the product's
 * kind, with listed[0..n_listed) the listed limits of the product and of its group's others
 * (products missing there are not listed). On OK fills *out (strings in arena; the batch code is
 * the execution's, empty under NOT_IN_VBP); otherwise the status's message is a sentence saying
 * why, with no field: NOT_FOUND when the product has no price, INVALID_ARGUMENT when the inputs
 * contradict each other (no policy fits, a winning price that does not parse, ...), as
 * pricing_find_price answers. */
vbp_status pricing_lookup_answer(vbp_arena *arena, const pricing_policy *policies,
                                 size_t n_policies, const char *region_code,
                                 const Vbp__V1__ProductPriceInputs *in,
                                 const pricing_listed *listed, size_t n_listed,
                                 Vbp__V1__Price *out);

#ifdef __cplusplus
}
#endif
#endif
