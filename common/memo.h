/* Values a process read or computed lately, kept in its memory so that a hot read costs no round
 * trip. It never expires or invalidates anything: keep only what a key names for good, such as
 * an answer under a key that carries the versions of its inputs (pricing-svc) or a row nobody
 * ever changes (catalog-svc's organizations). Bounded: a fixed number of slots, and a new entry
 * takes the place of whatever held its slot. Thread-safe. */
#ifndef VBP_MEMO_H
#define VBP_MEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_memo vbp_memo;

/* A memo of `slots` entries; 0 slots makes one that keeps nothing. */
vbp_memo *vbp_memo_create(size_t slots);
void vbp_memo_destroy(vbp_memo *memo);

/* The value kept for key, copied into arena (NUL appended, not counted in *len). */
bool vbp_memo_get(vbp_memo *memo, const char *key, vbp_arena *arena, char **value, size_t *len);
/* Keeps a copy of key and of the len bytes at value. */
void vbp_memo_put(vbp_memo *memo, const char *key, const char *value, size_t len);

#ifdef __cplusplus
}
#endif
#endif
