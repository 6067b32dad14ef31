// The named scope predicates handlers ask after the method table let a role in (common/scope.h).
#include <gtest/gtest.h>

extern "C" {
#include "common/scope.h"
}
#include "test_values.h"

#include "test_values.h"

namespace {

const vbp_caller kAdmin = test_caller(VBP_ROLE_ADMIN, "", "");
const vbp_caller kFujian = test_caller(VBP_ROLE_BUREAU, "fj-bureau", "350000");
const vbp_caller kFuzhou = test_caller(VBP_ROLE_BUREAU, "fz-bureau", "350100");
const vbp_caller kMaker = test_caller(VBP_ROLE_MANUFACTURER, "mfr-1", "350100");
const vbp_caller kOffice = test_caller(VBP_ROLE_ALLIANCE_OFFICE, "jx-office", "360000");

TEST(Scope, ABureauActsInItsRegionAndBelowOnly) {
  EXPECT_TRUE(vbp_scope_region(&kFujian, "350000"));
  EXPECT_TRUE(vbp_scope_region(&kFujian, "350102"));
  EXPECT_FALSE(vbp_scope_region(&kFujian, "360000"));
  EXPECT_TRUE(vbp_scope_region(&kFuzhou, "350102"));
  EXPECT_FALSE(vbp_scope_region(&kFuzhou, "350000"));
  EXPECT_FALSE(vbp_scope_region(&kFuzhou, "350200"));
  EXPECT_TRUE(vbp_scope_region(&kAdmin, "620000"));
  EXPECT_FALSE(vbp_scope_region(&kMaker, "350100"));  // a party has no region to act in
  EXPECT_FALSE(vbp_scope_region(&kOffice, "360000"));
}

TEST(Scope, BelowItsRegionLeavesOutTheBureausOwnRegion) {
  EXPECT_TRUE(vbp_scope_below_region(&kFujian, "350100"));
  EXPECT_FALSE(vbp_scope_below_region(&kFujian, "350000"));
  EXPECT_FALSE(vbp_scope_below_region(&kFuzhou, "350200"));
  EXPECT_TRUE(vbp_scope_below_region(&kAdmin, "350000"));
}

TEST(Scope, OwnIsTheCallersOrganizationOrTheAdmin) {
  EXPECT_TRUE(vbp_scope_own(&kOffice, "jx-office"));
  EXPECT_FALSE(vbp_scope_own(&kOffice, "fj-office"));
  EXPECT_FALSE(vbp_scope_own(&kOffice, ""));
  EXPECT_FALSE(vbp_scope_own(&kOffice, nullptr));
  EXPECT_TRUE(vbp_scope_own(&kAdmin, "anyone"));
  vbp_caller service = test_caller(VBP_ROLE_SERVICE, "", "");
  EXPECT_FALSE(vbp_scope_own(&service, ""));  // no organization is nobody's own
}

TEST(Scope, APartyActsOnlyForItselfAnAuthorityForAnyone) {
  EXPECT_TRUE(vbp_scope_acts_for(&kMaker, "mfr-1"));
  EXPECT_FALSE(vbp_scope_acts_for(&kMaker, "mfr-2"));
  EXPECT_TRUE(vbp_scope_acts_for(&kOffice, "mfr-2"));
  EXPECT_TRUE(vbp_scope_acts_for(&kAdmin, "mfr-2"));
}

TEST(Scope, BureausAndTheAdminSuperviseEnterprises) {
  EXPECT_TRUE(vbp_scope_supervisor(&kAdmin));
  EXPECT_TRUE(vbp_scope_supervisor(&kFujian));
  EXPECT_TRUE(vbp_scope_supervisor(&kFuzhou));
  EXPECT_FALSE(vbp_scope_supervisor(&kMaker));
  EXPECT_FALSE(vbp_scope_supervisor(&kOffice));
  for (vbp_role role : {VBP_ROLE_INSURANCE_AGENCY, VBP_ROLE_MEDICAL_INSTITUTION,
                        VBP_ROLE_DISTRIBUTOR, VBP_ROLE_SERVICE, VBP_ROLE_NONE}) {
    vbp_caller other = test_caller(role, "someone", "350000");
    EXPECT_FALSE(vbp_scope_supervisor(&other)) << role;
  }
}

TEST(Scope, ABureauCreatesPartiesInItsRegionAndOnlyLowerBureaus) {
  const vbp_role parties[] = {VBP_ROLE_INSURANCE_AGENCY, VBP_ROLE_MEDICAL_INSTITUTION,
                              VBP_ROLE_MANUFACTURER, VBP_ROLE_DISTRIBUTOR};
  for (vbp_role kind : parties) {
    EXPECT_TRUE(vbp_scope_organization(&kFujian, kind, "350000")) << kind;
    EXPECT_TRUE(vbp_scope_organization(&kFujian, kind, "350102")) << kind;
    EXPECT_FALSE(vbp_scope_organization(&kFujian, kind, "360000")) << kind;
    EXPECT_TRUE(vbp_scope_organization(&kFuzhou, kind, "350100")) << kind;
    EXPECT_FALSE(vbp_scope_organization(&kFuzhou, kind, "350000")) << kind;
    EXPECT_FALSE(vbp_scope_organization(&kFuzhou, kind, "350200")) << kind;
    EXPECT_TRUE(vbp_scope_organization(&kAdmin, kind, "620000")) << kind;
  }
  /* Bureaus: strictly lower, inside. */
  EXPECT_FALSE(vbp_scope_organization(&kFujian, VBP_ROLE_BUREAU, "350000"));
  EXPECT_TRUE(vbp_scope_organization(&kFujian, VBP_ROLE_BUREAU, "350100"));
  EXPECT_TRUE(vbp_scope_organization(&kFujian, VBP_ROLE_BUREAU, "350102"));
  EXPECT_FALSE(vbp_scope_organization(&kFujian, VBP_ROLE_BUREAU, "360000"));
  EXPECT_FALSE(vbp_scope_organization(&kFuzhou, VBP_ROLE_BUREAU, "350100"));
  EXPECT_TRUE(vbp_scope_organization(&kFuzhou, VBP_ROLE_BUREAU, "350102"));
  EXPECT_FALSE(vbp_scope_organization(&kFuzhou, VBP_ROLE_BUREAU, "350000"));
  EXPECT_TRUE(vbp_scope_organization(&kAdmin, VBP_ROLE_BUREAU, "350000"));
  /* An alliance office is the admin's alone, wherever it is. */
  EXPECT_FALSE(vbp_scope_organization(&kFujian, VBP_ROLE_ALLIANCE_OFFICE, "350000"));
  EXPECT_FALSE(vbp_scope_organization(&kFujian, VBP_ROLE_ALLIANCE_OFFICE, "350100"));
  EXPECT_TRUE(vbp_scope_organization(&kAdmin, VBP_ROLE_ALLIANCE_OFFICE, "360000"));
  /* Nobody but a bureau or the admin, and no role that is no organization kind. */
  EXPECT_FALSE(vbp_scope_organization(&kOffice, VBP_ROLE_MANUFACTURER, "360000"));
  EXPECT_FALSE(vbp_scope_organization(&kMaker, VBP_ROLE_MANUFACTURER, "350100"));
  EXPECT_FALSE(vbp_scope_organization(&kFujian, VBP_ROLE_ADMIN, "350100"));
  EXPECT_FALSE(vbp_scope_organization(&kFujian, VBP_ROLE_SERVICE, "350100"));
}

TEST(Scope, ARefusalIsPermissionDenied) {
  EXPECT_EQ(vbp_scope_denied().code, VBP_PERMISSION_DENIED);
}

}  // namespace
