// ImportBatch (docs/exchange.md "Import"): another province's exchange file taken in by
// catalog-svc, volume-svc and contract-svc together, all or nothing (PostgreSQL two-phase commit
// coordinated by catalog-svc), with every service in-process over real gRPC. The file is built here
// by hand: every record type, a handful of each.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "catalog-svc/import.h"
#include "catalog_harness.h"
#include "common/failpoint.h"
#include "contract_harness.h"
#include "gateway/json.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume_harness.h"

namespace {

const char *const kBatch = "FJ-IMP-2024";
const char *const kSha1 = "1111111111111111111111111111111111111111111111111111111111111111";
const char *const kSha2 = "2222222222222222222222222222222222222222222222222222222222222222";

std::string q(const std::string &s) { return "\"" + s + "\""; }

std::string org_line(const std::string &id, const std::string &name, const char *kind,
                     const std::string &region) {
  return R"({"organization":{"id":)" + q(id) + R"(,"name":)" + q(name) + R"(,"kind":)" + q(kind) +
         R"(,"regionCode":)" + q(region) + R"(,"creditCode":)" + q(credit_code_for(id, region)) +
         "}}";
}

// The file, one record a line, in the order the format asks; lines[i] is line i + 1.
std::vector<std::string> file_lines() {
  std::vector<std::string> l = {
      R"({"region":{"code":"360000","name":"江西省","level":"PROVINCE"}})",
      R"({"region":{"code":"350000","name":"福建省","level":"PROVINCE"}})",
      R"({"region":{"code":"350100","name":"福州市","level":"CITY","parentCode":"350000"}})",
      org_line("m-imp-1", "闽药制药", "MANUFACTURER", "350000"),
      org_line("d-imp-1", "闽配送", "DISTRIBUTOR", "350100"),
      org_line("h-imp-1", "福州一院", "MEDICAL_INSTITUTION", "350100"),
      org_line("h-imp-2", "福州二院", "MEDICAL_INSTITUTION", "350100"),
      R"({"product":{"id":"p-imp-1","kind":"DRUG","genericName":"干扰素","dosageForm":"注射剂",)"
      R"("specification":"100万IU","unit":"支","manufacturerId":"m-imp-1",)"
      R"("inInsuranceCatalog":true}})",
      R"({"product":{"id":"p-imp-2","kind":"DRUG","genericName":"干扰素","dosageForm":"注射剂",)"
      R"("specification":"300万IU","unit":"支","manufacturerId":"m-imp-1",)"
      R"("inInsuranceCatalog":false}})",
      R"({"batch":{"code":"FJ-IMP-2024","name":"干扰素联盟集采","kind":"DRUG",)"
      R"("organizerLevel":"ALLIANCE","leadRegionCode":"360000",)"
      R"("memberRegionCodes":["360000","350000"],"cycleYears":2,"renewalFloor":"FIRST_YEAR",)"
      R"("createdBy":"jx-alliance-office"}})",
      R"({"execution":{"execution":{"batchCode":"FJ-IMP-2024","regionCode":"350000",)"
      R"("listingDate":"2024-05-01","startDate":"2024-06-01","alignRenewal":false},)"
      R"("agreementYears":[{"year":1,"start":"2024-06-01","end":"2025-05-31"},)"
      R"({"year":2,"start":"2025-06-01","end":"2026-05-31"}]}})",
      R"({"group":{"batchCode":"FJ-IMP-2024","id":"G1","genericName":"干扰素","competitive":true}})",
      R"({"result":{"batchCode":"FJ-IMP-2024","productId":"p-imp-1","groupId":"G1",)"
      R"("status":"WINNING","winningPrice":"30.5000","sharePercent":60}})",
      R"({"result":{"batchCode":"FJ-IMP-2024","productId":"p-imp-2","groupId":"G1",)"
      R"("status":"NON_WINNING","sharePercent":0}})",
      R"({"allocation":{"batchCode":"FJ-IMP-2024","regionCode":"350000",)"
      R"("institutionId":"h-imp-1","groupId":"G1","productId":"p-imp-1","agreementYear":1,)"
      R"("agreedQuantity":"600","ratioPercent":60,"baseQuantity":"1000"}})",
      R"({"allocation":{"batchCode":"FJ-IMP-2024","regionCode":"350000",)"
      R"("institutionId":"h-imp-2","groupId":"G1","productId":"p-imp-1","agreementYear":1,)"
      R"("agreedQuantity":"300","ratioPercent":60,"baseQuantity":"500"}})",
      std::string(
          R"({"contract":{"id":"FJ-IMP-C1","batchCode":"FJ-IMP-2024","regionCode":"350000",)"
          R"("institutionId":"h-imp-1","manufacturerId":"m-imp-1",)"
          R"("distributorId":"d-imp-1","productId":"p-imp-1","price":"30.5000",)"
          R"("quantity":"600","agreementYear":1,"periodStart":"2024-06-01",)"
          R"("periodEnd":"2025-05-31","state":"EFFECTIVE","signatures":[)"
          R"({"party":"MANUFACTURER","signerName":"张三","documentSha256":")") +
          kSha1 +
          R"(","signedBy":"m-imp-1","signedAt":"2024-06-10T09:30:00+08:00"},)"
          R"({"party":"DISTRIBUTOR","signerName":"李四","documentSha256":")" +
          kSha1 +
          R"(","signedBy":"d-imp-1","signedAt":"2024-06-11T10:00:00+08:00"},)"
          R"({"party":"INSTITUTION","signerName":"王五","documentSha256":")" +
          kSha1 +
          R"(","signedBy":"h-imp-1","signedAt":"2024-06-12T15:45:30+08:00"}],"history":[)"
          R"({"at":"2024-06-05T10:00:00+08:00","actorRole":"ADMIN","action":"CREATE",)"
          R"("toState":"DRAFT","note":"GenerateContracts"},)"
          R"({"at":"2024-06-10T09:30:00+08:00","actorId":"m-imp-1","actorRole":"MANUFACTURER",)"
          R"("action":"SIGN","fromState":"DRAFT","toState":"PARTIALLY_SIGNED","documentSha256":")" +
          kSha1 +
          R"("},{"at":"2024-06-11T10:00:00+08:00","actorId":"d-imp-1",)"
          R"("actorRole":"DISTRIBUTOR","action":"SIGN","fromState":"PARTIALLY_SIGNED",)"
          R"("toState":"ENTERPRISE_SIGNED","documentSha256":")" +
          kSha1 +
          R"("},{"at":"2024-06-12T15:45:30+08:00","actorId":"h-imp-1",)"
          R"("actorRole":"MEDICAL_INSTITUTION","action":"SIGN","fromState":"ENTERPRISE_SIGNED",)"
          R"("toState":"EFFECTIVE","documentSha256":")" +
          kSha1 + R"("}]}})",
      R"({"contract":{"id":"FJ-IMP-C2","batchCode":"FJ-IMP-2024","regionCode":"350000",)"
      R"("institutionId":"h-imp-2","manufacturerId":"m-imp-1","productId":"p-imp-1",)"
      R"("price":"30.5000","quantity":"300","agreementYear":1,"periodStart":"2024-06-01",)"
      R"("periodEnd":"2025-05-31","state":"DRAFT","history":[{"at":"2024-06-05T10:00:00+08:00",)"
      R"("actorRole":"ADMIN","action":"CREATE","toState":"DRAFT"}]}})",
      R"({"progress":{"batchCode":"FJ-IMP-2024","regionCode":"350000","agreementYear":1,)"
      R"("asOf":"2024-09-01","institutionId":"h-imp-1","productId":"p-imp-1","agreed":"600",)"
      R"("purchased":"150","completionPercent":25,"elapsedPercent":25}})",
      R"({"progress":{"batchCode":"FJ-IMP-2024","regionCode":"350000","agreementYear":1,)"
      R"("asOf":"2024-09-01","institutionId":"h-imp-2","productId":"p-imp-1","agreed":"300",)"
      R"("purchased":"30","completionPercent":10,"elapsedPercent":25}})",
  };
  l.push_back(R"({"end":{"records":)" + std::to_string(l.size()) + "}}");
  return l;
}

