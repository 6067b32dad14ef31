#include "catalog_harness.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

#include "catalog-svc/store.h"
#include "common/credit_code.h"
#include "common/log.h"
#include "common/pg.h"
#include "test_stack.h"

const char *const kAdminKey = "admin-key-for-catalog-test-3f9c";
const char *const kSecret = "internal-secret-for-catalog-test-b71e";
const char *const kAllianceOffice = "jx-alliance-office";

namespace {

const char *const kWrongSecret = "not-the-internal-secret";
constexpr int kPoolSize = 8;
constexpr int kWorkers = 8;
constexpr int kKeyCacheTtlMs = 10000;
constexpr size_t kKeyCacheSlots = 1024;
constexpr int kRevocationPollMs = 200;

CatalogStack *g_stack = nullptr;

char *c(const std::string &s) { return const_cast<char *>(s.c_str()); }

const vbp_method *method_named(const char *rpc) {
  const std::string path = std::string("/vbp.v1.CatalogService/") + rpc;
  for (size_t i = 0; i < catalog_methods_count; i++)
    if (path == catalog_methods[i].path) return &catalog_methods[i];
  return nullptr;
}

vbp_caller caller_of(vbp_role role, const std::string &org_id, const std::string &region) {
  vbp_caller who{};
  who.role = role;
  std::snprintf(who.org_id, sizeof who.org_id, "%s", org_id.c_str());
  std::snprintf(who.region_code, sizeof who.region_code, "%s", region.c_str());
  return who;
}

std::string describe(const vbp_status &st) {
  std::string out = vbp_code_name(st.code);
  if (st.field[0]) out += std::string(" field=\"") + st.field + "\"";
  if (st.reason[0]) out += std::string(" reason=\"") + st.reason + "\"";
  if (st.message[0]) out += std::string(" message=\"") + st.message + "\"";
  return out;
}

}  // namespace

// ---------------------------------------------------------------- the stack

CatalogStack *CatalogStack::instance() { return g_stack; }

void CatalogStack::SetUp() {
  g_stack = this;
  vbp_log_init("catalog-test", VBP_LOG_ERROR);  // the refusals tests provoke are not news
  vbp_rpc_init();
  try {
    start();
    failure_.clear();
  } catch (const std::exception &e) {
    failure_ = e.what();
  }
}

void CatalogStack::start() {
  dsn_ = vbp_test_dsn_with(vbp_test_fresh_database(), "options",
                           "-csearch_path=catalog -cdatestyle=ISO");
  vbp_status st = vbp_pg_pool_open(dsn_.c_str(), kPoolSize, &pool_);
  if (!vbp_ok(&st)) throw std::runtime_error(std::string("open pool: ") + st.message);
  st = catalog_store_migrate(pool_);
  if (!vbp_ok(&st)) throw std::runtime_error(std::string("migrate: ") + st.message);
  service_.pool = pool_;
  service_.organizations = vbp_memo_create(1024);  // as main.c keeps them
  auth_ = vbp_authenticator_create(kAdminKey, kSecret, catalog_resolve_key, &service_,
                                   kKeyCacheTtlMs, kKeyCacheSlots);
  service_.auth = auth_;  // so that RevokeApiKey forgets cached keys at once, as in main.c
  // And forgets keys revoked through another catalog-svc, as the shared service main has it.
  vbp_authenticator_watch(auth_, catalog_key_revocations, &service_, kRevocationPollMs);
  config_.service = "catalog-svc";
  config_.listen_addr = "127.0.0.1:0";
  config_.workers = kWorkers;
  config_.methods = catalog_methods;
  config_.n_methods = catalog_methods_count;
  config_.context = &service_;
  config_.auth = auth_;
  config_.metrics = nullptr;
  config_.ready = vbp_pg_ready;
  config_.ready_context = pool_;
  st = vbp_server_start(&config_, &server_);
  if (!vbp_ok(&st)) throw std::runtime_error(std::string("start server: ") + st.message);
  target_ = "127.0.0.1:" + std::to_string(vbp_server_port(server_));
  st = vbp_client_open(target_.c_str(), kSecret, &client_);
  if (!vbp_ok(&st)) throw std::runtime_error(std::string("open client: ") + st.message);
  st = vbp_client_open(target_.c_str(), kWrongSecret, &forger_);
  if (!vbp_ok(&st)) throw std::runtime_error(std::string("open client: ") + st.message);
}

