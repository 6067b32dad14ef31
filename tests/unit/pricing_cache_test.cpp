// pricing-svc/cache.c: the keys carry every input's version, and values come back exactly.
#include "pricing-svc/cache.h"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(PricingCache, KeysCarryBothVersionsTheProvinceTheDateAndTheProduct) {
  vbp_arena *a = vbp_arena_create();
  vbp_date day = vbp_date_from_ymd(2024, 8, 1);
  auto key = [&](int64_t catalog, int64_t own, const char *product) {
    return std::string(
        pricing_cache_key(a, pricing_cache_prefix(a, catalog, own, "350000", day), product));
  };
  EXPECT_EQ(key(12, 3, "DRUG-A"), "vbp:price:12:3:350000:2024-08-01:DRUG-A");
  EXPECT_EQ(key(4503599627370496, 1, "B"), "vbp:price:4503599627370496:1:350000:2024-08-01:B");
  // Any input's write moves a version and so the key.
  EXPECT_NE(key(13, 3, "DRUG-A"), key(12, 3, "DRUG-A"));
  EXPECT_NE(key(12, 4, "DRUG-A"), key(12, 3, "DRUG-A"));
  vbp_arena_destroy(a);
}

TEST(PricingCache, APriceComesBackFieldForField) {
  vbp_arena *a = vbp_arena_create();
  Vbp__V1__Price p = VBP__V1__PRICE__INIT;
  p.product_id = (char *)"DRUG-A";
  p.region_code = (char *)"350000";
  p.batch_code = (char *)"JX-YP2023-01";
  p.max_sale_price = (char *)"30.0000";
  p.payment_standard = (char *)"30.0000";
  p.rule = (char *)"P1c";
  p.standard_rule = (char *)"P2a";
  p.covered = true;
  size_t len = 0;
  char *value = pricing_cache_encode_price(a, &p, &len);
  Vbp__V1__Price *back = nullptr;
  const char *reason = "unset";
  ASSERT_TRUE(pricing_cache_decode(a, value, len, &back, &reason));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(reason, nullptr);
  EXPECT_STREQ(back->product_id, "DRUG-A");
  EXPECT_STREQ(back->batch_code, "JX-YP2023-01");
  EXPECT_STREQ(back->max_sale_price, "30.0000");
  EXPECT_STREQ(back->payment_standard, "30.0000");
  EXPECT_STREQ(back->rule, "P1c");
  EXPECT_STREQ(back->standard_rule, "P2a");
  EXPECT_TRUE(back->covered);
  vbp_arena_destroy(a);
}

TEST(PricingCache, NoPriceComesBackWithItsReasonAndGarbageIsAMiss) {
  vbp_arena *a = vbp_arena_create();
  size_t len = 0;
  char *value = pricing_cache_encode_none(a, "not listed in 350000", &len);
  Vbp__V1__Price *back = reinterpret_cast<Vbp__V1__Price *>(1);
  const char *reason = nullptr;
  ASSERT_TRUE(pricing_cache_decode(a, value, len, &back, &reason));
  EXPECT_EQ(back, nullptr);
  EXPECT_STREQ(reason, "not listed in 350000");
  EXPECT_FALSE(pricing_cache_decode(a, "", 0, &back, &reason));
  EXPECT_FALSE(pricing_cache_decode(a, "X123", 4, &back, &reason));
  EXPECT_FALSE(pricing_cache_decode(a, "P\xff\xff\xff", 4, &back, &reason));
  vbp_arena_destroy(a);
}

}  // namespace
