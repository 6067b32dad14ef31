/* The gRPC runtime of every binary: a server that dispatches a static method table to handlers
 * on a fixed pool of worker threads, and a client for calling other services. This interface is
 * ours and narrow on purpose: only common/rpc_*.c include gRPC core (rpc_wire.c: what both sides
 * share; rpc_server.c; rpc_client.c; their private common/rpc_internal.h), since its C API
 * changes between releases. */
#ifndef VBP_RPC_H
#define VBP_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/arena.h"
#include "common/auth.h"
#include "common/authz.h"
#include "common/identity.h"
#include "common/metrics.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Call library-wide set-up once, before any server or client, and shutdown once at the end. */
void vbp_rpc_init(void);
void vbp_rpc_shutdown(void);

/* ---------------------------------------------------------------- server */

typedef struct vbp_call vbp_call;

/* A unary handler: builds *response in the call's arena and returns OK, or returns an error
 * (then *response is ignored). The request lives in the arena too. */
typedef vbp_status (*vbp_unary_fn)(vbp_call *call, const ProtobufCMessage *request,
                                   ProtobufCMessage **response);
/* A server-streaming handler: calls vbp_call_send for each message, then returns the status. */
typedef vbp_status (*vbp_stream_fn)(vbp_call *call, const ProtobufCMessage *request);
/* A bidirectional-streaming handler: reads requests with vbp_call_recv until it gives none (the
 * client half-closed), answers with vbp_call_send, then returns the status. */
typedef vbp_status (*vbp_bidi_fn)(vbp_call *call);

/* One row of a service's static method table: the method, its handler, and who may call it. */
typedef struct vbp_method {
  const char *path; /* "/vbp.v1.CatalogService/GetOrganization" */
  const ProtobufCMessageDescriptor *request;
  const ProtobufCMessageDescriptor *response;
  vbp_unary_fn unary; /* exactly one of unary, stream and bidi */
  vbp_stream_fn stream;
  /* The roles that may call it (authz.h); the server refuses any other caller with
   * PERMISSION_DENIED before the handler runs. Unused by clients. */
  vbp_roles roles;
  vbp_bidi_fn bidi; /* last: tables written positionally (tests) need not name it */
} vbp_method;

typedef struct vbp_server_config {
  const char *service;     /* for logs and metrics: "catalog-svc" */
  const char *listen_addr; /* "127.0.0.1:50051"; port 0 picks a free one */
  int workers;             /* threads running handlers; 0 means 2 */
  const vbp_method *methods;
  size_t n_methods;
  void *context;                /* handed to handlers through vbp_call_context */
  vbp_authenticator *auth;      /* borrowed; required when a method needs a caller */
  vbp_metrics *metrics;         /* borrowed; may be NULL. Method i of the table is index i */
  bool (*ready)(void *context); /* health: SERVING only while this says so; may be NULL */
  void *ready_context;          /* handed to ready; NULL: context */
} vbp_server_config;

typedef struct vbp_server vbp_server;

/* Metrics for a server's method table, method i named by its path (what
 * vbp_server_config.metrics expects). */
vbp_metrics *vbp_metrics_for_methods(const char *service, const vbp_method *methods, size_t n);

/* Binds, registers the methods (and grpc.health.v1.Health/Check, and server reflection:
 * grpc.reflection.v1 and v1alpha ServerReflection/ServerReflectionInfo, answered from the
 * descriptor set of api/ embedded at build time, common/reflection.h; both need no caller) and
 * starts the workers.
 * INVALID_ARGUMENT naming the method when a row allows nobody (roles 0): every method says who
 * may call it. The config's arrays and strings must outlive the server. */
vbp_status vbp_server_start(const vbp_server_config *config, vbp_server **out);

/* The port it listens on (useful with port 0). */
int vbp_server_port(const vbp_server *server);

/* Stops accepting calls, lets those in flight finish for up to grace_ms, cancels the rest,
 * joins the workers and frees everything. NULL does nothing. */
void vbp_server_stop(vbp_server *server, int grace_ms);

/* What a handler may ask of its call. The pointers live until the handler returns. */
vbp_arena *vbp_call_arena(vbp_call *call);
ProtobufCAllocator *vbp_call_allocator(vbp_call *call);
void *vbp_call_context(vbp_call *call);
const vbp_caller *vbp_call_caller(const vbp_call *call);
const char *vbp_call_request_id(const vbp_call *call);
const char *vbp_call_method(const vbp_call *call);
/* Milliseconds left before the client's deadline (INT64_MAX without one; <= 0 when passed). */
int64_t vbp_call_remaining_ms(const vbp_call *call);
/* True once the deadline passed or (streaming) the client went away. */
bool vbp_call_done(vbp_call *call);
/* Unary only: sends key: value with the answer, in its initial metadata (pricing-svc's vbp-etag,
 * which the gateway turns into an ETag). One header per call; a second call replaces it. key is
 * lower case (at most 31 bytes), value printable ASCII (at most 127 bytes); both are copied, cut
 * when longer. */
