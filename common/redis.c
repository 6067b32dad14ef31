/* Redis client: a few mutex-guarded hiredis connections, timeouts, fail-fast while down.
 * See redis.h. */
#define _POSIX_C_SOURCE 200809L

#include "common/redis.h"

#include "common/arena.h" /* vbp_xcalloc: out of memory aborts */
#include "common/clock.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define DEFAULT_TIMEOUT_MS 50
#define DEFAULT_RETRY_INTERVAL_MS 250
#define DEFAULT_CONNECTIONS 4
#define ERROR_MAX 128

typedef struct slot {
  pthread_mutex_t mu;
  redisContext *ctx; /* NULL when not connected; guarded by mu */
} slot;

struct vbp_redis {
  char *host;
  int port;
  char addr[300]; /* "host:port" for messages */
  struct timeval connect_timeout;
  struct timeval command_timeout;
  int command_timeout_ms;
  int retry_interval_ms;
  int nslots;
  slot *slots;
  atomic_uint next_slot;
  /* No connect attempt before this CLOCK_MONOTONIC millisecond: set by a failed connect. */
  atomic_llong retry_after_ms;
  pthread_mutex_t error_mu;
  char last_error[ERROR_MAX]; /* why the last connect failed; guarded by error_mu */
};

static struct timeval tv_ms(int ms) {
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  return tv;
}

/* "host:port" or "[v6]:port" into a malloc'd host and a port. */
static bool parse_host_port(const char *host_port, char **host, int *port) {
  const char *host_start = host_port;
  const char *host_end;
  const char *colon;
  if (host_port[0] == '[') {
    host_start = host_port + 1;
    host_end = strchr(host_start, ']');
    if (host_end == NULL || host_end[1] != ':') return false;
    colon = host_end + 1;
  } else {
    colon = strrchr(host_port, ':');
    if (colon == NULL) return false;
    host_end = colon;
  }
  if (host_end == host_start) return false;
  char *end;
  errno = 0;
  long p = strtol(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535) return false;
  size_t len = (size_t)(host_end - host_start);
  *host = vbp_xcalloc(len + 1, 1);
  memcpy(*host, host_start, len);
  *port = (int)p;
  return true;
}

vbp_status vbp_redis_open_opts(const char *host_port, const vbp_redis_options *opts,
                               vbp_redis **out) {
  vbp_redis_options o = {0};
  if (opts != NULL) o = *opts;
  if (o.connect_timeout_ms <= 0) o.connect_timeout_ms = DEFAULT_TIMEOUT_MS;
  if (o.command_timeout_ms <= 0) o.command_timeout_ms = DEFAULT_TIMEOUT_MS;
  if (o.retry_interval_ms <= 0) o.retry_interval_ms = DEFAULT_RETRY_INTERVAL_MS;
  if (o.connections <= 0) o.connections = DEFAULT_CONNECTIONS;

  char *host = NULL;
  int port = 0;
  if (host_port == NULL || !parse_host_port(host_port, &host, &port))
    return vbp_status_make(VBP_INVALID_ARGUMENT, "redis address \"%s\" is not host:port",
                           host_port ? host_port : "(null)");
  vbp_redis *r = vbp_xcalloc(1, sizeof *r);
  r->host = host;
  r->port = port;
  snprintf(r->addr, sizeof r->addr, "%s", host_port);
  r->connect_timeout = tv_ms(o.connect_timeout_ms);
  r->command_timeout = tv_ms(o.command_timeout_ms);
  r->command_timeout_ms = o.command_timeout_ms;
  r->retry_interval_ms = o.retry_interval_ms;
  r->nslots = o.connections;
  r->slots = vbp_xcalloc((size_t)r->nslots, sizeof *r->slots);
  for (int i = 0; i < r->nslots; i++) pthread_mutex_init(&r->slots[i].mu, NULL);
  atomic_init(&r->next_slot, 0);
  atomic_init(&r->retry_after_ms, 0);
  pthread_mutex_init(&r->error_mu, NULL);
  *out = r;
  return vbp_status_ok();
}

vbp_status vbp_redis_open(const char *host_port, int timeout_ms, vbp_redis **out) {
  vbp_redis_options o = {.connect_timeout_ms = timeout_ms, .command_timeout_ms = timeout_ms};
  return vbp_redis_open_opts(host_port, &o, out);
}

