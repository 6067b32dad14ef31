// The gateway's JSON transcoder (gateway/json.h): exact output for the real vbp.v1 messages and
// for gwjson.Everything (every field type), input accepted and refused, errors naming the field
// by its JSON path, set_text for path variables and query parameters, and the JSON names.
#include "gateway/json.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "gw_json_test.pb-c.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"

namespace {

// Every scalar of gwjson.Everything at zero: always written (API.md: every number and boolean).
const std::string kZeros =
    "\"int32Value\":0,\"sint32Value\":0,\"sfixed32Value\":0,\"int64Value\":\"0\","
    "\"sint64Value\":\"0\",\"sfixed64Value\":\"0\",\"uint32Value\":0,\"fixed32Value\":0,"
    "\"uint64Value\":\"0\",\"fixed64Value\":\"0\",\"floatValue\":0,\"doubleValue\":0,"
    "\"boolValue\":false";

bool valid_utf8(const std::string &s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; k++)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

class GwJson : public ::testing::Test {
 protected:
  void TearDown() override { vbp_arena_destroy(arena); }

  template <typename T>
  T *make(const ProtobufCMessageDescriptor *desc) {
    return reinterpret_cast<T *>(gw_message_new(desc, arena));
  }
  Gwjson__Everything *everything() {
    return make<Gwjson__Everything>(&gwjson__everything__descriptor);
  }

  vbp_status merge(void *msg, const std::string &json) {
    return gw_json_merge(static_cast<ProtobufCMessage *>(msg), json.data(), json.size(), arena);
  }
  vbp_status set(void *msg, const char *path, const char *text) {
    return gw_message_set_text(static_cast<ProtobufCMessage *>(msg), path, text, arena);
  }
  static std::string write(const void *msg) {
    size_t len = 0;
    char *json = gw_message_to_json(static_cast<const ProtobufCMessage *>(msg), &len);
    std::string out(json, len);
    EXPECT_EQ(std::strlen(json), len);
    std::free(json);
    return out;
  }
  // Merges json into a new message of desc and writes it back; "" and a failure on error.
  std::string round_trip(const ProtobufCMessageDescriptor *desc, const std::string &json) {
    ProtobufCMessage *msg = gw_message_new(desc, arena);
    vbp_status s = merge(msg, json);
    EXPECT_TRUE(vbp_ok(&s)) << json << ": " << s.field << " " << s.reason;
    return vbp_ok(&s) ? write(msg) : "";
  }
  std::string everything_json(const std::string &rest) {
    return "{" + kZeros + (rest.empty() ? "" : "," + rest) + "}";
  }

