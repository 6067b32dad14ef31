/* The OpenAPI 3.1.0 document of the route table (openapi.h): jansson objects built in one pass
 * over the routes, then one over the messages they reach. */
#include "gateway/openapi.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "gateway/gateway.h"
#include "gateway/json.h"

#define SCHEMA_REF "#/components/schemas/"
#define ERROR_SCHEMA "Error"

/* ---------------------------------------------------------------- jansson, aborting on OOM */

static json_t *need(json_t *v) {
  if (!v) abort(); /* only on out of memory: every string given is ASCII or checked */
  return v;
}

static void put(json_t *obj, const char *key, json_t *v) {
  if (!v || json_object_set_new(obj, key, v) != 0) abort();
}

static void push(json_t *array, json_t *v) {
  if (!v || json_array_append_new(array, v) != 0) abort();
}

static json_t *str(const char *s) { return need(json_string(s)); }

/* A caller's text, which need not be UTF-8: "" when it is not. */
static json_t *text_or_empty(const char *s) {
  json_t *v = s ? json_string(s) : NULL;
  return v ? v : str("");
}

static json_t *ref_to(const char *schema_name) {
  size_t n = strlen(SCHEMA_REF) + strlen(schema_name) + 1;
  char *text = vbp_xmalloc(n);
  snprintf(text, n, "%s%s", SCHEMA_REF, schema_name);
  json_t *ref = need(json_object());
  put(ref, "$ref", str(text));
  free(text);
  return ref;
}

/* {"type": type} */
static json_t *typed(const char *type) {
  json_t *s = need(json_object());
  put(s, "type", str(type));
  return s;
}

/* ---------------------------------------------------------------- messages reached */

typedef struct reached {
  const ProtobufCMessageDescriptor **v;
  size_t n, cap;
} reached;

static void reach(reached *r, const ProtobufCMessageDescriptor *desc) {
  for (size_t i = 0; i < r->n; i++)
    if (r->v[i] == desc || strcmp(r->v[i]->name, desc->name) == 0) return;
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 32;
    const ProtobufCMessageDescriptor **v = realloc(r->v, cap * sizeof *v);
    if (!v) abort();
    r->v = v;
    r->cap = cap;
  }
  r->v[r->n++] = desc;
}

static bool is_plain_message(const ProtobufCFieldDescriptor *f) {
  return f->type == PROTOBUF_C_TYPE_MESSAGE && !gw_json_is_wrapper(f->descriptor);
}

/* ---------------------------------------------------------------- schemas of fields */

static json_t *integer(const char *format) {
  json_t *s = typed("integer");
  put(s, "format", str(format));
  return s;
}

/* 64-bit integers are JSON strings (json.h); input also takes numbers. */
static json_t *int64_string(const char *format, const char *pattern) {
  json_t *s = typed("string");
  put(s, "format", str(format));
  put(s, "pattern", str(pattern));
  return s;
}

/* The schema of one value of field f (an element, for a repeated field); a plain message it
 * names is reached and referred to. */
static json_t *value_schema(const ProtobufCFieldDescriptor *f, reached *r) {
  switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
      return integer("int32");
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
      json_t *s = integer("uint32"); /* tools may not know the format: the range says it too */
      put(s, "minimum", need(json_integer(0)));
      put(s, "maximum", need(json_integer(UINT32_MAX)));
      return s;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
      return int64_string("int64", "^-?[0-9]+$");
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
      return int64_string("uint64", "^[0-9]+$");
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT: {
      json_t *s = typed("number");
      put(s, "format", str(f->type == PROTOBUF_C_TYPE_DOUBLE ? "double" : "float"));
      return s;
    }
    case PROTOBUF_C_TYPE_BOOL:
      return typed("boolean");
    case PROTOBUF_C_TYPE_STRING:
      return typed("string");
    case PROTOBUF_C_TYPE_BYTES: {
      json_t *s = typed("string");
      put(s, "contentEncoding", str("base64"));
      return s;
    }
    case PROTOBUF_C_TYPE_ENUM: {
      const ProtobufCEnumDescriptor *e = f->descriptor;
      json_t *s = typed("string");
      json_t *names = need(json_array());
      for (unsigned i = 0; i < e->n_values; i++) push(names, str(e->values[i].name));
      put(s, "enum", names);
      return s;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
      const ProtobufCMessageDescriptor *m = f->descriptor;
      if (gw_json_is_wrapper(m)) return value_schema(&m->fields[0], r);
      reach(r, m);
      return ref_to(m->name);
    }
  }
  return need(json_object()); /* a type this protobuf-c does not have: anything */
}

