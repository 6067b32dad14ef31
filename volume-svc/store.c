#include "volume-svc/store.h"

#include "common/feed.h"
#include "volume_migrations.h"

vbp_status volume_store_migrate(vbp_pg_pool *pool) {
  VBP_CHECK(vbp_pg_migrate(pool, "volume", volume_migrations, volume_migrations_count));
  return vbp_feed_migrate(pool, "volume");
}
