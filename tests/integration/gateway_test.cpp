// The gateway in-process, serving a method that exists only in a test proto
// (tests/proto/gw_routes_test.proto: gwtest.TestService) from its HTTP option alone: routes and
// JSON come from the descriptors, so adding a method needs no gateway code. The backend is a
// real gRPC server of ours; the caller reaches it in signed metadata.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/docs.h"
#include "gateway/gateway.h"
#include "gateway/limiter.h"
#include "gunzip.h"
#include "gw_routes_test.pb-c.h"
#include "test_gateway.h"

namespace {

const char *const kAdminKey = "gateway-test-admin-key";
const char *const kSecret = "gateway-test-secret";
const char *const kPortal = "https://portal.example";  // VBP_CORS_ORIGINS

// The backend: Hello greets the name (loudly if asked) and says who called; Goodbye refuses an
// empty name on the field, as a service does.
vbp_status hello(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
  auto *in = reinterpret_cast<const Gwtest__HelloRequest *>(request);
  if (std::strcmp(in->name, "sleepy") == 0) usleep(400000);     // longer than the test's deadline
  if (std::strcmp(in->name, "slowpoke") == 0) usleep(1500000);  // longer than a stop's grace
  // As pricing-svc does: the versions the answer reflects.
  if (std::strncmp(in->name, "tagged", 6) == 0) vbp_call_set_header(call, "vbp-etag", "7.3");
  auto *out = static_cast<Gwtest__HelloReply *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Gwtest__HelloReply)));
  gwtest__hello_reply__init(out);
  const char *role = vbp_role_name(vbp_call_caller(call)->role);
  out->greeting = vbp_arena_printf(vbp_call_arena(call), "hello %s%s (%s, %zu tags, count %lld)",
                                   in->name, in->loud ? "!" : "", role ? role : "?", in->n_tags,
                                   static_cast<long long>(in->count));
  *response = &out->base;
  return vbp_status_ok();
}

vbp_status goodbye(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
  auto *in = reinterpret_cast<const Gwtest__HelloRequest *>(request);
  if (std::strcmp(in->name, "nobody") == 0) return vbp_invalid("name", "must name somebody");
  return hello(call, request, response);
}

const vbp_method kBackendMethods[] = {
    {"/gwtest.TestService/Hello", &gwtest__hello_request__descriptor,
     &gwtest__hello_reply__descriptor, hello, nullptr, VBP_ALLOW_ANY_CALLER},
    {"/gwtest.TestService/Goodbye", &gwtest__hello_request__descriptor,
     &gwtest__hello_reply__descriptor, goodbye, nullptr, VBP_ALLOW_ANY_CALLER},
};

// One HTTP/1.1 request on a connection of its own (test_gateway.h), with the admin key unless
// told otherwise.
Http request(int port, const std::string &method, const std::string &path,
             const std::string &body = "", bool with_key = true,
             const std::string &extra_headers = "") {
  return http_request(port, method, path,
                      (with_key ? bearer_header(kAdminKey) : "") + extra_headers, body);
}

