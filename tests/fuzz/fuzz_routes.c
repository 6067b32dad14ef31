/* libFuzzer target for the gateway's route table (gateway/routes.h). The first byte picks the
 * mode:
 *   xxxxxxx0 match: bits 1-3 pick an HTTP method, the rest of the input is the path, matched
 *            against the real table (vbp.pb with the four real services). Checks: a match binds
 *            one non-empty value without '/' per variable of the route, no more than the path
 *            has segments; 405 only when another method matches; the same answer twice.
 *   xxxxxx01 build: the rest of the input is a FileDescriptorSet given to gw_routes_build with
 *            the real services. It must not crash or leak (errors are fine); a table it builds
 *            must match a path made from each of its own templates.
 *   xxxxxx11 build, from vbp.pb with the rest of the input written over it at an offset (the
 *            next two bytes): lengths and tags mostly survive, so templates, names and options
 *            are mutated deep inside a valid set without a seed corpus. Same checks.
 * The real set is $VBP_DESCRIPTOR_SET, else the compile definition of that name, else the
 * build tree's vbp.pb (the binary is <build>/tests/fuzz/fuzz_routes; build the target
 * vbp_descriptor_set first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/routes.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "fuzz_routes: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

static const ProtobufCServiceDescriptor *const services[] = {
    &vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
    &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor};
#define N_SERVICES (sizeof services / sizeof services[0])

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", ""};

static uint8_t *real_set; /* vbp.pb's bytes; both live until exit */
static size_t real_set_len;
static gw_routes *real;
static vbp_arena *arena;

static bool read_file(const char *path, uint8_t **data, size_t *len) {
  FILE *file = fopen(path, "rb");
  if (!file) return false;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, file)) > 0;)
    if ((n += got) == cap) buf = realloc(buf, cap *= 2);
  if (!buf) abort();
  fclose(file);
  *data = buf;
  *len = n;
  return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  char fallback[4096];
  const char *path = getenv("VBP_DESCRIPTOR_SET");
#ifdef VBP_DESCRIPTOR_SET
  if (!path) path = VBP_DESCRIPTOR_SET;
#endif
  if (!path) {
    const char *self = (*argv)[0];
    const char *slash = strrchr(self, '/');
    int dir = slash ? (int)(slash - self) : 1;
    snprintf(fallback, sizeof fallback, "%.*s/../../vbp.pb", dir, slash ? self : ".");
    path = fallback;
  }
  if (!read_file(path, &real_set, &real_set_len)) {
    fprintf(stderr,
            "fuzz_routes: cannot read %s (build the target vbp_descriptor_set, or set "
            "VBP_DESCRIPTOR_SET to a vbp.pb)\n",
            path);
    exit(1);
  }
  vbp_status st = gw_routes_build(real_set, real_set_len, services, N_SERVICES, &real);
  if (!vbp_ok(&st)) {
    fprintf(stderr, "fuzz_routes: %s: %s\n", path, st.message);
    exit(1);
  }
  arena = vbp_arena_create();
  return 0;
}

static size_t count_segments(const char *path) {
  size_t n = 0;
  for (; *path; path++) n += *path == '/';
  return n;
}

static bool is_route_of(const gw_routes *routes, const gw_route *route) {
  for (size_t i = 0; i < gw_routes_count(routes); i++)
    if (gw_routes_at(routes, i) == route) return true;
  return false;
}

