/* Prometheus metrics: the exact text exposition (requests by code, a cumulative latency
 * histogram with _sum and _count, the in-flight gauge, custom counters) and GET /metrics served
 * over HTTP on a loopback port. */
#include "common/metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *const kMethods[] = {"/vbp.v1.CatalogService/GetRegion",
                                "/vbp.v1.CatalogService/ListRegions"};

std::string render(vbp_metrics *m) {
  char *text = vbp_metrics_render(m);
  std::string s = text;
  free(text);
  return s;
}

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/* Index of the line equal to want, or -1. */
int find_line(const std::vector<std::string> &lines, const std::string &want) {
  for (size_t i = 0; i < lines.size(); i++)
    if (lines[i] == want) return static_cast<int>(i);
  return -1;
}

#define EXPECT_LINE(lines, want) \
  EXPECT_GE(find_line((lines), (want)), 0) << "missing line: " << (want)

class Metrics : public ::testing::Test {
 protected:
  void TearDown() override { vbp_metrics_destroy(metrics); }
  vbp_metrics *metrics = vbp_metrics_create("catalog-svc", kMethods, 2);
};

TEST_F(Metrics, RequestsAreCountedByMethodAndCode) {
  vbp_metrics_observe(metrics, 0, VBP_OK, 200);
  vbp_metrics_observe(metrics, 0, VBP_OK, 300);
  vbp_metrics_observe(metrics, 0, VBP_INVALID_ARGUMENT, 1000);
  vbp_metrics_observe(metrics, 1, VBP_UNAUTHENTICATED, 10);
  auto lines = lines_of(render(metrics));
  EXPECT_LINE(lines, "# HELP vbp_rpc_requests_total RPCs handled, by method and gRPC code.");
  EXPECT_LINE(lines, "# TYPE vbp_rpc_requests_total counter");
  EXPECT_LINE(lines,
              "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/"
              "GetRegion\",code=\"OK\"} 2");
  EXPECT_LINE(lines,
              "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/"
              "GetRegion\",code=\"INVALID_ARGUMENT\"} 1");
  EXPECT_LINE(lines,
              "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/"
              "ListRegions\",code=\"UNAUTHENTICATED\"} 1");
  int requests = 0;
  for (const std::string &l : lines)
    if (l.rfind("vbp_rpc_requests_total{", 0) == 0) requests++;
  EXPECT_EQ(requests, 3); /* codes never seen are left out */
}

TEST_F(Metrics, OutOfRangeCodesCountAsUnknownAndOutOfRangeMethodsAreIgnored) {
  vbp_metrics_observe(metrics, 1, static_cast<vbp_code>(99), 5);
  vbp_metrics_observe(metrics, 1, static_cast<vbp_code>(-3), 5);
  vbp_metrics_observe(metrics, 2, VBP_OK, 5);
  vbp_metrics_observe(metrics, SIZE_MAX, VBP_OK, 5);
  auto lines = lines_of(render(metrics));
  EXPECT_LINE(lines,
              "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/"
              "ListRegions\",code=\"UNKNOWN\"} 2");
  EXPECT_LINE(lines,
              "vbp_rpc_duration_seconds_count{service=\"catalog-svc\",method=\"/vbp.v1."
              "CatalogService/GetRegion\"} 0");
}

TEST_F(Metrics, TheHistogramIsCumulativeWithSumAndCount) {
  /* 200 us and 250 us fall in le=0.00025 (bounds are inclusive), 300 us in 0.0005, 1 ms in
   * 0.001, 7 s only in +Inf. */
  for (int64_t us : {200, 250, 300, 1000, 7000000}) vbp_metrics_observe(metrics, 0, VBP_OK, us);
  auto lines = lines_of(render(metrics));
  const std::string m = "service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/GetRegion\"";
  const std::pair<const char *, int> buckets[] = {
      {"0.00025", 2}, {"0.0005", 3}, {"0.001", 4}, {"0.0025", 4}, {"0.005", 4},
      {"0.01", 4},    {"0.025", 4},  {"0.05", 4},  {"0.1", 4},    {"0.25", 4},
      {"0.5", 4},     {"1", 4},      {"2.5", 4},   {"5", 4},      {"+Inf", 5}};
  int previous = -1;
  for (const auto &b : buckets) {
    std::string want = "vbp_rpc_duration_seconds_bucket{" + m + ",le=\"" + b.first + "\"} " +
                       std::to_string(b.second);
    int at = find_line(lines, want);
    EXPECT_GT(at, previous) << "missing or out of order: " << want;
    previous = at;
  }
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_sum{" + m + "} 7.001750");
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_count{" + m + "} 5");
  EXPECT_LINE(lines, "# TYPE vbp_rpc_duration_seconds histogram");
  /* The method without calls has its series at zero. */
  const std::string other = "service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/ListRegions\"";
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_bucket{" + other + ",le=\"+Inf\"} 0");
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_sum{" + other + "} 0.000000");
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_count{" + other + "} 0");
}

