#include "common/config.h"

#include <errno.h>
#include <stdlib.h>

const char *vbp_env(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

vbp_status vbp_env_int(const char *name, int fallback, int min, int max, int *out) {
  const char *v = getenv(name);
  if (!v || !*v) {
    *out = fallback;
    return vbp_status_ok();
  }
  char *end = NULL;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || *end || n < min || n > max)
    return vbp_status_field(VBP_INVALID_ARGUMENT, name, "must be a whole number from %d to %d", min,
                            max);
  *out = (int)n;
  return vbp_status_ok();
}

vbp_status vbp_env_required(const char *name, const char **out) {
  const char *v = getenv(name);
  if (!v || !*v) return vbp_status_field(VBP_FAILED_PRECONDITION, name, "must be set");
  *out = v;
  return vbp_status_ok();
}

vbp_status vbp_env_log_level(vbp_log_level *out) {
  const char *v = vbp_env("VBP_LOG_LEVEL", "info");
  if (!vbp_log_level_parse(v, out))
    return vbp_status_field(VBP_INVALID_ARGUMENT, "VBP_LOG_LEVEL",
                            "must be debug, info, warn or error");
  return vbp_status_ok();
}

vbp_status vbp_env_log_settings(vbp_log_settings *out) {
  vbp_log_settings s = {.file = vbp_env("VBP_LOG_FILE", NULL)};
  vbp_status st = vbp_env_log_level(&s.level);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_ACCESS_LOG_SAMPLE", 1, 0, 1000000, &s.sample_one_in);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_ACCESS_LOG_SLOW_MS", 1000, 0, 3600000, &s.slow_ms);
  if (vbp_ok(&st)) *out = s;
  return st;
}
