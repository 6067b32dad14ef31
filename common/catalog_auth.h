/* Resolving a bearer key through catalog-svc, for every service but catalog-svc itself (which
 * reads its own table), and learning which keys were revoked: Authenticate and
 * ListKeyRevocations are called as the SERVICE role, signed with the internal secret. Plug them
 * into vbp_authenticator_create and vbp_authenticator_watch. */
#ifndef VBP_CATALOG_AUTH_H
#define VBP_CATALOG_AUTH_H

#include "common/identity.h"
#include "common/rpc.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A vbp_key_resolver. ctx is a vbp_client to catalog-svc opened with the internal secret
 * (borrowed; it must outlive the authenticator). NOT_FOUND for an unknown or revoked key;
 * UNAVAILABLE when catalog-svc cannot answer. Thread-safe. */
vbp_status vbp_catalog_resolve_key(void *ctx, const char *key_sha256, vbp_caller *out);

/* A vbp_revocation_source, ctx as above: ListKeyRevocations. UNAVAILABLE when catalog-svc
 * cannot answer (or answers a key that is not a SHA-256). Thread-safe. */
vbp_status vbp_catalog_key_revocations(void *ctx, long long after_version,
                                       vbp_key_revocations *out);

#ifdef __cplusplus
}
#endif
#endif
