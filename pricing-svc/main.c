/* pricing-svc: its own settings and its method table on the shared service main. */
#include "common/config.h"
#include "common/service.h"
#include "pricing-svc/service.h"
#include "pricing-svc/store.h"

static pricing_service svc;

static vbp_status configure(void *context) {
  pricing_service *s = context;
  /* versions.h: a write is seen within lease + one read (< 1 s) whatever fails. */
  vbp_status st = vbp_env_int("VBP_PRICING_POLL_MS", 200, 10, 5000, &s->poll_ms);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PRICING_LEASE_MS", 500, 20, 10000, &s->lease_ms);
  /* memo.h: answers kept in memory in front of Redis; -1 keeps none. */
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PRICING_MEMO_SLOTS", 65536, -1, 1 << 24, &s->memo_slots);
  if (vbp_ok(&st) && s->poll_ms >= s->lease_ms)
    st = vbp_invalid("VBP_PRICING_POLL_MS", "must be less than VBP_PRICING_LEASE_MS");
  return st;
}

static vbp_status start(void *context, const vbp_service_parts *parts) {
  pricing_service *s = context;
  s->pool = parts->pool;
  s->redis = parts->redis;
  s->catalog = parts->catalog;
  pricing_service_start(s, parts->metrics);
  return vbp_status_ok();
}

static void stop(void *context) { pricing_service_stop(context); }

int main(void) {
  const vbp_service_def def = {
      .name = "pricing-svc",
      .schema = "pricing",
      .addr_env = "VBP_PRICING_ADDR",
      .addr_default = "127.0.0.1:50053",
      .metrics_env = "VBP_PRICING_METRICS_ADDR",
      .metrics_default = "127.0.0.1:9153",
      .workers_per_core = 2, /* handlers wait on Redis, PostgreSQL and catalog-svc */
      .uses_redis = true,
      .uses_catalog = true,
      .migrate = pricing_store_migrate,
      .methods = pricing_methods,
      .n_methods = pricing_methods_count,
      .context = &svc,
      .configure = configure,
      .start = start,
      .stop = stop,
      .ready = pricing_ready,
  };
  return vbp_service_main(&def);
}
