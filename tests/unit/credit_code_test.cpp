/* Unified social credit codes (GB 32100-2015, DOMAIN.md "Entities"). The valid codes below were
 * checked with an implementation written apart from common/credit_code.c, and each of the real
 * ones also passes the GB 11714 check of its organisation code (characters 9..17). */
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "common/credit_code.h"

namespace {

const char kAlphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const char *const kValidCodes[] = {
    "91350100M000100Y43", /* the example in the brief: Fuzhou (350100), check '3' */
    "9144030071526726XG", /* a Shenzhen (440300) company, check 'G' */
    "914403001922038216", /* a Shenzhen (440300) company, check '6' */
    "91350100MA2Y123420", /* made up: sum mod 31 == 0, so 31 - 0 = 31 maps to '0' */
    "000000000000000000", /* the degenerate case of the same rule */
};

std::string reason_for(const char *code) {
  char reason[128] = "untouched";
  EXPECT_FALSE(vbp_credit_code_check(code, reason, sizeof reason)) << (code ? code : "NULL");
  return reason;
}

TEST(CreditCode, AcceptsCodesWhoseLastCharacterMatchesTheCheck) {
  for (const char *code : kValidCodes) {
    char reason[128] = "untouched";
    EXPECT_TRUE(vbp_credit_code_check(code, reason, sizeof reason)) << code << ": " << reason;
    EXPECT_TRUE(vbp_credit_code_check(code, nullptr, 0)) << code;
    EXPECT_EQ(vbp_credit_code_check_char(code), code[17]) << code; /* reads only 17 chars */
  }
}

TEST(CreditCode, ASumDivisibleByThirtyOneCallsForZero) {
  EXPECT_EQ(vbp_credit_code_check_char("91350100MA2Y12342"), '0');
  EXPECT_EQ(vbp_credit_code_check_char("91350100123456780"), '0');
  EXPECT_EQ(vbp_credit_code_check_char("00000000000000000"), '0');
}

TEST(CreditCode, RejectsEveryOtherCheckCharacterAndNamesTheRightOne) {
  for (const char *code : kValidCodes) {
    for (const char *c = kAlphabet; *c; c++) {
      if (*c == code[17]) continue;
      std::string wrong = code;
      wrong[17] = *c;
      EXPECT_EQ(
          reason_for(wrong.c_str()),
          std::string("fails the GB 32100 check (last character should be '") + code[17] + "')")
          << wrong;
    }
  }
}

TEST(CreditCode, DetectsAnySingleChangedCharacter) {
  /* Every weight is below 31, a prime, so one substitution always changes the sum mod 31. */
  for (const char *code : kValidCodes) {
    for (int position = 0; position < 17; position++) {
      for (const char *c = kAlphabet; *c; c++) {
        if (*c == code[position]) continue;
        std::string changed = code;
        changed[position] = *c;
        EXPECT_FALSE(vbp_credit_code_check(changed.c_str(), nullptr, 0)) << changed;
      }
    }
  }
}

TEST(CreditCode, RejectsAnyLengthButEighteen) {
  const char *const cases[] = {"", "91350100M000100Y4", "91350100M000100Y433",
                               "91350100M000100Y43 ", "9135010"};
  for (const char *code : cases) EXPECT_EQ(reason_for(code), "must be 18 characters") << code;
  EXPECT_EQ(reason_for(nullptr), "must be 18 characters");
}

TEST(CreditCode, RejectsLowerCaseLetters) {
  EXPECT_EQ(reason_for("91350100m000100Y43"), "has 'm' at position 9; letters must be upper case");
  EXPECT_EQ(reason_for("9144030071526726xg"), "has 'x' at position 17; letters must be upper case");
}

TEST(CreditCode, RejectsTheLettersIOSVZThatTheStandardLeavesOut) {
  for (const char letter : {'I', 'O', 'S', 'V', 'Z', 'i', 'o'}) {
    std::string code = "91350100M000100Y43";
    code[8] = letter;
    EXPECT_EQ(reason_for(code.c_str()),
              std::string("has '") + letter + "' at position 9, outside the GB 32100 alphabet")
        << code;
    std::string first17 = code.substr(0, 17);
    EXPECT_EQ(vbp_credit_code_check_char(first17.c_str()), 0) << first17;
  }
  /* In the check position too: 'O' is not a spelling of '0'. */
  EXPECT_EQ(reason_for("91350100MA2Y12342O"),
            "has 'O' at position 18, outside the GB 32100 alphabet");
}

TEST(CreditCode, RejectsPunctuationSpacesAndOtherBytes) {
  EXPECT_EQ(reason_for("91350100-000100Y43"),
            "has '-' at position 9, outside the GB 32100 alphabet");
  EXPECT_EQ(reason_for("91350100 000100Y43"),
            "has byte 0x20 at position 9, outside the GB 32100 alphabet");
  EXPECT_EQ(reason_for("91350100\xff"
                       "000100Y43"),
            "has byte 0xFF at position 9, outside the GB 32100 alphabet");
}

TEST(CreditCode, CheckCharIsZeroForAShortPrefix) {
  EXPECT_EQ(vbp_credit_code_check_char(""), 0);
  EXPECT_EQ(vbp_credit_code_check_char("91350100M000100"), 0);
}

TEST(CreditCode, ReasonIsTruncatedToTheBufferAndAlwaysTerminated) {
  char reason[8];
  std::memset(reason, 'x', sizeof reason);
  EXPECT_FALSE(vbp_credit_code_check("short", reason, sizeof reason));
  EXPECT_STREQ(reason, "must be");

  char untouched[4] = "abc";
  EXPECT_FALSE(vbp_credit_code_check("short", untouched, 0));
  EXPECT_STREQ(untouched, "abc");
}

} /* namespace */
