/* Conditional GET (gateway/etag.h), and a request's answer turned into a 304 when it may be. */
#include "gateway/etag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/identity.h"
#include "gateway/gateway.h"

void gw_etag_make(const char *version, const char *body, size_t len, char out[GW_ETAG_MAX]) {
  char digest[65];
  vbp_sha256_hex(body, len, digest);
  snprintf(out, GW_ETAG_MAX, "\"%.96s-%.32s\"", version, digest);
}

bool gw_etag_matches(const char *if_none_match, const char *etag) {
  if (!if_none_match) return false;
  const char *p = if_none_match;
  size_t etag_len = strlen(etag);
  p += strspn(p, " \t");
  if (*p == '*') return p[1 + strspn(p + 1, " \t")] == '\0';
  /* Split on the quotes, not on commas: an entity-tag may hold a comma. */
  while (*p) {
    p += strspn(p, " \t,");
    if (!*p) break;
    if (strncmp(p, "W/", 2) == 0) p += 2;
    if (*p != '"') return false;
    const char *close = strchr(p + 1, '"');
    if (!close) return false;
    size_t n = (size_t)(close - p) + 1;
    if (n == etag_len && memcmp(p, etag, n) == 0) return true;
    p = close + 1;
    p += strspn(p, " \t");
    if (*p && *p != ',') return false;
  }
  return false;
}

void gw_conditional(gw_request *r) {
  /* HEAD answers as GET does, validators and 304 included (RFC 9110 9.3.2). */
  if (!r->backend_etag[0] || r->status != 200 ||
      (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0))
    return;
  /* Only what an opaque tag may hold: a backend that sends more gets no ETag. */
  size_t n = strlen(r->backend_etag);
  if (strspn(r->backend_etag,
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
    return;
  char etag[GW_ETAG_MAX];
  gw_etag_make(r->backend_etag, r->answer, r->answer_len, etag);
  r->etag = vbp_arena_strdup(r->arena, etag);
  if (!gw_etag_matches(gw_header(r, "If-None-Match"), etag)) return;
  /* The client holds these very bytes: no body, and no header that describes one. */
  free(r->answer);
  r->answer = NULL;
  r->answer_len = 0;
  r->status = 304;
  r->content_type = NULL;
  r->content_encoding = NULL;
}
