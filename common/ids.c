#include "common/ids.h"

#include <stddef.h>

bool vbp_valid_id(const char *id) {
  size_t n = 0;
  for (; id[n]; n++) {
    char ch = id[n];
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-';
    if (!ok || n >= 64) return false;
  }
  return n > 0;
}
