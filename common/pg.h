/* PostgreSQL through libpq: a fixed-size connection pool, prepared statements cached per
 * connection, transactions that retry on serialization failure and deadlock, and the migrations
 * runner every service calls at start-up.
 *
 * Schemas: each service owns one schema (catalog, contract, pricing, volume). Put the service's
 * schema on the search_path of every pooled connection through the conninfo, which is the
 * caller's business:
 *   key=value form:  "host=... dbname=vbp options='-csearch_path=catalog'"
 *   URI form:        "postgresql://host/vbp?options=-csearch_path%3Dcatalog"
 * The option is a connection parameter, so it survives the pool's reconnects.
 *
 * Threads: a pool is shared by all threads; a vbp_pg_conn belongs to the thread that acquired it
 * until it releases it (libpq connections are not to be used by two threads at once). */
#ifndef VBP_PG_H
#define VBP_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/date.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_pg_pool vbp_pg_pool;
typedef struct vbp_pg_conn vbp_pg_conn;

/* How many times vbp_pg_transaction re-runs a transaction after the first attempt. */
#define VBP_PG_TX_MAX_RETRIES 5

/* Opens a pool of `size` (>= 1) connections to `conninfo` (key=value or URI, copied). One
 * connection is made now, so that an unreachable or misconfigured database stops start-up: that
 * failure is UNAVAILABLE with libpq's reason. The others are made on first use. On success
 * *out owns the pool; close it with vbp_pg_pool_close. Not thread-safe with respect to the pool
 * being opened (nobody else can see it yet). */
vbp_status vbp_pg_pool_open(const char *conninfo, int size, vbp_pg_pool **out);

/* The conninfo the pool connects with (for a connection of its own, such as a LISTEN). */
const char *vbp_pg_pool_conninfo(const vbp_pg_pool *pool);

/* Closes every connection and frees the pool. All connections must have been released. NULL
 * does nothing. */
void vbp_pg_pool_close(vbp_pg_pool *pool);

/* Takes a connection, blocking until one is free. A connection found broken (the server closed
 * it, or a previous command failed with the connection lost) is reset first, which also forgets
 * its prepared statements; if it cannot be re-established the result is UNAVAILABLE and no
 * connection is taken. On success *out belongs to the caller until vbp_pg_release.
 * Thread-safe. */
vbp_status vbp_pg_acquire(vbp_pg_pool *pool, vbp_pg_conn **out);

/* Gives `conn` back to `pool`. A connection left inside a transaction is rolled back first.
 * NULL conn does nothing. Thread-safe. */
void vbp_pg_release(vbp_pg_pool *pool, vbp_pg_conn *conn);

/* The libpq connection behind `conn`, owned by the pool: valid while `conn` is acquired, never
 * to be closed or reset by the caller. */
PGconn *vbp_pg_conn_raw(vbp_pg_conn *conn);

/* Where common/feed.c keeps the changes conn's transaction has recorded (feed.h): dropped at
 * BEGIN and release, written by vbp_pg_transaction just before COMMIT. */
void **vbp_pg_feed_slot(vbp_pg_conn *conn);

/* Runs `sql` ($1..$n placeholders) with `nparams` text parameters (`values[i]` NULL for SQL
 * NULL; the pointers are only read during the call). The first time a connection sees a given
 * SQL text it prepares it (named s1, s2, ...) and later calls reuse that statement; the text is
 * compared in full, so any string with the same contents reuses it. Returns the result, which
 * the caller PQclear()s; NULL when libpq could not produce one (out of memory, connection gone).
 * Check it with vbp_pg_status. */
PGresult *vbp_pg_exec(vbp_pg_conn *conn, const char *sql, int nparams, const char *const *values);

/* How many distinct statements `conn` has prepared since it was (re)connected. For tests and
 * metrics. */
size_t vbp_pg_prepared_count(const vbp_pg_conn *conn);

/* OK when `result` succeeded (command or rows); otherwise a status from its SQLSTATE:
 *   23505 unique_violation                    -> ALREADY_EXISTS
 *   23503 foreign_key_violation               -> FAILED_PRECONDITION
 *   40001 serialization_failure, 40P01 deadlock -> ABORTED (safe to retry the transaction)
 *   57014 query_canceled (statement_timeout)  -> DEADLINE_EXCEEDED
 *   08xxx connection, 57P01..57P03 shutdown, 53xxx insufficient resources, no SQLSTATE (an
 *   error libpq made up itself: connection lost) or a NULL result -> UNAVAILABLE
 *   anything else                             -> INTERNAL
 * The message is "<what>: <server's primary message> (SQLSTATE)": never the SQL text and never
 * the DETAIL line (which can quote row values). `what` names the operation ("insert listing").
 * Does not take or clear `result`. Thread-safe. */
