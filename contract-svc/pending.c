/* TEMPORARY (branch exch only): handlers not written yet. Each helper deletes its own. */
#include "contract-svc/handlers.h"
#define PENDING(name)                                                       \
  CONTRACT_HANDLER(name) {                                                  \
    (void)call;                                                             \
    (void)request;                                                          \
    (void)response;                                                         \
    return vbp_status_make(VBP_UNIMPLEMENTED, #name " is not written yet"); \
  }
