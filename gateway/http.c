/* HTTP/1.1 through libmicrohttpd (its epoll thread pool): a request's life from its request line
 * (MHD's URI log callback) to the completion notice. Routing happens on the access handler's
 * first call, the body is gathered up to its route's limit, then proxy.c either answers at once
 * or suspends the connection until the backend answers; nothing here waits for a backend. Also
 * the operations endpoints: /healthz, /readyz, /metrics, /openapi.json, and the API explorer
 * under /docs (docs.c).
 *
 * libmicrohttpd 0.9.75 answers some requests by itself, in its own HTML and without an
 * X-Request-Id, and no callback of its runs between finding the fault and queueing that answer,
 * so the gateway cannot put the API's JSON in its place (the completion notice still logs and
 * counts them, with the status libmicrohttpd sent):
 * - 505 for a version other than HTTP/1.x, 400 for a malformed one: parse_initial_message_line
 *   -> parse_http_version -> transmit_error_response, before even the URI log callback.
 * - 414 and 431 for a request line or header section that does not fit the connection's memory
 *   pool (32 KiB): get_next_header_line and MHD_connection_update_event_loop_info, when
 *   try_grow_read_buffer fails. Below that, the gateway refuses first (conformance.h).
 * - 400 for a header line without a colon: process_header_line fails while headers are read.
 * - 400 for a malformed Content-Length ("-1", "abc", "1, 2"), 413 for one past 2^64 - 1:
 *   parse_connection_headers -> transmit_error_response queues the answer and moves to
 *   HEADERS_SENDING, then MHD_connection_handle_idle overwrites that state with
 *   HEADERS_PROCESSED; call_connection_handler returns at once (a response is queued), so the
 *   access handler never runs, and START_REPLY calls build_header_response again, which
 *   appends: the status line and headers go out twice. The connection is closed after it.
 * - 400 for a malformed chunk size, 413 for one past 2^64 - 1: process_request_body ->
 *   transmit_error_response, which replaces whatever was queued; the handler is not called
 *   again. The connection is closed after it.
 * MHD_OPTION_STRICT_FOR_CLIENT stays 0: at 1 libmicrohttpd refuses an HTTP/1.1 request
 * without Host itself, through parse_connection_headers as above (HTML, head sent twice);
 * conformance.c refuses it in JSON. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "gateway/gateway.h"
#include "grpc/health/v1/health.pb-c.h"

const char *gw_header(gw_request *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* An id the client chose (1 to 64 of [A-Za-z0-9._-]) or a new one. */
static void request_id(gw_request *r) {
  const char *given = gw_header(r, "X-Request-Id");
  size_t n = given ? strlen(given) : 0;
  if (n > 0 && n <= GW_REQUEST_ID_MAX &&
      strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n) {
    memcpy(r->request_id, given, n + 1);
    return;
  }
  static _Atomic uint64_t sequence;
  uint64_t seq = atomic_fetch_add(&sequence, 1);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(r->request_id, sizeof r->request_id, "%08lx%08lx-%012llx", (unsigned long)ts.tv_sec,
           (unsigned long)ts.tv_nsec, (unsigned long long)seq);
}

/* ---------------------------------------------------------------- operations endpoints */

/* /readyz asks every backend at once and answers when the last one has. */
typedef struct readiness readiness;
typedef struct probe {
  readiness *all;
  int backend;
} probe;
struct readiness {
  gw_request *r;
  _Atomic int pending;
  bool serving[GW_MAX_BACKENDS];
  probe probes[GW_MAX_BACKENDS];
};

static void readiness_answer(readiness *rd) {
  gw_request *r = rd->r;
  bool all = true;
  char body[512];
  size_t n = (size_t)snprintf(body, sizeof body, "{\"backends\":{");
  for (size_t i = 0; i < r->server->n_backends; i++) {
    all &= rd->serving[i];
    n += (size_t)snprintf(body + n, sizeof body - n, "%s\"%s\":\"%s\"", i ? "," : "",
                          r->server->backends[i].name, rd->serving[i] ? "SERVING" : "NOT_SERVING");
  }
  n += (size_t)snprintf(body + n, sizeof body - n, "},\"status\":\"%s\"}",
                        all ? "ready" : "not ready");
  gw_answer(r, all ? 200 : 503, all ? VBP_OK : VBP_UNAVAILABLE, vbp_xstrdup(body), n,
            "application/json");
}