void vbp_redis_close(vbp_redis *r) {
  if (r == NULL) return;
  for (int i = 0; i < r->nslots; i++) {
    if (r->slots[i].ctx != NULL) redisFree(r->slots[i].ctx);
    pthread_mutex_destroy(&r->slots[i].mu);
  }
  free(r->slots);
  pthread_mutex_destroy(&r->error_mu);
  free(r->host);
  free(r);
}

/* A free connection if there is one, else wait for one (round robin spreads the waiting). */
static slot *lock_slot(vbp_redis *r) {
  unsigned start = atomic_fetch_add(&r->next_slot, 1) % (unsigned)r->nslots;
  for (int i = 0; i < r->nslots; i++) {
    slot *s = &r->slots[(start + (unsigned)i) % (unsigned)r->nslots];
    if (pthread_mutex_trylock(&s->mu) == 0) return s;
  }
  slot *s = &r->slots[start];
  pthread_mutex_lock(&s->mu);
  return s;
}

static void drop(slot *s) {
  redisFree(s->ctx);
  s->ctx = NULL;
}

/* An idle connection has nothing to read: if its socket is readable the server closed it (a
 * restart, a client timeout) and the next command would fail. One poll(2), no round trip. */
static void drop_if_closed(slot *s) {
  struct pollfd pfd = {.fd = s->ctx->fd, .events = POLLIN};
  if (poll(&pfd, 1, 0) > 0) drop(s);
}

/* No connect attempt for retry_interval_ms; until then calls fail at once, citing `reason`. */
static void mark_down(vbp_redis *r, const char *reason) {
  pthread_mutex_lock(&r->error_mu);
  snprintf(r->last_error, sizeof r->last_error, "%s", reason);
  pthread_mutex_unlock(&r->error_mu);
  atomic_store(&r->retry_after_ms, vbp_monotonic_us() / 1000 + r->retry_interval_ms);
}

/* Makes s->ctx a live connection, or says why not. Called with s->mu held. */
static vbp_status ensure_connected(vbp_redis *r, slot *s, const char *what) {
  if (s->ctx != NULL) drop_if_closed(s);
  if (s->ctx != NULL) return vbp_status_ok();

  long long now = vbp_monotonic_us() / 1000;
  long long retry_after = atomic_load(&r->retry_after_ms);
  if (now < retry_after) {
    char reason[ERROR_MAX];
    pthread_mutex_lock(&r->error_mu);
    memcpy(reason, r->last_error, sizeof reason);
    pthread_mutex_unlock(&r->error_mu);
    return vbp_status_make(VBP_UNAVAILABLE, "redis %s: %s unreachable (%s); next try in %lld ms",
                           what, r->addr, reason, retry_after - now);
  }

  redisContext *ctx = redisConnectWithTimeout(r->host, r->port, r->connect_timeout);
  if (ctx == NULL || ctx->err != 0 || redisSetTimeout(ctx, r->command_timeout) != REDIS_OK) {
    char reason[ERROR_MAX];
    snprintf(reason, sizeof reason, "%s",
             ctx == NULL      ? "out of memory"
             : ctx->errstr[0] ? ctx->errstr
                              : "connect failed");
    if (ctx != NULL) redisFree(ctx);
    /* While Redis is down every call would otherwise wait up to the connect timeout. */
    mark_down(r, reason);
    return vbp_status_make(VBP_UNAVAILABLE, "redis %s: connect %s: %s", what, r->addr, reason);
  }
  redisEnableKeepAlive(ctx);
  s->ctx = ctx;
  return vbp_status_ok();
}

/* The status of a failed read or write on s (called with s->mu held): drops the connection,
 * which is out of step (or gone) after any I/O error or timeout. */
static vbp_status io_failed(vbp_redis *r, slot *s, const char *what, int saved_errno) {
  vbp_status st;
  if (s->ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    st = vbp_status_make(VBP_UNAVAILABLE, "redis %s: %s timed out after %d ms", what, r->addr,
                         r->command_timeout_ms);
    /* A Redis that accepts connections but does not answer (stopped, swapping) would make
     * every call wait out the timeout: treat it like one that is down. */
    char reason[ERROR_MAX];
    snprintf(reason, sizeof reason, "a command timed out after %d ms", r->command_timeout_ms);
    mark_down(r, reason);
  } else {
    st = vbp_status_make(VBP_UNAVAILABLE, "redis %s: %s: %s", what, r->addr,
                         s->ctx->errstr[0] ? s->ctx->errstr : "connection lost");
  }
  drop(s);
  return st;
}

