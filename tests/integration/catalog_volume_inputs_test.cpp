// GetVolumeInputs (internal, for volume-svc) over real gRPC against the real PostgreSQL: one batch
// executed in one province as the volume rules need it, read in one snapshot: the batch (as
// GetBatch answers it), its execution (as stored), its agreement years (as ListAgreementYears
// answers them), its groups and results, the products in its scope (V4, V6) and the institutions
// asked for (as GetOrganization answers them).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "catalog_harness.h"
#include "common/identity.h"

namespace {

char *c(const std::string &s) { return const_cast<char *>(s.c_str()); }

#define MUST(expr) ASSERT_TRUE(IsOk(expr)) << #expr

// ---------------------------------------------------------------- calls

Caller service() { return Caller::signed_as(VBP_ROLE_SERVICE, "", ""); }

Reply<Vbp__V1__VolumeInputs> get_volume_inputs(const Caller &who, const std::string &batch_code,
                                               const std::string &region_code,
                                               const std::vector<std::string> &institution_ids) {
  Vbp__V1__GetVolumeInputsRequest r;
  vbp__v1__get_volume_inputs_request__init(&r);
  std::vector<char *> ids;
  for (const std::string &id : institution_ids) ids.push_back(c(id));
  r.batch_code = c(batch_code);
  r.region_code = c(region_code);
  r.institution_ids = ids.data();
  r.n_institution_ids = ids.size();
  return call<Vbp__V1__VolumeInputs>("GetVolumeInputs", who, &r.base);
}

// ---------------------------------------------------------------- answers as text

// A message's wire form: equal for equal messages (protobuf-c packs fields in number order).
std::string packed(const ProtobufCMessage *m) {
  if (m == nullptr) return "(none)";
  std::string out(protobuf_c_message_get_packed_size(m), '\0');
  protobuf_c_message_pack(m, reinterpret_cast<uint8_t *>(&out[0]));
  return out;
}

std::string enum_name(const ProtobufCEnumDescriptor *d, int value) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  return v ? v->name : "?";
}

std::vector<std::string> groups_of(const Vbp__V1__VolumeInputs *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_groups; i++) {
    const Vbp__V1__Group *g = r->groups[i];
    out.push_back(std::string(g->batch_code) + " " + g->id + " " + g->generic_name +
                  (g->competitive ? " competitive" : " non-competitive"));
  }
  return out;
}

// "group product STATUS price share%", the price as ListResults writes it ("-" for none).
std::vector<std::string> results_of(const Vbp__V1__VolumeInputs *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_results; i++) {
    const Vbp__V1__Result *x = r->results[i];
    EXPECT_STREQ(x->batch_code, r->batch->code);
    out.push_back(std::string(x->group_id) + " " + x->product_id + " " +
                  enum_name(&vbp__v1__result_status__descriptor, x->status) + " " +
                  (*x->winning_price ? x->winning_price : "-") + " " +
                  std::to_string(x->share_percent) + "%");
  }
  return out;
}

std::vector<std::string> product_ids_of(const Vbp__V1__VolumeInputs *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_products; i++) out.push_back(r->products[i]->id);
  return out;
}

std::vector<std::string> institution_ids_of(const Vbp__V1__VolumeInputs *r) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r->n_institutions; i++) out.push_back(r->institutions[i]->id);
  return out;
}

// ---------------------------------------------------------------- the scenario

const char *const kDrugBatch = "VI-YP2023-01";   // interferon alliance: Fujian from 2024-07-22
const char *const kStentBatch = "VI-HC2024-01";  // consumables: Fujian from 2024-09-01, 2 years
const char *const kIfn = "重组人干扰素α2b";
const char *const kAmox = "阿莫西林";
const char *const kAmlo = "氨氯地平";
const char *const kStent = "冠脉支架";
const char *const kEluting = "药物洗脱";
const char *const kBare = "裸支架";
const char *const kDegradable = "可降解";

ProductSpec drug(const std::string &id, const std::string &generic_name, const std::string &maker) {
  ProductSpec p;
  p.id = id;
  p.kind = VBP__V1__PRODUCT_KIND__DRUG;
  p.generic_name = generic_name;
  p.dosage_form = "注射剂";
  p.specification = "300万IU";
  p.unit = "支";
  p.manufacturer_id = maker;
  p.quality_tier = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
  p.in_insurance_catalog = true;
  return p;
}

