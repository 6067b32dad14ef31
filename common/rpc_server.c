/* The server half of rpc.h (one of common/rpc_*.c, the only files that include gRPC core).
 *
 * One completion queue polled by a fixed pool of worker threads. For every method a few calls
 * are kept requested; when one arrives, the worker that receives it asks for the next one,
 * authenticates, unpacks into the call's arena, runs the handler and starts the answer batch
 * without waiting for it. A streaming call is bound to a completion queue of its own that only
 * its worker plucks, so a handler can wait for each send without holding up the others. Calls to
 * methods nobody registered would otherwise hang until their deadline: a few generic requests
 * stay posted to answer them UNIMPLEMENTED. grpc.health.v1.Health/Check is a method of every
 * server, answered here, and so is server reflection (both versions): a bidirectional stream,
 * bound to its own queue like a server stream, that reads a request and sends its answer
 * (common/reflection.h) until the client half-closes. */
#include "common/rpc_internal.h"

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/reflection.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "vbp_descriptor_set.h"

#define REQUESTS_PER_METHOD 2 /* calls kept requested per method */
#define UNKNOWN_REQUESTS 2    /* generic requests kept posted for unregistered methods */
/* A reflection stream holds a worker while it waits for the next request: a client that went
 * quiet gives the worker back after this long (tools ask their questions within milliseconds). */
#define REFLECTION_IDLE_MS 10000

typedef enum tag_kind {
  TAG_REQUESTED,         /* a registered method's call arrived (or the request was dropped) */
  TAG_FINISHED,          /* a unary answer was sent */
  TAG_UNKNOWN_REQUESTED, /* a call to a method nobody registered arrived */
  TAG_UNKNOWN_FINISHED,
} tag_kind;

struct vbp_call {
  tag_kind kind;
  vbp_server *server;
  size_t method_index; /* into server->methods; metrics index when < config.n_methods */
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array request_md;
  grpc_byte_buffer *payload;
  grpc_call_details details;        /* generic requests only */
  grpc_completion_queue *stream_cq; /* streaming methods only */
  int cancelled;
  bool active; /* counted in server->active */
  bool initial_sent, closed;
  char close_tag, send_tag, status_tag, recv_tag; /* their addresses tag a stream's ops */
  bool recv_pending;             /* a RECV_MESSAGE op of a bidi stream is in flight */
  grpc_byte_buffer *recv_buffer; /* where it lands */
  /* Answer: borrowed by gRPC until the finishing batch completes. */
  vbp_status status;
  char encoded_field[3 * VBP_STATUS_FIELD_MAX];
  char encoded_reason[3 * VBP_STATUS_REASON_MAX];
  grpc_metadata initial_md[2];
  char header_key[32], header_value[128]; /* vbp_call_set_header's, when header_key[0] */
  grpc_metadata trailing_md[2];
  grpc_byte_buffer *response;
  /* Handler's view. */
  vbp_arena *arena;
  ProtobufCAllocator allocator;
  vbp_caller caller;
  char request_id[RPC_REQUEST_ID_MAX + 1];
  int64_t started_us;
};

typedef struct server_method {
  const vbp_method *method;
  void *handle; /* grpc_server_register_method's */
} server_method;

struct vbp_server {
  vbp_server_config config;
  grpc_server *server;
  grpc_completion_queue *cq;
  server_method *methods; /* config's methods, then the built-in health and reflection ones */
  size_t n_methods;
  vbp_reflection *reflection; /* what reflection answers from */
  pthread_t *workers;
  int n_workers;
  int port;
  atomic_bool draining;
  atomic_int active; /* calls taken from gRPC and not yet freed: stop waits for them */
};

static vbp_status health_check(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response);
static vbp_status reflection_info(vbp_call *call);

const vbp_method rpc_health_method = {
    .path = "/grpc.health.v1.Health/Check",
    .request = &grpc__health__v1__health_check_request__descriptor,
    .response = &grpc__health__v1__health_check_response__descriptor,
    .unary = health_check,
    .roles = VBP_ALLOW_UNAUTHENTICATED,
};

