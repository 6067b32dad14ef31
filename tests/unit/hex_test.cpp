/* The hex encoder (common/hex.h): two lowercase digits a byte, high nibble first, every byte
 * value, and nothing written past the NUL. */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/hex.h"

namespace {

TEST(Hex, EncodesEachByteAsTwoLowercaseDigitsHighNibbleFirst) {
  const unsigned char bytes[] = {0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
  char out[2 * sizeof bytes + 1];
  vbp_hex_encode(bytes, sizeof bytes, out);
  EXPECT_STREQ(out, "00010f107f80abcdefff");
}

TEST(Hex, AgreesWithPrintfForEveryByteValue) {
  for (int b = 0; b < 256; b++) {
    const unsigned char byte = static_cast<unsigned char>(b);
    char out[3], expected[3];
    vbp_hex_encode(&byte, 1, out);
    std::snprintf(expected, sizeof expected, "%02x", b);
    EXPECT_STREQ(out, expected) << b;
  }
}

TEST(Hex, NoBytesGiveTheEmptyString) {
  char out[1] = {'x'};
  vbp_hex_encode("", 0, out);
  EXPECT_STREQ(out, "");
}

TEST(Hex, WritesExactlyTwoDigitsAByteAndTheNul) {
  const unsigned char bytes[] = {0xde, 0xad};
  char out[8];
  std::memset(out, '#', sizeof out);
  vbp_hex_encode(bytes, sizeof bytes, out);
  EXPECT_EQ(std::string(out, sizeof out), std::string("dead\0###", sizeof out));
}

}  // namespace
