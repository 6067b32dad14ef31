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

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/arena.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new, initialised message of type desc (proto3 defaults: zeros, "" strings, NULL
 * messages), allocated in arena and valid until the arena is reset or destroyed. Never NULL. */
ProtobufCMessage *gw_message_new(const ProtobufCMessageDescriptor *desc, vbp_arena *arena);

/* Merges the JSON object in text[0..len) (it need not be NUL-terminated) into msg, allocating
 * strings, bytes, arrays and sub-messages in arena: a field given replaces a singular value,
 * appends to a repeated field, merges into a nested message that is already set, and replaces
 * whichever oneof member was set. A JSON null leaves the field as if it were not given.
 * INVALID_ARGUMENT, with field the JSON path of the culprit ("items[1].bogus") and a reason:
 * malformed JSON, including trailing text, invalid UTF-8 and \u0000 (field "", reason "is not
 * valid JSON at line L column C: ..."); a body that is not an object (field "", "must be a JSON
 * object"); duplicate keys, also one field under both its JSON and proto name; an unknown field
 * ("is not a field of vbp.v1.Organization"); a wrong type ("must be a string"); an unknown enum
 * name or number ("is not a value of vbp.v1.OrganizationKind"); a number out of range, or a
 * fraction for an integer; invalid base64; null as an array element; two members of one oneof;
 * objects and arrays nested deeper than 32 levels (the top-level object is level 1).
 * Numbers: jansson holds JSON integers as long long, so a uint64 above INT64_MAX must come as a
 * string. On an error msg may hold the fields merged before the culprit: discard it.
 * Reentrant; msg and arena belong to the caller's call. */
vbp_status gw_json_merge(ProtobufCMessage *msg, const char *text, size_t len, vbp_arena *arena);

/* Sets the field at path (JSON or proto names, dot-separated through singular message fields:
 * "a.b", allocating the messages on the way) from text, as a path variable or a query parameter
 * gives it: strings as they are (valid UTF-8), numbers parsed (as in JSON strings: "12", "2.5",
 * "NaN"), booleans "true"/"false", enums by name or number, bytes as base64, a wrapper
 * (google.protobuf.BoolValue, ...) by its plain value; a repeated field gets the value appended.
 * INVALID_ARGUMENT naming the field by its JSON path when the text does not fit the type or the
 * path names no field, goes through a field that is not a singular message, or ends on a
 * message. text is copied into arena. */
vbp_status gw_message_set_text(ProtobufCMessage *msg, const char *path, const char *text,
                               vbp_arena *arena);

/* Writes msg as compact UTF-8 JSON per the mapping above: fields in descriptor order under
 * their JSON names; int64 and uint64 as strings; enums by name (a number this build does not
 * know as the number); bytes as standard base64 with padding; doubles in the fewest of 15 to 17
 * significant digits that read back exactly (floats: 6 to 9), NaN and infinities as "NaN",
 * "Infinity", "-Infinity"; a oneof as its set member, even at zero. Strings escape '"', '\\'
 * and control characters (\u00XX); bytes that are not UTF-8 become U+FFFD. Returns a
 * NUL-terminated heap string the caller frees with free(); its length goes to *len unless len
 * is NULL. Never fails (out of memory aborts); reentrant. */
char *gw_message_to_json(const ProtobufCMessage *msg, size_t *len);

/* The JSON name of a proto field name into out (cap bytes, always NUL-terminated when cap > 0,
 * cut to fit): protoc's rule, each '_' dropped and the character after it upper-cased
 * (member_region_codes -> memberRegionCodes, document_sha256 -> documentSha256). */
void gw_json_name(const char *proto_name, char *out, size_t cap);

/* Whether desc is a google.protobuf.*Value wrapper (one field "value"), which JSON writes and
 * reads as that plain value. */
bool gw_json_is_wrapper(const ProtobufCMessageDescriptor *desc);

#ifdef __cplusplus
}
#endif
#endif
