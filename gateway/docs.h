/* The API explorer at GET /docs: Swagger UI over /openapi.json. Its files (gateway/docs/: our
 * index.html and swagger-initializer.js, and the npm package swagger-ui-dist, which the build
 * gathers into one directory) are read once at start-up from VBP_DOCS_DIR and served from memory,
 * each with a strong ETag and, when it shrinks, a gzipped copy made once. A request path only
 * ever picks one of the files loaded: nothing a client sends reaches the filesystem. */
#ifndef GW_DOCS_H
#define GW_DOCS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"
#include "gateway/etag.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_DOCS_PREFIX "/docs"
#define GW_DOCS_INDEX "index.html"
#define GW_DOCS_NAME_MAX 64
#define GW_DOCS_MAX_FILES 64
#define GW_DOCS_MAX_BYTES (32 * 1024 * 1024) /* all the files together */

/* What a request path is to the explorer. */
typedef enum gw_docs_path {
  GW_DOCS_OTHER, /* not under /docs: someone else's */
  GW_DOCS_FILE,  /* names a file (which may still be missing) */
  GW_DOCS_BAD,   /* under /docs/ but no file can have that name: 404 */
} gw_docs_path;

/* Classifies path (the request-target's path, percent-encoded as sent, no query). "/docs" and
 * "/docs/" name index.html; "/docs/NAME" names NAME when it is a file name the explorer may have
 * (gw_docs_valid_name); *name and *len then point into path (or at a static "index.html").
 * Anything else under "/docs/" (another '/', a '%' escape, "..", an empty or hidden name) is
 * GW_DOCS_BAD; "/docsx" is GW_DOCS_OTHER. Pure. */
gw_docs_path gw_docs_classify(const char *path, const char **name, size_t *len);

/* Whether name[0..len) may name a file of the explorer: 1 to GW_DOCS_NAME_MAX of
 * [A-Za-z0-9._-], not starting with '.', with an extension gw_docs_content_type knows. So no
 * separator, no escape and no "." or ".." can ever be one. Pure. */
bool gw_docs_valid_name(const char *name, size_t len);

/* The Content-Type of a file name by its extension (case-sensitive, as the build names them):
 * html, js, css (UTF-8), png, svg, ico, json, map, txt; NULL for any other. Pure. */
const char *gw_docs_content_type(const char *name, size_t len);

/* One file, as served. */
typedef struct gw_docs_file {
  char name[GW_DOCS_NAME_MAX + 1];
  const char *content_type; /* static */
  char *data;               /* owned */
  size_t len;
  char etag[GW_ETAG_MAX];
  char *gzip; /* owned; NULL when gzip would not make it smaller or it is already compressed */
  size_t gzip_len;
  char gzip_etag[GW_ETAG_MAX]; /* another tag: other bytes */
} gw_docs_file;

typedef struct gw_docs gw_docs;

/* Reads every regular file of dir whose name passes gw_docs_valid_name (others are skipped, and
 * subdirectories too), at most GW_DOCS_MAX_FILES of them and GW_DOCS_MAX_BYTES in all, into a
 * new gw_docs (*out, which the caller destroys). FAILED_PRECONDITION naming VBP_DOCS_DIR when
 * dir cannot be read, has no index.html, or is too large. Not thread-safe; the result is
 * read-only and may then be shared by every thread. */
vbp_status gw_docs_load(const char *dir, gw_docs **out);
void gw_docs_destroy(gw_docs *docs);

/* The file named name[0..len), or NULL. Owned by docs. Thread-safe. */
const gw_docs_file *gw_docs_find(const gw_docs *docs, const char *name, size_t len);
size_t gw_docs_count(const gw_docs *docs);

#ifdef __cplusplus
}
#endif
#endif
