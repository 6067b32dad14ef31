/* The process's clocks (common/clock.h): today pinned by VBP_TODAY or China's real date, a
 * malformed VBP_TODAY refused by name, and the wall and monotonic clocks. */
#include "common/clock.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

/* Each case sets VBP_TODAY as it needs and leaves the clock unpinned for the next one. */
class Clock : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("VBP_TODAY");
    vbp_clock_init();
  }

  static vbp_status init_with(const char *today) {
    setenv("VBP_TODAY", today, 1);
    return vbp_clock_init();
  }
};

TEST_F(Clock, PinnedTodayIsTheDateInVbpToday) {
  vbp_status st = init_with("2024-02-29");
  ASSERT_TRUE(vbp_ok(&st)) << st.message;
  EXPECT_TRUE(vbp_clock_pinned());
  EXPECT_EQ(vbp_today(), vbp_date_from_ymd(2024, 2, 29));
  ASSERT_NE(vbp_clock_pinned_text(), nullptr);
  EXPECT_STREQ(vbp_clock_pinned_text(), "2024-02-29");
}

TEST_F(Clock, MalformedVbpTodayIsRefusedByNameAndLeavesTodayUnpinned) {
  const char *malformed[] = {"2023-02-29", "2024-2-29",  "20240229",  "2024-02-29 ",
                             "today",      "0000-01-01", "2024-13-01"};
  for (const char *text : malformed) {
    vbp_status pin = init_with("2024-06-01"); /* a refused value must not keep an older pin */
    ASSERT_TRUE(vbp_ok(&pin));
    vbp_status st = init_with(text);
    EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << text;
    EXPECT_STREQ(st.field, "VBP_TODAY") << text;
    EXPECT_NE(std::strstr(st.message, "VBP_TODAY"), nullptr) << st.message;
    EXPECT_FALSE(vbp_clock_pinned()) << text;
    EXPECT_EQ(vbp_clock_pinned_text(), nullptr) << text;
  }
}

TEST_F(Clock, UnsetOrEmptyVbpTodayIsNotPinned) {
  unsetenv("VBP_TODAY");
  vbp_status st = vbp_clock_init();
  EXPECT_TRUE(vbp_ok(&st));
  EXPECT_FALSE(vbp_clock_pinned());
  st = init_with("");
  EXPECT_TRUE(vbp_ok(&st));
  EXPECT_FALSE(vbp_clock_pinned());
  EXPECT_EQ(vbp_clock_pinned_text(), nullptr);
}

TEST_F(Clock, UnpinnedTodayIsTheDateInChinaNow) {
  unsetenv("VBP_TODAY");
  vbp_status st = vbp_clock_init();
  ASSERT_TRUE(vbp_ok(&st));
  /* China's midnight may pass between the reads: only a reading with the same day on both sides
   * of vbp_today() says which day it had to be. */
  for (int attempt = 0; attempt < 3; attempt++) {
    vbp_date before = vbp_date_china_today(time(nullptr));
    vbp_date today = vbp_today();
    vbp_date after = vbp_date_china_today(time(nullptr));
    if (before != after) continue;
    EXPECT_EQ(today, before);
    return;
  }
  FAIL() << "the date changed on every attempt";
}

TEST(ClockTime, NowIsUnixTimeInMilliseconds) {
  time_t before = time(nullptr);
  int64_t now_ms = vbp_now_ms();
  time_t after = time(nullptr);
  EXPECT_GE(now_ms / 1000, static_cast<int64_t>(before));
  EXPECT_LE(now_ms / 1000, static_cast<int64_t>(after));
}

TEST(ClockTime, MonotonicNeverGoesBackwards) {
  int64_t last = vbp_monotonic_us();
  for (int i = 0; i < 100000; i++) {
    int64_t now = vbp_monotonic_us();
    ASSERT_GE(now, last) << "read " << i;
    last = now;
  }
  timespec pause = {0, 2000000}; /* 2 ms: it also moves forwards */
  nanosleep(&pause, nullptr);
  EXPECT_GE(vbp_monotonic_us() - last, 2000);
}

} /* namespace */