  vbp_arena *arena = vbp_arena_create();
};

// ---- Writing --------------------------------------------------------------------------------

using GwJsonWrite = GwJson;

TEST_F(GwJsonWrite, AnOrganizationWritesItsFieldsInOrderAndLeavesOutAnInstitutionTypeOfZero) {
  auto *org = make<Vbp__V1__Organization>(&vbp__v1__organization__descriptor);
  org->id = const_cast<char *>("o1");
  org->name = const_cast<char *>("x");
  org->kind = VBP__V1__ORGANIZATION_KIND__MANUFACTURER;
  org->region_code = const_cast<char *>("350100");
  org->credit_code = const_cast<char *>("91350100M000100Y43");
  EXPECT_EQ(write(org),
            "{\"id\":\"o1\",\"name\":\"x\",\"kind\":\"MANUFACTURER\",\"regionCode\":\"350100\","
            "\"creditCode\":\"91350100M000100Y43\"}");
  org->institution_type = VBP__V1__INSTITUTION_TYPE__PRIVATE_DESIGNATED;
  org->consortium_id = const_cast<char *>("c1");
  EXPECT_EQ(write(org),
            "{\"id\":\"o1\",\"name\":\"x\",\"kind\":\"MANUFACTURER\",\"regionCode\":\"350100\","
            "\"creditCode\":\"91350100M000100Y43\",\"institutionType\":\"PRIVATE_DESIGNATED\","
            "\"consortiumId\":\"c1\"}");
}

TEST_F(GwJsonWrite, APriceWritesCoveredFalseAndLeavesOutEmptyStrings) {
  auto *price = make<Vbp__V1__Price>(&vbp__v1__price__descriptor);
  EXPECT_EQ(write(price), "{\"covered\":false}");
  price->product_id = const_cast<char *>("p1");
  price->region_code = const_cast<char *>("350000");
  price->max_sale_price = const_cast<char *>("30.0000");
  price->rule = const_cast<char *>("NOT_IN_VBP");
  EXPECT_EQ(write(price),
            "{\"productId\":\"p1\",\"regionCode\":\"350000\",\"maxSalePrice\":\"30.0000\","
            "\"rule\":\"NOT_IN_VBP\",\"covered\":false}");
}

TEST_F(GwJsonWrite, AnEmptyMessageWritesEveryNumberAndBooleanAtZero) {
  EXPECT_EQ(write(everything()), "{" + kZeros + "}");
  auto *empty = make<Google__Protobuf__Empty>(&google__protobuf__empty__descriptor);
  EXPECT_EQ(write(empty), "{}");
}

TEST_F(GwJsonWrite, SixtyFourBitIntegersAreWrittenAsStrings) {
  auto *m = everything();
  m->int64_value = 12;
  m->sint64_value = INT64_MIN;
  m->uint64_value = UINT64_MAX;
  m->fixed64_value = 1;
  m->uint32_value = UINT32_MAX;
  m->int32_value = INT32_MIN;
  EXPECT_EQ(
      write(m),
      "{\"int32Value\":-2147483648,\"sint32Value\":0,\"sfixed32Value\":0,"
      "\"int64Value\":\"12\",\"sint64Value\":\"-9223372036854775808\",\"sfixed64Value\":\"0\","
      "\"uint32Value\":4294967295,\"fixed32Value\":0,\"uint64Value\":\"18446744073709551615\","
      "\"fixed64Value\":\"1\",\"floatValue\":0,\"doubleValue\":0,\"boolValue\":false}");
}

TEST_F(GwJsonWrite, EnumsAreWrittenByNameAndAnUnknownNumberAsTheNumber) {
  auto *m = everything();
  m->color = GWJSON__COLOR__BLUE;
  EXPECT_EQ(write(m), everything_json("\"color\":\"BLUE\""));
  m->color = static_cast<Gwjson__Color>(99);
  EXPECT_EQ(write(m), everything_json("\"color\":99"));
}

TEST_F(GwJsonWrite, StringsEscapeQuotesBackslashesAndControlCharactersAndKeepUtf8) {
  auto *m = everything();
  m->text = const_cast<char *>(
      "a\"b\\c\n\t\x01\x1f/\x7f"
      "é中");
  EXPECT_EQ(write(m), everything_json("\"text\":\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f/\x7f"
                                      "é中\""));
}

TEST_F(GwJsonWrite, BytesThatAreNotUtf8InAStringBecomeTheReplacementCharacter) {
  auto *m = everything();
  m->text = const_cast<char *>(
      "a\xff"
      "b\xe4\xb8"
      "c\xed\xa0\x80");  // stray, cut, surrogate
  std::string json = write(m);
  EXPECT_TRUE(valid_utf8(json));
  EXPECT_EQ(json, everything_json("\"text\":\"a\xEF\xBF\xBD"
                                  "b\xEF\xBF\xBD\xEF\xBF\xBD"
                                  "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""));
}

TEST_F(GwJsonWrite, BytesAreStandardBase64WithPadding) {
  static const uint8_t one[] = {0xfb}, two[] = {0xfb, 0xff}, three[] = {0xfb, 0xff, 0xbf};
  auto *m = everything();
  m->payload = {sizeof one, const_cast<uint8_t *>(one)};
  EXPECT_EQ(write(m), everything_json("\"payload\":\"+w==\""));
  m->payload = {sizeof two, const_cast<uint8_t *>(two)};
  EXPECT_EQ(write(m), everything_json("\"payload\":\"+/8=\""));
  m->payload = {sizeof three, const_cast<uint8_t *>(three)};
  EXPECT_EQ(write(m), everything_json("\"payload\":\"+/+/\""));
}

TEST_F(GwJsonWrite, FloatsAreShortestAndNonFiniteValuesAreStrings) {
  auto *m = everything();
  m->float_value = 0.1f;
  m->double_value = 0.1;
  EXPECT_EQ(write(m), "{" + kZeros.substr(0, kZeros.find("\"floatValue\"")) +
                          "\"floatValue\":0.1,\"doubleValue\":0.1,\"boolValue\":false}");
  double weights[] = {1e300, -2.5, NAN, INFINITY, -INFINITY, -0.0, 1.0 / 3};
  m->float_value = 0;
  m->double_value = 0;
  m->n_weights = 7;
  m->weights = weights;
  EXPECT_EQ(write(m), everything_json("\"weights\":[1e+300,-2.5,\"NaN\",\"Infinity\","
                                      "\"-Infinity\",-0.0,0.3333333333333333]"));
  weights[6] = 0.1 + 0.2;
  EXPECT_NE(write(m).find(",0.30000000000000004]"), std::string::npos);
}

TEST_F(GwJsonWrite, RepeatedFieldsAreArraysAndEmptyOnesAreLeftOut) {
  int32_t numbers[] = {1, -2};
  char *tags[] = {const_cast<char *>("a"), const_cast<char *>("")};
  Gwjson__Color colors[] = {GWJSON__COLOR__COLOR_UNSPECIFIED, GWJSON__COLOR__RED};
  protobuf_c_boolean flags[] = {0};
  auto *m = everything();
  m->n_numbers = 2;
  m->numbers = numbers;
  m->n_tags = 2;
  m->tags = tags;
  m->n_colors = 2;
  m->colors = colors;
  m->n_flags = 1;
  m->flags = flags;
  EXPECT_EQ(write(m), everything_json("\"numbers\":[1,-2],\"flags\":[false],\"tags\":[\"a\",\"\"],"
                                      "\"colors\":[\"COLOR_UNSPECIFIED\",\"RED\"]"));
}

TEST_F(GwJsonWrite, WrappersAreTheirPlainValueAndFalseOrZeroIsStillWritten) {
  auto *exec = make<Vbp__V1__Execution>(&vbp__v1__execution__descriptor);
  exec->batch_code = const_cast<char *>("B1");
  EXPECT_EQ(write(exec), "{\"batchCode\":\"B1\"}");
  Google__Protobuf__BoolValue align = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
  exec->align_renewal = &align;
  EXPECT_EQ(write(exec), "{\"batchCode\":\"B1\",\"alignRenewal\":false}");
  align.value = 1;
  EXPECT_EQ(write(exec), "{\"batchCode\":\"B1\",\"alignRenewal\":true}");

  Google__Protobuf__Int64Value big = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
  Google__Protobuf__StringValue text = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  Google__Protobuf__Empty nothing = GOOGLE__PROTOBUF__EMPTY__INIT;
  auto *m = everything();
  m->maybe_big = &big;
  m->maybe_text = &text;
  m->nothing = &nothing;
  EXPECT_EQ(write(m), everything_json("\"maybeText\":\"\",\"maybeBig\":\"0\",\"nothing\":{}"));
}

TEST_F(GwJsonWrite, AOneofWritesOnlyItsSetMemberEvenAtZero) {
  auto *m = everything();
  m->choice_case = GWJSON__EVERYTHING__CHOICE_CHOICE_NUMBER;
  m->choice_number = 0;
  EXPECT_EQ(write(m), everything_json("\"choiceNumber\":0"));
  m->choice_case = GWJSON__EVERYTHING__CHOICE_CHOICE_TEXT;
  m->choice_text = const_cast<char *>("");
  EXPECT_EQ(write(m), everything_json("\"choiceText\":\"\""));
}

TEST_F(GwJsonWrite, NestedAndRepeatedMessagesAreObjects) {
  auto *batch =
      make<Vbp__V1__ListOrganizationsResponse>(&vbp__v1__list_organizations_response__descriptor);
  Vbp__V1__Organization a = VBP__V1__ORGANIZATION__INIT, b = VBP__V1__ORGANIZATION__INIT;
  a.id = const_cast<char *>("a");
  Vbp__V1__Organization *orgs[] = {&a, &b};
  batch->n_organizations = 2;
  batch->organizations = orgs;
  batch->next_page_token = const_cast<char *>("t");
  EXPECT_EQ(write(batch), "{\"organizations\":[{\"id\":\"a\"},{}],\"nextPageToken\":\"t\"}");
}

// ---- Reading --------------------------------------------------------------------------------

using GwJsonRead = GwJson;

TEST_F(GwJsonRead, EveryFieldTypeRoundTripsThroughJsonAndTheProtobufWireFormat) {
  const std::string json =
      "{\"int32Value\":-2147483648,\"sint32Value\":-5,\"sfixed32Value\":2147483647,"
      "\"int64Value\":\"-9223372036854775808\",\"sint64Value\":\"-7\","
      "\"sfixed64Value\":\"9223372036854775807\",\"uint32Value\":4294967295,\"fixed32Value\":7,"
      "\"uint64Value\":\"18446744073709551615\",\"fixed64Value\":\"8\",\"floatValue\":1.5,"
      "\"doubleValue\":0.1,\"boolValue\":true,\"text\":\"h\xc3\xa9llo "
      "\\\"\xe4\xb8\xad\\\"\\\\\\u000a\","
      "\"payload\":\"AAEC/w==\",\"color\":\"BLUE\",\"documentSha256\":\"ab12\","
      "\"item\":{\"name\":\"i\",\"count\":0,\"child\":{\"count\":3}},"
      "\"items\":[{\"count\":0},{\"name\":\"b\",\"count\":2}],\"numbers\":[1,-1],"
      "\"bigNumbers\":[\"0\",\"-5\"],\"unsignedNumbers\":[\"18446744073709551615\"],"
      "\"ratios\":[0.25,\"NaN\"],\"weights\":[1e+300,\"-Infinity\",-0.0],\"flags\":[true,false],"
      "\"tags\":[\"a\",\"\"],\"blobs\":[\"\",\"/w==\"],\"colors\":[\"COLOR_UNSPECIFIED\",\"RED\"],"
      "\"choiceItem\":{\"name\":\"c\",\"count\":0},\"maybeFlag\":false,\"maybeCount\":0,"
      "\"maybeText\":\"\",\"maybeBig\":\"-1\",\"maybeUnsigned\":\"1\",\"maybeSmall\":4294967295,"
      "\"maybeWeight\":2.5,\"maybeRatio\":\"Infinity\",\"maybeBlob\":\"\",\"counts\":[1,0],"
      "\"nothing\":{}}";
  auto *m = everything();
  vbp_status s = merge(m, json);
  ASSERT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;
  EXPECT_EQ(write(m), json);

  std::vector<uint8_t> wire(protobuf_c_message_get_packed_size(&m->base));
  protobuf_c_message_pack(&m->base, wire.data());
  ProtobufCAllocator alloc = vbp_arena_allocator(arena);
  ProtobufCMessage *back =
      protobuf_c_message_unpack(&gwjson__everything__descriptor, &alloc, wire.size(), wire.data());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(write(back), json);
}

TEST_F(GwJsonRead, ProtoNamesNumbersAsStringsAndUrlSafeBase64AreAcceptedAndWrittenCanonically) {
  EXPECT_EQ(round_trip(&gwjson__everything__descriptor,
                       "{\"int32_value\":\"12\",\"document_sha256\":\"x\",\"payload\":\"-_8\","
                       "\"float_value\":\"2.5\",\"double_value\":1e3,\"uint32Value\":3.0,"
                       "\"color\":7,\"big_numbers\":[12,\"13\"]}"),
            "{\"int32Value\":12,\"sint32Value\":0,\"sfixed32Value\":0,\"int64Value\":\"0\","
            "\"sint64Value\":\"0\",\"sfixed64Value\":\"0\",\"uint32Value\":3,\"fixed32Value\":0,"
            "\"uint64Value\":\"0\",\"fixed64Value\":\"0\",\"floatValue\":2.5,\"doubleValue\":1000,"
            "\"boolValue\":false,\"payload\":\"+/8=\",\"color\":\"BLUE\","
            "\"documentSha256\":\"x\",\"bigNumbers\":[\"12\",\"13\"]}");
}

TEST_F(GwJsonRead, TheRealBatchRoundTripsWithItsNestedEnumsAndRegionList) {
  const std::string json =
      "{\"code\":\"B1\",\"name\":\"n\",\"kind\":\"DRUG\",\"organizerLevel\":\"ALLIANCE\","
      "\"leadRegionCode\":\"350000\",\"memberRegionCodes\":[\"350000\",\"360000\"],"
      "\"cycleYears\":3,\"nonWinningCapPercent\":0,\"renewalFloor\":\"PREVIOUS_YEAR\"}";
  EXPECT_EQ(round_trip(&vbp__v1__batch__descriptor, json), json);
}

TEST_F(GwJsonRead, AnInt64IsAcceptedAsANumberOrAStringAndWrittenAsAString) {
  for (const char *json : {"{\"int64Value\":12}", "{\"int64Value\":\"12\"}"}) {
    auto *m = everything();
    vbp_status s = merge(m, json);
    ASSERT_TRUE(vbp_ok(&s)) << json;
    EXPECT_EQ(m->int64_value, 12);
    EXPECT_NE(write(m).find("\"int64Value\":\"12\""), std::string::npos);
  }
  auto *m = everything();
  vbp_status s =
      merge(m,
            "{\"int64Value\":\"-9223372036854775808\","
            "\"uint64Value\":\"18446744073709551615\",\"fixed64Value\":9223372036854775807}");
  ASSERT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;
  EXPECT_EQ(m->int64_value, INT64_MIN);
  EXPECT_EQ(m->uint64_value, UINT64_MAX);
  EXPECT_EQ(m->fixed64_value, static_cast<uint64_t>(INT64_MAX));
}

struct Refusal {
  const char *json;
  const char *field;
  const char *reason;
};

TEST_F(GwJsonRead, NumbersOutOfRangeAreRefusedNamingTheField) {
  const Refusal cases[] = {
      {"{\"int32Value\":2147483648}", "int32Value", "is out of range for int32"},
      {"{\"int32Value\":-2147483649}", "int32Value", "is out of range for int32"},
      {"{\"sint32Value\":\"2147483648\"}", "sint32Value", "is out of range for sint32"},
      {"{\"uint32Value\":4294967296}", "uint32Value", "is out of range for uint32"},
      {"{\"uint32Value\":-1}", "uint32Value", "is out of range for uint32"},
      {"{\"int64Value\":\"9223372036854775808\"}", "int64Value", "is out of range for int64"},
      {"{\"int64Value\":\"-9223372036854775809\"}", "int64Value", "is out of range for int64"},
      {"{\"uint64Value\":\"18446744073709551616\"}", "uint64Value", "is out of range for uint64"},
      {"{\"uint64Value\":\"-1\"}", "uint64Value", "is out of range for uint64"},
      {"{\"fixed64Value\":1e20}", "fixed64Value", "is out of range for fixed64"},
      {"{\"floatValue\":1e39}", "floatValue", "is out of range for float"},
      {"{\"doubleValue\":\"1e999\"}", "doubleValue", "is out of range for double"},
      {"{\"numbers\":[1,2147483648]}", "numbers[1]", "is out of range for int32"},
      {"{\"maybeCount\":2147483648}", "maybeCount", "is out of range for int32"},
  };
  for (const Refusal &c : cases) {
    vbp_status s = merge(everything(), c.json);
    EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT) << c.json;
    EXPECT_STREQ(s.field, c.field) << c.json;
    EXPECT_STREQ(s.reason, c.reason) << c.json;
  }
  auto *m = everything();
  vbp_status s = merge(m, "{\"int32Value\":-2147483648,\"uint32Value\":4294967295}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(m->int32_value, INT32_MIN);
  EXPECT_EQ(m->uint32_value, UINT32_MAX);
}

TEST_F(GwJsonRead, AnUnknownEnumNameOrNumberIsRefusedNamingTheField) {
  auto *org = make<Vbp__V1__Organization>(&vbp__v1__organization__descriptor);
  vbp_status s = merge(org, "{\"id\":\"o1\",\"kind\":\"MAKER\"}");
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(s.field, "kind");
  EXPECT_STREQ(s.reason, "is not a value of vbp.v1.OrganizationKind");
  EXPECT_STREQ(s.message, "kind is not a value of vbp.v1.OrganizationKind");

  s = merge(org, "{\"kind\":99}");
  EXPECT_STREQ(s.field, "kind");
  EXPECT_STREQ(s.reason, "is not a value of vbp.v1.OrganizationKind");

  s = merge(org, "{\"kind\":5,\"institutionType\":\"PUBLIC\"}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(org->kind, VBP__V1__ORGANIZATION_KIND__MANUFACTURER);
  EXPECT_EQ(org->institution_type, VBP__V1__INSTITUTION_TYPE__PUBLIC);

  auto *batch = make<Vbp__V1__Batch>(&vbp__v1__batch__descriptor);
  s = merge(batch, "{\"organizerLevel\":\"COUNTY\"}");  // a RegionLevel name, not an OrganizerLevel
  EXPECT_STREQ(s.field, "organizerLevel");
  EXPECT_STREQ(s.reason, "is not a value of vbp.v1.Batch.OrganizerLevel");
}

TEST_F(GwJsonRead, AnUnknownFieldIsRefusedWithItsFullPath) {
  vbp_status s = merge(everything(), "{\"items\":[{\"name\":\"a\"},{\"bogus\":1}]}");
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(s.field, "items[1].bogus");
  EXPECT_STREQ(s.reason, "is not a field of gwjson.Item");
  EXPECT_STREQ(s.message, "items[1].bogus is not a field of gwjson.Item");

  auto *list =
      make<Vbp__V1__ListOrganizationsResponse>(&vbp__v1__list_organizations_response__descriptor);
  s = merge(list, "{\"organizations\":[{\"id\":\"a\"},{\"foo\":\"b\"}]}");
  EXPECT_STREQ(s.field, "organizations[1].foo");
  EXPECT_STREQ(s.reason, "is not a field of vbp.v1.Organization");

  s = merge(everything(), "{\"item\":{\"child\":{\"Name\":\"x\"}}}");  // names are case-sensitive
  EXPECT_STREQ(s.field, "item.child.Name");
  EXPECT_STREQ(s.reason, "is not a field of gwjson.Item");

  s = merge(everything(), "{\"nothing\":{\"a\":1}}");
  EXPECT_STREQ(s.field, "nothing.a");
  EXPECT_STREQ(s.reason, "is not a field of google.protobuf.Empty");
}

TEST_F(GwJsonRead, ALongUnknownKeyIsCutOnACharacterBoundaryInTheError) {
  std::string key;
  for (int i = 0; i < 60; i++) key += "\xe4\xb8\xad";  // 180 bytes
  vbp_status s = merge(everything(), "{\"" + key + "\":1}");
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);
  EXPECT_TRUE(valid_utf8(s.field));
  EXPECT_TRUE(valid_utf8(s.message));
  EXPECT_EQ(std::string(s.field), key.substr(0, 93));  // 31 whole characters fit in 95 bytes
}

TEST_F(GwJsonRead, MalformedJsonIsRefusedWithNoFieldAndTheLineAndColumn) {
  vbp_status s = merge(everything(), "{\"text\": }");
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(s.field, "");
  EXPECT_STREQ(s.reason, "is not valid JSON at line 1 column 10: unexpected token near '}'");
  EXPECT_STREQ(s.message,
               "the body is not valid JSON at line 1 column 10: unexpected token near '}'");

  s = merge(everything(), "{\n  \"text\": \"a\",\n  \"int32Value\": 1,,\n}");
  EXPECT_STREQ(s.field, "");
  EXPECT_STREQ(s.reason, "is not valid JSON at line 3 column 19: string or '}' expected near ','");

  s = merge(everything(), "{} trailing");
  EXPECT_STREQ(s.field, "");
  EXPECT_EQ(std::string(s.reason).rfind("is not valid JSON at line 1 column ", 0), 0u) << s.reason;

  s = merge(everything(), "");
  EXPECT_EQ(std::string(s.reason).rfind("is not valid JSON at line ", 0), 0u) << s.reason;

  s = merge(everything(), "{\"text\":\"\\u0000\"}");  // NUL cannot live in a C string
  EXPECT_EQ(std::string(s.reason).rfind("is not valid JSON at line 1 column ", 0), 0u) << s.reason;

  s = merge(everything(), "{\"text\":\"\xff\"}");  // jansson checks the UTF-8
  EXPECT_EQ(std::string(s.reason).rfind("is not valid JSON at line 1 column ", 0), 0u) << s.reason;
  EXPECT_TRUE(valid_utf8(s.reason));
}

TEST_F(GwJsonRead, TheBodyMustBeAnObject) {
  for (const char *json : {"[]", "12", "\"x\"", "null", "true"}) {
    vbp_status s = merge(everything(), json);
    EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT) << json;
    EXPECT_STREQ(s.field, "") << json;
    EXPECT_STREQ(s.reason, "must be a JSON object") << json;
  }
}

TEST_F(GwJsonRead, DuplicateKeysAreRefusedAlsoWhenOneIsTheProtoName) {
  vbp_status s = merge(everything(), "{\"text\":\"a\",\"text\":\"b\"}");
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(s.field, "");
  EXPECT_STREQ(s.reason,
               "is not valid JSON at line 1 column 18: duplicate object key near '\"text\"'");

  auto *org = make<Vbp__V1__Organization>(&vbp__v1__organization__descriptor);
  s = merge(org, "{\"regionCode\":\"350100\",\"region_code\":\"350200\"}");
  EXPECT_STREQ(s.field, "regionCode");
  EXPECT_STREQ(s.reason, "is given more than once");
}

TEST_F(GwJsonRead, AWrongTypeIsRefusedForEveryKindOfField) {
  const Refusal cases[] = {
      {"{\"text\":1}", "text", "must be a string"},
      {"{\"text\":{}}", "text", "must be a string"},
      {"{\"documentSha256\":true}", "documentSha256", "must be a string"},
      {"{\"int32Value\":\"x\"}", "int32Value", "must be an integer"},
      {"{\"int32Value\":\"\"}", "int32Value", "must be an integer"},
      {"{\"int32Value\":\" 1\"}", "int32Value", "must be an integer"},
      {"{\"int32Value\":true}", "int32Value", "must be an integer"},
      {"{\"int32Value\":1.5}", "int32Value", "must be an integer"},
      {"{\"sfixed32Value\":[1]}", "sfixed32Value", "must be an integer"},
      {"{\"int64Value\":{}}", "int64Value", "must be an integer"},
      {"{\"sint64Value\":\"1.0\"}", "sint64Value", "must be an integer"},
      {"{\"uint64Value\":false}", "uint64Value", "must be an integer"},
      {"{\"fixed32Value\":\"0x10\"}", "fixed32Value", "must be an integer"},
      {"{\"floatValue\":\"abc\"}", "floatValue", "must be a number"},
      {"{\"floatValue\":\"nan\"}", "floatValue", "must be a number"},
      {"{\"doubleValue\":true}", "doubleValue", "must be a number"},
      {"{\"doubleValue\":\"0x1p3\"}", "doubleValue", "must be a number"},
      {"{\"boolValue\":\"true\"}", "boolValue", "must be true or false"},
      {"{\"boolValue\":1}", "boolValue", "must be true or false"},
      {"{\"color\":true}", "color", "must be a value name of gwjson.Color"},
      {"{\"color\":1.0}", "color", "must be a value name of gwjson.Color"},
      {"{\"color\":\"red\"}", "color", "is not a value of gwjson.Color"},
      {"{\"payload\":12}", "payload", "must be a base64 string"},
      {"{\"payload\":\"***\"}", "payload", "is not valid base64"},
      {"{\"item\":[]}", "item", "must be an object"},
      {"{\"item\":\"x\"}", "item", "must be an object"},
      {"{\"nothing\":[]}", "nothing", "must be an object"},
      {"{\"numbers\":1}", "numbers", "must be an array"},
      {"{\"items\":{}}", "items", "must be an array"},
      {"{\"numbers\":[1,\"x\"]}", "numbers[1]", "must be an integer"},
      {"{\"numbers\":[1,null]}", "numbers[1]", "must not be null"},
      {"{\"items\":[null]}", "items[0]", "must not be null"},
      {"{\"counts\":[1,null]}", "counts[1]", "must not be null"},
      {"{\"tags\":[1]}", "tags[0]", "must be a string"},
      {"{\"colors\":[\"RED\",\"PURPLE\"]}", "colors[1]", "is not a value of gwjson.Color"},
      {"{\"items\":[{\"count\":\"1.5\"}]}", "items[0].count", "must be an integer"},
      {"{\"item\":{\"child\":{\"count\":true}}}", "item.child.count", "must be an integer"},
      {"{\"maybeFlag\":\"yes\"}", "maybeFlag", "must be true or false"},
      {"{\"maybeCount\":{\"value\":1}}", "maybeCount", "must be an integer"},
      {"{\"maybeText\":1}", "maybeText", "must be a string"},
      {"{\"maybeBlob\":\"!\"}", "maybeBlob", "is not valid base64"},
      {"{\"choiceText\":\"a\",\"choiceNumber\":1}", "choiceNumber",
       "is in the same oneof as choiceText, which is also set"},
  };
  for (const Refusal &c : cases) {
    vbp_status s = merge(everything(), c.json);
    EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT) << c.json;
    EXPECT_STREQ(s.field, c.field) << c.json;
    EXPECT_STREQ(s.reason, c.reason) << c.json;
  }
}

TEST_F(GwJsonRead, NullLeavesAFieldAbsentOrAsItWas) {
  auto *m = everything();
  vbp_status s = merge(m,
                       "{\"text\":null,\"item\":null,\"numbers\":null,\"maybeFlag\":null,"
                       "\"color\":null,\"choiceText\":null,\"int32Value\":null,\"nothing\":null}");
  ASSERT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;
  EXPECT_EQ(write(m), "{" + kZeros + "}");
  EXPECT_EQ(m->maybe_flag, nullptr);
  EXPECT_EQ(m->choice_case, GWJSON__EVERYTHING__CHOICE__NOT_SET);

  s = merge(m, "{\"text\":\"kept\",\"choiceNumber\":1}");
  ASSERT_TRUE(vbp_ok(&s));
  s = merge(m, "{\"text\":null,\"choiceText\":null,\"choiceNumber\":null}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(write(m), everything_json("\"text\":\"kept\",\"choiceNumber\":1"));
}

