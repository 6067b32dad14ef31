/* The API explorer's files (gateway/docs.h), and a request for one answered. */
#include "gateway/docs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "gateway/compress.h"
#include "gateway/gateway.h"

/* ---------------------------------------------------------------- paths */

static const struct {
  const char *extension, *content_type;
  bool compressible;
} types[] = {
    {".html", "text/html; charset=utf-8", true},
    {".js", "text/javascript; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json", true},
    {".map", "application/json", true},
    {".txt", "text/plain; charset=utf-8", true},
    {".svg", "image/svg+xml", true},
    {".png", "image/png", false}, /* compressed already */
    {".ico", "image/x-icon", true},
};

static int type_of(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    size_t n = strlen(types[i].extension);
    /* A name that is only an extension (".js") is hidden, and refused before this. */
    if (len > n && memcmp(name + len - n, types[i].extension, n) == 0) return (int)i;
  }
  return -1;
}

const char *gw_docs_content_type(const char *name, size_t len) {
  int t = type_of(name, len);
  return t < 0 ? NULL : types[t].content_type;
}

bool gw_docs_valid_name(const char *name, size_t len) {
  if (len == 0 || len > GW_DOCS_NAME_MAX || name[0] == '.') return false;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  }
  return type_of(name, len) >= 0;
}

gw_docs_path gw_docs_classify(const char *path, const char **name, size_t *len) {
  static const char index[] = GW_DOCS_INDEX;
  size_t prefix = sizeof GW_DOCS_PREFIX - 1;
  if (strncmp(path, GW_DOCS_PREFIX, prefix) != 0) return GW_DOCS_OTHER;
  const char *rest = path + prefix;
  if (*rest == '\0' || strcmp(rest, "/") == 0) {
    *name = index;
    *len = sizeof index - 1;
    return GW_DOCS_FILE;
  }
  if (*rest != '/') return GW_DOCS_OTHER; /* "/docsx" */
  rest++;
  /* The name as sent: an escape ("%2e%2e", "%2f") is refused, not decoded, since no file of
   * ours needs one. */
  size_t n = strlen(rest);
  if (!gw_docs_valid_name(rest, n)) return GW_DOCS_BAD;
  *name = rest;
  *len = n;
  return GW_DOCS_FILE;
}

/* ---------------------------------------------------------------- the files */

struct gw_docs {
  gw_docs_file files[GW_DOCS_MAX_FILES];
  size_t n;
};

size_t gw_docs_count(const gw_docs *docs) { return docs ? docs->n : 0; }

const gw_docs_file *gw_docs_find(const gw_docs *docs, const char *name, size_t len) {
  if (!docs) return NULL;
  for (size_t i = 0; i < docs->n; i++)
    if (strlen(docs->files[i].name) == len && memcmp(docs->files[i].name, name, len) == 0)
      return &docs->files[i];
  return NULL;
}

void gw_docs_destroy(gw_docs *docs) {
  if (!docs) return;
  for (size_t i = 0; i < docs->n; i++) {
    free(docs->files[i].data);
    free(docs->files[i].gzip);
  }
  free(docs);
}

/* Reads the regular file name of dirfd whole into f; false (with *st) when it cannot, or when it
 * is not a regular file, in which case *st stays OK and the file is skipped. */
static bool read_file(int dirfd, const char *dir, const char *name, size_t budget, gw_docs_file *f,
                      vbp_status *st) {
  /* O_NONBLOCK: a FIFO left in the directory is skipped, not waited on. */
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *st = vbp_status_make(VBP_FAILED_PRECONDITION, "VBP_DOCS_DIR: cannot open %s/%s: %s", dir, name,
                          strerror(errno));
    return false;
  }
  struct stat sb;
  bool ok = false;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) goto done;
  if ((unsigned long long)sb.st_size > budget) {
    *st =
        vbp_status_make(VBP_FAILED_PRECONDITION, "VBP_DOCS_DIR: %s holds more than %d MiB of files",
                        dir, GW_DOCS_MAX_BYTES / (1024 * 1024));
    goto done;
  }
  size_t len = (size_t)sb.st_size;
  char *data = vbp_xmalloc(len + 1);
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, data + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *st = vbp_status_make(VBP_FAILED_PRECONDITION, "VBP_DOCS_DIR: cannot read %s/%s", dir, name);
      free(data);
      goto done;
    }
    got += (size_t)n;
  }
  data[len] = '\0';
  f->data = data;
  f->len = len;
  ok = true;