/* Matches and checks what a caller relies on; returns the answer. */
static gw_match checked_match(const gw_routes *routes, const char *method, const char *path) {
  gw_binding bindings[GW_ROUTE_MAX_VARIABLES];
  const gw_route *route = NULL;
  size_t n = 0;
  gw_match m =
      gw_routes_match(routes, method, path, arena, &route, bindings, GW_ROUTE_MAX_VARIABLES, &n);
  CHECK(m == GW_MATCHED || m == GW_NOT_FOUND || m == GW_METHOD_NOT_ALLOWED);
  if (m != GW_MATCHED) return m;
  CHECK(route && is_route_of(routes, route));
  CHECK(strcmp(gw_verb_name(route->verb), method) == 0);
  CHECK(n <= count_segments(path));
  CHECK(route->n_segments == count_segments(path));
  size_t variables = 0;
  for (size_t i = 0; i < route->n_segments; i++) variables += route->segments[i].literal == NULL;
  CHECK(n == variables);
  for (size_t i = 0; i < n; i++) {
    CHECK(bindings[i].len > 0);
    CHECK(memchr(bindings[i].value, '/', bindings[i].len) == NULL);
    CHECK(bindings[i].value[bindings[i].len] == '\0');
    CHECK(bindings[i].len <= strlen(path));
    CHECK(bindings[i].field_path && bindings[i].field_path[0]);
  }
  return m;
}

static void fuzz_match(const uint8_t *data, size_t size) {
  const char *method = methods[(data[0] >> 1) & 7];
  char *path = malloc(size);
  memcpy(path, data + 1, size - 1);
  path[size - 1] = '\0';

  gw_match m = checked_match(real, method, path);
  CHECK(checked_match(real, method, path) == m);
  /* 405 means some other method is served here; 404 means none is, unless the last segment
   * has a ':' (a custom method nobody serves, while a plain route would take it as a value). */
  bool other_matches = false;
  for (int v = 0; v < GW_VERB_COUNT; v++)
    if (strcmp(gw_verb_name((gw_verb)v), method) != 0 &&
        checked_match(real, gw_verb_name((gw_verb)v), path) == GW_MATCHED)
      other_matches = true;
  const char *last = strrchr(path, '/');
  if (m == GW_METHOD_NOT_ALLOWED) CHECK(other_matches);
  if (m == GW_NOT_FOUND && last && !strchr(last, ':')) CHECK(!other_matches);
  vbp_arena_reset(arena);
  free(path);
}

static void fuzz_build(const uint8_t *data, size_t size) {
  gw_routes *routes = NULL;
  vbp_status st = gw_routes_build(data, size, services, N_SERVICES, &routes);
  if (!vbp_ok(&st)) {
    CHECK(routes == NULL);
    CHECK(st.message[0] != '\0');
    return;
  }
  /* Every route is reachable: its template with each variable replaced by "x" matches (a
   * variable is at least "{a}", so the path is never longer than the template). */
  for (size_t i = 0; i < gw_routes_count(routes); i++) {
    const gw_route *route = gw_routes_at(routes, i);
    char *path = malloc(strlen(route->pattern) + 1);
    size_t len = 0;
    for (size_t s = 0; s < route->n_segments; s++) {
      const char *text = route->segments[s].literal ? route->segments[s].literal : "x";
      path[len++] = '/';
      memcpy(path + len, text, strlen(text));
      len += strlen(text);
    }
    if (route->custom_verb) {
      path[len++] = ':';
      memcpy(path + len, route->custom_verb, strlen(route->custom_verb));
      len += strlen(route->custom_verb);
    }
    CHECK(len <= strlen(route->pattern));
    path[len] = '\0';
    CHECK(checked_match(routes, gw_verb_name(route->verb), path) == GW_MATCHED);
    free(path);
  }
  vbp_arena_reset(arena);
  gw_routes_destroy(routes);
}

/* vbp.pb with patch written over it from offset (clipped at the end). */
static void fuzz_build_patched(const uint8_t *data, size_t size) {
  if (size < 2) return;
  size_t offset = ((size_t)data[0] << 8 | data[1]) % real_set_len;
  size_t n = size - 2 < real_set_len - offset ? size - 2 : real_set_len - offset;
  uint8_t *set = malloc(real_set_len);
  memcpy(set, real_set, real_set_len);
  memcpy(set + offset, data + 2, n);
  fuzz_build(set, real_set_len);
  free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if (!(data[0] & 1))
    fuzz_match(data, size);
  else if (!(data[0] & 2))
    fuzz_build(data + 1, size - 1);
  else
    fuzz_build_patched(data + 1, size - 1);
  return 0;
}
