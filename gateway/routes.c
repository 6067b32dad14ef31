/* The route table: built once from the descriptor set's (vbp.api.http) method options, then
 * matched on every request. Building validates everything a request could trip over later
 * (templates, fields, conflicts), so matching only compares and decodes. */
#include "gateway/routes.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "vbp/api/http.pb-c.h"

/* The field number of `extend google.protobuf.MethodOptions { HttpRule http = 72295; }`. */
#define HTTP_RULE_FIELD 72295u

/* A route and what matching needs of it, computed once. */
typedef struct route_entry {
  gw_route pub;         /* first: gw_routes_at and gw_routes_match hand out &pub */
  size_t *literal_lens; /* per segment; 0 for a variable */
  size_t custom_verb_len;
  size_t n_variables;
  uint32_t literal_mask; /* bit (31 - i) set when segment i is a literal: a larger mask is more
                            specific (literal earlier), which is how matches are ranked */
} route_entry;

struct gw_routes {
  vbp_arena *arena; /* owns every byte below */
  route_entry *entries;
  size_t n_entries;
  /* Per verb, the routes sorted by segment count, then most specific first, so the first
   * route that matches a path is the one that should. */
  const route_entry **by_verb[GW_VERB_COUNT];
  size_t n_by_verb[GW_VERB_COUNT];
  size_t max_segments;
};

_Static_assert(GW_ROUTE_MAX_SEGMENTS <= 32, "literal_mask has one bit per segment");

static const char *const verb_names[GW_VERB_COUNT] = {"GET", "POST", "PUT", "DELETE", "PATCH"};

const char *gw_verb_name(gw_verb verb) {
  return (unsigned)verb < GW_VERB_COUNT ? verb_names[verb] : NULL;
}

static const char *or_empty(const char *text) { return text ? text : ""; }

const char *gw_route_media_type(const gw_route *route) {
  if (!*route->body) return NULL;
  return strcmp(route->body, "*") == 0 ? "application/json" : "application/x-ndjson";
}

/* [A-Za-z0-9._~-]: RFC 3986's unreserved characters, the only ones a literal may hold. */
static bool is_literal_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

static bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* ------------------------------------------------------------------------------ building */

/* The field of msg named by name[0..len), or NULL. protobuf-c's lookup wants a NUL-terminated
 * name; a scan of a request's handful of fields does not. */
static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessageDescriptor *msg,
                                                   const char *name, size_t len) {
  for (unsigned i = 0; i < msg->n_fields; i++)
    if (strncmp(msg->fields[i].name, name, len) == 0 && msg->fields[i].name[len] == '\0')
      return &msg->fields[i];
  return NULL;
}

/* Checks that path ("a" or "a.b.c", already known to be identifiers and dots) names a singular
 * scalar field of request, through singular message fields. On failure writes why into reason. */
static bool check_field_path(const ProtobufCMessageDescriptor *request, const char *path,
                             char *reason, size_t reason_size) {
  const ProtobufCMessageDescriptor *msg = request;
  for (const char *p = path;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    const ProtobufCFieldDescriptor *field = field_named(msg, p, len);
    if (!field) {
      snprintf(reason, reason_size, "names no field of %s (%.*s)", msg->name, (int)len, p);
      return false;
    }
    if (field->label == PROTOBUF_C_LABEL_REPEATED) {
      snprintf(reason, reason_size, "names a repeated field (%s)", field->name);
      return false;
    }
    if (!dot) {
      if (field->type == PROTOBUF_C_TYPE_MESSAGE || field->type == PROTOBUF_C_TYPE_BYTES) {
        snprintf(reason, reason_size, "names %s, which is not a string, number, enum or bool",
                 field->name);
        return false;
      }
      return true;
    }
    if (field->type != PROTOBUF_C_TYPE_MESSAGE) {
      snprintf(reason, reason_size, "goes through %s, which is not a message", field->name);
      return false;
    }
    msg = field->descriptor;
    p = dot + 1;
  }
}

/* Parses tmpl into e's segments and custom verb, allocating from arena. Grammar:
 *   template = "/" segment ("/" segment)* [":" verb]
 *   segment  = literal | "{" ident ("." ident)* "}"      literal, verb = [A-Za-z0-9._~-]+
 * On failure writes why into reason. */
