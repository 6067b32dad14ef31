/* JSON to protobuf (gw_json_merge) and one path or query text to a field (gw_message_set_text):
 * jansson parses, then a walk of the json_t tree against the protobuf-c descriptors fills the
 * message in the caller's arena. A path/query text goes through the same walk as a JSON value
 * would. Everything here is pure and reentrant: no globals but constant tables. */
#include "gateway/json.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/utf8.h"
#include "gateway/json_internal.h"

/* Containers (objects and arrays) the input may nest, the top-level object included. */
#define MAX_DEPTH 32
/* Longer paths are cut; vbp_status keeps fewer bytes than this anyway. */
#define PATH_CAP 256

/* ---- Text checks -------------------------------------------------------------------------- */

static bool utf8_valid(const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  for (size_t i = 0; i < n;) {
    int k = vbp_utf8_char_length(s + i, n - i);
    if (k <= 0) return false;
    i += (size_t)k;
  }
  return true;
}

/* vbp_status cuts its strings at a byte count, which can split a UTF-8 sequence; the error body
 * is JSON, so drop a partial sequence at the end. */
static void trim_partial_utf8(char *text) {
  size_t n = strlen(text), start = n;
  while (start > 0 && n - start < 4 && ((unsigned char)text[start - 1] & 0xC0) == 0x80) start--;
  if (start > 0 && (unsigned char)text[start - 1] >= 0xC0)
    start--;
  else
    return;
  if (vbp_utf8_char_length((const unsigned char *)text + start, n - start) != (int)(n - start))
    text[start] = '\0';
}

static vbp_status tidy(vbp_status s) {
  trim_partial_utf8(s.field);
  trim_partial_utf8(s.reason);
  trim_partial_utf8(s.message);
  return s;
}

/* ---- Base64 ------------------------------------------------------------------------------- */

static int base64_digit(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

/* Standard or URL-safe alphabet, padded or not (padding, when present, must be complete). */
static bool base64_decode(const char *text, size_t len, vbp_arena *arena,
                          ProtobufCBinaryData *out) {
  size_t n = len;
  if (n > 0 && text[n - 1] == '=') {
    if (len % 4 != 0) return false;
    n--;
    if (n > 0 && text[n - 1] == '=') n--;
  }
  if (n % 4 == 1) return false;
  size_t size = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  uint8_t *data = size ? vbp_arena_alloc(arena, size) : NULL;
  size_t o = 0;
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = 0; i < n; i++) {
    int d = base64_digit((unsigned char)text[i]);
    if (d < 0) return false;
    bits = bits << 6 | (uint32_t)d;
    if (++count == 4) {
      data[o++] = (uint8_t)(bits >> 16);
      data[o++] = (uint8_t)(bits >> 8);
      data[o++] = (uint8_t)bits;
      bits = 0;
      count = 0;
    }
  }
  if (count == 2) {
    data[o++] = (uint8_t)(bits >> 4);
  } else if (count == 3) {
    data[o++] = (uint8_t)(bits >> 10);
    data[o++] = (uint8_t)(bits >> 2);
  }
  out->len = size;
  out->data = data;
  return true;
}

/* ---- Reading: the walk of a json_t (or a text) against a descriptor ----------------------- */

typedef struct reader {
  vbp_arena *arena;
  int depth;
  size_t path_len;
  char path[PATH_CAP]; /* the JSON path of the value being read */
} reader;

/* Appends ".name" (or "name" at the top) to the path; returns the mark to restore. */
static size_t path_push_name(reader *r, const char *name) {
  size_t mark = r->path_len;
  int n = snprintf(r->path + mark, PATH_CAP - mark, "%s%s", mark ? "." : "", name);
  r->path_len = n < 0 || mark + (size_t)n >= PATH_CAP ? PATH_CAP - 1 : mark + (size_t)n;
  return mark;
}

static size_t path_push_index(reader *r, size_t index) {
  size_t mark = r->path_len;
  int n = snprintf(r->path + mark, PATH_CAP - mark, "[%zu]", index);
  r->path_len = n < 0 || mark + (size_t)n >= PATH_CAP ? PATH_CAP - 1 : mark + (size_t)n;
  return mark;
}

static void path_pop(reader *r, size_t mark) {
  r->path_len = mark;
  r->path[mark] = '\0';
}

/* INVALID_ARGUMENT at the current path. The path is cut to what vbp_status holds on a
 * character boundary (an unknown key may be any UTF-8), since the message repeats it. */
