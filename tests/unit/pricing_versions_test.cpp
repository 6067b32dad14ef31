// pricing-svc/versions.c: the lease that keeps cached answers fresh. The reader is a fake whose
// answers and failures the test sets, so every case is exact.
#include "pricing-svc/versions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

struct FakeOwners {
  std::atomic<int64_t> catalog{1}, own{1};
  std::atomic<bool> failing{false};
  std::atomic<int> reads{0};
  std::atomic<int> delay_ms{0};
};

vbp_status fetch(void *ctx, int64_t *catalog, int64_t *own) {
  auto *f = static_cast<FakeOwners *>(ctx);
  f->reads++;
  if (f->delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(f->delay_ms.load()));
  if (f->failing) return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc is down");
  *catalog = f->catalog;
  *own = f->own;
  return vbp_status_ok();
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::pair<int64_t, int64_t> get(pricing_versions *v) {
  int64_t c = -1, o = -1;
  vbp_status st = pricing_versions_get(v, &c, &o);
  EXPECT_EQ(st.code, VBP_OK) << st.message;
  return {c, o};
}

TEST(PricingVersions, TheFirstLookUpReadsTheVersionsWhenThePollerHasNotYet) {
  FakeOwners owners;
  owners.catalog = 7;
  owners.own = 3;
  // A poller that never comes round again within the test.
  pricing_versions *v = pricing_versions_start(fetch, &owners, 60000, 100000);
  EXPECT_EQ(get(v), std::make_pair(int64_t{7}, int64_t{3}));
  pricing_versions_stop(v);
}

TEST(PricingVersions, ThePollerPicksUpANewVersionWithinOnePeriod) {
  FakeOwners owners;
  pricing_versions *v = pricing_versions_start(fetch, &owners, 20, 200);
  EXPECT_EQ(get(v).first, 1);
  owners.catalog = 2;
  owners.own = 5;
  sleep_ms(80);
  EXPECT_EQ(get(v), std::make_pair(int64_t{2}, int64_t{5}));
  pricing_versions_stop(v);
}

TEST(PricingVersions, APushRaisesAtOnceAndVersionsNeverGoDown) {
  FakeOwners owners;
  pricing_versions *v = pricing_versions_start(fetch, &owners, 60000, 100000);
  EXPECT_EQ(get(v).first, 1);
  pricing_versions_saw(v, 9, 0);
  EXPECT_EQ(get(v), std::make_pair(int64_t{9}, int64_t{1}));  // 0 leaves own alone
  pricing_versions_saw(v, 4, 6);                              // an older catalog version
  EXPECT_EQ(get(v), std::make_pair(int64_t{9}, int64_t{6}));
  pricing_versions_stop(v);
}

TEST(PricingVersions, PastTheLeaseALookUpConfirmsItselfAndFailsWhenItCannot) {
  FakeOwners owners;
  // The poller reads once at start and then not again: only look-ups confirm.
  pricing_versions *v = pricing_versions_start(fetch, &owners, 60000, 100);
  EXPECT_EQ(get(v).first, 1);
  sleep_ms(30);  // the poller's first read is over
  EXPECT_EQ(get(v).first, 1);
  int reads = owners.reads;
  EXPECT_EQ(get(v).first, 1);
  EXPECT_EQ(owners.reads, reads);  // inside the lease: no read
  owners.catalog = 2;
  sleep_ms(150);
  EXPECT_EQ(get(v).first, 2);  // past it: read again, and the new version seen
  EXPECT_EQ(owners.reads, reads + 1);
  owners.failing = true;
  sleep_ms(150);
  int64_t c = 0, o = 0;
  vbp_status st = pricing_versions_get(v, &c, &o);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);  // never an answer from a version that may be stale
  EXPECT_NE(std::string(st.message).find("catalog-svc is down"), std::string::npos);
  owners.failing = false;
  EXPECT_EQ(get(v).first, 2);
  pricing_versions_stop(v);
}

TEST(PricingVersions, ThreadsPastTheLeaseShareOneConfirmingRead) {
  FakeOwners owners;
  pricing_versions *v = pricing_versions_start(fetch, &owners, 60000, 100);
  EXPECT_EQ(get(v).first, 1);
  sleep_ms(150);
  int reads = owners.reads;
  owners.delay_ms = 50;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; i++) threads.emplace_back([&] { get(v); });
  for (auto &t : threads) t.join();
  EXPECT_EQ(owners.reads, reads + 1);
  pricing_versions_stop(v);
}

TEST(PricingVersions, TheLeaseRunsFromTheStartOfTheReadThatConfirmedIt) {
  FakeOwners owners;
  // A read that takes longer than the lease confirms nothing for later look-ups: a write
  // acknowledged while it ran may not be in what it read.
  owners.delay_ms = 150;
  pricing_versions *v = pricing_versions_start(fetch, &owners, 60000, 100);
  EXPECT_EQ(get(v).first, 1);
  int reads = owners.reads;
  get(v);
  EXPECT_GT(owners.reads, reads);
  pricing_versions_stop(v);
}

}  // namespace