void CatalogStack::TearDown() {
  vbp_client_close(client_);
  vbp_client_close(forger_);
  client_ = forger_ = nullptr;
  vbp_server_stop(server_, 2000);
  server_ = nullptr;
  vbp_authenticator_destroy(auth_);
  auth_ = nullptr;
  vbp_pg_pool_close(pool_);
  pool_ = nullptr;
  vbp_memo_destroy(service_.organizations);
  service_.organizations = nullptr;
  vbp_rpc_shutdown();
  g_stack = nullptr;
}

void CatalogTest::SetUp() {
  CatalogStack *stack = CatalogStack::instance();
  ASSERT_NE(stack, nullptr) << "CatalogStack is not registered";
  ASSERT_EQ(stack->failure(), "") << "the catalog stack is down";
}

// ---------------------------------------------------------------- callers

Caller Caller::admin() { return key(kAdminKey); }

Caller Caller::key(const std::string &key) {
  Caller who;
  who.bearer = key;
  return who;
}

Caller Caller::nobody() { return Caller(); }

Caller Caller::signed_as(vbp_role role, const std::string &org_id, const std::string &region) {
  Caller who;
  who.is_signed = true;
  who.identity = caller_of(role, org_id, region);
  return who;
}

Caller Caller::forged_as(vbp_role role, const std::string &org_id, const std::string &region) {
  Caller who = signed_as(role, org_id, region);
  who.forged = true;
  return who;
}

vbp_status catalog_call(const char *rpc, const Caller &who, const ProtobufCMessage *request,
                        ProtobufCMessage **response) {
  const vbp_method *method = method_named(rpc);
  if (method == nullptr)
    return vbp_status_make(VBP_UNIMPLEMENTED, "no method %s in the table", rpc);
  CatalogStack *stack = CatalogStack::instance();
  return call_as(stack->client(), stack->forger(), method, who, request, response);
}

vbp_status call_as(vbp_client *client, vbp_client *forger, const vbp_method *method,
                   const Caller &who, const ProtobufCMessage *request, ProtobufCMessage **response,
                   int timeout_ms) {
  vbp_call_options options{};
  options.timeout_ms = timeout_ms;
  if (!who.bearer.empty()) options.bearer_key = who.bearer.c_str();
  if (who.is_signed) options.caller = &who.identity;
  return vbp_client_call(who.forged ? forger : client, method, request, &options, nullptr,
                         response);
}

// ---------------------------------------------------------------- assertions

::testing::AssertionResult IsOk(const vbp_status &st) {
  if (st.code == VBP_OK) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected OK, got " << describe(st);
}

