/* What contract-svc asks of volume-svc (private to contract-svc): a year's allocations, and
 * freezing them when the year's contracts are generated (V3). */
#ifndef CONTRACT_VOLUME_CLIENT_H
#define CONTRACT_VOLUME_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/volume.pb-c.h"

/* Every allocation of batch_code in province for agreement_year (institution_id "" for all),
 * through every page of ListAllocations, into an arena array *out of *n. UNAVAILABLE when
 * volume-svc does not answer. */
vbp_status contract_allocations(vbp_call *call, vbp_arena *a, const char *batch_code,
                                const char *province, const char *institution_id,
                                int agreement_year, Vbp__V1__Allocation ***out, size_t *n);

/* FreezeAllocations of the year: ComputeAllocations refuses it from then on. */
vbp_status contract_freeze_allocations(vbp_call *call, const char *batch_code, const char *province,
                                       int agreement_year);

#endif