TEST_F(GwJsonRead, ABoolValueOfFalseIsKeptAndWrittenAsFalse) {
  auto *exec = make<Vbp__V1__Execution>(&vbp__v1__execution__descriptor);
  vbp_status s = merge(exec, "{\"regionCode\":\"350000\",\"alignRenewal\":false}");
  ASSERT_TRUE(vbp_ok(&s));
  ASSERT_NE(exec->align_renewal, nullptr);
  EXPECT_FALSE(exec->align_renewal->value);
  EXPECT_EQ(write(exec), "{\"regionCode\":\"350000\",\"alignRenewal\":false}");

  auto *absent = make<Vbp__V1__Execution>(&vbp__v1__execution__descriptor);
  s = merge(absent, "{\"regionCode\":\"350000\"}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(absent->align_renewal, nullptr);

  auto *m = everything();
  s = merge(m, "{\"maybeCount\":0,\"maybeText\":\"\",\"maybeWeight\":\"NaN\"}");
  ASSERT_TRUE(vbp_ok(&s));
  ASSERT_NE(m->maybe_count, nullptr);
  EXPECT_EQ(m->maybe_count->value, 0);
  ASSERT_NE(m->maybe_text, nullptr);
  EXPECT_STREQ(m->maybe_text->value, "");
  ASSERT_NE(m->maybe_weight, nullptr);
  EXPECT_TRUE(std::isnan(m->maybe_weight->value));
}

TEST_F(GwJsonRead, AnEmptyObjectSetsAnEmptyMessage) {
  auto *m = everything();
  vbp_status s = merge(m, "{\"nothing\":{},\"item\":{}}");
  ASSERT_TRUE(vbp_ok(&s));
  ASSERT_NE(m->nothing, nullptr);
  ASSERT_NE(m->item, nullptr);
  EXPECT_EQ(write(m), everything_json("\"item\":{\"count\":0},\"nothing\":{}"));
  auto *empty = make<Google__Protobuf__Empty>(&google__protobuf__empty__descriptor);
  s = merge(empty, "{}");
  EXPECT_TRUE(vbp_ok(&s));
  EXPECT_EQ(write(empty), "{}");
}

std::string nested_items(int depth) {  // depth objects: the Item itself and depth-1 children
  std::string json;
  for (int i = 1; i < depth; i++) json += "{\"child\":";
  json += "{}";
  for (int i = 1; i < depth; i++) json += "}";
  return json;
}

TEST_F(GwJsonRead, NestingIsLimitedToThirtyTwoLevels) {
  auto *item = make<Gwjson__Item>(&gwjson__item__descriptor);
  vbp_status s = merge(item, nested_items(32));
  EXPECT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;

  s = merge(make<Gwjson__Item>(&gwjson__item__descriptor), nested_items(33));
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(s.reason, "is nested deeper than 32 levels");
  EXPECT_EQ(std::string(s.field).rfind("child.child.child.", 0), 0u) << s.field;

  // Arrays are levels too: the top object, "items", its element, then 29 children.
  s = merge(everything(), "{\"items\":[" + nested_items(30) + "]}");
  EXPECT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;
  s = merge(everything(), "{\"items\":[" + nested_items(31) + "]}");
  EXPECT_STREQ(s.reason, "is nested deeper than 32 levels");

  s = merge(make<Gwjson__Item>(&gwjson__item__descriptor), nested_items(5000));
  EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT);  // jansson's own limit, long before ours is walked
}

