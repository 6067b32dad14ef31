// contract-svc over real gRPC against real catalog-svc, pricing-svc, volume-svc and PostgreSQL,
// all four cores (the code that ships) served in-process, on the volume tests' Fujian scenario
// (volume_fixture.h): distributor and agency authorisations (C3, C8), contracts made one by one
// and from a year's allocations (C1), their signatures in order and in windows (C2, C4 for a
// consumable batch), with registered keys of each algorithm (API.md "Signing keys"), their history
// (C9), renewals (C5-C7), derived states, termination, and what each caller may read and write
// (API.md "Who may do what"). The numbers are DOMAIN.md's.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catalog_harness.h"
#include "contract_harness.h"
#include "contract_keys.h"
#include "pricing_harness.h"
#include "test_stack.h"
#include "vbp/v1/contract.pb-c.h"
#include "volume_fixture.h"

namespace {

using namespace contract_keys;

// ---------------------------------------------------------------- the scenario's additions

// Distributors (in Fuzhou and Fujian), and the insurance agencies of Fuzhou and Xiamen.
const char *const kD1 = "dist-1";
const char *const kD2 = "dist-2";
const char *const kD3 = "dist-3";
const char *const kD4 = "dist-4";
const char *const kD5 = "dist-5";
const char *const kD6 = "dist-6";
const char *const kFuzhouAgency = "agency-fz";
const char *const kXiamenAgency = "agency-xm";
const char *const kWindowBatch = "VW-2024";  // Fujian's seed windows, see WindowBatch()
const char *const kConsumableBatch = "VC-2024";
const char *const kStent = "stent-1";

std::string contract_region_of(const std::string &id) {
  if (id == kD1 || id == kFuzhouAgency) return "350100";
  if (id == kXiamenAgency) return "350200";
  if (id.rfind("dist-", 0) == 0) return "350000";
  return region_of(id);
}

Caller distributor(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_DISTRIBUTOR, id, contract_region_of(id));
}
Caller agency(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_INSURANCE_AGENCY, id, contract_region_of(id));
}
Caller hospital(const std::string &id) { return institution(id); }

constexpr Vbp__V1__Signature__Party kManufacturer = VBP__V1__SIGNATURE__PARTY__MANUFACTURER;
constexpr Vbp__V1__Signature__Party kDistributor = VBP__V1__SIGNATURE__PARTY__DISTRIBUTOR;
constexpr Vbp__V1__Signature__Party kInstitution = VBP__V1__SIGNATURE__PARTY__INSTITUTION;

constexpr Vbp__V1__ContractState kDraft = VBP__V1__CONTRACT_STATE__DRAFT;
constexpr Vbp__V1__ContractState kPartiallySigned = VBP__V1__CONTRACT_STATE__PARTIALLY_SIGNED;
constexpr Vbp__V1__ContractState kEnterpriseSigned = VBP__V1__CONTRACT_STATE__ENTERPRISE_SIGNED;
constexpr Vbp__V1__ContractState kEffective = VBP__V1__CONTRACT_STATE__EFFECTIVE;
constexpr Vbp__V1__ContractState kExpired = VBP__V1__CONTRACT_STATE__EXPIRED;
constexpr Vbp__V1__ContractState kRenewed = VBP__V1__CONTRACT_STATE__RENEWED;
constexpr Vbp__V1__ContractState kTerminated = VBP__V1__CONTRACT_STATE__TERMINATED;

// The hex SHA-256 of the contract document the parties sign ("contract"), and its 32 bytes.
const std::string kDocument = "cc8321d6375c494d043fdd0260f21bc0ec51dacc9f6abb7f909cdcd3041b78bf";

Digest digest_of_hex(const std::string &hex_text) {
  Digest d{};
  for (size_t i = 0; i < 32; i++)
    d.bytes[i] = static_cast<unsigned char>(std::stoi(hex_text.substr(2 * i, 2), nullptr, 16));
  return d;
}

// A CreateContract request; the zero values leave a field out.
struct NewContract {
  std::string batch_code = kBatchCode;
  std::string region_code = "350000";
  std::string institution_id, product_id, distributor_id;
  int agreement_year = 1;
  int64_t quantity = 0;
};

NewContract contract_of(const std::string &institution_id, const std::string &product_id,
                        const std::string &distributor_id, int64_t quantity) {
  NewContract n;
  n.institution_id = institution_id;
  n.product_id = product_id;
  n.distributor_id = distributor_id;
  n.quantity = quantity;
  return n;
}

// A signature's request; the zero values leave a field out.
struct Signing {
  std::string document = kDocument;
  std::string key_id, signature, on_behalf_of;
  std::string signer_name = "张经理";
};

class ContractTest : public VolumeTest {
 protected:
  void SetUp() override {
    VolumeTest::SetUp();
    ASSERT_NE(ContractStack::instance(), nullptr) << "ContractStack is not registered";
    for (const char *d : {kD1, kD2, kD3, kD4, kD5, kD6})
      ensure_org(d, VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, contract_region_of(d));
    for (const char *g : {kFuzhouAgency, kXiamenAgency})
      ensure_org(g, VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, contract_region_of(g));
  }

  // ---- requests
  static Reply<Vbp__V1__Authorization> authorize(const Caller &who, const std::string &manufacturer,
                                                 const std::string &product,
                                                 const std::string &distributor_id,
                                                 const std::string &region_code) {
    Vbp__V1__AuthorizeDistributorRequest req = VBP__V1__AUTHORIZE_DISTRIBUTOR_REQUEST__INIT;
    req.manufacturer_id = held(manufacturer);
    req.product_id = held(product);
    req.distributor_id = held(distributor_id);
    req.region_code = held(region_code);
    return contract_call<Vbp__V1__Authorization>("AuthorizeDistributor", who, &req.base);
  }
  // Names distributor_id for product (of manufacturer) in region_code; fails the test if refused.
  static std::string name_distributor(const std::string &manufacturer, const std::string &product,
                                      const std::string &distributor_id,
                                      const std::string &region_code) {
    auto r =
        authorize(::manufacturer(manufacturer), manufacturer, product, distributor_id, region_code);
    EXPECT_TRUE(IsOk(r)) << product << " " << distributor_id << " in " << region_code;
    return r.ok() ? std::string(r->id) : std::string();
  }
  static Reply<Google__Protobuf__Empty> withdraw(const Caller &who, const std::string &id) {
    Vbp__V1__WithdrawDistributorRequest req = VBP__V1__WITHDRAW_DISTRIBUTOR_REQUEST__INIT;
    req.id = held(id);
    return contract_call<Google__Protobuf__Empty>("WithdrawDistributor", who, &req.base);
  }
  static Reply<Vbp__V1__Authorization> authorize_agency(
      const Caller &who, const std::string &institution_id, const std::string &agency_id,
      const std::string &batch_code = kBatchCode) {
    Vbp__V1__AuthorizeAgencyRequest req = VBP__V1__AUTHORIZE_AGENCY_REQUEST__INIT;
    req.institution_id = held(institution_id);
    req.agency_id = held(agency_id);
    req.batch_code = held(batch_code);
    return contract_call<Vbp__V1__Authorization>("AuthorizeAgency", who, &req.base);
  }
  static Reply<Vbp__V1__Contract> create(const Caller &who, const NewContract &n) {
    Vbp__V1__Contract req = VBP__V1__CONTRACT__INIT;
    req.batch_code = held(n.batch_code);
    req.region_code = held(n.region_code);
    req.institution_id = held(n.institution_id);
    req.product_id = held(n.product_id);
    req.distributor_id = held(n.distributor_id);
    req.agreement_year = n.agreement_year;
    req.quantity = n.quantity;
    return contract_call<Vbp__V1__Contract>("CreateContract", who, &req.base);
  }
  // Creates n as the provincial bureau; fails the test if refused. Its id.
  static std::string make(const NewContract &n) {
    auto r = create(bureau(kFujianBureau), n);
    EXPECT_TRUE(IsOk(r)) << n.institution_id << " " << n.product_id;
    return r.ok() ? std::string(r->id) : std::string("no-contract");
  }
  static Reply<Vbp__V1__Contract> get(const Caller &who, const std::string &id) {
    Vbp__V1__GetContractRequest req = VBP__V1__GET_CONTRACT_REQUEST__INIT;
    req.id = held(id);
    return contract_call<Vbp__V1__Contract>("GetContract", who, &req.base);
  }
  // The state GetContract shows the admin.
  static Vbp__V1__ContractState state_of(const std::string &id) {
    auto r = get(Caller::admin(), id);
    EXPECT_TRUE(IsOk(r)) << id;
    return r.ok() ? r->state : VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED;
  }
  static Reply<Vbp__V1__ListContractsResponse> list(
      const Caller &who, const std::string &batch_code = "", const std::string &party_id = "",
      Vbp__V1__ContractState state = VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED,
      int page_size = 0, const std::string &page_token = "") {
    Vbp__V1__ListContractsRequest req = VBP__V1__LIST_CONTRACTS_REQUEST__INIT;
    req.batch_code = held(batch_code);
    req.party_id = held(party_id);
    req.state = state;
    req.page_size = page_size;
    req.page_token = held(page_token);
    return contract_call<Vbp__V1__ListContractsResponse>("ListContracts", who, &req.base);
  }
  static Reply<Vbp__V1__Contract> sign(const Caller &who, const std::string &id,
                                       Vbp__V1__Signature__Party party, const Signing &s = {}) {
    Vbp__V1__SignContractRequest req = VBP__V1__SIGN_CONTRACT_REQUEST__INIT;
    req.id = held(id);
    req.party = party;
    req.signer_name = held(s.signer_name);
    req.document_sha256 = held(s.document);
    req.on_behalf_of = held(s.on_behalf_of);
    req.key_id = held(s.key_id);
    req.signature = held(s.signature);
    return contract_call<Vbp__V1__Contract>("SignContract", who, &req.base);
  }
  // The three parties sign contract id in order (keyless); fails the test if one is refused.
  static void sign_all(const std::string &id, const std::string &institution_id,
                       const std::string &manufacturer_id, const std::string &distributor_id) {
    ASSERT_TRUE(IsOk(sign(manufacturer(manufacturer_id), id, kManufacturer))) << id;
    ASSERT_TRUE(IsOk(sign(distributor(distributor_id), id, kDistributor))) << id;
    auto done = sign(hospital(institution_id), id, kInstitution);
    ASSERT_TRUE(IsOk(done)) << id;
    ASSERT_EQ(done->state, kEffective);
  }
  static Reply<Vbp__V1__Contract> renew(const Caller &who, const std::string &id,
                                        int64_t quantity) {
    Vbp__V1__RenewContractRequest req = VBP__V1__RENEW_CONTRACT_REQUEST__INIT;
    req.id = held(id);
    req.quantity = quantity;
    return contract_call<Vbp__V1__Contract>("RenewContract", who, &req.base);
  }
  static Reply<Vbp__V1__Contract> terminate(const Caller &who, const std::string &id,
                                            const std::string &reason) {
    Vbp__V1__TerminateContractRequest req = VBP__V1__TERMINATE_CONTRACT_REQUEST__INIT;
    req.id = held(id);
    req.reason = held(reason);
    return contract_call<Vbp__V1__Contract>("TerminateContract", who, &req.base);
  }
  static Reply<Vbp__V1__Contract> assign(const Caller &who, const std::string &id,
                                         const std::string &distributor_id) {
    Vbp__V1__AssignDistributorRequest req = VBP__V1__ASSIGN_DISTRIBUTOR_REQUEST__INIT;
    req.id = held(id);
    req.distributor_id = held(distributor_id);
    return contract_call<Vbp__V1__Contract>("AssignDistributor", who, &req.base);
  }
  static Reply<Vbp__V1__GenerateContractsResponse> generate(const Caller &who, int year,
                                                            int page_size = 0) {
    Vbp__V1__GenerateContractsRequest req = VBP__V1__GENERATE_CONTRACTS_REQUEST__INIT;
    req.batch_code = held(kBatchCode);
    req.region_code = held("350000");
    req.agreement_year = year;
    req.page_size = page_size;
    return contract_call<Vbp__V1__GenerateContractsResponse>("GenerateContracts", who, &req.base);
  }
  static Reply<Vbp__V1__SigningKey> register_key(const Caller &who, const std::string &org_id,
                                                 const std::string &pem) {
    Vbp__V1__SigningKey req = VBP__V1__SIGNING_KEY__INIT;
    req.organization_id = held(org_id);
    req.public_key_pem = held(pem);
    return contract_call<Vbp__V1__SigningKey>("RegisterSigningKey", who, &req.base);
  }
  static Reply<Google__Protobuf__Empty> retire_key(const Caller &who, const std::string &id) {
    Vbp__V1__RetireSigningKeyRequest req = VBP__V1__RETIRE_SIGNING_KEY_REQUEST__INIT;
    req.id = held(id);
    return contract_call<Google__Protobuf__Empty>("RetireSigningKey", who, &req.base);
  }

