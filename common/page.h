/* List pagination (AIP-158): page sizes and opaque page tokens. A token carries the last key of
 * the page it ends, encrypted, and a MAC keyed with the servers' secret over that key, the query
 * and the caller: nobody without the secret can read one or make one, and a token works only on
 * the query and for the caller it was made for. */
#ifndef VBP_PAGE_H
#define VBP_PAGE_H

#include <stdint.h>

#include "common/arena.h"
#include "common/identity.h"
#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VBP_PAGE_SIZE_DEFAULT 50
#define VBP_PAGE_SIZE_MAX 500

/* 0 gives the default, more than the maximum gives the maximum, a negative size is
 * INVALID_ARGUMENT on pageSize. */
vbp_status vbp_page_size(int32_t requested, int *out);

/* The token after last_key for the query named by scope (any text that differs between
 * queries, e.g. "organizations|kind=1|region=35"), made for caller and keyed with secret
 * (VBP_INTERNAL_SECRET, which every service has): base64url without padding, allocated in
 * arena. Thread-safe. */
char *vbp_page_token_encode(vbp_arena *arena, const char *secret, const vbp_caller *caller,
                            const char *scope, const char *last_key);

/* The last key in token ("" for an empty or NULL token, the first page), allocated in arena.
 * INVALID_ARGUMENT on pageToken for a token that is malformed, altered, forged, or made for
 * another query or another caller. Thread-safe. */
vbp_status vbp_page_token_decode(vbp_arena *arena, const char *secret, const vbp_caller *caller,
                                 const char *scope, const char *token, const char **last_key);

#ifdef __cplusplus
}
#endif
#endif
