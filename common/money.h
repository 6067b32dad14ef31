/* Money: an exact int64 count of 0.0001 yuan (DOMAIN.md "Money, quantities, dates").
 * Never floating point. Rounding is half away from zero to 0.0001 yuan. Pure and thread-safe. */
#ifndef VBP_MONEY_H
#define VBP_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t vbp_money;

#define VBP_MONEY_SCALE 10000   /* units per yuan */
#define VBP_MONEY_FORMAT_MAX 32 /* bytes a formatted amount needs, NUL included */

/* Parses yuan with 0 to 4 decimals ("30", "30.5", "30.0000", "-1.25"). No spaces, no exponent,
 * no "+", no leading or trailing dot, at least one digit before the dot. Returns false on
 * anything else or on overflow; *out is written only on success. */
bool vbp_money_parse(const char *text, vbp_money *out);

/* Writes yuan with exactly four decimals ("30.0000", "-0.5000") into buf (VBP_MONEY_FORMAT_MAX
 * bytes). Returns buf. */
char *vbp_money_format(vbp_money amount, char *buf);

/* amount * numerator / denominator, rounded half away from zero to 0.0001 yuan; computed in
 * 128 bits so the product never overflows. denominator must not be 0. */
vbp_money vbp_money_mul_div(vbp_money amount, int64_t numerator, int64_t denominator);

/* amount * percent / 100, rounded half away from zero (e.g. 70% of a sale price). */
vbp_money vbp_money_percent(vbp_money amount, int64_t percent);

/* Integer division rounded half away from zero, e.g. a quantity times a ratio (V2 rounds half
 * up to a whole unit). denominator must not be 0. */
int64_t vbp_div_round_half_away(int64_t numerator, int64_t denominator);

#ifdef __cplusplus
}
#endif
#endif
