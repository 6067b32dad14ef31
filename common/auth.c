#include "common/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/arena.h"
#include "common/log.h"

/* An unknown key is answered from the cache this long at most: long enough that a client
 * repeating a bad key costs one look-up now and then, short enough that nothing lingers. */
#define UNKNOWN_TTL_MS 5000

typedef struct slot {
  char key_sha256[65];
  bool found; /* false: the key is unknown (or revoked) */
  vbp_caller caller;
  int64_t expires_ms;
} slot;

/* A direct-mapped cache: bounded by construction, a collision just evicts. */
typedef struct table {
  slot *slots;
  size_t capacity;
} table;

struct vbp_authenticator {
  char *admin_key;
  char *secret;
  vbp_key_resolver resolve;
  void *resolve_ctx;
  int ttl_ms;
  /* Known keys, and apart from them unknown ones (a quarter as many), so that a flood of bad
   * keys never evicts a good one. */
  table known, unknown;
  uint64_t generation; /* bumped by every forget; guarded by lock */
  pthread_mutex_t lock;
  /* The watcher: its thread waits on wake (with lock) between polls until stopping. */
  vbp_revocation_source source;
  void *source_ctx;
  int interval_ms;
  bool watching, stopping;
  pthread_t watcher;
  pthread_cond_t wake;
};

vbp_authenticator *vbp_authenticator_create(const char *admin_key, const char *secret,
                                            vbp_key_resolver resolve, void *resolve_ctx,
                                            int cache_ttl_ms, size_t cache_capacity) {
  vbp_authenticator *a = vbp_xcalloc(1, sizeof *a);
  a->admin_key = vbp_xstrdup(admin_key);
  a->secret = vbp_xstrdup(secret);
  a->resolve = resolve;
  a->resolve_ctx = resolve_ctx;
  a->ttl_ms = cache_ttl_ms;
  a->known.capacity = cache_capacity ? cache_capacity : 1;
  a->known.slots = vbp_xcalloc(a->known.capacity, sizeof(slot));
  a->unknown.capacity = a->known.capacity / 4 ? a->known.capacity / 4 : 1;
  a->unknown.slots = vbp_xcalloc(a->unknown.capacity, sizeof(slot));
  pthread_mutex_init(&a->lock, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&a->wake, &attr);
  pthread_condattr_destroy(&attr);
  return a;
}

void vbp_authenticator_destroy(vbp_authenticator *auth) {
  if (!auth) return;
  if (auth->watching) {
    pthread_mutex_lock(&auth->lock);
    auth->stopping = true;
    pthread_cond_signal(&auth->wake);
    pthread_mutex_unlock(&auth->lock);
    pthread_join(auth->watcher, NULL);
  }
  pthread_cond_destroy(&auth->wake);
  pthread_mutex_destroy(&auth->lock);
  free(auth->known.slots);
  free(auth->unknown.slots);
  free(auth->admin_key);
  free(auth->secret);
  free(auth);
}

const char *vbp_authenticator_secret(const vbp_authenticator *auth) { return auth->secret; }

void vbp_authenticator_forget(vbp_authenticator *auth) {
  pthread_mutex_lock(&auth->lock);
  memset(auth->known.slots, 0, auth->known.capacity * sizeof(slot));
  memset(auth->unknown.slots, 0, auth->unknown.capacity * sizeof(slot));
  auth->generation++;
  pthread_mutex_unlock(&auth->lock);
}

uint64_t vbp_authenticator_generation(vbp_authenticator *auth) {
  pthread_mutex_lock(&auth->lock);
  uint64_t generation = auth->generation;
  pthread_mutex_unlock(&auth->lock);
  return generation;
}

static slot *slot_of(const table *t, const char *sha_hex) {
  /* The key is a SHA-256 already: its first 16 hex digits are as good as any hash. */
  char head[17];
  memcpy(head, sha_hex, 16);
  head[16] = '\0';
  return &t->slots[strtoull(head, NULL, 16) % t->capacity];
}

/* Drops the keys of r from the cache (every key when r says everything). */
static void forget_revoked(vbp_authenticator *a, const vbp_key_revocations *r) {
  if (r->everything) {
    vbp_authenticator_forget(a);
    return;
  }
  if (r->n == 0) return;
  pthread_mutex_lock(&a->lock);
  for (size_t i = 0; i < r->n && i < VBP_KEY_REVOCATIONS_MAX; i++) {
    const char *sha = r->key_sha256[i];
    if (strlen(sha) != 64) continue;
    slot *s = slot_of(&a->known, sha);
    if (strcmp(s->key_sha256, sha) == 0) memset(s, 0, sizeof *s);
  }
  /* A look-up that read the key before its revocation must not cache it after this. */
  a->generation++;
  pthread_mutex_unlock(&a->lock);
}

/* The watcher: asks the source every interval, forgets what it names. Between polls it sleeps
 * on wake, so destroy need not wait out an interval. */
