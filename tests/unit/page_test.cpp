/* List pagination (API.md: pageSize default 50, max 500; AIP-158): page sizes and opaque,
 * URL-safe page tokens, keyed with the servers' secret and bound to the query and the caller
 * they came from. */
#include "common/page.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "common/status.h"
#include "test_values.h"

namespace {

constexpr const char *kScope = "organizations|kind=1|region=35";
constexpr const char *kSecret = "internal-secret-for-page-test";

const vbp_caller kMaker = test_caller(VBP_ROLE_MANUFACTURER, "org-maker", "350100");

/* base64url without padding, as tokens are written. */
std::string base64url(const std::string &bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(&out[0]),
                          reinterpret_cast<const unsigned char *>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char &ch : out) ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;
  return out;
}

class Page : public ::testing::Test {
 protected:
  void TearDown() override { vbp_arena_destroy(arena); }

  std::string encode(const char *key, const char *scope = kScope, const vbp_caller &who = kMaker,
                     const char *secret = kSecret) {
    return vbp_page_token_encode(arena, secret, &who, scope, key);
  }
  vbp_status decode(const std::string &token, const char **key, const char *scope = kScope,
                    const vbp_caller &who = kMaker, const char *secret = kSecret) {
    return vbp_page_token_decode(arena, secret, &who, scope, token.c_str(), key);
  }
  void expect_malformed(const std::string &token) {
    const char *key = "untouched";
    vbp_status st = decode(token, &key);
    EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT)
        << "token \"" << token << "\" gave key \"" << key << "\"";
    EXPECT_STREQ(st.field, "pageToken") << token;
  }

  vbp_arena *arena = vbp_arena_create();
};

struct SizeCase {
  int32_t requested;
  int expected;
};

TEST(PageSize, ZeroIsTheDefaultAndOverTheMaximumIsTheMaximum) {
  const SizeCase cases[] = {{0, 50},    {1, 1},     {49, 49},   {50, 50},
                            {499, 499}, {500, 500}, {501, 500}, {INT32_MAX, 500}};
  for (const SizeCase &c : cases) {
    int out = -7;
    vbp_status st = vbp_page_size(c.requested, &out);
    ASSERT_EQ(st.code, VBP_OK) << c.requested;
    EXPECT_EQ(out, c.expected) << c.requested;
  }
}

TEST(PageSize, ANegativeSizeIsInvalidOnPageSize) {
  for (int32_t requested : {-1, -50, INT32_MIN}) {
    int out = -7;
    vbp_status st = vbp_page_size(requested, &out);
    EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << requested;
    EXPECT_STREQ(st.field, "pageSize");
    EXPECT_STRNE(st.reason, "");
  }
}

TEST_F(Page, TokensRoundTripTheirLastKey) {
  const char *keys[] = {
      "a",
      "org-0042",
      "2024-01-31:350100:org-7",       /* ':' like the separator */
      "::",                            /* only separators */
      "福建省:福州市",                 /* non-ASCII UTF-8 */
      "Zürich \xF0\x9F\x98\x80 emoji", /* 2- and 4-byte sequences */
      "+/=?&#% \"quoted\" \\ back",    /* base64 and URL specials in the key */
      "ab",
      "abc",
      "abcd", /* every padding length */
  };
  for (const char *key : keys) {
    std::string token = encode(key);
    const char *out = nullptr;
    vbp_status st = decode(token, &out);
    ASSERT_EQ(st.code, VBP_OK) << key << ": " << st.message;
    EXPECT_STREQ(out, key);
  }
}

TEST_F(Page, AnEmptyLastKeyRoundTrips) {
  const char *out = "untouched";
  ASSERT_EQ(decode(encode(""), &out).code, VBP_OK);
  EXPECT_STREQ(out, "");
}

TEST_F(Page, ALongKeyRoundTrips) {
  std::string key(600, 'k');
  const char *out = nullptr;
  vbp_status st = decode(encode(key.c_str()), &out);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(std::string(out), key);
}

TEST_F(Page, TokensAreUrlSafeWithoutPadding) {
  for (const char *key : {"a", "ab", "abc", "\xFF\xFE\xFD\xFC", "福建省:福州市", "~~~~~~~~~~~~"}) {
    std::string token = encode(key);
    ASSERT_FALSE(token.empty());
    for (char ch : token) {
      bool safe = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
      EXPECT_TRUE(safe) << "'" << ch << "' in " << token;
    }
  }
}

TEST_F(Page, ATokenDecodesInAnotherArena) {
  std::string token = encode("org-9");
  vbp_arena *other = vbp_arena_create();
  const char *out = nullptr;
  vbp_status st = vbp_page_token_decode(other, kSecret, &kMaker, kScope, token.c_str(), &out);
  ASSERT_EQ(st.code, VBP_OK);
  EXPECT_STREQ(out, "org-9");
  vbp_arena_destroy(other);
}

TEST_F(Page, AnEmptyOrMissingTokenIsTheFirstPage) {
  const char *out = "untouched";
  ASSERT_EQ(decode("", &out).code, VBP_OK);
  EXPECT_STREQ(out, "");
  out = "untouched";
  ASSERT_EQ(vbp_page_token_decode(arena, kSecret, &kMaker, kScope, nullptr, &out).code, VBP_OK);
  EXPECT_STREQ(out, "");
}

