/* The OpenAPI document of the gateway (gateway/openapi.h), generated from the real route table
 * (vbp.pb with the four services) and from the route-table test proto (gwtest.TestService,
 * whose request has a nested message, bytes, a repeated string, an int64 and a bool). Exact
 * pieces are compared as JSON; every $ref must resolve inside the document.
 * With GW_OPENAPI_OUT set, the real document is also written to that file (to run an OpenAPI
 * validator on it: tests/e2e/node/openapi.test.mjs does so against a running gateway). */
#include "gateway/openapi.h"

#include <gtest/gtest.h>
#include <jansson.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb-c.h"
#include "gw_route_sets.h"
#include "vbp/api/http.pb-c.h"

namespace {

/* A parsed JSON value, released with the holder. */
struct Json {
  json_t *v = nullptr;
  Json() = default;
  explicit Json(json_t *value) : v(value) {}
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;
  ~Json() { json_decref(v); }
};

json_t *parse(const std::string &text) {
  json_error_t error;
  json_t *v = json_loadb(text.data(), text.size(), 0, &error);
  EXPECT_NE(v, nullptr) << error.text << " in " << text;
  return v;
}

/* The member at a path of object keys (keys may hold '/'); nullptr when there is none. */
json_t *at(json_t *v, std::initializer_list<const char *> keys) {
  for (const char *k : keys) {
    if (!json_is_object(v)) return nullptr;
    v = json_object_get(v, k);
  }
  return v;
}

/* v as compact JSON with sorted keys, for comparison with an expected text. */
std::string canon(const json_t *v) {
  if (!v) return "(absent)";
  char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  std::string out(text ? text : "");
  free(text);
  return out;
}

std::string canon(const std::string &json_text) {
  Json v(parse(json_text));
  return canon(v.v);
}

/* A JSON pointer ("#/components/schemas/vbp.v1.Organization") into doc; nullptr if unresolved. */
json_t *resolve(json_t *doc, const std::string &ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  json_t *v = doc;
  size_t start = 2;
  while (v) {
    size_t slash = ref.find('/', start);
    std::string token =
        ref.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    std::string key;
    for (size_t i = 0; i < token.size(); i++) {
      if (token[i] == '~' && i + 1 < token.size()) {
        key += token[i + 1] == '1' ? '/' : '~';
        i++;
      } else {
        key += token[i];
      }
    }
    v = json_is_object(v) ? json_object_get(v, key.c_str()) : nullptr;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return v;
}

void collect_refs(json_t *v, std::vector<std::string> &refs) {
  if (json_is_object(v)) {
    const char *key;
    json_t *member;
    json_object_foreach(v, key, member) {
      if (strcmp(key, "$ref") == 0 && json_is_string(member))
        refs.emplace_back(json_string_value(member));
      else
        collect_refs(member, refs);
    }
  } else if (json_is_array(v)) {
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) collect_refs(e, refs);
  }
}

/* The document of a table, as text and parsed. */
struct Doc {
  std::string text;
  Json json;
};

void generate(const gw_routes *routes, Doc &doc) {
  size_t len = 0;
  char *text = gw_openapi_json(routes, "VBP API", "v1", &len);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(len, strlen(text));
  doc.text.assign(text, len);
  free(text);
  doc.json.v = parse(doc.text);
  ASSERT_NE(doc.json.v, nullptr);
}

/* ------------------------------------------------------------------ the real API (vbp.pb) */

class GwOpenApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string set = read_file(VBP_DESCRIPTOR_SET);
    vbp_status st = gw_routes_build(reinterpret_cast<const uint8_t *>(set.data()), set.size(),
                                    kRealServices, 4, &routes_);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
    doc_ = new Doc;
    generate(routes_, *doc_);
  }
  static void TearDownTestSuite() {
    delete doc_;
    doc_ = nullptr;
    gw_routes_destroy(routes_);
    routes_ = nullptr;
  }
  static json_t *doc() { return doc_->json.v; }
  static gw_routes *routes_;
  static Doc *doc_;
};
gw_routes *GwOpenApi::routes_ = nullptr;
Doc *GwOpenApi::doc_ = nullptr;

