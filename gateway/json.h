/* The generic transcoder between JSON and protobuf-c messages: the proto3 JSON mapping by
 * walking ProtobufCMessageDescriptor, with API.md's conventions. No per-method code.
 *
 * Names: a field's JSON name is the lowerCamelCase of its proto name (member_region_codes ->
 * memberRegionCodes); input also accepts the proto name. Enums are their value names (input also
 * accepts the number); 64-bit integers are written as strings and accepted as strings or numbers;
 * bytes are base64; google.protobuf wrappers (BoolValue, Int32Value, StringValue, ...) are their
 * plain value; google.protobuf.Empty is {}. Output: every number and boolean is written, zeros
 * included; empty strings, empty lists, absent messages and enum values 0 (..._UNSPECIFIED) are
 * left out. Errors name the field by its JSON path ("memberRegionCodes[2]", "alignRenewal"). */
#ifndef GW_JSON_H
#define GW_JSON_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/arena.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new, initialised message of type desc, allocated in arena. */
ProtobufCMessage *gw_message_new(const ProtobufCMessageDescriptor *desc, vbp_arena *arena);

/* Merges the JSON object in text[0..len) into msg (allocating in arena). INVALID_ARGUMENT:
 * malformed JSON (field "", reason naming line and column), not an object, an unknown field
 * (field = its path, reason "is not a field of <Message>"), a wrong type ("must be a string"),
 * an unknown enum name, a number out of range, invalid base64, JSON null for a repeated element.
 * A JSON null value leaves a field absent. Nesting deeper than 32 levels is refused. */
vbp_status gw_json_merge(ProtobufCMessage *msg, const char *text, size_t len, vbp_arena *arena);

/* Sets the field at path (JSON or proto names, dot-separated for nested messages: "a.b") from
 * text, as a path variable or a query parameter gives it: strings as they are, numbers and
 * booleans ("true"/"false") parsed, enums by name or number; a repeated field gets the value
 * appended. INVALID_ARGUMENT naming the field (json_path_for_errors, or the path) when the text
 * does not fit the type or the path names no scalar field. */
vbp_status gw_message_set_text(ProtobufCMessage *msg, const char *path, const char *text,
                               vbp_arena *arena);

/* Writes msg as JSON (compact, UTF-8), per the mapping above. The caller frees *out.
 * Never fails for a valid message. */
char *gw_message_to_json(const ProtobufCMessage *msg, size_t *len);

/* The lowerCamelCase JSON name of a proto field name into out (cap bytes). */
void gw_json_name(const char *proto_name, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
