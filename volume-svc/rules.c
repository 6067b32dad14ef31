#include "volume-svc/rules.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* Quantities and money are int64, but a quantity times a percent, a price or a day count may
 * not be: every such product is taken in 128 bits, where it always fits. */
typedef __int128 wide;

/* numerator / denominator rounded half away from zero (half up for the non-negative quantities
 * of V2 and C7), as money.h rounds money. denominator > 0. */
static wide div_round_half_away(wide numerator, wide denominator) {
  wide quotient = numerator / denominator; /* truncates toward zero */
  wide remainder = numerator % denominator;
  if (remainder < 0) remainder = -remainder;
  if (2 * remainder >= denominator) quotient += numerator < 0 ? -1 : 1;
  return quotient;
}

/* numerator / denominator rounded down (toward minus infinity). denominator > 0. */
static wide div_floor(wide numerator, wide denominator) {
  wide quotient = numerator / denominator;
  if (numerator % denominator < 0) quotient--;
  return quotient;
}

static int64_t clamp_int64(wide value) {
  if (value > INT64_MAX) return INT64_MAX;
  if (value < INT64_MIN) return INT64_MIN;
  return (int64_t)value;
}

static int clamp_int(wide value) {
  if (value > INT_MAX) return INT_MAX;
  if (value < INT_MIN) return INT_MIN;
  return (int)value;
}

static const char *text(const char *s) { return s ? s : ""; }

/* ---------------------------------------------------------------- V1 review chain */

/* V1: drugs are reviewed county -> city -> province, consumables city -> province. */
static const int drug_chain[] = {VOLUME_COUNTY, VOLUME_CITY, VOLUME_PROVINCE};
static const int consumable_chain[] = {VOLUME_CITY, VOLUME_PROVINCE};

size_t volume_review_chain(int kind, int institution_level, int out[3]) {
  const int *chain;
  size_t length;
  if (kind == VOLUME_DRUG) {
    chain = drug_chain;
    length = sizeof drug_chain / sizeof drug_chain[0];
  } else if (kind == VOLUME_CONSUMABLE) {
    chain = consumable_chain;
    length = sizeof consumable_chain / sizeof consumable_chain[0];
  } else {
    return 0;
  }
  if (institution_level != VOLUME_PROVINCE && institution_level != VOLUME_CITY &&
      institution_level != VOLUME_COUNTY)
    return 0;
  /* The chain starts at the institution's own level, or the first one above it (a county
   * hospital's consumables go to the city first): levels are numbered from the province down. */
  size_t count = 0;
  for (size_t i = 0; i < length; i++)
    if (chain[i] <= institution_level) out[count++] = chain[i];
  return count;
}

int volume_review_next(int kind, int institution_level, size_t done) {
  int chain[3];
  size_t count = volume_review_chain(kind, institution_level, chain);
  return done < count ? chain[done] : 0;
}

/* ---------------------------------------------------------------- V2, V3, C7 */

int64_t volume_agreed(int64_t base, int ratio_percent) {
  /* V2: rounded half up to a whole unit. The result is at most base, so it fits. */
  return clamp_int64(div_round_half_away((wide)base * ratio_percent, 100));
}

/* What product i misses of an exact share: (total x share) mod 100, in hundredths of a unit. */
static wide split_remainder(int64_t total, const int *share_percent, size_t i) {
  return (wide)total * share_percent[i] % 100;
}

/* Whether product a comes before product b in V3's hand-out of the leftover units: the larger
 * remainder first, then the lower product id; the input order settles equal ids, so the order is
 * total and the split does not depend on it otherwise. */
static bool leftover_first(int64_t total, const char *const *product_ids, const int *share_percent,
                           size_t a, size_t b) {
  wide remainder_a = split_remainder(total, share_percent, a);
  wide remainder_b = split_remainder(total, share_percent, b);
  if (remainder_a != remainder_b) return remainder_a > remainder_b;
  int order = strcmp(text(product_ids[a]), text(product_ids[b]));
  if (order != 0) return order < 0;
  return a < b;
}

