/* The gRPC runtime (common/rpc.h) end to end on a loopback port, with a method table of the
 * test's own made of existing messages (vbp.v1.Region both ways): unary calls, auth by bearer key
 * and by signed caller, error fields in trailing metadata, unregistered methods, deadlines,
 * health, garbage payloads, many concurrent calls, graceful and hard stops, request ids, server
 * streaming and the per-method metrics. No database. */
#include "common/rpc.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "grpc/health/v1/health.pb-c.h"
#include "test_values.h"
#include "vbp/v1/catalog.pb-c.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char *kAdminKey = "admin-key-for-rpc-test";
constexpr const char *kSecret = "rpc-test-internal-secret";

/* gRPC is set up once per process and shut down after the last test. */
class RpcEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    vbp_log_init("rpc-test", VBP_LOG_WARN);
    vbp_rpc_init();
  }
  void TearDown() override { vbp_rpc_shutdown(); }
};
::testing::Environment *const rpc_environment =
    ::testing::AddGlobalTestEnvironment(new RpcEnvironment);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/* A one-shot event a test can wait for with a generous bound. */
class Latch {
 public:
  void set() {
    std::lock_guard<std::mutex> lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait(int ms = 3000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

/* What handlers saw, for the test to check; handed to them as the server's context. */
struct Seen {
  std::mutex mu;
  vbp_caller caller{};
  std::string request_id, method;
  std::atomic<int> unary_calls{0};
  std::atomic<bool> ready{true};
  Latch slow_entered, slow_done, stream_done;
  std::atomic<int64_t> remaining_after_sleep{12345};
  std::atomic<int> stream_sent{0};
  vbp_status stream_last_send = vbp_status_ok();
  std::atomic<bool> stream_saw_done{false};
};

Seen *seen_of(vbp_call *call) { return static_cast<Seen *>(vbp_call_context(call)); }

const Vbp__V1__Region *region_of(const ProtobufCMessage *m) {
  return reinterpret_cast<const Vbp__V1__Region *>(m);
}

Vbp__V1__Region *new_region(vbp_call *call) {
  auto *r = static_cast<Vbp__V1__Region *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__Region)));
  vbp__v1__region__init(r);
  return r;
}

void record(vbp_call *call) {
  Seen *s = seen_of(call);
  std::lock_guard<std::mutex> lock(s->mu);
  s->caller = *vbp_call_caller(call);
  s->request_id = vbp_call_request_id(call);
  s->method = vbp_call_method(call);
}

/* The request with "echo:" before its name; its code and level unchanged. */
vbp_status echo(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
  record(call);
  seen_of(call)->unary_calls++;
  const Vbp__V1__Region *in = region_of(request);
  Vbp__V1__Region *out = new_region(call);
  vbp_arena *arena = vbp_call_arena(call);
  out->code = vbp_arena_strdup(arena, in->code);
  out->name = vbp_arena_printf(arena, "echo:%s", in->name);
  out->level = in->level;
  const char *role = vbp_role_name(vbp_call_caller(call)->role);
  out->parent_code = vbp_arena_strdup(arena, role ? role : "");
  *response = &out->base;
  return vbp_status_ok();
}

vbp_status invalid(vbp_call *call, const ProtobufCMessage *, ProtobufCMessage **) {
  record(call);
  return vbp_invalid("code", "must be six digits");
}

/* A reason that is not printable ASCII: UTF-8, or (request code "percent") '%' signs and a
 * line break. */
vbp_status invalid_utf8(vbp_call *, const ProtobufCMessage *request, ProtobufCMessage **) {
  if (std::strcmp(region_of(request)->code, "percent") == 0)
    return vbp_invalid("sharePercent", "must be 0%% to 100%%,\nnot %%41 or %%");
  return vbp_invalid("name", "不能为空");
}

/* Sleeps for the request's code in milliseconds, then notes how much time the call had left. */
vbp_status slow(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
  Seen *s = seen_of(call);
  s->slow_entered.set();
  usleep(static_cast<useconds_t>(std::atoi(region_of(request)->code)) * 1000u);
  s->remaining_after_sleep = vbp_call_remaining_ms(call);
  Vbp__V1__Region *out = new_region(call);
  out->code = vbp_arena_strdup(vbp_call_arena(call), "slept");
  *response = &out->base;
  s->slow_done.set();
  return vbp_status_ok();
}

vbp_status no_answer(vbp_call *, const ProtobufCMessage *, ProtobufCMessage **) {
  return vbp_status_ok();
}

vbp_status wrong_answer(vbp_call *call, const ProtobufCMessage *, ProtobufCMessage **response) {
  auto *r = static_cast<Grpc__Health__V1__HealthCheckResponse *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Grpc__Health__V1__HealthCheckResponse)));
  grpc__health__v1__health_check_response__init(r);
  *response = &r->base;
  return vbp_status_ok();
}

/* Streams the request's code (a count) of regions numbered 0, 1, ...; a request named "fail"
 * ends with INVALID_ARGUMENT on name after them. Stops at the first failed send. */
vbp_status stream(vbp_call *call, const ProtobufCMessage *request) {
  Seen *s = seen_of(call);
  const Vbp__V1__Region *in = region_of(request);
  int count = std::atoi(in->code);
  vbp_status last = vbp_status_ok();
  int sent = 0;
  for (int i = 0; i < count; i++) {
    Vbp__V1__Region r = VBP__V1__REGION__INIT;
    std::string code = std::to_string(i);
    r.code = const_cast<char *>(code.c_str());
    r.name = const_cast<char *>("streamed");
    last = vbp_call_send(call, &r.base);
    if (!vbp_ok(&last)) break;
    sent++;
  }
  s->stream_saw_done = vbp_call_done(call);
  s->stream_sent = sent;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    s->stream_last_send = last;
  }
  s->stream_done.set();
  if (!vbp_ok(&last)) return last;
  if (std::strcmp(in->name, "fail") == 0) return vbp_invalid("name", "must not be fail");
  return vbp_status_ok();
}

