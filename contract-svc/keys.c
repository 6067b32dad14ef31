/* Signing keys (API.md "Contracts", "Signing keys"): RegisterSigningKey and RetireSigningKey,
 * each organization's own. A retired key stays stored so that the signatures made with it can
 * still be verified (C9). */
#include <stdio.h>

#include "common/batch_inputs.h"
#include "common/feed.h"
#include "common/scope.h"
#include "common/validate.h"
#include "contract-svc/handlers.h"
#include "contract-svc/signing.h"
#include "vbp/v1/contract.pb-c.h"

#define PEM_MAX 16384

#define KEY_COLUMNS \
  "id, organization_id, algorithm, fingerprint_sha256, " CONTRACT_SQL_TIME("created_at") ", " \
  "public_key_pem, " CONTRACT_SQL_TIME("retired_at") ", retired_at IS NOT NULL"

/* A stored key: the message and whether it is retired. */
typedef struct key_row {
  Vbp__V1__SigningKey *key;
  bool retired;
} key_row;

static void *key_of(const vbp_pg_row *row) {
  key_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  Vbp__V1__SigningKey *k = r->key = vbp_arena_alloc(row->arena, sizeof *k);
  vbp__v1__signing_key__init(k);
  k->id = vbp_pg_text(row, 0);
  k->organization_id = vbp_pg_text(row, 1);
  k->algorithm = (char *)contract_key_algorithm_name(vbp_pg_int(row, 2));
  k->fingerprint_sha256 = vbp_pg_text(row, 3);
  k->created_at = vbp_pg_text(row, 4);
  k->public_key_pem = vbp_pg_text(row, 5);
  k->retired_at = vbp_pg_text(row, 6);
  r->retired = vbp_pg_bool(row, 7);
  return r;
}

/* ---------------------------------------------------------------- RegisterSigningKey */

/* A signing key in the change feed: for its organization alone. */
static void record_key(vbp_pg_conn *c, const char *id, const char *organization_id,
                       const char *action) {
  const char *parties[] = {organization_id};
  vbp_feed_add(
      c, &(vbp_change){
             .type = "signingKey", .id = id, .action = action, .parties = parties, .n_parties = 1});
}

typedef struct reg {
  const Vbp__V1__SigningKey *in;
  const char *id;
  char algorithm[4];
  char fingerprint[65];
} reg;

static vbp_status register_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const reg *r = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const char *org[] = {r->in->organization_id};
  /* One registration of an organization's keys at a time, so a repeated one finds the first. */
  VBP_CHECK(vbp_pg_command(c, "lock signing keys",
                           "SELECT pg_advisory_xact_lock(hashtext('signing_keys|' || $1::text))", 1,
                           org));
  const char *same[] = {r->in->organization_id, r->fingerprint};
  void *row = NULL;
  VBP_CHECK(
      vbp_pg_find_row(c, a, "read signing key",
                      "SELECT " KEY_COLUMNS " FROM signing_keys WHERE organization_id = $1 "
                      "AND fingerprint_sha256 = $2 AND retired_at IS NULL ORDER BY id LIMIT 1",
                      2, same, key_of, &row));
  if (!row) {
    const char *params[] = {r->id, r->in->organization_id, r->algorithm, r->in->public_key_pem,
                            r->fingerprint};
    VBP_CHECK(vbp_pg_find_row(c, a, "insert signing key",
                              "INSERT INTO signing_keys (id, organization_id, algorithm, "
                              "public_key_pem, fingerprint_sha256) VALUES ($1, $2, $3, $4, $5) "
                              "RETURNING " KEY_COLUMNS,
                              5, params, key_of, &row));
    if (!row) return vbp_status_make(VBP_INTERNAL, "insert signing key gave no row");
    record_key(c, r->id, r->in->organization_id, "created");
  }
  t->out = &((key_row *)row)->key->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_register_key) {
  const Vbp__V1__SigningKey *in = (const Vbp__V1__SigningKey *)request;
  const vbp_caller *who = vbp_call_caller(call);
  vbp_arena *a = vbp_call_arena(call);
  VBP_CHECK(vbp_need_id("organizationId", in->organization_id));
  VBP_CHECK(vbp_need_text("publicKeyPem", in->public_key_pem, PEM_MAX));
  /* Every organization registers its own keys (API.md "Who may do what"). */
  if (!vbp_scope_own(who, in->organization_id)) return vbp_scope_denied();
  reg r = {.in = in, .id = vbp_random_id(a, "sk")};
  int algorithm = 0;
  VBP_CHECK(contract_key_parse(in->public_key_pem, &algorithm, r.fingerprint));
  snprintf(r.algorithm, sizeof r.algorithm, "%d", algorithm);
  if (vbp_scope_is_admin(who)) { /* anyone else is the organization itself, which exists */
    vbp_batch_inputs orgs;
    const char *ids[] = {in->organization_id};
    VBP_CHECK(vbp_institutions_fetch(contract_of(call)->catalog, call, a, ids, 1, &orgs));
    if (!vbp_batch_institution(&orgs, in->organization_id))
      return vbp_invalid("organizationId", "names no organization");
  }
  return contract_in_tx(call, register_tx, &r, response);
}

/* ---------------------------------------------------------------- RetireSigningKey */

static vbp_status retire_tx(vbp_pg_conn *c, void *ctx) {
  contract_tx *t = ctx;
  const Vbp__V1__RetireSigningKeyRequest *in = t->in;
  vbp_arena *a = vbp_call_arena(t->call);
  const vbp_caller *who = vbp_call_caller(t->call);
  const char *key[] = {in->id};
  void *row = NULL;
  VBP_CHECK(vbp_pg_find_row(c, a, "read signing key",
                            "SELECT " KEY_COLUMNS " FROM signing_keys WHERE id = $1 FOR UPDATE", 1,
                            key, key_of, &row));
  key_row *k = row;
  if (!k) {
    if (!vbp_scope_is_admin(who)) return vbp_scope_denied();
    return vbp_status_field(VBP_NOT_FOUND, "id", "names no signing key");
  }
  if (!vbp_scope_own(who, k->key->organization_id)) return vbp_scope_denied();
  if (!k->retired) { /* retired once: a retry keeps the first time */
    VBP_CHECK(vbp_pg_command(c, "retire signing key",
                             "UPDATE signing_keys SET retired_at = now() WHERE id = $1", 1, key));
    record_key(c, in->id, k->key->organization_id, "updated"); /* retired, kept */
  }
  Google__Protobuf__Empty *empty = vbp_arena_alloc(a, sizeof *empty);
  google__protobuf__empty__init(empty);
  t->out = &empty->base;
  return vbp_status_ok();
}

CONTRACT_HANDLER(contract_retire_key) {
  const Vbp__V1__RetireSigningKeyRequest *in = (const Vbp__V1__RetireSigningKeyRequest *)request;
  VBP_CHECK(vbp_need_id("id", in->id));
  return contract_in_tx(call, retire_tx, in, response);
}
