/* The caller of an RPC: the organization behind the API key, its role and region. The gateway
 * (and a service calling another) passes it in gRPC metadata signed with HMAC-SHA256 under the
 * shared VBP_INTERNAL_SECRET; a direct client sends `authorization: Bearer <key>` instead. */
#ifndef VBP_IDENTITY_H
#define VBP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Organization kinds carry the numbers of vbp.v1.OrganizationKind; ADMIN (the configured admin
 * key) and SERVICE (one of our own services, only ever from signed metadata) are ours. */
typedef enum vbp_role {
  VBP_ROLE_NONE = 0,
  VBP_ROLE_BUREAU = 1,
  VBP_ROLE_INSURANCE_AGENCY = 2,
  VBP_ROLE_ALLIANCE_OFFICE = 3,
  VBP_ROLE_MEDICAL_INSTITUTION = 4,
  VBP_ROLE_MANUFACTURER = 5,
  VBP_ROLE_DISTRIBUTOR = 6,
  VBP_ROLE_ADMIN = 100,
  VBP_ROLE_SERVICE = 101,
} vbp_role;

#define VBP_ORG_ID_MAX 64
#define VBP_REGION_CODE_LEN 6

typedef struct vbp_caller {
  vbp_role role;
  char org_id[VBP_ORG_ID_MAX + 1];           /* "" for ADMIN and SERVICE */
  char region_code[VBP_REGION_CODE_LEN + 1]; /* "" for ADMIN and SERVICE */
} vbp_caller;

/* Metadata keys of a signed caller. */
#define VBP_MD_ORG "vbp-caller-org"
#define VBP_MD_ROLE "vbp-caller-role"
#define VBP_MD_REGION "vbp-caller-region"
#define VBP_MD_TS "vbp-caller-ts"
#define VBP_MD_SIG "vbp-caller-sig"

/* How far a signature's timestamp may be from now, either way. */
#define VBP_SIGNATURE_MAX_AGE_MS 60000

/* "BUREAU", ..., "ADMIN", "SERVICE"; NULL for an unknown role. */
const char *vbp_role_name(vbp_role role);
/* The role named name (as above), or VBP_ROLE_NONE. */
vbp_role vbp_role_parse(const char *name);

/* Who the caller is, for logs and per-caller keys: its organization id, or for the admin key
 * and our services the role name ("ADMIN", "SERVICE"); NULL for nobody. */
const char *vbp_caller_name(const vbp_caller *caller);

/* A caller's signed metadata values, ready to send. */
typedef struct vbp_signed_caller {
  char role[24];
  char ts[24];
  char sig[65]; /* lowercase hex HMAC-SHA256 */
} vbp_signed_caller;

/* Signs caller for one call of method (the gRPC path, so a signature cannot be replayed on
 * another method) at now_ms (Unix milliseconds). Thread-safe. */
void vbp_identity_sign(const char *secret, const char *method, const vbp_caller *caller,
                       int64_t now_ms, vbp_signed_caller *out);

/* Verifies signed metadata values (each NUL-terminated, NULL if absent). On success writes
 * *out. Returns UNAUTHENTICATED for a missing part, a bad signature, or a timestamp more than
 * VBP_SIGNATURE_MAX_AGE_MS from now_ms. Thread-safe. */
vbp_status vbp_identity_verify(const char *secret, const char *method, const char *org,
                               const char *role, const char *region, const char *ts,
                               const char *sig, int64_t now_ms, vbp_caller *out);

/* HMAC-SHA256 (RFC 2104) of text under key into mac. Thread-safe. */
void vbp_hmac_sha256(const void *key, size_t key_len, const void *text, size_t text_len,
                     unsigned char mac[32]);

/* Lowercase hex SHA-256 of data into out (65 bytes). */
void vbp_sha256_hex(const void *data, size_t len, char out[65]);

/* A fresh random id "<prefix>-<24 hex>" in arena (96 random bits: ids that cannot collide).
 * Aborts when the system has no entropy. Thread-safe. */
char *vbp_random_id(vbp_arena *arena, const char *prefix);

/* Compares two strings in time independent of where they differ. */
bool vbp_secure_equal(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
