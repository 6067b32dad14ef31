// ExportBatch complete (docs/exchange.md): catalog-svc streams its own records and forwards
// volume-svc's and contract-svc's parts, all four cores (the code that ships) served in-process
// over real gRPC on the volume tests' Fujian scenario (volume_fixture.h) with a year of
// allocations, contracts (one signed by all three parties) and a purchase. Checked: every record
// type with exact ids in the file's order, no record before what it refers to, the `end` count,
// who may export (API.md "Who may do what") and the refusals of a bad or missing regionCode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog_harness.h"
#include "contract_harness.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/contract.pb-c.h"
#include "volume_fixture.h"

namespace {

const char *const kDistributor = "dist-1";      // in Fuzhou
const char *const kFarDistributor = "dist-jx";  // in Jiangxi: another province
const char *const kAgency = "agency-fz";
const char *const kDocument = "cc8321d6375c494d043fdd0260f21bc0ec51dacc9f6abb7f909cdcd3041b78bf";

// One record as the test keeps it: its case and id ("region 350000", "contract ct_...").
struct Record {
  int kind;
  std::string id;
};

// Everything an export delivered, and what each record refers to, checked as it arrives.
struct Exported {
  std::vector<Record> records;
  std::map<int, size_t> counts;
  int64_t end_count = -1;
  std::vector<std::string> order_errors;  // a reference to something not yet seen
  std::set<std::string> regions, organizations, products, groups;
  bool batch = false, execution = false;
  std::vector<std::string> agreement_years;  // "year start..end"
  std::vector<std::string> progress;         // "year asOf institution product agreed purchased %"
  std::vector<std::string> signed_contract;  // the signed contract's signatures and history
};

void need(Exported *out, const std::set<std::string> &seen, const std::string &id,
          const std::string &what) {
  if (!id.empty() && seen.count(id) == 0) out->order_errors.push_back(what + " before " + id);
}

bool collect(void *ctx, const ProtobufCMessage *message) {
  auto *out = static_cast<Exported *>(ctx);
  auto *r = reinterpret_cast<const Vbp__V1__ExchangeRecord *>(message);
  out->counts[r->record_case]++;
  Record rec{r->record_case, ""};
  switch (r->record_case) {
    case VBP__V1__EXCHANGE_RECORD__RECORD_REGION:
      rec.id = r->region->code;
      need(out, out->regions, r->region->parent_code, "region " + rec.id);
      out->regions.insert(rec.id);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION:
      rec.id = r->organization->id;
      need(out, out->regions, r->organization->region_code, "organization " + rec.id);
      need(out, out->organizations, r->organization->consortium_id, "organization " + rec.id);
      out->organizations.insert(rec.id);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT:
      rec.id = r->product->id;
      need(out, out->organizations, r->product->manufacturer_id, "product " + rec.id);
      out->products.insert(rec.id);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_BATCH:
      rec.id = r->batch->code;
      need(out, out->organizations, r->batch->created_by, "batch");
      need(out, out->regions, r->batch->lead_region_code, "batch");
      for (size_t i = 0; i < r->batch->n_member_region_codes; i++)
        need(out, out->regions, r->batch->member_region_codes[i], "batch");
      out->batch = true;
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION: {
      const Vbp__V1__ExecutionRecord *e = r->execution;
      rec.id = e->execution->region_code;
      if (!out->batch) out->order_errors.push_back("execution before the batch");
      need(out, out->regions, e->execution->region_code, "execution");
      for (size_t i = 0; i < e->n_agreement_years; i++)
        out->agreement_years.push_back(std::to_string(e->agreement_years[i]->year) + " " +
                                       e->agreement_years[i]->start + ".." +
                                       e->agreement_years[i]->end);
      out->execution = true;
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_GROUP:
      rec.id = r->group->id;
      if (!out->batch) out->order_errors.push_back("group before the batch");
      out->groups.insert(rec.id);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_RESULT:
      rec.id = r->result->product_id;
      need(out, out->products, r->result->product_id, "result");
      need(out, out->groups, r->result->group_id, "result " + rec.id);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION: {
      const Vbp__V1__Allocation *a = r->allocation;
      rec.id = std::to_string(a->agreement_year) + "/" + a->institution_id + "/" + a->product_id;
      if (!out->execution) out->order_errors.push_back("allocation before the execution");
      need(out, out->organizations, a->institution_id, "allocation " + rec.id);
      need(out, out->products, a->product_id, "allocation " + rec.id);
      need(out, out->groups, a->group_id, "allocation " + rec.id);
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT: {
      const Vbp__V1__Contract *k = r->contract;
      rec.id = k->id;
      for (const char *org : {k->institution_id, k->manufacturer_id, k->distributor_id})
        need(out, out->organizations, org, std::string("contract ") + k->id);
      need(out, out->products, k->product_id, std::string("contract ") + k->id);
      for (size_t i = 0; i < k->n_signatures; i++) {
        need(out, out->organizations, k->signatures[i]->signed_by, "signature");
        need(out, out->organizations, k->signatures[i]->on_behalf_of, "signature");
      }
      for (size_t i = 0; i < k->n_history; i++)
        need(out, out->organizations, k->history[i]->actor_id, "contract history");
      if (k->n_signatures > 0) {
        for (size_t i = 0; i < k->n_signatures; i++)
          out->signed_contract.push_back(std::string("signature ") + k->signatures[i]->signed_by);
        for (size_t i = 0; i < k->n_history; i++)
          out->signed_contract.push_back(std::string("event ") + k->history[i]->actor_id + " " +
                                         std::to_string(k->history[i]->to_state));
        out->signed_contract.push_back("state " + std::to_string(k->state));
      }
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_PROGRESS: {
      const Vbp__V1__ExchangeProgress *p = r->progress;
      rec.id = std::to_string(p->agreement_year) + "/" + p->institution_id + "/" + p->product_id;
      need(out, out->organizations, p->institution_id, "progress " + rec.id);
      need(out, out->products, p->product_id, "progress " + rec.id);
      out->progress.push_back(std::to_string(p->agreement_year) + " " + p->as_of + " " +
                              p->institution_id + " " + p->product_id + " " +
                              std::to_string(p->agreed) + " " + std::to_string(p->purchased) + " " +
                              std::to_string(p->completion_percent) + "% " +
                              std::to_string(p->elapsed_percent) + "%");
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_END:
      out->end_count = r->end->records;
      break;
    default:
      break;
  }
  out->records.push_back(rec);
  return true;
}

const vbp_method *export_method() {
  for (size_t i = 0; i < catalog_methods_count; i++)
    if (std::strcmp(catalog_methods[i].path, "/vbp.v1.CatalogService/ExportBatch") == 0)
      return &catalog_methods[i];
  return nullptr;
}

vbp_status export_batch(const Caller &who, const std::string &code, const std::string &region,
                        Exported *out) {
  Vbp__V1__ExportBatchRequest req = VBP__V1__EXPORT_BATCH_REQUEST__INIT;
  req.code = held(code);
  req.region_code = held(region);
  vbp_call_options options{};
  options.timeout_ms = 60000;
  if (!who.bearer.empty()) options.bearer_key = who.bearer.c_str();
  if (who.is_signed) options.caller = &who.identity;
  return vbp_client_stream(CatalogStack::instance()->client(), export_method(), &req.base, &options,
                           collect, out);
}

// The ids of one record type, in the order they came.
std::vector<std::string> ids_of(const Exported &e, int kind) {
  std::vector<std::string> out;
  for (const Record &r : e.records)
    if (r.kind == kind) out.push_back(r.id);
  return out;
}

std::vector<std::string> split_commas(const std::string &text) {
  std::vector<std::string> out;
  size_t from = 0;
  while (!text.empty()) {
    size_t comma = text.find(',', from);
    out.push_back(text.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

// The rank of each record type in the file's order.
int rank_of(int kind) {
  static const int order[] = {
      VBP__V1__EXCHANGE_RECORD__RECORD_REGION,    VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION,
      VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT,   VBP__V1__EXCHANGE_RECORD__RECORD_BATCH,
      VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION, VBP__V1__EXCHANGE_RECORD__RECORD_GROUP,
      VBP__V1__EXCHANGE_RECORD__RECORD_RESULT,    VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION,
      VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT,  VBP__V1__EXCHANGE_RECORD__RECORD_PROGRESS,
      VBP__V1__EXCHANGE_RECORD__RECORD_END};
  for (int i = 0; i < 11; i++)
    if (order[i] == kind) return i;
  return -1;
}

class ExchangeExport : public VolumeTest {
 protected:
  void SetUp() override {
    VolumeTest::SetUp();
    ASSERT_NE(ContractStack::instance(), nullptr) << "ContractStack is not registered";
    CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                        ContractStack::instance()->client());
    ensure_org(kDistributor, VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
    ensure_org(kFarDistributor, VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "360000");
    ensure_org(kAgency, VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, "350100");
    // The batch as the Jiangxi alliance office's (the fixture creates it with the admin key).
    alliance_key();
    vbp_test_sql(CatalogStack::instance()->dsn(), std::string("UPDATE batches SET created_by = '") +
                                                      kAllianceOffice + "' WHERE code = '" +
                                                      kBatchCode + "'");
  }
  void TearDown() override { CatalogStack::instance()->set_peers(nullptr, nullptr); }

  static void name_distributor(const std::string &maker, const std::string &product) {
    Vbp__V1__AuthorizeDistributorRequest req = VBP__V1__AUTHORIZE_DISTRIBUTOR_REQUEST__INIT;
    req.manufacturer_id = held(maker);
    req.product_id = held(product);
    req.distributor_id = held(kDistributor);
    req.region_code = held("350100");
    EXPECT_TRUE(IsOk(contract_call<Vbp__V1__Authorization>("AuthorizeDistributor",
                                                           manufacturer(maker), &req.base)));
  }
  static void sign(const Caller &who, const std::string &id, Vbp__V1__Signature__Party party) {
    Vbp__V1__SignContractRequest req = VBP__V1__SIGN_CONTRACT_REQUEST__INIT;
    req.id = held(id);
    req.party = party;
    req.signer_name = held("张经理");
    req.document_sha256 = held(kDocument);
    EXPECT_TRUE(IsOk(contract_call<Vbp__V1__Contract>("SignContract", who, &req.base))) << id;
  }

  // Year 1's allocations (5), its contracts generated (5, all with dist-1), one signed by all
  // three parties, and 10 of A bought by hosp-city.
  void scenario() {
    approve_demand(kCityHospital, "G1", 1, 421);
    approve_demand(kCountyHospital, "G1", 1, 1000);
    approve_demand(kCityHospital, "G2", 1, 7);
    ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
    name_distributor(kM1, "A");
    name_distributor(kM2, "B");
    name_distributor(kM1, "E");
    Vbp__V1__GenerateContractsRequest req = VBP__V1__GENERATE_CONTRACTS_REQUEST__INIT;
    req.batch_code = held(kBatchCode);
    req.region_code = held("350000");
    req.agreement_year = 1;
    auto generated = contract_call<Vbp__V1__GenerateContractsResponse>(
        "GenerateContracts", bureau(kFujianBureau), &req.base);
    ASSERT_TRUE(IsOk(generated));
    ASSERT_EQ(generated->generated, 5);
    signed_id_ = vbp_test_sql(ContractStack::instance()->dsn(),
                              "SELECT id FROM contracts WHERE institution_id = 'hosp-city' AND "
                              "product_id = 'A'");
    sign(manufacturer(kM1), signed_id_, VBP__V1__SIGNATURE__PARTY__MANUFACTURER);
    sign(Caller::signed_as(VBP_ROLE_DISTRIBUTOR, kDistributor, "350100"), signed_id_,
         VBP__V1__SIGNATURE__PARTY__DISTRIBUTOR);
    sign(institution(kCityHospital), signed_id_, VBP__V1__SIGNATURE__PARTY__INSTITUTION);
    buy(kCityHospital, "A", 10, "300", "2025-02-01");
  }

  std::string signed_id_;
};

TEST_F(ExchangeExport, CarriesEveryRecordTypeInOrderWithTheEndCount) {
  scenario();
  Exported got;
  ASSERT_TRUE(IsOk(export_batch(Caller::admin(), kBatchCode, "350000", &got)));

  EXPECT_EQ(got.order_errors, std::vector<std::string>{});
  // Types in the file's order, each type's records by id.
  for (size_t i = 1; i < got.records.size(); i++) {
    ASSERT_LE(rank_of(got.records[i - 1].kind), rank_of(got.records[i].kind)) << "record " << i;
    if (got.records[i - 1].kind == got.records[i].kind &&
        got.records[i].kind != VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION &&
        got.records[i].kind != VBP__V1__EXCHANGE_RECORD__RECORD_REGION) {
      EXPECT_LT(got.records[i - 1].id, got.records[i].id) << "record " << i;
    }
  }

  // Parents before children; the regions of every organization and of the batch.
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_REGION),
            (std::vector<std::string>{"350000", "360000", "350100", "350200", "350102"}));
  // Consortia (organizations without one) first, then members; each by id. Every bureau,
  // agency and institution of Fujian, the results' manufacturers, every distributor (Jiangxi's
  // too) and the alliance office that created the batch.
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION),
            (std::vector<std::string>{"agency-fz", "bur-fj", "bur-fz", "bur-gl", "bur-xm",
                                      "cons-gl", "dist-1", "dist-jx", "hosp-city", "hosp-county",
                                      "hosp-prov", "jx-alliance-office", "mfr-1", "mfr-2", "mfr-3",
                                      "mfr-4", "hosp-member"}));
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT),
            (std::vector<std::string>{"A", "B", "C", "E", "H", "J", "K", "L", "R"}));
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_BATCH),
            std::vector<std::string>{kBatchCode});
  EXPECT_EQ(got.agreement_years,
            (std::vector<std::string>{"1 2024-07-22..2025-12-31", "2 2026-01-01..2026-12-31",
                                      "3 2027-01-01..2027-12-31", "4 2028-01-01..2028-07-21"}));
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_GROUP),
            (std::vector<std::string>{"G1", "G2", "G3", "G4"}));
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_RESULT),
            (std::vector<std::string>{"A", "B", "C", "E", "H", "J", "K", "L", "R"}));
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION),
            (std::vector<std::string>{"1/hosp-city/A", "1/hosp-city/B", "1/hosp-city/E",
                                      "1/hosp-county/A", "1/hosp-county/B"}));
  std::vector<std::string> contract_ids = split_commas(vbp_test_sql(
      ContractStack::instance()->dsn(), "SELECT string_agg(id, ',' ORDER BY id) FROM contracts"));
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT), contract_ids);
  EXPECT_EQ(contract_ids.size(), 5u);
  // The signed contract: its three signatures, its history (created, three signatures) and the
  // state GetContract shows (EFFECTIVE = 4).
  EXPECT_EQ(got.signed_contract,
            (std::vector<std::string>{"signature mfr-1", "signature dist-1", "signature hosp-city",
                                      "event bur-fj 1", "event mfr-1 2", "event dist-1 3",
                                      "event hosp-city 4", "state 4"}));
  // Year 1 as of today (2025-03-01): 222 of 528 days elapsed.
  EXPECT_EQ(got.progress, (std::vector<std::string>{
                              "1 2025-03-01 hosp-city A 253 10 3% 42%",
                              "1 2025-03-01 hosp-city B 168 0 0% 42%",
                              "1 2025-03-01 hosp-city E 7 0 0% 42%",
                              "1 2025-03-01 hosp-county A 600 0 0% 42%",
                              "1 2025-03-01 hosp-county B 400 0 0% 42%",
                          }));
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_END], 1u);
  ASSERT_FALSE(got.records.empty());
  EXPECT_EQ(got.records.back().kind, VBP__V1__EXCHANGE_RECORD__RECORD_END);
  // 5 regions, 17 organizations, 9 products, batch, execution, 4 groups, 9 results,
  // 5 allocations, 5 contracts, 5 progress rows.
  EXPECT_EQ(got.end_count, 61);
  EXPECT_EQ(got.records.size(), 62u);
}

