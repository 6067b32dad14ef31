/* Volume domain rules as pure functions (DOMAIN.md "Volume rules" V1-V8 and the C7 floor that
 * binds later years' allocations): no I/O, no allocation, no clock (today is a parameter), no
 * globals. Quantities are int64 counts of the product's smallest unit; money is common/money.h's
 * exact int64 count of 0.0001 yuan; dates are common/date.h days. Thread-safe. */
#ifndef VOLUME_RULES_H
#define VOLUME_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/date.h"
#include "common/money.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vbp.v1.ProductKind's numbers. */
enum { VOLUME_DRUG = 1, VOLUME_CONSUMABLE = 2 };

/* vbp.v1.RegionLevel's numbers (region levels and review levels). */
enum { VOLUME_PROVINCE = 1, VOLUME_CITY = 2, VOLUME_COUNTY = 3 };

/* vbp.v1.ResultStatus's numbers; VOLUME_NO_RESULT: the product has no result in the batch. */
enum { VOLUME_NO_RESULT = 0, VOLUME_WINNING = 1, VOLUME_BACKUP = 2, VOLUME_NON_WINNING = 3 };

/* vbp.v1.QualityTier's numbers. */
enum {
  VOLUME_ORIGINATOR = 1,
  VOLUME_REFERENCE = 2,
  VOLUME_CONSISTENCY_PASSED = 3,
  VOLUME_NOT_EVALUATED = 4
};

/* ---------------------------------------------------------------- V1 review chain */

/* The review levels of a report, in order, into out (at most 3), for a batch of `kind` and an
 * institution whose region is at `institution_level`: drugs COUNTY -> CITY -> PROVINCE,
 * consumables CITY -> PROVINCE, starting at the institution's own level (a county institution's
 * consumables report starts at CITY). Returns how many; 0 for an unknown kind or level. */
size_t volume_review_chain(int kind, int institution_level, int out[3]);

/* The level the next review must be at, after `done` reviews (all approvals) of that chain;
 * 0 when the chain is complete. */
int volume_review_next(int kind, int institution_level, size_t done);

/* ---------------------------------------------------------------- V2, V3, C7 */

/* V2: base x ratio_percent / 100, rounded half up to a whole unit. base >= 0, ratio 0..100. */
int64_t volume_agreed(int64_t base, int ratio_percent);

/* V3: splits `total` (>= 0) among n products by share_percent with the largest-remainder method:
 * each gets floor(total x share / 100), and the units left over go one each to the largest
 * remainders, ties to the lower product id (strcmp). parts[i] belongs to product_ids[i] (any
 * order). Returns false, writing nothing, when n is 0, a share is outside 0..100, the shares
 * do not sum to exactly 100, or total is negative. */
bool volume_split(int64_t total, const char *const *product_ids, const int *share_percent, size_t n,
                  int64_t *parts);

/* C7 per day: the least quantity a year of new_days may have, from a reference year of
 * reference_days that had `reference`: reference x new_days / reference_days, rounded half up
 * (421 over 528 days holds a 365-day year to 291). Both day counts > 0. */
int64_t volume_floor(int64_t reference, int new_days, int reference_days);

/* ---------------------------------------------------------------- V5 progress */

/* Days of a period, both ends counted (end >= start). */
int volume_days(vbp_date start, vbp_date end);

/* Time elapsed in the year [start, end] on as_of (序时进度): days from start to as_of, both
 * counted, over the year's days, as a whole percent rounded down; 0 before start, 100 from end. */
int volume_elapsed_percent(vbp_date start, vbp_date end, vbp_date as_of);

/* purchased / agreed as a whole percent rounded down (99.9% is 99); 100 when agreed is 0 (nothing
 * was agreed, so nothing is missing). May exceed 100 (V4: buying beyond the agreed volume). */
int volume_completion_percent(int64_t purchased, int64_t agreed);

/* The first day of the 3-month review (执行满3个月): three months after the execution start. */
vbp_date volume_in_use_review_from(vbp_date execution_start);

/* ---------------------------------------------------------------- V6 assessment */

/* How one purchase counts in the assessment of its variety. */
typedef enum volume_count {
  VOLUME_COUNT_NONE = 0,        /* left out of both sides */
  VOLUME_COUNT_WINNING = 1,     /* toward the winning product's agreed quantity, and in "all" */
  VOLUME_COUNT_NON_WINNING = 2, /* in "non-winning" and in "all" */
} volume_count;

