#include "pricing-svc/lookup.h"

#include <string.h>

#include "common/regions.h"

static bool listed_limit(const pricing_listed *listed, size_t n, const char *product_id,
                         vbp_money *out) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(listed[i].product_id, product_id) == 0) {
      *out = listed[i].price;
      return true;
    }
  return false;
}

static pricing_result_status status_of(Vbp__V1__ResultStatus status) {
  switch (status) {
    case VBP__V1__RESULT_STATUS__WINNING:
      return PRICING_WINNING;
    case VBP__V1__RESULT_STATUS__BACKUP:
      return PRICING_BACKUP;
    case VBP__V1__RESULT_STATUS__NON_WINNING:
      return PRICING_NON_WINNING;
    default:
      return PRICING_NO_RESULT;
  }
}

/* A winning price as the catalog wrote it; "" (NON_WINNING, no result) is none. */
static bool winning_price(const char *text, bool *has, vbp_money *out) {
  *has = text && *text;
  return !*has || vbp_money_parse(text, out);
}

/* Inputs that contradict each other: pricing_find_price's INVALID_ARGUMENT, why in the message. */
static vbp_status contradiction(const char *why) {
  return vbp_status_make(VBP_INVALID_ARGUMENT, "%s", why);
}

static bool member_of(const Vbp__V1__PriceInputsMember *m, const pricing_listed *listed,
                      size_t n_listed, pricing_group_member *out) {
  *out = (pricing_group_member){.product_id = m->product_id,
                                .manufacturer_id = m->manufacturer_id,
                                .status = status_of(m->status)};
  out->has_listing = listed_limit(listed, n_listed, m->product_id, &out->listed_limit);
  return winning_price(m->winning_price, &out->has_winning_price, &out->winning_price);
}

vbp_status pricing_lookup_answer(vbp_arena *arena, const pricing_policy *policies,
                                 size_t n_policies, const char *region_code,
                                 const Vbp__V1__ProductPriceInputs *in,
                                 const pricing_listed *listed, size_t n_listed,
                                 Vbp__V1__Price *out) {
  const Vbp__V1__Product *p = in->product;
  pricing_lookup lookup = {.in_vbp = in->batch_code && *in->batch_code};
  pricing_product *product = &lookup.product;
  *product = (pricing_product){
      .id = p->id,
      .kind = (pricing_product_kind)p->kind,
      .manufacturer_id = p->manufacturer_id,
      .generic_name = p->generic_name,
      .category = p->category,
      .function = p->function,
      .in_insurance_catalog = p->in_insurance_catalog,
      .status = status_of(in->status),
  };
  product->has_listing = listed_limit(listed, n_listed, p->id, &product->listed_limit);
  if (!winning_price(in->winning_price, &product->has_winning_price, &product->winning_price))
    return contradiction("the catalog's winning price of the product does not parse");
  if (in->group) {
    pricing_group_member *others = vbp_arena_alloc(arena, (in->n_others + 1) * sizeof *others);
    for (size_t i = 0; i < in->n_others; i++)
      if (!member_of(in->others[i], listed, n_listed, &others[i]))
        return contradiction(
            "the catalog's winning price of a product of the group does not parse");
    lookup.has_group = true;
    lookup.group = (pricing_group){.id = in->group->id,
                                   .generic_name = in->group->generic_name,
                                   .competitive = in->group->competitive,
                                   .others = others,
                                   .other_count = in->n_others};
  }
  /* The catalog sent only the consumables of the product's category and function. */
  pricing_batch_consumable *winners =
      vbp_arena_alloc(arena, (in->n_category_winners + 1) * sizeof *winners);
  for (size_t i = 0; i < in->n_category_winners; i++) {
    const Vbp__V1__PriceInputsMember *m = in->category_winners[i];
    winners[i] = (pricing_batch_consumable){.product_id = m->product_id,
                                            .category = p->category,
                                            .function = p->function,
                                            .status = status_of(m->status)};
    if (!vbp_money_parse(m->winning_price, &winners[i].winning_price))
      return contradiction(
          "the catalog's winning price of a consumable of the category does not parse");
  }
  lookup.batch_consumables = winners;
  lookup.batch_consumable_count = in->n_category_winners;

  const pricing_policy *policy =
      pricing_policy_for(policies, n_policies, region_code, (pricing_product_kind)p->kind);
  if (!policy && lookup.in_vbp)
    return contradiction("no pricing policy covers this kind of product in the province");
  pricing_answer answer;
  if (!policy && !vbp_region_province_of(region_code, (char[7]){0}))
    return contradiction("the region code is not one");
  VBP_CHECK(pricing_find_price(policy, &lookup, &answer));

  char buf[VBP_MONEY_FORMAT_MAX];
  vbp__v1__price__init(out);
  out->product_id = vbp_arena_strdup(arena, p->id);
  char answered_for[7] = "";
  vbp_region_province_of(region_code, answered_for); /* checked above */
  out->region_code = vbp_arena_strdup(arena, answered_for);
  out->batch_code = vbp_arena_strdup(arena, lookup.in_vbp ? in->batch_code : "");
  out->max_sale_price = vbp_arena_strdup(arena, vbp_money_format(answer.max_sale_price, buf));
  out->payment_standard =
      answer.has_payment_standard
          ? vbp_arena_strdup(arena, vbp_money_format(answer.payment_standard, buf))
          : (char *)"";
  out->rule = (char *)answer.rule;
  out->standard_rule = (char *)answer.standard_rule;
  out->covered = answer.covered;
  return vbp_status_ok();
}