static vbp_status invalid_at(const reader *r, const char *reason_fmt, ...)
    __attribute__((format(printf, 2, 3)));

static vbp_status invalid_at(const reader *r, const char *reason_fmt, ...) {
  char field[VBP_STATUS_FIELD_MAX];
  size_t n = r->path_len < sizeof field - 1 ? r->path_len : sizeof field - 1;
  memcpy(field, r->path, n);
  field[n] = '\0';
  trim_partial_utf8(field);
  char reason[VBP_STATUS_REASON_MAX];
  va_list ap;
  va_start(ap, reason_fmt);
  vsnprintf(reason, sizeof reason, reason_fmt, ap);
  va_end(ap);
  return tidy(vbp_invalid(field, "%s", reason));
}

#define INVALID(r, ...) invalid_at((r), __VA_ARGS__)

static const char *type_name(ProtobufCType type) {
  switch (type) {
    case PROTOBUF_C_TYPE_INT32:
      return "int32";
    case PROTOBUF_C_TYPE_SINT32:
      return "sint32";
    case PROTOBUF_C_TYPE_SFIXED32:
      return "sfixed32";
    case PROTOBUF_C_TYPE_INT64:
      return "int64";
    case PROTOBUF_C_TYPE_SINT64:
      return "sint64";
    case PROTOBUF_C_TYPE_SFIXED64:
      return "sfixed64";
    case PROTOBUF_C_TYPE_UINT32:
      return "uint32";
    case PROTOBUF_C_TYPE_FIXED32:
      return "fixed32";
    case PROTOBUF_C_TYPE_UINT64:
      return "uint64";
    case PROTOBUF_C_TYPE_FIXED64:
      return "fixed64";
    case PROTOBUF_C_TYPE_FLOAT:
      return "float";
    case PROTOBUF_C_TYPE_DOUBLE:
      return "double";
    case PROTOBUF_C_TYPE_BOOL:
      return "bool";
    case PROTOBUF_C_TYPE_ENUM:
      return "enum";
    case PROTOBUF_C_TYPE_STRING:
      return "string";
    case PROTOBUF_C_TYPE_BYTES:
      return "bytes";
    case PROTOBUF_C_TYPE_MESSAGE:
      return "message";
  }
  return "value";
}

/* A decimal integer: optional '-', then digits only. 0 ok, 1 not an integer, 2 too large. */
static int parse_decimal(const char *text, bool *negative, uint64_t *magnitude) {
  const char *p = text;
  *negative = *p == '-';
  if (*negative) p++;
  if (*p == '\0') return 1;
  uint64_t m = 0;
  bool overflow = false;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return 1;
    unsigned digit = (unsigned)(*p - '0');
    if (m > (UINT64_MAX - digit) / 10)
      overflow = true;
    else
      m = m * 10 + digit;
  }
  if (overflow) return 2;
  *magnitude = m;
  return 0;
}

/* Stores the integer -magnitude or +magnitude into an integer field after a range check. */
static vbp_status store_integer(reader *r, const ProtobufCFieldDescriptor *field, bool negative,
                                uint64_t magnitude, void *dst) {
  if (magnitude == 0) negative = false;
  uint64_t max;
  bool is_signed = true;
  switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
      max = INT32_MAX;
      break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
      max = INT64_MAX;
      break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
      max = UINT32_MAX;
      is_signed = false;
      break;
    default:
      max = UINT64_MAX;
      is_signed = false;
      break;
  }
  /* A signed type reaches one further below zero than above it. */
  if (negative ? !is_signed || magnitude > max + 1 : magnitude > max)
    return INVALID(r, "is out of range for %s", type_name(field->type));
  switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
      *(int32_t *)dst = negative ? (int32_t)(-(int64_t)magnitude) : (int32_t)magnitude;
      break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
      *(int64_t *)dst =
          negative ? (magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude)
                   : (int64_t)magnitude;
      break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
      *(uint32_t *)dst = (uint32_t)magnitude;
      break;
    default:
      *(uint64_t *)dst = magnitude;
      break;
  }
  return vbp_status_ok();
}

static vbp_status integer_from_text(reader *r, const ProtobufCFieldDescriptor *field,
                                    const char *text, void *dst) {
  bool negative;
  uint64_t magnitude;
  switch (parse_decimal(text, &negative, &magnitude)) {
    case 0:
      return store_integer(r, field, negative, magnitude, dst);
    case 2:
      return INVALID(r, "is out of range for %s", type_name(field->type));
    default:
      return INVALID(r, "must be an integer");
  }
}

