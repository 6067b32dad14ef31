/* Server reflection's answers (common/reflection.h) from the descriptor set embedded in every
 * binary: the services listed, files by name with their transitive dependencies, files by
 * symbol (services, methods, messages, fields, oneofs, nested enums and their values, extensions),
 * extensions, and the error answers. The wire (one stream, both versions) is tested from Node
 * (tests/e2e/node/reflection.test.mjs). */
#include "common/reflection.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb-c.h"
#include "vbp_descriptor_set.h"

namespace {

const char *const kServices[] = {"vbp.v1.PricingService", "grpc.health.v1.Health",
                                 "grpc.reflection.v1.ServerReflection",
                                 "grpc.reflection.v1alpha.ServerReflection"};

class Reflection : public ::testing::Test {
 protected:
  void SetUp() override {
    vbp_status st = vbp_reflection_create(vbp_descriptor_set, vbp_descriptor_set_size, kServices, 4,
                                          &reflection_);
    ASSERT_EQ(st.code, VBP_OK) << st.message;
    arena_ = vbp_arena_create();
  }
  void TearDown() override {
    vbp_reflection_destroy(reflection_);
    vbp_arena_destroy(arena_);
  }

  Grpc__Reflection__V1__ServerReflectionResponse *Ask(
      Grpc__Reflection__V1__ServerReflectionRequest__MessageRequestCase kind, const char *text) {
    auto *req = static_cast<Grpc__Reflection__V1__ServerReflectionRequest *>(
        vbp_arena_alloc(arena_, sizeof(Grpc__Reflection__V1__ServerReflectionRequest)));
    grpc__reflection__v1__server_reflection_request__init(req);
    req->host = const_cast<char *>("pricing.example");
    req->message_request_case = kind;
    switch (kind) {
      case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        req->file_by_filename = const_cast<char *>(text);
        break;
      case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        req->file_containing_symbol = const_cast<char *>(text);
        break;
      case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        req->all_extension_numbers_of_type = const_cast<char *>(text);
        break;
      case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        req->list_services = const_cast<char *>(text);
        break;
      default:
        break;
    }
    return vbp_reflection_answer(reflection_, req, arena_);
  }

  Grpc__Reflection__V1__ServerReflectionResponse *AskExtension(const char *type, int32_t number) {
    auto *req = static_cast<Grpc__Reflection__V1__ServerReflectionRequest *>(
        vbp_arena_alloc(arena_, sizeof(Grpc__Reflection__V1__ServerReflectionRequest)));
    grpc__reflection__v1__server_reflection_request__init(req);
    auto *ext = static_cast<Grpc__Reflection__V1__ExtensionRequest *>(
        vbp_arena_alloc(arena_, sizeof(Grpc__Reflection__V1__ExtensionRequest)));
    grpc__reflection__v1__extension_request__init(ext);
    ext->containing_type = const_cast<char *>(type);
    ext->extension_number = number;
    req->message_request_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION;
    req->file_containing_extension = ext;
    return vbp_reflection_answer(reflection_, req, arena_);
  }

