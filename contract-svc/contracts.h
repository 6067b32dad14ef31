/* The contract rows every handler of contract-svc works on (private to contract-svc): reading one
 * with its signatures and history, creating one with its CREATE event, appending to the history
 * (C9), who may read one, and the state a read shows. */
#ifndef CONTRACT_CONTRACTS_H
#define CONTRACT_CONTRACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/date.h"
#include "common/identity.h"
#include "common/money.h"
#include "common/pg.h"
#include "common/rpc.h"
#include "common/status.h"
#include "contract-svc/rules.h"
#include "vbp/v1/contract.pb-c.h"

/* A stored contract: the message (state as stored) and what the rules need beside it. */
typedef struct contract_row {
  Vbp__V1__Contract *c;
  int kind;                /* the batch's */
  unsigned signed_parties; /* CONTRACT_PARTY_BIT of each party that signed */
  char *institution_region, *area_code;
  char *renews; /* the contract of the year before it renews, or "" */
  vbp_date period_end;
} contract_row;

/* Contract `id` (FOR UPDATE when lock) with its signatures, and its history when history;
 * *out NULL when there is none. */
vbp_status contract_find(vbp_pg_conn *c, vbp_arena *a, const char *id, bool lock, bool history,
                         contract_row **out);

/* The contracts of batch_code in province with id > after, by id, at most limit, without their
 * signatures or history (ExportPart reads those for a whole page at once). *out is an array in
 * a of *n. */
vbp_status contract_list_page(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                              const char *province, const char *after, int limit,
                              contract_row ***out, size_t *n);

/* What a new contract is made of (C1): its parties, product, price, quantity and period. */
typedef struct contract_new {
  const char *batch_code, *province, *institution_id, *institution_region, *area_code;
  const char *manufacturer_id, *distributor_id, *product_id, *renews;
  int kind, agreement_year;
  vbp_money price;
  int64_t quantity;
  vbp_date period_start, period_end;
} contract_new;

/* Inserts n as a DRAFT with its CREATE event (note: what made it) by `who`. One contract per
 * institution x product x agreement year of a batch: when one is there already, nothing is
 * written and *out is that one with *created false. */
vbp_status contract_insert(vbp_pg_conn *c, vbp_arena *a, const contract_new *n,
                           const vbp_caller *who, const char *note, contract_row **out,
                           bool *created);

/* Whether the stored contract r is what n would make (a retried create). */
bool contract_same(const contract_row *r, const contract_new *n);

/* One history entry (C9) of contract_id by `who`; the history table takes nothing else. */
typedef struct contract_event {
  int action, from_state, to_state;
  const char *document_sha256, *note, *key_id, *signature;
} contract_event;
vbp_status contract_append(vbp_pg_conn *c, const char *contract_id, const vbp_caller *who,
                           const contract_event *e);

/* Records a change of contract_id ("created", "updated") in the change feed, for its parties
 * (institution, manufacturer, distributor), where its institution is. contract_append does it
 * for every event it appends. */
vbp_status contract_record(vbp_pg_conn *c, const char *contract_id, const char *action);

/* Sets the stored state (and signed parties) of contract_id. */
vbp_status contract_set_state(vbp_pg_conn *c, const char *contract_id, int state,
                              unsigned signed_parties);

/* Whether `who` may read r (API.md "Who may do what"): the admin and our services; a bureau or
 * an insurance agency in whose region the institution is; the contract's institution,
 * manufacturer and distributor; an alliance office for the batches it created
 * (batch_created_by, or NULL when not known: refused). */
bool contract_may_read(const vbp_caller *who, const contract_row *r, const char *batch_created_by);

/* The state r shows today (contract_state_on: EXPIRED after its period), into r->c->state. */
void contract_show_state(contract_row *r, vbp_date today);

/* The actor of `who` as the history names it: its organization and its role's name ("ADMIN"). */
const char *contract_actor_role(const vbp_caller *who);

/* The name of a vbp.v1.ContractState ("EFFECTIVE"), for messages. */
const char *contract_state_name(int state);

/* Money of a row as the answer writes it ("30.0000"), in arena. */
char *contract_money(vbp_arena *a, vbp_money m);

/* The signing windows of batch_code's execution in province (C2, C4), asked of the catalog
 * once and kept (executions never change them). NOT_FOUND when the catalog has no such
 * execution. */
vbp_status contract_windows_get(vbp_call *call, const char *batch_code, const char *province,
                                contract_windows *w);

#endif
