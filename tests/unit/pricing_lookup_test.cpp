// pricing-svc/lookup.c: from catalog-svc's inputs (as the proto carries them) and the listings to
// the answer, under the policies as pricing's migration stores them.
#include "pricing-svc/lookup.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

const pricing_policy kPolicies[] = {
    {"350000", PRICING_DRUG, PRICING_LIMIT_P1, PRICING_STANDARD_P2, "P1+P2",
     "闽医保〔2024〕54号 五"},
    {"350000", PRICING_CONSUMABLE, PRICING_LIMIT_WINNING_PRICE, PRICING_STANDARD_P3, "P3", "002"},
    {"", PRICING_DRUG, PRICING_LIMIT_WINNING_PRICE, PRICING_STANDARD_P4, "P4", "004"},
    {"", PRICING_CONSUMABLE, PRICING_LIMIT_WINNING_PRICE, PRICING_STANDARD_P3, "P3", "004"},
};

// Owns the proto pieces one look-up's inputs point to.
struct Inputs {
  Vbp__V1__Product product = VBP__V1__PRODUCT__INIT;
  Vbp__V1__Group group = VBP__V1__GROUP__INIT;
  std::vector<Vbp__V1__PriceInputsMember> members;
  std::vector<Vbp__V1__PriceInputsMember *> others, winners;
  Vbp__V1__ProductPriceInputs in = VBP__V1__PRODUCT_PRICE_INPUTS__INIT;
  std::vector<pricing_listed> listed;

  Inputs(const char *id, Vbp__V1__ProductKind kind, const char *manufacturer) {
    members.reserve(16);
    product.id = const_cast<char *>(id);
    product.kind = kind;
    product.manufacturer_id = const_cast<char *>(manufacturer);
    product.generic_name = const_cast<char *>("阿莫西林");
    product.in_insurance_catalog = true;
    in.product_id = product.id;
    in.product = &product;
  }
  void in_batch(const char *batch, Vbp__V1__ResultStatus status, const char *winning_price) {
    in.batch_code = const_cast<char *>(batch);
    in.status = status;
    in.winning_price = const_cast<char *>(winning_price);
  }
  void in_group(bool competitive) {
    group.id = const_cast<char *>("G");
    group.generic_name = const_cast<char *>("阿莫西林");
    group.competitive = competitive;
    in.group = &group;
  }
  Vbp__V1__PriceInputsMember *member(const char *id, const char *manufacturer,
                                     Vbp__V1__ResultStatus status, const char *price) {
    members.push_back(VBP__V1__PRICE_INPUTS_MEMBER__INIT);
    Vbp__V1__PriceInputsMember *m = &members.back();
    m->product_id = const_cast<char *>(id);
    m->manufacturer_id = const_cast<char *>(manufacturer);
    m->status = status;
    m->winning_price = const_cast<char *>(price);
    return m;
  }
  void other(const char *id, const char *manufacturer, Vbp__V1__ResultStatus status,
             const char *price) {
    others.push_back(member(id, manufacturer, status, price));
    in.others = others.data();
    in.n_others = others.size();
  }
  void winner(const char *id, const char *price) {
    winners.push_back(member(id, "M9", VBP__V1__RESULT_STATUS__WINNING, price));
    in.category_winners = winners.data();
    in.n_category_winners = winners.size();
  }
  void list(const char *id, const char *price) {
    vbp_money m = 0;
    ASSERT_TRUE(vbp_money_parse(price, &m));
    listed.push_back({id, m});
  }
};

struct Answer {
  vbp_code status;
  std::string max_sale_price, payment_standard, rule, standard_rule, batch_code, region, reason;
  bool covered;
};

Answer answer(const char *region, const Inputs &in) {
  vbp_arena *a = vbp_arena_create();
  Vbp__V1__Price price;
  Answer out{};
  vbp_status status = pricing_lookup_answer(a, kPolicies, 4, region, &in.in, in.listed.data(),
                                            in.listed.size(), &price);
  out.status = status.code;
  if (vbp_ok(&status)) {
    out.max_sale_price = price.max_sale_price;
    out.payment_standard = price.payment_standard;
    out.rule = price.rule;
    out.standard_rule = price.standard_rule;
    out.batch_code = price.batch_code;
    out.region = price.region_code;
    out.covered = price.covered;
  } else {
    out.reason = status.message;
  }
  vbp_arena_destroy(a);
  return out;
}

const auto WINNING = VBP__V1__RESULT_STATUS__WINNING;
const auto NON_WINNING = VBP__V1__RESULT_STATUS__NON_WINNING;
const auto DRUG = VBP__V1__PRODUCT_KIND__DRUG;
const auto CONSUMABLE = VBP__V1__PRODUCT_KIND__CONSUMABLE;

TEST(PricingLookup, TheWorkedExampleFromTheProtoInputs) {
  // Fujian, competitive group G, A wins at 30.0000, A's manufacturer has no other listing in G,
  // the products listed in G have limits 45.0000 and 38.0000.
  Inputs a("A", DRUG, "M1");
  a.in_batch("JX-YP2023-01", WINNING, "30.0000");
  a.in_group(true);
  a.other("B", "M2", NON_WINNING, "");
  a.other("C", "M3", NON_WINNING, "");
  a.list("B", "45.0000");
  a.list("C", "38.0000");
  Answer r = answer("350000", a);
  ASSERT_EQ(r.status, VBP_OK) << r.reason;
  EXPECT_EQ(r.max_sale_price, "30.0000");
  EXPECT_EQ(r.rule, "P1c");
  EXPECT_EQ(r.payment_standard, "30.0000");
  EXPECT_EQ(r.standard_rule, "P2a");
  EXPECT_EQ(r.batch_code, "JX-YP2023-01");
  EXPECT_EQ(r.region, "350000");
  EXPECT_TRUE(r.covered);
}

