/* From a matched HTTP request to a backend call and back: decode (path variables, query
 * parameters, JSON body) into the request message, authenticate the bearer key (from the cache,
 * or asynchronously through catalog-svc's Authenticate), call the backend asynchronously as the
 * caller in signed metadata, and turn its answer into JSON. No thread waits for a backend: the
 * connection is suspended and resumed from the gRPC completion. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "gateway/gateway.h"
#include "gateway/idempotency.h"
#include "gateway/json.h"
#include "gateway/limiter.h"
#include "vbp/v1/catalog.pb-c.h"

/* ---------------------------------------------------------------- decoding */

typedef struct query_ctx {
  gw_request *r;
  vbp_status status;
} query_ctx;

static enum MHD_Result set_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
  (void)kind;
  query_ctx *q = cls;
  if (!vbp_ok(&q->status)) return MHD_NO;
  q->status = gw_message_set_text(q->r->message, key, value ? value : "", q->r->arena);
  return vbp_ok(&q->status) ? MHD_YES : MHD_NO;
}

/* A path variable with a NUL or another control character is refused naming it: a NUL cut
 * the value short, and "DELETE /v1/apiKeys/<id>%00zzz" revoked <id>. */
static vbp_status check_binding(const gw_binding *b) {
  for (size_t i = 0; i < b->len; i++) {
    unsigned char c = (unsigned char)b->value[i];
    if (c < 0x20 || c == 0x7F) {
      char field[VBP_STATUS_FIELD_MAX];
      gw_json_name(b->field_path, field, sizeof field); /* "a.b_c": "a.bC" */
      return vbp_invalid(field, "must not hold a NUL or control character");
    }
  }
  return vbp_status_ok();
}

static vbp_status decode(gw_request *r) {
  const gw_route *route = r->route;
  r->message = gw_message_new(route->request, r->arena);
  if (strcmp(route->body, "*") == 0) {
    if (r->body_len > 0) {
      vbp_status st = gw_json_merge(r->message, r->body, r->body_len, r->arena);
      if (!vbp_ok(&st)) return st;
    }
  } else if (*route->body) {
    /* The raw body into a bytes field (ImportBatch's NDJSON). */
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(route->request, route->body);
    if (!f || f->type != PROTOBUF_C_TYPE_BYTES)
      return vbp_status_make(VBP_INTERNAL, "route body %s is not a bytes field", route->body);
    ProtobufCBinaryData *field = (ProtobufCBinaryData *)((char *)r->message + f->offset);
    field->data = (uint8_t *)r->body;
    field->len = r->body_len;
  }
  query_ctx q = {.r = r, .status = vbp_status_ok()};
  MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, set_query, &q);
  if (!vbp_ok(&q.status)) return q.status;
  /* Path variables last: the resource named in the URL is the one acted on. */
  for (size_t i = 0; i < r->n_bindings; i++) {
    vbp_status st = check_binding(&r->bindings[i]);
    if (vbp_ok(&st))
      st = gw_message_set_text(r->message, r->bindings[i].field_path, r->bindings[i].value,
                               r->arena);
    if (!vbp_ok(&st)) return st;
  }
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- the backend call */

static void backend_done(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  gw_request *r = ctx;
  /* A key revoked through this gateway stops working here before the revoker hears back; the
   * other gateways forget it at their next revocation poll. */
  if (vbp_ok(status) && strcmp(r->route->rpc_path, "/vbp.v1.CatalogService/RevokeApiKey") == 0)
    vbp_authenticator_forget(r->server->auth);
  if (vbp_ok(status)) {
    size_t len = 0;
    char *json = gw_message_to_json(response, &len);
    protobuf_c_message_free_unpacked(response, NULL);
    gw_answer(r, 200, VBP_OK, json, len, "application/json");
  } else {
    /* A call the stop ended is no backend's failure. */
    if (!gw_stopping(r->server) &&
        (status->code == VBP_UNAVAILABLE || status->code == VBP_DEADLINE_EXCEEDED ||
         status->code == VBP_INTERNAL || status->code == VBP_UNKNOWN))
      vbp_counter_add(r->server->backend_errors, 1);
    gw_answer_error(r, status);
  }
  if (r->idempotency_key)
    gw_idem_finish(r->server->redis, vbp_caller_name(&r->caller), r->idempotency_key,
                   r->fingerprint, r->status, r->answer, r->answer_len);
  gw_resume(r);
}

/* Writes may carry an Idempotency-Key; never POST /v1/apiKeys, whose answer holds a secret
 * that is never stored. OK to go on (r->idempotency_key set when this is the first attempt),
 * or r is answered (a replay, or a refusal). */
