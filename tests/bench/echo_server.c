/* echo_server: the reference point of the gRPC benchmark (tests/bench/run.sh). A bare gRPC core
 * server that answers "/bench.Echo/Echo" with the request bytes unchanged: no auth, no unpacking,
 * no database, no logging. What rpc_bench measures against it is what gRPC core and the
 * loopback cost on this machine; the gap to catalog-svc is what our stack adds on top.
 *
 * It is written directly against <grpc/grpc.h> on purpose, and it is the one file besides
 * common/rpc_*.c allowed to include it (STYLE.md keeps every gRPC core call in those files
 * because the C API changes between releases): a reference must not share the code it is
 * compared with. When the gRPC version changes, this file is expected to need the same care as
 * rpc_*.c.
 *
 * The shape copies common/rpc_server.c so the comparison is fair: one completion queue polled
 * by a fixed pool of worker threads (default 4, catalog-svc's VBP_WORKERS default), and the same
 * small number of calls kept requested; the worker that receives a call posts the next request,
 * then starts the answer batch without waiting for it.
 *
 * Unregistered methods are not answered (no generic request is posted): a wrong path waits for
 * the client's deadline, which rpc_bench reports as errors.
 *
 * Usage: echo_server PORT [WORKERS]   listens on 127.0.0.1:PORT until SIGINT or SIGTERM. */
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_args.h"

#define ECHO_PATH "/bench.Echo/Echo"
#define DEFAULT_WORKERS 4 /* catalog-svc's VBP_WORKERS default */
#define MAX_WORKERS 256
#define REQUESTS_POSTED 2 /* as common/rpc_server.c's REQUESTS_PER_METHOD */
#define GRACE_MS 1000     /* a benchmark's calls are short; cancel whatever is left after this */

typedef enum call_state {
  CALL_REQUESTED, /* the request is posted; its event means a call arrived (or shutdown) */
  CALL_ANSWERED,  /* the answer batch is running; its event means the call is over */
} call_state;

/* One call, from the posted request to the end of the answer batch; also its tag. */
typedef struct echo_call {
  call_state state;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array request_md;
  grpc_byte_buffer *payload; /* the request, sent back as the answer */
  int cancelled;
} echo_call;

typedef struct echo_server {
  grpc_server *server;
  grpc_completion_queue *cq;
  void *method; /* grpc_server_register_method's handle */
  atomic_bool draining;
} echo_server;

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p) {
    fprintf(stderr, "echo_server: out of memory\n");
    abort();
  }
  return p;
}

static void call_free(echo_call *c) {
  if (c->call) grpc_call_unref(c->call);
  grpc_metadata_array_destroy(&c->request_md);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  free(c);
}

/* Posts one request for the next call. False while shutting down (or when gRPC refuses). */
static bool post_request(echo_server *s) {
  if (atomic_load(&s->draining)) return false;
  echo_call *c = xcalloc(1, sizeof *c);
  c->state = CALL_REQUESTED;
  grpc_metadata_array_init(&c->request_md);
  /* The payload pointer must be non-NULL: the method reads its initial byte buffer. */
  grpc_call_error err = grpc_server_request_registered_call(
      s->server, s->method, &c->call, &c->deadline, &c->request_md, &c->payload, s->cq, s->cq, c);
  if (err != GRPC_CALL_OK) {
    fprintf(stderr, "echo_server: cannot request a call: %d\n", (int)err);
    call_free(c);
    return false;
  }
  return true;
}

/* Starts the whole unary answer in one batch; the call is freed when that batch completes. */
static void answer(echo_call *c) {
  /* No payload means the client half-closed without a message: answer an empty one, as any
   * protobuf server would answer a default message. */
  if (!c->payload) c->payload = grpc_raw_byte_buffer_create(NULL, 0);
  grpc_slice details = grpc_empty_slice();
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = c->payload;
  ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
  ops[2].data.send_status_from_server.status_details = &details;
  ops[3].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  ops[3].data.recv_close_on_server.cancelled = &c->cancelled;
  c->state = CALL_ANSWERED;
  grpc_call_error err = grpc_call_start_batch(c->call, ops, 4, c, NULL);
  if (err != GRPC_CALL_OK) {
    fprintf(stderr, "echo_server: cannot answer: %d\n", (int)err);
    call_free(c);
  }
}