bool is_ready(void *context) { return static_cast<Seen *>(context)->ready; }

const ProtobufCMessageDescriptor *const kRegion = &vbp__v1__region__descriptor;

enum {
  kEcho,
  kInvalid,
  kOpen,
  kSlow,
  kNoAnswer,
  kWrongAnswer,
  kInvalidUtf8,
  kStream,
  kBureauOnly,
  kMethodCount
};

const vbp_method kMethods[kMethodCount] = {
    {"/test.Echo/Unary", kRegion, kRegion, echo, nullptr, VBP_ALLOW_ANY_CALLER},
    {"/test.Echo/Invalid", kRegion, kRegion, invalid, nullptr, VBP_ALLOW_UNAUTHENTICATED},
    {"/test.Echo/Open", kRegion, kRegion, echo, nullptr, VBP_ALLOW_UNAUTHENTICATED},
    {"/test.Echo/Slow", kRegion, kRegion, slow, nullptr, VBP_ALLOW_UNAUTHENTICATED},
    {"/test.Echo/NoAnswer", kRegion, kRegion, no_answer, nullptr, VBP_ALLOW_UNAUTHENTICATED},
    {"/test.Echo/WrongAnswer", kRegion, kRegion, wrong_answer, nullptr, VBP_ALLOW_UNAUTHENTICATED},
    {"/test.Echo/InvalidUtf8", kRegion, kRegion, invalid_utf8, nullptr, VBP_ALLOW_UNAUTHENTICATED},
    {"/test.Echo/Stream", kRegion, kRegion, nullptr, stream, VBP_ALLOW_ANY_CALLER},
    {"/test.Echo/BureauOnly", kRegion, kRegion, echo, nullptr, VBP_ALLOW_BUREAU},
};

/* Client-side only: a path no server registered, and a request type that is not a Region. */
const vbp_method kUnknownMethod = {"/test.Echo/Nope", kRegion, kRegion,
                                   nullptr,           nullptr, VBP_ALLOW_UNAUTHENTICATED};
const vbp_method kGarbageToOpen = {
    "/test.Echo/Open", &grpc__health__v1__health_check_response__descriptor,
    kRegion,           nullptr,
    nullptr,           VBP_ALLOW_UNAUTHENTICATED};

Vbp__V1__Region region(const char *code, const char *name = "") {
  Vbp__V1__Region r = VBP__V1__REGION__INIT;
  r.code = const_cast<char *>(code);
  r.name = const_cast<char *>(name);
  return r;
}

vbp_caller bureau() { return test_caller(VBP_ROLE_BUREAU, "org-bureau-35", "350000"); }

class Rpc : public ::testing::Test {
 protected:
  void SetUp() override {
    auth = vbp_authenticator_create(kAdminKey, kSecret, nullptr, nullptr, 1000, 16);
    /* Named by their paths: the assertions on method="/test.Echo/..." below check it. */
    metrics = vbp_metrics_for_methods("test-svc", kMethods, kMethodCount);
    config.service = "test-svc";
    config.listen_addr = "127.0.0.1:0";
    config.workers = 2;
    config.methods = kMethods;
    config.n_methods = kMethodCount;
    config.context = &seen;
    config.auth = auth;
    config.metrics = metrics;
    config.ready = is_ready;
    vbp_status st = vbp_server_start(&config, &server);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
    port = vbp_server_port(server);
    ASSERT_GT(port, 0);
    target = "127.0.0.1:" + std::to_string(port);
    st = vbp_client_open(target.c_str(), nullptr, &client);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
  }

  void TearDown() override {
    vbp_client_close(client);
    vbp_client_close(signed_client);
    vbp_server_stop(server, 1000);
    vbp_metrics_destroy(metrics);
    vbp_authenticator_destroy(auth);
  }

  vbp_client *signing_client() {
    if (!signed_client) {
      vbp_status st = vbp_client_open(target.c_str(), kSecret, &signed_client);
      EXPECT_EQ(st.code, VBP_OK) << st.message;
    }
    return signed_client;
  }

  /* A blocking call whose answer, on OK, is copied out and freed. */
  vbp_status call(const vbp_method &m, const ProtobufCMessage *request,
                  const vbp_call_options *options, std::string *code = nullptr,
                  std::string *name = nullptr, std::string *parent = nullptr,
                  vbp_client *via = nullptr) {
    ProtobufCMessage *answer = nullptr;
    vbp_status st = vbp_client_call(via ? via : client, &m, request, options, nullptr, &answer);
    if (st.code == VBP_OK) {
      EXPECT_NE(answer, nullptr);
      if (!answer) return st;
      EXPECT_EQ(answer->descriptor, m.response);
      const Vbp__V1__Region *r = region_of(answer);
      if (code) *code = r->code;
      if (name) *name = r->name;
      if (parent) *parent = r->parent_code;
      protobuf_c_message_free_unpacked(answer, nullptr);
    }
    return st;
  }

  vbp_call_options admin(int timeout_ms = 0) {
    vbp_call_options o{};
    o.timeout_ms = timeout_ms;
    o.bearer_key = kAdminKey;
    return o;
  }

  std::string rendered_metrics() {
    char *text = vbp_metrics_render(metrics);
    std::string s = text;
    free(text);
    return s;
  }