/* The API's shape is public (like the gateway's /openapi.json): no caller needed. The methods it
 * reveals still refuse callers their rows do not allow. v1alpha's messages are v1's field for
 * field (same numbers and types), so v1's descriptors read and write both on the wire. */
static const vbp_method reflection_methods[] = {
    {
        .path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        .request = &grpc__reflection__v1__server_reflection_request__descriptor,
        .response = &grpc__reflection__v1__server_reflection_response__descriptor,
        .bidi = reflection_info,
        .roles = VBP_ALLOW_UNAUTHENTICATED,
    },
    {
        .path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        .request = &grpc__reflection__v1__server_reflection_request__descriptor,
        .response = &grpc__reflection__v1__server_reflection_response__descriptor,
        .bidi = reflection_info,
        .roles = VBP_ALLOW_UNAUTHENTICATED,
    },
};
#define N_REFLECTION_METHODS (sizeof reflection_methods / sizeof reflection_methods[0])

static vbp_call *call_new(vbp_server *srv, tag_kind kind, size_t method_index) {
  vbp_call *c = vbp_xcalloc(1, sizeof *c);
  c->kind = kind;
  c->server = srv;
  c->method_index = method_index;
  grpc_metadata_array_init(&c->request_md);
  if (kind == TAG_UNKNOWN_REQUESTED) grpc_call_details_init(&c->details);
  return c;
}

static void call_free(vbp_call *c) {
  if (c->active) atomic_fetch_sub(&c->server->active, 1);
  if (c->call) grpc_call_unref(c->call);
  grpc_metadata_array_destroy(&c->request_md);
  if (c->kind == TAG_UNKNOWN_REQUESTED || c->kind == TAG_UNKNOWN_FINISHED)
    grpc_call_details_destroy(&c->details);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  if (c->recv_buffer) grpc_byte_buffer_destroy(c->recv_buffer);
  if (c->response) grpc_byte_buffer_destroy(c->response);
  if (c->stream_cq) {
    grpc_completion_queue_shutdown(c->stream_cq);
    grpc_completion_queue_destroy(c->stream_cq);
  }
  vbp_arena_destroy(c->arena);
  free(c);
}

/* Asks gRPC for the next call of method i. Returns false while shutting down. */
static bool request_call(vbp_server *srv, size_t i) {
  if (atomic_load(&srv->draining)) return false;
  vbp_call *c = call_new(srv, TAG_REQUESTED, i);
  const vbp_method *m = srv->methods[i].method;
  grpc_completion_queue *bound = srv->cq;
  if (m->stream || m->bidi) bound = c->stream_cq = grpc_completion_queue_create_for_pluck(NULL);
  /* A bidi method is registered without a first payload (its requests come one by one), and
   * gRPC wants no payload pointer for it. */
  grpc_call_error err = grpc_server_request_registered_call(
      srv->server, srv->methods[i].handle, &c->call, &c->deadline, &c->request_md,
      m->bidi ? NULL : &c->payload, bound, srv->cq, c);
  if (err != GRPC_CALL_OK) {
    vbp_log(VBP_LOG_ERROR, "cannot request a call of %s: %d", m->path, err);
    call_free(c);
    return false;
  }
  return true;
}

static bool request_unknown(vbp_server *srv) {
  if (atomic_load(&srv->draining)) return false;
  vbp_call *c = call_new(srv, TAG_UNKNOWN_REQUESTED, 0);
  grpc_call_error err = grpc_server_request_call(srv->server, &c->call, &c->details, &c->request_md,
                                                 srv->cq, srv->cq, c);
  if (err != GRPC_CALL_OK) {
    call_free(c);
    return false;
  }
  return true;
}

/* Fills the status ops shared by unary answers and stream ends: trailing metadata carries the
 * offending field and its reason (API.md), and the details slice points into c->status. */