  /* The names of the files an answer carries, in order (each must be a FileDescriptorProto). */
  std::vector<std::string> Files(const Grpc__Reflection__V1__ServerReflectionResponse *r) {
    std::vector<std::string> names;
    EXPECT_EQ(
        r->message_response_case,
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    if (r->message_response_case !=
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE)
      return names;
    const auto *files = r->file_descriptor_response;
    for (size_t i = 0; i < files->n_file_descriptor_proto; i++) {
      Google__Protobuf__FileDescriptorProto *f = google__protobuf__file_descriptor_proto__unpack(
          nullptr, files->file_descriptor_proto[i].len, files->file_descriptor_proto[i].data);
      EXPECT_NE(f, nullptr);
      if (!f) continue;
      names.emplace_back(f->name);
      google__protobuf__file_descriptor_proto__free_unpacked(f, nullptr);
    }
    return names;
  }

  void ExpectError(const Grpc__Reflection__V1__ServerReflectionResponse *r, vbp_code code,
                   const std::string &message) {
    ASSERT_EQ(r->message_response_case,
              GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
    EXPECT_EQ(r->error_response->error_code, code);
    EXPECT_EQ(std::string(r->error_response->error_message), message);
  }

  vbp_reflection *reflection_ = nullptr;
  vbp_arena *arena_ = nullptr;
};

const std::vector<std::string> kPricingFiles = {"vbp/v1/pricing.proto", "vbp/api/http.proto",
                                                "google/protobuf/descriptor.proto",
                                                "vbp/v1/types.proto"};

TEST_F(Reflection, ListServicesAnswersTheServersServicesInOrderAndEchoesTheRequest) {
  auto *r =
      Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES, "*");
  ASSERT_EQ(
      r->message_response_case,
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
  std::vector<std::string> names;
  for (size_t i = 0; i < r->list_services_response->n_service; i++)
    names.emplace_back(r->list_services_response->service[i]->name);
  EXPECT_EQ(names, std::vector<std::string>(std::begin(kServices), std::end(kServices)));
  EXPECT_EQ(std::string(r->valid_host), "pricing.example");
  ASSERT_NE(r->original_request, nullptr);
  EXPECT_EQ(std::string(r->original_request->list_services), "*");
}

TEST_F(Reflection, AFileByNameComesFirstThenItsTransitiveDependenciesEachOnce) {
  EXPECT_EQ(
      Files(Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME,
                "vbp/v1/pricing.proto")),
      kPricingFiles);
  EXPECT_EQ(
      Files(Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME,
                "grpc/health/v1/health.proto")),
      std::vector<std::string>{"grpc/health/v1/health.proto"});
}

TEST_F(Reflection, AFileCarriesItsHttpOptionsAsProtocWroteThem) {
  auto *r = Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME,
                "vbp/v1/pricing.proto");
  ASSERT_EQ(Files(r).size(), 4u);
  const ProtobufCBinaryData &bytes = r->file_descriptor_response->file_descriptor_proto[0];
  /* The route of GetPrice travels inside MethodOptions as extension 72295 (vbp.api.http). */
  std::string text(reinterpret_cast<const char *>(bytes.data), bytes.len);
  EXPECT_NE(text.find("/v1/prices/{region_code}/{product_id}"), std::string::npos);
}

TEST_F(Reflection, EveryKindOfSymbolFindsTheFileThatDeclaresIt) {
  const struct {
    const char *symbol, *file;
  } cases[] = {
      {"vbp.v1.PricingService", "vbp/v1/pricing.proto"},          /* service */
      {"vbp.v1.PricingService.GetPrice", "vbp/v1/pricing.proto"}, /* method */
      {"vbp.v1.GetPriceRequest", "vbp/v1/pricing.proto"},         /* message */
      {".vbp.v1.Price", "vbp/v1/pricing.proto"},                  /* as descriptors spell it */
      {"vbp.v1.Price.max_sale_price", "vbp/v1/pricing.proto"},    /* field */
      {"grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"},
      {"grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"},
      {"grpc.reflection.v1.ServerReflectionRequest.message_request", /* oneof */
       "grpc/reflection/v1/reflection.proto"},
      {"grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"},
      {"vbp.api.http", "vbp/api/http.proto"}, /* extension */
      {"google.protobuf.MethodOptions", "google/protobuf/descriptor.proto"},
  };
  for (const auto &c : cases) {
    auto files = Files(
        Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL,
            c.symbol));
    ASSERT_FALSE(files.empty()) << c.symbol;
    EXPECT_EQ(files[0], c.file) << c.symbol;
  }
  EXPECT_EQ(
      Files(Ask(
          GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL,
          "vbp.v1.PricingService.GetPrice")),
      kPricingFiles);
}