bool volume_split(int64_t total, const char *const *product_ids, const int *share_percent, size_t n,
                  int64_t *parts) {
  if (n == 0 || total < 0) return false;
  int sum = 0;
  for (size_t i = 0; i < n; i++) {
    if (share_percent[i] < 0 || share_percent[i] > 100) return false;
    sum += share_percent[i];
    if (sum > 100) return false; /* so n shares cannot overflow the sum either */
  }
  /* V3: allocating a group whose shares do not sum to exactly 100 is refused. */
  if (sum != 100) return false;

  /* Each part is floor(total x share / 100); together they miss sum(remainders) / 100 units,
   * fewer than n since each remainder is below 100. Those go one each to the products that
   * rank first by leftover_first. Ranking each product against the others needs no sorted
   * copy, so nothing is allocated; n is a group's winners, a handful. */
  int64_t floors = 0;
  for (size_t i = 0; i < n; i++) floors += (int64_t)((wide)total * share_percent[i] / 100);
  int64_t leftover = total - floors;
  for (size_t i = 0; i < n; i++) {
    int64_t rank = 0;
    for (size_t j = 0; j < n; j++)
      if (j != i && leftover_first(total, product_ids, share_percent, j, i)) rank++;
    parts[i] = (int64_t)((wide)total * share_percent[i] / 100) + (rank < leftover ? 1 : 0);
  }
  return true;
}

int64_t volume_floor(int64_t reference, int new_days, int reference_days) {
  /* Without a reference year there is nothing to hold the new one to. */
  if (reference_days <= 0) return 0;
  /* C7 per day: a longer or shorter year gets a proportionally larger or smaller floor. */
  return clamp_int64(div_round_half_away((wide)reference * new_days, reference_days));
}

/* ---------------------------------------------------------------- V5 progress */

int volume_days(vbp_date start, vbp_date end) { return end - start + 1; }

int volume_elapsed_percent(vbp_date start, vbp_date end, vbp_date as_of) {
  /* V5 序时进度: 0 before the year, 100 from its last day; in between rounded down, so a year
   * is never shown as fully elapsed before its last day. */
  if (as_of < start) return 0;
  if (as_of >= end) return 100;
  return (int)div_floor((wide)volume_days(start, as_of) * 100, volume_days(start, end));
}

int volume_completion_percent(int64_t purchased, int64_t agreed) {
  /* Nothing agreed: nothing is missing. */
  if (agreed <= 0) return 100;
  /* V5: rounded down, so 99.9% reads 99 and never as done. */
  return clamp_int(div_floor((wide)purchased * 100, agreed));
}

vbp_date volume_in_use_review_from(vbp_date execution_start) {
  /* V5 执行满3个月; a start on the 31st gives the last day of a shorter third month. */
  return vbp_date_add_months(execution_start, 3);
}

/* ---------------------------------------------------------------- V6 assessment */

volume_count volume_count_of(int status, bool cheap, bool in_supply_issue, bool in_cycle) {
  /* V6 不纳入考核: purchases after the cycle end. */
  if (!in_cycle) return VOLUME_COUNT_NONE;
  switch (status) {
    case VOLUME_WINNING:
      return VOLUME_COUNT_WINNING;
    case VOLUME_BACKUP:
      /* Left out, except in a verified supply issue of a winning product: then the backup
       * stands in for it. */
      return in_supply_issue ? VOLUME_COUNT_WINNING : VOLUME_COUNT_NONE;
    case VOLUME_NON_WINNING:
    case VOLUME_NO_RESULT:
      /* Left out when bought cheaper than the winners at an exempting quality, or while a
       * winning product could not be supplied. */
      return cheap || in_supply_issue ? VOLUME_COUNT_NONE : VOLUME_COUNT_NON_WINNING;
  }
  return VOLUME_COUNT_NONE; /* an unknown status: counted on neither side */
}

static bool exempting_quality(int quality) {
  return quality == VOLUME_ORIGINATOR || quality == VOLUME_REFERENCE ||
         quality == VOLUME_CONSISTENCY_PASSED;
}

bool volume_cheap(int quality, vbp_money amount, int64_t quantity, vbp_money lowest_winning_price) {
  /* A group without a winning price has nothing to be cheaper than. */
  if (!exempting_quality(quality) || lowest_winning_price <= 0) return false;
  /* Compared as totals, so no unit price is rounded. */
  return (wide)amount < (wide)lowest_winning_price * quantity;
}

vbp_money volume_cheap_threshold(int quality, vbp_money lowest_winning_price) {
  return exempting_quality(quality) ? lowest_winning_price : 0;
}

