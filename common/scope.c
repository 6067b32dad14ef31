#include "common/scope.h"

#include <string.h>

#include "common/regions.h"

bool vbp_scope_is_admin(const vbp_caller *caller) { return caller->role == VBP_ROLE_ADMIN; }

bool vbp_scope_region(const vbp_caller *caller, const char *region_code) {
  if (vbp_scope_is_admin(caller)) return true;
  return caller->role == VBP_ROLE_BUREAU && vbp_region_contains(caller->region_code, region_code);
}

bool vbp_scope_below_region(const vbp_caller *caller, const char *region_code) {
  if (vbp_scope_is_admin(caller)) return true;
  return vbp_scope_region(caller, region_code) && strcmp(caller->region_code, region_code) != 0;
}

bool vbp_scope_own(const vbp_caller *caller, const char *org_id) {
  if (vbp_scope_is_admin(caller)) return true;
  return *caller->org_id && org_id && strcmp(caller->org_id, org_id) == 0;
}

static bool authority(vbp_role role) {
  return role == VBP_ROLE_ADMIN || role == VBP_ROLE_BUREAU || role == VBP_ROLE_ALLIANCE_OFFICE;
}

bool vbp_scope_acts_for(const vbp_caller *caller, const char *org_id) {
  return authority(caller->role) || vbp_scope_own(caller, org_id);
}

bool vbp_scope_organization(const vbp_caller *caller, vbp_role kind, const char *region_code) {
  if (vbp_scope_is_admin(caller)) return true;
  switch (kind) {
    case VBP_ROLE_INSURANCE_AGENCY:
    case VBP_ROLE_MEDICAL_INSTITUTION:
    case VBP_ROLE_MANUFACTURER:
    case VBP_ROLE_DISTRIBUTOR:
      return vbp_scope_region(caller, region_code);
    case VBP_ROLE_BUREAU: /* a bureau's level is its region's: strictly below is lower */
      return vbp_scope_below_region(caller, region_code);
    default: /* ALLIANCE_OFFICE, and anything that is no organization kind */
      return false;
  }
}

bool vbp_scope_supervisor(const vbp_caller *caller) {
  return vbp_scope_is_admin(caller) || caller->role == VBP_ROLE_BUREAU;
}

vbp_status vbp_scope_denied(void) {
  return vbp_status_make(VBP_PERMISSION_DENIED, "the caller may not do this");
}

bool vbp_scope_provincial(const vbp_caller *caller, const char *province) {
  return vbp_scope_is_admin(caller) ||
         (caller->role == VBP_ROLE_BUREAU && vbp_region_level_of(caller->region_code) == 1 &&
          vbp_scope_region(caller, province));
}