// The value of header name in r ("" when absent; names compare without case).
std::string header_of(const Http &r, const std::string &name) {
  std::string lower_headers = r.headers, lower_name = "\r\n" + name + ": ";
  for (auto &c : lower_headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto &c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower_headers.find(lower_name);
  if (at == std::string::npos) return "";
  size_t start = at + lower_name.size(), end = r.headers.find("\r\n", start);
  return r.headers.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class GatewayTestProto : public ::testing::Test {
 protected:
  void SetUp() override {
    vbp_rpc_init();
    backend_auth_ = vbp_authenticator_create(kAdminKey, kSecret, nullptr, nullptr, 0, 1);
    gw_backend &b = srv_.backends[srv_.n_backends++];
    b.service = "gwtest.TestService";
    b.name = "test";
    ASSERT_EQ(test_backend_start(kBackendMethods, 2, backend_auth_, nullptr, kSecret, &backend_,
                                 &b.client)
                  .code,
              VBP_OK);

    const ProtobufCServiceDescriptor *services[] = {&gwtest__test_service__descriptor};
    vbp_status st = gw_routes_load(TEST_DESCRIPTOR_SET, services, 1, &routes_);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
    size_t n = gw_routes_count(routes_);
    methods_ = static_cast<vbp_method *>(calloc(n, sizeof(vbp_method)));
    const char *names[8] = {};
    for (size_t i = 0; i < n; i++) {
      const gw_route *route = gw_routes_at(routes_, i);
      methods_[i].path = route->rpc_path;
      methods_[i].request = route->request;
      methods_[i].response = route->response;
      names[i] = route->method;
    }
    names[n] = "operations";
    names[n + 1] = "unmatched";
    srv_.config.listen_addr = "127.0.0.1:0";
    srv_.config.admin_key = kAdminKey;
    srv_.config.secret = kSecret;
    srv_.config.threads = 2;
    srv_.config.cors_origins = kPortal;
    srv_.routes = routes_;
    srv_.methods = methods_;
    srv_.metrics = vbp_metrics_create("gateway", names, n + 2);
    srv_.auth = vbp_authenticator_create(kAdminKey, kSecret, nullptr, nullptr, 1000, 16);
    srv_.limiter = gw_limiter_create(0, 0, 1);
    ASSERT_EQ(gw_server_start(&srv_).code, VBP_OK);
    port_ = srv_.port;
  }

  void TearDown() override {
    gw_server_stop(&srv_, 2000);
    gw_docs_destroy(srv_.docs);
    for (size_t i = 0; i < srv_.n_backends; i++) vbp_client_close(srv_.backends[i].client);
    vbp_server_stop(backend_, 1000);
    gw_limiter_destroy(srv_.limiter);
    vbp_authenticator_destroy(srv_.auth);
    vbp_metrics_destroy(srv_.metrics);
    free(methods_);
    gw_routes_destroy(routes_);
    vbp_authenticator_destroy(backend_auth_);
    vbp_rpc_shutdown();
  }

  // The API explorer's files, as main.c loads them from VBP_DOCS_DIR (owned from here on).
  void UseDocs(gw_docs *docs) { srv_.docs = docs; }

  // What the gateway's main does after SIGTERM; TearDown's own stop then does nothing.
  void StopGateway(int grace_ms) { gw_server_stop(&srv_, grace_ms); }

  int port_ = 0;

 private:
  vbp_authenticator *backend_auth_ = nullptr;
  vbp_server *backend_ = nullptr;
  gw_routes *routes_ = nullptr;
  vbp_method *methods_ = nullptr;
  gw_server srv_{};
};

TEST_F(GatewayTestProto, AMethodAddedToAProtoIsServedWithQueryParametersAndTheCallerSigned) {
  Http r = request(port_, "GET", "/v1/hello/world?loud=true&tags=a&tags=b&count=7");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"j({"greeting":"hello world! (ADMIN, 2 tags, count 7)"})j");
  EXPECT_NE(r.headers.find("X-Request-Id: "), std::string::npos) << r.headers;
}

TEST_F(GatewayTestProto, ABodyAndACustomVerbReachTheBackend) {
  Http r = request(port_, "POST", "/v1/hello/moon:goodbye", R"({"count":"9","tags":["x"]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"j({"greeting":"hello moon (ADMIN, 1 tags, count 9)"})j");
}

TEST_F(GatewayTestProto, TheBackendsFieldErrorBecomesDetails) {
  Http r = request(port_, "POST", "/v1/hello/nobody:goodbye", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"code":"INVALID_ARGUMENT","message":"name must name somebody",)"
                    R"("details":[{"field":"name","reason":"must name somebody"}]})");
}

TEST_F(GatewayTestProto, WithoutAKeyNothingReachesTheBackend) {
  Http r = request(port_, "GET", "/v1/hello/world", "", false);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find(R"("code":"UNAUTHENTICATED")"), std::string::npos) << r.body;
}

TEST_F(GatewayTestProto, AWrongTypeIsRefusedBeforeTheBackend) {
  Http r = request(port_, "GET", "/v1/hello/world?count=many");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("field":"count")"), std::string::npos) << r.body;
}