static bool idempotency(gw_request *r) {
  const char *key = gw_header(r, "Idempotency-Key");
  if (!key || strcmp(r->method, "POST") != 0 ||
      strcmp(r->route->rpc_path, "/vbp.v1.CatalogService/CreateApiKey") == 0)
    return true;
  vbp_status st;
  if (!r->server->redis) {
    st = vbp_status_make(VBP_UNAVAILABLE, "Idempotency-Key cannot be honoured: no Redis");
    gw_answer_error(r, &st);
    return false;
  }
  gw_idem_fingerprint(r->route->rpc_path, r->message, r->fingerprint);
  gw_idem outcome;
  unsigned status = 0;
  char *body = NULL;
  size_t len = 0;
  st = gw_idem_begin(r->server->redis, vbp_caller_name(&r->caller), key, r->fingerprint, &outcome,
                     &status, &body, &len);
  if (!vbp_ok(&st)) {
    gw_answer_error(r, &st);
    return false;
  }
  if (outcome == GW_IDEM_REPLAY) {
    gw_answer(r, status, status == 200 ? VBP_OK : VBP_UNKNOWN, body, len, "application/json");
    return false;
  }
  r->idempotency_key = vbp_arena_strdup(r->arena, key);
  return true;
}

/* The caller's share of the rate limit: OK, or RESOURCE_EXHAUSTED with r->retry_after_s. */
static vbp_status within_limit(gw_request *r) {
  int64_t now_us = vbp_monotonic_us();
  const char *key = r->caller.role == VBP_ROLE_ADMIN ? "admin" : r->key_sha256;
  if (gw_limiter_take(r->server->limiter, key, now_us, &r->retry_after_s)) return vbp_status_ok();
  return vbp_status_make(VBP_RESOURCE_EXHAUSTED,
                         "this API key is over its rate limit; retry "
                         "after %d s",
                         r->retry_after_s);
}

static void call_backend(gw_request *r) {
  gw_server *srv = r->server;
  /* Decoded in the HTTP thread, reported only now: a caller who may not call learns nothing
   * about what shape a request should have. */
  if (!vbp_ok(&r->decoded)) {
    gw_answer_error(r, &r->decoded);
    gw_resume(r);
    return;
  }
  if (!idempotency(r)) {
    gw_resume(r);
    return;
  }
  vbp_client *client = NULL;
  for (size_t i = 0; i < srv->n_backends && !client; i++)
    if (strcmp(r->route->service, srv->backends[i].service) == 0) client = srv->backends[i].client;
  if (!client) {
    vbp_status st = vbp_status_make(VBP_UNAVAILABLE, "%s is not configured", r->route->service);
    backend_done(r, &st, NULL);
    return;
  }
  if (r->route->server_streaming) {
    gw_stream_start(r, client, &srv->methods[r->route_index]);
    return;
  }
  vbp_call_options options = {.timeout_ms = r->timeout_ms,
                              .caller = &r->caller,
                              .request_id = r->request_id,
                              .header = GW_ETAG_HEADER,
                              .header_value = r->backend_etag,
                              .header_cap = sizeof r->backend_etag};
  vbp_client_start(client, &srv->methods[r->route_index], r->message, &options, NULL, backend_done,
                   r);
}

/* ---------------------------------------------------------------- authentication */

/* The client's address as text ("" when MHD cannot say): the key of its failure bucket. */
static void client_address(gw_request *r, char out[INET6_ADDRSTRLEN]) {
  out[0] = '\0';
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = info ? info->client_addr : NULL;
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, INET6_ADDRSTRLEN);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
}

/* Whether the client's address may fail to authenticate once more (take: and counts it).
 * Otherwise RESOURCE_EXHAUSTED with r->retry_after_s. */
static vbp_status failures_left(gw_request *r, bool take) {
  gw_limiter *failures = r->server->auth_failures;
  if (!failures) return vbp_status_ok();
  char address[INET6_ADDRSTRLEN];
  client_address(r, address);
  int64_t now_us = vbp_monotonic_us();
  if (take ? gw_limiter_take(failures, address, now_us, &r->retry_after_s)
           : gw_limiter_peek(failures, address, now_us, &r->retry_after_s))
    return vbp_status_ok();
  return vbp_status_make(VBP_RESOURCE_EXHAUSTED,
                         "too many failed authentications from this address; retry after %d s",
                         r->retry_after_s);
}

/* A failed authentication: st (UNAUTHENTICATED), or RESOURCE_EXHAUSTED when the client's
 * address has failed more often than its limit allows. */
static vbp_status auth_failed(gw_request *r, vbp_status st) {
  vbp_status limit = failures_left(r, true);
  return vbp_ok(&limit) ? st : limit;
}

static void authenticated(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  gw_request *r = ctx;
  gw_server *srv = r->server;
  if (status->code == VBP_NOT_FOUND || vbp_ok(status)) {
    bool found = vbp_ok(status);
    vbp_caller caller = {0};
    if (found) {
      const Vbp__V1__AuthenticateResponse *a = (const Vbp__V1__AuthenticateResponse *)response;
      caller.role = (vbp_role)a->role;
      snprintf(caller.org_id, sizeof caller.org_id, "%s", a->organization_id);
      snprintf(caller.region_code, sizeof caller.region_code, "%s", a->region_code);
      protobuf_c_message_free_unpacked(response, NULL);
    }
    vbp_authenticator_remember(srv->auth, r->key_sha256, found, &caller, vbp_now_ms(),
                               r->key_cache_generation);
    if (found) {
      r->caller = caller;
      vbp_status limit = within_limit(r);
      if (vbp_ok(&limit)) {
        call_backend(r);
        return;
      }
      gw_answer_error(r, &limit);
      gw_resume(r);
      return;
    }
    vbp_status st = auth_failed(r, vbp_status_make(VBP_UNAUTHENTICATED, "API key is not valid"));
    gw_answer_error(r, &st);
  } else {
    vbp_counter_add(srv->backend_errors, 1);
    vbp_status st =
        vbp_status_make(VBP_UNAVAILABLE, "the API key could not be checked: %s", status->message);
    gw_answer_error(r, &st);
  }
  gw_resume(r);
}

