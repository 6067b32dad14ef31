#include "contract-svc/store.h"

#include "common/feed.h"
#include "contract_migrations.h"

vbp_status contract_store_migrate(vbp_pg_pool *pool) {
  VBP_CHECK(vbp_pg_migrate(pool, "contract", contract_migrations, contract_migrations_count));
  return vbp_feed_migrate(pool, "contract");
}
