#include "volume-svc/inputs.h"

#include "volume-svc/handlers.h"
#include "volume-svc/rules.h"

vbp_status volume_inputs_get(vbp_call *call, const char *batch_code, const char *province,
                             const char *const *ids, size_t n, vbp_batch_inputs *out) {
  const volume_service *s = volume_of(call);
  if (n == 0)
    return vbp_batch_inputs_kept(s->catalog, s->inputs, call, vbp_call_arena(call), batch_code,
                                 province, out);
  return vbp_batch_inputs_fetch(s->catalog, call, vbp_call_arena(call), batch_code, province, ids,
                                n, out);
}

vbp_batch_inputs_ask *volume_inputs_start(vbp_call *call, const char *batch_code,
                                          const char *province) {
  return vbp_batch_inputs_start(volume_of(call)->catalog, volume_of(call)->inputs, call, batch_code,
                                province);
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