::testing::AssertionResult IsRefused(const vbp_status &st, vbp_code code, const char *field) {
  if (st.code == code && std::strcmp(st.field, field) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << vbp_code_name(code) << " field=\"" << field
                                       << "\", got " << describe(st);
}

// ---------------------------------------------------------------- requests

Reply<Vbp__V1__Region> create_region(const Caller &who, const std::string &code,
                                     const std::string &name, Vbp__V1__RegionLevel level,
                                     const std::string &parent_code) {
  Vbp__V1__Region r;
  vbp__v1__region__init(&r);
  r.code = c(code);
  r.name = c(name);
  r.level = level;
  r.parent_code = c(parent_code);
  return call<Vbp__V1__Region>("CreateRegion", who, &r.base);
}

Reply<Vbp__V1__Organization> create_organization(const Caller &who, const OrgSpec &spec) {
  Vbp__V1__Organization o;
  vbp__v1__organization__init(&o);
  o.id = c(spec.id);
  o.name = c(spec.name);
  o.kind = spec.kind;
  o.region_code = c(spec.region_code);
  o.credit_code = c(spec.credit_code);
  o.institution_type = spec.institution_type;
  o.consortium_id = c(spec.consortium_id);
  return call<Vbp__V1__Organization>("CreateOrganization", who, &o.base);
}

Reply<Vbp__V1__Organization> get_organization(const Caller &who, const std::string &id) {
  Vbp__V1__GetOrganizationRequest r;
  vbp__v1__get_organization_request__init(&r);
  r.id = c(id);
  return call<Vbp__V1__Organization>("GetOrganization", who, &r.base);
}

Reply<Vbp__V1__ListOrganizationsResponse> list_organizations(const Caller &who,
                                                             Vbp__V1__OrganizationKind kind,
                                                             const std::string &region_code,
                                                             int page_size,
                                                             const std::string &page_token) {
  Vbp__V1__ListOrganizationsRequest r;
  vbp__v1__list_organizations_request__init(&r);
  r.kind = kind;
  r.region_code = c(region_code);
  r.page_size = page_size;
  r.page_token = c(page_token);
  return call<Vbp__V1__ListOrganizationsResponse>("ListOrganizations", who, &r.base);
}

Reply<Vbp__V1__Batch> create_batch(const Caller &who, const BatchSpec &spec) {
  Vbp__V1__Batch b;
  vbp__v1__batch__init(&b);
  std::vector<char *> members;
  for (const std::string &m : spec.member_region_codes) members.push_back(c(m));
  b.code = c(spec.code);
  b.name = c(spec.name);
  b.kind = spec.kind;
  b.organizer_level = spec.organizer_level;
  b.lead_region_code = c(spec.lead_region_code);
  b.member_region_codes = members.data();
  b.n_member_region_codes = members.size();
  b.cycle_years = spec.cycle_years;
  b.cycle_end = c(spec.cycle_end);
  b.non_winning_cap_percent = spec.non_winning_cap_percent;
  b.renewal_floor = spec.renewal_floor;
  return call<Vbp__V1__Batch>("CreateBatch", who, &b.base);
}

Reply<Vbp__V1__Batch> get_batch(const Caller &who, const std::string &code) {
  Vbp__V1__GetBatchRequest r;
  vbp__v1__get_batch_request__init(&r);
  r.code = c(code);
  return call<Vbp__V1__Batch>("GetBatch", who, &r.base);
}

Reply<Vbp__V1__Batch> extend_batch(const Caller &who, const std::string &code,
                                   const std::string &cycle_end) {
  Vbp__V1__ExtendBatchRequest r;
  vbp__v1__extend_batch_request__init(&r);
  r.code = c(code);
  r.cycle_end = c(cycle_end);
  return call<Vbp__V1__Batch>("ExtendBatch", who, &r.base);
}

Reply<Vbp__V1__Execution> create_execution(const Caller &who, const ExecutionSpec &spec) {
  Vbp__V1__Execution e;
  vbp__v1__execution__init(&e);
  Google__Protobuf__BoolValue align;
  google__protobuf__bool_value__init(&align);
  e.batch_code = c(spec.batch_code);
  e.region_code = c(spec.region_code);
  e.listing_date = c(spec.listing_date);
  e.start_date = c(spec.start_date);
  e.enterprise_sign_from = c(spec.enterprise_sign_from);
  e.enterprise_sign_to = c(spec.enterprise_sign_to);
  e.institution_sign_from = c(spec.institution_sign_from);
  e.institution_sign_to = c(spec.institution_sign_to);
  if (spec.align_renewal != Align::kAbsent) {
    align.value = spec.align_renewal == Align::kOn;
    e.align_renewal = &align;
  }
  return call<Vbp__V1__Execution>("CreateExecution", who, &e.base);
}

Reply<Vbp__V1__ListAgreementYearsResponse> list_agreement_years(const Caller &who,
                                                                const std::string &batch_code,
                                                                const std::string &region_code) {
  Vbp__V1__ListAgreementYearsRequest r;
  vbp__v1__list_agreement_years_request__init(&r);
  r.batch_code = c(batch_code);
  r.region_code = c(region_code);
  return call<Vbp__V1__ListAgreementYearsResponse>("ListAgreementYears", who, &r.base);
}

Reply<Vbp__V1__Product> create_product(const Caller &who, const ProductSpec &spec) {
  Vbp__V1__Product p;
  vbp__v1__product__init(&p);
  p.id = c(spec.id);
  p.kind = spec.kind;
  p.generic_name = c(spec.generic_name);
  p.dosage_form = c(spec.dosage_form);
  p.specification = c(spec.specification);
  p.unit = c(spec.unit);
  p.manufacturer_id = c(spec.manufacturer_id);
  p.quality_tier = spec.quality_tier;
  p.in_insurance_catalog = spec.in_insurance_catalog;
  p.category = c(spec.category);
  p.function = c(spec.function);
  return call<Vbp__V1__Product>("CreateProduct", who, &p.base);
}

Reply<Vbp__V1__Product> get_product(const Caller &who, const std::string &id) {
  Vbp__V1__GetProductRequest r;
  vbp__v1__get_product_request__init(&r);
  r.id = c(id);
  return call<Vbp__V1__Product>("GetProduct", who, &r.base);
}

Reply<Vbp__V1__Group> create_group(const Caller &who, const std::string &batch_code,
                                   const std::string &id, const std::string &generic_name,
                                   bool competitive) {
  Vbp__V1__Group g;
  vbp__v1__group__init(&g);
  g.batch_code = c(batch_code);
  g.id = c(id);
  g.generic_name = c(generic_name);
  g.competitive = competitive;
  return call<Vbp__V1__Group>("CreateGroup", who, &g.base);
}

Reply<Vbp__V1__Result> publish_result(const Caller &who, const ResultSpec &spec) {
  Vbp__V1__Result r;
  vbp__v1__result__init(&r);
  r.batch_code = c(spec.batch_code);
  r.product_id = c(spec.product_id);
  r.group_id = c(spec.group_id);
  r.status = spec.status;
  r.winning_price = c(spec.winning_price);
  r.share_percent = spec.share_percent;
  return call<Vbp__V1__Result>("PublishResult", who, &r.base);
}

Reply<Vbp__V1__ListResultsResponse> list_results(const Caller &who, const std::string &batch_code,
                                                 const std::string &group_id,
                                                 Vbp__V1__ResultStatus status, int page_size,
                                                 const std::string &page_token) {
  Vbp__V1__ListResultsRequest r;
  vbp__v1__list_results_request__init(&r);
  r.batch_code = c(batch_code);
  r.group_id = c(group_id);
  r.status = status;
  r.page_size = page_size;
  r.page_token = c(page_token);
  return call<Vbp__V1__ListResultsResponse>("ListResults", who, &r.base);
}

Reply<Vbp__V1__ApiKey> create_api_key(const Caller &who, const std::string &organization_id) {
  Vbp__V1__CreateApiKeyRequest r;
  vbp__v1__create_api_key_request__init(&r);
  r.organization_id = c(organization_id);
  return call<Vbp__V1__ApiKey>("CreateApiKey", who, &r.base);
}

Reply<Google__Protobuf__Empty> revoke_api_key(const Caller &who, const std::string &id) {
  Vbp__V1__RevokeApiKeyRequest r;
  vbp__v1__revoke_api_key_request__init(&r);
  r.id = c(id);
  return call<Google__Protobuf__Empty>("RevokeApiKey", who, &r.base);
}

Reply<Vbp__V1__AuthenticateResponse> authenticate(const Caller &who,
                                                  const std::string &key_sha256) {
  Vbp__V1__AuthenticateRequest r;
  vbp__v1__authenticate_request__init(&r);
  r.key_sha256 = c(key_sha256);
  return call<Vbp__V1__AuthenticateResponse>("Authenticate", who, &r.base);
}

// ---------------------------------------------------------------- data

std::string credit_code_for(const std::string &id, const std::string &region_code) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : id) h = (h ^ ch) * 1099511628211ull;
  char first17[18];
  std::snprintf(first17, sizeof first17, "91%.6s%09llu", region_code.c_str(),
                static_cast<unsigned long long>(h % 1000000000ull));
  return std::string(first17) + vbp_credit_code_check_char(first17);
}