TEST_F(GatewayTestProto, ABackendPastTheGrpcTimeoutIsGatewayTimeout) {
  Http r = request(port_, "GET", "/v1/hello/sleepy", "", true, "grpc-timeout: 100m\r\n");
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_NE(r.body.find(R"("code":"DEADLINE_EXCEEDED")"), std::string::npos) << r.body;
}

TEST_F(GatewayTestProto, MetricsCountRequestsByRouteAndCodeAndNothingIsLeftInFlight) {
  request(port_, "GET", "/v1/hello/world");
  request(port_, "GET", "/v1/hello/world", "", false);
  Http m = request(port_, "GET", "/metrics", "", false);
  EXPECT_NE(m.body.find(R"(method="Hello",code="OK"} 1)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(method="Hello",code="UNAUTHENTICATED"} 1)"), std::string::npos)
      << m.body;
  // The scrape itself is the one request in flight.
  EXPECT_NE(m.body.find(R"(vbp_rpc_in_flight{service="gateway"} 1)"), std::string::npos) << m.body;
}

TEST_F(GatewayTestProto, ReadinessAsksTheBackend) {
  Http r = request(port_, "GET", "/readyz", "", false);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"backends":{"test":"SERVING"},"status":"ready"})");
}

const std::string kFromPortal = std::string("Origin: ") + kPortal + "\r\n";

TEST_F(GatewayTestProto, APreflightFromAnAllowedOriginIsAllowedTheRoutesMethodsAndOurHeaders) {
  Http r = request(port_, "OPTIONS", "/v1/hello/bob", "", false,
                   kFromPortal +
                       "Access-Control-Request-Method: GET\r\n"
                       "Access-Control-Request-Headers: authorization,x-request-id\r\n");
  EXPECT_EQ(r.status, 204) << r.headers;
  EXPECT_EQ(header_of(r, "Access-Control-Allow-Origin"), kPortal);
  EXPECT_EQ(header_of(r, "Access-Control-Allow-Methods"), "GET");
  EXPECT_EQ(header_of(r, "Access-Control-Allow-Headers"),
            "Authorization, Content-Type, Idempotency-Key, X-Request-Id");
  EXPECT_EQ(header_of(r, "Access-Control-Max-Age"), "600");
  EXPECT_EQ(header_of(r, "Vary"), "Origin");
  EXPECT_EQ(header_of(r, "Access-Control-Allow-Credentials"), "");
  EXPECT_EQ(r.body, "");
}

TEST_F(GatewayTestProto, APreflightFromAnotherOriginIsRefusedWithoutCorsHeaders) {
  Http r = request(port_, "OPTIONS", "/v1/hello/bob", "", false,
                   "Origin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\n");
  EXPECT_EQ(r.status, 403) << r.headers;
  EXPECT_NE(r.body.find(R"("code":"PERMISSION_DENIED")"), std::string::npos) << r.body;
  EXPECT_EQ(header_of(r, "Access-Control-Allow-Origin"), "");
  Http none = request(port_, "OPTIONS", "/v1/nowhere", "", false,
                      kFromPortal + "Access-Control-Request-Method: GET\r\n");
  EXPECT_EQ(none.status, 404) << none.headers;
}