ProductSpec consumable(const std::string &id, const std::string &generic_name,
                       const std::string &maker, const std::string &category,
                       const std::string &function) {
  ProductSpec p;
  p.id = id;
  p.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
  p.generic_name = generic_name;
  p.specification = "3.0x18mm";
  p.unit = "个";
  p.manufacturer_id = maker;
  p.in_insurance_catalog = true;
  p.category = category;
  p.function = function;
  return p;
}

ResultSpec result(const std::string &batch, const std::string &product, const std::string &group,
                  Vbp__V1__ResultStatus status, const std::string &price, int share) {
  ResultSpec r;
  r.batch_code = batch;
  r.product_id = product;
  r.group_id = group;
  r.status = status;
  r.winning_price = price;
  r.share_percent = share;
  return r;
}

void ensure_makers() {
  for (const char *id : {"vi-m1", "vi-m2", "vi-m3"})
    ensure_org(id, VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
}

// Idempotent. The drug batch VI-YP2023-01 (alliance, 4 years) executed in 350000 from 2024-07-22:
//   group G1 (interferon, competitive): vi-d1 WINNING 30.0000 60%, vi-d2 BACKUP 32.5000 40%,
//     vi-d3 NON_WINNING;
//   group G2 (amoxicillin, non-competitive): vi-a1 WINNING 12.5000 100%.
//   vi-d4: interferon without a result (in scope); vi-x1: amlodipine, no group (out of scope);
//   vi-c1: a consumable named like the interferon group (out: not a drug).
// Product ids sort otherwise than their groups (vi-a1 < vi-d1 but G1 < G2): results go by group.
void ensure_drug_batch() {
  Caller admin = Caller::admin();
  ensure_makers();
  ensure_interferon_batch(kDrugBatch);
  ExecutionSpec e;
  e.batch_code = kDrugBatch;
  e.region_code = "350000";
  e.listing_date = "2024-07-18";
  e.start_date = "2024-07-22";
  e.institution_sign_from = "2024-07-01";
  e.institution_sign_to = "2024-07-10";
  MUST(create_execution(admin, e));
  Caller office = Caller::key(alliance_key());
  MUST(create_group(office, kDrugBatch, "G2", kAmox, false));
  MUST(create_group(office, kDrugBatch, "G1", kIfn, true));
  MUST(create_product(admin, drug("vi-d1", kIfn, "vi-m1")));
  MUST(create_product(admin, drug("vi-d2", kIfn, "vi-m2")));
  MUST(create_product(admin, drug("vi-d3", kIfn, "vi-m3")));
  MUST(create_product(admin, drug("vi-d4", kIfn, "vi-m1")));
  MUST(create_product(admin, drug("vi-a1", kAmox, "vi-m2")));
  MUST(create_product(admin, drug("vi-x1", kAmlo, "vi-m3")));
  MUST(create_product(admin, consumable("vi-c1", kIfn, "vi-m1", "敷料", "止血")));
  MUST(publish_result(
      office, result(kDrugBatch, "vi-d1", "G1", VBP__V1__RESULT_STATUS__WINNING, "30.0000", 60)));
  MUST(publish_result(
      office, result(kDrugBatch, "vi-d2", "G1", VBP__V1__RESULT_STATUS__BACKUP, "32.5", 40)));
  MUST(publish_result(
      office, result(kDrugBatch, "vi-d3", "G1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0)));
  MUST(publish_result(
      office, result(kDrugBatch, "vi-a1", "G2", VBP__V1__RESULT_STATUS__WINNING, "12.5", 100)));
}

// Idempotent. Institutions: vi-h1 (a county consortium's head in 350102), vi-h2 reporting with it
// (350100), and vi-h3 in Jiangxi (the caller checks regions, not catalog-svc).
void ensure_institutions() {
  Caller admin = Caller::admin();
  ensure_region("350102");
  ensure_region("360100");
  OrgSpec h1 = org("vi-h1", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102");
  h1.institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
  MUST(create_organization(admin, h1));
  OrgSpec h2 = org("vi-h2", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350100");
  h2.institution_type = VBP__V1__INSTITUTION_TYPE__PRIVATE_DESIGNATED;
  h2.consortium_id = "vi-h1";
  MUST(create_organization(admin, h2));
  OrgSpec h3 = org("vi-h3", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "360100");
  h3.institution_type = VBP__V1__INSTITUTION_TYPE__MILITARY;
  MUST(create_organization(admin, h3));
}

// Idempotent. The consumable batch VI-HC2024-01 (Fujian, 2 years, not aligned) from 2024-09-01:
//   group S-DE (stents): vi-s1 eluting WINNING 590.0000 70%, vi-s2 eluting BACKUP 620.0000 30%,
//     vi-s4 eluting NON_WINNING;
//   group S-BM (stents): vi-s3 bare WINNING 700.0000 100%.
//   vi-s5 eluting and vi-s8 bare without a result (in scope: a result's category and function);
//   vi-s7 a degradable stent (same category, another function: out); vi-s6 another category
//   (out); vi-s9 a drug named like the groups (out: the generic name scopes drugs only).
void ensure_stent_batch() {
  Caller admin = Caller::admin();
  ensure_makers();
  ensure_region("350000");
  BatchSpec b;
  b.code = kStentBatch;
  b.name = "福建省冠脉支架集中带量采购";
  b.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.cycle_years = 2;
  b.non_winning_cap_percent = 30;
  MUST(create_batch(admin, b));
  ExecutionSpec e;
  e.batch_code = kStentBatch;
  e.region_code = "350000";
  e.listing_date = "2024-08-25";
  e.start_date = "2024-09-01";
  e.align_renewal = Align::kOff;
  MUST(create_execution(admin, e));
  MUST(create_group(admin, kStentBatch, "S-DE", kStent, true));
  MUST(create_group(admin, kStentBatch, "S-BM", kStent, true));
  MUST(create_product(admin, consumable("vi-s1", kStent, "vi-m1", kStent, kEluting)));
  MUST(create_product(admin, consumable("vi-s2", kStent, "vi-m2", kStent, kEluting)));
  MUST(create_product(admin, consumable("vi-s3", kStent, "vi-m3", kStent, kBare)));
  MUST(create_product(admin, consumable("vi-s4", kStent, "vi-m3", kStent, kEluting)));
  MUST(create_product(admin, consumable("vi-s5", kStent, "vi-m2", kStent, kEluting)));
  MUST(create_product(admin, consumable("vi-s6", "人工关节", "vi-m1", "人工关节", "髋关节")));
  MUST(create_product(admin, consumable("vi-s7", kStent, "vi-m1", kStent, kDegradable)));
  MUST(create_product(admin, consumable("vi-s8", kStent, "vi-m2", kStent, kBare)));
  MUST(create_product(admin, drug("vi-s9", kStent, "vi-m3")));
  MUST(publish_result(
      admin, result(kStentBatch, "vi-s1", "S-DE", VBP__V1__RESULT_STATUS__WINNING, "590", 70)));
  MUST(publish_result(
      admin, result(kStentBatch, "vi-s2", "S-DE", VBP__V1__RESULT_STATUS__BACKUP, "620.0000", 30)));
  MUST(publish_result(
      admin, result(kStentBatch, "vi-s4", "S-DE", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0)));
  MUST(publish_result(admin, result(kStentBatch, "vi-s3", "S-BM", VBP__V1__RESULT_STATUS__WINNING,
                                    "700.0000", 100)));
}

class VolumeInputs : public CatalogTest {};

// ---------------------------------------------------------------- what is answered

TEST_F(VolumeInputs, DrugBatchWholeAsTheOtherRpcsAnswerIt) {
  ASSERT_NO_FATAL_FAILURE(ensure_drug_batch());
  ASSERT_NO_FATAL_FAILURE(ensure_institutions());
  auto r = get_volume_inputs(service(), kDrugBatch, "350000", {"vi-h2", "vi-h1"});
  ASSERT_TRUE(IsOk(r));

  // The batch as GetBatch answers it.
  ASSERT_NE(r->batch, nullptr);
  EXPECT_STREQ(r->batch->code, kDrugBatch);
  EXPECT_EQ(r->batch->kind, VBP__V1__PRODUCT_KIND__DRUG);
  EXPECT_STREQ(r->batch->created_by, kAllianceOffice);
  auto batch = get_batch(Caller::admin(), kDrugBatch);
  ASSERT_TRUE(IsOk(batch));
  EXPECT_EQ(packed(&r->batch->base), packed(&batch->base));

  // The execution as stored: CreateExecution's answer to the same request again.
  ASSERT_NE(r->execution, nullptr);
  EXPECT_STREQ(r->execution->batch_code, kDrugBatch);
  EXPECT_STREQ(r->execution->region_code, "350000");
  EXPECT_STREQ(r->execution->listing_date, "2024-07-18");
  EXPECT_STREQ(r->execution->start_date, "2024-07-22");
  EXPECT_STREQ(r->execution->institution_sign_from, "2024-07-01");
  EXPECT_STREQ(r->execution->institution_sign_to, "2024-07-10");
  EXPECT_STREQ(r->execution->enterprise_sign_from, "");
  ASSERT_NE(r->execution->align_renewal, nullptr);
  EXPECT_TRUE(r->execution->align_renewal->value);  // absent at creation means aligned (C6)
  ExecutionSpec e;
  e.batch_code = kDrugBatch;
  e.region_code = "350000";
  e.listing_date = "2024-07-18";
  e.start_date = "2024-07-22";
  e.institution_sign_from = "2024-07-01";
  e.institution_sign_to = "2024-07-10";
  auto stored = create_execution(Caller::admin(), e);
  ASSERT_TRUE(IsOk(stored));
  EXPECT_EQ(packed(&r->execution->base), packed(&stored->base));

  // The agreement years, as ListAgreementYears answers them (aligned: the first year to the end
  // of 2025, the last cut at the cycle's last day 2028-07-21).
  Vbp__V1__ListAgreementYearsResponse years = VBP__V1__LIST_AGREEMENT_YEARS_RESPONSE__INIT;
  years.agreement_years = r->agreement_years;
  years.n_agreement_years = r->n_agreement_years;
  EXPECT_EQ(years_of(&years), (Years{{1, "2024-07-22", "2025-12-31"},
                                     {2, "2026-01-01", "2026-12-31"},
                                     {3, "2027-01-01", "2027-12-31"},
                                     {4, "2028-01-01", "2028-07-21"}}));
  auto listed = list_agreement_years(Caller::admin(), kDrugBatch, "350000");
  ASSERT_TRUE(IsOk(listed));
  EXPECT_EQ(years_of(&years), years_of(listed.get()));
  EXPECT_EQ(packed(&years.base), packed(&listed->base));

  // Every group, by id.
  EXPECT_EQ(
      groups_of(r.get()),
      (std::vector<std::string>{std::string(kDrugBatch) + " G1 " + kIfn + " competitive",
                                std::string(kDrugBatch) + " G2 " + kAmox + " non-competitive"}));

  // Every result, by group then product, prices as ListResults writes them.
  EXPECT_EQ(results_of(r.get()), (std::vector<std::string>{
                                     "G1 vi-d1 WINNING 30.0000 60%",
                                     "G1 vi-d2 BACKUP 32.5000 40%",
                                     "G1 vi-d3 NON_WINNING - 0%",
                                     "G2 vi-a1 WINNING 12.5000 100%",
                                 }));
  auto listed_results = list_results(Caller::admin(), kDrugBatch, "",
                                     VBP__V1__RESULT_STATUS__RESULT_STATUS_UNSPECIFIED, 100, "");
  ASSERT_TRUE(IsOk(listed_results));
  ASSERT_EQ(listed_results->n_results, r->n_results);
  // ListResults goes by product id alone: match each result by its product.
  std::map<std::string, std::string> listed_by_product;
  for (size_t j = 0; j < listed_results->n_results; j++)
    listed_by_product[listed_results->results[j]->product_id] =
        packed(&listed_results->results[j]->base);
  for (size_t i = 0; i < r->n_results; i++)
    EXPECT_EQ(packed(&r->results[i]->base), listed_by_product[r->results[i]->product_id])
        << r->results[i]->product_id;

  // The scope: the products with a result and the other drugs of a group's generic name (vi-d4);
  // not a drug of another generic name (vi-x1) nor a consumable named like a group (vi-c1).
  EXPECT_EQ(product_ids_of(r.get()),
            (std::vector<std::string>{"vi-a1", "vi-d1", "vi-d2", "vi-d3", "vi-d4"}));
  for (size_t i = 0; i < r->n_products; i++) {
    auto product = get_product(Caller::admin(), r->products[i]->id);
    ASSERT_TRUE(IsOk(product));
    EXPECT_EQ(packed(&r->products[i]->base), packed(&product->base)) << r->products[i]->id;
  }
  EXPECT_EQ(r->products[4]->quality_tier, VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED);
  EXPECT_STREQ(r->products[4]->generic_name, kIfn);

  // The institutions, in the order asked, as GetOrganization answers them.
  EXPECT_EQ(institution_ids_of(r.get()), (std::vector<std::string>{"vi-h2", "vi-h1"}));
  ASSERT_EQ(r->n_institutions, 2u);
  EXPECT_STREQ(r->institutions[0]->consortium_id, "vi-h1");
  EXPECT_EQ(r->institutions[0]->kind, VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION);
  EXPECT_EQ(r->institutions[0]->institution_type, VBP__V1__INSTITUTION_TYPE__PRIVATE_DESIGNATED);
  EXPECT_STREQ(r->institutions[0]->region_code, "350100");
  EXPECT_STREQ(r->institutions[0]->name, "Organization vi-h2");
  EXPECT_EQ(r->institutions[0]->credit_code, credit_code_for("vi-h2", "350100"));
  EXPECT_STREQ(r->institutions[1]->consortium_id, "");
  EXPECT_EQ(r->institutions[1]->institution_type, VBP__V1__INSTITUTION_TYPE__PUBLIC);
  for (size_t i = 0; i < r->n_institutions; i++) {
    auto o = get_organization(Caller::admin(), r->institutions[i]->id);
    ASSERT_TRUE(IsOk(o));
    EXPECT_EQ(packed(&r->institutions[i]->base), packed(&o->base)) << r->institutions[i]->id;
  }
}

TEST_F(VolumeInputs, InstitutionsInTheOrderAskedUnknownOnesLeftOutRepeatsOnce) {
  ASSERT_NO_FATAL_FAILURE(ensure_drug_batch());
  ASSERT_NO_FATAL_FAILURE(ensure_institutions());
  // Any kind and any region: the caller checks what it got.
  auto r = get_volume_inputs(service(), kDrugBatch, "350000",
                             {"vi-h3", "vi-nobody", "vi-h1", "vi-h3", "vi-m2", "vi-h2", "vi-h1"});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(institution_ids_of(r.get()),
            (std::vector<std::string>{"vi-h3", "vi-h1", "vi-m2", "vi-h2"}));
  ASSERT_EQ(r->n_institutions, 4u);
  EXPECT_EQ(r->institutions[2]->kind, VBP__V1__ORGANIZATION_KIND__MANUFACTURER);
  EXPECT_STREQ(r->institutions[3]->consortium_id, "vi-h1");

  // None asked, or none known: none answered, the rest as ever.
  for (const std::vector<std::string> &ids :
       {std::vector<std::string>{}, std::vector<std::string>{"vi-nobody", "vi-none"}}) {
    auto none = get_volume_inputs(service(), kDrugBatch, "350000", ids);
    ASSERT_TRUE(IsOk(none));
    EXPECT_EQ(none->n_institutions, 0u);
    EXPECT_EQ(none->n_results, 4u);
    EXPECT_EQ(none->n_groups, 2u);
  }
}

// Without a batch and a region: the institutions alone (volume-svc learns a purchase's province
// from its institution).
TEST_F(VolumeInputs, WithoutBatchAndRegionTheInstitutionsAlone) {
  ASSERT_NO_FATAL_FAILURE(ensure_drug_batch());
  ASSERT_NO_FATAL_FAILURE(ensure_institutions());
  auto r = get_volume_inputs(service(), "", "", {"vi-h2", "vi-nobody", "vi-h1"});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(institution_ids_of(r.get()), (std::vector<std::string>{"vi-h2", "vi-h1"}));
  EXPECT_EQ(r->batch, nullptr);
  EXPECT_EQ(r->execution, nullptr);
  EXPECT_EQ(r->n_groups, 0u);
  EXPECT_EQ(r->n_results, 0u);
  EXPECT_EQ(r->n_products, 0u);
  // One of the two alone is still refused.
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, "", {"vi-h1"}),
                        VBP_INVALID_ARGUMENT, "regionCode"));
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), "", "350000", {"vi-h1"}), VBP_INVALID_ARGUMENT,
                        "batchCode"));
}