static void status_op(vbp_call *c, grpc_op *op, grpc_slice *details) {
  size_t n = 0;
  if (c->status.field[0]) {
    rpc_percent_encode(c->status.field, c->encoded_field);
    c->trailing_md[n].key = rpc_static_slice("vbp-error-field");
    c->trailing_md[n++].value = rpc_static_slice(c->encoded_field);
  }
  if (c->status.reason[0]) {
    rpc_percent_encode(c->status.reason, c->encoded_reason);
    c->trailing_md[n].key = rpc_static_slice("vbp-error-reason");
    c->trailing_md[n++].value = rpc_static_slice(c->encoded_reason);
  }
  *details = rpc_static_slice(c->status.message);
  memset(op, 0, sizeof *op);
  op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  op->data.send_status_from_server.status = (grpc_status_code)c->status.code;
  op->data.send_status_from_server.status_details = details;
  op->data.send_status_from_server.trailing_metadata = c->trailing_md;
  op->data.send_status_from_server.trailing_metadata_count = n;
}

static void initial_op(vbp_call *c, grpc_op *op) {
  memset(op, 0, sizeof *op);
  op->op = GRPC_OP_SEND_INITIAL_METADATA;
  c->initial_md[0].key = rpc_static_slice("x-request-id");
  c->initial_md[0].value = rpc_static_slice(c->request_id);
  size_t n = 1;
  if (c->header_key[0]) {
    c->initial_md[n].key = rpc_static_slice(c->header_key);
    c->initial_md[n++].value = rpc_static_slice(c->header_value);
  }
  op->data.send_initial_metadata.metadata = c->initial_md;
  op->data.send_initial_metadata.count = n;
  c->initial_sent = true;
}

static void log_and_count(vbp_call *c) {
  vbp_server *srv = c->server;
  int64_t took = vbp_monotonic_us() - c->started_us;
  const char *path =
      c->method_index < srv->n_methods ? srv->methods[c->method_index].method->path : "unknown";
  vbp_code code = c->status.code;
  vbp_log_level level = code == VBP_OK || code == VBP_NOT_FOUND || code == VBP_INVALID_ARGUMENT ||
                                code == VBP_ALREADY_EXISTS || code == VBP_FAILED_PRECONDITION
                            ? VBP_LOG_DEBUG
                        : code == VBP_INTERNAL || code == VBP_UNKNOWN || code == VBP_DATA_LOSS
                            ? VBP_LOG_ERROR
                            : VBP_LOG_INFO;
  if (code == VBP_OK && vbp_log_enabled(VBP_LOG_INFO)) level = VBP_LOG_INFO;
  vbp_log_call(level, path, c->request_id, vbp_caller_name(&c->caller), &c->status, took);
  if (srv->config.metrics && c->method_index < srv->config.n_methods) {
    vbp_metrics_observe(srv->config.metrics, c->method_index, code, took);
    vbp_metrics_in_flight(srv->config.metrics, -1);
  }
}

/* Reads the request id, proves the caller and checks the method's table row allows its role. */
static vbp_status admit(vbp_call *c, const vbp_method *m) {
  const char *rid = rpc_md_find(&c->request_md, "x-request-id", c->arena);
  if (rid && *rid && strlen(rid) <= RPC_REQUEST_ID_MAX) {
    snprintf(c->request_id, sizeof c->request_id, "%s", rid);
  } else {
    static _Atomic uint64_t sequence;
    uint64_t n = atomic_fetch_add(&sequence, 1);
    snprintf(c->request_id, sizeof c->request_id, "%08llx-%08llx",
             (unsigned long long)(c->started_us & 0xffffffffu), (unsigned long long)n);
  }
  if (m->roles & VBP_ALLOW_UNAUTHENTICATED) return vbp_status_ok();
  if (!c->server->config.auth) return vbp_status_make(VBP_INTERNAL, "no authenticator");
  vbp_credentials cred = {
      .authorization = rpc_md_find(&c->request_md, "authorization", c->arena),
      .org = rpc_md_find(&c->request_md, VBP_MD_ORG, c->arena),
      .role = rpc_md_find(&c->request_md, VBP_MD_ROLE, c->arena),
      .region = rpc_md_find(&c->request_md, VBP_MD_REGION, c->arena),
      .ts = rpc_md_find(&c->request_md, VBP_MD_TS, c->arena),
      .sig = rpc_md_find(&c->request_md, VBP_MD_SIG, c->arena),
  };
  vbp_status st =
      vbp_authenticate(c->server->config.auth, m->path, &cred, vbp_now_ms(), &c->caller);
  if (vbp_ok(&st) && !vbp_roles_allow(m->roles, c->caller.role))
    st = vbp_status_make(VBP_PERMISSION_DENIED, "the caller may not do this");
  return st;
}

