/* Volume rules (DOMAIN.md "Volume rules" V1-V9 and C7's per-day floor): the review chains by
 * kind and institution level, V2's half-up rounding, V3's largest remainder with its ties, the C7
 * floor, V5's percents, V6's exemptions and the cap exactly at and one unit above it, V7's
 * prepayment with its rounding halves, and V8's and V7's dates over month ends, year ends and
 * 29 February. Quantities, amounts and dates are asserted exactly. */
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "volume-svc/rules.h"

namespace {

vbp_date day(const char *text) {
  vbp_date date = 0;
  EXPECT_TRUE(vbp_date_parse(text, &date)) << text;
  return date;
}

std::string day_text(vbp_date date) {
  char buf[VBP_DATE_FORMAT_MAX];
  return vbp_date_format(date, buf);
}

vbp_money yuan(const char *text) {
  vbp_money amount = 0;
  EXPECT_TRUE(vbp_money_parse(text, &amount)) << text;
  return amount;
}

std::string yuan_text(vbp_money amount) {
  char buf[VBP_MONEY_FORMAT_MAX];
  return vbp_money_format(amount, buf);
}

/* ---------------------------------------------------------------- V1 review chain */

std::vector<int> chain(int kind, int level) {
  int out[3] = {-1, -1, -1};
  size_t count = volume_review_chain(kind, level, out);
  EXPECT_LE(count, 3u);
  return std::vector<int>(out, out + count);
}

TEST(VolumeRules, DrugReportsAreReviewedFromTheInstitutionsOwnLevelUpToTheProvince) {
  EXPECT_EQ(chain(VOLUME_DRUG, VOLUME_COUNTY),
            (std::vector<int>{VOLUME_COUNTY, VOLUME_CITY, VOLUME_PROVINCE}));
  EXPECT_EQ(chain(VOLUME_DRUG, VOLUME_CITY), (std::vector<int>{VOLUME_CITY, VOLUME_PROVINCE}));
  EXPECT_EQ(chain(VOLUME_DRUG, VOLUME_PROVINCE), (std::vector<int>{VOLUME_PROVINCE}));
}

TEST(VolumeRules, ConsumableReportsStartAtTheCityEvenForACountyInstitution) {
  EXPECT_EQ(chain(VOLUME_CONSUMABLE, VOLUME_COUNTY),
            (std::vector<int>{VOLUME_CITY, VOLUME_PROVINCE}));
  EXPECT_EQ(chain(VOLUME_CONSUMABLE, VOLUME_CITY),
            (std::vector<int>{VOLUME_CITY, VOLUME_PROVINCE}));
  EXPECT_EQ(chain(VOLUME_CONSUMABLE, VOLUME_PROVINCE), (std::vector<int>{VOLUME_PROVINCE}));
}

TEST(VolumeRules, UnknownKindOrLevelHasNoChain) {
  EXPECT_EQ(chain(0, VOLUME_COUNTY), std::vector<int>{});
  EXPECT_EQ(chain(3, VOLUME_CITY), std::vector<int>{});
  EXPECT_EQ(chain(VOLUME_DRUG, 0), std::vector<int>{});
  EXPECT_EQ(chain(VOLUME_CONSUMABLE, 4), std::vector<int>{});
  EXPECT_EQ(volume_review_next(0, VOLUME_COUNTY, 0), 0);
  EXPECT_EQ(volume_review_next(VOLUME_DRUG, 4, 0), 0);
}

TEST(VolumeRules, NextReviewAfterZeroOneTwoThreeDone) {
  struct Case {
    int kind, level;
    int next[4]; /* after 0, 1, 2, 3 reviews */
  };
  const Case cases[] = {
      {VOLUME_DRUG, VOLUME_COUNTY, {VOLUME_COUNTY, VOLUME_CITY, VOLUME_PROVINCE, 0}},
      {VOLUME_DRUG, VOLUME_CITY, {VOLUME_CITY, VOLUME_PROVINCE, 0, 0}},
      {VOLUME_DRUG, VOLUME_PROVINCE, {VOLUME_PROVINCE, 0, 0, 0}},
      {VOLUME_CONSUMABLE, VOLUME_COUNTY, {VOLUME_CITY, VOLUME_PROVINCE, 0, 0}},
      {VOLUME_CONSUMABLE, VOLUME_CITY, {VOLUME_CITY, VOLUME_PROVINCE, 0, 0}},
      {VOLUME_CONSUMABLE, VOLUME_PROVINCE, {VOLUME_PROVINCE, 0, 0, 0}},
  };
  for (const Case &c : cases)
    for (size_t done = 0; done < 4; done++)
      EXPECT_EQ(volume_review_next(c.kind, c.level, done), c.next[done])
          << "kind " << c.kind << ", level " << c.level << ", " << done << " done";
}

/* ---------------------------------------------------------------- V2 */

TEST(VolumeRules, AgreedVolumeRoundsBaseTimesRatioHalfUp) {
  struct Case {
    int64_t base;
    int ratio;
    int64_t agreed;
  };
  const Case cases[] = {
      {421, 85, 358},  /* 357.85 */
      {421, 50, 211},  /* 210.5: the half goes up */
      {495, 90, 446},  /* 445.5 */
      {10, 85, 9},     /* 8.5 */
      {3, 50, 2},      /* 1.5 */
      {1, 50, 1},      /* 0.5 */
      {1, 49, 0},      /* 0.49 */
      {1000, 85, 850}, /* exact */
      {421, 100, 421}, /* all of it */
      {421, 0, 0},     /* none of it */
      {0, 85, 0},      /* no demand */
      {INT64_MAX, 100, INT64_MAX},
      {INT64_MAX, 50, 4611686018427387904}, /* ...903.5, without overflow */
  };
  for (const Case &c : cases)
    EXPECT_EQ(volume_agreed(c.base, c.ratio), c.agreed) << c.base << " x " << c.ratio << "%";
}

/* ---------------------------------------------------------------- V3 */

/* The split as a vector, or {-1} when refused (then parts must be untouched). */
std::vector<int64_t> split(int64_t total, const std::vector<const char *> &ids,
                           const std::vector<int> &shares) {
  EXPECT_EQ(ids.size(), shares.size());
  std::vector<int64_t> parts(ids.size(), -7);
  if (!volume_split(total, ids.data(), shares.data(), ids.size(), parts.data())) {
    for (int64_t part : parts) EXPECT_EQ(part, -7) << "a refused split writes nothing";
    return {-1};
  }
  return parts;
}

TEST(VolumeRules, SplitPartsAddUpExactlyForEveryTotal) {
  const std::vector<std::vector<int>> share_sets = {
      {50, 30, 20}, {33, 33, 34},       {34, 33, 33},
      {1, 99},      {60, 25, 15},       {10, 10, 10, 10, 10, 10, 10, 10, 10, 10},
      {0, 70, 30},  {7, 13, 19, 23, 38}};
  const char *const ids[] = {"P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"};
  for (const std::vector<int> &shares : share_sets) {
    std::vector<const char *> product_ids(ids, ids + shares.size());
    for (int64_t total = 0; total <= 2000; total++) {
      std::vector<int64_t> parts = split(total, product_ids, shares);
      ASSERT_EQ(parts.size(), shares.size());
      int64_t sum = 0;
      for (size_t i = 0; i < parts.size(); i++) {
        /* Each part is its floor or one more. */
        int64_t floor = total * shares[i] / 100;
        EXPECT_GE(parts[i], floor) << total << " share " << shares[i];
        EXPECT_LE(parts[i], floor + 1) << total << " share " << shares[i];
        sum += parts[i];
      }
      EXPECT_EQ(sum, total) << "shares starting " << shares[0] << ", total " << total;
    }
  }
}

TEST(VolumeRules, SplitGivesLeftoverUnitsToTheLargestRemainders) {
  /* 421 by 50/30/20: 210.5, 126.3, 84.2 -> the .5 gets the one unit left. */
  EXPECT_EQ(split(421, {"A", "B", "C"}, {50, 30, 20}), (std::vector<int64_t>{211, 126, 84}));
  /* 10 by 33/33/34: 3.3, 3.3, 3.4 -> the 34 gets it. */
  EXPECT_EQ(split(10, {"A", "B", "C"}, {33, 33, 34}), (std::vector<int64_t>{3, 3, 4}));
  /* 7 by 0/60/40: 0, 4.2, 2.8. */
  EXPECT_EQ(split(7, {"A", "B", "C"}, {0, 60, 40}), (std::vector<int64_t>{0, 4, 3}));
}

TEST(VolumeRules, SplitTiesGoToTheLowerProductIdWhateverTheInputOrder) {
  EXPECT_EQ(split(1, {"A", "B"}, {50, 50}), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(split(1, {"B", "A"}, {50, 50}), (std::vector<int64_t>{0, 1}));
  /* 2 by 33/33/34: .66, .66, .68 -> the 34, then the lower id of the two 33s. */
  EXPECT_EQ(split(2, {"P3", "P1", "P2"}, {33, 33, 34}), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(split(2, {"P1", "P3", "P2"}, {33, 33, 34}), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(split(2, {"P2", "P3", "P1"}, {34, 33, 33}), (std::vector<int64_t>{1, 0, 1}));
  /* strcmp's order, not a number's: "P10" < "P9". */
  EXPECT_EQ(split(1, {"P9", "P10"}, {50, 50}), (std::vector<int64_t>{0, 1}));
}

TEST(VolumeRules, SplitGivesAZeroShareNothingEvenWithTheLowestId) {
  EXPECT_EQ(split(1, {"A", "B", "C"}, {0, 50, 50}), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(split(421, {"A", "B"}, {0, 100}), (std::vector<int64_t>{0, 421}));
}

TEST(VolumeRules, SplitGivesASingleWinnerWithOneHundredEverything) {
  EXPECT_EQ(split(421, {"A"}, {100}), (std::vector<int64_t>{421}));
  EXPECT_EQ(split(0, {"A"}, {100}), (std::vector<int64_t>{0}));
  EXPECT_EQ(split(INT64_MAX, {"A"}, {100}), (std::vector<int64_t>{INT64_MAX}));
}

TEST(VolumeRules, SplitOfTheLargestTotalDoesNotOverflow) {
  EXPECT_EQ(split(INT64_MAX, {"B", "A"}, {50, 50}),
            (std::vector<int64_t>{4611686018427387903, 4611686018427387904}));
}

TEST(VolumeRules, SplitIsRefusedUnlessTheSharesSumToExactlyOneHundred) {
  EXPECT_EQ(split(421, {"A", "B"}, {50, 49}), std::vector<int64_t>{-1});  /* 99 */
  EXPECT_EQ(split(421, {"A", "B"}, {50, 51}), std::vector<int64_t>{-1});  /* 101 */
  EXPECT_EQ(split(421, {"A", "B"}, {0, 0}), std::vector<int64_t>{-1});    /* 0 */
  EXPECT_EQ(split(421, {"A", "B"}, {-1, 101}), std::vector<int64_t>{-1}); /* sums to 100 */
  EXPECT_EQ(split(421, {"A", "B"}, {150, -50}), std::vector<int64_t>{-1});
  EXPECT_EQ(split(-1, {"A"}, {100}), std::vector<int64_t>{-1});
  EXPECT_FALSE(volume_split(421, nullptr, nullptr, 0, nullptr)) << "no products";
}

/* ---------------------------------------------------------------- C7 */

TEST(VolumeRules, FloorIsTheReferencePerDayRoundedHalfUp) {
  struct Case {
    int64_t reference;
    int new_days, reference_days;
    int64_t floor;
  };
  const Case cases[] = {
      {421, 365, 528, 291}, /* Fujian's year 2: 291.03 */
      {421, 366, 528, 292}, /* a leap year: 291.83 */
      {421, 203, 528, 162}, /* Fujian's last year, 2028-01-01..2028-07-21: 161.86 */
      {421, 528, 528, 421}, /* the same length */
      {5, 365, 730, 3},     /* 2.5: the half goes up */
      {3, 1, 2, 2},         /* 1.5 */
      {1, 1, 2, 1},         /* 0.5 */
      {100, 183, 366, 50},  /* exact */
      {0, 365, 528, 0},
  };
  for (const Case &c : cases)
    EXPECT_EQ(volume_floor(c.reference, c.new_days, c.reference_days), c.floor)
        << c.reference << " x " << c.new_days << " / " << c.reference_days;
  /* The first Fujian year is the 528 days the example divides by. */
  EXPECT_EQ(volume_days(day("2024-07-22"), day("2025-12-31")), 528);
  EXPECT_EQ(volume_days(day("2028-01-01"), day("2028-07-21")), 203);
}

/* ---------------------------------------------------------------- V5 */

TEST(VolumeRules, ElapsedPercentCountsBothEndsAndRoundsDown) {
  const vbp_date start = day("2025-01-01"), end = day("2025-12-31");
  struct Case {
    const char *as_of;
    int percent;
  };
  const Case cases[] = {
      {"2024-12-31", 0},   /* the day before the start */
      {"2025-01-01", 0},   /* day 1 of 365: 0.27% */
      {"2025-01-04", 1},   /* day 4: 1.09% */
      {"2025-07-02", 50},  /* day 183: 50.13% */
      {"2025-12-30", 99},  /* day 364: 99.73%, not yet done */
      {"2025-12-31", 100}, /* the last day */
      {"2026-03-01", 100}, /* after it */
  };
  for (const Case &c : cases)
    EXPECT_EQ(volume_elapsed_percent(start, end, day(c.as_of)), c.percent) << c.as_of;
  /* A leap year: day 183 of 366 is exactly half. */
  EXPECT_EQ(volume_elapsed_percent(day("2028-01-01"), day("2028-12-31"), day("2028-07-01")), 50);
  EXPECT_EQ(volume_days(start, end), 365);
  EXPECT_EQ(volume_days(day("2028-01-01"), day("2028-12-31")), 366);
  EXPECT_EQ(volume_days(start, start), 1);
}

TEST(VolumeRules, CompletionPercentRoundsDownAndIsDoneWhenNothingWasAgreed) {
  EXPECT_EQ(volume_completion_percent(999, 1000), 99); /* 99.9% is never shown as done */
  EXPECT_EQ(volume_completion_percent(1000, 1000), 100);
  EXPECT_EQ(volume_completion_percent(400, 421), 95);
  EXPECT_EQ(volume_completion_percent(0, 421), 0);
  EXPECT_EQ(volume_completion_percent(500, 421), 118); /* V4: beyond the agreed volume */
  EXPECT_EQ(volume_completion_percent(0, 0), 100);
  EXPECT_EQ(volume_completion_percent(5, 0), 100);
  EXPECT_EQ(volume_completion_percent(INT64_MAX, INT64_MAX), 100); /* no overflow */
}

TEST(VolumeRules, InUseReviewStartsThreeMonthsAfterTheExecutionStart) {
  EXPECT_EQ(day_text(volume_in_use_review_from(day("2024-07-22"))), "2024-10-22");
  EXPECT_EQ(day_text(volume_in_use_review_from(day("2024-09-20"))), "2024-12-20");
  EXPECT_EQ(day_text(volume_in_use_review_from(day("2024-10-15"))), "2025-01-15");
  EXPECT_EQ(day_text(volume_in_use_review_from(day("2023-11-30"))), "2024-02-29");
  EXPECT_EQ(day_text(volume_in_use_review_from(day("2024-11-30"))), "2025-02-28");
}

/* ---------------------------------------------------------------- V6 counting */

TEST(VolumeRules, WinningPurchasesCountAsWinningInTheCycle) {
  for (bool cheap : {false, true})
    for (bool issue : {false, true})
      EXPECT_EQ(volume_count_of(VOLUME_WINNING, cheap, issue, true), VOLUME_COUNT_WINNING);
}

TEST(VolumeRules, BackupPurchasesAreLeftOutUnlessInASupplyIssue) {
  EXPECT_EQ(volume_count_of(VOLUME_BACKUP, false, false, true), VOLUME_COUNT_NONE);
  EXPECT_EQ(volume_count_of(VOLUME_BACKUP, true, false, true), VOLUME_COUNT_NONE);
  EXPECT_EQ(volume_count_of(VOLUME_BACKUP, false, true, true), VOLUME_COUNT_WINNING);
}

TEST(VolumeRules, NonWinningPurchasesAreLeftOutWhenCheapOrInASupplyIssue) {
  for (int status : {VOLUME_NON_WINNING, VOLUME_NO_RESULT}) {
    EXPECT_EQ(volume_count_of(status, false, false, true), VOLUME_COUNT_NON_WINNING) << status;
    EXPECT_EQ(volume_count_of(status, true, false, true), VOLUME_COUNT_NONE) << status;
    EXPECT_EQ(volume_count_of(status, false, true, true), VOLUME_COUNT_NONE) << status;
    EXPECT_EQ(volume_count_of(status, true, true, true), VOLUME_COUNT_NONE) << status;
  }
}

TEST(VolumeRules, PurchasesAfterTheCycleCountOnNeitherSide) {
  for (int status : {VOLUME_NO_RESULT, VOLUME_WINNING, VOLUME_BACKUP, VOLUME_NON_WINNING})
    for (bool cheap : {false, true})
      for (bool issue : {false, true})
        EXPECT_EQ(volume_count_of(status, cheap, issue, false), VOLUME_COUNT_NONE) << status;
}

TEST(VolumeRules, CheapOnlyBelowTheLowestWinningPriceWithAnExemptingQuality) {
  const vbp_money lowest = yuan("30.0000");
  for (int quality : {VOLUME_ORIGINATOR, VOLUME_REFERENCE, VOLUME_CONSISTENCY_PASSED}) {
    EXPECT_TRUE(volume_cheap(quality, yuan("299.9999"), 10, lowest)) << quality;
    EXPECT_FALSE(volume_cheap(quality, yuan("300.0000"), 10, lowest)) << quality << " at";
    EXPECT_FALSE(volume_cheap(quality, yuan("300.0001"), 10, lowest)) << quality << " above";
    EXPECT_FALSE(volume_cheap(quality, yuan("1.0000"), 10, 0)) << quality << " no winning price";
    EXPECT_EQ(volume_cheap_threshold(quality, lowest), lowest) << quality;
  }
  for (int quality : {int{VOLUME_NOT_EVALUATED}, 0 /* a consumable */}) {
    EXPECT_FALSE(volume_cheap(quality, yuan("1.0000"), 10, lowest)) << quality;
    EXPECT_EQ(volume_cheap_threshold(quality, lowest), 0) << quality;
  }
  /* Exactly, where lowest x quantity overflows 64 bits. */
  EXPECT_TRUE(volume_cheap(VOLUME_ORIGINATOR, INT64_MAX, 2, INT64_MAX));
  EXPECT_FALSE(volume_cheap(VOLUME_ORIGINATOR, INT64_MAX, 1, INT64_MAX));
}

/* ---------------------------------------------------------------- V6 assessment */

struct Assessment {
  bool passed;
  std::vector<std::string> reasons;
};

Assessment assess(const std::vector<volume_winning> &winning, int64_t non_winning, int64_t all,
                  int cap, size_t max_reasons = 8) {
  char reasons[8][VOLUME_REASON_MAX] = {};
  bool passed = true;
  size_t count = volume_assess_variety(winning.empty() ? nullptr : winning.data(), winning.size(),
                                       non_winning, all, cap, reasons, max_reasons, &passed);
  EXPECT_LE(count, max_reasons);
  Assessment a = {passed, {}};
  for (size_t i = 0; i < count; i++) a.reasons.push_back(reasons[i]);
  return a;
}

using Reasons = std::vector<std::string>;

TEST(VolumeRules, AssessmentExactlyAtTheCapPasses) {
  Assessment a = assess({{"A", 421, 421}}, 50, 100, 0);
  EXPECT_TRUE(a.passed);
  EXPECT_EQ(a.reasons, Reasons{});
  EXPECT_TRUE(assess({}, 0, 0, 0).passed) << "nothing bought";
}

TEST(VolumeRules, AssessmentOneUnitAboveTheCapFails) {
  Assessment a = assess({{"A", 421, 421}}, 51, 100, 0);
  EXPECT_FALSE(a.passed);
  EXPECT_EQ(a.reasons, Reasons{"V6 non-winning 51 of 100 (51.0%) > 50%"});
}

TEST(VolumeRules, AssessmentPercentIsRoundedDownToOneDecimal) {
  EXPECT_EQ(assess({}, 234, 467, 0).reasons, Reasons{"V6 non-winning 234 of 467 (50.1%) > 50%"});
  EXPECT_EQ(assess({}, 2, 3, 0).reasons, Reasons{"V6 non-winning 2 of 3 (66.6%) > 50%"});
  EXPECT_EQ(assess({}, 7, 7, 0).reasons, Reasons{"V6 non-winning 7 of 7 (100.0%) > 50%"});
}

TEST(VolumeRules, AssessmentTakesTheBatchsCap) {
  EXPECT_TRUE(assess({}, 30, 100, 30).passed);
  Assessment a = assess({}, 31, 100, 30);
  EXPECT_FALSE(a.passed);
  EXPECT_EQ(a.reasons, Reasons{"V6 non-winning 31 of 100 (31.0%) > 30%"});
  EXPECT_TRUE(assess({}, 31, 100, 0).passed) << "0 is the default 50%";
}

TEST(VolumeRules, AssessmentFailsEachWinningProductShortOfItsAgreedQuantity) {
  Assessment a =
      assess({{"P2", 300, 299}, {"P1", 121, 121}, {"P0", 10, 0}, {"P3", 5, 9}}, 0, 429, 0);
  EXPECT_FALSE(a.passed);
  EXPECT_EQ(a.reasons, (Reasons{"V6 P2: 299 of 300", "V6 P0: 0 of 10"}));
  Assessment fujian = assess({{"A", 421, 400}}, 10, 410, 0);
  EXPECT_EQ(fujian.reasons, Reasons{"V6 A: 400 of 421"});
}

TEST(VolumeRules, AssessmentListsProductsThenTheCap) {
  Assessment a = assess({{"A", 421, 400}, {"B", 100, 50}}, 500, 950, 0);
  EXPECT_FALSE(a.passed);
  EXPECT_EQ(a.reasons, (Reasons{"V6 A: 400 of 421", "V6 B: 50 of 100",
                                "V6 non-winning 500 of 950 (52.6%) > 50%"}));
}

TEST(VolumeRules, AssessmentWritesNoMoreReasonsThanItHasRoomFor) {
  Assessment a = assess({{"A", 421, 400}, {"B", 100, 50}}, 500, 950, 0, 1);
  EXPECT_FALSE(a.passed);
  EXPECT_EQ(a.reasons, Reasons{"V6 A: 400 of 421"});
  bool passed = true;
  EXPECT_EQ(volume_assess_variety(nullptr, 0, 51, 100, 0, nullptr, 0, &passed), 0u);
  EXPECT_FALSE(passed) << "a failure without room for its reason still fails";
}

/* ---------------------------------------------------------------- V7 */

TEST(VolumeRules, PrepaymentRateByKind) {
  EXPECT_EQ(volume_prepayment_rate(VOLUME_DRUG), 50);
  EXPECT_EQ(volume_prepayment_rate(VOLUME_CONSUMABLE), 30);
  EXPECT_EQ(volume_prepayment_rate(0), 0);
  EXPECT_EQ(volume_prepayment_rate(3), 0);
}

TEST(VolumeRules, AgreedAmountIsQuantityTimesPriceOrRefusedOnOverflow) {
  vbp_money amount = -7;
  ASSERT_TRUE(volume_agreed_amount(421, yuan("30.0000"), &amount));
  EXPECT_EQ(yuan_text(amount), "12630.0000");
  ASSERT_TRUE(volume_agreed_amount(0, yuan("30.0000"), &amount));
  EXPECT_EQ(amount, 0);
  ASSERT_TRUE(volume_agreed_amount(1, INT64_MAX, &amount));
  EXPECT_EQ(amount, INT64_MAX);
  amount = -7;
  EXPECT_FALSE(volume_agreed_amount(2, INT64_MAX, &amount));
  EXPECT_FALSE(volume_agreed_amount(INT64_MAX, INT64_MAX, &amount));
  EXPECT_FALSE(volume_agreed_amount(-2, INT64_MAX, &amount));
  EXPECT_EQ(amount, -7) << "written only on success";
}

vbp_money prepaid(int64_t quantity, const char *price, int kind) {
  vbp_money amount = 0;
  EXPECT_TRUE(volume_agreed_amount(quantity, yuan(price), &amount));
  return volume_prepaid(amount, volume_prepayment_rate(kind));
}

TEST(VolumeRules, PrepaymentPerProductRoundsHalfAwayFromZero) {
  /* 421 x 30.0000 = 12630.0000: 50% and 30% are exact. */
  EXPECT_EQ(yuan_text(prepaid(421, "30.0000", VOLUME_DRUG)), "6315.0000");
  EXPECT_EQ(yuan_text(prepaid(421, "30.0000", VOLUME_CONSUMABLE)), "3789.0000");
  /* 421 x 12.3457 = 5197.5397; 50% is 2598.76985 -> 2598.7699. */
  EXPECT_EQ(yuan_text(prepaid(421, "12.3457", VOLUME_DRUG)), "2598.7699");
  /* 421 x 12.3455 = 5197.4555; 30% is 1559.23665 -> 1559.2367. */
  EXPECT_EQ(yuan_text(prepaid(421, "12.3455", VOLUME_CONSUMABLE)), "1559.2367");
  /* 3 x 0.3333 = 0.9999; 50% is 0.49995 -> 0.5000. */
  EXPECT_EQ(yuan_text(prepaid(3, "0.3333", VOLUME_DRUG)), "0.5000");
  /* Away from zero below it too. */
  EXPECT_EQ(yuan_text(volume_prepaid(yuan("-0.0005"), 30)), "-0.0002");
  EXPECT_EQ(yuan_text(volume_prepaid(yuan("12630.0000"), 0)), "0.0000");
}

TEST(VolumeRules, HospitalPrepaymentSumsTheRoundedProducts) {
  /* Two products of 0.0001 yuan each: 0.00005 rounds to 0.0001 per product, so the hospital
   * prepays 0.0002, not 50% of their 0.0002 sum. */
  vbp_money total = prepaid(1, "0.0001", VOLUME_DRUG) + prepaid(1, "0.0001", VOLUME_DRUG);
  EXPECT_EQ(yuan_text(total), "0.0002");
}

TEST(VolumeRules, OffsetIsThePurchasesUpToThePrepaidSum) {
  const vbp_money prepaid_sum = yuan("6315.0000");
  EXPECT_EQ(yuan_text(volume_offset(yuan("1000.0000"), prepaid_sum)), "1000.0000");
  EXPECT_EQ(yuan_text(volume_offset(yuan("6315.0000"), prepaid_sum)), "6315.0000");
  EXPECT_EQ(yuan_text(volume_offset(yuan("7000.0001"), prepaid_sum)), "6315.0000");
  EXPECT_EQ(yuan_text(volume_offset(0, prepaid_sum)), "0.0000");
  EXPECT_EQ(yuan_text(volume_offset(yuan("-5.0000"), prepaid_sum)), "0.0000");
  EXPECT_EQ(yuan_text(volume_offset(yuan("1000.0000"), 0)), "0.0000");
}

TEST(VolumeRules, BalanceIsReclaimedTwoMonthsAfterTheCycleOrByThatMonthsEnd) {
  struct Case {
    const char *last, *due;
  };
  const Case cases[] = {
      {"2027-12-31", "2028-02-29"}, {"2026-08-31", "2026-10-31"}, {"2025-12-31", "2026-02-28"},
      {"2026-07-31", "2026-09-30"}, {"2028-07-21", "2028-09-21"}, {"2025-11-30", "2026-01-30"},
  };
  for (const Case &c : cases) EXPECT_EQ(day_text(volume_reclaim_due(day(c.last))), c.due) << c.last;
}

/* ---------------------------------------------------------------- V8 */

TEST(VolumeRules, HospitalSettlesByTheEndOfTheMonthAfterAcceptance) {
  struct Case {
    const char *accepted, *due;
  };
  const Case cases[] = {
      {"2024-08-15", "2024-09-30"}, {"2025-01-31", "2025-02-28"}, {"2028-01-15", "2028-02-29"},
      {"2024-12-31", "2025-01-31"}, {"2024-12-01", "2025-01-31"}, {"2024-01-31", "2024-02-29"},
      {"2024-02-29", "2024-03-31"}, {"2024-10-31", "2024-11-30"}, {"2024-08-01", "2024-09-30"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(day_text(volume_settlement_due(day(c.accepted))), c.due) << c.accepted;
}

std::string agency_due(int kind, int status, const char *province, const char *accepted) {
  vbp_date due = -7;
  if (!volume_agency_settlement_due(kind, status, province, day(accepted), &due)) {
    EXPECT_EQ(due, -7) << "written only when due";
    return "none";
  }
  return day_text(due);
}

TEST(VolumeRules, FujianAgencySettlesWinningAndBackupConsumablesByTheFifteenth) {
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_WINNING, "350000", "2024-12-03"), "2025-01-15");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_BACKUP, "350000", "2024-01-31"), "2024-02-15");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_WINNING, "350000", "2024-08-15"), "2024-09-15");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_BACKUP, "350000", "2028-02-29"), "2028-03-15");
}