TEST(PricingLookup, ANonWinnerInANonCompetitiveGroupFromTheProtoInputs) {
  // L(G) = 30.0000 (the winner W's winning price; W not listed); B listed at 50.0000:
  // max(70% of 50.0000, 30.0000) = 35.0000 (P2b), its limit its listing (LISTED).
  Inputs b("B", DRUG, "M2");
  b.in_batch("JX-YP2023-01", NON_WINNING, "");
  b.in_group(false);
  b.other("W", "M1", WINNING, "30.0000");
  b.list("B", "50.0000");
  Answer r = answer("350102", b);  // a county of Fuzhou: answered for Fujian
  ASSERT_EQ(r.status, VBP_OK) << r.reason;
  EXPECT_EQ(r.max_sale_price, "50.0000");
  EXPECT_EQ(r.rule, "LISTED");
  EXPECT_EQ(r.payment_standard, "35.0000");
  EXPECT_EQ(r.standard_rule, "P2b");
  EXPECT_EQ(r.region, "350000");
}

TEST(PricingLookup, OutsideFujianADrugFollowsP4) {
  Inputs b("B", DRUG, "M2");
  b.in_batch("GY-2021", NON_WINNING, "");
  b.in_group(true);
  b.other("W1", "M1", WINNING, "30.0000");
  b.other("W2", "M3", WINNING, "28.5000");
  b.list("B", "50.0000");
  Answer r = answer("220000", b);
  ASSERT_EQ(r.status, VBP_OK) << r.reason;
  EXPECT_EQ(r.rule, "LISTED");
  EXPECT_EQ(r.max_sale_price, "50.0000");
  EXPECT_EQ(r.standard_rule, "P4b");
  EXPECT_EQ(r.payment_standard, "28.5000");
}

TEST(PricingLookup, AConsumableIsBoundByItsCategorysHighestWinningPrice) {
  Inputs c("K", CONSUMABLE, "M5");
  c.product.category = const_cast<char *>("人工关节");
  c.product.function = const_cast<char *>("髋关节置换");
  c.in_batch("GH-HC-01", VBP__V1__RESULT_STATUS__RESULT_STATUS_UNSPECIFIED, "");
  c.winner("J1", "7000.0000");
  c.winner("J2", "7200.0000");
  c.list("K", "9000.0000");
  Answer r = answer("350000", c);
  ASSERT_EQ(r.status, VBP_OK) << r.reason;
  EXPECT_EQ(r.rule, "LISTED");
  EXPECT_EQ(r.standard_rule, "P3b");
  EXPECT_EQ(r.payment_standard, "7200.0000");
}

TEST(PricingLookup, WithoutAnExecutionInForceTheAnswerIsTheListing) {
  Inputs b("B", DRUG, "M2");
  b.list("B", "42.0000");
  Answer r = answer("350000", b);
  ASSERT_EQ(r.status, VBP_OK) << r.reason;
  EXPECT_EQ(r.rule, "NOT_IN_VBP");
  EXPECT_EQ(r.max_sale_price, "42.0000");
  EXPECT_EQ(r.payment_standard, "");
  EXPECT_EQ(r.standard_rule, "");
  EXPECT_EQ(r.batch_code, "");
  EXPECT_TRUE(r.covered);
  Inputs unlisted("U", DRUG, "M2");
  EXPECT_EQ(answer("350000", unlisted).status, VBP_NOT_FOUND);
}

TEST(PricingLookup, OutsideTheInsuranceCatalogThereIsNoStandard) {
  Inputs a("A", DRUG, "M1");
  a.product.in_insurance_catalog = false;
  a.in_batch("JX-YP2023-01", WINNING, "30.0000");
  a.in_group(true);
  Answer r = answer("350000", a);
  ASSERT_EQ(r.status, VBP_OK) << r.reason;
  EXPECT_EQ(r.max_sale_price, "30.0000");
  EXPECT_EQ(r.payment_standard, "");
  EXPECT_EQ(r.standard_rule, "");
  EXPECT_FALSE(r.covered);
}

TEST(PricingLookup, AWinningPriceThatDoesNotParseContradicts) {
  Inputs a("A", DRUG, "M1");
  a.in_batch("JX-YP2023-01", WINNING, "thirty");
  a.in_group(true);
  Answer r = answer("350000", a);
  EXPECT_EQ(r.status, VBP_INVALID_ARGUMENT);
  EXPECT_EQ(r.reason, "the catalog's winning price of the product does not parse");
  Inputs b("B", DRUG, "M2");
  b.in_batch("JX-YP2023-01", NON_WINNING, "");
  b.in_group(true);
  b.other("W", "M1", WINNING, "30.00001");
  b.list("B", "40.0000");
  r = answer("350000", b);
  EXPECT_EQ(r.status, VBP_INVALID_ARGUMENT);
  EXPECT_EQ(r.reason, "the catalog's winning price of a product of the group does not parse");
}

}  // namespace