static void run_unary(vbp_call *c, const vbp_method *m, const ProtobufCMessage *request) {
  ProtobufCMessage *response = NULL;
  c->status = m->unary(c, request, &response);
  if (c->status.code == VBP_OK) {
    if (response && response->descriptor == m->response) {
      c->response = rpc_pack(response);
    } else {
      c->status = vbp_status_make(VBP_INTERNAL, "handler gave no %s", m->response->name);
    }
  }
}

static void finish_unary(vbp_call *c) {
  grpc_op ops[4];
  grpc_slice details;
  size_t n = 0;
  initial_op(c, &ops[n++]);
  if (c->response) {
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = c->response;
  }
  status_op(c, &ops[n++], &details);
  memset(&ops[n], 0, sizeof ops[n]);
  ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
  c->kind = c->kind == TAG_UNKNOWN_REQUESTED ? TAG_UNKNOWN_FINISHED : TAG_FINISHED;
  grpc_call_error err = grpc_call_start_batch(c->call, ops, n, c, NULL);
  if (err != GRPC_CALL_OK) {
    vbp_log(VBP_LOG_ERROR, "cannot send an answer: %d", err);
    log_and_count(c);
    call_free(c);
  }
}

/* Waits for tag on the streaming call's own queue. */
static bool pluck(vbp_call *c, void *tag, gpr_timespec deadline) {
  grpc_event ev = grpc_completion_queue_pluck(c->stream_cq, tag, deadline, NULL);
  return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* Sends the handler's status; a receive still in flight (the handler stopped waiting for it)
 * completes once the status is out, and must be collected before the call is freed. */
static void end_stream(vbp_call *c) {
  grpc_op ops[2];
  grpc_slice details;
  size_t n = 0;
  if (!c->initial_sent) initial_op(c, &ops[n++]);
  status_op(c, &ops[n++], &details);
  if (grpc_call_start_batch(c->call, ops, n, &c->status_tag, NULL) == GRPC_CALL_OK)
    pluck(c, &c->status_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
  if (c->recv_pending) {
    pluck(c, &c->recv_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
    c->recv_pending = false;
  }
  if (!c->closed) pluck(c, &c->close_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
  c->closed = true;
}

static void run_stream(vbp_call *c, const vbp_method *m, const ProtobufCMessage *request) {
  /* Learn about a client that goes away: this op completes on cancel or at the end. */
  grpc_op close_op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER};
  close_op.data.recv_close_on_server.cancelled = &c->cancelled;
  if (grpc_call_start_batch(c->call, &close_op, 1, &c->close_tag, NULL) != GRPC_CALL_OK) {
    c->status = vbp_status_make(VBP_INTERNAL, "cannot watch the stream");
    return;
  }
  c->status = m->bidi ? m->bidi(c) : m->stream(c, request);
  end_stream(c);
}

static void handle_call(vbp_call *c) {
  vbp_server *srv = c->server;
  const vbp_method *m = srv->methods[c->method_index].method;
  c->started_us = vbp_monotonic_us();
  c->arena = vbp_arena_create();
  c->allocator = vbp_arena_allocator(c->arena);
  if (srv->config.metrics && c->method_index < srv->config.n_methods)
    vbp_metrics_in_flight(srv->config.metrics, 1);
  c->status = admit(c, m);
  /* A call that waited past its deadline in the queue is not worth starting. */
  if (c->status.code == VBP_OK && vbp_call_remaining_ms(c) <= 0)
    c->status = vbp_status_make(VBP_DEADLINE_EXCEEDED, "the deadline passed before the call ran");
  ProtobufCMessage *request = NULL;
  if (c->status.code == VBP_OK && !m->bidi) { /* a bidi handler reads its own requests */
    grpc_byte_buffer *payload = c->payload;
    c->payload = NULL;
    request = payload ? rpc_unpack(payload, m->request, &c->allocator) : NULL;
    if (!request)
      c->status =
          vbp_status_make(VBP_INVALID_ARGUMENT, "the request is not a valid %s", m->request->name);
  }
  if (m->stream || m->bidi) {
    if (c->status.code == VBP_OK) {
      run_stream(c, m, request);
    } else {
      grpc_op ops[3];
      grpc_slice details;
      size_t n = 0;
      initial_op(c, &ops[n++]);
      status_op(c, &ops[n++], &details);
      memset(&ops[n], 0, sizeof ops[n]);
      ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
      ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
      if (grpc_call_start_batch(c->call, ops, n, &c->status_tag, NULL) == GRPC_CALL_OK)
        pluck(c, &c->status_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
    }
    log_and_count(c);
    call_free(c);
    return;
  }
  if (c->status.code == VBP_OK) run_unary(c, m, request);
  /* The packed answer is a copy: the arena can go now rather than after the network send. */
  vbp_arena_destroy(c->arena);
  c->arena = NULL;
  finish_unary(c);
}

static void answer_unknown(vbp_call *c) {
  c->started_us = vbp_monotonic_us();
  snprintf(c->request_id, sizeof c->request_id, "-");
  c->status = vbp_status_make(VBP_UNIMPLEMENTED, "no such method");
  c->method_index = SIZE_MAX;
  finish_unary(c);
}

static void *worker_main(void *arg) {
  vbp_server *srv = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type != GRPC_OP_COMPLETE) continue;
    vbp_call *c = ev.tag;
    switch (c->kind) {
      case TAG_REQUESTED:
        if (!ev.success) { /* shutting down: the request was never matched */
          call_free(c);
          break;
        }
        c->active = true;
        atomic_fetch_add(&srv->active, 1);
        request_call(srv, c->method_index);
        handle_call(c);
        break;
      case TAG_UNKNOWN_REQUESTED:
        if (!ev.success) {
          call_free(c);
          break;
        }
        c->active = true;
        atomic_fetch_add(&srv->active, 1);
        request_unknown(srv);
        answer_unknown(c);
        break;
      case TAG_FINISHED:
        /* The answer never reached the client: count what the client saw, not the handler. */
        if ((!ev.success || c->cancelled) && c->status.code == VBP_OK)
          c->status = vbp_call_remaining_ms(c) <= 0
                          ? vbp_status_make(VBP_DEADLINE_EXCEEDED, "the deadline passed")
                          : vbp_status_make(VBP_CANCELLED, "the client went away");
        log_and_count(c);
        call_free(c);
        break;
      case TAG_UNKNOWN_FINISHED:
        call_free(c);
        break;
    }
  }
  return NULL;
}

/* Whether name is the service ("vbp.v1.CatalogService") of one of the server's methods. */
static bool serves(const vbp_server *srv, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < srv->config.n_methods; i++) {
    const char *path = srv->config.methods[i].path;
    if (path[0] == '/' && strncmp(path + 1, name, n) == 0 && path[n + 1] == '/') return true;
  }
  return false;
}

/* grpc.health.v1: "" (the whole server) and each service name answer readiness, which asks the
 * service (its database); "liveness" answers only whether the process serves at all, so an
 * orchestrator does not restart every replica while a database is down. */
static vbp_status health_check(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response) {
  const Grpc__Health__V1__HealthCheckRequest *in =
      (const Grpc__Health__V1__HealthCheckRequest *)request;
  vbp_server *srv = call->server;
  bool liveness = strcmp(in->service, "liveness") == 0;
  if (!liveness && *in->service && !serves(srv, in->service))
    return vbp_status_make(VBP_NOT_FOUND, "no service %s here", in->service);
  Grpc__Health__V1__HealthCheckResponse *r = vbp_arena_alloc(call->arena, sizeof *r);
  grpc__health__v1__health_check_response__init(r);
  bool up = !atomic_load(&srv->draining);
  if (up && !liveness && srv->config.ready)
    up = srv->config.ready(srv->config.ready_context ? srv->config.ready_context
                                                     : srv->config.context);
  r->status = up ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                 : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
  *response = &r->base;
  return vbp_status_ok();
}

/* Server reflection: one answer per request until the client half-closes. Each request and its
 * answer live in an arena of their own, so a long stream does not grow the call's. */
static vbp_status reflection_info(vbp_call *call) {
  vbp_arena *scratch = vbp_arena_create();
  ProtobufCAllocator allocator = vbp_arena_allocator(scratch);
  vbp_status st;
  for (;;) {
    ProtobufCMessage *request = NULL;
    st = vbp_call_recv(call, &allocator, REFLECTION_IDLE_MS, &request);
    if (!vbp_ok(&st) || !request) break;
    Grpc__Reflection__V1__ServerReflectionResponse *answer = vbp_reflection_answer(
        call->server->reflection, (const Grpc__Reflection__V1__ServerReflectionRequest *)request,
        scratch);
    st = vbp_call_send(call, &answer->base);
    vbp_arena_reset(scratch);
    if (!vbp_ok(&st)) break;
  }
  vbp_arena_destroy(scratch);
  return st;
}

/* The services a server answers, each once, in the order of its methods: what reflection lists. */
static vbp_status start_reflection(vbp_server *srv) {
  const char **names = vbp_xcalloc(srv->n_methods, sizeof *names);
  vbp_arena *scratch = vbp_arena_create();
  size_t n = 0;
  for (size_t i = 0; i < srv->n_methods; i++) {
    const char *path = srv->methods[i].method->path;
    const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
    if (!slash) continue;
    const char *name = vbp_arena_strndup(scratch, path + 1, (size_t)(slash - path - 1));
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++) seen = strcmp(names[k], name) == 0;
    if (!seen) names[n++] = name;
  }
  vbp_status st = vbp_reflection_create(vbp_descriptor_set, vbp_descriptor_set_size, names, n,
                                        &srv->reflection);
  vbp_arena_destroy(scratch);
  free(names);
  return st;
}