constexpr int kRecords = 20;  // lines 1-20; line 21 is `end`
constexpr int kCatalogRecords = 14;
constexpr int kAllocation1 = 15, kContract1 = 17, kProgress2 = 20, kEnd = 21;

std::string join(const std::vector<std::string> &lines) {
  std::string out;
  for (const std::string &l : lines) out += l + "\n";
  return out;
}

Reply<Vbp__V1__ImportBatchResponse> import_as(const Caller &who, const std::string &body) {
  Vbp__V1__ImportBatchRequest req = VBP__V1__IMPORT_BATCH_REQUEST__INIT;
  req.ndjson.data = reinterpret_cast<uint8_t *>(const_cast<char *>(body.data()));
  req.ndjson.len = body.size();
  return call<Vbp__V1__ImportBatchResponse>("ImportBatch", who, &req.base);
}

Reply<Vbp__V1__ImportBatchResponse> import(const std::string &body) {
  return import_as(Caller::admin(), body);
}

// The record of line `line` of file_lines(), as JSON the way the gateway writes a record.
std::string json_of(const ProtobufCMessage *m) {
  char *text = gw_message_to_json(m, nullptr);
  std::string out = text;
  free(text);
  return out;
}

// Line `line` of the file, parsed, then the member named by `pick` written back as JSON.
template <class F>
std::string line_json(int line, F pick) {
  vbp_arena *a = vbp_arena_create();
  auto *r = reinterpret_cast<Vbp__V1__ExchangeRecord *>(
      gw_message_new(&vbp__v1__exchange_record__descriptor, a));
  const std::string text = file_lines()[line - 1];
  vbp_status st = gw_json_merge(&r->base, text.data(), text.size(), a);
  std::string out = vbp_ok(&st) ? json_of(pick(r)) : std::string("unparsable: ") + st.message;
  vbp_arena_destroy(a);
  return out;
}

