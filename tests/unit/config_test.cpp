/* Settings from environment variables (common/config.h): required values, fallbacks, and
 * integers within bounds. */
#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>

namespace {

class EnvInt : public ::testing::Test {
 protected:
  static constexpr const char *kName = "VBP_UNIT_TEST_INT";
  void TearDown() override { unsetenv(kName); }
  vbp_status read(const char *value, int *out) {
    if (value)
      setenv(kName, value, 1);
    else
      unsetenv(kName);
    return vbp_env_int(kName, 7, 1, 100, out);
  }
};

TEST_F(EnvInt, UnsetOrEmptyGivesTheFallback) {
  int out = 0;
  ASSERT_EQ(read(nullptr, &out).code, VBP_OK);
  EXPECT_EQ(out, 7);
  out = 0;
  ASSERT_EQ(read("", &out).code, VBP_OK);
  EXPECT_EQ(out, 7);
}

TEST_F(EnvInt, ValuesWithinTheBoundsAreAccepted) {
  for (const auto &c : {std::pair<const char *, int>{"1", 1}, {"42", 42}, {"100", 100}}) {
    int out = 0;
    vbp_status st = read(c.first, &out);
    ASSERT_EQ(st.code, VBP_OK) << c.first;
    EXPECT_EQ(out, c.second);
  }
}

TEST_F(EnvInt, OutOfBoundsOrMalformedValuesAreInvalidNamingTheVariable) {
  for (const char *bad : {"0", "101", "-1", "abc", "12abc", "4.5", "99999999999999999999",
                          "2147483648", "0x10", "5 "}) {
    int out = 555;
    vbp_status st = read(bad, &out);
    EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << bad;
    EXPECT_STREQ(st.field, "VBP_UNIT_TEST_INT") << bad;
    EXPECT_STREQ(st.reason, "must be a whole number from 1 to 100") << bad;
    EXPECT_EQ(out, 555) << bad;
  }
}

TEST(Env, RequiredAndFallbackValues) {
  unsetenv("VBP_UNIT_TEST_STR");
  EXPECT_STREQ(vbp_env("VBP_UNIT_TEST_STR", "fallback"), "fallback");
  const char *out = nullptr;
  vbp_status st = vbp_env_required("VBP_UNIT_TEST_STR", &out);
  EXPECT_EQ(st.code, VBP_FAILED_PRECONDITION);
  EXPECT_STREQ(st.field, "VBP_UNIT_TEST_STR");
  setenv("VBP_UNIT_TEST_STR", "value", 1);
  EXPECT_STREQ(vbp_env("VBP_UNIT_TEST_STR", "fallback"), "value");
  ASSERT_EQ(vbp_env_required("VBP_UNIT_TEST_STR", &out).code, VBP_OK);
  EXPECT_STREQ(out, "value");
  unsetenv("VBP_UNIT_TEST_STR");
}

TEST(Env, LogSettingsDefaultToEveryLineOnStderrAndRefuseABadSample) {
  for (const char *name :
       {"VBP_LOG_LEVEL", "VBP_LOG_FILE", "VBP_ACCESS_LOG_SAMPLE", "VBP_ACCESS_LOG_SLOW_MS"})
    unsetenv(name);
  vbp_log_settings s{};
  ASSERT_EQ(vbp_env_log_settings(&s).code, VBP_OK);
  EXPECT_EQ(s.level, VBP_LOG_INFO);
  EXPECT_EQ(s.file, nullptr);
  EXPECT_EQ(s.sample_one_in, 1);
  EXPECT_EQ(s.slow_ms, 1000);
  setenv("VBP_LOG_FILE", "/var/log/vbp.log", 1);
  setenv("VBP_ACCESS_LOG_SAMPLE", "100", 1);
  ASSERT_EQ(vbp_env_log_settings(&s).code, VBP_OK);
  EXPECT_STREQ(s.file, "/var/log/vbp.log");
  EXPECT_EQ(s.sample_one_in, 100);
  setenv("VBP_ACCESS_LOG_SAMPLE", "0.01", 1);
  vbp_status st = vbp_env_log_settings(&s);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(st.field, "VBP_ACCESS_LOG_SAMPLE");
  unsetenv("VBP_LOG_FILE");
  unsetenv("VBP_ACCESS_LOG_SAMPLE");
}

}  // namespace
