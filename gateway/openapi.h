/* The OpenAPI 3.1.0 description of the REST API (GET /openapi.json), generated from the route
 * table alone: no per-method code, so it says what the gateway serves, as it serves it.
 *
 * - paths: one per template, in the OpenAPI form (variables under their JSON names:
 *   "/v1/prices/{regionCode}/{productId}"; a custom verb stays in the path:
 *   "/v1/contracts/{id}:sign"); one operation per route, in route order. operationId is the
 *   method name ("SignContract"; "ContractService_SignContract" should two services share a
 *   method name); tags the service's short name ("ContractService").
 * - parameters: each path variable (required, typed by its field); for a route without a JSON
 *   body (GET, DELETE), every top-level scalar, enum, wrapper or repeated-scalar field of the
 *   request that the path and a raw body leave free, as a query parameter under its JSON name
 *   (nested message fields are left out).
 * - requestBody: body "*": application/json, the request message; a raw body field (ImportBatch):
 *   application/x-ndjson, a string. The route's byte limit is in its description.
 * - responses: 200 with the response message (application/json, or application/x-ndjson for a
 *   server-streaming route: one message a line), and "default": the shared Error schema,
 *   {code, message, details: [{field, reason}]} (API.md).
 * - components.schemas: every message reachable from the routes' requests and responses, named
 *   by full name ("vbp.v1.Organization"), first found first (routes in order, request before
 *   response, then the fields' messages breadth-first), properties under their JSON names in
 *   descriptor order, typed per gateway/json.h: 32-bit integers integer (int32/uint32), 64-bit
 *   ones string (format int64/uint64, a decimal pattern), double/float number, bool boolean,
 *   string string, bytes string with contentEncoding base64, enums string with every value name
 *   (the ..._UNSPECIFIED zero included: the transcoder takes it), repeated fields arrays,
 *   messages $ref, google.protobuf wrappers their plain value inline, Empty an object with no
 *   properties; then "Error".
 * - security: bearer (components.securitySchemes.bearer, HTTP bearer), required globally.
 * The output is deterministic for a given route table. */
#ifndef GW_OPENAPI_H
#define GW_OPENAPI_H

#include <stddef.h>

#include "gateway/routes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The document as compact UTF-8 JSON (members in the order above), with info.title and
 * info.version from title and version (NULL: ""). routes NULL gives a document without paths.
 * Returns a NUL-terminated heap string the caller frees with free(); its length goes to *len
 * unless len is NULL. Never fails (out of memory aborts); reentrant, and the routes are only
 * read, so it may run while they serve. */
char *gw_openapi_json(const gw_routes *routes, const char *title, const char *version, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
