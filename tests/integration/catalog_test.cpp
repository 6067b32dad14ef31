// CatalogService over real gRPC against the real PostgreSQL (API.md "Catalog", "Who may do what";
// DOMAIN.md Entities, C5, C6). The server is catalog_core served in-process (catalog_harness).
// ExportBatch (server-streaming) is not covered here: the vbp client had no streaming call.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog_harness.h"
#include "common/credit_code.h"
#include "common/identity.h"

namespace {

// ---------------------------------------------------------------- regions

class CatalogRegions : public CatalogTest {};

TEST_F(CatalogRegions, AdminCreatesProvinceCityAndCounty) {
  auto fujian =
      create_region(Caller::admin(), "350000", "福建省", VBP__V1__REGION_LEVEL__PROVINCE, "");
  ASSERT_TRUE(IsOk(fujian));
  EXPECT_STREQ(fujian->code, "350000");
  EXPECT_STREQ(fujian->name, "福建省");
  EXPECT_EQ(fujian->level, VBP__V1__REGION_LEVEL__PROVINCE);
  EXPECT_STREQ(fujian->parent_code, "");

  auto fuzhou =
      create_region(Caller::admin(), "350100", "福州市", VBP__V1__REGION_LEVEL__CITY, "350000");
  ASSERT_TRUE(IsOk(fuzhou));
  EXPECT_STREQ(fuzhou->code, "350100");
  EXPECT_STREQ(fuzhou->name, "福州市");
  EXPECT_EQ(fuzhou->level, VBP__V1__REGION_LEVEL__CITY);
  EXPECT_STREQ(fuzhou->parent_code, "350000");

  auto gulou =
      create_region(Caller::admin(), "350102", "鼓楼区", VBP__V1__REGION_LEVEL__COUNTY, "350100");
  ASSERT_TRUE(IsOk(gulou));
  EXPECT_STREQ(gulou->code, "350102");
  EXPECT_STREQ(gulou->name, "鼓楼区");
  EXPECT_EQ(gulou->level, VBP__V1__REGION_LEVEL__COUNTY);
  EXPECT_STREQ(gulou->parent_code, "350100");
}

TEST_F(CatalogRegions, MalformedCodesAreRefusedOnCode) {
  for (const char *code : {"35000", "abcdef", "000000", "3500000", ""}) {
    auto r = create_region(Caller::admin(), code, "某地", VBP__V1__REGION_LEVEL__PROVINCE, "");
    EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "code")) << "code \"" << code << "\"";
  }
}

// Named after what broke: a reason that quotes the caller's non-ASCII input was sent raw in the
// vbp-error-reason trailer, gRPC refused the header value, and the caller got CANCELLED.
TEST_F(CatalogRegions, RefusalQuotingAChineseCodeStillReachesTheCaller) {
  auto r = create_region(Caller::admin(), "福建", "福建省", VBP__V1__REGION_LEVEL__PROVINCE, "");
  EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "code"));
}

TEST_F(CatalogRegions, LevelMustMatchTheShapeOfTheCode) {
  ensure_region("350000");
  auto city_as_province =
      create_region(Caller::admin(), "350100", "福州市", VBP__V1__REGION_LEVEL__PROVINCE, "350000");
  EXPECT_TRUE(IsRefused(city_as_province, VBP_INVALID_ARGUMENT, "level"));
  auto province_as_city =
      create_region(Caller::admin(), "350000", "福建省", VBP__V1__REGION_LEVEL__CITY, "");
  EXPECT_TRUE(IsRefused(province_as_city, VBP_INVALID_ARGUMENT, "level"));
  auto no_level = create_region(Caller::admin(), "350000", "福建省",
                                VBP__V1__REGION_LEVEL__REGION_LEVEL_UNSPECIFIED, "");
  EXPECT_TRUE(IsRefused(no_level, VBP_INVALID_ARGUMENT, "level"));
}

TEST_F(CatalogRegions, ParentMustBeTheRegionTheCodeImplies) {
  ensure_region("350100");
  ensure_region("360000");
  auto wrong =
      create_region(Caller::admin(), "350200", "厦门市", VBP__V1__REGION_LEVEL__CITY, "360000");
  EXPECT_TRUE(IsRefused(wrong, VBP_INVALID_ARGUMENT, "parentCode"));
  auto missing =
      create_region(Caller::admin(), "350200", "厦门市", VBP__V1__REGION_LEVEL__CITY, "");
  EXPECT_TRUE(IsRefused(missing, VBP_INVALID_ARGUMENT, "parentCode"));
  auto skips_city =
      create_region(Caller::admin(), "350102", "鼓楼区", VBP__V1__REGION_LEVEL__COUNTY, "350000");
  EXPECT_TRUE(IsRefused(skips_city, VBP_INVALID_ARGUMENT, "parentCode"));
  auto province_with_parent =
      create_region(Caller::admin(), "360000", "江西省", VBP__V1__REGION_LEVEL__PROVINCE, "350000");
  EXPECT_TRUE(IsRefused(province_with_parent, VBP_INVALID_ARGUMENT, "parentCode"));
}

TEST_F(CatalogRegions, ParentMustBeCreatedFirst) {
  // 370000 (Shandong) is never created by these tests.
  auto jinan =
      create_region(Caller::admin(), "370100", "济南市", VBP__V1__REGION_LEVEL__CITY, "370000");
  EXPECT_TRUE(IsRefused(jinan, VBP_INVALID_ARGUMENT, "parentCode"));
}

TEST_F(CatalogRegions, RepeatingTheSameRegionAnswersTheStoredOne) {
  ensure_region("350000");
  auto first =
      create_region(Caller::admin(), "350100", "福州市", VBP__V1__REGION_LEVEL__CITY, "350000");
  auto again =
      create_region(Caller::admin(), "350100", "福州市", VBP__V1__REGION_LEVEL__CITY, "350000");
  ASSERT_TRUE(IsOk(first));
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->code, "350100");
  EXPECT_STREQ(again->name, "福州市");
  EXPECT_EQ(again->level, VBP__V1__REGION_LEVEL__CITY);
  EXPECT_STREQ(again->parent_code, "350000");
}

TEST_F(CatalogRegions, SameCodeWithAnotherNameAlreadyExists) {
  ensure_region("350100");
  auto r = create_region(Caller::admin(), "350100", "榕城", VBP__V1__REGION_LEVEL__CITY, "350000");
  EXPECT_TRUE(IsRefused(r, VBP_ALREADY_EXISTS, "code"));
}

TEST_F(CatalogRegions, BureauMayCreateCityInItsProvince) {
  std::string bureau = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  auto xiamen =
      create_region(Caller::key(bureau), "350200", "厦门市", VBP__V1__REGION_LEVEL__CITY, "350000");
  ASSERT_TRUE(IsOk(xiamen));
  EXPECT_STREQ(xiamen->code, "350200");
  EXPECT_STREQ(xiamen->parent_code, "350000");
}

