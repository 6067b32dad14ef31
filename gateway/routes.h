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

/* Limits of a template, checked by gw_routes_build. A caller of gw_routes_match with room for
 * GW_ROUTE_MAX_VARIABLES bindings never runs short. */
#define GW_ROUTE_MAX_SEGMENTS 32
#define GW_ROUTE_MAX_VARIABLES 16

/* One path segment of a template: a literal ("prices") or a variable ({region_code}) naming a
 * request field, possibly nested ("a.b"). Template grammar:
 *   template = "/" segment ("/" segment)* [":" verb]
 *   segment  = literal | "{" field_path "}"       literal, verb = [A-Za-z0-9._~-]+
 *   field_path = ident ("." ident)*                a singular string, number, enum or bool
 *                                                  field, through singular message fields */
typedef struct gw_segment {
  const char *literal;    /* NULL for a variable */
  const char *field_path; /* NULL for a literal */
} gw_segment;

/* A route; every pointer is owned by the gw_routes it came from and lives as long. */
typedef struct gw_route {
  gw_verb verb;
  const char *pattern; /* the template as declared: "/v1/contracts/{id}:sign" */
  const gw_segment *segments;
  size_t n_segments;
  const char *custom_verb; /* "sign" for ".../{id}:sign", NULL otherwise */
  const char *body;        /* "" no body, "*" the JSON body is the request, else a top-level
                              bytes or string field that takes the raw body (ImportBatch's
                              "ndjson") */
  size_t max_body_bytes;   /* 0: the gateway's default (1 MiB) */
  const char *rpc_path;    /* "/vbp.v1.ContractService/SignContract" */
  const char *service;     /* "vbp.v1.ContractService" */
  const char *method;      /* "SignContract" */
  const ProtobufCMessageDescriptor *request; /* from services[]: static */
  const ProtobufCMessageDescriptor *response;
  bool server_streaming; /* from the MethodDescriptorProto */
} gw_route;

typedef struct gw_routes gw_routes;

/* Builds the routes of every method with an HTTP rule in the serialized FileDescriptorSet
 * data (protoc --include_imports --descriptor_set_out), for the services in services[] (the
 * protobuf-c service descriptors the binary links, which give the C message descriptors).
 * Methods without a rule (and services with none, like grpc.health.v1.Health) are skipped.
 * Errors (INVALID_ARGUMENT, the message naming the method as "pkg.Service/Method"): a method
 * with a rule whose service is not in services[] or lacks the method, request or response types
 * that differ from the linked code's, a client-streaming method, a malformed template, a
 * variable naming no singular scalar field of the request, a body naming no singular bytes or
 * string field, a negative max_body_bytes, and two routes that would match the same requests
 * (same verb, literals, variables in the same places and custom verb; the message names both).
 * data is only read during the call; services[] and the descriptors it points to must outlive
 * the routes. On success *out is the caller's, freed with gw_routes_destroy; on failure *out is
 * untouched. Thread-safe. */
vbp_status gw_routes_build(const uint8_t *data, size_t len,
                           const ProtobufCServiceDescriptor *const *services, size_t n_services,
                           gw_routes **out);

/* gw_routes_build on the contents of the file at path (NOT_FOUND when it does not exist,
 * UNAVAILABLE when it cannot be read; build errors are prefixed with the path). */
vbp_status gw_routes_load(const char *path, const ProtobufCServiceDescriptor *const *services,
                          size_t n_services, gw_routes **out);

/* Frees the routes and every gw_route, string and binding field_path they handed out.
 * destroy(NULL) does nothing. */
void gw_routes_destroy(gw_routes *routes);

/* The routes in declaration order (file, service, method of the set); gw_routes_at returns
 * NULL past the end, and the same pointer gw_routes_match hands out for that route. */
size_t gw_routes_count(const gw_routes *routes);
const gw_route *gw_routes_at(const gw_routes *routes, size_t i);

/* A path variable's value, percent-decoded. The value may hold a NUL or another control
 * character ("%00", "%0A"): len counts every decoded byte, so a caller sees one that strlen
 * would stop at, and refuses it naming the field rather than act on a shorter value. */
typedef struct gw_binding {
  const char *field_path; /* the route's: lives as long as the routes */
  const char *value;      /* in the arena given to gw_routes_match, NUL-terminated */
  size_t len;             /* decoded bytes in value, any NUL among them */
} gw_binding;

typedef enum gw_match {
  GW_MATCHED = 0,
  GW_NOT_FOUND,          /* no route has this path */
  GW_METHOD_NOT_ALLOWED, /* a route has this path, but not for this HTTP method */
} gw_match;

/* Matches an HTTP method ("GET", case-sensitive) and a request path as the client sent it
 * (percent-encoded, without the query string: decoding it before would decode it twice, so
 * that "%2570" became "p"). On GW_MATCHED writes *route and the variables' values (decoded
 * once, into arena) into bindings (room for cap; *n_bindings says how many), in path order;
 * otherwise writes nothing. cap = GW_ROUTE_MAX_VARIABLES is always enough (a smaller cap than
 * a route needs is a bug: it asserts, and answers GW_NOT_FOUND under NDEBUG).
 * - Segments are split on '/'; an empty one (a trailing '/', "//") matches nothing.
 * - A literal matches a segment that percent-decodes to exactly it.
 * - A variable matches one non-empty segment with well-formed %XX escapes that does not
 *   decode to anything with '/'. It may decode to a NUL or a control character: see
 *   gw_binding. ':' is an ordinary character, but for the custom verb below.
 * - For a route with a custom verb, the last segment is split at its last ':' and the part
 *   after it must be the verb ("/v1/contracts/C-1:sign"); a route without one takes the whole
 *   last segment (GET /v1/contracts/a:b binds id "a:b").
 * - When two routes could match, the one with a literal at the leftmost place where they
 *   differ wins (GET /v1/hello/special over GET /v1/hello/{name}), then the one with a
 *   custom verb (GET /v1/hello/bob:wave goes to /v1/hello/{name}:wave).
 * - GW_METHOD_NOT_ALLOWED when no route takes this method but one for another method takes the
 *   path; a last segment with a ':' counts there only for routes with a custom verb, so
 *   POST /v1/contracts/C-1:cancel is GW_NOT_FOUND, not a 405 because of GET /v1/contracts/{id}.
 *   An unknown method ("HEAD") is GW_METHOD_NOT_ALLOWED or GW_NOT_FOUND by the same rule.
 * No allocation other than the decoded values; no locks. Thread-safe (one arena per call). */
gw_match gw_routes_match(const gw_routes *routes, const char *http_method, const char *path,
                         vbp_arena *arena, const gw_route **route, gw_binding *bindings, size_t cap,
                         size_t *n_bindings);

/* The verbs whose routes take path, as bits (1u << GW_GET, ...): what a 405's Allow lists.
 * A last segment with a ':' counts only for routes with a custom verb, as for
 * GW_METHOD_NOT_ALLOWED above. 0 when no route takes it. Pure; thread-safe. */
unsigned gw_routes_allowed(const gw_routes *routes, const char *path);

/* The media type a route's body has: "application/json" for body "*", "application/x-ndjson"
 * for a raw body field (ImportBatch's "ndjson"), NULL for a route that takes no body. */
const char *gw_route_media_type(const gw_route *route);

/* "GET", "POST", ...; NULL for a value out of range. */
const char *gw_verb_name(gw_verb verb);

#ifdef __cplusplus
}
#endif
#endif
