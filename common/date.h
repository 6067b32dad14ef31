/* Civil dates (proleptic Gregorian) as a count of days since 1970-01-01, so comparing and
 * subtracting dates is integer arithmetic. Dates are China time (UTC+8), "YYYY-MM-DD".
 * Pure and thread-safe. */
#ifndef VBP_DATE_H
#define VBP_DATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t vbp_date; /* days since 1970-01-01 */

#define VBP_DATE_FORMAT_MAX 11 /* "YYYY-MM-DD" and NUL */

/* The day of year/month/day; month 1..12, day 1..31. Does not validate: see vbp_date_valid. */
vbp_date vbp_date_from_ymd(int year, int month, int day);
void vbp_date_to_ymd(vbp_date date, int *year, int *month, int *day);

/* True if year/month/day names a real day (1 <= year <= 9999). */
bool vbp_date_valid(int year, int month, int day);

bool vbp_is_leap_year(int year);
int vbp_days_in_month(int year, int month);

/* Parses exactly "YYYY-MM-DD" (ten characters, a real day, year 1..9999). Returns false on
 * anything else; *out is written only on success. */
bool vbp_date_parse(const char *text, vbp_date *out);

/* Writes "YYYY-MM-DD" into buf (VBP_DATE_FORMAT_MAX bytes). Returns buf. */
char *vbp_date_format(vbp_date date, char *buf);

/* The same day `years` later (or earlier, if negative); 29 Feb into a common year gives 28 Feb. */
vbp_date vbp_date_add_years(vbp_date date, int years);

/* The same day `months` later; a day past the target month's end gives its last day. */
vbp_date vbp_date_add_months(vbp_date date, int months);

/* The last day of the month that contains date. */
vbp_date vbp_date_month_end(vbp_date date);

/* The calendar date in China (UTC+8) at the instant now. */
vbp_date vbp_date_china_today(time_t now);

#ifdef __cplusplus
}
#endif
#endif
