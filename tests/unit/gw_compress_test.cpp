/* gzip for the gateway's answers (gateway/compress.h): which Accept-Encoding values take it, and
 * that what is sent gunzips to exactly the plain answer, whole or streamed a line at a time. */
#include "gateway/compress.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "gunzip.h"

namespace {

TEST(GwCompress, AcceptEncodingTakesGzipByNameOrStarUnlessItsWeightIsZero) {
  const struct {
    const char *accept;
    bool gzip;
  } cases[] = {
      {nullptr, false},
      {"", false},
      {"identity", false},
      {"gzip", true},
      {"GZip", true},
      {"x-gzip", true},
      {"deflate, gzip, br", true},
      {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
      {"gzip ; q=0.001", true},
      {"gzip;q=0", false},
      {"gzip;q=0.000", false},
      {"gzip; q=0.", false},
      {"gzip;q=0, *", false}, /* refused by name: the star does not bring it back */
      {"*", true},
      {"*;q=0", false},
      {"br, *;q=0.5", true},
      {"gzip;q=zero", false}, /* a weight that does not parse */
      {"gzip;q=1.5", false},
      {"gzipped", false},
      {"deflate;q=0.5, gzip", true},
      {"gzip;level=1", true}, /* another parameter */
  };
  for (const auto &c : cases)
    EXPECT_EQ(gw_accepts_gzip(c.accept), c.gzip) << (c.accept ? c.accept : "(none)");
}

std::string answer_of(size_t n) {
  std::string text;
  for (size_t i = 0; text.size() < n; i++)
    text += "{\"productId\":\"p-" + std::to_string(i) + "\",\"maxSalePrice\":\"30.0000\"},";
  return text;
}

TEST(GwCompress, AGzippedAnswerGunzipsToThePlainOne) {
  for (size_t n : {0ul, 1ul, 1025ul, 100000ul, 1000000ul}) {
    std::string plain = answer_of(n);
    size_t len = 0;
    char *gz = gw_gzip_buffer(plain.data(), plain.size(), &len);
    std::string sent(gz, len);
    free(gz);
    EXPECT_EQ(gunzip(sent), plain) << n;
    if (n >= 1025) {
      EXPECT_LT(sent.size(), plain.size() / 4) << n; /* JSON compresses well */
    }
  }
}

void collect(void *ctx, const char *bytes, size_t n) {
  static_cast<std::string *>(ctx)->append(bytes, n);
}

TEST(GwCompress, AStreamedLineCanBeReadAsSoonAsItIsSentAndTheWholeGunzipsToThePlainOne) {
  gw_gzip *z = gw_gzip_create();
  std::string sent, plain;
  for (int i = 0; i < 50; i++) {
    std::string line = "{\"result\":{\"productId\":\"p-" + std::to_string(i) + "\"}}";
    gw_gzip_put(z, line.data(), line.size(), false, collect, &sent);
    gw_gzip_put(z, "\n", 1, true, collect, &sent);
    plain += line + "\n";
    /* Flushed: what went out so far holds every line so far, not a byte less. */
    ASSERT_EQ(gunzip(sent, true), plain) << i;
  }
  gw_gzip_finish(z, collect, &sent);
  gw_gzip_destroy(z);
  EXPECT_EQ(gunzip(sent), plain);
}

}  // namespace
