// The catalog test stack: catalog-svc's core (catalog_core, the code that ships) served in-process
// over real gRPC on 127.0.0.1:<free port>, against a private PostgreSQL database of the test
// stack, and helpers to call every CatalogService RPC as a given caller.
//
// Each test program (and, under ctest, each test: gtest_discover_tests runs one per process) gets
// a fresh database, so tests make what they need through the idempotent creates below and pick
// ids and regions of their own where what they count could meet another test's rows.
#ifndef CATALOG_HARNESS_H
#define CATALOG_HARNESS_H

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "catalog-svc/service.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/rpc.h"
#include "vbp/v1/catalog.pb-c.h"

// The admin key and the internal secret the in-process server is configured with.
extern const char *const kAdminKey;
extern const char *const kSecret;

// Starts PostgreSQL schema + server + clients once per program and stops them at the end.
// Register it (::testing::AddGlobalTestEnvironment) after test_stack.cpp's own environment, so
// that it is torn down before the test databases are dropped.
class CatalogStack : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // The one registered instance, or nullptr.
  static CatalogStack *instance();
  // Empty when the stack is up; otherwise why it is not.
  const std::string &failure() const { return failure_; }
  // A client opened with kSecret, and one opened with another secret (to forge callers).
  vbp_client *client() const { return client_; }
  vbp_client *forger() const { return forger_; }
  const std::string &dsn() const { return dsn_; }
  // Points catalog-svc's PriceInputsChanged pushes at `pricing` (borrowed; nullptr: none, as with
  // VBP_PRICING_ADDR unset). Only while no call is in flight.
  void set_pricing(vbp_client *pricing) { service_.pricing = pricing; }
  // Points catalog-svc's clients of volume-svc and contract-svc at these (borrowed; nullptr: none,
  // as with VBP_VOLUME_ADDR / VBP_CONTRACT_ADDR unset). Only while no call is in flight.
  void set_peers(vbp_client *volume, vbp_client *contract) {
    service_.volume = volume;
    service_.contract = contract;
  }
  // How many WatchChanges may run at once (0: catalog-svc's default).
  void set_watchers_max(int n) { service_.watchers_max = n; }
  // The service the server runs, for what main.c's threads do (import recovery).
  catalog_service *service() { return &service_; }

 private:
  void start();
  std::string failure_ = "the catalog stack was not started";
  std::string dsn_, target_;
  vbp_pg_pool *pool_ = nullptr;
  vbp_authenticator *auth_ = nullptr;
  catalog_service service_{};
  vbp_server_config config_{};
  vbp_server *server_ = nullptr;
  vbp_client *client_ = nullptr;
  vbp_client *forger_ = nullptr;
};

// Base of every catalog test: fails the test at once when the stack is not up.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

// Pins the services' today (common/clock.h) for its lifetime, as VBP_TODAY does at start-up, so
// that a rule about today answers the same whatever day the test runs.
class PinnedToday {
 public:
  explicit PinnedToday(const char *day) {
    setenv("VBP_TODAY", day, 1);
    vbp_clock_init();
  }
  ~PinnedToday() {
    unsetenv("VBP_TODAY");
    vbp_clock_init();
  }
  PinnedToday(const PinnedToday &) = delete;
  PinnedToday &operator=(const PinnedToday &) = delete;
};

// Who makes a call: a bearer key, a caller signed with the right secret (or forged with another
// one), or nobody.
struct Caller {
  std::string bearer;  // "" for none
  bool is_signed = false;
  bool forged = false;  // signed by the client opened with the wrong secret
  vbp_caller identity{};

  static Caller admin();
  static Caller key(const std::string &key);
  static Caller nobody();
  static Caller signed_as(vbp_role role, const std::string &org_id, const std::string &region);
  static Caller forged_as(vbp_role role, const std::string &org_id, const std::string &region);
};

struct MessageFree {
  void operator()(ProtobufCMessage *m) const {
    if (m != nullptr) protobuf_c_message_free_unpacked(m, nullptr);
  }
};

// The answer to one call: its status and, on OK, the response (freed with the Reply).
template <class M>
struct Reply {
  vbp_status status{};
  std::unique_ptr<ProtobufCMessage, MessageFree> message;

