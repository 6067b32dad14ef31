// Values the unit tests build again and again: a day from its text and back, and a caller.
// Header-only, so that each test program still links just the library it tests; a text that does
// not parse fails the test that gave it.
#ifndef VBP_TEST_VALUES_H
#define VBP_TEST_VALUES_H

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "common/date.h"
#include "common/identity.h"

// The day text ("YYYY-MM-DD") names; 0 (1970-01-01) and a test failure when it names none.
inline vbp_date test_day(const char *text) {
  vbp_date date = 0;
  EXPECT_TRUE(vbp_date_parse(text, &date)) << text;
  return date;
}

// date as "YYYY-MM-DD".
inline std::string test_day_text(vbp_date date) {
  char buf[VBP_DATE_FORMAT_MAX];
  return vbp_date_format(date, buf);
}

// A caller of role in organization org and region (both copied; they must fit vbp_caller's
// arrays).
inline vbp_caller test_caller(vbp_role role, const char *org, const char *region) {
  vbp_caller c{};
  c.role = role;
  std::strcpy(c.org_id, org);
  std::strcpy(c.region_code, region);
  return c;
}

#endif