TEST_F(GwJsonRead, BytesAcceptBothBase64AlphabetsWithOrWithoutPadding) {
  for (const char *text : {"+/8=", "-_8=", "+/8", "-_8", "+_8"}) {
    auto *m = everything();
    vbp_status s = merge(m, std::string("{\"payload\":\"") + text + "\"}");
    ASSERT_TRUE(vbp_ok(&s)) << text;
    ASSERT_EQ(m->payload.len, 2u) << text;
    EXPECT_EQ(m->payload.data[0], 0xfb);
    EXPECT_EQ(m->payload.data[1], 0xff);
  }
  auto *m = everything();
  vbp_status s = merge(m, "{\"payload\":\"\",\"blobs\":[\"QUJD\",\"QQ\",\"QUI=\"]}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(m->payload.len, 0u);
  ASSERT_EQ(m->n_blobs, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char *>(m->blobs[0].data), m->blobs[0].len), "ABC");
  EXPECT_EQ(std::string(reinterpret_cast<char *>(m->blobs[1].data), m->blobs[1].len), "A");
  EXPECT_EQ(std::string(reinterpret_cast<char *>(m->blobs[2].data), m->blobs[2].len), "AB");
  for (const char *text : {"A", "QQ=", "QQ===", "Q===", "QUJD=", "QU JD", "QQ==QQ==", "QUJ\\n"}) {
    s = merge(everything(), std::string("{\"payload\":\"") + text + "\"}");
    EXPECT_STREQ(s.reason, "is not valid base64") << text;
  }

  auto *request = make<Vbp__V1__ImportBatchRequest>(&vbp__v1__import_batch_request__descriptor);
  s = merge(request, "{\"ndjson\":\"eyJhIjoxfQo=\"}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(std::string(reinterpret_cast<char *>(request->ndjson.data), request->ndjson.len),
            "{\"a\":1}\n");
}