std::string region_name(const std::string &code) {
  static const std::map<std::string, std::string> names = {
      {"350000", "福建省"}, {"350100", "福州市"}, {"350102", "鼓楼区"}, {"350200", "厦门市"},
      {"360000", "江西省"}, {"360100", "南昌市"}, {"220000", "吉林省"}, {"140000", "山西省"},
      {"141100", "吕梁市"}, {"320000", "江苏省"}, {"320100", "南京市"}, {"320200", "无锡市"},
      {"320102", "玄武区"}, {"440000", "广东省"}, {"440300", "深圳市"}, {"330000", "浙江省"},
      {"210000", "辽宁省"}, {"410000", "河南省"},
  };
  auto it = names.find(code);
  return it == names.end() ? "region " + code : it->second;
}

void ensure_region(const std::string &code) {
  Vbp__V1__RegionLevel level = code.compare(2, 4, "0000") == 0 ? VBP__V1__REGION_LEVEL__PROVINCE
                               : code.compare(4, 2, "00") == 0 ? VBP__V1__REGION_LEVEL__CITY
                                                               : VBP__V1__REGION_LEVEL__COUNTY;
  std::string parent = level == VBP__V1__REGION_LEVEL__PROVINCE ? ""
                       : level == VBP__V1__REGION_LEVEL__CITY   ? code.substr(0, 2) + "0000"
                                                                : code.substr(0, 4) + "00";
  if (!parent.empty()) ensure_region(parent);
  auto r = create_region(Caller::admin(), code, region_name(code), level, parent);
  EXPECT_TRUE(IsOk(r)) << "creating region " << code;
}

