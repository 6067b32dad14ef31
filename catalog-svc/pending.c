/* TEMPORARY (branch exch only): handlers not written yet. Each helper deletes its own. */
#include "catalog-svc/handlers.h"
#define PENDING(name)                                                       \
  CATALOG_HANDLER(name) {                                                   \
    (void)call;                                                             \
    (void)request;                                                          \
    (void)response;                                                         \
    return vbp_status_make(VBP_UNIMPLEMENTED, #name " is not written yet"); \
  }
PENDING(catalog_list_changes)
vbp_status catalog_watch_changes(vbp_call *call, const ProtobufCMessage *request) {
  (void)call;
  (void)request;
  return vbp_status_make(VBP_UNIMPLEMENTED, "not written yet");
}
