/* The status every layer returns (common/status.h): a code, a message, and the offending field
 * with its reason (API.md error body). */
#include "common/status.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

TEST(Status, AFieldStatusSaysFieldThenReason) {
  vbp_status st = vbp_invalid("code", "must be six digits");
  EXPECT_EQ(st.code, VBP_INVALID_ARGUMENT);
  EXPECT_STREQ(st.field, "code");
  EXPECT_STREQ(st.reason, "must be six digits");
  EXPECT_STREQ(st.message, "code must be six digits");
}

TEST(Status, AFieldStatusFormatsItsReason) {
  vbp_status st = vbp_status_field(VBP_FAILED_PRECONDITION, "memberRegionCodes[2]",
                                   "must lie in %s, not %d", "350000", 360000);
  EXPECT_EQ(st.code, VBP_FAILED_PRECONDITION);
  EXPECT_STREQ(st.field, "memberRegionCodes[2]");
  EXPECT_STREQ(st.reason, "must lie in 350000, not 360000");
  EXPECT_STREQ(st.message, "memberRegionCodes[2] must lie in 350000, not 360000");
}

TEST(Status, OverlongPartsAreCutNotOverflowed) {
  std::string field(300, 'f'), reason(500, 'r');
  vbp_status st = vbp_invalid(field.c_str(), "%s", reason.c_str());
  EXPECT_EQ(std::strlen(st.field), VBP_STATUS_FIELD_MAX - 1u);
  EXPECT_EQ(std::strlen(st.reason), VBP_STATUS_REASON_MAX - 1u);
  EXPECT_EQ(std::strlen(st.message), VBP_STATUS_MESSAGE_MAX - 1u);
}

TEST(Status, OkAndMadeStatusesHaveNoField) {
  vbp_status ok = vbp_status_ok();
  EXPECT_EQ(ok.code, VBP_OK);
  EXPECT_TRUE(vbp_ok(&ok));
  EXPECT_STREQ(ok.field, "");
  EXPECT_STREQ(ok.reason, "");
  EXPECT_STREQ(ok.message, "");
  vbp_status st = vbp_status_make(VBP_NOT_FOUND, "organization %s not found", "org-1");
  EXPECT_FALSE(vbp_ok(&st));
  EXPECT_EQ(st.code, VBP_NOT_FOUND);
  EXPECT_STREQ(st.message, "organization org-1 not found");
  EXPECT_STREQ(st.field, "");
  EXPECT_STREQ(st.reason, "");
}

TEST(Status, CodeNamesAreGooglesCanonicalNames) {
  const char *names[] = {"OK",
                         "CANCELLED",
                         "UNKNOWN",
                         "INVALID_ARGUMENT",
                         "DEADLINE_EXCEEDED",
                         "NOT_FOUND",
                         "ALREADY_EXISTS",
                         "PERMISSION_DENIED",
                         "RESOURCE_EXHAUSTED",
                         "FAILED_PRECONDITION",
                         "ABORTED",
                         "OUT_OF_RANGE",
                         "UNIMPLEMENTED",
                         "INTERNAL",
                         "UNAVAILABLE",
                         "DATA_LOSS",
                         "UNAUTHENTICATED"};
  for (int code = 0; code <= 16; code++)
    EXPECT_STREQ(vbp_code_name(static_cast<vbp_code>(code)), names[code]) << code;
  EXPECT_STREQ(vbp_code_name(static_cast<vbp_code>(17)), "UNKNOWN");
  EXPECT_STREQ(vbp_code_name(static_cast<vbp_code>(-1)), "UNKNOWN");
}

}  // namespace
