/* The gateway's route table, built at start-up from the descriptor set the build emits
 * (api/ -> vbp.pb): every method whose options carry our (vbp.api.http) rule becomes a route.
 * No route is written by hand. Matching is pure: no I/O, thread-safe once loaded. */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/arena.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gw_verb { GW_GET = 0, GW_POST, GW_PUT, GW_DELETE, GW_PATCH, GW_VERB_COUNT } gw_verb;

/* One path segment of a template: a literal ("prices") or a variable ({region_code}) naming a
 * request field, possibly nested ("a.b"). */
typedef struct gw_segment {
  const char *literal;    /* NULL for a variable */
  const char *field_path; /* NULL for a literal */
} gw_segment;

typedef struct gw_route {
  gw_verb verb;
  const char *pattern;     /* the template as declared: "/v1/contracts/{id}:sign" */
  const gw_segment *segments;
  size_t n_segments;
  const char *custom_verb; /* "sign" for ".../{id}:sign", NULL otherwise */
  const char *body;        /* "" no body, "*" the JSON body is the request, else a bytes field
                              that takes the raw body (ImportBatch's "ndjson") */
  size_t max_body_bytes;   /* 0: the gateway's default (1 MiB) */
  const char *rpc_path;    /* "/vbp.v1.ContractService/SignContract" */
  const char *service;     /* "vbp.v1.ContractService" */
  const char *method;      /* "SignContract" */
  const ProtobufCMessageDescriptor *request;
  const ProtobufCMessageDescriptor *response;
  bool server_streaming;
} gw_route;

typedef struct gw_routes gw_routes;

/* Builds the routes of every method with an HTTP rule in the serialized FileDescriptorSet
 * data (protoc --include_imports --descriptor_set_out), for the services in services[] (the
 * protobuf-c service descriptors the binary links, which give the C message descriptors).
 * A method of a service not in services[] is an error naming it, as is a malformed template,
 * two routes that would match the same requests, or a variable naming no field of the request.
 * On success *out owns everything it points to. */
vbp_status gw_routes_build(const uint8_t *data, size_t len,
                           const ProtobufCServiceDescriptor *const *services, size_t n_services,
                           gw_routes **out);

/* gw_routes_build on the contents of the file at path. */
vbp_status gw_routes_load(const char *path, const ProtobufCServiceDescriptor *const *services,
                          size_t n_services, gw_routes **out);

void gw_routes_destroy(gw_routes *routes);

size_t gw_routes_count(const gw_routes *routes);
const gw_route *gw_routes_at(const gw_routes *routes, size_t i);

/* A path variable's value, percent-decoded. */
typedef struct gw_binding {
  const char *field_path;
  const char *value;
} gw_binding;

typedef enum gw_match {
  GW_MATCHED = 0,
  GW_NOT_FOUND,          /* no route has this path */
  GW_METHOD_NOT_ALLOWED, /* a route has this path, but not for this HTTP method */
} gw_match;

/* Matches an HTTP method ("GET") and a request path (percent-encoded, without the query
 * string). On GW_MATCHED writes *route and the variables' values (decoded into arena) into
 * bindings (room for cap; *n_bindings says how many). A variable matches one non-empty
 * segment; a segment decoding to something with '/' or a NUL does not match. When two routes
 * could match, a literal segment wins over a variable. Thread-safe. */
gw_match gw_routes_match(const gw_routes *routes, const char *http_method, const char *path,
                         vbp_arena *arena, const gw_route **route, gw_binding *bindings,
                         size_t cap, size_t *n_bindings);

/* "GET", "POST", ... */
const char *gw_verb_name(gw_verb verb);

#ifdef __cplusplus
}
#endif
#endif
