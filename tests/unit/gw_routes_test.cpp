/* The gateway's route table (gateway/routes.h): built from the real descriptor set (vbp.pb) with
 * the four real services, every route family of API.md matched to its method, 404 against 405,
 * percent-decoding, custom verbs; then a test-only proto (gwtest.TestService) whose method is
 * served without gateway code, and whose options the tests rewrite to show what the table
 * refuses. */
#include "gateway/routes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb-c.h"
#include "gw_route_sets.h"
#include "vbp/api/http.pb-c.h"

namespace {

/* A route table and the status that came with it; destroyed with the test. */
struct Built {
  vbp_status status;
  gw_routes *routes = nullptr;
  ~Built() { gw_routes_destroy(routes); }
  bool ok() const { return status.code == VBP_OK; }
  std::string message() const { return status.message; }
};

template <size_t N>
void build(Built &b, const std::string &set, const ProtobufCServiceDescriptor *const (&services)[N],
           size_t n = N) {
  b.status = gw_routes_build(reinterpret_cast<const uint8_t *>(set.data()), set.size(), services, n,
                             &b.routes);
}

struct Match {
  gw_match result = GW_NOT_FOUND;
  std::string method; /* "" unless matched */
  const gw_route *route = nullptr;
  std::vector<std::pair<std::string, std::string>> bindings;
};

Match match(const gw_routes *routes, const char *http_method, const char *path) {
  vbp_arena *arena = vbp_arena_create();
  gw_binding bindings[GW_ROUTE_MAX_VARIABLES];
  size_t n = 0;
  Match m;
  m.result = gw_routes_match(routes, http_method, path, arena, &m.route, bindings,
                             GW_ROUTE_MAX_VARIABLES, &n);
  if (m.result == GW_MATCHED) {
    m.method = m.route->method;
    for (size_t i = 0; i < n; i++)
      m.bindings.emplace_back(bindings[i].field_path,
                              std::string(bindings[i].value, bindings[i].len));
  }
  vbp_arena_destroy(arena);
  return m;
}

using Bindings = std::vector<std::pair<std::string, std::string>>;

size_t count_methods_with_http_option(const std::string &set) {
  Google__Protobuf__FileDescriptorSet *fds = google__protobuf__file_descriptor_set__unpack(
      nullptr, set.size(), reinterpret_cast<const uint8_t *>(set.data()));
  EXPECT_NE(fds, nullptr);
  size_t n = 0;
  for (size_t f = 0; fds && f < fds->n_file; f++)
    for (size_t s = 0; s < fds->file[f]->n_service; s++)
      for (size_t m = 0; m < fds->file[f]->service[s]->n_method; m++) {
        const Google__Protobuf__MethodOptions *o = fds->file[f]->service[s]->method[m]->options;
        bool has = false;
        for (unsigned u = 0; o && u < o->base.n_unknown_fields; u++)
          has = has || o->base.unknown_fields[u].tag == kHttpRuleField;
        n += has;
      }
  google__protobuf__file_descriptor_set__free_unpacked(fds, nullptr);
  return n;
}

/* ------------------------------------------------------------------ the real API (vbp.pb) */

class GwRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_ = new std::string(read_file(VBP_DESCRIPTOR_SET));
    vbp_status st = gw_routes_build(reinterpret_cast<const uint8_t *>(set_->data()), set_->size(),
                                    kRealServices, 4, &routes_);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
  }
  static void TearDownTestSuite() {
    gw_routes_destroy(routes_);
    routes_ = nullptr;
    delete set_;
    set_ = nullptr;
  }
  static Match m(const char *http_method, const char *path) {
    return match(routes_, http_method, path);
  }
  static gw_routes *routes_;
  static std::string *set_;
};
gw_routes *GwRoutes::routes_ = nullptr;
std::string *GwRoutes::set_ = nullptr;

TEST_F(GwRoutes, EveryMethodWithAnHttpOptionIsOneRoute) {
  size_t methods = 0;
  for (const ProtobufCServiceDescriptor *s : kRealServices) methods += s->n_methods;
  EXPECT_EQ(gw_routes_count(routes_), count_methods_with_http_option(*set_));
  /* All but the internal ones, which have no route. */
  const std::set<std::string> internal = {
      "Authenticate",       "GetPriceInputs",  "GetPriceInputsVersion", "PriceInputsChanged",
      "ListKeyRevocations", "GetVolumeInputs", "FreezeAllocations",     "ListListings"};
  /* And the parts catalog-svc gathers: ListServiceChanges (pricing, volume, contract),
   * ListRecordEntries, ExportPart, PrepareImport and FinishImport (volume, contract). */
  const size_t parts = 3 + 2 * 4;
  EXPECT_EQ(gw_routes_count(routes_), methods - internal.size() - parts);
  for (size_t i = 0; i < gw_routes_count(routes_); i++)
    EXPECT_EQ(internal.count(gw_routes_at(routes_, i)->method), 0u)
        << gw_routes_at(routes_, i)->method;
  EXPECT_EQ(gw_routes_at(routes_, gw_routes_count(routes_)), nullptr);
}

