// volume-svc over real gRPC against real catalog-svc, pricing-svc and PostgreSQL, all three cores
// (the code that ships) served in-process: demand reports and their review chain (V1),
// allocations (V2, V3, the C7 floor), purchases one by one and in daily files (V4, V8, V9), with
// the refusals of API.md "Who may do what". The numbers are DOMAIN.md's.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "catalog_harness.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume_fixture.h"

namespace {

// ---------------------------------------------------------------- demand reports (V1)

TEST_F(VolumeTest, ACountyHospitalsDrugReportGoesCountyCityProvince) {
  auto r = submit(institution(kCountyHospital), kCountyHospital, "G1", 1, 1000);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->state, VBP__V1__DEMAND_REPORT_STATE__SUBMITTED);
  EXPECT_EQ(r->agreement_year, 1);
  EXPECT_EQ(r->quantity, 1000);
  EXPECT_EQ(r->last_year_quantity, 900);
  EXPECT_STREQ(r->commitment_sha256, kCommitment);
  const std::string id = r->id;

  // Out of order: the city cannot go first (400 naming level).
  EXPECT_TRUE(
      IsRefused(review(bureau(kFuzhouBureau), id, kCity, true), VBP_INVALID_ARGUMENT, "level"));
  // A bureau of another level, or whose region does not contain the hospital: 403.
  EXPECT_TRUE(IsRefused(review(bureau(kFuzhouBureau), id, kCounty, true), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(review(bureau(kXiamenBureau), id, kCity, true), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(
      IsRefused(review(institution(kCountyHospital), id, kCounty, true), VBP_PERMISSION_DENIED));

  auto county = review(bureau(kGulouBureau), id, kCounty, true, "县级审核通过");
  ASSERT_TRUE(IsOk(county));
  EXPECT_EQ(county->state, VBP__V1__DEMAND_REPORT_STATE__IN_REVIEW);
  // A level already done: 400 naming level.
  EXPECT_TRUE(
      IsRefused(review(bureau(kGulouBureau), id, kCounty, true), VBP_INVALID_ARGUMENT, "level"));
  auto city = review(bureau(kFuzhouBureau), id, kCity, true);
  ASSERT_TRUE(IsOk(city));
  EXPECT_EQ(city->state, VBP__V1__DEMAND_REPORT_STATE__IN_REVIEW);
  auto province = review(bureau(kFujianBureau), id, kProvince, true);
  ASSERT_TRUE(IsOk(province));
  EXPECT_EQ(province->state, VBP__V1__DEMAND_REPORT_STATE__APPROVED);
  ASSERT_EQ(province->n_reviews, 3u);
  EXPECT_EQ(province->reviews[0]->level, VBP__V1__REGION_LEVEL__COUNTY);
  EXPECT_STREQ(province->reviews[0]->reviewer_id, kGulouBureau);
  EXPECT_STREQ(province->reviews[0]->comment, "县级审核通过");
  EXPECT_TRUE(province->reviews[0]->approve);
  EXPECT_EQ(std::string(province->reviews[0]->at).size(), 25u);  // 2025-03-01T10:00:00+08:00
  EXPECT_STREQ(province->reviews[1]->reviewer_id, kFuzhouBureau);
  EXPECT_STREQ(province->reviews[2]->reviewer_id, kFujianBureau);
  // Approved is the end of the chain.
  EXPECT_TRUE(
      IsRefused(review(Caller::admin(), id, kProvince, true), VBP_INVALID_ARGUMENT, "level"));
}

TEST_F(VolumeTest, ACityHospitalStartsAtTheCityAndAProvincialOneAtTheProvince) {
  auto city = submit(institution(kCityHospital), kCityHospital, "G1", 1, 421);
  ASSERT_TRUE(IsOk(city));
  EXPECT_TRUE(IsRefused(review(bureau(kGulouBureau), city->id, kCounty, true),
                        VBP_PERMISSION_DENIED));  // the county bureau's region does not hold it
  EXPECT_TRUE(
      IsRefused(review(Caller::admin(), city->id, kCounty, true), VBP_INVALID_ARGUMENT, "level"));
  EXPECT_TRUE(
      IsRefused(review(Caller::admin(), city->id, kProvince, true), VBP_INVALID_ARGUMENT, "level"));
  // The admin reviews at any level, still in order.
  ASSERT_TRUE(IsOk(review(Caller::admin(), city->id, kCity, true)));
  auto done = review(Caller::admin(), city->id, kProvince, true);
  ASSERT_TRUE(IsOk(done));
  EXPECT_EQ(done->state, VBP__V1__DEMAND_REPORT_STATE__APPROVED);
  EXPECT_STREQ(done->reviews[0]->reviewer_id, "");

  auto provincial = submit(institution(kProvincialHospital), kProvincialHospital, "G1", 1, 50);
  ASSERT_TRUE(IsOk(provincial));
  EXPECT_TRUE(
      IsRefused(review(bureau(kFuzhouBureau), provincial->id, kCity, true), VBP_PERMISSION_DENIED));
  auto approved = review(bureau(kFujianBureau), provincial->id, kProvince, true);
  ASSERT_TRUE(IsOk(approved));
  EXPECT_EQ(approved->state, VBP__V1__DEMAND_REPORT_STATE__APPROVED);
}

TEST_F(VolumeTest, ARejectionEndsTheReportWithItsCommentAndANewOneMayFollow) {
  auto r = submit(institution(kCityHospital), kCityHospital, "G1", 1, 421);
  ASSERT_TRUE(IsOk(r));
  // A rejection says why.
  EXPECT_TRUE(IsRefused(review(bureau(kFuzhouBureau), r->id, kCity, false), VBP_INVALID_ARGUMENT,
                        "comment"));
  auto rejected = review(bureau(kFuzhouBureau), r->id, kCity, false, "与上年用量不符");
  ASSERT_TRUE(IsOk(rejected));
  EXPECT_EQ(rejected->state, VBP__V1__DEMAND_REPORT_STATE__REJECTED);
  EXPECT_STREQ(rejected->reviews[0]->comment, "与上年用量不符");
  EXPECT_FALSE(rejected->reviews[0]->approve);
  EXPECT_TRUE(IsRefused(review(bureau(kFujianBureau), r->id, kProvince, true), VBP_INVALID_ARGUMENT,
                        "level"));
  auto again = submit(institution(kCityHospital), kCityHospital, "G1", 1, 400);
  ASSERT_TRUE(IsOk(again));
  EXPECT_STRNE(again->id, r->id);
  EXPECT_EQ(again->state, VBP__V1__DEMAND_REPORT_STATE__SUBMITTED);
}

TEST_F(VolumeTest, SubmitDemandIsCheckedAndOneLiveReportPerGroupAndYear) {
  const Caller hospital = institution(kCityHospital);
  auto first = submit(hospital, kCityHospital, "G1", 1, 421);
  ASSERT_TRUE(IsOk(first));
  // The same report again (a retry) answers the stored one; another is ALREADY_EXISTS.
  auto retry = submit(hospital, kCityHospital, "G1", 1, 421);
  ASSERT_TRUE(IsOk(retry));
  EXPECT_STREQ(retry->id, first->id);
  EXPECT_TRUE(
      IsRefused(submit(hospital, kCityHospital, "G1", 1, 500), VBP_ALREADY_EXISTS, "groupId"));
  // Another year or group is another report.
  EXPECT_TRUE(IsOk(submit(hospital, kCityHospital, "G1", 2, 421)));
  EXPECT_TRUE(IsOk(submit(hospital, kCityHospital, "G2", 1, 421)));

  // For another institution: 403, whether or not it exists.
  EXPECT_TRUE(IsRefused(submit(hospital, kCountyHospital, "G1", 1, 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(submit(hospital, "nobody", "G1", 1, 1), VBP_PERMISSION_DENIED));
  // A consortium reports for its members; a member's own report is refused.
  EXPECT_TRUE(IsRefused(submit(institution(kMember), kMember, "G1", 1, 10), VBP_INVALID_ARGUMENT,
                        "institutionId"));
  EXPECT_TRUE(IsOk(submit(institution(kConsortium), kConsortium, "G1", 1, 300)));
  // A bureau, a manufacturer: refused by the method table.
  EXPECT_TRUE(
      IsRefused(submit(bureau(kFujianBureau), kCityHospital, "G1", 1, 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(
      submit(Caller::signed_as(VBP_ROLE_MANUFACTURER, kM1, "350000"), kCityHospital, "G1", 1, 1),
      VBP_PERMISSION_DENIED));

  Vbp__V1__DemandReport bad;
  auto refused = [&](const char *field) {
    auto r = volume_call<Vbp__V1__DemandReport>("SubmitDemand", hospital, &bad.base);
    return IsRefused(r, VBP_INVALID_ARGUMENT, field);
  };
  auto reset = [&] { bad = demand_report(kCityHospital, "G3", 1, 10); };
  reset();
  bad.commitment_sha256 = c("abc");
  EXPECT_TRUE(refused("commitmentSha256"));
  reset();
  bad.quantity = -1;
  EXPECT_TRUE(refused("quantity"));
  reset();
  bad.last_year_quantity = -1;
  EXPECT_TRUE(refused("lastYearQuantity"));
  reset();
  bad.group_id = c("G9");
  EXPECT_TRUE(refused("groupId"));
  reset();
  bad.agreement_year = 5;  // a 4-year cycle
  EXPECT_TRUE(refused("agreementYear"));
  reset();
  bad.region_code = c("350100");
  EXPECT_TRUE(refused("regionCode"));
  reset();
  bad.batch_code = c("");
  EXPECT_TRUE(refused("batchCode"));
  reset();
  bad.batch_code = c("NO-SUCH");
  EXPECT_TRUE(IsRefused(volume_call<Vbp__V1__DemandReport>("SubmitDemand", hospital, &bad.base),
                        VBP_NOT_FOUND, "batchCode"));
  // Nothing of the refused ones was stored.
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT count(*) FROM demand_reports WHERE group_id IN ('G3', 'G9')"),
            "0");
  // Unauthenticated and forged callers.
  reset();
  EXPECT_TRUE(
      IsRefused(volume_call<Vbp__V1__DemandReport>("SubmitDemand", Caller::nobody(), &bad.base),
                VBP_UNAUTHENTICATED));
  EXPECT_TRUE(IsRefused(
      volume_call<Vbp__V1__DemandReport>(
          "SubmitDemand", Caller::forged_as(VBP_ROLE_MEDICAL_INSTITUTION, kCityHospital, "350100"),
          &bad.base),
      VBP_UNAUTHENTICATED));
}

// ---------------------------------------------------------------- allocations (V2, V3, C7)

TEST_F(VolumeTest, AllocationsAreBaseTimesRatioSplitByLargestRemainder) {
  approve_demand(kCityHospital, "G1", 1, 421);
  approve_demand(kCountyHospital, "G1", 1, 1000);
  approve_demand(kCityHospital, "G2", 1, 7);

  auto r = compute(bureau(kFujianBureau), 1, 80, {});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->computed, 5);
  // 421 x 80% = 336.8 -> 337: A 60% 202.2, B 40% 134.8; the unit left goes to B's larger
  // remainder. 1000 x 80% = 800: 480 / 320. G2: 7 x 80% = 5.6 -> 6, all to E.
  EXPECT_EQ(allocations_of(r.get()), (std::vector<std::string>{
                                         "1 hosp-city G1 A 421 80 202",
                                         "1 hosp-city G1 B 421 80 135",
                                         "1 hosp-city G2 E 7 80 6",
                                         "1 hosp-county G1 A 1000 80 480",
                                         "1 hosp-county G1 B 1000 80 320",
                                     }));
  // A group's own ratio; recomputing replaces the year's allocations.
  auto again = compute(bureau(kFujianBureau), 1, 80, {{"G1", 90}});
  ASSERT_TRUE(IsOk(again));
  // 421 x 90% = 378.9 -> 379: A 227.4, B 151.6 -> B takes the unit: 227 / 152.
  EXPECT_EQ(allocations_of(again.get()), (std::vector<std::string>{
                                             "1 hosp-city G1 A 421 90 227",
                                             "1 hosp-city G1 B 421 90 152",
                                             "1 hosp-city G2 E 7 80 6",
                                             "1 hosp-county G1 A 1000 90 540",
                                             "1 hosp-county G1 B 1000 90 360",
                                         }));
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(), "SELECT count(*) FROM allocations"), "5");
}

TEST_F(VolumeTest, ComputeAllocationsIsCheckedAndAuthorised) {
  approve_demand(kCityHospital, "G1", 1, 421);
  EXPECT_TRUE(
      IsRefused(compute(bureau(kFujianBureau), 1, 0, {}), VBP_INVALID_ARGUMENT, "ratioPercent"));
  EXPECT_TRUE(
      IsRefused(compute(bureau(kFujianBureau), 1, 101, {}), VBP_INVALID_ARGUMENT, "ratioPercent"));
  EXPECT_TRUE(IsRefused(compute(bureau(kFujianBureau), 1, 80, {{"G9", 50}}), VBP_INVALID_ARGUMENT,
                        "groupRatios[0].groupId"));
  EXPECT_TRUE(IsRefused(compute(bureau(kFujianBureau), 1, 80, {{"G1", 50}, {"G1", 60}}),
                        VBP_INVALID_ARGUMENT, "groupRatios[1].groupId"));
  EXPECT_TRUE(IsRefused(compute(bureau(kFujianBureau), 1, 80, {{"G1", 0}}), VBP_INVALID_ARGUMENT,
                        "groupRatios[0].ratioPercent"));
  EXPECT_TRUE(
      IsRefused(compute(bureau(kFujianBureau), 5, 80, {}), VBP_INVALID_ARGUMENT, "agreementYear"));
  // Only the provincial bureau (of this province) or the admin.
  EXPECT_TRUE(IsRefused(compute(bureau(kFuzhouBureau), 1, 80, {}), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(compute(Caller::signed_as(VBP_ROLE_BUREAU, "bur-js", "320000"), 1, 80, {}),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(compute(institution(kCityHospital), 1, 80, {}), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsOk(compute(Caller::admin(), 1, 80, {})));
}

TEST_F(VolumeTest, AGroupWhoseWinningSharesAreNot100IsRefusedAndNothingSaved) {
  approve_demand(kCityHospital, "G1", 1, 421);
  approve_demand(kCityHospital, "G3", 1, 50);  // G3: one winner at 50% so far
  auto r = compute(bureau(kFujianBureau), 1, 80, {});
  ASSERT_TRUE(IsRefused(r, VBP_FAILED_PRECONDITION, "groupId"));
  EXPECT_NE(std::string(r.status.message).find("G3"), std::string::npos) << r.status.message;
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(), "SELECT count(*) FROM allocations"), "0");
}

// volume-svc keeps the catalog's answers under its price-input version (vbp_batch_inputs_kept),
// which the result below bumps: the next computation sees it.
TEST_F(VolumeTest, AResultPublishedAfterARefusalCountsInTheNextComputation) {
  approve_demand(kCityHospital, "G3", 1, 50);
  ASSERT_TRUE(
      IsRefused(compute(bureau(kFujianBureau), 1, 80, {}), VBP_FAILED_PRECONDITION, "groupId"));
  ProductSpec s;
  s.id = "H2";
  s.kind = VBP__V1__PRODUCT_KIND__DRUG;
  s.generic_name = "头孢";
  s.dosage_form = "注射剂";
  s.specification = "300万IU";
  s.unit = "支";
  s.manufacturer_id = "mfr-3";
  s.quality_tier = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
  s.in_insurance_catalog = true;
  ASSERT_TRUE(IsOk(create_product(Caller::admin(), s)));
  ResultSpec r;
  r.batch_code = kBatchCode;
  r.product_id = "H2";
  r.group_id = "G3";
  r.status = VBP__V1__RESULT_STATUS__WINNING;
  r.winning_price = "21.0000";
  r.share_percent = 50;
  ASSERT_TRUE(IsOk(publish_result(Caller::admin(), r)));
  auto again = compute(bureau(kFujianBureau), 1, 80, {});
  ASSERT_TRUE(IsOk(again));
  // 50 x 80% = 40, half each.
  EXPECT_EQ(allocations_of(again.get()), (std::vector<std::string>{
                                             "1 hosp-city G3 H 50 80 20",
                                             "1 hosp-city G3 H2 50 80 20",
                                         }));
}

TEST_F(VolumeTest, AFrozenYearIsNotRecomputed) {
  approve_demand(kCityHospital, "G1", 1, 421);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 80, {})));
  // Only our services freeze (contract-svc, when it generates the year's contracts).
  EXPECT_TRUE(IsRefused(freeze(Caller::admin(), 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(freeze(bureau(kFujianBureau), 1), VBP_PERMISSION_DENIED));
  auto frozen = freeze(service_caller(), 1);
  ASSERT_TRUE(IsOk(frozen));
  EXPECT_EQ(frozen->allocations, 2);
  ASSERT_TRUE(IsOk(freeze(service_caller(), 1)));  // twice is no error
  EXPECT_TRUE(IsRefused(compute(bureau(kFujianBureau), 1, 90, {}), VBP_FAILED_PRECONDITION,
                        "agreementYear"));
  // Still 80%: nothing changed.
  auto list = list_allocations(Caller::admin(), "", 1);
  ASSERT_TRUE(IsOk(list));
  ASSERT_EQ(list->n_allocations, 2u);
  EXPECT_EQ(list->allocations[0]->ratio_percent, 80);
  // Another year is not frozen.
  approve_demand(kCityHospital, "G1", 2, 421);
  EXPECT_TRUE(IsOk(compute(bureau(kFujianBureau), 2, 80, {})));
}

TEST_F(VolumeTest, FromYearTwoNoAllocationFallsBelowThePerDayFloor) {
  approve_demand(kCityHospital, "G1", 1, 421);
  approve_demand(kCountyHospital, "G1", 1, 1000);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
  // Year 1 (2024-07-22..2025-12-31, 528 days): A 253, B 168 for the city hospital; A 600,
  // B 400 for the county one. Year 2 has 365 days: floors A 253 x 365 / 528 = 174.9 -> 175,
  // B 116.1 -> 116; A 414.8 -> 415, B 276.5 -> 277.
  approve_demand(kCityHospital, "G1", 2, 421);
  approve_demand(kCountyHospital, "G1", 2, 800);
  // At 50%: city 211 (A 127, B 84), county 400 (A 240, B 160): all four below.
  auto r = compute(bureau(kFujianBureau), 2, 50, {});
  ASSERT_TRUE(IsRefused(r, VBP_FAILED_PRECONDITION, "agreementYear"));
  const std::string message = r.status.message;
  EXPECT_NE(message.find("C7: 4 below"), std::string::npos) << message;
  EXPECT_NE(message.find("hosp-city A 127 < 175"), std::string::npos) << message;
  EXPECT_NE(message.find("hosp-city B 84 < 116"), std::string::npos) << message;
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT count(*) FROM allocations WHERE agreement_year = 2"),
            "0");
  // At 70%: city 295 (A 177, B 118) holds; county 560 (A 336, B 224) still breaks both.
  auto r70 = compute(bureau(kFujianBureau), 2, 70, {});
  ASSERT_TRUE(IsRefused(r70, VBP_FAILED_PRECONDITION, "agreementYear"));
  EXPECT_NE(std::string(r70.status.message).find("C7: 2 below"), std::string::npos)
      << r70.status.message;
  // At 100%: county 800 (A 480, B 320) holds too.
  auto ok = compute(bureau(kFujianBureau), 2, 100, {});
  ASSERT_TRUE(IsOk(ok));
  EXPECT_EQ(ok->computed, 4);
}

TEST_F(VolumeTest, ListAllocationsPagesAndShowsEachCallerWhatItMayRead) {
  approve_demand(kCityHospital, "G1", 1, 421);
  approve_demand(kCountyHospital, "G1", 1, 1000);
  approve_demand(kCityHospital, "G2", 1, 7);
  auto computed = compute(bureau(kFujianBureau), 1, 80, {}, 2);
  ASSERT_TRUE(IsOk(computed));
  ASSERT_EQ(computed->n_allocations, 2u);
  ASSERT_STRNE(computed->next_page_token, "");
  // ComputeAllocations' token pages on through ListAllocations.
  auto rest = list_allocations(bureau(kFujianBureau), "", 1, 2, computed->next_page_token);
  ASSERT_TRUE(IsOk(rest));
  EXPECT_EQ(allocations_of(rest.get()), (std::vector<std::string>{
                                            "1 hosp-city G2 E 7 80 6",
                                            "1 hosp-county G1 A 1000 80 480",
                                        }));
  // Another caller cannot use it.
  EXPECT_TRUE(IsRefused(list_allocations(Caller::admin(), "", 1, 2, computed->next_page_token),
                        VBP_INVALID_ARGUMENT, "pageToken"));

  auto count = [](const Caller &who, const std::string &institution = "") {
    auto r = list_allocations(who, institution, 0, 500);
    EXPECT_TRUE(IsOk(r));
    return r.ok() ? r->n_allocations : 999u;
  };
  EXPECT_EQ(count(Caller::admin()), 5u);
  EXPECT_EQ(count(bureau(kFujianBureau)), 5u);
  EXPECT_EQ(count(bureau(kGulouBureau)), 2u);  // the county hospital's
  EXPECT_EQ(count(bureau(kXiamenBureau)), 0u);
  EXPECT_EQ(count(institution(kCityHospital)), 3u);
  EXPECT_EQ(count(institution(kCityHospital), kCountyHospital), 0u);  // filtered, not refused
  EXPECT_EQ(count(Caller::signed_as(VBP_ROLE_MANUFACTURER, kM1, "350000")), 3u);  // A and E
  EXPECT_EQ(count(Caller::signed_as(VBP_ROLE_MANUFACTURER, kM2, "350000")), 2u);  // B
  EXPECT_EQ(count(service_caller()), 5u);
  EXPECT_TRUE(IsRefused(
      list_allocations(Caller::signed_as(VBP_ROLE_DISTRIBUTOR, "d1", "350000"), "", 0, 50),
      VBP_PERMISSION_DENIED));
}

// ---------------------------------------------------------------- purchases (V4, V8, V9)

TEST_F(VolumeTest, APurchaseIsRecordedAsItHappened) {
  auto r = record(institution(kCityHospital),
                  purchase(kCityHospital, "A", 100, "3000", "2024-08-15", "line-1"));
  ASSERT_TRUE(IsOk(r));
  EXPECT_STRNE(r->id, "");
  EXPECT_EQ(r->agreement_year, 1);
  EXPECT_STREQ(r->settlement_due, "2024-09-30");
  EXPECT_STREQ(r->agency_settlement_due, "");  // a drug
  EXPECT_FALSE(r->above_limit);                // 30.0000 a unit: A's limit (P1c)
  EXPECT_STREQ(r->external_id, "line-1");

  // Above the limit: recorded and flagged (V9), not refused.
  auto above = record(institution(kCityHospital),
                      purchase(kCityHospital, "A", 100, "3000.01", "2025-01-31", "line-2"));
  ASSERT_TRUE(IsOk(above));
  EXPECT_TRUE(above->above_limit);
  EXPECT_STREQ(above->settlement_due, "2025-02-28");
  // Before the execution started: recorded, in no agreement year.
  auto before = record(institution(kCityHospital),
                       purchase(kCityHospital, "A", 5, "150", "2024-07-21", "line-3"));
  ASSERT_TRUE(IsOk(before));
  EXPECT_EQ(before->agreement_year, 0);
  // A non-winning product of the group's generic name is in the batch's scope; so is D, of the
  // generic name without a result. Above its listing (38.0000): flagged.
  auto c_above = record(institution(kCityHospital),
                        purchase(kCityHospital, "C", 10, "390", "2024-09-01", "line-4"));
  ASSERT_TRUE(IsOk(c_above));
  EXPECT_TRUE(c_above->above_limit);
  EXPECT_TRUE(IsOk(record(institution(kCityHospital),
                          purchase(kCityHospital, "D", 10, "100", "2024-09-01", ""))));
  // Beyond the agreed volume: accepted (V4).
  EXPECT_TRUE(IsOk(record(institution(kCityHospital),
                          purchase(kCityHospital, "A", 100000, "3000000", "2024-09-02", ""))));
}

TEST_F(VolumeTest, AnExternalIdAnswersItsPurchaseOrRefusesOtherContent) {
  const Caller hospital = institution(kCityHospital);
  auto first = record(hospital, purchase(kCityHospital, "A", 100, "3000", "2024-08-15", "x-1"));
  ASSERT_TRUE(IsOk(first));
  auto again =
      record(hospital, purchase(kCityHospital, "A", 100, "3000.0000", "2024-08-15", "x-1"));
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->id, first->id);
  EXPECT_TRUE(
      IsRefused(record(hospital, purchase(kCityHospital, "A", 101, "3000", "2024-08-15", "x-1")),
                VBP_ALREADY_EXISTS, "externalId"));
  // Unique per institution: another may use the same line id.
  EXPECT_TRUE(IsOk(record(institution(kCountyHospital),
                          purchase(kCountyHospital, "A", 1, "30", "2024-08-15", "x-1"))));
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(), "SELECT count(*) FROM purchases"), "2");
}

