/* The transcoder's descriptor side, which both directions share: the storage of a field's
 * values, presence flags, JSON names and the field a JSON key names, wrappers, new messages. (The
 * UTF-8 rule that reading checks texts by and writing escapes by is common/utf8.h's.) No jansson
 * here. */
#include "gateway/json.h"

#include <stdint.h>
#include <string.h>

#include "gateway/json_internal.h"

size_t gw_json__value_size(const ProtobufCFieldDescriptor *field) {
  switch (field->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
      return sizeof(int32_t);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
      return sizeof(uint32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
      return sizeof(int64_t);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_FLOAT:
      return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
      return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
      return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
      return sizeof(int); /* protobuf-c forces its enums to int size */
    case PROTOBUF_C_TYPE_STRING:
      return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
      return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
      return sizeof(ProtobufCMessage *);
  }
  return sizeof(uint64_t);
}

bool gw_json__has_presence_flag(const ProtobufCFieldDescriptor *field) {
  return field->label == PROTOBUF_C_LABEL_OPTIONAL &&
         !(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && field->type != PROTOBUF_C_TYPE_STRING &&
         field->type != PROTOBUF_C_TYPE_MESSAGE;
}

bool gw_json_is_wrapper(const ProtobufCMessageDescriptor *desc) {
  static const char *const names[] = {"DoubleValue", "FloatValue",  "Int64Value",
                                      "UInt64Value", "Int32Value",  "UInt32Value",
                                      "BoolValue",   "StringValue", "BytesValue"};
  if (desc->n_fields != 1 || strncmp(desc->name, "google.protobuf.", 16) != 0) return false;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(desc->name + 16, names[i]) == 0) return true;
  return false;
}

static char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

void gw_json_name(const char *proto_name, char *out, size_t cap) {
  if (cap == 0) return;
  size_t n = 0;
  bool upper = false;
  /* protoc's ToJsonName: drop each '_' and upper-case the character after it. */
  for (const char *p = proto_name; *p && n + 1 < cap; p++) {
    if (*p == '_') {
      upper = true;
      continue;
    }
    out[n++] = upper ? ascii_upper(*p) : *p;
    upper = false;
  }
  out[n] = '\0';
}

/* Whether key is the JSON name of proto_name, without building it. */
static bool json_name_is(const char *proto_name, const char *key) {
  bool upper = false;
  for (const char *p = proto_name; *p; p++) {
    if (*p == '_') {
      upper = true;
      continue;
    }
    if (*key++ != (upper ? ascii_upper(*p) : *p)) return false;
    upper = false;
  }
  return *key == '\0';
}

const ProtobufCFieldDescriptor *gw_json__find_field(const ProtobufCMessageDescriptor *desc,
                                                    const char *key) {
  for (unsigned i = 0; i < desc->n_fields; i++)
    if (json_name_is(desc->fields[i].name, key)) return &desc->fields[i];
  return protobuf_c_message_descriptor_get_field_by_name(desc, key);
}

ProtobufCMessage *gw_message_new(const ProtobufCMessageDescriptor *desc, vbp_arena *arena) {
  ProtobufCMessage *msg = vbp_arena_alloc(arena, desc->sizeof_message);
  protobuf_c_message_init(desc, msg);
  return msg;
}
