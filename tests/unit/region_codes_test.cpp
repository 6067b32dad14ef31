// GB/T 2260 region codes, as common/regions.h checks them.
#include <gtest/gtest.h>

#include "common/regions.h"

namespace {

struct Shape {
  const char *code;
  int level;        // vbp.v1.RegionLevel: 1 province, 2 city, 3 county, 0 not a code
  const char *parent;
  const char *prefix;
};

const Shape kShapes[] = {
    {"350000", 1, "", "35"},         // Fujian
    {"350100", 2, "350000", "3501"}, // Fuzhou
    {"350102", 3, "350100", "350102"},
    {"141100", 2, "140000", "1411"}, // Lvliang
    {"429004", 3, "429000", "429004"},
    {"110101", 3, "110100", "110101"},
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

}  // namespace