TEST_F(GwRoutes, EveryRouteCarriesItsRpcPathAndMessageTypes) {
  for (size_t i = 0; i < gw_routes_count(routes_); i++) {
    const gw_route *r = gw_routes_at(routes_, i);
    SCOPED_TRACE(r->pattern);
    EXPECT_EQ(std::string(r->rpc_path), std::string("/") + r->service + "/" + r->method);
    const ProtobufCServiceDescriptor *service = nullptr;
    for (const ProtobufCServiceDescriptor *s : kRealServices)
      if (strcmp(s->name, r->service) == 0) service = s;
    ASSERT_NE(service, nullptr);
    const ProtobufCMethodDescriptor *method =
        protobuf_c_service_descriptor_get_method_by_name(service, r->method);
    ASSERT_NE(method, nullptr);
    EXPECT_EQ(r->request, method->input);
    EXPECT_EQ(r->response, method->output);
    EXPECT_NE(gw_verb_name(r->verb), nullptr);
  }
}

struct Family {
  const char *verb, *path, *method;
  Bindings bindings;
};

/* One row per route of API.md. */
const Family kFamilies[] = {
    {"POST", "/v1/regions", "CreateRegion", {}},
    {"POST", "/v1/organizations", "CreateOrganization", {}},
    {"GET", "/v1/organizations/org-1", "GetOrganization", {{"id", "org-1"}}},
    {"GET", "/v1/organizations", "ListOrganizations", {}},
    {"POST", "/v1/batches", "CreateBatch", {}},
    {"GET", "/v1/batches/JX-YP2023-01", "GetBatch", {{"code", "JX-YP2023-01"}}},
    {"POST", "/v1/batches/JX-YP2023-01:extend", "ExtendBatch", {{"code", "JX-YP2023-01"}}},
    {"POST",
     "/v1/batches/JX-YP2023-01/executions",
     "CreateExecution",
     {{"batch_code", "JX-YP2023-01"}}},
    {"GET",
     "/v1/batches/JX-YP2023-01/executions/350000/agreementYears",
     "ListAgreementYears",
     {{"batch_code", "JX-YP2023-01"}, {"region_code", "350000"}}},
    {"POST", "/v1/products", "CreateProduct", {}},
    {"GET", "/v1/products/P1", "GetProduct", {{"id", "P1"}}},
    {"POST", "/v1/batches/B1/groups", "CreateGroup", {{"batch_code", "B1"}}},
    {"POST", "/v1/batches/B1/results", "PublishResult", {{"batch_code", "B1"}}},
    {"GET", "/v1/batches/B1/results", "ListResults", {{"batch_code", "B1"}}},
    {"POST", "/v1/apiKeys", "CreateApiKey", {}},
    {"DELETE", "/v1/apiKeys/key_1", "RevokeApiKey", {{"id", "key_1"}}},
    {"GET", "/v1/exchange/batches/B1", "ExportBatch", {{"code", "B1"}}},
    {"POST", "/v1/exchange:import", "ImportBatch", {}},
    {"GET", "/v1/prices/350000/P1", "GetPrice", {{"region_code", "350000"}, {"product_id", "P1"}}},
    {"POST", "/v1/prices:batchGet", "BatchGetPrices", {}},
    {"GET", "/v1/pricingPolicies", "ListPricingPolicies", {}},
    {"PUT",
     "/v1/listings/350000/P1",
     "UpsertListing",
     {{"region_code", "350000"}, {"product_id", "P1"}}},
    {"POST", "/v1/distributorAuthorizations", "AuthorizeDistributor", {}},
    {"POST", "/v1/agencyAuthorizations", "AuthorizeAgency", {}},
    {"POST", "/v1/contracts:generate", "GenerateContracts", {}},
    {"POST", "/v1/contracts", "CreateContract", {}},
    {"GET", "/v1/contracts/C-1", "GetContract", {{"id", "C-1"}}},
    {"GET", "/v1/contracts", "ListContracts", {}},
    {"POST", "/v1/contracts/C-1:sign", "SignContract", {{"id", "C-1"}}},
    {"POST", "/v1/contracts/C-1:renew", "RenewContract", {{"id", "C-1"}}},
    {"POST", "/v1/contracts/C-1:terminate", "TerminateContract", {{"id", "C-1"}}},
    {"POST", "/v1/demandReports", "SubmitDemand", {}},
    {"POST", "/v1/demandReports/D-1:review", "ReviewDemand", {{"id", "D-1"}}},
    {"POST", "/v1/allocations:compute", "ComputeAllocations", {}},
    {"GET", "/v1/allocations", "ListAllocations", {}},
    {"POST", "/v1/purchases", "RecordPurchase", {}},
    {"POST", "/v1/supplyIssues", "ReportSupplyIssue", {}},
    {"GET", "/v1/progress", "GetProgress", {}},
    {"GET", "/v1/assessments", "Assess", {}},
    {"GET", "/v1/prepayments/H-1", "GetPrepayment", {{"institution_id", "H-1"}}},
    {"POST", "/v1/purchases:import", "RecordPurchases", {}},
    {"POST", "/v1/supplyIssues/S-1:verify", "VerifySupplyIssue", {{"id", "S-1"}}},
    {"POST", "/v1/contracts/C-1:assignDistributor", "AssignDistributor", {{"id", "C-1"}}},
    {"DELETE", "/v1/distributorAuthorizations/A-1", "WithdrawDistributor", {{"id", "A-1"}}},
    {"POST", "/v1/signingKeys", "RegisterSigningKey", {}},
    {"DELETE", "/v1/signingKeys/K-1", "RetireSigningKey", {{"id", "K-1"}}},
    {"GET", "/v1/changes", "ListChanges", {}},
    {"GET", "/v1/changes:watch", "WatchChanges", {}},
    {"GET", "/v1/enterprises/M-1/record", "GetEnterpriseRecord", {{"organization_id", "M-1"}}},
};

