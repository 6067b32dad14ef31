/* The only file that includes <grpc/grpc.h> (STYLE.md): gRPC core's C API changes between
 * releases, so everything else talks to rpc.h.
 *
 * Server: one completion queue polled by a fixed pool of worker threads. For every method a
 * few calls are kept requested; when one arrives, the worker that receives it asks for the next
 * one, authenticates, unpacks into the call's arena, runs the handler and starts the answer
 * batch without waiting for it. A streaming call is bound to a completion queue of its own that
 * only its worker plucks, so a handler can wait for each send without holding up the others.
 * Calls to methods nobody registered would otherwise hang until their deadline: a few generic
 * requests stay posted to answer them UNIMPLEMENTED.
 *
 * Client: one channel per peer; every client shares one completion queue, drained by a thread
 * that runs each call's completion callback. */
#include "common/rpc.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grpc/health/v1/health.pb-c.h"
#include "common/log.h"

#define REQUESTS_PER_METHOD 2 /* calls kept requested per method */
#define UNKNOWN_REQUESTS 2    /* generic requests kept posted for unregistered methods */
#define MAX_MESSAGE_BYTES (72 * 1024 * 1024) /* imports may carry 64 MiB of NDJSON */
#define REQUEST_ID_MAX 64

/* ---------------------------------------------------------------- common */

static void gpr_log_to_ours(gpr_log_func_args *args) {
  vbp_log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? VBP_LOG_ERROR
                        : args->severity == GPR_LOG_SEVERITY_INFO ? VBP_LOG_INFO
                                                                  : VBP_LOG_DEBUG;
  vbp_log(level, "grpc %s:%d %s", args->file, args->line, args->message);
}

/* Debian builds Abseil without NDEBUG, so every absl::Mutex that gRPC takes also updates a
 * process-wide lock-order graph to detect deadlocks (absl's debug default): measured at about 3%
 * of the gateway's and catalog-svc's CPU, behind a lock every thread contends on. Turned off as
 * a release build of Abseil has it, by absl::SetMutexDeadlockDetectionMode(kIgnore), looked up
 * by its C++ name (Debian's inline namespace, then none) since this is C. An Abseil without
 * either symbol is left as it is. */
static void absl_deadlock_detection_off(void) {
  static const char *const names[] = {
      "_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE",
      "_ZN4absl29SetMutexDeadlockDetectionModeENS_15OnDeadlockCycleE",
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    void *symbol = dlsym(RTLD_DEFAULT, names[i]);
    if (!symbol) continue;
    void (*set_mode)(int);
    memcpy(&set_mode, &symbol, sizeof set_mode); /* ISO C has no object-to-function cast */
    set_mode(0);                                 /* absl::OnDeadlockCycle::kIgnore */
    return;
  }
}

void vbp_rpc_init(void) {
  gpr_set_log_function(gpr_log_to_ours);
  absl_deadlock_detection_off();
  grpc_init();
}

void vbp_rpc_shutdown(void) { grpc_shutdown(); }

static grpc_byte_buffer *pack(const ProtobufCMessage *message) {
  size_t len = protobuf_c_message_get_packed_size(message);
  grpc_slice slice = grpc_slice_malloc(len);
  protobuf_c_message_pack(message, GRPC_SLICE_START_PTR(slice));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return bb;
}

/* Unpacks and destroys bb; NULL when the bytes are not a valid message. */
static ProtobufCMessage *unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                                ProtobufCAllocator *allocator) {
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, bb)) {
    grpc_byte_buffer_destroy(bb);
    return NULL;
  }
  grpc_slice slice = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  ProtobufCMessage *m = protobuf_c_message_unpack(desc, allocator, GRPC_SLICE_LENGTH(slice),
                                                  GRPC_SLICE_START_PTR(slice));
  grpc_slice_unref(slice);
  grpc_byte_buffer_destroy(bb);
  return m;
}

static bool slice_is(grpc_slice s, const char *text) {
  size_t n = strlen(text);
  return GRPC_SLICE_LENGTH(s) == n && memcmp(GRPC_SLICE_START_PTR(s), text, n) == 0;
}

/* The value of key in md copied into arena, or NULL. */
static const char *md_find(const grpc_metadata_array *md, const char *key, vbp_arena *arena) {
  for (size_t i = 0; i < md->count; i++)
    if (slice_is(md->metadata[i].key, key))
      return vbp_arena_strndup(arena, (const char *)GRPC_SLICE_START_PTR(md->metadata[i].value),
                               GRPC_SLICE_LENGTH(md->metadata[i].value));
  return NULL;
}

