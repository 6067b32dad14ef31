/* UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing above U+10FFFF), the
 * one check of the tree: the JSON-line logs and the gateway's JSON both keep text valid UTF-8
 * with it. Pure and thread-safe. */
#ifndef VBP_UTF8_H
#define VBP_UTF8_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many bytes the character at the start of s[0..n) takes: 1 to 4 when a whole, valid one
 * starts there; 0 when none does (n is 0, or a byte is not what RFC 3629 allows at its place);
 * -1 when the bytes up to n are a valid beginning that n cuts off, so a caller that cut the text
 * at a byte count can tell a cut character from a bad one. Reads at most min(n, 4) bytes of s,
 * which is the caller's. */
int vbp_utf8_char_length(const unsigned char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
