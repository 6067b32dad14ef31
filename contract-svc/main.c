/* contract-svc: its own settings and its method table on the shared service main. */
#include "common/config.h"
#include "common/service.h"
#include "contract-svc/service.h"
#include "contract-svc/store.h"

static contract_service svc;
static const char *volume_addr;

static vbp_status configure(void *context) {
  (void)context;
  /* GenerateContracts reads and freezes the year's allocations in volume-svc (C1, V3). */
  volume_addr = vbp_env("VBP_VOLUME_ADDR", "127.0.0.1:50054");
  return vbp_status_ok();
}

static vbp_status start(void *context, const vbp_service_parts *parts) {
  contract_service *s = context;
  s->pool = parts->pool;
  s->auth = parts->auth;
  s->catalog = parts->catalog;
  s->windows = vbp_memo_create(4096); /* executions: a few per batch */
  return vbp_client_open(volume_addr, parts->secret, &s->volume);
}

static void stop(void *context) {
  contract_service *s = context;
  vbp_client_close(s->volume);
  s->volume = NULL;
  vbp_memo_destroy(s->windows);
  s->windows = NULL;
}

int main(void) {
  const vbp_service_def def = {
      .name = "contract-svc",
      .schema = "contract",
      .addr_env = "VBP_CONTRACT_ADDR",
      .addr_default = "127.0.0.1:50052",
      .metrics_env = "VBP_CONTRACT_METRICS_ADDR",
      .metrics_default = "127.0.0.1:9152",
      .workers_per_core = 2, /* handlers wait on PostgreSQL, catalog-svc and volume-svc */
      .uses_catalog = true,
      .migrate = contract_store_migrate,
      .methods = contract_methods,
      .n_methods = contract_methods_count,
      .context = &svc,
      .configure = configure,
      .start = start,
      .stop = stop,
      .ready = contract_ready,
  };
  return vbp_service_main(&def);
}
