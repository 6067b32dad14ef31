#include "common/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/catalog_auth.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/signals.h"

/* A revoked key stops working here within a poll and its answer while catalog-svc answers the
 * poll, and within the cache's time to live when it does not. */
#define KEY_CACHE_TTL_MS 10000
#define KEY_CACHE_SLOTS 4096
#define DRAIN_GRACE_MS 10000

/* The DSN with the service's schema on every pooled connection and dates in ISO form; built to
 * its length, so a long DSN is never cut short. */
static char *dsn_for(const char *dsn, const char *schema) {
  const char *fmt = "%s options='-csearch_path=%s -cdatestyle=ISO'";
  int n = snprintf(NULL, 0, fmt, dsn, schema);
  char *out = vbp_xmalloc((size_t)n + 1);
  snprintf(out, (size_t)n + 1, fmt, dsn, schema);
  return out;
}

vbp_status vbp_service_config_read(const vbp_service_def *def, vbp_service_config *out) {
  vbp_service_config c = {0};
  c.listen_addr = vbp_env(def->addr_env, def->addr_default);
  c.metrics_addr = vbp_env(def->metrics_env, def->metrics_default);
  c.redis_addr = def->uses_redis ? vbp_env("VBP_REDIS_ADDR", "127.0.0.1:56379") : NULL;
  c.catalog_addr = def->uses_catalog ? vbp_env("VBP_CATALOG_ADDR", "127.0.0.1:50051") : NULL;
  vbp_status st = vbp_env_required("VBP_ADMIN_KEY", &c.admin_key);
  if (vbp_ok(&st)) st = vbp_env_required("VBP_INTERNAL_SECRET", &c.secret);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int per_core = def->workers_per_core > 0 ? def->workers_per_core : 1;
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_WORKERS", (cores > 0 ? (int)cores : 2) * per_core, 1, 256, &c.workers);
  if (vbp_ok(&st) && def->extra_workers > 0) c.workers += def->extra_workers;
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PG_POOL_SIZE", 8, 1, 256, &c.pg_pool_size);
  if (vbp_ok(&st) && def->uses_redis)
    st = vbp_env_int("VBP_REDIS_TIMEOUT_MS", 50, 1, 5000, &c.redis_timeout_ms);
  if (vbp_ok(&st)) st = vbp_env_log_settings(&c.log);
  if (!vbp_ok(&st)) return st;
  c.pg_dsn =
      dsn_for(vbp_env("VBP_PG_DSN", "host=127.0.0.1 port=55432 dbname=vbp user=vbp"), def->schema);
  *out = c;
  return st;
}

void vbp_service_config_fini(vbp_service_config *config) {
  free(config->pg_dsn);
  config->pg_dsn = NULL;
}

/* Logs what failed to start, naming the step; true when st is OK. */
static bool started(const char *step, vbp_status st) {
  if (!vbp_ok(&st)) vbp_log(VBP_LOG_ERROR, "%s: %s", step, st.message);
  return vbp_ok(&st);
}

static bool database_ready(void *context) { return vbp_pg_ready(context); }