static bool parse_template(vbp_arena *arena, const char *tmpl,
                           const ProtobufCMessageDescriptor *request, route_entry *e, char *reason,
                           size_t reason_size) {
  if (tmpl[0] != '/') {
    snprintf(reason, reason_size, "does not start with '/'");
    return false;
  }
  size_t n_slashes = 0;
  for (const char *p = tmpl; *p; p++) n_slashes += *p == '/';
  if (n_slashes > GW_ROUTE_MAX_SEGMENTS) {
    snprintf(reason, reason_size, "has more than %d segments", GW_ROUTE_MAX_SEGMENTS);
    return false;
  }
  gw_segment *segments = vbp_arena_alloc(arena, n_slashes * sizeof *segments);
  size_t *lens = vbp_arena_alloc(arena, n_slashes * sizeof *lens);
  size_t n = 0, n_variables = 0;
  uint32_t mask = 0;
  const char *p = tmpl;
  while (*p == '/') {
    p++;
    if (*p == '{') {
      const char *start = ++p;
      for (;;) {
        if (!is_ident_start(*p)) goto bad_variable;
        while (is_ident_char(*p)) p++;
        if (*p != '.') break;
        p++;
      }
      if (*p != '}') goto bad_variable;
      char *path = vbp_arena_strndup(arena, start, (size_t)(p - start));
      p++;
      char why[128];
      if (!check_field_path(request, path, why, sizeof why)) {
        snprintf(reason, reason_size, "variable {%s} %s", path, why);
        return false;
      }
      for (size_t i = 0; i < n; i++)
        if (segments[i].field_path && strcmp(segments[i].field_path, path) == 0) {
          snprintf(reason, reason_size, "binds {%s} twice", path);
          return false;
        }
      if (n_variables == GW_ROUTE_MAX_VARIABLES) {
        snprintf(reason, reason_size, "has more than %d variables", GW_ROUTE_MAX_VARIABLES);
        return false;
      }
      n_variables++;
      segments[n].field_path = path;
    } else {
      const char *start = p;
      while (is_literal_char(*p)) p++;
      if (p == start) {
        if (*p == '/' || *p == ':' || *p == '\0')
          snprintf(reason, reason_size, "has an empty segment");
        else
          snprintf(reason, reason_size, "has '%c' where a segment should start", *p);
        return false;
      }
      lens[n] = (size_t)(p - start);
      segments[n].literal = vbp_arena_strndup(arena, start, lens[n]);
      mask |= UINT32_C(1) << (31 - n);
    }
    n++;
  }
  if (*p == ':') {
    const char *start = ++p;
    while (is_literal_char(*p)) p++;
    if (p == start || *p != '\0') {
      snprintf(reason, reason_size, "has a malformed custom verb");
      return false;
    }
    e->pub.custom_verb = vbp_arena_strdup(arena, start);
    e->custom_verb_len = (size_t)(p - start);
  } else if (*p != '\0') {
    snprintf(reason, reason_size, "has '%c' where '/', ':' or the end should be", *p);
    return false;
  }
  e->pub.segments = segments;
  e->pub.n_segments = n;
  e->literal_lens = lens;
  e->n_variables = n_variables;
  e->literal_mask = mask;
  return true;

bad_variable:
  if (*p == '\0')
    snprintf(reason, reason_size, "has an unterminated variable");
  else
    snprintf(reason, reason_size, "has a malformed variable (only {field} or {field.sub})");
  return false;
}

/* Checks a body that names a field: a singular string or bytes field of the request, which
 * takes the raw body. */
static bool check_body_field(const ProtobufCMessageDescriptor *request, const char *body,
                             char *reason, size_t reason_size) {
  const ProtobufCFieldDescriptor *field = field_named(request, body, strlen(body));
  if (!field) {
    snprintf(reason, reason_size, "body \"%s\" names no field of %s", body, request->name);
    return false;
  }
  if (field->label == PROTOBUF_C_LABEL_REPEATED ||
      (field->type != PROTOBUF_C_TYPE_BYTES && field->type != PROTOBUF_C_TYPE_STRING)) {
    snprintf(reason, reason_size, "body \"%s\" is not a singular bytes or string field", body);
    return false;
  }
  return true;
}