std::string catalog_sql(const std::string &sql) {
  return vbp_test_sql(CatalogStack::instance()->dsn(), sql);
}

std::string prepared_count() {
  return catalog_sql("SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()");
}

// How many rows each service holds of what the file brings.
std::string written() {
  return catalog_sql(
      "SELECT (SELECT count(*) FROM catalog.regions) || '/' || "
      "(SELECT count(*) FROM catalog.organizations) || '/' || "
      "(SELECT count(*) FROM catalog.products) || '/' || (SELECT count(*) FROM catalog.batches) "
      "|| '/' || (SELECT count(*) FROM catalog.executions) || '/' || "
      "(SELECT count(*) FROM catalog.groups) || '/' || (SELECT count(*) FROM catalog.results) || "
      "'/' || (SELECT count(*) FROM volume.allocations) || '/' || "
      "(SELECT count(*) FROM volume.imported_progress) || '/' || "
      "(SELECT count(*) FROM volume.frozen_years) || '/' || "
      "(SELECT count(*) FROM contract.contracts) || '/' || "
      "(SELECT count(*) FROM contract.signatures) || '/' || "
      "(SELECT count(*) FROM contract.contract_events)");
}

// How many "imported" changes each service's feed holds (catalog/volume/contract).
std::string fed() {
  return catalog_sql(
      "SELECT (SELECT count(*) FROM catalog.changes WHERE action = 'imported') || '/' || "
      "(SELECT count(*) FROM volume.changes WHERE action = 'imported') || '/' || "
      "(SELECT count(*) FROM contract.changes WHERE action = 'imported')");
}

const char *const kNothing = "0/0/0/0/0/0/0/0/0/0/0/0/0";
const char *const kEverything = "3/4/2/1/1/1/2/2/2/1/2/3/5";

std::vector<std::pair<int, std::string>> errors_of(const Vbp__V1__ImportBatchResponse *r) {
  std::vector<std::pair<int, std::string>> out;
  for (size_t i = 0; i < r->n_errors; i++)
    out.emplace_back(r->errors[i]->line, r->errors[i]->message);
  return out;
}