static vbp_status integer_from_json(reader *r, const ProtobufCFieldDescriptor *field,
                                    const json_t *value, void *dst) {
  if (json_is_integer(value)) {
    json_int_t v = json_integer_value(value);
    uint64_t magnitude = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    return store_integer(r, field, v < 0, magnitude, dst);
  }
  if (json_is_real(value)) {
    /* 1.0 and 1e3 are integers written as reals; 1.5 is not. */
    double d = json_real_value(value);
    if (!isfinite(d) || d != floor(d)) return INVALID(r, "must be an integer");
    if (fabs(d) >= 18446744073709551616.0)
      return INVALID(r, "is out of range for %s", type_name(field->type));
    return store_integer(r, field, d < 0, (uint64_t)fabs(d), dst);
  }
  if (json_is_string(value)) return integer_from_text(r, field, json_string_value(value), dst);
  return INVALID(r, "must be an integer");
}

/* A JSON-number-shaped text, "NaN", "Infinity" or "-Infinity". 0 ok, 1 malformed, 2 too large. */
static int parse_floating(const char *text, double *out) {
  if (strcmp(text, "NaN") == 0) {
    *out = NAN;
    return 0;
  }
  if (strcmp(text, "Infinity") == 0 || strcmp(text, "-Infinity") == 0) {
    *out = text[0] == '-' ? -INFINITY : INFINITY;
    return 0;
  }
  /* strtod alone would take hex, "inf", leading blanks and the locale's decimal point. */
  const char *p = text;
  if (*p == '-') p++;
  if (*p < '0' || *p > '9') return 1;
  while (*p >= '0' && *p <= '9') p++;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return 1;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (*p < '0' || *p > '9') return 1;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (*p != '\0') return 1;
  errno = 0;
  double d = strtod(text, NULL);
  if (errno == ERANGE && isinf(d)) return 2;
  *out = d;
  return 0;
}

static vbp_status store_floating(reader *r, const ProtobufCFieldDescriptor *field, double d,
                                 void *dst) {
  if (field->type == PROTOBUF_C_TYPE_DOUBLE) {
    *(double *)dst = d;
    return vbp_status_ok();
  }
  /* A double beyond FLT_MAX still reads as FLT_MAX when it rounds to it (below FLT_MAX plus
   * half an ulp, 2^128 - 2^103), as the shortest text of FLT_MAX, "3.4028235e+38", does. Past
   * that it is out of range; converting such a double to float is undefined behaviour in C. */
  if (isfinite(d) && fabs(d) > FLT_MAX) {
    if (fabs(d) >= 0x1p128 - 0x1p103) return INVALID(r, "is out of range for float");
    *(float *)dst = d > 0 ? FLT_MAX : -FLT_MAX;
    return vbp_status_ok();
  }
  *(float *)dst = (float)d;
  return vbp_status_ok();
}

static vbp_status floating_from_text(reader *r, const ProtobufCFieldDescriptor *field,
                                     const char *text, void *dst) {
  double d = 0;
  switch (parse_floating(text, &d)) {
    case 0:
      return store_floating(r, field, d, dst);
    case 2:
      return INVALID(r, "is out of range for %s", type_name(field->type));
    default:
      return INVALID(r, "must be a number");
  }
}

static vbp_status enum_from_name(reader *r, const ProtobufCFieldDescriptor *field, const char *name,
                                 void *dst) {
  const ProtobufCEnumDescriptor *desc = field->descriptor;
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(desc, name);
  if (!v) return INVALID(r, "is not a value of %s", desc->name);
  *(int *)dst = v->value;
  return vbp_status_ok();
}

static vbp_status enum_from_number(reader *r, const ProtobufCFieldDescriptor *field,
                                   long long number, void *dst) {
  const ProtobufCEnumDescriptor *desc = field->descriptor;
  const ProtobufCEnumValue *v = number >= INT32_MIN && number <= INT32_MAX
                                    ? protobuf_c_enum_descriptor_get_value(desc, (int)number)
                                    : NULL;
  if (!v) return INVALID(r, "is not a value of %s", desc->name);
  *(int *)dst = v->value;
  return vbp_status_ok();
}

/* Where one value comes from: a JSON value of the body (gw_json_merge), or the text of a path
 * variable or a query parameter (gw_message_set_text), which spells every type as a string.
 * Exactly one of the two is set. */
