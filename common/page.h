/* List pagination (AIP-158): page sizes and opaque page tokens. A token carries the last key
 * of the page it ends and a hash of the query it belongs to, so a token cannot be replayed on
 * another query. */
#ifndef VBP_PAGE_H
#define VBP_PAGE_H

#include <stdint.h>

#include "common/arena.h"
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
 * queries, e.g. "organizations|kind=1|region=35"). Allocated in arena. */
char *vbp_page_token_encode(vbp_arena *arena, const char *scope, const char *last_key);

/* The last key in token ("" for an empty token, the first page). INVALID_ARGUMENT on pageToken
 * when the token is malformed or belongs to another query. */
vbp_status vbp_page_token_decode(vbp_arena *arena, const char *scope, const char *token,
                                 const char **last_key);

#ifdef __cplusplus
}
#endif
#endif
