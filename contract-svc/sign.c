/* SignContract: a party's signature (C2 order and windows, C3 the agency for a hospital, C4 the
 * consumables' 30 days), checked against the signer's registered key when it has one, kept with
 * the state change in the contract's history (C9). */
#include <stdio.h>
#include <string.h>

#include "common/batch_inputs.h"
#include "common/clock.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/authorizations.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "contract-svc/signing.h"
#include "vbp/v1/contract.pb-c.h"

#define SIGNER_NAME_MAX 200
#define SIGNATURE_MAX 1024 /* base64 of the longest signature (DER ECDSA, SM2) is ~100 */

typedef struct sign {
  const Vbp__V1__SignContractRequest *in;
  bool agency; /* an insurance agency signs as the hospital (C3) */
  char document[65];
  unsigned char digest[32];
  /* Of the contract, as the first look found them: they never change. */
  const char *batch_code, *province;
  int agreement_year;
  contract_windows windows; /* the execution's, for the first agreement year (C2, C4) */
} sign;

static int hex_value(char h) { return h <= '9' ? h - '0' : h - 'a' + 10; }

/* ---------------------------------------------------------------- the first look */

/* Which batch and year the contract is of, so its windows are asked of the catalog before the
 * contract is locked. Nothing read here decides the signing: the transaction reads it again. */
static vbp_status look_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  sign *s = (sign *)t->in;
  contract_row *r = NULL;
  VBP_CHECK(contract_find(c, vbp_call_arena(t->call), s->in->id, false, false, &r));
  /* A stranger learns nothing, not even that the contract exists (the admin never signs). */
  if (!r || !contract_may_read(vbp_call_caller(t->call), r, NULL)) return vbp_scope_denied();
  s->batch_code = r->c->batch_code;
  s->province = r->c->region_code;
  s->agreement_year = r->c->agreement_year;
  return vbp_status_ok();
}

vbp_status contract_windows_get(vbp_call *call, const char *batch_code, const char *province,
                                contract_windows *w) {
  memset(w, 0, sizeof *w);
  vbp_memo *memo = contract_of(call)->windows;
  const char *key = vbp_arena_printf(vbp_call_arena(call), "%s|%s", batch_code, province);
  char *kept = NULL;
  size_t len = 0;
  if (memo && vbp_memo_get(memo, key, vbp_call_arena(call), &kept, &len) && len == sizeof *w) {
    memcpy(w, kept, sizeof *w);
    return vbp_status_ok();
  }
  vbp_batch_inputs inputs;
  VBP_CHECK(vbp_batch_inputs_fetch(contract_of(call)->catalog, call, vbp_call_arena(call),
                                   batch_code, province, NULL, 0, &inputs));
  const Vbp__V1__Execution *e = inputs.execution;
  w->execution_start = inputs.execution_start;
  /* The catalog stores both ends of a window or neither. */
  w->has_enterprise = vbp_date_parse(e->enterprise_sign_from, &w->enterprise_from) &&
                      vbp_date_parse(e->enterprise_sign_to, &w->enterprise_to);
  w->has_institution = vbp_date_parse(e->institution_sign_from, &w->institution_from) &&
                       vbp_date_parse(e->institution_sign_to, &w->institution_to);
  if (memo) vbp_memo_put(memo, key, (const char *)w, sizeof *w);
  return vbp_status_ok();
}

/* The signing windows of the contract's execution; none for later years (C2: renewals have
 * none). */
static vbp_status fetch_windows(vbp_call *call, sign *s) {
  memset(&s->windows, 0, sizeof s->windows);
  if (s->agreement_year != 1) return vbp_status_ok();
  vbp_status st = contract_windows_get(call, s->batch_code, s->province, &s->windows);
  if (st.code == VBP_NOT_FOUND)
    return vbp_status_field(VBP_FAILED_PRECONDITION, "id",
                            "is a contract of batch %s in %s, which the catalog no longer has",
                            s->batch_code, s->province);
  return st;
}

/* ---------------------------------------------------------------- who signs */

/* Whether the caller is `party` of r: the organization itself, or for INSTITUTION the insurance
 * agency the hospital authorised for this batch, for drugs only (C3). */
