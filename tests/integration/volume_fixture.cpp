#include "volume_fixture.h"

#include <deque>
#include <mutex>

char *held(const std::string &s) {
  static std::mutex mutex;
  static std::deque<std::string> strings;
  std::lock_guard<std::mutex> lock(mutex);
  strings.push_back(s);
  return const_cast<char *>(strings.back().c_str());
}

namespace {

void product(const std::string &id, const std::string &generic, const std::string &manufacturer,
             Vbp__V1__QualityTier tier) {
  ProductSpec s;
  s.id = id;
  s.kind = VBP__V1__PRODUCT_KIND__DRUG;
  s.generic_name = generic;
  s.dosage_form = "注射剂";
  s.specification = "300万IU";
  s.unit = "支";
  s.manufacturer_id = manufacturer;
  s.quality_tier = tier;
  s.in_insurance_catalog = true;
  ASSERT_TRUE(IsOk(create_product(Caller::admin(), s)));
}

void result(const std::string &product_id, const std::string &group, Vbp__V1__ResultStatus status,
            const std::string &price, int share) {
  ResultSpec r;
  r.batch_code = kBatchCode;
  r.product_id = product_id;
  r.group_id = group;
  r.status = status;
  r.winning_price = price;
  r.share_percent = share;
  ASSERT_TRUE(IsOk(publish_result(Caller::admin(), r)));
}

void listing(const std::string &product_id, const std::string &price) {
  Vbp__V1__Listing req = VBP__V1__LISTING__INIT;
  req.region_code = held("350000");
  req.product_id = held(product_id);
  req.price = held(price);
  req.listed_on = held("2024-01-01");
  ASSERT_TRUE(IsOk(pricing_call<Vbp__V1__Listing>("UpsertListing", Caller::admin(), &req.base)));
}

}  // namespace