/* The payload of the method's HTTP rule: every occurrence of field 72295 among the options'
 * unknown fields, concatenated (protobuf merges repeated occurrences of a message field that
 * way). protobuf-c keeps a length-delimited unknown field with its length prefix, which is
 * checked and stripped here. Returns 0 (and sets *len 0) when the method has no rule, -1 when
 * an occurrence is malformed, 1 with the payload otherwise. */
static int find_http_rule(const Google__Protobuf__MethodDescriptorProto *md, vbp_arena *arena,
                          uint8_t **out, size_t *len) {
  *len = 0;
  if (!md->options) return 0;
  const ProtobufCMessage *options = &md->options->base;
  size_t total = 0, found = 0;
  for (unsigned i = 0; i < options->n_unknown_fields; i++)
    if (options->unknown_fields[i].tag == HTTP_RULE_FIELD) {
      found++;
      total += options->unknown_fields[i].len;
    }
  if (!found) return 0;
  uint8_t *payload = vbp_arena_alloc(arena, total);
  size_t used = 0;
  for (unsigned i = 0; i < options->n_unknown_fields; i++) {
    const ProtobufCMessageUnknownField *u = &options->unknown_fields[i];
    if (u->tag != HTTP_RULE_FIELD) continue;
    if (u->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) return -1;
    uint64_t n = 0;
    size_t k = 0;
    for (unsigned shift = 0;; shift += 7, k++) {
      if (k == u->len || k == 10) return -1;
      n |= (uint64_t)(u->data[k] & 0x7f) << shift;
      if (!(u->data[k] & 0x80)) break;
    }
    k++;
    if (n != u->len - k) return -1;
    memcpy(payload + used, u->data + k, (size_t)n);
    used += (size_t)n;
  }
  *out = payload;
  *len = used;
  return 1;
}

static bool same_shape(const route_entry *a, const route_entry *b) {
  if (a->pub.verb != b->pub.verb || a->pub.n_segments != b->pub.n_segments) return false;
  if ((a->pub.custom_verb == NULL) != (b->pub.custom_verb == NULL)) return false;
  if (a->pub.custom_verb && strcmp(a->pub.custom_verb, b->pub.custom_verb) != 0) return false;
  for (size_t i = 0; i < a->pub.n_segments; i++) {
    const char *la = a->pub.segments[i].literal, *lb = b->pub.segments[i].literal;
    if ((la == NULL) != (lb == NULL)) return false;
    if (la && strcmp(la, lb) != 0) return false;
  }
  return true;
}

/* Ranks routes of one verb: fewer segments first, then the more specific (a literal where the
 * other has a variable, leftmost difference first), then a custom verb before none. */
static int compare_entries(const void *pa, const void *pb) {
  const route_entry *a = *(const route_entry *const *)pa, *b = *(const route_entry *const *)pb;
  if (a->pub.n_segments != b->pub.n_segments) return a->pub.n_segments < b->pub.n_segments ? -1 : 1;
  if (a->literal_mask != b->literal_mask) return a->literal_mask > b->literal_mask ? -1 : 1;
  if ((a->pub.custom_verb != NULL) != (b->pub.custom_verb != NULL))
    return a->pub.custom_verb ? -1 : 1;
  return a < b ? -1 : a > b; /* declaration order: deterministic */
}

/* Builds the route of one method whose rule is rule_data[0..rule_len). full_service is
 * "pkg.Service"; scratch holds what dies with the build. */
