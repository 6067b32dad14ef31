/* The change feed (API.md "Change feed"): ListChanges and WatchChanges merge the feeds of the four
 * services (common/feed.h): the catalog's own, read here, and pricing-svc's, volume-svc's and
 * contract-svc's through their ListServiceChanges. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "catalog-svc/handlers.h"
#include "common/clock.h"
#include "common/feed.h"
#include "common/log.h"
#include "common/page.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

/* The services in merge order (a tie on commit time goes to the earlier one) and cursor order. */
enum { CATALOG, PRICING, VOLUME, CONTRACT, N_SERVICES };
static const char *const service_names[N_SERVICES] = {"catalog-svc", "pricing-svc", "volume-svc",
                                                      "contract-svc"};

#define PEER_TIMEOUT_MS 5000

/* A cursor: "1." then each service's last seq read, dot-separated ("1.12.0.7.3"). Opaque to
 * clients; the leading version lets a later format be told apart. */
static vbp_status cursor_decode(const char *text, int64_t pos[N_SERVICES]) {
  memset(pos, 0, sizeof(int64_t) * N_SERVICES);
  if (text == NULL || *text == '\0') return vbp_status_ok();
  if (strncmp(text, "1.", 2) != 0) return vbp_invalid("since", "is not a cursor of this feed");
  const char *p = text + 2;
  for (int i = 0; i < N_SERVICES; i++) {
    if (*p < '0' || *p > '9') return vbp_invalid("since", "is not a cursor of this feed");
    errno = 0;
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    if (errno != 0 || v < 0 || end - p > 18)
      return vbp_invalid("since", "is not a cursor of this feed");
    pos[i] = v;
    p = end;
    if (i < N_SERVICES - 1) {
      if (*p != '.') return vbp_invalid("since", "is not a cursor of this feed");
      p++;
    }
  }
  if (*p != '\0') return vbp_invalid("since", "is not a cursor of this feed");
  return vbp_status_ok();
}

static char *cursor_encode(vbp_arena *arena, const int64_t pos[N_SERVICES]) {
  return vbp_arena_printf(arena, "1.%" PRId64 ".%" PRId64 ".%" PRId64 ".%" PRId64, pos[0], pos[1],
                          pos[2], pos[3]);
}

/* ---------------------------------------------------------------- reading the parts */

typedef struct part {
  Vbp__V1__ServiceChange **changes;
  size_t n, next;
} part;

typedef struct own_ctx {
  vbp_arena *arena;
  const vbp_caller *caller;
  Vbp__V1__FeedReader *reader;
  int64_t after;
  int page_size;
  part *out; /* NULL: only the reader */
} own_ctx;

static vbp_status office_batches(vbp_pg_conn *c, own_ctx *o) {
  const char *values[1] = {o->caller->org_id};
  PGresult *r = NULL;
  VBP_CHECK(vbp_pg_query(c, "list the office's batches",
                         "SELECT code FROM batches WHERE created_by = $1 ORDER BY code", 1, values,
                         &r));
  int n = PQntuples(r);
  o->reader->batch_codes = vbp_arena_alloc(o->arena, sizeof(char *) * (size_t)(n > 0 ? n : 1));
  o->reader->n_batch_codes = (size_t)n;
  for (int i = 0; i < n; i++)
    o->reader->batch_codes[i] = vbp_arena_strdup(o->arena, PQgetvalue(r, i, 0));
  PQclear(r);
  return vbp_status_ok();
}

/* The reader of the caller (an alliance office's batches), or the catalog's own part. */
static vbp_status own_tx(vbp_pg_conn *c, void *ctx) {
  own_ctx *o = ctx;
  if (o->out == NULL) {
    if (o->reader->everything || o->reader->role != VBP__V1__ORGANIZATION_KIND__ALLIANCE_OFFICE)
      return vbp_status_ok();
    return office_batches(c, o);
  }
  return vbp_feed_list(c, o->arena, o->after, o->page_size, o->reader, &o->out->changes,
                       &o->out->n);
}

static vbp_status peer_part(vbp_client *client, const ProtobufCServiceDescriptor *service,
                            const char *name, vbp_call *call, vbp_arena *arena,
                            const Vbp__V1__FeedReader *reader, int64_t after, int page_size,
                            part *out) {
  if (client == NULL)
    return vbp_status_make(VBP_UNAVAILABLE, "the change feed of %s cannot be read: no address",
                           name);
  Vbp__V1__ListServiceChangesRequest req = VBP__V1__LIST_SERVICE_CHANGES_REQUEST__INIT;
  req.after = after;
  req.page_size = page_size;
  req.reader = (Vbp__V1__FeedReader *)reader;
  const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {.timeout_ms = PEER_TIMEOUT_MS,
                              .caller = &service_caller,
                              .request_id = vbp_call_request_id(call)};
  ProtobufCAllocator allocator = vbp_arena_allocator(arena);
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(client, vbp_method_of(service, "ListServiceChanges"), &req.base,
                                  &options, &allocator, &answer);
  if (!vbp_ok(&st)) {
    /* Never skip a service: a merged page without it could pass over its changes. */
    if (st.code != VBP_UNAVAILABLE && st.code != VBP_DEADLINE_EXCEEDED)
      vbp_log(VBP_LOG_WARN, "ListChanges (request %s): %s: %s %s", vbp_call_request_id(call), name,
              vbp_code_name(st.code), st.message);
    return vbp_status_make(VBP_UNAVAILABLE, "the change feed of %s cannot be read: %s", name,
                           st.message);
  }
  const Vbp__V1__ListServiceChangesResponse *resp =
      (const Vbp__V1__ListServiceChangesResponse *)answer;
  out->changes = resp->changes;
  out->n = resp->n_changes;
  out->next = 0;
  return vbp_status_ok();
}