TEST_F(VolumeInputs, ConsumableBatchScopedByCategoryAndFunction) {
  ASSERT_NO_FATAL_FAILURE(ensure_stent_batch());
  auto r = get_volume_inputs(service(), kStentBatch, "350000", {});
  ASSERT_TRUE(IsOk(r));
  ASSERT_NE(r->batch, nullptr);
  EXPECT_EQ(r->batch->kind, VBP__V1__PRODUCT_KIND__CONSUMABLE);
  EXPECT_EQ(r->batch->non_winning_cap_percent, 30);
  auto batch = get_batch(Caller::admin(), kStentBatch);
  ASSERT_TRUE(IsOk(batch));
  EXPECT_EQ(packed(&r->batch->base), packed(&batch->base));
  ASSERT_NE(r->execution, nullptr);
  ASSERT_NE(r->execution->align_renewal, nullptr);
  EXPECT_FALSE(r->execution->align_renewal->value);

  // Not aligned: plain anniversaries, as ListAgreementYears has them.
  Vbp__V1__ListAgreementYearsResponse years = VBP__V1__LIST_AGREEMENT_YEARS_RESPONSE__INIT;
  years.agreement_years = r->agreement_years;
  years.n_agreement_years = r->n_agreement_years;
  EXPECT_EQ(years_of(&years),
            (Years{{1, "2024-09-01", "2025-08-31"}, {2, "2025-09-01", "2026-08-31"}}));
  auto listed = list_agreement_years(Caller::admin(), kStentBatch, "350000");
  ASSERT_TRUE(IsOk(listed));
  EXPECT_EQ(packed(&years.base), packed(&listed->base));

  EXPECT_EQ(groups_of(r.get()), (std::vector<std::string>{
                                    std::string(kStentBatch) + " S-BM " + kStent + " competitive",
                                    std::string(kStentBatch) + " S-DE " + kStent + " competitive",
                                }));
  EXPECT_EQ(results_of(r.get()), (std::vector<std::string>{
                                     "S-BM vi-s3 WINNING 700.0000 100%",
                                     "S-DE vi-s1 WINNING 590.0000 70%",
                                     "S-DE vi-s2 BACKUP 620.0000 30%",
                                     "S-DE vi-s4 NON_WINNING - 0%",
                                 }));
  // With a result, or of a result's category and function (vi-s5 eluting, vi-s8 bare); not of
  // the category with another function (vi-s7), another category (vi-s6), nor a drug of the
  // groups' generic name (vi-s9).
  EXPECT_EQ(product_ids_of(r.get()),
            (std::vector<std::string>{"vi-s1", "vi-s2", "vi-s3", "vi-s4", "vi-s5", "vi-s8"}));
  for (size_t i = 0; i < r->n_products; i++) {
    EXPECT_EQ(r->products[i]->kind, VBP__V1__PRODUCT_KIND__CONSUMABLE);
    EXPECT_STREQ(r->products[i]->category, kStent);
  }
}