TEST_F(ExchangeExport, ProgressMatchesGetProgressOfTheYear) {
  scenario();
  Exported got;
  ASSERT_TRUE(IsOk(export_batch(Caller::admin(), kBatchCode, "350000", &got)));
  Vbp__V1__GetProgressRequest req = VBP__V1__GET_PROGRESS_REQUEST__INIT;
  req.batch_code = held(kBatchCode);
  req.region_code = held("350000");
  req.agreement_year = 1;
  auto r = volume_call<Vbp__V1__GetProgressResponse>("GetProgress", Caller::admin(), &req.base);
  ASSERT_TRUE(IsOk(r));
  std::vector<std::string> expected;
  for (size_t i = 0; i < r->n_rows; i++) {
    const Vbp__V1__ProgressRow *p = r->rows[i];
    expected.push_back(std::string("1 2025-03-01 ") + p->institution_id + " " + p->product_id +
                       " " + std::to_string(p->agreed) + " " + std::to_string(p->purchased) + " " +
                       std::to_string(p->completion_percent) + "% " +
                       std::to_string(p->elapsed_percent) + "%");
  }
  EXPECT_EQ(got.progress, expected);
}

TEST_F(ExchangeExport, TheAllianceOfficeThatCreatedItAndTheProvincialBureauMayExport) {
  scenario();
  Exported admin, office, provincial;
  ASSERT_TRUE(IsOk(export_batch(Caller::admin(), kBatchCode, "350000", &admin)));
  ASSERT_TRUE(IsOk(export_batch(Caller::key(alliance_key()), kBatchCode, "350000", &office)));
  ASSERT_TRUE(IsOk(export_batch(bureau(kFujianBureau), kBatchCode, "350000", &provincial)));
  EXPECT_EQ(office.end_count, admin.end_count);
  EXPECT_EQ(provincial.end_count, admin.end_count);
  EXPECT_EQ(ids_of(office, VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT),
            ids_of(admin, VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT));
}

