/* libFuzzer target for protobuf unpacking, the first thing every server does with a request's
 * bytes (common/rpc_server.c unpacks into the call's arena). The first byte picks a request
 * message among every method of every service we serve (the four vbp.v1 services and
 * grpc.health.v1.Health, from their descriptors, so a new method is fuzzed with no change here);
 * the rest is the payload, unpacked with an arena allocator as a server does. Invariants: no
 * crash, leak or undefined behaviour; a message that unpacks packs to the size it says, and (its
 * unknown fields left aside) its bytes unpack again and pack to the very same bytes. Seeds:
 * tests/fuzz/corpus/unpack (a first byte, then a valid request of that method). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "grpc/health/v1/health.pb-c.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCServiceDescriptor *const services[] = {
    &vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
    &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor,
    &grpc__health__v1__health__descriptor};
#define N_SERVICES (sizeof services / sizeof services[0])

static void fail(const char *what, const ProtobufCMessageDescriptor *desc) {
  fprintf(stderr, "fuzz_unpack: %s: %s\n", desc->name, what);
  abort();
}

/* Request i of all the services' methods, in order (wrapping around). */
static const ProtobufCMessageDescriptor *request_at(size_t i) {
  size_t total = 0;
  for (size_t s = 0; s < N_SERVICES; s++) total += services[s]->n_methods;
  i %= total;
  for (size_t s = 0; s < N_SERVICES; s++) {
    if (i < services[s]->n_methods) return services[s]->methods[i].input;
    i -= services[s]->n_methods;
  }
  return NULL; /* not reached */
}

/* Drops the unknown fields of msg and of every message inside it. protobuf-c keeps them as the
 * bytes it read and writes them back as such, including a field number 0 it reads from an
 * overlong tag but refuses in the one-byte tag it writes: they are not ours to round-trip. */
static void drop_unknown(ProtobufCMessage *msg) {
  msg->n_unknown_fields = 0;
  const ProtobufCMessageDescriptor *desc = msg->descriptor;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
    char *at = (char *)msg + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(size_t *)((char *)msg + f->quantifier_offset);
      ProtobufCMessage **items = *(ProtobufCMessage ***)at;
      for (size_t k = 0; k < n; k++) drop_unknown(items[k]);
      continue;
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        *(uint32_t *)((char *)msg + f->quantifier_offset) != f->id)
      continue; /* another member of the oneof is set */
    ProtobufCMessage *sub = *(ProtobufCMessage **)at;
    if (sub) drop_unknown(sub);
  }
}

/* msg packed into the arena; *len its size, checked against what it said it would be. */
static uint8_t *pack(const ProtobufCMessage *msg, vbp_arena *arena, size_t *len) {
  size_t expected = protobuf_c_message_get_packed_size(msg);
  uint8_t *out = vbp_arena_alloc(arena, expected ? expected : 1);
  *len = protobuf_c_message_pack(msg, out);
  if (*len != expected) fail("pack disagrees with its size", msg->descriptor);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const ProtobufCMessageDescriptor *desc = request_at(data[0]);
  vbp_arena *arena = vbp_arena_create();
  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  ProtobufCMessage *msg = protobuf_c_message_unpack(desc, &allocator, size - 1, data + 1);
  if (msg) {
    if (!protobuf_c_message_check(msg)) fail("an unpacked message fails its check", desc);
    size_t first_len = 0, second_len = 0;
    pack(msg, arena, &first_len); /* unknown fields and all, as read */
    drop_unknown(msg);
    uint8_t *first = pack(msg, arena, &first_len);
    ProtobufCMessage *again = protobuf_c_message_unpack(desc, &allocator, first_len, first);
    if (!again) fail("its packed bytes do not unpack", desc);
    uint8_t *second = pack(again, arena, &second_len);
    if (first_len != second_len || memcmp(first, second, first_len) != 0)
      fail("packing changed the message", desc);
    protobuf_c_message_free_unpacked(again, &allocator);
    protobuf_c_message_free_unpacked(msg, &allocator);
  }
  vbp_arena_destroy(arena);
  return 0;
}