TEST_F(GwRoutes, EveryRouteFamilyOfTheApiMatchesItsMethodAndBindsItsVariables) {
  std::set<const gw_route *> seen;
  for (const Family &f : kFamilies) {
    SCOPED_TRACE(std::string(f.verb) + " " + f.path);
    Match got = m(f.verb, f.path);
    ASSERT_EQ(got.result, GW_MATCHED);
    EXPECT_EQ(got.method, f.method);
    EXPECT_EQ(got.bindings, f.bindings);
    EXPECT_STREQ(gw_verb_name(got.route->verb), f.verb);
    seen.insert(got.route);
  }
  EXPECT_EQ(seen.size(), gw_routes_count(routes_)) << "a route of the table is missing above";
}

TEST_F(GwRoutes, GetPriceBindsRegionCodeAndProductId) {
  Match got = m("GET", "/v1/prices/350000/P1");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "GetPrice");
  EXPECT_STREQ(got.route->service, "vbp.v1.PricingService");
  EXPECT_STREQ(got.route->rpc_path, "/vbp.v1.PricingService/GetPrice");
  EXPECT_EQ(got.route->request, &vbp__v1__get_price_request__descriptor);
  EXPECT_EQ(got.bindings, (Bindings{{"region_code", "350000"}, {"product_id", "P1"}}));
  EXPECT_STREQ(got.route->body, "");
  EXPECT_FALSE(got.route->server_streaming);
}

TEST_F(GwRoutes, SignContractTakesItsCustomVerbOffTheLastSegment) {
  Match got = m("POST", "/v1/contracts/C-1:sign");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "SignContract");
  EXPECT_STREQ(got.route->custom_verb, "sign");
  EXPECT_STREQ(got.route->pattern, "/v1/contracts/{id}:sign");
  EXPECT_STREQ(got.route->body, "*");
  EXPECT_EQ(got.bindings, (Bindings{{"id", "C-1"}}));
}

TEST_F(GwRoutes, BatchGetIsItsOwnMethodNotAPriceLookup) {
  Match got = m("POST", "/v1/prices:batchGet");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "BatchGetPrices");
  EXPECT_TRUE(got.bindings.empty());
  EXPECT_EQ(m("GET", "/v1/prices:batchGet").result, GW_METHOD_NOT_ALLOWED);
}

TEST_F(GwRoutes, ImportTakesTheRawNdjsonBodyUpToSixtyFourMebibytes) {
  Match got = m("POST", "/v1/exchange:import");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "ImportBatch");
  EXPECT_STREQ(got.route->body, "ndjson");
  EXPECT_EQ(got.route->max_body_bytes, size_t{67108864});
  EXPECT_EQ(m("POST", "/v1/regions").route->max_body_bytes, size_t{0});
  EXPECT_STREQ(gw_route_media_type(got.route), "application/x-ndjson");
  EXPECT_STREQ(gw_route_media_type(m("POST", "/v1/regions").route), "application/json");
  EXPECT_EQ(gw_route_media_type(m("GET", "/v1/organizations/x").route), nullptr);
}

TEST_F(GwRoutes, PurchaseImportTakesTheRawNdjsonBodyLikeTheExchangeImport) {
  Match got = m("POST", "/v1/purchases:import");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "RecordPurchases");
  EXPECT_STREQ(got.route->body, "ndjson");
  EXPECT_EQ(got.route->max_body_bytes, size_t{67108864});
  EXPECT_STREQ(gw_route_media_type(got.route), "application/x-ndjson");
  EXPECT_TRUE(got.bindings.empty());
  /* The custom verb keeps it apart from the one-purchase route of the same collection. */
  Match one = m("POST", "/v1/purchases");
  ASSERT_EQ(one.result, GW_MATCHED);
  EXPECT_EQ(one.method, "RecordPurchase");
  EXPECT_STREQ(one.route->body, "*");
  EXPECT_EQ(one.route->max_body_bytes, size_t{0});
  EXPECT_EQ(m("GET", "/v1/purchases:import").result, GW_METHOD_NOT_ALLOWED);
}

TEST_F(GwRoutes, ExportBatchIsServerStreaming) {
  Match got = m("GET", "/v1/exchange/batches/JX-YP2023-01");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "ExportBatch");
  EXPECT_TRUE(got.route->server_streaming);
  EXPECT_EQ(got.route->response, &vbp__v1__exchange_record__descriptor);
}

TEST_F(GwRoutes, RevokingAnApiKeyIsADelete) {
  Match got = m("DELETE", "/v1/apiKeys/key_1");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "RevokeApiKey");
  EXPECT_EQ(got.bindings, (Bindings{{"id", "key_1"}}));
  EXPECT_EQ(m("GET", "/v1/apiKeys/key_1").result, GW_METHOD_NOT_ALLOWED);
}

/* The contract routes that share a path with another: an authorisation is granted by a POST of
 * the collection and withdrawn by a DELETE of its id, a signing key likewise; assigning a
 * distributor is a custom verb of a contract beside :sign. */