TEST_F(VolumeInputs, BatchWithoutGroupsYetAnswersItsExecutionAlone) {
  ensure_region("350000");
  Caller admin = Caller::admin();
  BatchSpec b;
  b.code = "VI-EMPTY";
  b.name = "空批次";
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.cycle_end = "2026-06-30";
  MUST(create_batch(admin, b));
  ExecutionSpec e;
  e.batch_code = "VI-EMPTY";
  e.region_code = "350000";
  e.listing_date = "2025-01-01";
  e.start_date = "2025-01-01";
  MUST(create_execution(admin, e));
  auto r = get_volume_inputs(service(), "VI-EMPTY", "350000", {});
  ASSERT_TRUE(IsOk(r));
  EXPECT_STREQ(r->batch->cycle_end, "2026-06-30");
  EXPECT_EQ(r->n_groups + r->n_results + r->n_products + r->n_institutions, 0u);
  auto listed = list_agreement_years(admin, "VI-EMPTY", "350000");
  ASSERT_TRUE(IsOk(listed));
  ASSERT_EQ(r->n_agreement_years, listed->n_agreement_years);
  ASSERT_EQ(r->n_agreement_years, 2u);
  EXPECT_STREQ(r->agreement_years[1]->end, "2026-06-30");
}

// ---------------------------------------------------------------- refusals