done:
  close(fd);
  return ok;
}

/* Its content type, tags and gzipped copy, once. */
static void prepare(gw_docs_file *f) {
  int t = type_of(f->name, strlen(f->name));
  f->content_type = types[t].content_type;
  gw_etag_make("docs", f->data, f->len, f->etag);
  if (!types[t].compressible || f->len <= GW_COMPRESS_MIN) return;
  size_t len = 0;
  char *gzip = gw_gzip_buffer(f->data, f->len, &len);
  if (len >= f->len) {
    free(gzip);
    return;
  }
  f->gzip = gzip;
  f->gzip_len = len;
  gw_etag_make("docs-gzip", gzip, len, f->gzip_etag);
}

vbp_status gw_docs_load(const char *dir, gw_docs **out) {
  vbp_status st = vbp_status_ok();
  gw_docs *docs = vbp_xcalloc(1, sizeof *docs);
  size_t bytes = 0;
  DIR *d = opendir(dir);
  if (!d) {
    st = vbp_status_make(VBP_FAILED_PRECONDITION, "VBP_DOCS_DIR: cannot read %s: %s", dir,
                         strerror(errno));
    goto done;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (!gw_docs_valid_name(e->d_name, len)) continue;
    if (docs->n == GW_DOCS_MAX_FILES) {
      st = vbp_status_make(VBP_FAILED_PRECONDITION, "VBP_DOCS_DIR: %s holds more than %d files",
                           dir, GW_DOCS_MAX_FILES);
      goto done;
    }
    gw_docs_file *f = &docs->files[docs->n];
    if (!read_file(dirfd(d), dir, e->d_name, GW_DOCS_MAX_BYTES - bytes, f, &st)) {
      if (!vbp_ok(&st)) goto done;
      continue; /* not a regular file */
    }
    memcpy(f->name, e->d_name, len + 1);
    bytes += f->len;
    prepare(f);
    docs->n++;
  }
  if (!gw_docs_find(docs, GW_DOCS_INDEX, sizeof GW_DOCS_INDEX - 1))
    st = vbp_status_make(VBP_FAILED_PRECONDITION, "VBP_DOCS_DIR: %s has no %s", dir, GW_DOCS_INDEX);
done:
  if (d) closedir(d);
  if (!vbp_ok(&st)) {
    gw_docs_destroy(docs);
    return st;
  }
  *out = docs;
  return st;
}

/* ---------------------------------------------------------------- answers */

bool gw_docs_answer(gw_request *r, const char *method) {
  const char *name = NULL;
  size_t len = 0;
  gw_docs_path kind = gw_docs_classify(r->path, &name, &len);
  if (kind == GW_DOCS_OTHER) return false;
  if (strcmp(method, "GET") != 0) {
    gw_answer_http_error(r, 405, "METHOD_NOT_ALLOWED", "the API explorer is read with GET");
    r->allow = "GET, HEAD";
    return true;
  }
  const gw_docs_file *f = kind == GW_DOCS_FILE ? gw_docs_find(r->server->docs, name, len) : NULL;
  if (!f) {
    gw_answer_http_error(r, 404, "NOT_FOUND",
                         r->server->docs ? "no such file of the API explorer"
                                         : "the API explorer is not installed (VBP_DOCS_DIR)");
    return true;
  }
  /* The encoding is chosen here, from the copies made at start-up: gw_compress_answer leaves
   * it, and the tag is of the bytes sent. */
  bool gzip = f->gzip && gw_accepts_gzip(gw_header(r, "Accept-Encoding"));
  r->encoded = true;
  r->vary_encoding = f->gzip != NULL;
  r->etag = gzip ? f->gzip_etag : f->etag;
  /* Shared caches may keep these, but ask before each use: the names do not change with
   * their content. */
  r->cache_control = "public, no-cache";
  if (gw_etag_matches(gw_header(r, "If-None-Match"), r->etag)) {
    gw_answer(r, 304, VBP_OK, NULL, 0, NULL);
    return true;
  }
  const char *bytes = gzip ? f->gzip : f->data;
  size_t n = gzip ? f->gzip_len : f->len;
  char *body = vbp_xmalloc(n + 1);
  memcpy(body, bytes, n);
  gw_answer(r, 200, VBP_OK, body, n, f->content_type);
  if (gzip) r->content_encoding = "gzip";
  return true;
}