void vbp_call_set_header(vbp_call *call, const char *key, const char *value);
/* Streaming only: sends one message and waits until gRPC took it. CANCELLED when the client
 * went away, DEADLINE_EXCEEDED after the deadline. */
vbp_status vbp_call_send(vbp_call *call, const ProtobufCMessage *message);
/* Bidirectional streaming only: waits up to idle_ms (or the deadline) for the client's next
 * request and unpacks it with allocator into *request. OK with *request NULL once the client
 * half-closed; INVALID_ARGUMENT when the bytes are no request; DEADLINE_EXCEEDED after idle_ms
 * or the deadline, CANCELLED when the client went away: the handler returns that status. */
vbp_status vbp_call_recv(vbp_call *call, ProtobufCAllocator *allocator, int64_t idle_ms,
                         ProtobufCMessage **request);

/* ---------------------------------------------------------------- client */

typedef struct vbp_client vbp_client;

/* A channel to target ("127.0.0.1:50051"). Completions of every client run on one shared
 * completion-queue thread, started with the first client and stopped with the last. secret signs
 * the caller of each call (NULL when calls carry a bearer key instead). Connects lazily. */
vbp_status vbp_client_open(const char *target, const char *secret, vbp_client **out);
void vbp_client_close(vbp_client *client);

typedef struct vbp_call_options {
  int timeout_ms;           /* 0 means 5000 */
  const vbp_caller *caller; /* signed with the client's secret, or NULL */
  const char *bearer_key;   /* sent as authorization: Bearer, or NULL */
  const char *request_id;   /* x-request-id, or NULL */
  /* An answer header to read (vbp_call_set_header's key), or NULL: its value is copied into
   * header_value (header_cap bytes, cut to fit; "" when the server sent none) before done runs.
   * The key and the buffer must live until then. Unary calls only. */
  const char *header;
  char *header_value;
  size_t header_cap;
} vbp_call_options;

/* Called once when an asynchronous call ends, on the clients' shared thread: keep it short (it
 * holds up every client's completions) and never wait there for another call. On OK,
 * response was unpacked with allocator (or malloc when NULL) and belongs to the callee. */
typedef void (*vbp_client_done_fn)(void *ctx, const vbp_status *status, ProtobufCMessage *response);

/* Starts a unary call of method; done runs when it ends (also on failure to start). allocator
 * (may be NULL) must stay valid until done runs. Thread-safe. */
void vbp_client_start(vbp_client *client, const vbp_method *method, const ProtobufCMessage *request,
                      const vbp_call_options *options, ProtobufCAllocator *allocator,
                      vbp_client_done_fn done, void *ctx);

/* The method `name` of service as a client calls it: its path ("/vbp.v1.CatalogService/
 * Authenticate") and message types, from protobuf-c's service descriptor, so no client spells them
 * out by hand. Aborts when service has no such method (a programming error, found by the first
 * test that calls it). The row lives as long as the process. Thread-safe. */
const vbp_method *vbp_method_of(const ProtobufCServiceDescriptor *service, const char *name);

/* A blocking unary call. On OK *response is unpacked with allocator (malloc when NULL: free it
 * with protobuf_c_message_free_unpacked). Thread-safe. */
vbp_status vbp_client_call(vbp_client *client, const vbp_method *method,
                           const ProtobufCMessage *request, const vbp_call_options *options,
                           ProtobufCAllocator *allocator, ProtobufCMessage **response);

/* Called for each message of a server stream, on the calling thread; message is freed after
 * it returns. Return false to stop (the call is cancelled and the stream ends OK). */
typedef bool (*vbp_client_message_fn)(void *ctx, const ProtobufCMessage *message);

/* A blocking server-streaming call of method: on_message runs for each message in order, then
 * the stream's status is returned. timeout_ms bounds the whole stream. Thread-safe. */
vbp_status vbp_client_stream(vbp_client *client, const vbp_method *method,
                             const ProtobufCMessage *request, const vbp_call_options *options,
                             vbp_client_message_fn on_message, void *ctx);

/* Ends every call of client in progress, and makes every later one end at once, with
 * UNAVAILABLE and reason (copied; cut at 127 bytes): for a stop that must not wait for a backend
 * any longer. Each ends as a failure would, through its own completion (done, or the stream's
 * status). There is no undoing it; close the client afterwards. Thread-safe. */
void vbp_client_abort_calls(vbp_client *client, const char *reason);

/* Asks target's grpc.health.v1.Health/Check about service ("" or NULL: the whole server;
 * "liveness": the process only); OK when it answers SERVING. */
vbp_status vbp_client_health(vbp_client *client, const char *service, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
