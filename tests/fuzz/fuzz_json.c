/* libFuzzer target for the gateway's JSON transcoder (gateway/json.c): any bytes as a request
 * body, into gwjson.Everything (every field type) and into the real vbp.v1.Batch. Invariants:
 * no crash, leak or undefined behaviour; a refusal names its field and reason in valid UTF-8;
 * and whatever merges writes JSON that merges again into a fresh message and writes the very
 * same text; and the message packs, unpacks and packs again to the same bytes. Seeds:
 * tests/fuzz/corpus/json. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "gateway/json.h"
#include "gw_json_test.pb-c.h"
#include "vbp/v1/catalog.pb-c.h"

static int utf8_valid(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  while (*s) {
    size_t n = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : *s >= 0xC2 ? 2 : 0;
    if (n == 0) return 0;
    for (size_t k = 1; k < n; k++)
      if ((s[k] & 0xC0) != 0x80) return 0;
    s += n;
  }
  return 1;
}

static void fail(const char *what, const char *first, const char *second) {
  fprintf(stderr, "fuzz_json: %s\n first: %s\nsecond: %s\n", what, first ? first : "",
          second ? second : "");
  abort();
}

static void round_trip(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
                       vbp_arena *arena) {
  ProtobufCMessage *msg = gw_message_new(desc, arena);
  vbp_status s = gw_json_merge(msg, (const char *)data, size, arena);
  if (!vbp_ok(&s)) {
    if (s.code != VBP_INVALID_ARGUMENT || s.reason[0] == '\0')
      fail("a refusal without a reason", s.message, NULL);
    if (!utf8_valid(s.field) || !utf8_valid(s.reason) || !utf8_valid(s.message))
      fail("a refusal that is not UTF-8", s.field, s.reason);
    return;
  }
  size_t first_len = 0, second_len = 0;
  char *first = gw_message_to_json(msg, &first_len);
  ProtobufCMessage *again = gw_message_new(desc, arena);
  s = gw_json_merge(again, first, first_len, arena);
  if (!vbp_ok(&s)) fail(s.message, first, NULL);
  char *second = gw_message_to_json(again, &second_len);
  if (first_len != second_len || memcmp(first, second, first_len) != 0)
    fail("the written JSON does not read back the same", first, second);
  free(second);

  /* The merged message is one protobuf-c can send and a service can read: it packs, unpacks
   * and packs again to the same bytes. (Not compared as JSON: protobuf-c leaves a proto3 -0.0
   * off the wire, as it does 0.) */
  size_t wire_len = protobuf_c_message_get_packed_size(msg);
  uint8_t *wire = vbp_arena_alloc(arena, wire_len ? wire_len : 1);
  if (protobuf_c_message_pack(msg, wire) != wire_len)
    fail("pack disagrees with its size", first, NULL);
  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  ProtobufCMessage *unpacked = protobuf_c_message_unpack(desc, &allocator, wire_len, wire);
  if (!unpacked) fail("the packed message does not unpack", first, NULL);
  size_t again_len = protobuf_c_message_get_packed_size(unpacked);
  uint8_t *wire_again = vbp_arena_alloc(arena, again_len ? again_len : 1);
  protobuf_c_message_pack(unpacked, wire_again);
  if (again_len != wire_len || memcmp(wire, wire_again, wire_len) != 0)
    fail("the wire format changed the message", first, NULL);
  free(gw_message_to_json(unpacked, NULL));
  free(first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vbp_arena *arena = vbp_arena_create();
  round_trip(&gwjson__everything__descriptor, data, size, arena);
  vbp_arena_reset(arena);
  round_trip(&vbp__v1__batch__descriptor, data, size, arena);
  vbp_arena_destroy(arena);
  return 0;
}
