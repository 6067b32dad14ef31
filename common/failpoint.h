/* Named failure points for tests: code that must survive a failure at a given place asks
 * vbp_failpoint("volume.import.prepare") there and fails as if the step had failed when the
 * point is armed. Armed in-process through vbp_failpoint_set (integration tests), or for a
 * whole process through the environment: VBP_FAILPOINTS="a.b,c.d" (stack tests). Unarmed, a
 * point costs a mutex and a string compare per armed point. */
#ifndef VBP_FAILPOINT_H
#define VBP_FAILPOINT_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether point `name` is armed (set here, or named in VBP_FAILPOINTS). Thread-safe. */
bool vbp_failpoint(const char *name);

/* Arms (armed true) or disarms point `name` for this process. Thread-safe. */
void vbp_failpoint_set(const char *name, bool armed);

#ifdef __cplusplus
}
#endif
#endif