TEST_F(GatewayTestProto, AnAnswerToAnAllowedOriginNamesItAndExposesTheRequestId) {
  Http r = request(port_, "GET", "/v1/hello/world", "", true, kFromPortal);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header_of(r, "Access-Control-Allow-Origin"), kPortal);
  EXPECT_NE(header_of(r, "Access-Control-Expose-Headers").find("X-Request-Id"), std::string::npos);
  EXPECT_EQ(header_of(r, "Vary"), "Origin");
  // Another origin reads nothing (no CORS header), and the answer still varies by origin.
  Http other =
      request(port_, "GET", "/v1/hello/world", "", true, "Origin: https://evil.example\r\n");
  EXPECT_EQ(header_of(other, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(header_of(other, "Vary"), "Origin");
}

TEST_F(GatewayTestProto, AnAnswerOver1KiBIsGzippedWhenTheClientTakesItAndGunzipsToThePlainOne) {
  std::string path = "/v1/hello/" + std::string(2000, 'z');
  Http plain = request(port_, "GET", path);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(header_of(plain, "Content-Encoding"), "");
  EXPECT_EQ(header_of(plain, "Vary"), "Origin, Accept-Encoding");
  Http gzipped = request(port_, "GET", path, "", true, "Accept-Encoding: br, gzip;q=0.5\r\n");
  ASSERT_EQ(gzipped.status, 200);
  EXPECT_EQ(header_of(gzipped, "Content-Encoding"), "gzip");
  EXPECT_EQ(header_of(gzipped, "Vary"), "Origin, Accept-Encoding");
  EXPECT_LT(gzipped.body.size(), plain.body.size());
  EXPECT_EQ(gunzip(gzipped.body), plain.body);
  // Refused by its weight, or too small to be worth it: as it is.
  Http refused = request(port_, "GET", path, "", true, "Accept-Encoding: gzip;q=0, *\r\n");
  EXPECT_EQ(header_of(refused, "Content-Encoding"), "");
  EXPECT_EQ(refused.body, plain.body);
  Http small = request(port_, "GET", "/v1/hello/world", "", true, "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(header_of(small, "Content-Encoding"), "");
  EXPECT_EQ(header_of(small, "Vary"), "Origin");
}

TEST_F(GatewayTestProto, AGetWhoseBackendNamesItsVersionsHasAnETagAndIfNoneMatchGets304) {
  Http first = request(port_, "GET", "/v1/hello/tagged");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string etag = header_of(first, "ETag");
  EXPECT_EQ(etag.rfind("\"7.3-", 0), 0u) << first.headers;
  EXPECT_EQ(header_of(first, "Cache-Control"), "private, no-cache");
  for (const std::string &named : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    Http again = request(port_, "GET", "/v1/hello/tagged", "", true,
                         "If-None-Match: " + named + "\r\n" + kFromPortal);
    EXPECT_EQ(again.status, 304) << named;
    EXPECT_EQ(again.body, "") << named;
    EXPECT_EQ(header_of(again, "ETag"), etag) << named;
    EXPECT_EQ(header_of(again, "Access-Control-Allow-Origin"), kPortal) << named;
    EXPECT_EQ(header_of(again, "Content-Type"), "") << named;
  }
  // HEAD answers as GET does: the same tag, and 304 when the client names it (regression: HEAD
  // had neither).
  Http head = request(port_, "HEAD", "/v1/hello/tagged");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(header_of(head, "ETag"), etag) << head.headers;
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(request(port_, "HEAD", "/v1/hello/tagged", "", true, "If-None-Match: " + etag + "\r\n")
                .status,
            304);
  // Another answer is another tag: never a 304 for it.
  Http other =
      request(port_, "GET", "/v1/hello/tagged-too", "", true, "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(other.status, 200);
  EXPECT_NE(header_of(other, "ETag"), etag);
  // No ETag without the backend's versions, nor for a POST.
  EXPECT_EQ(header_of(request(port_, "GET", "/v1/hello/world"), "ETag"), "");
  Http post =
      request(port_, "POST", "/v1/hello/tagged:goodbye", "{}", true, "If-None-Match: *\r\n");
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(header_of(post, "ETag"), "");
}

// Requests sent at once, each on a connection of its own, answered in order of the paths.
std::vector<Http> concurrently(int port, const std::vector<std::string> &paths,
                               const std::function<void()> &meanwhile) {
  std::vector<Http> answers(paths.size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < paths.size(); i++)
    clients.emplace_back([&, i] { answers[i] = request(port, "GET", paths[i]); });
  usleep(200000);  // every request has reached the backend (or its queue)
  meanwhile();
  for (auto &c : clients) c.join();
  return answers;
}

// A stop (SIGTERM) while requests waited on a backend called MHD_stop_daemon() with their
// connections suspended, and libmicrohttpd aborted the gateway ("called while we have suspended
// connections"). Past the grace, each waiting request is answered 503 first.
TEST_F(GatewayTestProto, StopWithRequestsSuspendedOnASlowBackendAnswersThemInsteadOfAborting) {
  std::vector<Http> answers =
      concurrently(port_, {"/v1/hello/slowpoke", "/v1/hello/slowpoke", "/v1/hello/slowpoke"},
                   [this] { StopGateway(100); });
  for (const Http &r : answers) {
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find(R"("code":"UNAVAILABLE")"), std::string::npos) << r.body;
  }
}

TEST_F(GatewayTestProto, AStopLetsABackendThatAnswersWithinTheGraceAnswer) {
  std::vector<Http> answers =
      concurrently(port_, {"/v1/hello/sleepy", "/v1/hello/world"}, [this] { StopGateway(3000); });
  EXPECT_EQ(answers[0].status, 200) << answers[0].body;
  EXPECT_EQ(answers[1].status, 200) << answers[1].body;
  // Stopped: nothing listens any more.
  EXPECT_EQ(request(port_, "GET", "/healthz", "", false).status, 0);
}

TEST_F(GatewayTestProto, WithoutItsFilesTheApiExplorerIsNotFound) {
  Http r = request(port_, "GET", "/docs", "", false);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(
      r.body,
      R"j({"code":"NOT_FOUND","message":"the API explorer is not installed (VBP_DOCS_DIR)"})j");
}

TEST_F(GatewayTestProto, TheApiExplorerServesItsFilesWithoutAKeyAndNothingElse) {
  char dir[] = "/tmp/gateway_test_docs.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string index = "<!DOCTYPE html><title>explorer</title>";
  const std::string script(5000, 'x');
  {
    FILE *f = fopen((std::string(dir) + "/index.html").c_str(), "w");
    fputs(index.c_str(), f);
    fclose(f);
    f = fopen((std::string(dir) + "/app.js").c_str(), "w");
    fputs(script.c_str(), f);
    fclose(f);
  }
  gw_docs *docs = nullptr;
  vbp_status st = gw_docs_load(dir, &docs);
  ASSERT_EQ(std::system(("rm -rf '" + std::string(dir) + "'").c_str()), 0);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  UseDocs(docs);

  for (const char *path : {"/docs", "/docs/", "/docs/index.html"}) {
    Http page = request(port_, "GET", path, "", false);
    ASSERT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body, index) << path;
    EXPECT_EQ(header_of(page, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(header_of(page, "Cache-Control"), "public, no-cache");
    /* "docs-" and the first 128 bits of the SHA-256 of index. */
    EXPECT_EQ(header_of(page, "ETag"), "\"docs-9afca06d1659a0db873062ef1f29ee1c\"");
    EXPECT_EQ(header_of(page, "Content-Encoding"), ""); /* too small to gzip */
  }
  Http head = request(port_, "HEAD", "/docs/", "", false);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(header_of(head, "Content-Length"), std::to_string(index.size()));

  Http plain = request(port_, "GET", "/docs/app.js", "", false);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, script);
  EXPECT_EQ(header_of(plain, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header_of(plain, "Vary"), "Origin, Accept-Encoding");
  Http gzipped = request(port_, "GET", "/docs/app.js", "", false, "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(gzipped.status, 200);
  EXPECT_EQ(header_of(gzipped, "Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(gzipped.body), script);
  EXPECT_NE(header_of(gzipped, "ETag"), header_of(plain, "ETag"));
  Http unchanged =
      request(port_, "GET", "/docs/app.js", "", false,
              "Accept-Encoding: gzip\r\nIf-None-Match: " + header_of(gzipped, "ETag") + "\r\n");
  EXPECT_EQ(unchanged.status, 304);
  EXPECT_EQ(unchanged.body, "");
  EXPECT_EQ(header_of(unchanged, "Content-Encoding"), "");

  for (const char *path : {"/docs/../../etc/passwd", "/docs/..%2f..%2fetc%2fpasswd",
                           "/docs/%2e%2e/%2e%2e/etc/passwd", "/docs/missing.js"}) {
    Http refused = request(port_, "GET", path, "", false);
    EXPECT_EQ(refused.status, 404) << path;
    EXPECT_EQ(refused.body, R"({"code":"NOT_FOUND","message":"no such file of the API explorer"})")
        << path;
  }
  Http post = request(port_, "POST", "/docs", "{}", false);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header_of(post, "Allow"), "GET, HEAD");
}

}  // namespace