TEST_F(CatalogRegions, BureauMayNotCreateAnotherProvinceNorItsOwnRegion) {
  std::string bureau = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  auto jiangxi =
      create_region(Caller::key(bureau), "360000", "江西省", VBP__V1__REGION_LEVEL__PROVINCE, "");
  EXPECT_TRUE(IsRefused(jiangxi, VBP_PERMISSION_DENIED, ""));
  auto itself =
      create_region(Caller::key(bureau), "350000", "福建省", VBP__V1__REGION_LEVEL__PROVINCE, "");
  EXPECT_TRUE(IsRefused(itself, VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogRegions, CityBureauMayCreateCountiesOfItsCityOnly) {
  ensure_region("350200");
  std::string fuzhou = key_for("fz-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350100");
  auto taijiang = create_region(Caller::key(fuzhou), "350103", "台江区",
                                VBP__V1__REGION_LEVEL__COUNTY, "350100");
  ASSERT_TRUE(IsOk(taijiang));
  EXPECT_STREQ(taijiang->parent_code, "350100");
  auto siming = create_region(Caller::key(fuzhou), "350203", "思明区",
                              VBP__V1__REGION_LEVEL__COUNTY, "350200");
  EXPECT_TRUE(IsRefused(siming, VBP_PERMISSION_DENIED, ""));
  auto putian =
      create_region(Caller::key(fuzhou), "350300", "莆田市", VBP__V1__REGION_LEVEL__CITY, "350000");
  EXPECT_TRUE(IsRefused(putian, VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogRegions, ManufacturerMayNotCreateRegions) {
  std::string maker = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  auto r =
      create_region(Caller::key(maker), "350200", "厦门市", VBP__V1__REGION_LEVEL__CITY, "350000");
  EXPECT_TRUE(IsRefused(r, VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogRegions, CallsWithoutAValidKeyAreUnauthenticated) {
  auto none =
      create_region(Caller::nobody(), "350000", "福建省", VBP__V1__REGION_LEVEL__PROVINCE, "");
  EXPECT_TRUE(IsRefused(none, VBP_UNAUTHENTICATED, ""));
  auto unknown =
      create_region(Caller::key("vbp_0000000000000000000000000000000000000000000000000000"
                                "000000000000"),
                    "350000", "福建省", VBP__V1__REGION_LEVEL__PROVINCE, "");
  EXPECT_TRUE(IsRefused(unknown, VBP_UNAUTHENTICATED, ""));
}

// ---------------------------------------------------------------- organizations

class CatalogOrganizations : public CatalogTest {};

TEST_F(CatalogOrganizations, CreditCodesOfTheExamplesAreValid) {
  // The fixtures below rely on these: the GB 32100 check as common/credit_code.h computes it.
  for (const char *code : {"91350100M000100Y43", "9144030071526726XG", "914403001922038216"})
    EXPECT_TRUE(vbp_credit_code_check(code, nullptr, 0)) << code;
  EXPECT_EQ(vbp_credit_code_check_char("91350100M000100Y4"), '3');
}

TEST_F(CatalogOrganizations, AdminCreatesOrganizationsWithValidCreditCodes) {
  ensure_region("350100");
  ensure_region("440300");
  struct Case {
    const char *id, *region, *credit;
    Vbp__V1__OrganizationKind kind;
  } cases[] = {
      {"fz-pharma", "350100", "91350100M000100Y43", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR},
      {"sz-maker-1", "440300", "9144030071526726XG", VBP__V1__ORGANIZATION_KIND__MANUFACTURER},
      {"sz-maker-2", "440300", "914403001922038216", VBP__V1__ORGANIZATION_KIND__MANUFACTURER},
  };
  for (const Case &k : cases) {
    OrgSpec spec = org(k.id, k.kind, k.region);
    spec.credit_code = k.credit;
    auto r = create_organization(Caller::admin(), spec);
    ASSERT_TRUE(IsOk(r)) << k.id;
    EXPECT_STREQ(r->id, k.id);
    EXPECT_STREQ(r->name, spec.name.c_str());
    EXPECT_EQ(r->kind, k.kind);
    EXPECT_STREQ(r->region_code, k.region);
    EXPECT_STREQ(r->credit_code, k.credit);
    EXPECT_EQ(r->institution_type, VBP__V1__INSTITUTION_TYPE__INSTITUTION_TYPE_UNSPECIFIED);
    EXPECT_STREQ(r->consortium_id, "");
  }
  // A code computed with the check algorithm, for a public hospital.
  OrgSpec hospital =
      org("fz-hospital-1", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350100");
  hospital.institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
  hospital.credit_code =
      std::string("12350100488000001") + vbp_credit_code_check_char("12350100488000001");
  auto r = create_organization(Caller::admin(), hospital);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->credit_code, hospital.credit_code.c_str());
  EXPECT_EQ(r->institution_type, VBP__V1__INSTITUTION_TYPE__PUBLIC);
}

TEST_F(CatalogOrganizations, ReadsFromMemoryAnswerTheStoredOrganizationAndMissesAreNotKept) {
  ensure_region("350100");
  // Asked before it exists: not found, and that is not kept.
  EXPECT_TRUE(IsRefused(get_organization(Caller::admin(), "kept-1"), VBP_NOT_FOUND, ""));
  OrgSpec spec = org("kept-1", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350100");
  spec.institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
  ASSERT_TRUE(IsOk(create_organization(Caller::admin(), spec)));
  // The first read comes from the database, the second from memory: the same fields.
  for (int i = 0; i < 2; i++) {
    auto r = get_organization(Caller::signed_as(VBP_ROLE_DISTRIBUTOR, "d", "350000"), "kept-1");
    ASSERT_TRUE(IsOk(r)) << i;
    EXPECT_STREQ(r->id, "kept-1");
    EXPECT_STREQ(r->name, spec.name.c_str());
    EXPECT_STREQ(r->credit_code, spec.credit_code.c_str());
    EXPECT_STREQ(r->region_code, "350100");
    EXPECT_EQ(r->institution_type, VBP__V1__INSTITUTION_TYPE__PUBLIC);
  }
  // Still checked and still refused without a caller.
  EXPECT_TRUE(IsRefused(get_organization(Caller::nobody(), "kept-1"), VBP_UNAUTHENTICATED, ""));
}

TEST_F(CatalogOrganizations, WrongCheckCharacterIsRefusedOnCreditCode) {
  ensure_region("350100");
  OrgSpec spec = org("fz-typo", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  spec.credit_code = "91350100M000100Y44";  // the check character is '3'
  EXPECT_TRUE(
      IsRefused(create_organization(Caller::admin(), spec), VBP_INVALID_ARGUMENT, "creditCode"));
  spec.credit_code = "91350100M000100Y4";  // 17 characters
  EXPECT_TRUE(
      IsRefused(create_organization(Caller::admin(), spec), VBP_INVALID_ARGUMENT, "creditCode"));
  spec.credit_code = "";
  EXPECT_TRUE(
      IsRefused(create_organization(Caller::admin(), spec), VBP_INVALID_ARGUMENT, "creditCode"));
}

TEST_F(CatalogOrganizations, UnknownRegionIsRefusedOnRegionCode) {
  // 450000 (Guangxi) is never created by these tests.
  auto r = create_organization(Caller::admin(),
                               org("gx-maker", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "450000"));
  EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "regionCode"));
  auto malformed = create_organization(
      Caller::admin(), org("bad-region", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "35010"));
  EXPECT_TRUE(IsRefused(malformed, VBP_INVALID_ARGUMENT, "regionCode"));
}

TEST_F(CatalogOrganizations, SecondOrganizationWithTheSameCreditCodeAlreadyExists) {
  ensure_region("350100");
  OrgSpec first = org("dup-credit-1", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  ASSERT_TRUE(IsOk(create_organization(Caller::admin(), first)));
  OrgSpec second = org("dup-credit-2", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  second.credit_code = first.credit_code;
  EXPECT_TRUE(
      IsRefused(create_organization(Caller::admin(), second), VBP_ALREADY_EXISTS, "creditCode"));
  EXPECT_TRUE(IsRefused(get_organization(Caller::admin(), "dup-credit-2"), VBP_NOT_FOUND, ""));
}

TEST_F(CatalogOrganizations, InstitutionTypeOnAManufacturerIsRefused) {
  ensure_region("350100");
  OrgSpec spec = org("mfr-with-type", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  spec.institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
  EXPECT_TRUE(IsRefused(create_organization(Caller::admin(), spec), VBP_INVALID_ARGUMENT,
                        "institutionType"));
}

TEST_F(CatalogOrganizations, ConsortiumMustNameAMedicalInstitution) {
  ensure_org("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  ensure_org("gulou-consortium", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102");

  OrgSpec clinic = org("gulou-clinic", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102");
  clinic.institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
  clinic.consortium_id = "mfr-fj";
  EXPECT_TRUE(IsRefused(create_organization(Caller::admin(), clinic), VBP_INVALID_ARGUMENT,
                        "consortiumId"));
  clinic.consortium_id = "no-such-consortium";
  EXPECT_TRUE(IsRefused(create_organization(Caller::admin(), clinic), VBP_INVALID_ARGUMENT,
                        "consortiumId"));

  clinic.consortium_id = "gulou-consortium";
  auto r = create_organization(Caller::admin(), clinic);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->consortium_id, "gulou-consortium");
  auto read = get_organization(Caller::admin(), "gulou-clinic");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->consortium_id, "gulou-consortium");
  EXPECT_EQ(read->institution_type, VBP__V1__INSTITUTION_TYPE__PUBLIC);
}

TEST_F(CatalogOrganizations, RepeatingTheSameOrganizationAnswersTheStoredOne) {
  ensure_region("350100");
  OrgSpec spec = org("repeat-org", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  auto first = create_organization(Caller::admin(), spec);
  auto again = create_organization(Caller::admin(), spec);
  ASSERT_TRUE(IsOk(first));
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->id, "repeat-org");
  EXPECT_STREQ(again->name, spec.name.c_str());
  EXPECT_STREQ(again->credit_code, spec.credit_code.c_str());
  EXPECT_EQ(again->kind, VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR);
}

TEST_F(CatalogOrganizations, SameIdWithAnotherNameAlreadyExists) {
  ensure_org("renamed-org", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  OrgSpec spec = org("renamed-org", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  spec.name = "Another name";
  EXPECT_TRUE(IsRefused(create_organization(Caller::admin(), spec), VBP_ALREADY_EXISTS, "id"));
}

TEST_F(CatalogOrganizations, BureauMayCreateOrganizationsInItsRegionOnly) {
  std::string bureau = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  ensure_region("350100");
  ensure_region("360000");
  auto inside = create_organization(
      Caller::key(bureau),
      org("fz-distributor-b", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100"));
  ASSERT_TRUE(IsOk(inside));
  EXPECT_STREQ(inside->region_code, "350100");
  auto outside = create_organization(
      Caller::key(bureau),
      org("jx-distributor-b", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "360000"));
  EXPECT_TRUE(IsRefused(outside, VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogOrganizations, ManufacturerMayNotCreateOrganizations) {
  std::string maker = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  auto r = create_organization(
      Caller::key(maker), org("mfr-fj-sister", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100"));
  EXPECT_TRUE(IsRefused(r, VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogOrganizations, GetOrganizationAnswersTheStoredOrganization) {
  OrgSpec spec = org("read-me", VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, "350100");
  ensure_org("read-me", VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, "350100");
  std::string reader = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  auto r = get_organization(Caller::key(reader), "read-me");
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->id, "read-me");
  EXPECT_STREQ(r->name, spec.name.c_str());
  EXPECT_EQ(r->kind, VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY);
  EXPECT_STREQ(r->region_code, "350100");
  EXPECT_STREQ(r->credit_code, spec.credit_code.c_str());
}

TEST_F(CatalogOrganizations, MissingOrganizationIsNotFound) {
  EXPECT_TRUE(IsRefused(get_organization(Caller::admin(), "nobody-by-that-id"), VBP_NOT_FOUND, ""));
}

// ---------------------------------------------------------------- listing organizations

// Jiangsu's orgs, which no other test touches: 320100 Nanjing (and its county 320102) and
// 320200 Wuxi.
class CatalogListOrganizations : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ensure_org("js-a-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "320000");
    ensure_org("js-b-maker", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "320100");
    ensure_org("js-c-hospital", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "320102");
    ensure_org("js-d-maker", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "320200");
    ensure_org("js-e-distributor", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "320200");
  }

  static std::vector<std::string> ids(const Vbp__V1__ListOrganizationsResponse *r) {
    std::vector<std::string> out;
    for (size_t i = 0; r != nullptr && i < r->n_organizations; i++)
      out.push_back(r->organizations[i]->id);
    return out;
  }
};

using Ids = std::vector<std::string>;

TEST_F(CatalogListOrganizations, ProvinceIncludesTheOrganizationsOfItsCitiesAndCounties) {
  auto r = list_organizations(
      Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED, "320000", 0, "");
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(ids(r.get()),
            (Ids{"js-a-bureau", "js-b-maker", "js-c-hospital", "js-d-maker", "js-e-distributor"}));
  EXPECT_STREQ(r->next_page_token, "");
}

TEST_F(CatalogListOrganizations, CityExcludesItsSiblings) {
  auto nanjing = list_organizations(
      Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED, "320100", 0, "");
  ASSERT_TRUE(IsOk(nanjing));
  EXPECT_EQ(ids(nanjing.get()), (Ids{"js-b-maker", "js-c-hospital"}));
  auto wuxi = list_organizations(
      Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED, "320200", 0, "");
  ASSERT_TRUE(IsOk(wuxi));
  EXPECT_EQ(ids(wuxi.get()), (Ids{"js-d-maker", "js-e-distributor"}));
  auto county = list_organizations(
      Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED, "320102", 0, "");
  ASSERT_TRUE(IsOk(county));
  EXPECT_EQ(ids(county.get()), (Ids{"js-c-hospital"}));
}

TEST_F(CatalogListOrganizations, FiltersByKind) {
  auto makers = list_organizations(Caller::admin(), VBP__V1__ORGANIZATION_KIND__MANUFACTURER,
                                   "320000", 0, "");
  ASSERT_TRUE(IsOk(makers));
  EXPECT_EQ(ids(makers.get()), (Ids{"js-b-maker", "js-d-maker"}));
  auto wuxi_makers = list_organizations(Caller::admin(), VBP__V1__ORGANIZATION_KIND__MANUFACTURER,
                                        "320200", 0, "");
  ASSERT_TRUE(IsOk(wuxi_makers));
  EXPECT_EQ(ids(wuxi_makers.get()), (Ids{"js-d-maker"}));
  // Any authenticated caller may read organizations.
  std::string reader =
      key_for("js-e-distributor", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "320200");
  auto bureaus =
      list_organizations(Caller::key(reader), VBP__V1__ORGANIZATION_KIND__BUREAU, "320000", 0, "");
  ASSERT_TRUE(IsOk(bureaus));
  EXPECT_EQ(ids(bureaus.get()), (Ids{"js-a-bureau"}));
}

TEST_F(CatalogListOrganizations, PagesOfTwoOverFiveOrganizationsHoldTwoTwoAndOne) {
  const auto any = VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED;
  auto p1 = list_organizations(Caller::admin(), any, "320000", 2, "");
  ASSERT_TRUE(IsOk(p1));
  EXPECT_EQ(ids(p1.get()), (Ids{"js-a-bureau", "js-b-maker"}));
  ASSERT_STRNE(p1->next_page_token, "");
  auto p2 = list_organizations(Caller::admin(), any, "320000", 2, p1->next_page_token);
  ASSERT_TRUE(IsOk(p2));
  EXPECT_EQ(ids(p2.get()), (Ids{"js-c-hospital", "js-d-maker"}));
  ASSERT_STRNE(p2->next_page_token, "");
  auto p3 = list_organizations(Caller::admin(), any, "320000", 2, p2->next_page_token);
  ASSERT_TRUE(IsOk(p3));
  EXPECT_EQ(ids(p3.get()), (Ids{"js-e-distributor"}));
  EXPECT_STREQ(p3->next_page_token, "");

  std::set<std::string> seen;
  for (auto *page : {p1.get(), p2.get(), p3.get()})
    for (const std::string &id : ids(page)) EXPECT_TRUE(seen.insert(id).second) << "twice: " << id;
  EXPECT_EQ(seen.size(), 5u);
}

TEST_F(CatalogListOrganizations, TokenOfAnotherQueryIsRefused) {
  auto p1 = list_organizations(
      Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED, "320000", 2, "");
  ASSERT_TRUE(IsOk(p1));
  ASSERT_STRNE(p1->next_page_token, "");
  auto other_kind = list_organizations(Caller::admin(), VBP__V1__ORGANIZATION_KIND__MANUFACTURER,
                                       "320000", 2, p1->next_page_token);
  EXPECT_TRUE(IsRefused(other_kind, VBP_INVALID_ARGUMENT, "pageToken"));
  auto other_region =
      list_organizations(Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED,
                         "320100", 2, p1->next_page_token);
  EXPECT_TRUE(IsRefused(other_region, VBP_INVALID_ARGUMENT, "pageToken"));
}

// Tokens are keyed with the internal secret and bound to the caller (common/page.h): one made or
// altered by hand, or another caller's, is refused.
TEST_F(CatalogListOrganizations, AnAlteredOrAnotherCallersTokenIsRefused) {
  const auto any = VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED;
  auto p1 = list_organizations(Caller::admin(), any, "320000", 2, "");
  ASSERT_TRUE(IsOk(p1));
  std::string token = p1->next_page_token;
  ASSERT_FALSE(token.empty());
  std::string altered = token;
  altered[token.size() / 2] = altered[token.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(IsRefused(list_organizations(Caller::admin(), any, "320000", 2, altered),
                        VBP_INVALID_ARGUMENT, "pageToken"));
  std::string reader =
      key_for("js-e-distributor", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "320200");
  EXPECT_TRUE(IsRefused(list_organizations(Caller::key(reader), any, "320000", 2, token),
                        VBP_INVALID_ARGUMENT, "pageToken"));
  EXPECT_TRUE(IsOk(list_organizations(Caller::admin(), any, "320000", 2, token)));
}

TEST_F(CatalogListOrganizations, GarbageTokenIsRefused) {
  auto r =
      list_organizations(Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED,
                         "320000", 2, "not-a-page-token");
  EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "pageToken"));
}

TEST_F(CatalogListOrganizations, NegativePageSizeIsRefused) {
  auto r = list_organizations(
      Caller::admin(), VBP__V1__ORGANIZATION_KIND__ORGANIZATION_KIND_UNSPECIFIED, "320000", -1, "");
  EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "pageSize"));
}

// ---------------------------------------------------------------- batches

class CatalogBatches : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ensure_region("360000");
    ensure_region("350000");
    ensure_region("350100");
    alliance_ = alliance_key();
  }
  std::string alliance_;
};

TEST_F(CatalogBatches, AllianceOfficeCreatesTheInterferonBatch) {
  auto r = create_batch(Caller::key(alliance_), interferon_batch("JX-YP2023-01"));
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->code, "JX-YP2023-01");
  EXPECT_STREQ(r->name, "江西牵头干扰素省际联盟集中带量采购");
  EXPECT_EQ(r->kind, VBP__V1__PRODUCT_KIND__DRUG);
  EXPECT_EQ(r->organizer_level, VBP__V1__BATCH__ORGANIZER_LEVEL__ALLIANCE);
  EXPECT_STREQ(r->lead_region_code, "360000");
  ASSERT_EQ(r->n_member_region_codes, 2u);
  EXPECT_STREQ(r->member_region_codes[0], "360000");
  EXPECT_STREQ(r->member_region_codes[1], "350000");
  EXPECT_EQ(r->cycle_years, 4);
  EXPECT_STREQ(r->cycle_end, "");
  EXPECT_EQ(r->non_winning_cap_percent, 0);
  EXPECT_EQ(r->renewal_floor, VBP__V1__BATCH__RENEWAL_FLOOR__FIRST_YEAR);
  EXPECT_STREQ(r->created_by, kAllianceOffice);

  auto read = get_batch(Caller::admin(), "JX-YP2023-01");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->code, "JX-YP2023-01");
  EXPECT_EQ(read->cycle_years, 4);
  EXPECT_STREQ(read->cycle_end, "");
  ASSERT_EQ(read->n_member_region_codes, 2u);
  EXPECT_STREQ(read->member_region_codes[0], "360000");
  EXPECT_STREQ(read->member_region_codes[1], "350000");
  EXPECT_EQ(read->renewal_floor, VBP__V1__BATCH__RENEWAL_FLOOR__FIRST_YEAR);
  EXPECT_STREQ(read->created_by, kAllianceOffice);
}

TEST_F(CatalogBatches, RepeatingTheSameBatchAnswersTheStoredOne) {
  ASSERT_TRUE(IsOk(create_batch(Caller::key(alliance_), interferon_batch("JX-YP2023-RETRY"))));
  auto again = create_batch(Caller::key(alliance_), interferon_batch("JX-YP2023-RETRY"));
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->created_by, kAllianceOffice);
  EXPECT_EQ(again->cycle_years, 4);
  BatchSpec other = interferon_batch("JX-YP2023-RETRY");
  other.cycle_years = 2;
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(alliance_), other), VBP_ALREADY_EXISTS, "code"));
}

TEST_F(CatalogBatches, ExplicitCycleEndIsKept) {
  BatchSpec b = interferon_batch("HN-END-2025");
  b.cycle_years = 0;
  b.cycle_end = "2025-12-31";
  b.renewal_floor = VBP__V1__BATCH__RENEWAL_FLOOR__PREVIOUS_YEAR;
  auto r = create_batch(Caller::key(alliance_), b);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->cycle_years, 0);
  EXPECT_STREQ(r->cycle_end, "2025-12-31");
  EXPECT_EQ(r->renewal_floor, VBP__V1__BATCH__RENEWAL_FLOOR__PREVIOUS_YEAR);
  auto read = get_batch(Caller::admin(), "HN-END-2025");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->cycle_end, "2025-12-31");
}

TEST_F(CatalogBatches, ProvincialBatchHasItsLeadAsOnlyMember) {
  BatchSpec b;
  b.code = "MIN-HC2022-01";
  b.name = "福建省医用耗材集中带量采购";
  b.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.cycle_years = 2;
  auto r = create_batch(Caller::admin(), b);
  ASSERT_TRUE(IsOk(r));
  ASSERT_EQ(r->n_member_region_codes, 1u);
  EXPECT_STREQ(r->member_region_codes[0], "350000");
  EXPECT_STREQ(r->created_by, "");  // the admin key has no organization
  b.code = "MIN-HC2022-02";
  b.member_region_codes = {"350000", "360000"};
  EXPECT_TRUE(
      IsRefused(create_batch(Caller::admin(), b), VBP_INVALID_ARGUMENT, "memberRegionCodes"));
}

TEST_F(CatalogBatches, CycleYearsAndCycleEndTogetherAreRefusedOnCycleEnd) {
  BatchSpec b = interferon_batch("JX-BOTH");
  b.cycle_end = "2028-07-21";
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(alliance_), b), VBP_INVALID_ARGUMENT, "cycleEnd"));
}