int vbp_service_main(const vbp_service_def *def) {
  vbp_service_config cfg = {0};
  vbp_status st = vbp_service_config_read(def, &cfg);
  if (vbp_ok(&st)) st = vbp_clock_init();
  if (vbp_ok(&st) && def->configure) st = def->configure(def->context);
  if (vbp_ok(&st))
    st = vbp_log_start(def->name, &cfg.log);
  else
    vbp_log_init(def->name, VBP_LOG_INFO);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "configuration: %s", st.message);
    vbp_service_config_fini(&cfg);
    return 2;
  }
  /* Loud, so that nobody runs on a pinned clock without knowing: here and in a metric. */
  if (vbp_clock_pinned())
    vbp_log(VBP_LOG_WARN, "today is pinned to %s by VBP_TODAY: dates are not the real ones",
            vbp_clock_pinned_text());
  vbp_block_stop_signals();
  vbp_rpc_init();

  int rc = 1;
  vbp_service_parts parts = {.secret = cfg.secret};
  vbp_metrics_http *metrics_http = NULL;
  vbp_server *server = NULL;
  bool service_started = false;

  st = vbp_pg_pool_open(cfg.pg_dsn, cfg.pg_pool_size, &parts.pool);
  if (vbp_ok(&st) && def->migrate) st = def->migrate(parts.pool);
  if (!started("database", st)) goto done;
  /* Redis down at start is no reason to stop: the client reconnects, callers fall back. */
  if (def->uses_redis &&
      !started("VBP_REDIS_ADDR",
               vbp_redis_open(cfg.redis_addr, cfg.redis_timeout_ms, &parts.redis)))
    goto done;
  /* catalog-svc need not be up yet: the channel connects lazily. */
  if (def->uses_catalog &&
      !started("VBP_CATALOG_ADDR", vbp_client_open(cfg.catalog_addr, cfg.secret, &parts.catalog)))
    goto done;
  /* Keys resolve, and revocations are read, from the service's own table (catalog-svc's) or
   * through catalog-svc. */
  bool own_keys = def->resolve_key != NULL;
  parts.auth = vbp_authenticator_create(
      cfg.admin_key, cfg.secret, own_keys ? def->resolve_key : vbp_catalog_resolve_key,
      own_keys ? def->context : parts.catalog, KEY_CACHE_TTL_MS, KEY_CACHE_SLOTS);
  parts.metrics = vbp_metrics_for_methods(def->name, def->methods, def->n_methods);
  vbp_counter_add(vbp_metrics_gauge(parts.metrics, "vbp_clock_pinned",
                                    "1 while today comes from VBP_TODAY instead of the clock."),
                  vbp_clock_pinned() ? 1 : 0);
  if (!started("metrics", vbp_metrics_http_start(parts.metrics, cfg.metrics_addr, &metrics_http)))
    goto done;
  /* A start that failed half way is stopped too: stop hooks undo whatever start did. */
  service_started = true;
  if (def->start && !started("start", def->start(def->context, &parts))) goto done;
  /* After start: a service's own source (catalog-svc's) reads what start wired in. */
  if (def->key_revocations || parts.catalog)
    vbp_authenticator_watch(
        parts.auth, def->key_revocations ? def->key_revocations : vbp_catalog_key_revocations,
        def->key_revocations ? def->context : parts.catalog, VBP_KEY_REVOCATION_POLL_MS);
  vbp_server_config server_config = {
      .service = def->name,
      .listen_addr = cfg.listen_addr,
      .workers = cfg.workers,
      .methods = def->methods,
      .n_methods = def->n_methods,
      .context = def->context,
      .auth = parts.auth,
      .metrics = parts.metrics,
      .ready = def->ready ? def->ready : database_ready,
      .ready_context = def->ready ? def->context : parts.pool,
  };
  if (!started("server", vbp_server_start(&server_config, &server))) goto done;
  vbp_log(VBP_LOG_INFO, "serving on %s (metrics on %s)", cfg.listen_addr, cfg.metrics_addr);
  int sig = vbp_wait_stop_signal();
  vbp_log(VBP_LOG_INFO, "signal %d: draining", sig);
  rc = 0;

done:
  vbp_server_stop(server, DRAIN_GRACE_MS);
  if (service_started && def->stop) def->stop(def->context);
  vbp_metrics_http_stop(metrics_http);
  vbp_metrics_destroy(parts.metrics);
  vbp_authenticator_destroy(parts.auth);
  vbp_client_close(parts.catalog);
  vbp_redis_close(parts.redis);
  vbp_pg_pool_close(parts.pool);
  vbp_rpc_shutdown();
  vbp_service_config_fini(&cfg);
  vbp_log(VBP_LOG_INFO, "stopped");
  return rc;
}
