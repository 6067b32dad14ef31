/* VolumeService's method table and what its handlers share. */
#include "volume-svc/service.h"

#include <stdlib.h>

#include "common/authz.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"

volume_service *volume_of(vbp_call *call) { return vbp_call_context(call); }

const char *volume_page_secret(vbp_call *call) {
  return vbp_authenticator_secret(volume_of(call)->auth);
}

vbp_status volume_in_tx(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out) {
  volume_tx t = {.call = call, .in = in};
  vbp_status st = vbp_pg_transaction(volume_of(call)->pool, fn, &t);
  if (vbp_ok(&st)) *out = t.out;
  return st;
}

vbp_status volume_in_read(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out) {
  volume_tx t = {.call = call, .in = in};
  vbp_status st = vbp_pg_read(volume_of(call)->pool, fn, &t);
  if (vbp_ok(&st)) *out = t.out;
  return st;
}

bool volume_ready(void *context) { return vbp_pg_ready(((volume_service *)context)->pool); }

#define ADMIN VBP_ALLOW_ADMIN
#define BUREAU VBP_ALLOW_BUREAU
#define AGENCY VBP_ALLOW_INSURANCE_AGENCY
#define INSTITUTION VBP_ALLOW_MEDICAL_INSTITUTION
#define MANUFACTURER VBP_ALLOW_MANUFACTURER
#define SERVICE VBP_ALLOW_SERVICE

#define UNARY(name, req, resp, fn, who)                                   \
  {                                                                       \
    .path = "/vbp.v1.VolumeService/" name, .request = &req##__descriptor, \
    .response = &resp##__descriptor, .unary = fn, .roles = (who)          \
  }

/* Roles from API.md "Who may do what"; the handlers narrow each to its scope (common/scope.h). */
const vbp_method volume_methods[] = {
    UNARY("SubmitDemand", vbp__v1__demand_report, vbp__v1__demand_report, volume_submit_demand,
          ADMIN | INSTITUTION),
    UNARY("ReviewDemand", vbp__v1__review_demand_request, vbp__v1__demand_report,
          volume_review_demand, ADMIN | BUREAU),
    UNARY("ComputeAllocations", vbp__v1__compute_allocations_request,
          vbp__v1__compute_allocations_response, volume_compute_allocations, ADMIN | BUREAU),
    UNARY("ListAllocations", vbp__v1__list_allocations_request, vbp__v1__list_allocations_response,
          volume_list_allocations, ADMIN | BUREAU | INSTITUTION | MANUFACTURER | SERVICE),
    UNARY("RecordPurchase", vbp__v1__purchase, vbp__v1__purchase, volume_record_purchase,
          ADMIN | INSTITUTION),
    UNARY("ReportSupplyIssue", vbp__v1__supply_issue, vbp__v1__supply_issue,
          volume_report_supply_issue, ADMIN | INSTITUTION),
    UNARY("GetProgress", vbp__v1__get_progress_request, vbp__v1__get_progress_response,
          volume_get_progress, ADMIN | BUREAU | INSTITUTION | MANUFACTURER | SERVICE),
    UNARY("Assess", vbp__v1__assess_request, vbp__v1__assess_response, volume_assess,
          ADMIN | BUREAU | INSTITUTION),
    UNARY("GetPrepayment", vbp__v1__get_prepayment_request, vbp__v1__prepayment,
          volume_get_prepayment, ADMIN | BUREAU | AGENCY | INSTITUTION),
    UNARY("RecordPurchases", vbp__v1__record_purchases_request, vbp__v1__record_purchases_response,
          volume_record_purchases, ADMIN | INSTITUTION),
    UNARY("VerifySupplyIssue", vbp__v1__verify_supply_issue_request, vbp__v1__supply_issue,
          volume_verify_supply_issue, ADMIN | BUREAU),
    UNARY("FreezeAllocations", vbp__v1__freeze_allocations_request,
          vbp__v1__freeze_allocations_response, volume_freeze_allocations, SERVICE),
    UNARY("ListServiceChanges", vbp__v1__list_service_changes_request,
          vbp__v1__list_service_changes_response, volume_list_service_changes, SERVICE),
    UNARY("ListRecordEntries", vbp__v1__list_record_entries_request, vbp__v1__enterprise_record,
          volume_list_record_entries, SERVICE),
    {.path = "/vbp.v1.VolumeService/ExportPart",
     .request = &vbp__v1__export_part_request__descriptor,
     .response = &vbp__v1__volume_exchange_record__descriptor,
     .stream = volume_export_part,
     .roles = SERVICE},
    UNARY("PrepareImport", vbp__v1__prepare_volume_import_request, vbp__v1__prepare_import_response,
          volume_prepare_import, SERVICE),
    UNARY("FinishImport", vbp__v1__finish_import_request, vbp__v1__finish_import_response,
          volume_finish_import, SERVICE),
};
const size_t volume_methods_count = sizeof volume_methods / sizeof volume_methods[0];