TEST_F(VolumeTest, RecordPurchaseIsCheckedAndAuthorised) {
  const Caller hospital = institution(kCityHospital);
  auto refused = [&](Vbp__V1__Purchase p, vbp_code code, const char *field) {
    return IsRefused(record(hospital, p), code, field);
  };
  Vbp__V1__Purchase p = purchase(kCityHospital, "A", 0, "0", "2024-08-15", "");
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "quantity"));
  p = purchase(kCityHospital, "A", 1, "1.00001", "2024-08-15", "");
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "amount"));
  p = purchase(kCityHospital, "A", 1, "-1", "2024-08-15", "");
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "amount"));
  p = purchase(kCityHospital, "A", 1, "0", "2024-08-15", "");
  EXPECT_TRUE(IsOk(record(hospital, p)));  // amount >= 0
  p = purchase(kCityHospital, "A", 1, "1", "2024-08-15", "");
  p.ordered_on = c("2024-08-16");
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "acceptedOn"));
  p = purchase(kCityHospital, "A", 1, "1", "2025-03-02", "");  // today is 2025-03-01
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "acceptedOn"));
  p = purchase(kCityHospital, "A", 1, "1", "2024-02-30", "");
  p.ordered_on = c("2024-02-01");
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "acceptedOn"));
  p = purchase(kCityHospital, "F", 1, "1", "2024-08-15", "");  // another generic name
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "productId"));
  p = purchase(kCityHospital, "A", 1, "1", "2024-08-15", "");
  p.batch_code = c("NO-SUCH");
  EXPECT_TRUE(refused(p, VBP_INVALID_ARGUMENT, "batchCode"));
  // Another institution's purchases: 403; a member records its own.
  p = purchase(kCountyHospital, "A", 1, "1", "2024-08-15", "");
  EXPECT_TRUE(refused(p, VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(
      record(bureau(kFujianBureau), purchase(kCityHospital, "A", 1, "1", "2024-08-15", "")),
      VBP_PERMISSION_DENIED));
  auto member = record(institution(kMember), purchase(kMember, "A", 3, "90", "2024-08-15", ""));
  ASSERT_TRUE(IsOk(member));
  // It counts for its consortium (V1).
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT unit_id FROM purchases WHERE institution_id = 'hosp-member'"),
            kConsortium);
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(), "SELECT count(*) FROM purchases"), "2");
}

