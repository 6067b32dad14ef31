#include "test_gateway.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/catalog_auth.h"
#include "gateway/limiter.h"

TestGateway::TestGateway(const TestGatewayOptions &o) : admin_key_(o.admin_key), secret_(o.secret) {
  vbp_status st =
      gw_routes_load(o.descriptor_set.c_str(), o.services.data(), o.services.size(), &routes_);
  if (!vbp_ok(&st)) {
    failure_ = std::string("routes: ") + st.message;
    return;
  }
  size_t n = gw_routes_count(routes_);
  server_.methods = static_cast<vbp_method *>(vbp_xcalloc(n ? n : 1, sizeof(vbp_method)));
  for (size_t i = 0; i < n; i++) {
    const gw_route *route = gw_routes_at(routes_, i);
    server_.methods[i].path = route->rpc_path;
    server_.methods[i].request = route->request;
    server_.methods[i].response = route->response;
    names_.push_back(route->method);
  }
  names_.push_back("operations");
  names_.push_back("unmatched");
  std::vector<const char *> names;
  for (const std::string &name : names_) names.push_back(name.c_str());
  server_.config.listen_addr = "127.0.0.1:0";
  server_.config.admin_key = admin_key_.c_str();
  server_.config.secret = secret_.c_str();
  server_.config.threads = 2;
  server_.config.key_cache_ttl_ms = o.key_cache_ttl_ms;
  server_.routes = routes_;
  server_.metrics = vbp_metrics_create("gateway", names.data(), names.size());
  server_.backend_errors = vbp_metrics_counter(server_.metrics, "vbp_gateway_backend_errors_total",
                                               "Backend calls that failed.");
  server_.limiter = gw_limiter_create(0, 0, 1);
  server_.auth_failures = gw_limiter_create(o.auth_failure_rps, o.auth_failure_burst, 1024);
  server_.auth = vbp_authenticator_create(admin_key_.c_str(), secret_.c_str(), nullptr, nullptr,
                                          o.key_cache_ttl_ms, 1024);
  backend_names_.reserve(o.backends.size());  // the backends point into it
  for (const auto &backend : o.backends) {
    backend_names_.push_back(backend.first);
    gw_backend &b = server_.backends[server_.n_backends++];
    b.service = b.name = backend_names_.back().c_str();
    b.client = backend.second;
  }
  server_.catalog = o.catalog;
  if (o.revocations)
    vbp_authenticator_watch(server_.auth, vbp_catalog_key_revocations, o.revocations,
                            o.revocation_poll_ms);
  st = gw_server_start(&server_);
  if (!vbp_ok(&st)) failure_ = std::string("serve: ") + st.message;
}

TestGateway::~TestGateway() {
  gw_server_stop(&server_, 2000);
  vbp_authenticator_destroy(server_.auth);
  gw_limiter_destroy(server_.limiter);
  gw_limiter_destroy(server_.auth_failures);
  vbp_metrics_destroy(server_.metrics);
  free(server_.methods);
  gw_routes_destroy(routes_);
}

vbp_status test_backend_start(const vbp_method *methods, size_t n, vbp_authenticator *auth,
                              void *context, const char *secret, vbp_server **server,
                              vbp_client **client) {
  vbp_server_config config{};
  config.service = "test-backend";
  config.listen_addr = "127.0.0.1:0";
  config.workers = 2;
  config.methods = methods;
  config.n_methods = n;
  config.context = context;
  config.auth = auth;
  vbp_status st = vbp_server_start(&config, server);
  if (!vbp_ok(&st)) return st;
  std::string target = "127.0.0.1:" + std::to_string(vbp_server_port(*server));
  return vbp_client_open(target.c_str(), secret, client);
}

std::string Http::header(const std::string &name) const {
  size_t at = 0;
  while ((at = headers.find("\r\n", at)) != std::string::npos) {
    at += 2;
    if (strncasecmp(headers.c_str() + at, name.c_str(), name.size()) == 0 &&
        headers.compare(at + name.size(), 2, ": ") == 0) {
      size_t start = at + name.size() + 2;
      return headers.substr(start, headers.find("\r\n", start) - start);
    }
  }
  return "";
}

Http http_request(int port, const std::string &method, const std::string &path,
                  const std::string &headers, const std::string &body) {
  Http out;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    close(fd);
    return out;
  }
  std::string text = method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n";
  text += headers;
  if (!body.empty())
    text +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n" + body;
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    close(fd);
    return out;
  }
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t split = answer.find("\r\n\r\n");
  if (answer.size() < 12 || split == std::string::npos) return out;
  out.status = std::stoi(answer.substr(9, 3));
  out.headers = answer.substr(0, split);
  out.body = answer.substr(split + 4);
  return out;
}

std::string bearer_header(const std::string &key) {
  return "Authorization: Bearer " + key + "\r\n";
}
