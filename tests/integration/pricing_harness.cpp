#include "pricing_harness.h"

#include <chrono>
#include <thread>

#include "common/catalog_auth.h"
#include "pricing-svc/store.h"
#include "test_stack.h"

PricingStack *PricingStack::g_pricing = nullptr;

void PricingStack::SetUp() {
  g_pricing = this;
  CatalogStack *catalog = CatalogStack::instance();
  if (catalog == nullptr || !catalog->failure().empty()) return;
  std::string dsn =
      vbp_test_dsn_with(catalog->dsn(), "options", "-csearch_path=pricing -cdatestyle=ISO");
  vbp_status st = vbp_pg_pool_open(dsn.c_str(), 4, &pool_);
  ASSERT_TRUE(IsOk(st));
  ASSERT_TRUE(IsOk(pricing_store_migrate(pool_)));
  ASSERT_TRUE(IsOk(vbp_redis_open(vbp_test_env("VBP_REDIS_ADDR").c_str(), 50, &redis_)));
  auth_ = vbp_authenticator_create(kAdminKey, kSecret, vbp_catalog_resolve_key, catalog->client(),
                                   1000, 64);
  start();
}

void PricingStack::TearDown() {
  stop();
  if (client_ && CatalogStack::instance()) CatalogStack::instance()->set_pricing(nullptr);
  vbp_client_close(client_);
  vbp_client_close(forger_);
  vbp_authenticator_destroy(auth_);
  vbp_redis_close(redis_);
  vbp_pg_pool_close(pool_);
  g_pricing = nullptr;
}

void PricingStack::start() {
  metrics_ = vbp_metrics_for_methods("pricing-svc", pricing_methods, pricing_methods_count);
  service_ = pricing_service{};
  service_.pool = pool_;
  service_.redis = redis_;
  service_.catalog = CatalogStack::instance()->client();
  pricing_service_start(&service_, metrics_);
  config_ = vbp_server_config{};
  config_.service = "pricing-svc";
  config_.listen_addr = addr_.c_str();
  config_.workers = 4;
  config_.methods = pricing_methods;
  config_.n_methods = pricing_methods_count;
  config_.context = &service_;
  config_.auth = auth_;
  config_.metrics = metrics_;
  config_.ready = pricing_ready;
  vbp_status st = vbp_server_start(&config_, &server_);
  ASSERT_TRUE(IsOk(st)) << "starting pricing-svc on " << addr_;
  if (addr_ == "127.0.0.1:0") {
    addr_ = "127.0.0.1:" + std::to_string(vbp_server_port(server_));
    ASSERT_TRUE(IsOk(vbp_client_open(addr_.c_str(), kSecret, &client_)));
    ASSERT_TRUE(IsOk(vbp_client_open(addr_.c_str(), "not-the-secret", &forger_)));
    CatalogStack::instance()->set_pricing(client_);
  }
  // After a restart the channel may be backing off from the refused connections: wait for it.
  vbp_status up = vbp_status_make(VBP_UNAVAILABLE, "not asked");
  for (int i = 0; i < 100 && !vbp_ok(&up); i++) {
    up = vbp_client_health(client_, "liveness", 500);
    if (!vbp_ok(&up)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(IsOk(up));
}

void PricingStack::stop() {
  vbp_server_stop(server_, 1000);
  server_ = nullptr;
  pricing_service_stop(&service_);
  vbp_metrics_destroy(metrics_);
  metrics_ = nullptr;
}

const vbp_method *pricing_method(const char *rpc) {
  std::string path = std::string("/vbp.v1.PricingService/") + rpc;
  for (size_t i = 0; i < pricing_methods_count; i++)
    if (path == pricing_methods[i].path) return &pricing_methods[i];
  return nullptr;
}