static void probe_done(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  probe *p = ctx;
  readiness *rd = p->all;
  if (vbp_ok(status)) {
    const Grpc__Health__V1__HealthCheckResponse *h =
        (const Grpc__Health__V1__HealthCheckResponse *)response;
    rd->serving[p->backend] =
        h->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    protobuf_c_message_free_unpacked(response, NULL);
  }
  if (atomic_fetch_sub(&rd->pending, 1) == 1) {
    readiness_answer(rd);
    gw_resume(rd->r);
  }
}

static void readyz(gw_request *r) {
  readiness *rd = vbp_arena_alloc(r->arena, sizeof *rd);
  rd->r = r;
  size_t n = r->server->n_backends;
  if (n == 0) {
    readiness_answer(rd);
    return;
  }
  atomic_store(&rd->pending, (int)n);
  if (!gw_suspend(r)) {
    vbp_status st = vbp_status_make(VBP_UNAVAILABLE, "the gateway is stopping; retry");
    gw_answer_error(r, &st);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    rd->probes[i].all = rd;
    rd->probes[i].backend = (int)i;
    Grpc__Health__V1__HealthCheckRequest *req = vbp_arena_alloc(r->arena, sizeof *req);
    grpc__health__v1__health_check_request__init(req);
    vbp_call_options options = {.timeout_ms = 1000, .request_id = r->request_id};
    vbp_client_start(r->server->backends[i].client,
                     vbp_method_of(&grpc__health__v1__health__descriptor, "Check"), &req->base,
                     &options, NULL, probe_done, &rd->probes[i]);
  }
}

/* True if r is for an operations endpoint, which is then answered (or, /readyz, started).
 * method is r's, with HEAD taken as GET. */
static bool operations(gw_request *r, const char *method) {
  if (strcmp(method, "GET") != 0) return false;
  if (strcmp(r->path, "/healthz") == 0) {
    static const char ok[] = "{\"status\":\"ok\"}";
    gw_answer(r, 200, VBP_OK, vbp_xstrdup(ok), sizeof ok - 1, "application/json");
    return true;
  }
  if (strcmp(r->path, "/metrics") == 0) {
    char *text = vbp_metrics_render(r->server->metrics);
    gw_answer(r, 200, VBP_OK, text, strlen(text), "text/plain; version=0.0.4");
    return true;
  }
  if (strcmp(r->path, "/readyz") == 0) {
    readyz(r);
    return true;
  }
  if (strcmp(r->path, "/openapi.json") == 0 && r->server->openapi) {
    char *doc = vbp_xmalloc(r->server->openapi_len + 1);
    memcpy(doc, r->server->openapi, r->server->openapi_len + 1);
    gw_answer(r, 200, VBP_OK, doc, r->server->openapi_len, "application/json");
    return true;
  }
  return false;
}

/* ---------------------------------------------------------------- the request's head */

typedef struct fields {
  vbp_arena *arena;
  gw_field *items;
  size_t n, cap;
} fields;

static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
  (void)kind;
  fields *f = cls;
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 32;
    gw_field *grown = vbp_arena_alloc(f->arena, cap * sizeof *grown);
    if (f->n) memcpy(grown, f->items, f->n * sizeof *grown);
    f->items = grown;
    f->cap = cap;
  }
  f->items[f->n++] = (gw_field){key, value ? value : ""};
  return MHD_YES;
}

/* True when r's head is refused (conformance.h), which is then r's answer. */
static bool refused_head(gw_request *r, const char *version) {
  fields f = {.arena = r->arena};
  MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_field, &f);
  const union MHD_ConnectionInfo *head_size =
      MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
  gw_head head = {.fields = f.items,
                  .n_fields = f.n,
                  .http_1_0 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0,
                  .target_len = r->target_len,
                  .head_len = head_size ? head_size->header_size : 0};
  gw_refusal refusal = gw_check_head(&head);
  if (refusal.status) gw_answer_refusal(r, &refusal);
  return refusal.status != 0;
}

/* "GET, HEAD, POST": the methods path has, for a 405's Allow (HEAD wherever GET is). */
static const char *allow_header(gw_request *r) {
  unsigned verbs = gw_routes_allowed(r->server->routes, r->path);
  char *allow = vbp_arena_alloc(r->arena, 64);
  size_t n = 0;
  allow[0] = '\0';
  for (int v = 0; v < GW_VERB_COUNT; v++) {
    if (!(verbs & 1u << v)) continue;
    n += (size_t)snprintf(allow + n, 64 - n, "%s%s", n ? ", " : "", gw_verb_name((gw_verb)v));
    if (v == GW_GET) n += (size_t)snprintf(allow + n, 64 - n, ", HEAD");
  }
  return allow;
}

