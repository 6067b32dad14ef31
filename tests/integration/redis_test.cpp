// common/redis against a real Redis (the test stack).
#include "common/redis.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_stack.h"

namespace {

struct RedisCloser {
  void operator()(vbp_redis *r) const { vbp_redis_close(r); }
};
using Redis = std::unique_ptr<vbp_redis, RedisCloser>;

Redis open_stack_redis() {
  vbp_redis *r = nullptr;
  vbp_status st = vbp_redis_open(vbp_test_env("VBP_REDIS_ADDR").c_str(), 50, &r);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
  return Redis(r);
}

// Keys of this program only: test programs share the stack's Redis.
std::string key(const char *name) { return "vbp-test:" + std::to_string(getpid()) + ":" + name; }

// Reads a value back as a string (for comparisons), or "<missing>".
std::string get(vbp_redis *r, const std::string &k) {
  char *value = nullptr;
  size_t len = 12345;
  vbp_status st = vbp_redis_get(r, k.c_str(), &value, &len);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
  if (st.code != VBP_OK) return "<error>";
  if (value == nullptr) {
    EXPECT_EQ(len, 0u);
    return "<missing>";
  }
  EXPECT_EQ(value[len], '\0');
  std::string out(value, len);
  std::free(value);
  return out;
}

// Asks Redis directly, bypassing the code under test.
long long raw_integer(const char *command, const std::string &k) {
  std::string addr = vbp_test_env("VBP_REDIS_ADDR");
  int port = std::atoi(vbp_test_env("VBP_REDIS_PORT").c_str());
  std::string host = addr.substr(0, addr.rfind(':'));
  redisContext *c = redisConnect(host.c_str(), port);
  EXPECT_TRUE(c != nullptr && c->err == 0);
  if (c == nullptr) return -1000;
  auto *reply = static_cast<redisReply *>(redisCommand(c, "%s %b", command, k.data(), k.size()));
  long long n = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1000;
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return n;
}

TEST(Redis, SetGetAndDel) {
  Redis r = open_stack_redis();
  std::string k = key("plain");
  ASSERT_EQ(vbp_redis_del(r.get(), k.c_str()).code, VBP_OK);
  EXPECT_EQ(get(r.get(), k), "<missing>");
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), "12.3456", 7, 0).code, VBP_OK);
  EXPECT_EQ(get(r.get(), k), "12.3456");
  EXPECT_EQ(raw_integer("TTL", k), -1);                                  // no expiry asked for
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), "7", 1, 0).code, VBP_OK);  // overwrites
  EXPECT_EQ(get(r.get(), k), "7");
  ASSERT_EQ(vbp_redis_del(r.get(), k.c_str()).code, VBP_OK);
  EXPECT_EQ(get(r.get(), k), "<missing>");
  EXPECT_EQ(vbp_redis_del(r.get(), k.c_str()).code, VBP_OK);  // deleting nothing is fine
}

TEST(Redis, SetWithTtlExpires) {
  Redis r = open_stack_redis();
  std::string k = key("ttl");
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), "v", 1, 100).code, VBP_OK);
  long long ttl = raw_integer("TTL", k);
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 100);
  bool created = false;
  std::string nx = key("ttl-nx");
  ASSERT_EQ(vbp_redis_set_nx(r.get(), nx.c_str(), "v", 1, 60, &created).code, VBP_OK);
  EXPECT_TRUE(created);
  ttl = raw_integer("TTL", nx);
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 60);
  vbp_redis_del(r.get(), k.c_str());
  vbp_redis_del(r.get(), nx.c_str());
}

TEST(Redis, SetNxCreatesOnceAndLeavesTheFirstValue) {
  Redis r = open_stack_redis();
  std::string k = key("nx");
  vbp_redis_del(r.get(), k.c_str());
  bool created = false;
  ASSERT_EQ(vbp_redis_set_nx(r.get(), k.c_str(), "first", 5, 0, &created).code, VBP_OK);
  EXPECT_TRUE(created);
  ASSERT_EQ(vbp_redis_set_nx(r.get(), k.c_str(), "second", 6, 0, &created).code, VBP_OK);
  EXPECT_FALSE(created);
  EXPECT_EQ(get(r.get(), k), "first");
  ASSERT_EQ(vbp_redis_set_nx(r.get(), k.c_str(), "third", 5, 0, nullptr).code, VBP_OK);
  vbp_redis_del(r.get(), k.c_str());
}

