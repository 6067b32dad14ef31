// The pricing stack of the integration tests: pricing-svc's core (the code that ships) served
// in-process over real gRPC on a port of its own, against the catalog stack's database (schema
// pricing), the stack's Redis and the in-process catalog-svc, which pushes to it. Register it
// after CatalogStack.
#ifndef PRICING_HARNESS_H
#define PRICING_HARNESS_H

#include <gtest/gtest.h>

#include <string>

#include "catalog_harness.h"
#include "common/metrics.h"
#include "common/redis.h"
#include "pricing-svc/service.h"

// stop() and start() take it down and up again on the same port, as a restart would.
class PricingStack : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
  void start();
  void stop();

  static PricingStack *instance() { return g_pricing; }
  vbp_client *client() const { return client_; }
  vbp_client *forger() const { return forger_; }
  pricing_service &service() { return service_; }
  const std::string &addr() const { return addr_; }

 private:
  static PricingStack *g_pricing;
  std::string addr_ = "127.0.0.1:0";
  vbp_pg_pool *pool_ = nullptr;
  vbp_redis *redis_ = nullptr;
  vbp_authenticator *auth_ = nullptr;
  vbp_metrics *metrics_ = nullptr;
  pricing_service service_{};
  vbp_server_config config_{};
  vbp_server *server_ = nullptr;
  vbp_client *client_ = nullptr;
  vbp_client *forger_ = nullptr;  // signs with another secret
};

// PricingService method `rpc` as the stack serves it.
const vbp_method *pricing_method(const char *rpc);

template <class M>
Reply<M> pricing_call(const char *rpc, const Caller &who, const ProtobufCMessage *request) {
  PricingStack *stack = PricingStack::instance();
  return reply_of<M>(stack->client(), stack->forger(), pricing_method(rpc), who, request);
}

#endif