using Errors = std::vector<std::pair<int, std::string>>;

class ImportTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                        ContractStack::instance()->client());
  }
  void TearDown() override {
    for (const char *p : {"catalog.import.prepare", "volume.import.prepare",
                          "contract.import.prepare", "catalog.import.committed"})
      vbp_failpoint_set(p, false);
  }
  // Contracts show EXPIRED after their period: look at them inside it.
  PinnedToday today_{"2024-09-01"};
};

Reply<Vbp__V1__Contract> get_contract(const std::string &id) {
  Vbp__V1__GetContractRequest req = VBP__V1__GET_CONTRACT_REQUEST__INIT;
  req.id = const_cast<char *>(id.c_str());
  return contract_call<Vbp__V1__Contract>("GetContract", Caller::admin(), &req.base);
}

Reply<Vbp__V1__ListAllocationsResponse> list_allocations() {
  Vbp__V1__ListAllocationsRequest req = VBP__V1__LIST_ALLOCATIONS_REQUEST__INIT;
  req.batch_code = const_cast<char *>(kBatch);
  req.region_code = const_cast<char *>("350000");
  req.agreement_year = 1;
  return volume_call<Vbp__V1__ListAllocationsResponse>("ListAllocations", Caller::admin(),
                                                       &req.base);
}

// Every service answers exactly the file's values.
void expect_file_values() {
  auto batch = get_batch(Caller::admin(), kBatch);
  ASSERT_TRUE(IsOk(batch));
  EXPECT_EQ(json_of(&batch.get()->base), line_json(10, [](auto *r) { return &r->batch->base; }));

  auto years = list_agreement_years(Caller::admin(), kBatch, "350000");
  ASSERT_TRUE(IsOk(years));
  EXPECT_EQ(years_of(years.get()),
            (Years{{1, "2024-06-01", "2025-05-31"}, {2, "2025-06-01", "2026-05-31"}}));

  auto institution = get_organization(Caller::admin(), "h-imp-1");
  ASSERT_TRUE(IsOk(institution));
  EXPECT_EQ(json_of(&institution.get()->base),
            line_json(6, [](auto *r) { return &r->organization->base; }));
  auto product = get_product(Caller::admin(), "p-imp-2");
  ASSERT_TRUE(IsOk(product));
  EXPECT_EQ(json_of(&product.get()->base), line_json(9, [](auto *r) { return &r->product->base; }));

  auto results = list_results(Caller::admin(), kBatch, "",
                              VBP__V1__RESULT_STATUS__RESULT_STATUS_UNSPECIFIED, 10, "");
  ASSERT_TRUE(IsOk(results));
  ASSERT_EQ(results->n_results, 2u);
  EXPECT_EQ(json_of(&results->results[0]->base),
            line_json(13, [](auto *r) { return &r->result->base; }));
  EXPECT_EQ(json_of(&results->results[1]->base),
            line_json(14, [](auto *r) { return &r->result->base; }));

  auto allocations = list_allocations();
  ASSERT_TRUE(IsOk(allocations));
  ASSERT_EQ(allocations->n_allocations, 2u);
  EXPECT_EQ(json_of(&allocations->allocations[0]->base),
            line_json(15, [](auto *r) { return &r->allocation->base; }));
  EXPECT_EQ(json_of(&allocations->allocations[1]->base),
            line_json(16, [](auto *r) { return &r->allocation->base; }));

  for (int line : {17, 18}) {
    std::string id = line == 17 ? "FJ-IMP-C1" : "FJ-IMP-C2";
    auto contract = get_contract(id);
    ASSERT_TRUE(IsOk(contract)) << id;
    EXPECT_EQ(json_of(&contract.get()->base),
              line_json(line, [](auto *r) { return &r->contract->base; }));
  }
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(),
                         "SELECT string_agg(institution_id || ':' || agreed || ':' || purchased || "
                         "':' || completion_percent || ':' || elapsed_percent || ':' || as_of, ',' "
                         "ORDER BY institution_id) FROM imported_progress"),
            "h-imp-1:600:150:25:25:2024-09-01,h-imp-2:300:30:10:25:2024-09-01");
}