TEST_F(GwOpenApi, IsAnOpenApi31DocumentWithBearerSecurity) {
  EXPECT_EQ(canon(at(doc(), {"openapi"})), "\"3.1.0\"");
  EXPECT_EQ(canon(at(doc(), {"info"})), canon(R"({"title":"VBP API","version":"v1"})"));
  EXPECT_EQ(canon(at(doc(), {"security"})), canon(R"([{"bearer":[]}])"));
  json_t *bearer = at(doc(), {"components", "securitySchemes", "bearer"});
  EXPECT_EQ(canon(at(bearer, {"type"})), "\"http\"");
  EXPECT_EQ(canon(at(bearer, {"scheme"})), "\"bearer\"");
  /* Compact, members in the order written. */
  EXPECT_EQ(doc_->text.find('\n'), std::string::npos);
  EXPECT_EQ(doc_->text.rfind("{\"openapi\":\"3.1.0\",\"info\":", 0), 0u)
      << doc_->text.substr(0, 80);
}

TEST_F(GwOpenApi, IsDeterministic) {
  Doc again;
  generate(routes_, again);
  EXPECT_EQ(again.text, doc_->text);
}

TEST_F(GwOpenApi, OneOperationPerRouteUnderItsPath) {
  json_t *paths = at(doc(), {"paths"});
  ASSERT_TRUE(json_is_object(paths));
  std::vector<std::string> ids;
  const char *path;
  json_t *item;
  json_object_foreach(paths, path, item) {
    const char *verb;
    json_t *op;
    json_object_foreach(item, verb, op)
        ids.emplace_back(json_string_value(json_object_get(op, "operationId")));
  }
  EXPECT_EQ(ids.size(), gw_routes_count(routes_));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size())
      << "operationIds must be unique";
  /* In route order, paths by their first route, operations of a path in route order. */
  std::vector<std::string> patterns, methods;
  for (size_t i = 0; i < gw_routes_count(routes_); i++) {
    const char *pattern = gw_routes_at(routes_, i)->pattern;
    if (std::find(patterns.begin(), patterns.end(), pattern) != patterns.end()) continue;
    patterns.emplace_back(pattern);
    for (size_t j = i; j < gw_routes_count(routes_); j++)
      if (strcmp(gw_routes_at(routes_, j)->pattern, pattern) == 0)
        methods.emplace_back(gw_routes_at(routes_, j)->method);
  }
  EXPECT_EQ(json_object_size(paths), patterns.size());
  EXPECT_EQ(ids, methods);
}

TEST_F(GwOpenApi, GetPriceHasTwoPathParametersAndADateQuery) {
  json_t *op = at(doc(), {"paths", "/v1/prices/{regionCode}/{productId}", "get"});
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(canon(at(op, {"operationId"})), "\"GetPrice\"");
  EXPECT_EQ(canon(at(op, {"tags"})), "[\"PricingService\"]");
  EXPECT_EQ(canon(at(op, {"parameters"})), canon(R"([
    {"name":"regionCode","in":"path","required":true,"schema":{"type":"string"}},
    {"name":"productId","in":"path","required":true,"schema":{"type":"string"}},
    {"name":"date","in":"query","schema":{"type":"string"}}])"));
  EXPECT_EQ(at(op, {"requestBody"}), nullptr);
  EXPECT_EQ(canon(at(op, {"responses", "200", "content"})), canon(R"({"application/json":
                        {"schema":{"$ref":"#/components/schemas/vbp.v1.Price"}}})"))
      << canon(at(op, {"responses"}));
  EXPECT_EQ(canon(at(op, {"responses", "default", "content"})),
            canon(R"({"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}})"));
}