  // ---- answers
  // "institution product distributor quantity state price start..end"
  static std::string describe(const Vbp__V1__Contract *k) {
    return std::string(k->institution_id) + " " + k->product_id + " " +
           (*k->distributor_id ? k->distributor_id : "-") + " " + std::to_string(k->quantity) +
           " " + contract_state(k->state) + " " + k->price + " " + k->period_start + ".." +
           k->period_end;
  }
  static std::string contract_state(int state) {
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&vbp__v1__contract_state__descriptor, state);
    return v ? v->name : "?";
  }
  // "actor role ACTION FROM->TO note", one per history entry.
  static std::vector<std::string> history_of(const Vbp__V1__Contract *k) {
    std::vector<std::string> out;
    for (size_t i = 0; i < k->n_history; i++) {
      const Vbp__V1__ContractEvent *e = k->history[i];
      const ProtobufCEnumValue *action = protobuf_c_enum_descriptor_get_value(
          &vbp__v1__contract_event__action__descriptor, e->action);
      out.push_back(std::string(*e->actor_id ? e->actor_id : "-") + " " + e->actor_role + " " +
                    (action ? action->name : "?") + " " + contract_state(e->from_state) + "->" +
                    contract_state(e->to_state) + (*e->note ? std::string(" ") + e->note : ""));
    }
    return out;
  }
  // Every contract the caller's ListContracts of the batch gives, through every page, described.
  static std::vector<std::string> all_contracts(const Caller &who,
                                                const std::string &batch_code = kBatchCode) {
    std::vector<std::string> out;
    std::string token;
    do {
      auto r =
          list(who, batch_code, "", VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, 2, token);
      EXPECT_TRUE(IsOk(r));
      if (!r.ok()) break;
      for (size_t i = 0; i < r->n_contracts; i++) out.push_back(describe(r->contracts[i]));
      token = r->next_page_token;
    } while (!token.empty());
    std::sort(out.begin(), out.end());
    return out;
  }
  static size_t count(
      const Caller &who, const std::string &party_id = "",
      Vbp__V1__ContractState state = VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED) {
    auto r = list(who, "", party_id, state, 500);
    EXPECT_TRUE(IsOk(r));
    return r.ok() ? r->n_contracts : 999u;
  }
  static std::string sql(const std::string &query) {
    return vbp_test_sql(ContractStack::instance()->dsn(), query);
  }
  // A consumable batch executed in Fujian from 2024-07-22 (2 years, no windows): group S1 of
  // coronary stents, whose one winner is mfr-1's kStent at 590.0000.
  static void consumable_batch() {
    BatchSpec b;
    b.code = kConsumableBatch;
    b.name = "冠脉支架带量采购";
    b.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
    b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
    b.lead_region_code = "350000";
    b.member_region_codes = {"350000"};
    b.cycle_years = 2;
    ASSERT_TRUE(IsOk(create_batch(Caller::admin(), b)));
    ExecutionSpec e;
    e.batch_code = kConsumableBatch;
    e.region_code = "350000";
    e.listing_date = "2024-07-18";
    e.start_date = "2024-07-22";
    ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
    ASSERT_TRUE(IsOk(create_group(Caller::admin(), kConsumableBatch, "S1", "冠脉支架", true)));
    ProductSpec p;
    p.id = kStent;
    p.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
    p.generic_name = "冠脉支架";
    p.specification = "3.0x18mm";
    p.unit = "个";
    p.manufacturer_id = kM1;
    p.in_insurance_catalog = true;
    p.category = "冠脉支架";
    p.function = "药物洗脱";
    ASSERT_TRUE(IsOk(create_product(Caller::admin(), p)));
    ResultSpec r;
    r.batch_code = kConsumableBatch;
    r.product_id = kStent;
    r.group_id = "S1";
    r.status = VBP__V1__RESULT_STATUS__WINNING;
    r.winning_price = "590";
    r.share_percent = 100;
    ASSERT_TRUE(IsOk(publish_result(Caller::admin(), r)));
  }
};

// ---------------------------------------------------------------- distributors (C8)

