/* contract-svc's calls to volume-svc (volume_client.h), as one of our services (SERVICE caller,
 * the call's request id): every page of a year's allocations, and freezing the year. */
#include "contract-svc/volume_client.h"

#include <string.h>

#include "contract-svc/handlers.h"

#define VOLUME_TIMEOUT_MS 5000
#define VOLUME_PAGE 500 /* ListAllocations' largest page */

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

/* The call's options: a page never outlives the client's own deadline. */
static vbp_call_options options_of(vbp_call *call) {
  int64_t left = vbp_call_remaining_ms(call);
  vbp_call_options o = {.timeout_ms = VOLUME_TIMEOUT_MS,
                        .caller = &service_caller,
                        .request_id = vbp_call_request_id(call)};
  if (left < VOLUME_TIMEOUT_MS) o.timeout_ms = left > 0 ? (int)left : 1;
  return o;
}

/* volume-svc's refusals of what the caller named pass through; anything else is volume-svc not
 * answering, which is no fault of the caller's. */
static vbp_status volume_error(const vbp_status *st) {
  if (st->code == VBP_INVALID_ARGUMENT || st->code == VBP_NOT_FOUND) return *st;
  return vbp_status_make(VBP_UNAVAILABLE, "volume-svc: %s", st->message);
}

vbp_status contract_allocations(vbp_call *call, vbp_arena *a, const char *batch_code,
                                const char *province, const char *institution_id,
                                int agreement_year, Vbp__V1__Allocation ***out, size_t *n) {
  const vbp_method *method = vbp_method_of(&vbp__v1__volume_service__descriptor, "ListAllocations");
  ProtobufCAllocator allocator = vbp_arena_allocator(a);
  Vbp__V1__Allocation **all = NULL;
  size_t count = 0, cap = 0;
  const char *token = "";
  do {
    Vbp__V1__ListAllocationsRequest req = VBP__V1__LIST_ALLOCATIONS_REQUEST__INIT;
    req.batch_code = (char *)batch_code;
    req.region_code = (char *)province;
    req.institution_id = (char *)(institution_id ? institution_id : "");
    req.agreement_year = agreement_year;
    req.page_size = VOLUME_PAGE;
    req.page_token = (char *)token;
    vbp_call_options options = options_of(call);
    ProtobufCMessage *message = NULL;
    vbp_status st = vbp_client_call(contract_of(call)->volume, method, &req.base, &options,
                                    &allocator, &message);
    if (!vbp_ok(&st)) return volume_error(&st);
    const Vbp__V1__ListAllocationsResponse *page =
        (const Vbp__V1__ListAllocationsResponse *)message;
    if (count + page->n_allocations > cap) {
      size_t grown = cap ? 2 * cap : VOLUME_PAGE;
      while (grown < count + page->n_allocations) grown *= 2;
      Vbp__V1__Allocation **more = vbp_arena_alloc(a, grown * sizeof *more);
      if (count) memcpy(more, all, count * sizeof *more);
      all = more;
      cap = grown;
    }
    for (size_t i = 0; i < page->n_allocations; i++) all[count++] = page->allocations[i];
    token = page->next_page_token;
  } while (token && *token);
  *out = all ? all : vbp_arena_alloc(a, sizeof *all);
  *n = count;
  return vbp_status_ok();
}

vbp_status contract_freeze_allocations(vbp_call *call, const char *batch_code, const char *province,
                                       int agreement_year) {
  Vbp__V1__FreezeAllocationsRequest req = VBP__V1__FREEZE_ALLOCATIONS_REQUEST__INIT;
  req.batch_code = (char *)batch_code;
  req.region_code = (char *)province;
  req.agreement_year = agreement_year;
  vbp_call_options options = options_of(call);
  ProtobufCAllocator allocator = vbp_arena_allocator(vbp_call_arena(call));
  ProtobufCMessage *message = NULL;
  vbp_status st =
      vbp_client_call(contract_of(call)->volume,
                      vbp_method_of(&vbp__v1__volume_service__descriptor, "FreezeAllocations"),
                      &req.base, &options, &allocator, &message);
  if (!vbp_ok(&st)) return volume_error(&st);
  return vbp_status_ok();
}
