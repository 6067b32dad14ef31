#include "pricing-svc/rules.h"

#include <string.h>

#include "common/regions.h"

/* ---------------------------------------------------------------- policies */

static const char *const p1_limit_rules[] = {"P1a", "P1b", "P1c", "LISTED", NULL};
static const char *const winning_limit_rules[] = {"WINNING_PRICE", "LISTED", NULL};
static const char *const p2_rules[] = {"P2a", "P2b", "P2c", NULL};
static const char *const p3_rules[] = {"P3a", "P3b", NULL};
static const char *const p4_rules[] = {"P4a", "P4b", NULL};

const pricing_policy *pricing_policy_for(const pricing_policy *rows, size_t count,
                                         const char *region_code, pricing_product_kind kind) {
  char province[7];
  if (!vbp_region_province_of(region_code, province)) return NULL;
  if (kind != PRICING_DRUG && kind != PRICING_CONSUMABLE) return NULL;
  const pricing_policy *fallback = NULL;
  for (size_t i = 0; i < count; i++) {
    const pricing_policy *row = &rows[i];
    if (row->product_kind != kind) continue;
    if (strcmp(row->region_code, province) == 0) return row;
    if (row->region_code[0] == '\0' && !fallback) fallback = row;
  }
  return fallback;
}

bool pricing_limit_family_parse(const char *name, pricing_limit_family *out) {
  if (!name) return false;
  if (strcmp(name, "P1") == 0)
    *out = PRICING_LIMIT_P1;
  else if (strcmp(name, "WINNING_PRICE") == 0)
    *out = PRICING_LIMIT_WINNING_PRICE;
  else
    return false;
  return true;
}

bool pricing_standard_family_parse(const char *name, pricing_standard_family *out) {
  if (!name) return false;
  if (strcmp(name, "P2") == 0)
    *out = PRICING_STANDARD_P2;
  else if (strcmp(name, "P3") == 0)
    *out = PRICING_STANDARD_P3;
  else if (strcmp(name, "P4") == 0)
    *out = PRICING_STANDARD_P4;
  else
    return false;
  return true;
}

const char *const *pricing_limit_rules(pricing_limit_family family) {
  switch (family) {
    case PRICING_LIMIT_P1:
      return p1_limit_rules;
    case PRICING_LIMIT_WINNING_PRICE:
      return winning_limit_rules;
  }
  return NULL;
}

const char *const *pricing_standard_rules(pricing_standard_family family) {
  switch (family) {
    case PRICING_STANDARD_P2:
      return p2_rules;
    case PRICING_STANDARD_P3:
      return p3_rules;
    case PRICING_STANDARD_P4:
      return p4_rules;
  }
  return NULL;
}

/* ---------------------------------------------------------------- helpers */

/* A minimum or maximum over a set that may be empty: an empty set sets no bound. */
typedef struct bound {
  bool set;
  vbp_money amount;
} bound;

static void bound_lower(bound *b, vbp_money amount) {
  if (!b->set || amount < b->amount) *b = (bound){true, amount};
}

static void bound_raise(bound *b, vbp_money amount) {
  if (!b->set || amount > b->amount) *b = (bound){true, amount};
}

static vbp_money money_min(vbp_money a, vbp_money b) { return a < b ? a : b; }
static vbp_money money_max(vbp_money a, vbp_money b) { return a > b ? a : b; }

/* min(amount, b) where an unset bound does not bind. */
static vbp_money capped(vbp_money amount, bound b) {
  return b.set ? money_min(amount, b.amount) : amount;
}

static const char *text(const char *s) { return s ? s : ""; }
static bool same_text(const char *a, const char *b) { return strcmp(text(a), text(b)) == 0; }

/* 000: 中选药品（含备选药品，下同）: BACKUP is winning from there on, and so in P2-P4. */
static bool is_winner(pricing_result_status status) {
  return status == PRICING_WINNING || status == PRICING_BACKUP;
}

static bool valid_status(pricing_result_status status) {
  return status == PRICING_NO_RESULT || is_winner(status) || status == PRICING_NON_WINNING;
}

/* The products with a result in g: the product itself when it has one, then the others. */
typedef struct group_view {
  const pricing_group *group;
  pricing_group_member self;
  bool self_in_group;
} group_view;

static group_view view_of(const pricing_lookup *lookup) {
  const pricing_product *p = &lookup->product;
  group_view view = {&lookup->group,
                     {p->id, p->manufacturer_id, p->status, p->has_winning_price, p->winning_price,
                      p->has_listing, p->listed_limit},
                     p->status != PRICING_NO_RESULT};
  return view;
}

static size_t view_count(const group_view *view) {
  return view->group->other_count + (view->self_in_group ? 1 : 0);
}