TEST_F(CatalogBatches, NeitherCycleYearsNorCycleEndIsRefusedOnCycleYears) {
  BatchSpec b = interferon_batch("JX-NEITHER");
  b.cycle_years = 0;
  EXPECT_TRUE(
      IsRefused(create_batch(Caller::key(alliance_), b), VBP_INVALID_ARGUMENT, "cycleYears"));
}

TEST_F(CatalogBatches, RepeatedMemberIsRefusedOnItsIndex) {
  BatchSpec b = interferon_batch("JX-REPEAT");
  b.member_region_codes = {"360000", "360000", "350000"};
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(alliance_), b), VBP_INVALID_ARGUMENT,
                        "memberRegionCodes[1]"));
}

TEST_F(CatalogBatches, LeadOutsideTheMembersIsRefused) {
  ensure_region("220000");
  BatchSpec b = interferon_batch("JX-NO-LEAD");
  b.member_region_codes = {"350000", "220000"};
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(alliance_), b), VBP_INVALID_ARGUMENT,
                        "memberRegionCodes"));
}

TEST_F(CatalogBatches, CityMemberOfAnAllianceBatchIsRefusedOnItsIndex) {
  BatchSpec b = interferon_batch("JX-CITY");
  b.member_region_codes = {"360000", "350000", "350100"};
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(alliance_), b), VBP_INVALID_ARGUMENT,
                        "memberRegionCodes[2]"));
}

