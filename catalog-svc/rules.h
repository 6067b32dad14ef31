/* Catalog domain rules as pure functions: no I/O, no clock, no globals. Agreement years
 * (DOMAIN.md C5, C6) and the execution in force ("Pricing rules"). The shapes of region codes
 * and ids are common/regions.h's and common/ids.h's. */
#ifndef CATALOG_RULES_H
#define CATALOG_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/date.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What fixes a cycle's end: either a number of years from the execution start (the cycle ends
 * the day before start + years) or an explicit last day (set at creation or by an extension).
 * When has_last_day is set, last_day wins over years. */
typedef struct catalog_cycle {
  int years; /* 0 when the batch gives an explicit end */
  bool has_last_day;
  vbp_date last_day; /* explicit or extended end: the last day itself */
} catalog_cycle;

typedef struct catalog_agreement_year {
  int year; /* 1, 2, ... */
  vbp_date start;
  vbp_date end; /* inclusive */
} catalog_agreement_year;

/* The last day of the cycle of an execution starting on start (C5, C6). */
vbp_date catalog_cycle_last_day(vbp_date start, const catalog_cycle *cycle);

/* An execution of a batch in one province, as the pricing look-up weighs it. */
typedef struct catalog_execution {
  const char *batch_code; /* borrowed */
  vbp_date start;
  catalog_cycle cycle; /* the batch's */
  bool has_result;     /* the product asked about has a result in the batch */
} catalog_execution;

/* The execution in force on date among executions[0..n) (DOMAIN.md "Pricing rules"): of those
 * with start <= date <= the cycle's last day, the one with the latest start. A tie goes to a
 * batch the product has a result in (its own result says more about it than a group of its
 * generic name or category), then to the lowest batch code (byte order, so the answer never
 * depends on a database's collation). Writes its index to *index and returns true; returns
 * false (and leaves *index) when none is. */
bool catalog_execution_in_force(const catalog_execution *executions, size_t n, vbp_date date,
                                size_t *index);

/* The first alignment date (1 Jan or 1 Jul) on or after the anniversary: an anniversary on
 * 2 Jan..1 Jul moves to 1 Jul of its year, 2 Jul..31 Dec to 1 Jan of the next; 1 Jan stays. */
vbp_date catalog_alignment_date(vbp_date anniversary);

/* Writes the agreement years of an execution starting on start into out (at most cap entries)
 * and returns how many there are (which may exceed cap: call again with more room). With align
 * (C6, the default) the first year runs to the day before the alignment date of the first
 * anniversary and later years run 12 months from there; without it, plain anniversaries
 * (start + k years, each from the original start so 29 Feb gives 28 Feb only in common years).
 * The last year is cut at the cycle's last day. Returns 0 if the cycle ends before start. */
size_t catalog_agreement_years(vbp_date start, const catalog_cycle *cycle, bool align,
                               catalog_agreement_year *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