TEST_F(Metrics, ANegativeDurationCountsInTheFirstBucketAndAddsNothingToTheSum) {
  vbp_metrics_observe(metrics, 1, VBP_OK, -5);
  auto lines = lines_of(render(metrics));
  const std::string m = "service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/ListRegions\"";
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_bucket{" + m + ",le=\"0.00025\"} 1");
  EXPECT_LINE(lines, "vbp_rpc_duration_seconds_sum{" + m + "} 0.000000");
}

TEST_F(Metrics, TheInFlightGaugeFollowsItsDeltas) {
  auto lines = lines_of(render(metrics));
  EXPECT_LINE(lines, "# TYPE vbp_rpc_in_flight gauge");
  EXPECT_LINE(lines, "vbp_rpc_in_flight{service=\"catalog-svc\"} 0");
  vbp_metrics_in_flight(metrics, 1);
  vbp_metrics_in_flight(metrics, 1);
  vbp_metrics_in_flight(metrics, 1);
  vbp_metrics_in_flight(metrics, -1);
  EXPECT_LINE(lines_of(render(metrics)), "vbp_rpc_in_flight{service=\"catalog-svc\"} 2");
}

TEST_F(Metrics, CustomCountersAreRenderedWithHelpAndType) {
  vbp_counter *hits = vbp_metrics_counter(metrics, "vbp_cache_hits_total", "Cache hits.");
  vbp_counter *misses = vbp_metrics_counter(metrics, "vbp_cache_misses_total", "Cache misses.");
  ASSERT_NE(hits, nullptr);
  ASSERT_NE(misses, nullptr);
  vbp_counter_add(hits, 3);
  vbp_counter_add(hits, 4);
  EXPECT_EQ(vbp_counter_value(hits), 7u);
  EXPECT_EQ(vbp_counter_value(misses), 0u);
  auto lines = lines_of(render(metrics));
  EXPECT_LINE(lines, "# HELP vbp_cache_hits_total Cache hits.");
  EXPECT_LINE(lines, "# TYPE vbp_cache_hits_total counter");
  EXPECT_LINE(lines, "vbp_cache_hits_total{service=\"catalog-svc\"} 7");
  EXPECT_LINE(lines, "# HELP vbp_cache_misses_total Cache misses.");
  EXPECT_LINE(lines, "vbp_cache_misses_total{service=\"catalog-svc\"} 0");
}

TEST_F(Metrics, AtMostThirtyTwoCountersAndAddingToNoneIsHarmless) {
  for (int i = 0; i < 32; i++) {
    std::string name = "vbp_c" + std::to_string(i) + "_total";
    ASSERT_NE(vbp_metrics_counter(metrics, name.c_str(), "x"), nullptr) << i;
  }
  EXPECT_EQ(vbp_metrics_counter(metrics, "vbp_one_too_many_total", "x"), nullptr);
  vbp_counter_add(nullptr, 1);
  EXPECT_LINE(lines_of(render(metrics)), "vbp_c31_total{service=\"catalog-svc\"} 0");
}

TEST_F(Metrics, ALongExpositionGrowsItsBuffer) {
  std::vector<std::string> names;
  for (int i = 0; i < 200; i++)
    names.push_back("/vbp.v1.SomeVeryLongServiceName/Method" + std::to_string(i));
  std::vector<const char *> ptrs;
  for (const std::string &n : names) ptrs.push_back(n.c_str());
  vbp_metrics *big = vbp_metrics_create("catalog-svc", ptrs.data(), ptrs.size());
  for (size_t i = 0; i < ptrs.size(); i++) vbp_metrics_observe(big, i, VBP_OK, 100);
  std::string text = render(big);
  EXPECT_GT(text.size(), 100000u);
  auto lines = lines_of(text);
  EXPECT_LINE(lines,
              "vbp_rpc_duration_seconds_count{service=\"catalog-svc\",method=\"/vbp.v1."
              "SomeVeryLongServiceName/Method199\"} 1");
  EXPECT_EQ(text.back(), '\n');
  vbp_metrics_destroy(big);
}

TEST_F(Metrics, ConcurrentObservationsAreAllCounted) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++)
    threads.emplace_back([this] {
      for (int i = 0; i < 10000; i++) {
        vbp_metrics_in_flight(metrics, 1);
        vbp_metrics_observe(metrics, 0, VBP_OK, 100);
        vbp_metrics_in_flight(metrics, -1);
      }
    });
  for (std::thread &t : threads) t.join();
  auto lines = lines_of(render(metrics));
  EXPECT_LINE(lines,
              "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/"
              "GetRegion\",code=\"OK\"} 40000");
  EXPECT_LINE(lines, "vbp_rpc_in_flight{service=\"catalog-svc\"} 0");
}

