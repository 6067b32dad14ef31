// pricing-svc over real gRPC against real catalog-svc, PostgreSQL and Redis: both services'
// cores (the code that ships) served in-process by the test, catalog-svc pushing to pricing-svc
// as in production. The prices are DOMAIN.md's, and every freshness case of the cache contract
// changes an input between look-ups: a listing, a result, an extension, an execution; with the
// push, without it (1 s), with Redis stopped during the write and restarted empty, and with
// pricing-svc down during the write.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "catalog_harness.h"
#include "common/catalog_auth.h"
#include "common/metrics.h"
#include "common/redis.h"
#include "pricing-svc/service.h"
#include "pricing-svc/store.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/pricing.pb-c.h"

namespace {

char *c(const std::string &s) { return const_cast<char *>(s.c_str()); }

Reply<Vbp__V1__Price> get_price(const Caller &who, const std::string &region,
                                const std::string &product, const std::string &date) {
  Vbp__V1__GetPriceRequest req = VBP__V1__GET_PRICE_REQUEST__INIT;
  req.region_code = c(region);
  req.product_id = c(product);
  req.date = c(date);
  return pricing_call<Vbp__V1__Price>("GetPrice", who, &req.base);
}

Reply<Vbp__V1__BatchGetPricesResponse> batch_get(const Caller &who, const std::string &region,
                                                 const std::vector<std::string> &products,
                                                 const std::string &date) {
  Vbp__V1__BatchGetPricesRequest req = VBP__V1__BATCH_GET_PRICES_REQUEST__INIT;
  std::vector<char *> ids;
  for (const auto &p : products) ids.push_back(c(p));
  req.region_code = c(region);
  req.product_ids = ids.data();
  req.n_product_ids = ids.size();
  req.date = c(date);
  return pricing_call<Vbp__V1__BatchGetPricesResponse>("BatchGetPrices", who, &req.base);
}

Reply<Vbp__V1__Listing> upsert_listing(const Caller &who, const std::string &region,
                                       const std::string &product, const std::string &price,
                                       const std::string &listed_on) {
  Vbp__V1__Listing req = VBP__V1__LISTING__INIT;
  req.region_code = c(region);
  req.product_id = c(product);
  req.price = c(price);
  req.listed_on = c(listed_on);
  return pricing_call<Vbp__V1__Listing>("UpsertListing", who, &req.base);
}

// "maxSalePrice rule / paymentStandard standardRule @ batch" for whole-answer comparisons.
std::string summary(const Reply<Vbp__V1__Price> &r) {
  if (!r.ok())
    return std::string("error ") + vbp_code_name(r.status.code) + ": " + r.status.message;
  std::string s = std::string(r->max_sale_price) + " " + r->rule + " / " + r->payment_standard +
                  " " + r->standard_rule + " @ " + r->batch_code;
  if (!r->covered) s += " (not covered)";
  return s;
}

// How many keys of the stack's Redis match pattern (asked directly, not through the code under
// test).
long long redis_keys(const std::string &pattern) {
  std::string addr = vbp_test_env("VBP_REDIS_ADDR");
  redisContext *ctx = redisConnect(addr.substr(0, addr.rfind(':')).c_str(),
                                   std::stoi(addr.substr(addr.rfind(':') + 1)));
  if (ctx == nullptr || ctx->err) {
    if (ctx) redisFree(ctx);
    return -1;
  }
  auto *reply = static_cast<redisReply *>(redisCommand(ctx, "KEYS %s", pattern.c_str()));
  long long n = reply && reply->type == REDIS_REPLY_ARRAY ? (long long)reply->elements : -1;
  if (reply) freeReplyObject(reply);
  redisFree(ctx);
  return n;
}

// ---------------------------------------------------------------- the scenario

const char *const kBatch = "FJ-YP2024-01";
const char *const kDay = "2024-08-01";

// Fujian (350000) executes a drug batch from 2024-08-01 for 2 years (last day 2026-07-31).
// Competitive group G of 阿莫西林: A (M1) WINNING at 30.0000, B (M2) and C (M3) NON_WINNING;
// D (M4) of the same generic name has no result. Listed in Fujian from 2024-01-01: B 45.0000,
// C 38.0000, D 50.0000 (DOMAIN.md's worked example: limit(A) = min(38, 30) = 30, L(G) = 30).
class PricingTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ASSERT_NE(PricingStack::instance(), nullptr);
    ASSERT_NE(PricingStack::instance()->client(), nullptr) << "pricing-svc did not start";
    Caller admin = Caller::admin();
    for (const char *m : {"M1", "M2", "M3", "M4"})
      ensure_org(m, VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350000");
    ensure_region("220000");
    BatchSpec b;
    b.code = kBatch;
    b.name = "福建省药品集采";
    b.kind = VBP__V1__PRODUCT_KIND__DRUG;
    b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__ALLIANCE;
    b.lead_region_code = "350000";
    b.member_region_codes = {"350000", "220000"};
    b.cycle_years = 2;
    b.renewal_floor = VBP__V1__BATCH__RENEWAL_FLOOR__FIRST_YEAR;
    ASSERT_TRUE(IsOk(create_batch(admin, b)));
    ExecutionSpec e;
    e.batch_code = kBatch;
    e.region_code = "350000";
    e.listing_date = "2024-07-20";
    e.start_date = kDay;
    ASSERT_TRUE(IsOk(create_execution(admin, e)));
    const char *products[][2] = {{"A", "M1"}, {"B", "M2"}, {"C", "M3"}, {"D", "M4"}};
    for (auto &p : products) {
      ProductSpec s;
      s.id = p[0];
      s.generic_name = "阿莫西林";
      s.dosage_form = "胶囊剂";
      s.specification = "0.25g";
      s.unit = "粒";
      s.manufacturer_id = p[1];
      s.in_insurance_catalog = true;
      ASSERT_TRUE(IsOk(create_product(admin, s)));
    }
    ASSERT_TRUE(IsOk(create_group(admin, kBatch, "G", "阿莫西林", true)));
    publish("A", VBP__V1__RESULT_STATUS__WINNING, "30.0000");
    publish("B", VBP__V1__RESULT_STATUS__NON_WINNING, "");
    publish("C", VBP__V1__RESULT_STATUS__NON_WINNING, "");
    list("B", "45.0000", "2024-01-01");
    list("C", "38.0000", "2024-01-01");
    list("D", "50.0000", "2024-01-01");
  }

