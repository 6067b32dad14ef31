/* The headers every answer carries besides X-Request-Id and its Content-Type, however it was made
 * (gateway.h's gw_response_headers). One place, so that a buffer, a stream and a 304 agree. */
#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "gateway/gateway.h"

bool gw_list_next(const char **p, const char **element, size_t *len) {
  while (**p) {
    const char *start = *p, *end = start + strcspn(start, ",");
    *p = *end ? end + 1 : end;
    while (start < end && isspace((unsigned char)*start)) start++;
    while (end > start && isspace((unsigned char)end[-1])) end--;
    if (start == end) continue;
    *element = start;
    *len = (size_t)(end - start);
    return true;
  }
  return false;
}

void gw_response_headers(gw_request *r, struct MHD_Response *response) {
  /* A request whose framing cannot be trusted ends its connection, and so does every answer of
   * a stopping gateway: the client goes elsewhere. */
  if (r->close || gw_stopping(r->server)) MHD_add_response_header(response, "Connection", "close");
  if (r->allow) MHD_add_response_header(response, "Allow", r->allow);
  /* RFC 7235: a 401 names the scheme that would do. */
  if (r->status == 401) MHD_add_response_header(response, "WWW-Authenticate", "Bearer");
  if (r->retry_after_s > 0) {
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", r->retry_after_s);
    MHD_add_response_header(response, "Retry-After", seconds);
  }
  gw_cors_headers(r, response);
  if (r->content_encoding)
    MHD_add_response_header(response, "Content-Encoding", r->content_encoding);
  bool origin = gw_cors_varies(r->server->cors);
  if (origin || r->vary_encoding) {
    char vary[64];
    snprintf(vary, sizeof vary, "%s%s%s", origin ? "Origin" : "",
             origin && r->vary_encoding ? ", " : "", r->vary_encoding ? "Accept-Encoding" : "");
    MHD_add_response_header(response, "Vary", vary);
  }
  if (r->etag) {
    MHD_add_response_header(response, "ETag", r->etag);
    /* Kept by the client alone, and asked about again before each use: prices change. */
    MHD_add_response_header(response, "Cache-Control",
                            r->cache_control ? r->cache_control : "private, no-cache");
  }
}
