/* VBP_RPC_MAX_MESSAGE_BYTES (common/rpc_internal.h): the largest message a server takes and a
 * client sends, 72 MiB unless the environment says otherwise, read once per process. This
 * process sets it to 80 MiB before the first server or client: a request past the default is
 * taken, one past the setting refused. A process of its own, since the value is read once. */
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.h"
#include "common/rpc.h"
#include "vbp/v1/catalog.pb-c.h"

namespace {

constexpr size_t kMiB = 1024 * 1024;

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    setenv("VBP_RPC_MAX_MESSAGE_BYTES", std::to_string(80 * kMiB).c_str(), 1);
    vbp_log_init("rpc-max-message-test", VBP_LOG_WARN);
    vbp_rpc_init();
  }
  void TearDown() override { vbp_rpc_shutdown(); }
};
::testing::Environment *const environment = ::testing::AddGlobalTestEnvironment(new Environment);

/* Answers the length of the request's name (a small answer: a client takes 4 MiB by default). */
vbp_status measure(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response) {
  const auto *in = reinterpret_cast<const Vbp__V1__Region *>(request);
  auto *out = static_cast<Vbp__V1__Region *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__Region)));
  vbp__v1__region__init(out);
  out->name = vbp_arena_printf(vbp_call_arena(call), "%zu", std::strlen(in->name));
  *response = &out->base;
  return vbp_status_ok();
}

const vbp_method kMethods[] = {{"/test.Big/Measure", &vbp__v1__region__descriptor,
                                &vbp__v1__region__descriptor, measure, nullptr,
                                VBP_ALLOW_UNAUTHENTICATED}};

class RpcMaxMessage : public ::testing::Test {
 protected:
  void SetUp() override {
    auth = vbp_authenticator_create("admin-key", "secret", nullptr, nullptr, 1000, 16);
    metrics = vbp_metrics_for_methods("test-svc", kMethods, 1);
    config.service = "test-svc";
    config.listen_addr = "127.0.0.1:0";
    config.workers = 1;
    config.methods = kMethods;
    config.n_methods = 1;
    config.auth = auth;
    config.metrics = metrics;
    vbp_status st = vbp_server_start(&config, &server);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
    std::string target = "127.0.0.1:" + std::to_string(vbp_server_port(server));
    st = vbp_client_open(target.c_str(), nullptr, &client);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
  }
  void TearDown() override {
    vbp_client_close(client);
    vbp_server_stop(server, 1000);
    vbp_metrics_destroy(metrics);
    vbp_authenticator_destroy(auth);
  }

  /* A call with a name of `bytes` bytes; *answer the name's length the server saw. */
  vbp_status send(size_t bytes, std::string *answer) {
    std::string name(bytes, 'x');
    Vbp__V1__Region req = VBP__V1__REGION__INIT;
    req.code = const_cast<char *>("350000");
    req.name = name.data();
    vbp_call_options o{};
    o.timeout_ms = 30000;
    ProtobufCMessage *got = nullptr;
    vbp_status st = vbp_client_call(client, &kMethods[0], &req.base, &o, nullptr, &got);
    if (st.code == VBP_OK) {
      *answer = reinterpret_cast<Vbp__V1__Region *>(got)->name;
      protobuf_c_message_free_unpacked(got, nullptr);
    }
    return st;
  }

  vbp_authenticator *auth = nullptr;
  vbp_metrics *metrics = nullptr;
  vbp_server_config config{};
  vbp_server *server = nullptr;
  vbp_client *client = nullptr;
};

TEST_F(RpcMaxMessage, AMessagePastTheDefaultButWithinTheSettingIsTaken) {
  std::string answer;
  vbp_status st = send(76 * kMiB, &answer);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(answer, std::to_string(76 * kMiB));
}

TEST_F(RpcMaxMessage, AMessagePastTheSettingIsRefused) {
  std::string answer;
  vbp_status st = send(84 * kMiB, &answer);
  EXPECT_EQ(st.code, VBP_RESOURCE_EXHAUSTED) << st.message;
  EXPECT_EQ(answer, "");
}

}  // namespace
