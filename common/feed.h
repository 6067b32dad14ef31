/* The change feed (API.md "Change feed"): every service records each write in its own schema's
 * `changes` table, in the transaction of the write, and answers its part of ListChanges from it.
 *
 * Commit order. A write buffers its changes on the connection (vbp_feed_add); vbp_pg_transaction
 * writes them (vbp_feed_flush) as the last statements before COMMIT. The flush takes its
 * sequence numbers from the one-row feed_clock (UPDATE ... RETURNING), whose row lock it then
 * holds until COMMIT: a second writer's flush waits for the first to commit (or roll back), so
 * numbers are handed out in commit order and a reader that sees seq N committed has seen every
 * smaller seq that will ever commit. A plain sequence would not do: its numbers are taken at
 * insert time, and a transaction that took 7 and commits after one that took 8 would be skipped
 * by a reader that read 8 meanwhile. Writers serialise only for the few milliseconds between the
 * flush and COMMIT.
 *
 * A retried transaction starts with an empty buffer (BEGIN and release drop it), so an attempt
 * that rolled back records nothing, and a write that changed nothing should add nothing. */
#ifndef VBP_FEED_H
#define VBP_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/identity.h"
#include "common/pg.h"
#include "common/status.h"
#include "vbp/v1/feed.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The NOTIFY channel a flush signals; the payload is the schema. */
#define VBP_FEED_CHANNEL "vbp_changes"

/* One change and who may read it. Strings are copied by vbp_feed_add. */
typedef struct vbp_change {
  const char *type;           /* lowerCamelCase singular: "contract", "demandReport" */
  const char *id;             /* the thing's id, or its slash-joined natural key */
  const char *action;         /* "created", "updated", "deleted" */
  const char *region_code;    /* where the thing lives, or NULL */
  const char *batch_code;     /* its batch, or NULL */
  const char *const *parties; /* organization ids that may read it (NULL or "" items skipped) */
  size_t n_parties;
  bool is_public; /* reference data every authenticated caller may read */
} vbp_change;

/* Buffers change for the current transaction of conn (held by the calling thread). */
void vbp_feed_add(vbp_pg_conn *conn, const vbp_change *change);

/* Writes the buffered changes (nothing when there are none) with the next sequence numbers,
 * notifies VBP_FEED_CHANNEL when `notify`, and empties the buffer. Must be the last thing before
 * COMMIT: vbp_pg_transaction calls it; call it yourself before a COMMIT or PREPARE TRANSACTION
 * you issue on a raw connection. PostgreSQL refuses to PREPARE a transaction that notified, so a
 * prepared one flushes without, and vbp_pg_finish_prepared notifies after COMMIT PREPARED. */
vbp_status vbp_feed_flush(vbp_pg_conn *conn, bool notify);

/* Drops the buffer (a rollback, a new attempt). */
void vbp_feed_discard(vbp_pg_conn *conn);

/* Applies the feed's migrations (common/migrations) to schema, after the service's own. */
vbp_status vbp_feed_migrate(vbp_pg_pool *pool, const char *schema);

/* The reader of a caller: everything for the admin (and a service), otherwise role, organization
 * and region; batch_codes (an alliance office's batches, borrowed) as given. */
void vbp_feed_reader_of(const vbp_caller *caller, Vbp__V1__FeedReader *out);

/* At most page_size changes with seq > after that reader may read, by seq, into arena. */
vbp_status vbp_feed_list(vbp_pg_conn *conn, vbp_arena *arena, int64_t after, int page_size,
                         const Vbp__V1__FeedReader *reader, Vbp__V1__ServiceChange ***out,
                         size_t *n);

/* A ListServiceChanges handler's body over pool: validates the request and answers it. */
vbp_status vbp_feed_list_service_changes(vbp_pg_pool *pool, vbp_arena *arena,
                                         const Vbp__V1__ListServiceChangesRequest *in,
                                         Vbp__V1__ListServiceChangesResponse *out);

#ifdef __cplusplus
}
#endif
#endif