/* Runs one command. On OK *reply_out is a non-error reply the caller frees. */
static vbp_status command(vbp_redis *r, const char *what, int argc, const char **argv,
                          const size_t *argvlen, redisReply **reply_out) {
  slot *s = lock_slot(r);
  vbp_status st = ensure_connected(r, s, what);
  if (!vbp_ok(&st)) {
    pthread_mutex_unlock(&s->mu);
    return st;
  }
  errno = 0;
  redisReply *reply = redisCommandArgv(s->ctx, argc, argv, argvlen);
  int saved_errno = errno;
  if (reply == NULL) {
    st = io_failed(r, s, what, saved_errno);
    pthread_mutex_unlock(&s->mu);
    return st;
  }
  pthread_mutex_unlock(&s->mu);
  if (reply->type == REDIS_REPLY_ERROR) {
    st = vbp_status_make(VBP_UNAVAILABLE, "redis %s: %.*s", what, (int)reply->len, reply->str);
    freeReplyObject(reply);
    return st;
  }
  *reply_out = reply;
  return st;
}

static vbp_status unexpected(redisReply *reply, const char *what) {
  vbp_status st =
      vbp_status_make(VBP_UNAVAILABLE, "redis %s: unexpected reply type %d", what, reply->type);
  freeReplyObject(reply);
  return st;
}

vbp_status vbp_redis_get(vbp_redis *r, const char *key, char **value_out, size_t *len) {
  const char *argv[] = {"GET", key};
  size_t argvlen[] = {3, strlen(key)};
  redisReply *reply = NULL;
  vbp_status st = command(r, "GET", 2, argv, argvlen, &reply);
  if (!vbp_ok(&st)) return st;
  if (reply->type == REDIS_REPLY_NIL) {
    *value_out = NULL;
    if (len != NULL) *len = 0;
  } else if (reply->type == REDIS_REPLY_STRING) {
    char *value = vbp_xcalloc(reply->len + 1, 1);
    memcpy(value, reply->str, reply->len);
    *value_out = value;
    if (len != NULL) *len = reply->len;
  } else {
    return unexpected(reply, "GET");
  }
  freeReplyObject(reply);
  return st;
}

/* SET key value [NX] [EX ttl]; *was_set tells OK from a nil reply (NX and the key existed). */
static vbp_status set(vbp_redis *r, const char *what, const char *key, const char *value,
                      size_t len, int ttl_seconds, bool nx, bool *was_set) {
  char ttl[16];
  const char *argv[6] = {"SET", key, value};
  size_t argvlen[6] = {3, strlen(key), len};
  int argc = 3;
  if (nx) {
    argv[argc] = "NX";
    argvlen[argc++] = 2;
  }
  if (ttl_seconds > 0) {
    snprintf(ttl, sizeof ttl, "%d", ttl_seconds);
    argv[argc] = "EX";
    argvlen[argc++] = 2;
    argv[argc] = ttl;
    argvlen[argc++] = strlen(ttl);
  }
  redisReply *reply = NULL;
  vbp_status st = command(r, what, argc, argv, argvlen, &reply);
  if (!vbp_ok(&st)) return st;
  if (reply->type == REDIS_REPLY_STATUS) {
    *was_set = true;
  } else if (reply->type == REDIS_REPLY_NIL && nx) {
    *was_set = false;
  } else {
    return unexpected(reply, what);
  }
  freeReplyObject(reply);
  return st;
}

vbp_status vbp_redis_set(vbp_redis *r, const char *key, const char *value, size_t len,
                         int ttl_seconds) {
  bool was_set;
  return set(r, "SET", key, value, len, ttl_seconds, false, &was_set);
}

