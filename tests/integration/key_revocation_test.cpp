// Key revocation everywhere a key is checked (API.md "Who may do what": a revoked key stops
// working at once at the gateway that revoked it, within 1 s everywhere else while the
// revocation channel is up, within the key cache's time to live when it is not). Against the
// real PostgreSQL: catalog-svc in-process (catalog_harness) and a second replica of it on the
// same database, a service that resolves keys through catalog-svc as every other service does
// (common/catalog_auth), and gateways wired as gateway/main.c wires them, each with its own
// key cache.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "catalog_harness.h"
#include "common/catalog_auth.h"
#include "test_gateway.h"
#include "test_stack.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kGatewayTtlMs = 30000;  // gateway/main.c's default: what the defect let through
constexpr int kServiceTtlMs = 10000;  // common/service.c's
constexpr int kShortTtlMs = 1500;
constexpr int kPollMs = 200;  // every authenticator's revocation poll

// The whoami method of a service that resolves bearer keys through catalog-svc: it answers the
// caller's organization.
vbp_status whoami(vbp_call *call, const ProtobufCMessage *, ProtobufCMessage **response) {
  auto *out = static_cast<Vbp__V1__Organization *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__Organization)));
  vbp__v1__organization__init(out);
  out->id = vbp_arena_strdup(vbp_call_arena(call), vbp_call_caller(call)->org_id);
  *response = &out->base;
  return vbp_status_ok();
}

const vbp_method kWhoami[] = {
    {"/test.KeyedService/Whoami", &vbp__v1__get_organization_request__descriptor,
     &vbp__v1__organization__descriptor, whoami, nullptr, VBP_ALLOW_ANY_CALLER}};

const vbp_method *catalog_method(const char *rpc) {
  const std::string path = std::string("/vbp.v1.CatalogService/") + rpc;
  for (size_t i = 0; i < catalog_methods_count; i++)
    if (path == catalog_methods[i].path) return &catalog_methods[i];
  return nullptr;
}

// A gRPC server with its own authenticator, as vbp_service_main makes one.
struct Served {
  vbp_authenticator *auth = nullptr;
  vbp_server *server = nullptr;
  vbp_client *client = nullptr;  // to it, for direct calls with a bearer key

  void start(const vbp_method *methods, size_t n, void *context) {
    ASSERT_TRUE(IsOk(test_backend_start(methods, n, auth, context, nullptr, &server, &client)));
  }
  void stop() {
    vbp_client_close(client);
    vbp_server_stop(server, 1000);
    vbp_authenticator_destroy(auth);
    client = nullptr;
    server = nullptr;
    auth = nullptr;
  }
  ~Served() { stop(); }
};

