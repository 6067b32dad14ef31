#include "common/date.h"

#include <stdio.h>

#define SECONDS_PER_DAY 86400
#define CHINA_UTC_OFFSET_SECONDS (8 * 3600) /* China has had no daylight saving since 1991 */

/* Howard Hinnant's days_from_civil and civil_from_days
 * (https://howardhinnant.github.io/date_algorithms.html): eras of 400 years, with years that
 * start on 1 March so that the leap day is the last day of its year. */
vbp_date vbp_date_from_ymd(int year, int month, int day) {
  int y = month <= 2 ? year - 1 : year;
  int era = (y >= 0 ? y : y - 399) / 400;
  int year_of_era = y - era * 400;                                                 /* [0, 399] */
  int day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; /* [0, 365] */
  int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return (vbp_date)(era * 146097 + day_of_era - 719468);
}

void vbp_date_to_ymd(vbp_date date, int *year, int *month, int *day) {
  int z = (int)date + 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = z - era * 146097; /* day of era, [0, 146096] */
  int year_of_era = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  int day_of_year = doe - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int mp = (5 * day_of_year + 2) / 153; /* month from March: [0, 11] */
  int d = day_of_year - (153 * mp + 2) / 5 + 1;
  int m = mp < 10 ? mp + 3 : mp - 9;
  *year = year_of_era + era * 400 + (m <= 2);
  *month = m;
  *day = d;
}

bool vbp_is_leap_year(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int vbp_days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2 && vbp_is_leap_year(year)) return 29;
  return days[month - 1];
}

bool vbp_date_valid(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12) return false;
  return day >= 1 && day <= vbp_days_in_month(year, month);
}

/* Reads count digits at text; false if any is not a digit (or is the terminating NUL). */
static bool read_digits(const char *text, int count, int *value) {
  int v = 0;
  for (int i = 0; i < count; i++) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  return true;
}

bool vbp_date_parse(const char *text, vbp_date *out) {
  int year, month, day;
  /* Checked left to right, so a short string stops at its NUL before anything past it is read. */
  if (text == NULL || !read_digits(text, 4, &year) || text[4] != '-' ||
      !read_digits(text + 5, 2, &month) || text[7] != '-' || !read_digits(text + 8, 2, &day) ||
      text[10] != '\0')
    return false;
  if (!vbp_date_valid(year, month, day)) return false;
  *out = vbp_date_from_ymd(year, month, day);
  return true;
}

char *vbp_date_format(vbp_date date, char *buf) {
  int year, month, day;
  vbp_date_to_ymd(date, &year, &month, &day);
  /* Outside years 0..9999 this truncates rather than overruns; such dates never parse. */
  snprintf(buf, VBP_DATE_FORMAT_MAX, "%04d-%02d-%02d", year, month, day);
  return buf;
}

vbp_date vbp_date_add_years(vbp_date date, int years) {
  int year, month, day;
  vbp_date_to_ymd(date, &year, &month, &day);
  year += years;
  int last = vbp_days_in_month(year, month);
  return vbp_date_from_ymd(year, month, day > last ? last : day); /* 29 Feb -> 28 Feb */
}

vbp_date vbp_date_add_months(vbp_date date, int months) {
  int year, month, day;
  vbp_date_to_ymd(date, &year, &month, &day);
  int index = year * 12 + (month - 1) + months;
  /* Floor division, so that going back past year 0 still lands on a month in 1..12. */
  int new_year = index >= 0 ? index / 12 : (index - 11) / 12;
  int new_month = index - new_year * 12 + 1;
  int last = vbp_days_in_month(new_year, new_month);
  return vbp_date_from_ymd(new_year, new_month, day > last ? last : day);
}

vbp_date vbp_date_month_end(vbp_date date) {
  int year, month, day;
  vbp_date_to_ymd(date, &year, &month, &day);
  return vbp_date_from_ymd(year, month, vbp_days_in_month(year, month));
}

vbp_date vbp_date_china_today(time_t now) {
  int64_t local = (int64_t)now + CHINA_UTC_OFFSET_SECONDS;
  /* Floor division: an instant before 1970 belongs to the day before, not the day after. */
  int64_t days = local / SECONDS_PER_DAY;
  if (local % SECONDS_PER_DAY < 0) days--;
  return (vbp_date)days;
}