/* ---------------------------------------------------------------- the request's life */

/* The first call: id, the head's checks, operations endpoints, routing, the body's limit and
 * media type. */
static void begin(gw_request *r, const char *version) {
  gw_server *srv = r->server;
  size_t n_routes = gw_routes_count(srv->routes);
  request_id(r);
  if (refused_head(r, version)) return;
  /* HEAD is GET without the body, which MHD leaves out of the answer by itself. */
  const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
  r->metrics_index = n_routes; /* operations, until routed */
  if (gw_stopping(srv)) {
    vbp_status st = vbp_status_make(VBP_UNAVAILABLE, "the gateway is stopping; retry");
    gw_answer_error(r, &st);
    return;
  }
  if (gw_cors_preflight(r)) return;
  if (operations(r, method) || gw_docs_answer(r, method)) return;
  r->metrics_index = n_routes + 1; /* unmatched */
  gw_match m = gw_routes_match(srv->routes, method, r->path, r->arena, &r->route, r->bindings,
                               GW_MAX_BINDINGS, &r->n_bindings);
  if (m == GW_NOT_FOUND) {
    gw_answer_http_error(r, 404, "NOT_FOUND", "no such route");
    return;
  }
  if (m == GW_METHOD_NOT_ALLOWED) {
    gw_answer_http_error(r, 405, "METHOD_NOT_ALLOWED", "this route does not take this method");
    r->allow = allow_header(r);
    return;
  }
  for (size_t i = 0; i < n_routes; i++)
    if (gw_routes_at(srv->routes, i) == r->route) r->route_index = r->metrics_index = i;
  r->body_limit = r->route->max_body_bytes ? r->route->max_body_bytes : GW_DEFAULT_MAX_BODY;
  const char *length = gw_header(r, "Content-Length");
  unsigned long long body_bytes = length ? strtoull(length, NULL, 10) : 0;
  if (body_bytes > r->body_limit) {
    gw_answer_http_error(r, 413, "PAYLOAD_TOO_LARGE", "the body is larger than this route takes");
    return;
  }
  const char *media_type = gw_route_media_type(r->route);
  if (media_type && (body_bytes > 0 || gw_header(r, "Transfer-Encoding"))) {
    gw_refusal refusal = gw_check_media_type(gw_header(r, "Content-Type"), media_type);
    if (refusal.status) gw_answer_refusal(r, &refusal);
  }
}

/* A refused body is read to its end before the answer (up to this much past the limit): an
 * answer sent while the client still writes is often lost to the reset that follows it. */
#define DISCARD_MAX (8u * 1024 * 1024)

static bool beyond_discard(const gw_request *r, unsigned long long bytes) {
  return bytes > r->body_limit + DISCARD_MAX;
}

static void append_body(gw_request *r, const char *data, size_t size) {
  if (r->body_len + size > r->body_limit) {
    gw_answer_http_error(r, 413, "PAYLOAD_TOO_LARGE", "the body is larger than this route takes");
    return;
  }
  if (r->body_len + size + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 4096;
    while (cap < r->body_len + size + 1) cap *= 2;
    char *grown = realloc(r->body, cap);
    if (!grown) abort();
    r->body = grown;
    r->body_cap = cap;
  }
  memcpy(r->body + r->body_len, data, size);
  r->body_len += size;
  r->body[r->body_len] = '\0';
}

static enum MHD_Result respond(gw_request *r) {
  gw_compress_answer(r);
  gw_conditional(r);
  struct MHD_Response *response =
      MHD_create_response_from_buffer(r->answer_len, r->answer, MHD_RESPMEM_MUST_FREE);
  r->answer = NULL; /* MHD frees it */
  if (r->content_type) MHD_add_response_header(response, "Content-Type", r->content_type);
  MHD_add_response_header(response, "X-Request-Id", r->request_id);
  gw_response_headers(r, response);
  enum MHD_Result ret = MHD_queue_response(r->conn, r->status, response);
  MHD_destroy_response(response);
  return ret;
}