vbp_status vbp_pg_status(const PGresult *result, const char *what);

/* vbp_pg_exec then vbp_pg_status(result, what): on OK *out is the result (the caller
 * PQclear()s it), otherwise the result is cleared and *out untouched. Thread-safe. */
vbp_status vbp_pg_query(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                        const char *const *values, PGresult **out);

/* A text[] literal of items[0..n) in arena, for a parameter such as `= ANY($1::text[])` or
 * `unnest($1::text[])`: every element quoted and escaped so that any text survives (ids, names,
 * categories); a NULL item is an SQL NULL. */
const char *vbp_pg_text_array(vbp_arena *arena, const char *const *items, size_t n);

/* ---- What a store builds on: a statement's one fact, and rows read column by column ----
 * The helpers below are vbp_pg_query with the result handled for the caller, so that a store
 * keeps its SQL and its row <-> struct mapping and nothing else; a PGresult still never leaves
 * the store (or this file). On a status other than OK, out-parameters are untouched.
 * Threads: a statement runs on `conn`, which the calling thread holds (see above); a column
 * reader only reads its row's result and writes only to its row's arena. */

/* vbp_pg_query for a statement whose rows nobody reads (an UPDATE, an INSERT without RETURNING,
 * SET TRANSACTION ...): the result is cleared here. */
vbp_status vbp_pg_command(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                          const char *const *values);

/* vbp_pg_query for a write whose RETURNING gives one row when it wrote and none when it did not
 * (INSERT ... ON CONFLICT DO NOTHING RETURNING 1; an upsert whose WHERE leaves an unchanged row
 * alone): on OK *wrote says which, so a retried write can tell that its first attempt landed. */
vbp_status vbp_pg_write(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                        const char *const *values, bool *wrote);

/* For a query that must give exactly one row (a version row a migration made, an aggregate with
 * no GROUP BY): on OK *out is its first column, read as vbp_pg_int64 reads it. Any other number
 * of rows means the schema is not what the code expects: INTERNAL, with `missing` (a sentence,
 * copied) as the whole message. */
vbp_status vbp_pg_get_int64(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                            const char *const *values, const char *missing, int64_t *out);

/* One row of a result, as the column readers below see it: `result` is the caller's (it clears
 * it, after the last read), 0 <= index < PQntuples(result), and `arena` receives the text
 * vbp_pg_text copies (it may be NULL for a row read without vbp_pg_text). */
typedef struct vbp_pg_row {
  const PGresult *result;
  int index;
  vbp_arena *arena;
} vbp_pg_row;

/* Column readers, over the text format libpq gives by default. `col` must be a column of the
 * result. An SQL NULL reads as the zero of the type ("", 0, false), which is how a proto3 message
 * says "not set", so a store maps a nullable column straight onto a message field; where NULL
 * must be told apart from that zero, ask vbp_pg_is_null first. None keeps a pointer into the
 * result. */
bool vbp_pg_is_null(const vbp_pg_row *row, int col);
/* The text, copied into row->arena (protobuf-c string fields are char *, hence not const). NULL
 * reads as a static "" that must not be written to. */
char *vbp_pg_text(const vbp_pg_row *row, int col);
/* An integer or smallint column, or an enum stored as one (atoi). */
int vbp_pg_int(const vbp_pg_row *row, int col);
/* A bigint column: money in 0.0001 yuan, versions, positions (strtoll, base 10). */
int64_t vbp_pg_int64(const vbp_pg_row *row, int col);
/* A boolean column: true only for PostgreSQL's "t". */
bool vbp_pg_bool(const vbp_pg_row *row, int col);
/* A date column (the server's DateStyle ISO, the default, gives "YYYY-MM-DD"): true and *out
 * written when the column holds one; false, *out untouched, for NULL or any other text. */
bool vbp_pg_date(const vbp_pg_row *row, int col, vbp_date *out);

/* Makes one object (a message, in row->arena) of one row. It cannot fail (out of memory
 * aborts). */
typedef void *(*vbp_pg_row_fn)(const vbp_pg_row *row);

/* vbp_pg_query, then make() of each row in order: on OK *out is an array in `arena` of *count
 * objects (never NULL, even for no rows), and the result is cleared. The shape of a store's
 * list functions. */
vbp_status vbp_pg_query_rows(vbp_pg_conn *conn, vbp_arena *arena, const char *what, const char *sql,
                             int nparams, const char *const *values, vbp_pg_row_fn make,
                             void ***out, size_t *count);

/* vbp_pg_query_rows for a query that names one row: on OK *out is make() of the first row, or
 * NULL when there is none (a store's find, which may find nothing; a get turns NULL into
 * NOT_FOUND itself). */