TEST_F(GwRoutes, ContractAuthorisationsAndSigningKeysAreWithdrawnByADelete) {
  Match withdraw = m("DELETE", "/v1/distributorAuthorizations/A-1");
  ASSERT_EQ(withdraw.result, GW_MATCHED);
  EXPECT_STREQ(withdraw.route->service, "vbp.v1.ContractService");
  EXPECT_EQ(withdraw.method, "WithdrawDistributor");
  EXPECT_STREQ(withdraw.route->body, "");
  EXPECT_EQ(withdraw.route->response, &google__protobuf__empty__descriptor);
  EXPECT_EQ(m("POST", "/v1/distributorAuthorizations").method, "AuthorizeDistributor");
  EXPECT_EQ(m("GET", "/v1/distributorAuthorizations/A-1").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("DELETE", "/v1/distributorAuthorizations").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("DELETE", "/v1/agencyAuthorizations/A-1").result, GW_NOT_FOUND);

  Match retire = m("DELETE", "/v1/signingKeys/K-1");
  ASSERT_EQ(retire.result, GW_MATCHED);
  EXPECT_EQ(retire.method, "RetireSigningKey");
  EXPECT_EQ(retire.bindings, (Bindings{{"id", "K-1"}}));
  EXPECT_EQ(retire.route->response, &google__protobuf__empty__descriptor);
  Match reg = m("POST", "/v1/signingKeys");
  ASSERT_EQ(reg.result, GW_MATCHED);
  EXPECT_EQ(reg.method, "RegisterSigningKey");
  EXPECT_STREQ(reg.route->body, "*");
  EXPECT_EQ(reg.route->request, &vbp__v1__signing_key__descriptor);
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/signingKeys"), 1u << GW_POST);
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/signingKeys/K-1"), 1u << GW_DELETE);

  Match assign = m("POST", "/v1/contracts/C-1:assignDistributor");
  ASSERT_EQ(assign.result, GW_MATCHED);
  EXPECT_EQ(assign.method, "AssignDistributor");
  EXPECT_STREQ(assign.route->custom_verb, "assignDistributor");
  EXPECT_STREQ(assign.route->body, "*");
  EXPECT_EQ(assign.bindings, (Bindings{{"id", "C-1"}}));
  EXPECT_EQ(m("POST", "/v1/contracts/C-1:assigndistributor").result, GW_NOT_FOUND);
}

TEST_F(GwRoutes, APathServedOnlyForAnotherMethodIsMethodNotAllowed) {
  EXPECT_EQ(m("GET", "/v1/regions").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("DELETE", "/v1/contracts/C-1").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("PATCH", "/v1/listings/350000/P1").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("PUT", "/v1/contracts/C-1:sign").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("HEAD", "/v1/regions").result, GW_METHOD_NOT_ALLOWED);
  EXPECT_EQ(m("post", "/v1/regions").result,
            GW_METHOD_NOT_ALLOWED); /* methods are case-sensitive */
}