/* The feed reader of the call's caller, in arena. */
static vbp_status reader_of_call(vbp_call *call, vbp_arena *arena, Vbp__V1__FeedReader *reader) {
  catalog_service *svc = vbp_call_context(call);
  vbp_feed_reader_of(vbp_call_caller(call), reader);
  own_ctx o = {.arena = arena, .caller = vbp_call_caller(call), .reader = reader};
  return vbp_pg_read(svc->pool, own_tx, &o);
}

/* One merged page after pos (advanced past what it returns): at most page_size changes, by
 * commit time then service. Each service gives page_size of its own, so the merge never runs
 * out of one service's changes before the page is full: no later change of it can come first. */
static vbp_status merged_page(vbp_call *call, vbp_arena *arena, Vbp__V1__FeedReader *reader,
                              int64_t pos[N_SERVICES], int page_size, Vbp__V1__Change ***out,
                              size_t *n_out) {
  catalog_service *svc = vbp_call_context(call);
  part parts[N_SERVICES] = {{0}};
  own_ctx own = {.arena = arena,
                 .caller = vbp_call_caller(call),
                 .reader = reader,
                 .after = pos[CATALOG],
                 .page_size = page_size,
                 .out = &parts[CATALOG]};
  VBP_CHECK(vbp_pg_read(svc->pool, own_tx, &own));
  VBP_CHECK(peer_part(svc->pricing, &vbp__v1__pricing_service__descriptor, service_names[PRICING],
                      call, arena, reader, pos[PRICING], page_size, &parts[PRICING]));
  VBP_CHECK(peer_part(svc->volume, &vbp__v1__volume_service__descriptor, service_names[VOLUME],
                      call, arena, reader, pos[VOLUME], page_size, &parts[VOLUME]));
  VBP_CHECK(peer_part(svc->contract, &vbp__v1__contract_service__descriptor,
                      service_names[CONTRACT], call, arena, reader, pos[CONTRACT], page_size,
                      &parts[CONTRACT]));

  Vbp__V1__Change **changes = vbp_arena_alloc(arena, sizeof *changes * (size_t)page_size);
  size_t n = 0;
  while (n < (size_t)page_size) {
    int best = -1;
    for (int i = 0; i < N_SERVICES; i++) {
      if (parts[i].next >= parts[i].n) continue;
      if (best < 0 || strcmp(parts[i].changes[parts[i].next]->at,
                             parts[best].changes[parts[best].next]->at) < 0)
        best = i;
    }
    if (best < 0) break;
    const Vbp__V1__ServiceChange *s = parts[best].changes[parts[best].next++];
    pos[best] = s->seq;
    Vbp__V1__Change *c = vbp_arena_alloc(arena, sizeof *c);
    vbp__v1__change__init(c);
    c->cursor = cursor_encode(arena, pos);
    c->type = s->type;
    c->id = s->id;
    c->action = s->action;
    c->at = s->at;
    changes[n++] = c;
  }
  *out = changes;
  *n_out = n;
  return vbp_status_ok();
}

