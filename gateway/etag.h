/* Conditional GET: a strong ETag for an answer whose backend says which versions of its inputs it
 * reflects (the answer header vbp-etag: pricing-svc's "catalog.own" versions), and 304 Not
 * Modified without a body when If-None-Match names it. The tag also holds a digest of the bytes
 * sent, so two answers that differ never share a tag, whatever the versions say (a look-up made
 * under versions that a write was overtaking, or gzip against identity). Pure. */
#ifndef GW_ETAG_H
#define GW_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GW_ETAG_HEADER "vbp-etag" /* the backend's answer header */
#define GW_ETAG_MAX 192

/* The ETag (quotes included) of body[0..len) answered under version (the backend's vbp-etag,
 * printable ASCII without '"', cut to 96 bytes): "\"<version>-<first 32 hex digits of the
 * SHA-256 of body>\"", into out. */
void gw_etag_make(const char *version, const char *body, size_t len, char out[GW_ETAG_MAX]);

/* Whether an If-None-Match value names etag (RFC 9110 13.1.2: "*" names any; else a list of
 * entity-tags, compared weakly: a W/ prefix is ignored). NULL or malformed names nothing. */
bool gw_etag_matches(const char *if_none_match, const char *etag);

#ifdef __cplusplus
}
#endif
#endif
