/* Pricing domain rules as pure functions: no I/O, no allocation, no clock, no globals but const
 * tables of rule names. The maximum sale price (limit) and the insurance payment standard of one
 * product in one province (DOMAIN.md "Pricing rules": P1a-P1c, P2a-P2c, P3a-P3b, P4a-P4b, the
 * limits outside P1, NOT_IN_VBP) and the policies, keyed by province and product kind, that pick
 * the rules. Money is common/money.h's exact int64 count of 0.0001 yuan.
 *
 * Every function here is thread-safe: it reads only its arguments and those tables. Strings
 * the answers point to (rule names) are static and live forever; a status carries its reason in
 * itself (common/status.h, pure too). Policies are data (pricing-svc's pricing_policies table):
 * the caller loads the rows and passes them in. */
#ifndef PRICING_RULES_H
#define PRICING_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/money.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vbp.v1.ProductKind's numbers. */
typedef enum pricing_product_kind {
  PRICING_KIND_UNSPECIFIED = 0,
  PRICING_DRUG = 1,
  PRICING_CONSUMABLE = 2,
} pricing_product_kind;

/* vbp.v1.ResultStatus's numbers; PRICING_NO_RESULT: the product has no result in the batch. */
typedef enum pricing_result_status {
  PRICING_NO_RESULT = 0,
  PRICING_WINNING = 1,
  PRICING_BACKUP = 2, /* 000: 中选药品（含备选药品）: counts as winning everywhere below */
  PRICING_NON_WINNING = 3,
} pricing_result_status;

/* How a WINNING or BACKUP product's limit is set. Any other product's limit is its listed limit
 * (LISTED) under both families. */
typedef enum pricing_limit_family {
  PRICING_LIMIT_P1 = 1,            /* P1a, P1b, P1c (Fujian drugs, 000 五(一)) */
  PRICING_LIMIT_WINNING_PRICE = 2, /* the winning price (WINNING_PRICE) */
} pricing_limit_family;

/* How the payment standard is set. */
typedef enum pricing_standard_family {
  PRICING_STANDARD_P2 = 1, /* P2a, P2b, P2c: Fujian drugs (000 五(二)) */
  PRICING_STANDARD_P3 = 2, /* P3a, P3b: consumables (002 三(三)2, 004 八(二)) */
  PRICING_STANDARD_P4 = 3, /* P4a, P4b: drugs, the national guidance (004 八(二)) */
} pricing_standard_family;

/* One policy row: which rules apply to one kind of product in one province. Strings are the
 * caller's. */
typedef struct pricing_policy {
  const char *region_code; /* a province ("350000"); "" for the national default */
  pricing_product_kind product_kind;
  pricing_limit_family limit_family;
  pricing_standard_family standard_family;
  const char *rule_family; /* as DOMAIN.md names it: "P1+P2", "P3", "P4" */
  const char *source;      /* the document it follows */
} pricing_policy;

/* The product asked about. Strings are borrowed (NULL reads as ""); prices are > 0. */
typedef struct pricing_product {
  const char *id;
  pricing_product_kind kind;
  const char *manufacturer_id;
  const char *generic_name; /* drugs: must be its group's */
  const char *category;     /* consumables (P3b) */
  const char *function;     /* consumables (P3b) */
  bool in_insurance_catalog;
  pricing_result_status status; /* in the batch of the execution in force */
  bool has_winning_price;       /* required for WINNING and BACKUP, ignored otherwise */
  vbp_money winning_price;
  bool has_listing; /* listed (挂网) in the province on the look-up date */
  vbp_money listed_limit;
} pricing_product;

/* Another product with a result in the product's group. Strings borrowed; prices > 0. */
typedef struct pricing_group_member {
  const char *product_id;
  const char *manufacturer_id;
  pricing_result_status status; /* WINNING, BACKUP or NON_WINNING */
  bool has_winning_price;       /* required for WINNING and BACKUP, ignored otherwise */
  vbp_money winning_price;
  bool has_listing; /* listed in the province on the look-up date */
  vbp_money listed_limit;
} pricing_group_member;

/* The product's bidding group g, or, for a drug with no result in the batch, the group of its
 * generic name. others lists every product with a result in g except the product itself (which
 * must not appear there); it is borrowed for the call. */
