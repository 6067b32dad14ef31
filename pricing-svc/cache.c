#include "pricing-svc/cache.h"

#include <string.h>

char *pricing_cache_prefix(vbp_arena *arena, int64_t catalog_version, int64_t own_version,
                           const char *province, vbp_date date) {
  char day[11];
  vbp_date_format(date, day);
  return vbp_arena_printf(arena, "vbp:price:%lld:%lld:%s:%s:", (long long)catalog_version,
                          (long long)own_version, province, day);
}

/* A batch makes a key per product: a copy, not a printf (which cost a fifth of a cached batch). */
char *pricing_cache_key(vbp_arena *arena, const char *prefix, const char *product_id) {
  size_t a = strlen(prefix), b = strlen(product_id);
  char *key = vbp_arena_alloc(arena, a + b + 1);
  memcpy(key, prefix, a);
  memcpy(key + a, product_id, b + 1);
  return key;
}

char *pricing_cache_encode_price(vbp_arena *arena, const Vbp__V1__Price *price, size_t *len) {
  size_t n = vbp__v1__price__get_packed_size(price);
  char *out = vbp_arena_alloc(arena, n + 1);
  out[0] = 'P';
  vbp__v1__price__pack(price, (uint8_t *)out + 1);
  *len = n + 1;
  return out;
}

char *pricing_cache_encode_none(vbp_arena *arena, const char *reason, size_t *len) {
  char *out = vbp_arena_printf(arena, "N%s", reason);
  *len = strlen(out);
  return out;
}

bool pricing_cache_decode(vbp_arena *arena, const char *value, size_t len, Vbp__V1__Price **price,
                          const char **reason) {
  if (len == 0) return false;
  if (value[0] == 'N') {
    *price = NULL;
    *reason = vbp_arena_strndup(arena, value + 1, len - 1);
    return true;
  }
  if (value[0] != 'P') return false;
  ProtobufCAllocator allocator = vbp_arena_allocator(arena); /* freed with the arena */
  Vbp__V1__Price *p = vbp__v1__price__unpack(&allocator, len - 1, (const uint8_t *)value + 1);
  if (!p) return false;
  *price = p;
  *reason = NULL;
  return true;
}
