/* The answers this process read or computed lately, kept in memory in front of Redis, so that a
 * hot look-up costs no round trip. The keys are cache.h's: they carry the versions of the
 * inputs, so an entry is exactly as fresh as Redis's (a write moves a version, and no look-up
 * asks for the old key again). Bounded: a fixed number of slots, and a new entry takes the
 * place of whatever held its slot. Thread-safe. */
#ifndef PRICING_MEMO_H
#define PRICING_MEMO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pricing_memo pricing_memo;

/* A memo of `slots` entries; 0 slots makes one that keeps nothing. */
pricing_memo *pricing_memo_create(size_t slots);
void pricing_memo_destroy(pricing_memo *memo);

/* The value kept for key, copied into arena (NUL appended, not counted in *len). */
bool pricing_memo_get(pricing_memo *memo, const char *key, vbp_arena *arena, char **value,
                      size_t *len);
/* Keeps a copy of key and of the len bytes at value. */
void pricing_memo_put(pricing_memo *memo, const char *key, const char *value, size_t len);

#ifdef __cplusplus
}
#endif
#endif
