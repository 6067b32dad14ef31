/* PostgreSQL pool, prepared statements, transactions with retry, migrations. See pg.h. */
#define _POSIX_C_SOURCE 200809L

#include "common/pg.h"

#include "common/arena.h" /* vbp_xcalloc: out of memory aborts */
#include "common/clock.h"
#include "common/feed.h"
#include "common/log.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
 * a status message is one line. Copies src into dst with runs of whitespace made one space. */
static void one_line(char *dst, size_t cap, const char *src) {
  size_t o = 0;
  bool space = false;
  if (cap == 0) return;
  for (const char *p = src ? src : ""; *p != '\0' && o + 1 < cap; p++) {
    if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
      space = o > 0;
      continue;
    }
    if (space && o + 2 < cap) dst[o++] = ' ';
    space = false;
    dst[o++] = *p;
  }
  dst[o] = '\0';
}

/* ---- per-connection prepared statements: an open-addressing table keyed by the SQL text ---- */

typedef struct prepared {
  uint64_t hash; /* 0 marks an empty slot (hash_sql never returns 0) */
  char *sql;
  char name[24];
} prepared;

struct vbp_pg_conn {
  PGconn *pg;       /* NULL until first acquired */
  bool needs_reset; /* released with a command still in flight */
  prepared *stmts;  /* capacity cap, a power of two */
  size_t cap;
  size_t count;   /* statements prepared on the current session */
  size_t next_id; /* name suffix of the next statement: s1, s2, ... */
  vbp_pg_conn *next_free;
  void *feed; /* the change feed's buffer of this transaction (common/feed.c), or NULL */
};

static uint64_t hash_sql(const char *sql) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)sql; *p != '\0'; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

static prepared *find_prepared(vbp_pg_conn *c, const char *sql, uint64_t h) {
  if (c->cap == 0) return NULL;
  for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
    prepared *p = &c->stmts[i];
    if (p->hash == 0) return NULL;
    if (p->hash == h && strcmp(p->sql, sql) == 0) return p;
  }
}

static prepared *insert_prepared(vbp_pg_conn *c, const char *sql, uint64_t h) {
  if ((c->count + 1) * 2 > c->cap) { /* keep the load at most half, so probes stay short */
    size_t cap = c->cap ? c->cap * 2 : 32;
    prepared *old = c->stmts;
    size_t old_cap = c->cap;
    c->stmts = vbp_xcalloc(cap, sizeof *c->stmts);
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
      if (old[i].hash == 0) continue;
      size_t j = old[i].hash & (cap - 1);
      while (c->stmts[j].hash != 0) j = (j + 1) & (cap - 1);
      c->stmts[j] = old[i];
    }
    free(old);
  }
  size_t j = h & (c->cap - 1);
  while (c->stmts[j].hash != 0) j = (j + 1) & (c->cap - 1);
  prepared *p = &c->stmts[j];
  p->hash = h;
  p->sql = vbp_xstrdup(sql);
  snprintf(p->name, sizeof p->name, "s%zu", ++c->next_id);
  c->count++;
  return p;
}

/* The server forgets prepared statements with the session: after a (re)connect, so do we. */
static void forget_prepared(vbp_pg_conn *c) {
  for (size_t i = 0; i < c->cap; i++) free(c->stmts[i].sql);
  free(c->stmts);
  c->stmts = NULL;
  c->cap = c->count = c->next_id = 0;
}

/* ---- the pool ---- */

struct vbp_pg_pool {
  pthread_mutex_t mu;
  pthread_cond_t available;
  char *conninfo;
  int size;
  vbp_pg_conn *conns;     /* size of them */
  vbp_pg_conn *free_list; /* guarded by mu */
};

/* Notices ("relation ... already exists, skipping", the FATAL a server sends before closing an
 * idle connection) would go to stderr as plain text by default, between our JSON log lines.
 * Errors that matter reach the caller as results; the rest is dropped. */
static void drop_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

static PGconn *connect_quietly(const char *conninfo) {
  PGconn *pg = PQconnectdb(conninfo);
  if (pg != NULL) PQsetNoticeProcessor(pg, drop_notice, NULL); /* kept across PQreset */
  return pg;
}

