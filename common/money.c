#include "common/money.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#define MONEY_DECIMALS 4

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* magnitude = magnitude * 10 + digit, false if that would pass limit. */
static bool push_digit(uint64_t *magnitude, unsigned digit, uint64_t limit) {
  if (*magnitude > (limit - digit) / 10) return false;
  *magnitude = *magnitude * 10 + digit;
  return true;
}

bool vbp_money_parse(const char *text, vbp_money *out) {
  if (text == NULL) return false;
  const char *p = text;
  bool negative = false;
  if (*p == '-') {
    negative = true;
    p++;
  }
  /* The magnitude is built unsigned so that INT64_MIN, whose magnitude has no int64, parses. */
  uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  uint64_t magnitude = 0;

  if (!is_digit(*p)) return false; /* "", "-", ".5", "+1", " 1" */
  while (is_digit(*p)) {
    if (!push_digit(&magnitude, (unsigned)(*p - '0'), limit)) return false;
    p++;
  }
  int decimals = 0;
  if (*p == '.') {
    p++;
    if (!is_digit(*p)) return false; /* "1." */
    while (is_digit(*p)) {
      if (++decimals > MONEY_DECIMALS) return false; /* finer than 0.0001 yuan: not exact */
      if (!push_digit(&magnitude, (unsigned)(*p - '0'), limit)) return false;
      p++;
    }
  }
  if (*p != '\0') return false; /* "1e3", "1 ", "1.2.3" */
  for (; decimals < MONEY_DECIMALS; decimals++)
    if (!push_digit(&magnitude, 0, limit)) return false;

  /* -(magnitude - 1) - 1 stays inside int64 even for INT64_MIN. */
  *out = negative ? (magnitude == 0 ? 0 : -(int64_t)(magnitude - 1) - 1) : (int64_t)magnitude;
  return true;
}

char *vbp_money_format(vbp_money amount, char *buf) {
  /* Unsigned magnitude: -INT64_MIN does not fit in an int64. */
  uint64_t magnitude = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
  snprintf(buf, VBP_MONEY_FORMAT_MAX, "%s%" PRIu64 ".%04" PRIu64, amount < 0 ? "-" : "",
           magnitude / VBP_MONEY_SCALE, magnitude % VBP_MONEY_SCALE);
  return buf;
}

/* numerator / denominator rounded half away from zero, in 128 bits. */
static __int128 div_round_half_away(__int128 numerator, __int128 denominator) {
  __int128 quotient = numerator / denominator; /* truncates toward zero */
  __int128 remainder = numerator % denominator;
  __int128 abs_remainder = remainder < 0 ? -remainder : remainder;
  __int128 abs_denominator = denominator < 0 ? -denominator : denominator;
  /* |remainder| < |denominator| <= 2^63, so doubling cannot overflow 128 bits. */
  if (2 * abs_remainder >= abs_denominator)
    quotient += ((numerator < 0) == (denominator < 0)) ? 1 : -1;
  return quotient;
}

vbp_money vbp_money_mul_div(vbp_money amount, int64_t numerator, int64_t denominator) {
  assert(denominator != 0);
  /* |amount * numerator| <= 2^126, which fits in a signed 128-bit integer. */
  __int128 result = div_round_half_away((__int128)amount * numerator, denominator);
  assert(result >= INT64_MIN && result <= INT64_MAX);
  return (vbp_money)result;
}

vbp_money vbp_money_percent(vbp_money amount, int64_t percent) {
  return vbp_money_mul_div(amount, percent, 100);
}

int64_t vbp_div_round_half_away(int64_t numerator, int64_t denominator) {
  assert(denominator != 0);
  /* 128 bits keep INT64_MIN / -1 and the remainder test free of overflow. */
  __int128 result = div_round_half_away(numerator, denominator);
  assert(result >= INT64_MIN && result <= INT64_MAX);
  return (int64_t)result;
}