TEST_F(ExchangeExport, OthersAreRefusedWhetherOrNotTheBatchExists) {
  const Caller other_office =
      Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, "other-alliance-office", "360000");
  const Caller jiangxi_bureau = Caller::signed_as(VBP_ROLE_BUREAU, "bur-jx", "360000");
  for (const std::string &code : {std::string(kBatchCode), std::string("NO-SUCH-BATCH")}) {
    Exported got;
    // A hospital (the method table), another alliance office, a city bureau of the province (its
    // region does not hold the whole province), another province's bureau: 403, nothing sent.
    EXPECT_TRUE(IsRefused(export_batch(institution(kCityHospital), code, "350000", &got),
                          VBP_PERMISSION_DENIED, ""))
        << code;
    EXPECT_TRUE(
        IsRefused(export_batch(other_office, code, "350000", &got), VBP_PERMISSION_DENIED, ""))
        << code;
    EXPECT_TRUE(IsRefused(export_batch(bureau(kFuzhouBureau), code, "350000", &got),
                          VBP_PERMISSION_DENIED, ""))
        << code;
    EXPECT_TRUE(
        IsRefused(export_batch(jiangxi_bureau, code, "350000", &got), VBP_PERMISSION_DENIED, ""))
        << code;
    EXPECT_TRUE(got.records.empty());
  }
}