vbp_status vbp_pg_find_row(vbp_pg_conn *conn, vbp_arena *arena, const char *what, const char *sql,
                           int nparams, const char *const *values, vbp_pg_row_fn make, void **out);

/* Work to run inside vbp_pg_transaction or vbp_pg_read, on a connection it has acquired. It may
 * run several times (see below), so it must be safe to re-run: keep its effects in the database
 * and in `ctx` fields it overwrites, not in counters it increments or messages it sends. */
typedef vbp_status (*vbp_pg_tx_fn)(vbp_pg_conn *conn, void *ctx);

/* Acquires a connection, BEGIN ISOLATION LEVEL READ COMMITTED, runs fn(conn, ctx), then COMMIT if
 * it returned OK and ROLLBACK otherwise; returns fn's status, or the COMMIT's.
 *
 * Why READ COMMITTED: our writes are short and touch rows we name. Where a rule reads rows and
 * then writes based on them (a quantity left, a price in force), fn locks those rows with
 * SELECT ... FOR UPDATE, which under READ COMMITTED waits for and then sees the other writer's
 * committed row. SERIALIZABLE would give the same answers but fail many more transactions under
 * load, and REPEATABLE READ would fail them where FOR UPDATE finds a row changed since the
 * snapshot.
 *
 * Retries: the whole transaction (on a fresh or reset connection, after a short jittered
 * backoff) is re-run up to VBP_PG_TX_MAX_RETRIES times when fn or COMMIT returns ABORTED (40001
 * serialization failure or 40P01 deadlock, mapped by vbp_pg_status) or when the connection broke
 * before COMMIT was sent (nothing was committed). A connection lost during COMMIT is not retried:
 * the outcome is unknown, so that is UNAVAILABLE. fn returning OK while its transaction is in
 * error (it ignored a failed statement) is INTERNAL, and nothing is committed.
 * fn must not issue BEGIN, COMMIT or ROLLBACK itself. The change-feed rows fn recorded
 * (common/feed.h) are written last, just before COMMIT; each attempt starts with none. Thread-safe.
 */
vbp_status vbp_pg_transaction(vbp_pg_pool *pool, vbp_pg_tx_fn fn, void *ctx);

/* Like vbp_pg_transaction but without BEGIN/COMMIT: for read-only work where each statement's
 * own snapshot is enough. Retried the same way (ABORTED, or the connection broke). Thread-safe. */
vbp_status vbp_pg_read(vbp_pg_pool *pool, vbp_pg_tx_fn fn, void *ctx);

/* Two-phase commit (docs/exchange-import.md): like vbp_pg_transaction, but instead of COMMIT
 * the transaction is prepared (PREPARE TRANSACTION gid), so that it survives this session, a
 * crash and a restart, holding its locks, until vbp_pg_finish_prepared. Retried as
 * vbp_pg_transaction is. The server needs max_prepared_transactions > 0. Thread-safe. */
vbp_status vbp_pg_prepare(vbp_pg_pool *pool, const char *gid, vbp_pg_tx_fn fn, void *ctx);

/* COMMIT PREPARED gid (commit) or ROLLBACK PREPARED gid, outside any transaction. A gid that is
 * not there (never prepared, or finished already) is OK with *found false, so recovery may repeat
 * it; *found is true when this call finished it. Thread-safe. */
vbp_status vbp_pg_finish_prepared(vbp_pg_pool *pool, const char *gid, bool commit, bool *found);

/* Whether the database answers (SELECT 1 on a pooled connection): a service's readiness. pool
 * is a vbp_pg_pool (void * so it fits vbp_server_config.ready). Thread-safe. */
bool vbp_pg_ready(void *pool);

/* One migration file: `name` is its file name ("0001_init.sql"), `sql` its contents (one or more
 * statements, NUL-terminated). Both static (cmake/EmbedMigrations.cmake generates the arrays). */
typedef struct vbp_migration {
  const char *name;
  const char *sql;
} vbp_migration;

/* Brings `schema` up to date: creates the schema and <schema>.schema_migrations(name text primary
 * key, applied_at timestamptz) if missing, then applies, in array order (the generator sorts by
 * file name), each of the `n` migrations whose name is not recorded yet, and records it. Each file
 * runs in its own transaction with search_path set to `schema` alone, under
 * pg_advisory_xact_lock(hashtext(schema)), so processes starting at once apply each file exactly
 * once. Idempotent: a second call applies nothing. A file must not contain BEGIN/COMMIT or
 * statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY). A failing file rolls
 * back alone (earlier ones stay applied) and the status names it. Thread-safe. */
vbp_status vbp_pg_migrate(vbp_pg_pool *pool, const char *schema, const vbp_migration *m, size_t n);

#ifdef __cplusplus
}
#endif
#endif