  bool ok() const { return status.code == VBP_OK; }
  const M *get() const { return reinterpret_cast<const M *>(message.get()); }
  const M *operator->() const { return get(); }
};

// Calls `method` as `who` through client, or through forger (opened with another secret) for a
// forged caller. Thread-safe.
vbp_status call_as(vbp_client *client, vbp_client *forger, const vbp_method *method,
                   const Caller &who, const ProtobufCMessage *request, ProtobufCMessage **response,
                   int timeout_ms = 10000);

// The Reply of a call_as.
template <class M>
Reply<M> reply_of(vbp_client *client, vbp_client *forger, const vbp_method *method,
                  const Caller &who, const ProtobufCMessage *request, int timeout_ms = 10000) {
  Reply<M> r;
  ProtobufCMessage *response = nullptr;
  r.status = call_as(client, forger, method, who, request, &response, timeout_ms);
  if (r.status.code == VBP_OK) r.message.reset(response);
  return r;
}

// Calls CatalogService method `rpc` ("CreateRegion") as `who`. Thread-safe.
vbp_status catalog_call(const char *rpc, const Caller &who, const ProtobufCMessage *request,
                        ProtobufCMessage **response);

template <class M>
Reply<M> call(const char *rpc, const Caller &who, const ProtobufCMessage *request) {
  Reply<M> r;
  ProtobufCMessage *response = nullptr;
  r.status = catalog_call(rpc, who, request, &response);
  if (r.status.code == VBP_OK) r.message.reset(response);
  return r;
}

// ---------------------------------------------------------------- assertions

// EXPECT_TRUE(IsOk(reply)): OK, or the code, field, reason and message it got instead.
::testing::AssertionResult IsOk(const vbp_status &st);
// EXPECT_TRUE(IsRefused(reply, VBP_INVALID_ARGUMENT, "code")): exactly that code and field
// (field "" for refusals that name none).
::testing::AssertionResult IsRefused(const vbp_status &st, vbp_code code, const char *field);

template <class M>
::testing::AssertionResult IsOk(const Reply<M> &r) {
  return IsOk(r.status);
}
template <class M>
::testing::AssertionResult IsRefused(const Reply<M> &r, vbp_code code, const char *field = "") {
  return IsRefused(r.status, code, field);
}

// ---------------------------------------------------------------- requests

struct OrgSpec {
  std::string id, name;
  Vbp__V1__OrganizationKind kind = VBP__V1__ORGANIZATION_KIND__MANUFACTURER;
  std::string region_code, credit_code;
  Vbp__V1__InstitutionType institution_type =
      VBP__V1__INSTITUTION_TYPE__INSTITUTION_TYPE_UNSPECIFIED;
  std::string consortium_id;
};

struct BatchSpec {
  std::string code, name;
  Vbp__V1__ProductKind kind = VBP__V1__PRODUCT_KIND__DRUG;
  Vbp__V1__Batch__OrganizerLevel organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__ALLIANCE;
  std::string lead_region_code;
  std::vector<std::string> member_region_codes;
  int cycle_years = 0;
  std::string cycle_end;
  int non_winning_cap_percent = 0;
  Vbp__V1__Batch__RenewalFloor renewal_floor =
      VBP__V1__BATCH__RENEWAL_FLOOR__RENEWAL_FLOOR_UNSPECIFIED;
};

enum class Align { kAbsent, kOn, kOff };

struct ExecutionSpec {
  std::string batch_code, region_code, listing_date, start_date;
  std::string enterprise_sign_from, enterprise_sign_to, institution_sign_from, institution_sign_to;
  Align align_renewal = Align::kAbsent;
};

struct ProductSpec {
  std::string id;
  Vbp__V1__ProductKind kind = VBP__V1__PRODUCT_KIND__DRUG;
  std::string generic_name, dosage_form, specification, unit, manufacturer_id;
  Vbp__V1__QualityTier quality_tier = VBP__V1__QUALITY_TIER__QUALITY_TIER_UNSPECIFIED;
  bool in_insurance_catalog = false;
  std::string category, function;
};

