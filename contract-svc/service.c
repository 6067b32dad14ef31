/* ContractService's method table and what its handlers share. */
#include "contract-svc/service.h"

#include "common/authz.h"
#include "contract-svc/handlers.h"
#include "vbp/v1/contract.pb-c.h"

contract_service *contract_of(vbp_call *call) { return vbp_call_context(call); }

const char *contract_page_secret(vbp_call *call) {
  return vbp_authenticator_secret(contract_of(call)->auth);
}

vbp_status contract_in_tx(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out) {
  contract_tx t = {.call = call, .in = in};
  vbp_status st = vbp_pg_transaction(contract_of(call)->pool, fn, &t);
  if (vbp_ok(&st)) *out = t.out;
  return st;
}

vbp_status contract_in_read(vbp_call *call, vbp_pg_tx_fn fn, const void *in,
                            ProtobufCMessage **out) {
  contract_tx t = {.call = call, .in = in};
  vbp_status st = vbp_pg_read(contract_of(call)->pool, fn, &t);
  if (vbp_ok(&st)) *out = t.out;
  return st;
}

bool contract_ready(void *context) { return vbp_pg_ready(((contract_service *)context)->pool); }

#define ADMIN VBP_ALLOW_ADMIN
#define BUREAU VBP_ALLOW_BUREAU
#define AGENCY VBP_ALLOW_INSURANCE_AGENCY
#define ALLIANCE VBP_ALLOW_ALLIANCE_OFFICE
#define INSTITUTION VBP_ALLOW_MEDICAL_INSTITUTION
#define MANUFACTURER VBP_ALLOW_MANUFACTURER
#define DISTRIBUTOR VBP_ALLOW_DISTRIBUTOR
#define PARTIES (INSTITUTION | MANUFACTURER | DISTRIBUTOR)

#define UNARY(name, req, resp, fn, who)                                     \
  {                                                                         \
    .path = "/vbp.v1.ContractService/" name, .request = &req##__descriptor, \
    .response = &resp##__descriptor, .unary = fn, .roles = (who)            \
  }

/* Roles from API.md "Who may do what"; the handlers narrow each to its scope (common/scope.h).
 * Signing is the parties' own: the admin key signs for nobody. */
const vbp_method contract_methods[] = {
    UNARY("AuthorizeDistributor", vbp__v1__authorize_distributor_request, vbp__v1__authorization,
          contract_authorize_distributor, ADMIN | MANUFACTURER),
    UNARY("AuthorizeAgency", vbp__v1__authorize_agency_request, vbp__v1__authorization,
          contract_authorize_agency, ADMIN | INSTITUTION),
    UNARY("GenerateContracts", vbp__v1__generate_contracts_request,
          vbp__v1__generate_contracts_response, contract_generate, ADMIN | BUREAU),
    UNARY("CreateContract", vbp__v1__contract, vbp__v1__contract, contract_create, ADMIN | BUREAU),
    UNARY("GetContract", vbp__v1__get_contract_request, vbp__v1__contract, contract_get,
          ADMIN | BUREAU | AGENCY | ALLIANCE | PARTIES),
    UNARY("ListContracts", vbp__v1__list_contracts_request, vbp__v1__list_contracts_response,
          contract_list, ADMIN | BUREAU | AGENCY | ALLIANCE | PARTIES),
    UNARY("SignContract", vbp__v1__sign_contract_request, vbp__v1__contract, contract_sign,
          AGENCY | PARTIES),
    UNARY("RenewContract", vbp__v1__renew_contract_request, vbp__v1__contract, contract_renew,
          ADMIN | BUREAU | INSTITUTION),
    UNARY("TerminateContract", vbp__v1__terminate_contract_request, vbp__v1__contract,
          contract_terminate, ADMIN | BUREAU),
    UNARY("AssignDistributor", vbp__v1__assign_distributor_request, vbp__v1__contract,
          contract_assign_distributor, ADMIN | MANUFACTURER),
    UNARY("WithdrawDistributor", vbp__v1__withdraw_distributor_request, google__protobuf__empty,
          contract_withdraw_distributor, ADMIN | MANUFACTURER),
    UNARY("RegisterSigningKey", vbp__v1__signing_key, vbp__v1__signing_key, contract_register_key,
          ADMIN | BUREAU | AGENCY | ALLIANCE | PARTIES),
    UNARY("RetireSigningKey", vbp__v1__retire_signing_key_request, google__protobuf__empty,
          contract_retire_key, ADMIN | BUREAU | AGENCY | ALLIANCE | PARTIES),
    UNARY("ListServiceChanges", vbp__v1__list_service_changes_request,
          vbp__v1__list_service_changes_response, contract_list_service_changes, VBP_ALLOW_SERVICE),
    UNARY("ListRecordEntries", vbp__v1__list_record_entries_request, vbp__v1__enterprise_record,
          contract_list_record_entries, VBP_ALLOW_SERVICE),
    {.path = "/vbp.v1.ContractService/ExportPart",
     .request = &vbp__v1__export_part_request__descriptor,
     .response = &vbp__v1__contract__descriptor,
     .stream = contract_export_part,
     .roles = VBP_ALLOW_SERVICE},
    UNARY("PrepareImport", vbp__v1__prepare_contract_import_request,
          vbp__v1__prepare_import_response, contract_prepare_import, VBP_ALLOW_SERVICE),
    UNARY("FinishImport", vbp__v1__finish_import_request, vbp__v1__finish_import_response,
          contract_finish_import, VBP_ALLOW_SERVICE),
};
const size_t contract_methods_count = sizeof contract_methods / sizeof contract_methods[0];