static vbp_status connect_failure(const char *what, PGconn *pg) {
  char reason[VBP_STATUS_MESSAGE_MAX];
  one_line(reason, sizeof reason, pg ? PQerrorMessage(pg) : "out of memory");
  /* libpq's reason names the server ("connection to server at "10.0.3.7", port 5432 failed"):
   * the log may say where the database is, an answer that reaches a client may not. */
  vbp_log(VBP_LOG_WARN, "postgres %s: %s", what, reason);
  return vbp_status_make(VBP_UNAVAILABLE, "postgres %s: the database is unreachable", what);
}

vbp_status vbp_pg_pool_open(const char *conninfo, int size, vbp_pg_pool **out) {
  if (conninfo == NULL || size < 1)
    return vbp_status_make(VBP_INVALID_ARGUMENT, "postgres pool: need a conninfo and size >= 1");
  vbp_pg_pool *pool = vbp_xcalloc(1, sizeof *pool);
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->available, NULL);
  pool->conninfo = vbp_xstrdup(conninfo);
  pool->size = size;
  pool->conns = vbp_xcalloc((size_t)size, sizeof *pool->conns);
  for (int i = size - 1; i >= 0; i--) {
    pool->conns[i].next_free = pool->free_list;
    pool->free_list = &pool->conns[i];
  }
  /* One connection now: a wrong host, password or database should stop start-up, not the first
   * request. It heads the free list, so it is the first one handed out. */
  PGconn *pg = connect_quietly(conninfo);
  if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
    vbp_status st = connect_failure("connect", pg);
    PQfinish(pg);
    vbp_pg_pool_close(pool);
    return st;
  }
  pool->conns[0].pg = pg;
  *out = pool;
  return vbp_status_ok();
}

const char *vbp_pg_pool_conninfo(const vbp_pg_pool *pool) { return pool->conninfo; }

void vbp_pg_pool_close(vbp_pg_pool *pool) {
  if (pool == NULL) return;
  for (int i = 0; i < pool->size; i++) {
    PQfinish(pool->conns[i].pg);
    forget_prepared(&pool->conns[i]);
  }
  free(pool->conns);
  free(pool->conninfo);
  pthread_cond_destroy(&pool->available);
  pthread_mutex_destroy(&pool->mu);
  free(pool);
}

/* libpq learns that the server closed an idle connection (pg_terminate_backend, a server
 * restart, idle_session_timeout) only when it next reads. An idle session of ours expects
 * nothing from the server (we LISTEN to nothing), so a readable socket means the server said
 * goodbye: its FATAL message, then EOF, which may not even have arrived yet. Such a connection is
 * reset rather than handed out to fail. One poll(2), no round trip. */
static bool hung_up(PGconn *pg) {
  if (PQstatus(pg) != CONNECTION_OK) return true;
  if (PQtransactionStatus(pg) != PQTRANS_IDLE) return false;
  struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
  return pfd.fd < 0 || poll(&pfd, 1, 0) > 0;
}

/* Makes `c` usable: first connect, or reset if broken. Called without the pool lock, since
 * connecting takes a round trip or a timeout. */
static vbp_status make_ready(vbp_pg_pool *pool, vbp_pg_conn *c) {
  if (c->pg == NULL) {
    forget_prepared(c);
    c->pg = connect_quietly(pool->conninfo);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
      vbp_status st = connect_failure("connect", c->pg);
      PQfinish(c->pg);
      c->pg = NULL;
      return st;
    }
    return vbp_status_ok();
  }
  if (c->needs_reset || hung_up(c->pg)) {
    forget_prepared(c);
    c->needs_reset = false;
    PQreset(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK) return connect_failure("reconnect", c->pg);
  }
  return vbp_status_ok();
}

static void put_back(vbp_pg_pool *pool, vbp_pg_conn *c) {
  pthread_mutex_lock(&pool->mu);
  c->next_free = pool->free_list;
  pool->free_list = c;
  pthread_cond_signal(&pool->available);
  pthread_mutex_unlock(&pool->mu);
}

