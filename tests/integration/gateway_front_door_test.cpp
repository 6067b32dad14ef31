// The gateway's front door, against a fake catalog-svc that counts its Authenticate look-ups and a
// pricing-svc that is down (no stack needed): the bearer scheme in any case, WWW-Authenticate on
// every 401, a client address that keeps failing gets 429 and costs catalog-svc nothing more,
// and an unavailable backend is named, never its address.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "common/log.h"
#include "test_gateway.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

namespace {

const char *const kAdminKey = "front-door-test-admin-key";
const char *const kSecret = "front-door-test-secret";
const char *const kKey = "vbp_the-one-key-the-fake-catalog-knows";
const char *const kNowhere = "127.0.0.1:1";
constexpr int kFailureRps = 5, kFailureBurst = 20;

std::atomic<int> g_lookups{0};

std::string sha256(const std::string &text) {
  char out[65];
  vbp_sha256_hex(text.data(), text.size(), out);
  return out;
}

// Knows kKey (a manufacturer) and nothing else.
vbp_status authenticate(vbp_call *call, const ProtobufCMessage *request,
                        ProtobufCMessage **response) {
  g_lookups++;
  auto *in = reinterpret_cast<const Vbp__V1__AuthenticateRequest *>(request);
  if (sha256(kKey) != in->key_sha256) return vbp_status_make(VBP_NOT_FOUND, "no such API key");
  auto *out = static_cast<Vbp__V1__AuthenticateResponse *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__AuthenticateResponse)));
  vbp__v1__authenticate_response__init(out);
  out->key_id = const_cast<char *>("key_1");
  out->organization_id = const_cast<char *>("maker-1");
  out->role = VBP__V1__ORGANIZATION_KIND__MANUFACTURER;
  out->region_code = const_cast<char *>("350100");
  *response = &out->base;
  return vbp_status_ok();
}

// Answers an organization named by the id asked for, whoever asks.
vbp_status get_organization(vbp_call *call, const ProtobufCMessage *request,
                            ProtobufCMessage **response) {
  auto *in = reinterpret_cast<const Vbp__V1__GetOrganizationRequest *>(request);
  auto *out = static_cast<Vbp__V1__Organization *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__Organization)));
  vbp__v1__organization__init(out);
  out->id = vbp_arena_strdup(vbp_call_arena(call), in->id);
  *response = &out->base;
  return vbp_status_ok();
}

const vbp_method kFakeCatalog[] = {
    {"/vbp.v1.CatalogService/Authenticate", &vbp__v1__authenticate_request__descriptor,
     &vbp__v1__authenticate_response__descriptor, authenticate, nullptr, VBP_ALLOW_SERVICE},
    {"/vbp.v1.CatalogService/GetOrganization", &vbp__v1__get_organization_request__descriptor,
     &vbp__v1__organization__descriptor, get_organization, nullptr, VBP_ALLOW_ANY_CALLER},
};

class FrontDoor : public ::testing::Test {
 protected:
  void SetUp() override {
    vbp_log_init("front-door-test", VBP_LOG_ERROR);  // the refusals provoked are not news
    vbp_rpc_init();
    g_lookups = 0;
    backend_auth_ = vbp_authenticator_create(kAdminKey, kSecret, nullptr, nullptr, 0, 1);
    ASSERT_EQ(
        test_backend_start(kFakeCatalog, 2, backend_auth_, nullptr, kSecret, &catalog_, &client_)
            .code,
        VBP_OK);
    ASSERT_EQ(vbp_client_open(kNowhere, kSecret, &pricing_).code, VBP_OK);

    TestGatewayOptions options;
    options.descriptor_set = VBP_DESCRIPTOR_SET;
    options.services = {
        &vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
        &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor};
    options.backends = {{"vbp.v1.CatalogService", client_}, {"vbp.v1.PricingService", pricing_}};
    options.admin_key = kAdminKey;
    options.secret = kSecret;
    options.catalog = client_;
    options.auth_failure_rps = kFailureRps;
    options.auth_failure_burst = kFailureBurst;
    gateway_ = std::make_unique<TestGateway>(options);
    ASSERT_EQ(gateway_->failure(), "");
  }

  void TearDown() override {
    gateway_.reset();
    vbp_client_close(pricing_);
    vbp_client_close(client_);
    vbp_server_stop(catalog_, 1000);
    vbp_authenticator_destroy(backend_auth_);
    vbp_rpc_shutdown();
  }

  Http get(const std::string &headers) {
    return http_request(gateway_->port(), "GET", "/v1/organizations/maker-1", headers);
  }

  vbp_authenticator *backend_auth_ = nullptr;
  vbp_server *catalog_ = nullptr;
  vbp_client *client_ = nullptr;
  vbp_client *pricing_ = nullptr;  // nobody listens there
  std::unique_ptr<TestGateway> gateway_;
};