/* V6's exemptions, per purchase: status is the product's result in the batch (VOLUME_NO_RESULT
 * for a product of the variety without one, which counts as non-winning); `cheap` says the unit
 * price was below the group's lowest winning price (volume_cheap below); in_supply_issue says
 * the accepted date lies in a verified supply issue of a winning product of the variety, reported
 * by this institution; in_cycle is false for a purchase after the cycle end. */
volume_count volume_count_of(int status, bool cheap, bool in_supply_issue, bool in_cycle);

/* Whether a purchase of `quantity` for `amount` of a product of quality tier `quality` (0 for a
 * consumable) was bought below lowest_winning_price per unit with a quality that exempts it
 * (ORIGINATOR, REFERENCE, CONSISTENCY_PASSED): amount < lowest_winning_price x quantity, exactly.
 * False when lowest_winning_price is 0 (the group has no winning price). */
bool volume_cheap(int quality, vbp_money amount, int64_t quantity, vbp_money lowest_winning_price);

/* The least unit price (exclusive) a non-winning purchase of this quality must reach to count:
 * lowest_winning_price for an exempting quality, 0 for any other (nothing is cheap). */
vbp_money volume_cheap_threshold(int quality, vbp_money lowest_winning_price);

/* One winning product of a variety in an institution's assessment. */
typedef struct volume_winning {
  const char *product_id;
  int64_t agreed;    /* its allocation for the year */
  int64_t purchased; /* its VOLUME_COUNT_WINNING purchases (BACKUP ones in a supply issue too) */
} volume_winning;

#define VOLUME_REASON_MAX 160

/* V6 for one institution x variety: passes when every winning product met its agreed quantity
 * and non_winning x 100 <= cap_percent x all (cap_percent 0 means 50). Writes one reason per
 * failed rule into reasons (up to max_reasons), in order: the products in the order given
 * ("V6 <productId>: 400 of 421", purchased of agreed), then the cap ("V6 non-winning 234 of 467
 * (50.1%) > 50%", the percent rounded down to one decimal). Returns how many reasons it wrote;
 * *passed is true when there is none to write. */
size_t volume_assess_variety(const volume_winning *winning, size_t n_winning, int64_t non_winning,
                             int64_t all, int cap_percent, char (*reasons)[VOLUME_REASON_MAX],
                             size_t max_reasons, bool *passed);

/* ---------------------------------------------------------------- V7 prepayment */

/* The prepayment rate: 50 (drugs) or 30 (consumables) percent; 0 for an unknown kind. */
int volume_prepayment_rate(int kind);

/* One product's agreed amount, quantity x winning price; false when it would overflow. */
bool volume_agreed_amount(int64_t quantity, vbp_money price, vbp_money *out);

/* One product's prepayment: agreed_amount x rate / 100, rounded half away from zero to 0.0001
 * yuan (money.h). The hospital's prepayment is the sum over its products. */
vbp_money volume_prepaid(vbp_money agreed_amount, int rate);

/* The offset so far: the purchases of the prepaid products, up to the prepaid sum; never
 * negative. */
vbp_money volume_offset(vbp_money purchased_amount, vbp_money prepaid);

/* The day the balance is reclaimed by: the same day two months after the cycle's last day, or
 * that month's last day when it has no such day. */
vbp_date volume_reclaim_due(vbp_date cycle_last_day);

/* ---------------------------------------------------------------- V8 settlement */

/* The hospital pays by the end of the month after acceptance (2024-08-15 -> 2024-09-30). */
vbp_date volume_settlement_due(vbp_date accepted);

/* Fujian (province 350000, seed 002 三(三)1): the agency settles WINNING and BACKUP consumables by
 * the 15th of the month after acceptance. Returns false (no agency settlement) otherwise. */
bool volume_agency_settlement_due(int kind, int status, const char *province, vbp_date accepted,
                                  vbp_date *out);

/* ---------------------------------------------------------------- V9 */

/* The agreement year (1-based index into n years given as starts/ends, in order) containing
 * day; 0 when none does (before the cycle or after its end). */
int volume_agreement_year_of(const vbp_date *starts, const vbp_date *ends, size_t n, vbp_date day);

/* Whether a purchase of `quantity` for `amount` was above the max sale price `limit` per unit:
 * amount > limit x quantity, exactly. False when limit is 0 or less (no known limit). */
bool volume_above_limit(vbp_money amount, int64_t quantity, vbp_money limit);

#ifdef __cplusplus
}
#endif
#endif