TEST_F(ExchangeExport, ABadOrMissingRegionCodeIsRefusedAndAProvinceWithoutExecutionNotFound) {
  Exported got;
  EXPECT_TRUE(IsRefused(export_batch(Caller::admin(), kBatchCode, "", &got), VBP_INVALID_ARGUMENT,
                        "regionCode"));
  EXPECT_TRUE(IsRefused(export_batch(Caller::admin(), kBatchCode, "350100", &got),
                        VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(export_batch(Caller::admin(), kBatchCode, "35x000", &got),
                        VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(export_batch(Caller::admin(), "a b", "350000", &got), VBP_INVALID_ARGUMENT,
                        "code"));
  ensure_region("360000");
  EXPECT_TRUE(
      IsRefused(export_batch(Caller::admin(), kBatchCode, "360000", &got), VBP_NOT_FOUND, ""));
  EXPECT_TRUE(IsRefused(export_batch(Caller::admin(), "NO-SUCH-BATCH", "350000", &got),
                        VBP_NOT_FOUND, "code"));
  EXPECT_TRUE(IsRefused(export_batch(Caller::nobody(), kBatchCode, "350000", &got),
                        VBP_UNAUTHENTICATED, ""));
  EXPECT_TRUE(got.records.empty());
}

TEST_F(ExchangeExport, APartThatFailsMidStreamEndsItWithoutTheEndRecord) {
  scenario();
  // volume-svc's address answers nothing: the catalog's records have gone out by then.
  vbp_client *nowhere = nullptr;
  ASSERT_TRUE(IsOk(vbp_client_open("127.0.0.1:1", kSecret, &nowhere)));
  CatalogStack::instance()->set_peers(nowhere, ContractStack::instance()->client());
  Exported got;
  vbp_status st = export_batch(Caller::admin(), kBatchCode, "350000", &got);
  CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                      ContractStack::instance()->client());
  vbp_client_close(nowhere);
  EXPECT_TRUE(IsRefused(st, VBP_UNAVAILABLE, ""));
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_RESULT], 9u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION], 0u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_END], 0u);
  EXPECT_EQ(got.end_count, -1);
}

