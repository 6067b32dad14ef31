/* Money (DOMAIN.md "Money, quantities, dates"): exact parsing and formatting, and rounding half
 * away from zero on both sides of zero, up to the int64 extremes. */
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "common/money.h"

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr vbp_money kUntouched = 777; /* out-parameters must keep this on failure */

std::string format(vbp_money amount) {
  char buf[VBP_MONEY_FORMAT_MAX];
  return vbp_money_format(amount, buf);
}

struct ParseCase {
  const char *text;
  vbp_money expected;
};

TEST(Money, ParsesYuanWithZeroToFourDecimals) {
  const ParseCase cases[] = {
      {"0", 0},
      {"30", 300000},
      {"30.5", 305000},
      {"30.0000", 300000},
      {"42.1234", 421234},
      {"-1.25", -12500},
      {"0.0001", 1},
      {"-0.0001", -1},
      {"-0", 0},
      {"922337203685477.5807", kMax},
      {"-922337203685477.5808", kMin},
  };
  for (const ParseCase &c : cases) {
    vbp_money amount = kUntouched;
    EXPECT_TRUE(vbp_money_parse(c.text, &amount)) << c.text;
    EXPECT_EQ(amount, c.expected) << c.text;
  }
}

TEST(Money, RejectsAnythingButPlainDecimalsAndLeavesTheOutputAlone) {
  const char *const cases[] = {
      "",
      "-",
      "1.",
      ".5",
      "-.5",
      "1.23456",
      "0.00005",
      "+1",
      " 1",
      "1 ",
      "1e3",
      "1E3",
      "--1",
      "1.2.3",
      "1,000",
      "0x10",
      "1.-5",
      "１",
      "abc",
      "1.5a",
      "NaN",
      "inf",
      "922337203685477.5808",  /* INT64_MAX + 1 unit */
      "-922337203685477.5809", /* INT64_MIN - 1 unit */
      "922337203685478",       /* too many yuan even before the decimals are added */
      "99999999999999999999999",
  };
  for (const char *text : cases) {
    vbp_money amount = kUntouched;
    EXPECT_FALSE(vbp_money_parse(text, &amount)) << '"' << text << '"';
    EXPECT_EQ(amount, kUntouched) << '"' << text << '"';
  }
}

TEST(Money, FormatsExactlyFourDecimals) {
  const struct {
    vbp_money amount;
    const char *expected;
  } cases[] = {
      {0, "0.0000"},
      {300000, "30.0000"},
      {294000, "29.4000"},
      {-5000, "-0.5000"},
      {1, "0.0001"},
      {-1, "-0.0001"},
      {-12500, "-1.2500"},
      {kMax, "922337203685477.5807"},
      {kMin, "-922337203685477.5808"},
  };
  for (const auto &c : cases) EXPECT_EQ(format(c.amount), c.expected) << c.amount;
}

TEST(Money, FormattingThenParsingGivesTheSameAmount) {
  const vbp_money amounts[] = {0, 1, -1, 9999, -9999, 10000, 305000, kMax, kMin, kMin + 1};
  for (vbp_money amount : amounts) {
    char buf[VBP_MONEY_FORMAT_MAX];
    vbp_money back = kUntouched;
    ASSERT_TRUE(vbp_money_parse(vbp_money_format(amount, buf), &back)) << buf;
    EXPECT_EQ(back, amount) << buf;
  }
}

struct MulDivCase {
  vbp_money amount;
  int64_t numerator;
  int64_t denominator;
  vbp_money expected;
};