TEST_F(GwRoutes, APathNoRouteHasIsNotFound) {
  for (const char *path :
       {"/v1/nothing", "/v1", "/", "", "v1/regions", "/v2/regions", "/v1/prices/350000",
        "/v1/prices/350000/P1/extra", "/V1/regions",
        "/v1/organizations/o1/x/y/z/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(m("GET", path).result, GW_NOT_FOUND);
    EXPECT_EQ(m("HEAD", path).result, GW_NOT_FOUND);
  }
}

TEST_F(GwRoutes, ATrailingSlashOrAnEmptySegmentIsNotFound) {
  EXPECT_EQ(m("GET", "/v1/organizations/").result, GW_NOT_FOUND);
  EXPECT_EQ(m("GET", "/v1/organizations/org-1/").result, GW_NOT_FOUND);
  EXPECT_EQ(m("POST", "/v1/regions/").result, GW_NOT_FOUND);
  EXPECT_EQ(m("GET", "/v1//organizations").result, GW_NOT_FOUND);
  EXPECT_EQ(m("GET", "//v1/organizations").result, GW_NOT_FOUND);
  EXPECT_EQ(m("GET", "/v1/prices//P1").result, GW_NOT_FOUND);
}

TEST_F(GwRoutes, VariablesArePercentDecoded) {
  EXPECT_EQ(m("GET", "/v1/organizations/org%2D1").bindings, (Bindings{{"id", "org-1"}}));
  EXPECT_EQ(m("GET", "/v1/organizations/org%2d1").bindings, (Bindings{{"id", "org-1"}}));
  EXPECT_EQ(m("GET", "/v1/organizations/%E5%8E%A6%E9%97%A8").bindings,
            (Bindings{{"id", "\xE5\x8E\xA6\xE9\x97\xA8"}}));
  EXPECT_EQ(m("GET", "/v1/organizations/a%20b+c").bindings, (Bindings{{"id", "a b+c"}}));
  EXPECT_EQ(m("GET", "/v1/prices/35%30000/P%31").bindings,
            (Bindings{{"region_code", "350000"}, {"product_id", "P1"}}));
  /* An escaped ':' belongs to the value, not to a custom verb. */
  EXPECT_EQ(m("POST", "/v1/contracts/C%3A1:sign").bindings, (Bindings{{"id", "C:1"}}));
}

TEST_F(GwRoutes, LiteralsCompareTheDecodedSegment) {
  EXPECT_EQ(m("GET", "/v1/%6Frganizations/o1").method, "GetOrganization");
  EXPECT_EQ(m("POST", "/v1/prices:batch%47et").method, "BatchGetPrices");
  EXPECT_EQ(m("GET", "/v1/organization%73").method, "ListOrganizations");
}

TEST_F(GwRoutes, AnEncodedSlashOrABadEscapeMatchesNothing) {
  for (const char *path :
       {"/v1/organizations/a%2Fb", "/v1/organizations/a%2fb", "/v1/organizations/%2F",
        "/v1/organizations/a%G1", "/v1/organizations/a%4", "/v1/organizations/%",
        "/v1/organizations%2Fo1", "/v1/prices/35%2F00/P1"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(m("GET", path).result, GW_NOT_FOUND);
  }
}

/* DELETE /v1/apiKeys/<id>%00zzz revoked <id>: the value was cut at the NUL. It now matches with
 * every byte, so the gateway refuses it naming the field. */
TEST_F(GwRoutes, ANulInAVariableIsKeptWholeNotCutShort) {
  using namespace std::string_literals;
  EXPECT_EQ(m("DELETE", "/v1/apiKeys/key_1%00zzz").bindings, (Bindings{{"id", "key_1\0zzz"s}}));
  EXPECT_EQ(m("GET", "/v1/organizations/%00").bindings, (Bindings{{"id", "\0"s}}));
  EXPECT_EQ(m("GET", "/v1/organizations/a%0Ab").bindings, (Bindings{{"id", "a\nb"}}));
}

/* "%2570" reached a handler as "p": the path was decoded before matching and again by it. */
TEST_F(GwRoutes, APathIsDecodedOnceSoAnEscapedPercentStaysAPercent) {
  EXPECT_EQ(m("GET", "/v1/organizations/%2570").bindings, (Bindings{{"id", "%70"}}));
}

TEST_F(GwRoutes, TheAllowedVerbsOfAPathAreThoseOfItsRoutes) {
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/regions"), 1u << GW_POST);
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/organizations"), 1u << GW_GET | 1u << GW_POST);
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/apiKeys/k1"), 1u << GW_DELETE);
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/contracts/C-1:sign"), 1u << GW_POST);
  /* A custom method that does not exist is no GET of the resource. */
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/contracts/C-1:cancel"), 0u);
  EXPECT_EQ(gw_routes_allowed(routes_, "/v1/nothing"), 0u);
  EXPECT_EQ(gw_routes_allowed(routes_, ""), 0u);
}

TEST_F(GwRoutes, AnUnknownCustomVerbIsNotFound) {
  EXPECT_EQ(m("POST", "/v1/contracts/C-1:cancel").result, GW_NOT_FOUND);
  EXPECT_EQ(m("POST", "/v1/contracts:cancel").result, GW_NOT_FOUND);
  EXPECT_EQ(m("POST", "/v1/contracts/C-1:").result, GW_NOT_FOUND);
  EXPECT_EQ(m("POST", "/v1/contracts/:sign").result, GW_NOT_FOUND);
  EXPECT_EQ(m("POST", "/v1/contracts/C-1:Sign").result, GW_NOT_FOUND);
}

TEST_F(GwRoutes, AColonIsAnOrdinaryCharacterOutsideTheCustomVerb) {
  EXPECT_EQ(m("GET", "/v1/prices/35:00/P1").bindings,
            (Bindings{{"region_code", "35:00"}, {"product_id", "P1"}}));
  Match sign = m("POST", "/v1/contracts/a:b:sign");
  EXPECT_EQ(sign.method, "SignContract");
  EXPECT_EQ(sign.bindings, (Bindings{{"id", "a:b"}}));
  /* A route without a custom verb takes the whole last segment, even one that looks like
   * another route's custom method (the service then answers for contract "C-1:sign"). */
  Match get = m("GET", "/v1/contracts/a:b");
  EXPECT_EQ(get.method, "GetContract");
  EXPECT_EQ(get.bindings, (Bindings{{"id", "a:b"}}));
  EXPECT_EQ(m("GET", "/v1/contracts/C-1:sign").bindings, (Bindings{{"id", "C-1:sign"}}));
}

TEST_F(GwRoutes, ALoadedFileGivesTheSameTable) {
  gw_routes *loaded = nullptr;
  vbp_status st = gw_routes_load(VBP_DESCRIPTOR_SET, kRealServices, 4, &loaded);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(gw_routes_count(loaded), gw_routes_count(routes_));
  for (size_t i = 0; i < gw_routes_count(loaded); i++)
    EXPECT_STREQ(gw_routes_at(loaded, i)->rpc_path, gw_routes_at(routes_, i)->rpc_path);
  gw_routes_destroy(loaded);
}

TEST(GwRoutesLoad, AMissingFileIsNotFoundAndWritesNothing) {
  gw_routes *routes = reinterpret_cast<gw_routes *>(0x1);
  vbp_status st = gw_routes_load("/nonexistent/vbp.pb", kRealServices, 4, &routes);
  EXPECT_EQ(st.code, VBP_NOT_FOUND);
  EXPECT_NE(std::string(st.message).find("/nonexistent/vbp.pb"), std::string::npos);
  EXPECT_EQ(routes, reinterpret_cast<gw_routes *>(0x1));
  gw_routes_destroy(nullptr);
  EXPECT_EQ(gw_routes_count(nullptr), 0u);
  EXPECT_EQ(gw_verb_name(GW_VERB_COUNT), nullptr);
}

TEST(GwRoutesLoad, AServiceThatIsNotLinkedIsRefusedByName) {
  std::string set = read_file(VBP_DESCRIPTOR_SET);
  Built b;
  build(b, set, kRealServices, 3); /* without VolumeService */
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.routes, nullptr);
  EXPECT_NE(b.message().find("vbp.v1.VolumeService"), std::string::npos) << b.message();
}

TEST(GwRoutesLoad, BytesThatAreNotADescriptorSetAreRefused) {
  Built b;
  build(b, std::string("\xff\xff\xff\xff not protobuf", 17), kRealServices);
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(b.routes, nullptr);
}

TEST(GwRoutesLoad, AnEmptySetIsAnEmptyTableThatMatchesNothing) {
  Built b;
  build(b, std::string(), kRealServices);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(gw_routes_count(b.routes), 0u);
  EXPECT_EQ(match(b.routes, "GET", "/v1/regions").result, GW_NOT_FOUND);
}

/* ------------------------------------------------------ the test-only proto (gwtest) */

Vbp__Api__HttpRule rule_of(gw_verb verb, const char *tmpl, const char *body = "",
                           int64_t max_body_bytes = 0) {
  Vbp__Api__HttpRule rule = VBP__API__HTTP_RULE__INIT;
  char *t = const_cast<char *>(tmpl);
  switch (verb) {
    case GW_GET:
      rule.pattern_case = VBP__API__HTTP_RULE__PATTERN_GET, rule.get = t;
      break;
    case GW_POST:
      rule.pattern_case = VBP__API__HTTP_RULE__PATTERN_POST, rule.post = t;
      break;
    case GW_PUT:
      rule.pattern_case = VBP__API__HTTP_RULE__PATTERN_PUT, rule.put = t;
      break;
    case GW_DELETE:
      rule.pattern_case = VBP__API__HTTP_RULE__PATTERN_DELETE, rule.delete_ = t;
      break;
    default:
      rule.pattern_case = VBP__API__HTTP_RULE__PATTERN_PATCH, rule.patch = t;
      break;
  }
  rule.body = const_cast<char *>(body);
  rule.max_body_bytes = max_body_bytes;
  return rule;
}

class GwRoutesFromATestProto : public ::testing::Test {
 protected:
  void SetUp() override { set = read_file(TEST_DESCRIPTOR_SET); }

  /* The test set with Hello's rule replaced, built with TestService. */
  void build_hello(Built &b, gw_verb verb, const char *tmpl, const char *body = "",
                   int64_t max_body_bytes = 0) {
    Vbp__Api__HttpRule rule = rule_of(verb, tmpl, body, max_body_bytes);
    build(b, with_rule(set, "Hello", &rule), kTestServices);
  }
  std::string set;
};

TEST_F(GwRoutesFromATestProto, AMethodAddedToATestProtoIsServedWithoutGatewayCode) {
  Built b;
  build(b, set, kTestServices);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(gw_routes_count(b.routes), 2u);
  Match hello = match(b.routes, "GET", "/v1/hello/world");
  ASSERT_EQ(hello.result, GW_MATCHED);
  EXPECT_EQ(hello.method, "Hello");
  EXPECT_STREQ(hello.route->rpc_path, "/gwtest.TestService/Hello");
  EXPECT_EQ(hello.route->request, &gwtest__hello_request__descriptor);
  EXPECT_EQ(hello.route->response, &gwtest__hello_reply__descriptor);
  EXPECT_EQ(hello.bindings, (Bindings{{"name", "world"}}));
  Match goodbye = match(b.routes, "POST", "/v1/hello/world:goodbye");
  EXPECT_EQ(goodbye.method, "Goodbye");
  EXPECT_EQ(goodbye.bindings, (Bindings{{"name", "world"}}));
  EXPECT_EQ(match(b.routes, "POST", "/v1/hello/world").result, GW_METHOD_NOT_ALLOWED);
}

TEST_F(GwRoutesFromATestProto, ARewrittenRuleIsServedAsWritten) {
  Built b;
  build_hello(b, GW_PATCH, "/v2/greetings/{inner.deeper.level}/{loud}:wave", "payload", 4096);
  ASSERT_TRUE(b.ok()) << b.message();
  Match got = match(b.routes, "PATCH", "/v2/greetings/7/true:wave");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.method, "Hello");
  EXPECT_EQ(got.bindings, (Bindings{{"inner.deeper.level", "7"}, {"loud", "true"}}));
  EXPECT_STREQ(got.route->body, "payload");
  EXPECT_EQ(got.route->max_body_bytes, size_t{4096});
  EXPECT_EQ(got.route->n_segments, 4u);
  EXPECT_STREQ(got.route->segments[0].literal, "v2");
  EXPECT_EQ(got.route->segments[2].literal, nullptr);
  EXPECT_STREQ(got.route->segments[2].field_path, "inner.deeper.level");
}

