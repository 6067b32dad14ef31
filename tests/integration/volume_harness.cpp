#include "volume_harness.h"

#include <chrono>
#include <thread>

#include "common/catalog_auth.h"
#include "test_stack.h"
#include "volume-svc/store.h"

VolumeStack *VolumeStack::g_volume = nullptr;

void VolumeStack::SetUp() {
  g_volume = this;
  CatalogStack *catalog = CatalogStack::instance();
  PricingStack *pricing = PricingStack::instance();
  if (catalog == nullptr || !catalog->failure().empty() || pricing == nullptr) return;
  dsn_ = vbp_test_dsn_with(catalog->dsn(), "options", "-csearch_path=volume -cdatestyle=ISO");
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(dsn_.c_str(), 8, &pool_)));
  ASSERT_TRUE(IsOk(volume_store_migrate(pool_)));
  auth_ = vbp_authenticator_create(kAdminKey, kSecret, vbp_catalog_resolve_key, catalog->client(),
                                   1000, 64);
  service_.pool = pool_;
  service_.auth = auth_;
  service_.catalog = catalog->client();
  service_.inputs = vbp_memo_create(64);
  service_.pricing = pricing->client();
  config_.service = "volume-svc";
  config_.listen_addr = "127.0.0.1:0";
  config_.workers = 8;
  config_.methods = volume_methods;
  config_.n_methods = volume_methods_count;
  config_.context = &service_;
  config_.auth = auth_;
  config_.ready = volume_ready;
  ASSERT_TRUE(IsOk(vbp_server_start(&config_, &server_)));
  addr_ = "127.0.0.1:" + std::to_string(vbp_server_port(server_));
  ASSERT_TRUE(IsOk(vbp_client_open(addr_.c_str(), kSecret, &client_)));
  ASSERT_TRUE(IsOk(vbp_client_open(addr_.c_str(), "not-the-secret", &forger_)));
  vbp_status up = vbp_status_make(VBP_UNAVAILABLE, "not asked");
  for (int i = 0; i < 100 && !vbp_ok(&up); i++) {
    up = vbp_client_health(client_, "liveness", 500);
    if (!vbp_ok(&up)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(IsOk(up));
}

void VolumeStack::TearDown() {
  vbp_server_stop(server_, 1000);
  vbp_client_close(client_);
  vbp_client_close(forger_);
  vbp_authenticator_destroy(auth_);
  vbp_pg_pool_close(pool_);
  vbp_memo_destroy(service_.inputs);
  g_volume = nullptr;
}

const vbp_method *volume_method(const char *rpc) {
  std::string path = std::string("/vbp.v1.VolumeService/") + rpc;
  for (size_t i = 0; i < volume_methods_count; i++)
    if (path == volume_methods[i].path) return &volume_methods[i];
  return nullptr;
}
