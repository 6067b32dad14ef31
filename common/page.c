#include "common/page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

vbp_status vbp_page_size(int32_t requested, int *out) {
  if (requested < 0) return vbp_invalid("pageSize", "must not be negative");
  *out = requested == 0                  ? VBP_PAGE_SIZE_DEFAULT
         : requested > VBP_PAGE_SIZE_MAX ? VBP_PAGE_SIZE_MAX
                                         : requested;
  return vbp_status_ok();
}

/* A token is base64url(VERSION, tag, last key XOR keystream): a deterministic authenticated
 * encryption (SIV) built from HMAC-SHA256 alone. The tag is a MAC over the caller, the query and
 * the last key, and also the seed of the keystream, so the key inside is unreadable and any
 * change to the token, or its use on another query or by another caller, fails the MAC. Two
 * keys derived from the secret keep the MAC and the keystream apart. */
#define VERSION 1
#define TAG_LEN 16
#define TOKEN_MAX 1024 /* characters: a last key of some 750 bytes */

typedef struct token_keys {
  unsigned char mac[32], stream[32];
} token_keys;

static void derive(const char *secret, token_keys *k) {
  static const char mac_label[] = "vbp page token mac", stream_label[] = "vbp page token stream";
  vbp_hmac_sha256(secret, strlen(secret), mac_label, sizeof mac_label - 1, k->mac);
  vbp_hmac_sha256(secret, strlen(secret), stream_label, sizeof stream_label - 1, k->stream);
}

/* The tag of last_key (n bytes) for caller and scope. Each part goes in with its length, so no
 * part can bleed into the next. */
static void token_tag(vbp_arena *arena, const token_keys *k, const vbp_caller *caller,
                      const char *scope, const char *last_key, size_t n, unsigned char *tag) {
  char *head = vbp_arena_printf(arena, "%d\n%zu:%s\n%zu:%s\n%zu:%s\n%zu:", (int)caller->role,
                                strlen(caller->org_id), caller->org_id, strlen(caller->region_code),
                                caller->region_code, strlen(scope), scope, n);
  size_t head_len = strlen(head);
  char *text = vbp_arena_alloc(arena, head_len + n + 1);
  memcpy(text, head, head_len);
  memcpy(text + head_len, last_key, n);
  unsigned char mac[32];
  vbp_hmac_sha256(k->mac, sizeof k->mac, text, head_len + n, mac);
  memcpy(tag, mac, TAG_LEN);
}

/* XORs data (n bytes) with the keystream seeded by tag: HMAC(stream key, tag || block number). */
static void keystream_xor(const token_keys *k, const unsigned char *tag, unsigned char *data,
                          size_t n) {
  for (size_t block = 0; block * 32 < n; block++) {
    unsigned char seed[TAG_LEN + 4], pad[32];
    memcpy(seed, tag, TAG_LEN);
    for (int i = 0; i < 4; i++) seed[TAG_LEN + i] = (unsigned char)(block >> (24 - 8 * i));
    vbp_hmac_sha256(k->stream, sizeof k->stream, seed, sizeof seed, pad);
    for (size_t i = 0; i < 32 && block * 32 + i < n; i++) data[block * 32 + i] ^= pad[i];
  }
}

char *vbp_page_token_encode(vbp_arena *arena, const char *secret, const vbp_caller *caller,
                            const char *scope, const char *last_key) {
  token_keys k;
  derive(secret, &k);
  size_t n = strlen(last_key);
  size_t raw_len = 1 + TAG_LEN + n;
  unsigned char *raw = vbp_arena_alloc(arena, raw_len);
  raw[0] = VERSION;
  token_tag(arena, &k, caller, scope, last_key, n, raw + 1);
  memcpy(raw + 1 + TAG_LEN, last_key, n);
  keystream_xor(&k, raw + 1, raw + 1 + TAG_LEN, n);
  OPENSSL_cleanse(&k, sizeof k);
  unsigned char *b64 = vbp_arena_alloc(arena, 4 * ((raw_len + 2) / 3) + 1);
  int len = EVP_EncodeBlock(b64, raw, (int)raw_len);
  /* URL-safe alphabet, no padding: tokens travel in query strings. */
  while (len > 0 && b64[len - 1] == '=') b64[--len] = '\0';
  for (int i = 0; i < len; i++) {
    if (b64[i] == '+') b64[i] = '-';
    if (b64[i] == '/') b64[i] = '_';
  }
  return (char *)b64;
}

/* The bytes of a base64url token (no padding) into *raw, or false when it is not base64url. */
static bool base64url_decode(vbp_arena *arena, const char *token, unsigned char **raw,
                             size_t *raw_len) {
  size_t n = strlen(token);
  if (n % 4 == 1) return false; /* never valid base64 */
  char *b64 = vbp_arena_alloc(arena, n + 4);
  for (size_t i = 0; i < n; i++) {
    char ch = token[i];
    if (ch == '+' || ch == '/' || ch == '=') return false;
    b64[i] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
  }
  size_t padded = n;
  while (padded % 4) b64[padded++] = '=';
  unsigned char *out = vbp_arena_alloc(arena, padded + 1);
  int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)padded);
  if (len < 0) return false;
  len -= (int)(padded - n); /* DecodeBlock counts the padding as zero bytes */
  if (len < 0) return false;
  *raw = out;
  *raw_len = (size_t)len;
  return true;
}

vbp_status vbp_page_token_decode(vbp_arena *arena, const char *secret, const vbp_caller *caller,
                                 const char *scope, const char *token, const char **last_key) {
  if (!token || !*token) {
    *last_key = "";
    return vbp_status_ok();
  }
  if (strlen(token) > TOKEN_MAX) return vbp_invalid("pageToken", "is too long");
  unsigned char *raw = NULL;
  size_t raw_len = 0;
  if (!base64url_decode(arena, token, &raw, &raw_len) || raw_len < 1 + TAG_LEN || raw[0] != VERSION)
    return vbp_invalid("pageToken", "is malformed");
  token_keys k;
  derive(secret, &k);
  size_t n = raw_len - 1 - TAG_LEN;
  char *key = vbp_arena_alloc(arena, n + 1);
  memcpy(key, raw + 1 + TAG_LEN, n);
  keystream_xor(&k, raw + 1, (unsigned char *)key, n);
  key[n] = '\0';
  unsigned char tag[TAG_LEN];
  token_tag(arena, &k, caller, scope, key, n, tag);
  OPENSSL_cleanse(&k, sizeof k);
  /* One answer for every mismatch: which part failed is nothing a client should learn. */
  if (CRYPTO_memcmp(tag, raw + 1, TAG_LEN) != 0 || memchr(key, '\0', n))
    return vbp_invalid("pageToken", "is not a token of this query");
  *last_key = key;
  return vbp_status_ok();
}
