#define _POSIX_C_SOURCE 200809L

#include "pricing-svc/versions.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/rpc.h"

struct pricing_versions {
  pricing_versions_fetch_fn fetch;
  void *ctx;
  int poll_ms, lease_ms;
  _Atomic int64_t catalog, own;
  _Atomic int64_t confirmed_ms; /* monotonic start of the last successful read; 0: none yet */
  pthread_mutex_t confirm_mu;   /* one confirming read at a time */
  pthread_mutex_t stop_mu;
  pthread_cond_t stop_cv;
  bool stopping; /* guarded by stop_mu */
  pthread_t poller;
};

static int64_t monotonic_ms(void) { return vbp_monotonic_us() / 1000; }

static void raise_to(_Atomic int64_t *counter, int64_t value) {
  int64_t seen = atomic_load(counter);
  while (value > seen && !atomic_compare_exchange_weak(counter, &seen, value)) {
  }
}

void pricing_versions_saw(pricing_versions *v, int64_t catalog, int64_t own) {
  raise_to(&v->catalog, catalog);
  raise_to(&v->own, own);
}

/* One read; on success raises the pair and renews the lease from the read's start (a write
 * acknowledged before that start is in what it read). */
static vbp_status confirm(pricing_versions *v) {
  int64_t started = monotonic_ms(), catalog = 0, own = 0;
  vbp_status st = v->fetch(v->ctx, &catalog, &own);
  if (!vbp_ok(&st)) return st;
  pricing_versions_saw(v, catalog, own);
  raise_to(&v->confirmed_ms, started);
  return st;
}

static bool leased(pricing_versions *v) {
  int64_t confirmed = atomic_load(&v->confirmed_ms);
  return confirmed > 0 && monotonic_ms() - confirmed < v->lease_ms;
}

vbp_status pricing_versions_get(pricing_versions *v, int64_t *catalog, int64_t *own) {
  if (!leased(v)) {
    pthread_mutex_lock(&v->confirm_mu);
    vbp_status st = leased(v) ? vbp_status_ok() : confirm(v); /* another thread may have */
    pthread_mutex_unlock(&v->confirm_mu);
    if (!vbp_ok(&st))
      return vbp_status_make(VBP_UNAVAILABLE, "the price inputs' versions cannot be confirmed: %s",
                             st.message);
  }
  *catalog = atomic_load(&v->catalog);
  *own = atomic_load(&v->own);
  return vbp_status_ok();
}

static void *poll_loop(void *arg) {
  pricing_versions *v = arg;
  bool failing = false;
  pthread_mutex_lock(&v->stop_mu);
  while (!v->stopping) {
    pthread_mutex_unlock(&v->stop_mu);
    vbp_status st = confirm(v);
    if (!vbp_ok(&st) && !failing) vbp_log(VBP_LOG_WARN, "versions: %s", st.message);
    if (vbp_ok(&st) && failing) vbp_log(VBP_LOG_INFO, "versions: confirmed again");
    failing = !vbp_ok(&st);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)v->poll_ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&v->stop_mu);
    while (!v->stopping && pthread_cond_timedwait(&v->stop_cv, &v->stop_mu, &until) == 0) {
    }
  }
  pthread_mutex_unlock(&v->stop_mu);
  return NULL;
}

pricing_versions *pricing_versions_start(pricing_versions_fetch_fn fetch, void *ctx, int poll_ms,
                                         int lease_ms) {
  pricing_versions *v = vbp_xcalloc(1, sizeof *v);
  v->fetch = fetch;
  v->ctx = ctx;
  v->poll_ms = poll_ms;
  v->lease_ms = lease_ms;
  pthread_mutex_init(&v->confirm_mu, NULL);
  pthread_mutex_init(&v->stop_mu, NULL);
  pthread_cond_init(&v->stop_cv, NULL);
  if (pthread_create(&v->poller, NULL, poll_loop, v) != 0) abort();
  return v;
}

void pricing_versions_stop(pricing_versions *v) {
  if (!v) return;
  pthread_mutex_lock(&v->stop_mu);
  v->stopping = true;
  pthread_cond_signal(&v->stop_cv);
  pthread_mutex_unlock(&v->stop_mu);
  pthread_join(v->poller, NULL);
  pthread_mutex_destroy(&v->confirm_mu);
  pthread_mutex_destroy(&v->stop_mu);
  pthread_cond_destroy(&v->stop_cv);
  free(v);
}