TEST_F(ContractTest, AManufacturerNamesAtMostFiveDistributorsPerDrugAndArea) {
  const Caller m1 = manufacturer(kM1);
  std::vector<std::string> ids;
  for (const char *d : {kD1, kD2, kD3, kD4, kD5}) {
    auto r = authorize(m1, kM1, "A", d, "350100");
    ASSERT_TRUE(IsOk(r)) << d;
    EXPECT_EQ(r->kind, VBP__V1__AUTHORIZATION__KIND__DISTRIBUTOR);
    EXPECT_STREQ(r->manufacturer_id, kM1);
    EXPECT_STREQ(r->product_id, "A");
    EXPECT_STREQ(r->distributor_id, d);
    EXPECT_STREQ(r->region_code, "350100");
    EXPECT_EQ(std::string(r->created_at).size(), 25u) << r->created_at;
    ids.push_back(r->id);
  }
  // The sixth in the same area: 400 naming distributorId.
  auto sixth = authorize(m1, kM1, "A", kD6, "350100");
  ASSERT_TRUE(IsRefused(sixth, VBP_INVALID_ARGUMENT, "distributorId"));
  EXPECT_NE(std::string(sixth.status.message).find("C8"), std::string::npos)
      << sixth.status.message;
  // A repeat answers the naming that stands, even at the cap.
  auto again = authorize(m1, kM1, "A", kD1, "350100");
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->id, ids[0].c_str());
  // The cap is per product and per area.
  EXPECT_TRUE(IsOk(authorize(m1, kM1, "A", kD6, "350200")));
  EXPECT_TRUE(IsOk(authorize(m1, kM1, "E", kD6, "350100")));
  // Withdrawn ones do not count.
  ASSERT_TRUE(IsOk(withdraw(m1, ids[4])));
  EXPECT_TRUE(IsOk(authorize(m1, kM1, "A", kD6, "350100")));
  EXPECT_EQ(sql("SELECT count(*) FROM distributor_authorizations WHERE product_id = 'A' AND "
                "region_code = '350100' AND withdrawn_at IS NULL"),
            "5");

  // Not a distributor: 400 distributorId.
  EXPECT_TRUE(IsRefused(authorize(m1, kM1, "A", kCityHospital, "350100"), VBP_INVALID_ARGUMENT,
                        "distributorId"));
  EXPECT_TRUE(
      IsRefused(authorize(m1, kM1, "A", kM2, "350100"), VBP_INVALID_ARGUMENT, "distributorId"));
  EXPECT_TRUE(IsRefused(authorize(m1, kM1, "A", "no-such", "350100"), VBP_INVALID_ARGUMENT,
                        "distributorId"));
  // A county is no coordination area.
  EXPECT_TRUE(
      IsRefused(authorize(m1, kM1, "A", kD2, "350102"), VBP_INVALID_ARGUMENT, "regionCode"));
  // Another manufacturer's product, in its own name or the owner's: 403.
  const Caller m2 = manufacturer(kM2);
  EXPECT_TRUE(IsRefused(authorize(m2, kM2, "A", kD2, "350200"), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(authorize(m2, kM1, "A", kD2, "350200"), VBP_PERMISSION_DENIED));
  // Nor may it withdraw one; a bureau or a hospital may not name one at all.
  EXPECT_TRUE(IsRefused(withdraw(m2, ids[0]), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(
      IsRefused(authorize(bureau(kFujianBureau), kM1, "A", kD2, "350200"), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(authorize(hospital(kCityHospital), kM1, "A", kD2, "350200"),
                        VBP_PERMISSION_DENIED));
  // The admin names for the manufacturer; a wrong manufacturer is a 400 for it.
  EXPECT_TRUE(IsRefused(authorize(Caller::admin(), kM2, "A", kD2, "350200"), VBP_INVALID_ARGUMENT,
                        "manufacturerId"));
  EXPECT_TRUE(IsOk(authorize(Caller::admin(), kM1, "A", kD2, "350200")));
}

TEST_F(ContractTest, ANamingIsNotWithdrawnWhileALiveContractUsesIt) {
  const std::string naming = name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "E", kD1, "350100");
  // The county hospital (350102) is in Fuzhou's area.
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  auto refused = withdraw(manufacturer(kM1), naming);
  ASSERT_TRUE(IsRefused(refused, VBP_FAILED_PRECONDITION, "id"));
  EXPECT_NE(std::string(refused.status.message).find(id), std::string::npos)
      << refused.status.message;
  // Enterprise-signed and effective contracts hold it too.
  sign_all(id, kCountyHospital, kM1, kD1);
  EXPECT_TRUE(IsRefused(withdraw(manufacturer(kM1), naming), VBP_FAILED_PRECONDITION, "id"));
  // A contract of another product does not.
  const std::string other = make(contract_of(kCityHospital, "E", kD1, 10));
  ASSERT_TRUE(IsOk(terminate(bureau(kFujianBureau), id, "中选企业被取消中选资格")));
  ASSERT_TRUE(IsOk(withdraw(manufacturer(kM1), naming)));
  ASSERT_TRUE(IsOk(withdraw(manufacturer(kM1), naming)));  // withdrawn already: no error
  EXPECT_EQ(sql("SELECT count(*) FROM distributor_authorizations WHERE withdrawn_at IS NOT NULL"),
            "1");
  // From then on the distributor is not named for A in the area.
  EXPECT_TRUE(IsRefused(create(bureau(kFujianBureau), contract_of(kCityHospital, "A", kD1, 10)),
                        VBP_INVALID_ARGUMENT, "distributorId"));
  EXPECT_EQ(state_of(other), kDraft);
}

// ---------------------------------------------------------------- agencies (C3)

TEST_F(ContractTest, AHospitalAuthorisesTheInsuranceAgencyOfItsRegionForADrugBatch) {
  const Caller county = hospital(kCountyHospital);
  auto r = authorize_agency(county, kCountyHospital, kFuzhouAgency);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->kind, VBP__V1__AUTHORIZATION__KIND__AGENCY);
  EXPECT_STREQ(r->institution_id, kCountyHospital);
  EXPECT_STREQ(r->agency_id, kFuzhouAgency);
  EXPECT_STREQ(r->batch_code, kBatchCode);
  auto again = authorize_agency(county, kCountyHospital, kFuzhouAgency);
  ASSERT_TRUE(IsOk(again));
  EXPECT_STREQ(again->id, r->id);
  EXPECT_EQ(sql("SELECT count(*) FROM agency_authorizations"), "1");

  // Xiamen's agency does not hold a Fuzhou hospital.
  EXPECT_TRUE(IsRefused(authorize_agency(county, kCountyHospital, kXiamenAgency),
                        VBP_INVALID_ARGUMENT, "agencyId"));
  EXPECT_TRUE(
      IsRefused(authorize_agency(county, kCountyHospital, kD1), VBP_INVALID_ARGUMENT, "agencyId"));
  EXPECT_TRUE(IsRefused(authorize_agency(county, kCountyHospital, kFuzhouAgency, "NO-SUCH"),
                        VBP_INVALID_ARGUMENT, "batchCode"));
  // For another hospital: 403; an agency or a bureau may not authorise itself.
  EXPECT_TRUE(
      IsRefused(authorize_agency(county, kCityHospital, kFuzhouAgency), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(authorize_agency(agency(kFuzhouAgency), kCountyHospital, kFuzhouAgency),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(authorize_agency(bureau(kFujianBureau), kCountyHospital, kFuzhouAgency),
                        VBP_PERMISSION_DENIED));
  // Consumable contracts are the hospital's own to confirm.
  ASSERT_NO_FATAL_FAILURE(consumable_batch());
  EXPECT_TRUE(IsRefused(authorize_agency(county, kCountyHospital, kFuzhouAgency, kConsumableBatch),
                        VBP_FAILED_PRECONDITION, "batchCode"));
}

// ---------------------------------------------------------------- CreateContract (C1)

TEST_F(ContractTest, CreateContractIsAtTheWinningPriceForTheAgreementYear) {
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "A", kD2, "350000");
  name_distributor(kM2, "B", kD1, "350100");
  name_distributor("mfr-3", "K", kD1, "350100");
  name_distributor("mfr-3", "C", kD1, "350100");
  const Caller fujian = bureau(kFujianBureau);

  auto r = create(fujian, contract_of(kCountyHospital, "A", kD1, 500));
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(describe(r.get()), "hosp-county A dist-1 500 DRAFT 30.0000 2024-07-22..2025-12-31");
  EXPECT_STREQ(r->batch_code, kBatchCode);
  EXPECT_STREQ(r->region_code, "350000");
  EXPECT_STREQ(r->manufacturer_id, kM1);
  EXPECT_EQ(r->agreement_year, 1);
  EXPECT_EQ(r->n_signatures, 0u);
  EXPECT_EQ(history_of(r.get()),
            (std::vector<std::string>{"bur-fj BUREAU CREATE CONTRACT_STATE_UNSPECIFIED->DRAFT "
                                      "CreateContract"}));
  const std::string id = r->id;
  // The same again answers the stored one; another for the hospital, product and year: 409.
  auto repeat = create(fujian, contract_of(kCountyHospital, "A", kD1, 500));
  ASSERT_TRUE(IsOk(repeat));
  EXPECT_STREQ(repeat->id, id.c_str());
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kCountyHospital, "A", kD1, 501)),
                        VBP_ALREADY_EXISTS, "institutionId"));
  EXPECT_EQ(sql("SELECT count(*) FROM contracts"), "1");

  // C8: a distributor named for the province is not named for Fuzhou's area, and the reverse.
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kCityHospital, "A", kD2, 10)),
                        VBP_INVALID_ARGUMENT, "distributorId"));
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kProvincialHospital, "A", kD1, 10)),
                        VBP_INVALID_ARGUMENT, "distributorId"));
  auto provincial = create(fujian, contract_of(kProvincialHospital, "A", kD2, 10));
  ASSERT_TRUE(IsOk(provincial));
  EXPECT_EQ(describe(provincial.get()),
            "hosp-prov A dist-2 10 DRAFT 30.0000 2024-07-22..2025-12-31");
  // BACKUP at its winning price; NON_WINNING, no result, unknown: 400 productId.
  auto backup = create(fujian, contract_of(kCityHospital, "K", kD1, 10));
  ASSERT_TRUE(IsOk(backup));
  EXPECT_STREQ(backup->price, "32.0000");
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kCityHospital, "C", kD1, 10)),
                        VBP_INVALID_ARGUMENT, "productId"));
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kCityHospital, "D", kD1, 10)),
                        VBP_INVALID_ARGUMENT, "productId"));
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kCityHospital, "nothing", kD1, 10)),
                        VBP_INVALID_ARGUMENT, "productId"));
  // A later year is that year's period (C6).
  NewContract year2 = contract_of(kCityHospital, "B", kD1, 100);
  year2.agreement_year = 2;
  auto second = create(fujian, year2);
  ASSERT_TRUE(IsOk(second));
  EXPECT_EQ(describe(second.get()), "hosp-city B dist-1 100 DRAFT 28.0000 2026-01-01..2026-12-31");
  NewContract year5 = year2;
  year5.agreement_year = 5;
  EXPECT_TRUE(IsRefused(create(fujian, year5), VBP_INVALID_ARGUMENT, "agreementYear"));
  // Not a hospital of the province.
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kM1, "A", kD1, 10)), VBP_INVALID_ARGUMENT,
                        "institutionId"));
  // A consortium signs as one unit for its members (V1): the member has no contract of its own.
  EXPECT_TRUE(IsRefused(create(fujian, contract_of(kMember, "A", kD1, 10)), VBP_INVALID_ARGUMENT,
                        "institutionId"));
  auto consortium = create(fujian, contract_of(kConsortium, "A", kD1, 10));
  ASSERT_TRUE(IsOk(consortium));
  EXPECT_EQ(describe(consortium.get()), "cons-gl A dist-1 10 DRAFT 30.0000 2024-07-22..2025-12-31");

  // C1: with an allocation, exactly the allocated quantity. 421 at 100%: A 253, B 168.
  approve_demand(kCityHospital, "G1", 1, 421);
  ASSERT_TRUE(IsOk(compute(fujian, 1, 100, {})));
  auto wrong = create(fujian, contract_of(kCityHospital, "A", kD1, 250));
  ASSERT_TRUE(IsRefused(wrong, VBP_INVALID_ARGUMENT, "quantity"));
  EXPECT_NE(std::string(wrong.status.message).find("253"), std::string::npos)
      << wrong.status.message;
  auto allocated = create(fujian, contract_of(kCityHospital, "A", kD1, 253));
  ASSERT_TRUE(IsOk(allocated));
  EXPECT_EQ(describe(allocated.get()),
            "hosp-city A dist-1 253 DRAFT 30.0000 2024-07-22..2025-12-31");

  // Only the provincial bureau of the province and the admin create.
  EXPECT_TRUE(IsRefused(create(bureau(kFuzhouBureau), contract_of(kCityHospital, "B", kD1, 168)),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(create(manufacturer(kM2), contract_of(kCityHospital, "B", kD1, 168)),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(create(hospital(kCityHospital), contract_of(kCityHospital, "B", kD1, 168)),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsOk(create(Caller::admin(), contract_of(kCityHospital, "B", kD1, 168))));
}

// ---------------------------------------------------------------- GenerateContracts, year 1

TEST_F(ContractTest, YearOneIsGeneratedFromTheAllocationsAndFreezesThem) {
  approve_demand(kCityHospital, "G1", 1, 421);
  approve_demand(kCountyHospital, "G1", 1, 1000);
  approve_demand(kCityHospital, "G2", 1, 7);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
  // A: one distributor named for Fuzhou (used); B: two (the manufacturer picks); E: none.
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "A", kD2, "350000");  // another area: does not count
  name_distributor(kM2, "B", kD1, "350100");
  name_distributor(kM2, "B", kD2, "350100");

  EXPECT_TRUE(IsRefused(generate(bureau(kFuzhouBureau), 1), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(generate(manufacturer(kM1), 1), VBP_PERMISSION_DENIED));
  auto r = generate(bureau(kFujianBureau), 1, 2);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->generated, 5);
  ASSERT_EQ(r->n_contracts, 2u);
  ASSERT_STRNE(r->next_page_token, "");
  std::vector<std::string> seen;
  for (size_t i = 0; i < r->n_contracts; i++) seen.push_back(describe(r->contracts[i]));
  // Its token pages on through ListContracts (batchCode), as the same caller.
  std::string token = r->next_page_token;
  while (!token.empty()) {
    auto page = list(bureau(kFujianBureau), kBatchCode, "",
                     VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, 2, token);
    ASSERT_TRUE(IsOk(page));
    for (size_t i = 0; i < page->n_contracts; i++) seen.push_back(describe(page->contracts[i]));
    token = page->next_page_token;
  }
  std::sort(seen.begin(), seen.end());
  const std::vector<std::string> expected = {
      "hosp-city A dist-1 253 DRAFT 30.0000 2024-07-22..2025-12-31",
      "hosp-city B - 168 DRAFT 28.0000 2024-07-22..2025-12-31",
      "hosp-city E - 7 DRAFT 10.0000 2024-07-22..2025-12-31",
      "hosp-county A dist-1 600 DRAFT 30.0000 2024-07-22..2025-12-31",
      "hosp-county B - 400 DRAFT 28.0000 2024-07-22..2025-12-31",
  };
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(
      IsRefused(list(Caller::admin(), kBatchCode, "",
                     VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, 2, r->next_page_token),
                VBP_INVALID_ARGUMENT, "pageToken"));

  // V3: the year's allocations are frozen.
  EXPECT_TRUE(IsRefused(compute(bureau(kFujianBureau), 1, 90, {}), VBP_FAILED_PRECONDITION,
                        "agreementYear"));
  // Again: nothing new.
  auto again = generate(bureau(kFujianBureau), 1);
  ASSERT_TRUE(IsOk(again));
  EXPECT_EQ(again->generated, 5);
  EXPECT_EQ(sql("SELECT count(*) FROM contracts"), "5");
  EXPECT_EQ(sql("SELECT count(*) FROM contract_events"), "5");

  // The manufacturer picks one of the named distributors for a DRAFT without one.
  const std::string b_city =
      sql("SELECT id FROM contracts WHERE institution_id = 'hosp-city' AND product_id = 'B'");
  const std::string e_city =
      sql("SELECT id FROM contracts WHERE institution_id = 'hosp-city' AND product_id = 'E'");
  const std::string a_city =
      sql("SELECT id FROM contracts WHERE institution_id = 'hosp-city' AND product_id = 'A'");
  EXPECT_TRUE(IsRefused(sign(manufacturer(kM2), b_city, kManufacturer), VBP_FAILED_PRECONDITION,
                        "party"));  // no distributor yet
  EXPECT_TRUE(IsRefused(assign(manufacturer(kM1), b_city, kD2), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(assign(bureau(kFujianBureau), b_city, kD2), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(
      IsRefused(assign(manufacturer(kM2), b_city, kD3), VBP_INVALID_ARGUMENT, "distributorId"));
  auto assigned = assign(manufacturer(kM2), b_city, kD2);
  ASSERT_TRUE(IsOk(assigned));
  EXPECT_EQ(describe(assigned.get()),
            "hosp-city B dist-2 168 DRAFT 28.0000 2024-07-22..2025-12-31");
  EXPECT_EQ(history_of(assigned.get()),
            (std::vector<std::string>{
                "bur-fj BUREAU CREATE CONTRACT_STATE_UNSPECIFIED->DRAFT GenerateContracts",
                "mfr-2 MANUFACTURER CREATE DRAFT->DRAFT distributor dist-2 assigned"}));
  EXPECT_TRUE(IsRefused(assign(manufacturer(kM2), b_city, kD1), VBP_FAILED_PRECONDITION, "id"));
  EXPECT_TRUE(IsRefused(assign(manufacturer(kM1), a_city, kD1), VBP_FAILED_PRECONDITION, "id"));
  // E has no distributor named: none can be assigned until one is.
  EXPECT_TRUE(
      IsRefused(assign(manufacturer(kM1), e_city, kD1), VBP_INVALID_ARGUMENT, "distributorId"));
  name_distributor(kM1, "E", kD1, "350100");
  EXPECT_TRUE(IsOk(assign(manufacturer(kM1), e_city, kD1)));
  sign_all(b_city, kCityHospital, kM2, kD2);
}

// ---------------------------------------------------------------- signing (C2, C3)

TEST_F(ContractTest, EnterprisesSignFirstInEitherOrderThenTheHospital) {
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "E", kD1, "350100");
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  const std::string other = make(contract_of(kCityHospital, "E", kD1, 7));

  // The hospital first: 400 naming party.
  auto early = sign(hospital(kCountyHospital), id, kInstitution);
  ASSERT_TRUE(IsRefused(early, VBP_FAILED_PRECONDITION, "party"));
  // Signatures are the parties' own: the admin key (method table), another manufacturer, another
  // distributor, a party signing as another: 403.
  EXPECT_TRUE(IsRefused(sign(Caller::admin(), id, kManufacturer), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(sign(manufacturer(kM2), id, kManufacturer), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(sign(distributor(kD2), id, kDistributor), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(sign(manufacturer(kM1), id, kDistributor), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(sign(hospital(kCityHospital), id, kInstitution), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(sign(bureau(kFujianBureau), id, kInstitution), VBP_PERMISSION_DENIED));

  // Distributor, then manufacturer.
  auto d = sign(distributor(kD1), id, kDistributor);
  ASSERT_TRUE(IsOk(d));
  EXPECT_EQ(d->state, kPartiallySigned);
  EXPECT_TRUE(
      IsRefused(sign(distributor(kD1), id, kDistributor), VBP_FAILED_PRECONDITION, "party"));
  EXPECT_TRUE(IsRefused(sign(hospital(kCountyHospital), id, kInstitution), VBP_FAILED_PRECONDITION,
                        "party"));
  auto m = sign(manufacturer(kM1), id, kManufacturer);
  ASSERT_TRUE(IsOk(m));
  EXPECT_EQ(m->state, kEnterpriseSigned);
  auto h = sign(hospital(kCountyHospital), id, kInstitution);
  ASSERT_TRUE(IsOk(h));
  EXPECT_EQ(h->state, kEffective);
  ASSERT_EQ(h->n_signatures, 3u);
  std::vector<std::string> signatures;
  for (size_t i = 0; i < h->n_signatures; i++) {
    const Vbp__V1__Signature *s = h->signatures[i];
    signatures.push_back(std::to_string(s->party) + " " + s->signed_by + " " + s->signer_name +
                         " " + s->document_sha256 + " [" + s->key_id + "] [" + s->signature +
                         "] [" + s->on_behalf_of + "]");
    EXPECT_EQ(std::string(s->signed_at).size(), 25u) << s->signed_at;
  }
  std::sort(signatures.begin(), signatures.end());
  EXPECT_EQ(signatures, (std::vector<std::string>{
                            "1 mfr-1 张经理 " + kDocument + " [] [] []",
                            "2 dist-1 张经理 " + kDocument + " [] [] []",
                            "3 hosp-county 张经理 " + kDocument + " [] [] []",
                        }));
  // Nothing left to sign.
  EXPECT_TRUE(IsRefused(sign(hospital(kCountyHospital), id, kInstitution), VBP_FAILED_PRECONDITION,
                        "party"));
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), id, kManufacturer), VBP_FAILED_PRECONDITION, "party"));

  // Manufacturer, then distributor.
  auto m2 = sign(manufacturer(kM1), other, kManufacturer);
  ASSERT_TRUE(IsOk(m2));
  EXPECT_EQ(m2->state, kPartiallySigned);
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), other, kManufacturer), VBP_FAILED_PRECONDITION, "party"));
  auto d2 = sign(distributor(kD1), other, kDistributor);
  ASSERT_TRUE(IsOk(d2));
  EXPECT_EQ(d2->state, kEnterpriseSigned);
  EXPECT_EQ(state_of(other), kEnterpriseSigned);

  // Bad requests: 400 naming the field.
  Signing bad;
  bad.document = "abc";
  EXPECT_TRUE(IsRefused(sign(hospital(kCityHospital), other, kInstitution, bad),
                        VBP_INVALID_ARGUMENT, "documentSha256"));
  bad = Signing{};
  bad.signer_name = "";
  EXPECT_TRUE(IsRefused(sign(hospital(kCityHospital), other, kInstitution, bad),
                        VBP_INVALID_ARGUMENT, "signerName"));
  EXPECT_TRUE(
      IsRefused(sign(hospital(kCityHospital), other, VBP__V1__SIGNATURE__PARTY__PARTY_UNSPECIFIED),
                VBP_INVALID_ARGUMENT, "party"));
  bad = Signing{};
  bad.on_behalf_of = kCityHospital;
  EXPECT_TRUE(IsRefused(sign(hospital(kCityHospital), other, kInstitution, bad),
                        VBP_INVALID_ARGUMENT, "onBehalfOf"));
  EXPECT_TRUE(
      IsRefused(sign(hospital(kCityHospital), "no-such", kInstitution), VBP_PERMISSION_DENIED));
}