class KeyRevocation : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    CatalogStack *stack = CatalogStack::instance();
    vbp_client *catalog = stack->client();

    // A second catalog-svc on the same database: it learns of a revocation made through the
    // first one only from its own poll of the table.
    ASSERT_TRUE(IsOk(vbp_pg_pool_open(stack->dsn().c_str(), 2, &replica_pool_)));
    replica_service_.pool = replica_pool_;
    replica_.auth = vbp_authenticator_create(kAdminKey, kSecret, catalog_resolve_key,
                                             &replica_service_, kServiceTtlMs, 64);
    replica_service_.auth = replica_.auth;
    vbp_authenticator_watch(replica_.auth, catalog_key_revocations, &replica_service_, kPollMs);
    replica_.start(catalog_methods, catalog_methods_count, &replica_service_);

    // A service of the other kind: keys through catalog-svc.
    keyed_.auth = vbp_authenticator_create(kAdminKey, kSecret, vbp_catalog_resolve_key, catalog,
                                           kServiceTtlMs, 64);
    vbp_authenticator_watch(keyed_.auth, vbp_catalog_key_revocations, catalog, kPollMs);
    keyed_.start(kWhoami, 1, nullptr);

    TestGatewayOptions options = gateway_options(catalog);
    gateway_a_ = std::make_unique<TestGateway>(options);
    gateway_b_ = std::make_unique<TestGateway>(options);
    ASSERT_EQ(gateway_a_->failure(), "");
    ASSERT_EQ(gateway_b_->failure(), "");
  }

  // A gateway of the real API whose catalog-svc is the stack's and whose revocation polls go to
  // revocations.
  static TestGatewayOptions gateway_options(vbp_client *revocations) {
    TestGatewayOptions options;
    options.descriptor_set = VBP_DESCRIPTOR_SET;
    options.services = {
        &vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
        &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor};
    vbp_client *catalog = CatalogStack::instance()->client();
    options.backends = {{"vbp.v1.CatalogService", catalog}};
    options.admin_key = kAdminKey;
    options.secret = kSecret;
    options.catalog = catalog;
    options.revocations = revocations;
    options.key_cache_ttl_ms = kGatewayTtlMs;
    options.revocation_poll_ms = kPollMs;
    return options;
  }

  void TearDown() override {
    gateway_a_.reset();
    gateway_b_.reset();
    keyed_.stop();
    replica_.stop();  // its watcher reads through the pool
    vbp_pg_pool_close(replica_pool_);
  }

  // Whether each place accepts key right now (for organization org).
  bool gateway_accepts(const TestGateway &gw, const std::string &key, const std::string &org) {
    Http r = http_request(gw.port(), "GET", "/v1/organizations/" + org, bearer_header(key));
    EXPECT_TRUE(r.status == 200 || r.status == 401) << r.status << " " << r.body;
    return r.status == 200;
  }
  static bool grpc_accepts(vbp_client *client, const vbp_method *method, const std::string &key,
                           const std::string &org) {
    Vbp__V1__GetOrganizationRequest req;
    vbp__v1__get_organization_request__init(&req);
    req.id = const_cast<char *>(org.c_str());
    vbp_call_options options{};
    options.timeout_ms = 5000;
    options.bearer_key = key.c_str();
    ProtobufCMessage *answer = nullptr;
    vbp_status st = vbp_client_call(client, method, &req.base, &options, nullptr, &answer);
    EXPECT_TRUE(st.code == VBP_OK || st.code == VBP_UNAUTHENTICATED) << st.message;
    if (answer) protobuf_c_message_free_unpacked(answer, nullptr);
    return st.code == VBP_OK;
  }

  struct Place {
    std::string name;
    std::function<bool()> accepts;
  };

  // Every place but gateway A (which revokes), for key of organization org.
  std::vector<Place> elsewhere(const std::string &key, const std::string &org) {
    return {
        {"gateway B", [=] { return gateway_accepts(*gateway_b_, key, org); }},
        {"catalog-svc", [=] { return get_organization(Caller::key(key), org).ok(); }},
        {"catalog-svc replica",
         [=] {
           return grpc_accepts(replica_.client, catalog_method("GetOrganization"), key, org);
         }},
        {"a service keyed through catalog-svc",
         [=] { return grpc_accepts(keyed_.client, &kWhoami[0], key, org); }},
    };
  }

  // A key of a fresh manufacturer, used once everywhere (so every cache holds it), with its id.
  std::pair<std::string, std::string> key_used_everywhere(const std::string &org) {
    ensure_org(org, VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350000");
    Reply<Vbp__V1__ApiKey> key = create_api_key(Caller::admin(), org);
    EXPECT_TRUE(IsOk(key));
    if (!key.ok()) return {};
    EXPECT_TRUE(gateway_accepts(*gateway_a_, key->key, org));
    for (Place &place : elsewhere(key->key, org)) EXPECT_TRUE(place.accepts()) << place.name;
    return {key->key, key->id};
  }

  // Milliseconds from now until place refuses, polling; -1 if it still accepts after limit_ms.
  static long long refused_within(Place &place, Clock::time_point since, int limit_ms) {
    for (;;) {
      if (!place.accepts())
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
      if (Clock::now() - since > std::chrono::milliseconds(limit_ms)) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void revoke_through(const TestGateway &gw, const std::string &id) {
    Http r = http_request(gw.port(), "DELETE", "/v1/apiKeys/" + id, bearer_header(kAdminKey));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  vbp_pg_pool *replica_pool_ = nullptr;
  catalog_service replica_service_{};
  Served replica_, keyed_;
  std::unique_ptr<TestGateway> gateway_a_, gateway_b_;
};

// The defect: a key used once, then revoked with DELETE /v1/apiKeys/{id}, still worked right
// after, for up to the gateway's 30 s cache.
TEST_F(KeyRevocation, RevocationTookUpTo30Seconds) {
  auto [key, id] = key_used_everywhere("kr-maker-1");
  ASSERT_FALSE(key.empty());
  revoke_through(*gateway_a_, id);
  Clock::time_point revoked = Clock::now();
  EXPECT_FALSE(gateway_accepts(*gateway_a_, key, "kr-maker-1"))
      << "the gateway that answered the DELETE still took the key";
  for (Place &place : elsewhere(key, "kr-maker-1")) {
    long long ms = refused_within(place, revoked, 1000);
    EXPECT_GE(ms, 0) << place.name << " still took the key 1 s after its revocation";
  }
}

TEST_F(KeyRevocation, AnotherKeyOfTheSameOrganizationKeepsWorking) {
  auto [revoked_key, id] = key_used_everywhere("kr-maker-2");
  auto [kept_key, kept_id] = key_used_everywhere("kr-maker-2");
  ASSERT_FALSE(revoked_key.empty());
  ASSERT_FALSE(kept_key.empty());
  revoke_through(*gateway_a_, id);
  Clock::time_point revoked = Clock::now();
  for (Place &place : elsewhere(revoked_key, "kr-maker-2")) refused_within(place, revoked, 1000);
  EXPECT_TRUE(gateway_accepts(*gateway_a_, kept_key, "kr-maker-2"));
  for (Place &place : elsewhere(kept_key, "kr-maker-2")) EXPECT_TRUE(place.accepts()) << place.name;
}

// Redis is no part of the revocation's way: with it down a revoked key is still refused within
// the key cache's time to live (and in fact within the poll).
TEST_F(KeyRevocation, RedisOutageRevocationStillEndsWithinTheKeyCacheTtl) {
  auto [key, id] = key_used_everywhere("kr-maker-3");
  ASSERT_FALSE(key.empty());
  RedisStopped redis_down;
  revoke_through(*gateway_a_, id);
  Clock::time_point revoked = Clock::now();
  EXPECT_FALSE(gateway_accepts(*gateway_a_, key, "kr-maker-3"));
  for (Place &place : elsewhere(key, "kr-maker-3"))
    EXPECT_GE(refused_within(place, revoked, kServiceTtlMs), 0) << place.name;
}

// A gateway whose revocation channel is down (its polls fail) refuses the key once its cache's
// time to live has passed.
TEST_F(KeyRevocation, WithItsRevocationChannelDownAGatewayRefusesWithinItsKeyCacheTtl) {
  vbp_client *nowhere = nullptr;  // a port nobody listens on
  ASSERT_TRUE(IsOk(vbp_client_open("127.0.0.1:1", kSecret, &nowhere)));
  TestGatewayOptions options = gateway_options(nowhere);
  options.key_cache_ttl_ms = kShortTtlMs;
  {
    TestGateway cut_off(options);
    ASSERT_EQ(cut_off.failure(), "");
    auto [key, id] = key_used_everywhere("kr-maker-4");
    ASSERT_FALSE(key.empty());
    ASSERT_TRUE(gateway_accepts(cut_off, key, "kr-maker-4"));
    revoke_through(*gateway_a_, id);
    Place place{"the cut-off gateway", [&] { return gateway_accepts(cut_off, key, "kr-maker-4"); }};
    EXPECT_GE(refused_within(place, Clock::now(), kShortTtlMs + 300), 0);
  }
  vbp_client_close(nowhere);
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // After test_stack.cpp's environment: the server stops before the databases are dropped.
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  return RUN_ALL_TESTS();
}
