/* Protobuf to JSON (gw_message_to_json): a walk of the message against its descriptor into a
 * growing buffer of our own (not jansson), so the output's format is ours and cheap. Pure and
 * reentrant: no globals but constant tables. */
#include "gateway/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "gateway/json_internal.h"

typedef struct writer {
  char *data;
  size_t len, cap;
} writer;

static void reserve(writer *w, size_t more) {
  if (w->cap - w->len > more) return; /* keeps room for the final NUL */
  size_t cap = w->cap ? w->cap : 256;
  while (cap - w->len <= more) cap *= 2;
  char *grown = realloc(w->data, cap);
  if (!grown) {
    fputs("{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n", stderr);
    abort();
  }
  w->data = grown;
  w->cap = cap;
}

static void put(writer *w, const char *bytes, size_t n) {
  reserve(w, n);
  memcpy(w->data + w->len, bytes, n);
  w->len += n;
}

static void put_text(writer *w, const char *text) { put(w, text, strlen(text)); }

static void put_char(writer *w, char c) {
  reserve(w, 1);
  w->data[w->len++] = c;
}

/* A JSON string (RFC 8259): '"', '\\' and control characters escaped, UTF-8 kept as it is.
 * Bytes that are not UTF-8 (a message can hold any) become U+FFFD, so the output stays JSON. */
static void put_string(writer *w, const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  reserve(w, n + 2);
  put_char(w, '"');
  size_t run = 0; /* bytes at s[run..i) that need no escaping */
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      i++;
      continue;
    }
    int k = c < 0x80 ? 1 : vbp_utf8_char_length(s + i, n - i);
    if (k > 1) {
      i += (size_t)k;
      continue;
    }
    put(w, text + run, i - run);
    if (k <= 0) {
      put_text(w, "\xEF\xBF\xBD");
    } else if (c == '"' || c == '\\') {
      char escaped[2] = {'\\', (char)c};
      put(w, escaped, 2);
    } else {
      char escaped[7] = {'\\', 'u', '0', '0'}; /* \u00XX, then the encoder's NUL, not put */
      vbp_hex_encode(&c, 1, escaped + 4);
      put(w, escaped, 6);
    }
    run = ++i;
  }
  put(w, text + run, n - run);
  put_char(w, '"');
}

static const char BASE64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(writer *w, const uint8_t *data, size_t n) {
  reserve(w, (n + 2) / 3 * 4 + 2);
  put_char(w, '"');
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t bits = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
    char quad[4] = {BASE64[bits >> 18], BASE64[bits >> 12 & 63], BASE64[bits >> 6 & 63],
                    BASE64[bits & 63]};
    put(w, quad, 4);
  }
  if (n - i == 1) {
    uint32_t bits = (uint32_t)data[i] << 16;
    char quad[4] = {BASE64[bits >> 18], BASE64[bits >> 12 & 63], '=', '='};
    put(w, quad, 4);
  } else if (n - i == 2) {
    uint32_t bits = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
    char quad[4] = {BASE64[bits >> 18], BASE64[bits >> 12 & 63], BASE64[bits >> 6 & 63], '='};
    put(w, quad, 4);
  }
  put_char(w, '"');
}

/* The first of %.15g, %.16g, %.17g (floats: %.6g ... %.9g) that reads back as the same value,
 * so 0.1 stays "0.1"; NaN and the infinities as the strings proto3 JSON uses. -0 is written
 * "-0.0": jansson reads "-0" as the integer 0, which would lose the sign. snprintf and strtod
 * follow LC_NUMERIC, which the gateway leaves at "C". */