TEST_F(ImportTest, EveryRecordTypeImportedAsTheFileHasIt) {
  ASSERT_EQ(fed(), "0/0/0");
  auto r = import(join(file_lines()));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()), Errors{});
  EXPECT_EQ(r->imported, kRecords);
  EXPECT_EQ(r->skipped, 0);
  expect_file_values();
  EXPECT_EQ(written(), kEverything);
  EXPECT_EQ(prepared_count(), "0");
  EXPECT_EQ(catalog_sql("SELECT state || ':' || (settled_at IS NOT NULL) FROM imports"),
            "done:true");
  // In the change feed, in the import's transactions: the 14 catalog records (regions,
  // organizations, products, batch, execution, group, results), 2 allocations, 2 contracts.
  EXPECT_EQ(fed(), "14/2/2");
  EXPECT_EQ(catalog_sql("SELECT string_agg(type || ' ' || id, ',' ORDER BY seq) FROM "
                        "contract.changes WHERE action = 'imported'"),
            "contract FJ-IMP-C1,contract FJ-IMP-C2");
}

TEST_F(ImportTest, TheAllianceOfficeMayImport) {
  auto r = import_as(Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, "jx-alliance-office", "360000"),
                     join(file_lines()));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->imported, kRecords);
}

TEST_F(ImportTest, TheSameFileTwiceSkipsEverything) {
  const std::string body = join(file_lines());
  ASSERT_TRUE(IsOk(import(body)));
  auto again = import(body);
  ASSERT_TRUE(IsOk(again));
  EXPECT_EQ(errors_of(again.get()), Errors{});
  EXPECT_EQ(again->imported, 0);
  EXPECT_EQ(again->skipped, kRecords);
  expect_file_values();
  EXPECT_EQ(written(), kEverything);
  EXPECT_EQ(prepared_count(), "0");
  EXPECT_EQ(fed(), "14/2/2");  // a skipped record changed nothing, so it is not fed again
}

TEST_F(ImportTest, ABadLastRecordChangesNothing) {
  std::vector<std::string> lines = file_lines();
  lines[kProgress2 - 1] = R"({"progress":{"batchCode":"FJ-IMP-2024","regionCode":"350000",)"
                          R"("agreementYear":3,"asOf":"2024-09-01","institutionId":"h-imp-2",)"
                          R"("productId":"p-imp-1","agreed":"300","purchased":"30"}})";
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{kProgress2,
                     "progress.agreementYear: must be 1 to 2, the execution's agreement years"}}));
  EXPECT_EQ(r->imported, 0);
  EXPECT_EQ(written(), kNothing);
  EXPECT_EQ(catalog_sql("SELECT count(*) FROM imports"), "0");
}