  /* Waits (up to 3 s) for the metrics to contain line: the server counts a call after its
   * answer went out, which may be after the client saw it. */
  bool metrics_show(const std::string &line) {
    for (auto start = Clock::now(); seconds_since(start) < 3;) {
      if (("\n" + rendered_metrics()).find("\n" + line + "\n") != std::string::npos) return true;
      usleep(10000);
    }
    return false;
  }

  /* Waits until the server finished n calls of path: its answer batch ended and the call was
   * counted. A handler whose client already gave up is still running before that, and stopping
   * the server then is another test's subject. */
  bool server_finished(const char *path, int n) {
    return metrics_show("vbp_rpc_duration_seconds_count{service=\"test-svc\",method=\"" +
                        std::string(path) + "\"} " + std::to_string(n));
  }

  Seen seen;
  vbp_authenticator *auth = nullptr;
  vbp_metrics *metrics = nullptr;
  vbp_server_config config{};
  vbp_server *server = nullptr;
  int port = 0;
  std::string target;
  vbp_client *client = nullptr;
  vbp_client *signed_client = nullptr;
};

/* ------------------------------------------------------------------ unary */

TEST_F(Rpc, UnaryEchoAnswersTheRequestWithItsNameChanged) {
  Vbp__V1__Region req = region("350100", "福州市");
  req.level = VBP__V1__REGION_LEVEL__CITY;
  vbp_call_options o = admin();
  o.request_id = "req-echo-1";
  ProtobufCMessage *answer = nullptr;
  vbp_status st = vbp_client_call(client, &kMethods[kEcho], &req.base, &o, nullptr, &answer);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  ASSERT_NE(answer, nullptr);
  const Vbp__V1__Region *r = region_of(answer);
  EXPECT_STREQ(r->code, "350100");
  EXPECT_STREQ(r->name, "echo:福州市");
  EXPECT_EQ(r->level, VBP__V1__REGION_LEVEL__CITY);
  EXPECT_STREQ(r->parent_code, "ADMIN");
  protobuf_c_message_free_unpacked(answer, nullptr);
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_EQ(seen.caller.role, VBP_ROLE_ADMIN);
  EXPECT_STREQ(seen.caller.org_id, "");
  EXPECT_EQ(seen.request_id, "req-echo-1");
  EXPECT_EQ(seen.method, "/test.Echo/Unary");
}

TEST_F(Rpc, AnAnswerCanBeUnpackedIntoACallersArena) {
  Vbp__V1__Region req = region("110000", "北京市");
  vbp_arena *arena = vbp_arena_create();
  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  vbp_call_options o = admin();
  ProtobufCMessage *answer = nullptr;
  vbp_status st = vbp_client_call(client, &kMethods[kEcho], &req.base, &o, &allocator, &answer);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_STREQ(region_of(answer)->name, "echo:北京市");
  vbp_arena_destroy(arena); /* frees the answer */
}

TEST_F(Rpc, AnEmptyRequestMessageIsAValidRequest) {
  Vbp__V1__Region req = VBP__V1__REGION__INIT;
  std::string code = "x", name;
  vbp_status st = call(kMethods[kOpen], &req.base, nullptr, &code, &name);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(code, "");
  EXPECT_EQ(name, "echo:");
}

TEST_F(Rpc, AFieldErrorReachesTheClientWithItsFieldAndReason) {
  Vbp__V1__Region req = region("35");
  vbp_status st = call(kMethods[kInvalid], &req.base, nullptr);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(st.field, "code");
  EXPECT_STREQ(st.reason, "must be six digits");
  EXPECT_STREQ(st.message, "code must be six digits");
}

TEST_F(Rpc, ANonAsciiReasonStillReachesTheClientAsInvalidArgument) {
  Vbp__V1__Region req = region("35");
  vbp_status st = call(kMethods[kInvalidUtf8], &req.base, nullptr);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << vbp_code_name(st.code) << ": " << st.message;
  EXPECT_STREQ(st.field, "name");
  EXPECT_STREQ(st.reason, "不能为空");
  EXPECT_STREQ(st.message, "name 不能为空");
}

TEST_F(Rpc, PercentSignsAndLineBreaksInAReasonArriveUnchanged) {
  Vbp__V1__Region req = region("percent");
  vbp_status st = call(kMethods[kInvalidUtf8], &req.base, nullptr);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << vbp_code_name(st.code) << ": " << st.message;
  EXPECT_STREQ(st.field, "sharePercent");
  EXPECT_STREQ(st.reason, "must be 0% to 100%,\nnot %41 or %");
  EXPECT_STREQ(st.message, "sharePercent must be 0% to 100%,\nnot %41 or %");
}

TEST_F(Rpc, AHandlerWithoutAnAnswerIsInternal) {
  Vbp__V1__Region req = region("1");
  EXPECT_EQ(call(kMethods[kNoAnswer], &req.base, nullptr).code, VBP_INTERNAL);
}

TEST_F(Rpc, AHandlerAnsweringTheWrongMessageTypeIsInternal) {
  Vbp__V1__Region req = region("1");
  EXPECT_EQ(call(kMethods[kWrongAnswer], &req.base, nullptr).code, VBP_INTERNAL);
}

/* ------------------------------------------------------------------ auth */

