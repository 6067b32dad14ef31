/* What the transcoder's three files share, and nothing outside them may use: json_desc.c
 * defines these for json_parse.c (JSON and path/query texts to protobuf) and json_emit.c
 * (protobuf to JSON). The public API is gateway/json.h; the gw_json__ prefix marks a name as
 * private to these files, as libuv's uv__ does. Pure and reentrant, like the rest. */
#ifndef GW_JSON_INTERNAL_H
#define GW_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Proto identifiers are short; a longer one is cut in error paths only. */
#define GW_JSON_NAME_CAP 128

/* The bytes one value of field takes: a singular field's storage in its message, or one element
 * of a repeated field's array. */
size_t gw_json__value_size(const ProtobufCFieldDescriptor *field);

/* Whether protobuf-c keeps a has_ flag (at quantifier_offset) for field: optional fields other
 * than strings, messages and oneof members (a oneof's case says which member is set). */
bool gw_json__has_presence_flag(const ProtobufCFieldDescriptor *field);

/* The field of desc that key names, by JSON name first (as protobuf's own parser does), then by
 * proto name; NULL when it names none. The result points into desc. */
const ProtobufCFieldDescriptor *gw_json__find_field(const ProtobufCMessageDescriptor *desc,
                                                    const char *key);

#ifdef __cplusplus
}
#endif
#endif