TEST_F(ImportTest, AnUnparsableEndChangesNothing) {
  std::vector<std::string> lines = file_lines();
  lines[kEnd - 1] = R"({"end":{"records":20})";
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  ASSERT_EQ(r->n_errors, 2u);
  EXPECT_EQ(r->errors[0]->line, kEnd);
  EXPECT_EQ(std::string(r->errors[0]->message).rfind("is not valid JSON", 0), 0u)
      << r->errors[0]->message;
  EXPECT_EQ(r->errors[1]->line, kEnd);
  EXPECT_STREQ(r->errors[1]->message, "end: the file has no end record: it is not whole");
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, AWrongEndCountChangesNothing) {
  std::vector<std::string> lines = file_lines();
  lines[kEnd - 1] = R"({"end":{"records":19}})";
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{kEnd, "end.records: is 19 but 20 records came before it"}}));
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, ARecordAfterTheEndChangesNothing) {
  std::vector<std::string> lines = file_lines();
  lines.push_back(
      R"({"region":{"code":"350200","name":"厦门市","level":"CITY","parentCode":"350000"}})");
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()), (Errors{{kEnd + 1, "follows the end record"}}));
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, ADanglingReferenceChangesNothing) {
  std::vector<std::string> lines = file_lines();
  lines[kAllocation1 - 1] =
      R"({"allocation":{"batchCode":"FJ-IMP-2024","regionCode":"350000",)"
      R"("institutionId":"h-imp-9","groupId":"G1","productId":"p-imp-1","agreementYear":1,)"
      R"("agreedQuantity":"600","ratioPercent":60,"baseQuantity":"1000"}})";
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{kAllocation1, "allocation.institutionId: names no organization"}}));
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, AReferenceToALaterLineIsRefused) {
  std::vector<std::string> lines = file_lines();
  const std::string institution = lines[5];  // h-imp-1, line 6
  lines.erase(lines.begin() + 5);
  lines.insert(lines.begin() + kAllocation1 - 1, institution);  // after its allocation, now 14
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()), (Errors{{kAllocation1 - 1,
                                         "allocation.institutionId: names a record defined after "
                                         "this line (references come first)"}}));
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, AnotherBatchOrProvinceInTheFileIsRefused) {
  std::vector<std::string> lines = file_lines();
  lines[kAllocation1 - 1] =
      R"({"allocation":{"batchCode":"FJ-IMP-2024","regionCode":"360000",)"
      R"("institutionId":"h-imp-1","groupId":"G1","productId":"p-imp-1","agreementYear":1,)"
      R"("agreedQuantity":"600","ratioPercent":60,"baseQuantity":"1000"}})";
  lines[12] = R"({"result":{"batchCode":"JX-OTHER","productId":"p-imp-1","groupId":"G1",)"
              R"("status":"WINNING","winningPrice":"30.5","sharePercent":60}})";
  auto r = import(join(lines));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{13, "result.batchCode: must be FJ-IMP-2024: a file holds one batch"},
                    {kAllocation1,
                     "allocation.regionCode: must be 350000: a file holds one "
                     "province"}}));
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, ACatalogRowWithOtherContentIsAnErrorOfItsLine) {
  ASSERT_TRUE(IsOk(
      create_region(Caller::admin(), "350000", "Fujian", VBP__V1__REGION_LEVEL__PROVINCE, "")));
  auto r = import(join(file_lines()));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{2, "region.code: region 350000 exists already with other values"}}));
  EXPECT_EQ(written(), "1/0/0/0/0/0/0/0/0/0/0/0/0");  // only the region that was there
}

TEST_F(ImportTest, ACreditCodeOfAnotherOrganizationIsAnErrorOfItsLine) {
  catalog_sql("INSERT INTO catalog.regions (code, name, level) VALUES ('350000', '福建省', 1)");
  catalog_sql(
      "INSERT INTO catalog.organizations (id, name, kind, region_code, credit_code) "
      "VALUES ('m-other', '别家药厂', 5, '350000', '" +
      credit_code_for("m-imp-1", "350000") + "')");
  auto r = import(join(file_lines()));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{4, "organization.creditCode: is the credit code of another organization"}}));
  EXPECT_EQ(written(), "1/1/0/0/0/0/0/0/0/0/0/0/0");
  EXPECT_EQ(prepared_count(), "0");
}

TEST_F(ImportTest, AVolumeRowWithOtherContentUndoesTheOtherParts) {
  vbp_test_sql(VolumeStack::instance()->dsn(),
               "INSERT INTO allocations (batch_code, region_code, agreement_year, institution_id, "
               "institution_region, group_id, product_id, manufacturer_id, base_quantity, "
               "ratio_percent, agreed_quantity, winning_price) VALUES ('FJ-IMP-2024', '350000', 1, "
               "'h-imp-1', '350100', 'G1', 'p-imp-1', 'm-imp-1', 1000, 60, 601, 305000)");
  auto r = import(join(file_lines()));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(errors_of(r.get()),
            (Errors{{kAllocation1, "allocation exists already with other values"}}));
  EXPECT_EQ(r->imported, 0);
  // The catalog part was prepared, then rolled back; the row that was there is untouched.
  EXPECT_EQ(written(), "0/0/0/0/0/0/0/1/0/0/0/0/0");
  EXPECT_EQ(vbp_test_sql(VolumeStack::instance()->dsn(), "SELECT agreed_quantity FROM allocations"),
            "601");
  EXPECT_EQ(prepared_count(), "0");
  EXPECT_EQ(catalog_sql("SELECT state || ':' || (settled_at IS NOT NULL) FROM imports"),
            "aborted:true");
}

