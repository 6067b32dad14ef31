/* The process's clocks: wall time and a monotonic clock for durations. */
#ifndef VBP_CLOCK_H
#define VBP_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Unix time in milliseconds (CLOCK_REALTIME: may jump when the system clock is set, so not for
 * durations). Thread-safe. */
int64_t vbp_now_ms(void);

/* Microseconds of CLOCK_MONOTONIC, for durations and deadlines inside the process: never goes
 * backwards, meaningless across processes. Thread-safe. */
int64_t vbp_monotonic_us(void);

#ifdef __cplusplus
}
#endif
#endif
