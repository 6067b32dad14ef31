// The contract stack of the integration tests: contract-svc's core (the code that ships) served
// in-process over real gRPC on a port of its own, against the catalog stack's database (schema
// contract), calling the in-process catalog-svc and volume-svc (through a client of its own to
// the volume stack's server, as contract-svc's main opens one). Register it after CatalogStack,
// PricingStack and VolumeStack.
#ifndef CONTRACT_HARNESS_H
#define CONTRACT_HARNESS_H

#include <gtest/gtest.h>

#include <string>

#include "catalog_harness.h"
#include "contract-svc/service.h"
#include "volume_harness.h"

class ContractStack : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  static ContractStack *instance() { return g_contract; }
  vbp_client *client() const { return client_; }
  vbp_client *forger() const { return forger_; }
  // The database as contract-svc sees it (search_path contract), for inspection from outside.
  const std::string &dsn() const { return dsn_; }

 private:
  static ContractStack *g_contract;
  std::string dsn_;
  vbp_pg_pool *pool_ = nullptr;
  vbp_authenticator *auth_ = nullptr;
  vbp_client *volume_ = nullptr;  // contract-svc's own client of volume-svc
  contract_service service_{};
  vbp_server_config config_{};
  vbp_server *server_ = nullptr;
  vbp_client *client_ = nullptr;
  vbp_client *forger_ = nullptr;  // signs with another secret
};

// ContractService method `rpc` as the stack serves it.
const vbp_method *contract_method(const char *rpc);

template <class M>
Reply<M> contract_call(const char *rpc, const Caller &who, const ProtobufCMessage *request) {
  ContractStack *stack = ContractStack::instance();
  return reply_of<M>(stack->client(), stack->forger(), contract_method(rpc), who, request, 60000);
}

#endif
