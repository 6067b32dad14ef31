/* JSON-line logs on stderr: one line per event, each written with a single write(2) so lines
 * from different threads never interleave. Thread-safe. */
#ifndef VBP_LOG_H
#define VBP_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vbp_log_level {
  VBP_LOG_DEBUG = 0,
  VBP_LOG_INFO = 1,
  VBP_LOG_WARN = 2,
  VBP_LOG_ERROR = 3,
} vbp_log_level;

/* Names the service in every line and sets the lowest level written. Call once, early. */
void vbp_log_init(const char *service, vbp_log_level min_level);

/* "debug", "info", "warn" or "error" into *out; false for anything else. */
bool vbp_log_level_parse(const char *name, vbp_log_level *out);

bool vbp_log_enabled(vbp_log_level level);

/* {"ts":..., "level":..., "service":..., "msg": <printf>} */
void vbp_log(vbp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line for a finished RPC: rpc, request id, caller, code, duration, and the message of a
 * failed status. Any string may be NULL. */
void vbp_log_call(vbp_log_level level, const char *rpc, const char *request_id, const char *caller,
                  const vbp_status *status, int64_t duration_us);

/* One access-log line for an HTTP request: method, path, route template, status, request id,
 * caller and duration. route and caller may be NULL. */
void vbp_log_http(vbp_log_level level, const char *method, const char *path, const char *route,
                  unsigned status, const char *request_id, const char *caller, int64_t duration_us);

#ifdef __cplusplus
}
#endif
#endif
