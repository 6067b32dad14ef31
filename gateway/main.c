/* gateway: configuration from the environment, the route table from the descriptor set,
 * clients to the four services, serve HTTP, drain on SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/catalog_auth.h"
#include "common/config.h"
#include "common/log.h"
#include "common/signals.h"
#include "gateway/docs.h"
#include "gateway/gateway.h"
#include "gateway/limiter.h"
#include "gateway/openapi.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

#define KEY_CACHE_SLOTS 65536

static const ProtobufCServiceDescriptor *const services[] = {
    &vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
    &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor};

/* Where each service listens: its address variable and default. */
static const struct {
  const char *name, *variable, *fallback;
} addresses[] = {
    {"catalog", "VBP_CATALOG_ADDR", "127.0.0.1:50051"},
    {"contract", "VBP_CONTRACT_ADDR", "127.0.0.1:50052"},
    {"pricing", "VBP_PRICING_ADDR", "127.0.0.1:50053"},
    {"volume", "VBP_VOLUME_ADDR", "127.0.0.1:50054"},
};

static vbp_status read_config(gw_config *c, const char **descriptor_set, const char **docs_dir,
                              vbp_log_settings *log) {
  c->listen_addr = vbp_env("VBP_GATEWAY_ADDR", "127.0.0.1:8080");
  c->redis_addr = vbp_env("VBP_REDIS_ADDR", "127.0.0.1:56379");
  *descriptor_set = vbp_env("VBP_DESCRIPTOR_SET", VBP_DEFAULT_DESCRIPTOR_SET);
  *docs_dir = getenv("VBP_DOCS_DIR");
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  vbp_status st = vbp_env_required("VBP_ADMIN_KEY", &c->admin_key);
  if (vbp_ok(&st)) st = vbp_env_required("VBP_INTERNAL_SECRET", &c->secret);
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_GATEWAY_THREADS", cores > 0 ? (int)cores : 2, 1, 256, &c->threads);
  /* While catalog-svc cannot say which keys were revoked, a revoked key may work this long. */
  if (vbp_ok(&st)) st = vbp_env_int("VBP_KEY_CACHE_TTL_MS", 30000, 0, 30000, &c->key_cache_ttl_ms);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_RATE_LIMIT_RPS", 2000, 0, 100000000, &c->rate_limit_rps);
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_RATE_LIMIT_BURST", 2 * c->rate_limit_rps, 0, 100000000,
                     &c->rate_limit_burst);
  /* Enough for a client that mistypes a key; far too few to guess one. */
  if (vbp_ok(&st)) st = vbp_env_int("VBP_AUTH_FAILURE_RPS", 5, 0, 1000000, &c->auth_failure_rps);
  if (vbp_ok(&st))
    st = vbp_env_int("VBP_AUTH_FAILURE_BURST", 20, 0, 1000000, &c->auth_failure_burst);
  /* Below scripts/stack's 10 s between SIGTERM and SIGKILL (and Kubernetes' 30 s), so that the
   * requests still waiting after it are answered 503 rather than cut by the kill. */
  c->cors_origins = vbp_env("VBP_CORS_ORIGINS", NULL);
  if (vbp_ok(&st)) st = vbp_env_int("VBP_GATEWAY_DRAIN_MS", 5000, 0, 600000, &c->drain_ms);
  if (vbp_ok(&st)) st = vbp_env_log_settings(log);
  return st;
}