static vbp_status is_party(vbp_pg_conn *c, const vbp_caller *who, const contract_row *r,
                           const sign *s, bool *out) {
  const Vbp__V1__Contract *k = r->c;
  *out = false;
  switch (s->in->party) {
    case CONTRACT_MANUFACTURER:
      *out = !s->agency && strcmp(who->org_id, k->manufacturer_id) == 0;
      break;
    case CONTRACT_DISTRIBUTOR:
      *out = !s->agency && *k->distributor_id && strcmp(who->org_id, k->distributor_id) == 0;
      break;
    case CONTRACT_INSTITUTION:
      if (!s->agency) {
        *out = strcmp(who->org_id, k->institution_id) == 0;
      } else if (r->kind == CONTRACT_DRUG && strcmp(s->in->on_behalf_of, k->institution_id) == 0) {
        VBP_CHECK(
            contract_agency_authorized(c, k->institution_id, who->org_id, k->batch_code, out));
      }
      break;
    default:
      break;
  }
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- keys */

typedef struct active_key {
  char *id, *pem;
  int algorithm;
} active_key;

static void *active_key_of(const vbp_pg_row *row) {
  active_key *k = vbp_arena_alloc(row->arena, sizeof *k);
  k->id = vbp_pg_text(row, 0);
  k->algorithm = vbp_pg_int(row, 1);
  k->pem = vbp_pg_text(row, 2);
  return k;
}

/* An organization with an active key signs with one of them; one without signs without. */
static vbp_status check_key(vbp_pg_conn *c, vbp_arena *a, const char *org_id, const sign *s) {
  const char *params[] = {org_id};
  void **rows = NULL;
  size_t n = 0;
  /* FOR SHARE: a retirement waits for this signature, or is seen by it. */
  VBP_CHECK(vbp_pg_query_rows(c, a, "read signing keys",
                              "SELECT id, algorithm, public_key_pem FROM signing_keys "
                              "WHERE organization_id = $1 AND retired_at IS NULL ORDER BY id "
                              "FOR SHARE",
                              1, params, active_key_of, &rows, &n));
  const char *key_id = s->in->key_id, *signature = s->in->signature;
  if (n == 0) {
    if (*key_id || *signature)
      return vbp_invalid(*key_id ? "keyId" : "signature",
                         "the organization has no active signing key: sign without keyId and "
                         "signature");
    return vbp_status_ok();
  }
  if (!*key_id)
    return vbp_invalid("keyId", "is required: organization %s has an active signing key", org_id);
  if (!*signature)
    return vbp_invalid("signature", "is required: organization %s has an active signing key",
                       org_id);
  for (size_t i = 0; i < n; i++) {
    const active_key *k = rows[i];
    if (strcmp(k->id, key_id) == 0)
      return contract_signature_verify(k->pem, k->algorithm, s->digest, signature);
  }
  return vbp_invalid("keyId", "is not an active signing key of organization %s", org_id);
}

/* ---------------------------------------------------------------- SignContract */

/* The contract r renews becomes RENEWED once r is EFFECTIVE (DOMAIN.md states). */
static vbp_status renew_previous(vbp_pg_conn *c, vbp_arena *a, const vbp_caller *who,
                                 const contract_row *r) {
  contract_row *old = NULL;
  /* Locked after r: only this path and the old one's own writers lock it, never r after it. */
  VBP_CHECK(contract_find(c, a, r->renews, true, false, &old));
  if (!old || (int)old->c->state != CONTRACT_EFFECTIVE)
    return vbp_status_ok(); /* terminated meanwhile */
  VBP_CHECK(contract_set_state(c, old->c->id, CONTRACT_RENEWED, old->signed_parties));
  contract_event e = {.action = VBP__V1__CONTRACT_EVENT__ACTION__RENEW,
                      .from_state = CONTRACT_EFFECTIVE,
                      .to_state = CONTRACT_RENEWED,
                      .note = vbp_arena_printf(a, "renewed by %s", r->c->id)};
  return contract_append(c, old->c->id, who, &e);
}

static vbp_status sign_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const sign *s = t->in;
  const Vbp__V1__SignContractRequest *in = s->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  contract_row *r = NULL;
  /* The row lock orders two parties signing at once: the second reads the first's state. */
  VBP_CHECK(contract_find(c, a, in->id, true, false, &r));
  if (!r) return vbp_scope_denied();
  bool party = false;
  VBP_CHECK(is_party(c, who, r, s, &party));
  if (!party) return vbp_scope_denied();

  const Vbp__V1__Contract *k = r->c;
  vbp_date today = vbp_today();
  /* An EFFECTIVE contract past its period is EXPIRED, as every read shows it. */
  int state = contract_state_on((int)k->state, false, r->period_end, today);
  int next = 0;
  VBP_CHECK(
      contract_sign_next(state, r->signed_parties, (int)in->party, *k->distributor_id != 0, &next));
  VBP_CHECK(contract_sign_in_time(k->agreement_year, r->kind, (int)in->party, &s->windows, today));
  VBP_CHECK(check_key(c, a, who->org_id, s));

  char party_text[4];
  snprintf(party_text, sizeof party_text, "%d", (int)in->party);
  const char *on_behalf_of = s->agency ? in->on_behalf_of : "";
  const char *params[] = {k->id,        party_text,  in->signer_name, s->document,
                          on_behalf_of, who->org_id, in->key_id,      in->signature};
  VBP_CHECK(vbp_pg_command(c, "insert signature",
                           "INSERT INTO signatures (contract_id, party, signer_name, "
                           "document_sha256, on_behalf_of, signed_by, key_id, signature) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                           8, params));
  VBP_CHECK(
      contract_set_state(c, k->id, next, r->signed_parties | CONTRACT_PARTY_BIT((int)in->party)));
  contract_event e = {
      .action = VBP__V1__CONTRACT_EVENT__ACTION__SIGN,
      .from_state = (int)k->state,
      .to_state = next,
      .document_sha256 = s->document,
      .note = s->agency ? vbp_arena_printf(a, "on behalf of %s", in->on_behalf_of) : "",
      .key_id = in->key_id,
      .signature = in->signature,
  };
  VBP_CHECK(contract_append(c, k->id, who, &e));
  if (next == CONTRACT_EFFECTIVE && *r->renews) VBP_CHECK(renew_previous(c, a, who, r));

  contract_row *out = NULL;
  VBP_CHECK(contract_find(c, a, in->id, false, true, &out));
  if (!out) return vbp_status_make(VBP_INTERNAL, "the signed contract is gone");
  contract_show_state(out, today);
  t->out = &out->c->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_sign) {
  const Vbp__V1__SignContractRequest *in = (const Vbp__V1__SignContractRequest *)request;
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_id("id", in->id));
  VBP_CHECK(vbp_need_enum("party", in->party, &vbp__v1__signature__party__descriptor));
  VBP_CHECK(vbp_need_text("signerName", in->signer_name, SIGNER_NAME_MAX));
  sign s = {.in = in, .agency = who->role == VBP_ROLE_INSURANCE_AGENCY};
  VBP_CHECK(vbp_need_sha256_hex("documentSha256", in->document_sha256, s.document));
  for (size_t i = 0; i < sizeof s.digest; i++)
    s.digest[i] =
        (unsigned char)(hex_value(s.document[2 * i]) << 4 | hex_value(s.document[2 * i + 1]));
  if (s.agency) {
    /* C3: an agency signs only the hospital's confirmation, naming the hospital. */
    if ((int)in->party != CONTRACT_INSTITUTION) return vbp_scope_denied();
    VBP_CHECK(vbp_need_id("onBehalfOf", in->on_behalf_of));
  } else if (*in->on_behalf_of) {
    return vbp_invalid("onBehalfOf",
                       "is for an insurance agency signing for a hospital (C3); a party signs "
                       "for itself");
  }
  if (*in->key_id) VBP_CHECK(vbp_need_id("keyId", in->key_id));
  VBP_CHECK(vbp_opt_text("signature", in->signature, SIGNATURE_MAX));

  ProtobufCMessage *unused = NULL;
  VBP_CHECK(contract_in_read(call, look_tx, &s, &unused));
  VBP_CHECK(fetch_windows(call, &s));
  return contract_in_tx(call, sign_tx, &s, response);
}
