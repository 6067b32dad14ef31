/* gzip for answers, through zlib: whole answers over GW_COMPRESS_MIN bytes when the client's
 * Accept-Encoding takes gzip, and streamed NDJSON as it streams, each message flushed
 * (Z_SYNC_FLUSH) so that the client can read it as soon as it arrives. */
#ifndef GW_COMPRESS_H
#define GW_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Smaller answers go as they are: gzip would save a few bytes, or add some. */
#define GW_COMPRESS_MIN 1024

/* Whether an Accept-Encoding value (RFC 9110 12.5.3: codings with optional ";q=" weights, any
 * case and spacing) takes gzip: "gzip" (or "x-gzip") with a weight above 0, or else "*" with a
 * weight above 0. "gzip;q=0" refuses it, even beside "*"; NULL (no header) takes nothing here
 * (identity is always fine). A weight that does not parse counts as 0. Pure. */
bool gw_accepts_gzip(const char *accept_encoding);

/* Receives compressed bytes as they are made. */
typedef void (*gw_emit_fn)(void *ctx, const char *bytes, size_t n);

typedef struct gw_gzip gw_gzip;

/* A gzip stream (one member). Out of memory aborts. Not thread-safe: one writer at a time. */
gw_gzip *gw_gzip_create(void);
void gw_gzip_destroy(gw_gzip *z);

/* Compresses data[0..n) and emits what zlib made; with flush, everything put so far can be
 * decompressed from what was emitted (Z_SYNC_FLUSH). */
void gw_gzip_put(gw_gzip *z, const char *data, size_t n, bool flush, gw_emit_fn emit, void *ctx);

/* Ends the stream: emits the rest and the gzip trailer. Nothing may be put after. */
void gw_gzip_finish(gw_gzip *z, gw_emit_fn emit, void *ctx);

/* data[0..n) gzipped whole into a new malloc'd buffer (the caller frees it) of *out_len bytes. */
char *gw_gzip_buffer(const char *data, size_t n, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
