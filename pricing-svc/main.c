/* pricing-svc: configuration from the environment, wiring, serve, graceful shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/catalog_auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "common/rpc.h"
#include "pricing-svc/service.h"

#define KEY_CACHE_TTL_MS 10000 /* a revoked key stops working here within this time */
#define KEY_CACHE_SLOTS 4096
#define DRAIN_GRACE_MS 10000

typedef struct config {
  const char *listen_addr, *metrics_addr, *pg_dsn, *redis_addr, *catalog_addr, *admin_key, *secret;
  int workers, pg_pool_size, redis_timeout_ms, poll_ms, lease_ms, memo_slots;
  vbp_log_level log_level;
} config;

static vbp_status read_config(config *c) {
  c->listen_addr = vbp_env("VBP_PRICING_ADDR", "127.0.0.1:50053");
  c->metrics_addr = vbp_env("VBP_PRICING_METRICS_ADDR", "127.0.0.1:9153");
  c->redis_addr = vbp_env("VBP_REDIS_ADDR", "127.0.0.1:56379");
  c->catalog_addr = vbp_env("VBP_CATALOG_ADDR", "127.0.0.1:50051");
  /* The pricing schema on every pooled connection, dates in ISO form. */
  const char *dsn = vbp_env("VBP_PG_DSN", "host=127.0.0.1 port=55432 dbname=vbp user=vbp");
  static char full_dsn[2048];
  snprintf(full_dsn, sizeof full_dsn, "%s options='-csearch_path=pricing -cdatestyle=ISO'", dsn);
  c->pg_dsn = full_dsn;
  vbp_status st = vbp_env_required("VBP_ADMIN_KEY", &c->admin_key);
  if (vbp_ok(&st)) st = vbp_env_required("VBP_INTERNAL_SECRET", &c->secret);
  /* Handlers wait on Redis, PostgreSQL and catalog-svc: twice the cores keeps the CPU busy. */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_WORKERS", cores > 0 ? 2 * (int)cores : 4, 1, 256, &c->workers);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PG_POOL_SIZE", 8, 1, 256, &c->pg_pool_size);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_REDIS_TIMEOUT_MS", 50, 1, 5000, &c->redis_timeout_ms);
  /* versions.h: a write is seen within lease + one read (< 1 s) whatever fails. */
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PRICING_POLL_MS", 200, 10, 5000, &c->poll_ms);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_PRICING_LEASE_MS", 500, 20, 10000, &c->lease_ms);
  /* memo.h: answers kept in memory in front of Redis; -1 keeps none. */
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_PRICING_MEMO_SLOTS", 65536, -1, 1 << 24, &c->memo_slots);
  if (vbp_ok(&st) && c->poll_ms >= c->lease_ms)
    st = vbp_invalid("VBP_PRICING_POLL_MS", "must be less than VBP_PRICING_LEASE_MS");
  if (vbp_ok(&st)) st = vbp_env_log_level(&c->log_level);
  return st;
}

int main(void) {
  config cfg;
  vbp_status st = read_config(&cfg);
  vbp_log_init("pricing-svc", vbp_ok(&st) ? cfg.log_level : VBP_LOG_INFO);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "configuration: %s", st.message);
    return 2;
  }
  vbp_block_stop_signals();
  vbp_rpc_init();

  int rc = 1;
  vbp_pg_pool *pool = NULL;
  vbp_redis *redis = NULL;
  vbp_client *catalog = NULL;
  vbp_authenticator *auth = NULL;
  vbp_metrics *metrics = NULL;
  vbp_metrics_http *metrics_http = NULL;
  vbp_server *server = NULL;
  pricing_service svc = {.poll_ms = cfg.poll_ms, .lease_ms = cfg.lease_ms,
                         .memo_slots = cfg.memo_slots};

  st = vbp_pg_pool_open(cfg.pg_dsn, cfg.pg_pool_size, &pool);
  if (vbp_ok(&st)) st = pricing_migrate(pool);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "database: %s", st.message);
    goto done;
  }
  /* Redis down at start is no reason to stop: look-ups go to the database meanwhile. */
  st = vbp_redis_open(cfg.redis_addr, cfg.redis_timeout_ms, &redis);
  if (vbp_ok(&st)) st = vbp_client_open(cfg.catalog_addr, cfg.secret, &catalog);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "peers: %s", st.message);
    goto done;
  }
  auth = vbp_authenticator_create(cfg.admin_key, cfg.secret, vbp_catalog_resolve_key, catalog,
                                  KEY_CACHE_TTL_MS, KEY_CACHE_SLOTS);
  metrics = vbp_metrics_for_methods("pricing-svc", pricing_methods, pricing_methods_count);
  st = vbp_metrics_http_start(metrics, cfg.metrics_addr, &metrics_http);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "metrics: %s", st.message);
    goto done;
  }
  svc.pool = pool;
  svc.redis = redis;
  svc.catalog = catalog;
  pricing_service_start(&svc, metrics);
  vbp_server_config server_config = {
      .service = "pricing-svc",
      .listen_addr = cfg.listen_addr,
      .workers = cfg.workers,
      .methods = pricing_methods,
      .n_methods = pricing_methods_count,
      .context = &svc,
      .auth = auth,
      .metrics = metrics,
      .ready = pricing_ready,
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
  pricing_service_stop(&svc);
  vbp_metrics_http_stop(metrics_http);
  vbp_metrics_destroy(metrics);
  vbp_authenticator_destroy(auth);
  vbp_client_close(catalog);
  vbp_redis_close(redis);
  vbp_pg_pool_close(pool);
  vbp_rpc_shutdown();
  vbp_log(VBP_LOG_INFO, "stopped");
  return rc;
}
