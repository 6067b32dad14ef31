/* Stopping without dropping anyone. libmicrohttpd aborts the process when MHD_stop_daemon() finds
 * a suspended connection, and a request waiting on a backend is suspended: so the stop first
 * lets those requests be answered (by their backend within the grace, else 503 by aborting the
 * backend calls, which resumes them through their usual completion), and stops the daemon only
 * once none is left suspended. Meanwhile a request that arrives on a kept-alive connection is
 * answered 503 with Connection: close at once. The counts live here, beside the stop that reads
 * them: every suspend and resume of the gateway goes through this file. */
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "gateway/gateway.h"

/* How long the stop waits for the answers of aborted calls to reach their clients, and then for
 * the last resumes to be taken up: both come within milliseconds unless a client reads slowly. */
#define ANSWER_MS 2000

struct gw_drain {
  atomic_int in_flight; /* requests from the first call of the access handler to completion */
  atomic_int suspended; /* connections suspended and not yet resumed */
  atomic_bool stopping;
  atomic_bool closing; /* no new suspend: the stop is about to count the last ones */
};

gw_drain *gw_drain_create(void) { return vbp_xcalloc(1, sizeof(gw_drain)); }

void gw_drain_destroy(gw_drain *d) { free(d); }

void gw_drain_request(gw_server *srv, int delta) {
  atomic_fetch_add(&srv->drain->in_flight, delta);
}

bool gw_stopping(const gw_server *srv) { return atomic_load(&srv->drain->stopping); }

void gw_suspend_connection(gw_server *srv, struct MHD_Connection *conn) {
  /* Counted first: a stop that reads 0 must not miss a connection about to be suspended. */
  atomic_fetch_add(&srv->drain->suspended, 1);
  MHD_suspend_connection(conn);
}

void gw_resume_connection(gw_server *srv, struct MHD_Connection *conn) {
  MHD_resume_connection(conn);
  atomic_fetch_sub(&srv->drain->suspended, 1);
}

bool gw_suspend(gw_request *r) {
  gw_drain *d = r->server->drain;
  /* Counted before the check, the stop's after its flag: one of the two sees the other. */
  atomic_fetch_add(&d->suspended, 1);
  if (atomic_load(&d->closing)) {
    atomic_fetch_sub(&d->suspended, 1);
    return false;
  }
  MHD_suspend_connection(r->conn);
  r->suspended = true;
  return true;
}

void gw_resume(gw_request *r) { gw_resume_connection(r->server, r->conn); }

/* Waits up to ms for *count to reach 0; true when it did. */
static bool wait_for_zero(atomic_int *count, int ms) {
  int64_t deadline = vbp_monotonic_us() + (int64_t)ms * 1000;
  while (atomic_load(count) > 0) {
    if (vbp_monotonic_us() >= deadline) return false;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 5000000};
    nanosleep(&pause, NULL);
  }
  return true;
}

bool gw_server_stop(gw_server *srv, int grace_ms) {
  if (!srv->daemon) return true;
  gw_drain *d = srv->drain;
  atomic_store(&d->stopping, true);
  /* Stop accepting; answers in flight get the grace (every backend call has a deadline). The
   * socket MHD hands back may be closed only after MHD_stop_daemon, but shut down now it refuses
   * new connections at once instead of leaving them in its backlog until the stop. */
  MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
  if (listener != MHD_INVALID_SOCKET) shutdown(listener, SHUT_RDWR);
  bool answered = wait_for_zero(&d->in_flight, grace_ms);
  /* From here a request whose body just arrived is answered 503 rather than suspended. */
  atomic_store(&d->closing, true);
  if (!answered) {
    vbp_log(VBP_LOG_WARN, "%d requests still in flight after %d ms: answering them 503",
            atomic_load(&d->in_flight), grace_ms);
    for (size_t i = 0; i < srv->n_backends; i++)
      vbp_client_abort_calls(srv->backends[i].client, "the gateway is stopping; retry");
    /* Their answers go out before the daemon closes the connections; a stream still being read
     * slowly is cut at the end of this wait. */
    wait_for_zero(&d->in_flight, ANSWER_MS);
  }
  if (!wait_for_zero(&d->suspended, ANSWER_MS)) {
    vbp_log(VBP_LOG_ERROR, "%d connections still suspended: not stopping the HTTP daemon",
            atomic_load(&d->suspended));
    return false;
  }
  MHD_stop_daemon(srv->daemon);
  if (listener != MHD_INVALID_SOCKET) close(listener);
  srv->daemon = NULL;
  gw_drain_destroy(srv->drain);
  srv->drain = NULL;
  gw_cors_destroy(srv->cors);
  srv->cors = NULL;
  return true;
}