CATALOG_HANDLER(catalog_list_changes) {
  const Vbp__V1__ListChangesRequest *in = (const Vbp__V1__ListChangesRequest *)request;
  vbp_arena *arena = vbp_call_arena(call);
  int64_t pos[N_SERVICES];
  VBP_CHECK(cursor_decode(in->since, pos));
  int page_size = 0;
  VBP_CHECK(vbp_page_size(in->page_size, &page_size));
  Vbp__V1__FeedReader *reader = vbp_arena_alloc(arena, sizeof *reader);
  VBP_CHECK(reader_of_call(call, arena, reader));
  Vbp__V1__ListChangesResponse *out = vbp_arena_alloc(arena, sizeof *out);
  vbp__v1__list_changes_response__init(out);
  VBP_CHECK(merged_page(call, arena, reader, pos, page_size, &out->changes, &out->n_changes));
  out->next_cursor = cursor_encode(arena, pos);
  *response = &out->base;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- watching */

/* One LISTEN connection per process: a thread waits for NOTIFY on VBP_FEED_CHANNEL (each
 * service's flush sends one) and bumps a generation that the watchers wait on. */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t changed;
  uint64_t generation;
  bool started;
  char *conninfo;
} hub = {.mu = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static atomic_int watchers;

static void hub_bump(void) {
  pthread_mutex_lock(&hub.mu);
  hub.generation++;
  pthread_cond_broadcast(&hub.changed);
  pthread_mutex_unlock(&hub.mu);
}

static void *hub_run(void *arg) {
  (void)arg;
  for (;;) {
    PGconn *pg = PQconnectdb(hub.conninfo);
    PGresult *r = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, "LISTEN " VBP_FEED_CHANNEL) : NULL;
    bool listening = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!listening) {
      vbp_log(VBP_LOG_WARN, "change feed: cannot LISTEN (%s); watchers poll until it can",
              PQerrorMessage(pg));
    } else {
      hub_bump(); /* whatever committed while nobody listened */
    }
    while (listening) {
      int sock = PQsocket(pg);
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(sock, &fds);
      struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
      int ready = select(sock + 1, &fds, NULL, NULL, &tv);
      if (ready < 0 && errno != EINTR) break;
      if (PQconsumeInput(pg) == 0) break;
      bool any = false;
      PGnotify *note;
      while ((note = PQnotifies(pg)) != NULL) {
        any = true;
        PQfreemem(note);
      }
      if (any) hub_bump();
    }
    PQfinish(pg);
    hub_bump(); /* watchers look again: a notice may have been lost with the connection */
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 0};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

static void hub_start(vbp_pg_pool *pool) {
  pthread_mutex_lock(&hub.mu);
  if (!hub.started) {
    hub.conninfo = vbp_xstrdup(vbp_pg_pool_conninfo(pool));
    pthread_t t;
    if (pthread_create(&t, NULL, hub_run, NULL) == 0) {
      pthread_detach(t);
      hub.started = true;
    }
  }
  pthread_mutex_unlock(&hub.mu);
}

static uint64_t hub_generation(void) {
  pthread_mutex_lock(&hub.mu);
  uint64_t g = hub.generation;
  pthread_mutex_unlock(&hub.mu);
  return g;
}

/* Waits until the generation moves past seen or wait_ms pass. */
static void hub_wait(uint64_t seen, int wait_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += wait_ms / 1000;
  until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&hub.mu);
  while (hub.generation == seen) {
    if (pthread_cond_timedwait(&hub.changed, &hub.mu, &until) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&hub.mu);
}

vbp_status catalog_watch_changes(vbp_call *call, const ProtobufCMessage *request) {
  const Vbp__V1__WatchChangesRequest *in = (const Vbp__V1__WatchChangesRequest *)request;
  catalog_service *svc = vbp_call_context(call);
  int64_t pos[N_SERVICES];
  VBP_CHECK(cursor_decode(in->since, pos));
  int cap = svc->watchers_max > 0 ? svc->watchers_max : CATALOG_WATCHERS_MAX;
  if (atomic_fetch_add(&watchers, 1) >= cap) {
    atomic_fetch_sub(&watchers, 1);
    return vbp_status_make(VBP_RESOURCE_EXHAUSTED,
                           "too many watchers (%d); retry later or poll ListChanges", cap);
  }
  hub_start(svc->pool);
  int64_t ends = vbp_monotonic_us() / 1000 + CATALOG_WATCH_MAX_MS;
  vbp_arena *arena = vbp_arena_create(); /* the reader, for the whole watch */
  Vbp__V1__FeedReader reader;
  uint64_t seen = hub_generation(); /* before the first look: a commit after it wakes us */
  int64_t last_look_ms = 0;
  bool full = false;
  vbp_status st = reader_of_call(call, arena, &reader);
  while (vbp_ok(&st)) {
    /* Look when told of a commit, and every while anyway (a notice lost with a connection). */
    int64_t now_ms = vbp_monotonic_us() / 1000;
    uint64_t gen = hub_generation();
    if (full || last_look_ms == 0 || gen != seen ||
        now_ms - last_look_ms >= CATALOG_WATCH_POLL_MS) {
      seen = gen;
      last_look_ms = now_ms;
      Vbp__V1__Change **changes = NULL;
      size_t n = 0;
      vbp_arena *round = vbp_arena_create();
      st = merged_page(call, round, &reader, pos, VBP_PAGE_SIZE_MAX, &changes, &n);
      for (size_t i = 0; vbp_ok(&st) && i < n; i++) st = vbp_call_send(call, &changes[i]->base);
      full = n == VBP_PAGE_SIZE_MAX;
      vbp_arena_destroy(round);
      if (!vbp_ok(&st)) break;
    }
    if (vbp_call_done(call)) break;
    if (vbp_monotonic_us() / 1000 >= ends) break; /* the client resumes with its last cursor */
    if (!full) hub_wait(seen, CATALOG_WATCH_WAKE_MS);
  }
  vbp_arena_destroy(arena);
  atomic_fetch_sub(&watchers, 1);
  if (st.code == VBP_CANCELLED) return vbp_status_ok();
  return st;
}