vbp_status vbp_pg_acquire(vbp_pg_pool *pool, vbp_pg_conn **out) {
  pthread_mutex_lock(&pool->mu);
  while (pool->free_list == NULL) pthread_cond_wait(&pool->available, &pool->mu);
  vbp_pg_conn *c = pool->free_list;
  pool->free_list = c->next_free;
  c->next_free = NULL;
  pthread_mutex_unlock(&pool->mu);

  vbp_status st = make_ready(pool, c);
  if (!vbp_ok(&st)) {
    put_back(pool, c);
    return st;
  }
  *out = c;
  return st;
}

void vbp_pg_release(vbp_pg_pool *pool, vbp_pg_conn *c) {
  if (c == NULL) return;
  vbp_feed_discard(c); /* changes of a transaction that did not commit */
  if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
    switch (PQtransactionStatus(c->pg)) {
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR:
        PQclear(PQexec(c->pg, "ROLLBACK"));
        break;
      case PQTRANS_ACTIVE: /* results left unread: only a new session is clean */
        c->needs_reset = true;
        break;
      default:
        break;
    }
  }
  put_back(pool, c);
}

PGconn *vbp_pg_conn_raw(vbp_pg_conn *c) { return c->pg; }

void **vbp_pg_feed_slot(vbp_pg_conn *c) { return &c->feed; }

size_t vbp_pg_prepared_count(const vbp_pg_conn *c) { return c->count; }

PGresult *vbp_pg_exec(vbp_pg_conn *c, const char *sql, int nparams, const char *const *values) {
  uint64_t h = hash_sql(sql);
  prepared *p = find_prepared(c, sql, h);
  if (p == NULL) {
    char name[24];
    snprintf(name, sizeof name, "s%zu", c->next_id + 1);
    PGresult *r = PQprepare(c->pg, name, sql, nparams, NULL);
    /* A failed prepare (syntax error, lost connection) is the caller's result; nothing cached.
     * A successful one outlives a rollback of the transaction it ran in: the server keeps named
     * statements for the whole session. */
    if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) return r;
    PQclear(r);
    p = insert_prepared(c, sql, h);
  }
  return PQexecPrepared(c->pg, p->name, nparams, values, NULL, NULL, 0);
}

/* ---- errors ---- */

static vbp_code code_for_sqlstate(const char *s) {
  if (s == NULL || strlen(s) != 5) return VBP_UNAVAILABLE; /* made up by libpq: connection lost */
  if (strcmp(s, "23505") == 0) return VBP_ALREADY_EXISTS;
  if (strcmp(s, "23503") == 0) return VBP_FAILED_PRECONDITION;
  if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0) return VBP_ABORTED;
  if (strcmp(s, "57014") == 0) return VBP_DEADLINE_EXCEEDED;
  if (strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0) return VBP_UNAVAILABLE;
  if (strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0)
    return VBP_UNAVAILABLE; /* admin_shutdown, crash_shutdown, cannot_connect_now */
  return VBP_INTERNAL;
}

vbp_status vbp_pg_status(const PGresult *r, const char *what) {
  if (what == NULL) what = "query";
  if (r == NULL)
    return vbp_status_make(VBP_UNAVAILABLE, "%s: no result from postgres (connection lost)", what);
  switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_EMPTY_QUERY: /* a migration file of comments only */
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
      return vbp_status_ok();
    default:
      break;
  }
  const char *sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  char reason[VBP_STATUS_MESSAGE_MAX];
  /* The primary message never holds the SQL text or row values (those are in DETAIL). An error
   * libpq made up itself has no fields: its message is then the whole text, first line kept. */
  if (primary != NULL) {
    one_line(reason, sizeof reason, primary);
  } else {
    char first[VBP_STATUS_MESSAGE_MAX];
    const char *msg = PQresultErrorMessage(r);
    size_t len = strcspn(msg, "\n");
    if (len >= sizeof first) len = sizeof first - 1;
    memcpy(first, msg, len);
    first[len] = '\0';
    one_line(reason, sizeof reason, first[0] ? first : PQresStatus(PQresultStatus(r)));
  }
  return vbp_status_make(code_for_sqlstate(sqlstate), "%s: %s (SQLSTATE %s)", what, reason,
                         sqlstate ? sqlstate : "none");
}

/* ---- transactions ---- */

/* Before retry `attempt` (0-based): half of 2 ms << attempt fixed, half random, so that two
 * transactions that just collided do not collide again in lockstep. */
