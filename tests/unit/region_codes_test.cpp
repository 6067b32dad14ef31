// GB/T 2260 region codes, as common/regions.h checks them, and region containment by the
// codes' prefixes.
#include <gtest/gtest.h>

#include "common/regions.h"

namespace {

struct Shape {
  const char *code;
  int level;  // vbp.v1.RegionLevel: 1 province, 2 city, 3 county, 0 not a code
  const char *parent;
  const char *prefix;
};

const Shape kShapes[] = {
    {"350000", 1, "", "35"},                                             // Fujian
    {"350100", 2, "350000", "3501"},                                     // Fuzhou
    {"350102", 3, "350100", "350102"}, {"141100", 2, "140000", "1411"},  // Lvliang
    {"429004", 3, "429000", "429004"}, {"110101", 3, "110100", "110101"},
};

TEST(RegionCodes, LevelParentAndPrefixFollowTheCodesShape) {
  for (const Shape &s : kShapes) {
    SCOPED_TRACE(s.code);
    EXPECT_EQ(vbp_region_level_of(s.code), s.level);
    char parent[7], prefix[7];
    vbp_region_parent_of(s.code, parent);
    vbp_region_prefix(s.code, prefix);
    EXPECT_STREQ(parent, s.parent);
    EXPECT_STREQ(prefix, s.prefix);
  }
}

TEST(RegionCodes, AnythingButSixDigitsHasNoLevel) {
  for (const char *bad : {"", "35000", "3500000", "35000a", " 35000", "000000", "001000", "35-000"})
    EXPECT_EQ(vbp_region_level_of(bad), 0) << "\"" << bad << "\"";
  EXPECT_EQ(vbp_region_level_of(nullptr), 0);
}

struct ContainsCase {
  const char *ancestor, *code;
  bool expected;
};

TEST(RegionContains, FollowsProvinceCityAndCountyPrefixes) {
  const ContainsCase cases[] = {
      /* A province contains itself, its cities and its counties. */
      {"350000", "350000", true},
      {"350000", "350100", true},
      {"350000", "350102", true},
      {"350000", "359900", true},
      {"350000", "360000", false},
      {"350000", "360102", false},
      /* A city contains itself and its counties, not its province or sibling cities. */
      {"350100", "350100", true},
      {"350100", "350102", true},
      {"350100", "350199", true},
      {"350100", "350200", false},
      {"350100", "350203", false},
      {"350100", "350000", false},
      /* A county contains only itself. */
      {"350102", "350102", true},
      {"350102", "350103", false},
      {"350102", "350100", false},
      {"350102", "350000", false},
  };
  for (const ContainsCase &c : cases)
    EXPECT_EQ(vbp_region_contains(c.ancestor, c.code), c.expected)
        << c.ancestor << " contains " << c.code;
}

TEST(RegionContains, MalformedCodesAreNeverContained) {
  const ContainsCase cases[] = {
      {"350000", "", false},        {"350000", "3501", false},  {"350000", "35010", false},
      {"350000", "3501020", false}, {"", "350102", false},      {"35", "350102", false},
      {"3500000", "350102", false}, {"35000", "350102", false}, {"", "", false},
  };
  for (const ContainsCase &c : cases)
    EXPECT_EQ(vbp_region_contains(c.ancestor, c.code), c.expected)
        << "\"" << c.ancestor << "\" contains \"" << c.code << "\"";
}

TEST(RegionContains, CodesWithNonDigitsAreNeverContained) {
  const ContainsCase cases[] = {
      {"350000", "35010x", false}, {"350000", "35 102", false}, {"350100", "3501ab", false},
      {"35xxxx", "35xxxx", false}, {"3500a0", "3500a0", false},
  };
  for (const ContainsCase &c : cases)
    EXPECT_EQ(vbp_region_contains(c.ancestor, c.code), c.expected)
        << "\"" << c.ancestor << "\" contains \"" << c.code << "\"";
}

}  // namespace