typedef struct source {
  const json_t *json;
  const char *text;
} source;

/* The string src gives, its length in *len: the text, or a JSON string's value; NULL for any
 * other JSON value. */
static const char *source_string(const source *src, size_t *len) {
  if (src->text) {
    *len = strlen(src->text);
    return src->text;
  }
  if (!json_is_string(src->json)) return NULL;
  *len = json_string_length(src->json);
  return json_string_value(src->json);
}

/* A text's enum: a decimal number when it is one, else a value name. */
static vbp_status enum_from_text(reader *r, const ProtobufCFieldDescriptor *field, const char *text,
                                 void *dst) {
  bool negative;
  uint64_t magnitude;
  if (parse_decimal(text, &negative, &magnitude) == 0 && magnitude <= INT32_MAX)
    return enum_from_number(r, field, negative ? -(long long)magnitude : (long long)magnitude, dst);
  return enum_from_name(r, field, text, dst);
}

static vbp_status merge_object(reader *r, ProtobufCMessage *msg, const json_t *object);

/* One value (a singular field's, or one element of a repeated field) from src into dst, the
 * storage of that value. A message value merges into *dst when it is already set. JSON and a
 * text agree on every type but booleans, enums and messages: a text spells a boolean
 * "true"/"false" and an enum's number in decimal, and cannot be a message (a wrapper's plain
 * value aside). */
static vbp_status read_value(reader *r, const ProtobufCFieldDescriptor *field, const source *src,
                             void *dst) {
  const json_t *json = src->json;
  const char *text;
  size_t len;
  switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      return json ? integer_from_json(r, field, json, dst)
                  : integer_from_text(r, field, src->text, dst);
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
      if (json && json_is_number(json))
        return store_floating(r, field, json_number_value(json), dst);
      if (!(text = source_string(src, &len))) return INVALID(r, "must be a number");
      return floating_from_text(r, field, text, dst);
    case PROTOBUF_C_TYPE_BOOL:
      if (json ? !json_is_boolean(json)
               : strcmp(src->text, "true") != 0 && strcmp(src->text, "false") != 0)
        return INVALID(r, "must be true or false");
      *(protobuf_c_boolean *)dst = json ? json_is_true(json) : src->text[0] == 't';
      return vbp_status_ok();
    case PROTOBUF_C_TYPE_ENUM:
      if (!json) return enum_from_text(r, field, src->text, dst);
      if (json_is_string(json)) return enum_from_name(r, field, json_string_value(json), dst);
      if (json_is_integer(json)) return enum_from_number(r, field, json_integer_value(json), dst);
      return INVALID(r, "must be a value name of %s",
                     ((const ProtobufCEnumDescriptor *)field->descriptor)->name);
    case PROTOBUF_C_TYPE_STRING:
      if (!(text = source_string(src, &len))) return INVALID(r, "must be a string");
      /* jansson has checked a JSON string's UTF-8 and refused \u0000 (no JSON_ALLOW_NUL). */
      if (!json && !utf8_valid(text, len)) return INVALID(r, "must be valid UTF-8");
      *(char **)dst = vbp_arena_strndup(r->arena, text, len);
      return vbp_status_ok();
    case PROTOBUF_C_TYPE_BYTES:
      if (!(text = source_string(src, &len))) return INVALID(r, "must be a base64 string");
      if (!base64_decode(text, len, r->arena, dst)) return INVALID(r, "is not valid base64");
      return vbp_status_ok();
    case PROTOBUF_C_TYPE_MESSAGE: {
      const ProtobufCMessageDescriptor *desc = field->descriptor;
      ProtobufCMessage **slot = dst;
      if (gw_json_is_wrapper(desc)) {
        const ProtobufCFieldDescriptor *inner = &desc->fields[0];
        ProtobufCMessage *wrapper = *slot ? *slot : gw_message_new(desc, r->arena);
        vbp_status s = read_value(r, inner, src, (char *)wrapper + inner->offset);
        if (vbp_ok(&s)) *slot = wrapper;
        return s;
      }
      if (!json) return INVALID(r, "is a message, not a single value");
      if (!json_is_object(json)) return INVALID(r, "must be an object");
      if (!*slot) *slot = gw_message_new(desc, r->arena);
      return merge_object(r, *slot, json);
    }
  }
  return INVALID(r, "has a type the gateway cannot read");
}

