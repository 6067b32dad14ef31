/* TEMPORARY (branch exch only): handlers not written yet. Each helper deletes its own. */
#include "pricing-svc/feed_handlers.h"
vbp_status pricing_list_service_changes(vbp_call *call, const ProtobufCMessage *request,
                                        ProtobufCMessage **response) {
  (void)call;
  (void)request;
  (void)response;
  return vbp_status_make(VBP_UNIMPLEMENTED, "not written yet");
}
