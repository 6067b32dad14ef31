// The enterprises' supervision record (DOMAIN.md "Supervision", API.md GetEnterpriseRecord):
// catalog-svc gathers volume-svc's verified supply issues and flagged purchases, contract-svc's
// contracts left unsigned when the enterprises' window closed, and its own non-winning listings
// above a group's maxNonWinningPrice (asked of pricing-svc's ListListings). All four cores (the
// code that ships) are served in-process over real gRPC against PostgreSQL, on the volume tests'
// Fujian scenario (volume_fixture.h) with a second batch of its own that has signing windows and
// a capped group. Entries, pages and refusals are asserted exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "catalog_harness.h"
#include "contract_harness.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/feed.pb-c.h"
#include "volume_fixture.h"

namespace {

// Fujian's seed windows (enterprises 7/4-7/8, hospitals 7/9-7/12), a group capped at 35.0000.
const char *const kRecordBatch = "VR-2024";
const char *const kD1 = "dist-1";  // in Fuzhou
const char *const kM3 = "mfr-3";
const char *const kFzAgency = "agency-fz";

Caller distributor(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_DISTRIBUTOR, id, "350100");
}

Reply<Vbp__V1__Group> create_capped_group(const Caller &who, const std::string &batch,
                                          const std::string &id, const std::string &generic,
                                          const std::string &cap) {
  Vbp__V1__Group req = VBP__V1__GROUP__INIT;
  req.batch_code = held(batch);
  req.id = held(id);
  req.generic_name = held(generic);
  req.competitive = true;
  req.max_non_winning_price = held(cap);
  return call<Vbp__V1__Group>("CreateGroup", who, &req.base);
}

Reply<Vbp__V1__EnterpriseRecord> record_of(const Caller &who, const std::string &org,
                                           int page_size = 0, const std::string &token = "") {
  Vbp__V1__GetEnterpriseRecordRequest req = VBP__V1__GET_ENTERPRISE_RECORD_REQUEST__INIT;
  req.organization_id = held(org);
  req.page_size = page_size;
  req.page_token = held(token);
  return call<Vbp__V1__EnterpriseRecord>("GetEnterpriseRecord", who, &req.base);
}

std::string kind_name(int kind) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&vbp__v1__record_entry__kind__descriptor, kind);
  return v ? v->name : "?";
}

// "KIND at batch product region | detail", one per entry.
std::vector<std::string> entries_of(const Vbp__V1__EnterpriseRecord *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_entries; i++) {
    const Vbp__V1__RecordEntry *e = r->entries[i];
    out.push_back(kind_name(e->kind) + " " + e->at + " " + e->batch_code + " " + e->product_id +
                  " " + e->region_code + " | " + e->detail);
  }
  return out;
}

// Every entry, page by page of page_size; fails the test on a refusal or a page over its size.
std::vector<std::string> all_pages(const Caller &who, const std::string &org, int page_size,
                                   int *pages) {
  std::vector<std::string> out;
  std::string token;
  *pages = 0;
  do {
    auto r = record_of(who, org, page_size, token);
    EXPECT_TRUE(IsOk(r)) << "page " << *pages;
    if (!r.ok()) break;
    EXPECT_LE(r->n_entries, static_cast<size_t>(page_size));
    for (const std::string &e : entries_of(r.get())) out.push_back(e);
    token = r->next_page_token;
    ++*pages;
  } while (!token.empty() && *pages < 20);
  return out;
}