static bool enter(reader *r) { return ++r->depth <= MAX_DEPTH; }
static void leave(reader *r) { r->depth--; }

/* Appends to a repeated field the elements of a JSON array, or a text as one more element
 * (errors then name the field, not an index). The field changes only once every element is
 * read, so a failure leaves it as it was. */
static vbp_status merge_repeated(reader *r, ProtobufCMessage *msg,
                                 const ProtobufCFieldDescriptor *field, const source *src) {
  const json_t *array = src->json;
  if (array && !json_is_array(array)) return INVALID(r, "must be an array");
  size_t added = array ? json_array_size(array) : 1;
  if (added == 0) return vbp_status_ok();
  if (!enter(r)) {
    leave(r);
    return INVALID(r, "is nested deeper than %d levels", MAX_DEPTH);
  }
  size_t *count = (size_t *)((char *)msg + field->quantifier_offset);
  void **items = (void **)((char *)msg + field->offset);
  size_t size = gw_json__value_size(field);
  char *grown = vbp_arena_alloc(r->arena, (*count + added) * size);
  if (*count) memcpy(grown, *items, *count * size);
  for (size_t i = 0; i < added; i++) {
    source element = {.text = src->text};
    size_t mark = r->path_len;
    if (array) {
      element.json = json_array_get(array, i);
      mark = path_push_index(r, i);
    }
    vbp_status s = element.json && json_is_null(element.json)
                       ? INVALID(r, "must not be null")
                       : read_value(r, field, &element, grown + (*count + i) * size);
    if (!vbp_ok(&s)) {
      leave(r);
      return s;
    }
    path_pop(r, mark);
  }
  leave(r);
  *items = grown;
  *count += added;
  return vbp_status_ok();
}

/* A singular field (plain, optional, or a oneof member): reads into a copy of its storage and
 * writes back on success, so a failure never leaves a oneof's union half-written. */
static vbp_status merge_singular(reader *r, ProtobufCMessage *msg,
                                 const ProtobufCFieldDescriptor *field, const source *src) {
  char *base = (char *)msg;
  union {
    int64_t i;
    double d;
    void *p;
    ProtobufCBinaryData b;
  } scratch;
  size_t size = gw_json__value_size(field);
  uint32_t *oneof_case = NULL;
  if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
    oneof_case = (uint32_t *)(base + field->quantifier_offset);
  memset(&scratch, 0, sizeof scratch);
  /* A oneof's storage is shared: only the member that is set holds a value to merge into. */
  if (!oneof_case || *oneof_case == field->id) memcpy(&scratch, base + field->offset, size);
  vbp_status s = read_value(r, field, src, &scratch);
  if (!vbp_ok(&s)) return s;
  memcpy(base + field->offset, &scratch, size);
  if (oneof_case)
    *oneof_case = field->id;
  else if (gw_json__has_presence_flag(field))
    *(protobuf_c_boolean *)(base + field->quantifier_offset) = 1;
  return s;
}

/* One field of msg from src: a repeated field appends, a singular one is replaced or merged. */
static vbp_status merge_field(reader *r, ProtobufCMessage *msg,
                              const ProtobufCFieldDescriptor *field, const source *src) {
  return field->label == PROTOBUF_C_LABEL_REPEATED ? merge_repeated(r, msg, field, src)
                                                   : merge_singular(r, msg, field, src);
}

enum { UNSEEN = 0, SEEN_NULL, SEEN_SET };

static vbp_status merge_object(reader *r, ProtobufCMessage *msg, const json_t *object) {
  const ProtobufCMessageDescriptor *desc = msg->descriptor;
  if (!enter(r)) {
    leave(r);
    return INVALID(r, "is nested deeper than %d levels", MAX_DEPTH);
  }
  /* What this object gave for each field: one field may come under its JSON and its proto
   * name, and a oneof takes one member. */
  unsigned char *seen = vbp_arena_alloc(r->arena, desc->n_fields ? desc->n_fields : 1);
  vbp_status s = vbp_status_ok();
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)object, key, value) {
    const ProtobufCFieldDescriptor *field = gw_json__find_field(desc, key);
    if (!field) {
      path_push_name(r, key);
      s = INVALID(r, "is not a field of %s", desc->name);
      goto done;
    }
    char name[GW_JSON_NAME_CAP];
    gw_json_name(field->name, name, sizeof name);
    size_t mark = path_push_name(r, name);
    size_t index = (size_t)(field - desc->fields);
    if (seen[index] != UNSEEN) {
      s = INVALID(r, "is given more than once");
      goto done;
    }
    seen[index] = json_is_null(value) ? SEEN_NULL : SEEN_SET;
    if (seen[index] == SEEN_NULL) { /* null: as if the field were not there */
      path_pop(r, mark);
      continue;
    }
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      for (unsigned j = 0; j < desc->n_fields; j++) {
        const ProtobufCFieldDescriptor *other = &desc->fields[j];
        if (j != index && seen[j] == SEEN_SET && (other->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            other->quantifier_offset == field->quantifier_offset) {
          char other_name[GW_JSON_NAME_CAP];
          gw_json_name(other->name, other_name, sizeof other_name);
          s = INVALID(r, "is in the same oneof as %s, which is also set", other_name);
          goto done;
        }
      }
    }
    source src = {.json = value};
    s = merge_field(r, msg, field, &src);
    if (!vbp_ok(&s)) goto done;
    path_pop(r, mark);
  }