static void put_floating(writer *w, double d, bool single) {
  char buf[40];
  if (isnan(d)) {
    snprintf(buf, sizeof buf, "\"NaN\"");
  } else if (isinf(d)) {
    snprintf(buf, sizeof buf, "%s", d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (d == 0) {
    snprintf(buf, sizeof buf, "%s", signbit(d) ? "-0.0" : "0");
  } else {
    for (int precision = single ? 6 : 15; precision <= (single ? 9 : 17); precision++) {
      snprintf(buf, sizeof buf, "%.*g", precision, d);
      if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d) break;
    }
  }
  put_text(w, buf);
}

static void put_message(writer *w, const ProtobufCMessage *msg);

static void put_value(writer *w, const ProtobufCFieldDescriptor *field, const void *value) {
  char buf[32];
  switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
      snprintf(buf, sizeof buf, "%" PRId32, *(const int32_t *)value);
      put_text(w, buf);
      return;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
      snprintf(buf, sizeof buf, "%" PRIu32, *(const uint32_t *)value);
      put_text(w, buf);
      return;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
      snprintf(buf, sizeof buf, "\"%" PRId64 "\"", *(const int64_t *)value);
      put_text(w, buf);
      return;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      snprintf(buf, sizeof buf, "\"%" PRIu64 "\"", *(const uint64_t *)value);
      put_text(w, buf);
      return;
    case PROTOBUF_C_TYPE_FLOAT:
      put_floating(w, *(const float *)value, true);
      return;
    case PROTOBUF_C_TYPE_DOUBLE:
      put_floating(w, *(const double *)value, false);
      return;
    case PROTOBUF_C_TYPE_BOOL:
      put_text(w, *(const protobuf_c_boolean *)value ? "true" : "false");
      return;
    case PROTOBUF_C_TYPE_ENUM: {
      int number = *(const int *)value;
      const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(field->descriptor, number);
      if (v) {
        put_string(w, v->name, strlen(v->name));
        return;
      }
      snprintf(buf, sizeof buf, "%d", number); /* a value this build does not know */
      put_text(w, buf);
      return;
    }
    case PROTOBUF_C_TYPE_STRING: {
      const char *text = *(char *const *)value;
      put_string(w, text ? text : "", text ? strlen(text) : 0);
      return;
    }
    case PROTOBUF_C_TYPE_BYTES: {
      const ProtobufCBinaryData *bytes = value;
      put_base64(w, bytes->data, bytes->data ? bytes->len : 0);
      return;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
      const ProtobufCMessageDescriptor *desc = field->descriptor;
      const ProtobufCMessage *sub = *(ProtobufCMessage *const *)value;
      if (gw_json_is_wrapper(desc)) {
        const ProtobufCFieldDescriptor *inner = &desc->fields[0];
        if (sub) {
          put_value(w, inner, (const char *)sub + inner->offset);
          return;
        }
        /* Only a NULL element of a repeated wrapper gets here: write the zero value. */
        uint64_t zero[2] = {0, 0};
        put_value(w, inner, zero);
        return;
      }
      if (sub)
        put_message(w, sub);
      else
        put_text(w, "{}");
      return;
    }
  }
  put_text(w, "null");
}

/* Whether a singular field that is not in a oneof is written (API.md: every number and
 * boolean; no empty string, empty bytes, enum 0 or absent message). */
static bool is_written(const ProtobufCFieldDescriptor *field, const char *base) {
  const void *value = base + field->offset;
  if (gw_json__has_presence_flag(field))
    return *(const protobuf_c_boolean *)(base + field->quantifier_offset);
  switch (field->type) {
    case PROTOBUF_C_TYPE_STRING: {
      const char *text = *(char *const *)value;
      return text && text[0];
    }
    case PROTOBUF_C_TYPE_BYTES:
      return ((const ProtobufCBinaryData *)value)->len > 0;
    case PROTOBUF_C_TYPE_ENUM:
      return *(const int *)value != 0;
    case PROTOBUF_C_TYPE_MESSAGE:
      return *(ProtobufCMessage *const *)value != NULL;
    default:
      return true;
  }
}

static void put_message(writer *w, const ProtobufCMessage *msg) {
  const ProtobufCMessageDescriptor *desc = msg->descriptor;
  const char *base = (const char *)msg;
  bool first = true;
  put_char(w, '{');
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *field = &desc->fields[i];
    size_t count = 1;
    if (field->label == PROTOBUF_C_LABEL_REPEATED) {
      count = *(const size_t *)(base + field->quantifier_offset);
      if (count == 0) continue;
    } else if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      /* The member that is set is written even when zero: its presence is the information. */
      if (*(const uint32_t *)(base + field->quantifier_offset) != field->id) continue;
      if (field->type == PROTOBUF_C_TYPE_MESSAGE &&
          !*(ProtobufCMessage *const *)(base + field->offset))
        continue;
    } else if (!is_written(field, base)) {
      continue;
    }
    char name[GW_JSON_NAME_CAP];
    gw_json_name(field->name, name, sizeof name);
    if (!first) put_char(w, ',');
    first = false;
    put_char(w, '"');
    put_text(w, name);
    put(w, "\":", 2);
    if (field->label != PROTOBUF_C_LABEL_REPEATED) {
      put_value(w, field, base + field->offset);
      continue;
    }
    const char *items = *(char *const *)(base + field->offset);
    size_t size = gw_json__value_size(field);
    put_char(w, '[');
    for (size_t k = 0; k < count; k++) {
      if (k) put_char(w, ',');
      put_value(w, field, items + k * size);
    }
    put_char(w, ']');
  }
  put_char(w, '}');
}

char *gw_message_to_json(const ProtobufCMessage *msg, size_t *len) {
  writer w = {0};
  put_message(&w, msg);
  w.data[w.len] = '\0';
  if (len) *len = w.len;
  return w.data;
}