/* The caller of r: OK with r->caller set; or *pending when the key must be looked up (r is then
 * suspended and continues in authenticated()); or an error. */
static vbp_status authenticate(gw_request *r, bool *pending) {
  gw_server *srv = r->server;
  *pending = false;
  const char *authorization = gw_header(r, "Authorization");
  /* Only a look-up that found no key counts against the address (authenticated()): a missing
   * header or a key already known to be bad costs nothing, and must not lock out the other
   * clients that share the address (a NAT, a proxy). */
  if (!authorization)
    return vbp_status_make(VBP_UNAUTHENTICATED, "missing Authorization: Bearer <API key>");
  const char *key = vbp_bearer_key(authorization);
  if (!key)
    return vbp_status_make(VBP_UNAUTHENTICATED, "Authorization must be \"Bearer <API key>\"");
  if (vbp_authenticator_is_admin(srv->auth, key)) {
    r->caller = (vbp_caller){.role = VBP_ROLE_ADMIN};
    return vbp_status_ok();
  }
  vbp_sha256_hex(key, strlen(key), r->key_sha256);
  r->key_cache_generation = vbp_authenticator_generation(srv->auth);
  bool found = false;
  if (vbp_authenticator_cached(srv->auth, r->key_sha256, vbp_now_ms(), &found, &r->caller)) {
    if (!found) return vbp_status_make(VBP_UNAUTHENTICATED, "API key is not valid");
    return vbp_status_ok();
  }
  /* A look-up costs catalog-svc a query: an address that keeps failing gets none. */
  vbp_status limit = failures_left(r, false);
  if (!vbp_ok(&limit)) return limit;
  *pending = true;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- entry */

/* grpc-timeout ("100m", "5S", as gRPC spells it) in ms, clamped to [1, 60000]; 0 if absent or
 * malformed. */
static int grpc_timeout_ms(const char *text) {
  if (!text) return 0;
  char *end = NULL;
  long long n = strtoll(text, &end, 10);
  if (end == text || n < 0 || strlen(end) != 1) return 0;
  double ms;
  switch (*end) {
    case 'H':
      ms = (double)n * 3600e3;
      break;
    case 'M':
      ms = (double)n * 60e3;
      break;
    case 'S':
      ms = (double)n * 1e3;
      break;
    case 'm':
      ms = (double)n;
      break;
    case 'u':
      ms = (double)n / 1e3;
      break;
    case 'n':
      ms = (double)n / 1e6;
      break;
    default:
      return 0;
  }
  if (ms < 1) return 1;
  return ms > 60000 ? 60000 : (int)ms;
}

void gw_proxy(gw_request *r) {
  gw_server *srv = r->server;
  int timeout = grpc_timeout_ms(gw_header(r, "grpc-timeout"));
  r->timeout_ms = timeout > 0 ? timeout : GW_DEFAULT_TIMEOUT_MS;
  bool pending = false;
  r->decoded = decode(r);
  vbp_status st = authenticate(r, &pending);
  if (vbp_ok(&st) && !pending) st = within_limit(r);
  if (vbp_ok(&st) && !pending && !vbp_ok(&r->decoded)) st = r->decoded;
  if (!vbp_ok(&st)) {
    gw_answer_error(r, &st);
    return;
  }
  /* Suspended before the call starts, so its completion always finds it suspended. */
  if (!gw_suspend(r)) {
    st = vbp_status_make(VBP_UNAVAILABLE, "the gateway is stopping; retry");
    gw_answer_error(r, &st);
    return;
  }
  if (!pending) {
    call_backend(r);
    return;
  }
  Vbp__V1__AuthenticateRequest *req = vbp_arena_alloc(r->arena, sizeof *req);
  vbp__v1__authenticate_request__init(req);
  req->key_sha256 = r->key_sha256;
  const vbp_caller service = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {
      .timeout_ms = r->timeout_ms, .caller = &service, .request_id = r->request_id};
  if (!srv->catalog) {
    vbp_status none = vbp_status_make(VBP_UNAVAILABLE, "no catalog-svc to check API keys");
    authenticated(r, &none, NULL);
    return;
  }
  vbp_client_start(srv->catalog,
                   vbp_method_of(&vbp__v1__catalog_service__descriptor, "Authenticate"), &req->base,
                   &options, NULL, authenticated, r);
}