TEST_F(Rpc, AMethodNeedingACallerRefusesACallWithoutCredentials) {
  Vbp__V1__Region req = region("350100");
  vbp_status st = call(kMethods[kEcho], &req.base, nullptr);
  EXPECT_EQ(st.code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(seen.unary_calls, 0);
}

TEST_F(Rpc, AMethodNeedingACallerRefusesAnUnknownBearerKey) {
  Vbp__V1__Region req = region("350100");
  vbp_call_options o{};
  o.bearer_key = "not-a-key";
  EXPECT_EQ(call(kMethods[kEcho], &req.base, &o).code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(seen.unary_calls, 0);
}

TEST_F(Rpc, AMethodNeedingACallerAcceptsTheAdminBearerKey) {
  Vbp__V1__Region req = region("350100");
  vbp_call_options o = admin();
  std::string parent;
  vbp_status st = call(kMethods[kEcho], &req.base, &o, nullptr, nullptr, &parent);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(parent, "ADMIN");
}

TEST_F(Rpc, AMethodNeedingACallerAcceptsASignedCaller) {
  Vbp__V1__Region req = region("350100");
  vbp_caller who = bureau();
  vbp_call_options o{};
  o.caller = &who;
  std::string parent;
  vbp_status st = call(kMethods[kEcho], &req.base, &o, nullptr, nullptr, &parent, signing_client());
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(parent, "BUREAU");
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_EQ(seen.caller.role, VBP_ROLE_BUREAU);
  EXPECT_STREQ(seen.caller.org_id, "org-bureau-35");
  EXPECT_STREQ(seen.caller.region_code, "350000");
}

TEST_F(Rpc, ARoleTheMethodTableDoesNotListIsDeniedBeforeTheHandlerRuns) {
  Vbp__V1__Region req = region("350100");
  vbp_call_options o = admin();
  EXPECT_EQ(call(kMethods[kBureauOnly], &req.base, &o).code, VBP_PERMISSION_DENIED);
  vbp_caller service{};
  service.role = VBP_ROLE_SERVICE;
  vbp_call_options as_service{};
  as_service.caller = &service;
  EXPECT_EQ(call(kMethods[kBureauOnly], &req.base, &as_service, nullptr, nullptr, nullptr,
                 signing_client())
                .code,
            VBP_PERMISSION_DENIED);
  EXPECT_EQ(seen.unary_calls, 0);
  vbp_caller who = bureau();
  vbp_call_options as_bureau{};
  as_bureau.caller = &who;
  EXPECT_EQ(call(kMethods[kBureauOnly], &req.base, &as_bureau, nullptr, nullptr, nullptr,
                 signing_client())
                .code,
            VBP_OK);
}

TEST_F(Rpc, AServerRefusesAMethodTableRowThatAllowsNobody) {
  vbp_method nobody[] = {{"/test.Echo/Nobody", kRegion, kRegion, echo, nullptr, 0}};
  vbp_server_config bad = config;
  bad.listen_addr = "127.0.0.1:0";
  bad.methods = nobody;
  bad.n_methods = 1;
  bad.metrics = nullptr;
  vbp_server *other = nullptr;
  vbp_status st = vbp_server_start(&bad, &other);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_NE(std::string(st.message).find("/test.Echo/Nobody"), std::string::npos) << st.message;
  if (st.code == VBP_OK) vbp_server_stop(other, 0);
}

TEST_F(Rpc, ACallerSignedWithAnotherSecretIsUnauthenticated) {
  vbp_client *forger = nullptr;
  ASSERT_EQ(vbp_client_open(target.c_str(), "not-the-secret", &forger).code, VBP_OK);
  Vbp__V1__Region req = region("350100");
  vbp_caller who = bureau();
  vbp_call_options o{};
  o.caller = &who;
  o.bearer_key = kAdminKey; /* signed metadata wins, so the valid key does not help */
  EXPECT_EQ(call(kMethods[kEcho], &req.base, &o, nullptr, nullptr, nullptr, forger).code,
            VBP_UNAUTHENTICATED);
  vbp_client_close(forger);
  EXPECT_EQ(seen.unary_calls, 0);
}

TEST_F(Rpc, AnOpenMethodWorksWithoutCredentials) {
  Vbp__V1__Region req = region("350100", "x");
  std::string name, parent = "?";
  vbp_status st = call(kMethods[kOpen], &req.base, nullptr, nullptr, &name, &parent);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(name, "echo:x");
  EXPECT_EQ(parent, ""); /* no caller */
}

/* ------------------------------------------------------------------ failures */

TEST_F(Rpc, AnUnregisteredMethodIsUnimplementedPromptly) {
  Vbp__V1__Region req = region("350100");
  vbp_call_options o = admin(2000);
  auto start = Clock::now();
  vbp_status st = call(kUnknownMethod, &req.base, &o);
  EXPECT_EQ(st.code, VBP_UNIMPLEMENTED) << vbp_code_name(st.code) << ": " << st.message;
  EXPECT_LT(seconds_since(start), 1.9);
  /* The generic requests are re-posted: it keeps working. */
  for (int i = 0; i < 5; i++)
    EXPECT_EQ(call(kUnknownMethod, &req.base, &o).code, VBP_UNIMPLEMENTED);
}

TEST_F(Rpc, ASlowHandlerPastTheClientsTimeoutIsDeadlineExceeded) {
  Vbp__V1__Region req = region("300");
  vbp_call_options o{};
  o.timeout_ms = 100;
  auto start = Clock::now();
  vbp_status st = call(kMethods[kSlow], &req.base, &o);
  EXPECT_EQ(st.code, VBP_DEADLINE_EXCEEDED) << st.message;
  EXPECT_STREQ(st.message, "test.Echo did not answer within 100 ms");
  EXPECT_LT(seconds_since(start), 3.0);
  ASSERT_TRUE(seen.slow_done.wait());
  EXPECT_LE(seen.remaining_after_sleep.load(), 0);
  EXPECT_TRUE(server_finished("/test.Echo/Slow", 1));
}

TEST_F(Rpc, ACallPastItsDeadlineIsCountedAsDeadlineExceededNotOk) {
  Vbp__V1__Region req = region("300");
  vbp_call_options o{};
  o.timeout_ms = 100;
  ASSERT_EQ(call(kMethods[kSlow], &req.base, &o).code, VBP_DEADLINE_EXCEEDED);
  ASSERT_TRUE(seen.slow_done.wait());
  ASSERT_TRUE(server_finished("/test.Echo/Slow", 1));
  EXPECT_TRUE(
      metrics_show("vbp_rpc_requests_total{service=\"test-svc\",method=\"/test.Echo/"
                   "Slow\",code=\"DEADLINE_EXCEEDED\"} 1"))
      << rendered_metrics();
  EXPECT_EQ(rendered_metrics().find("method=\"/test.Echo/Slow\",code=\"OK\""), std::string::npos)
      << rendered_metrics();
}

TEST_F(Rpc, AHandlerWithinTheDeadlineSeesTimeLeft) {
  Vbp__V1__Region req = region("0");
  vbp_call_options o{};
  o.timeout_ms = 5000;
  std::string code;
  ASSERT_EQ(call(kMethods[kSlow], &req.base, &o, &code).code, VBP_OK);
  EXPECT_EQ(code, "slept");
  ASSERT_TRUE(seen.slow_done.wait());
  EXPECT_GT(seen.remaining_after_sleep.load(), 0);
  /* grpc-timeout travels rounded up to a few significant digits: allow for that. */
  EXPECT_LE(seen.remaining_after_sleep.load(), 5100);
}

TEST_F(Rpc, BytesThatAreNotTheRequestMessageAreInvalidArgument) {
  /* Field 1 as a varint, where Region.code (field 1) is a string. */
  Grpc__Health__V1__HealthCheckResponse garbage = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  garbage.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  ProtobufCMessage *answer = nullptr;
  vbp_status st =
      vbp_client_call(client, &kGarbageToOpen, &garbage.base, nullptr, nullptr, &answer);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << st.message;
  EXPECT_EQ(seen.unary_calls, 0);
}

TEST_F(Rpc, ACallToAPortNobodyListensOnIsUnavailable) {
  vbp_server_stop(server, 0);
  server = nullptr;
  Vbp__V1__Region req = region("1");
  vbp_call_options o{};
  o.timeout_ms = 2000;
  auto start = Clock::now();
  vbp_status st = call(kMethods[kOpen], &req.base, &o);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE) << vbp_code_name(st.code) << ": " << st.message;
  EXPECT_LT(seconds_since(start), 3.0);
}

/* The defect: a client's own failure to reach a service said where it listens
 * ("ipv4:127.0.0.1:50052: Failed to connect"), and the gateway passed that on in a 503. */
TEST_F(Rpc, AnUnreachableServiceWasNamedByItsAddress) {
  vbp_server_stop(server, 0);
  server = nullptr;
  const vbp_method pricing = {
      "/vbp.v1.PricingService/GetPrice", kRegion, kRegion, nullptr, nullptr, VBP_ALLOW_ANY_CALLER};
  Vbp__V1__Region req = region("1");
  vbp_call_options o{};
  o.timeout_ms = 2000;
  vbp_status st = call(pricing, &req.base, &o);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_STREQ(st.message, "pricing-svc is unavailable");
  const vbp_method health = {
      "/grpc.health.v1.Health/Check", kRegion, kRegion, nullptr, nullptr, VBP_ALLOW_ANY_CALLER};
  st = call(health, &req.base, &o);
  EXPECT_STREQ(st.message, "grpc.health.v1.Health is unavailable");
}

/* ------------------------------------------------------------------ health */

TEST_F(Rpc, HealthIsOkWhileReady) {
  vbp_status st = vbp_client_health(client, NULL, 2000);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
}

TEST_F(Rpc, HealthIsUnavailableWhenNotReady) {
  seen.ready = false;
  vbp_status st = vbp_client_health(client, NULL, 2000);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_STREQ(st.message, "not serving");
  seen.ready = true;
  EXPECT_EQ(vbp_client_health(client, NULL, 2000).code, VBP_OK);
}

TEST_F(Rpc, LivenessStaysOkWhileNotReady) {
  seen.ready = false;
  EXPECT_EQ(vbp_client_health(client, "liveness", 2000).code, VBP_OK);
  EXPECT_EQ(vbp_client_health(client, "test.Echo", 2000).code, VBP_UNAVAILABLE);
  seen.ready = true;
}

TEST_F(Rpc, HealthOfAServiceItServesIsItsReadinessAndOfAnotherIsNotFound) {
  EXPECT_EQ(vbp_client_health(client, "test.Echo", 2000).code, VBP_OK);
  EXPECT_EQ(vbp_client_health(client, "vbp.v1.NoSuchService", 2000).code, VBP_NOT_FOUND);
}

/* ------------------------------------------------------------------ request ids */

TEST_F(Rpc, TheHandlerSeesTheRequestIdTheClientSent) {
  Vbp__V1__Region req = region("1");
  vbp_call_options o{};
  o.request_id = "0af7651916cd43dd8448eb211c80319c";
  ASSERT_EQ(call(kMethods[kOpen], &req.base, &o).code, VBP_OK);
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_EQ(seen.request_id, "0af7651916cd43dd8448eb211c80319c");
}

TEST_F(Rpc, TheHandlerSeesAGeneratedRequestIdWhenNoneWasSent) {
  Vbp__V1__Region req = region("1");
  std::string ids[2];
  for (std::string &id : ids) {
    ASSERT_EQ(call(kMethods[kOpen], &req.base, nullptr).code, VBP_OK);
    std::lock_guard<std::mutex> lock(seen.mu);
    id = seen.request_id;
  }
  for (const std::string &id : ids) {
    EXPECT_EQ(id.size(), 17u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef-"), std::string::npos) << id;
  }
  EXPECT_NE(ids[0], ids[1]);
}

TEST_F(Rpc, AnEmptyRequestIdIsReplacedByAGeneratedOne) {
  Vbp__V1__Region req = region("1");
  vbp_call_options o{};
  o.request_id = "";
  ASSERT_EQ(call(kMethods[kOpen], &req.base, &o).code, VBP_OK);
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_EQ(seen.request_id.size(), 17u) << seen.request_id;
}

/* ------------------------------------------------------------------ concurrency */

struct AsyncBatch {
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
};

TEST_F(Rpc, SixtyFourConcurrentAsynchronousCallsAllAnswerCorrectly) {
  constexpr int kCalls = 64;
  AsyncBatch batch;
  struct Slot {
    AsyncBatch *batch;
    std::string code, name;
    vbp_status status = vbp_status_ok();
    ProtobufCMessage *answer = nullptr;
    bool finished = false;
  };
  std::vector<Slot> slots(kCalls);
  std::vector<Vbp__V1__Region> requests(kCalls);
  for (int i = 0; i < kCalls; i++) {
    slots[i].batch = &batch;
    slots[i].code = std::to_string(100000 + i);
    slots[i].name = "n" + std::to_string(i);
    requests[i] = region(slots[i].code.c_str(), slots[i].name.c_str());
  }
  vbp_call_options o = admin(10000);
  auto done = [](void *ctx, const vbp_status *status, ProtobufCMessage *response) {
    Slot *s = static_cast<Slot *>(ctx);
    std::lock_guard<std::mutex> lock(s->batch->mu);
    s->status = *status;
    s->answer = response;
    s->finished = true;
    s->batch->done++;
    s->batch->cv.notify_all();
  };
  for (int i = 0; i < kCalls; i++)
    vbp_client_start(client, &kMethods[kEcho], &requests[i].base, &o, nullptr, done, &slots[i]);
  {
    std::unique_lock<std::mutex> lock(batch.mu);
    ASSERT_TRUE(
        batch.cv.wait_for(lock, std::chrono::seconds(15), [&] { return batch.done == kCalls; }))
        << batch.done << " of " << kCalls << " finished";
  }
  for (int i = 0; i < kCalls; i++) {
    Slot &s = slots[i];
    EXPECT_TRUE(s.finished);
    EXPECT_EQ(s.status.code, VBP_OK) << i << ": " << s.status.message;
    if (!s.answer) continue;
    EXPECT_EQ(std::string(region_of(s.answer)->code), s.code) << i;
    EXPECT_EQ(std::string(region_of(s.answer)->name), "echo:" + s.name) << i;
    protobuf_c_message_free_unpacked(s.answer, nullptr);
  }
  EXPECT_EQ(seen.unary_calls, kCalls);
  EXPECT_TRUE(
      metrics_show("vbp_rpc_requests_total{service=\"test-svc\",method=\"/test.Echo/Unary\","
                   "code=\"OK\"} 64"))
      << rendered_metrics();
}

TEST_F(Rpc, BlockingCallsFromManyThreadsAllAnswerCorrectly) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; i++) {
        std::string code = std::to_string(t * 1000 + i);
        Vbp__V1__Region req = region(code.c_str(), "m");
        std::string got;
        vbp_status st = call(kMethods[kOpen], &req.base, nullptr, &got);
        if (st.code != VBP_OK || got != code) wrong++;
      }
    });
  for (std::thread &t : threads) t.join();
  EXPECT_EQ(wrong, 0);
}

