// ExportBatch (server-streaming) and bearer keys resolved remotely through catalog-svc's
// Authenticate, as contract-, pricing- and volume-svc will resolve them.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "catalog_harness.h"
#include "common/catalog_auth.h"

namespace {

const vbp_method *method_named(const char *path) {
  for (size_t i = 0; i < catalog_methods_count; i++)
    if (std::strcmp(catalog_methods[i].path, path) == 0) return &catalog_methods[i];
  return nullptr;
}

// What one export stream delivered: the record kinds in order and the result product ids.
struct Exported {
  std::vector<int> kinds;
  std::vector<std::string> product_ids;
  std::string batch_code;
};

bool collect(void *ctx, const ProtobufCMessage *message) {
  auto *out = static_cast<Exported *>(ctx);
  auto *record = reinterpret_cast<const Vbp__V1__ExchangeRecord *>(message);
  out->kinds.push_back(record->record_case);
  if (record->record_case == VBP__V1__EXCHANGE_RECORD__RECORD_BATCH)
    out->batch_code = record->batch->code;
  if (record->record_case == VBP__V1__EXCHANGE_RECORD__RECORD_RESULT)
    out->product_ids.push_back(record->result->product_id);
  return true;
}

vbp_status export_batch(const std::string &bearer, const std::string &code, Exported *out) {
  Vbp__V1__ExportBatchRequest req = VBP__V1__EXPORT_BATCH_REQUEST__INIT;
  req.code = const_cast<char *>(code.c_str());
  vbp_call_options options{};
  options.timeout_ms = 30000;
  if (!bearer.empty()) options.bearer_key = bearer.c_str();
  return vbp_client_stream(CatalogStack::instance()->client(),
                           method_named("/vbp.v1.CatalogService/ExportBatch"), &req.base, &options,
                           collect, out);
}

class CatalogExport : public CatalogTest {};

TEST_F(CatalogExport, StreamsTheBatchThenEveryResultInProductOrderAcrossPages) {
  const std::string code = "EXPORT-2024-01";
  ensure_interferon_batch(code);
  ensure_org("export-maker", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
  ASSERT_TRUE(IsOk(create_group(Caller::key(alliance_key()), code, "g1", "重组人干扰素α2b", true)));
  // 501 results: one more than a page of the export, so the page loop is crossed.
  std::vector<std::string> expected;
  for (int i = 0; i < 501; i++) {
    char id[32];
    std::snprintf(id, sizeof id, "exp-p%04d", i);
    expected.push_back(id);
    ProductSpec p;
    p.id = id;
    p.generic_name = "重组人干扰素α2b";
    p.dosage_form = "注射剂";
    p.specification = "300万IU";
    p.unit = "支";
    p.manufacturer_id = "export-maker";
    ASSERT_TRUE(IsOk(create_product(Caller::admin(), p)));
    ResultSpec r;
    r.batch_code = code;
    r.product_id = id;
    r.group_id = "g1";
    r.status = i == 0 ? VBP__V1__RESULT_STATUS__WINNING : VBP__V1__RESULT_STATUS__NON_WINNING;
    r.winning_price = i == 0 ? "30" : "";
    r.share_percent = i == 0 ? 100 : 0;
    ASSERT_TRUE(IsOk(publish_result(Caller::key(alliance_key()), r)));
  }
  Exported got;
  ASSERT_TRUE(IsOk(export_batch(kAdminKey, code, &got)));
  ASSERT_EQ(got.kinds.size(), 502u);
  EXPECT_EQ(got.kinds[0], VBP__V1__EXCHANGE_RECORD__RECORD_BATCH);
  EXPECT_EQ(got.batch_code, code);
  EXPECT_EQ(got.product_ids, expected);
}

TEST_F(CatalogExport, AMissingBatchIsNotFound) {
  Exported got;
  EXPECT_TRUE(IsRefused(export_batch(kAdminKey, "NO-SUCH-BATCH", &got), VBP_NOT_FOUND, ""));
  EXPECT_TRUE(got.kinds.empty());
}

TEST_F(CatalogExport, WithoutAKeyIsUnauthenticated) {
  Exported got;
  EXPECT_TRUE(IsRefused(export_batch("", "ANY", &got), VBP_UNAUTHENTICATED, ""));
}

TEST_F(CatalogExport, AMalformedCodeIsRefusedOnCode) {
  Exported got;
  EXPECT_TRUE(IsRefused(export_batch(kAdminKey, "a b", &got), VBP_INVALID_ARGUMENT, "code"));
}

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