TEST_F(ContractTest, TheAgencyAHospitalAuthorisedConfirmsForIt) {
  name_distributor(kM1, "A", kD1, "350100");
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), id, kManufacturer)));
  ASSERT_TRUE(IsOk(sign(distributor(kD1), id, kDistributor)));
  Signing for_county;
  for_county.on_behalf_of = kCountyHospital;
  // Not authorised yet: 403.
  EXPECT_TRUE(
      IsRefused(sign(agency(kFuzhouAgency), id, kInstitution, for_county), VBP_PERMISSION_DENIED));
  ASSERT_TRUE(IsOk(authorize_agency(hospital(kCountyHospital), kCountyHospital, kFuzhouAgency)));
  // Only as the hospital, naming it; another region's agency learns nothing.
  EXPECT_TRUE(
      IsRefused(sign(agency(kFuzhouAgency), id, kManufacturer, for_county), VBP_PERMISSION_DENIED));
  Signing for_city;
  for_city.on_behalf_of = kCityHospital;
  EXPECT_TRUE(
      IsRefused(sign(agency(kFuzhouAgency), id, kInstitution, for_city), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(
      IsRefused(sign(agency(kFuzhouAgency), id, kInstitution), VBP_INVALID_ARGUMENT, "onBehalfOf"));
  EXPECT_TRUE(
      IsRefused(sign(agency(kXiamenAgency), id, kInstitution, for_county), VBP_PERMISSION_DENIED));
  auto r = sign(agency(kFuzhouAgency), id, kInstitution, for_county);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->state, kEffective);
  const Vbp__V1__Signature *confirmation = nullptr;
  for (size_t i = 0; i < r->n_signatures; i++)
    if (r->signatures[i]->party == kInstitution) confirmation = r->signatures[i];
  ASSERT_NE(confirmation, nullptr);
  EXPECT_STREQ(confirmation->signed_by, kFuzhouAgency);
  EXPECT_STREQ(confirmation->on_behalf_of, kCountyHospital);
  EXPECT_EQ(history_of(r.get()).back(),
            "agency-fz INSURANCE_AGENCY SIGN ENTERPRISE_SIGNED->"
            "EFFECTIVE on behalf of hosp-county");
  // The hospital itself cannot confirm twice.
  EXPECT_TRUE(IsRefused(sign(hospital(kCountyHospital), id, kInstitution), VBP_FAILED_PRECONDITION,
                        "party"));
}