static vbp_status build_route(gw_routes *routes, route_entry *e, vbp_arena *scratch,
                              const char *full_service,
                              const Google__Protobuf__MethodDescriptorProto *md,
                              const uint8_t *rule_data, size_t rule_len,
                              const ProtobufCServiceDescriptor *const *services,
                              size_t n_services) {
  const char *method_name = or_empty(md->name);
  const char *rpc = vbp_arena_printf(scratch, "%s/%s", full_service, method_name);
  const ProtobufCServiceDescriptor *service = NULL;
  for (size_t i = 0; i < n_services && !service; i++)
    if (services[i] && strcmp(services[i]->name, full_service) == 0) service = services[i];
  if (!service)
    return vbp_status_make(VBP_INVALID_ARGUMENT,
                           "%s has an HTTP route, but service %s is not linked into the gateway",
                           rpc, full_service);
  const ProtobufCMethodDescriptor *method =
      protobuf_c_service_descriptor_get_method_by_name(service, method_name);
  if (!method)
    return vbp_status_make(VBP_INVALID_ARGUMENT,
                           "%s has an HTTP route, but the linked %s has no such method", rpc,
                           full_service);
  /* The set and the linked code come from the same api/ only if the types agree. */
  const char *input_type = or_empty(md->input_type), *output_type = or_empty(md->output_type);
  if (input_type[0] != '.' || strcmp(input_type + 1, method->input->name) != 0 ||
      output_type[0] != '.' || strcmp(output_type + 1, method->output->name) != 0)
    return vbp_status_make(VBP_INVALID_ARGUMENT,
                           "%s takes %s and returns %s in the descriptor set but %s and %s in the "
                           "linked code",
                           rpc, input_type, output_type, method->input->name, method->output->name);
  if (md->has_client_streaming && md->client_streaming)
    return vbp_status_make(VBP_INVALID_ARGUMENT,
                           "%s streams requests, which an HTTP route cannot carry", rpc);

  ProtobufCAllocator allocator = vbp_arena_allocator(scratch);
  Vbp__Api__HttpRule *rule = vbp__api__http_rule__unpack(&allocator, rule_len, rule_data);
  if (!rule) return vbp_status_make(VBP_INVALID_ARGUMENT, "%s has an unreadable HTTP rule", rpc);

  const char *tmpl;
  switch (rule->pattern_case) {
    case VBP__API__HTTP_RULE__PATTERN_GET:
      e->pub.verb = GW_GET;
      tmpl = rule->get;
      break;
    case VBP__API__HTTP_RULE__PATTERN_POST:
      e->pub.verb = GW_POST;
      tmpl = rule->post;
      break;
    case VBP__API__HTTP_RULE__PATTERN_PUT:
      e->pub.verb = GW_PUT;
      tmpl = rule->put;
      break;
    case VBP__API__HTTP_RULE__PATTERN_DELETE:
      e->pub.verb = GW_DELETE;
      tmpl = rule->delete_;
      break;
    case VBP__API__HTTP_RULE__PATTERN_PATCH:
      e->pub.verb = GW_PATCH;
      tmpl = rule->patch;
      break;
    default:
      return vbp_status_make(VBP_INVALID_ARGUMENT, "%s has an HTTP rule without a verb and path",
                             rpc);
  }
  tmpl = or_empty(tmpl);
  char reason[192];
  if (!parse_template(routes->arena, tmpl, method->input, e, reason, sizeof reason))
    return vbp_status_make(VBP_INVALID_ARGUMENT, "%s: route %s %s %s", rpc, verb_names[e->pub.verb],
                           tmpl, reason);
  const char *body = or_empty(rule->body);
  if (strcmp(body, "*") != 0 && body[0] &&
      !check_body_field(method->input, body, reason, sizeof reason))
    return vbp_status_make(VBP_INVALID_ARGUMENT, "%s: %s", rpc, reason);
  if (rule->max_body_bytes < 0 || (uint64_t)rule->max_body_bytes > SIZE_MAX)
    return vbp_status_make(VBP_INVALID_ARGUMENT, "%s: max_body_bytes %lld is out of range", rpc,
                           (long long)rule->max_body_bytes);

  e->pub.pattern = vbp_arena_strdup(routes->arena, tmpl);
  e->pub.body = vbp_arena_strdup(routes->arena, body);
  e->pub.max_body_bytes = (size_t)rule->max_body_bytes;
  e->pub.rpc_path = vbp_arena_printf(routes->arena, "/%s", rpc);
  e->pub.service = vbp_arena_strdup(routes->arena, service->name);
  e->pub.method = vbp_arena_strdup(routes->arena, method->name);
  e->pub.request = method->input;
  e->pub.response = method->output;
  e->pub.server_streaming = md->has_server_streaming && md->server_streaming;
  return vbp_status_ok();
}