vbp_status vbp_server_start(const vbp_server_config *config, vbp_server **out) {
  for (size_t i = 0; i < config->n_methods; i++)
    if (config->methods[i].roles == 0)
      return vbp_status_make(VBP_INVALID_ARGUMENT, "%s: the method table says nobody may call it",
                             config->methods[i].path);
  vbp_server *srv = vbp_xcalloc(1, sizeof *srv);
  srv->config = *config;
  srv->n_workers = config->workers > 0 ? config->workers : 2;
  srv->n_methods = config->n_methods + 1 + N_REFLECTION_METHODS;
  srv->methods = vbp_xcalloc(srv->n_methods, sizeof(server_method));
  for (size_t i = 0; i < config->n_methods; i++) srv->methods[i].method = &config->methods[i];
  srv->methods[config->n_methods].method = &rpc_health_method;
  for (size_t i = 0; i < N_REFLECTION_METHODS; i++)
    srv->methods[config->n_methods + 1 + i].method = &reflection_methods[i];
  vbp_status st = start_reflection(srv);
  if (!vbp_ok(&st)) {
    free(srv->methods);
    free(srv);
    return st;
  }

  grpc_arg args[2] = {
      {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
      {.type = GRPC_ARG_INTEGER,
       .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
       .value.integer = rpc_max_message_bytes()},
  };
  grpc_channel_args channel_args = {.num_args = 2, .args = args};
  srv->server = grpc_server_create(&channel_args, NULL);
  srv->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
  for (size_t i = 0; i < srv->n_methods; i++)
    srv->methods[i].handle = grpc_server_register_method(
        srv->server, srv->methods[i].method->path, NULL,
        srv->methods[i].method->bidi ? GRPC_SRM_PAYLOAD_NONE
                                     : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
        0);

  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  srv->port = grpc_server_add_http2_port(srv->server, config->listen_addr, creds);
  grpc_server_credentials_release(creds);
  if (srv->port == 0) {
    grpc_server_destroy(srv->server);
    grpc_completion_queue_shutdown(srv->cq);
    grpc_completion_queue_destroy(srv->cq);
    vbp_reflection_destroy(srv->reflection);
    free(srv->methods);
    free(srv);
    return vbp_status_make(VBP_UNAVAILABLE, "cannot listen on %s (taken, or not a local address)",
                           config->listen_addr);
  }
  grpc_server_start(srv->server);
  for (size_t i = 0; i < srv->n_methods; i++)
    for (int k = 0; k < REQUESTS_PER_METHOD; k++) request_call(srv, i);
  for (int k = 0; k < UNKNOWN_REQUESTS; k++) request_unknown(srv);

  srv->workers = vbp_xcalloc((size_t)srv->n_workers, sizeof(pthread_t));
  for (int i = 0; i < srv->n_workers; i++) pthread_create(&srv->workers[i], NULL, worker_main, srv);
  *out = srv;
  return vbp_status_ok();
}

int vbp_server_port(const vbp_server *server) { return server->port; }

void vbp_server_stop(vbp_server *srv, int grace_ms) {
  if (!srv) return;
  atomic_store(&srv->draining, true);
  grpc_completion_queue *shutdown_cq = grpc_completion_queue_create_for_pluck(NULL);
  static char shutdown_tag;
  grpc_server_shutdown_and_notify(srv->server, shutdown_cq, &shutdown_tag);
  gpr_timespec grace =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(grace_ms, GPR_TIMESPAN));
  grpc_event ev = grpc_completion_queue_pluck(shutdown_cq, &shutdown_tag, grace, NULL);
  if (ev.type == GRPC_QUEUE_TIMEOUT) {
    vbp_log(VBP_LOG_WARN, "calls still running after %d ms: cancelling them", grace_ms);
    grpc_server_cancel_all_calls(srv->server);
    grpc_completion_queue_pluck(shutdown_cq, &shutdown_tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                NULL);
  }
  grpc_completion_queue_shutdown(shutdown_cq);
  grpc_completion_queue_destroy(shutdown_cq);
  /* gRPC is done with every call, but a handler may still be running for one that ended on the
   * wire (deadline, cancel): its answer batch needs the queue, so wait for it first. */
  while (atomic_load(&srv->active) > 0) {
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 5000000};
    nanosleep(&pause, NULL);
  }
  grpc_completion_queue_shutdown(srv->cq);
  for (int i = 0; i < srv->n_workers; i++) pthread_join(srv->workers[i], NULL);
  grpc_server_destroy(srv->server);
  grpc_completion_queue_destroy(srv->cq);
  free(srv->workers);
  free(srv->methods);
  vbp_reflection_destroy(srv->reflection);
  free(srv);
}

