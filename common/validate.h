/* The checks of request fields every service makes, each returning OK or INVALID_ARGUMENT naming
 * the field (its lowerCamelCase JSON path) with the reason, in the same words everywhere. field
 * and the values are borrowed. Thread-safe. */
#ifndef VBP_VALIDATE_H
#define VBP_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/date.h"
#include "common/money.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text of 1 to max bytes; opt_: absent ("" or NULL) or at most max bytes. */
vbp_status vbp_need_text(const char *field, const char *value, size_t max);
vbp_status vbp_opt_text(const char *field, const char *value, size_t max);

/* An identifier (common/ids.h): 1 to 64 of A-Z a-z 0-9 . _ - */
vbp_status vbp_need_id(const char *field, const char *value);

/* A value of enum d other than 0 (..._UNSPECIFIED); opt_: 0 or such a value. */
vbp_status vbp_need_enum(const char *field, int value, const ProtobufCEnumDescriptor *d);
vbp_status vbp_opt_enum(const char *field, int value, const ProtobufCEnumDescriptor *d);

/* A six-digit GB/T 2260 region code of a province, city or county (its shape only). */
vbp_status vbp_need_region_code(const char *field, const char *code);

/* A real date as YYYY-MM-DD into *out; opt_: *present says whether one was given. */
vbp_status vbp_need_date(const char *field, const char *text, vbp_date *out);
vbp_status vbp_opt_date(const char *field, const char *text, vbp_date *out, bool *present);

/* An amount of yuan with at most four decimals, more than zero, into *out. */
vbp_status vbp_need_price(const char *field, const char *text, vbp_money *out);

/* An amount of yuan with at most four decimals, zero or more, into *out. */
vbp_status vbp_need_amount(const char *field, const char *text, vbp_money *out);

/* A SHA-256 as 64 hex digits (either case); written lower case into out (65 bytes). */
vbp_status vbp_need_sha256_hex(const char *field, const char *text, char out[65]);

#ifdef __cplusplus
}
#endif
#endif
