/* Civil dates (DOMAIN.md "Money, quantities, dates"): day counts, strict parsing, adding years
 * and months with end-of-month clamping, and today's date in China (UTC+8). */
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "common/date.h"
#include "test_values.h"

namespace {

constexpr vbp_date kUntouched = 777; /* out-parameters must keep this on failure */

TEST(Date, CountsDaysFromTheFirstOfJanuary1970) {
  const struct {
    int year, month, day;
    vbp_date expected;
  } cases[] = {
      {1970, 1, 1, 0},      {1969, 12, 31, -1}, {2000, 3, 1, 11017},     {2024, 2, 29, 19782},
      {2024, 7, 22, 19926}, {1, 1, 1, -719162}, {9999, 12, 31, 2932896},
  };
  for (const auto &c : cases) {
    EXPECT_EQ(vbp_date_from_ymd(c.year, c.month, c.day), c.expected) << c.year << '-' << c.month;
    int year = 0, month = 0, day = 0;
    vbp_date_to_ymd(c.expected, &year, &month, &day);
    EXPECT_EQ(year, c.year);
    EXPECT_EQ(month, c.month);
    EXPECT_EQ(day, c.day);
  }
}

TEST(Date, EveryDayFromYearOneToYear9999FollowsTheDayBefore) {
  /* Walk the calendar by hand and check both conversions on every day. */
  int year = 1, month = 1, day = 1;
  for (vbp_date date = vbp_date_from_ymd(1, 1, 1); year <= 9999; date++) {
    ASSERT_EQ(vbp_date_from_ymd(year, month, day), date) << year << '-' << month << '-' << day;
    int y = 0, m = 0, d = 0;
    vbp_date_to_ymd(date, &y, &m, &d);
    ASSERT_TRUE(y == year && m == month && d == day) << year << '-' << month << '-' << day;
    if (++day > vbp_days_in_month(year, month)) {
      day = 1;
      if (++month > 12) {
        month = 1;
        year++;
      }
    }
  }
}

TEST(Date, LeapYearsAreEveryFourthExceptCenturiesNotDivisibleBy400) {
  EXPECT_TRUE(vbp_is_leap_year(2024));
  EXPECT_TRUE(vbp_is_leap_year(2000));
  EXPECT_FALSE(vbp_is_leap_year(2023));
  EXPECT_FALSE(vbp_is_leap_year(1900));
  EXPECT_FALSE(vbp_is_leap_year(2100));
  EXPECT_EQ(vbp_days_in_month(2024, 2), 29);
  EXPECT_EQ(vbp_days_in_month(2023, 2), 28);
  EXPECT_EQ(vbp_days_in_month(2024, 4), 30);
  EXPECT_EQ(vbp_days_in_month(2024, 12), 31);
}

TEST(Date, ParsesRealDaysInYyyyMmDd) {
  const char *const cases[] = {"2024-02-29", "2000-02-29", "2023-12-31", "1970-01-01",
                               "0001-01-01", "9999-12-31", "2024-07-22"};
  for (const char *text : cases) {
    vbp_date date = kUntouched;
    ASSERT_TRUE(vbp_date_parse(text, &date)) << text;
    EXPECT_EQ(test_day_text(date), text);
  }
  EXPECT_EQ(test_day("2024-07-22"), 19926);
}

TEST(Date, RejectsAnythingButTenCharactersNamingARealDay) {
  const char *const cases[] = {
      "2023-02-29",  "1900-02-29",  "2100-02-29", "2024-13-01",
      "2024-00-10",  "2024-01-00",  "2024-04-31", "2024-01-32",
      "2024-1-01",   "2024-01-1",   "24-01-01",   "2024-01-01x",
      "2024-01-01 ", " 2024-01-01", "0000-01-01", "2024/01/01",
      "20240101",    "2024-01",     "",           "+024-01-01",
      "-024-01-01",  "2024-0a-01",  "2024--1-01", "10000-01-01",
  };
  for (const char *text : cases) {
    vbp_date date = kUntouched;
    EXPECT_FALSE(vbp_date_parse(text, &date)) << '"' << text << '"';
    EXPECT_EQ(date, kUntouched) << '"' << text << '"';
  }
}

TEST(Date, ValidRequiresYearsOneTo9999AndARealDay) {
  EXPECT_TRUE(vbp_date_valid(2024, 2, 29));
  EXPECT_TRUE(vbp_date_valid(1, 1, 1));
  EXPECT_TRUE(vbp_date_valid(9999, 12, 31));
  EXPECT_FALSE(vbp_date_valid(2023, 2, 29));
  EXPECT_FALSE(vbp_date_valid(0, 1, 1));
  EXPECT_FALSE(vbp_date_valid(10000, 1, 1));
  EXPECT_FALSE(vbp_date_valid(2024, 0, 1));
  EXPECT_FALSE(vbp_date_valid(2024, 13, 1));
  EXPECT_FALSE(vbp_date_valid(2024, 6, 31));
  EXPECT_FALSE(vbp_date_valid(2024, 6, 0));
}

struct AddCase {
  const char *from;
  int count;
  const char *expected;
};

TEST(Date, AddingYearsToTheTwentyNinthOfFebruaryGivesTheTwentyEighthInCommonYears) {
  const AddCase cases[] = {
      {"2024-02-29", 1, "2025-02-28"},  {"2024-02-29", 4, "2028-02-29"},
      {"2024-02-29", -1, "2023-02-28"}, {"2024-02-29", -4, "2020-02-29"},
      {"2024-02-29", 0, "2024-02-29"},  {"2023-02-28", 1, "2024-02-28"},
      {"2024-07-22", 4, "2028-07-22"},  {"2024-12-31", 1, "2025-12-31"},
  };
  for (const AddCase &c : cases)
    EXPECT_EQ(test_day_text(vbp_date_add_years(test_day(c.from), c.count)), c.expected)
        << c.from << " + " << c.count << " years";
}

TEST(Date, AddingMonthsClampsToTheEndOfTheTargetMonth) {
  const AddCase cases[] = {
      {"2024-01-31", 1, "2024-02-29"},   {"2023-01-31", 1, "2023-02-28"},
      {"2024-03-31", 1, "2024-04-30"},   {"2024-03-31", -1, "2024-02-29"},
      {"2024-12-15", 1, "2025-01-15"},   {"2024-01-15", -1, "2023-12-15"},
      {"2024-05-31", 12, "2025-05-31"},  {"2024-08-31", 18, "2026-02-28"},
      {"2024-01-31", -25, "2021-12-31"}, {"2024-07-22", 0, "2024-07-22"},
      {"2024-02-29", 12, "2025-02-28"},
  };
  for (const AddCase &c : cases)
    EXPECT_EQ(test_day_text(vbp_date_add_months(test_day(c.from), c.count)), c.expected)
        << c.from << " + " << c.count << " months";
}

TEST(Date, MonthEndIsTheLastDayOfTheSameMonth) {
  const struct {
    const char *date;
    const char *expected;
  } cases[] = {
      {"2024-02-10", "2024-02-29"}, {"2023-02-01", "2023-02-28"}, {"2024-04-01", "2024-04-30"},
      {"2024-12-31", "2024-12-31"}, {"2024-08-15", "2024-08-31"},
  };
  for (const auto &c : cases)
    EXPECT_EQ(test_day_text(vbp_date_month_end(test_day(c.date))), c.expected) << c.date;
}

TEST(Date, ChinaTodayTurnsAtSixteenHundredUtc) {
  const time_t july_21_1600_utc = 1721577600; /* 2024-07-21T16:00:00Z */
  const struct {
    time_t now;
    const char *expected;
  } cases[] = {
      {july_21_1600_utc, "2024-07-22"},     /* midnight in China */
      {july_21_1600_utc - 1, "2024-07-21"}, /* 15:59:59Z, 23:59:59 in China */
      {july_21_1600_utc + 86399, "2024-07-22"},
      {0, "1970-01-01"},
      {-1, "1970-01-01"},     /* 07:59:59 in China */
      {-28800, "1970-01-01"}, /* 1969-12-31T16:00:00Z */
      {-28801, "1969-12-31"},
  };
  for (const auto &c : cases)
    EXPECT_EQ(test_day_text(vbp_date_china_today(c.now)), c.expected) << c.now;
}

} /* namespace */