static grpc_slice static_slice(const char *text) { return grpc_slice_from_static_string(text); }

/* ---------------------------------------------------------------- server */

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
  grpc_call_details details;         /* generic requests only */
  grpc_completion_queue *stream_cq;  /* streaming methods only */
  int cancelled;
  bool active; /* counted in server->active */
  bool initial_sent, closed;
  char close_tag, send_tag, status_tag; /* their addresses tag a stream's ops */
  /* Answer: borrowed by gRPC until the finishing batch completes. */
  vbp_status status;
  char encoded_field[3 * VBP_STATUS_FIELD_MAX];
  char encoded_reason[3 * VBP_STATUS_REASON_MAX];
  grpc_metadata initial_md[1];
  grpc_metadata trailing_md[2];
  grpc_byte_buffer *response;
  /* Handler's view. */
  vbp_arena *arena;
  ProtobufCAllocator allocator;
  vbp_caller caller;
  char request_id[REQUEST_ID_MAX + 1];
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
  server_method *methods; /* config's methods, then the built-in health check */
  size_t n_methods;
  pthread_t *workers;
  int n_workers;
  int port;
  atomic_bool draining;
  atomic_int active; /* calls taken from gRPC and not yet freed: stop waits for them */
};

static vbp_status health_check(vbp_call *call, const ProtobufCMessage *request,
                               ProtobufCMessage **response);

static const vbp_method health_method = {
    .path = "/grpc.health.v1.Health/Check",
    .request = &grpc__health__v1__health_check_request__descriptor,
    .response = &grpc__health__v1__health_check_response__descriptor,
    .unary = health_check,
    .auth = VBP_AUTH_NONE,
};

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
  if (m->stream) bound = c->stream_cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_call_error err = grpc_server_request_registered_call(
      srv->server, srv->methods[i].handle, &c->call, &c->deadline, &c->request_md, &c->payload,
      bound, srv->cq, c);
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
  grpc_call_error err = grpc_server_request_call(srv->server, &c->call, &c->details,
                                                 &c->request_md, srv->cq, srv->cq, c);
  if (err != GRPC_CALL_OK) {
    call_free(c);
    return false;
  }
  return true;
}

/* Metadata values must be printable ASCII: like grpc-message, anything else (a reason quoting
 * 干扰素) and '%' itself travel as %XX of their UTF-8 bytes. out holds 3 * strlen(in) + 1. */
static void percent_encode(const char *in, char *out) {
  static const char digits[] = "0123456789ABCDEF";
  for (; *in; in++) {
    unsigned char ch = (unsigned char)*in;
    if (ch >= 0x20 && ch < 0x7f && ch != '%') {
      *out++ = (char)ch;
    } else {
      *out++ = '%';
      *out++ = digits[ch >> 4];
      *out++ = digits[ch & 15];
    }
  }
  *out = '\0';
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

/* Decodes len bytes of percent-encoded text into out (cap bytes, NUL-terminated, cut short
 * when it does not fit); a '%' not followed by two hex digits is kept as it is. */
static void percent_decode(const char *in, size_t len, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < cap; i++) {
    int hi, lo;
    if (in[i] == '%' && i + 2 < len && (hi = hex_value(in[i + 1])) >= 0 &&
        (lo = hex_value(in[i + 2])) >= 0) {
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = in[i];
    }
  }
  out[o] = '\0';
}

/* Fills the status ops shared by unary answers and stream ends: trailing metadata carries the
 * offending field and its reason (API.md), and the details slice points into c->status. */
static void status_op(vbp_call *c, grpc_op *op, grpc_slice *details) {
  size_t n = 0;
  if (c->status.field[0]) {
    percent_encode(c->status.field, c->encoded_field);
    c->trailing_md[n].key = static_slice("vbp-error-field");
    c->trailing_md[n++].value = static_slice(c->encoded_field);
  }
  if (c->status.reason[0]) {
    percent_encode(c->status.reason, c->encoded_reason);
    c->trailing_md[n].key = static_slice("vbp-error-reason");
    c->trailing_md[n++].value = static_slice(c->encoded_reason);
  }
  *details = static_slice(c->status.message);
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
  c->initial_md[0].key = static_slice("x-request-id");
  c->initial_md[0].value = static_slice(c->request_id);
  op->data.send_initial_metadata.metadata = c->initial_md;
  op->data.send_initial_metadata.count = 1;
  c->initial_sent = true;
}