size_t volume_assess_variety(const volume_winning *winning, size_t n_winning, int64_t non_winning,
                             int64_t all, int cap_percent, char (*reasons)[VOLUME_REASON_MAX],
                             size_t max_reasons, bool *passed) {
  size_t failed = 0, written = 0;
  for (size_t i = 0; i < n_winning; i++) {
    const volume_winning *w = &winning[i];
    /* Each winning enterprise's share is what it bid for: each product must meet its own. */
    if (w->purchased >= w->agreed) continue;
    failed++;
    if (written < max_reasons)
      snprintf(reasons[written++], VOLUME_REASON_MAX, "V6 %s: %" PRId64 " of %" PRId64,
               text(w->product_id), w->purchased, w->agreed);
  }

  int cap = cap_percent == 0 ? 50 : cap_percent; /* 003 §23's 50% unless the batch sets one */
  /* Exactly at the cap passes; integers, so no percent is rounded into a pass. */
  if ((wide)non_winning * 100 > (wide)cap * all) {
    failed++;
    /* The share shown is rounded down, so it never reads more than it is. */
    wide permille = all > 0 ? div_floor((wide)non_winning * 1000, all) : 1000;
    if (written < max_reasons)
      snprintf(reasons[written++], VOLUME_REASON_MAX,
               "V6 non-winning %" PRId64 " of %" PRId64 " (%" PRId64 ".%" PRId64 "%%) > %d%%",
               non_winning, all, clamp_int64(permille / 10), clamp_int64(permille % 10), cap);
  }

  if (passed) *passed = failed == 0;
  return written;
}

/* ---------------------------------------------------------------- V7 prepayment */

int volume_prepayment_rate(int kind) {
  /* 004 八(一): 50% of drugs' agreed amount, 30% of consumables'. */
  switch (kind) {
    case VOLUME_DRUG:
      return 50;
    case VOLUME_CONSUMABLE:
      return 30;
  }
  return 0;
}

bool volume_agreed_amount(int64_t quantity, vbp_money price, vbp_money *out) {
  wide amount = (wide)quantity * price;
  if (amount > INT64_MAX || amount < INT64_MIN) return false;
  *out = (vbp_money)amount;
  return true;
}

vbp_money volume_prepaid(vbp_money agreed_amount, int rate) {
  /* Rounded per product, half away from zero to 0.0001 yuan, before the products are summed. */
  return vbp_money_percent(agreed_amount, rate);
}

vbp_money volume_offset(vbp_money purchased_amount, vbp_money prepaid) {
  /* The purchases offset the prepayment up to what was prepaid, and never run it backwards. */
  vbp_money offset = purchased_amount < prepaid ? purchased_amount : prepaid;
  return offset > 0 ? offset : 0;
}

vbp_date volume_reclaim_due(vbp_date cycle_last_day) {
  /* V7: two months on; add_months gives the month's last day when the day does not exist. */
  return vbp_date_add_months(cycle_last_day, 2);
}

/* ---------------------------------------------------------------- V8 settlement */

/* The first day of the month after the one that contains date: counted from the 1st, so a 31st
 * can neither clamp nor skip a month. */
static vbp_date next_month_first(vbp_date date) {
  int year, month, day;
  vbp_date_to_ymd(date, &year, &month, &day);
  return vbp_date_add_months(vbp_date_from_ymd(year, month, 1), 1);
}

vbp_date volume_settlement_due(vbp_date accepted) {
  return vbp_date_month_end(next_month_first(accepted));
}

bool volume_agency_settlement_due(int kind, int status, const char *province, vbp_date accepted,
                                  vbp_date *out) {
  /* 002 三(三)1 is Fujian's and covers its winning and backup consumables only. */
  if (kind != VOLUME_CONSUMABLE) return false;
  if (status != VOLUME_WINNING && status != VOLUME_BACKUP) return false;
  if (strcmp(text(province), "350000") != 0) return false;
  *out = next_month_first(accepted) + 14; /* the 15th */
  return true;
}

/* ---------------------------------------------------------------- V9 */

int volume_agreement_year_of(const vbp_date *starts, const vbp_date *ends, size_t n, vbp_date day) {
  for (size_t i = 0; i < n; i++)
    if (starts[i] <= day && day <= ends[i]) return (int)(i + 1);
  return 0; /* V9: recorded, but in no agreement year */
}

bool volume_above_limit(vbp_money amount, int64_t quantity, vbp_money limit) {
  /* No known limit: nothing to flag. */
  if (limit <= 0) return false;
  return (wide)amount > (wide)limit * quantity;
}