TEST_F(GwOpenApi, ListRoutesTakeEveryFreeScalarFieldAsAQuery) {
  json_t *op = at(doc(), {"paths", "/v1/organizations", "get"});
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(canon(at(op, {"parameters"})), canon(R"([
    {"name":"kind","in":"query","schema":{"type":"string","enum":["ORGANIZATION_KIND_UNSPECIFIED",
      "BUREAU","INSURANCE_AGENCY","ALLIANCE_OFFICE","MEDICAL_INSTITUTION","MANUFACTURER",
      "DISTRIBUTOR"]}},
    {"name":"regionCode","in":"query","schema":{"type":"string"}},
    {"name":"pageSize","in":"query","schema":{"type":"integer","format":"int32"}},
    {"name":"pageToken","in":"query","schema":{"type":"string"}}])"));
  /* A path-bound field is no query parameter. */
  json_t *results = at(doc(), {"paths", "/v1/batches/{batchCode}/results", "get", "parameters"});
  ASSERT_TRUE(json_is_array(results));
  EXPECT_EQ(canon(json_array_get(results, 0)),
            canon(R"({"name":"batchCode","in":"path","required":true,
                      "schema":{"type":"string"}})"));
  for (size_t i = 1; i < json_array_size(results); i++)
    EXPECT_EQ(canon(at(json_array_get(results, i), {"in"})), "\"query\"");
  EXPECT_EQ(json_array_size(results), 5u) << canon(results); /* + groupId, status, page* */
}