TEST_F(CatalogBatches, BureauMayNotCreateBatches) {
  std::string bureau = key_for("jx-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "360000");
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(bureau), interferon_batch("JX-BY-BUREAU")),
                        VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogBatches, ImpossibleCycleEndIsRefused) {
  BatchSpec b = interferon_batch("JX-FEB30");
  b.cycle_years = 0;
  b.cycle_end = "2025-02-30";
  EXPECT_TRUE(IsRefused(create_batch(Caller::key(alliance_), b), VBP_INVALID_ARGUMENT, "cycleEnd"));
}

TEST_F(CatalogBatches, MissingBatchIsNotFound) {
  EXPECT_TRUE(IsRefused(get_batch(Caller::admin(), "NO-SUCH-BATCH"), VBP_NOT_FOUND, ""));
}

// ---------------------------------------------------------------- extending batches

// A batch of its own per test (so that tests run in one process do not see each other's
// extensions), with Fujian's execution starting 2024-07-22: a 4-year cycle ends 2028-07-21.
class CatalogExtendBatch : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    alliance_ = alliance_key();
  }
  void prepare(const std::string &code) {
    ensure_interferon_batch(code);
    ExecutionSpec e{code, "350000", "2024-07-18", "2024-07-22"};
    ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  }
  PinnedToday today_{"2025-01-10"};
  std::string alliance_;
};

TEST_F(CatalogExtendBatch, ExtensionBeforeTodayIsRefusedNamingCycleEnd) {
  ensure_interferon_batch("JX-EXT-PAST");  // no execution: no cycle end to pass yet
  auto r = extend_batch(Caller::key(alliance_), "JX-EXT-PAST", "2025-01-09");
  EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_STREQ(r.status.reason, "must not be before today, 2025-01-10");
  prepare("JX-EXT-PAST2");
  auto past = extend_batch(Caller::key(alliance_), "JX-EXT-PAST2", "2024-12-31");
  EXPECT_TRUE(IsRefused(past, VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_STREQ(past.status.reason, "must not be before today, 2025-01-10");
  auto read = get_batch(Caller::admin(), "JX-EXT-PAST");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->cycle_end, "");
}

TEST_F(CatalogExtendBatch, ExtensionToTodayItselfIsAccepted) {
  ensure_interferon_batch("JX-EXT-TODAY");
  auto r = extend_batch(Caller::key(alliance_), "JX-EXT-TODAY", "2025-01-10");
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->cycle_end, "2025-01-10");
}

TEST_F(CatalogExtendBatch, ExtensionPastEveryExecutionsEndIsAnswered) {
  prepare("JX-EXT-OK");
  auto r = extend_batch(Caller::key(alliance_), "JX-EXT-OK", "2029-12-31");
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->code, "JX-EXT-OK");
  EXPECT_STREQ(r->cycle_end, "2029-12-31");
  EXPECT_EQ(r->cycle_years, 4);
  auto read = get_batch(Caller::admin(), "JX-EXT-OK");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->cycle_end, "2029-12-31");
}

TEST_F(CatalogExtendBatch, ExtensionByOneDayIsAccepted) {
  prepare("JX-EXT-DAY");
  auto r = extend_batch(Caller::key(alliance_), "JX-EXT-DAY", "2028-07-22");
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->cycle_end, "2028-07-22");
}

TEST_F(CatalogExtendBatch, ExtensionNotAfterTheCurrentEndIsRefusedNamingIt) {
  prepare("JX-EXT-SHORT");
  auto same_day = extend_batch(Caller::key(alliance_), "JX-EXT-SHORT", "2028-07-21");
  EXPECT_TRUE(IsRefused(same_day, VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_STREQ(same_day.status.reason, "must be after the current cycle end 2028-07-21");
  auto earlier = extend_batch(Caller::key(alliance_), "JX-EXT-SHORT", "2027-01-01");
  EXPECT_TRUE(IsRefused(earlier, VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_STREQ(earlier.status.reason, "must be after the current cycle end 2028-07-21");
  auto read = get_batch(Caller::admin(), "JX-EXT-SHORT");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->cycle_end, "");
}

TEST_F(CatalogExtendBatch, ExtensionMustPassTheLatestExecutionsEnd) {
  prepare("JX-EXT-TWO");
  ExecutionSpec jiangxi{"JX-EXT-TWO", "360000", "2024-09-15", "2024-09-20"};
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), jiangxi)));
  auto r = extend_batch(Caller::key(alliance_), "JX-EXT-TWO", "2028-08-01");
  EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_STREQ(r.status.reason, "must be after the current cycle end 2028-09-19");
  EXPECT_TRUE(IsOk(extend_batch(Caller::key(alliance_), "JX-EXT-TWO", "2028-09-20")));
}

TEST_F(CatalogExtendBatch, ExtensionMustPassAnEarlierExtension) {
  prepare("JX-EXT-AGAIN");
  ASSERT_TRUE(IsOk(extend_batch(Caller::key(alliance_), "JX-EXT-AGAIN", "2029-12-31")));
  auto back = extend_batch(Caller::key(alliance_), "JX-EXT-AGAIN", "2029-06-30");
  EXPECT_TRUE(IsRefused(back, VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_STREQ(back.status.reason, "must be after the current cycle end 2029-12-31");
  auto further = extend_batch(Caller::key(alliance_), "JX-EXT-AGAIN", "2030-06-30");
  ASSERT_TRUE(IsOk(further));
  EXPECT_STREQ(further->cycle_end, "2030-06-30");
}

TEST_F(CatalogExtendBatch, RepeatingTheSameExtensionIsAccepted) {
  prepare("JX-EXT-RETRY");
  auto first = extend_batch(Caller::key(alliance_), "JX-EXT-RETRY", "2029-12-31");
  auto again = extend_batch(Caller::key(alliance_), "JX-EXT-RETRY", "2029-12-31");
  ASSERT_TRUE(IsOk(first));
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->cycle_end, "2029-12-31");
  EXPECT_STREQ(again->code, "JX-EXT-RETRY");
}

TEST_F(CatalogExtendBatch, AnotherAllianceOfficeMayNotExtendEvenAMissingBatch) {
  prepare("JX-EXT-THEIRS");
  std::string other =
      key_for("zj-alliance-office", VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE, "330000");
  EXPECT_TRUE(IsRefused(extend_batch(Caller::key(other), "JX-EXT-THEIRS", "2029-12-31"),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(extend_batch(Caller::key(other), "NO-SUCH-BATCH", "2029-12-31"),
                        VBP_PERMISSION_DENIED, ""));
  std::string bureau = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  EXPECT_TRUE(IsRefused(extend_batch(Caller::key(bureau), "JX-EXT-THEIRS", "2029-12-31"),
                        VBP_PERMISSION_DENIED, ""));
  auto read = get_batch(Caller::admin(), "JX-EXT-THEIRS");
  ASSERT_TRUE(IsOk(read));
  EXPECT_STREQ(read->cycle_end, "");
}

TEST_F(CatalogExtendBatch, AdminExtendingAMissingBatchGetsNotFound) {
  EXPECT_TRUE(
      IsRefused(extend_batch(Caller::admin(), "NO-SUCH-BATCH", "2029-12-31"), VBP_NOT_FOUND, ""));
}

TEST_F(CatalogExtendBatch, ImpossibleExtensionDateIsRefused) {
  prepare("JX-EXT-BAD");
  EXPECT_TRUE(IsRefused(extend_batch(Caller::key(alliance_), "JX-EXT-BAD", "2029-02-29"),
                        VBP_INVALID_ARGUMENT, "cycleEnd"));
  EXPECT_TRUE(IsRefused(extend_batch(Caller::key(alliance_), "JX-EXT-BAD", ""),
                        VBP_INVALID_ARGUMENT, "cycleEnd"));
}

// ---------------------------------------------------------------- executions and agreement years

class CatalogExecutions : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ensure_interferon_batch("JX-YP2023-01");
  }
};

TEST_F(CatalogExecutions, FujianExecutionHasTheAlignedAgreementYearsOfC6) {
  ExecutionSpec e{"JX-YP2023-01", "350000", "2024-07-18", "2024-07-22"};
  auto r = create_execution(Caller::admin(), e);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->batch_code, "JX-YP2023-01");
  EXPECT_STREQ(r->region_code, "350000");
  EXPECT_STREQ(r->listing_date, "2024-07-18");
  EXPECT_STREQ(r->start_date, "2024-07-22");
  ASSERT_NE(r->align_renewal, nullptr);  // absent means aligned, and the answer says so
  EXPECT_TRUE(r->align_renewal->value);

  std::string reader = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  auto years = list_agreement_years(Caller::key(reader), "JX-YP2023-01", "350000");
  ASSERT_TRUE(IsOk(years));
  EXPECT_EQ(years_of(years.get()), (Years{{1, "2024-07-22", "2025-12-31"},
                                          {2, "2026-01-01", "2026-12-31"},
                                          {3, "2027-01-01", "2027-12-31"},
                                          {4, "2028-01-01", "2028-07-21"}}));
}

TEST_F(CatalogExecutions, PlainAnniversariesWhenAlignmentIsOff) {
  ExecutionSpec e{"JX-YP2023-01", "360000", "2024-07-18", "2024-07-22"};
  e.align_renewal = Align::kOff;
  auto r = create_execution(Caller::admin(), e);
  ASSERT_TRUE(IsOk(r));
  ASSERT_NE(r->align_renewal, nullptr);
  EXPECT_FALSE(r->align_renewal->value);
  auto years = list_agreement_years(Caller::admin(), "JX-YP2023-01", "360000");
  ASSERT_TRUE(IsOk(years));
  EXPECT_EQ(years_of(years.get()), (Years{{1, "2024-07-22", "2025-07-21"},
                                          {2, "2025-07-22", "2026-07-21"},
                                          {3, "2026-07-22", "2027-07-21"},
                                          {4, "2027-07-22", "2028-07-21"}}));
}