TEST_F(ImportTest, AContractWithOtherContentUndoesTheOtherParts) {
  vbp_test_sql(ContractStack::instance()->dsn(),
               "INSERT INTO contracts (id, batch_code, region_code, kind, institution_id, "
               "institution_region, area_code, manufacturer_id, product_id, price, quantity, "
               "agreement_year, period_start, period_end, state) VALUES ('FJ-IMP-C1', "
               "'FJ-IMP-2024', '350000', 1, 'h-imp-1', '350100', '350100', 'm-imp-1', 'p-imp-1', "
               "305000, 999, 1, '2024-06-01', '2025-05-31', 1)");
  auto r = import(join(file_lines()));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(
      errors_of(r.get()),
      (Errors{{kContract1, "contract.id: contract FJ-IMP-C1 exists already with other values"}}));
  EXPECT_EQ(written(), "0/0/0/0/0/0/0/0/0/0/1/0/0");
  EXPECT_EQ(prepared_count(), "0");
}

// A failure in any service's part, before its PREPARE: nothing anywhere, nothing left prepared.
class ImportFailureTest : public ImportTest, public ::testing::WithParamInterface<const char *> {};

TEST_P(ImportFailureTest, LeavesNothingInAnyService) {
  vbp_failpoint_set(GetParam(), true);
  auto r = import(join(file_lines()));
  EXPECT_TRUE(IsRefused(r, VBP_UNAVAILABLE));
  EXPECT_NE(std::string(r.status.message).find(GetParam()), std::string::npos) << r.status.message;
  EXPECT_EQ(written(), kNothing);
  EXPECT_EQ(fed(), "0/0/0");
  // A part left prepared would hold its rows' locks: the import below would wait on them.
  ASSERT_EQ(prepared_count(), "0");
  EXPECT_EQ(catalog_sql("SELECT state || ':' || (settled_at IS NOT NULL) FROM imports"),
            "aborted:true");
  // Once the failure is gone the same file goes in whole.
  vbp_failpoint_set(GetParam(), false);
  auto again = import(join(file_lines()));
  ASSERT_TRUE(IsOk(again));
  EXPECT_EQ(again->imported, kRecords);
  EXPECT_EQ(written(), kEverything);
}