TEST_F(GwOpenApi, SignContractKeepsItsCustomVerbAndTakesTheRequestAsBody) {
  json_t *op = at(doc(), {"paths", "/v1/contracts/{id}:sign", "post"});
  ASSERT_NE(op, nullptr) << canon(at(doc(), {"paths"}));
  EXPECT_EQ(canon(at(op, {"operationId"})), "\"SignContract\"");
  EXPECT_EQ(canon(at(op, {"tags"})), "[\"ContractService\"]");
  EXPECT_EQ(canon(at(op, {"parameters"})), canon(R"([
    {"name":"id","in":"path","required":true,"schema":{"type":"string"}}])"));
  EXPECT_EQ(canon(at(op, {"requestBody", "content"})), canon(R"({"application/json":
                  {"schema":{"$ref":"#/components/schemas/vbp.v1.SignContractRequest"}}})"));
  EXPECT_EQ(canon(at(op, {"responses", "200", "content", "application/json", "schema"})),
            canon(R"({"$ref":"#/components/schemas/vbp.v1.Contract"})"));
}

TEST_F(GwOpenApi, OrganizationSchemaHasItsJsonNamesAndKindNames) {
  EXPECT_EQ(canon(at(doc(), {"components", "schemas", "vbp.v1.Organization"})), canon(R"({
    "type":"object","properties":{
      "id":{"type":"string"},
      "name":{"type":"string"},
      "kind":{"type":"string","enum":["ORGANIZATION_KIND_UNSPECIFIED","BUREAU","INSURANCE_AGENCY",
        "ALLIANCE_OFFICE","MEDICAL_INSTITUTION","MANUFACTURER","DISTRIBUTOR"]},
      "regionCode":{"type":"string"},
      "creditCode":{"type":"string"},
      "institutionType":{"type":"string","enum":["INSTITUTION_TYPE_UNSPECIFIED","PUBLIC",
        "MILITARY","PRIVATE_DESIGNATED"]},
      "consortiumId":{"type":"string"}}})"));
}

TEST_F(GwOpenApi, FieldsAreTypedPerTheJsonMapping) {
  json_t *schemas = at(doc(), {"components", "schemas"});
  /* repeated string, int32, nested enum */
  json_t *batch = at(schemas, {"vbp.v1.Batch", "properties"});
  EXPECT_EQ(canon(at(batch, {"memberRegionCodes"})),
            canon(R"({"type":"array","items":{"type":"string"}})"));
  EXPECT_EQ(canon(at(batch, {"cycleYears"})), canon(R"({"type":"integer","format":"int32"})"));
  EXPECT_EQ(canon(at(batch, {"organizerLevel"})),
            canon(R"({"type":"string","enum":["ORGANIZER_LEVEL_UNSPECIFIED","NATIONAL",
                      "ALLIANCE","PROVINCE","CITY"]})"));
  /* google.protobuf.BoolValue: its plain value */
  EXPECT_EQ(canon(at(schemas, {"vbp.v1.Execution", "properties", "alignRenewal"})),
            "{\"type\":\"boolean\"}");
  /* bool */
  EXPECT_EQ(canon(at(schemas, {"vbp.v1.Product", "properties", "inInsuranceCatalog"})),
            "{\"type\":\"boolean\"}");
  /* int64: a string */
  EXPECT_EQ(canon(at(schemas, {"vbp.v1.Contract", "properties", "quantity"})),
            canon(R"({"type":"string","format":"int64","pattern":"^-?[0-9]+$"})"));
  /* repeated message */
  EXPECT_EQ(
      canon(at(schemas, {"vbp.v1.ListOrganizationsResponse", "properties", "organizations"})),
      canon(R"({"type":"array","items":{"$ref":"#/components/schemas/vbp.v1.Organization"}})"));
  /* a oneof's members are properties; wrappers get no schema of their own */
  EXPECT_EQ(canon(at(schemas, {"vbp.v1.ExchangeRecord", "properties", "batch"})),
            canon(R"({"$ref":"#/components/schemas/vbp.v1.Batch"})"));
  EXPECT_EQ(at(schemas, {"google.protobuf.BoolValue"}), nullptr);
  EXPECT_EQ(canon(at(schemas, {"google.protobuf.Empty"})),
            canon(R"({"type":"object","properties":{}})"));
  /* {code, message, details: [{field, reason}]} */
  json_t *error = at(schemas, {"Error"});
  EXPECT_EQ(canon(at(error, {"type"})), "\"object\"");
  EXPECT_EQ(canon(at(error, {"required"})), "[\"code\",\"message\"]");
  EXPECT_EQ(canon(at(error, {"properties", "code", "type"})), "\"string\"");
  EXPECT_EQ(canon(at(error, {"properties", "message"})), "{\"type\":\"string\"}");
  EXPECT_EQ(canon(at(error, {"properties", "details", "type"})), "\"array\"");
  json_t *detail = at(error, {"properties", "details", "items"});
  EXPECT_EQ(canon(at(detail, {"required"})), "[\"field\",\"reason\"]");
  EXPECT_EQ(canon(at(detail, {"properties", "field", "type"})), "\"string\"");
  EXPECT_EQ(canon(at(detail, {"properties", "reason"})), "{\"type\":\"string\"}");
}

TEST_F(GwOpenApi, ExportBatchStreamsNdjsonAndImportBatchTakesIt) {
  json_t *exp = at(doc(), {"paths", "/v1/exchange/batches/{code}", "get"});
  ASSERT_NE(exp, nullptr);
  EXPECT_EQ(canon(at(exp, {"responses", "200", "content"})), canon(R"({"application/x-ndjson":
                        {"schema":{"$ref":"#/components/schemas/vbp.v1.ExchangeRecord"}}})"));
  EXPECT_EQ(canon(at(exp, {"parameters"})), canon(R"([
    {"name":"code","in":"path","required":true,"schema":{"type":"string"}},
    {"name":"regionCode","in":"query","schema":{"type":"string"}}])"));

  json_t *imp = at(doc(), {"paths", "/v1/exchange:import", "post"});
  ASSERT_NE(imp, nullptr);
  EXPECT_EQ(canon(at(imp, {"requestBody", "content"})),
            canon(R"({"application/x-ndjson":{"schema":{"type":"string"}}})"));
  EXPECT_EQ(canon(at(imp, {"requestBody", "description"})),
            "\"The raw body, taken as ndjson; at most 67108864 bytes (413 beyond).\"");
  EXPECT_EQ(at(imp, {"parameters"}), nullptr); /* its one field is the body */
  EXPECT_EQ(canon(at(imp, {"responses", "200", "content"})), canon(R"({"application/json":
                        {"schema":{"$ref":"#/components/schemas/vbp.v1.ImportBatchResponse"}}})"));
}

TEST_F(GwOpenApi, RecordPurchasesTakesNdjsonUpToSixtyFourMebibytes) {
  json_t *imp = at(doc(), {"paths", "/v1/purchases:import", "post"});
  ASSERT_NE(imp, nullptr);
  EXPECT_EQ(canon(at(imp, {"operationId"})), "\"RecordPurchases\"");
  EXPECT_EQ(canon(at(imp, {"tags"})), "[\"VolumeService\"]");
  EXPECT_EQ(canon(at(imp, {"requestBody", "content"})),
            canon(R"({"application/x-ndjson":{"schema":{"type":"string"}}})"));
  EXPECT_EQ(canon(at(imp, {"requestBody", "description"})),
            "\"The raw body, taken as ndjson; at most 67108864 bytes (413 beyond).\"");
  EXPECT_EQ(at(imp, {"parameters"}), nullptr); /* its one field is the body */
  EXPECT_EQ(canon(at(imp, {"responses", "200", "content"})), canon(R"({"application/json":
                        {"schema":{"$ref":"#/components/schemas/vbp.v1.RecordPurchasesResponse"}}})"));
  /* The one-purchase route beside it takes JSON. */
  json_t *one = at(doc(), {"paths", "/v1/purchases", "post"});
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(canon(at(one, {"operationId"})), "\"RecordPurchase\"");
  EXPECT_EQ(
      canon(at(one, {"requestBody", "content"})),
      canon(R"({"application/json":{"schema":{"$ref":"#/components/schemas/vbp.v1.Purchase"}}})"));
}

TEST_F(GwOpenApi, ContractWithdrawalsAndRetirementsAreDeletesThatAnswerEmpty) {
  for (const auto &[path, id] : {std::pair<const char *, const char *>{
                                     "/v1/distributorAuthorizations/{id}", "WithdrawDistributor"},
                                 {"/v1/signingKeys/{id}", "RetireSigningKey"}}) {
    SCOPED_TRACE(path);
    json_t *op = at(doc(), {"paths", path, "delete"});
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(canon(at(op, {"operationId"})), std::string("\"") + id + "\"");
    EXPECT_EQ(canon(at(op, {"tags"})), "[\"ContractService\"]");
    EXPECT_EQ(canon(at(op, {"parameters"})), canon(R"([
      {"name":"id","in":"path","required":true,"schema":{"type":"string"}}])"));
    EXPECT_EQ(at(op, {"requestBody"}), nullptr);
    EXPECT_EQ(canon(at(op, {"responses", "200", "content", "application/json", "schema"})),
              canon(R"({"$ref":"#/components/schemas/google.protobuf.Empty"})"));
  }
  /* Registering a key takes the key as the body and answers it. */
  json_t *reg = at(doc(), {"paths", "/v1/signingKeys", "post"});
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(canon(at(reg, {"operationId"})), "\"RegisterSigningKey\"");
  EXPECT_EQ(at(reg, {"parameters"}), nullptr);
  EXPECT_EQ(canon(at(reg, {"requestBody", "content"})), canon(R"({"application/json":
                  {"schema":{"$ref":"#/components/schemas/vbp.v1.SigningKey"}}})"));
  EXPECT_EQ(canon(at(reg, {"responses", "200", "content", "application/json", "schema"})),
            canon(R"({"$ref":"#/components/schemas/vbp.v1.SigningKey"})"));
}

TEST_F(GwOpenApi, AssignDistributorIsACustomVerbOfAContract) {
  json_t *op = at(doc(), {"paths", "/v1/contracts/{id}:assignDistributor", "post"});
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(canon(at(op, {"operationId"})), "\"AssignDistributor\"");
  EXPECT_EQ(canon(at(op, {"tags"})), "[\"ContractService\"]");
  EXPECT_EQ(canon(at(op, {"parameters"})), canon(R"([
    {"name":"id","in":"path","required":true,"schema":{"type":"string"}}])"));
  EXPECT_EQ(canon(at(op, {"requestBody", "content"})), canon(R"({"application/json":
                  {"schema":{"$ref":"#/components/schemas/vbp.v1.AssignDistributorRequest"}}})"));
  EXPECT_EQ(canon(at(op, {"responses", "200", "content", "application/json", "schema"})),
            canon(R"({"$ref":"#/components/schemas/vbp.v1.Contract"})"));
}

TEST_F(GwOpenApi, RevokeApiKeyAnswersEmpty) {
  json_t *op = at(doc(), {"paths", "/v1/apiKeys/{id}", "delete"});
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(canon(at(op, {"operationId"})), "\"RevokeApiKey\"");
  EXPECT_EQ(canon(at(op, {"tags"})), "[\"CatalogService\"]");
  EXPECT_EQ(canon(at(op, {"parameters"})), canon(R"([
    {"name":"id","in":"path","required":true,"schema":{"type":"string"}}])"));
  EXPECT_EQ(at(op, {"requestBody"}), nullptr);
  EXPECT_EQ(canon(at(op, {"responses", "200", "content", "application/json", "schema"})),
            canon(R"({"$ref":"#/components/schemas/google.protobuf.Empty"})"));
}

TEST_F(GwOpenApi, PathVariablesAreJsonNamesAndDeclaredParameters) {
  json_t *paths = at(doc(), {"paths"});
  EXPECT_NE(at(paths, {"/v1/batches/{batchCode}/executions/{regionCode}/agreementYears", "get"}),
            nullptr);
  const char *path;
  json_t *item;
  json_object_foreach(paths, path, item) {
    std::set<std::string> in_path;
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{'))
      in_path.insert(std::string(p + 1, strchr(p, '}')));
    const char *verb;
    json_t *op;
    json_object_foreach(item, verb, op) {
      SCOPED_TRACE(std::string(verb) + " " + path);
      std::set<std::string> declared;
      size_t i;
      json_t *param;
      json_array_foreach(json_object_get(op, "parameters"), i, param) {
        if (strcmp(json_string_value(json_object_get(param, "in")), "path") != 0) continue;
        declared.insert(json_string_value(json_object_get(param, "name")));
        EXPECT_TRUE(json_is_true(json_object_get(param, "required")));
      }
      EXPECT_EQ(declared, in_path);
      EXPECT_EQ(std::string(path).find('_'), std::string::npos);
    }
  }
}

TEST_F(GwOpenApi, EveryRefResolvesAndEverySchemaIsReferenced) {
  std::vector<std::string> refs;
  collect_refs(doc(), refs);
  EXPECT_GT(refs.size(), 50u);
  std::set<std::string> targets;
  for (const std::string &ref : refs) {
    EXPECT_NE(resolve(doc(), ref), nullptr) << ref;
    targets.insert(ref);
  }
  /* Reached from the routes: every response and nested message is referenced somewhere. */
  for (size_t i = 0; i < gw_routes_count(routes_); i++) {
    const gw_route *r = gw_routes_at(routes_, i);
    EXPECT_EQ(targets.count(std::string("#/components/schemas/") + r->response->name), 1u)
        << r->response->name;
    EXPECT_NE(at(doc(), {"components", "schemas", r->request->name}), nullptr) << r->request->name;
  }
  EXPECT_EQ(targets.count("#/components/schemas/vbp.v1.Signature"), 1u);
}

/* Writes the document for an outside validator (GW_OPENAPI_OUT=/tmp/openapi.json). */
TEST_F(GwOpenApi, WritesTheDocumentWhenAsked) {
  const char *out = getenv("GW_OPENAPI_OUT");
  if (!out || !*out) GTEST_SKIP() << "GW_OPENAPI_OUT is not set";
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << doc_->text;
  file.close();
  EXPECT_TRUE(file.good()) << out;
}

/* ------------------------------------------------------ the test-only proto (gwtest) */

struct TestTable {
  gw_routes *routes = nullptr;
  ~TestTable() { gw_routes_destroy(routes); }
};

void build(TestTable &t, const std::string &set) {
  vbp_status st = gw_routes_build(reinterpret_cast<const uint8_t *>(set.data()), set.size(),
                                  kTestServices, 1, &t.routes);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
}

TEST(GwOpenApiTestProto, QueryParametersOfEveryScalarKind) {
  TestTable t;
  build(t, read_file(TEST_DESCRIPTOR_SET));
  Doc doc;
  generate(t.routes, doc);
  json_t *hello = at(doc.json.v, {"paths", "/v1/hello/{name}", "get"});
  ASSERT_NE(hello, nullptr) << doc.text;
  /* inner (a message) is left out; bytes base64, repeated an array, int64 a string */
  EXPECT_EQ(canon(at(hello, {"parameters"})), canon(R"([
    {"name":"name","in":"path","required":true,"schema":{"type":"string"}},
    {"name":"payload","in":"query","schema":{"type":"string","contentEncoding":"base64"}},
    {"name":"tags","in":"query","schema":{"type":"array","items":{"type":"string"}}},
    {"name":"count","in":"query",
     "schema":{"type":"string","format":"int64","pattern":"^-?[0-9]+$"}},
    {"name":"loud","in":"query","schema":{"type":"boolean"}}])"));
  EXPECT_EQ(canon(at(hello, {"tags"})), "[\"TestService\"]");
  json_t *goodbye = at(doc.json.v, {"paths", "/v1/hello/{name}:goodbye", "post"});
  ASSERT_NE(goodbye, nullptr);
  EXPECT_EQ(json_array_size(at(goodbye, {"parameters"})), 1u); /* a JSON body: no query */
  EXPECT_EQ(canon(at(goodbye, {"requestBody", "description"})),
            "\"The request as JSON; at most 1048576 bytes (413 beyond).\"");
  /* Messages first found first: Hello's request, its reply, then the fields' messages. */
  std::vector<std::string> names;
  const char *name;
  json_t *schema;
  json_object_foreach(at(doc.json.v, {"components", "schemas"}), name, schema)
      names.emplace_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"gwtest.HelloRequest", "gwtest.HelloReply",
                                             "gwtest.Inner", "gwtest.Deeper", "Error"}));
  EXPECT_EQ(canon(at(doc.json.v, {"tags"})),
            canon(R"([{"name":"TestService","description":"gwtest.TestService"}])"));
}

TEST(GwOpenApiTestProto, NestedPathVariablesAreDottedJsonNames) {
  std::string set = read_file(TEST_DESCRIPTOR_SET);
  Vbp__Api__HttpRule rule = VBP__API__HTTP_RULE__INIT;
  rule.pattern_case = VBP__API__HTTP_RULE__PATTERN_DELETE;
  rule.delete_ = const_cast<char *>("/v1/hello/{inner.deeper.level}/x/{name}");
  rule.body = const_cast<char *>("");
  TestTable t;
  build(t, with_rule(set, "Hello", &rule));
  Doc doc;
  generate(t.routes, doc);
  json_t *op = at(doc.json.v, {"paths", "/v1/hello/{inner.deeper.level}/x/{name}", "delete"});
  ASSERT_NE(op, nullptr) << doc.text;
  json_t *params = at(op, {"parameters"});
  EXPECT_EQ(canon(json_array_get(params, 0)),
            canon(R"({"name":"inner.deeper.level","in":"path","required":true,
                      "schema":{"type":"integer","format":"int32"}})"));
  EXPECT_EQ(canon(json_array_get(params, 1)),
            canon(R"({"name":"name","in":"path","required":true,"schema":{"type":"string"}})"));
  EXPECT_EQ(json_array_size(params), 6u); /* + payload, tags, count, loud */
}

TEST(GwOpenApiTestProto, ANullTableIsADocumentWithoutPaths) {
  size_t len = 0;
  char *text = gw_openapi_json(nullptr, nullptr, "1\xff", &len);
  ASSERT_NE(text, nullptr);
  Json doc(parse(text));
  free(text);
  EXPECT_EQ(canon(at(doc.v, {"info"})), canon(R"({"title":"","version":""})"));
  EXPECT_EQ(canon(at(doc.v, {"paths"})), "{}");
  EXPECT_EQ(canon(at(doc.v, {"components", "schemas"})).find("\"Error\""), 1u);
}

}  // namespace