TEST(Redis, IncrStartsFromZero) {
  Redis r = open_stack_redis();
  std::string k = key("version");
  vbp_redis_del(r.get(), k.c_str());
  long long v = 0;
  ASSERT_EQ(vbp_redis_incr(r.get(), k.c_str(), &v).code, VBP_OK);
  EXPECT_EQ(v, 1);
  ASSERT_EQ(vbp_redis_incr(r.get(), k.c_str(), &v).code, VBP_OK);
  EXPECT_EQ(v, 2);
  EXPECT_EQ(get(r.get(), k), "2");
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), "not a number", 12, 0).code, VBP_OK);
  vbp_status st = vbp_redis_incr(r.get(), k.c_str(), &v);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);  // an error reply is a failure like any other
  EXPECT_NE(std::strstr(st.message, "INCR"), nullptr) << st.message;
  EXPECT_EQ(v, 2);  // not written on failure
  vbp_redis_del(r.get(), k.c_str());
}

TEST(Redis, SetManyAndMgetTakeOneRoundTripForManyKeys) {
  Redis r = open_stack_redis();
  std::vector<std::string> ks, vs;
  for (int i = 0; i < 100; i++) {
    ks.push_back(key(("many" + std::to_string(i)).c_str()));
    vs.push_back(std::string("v\0", 2) + std::to_string(i));
  }
  std::vector<const char *> kp, vp;
  std::vector<size_t> lens;
  for (int i = 0; i < 100; i++) {
    kp.push_back(ks[i].c_str());
    vp.push_back(vs[i].data());
    lens.push_back(vs[i].size());
  }
  vbp_redis_del(r.get(), kp[7]);
  // Only the even keys are set, with a TTL.
  std::vector<const char *> even_k, even_v;
  std::vector<size_t> even_l;
  for (int i = 0; i < 100; i += 2) {
    even_k.push_back(kp[i]);
    even_v.push_back(vp[i]);
    even_l.push_back(lens[i]);
  }
  for (int i = 1; i < 100; i += 2) vbp_redis_del(r.get(), kp[i]);
  ASSERT_EQ(
      vbp_redis_set_many(r.get(), even_k.data(), even_v.data(), even_l.data(), even_k.size(), 60)
          .code,
      VBP_OK);
  std::vector<char *> got(100, nullptr);
  std::vector<size_t> got_len(100, 0);
  ASSERT_EQ(vbp_redis_mget(r.get(), kp.data(), kp.size(), got.data(), got_len.data()).code, VBP_OK);
  for (int i = 0; i < 100; i++) {
    if (i % 2 == 0) {
      ASSERT_NE(got[i], nullptr) << i;
      EXPECT_EQ(std::string(got[i], got_len[i]), vs[i]);
    } else {
      EXPECT_EQ(got[i], nullptr) << i;
    }
    free(got[i]);
  }
  EXPECT_GT(raw_integer("TTL", ks[0]), 0);
  for (auto &k : ks) vbp_redis_del(r.get(), k.c_str());
}

TEST(Redis, ValuesAreBinarySafe) {
  Redis r = open_stack_redis();
  std::string k = key("binary");
  std::string value;
  for (int i = 0; i < 256; i++) value += static_cast<char>(i);
  value += std::string("\r\n$-1\r\n\0tail", 12);
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), value.data(), value.size(), 0).code, VBP_OK);
  EXPECT_EQ(get(r.get(), k), value);
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), "", 0, 0).code, VBP_OK);  // empty, not missing
  EXPECT_EQ(get(r.get(), k), "");
  vbp_redis_del(r.get(), k.c_str());
}

TEST(Redis, ManyThreadsShareOneClient) {
  Redis r = open_stack_redis();
  std::string k = key("counter");
  vbp_redis_del(r.get(), k.c_str());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; i++) {
        vbp_status st = vbp_redis_incr(r.get(), k.c_str(), nullptr);
        EXPECT_EQ(st.code, VBP_OK) << st.message;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(get(r.get(), k), "1600");
  vbp_redis_del(r.get(), k.c_str());
}