TEST_F(GwJsonRead, FloatsAcceptNumbersNumericStringsAndTheNonFiniteNames) {
  auto *m = everything();
  vbp_status s = merge(m,
                       "{\"floatValue\":\"-Infinity\",\"doubleValue\":\"-2.5e-3\","
                       "\"ratios\":[\"NaN\",\"Infinity\",3,1e-50]}");
  ASSERT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;
  EXPECT_TRUE(std::isinf(m->float_value) && m->float_value < 0);
  EXPECT_EQ(m->double_value, -2.5e-3);
  ASSERT_EQ(m->n_ratios, 4u);
  EXPECT_TRUE(std::isnan(m->ratios[0]));
  EXPECT_TRUE(std::isinf(m->ratios[1]));
  EXPECT_EQ(m->ratios[2], 3.0f);
  EXPECT_EQ(m->ratios[3], 0.0f);
}

TEST_F(GwJsonRead, TheLargestFloatReadsBackFromItsShortestTextAndBeyondItIsOutOfRange) {
  auto *m = everything();
  vbp_status s = merge(m, "{\"floatValue\":-3.4028235e+38,\"ratios\":[3.40282356e38]}");
  ASSERT_TRUE(vbp_ok(&s)) << s.field << " " << s.reason;
  EXPECT_EQ(m->float_value, -FLT_MAX);
  ASSERT_EQ(m->n_ratios, 1u);
  EXPECT_EQ(m->ratios[0], FLT_MAX);  // rounds to it
  EXPECT_NE(write(m).find("\"floatValue\":-3.4028235e+38,"), std::string::npos);
  s = merge(everything(), "{\"floatValue\":3.4028236e38}");
  EXPECT_STREQ(s.field, "floatValue");
  EXPECT_STREQ(s.reason, "is out of range for float");
}

