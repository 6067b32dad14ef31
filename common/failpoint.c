#include "common/failpoint.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FAILPOINTS_MAX 16
#define FAILPOINT_NAME_MAX 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char armed_points[FAILPOINTS_MAX][FAILPOINT_NAME_MAX];

/* Whether the comma-separated list names `name` exactly. */
static bool listed(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

bool vbp_failpoint(const char *name) {
  if (listed(getenv("VBP_FAILPOINTS"), name)) return true;
  bool armed = false;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < FAILPOINTS_MAX && !armed; i++) armed = strcmp(armed_points[i], name) == 0;
  pthread_mutex_unlock(&lock);
  return armed;
}

void vbp_failpoint_set(const char *name, bool armed) {
  if (!name || !*name || strlen(name) >= FAILPOINT_NAME_MAX) return;
  pthread_mutex_lock(&lock);
  int slot = -1;
  for (int i = 0; i < FAILPOINTS_MAX; i++) {
    if (strcmp(armed_points[i], name) == 0) {
      slot = i;
      break;
    }
    if (slot < 0 && !armed_points[i][0]) slot = i;
  }
  if (slot >= 0) {
    if (armed)
      strcpy(armed_points[slot], name);
    else if (strcmp(armed_points[slot], name) == 0)
      armed_points[slot][0] = '\0';
  }
  pthread_mutex_unlock(&lock);
}
