/* One status type for the whole tree: a gRPC status code, a message, and the offending field
 * with its reason (API.md error body; over gRPC, trailing metadata vbp-error-field and
 * vbp-error-reason). Returned by value; no heap, so it never leaks. */
#ifndef VBP_STATUS_H
#define VBP_STATUS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The numbers are gRPC's (grpc/status.h), so the mapping to the wire is the identity. */
typedef enum vbp_code {
  VBP_OK = 0,
  VBP_CANCELLED = 1,
  VBP_UNKNOWN = 2,
  VBP_INVALID_ARGUMENT = 3,
  VBP_DEADLINE_EXCEEDED = 4,
  VBP_NOT_FOUND = 5,
  VBP_ALREADY_EXISTS = 6,
  VBP_PERMISSION_DENIED = 7,
  VBP_RESOURCE_EXHAUSTED = 8,
  VBP_FAILED_PRECONDITION = 9,
  VBP_ABORTED = 10,
  VBP_OUT_OF_RANGE = 11,
  VBP_UNIMPLEMENTED = 12,
  VBP_INTERNAL = 13,
  VBP_UNAVAILABLE = 14,
  VBP_DATA_LOSS = 15,
  VBP_UNAUTHENTICATED = 16,
} vbp_code;

#define VBP_STATUS_MESSAGE_MAX 256
#define VBP_STATUS_FIELD_MAX 96
#define VBP_STATUS_REASON_MAX 160

typedef struct vbp_status {
  vbp_code code;
  char field[VBP_STATUS_FIELD_MAX];   /* lowerCamelCase JSON path, "" when none */
  char reason[VBP_STATUS_REASON_MAX]; /* why the field is wrong, "" when none */
  char message[VBP_STATUS_MESSAGE_MAX];
} vbp_status;

static inline bool vbp_ok(const vbp_status *s) { return s->code == VBP_OK; }

/* The OK status. */
vbp_status vbp_status_ok(void);

/* A status with a printf-style message and no field. */
vbp_status vbp_status_make(vbp_code code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A status about one field: the message is "<field> <reason>", the detail carries both.
 * field is the lowerCamelCase JSON path ("memberRegionCodes[2]"). */
vbp_status vbp_status_field(vbp_code code, const char *field, const char *reason_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* INVALID_ARGUMENT about one field: the usual answer to bad input. */
#define vbp_invalid(field, ...) vbp_status_field(VBP_INVALID_ARGUMENT, (field), __VA_ARGS__)

/* Returns from the enclosing function the status expr gives unless it is OK. */
#define VBP_CHECK(expr)                    \
  do {                                     \
    vbp_status check__ = (expr);           \
    if (!vbp_ok(&check__)) return check__; \
  } while (0)

/* The canonical name of a code ("INVALID_ARGUMENT"), as API.md's error body spells it. */
const char *vbp_code_name(vbp_code code);

#ifdef __cplusplus
}
#endif
#endif
