#include "contract-svc/store.h"

#include "contract_migrations.h"

vbp_status contract_store_migrate(vbp_pg_pool *pool) {
  return vbp_pg_migrate(pool, "contract", contract_migrations, contract_migrations_count);
}