TEST_F(VolumeTest, EightWritersOnOneInstitutionAndProductLoseNothing) {
  constexpr int kWriters = 8, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; w++)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; i++) {
        std::string id = "w" + std::to_string(w) + "-" + std::to_string(i);
        auto r = record(institution(kCityHospital),
                        purchase(kCityHospital, "A", 1 + i, "30", "2024-08-15", id));
        if (!r.ok()) failures++;
      }
    });
  for (auto &t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Each writer: 1 + 2 + ... + 25 = 325.
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT count(*) || ' ' || sum(quantity) FROM purchases"),
            std::to_string(kWriters * kEach) + " " + std::to_string(kWriters * 325));
}

TEST_F(VolumeTest, ARecomputeWhilePurchasesArriveKeepsBoth) {
  approve_demand(kCityHospital, "G1", 1, 421);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, computes{0};
  std::thread bureau_thread([&] {
    while (!done) {
      auto r = compute(bureau(kFujianBureau), 1, 50 + computes % 50, {});
      if (!r.ok()) failures++;
      computes++;
    }
  });
  for (int i = 0; i < 60; i++) {
    auto r = record(institution(kCityHospital),
                    purchase(kCityHospital, "A", 2, "60", "2024-08-15", "r-" + std::to_string(i)));
    if (!r.ok()) failures++;
  }
  done = true;
  bureau_thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(computes.load(), 0);
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(), "SELECT sum(quantity) FROM purchases"),
            "120");
  // The year's allocations are one whole computation: A + B = 421 x ratio, rounded.
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT count(*) FROM allocations WHERE agreed_quantity <> 0 AND "
                         "ratio_percent <> (SELECT min(ratio_percent) FROM allocations)"),
            "0");
}

