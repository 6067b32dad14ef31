#include "common/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

/* A direct-mapped cache: bounded by construction, a collision just evicts. */
typedef struct slot {
  char key_sha256[65];
  bool found; /* false: the key is unknown (cached too, so a flood of bad keys stays cheap) */
  vbp_caller caller;
  int64_t expires_ms;
} slot;

struct vbp_authenticator {
  char *admin_key;
  char *secret;
  vbp_key_resolver resolve;
  void *resolve_ctx;
  int ttl_ms;
  size_t capacity;
  slot *slots;
  pthread_mutex_t lock;
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
  a->capacity = cache_capacity ? cache_capacity : 1;
  a->slots = vbp_xcalloc(a->capacity, sizeof(slot));
  pthread_mutex_init(&a->lock, NULL);
  return a;
}

void vbp_authenticator_destroy(vbp_authenticator *auth) {
  if (!auth) return;
  pthread_mutex_destroy(&auth->lock);
  free(auth->slots);
  free(auth->admin_key);
  free(auth->secret);
  free(auth);
}

const char *vbp_authenticator_secret(const vbp_authenticator *auth) { return auth->secret; }

void vbp_authenticator_forget(vbp_authenticator *auth) {
  pthread_mutex_lock(&auth->lock);
  memset(auth->slots, 0, auth->capacity * sizeof(slot));
  pthread_mutex_unlock(&auth->lock);
}

static size_t slot_index(const vbp_authenticator *a, const char *sha_hex) {
  /* The key is a SHA-256 already: its first 16 hex digits are as good as any hash. */
  char head[17];
  memcpy(head, sha_hex, 16);
  head[16] = '\0';
  return (size_t)(strtoull(head, NULL, 16) % a->capacity);
}

bool vbp_authenticator_is_admin(const vbp_authenticator *auth, const char *key) {
  return vbp_secure_equal(key, auth->admin_key);
}

bool vbp_authenticator_cached(vbp_authenticator *a, const char *sha, int64_t now_ms, bool *found,
                              vbp_caller *out) {
  if (a->ttl_ms <= 0) return false;
  bool hit = false;
  pthread_mutex_lock(&a->lock);
  slot *s = &a->slots[slot_index(a, sha)];
  if (s->expires_ms > now_ms && strcmp(s->key_sha256, sha) == 0) {
    hit = true;
    *found = s->found;
    if (s->found) *out = s->caller;
  }
  pthread_mutex_unlock(&a->lock);
  return hit;
}

void vbp_authenticator_remember(vbp_authenticator *a, const char *sha, bool found,
                                const vbp_caller *caller, int64_t now_ms) {
  if (a->ttl_ms <= 0) return;
  pthread_mutex_lock(&a->lock);
  slot *s = &a->slots[slot_index(a, sha)];
  snprintf(s->key_sha256, sizeof s->key_sha256, "%s", sha);
  s->found = found;
  if (found) s->caller = *caller;
  s->expires_ms = now_ms + a->ttl_ms;
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
    vbp_status st = a->resolve(a->resolve_ctx, sha, &caller);
    if (st.code != VBP_OK && st.code != VBP_NOT_FOUND) {
      if (st.code != VBP_UNAVAILABLE) st = vbp_status_make(VBP_UNAVAILABLE, "%s", st.message);
      return st;
    }
    found = st.code == VBP_OK;
    vbp_authenticator_remember(a, sha, found, &caller, now_ms);
  }
  if (!found) return vbp_status_make(VBP_UNAUTHENTICATED, "API key is not valid");
  *out = caller;
  return vbp_status_ok();
}

vbp_status vbp_authenticate(vbp_authenticator *auth, const char *method, const vbp_credentials *c,
                            int64_t now_ms, vbp_caller *out) {
  /* Any part of a caller identity means the call claims one: it must then verify. */
  if (c->sig || c->ts || c->role || c->org || c->region)
    return vbp_identity_verify(auth->secret, method, c->org, c->role, c->region, c->ts, c->sig,
                               now_ms, out);
  if (!c->authorization)
    return vbp_status_make(VBP_UNAUTHENTICATED, "missing authorization: Bearer <API key>");
  static const char prefix[] = "Bearer ";
  if (strncmp(c->authorization, prefix, sizeof prefix - 1) != 0 ||
      c->authorization[sizeof prefix - 1] == '\0')
    return vbp_status_make(VBP_UNAUTHENTICATED, "authorization must be \"Bearer <API key>\"");
  const char *key = c->authorization + sizeof prefix - 1;
  if (vbp_secure_equal(key, auth->admin_key)) {
    vbp_caller admin = {.role = VBP_ROLE_ADMIN};
    *out = admin;
    return vbp_status_ok();
  }
  return resolve_key(auth, key, now_ms, out);
}