OrgSpec org(const std::string &id, Vbp__V1__OrganizationKind kind, const std::string &region_code) {
  OrgSpec spec;
  spec.id = id;
  spec.name = "Organization " + id;
  spec.kind = kind;
  spec.region_code = region_code;
  spec.credit_code = credit_code_for(id, region_code);
  return spec;
}

void ensure_org(const std::string &id, Vbp__V1__OrganizationKind kind,
                const std::string &region_code) {
  ensure_region(region_code);
  auto r = create_organization(Caller::admin(), org(id, kind, region_code));
  EXPECT_TRUE(IsOk(r)) << "creating organization " << id;
}

std::string key_for(const std::string &id, Vbp__V1__OrganizationKind kind,
                    const std::string &region_code) {
  ensure_org(id, kind, region_code);
  auto r = create_api_key(Caller::admin(), id);
  EXPECT_TRUE(IsOk(r)) << "minting a key for " << id;
  return r.ok() ? std::string(r->key) : std::string("no-key-for-") + id;
}

BatchSpec interferon_batch(const std::string &code) {
  BatchSpec b;
  b.code = code;
  b.name = "江西牵头干扰素省际联盟集中带量采购";
  b.kind = VBP__V1__PRODUCT_KIND__DRUG;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__ALLIANCE;
  b.lead_region_code = "360000";
  b.member_region_codes = {"360000", "350000"};
  b.cycle_years = 4;
  return b;
}

std::string alliance_key() {
  static std::mutex mu;
  static std::string key;
  std::lock_guard<std::mutex> lock(mu);
  if (key.empty())
    key = key_for(kAllianceOffice, VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE, "360000");
  return key;
}

void ensure_interferon_batch(const std::string &code) {
  ensure_region("360000");
  ensure_region("350000");
  auto r = create_batch(Caller::key(alliance_key()), interferon_batch(code));
  EXPECT_TRUE(IsOk(r)) << "creating batch " << code;
}

Years years_of(const Vbp__V1__ListAgreementYearsResponse *r) {
  Years out;
  if (r == nullptr) return out;
  for (size_t i = 0; i < r->n_agreement_years; i++) {
    const Vbp__V1__AgreementYear *y = r->agreement_years[i];
    out.emplace_back(y->year, y->start, y->end);
  }
  return out;
}