typedef struct pricing_group {
  const char *id;
  const char *generic_name;
  bool competitive;
  const pricing_group_member *others;
  size_t other_count;
} pricing_group;

/* A consumable of the batch for P3b. Only WINNING and BACKUP entries of the product's category
 * and function count; the caller may pass the batch's whole list. Strings borrowed. */
typedef struct pricing_batch_consumable {
  const char *product_id;
  const char *category;
  const char *function;
  pricing_result_status status;
  vbp_money winning_price; /* > 0 for WINNING and BACKUP */
} pricing_batch_consumable;

/* One look-up in one province on one date, everything the rules need, gathered by the caller. */
typedef struct pricing_lookup {
  /* Whether an execution of a batch that covers the product is in force in the province on the
   * date (the caller decides). Without one the answer is the listing (NOT_IN_VBP) and nothing
   * below the product matters. */
  bool in_vbp;
  pricing_product product;
  /* The group: required when the policy uses it (limit family P1, standard families P2 and P4,
   * so every drug under the policies of the table). */
  bool has_group;
  pricing_group group;
  /* P3b: the batch's consumables (borrowed for the call; may be NULL when count is 0). */
  const pricing_batch_consumable *batch_consumables;
  size_t batch_consumable_count;
} pricing_lookup;

/* What a look-up answers (API.md "Pricing": maxSalePrice, paymentStandard, rule, standardRule,
 * covered). The strings are static. */
typedef struct pricing_answer {
  vbp_money max_sale_price;
  bool has_payment_standard; /* false outside the insurance catalog and under NOT_IN_VBP */
  vbp_money payment_standard;
  const char *rule;          /* "P1a", "P1b", "P1c", "WINNING_PRICE", "LISTED" or "NOT_IN_VBP" */
  const char *standard_rule; /* "P2a" ... "P4b", or "" with no payment standard */
  bool covered;              /* in the insurance catalog */
} pricing_answer;

/* The policy among rows[0..count) for a product kind in the province of region_code (a
 * province, city or county code is answered for its province): the province's own row, or else
 * the national default's (region_code ""), the first of each if several. Returns a row of rows,
 * or NULL when region_code is not a region code (common/regions.h), kind is neither DRUG
 * nor CONSUMABLE, or no row fits. */
const pricing_policy *pricing_policy_for(const pricing_policy *rows, size_t count,
                                         const char *region_code, pricing_product_kind kind);

/* The families by the names the policy rows store: limits "P1" and "WINNING_PRICE",
 * standards "P2", "P3" and "P4". False (and *out untouched) for any other name. */
bool pricing_limit_family_parse(const char *name, pricing_limit_family *out);
bool pricing_standard_family_parse(const char *name, pricing_standard_family *out);

/* The rule names a family can answer with, NULL-terminated and static, for
 * ListPricingPolicies: limits {"P1a", "P1b", "P1c", "LISTED"} or {"WINNING_PRICE", "LISTED"};
 * standards {"P2a", "P2b", "P2c"}, {"P3a", "P3b"} or {"P4a", "P4b"}. NULL for an unknown family. */
const char *const *pricing_limit_rules(pricing_limit_family family);
const char *const *pricing_standard_rules(pricing_standard_family family);

/* The limit and payment standard of lookup->product under policy (DOMAIN.md "Pricing rules").
 * Returns OK and fills *out. Otherwise one of two answers (not failures of the module), whose
 * message is a sentence saying why and which names no field: NOT_FOUND when the product has no
 * price (not listed and not WINNING or BACKUP, or not listed under NOT_IN_VBP); INVALID_ARGUMENT
 * when the inputs contradict each other or themselves (a price <= 0; and, with in_vbp, policy
 * NULL or for another kind, a WINNING or BACKUP product or member without a winning price, a
 * needed group missing or of another generic name, the product among the group's others, a
 * missing manufacturer under P1). Under NOT_IN_VBP only the product's listing and catalog flag
 * are read (policy may be NULL). *out is written only on OK.
 * Nothing is retained: every pointer in lookup is borrowed for the call only. */
vbp_status pricing_find_price(const pricing_policy *policy, const pricing_lookup *lookup,
                              pricing_answer *out);

#ifdef __cplusplus
}
#endif
#endif
