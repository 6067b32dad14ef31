/* The client half of rpc.h (one of common/rpc_*.c, the only files that include gRPC core): one
 * channel per peer; every client shares one completion queue, drained by a thread that runs each
 * call's completion callback. Blocking calls wait on that callback; a streaming call runs on a
 * queue of its own that the calling thread plucks. */
#include "common/rpc_internal.h"

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "grpc/health/v1/health.pb-c.h"

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
  char *target;              /* for the log, never for an answer */
  char *secret;
  pthread_mutex_t lock;
  pthread_cond_t idle;
  size_t outstanding;
  struct client_call *calls; /* started and not yet finished: what abort cancels */
  bool aborted;              /* every call fails with abort_reason from here on */
  char abort_reason[128];
  struct {
    const char *path;
    void *handle;
  } registered[MAX_REGISTERED];
  size_t n_registered;
};

typedef struct client_call {
  vbp_client *client;
  grpc_call *call;
  struct client_call *prev, *next; /* in client->calls once started */
  const vbp_method *method;
  grpc_metadata md[7];
  size_t n_md;
  char bearer[320];
  char request_id[RPC_REQUEST_ID_MAX + 1];
  vbp_signed_caller signed_caller;
  vbp_caller caller;
  int timeout_ms;
  grpc_byte_buffer *send;
  grpc_metadata_array initial_md, trailing_md;
  grpc_byte_buffer *recv;
  grpc_status_code code;
  grpc_slice details;
  const char *header; /* options' answer header to copy into header_value */
  char *header_value;
  size_t header_cap;
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
                       .value.integer = rpc_max_message_bytes()}};
  grpc_channel_args channel_args = {.num_args = 1, .args = args};
  grpc_channel_credentials *creds = grpc_insecure_credentials_create();
  c->channel = grpc_channel_create(target, creds, &channel_args);
  grpc_channel_credentials_release(creds);
  if (!c->channel) {
    free(c);
    return vbp_status_make(VBP_INVALID_ARGUMENT, "cannot make a channel to %s", target);
  }
  c->target = vbp_xstrdup(target);
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
  free(c->target);
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
  cc->md[cc->n_md].key = rpc_static_slice(key);
  cc->md[cc->n_md++].value = rpc_static_slice(value);
}

/* Puts the new call cc->call in the client's list of calls, or cancels it at once when the
 * client was aborted: the cancel ends it through the same completion as any other failure. */
static void track(client_call *cc) {
  vbp_client *c = cc->client;
  if (!cc->call) return;
  pthread_mutex_lock(&c->lock);
  if (c->aborted) {
    grpc_call_cancel_with_status(cc->call, GRPC_STATUS_UNAVAILABLE, c->abort_reason, NULL);
  } else {
    cc->next = c->calls;
    if (c->calls) c->calls->prev = cc;
    c->calls = cc;
  }
  pthread_mutex_unlock(&c->lock);
}

/* Takes cc out of the list before its call is let go, so abort never cancels a freed call. */
static void untrack(client_call *cc) {
  vbp_client *c = cc->client;
  pthread_mutex_lock(&c->lock);
  if (cc->prev) cc->prev->next = cc->next;
  if (cc->next) cc->next->prev = cc->prev;
  if (c->calls == cc) c->calls = cc->next;
  cc->prev = cc->next = NULL;
  pthread_mutex_unlock(&c->lock);
}

void vbp_client_abort_calls(vbp_client *c, const char *reason) {
  pthread_mutex_lock(&c->lock);
  c->aborted = true;
  snprintf(c->abort_reason, sizeof c->abort_reason, "%s", reason);
  for (client_call *cc = c->calls; cc; cc = cc->next)
    grpc_call_cancel_with_status(cc->call, GRPC_STATUS_UNAVAILABLE, c->abort_reason, NULL);
  pthread_mutex_unlock(&c->lock);
}

static void client_call_free(client_call *cc) {
  untrack(cc);
  if (cc->call) grpc_call_unref(cc->call);
  if (cc->send) grpc_byte_buffer_destroy(cc->send);
  if (cc->recv) grpc_byte_buffer_destroy(cc->recv);
  grpc_metadata_array_destroy(&cc->initial_md);
  grpc_metadata_array_destroy(&cc->trailing_md);
  grpc_slice_unref(cc->details);
  free(cc);
}

/* The value of the answer header the caller asked for, into its buffer ("" when absent). */
static void copy_header(client_call *cc) {
  cc->header_value[0] = '\0';
  for (size_t i = 0; i < cc->initial_md.count; i++) {
    const grpc_metadata *m = &cc->initial_md.metadata[i];
    if (!rpc_slice_is(m->key, cc->header)) continue;
    size_t n = GRPC_SLICE_LENGTH(m->value);
    if (n >= cc->header_cap) n = cc->header_cap - 1;
    memcpy(cc->header_value, GRPC_SLICE_START_PTR(m->value), n);
    cc->header_value[n] = '\0';
  }
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
    response = rpc_unpack(bb, cc->method->response, cc->allocator);
    if (!response)
      st =
          vbp_status_make(VBP_INTERNAL, "the answer is not a valid %s", cc->method->response->name);
  }
  if (cc->header) copy_header(cc);
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
  cc->timeout_ms = options->timeout_ms > 0 ? options->timeout_ms : 5000;
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
  if (options->header && options->header_value && options->header_cap > 0) {
    cc->header = options->header;
    cc->header_value = options->header_value;
    cc->header_cap = options->header_cap;
  }
  return cc;
}

static gpr_timespec deadline_after(const client_call *cc) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_millis(cc->timeout_ms, GPR_TIMESPAN));
}