TEST(VolumeRules, NoAgencySettlementOutsideFujianConsumablesThatWon) {
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_NON_WINNING, "350000", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_NO_RESULT, "350000", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_DRUG, VOLUME_WINNING, "350000", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_DRUG, VOLUME_BACKUP, "350000", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_WINNING, "220000", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_WINNING, "140000", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_WINNING, "", "2024-12-03"), "none");
  EXPECT_EQ(agency_due(VOLUME_CONSUMABLE, VOLUME_WINNING, nullptr, "2024-12-03"), "none");
}

/* ---------------------------------------------------------------- V9 */

TEST(VolumeRules, AgreementYearOfADayIsItsOneBasedIndexOrZeroOutsideTheCycle) {
  /* Fujian's 4-year cycle from 2024-07-22 (C6). */
  const vbp_date starts[] = {day("2024-07-22"), day("2026-01-01"), day("2027-01-01"),
                             day("2028-01-01")};
  const vbp_date ends[] = {day("2025-12-31"), day("2026-12-31"), day("2027-12-31"),
                           day("2028-07-21")};
  struct Case {
    const char *day;
    int year;
  };
  const Case cases[] = {
      {"2024-07-21", 0}, {"2024-07-22", 1}, {"2025-12-31", 1}, {"2026-01-01", 2}, {"2026-12-31", 2},
      {"2027-06-30", 3}, {"2028-01-01", 4}, {"2028-07-21", 4}, {"2028-07-22", 0},
  };
  for (const Case &c : cases)
    EXPECT_EQ(volume_agreement_year_of(starts, ends, 4, day(c.day)), c.year) << c.day;
  EXPECT_EQ(volume_agreement_year_of(nullptr, nullptr, 0, day("2025-01-01")), 0);
}

TEST(VolumeRules, AboveLimitComparesTheTotalExactly) {
  const vbp_money limit = yuan("30.0000");
  EXPECT_TRUE(volume_above_limit(yuan("300.0001"), 10, limit));
  EXPECT_FALSE(volume_above_limit(yuan("300.0000"), 10, limit)) << "at the limit";
  EXPECT_FALSE(volume_above_limit(yuan("299.9999"), 10, limit));
  EXPECT_FALSE(volume_above_limit(yuan("300.0001"), 10, 0)) << "no known limit";
  EXPECT_FALSE(volume_above_limit(yuan("300.0001"), 10, yuan("-1.0000"))) << "no known limit";
  /* limit x quantity overflows 64 bits. */
  EXPECT_FALSE(volume_above_limit(INT64_MAX, 2, INT64_MAX));
  EXPECT_TRUE(volume_above_limit(INT64_MAX, 1, INT64_MAX - 1));
}

}  // namespace
