// What the gateway's route-table tests share: the services the real descriptor set (build's
// vbp.pb, VBP_DESCRIPTOR_SET) and the test proto's (TEST_DESCRIPTOR_SET) describe, a reader
// for those files, and a rewriter of one method's HTTP option in a set.
#ifndef GW_ROUTE_SETS_H
#define GW_ROUTE_SETS_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb-c.h"
#include "gw_routes_test.pb-c.h"
#include "vbp/api/http.pb-c.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

// The field number of (vbp.api.http) on google.protobuf.MethodOptions (api/vbp/api/http.proto).
constexpr uint32_t kHttpRuleField = 72295;

inline const ProtobufCServiceDescriptor *const kRealServices[] = {
    &vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
    &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor};
inline const ProtobufCServiceDescriptor *const kTestServices[] = {
    &gwtest__test_service__descriptor};

// The whole file at path; a test failure when it cannot be opened.
inline std::string read_file(const char *path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A copy of the descriptor set `set` in which method's HTTP option is replaced by rule (or, with
// raw_wire_type, by an option field of that wire type holding raw).
inline std::string with_rule(const std::string &set, const char *method,
                             const Vbp__Api__HttpRule *rule, int raw_wire_type = -1,
                             const std::string &raw = "") {
  Google__Protobuf__FileDescriptorSet *fds = google__protobuf__file_descriptor_set__unpack(
      nullptr, set.size(), reinterpret_cast<const uint8_t *>(set.data()));
  EXPECT_NE(fds, nullptr);
  std::vector<uint8_t> field;
  if (rule) {
    std::vector<uint8_t> payload(vbp__api__http_rule__get_packed_size(rule));
    vbp__api__http_rule__pack(rule, payload.data());
    for (size_t n = payload.size();; n >>= 7) { /* protobuf-c keeps the length prefix */
      field.push_back(static_cast<uint8_t>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
      if (n < 0x80) break;
    }
    field.insert(field.end(), payload.begin(), payload.end());
  } else {
    field.assign(raw.begin(), raw.end());
  }
  ProtobufCMessageUnknownField *replaced = nullptr;
  ProtobufCMessageUnknownField saved{};
  for (size_t f = 0; f < fds->n_file; f++)
    for (size_t s = 0; s < fds->file[f]->n_service; s++)
      for (size_t m = 0; m < fds->file[f]->service[s]->n_method; m++) {
        Google__Protobuf__MethodDescriptorProto *md = fds->file[f]->service[s]->method[m];
        if (strcmp(md->name, method) != 0 || !md->options) continue;
        for (unsigned u = 0; u < md->options->base.n_unknown_fields; u++)
          if (md->options->base.unknown_fields[u].tag == kHttpRuleField) {
            replaced = &md->options->base.unknown_fields[u];
            saved = *replaced;
          }
      }
  EXPECT_NE(replaced, nullptr) << method;
  if (raw_wire_type >= 0) replaced->wire_type = static_cast<ProtobufCWireType>(raw_wire_type);
  replaced->data = field.data();
  replaced->len = field.size();
  std::string out(google__protobuf__file_descriptor_set__get_packed_size(fds), '\0');
  google__protobuf__file_descriptor_set__pack(fds, reinterpret_cast<uint8_t *>(&out[0]));
  *replaced = saved; /* free_unpacked must free what unpack allocated */
  google__protobuf__file_descriptor_set__free_unpacked(fds, nullptr);
  return out;
}

#endif
