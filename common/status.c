#include "common/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

vbp_status vbp_status_ok(void) {
  vbp_status s;
  s.code = VBP_OK;
  s.field[0] = s.reason[0] = s.message[0] = '\0';
  return s;
}

vbp_status vbp_status_make(vbp_code code, const char *fmt, ...) {
  vbp_status s = vbp_status_ok();
  s.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s.message, sizeof s.message, fmt, ap);
  va_end(ap);
  return s;
}

vbp_status vbp_status_field(vbp_code code, const char *field, const char *reason_fmt, ...) {
  vbp_status s = vbp_status_ok();
  s.code = code;
  snprintf(s.field, sizeof s.field, "%s", field);
  va_list ap;
  va_start(ap, reason_fmt);
  vsnprintf(s.reason, sizeof s.reason, reason_fmt, ap);
  va_end(ap);
  snprintf(s.message, sizeof s.message, "%s %s", s.field, s.reason);
  return s;
}

const char *vbp_code_name(vbp_code code) {
  static const char *const names[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  if ((unsigned)code < sizeof names / sizeof names[0]) return names[code];
  return "UNKNOWN";
}