struct ResultSpec {
  std::string batch_code, product_id, group_id;
  Vbp__V1__ResultStatus status = VBP__V1__RESULT_STATUS__WINNING;
  std::string winning_price;
  int share_percent = 0;
};

Reply<Vbp__V1__Region> create_region(const Caller &who, const std::string &code,
                                     const std::string &name, Vbp__V1__RegionLevel level,
                                     const std::string &parent_code);
Reply<Vbp__V1__Organization> create_organization(const Caller &who, const OrgSpec &spec);
Reply<Vbp__V1__Organization> get_organization(const Caller &who, const std::string &id);
Reply<Vbp__V1__ListOrganizationsResponse> list_organizations(const Caller &who,
                                                             Vbp__V1__OrganizationKind kind,
                                                             const std::string &region_code,
                                                             int page_size,
                                                             const std::string &page_token);
Reply<Vbp__V1__Batch> create_batch(const Caller &who, const BatchSpec &spec);
Reply<Vbp__V1__Batch> get_batch(const Caller &who, const std::string &code);
Reply<Vbp__V1__Batch> extend_batch(const Caller &who, const std::string &code,
                                   const std::string &cycle_end);
Reply<Vbp__V1__Execution> create_execution(const Caller &who, const ExecutionSpec &spec);
Reply<Vbp__V1__ListAgreementYearsResponse> list_agreement_years(const Caller &who,
                                                                const std::string &batch_code,
                                                                const std::string &region_code);
Reply<Vbp__V1__Product> create_product(const Caller &who, const ProductSpec &spec);
Reply<Vbp__V1__Product> get_product(const Caller &who, const std::string &id);
Reply<Vbp__V1__Group> create_group(const Caller &who, const std::string &batch_code,
                                   const std::string &id, const std::string &generic_name,
                                   bool competitive);
Reply<Vbp__V1__Result> publish_result(const Caller &who, const ResultSpec &spec);
Reply<Vbp__V1__ListResultsResponse> list_results(const Caller &who, const std::string &batch_code,
                                                 const std::string &group_id,
                                                 Vbp__V1__ResultStatus status, int page_size,
                                                 const std::string &page_token);
Reply<Vbp__V1__ApiKey> create_api_key(const Caller &who, const std::string &organization_id);
Reply<Google__Protobuf__Empty> revoke_api_key(const Caller &who, const std::string &id);
Reply<Vbp__V1__AuthenticateResponse> authenticate(const Caller &who, const std::string &key_sha256);

// ---------------------------------------------------------------- data

// A valid GB 32100 credit code for `id` in `region_code` ("91" + region + nine digits taken from
// a hash of id + the check character), so the same id always gets the same code.
std::string credit_code_for(const std::string &id, const std::string &region_code);

// The name catalog_test uses for a known region code ("350000" -> "福建省").
std::string region_name(const std::string &code);

// Creates region `code` (and its parents first) as the admin, with region_name(code).
void ensure_region(const std::string &code);

// A spec for organization `id` with a name and a credit_code_for(id).
OrgSpec org(const std::string &id, Vbp__V1__OrganizationKind kind, const std::string &region_code);

// Creates region and organization as the admin (idempotent); fails the test if refused.
void ensure_org(const std::string &id, Vbp__V1__OrganizationKind kind,
                const std::string &region_code);

// A fresh API key minted by the admin for organization `id`, which is created first (in
// `region_code`, idempotently).
std::string key_for(const std::string &id, Vbp__V1__OrganizationKind kind,
                    const std::string &region_code);

// The Jiangxi-led interferon alliance batch (seed 000): DRUG, ALLIANCE, lead 360000, members
// 360000 and 350000, 4-year cycle, named `code`.
BatchSpec interferon_batch(const std::string &code);

// The alliance office of Jiangxi (ALLIANCE_OFFICE in 360000) and a key of it.
extern const char *const kAllianceOffice;
std::string alliance_key();

// Creates interferon_batch(code) as the alliance office (idempotent); fails the test if refused.
void ensure_interferon_batch(const std::string &code);

// Agreement years as (year, start, end), for comparing whole answers.
using Years = std::vector<std::tuple<int, std::string, std::string>>;
Years years_of(const Vbp__V1__ListAgreementYearsResponse *r);

#endif