/* MHD's URI log callback, called with the request line, before the header fields: the
 * request's life starts here, because only here is the request-target as the client sent it
 * (the access handler gets it percent-decoded, and the route matcher decodes it again). What it
 * returns is the *state of every later call, and of the completion notice, which now also comes
 * for requests libmicrohttpd refuses by itself. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn) {
  gw_server *srv = cls;
  gw_request *r = vbp_xcalloc(1, sizeof *r);
  r->server = srv;
  r->conn = conn;
  r->arena = vbp_arena_create();
  r->started_us = vbp_monotonic_us();
  if (!uri) uri = "";
  r->target_len = strlen(uri);
  r->path = vbp_arena_strndup(r->arena, uri, strcspn(uri, "?"));
  r->metrics_index = gw_routes_count(srv->routes) + 1; /* unmatched */
  gw_drain_request(srv, 1);
  vbp_metrics_in_flight(srv->metrics, 1);
  return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state) {
  (void)cls;
  (void)conn;
  (void)url; /* percent-decoded: r->path is the target as sent */
  gw_request *r = *state;
  if (!r) return MHD_NO; /* on_request_line always comes first */
  if (!r->method) {
    r->method = vbp_arena_strdup(r->arena, method);
    begin(r, version);
    /* /readyz suspended: its answer is written on another thread and comes with the resume. */
    if (r->suspended) return MHD_YES;
    /* A body whose end is unknown, or far too large, is refused before it is read (the client
     * may see only a reset of the latter). */
    const char *length = gw_header(r, "Content-Length");
    if (r->answered &&
        (r->close || (r->status == 413 && length && beyond_discard(r, strtoull(length, NULL, 10)))))
      return respond(r);
    return MHD_YES;
  }
  if (*upload_size) {
    if (!r->answered) append_body(r, upload_data, *upload_size);
    r->discarded += *upload_size;
    *upload_size = 0; /* a refused request's body is read and dropped */
    if (r->answered && beyond_discard(r, r->discarded)) return respond(r);
    return MHD_YES;
  }
  if (!r->answered && !r->suspended) {
    gw_proxy(r);
    /* Suspended: the answer comes with the resume, and this handler runs again. */
    if (r->suspended) return MHD_YES;
  }
  if (r->stream) {
    int queued = MHD_NO;
    if (gw_stream_respond(r, &queued)) return (enum MHD_Result)queued;
  }
  if (r->answered) return respond(r);
  return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why) {
  gw_server *srv = cls;
  gw_request *r = *state;
  if (!r) return;
  int64_t took = vbp_monotonic_us() - r->started_us;
  vbp_code code = r->answered ? r->code : VBP_CANCELLED;
  unsigned status = r->answered ? r->status : 499;
  if (why != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->answered) code = VBP_CANCELLED;
  if (!r->request_id[0]) request_id(r);
  /* libmicrohttpd's own refusals (see the top of this file) are counted and logged too, also
   * one that took the place of the gateway's answer. */
  const union MHD_ConnectionInfo *sent =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
  if (sent && sent->http_status != status) {
    status = sent->http_status;
    code = gw_refusal_code(status);
  }
  vbp_metrics_observe(srv->metrics, r->metrics_index, code, took);
  vbp_metrics_in_flight(srv->metrics, -1);
  vbp_log_http(VBP_LOG_INFO, r->method ? r->method : "", r->path,
               r->route ? r->route->pattern : NULL, status, r->request_id,
               vbp_caller_name(&r->caller), took);
  gw_stream_abandon(r);
  free(r->answer);
  free(r->body);
  vbp_arena_destroy(r->arena);
  free(r);
  *state = NULL;
  gw_drain_request(srv, -1);
}

vbp_status gw_server_start(gw_server *srv) {
  struct sockaddr_in sin;
  vbp_status st = vbp_parse_ipv4_addr(srv->config.listen_addr, "VBP_GATEWAY_ADDR", &sin);
  if (!vbp_ok(&st)) return st;
  unsigned threads = srv->config.threads > 0 ? (unsigned)srv->config.threads : 2;
  st = gw_cors_create(srv->config.cors_origins, &srv->cors);
  if (!vbp_ok(&st)) return st;
  srv->drain = gw_drain_create();
  srv->daemon = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
      on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE,
      threads, MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, 20000u,
      MHD_OPTION_END);
  if (!srv->daemon) {
    gw_drain_destroy(srv->drain);
    srv->drain = NULL;
    gw_cors_destroy(srv->cors);
    srv->cors = NULL;
    return vbp_status_make(VBP_UNAVAILABLE, "cannot listen on %s", srv->config.listen_addr);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info ? info->port : 0;
  return vbp_status_ok();
}