  void publish(const char *product, Vbp__V1__ResultStatus status, const char *price) {
    ResultSpec r;
    r.batch_code = kBatch;
    r.product_id = product;
    r.group_id = "G";
    r.status = status;
    r.winning_price = price;
    ASSERT_TRUE(IsOk(publish_result(Caller::admin(), r)));
  }

  void list(const char *product, const char *price, const char *on) {
    ASSERT_TRUE(IsOk(upsert_listing(Caller::admin(), "350000", product, price, on)));
  }

  static std::string price(const std::string &product, const std::string &date = kDay,
                           const std::string &region = "350000") {
    return summary(get_price(Caller::admin(), region, product, date));
  }

  pricing_service &svc() { return PricingStack::instance()->service(); }

  // The Redis key of a Fujian look-up under the versions pricing-svc holds now (other test
  // programs' keys, of other versions, share the Redis).
  std::string key_now(const std::string &date, const std::string &product) {
    int64_t catalog = 0, own = 0;
    EXPECT_TRUE(IsOk(pricing_versions_get(svc().versions, &catalog, &own)));
    return "vbp:price:" + std::to_string(catalog) + ":" + std::to_string(own) + ":350000:" + date +
           ":" + product;
  }
};

TEST_F(PricingTest, FujianDrugsFollowP1AndP2) {
  EXPECT_EQ(price("A"), "30.0000 P1c / 30.0000 P2a @ FJ-YP2024-01");
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(price("C"), "38.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  // D has no result: it is priced against the group of its generic name.
  EXPECT_EQ(price("D"), "50.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  // A county of Fuzhou is answered for Fujian, and says so.
  auto r = get_price(Caller::admin(), "350102", "B", kDay);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->region_code, "350000");
  EXPECT_STREQ(r->product_id, "B");
  EXPECT_TRUE(r->covered);
}

TEST_F(PricingTest, BeforeTheStartOrElsewhereTheAnswerIsTheListing) {
  EXPECT_EQ(price("B", "2024-07-31"), "45.0000 NOT_IN_VBP /   @ ");
  // A has no listing: without the execution it has no price.
  EXPECT_TRUE(IsRefused(get_price(Caller::admin(), "350000", "A", "2024-07-31"), VBP_NOT_FOUND,
                        "productId"));
  // Jilin executes nothing and lists nothing.
  EXPECT_TRUE(
      IsRefused(get_price(Caller::admin(), "220000", "B", kDay), VBP_NOT_FOUND, "productId"));
  // After the cycle's last day (2026-07-31).
  EXPECT_EQ(price("B", "2026-07-31"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(price("B", "2026-08-01"), "45.0000 NOT_IN_VBP /   @ ");
}

TEST_F(PricingTest, ListingsKeepTheirHistoryAndAChangeIsSeenAtOnce) {
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");  // from Redis
  list("B", "29.5000", "2024-01-01");  // the same day: a correction
  EXPECT_EQ(price("B"), "29.5000 LISTED / 29.5000 P2c @ FJ-YP2024-01");
  list("B", "44.0000", "2024-09-01");  // a new price from a later day: the history stays
  EXPECT_EQ(price("B", "2024-08-31"), "29.5000 LISTED / 29.5000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(price("B", "2024-09-01"), "44.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  // A's limit follows the lowest listing of G (P1c): 29.5000 < 30.0000 until 2024-09-01.
  EXPECT_EQ(price("A"), "29.5000 P1c / 29.5000 P2a @ FJ-YP2024-01");
  EXPECT_EQ(price("A", "2024-09-01"), "30.0000 P1c / 30.0000 P2a @ FJ-YP2024-01");
}

TEST_F(PricingTest, ARetriedListingChangesNothing) {
  std::string dsn =
      vbp_test_dsn_with(CatalogStack::instance()->dsn(), "options", "-csearch_path=pricing");
  std::string before = vbp_test_sql(dsn, "SELECT version FROM inputs_version");
  auto r = upsert_listing(Caller::admin(), "350000", "B", "45", "2024-01-01");
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->price, "45.0000");
  EXPECT_STREQ(r->listed_on, "2024-01-01");
  EXPECT_STREQ(r->region_code, "350000");
  EXPECT_EQ(vbp_test_sql(dsn, "SELECT version FROM inputs_version"), before);
  EXPECT_EQ(vbp_test_sql(dsn, "SELECT count(*) FROM listing_changes WHERE product_id = 'B'"), "1");
}

// Regression: the triggers' function looked inputs_version up through the writer's search_path,
// so a writer whose search_path was another schema (a data loader, psql) could not write a
// listing at all: the table was not found.
TEST_F(PricingTest, AListingWrittenUnderAnotherSearchPathBumpsTheVersion) {
  std::string dsn =
      vbp_test_dsn_with(CatalogStack::instance()->dsn(), "options", "-csearch_path=public");
  const std::string version = "SELECT version FROM pricing.inputs_version";
  long long before = std::stoll(vbp_test_sql(dsn, version));
  EXPECT_NO_THROW(vbp_test_sql(dsn,
                               "INSERT INTO pricing.listings (region_code, product_id, "
                               "listed_on, price) VALUES ('350000', 'B', '2024-10-01', "
                               "430000)"));
  EXPECT_EQ(vbp_test_sql(dsn, version), std::to_string(before + 1));
}

TEST_F(PricingTest, ACatalogWriteIsSeenByTheNextLookUp) {
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  // D wins at 25.0000: its own limit is P1a (its manufacturer lists it at 50.0000), and L(G)
  // falls to 25.0000 for everyone else of G.
  publish("D", VBP__V1__RESULT_STATUS__WINNING, "25.0000");
  EXPECT_EQ(price("B"), "45.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(price("D"), "25.0000 P1a / 25.0000 P2a @ FJ-YP2024-01");
}

TEST_F(PricingTest, OfTwoBatchesFromTheSameDayTheOneWithTheProductsResultIsInForce) {
  // AA-2024 (a lower code) also groups 阿莫西林 in Fujian from the same day; A has no result
  // there, so FJ-YP2024-01, where A won, stays in force for A.
  BatchSpec b;
  b.code = "AA-2024";
  b.name = "另一批";
  b.kind = VBP__V1__PRODUCT_KIND__DRUG;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.member_region_codes = {"350000"};
  b.cycle_years = 2;
  ASSERT_TRUE(IsOk(create_batch(Caller::admin(), b)));
  ExecutionSpec e;
  e.batch_code = "AA-2024";
  e.region_code = "350000";
  e.listing_date = "2024-07-20";
  e.start_date = kDay;
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), "AA-2024", "G2", "阿莫西林", false)));
  EXPECT_EQ(price("A"), "30.0000 P1c / 30.0000 P2a @ FJ-YP2024-01");
}

