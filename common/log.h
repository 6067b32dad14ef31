/* JSON-line logs on stderr: one line per event, each written with a single write(2) so lines
 * from different threads never interleave. Thread-safe.
 *
 * Two things keep them from filling a disk. Access lines (vbp_log_http, and vbp_log_call of a
 * call that succeeded) are sampled: every notable one is written (an error: vbp_log_http_notable;
 * a call that failed), every slow one, and 1 in N of the rest. And a log file (VBP_LOG_FILE) can
 * be reopened under its name, so logrotate or scripts/stack can move it away: the file is put
 * in place of stderr, so what libraries write to stderr (gRPC, libmicrohttpd) goes with it. */
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

/* Names the service in every line and sets the lowest level written; every access line is
 * written and stderr stays where it is. Call once, early. */
void vbp_log_init(const char *service, vbp_log_level min_level);

/* How a binary logs: config.h's vbp_env_log_settings reads it from the environment. */
typedef struct vbp_log_settings {
  vbp_log_level level; /* VBP_LOG_LEVEL */
  const char *file;    /* VBP_LOG_FILE: appended to, in place of stderr; NULL: stderr as it is */
  int sample_one_in;   /* VBP_ACCESS_LOG_SAMPLE: 1 in N ordinary access lines; 0 none, 1 all */
  int slow_ms;         /* VBP_ACCESS_LOG_SLOW_MS: access lines at least this slow are always
                          written; 0: no such rule */
} vbp_log_settings;

/* vbp_log_init, the sampling, and the file when settings names one (opened for appending, mode
 * 0640, and put in place of stderr). UNAVAILABLE naming the file when it cannot be opened (stderr
 * is then left as it was). settings->file is copied. Call once, early, before other threads. */
vbp_status vbp_log_start(const char *service, const vbp_log_settings *settings);

/* Opens the log file again by its name and puts it in place of stderr: after logrotate (or
 * scripts/stack) renamed the old one, lines go to a new file of that name. OK and nothing done
 * without a log file; UNAVAILABLE when it cannot be opened (lines keep going to the old one).
 * No line is lost or split: the switch is one dup2(2). Thread-safe; signals.h's
 * vbp_wait_stop_signal calls it on SIGHUP. */
vbp_status vbp_log_reopen(void);

/* The sampling decision, pure: whether to write an access line that is notable or not and took
 * duration_us, when it is the ordinal-th (from 0) of the ordinary lines (neither notable nor
 * slow), under 1 in one_in (0: none) and a slow threshold of slow_us (0: none). */
bool vbp_log_sample(int one_in, int64_t slow_us, bool notable, int64_t duration_us,
                    uint64_t ordinal);

/* Whether an HTTP access line is notable, so never sampled away: every 5xx, and every 4xx but
 * 404 (unknown paths: scanners) and 429 (a client over its rate limit sends many of them); both
 * stay counted in /metrics. 499 (the client went away first) is notable. */
bool vbp_log_http_notable(unsigned status);

/* "debug", "info", "warn" or "error" into *out; false for anything else. */
bool vbp_log_level_parse(const char *name, vbp_log_level *out);

bool vbp_log_enabled(vbp_log_level level);

/* {"ts":..., "level":..., "service":..., "msg": <printf>} */
void vbp_log(vbp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line for a finished RPC: rpc, request id, caller, code, duration, and the message of a
 * failed status. Any string may be NULL. An OK call's line is an access line, sampled. */
void vbp_log_call(vbp_log_level level, const char *rpc, const char *request_id, const char *caller,
                  const vbp_status *status, int64_t duration_us);

/* One access-log line for an HTTP request: method, path, route template, status, request id,
 * caller and duration. route and caller may be NULL. Sampled (vbp_log_http_notable). */
void vbp_log_http(vbp_log_level level, const char *method, const char *path, const char *route,
                  unsigned status, const char *request_id, const char *caller, int64_t duration_us);

#ifdef __cplusplus
}
#endif
#endif