TEST(MetricsLifetime, DestroyOfNullIsFine) { vbp_metrics_destroy(nullptr); }

/* ------------------------------------------------------------------ HTTP */

struct HttpAnswer {
  int status = 0;
  std::string headers, body;
};

/* One HTTP/1.0 request over a plain socket to 127.0.0.1:port; the server closes at the end. */
HttpAnswer http(int port, const std::string &method, const std::string &path) {
  HttpAnswer answer;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return answer;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr *>(&sin), sizeof sin) != 0) {
    close(fd);
    return answer;
  }
  std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return answer;
  }
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return answer;
  answer.headers = raw.substr(0, end);
  answer.body = raw.substr(end + 4);
  /* "HTTP/1.x 200 OK" */
  size_t space = answer.headers.find(' ');
  if (space != std::string::npos) answer.status = std::atoi(answer.headers.c_str() + space + 1);
  return answer;
}

class MetricsHttp : public Metrics {
 protected:
  void SetUp() override {
    vbp_status st = vbp_metrics_http_start(metrics, "127.0.0.1:0", &server);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
    port = vbp_metrics_http_port(server);
    ASSERT_GT(port, 0);
  }
  void TearDown() override {
    vbp_metrics_http_stop(server);
    Metrics::TearDown();
  }
  vbp_metrics_http *server = nullptr;
  int port = 0;
};

TEST_F(MetricsHttp, GetMetricsAnswersTheExposition) {
  vbp_metrics_observe(metrics, 0, VBP_OK, 1200);
  vbp_counter_add(vbp_metrics_counter(metrics, "vbp_cache_hits_total", "Cache hits."), 9);
  HttpAnswer a = http(port, "GET", "/metrics");
  EXPECT_EQ(a.status, 200) << a.headers;
  EXPECT_NE(a.headers.find("text/plain; version=0.0.4"), std::string::npos) << a.headers;
  EXPECT_EQ(a.body, render(metrics));
  auto lines = lines_of(a.body);
  EXPECT_LINE(lines,
              "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1.CatalogService/"
              "GetRegion\",code=\"OK\"} 1");
  EXPECT_LINE(lines, "vbp_cache_hits_total{service=\"catalog-svc\"} 9");
}

TEST_F(MetricsHttp, RepeatedScrapesSeeNewCounts) {
  for (int i = 1; i <= 3; i++) {
    vbp_metrics_observe(metrics, 1, VBP_NOT_FOUND, 10);
    HttpAnswer a = http(port, "GET", "/metrics");
    ASSERT_EQ(a.status, 200);
    EXPECT_LINE(lines_of(a.body),
                "vbp_rpc_requests_total{service=\"catalog-svc\",method=\"/vbp.v1."
                "CatalogService/ListRegions\",code=\"NOT_FOUND\"} " +
                    std::to_string(i));
  }
}

TEST_F(MetricsHttp, OtherPathsAndMethodsAreNotFound) {
  for (const char *path : {"/", "/metric", "/metrics/", "/healthz"}) {
    HttpAnswer a = http(port, "GET", path);
    EXPECT_EQ(a.status, 404) << path;
  }
  EXPECT_EQ(http(port, "POST", "/metrics").status, 404);
  EXPECT_EQ(http(port, "DELETE", "/metrics").status, 404);
}

TEST_F(MetricsHttp, ASecondServerOnTheSamePortIsUnavailable) {
  vbp_metrics_http *second = nullptr;
  std::string addr = "127.0.0.1:" + std::to_string(port);
  vbp_status st = vbp_metrics_http_start(metrics, addr.c_str(), &second);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  if (st.code == VBP_OK) vbp_metrics_http_stop(second);
}

TEST(MetricsHttpStart, AMalformedAddressIsInvalid) {
  vbp_metrics *m = vbp_metrics_create("svc", kMethods, 2);
  for (const char *bad : {"", "localhost", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000",
                          "127.0.0.1:-1", "localhost:9101", "::1:9101", "127.0.0.1:91x"}) {
    vbp_metrics_http *h = nullptr;
    vbp_status st = vbp_metrics_http_start(m, bad, &h);
    EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << bad;
    if (st.code == VBP_OK) vbp_metrics_http_stop(h);
  }
  vbp_metrics_destroy(m);
}

TEST(MetricsHttpStart, StopOfNullDoesNothing) { vbp_metrics_http_stop(nullptr); }

}  // namespace
