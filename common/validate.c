#include "common/validate.h"

#include <string.h>

#include "common/ids.h"
#include "common/regions.h"

vbp_status vbp_need_text(const char *field, const char *value, size_t max) {
  if (!value || !*value) return vbp_invalid(field, "is required");
  return vbp_opt_text(field, value, max);
}

vbp_status vbp_opt_text(const char *field, const char *value, size_t max) {
  if (value && strlen(value) > max) return vbp_invalid(field, "must be at most %zu bytes", max);
  return vbp_status_ok();
}

vbp_status vbp_need_id(const char *field, const char *value) {
  if (!value || !*value) return vbp_invalid(field, "is required");
  if (!vbp_valid_id(value))
    return vbp_invalid(field, "must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
  return vbp_status_ok();
}

vbp_status vbp_need_enum(const char *field, int value, const ProtobufCEnumDescriptor *d) {
  if (value == 0) return vbp_invalid(field, "is required");
  if (!protobuf_c_enum_descriptor_get_value(d, value))
    return vbp_invalid(field, "is not a known %s", d->short_name);
  return vbp_status_ok();
}

vbp_status vbp_opt_enum(const char *field, int value, const ProtobufCEnumDescriptor *d) {
  return value == 0 ? vbp_status_ok() : vbp_need_enum(field, value, d);
}

vbp_status vbp_need_region_code(const char *field, const char *code) {
  if (!code || !*code) return vbp_invalid(field, "is required");
  if (vbp_region_level_of(code) == 0)
    return vbp_invalid(field, "must be a six-digit GB/T 2260 region code, got \"%s\"", code);
  return vbp_status_ok();
}

vbp_status vbp_need_date(const char *field, const char *text, vbp_date *out) {
  if (!text || !*text) return vbp_invalid(field, "is required");
  if (!vbp_date_parse(text, out))
    return vbp_invalid(field, "must be a real date as YYYY-MM-DD, got \"%s\"", text);
  return vbp_status_ok();
}

vbp_status vbp_opt_date(const char *field, const char *text, vbp_date *out, bool *present) {
  *present = text && *text;
  return *present ? vbp_need_date(field, text, out) : vbp_status_ok();
}

vbp_status vbp_need_price(const char *field, const char *text, vbp_money *out) {
  if (!text || !*text) return vbp_invalid(field, "is required");
  vbp_money price;
  if (!vbp_money_parse(text, &price))
    return vbp_invalid(field, "must be yuan with at most four decimals, got \"%s\"", text);
  if (price <= 0) return vbp_invalid(field, "must be more than zero");
  *out = price;
  return vbp_status_ok();
}

vbp_status vbp_need_amount(const char *field, const char *text, vbp_money *out) {
  if (!text || !*text) return vbp_invalid(field, "is required");
  vbp_money amount;
  if (!vbp_money_parse(text, &amount))
    return vbp_invalid(field, "must be yuan with at most four decimals, got \"%s\"", text);
  if (amount < 0) return vbp_invalid(field, "must not be negative");
  *out = amount;
  return vbp_status_ok();
}

vbp_status vbp_need_sha256_hex(const char *field, const char *text, char out[65]) {
  if (!text || !*text) return vbp_invalid(field, "is required");
  size_t n = strlen(text);
  if (n != 64 || strspn(text, "0123456789abcdefABCDEF") != 64)
    return vbp_invalid(field, "must be a SHA-256 as 64 hex digits (%zu characters given)", n);
  for (size_t i = 0; i <= 64; i++)
    out[i] = (char)(text[i] >= 'A' && text[i] <= 'F' ? text[i] - 'A' + 'a' : text[i]);
  return vbp_status_ok();
}
