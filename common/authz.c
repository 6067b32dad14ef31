#include "common/authz.h"

static const vbp_role by_bit[VBP_ROLES_COUNT] = {
    VBP_ROLE_ADMIN,
    VBP_ROLE_BUREAU,
    VBP_ROLE_INSURANCE_AGENCY,
    VBP_ROLE_ALLIANCE_OFFICE,
    VBP_ROLE_MEDICAL_INSTITUTION,
    VBP_ROLE_MANUFACTURER,
    VBP_ROLE_DISTRIBUTOR,
    VBP_ROLE_SERVICE,
};

vbp_role vbp_roles_role_at(int i) {
  return i >= 0 && i < VBP_ROLES_COUNT ? by_bit[i] : VBP_ROLE_NONE;
}

bool vbp_roles_allow(vbp_roles roles, vbp_role role) {
  if (roles & VBP_ALLOW_UNAUTHENTICATED) return true;
  for (int i = 0; i < VBP_ROLES_COUNT; i++)
    if (by_bit[i] == role) return (roles & (1u << i)) != 0;
  return false; /* VBP_ROLE_NONE or a role we do not know */
}