// The defect: 5,000 random keys made 5,000 Authenticate look-ups. Now the address gets its burst
// of failures (and a few more as the bucket refills), then 429 with Retry-After and no look-up.
TEST_F(FrontDoor, FiveThousandRandomKeysMadeFiveThousandLookUps) {
  auto started = std::chrono::steady_clock::now();
  int unauthorized = 0, limited = 0;
  for (int i = 0; i < 5000; i++) {
    char key[40];
    std::snprintf(key, sizeof key, "vbp_random-%08x-%d", static_cast<unsigned>(i * 2654435761u), i);
    Http r = get(bearer_header(key));
    if (r.status == 401) {
      unauthorized++;
      EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    } else if (r.status == 429) {
      limited++;
      if (limited == 1) {
        EXPECT_GE(std::stoi(r.header("Retry-After")), 1) << r.headers;
        EXPECT_EQ(r.body.find(R"({"code":"RESOURCE_EXHAUSTED","message":")"), 0u) << r.body;
      }
    } else {
      ADD_FAILURE() << "key " << i << ": " << r.status << " " << r.body;
      break;
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  int allowed = kFailureBurst + static_cast<int>(seconds * kFailureRps) + 1;
  EXPECT_LE(g_lookups, allowed) << "over " << seconds << " s";
  EXPECT_LE(unauthorized, allowed);
  EXPECT_EQ(unauthorized + limited, 5000);
}

TEST_F(FrontDoor, AKeyCachedBeforeItsAddressWasLimitedStillWorks) {
  ASSERT_EQ(get(bearer_header(kKey)).status, 200);
  for (int i = 0; i < kFailureBurst + 5; i++) get(bearer_header("vbp_wrong-" + std::to_string(i)));
  EXPECT_EQ(get(bearer_header("vbp_one-more-guess")).status, 429);
  Http r = get(bearer_header(kKey));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(get(bearer_header(kAdminKey)).status, 200);
}

// Regression (review): requests without a key, or with one already known to be bad, counted
// against the address, so one misconfigured client behind a NAT locked out every other client's
// first look-up. Only a look-up that found nothing counts.
TEST_F(FrontDoor, FailuresThatCostNoLookUpDoNotLockOutTheAddress) {
  for (int i = 0; i < kFailureBurst + 10; i++) {
    EXPECT_EQ(get("").status, 401);
    EXPECT_EQ(get(bearer_header("vbp_mistyped")).status, 401);  // cached after the first
  }
  Http r = get(bearer_header(kKey));  // not cached yet: looked up, not refused 429
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(FrontDoor, AnUnknownKeyAskedAgainIsAnsweredFromTheCache) {
  for (int i = 0; i < 5; i++) EXPECT_EQ(get(bearer_header("vbp_mistyped")).status, 401);
  EXPECT_EQ(g_lookups, 1);
}

// The defect: `bearer <key>` and `BEARER <key>` were refused (RFC 7235: the scheme is
// case-insensitive).
TEST_F(FrontDoor, LowercaseBearerWasRefused) {
  for (const char *scheme : {"bearer", "BEARER", "Bearer", "bEaReR"}) {
    Http r = get(std::string("Authorization: ") + scheme + " " + kKey + "\r\n");
    EXPECT_EQ(r.status, 200) << scheme << ": " << r.body;
  }
  EXPECT_EQ(get(std::string("Authorization: bearer ") + kAdminKey + "\r\n").status, 200);
}

// The defect: a 401 came without WWW-Authenticate.
TEST_F(FrontDoor, A401SaidNothingOfTheSchemeToUse) {
  for (const std::string &headers :
       {std::string(), std::string("Authorization: Basic eDp5\r\n"), bearer_header("vbp_nope")}) {
    Http r = get(headers);
    EXPECT_EQ(r.status, 401) << headers;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer") << headers;
    EXPECT_NE(r.body.find(R"("code":"UNAUTHENTICATED")"), std::string::npos) << r.body;
  }
}

// The defect: a 503 said `ipv4:127.0.0.1:50052: Failed to connect`. It names the service; the
// address is for the log.
TEST_F(FrontDoor, A503SaidWhereTheBackendListens) {
  Http r = http_request(gateway_->port(), "GET", "/v1/pricingPolicies", bearer_header(kAdminKey));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.body, R"({"code":"UNAVAILABLE","message":"pricing-svc is unavailable"})");
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
}

TEST_F(FrontDoor, AKeyThatCannotBeCheckedNamesCatalogSvcNotItsAddress) {
  vbp_server_stop(catalog_, 0);
  catalog_ = nullptr;
  Http r = get(bearer_header("vbp_some-key"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("catalog-svc is unavailable"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("ipv4"), std::string::npos) << r.body;
}

}  // namespace
