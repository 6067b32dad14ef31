#include "common/page.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/identity.h"

vbp_status vbp_page_size(int32_t requested, int *out) {
  if (requested < 0) return vbp_invalid("pageSize", "must not be negative");
  *out = requested == 0                  ? VBP_PAGE_SIZE_DEFAULT
         : requested > VBP_PAGE_SIZE_MAX ? VBP_PAGE_SIZE_MAX
                                         : requested;
  return vbp_status_ok();
}

/* The first 16 hex digits of SHA-256(scope "\n" key): binds the key to its query, and shows
 * when a token was cut short or edited. */
static void token_tag(const char *scope, const char *key, char out[17]) {
  size_t ns = strlen(scope), nk = strlen(key);
  char *text = vbp_xmalloc(ns + nk + 2);
  memcpy(text, scope, ns);
  text[ns] = '\n';
  memcpy(text + ns + 1, key, nk + 1);
  char sha[65];
  vbp_sha256_hex(text, ns + nk + 1, sha);
  free(text);
  memcpy(out, sha, 16);
  out[16] = '\0';
}

char *vbp_page_token_encode(vbp_arena *arena, const char *scope, const char *last_key) {
  char tag[17];
  token_tag(scope, last_key, tag);
  char *plain = vbp_arena_printf(arena, "%s:%s", tag, last_key);
  size_t n = strlen(plain);
  unsigned char *b64 = vbp_arena_alloc(arena, 4 * ((n + 2) / 3) + 1);
  int len = EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)n);
  /* URL-safe alphabet, no padding: tokens travel in query strings. */
  while (len > 0 && b64[len - 1] == '=') b64[--len] = '\0';
  for (int i = 0; i < len; i++) {
    if (b64[i] == '+') b64[i] = '-';
    if (b64[i] == '/') b64[i] = '_';
  }
  return (char *)b64;
}

vbp_status vbp_page_token_decode(vbp_arena *arena, const char *scope, const char *token,
                                 const char **last_key) {
  if (!token || !*token) {
    *last_key = "";
    return vbp_status_ok();
  }
  size_t n = strlen(token);
  if (n > 1024) return vbp_invalid("pageToken", "is too long");
  if (n % 4 == 1) return vbp_invalid("pageToken", "is malformed"); /* never valid base64 */
  char *b64 = vbp_arena_alloc(arena, n + 4);
  for (size_t i = 0; i < n; i++) {
    char ch = token[i];
    if (ch == '-')
      ch = '+';
    else if (ch == '_')
      ch = '/';
    else if (ch == '+' || ch == '/' || ch == '=')
      return vbp_invalid("pageToken", "is malformed");
    b64[i] = ch;
  }
  size_t padded = n;
  while (padded % 4) b64[padded++] = '=';
  unsigned char *plain = vbp_arena_alloc(arena, padded + 1);
  int len = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)padded);
  if (len < 0) return vbp_invalid("pageToken", "is malformed");
  len -= (int)(padded - n); /* DecodeBlock counts the padding as zero bytes */
  plain[len < 0 ? 0 : len] = '\0';
  if (len < 17 || plain[16] != ':' || strlen((char *)plain) != (size_t)len)
    return vbp_invalid("pageToken", "is malformed");
  char tag[17];
  token_tag(scope, (const char *)plain + 17, tag);
  if (memcmp(plain, tag, 16) != 0) return vbp_invalid("pageToken", "does not belong to this query");
  *last_key = (const char *)plain + 17;
  return vbp_status_ok();
}
