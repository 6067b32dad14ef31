// common/failpoint: points armed in-process (vbp_failpoint_set) and through VBP_FAILPOINTS.
#include "common/failpoint.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

TEST(Failpoint, UnarmedPointsDoNotFire) {
  unsetenv("VBP_FAILPOINTS");
  EXPECT_FALSE(vbp_failpoint("volume.import.prepare"));
}

TEST(Failpoint, ArmedInProcessUntilDisarmed) {
  unsetenv("VBP_FAILPOINTS");
  vbp_failpoint_set("a.b", true);
  EXPECT_TRUE(vbp_failpoint("a.b"));
  EXPECT_FALSE(vbp_failpoint("a.bc"));
  EXPECT_FALSE(vbp_failpoint("a"));
  vbp_failpoint_set("a.b", true);  // twice: one slot, one disarm
  vbp_failpoint_set("a.b", false);
  EXPECT_FALSE(vbp_failpoint("a.b"));
}

TEST(Failpoint, ManyPointsArmedAtOnce) {
  unsetenv("VBP_FAILPOINTS");
  for (int i = 0; i < 16; i++) vbp_failpoint_set(("p" + std::to_string(i)).c_str(), true);
  for (int i = 0; i < 16; i++) EXPECT_TRUE(vbp_failpoint(("p" + std::to_string(i)).c_str())) << i;
  for (int i = 0; i < 16; i++) vbp_failpoint_set(("p" + std::to_string(i)).c_str(), false);
  for (int i = 0; i < 16; i++) EXPECT_FALSE(vbp_failpoint(("p" + std::to_string(i)).c_str())) << i;
}

TEST(Failpoint, ArmedThroughTheEnvironmentByExactName) {
  setenv("VBP_FAILPOINTS", "catalog.import.committed,volume.import.prepare", 1);
  EXPECT_TRUE(vbp_failpoint("catalog.import.committed"));
  EXPECT_TRUE(vbp_failpoint("volume.import.prepare"));
  EXPECT_FALSE(vbp_failpoint("contract.import.prepare"));
  EXPECT_FALSE(vbp_failpoint("volume.import"));
  EXPECT_FALSE(vbp_failpoint("catalog.import.committed,volume.import.prepare"));
  unsetenv("VBP_FAILPOINTS");
  EXPECT_FALSE(vbp_failpoint("catalog.import.committed"));
}