done:
  leave(r);
  return s;
}

/* A reason quoting input bytes (jansson's "near '...'") goes into a JSON error body: keep it
 * printable and valid UTF-8. */
static void sanitize_text(char *text) {
  unsigned char *s = (unsigned char *)text;
  size_t n = strlen(text);
  for (size_t i = 0; i < n;) {
    int k = vbp_utf8_char_length(s + i, n - i);
    if (k <= 0) {
      s[i++] = '?';
    } else {
      if (k == 1 && (s[i] < 0x20 || s[i] == 0x7F)) s[i] = ' ';
      i += (size_t)k;
    }
  }
}

vbp_status gw_json_merge(ProtobufCMessage *msg, const char *text, size_t len, vbp_arena *arena) {
  json_error_t error;
  /* DECODE_ANY so that a body like "12" earns "must be a JSON object", not a parse error. */
  json_t *root = json_loadb(text ? text : "", text ? len : 0,
                            JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
  vbp_status s;
  if (!root) {
    sanitize_text(error.text);
    s = vbp_invalid("", "is not valid JSON at line %d column %d: %s", error.line, error.column,
                    error.text);
    snprintf(s.message, sizeof s.message, "the body %s", s.reason);
    return tidy(s);
  }
  if (!json_is_object(root)) {
    s = vbp_invalid("", "must be a JSON object");
    snprintf(s.message, sizeof s.message, "the body %s", s.reason);
  } else {
    reader r = {.arena = arena};
    s = merge_object(&r, msg, root);
  }
  json_decref(root);
  return s;
}

/* ---- set_text: one value from a path variable or a query parameter ---------------------- */

vbp_status gw_message_set_text(ProtobufCMessage *msg, const char *path, const char *text,
                               vbp_arena *arena) {
  reader r = {.arena = arena};
  const char *segment = path;
  for (;;) {
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    const char *dot = strchr(segment, '.');
    size_t segment_len = dot ? (size_t)(dot - segment) : strlen(segment);
    char key[GW_JSON_NAME_CAP];
    int key_len = (int)(segment_len < sizeof key ? segment_len : sizeof key - 1);
    snprintf(key, sizeof key, "%.*s", key_len, segment);
    const ProtobufCFieldDescriptor *field =
        segment_len < sizeof key ? gw_json__find_field(desc, key) : NULL;
    if (!field) {
      path_push_name(&r, key);
      return INVALID(&r, "is not a field of %s", desc->name);
    }
    char name[GW_JSON_NAME_CAP];
    gw_json_name(field->name, name, sizeof name);
    path_push_name(&r, name);
    if (!dot) {
      source src = {.text = text};
      return merge_field(&r, msg, field, &src);
    }
    if (field->type != PROTOBUF_C_TYPE_MESSAGE || field->label == PROTOBUF_C_LABEL_REPEATED ||
        gw_json_is_wrapper(field->descriptor))
      return INVALID(&r, "is not a message field, so it has no fields");
    char *base = (char *)msg;
    uint32_t *oneof_case = field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF
                               ? (uint32_t *)(base + field->quantifier_offset)
                               : NULL;
    ProtobufCMessage **slot = (ProtobufCMessage **)(base + field->offset);
    if ((oneof_case && *oneof_case != field->id) || !*slot) {
      *slot = gw_message_new(field->descriptor, arena);
      if (oneof_case) *oneof_case = field->id;
    }
    msg = *slot;
    segment = dot + 1;
  }
}
