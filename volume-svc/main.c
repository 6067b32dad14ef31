/* volume-svc: its own settings and its method table on the shared service main. */
#include "common/config.h"
#include "common/log.h"
#include "common/service.h"
#include "volume-svc/service.h"
#include "volume-svc/store.h"

/* GetVolumeInputs answers kept (vbp_batch_inputs_kept): one a batch, province and catalog
 * version. */
#define INPUTS_KEPT 256

static volume_service svc;
static const char *pricing_addr;

static vbp_status configure(void *context) {
  (void)context;
  /* Purchases are flagged against the max sale price pricing-svc answers (V9). */
  pricing_addr = vbp_env("VBP_PRICING_ADDR", "127.0.0.1:50053");
  return vbp_status_ok();
}

static vbp_status start(void *context, const vbp_service_parts *parts) {
  volume_service *s = context;
  s->pool = parts->pool;
  s->auth = parts->auth;
  s->catalog = parts->catalog;
  s->inputs = vbp_memo_create(INPUTS_KEPT);
  return vbp_client_open(pricing_addr, parts->secret, &s->pricing);
}

static void stop(void *context) {
  volume_service *s = context;
  vbp_client_close(s->pricing);
  s->pricing = NULL;
  vbp_memo_destroy(s->inputs);
  s->inputs = NULL;
}

int main(void) {
  const vbp_service_def def = {
      .name = "volume-svc",
      .schema = "volume",
      .addr_env = "VBP_VOLUME_ADDR",
      .addr_default = "127.0.0.1:50054",
      .metrics_env = "VBP_VOLUME_METRICS_ADDR",
      .metrics_default = "127.0.0.1:9154",
      .workers_per_core = 2, /* handlers wait on PostgreSQL, catalog-svc and pricing-svc */
      .uses_catalog = true,
      .migrate = volume_store_migrate,
      .methods = volume_methods,
      .n_methods = volume_methods_count,
      .context = &svc,
      .configure = configure,
      .start = start,
      .stop = stop,
      .ready = volume_ready,
  };
  return vbp_service_main(&def);
}
