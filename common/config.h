/* Configuration from environment variables, read once at start-up. A malformed value stops
 * start-up with a message naming the variable. */
#ifndef VBP_CONFIG_H
#define VBP_CONFIG_H

#include <stdbool.h>

#include "common/log.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value of name, or fallback when unset or empty. The pointer is the environment's. */
const char *vbp_env(const char *name, const char *fallback);

/* name as an integer in [min, max], or fallback when unset; INVALID_ARGUMENT naming it when
 * malformed or out of range. */
vbp_status vbp_env_int(const char *name, int fallback, int min, int max, int *out);

/* name as a required value; FAILED_PRECONDITION naming it when unset or empty. */
vbp_status vbp_env_required(const char *name, const char **out);

/* VBP_LOG_LEVEL (debug, info, warn, error; default info). */
vbp_status vbp_env_log_level(vbp_log_level *out);

/* Everything log.h's vbp_log_start takes: VBP_LOG_LEVEL, VBP_LOG_FILE (default none: stderr),
 * VBP_ACCESS_LOG_SAMPLE (1 in N ordinary access lines, 0 to 1000000; default 1, every one) and
 * VBP_ACCESS_LOG_SLOW_MS (always write lines at least this slow; default 1000, 0 turns it off).
 * The file's name is the environment's. */
vbp_status vbp_env_log_settings(vbp_log_settings *out);

#ifdef __cplusplus
}
#endif
#endif