static const pricing_group_member *view_at(const group_view *view, size_t index) {
  if (view->self_in_group) {
    if (index == 0) return &view->self;
    index--;
  }
  return &view->group->others[index];
}

/* ---------------------------------------------------------------- limits */

/* P1 for a WINNING or BACKUP product q of g (000 五(一)). */
static vbp_money p1_limit(const group_view *view, const pricing_group_member *q,
                          const char **rule) {
  bound own = {0}, all = {0};
  for (size_t i = 0; i < view_count(view); i++) {
    const pricing_group_member *m = view_at(view, i);
    if (!m->has_listing) continue;
    bound_lower(&all, m->listed_limit);
    /* q itself is one of its manufacturer's products in g. */
    if (same_text(m->manufacturer_id, q->manufacturer_id)) bound_lower(&own, m->listed_limit);
  }
  if (own.set) {
    *rule = "P1a";
    return money_min(own.amount, q->winning_price);
  }
  if (!view->group->competitive) {
    *rule = "P1b";
    return q->winning_price;
  }
  *rule = "P1c"; /* with no listed product in g, the winning price */
  return capped(q->winning_price, all);
}

/* The limit of a WINNING or BACKUP product q of g under the policy's limit family. */
static vbp_money winner_limit(const pricing_policy *policy, const group_view *view,
                              const pricing_group_member *q, const char **rule) {
  if (policy->limit_family == PRICING_LIMIT_P1) return p1_limit(view, q, rule);
  *rule = "WINNING_PRICE";
  return q->winning_price;
}

/* L(g): the lowest limit over the WINNING and BACKUP products of g, each computed as its own
 * look-up would. Unset when g has none. */
static bound group_floor(const pricing_policy *policy, const group_view *view) {
  bound floor = {0};
  for (size_t i = 0; i < view_count(view); i++) {
    const pricing_group_member *q = view_at(view, i);
    const char *rule;
    if (is_winner(q->status)) bound_lower(&floor, winner_limit(policy, view, q, &rule));
  }
  return floor;
}

/* B(g): the lowest winning price over the WINNING and BACKUP products of g. */
static bound lowest_winning_price(const group_view *view) {
  bound lowest = {0};
  for (size_t i = 0; i < view_count(view); i++) {
    const pricing_group_member *q = view_at(view, i);
    if (is_winner(q->status)) bound_lower(&lowest, q->winning_price);
  }
  return lowest;
}

/* The highest winning price among the batch's WINNING and BACKUP consumables of p's category
 * and function (P3b). */
static bound category_ceiling(const pricing_lookup *lookup) {
  const pricing_product *p = &lookup->product;
  bound highest = {0};
  for (size_t i = 0; i < lookup->batch_consumable_count; i++) {
    const pricing_batch_consumable *c = &lookup->batch_consumables[i];
    if (is_winner(c->status) && same_text(c->category, p->category) &&
        same_text(c->function, p->function))
      bound_raise(&highest, c->winning_price);
  }
  return highest;
}

/* ---------------------------------------------------------------- validation */

static bool uses_group(const pricing_policy *policy) {
  return policy->limit_family == PRICING_LIMIT_P1 ||
         policy->standard_family == PRICING_STANDARD_P2 ||
         policy->standard_family == PRICING_STANDARD_P4;
}

/* The prices and status of one product with a result (or the product asked about): NULL when
 * consistent, else why not. */
static const char *check_prices(pricing_result_status status, bool has_winning_price,
                                vbp_money winning_price, bool has_listing, vbp_money listed_limit) {
  if (!valid_status(status)) return "a result status is not one of the known values";
  if (is_winner(status) && !has_winning_price)
    return "a WINNING or BACKUP product has no winning price";
  if (is_winner(status) && winning_price <= 0) return "a winning price is not above zero";
  if (has_listing && listed_limit <= 0) return "a listed limit is not above zero";
  return NULL;
}

