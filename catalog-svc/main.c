/* catalog-svc: configuration from the environment, wiring, serve, graceful shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "catalog-svc/service.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/rpc.h"

#define KEY_CACHE_TTL_MS 10000 /* a revoked key stops working here within this time */
#define KEY_CACHE_SLOTS 4096
#define DRAIN_GRACE_MS 10000
#define ORGANIZATIONS_KEPT 65536 /* read by every portal; about 200 bytes each */

typedef struct config {
  const char *listen_addr, *metrics_addr, *pg_dsn, *admin_key, *secret;
  const char *pricing_addr; /* "" when unset: no PriceInputsChanged pushes */
  int workers, pg_pool_size;
  vbp_log_level log_level;
} config;

static vbp_status read_config(config *c) {
  c->listen_addr = vbp_env("VBP_CATALOG_ADDR", "127.0.0.1:50051");
  c->metrics_addr = vbp_env("VBP_CATALOG_METRICS_ADDR", "127.0.0.1:9151");
  c->pricing_addr = vbp_env("VBP_PRICING_ADDR", "");
  /* The catalog schema on every pooled connection, dates in ISO form. */
  const char *dsn = vbp_env("VBP_PG_DSN", "host=127.0.0.1 port=55432 dbname=vbp user=vbp");
  static char full_dsn[2048];
  snprintf(full_dsn, sizeof full_dsn, "%s options='-csearch_path=catalog -cdatestyle=ISO'", dsn);
  c->pg_dsn = full_dsn;
  vbp_status st = vbp_env_required("VBP_ADMIN_KEY", &c->admin_key);
  if (vbp_ok(&st)) st = vbp_env_required("VBP_INTERNAL_SECRET", &c->secret);
  /* As many workers as cores: measured on 2 cores, 2 workers beat 4 (tests/bench). */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_WORKERS", cores > 0 ? (int)cores : 2, 1, 256, &c->workers);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PG_POOL_SIZE", 8, 1, 256, &c->pg_pool_size);
  if (vbp_ok(&st)) st = vbp_env_log_level(&c->log_level);
  return st;
}

int main(void) {
  config cfg;
  vbp_status st = read_config(&cfg);
  vbp_log_init("catalog-svc", vbp_ok(&st) ? cfg.log_level : VBP_LOG_INFO);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "configuration: %s", st.message);
    return 2;
  }
  vbp_block_stop_signals();
  vbp_rpc_init();

  int rc = 1;
  vbp_pg_pool *pool = NULL;
  vbp_authenticator *auth = NULL;
  vbp_metrics *metrics = NULL;
  vbp_metrics_http *metrics_http = NULL;
  vbp_server *server = NULL;
  vbp_client *pricing = NULL;
  vbp_memo *organizations = NULL;

  st = vbp_pg_pool_open(cfg.pg_dsn, cfg.pg_pool_size, &pool);
  if (vbp_ok(&st)) st = catalog_migrate(pool);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "database: %s", st.message);
    goto done;
  }
  /* pricing-svc need not be up yet: the channel connects lazily, and pushes that fail are only
   * logged. */
  if (*cfg.pricing_addr) {
    st = vbp_client_open(cfg.pricing_addr, cfg.secret, &pricing);
    if (!vbp_ok(&st)) {
      vbp_log(VBP_LOG_ERROR, "VBP_PRICING_ADDR: %s", st.message);
      goto done;
    }
  }
  organizations = vbp_memo_create(ORGANIZATIONS_KEPT);
  catalog_service svc = {.pool = pool, .pricing = pricing, .organizations = organizations};
  auth = vbp_authenticator_create(cfg.admin_key, cfg.secret, catalog_resolve_key, &svc,
                                  KEY_CACHE_TTL_MS, KEY_CACHE_SLOTS);
  svc.auth = auth;
  metrics = vbp_metrics_for_methods("catalog-svc", catalog_methods, catalog_methods_count);
  st = vbp_metrics_http_start(metrics, cfg.metrics_addr, &metrics_http);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "metrics: %s", st.message);
    goto done;
  }
  vbp_server_config server_config = {
      .service = "catalog-svc",
      .listen_addr = cfg.listen_addr,
      .workers = cfg.workers,
      .methods = catalog_methods,
      .n_methods = catalog_methods_count,
      .context = &svc,
      .auth = auth,
      .metrics = metrics,
      .ready = catalog_ready,
  };
  st = vbp_server_start(&server_config, &server);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "server: %s", st.message);
    goto done;
  }
  vbp_log(VBP_LOG_INFO, "serving on %s (metrics on %s)", cfg.listen_addr, cfg.metrics_addr);
  int sig = vbp_wait_stop_signal();
  vbp_log(VBP_LOG_INFO, "signal %d: draining", sig);
  rc = 0;

done:
  vbp_server_stop(server, DRAIN_GRACE_MS);
  vbp_client_close(pricing);
  vbp_memo_destroy(organizations);
  vbp_metrics_http_stop(metrics_http);
  vbp_metrics_destroy(metrics);
  vbp_authenticator_destroy(auth);
  vbp_pg_pool_close(pool);
  vbp_rpc_shutdown();
  vbp_log(VBP_LOG_INFO, "stopped");
  return rc;
}