// ---------------------------------------------------------------- windows (C2)

TEST_F(ContractTest, FirstYearSignaturesKeepToTheExecutionsWindows) {
  // A batch executed as Fujian's seed has it: enterprises 7/4-7/8, hospitals 7/9-7/12.
  BatchSpec b;
  b.code = kWindowBatch;
  b.name = "干扰素带量采购（签约窗口）";
  b.kind = VBP__V1__PRODUCT_KIND__DRUG;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.member_region_codes = {"350000"};
  b.cycle_years = 4;
  ASSERT_TRUE(IsOk(create_batch(Caller::admin(), b)));
  ExecutionSpec e;
  e.batch_code = kWindowBatch;
  e.region_code = "350000";
  e.listing_date = "2024-07-01";
  e.start_date = "2024-07-22";
  e.enterprise_sign_from = "2024-07-04";
  e.enterprise_sign_to = "2024-07-08";
  e.institution_sign_from = "2024-07-09";
  e.institution_sign_to = "2024-07-12";
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), kWindowBatch, "W1", "干扰素", true)));
  ResultSpec result;
  result.batch_code = kWindowBatch;
  result.product_id = "A";
  result.group_id = "W1";
  result.status = VBP__V1__RESULT_STATUS__WINNING;
  result.winning_price = "30.0000";
  result.share_percent = 100;
  ASSERT_TRUE(IsOk(publish_result(Caller::admin(), result)));
  name_distributor(kM1, "A", kD1, "350100");
  NewContract n = contract_of(kCountyHospital, "A", kD1, 100);
  n.batch_code = kWindowBatch;
  const std::string id = make(n);
  n.institution_id = kCityHospital;
  const std::string late = make(n);

  pin_today("2024-07-03");
  auto before = sign(manufacturer(kM1), id, kManufacturer);
  ASSERT_TRUE(IsRefused(before, VBP_FAILED_PRECONDITION, "party"));
  EXPECT_NE(std::string(before.status.message).find("2024-07-04..2024-07-08"), std::string::npos)
      << before.status.message;
  pin_today("2024-07-04");
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), id, kManufacturer)));
  pin_today("2024-07-08");
  ASSERT_TRUE(IsOk(sign(distributor(kD1), id, kDistributor)));
  // The hospitals' window is not open yet.
  auto early = sign(hospital(kCountyHospital), id, kInstitution);
  ASSERT_TRUE(IsRefused(early, VBP_FAILED_PRECONDITION, "party"));
  EXPECT_NE(std::string(early.status.message).find("2024-07-09..2024-07-12"), std::string::npos)
      << early.status.message;
  pin_today("2024-07-12");
  auto done = sign(hospital(kCountyHospital), id, kInstitution);
  ASSERT_TRUE(IsOk(done));
  EXPECT_EQ(done->state, kEffective);

  // Past the enterprises' window: 400 naming party.
  pin_today("2024-07-09");
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), late, kManufacturer), VBP_FAILED_PRECONDITION, "party"));
  EXPECT_EQ(state_of(late), kDraft);

  // Renewals have no window (C2).
  pin_today("2025-03-01");
  auto renewal = renew(bureau(kFujianBureau), id, 100);
  ASSERT_TRUE(IsOk(renewal));
  EXPECT_EQ(renewal->agreement_year, 2);
  EXPECT_TRUE(IsOk(sign(manufacturer(kM1), renewal->id, kManufacturer)));
}

// ---------------------------------------------------------------- consumables (C4, C8)

TEST_F(ContractTest, ConsumablesNameTenDistributorsAndAreSignedWithinThirtyDays) {
  ASSERT_NO_FATAL_FAILURE(consumable_batch());
  // C8: ten per coordination area for a consumable.
  std::vector<std::string> distributors = {kD1, kD2, kD3, kD4, kD5, kD6};
  for (int i = 7; i <= 11; i++) {
    distributors.push_back("dist-" + std::to_string(i));
    ensure_org(distributors.back(), VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350000");
  }
  for (size_t i = 0; i < 10; i++)
    ASSERT_TRUE(IsOk(authorize(manufacturer(kM1), kM1, kStent, distributors[i], "350100")))
        << distributors[i];
  EXPECT_TRUE(IsRefused(authorize(manufacturer(kM1), kM1, kStent, distributors[10], "350100"),
                        VBP_INVALID_ARGUMENT, "distributorId"));

  NewContract n = contract_of(kCountyHospital, kStent, kD1, 40);
  n.batch_code = kConsumableBatch;
  auto made = create(bureau(kFujianBureau), n);
  ASSERT_TRUE(IsOk(made));
  EXPECT_EQ(describe(made.get()),
            "hosp-county stent-1 dist-1 40 DRAFT 590.0000 2024-07-22..2025-12-31");
  const std::string id = made->id;
  n.institution_id = kCityHospital;
  const std::string late = make(n);
  // C4: start 2024-07-22, the start day not counted: the last day is 2024-08-21.
  pin_today("2024-08-21");
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), id, kManufacturer)));
  ASSERT_TRUE(IsOk(sign(distributor(kD1), id, kDistributor)));
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), late, kManufacturer)));
  ASSERT_TRUE(IsOk(sign(distributor(kD1), late, kDistributor)));
  auto done = sign(hospital(kCountyHospital), id, kInstitution);
  ASSERT_TRUE(IsOk(done));
  EXPECT_EQ(done->state, kEffective);
  pin_today("2024-08-22");
  auto refused = sign(hospital(kCityHospital), late, kInstitution);
  ASSERT_TRUE(IsRefused(refused, VBP_FAILED_PRECONDITION, "party"));
  EXPECT_NE(std::string(refused.status.message).find("C4"), std::string::npos)
      << refused.status.message;
  EXPECT_NE(std::string(refused.status.message).find("2024-08-21"), std::string::npos)
      << refused.status.message;
  EXPECT_EQ(state_of(late), kEnterpriseSigned);
  // C3: no agency confirms a consumable contract.
  EXPECT_TRUE(IsRefused(
      authorize_agency(hospital(kCityHospital), kCityHospital, kFuzhouAgency, kConsumableBatch),
      VBP_FAILED_PRECONDITION, "batchCode"));
  Signing for_city;
  for_city.on_behalf_of = kCityHospital;
  EXPECT_TRUE(
      IsRefused(sign(agency(kFuzhouAgency), late, kInstitution, for_city), VBP_PERMISSION_DENIED));
}

// ---------------------------------------------------------------- keys (API.md "Signing keys")