TEST_F(Page, ATokenFromAnotherQueryIsInvalidOnPageToken) {
  std::string token = encode("org-0042", "organizations|kind=2|region=35");
  expect_malformed(token);
  expect_malformed(encode("org-0042", ""));
}

TEST_F(Page, GarbageIsInvalidOnPageToken) {
  for (const char *bad : {"x", "xy", "xyz", "abcd", "not a token", "!!!!", "%%%%%%%%",
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "________________________"}) {
    expect_malformed(bad);
  }
}

TEST_F(Page, StandardBase64CharactersAreInvalidOnPageToken) {
  std::string token = encode("org-0042");
  expect_malformed(token + "=");
  expect_malformed(token + "==");
  expect_malformed("+" + token);
  expect_malformed("/" + token);
  std::string plus = token, slash = token;
  plus[3] = '+';
  slash[3] = '/';
  expect_malformed(plus);
  expect_malformed(slash);
}

TEST_F(Page, WhitespaceAroundATokenIsInvalidOnPageToken) {
  std::string token = encode("org-0042");
  expect_malformed(" " + token);
  expect_malformed(token + "\n");
  expect_malformed(token.substr(0, 8) + " " + token.substr(8));
}

TEST_F(Page, ATokenCutInsideItsQueryTagIsInvalidOnPageToken) {
  std::string token = encode("org-0042");
  for (size_t len : {size_t{1}, size_t{4}, size_t{10}, size_t{21}})
    expect_malformed(token.substr(0, len));
}

TEST_F(Page, ATokenMissingItsLastCharactersIsInvalidOnPageToken) {
  /* A truncated token must not resume the list from a shorter, different key. */
  for (const char *key : {"org-0042", "abc", "2024-01-31:350100:org-7"}) {
    std::string token = encode(key);
    for (size_t cut = 1; cut <= 3; cut++) expect_malformed(token.substr(0, token.size() - cut));
  }
}

TEST_F(Page, AnOverlongTokenIsInvalidOnPageToken) {
  expect_malformed(std::string(1025, 'A'));
  expect_malformed(std::string(4096, 'A'));
}

/* The defect: a token was a readable id and an unkeyed SHA-256, so one made by hand, for any
 * key, was accepted. */
TEST_F(Page, AHandMadeTokenWasAccepted) {
  char sha[65];
  std::string text = std::string(kScope) + "\norg-9999";
  vbp_sha256_hex(text.data(), text.size(), sha);
  expect_malformed(base64url(std::string(sha, 16) + ":org-9999")); /* the old recipe */
  expect_malformed(encode("org-9999", kScope, kMaker, "another-secret"));
  std::string raw = "\x01" + std::string(16, 'x') + "org-9999";
  expect_malformed(base64url(raw));
}

TEST_F(Page, ATokenDoesNotShowItsLastKey) {
  for (const char *key : {"org-0042", "2024-01-31:350100:org-7", "ifn-a2b-inj-3miu"}) {
    std::string token = encode(key);
    std::string bytes(token.size(), '\0');
    std::string b64 = token;
    for (char &ch : b64) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    while (b64.size() % 4) b64 += '=';
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(&bytes[0]),
                            reinterpret_cast<const unsigned char *>(b64.data()),
                            static_cast<int>(b64.size()));
    ASSERT_GT(n, 0);
    EXPECT_EQ(bytes.find(key), std::string::npos) << key;
    EXPECT_EQ(token.find(base64url(key).substr(0, 8)), std::string::npos) << key;
  }
}

TEST_F(Page, ATokenOfAnotherCallerIsInvalidOnPageToken) {
  std::string token = encode("org-0042");
  const char *out = nullptr;
  for (const vbp_caller &other : {test_caller(VBP_ROLE_MANUFACTURER, "org-other", "350100"),
                                  test_caller(VBP_ROLE_DISTRIBUTOR, "org-maker", "350100"),
                                  test_caller(VBP_ROLE_MANUFACTURER, "org-maker", "350000"),
                                  test_caller(VBP_ROLE_ADMIN, "", "")}) {
    vbp_status st = decode(token, &out, kScope, other);
    EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << other.org_id;
    EXPECT_STREQ(st.field, "pageToken");
  }
  ASSERT_EQ(decode(token, &out).code, VBP_OK);
  EXPECT_STREQ(out, "org-0042");
}

TEST_F(Page, AnyCharacterAlteredIsInvalidOnPageToken) {
  std::string token = encode("2024-01-31:350100:org-7");
  for (size_t i = 0; i < token.size(); i++) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    /* The last character may carry bits base64 leaves unused: an edit there can be a no-op. */
    const char *out = nullptr;
    vbp_status st = decode(altered, &out);
    if (st.code == VBP_OK) {
      EXPECT_EQ(i, token.size() - 1) << altered;
      EXPECT_STREQ(out, "2024-01-31:350100:org-7");
    } else {
      EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT) << altered;
      EXPECT_STREQ(st.field, "pageToken");
    }
  }
}

}  // namespace
