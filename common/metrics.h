/* Prometheus metrics of one process: RPCs by method and code, a latency histogram per method,
 * calls in flight, and named counters a service adds (cache hits, ...). Updates are lock-free
 * atomics, so the hot path pays a few relaxed increments. */
#ifndef VBP_METRICS_H
#define VBP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_metrics vbp_metrics;
typedef struct vbp_counter vbp_counter;

/* Metrics for a service with n methods named methods[i] (copied). destroy(NULL) is fine. */
vbp_metrics *vbp_metrics_create(const char *service, const char *const *methods, size_t n);
void vbp_metrics_destroy(vbp_metrics *metrics);

/* Records one finished call of method index i. Thread-safe. */
void vbp_metrics_observe(vbp_metrics *metrics, size_t i, vbp_code code, int64_t duration_us);
void vbp_metrics_in_flight(vbp_metrics *metrics, int delta);

/* A counter named name (a Prometheus metric name, copied) with help text; the metrics own it.
 * Register before serving; at most 32. Returns NULL when full. */
vbp_counter *vbp_metrics_counter(vbp_metrics *metrics, const char *name, const char *help);
/* The same for a gauge: a value that is set once or moves both ways (added to like a counter). */
vbp_counter *vbp_metrics_gauge(vbp_metrics *metrics, const char *name, const char *help);
void vbp_counter_add(vbp_counter *counter, uint64_t n);
uint64_t vbp_counter_value(const vbp_counter *counter);

/* The Prometheus text exposition; the caller frees it. Thread-safe. */
char *vbp_metrics_render(vbp_metrics *metrics);

/* Serves GET /metrics over HTTP on host:port ("127.0.0.1:9101"; port 0 picks one). */
typedef struct vbp_metrics_http vbp_metrics_http;
vbp_status vbp_metrics_http_start(vbp_metrics *metrics, const char *addr, vbp_metrics_http **out);
int vbp_metrics_http_port(const vbp_metrics_http *http);
void vbp_metrics_http_stop(vbp_metrics_http *http);

#ifdef __cplusplus
}
#endif
#endif