TEST_F(Reflection, AnUnknownSymbolOrFileIsNotFound) {
  ExpectError(
      Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL,
          "vbp.v1.NoSuchService"),
      VBP_NOT_FOUND, "no symbol vbp.v1.NoSuchService");
  /* A package is not a symbol, nor is half a name. */
  ExpectError(
      Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL,
          "vbp.v1.PricingSer"),
      VBP_NOT_FOUND, "no symbol vbp.v1.PricingSer");
  ExpectError(Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME,
                  "vbp/v1/nothing.proto"),
              VBP_NOT_FOUND, "no file vbp/v1/nothing.proto");
}

TEST_F(Reflection, TheHttpOptionIsTheOneExtensionOfMethodOptions) {
  EXPECT_EQ(Files(AskExtension("google.protobuf.MethodOptions", 72295)),
            (std::vector<std::string>{"vbp/api/http.proto", "google/protobuf/descriptor.proto"}));
  auto *r = Ask(
      GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE,
      "google.protobuf.MethodOptions");
  ASSERT_EQ(
      r->message_response_case,
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
  EXPECT_EQ(std::string(r->all_extension_numbers_response->base_type_name),
            "google.protobuf.MethodOptions");
  ASSERT_EQ(r->all_extension_numbers_response->n_extension_number, 1u);
  EXPECT_EQ(r->all_extension_numbers_response->extension_number[0], 72295);
}

TEST_F(Reflection, AMessageNobodyExtendsHasNoExtensionNumbers) {
  auto *r = Ask(
      GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE,
      "vbp.v1.Price");
  ASSERT_EQ(
      r->message_response_case,
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
  EXPECT_EQ(std::string(r->all_extension_numbers_response->base_type_name), "vbp.v1.Price");
  EXPECT_EQ(r->all_extension_numbers_response->n_extension_number, 0u);
}

TEST_F(Reflection, ExtensionsOfUnknownTypesOrNumbersAreNotFound) {
  ExpectError(AskExtension("google.protobuf.MethodOptions", 72296), VBP_NOT_FOUND,
              "no extension 72296 of google.protobuf.MethodOptions");
  ExpectError(AskExtension("vbp.v1.NoSuchMessage", 1), VBP_NOT_FOUND,
              "no message type vbp.v1.NoSuchMessage");
  /* A service is a symbol but no message type: nothing extends it. */
  ExpectError(
      Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE,
          "vbp.v1.PricingService"),
      VBP_NOT_FOUND, "no message type vbp.v1.PricingService");
}

TEST_F(Reflection, ARequestAskingNothingIsUnimplemented) {
  ExpectError(
      Ask(GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST__NOT_SET, nullptr),
      VBP_UNIMPLEMENTED, "the request asks nothing this server knows");
}

TEST(ReflectionCreate, BytesThatAreNoDescriptorSetAreRefused) {
  const uint8_t junk[] = {0x0a, 0x05, 0x01}; /* a file of 5 bytes with 1 present */
  vbp_reflection *r = nullptr;
  vbp_status st = vbp_reflection_create(junk, sizeof junk, nullptr, 0, &r);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_EQ(r, nullptr);
  const uint8_t not_a_file[] = {0x0a, 0x02, 0x08, 0x01}; /* file whose field 1 is a varint */
  st = vbp_reflection_create(not_a_file, sizeof not_a_file, nullptr, 0, &r);
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(st.message), "file 0 of the descriptor set is unreadable");
  EXPECT_EQ(r, nullptr);
}

TEST(ReflectionCreate, AnEmptySetAnswersNotFoundForEverything) {
  vbp_reflection *r = nullptr;
  ASSERT_EQ(vbp_reflection_create(nullptr, 0, nullptr, 0, &r).code, VBP_OK);
  vbp_arena *arena = vbp_arena_create();
  Grpc__Reflection__V1__ServerReflectionRequest req;
  grpc__reflection__v1__server_reflection_request__init(&req);
  req.message_request_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
  req.file_containing_symbol = const_cast<char *>("vbp.v1.Price");
  auto *answer = vbp_reflection_answer(r, &req, arena);
  ASSERT_EQ(answer->message_response_case,
            GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
  EXPECT_EQ(answer->error_response->error_code, VBP_NOT_FOUND);
  vbp_arena_destroy(arena);
  vbp_reflection_destroy(r);
}

}  // namespace
