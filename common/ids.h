/* The shape of ids clients choose (organizations, products, groups, batch codes), the same in
 * every service: 1 to 64 characters from A-Z a-z 0-9 '.', '_', '-'. Pure and thread-safe. */
#ifndef VBP_IDS_H
#define VBP_IDS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when id (not NULL) has that shape. */
bool vbp_valid_id(const char *id);

#ifdef __cplusplus
}
#endif
#endif
