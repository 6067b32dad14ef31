#include "common/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 8192
#define ALIGN 16

typedef struct block {
  struct block *next;
  size_t size, used;
  _Alignas(ALIGN) unsigned char data[];
} block;

struct vbp_arena {
  block *head;  /* the block being filled; older and big ones follow */
  block *first; /* the block made with the arena, kept by reset */
};

void *vbp_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p) {
    fputs("{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n", stderr);
    abort();
  }
  return p;
}

void *vbp_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) {
    fputs("{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n", stderr);
    abort();
  }
  return p;
}

char *vbp_xstrdup(const char *text) {
  size_t n = strlen(text) + 1;
  return memcpy(vbp_xmalloc(n), text, n);
}

static block *block_new(size_t size) {
  block *b = vbp_xmalloc(sizeof(block) + size);
  b->next = NULL;
  b->size = size;
  b->used = 0;
  return b;
}

vbp_arena *vbp_arena_create(void) {
  vbp_arena *a = vbp_xmalloc(sizeof *a);
  a->head = a->first = block_new(BLOCK_SIZE);
  return a;
}

void vbp_arena_destroy(vbp_arena *arena) {
  if (!arena) return;
  for (block *b = arena->head, *next; b; b = next) {
    next = b->next;
    free(b);
  }
  free(arena);
}

void vbp_arena_reset(vbp_arena *arena) {
  for (block *b = arena->head, *next; b; b = next) {
    next = b->next;
    if (b != arena->first) free(b);
  }
  arena->first->next = NULL;
  arena->first->used = 0;
  arena->head = arena->first;
}

void *vbp_arena_alloc(vbp_arena *arena, size_t size) {
  size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  block *b = arena->head;
  if (b->size - b->used < need) {
    /* Big requests get a block of their own so small ones keep filling the current one. */
    block *nb = block_new(need > BLOCK_SIZE / 2 ? need : BLOCK_SIZE);
    if (need > BLOCK_SIZE / 2 && b->used < b->size) {
      nb->next = b->next;
      b->next = nb;
      nb->used = need;
      memset(nb->data, 0, need);
      return nb->data;
    }
    nb->next = b;
    arena->head = b = nb;
  }
  void *p = b->data + b->used;
  b->used += need;
  memset(p, 0, need);
  return p;
}

char *vbp_arena_strndup(vbp_arena *arena, const char *text, size_t len) {
  char *p = vbp_arena_alloc(arena, len + 1);
  memcpy(p, text, len);
  p[len] = '\0';
  return p;
}

char *vbp_arena_strdup(vbp_arena *arena, const char *text) {
  return vbp_arena_strndup(arena, text, strlen(text));
}

char *vbp_arena_printf(vbp_arena *arena, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = vbp_arena_alloc(arena, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

static void *arena_pb_alloc(void *data, size_t size) { return vbp_arena_alloc(data, size); }
static void arena_pb_free(void *data, void *ptr) {
  (void)data;
  (void)ptr;
}

ProtobufCAllocator vbp_arena_allocator(vbp_arena *arena) {
  ProtobufCAllocator a = {.alloc = arena_pb_alloc, .free = arena_pb_free, .allocator_data = arena};
  return a;
}
