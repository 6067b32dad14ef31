/* The gateway's parts and what they share: one gw_server, and one gw_request per HTTP request,
 * which lives from the first call of the access handler to MHD's completion notice. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/auth.h"
#include "common/identity.h"
#include "common/metrics.h"
#include "common/redis.h"
#include "common/rpc.h"
#include "common/status.h"
#include "gateway/conformance.h"
#include "gateway/cors.h"
#include "gateway/etag.h"
#include "gateway/routes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_DEFAULT_MAX_BODY (1024 * 1024)
#define GW_DEFAULT_TIMEOUT_MS 5000
#define GW_MAX_BINDINGS 16
#define GW_REQUEST_ID_MAX 64

typedef struct gw_config {
  const char *listen_addr; /* "127.0.0.1:8080" */
  const char *admin_key, *secret;
  const char *redis_addr;
  int threads;
  int key_cache_ttl_ms;
  int rate_limit_rps, rate_limit_burst;     /* per API key; 0 rps: no limit */
  int auth_failure_rps, auth_failure_burst; /* failed authentications per client address */
  int drain_ms;             /* how long a stop waits for backends' answers before it answers 503 */
  const char *cors_origins; /* VBP_CORS_ORIGINS (cors.h); NULL: no cross-origin access */
} gw_config;

#define GW_MAX_BACKENDS 16

typedef struct gw_drain gw_drain; /* drain.c: what a stop waits for */
struct MHD_Connection;
struct MHD_Response;

/* A gRPC service the gateway forwards to, by its full name: routes find theirs by the service
 * their method belongs to, so a new service needs a row here and no code. */
typedef struct gw_backend {
  const char *service; /* "vbp.v1.CatalogService" */
  const char *name;    /* its name in /readyz: "catalog" */
  vbp_client *client;
} gw_backend;

typedef struct gw_server {
  gw_config config;
  const gw_routes *routes;
  vbp_method *methods; /* one per route, same index: what vbp_client calls */
  gw_backend backends[GW_MAX_BACKENDS];
  size_t n_backends;
  vbp_client *catalog;     /* resolves API keys (Authenticate); one of the backends' clients */
  vbp_authenticator *auth; /* the admin key and the cache of resolved keys */
  vbp_metrics *metrics;    /* method i: route i; then the operations endpoints, then unmatched */
  vbp_counter *backend_errors;
  struct gw_limiter *limiter;
  /* Failed authentications per client address; NULL: no limit. An address past it gets 429 and
   * no key look-up, so that guessing keys costs catalog-svc nothing. */
  struct gw_limiter *auth_failures;
  vbp_redis *redis; /* Idempotency-Key answers; NULL: requests with a key are refused */
  char *openapi;    /* /openapi.json, generated from the routes at start-up */
  size_t openapi_len;
  struct gw_docs *docs; /* the API explorer's files (docs.h); NULL: not installed */
  struct MHD_Daemon *daemon;
  gw_drain *drain; /* from start to stop */
  gw_cors *cors;   /* from config.cors_origins, from start to stop */
  int port;
} gw_server;

typedef struct gw_stream gw_stream;

typedef struct gw_request {
  gw_server *server;
  struct MHD_Connection *conn;
  vbp_arena *arena;
  int64_t started_us;
  const char *method; /* NULL until the access handler's first call */
  const char *path;   /* percent-encoded, as sent: decoded once, by the route matcher */
  size_t target_len;  /* the request-target's bytes, query included */
  char request_id[GW_REQUEST_ID_MAX + 1];
  /* The body as it arrives. */
  char *body;
  size_t body_len, body_cap, body_limit;
  unsigned long long discarded; /* body bytes read so far, kept or not */
  /* Routing. */
  const gw_route *route;
  size_t route_index;
  gw_binding bindings[GW_MAX_BINDINGS];
  size_t n_bindings;
  /* The call. */
  vbp_caller caller;
  char key_sha256[65];
  uint64_t key_cache_generation; /* the key cache's, when the key's look-up began */
  ProtobufCMessage *message;
  vbp_status decoded;          /* how decoding went; reported once the caller is known */
  const char *idempotency_key; /* set while this request is the first attempt under its key */
  char fingerprint[65];
  int timeout_ms;
  bool suspended;
  gw_stream *stream; /* a server-streaming call, until its answer is queued */
  /* The answer, once known. */
  bool answered;
  unsigned status;
  vbp_code code;
  char *answer; /* malloc'd */
  size_t answer_len;
  const char *content_type;
  int retry_after_s;        /* Retry-After of a 429, 0 otherwise */
  const char *allow;        /* Allow of a 405 ("GET, HEAD"), NULL otherwise */
  bool close;               /* answer before the body and close: its framing cannot be trusted */
  const char *cors_methods; /* a CORS preflight's Access-Control-Allow-Methods, else NULL */
  const char *content_encoding; /* "gzip" once the answer is compressed, else NULL */
  bool vary_encoding;           /* the answer depends on Accept-Encoding */
  bool encoded; /* its encoding is chosen already (docs.c's gzipped copies): not compressed */
  char backend_etag[128];    /* the backend's vbp-etag answer header, "" without one */
  const char *etag;          /* the answer's ETag (etag.h), else NULL */
  const char *cache_control; /* with an ETag; NULL: "private, no-cache" */
  size_t metrics_index;
} gw_request;

