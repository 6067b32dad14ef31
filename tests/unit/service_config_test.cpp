// The settings every service reads through the shared main (common/service.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

extern "C" {
#include "common/service.h"
}

namespace {

class ServiceConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char *name : kNames) unsetenv(name);
    setenv("VBP_ADMIN_KEY", "admin", 1);
    setenv("VBP_INTERNAL_SECRET", "secret", 1);
    def.name = "test-svc";
    def.schema = "test";
    def.addr_env = "VBP_TEST_ADDR";
    def.addr_default = "127.0.0.1:50099";
    def.metrics_env = "VBP_TEST_METRICS_ADDR";
    def.metrics_default = "127.0.0.1:9199";
    def.workers_per_core = 2;
  }
  void TearDown() override {
    for (const char *name : kNames) unsetenv(name);
  }

  static constexpr const char *kNames[] = {
      "VBP_ADMIN_KEY",    "VBP_INTERNAL_SECRET", "VBP_WORKERS",          "VBP_PG_POOL_SIZE",
      "VBP_PG_DSN",       "VBP_LOG_LEVEL",       "VBP_REDIS_ADDR",       "VBP_REDIS_TIMEOUT_MS",
      "VBP_CATALOG_ADDR", "VBP_TEST_ADDR",       "VBP_TEST_METRICS_ADDR"};
  vbp_service_def def{};
};

TEST_F(ServiceConfig, DefaultsAndTheSchemaOnEveryConnection) {
  vbp_service_config c;
  vbp_status st = vbp_service_config_read(&def, &c);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_STREQ(c.listen_addr, "127.0.0.1:50099");
  EXPECT_STREQ(c.metrics_addr, "127.0.0.1:9199");
  EXPECT_STREQ(c.pg_dsn,
               "host=127.0.0.1 port=55432 dbname=vbp user=vbp "
               "options='-csearch_path=test -cdatestyle=ISO'");
  EXPECT_EQ(c.pg_pool_size, 8);
  EXPECT_EQ(c.workers % 2, 0);  // two per core
  EXPECT_EQ(c.redis_addr, nullptr);
  EXPECT_EQ(c.catalog_addr, nullptr);
  vbp_service_config_fini(&c);
}

TEST_F(ServiceConfig, ALongDsnIsKeptWhole) {
  std::string dsn = "host=127.0.0.1 application_name=" + std::string(3000, 'a');
  setenv("VBP_PG_DSN", dsn.c_str(), 1);
  vbp_service_config c;
  ASSERT_EQ(vbp_service_config_read(&def, &c).code, VBP_OK);
  EXPECT_EQ(std::string(c.pg_dsn), dsn + " options='-csearch_path=test -cdatestyle=ISO'");
  vbp_service_config_fini(&c);
}

TEST_F(ServiceConfig, RedisAndCatalogOnlyForServicesThatUseThem) {
  def.uses_redis = true;
  def.uses_catalog = true;
  setenv("VBP_CATALOG_ADDR", "127.0.0.1:6000", 1);
  vbp_service_config c;
  ASSERT_EQ(vbp_service_config_read(&def, &c).code, VBP_OK);
  EXPECT_STREQ(c.redis_addr, "127.0.0.1:56379");
  EXPECT_EQ(c.redis_timeout_ms, 50);
  EXPECT_STREQ(c.catalog_addr, "127.0.0.1:6000");
  vbp_service_config_fini(&c);
}

TEST_F(ServiceConfig, AMissingOrMalformedVariableIsNamed) {
  struct Case {
    const char *name, *value;
    vbp_code code;
  } cases[] = {
      {"VBP_ADMIN_KEY", nullptr, VBP_FAILED_PRECONDITION},
      {"VBP_INTERNAL_SECRET", "", VBP_FAILED_PRECONDITION},
      {"VBP_WORKERS", "0", VBP_INVALID_ARGUMENT},
      {"VBP_WORKERS", "two", VBP_INVALID_ARGUMENT},
      {"VBP_PG_POOL_SIZE", "257", VBP_INVALID_ARGUMENT},
      {"VBP_LOG_LEVEL", "loud", VBP_INVALID_ARGUMENT},
      {"VBP_REDIS_TIMEOUT_MS", "-5", VBP_INVALID_ARGUMENT},
  };
  def.uses_redis = true;
  for (const Case &k : cases) {
    SetUp();
    def.uses_redis = true;
    if (k.value)
      setenv(k.name, k.value, 1);
    else
      unsetenv(k.name);
    vbp_service_config c;
    vbp_status st = vbp_service_config_read(&def, &c);
    EXPECT_EQ(st.code, k.code) << k.name;
    EXPECT_STREQ(st.field, k.name) << st.message;
    if (st.code == VBP_OK) vbp_service_config_fini(&c);
  }
}

}  // namespace