TEST(Money, MulDivRoundsHalvesAwayFromZeroOnBothSides) {
  const MulDivCase cases[] = {
      {1, 1, 2, 1},                                 /* 0.00005 yuan -> 0.0001 */
      {-1, 1, 2, -1},                               /* -0.00005 yuan -> -0.0001 */
      {3, 1, 2, 2},                                 /* 0.00015 -> 0.0002 */
      {-3, 1, 2, -2}, {5, 1, -2, -3},               /* the sign may come from the denominator */
      {-5, 1, -2, 3}, {1, -1, 2, -1}, {1, 1, 3, 0}, /* below the half: toward zero */
      {-1, 1, 3, 0},  {2, 1, 3, 1},                 /* above the half: away from zero */
      {-2, 1, 3, -1}, {0, 5, 7, 0},   {300000, 7, 10, 210000},
  };
  for (const MulDivCase &c : cases)
    EXPECT_EQ(vbp_money_mul_div(c.amount, c.numerator, c.denominator), c.expected)
        << c.amount << " * " << c.numerator << " / " << c.denominator;
}

TEST(Money, MulDivDoesNotOverflowWhenOnlyTheProductIsOutsideInt64) {
  const MulDivCase cases[] = {
      {kMax, kMax, kMax, kMax},   {kMin, kMin, kMin, kMin},
      {kMax, 3, 3, kMax},         {kMin, 2, 2, kMin},
      {kMin, -1, -1, kMin},       {kMax, 1, 2, kMax / 2 + 1}, /* ...903.5 rounds up */
      {kMin + 1, 1, 2, kMin / 2},                             /* -...903.5 rounds down */
      {kMin, 1, 2, kMin / 2},     {kMax, kMax - 1, kMax, kMax - 1},
      {kMax, 1, kMin, -1}, /* -0.99.. -> -1 */
  };
  for (const MulDivCase &c : cases)
    EXPECT_EQ(vbp_money_mul_div(c.amount, c.numerator, c.denominator), c.expected)
        << c.amount << " * " << c.numerator << " / " << c.denominator;
}

TEST(Money, SeventyPercentOfFortyTwoYuanIsTwentyNinePointFour) {
  vbp_money price = 0;
  ASSERT_TRUE(vbp_money_parse("42.0000", &price));
  EXPECT_EQ(format(vbp_money_percent(price, 70)), "29.4000");
}

TEST(Money, PercentRoundsHalvesAwayFromZero) {
  const struct {
    vbp_money amount;
    int64_t percent;
    vbp_money expected;
  } cases[] = {
      {500000, 70, 350000},             /* DOMAIN.md P2b: 70% of 50.0000 = 35.0000 */
      {5, 70, 4},                       /* 0.00035 -> 0.0004 */
      {-5, 70, -4},         {1, 50, 1}, /* 0.00005 -> 0.0001 */
      {-1, 50, -1},         {1, 70, 1}, /* 0.00007 -> 0.0001 */
      {1, 30, 0},                       /* 0.00003 -> 0 */
      {-1, 30, 0},          {12345, 0, 0},        {12345, 100, 12345},
      {kMax, 100, kMax},    {kMin, 50, kMin / 2},
  };
  for (const auto &c : cases)
    EXPECT_EQ(vbp_money_percent(c.amount, c.percent), c.expected)
        << c.percent << "% of " << c.amount;
}

TEST(Money, IntegerDivisionRoundsHalvesAwayFromZero) {
  const struct {
    int64_t numerator;
    int64_t denominator;
    int64_t expected;
  } cases[] = {
      {7, 2, 4},
      {-7, 2, -4},
      {7, -2, -4},
      {-7, -2, 4},
      {333 * 50, 100, 167}, /* V2: 333 units x 50% = 166.5 -> 167 */
      {5, 3, 2},
      {4, 3, 1},
      {-4, 3, -1},
      {0, 5, 0},
      {1, kMax, 0},
      {kMax, 1, kMax},
      {kMin, 1, kMin},
      {kMax, 2, kMax / 2 + 1},
      {kMin, 2, kMin / 2},
      {kMin, kMin, 1},
      {kMax, kMin, -1},
      {kMin + 1, -1, kMax},
  };
  for (const auto &c : cases)
    EXPECT_EQ(vbp_div_round_half_away(c.numerator, c.denominator), c.expected)
        << c.numerator << " / " << c.denominator;
}

} /* namespace */