static void backoff(int attempt) {
  static _Thread_local uint64_t rng;
  if (rng == 0) {
    /* The clock and this thread's own copy of rng: threads seeded in the same microsecond still
     * differ. */
    rng = ((uint64_t)vbp_monotonic_us() << 20) ^ (uint64_t)(uintptr_t)&rng;
    if (rng == 0) rng = 88172645463325252ULL;
  }
  rng ^= rng << 13; /* xorshift64 */
  rng ^= rng >> 7;
  rng ^= rng << 17;
  long span_us = 2000L << attempt;
  long us = span_us / 2 + (long)(rng % (uint64_t)(span_us / 2));
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static bool broken(const vbp_pg_conn *c) { return PQstatus(c->pg) != CONNECTION_OK; }

/* One attempt. *retry says whether running it again is both useful and safe. */
static vbp_status attempt_once(vbp_pg_pool *pool, vbp_pg_tx_fn fn, void *ctx, bool in_tx,
                               const char *gid, bool *retry) {
  vbp_pg_conn *c = NULL;
  PGresult *r = NULL;
  *retry = false;
  vbp_status st = vbp_pg_acquire(pool, &c);
  if (!vbp_ok(&st)) return st;

  if (in_tx) {
    vbp_feed_discard(c);
    r = PQexec(c->pg, "BEGIN ISOLATION LEVEL READ COMMITTED");
    st = vbp_pg_status(r, "begin");
    PQclear(r);
    r = NULL;
    if (!vbp_ok(&st)) {
      *retry = broken(c);
      goto done;
    }
  }

  st = fn(c, ctx);
  if (!vbp_ok(&st)) {
    /* A broken connection means nothing was committed (fn cannot commit: we have not yet). */
    *retry = st.code == VBP_ABORTED || broken(c);
    goto done; /* release rolls back */
  }
  if (!in_tx) goto done;

  switch (PQtransactionStatus(c->pg)) {
    case PQTRANS_INTRANS:
      break;
    case PQTRANS_INERROR:
      st = vbp_status_make(VBP_INTERNAL,
                           "transaction: a statement failed but the work reported success; "
                           "rolled back");
      goto done;
    default:
      if (broken(c)) {
        st = vbp_status_make(VBP_UNAVAILABLE, "transaction: connection lost before commit");
        *retry = true;
      } else {
        st = vbp_status_make(VBP_INTERNAL, "transaction: the work ended the transaction itself");
      }
      goto done;
  }

  /* The change feed's rows, last: its clock lock is held from here to COMMIT, or, prepared, to
   * COMMIT PREPARED (feed.h). */
  st = vbp_feed_flush(c, gid == NULL);
  if (!vbp_ok(&st)) {
    *retry = st.code == VBP_ABORTED || broken(c);
    goto done;
  }
  if (gid) {
    char *literal = PQescapeLiteral(c->pg, gid, strlen(gid));
    if (!literal) {
      st = vbp_status_make(VBP_INTERNAL, "prepare: cannot quote the transaction id");
      goto done;
    }
    char *sql = vbp_xcalloc(strlen(literal) + 32, 1);
    sprintf(sql, "PREPARE TRANSACTION %s", literal);
    PQfreemem(literal);
    r = PQexec(c->pg, sql);
    free(sql);
  } else {
    r = PQexec(c->pg, "COMMIT");
  }
  const char *done_tag = gid ? "PREPARE TRANSACTION" : "COMMIT";
  st = vbp_pg_status(r, gid ? "prepare" : "commit");
  if (vbp_ok(&st) && strcmp(PQcmdStatus(r), done_tag) != 0) {
    st = vbp_status_make(VBP_INTERNAL, "%s: server rolled back (%s)", gid ? "prepare" : "commit",
                         PQcmdStatus(r));
  } else if (!vbp_ok(&st) && broken(c)) {
    /* COMMIT was sent; whether it took effect is unknown. Never re-run. */
    st = vbp_status_make(VBP_UNAVAILABLE, "commit: connection lost, outcome unknown");
  } else if (!vbp_ok(&st)) {
    *retry = st.code == VBP_ABORTED; /* deferred checks / serializable at commit: rolled back */
  }

done:
  PQclear(r);
  vbp_pg_release(pool, c);
  return st;
}

static vbp_status run_with_retries(vbp_pg_pool *pool, vbp_pg_tx_fn fn, void *ctx, bool in_tx,
                                   const char *gid) {
  for (int attempt = 0;; attempt++) {
    bool retry = false;
    vbp_status st = attempt_once(pool, fn, ctx, in_tx, gid, &retry);
    if (vbp_ok(&st) || !retry || attempt == VBP_PG_TX_MAX_RETRIES) return st;
    backoff(attempt);
  }
}

vbp_status vbp_pg_transaction(vbp_pg_pool *pool, vbp_pg_tx_fn fn, void *ctx) {
  return run_with_retries(pool, fn, ctx, true, NULL);
}

vbp_status vbp_pg_read(vbp_pg_pool *pool, vbp_pg_tx_fn fn, void *ctx) {
  return run_with_retries(pool, fn, ctx, false, NULL);
}

vbp_status vbp_pg_prepare(vbp_pg_pool *pool, const char *gid, vbp_pg_tx_fn fn, void *ctx) {
  if (!gid || !*gid || strlen(gid) >= 200)
    return vbp_status_make(VBP_INVALID_ARGUMENT, "prepare: transaction id must be 1-199 bytes");
  return run_with_retries(pool, fn, ctx, true, gid);
}

vbp_status vbp_pg_finish_prepared(vbp_pg_pool *pool, const char *gid, bool commit, bool *found) {
  vbp_pg_conn *c = NULL;
  *found = false;
  vbp_status st = vbp_pg_acquire(pool, &c);
  if (!vbp_ok(&st)) return st;
  char *literal = PQescapeLiteral(c->pg, gid, strlen(gid));
  if (!literal) {
    vbp_pg_release(pool, c);
    return vbp_status_make(VBP_INTERNAL, "finish prepared: cannot quote the transaction id");
  }
  char *sql = vbp_xcalloc(strlen(literal) + 32, 1);
  sprintf(sql, "%s PREPARED %s", commit ? "COMMIT" : "ROLLBACK", literal);
  PQfreemem(literal);
  PGresult *r = PQexec(c->pg, sql);
  free(sql);
  const char *sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (r && PQresultStatus(r) == PGRES_FATAL_ERROR && sqlstate && strcmp(sqlstate, "42704") == 0) {
    /* undefined_object: never prepared, or finished already (by us, or by recovery). */
    st = vbp_status_ok();
  } else {
    st = vbp_pg_status(r, commit ? "commit prepared" : "rollback prepared");
    *found = vbp_ok(&st);
  }
  PQclear(r);
  if (*found && commit) {
    /* What the prepared part put in the change feed is visible now: wake the watchers. A lost
     * notice only delays them until their periodic re-read. */
    r = PQexec(c->pg, "SELECT pg_notify('" VBP_FEED_CHANNEL "', current_schema())");
    PQclear(r);
  }
  vbp_pg_release(pool, c);
  return st;
}

/* ---- migrations ---- */

typedef struct migrate_ctx {
  const char *schema;
  const vbp_migration *migration;
} migrate_ctx;

/* One-off statements go through PQexecParams, not vbp_pg_exec: no point preparing them. */
static vbp_status exec_params(PGconn *pg, const char *what, const char *sql, const char *param,
                              PGresult **rows) {
  const char *values[1] = {param};
  PGresult *r = PQexecParams(pg, sql, param ? 1 : 0, NULL, values, NULL, NULL, 0);
  vbp_status st = vbp_pg_status(r, what);
  if (rows != NULL && vbp_ok(&st)) {
    *rows = r;
  } else {
    PQclear(r);
  }
  return st;
}

static vbp_status migrate_one(vbp_pg_conn *c, void *arg) {
  const migrate_ctx *mc = arg;
  PGconn *pg = c->pg;
  PGresult *rows = NULL;
  char *quoted = NULL;
  char *sql = NULL;
  char what[VBP_STATUS_MESSAGE_MAX / 2];
  vbp_status st;

  /* Serialises every process migrating this schema; released at COMMIT/ROLLBACK. Under READ
   * COMMITTED each later statement takes a fresh snapshot, so it sees what the previous holder
   * committed. */
  st = exec_params(pg, "migrate: lock", "SELECT pg_advisory_xact_lock(hashtext($1))", mc->schema,
                   NULL);
  if (!vbp_ok(&st)) goto done;

  quoted = PQescapeIdentifier(pg, mc->schema, strlen(mc->schema));
  if (quoted == NULL) {
    st = connect_failure("migrate: quote schema", pg);
    goto done;
  }
  size_t cap = strlen(quoted) * 2 + 160;
  sql = vbp_xcalloc(cap, 1);

  /* CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists;
   * a schema made beforehand by an administrator must do. */
  st = exec_params(pg, "migrate: find schema", "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                   mc->schema, &rows);
  if (!vbp_ok(&st)) goto done;
  bool have_schema = PQntuples(rows) > 0;
  PQclear(rows);
  rows = NULL;
  if (!have_schema) {
    snprintf(sql, cap, "CREATE SCHEMA %s", quoted);
    st = exec_params(pg, "migrate: create schema", sql, NULL, NULL);
    if (!vbp_ok(&st)) goto done;
  }
  snprintf(sql, cap, "SET LOCAL search_path TO %s", quoted);
  st = exec_params(pg, "migrate: search_path", sql, NULL, NULL);
  if (!vbp_ok(&st)) goto done;
  snprintf(sql, cap,
           "CREATE TABLE IF NOT EXISTS %s.schema_migrations (name text PRIMARY KEY, "
           "applied_at timestamptz NOT NULL DEFAULT now())",
           quoted);
  st = exec_params(pg, "migrate: create schema_migrations", sql, NULL, NULL);
  if (!vbp_ok(&st)) goto done;

  snprintf(sql, cap, "SELECT 1 FROM %s.schema_migrations WHERE name = $1", quoted);
  st = exec_params(pg, "migrate: read schema_migrations", sql, mc->migration->name, &rows);
  if (!vbp_ok(&st)) goto done;
  bool applied = PQntuples(rows) > 0;
  PQclear(rows);
  rows = NULL;
  if (applied) goto done;

  /* PQexec, not a prepared statement: a file may hold several statements. */
  snprintf(what, sizeof what, "migration %s.%s", mc->schema, mc->migration->name);
  PGresult *r = PQexec(pg, mc->migration->sql);
  st = vbp_pg_status(r, what);
  PQclear(r);
  if (!vbp_ok(&st)) goto done;

  snprintf(sql, cap, "INSERT INTO %s.schema_migrations (name, applied_at) VALUES ($1, now())",
           quoted);
  st = exec_params(pg, "migrate: record", sql, mc->migration->name, NULL);

done:
  PQclear(rows);
  PQfreemem(quoted);
  free(sql);
  return st;
}

vbp_status vbp_pg_migrate(vbp_pg_pool *pool, const char *schema, const vbp_migration *m, size_t n) {
  if (schema == NULL || schema[0] == '\0')
    return vbp_status_make(VBP_INVALID_ARGUMENT, "migrate: schema name is empty");
  for (size_t i = 0; i < n; i++) {
    migrate_ctx mc = {.schema = schema, .migration = &m[i]};
    vbp_status st = vbp_pg_transaction(pool, migrate_one, &mc);
    if (!vbp_ok(&st)) return st;
  }
  return vbp_status_ok();
}

vbp_status vbp_pg_query(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                        const char *const *values, PGresult **out) {
  PGresult *r = vbp_pg_exec(conn, sql, nparams, values);
  vbp_status st = vbp_pg_status(r, what);
  if (!vbp_ok(&st)) {
    PQclear(r);
    return st;
  }
  *out = r;
  return st;
}

const char *vbp_pg_text_array(vbp_arena *a, const char *const *items, size_t n) {
  size_t len = 3;
  for (size_t i = 0; i < n; i++) len += items[i] ? 2 * strlen(items[i]) + 3 : 5;
  char *out = vbp_arena_alloc(a, len), *w = out;
  *w++ = '{';
  for (size_t i = 0; i < n; i++) {
    if (i) *w++ = ',';
    if (!items[i]) {
      memcpy(w, "NULL", 4);
      w += 4;
      continue;
    }
    *w++ = '"';
    for (const char *r = items[i]; *r; r++) {
      if (*r == '"' || *r == '\\') *w++ = '\\';
      *w++ = *r;
    }
    *w++ = '"';
  }
  *w++ = '}';
  *w = '\0';
  return out;
}

/* ---- a statement's one fact, and rows read column by column ---- */

vbp_status vbp_pg_command(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                          const char *const *values) {
  PGresult *r = NULL;
  vbp_status st = vbp_pg_query(conn, what, sql, nparams, values, &r);
  PQclear(r);
  return st;
}

vbp_status vbp_pg_write(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                        const char *const *values, bool *wrote) {
  PGresult *r = NULL;
  vbp_status st = vbp_pg_query(conn, what, sql, nparams, values, &r);
  if (!vbp_ok(&st)) return st;
  *wrote = PQntuples(r) == 1;
  PQclear(r);
  return st;
}

vbp_status vbp_pg_get_int64(vbp_pg_conn *conn, const char *what, const char *sql, int nparams,
                            const char *const *values, const char *missing, int64_t *out) {
  PGresult *r = NULL;
  vbp_status st = vbp_pg_query(conn, what, sql, nparams, values, &r);
  if (!vbp_ok(&st)) return st;
  if (PQntuples(r) != 1) {
    PQclear(r);
    return vbp_status_make(VBP_INTERNAL, "%s", missing);
  }
  vbp_pg_row row = {.result = r, .index = 0};
  *out = vbp_pg_int64(&row, 0);
  PQclear(r);
  return st;
}

bool vbp_pg_is_null(const vbp_pg_row *row, int col) {
  return PQgetisnull(row->result, row->index, col);
}

/* libpq gives "" for a NULL: the readers below parse that as their zero without asking. */
static const char *value(const vbp_pg_row *row, int col) {
  return PQgetvalue(row->result, row->index, col);
}

char *vbp_pg_text(const vbp_pg_row *row, int col) {
  if (vbp_pg_is_null(row, col)) return (char *)"";
  return vbp_arena_strdup(row->arena, value(row, col));
}

int vbp_pg_int(const vbp_pg_row *row, int col) { return atoi(value(row, col)); }

int64_t vbp_pg_int64(const vbp_pg_row *row, int col) {
  return (int64_t)strtoll(value(row, col), NULL, 10);
}

bool vbp_pg_bool(const vbp_pg_row *row, int col) { return value(row, col)[0] == 't'; }

bool vbp_pg_date(const vbp_pg_row *row, int col, vbp_date *out) {
  return vbp_date_parse(value(row, col), out);
}

vbp_status vbp_pg_query_rows(vbp_pg_conn *conn, vbp_arena *arena, const char *what, const char *sql,
                             int nparams, const char *const *values, vbp_pg_row_fn make,
                             void ***out, size_t *count) {
  PGresult *r = NULL;
  vbp_status st = vbp_pg_query(conn, what, sql, nparams, values, &r);
  if (!vbp_ok(&st)) return st;
  size_t rows = (size_t)PQntuples(r);
  void **items = vbp_arena_alloc(arena, (rows ? rows : 1) * sizeof *items);
  for (size_t i = 0; i < rows; i++) {
    vbp_pg_row row = {.result = r, .index = (int)i, .arena = arena};
    items[i] = make(&row);
  }
  PQclear(r);
  *out = items;
  *count = rows;
  return st;
}

vbp_status vbp_pg_find_row(vbp_pg_conn *conn, vbp_arena *arena, const char *what, const char *sql,
                           int nparams, const char *const *values, vbp_pg_row_fn make, void **out) {
  void **items = NULL;
  size_t count = 0;
  VBP_CHECK(vbp_pg_query_rows(conn, arena, what, sql, nparams, values, make, &items, &count));
  *out = count ? items[0] : NULL;
  return vbp_status_ok();
}

static vbp_status ping(vbp_pg_conn *conn, void *ctx) {
  (void)ctx;
  return vbp_pg_command(conn, "ping", "SELECT 1", 0, NULL);
}

bool vbp_pg_ready(void *pool) {
  vbp_status st = vbp_pg_read(pool, ping, NULL);
  return vbp_ok(&st);
}