static void log_and_count(vbp_call *c) {
  vbp_server *srv = c->server;
  int64_t took = vbp_monotonic_us() - c->started_us;
  const char *path = c->method_index < srv->n_methods
                         ? srv->methods[c->method_index].method->path
                         : "unknown";
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

/* Reads the request id and proves the caller. */
static vbp_status admit(vbp_call *c, const vbp_method *m) {
  const char *rid = md_find(&c->request_md, "x-request-id", c->arena);
  if (rid && *rid && strlen(rid) <= REQUEST_ID_MAX) {
    snprintf(c->request_id, sizeof c->request_id, "%s", rid);
  } else {
    static _Atomic uint64_t sequence;
    uint64_t n = atomic_fetch_add(&sequence, 1);
    snprintf(c->request_id, sizeof c->request_id, "%08llx-%08llx",
             (unsigned long long)(c->started_us & 0xffffffffu), (unsigned long long)n);
  }
  if (m->auth == VBP_AUTH_NONE) return vbp_status_ok();
  if (!c->server->config.auth) return vbp_status_make(VBP_INTERNAL, "no authenticator");
  vbp_credentials cred = {
      .authorization = md_find(&c->request_md, "authorization", c->arena),
      .org = md_find(&c->request_md, VBP_MD_ORG, c->arena),
      .role = md_find(&c->request_md, VBP_MD_ROLE, c->arena),
      .region = md_find(&c->request_md, VBP_MD_REGION, c->arena),
      .ts = md_find(&c->request_md, VBP_MD_TS, c->arena),
      .sig = md_find(&c->request_md, VBP_MD_SIG, c->arena),
  };
  return vbp_authenticate(c->server->config.auth, m->path, &cred, vbp_now_ms(), &c->caller);
}

static void run_unary(vbp_call *c, const vbp_method *m, const ProtobufCMessage *request) {
  ProtobufCMessage *response = NULL;
  c->status = m->unary(c, request, &response);
  if (c->status.code == VBP_OK) {
    if (response && response->descriptor == m->response) {
      c->response = pack(response);
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

static void run_stream(vbp_call *c, const vbp_method *m, const ProtobufCMessage *request) {
  /* Learn about a client that goes away: this op completes on cancel or at the end. */
  grpc_op close_op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER};
  close_op.data.recv_close_on_server.cancelled = &c->cancelled;
  if (grpc_call_start_batch(c->call, &close_op, 1, &c->close_tag, NULL) != GRPC_CALL_OK) {
    c->status = vbp_status_make(VBP_INTERNAL, "cannot watch the stream");
    return;
  }
  c->status = m->stream(c, request);
  grpc_op ops[2];
  grpc_slice details;
  size_t n = 0;
  if (!c->initial_sent) initial_op(c, &ops[n++]);
  status_op(c, &ops[n++], &details);
  if (grpc_call_start_batch(c->call, ops, n, &c->status_tag, NULL) == GRPC_CALL_OK)
    pluck(c, &c->status_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
  if (!c->closed) pluck(c, &c->close_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
  c->closed = true;
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
  if (c->status.code == VBP_OK) {
    grpc_byte_buffer *payload = c->payload;
    c->payload = NULL;
    request = payload ? unpack(payload, m->request, &c->allocator) : NULL;
    if (!request)
      c->status = vbp_status_make(VBP_INVALID_ARGUMENT, "the request is not a valid %s",
                                  m->request->name);
  }
  if (m->stream) {
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
    grpc_event ev =
        grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
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
  if (up && !liveness && srv->config.ready) up = srv->config.ready(srv->config.context);
  r->status = up ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                 : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
  *response = &r->base;
  return vbp_status_ok();
}

vbp_status vbp_server_start(const vbp_server_config *config, vbp_server **out) {
  vbp_server *srv = vbp_xcalloc(1, sizeof *srv);
  srv->config = *config;
  srv->n_workers = config->workers > 0 ? config->workers : 2;
  srv->n_methods = config->n_methods + 1;
  srv->methods = vbp_xcalloc(srv->n_methods, sizeof(server_method));
  for (size_t i = 0; i < config->n_methods; i++) srv->methods[i].method = &config->methods[i];
  srv->methods[config->n_methods].method = &health_method;

  grpc_arg args[2] = {
      {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
      {.type = GRPC_ARG_INTEGER,
       .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
       .value.integer = MAX_MESSAGE_BYTES},
  };
  grpc_channel_args channel_args = {.num_args = 2, .args = args};
  srv->server = grpc_server_create(&channel_args, NULL);
  srv->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
  for (size_t i = 0; i < srv->n_methods; i++)
    srv->methods[i].handle = grpc_server_register_method(
        srv->server, srv->methods[i].method->path, NULL,
        GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);

  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  srv->port = grpc_server_add_http2_port(srv->server, config->listen_addr, creds);
  grpc_server_credentials_release(creds);
  if (srv->port == 0) {
    grpc_server_destroy(srv->server);
    grpc_completion_queue_shutdown(srv->cq);
    grpc_completion_queue_destroy(srv->cq);
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
  gpr_timespec grace = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                    gpr_time_from_millis(grace_ms, GPR_TIMESPAN));
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
  free(srv);
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
  grpc_byte_buffer *bb = pack(message);
  ops[n++].data.send_message.send_message = bb;
  bool sent = grpc_call_start_batch(call->call, ops, n, &call->send_tag, NULL) == GRPC_CALL_OK &&
              pluck(call, &call->send_tag, gpr_inf_future(GPR_CLOCK_REALTIME));
  grpc_byte_buffer_destroy(bb);
  if (!sent || call->cancelled)
    return vbp_status_make(VBP_CANCELLED, "the client went away during the stream");
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- client */

#define MAX_REGISTERED 128

/* Every client of the process shares one completion queue and the threads that drain it. With
 * a queue per client, each queue's thread took turns polling gRPC's sockets for all of them, so
 * the thread that read an answer was seldom the one whose queue it completed on: one more
 * wake-up and thread switch per call. Shared, the thread that reads an answer runs its callback.
 * Started with the first client, stopped with the last. */
#define CLIENT_THREADS 1

static struct {
  pthread_mutex_t lock;
  int clients;
  grpc_completion_queue *cq;
  pthread_t threads[CLIENT_THREADS];
} shared = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct vbp_client {
  grpc_channel *channel;
  grpc_completion_queue *cq; /* shared.cq */
  char *secret;
  pthread_mutex_t lock;
  pthread_cond_t idle;
  size_t outstanding;
  struct {
    const char *path;
    void *handle;
  } registered[MAX_REGISTERED];
  size_t n_registered;
};

typedef struct client_call {
  vbp_client *client;
  grpc_call *call;
  const vbp_method *method;
  grpc_metadata md[7];
  size_t n_md;
  char bearer[320];
  char request_id[REQUEST_ID_MAX + 1];
  vbp_signed_caller signed_caller;
  vbp_caller caller;
  grpc_byte_buffer *send;
  grpc_metadata_array initial_md, trailing_md;
  grpc_byte_buffer *recv;
  grpc_status_code code;
  grpc_slice details;
  ProtobufCAllocator *allocator;
  vbp_client_done_fn done;
  void *ctx;
} client_call;

static void *client_main(void *arg);
static vbp_status wire_status(const client_call *cc);
static void outstanding_add(vbp_client *c, int delta);

vbp_status vbp_client_open(const char *target, const char *secret, vbp_client **out) {
  vbp_client *c = vbp_xcalloc(1, sizeof *c);
  grpc_arg args[1] = {{.type = GRPC_ARG_INTEGER,
                       .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH,
                       .value.integer = MAX_MESSAGE_BYTES}};
  grpc_channel_args channel_args = {.num_args = 1, .args = args};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  c->channel = grpc_channel_create(target, creds, &channel_args);
  grpc_channel_credentials_release(creds);
  if (!c->channel) {
    free(c);
    return vbp_status_make(VBP_INVALID_ARGUMENT, "cannot make a channel to %s", target);
  }
  c->secret = secret ? vbp_xstrdup(secret) : NULL;
  pthread_mutex_lock(&shared.lock);
  if (shared.clients++ == 0) {
    shared.cq = grpc_completion_queue_create_for_next(NULL);
    for (int i = 0; i < CLIENT_THREADS; i++)
      pthread_create(&shared.threads[i], NULL, client_main, shared.cq);
  }
  c->cq = shared.cq;
  pthread_mutex_unlock(&shared.lock);
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->idle, NULL);
  *out = c;
  return vbp_status_ok();
}

void vbp_client_close(vbp_client *c) {
  if (!c) return;
  pthread_mutex_lock(&c->lock);
  while (c->outstanding > 0) pthread_cond_wait(&c->idle, &c->lock);
  pthread_mutex_unlock(&c->lock);
  grpc_channel_destroy(c->channel);
  pthread_mutex_lock(&shared.lock);
  if (--shared.clients == 0) {
    grpc_completion_queue_shutdown(shared.cq);
    for (int i = 0; i < CLIENT_THREADS; i++) pthread_join(shared.threads[i], NULL);
    grpc_completion_queue_destroy(shared.cq);
    shared.cq = NULL;
  }
  pthread_mutex_unlock(&shared.lock);
  pthread_cond_destroy(&c->idle);
  pthread_mutex_destroy(&c->lock);
  free(c->secret);
  free(c);
}

static void *registered_handle(vbp_client *c, const char *path) {
  pthread_mutex_lock(&c->lock);
  void *handle = NULL;
  for (size_t i = 0; i < c->n_registered && !handle; i++)
    if (strcmp(c->registered[i].path, path) == 0) handle = c->registered[i].handle;
  if (!handle) {
    handle = grpc_channel_register_call(c->channel, path, NULL, NULL);
    if (c->n_registered < MAX_REGISTERED) {
      c->registered[c->n_registered].path = path;
      c->registered[c->n_registered++].handle = handle;
    }
  }
  pthread_mutex_unlock(&c->lock);
  return handle;
}

static void add_md(client_call *cc, const char *key, const char *value) {
  cc->md[cc->n_md].key = static_slice(key);
  cc->md[cc->n_md++].value = static_slice(value);
}

static void client_call_free(client_call *cc) {
  if (cc->call) grpc_call_unref(cc->call);
  if (cc->send) grpc_byte_buffer_destroy(cc->send);
  if (cc->recv) grpc_byte_buffer_destroy(cc->recv);
  grpc_metadata_array_destroy(&cc->initial_md);
  grpc_metadata_array_destroy(&cc->trailing_md);
  grpc_slice_unref(cc->details);
  free(cc);
}

/* Ends cc: status from the wire (with the field and reason from trailing metadata), the
 * response on OK, the callback, and the bookkeeping that lets close() wait. */
static void client_finish(client_call *cc, bool batch_ok) {
  vbp_status st = vbp_status_ok();
  ProtobufCMessage *response = NULL;
  if (!batch_ok) {
    st = vbp_status_make(VBP_UNAVAILABLE, "the call could not be completed");
  } else if (cc->code != GRPC_STATUS_OK) {
    st = wire_status(cc);
  } else if (!cc->recv) {
    st = vbp_status_make(VBP_INTERNAL, "the server sent no answer");
  } else {
    grpc_byte_buffer *bb = cc->recv;
    cc->recv = NULL;
    response = unpack(bb, cc->method->response, cc->allocator);
    if (!response)
      st = vbp_status_make(VBP_INTERNAL, "the answer is not a valid %s",
                           cc->method->response->name);
  }
  vbp_client *client = cc->client;
  cc->done(cc->ctx, &st, response);
  client_call_free(cc);
  outstanding_add(client, -1);
}

static void *client_main(void *arg) {
  grpc_completion_queue *cq = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_OP_COMPLETE) client_finish(ev.tag, ev.success);
  }
  return NULL;
}

/* A new call's bookkeeping and metadata: bearer key, signed caller, request id. */
static client_call *client_call_new(vbp_client *c, const vbp_method *method,
                                    const vbp_call_options *options) {
  client_call *cc = vbp_xcalloc(1, sizeof *cc);
  cc->client = c;
  cc->method = method;
  cc->details = grpc_empty_slice();
  grpc_metadata_array_init(&cc->initial_md);
  grpc_metadata_array_init(&cc->trailing_md);
  if (options->bearer_key) {
    snprintf(cc->bearer, sizeof cc->bearer, "Bearer %s", options->bearer_key);
    add_md(cc, "authorization", cc->bearer);
  }
  if (options->caller && c->secret) {
    cc->caller = *options->caller;
    vbp_identity_sign(c->secret, method->path, &cc->caller, vbp_now_ms(), &cc->signed_caller);
    add_md(cc, VBP_MD_ORG, cc->caller.org_id);
    add_md(cc, VBP_MD_ROLE, cc->signed_caller.role);
    add_md(cc, VBP_MD_REGION, cc->caller.region_code);
    add_md(cc, VBP_MD_TS, cc->signed_caller.ts);
    add_md(cc, VBP_MD_SIG, cc->signed_caller.sig);
  }
  if (options->request_id) {
    snprintf(cc->request_id, sizeof cc->request_id, "%s", options->request_id);
    add_md(cc, "x-request-id", cc->request_id);
  }
  return cc;
}

static gpr_timespec deadline_after(const vbp_call_options *options) {
  int timeout_ms = options->timeout_ms > 0 ? options->timeout_ms : 5000;
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

/* The status a finished call reports: its code, details, and the field and reason from
 * trailing metadata. */
static vbp_status wire_status(const client_call *cc) {
  vbp_status st = vbp_status_ok();
  st.code = (vbp_code)cc->code;
  size_t n = GRPC_SLICE_LENGTH(cc->details);
  if (n >= sizeof st.message) n = sizeof st.message - 1;
  memcpy(st.message, GRPC_SLICE_START_PTR(cc->details), n);
  st.message[n] = '\0';
  for (size_t i = 0; i < cc->trailing_md.count; i++) {
    grpc_metadata *m = &cc->trailing_md.metadata[i];
    char *dst = slice_is(m->key, "vbp-error-field")    ? st.field
                : slice_is(m->key, "vbp-error-reason") ? st.reason
                                                       : NULL;
    if (!dst) continue;
    percent_decode((const char *)GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value), dst,
                   dst == st.field ? sizeof st.field : sizeof st.reason);
  }
  return st;
}

static void outstanding_add(vbp_client *c, int delta) {
  pthread_mutex_lock(&c->lock);
  c->outstanding = (size_t)((long)c->outstanding + delta);
  if (c->outstanding == 0) pthread_cond_broadcast(&c->idle);
  pthread_mutex_unlock(&c->lock);
}

/* The first four ops of every call: metadata, the one request, half-close, and the server's
 * initial metadata. ops must have room for at least four. */
static void request_ops(client_call *cc, const ProtobufCMessage *request, grpc_op *ops) {
  cc->send = pack(request);
  memset(ops, 0, 4 * sizeof *ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.metadata = cc->md;
  ops[0].data.send_initial_metadata.count = cc->n_md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = cc->send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &cc->initial_md;
}

void vbp_client_start(vbp_client *c, const vbp_method *method, const ProtobufCMessage *request,
                      const vbp_call_options *options, ProtobufCAllocator *allocator,
                      vbp_client_done_fn done, void *ctx) {
  static const vbp_call_options defaults = {0};
  if (!options) options = &defaults;
  client_call *cc = client_call_new(c, method, options);
  cc->allocator = allocator;
  cc->done = done;
  cc->ctx = ctx;
  outstanding_add(c, 1);
  cc->call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
                                                 c->cq, registered_handle(c, method->path),
                                                 deadline_after(options), NULL);
  grpc_op ops[6];
  request_ops(cc, request, ops);
  memset(&ops[4], 0, 2 * sizeof *ops);
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &cc->recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &cc->trailing_md;
  ops[5].data.recv_status_on_client.status = &cc->code;
  ops[5].data.recv_status_on_client.status_details = &cc->details;
  if (!cc->call || grpc_call_start_batch(cc->call, ops, 6, cc, NULL) != GRPC_CALL_OK)
    client_finish(cc, false);
}

/* Runs one batch of a streaming call on its own queue and waits for it. */
static bool stream_batch(client_call *cc, grpc_completion_queue *cq, grpc_op *ops, size_t n) {
  if (grpc_call_start_batch(cc->call, ops, n, cc, NULL) != GRPC_CALL_OK) return false;
  grpc_event ev = grpc_completion_queue_pluck(cq, cc, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  return ev.type == GRPC_OP_COMPLETE && ev.success;
}

vbp_status vbp_client_stream(vbp_client *c, const vbp_method *method,
                             const ProtobufCMessage *request, const vbp_call_options *options,
                             vbp_client_message_fn on_message, void *ctx) {
  static const vbp_call_options defaults = {0};
  if (!options) options = &defaults;
  client_call *cc = client_call_new(c, method, options);
  outstanding_add(c, 1);
  /* A queue of its own: this thread waits on each step instead of the client's thread. */
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  cc->call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                                 registered_handle(c, method->path),
                                                 deadline_after(options), NULL);
  grpc_op ops[4];
  request_ops(cc, request, ops);
  vbp_status st = vbp_status_ok();
  bool stopped = false;
  if (cc->call && stream_batch(cc, cq, ops, 4)) {
    for (;;) {
      grpc_op recv = {.op = GRPC_OP_RECV_MESSAGE};
      recv.data.recv_message.recv_message = &cc->recv;
      if (!stream_batch(cc, cq, &recv, 1) || !cc->recv) break; /* the end, or an error */
      grpc_byte_buffer *bb = cc->recv;
      cc->recv = NULL;
      ProtobufCMessage *m = unpack(bb, method->response, NULL);
      if (!m) {
        st = vbp_status_make(VBP_INTERNAL, "a streamed message is not a valid %s",
                             method->response->name);
        stopped = true;
      } else {
        stopped = !on_message(ctx, m);
        protobuf_c_message_free_unpacked(m, NULL);
      }
      if (stopped) {
        grpc_call_cancel(cc->call, NULL);
        break;
      }
    }
    grpc_op status = {.op = GRPC_OP_RECV_STATUS_ON_CLIENT};
    status.data.recv_status_on_client.trailing_metadata = &cc->trailing_md;
    status.data.recv_status_on_client.status = &cc->code;
    status.data.recv_status_on_client.status_details = &cc->details;
    bool got = stream_batch(cc, cq, &status, 1);
    if (vbp_ok(&st) && !stopped)
      st = got ? wire_status(cc) : vbp_status_make(VBP_UNAVAILABLE, "the stream broke");
  } else {
    st = vbp_status_make(VBP_UNAVAILABLE, "the call could not be started");
  }
  client_call_free(cc);
  grpc_completion_queue_shutdown(cq);
  grpc_completion_queue_destroy(cq);
  outstanding_add(c, -1);
  return st;
}

typedef struct sync_wait {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool finished;
  vbp_status status;
  ProtobufCMessage *response;
} sync_wait;

static void sync_done(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  sync_wait *w = ctx;
  pthread_mutex_lock(&w->lock);
  w->status = *status;
  w->response = response;
  w->finished = true;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->lock);
}

vbp_status vbp_client_call(vbp_client *c, const vbp_method *method,
                           const ProtobufCMessage *request, const vbp_call_options *options,
                           ProtobufCAllocator *allocator, ProtobufCMessage **response) {
  sync_wait w = {.finished = false};
  pthread_mutex_init(&w.lock, NULL);
  pthread_cond_init(&w.cond, NULL);
  vbp_client_start(c, method, request, options, allocator, sync_done, &w);
  pthread_mutex_lock(&w.lock);
  while (!w.finished) pthread_cond_wait(&w.cond, &w.lock);
  pthread_mutex_unlock(&w.lock);
  pthread_cond_destroy(&w.cond);
  pthread_mutex_destroy(&w.lock);
  if (w.status.code == VBP_OK) *response = w.response;
  return w.status;
}

vbp_status vbp_client_health(vbp_client *c, const char *service, int timeout_ms) {
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)(service ? service : "");
  vbp_call_options options = {.timeout_ms = timeout_ms};
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(c, &health_method, &req.base, &options, NULL, &answer);
  if (st.code != VBP_OK) return st;
  Grpc__Health__V1__HealthCheckResponse *r = (Grpc__Health__V1__HealthCheckResponse *)answer;
  bool serving = r->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  protobuf_c_message_free_unpacked(answer, NULL);
  return serving ? vbp_status_ok() : vbp_status_make(VBP_UNAVAILABLE, "not serving");
}

vbp_metrics *vbp_metrics_for_methods(const char *service, const vbp_method *methods, size_t n) {
  const char **names = vbp_xcalloc(n ? n : 1, sizeof *names);
  for (size_t i = 0; i < n; i++) names[i] = methods[i].path;
  vbp_metrics *metrics = vbp_metrics_create(service, names, n); /* copies the names */
  free(names);
  return metrics;
}