/* errors.c: the HTTP status of a gRPC code (API.md), and the JSON error body. */
unsigned gw_http_status(vbp_code code);
/* Sets r's answer to the error body of st with the status its code maps to. */
void gw_answer_error(gw_request *r, const vbp_status *st);
/* An HTTP-only refusal: METHOD_NOT_ALLOWED (405), PAYLOAD_TOO_LARGE (413), NOT_FOUND (404). */
void gw_answer_http_error(gw_request *r, unsigned status, const char *code_name,
                          const char *message);
/* Sets r's answer to a refusal of conformance.h (its field as the one detail), and r->close. */
void gw_answer_refusal(gw_request *r, const gw_refusal *refusal);
/* The code metrics and logs count an HTTP-only refusal of this status under. */
vbp_code gw_refusal_code(unsigned status);
/* Sets r's answer to body (taken, malloc'd) with status and content type. */
void gw_answer(gw_request *r, unsigned status, vbp_code code, char *body, size_t len,
               const char *content_type);

/* proxy.c: decodes the request into its message, authenticates the caller and calls the
 * backend. Either answers at once (r->answered) or suspends r and answers later, resuming it. */
void gw_proxy(gw_request *r);

/* drain.c: every suspend and resume of a connection goes through these, so that a stop knows
 * when none is left suspended (libmicrohttpd aborts on a stop that finds one). gw_suspend
 * suspends r (and sets r->suspended); gw_resume resumes it once its answer is set, after which
 * r must not be touched. Thread-safe. */
/* gw_suspend refuses (false, r untouched) once the stop closes the door: the caller answers
 * 503 instead, so that no connection is suspended after the stop's last count. */
bool gw_suspend(gw_request *r);
void gw_resume(gw_request *r);
void gw_suspend_connection(gw_server *srv, struct MHD_Connection *conn);
void gw_resume_connection(gw_server *srv, struct MHD_Connection *conn);
/* A request begins (+1) or ends (-1): what the stop's grace waits for. */
void gw_drain_request(gw_server *srv, int delta);
/* True once a stop began: new requests are refused (503, Connection: close). */
bool gw_stopping(const gw_server *srv);
gw_drain *gw_drain_create(void);
void gw_drain_destroy(gw_drain *drain);

/* stream.c: serves a server-streaming route as NDJSON. start runs the call (r is suspended
 * and resumed at its first message or its end); respond then queues the answer: true when it
 * queued the stream (*mhd_result is MHD's), false when r holds an error answer to send instead.
 * abandon lets go of a stream whose request ended first. */
void gw_stream_start(gw_request *r, vbp_client *client, const vbp_method *method);
bool gw_stream_respond(gw_request *r, int *mhd_result);
void gw_stream_abandon(gw_request *r);

/* cors.c: answers r when it is a CORS preflight (OPTIONS with Origin and
 * Access-Control-Request-Method): 204 with the route's methods for an allowed origin, 403 for
 * another, 404 for a path no route takes; true then. False for any other request. */
bool gw_cors_preflight(gw_request *r);
/* Adds r's CORS headers to response (none unless r's Origin is allowed). */
void gw_cors_headers(gw_request *r, struct MHD_Response *response);

/* compress.c: gzips r's answer when it is over GW_COMPRESS_MIN bytes and Accept-Encoding takes
 * gzip (compress.h), setting r->content_encoding and r->vary_encoding. */
void gw_compress_answer(gw_request *r);

/* docs.c: answers r when its path is the API explorer's (docs.h): a file of it for GET (HEAD
 * comes as GET), 404 for a name it does not have, 405 for another method; true then. False for
 * any other path. method is r's, with HEAD taken as GET. */
bool gw_docs_answer(gw_request *r, const char *method);

/* etag.c: gives a GET's 200 answer with a backend_etag its ETag, and makes it a 304 without a
 * body when If-None-Match names that tag. Call after gw_compress_answer: the tag is of the bytes
 * sent. */
void gw_conditional(gw_request *r);

/* headers.c: the next element of a comma-separated list (a header's #list, RFC 9110 5.6.1, or
 * VBP_CORS_ORIGINS) from *p: true with *element and *len (spaces around it left out, never
 * empty) and *p moved past it; false at the end. */
bool gw_list_next(const char **p, const char **element, size_t *len);

/* headers.c: adds what every answer carries besides X-Request-Id and its Content-Type, however
 * it was made (a buffer, a stream, a 304): Connection: close while stopping, CORS,
 * Content-Encoding, Vary, ETag. */
void gw_response_headers(gw_request *r, struct MHD_Response *response);

/* The request's header value, or NULL. */
const char *gw_header(gw_request *r, const char *name);

/* http.c: starts serving. */
vbp_status gw_server_start(gw_server *server);
/* drain.c: stops serving. Stops accepting and refuses new requests on open connections; gives
 * requests in flight up to grace_ms for their backends' answers, then aborts the backend calls
 * left (their requests are answered 503 UNAVAILABLE) and stops the daemon once no connection is
 * suspended. True when stopped (or never started); false, logged, when a connection stayed
 * suspended, and then the daemon still runs: the caller should exit without freeing what it
 * uses. Call from one thread, once serving. */
bool gw_server_stop(gw_server *server, int grace_ms);

#ifdef __cplusplus
}
#endif
#endif
