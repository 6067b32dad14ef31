/* Client-chosen ids, as common/ids.h checks them. */
#include "common/ids.h"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(ClientIds, AcceptOneToSixtyFourSafeCharacters) {
  EXPECT_TRUE(vbp_valid_id("JX-YP2023-01"));
  EXPECT_TRUE(vbp_valid_id("org_fj.bureau"));
  EXPECT_TRUE(vbp_valid_id(std::string(64, 'a').c_str()));
  EXPECT_FALSE(vbp_valid_id(std::string(65, 'a').c_str()));
  EXPECT_FALSE(vbp_valid_id(""));
  EXPECT_FALSE(vbp_valid_id("a b"));
  EXPECT_FALSE(vbp_valid_id("a/b"));
  EXPECT_FALSE(vbp_valid_id("干扰素"));
}

}  // namespace
