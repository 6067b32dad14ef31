// volume-svc's reads over real gRPC against real catalog-svc, pricing-svc and PostgreSQL, all three
// cores (the code that ships) served in-process, on volume_fixture.h's scenario: supply issues and
// their verification (属地核实), progress (V5) with the 3-month review, the assessment (V6) with
// its exemptions, and the prepayment (V7), with the refusals of API.md "Who may do what". Every
// expected value is worked out by hand from DOMAIN.md's rules in the comment beside it.
//
// Agreement year 1 of VT-2024 in Fujian is 2024-07-22..2025-12-31: 10 days of July, 31 + 30 +
// 31 + 30 + 31 of August to December (163 in 2024) and 365 of 2025, 528 days. Today is 2025-03-01.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog_harness.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume_fixture.h"

namespace {

using Rows = std::vector<std::string>;

const char *const kAgencyFz = "agency-fz";

Caller agency(const std::string &id, const std::string &region) {
  return Caller::signed_as(VBP_ROLE_INSURANCE_AGENCY, id, region);
}
Caller distributor() { return Caller::signed_as(VBP_ROLE_DISTRIBUTOR, "dist-1", "350000"); }

std::string sql(const std::string &query) {
  return vbp_test_sql(VolumeStack::instance()->dsn(), query);
}

class VolumeReadsTest : public VolumeTest {
 protected:
  // Year 1 at 100% (V2: agreed = base), split by the shares with the largest remainder (V3):
  //   hosp-city G1 421: A 421 x 60% = 252.6, B 168.4: floors 252 + 168 = 420, the unit left to
  //     A's larger remainder (.6 > .4): A 253, B 168. G2 7: E 7.
  //   hosp-county G1 1667: A 1000.2, B 666.8: floors 1666, the unit to B (.8 > .2): A 1000, B 667.
  //   cons-gl G1 10: A 6, B 4. hosp-prov G1 20: A 12, B 8.
  static void allocate_year_one() {
    approve_demand(kCityHospital, "G1", 1, 421);
    approve_demand(kCityHospital, "G2", 1, 7);
    approve_demand(kCountyHospital, "G1", 1, 1667);
    approve_demand(kConsortium, "G1", 1, 10);
    approve_demand(kProvincialHospital, "G1", 1, 20);
    auto r = compute(bureau(kFujianBureau), 1, 100, {});
    ASSERT_TRUE(IsOk(r));
    ASSERT_EQ(r->computed, 9);
  }

  // The same for the assessment and the prepayment, in round numbers: hosp-city G1 100 (A 60,
  // B 40) and G2 10 (E 10), hosp-county G1 50 (A 30, B 20), cons-gl G1 10 (A 6, B 4).
  static void allocate_round() {
    approve_demand(kCityHospital, "G1", 1, 100);
    approve_demand(kCityHospital, "G2", 1, 10);
    approve_demand(kCountyHospital, "G1", 1, 50);
    approve_demand(kConsortium, "G1", 1, 10);
    auto r = compute(bureau(kFujianBureau), 1, 100, {});
    ASSERT_TRUE(IsOk(r));
    ASSERT_EQ(r->computed, 7);
  }

  // Records a purchase accepted on `day` after today (a later agreement year), then pins today
  // back to the scenario's 2025-03-01.
  void buy_later(const std::string &institution_id, const std::string &product, int64_t quantity,
                 const std::string &amount, const char *day) {
    pin_today(day);
    buy(institution_id, product, quantity, amount, day);
    pin_today("2025-03-01");
  }

