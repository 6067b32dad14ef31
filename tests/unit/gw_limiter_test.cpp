// The gateway's per-key token buckets (gateway/limiter.h), with time as a parameter.
#include <gtest/gtest.h>

#include "gateway/limiter.h"

namespace {

constexpr int64_t kSecond = 1000000;

TEST(GwLimiter, ABurstIsAllowedThenTheNextCallWaitsForATokenToRefill) {
  gw_limiter *l = gw_limiter_create(10, 5, 64);  // 10 a second, burst 5
  int retry = 0;
  for (int i = 0; i < 5; i++) EXPECT_TRUE(gw_limiter_take(l, "k", 0, &retry)) << i;
  EXPECT_FALSE(gw_limiter_take(l, "k", 0, &retry));
  EXPECT_EQ(retry, 1);  // 0.1 s to the next token, said as whole seconds
  EXPECT_TRUE(gw_limiter_take(l, "k", kSecond / 10, &retry));  // one token refilled
  EXPECT_FALSE(gw_limiter_take(l, "k", kSecond / 10, &retry));
  gw_limiter_destroy(l);
}

TEST(GwLimiter, RefillStopsAtTheBurst) {
  gw_limiter *l = gw_limiter_create(10, 3, 64);
  int retry = 0;
  EXPECT_TRUE(gw_limiter_take(l, "k", 0, &retry));
  int allowed = 0;
  for (int i = 0; i < 10; i++) allowed += gw_limiter_take(l, "k", 100 * kSecond, &retry);
  EXPECT_EQ(allowed, 3);
  gw_limiter_destroy(l);
}

TEST(GwLimiter, KeysHaveBucketsOfTheirOwn) {
  gw_limiter *l = gw_limiter_create(1, 1, 4096);
  int retry = 0;
  EXPECT_TRUE(gw_limiter_take(l, "a", 0, &retry));
  EXPECT_FALSE(gw_limiter_take(l, "a", 0, &retry));
  EXPECT_TRUE(gw_limiter_take(l, "b", 0, &retry));
  gw_limiter_destroy(l);
}

TEST(GwLimiter, ASlowRateSaysHowManySecondsToWait) {
  gw_limiter *l = gw_limiter_create(0.25, 1, 64);  // one call every 4 s
  int retry = 0;
  EXPECT_TRUE(gw_limiter_take(l, "k", 0, &retry));
  EXPECT_FALSE(gw_limiter_take(l, "k", kSecond, &retry));
  EXPECT_EQ(retry, 3);
  gw_limiter_destroy(l);
}

TEST(GwLimiter, ARateOfZeroAllowsEverything) {
  gw_limiter *l = gw_limiter_create(0, 0, 1);
  int retry = 0;
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(gw_limiter_take(l, "k", 0, &retry));
  gw_limiter_destroy(l);
}

TEST(GwLimiter, ACollidingKeyStartsWithAFullBucket) {
  gw_limiter *l = gw_limiter_create(1, 1, 1);  // one slot: every key collides
  int retry = 0;
  EXPECT_TRUE(gw_limiter_take(l, "a", 0, &retry));
  EXPECT_TRUE(gw_limiter_take(l, "b", 0, &retry));
  EXPECT_FALSE(gw_limiter_take(l, "b", 0, &retry));
  gw_limiter_destroy(l);
}

TEST(GwLimiter, PeekSaysWhetherATokenIsThereWithoutTakingIt) {
  gw_limiter *l = gw_limiter_create(1, 2, 64);
  int retry = 0;
  for (int i = 0; i < 5; i++) EXPECT_TRUE(gw_limiter_peek(l, "k", 0, &retry)) << i;
  EXPECT_TRUE(gw_limiter_take(l, "k", 0, &retry));
  EXPECT_TRUE(gw_limiter_take(l, "k", 0, &retry));
  EXPECT_FALSE(gw_limiter_peek(l, "k", 0, &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(gw_limiter_peek(l, "k", kSecond, &retry));
  gw_limiter_destroy(l);
}

}  // namespace
