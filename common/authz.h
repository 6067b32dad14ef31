/* Who may call a method, as data: each row of a service's method table (rpc.h) carries the set of
 * roles allowed to call it, and the server refuses every other caller with PERMISSION_DENIED
 * before the handler runs. Handlers are left with scope (scope.h). The whole matrix is printed
 * from the tables into api/authz.txt (tests/unit/authz_matrix_test.cpp compares the two), so a
 * change of who may call what is a reviewed diff. Pure and thread-safe. */
#ifndef VBP_AUTHZ_H
#define VBP_AUTHZ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/identity.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A set of roles: one bit each. 0 allows nobody, and a server refuses to start with such a row,
 * so every method must say who may call it. */
typedef uint32_t vbp_roles;

#define VBP_ALLOW_ADMIN (1u << 0)
#define VBP_ALLOW_BUREAU (1u << 1)
#define VBP_ALLOW_INSURANCE_AGENCY (1u << 2)
#define VBP_ALLOW_ALLIANCE_OFFICE (1u << 3)
#define VBP_ALLOW_MEDICAL_INSTITUTION (1u << 4)
#define VBP_ALLOW_MANUFACTURER (1u << 5)
#define VBP_ALLOW_DISTRIBUTOR (1u << 6)
/* One of our own services, proved by signed metadata: internal methods allow only this. */
#define VBP_ALLOW_SERVICE (1u << 7)
/* Every authenticated caller: the reference reads of API.md "Who may do what". */
#define VBP_ALLOW_ANY_CALLER (0xffu)
/* No caller needed at all (health checks): the call is not authenticated. */
#define VBP_ALLOW_UNAUTHENTICATED (1u << 31)

/* Whether roles lets a caller of role call. */
bool vbp_roles_allow(vbp_roles roles, vbp_role role);

/* The role behind bit i (0..7) of a vbp_roles, in the order of the VBP_ALLOW_ bits. */
vbp_role vbp_roles_role_at(int i);
#define VBP_ROLES_COUNT 8

#ifdef __cplusplus
}
#endif
#endif
