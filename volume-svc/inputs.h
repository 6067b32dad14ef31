/* volume-svc's view of the catalog: common/batch_inputs.h asked with volume-svc's catalog
 * client, and what the volume rules add to it (the unit an institution counts for, varieties). */
#ifndef VOLUME_INPUTS_H
#define VOLUME_INPUTS_H

#include "common/batch_inputs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vbp_batch_inputs_fetch into the call's arena, through volume-svc's catalog client; without
 * institutions, vbp_batch_inputs_kept in the service's memo of answers (volume_service.inputs). */
vbp_status volume_inputs_get(vbp_call *call, const char *batch_code, const char *province,
                             const char *const *ids, size_t n, vbp_batch_inputs *out);

/* vbp_batch_inputs_start through volume-svc's catalog client and memo; vbp_batch_inputs_answer
 * gives the inputs. */
vbp_batch_inputs_ask *volume_inputs_start(vbp_call *call, const char *batch_code,
                                          const char *province);

/* The institution that reports, is allocated and assessed for org: its consortium, or itself
 * (V1). */
const char *volume_unit_of(const Vbp__V1__Organization *org);

/* A product's variety (品种) in arena: its generic name for a drug, "category / function" for a
 * consumable, as Assess names it. */
const char *volume_variety(vbp_arena *arena, const vbp_batch_inputs *in, const Vbp__V1__Product *p);

#ifdef __cplusplus
}
#endif
#endif
