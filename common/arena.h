/* A per-call arena: protobuf-c unpacks into it, handlers allocate from it, and everything is
 * freed at once when the call ends. Not thread-safe: one arena belongs to one call. */
#ifndef VBP_ARENA_H
#define VBP_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_arena vbp_arena;

/* Creates an arena; aborts on out of memory. destroy(NULL) does nothing. */
vbp_arena *vbp_arena_create(void);
void vbp_arena_destroy(vbp_arena *arena);

/* Frees everything allocated so far but keeps the first block for reuse. */
void vbp_arena_reset(vbp_arena *arena);

/* size bytes aligned for any type, zeroed; valid until reset or destroy. Never NULL. */
void *vbp_arena_alloc(vbp_arena *arena, size_t size);
char *vbp_arena_strdup(vbp_arena *arena, const char *text);
char *vbp_arena_strndup(vbp_arena *arena, const char *text, size_t len);
char *vbp_arena_printf(vbp_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A protobuf-c allocator drawing from the arena (its free does nothing). */
ProtobufCAllocator vbp_arena_allocator(vbp_arena *arena);

/* Aborting allocators for long-lived objects: out of memory is fatal (STYLE.md). */
void *vbp_xmalloc(size_t size);
void *vbp_xcalloc(size_t n, size_t size);
char *vbp_xstrdup(const char *text);

#ifdef __cplusplus
}
#endif
#endif
