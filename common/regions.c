#include "common/regions.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static bool six_digits(const char *code) {
  for (int i = 0; i < 6; i++)
    if (code[i] < '0' || code[i] > '9') return false;
  return code[6] == '\0';
}

int vbp_region_level_of(const char *code) {
  if (!code || !six_digits(code) || strncmp(code, "00", 2) == 0) return 0;
  if (strcmp(code + 2, "0000") == 0) return 1;
  if (strcmp(code + 4, "00") == 0) return 2;
  return 3;
}

void vbp_region_parent_of(const char *code, char out[7]) {
  int level = vbp_region_level_of(code);
  out[0] = '\0';
  if (level == 2) snprintf(out, 7, "%.2s0000", code);
  if (level == 3) snprintf(out, 7, "%.4s00", code);
}

void vbp_region_prefix(const char *code, char out[7]) {
  int level = vbp_region_level_of(code);
  size_t n = level == 1 ? 2 : level == 2 ? 4 : 6;
  snprintf(out, 7, "%.*s", (int)n, code);
}

bool vbp_region_province_of(const char *code, char out[7]) {
  if (vbp_region_level_of(code) == 0) return false;
  memcpy(out, code, 2);
  memcpy(out + 2, "0000", 5);
  return true;
}

bool vbp_region_contains(const char *ancestor, const char *region_code) {
  if (!six_digits(ancestor) || !six_digits(region_code)) return false;
  /* Significant digits of the ancestor: 2 for a province (xx0000), 4 for a city (xxxx00). */
  size_t n = 6;
  if (strcmp(ancestor + 2, "0000") == 0)
    n = 2;
  else if (strcmp(ancestor + 4, "00") == 0)
    n = 4;
  return strncmp(ancestor, region_code, n) == 0;
}