static const char *check_lookup(const pricing_policy *policy, const pricing_lookup *lookup) {
  const pricing_product *p = &lookup->product;
  if (!policy) return "no pricing policy was given";
  if (p->kind != policy->product_kind) return "the policy is for another kind of product";
  if (policy->limit_family != PRICING_LIMIT_P1 &&
      policy->limit_family != PRICING_LIMIT_WINNING_PRICE)
    return "the policy's limit family is unknown";
  if (!pricing_standard_rules(policy->standard_family))
    return "the policy's standard family is unknown";
  const char *why = check_prices(p->status, p->has_winning_price, p->winning_price, p->has_listing,
                                 p->listed_limit);
  if (why) return why;

  if (policy->standard_family == PRICING_STANDARD_P3) {
    if (lookup->batch_consumable_count > 0 && !lookup->batch_consumables)
      return "batch consumables are counted but not given";
    for (size_t i = 0; i < lookup->batch_consumable_count; i++) {
      const pricing_batch_consumable *c = &lookup->batch_consumables[i];
      if (is_winner(c->status) && c->winning_price <= 0)
        return "a winning consumable of the batch has no winning price above zero";
    }
  }

  if (!uses_group(policy)) return NULL;
  const pricing_group *g = &lookup->group;
  if (!lookup->has_group) return "the policy prices this product against its group, none given";
  if (!same_text(p->generic_name, g->generic_name))
    return "the product's generic name is not its group's";
  if (g->other_count > 0 && !g->others) return "the group's others are counted but not given";
  bool needs_manufacturer = policy->limit_family == PRICING_LIMIT_P1;
  if (needs_manufacturer && text(p->manufacturer_id)[0] == '\0')
    return "the product has no manufacturer, which P1 needs";
  for (size_t i = 0; i < g->other_count; i++) {
    const pricing_group_member *m = &g->others[i];
    if (m->status == PRICING_NO_RESULT) return "a product among the group's others has no result";
    why = check_prices(m->status, m->has_winning_price, m->winning_price, m->has_listing,
                       m->listed_limit);
    if (why) return why;
    if (same_text(m->product_id, p->id)) return "the product is among its group's others";
    if (needs_manufacturer && text(m->manufacturer_id)[0] == '\0')
      return "a product of the group has no manufacturer, which P1 needs";
  }
  return NULL;
}

/* ---------------------------------------------------------------- the look-up */

vbp_status pricing_find_price(const pricing_policy *policy, const pricing_lookup *lookup,
                              pricing_answer *out) {
  const pricing_product *p = &lookup->product;
  vbp_code code = VBP_OK;
  const char *why = NULL;
  pricing_answer answer = {0};
  group_view view;
  bool winner;
  vbp_money sale_price; /* s: a WINNING or BACKUP product's limit, another's listed limit */
  answer.standard_rule = "";
  answer.covered = p->in_insurance_catalog;

  if (!lookup->in_vbp) {
    /* No execution in force: the listing, and no payment standard. */
    if (p->has_listing && p->listed_limit <= 0) {
      code = VBP_INVALID_ARGUMENT;
      why = "a listed limit is not above zero";
      goto done;
    }
    if (!p->has_listing) {
      code = VBP_NOT_FOUND;
      why = "no execution is in force and the product is not listed in the province";
      goto done;
    }
    answer.max_sale_price = p->listed_limit;
    answer.rule = "NOT_IN_VBP";
    goto done;
  }

  why = check_lookup(policy, lookup);
  if (why) {
    code = VBP_INVALID_ARGUMENT;
    goto done;
  }

  view = view_of(lookup);
  winner = is_winner(p->status);
  if (winner) {
    sale_price = winner_limit(policy, &view, &view.self, &answer.rule);
  } else if (p->has_listing) {
    sale_price = p->listed_limit;
    answer.rule = "LISTED";
  } else {
    code = VBP_NOT_FOUND;
    why = "a product that is not WINNING or BACKUP is not listed in the province";
    goto done;
  }
  answer.max_sale_price = sale_price;

  if (!p->in_insurance_catalog) goto done; /* no payment standard, whatever the rule */

  answer.has_payment_standard = true;
  switch (policy->standard_family) {
    case PRICING_STANDARD_P2:
      if (winner) {
        answer.standard_rule = "P2a";
        answer.payment_standard = sale_price;
      } else {
        /* An empty L(g) (no WINNING or BACKUP product published yet) bounds nothing. */
        bound floor = group_floor(policy, &view);
        if (view.group->competitive) {
          answer.standard_rule = "P2c";
          answer.payment_standard = capped(sale_price, floor);
        } else {
          answer.standard_rule = "P2b";
          answer.payment_standard =
              !floor.set || sale_price <= floor.amount
                  ? sale_price
                  : money_max(vbp_money_percent(sale_price, 70), floor.amount);
        }
      }
      break;
    case PRICING_STANDARD_P3:
      answer.standard_rule = winner ? "P3a" : "P3b";
      answer.payment_standard =
          winner ? p->winning_price : capped(sale_price, category_ceiling(lookup));
      break;
    case PRICING_STANDARD_P4:
      answer.standard_rule = winner ? "P4a" : "P4b";
      answer.payment_standard =
          winner ? p->winning_price : capped(sale_price, lowest_winning_price(&view));
      break;
  }

done:
  if (code != VBP_OK) return vbp_status_make(code, "%s", why);
  *out = answer;
  return vbp_status_ok();
}