int main(void) {
  gw_config cfg = {0};
  const char *descriptor_set = NULL, *docs_dir = NULL;
  vbp_log_settings log = {.level = VBP_LOG_INFO};
  vbp_status st = read_config(&cfg, &descriptor_set, &docs_dir, &log);
  if (vbp_ok(&st))
    st = vbp_log_start("gateway", &log);
  else
    vbp_log_init("gateway", VBP_LOG_INFO);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "configuration: %s", st.message);
    return 2;
  }
  vbp_block_stop_signals();
  vbp_rpc_init();
  int rc = 1;
  gw_server srv = {.config = cfg};
  gw_routes *routes = NULL;
  const char **names = NULL;
  size_t n = 0;

  st = gw_routes_load(descriptor_set, services, sizeof services / sizeof services[0], &routes);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "routes from %s: %s", descriptor_set, st.message);
    goto done;
  }
  srv.routes = routes;
  srv.openapi = gw_openapi_json(routes, "VBP API", "v1", &srv.openapi_len);
  /* The API explorer: a directory named in VBP_DOCS_DIR must load (an empty value turns it
   * off); without one, the build tree's is used when there is one. */
  if (docs_dir && *docs_dir) {
    st = gw_docs_load(docs_dir, &srv.docs);
    if (!vbp_ok(&st)) {
      vbp_log(VBP_LOG_ERROR, "%s", st.message);
      goto done;
    }
  } else if (!docs_dir) {
    st = gw_docs_load(VBP_DEFAULT_DOCS_DIR, &srv.docs);
    if (!vbp_ok(&st)) vbp_log(VBP_LOG_WARN, "no API explorer at /docs: %s", st.message);
    st = vbp_status_ok();
  }
  n = gw_routes_count(routes);
  srv.methods = vbp_xcalloc(n, sizeof *srv.methods);
  names = vbp_xcalloc(n + 2, sizeof *names);
  for (size_t i = 0; i < n; i++) {
    const gw_route *route = gw_routes_at(routes, i);
    srv.methods[i] = (vbp_method){
        .path = route->rpc_path, .request = route->request, .response = route->response};
    char *name = vbp_xmalloc(strlen(route->pattern) + 8);
    sprintf(name, "%s %s", gw_verb_name(route->verb), route->pattern);
    names[i] = name;
  }
  names[n] = "operations";
  names[n + 1] = "unmatched";
  srv.metrics = vbp_metrics_create("gateway", names, n + 2);
  srv.backend_errors = vbp_metrics_counter(srv.metrics, "vbp_gateway_backend_errors_total",
                                           "Backend calls that failed for want of the backend.");
  srv.limiter = gw_limiter_create(cfg.rate_limit_rps, cfg.rate_limit_burst, 65536);
  srv.auth_failures = gw_limiter_create(cfg.auth_failure_rps, cfg.auth_failure_burst, 65536);
  srv.auth = vbp_authenticator_create(cfg.admin_key, cfg.secret, NULL, NULL, cfg.key_cache_ttl_ms,
                                      KEY_CACHE_SLOTS);
  for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
    const char *addr = vbp_env(addresses[i].variable, addresses[i].fallback);
    gw_backend *b = &srv.backends[srv.n_backends];
    b->service = services[i]->name;
    b->name = addresses[i].name;
    st = vbp_client_open(addr, cfg.secret, &b->client);
    if (!vbp_ok(&st)) {
      vbp_log(VBP_LOG_ERROR, "%s: %s", addresses[i].variable, st.message);
      goto done;
    }
    srv.n_backends++;
  }
  srv.catalog = srv.backends[0].client;
  vbp_authenticator_watch(srv.auth, vbp_catalog_key_revocations, srv.catalog,
                          VBP_KEY_REVOCATION_POLL_MS);
  /* Connects lazily: the gateway starts while Redis is down, and only keyed writes notice. */
  st = vbp_redis_open(cfg.redis_addr, 50, &srv.redis);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "redis %s: %s", cfg.redis_addr, st.message);
    goto done;
  }
  st = gw_server_start(&srv);
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "server: %s", st.message);
    goto done;
  }
  vbp_log(VBP_LOG_INFO, "serving %zu routes on %s", n, cfg.listen_addr);
  if (srv.docs)
    vbp_log(VBP_LOG_INFO, "the API explorer at /docs: %zu files", gw_docs_count(srv.docs));
  int sig = vbp_wait_stop_signal();
  vbp_log(VBP_LOG_INFO, "signal %d: draining", sig);
  rc = 0;

done:
  if (!gw_server_stop(&srv, cfg.drain_ms)) {
    /* The daemon still runs and uses everything below: leave it all to the exit. */
    vbp_log(VBP_LOG_ERROR, "stopped without draining");
    _exit(1);
  }
  vbp_authenticator_destroy(srv.auth); /* its watcher calls catalog-svc: before the clients go */
  for (size_t i = 0; i < srv.n_backends; i++) vbp_client_close(srv.backends[i].client);
  gw_limiter_destroy(srv.limiter);
  gw_limiter_destroy(srv.auth_failures);
  vbp_redis_close(srv.redis);
  vbp_metrics_destroy(srv.metrics);
  for (size_t i = 0; i < n; i++) free((char *)names[i]);
  free(names);
  free(srv.methods);
  free(srv.openapi);
  gw_docs_destroy(srv.docs);
  gw_routes_destroy(routes);
  vbp_rpc_shutdown();
  vbp_log(VBP_LOG_INFO, "stopped");
  return rc;
}