class RecordTest : public VolumeTest {
 protected:
  void SetUp() override {
    VolumeTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NE(ContractStack::instance(), nullptr) << "ContractStack is not registered";
    CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                        ContractStack::instance()->client());
    ASSERT_NO_FATAL_FAILURE(scenario());
  }
  void TearDown() override { CatalogStack::instance()->set_peers(nullptr, nullptr); }

  static void listing(const std::string &product, const std::string &price,
                      const std::string &listed_on) {
    Vbp__V1__Listing req = VBP__V1__LISTING__INIT;
    req.region_code = held("350000");
    req.product_id = held(product);
    req.price = held(price);
    req.listed_on = held(listed_on);
    ASSERT_TRUE(IsOk(pricing_call<Vbp__V1__Listing>("UpsertListing", Caller::admin(), &req.base)));
  }
  static void result(const std::string &product, const std::string &group,
                     Vbp__V1__ResultStatus status, const std::string &price, int share) {
    ResultSpec r;
    r.batch_code = kRecordBatch;
    r.product_id = product;
    r.group_id = group;
    r.status = status;
    r.winning_price = price;
    r.share_percent = share;
    ASSERT_TRUE(IsOk(publish_result(Caller::admin(), r))) << product;
  }
  static void name_distributor(const std::string &product, const std::string &area) {
    Vbp__V1__AuthorizeDistributorRequest req = VBP__V1__AUTHORIZE_DISTRIBUTOR_REQUEST__INIT;
    req.manufacturer_id = held(kM1);
    req.product_id = held(product);
    req.distributor_id = held(kD1);
    req.region_code = held(area);
    ASSERT_TRUE(IsOk(contract_call<Vbp__V1__Authorization>("AuthorizeDistributor",
                                                           manufacturer(kM1), &req.base)))
        << product << " " << area;
  }
  static std::string contract(const std::string &institution, const std::string &product,
                              int64_t quantity) {
    Vbp__V1__Contract req = VBP__V1__CONTRACT__INIT;
    req.batch_code = held(kRecordBatch);
    req.region_code = held("350000");
    req.institution_id = held(institution);
    req.product_id = held(product);
    req.distributor_id = held(kD1);
    req.agreement_year = 1;
    req.quantity = quantity;
    auto r = contract_call<Vbp__V1__Contract>("CreateContract", bureau(kFujianBureau), &req.base);
    EXPECT_TRUE(IsOk(r)) << institution << " " << product;
    return r.ok() ? std::string(r->id) : std::string("no-contract");
  }
  static void sign(const Caller &who, const std::string &id, Vbp__V1__Signature__Party party) {
    Vbp__V1__SignContractRequest req = VBP__V1__SIGN_CONTRACT_REQUEST__INIT;
    req.id = held(id);
    req.party = party;
    req.signer_name = held("张经理");
    req.document_sha256 = held("cc8321d6375c494d043fdd0260f21bc0ec51dacc9f6abb7f909cdcd3041b78bf");
    ASSERT_TRUE(IsOk(contract_call<Vbp__V1__Contract>("SignContract", who, &req.base)))
        << id << " " << party;
  }
  // A verified supply issue of the volume batch; its verification day (China) as the record's at.
  static std::string verified_issue(const std::string &institution, const std::string &product) {
    auto r = report_issue(institution_caller(institution),
                          supply_issue(institution, product, "2025-01-10", "2025-01-20"));
    EXPECT_TRUE(IsOk(r)) << product;
    if (!r.ok()) return "";
    auto v = verify_issue(bureau(kFujianBureau), r->id, "属实");
    EXPECT_TRUE(IsOk(v)) << product;
    return v.ok() ? std::string(v->verified_at).substr(0, 10) : std::string();
  }
  static Caller institution_caller(const std::string &id) { return institution(id); }

  void scenario() {
    ensure_org(kD1, VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
    ensure_org(kFzAgency, VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, "350100");
    ProductSpec n1;
    n1.id = "N1";
    n1.generic_name = "干扰素";
    n1.dosage_form = "注射剂";
    n1.specification = "100万IU";
    n1.unit = "支";
    n1.manufacturer_id = kM1;
    n1.quality_tier = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
    n1.in_insurance_catalog = true;
    ASSERT_TRUE(IsOk(create_product(Caller::admin(), n1)));

    BatchSpec b;
    b.code = kRecordBatch;
    b.name = "干扰素带量采购（监管）";
    b.kind = VBP__V1__PRODUCT_KIND__DRUG;
    b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
    b.lead_region_code = "350000";
    b.member_region_codes = {"350000"};
    b.cycle_years = 4;
    ASSERT_TRUE(IsOk(create_batch(Caller::admin(), b)));
    ExecutionSpec e;
    e.batch_code = kRecordBatch;
    e.region_code = "350000";
    e.listing_date = "2024-07-01";
    e.start_date = "2024-07-22";
    e.enterprise_sign_from = "2024-07-04";
    e.enterprise_sign_to = "2024-07-08";
    e.institution_sign_from = "2024-07-09";
    e.institution_sign_to = "2024-07-12";
    ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
    auto w1 = create_capped_group(Caller::admin(), kRecordBatch, "W1", "干扰素", "35");
    ASSERT_TRUE(IsOk(w1));
    EXPECT_STREQ(w1->max_non_winning_price, "35.0000");
    ASSERT_TRUE(IsOk(create_group(Caller::admin(), kRecordBatch, "W2", "胸腺肽", false)));
    ASSERT_NO_FATAL_FAILURE(result("A", "W1", VBP__V1__RESULT_STATUS__WINNING, "30.0000", 100));
    ASSERT_NO_FATAL_FAILURE(result("N1", "W1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0));
    ASSERT_NO_FATAL_FAILURE(result("C", "W1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0));
    ASSERT_NO_FATAL_FAILURE(result("E", "W2", VBP__V1__RESULT_STATUS__WINNING, "10.0000", 100));
    // Above the cap from the execution's listing date on: N1 at 40, C at 36.5 (then 34, below).
    // Before it (N1's 2024-06-01, C's 2024-01-01 of the fixture) the cap did not bind yet.
    ASSERT_NO_FATAL_FAILURE(listing("N1", "50", "2024-06-01"));
    ASSERT_NO_FATAL_FAILURE(listing("N1", "40", "2024-08-01"));
    ASSERT_NO_FATAL_FAILURE(listing("C", "36.5", "2024-08-01"));
    ASSERT_NO_FATAL_FAILURE(listing("C", "34", "2024-09-01"));

    // Contracts of the first year: k1 signed by M1 only, k2 by nobody, k3 by all, k4 by nobody
    // and terminated after the window.
    ASSERT_NO_FATAL_FAILURE(name_distributor("A", "350100"));
    ASSERT_NO_FATAL_FAILURE(name_distributor("A", "350000"));
    ASSERT_NO_FATAL_FAILURE(name_distributor("E", "350100"));
    k1_ = contract(kCountyHospital, "A", 100);
    k2_ = contract(kCityHospital, "A", 100);
    k3_ = contract(kProvincialHospital, "A", 100);
    k4_ = contract(kCountyHospital, "E", 50);
    pin_today("2024-07-05");
    ASSERT_NO_FATAL_FAILURE(sign(manufacturer(kM1), k1_, VBP__V1__SIGNATURE__PARTY__MANUFACTURER));
    ASSERT_NO_FATAL_FAILURE(sign(manufacturer(kM1), k3_, VBP__V1__SIGNATURE__PARTY__MANUFACTURER));
    ASSERT_NO_FATAL_FAILURE(sign(distributor(kD1), k3_, VBP__V1__SIGNATURE__PARTY__DISTRIBUTOR));
    pin_today("2024-07-10");
    ASSERT_NO_FATAL_FAILURE(
        sign(institution(kProvincialHospital), k3_, VBP__V1__SIGNATURE__PARTY__INSTITUTION));
    pin_today("2025-03-01");
    Vbp__V1__TerminateContractRequest t = VBP__V1__TERMINATE_CONTRACT_REQUEST__INIT;
    t.id = held(k4_);
    t.reason = held("未按期签约");
    ASSERT_TRUE(IsOk(
        contract_call<Vbp__V1__Contract>("TerminateContract", bureau(kFujianBureau), &t.base)));

    // Supply issues: A's and B's verified, E's only reported.
    issue_a_ = verified_issue(kCountyHospital, "A");
    issue_b_ = verified_issue(kCityHospital, "B");
    ASSERT_TRUE(IsOk(report_issue(institution(kCityHospital),
                                  supply_issue(kCityHospital, "E", "2025-02-01", "2025-02-02"))));
    // Purchases: A above its limit 30.0000 at hosp-county, at it at hosp-city; B above 28.0000.
    auto above = record(institution(kCountyHospital),
                        purchase(kCountyHospital, "A", 10, "400", "2025-01-15", "r-1"));
    ASSERT_TRUE(IsOk(above));
    ASSERT_TRUE(above->above_limit);
    auto at_limit = record(institution(kCityHospital),
                           purchase(kCityHospital, "A", 10, "300", "2025-01-16", "r-2"));
    ASSERT_TRUE(IsOk(at_limit));
    ASSERT_FALSE(at_limit->above_limit);
    auto b_above = record(institution(kCityHospital),
                          purchase(kCityHospital, "B", 10, "300", "2025-01-17", "r-3"));
    ASSERT_TRUE(IsOk(b_above));
    ASSERT_TRUE(b_above->above_limit);
  }

  // ---- the expected entries
  std::string supply_a() const {
    return "SUPPLY_ISSUE " + issue_a_ +
           " VT-2024 A 350102 | Supply of A to hosp-county interrupted from 2025-01-10 to "
           "2025-01-20 (中选企业断供), verified by bur-fj.";
  }
  static std::string above_a() {
    return "ABOVE_LIMIT_PURCHASE 2025-01-15 VT-2024 A 350102 | hosp-county bought 10 of A for "
           "400.0000, 40.0000 a unit, above the max sale price 30.0000 in force.";
  }
  static std::string unsigned_entry(const std::string &id, const std::string &institution,
                                    const std::string &product, const std::string &region,
                                    const std::string &quantity, const std::string &price,
                                    const std::string &org, const std::string &as) {
    return "UNSIGNED_CONTRACT 2024-07-08 VR-2024 " + product + " " + region + " | Contract " + id +
           " with " + institution + " for " + quantity + " of " + product + " at " + price +
           " was not signed by " + org + " (" + as +
           ") when the enterprises' window (C2) closed on 2024-07-08.";
  }
  // The unsigned contracts of org among k1, k2, k4 (ordered by id, as the record orders them
  // within a day).
  std::vector<std::string> unsigned_of(const std::string &org, bool with_k1) const {
    struct K {
      std::string id, institution, product, region, quantity, price;
    };
    std::vector<K> ks;
    if (with_k1) ks.push_back({k1_, kCountyHospital, "A", "350102", "100", "30.0000"});
    ks.push_back({k2_, kCityHospital, "A", "350100", "100", "30.0000"});
    ks.push_back({k4_, kCountyHospital, "E", "350102", "50", "10.0000"});
    std::sort(ks.begin(), ks.end(), [](const K &x, const K &y) { return x.id < y.id; });
    std::vector<std::string> out;
    const std::string as = org == kD1 ? "distributor" : "manufacturer";
    for (const K &k : ks)
      out.push_back(
          unsigned_entry(k.id, k.institution, k.product, k.region, k.quantity, k.price, org, as));
    return out;
  }
  static std::string capped_n1() {
    return "NON_WINNING_ABOVE_CAP 2024-08-01 VR-2024 N1 350000 | Non-winning N1 listed in "
           "350000 at 40.0000 from 2024-08-01, above the 35.0000 the alliance office set for "
           "non-winning products of group W1.";
  }
  // M1's whole record, in the record's order.
  std::vector<std::string> m1_record() const {
    std::vector<std::string> out = {supply_a(), above_a()};
    for (const std::string &u : unsigned_of(kM1, false)) out.push_back(u);
    out.push_back(capped_n1());
    return out;
  }

  std::string k1_, k2_, k3_, k4_, issue_a_, issue_b_;
};

// ---------------------------------------------------------------- each kind, where it belongs

TEST_F(RecordTest, TheManufacturerReadsEveryKindOfItsOwnRecord) {
  auto r = record_of(manufacturer(kM1), kM1);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(entries_of(r.get()), m1_record());
  EXPECT_STREQ(r->next_page_token, "");
  // The admin and the provincial bureau read the same.
  auto admin = record_of(Caller::admin(), kM1);
  ASSERT_TRUE(IsOk(admin));
  EXPECT_EQ(entries_of(admin.get()), m1_record());
  auto fujian = record_of(bureau(kFujianBureau), kM1);
  ASSERT_TRUE(IsOk(fujian));
  EXPECT_EQ(entries_of(fujian.get()), m1_record());
}

TEST_F(RecordTest, AnotherManufacturersRecordShowsOnlyItsOwnEntries) {
  // M2: B's verified issue and flagged purchase, nothing of M1's.
  auto m2 = record_of(manufacturer(kM2), kM2);
  ASSERT_TRUE(IsOk(m2));
  EXPECT_EQ(entries_of(m2.get()),
            (std::vector<std::string>{
                "SUPPLY_ISSUE " + issue_b_ +
                    " VT-2024 B 350100 | Supply of B to hosp-city interrupted from 2025-01-10 to "
                    "2025-01-20 (中选企业断供), verified by bur-fj.",
                "ABOVE_LIMIT_PURCHASE 2025-01-17 VT-2024 B 350100 | hosp-city bought 10 of B for "
                "300.0000, 30.0000 a unit, above the max sale price 28.0000 in force."}));
  // M3: C's listing above W1's cap from 2024-08-01 (its 34.0000 of 2024-09-01 is below it, its
  // 38.0000 of 2024-01-01 before the execution's listing date).
  auto m3 = record_of(Caller::signed_as(VBP_ROLE_MANUFACTURER, kM3, "350000"), kM3);
  ASSERT_TRUE(IsOk(m3));
  EXPECT_EQ(entries_of(m3.get()),
            (std::vector<std::string>{
                "NON_WINNING_ABOVE_CAP 2024-08-01 VR-2024 C 350000 | Non-winning C listed in "
                "350000 at 36.5000 from 2024-08-01, above the 35.0000 the alliance office set "
                "for non-winning products of group W1."}));
  // mfr-4: R is NON_WINNING in a group without a cap; nothing else of its products happened.
  auto m4 = record_of(Caller::admin(), "mfr-4");
  ASSERT_TRUE(IsOk(m4));
  EXPECT_EQ(m4->n_entries, 0u);
  EXPECT_STREQ(m4->next_page_token, "");
}

TEST_F(RecordTest, ADistributorsRecordHasOnlyItsUnsignedContracts) {
  // k1 (signed by M1, not by the distributor), k2 and k4; not k3, which both signed.
  auto r = record_of(distributor(kD1), kD1);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(entries_of(r.get()), unsigned_of(kD1, true));
  // The same for the admin.
  auto admin = record_of(Caller::admin(), kD1);
  ASSERT_TRUE(IsOk(admin));
  EXPECT_EQ(entries_of(admin.get()), unsigned_of(kD1, true));
}

TEST_F(RecordTest, NothingIsUnsignedWhileTheWindowIsOpen) {
  // On the window's last day nothing has closed yet; the day after, it closed on that day.
  pin_today("2024-07-08");
  auto open = record_of(distributor(kD1), kD1);
  ASSERT_TRUE(IsOk(open));
  EXPECT_EQ(open->n_entries, 0u);
  pin_today("2024-07-09");
  auto closed = record_of(distributor(kD1), kD1);
  ASSERT_TRUE(IsOk(closed));
  EXPECT_EQ(entries_of(closed.get()), unsigned_of(kD1, true));
}

// ---------------------------------------------------------------- bureaus see their region's

TEST_F(RecordTest, ABureauSeesTheEntriesInItsRegionOnly) {
  // Fuzhou (350100): hosp-county's and hosp-city's entries, not the provincial listing.
  std::vector<std::string> fuzhou = {supply_a(), above_a()};
  for (const std::string &u : unsigned_of(kM1, false)) fuzhou.push_back(u);
  auto fz = record_of(bureau(kFuzhouBureau), kM1);
  ASSERT_TRUE(IsOk(fz));
  EXPECT_EQ(entries_of(fz.get()), fuzhou);
  // 鼓楼区 (350102): hosp-county's only.
  auto gl = record_of(bureau(kGulouBureau), kM1);
  ASSERT_TRUE(IsOk(gl));
  std::vector<std::string> gulou = {supply_a(), above_a()};
  for (const std::string &u : unsigned_of(kM1, false))
    if (u.find(" E 350102 ") != std::string::npos) gulou.push_back(u);
  EXPECT_EQ(entries_of(gl.get()), gulou);
  // Xiamen and Jiangxi: nothing of Fuzhou's or Fujian's.
  for (const Caller &other :
       {bureau(kXiamenBureau), Caller::signed_as(VBP_ROLE_BUREAU, "bur-jx", "360000")}) {
    for (const char *org : {kM1, kM3, kD1}) {
      auto r = record_of(other, org);
      ASSERT_TRUE(IsOk(r)) << org;
      EXPECT_EQ(r->n_entries, 0u) << org;
      EXPECT_STREQ(r->next_page_token, "") << org;
    }
  }
}

// ---------------------------------------------------------------- pages

TEST_F(RecordTest, PagesRunAcrossTheSourcesWithoutLossOrRepeat) {
  const std::vector<std::string> whole = m1_record();
  ASSERT_EQ(whole.size(), 5u);
  for (int size : {1, 2, 3, 4}) {
    int pages = 0;
    EXPECT_EQ(all_pages(manufacturer(kM1), kM1, size, &pages), whole) << "pageSize " << size;
    EXPECT_GE(pages, static_cast<int>((whole.size() + size - 1) / size)) << size;
  }
  // Two entries a page: volume's two, then contract's two, then the catalog's one.
  auto first = record_of(manufacturer(kM1), kM1, 2);
  ASSERT_TRUE(IsOk(first));
  EXPECT_EQ(entries_of(first.get()), (std::vector<std::string>{whole[0], whole[1]}));
  ASSERT_STRNE(first->next_page_token, "");
  auto second = record_of(manufacturer(kM1), kM1, 2, first->next_page_token);
  ASSERT_TRUE(IsOk(second));
  EXPECT_EQ(entries_of(second.get()), (std::vector<std::string>{whole[2], whole[3]}));
  // A page that ends inside contract-svc's entries: three a page.
  auto three = record_of(manufacturer(kM1), kM1, 3);
  ASSERT_TRUE(IsOk(three));
  EXPECT_EQ(entries_of(three.get()), (std::vector<std::string>{whole[0], whole[1], whole[2]}));
  auto rest = record_of(manufacturer(kM1), kM1, 3, three->next_page_token);
  ASSERT_TRUE(IsOk(rest));
  EXPECT_EQ(entries_of(rest.get()), (std::vector<std::string>{whole[3], whole[4]}));
  EXPECT_STREQ(rest->next_page_token, "");
  // A token is the caller's and the enterprise's: another's or a forged one is 400.
  EXPECT_TRUE(IsRefused(record_of(bureau(kFujianBureau), kM1, 2, first->next_page_token),
                        VBP_INVALID_ARGUMENT, "pageToken"));
  EXPECT_TRUE(IsRefused(record_of(Caller::admin(), kM2, 2, first->next_page_token),
                        VBP_INVALID_ARGUMENT, "pageToken"));
  EXPECT_TRUE(IsRefused(record_of(manufacturer(kM1), kM1, 2, "not-a-token"), VBP_INVALID_ARGUMENT,
                        "pageToken"));
  EXPECT_TRUE(IsRefused(record_of(manufacturer(kM1), kM1, -1), VBP_INVALID_ARGUMENT, "pageSize"));
  // A distributor's, three a page over a page boundary.
  int pages = 0;
  EXPECT_EQ(all_pages(distributor(kD1), kD1, 2, &pages), unsigned_of(kD1, true));
  EXPECT_EQ(pages, 2);
}

// ---------------------------------------------------------------- refusals

TEST_F(RecordTest, OthersAreRefused) {
  const Caller refused[] = {
      institution(kCountyHospital),                                            // a hospital
      manufacturer(kM2),                                                       // another
      Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, kAllianceOffice, "360000"),  // the office
      Caller::signed_as(VBP_ROLE_INSURANCE_AGENCY, kFzAgency, "350100"),       // an agency
      distributor(kD1),                                                        // a distributor
  };
  for (const Caller &who : refused) {
    EXPECT_TRUE(IsRefused(record_of(who, kM1), VBP_PERMISSION_DENIED)) << who.identity.org_id;
    // Whether or not the enterprise exists.
    EXPECT_TRUE(IsRefused(record_of(who, "no-such-enterprise"), VBP_PERMISSION_DENIED))
        << who.identity.org_id;
  }
  // A manufacturer reads no distributor's record either.
  EXPECT_TRUE(IsRefused(record_of(manufacturer(kM1), kD1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(record_of(Caller::nobody(), kM1), VBP_UNAUTHENTICATED));
}

TEST_F(RecordTest, ABadOrganizationIdIsRefused) {
  for (const char *bad : {"", "bad id!", "x/y"})
    EXPECT_TRUE(IsRefused(record_of(Caller::admin(), bad), VBP_INVALID_ARGUMENT, "organizationId"))
        << bad;
  EXPECT_TRUE(IsRefused(record_of(bureau(kFujianBureau), "bad id!"), VBP_INVALID_ARGUMENT,
                        "organizationId"));
  // No enterprise: a hospital has no record; an unknown id is not found.
  EXPECT_TRUE(IsRefused(record_of(bureau(kFujianBureau), kCountyHospital), VBP_INVALID_ARGUMENT,
                        "organizationId"));
  EXPECT_TRUE(
      IsRefused(record_of(Caller::admin(), "no-such-enterprise"), VBP_NOT_FOUND, "organizationId"));
}

// ---------------------------------------------------------------- the group's cap

TEST_F(RecordTest, AGroupsCapIsAPriceAndIsAnsweredAsOne) {
  for (const char *bad : {"0", "-1", "35.00001", "abc", "3 5", "1e3"}) {
    auto r = create_capped_group(Caller::admin(), kRecordBatch, "W9", "干扰素", bad);
    EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "maxNonWinningPrice")) << bad;
  }
  // A retry with the same cap written otherwise is the same group; another cap is another.
  auto same = create_capped_group(Caller::admin(), kRecordBatch, "W1", "干扰素", "35.00");
  ASSERT_TRUE(IsOk(same));
  EXPECT_STREQ(same->max_non_winning_price, "35.0000");
  EXPECT_TRUE(IsRefused(create_capped_group(Caller::admin(), kRecordBatch, "W1", "干扰素", "36"),
                        VBP_ALREADY_EXISTS, "id"));
  // Without a cap: none answered.
  auto none = create_capped_group(Caller::admin(), kRecordBatch, "W3", "头孢", "");
  ASSERT_TRUE(IsOk(none));
  EXPECT_STREQ(none->max_non_winning_price, "");
  // The group reads answer it (GetVolumeInputs).
  Vbp__V1__GetVolumeInputsRequest req = VBP__V1__GET_VOLUME_INPUTS_REQUEST__INIT;
  req.batch_code = held(kRecordBatch);
  req.region_code = held("350000");
  auto inputs = call<Vbp__V1__VolumeInputs>("GetVolumeInputs", service_caller(), &req.base);
  ASSERT_TRUE(IsOk(inputs));
  std::vector<std::string> caps;
  for (size_t i = 0; i < inputs->n_groups; i++)
    caps.push_back(std::string(inputs->groups[i]->id) + "=" +
                   inputs->groups[i]->max_non_winning_price);
  EXPECT_EQ(caps, (std::vector<std::string>{"W1=35.0000", "W2=", "W3="}));
}

// ---------------------------------------------------------------- pricing's ListListings

TEST_F(RecordTest, ListListingsAnswersEveryListingOfTheProductsAsked) {
  Vbp__V1__ListListingsRequest req = VBP__V1__LIST_LISTINGS_REQUEST__INIT;
  char *ids[] = {c("N1"), c("C"), c("nothing-listed")};
  req.product_ids = ids;
  req.n_product_ids = 3;
  auto r = pricing_call<Vbp__V1__ListListingsResponse>("ListListings", service_caller(), &req.base);
  ASSERT_TRUE(IsOk(r));
  std::vector<std::string> got;
  for (size_t i = 0; i < r->n_listings; i++)
    got.push_back(std::string(r->listings[i]->product_id) + " " + r->listings[i]->region_code +
                  " " + r->listings[i]->listed_on + " " + r->listings[i]->price);
  EXPECT_EQ(got,
            (std::vector<std::string>{"C 350000 2024-01-01 38.0000", "C 350000 2024-08-01 36.5000",
                                      "C 350000 2024-09-01 34.0000", "N1 350000 2024-06-01 50.0000",
                                      "N1 350000 2024-08-01 40.0000"}));
  char *bad[] = {c("N1"), c("bad id!")};
  req.product_ids = bad;
  req.n_product_ids = 2;
  EXPECT_TRUE(IsRefused(
      pricing_call<Vbp__V1__ListListingsResponse>("ListListings", service_caller(), &req.base),
      VBP_INVALID_ARGUMENT, "productIds[1]"));
  std::vector<char *> many(1001, c("N1"));
  req.product_ids = many.data();
  req.n_product_ids = many.size();
  EXPECT_TRUE(IsRefused(
      pricing_call<Vbp__V1__ListListingsResponse>("ListListings", service_caller(), &req.base),
      VBP_INVALID_ARGUMENT, "productIds"));
  // Internal: no caller but our services.
  req.n_product_ids = 1;
  EXPECT_TRUE(IsRefused(
      pricing_call<Vbp__V1__ListListingsResponse>("ListListings", Caller::admin(), &req.base),
      VBP_PERMISSION_DENIED));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  ::testing::AddGlobalTestEnvironment(new PricingStack);
  ::testing::AddGlobalTestEnvironment(new VolumeStack);
  ::testing::AddGlobalTestEnvironment(new ContractStack);
  return RUN_ALL_TESTS();
}