/* ------------------------------------------------------------------ metrics */

TEST_F(Rpc, CallsAreCountedPerMethodAndCode) {
  Vbp__V1__Region req = region("1");
  for (int i = 0; i < 3; i++) ASSERT_EQ(call(kMethods[kOpen], &req.base, nullptr).code, VBP_OK);
  EXPECT_EQ(call(kMethods[kInvalid], &req.base, nullptr).code, VBP_INVALID_ARGUMENT);
  EXPECT_EQ(call(kMethods[kEcho], &req.base, nullptr).code, VBP_UNAUTHENTICATED);
  EXPECT_TRUE(metrics_show(
      "vbp_rpc_requests_total{service=\"test-svc\",method=\"/test.Echo/Open\",code=\"OK\"} 3"))
      << rendered_metrics();
  EXPECT_TRUE(
      metrics_show("vbp_rpc_requests_total{service=\"test-svc\",method=\"/test.Echo/"
                   "Invalid\",code=\"INVALID_ARGUMENT\"} 1"))
      << rendered_metrics();
  EXPECT_TRUE(
      metrics_show("vbp_rpc_requests_total{service=\"test-svc\",method=\"/test.Echo/"
                   "Unary\",code=\"UNAUTHENTICATED\"} 1"))
      << rendered_metrics();
  EXPECT_TRUE(metrics_show(
      "vbp_rpc_duration_seconds_count{service=\"test-svc\",method=\"/test.Echo/Open\"} 3"));
  EXPECT_TRUE(metrics_show("vbp_rpc_in_flight{service=\"test-svc\"} 0")) << rendered_metrics();
}

