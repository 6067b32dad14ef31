/* Maximum sale prices and insurance payment standards (DOMAIN.md "Pricing rules"): P1a-P1c,
 * P2a-P2c with the 70% boundary and its rounding halves, P3a-P3b, P4a-P4b, the limits outside
 * P1, NOT_IN_VBP, NOT_FOUND, contradicting inputs, and the policies keyed by province. Amounts
 * are exact 0.0001-yuan strings. */
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/regions.h"
#include "pricing-svc/rules.h"

namespace {

constexpr bool kInCatalog = true;
constexpr bool kOutsideCatalog = false;
constexpr bool kCompetitive = true;
constexpr bool kNonCompetitive = false;

const char *const kGenericName = "干扰素α2b注射液";

vbp_money yuan(const char *text) {
  vbp_money amount = 0;
  EXPECT_TRUE(vbp_money_parse(text, &amount)) << text;
  return amount;
}

std::string yuan_text(vbp_money amount) {
  char buf[VBP_MONEY_FORMAT_MAX];
  return vbp_money_format(amount, buf);
}

/* winning_price and listed are yuan, or nullptr when absent. */
pricing_group_member member(const char *id, const char *manufacturer, pricing_result_status status,
                            const char *winning_price, const char *listed) {
  pricing_group_member m = {};
  m.product_id = id;
  m.manufacturer_id = manufacturer;
  m.status = status;
  m.has_winning_price = winning_price != nullptr;
  m.winning_price = winning_price ? yuan(winning_price) : 0;
  m.has_listing = listed != nullptr;
  m.listed_limit = listed ? yuan(listed) : 0;
  return m;
}

pricing_product drug(const char *id, const char *manufacturer, pricing_result_status status,
                     const char *winning_price, const char *listed, bool in_catalog = kInCatalog) {
  pricing_group_member m = member(id, manufacturer, status, winning_price, listed);
  pricing_product p = {};
  p.id = id;
  p.kind = PRICING_DRUG;
  p.manufacturer_id = manufacturer;
  p.generic_name = kGenericName;
  p.in_insurance_catalog = in_catalog;
  p.status = status;
  p.has_winning_price = m.has_winning_price;
  p.winning_price = m.winning_price;
  p.has_listing = m.has_listing;
  p.listed_limit = m.listed_limit;
  return p;
}

pricing_product consumable(const char *id, pricing_result_status status, const char *winning_price,
                           const char *listed, bool in_catalog = kInCatalog,
                           const char *category = "人工关节", const char *function = "髋关节置换") {
  pricing_product p = drug(id, "M-consumable", status, winning_price, listed, in_catalog);
  p.kind = PRICING_CONSUMABLE;
  p.generic_name = "";
  p.category = category;
  p.function = function;
  return p;
}

pricing_batch_consumable batch_consumable(const char *id, pricing_result_status status,
                                          const char *winning_price,
                                          const char *category = "人工关节",
                                          const char *function = "髋关节置换") {
  pricing_batch_consumable c = {};
  c.product_id = id;
  c.category = category;
  c.function = function;
  c.status = status;
  c.winning_price = winning_price ? yuan(winning_price) : 0;
  return c;
}

/* The rows pricing-svc's first migration stores (DOMAIN.md: Fujian drugs P1+P2, consumables
 * P3; the national default drugs P4, consumables P3), in the order ListPricingPolicies gives. */
const pricing_policy policy_rows[] = {
    {"350000", PRICING_DRUG, PRICING_LIMIT_P1, PRICING_STANDARD_P2, "P1+P2",
     "闽医保〔2024〕54号 五"},
    {"350000", PRICING_CONSUMABLE, PRICING_LIMIT_WINNING_PRICE, PRICING_STANDARD_P3, "P3",
     "闽医保〔2022〕21号 三(三)2"},
    {"", PRICING_DRUG, PRICING_LIMIT_WINNING_PRICE, PRICING_STANDARD_P4, "P4",
     "晋医保发〔2021〕22号 八(二)"},
    {"", PRICING_CONSUMABLE, PRICING_LIMIT_WINNING_PRICE, PRICING_STANDARD_P3, "P3",
     "晋医保发〔2021〕22号 八(二)"},
};
const size_t policy_count = sizeof policy_rows / sizeof policy_rows[0];

const pricing_policy *policy_for(const char *region_code, pricing_product_kind kind) {
  return pricing_policy_for(policy_rows, policy_count, region_code, kind);
}
const pricing_policy *fujian_drugs() { return policy_for("350000", PRICING_DRUG); }
const pricing_policy *fujian_consumables() { return policy_for("350000", PRICING_CONSUMABLE); }
const pricing_policy *jilin_drugs() { return policy_for("220000", PRICING_DRUG); }
const pricing_policy *shanxi_consumables() { return policy_for("140000", PRICING_CONSUMABLE); }

/* One look-up's inputs. The vectors own what the lookup's pointers borrow. */
struct LookUp {
  const pricing_policy *policy = nullptr;
  pricing_product product = {};
  bool in_vbp = true;
  bool has_group = true;
  bool competitive = kCompetitive;
  const char *group_generic_name = kGenericName;
  std::vector<pricing_group_member> others;
  std::vector<pricing_batch_consumable> batch;
};

/* The answer as one line: "P1c 30.0000, P2a 30.0000, covered", "LISTED 42.0000, no standard,
 * not covered", "NOT_FOUND" or "INVALID", so a failure prints everything at once. */
std::string price(const LookUp &in) {
  pricing_lookup lookup = {};
  lookup.in_vbp = in.in_vbp;
  lookup.product = in.product;
  lookup.has_group = in.has_group;
  lookup.group.id = "G";
  lookup.group.generic_name = in.group_generic_name;
  lookup.group.competitive = in.competitive;
  lookup.group.others = in.others.empty() ? nullptr : in.others.data();
  lookup.group.other_count = in.others.size();
  lookup.batch_consumables = in.batch.empty() ? nullptr : in.batch.data();
  lookup.batch_consumable_count = in.batch.size();

  pricing_answer answer = {};
  answer.max_sale_price = -1; /* written only on OK */
  vbp_status status = pricing_find_price(in.policy, &lookup, &answer);
  if (!vbp_ok(&status)) {
    EXPECT_STRNE(status.message, "") << "an answer other than OK says why";
    EXPECT_STREQ(status.field, "") << "the rules name no field of a request";
    EXPECT_EQ(answer.max_sale_price, -1) << "the answer is written only on OK";
    return status.code == VBP_NOT_FOUND          ? "NOT_FOUND"
           : status.code == VBP_INVALID_ARGUMENT ? "INVALID"
                                                 : "?";
  }
  std::string line = std::string(answer.rule) + " " + yuan_text(answer.max_sale_price) + ", ";
  if (answer.has_payment_standard)
    line += std::string(answer.standard_rule) + " " + yuan_text(answer.payment_standard);
  else
    line += "no standard" + std::string(*answer.standard_rule ? " but a rule" : "");
  line += answer.covered ? ", covered" : ", not covered";
  return line;
}

struct Case {
  const char *name;
  LookUp in;
  const char *expected;
};

void expect_prices(const std::vector<Case> &cases) {
  for (const Case &c : cases) EXPECT_EQ(price(c.in), c.expected) << c.name;
}

/* ---------------------------------------------------------------- the worked example */

TEST(PricingRules, WorkedExampleCompetitiveGroupLimitsTheWinnerToItsWinningPrice) {
  /* Fujian, competitive G: A wins at 30.0000, A's manufacturer has no listing in G, the
   * products listed in G have limits 45.0000 and 38.0000. limit(A) = min(38, 30) (P1c). */
  const pricing_group_member listed45 = member("X", "MX", PRICING_NON_WINNING, nullptr, "45.0000");
  const pricing_group_member listed38 = member("Y", "MY", PRICING_NON_WINNING, nullptr, "38.0000");
  const pricing_group_member a = member("A", "MA", PRICING_WINNING, "30.0000", nullptr);
  expect_prices({
      {"A",
       {fujian_drugs(),
        drug("A", "MA", PRICING_WINNING, "30.0000", nullptr),
        true,
        true,
        kCompetitive,
        kGenericName,
        {listed45, listed38}},
       "P1c 30.0000, P2a 30.0000, covered"},
      /* L(G) = 30.0000 shows in the other products' standards: min(s, L(G)) (P2c). */
      {"X",
       {fujian_drugs(),
        drug("X", "MX", PRICING_NON_WINNING, nullptr, "45.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {a, listed38}},
       "LISTED 45.0000, P2c 30.0000, covered"},
      {"Y",
       {fujian_drugs(),
        drug("Y", "MY", PRICING_NON_WINNING, nullptr, "38.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {a, listed45}},
       "LISTED 38.0000, P2c 30.0000, covered"},
  });
}

TEST(PricingRules, WorkedExampleNonCompetitiveGroupPaysSeventyPercentFlooredAtTheLowestLimit) {
  /* B is not winning, its group is non-competitive with L = 30.0000 (W wins at 30.0000, P1b). */
  const pricing_group_member w = member("W", "MW", PRICING_WINNING, "30.0000", nullptr);
  expect_prices({
      {"42.0000: max(29.4000, 30.0000)",
       {fujian_drugs(),
        drug("B", "MB", PRICING_NON_WINNING, nullptr, "42.0000"),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w}},
       "LISTED 42.0000, P2b 30.0000, covered"},
      {"50.0000: max(35.0000, 30.0000)",
       {fujian_drugs(),
        drug("B", "MB", PRICING_NON_WINNING, nullptr, "50.0000"),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w}},
       "LISTED 50.0000, P2b 35.0000, covered"},
  });
}

/* ---------------------------------------------------------------- P1 */

/* A (manufacturer MA) wins at 30.0000 in Fujian; its group holds the others given. */
Case winner_case(const char *name, bool competitive, const char *own_listing,
                 std::vector<pricing_group_member> others, const char *expected) {
  return {name,
          {fujian_drugs(), drug("A", "MA", PRICING_WINNING, "30.0000", own_listing), true, true,
           competitive, kGenericName, std::move(others)},
          expected};
}

TEST(PricingRules, WinnerLimitFollowsP1aP1bP1c) {
  const pricing_group_member sibling25 =
      member("A2", "MA", PRICING_NON_WINNING, nullptr, "25.0000");
  const pricing_group_member sibling35 =
      member("A2", "MA", PRICING_NON_WINNING, nullptr, "35.0000");
  const pricing_group_member sibling29 =
      member("A2", "MA", PRICING_NON_WINNING, nullptr, "29.0000");
  const pricing_group_member other20 = member("Z", "MZ", PRICING_NON_WINNING, nullptr, "20.0000");
  const pricing_group_member other27 = member("Z", "MZ", PRICING_NON_WINNING, nullptr, "27.0000");
  const pricing_group_member other45 = member("Z", "MZ", PRICING_NON_WINNING, nullptr, "45.0000");
  const pricing_group_member unlisted = member("Z", "MZ", PRICING_NON_WINNING, nullptr, nullptr);
  expect_prices({
      winner_case("P1a: its manufacturer's listing in g below the winning price", kCompetitive,
                  nullptr, {sibling25, other20}, "P1a 25.0000, P2a 25.0000, covered"),
      winner_case("P1a: its manufacturer's listing above the winning price, before P1c's lower "
                  "listing of another manufacturer",
                  kCompetitive, nullptr, {sibling35, other20}, "P1a 30.0000, P2a 30.0000, covered"),
      winner_case("P1a: its own listing below the winning price", kCompetitive, "28.0000",
                  {other20}, "P1a 28.0000, P2a 28.0000, covered"),
      winner_case("P1a: its own listing above the winning price", kCompetitive, "33.0000",
                  {other20}, "P1a 30.0000, P2a 30.0000, covered"),
      winner_case("P1a: the lowest of its manufacturer's listings", kCompetitive, "33.0000",
                  {sibling29, other20}, "P1a 29.0000, P2a 29.0000, covered"),
      winner_case("P1a in a non-competitive group", kNonCompetitive, nullptr, {sibling25, other20},
                  "P1a 25.0000, P2a 25.0000, covered"),
      winner_case("P1b: non-competitive, another manufacturer's lower listing does not count",
                  kNonCompetitive, nullptr, {other20}, "P1b 30.0000, P2a 30.0000, covered"),
      winner_case("P1b: non-competitive, nothing listed", kNonCompetitive, nullptr, {unlisted},
                  "P1b 30.0000, P2a 30.0000, covered"),
      winner_case("P1c: the group's lowest listing below the winning price", kCompetitive, nullptr,
                  {other27, other45}, "P1c 27.0000, P2a 27.0000, covered"),
      winner_case("P1c: the group's lowest listing above the winning price", kCompetitive, nullptr,
                  {other45}, "P1c 30.0000, P2a 30.0000, covered"),
      winner_case("P1c: no listed product in g", kCompetitive, nullptr, {unlisted},
                  "P1c 30.0000, P2a 30.0000, covered"),
      winner_case("P1c: alone in g", kCompetitive, nullptr, {},
                  "P1c 30.0000, P2a 30.0000, covered"),
  });
}

TEST(PricingRules, BackupCountsAsWinning) {
  /* 000: 中选药品（含备选药品，下同）. */
  const pricing_group_member w30 = member("W", "MW", PRICING_WINNING, "30.0000", nullptr);
  const pricing_group_member backup28 = member("K", "MK", PRICING_BACKUP, "28.0000", nullptr);
  const pricing_group_member other40 = member("Z", "MZ", PRICING_NON_WINNING, nullptr, "40.0000");
  expect_prices({
      {"a BACKUP product's limit by P1c, standard by P2a",
       {fujian_drugs(),
        drug("K", "MK", PRICING_BACKUP, "28.0000", nullptr),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w30, other40}},
       "P1c 28.0000, P2a 28.0000, covered"},
      {"a BACKUP product's limit by P1a",
       {fujian_drugs(),
        drug("K", "MK", PRICING_BACKUP, "28.0000", "26.5000"),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w30}},
       "P1a 26.5000, P2a 26.5000, covered"},
      {"a BACKUP product lowers L(g) in a competitive group (P2c)",
       {fujian_drugs(),
        drug("Z", "MZ", PRICING_NON_WINNING, nullptr, "40.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w30, backup28}},
       "LISTED 40.0000, P2c 28.0000, covered"},
      {"a BACKUP product lowers L(g) in a non-competitive group (P2b)",
       {fujian_drugs(),
        drug("Z", "MZ", PRICING_NON_WINNING, nullptr, "39.0000"),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w30, backup28}},
       "LISTED 39.0000, P2b 28.0000, covered"},
      {"a BACKUP drug outside Fujian (P4a)",
       {jilin_drugs(),
        drug("K", "MK", PRICING_BACKUP, "28.0000", "35.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w30}},
       "WINNING_PRICE 28.0000, P4a 28.0000, covered"},
      {"a BACKUP product lowers B(g) (P4b)",
       {jilin_drugs(),
        drug("Z", "MZ", PRICING_NON_WINNING, nullptr, "40.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w30, backup28}},
       "LISTED 40.0000, P4b 28.0000, covered"},
      {"a BACKUP consumable (P3a)",
       {fujian_consumables(), consumable("K", PRICING_BACKUP, "110.0000", "150.0000")},
       "WINNING_PRICE 110.0000, P3a 110.0000, covered"},
      {"a BACKUP consumable sets its category's maximum (P3b)",
       {fujian_consumables(),
        consumable("Z", PRICING_NON_WINNING, nullptr, "200.0000"),
        true,
        false,
        kCompetitive,
        kGenericName,
        {},
        {batch_consumable("W", PRICING_WINNING, "150.0000"),
         batch_consumable("K", PRICING_BACKUP, "170.0000")}},
       "LISTED 200.0000, P3b 170.0000, covered"},
  });
}

TEST(PricingRules, LowestLimitOfTheGroupIsOverLimitsNotWinningPrices) {
  /* Non-competitive g: W1 wins at 30.0000 and its manufacturer lists it at 26.0000 (P1a 26),
   * W2 wins at 29.0000 (P1b 29): L(g) = 26, not the lowest winning price 29. */
  const pricing_group_member w1 = member("W1", "M1", PRICING_WINNING, "30.0000", "26.0000");
  const pricing_group_member w2 = member("W2", "M2", PRICING_WINNING, "29.0000", nullptr);
  /* Competitive g: W wins at 30.0000, and the product asked about, in g, is listed at
   * 24.0000, so limit(W) = 24.0000 by P1c and L(g) = 24. */
  const pricing_group_member w = member("W", "MW", PRICING_WINNING, "30.0000", nullptr);
  expect_prices({
      {"27.0000 is above L = 26: max(18.9000, 26.0000)",
       {fujian_drugs(),
        drug("P", "MP", PRICING_NON_WINNING, nullptr, "27.0000"),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w1, w2}},
       "LISTED 27.0000, P2b 26.0000, covered"},
      {"the product's own listing lowers a winner's limit by P1c",
       {fujian_drugs(),
        drug("P", "MP", PRICING_NON_WINNING, nullptr, "24.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w}},
       "LISTED 24.0000, P2c 24.0000, covered"},
      {"a drug of the group's generic name without a result in g",
       {fujian_drugs(),
        drug("O", "MO", PRICING_NO_RESULT, nullptr, "36.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w}},
       "LISTED 36.0000, P2c 30.0000, covered"},
  });
}

/* ---------------------------------------------------------------- P2 */

/* A non-winning product listed at s in a Fujian group whose only winner, W, wins at floor
 * without a listing, so L(g) = floor (P1b or P1c). */
Case other_case(bool competitive, const char *s, const char *floor, const char *expected) {
  return {s,
          {fujian_drugs(),
           drug("P", "MP", PRICING_NON_WINNING, nullptr, s),
           true,
           true,
           competitive,
           kGenericName,
           {member("W", "MW", PRICING_WINNING, floor, nullptr)}},
          expected};
}

TEST(PricingRules, NonCompetitiveAboveFloorPaysSeventyPercent) {
  expect_prices({
      /* s <= L gives s. */
      other_case(kNonCompetitive, "29.9999", "30.0000", "LISTED 29.9999, P2b 29.9999, covered"),
      other_case(kNonCompetitive, "30.0000", "30.0000", "LISTED 30.0000, P2b 30.0000, covered"),
      /* 0.0001 above L: 70% is 21.00007, so the floor. */
      other_case(kNonCompetitive, "30.0001", "30.0000", "LISTED 30.0001, P2b 30.0000, covered"),
      /* 70% of s meets L: 42.8572 x 0.7 = 30.00004 -> 30.0000; 42.8573 -> 30.00011 -> 30.0001. */
      other_case(kNonCompetitive, "42.8572", "30.0000", "LISTED 42.8572, P2b 30.0000, covered"),
      other_case(kNonCompetitive, "42.8573", "30.0000", "LISTED 42.8573, P2b 30.0001, covered"),
      other_case(kNonCompetitive, "100.0000", "30.0000", "LISTED 100.0000, P2b 70.0000, covered"),
  });
}

TEST(PricingRules, SeventyPercentRoundsHalfAwayFromZeroToOneTenThousandthOfAYuan) {
  expect_prices({
      /* 0.0005 x 0.7 = 0.00035 -> 0.0004 (not 0.0003, which the floor would give). */
      other_case(kNonCompetitive, "0.0005", "0.0003", "LISTED 0.0005, P2b 0.0004, covered"),
      /* 0.0015 x 0.7 = 0.00105 -> 0.0011. */
      other_case(kNonCompetitive, "0.0015", "0.0010", "LISTED 0.0015, P2b 0.0011, covered"),
      /* 100.0005 x 0.7 = 70.00035 -> 70.0004; 100.0015 -> 70.00105 -> 70.0011. */
      other_case(kNonCompetitive, "100.0005", "10.0000", "LISTED 100.0005, P2b 70.0004, covered"),
      other_case(kNonCompetitive, "100.0015", "10.0000", "LISTED 100.0015, P2b 70.0011, covered"),
      /* Below and above the half: 70.00014 -> 70.0001, 70.00007 -> 70.0001, 70.00028 -> 70.0003. */
      other_case(kNonCompetitive, "100.0002", "10.0000", "LISTED 100.0002, P2b 70.0001, covered"),
      other_case(kNonCompetitive, "100.0001", "10.0000", "LISTED 100.0001, P2b 70.0001, covered"),
      other_case(kNonCompetitive, "100.0004", "10.0000", "LISTED 100.0004, P2b 70.0003, covered"),
  });
}

TEST(PricingRules, CompetitivePaysTheSalePriceUpToTheLowestLimit) {
  expect_prices({
      other_case(kCompetitive, "25.0000", "30.0000", "LISTED 25.0000, P2c 25.0000, covered"),
      other_case(kCompetitive, "30.0000", "30.0000", "LISTED 30.0000, P2c 30.0000, covered"),
      other_case(kCompetitive, "30.0001", "30.0000", "LISTED 30.0001, P2c 30.0000, covered"),
      other_case(kCompetitive, "45.0000", "30.0000", "LISTED 45.0000, P2c 30.0000, covered"),
  });
}

TEST(PricingRules, GroupWithoutWinnersBoundsNothing) {
  /* Results are published one by one: until a WINNING or BACKUP one is, L(g) and B(g) are
   * empty and bound nothing (as P3b's "with no such winning product, s"). */
  const pricing_group_member other = member("Z", "MZ", PRICING_NON_WINNING, nullptr, "20.0000");
  expect_prices({
      {"P2b",
       {fujian_drugs(),
        drug("P", "MP", PRICING_NON_WINNING, nullptr, "42.0000"),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {other}},
       "LISTED 42.0000, P2b 42.0000, covered"},
      {"P2c",
       {fujian_drugs(),
        drug("P", "MP", PRICING_NON_WINNING, nullptr, "42.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {other}},
       "LISTED 42.0000, P2c 42.0000, covered"},
      {"P4b",
       {jilin_drugs(),
        drug("P", "MP", PRICING_NON_WINNING, nullptr, "42.0000"),
        true,
        true,
        kCompetitive,
        kGenericName,
        {other}},
       "LISTED 42.0000, P4b 42.0000, covered"},
  });
}

/* ---------------------------------------------------------------- P3 */

TEST(PricingRules, ConsumablesPayTheWinningPriceOrUpToTheirCategorysHighest) {
  const std::vector<pricing_batch_consumable> batch = {
      batch_consumable("W1", PRICING_WINNING, "150.0000"),
      batch_consumable("W2", PRICING_WINNING, "180.0000"),
      /* Not counted: non-winning, another function, another category. */
      batch_consumable("N", PRICING_NON_WINNING, nullptr),
      batch_consumable("F", PRICING_WINNING, "900.0000", "人工关节", "膝关节置换"),
      batch_consumable("C", PRICING_WINNING, "950.0000", "冠脉支架", "髋关节置换"),
  };
  const std::vector<pricing_batch_consumable> elsewhere = {
      batch_consumable("F", PRICING_WINNING, "100.0000", "人工关节", "膝关节置换"),
  };
  auto look_up = [](const pricing_policy *policy, pricing_product product,
                    std::vector<pricing_batch_consumable> in_batch) {
    LookUp in;
    in.policy = policy;
    in.product = product;
    in.has_group = false; /* P3 needs no group */
    in.batch = std::move(in_batch);
    return in;
  };
  expect_prices({
      {"P3a: the winning price, below the listing",
       look_up(fujian_consumables(), consumable("W1", PRICING_WINNING, "150.0000", "210.0000"),
               batch),
       "WINNING_PRICE 150.0000, P3a 150.0000, covered"},
      {"P3a: a winner without a listing",
       look_up(shanxi_consumables(), consumable("W1", PRICING_WINNING, "150.0000", nullptr), batch),
       "WINNING_PRICE 150.0000, P3a 150.0000, covered"},
      {"P3b: the category's highest winning price is lower than s",
       look_up(fujian_consumables(), consumable("P", PRICING_NON_WINNING, nullptr, "200.0000"),
               batch),
       "LISTED 200.0000, P3b 180.0000, covered"},
      {"P3b: the category's highest winning price is higher than s",
       look_up(fujian_consumables(), consumable("P", PRICING_NON_WINNING, nullptr, "160.0000"),
               batch),
       "LISTED 160.0000, P3b 160.0000, covered"},
      {"P3b: a consumable without a result in the batch, in Shanxi",
       look_up(shanxi_consumables(), consumable("P", PRICING_NO_RESULT, nullptr, "180.0001"),
               batch),
       "LISTED 180.0001, P3b 180.0000, covered"},
      {"P3b: no winning product of its category and function, s",
       look_up(fujian_consumables(), consumable("P", PRICING_NON_WINNING, nullptr, "200.0000"),
               elsewhere),
       "LISTED 200.0000, P3b 200.0000, covered"},
      {"P3b: an empty batch, s",
       look_up(shanxi_consumables(), consumable("P", PRICING_NON_WINNING, nullptr, "200.0000"), {}),
       "LISTED 200.0000, P3b 200.0000, covered"},
  });
}

/* ---------------------------------------------------------------- P4 */

TEST(PricingRules, DrugsOutsideFujianPayUpToTheLowestWinningPriceOfTheGroup) {
  /* Jilin: W wins at 12.5000, K is BACKUP at 13.0000, so B(g) = 12.5000. */
  const pricing_group_member w = member("W", "MW", PRICING_WINNING, "12.5000", "10.0000");
  const pricing_group_member k = member("K", "MK", PRICING_BACKUP, "13.0000", nullptr);
  const pricing_group_member n = member("N", "MN", PRICING_NON_WINNING, nullptr, "9.0000");
  auto look_up = [&](pricing_product product, std::vector<pricing_group_member> others) {
    return LookUp{jilin_drugs(), product,           true, true, kCompetitive,
                  kGenericName,  std::move(others), {}};
  };
  expect_prices({
      {"P4a: the winning price, whatever the listing",
       look_up(drug("W", "MW", PRICING_WINNING, "12.5000", "20.0000"), {k, n}),
       "WINNING_PRICE 12.5000, P4a 12.5000, covered"},
      {"P4a: no P1 outside Fujian: a lower own listing does not lower the limit",
       look_up(drug("W", "MW", PRICING_WINNING, "12.5000", "10.0000"), {k, n}),
       "WINNING_PRICE 12.5000, P4a 12.5000, covered"},
      {"P4b: s above B(g)",
       look_up(drug("O", "MO", PRICING_NON_WINNING, nullptr, "20.0000"), {w, k}),
       "LISTED 20.0000, P4b 12.5000, covered"},
      {"P4b: s at B(g)", look_up(drug("O", "MO", PRICING_NON_WINNING, nullptr, "12.5000"), {w, k}),
       "LISTED 12.5000, P4b 12.5000, covered"},
      {"P4b: s below B(g)",
       look_up(drug("O", "MO", PRICING_NON_WINNING, nullptr, "9.0000"), {w, k}),
       "LISTED 9.0000, P4b 9.0000, covered"},
      {"P4b: an originator without a result, of the group's generic name",
       look_up(drug("R", "MR", PRICING_NO_RESULT, nullptr, "58.0000"), {w, k, n}),
       "LISTED 58.0000, P4b 12.5000, covered"},
      {"P4b: B(g) is over winning prices, not the winners' listings",
       look_up(drug("O", "MO", PRICING_NON_WINNING, nullptr, "11.0000"), {w, k}),
       "LISTED 11.0000, P4b 11.0000, covered"},
  });
}

/* ---------------------------------------------------------------- no standard, no price */

TEST(PricingRules, OutsideTheInsuranceCatalogThereIsNoPaymentStandardUnderAnyFamily) {
  const pricing_group_member w = member("W", "MW", PRICING_WINNING, "30.0000", nullptr);
  const pricing_group_member listed38 = member("Y", "MY", PRICING_NON_WINNING, nullptr, "38.0000");
  const std::vector<pricing_batch_consumable> batch = {
      batch_consumable("W1", PRICING_WINNING, "150.0000")};
  expect_prices({
      {"P1 winner",
       {fujian_drugs(),
        drug("A", "MA", PRICING_WINNING, "30.0000", nullptr, kOutsideCatalog),
        true,
        true,
        kCompetitive,
        kGenericName,
        {listed38}},
       "P1c 30.0000, no standard, not covered"},
      {"P2b other",
       {fujian_drugs(),
        drug("B", "MB", PRICING_NON_WINNING, nullptr, "42.0000", kOutsideCatalog),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w}},
       "LISTED 42.0000, no standard, not covered"},
      {"P2c other",
       {fujian_drugs(),
        drug("B", "MB", PRICING_NON_WINNING, nullptr, "42.0000", kOutsideCatalog),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w}},
       "LISTED 42.0000, no standard, not covered"},
      {"P3 winner",
       {fujian_consumables(),
        consumable("W1", PRICING_WINNING, "150.0000", "160.0000", kOutsideCatalog),
        true,
        false,
        kCompetitive,
        kGenericName,
        {},
        batch},
       "WINNING_PRICE 150.0000, no standard, not covered"},
      {"P3 other",
       {shanxi_consumables(),
        consumable("P", PRICING_NON_WINNING, nullptr, "200.0000", kOutsideCatalog),
        true,
        false,
        kCompetitive,
        kGenericName,
        {},
        batch},
       "LISTED 200.0000, no standard, not covered"},
      {"P4 winner",
       {jilin_drugs(),
        drug("W", "MW", PRICING_WINNING, "30.0000", "31.0000", kOutsideCatalog),
        true,
        true,
        kCompetitive,
        kGenericName,
        {}},
       "WINNING_PRICE 30.0000, no standard, not covered"},
      {"P4 other",
       {jilin_drugs(),
        drug("O", "MO", PRICING_NON_WINNING, nullptr, "42.0000", kOutsideCatalog),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w}},
       "LISTED 42.0000, no standard, not covered"},
  });
}

TEST(PricingRules, WithoutAnExecutionInForceTheListingAnswersWithoutAStandard) {
  auto not_in_vbp = [](pricing_product product) {
    LookUp in;
    in.policy = fujian_drugs();
    in.product = product;
    in.in_vbp = false;
    in.has_group = false; /* nothing but the listing matters */
    return in;
  };
  expect_prices({
      {"listed", not_in_vbp(drug("B", "MB", PRICING_NON_WINNING, nullptr, "42.0000")),
       "NOT_IN_VBP 42.0000, no standard, covered"},
      {"listed, outside the catalog",
       not_in_vbp(drug("B", "MB", PRICING_NO_RESULT, nullptr, "42.0000", kOutsideCatalog)),
       "NOT_IN_VBP 42.0000, no standard, not covered"},
      {"a winner of a batch not in force is priced by its listing",
       not_in_vbp(drug("A", "MA", PRICING_WINNING, "30.0000", "42.0000")),
       "NOT_IN_VBP 42.0000, no standard, covered"},
      {"not listed", not_in_vbp(drug("B", "MB", PRICING_NO_RESULT, nullptr, nullptr)), "NOT_FOUND"},
      {"a winner of a batch not in force, not listed",
       not_in_vbp(drug("A", "MA", PRICING_WINNING, "30.0000", nullptr)), "NOT_FOUND"},
  });
}

TEST(PricingRules, NonWinningProductWithoutAListingIsNotFound) {
  const pricing_group_member w = member("W", "MW", PRICING_WINNING, "30.0000", "32.0000");
  expect_prices({
      {"Fujian drug",
       {fujian_drugs(),
        drug("B", "MB", PRICING_NON_WINNING, nullptr, nullptr),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w}},
       "NOT_FOUND"},
      {"Fujian drug without a result, outside the catalog",
       {fujian_drugs(),
        drug("B", "MB", PRICING_NO_RESULT, nullptr, nullptr, kOutsideCatalog),
        true,
        true,
        kNonCompetitive,
        kGenericName,
        {w}},
       "NOT_FOUND"},
      {"Jilin drug",
       {jilin_drugs(),
        drug("B", "MB", PRICING_NON_WINNING, nullptr, nullptr),
        true,
        true,
        kCompetitive,
        kGenericName,
        {w}},
       "NOT_FOUND"},
      {"consumable",
       {shanxi_consumables(),
        consumable("P", PRICING_NON_WINNING, nullptr, nullptr),
        true,
        false,
        kCompetitive,
        kGenericName,
        {},
        {batch_consumable("W1", PRICING_WINNING, "150.0000")}},
       "NOT_FOUND"},
  });
}

TEST(PricingRules, ContradictingInputsAreInvalid) {
  const pricing_group_member w = member("W", "MW", PRICING_WINNING, "30.0000", nullptr);
  LookUp base{fujian_drugs(),
              drug("B", "MB", PRICING_NON_WINNING, nullptr, "42.0000"),
              true,
              true,
              kCompetitive,
              kGenericName,
              {w},
              {}};
  std::vector<Case> cases;
  auto add = [&](const char *name, LookUp in) {
    cases.push_back({name, std::move(in), "INVALID"});
  };

  LookUp in = base;
  in.product = drug("A", "MA", PRICING_WINNING, nullptr, "42.0000");
  add("a WINNING product without a winning price", in);
  in = base;
  in.product = drug("A", "MA", PRICING_BACKUP, "0", nullptr);
  add("a BACKUP product with a winning price of zero", in);
  in = base;
  in.product = drug("A", "MA", PRICING_WINNING, nullptr, "42.0000");
  in.policy = jilin_drugs();
  add("a WINNING product without a winning price under P4", in);
  in = base;
  in.others = {member("W", "MW", PRICING_WINNING, nullptr, nullptr)};
  add("a winner of the group without a winning price", in);
  in = base;
  in.others = {member("W", "MW", PRICING_NO_RESULT, nullptr, nullptr)};
  add("a product of the group without a result", in);
  in = base;
  in.product.listed_limit = yuan("-1.0000");
  add("a negative listing", in);
  in = base;
  in.product.listed_limit = 0;
  add("a listing of zero", in);
  in = base;
  in.in_vbp = false;
  in.product.listed_limit = yuan("-1.0000");
  add("a negative listing under NOT_IN_VBP", in);
  in = base;
  in.policy = fujian_consumables();
  add("a drug under the consumables' policy", in);
  in = base;
  in.policy = nullptr;
  add("no policy", in);
  in = base;
  in.has_group = false;
  add("a Fujian drug without its group", in);
  in = base;
  in.policy = jilin_drugs();
  in.has_group = false;
  add("a Jilin drug without its group", in);
  in = base;
  in.group_generic_name = "阿托伐他汀钙片";
  add("a group of another generic name", in);
  in = base;
  in.others.push_back(member("B", "MB", PRICING_NON_WINNING, nullptr, "42.0000"));
  add("the product among its group's others", in);
  in = base;
  in.others = {member("W", "", PRICING_WINNING, "30.0000", nullptr)};
  add("a winner without a manufacturer under P1", in);
  in = base;
  in.product.status = static_cast<pricing_result_status>(7);
  add("an unknown result status", in);
  in = base;
  in.policy = fujian_consumables();
  in.product = consumable("P", PRICING_NON_WINNING, nullptr, "200.0000");
  in.batch = {batch_consumable("W1", PRICING_WINNING, nullptr)};
  add("a winning consumable of the batch without a winning price", in);

  expect_prices(cases);
  /* The same inputs, made consistent, answer. */
  EXPECT_EQ(price(base), "LISTED 42.0000, P2c 30.0000, covered");
}

TEST(PricingRules, TheReasonTravelsInTheStatusMessage) {
  pricing_lookup lookup = {};
  lookup.in_vbp = false;
  lookup.product = drug("B", "MB", PRICING_NO_RESULT, nullptr, nullptr);
  pricing_answer answer = {};
  vbp_status status = pricing_find_price(fujian_drugs(), &lookup, &answer);
  EXPECT_EQ(status.code, VBP_NOT_FOUND);
  EXPECT_STREQ(status.message,
               "no execution is in force and the product is not listed in the province");
  EXPECT_STREQ(status.field, "");
}

/* ---------------------------------------------------------------- policies */

TEST(PricingRules, PolicyIsPickedByTheProvinceOfTheRegionAndTheKind) {
  const struct {
    const char *region_code;
    pricing_product_kind kind;
    const char *policy_region; /* the row's: "" for the national default */
    const char *rule_family;
  } cases[] = {
      {"350000", PRICING_DRUG, "350000", "P1+P2"}, /* Fujian */
      {"350100", PRICING_DRUG, "350000", "P1+P2"}, /* Fuzhou, a city */
      {"350102", PRICING_DRUG, "350000", "P1+P2"}, /* a county of Fuzhou */
      {"350000", PRICING_CONSUMABLE, "350000", "P3"},
      {"350100", PRICING_CONSUMABLE, "350000", "P3"},
      {"220000", PRICING_DRUG, "", "P4"}, /* Jilin */
      {"220000", PRICING_CONSUMABLE, "", "P3"},
      {"140000", PRICING_CONSUMABLE, "", "P3"}, /* Shanxi */
      {"140000", PRICING_DRUG, "", "P4"},
      {"141100", PRICING_DRUG, "", "P4"}, /* Lvliang, a city of Shanxi */
      {"360000", PRICING_DRUG, "", "P4"}, /* Jiangxi led the alliance, no row */
      {"990000", PRICING_DRUG, "", "P4"}, /* no such province */
      {"990000", PRICING_CONSUMABLE, "", "P3"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(std::string(c.region_code) + (c.kind == PRICING_DRUG ? " drug" : " consumable"));
    const pricing_policy *policy = policy_for(c.region_code, c.kind);
    ASSERT_NE(policy, nullptr);
    EXPECT_STREQ(policy->region_code, c.policy_region);
    EXPECT_EQ(policy->product_kind, c.kind);
    EXPECT_STREQ(policy->rule_family, c.rule_family);
  }
}

TEST(PricingRules, PolicyFamiliesNameTheirLimitAndStandardRules) {
  const pricing_policy *fujian = fujian_drugs();
  ASSERT_NE(fujian, nullptr);
  EXPECT_EQ(fujian->limit_family, PRICING_LIMIT_P1);
  EXPECT_EQ(fujian->standard_family, PRICING_STANDARD_P2);
  const pricing_policy *jilin = jilin_drugs();
  ASSERT_NE(jilin, nullptr);
  EXPECT_EQ(jilin->limit_family, PRICING_LIMIT_WINNING_PRICE);
  EXPECT_EQ(jilin->standard_family, PRICING_STANDARD_P4);
  const pricing_policy *shanxi = shanxi_consumables();
  ASSERT_NE(shanxi, nullptr);
  EXPECT_EQ(shanxi->limit_family, PRICING_LIMIT_WINNING_PRICE);
  EXPECT_EQ(shanxi->standard_family, PRICING_STANDARD_P3);

  auto names = [](const char *const *rules) {
    std::vector<std::string> out;
    for (; rules && *rules; rules++) out.push_back(*rules);
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names(pricing_limit_rules(PRICING_LIMIT_P1)), (Names{"P1a", "P1b", "P1c", "LISTED"}));
  EXPECT_EQ(names(pricing_limit_rules(PRICING_LIMIT_WINNING_PRICE)),
            (Names{"WINNING_PRICE", "LISTED"}));
  EXPECT_EQ(names(pricing_standard_rules(PRICING_STANDARD_P2)), (Names{"P2a", "P2b", "P2c"}));
  EXPECT_EQ(names(pricing_standard_rules(PRICING_STANDARD_P3)), (Names{"P3a", "P3b"}));
  EXPECT_EQ(names(pricing_standard_rules(PRICING_STANDARD_P4)), (Names{"P4a", "P4b"}));
  EXPECT_EQ(pricing_limit_rules(static_cast<pricing_limit_family>(9)), nullptr);
  EXPECT_EQ(pricing_standard_rules(static_cast<pricing_standard_family>(9)), nullptr);
}

TEST(PricingRules, APolicyRowOfItsOwnWinsOverTheDefaultAndANewProvinceIsARow) {
  /* The rows pricing_policy_for answers with are the caller's own. */
  EXPECT_EQ(policy_for("350000", PRICING_DRUG), &policy_rows[0]);
  EXPECT_EQ(policy_for("220000", PRICING_CONSUMABLE), &policy_rows[3]);
  /* Jilin's own drug row, added as data: Jilin's cities follow it, Jilin's consumables and
   * every other province keep the default. */
  std::vector<pricing_policy> rows(policy_rows, policy_rows + policy_count);
  rows.push_back({"220000", PRICING_DRUG, PRICING_LIMIT_P1, PRICING_STANDARD_P2, "P1+P2", "x"});
  EXPECT_EQ(pricing_policy_for(rows.data(), rows.size(), "220100", PRICING_DRUG), &rows[4]);
  EXPECT_EQ(pricing_policy_for(rows.data(), rows.size(), "220000", PRICING_CONSUMABLE), &rows[3]);
  EXPECT_EQ(pricing_policy_for(rows.data(), rows.size(), "140000", PRICING_DRUG), &rows[2]);
  /* Without a default row a province with no row of its own has no policy. */
  EXPECT_EQ(pricing_policy_for(policy_rows, 2, "220000", PRICING_DRUG), nullptr);
  EXPECT_EQ(pricing_policy_for(nullptr, 0, "350000", PRICING_DRUG), nullptr);
}

TEST(PricingRules, FamiliesAreParsedFromTheNamesThePolicyRowsStore) {
  pricing_limit_family limit = static_cast<pricing_limit_family>(0);
  EXPECT_TRUE(pricing_limit_family_parse("P1", &limit));
  EXPECT_EQ(limit, PRICING_LIMIT_P1);
  EXPECT_TRUE(pricing_limit_family_parse("WINNING_PRICE", &limit));
  EXPECT_EQ(limit, PRICING_LIMIT_WINNING_PRICE);
  for (const char *bad : {"", "p1", "P2", "P1 ", "LISTED"})
    EXPECT_FALSE(pricing_limit_family_parse(bad, &limit)) << bad;
  EXPECT_FALSE(pricing_limit_family_parse(nullptr, &limit));
  EXPECT_EQ(limit, PRICING_LIMIT_WINNING_PRICE); /* untouched on failure */
  pricing_standard_family standard = static_cast<pricing_standard_family>(0);
  const std::pair<const char *, pricing_standard_family> good[] = {
      {"P2", PRICING_STANDARD_P2}, {"P3", PRICING_STANDARD_P3}, {"P4", PRICING_STANDARD_P4}};
  for (const auto &g : good) {
    EXPECT_TRUE(pricing_standard_family_parse(g.first, &standard));
    EXPECT_EQ(standard, g.second);
  }
  for (const char *bad : {"", "P1", "P5", "p2", "P2a"})
    EXPECT_FALSE(pricing_standard_family_parse(bad, &standard)) << bad;
  EXPECT_EQ(standard, PRICING_STANDARD_P4);
}

TEST(PricingRules, AnythingButARegionCodeOrAKnownKindHasNoPolicy) {
  for (const char *bad : {"", "35", "35000", "3500000", "35000a", "000000", "001000", " 35000"})
    EXPECT_EQ(policy_for(bad, PRICING_DRUG), nullptr) << "\"" << bad << "\"";
  EXPECT_EQ(policy_for(nullptr, PRICING_DRUG), nullptr);
  EXPECT_EQ(policy_for("350000", PRICING_KIND_UNSPECIFIED), nullptr);
  EXPECT_EQ(policy_for("350000", static_cast<pricing_product_kind>(3)), nullptr);
}

TEST(PricingRules, CityAndCountyCodesAreAnsweredForTheirProvince) {
  const struct {
    const char *code;
    const char *province;
  } cases[] = {{"350000", "350000"},
               {"350100", "350000"},
               {"350102", "350000"},
               {"141100", "140000"},
               {"220000", "220000"}};
  for (const auto &c : cases) {
    char province[7] = "?";
    EXPECT_TRUE(vbp_region_province_of(c.code, province)) << c.code;
    EXPECT_STREQ(province, c.province) << c.code;
  }
  char untouched[7] = "keep";
  EXPECT_FALSE(vbp_region_province_of("3501", untouched));
  EXPECT_STREQ(untouched, "keep");
}

}  // namespace
