// The volume stack of the integration tests: volume-svc's core (the code that ships) served
// in-process over real gRPC on a port of its own, against the catalog stack's database (schema
// volume), calling the in-process catalog-svc and pricing-svc. Register it after CatalogStack
// and PricingStack.
#ifndef VOLUME_HARNESS_H
#define VOLUME_HARNESS_H

#include <gtest/gtest.h>

#include <string>

#include "catalog_harness.h"
#include "pricing_harness.h"
#include "volume-svc/service.h"

class VolumeStack : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  static VolumeStack *instance() { return g_volume; }
  vbp_client *client() const { return client_; }
  vbp_client *forger() const { return forger_; }
  // The database as volume-svc sees it (search_path volume), for inspection from outside.
  const std::string &dsn() const { return dsn_; }
  // Where it listens ("127.0.0.1:<port>"), for another service's client (contract-svc's).
  const std::string &addr() const { return addr_; }

 private:
  static VolumeStack *g_volume;
  std::string dsn_, addr_;
  vbp_pg_pool *pool_ = nullptr;
  vbp_authenticator *auth_ = nullptr;
  volume_service service_{};
  vbp_server_config config_{};
  vbp_server *server_ = nullptr;
  vbp_client *client_ = nullptr;
  vbp_client *forger_ = nullptr;  // signs with another secret
};

// VolumeService method `rpc` as the stack serves it.
const vbp_method *volume_method(const char *rpc);

template <class M>
Reply<M> volume_call(const char *rpc, const Caller &who, const ProtobufCMessage *request) {
  VolumeStack *stack = VolumeStack::instance();
  return reply_of<M>(stack->client(), stack->forger(), volume_method(rpc), who, request, 60000);
}

#endif