TEST_F(CatalogExecutions, AgreementYearsContinueToAnExtendedEnd) {
  ensure_interferon_batch("JX-YP2023-LONG");
  ExecutionSpec e{"JX-YP2023-LONG", "350000", "2024-07-18", "2024-07-22"};
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  ASSERT_TRUE(IsOk(extend_batch(Caller::key(alliance_key()), "JX-YP2023-LONG", "2029-12-31")));
  auto years = list_agreement_years(Caller::admin(), "JX-YP2023-LONG", "350000");
  ASSERT_TRUE(IsOk(years));
  EXPECT_EQ(years_of(years.get()), (Years{{1, "2024-07-22", "2025-12-31"},
                                          {2, "2026-01-01", "2026-12-31"},
                                          {3, "2027-01-01", "2027-12-31"},
                                          {4, "2028-01-01", "2028-12-31"},
                                          {5, "2029-01-01", "2029-12-31"}}));
}

TEST_F(CatalogExecutions, AnniversaryInTheFirstHalfAlignsToTheFirstOfJuly) {
  BatchSpec b = interferon_batch("JX-YP2023-H1");
  b.cycle_years = 2;
  ASSERT_TRUE(IsOk(create_batch(Caller::key(alliance_key()), b)));
  ExecutionSpec e{"JX-YP2023-H1", "350000", "2024-03-10", "2024-03-15"};
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  auto years = list_agreement_years(Caller::admin(), "JX-YP2023-H1", "350000");
  ASSERT_TRUE(IsOk(years));
  EXPECT_EQ(years_of(years.get()),
            (Years{{1, "2024-03-15", "2025-06-30"}, {2, "2025-07-01", "2026-03-14"}}));
}

TEST_F(CatalogExecutions, ExplicitCycleEndIsTheLastDayItself) {
  BatchSpec b = interferon_batch("JX-YP2023-END");
  b.cycle_years = 0;
  b.cycle_end = "2026-06-30";
  ASSERT_TRUE(IsOk(create_batch(Caller::key(alliance_key()), b)));
  ExecutionSpec e{"JX-YP2023-END", "350000", "2024-09-15", "2024-09-20"};
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  auto years = list_agreement_years(Caller::admin(), "JX-YP2023-END", "350000");
  ASSERT_TRUE(IsOk(years));
  EXPECT_EQ(years_of(years.get()),
            (Years{{1, "2024-09-20", "2025-12-31"}, {2, "2026-01-01", "2026-06-30"}}));
}

TEST_F(CatalogExecutions, ExecutionOutsideTheMemberProvincesIsRefused) {
  ensure_region("220000");
  ExecutionSpec e{"JX-YP2023-01", "220000", "2024-09-15", "2024-09-20"};
  EXPECT_TRUE(IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "regionCode"));
}

TEST_F(CatalogExecutions, StartBeforeListingIsRefused) {
  ExecutionSpec e{"JX-YP2023-01", "350000", "2024-07-18", "2024-07-17"};
  EXPECT_TRUE(IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "startDate"));
}

TEST_F(CatalogExecutions, SigningWindowWithOneEndNamesTheMissingOne) {
  ExecutionSpec e{"JX-YP2023-01", "350000", "2024-07-18", "2024-07-22"};
  e.enterprise_sign_from = "2024-07-04";
  EXPECT_TRUE(
      IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "enterpriseSignTo"));
  e.enterprise_sign_from = "";
  e.enterprise_sign_to = "2024-07-08";
  EXPECT_TRUE(
      IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "enterpriseSignFrom"));
  e.enterprise_sign_to = "";
  e.institution_sign_from = "2024-07-09";
  EXPECT_TRUE(
      IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "institutionSignTo"));
  e.institution_sign_from = "";
  e.institution_sign_to = "2024-07-12";
  EXPECT_TRUE(
      IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "institutionSignFrom"));
}

TEST_F(CatalogExecutions, SigningWindowsOfSeed000AreKept) {
  ensure_interferon_batch("JX-YP2023-WIN");
  ExecutionSpec e{"JX-YP2023-WIN", "350000", "2024-07-18", "2024-07-22"};
  e.enterprise_sign_from = "2024-07-04";
  e.enterprise_sign_to = "2024-07-08";
  e.institution_sign_from = "2024-07-09";
  e.institution_sign_to = "2024-07-12";
  auto r = create_execution(Caller::admin(), e);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->enterprise_sign_from, "2024-07-04");
  EXPECT_STREQ(r->enterprise_sign_to, "2024-07-08");
  EXPECT_STREQ(r->institution_sign_from, "2024-07-09");
  EXPECT_STREQ(r->institution_sign_to, "2024-07-12");
  // The same body again is a retry; another start date is a conflict.
  auto again = create_execution(Caller::admin(), e);
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->enterprise_sign_to, "2024-07-08");
  e.start_date = "2024-07-23";
  EXPECT_TRUE(IsRefused(create_execution(Caller::admin(), e), VBP_ALREADY_EXISTS, "regionCode"));
}

TEST_F(CatalogExecutions, ReversedSigningWindowIsRefusedOnItsEnd) {
  ExecutionSpec e{"JX-YP2023-01", "350000", "2024-07-18", "2024-07-22"};
  e.enterprise_sign_from = "2024-07-08";
  e.enterprise_sign_to = "2024-07-04";
  EXPECT_TRUE(
      IsRefused(create_execution(Caller::admin(), e), VBP_INVALID_ARGUMENT, "enterpriseSignTo"));
}

TEST_F(CatalogExecutions, ProvincialBureauMayCreateItsOwnExecutionOnly) {
  ensure_interferon_batch("JX-YP2023-02");
  std::string fujian = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  std::string jiangxi = key_for("jx-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "360000");
  ExecutionSpec e{"JX-YP2023-02", "350000", "2024-07-18", "2024-07-22"};
  EXPECT_TRUE(IsRefused(create_execution(Caller::key(jiangxi), e), VBP_PERMISSION_DENIED, ""));
  auto r = create_execution(Caller::key(fujian), e);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->region_code, "350000");
  std::string maker = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  ExecutionSpec jx{"JX-YP2023-02", "360000", "2024-07-18", "2024-07-22"};
  EXPECT_TRUE(IsRefused(create_execution(Caller::key(maker), jx), VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogExecutions, MissingExecutionOrBatchIsNotFound) {
  ensure_region("220000");
  EXPECT_TRUE(IsRefused(list_agreement_years(Caller::admin(), "JX-YP2023-01", "220000"),
                        VBP_NOT_FOUND, ""));
  EXPECT_TRUE(IsRefused(list_agreement_years(Caller::admin(), "NO-SUCH-BATCH", "350000"),
                        VBP_NOT_FOUND, ""));
  ExecutionSpec e{"NO-SUCH-BATCH", "350000", "2024-07-18", "2024-07-22"};
  EXPECT_TRUE(IsRefused(create_execution(Caller::admin(), e), VBP_NOT_FOUND, ""));
}

// ---------------------------------------------------------------- products

class CatalogProducts : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ensure_org("mfr-kexing", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "440300");
  }
};

ProductSpec interferon(const std::string &id, const std::string &maker) {
  ProductSpec p;
  p.id = id;
  p.kind = VBP__V1__PRODUCT_KIND__DRUG;
  p.generic_name = "重组人干扰素α1b";
  p.dosage_form = "注射剂";
  p.specification = "10μg";
  p.unit = "支";
  p.manufacturer_id = maker;
  p.quality_tier = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
  p.in_insurance_catalog = true;
  return p;
}

ProductSpec stent(const std::string &id, const std::string &maker) {
  ProductSpec p;
  p.id = id;
  p.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
  p.generic_name = "冠状动脉支架";
  p.specification = "3.0x18mm";
  p.unit = "个";
  p.manufacturer_id = maker;
  p.category = "血管介入";
  p.function = "药物洗脱";
  return p;
}

TEST_F(CatalogProducts, DrugWithQualityTierIsCreatedAndReadBack) {
  auto r = create_product(Caller::admin(), interferon("ifn-kexing-10", "mfr-kexing"));
  ASSERT_TRUE(IsOk(r));
  auto read = get_product(Caller::admin(), "ifn-kexing-10");
  ASSERT_TRUE(IsOk(read));
  for (const Vbp__V1__Product *p : {r.get(), read.get()}) {
    EXPECT_STREQ(p->id, "ifn-kexing-10");
    EXPECT_EQ(p->kind, VBP__V1__PRODUCT_KIND__DRUG);
    EXPECT_STREQ(p->generic_name, "重组人干扰素α1b");
    EXPECT_STREQ(p->dosage_form, "注射剂");
    EXPECT_STREQ(p->specification, "10μg");
    EXPECT_STREQ(p->unit, "支");
    EXPECT_STREQ(p->manufacturer_id, "mfr-kexing");
    EXPECT_EQ(p->quality_tier, VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED);
    EXPECT_TRUE(p->in_insurance_catalog);
    EXPECT_STREQ(p->category, "");
    EXPECT_STREQ(p->function, "");
  }
}

TEST_F(CatalogProducts, ConsumableWithCategoryAndFunctionIsCreated) {
  auto r = create_product(Caller::admin(), stent("stent-kexing-1", "mfr-kexing"));
  ASSERT_TRUE(IsOk(r));
  auto read = get_product(Caller::admin(), "stent-kexing-1");
  ASSERT_TRUE(IsOk(read));
  for (const Vbp__V1__Product *p : {r.get(), read.get()}) {
    EXPECT_EQ(p->kind, VBP__V1__PRODUCT_KIND__CONSUMABLE);
    EXPECT_STREQ(p->category, "血管介入");
    EXPECT_STREQ(p->function, "药物洗脱");
    EXPECT_EQ(p->quality_tier, VBP__V1__QUALITY_TIER__QUALITY_TIER_UNSPECIFIED);
    EXPECT_FALSE(p->in_insurance_catalog);
  }
}

