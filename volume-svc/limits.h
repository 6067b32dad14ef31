/* The max sale price in force (DOMAIN.md "Pricing rules") of products in a province on a date,
 * asked of pricing-svc in batches (BatchGetPrices, which caches), so that a purchase above it is
 * flagged for supervision (V9). */
#ifndef VOLUME_LIMITS_H
#define VOLUME_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/date.h"
#include "common/money.h"
#include "common/rpc.h"
#include "common/status.h"

/* One look-up: the question, then the answer. */
typedef struct volume_limit {
  const char *province, *product_id;
  vbp_date date;
  vbp_money limit; /* the answer, when known */
  bool known;      /* false: pricing-svc has no price for it (a non-winning product not listed) */
} volume_limit;

/* Answers q[0..n) with as few calls as the (province, date) pairs need (up to 1000 products a
 * call). UNAVAILABLE when pricing-svc does not answer: a purchase is not recorded unflagged. */
vbp_status volume_limits_get(vbp_call *call, vbp_arena *arena, volume_limit *q, size_t n);

#endif