void VolumeTest::SetUp() {
  CatalogTest::SetUp();
  today_ = std::make_unique<PinnedToday>("2025-03-01");
  using K = Vbp__V1__OrganizationKind;
  const K bureau_kind = VBP__V1__ORGANIZATION_KIND__BUREAU;
  const K hospital = VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION;
  for (const char *b : {kFujianBureau, kFuzhouBureau, kGulouBureau, kXiamenBureau})
    ensure_org(b, bureau_kind, region_of(b));
  for (const char *h : {kCountyHospital, kCityHospital, kProvincialHospital, kConsortium})
    ensure_org(h, hospital, region_of(h));
  OrgSpec member = org(kMember, hospital, region_of(kMember));
  member.consortium_id = kConsortium;
  ASSERT_TRUE(IsOk(create_organization(Caller::admin(), member)));
  for (const char *m : {kM1, kM2, "mfr-3", "mfr-4"})
    ensure_org(m, VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350000");

  BatchSpec b;
  b.code = kBatchCode;
  b.name = "干扰素带量采购";
  b.kind = VBP__V1__PRODUCT_KIND__DRUG;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.member_region_codes = {"350000"};
  b.cycle_years = 4;
  ASSERT_TRUE(IsOk(create_batch(Caller::admin(), b)));
  ExecutionSpec e;
  e.batch_code = kBatchCode;
  e.region_code = "350000";
  e.listing_date = "2024-07-18";
  e.start_date = "2024-07-22";
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));

  const auto passed = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
  product("A", "干扰素", kM1, VBP__V1__QUALITY_TIER__ORIGINATOR);
  product("B", "干扰素", kM2, passed);
  product("C", "干扰素", "mfr-3", passed);
  product("D", "干扰素", "mfr-4", VBP__V1__QUALITY_TIER__NOT_EVALUATED);
  product("E", "胸腺肽", kM1, passed);
  product("F", "阿莫西林", kM2, passed);
  product("H", "头孢", kM2, passed);
  product("K", "干扰素", "mfr-3", passed);
  product("R", "干扰素", "mfr-4", VBP__V1__QUALITY_TIER__REFERENCE);
  product("O", "干扰素", "mfr-4", VBP__V1__QUALITY_TIER__ORIGINATOR);
  product("J", "利巴韦林", "mfr-3", passed);
  product("L", "利巴韦林", "mfr-4", passed);
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), kBatchCode, "G1", "干扰素", true)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), kBatchCode, "G2", "胸腺肽", false)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), kBatchCode, "G3", "头孢", true)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), kBatchCode, "G4", "利巴韦林", true)));
  result("A", "G1", VBP__V1__RESULT_STATUS__WINNING, "30.0000", 60);
  result("B", "G1", VBP__V1__RESULT_STATUS__WINNING, "28.0000", 40);
  result("C", "G1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0);
  result("K", "G1", VBP__V1__RESULT_STATUS__BACKUP, "32.0000", 0);
  result("R", "G1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0);
  result("E", "G2", VBP__V1__RESULT_STATUS__WINNING, "10.0000", 100);
  result("H", "G3", VBP__V1__RESULT_STATUS__WINNING, "20.0000", 50);
  result("J", "G4", VBP__V1__RESULT_STATUS__WINNING, "12.3457", 50);
  result("L", "G4", VBP__V1__RESULT_STATUS__WINNING, "7.0001", 50);
  listing("C", "38.0000");
  listing("D", "50.0000");
}

Vbp__V1__DemandReport VolumeTest::demand_report(const std::string &institution_id,
                                                const std::string &group, int year,
                                                int64_t quantity) {
  Vbp__V1__DemandReport r = VBP__V1__DEMAND_REPORT__INIT;
  r.batch_code = held(kBatchCode);
  r.region_code = held("350000");
  r.institution_id = held(institution_id);
  r.group_id = held(group);
  r.agreement_year = year;
  r.quantity = quantity;
  r.last_year_quantity = 900;
  r.commitment_sha256 = held(kCommitment);
  return r;
}

Reply<Vbp__V1__DemandReport> VolumeTest::submit(const Caller &who,
                                                const std::string &institution_id,
                                                const std::string &group, int year,
                                                int64_t quantity) {
  Vbp__V1__DemandReport r = demand_report(institution_id, group, year, quantity);
  return volume_call<Vbp__V1__DemandReport>("SubmitDemand", who, &r.base);
}

Reply<Vbp__V1__DemandReport> VolumeTest::review(const Caller &who, const std::string &id,
                                                Vbp__V1__RegionLevel level, bool approve,
                                                const std::string &comment) {
  Vbp__V1__ReviewDemandRequest req = VBP__V1__REVIEW_DEMAND_REQUEST__INIT;
  Google__Protobuf__BoolValue value = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
  value.value = approve;
  req.id = held(id);
  req.level = level;
  req.approve = &value;
  req.comment = held(comment);
  return volume_call<Vbp__V1__DemandReport>("ReviewDemand", who, &req.base);
}

void VolumeTest::approve_demand(const std::string &institution_id, const std::string &group,
                                int year, int64_t quantity) {
  auto r = submit(Caller::admin(), institution_id, group, year, quantity);
  ASSERT_TRUE(IsOk(r));
  std::string id = r->id;
  std::vector<Vbp__V1__RegionLevel> chain;
  std::string region = region_of(institution_id);
  if (region.substr(4) != "00") chain.push_back(kCounty);
  if (region.substr(2) != "0000") chain.push_back(kCity);
  chain.push_back(kProvince);
  for (auto level : chain) ASSERT_TRUE(IsOk(review(Caller::admin(), id, level, true)));
}

Reply<Vbp__V1__ComputeAllocationsResponse> VolumeTest::compute(
    const Caller &who, int year, int ratio,
    const std::vector<std::pair<std::string, int>> &group_ratios, int page_size) {
  Vbp__V1__ComputeAllocationsRequest req = VBP__V1__COMPUTE_ALLOCATIONS_REQUEST__INIT;
  req.batch_code = held(kBatchCode);
  req.region_code = held("350000");
  req.agreement_year = year;
  req.ratio_percent = ratio;
  req.page_size = page_size;
  std::vector<Vbp__V1__GroupRatio> ratios(group_ratios.size());
  std::vector<Vbp__V1__GroupRatio *> pointers;
  for (size_t i = 0; i < group_ratios.size(); i++) {
    vbp__v1__group_ratio__init(&ratios[i]);
    ratios[i].group_id = held(group_ratios[i].first);
    ratios[i].ratio_percent = group_ratios[i].second;
    pointers.push_back(&ratios[i]);
  }
  req.group_ratios = pointers.data();
  req.n_group_ratios = pointers.size();
  return volume_call<Vbp__V1__ComputeAllocationsResponse>("ComputeAllocations", who, &req.base);
}

Reply<Vbp__V1__FreezeAllocationsResponse> VolumeTest::freeze(const Caller &who, int year) {
  Vbp__V1__FreezeAllocationsRequest req = VBP__V1__FREEZE_ALLOCATIONS_REQUEST__INIT;
  req.batch_code = held(kBatchCode);
  req.region_code = held("350000");
  req.agreement_year = year;
  return volume_call<Vbp__V1__FreezeAllocationsResponse>("FreezeAllocations", who, &req.base);
}

Reply<Vbp__V1__ListAllocationsResponse> VolumeTest::list_allocations(
    const Caller &who, const std::string &institution_id, int year, int page_size,
    const std::string &page_token) {
  Vbp__V1__ListAllocationsRequest req = VBP__V1__LIST_ALLOCATIONS_REQUEST__INIT;
  req.batch_code = held(kBatchCode);
  req.region_code = held("350000");
  req.institution_id = held(institution_id);
  req.agreement_year = year;
  req.page_size = page_size;
  req.page_token = held(page_token);
  return volume_call<Vbp__V1__ListAllocationsResponse>("ListAllocations", who, &req.base);
}

Vbp__V1__Purchase VolumeTest::purchase(const std::string &institution_id,
                                       const std::string &product, int64_t quantity,
                                       const std::string &amount, const std::string &accepted,
                                       const std::string &external_id) {
  Vbp__V1__Purchase p = VBP__V1__PURCHASE__INIT;
  p.institution_id = held(institution_id);
  p.product_id = held(product);
  p.batch_code = held(kBatchCode);
  p.quantity = quantity;
  p.amount = held(amount);
  p.ordered_on = held(accepted);
  p.accepted_on = held(accepted);
  p.external_id = held(external_id);
  return p;
}

Reply<Vbp__V1__Purchase> VolumeTest::record(const Caller &who, const Vbp__V1__Purchase &p) {
  return volume_call<Vbp__V1__Purchase>("RecordPurchase", who, &p.base);
}

std::string VolumeTest::line(const std::string &institution_id, const std::string &product,
                             const std::string &quantity, const std::string &amount,
                             const std::string &accepted, const std::string &external_id) {
  return "{\"institutionId\":\"" + institution_id + "\",\"productId\":\"" + product +
         "\",\"batchCode\":\"" + kBatchCode + "\",\"quantity\":" + quantity +
         ",\"amount\":" + amount + ",\"orderedOn\":\"" + accepted + "\",\"acceptedOn\":\"" +
         accepted + "\",\"externalId\":\"" + external_id + "\"}";
}

Reply<Vbp__V1__RecordPurchasesResponse> VolumeTest::import(const Caller &who,
                                                           const std::string &ndjson) {
  Vbp__V1__RecordPurchasesRequest req = VBP__V1__RECORD_PURCHASES_REQUEST__INIT;
  req.ndjson.data = reinterpret_cast<uint8_t *>(held(ndjson));
  req.ndjson.len = ndjson.size();
  return volume_call<Vbp__V1__RecordPurchasesResponse>("RecordPurchases", who, &req.base);
}

std::vector<std::string> VolumeTest::errors_of(const Vbp__V1__RecordPurchasesResponse *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_errors; i++)
    out.push_back(std::to_string(r->errors[i]->line) + " " + r->errors[i]->field);
  return out;
}

