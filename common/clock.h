/* The process's clocks: wall time, a monotonic clock for durations, and the one "today" every
 * service asks for. Today can be pinned with VBP_TODAY=YYYY-MM-DD so that a demo, a test or a
 * replay sees the same prices whatever day it runs: domain rules take today as a parameter
 * (STYLE.md), and this is where handlers get it. */
#ifndef VBP_CLOCK_H
#define VBP_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/date.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Unix time in milliseconds (CLOCK_REALTIME: may jump when the system clock is set, so not for
 * durations). Thread-safe. */
int64_t vbp_now_ms(void);

/* Microseconds of CLOCK_MONOTONIC, for durations and deadlines inside the process: never goes
 * backwards, meaningless across processes. Thread-safe. */
int64_t vbp_monotonic_us(void);

/* Reads VBP_TODAY once: unset or empty leaves today unpinned; "YYYY-MM-DD" (a real day) pins it.
 * Returns INVALID_ARGUMENT naming VBP_TODAY when malformed, and then leaves today unpinned.
 * Call in main before starting threads; not thread-safe against itself or the readers below
 * (tests may call it again between cases). Without it, today is never pinned. */
vbp_status vbp_clock_init(void);

/* Today's date in China (UTC+8), or the pinned date. The one "today" of every service: handlers
 * pass it to the rules. Thread-safe after vbp_clock_init. */
vbp_date vbp_today(void);

/* True when VBP_TODAY pinned today. Thread-safe after vbp_clock_init. */
bool vbp_clock_pinned(void);

/* The pinned date as "YYYY-MM-DD" (static storage, valid until the next vbp_clock_init), or NULL
 * when today is not pinned. For start-up logs. Thread-safe after vbp_clock_init. */
const char *vbp_clock_pinned_text(void);

#ifdef __cplusplus
}
#endif
#endif