static void *worker_main(void *arg) {
  echo_server *s = arg;
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type != GRPC_OP_COMPLETE) continue;
    echo_call *c = ev.tag;
    if (c->state == CALL_ANSWERED) {
      call_free(c);
    } else if (!ev.success) {
      /* A posted request that the shutdown took back: nothing arrived, do not re-post. */
      call_free(c);
    } else {
      /* Keep the same number of requests posted before spending time on this call. */
      post_request(s);
      answer(c);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s PORT [WORKERS]   (answers %s on 127.0.0.1:PORT)\n", argv[0],
            ECHO_PATH);
    return 2;
  }
  int port = bench_parse_int("echo_server", "PORT", argv[1], 1, 65535);
  int n_workers = argc > 2 ? bench_parse_int("echo_server", "WORKERS", argv[2], 1, MAX_WORKERS)
                           : DEFAULT_WORKERS;

  /* gRPC starts threads of its own in grpc_init: block the stop signals first so they all
   * inherit the mask and only sigwait below receives them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  grpc_init();

  echo_server s = {.draining = false};
  s.cq = grpc_completion_queue_create_for_next(NULL);
  /* SO_REUSEPORT is on by default: a second server on a taken port would bind silently and
   * take half the traffic. Turn it off so a taken port fails here instead. */
  grpc_arg args[1] = {
      {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0}};
  grpc_channel_args server_args = {.num_args = 1, .args = args};
  s.server = grpc_server_create(&server_args, NULL);
  s.method = grpc_server_register_method(s.server, ECHO_PATH, NULL,
                                         GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
  grpc_server_register_completion_queue(s.server, s.cq, NULL);
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  int bound = grpc_server_add_http2_port(s.server, addr, creds);
  grpc_server_credentials_release(creds);
  if (bound == 0) {
    fprintf(stderr, "echo_server: cannot listen on %s\n", addr);
    grpc_server_destroy(s.server);
    grpc_completion_queue_shutdown(s.cq);
    grpc_completion_queue_destroy(s.cq);
    grpc_shutdown();
    return 1;
  }
  grpc_server_start(s.server);
  for (int i = 0; i < REQUESTS_POSTED; i++) post_request(&s);
  pthread_t *workers = xcalloc((size_t)n_workers, sizeof *workers);
  for (int i = 0; i < n_workers; i++) pthread_create(&workers[i], NULL, worker_main, &s);
  printf("echo_server: %s on %s, %d workers\n", ECHO_PATH, addr, n_workers);
  fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);

  /* Stop: no new requests; the listener closes at once; calls in flight get GRACE_MS. The
   * posted requests come back with success=0 and the workers free them. */
  atomic_store(&s.draining, true);
  grpc_completion_queue *shutdown_cq = grpc_completion_queue_create_for_pluck(NULL);
  static char shutdown_tag;
  grpc_server_shutdown_and_notify(s.server, shutdown_cq, &shutdown_tag);
  gpr_timespec grace =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(GRACE_MS, GPR_TIMESPAN));
  grpc_event ev = grpc_completion_queue_pluck(shutdown_cq, &shutdown_tag, grace, NULL);
  if (ev.type == GRPC_QUEUE_TIMEOUT) {
    grpc_server_cancel_all_calls(s.server);
    grpc_completion_queue_pluck(shutdown_cq, &shutdown_tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                NULL);
  }
  grpc_completion_queue_shutdown(shutdown_cq);
  grpc_completion_queue_destroy(shutdown_cq);
  /* The queue reports SHUTDOWN only once every pending tag has come out, so after the join no
   * call of ours is left for grpc_server_destroy to trip over. */
  grpc_completion_queue_shutdown(s.cq);
  for (int i = 0; i < n_workers; i++) pthread_join(workers[i], NULL);
  free(workers);
  grpc_server_destroy(s.server);
  grpc_completion_queue_destroy(s.cq);
  grpc_shutdown();
  printf("echo_server: stopped (signal %d)\n", sig);
  return 0;
}