  // "institution product" of each row, for the scope checks.
  static Rows keys(const Caller &who, const ProgressQuery &q) {
    auto r = progress(who, q);
    EXPECT_TRUE(IsOk(r));
    Rows out;
    if (!r.ok()) return {"refused"};
    for (size_t i = 0; i < r->n_rows; i++)
      out.push_back(std::string(r->rows[i]->institution_id) + " " + r->rows[i]->product_id);
    return out;
  }
  static Rows keys(const Caller &who, const std::string &region = "350000") {
    ProgressQuery q;
    q.region_code = region;
    return keys(who, q);
  }
  // The whole answer of GetProgress for one query as the admin.
  static Rows rows_at(const std::string &as_of, int year = 0, const std::string &institution = "",
                      bool not_in_use = false) {
    ProgressQuery q;
    q.as_of = as_of;
    q.agreement_year = year;
    q.institution_id = institution;
    q.not_in_use = not_in_use;
    auto r = progress(Caller::admin(), q);
    EXPECT_TRUE(IsOk(r)) << "asOf " << as_of;
    if (!r.ok()) return {"refused"};
    EXPECT_STREQ(r->next_page_token, "");
    return progress_of(r.get());
  }
  // The whole assessment of year 1 as `who`.
  static Rows assessed(const Caller &who = Caller::admin()) {
    auto r = assess(who, 1, 500);
    EXPECT_TRUE(IsOk(r));
    if (!r.ok()) return {"refused"};
    EXPECT_STREQ(r->next_page_token, "");
    return assessments_of(r.get());
  }
  static std::string prepaid(const Caller &who, const std::string &institution_id) {
    auto r = prepayment(who, institution_id, 1);
    EXPECT_TRUE(IsOk(r));
    return r.ok() ? prepayment_of(r.get()) : "refused";
  }
};

// ---------------------------------------------------------------- supply issues

TEST_F(VolumeReadsTest, AHospitalReportsASupplyIssueOfAWinningProductOfItsOwnUnverified) {
  auto r = report_issue(institution(kCityHospital),
                        supply_issue(kCityHospital, "A", "2024-09-01", "2024-09-30", "A 九月断供"));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(std::string(r->id).rfind("si-", 0), 0u) << r->id;
  EXPECT_STREQ(r->batch_code, kBatchCode);
  EXPECT_STREQ(r->region_code, "350000");  // the province of the hospital (福州市 350100)
  EXPECT_STREQ(r->institution_id, kCityHospital);
  EXPECT_STREQ(r->product_id, "A");
  EXPECT_STREQ(r->from, "2024-09-01");
  EXPECT_STREQ(r->to, "2024-09-30");
  EXPECT_STREQ(r->description, "A 九月断供");
  EXPECT_FALSE(r->verified);
  EXPECT_STREQ(r->verified_by, "");
  EXPECT_STREQ(r->verify_comment, "");
  EXPECT_STREQ(r->verified_at, "");

  // What the answer says of verification and the id are the service's: a request's are ignored.
  Vbp__V1__SupplyIssue claimed = supply_issue(kCityHospital, "A", "2024-12-01", "2024-12-31");
  claimed.id = c("si-mine");
  claimed.verified = true;
  claimed.verified_by = c(kFujianBureau);
  claimed.verify_comment = c("自行核实");
  claimed.verified_at = c("2024-12-01T00:00:00+08:00");
  auto unclaimed = report_issue(institution(kCityHospital), claimed);
  ASSERT_TRUE(IsOk(unclaimed));
  EXPECT_STRNE(unclaimed->id, "si-mine");
  EXPECT_FALSE(unclaimed->verified);
  EXPECT_STREQ(unclaimed->verified_by, "");
  EXPECT_STREQ(unclaimed->verify_comment, "");
  EXPECT_STREQ(unclaimed->verified_at, "");

  // One day is a period too (from == to); B is the group's other winner.
  auto one_day = report_issue(institution(kCityHospital),
                              supply_issue(kCityHospital, "B", "2024-10-01", "2024-10-01"));
  ASSERT_TRUE(IsOk(one_day));
  EXPECT_STRNE(one_day->id, r->id);
  // E of G2 (a non-competitive group) is a winning product as well.
  EXPECT_TRUE(IsOk(report_issue(institution(kCityHospital),
                                supply_issue(kCityHospital, "E", "2024-10-01", "2024-10-02"))));
  // A consortium member reports its own; it counts for the consortium (V1).
  auto member =
      report_issue(institution(kMember), supply_issue(kMember, "A", "2024-09-01", "2024-09-02"));
  ASSERT_TRUE(IsOk(member));
  EXPECT_STREQ(member->institution_id, kMember);
  EXPECT_EQ(sql(std::string("SELECT unit_id FROM supply_issues WHERE id = '") + member->id + "'"),
            kConsortium);
  // The admin may report for any hospital.
  EXPECT_TRUE(IsOk(report_issue(Caller::admin(),
                                supply_issue(kCountyHospital, "B", "2024-09-01", "2024-09-30"))));

  // Another hospital's: 403, whether or not it exists.
  const auto issue = supply_issue(kCityHospital, "A", "2024-09-01", "2024-09-30");
  EXPECT_TRUE(IsRefused(report_issue(institution(kCountyHospital), issue), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(report_issue(institution(kMember), issue), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(report_issue(institution(kCityHospital),
                                     supply_issue("nobody", "A", "2024-09-01", "2024-09-30")),
                        VBP_PERMISSION_DENIED));
  // A bureau (even the hospital's own), a manufacturer, an agency: refused by the method table.
  EXPECT_TRUE(IsRefused(report_issue(bureau(kFuzhouBureau), issue), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(report_issue(bureau(kFujianBureau), issue), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(report_issue(manufacturer(kM1), issue), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(report_issue(agency(kAgencyFz, "350100"), issue), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(report_issue(Caller::nobody(), issue), VBP_UNAUTHENTICATED));
  EXPECT_TRUE(IsRefused(
      report_issue(Caller::forged_as(VBP_ROLE_MEDICAL_INSTITUTION, kCityHospital, "350100"), issue),
      VBP_UNAUTHENTICATED));
  // Only the six accepted above were stored, none verified.
  EXPECT_EQ(sql("SELECT count(*) || ' ' || count(*) FILTER (WHERE verified) FROM supply_issues"),
            "6 0");
}

TEST_F(VolumeReadsTest, ReportSupplyIssueChecksEveryField) {
  const Caller hospital = institution(kCityHospital);
  Vbp__V1__SupplyIssue bad;
  auto reset = [&] { bad = supply_issue(kCityHospital, "A", "2024-09-01", "2024-09-30"); };
  auto refused = [&](const char *field, vbp_code code = VBP_INVALID_ARGUMENT,
                     const Caller &who = institution(kCityHospital)) {
    auto r = report_issue(who, bad);
    reset();
    return IsRefused(r, code, field);
  };
  reset();
  bad.from = c("");
  EXPECT_TRUE(refused("from"));
  bad.from = c("2024-02-30");
  EXPECT_TRUE(refused("from"));
  bad.to = c("2024-9-30");
  EXPECT_TRUE(refused("to"));
  bad.to = c("");
  EXPECT_TRUE(refused("to"));
  bad.to = c("2024-08-31");  // the day before from
  EXPECT_TRUE(refused("to"));
  bad.description = c("");
  EXPECT_TRUE(refused("description"));
  bad.description = held(std::string(2001, 'x'));  // at most 2000 bytes
  EXPECT_TRUE(refused("description"));
  // A winning product of the batch only: not C (NON_WINNING), K (BACKUP), D (no result), F (of
  // no group), nor a product that does not exist.
  for (const char *product : {"C", "K", "R", "D", "O", "F", "nosuch"}) {
    bad.product_id = c(product);
    EXPECT_TRUE(refused("productId")) << product;
  }
  bad.product_id = c("");
  EXPECT_TRUE(refused("productId"));
  bad.product_id = c("A B");
  EXPECT_TRUE(refused("productId"));
  bad.institution_id = c("");
  EXPECT_TRUE(refused("institutionId"));
  bad.batch_code = c("");
  EXPECT_TRUE(refused("batchCode"));
  bad.batch_code = c("NO-SUCH");
  EXPECT_TRUE(refused("batchCode", VBP_NOT_FOUND));
  // regionCode, when given, is the hospital's province.
  bad.region_code = c("350100");
  EXPECT_TRUE(refused("regionCode"));
  bad.region_code = c("35");
  EXPECT_TRUE(refused("regionCode"));
  bad.region_code = c("220000");
  EXPECT_TRUE(refused("institutionId"));
  // The admin reports for a medical institution only.
  bad.institution_id = c("nobody");
  EXPECT_TRUE(refused("institutionId", VBP_INVALID_ARGUMENT, Caller::admin()));
  bad.institution_id = c(kM1);
  EXPECT_TRUE(refused("institutionId", VBP_INVALID_ARGUMENT, Caller::admin()));
  EXPECT_EQ(sql("SELECT count(*) FROM supply_issues"), "0");

  // The bounds themselves pass: 2000 bytes of description, the province given.
  bad.description = held(std::string(2000, 'x'));
  bad.region_code = c("350000");
  EXPECT_TRUE(IsOk(report_issue(hospital, bad)));
}

TEST_F(VolumeReadsTest, ABureauWhoseRegionHoldsTheHospitalVerifiesASupplyIssueOnce) {
  auto city = report_issue(institution(kCityHospital),
                           supply_issue(kCityHospital, "B", "2024-09-01", "2024-09-30"));
  auto county = report_issue(institution(kCountyHospital),
                             supply_issue(kCountyHospital, "A", "2024-09-01", "2024-09-30"));
  auto provincial =
      report_issue(institution(kProvincialHospital),
                   supply_issue(kProvincialHospital, "A", "2024-09-01", "2024-09-30"));
  auto other = report_issue(institution(kCityHospital),
                            supply_issue(kCityHospital, "A", "2024-11-01", "2024-11-30"));
  auto county_b = report_issue(institution(kCountyHospital),
                               supply_issue(kCountyHospital, "B", "2024-11-01", "2024-11-30"));
  ASSERT_TRUE(IsOk(city));
  ASSERT_TRUE(IsOk(county));
  ASSERT_TRUE(IsOk(provincial));
  ASSERT_TRUE(IsOk(other));
  ASSERT_TRUE(IsOk(county_b));
  const std::string id = city->id;

  // 属地核实: Xiamen (350200) and 鼓楼区 (350102) do not hold 福州市 350100; the hospital, a
  // manufacturer and an agency may not verify at all (the method table).
  EXPECT_TRUE(IsRefused(verify_issue(bureau(kXiamenBureau), id), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(verify_issue(bureau(kGulouBureau), id), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(verify_issue(institution(kCityHospital), id), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(verify_issue(manufacturer(kM2), id), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(verify_issue(agency(kAgencyFz, "350100"), id), VBP_PERMISSION_DENIED));
  // A province-level hospital is no city's.
  EXPECT_TRUE(
      IsRefused(verify_issue(bureau(kFuzhouBureau), provincial->id), VBP_PERMISSION_DENIED));
  // An id that names nothing: 403 for a bureau (AIP-211), 404 for the admin.
  EXPECT_TRUE(IsRefused(verify_issue(bureau(kFuzhouBureau), "si-nosuch"), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(verify_issue(Caller::admin(), "si-nosuch"), VBP_NOT_FOUND, "id"));
  EXPECT_TRUE(IsRefused(verify_issue(Caller::admin(), ""), VBP_INVALID_ARGUMENT, "id"));
  EXPECT_TRUE(IsRefused(verify_issue(bureau(kFuzhouBureau), id, std::string(2001, 'x')),
                        VBP_INVALID_ARGUMENT, "comment"));
  EXPECT_EQ(sql("SELECT count(*) FROM supply_issues WHERE verified"), "0");

  auto verified = verify_issue(bureau(kFuzhouBureau), id, "属地核实：断供属实");
  ASSERT_TRUE(IsOk(verified));
  EXPECT_TRUE(verified->verified);
  EXPECT_STREQ(verified->verified_by, kFuzhouBureau);
  EXPECT_STREQ(verified->verify_comment, "属地核实：断供属实");
  const std::string at = verified->verified_at;
  EXPECT_EQ(at.size(), 25u) << at;  // 2025-03-01T10:00:00+08:00
  EXPECT_EQ(at.substr(19), "+08:00") << at;
  EXPECT_EQ(at[10], 'T') << at;
  // The report itself is unchanged.
  EXPECT_STREQ(verified->id, id.c_str());
  EXPECT_STREQ(verified->institution_id, kCityHospital);
  EXPECT_STREQ(verified->product_id, "B");
  EXPECT_STREQ(verified->from, "2024-09-01");
  EXPECT_STREQ(verified->to, "2024-09-30");
  EXPECT_STREQ(verified->description, "中选企业断供");
  EXPECT_STREQ(verified->region_code, "350000");

  // Verifying twice (a retry, or another bureau) answers it unchanged, comment and time included.
  auto twice = verify_issue(bureau(kFujianBureau), id, "省级复核");
  ASSERT_TRUE(IsOk(twice));
  EXPECT_TRUE(twice->verified);
  EXPECT_STREQ(twice->verified_by, kFuzhouBureau);
  EXPECT_STREQ(twice->verify_comment, "属地核实：断供属实");
  EXPECT_EQ(std::string(twice->verified_at), at);
  // Still out of reach of a bureau beside it.
  EXPECT_TRUE(IsRefused(verify_issue(bureau(kXiamenBureau), id), VBP_PERMISSION_DENIED));

  // The province's bureau for hosp-city, and for the province-level hospital (the comment is
  // optional); the county's own bureau (350102) for hosp-county; the admin (no organization).
  auto fujian = verify_issue(bureau(kFujianBureau), other->id, "省级核实");
  ASSERT_TRUE(IsOk(fujian));
  EXPECT_TRUE(fujian->verified);
  EXPECT_STREQ(fujian->verified_by, kFujianBureau);
  EXPECT_STREQ(fujian->verify_comment, "省级核实");
  auto fujian_prov = verify_issue(bureau(kFujianBureau), provincial->id);
  ASSERT_TRUE(IsOk(fujian_prov));
  EXPECT_STREQ(fujian_prov->verified_by, kFujianBureau);
  EXPECT_STREQ(fujian_prov->verify_comment, "");
  auto gulou = verify_issue(bureau(kGulouBureau), county->id, "区级核实");
  ASSERT_TRUE(IsOk(gulou));
  EXPECT_STREQ(gulou->verified_by, kGulouBureau);
  auto admin = verify_issue(Caller::admin(), county_b->id, "管理员核实");
  ASSERT_TRUE(IsOk(admin));
  EXPECT_TRUE(admin->verified);
  EXPECT_STREQ(admin->verified_by, "");
  EXPECT_STREQ(admin->verify_comment, "管理员核实");
  EXPECT_EQ(sql("SELECT count(*) FROM supply_issues WHERE verified"), "5");
}

// ---------------------------------------------------------------- progress (V5)

TEST_F(VolumeReadsTest, ProgressCountsTheYearsPurchasesUpToAsOfAgainstTheDaysElapsed) {
  allocate_year_one();
  buy(kCityHospital, "A", 100, "3000", "2024-08-15");
  buy(kCityHospital, "A", 150, "4500", "2025-02-01");
  buy(kCityHospital, "B", 2, "56", "2024-07-21");    // before the start: in no agreement year
  buy(kCityHospital, "C", 3, "114", "2024-08-15");   // non-winning: no allocation, no row
  buy(kCityHospital, "E", 10, "100", "2024-11-01");  // beyond its 7 (V4)
  buy(kMember, "A", 5, "150", "2024-09-01");         // counts for cons-gl (V1)
  buy(kCountyHospital, "A", 999, "29970", "2024-09-10");
  buy_later(kCityHospital, "A", 7, "210", "2026-01-05");  // agreement year 2
  ASSERT_EQ(sql("SELECT string_agg(agreement_year::text, ',' ORDER BY accepted_on) FROM "
                "purchases WHERE accepted_on IN ('2024-07-21', '2026-01-05')"),
            "0,2");

  // asOf today (2025-03-01): day 163 + 31 + 28 + 1 = 223 of 528, 22300 / 528 = 42.2 -> 42.
  const Rows today = {
      "cons-gl A 6 5 83 42",  // the member's 5: 500 / 6 = 83.3 -> 83
      "cons-gl B 4 0 0 42",
      "hosp-city A 253 250 98 42",     // 100 + 150 (not the 7 of year 2): 25000 / 253 = 98.8 -> 98
      "hosp-city B 168 0 0 42",        // the 2 of 2024-07-21 are in no year
      "hosp-city E 7 10 142 42",       // 1000 / 7 = 142.9 -> 142: beyond the agreed volume
      "hosp-county A 1000 999 99 42",  // 99.9% -> 99, never shown as done
      "hosp-county B 667 0 0 42",      // nothing bought
      "hosp-prov A 12 0 0 42",         // nothing bought
      "hosp-prov B 8 0 0 42",          // nothing bought
  };
  EXPECT_EQ(rows_at(""), today);  // asOf defaults to today, the year to the one holding it
  EXPECT_EQ(rows_at("2025-03-01"), today);
  EXPECT_EQ(rows_at("2025-03-01", 1), today);

  // The first day: 1 of 528, 100 / 528 = 0.19 -> 0; nothing accepted yet.
  EXPECT_EQ(rows_at("2024-07-22", 0, kCityHospital), (Rows{
                                                         "hosp-city A 253 0 0 0",
                                                         "hosp-city B 168 0 0 0",
                                                         "hosp-city E 7 0 0 0",
                                                     }));
  // 2025-01-31: day 163 + 31 = 194, 19400 / 528 = 36.7 -> 36; the 150 of 2025-02-01 are after it:
  // A 100 of 253, 10000 / 253 = 39.5 -> 39.
  EXPECT_EQ(rows_at("2025-01-31", 0, kCityHospital), (Rows{
                                                         "hosp-city A 253 100 39 36",
                                                         "hosp-city B 168 0 0 36",
                                                         "hosp-city E 7 10 142 36",
                                                     }));
  // 2025-02-01, the day the 150 were accepted: they count (accepted on or before asOf). Day 195,
  // 19500 / 528 = 36.9 -> 36; A 250 of 253 -> 98.
  EXPECT_EQ(rows_at("2025-02-01", 0, kCityHospital), (Rows{
                                                         "hosp-city A 253 250 98 36",
                                                         "hosp-city B 168 0 0 36",
                                                         "hosp-city E 7 10 142 36",
                                                     }));
  // The day before the last: 527 of 528, 52700 / 528 = 99.8 -> 99.
  EXPECT_EQ(rows_at("2025-12-30", 0, kCityHospital), (Rows{
                                                         "hosp-city A 253 250 98 99",
                                                         "hosp-city B 168 0 0 99",
                                                         "hosp-city E 7 10 142 99",
                                                     }));
  // The last day, and after it (year 1 asked): 100; the 7 of year 2 never count in year 1.
  const Rows done = {
      "hosp-city A 253 250 98 100",
      "hosp-city B 168 0 0 100",
      "hosp-city E 7 10 142 100",
  };
  EXPECT_EQ(rows_at("2025-12-31", 0, kCityHospital), done);
  EXPECT_EQ(rows_at("2026-02-01", 1, kCityHospital), done);
  // 2026-02-01 by itself lies in year 2, which has no allocations.
  EXPECT_EQ(rows_at("2026-02-01", 0, kCityHospital), Rows{});
  // Before the start (year 1 asked): 0, and the 2 of B accepted that very day are in no year.
  EXPECT_EQ(rows_at("2024-07-21", 1, kCityHospital), (Rows{
                                                         "hosp-city A 253 0 0 0",
                                                         "hosp-city B 168 0 0 0",
                                                         "hosp-city E 7 0 0 0",
                                                     }));
  // Without the year, a day outside the cycle has none to default to.
  ProgressQuery q;
  q.as_of = "2024-07-21";
  EXPECT_TRUE(IsRefused(progress(Caller::admin(), q), VBP_INVALID_ARGUMENT, "agreementYear"));
  q.as_of = "2028-07-22";  // the cycle's last day is 2028-07-21
  EXPECT_TRUE(IsRefused(progress(Caller::admin(), q), VBP_INVALID_ARGUMENT, "agreementYear"));
}

TEST_F(VolumeReadsTest, ProgressPagesAndShowsEachCallerWhatItMayRead) {
  allocate_year_one();
  const Rows all = {"cons-gl A",     "cons-gl B",     "hosp-city A", "hosp-city B", "hosp-city E",
                    "hosp-county A", "hosp-county B", "hosp-prov A", "hosp-prov B"};
  EXPECT_EQ(keys(Caller::admin()), all);

  // Pages of 4: 4 + 4 + 1, the token of each page leading on to the next.
  ProgressQuery q;
  q.page_size = 4;
  Rows paged;
  std::string first_token;
  for (size_t sizes : {4u, 4u, 1u}) {
    auto page = progress(Caller::admin(), q);
    ASSERT_TRUE(IsOk(page));
    ASSERT_EQ(page->n_rows, sizes);
    for (size_t i = 0; i < page->n_rows; i++)
      paged.push_back(std::string(page->rows[i]->institution_id) + " " + page->rows[i]->product_id);
    if (first_token.empty()) first_token = page->next_page_token;
    q.page_token = page->next_page_token;
  }
  EXPECT_EQ(q.page_token, "");  // the last page has no token
  EXPECT_EQ(paged, all);
  // A token is its caller's and its query's.
  q.page_token = first_token;
  EXPECT_TRUE(IsRefused(progress(bureau(kFujianBureau), q), VBP_INVALID_ARGUMENT, "pageToken"));
  q.as_of = "2025-02-28";
  EXPECT_TRUE(IsRefused(progress(Caller::admin(), q), VBP_INVALID_ARGUMENT, "pageToken"));
  q.as_of = "";
  q.page_token = "not-a-token";
  EXPECT_TRUE(IsRefused(progress(Caller::admin(), q), VBP_INVALID_ARGUMENT, "pageToken"));

  // An institution: its own rows only; another's are filtered out, not refused. Its province is
  // the default region.
  EXPECT_EQ(keys(institution(kCityHospital), ""),
            (Rows{"hosp-city A", "hosp-city B", "hosp-city E"}));
  ProgressQuery other;
  other.institution_id = kCountyHospital;
  EXPECT_EQ(keys(institution(kCityHospital), other), Rows{});
  EXPECT_EQ(keys(institution(kConsortium), ""), (Rows{"cons-gl A", "cons-gl B"}));
  // A bureau: its region (its own by default) and below; Fuzhou holds 鼓楼区 but not hosp-prov.
  const Rows gulou = {"cons-gl A", "cons-gl B", "hosp-county A", "hosp-county B"};
  EXPECT_EQ(keys(bureau(kGulouBureau), ""), gulou);
  EXPECT_EQ(keys(bureau(kGulouBureau), "350000"), gulou);
  EXPECT_EQ(keys(bureau(kGulouBureau), "350100"), gulou);
  EXPECT_EQ(keys(bureau(kFuzhouBureau)),
            (Rows{"cons-gl A", "cons-gl B", "hosp-city A", "hosp-city B", "hosp-city E",
                  "hosp-county A", "hosp-county B"}));
  EXPECT_EQ(keys(bureau(kFuzhouBureau), "350102"), gulou);
  EXPECT_EQ(keys(bureau(kFujianBureau), ""), all);
  EXPECT_EQ(keys(bureau(kXiamenBureau), ""), Rows{});
  EXPECT_EQ(keys(bureau(kXiamenBureau)), Rows{});
  EXPECT_EQ(keys(bureau(kXiamenBureau), "350100"), Rows{});
  // The admin narrowed to a county.
  EXPECT_EQ(keys(Caller::admin(), "350102"), gulou);
  // A manufacturer: its products only (M1 makes A and E, M2 B).
  EXPECT_EQ(keys(manufacturer(kM1)),
            (Rows{"cons-gl A", "hosp-city A", "hosp-city E", "hosp-county A", "hosp-prov A"}));
  EXPECT_EQ(keys(manufacturer(kM2)),
            (Rows{"cons-gl B", "hosp-city B", "hosp-county B", "hosp-prov B"}));
  EXPECT_EQ(keys(manufacturer("mfr-3")), Rows{});
  // Others: refused by the method table.
  EXPECT_TRUE(
      IsRefused(progress(agency(kAgencyFz, "350100"), ProgressQuery()), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(progress(distributor(), ProgressQuery()), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(progress(Caller::nobody(), ProgressQuery()), VBP_UNAUTHENTICATED));

  // The request's fields.
  auto refused = [](ProgressQuery bad, const char *field, const Caller &who = Caller::admin()) {
    return IsRefused(progress(who, bad), VBP_INVALID_ARGUMENT, field);
  };
  ProgressQuery bad;
  bad.region_code = "";  // neither given nor the caller's to default to
  EXPECT_TRUE(refused(bad, "regionCode"));
  EXPECT_TRUE(refused(bad, "regionCode", manufacturer(kM1)));
  bad = ProgressQuery();
  bad.region_code = "3501";
  EXPECT_TRUE(refused(bad, "regionCode"));
  bad = ProgressQuery();
  bad.batch_code = "";
  EXPECT_TRUE(refused(bad, "batchCode"));
  bad = ProgressQuery();
  bad.as_of = "2025-02-29";
  EXPECT_TRUE(refused(bad, "asOf"));
  bad = ProgressQuery();
  bad.agreement_year = 5;  // a 4-year cycle
  EXPECT_TRUE(refused(bad, "agreementYear"));
  bad.agreement_year = -1;
  EXPECT_TRUE(refused(bad, "agreementYear"));
  bad = ProgressQuery();
  bad.page_size = -1;
  EXPECT_TRUE(refused(bad, "pageSize"));
  bad = ProgressQuery();
  bad.institution_id = "not an id";
  EXPECT_TRUE(refused(bad, "institutionId"));
  bad = ProgressQuery();
  bad.batch_code = "NO-SUCH";
  EXPECT_TRUE(IsRefused(progress(Caller::admin(), bad), VBP_NOT_FOUND, "batchCode"));
}

TEST_F(VolumeReadsTest, TheThreeMonthReviewListsWinningProductsNotBoughtSinceTheStart) {
  allocate_year_one();
  buy(kCityHospital, "A", 100, "3000", "2024-08-15");
  buy(kCityHospital, "B", 2, "56", "2024-07-21");     // before the start: not "since the start"
  buy(kCityHospital, "C", 50, "1900", "2024-08-15");  // non-winning: no row either way
  buy(kCityHospital, "E", 10, "100", "2024-11-01");
  buy(kMember, "A", 5, "150", "2024-09-01");  // cons-gl's A is in use through its member
  buy(kCountyHospital, "A", 999, "29970", "2024-09-10");
  buy(kProvincialHospital, "A", 12, "360", "2024-10-22");  // the review's first day itself
  buy(kProvincialHospital, "B", 8, "224", "2024-10-23");

  // The review starts 3 months after the execution start 2024-07-22: 2024-10-22. Before: empty.
  EXPECT_EQ(rows_at("2024-10-21", 0, "", true), Rows{});
  EXPECT_EQ(rows_at("2024-07-22", 0, "", true), Rows{});
  // 2024-10-22: day 10 + 31 + 30 + 22 = 93 of 528, 9300 / 528 = 17.6 -> 17. Nothing was bought of
  // these since the start, so purchased and completion are 0.
  EXPECT_EQ(rows_at("2024-10-22", 0, "", true), (Rows{
                                                    "cons-gl B 4 0 0 17", "hosp-city B 168 0 0 17",
                                                    "hosp-city E 7 0 0 17",  // bought 11-01
                                                    "hosp-county B 667 0 0 17",
                                                    "hosp-prov B 8 0 0 17",  // bought 10-23
                                                }));
  // Today (day 223, 42%): E and hosp-prov's B are in use by now.
  const Rows today = {
      "cons-gl B 4 0 0 42",
      "hosp-city B 168 0 0 42",
      "hosp-county B 667 0 0 42",
  };
  EXPECT_EQ(rows_at("", 0, "", true), today);
  // Scoped as GetProgress is.
  ProgressQuery q;
  q.not_in_use = true;
  q.region_code = "";
  EXPECT_EQ(keys(institution(kCityHospital), q), Rows{"hosp-city B"});
  EXPECT_EQ(keys(bureau(kGulouBureau), q), (Rows{"cons-gl B", "hosp-county B"}));
  q.region_code = "350000";
  EXPECT_EQ(keys(manufacturer(kM1), q), Rows{});
  EXPECT_EQ(keys(manufacturer(kM2), q), (Rows{"cons-gl B", "hosp-city B", "hosp-county B"}));
  // In pages.
  q.page_size = 2;
  auto first = progress(Caller::admin(), q);
  ASSERT_TRUE(IsOk(first));
  EXPECT_EQ(progress_of(first.get()), (Rows{"cons-gl B 4 0 0 42", "hosp-city B 168 0 0 42"}));
  q.page_token = first->next_page_token;
  auto second = progress(Caller::admin(), q);
  ASSERT_TRUE(IsOk(second));
  EXPECT_EQ(progress_of(second.get()), (Rows{"hosp-county B 667 0 0 42"}));
  EXPECT_STREQ(second->next_page_token, "");

  // Since the start means across the years: hosp-city's B bought in year 2 takes it off year 1's
  // review as of 2026-02-01 (year 1 asked: 100% elapsed).
  buy_later(kCityHospital, "B", 1, "28", "2026-01-05");
  EXPECT_EQ(rows_at("2026-02-01", 1, "", true), (Rows{
                                                    "cons-gl B 4 0 0 100",
                                                    "hosp-county B 667 0 0 100",
                                                }));
  // As of before that purchase it is still listed.
  EXPECT_EQ(rows_at("2025-12-31", 1, kCityHospital, true), Rows{"hosp-city B 168 0 0 100"});
}

// ---------------------------------------------------------------- assessment (V6)

TEST_F(VolumeReadsTest, AHospitalAtExactlyHalfNonWinningPassesAndOneUnitMoreFails) {
  allocate_round();
  buy(kCityHospital, "A", 60, "1800", "2024-08-15");
  buy(kCityHospital, "B", 40, "1120", "2024-08-15");
  buy(kCityHospital, "C", 100, "3800", "2024-09-01");  // 38.00 a unit, not below 28: counted
  buy(kCityHospital, "E", 10, "100", "2024-08-15");
  buy(kCountyHospital, "A", 30, "900", "2024-08-15");
  buy(kCountyHospital, "B", 19, "532", "2024-08-15");
  buy(kMember, "A", 6, "180", "2024-08-15");
  buy(kMember, "B", 4, "112", "2024-08-15");
  EXPECT_EQ(assessed(), (Rows{
                            "cons-gl 干扰素 passed",  // its member's 6 + 4
                            // non-winning 100 of 60 + 40 + 100 = 200: 100 x 100 = 10000 <=
                            // 50 x 200 = 10000, exactly at the cap.
                            "hosp-city 干扰素 passed",
                            "hosp-city 胸腺肽 passed",  // E 10 of 10
                            "hosp-county 干扰素 failed: V6 B: 19 of 20",
                        }));

  // One unit more: 101 of 201, 10100 > 10050; 101 / 201 = 50.248% -> 50.2% (one decimal, down).
  buy(kCityHospital, "C", 1, "38", "2024-09-02");
  // D (NOT_EVALUATED) bought below 28 still counts: non-winning 50 of 30 + 19 + 50 = 99,
  // 5000 > 4950; 50 / 99 = 50.505% -> 50.5%. Both reasons, the products first.
  buy(kCountyHospital, "D", 50, "1000", "2024-09-01");
  EXPECT_EQ(assessed(), (Rows{
                            "cons-gl 干扰素 passed",
                            "hosp-city 干扰素 failed: V6 non-winning 101 of 201 (50.2%) > 50%",
                            "hosp-city 胸腺肽 passed",
                            "hosp-county 干扰素 failed: V6 B: 19 of 20; V6 non-winning 50 of "
                            "99 (50.5%) > 50%",
                        }));
  // A year without allocations has no rows.
  auto year2 = assess(Caller::admin(), 2);
  ASSERT_TRUE(IsOk(year2));
  EXPECT_EQ(year2->n_rows, 0u);
}

TEST_F(VolumeReadsTest, WinningProductsEachMeetTheirOwnAgreedQuantity) {
  allocate_round();
  // hosp-city: A 70 of 60 (beyond, V4) does not make up for B 30 of 40; E 9 of 10.
  buy(kCityHospital, "A", 70, "2100", "2024-08-15");
  buy(kCityHospital, "B", 30, "840", "2024-08-15");
  buy(kCityHospital, "E", 9, "90", "2024-08-15");
  // hosp-county bought nothing: both winners short, and 0 non-winning of 0 is within the cap.
  EXPECT_EQ(assessed(), (Rows{
                            "cons-gl 干扰素 failed: V6 A: 0 of 6; V6 B: 0 of 4",
                            "hosp-city 干扰素 failed: V6 B: 30 of 40",
                            "hosp-city 胸腺肽 failed: V6 E: 9 of 10",
                            "hosp-county 干扰素 failed: V6 A: 0 of 30; V6 B: 0 of 20",
                        }));
}

TEST_F(VolumeReadsTest, BackupCheapGoodQualityAndOtherYearsPurchasesAreLeftOut) {
  allocate_round();
  buy(kCityHospital, "A", 60, "1800", "2024-08-15");  // winning: 60 + 40 = 100, in "all"
  buy(kCityHospital, "B", 40, "1120", "2024-08-15");
  // The group's lowest winning price is B's 28.0000.
  buy(kCityHospital, "K", 10, "320", "2024-08-20");      // BACKUP: left out
  buy(kCityHospital, "C", 20, "540", "2024-08-20");      // 27.00 < 28, CONSISTENCY_PASSED: left out
  buy(kCityHospital, "R", 4, "100", "2024-08-20");       // 25.00 < 28, REFERENCE: left out
  buy(kCityHospital, "O", 6, "167.9999", "2024-08-20");  // < 6 x 28 = 168, ORIGINATOR: left out
  buy(kCityHospital, "C", 5, "140", "2024-08-20");       // 28.00, not below: counted, 5
  buy(kCityHospital, "D", 120, "2400", "2024-08-20");    // 20.00 but NOT_EVALUATED: counted, 120
  buy(kCityHospital, "C", 7, "266", "2024-07-21");       // before the start: in no year
  buy_later(kCityHospital, "C", 9, "342", "2026-01-05");  // year 2
  // non-winning 5 + 120 = 125 of 100 + 125 = 225: 12500 > 11250; 125 / 225 = 55.56% -> 55.5%.
  // (Had K counted: 135 of 235; the cheap C, R, O: 155 of 255; year 0 or 2: 132 of 232, 134 of
  // 234.)
  EXPECT_EQ(assessed(institution(kCityHospital)),
            (Rows{
                "hosp-city 干扰素 failed: V6 non-winning 125 of 225 (55.5%) > 50%",
                "hosp-city 胸腺肽 failed: V6 E: 0 of 10",
            }));
}

TEST_F(VolumeReadsTest, AVerifiedSupplyIssueLeavesOutTheHospitalsNonWinningPurchasesInItsDays) {
  allocate_round();
  buy(kCityHospital, "A", 50, "1500", "2024-08-15");
  buy(kCityHospital, "B", 40, "1120", "2024-08-15");
  buy(kCityHospital, "E", 10, "100", "2024-08-15");
  buy(kCityHospital, "K", 10, "320", "2024-09-01");   // BACKUP, on the issue's first day
  buy(kCityHospital, "C", 30, "1140", "2024-09-30");  // on its last day
  buy(kCityHospital, "C", 80, "3040", "2024-10-01");  // the day after
  buy(kCountyHospital, "A", 30, "900", "2024-08-15");
  buy(kCountyHospital, "B", 20, "560", "2024-08-15");
  buy(kCountyHospital, "C", 60, "2280", "2024-10-15");
  buy(kMember, "A", 6, "180", "2024-08-15");
  buy(kMember, "B", 4, "112", "2024-08-15");
  buy(kMember, "C", 12, "456", "2024-09-10");
  // hosp-city: A 50 of 60, K left out; non-winning 30 + 80 = 110 of 50 + 40 + 110 = 200, 11000 >
  // 10000, 110 / 200 = 55.0%. hosp-county: 60 of 30 + 20 + 60 = 110, 6000 > 5500, 60 / 110 =
  // 54.55% -> 54.5%. cons-gl: 12 of 6 + 4 + 12 = 22, 1200 > 1100, 12 / 22 = 54.55% -> 54.5%.
  const Rows before = {
      "cons-gl 干扰素 failed: V6 non-winning 12 of 22 (54.5%) > 50%",
      "hosp-city 干扰素 failed: V6 A: 50 of 60; V6 non-winning 110 of 200 (55.0%) > 50%",
      "hosp-city 胸腺肽 passed",
      "hosp-county 干扰素 failed: V6 non-winning 60 of 110 (54.5%) > 50%",
  };
  EXPECT_EQ(assessed(), before);

  // Reported but not verified: nothing changes.
  auto issue = report_issue(institution(kCityHospital),
                            supply_issue(kCityHospital, "A", "2024-09-01", "2024-09-30"));
  ASSERT_TRUE(IsOk(issue));
  EXPECT_EQ(assessed(), before);
  // Another hospital's verified issue over the same days changes nothing for hosp-city, nor for
  // itself outside its days (its C was bought 2024-10-15).
  auto county = report_issue(institution(kCountyHospital),
                             supply_issue(kCountyHospital, "A", "2024-09-01", "2024-09-30"));
  ASSERT_TRUE(IsOk(county));
  ASSERT_TRUE(IsOk(verify_issue(bureau(kGulouBureau), county->id)));
  EXPECT_EQ(assessed(), before);

  // Verified: in 2024-09-01..2024-09-30 hosp-city's K stands in for A (50 + 10 = 60 of 60) and its
  // C 30 are left out: non-winning 80 of 60 + 40 + 80 = 180, 8000 <= 9000. A member's verified
  // issue (of B) does the same for its consortium: 12 left out, 0 of 10.
  ASSERT_TRUE(IsOk(verify_issue(bureau(kFuzhouBureau), issue->id, "属地核实")));
  auto member =
      report_issue(institution(kMember), supply_issue(kMember, "B", "2024-09-10", "2024-09-10"));
  ASSERT_TRUE(IsOk(member));
  ASSERT_TRUE(IsOk(verify_issue(bureau(kGulouBureau), member->id)));
  EXPECT_EQ(assessed(), (Rows{
                            "cons-gl 干扰素 passed",
                            "hosp-city 干扰素 passed",
                            "hosp-city 胸腺肽 passed",
                            "hosp-county 干扰素 failed: V6 non-winning 60 of 110 (54.5%) > 50%",
                        }));
}

TEST_F(VolumeReadsTest, AssessPagesAndShowsEachCallerItsOwn) {
  allocate_round();
  approve_demand(kProvincialHospital, "G1", 1, 20);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));  // hosp-prov: A 12, B 8
  buy(kMember, "A", 6, "180", "2024-08-15");
  buy(kMember, "B", 4, "112", "2024-08-15");
  const Rows all = {
      "cons-gl 干扰素 passed",  // its member's purchases count for it
      "hosp-city 干扰素 failed: V6 A: 0 of 60; V6 B: 0 of 40",
      "hosp-city 胸腺肽 failed: V6 E: 0 of 10",
      "hosp-county 干扰素 failed: V6 A: 0 of 30; V6 B: 0 of 20",
      "hosp-prov 干扰素 failed: V6 A: 0 of 12; V6 B: 0 of 8",
  };
  EXPECT_EQ(assessed(), all);

  // Pages of 2: 2 + 2 + 1; a unit's varieties may straddle two pages.
  Rows paged;
  std::string token, first_token;
  for (size_t size : {2u, 2u, 1u}) {
    auto page = assess(Caller::admin(), 1, 2, token);
    ASSERT_TRUE(IsOk(page));
    ASSERT_EQ(page->n_rows, size);
    for (const std::string &row : assessments_of(page.get())) paged.push_back(row);
    token = page->next_page_token;
    if (first_token.empty()) first_token = token;
  }
  EXPECT_EQ(token, "");
  EXPECT_EQ(paged, all);
  EXPECT_TRUE(IsRefused(assess(bureau(kFujianBureau), 1, 2, first_token), VBP_INVALID_ARGUMENT,
                        "pageToken"));
  EXPECT_TRUE(
      IsRefused(assess(Caller::admin(), 2, 2, first_token), VBP_INVALID_ARGUMENT, "pageToken"));

  // An institution: its own unit only (a member: its consortium's).
  EXPECT_EQ(assessed(institution(kCityHospital)), (Rows{all[1], all[2]}));
  EXPECT_EQ(assessed(institution(kConsortium)), (Rows{all[0]}));
  EXPECT_EQ(assessed(institution(kMember)), (Rows{all[0]}));
  EXPECT_EQ(assessed(institution(kProvincialHospital)), (Rows{all[4]}));
  // A bureau: its region and below.
  EXPECT_EQ(assessed(bureau(kGulouBureau)), (Rows{all[0], all[3]}));
  EXPECT_EQ(assessed(bureau(kFuzhouBureau)), (Rows{all[0], all[1], all[2], all[3]}));
  EXPECT_EQ(assessed(bureau(kFujianBureau)), all);
  EXPECT_EQ(assessed(bureau(kXiamenBureau)), Rows{});
  EXPECT_EQ(assessed(Caller::signed_as(VBP_ROLE_BUREAU, "bur-jx", "360000")), Rows{});
  // A manufacturer, an agency, a distributor: refused by the method table.
  EXPECT_TRUE(IsRefused(assess(manufacturer(kM1), 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(assess(agency(kAgencyFz, "350100"), 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(assess(distributor(), 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(assess(Caller::nobody(), 1), VBP_UNAUTHENTICATED));

  // The request's fields.
  EXPECT_TRUE(IsRefused(assess(Caller::admin(), 0), VBP_INVALID_ARGUMENT, "agreementYear"));
  EXPECT_TRUE(IsRefused(assess(Caller::admin(), 5), VBP_INVALID_ARGUMENT, "agreementYear"));
  EXPECT_TRUE(IsRefused(assess(Caller::admin(), 1, -1), VBP_INVALID_ARGUMENT, "pageSize"));
  EXPECT_TRUE(
      IsRefused(assess(Caller::admin(), 1, 0, "", "350100"), VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(assess(Caller::admin(), 1, 0, "", ""), VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(assess(Caller::admin(), 1, 0, "", "350000", ""), VBP_INVALID_ARGUMENT,
                        "batchCode"));
  EXPECT_TRUE(IsRefused(assess(Caller::admin(), 1, 0, "", "350000", "NO-SUCH"), VBP_NOT_FOUND,
                        "batchCode"));
}

// ---------------------------------------------------------------- prepayment (V7)

TEST_F(VolumeReadsTest, ThePrepaymentIsHalfOfEachProductsAgreedAmountRoundedThenSummed) {
  approve_demand(kCityHospital, "G1", 1, 100);  // A 60, B 40
  approve_demand(kCityHospital, "G4", 1, 10);   // J 5, L 5 (50% each)
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
  // agreedAmount: A 60 x 30.0000 = 1800.0000, B 40 x 28.0000 = 1120.0000, J 5 x 12.3457 =
  // 61.7285, L 5 x 7.0001 = 35.0005; sum 3016.7290.
  // prepaid (50%, each rounded half away from zero): 900.0000 + 560.0000 + 30.86425 -> 30.8643
  // + 17.50025 -> 17.5003 = 1508.3646. (Half the sum would be 1508.3645; each rounded half to
  // even, 30.8642 + 17.5002, 1508.3644.)
  // reclaimDue: the cycle's last day 2028-07-21 + 2 months = 2028-09-21.
  EXPECT_EQ(prepaid(institution(kCityHospital), kCityHospital),
            "50 3016.7290 1508.3646 0.0000 1508.3646 2028-09-21");

  buy(kCityHospital, "A", 10, "300", "2024-08-15");
  buy(kCityHospital, "J", 1, "12.3457", "2024-09-01");
  buy(kCityHospital, "C", 10, "380", "2024-09-01");       // not a product of its allocations
  buy(kCityHospital, "A", 5, "150", "2024-07-21");        // before the start: in no year
  buy_later(kCityHospital, "A", 7, "210", "2026-01-05");  // year 2
  // offset: 300 + 12.3457 = 312.3457 (below the prepaid sum); balance 1508.3646 - 312.3457 =
  // 1196.0189.
  EXPECT_EQ(prepaid(institution(kCityHospital), kCityHospital),
            "50 3016.7290 1508.3646 312.3457 1196.0189 2028-09-21");
}

TEST_F(VolumeReadsTest, PurchasesOffsetThePrepaymentUpToThePrepaidSum) {
  allocate_round();
  // hosp-county: A 30 x 30 = 900.0000 + B 20 x 28 = 560.0000 = 1460.0000; prepaid 450.0000 +
  // 280.0000 = 730.0000.
  buy(kCountyHospital, "A", 20, "600", "2024-08-15");
  EXPECT_EQ(prepaid(Caller::admin(), kCountyHospital),
            "50 1460.0000 730.0000 600.0000 130.0000 2028-09-21");
  buy(kCountyHospital, "B", 5, "130", "2024-08-16");  // 600 + 130 = 730: exactly the prepaid sum
  EXPECT_EQ(prepaid(Caller::admin(), kCountyHospital),
            "50 1460.0000 730.0000 730.0000 0.0000 2028-09-21");
  buy(kCountyHospital, "A", 10, "300", "2024-08-17");  // 1030 > 730: the offset stops at 730
  EXPECT_EQ(prepaid(Caller::admin(), kCountyHospital),
            "50 1460.0000 730.0000 730.0000 0.0000 2028-09-21");
  // cons-gl: A 6 x 30 = 180 + B 4 x 28 = 112 = 292.0000, prepaid 90 + 56 = 146.0000; its member's
  // A 2 for 60 offset it: balance 86.0000.
  buy(kMember, "A", 2, "60", "2024-08-15");
  EXPECT_EQ(prepaid(institution(kConsortium), kConsortium),
            "50 292.0000 146.0000 60.0000 86.0000 2028-09-21");
}

TEST_F(VolumeReadsTest, APrepaymentIsTheHospitalsAndTheAuthoritiesOverItsRegion) {
  allocate_round();
  // hosp-city: A 60 x 30 + B 40 x 28 + E 10 x 10 = 1800 + 1120 + 100 = 3020.0000, prepaid
  // 900 + 560 + 50 = 1510.0000; hosp-county: 900 + 560 = 1460.0000, prepaid 730.0000.
  const std::string city = "50 3020.0000 1510.0000 0.0000 1510.0000 2028-09-21";
  const std::string county = "50 1460.0000 730.0000 0.0000 730.0000 2028-09-21";
  EXPECT_EQ(prepaid(institution(kCityHospital), kCityHospital), city);
  EXPECT_EQ(prepaid(bureau(kFuzhouBureau), kCityHospital), city);
  EXPECT_EQ(prepaid(bureau(kFujianBureau), kCityHospital), city);
  EXPECT_EQ(prepaid(agency(kAgencyFz, "350100"), kCityHospital), city);
  EXPECT_EQ(prepaid(agency("agency-fj", "350000"), kCityHospital), city);
  EXPECT_EQ(prepaid(bureau(kGulouBureau), kCountyHospital), county);
  EXPECT_EQ(prepaid(agency("agency-gl", "350102"), kCountyHospital), county);

  // Anyone else: 403, whether or not the hospital exists or has an allocation.
  auto denied = [](const Caller &who, const std::string &id, int year = 1) {
    return IsRefused(prepayment(who, id, year), VBP_PERMISSION_DENIED);
  };
  EXPECT_TRUE(denied(institution(kCountyHospital), kCityHospital));
  EXPECT_TRUE(denied(institution(kMember), kConsortium));
  EXPECT_TRUE(denied(bureau(kGulouBureau), kCityHospital));
  EXPECT_TRUE(denied(bureau(kXiamenBureau), kCityHospital));
  EXPECT_TRUE(denied(bureau(kFuzhouBureau), kProvincialHospital));
  EXPECT_TRUE(denied(agency("agency-xm", "350200"), kCityHospital));
  EXPECT_TRUE(denied(agency("agency-gl", "350102"), kCityHospital));
  EXPECT_TRUE(denied(bureau(kFuzhouBureau), "nobody"));
  EXPECT_TRUE(denied(agency(kAgencyFz, "350100"), "nobody"));
  EXPECT_TRUE(denied(institution(kCityHospital), "nobody"));
  EXPECT_TRUE(denied(bureau(kXiamenBureau), kCityHospital, 5));  // before the year is looked at
  EXPECT_TRUE(denied(manufacturer(kM1), kCityHospital));         // the method table
  EXPECT_TRUE(denied(distributor(), kCityHospital));
  EXPECT_TRUE(IsRefused(prepayment(Caller::nobody(), kCityHospital, 1), VBP_UNAUTHENTICATED));

  // No allocation in the year: NOT_FOUND naming institutionId (the admin, or the hospital).
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), kProvincialHospital, 1), VBP_NOT_FOUND,
                        "institutionId"));
  EXPECT_TRUE(IsRefused(prepayment(institution(kProvincialHospital), kProvincialHospital, 1),
                        VBP_NOT_FOUND, "institutionId"));
  EXPECT_TRUE(
      IsRefused(prepayment(Caller::admin(), kCityHospital, 2), VBP_NOT_FOUND, "institutionId"));
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), "nobody", 1), VBP_NOT_FOUND, "institutionId"));
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), kM1, 1), VBP_NOT_FOUND, "institutionId"));
  // The request's fields.
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), kCityHospital, 0), VBP_INVALID_ARGUMENT,
                        "agreementYear"));
  EXPECT_TRUE(IsRefused(prepayment(institution(kCityHospital), kCityHospital, 5),
                        VBP_INVALID_ARGUMENT, "agreementYear"));
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), "", 1), VBP_INVALID_ARGUMENT, "institutionId"));
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), kCityHospital, 1, ""), VBP_INVALID_ARGUMENT,
                        "batchCode"));
  EXPECT_TRUE(IsRefused(prepayment(Caller::admin(), kCityHospital, 1, "NO-SUCH"), VBP_NOT_FOUND,
                        "batchCode"));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  ::testing::AddGlobalTestEnvironment(new PricingStack);
  ::testing::AddGlobalTestEnvironment(new VolumeStack);
  return RUN_ALL_TESTS();
}
