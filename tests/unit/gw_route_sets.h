// What the gateway's route-table tests share: the services the real descriptor set (build's
// vbp.pb, VBP_DESCRIPTOR_SET) and the test proto's (TEST_DESCRIPTOR_SET) describe, and a reader
// for those files.
#ifndef GW_ROUTE_SETS_H
#define GW_ROUTE_SETS_H

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "gw_routes_test.pb-c.h"
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

#endif