TEST_F(CatalogProducts, QualityTierOnAConsumableIsRefused) {
  ProductSpec p = stent("stent-tiered", "mfr-kexing");
  p.quality_tier = VBP__V1__QUALITY_TIER__ORIGINATOR;
  EXPECT_TRUE(IsRefused(create_product(Caller::admin(), p), VBP_INVALID_ARGUMENT, "qualityTier"));
}

TEST_F(CatalogProducts, ConsumableWithoutCategoryIsRefused) {
  ProductSpec p = stent("stent-uncategorised", "mfr-kexing");
  p.category = "";
  EXPECT_TRUE(IsRefused(create_product(Caller::admin(), p), VBP_INVALID_ARGUMENT, "category"));
}

TEST_F(CatalogProducts, ManufacturerIdMustNameAManufacturer) {
  ensure_org("dist-sz", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "440300");
  EXPECT_TRUE(
      IsRefused(create_product(Caller::admin(), interferon("ifn-by-distributor", "dist-sz")),
                VBP_INVALID_ARGUMENT, "manufacturerId"));
  EXPECT_TRUE(
      IsRefused(create_product(Caller::admin(), interferon("ifn-by-nobody", "no-such-maker")),
                VBP_INVALID_ARGUMENT, "manufacturerId"));
}

TEST_F(CatalogProducts, ManufacturerMayCreateItsOwnProductsOnly) {
  std::string kexing = key_for("mfr-kexing", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "440300");
  ensure_org("mfr-other", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "440300");
  auto own = create_product(Caller::key(kexing), interferon("ifn-kexing-own", "mfr-kexing"));
  ASSERT_TRUE(IsOk(own));
  EXPECT_STREQ(own->manufacturer_id, "mfr-kexing");
  EXPECT_TRUE(IsRefused(create_product(Caller::key(kexing), interferon("ifn-other", "mfr-other")),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(get_product(Caller::admin(), "ifn-other"), VBP_NOT_FOUND, ""));
}

TEST_F(CatalogProducts, MissingProductIsNotFound) {
  EXPECT_TRUE(IsRefused(get_product(Caller::admin(), "no-such-product"), VBP_NOT_FOUND, ""));
}

// ---------------------------------------------------------------- groups and results

constexpr const char *kIfn = "重组人干扰素α1b";

class CatalogResults : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ensure_org("mfr-kexing", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "440300");
    ensure_interferon_batch(kBatch);
    alliance_ = alliance_key();
  }

  // A group of kBatch for the interferon generic name, and drug products of it.
  void group(const std::string &id) {
    auto r = create_group(Caller::key(alliance_), kBatch, id, kIfn, true);
    ASSERT_TRUE(IsOk(r)) << id;
  }
  void product(const std::string &id) {
    ASSERT_TRUE(IsOk(create_product(Caller::admin(), interferon(id, "mfr-kexing")))) << id;
  }
  Reply<Vbp__V1__Result> publish(const std::string &group_id, const std::string &product_id,
                                 Vbp__V1__ResultStatus status, const std::string &price,
                                 int share) {
    ResultSpec s{kBatch, product_id, group_id, status, price, share};
    return publish_result(Caller::key(alliance_), s);
  }

  static constexpr const char *kBatch = "JX-YP2023-RES";
  std::string alliance_;
};

TEST_F(CatalogResults, GroupIsCreatedOnceAndRepeatedAsTheStoredOne) {
  auto r = create_group(Caller::key(alliance_), kBatch, "G-IFN", kIfn, true);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->batch_code, kBatch);
  EXPECT_STREQ(r->id, "G-IFN");
  EXPECT_STREQ(r->generic_name, kIfn);
  EXPECT_TRUE(r->competitive);
  auto again = create_group(Caller::key(alliance_), kBatch, "G-IFN", kIfn, true);
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->id, "G-IFN");
  EXPECT_TRUE(IsRefused(create_group(Caller::key(alliance_), kBatch, "G-IFN", kIfn, false),
                        VBP_ALREADY_EXISTS, "id"));
}

