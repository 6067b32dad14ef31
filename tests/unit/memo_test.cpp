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
  std::string out =
      vbp_memo_get(m, key.c_str(), a, &value, &len) ? std::string(value, len) : "<none>";
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

/* Threads put and get the same keys at once, then threads that put nothing get them back.
 * Which of two keys sharing a slot stays depends on which thread came last, but how many keys stay
 * does not: as many as in a memo of the same size that one thread filled with the same keys, and
 * 256 slots keep well over half of 300 keys (a memo that keeps nothing fails here). */
TEST(Memo, ThreadsShareIt) {
  const int kKeys = 300;
  auto key = [](int n) { return "k" + std::to_string(n); };
  vbp_memo *m = vbp_memo_create(256);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++)
    threads.emplace_back([m, t, key] {
      for (int i = 0; i < 2000; i++) {
        std::string k = key((t * 7 + i) % kKeys), v = "v" + k;
        vbp_memo_put(m, k.c_str(), v.data(), v.size());
        std::string got = get(m, k);
        EXPECT_TRUE(got == "<none>" || got == v) << got;
      }
    });
  for (auto &th : threads) th.join();
  threads.clear();

  vbp_memo *alone = vbp_memo_create(256);
  for (int n = 0; n < kKeys; n++) vbp_memo_put(alone, key(n).c_str(), "v", 1);
  int kept = 0;
  for (int n = 0; n < kKeys; n++) kept += get(alone, key(n)) != "<none>";
  vbp_memo_destroy(alone);
  EXPECT_GT(kept, kKeys / 2);

  for (int t = 0; t < 4; t++)
    threads.emplace_back([m, kept, key] {
      int found = 0;
      for (int n = 0; n < kKeys; n++) {
        std::string k = key(n), got = get(m, k);
        if (got == "<none>") continue;
        EXPECT_EQ(got, "v" + k);
        found++;
      }
      EXPECT_EQ(found, kept);
    });
  for (auto &th : threads) th.join();
  vbp_memo_destroy(m);
}

}  // namespace