TEST_F(GwRoutesFromATestProto, ALiteralWinsOverAVariableWhicheverIsDeclaredFirst) {
  Vbp__Api__HttpRule literal = rule_of(GW_GET, "/v1/hello/special");
  Vbp__Api__HttpRule variable = rule_of(GW_GET, "/v1/hello/{name}");
  for (bool literal_first : {true, false}) {
    SCOPED_TRACE(literal_first);
    std::string s = with_rule(set, "Hello", literal_first ? &literal : &variable);
    s = with_rule(s, "Goodbye", literal_first ? &variable : &literal);
    Built b;
    build(b, s, kTestServices);
    ASSERT_TRUE(b.ok()) << b.message();
    EXPECT_EQ(match(b.routes, "GET", "/v1/hello/special").method,
              literal_first ? "Hello" : "Goodbye");
    Match other = match(b.routes, "GET", "/v1/hello/other");
    EXPECT_EQ(other.method, literal_first ? "Goodbye" : "Hello");
    EXPECT_EQ(other.bindings, (Bindings{{"name", "other"}}));
  }
}

TEST_F(GwRoutesFromATestProto, TheLeftmostLiteralDecidesBetweenTwoRoutesThatBothMatch) {
  Vbp__Api__HttpRule left = rule_of(GW_GET, "/v1/hello/{name}");
  Vbp__Api__HttpRule right = rule_of(GW_GET, "/v1/{name}/there");
  std::string s = with_rule(with_rule(set, "Hello", &right), "Goodbye", &left);
  Built b;
  build(b, s, kTestServices);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(match(b.routes, "GET", "/v1/hello/there").method, "Goodbye");
  EXPECT_EQ(match(b.routes, "GET", "/v1/bye/there").method, "Hello");
}