static json_t *field_schema(const ProtobufCFieldDescriptor *f, reached *r) {
  json_t *value = value_schema(f, r);
  if (f->label != PROTOBUF_C_LABEL_REPEATED) return value;
  json_t *s = typed("array");
  put(s, "items", value);
  return s;
}

/* The components.schemas entry of a message. */
static json_t *message_schema(const ProtobufCMessageDescriptor *desc, reached *r) {
  if (gw_json_is_wrapper(desc)) return value_schema(&desc->fields[0], r);
  json_t *s = typed("object");
  json_t *props = need(json_object());
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    char name[256];
    gw_json_name(f->name, name, sizeof name);
    put(props, name, field_schema(f, r));
  }
  put(s, "properties", props);
  return s;
}

static json_t *error_schema(void) {
  json_t *detail = typed("object");
  json_t *detail_props = need(json_object());
  json_t *field = typed("string");
  put(field, "description", str("The culprit's JSON path (\"memberRegionCodes[2]\")."));
  put(detail_props, "field", field);
  put(detail_props, "reason", typed("string"));
  put(detail, "properties", detail_props);
  json_t *detail_required = need(json_array());
  push(detail_required, str("field"));
  push(detail_required, str("reason"));
  put(detail, "required", detail_required);

  json_t *s = typed("object");
  json_t *props = need(json_object());
  json_t *code = typed("string");
  put(code, "description",
      str("The gRPC code name (\"INVALID_ARGUMENT\"), or METHOD_NOT_ALLOWED, "
          "PAYLOAD_TOO_LARGE for HTTP-only refusals."));
  put(props, "code", code);
  put(props, "message", typed("string"));
  json_t *details = typed("array");
  put(details, "items", detail);
  put(props, "details", details);
  put(s, "properties", props);
  json_t *required = need(json_array());
  push(required, str("code"));
  push(required, str("message"));
  put(s, "required", required);
  return s;
}

/* ---------------------------------------------------------------- paths and operations */

/* The field a template variable names ("a.b": through singular message fields), by proto or
 * JSON name; NULL when none (gw_routes_build checked, so only for a table from elsewhere). */
static const ProtobufCFieldDescriptor *field_at(const ProtobufCMessageDescriptor *desc,
                                                const char *path) {
  const ProtobufCFieldDescriptor *found = NULL;
  while (desc && *path) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    found = NULL;
    for (unsigned i = 0; i < desc->n_fields && !found; i++) {
      const char *name = desc->fields[i].name;
      char json_name[256];
      gw_json_name(name, json_name, sizeof json_name);
      if ((strlen(name) == n && strncmp(name, path, n) == 0) ||
          (strlen(json_name) == n && strncmp(json_name, path, n) == 0))
        found = &desc->fields[i];
    }
    if (!found || !dot) return found;
    if (found->type != PROTOBUF_C_TYPE_MESSAGE) return NULL;
    desc = found->descriptor;
    path = dot + 1;
  }
  return NULL;
}

/* A variable's JSON path: each dot-separated part under its JSON name. Heap, caller frees. */
static char *json_path(const char *field_path) {
  size_t cap = strlen(field_path) + 1;
  char *out = vbp_xmalloc(cap);
  size_t n = 0;
  for (const char *p = field_path;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    char *part = vbp_xmalloc(len + 1);
    memcpy(part, p, len);
    part[len] = '\0';
    gw_json_name(part, out + n, cap - n); /* never longer than the part */
    n += strlen(out + n);
    free(part);
    if (!dot) break;
    out[n++] = '.';
    p = dot + 1;
  }
  out[n] = '\0';
  return out;
}

/* The OpenAPI path of a route: "/v1/contracts/{id}:sign". Heap, caller frees. */
static char *openapi_path(const gw_route *route) {
  size_t cap = 2 + (route->custom_verb ? strlen(route->custom_verb) : 0);
  for (size_t i = 0; i < route->n_segments; i++) {
    const gw_segment *s = &route->segments[i];
    cap += 3 + strlen(s->literal ? s->literal : s->field_path);
  }
  char *out = vbp_xmalloc(cap);
  size_t n = 0;
  for (size_t i = 0; i < route->n_segments; i++) {
    const gw_segment *s = &route->segments[i];
    if (s->literal) {
      n += (size_t)snprintf(out + n, cap - n, "/%s", s->literal);
    } else {
      char *name = json_path(s->field_path);
      n += (size_t)snprintf(out + n, cap - n, "/{%s}", name);
      free(name);
    }
  }
  if (route->custom_verb) n += (size_t)snprintf(out + n, cap - n, ":%s", route->custom_verb);
  out[n] = '\0';
  return out;
}

