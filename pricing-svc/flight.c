#include "pricing-svc/flight.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 256

struct pricing_flight {
  pricing_flight *next; /* in its bucket while it is in progress */
  char *key;
  int users; /* the leader and the waiters that have not left yet */
  bool done;
  vbp_status status;
  char *value;
  size_t len;
};

struct pricing_flights {
  pthread_mutex_t mu;
  pthread_cond_t done_cv; /* one for all: answers are rare next to look-ups */
  pricing_flight *buckets[BUCKETS];
};

static size_t bucket_of(const char *key) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 16777619u;
  return h % BUCKETS;
}

pricing_flights *pricing_flights_create(void) {
  pricing_flights *f = vbp_xcalloc(1, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  pthread_cond_init(&f->done_cv, NULL);
  return f;
}

void pricing_flights_destroy(pricing_flights *f) {
  if (!f) return;
  pthread_mutex_destroy(&f->mu);
  pthread_cond_destroy(&f->done_cv);
  free(f);
}

bool pricing_flight_join(pricing_flights *f, const char *key, pricing_flight **out) {
  size_t b = bucket_of(key);
  pthread_mutex_lock(&f->mu);
  for (pricing_flight *x = f->buckets[b]; x; x = x->next)
    if (!x->done && strcmp(x->key, key) == 0) {
      x->users++;
      pthread_mutex_unlock(&f->mu);
      *out = x;
      return false;
    }
  pricing_flight *x = vbp_xcalloc(1, sizeof *x);
  x->key = vbp_xstrdup(key);
  x->users = 1;
  x->next = f->buckets[b];
  f->buckets[b] = x;
  pthread_mutex_unlock(&f->mu);
  *out = x;
  return true;
}

/* Called with f->mu held: the last user frees the flight. */
static void leave(pricing_flight *x) {
  if (--x->users > 0) return;
  free(x->key);
  free(x->value);
  free(x);
}

void pricing_flight_done(pricing_flights *f, pricing_flight *x, vbp_status st, const char *value,
                         size_t len) {
  char *copy = NULL;
  if (vbp_ok(&st)) {
    copy = vbp_xmalloc(len + 1);
    memcpy(copy, value, len);
    copy[len] = '\0';
  }
  pthread_mutex_lock(&f->mu);
  /* Out of the table first: a thread asking from now on starts a computation of its own. */
  pricing_flight **p = &f->buckets[bucket_of(x->key)];
  while (*p != x) p = &(*p)->next;
  *p = x->next;
  x->done = true;
  x->status = st;
  x->value = copy;
  x->len = len;
  pthread_cond_broadcast(&f->done_cv);
  leave(x);
  pthread_mutex_unlock(&f->mu);
}

vbp_status pricing_flight_wait(pricing_flights *f, pricing_flight *x, vbp_arena *arena,
                               char **value, size_t *len) {
  pthread_mutex_lock(&f->mu);
  while (!x->done) pthread_cond_wait(&f->done_cv, &f->mu);
  vbp_status st = x->status;
  if (vbp_ok(&st)) {
    *value = vbp_arena_strndup(arena, x->value, x->len);
    *len = x->len;
  }
  leave(x);
  pthread_mutex_unlock(&f->mu);
  return st;
}
