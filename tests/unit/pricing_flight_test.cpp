// pricing-svc/flight.c: one computation per key at a time.
#include "pricing-svc/flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

TEST(PricingFlight, ConcurrentAskersOfOneKeyShareTheLeadersAnswer) {
  pricing_flights *f = pricing_flights_create();
  std::atomic<int> computations{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; i++)
    threads.emplace_back([&] {
      vbp_arena *a = vbp_arena_create();
      pricing_flight *flight = nullptr;
      if (pricing_flight_join(f, "vbp:price:1:1:350000:2024-08-01:A", &flight)) {
        computations++;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the others join
        pricing_flight_done(f, flight, vbp_status_ok(), "P\0x", 3);
        ok++;
      } else {
        char *value = nullptr;
        size_t len = 0;
        vbp_status st = pricing_flight_wait(f, flight, a, &value, &len);
        if (st.code == VBP_OK && std::string(value, len) == std::string("P\0x", 3)) ok++;
      }
      vbp_arena_destroy(a);
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(computations, 1);
  EXPECT_EQ(ok, 16);
  pricing_flights_destroy(f);
}

TEST(PricingFlight, DifferentKeysDoNotWaitForEachOther) {
  pricing_flights *f = pricing_flights_create();
  pricing_flight *a = nullptr, *b = nullptr;
  EXPECT_TRUE(pricing_flight_join(f, "k1", &a));
  EXPECT_TRUE(pricing_flight_join(f, "k2", &b));
  pricing_flight_done(f, b, vbp_status_ok(), "2", 1);
  pricing_flight_done(f, a, vbp_status_ok(), "1", 1);
  pricing_flights_destroy(f);
}

TEST(PricingFlight, AFailureReachesTheWaitersAndTheNextAskerComputesAgain) {
  pricing_flights *f = pricing_flights_create();
  vbp_arena *arena = vbp_arena_create();
  pricing_flight *leader = nullptr, *waiter = nullptr;
  ASSERT_TRUE(pricing_flight_join(f, "k", &leader));
  ASSERT_FALSE(pricing_flight_join(f, "k", &waiter));
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pricing_flight_done(f, leader, vbp_status_make(VBP_UNAVAILABLE, "catalog-svc down"), nullptr,
                        0);
  });
  char *value = nullptr;
  size_t len = 0;
  vbp_status st = pricing_flight_wait(f, waiter, arena, &value, &len);
  t.join();
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_STREQ(st.message, "catalog-svc down");
  // Finished flights are gone: a new asker leads a new computation.
  pricing_flight *again = nullptr;
  EXPECT_TRUE(pricing_flight_join(f, "k", &again));
  pricing_flight_done(f, again, vbp_status_ok(), "v", 1);
  vbp_arena_destroy(arena);
  pricing_flights_destroy(f);
}

}  // namespace
