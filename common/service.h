/* The one main of every service. A service's main.c declares what it is (a vbp_service_def: its
 * name, schema, addresses, method table and the few hooks of its own) and calls
 * vbp_service_main; everything services share happens here, in one order: configuration from
 * the environment, the database pool and migrations, Redis and a catalog-svc client when the
 * service uses them, the caller authenticator, metrics over HTTP, the gRPC server, and on SIGINT
 * or SIGTERM a drain and teardown in reverse. */
#ifndef VBP_SERVICE_H
#define VBP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/auth.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/pg.h"
#include "common/redis.h"
#include "common/rpc.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the shared main opened for the service, handed to its start hook; all owned by the main
 * and valid until the stop hook returns. */
typedef struct vbp_service_parts {
  vbp_pg_pool *pool;       /* the service's schema on every connection */
  vbp_redis *redis;        /* NULL unless the service uses Redis */
  vbp_client *catalog;     /* CatalogService, NULL unless the service calls it */
  vbp_authenticator *auth; /* resolves this server's callers */
  vbp_metrics *metrics;    /* this server's; a service adds its counters here */
  const char *secret;      /* VBP_INTERNAL_SECRET, to open clients of other services */
} vbp_service_parts;

typedef struct vbp_service_def {
  const char *name;                    /* "pricing-svc": logs and metrics */
  const char *schema;                  /* "pricing": the search_path of every pooled connection */
  const char *addr_env, *addr_default; /* "VBP_PRICING_ADDR", "127.0.0.1:50053" */
  const char *metrics_env, *metrics_default; /* "VBP_PRICING_METRICS_ADDR", ... */
  /* Workers per core when VBP_WORKERS is unset: 1 where handlers mostly compute (measured on 2
   * cores, 2 workers beat 4: tests/bench), 2 where they mostly wait on other servers. */
  int workers_per_core;
  /* Workers added to those (or to VBP_WORKERS) for calls that hold one for long: catalog-svc's
   * change-feed watchers. */
  int extra_workers;
  bool uses_redis;   /* VBP_REDIS_ADDR, VBP_REDIS_TIMEOUT_MS; Redis down at start is no error */
  bool uses_catalog; /* VBP_CATALOG_ADDR: a client, which also resolves bearer keys */
  vbp_status (*migrate)(vbp_pg_pool *pool);
  const vbp_method *methods;
  size_t n_methods;
  /* The service's own struct: handed to every hook and, through vbp_call_context, to handlers. */
  void *context;
  /* Hooks; any may be NULL. configure reads the service's own variables (before anything is
   * opened: an error stops start-up naming the variable); start wires the parts in; stop runs
   * after the server drained; ready answers the health check (NULL: the database answers). */
  vbp_status (*configure)(void *context);
  vbp_status (*start)(void *context, const vbp_service_parts *parts);
  void (*stop)(void *context);
  bool (*ready)(void *context);
  /* Resolves bearer keys; NULL: through catalog-svc (uses_catalog must be set). */
  vbp_key_resolver resolve_key;
  /* Lists the keys revoked lately, for the authenticator to forget; NULL: through catalog-svc. */
  vbp_revocation_source key_revocations;
} vbp_service_def;

/* The settings every service shares, read from the environment. */
typedef struct vbp_service_config {
  const char *listen_addr, *metrics_addr, *redis_addr, *catalog_addr, *admin_key, *secret;
  char *pg_dsn; /* VBP_PG_DSN with the schema and ISO dates; owned, freed by fini */
  int workers, pg_pool_size, redis_timeout_ms;
  vbp_log_settings log;
} vbp_service_config;

/* Reads def's settings: VBP_PG_DSN, VBP_ADMIN_KEY and VBP_INTERNAL_SECRET (both required),
 * VBP_WORKERS, VBP_PG_POOL_SIZE, the log's (config.h's vbp_env_log_settings), def's addresses, and
 * VBP_REDIS_ADDR / VBP_REDIS_TIMEOUT_MS / VBP_CATALOG_ADDR when def uses them. A missing or
 * malformed one is an error naming it (status field). On success the caller frees *out with fini.
 */
vbp_status vbp_service_config_read(const vbp_service_def *def, vbp_service_config *out);
void vbp_service_config_fini(vbp_service_config *config);

/* Runs the service until SIGINT or SIGTERM: 0 after a clean drain, 2 for a configuration error,
 * 1 when something failed to start (each logged, naming what). Call once, from main. */
int vbp_service_main(const vbp_service_def *def);

#ifdef __cplusplus
}
#endif
#endif
