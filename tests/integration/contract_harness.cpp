#include "contract_harness.h"

#include <chrono>
#include <thread>

#include "common/catalog_auth.h"
#include "contract-svc/store.h"
#include "test_stack.h"

ContractStack *ContractStack::g_contract = nullptr;

void ContractStack::SetUp() {
  g_contract = this;
  CatalogStack *catalog = CatalogStack::instance();
  VolumeStack *volume = VolumeStack::instance();
  if (catalog == nullptr || !catalog->failure().empty() || volume == nullptr) return;
  dsn_ = vbp_test_dsn_with(catalog->dsn(), "options", "-csearch_path=contract -cdatestyle=ISO");
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(dsn_.c_str(), 8, &pool_)));
  ASSERT_TRUE(IsOk(contract_store_migrate(pool_)));
  auth_ = vbp_authenticator_create(kAdminKey, kSecret, vbp_catalog_resolve_key, catalog->client(),
                                   1000, 64);
  // As contract-svc's main: a client of volume-svc's address, signing with the shared secret.
  ASSERT_TRUE(IsOk(vbp_client_open(volume->addr().c_str(), kSecret, &volume_)));
  service_.pool = pool_;
  service_.auth = auth_;
  service_.catalog = catalog->client();
  service_.volume = volume_;
  service_.windows = vbp_memo_create(64);
  config_.service = "contract-svc";
  config_.listen_addr = "127.0.0.1:0";
  config_.workers = 8;
  config_.methods = contract_methods;
  config_.n_methods = contract_methods_count;
  config_.context = &service_;
  config_.auth = auth_;
  config_.ready = contract_ready;
  ASSERT_TRUE(IsOk(vbp_server_start(&config_, &server_)));
  std::string addr = "127.0.0.1:" + std::to_string(vbp_server_port(server_));
  ASSERT_TRUE(IsOk(vbp_client_open(addr.c_str(), kSecret, &client_)));
  ASSERT_TRUE(IsOk(vbp_client_open(addr.c_str(), "not-the-secret", &forger_)));
  vbp_status up = vbp_status_make(VBP_UNAVAILABLE, "not asked");
  for (int i = 0; i < 100 && !vbp_ok(&up); i++) {
    up = vbp_client_health(client_, "liveness", 500);
    if (!vbp_ok(&up)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(IsOk(up));
}

void ContractStack::TearDown() {
  vbp_server_stop(server_, 1000);
  vbp_client_close(client_);
  vbp_client_close(forger_);
  vbp_client_close(volume_);
  vbp_authenticator_destroy(auth_);
  vbp_pg_pool_close(pool_);
  vbp_memo_destroy(service_.windows);
  g_contract = nullptr;
}

const vbp_method *contract_method(const char *rpc) {
  std::string path = std::string("/vbp.v1.ContractService/") + rpc;
  for (size_t i = 0; i < contract_methods_count; i++)
    if (path == contract_methods[i].path) return &contract_methods[i];
  return nullptr;
}