TEST_F(ContractTest, PartiesWithRegisteredKeysSignWithThem) {
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "E", kD1, "350100");
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  const std::string other = make(contract_of(kCityHospital, "E", kD1, 7));
  const Digest digest = digest_of_hex(kDocument);

  Pkey ed = make_key(CONTRACT_KEY_ED25519), p256 = make_key(CONTRACT_KEY_P256),
       sm2 = make_key(CONTRACT_KEY_SM2), stranger = make_key(CONTRACT_KEY_ED25519);
  ASSERT_TRUE(ed && p256 && sm2 && stranger);
  auto ed_key = register_key(manufacturer(kM1), kM1, public_pem(ed.get()));
  ASSERT_TRUE(IsOk(ed_key));
  EXPECT_STREQ(ed_key->algorithm, "Ed25519");
  EXPECT_STREQ(ed_key->organization_id, kM1);
  EXPECT_EQ(std::string(ed_key->fingerprint_sha256), fingerprint_of(ed.get()));
  EXPECT_STREQ(ed_key->retired_at, "");
  auto p256_key = register_key(distributor(kD1), kD1, public_pem(p256.get()));
  ASSERT_TRUE(IsOk(p256_key));
  EXPECT_STREQ(p256_key->algorithm, "ECDSA_P256");
  EXPECT_EQ(std::string(p256_key->fingerprint_sha256), fingerprint_of(p256.get()));
  auto sm2_key = register_key(hospital(kCountyHospital), kCountyHospital, public_pem(sm2.get()));
  ASSERT_TRUE(IsOk(sm2_key));
  EXPECT_STREQ(sm2_key->algorithm, "SM2");
  EXPECT_EQ(std::string(sm2_key->fingerprint_sha256), fingerprint_of(sm2.get()));
  // The same key again answers the stored one; another organization's keys are its own.
  auto same = register_key(manufacturer(kM1), kM1, public_pem(ed.get()));
  ASSERT_TRUE(IsOk(same));
  EXPECT_STREQ(same->id, ed_key->id);
  EXPECT_TRUE(IsRefused(register_key(manufacturer(kM2), kM1, public_pem(stranger.get())),
                        VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(register_key(manufacturer(kM1), kM1, "-----BEGIN PUBLIC KEY-----\n"),
                        VBP_INVALID_ARGUMENT, "publicKeyPem"));
  EXPECT_TRUE(IsRefused(register_key(manufacturer(kM1), kM1, private_pem(stranger.get())),
                        VBP_INVALID_ARGUMENT, "publicKeyPem"));

  const std::string ed_sig =
      base64(contract_keys::sign(ed.get(), CONTRACT_KEY_ED25519, digest.bytes));
  Signing s;
  // An organization with an active key must use it.
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), id, kManufacturer, s), VBP_INVALID_ARGUMENT, "keyId"));
  s.key_id = ed_key->id;
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), id, kManufacturer, s), VBP_INVALID_ARGUMENT, "signature"));
  // Tampered: one bit of the signature flipped.
  Bytes tampered = from_base64(ed_sig);
  tampered[5] ^= 0x01;
  s.signature = base64(tampered);
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), id, kManufacturer, s), VBP_INVALID_ARGUMENT, "signature"));
  // Another document's signature.
  Signing moved = s;
  moved.signature = ed_sig;
  moved.document = sha256_hex(Bytes{'o', 't', 'h', 'e', 'r'});
  EXPECT_TRUE(IsRefused(sign(manufacturer(kM1), id, kManufacturer, moved), VBP_INVALID_ARGUMENT,
                        "signature"));
  // Made with another key.
  s.signature = base64(contract_keys::sign(stranger.get(), CONTRACT_KEY_ED25519, digest.bytes));
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), id, kManufacturer, s), VBP_INVALID_ARGUMENT, "signature"));
  // Another organization's key id.
  s.key_id = p256_key->id;
  s.signature = ed_sig;
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), id, kManufacturer, s), VBP_INVALID_ARGUMENT, "keyId"));
  EXPECT_EQ(state_of(id), kDraft);
  s.key_id = ed_key->id;
  auto m = sign(manufacturer(kM1), id, kManufacturer, s);
  ASSERT_TRUE(IsOk(m));
  EXPECT_EQ(m->state, kPartiallySigned);

  // P-256 raw r||s (WebCrypto) here, DER on the other contract.
  const Bytes der = contract_keys::sign(p256.get(), CONTRACT_KEY_P256, digest.bytes);
  Signing d;
  d.key_id = p256_key->id;
  d.signature = base64(der_to_raw(der));
  ASSERT_TRUE(IsOk(sign(distributor(kD1), id, kDistributor, d)));
  Signing h;
  h.key_id = sm2_key->id;
  h.signature = base64(contract_keys::sign(sm2.get(), CONTRACT_KEY_SM2, digest.bytes));
  auto done = sign(hospital(kCountyHospital), id, kInstitution, h);
  ASSERT_TRUE(IsOk(done));
  EXPECT_EQ(done->state, kEffective);

  // C9: the history keeps each signature with its key.
  auto got = get(hospital(kCountyHospital), id);
  ASSERT_TRUE(IsOk(got));
  EXPECT_EQ(history_of(got.get()),
            (std::vector<std::string>{
                "bur-fj BUREAU CREATE CONTRACT_STATE_UNSPECIFIED->DRAFT CreateContract",
                "mfr-1 MANUFACTURER SIGN DRAFT->PARTIALLY_SIGNED",
                "dist-1 DISTRIBUTOR SIGN PARTIALLY_SIGNED->ENTERPRISE_SIGNED",
                "hosp-county MEDICAL_INSTITUTION SIGN ENTERPRISE_SIGNED->EFFECTIVE",
            }));
  ASSERT_EQ(got->n_history, 4u);
  EXPECT_STREQ(got->history[0]->document_sha256, "");
  EXPECT_STREQ(got->history[0]->key_id, "");
  const std::string keys[] = {ed_key->id, p256_key->id, sm2_key->id};
  const std::string sigs[] = {ed_sig, d.signature, h.signature};
  for (size_t i = 1; i < 4; i++) {
    const Vbp__V1__ContractEvent *e = got->history[i];
    EXPECT_EQ(std::string(e->document_sha256), kDocument) << i;
    EXPECT_EQ(std::string(e->key_id), keys[i - 1]) << i;
    EXPECT_EQ(std::string(e->signature), sigs[i - 1]) << i;
    EXPECT_EQ(std::string(e->at).size(), 25u) << e->at;
  }
  for (size_t i = 0; i < got->n_signatures; i++) {
    const Vbp__V1__Signature *sig = got->signatures[i];
    EXPECT_EQ(std::string(sig->key_id), keys[sig->party - 1]) << sig->party;
    EXPECT_EQ(std::string(sig->signature), sigs[sig->party - 1]) << sig->party;
  }

  // DER is accepted too.
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), other, kManufacturer, s)));
  d.signature = base64(der);
  ASSERT_TRUE(IsOk(sign(distributor(kD1), other, kDistributor, d)));

  // A retired key signs no more; without an active key the organization signs without one.
  EXPECT_TRUE(IsRefused(retire_key(hospital(kCityHospital), sm2_key->id), VBP_PERMISSION_DENIED));
  ASSERT_TRUE(IsOk(retire_key(hospital(kCountyHospital), sm2_key->id)));
  ASSERT_TRUE(IsOk(retire_key(hospital(kCountyHospital), sm2_key->id)));  // twice: no error
  const std::string third = make(contract_of(kCountyHospital, "E", kD1, 7));
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), third, kManufacturer, s)));
  ASSERT_TRUE(IsOk(sign(distributor(kD1), third, kDistributor, d)));
  EXPECT_TRUE(IsRefused(sign(hospital(kCountyHospital), third, kInstitution, h),
                        VBP_INVALID_ARGUMENT, "keyId"));
  EXPECT_TRUE(IsOk(sign(hospital(kCountyHospital), third, kInstitution)));
  // A retired key with a new one active: keyId names no active key.
  ASSERT_TRUE(IsOk(retire_key(manufacturer(kM1), ed_key->id)));
  Pkey ed2 = make_key(CONTRACT_KEY_ED25519);
  auto ed2_key = register_key(manufacturer(kM1), kM1, public_pem(ed2.get()));
  ASSERT_TRUE(IsOk(ed2_key));
  const std::string fourth = make(contract_of(kCityHospital, "A", kD1, 9));
  EXPECT_TRUE(
      IsRefused(sign(manufacturer(kM1), fourth, kManufacturer, s), VBP_INVALID_ARGUMENT, "keyId"));
  Signing fresh;
  fresh.key_id = ed2_key->id;
  fresh.signature = base64(contract_keys::sign(ed2.get(), CONTRACT_KEY_ED25519, digest.bytes));
  EXPECT_TRUE(IsOk(sign(manufacturer(kM1), fourth, kManufacturer, fresh)));
}

TEST_F(ContractTest, ManufacturerAndDistributorSigningAtOnceBothCount) {
  name_distributor(kM1, "A", kD1, "350100");
  for (int round = 0; round < 5; round++) {
    NewContract n = contract_of(kCountyHospital, "A", kD1, 500);
    n.agreement_year = 1 + round % 4;
    n.institution_id = round < 4 ? kCountyHospital : kCityHospital;
    const std::string id = make(n);
    std::atomic<bool> go{false};
    Reply<Vbp__V1__Contract> by_m, by_d;
    std::thread m([&] {
      while (!go) std::this_thread::yield();
      by_m = sign(manufacturer(kM1), id, kManufacturer);
    });
    std::thread d([&] {
      while (!go) std::this_thread::yield();
      by_d = sign(distributor(kD1), id, kDistributor);
    });
    go = true;
    m.join();
    d.join();
    ASSERT_TRUE(IsOk(by_m)) << round;
    ASSERT_TRUE(IsOk(by_d)) << round;
    // One of them saw the other's signature.
    EXPECT_TRUE(by_m->state == kEnterpriseSigned || by_d->state == kEnterpriseSigned) << round;
    auto got = get(Caller::admin(), id);
    ASSERT_TRUE(IsOk(got));
    EXPECT_EQ(got->state, kEnterpriseSigned) << round;
    EXPECT_EQ(got->n_signatures, 2u) << round;
    EXPECT_EQ(got->n_history, 3u) << round;
  }
}

// ---------------------------------------------------------------- renewals (C5-C7)

TEST_F(ContractTest, ARenewalHoldsThePerDayFloorAndReplacesTheOldOnceEffective) {
  name_distributor(kM1, "A", kD2, "350000");
  // Year 1 of Fujian has 528 days, year 2 365: 421 holds year 2 to 291 (C7).
  const std::string id = make(contract_of(kProvincialHospital, "A", kD2, 421));
  // Only a contract in force is renewed.
  EXPECT_TRUE(
      IsRefused(renew(hospital(kProvincialHospital), id, 421), VBP_FAILED_PRECONDITION, "id"));
  sign_all(id, kProvincialHospital, kM1, kD2);

  auto low = renew(hospital(kProvincialHospital), id, 290);
  ASSERT_TRUE(IsRefused(low, VBP_INVALID_ARGUMENT, "quantity"));
  EXPECT_NE(std::string(low.status.message).find("291"), std::string::npos) << low.status.message;
  EXPECT_TRUE(IsRefused(renew(hospital(kCityHospital), id, 291), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(renew(bureau(kFuzhouBureau), id, 291), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(renew(manufacturer(kM1), id, 291), VBP_PERMISSION_DENIED));
  auto next = renew(hospital(kProvincialHospital), id, 291);
  ASSERT_TRUE(IsOk(next));
  EXPECT_EQ(describe(next.get()), "hosp-prov A dist-2 291 DRAFT 30.0000 2026-01-01..2026-12-31");
  EXPECT_EQ(next->agreement_year, 2);
  EXPECT_STREQ(next->manufacturer_id, kM1);
  EXPECT_EQ(history_of(next.get()),
            (std::vector<std::string>{"hosp-prov MEDICAL_INSTITUTION CREATE "
                                      "CONTRACT_STATE_UNSPECIFIED->DRAFT renews " +
                                      id}));
  const std::string renewal = next->id;
  // Twice: 409, whoever asks.
  EXPECT_TRUE(IsRefused(renew(hospital(kProvincialHospital), id, 300), VBP_ALREADY_EXISTS, "id"));
  EXPECT_TRUE(IsRefused(renew(bureau(kFujianBureau), id, 291), VBP_ALREADY_EXISTS, "id"));
  // The old one stays EFFECTIVE until the renewal is.
  auto old = get(Caller::admin(), id);
  ASSERT_TRUE(IsOk(old));
  EXPECT_EQ(old->state, kEffective);
  EXPECT_EQ(history_of(old.get()).back(),
            "hosp-prov MEDICAL_INSTITUTION RENEW EFFECTIVE->EFFECTIVE renewed by " + renewal);

  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), renewal, kManufacturer)));
  ASSERT_TRUE(IsOk(sign(distributor(kD2), renewal, kDistributor)));
  EXPECT_EQ(state_of(id), kEffective);
  auto effective = sign(hospital(kProvincialHospital), renewal, kInstitution);
  ASSERT_TRUE(IsOk(effective));
  EXPECT_EQ(effective->state, kEffective);
  old = get(Caller::admin(), id);
  ASSERT_TRUE(IsOk(old));
  EXPECT_EQ(old->state, kRenewed);
  EXPECT_EQ(history_of(old.get()).back(),
            "hosp-prov MEDICAL_INSTITUTION RENEW EFFECTIVE->RENEWED renewed by " + renewal);
  // A renewed contract is not renewed again, and not terminated.
  EXPECT_TRUE(IsRefused(renew(hospital(kProvincialHospital), id, 300), VBP_ALREADY_EXISTS, "id"));
  EXPECT_TRUE(IsRefused(terminate(bureau(kFujianBureau), id, "x"), VBP_FAILED_PRECONDITION, "id"));
  // Year 3 holds the first year's quantity per day too: 421 x 365 / 528 -> 291.
  EXPECT_TRUE(IsRefused(renew(hospital(kProvincialHospital), renewal, 290), VBP_INVALID_ARGUMENT,
                        "quantity"));
  auto third = renew(bureau(kFujianBureau), renewal, 291);
  ASSERT_TRUE(IsOk(third));
  EXPECT_EQ(describe(third.get()), "hosp-prov A dist-2 291 DRAFT 30.0000 2027-01-01..2027-12-31");
  // The last year is cut at the cycle end (C5, C6): 2028-01-01..2028-07-21, 203 days, holds
  // 421 x 203 / 528 = 161.9 -> 162.
  sign_all(third->id, kProvincialHospital, kM1, kD2);
  EXPECT_TRUE(IsRefused(renew(hospital(kProvincialHospital), third->id, 161), VBP_INVALID_ARGUMENT,
                        "quantity"));
  auto last = renew(hospital(kProvincialHospital), third->id, 162);
  ASSERT_TRUE(IsOk(last));
  EXPECT_EQ(describe(last.get()), "hosp-prov A dist-2 162 DRAFT 30.0000 2028-01-01..2028-07-21");
  EXPECT_EQ(last->agreement_year, 4);
  sign_all(last->id, kProvincialHospital, kM1, kD2);
  EXPECT_EQ(state_of(third->id), kRenewed);
  // Nothing after the cycle's last year.
  auto beyond = renew(hospital(kProvincialHospital), last->id, 500);
  ASSERT_TRUE(IsRefused(beyond, VBP_FAILED_PRECONDITION, "id"));
  EXPECT_NE(std::string(beyond.status.message).find("2028-07-21"), std::string::npos)
      << beyond.status.message;
}