void VolumeTest::buy(const std::string &institution_id, const std::string &product,
                     int64_t quantity, const std::string &amount, const std::string &accepted) {
  ASSERT_TRUE(IsOk(record(institution(institution_id),
                          purchase(institution_id, product, quantity, amount, accepted, ""))))
      << institution_id << " " << product << " " << quantity << " on " << accepted;
}

void VolumeTest::pin_today(const char *day) {
  today_.reset();  // first: its destructor unpins
  today_ = std::make_unique<PinnedToday>(day);
}

Vbp__V1__SupplyIssue VolumeTest::supply_issue(const std::string &institution_id,
                                              const std::string &product, const std::string &from,
                                              const std::string &to,
                                              const std::string &description) {
  Vbp__V1__SupplyIssue r = VBP__V1__SUPPLY_ISSUE__INIT;
  r.batch_code = held(kBatchCode);
  r.institution_id = held(institution_id);
  r.product_id = held(product);
  r.from = held(from);
  r.to = held(to);
  r.description = held(description);
  return r;
}

Reply<Vbp__V1__SupplyIssue> VolumeTest::report_issue(const Caller &who,
                                                     const Vbp__V1__SupplyIssue &issue) {
  return volume_call<Vbp__V1__SupplyIssue>("ReportSupplyIssue", who, &issue.base);
}