static const char *short_name(const char *full_name) {
  const char *dot = strrchr(full_name, '.');
  return dot ? dot + 1 : full_name;
}

static const char *verb_key(gw_verb verb) {
  switch (verb) {
    case GW_GET:
      return "get";
    case GW_POST:
      return "post";
    case GW_PUT:
      return "put";
    case GW_DELETE:
      return "delete";
    case GW_PATCH:
      return "patch";
    case GW_VERB_COUNT:
      break;
  }
  return "get";
}

/* The method name, or "Service_Method" when another route's method has the same name. */
static json_t *operation_id(const gw_routes *routes, const gw_route *route) {
  size_t same = 0;
  for (size_t i = 0; i < gw_routes_count(routes); i++)
    if (strcmp(gw_routes_at(routes, i)->method, route->method) == 0) same++;
  if (same <= 1) return str(route->method);
  const char *service = short_name(route->service);
  size_t n = strlen(service) + strlen(route->method) + 2;
  char *id = vbp_xmalloc(n);
  snprintf(id, n, "%s_%s", service, route->method);
  json_t *v = str(id);
  free(id);
  return v;
}

/* Whether the top-level field f is bound by a path variable. */
static bool bound_to_path(const gw_route *route, const ProtobufCFieldDescriptor *f) {
  for (size_t i = 0; i < route->n_segments; i++) {
    const char *p = route->segments[i].field_path;
    if (!p) continue;
    const ProtobufCFieldDescriptor *bound = field_at(route->request, p);
    if (bound == f) return true;
  }
  return false;
}

static json_t *parameter(const char *name, const char *in, bool required, json_t *schema) {
  json_t *p = need(json_object());
  put(p, "name", str(name));
  put(p, "in", str(in));
  if (required) put(p, "required", need(json_true()));
  put(p, "schema", schema);
  return p;
}

static json_t *parameters(const gw_route *route, reached *r) {
  json_t *params = need(json_array());
  for (size_t i = 0; i < route->n_segments; i++) {
    const char *p = route->segments[i].field_path;
    if (!p) continue;
    const ProtobufCFieldDescriptor *f = field_at(route->request, p);
    char *name = json_path(p);
    push(params, parameter(name, "path", true, f ? field_schema(f, r) : typed("string")));
    free(name);
  }
  /* Without a JSON body, the rest of the request comes as query parameters. */
  if (strcmp(route->body, "*") != 0) {
    const ProtobufCMessageDescriptor *desc = route->request;
    for (unsigned i = 0; i < desc->n_fields; i++) {
      const ProtobufCFieldDescriptor *f = &desc->fields[i];
      if (is_plain_message(f) || bound_to_path(route, f) || strcmp(f->name, route->body) == 0)
        continue;
      char name[256];
      gw_json_name(f->name, name, sizeof name);
      push(params, parameter(name, "query", false, field_schema(f, r)));
    }
  }
  return params;
}

static json_t *content(const char *media_type, json_t *schema) {
  json_t *media = need(json_object());
  put(media, "schema", schema);
  json_t *c = need(json_object());
  put(c, media_type, media);
  return c;
}

static json_t *request_body(const gw_route *route) {
  size_t limit = route->max_body_bytes ? route->max_body_bytes : GW_DEFAULT_MAX_BODY;
  char description[400];
  json_t *body = need(json_object());
  if (strcmp(route->body, "*") == 0) {
    snprintf(description, sizeof description,
             "The request as JSON; at most %zu bytes (413 beyond).", limit);
    put(body, "description", str(description));
    put(body, "content", content(gw_route_media_type(route), ref_to(route->request->name)));
  } else {
    char field[256];
    gw_json_name(route->body, field, sizeof field);
    snprintf(description, sizeof description,
             "The raw body, taken as %s; at most %zu bytes (413 beyond).", field, limit);
    put(body, "description", str(description));
    put(body, "content", content(gw_route_media_type(route), typed("string")));
  }
  return body;
}