TEST_F(ContractTest, YearTwoIsGeneratedByRenewingTheContractsInForce) {
  approve_demand(kCityHospital, "G1", 1, 421);
  approve_demand(kCountyHospital, "G1", 1, 1000);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM2, "B", kD2, "350100");
  ASSERT_TRUE(IsOk(generate(bureau(kFujianBureau), 1)));
  auto id_of = [&](const char *institution_id, const char *product, int year) {
    return sql(std::string("SELECT id FROM contracts WHERE institution_id = '") + institution_id +
               "' AND product_id = '" + product + "' AND agreement_year = " + std::to_string(year));
  };
  const std::string city_a = id_of(kCityHospital, "A", 1), city_b = id_of(kCityHospital, "B", 1);
  const std::string county_a = id_of(kCountyHospital, "A", 1),
                    county_b = id_of(kCountyHospital, "B", 1);
  sign_all(city_a, kCityHospital, kM1, kD1);
  sign_all(county_a, kCountyHospital, kM1, kD1);
  sign_all(county_b, kCountyHospital, kM2, kD2);
  ASSERT_TRUE(IsOk(terminate(bureau(kFujianBureau), county_b, "中选产品被取消中选资格")));
  ASSERT_TRUE(IsOk(sign(manufacturer(kM2), city_b, kManufacturer)));  // not in force

  // The provincial hospital has a contract without an allocation (CreateContract): 421.
  name_distributor(kM1, "A", kD2, "350000");
  const std::string prov_a = make(contract_of(kProvincialHospital, "A", kD2, 421));
  sign_all(prov_a, kProvincialHospital, kM1, kD2);

  // Year 2's allocations: 433 for the city hospital (A 260, B 173), 800 for the county one
  // (A 480, B 320), each above its per-day floor; the provincial hospital has none and renews
  // at its floor, 421 x 365 / 528 = 291.04 -> 291 (C7).
  approve_demand(kCityHospital, "G1", 2, 433);
  approve_demand(kCountyHospital, "G1", 2, 800);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 2, 100, {})));
  auto year2 = list_allocations(Caller::admin(), "", 2);
  ASSERT_TRUE(IsOk(year2));
  EXPECT_EQ(allocations_of(year2.get()), (std::vector<std::string>{
                                             "2 hosp-city G1 A 433 100 260",
                                             "2 hosp-city G1 B 433 100 173",
                                             "2 hosp-county G1 A 800 100 480",
                                             "2 hosp-county G1 B 800 100 320",
                                         }));
  // C1: a renewal by hand into a year with an allocation is for exactly the allocated quantity.
  auto unallocated = renew(hospital(kCountyHospital), county_a, 500);
  ASSERT_TRUE(IsRefused(unallocated, VBP_INVALID_ARGUMENT, "quantity"));
  EXPECT_NE(std::string(unallocated.status.message).find("480"), std::string::npos)
      << unallocated.status.message;
  auto by_hand = renew(hospital(kCountyHospital), county_a, 480);
  ASSERT_TRUE(IsOk(by_hand));
  const std::string county_a2 = by_hand->id;
  // Only the contracts in force are renewed, once: not county A again (renewed by hand), not
  // county B (terminated), not city B (signed by its manufacturer alone).
  auto r = generate(bureau(kFujianBureau), 2);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->generated, 3);
  std::vector<std::string> made;
  for (size_t i = 0; i < r->n_contracts; i++) made.push_back(describe(r->contracts[i]));
  std::sort(made.begin(), made.end());
  EXPECT_EQ(made, (std::vector<std::string>{
                      "hosp-city A dist-1 260 DRAFT 30.0000 2026-01-01..2026-12-31",
                      "hosp-county A dist-1 480 DRAFT 30.0000 2026-01-01..2026-12-31",
                      "hosp-prov A dist-2 291 DRAFT 30.0000 2026-01-01..2026-12-31",
                  }));
  const std::string city_a2 = id_of(kCityHospital, "A", 2);
  auto got = get(Caller::admin(), city_a2);
  ASSERT_TRUE(IsOk(got));
  EXPECT_EQ(history_of(got.get()),
            (std::vector<std::string>{
                "bur-fj BUREAU CREATE CONTRACT_STATE_UNSPECIFIED->DRAFT renews " + city_a}));
  auto old = get(Caller::admin(), city_a);
  ASSERT_TRUE(IsOk(old));
  EXPECT_EQ(old->state, kEffective);
  EXPECT_EQ(history_of(old.get()).back(),
            "bur-fj BUREAU RENEW EFFECTIVE->EFFECTIVE renewed by " + city_a2);
  // Frozen, and nothing new a second time.
  EXPECT_TRUE(IsRefused(compute(bureau(kFujianBureau), 2, 90, {}), VBP_FAILED_PRECONDITION,
                        "agreementYear"));
  auto again = generate(bureau(kFujianBureau), 2);
  ASSERT_TRUE(IsOk(again));
  EXPECT_EQ(again->generated, 3);
  EXPECT_EQ(sql("SELECT count(*) FROM contracts WHERE agreement_year = 2"), "3");
  // Renewing one of them by hand now: 409.
  EXPECT_TRUE(IsRefused(renew(bureau(kFujianBureau), city_a, 300), VBP_ALREADY_EXISTS, "id"));
  // Once the renewal is in force, the old one is RENEWED.
  sign_all(city_a2, kCityHospital, kM1, kD1);
  EXPECT_EQ(state_of(city_a), kRenewed);
  EXPECT_EQ(state_of(county_a), kEffective);
  auto county_history = get(Caller::admin(), county_a2);
  ASSERT_TRUE(IsOk(county_history));
  EXPECT_EQ(history_of(county_history.get()),
            (std::vector<std::string>{"hosp-county MEDICAL_INSTITUTION CREATE "
                                      "CONTRACT_STATE_UNSPECIFIED->DRAFT renews " +
                                      county_a}));
}

// ---------------------------------------------------------------- derived states

TEST_F(ContractTest, AContractInForcePastItsPeriodIsExpiredInEveryRead) {
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "E", kD1, "350100");
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  const std::string draft = make(contract_of(kCountyHospital, "E", kD1, 7));
  sign_all(id, kCountyHospital, kM1, kD1);
  const std::string naming =
      sql("SELECT id FROM distributor_authorizations WHERE product_id = 'A'");

  pin_today("2025-12-31");  // the last day of year 1
  EXPECT_EQ(state_of(id), kEffective);
  EXPECT_EQ(count(Caller::admin(), "", kEffective), 1u);
  EXPECT_EQ(count(Caller::admin(), "", kExpired), 0u);

  pin_today("2026-01-01");
  EXPECT_EQ(state_of(id), kExpired);
  EXPECT_EQ(count(Caller::admin(), "", kEffective), 0u);
  auto expired = list(hospital(kCountyHospital), "", "", kExpired);
  ASSERT_TRUE(IsOk(expired));
  ASSERT_EQ(expired->n_contracts, 1u);
  EXPECT_STREQ(expired->contracts[0]->id, id.c_str());
  EXPECT_EQ(expired->contracts[0]->state, kExpired);
  // A DRAFT stays a DRAFT.
  EXPECT_EQ(state_of(draft), kDraft);
  EXPECT_EQ(count(Caller::admin(), "", kDraft), 1u);
  // An expired contract is not signed, not terminated, and binds no distributor.
  EXPECT_TRUE(
      IsRefused(terminate(bureau(kFujianBureau), id, "到期"), VBP_FAILED_PRECONDITION, "id"));
  ASSERT_TRUE(IsOk(withdraw(manufacturer(kM1), naming)));
  // It is still renewed, late (C6: until a renewal is signed, supply continues at the old
  // terms); it shows EXPIRED until the renewal is EFFECTIVE.
  name_distributor(kM1, "A", kD1, "350100");
  auto late = renew(hospital(kCountyHospital), id, 500);
  ASSERT_TRUE(IsOk(late));
  EXPECT_EQ(late->agreement_year, 2);
  EXPECT_STREQ(late->period_start, "2026-01-01");
  EXPECT_EQ(state_of(id), kExpired);
  sign_all(late->id, kCountyHospital, kM1, kD1);
  EXPECT_EQ(state_of(id), kRenewed);
}

// ---------------------------------------------------------------- termination