TEST_F(GwRoutesFromATestProto, ACustomVerbRouteWinsOverAPlainOneOnTheSamePath) {
  Vbp__Api__HttpRule plain = rule_of(GW_GET, "/v1/hello/{name}");
  Vbp__Api__HttpRule verb = rule_of(GW_GET, "/v1/hello/{name}:wave");
  Built b;
  build(b, with_rule(with_rule(set, "Hello", &plain), "Goodbye", &verb), kTestServices);
  ASSERT_TRUE(b.ok()) << b.message();
  Match wave = match(b.routes, "GET", "/v1/hello/bob:wave");
  EXPECT_EQ(wave.method, "Goodbye");
  EXPECT_EQ(wave.bindings, (Bindings{{"name", "bob"}}));
  Match plain_match = match(b.routes, "GET", "/v1/hello/bob:nod");
  EXPECT_EQ(plain_match.method, "Hello");
  EXPECT_EQ(plain_match.bindings, (Bindings{{"name", "bob:nod"}}));
}

TEST_F(GwRoutesFromATestProto, WellFormedTemplatesAreAccepted) {
  for (const char *tmpl : {"/v1/{inner.id}", "/v1/{inner.deeper.level}", "/v1/{loud}",
                           "/v1/{count}/{name}", "/x", "/a.b_c~d-e/{name}:do.it", "/{name}"}) {
    SCOPED_TRACE(tmpl);
    Built b;
    build_hello(b, GW_GET, tmpl);
    EXPECT_TRUE(b.ok()) << b.message();
    EXPECT_STREQ(gw_routes_at(b.routes, 0)->pattern, tmpl);
  }
}

TEST_F(GwRoutesFromATestProto, MalformedTemplatesAreRefusedNamingTheMethod) {
  for (const char *tmpl : {"v1/x",
                           "",
                           "/",
                           "/v1/{",
                           "/v1/{nosuchfield}",
                           "/v1//x",
                           "/v1/x/",
                           "/v1/{name",
                           "/v1/{na-me}",
                           "/v1/{name}x",
                           "/v1/x{name}",
                           "/v1/{}",
                           "/v1/{.name}",
                           "/v1/{inner.}",
                           "/v1/{name=*}",
                           "/v1/{name=**}",
                           "/v1/*",
                           "/v1/a b",
                           "/v1/x?y",
                           "/v1/x:",
                           "/v1/x:a:b",
                           "/v1/x:a/b",
                           "/v1/:verb",
                           "/v1/%41",
                           "/v1/{inner}",
                           "/v1/{tags}",
                           "/v1/{payload}",
                           "/v1/{inner.nosuch}",
                           "/v1/{name.x}",
                           "/v1/{inner.deeper}",
                           "/v1/{name}/{name}",
                           "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/"
                           "27/28/29/30/31/32/33"}) {
    SCOPED_TRACE(tmpl);
    Built b;
    build_hello(b, GW_GET, tmpl);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status.code, VBP_INVALID_ARGUMENT);
    EXPECT_EQ(b.routes, nullptr);
    EXPECT_NE(b.message().find("gwtest.TestService/Hello"), std::string::npos) << b.message();
  }
}

TEST_F(GwRoutesFromATestProto, ARefusedVariableSaysWhatIsWrongWithIt) {
  Built missing, message, repeated;
  build_hello(missing, GW_GET, "/v1/{nosuchfield}");
  EXPECT_NE(missing.message().find("{nosuchfield} names no field of gwtest.HelloRequest"),
            std::string::npos)
      << missing.message();
  build_hello(message, GW_GET, "/v1/{inner}");
  EXPECT_NE(message.message().find("not a string, number, enum or bool"), std::string::npos)
      << message.message();
  build_hello(repeated, GW_GET, "/v1/{tags}");
  EXPECT_NE(repeated.message().find("repeated"), std::string::npos) << repeated.message();
}