TEST_F(GwJsonRead, MergingAppendsToRepeatedFieldsAndMergesIntoNestedMessages) {
  auto *m = everything();
  vbp_status s = merge(m, "{\"tags\":[\"a\"],\"item\":{\"name\":\"x\"}}");
  ASSERT_TRUE(vbp_ok(&s));
  s = merge(m, "{\"tags\":[\"b\",\"c\"],\"item\":{\"count\":2}}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(write(m), everything_json("\"item\":{\"name\":\"x\",\"count\":2},"
                                      "\"tags\":[\"a\",\"b\",\"c\"]"));
  s = merge(m, "{\"tags\":[\"d\",7]}");  // a refused array leaves the field as it was
  EXPECT_STREQ(s.field, "tags[1]");
  EXPECT_EQ(m->n_tags, 3u);
}

TEST_F(GwJsonRead, ALaterMergeReplacesTheMemberOfAOneof) {
  auto *m = everything();
  vbp_status s = merge(m, "{\"choiceText\":\"a\"}");
  ASSERT_TRUE(vbp_ok(&s));
  s = merge(m, "{\"choiceItem\":{\"name\":\"b\"}}");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(m->choice_case, GWJSON__EVERYTHING__CHOICE_CHOICE_ITEM);
  EXPECT_EQ(write(m), everything_json("\"choiceItem\":{\"name\":\"b\",\"count\":0}"));
  s = merge(m, "{\"choiceNumber\":\"x\"}");  // refused: the item stays
  EXPECT_STREQ(s.field, "choiceNumber");
  EXPECT_EQ(m->choice_case, GWJSON__EVERYTHING__CHOICE_CHOICE_ITEM);
  EXPECT_STREQ(m->choice_item->name, "b");
}

