#include "volume-svc/inputs.h"

#include "volume-svc/handlers.h"
#include "volume-svc/rules.h"

vbp_status volume_inputs_get(vbp_call *call, const char *batch_code, const char *province,
                             const char *const *ids, size_t n, vbp_batch_inputs *out) {
  return vbp_batch_inputs_fetch(volume_of(call)->catalog, call, vbp_call_arena(call), batch_code,
                                province, ids, n, out);
}

const char *volume_unit_of(const Vbp__V1__Organization *org) {
  return *org->consortium_id ? org->consortium_id : org->id;
}

const char *volume_variety(vbp_arena *arena, const vbp_batch_inputs *in,
                           const Vbp__V1__Product *p) {
  if (in->kind == VOLUME_CONSUMABLE)
    return vbp_arena_printf(arena, "%s / %s", p->category, p->function);
  return p->generic_name;
}
