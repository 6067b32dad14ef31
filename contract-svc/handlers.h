/* What the handler files of contract-svc share (private to contract-svc): the service of a call,
 * transactions with the call's input and output, ids, and the RPC handlers for service.c's
 * method table. */
#ifndef CONTRACT_HANDLERS_H
#define CONTRACT_HANDLERS_H

#include "common/arena.h"
#include "common/pg.h"
#include "common/rpc.h"
#include "common/status.h"
#include "contract-svc/service.h"

/* One call's work inside a transaction: its input and, on OK, its answer. */
typedef struct contract_tx {
  vbp_call *call;
  const void *in;
  ProtobufCMessage *out;
} contract_tx;

contract_service *contract_of(vbp_call *call);

/* fn in a write transaction (retried on serialization failures) or a read, with t.in = in;
 * *out = t.out on OK. */
vbp_status contract_in_tx(vbp_call *call, vbp_pg_tx_fn fn, const void *in, ProtobufCMessage **out);
vbp_status contract_in_read(vbp_call *call, vbp_pg_tx_fn fn, const void *in,
                            ProtobufCMessage **out);

/* The secret page tokens are keyed with (the internal one, which every replica has). */
const char *contract_page_secret(vbp_call *call);

/* SQL for a timestamptz column as an RFC 3339 time in China ("2024-07-22T09:30:00+08:00"). */
#define CONTRACT_SQL_TIME(col)      \
  "to_char(" col                    \
  " AT TIME ZONE 'Asia/Shanghai', " \
  "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"

#define CONTRACT_HANDLER(name) \
  vbp_status name(vbp_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)

CONTRACT_HANDLER(contract_authorize_distributor);
CONTRACT_HANDLER(contract_authorize_agency);
CONTRACT_HANDLER(contract_generate);
CONTRACT_HANDLER(contract_create);
CONTRACT_HANDLER(contract_get);
CONTRACT_HANDLER(contract_list);
CONTRACT_HANDLER(contract_sign);
CONTRACT_HANDLER(contract_renew);
CONTRACT_HANDLER(contract_terminate);
CONTRACT_HANDLER(contract_assign_distributor);
CONTRACT_HANDLER(contract_withdraw_distributor);
CONTRACT_HANDLER(contract_register_key);
CONTRACT_HANDLER(contract_retire_key);
/* Internal, for catalog-svc: the change feed (changes.c), the supervision record (record.c),
 * the alliance exchange (export.c, import.c). */
CONTRACT_HANDLER(contract_list_service_changes);
CONTRACT_HANDLER(contract_list_record_entries);
CONTRACT_HANDLER(contract_prepare_import);
CONTRACT_HANDLER(contract_finish_import);
vbp_status contract_export_part(vbp_call *call, const ProtobufCMessage *request);

#endif