vbp_status vbp_redis_set_nx(vbp_redis *r, const char *key, const char *value, size_t len,
                            int ttl_seconds, bool *created) {
  bool was_set = false;
  vbp_status st = set(r, "SET NX", key, value, len, ttl_seconds, true, &was_set);
  if (vbp_ok(&st) && created != NULL) *created = was_set;
  return st;
}

/* A command of one key whose reply is an integer (DEL, INCR); *out gets it unless NULL. */
static vbp_status key_integer(vbp_redis *r, const char *name, const char *key, long long *out) {
  const char *argv[] = {name, key};
  size_t argvlen[] = {strlen(name), strlen(key)};
  redisReply *reply = NULL;
  vbp_status st = command(r, name, 2, argv, argvlen, &reply);
  if (!vbp_ok(&st)) return st;
  if (reply->type != REDIS_REPLY_INTEGER) return unexpected(reply, name);
  if (out != NULL) *out = reply->integer;
  freeReplyObject(reply);
  return st;
}

vbp_status vbp_redis_del(vbp_redis *r, const char *key) { return key_integer(r, "DEL", key, NULL); }

vbp_status vbp_redis_incr(vbp_redis *r, const char *key, long long *out) {
  return key_integer(r, "INCR", key, out);
}

vbp_status vbp_redis_mget(vbp_redis *r, const char *const *keys, size_t n, char **values,
                          size_t *lens) {
  if (n == 0) return vbp_status_ok();
  const char **argv = vbp_xcalloc(n + 1, sizeof *argv);
  size_t *argvlen = vbp_xcalloc(n + 1, sizeof *argvlen);
  argv[0] = "MGET";
  argvlen[0] = 4;
  for (size_t i = 0; i < n; i++) {
    argv[i + 1] = keys[i];
    argvlen[i + 1] = strlen(keys[i]);
  }
  redisReply *reply = NULL;
  vbp_status st = command(r, "MGET", (int)(n + 1), argv, argvlen, &reply);
  free(argv);
  free(argvlen);
  if (!vbp_ok(&st)) return st;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n) return unexpected(reply, "MGET");
  for (size_t i = 0; i < n; i++) {
    const redisReply *e = reply->element[i];
    if (e->type == REDIS_REPLY_STRING) {
      values[i] = vbp_xcalloc(e->len + 1, 1);
      memcpy(values[i], e->str, e->len);
      lens[i] = e->len;
    } else {
      values[i] = NULL; /* nil, or not a string: a miss either way */
      lens[i] = 0;
    }
  }
  freeReplyObject(reply);
  return st;
}

vbp_status vbp_redis_set_many(vbp_redis *r, const char *const *keys, const char *const *values,
                              const size_t *lens, size_t n, int ttl_seconds) {
  if (n == 0) return vbp_status_ok();
  char ttl[16];
  snprintf(ttl, sizeof ttl, "%d", ttl_seconds > 0 ? ttl_seconds : 0);
  int argc = ttl_seconds > 0 ? 5 : 3;
  slot *s = lock_slot(r);
  vbp_status st = ensure_connected(r, s, "SET (pipelined)");
  /* One write of every command, then the replies: one round trip for n keys. */
  for (size_t i = 0; vbp_ok(&st) && i < n; i++) {
    const char *argv[5] = {"SET", keys[i], values[i], "EX", ttl};
    size_t argvlen[5] = {3, strlen(keys[i]), lens[i], 2, strlen(ttl)};
    if (redisAppendCommandArgv(s->ctx, argc, argv, argvlen) != REDIS_OK)
      st = vbp_status_make(VBP_UNAVAILABLE, "redis SET (pipelined): out of memory");
  }
  vbp_status first_error = vbp_status_ok();
  for (size_t i = 0; vbp_ok(&st) && i < n; i++) {
    redisReply *reply = NULL;
    errno = 0;
    if (redisGetReply(s->ctx, (void **)&reply) != REDIS_OK || reply == NULL) {
      st = io_failed(r, s, "SET (pipelined)", errno);
      break;
    }
    if (reply->type == REDIS_REPLY_ERROR && vbp_ok(&first_error))
      first_error =
          vbp_status_make(VBP_UNAVAILABLE, "redis SET: %.*s", (int)reply->len, reply->str);
    freeReplyObject(reply);
  }
  pthread_mutex_unlock(&s->mu);
  return vbp_ok(&st) ? first_error : st;
}