// ---- set_text -------------------------------------------------------------------------------

using GwJsonSetText = GwJson;

TEST_F(GwJsonSetText, StringsAreSetAsTheyAreByJsonOrProtoName) {
  auto *org = make<Vbp__V1__Organization>(&vbp__v1__organization__descriptor);
  vbp_status s = set(org, "regionCode", "350100");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(org, "credit_code", "a b/c");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(write(org), "{\"regionCode\":\"350100\",\"creditCode\":\"a b/c\"}");
}

TEST_F(GwJsonSetText, NumbersBooleansAndEnumsAreParsed) {
  auto *m = everything();
  for (auto [path, text] :
       std::vector<std::pair<const char *, const char *>>{{"int32Value", "42"},
                                                          {"int64_value", "-12"},
                                                          {"uint64Value", "18446744073709551615"},
                                                          {"doubleValue", "2.5"},
                                                          {"floatValue", "NaN"},
                                                          {"boolValue", "true"},
                                                          {"color", "GREEN"}}) {
    vbp_status s = set(m, path, text);
    ASSERT_TRUE(vbp_ok(&s)) << path << ": " << s.reason;
  }
  EXPECT_EQ(m->int32_value, 42);
  EXPECT_EQ(m->int64_value, -12);
  EXPECT_EQ(m->uint64_value, UINT64_MAX);
  EXPECT_EQ(m->double_value, 2.5);
  EXPECT_TRUE(std::isnan(m->float_value));
  EXPECT_TRUE(m->bool_value);
  EXPECT_EQ(m->color, GWJSON__COLOR__GREEN);
  vbp_status s = set(m, "color", "7");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(m->color, GWJSON__COLOR__BLUE);
  s = set(m, "boolValue", "false");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_FALSE(m->bool_value);
}