/* The name of the service at the other end of path, as its operators call it:
 * "/vbp.v1.PricingService/GetPrice" is "pricing-svc"; a service named otherwise goes by its full
 * name ("grpc.health.v1.Health"). */
static void peer_name(const char *path, char *out, size_t cap) {
  const char *start = path[0] == '/' ? path + 1 : path;
  const char *end = strchr(start, '/');
  size_t n = end ? (size_t)(end - start) : strlen(start);
  const char *last = start; /* after the package */
  for (size_t i = 0; i < n; i++)
    if (start[i] == '.') last = start + i + 1;
  size_t last_n = n - (size_t)(last - start);
  static const char suffix[] = "Service";
  size_t stem = last_n > sizeof suffix - 1 ? last_n - (sizeof suffix - 1) : 0;
  if (stem > 0 && memcmp(last + stem, suffix, sizeof suffix - 1) == 0) {
    size_t k = 0;
    for (; k < stem && k + 5 < cap; k++) out[k] = (char)(last[k] | 0x20); /* ASCII lowercase */
    snprintf(out + k, cap - k, "-svc");
  } else {
    snprintf(out, cap, "%.*s", (int)n, start);
  }
}

/* A status gRPC made on this side (the peer sent nothing: no initial metadata, which every
 * server of ours sends with any answer) says where the peer is: "ipv4:127.0.0.1:50052: Failed to
 * connect". The answer names the service instead; the address goes to the log. */
static void name_the_peer(const client_call *cc, vbp_status *st) {
  if (st->code == VBP_OK || cc->initial_md.count > 0) return;
  /* Ended by vbp_client_abort_calls: its reason is the answer, the peer did nothing wrong. */
  vbp_client *c = cc->client;
  pthread_mutex_lock(&c->lock);
  bool aborted = c->aborted;
  if (aborted) *st = vbp_status_make(VBP_UNAVAILABLE, "%s", c->abort_reason);
  pthread_mutex_unlock(&c->lock);
  if (aborted) return;
  char peer[64];
  peer_name(cc->method->path, peer, sizeof peer);
  vbp_log(VBP_LOG_WARN, "%s at %s: %s: %s", cc->method->path, cc->client->target,
          vbp_code_name(st->code), st->message);
  if (st->code == VBP_UNAVAILABLE)
    *st = vbp_status_make(VBP_UNAVAILABLE, "%s is unavailable", peer);
  else if (st->code == VBP_DEADLINE_EXCEEDED)
    *st = vbp_status_make(VBP_DEADLINE_EXCEEDED, "%s did not answer within %d ms", peer,
                          cc->timeout_ms);
  else
    *st = vbp_status_make(st->code, "%s could not be called", peer);
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
  name_the_peer(cc, &st);
  for (size_t i = 0; i < cc->trailing_md.count; i++) {
    grpc_metadata *m = &cc->trailing_md.metadata[i];
    char *dst = rpc_slice_is(m->key, "vbp-error-field")    ? st.field
                : rpc_slice_is(m->key, "vbp-error-reason") ? st.reason
                                                           : NULL;
    if (!dst) continue;
    rpc_percent_decode((const char *)GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value),
                       dst, dst == st.field ? sizeof st.field : sizeof st.reason);
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
  cc->send = rpc_pack(request);
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
  cc->call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
                                                 registered_handle(c, method->path),
                                                 deadline_after(cc), NULL);
  track(cc);
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
                                                 deadline_after(cc), NULL);
  track(cc);
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
      ProtobufCMessage *m = rpc_unpack(bb, method->response, NULL);
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

vbp_status vbp_client_call(vbp_client *c, const vbp_method *method, const ProtobufCMessage *request,
                           const vbp_call_options *options, ProtobufCAllocator *allocator,
                           ProtobufCMessage **response) {
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
  vbp_status st = vbp_client_call(c, &rpc_health_method, &req.base, &options, NULL, &answer);
  if (st.code != VBP_OK) return st;
  Grpc__Health__V1__HealthCheckResponse *r = (Grpc__Health__V1__HealthCheckResponse *)answer;
  bool serving = r->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  protobuf_c_message_free_unpacked(answer, NULL);
  return serving ? vbp_status_ok() : vbp_status_make(VBP_UNAVAILABLE, "not serving");
}

/* ---------------------------------------------------------------- method rows from descriptors */

typedef struct method_row {
  const ProtobufCMethodDescriptor *descriptor;
  vbp_method method;
  struct method_row *next;
} method_row;

static pthread_mutex_t method_rows_mu = PTHREAD_MUTEX_INITIALIZER;
static method_row *method_rows; /* never freed: a process has a handful, each kept to its end */

const vbp_method *vbp_method_of(const ProtobufCServiceDescriptor *service, const char *name) {
  const ProtobufCMethodDescriptor *d =
      protobuf_c_service_descriptor_get_method_by_name(service, name);
  if (!d) {
    fprintf(stderr, "vbp_method_of: %s has no method %s\n", service->name, name);
    abort();
  }
  pthread_mutex_lock(&method_rows_mu);
  method_row *row = method_rows;
  while (row && row->descriptor != d) row = row->next;
  if (!row) {
    row = vbp_xcalloc(1, sizeof *row);
    row->descriptor = d;
    size_t n = strlen(service->name) + strlen(d->name) + 3;
    char *path = vbp_xmalloc(n);
    snprintf(path, n, "/%s/%s", service->name, d->name);
    row->method = (vbp_method){.path = path, .request = d->input, .response = d->output};
    row->next = method_rows;
    method_rows = row;
  }
  pthread_mutex_unlock(&method_rows_mu);
  return &row->method;
}