TEST_F(VolumeInputs, MissingBatchAndMissingExecutionAreNotFound) {
  ASSERT_NO_FATAL_FAILURE(ensure_drug_batch());
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), "VI-NOBODY", "350000", {}), VBP_NOT_FOUND,
                        "batchCode"));
  // Jiangxi is a member of the batch but has no execution of it; Jilin is no member at all.
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, "360000", {}), VBP_NOT_FOUND,
                        "regionCode"));
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, "220000", {"vi-h1"}),
                        VBP_NOT_FOUND, "regionCode"));
}

TEST_F(VolumeInputs, RequestIsChecked) {
  ASSERT_NO_FATAL_FAILURE(ensure_drug_batch());
  for (const char *code : {"", "bad code", "批次"})
    EXPECT_TRUE(IsRefused(get_volume_inputs(service(), code, "350000", {}), VBP_INVALID_ARGUMENT,
                          "batchCode"))
        << "\"" << code << "\"";
  // A province: volume-svc maps a city or county to its province before it asks.
  for (const char *region : {"350100", "350102", "35000", "", "000000", "abcdef"})
    EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, region, {}),
                          VBP_INVALID_ARGUMENT, "regionCode"))
        << "\"" << region << "\"";
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, "350000", {"vi-h1", "bad id"}),
                        VBP_INVALID_ARGUMENT, "institutionIds[1]"));
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, "350000", {""}),
                        VBP_INVALID_ARGUMENT, "institutionIds[0]"));
  std::vector<std::string> many;
  for (int i = 0; i < 10001; i++) many.push_back("vi-many-" + std::to_string(i));
  EXPECT_TRUE(IsRefused(get_volume_inputs(service(), kDrugBatch, "350000", many),
                        VBP_INVALID_ARGUMENT, "institutionIds"));
  // At the limit: one query for them all.
  many.resize(10000);
  many[9999] = "vi-m1";
  auto r = get_volume_inputs(service(), kDrugBatch, "350000", many);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(institution_ids_of(r.get()), (std::vector<std::string>{"vi-m1"}));
}