vbp_status gw_routes_build(const uint8_t *data, size_t len,
                           const ProtobufCServiceDescriptor *const *services, size_t n_services,
                           gw_routes **out) {
  vbp_status st = vbp_status_ok();
  vbp_arena *scratch = vbp_arena_create();
  gw_routes *routes = vbp_xcalloc(1, sizeof *routes);
  routes->arena = vbp_arena_create();

  ProtobufCAllocator allocator = vbp_arena_allocator(scratch);
  Google__Protobuf__FileDescriptorSet *set =
      google__protobuf__file_descriptor_set__unpack(&allocator, len, data);
  if (!set) {
    st = vbp_status_make(VBP_INVALID_ARGUMENT, "the descriptor set is not a FileDescriptorSet");
    goto done;
  }

  /* Two passes: count the routes to size one array, then build them. */
  size_t n_rules = 0;
  for (size_t f = 0; f < set->n_file; f++)
    for (size_t s = 0; s < set->file[f]->n_service; s++)
      for (size_t m = 0; m < set->file[f]->service[s]->n_method; m++) {
        uint8_t *rule;
        size_t rule_len;
        n_rules +=
            find_http_rule(set->file[f]->service[s]->method[m], scratch, &rule, &rule_len) != 0;
      }
  routes->entries = vbp_arena_alloc(routes->arena, n_rules * sizeof *routes->entries);

  for (size_t f = 0; f < set->n_file; f++) {
    const Google__Protobuf__FileDescriptorProto *file = set->file[f];
    for (size_t s = 0; s < file->n_service; s++) {
      const Google__Protobuf__ServiceDescriptorProto *sd = file->service[s];
      const char *full_service =
          file->package && file->package[0]
              ? vbp_arena_printf(scratch, "%s.%s", file->package, or_empty(sd->name))
              : or_empty(sd->name);
      for (size_t m = 0; m < sd->n_method; m++) {
        const Google__Protobuf__MethodDescriptorProto *md = sd->method[m];
        uint8_t *rule = NULL;
        size_t rule_len = 0;
        int found = find_http_rule(md, scratch, &rule, &rule_len);
        if (found == 0) continue;
        if (found < 0) {
          st = vbp_status_make(VBP_INVALID_ARGUMENT, "%s/%s has a malformed HTTP option",
                               full_service, or_empty(md->name));
          goto done;
        }
        route_entry *e = &routes->entries[routes->n_entries];
        st =
            build_route(routes, e, scratch, full_service, md, rule, rule_len, services, n_services);
        if (!vbp_ok(&st)) goto done;
        for (size_t i = 0; i < routes->n_entries; i++)
          if (same_shape(&routes->entries[i], e)) {
            st = vbp_status_make(VBP_INVALID_ARGUMENT,
                                 "%s and %s have routes that match the same requests (%s %s, "
                                 "%s %s)",
                                 routes->entries[i].pub.rpc_path + 1, e->pub.rpc_path + 1,
                                 verb_names[routes->entries[i].pub.verb],
                                 routes->entries[i].pub.pattern, verb_names[e->pub.verb],
                                 e->pub.pattern);
            goto done;
          }
        routes->n_entries++;
        if (e->pub.n_segments > routes->max_segments) routes->max_segments = e->pub.n_segments;
      }
    }
  }

  for (size_t i = 0; i < routes->n_entries; i++) routes->n_by_verb[routes->entries[i].pub.verb]++;
  for (int v = 0; v < GW_VERB_COUNT; v++) {
    routes->by_verb[v] =
        vbp_arena_alloc(routes->arena, routes->n_by_verb[v] * sizeof(route_entry *));
    size_t k = 0;
    for (size_t i = 0; i < routes->n_entries; i++)
      if (routes->entries[i].pub.verb == (gw_verb)v) routes->by_verb[v][k++] = &routes->entries[i];
    if (k > 1) qsort(routes->by_verb[v], k, sizeof(route_entry *), compare_entries);
  }

done:
  vbp_arena_destroy(scratch);
  if (!vbp_ok(&st)) {
    gw_routes_destroy(routes);
    return st;
  }
  *out = routes;
  return st;
}