TEST_F(GwRoutesFromATestProto, ABodyMustBeStarNothingOrAStringOrBytesField) {
  for (const char *body : {"", "*", "payload", "name"}) {
    SCOPED_TRACE(body);
    Built b;
    build_hello(b, GW_POST, "/v1/hello", body);
    EXPECT_TRUE(b.ok()) << b.message();
  }
  for (const char *body : {"count", "tags", "inner", "nosuch", "inner.id", "**"}) {
    SCOPED_TRACE(body);
    Built b;
    build_hello(b, GW_POST, "/v1/hello", body);
    EXPECT_FALSE(b.ok());
    EXPECT_NE(b.message().find("gwtest.TestService/Hello"), std::string::npos) << b.message();
  }
}

TEST_F(GwRoutesFromATestProto, ANegativeBodyLimitIsRefused) {
  Built b;
  build_hello(b, GW_POST, "/v1/hello", "*", -1);
  EXPECT_FALSE(b.ok());
  EXPECT_NE(b.message().find("max_body_bytes"), std::string::npos) << b.message();
}

TEST_F(GwRoutesFromATestProto, TwoRoutesForTheSameRequestsAreRefusedNamingBoth) {
  Vbp__Api__HttpRule clash = rule_of(GW_GET, "/v1/hello/{inner.id}");
  Built b;
  build(b, with_rule(set, "Goodbye", &clash), kTestServices);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("gwtest.TestService/Hello"), std::string::npos) << b.message();
  EXPECT_NE(b.message().find("gwtest.TestService/Goodbye"), std::string::npos) << b.message();
}

TEST_F(GwRoutesFromATestProto, RoutesThatDifferInVerbOrCustomVerbDoNotClash) {
  for (Vbp__Api__HttpRule other :
       {rule_of(GW_POST, "/v1/hello/{name}"), rule_of(GW_GET, "/v1/hello/{name}:wave"),
        rule_of(GW_GET, "/v1/hello/special"), rule_of(GW_GET, "/v1/hello/{name}/x")}) {
    Built b;
    build(b, with_rule(set, "Goodbye", &other), kTestServices);
    EXPECT_TRUE(b.ok()) << b.message();
  }
}

TEST_F(GwRoutesFromATestProto, AServiceThatIsNotLinkedIsRefusedNamingTheMethod) {
  Built b;
  build(b, set, kRealServices);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("gwtest.TestService/Hello"), std::string::npos) << b.message();
}

TEST_F(GwRoutesFromATestProto, ADescriptorSetOutOfStepWithTheLinkedCodeIsRefused) {
  /* The linked TestService as if Hello had been compiled to take an Inner. */
  std::vector<ProtobufCMethodDescriptor> methods(
      gwtest__test_service__descriptor.methods,
      gwtest__test_service__descriptor.methods + gwtest__test_service__descriptor.n_methods);
  for (ProtobufCMethodDescriptor &md : methods)
    if (strcmp(md.name, "Hello") == 0) md.input = &gwtest__inner__descriptor;
  ProtobufCServiceDescriptor stale = gwtest__test_service__descriptor;
  stale.methods = methods.data();
  const ProtobufCServiceDescriptor *const services[] = {&stale};
  Built b;
  build(b, set, services);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("gwtest.TestService/Hello"), std::string::npos) << b.message();
  EXPECT_NE(b.message().find("gwtest.Inner"), std::string::npos) << b.message();
}

TEST_F(GwRoutesFromATestProto, ARuleWithoutAPathIsRefused) {
  Vbp__Api__HttpRule empty = VBP__API__HTTP_RULE__INIT;
  Built b;
  build(b, with_rule(set, "Hello", &empty), kTestServices);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("gwtest.TestService/Hello"), std::string::npos) << b.message();
}

TEST_F(GwRoutesFromATestProto, AnOptionThatIsNotAMessageIsRefused) {
  Built varint, truncated;
  build(varint, with_rule(set, "Hello", nullptr, PROTOBUF_C_WIRE_TYPE_VARINT, "\x05"),
        kTestServices);
  EXPECT_FALSE(varint.ok());
  EXPECT_NE(varint.message().find("gwtest.TestService/Hello"), std::string::npos)
      << varint.message();
  /* A length prefix one short of the rule's bytes garbles the options; refused either way. */
  Vbp__Api__HttpRule rule = rule_of(GW_GET, "/v1/hello/{name}");
  std::vector<uint8_t> payload(vbp__api__http_rule__get_packed_size(&rule));
  vbp__api__http_rule__pack(&rule, payload.data());
  std::string raw(1, static_cast<char>(payload.size() - 1));
  raw.append(payload.begin(), payload.end());
  build(truncated, with_rule(set, "Hello", nullptr, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, raw),
        kTestServices);
  EXPECT_FALSE(truncated.ok());
}

TEST_F(GwRoutesFromATestProto, BindingsNeverOutnumberTheSegments) {
  Built b;
  build_hello(b, GW_GET, "/{name}/{count}/{loud}/{inner.id}/{inner.deeper.level}");
  ASSERT_TRUE(b.ok()) << b.message();
  Match got = match(b.routes, "GET", "/a/1/true/i/2");
  ASSERT_EQ(got.result, GW_MATCHED);
  EXPECT_EQ(got.bindings, (Bindings{{"name", "a"},
                                    {"count", "1"},
                                    {"loud", "true"},
                                    {"inner.id", "i"},
                                    {"inner.deeper.level", "2"}}));
}

}  // namespace
