/* catalog-svc: its own settings and its method table on the shared service main. */
#include "catalog-svc/handlers.h"
#include "catalog-svc/import.h"
#include "catalog-svc/service.h"
#include "catalog-svc/store.h"
#include "common/config.h"
#include "common/service.h"

#define ORGANIZATIONS_KEPT 65536 /* read by every portal; about 200 bytes each */

static catalog_service svc;
static const char *pricing_addr;                /* "" when unset: no PriceInputsChanged pushes */
static const char *volume_addr, *contract_addr; /* "" when unset: their parts are UNAVAILABLE */
/* ImportBatch recovery (docs/exchange.md "Import"): an import still preparing after this many
 * seconds is aborted; unfinished imports are looked for this often. */
static int import_abort_after_s, import_recovery_ms;

static vbp_status configure(void *context) {
  (void)context;
  pricing_addr = vbp_env("VBP_PRICING_ADDR", "");
  volume_addr = vbp_env("VBP_VOLUME_ADDR", "");
  contract_addr = vbp_env("VBP_CONTRACT_ADDR", "");
  VBP_CHECK(vbp_env_int("VBP_IMPORT_ABORT_AFTER_S", 60, 1, 86400, &import_abort_after_s));
  return vbp_env_int("VBP_IMPORT_RECOVERY_MS", 5000, 10, 3600000, &import_recovery_ms);
}

static vbp_status start(void *context, const vbp_service_parts *parts) {
  catalog_service *s = context;
  s->pool = parts->pool;
  s->auth = parts->auth; /* RevokeApiKey forgets cached keys here at once */
  s->organizations = vbp_memo_create(ORGANIZATIONS_KEPT);
  /* The peers need not be up yet: channels connect lazily, failed pushes are logged. */
  if (*volume_addr) VBP_CHECK(vbp_client_open(volume_addr, parts->secret, &s->volume));
  if (*contract_addr) VBP_CHECK(vbp_client_open(contract_addr, parts->secret, &s->contract));
  /* At start and every few seconds: imports a crash left between their commit point and the last
   * COMMIT PREPARED, or stuck preparing. */
  VBP_CHECK(catalog_import_recovery_start(s, import_abort_after_s, import_recovery_ms));
  return *pricing_addr ? vbp_client_open(pricing_addr, parts->secret, &s->pricing)
                       : vbp_status_ok();
}

static void stop(void *context) {
  catalog_service *s = context;
  catalog_import_recovery_stop();
  vbp_client_close(s->pricing);
  vbp_client_close(s->volume);
  vbp_client_close(s->contract);
  vbp_memo_destroy(s->organizations);
}

int main(void) {
  const vbp_service_def def = {
      .name = "catalog-svc",
      .schema = "catalog",
      .addr_env = "VBP_CATALOG_ADDR",
      .addr_default = "127.0.0.1:50051",
      .metrics_env = "VBP_CATALOG_METRICS_ADDR",
      .metrics_default = "127.0.0.1:9151",
      .workers_per_core = 1,
      .extra_workers = CATALOG_WATCHERS_MAX, /* each change-feed watch holds one */
      .migrate = catalog_store_migrate,
      .methods = catalog_methods,
      .n_methods = catalog_methods_count,
      .context = &svc,
      .configure = configure,
      .start = start,
      .stop = stop,
      .resolve_key = catalog_resolve_key, /* its own table: it is the catalog */
      .key_revocations = catalog_key_revocations,
  };
  return vbp_service_main(&def);
}
