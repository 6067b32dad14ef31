/* contract-svc's schema: its migrations (migrations/), applied at start-up. */
#ifndef CONTRACT_STORE_H
#define CONTRACT_STORE_H

#include "common/pg.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

vbp_status contract_store_migrate(vbp_pg_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
