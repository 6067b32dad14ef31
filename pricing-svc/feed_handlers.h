/* PricingService's internal methods for catalog-svc (no HTTP route, SERVICE callers): its own
 * change feed (changes.c) and every listing of some products for the supervision record
 * (listings.c). service.c's method table names them. */
#ifndef PRICING_FEED_HANDLERS_H
#define PRICING_FEED_HANDLERS_H

#include "common/rpc.h"
#include "common/status.h"

vbp_status pricing_list_service_changes(vbp_call *call, const ProtobufCMessage *request,
                                        ProtobufCMessage **response);
vbp_status pricing_list_listings(vbp_call *call, const ProtobufCMessage *request,
                                 ProtobufCMessage **response);

#endif