/* ------------------------------------------------------------------ stopping */

struct Pending {
  Latch done;
  vbp_status status = vbp_status_ok();
  ProtobufCMessage *answer = nullptr;
  static void finished(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
    Pending *p = static_cast<Pending *>(ctx);
    p->status = *status;
    p->answer = response;
    p->done.set();
  }
};

TEST_F(Rpc, StopLetsACallInFlightFinishWithinTheGrace) {
  Vbp__V1__Region req = region("500");
  vbp_call_options o{};
  o.timeout_ms = 5000;
  Pending pending;
  vbp_client_start(client, &kMethods[kSlow], &req.base, &o, nullptr, Pending::finished, &pending);
  ASSERT_TRUE(seen.slow_entered.wait());
  auto start = Clock::now();
  vbp_server_stop(server, 2000);
  server = nullptr;
  EXPECT_LT(seconds_since(start), 3.0);
  ASSERT_TRUE(pending.done.wait(5000));
  EXPECT_EQ(pending.status.code, VBP_OK) << pending.status.message;
  ASSERT_NE(pending.answer, nullptr);
  EXPECT_STREQ(region_of(pending.answer)->code, "slept");
  protobuf_c_message_free_unpacked(pending.answer, nullptr);
}

TEST_F(Rpc, StopAfterAShortGraceCancelsACallInFlight) {
  Vbp__V1__Region req = region("500");
  vbp_call_options o{};
  o.timeout_ms = 5000;
  Pending pending;
  vbp_client_start(client, &kMethods[kSlow], &req.base, &o, nullptr, Pending::finished, &pending);
  ASSERT_TRUE(seen.slow_entered.wait());
  auto start = Clock::now();
  vbp_server_stop(server, 50);
  server = nullptr;
  EXPECT_LT(seconds_since(start), 3.0);
  ASSERT_TRUE(pending.done.wait(5000));
  EXPECT_TRUE(pending.status.code == VBP_CANCELLED || pending.status.code == VBP_UNAVAILABLE)
      << vbp_code_name(pending.status.code) << ": " << pending.status.message;
  if (pending.answer) protobuf_c_message_free_unpacked(pending.answer, nullptr);
}