TEST_F(ExchangeExport, AContractPartThatFailsEndsItAfterTheAllocations) {
  scenario();
  // contract-svc answers nothing: its part is asked for inside volume-svc's stream, after the
  // allocations; the failure ends both, and no progress row nor `end` follows.
  vbp_client *nowhere = nullptr;
  ASSERT_TRUE(IsOk(vbp_client_open("127.0.0.1:1", kSecret, &nowhere)));
  CatalogStack::instance()->set_peers(VolumeStack::instance()->client(), nowhere);
  Exported got;
  vbp_status st = export_batch(Caller::admin(), kBatchCode, "350000", &got);
  CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                      ContractStack::instance()->client());
  vbp_client_close(nowhere);
  EXPECT_TRUE(IsRefused(st, VBP_UNAVAILABLE, ""));
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION], 5u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT], 0u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_PROGRESS], 0u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_END], 0u);
  // volume-svc's stream was let go of: an export right after is whole.
  Exported again;
  ASSERT_TRUE(IsOk(export_batch(Caller::admin(), kBatchCode, "350000", &again)));
  EXPECT_EQ(again.end_count, 61);
}

TEST_F(ExchangeExport, ResultsArePagedInProductOrderAndContractsStillComeWithoutProgress) {
  // A batch of 501 results (a page and one) executed in Fujian, no year started yet: no
  // allocations and no progress, so the part of contract-svc (empty) still goes before `end`.
  const std::string code = "EXPORT-PAGES";
  BatchSpec b;
  b.code = code;
  b.name = "翻页";
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.member_region_codes = {"350000"};
  b.cycle_years = 2;
  ASSERT_TRUE(IsOk(create_batch(Caller::admin(), b)));
  ExecutionSpec e;
  e.batch_code = code;
  e.region_code = "350000";
  e.listing_date = "2025-06-01";
  e.start_date = "2025-06-10";
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), code, "g1", "重组人干扰素α2b", true)));
  std::vector<std::string> expected;
  for (int i = 0; i < 501; i++) {
    char id[32];
    std::snprintf(id, sizeof id, "exp-p%04d", i);
    expected.push_back(id);
    ProductSpec p;
    p.id = id;
    p.generic_name = "重组人干扰素α2b";
    p.dosage_form = "注射剂";
    p.specification = "300万IU";
    p.unit = "支";
    p.manufacturer_id = kM1;
    ASSERT_TRUE(IsOk(create_product(Caller::admin(), p)));
    ResultSpec r;
    r.batch_code = code;
    r.product_id = id;
    r.group_id = "g1";
    r.status = i == 0 ? VBP__V1__RESULT_STATUS__WINNING : VBP__V1__RESULT_STATUS__NON_WINNING;
    r.winning_price = i == 0 ? "30" : "";
    r.share_percent = i == 0 ? 100 : 0;
    ASSERT_TRUE(IsOk(publish_result(Caller::admin(), r)));
  }
  Exported got;
  ASSERT_TRUE(IsOk(export_batch(Caller::admin(), code, "350000", &got)));
  EXPECT_EQ(got.order_errors, std::vector<std::string>{});
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_RESULT), expected);
  EXPECT_EQ(ids_of(got, VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT), expected);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION], 0u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT], 0u);
  EXPECT_EQ(got.counts[VBP__V1__EXCHANGE_RECORD__RECORD_PROGRESS], 0u);
  EXPECT_EQ(got.end_count, static_cast<int64_t>(got.records.size()) - 1);
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
