/* Lowercase hexadecimal, the one encoder of the tree: digests in metadata and keys (identity's
 * SHA-256 and HMAC), catalog-svc's random API key ids and secrets, the \u00XX escapes of the
 * gateway's JSON. Pure and thread-safe. */
#ifndef VBP_HEX_H
#define VBP_HEX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the 2 * n lowercase hex digits of bytes[0..n), high nibble first, and a NUL into out,
 * which must have room for 2 * n + 1 bytes. bytes and out are the caller's and must not overlap;
 * n may be 0 (out becomes ""). */
void vbp_hex_encode(const void *bytes, size_t n, char *out);

#ifdef __cplusplus
}
#endif
#endif