TEST_F(ContractTest, TheProvincialBureauTerminatesWithAReason) {
  name_distributor(kM1, "A", kD1, "350100");
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), id, kManufacturer)));
  const std::string reason = "企业无法按约供货";
  EXPECT_TRUE(IsRefused(terminate(bureau(kFuzhouBureau), id, reason), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(terminate(bureau(kGulouBureau), id, reason), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(terminate(hospital(kCountyHospital), id, reason), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(terminate(manufacturer(kM1), id, reason), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(terminate(bureau(kFujianBureau), id, ""), VBP_INVALID_ARGUMENT, "reason"));
  EXPECT_TRUE(
      IsRefused(terminate(bureau(kFujianBureau), "no-such", reason), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(terminate(Caller::admin(), "no-such", reason), VBP_NOT_FOUND, "id"));
  auto r = terminate(bureau(kFujianBureau), id, reason);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->state, kTerminated);
  EXPECT_EQ(history_of(r.get()).back(),
            "bur-fj BUREAU TERMINATE PARTIALLY_SIGNED->TERMINATED " + reason);
  EXPECT_TRUE(
      IsRefused(terminate(bureau(kFujianBureau), id, reason), VBP_FAILED_PRECONDITION, "id"));
  EXPECT_TRUE(
      IsRefused(sign(distributor(kD1), id, kDistributor), VBP_FAILED_PRECONDITION, "party"));
  EXPECT_EQ(count(Caller::admin(), "", kTerminated), 1u);
}

// ---------------------------------------------------------------- reading

TEST_F(ContractTest, EachCallerReadsItsOwnContractsAndListsPage) {
  name_distributor(kM1, "A", kD1, "350100");
  name_distributor(kM1, "A", kD2, "350000");
  name_distributor(kM2, "B", kD2, "350100");
  const std::string county_a = make(contract_of(kCountyHospital, "A", kD1, 500));
  const std::string city_a = make(contract_of(kCityHospital, "A", kD1, 253));
  const std::string city_b = make(contract_of(kCityHospital, "B", kD2, 168));
  const std::string prov_a = make(contract_of(kProvincialHospital, "A", kD2, 421));

  EXPECT_EQ(count(Caller::admin()), 4u);
  EXPECT_EQ(count(bureau(kFujianBureau)), 4u);
  EXPECT_EQ(count(bureau(kFuzhouBureau)), 3u);
  EXPECT_EQ(count(bureau(kGulouBureau)), 1u);
  EXPECT_EQ(count(bureau(kXiamenBureau)), 0u);
  EXPECT_EQ(count(agency(kFuzhouAgency)), 3u);
  EXPECT_EQ(count(agency(kXiamenAgency)), 0u);
  EXPECT_EQ(count(hospital(kCityHospital)), 2u);
  EXPECT_EQ(count(hospital(kCountyHospital)), 1u);
  EXPECT_EQ(count(hospital(kCityHospital), kCountyHospital), 0u);  // filtered, not refused
  EXPECT_EQ(count(manufacturer(kM1)), 3u);
  EXPECT_EQ(count(manufacturer(kM2)), 1u);
  EXPECT_EQ(count(manufacturer("mfr-3")), 0u);
  EXPECT_EQ(count(distributor(kD1)), 2u);
  EXPECT_EQ(count(distributor(kD2)), 2u);
  EXPECT_EQ(count(distributor(kD3)), 0u);
  EXPECT_EQ(count(Caller::admin(), kD2), 2u);
  EXPECT_EQ(count(Caller::admin(), kCityHospital), 2u);
  EXPECT_EQ(count(bureau(kFuzhouBureau), kD2), 1u);
  EXPECT_EQ(count(Caller::admin(), "", kDraft), 4u);
  EXPECT_EQ(all_contracts(hospital(kCityHospital)),
            (std::vector<std::string>{
                "hosp-city A dist-1 253 DRAFT 30.0000 2024-07-22..2025-12-31",
                "hosp-city B dist-2 168 DRAFT 28.0000 2024-07-22..2025-12-31",
            }));
  EXPECT_EQ(all_contracts(Caller::admin(), "NO-SUCH"), std::vector<std::string>{});

  // Pages of 3 then 1, by id.
  auto first =
      list(Caller::admin(), kBatchCode, "", VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, 3);
  ASSERT_TRUE(IsOk(first));
  ASSERT_EQ(first->n_contracts, 3u);
  ASSERT_STRNE(first->next_page_token, "");
  auto rest = list(Caller::admin(), kBatchCode, "",
                   VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, 3, first->next_page_token);
  ASSERT_TRUE(IsOk(rest));
  ASSERT_EQ(rest->n_contracts, 1u);
  EXPECT_STREQ(rest->next_page_token, "");
  std::vector<std::string> ids = {first->contracts[0]->id, first->contracts[1]->id,
                                  first->contracts[2]->id, rest->contracts[0]->id};
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  std::vector<std::string> all = {county_a, city_a, city_b, prov_a};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(ids, all);
  // The token is the caller's and the query's.
  EXPECT_TRUE(IsRefused(
      list(bureau(kFujianBureau), kBatchCode, "",
           VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, 3, first->next_page_token),
      VBP_INVALID_ARGUMENT, "pageToken"));
  EXPECT_TRUE(IsRefused(list(Caller::admin(), kBatchCode, "", kDraft, 3, first->next_page_token),
                        VBP_INVALID_ARGUMENT, "pageToken"));
  EXPECT_TRUE(IsRefused(
      list(Caller::admin(), "", "", VBP__V1__CONTRACT_STATE__CONTRACT_STATE_UNSPECIFIED, -1),
      VBP_INVALID_ARGUMENT, "pageSize"));

  // GetContract: the parties, the bureaus and agencies of its region; 403 for anyone else,
  // whether or not it exists; history for all who read it.
  for (const Caller &who :
       {hospital(kCountyHospital), manufacturer(kM1), distributor(kD1), bureau(kGulouBureau),
        bureau(kFuzhouBureau), bureau(kFujianBureau), agency(kFuzhouAgency), Caller::admin()}) {
    auto r = get(who, county_a);
    ASSERT_TRUE(IsOk(r)) << who.identity.org_id;
    EXPECT_EQ(r->n_history, 1u);
  }
  for (const Caller &who : {hospital(kCityHospital), manufacturer(kM2), distributor(kD2),
                            bureau(kXiamenBureau), agency(kXiamenAgency)})
    EXPECT_TRUE(IsRefused(get(who, county_a), VBP_PERMISSION_DENIED)) << who.identity.org_id;
  EXPECT_TRUE(IsRefused(get(hospital(kCityHospital), "no-such"), VBP_PERMISSION_DENIED));
  EXPECT_TRUE(IsRefused(get(Caller::admin(), "no-such"), VBP_NOT_FOUND, "id"));
  EXPECT_TRUE(IsRefused(get(Caller::nobody(), county_a), VBP_UNAUTHENTICATED));
  EXPECT_TRUE(IsRefused(
      get(Caller::forged_as(VBP_ROLE_MEDICAL_INSTITUTION, kCountyHospital, "350102"), county_a),
      VBP_UNAUTHENTICATED));
}

TEST_F(ContractTest, AnAllianceOfficeReadsTheContractsOfTheBatchesItCreated) {
  ensure_interferon_batch("JX-IFN");
  ExecutionSpec e;
  e.batch_code = "JX-IFN";
  e.region_code = "350000";
  e.listing_date = "2024-07-18";
  e.start_date = "2024-07-22";
  ASSERT_TRUE(IsOk(create_execution(Caller::admin(), e)));
  ASSERT_TRUE(IsOk(create_group(Caller::admin(), "JX-IFN", "J1", "干扰素", true)));
  ResultSpec result;
  result.batch_code = "JX-IFN";
  result.product_id = "A";
  result.group_id = "J1";
  result.status = VBP__V1__RESULT_STATUS__WINNING;
  result.winning_price = "29.5";
  result.share_percent = 100;
  ASSERT_TRUE(IsOk(publish_result(Caller::admin(), result)));
  name_distributor(kM1, "A", kD1, "350100");
  NewContract n = contract_of(kCityHospital, "A", kD1, 100);
  n.batch_code = "JX-IFN";
  auto alliance_contract = create(bureau(kFujianBureau), n);
  ASSERT_TRUE(IsOk(alliance_contract));
  EXPECT_STREQ(alliance_contract->price, "29.5000");
  const std::string ours = alliance_contract->id;
  const std::string fujians = make(contract_of(kCityHospital, "A", kD1, 100));

  const Caller office = Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, kAllianceOffice, "360000");
  EXPECT_TRUE(IsOk(get(office, ours)));
  EXPECT_TRUE(IsRefused(get(office, fujians), VBP_PERMISSION_DENIED));
  auto listed = list(office, "JX-IFN");
  ASSERT_TRUE(IsOk(listed));
  ASSERT_EQ(listed->n_contracts, 1u);
  EXPECT_STREQ(listed->contracts[0]->id, ours.c_str());
  EXPECT_EQ(count(office), 0u);  // the batches it created, one at a time
  auto other = list(office, kBatchCode);
  ASSERT_TRUE(IsOk(other));
  EXPECT_EQ(other->n_contracts, 0u);
  // Another alliance office reads none of them.
  const Caller stranger = Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, "other-office", "360000");
  EXPECT_TRUE(IsRefused(get(stranger, ours), VBP_PERMISSION_DENIED));
  auto none = list(stranger, "JX-IFN");
  ASSERT_TRUE(IsOk(none));
  EXPECT_EQ(none->n_contracts, 0u);
}

// ---------------------------------------------------------------- history (C9)

TEST_F(ContractTest, TheHistoryIsAppendOnly) {
  name_distributor(kM1, "A", kD1, "350100");
  const std::string id = make(contract_of(kCountyHospital, "A", kD1, 500));
  ASSERT_TRUE(IsOk(sign(manufacturer(kM1), id, kManufacturer)));
  EXPECT_EQ(sql("SELECT count(*) FROM contract_events"), "2");
  EXPECT_THROW(sql("UPDATE contract_events SET note = 'rewritten'"), std::runtime_error);
  EXPECT_THROW(sql("UPDATE contract_events SET actor_id = 'someone' WHERE seq = 2"),
               std::runtime_error);
  EXPECT_THROW(sql("DELETE FROM contract_events"), std::runtime_error);
  EXPECT_THROW(sql("TRUNCATE contract_events"), std::runtime_error);
  EXPECT_EQ(sql("SELECT count(*) || ' ' || string_agg(note, ',' ORDER BY seq) FROM "
                "contract_events"),
            "2 CreateContract,");
  auto got = get(Caller::admin(), id);
  ASSERT_TRUE(IsOk(got));
  EXPECT_EQ(history_of(got.get()),
            (std::vector<std::string>{
                "bur-fj BUREAU CREATE CONTRACT_STATE_UNSPECIFIED->DRAFT CreateContract",
                "mfr-1 MANUFACTURER SIGN DRAFT->PARTIALLY_SIGNED"}));
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