static void *watch_main(void *arg) {
  vbp_authenticator *a = arg;
  long long seen = 0; /* the version of the last answer; 0: none yet */
  bool failing = false;
  vbp_key_revocations *r = vbp_xmalloc(sizeof *r);
  pthread_mutex_lock(&a->lock);
  while (!a->stopping) {
    pthread_mutex_unlock(&a->lock);
    memset(r, 0, sizeof *r);
    vbp_status st = a->source(a->source_ctx, seen, r);
    if (vbp_ok(&st)) {
      /* Nothing seen yet, or a version that went back (another database): no list is whole. */
      if (seen == 0 || r->version < seen) r->everything = true;
      forget_revoked(a, r);
      seen = r->version;
      if (failing) vbp_log(VBP_LOG_INFO, "key revocations: answered again");
      failing = false;
    } else if (!failing) {
      /* Until it answers, cached keys live out their time to live. */
      vbp_log(VBP_LOG_WARN, "key revocations: %s", st.message);
      failing = true;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long long ns = until.tv_nsec + (long long)a->interval_ms * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&a->lock);
    int waited = 0;
    while (!a->stopping && waited != ETIMEDOUT)
      waited = pthread_cond_timedwait(&a->wake, &a->lock, &until);
  }
  pthread_mutex_unlock(&a->lock);
  free(r);
  return NULL;
}

void vbp_authenticator_watch(vbp_authenticator *auth, vbp_revocation_source source, void *ctx,
                             int interval_ms) {
  if (auth->watching || !source) return;
  auth->source = source;
  auth->source_ctx = ctx;
  auth->interval_ms = interval_ms > 0 ? interval_ms : 200;
  auth->watching = pthread_create(&auth->watcher, NULL, watch_main, auth) == 0;
}

bool vbp_authenticator_is_admin(const vbp_authenticator *auth, const char *key) {
  return vbp_secure_equal(key, auth->admin_key);
}

bool vbp_authenticator_cached(vbp_authenticator *a, const char *sha, int64_t now_ms, bool *found,
                              vbp_caller *out) {
  if (a->ttl_ms <= 0) return false;
  bool hit = false;
  pthread_mutex_lock(&a->lock);
  const slot *s = slot_of(&a->known, sha);
  if (s->expires_ms <= now_ms || strcmp(s->key_sha256, sha) != 0) s = slot_of(&a->unknown, sha);
  if (s->expires_ms > now_ms && strcmp(s->key_sha256, sha) == 0) {
    hit = true;
    *found = s->found;
    if (s->found) *out = s->caller;
  }
  pthread_mutex_unlock(&a->lock);
  return hit;
}

void vbp_authenticator_remember(vbp_authenticator *a, const char *sha, bool found,
                                const vbp_caller *caller, int64_t now_ms, uint64_t generation) {
  if (a->ttl_ms <= 0) return;
  pthread_mutex_lock(&a->lock);
  if (generation != a->generation) { /* keys were forgotten since the look-up began */
    pthread_mutex_unlock(&a->lock);
    return;
  }
  slot *s = slot_of(found ? &a->known : &a->unknown, sha);
  snprintf(s->key_sha256, sizeof s->key_sha256, "%s", sha);
  s->found = found;
  if (found) s->caller = *caller;
  s->expires_ms = now_ms + (found || a->ttl_ms < UNKNOWN_TTL_MS ? a->ttl_ms : UNKNOWN_TTL_MS);
  /* Not both: a key known now must not be answered from an older miss. */
  slot *other = slot_of(found ? &a->unknown : &a->known, sha);
  if (strcmp(other->key_sha256, sha) == 0) memset(other, 0, sizeof *other);
  pthread_mutex_unlock(&a->lock);
}

static vbp_status resolve_key(vbp_authenticator *a, const char *key, int64_t now_ms,
                              vbp_caller *out) {
  char sha[65];
  vbp_sha256_hex(key, strlen(key), sha);
  bool found = false;
  vbp_caller caller = {0};
  if (!vbp_authenticator_cached(a, sha, now_ms, &found, &caller)) {
    if (!a->resolve) return vbp_status_make(VBP_UNAUTHENTICATED, "API key is not valid");
    uint64_t generation = vbp_authenticator_generation(a);
    vbp_status st = a->resolve(a->resolve_ctx, sha, &caller);
    if (st.code != VBP_OK && st.code != VBP_NOT_FOUND) {
      if (st.code != VBP_UNAVAILABLE) st = vbp_status_make(VBP_UNAVAILABLE, "%s", st.message);
      return st;
    }
    found = st.code == VBP_OK;
    vbp_authenticator_remember(a, sha, found, &caller, now_ms, generation);
  }
  if (!found) return vbp_status_make(VBP_UNAUTHENTICATED, "API key is not valid");
  *out = caller;
  return vbp_status_ok();
}

const char *vbp_bearer_key(const char *authorization) {
  static const char scheme[] = "Bearer";
  if (!authorization || strncasecmp(authorization, scheme, sizeof scheme - 1) != 0 ||
      authorization[sizeof scheme - 1] != ' ')
    return NULL;
  const char *key = authorization + sizeof scheme - 1;
  while (*key == ' ') key++;
  return *key ? key : NULL;
}

vbp_status vbp_authenticate(vbp_authenticator *auth, const char *method, const vbp_credentials *c,
                            int64_t now_ms, vbp_caller *out) {
  /* Any part of a caller identity means the call claims one: it must then verify. */
  if (c->sig || c->ts || c->role || c->org || c->region)
    return vbp_identity_verify(auth->secret, method, c->org, c->role, c->region, c->ts, c->sig,
                               now_ms, out);
  if (!c->authorization)
    return vbp_status_make(VBP_UNAUTHENTICATED, "missing authorization: Bearer <API key>");
  const char *key = vbp_bearer_key(c->authorization);
  if (!key)
    return vbp_status_make(VBP_UNAUTHENTICATED, "authorization must be \"Bearer <API key>\"");
  if (vbp_secure_equal(key, auth->admin_key)) {
    vbp_caller admin = {.role = VBP_ROLE_ADMIN};
    *out = admin;
    return vbp_status_ok();
  }
  return resolve_key(auth, key, now_ms, out);
}
