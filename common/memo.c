#include "common/memo.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64 /* locks, each guarding every 64th slot: look-ups rarely wait for another */

typedef struct entry {
  char *key; /* NULL: empty */
  char *value;
  size_t len;
} entry;

struct vbp_memo {
  size_t n;
  entry *slots;
  pthread_mutex_t locks[STRIPES];
};

static size_t slot_of(const vbp_memo *m, const char *key) {
  uint64_t h = 14695981039346656037u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 1099511628211u;
  return (size_t)(h % m->n);
}

vbp_memo *vbp_memo_create(size_t slots) {
  vbp_memo *m = vbp_xcalloc(1, sizeof *m);
  m->n = slots;
  m->slots = slots ? vbp_xcalloc(slots, sizeof *m->slots) : NULL;
  for (int i = 0; i < STRIPES; i++) pthread_mutex_init(&m->locks[i], NULL);
  return m;
}

void vbp_memo_destroy(vbp_memo *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) {
    free(m->slots[i].key);
    free(m->slots[i].value);
  }
  for (int i = 0; i < STRIPES; i++) pthread_mutex_destroy(&m->locks[i]);
  free(m->slots);
  free(m);
}

bool vbp_memo_get(vbp_memo *m, const char *key, vbp_arena *arena, char **value, size_t *len) {
  if (m->n == 0) return false;
  size_t i = slot_of(m, key);
  pthread_mutex_t *lock = &m->locks[i % STRIPES];
  pthread_mutex_lock(lock);
  const entry *e = &m->slots[i];
  bool found = e->key && strcmp(e->key, key) == 0;
  if (found) {
    *value = vbp_arena_strndup(arena, e->value, e->len);
    *len = e->len;
  }
  pthread_mutex_unlock(lock);
  return found;
}

void vbp_memo_put(vbp_memo *m, const char *key, const char *value, size_t len) {
  if (m->n == 0) return;
  /* Copies made outside the lock; the old entry freed outside it too. */
  char *k = vbp_xstrdup(key), *v = vbp_xmalloc(len + 1);
  memcpy(v, value, len);
  v[len] = '\0';
  size_t i = slot_of(m, key);
  pthread_mutex_t *lock = &m->locks[i % STRIPES];
  pthread_mutex_lock(lock);
  entry old = m->slots[i];
  m->slots[i] = (entry){.key = k, .value = v, .len = len};
  pthread_mutex_unlock(lock);
  free(old.key);
  free(old.value);
}