// ---------------------------------------------------------------- daily files

TEST_F(VolumeTest, ADailyFileRecordsGoodLinesReportsBadOnesAndTwiceRecordsNothingTwice) {
  const std::string file =
      line(kCityHospital, "A", "10", "\"300\"", "2024-08-15", "f-1") + "\n" + "\n" +  // 2: blank
      "{not json\n" +                                                                 // 3
      line(kCityHospital, "A", "0", "\"0\"", "2024-08-15", "f-3") + "\n" +            // 4: quantity
      line(kCityHospital, "F", "1", "\"1\"", "2024-08-15", "f-4") + "\n" +            // 5: product
      line(kCountyHospital, "A", "1", "\"1\"", "2024-08-15", "f-5") + "\n" +  // 6: not its own
      "{\"institutionId\":\"hosp-city\",\"productId\":\"A\",\"batchCode\":\"VT-2024\","
      "\"quantity\":\"2\",\"amount\":\"60\",\"orderedOn\":\"2024-08-15\","
      "\"acceptedOn\":\"2024-08-15\"}\n" +  // 7: no externalId
      line(kCityHospital, "B", "\"20\"", "\"560.5\"", "2024-09-01", "f-7") +
      "\r\n" + line(kCityHospital, "A", "5", "\"150\"", "2024-08-16", "f-8") + "\n" +
      "{\"institutionId\":\"hosp-city\",\"colour\":\"red\"}";  // 10: unknown field, no newline
  auto r = import(institution(kCityHospital), file);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->recorded, 3);
  EXPECT_EQ(r->skipped, 0);
  EXPECT_EQ(errors_of(r.get()), (std::vector<std::string>{
                                    "3 ",
                                    "4 quantity",
                                    "5 productId",
                                    "6 institutionId",
                                    "7 externalId",
                                    "10 colour",
                                }));
  auto twice = import(institution(kCityHospital), file);
  ASSERT_TRUE(IsOk(twice));
  EXPECT_EQ(twice->recorded, 0);
  EXPECT_EQ(twice->skipped, 3);
  EXPECT_EQ(twice->n_errors, 6u);
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT count(*) || ' ' || sum(quantity) || ' ' || sum(amount) FROM "
                         "purchases"),
            "3 35 10105000");
  // A line whose externalId was recorded with other content is an error of its own.
  auto changed = import(institution(kCityHospital),
                        line(kCityHospital, "A", "11", "\"300\"", "2024-08-15", "f-1") + "\n" +
                            line(kCityHospital, "A", "1", "\"30\"", "2024-08-15", "f-9"));
  ASSERT_TRUE(IsOk(changed));
  EXPECT_EQ(changed->recorded, 1);
  EXPECT_EQ(errors_of(changed.get()), (std::vector<std::string>{"1 externalId"}));
  // The same line twice in one file: recorded once, then skipped.
  auto doubled = import(institution(kCityHospital),
                        line(kCityHospital, "A", "1", "\"30\"", "2024-08-15", "f-10") + "\n" +
                            line(kCityHospital, "A", "1", "\"30\"", "2024-08-15", "f-10"));
  ASSERT_TRUE(IsOk(doubled));
  EXPECT_EQ(doubled->recorded, 1);
  EXPECT_EQ(doubled->skipped, 1);
  // Only institutions (and the admin) send files.
  EXPECT_TRUE(IsRefused(import(bureau(kFujianBureau), file), VBP_PERMISSION_DENIED));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  ::testing::AddGlobalTestEnvironment(new PricingStack);
  ::testing::AddGlobalTestEnvironment(new VolumeStack);
  return RUN_ALL_TESTS();
}