TEST_F(GwJsonSetText, ARepeatedFieldGetsTheValueAppended) {
  auto *m = everything();
  for (const char *tag : {"a", "b"}) {
    vbp_status s = set(m, "tags", tag);
    ASSERT_TRUE(vbp_ok(&s)) << tag;
  }
  vbp_status s = set(m, "colors", "RED");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(m, "numbers", "-3");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(m, "numbers", "x");
  EXPECT_STREQ(s.field, "numbers");
  EXPECT_EQ(write(m),
            everything_json("\"numbers\":[-3],\"tags\":[\"a\",\"b\"],\"colors\":[\"RED\"]"));
}

TEST_F(GwJsonSetText, ADottedPathSetsAFieldOfANestedMessageOrAWrapper) {
  auto *m = everything();
  vbp_status s = set(m, "item.child.count", "3");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(m, "item.name", "x");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(m, "choice_item.name", "c");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(m, "maybeFlag", "false");
  ASSERT_TRUE(vbp_ok(&s));
  s = set(m, "payload", "-_8");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(write(m), everything_json("\"payload\":\"+/8=\",\"item\":{\"name\":\"x\",\"count\":0,"
                                      "\"child\":{\"count\":3}},\"choiceItem\":{\"name\":\"c\","
                                      "\"count\":0},\"maybeFlag\":false"));
  s = set(m, "choiceNumber", "0");
  ASSERT_TRUE(vbp_ok(&s));
  EXPECT_EQ(m->choice_case, GWJSON__EVERYTHING__CHOICE_CHOICE_NUMBER);
}

struct SetRefusal {
  const char *path;
  const char *text;
  const char *field;
  const char *reason;
};

TEST_F(GwJsonSetText, TextThatDoesNotFitOrAPathToNoValueIsRefusedNamingTheField) {
  const SetRefusal cases[] = {
      {"int32Value", "4x", "int32Value", "must be an integer"},
      {"int32_value", "2147483648", "int32Value", "is out of range for int32"},
      {"uint32Value", "-1", "uint32Value", "is out of range for uint32"},
      {"boolValue", "yes", "boolValue", "must be true or false"},
      {"boolValue", "", "boolValue", "must be true or false"},
      {"color", "PURPLE", "color", "is not a value of gwjson.Color"},
      {"color", "3", "color", "is not a value of gwjson.Color"},
      {"doubleValue", "1,5", "doubleValue", "must be a number"},
      {"text", "\xff", "text", "must be valid UTF-8"},
      {"payload", "!!", "payload", "is not valid base64"},
      {"maybeCount", "x", "maybeCount", "must be an integer"},
      {"item", "x", "item", "is a message, not a single value"},
      {"items", "x", "items", "is a message, not a single value"},
      {"nothing", "", "nothing", "is a message, not a single value"},
      {"bogus", "x", "bogus", "is not a field of gwjson.Everything"},
      {"item.bogus", "x", "item.bogus", "is not a field of gwjson.Item"},
      {"choice_item.count", "x", "choiceItem.count", "must be an integer"},
      {"text.x", "x", "text", "is not a message field, so it has no fields"},
      {"items.name", "x", "items", "is not a message field, so it has no fields"},
      {"maybeFlag.value", "x", "maybeFlag", "is not a message field, so it has no fields"},
      {"", "x", "", "is not a field of gwjson.Everything"},
      {"item.", "x", "item.", "is not a field of gwjson.Item"},
  };
  for (const SetRefusal &c : cases) {
    vbp_status s = set(everything(), c.path, c.text);
    EXPECT_EQ(s.code, VBP_INVALID_ARGUMENT) << c.path;
    EXPECT_STREQ(s.field, c.field) << c.path;
    EXPECT_STREQ(s.reason, c.reason) << c.path;
  }
}

// ---- JSON names -----------------------------------------------------------------------------

TEST(GwJsonName, ASnakeCaseNameBecomesLowerCamelCaseAsProtocDoesIt) {
  const std::pair<const char *, const char *> cases[] = {
      {"id", "id"},
      {"member_region_codes", "memberRegionCodes"},
      {"document_sha256", "documentSha256"},
      {"a_1", "a1"},
      {"x_y_z", "xYZ"},
      {"foo__bar", "fooBar"},
      {"_foo", "Foo"},
      {"foo_", "foo"},
      {"alreadyCamel", "alreadyCamel"},
      {"", ""},
  };
  for (auto [proto, json] : cases) {
    char out[64];
    gw_json_name(proto, out, sizeof out);
    EXPECT_STREQ(out, json) << proto;
  }
}

TEST(GwJsonName, TheNameIsCutToTheCapacityAndAlwaysTerminated) {
  char out[5] = "xxxx";
  gw_json_name("region_code", out, sizeof out);
  EXPECT_STREQ(out, "regi");
  char one[1] = {'x'};
  gw_json_name("region_code", one, sizeof one);
  EXPECT_EQ(one[0], '\0');
  gw_json_name("region_code", nullptr, 0);  // nothing written
}

}  // namespace
