/* gzip (gateway/compress.h) through zlib, and a request's answer compressed when it may be. */
#include "gateway/compress.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "common/arena.h"
#include "gateway/gateway.h"

/* ---------------------------------------------------------------- Accept-Encoding */

/* The weight of one element's parameters (";q=0.5"): 1 without a q, 0 when malformed. */
static double weight(const char *params, size_t len) {
  const char *p = params, *end = params + len;
  while (p < end) {
    while (p < end && (*p == ';' || isspace((unsigned char)*p))) p++;
    if (end - p >= 2 && tolower((unsigned char)p[0]) == 'q' && p[1] == '=') {
      char *after = NULL;
      char number[16];
      size_t n = strcspn(p + 2, ";");
      if (p + 2 + n > end) n = (size_t)(end - p - 2);
      while (n > 0 && isspace((unsigned char)p[1 + n])) n--;
      if (n == 0 || n >= sizeof number) return 0;
      memcpy(number, p + 2, n);
      number[n] = '\0';
      /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
      if (strspn(number, "0123456789.") != n || (number[0] != '0' && number[0] != '1')) return 0;
      double q = strtod(number, &after);
      return *after || q > 1 ? 0 : q;
    }
    while (p < end && *p != ';') p++;
  }
  return 1;
}

bool gw_accepts_gzip(const char *accept_encoding) {
  double gzip = -1, any = -1; /* -1: not named */
  const char *p = accept_encoding ? accept_encoding : "", *element;
  size_t len;
  while (gw_list_next(&p, &element, &len)) {
    size_t name = strcspn(element, ";, \t");
    if (name > len) name = len;
    double q = weight(element + name, len - name);
    if ((name == 4 && strncasecmp(element, "gzip", 4) == 0) ||
        (name == 6 && strncasecmp(element, "x-gzip", 6) == 0))
      gzip = q;
    else if (name == 1 && *element == '*')
      any = q;
  }
  return gzip >= 0 ? gzip > 0 : any > 0;
}

/* ---------------------------------------------------------------- gzip */

struct gw_gzip {
  z_stream zs;
};

gw_gzip *gw_gzip_create(void) {
  gw_gzip *z = vbp_xcalloc(1, sizeof *z);
  /* 15 + 16: a gzip header and trailer around the deflate stream; level 6, zlib's default. */
  if (deflateInit2(&z->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    abort(); /* only for want of memory: the arguments are constants */
  return z;
}

void gw_gzip_destroy(gw_gzip *z) {
  if (!z) return;
  deflateEnd(&z->zs);
  free(z);
}

/* Runs deflate over what zs holds with flush, emitting every output block. */
static void run(gw_gzip *z, int flush, gw_emit_fn emit, void *ctx) {
  char out[16384];
  do {
    z->zs.next_out = (Bytef *)out;
    z->zs.avail_out = sizeof out;
    int rc = deflate(&z->zs, flush);
    if (rc == Z_STREAM_ERROR) abort(); /* a bug of ours: zs is ours alone */
    size_t made = sizeof out - z->zs.avail_out;
    if (made) emit(ctx, out, made);
  } while (z->zs.avail_out == 0); /* else all was taken (and flushed, or finished) */
}

void gw_gzip_put(gw_gzip *z, const char *data, size_t n, bool flush, gw_emit_fn emit, void *ctx) {
  z->zs.next_in = (Bytef *)data;
  z->zs.avail_in = (uInt)n;
  run(z, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH, emit, ctx);
}

void gw_gzip_finish(gw_gzip *z, gw_emit_fn emit, void *ctx) {
  z->zs.next_in = NULL;
  z->zs.avail_in = 0;
  run(z, Z_FINISH, emit, ctx);
}

typedef struct growing {
  char *data;
  size_t len, cap;
} growing;

static void grow(void *ctx, const char *bytes, size_t n) {
  growing *g = ctx;
  if (g->len + n > g->cap) {
    g->cap = (g->len + n) * 2;
    g->data = realloc(g->data, g->cap);
    if (!g->data) abort();
  }
  memcpy(g->data + g->len, bytes, n);
  g->len += n;
}

char *gw_gzip_buffer(const char *data, size_t n, size_t *out_len) {
  growing g = {0};
  gw_gzip *z = gw_gzip_create();
  gw_gzip_put(z, data, n, false, grow, &g);
  gw_gzip_finish(z, grow, &g);
  gw_gzip_destroy(z);
  *out_len = g.len;
  return g.data;
}

/* ---------------------------------------------------------------- answers */

void gw_compress_answer(gw_request *r) {
  if (r->encoded || r->answer_len <= GW_COMPRESS_MIN) return;
  r->vary_encoding = true; /* another Accept-Encoding could have been answered otherwise */
  if (!gw_accepts_gzip(gw_header(r, "Accept-Encoding"))) return;
  size_t len = 0;
  char *gzipped = gw_gzip_buffer(r->answer, r->answer_len, &len);
  free(r->answer);
  r->answer = gzipped;
  r->answer_len = len;
  r->content_encoding = "gzip";
}
