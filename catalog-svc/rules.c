#include "catalog-svc/rules.h"

#include <string.h>

vbp_date catalog_cycle_last_day(vbp_date start, const catalog_cycle *cycle) {
  if (cycle->has_last_day) return cycle->last_day; /* explicit or extended: the last day itself */
  /* The day before start + N years, so that 29 Feb + 4 years ends on 28 Feb of a leap year, and
   * 29 Feb + 1 year, landing on 28 Feb, ends on 27 Feb. A cycle of 0 years ends before start. */
  return vbp_date_add_years(start, cycle->years) - 1;
}

bool catalog_execution_in_force(const catalog_execution *executions, size_t n, vbp_date date,
                                size_t *index) {
  const catalog_execution *best = NULL;
  for (size_t i = 0; i < n; i++) {
    const catalog_execution *e = &executions[i];
    if (e->start > date || catalog_cycle_last_day(e->start, &e->cycle) < date) continue;
    bool better = !best || e->start > best->start;
    if (best && e->start == best->start)
      better = e->has_result != best->has_result ? e->has_result
                                                 : strcmp(e->batch_code, best->batch_code) < 0;
    if (better) best = e;
  }
  if (!best) return false;
  *index = (size_t)(best - executions);
  return true;
}

vbp_date catalog_alignment_date(vbp_date anniversary) {
  int year, month, day;
  vbp_date_to_ymd(anniversary, &year, &month, &day);
  if (month == 1 && day == 1) return anniversary;
  vbp_date first_july = vbp_date_from_ymd(year, 7, 1);
  return anniversary <= first_july ? first_july : vbp_date_from_ymd(year + 1, 1, 1);
}

/* Stores one year when there is room; the count goes on regardless (see the header). */
static void put_year(catalog_agreement_year *out, size_t cap, size_t index, vbp_date start,
                     vbp_date end) {
  if (index >= cap) return;
  out[index].year = (int)index + 1;
  out[index].start = start;
  out[index].end = end;
}

size_t catalog_agreement_years(vbp_date start, const catalog_cycle *cycle, bool align,
                               catalog_agreement_year *out, size_t cap) {
  vbp_date last_day = catalog_cycle_last_day(start, cycle);
  if (last_day < start) return 0;

  size_t count = 0;
  if (align) {
    /* C6: the first year runs to the alignment date of its anniversary, which may make it up to
     * 18 months long; later years run 12 months from there. */
    vbp_date alignment = catalog_alignment_date(vbp_date_add_years(start, 1));
    vbp_date first_end = alignment - 1;
    put_year(out, cap, count++, start, first_end < last_day ? first_end : last_day);
    /* The alignment date is 1 Jan or 1 Jul, so adding years never meets 29 Feb. */
    for (int k = 0;; k++) {
      vbp_date year_start = vbp_date_add_years(alignment, k);
      if (year_start > last_day) break; /* no empty years */
      vbp_date year_end = vbp_date_add_years(alignment, k + 1) - 1;
      put_year(out, cap, count++, year_start, year_end < last_day ? year_end : last_day);
    }
  } else {
    /* Each anniversary from the original start: stepping from the previous one would carry a
     * 28 Feb from a common year into the leap years after it. */
    for (int k = 0;; k++) {
      vbp_date year_start = vbp_date_add_years(start, k);
      if (year_start > last_day) break;
      vbp_date year_end = vbp_date_add_years(start, k + 1) - 1;
      put_year(out, cap, count++, year_start, year_end < last_day ? year_end : last_day);
    }
  }
  return count;
}
