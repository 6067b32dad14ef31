/* The UTF-8 rule (common/utf8.h): RFC 3629's table at each of its boundaries (the lead bytes, the
 * narrowed second bytes of E0, ED, F0 and F4, the continuation range), a character cut off by
 * the end of the bytes told apart from a bad one, and no byte read past n. */
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/utf8.h"

namespace {

struct Case {
  const char *name;
  std::vector<unsigned char> bytes;
  int expected;
};

int length_of(const std::vector<unsigned char> &bytes) {
  return vbp_utf8_char_length(bytes.data(), bytes.size());
}

TEST(Utf8, EachLeadByteTakesItsLengthAndOnlyValidSequencesCount) {
  const std::vector<Case> cases = {
      {"NUL", {0x00}, 1},
      {"the last ASCII byte", {0x7F}, 1},
      {"ASCII followed by more", {'a', 0xC3, 0xA9}, 1},
      {"a lone continuation byte, lowest", {0x80}, 0},
      {"a lone continuation byte, highest", {0xBF}, 0},
      {"C0: an overlong two-byte lead", {0xC0, 0x80}, 0},
      {"C1: an overlong two-byte lead", {0xC1, 0xBF}, 0},
      {"C2 80: U+0080, the first two-byte character", {0xC2, 0x80}, 2},
      {"DF BF: U+07FF, the last two-byte character", {0xDF, 0xBF}, 2},
      {"a two-byte lead before ASCII", {0xC3, 0x41}, 0},
      {"a two-byte lead before a lead", {0xC3, 0xC3}, 0},
      {"E0 9F BF: an overlong three-byte form", {0xE0, 0x9F, 0xBF}, 0},
      {"E0 A0 80: U+0800, the first three-byte character", {0xE0, 0xA0, 0x80}, 3},
      {"E1 80 80: U+1000", {0xE1, 0x80, 0x80}, 3},
      {"E9 9B 86: 集", {0xE9, 0x9B, 0x86}, 3},
      {"ED 9F BF: U+D7FF, the last before the surrogates", {0xED, 0x9F, 0xBF}, 3},
      {"ED A0 80: U+D800, a surrogate", {0xED, 0xA0, 0x80}, 0},
      {"ED BF BF: U+DFFF, a surrogate", {0xED, 0xBF, 0xBF}, 0},
      {"EE 80 80: U+E000, the first after the surrogates", {0xEE, 0x80, 0x80}, 3},
      {"EF BF BD: U+FFFD", {0xEF, 0xBF, 0xBD}, 3},
      {"a bad third byte", {0xE9, 0x9B, 0x41}, 0},
      {"a third byte past BF", {0xE9, 0x9B, 0xC0}, 0},
      {"F0 8F BF BF: an overlong four-byte form", {0xF0, 0x8F, 0xBF, 0xBF}, 0},
      {"F0 90 80 80: U+10000, the first four-byte character", {0xF0, 0x90, 0x80, 0x80}, 4},
      {"F3 BF BF BF: U+FFFFF", {0xF3, 0xBF, 0xBF, 0xBF}, 4},
      {"F4 8F BF BF: U+10FFFF, the last code point", {0xF4, 0x8F, 0xBF, 0xBF}, 4},
      {"F4 90 80 80: past U+10FFFF", {0xF4, 0x90, 0x80, 0x80}, 0},
      {"F5: no code point", {0xF5, 0x80, 0x80, 0x80}, 0},
      {"FF: never in UTF-8", {0xFF}, 0},
      {"a bad fourth byte", {0xF0, 0x90, 0x80, 0x7F}, 0},
      {"the character's bytes only: what follows is not read", {0xC3, 0xA9, 0xFF}, 2},
  };
  for (const Case &c : cases) EXPECT_EQ(length_of(c.bytes), c.expected) << c.name;
}

TEST(Utf8, ACharacterCutOffByTheEndIsToldApartFromABadOne) {
  const std::vector<Case> cases = {
      {"a two-byte lead alone", {0xC3}, -1},
      {"a three-byte lead alone", {0xE9}, -1},
      {"two of three bytes", {0xE9, 0x9B}, -1},
      {"one of four bytes", {0xF0}, -1},
      {"three of four bytes", {0xF0, 0x90, 0x80}, -1},
      {"a cut surrogate is bad, not cut", {0xED, 0xA0}, 0},
      {"a cut overlong is bad, not cut", {0xE0, 0x80}, 0},
      {"a cut character with a bad byte is bad", {0xF0, 0x90, 0x41}, 0},
      {"a lead that begins nothing is bad, not cut", {0xC0}, 0},
  };
  for (const Case &c : cases) EXPECT_EQ(length_of(c.bytes), c.expected) << c.name;
}

TEST(Utf8, NoBytesAreNoCharacter) {
  const unsigned char byte = 'a';
  EXPECT_EQ(vbp_utf8_char_length(&byte, 0), 0);
}

TEST(Utf8, ReadsNoFurtherThanN) {
  /* n stops inside a valid character whose rest is there: the rest is not looked at. */
  const unsigned char bytes[] = {0xE9, 0x9B, 0x86};
  EXPECT_EQ(vbp_utf8_char_length(bytes, 1), -1);
  EXPECT_EQ(vbp_utf8_char_length(bytes, 2), -1);
  EXPECT_EQ(vbp_utf8_char_length(bytes, 3), 3);
}

TEST(Utf8, EveryLeadByteAgreesWithTheTable) {
  /* Each byte value followed by the continuation bytes its own range allows. */
  for (int b = 0; b < 256; b++) {
    std::vector<unsigned char> bytes = {static_cast<unsigned char>(b)};
    int expected;
    if (b < 0x80) {
      expected = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      expected = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      expected = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      expected = 4;
    } else {
      expected = 0;
    }
    unsigned char second = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
    for (int i = 1; i < expected; i++) bytes.push_back(i == 1 ? second : 0x80);
    EXPECT_EQ(length_of(bytes), expected) << std::hex << b;
  }
}

}  // namespace