void vbp_call_set_header(vbp_call *call, const char *key, const char *value) {
  snprintf(call->header_key, sizeof call->header_key, "%s", key);
  snprintf(call->header_value, sizeof call->header_value, "%s", value);
}

vbp_arena *vbp_call_arena(vbp_call *call) { return call->arena; }
ProtobufCAllocator *vbp_call_allocator(vbp_call *call) { return &call->allocator; }
void *vbp_call_context(vbp_call *call) { return call->server->config.context; }
const vbp_caller *vbp_call_caller(const vbp_call *call) { return &call->caller; }
const char *vbp_call_request_id(const vbp_call *call) { return call->request_id; }
const char *vbp_call_method(const vbp_call *call) {
  return call->server->methods[call->method_index].method->path;
}

int64_t vbp_call_remaining_ms(const vbp_call *call) {
  if (gpr_time_cmp(call->deadline, gpr_inf_future(call->deadline.clock_type)) == 0)
    return INT64_MAX;
  gpr_timespec deadline = gpr_convert_clock_type(call->deadline, GPR_CLOCK_MONOTONIC);
  gpr_timespec left = gpr_time_sub(deadline, gpr_now(GPR_CLOCK_MONOTONIC));
  return (int64_t)left.tv_sec * 1000 + left.tv_nsec / 1000000;
}