vbp_status gw_routes_load(const char *path, const ProtobufCServiceDescriptor *const *services,
                          size_t n_services, gw_routes **out) {
  vbp_status st;
  uint8_t *data = NULL;
  FILE *file = fopen(path, "rb");
  if (!file) {
    st = vbp_status_make(errno == ENOENT ? VBP_NOT_FOUND : VBP_UNAVAILABLE,
                         "cannot open descriptor set %s: %s", path, strerror(errno));
    goto done;
  }
  size_t size = 0, cap = 1 << 16;
  data = vbp_xmalloc(cap);
  for (size_t n; (n = fread(data + size, 1, cap - size, file)) > 0;) {
    size += n;
    if (size == cap) {
      uint8_t *bigger = vbp_xmalloc(cap * 2);
      memcpy(bigger, data, size);
      free(data);
      data = bigger;
      cap *= 2;
    }
  }
  if (ferror(file)) {
    st = vbp_status_make(VBP_UNAVAILABLE, "cannot read descriptor set %s", path);
    goto done;
  }
  st = gw_routes_build(data, size, services, n_services, out);
  if (!vbp_ok(&st)) {
    vbp_status wrapped = vbp_status_make(st.code, "%s: %s", path, st.message);
    st = wrapped;
  }

done:
  if (file) fclose(file);
  free(data);
  return st;
}

void gw_routes_destroy(gw_routes *routes) {
  if (!routes) return;
  vbp_arena_destroy(routes->arena);
  free(routes);
}

size_t gw_routes_count(const gw_routes *routes) { return routes ? routes->n_entries : 0; }

const gw_route *gw_routes_at(const gw_routes *routes, size_t i) {
  return routes && i < routes->n_entries ? &routes->entries[i].pub : NULL;
}

/* ------------------------------------------------------------------------------ matching */

typedef struct span {
  const char *text;
  size_t len;
} span;

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The byte at s->text[*i], percent-decoded, advancing *i; -1 for a bad escape. */
static int next_decoded(const span *s, size_t *i) {
  char c = s->text[*i];
  if (c != '%') {
    (*i)++;
    return (unsigned char)c;
  }
  if (*i + 2 >= s->len) return -1; /* fewer than two characters after the '%' */
  int hi = hex_value(s->text[*i + 1]), lo = hex_value(s->text[*i + 2]);
  if (hi < 0 || lo < 0) return -1;
  *i += 3;
  return hi << 4 | lo;
}

/* Whether s, percent-decoded, is exactly literal (which holds no '%'). */
static bool decoded_equals(const span *s, const char *literal, size_t literal_len) {
  if (s->len < literal_len) return false; /* decoding only shortens */
  size_t i = 0, k = 0;
  while (i < s->len) {
    int c = next_decoded(s, &i);
    if (c < 0 || k == literal_len || (char)c != literal[k]) return false;
    k++;
  }
  return k == literal_len;
}

/* Whether s can be a variable's value: non-empty, well-formed escapes, no decoded '/'. A
 * decoded NUL matches, so that the caller can refuse it by name instead of a 404. */
static bool valid_value(const span *s) {
  if (s->len == 0) return false;
  for (size_t i = 0; i < s->len;) {
    int c = next_decoded(s, &i);
    if (c < 0 || c == '/') return false;
  }
  return true;
}

static char *decode_value(vbp_arena *arena, const span *s, size_t *len) {
  char *value = vbp_arena_alloc(arena, s->len + 1);
  size_t i = 0, k = 0;
  while (i < s->len) value[k++] = (char)next_decoded(s, &i);
  value[k] = '\0';
  *len = k;
  return value;
}

/* A request path cut into segments, with the last one's split at its last ':' (for routes
 * with a custom verb). */
typedef struct split_path {
  span segments[GW_ROUTE_MAX_SEGMENTS];
  size_t n;
  bool has_colon; /* the last segment has a ':' */
  span before_colon, after_colon;
} split_path;

/* Whether the route takes the path. With verb_needs_colon (used to tell 405 from 404), a route
 * without a custom verb does not take a path whose last segment has a ':': such a request asks
 * for a custom method, and a route only serving another verb on ".../{id}" should not turn
 * "no such custom method" into "method not allowed". */
