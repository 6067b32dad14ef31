/* Agreement years inside a cycle (DOMAIN.md C5, C6): renewal aligned to 1 Jul / 1 Jan or plain
 * anniversaries, the last year cut at the cycle end, explicit and extended ends, 29 Feb; and the
 * execution in force on a date ("Pricing rules"), which ends with the same cycle. */
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "catalog-svc/rules.h"
#include "test_values.h"

namespace {

constexpr bool kAligned = true;
constexpr bool kUnaligned = false;

catalog_cycle years_cycle(int years) {
  catalog_cycle cycle = {};
  cycle.years = years;
  return cycle;
}

/* years is what the batch said (0 when it gave an end date); last_day set at creation or by an
 * extension wins over it. */
catalog_cycle ending_cycle(int years, const char *last_day) {
  catalog_cycle cycle = years_cycle(years);
  cycle.has_last_day = true;
  cycle.last_day = test_day(last_day);
  return cycle;
}

using Years = std::vector<std::pair<std::string, std::string>>; /* inclusive start, end */

/* The agreement years as text, numbered checks included, so failures print readable dates. */
Years agreement_years(const char *start, const catalog_cycle &cycle, bool align) {
  catalog_agreement_year out[16];
  size_t count = catalog_agreement_years(test_day(start), &cycle, align, out, 16);
  EXPECT_LE(count, 16u);
  Years years;
  for (size_t i = 0; i < count && i < 16; i++) {
    EXPECT_EQ(out[i].year, static_cast<int>(i) + 1);
    years.emplace_back(test_day_text(out[i].start), test_day_text(out[i].end));
  }
  return years;
}

TEST(AgreementYears, FujianFourYearCycleAlignsToFirstOfJanuary) {
  /* DOMAIN.md C6 example: 000, Fujian, execution from 2024-07-22. */
  EXPECT_EQ(agreement_years("2024-07-22", years_cycle(4), kAligned),
            (Years{{"2024-07-22", "2025-12-31"},
                   {"2026-01-01", "2026-12-31"},
                   {"2027-01-01", "2027-12-31"},
                   {"2028-01-01", "2028-07-21"}}));
}

TEST(AgreementYears, AnniversaryInTheFirstHalfAlignsToFirstOfJuly) {
  EXPECT_EQ(agreement_years("2024-03-15", years_cycle(3), kAligned),
            (Years{{"2024-03-15", "2025-06-30"},
                   {"2025-07-01", "2026-06-30"},
                   {"2026-07-01", "2027-03-14"}}));
}

TEST(AgreementYears, AlignmentDateMovesAnniversariesToTheNextFirstOfJulyOrJanuary) {
  const struct {
    const char *anniversary;
    const char *expected;
  } cases[] = {
      {"2025-01-01", "2025-01-01"}, /* stays */
      {"2025-01-02", "2025-07-01"}, {"2025-02-28", "2025-07-01"},
      {"2025-06-30", "2025-07-01"}, {"2025-07-01", "2025-07-01"}, /* stays */
      {"2025-07-02", "2026-01-01"}, {"2025-12-31", "2026-01-01"},
  };
  for (const auto &c : cases)
    EXPECT_EQ(test_day_text(catalog_alignment_date(test_day(c.anniversary))), c.expected)
        << c.anniversary;
}

TEST(AgreementYears, AnniversaryOnTheBoundariesOfEachHalfYear) {
  const struct {
    const char *start;
    Years expected;
  } cases[] = {
      {"2024-07-01", {{"2024-07-01", "2025-06-30"}, {"2025-07-01", "2026-06-30"}}},
      {"2024-07-02", {{"2024-07-02", "2025-12-31"}, {"2026-01-01", "2026-07-01"}}},
      {"2024-01-01", {{"2024-01-01", "2024-12-31"}, {"2025-01-01", "2025-12-31"}}},
      {"2024-01-02", {{"2024-01-02", "2025-06-30"}, {"2025-07-01", "2026-01-01"}}},
      {"2024-12-31", {{"2024-12-31", "2025-12-31"}, {"2026-01-01", "2026-12-30"}}},
      {"2024-06-30", {{"2024-06-30", "2025-06-30"}, {"2025-07-01", "2026-06-29"}}},
  };
  for (const auto &c : cases)
    EXPECT_EQ(agreement_years(c.start, years_cycle(2), kAligned), c.expected) << c.start;
}

TEST(AgreementYears, TwoYearCycleHasTwoYears) {
  /* 001: the 16-province alliance runs 2 years. */
  EXPECT_EQ(agreement_years("2024-09-20", years_cycle(2), kAligned),
            (Years{{"2024-09-20", "2025-12-31"}, {"2026-01-01", "2026-09-19"}}));
  EXPECT_EQ(agreement_years("2024-09-20", years_cycle(2), kUnaligned),
            (Years{{"2024-09-20", "2025-09-19"}, {"2025-09-20", "2026-09-19"}}));
}

TEST(AgreementYears, StartOnTwentyNinthOfFebruaryAlignsFromTheTwentyEighth) {
  /* The first anniversary is 2025-02-28, so 1 Jul; the cycle ends the day before 2028-02-29. */
  EXPECT_EQ(agreement_years("2024-02-29", years_cycle(4), kAligned),
            (Years{{"2024-02-29", "2025-06-30"},
                   {"2025-07-01", "2026-06-30"},
                   {"2026-07-01", "2027-06-30"},
                   {"2027-07-01", "2028-02-28"}}));
}

TEST(AgreementYears, StartOnTwentyNinthOfFebruaryKeepsItInLeapYearsWhenUnaligned) {
  /* Each anniversary is counted from the start, so 2028 gets its 29 Feb back. */
  EXPECT_EQ(agreement_years("2024-02-29", years_cycle(5), kUnaligned),
            (Years{{"2024-02-29", "2025-02-27"},
                   {"2025-02-28", "2026-02-27"},
                   {"2026-02-28", "2027-02-27"},
                   {"2027-02-28", "2028-02-28"},
                   {"2028-02-29", "2029-02-27"}}));
}

TEST(AgreementYears, UnalignedYearsArePlainAnniversaries) {
  EXPECT_EQ(agreement_years("2024-07-22", years_cycle(4), kUnaligned),
            (Years{{"2024-07-22", "2025-07-21"},
                   {"2025-07-22", "2026-07-21"},
                   {"2026-07-22", "2027-07-21"},
                   {"2027-07-22", "2028-07-21"}}));
  EXPECT_EQ(agreement_years("2024-01-01", years_cycle(1), kUnaligned),
            (Years{{"2024-01-01", "2024-12-31"}}));
}

TEST(AgreementYears, ExplicitEndCutsTheCycleShort) {
  /* 001: Liaoning's cycle runs to 2025-07-31, the last day itself, whatever years says. */
  EXPECT_EQ(agreement_years("2024-03-01", ending_cycle(0, "2025-07-31"), kAligned),
            (Years{{"2024-03-01", "2025-06-30"}, {"2025-07-01", "2025-07-31"}}));
  EXPECT_EQ(agreement_years("2024-03-01", ending_cycle(3, "2025-07-31"), kAligned),
            (Years{{"2024-03-01", "2025-06-30"}, {"2025-07-01", "2025-07-31"}}));
  EXPECT_EQ(agreement_years("2024-03-01", ending_cycle(3, "2025-07-31"), kUnaligned),
            (Years{{"2024-03-01", "2025-02-28"}, {"2025-03-01", "2025-07-31"}}));
}

TEST(AgreementYears, ExtensionLengthensTheCycleAndAddsAYear) {
  /* Two years would end 2026-07-21; extended to 2027-03-31 the extension becomes a third year. */
  EXPECT_EQ(agreement_years("2024-07-22", ending_cycle(2, "2027-03-31"), kAligned),
            (Years{{"2024-07-22", "2025-12-31"},
                   {"2026-01-01", "2026-12-31"},
                   {"2027-01-01", "2027-03-31"}}));
  /* 001: Henan's cycle ends 2025-12-31, which lands exactly on an alignment year's end. */
  EXPECT_EQ(agreement_years("2024-07-22", ending_cycle(1, "2025-12-31"), kAligned),
            (Years{{"2024-07-22", "2025-12-31"}}));
}

TEST(AgreementYears, CycleEndingBeforeTheFirstAlignmentDateIsOneYear) {
  EXPECT_EQ(agreement_years("2024-07-22", years_cycle(1), kAligned),
            (Years{{"2024-07-22", "2025-07-21"}}));
  EXPECT_EQ(agreement_years("2024-07-22", ending_cycle(0, "2024-07-22"), kAligned),
            (Years{{"2024-07-22", "2024-07-22"}})); /* a one-day cycle */
}

TEST(AgreementYears, NoEmptyYearWhenTheCycleEndsTheDayBeforeAnAlignmentDate) {
  EXPECT_EQ(agreement_years("2024-07-22", ending_cycle(0, "2026-12-31"), kAligned),
            (Years{{"2024-07-22", "2025-12-31"}, {"2026-01-01", "2026-12-31"}}));
  EXPECT_EQ(agreement_years("2024-07-22", ending_cycle(0, "2027-01-01"), kAligned),
            (Years{{"2024-07-22", "2025-12-31"},
                   {"2026-01-01", "2026-12-31"},
                   {"2027-01-01", "2027-01-01"}}));
}

TEST(AgreementYears, CycleEndingBeforeTheStartHasNoYears) {
  catalog_agreement_year out[2];
  catalog_cycle ended = ending_cycle(0, "2024-07-21");
  EXPECT_EQ(catalog_agreement_years(test_day("2024-07-22"), &ended, kAligned, out, 2), 0u);
  EXPECT_EQ(catalog_agreement_years(test_day("2024-07-22"), &ended, kUnaligned, out, 2), 0u);
  catalog_cycle no_years = years_cycle(0);
  EXPECT_EQ(catalog_agreement_years(test_day("2024-07-22"), &no_years, kAligned, out, 2), 0u);
}

TEST(AgreementYears, ReturnsTheFullCountButWritesNoMoreThanCap) {
  const catalog_cycle cycle = years_cycle(4);
  EXPECT_EQ(catalog_agreement_years(test_day("2024-07-22"), &cycle, kAligned, nullptr, 0), 4u);

  catalog_agreement_year out[3];
  out[2].year = -7; /* a sentinel past cap */
  EXPECT_EQ(catalog_agreement_years(test_day("2024-07-22"), &cycle, kAligned, out, 2), 4u);
  EXPECT_EQ(out[0].year, 1);
  EXPECT_EQ(test_day_text(out[0].end), "2025-12-31");
  EXPECT_EQ(out[1].year, 2);
  EXPECT_EQ(test_day_text(out[1].start), "2026-01-01");
  EXPECT_EQ(out[2].year, -7);
}

TEST(AgreementYears, CycleLastDayIsTheDayBeforeStartPlusYearsOrTheExplicitEnd) {
  const struct {
    const char *start;
    catalog_cycle cycle;
    const char *expected;
  } cases[] = {
      {"2024-07-22", years_cycle(4), "2028-07-21"},
      {"2024-02-29", years_cycle(1), "2025-02-27"},
      {"2024-02-29", years_cycle(4), "2028-02-28"},
      {"2024-03-01", years_cycle(1), "2025-02-28"},
      {"2023-03-01", years_cycle(1), "2024-02-29"},
      {"2024-07-22", ending_cycle(4, "2025-07-31"), "2025-07-31"},
  };
  for (const auto &c : cases)
    EXPECT_EQ(test_day_text(catalog_cycle_last_day(test_day(c.start), &c.cycle)), c.expected)
        << c.start;
}

/* ---------------------------------------------------------------- execution in force */

catalog_execution execution(const char *batch_code, const char *start, catalog_cycle cycle) {
  catalog_execution e = {};
  e.batch_code = batch_code;
  e.start = test_day(start);
  e.cycle = cycle;
  return e;
}

/* The batch code of the execution in force on date, or "" when none is. */
std::string in_force(const std::vector<catalog_execution> &executions, const char *date) {
  size_t index = 99;
  if (!catalog_execution_in_force(executions.data(), executions.size(), test_day(date), &index)) {
    EXPECT_EQ(index, 99u) << "written although none is in force";
    return "";
  }
  EXPECT_LT(index, executions.size());
  return index < executions.size() ? executions[index].batch_code : "?";
}

TEST(ExecutionInForce, RunsFromTheStartToTheCycleLastDayInclusive) {
  /* 000: Fujian from 2024-07-22, a 4-year cycle ending 2028-07-21. */
  const std::vector<catalog_execution> fujian = {
      execution("JX-YP2023-01", "2024-07-22", years_cycle(4))};
  const struct {
    const char *date, *expected;
  } cases[] = {
      {"2024-07-21", ""},
      {"2024-07-22", "JX-YP2023-01"},
      {"2026-01-01", "JX-YP2023-01"},
      {"2028-07-21", "JX-YP2023-01"},
      {"2028-07-22", ""},
  };
  for (const auto &c : cases) EXPECT_EQ(in_force(fujian, c.date), c.expected) << c.date;
}

TEST(ExecutionInForce, ExplicitOrExtendedEndIsTheLastDayItself) {
  /* 001: Liaoning's cycle extended to 2025-07-31. */
  const std::vector<catalog_execution> extended = {
      execution("LN-2022", "2022-08-01", ending_cycle(2, "2025-07-31"))};
  EXPECT_EQ(in_force(extended, "2024-08-01"), "LN-2022"); /* past the two years, extended */
  EXPECT_EQ(in_force(extended, "2025-07-31"), "LN-2022");
  EXPECT_EQ(in_force(extended, "2025-08-01"), "");
}

TEST(ExecutionInForce, LatestStartWinsAmongThoseInForce) {
  const std::vector<catalog_execution> executions = {
      execution("OLD", "2022-01-01", years_cycle(4)),
      execution("NEW", "2024-01-01", years_cycle(2)),
      execution("FUTURE", "2025-06-01", years_cycle(3)),
  };
  EXPECT_EQ(in_force(executions, "2023-06-01"), "OLD"); /* NEW not started */
  EXPECT_EQ(in_force(executions, "2024-01-01"), "NEW"); /* NEW's first day */
  EXPECT_EQ(in_force(executions, "2025-05-31"), "NEW");
  EXPECT_EQ(in_force(executions, "2025-06-01"), "FUTURE");
  EXPECT_EQ(in_force(executions, "2028-05-31"), "FUTURE"); /* OLD and NEW over */
  EXPECT_EQ(in_force(executions, "2028-06-01"), "");
}

TEST(ExecutionInForce, EndedLaterStartLosesToAnEarlierStartStillInForce) {
  const std::vector<catalog_execution> executions = {
      execution("LONG", "2022-01-01", years_cycle(6)),
      execution("SHORT", "2023-01-01", ending_cycle(0, "2023-12-31")),
  };
  EXPECT_EQ(in_force(executions, "2023-12-31"), "SHORT");
  EXPECT_EQ(in_force(executions, "2024-01-01"), "LONG");
}

TEST(ExecutionInForce, SameStartGoesToTheLowestBatchCodeInByteOrder) {
  const std::vector<catalog_execution> executions = {
      execution("b-2024", "2024-07-22", years_cycle(2)),
      execution("B-2024", "2024-07-22", years_cycle(2)), /* 'B' < 'b' in byte order */
      execution("C-2024", "2024-07-22", years_cycle(2)),
  };
  EXPECT_EQ(in_force(executions, "2025-01-01"), "B-2024");
}

TEST(ExecutionInForce, SameStartGoesFirstToABatchTheProductHasAResultIn) {
  /* Two batches of one generic name in force from the same day: the product won in Z-2024 and
   * only shares its generic name with A-2024's group. */
  std::vector<catalog_execution> executions = {
      execution("A-2024", "2024-07-22", years_cycle(2)),
      execution("Z-2024", "2024-07-22", years_cycle(2)),
  };
  executions[1].has_result = true;
  EXPECT_EQ(in_force(executions, "2025-01-01"), "Z-2024");
  /* A later start still wins: the newer round is the one in force. */
  executions.push_back(execution("N-2025", "2025-01-01", years_cycle(2)));
  EXPECT_EQ(in_force(executions, "2025-01-01"), "N-2025");
}

TEST(ExecutionInForce, NoneWithoutExecutions) { EXPECT_EQ(in_force({}, "2025-01-01"), ""); }

} /* namespace */
