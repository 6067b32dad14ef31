/* Callers for unit tests: a vbp_caller from its role, organization and region, in one line. */
#ifndef VBP_TEST_CALLERS_H
#define VBP_TEST_CALLERS_H

#include <cstdio>

#include "common/identity.h"

inline vbp_caller test_caller(vbp_role role, const char *org, const char *region) {
  vbp_caller c{};
  c.role = role;
  std::snprintf(c.org_id, sizeof c.org_id, "%s", org);
  std::snprintf(c.region_code, sizeof c.region_code, "%s", region);
  return c;
}

#endif