INSTANTIATE_TEST_SUITE_P(EachPart, ImportFailureTest,
                         ::testing::Values("catalog.import.prepare", "volume.import.prepare",
                                           "contract.import.prepare"),
                         [](const ::testing::TestParamInfo<const char *> &info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST_F(ImportTest, ACrashAfterTheCommitPointIsFinishedByRecovery) {
  vbp_failpoint_set("catalog.import.committed", true);
  auto r = import(join(file_lines()));
  EXPECT_TRUE(IsRefused(r, VBP_UNAVAILABLE));
  vbp_failpoint_set("catalog.import.committed", false);
  // Decided but not yet visible: every part prepared, holding its rows.
  EXPECT_EQ(prepared_count(), "3");
  EXPECT_EQ(catalog_sql("SELECT state FROM imports"), "committed");
  EXPECT_EQ(written(), kNothing);

  int finished = -1;
  ASSERT_TRUE(IsOk(catalog_import_recover(CatalogStack::instance()->service(), 60, &finished)));
  EXPECT_EQ(finished, 1);
  EXPECT_EQ(prepared_count(), "0");
  EXPECT_EQ(catalog_sql("SELECT state || ':' || (settled_at IS NOT NULL) FROM imports"),
            "done:true");
  expect_file_values();
  EXPECT_EQ(written(), kEverything);
  // Again: nothing left to do.
  ASSERT_TRUE(IsOk(catalog_import_recover(CatalogStack::instance()->service(), 60, &finished)));
  EXPECT_EQ(finished, 0);
}

TEST_F(ImportTest, RecoveryAbortsAnImportLeftPreparing) {
  // A coordinator that died after its own part prepared, before the commit point.
  catalog_sql(
      "INSERT INTO catalog.imports (id, state, file_sha256, batch_code, region_code, "
      "created_at) VALUES ('imp-stale', 'preparing', '" +
      std::string(kSha2) + "', 'FJ-IMP-2024', '350000', now() - interval '2 minutes')");
  catalog_sql(
      "BEGIN; INSERT INTO catalog.regions (code, name, level) VALUES ('350000', "
      "'福建省', 1); PREPARE TRANSACTION 'vbp-import-imp-stale-catalog'");
  EXPECT_EQ(prepared_count(), "1");
  int finished = -1;
  // A younger bound than its age aborts it; an older one leaves it.
  ASSERT_TRUE(IsOk(catalog_import_recover(CatalogStack::instance()->service(), 600, &finished)));
  EXPECT_EQ(finished, 0);
  EXPECT_EQ(prepared_count(), "1");
  ASSERT_TRUE(IsOk(catalog_import_recover(CatalogStack::instance()->service(), 60, &finished)));
  EXPECT_EQ(finished, 1);
  EXPECT_EQ(prepared_count(), "0");
  EXPECT_EQ(catalog_sql("SELECT state || ':' || (settled_at IS NOT NULL) FROM imports"),
            "aborted:true");
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, FinishingAnImportNobodyPreparedIsOk) {
  Vbp__V1__FinishImportRequest req = VBP__V1__FINISH_IMPORT_REQUEST__INIT;
  req.import_id = const_cast<char *>("imp-never");
  req.commit = true;
  const Caller service = Caller::signed_as(VBP_ROLE_SERVICE, "", "");
  auto v = volume_call<Vbp__V1__FinishImportResponse>("FinishImport", service, &req.base);
  ASSERT_TRUE(IsOk(v));
  EXPECT_FALSE(v->found);
  auto c = contract_call<Vbp__V1__FinishImportResponse>("FinishImport", service, &req.base);
  ASSERT_TRUE(IsOk(c));
  EXPECT_FALSE(c->found);
}

TEST_F(ImportTest, RefusedToABureauAHospitalAndAManufacturer) {
  const std::string body = join(file_lines());
  EXPECT_TRUE(IsRefused(import_as(Caller::signed_as(VBP_ROLE_BUREAU, "fj-bureau", "350000"), body),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(
      import_as(Caller::signed_as(VBP_ROLE_MEDICAL_INSTITUTION, "h-imp-1", "350100"), body),
      VBP_PERMISSION_DENIED));
  EXPECT_TRUE(
      IsRefused(import_as(Caller::signed_as(VBP_ROLE_MANUFACTURER, "m-imp-1", "350000"), body),
                VBP_PERMISSION_DENIED));
  EXPECT_EQ(written(), kNothing);
}

TEST_F(ImportTest, ThePartsRefuseOtherCallers) {
  Vbp__V1__FinishImportRequest req = VBP__V1__FINISH_IMPORT_REQUEST__INIT;
  req.import_id = const_cast<char *>("imp-never");
  EXPECT_TRUE(IsRefused(
      volume_call<Vbp__V1__FinishImportResponse>("FinishImport", Caller::admin(), &req.base),
      VBP_PERMISSION_DENIED));
  Vbp__V1__PrepareContractImportRequest prep = VBP__V1__PREPARE_CONTRACT_IMPORT_REQUEST__INIT;
  prep.import_id = const_cast<char *>("imp-x");
  EXPECT_TRUE(IsRefused(
      contract_call<Vbp__V1__PrepareImportResponse>(
          "PrepareImport",
          Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, "jx-alliance-office", "360000"), &prep.base),
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