bool vbp_call_done(vbp_call *call) {
  if (vbp_call_remaining_ms(call) <= 0) return true;
  if (call->stream_cq && !call->closed) {
    /* Before the status is sent, the close op completes only when the client cancelled. */
    grpc_event ev = grpc_completion_queue_pluck(call->stream_cq, &call->close_tag,
                                                gpr_time_0(GPR_CLOCK_MONOTONIC), NULL);
    if (ev.type == GRPC_OP_COMPLETE) call->closed = true;
  }
  return call->cancelled != 0;
}

vbp_status vbp_call_send(vbp_call *call, const ProtobufCMessage *message) {
  if (!call->stream_cq) return vbp_status_make(VBP_INTERNAL, "send on a unary call");
  if (vbp_call_remaining_ms(call) <= 0)
    return vbp_status_make(VBP_DEADLINE_EXCEEDED, "deadline passed while streaming");
  grpc_op ops[2];
  size_t n = 0;
  if (!call->initial_sent) initial_op(call, &ops[n++]);
  memset(&ops[n], 0, sizeof ops[n]);
  ops[n].op = GRPC_OP_SEND_MESSAGE;
  grpc_byte_buffer *bb = rpc_pack(message);
  ops[n++].data.send_message.send_message = bb;
  bool sent = grpc_call_start_batch(call->call, ops, n, &call->send_tag, NULL) == GRPC_CALL_OK &&
              pluck(call, &call->send_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
  grpc_byte_buffer_destroy(bb);
  if (!sent || call->cancelled)
    return vbp_status_make(VBP_CANCELLED, "the client went away during the stream");
  return vbp_status_ok();
}

vbp_status vbp_call_recv(vbp_call *call, ProtobufCAllocator *allocator, int64_t idle_ms,
                         ProtobufCMessage **request) {
  *request = NULL;
  const vbp_method *m = call->server->methods[call->method_index].method;
  if (!m->bidi || call->recv_pending)
    return vbp_status_make(VBP_INTERNAL, "receive outside a bidirectional stream");
  if (call->recv_buffer) { /* a receive that failed may have left one */
    grpc_byte_buffer_destroy(call->recv_buffer);
    call->recv_buffer = NULL;
  }
  grpc_op op = {.op = GRPC_OP_RECV_MESSAGE};
  op.data.recv_message.recv_message = &call->recv_buffer;
  if (grpc_call_start_batch(call->call, &op, 1, &call->recv_tag, NULL) != GRPC_CALL_OK)
    return vbp_status_make(VBP_INTERNAL, "cannot read the stream");
  call->recv_pending = true;
  /* gRPC itself ends the call at its deadline, which completes the receive. */
  gpr_timespec until =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(idle_ms, GPR_TIMESPAN));
  grpc_event ev = grpc_completion_queue_pluck(call->stream_cq, &call->recv_tag, until, NULL);
  if (ev.type != GRPC_OP_COMPLETE) /* still pending: end_stream collects it */
    return vbp_status_make(VBP_DEADLINE_EXCEEDED, "no request for %lld ms", (long long)idle_ms);
  call->recv_pending = false;
  /* A cancel or the deadline also ends the receive with no message: tell them from a half-close
   * (so the log and the metrics say what the client saw). */
  if (!ev.success || (!call->recv_buffer && vbp_call_done(call)) || call->cancelled)
    return vbp_call_remaining_ms(call) <= 0
               ? vbp_status_make(VBP_DEADLINE_EXCEEDED, "deadline passed while streaming")
               : vbp_status_make(VBP_CANCELLED, "the client went away during the stream");
  if (!call->recv_buffer) return vbp_status_ok(); /* the client half-closed */
  grpc_byte_buffer *bb = call->recv_buffer;
  call->recv_buffer = NULL;
  *request = rpc_unpack(bb, m->request, allocator);
  if (!*request)
    return vbp_status_make(VBP_INVALID_ARGUMENT, "a request is not a valid %s", m->request->name);
  return vbp_status_ok();
}

vbp_metrics *vbp_metrics_for_methods(const char *service, const vbp_method *methods, size_t n) {
  const char **names = vbp_xcalloc(n ? n : 1, sizeof *names);
  for (size_t i = 0; i < n; i++) names[i] = methods[i].path;
  vbp_metrics *metrics = vbp_metrics_create(service, names, n); /* copies the names */
  free(names);
  return metrics;
}
