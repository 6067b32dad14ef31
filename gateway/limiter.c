#include "gateway/limiter.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

#define STRIPES 64 /* locks, so that threads rarely wait for one another */
#define KEY_MAX 72

typedef struct bucket {
  char key[KEY_MAX];
  double tokens;
  int64_t at_us; /* when tokens was last brought up to date */
} bucket;

struct gw_limiter {
  double rate, burst;
  size_t slots;
  bucket *buckets;
  pthread_mutex_t locks[STRIPES];
};

gw_limiter *gw_limiter_create(double rate, double burst, size_t slots) {
  gw_limiter *l = vbp_xcalloc(1, sizeof *l);
  l->rate = rate;
  l->burst = burst < 1 ? 1 : burst;
  l->slots = slots ? slots : 1;
  l->buckets = vbp_xcalloc(l->slots, sizeof(bucket));
  for (int i = 0; i < STRIPES; i++) pthread_mutex_init(&l->locks[i], NULL);
  return l;
}

void gw_limiter_destroy(gw_limiter *l) {
  if (!l) return;
  for (int i = 0; i < STRIPES; i++) pthread_mutex_destroy(&l->locks[i]);
  free(l->buckets);
  free(l);
}

/* FNV-1a: keys are API-key hashes or organization ids, short and already well spread. */
static uint64_t hash(const char *key) {
  uint64_t h = 1469598103934665603ull;
  for (; *key; key++) h = (h ^ (unsigned char)*key) * 1099511628211ull;
  return h;
}

/* Whether key's bucket holds a token at now_us; take: and takes it. */
static bool spend(gw_limiter *l, const char *key, int64_t now_us, bool take, int *retry_after_s) {
  if (l->rate <= 0) return true;
  size_t i = (size_t)(hash(key) % l->slots);
  pthread_mutex_t *lock = &l->locks[i % STRIPES];
  pthread_mutex_lock(lock);
  bucket *b = &l->buckets[i];
  if (strncmp(b->key, key, KEY_MAX - 1) != 0 || !b->key[0]) {
    strncpy(b->key, key, KEY_MAX - 1);
    b->key[KEY_MAX - 1] = '\0';
    b->tokens = l->burst;
    b->at_us = now_us;
  }
  if (now_us > b->at_us) {
    b->tokens = fmin(l->burst, b->tokens + (double)(now_us - b->at_us) * l->rate / 1e6);
    b->at_us = now_us;
  }
  bool allowed = b->tokens >= 1;
  if (allowed) {
    if (take) b->tokens -= 1;
  } else {
    double wait = (1 - b->tokens) / l->rate;
    *retry_after_s = (int)ceil(wait) < 1 ? 1 : (int)ceil(wait);
  }
  pthread_mutex_unlock(lock);
  return allowed;
}

bool gw_limiter_take(gw_limiter *l, const char *key, int64_t now_us, int *retry_after_s) {
  return spend(l, key, now_us, true, retry_after_s);
}

bool gw_limiter_peek(gw_limiter *l, const char *key, int64_t now_us, int *retry_after_s) {
  return spend(l, key, now_us, false, retry_after_s);
}