TEST_F(VolumeInputs, OnlyOurServicesAndTheAdminMayAsk) {
  ASSERT_NO_FATAL_FAILURE(ensure_drug_batch());
  ASSERT_NO_FATAL_FAILURE(ensure_institutions());
  EXPECT_TRUE(IsOk(get_volume_inputs(service(), kDrugBatch, "350000", {"vi-h1"})));
  EXPECT_TRUE(IsOk(get_volume_inputs(Caller::admin(), kDrugBatch, "350000", {"vi-h1"})));
  const std::vector<Caller> refused = {
      Caller::key(key_for("vi-h4", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102")),
      Caller::signed_as(VBP_ROLE_MEDICAL_INSTITUTION, "vi-h1", "350102"),
      Caller::key(key_for("vi-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000")),
      Caller::signed_as(VBP_ROLE_BUREAU, "vi-bureau", "350000"),
      Caller::key(alliance_key()),
      Caller::key(key_for("vi-m1", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100")),
  };
  for (const Caller &who : refused)
    EXPECT_TRUE(IsRefused(get_volume_inputs(who, kDrugBatch, "350000", {"vi-h1"}),
                          VBP_PERMISSION_DENIED, ""));
  // Refused before the request is even looked at.
  EXPECT_TRUE(IsRefused(get_volume_inputs(refused[0], "", "350100", {"bad id"}),
                        VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(get_volume_inputs(Caller::nobody(), kDrugBatch, "350000", {}),
                        VBP_UNAUTHENTICATED, ""));
  EXPECT_TRUE(IsRefused(
      get_volume_inputs(Caller::forged_as(VBP_ROLE_SERVICE, "", ""), kDrugBatch, "350000", {}),
      VBP_UNAUTHENTICATED, ""));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Registered after test_stack.cpp's environment (made during static initialisation), so it is
  // torn down first: the server and pool are gone before the database is dropped.
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  return RUN_ALL_TESTS();
}
