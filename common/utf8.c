#include "common/utf8.h"

int vbp_utf8_char_length(const unsigned char *s, size_t n) {
  if (n == 0) return 0;
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  int len;
  if (c < 0x80) return 1;
  /* RFC 3629's table: the lead byte sets the length, and E0, ED, F0 and F4 narrow the range of
   * the second byte (overlongs below, surrogates and code points past U+10FFFF above). */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (int i = 1; i < len; i++, lo = 0x80, hi = 0xBF) {
    if ((size_t)i == n) return -1;
    if (s[i] < lo || s[i] > hi) return 0;
  }
  return len;
}