TEST_F(CatalogResults, OnlyTheCreatingAllianceOfficeMayCreateGroups) {
  std::string other =
      key_for("zj-alliance-office", VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE, "330000");
  EXPECT_TRUE(IsRefused(create_group(Caller::key(other), kBatch, "G-THEIRS", kIfn, true),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(create_group(Caller::key(other), "NO-SUCH-BATCH", "G-X", kIfn, true),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(create_group(Caller::admin(), "NO-SUCH-BATCH", "G-X", kIfn, true),
                        VBP_NOT_FOUND, ""));
}

TEST_F(CatalogResults, WinningWithoutPriceIsRefused) {
  group("G-PRICE");
  product("ifn-np-1");
  EXPECT_TRUE(IsRefused(publish("G-PRICE", "ifn-np-1", VBP__V1__RESULT_STATUS__WINNING, "", 50),
                        VBP_INVALID_ARGUMENT, "winningPrice"));
  EXPECT_TRUE(IsRefused(publish("G-PRICE", "ifn-np-1", VBP__V1__RESULT_STATUS__BACKUP, "", 0),
                        VBP_INVALID_ARGUMENT, "winningPrice"));
}

TEST_F(CatalogResults, WinningPriceIsAnsweredWithFourDecimals) {
  group("G-PRICE");
  product("ifn-wp-1");
  auto r = publish("G-PRICE", "ifn-wp-1", VBP__V1__RESULT_STATUS__WINNING, "30", 10);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->batch_code, kBatch);
  EXPECT_STREQ(r->product_id, "ifn-wp-1");
  EXPECT_STREQ(r->group_id, "G-PRICE");
  EXPECT_EQ(r->status, VBP__V1__RESULT_STATUS__WINNING);
  EXPECT_STREQ(r->winning_price, "30.0000");
  EXPECT_EQ(r->share_percent, 10);
}

TEST_F(CatalogResults, PriceWithFiveDecimalsIsRefused) {
  group("G-PRICE");
  product("ifn-5d-1");
  EXPECT_TRUE(
      IsRefused(publish("G-PRICE", "ifn-5d-1", VBP__V1__RESULT_STATUS__WINNING, "30.00001", 10),
                VBP_INVALID_ARGUMENT, "winningPrice"));
  EXPECT_TRUE(IsRefused(publish("G-PRICE", "ifn-5d-1", VBP__V1__RESULT_STATUS__WINNING, "0", 10),
                        VBP_INVALID_ARGUMENT, "winningPrice"));
}

// The same breakage through another reason: it quotes the price as given (see
// CatalogRegions.RefusalQuotingAChineseCodeStillReachesTheCaller).
TEST_F(CatalogResults, RefusalQuotingAChinesePriceStillReachesTheCaller) {
  group("G-PRICE");
  product("ifn-cn-1");
  EXPECT_TRUE(
      IsRefused(publish("G-PRICE", "ifn-cn-1", VBP__V1__RESULT_STATUS__WINNING, "三十元", 10),
                VBP_INVALID_ARGUMENT, "winningPrice"));
}

TEST_F(CatalogResults, NonWinningWithAPriceIsRefused) {
  group("G-PRICE");
  product("ifn-nw-1");
  EXPECT_TRUE(
      IsRefused(publish("G-PRICE", "ifn-nw-1", VBP__V1__RESULT_STATUS__NON_WINNING, "30", 0),
                VBP_INVALID_ARGUMENT, "winningPrice"));
  auto plain = publish("G-PRICE", "ifn-nw-1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0);
  ASSERT_TRUE(IsOk(plain));
  EXPECT_STREQ(plain->winning_price, "");
  EXPECT_EQ(plain->share_percent, 0);
}

TEST_F(CatalogResults, SharesMayReachButNotPassOneHundred) {
  group("G-SHARE");
  for (const char *p : {"ifn-sh-1", "ifn-sh-2", "ifn-sh-3"}) product(p);
  ASSERT_TRUE(IsOk(publish("G-SHARE", "ifn-sh-1", VBP__V1__RESULT_STATUS__WINNING, "30", 60)));
  ASSERT_TRUE(IsOk(publish("G-SHARE", "ifn-sh-2", VBP__V1__RESULT_STATUS__WINNING, "31.5", 40)));
  EXPECT_TRUE(IsRefused(publish("G-SHARE", "ifn-sh-3", VBP__V1__RESULT_STATUS__BACKUP, "32", 1),
                        VBP_INVALID_ARGUMENT, "sharePercent"));
}

// The reason names both generic names (UTF-8): see RefusalQuotingAChineseCodeStillReachesTheCaller.
TEST_F(CatalogResults, DrugOfAnotherGenericNameIsRefusedOnGroupId) {
  group("G-GENERIC");
  ProductSpec amoxicillin = interferon("amox-kexing", "mfr-kexing");
  amoxicillin.generic_name = "阿莫西林";
  ASSERT_TRUE(IsOk(create_product(Caller::admin(), amoxicillin)));
  EXPECT_TRUE(
      IsRefused(publish("G-GENERIC", "amox-kexing", VBP__V1__RESULT_STATUS__WINNING, "30", 10),
                VBP_INVALID_ARGUMENT, "groupId"));
}

TEST_F(CatalogResults, ConsumableInADrugBatchIsRefusedOnProductId) {
  group("G-KIND");
  ASSERT_TRUE(IsOk(create_product(Caller::admin(), stent("stent-in-drug-batch", "mfr-kexing"))));
  EXPECT_TRUE(
      IsRefused(publish("G-KIND", "stent-in-drug-batch", VBP__V1__RESULT_STATUS__WINNING, "30", 10),
                VBP_INVALID_ARGUMENT, "productId"));
}

TEST_F(CatalogResults, UnknownGroupOrProductIsRefused) {
  group("G-KNOWN");
  product("ifn-known");
  EXPECT_TRUE(
      IsRefused(publish("G-UNKNOWN", "ifn-known", VBP__V1__RESULT_STATUS__WINNING, "30", 10),
                VBP_INVALID_ARGUMENT, "groupId"));
  EXPECT_TRUE(
      IsRefused(publish("G-KNOWN", "no-such-product", VBP__V1__RESULT_STATUS__WINNING, "30", 10),
                VBP_INVALID_ARGUMENT, "productId"));
}

TEST_F(CatalogResults, RepublishingTheSameResultIsAcceptedAndAnotherPriceAlreadyExists) {
  group("G-REPUB");
  product("ifn-rp-1");
  ASSERT_TRUE(IsOk(publish("G-REPUB", "ifn-rp-1", VBP__V1__RESULT_STATUS__WINNING, "30", 100)));
  auto again = publish("G-REPUB", "ifn-rp-1", VBP__V1__RESULT_STATUS__WINNING, "30.00", 100);
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->winning_price, "30.0000");
  EXPECT_EQ(again->share_percent, 100);
  EXPECT_TRUE(IsRefused(publish("G-REPUB", "ifn-rp-1", VBP__V1__RESULT_STATUS__WINNING, "29", 100),
                        VBP_ALREADY_EXISTS, "productId"));
}

TEST_F(CatalogResults, OnlyTheCreatingAllianceOfficeMayPublish) {
  group("G-PERM");
  product("ifn-perm-1");
  std::string other =
      key_for("zj-alliance-office", VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE, "330000");
  ResultSpec s{kBatch, "ifn-perm-1", "G-PERM", VBP__V1__RESULT_STATUS__WINNING, "30", 10};
  EXPECT_TRUE(IsRefused(publish_result(Caller::key(other), s), VBP_PERMISSION_DENIED, ""));
  std::string maker = key_for("mfr-kexing", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "440300");
  EXPECT_TRUE(IsRefused(publish_result(Caller::key(maker), s), VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogResults, ConcurrentPublicationsNeverPassOneHundredPercent) {
  group("G-RACE");
  std::vector<std::string> products;
  for (int i = 1; i <= 8; i++) {
    products.push_back("ifn-race-" + std::to_string(i));
    product(products.back());
  }
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<vbp_status> outcomes(products.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < products.size(); i++) {
    threads.emplace_back([&, i] {
      start.wait();
      outcomes[i] =
          publish("G-RACE", products[i], VBP__V1__RESULT_STATUS__WINNING, "30", 20).status;
    });
  }
  go.set_value();
  for (std::thread &t : threads) t.join();

  int published = 0, refused = 0;
  for (const vbp_status &st : outcomes) {
    if (st.code == VBP_OK)
      published++;
    else if (IsRefused(st, VBP_INVALID_ARGUMENT, "sharePercent"))
      refused++;
    else
      ADD_FAILURE() << "unexpected: " << IsOk(st).message();
  }
  EXPECT_EQ(published, 5);
  EXPECT_EQ(refused, 3);

  auto list = list_results(Caller::admin(), kBatch, "G-RACE",
                           VBP__V1__RESULT_STATUS__RESULT_STATUS_UNSPECIFIED, 0, "");
  ASSERT_TRUE(IsOk(list));
  EXPECT_EQ(list->n_results, 5u);
  int total = 0;
  for (size_t i = 0; i < list->n_results; i++) total += list->results[i]->share_percent;
  EXPECT_EQ(total, 100);
}

class CatalogListResults : public CatalogResults {
 protected:
  void SetUp() override {
    CatalogResults::SetUp();
    ensure_interferon_batch(kListBatch);
    for (const char *g : {"G-A", "G-B"})
      ASSERT_TRUE(IsOk(create_group(Caller::key(alliance_), kListBatch, g, kIfn, true)));
    for (const char *p : {"ls-a1", "ls-a2", "ls-a3", "ls-b1", "ls-b2"}) product(p);
    struct Row {
      const char *product, *group;
      Vbp__V1__ResultStatus status;
      const char *price;
      int share;
    } rows[] = {
        {"ls-a1", "G-A", VBP__V1__RESULT_STATUS__WINNING, "30", 60},
        {"ls-a2", "G-A", VBP__V1__RESULT_STATUS__BACKUP, "32.5", 40},
        {"ls-a3", "G-A", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0},
        {"ls-b1", "G-B", VBP__V1__RESULT_STATUS__WINNING, "12.3456", 100},
        {"ls-b2", "G-B", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0},
    };
    for (const Row &row : rows) {
      ResultSpec s{kListBatch, row.product, row.group, row.status, row.price, row.share};
      ASSERT_TRUE(IsOk(publish_result(Caller::key(alliance_), s))) << row.product;
    }
  }

  static std::vector<std::string> ids(const Vbp__V1__ListResultsResponse *r) {
    std::vector<std::string> out;
    for (size_t i = 0; r != nullptr && i < r->n_results; i++)
      out.push_back(r->results[i]->product_id);
    return out;
  }

  static constexpr const char *kListBatch = "JX-YP2023-LIST";
  static constexpr Vbp__V1__ResultStatus kAny = VBP__V1__RESULT_STATUS__RESULT_STATUS_UNSPECIFIED;
};

TEST_F(CatalogListResults, FiltersByGroupAndByStatus) {
  auto all = list_results(Caller::admin(), kListBatch, "", kAny, 0, "");
  ASSERT_TRUE(IsOk(all));
  EXPECT_EQ(ids(all.get()), (Ids{"ls-a1", "ls-a2", "ls-a3", "ls-b1", "ls-b2"}));
  EXPECT_STREQ(all->next_page_token, "");
  ASSERT_EQ(all->n_results, 5u);
  EXPECT_STREQ(all->results[1]->winning_price, "32.5000");
  EXPECT_EQ(all->results[1]->status, VBP__V1__RESULT_STATUS__BACKUP);
  EXPECT_STREQ(all->results[3]->winning_price, "12.3456");
  EXPECT_STREQ(all->results[4]->winning_price, "");

  auto group_a = list_results(Caller::admin(), kListBatch, "G-A", kAny, 0, "");
  ASSERT_TRUE(IsOk(group_a));
  EXPECT_EQ(ids(group_a.get()), (Ids{"ls-a1", "ls-a2", "ls-a3"}));
  auto non_winning =
      list_results(Caller::admin(), kListBatch, "", VBP__V1__RESULT_STATUS__NON_WINNING, 0, "");
  ASSERT_TRUE(IsOk(non_winning));
  EXPECT_EQ(ids(non_winning.get()), (Ids{"ls-a3", "ls-b2"}));
  std::string reader = key_for("mfr-kexing", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "440300");
  auto winning_b =
      list_results(Caller::key(reader), kListBatch, "G-B", VBP__V1__RESULT_STATUS__WINNING, 0, "");
  ASSERT_TRUE(IsOk(winning_b));
  EXPECT_EQ(ids(winning_b.get()), (Ids{"ls-b1"}));
}

TEST_F(CatalogListResults, PagesOfTwoHoldTwoTwoAndOne) {
  auto p1 = list_results(Caller::admin(), kListBatch, "", kAny, 2, "");
  ASSERT_TRUE(IsOk(p1));
  EXPECT_EQ(ids(p1.get()), (Ids{"ls-a1", "ls-a2"}));
  ASSERT_STRNE(p1->next_page_token, "");
  auto p2 = list_results(Caller::admin(), kListBatch, "", kAny, 2, p1->next_page_token);
  ASSERT_TRUE(IsOk(p2));
  EXPECT_EQ(ids(p2.get()), (Ids{"ls-a3", "ls-b1"}));
  ASSERT_STRNE(p2->next_page_token, "");
  auto p3 = list_results(Caller::admin(), kListBatch, "", kAny, 2, p2->next_page_token);
  ASSERT_TRUE(IsOk(p3));
  EXPECT_EQ(ids(p3.get()), (Ids{"ls-b2"}));
  EXPECT_STREQ(p3->next_page_token, "");

  auto other_filter =
      list_results(Caller::admin(), kListBatch, "G-A", kAny, 2, p1->next_page_token);
  EXPECT_TRUE(IsRefused(other_filter, VBP_INVALID_ARGUMENT, "pageToken"));
  EXPECT_TRUE(IsRefused(list_results(Caller::admin(), kListBatch, "", kAny, -5, ""),
                        VBP_INVALID_ARGUMENT, "pageSize"));
}

TEST_F(CatalogListResults, MissingBatchIsNotFound) {
  EXPECT_TRUE(IsRefused(list_results(Caller::admin(), "NO-SUCH-BATCH", "", kAny, 0, ""),
                        VBP_NOT_FOUND, ""));
}

// ---------------------------------------------------------------- API keys and Authenticate

class CatalogApiKeys : public CatalogTest {};

TEST_F(CatalogApiKeys, MintedKeyWorksUntilRevoked) {
  ensure_org("fz-hospital-key", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350100");
  auto key = create_api_key(Caller::admin(), "fz-hospital-key");
  ASSERT_TRUE(IsOk(key));
  EXPECT_EQ(std::string(key->id).rfind("key_", 0), 0u) << key->id;
  EXPECT_EQ(std::string(key->key).rfind("vbp_", 0), 0u);
  EXPECT_STREQ(key->organization_id, "fz-hospital-key");
  EXPECT_EQ(key->role, VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION);

  const std::string secret = key->key, id = key->id;
  auto before = get_organization(Caller::key(secret), "fz-hospital-key");
  ASSERT_TRUE(IsOk(before));  // and now the key is in the server's cache
  EXPECT_STREQ(before->id, "fz-hospital-key");

  auto revoked = revoke_api_key(Caller::admin(), id);
  ASSERT_TRUE(IsOk(revoked));
  EXPECT_TRUE(
      IsRefused(get_organization(Caller::key(secret), "fz-hospital-key"), VBP_UNAUTHENTICATED, ""));
  EXPECT_TRUE(IsOk(revoke_api_key(Caller::admin(), id)));  // revoking twice changes nothing
}

TEST_F(CatalogApiKeys, RevokingAMissingKeyIsNotFoundForTheAdminAndDeniedForABureau) {
  EXPECT_TRUE(IsRefused(revoke_api_key(Caller::admin(), "key_missing"), VBP_NOT_FOUND, ""));
  std::string bureau = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  EXPECT_TRUE(
      IsRefused(revoke_api_key(Caller::key(bureau), "key_missing"), VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogApiKeys, BureauMintsAndRevokesKeysInsideItsRegionOnly) {
  std::string bureau = key_for("fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000");
  ensure_org("fz-pharmacy", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  ensure_org("nc-pharmacy", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "360100");
  auto inside = create_api_key(Caller::key(bureau), "fz-pharmacy");
  ASSERT_TRUE(IsOk(inside));
  EXPECT_STREQ(inside->organization_id, "fz-pharmacy");
  EXPECT_EQ(inside->role, VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR);
  EXPECT_TRUE(
      IsRefused(create_api_key(Caller::key(bureau), "nc-pharmacy"), VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(
      IsRefused(create_api_key(Caller::key(bureau), "no-such-org"), VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(create_api_key(Caller::admin(), "no-such-org"), VBP_NOT_FOUND, ""));

  auto outside = create_api_key(Caller::admin(), "nc-pharmacy");
  ASSERT_TRUE(IsOk(outside));
  EXPECT_TRUE(
      IsRefused(revoke_api_key(Caller::key(bureau), outside->id), VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsOk(revoke_api_key(Caller::key(bureau), inside->id)));
}

TEST_F(CatalogApiKeys, OnlyAdminsAndBureausMintKeys) {
  std::string maker = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  EXPECT_TRUE(IsRefused(create_api_key(Caller::key(maker), "mfr-fj"), VBP_PERMISSION_DENIED, ""));
}

// Regression (role escalation): a provincial bureau created an ALLIANCE_OFFICE in its region,
// minted a key for it, and with that key created a batch led by another province. Every kind x
// caller x region: who may create the organization, and mint and revoke the keys of one.
TEST_F(CatalogApiKeys, NoCallerCreatesAnOrganizationOrAKeyThatCouldDoMoreThanItself) {
  const Vbp__V1__OrganizationKind kinds[] = {
      VBP__V1__ORGANIZATION_KIND__BUREAU,          VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY,
      VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE, VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION,
      VBP__V1__ORGANIZATION_KIND__MANUFACTURER,    VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR};
  const char *const regions[] = {"350000", "350100", "350102", "360000"};
  struct Who {
    const char *name;
    Caller caller;
    // Per region (as above), per kind (BUR AGY ALL MED MFR DIS): x may, . may not.
    const char *allowed[4];
  };
  const Who callers[] = {
      {"admin", Caller::admin(), {"xxxxxx", "xxxxxx", "xxxxxx", "xxxxxx"}},
      {"Fujian bureau",
       Caller::key(key_for("esc-fj-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000")),
       {".x.xxx", "xx.xxx", "xx.xxx", "......"}},
      {"Fuzhou bureau",
       Caller::key(key_for("esc-fz-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350100")),
       {"......", ".x.xxx", "xx.xxx", "......"}},
      {"alliance office", Caller::key(alliance_key()), {"......", "......", "......", "......"}},
      {"manufacturer",
       Caller::key(key_for("esc-maker", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100")),
       {"......", "......", "......", "......"}},
  };
  for (const char *region : regions) ensure_region(region);
  int n = 0;
  for (size_t r = 0; r < 4; r++) {
    for (size_t k = 0; k < 6; k++) {
      // One organization of this kind here, made by the admin, whose keys the callers try.
      std::string target = "esc-t-" + std::to_string(r) + "-" + std::to_string(k);
      ensure_org(target, kinds[k], regions[r]);
      auto admin_key = create_api_key(Caller::admin(), target);
      ASSERT_TRUE(IsOk(admin_key));
      for (const Who &w : callers) {
        bool may = w.allowed[r][k] == 'x';
        std::string where =
            std::string(w.name) + " / kind " + std::to_string(kinds[k]) + " / " + regions[r];
        auto created =
            create_organization(w.caller, org("esc-" + std::to_string(n++), kinds[k], regions[r]));
        EXPECT_TRUE(may ? IsOk(created) : IsRefused(created, VBP_PERMISSION_DENIED, "")) << where;
        auto key = create_api_key(w.caller, target);
        EXPECT_TRUE(may ? IsOk(key) : IsRefused(key, VBP_PERMISSION_DENIED, "")) << where;
        auto revoked = revoke_api_key(w.caller, admin_key->id);
        EXPECT_TRUE(may ? IsOk(revoked) : IsRefused(revoked, VBP_PERMISSION_DENIED, "")) << where;
      }
    }
  }
}

TEST_F(CatalogApiKeys, ListKeyRevocationsNamesARevokedKeyToServicesAndIsRefusedToOrganizations) {
  ensure_org("fz-hospital-rev", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102");
  auto key = create_api_key(Caller::admin(), "fz-hospital-rev");
  ASSERT_TRUE(IsOk(key));
  Caller service = Caller::signed_as(VBP_ROLE_SERVICE, "", "");
  Vbp__V1__ListKeyRevocationsRequest req = VBP__V1__LIST_KEY_REVOCATIONS_REQUEST__INIT;
  auto before = call<Vbp__V1__KeyRevocations>("ListKeyRevocations", service, &req.base);
  ASSERT_TRUE(IsOk(before));
  EXPECT_TRUE(before->everything);  // no after_version: nothing to list from

  ASSERT_TRUE(IsOk(revoke_api_key(Caller::admin(), key->id)));
  req.after_version = before->version;
  auto after = call<Vbp__V1__KeyRevocations>("ListKeyRevocations", service, &req.base);
  ASSERT_TRUE(IsOk(after));
  EXPECT_FALSE(after->everything);
  EXPECT_GT(after->version, before->version);
  char sha[65];
  vbp_sha256_hex(key->key, std::strlen(key->key), sha);
  bool listed = false;
  for (size_t i = 0; i < after->n_key_sha256s; i++)
    listed |= std::string(after->key_sha256s[i]) == sha;
  EXPECT_TRUE(listed) << "the revoked key's SHA-256 is not among those listed";

  std::string maker = key_for("mfr-rev", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  EXPECT_TRUE(
      IsRefused(call<Vbp__V1__KeyRevocations>("ListKeyRevocations", Caller::key(maker), &req.base),
                VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogApiKeys, AuthenticateIsRefusedToOrdinaryKeys) {
  std::string maker = key_for("mfr-fj", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  char sha[65];
  vbp_sha256_hex(maker.data(), maker.size(), sha);
  EXPECT_TRUE(IsRefused(authenticate(Caller::key(maker), sha), VBP_PERMISSION_DENIED, ""));
}

TEST_F(CatalogApiKeys, ServiceAuthenticatesAKeyByItsSha256) {
  ensure_org("fz-hospital-auth", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102");
  auto key = create_api_key(Caller::admin(), "fz-hospital-auth");
  ASSERT_TRUE(IsOk(key));
  char sha[65];
  vbp_sha256_hex(key->key, std::strlen(key->key), sha);
  Caller service = Caller::signed_as(VBP_ROLE_SERVICE, "", "");
  auto r = authenticate(service, sha);
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->key_id, key->id);
  EXPECT_STREQ(r->organization_id, "fz-hospital-auth");
  EXPECT_EQ(r->role, VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION);
  EXPECT_STREQ(r->region_code, "350102");
  EXPECT_TRUE(IsOk(authenticate(Caller::admin(), sha)));

  ASSERT_TRUE(IsOk(revoke_api_key(Caller::admin(), key->id)));
  EXPECT_TRUE(IsRefused(authenticate(service, sha), VBP_NOT_FOUND, ""));
}

TEST_F(CatalogApiKeys, AuthenticateAnswersNotFoundForAnUnknownHash) {
  char sha[65];
  vbp_sha256_hex("no such key", 11, sha);
  EXPECT_TRUE(
      IsRefused(authenticate(Caller::signed_as(VBP_ROLE_SERVICE, "", ""), sha), VBP_NOT_FOUND, ""));
}

TEST_F(CatalogApiKeys, AuthenticateRefusesAMalformedHash) {
  Caller service = Caller::signed_as(VBP_ROLE_SERVICE, "", "");
  char sha[65];
  vbp_sha256_hex("x", 1, sha);
  std::string upper = sha;
  for (char &ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (const std::string &bad : {std::string("abc"), std::string(sha) + "0", upper, std::string()})
    EXPECT_TRUE(IsRefused(authenticate(service, bad), VBP_INVALID_ARGUMENT, "keySha256")) << bad;
}

// ---------------------------------------------------------------- signed identity

class CatalogSignedIdentity : public CatalogTest {};

TEST_F(CatalogSignedIdentity, CallerSignedWithTheSecretActsAsThatCaller) {
  ensure_region("350000");
  ensure_region("360000");
  // A bureau of Fujian, as the gateway passes it: what it may do is what a Fujian bureau may.
  Caller bureau = Caller::signed_as(VBP_ROLE_BUREAU, "fj-bureau-signed", "350000");
  auto putian = create_region(bureau, "350300", "莆田市", VBP__V1__REGION_LEVEL__CITY, "350000");
  ASSERT_TRUE(IsOk(putian));
  EXPECT_STREQ(putian->code, "350300");
  EXPECT_TRUE(
      IsRefused(create_region(bureau, "360100", "南昌市", VBP__V1__REGION_LEVEL__CITY, "360000"),
                VBP_PERMISSION_DENIED, ""));
  // An alliance office's batch records the signed organization as its creator.
  Caller office = Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, "signed-alliance-office", "360000");
  auto batch = create_batch(office, interferon_batch("JX-SIGNED"));
  ASSERT_TRUE(IsOk(batch));
  EXPECT_STREQ(batch->created_by, "signed-alliance-office");
}

TEST_F(CatalogSignedIdentity, CallerSignedWithAnotherSecretIsUnauthenticated) {
  ensure_org("read-me", VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, "350100");
  Caller forged = Caller::forged_as(VBP_ROLE_BUREAU, "fj-bureau", "350000");
  EXPECT_TRUE(IsRefused(get_organization(forged, "read-me"), VBP_UNAUTHENTICATED, ""));
  EXPECT_TRUE(
      IsRefused(create_region(forged, "350400", "三明市", VBP__V1__REGION_LEVEL__CITY, "350000"),
                VBP_UNAUTHENTICATED, ""));
  // Signed metadata wins over a bearer key: a forged caller is not rescued by the admin key.
  forged.bearer = kAdminKey;
  EXPECT_TRUE(IsRefused(get_organization(forged, "read-me"), VBP_UNAUTHENTICATED, ""));
}

// ---------------------------------------------------------------- health

class CatalogHealth : public CatalogTest {};

TEST_F(CatalogHealth, ServingWhileTheDatabaseAnswers) {
  vbp_status st = vbp_client_health(CatalogStack::instance()->client(), NULL, 5000);
  EXPECT_TRUE(IsOk(st));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Registered after test_stack.cpp's environment (made during static initialisation), so it is
  // torn down first: the server and pool are gone before the database is dropped.
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  return RUN_ALL_TESTS();
}
