/* Scope: which resources a caller's allowed methods reach. The method table (authz.h) has already
 * refused every role that may not call a method at all; a handler then asks one of these named
 * questions about the resource at hand, never compares roles itself. A refusal here is
 * PERMISSION_DENIED whether or not the resource exists (AIP-211). Pure and thread-safe. */
#ifndef VBP_SCOPE_H
#define VBP_SCOPE_H

#include <stdbool.h>

#include "common/identity.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The admin key: its scope is everything. */
bool vbp_scope_is_admin(const vbp_caller *caller);

/* The caller acts in region_code: the admin anywhere, a bureau in its region and below it. */
bool vbp_scope_region(const vbp_caller *caller, const char *region_code);

/* The caller acts strictly below its own region: the admin anywhere, a bureau in the regions
 * under its own (a bureau creates the regions below it, never its own or one beside it). */
bool vbp_scope_below_region(const vbp_caller *caller, const char *region_code);

/* The caller is organization org_id, or the admin: the batch an alliance office created, a
 * party's own reports and signatures. */
bool vbp_scope_own(const vbp_caller *caller, const char *org_id);

/* The caller may write for organization org_id: an authority (the admin, a bureau, an alliance
 * office) for any, a party (agency, institution, manufacturer, distributor) only for itself. */
bool vbp_scope_acts_for(const vbp_caller *caller, const char *org_id);

/* The caller may create an organization of role `kind` in region_code, and mint or revoke the
 * keys of one: the admin any; a bureau, inside its region, the parties (INSURANCE_AGENCY,
 * MEDICAL_INSTITUTION, MANUFACTURER, DISTRIBUTOR) and bureaus of a lower level than its own.
 * Nobody else, and never an organization whose role could do what the caller cannot: an
 * ALLIANCE_OFFICE, or a bureau of the caller's level or above, is the admin's alone. */
bool vbp_scope_organization(const vbp_caller *caller, vbp_role kind, const char *region_code);

/* The caller acts for province as its provincial authority: the admin, or a PROVINCE-level
 * bureau of that province (allocations, contract generation and termination). */
bool vbp_scope_provincial(const vbp_caller *caller, const char *province);

/* The caller supervises enterprises and may read any enterprise's record (API.md "Who may do
 * what"): the admin, or a bureau, which sees only the entries in its region (vbp_scope_region). */
bool vbp_scope_supervisor(const vbp_caller *caller);

/* The answer to a caller out of scope: PERMISSION_DENIED, the same whether or not the resource
 * exists. */
vbp_status vbp_scope_denied(void);

#ifdef __cplusplus
}
#endif
#endif
