// common/memo.c: values kept in memory, bounded, exact bytes back.
#include "common/memo.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace {

std::string get(vbp_memo *m, const std::string &key) {
  vbp_arena *a = vbp_arena_create();
  char *value = nullptr;
  size_t len = 0;
  std::string out = vbp_memo_get(m, key.c_str(), a, &value, &len) ? std::string(value, len)
                                                                     : "<none>";
  vbp_arena_destroy(a);
  return out;
}

TEST(Memo, KeepsTheExactBytesAndReplacesOnPut) {
  vbp_memo *m = vbp_memo_create(1024);
  EXPECT_EQ(get(m, "k"), "<none>");
  vbp_memo_put(m, "k", "P\0\1x", 4);
  EXPECT_EQ(get(m, "k"), std::string("P\0\1x", 4));
  vbp_memo_put(m, "k", "N not listed", 12);
  EXPECT_EQ(get(m, "k"), "N not listed");
  EXPECT_EQ(get(m, "k2"), "<none>");
  vbp_memo_destroy(m);
}

TEST(Memo, IsBoundedByItsSlots) {
  vbp_memo *m = vbp_memo_create(1);
  vbp_memo_put(m, "a", "1", 1);
  vbp_memo_put(m, "b", "2", 1);  // takes the one slot
  EXPECT_EQ(get(m, "a"), "<none>");
  EXPECT_EQ(get(m, "b"), "2");
  vbp_memo_destroy(m);
  vbp_memo *none = vbp_memo_create(0);
  vbp_memo_put(none, "a", "1", 1);
  EXPECT_EQ(get(none, "a"), "<none>");
  vbp_memo_destroy(none);
}

TEST(Memo, ThreadsShareIt) {
  vbp_memo *m = vbp_memo_create(256);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++)
    threads.emplace_back([m, t] {
      for (int i = 0; i < 2000; i++) {
        std::string k = "k" + std::to_string((t * 7 + i) % 300), v = "v" + k;
        vbp_memo_put(m, k.c_str(), v.data(), v.size());
        std::string got = get(m, k);
        EXPECT_TRUE(got == "<none>" || got == v) << got;
      }
    });
  for (auto &th : threads) th.join();
  vbp_memo_destroy(m);
}

}  // namespace