TEST_F(PricingTest, AnExtensionAndANewExecutionAreSeenByTheNextLookUp) {
  EXPECT_EQ(price("B", "2026-09-01"), "45.0000 NOT_IN_VBP /   @ ");
  ASSERT_TRUE(IsOk(extend_batch(Caller::admin(), kBatch, "2026-12-31")));
  EXPECT_EQ(price("B", "2026-09-01"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");

  ASSERT_TRUE(IsOk(upsert_listing(Caller::admin(), "220000", "B", "41.0000", "2024-01-01")));
  EXPECT_EQ(price("B", kDay, "220000"), "41.0000 NOT_IN_VBP /   @ ");
  ExecutionSpec e;
  e.batch_code = kBatch;
  e.region_code = "220000";
  e.listing_date = "2024-07-25";
  e.start_date = kDay;
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  // Jilin follows the national default: P4b, B(G) = 30.0000.
  EXPECT_EQ(price("B", kDay, "220000"), "41.0000 LISTED / 30.0000 P4b @ FJ-YP2024-01");
  EXPECT_EQ(price("A", kDay, "220000"), "30.0000 WINNING_PRICE / 30.0000 P4a @ FJ-YP2024-01");
}

TEST_F(PricingTest, WithoutThePushAWriteIsSeenWithinOneSecond) {
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  CatalogStack::instance()->set_pricing(nullptr);  // as if the push was lost
  publish("D", VBP__V1__RESULT_STATUS__WINNING, "25.0000");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(price("B"), "45.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
  CatalogStack::instance()->set_pricing(PricingStack::instance()->client());
}

TEST_F(PricingTest, AWriteWhilePricingSvcIsDownIsSeenWhenItIsBack) {
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  PricingStack::instance()->stop();
  publish("D", VBP__V1__RESULT_STATUS__WINNING, "25.0000");  // acknowledged: the push failed
  PricingStack::instance()->start();
  EXPECT_EQ(price("B"), "45.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
}

TEST_F(PricingTest, ConcurrentMissesOfOneKeyComputeItOnce) {
  uint64_t before = vbp_counter_value(svc().computations);
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int i = 0; i < 12; i++)
    threads.emplace_back([&] {
      if (price("C", "2025-03-03") == "38.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01") right++;
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(right, 12);
  EXPECT_EQ(vbp_counter_value(svc().computations) - before, 1u);
  EXPECT_GE(vbp_counter_value(svc().shared) + vbp_counter_value(svc().hits), 11u);
}

TEST_F(PricingTest, MetricsCountHitsMissesAndComputationTime) {
  uint64_t hits = vbp_counter_value(svc().hits), misses = vbp_counter_value(svc().misses);
  uint64_t computations = vbp_counter_value(svc().computations);
  price("C", "2025-04-04");
  EXPECT_EQ(vbp_counter_value(svc().misses), misses + 1);
  EXPECT_EQ(vbp_counter_value(svc().computations), computations + 1);
  uint64_t memo_hits = vbp_counter_value(svc().memo_hits);
  price("C", "2025-04-04");
  EXPECT_EQ(vbp_counter_value(svc().hits), hits + 1);
  EXPECT_EQ(vbp_counter_value(svc().memo_hits), memo_hits + 1);  // from memory
  EXPECT_EQ(vbp_counter_value(svc().computations), computations + 1);
  EXPECT_EQ(redis_keys(key_now("2025-04-04", "C")), 1);  // and in Redis
  EXPECT_GT(vbp_counter_value(svc().computation_us), 0u);
}

TEST_F(PricingTest, BatchGetPricesAnswersInOrderAndNamesAProductWithoutAPrice) {
  auto r = batch_get(Caller::admin(), "350100", {"D", "A", "B", "A"}, kDay);
  ASSERT_TRUE(IsOk(r));
  ASSERT_EQ(r->n_prices, 4u);
  std::vector<std::string> got;
  for (size_t i = 0; i < r->n_prices; i++)
    got.push_back(std::string(r->prices[i]->product_id) + " " + r->prices[i]->max_sale_price + " " +
                  r->prices[i]->rule + " " + r->prices[i]->payment_standard);
  EXPECT_EQ(got, (std::vector<std::string>{"D 50.0000 LISTED 30.0000", "A 30.0000 P1c 30.0000",
                                           "B 45.0000 LISTED 30.0000", "A 30.0000 P1c 30.0000"}));
  EXPECT_TRUE(IsRefused(batch_get(Caller::admin(), "350000", {"B", "A"}, "2024-07-01"),
                        VBP_NOT_FOUND, "productIds[1]"));
  EXPECT_TRUE(IsRefused(batch_get(Caller::admin(), "350000", {"B", "NOPE"}, kDay), VBP_NOT_FOUND,
                        "productIds[1]"));
  std::vector<std::string> many(1001, "A");
  EXPECT_TRUE(IsRefused(batch_get(Caller::admin(), "350000", many, kDay), VBP_INVALID_ARGUMENT,
                        "productIds"));
  EXPECT_TRUE(IsRefused(batch_get(Caller::admin(), "350000", {}, kDay), VBP_INVALID_ARGUMENT,
                        "productIds"));
  EXPECT_TRUE(IsRefused(batch_get(Caller::admin(), "350000", {"A", "b/c"}, kDay),
                        VBP_INVALID_ARGUMENT, "productIds[1]"));
}

TEST_F(PricingTest, BadInputIsRefusedNamingTheField) {
  Caller admin = Caller::admin();
  EXPECT_TRUE(IsRefused(get_price(admin, "35000", "A", kDay), VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(get_price(admin, "", "A", kDay), VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(get_price(admin, "350000", "", kDay), VBP_INVALID_ARGUMENT, "productId"));
  EXPECT_TRUE(
      IsRefused(get_price(admin, "350000", "A", "2024-02-30"), VBP_INVALID_ARGUMENT, "date"));
  EXPECT_TRUE(IsRefused(get_price(admin, "350000", "NOPE", kDay), VBP_NOT_FOUND, "productId"));
  EXPECT_TRUE(IsRefused(upsert_listing(admin, "350100", "B", "40", "2024-01-01"),
                        VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(upsert_listing(admin, "350000", "B", "0", "2024-01-01"),
                        VBP_INVALID_ARGUMENT, "price"));
  EXPECT_TRUE(IsRefused(upsert_listing(admin, "350000", "B", "4.00001", "2024-01-01"),
                        VBP_INVALID_ARGUMENT, "price"));
  EXPECT_TRUE(
      IsRefused(upsert_listing(admin, "350000", "B", "40", ""), VBP_INVALID_ARGUMENT, "listedOn"));
  EXPECT_TRUE(IsRefused(upsert_listing(admin, "350000", "NOPE", "40", "2024-01-01"), VBP_NOT_FOUND,
                        "productId"));
  // Nothing changed.
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
}

TEST_F(PricingTest, WhoMayDoWhat) {
  Caller maker = Caller::signed_as(VBP_ROLE_MANUFACTURER, "M2", "350000");
  Caller hospital = Caller::signed_as(VBP_ROLE_MEDICAL_INSTITUTION, "H1", "350100");
  Caller fujian = Caller::signed_as(VBP_ROLE_BUREAU, "FJ-YB", "350000");
  Caller fuzhou = Caller::signed_as(VBP_ROLE_BUREAU, "FZ-YB", "350100");
  Caller jilin = Caller::signed_as(VBP_ROLE_BUREAU, "JL-YB", "220000");
  // Every caller may look up prices; nobody without a caller.
  EXPECT_TRUE(IsOk(get_price(maker, "350000", "B", kDay)));
  EXPECT_TRUE(IsOk(get_price(hospital, "350000", "B", kDay)));
  EXPECT_TRUE(IsRefused(get_price(Caller::nobody(), "350000", "B", kDay), VBP_UNAUTHENTICATED, ""));
  EXPECT_TRUE(
      IsRefused(get_price(Caller::forged_as(VBP_ROLE_BUREAU, "X", "350000"), "350000", "B", kDay),
                VBP_UNAUTHENTICATED, ""));
  // Listings: the admin and the bureau of the province only.
  EXPECT_TRUE(IsRefused(upsert_listing(maker, "350000", "B", "1", "2024-01-01"),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(upsert_listing(fuzhou, "350000", "B", "1", "2024-01-01"),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(upsert_listing(jilin, "350000", "B", "1", "2024-01-01"),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  EXPECT_TRUE(IsOk(upsert_listing(fujian, "350000", "B", "44", "2024-01-01")));
  EXPECT_EQ(price("B"), "44.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
  // The push is for services only.
  Vbp__V1__PriceInputsChangedRequest push = VBP__V1__PRICE_INPUTS_CHANGED_REQUEST__INIT;
  push.catalog_version = 1;
  EXPECT_TRUE(IsRefused(
      pricing_call<Vbp__V1__PriceInputsChangedResponse>("PriceInputsChanged", fujian, &push.base),
      VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsOk(pricing_call<Vbp__V1__PriceInputsChangedResponse>(
      "PriceInputsChanged", Caller::signed_as(VBP_ROLE_SERVICE, "", ""), &push.base)));
}

TEST_F(PricingTest, PoliciesAreListedFromTheirRows) {
  Vbp__V1__ListPricingPoliciesRequest req = VBP__V1__LIST_PRICING_POLICIES_REQUEST__INIT;
  auto r = pricing_call<Vbp__V1__ListPricingPoliciesResponse>(
      "ListPricingPolicies", Caller::signed_as(VBP_ROLE_DISTRIBUTOR, "D1", "350000"), &req.base);
  ASSERT_TRUE(IsOk(r));
  std::vector<std::string> got;
  for (size_t i = 0; i < r->n_policies; i++) {
    const Vbp__V1__PricingPolicy *p = r->policies[i];
    std::string s = std::string(p->region_code) + "/" + std::to_string(p->product_kind) + " " +
                    p->rule_family + " [";
    for (size_t j = 0; j < p->n_limit_rules; j++)
      s += std::string(j ? "," : "") + p->limit_rules[j];
    s += "] [";
    for (size_t j = 0; j < p->n_standard_rules; j++)
      s += std::string(j ? "," : "") + p->standard_rules[j];
    got.push_back(s + "] " + p->source);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "350000/1 P1+P2 [P1a,P1b,P1c,LISTED] [P2a,P2b,P2c] 闽医保〔2024〕54号 五",
                     "350000/2 P3 [WINNING_PRICE,LISTED] [P3a,P3b] 闽医保〔2022〕21号 三(三)2",
                     "/1 P4 [WINNING_PRICE,LISTED] [P4a,P4b] 晋医保发〔2021〕22号 八(二)",
                     "/2 P3 [WINNING_PRICE,LISTED] [P3a,P3b] 晋医保发〔2021〕22号 八(二)"}));
}

// Stops the Redis every test program shares: run alone (RUN_SERIAL, see CMakeLists.txt).
TEST_F(PricingTest, RedisOutageLookUpsAnswerFromTheDatabaseAndStayFreshAfterARestart) {
  EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");  // cached
  uint64_t errors = vbp_counter_value(svc().cache_errors);
  {
    RedisStopped stopped;
    EXPECT_EQ(price("B"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");  // from memory
    EXPECT_EQ(price("B", "2025-06-06"), "45.0000 LISTED / 30.0000 P2c @ FJ-YP2024-01");
    EXPECT_GT(vbp_counter_value(svc().cache_errors), errors);  // computed without Redis
    publish("D", VBP__V1__RESULT_STATUS__WINNING, "25.0000");  // while Redis is down
    list("C", "36.0000", "2024-01-01");
    EXPECT_EQ(price("B"), "45.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
    EXPECT_EQ(price("C"), "36.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
    stopped.start();  // empty: no persistence in the test stack
  }
  EXPECT_EQ(price("B"), "45.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(price("C"), "36.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
  // Once Redis answers again (after the client's retry interval) answers go to it again.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  errors = vbp_counter_value(svc().cache_errors);
  EXPECT_EQ(price("C", "2025-05-05"), "36.0000 LISTED / 25.0000 P2c @ FJ-YP2024-01");
  EXPECT_EQ(vbp_counter_value(svc().cache_errors), errors);
  EXPECT_EQ(redis_keys(key_now("2025-05-05", "C")), 1);
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  ::testing::AddGlobalTestEnvironment(new PricingStack);
  return RUN_ALL_TESTS();
}
