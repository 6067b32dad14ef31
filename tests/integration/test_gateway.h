// A gateway in-process for integration tests, wired as gateway/main.c wires it (routes from a
// descriptor set, one client per backend service, the key cache and its revocation watcher, the
// limit on failed authentications, no rate limit per key), serving HTTP on 127.0.0.1:<free port>;
// and a plain HTTP/1.1 client to call it.
#ifndef VBP_TEST_GATEWAY_H
#define VBP_TEST_GATEWAY_H

#include <string>
#include <utility>
#include <vector>

#include "gateway/gateway.h"

struct TestGatewayOptions {
  std::string descriptor_set;
  std::vector<const ProtobufCServiceDescriptor *> services;
  // Service full name ("vbp.v1.CatalogService") -> a client of it (borrowed; opened with secret).
  std::vector<std::pair<std::string, vbp_client *>> backends;
  std::string admin_key, secret;
  vbp_client *catalog = nullptr;      // Authenticate (borrowed); nullptr: bearer keys fail
  vbp_client *revocations = nullptr;  // ListKeyRevocations (borrowed); nullptr: no watcher
  int key_cache_ttl_ms = 30000;       // main.c's default
  int revocation_poll_ms = 200;
  int auth_failure_rps = 5, auth_failure_burst = 20;  // main.c's defaults; 0 rps: no limit
};

class TestGateway {
 public:
  explicit TestGateway(const TestGatewayOptions &options);
  ~TestGateway();
  TestGateway(const TestGateway &) = delete;
  TestGateway &operator=(const TestGateway &) = delete;

  // Empty when it serves; otherwise why it does not.
  const std::string &failure() const { return failure_; }
  int port() const { return server_.port; }

 private:
  std::string failure_;
  std::string admin_key_, secret_;
  gw_routes *routes_ = nullptr;
  std::vector<std::string> names_, backend_names_;
  gw_server server_{};
};

// Starts a gRPC server of methods[0..n) on 127.0.0.1:<free port> with auth (borrowed) and
// context, and opens *client to it, signing callers with secret (nullptr: bearer keys only).
// Stop and close them as usual.
vbp_status test_backend_start(const vbp_method *methods, size_t n, vbp_authenticator *auth,
                              void *context, const char *secret, vbp_server **server,
                              vbp_client **client);

struct Http {
  int status = 0;  // 0: no answer
  std::string headers, body;
  // The value of header name (case-insensitive), or "" when absent.
  std::string header(const std::string &name) const;
};

// One HTTP/1.1 request on a connection of its own, read to the end. headers: "Name: value\r\n"
// lines; a body is sent as JSON.
Http http_request(int port, const std::string &method, const std::string &path,
                  const std::string &headers = "", const std::string &body = "");

// "Authorization: Bearer <key>\r\n".
std::string bearer_header(const std::string &key);

#endif
