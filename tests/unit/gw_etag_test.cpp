/* Conditional GET (gateway/etag.h): the ETag of an answer from the backend's versions and the
 * bytes sent, and which If-None-Match values name it. */
#include "gateway/etag.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string etag_of(const char *version, const std::string &body) {
  char out[GW_ETAG_MAX];
  gw_etag_make(version, body.data(), body.size(), out);
  return out;
}

TEST(GwEtag, TheTagNamesTheVersionsAndADigestOfTheBytes) {
  std::string tag = etag_of("12.7", R"({"maxSalePrice":"30.0000"})");
  // The first 128 bits of the body's SHA-256 (`printf %s BODY | sha256sum`).
  EXPECT_EQ(tag, "\"12.7-a4a4f8db1d1e094426829c68dc3e595c\"");
  EXPECT_EQ(etag_of("12.7", R"({"maxSalePrice":"30.0000"})"), tag); /* the same answer */
  /* Another answer under the same versions, or the same one under others: another tag. */
  EXPECT_NE(etag_of("12.7", R"({"maxSalePrice":"36.5000"})"), tag);
  EXPECT_NE(etag_of("12.8", R"({"maxSalePrice":"30.0000"})"), tag);
}

TEST(GwEtag, IfNoneMatchNamesATagByAnyOfItsFormsInAList) {
  const char *tag = "\"12.7-abc\"";
  const struct {
    const char *if_none_match;
    bool matches;
  } cases[] = {
      {nullptr, false},
      {"", false},
      {"\"12.7-abc\"", true},
      {"W/\"12.7-abc\"", true}, /* weak comparison */
      {" \"x\" , \"12.7-abc\"", true},
      {"\"x\",W/\"12.7-abc\"", true},
      {"\"a,b\", \"12.7-abc\"", true}, /* a comma inside a tag */
      {"*", true},
      {" * ", true},
      {"\"12.7-ab\"", false},
      {"\"12.7-abcd\"", false},
      {"12.7-abc", false},           /* unquoted: malformed */
      {"\"x\" \"12.7-abc\"", false}, /* no comma between: malformed */
      {"\"12.7-abc", false},
      {"*, \"x\"", false},
  };
  for (const auto &c : cases)
    EXPECT_EQ(gw_etag_matches(c.if_none_match, tag), c.matches)
        << (c.if_none_match ? c.if_none_match : "(none)");
}

}  // namespace