static bool route_takes(const route_entry *e, const split_path *path, bool colon_means_verb) {
  if (e->pub.n_segments != path->n) return false;
  size_t last = path->n - 1;
  if (e->pub.custom_verb) {
    if (!path->has_colon ||
        !decoded_equals(&path->after_colon, e->pub.custom_verb, e->custom_verb_len))
      return false;
  } else if (colon_means_verb && path->has_colon) {
    return false;
  }
  for (size_t i = 0; i < path->n; i++) {
    const span *s = i == last && e->pub.custom_verb ? &path->before_colon : &path->segments[i];
    if (e->pub.segments[i].literal) {
      if (!decoded_equals(s, e->pub.segments[i].literal, e->literal_lens[i])) return false;
    } else if (!valid_value(s)) {
      return false;
    }
  }
  return true;
}

static const route_entry *find_route(const gw_routes *routes, int verb, const split_path *path,
                                     bool colon_means_verb) {
  const route_entry *const *list = routes->by_verb[verb];
  for (size_t i = 0; i < routes->n_by_verb[verb]; i++) {
    if (list[i]->pub.n_segments < path->n) continue;
    if (list[i]->pub.n_segments > path->n) break;
    if (route_takes(list[i], path, colon_means_verb)) return list[i];
  }
  return NULL;
}

static int verb_from_name(const char *name) {
  for (int v = 0; v < GW_VERB_COUNT; v++)
    if (strcmp(name, verb_names[v]) == 0) return v;
  return -1;
}

/* Cuts path into *split; false when no route can take it. */
static bool split_path_of(const gw_routes *routes, const char *path, split_path *split) {
  if (!routes || !path || path[0] != '/') return false;
  split->n = 0;
  for (const char *p = path; *p == '/';) {
    const char *start = ++p;
    while (*p && *p != '/') p++;
    /* An empty segment ("//", a trailing '/') matches nothing, and neither does a path longer
     * than every route. */
    if (p == start || split->n == routes->max_segments) return false;
    split->segments[split->n++] = (span){start, (size_t)(p - start)};
  }
  const span *last = &split->segments[split->n - 1];
  const char *colon = NULL;
  for (size_t i = last->len; i-- > 0;)
    if (last->text[i] == ':') {
      colon = last->text + i;
      break;
    }
  split->has_colon = colon != NULL;
  if (colon) {
    split->before_colon = (span){last->text, (size_t)(colon - last->text)};
    split->after_colon = (span){colon + 1, last->len - (size_t)(colon - last->text) - 1};
  }
  return true;
}

unsigned gw_routes_allowed(const gw_routes *routes, const char *path) {
  split_path split;
  if (!split_path_of(routes, path, &split)) return 0;
  unsigned verbs = 0;
  for (int v = 0; v < GW_VERB_COUNT; v++)
    if (find_route(routes, v, &split, true)) verbs |= 1u << v;
  return verbs;
}

gw_match gw_routes_match(const gw_routes *routes, const char *http_method, const char *path,
                         vbp_arena *arena, const gw_route **route, gw_binding *bindings, size_t cap,
                         size_t *n_bindings) {
  split_path split;
  if (!http_method || !split_path_of(routes, path, &split)) return GW_NOT_FOUND;
  int verb = verb_from_name(http_method);
  const route_entry *found = verb >= 0 ? find_route(routes, verb, &split, false) : NULL;
  if (found && found->n_variables > cap) {
    assert(!"gw_routes_match: cap below GW_ROUTE_MAX_VARIABLES");
    return GW_NOT_FOUND;
  }
  if (!found) {
    for (int v = 0; v < GW_VERB_COUNT; v++)
      if (v != verb && find_route(routes, v, &split, true)) return GW_METHOD_NOT_ALLOWED;
    return GW_NOT_FOUND;
  }

  size_t k = 0;
  for (size_t i = 0; i < split.n; i++) {
    if (found->pub.segments[i].literal) continue;
    const span *s =
        i == split.n - 1 && found->pub.custom_verb ? &split.before_colon : &split.segments[i];
    bindings[k].field_path = found->pub.segments[i].field_path;
    bindings[k].value = decode_value(arena, s, &bindings[k].len);
    k++;
  }
  *route = &found->pub;
  *n_bindings = k;
  return GW_MATCHED;
}