TEST_F(Rpc, StopWhileAHandlerOutlivesItsCallersDeadlineWaitsForItWithoutCrashing) {
  /* The client gives up after 100 ms; the handler is still sleeping when the server stops. */
  Vbp__V1__Region req = region("600");
  vbp_call_options o{};
  o.timeout_ms = 100;
  ASSERT_EQ(call(kMethods[kSlow], &req.base, &o).code, VBP_DEADLINE_EXCEEDED);
  ASSERT_TRUE(seen.slow_entered.wait());
  auto start = Clock::now();
  vbp_server_stop(server, 2000);
  server = nullptr;
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_TRUE(seen.slow_done.wait(0)); /* the workers were joined */
}

TEST_F(Rpc, AStoppedServerRefusesNewCalls) {
  vbp_server_stop(server, 1000);
  server = nullptr;
  Vbp__V1__Region req = region("1");
  vbp_call_options o{};
  o.timeout_ms = 2000;
  EXPECT_EQ(call(kMethods[kOpen], &req.base, &o).code, VBP_UNAVAILABLE);
}

TEST_F(Rpc, StopOfNullDoesNothing) { vbp_server_stop(nullptr, 0); }

TEST_F(Rpc, ClientCloseOfNullDoesNothing) { vbp_client_close(nullptr); }

TEST_F(Rpc, ClientCloseWaitsForItsCallsInFlight) {
  vbp_client *other = nullptr;
  ASSERT_EQ(vbp_client_open(target.c_str(), nullptr, &other).code, VBP_OK);
  Vbp__V1__Region req = region("200");
  vbp_call_options o{};
  o.timeout_ms = 5000;
  Pending pending;
  vbp_client_start(other, &kMethods[kSlow], &req.base, &o, nullptr, Pending::finished, &pending);
  ASSERT_TRUE(seen.slow_entered.wait());
  vbp_client_close(other);
  EXPECT_TRUE(pending.done.wait(0)); /* already finished when close returned */
  EXPECT_EQ(pending.status.code, VBP_OK) << pending.status.message;
  if (pending.answer) protobuf_c_message_free_unpacked(pending.answer, nullptr);
}

TEST_F(Rpc, ASecondServerOnTheSamePortIsUnavailable) {
  vbp_server_config second = config;
  std::string addr = "127.0.0.1:" + std::to_string(port);
  second.listen_addr = addr.c_str();
  vbp_server *other = nullptr;
  vbp_status st = vbp_server_start(&second, &other);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE) << st.message;
  if (st.code == VBP_OK) vbp_server_stop(other, 0);
  /* The first one is unaffected. */
  Vbp__V1__Region req = region("1");
  EXPECT_EQ(call(kMethods[kOpen], &req.base, nullptr).code, VBP_OK);
}

TEST_F(Rpc, AServerOnAnAddressThatIsNotLocalIsUnavailable) {
  vbp_server_config bad = config;
  bad.listen_addr = "192.0.2.1:0"; /* TEST-NET-1: never ours */
  vbp_server *other = nullptr;
  vbp_status st = vbp_server_start(&bad, &other);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE) << st.message;
  if (st.code == VBP_OK) vbp_server_stop(other, 0);
}

/* ------------------------------------------------------------------ streaming */

struct Received {
  std::vector<std::string> codes;
  size_t stop_after = SIZE_MAX;
  static bool on_message(void *ctx, const ProtobufCMessage *m) {
    Received *r = static_cast<Received *>(ctx);
    r->codes.push_back(region_of(m)->code);
    return r->codes.size() < r->stop_after;
  }
};