Reply<Vbp__V1__SupplyIssue> VolumeTest::verify_issue(const Caller &who, const std::string &id,
                                                     const std::string &comment) {
  Vbp__V1__VerifySupplyIssueRequest req = VBP__V1__VERIFY_SUPPLY_ISSUE_REQUEST__INIT;
  req.id = held(id);
  req.comment = held(comment);
  return volume_call<Vbp__V1__SupplyIssue>("VerifySupplyIssue", who, &req.base);
}

Reply<Vbp__V1__GetProgressResponse> VolumeTest::progress(const Caller &who,
                                                         const ProgressQuery &q) {
  Vbp__V1__GetProgressRequest req = VBP__V1__GET_PROGRESS_REQUEST__INIT;
  req.batch_code = held(q.batch_code);
  req.region_code = held(q.region_code);
  req.institution_id = held(q.institution_id);
  req.agreement_year = q.agreement_year;
  req.as_of = held(q.as_of);
  req.not_in_use = q.not_in_use;
  req.page_size = q.page_size;
  req.page_token = held(q.page_token);
  return volume_call<Vbp__V1__GetProgressResponse>("GetProgress", who, &req.base);
}

std::vector<std::string> VolumeTest::progress_of(const Vbp__V1__GetProgressResponse *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_rows; i++) {
    const Vbp__V1__ProgressRow *row = r->rows[i];
    out.push_back(std::string(row->institution_id) + " " + row->product_id + " " +
                  std::to_string(row->agreed) + " " + std::to_string(row->purchased) + " " +
                  std::to_string(row->completion_percent) + " " +
                  std::to_string(row->elapsed_percent));
  }
  return out;
}

Reply<Vbp__V1__AssessResponse> VolumeTest::assess(const Caller &who, int year, int page_size,
                                                  const std::string &page_token,
                                                  const std::string &region_code,
                                                  const std::string &batch_code) {
  Vbp__V1__AssessRequest req = VBP__V1__ASSESS_REQUEST__INIT;
  req.batch_code = held(batch_code);
  req.region_code = held(region_code);
  req.agreement_year = year;
  req.page_size = page_size;
  req.page_token = held(page_token);
  return volume_call<Vbp__V1__AssessResponse>("Assess", who, &req.base);
}

std::vector<std::string> VolumeTest::assessments_of(const Vbp__V1__AssessResponse *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_rows; i++) {
    const Vbp__V1__AssessmentRow *row = r->rows[i];
    std::string s = std::string(row->institution_id) + " " + row->generic_name + " " +
                    (row->passed ? "passed" : "failed");
    for (size_t j = 0; j < row->n_reasons; j++)
      s += (j ? "; " : ": ") + std::string(row->reasons[j]);
    out.push_back(s);
  }
  return out;
}

Reply<Vbp__V1__Prepayment> VolumeTest::prepayment(const Caller &who,
                                                  const std::string &institution_id, int year,
                                                  const std::string &batch_code) {
  Vbp__V1__GetPrepaymentRequest req = VBP__V1__GET_PREPAYMENT_REQUEST__INIT;
  req.institution_id = held(institution_id);
  req.batch_code = held(batch_code);
  req.agreement_year = year;
  return volume_call<Vbp__V1__Prepayment>("GetPrepayment", who, &req.base);
}

std::string VolumeTest::prepayment_of(const Vbp__V1__Prepayment *p) {
  return std::to_string(p->rate) + " " + p->agreed_amount + " " + p->prepaid + " " + p->offset +
         " " + p->balance + " " + p->reclaim_due;
}
