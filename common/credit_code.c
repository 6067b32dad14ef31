#include "common/credit_code.h"

#include <stdio.h>
#include <string.h>

#define CREDIT_CODE_LEN 18
#define CREDIT_CODE_BASE 31

/* GB 32100-2015: the digits and the upper-case letters without I, O, S, V, Z (too easily read
 * as 1, 0, 5, U, 2). A character's value is its index here. */
static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const int weights[CREDIT_CODE_LEN - 1] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                 29, 25, 13, 8,  24, 10, 30, 28};

/* The value of c in the alphabet, or -1. Upper case only: the standard has no lower case. */
static int char_value(char c) {
  if (c == '\0') return -1; /* strchr would find the terminator */
  const char *found = strchr(alphabet, c);
  return found ? (int)(found - alphabet) : -1;
}

char vbp_credit_code_check_char(const char *first17) {
  int sum = 0;
  for (int i = 0; i < CREDIT_CODE_LEN - 1; i++) {
    int value = char_value(first17[i]); /* a short string stops here at its NUL */
    if (value < 0) return 0;
    sum += value * weights[i];
  }
  /* 31 - 0 would be 31, one past the alphabet: the standard maps it to '0'. */
  return alphabet[(CREDIT_CODE_BASE - sum % CREDIT_CODE_BASE) % CREDIT_CODE_BASE];
}

/* printf into reason_buf when the caller gave one. */
#define SET_REASON(...)                                      \
  do {                                                       \
    if (reason_buf != NULL && reason_len > 0)                \
      snprintf(reason_buf, (size_t)reason_len, __VA_ARGS__); \
  } while (0)

bool vbp_credit_code_check(const char *code, char *reason_buf, int reason_len) {
  if (code == NULL || strlen(code) != CREDIT_CODE_LEN) {
    SET_REASON("must be 18 characters");
    return false;
  }
  for (int i = 0; i < CREDIT_CODE_LEN; i++) {
    if (char_value(code[i]) >= 0) continue;
    unsigned char c = (unsigned char)code[i];
    if (c >= 'a' && c <= 'z' && char_value((char)(c - 'a' + 'A')) >= 0)
      SET_REASON("has '%c' at position %d; letters must be upper case", c, i + 1);
    else if (c >= 0x21 && c <= 0x7e)
      SET_REASON("has '%c' at position %d, outside the GB 32100 alphabet", c, i + 1);
    else /* not printable (or a byte of a multi-byte character): show its value */
      SET_REASON("has byte 0x%02X at position %d, outside the GB 32100 alphabet", c, i + 1);
    return false;
  }
  char expected = vbp_credit_code_check_char(code);
  if (code[CREDIT_CODE_LEN - 1] != expected) {
    SET_REASON("fails the GB 32100 check (last character should be '%c')", expected);
    return false;
  }
  return true;
}