TEST_F(Rpc, AServerStreamDeliversAThousandMessagesInOrder) {
  Vbp__V1__Region req = region("1000");
  vbp_call_options o = admin(10000);
  Received got;
  vbp_status st =
      vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Received::on_message, &got);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  ASSERT_EQ(got.codes.size(), 1000u);
  for (size_t i = 0; i < got.codes.size(); i++) ASSERT_EQ(got.codes[i], std::to_string(i));
  ASSERT_TRUE(seen.stream_done.wait());
  EXPECT_EQ(seen.stream_sent, 1000);
}

TEST_F(Rpc, AnEmptyServerStreamEndsOk) {
  Vbp__V1__Region req = region("0");
  vbp_call_options o = admin(5000);
  Received got;
  vbp_status st =
      vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Received::on_message, &got);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_TRUE(got.codes.empty());
}

TEST_F(Rpc, AServerStreamEndsWithTheHandlersFieldError) {
  Vbp__V1__Region req = region("3", "fail");
  vbp_call_options o = admin(5000);
  Received got;
  vbp_status st =
      vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Received::on_message, &got);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(st.field, "name");
  EXPECT_STREQ(st.reason, "must not be fail");
  EXPECT_EQ(got.codes.size(), 3u);
}

TEST_F(Rpc, AServerStreamNeedingACallerRefusesACallWithoutCredentials) {
  Vbp__V1__Region req = region("10");
  vbp_call_options o{};
  o.timeout_ms = 5000;
  Received got;
  vbp_status st =
      vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Received::on_message, &got);
  EXPECT_EQ(st.code, VBP_UNAUTHENTICATED);
  EXPECT_TRUE(got.codes.empty());
}

TEST_F(Rpc, AServerStreamAcceptsASignedCaller) {
  Vbp__V1__Region req = region("5");
  vbp_caller who = bureau();
  vbp_call_options o{};
  o.caller = &who;
  Received got;
  vbp_status st = vbp_client_stream(signing_client(), &kMethods[kStream], &req.base, &o,
                                    Received::on_message, &got);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(got.codes.size(), 5u);
}

TEST_F(Rpc, AClientThatStopsReadingEndsTheStreamAndTheHandlerSeesItGo) {
  Vbp__V1__Region req = region("1000000");
  vbp_call_options o = admin(10000);
  Received got;
  got.stop_after = 5;
  auto start = Clock::now();
  vbp_status st =
      vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Received::on_message, &got);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(got.codes.size(), 5u);
  ASSERT_TRUE(seen.stream_done.wait(5000)) << "the handler kept streaming";
  EXPECT_LT(seconds_since(start), 6.0);
  EXPECT_LT(seen.stream_sent, 1000000);
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_EQ(seen.stream_last_send.code, VBP_CANCELLED) << seen.stream_last_send.message;
  EXPECT_TRUE(seen.stream_saw_done);
}

TEST_F(Rpc, AServerStreamPastItsTimeoutIsDeadlineExceeded) {
  Vbp__V1__Region req = region("100000000");
  vbp_call_options o = admin(200);
  Received got;
  got.stop_after = SIZE_MAX;
  auto start = Clock::now();
  vbp_status st =
      vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Received::on_message, &got);
  EXPECT_EQ(st.code, VBP_DEADLINE_EXCEEDED) << vbp_code_name(st.code) << ": " << st.message;
  EXPECT_LT(seconds_since(start), 3.0);
  ASSERT_TRUE(seen.stream_done.wait(5000)) << "the handler kept streaming";
}

struct Flowing {
  std::atomic<int> received{0};
  Latch started;
  static bool on_message(void *ctx, const ProtobufCMessage *) {
    Flowing *f = static_cast<Flowing *>(ctx);
    if (++f->received == 10) f->started.set();
    return true;
  }
};

TEST_F(Rpc, StopDuringAServerStreamEndsItPromptly) {
  Vbp__V1__Region req = region("100000000");
  vbp_call_options o = admin(20000);
  Flowing flowing;
  vbp_status st = vbp_status_ok();
  std::thread reader([&] {
    st =
        vbp_client_stream(client, &kMethods[kStream], &req.base, &o, Flowing::on_message, &flowing);
  });
  EXPECT_TRUE(flowing.started.wait());
  auto start = Clock::now();
  vbp_server_stop(server, 50);
  server = nullptr;
  EXPECT_LT(seconds_since(start), 3.0);
  reader.join();
  EXPECT_TRUE(st.code == VBP_CANCELLED || st.code == VBP_UNAVAILABLE)
      << vbp_code_name(st.code) << ": " << st.message;
  EXPECT_TRUE(seen.stream_done.wait(0));
  EXPECT_LT(seen.stream_sent, 100000000);
}

}  // namespace

TEST(RpcMethodOf, BuildsTheClientRowFromTheServiceDescriptorOnce) {
  const vbp_method *m = vbp_method_of(&vbp__v1__catalog_service__descriptor, "GetOrganization");
  EXPECT_STREQ(m->path, "/vbp.v1.CatalogService/GetOrganization");
  EXPECT_EQ(m->request, &vbp__v1__get_organization_request__descriptor);
  EXPECT_EQ(m->response, &vbp__v1__organization__descriptor);
  EXPECT_EQ(vbp_method_of(&vbp__v1__catalog_service__descriptor, "GetOrganization"), m);
  EXPECT_NE(vbp_method_of(&vbp__v1__catalog_service__descriptor, "GetBatch"), m);
}

TEST(RpcMethodOfDeathTest, AMethodTheServiceDoesNotHaveAborts) {
  EXPECT_DEATH(vbp_method_of(&vbp__v1__catalog_service__descriptor, "NoSuchMethod"),
               "vbp.v1.CatalogService has no method NoSuchMethod");
}
