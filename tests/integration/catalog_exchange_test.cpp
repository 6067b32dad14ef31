// Bearer keys resolved remotely through catalog-svc's Authenticate, as contract-, pricing- and
// volume-svc resolve them. (ExportBatch is exchange_export_test's, with the other services.)
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "catalog_harness.h"
#include "common/catalog_auth.h"

namespace {

// ---------------------------------------------------------------- remote key resolution

// A service of its own (as contract-svc will be) that answers who called it: the organization
// in name, the region in code.
vbp_status who_am_i(vbp_call *call, const ProtobufCMessage *, ProtobufCMessage **response) {
  const vbp_caller *who = vbp_call_caller(call);
  auto *r = static_cast<Vbp__V1__Region *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__Region)));
  vbp__v1__region__init(r);
  r->name = vbp_arena_strdup(vbp_call_arena(call), who->org_id);
  r->code = vbp_arena_strdup(vbp_call_arena(call), who->region_code);
  r->level = static_cast<Vbp__V1__RegionLevel>(who->role);
  *response = &r->base;
  return vbp_status_ok();
}

const vbp_method kWhoAmI[] = {{"/test.Other/WhoAmI", &vbp__v1__region__descriptor,
                               &vbp__v1__region__descriptor, who_am_i, nullptr,
                               VBP_ALLOW_ANY_CALLER}};

// Another service whose authenticator resolves keys through catalog_client.
class OtherService {
 public:
  explicit OtherService(vbp_client *catalog_client) {
    auth_ = vbp_authenticator_create(kAdminKey, kSecret, vbp_catalog_resolve_key, catalog_client,
                                     10000, 64);
    vbp_server_config config{};
    config.service = "other-svc";
    config.listen_addr = "127.0.0.1:0";
    config.workers = 2;
    config.methods = kWhoAmI;
    config.n_methods = 1;
    config.auth = auth_;
    status_ = vbp_server_start(&config, &server_);
    if (vbp_ok(&status_))
      status_ = vbp_client_open(("127.0.0.1:" + std::to_string(vbp_server_port(server_))).c_str(),
                                nullptr, &client_);
  }
  ~OtherService() {
    vbp_client_close(client_);
    vbp_server_stop(server_, 1000);
    vbp_authenticator_destroy(auth_);
  }
  const vbp_status &status() const { return status_; }

  vbp_status call(const std::string &bearer, Vbp__V1__Region **answer) {
    Vbp__V1__Region req = VBP__V1__REGION__INIT;
    vbp_call_options options{};
    options.bearer_key = bearer.c_str();
    ProtobufCMessage *resp = nullptr;
    vbp_status st = vbp_client_call(client_, &kWhoAmI[0], &req.base, &options, nullptr, &resp);
    *answer = reinterpret_cast<Vbp__V1__Region *>(resp);
    return st;
  }

 private:
  vbp_authenticator *auth_ = nullptr;
  vbp_server *server_ = nullptr;
  vbp_client *client_ = nullptr;
  vbp_status status_{};
};

class RemoteKeys : public CatalogTest {};

TEST_F(RemoteKeys, AnotherServiceKnowsTheKeysOrganizationRoleAndRegion) {
  std::string key = key_for("remote-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350100");
  OtherService other(CatalogStack::instance()->client());
  ASSERT_TRUE(IsOk(other.status()));
  Vbp__V1__Region *who = nullptr;
  ASSERT_TRUE(IsOk(other.call(key, &who)));
  EXPECT_STREQ(who->name, "remote-bureau");
  EXPECT_STREQ(who->code, "350100");
  EXPECT_EQ(who->level, static_cast<int>(VBP_ROLE_BUREAU));
  protobuf_c_message_free_unpacked(&who->base, nullptr);
}

TEST_F(RemoteKeys, AnUnknownKeyIsUnauthenticated) {
  OtherService other(CatalogStack::instance()->client());
  Vbp__V1__Region *who = nullptr;
  EXPECT_TRUE(IsRefused(other.call("vbp_not-a-key", &who), VBP_UNAUTHENTICATED, ""));
}

TEST_F(RemoteKeys, TheAdminKeyNeedsNoLookup) {
  OtherService other(CatalogStack::instance()->client());
  Vbp__V1__Region *who = nullptr;
  ASSERT_TRUE(IsOk(other.call(kAdminKey, &who)));
  EXPECT_EQ(who->level, static_cast<int>(VBP_ROLE_ADMIN));
  protobuf_c_message_free_unpacked(&who->base, nullptr);
}

TEST_F(RemoteKeys, ACatalogThatCannotBeReachedIsUnavailableNotUnauthenticated) {
  vbp_client *nowhere = nullptr;
  ASSERT_TRUE(IsOk(vbp_client_open("127.0.0.1:1", kSecret, &nowhere)));
  {
    OtherService other(nowhere);
    Vbp__V1__Region *who = nullptr;
    EXPECT_TRUE(IsRefused(other.call("vbp_some-key", &who), VBP_UNAVAILABLE, ""));
  }
  vbp_client_close(nowhere);
}

TEST_F(RemoteKeys, ACatalogClientWithTheWrongSecretIsNotTrusted) {
  // The resolver signs as SERVICE; with a forged signature catalog-svc refuses it, and the key
  // cannot be checked.
  std::string key = key_for("remote-maker", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  OtherService other(CatalogStack::instance()->forger());
  Vbp__V1__Region *who = nullptr;
  EXPECT_TRUE(IsRefused(other.call(key, &who), VBP_UNAVAILABLE, ""));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  return RUN_ALL_TESTS();
}