TEST(Redis, AMalformedAddressIsInvalidArgument) {
  for (const char *addr :
       {"localhost", "localhost:", ":6379", "h:0", "h:70000", "h:12x", "[::1]"}) {
    vbp_redis *r = nullptr;
    EXPECT_EQ(vbp_redis_open(addr, 50, &r).code, VBP_INVALID_ARGUMENT) << addr;
    EXPECT_EQ(r, nullptr);
  }
}

TEST(Redis, NothingListeningIsUnavailableAndDoesNotStopOpen) {
  vbp_redis *raw = nullptr;
  ASSERT_EQ(vbp_redis_open("127.0.0.1:1", 50, &raw).code, VBP_OK);  // lazily connected
  Redis r(raw);
  char *value = nullptr;
  vbp_status st = vbp_redis_get(r.get(), "k", &value, nullptr);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_NE(std::strstr(st.message, "127.0.0.1:1"), nullptr) << st.message;
  st = vbp_redis_set(r.get(), "k", "v", 1, 0);  // inside the retry interval: fails at once
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_NE(std::strstr(st.message, "unreachable"), nullptr) << st.message;
}

TEST(Redis, AServerThatDoesNotAnswerTimesOutAndThenFailsFast) {
  // A listening socket nobody accepts on: connects succeed (the kernel's backlog), replies never
  // come, like a Redis that is stopped (SIGSTOP) or swapping.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  vbp_redis_options opts{};
  opts.command_timeout_ms = 50;
  opts.retry_interval_ms = 60000;
  vbp_redis *raw = nullptr;
  ASSERT_EQ(vbp_redis_open_opts(target.c_str(), &opts, &raw).code, VBP_OK);
  Redis r(raw);
  char *value = nullptr;
  vbp_status st = vbp_redis_get(r.get(), "k", &value, nullptr);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_NE(std::strstr(st.message, "timed out"), nullptr) << st.message;
  // The next calls do not wait for another timeout each.
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; i++) {
    st = vbp_redis_get(r.get(), "k", &value, nullptr);
    ASSERT_EQ(st.code, VBP_UNAVAILABLE);
  }
  EXPECT_NE(std::strstr(st.message, "unreachable"), nullptr) << st.message;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
  close(fd);
}

TEST(RedisOutage, CallsFailFastWhileRedisIsDownAndWorkAgainAfterItRestarts) {
  Redis r = open_stack_redis();
  std::string k = key("outage");
  ASSERT_EQ(vbp_redis_set(r.get(), k.c_str(), "before", 6, 0).code, VBP_OK);
  {
    RedisStopped stopped;
    auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; i++) {
      char *value = nullptr;
      vbp_status st = vbp_redis_get(r.get(), k.c_str(), &value, nullptr);
      ASSERT_EQ(st.code, VBP_UNAVAILABLE) << st.message;
      EXPECT_EQ(value, nullptr);
      EXPECT_EQ(vbp_redis_set(r.get(), k.c_str(), "x", 1, 0).code, VBP_UNAVAILABLE);
      EXPECT_EQ(vbp_redis_incr(r.get(), k.c_str(), nullptr).code, VBP_UNAVAILABLE);
    }
    // 150 calls while down: each fails without waiting out a timeout. A generous bound only.
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
    stopped.start();

    // Back within a few retry intervals (250 ms each).
    vbp_status st = vbp_status_make(VBP_UNKNOWN, "not tried");
    for (int i = 0; i < 100 && st.code != VBP_OK; i++) {
      st = vbp_redis_set(r.get(), k.c_str(), "after", 5, 0);
      if (st.code != VBP_OK) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(st.code, VBP_OK) << st.message;
  }
  // Every pooled connection works again, not only the one that reconnected first.
  for (int i = 0; i < 16; i++) EXPECT_EQ(get(r.get(), k), "after");
  vbp_redis_del(r.get(), k.c_str());
}

}  // namespace