static json_t *responses(const gw_route *route) {
  json_t *ok = need(json_object());
  if (route->server_streaming) {
    put(ok, "description",
        str("A stream: one JSON message a line; a failure after the first line ends it with a "
            "line {\"error\": {code, message}}."));
    put(ok, "content", content("application/x-ndjson", ref_to(route->response->name)));
  } else {
    put(ok, "description", str("OK"));
    put(ok, "content", content("application/json", ref_to(route->response->name)));
  }
  json_t *error = need(json_object());
  put(error, "description",
      str("An error; its HTTP status follows its gRPC code (INVALID_ARGUMENT 400, "
          "UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ...)."));
  put(error, "content", content("application/json", ref_to(ERROR_SCHEMA)));
  json_t *all = need(json_object());
  put(all, "200", ok);
  put(all, "default", error);
  return all;
}

static json_t *operation(const gw_routes *routes, const gw_route *route, reached *r) {
  json_t *op = need(json_object());
  put(op, "operationId", operation_id(routes, route));
  json_t *tags = need(json_array());
  push(tags, str(short_name(route->service)));
  put(op, "tags", tags);
  size_t n = strlen(route->rpc_path) + 16;
  char *description = vbp_xmalloc(n);
  snprintf(description, n, "gRPC %s", route->rpc_path);
  put(op, "description", str(description));
  free(description);
  json_t *params = parameters(route, r);
  if (json_array_size(params) > 0)
    put(op, "parameters", params);
  else
    json_decref(params);
  if (*route->body) put(op, "requestBody", request_body(route));
  put(op, "responses", responses(route));
  return op;
}

/* ---------------------------------------------------------------- the document */

char *gw_openapi_json(const gw_routes *routes, const char *title, const char *version,
                      size_t *len) {
  size_t n_routes = routes ? gw_routes_count(routes) : 0;
  reached r = {0};
  for (size_t i = 0; i < n_routes; i++) {
    const gw_route *route = gw_routes_at(routes, i);
    reach(&r, route->request);
    reach(&r, route->response);
  }

  json_t *doc = need(json_object());
  put(doc, "openapi", str("3.1.0"));
  json_t *info = need(json_object());
  put(info, "title", text_or_empty(title));
  put(info, "version", text_or_empty(version));
  put(doc, "info", info);

  json_t *tags = need(json_array());
  json_t *paths = need(json_object());
  for (size_t i = 0; i < n_routes; i++) {
    const gw_route *route = gw_routes_at(routes, i);
    const char *tag = short_name(route->service);
    bool known = false;
    for (size_t t = 0; t < json_array_size(tags) && !known; t++)
      known = strcmp(json_string_value(json_object_get(json_array_get(tags, t), "name")), tag) == 0;
    if (!known) {
      json_t *entry = need(json_object());
      put(entry, "name", str(tag));
      put(entry, "description", str(route->service));
      push(tags, entry);
    }
    char *path = openapi_path(route);
    json_t *item = json_object_get(paths, path);
    if (!item) {
      item = need(json_object());
      put(paths, path, item);
    }
    put(item, verb_key(route->verb), operation(routes, route, &r));
    free(path);
  }
  put(doc, "tags", tags);
  put(doc, "paths", paths);

  /* Messages first found first; a schema's fields may reach more, appended as they come. */
  json_t *schemas = need(json_object());
  for (size_t i = 0; i < r.n; i++) put(schemas, r.v[i]->name, message_schema(r.v[i], &r));
  put(schemas, ERROR_SCHEMA, error_schema());
  free(r.v);

  json_t *components = need(json_object());
  put(components, "schemas", schemas);
  json_t *bearer = need(json_object());
  put(bearer, "type", str("http"));
  put(bearer, "scheme", str("bearer"));
  put(bearer, "description", str("An API key: Authorization: Bearer <key>."));
  json_t *schemes = need(json_object());
  put(schemes, "bearer", bearer);
  put(components, "securitySchemes", schemes);
  put(doc, "components", components);

  json_t *requirement = need(json_object());
  put(requirement, "bearer", need(json_array()));
  json_t *security = need(json_array());
  push(security, requirement);
  put(doc, "security", security);

  char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(doc);
  if (!text) abort(); /* only on out of memory */
  if (len) *len = strlen(text);
  return text;
}
