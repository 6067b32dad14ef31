/* The checks of a request's head that libmicrohttpd 0.9.75 leaves to its user, made before the
 * request is routed: how its body is delimited (RFC 9112 §6: Content-Length, Transfer-Encoding;
 * a disagreement there is how a second request is smuggled in a body), the Host it names
 * (§3.2), the size of its target and head, and the media type of a body. Each answers a refusal
 * for the API's JSON error body. Pure: no I/O, no allocation, thread-safe. */
#ifndef GW_CONFORMANCE_H
#define GW_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Below libmicrohttpd's own limits (its 32 KiB per-connection memory pool holds the whole head),
 * so that a request over them meets the gateway's JSON refusal, not libmicrohttpd's HTML. */
#define GW_MAX_TARGET_BYTES (8 * 1024)
#define GW_MAX_HEAD_BYTES (16 * 1024)

/* One header field line as received: name and value, both NUL-terminated. */
typedef struct gw_field {
  const char *name, *value;
} gw_field;

/* What the checks need of a request's head. */
typedef struct gw_head {
  const gw_field *fields; /* every header field line, in order, duplicates kept */
  size_t n_fields;
  bool http_1_0;     /* an HTTP/1.0 request (which may leave out Host) */
  size_t target_len; /* the request-target as sent, query included */
  size_t head_len;   /* the request line and header section, in bytes */
} gw_head;

/* Why a request is refused; status 0 when it is not. Strings are static but reason. */
typedef struct gw_refusal {
  unsigned status;       /* the HTTP status */
  const char *code_name; /* API.md's "code": "INVALID_ARGUMENT", "UNIMPLEMENTED", ... */
  const char *field;     /* the header at fault ("Content-Length"), or NULL */
  char reason[96];       /* what is wrong with it; the whole message when field is NULL */
  bool close;            /* the body's end cannot be known: answer at once, then close */
} gw_refusal;

/* Checks head, in this order, and returns the first refusal (status 0 when none):
 * - framing, with close set: Transfer-Encoding together with Content-Length (400); on an
 *   HTTP/1.0 request (400); naming a coding other than chunked (501 UNIMPLEMENTED: chunked is
 *   the only one this server decodes); or not naming chunked exactly once (400). Content-Length
 *   given more than once with different values (400; the same value twice is one).
 *   libmicrohttpd refuses a single malformed Content-Length itself, before any of this runs.
 * - size: a target over GW_MAX_TARGET_BYTES (414 URI_TOO_LONG), a head over
 *   GW_MAX_HEAD_BYTES (431 REQUEST_HEADER_FIELDS_TOO_LARGE).
 * - Host: missing from an HTTP/1.1 request, or given more than once (400). */
gw_refusal gw_check_head(const gw_head *head);

/* Checks that a body's Content-Type (NULL when the request has none) is media_type
 * ("application/json"), compared without case, with any parameters, of which a charset must be
 * utf-8 (quoted or not). Otherwise 415 UNSUPPORTED_MEDIA_TYPE naming Content-Type. */
gw_refusal gw_check_media_type(const char *content_type, const char *media_type);

#ifdef __cplusplus
}
#endif
#endif
