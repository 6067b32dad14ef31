#include "common/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

#define MAX_COUNTERS 32
#define CODES 17

/* Upper bounds in microseconds; the last bucket is +Inf. */
static const int64_t bounds_us[] = {250,   500,    1000,   2500,   5000,    10000,   25000,
                                    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
#define BUCKETS (sizeof bounds_us / sizeof bounds_us[0] + 1)

typedef struct method_stats {
  char *name;
  _Atomic uint64_t calls[CODES];
  _Atomic uint64_t buckets[BUCKETS];
  _Atomic uint64_t sum_us;
} method_stats;

struct vbp_counter {
  char *name, *help;
  const char *type; /* "counter", or "gauge" for a value that is set rather than counted */
  _Atomic uint64_t value;
};

struct vbp_metrics {
  char *service;
  size_t n;
  method_stats *methods;
  _Atomic int64_t in_flight;
  struct vbp_counter counters[MAX_COUNTERS];
  _Atomic size_t n_counters;
};

vbp_metrics *vbp_metrics_create(const char *service, const char *const *methods, size_t n) {
  vbp_metrics *m = vbp_xcalloc(1, sizeof *m);
  m->service = vbp_xstrdup(service);
  m->n = n;
  m->methods = vbp_xcalloc(n ? n : 1, sizeof(method_stats));
  for (size_t i = 0; i < n; i++) m->methods[i].name = vbp_xstrdup(methods[i]);
  return m;
}

void vbp_metrics_destroy(vbp_metrics *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) free(m->methods[i].name);
  for (size_t i = 0; i < m->n_counters; i++) {
    free(m->counters[i].name);
    free(m->counters[i].help);
  }
  free(m->methods);
  free(m->service);
  free(m);
}

void vbp_metrics_observe(vbp_metrics *m, size_t i, vbp_code code, int64_t duration_us) {
  if (i >= m->n) return;
  method_stats *s = &m->methods[i];
  atomic_fetch_add_explicit(&s->calls[(unsigned)code < CODES ? code : VBP_UNKNOWN], 1,
                            memory_order_relaxed);
  size_t b = 0;
  while (b < BUCKETS - 1 && duration_us > bounds_us[b]) b++;
  atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->sum_us, (uint64_t)(duration_us > 0 ? duration_us : 0),
                            memory_order_relaxed);
}

void vbp_metrics_in_flight(vbp_metrics *m, int delta) {
  atomic_fetch_add_explicit(&m->in_flight, delta, memory_order_relaxed);
}

static vbp_counter *add_counter(vbp_metrics *m, const char *name, const char *help,
                                const char *type) {
  size_t i = m->n_counters;
  if (i >= MAX_COUNTERS) return NULL;
  m->counters[i].name = vbp_xstrdup(name);
  m->counters[i].help = vbp_xstrdup(help);
  m->counters[i].type = type;
  m->n_counters = i + 1;
  return &m->counters[i];
}

vbp_counter *vbp_metrics_counter(vbp_metrics *m, const char *name, const char *help) {
  return add_counter(m, name, help, "counter");
}

vbp_counter *vbp_metrics_gauge(vbp_metrics *m, const char *name, const char *help) {
  return add_counter(m, name, help, "gauge");
}

void vbp_counter_add(vbp_counter *c, uint64_t n) {
  if (c) atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

uint64_t vbp_counter_value(const vbp_counter *c) {
  return atomic_load_explicit(&((vbp_counter *)c)->value, memory_order_relaxed);
}

/* A growing text buffer for the exposition. */
typedef struct text {
  char *buf;
  size_t len, cap;
} text;

static void emit(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(text *t, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    t->cap = t->cap * 2 + (size_t)n;
    char *grown = realloc(t->buf, t->cap);
    if (!grown) abort();
    t->buf = grown;
  }
}

char *vbp_metrics_render(vbp_metrics *m) {
  text t = {.buf = vbp_xmalloc(4096), .len = 0, .cap = 4096};
  t.buf[0] = '\0';
  emit(&t,
       "# HELP vbp_rpc_requests_total RPCs handled, by method and gRPC code.\n"
       "# TYPE vbp_rpc_requests_total counter\n");
  for (size_t i = 0; i < m->n; i++)
    for (int c = 0; c < CODES; c++) {
      uint64_t v = atomic_load_explicit(&m->methods[i].calls[c], memory_order_relaxed);
      if (v)
        emit(&t, "vbp_rpc_requests_total{service=\"%s\",method=\"%s\",code=\"%s\"} %llu\n",
             m->service, m->methods[i].name, vbp_code_name((vbp_code)c), (unsigned long long)v);
    }
  emit(&t,
       "# HELP vbp_rpc_duration_seconds Time from a call's arrival to its answer.\n"
       "# TYPE vbp_rpc_duration_seconds histogram\n");
  for (size_t i = 0; i < m->n; i++) {
    method_stats *s = &m->methods[i];
    uint64_t cumulative = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
      cumulative += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
      if (b < BUCKETS - 1)
        emit(&t, "vbp_rpc_duration_seconds_bucket{service=\"%s\",method=\"%s\",le=\"%g\"} %llu\n",
             m->service, s->name, (double)bounds_us[b] / 1e6, (unsigned long long)cumulative);
      else
        emit(&t, "vbp_rpc_duration_seconds_bucket{service=\"%s\",method=\"%s\",le=\"+Inf\"} %llu\n",
             m->service, s->name, (unsigned long long)cumulative);
    }
    emit(&t, "vbp_rpc_duration_seconds_sum{service=\"%s\",method=\"%s\"} %.6f\n", m->service,
         s->name, (double)atomic_load_explicit(&s->sum_us, memory_order_relaxed) / 1e6);
    emit(&t, "vbp_rpc_duration_seconds_count{service=\"%s\",method=\"%s\"} %llu\n", m->service,
         s->name, (unsigned long long)cumulative);
  }
  emit(&t, "# HELP vbp_rpc_in_flight RPCs being handled now.\n# TYPE vbp_rpc_in_flight gauge\n");
  emit(&t, "vbp_rpc_in_flight{service=\"%s\"} %lld\n", m->service,
       (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
  for (size_t i = 0; i < m->n_counters; i++) {
    vbp_counter *c = &m->counters[i];
    emit(&t, "# HELP %s %s\n# TYPE %s %s\n%s{service=\"%s\"} %llu\n", c->name, c->help, c->name,
         c->type, c->name, m->service, (unsigned long long)vbp_counter_value(c));
  }
  return t.buf;
}
