/* ListServiceChanges: this service's own part of the change feed, for catalog-svc, which merges
 * the services' parts (common/feed.h has the table and the filtering). */
#include "common/feed.h"
#include "contract-svc/handlers.h"
#include "contract-svc/service.h"

vbp_status contract_list_service_changes(vbp_call *call, const ProtobufCMessage *request,
                                         ProtobufCMessage **response) {
  const Vbp__V1__ListServiceChangesRequest *in =
      (const Vbp__V1__ListServiceChangesRequest *)request;
  const contract_service *svc = vbp_call_context(call);
  vbp_arena *arena = vbp_call_arena(call);
  Vbp__V1__ListServiceChangesResponse *out = vbp_arena_alloc(arena, sizeof *out);
  vbp__v1__list_service_changes_response__init(out);
  VBP_CHECK(vbp_feed_list_service_changes(svc->pool, arena, in, out));
  *response = &out->base;
  return vbp_status_ok();
}
