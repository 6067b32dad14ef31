/* contract-svc's part of an all-or-nothing ImportBatch (docs/exchange.md "Import"): the contracts
 * of another province's exchange file with their signatures and history as they were, written in
 * one transaction that is prepared (PREPARE TRANSACTION 'vbp-import-<id>-contract') and finished
 * by catalog-svc, the coordinator, with FinishImport. The history is append-only (C9): its
 * trigger refuses UPDATE and DELETE, and an import only inserts. A contract already there with
 * the same content is skipped; with other content (or another contract holding its institution,
 * product and year) it is an error of its line, and then nothing is prepared. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/feed.h"
#include "common/import_part.h"
#include "common/money.h"
#include "common/validate.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "contract-svc/rules.h"
#include "vbp/v1/contract.pb-c.h"

#define TEXT_MAX_LEN 200
/* Contracts written by one INSERT of the fast path (with their signatures and history). */
#define CHUNK 500

typedef struct contract_import {
  vbp_import_part part; /* first: vbp_import_part_prepare hands the work a pointer to it */
  const Vbp__V1__PrepareContractImportRequest *in;
  vbp_arena *arena;
} contract_import;

static char *num(vbp_arena *a, int64_t n) { return vbp_arena_printf(a, "%" PRId64, n); }

/* A time as contract-svc writes them ("2024-07-05T09:30:00+08:00", CONTRACT_SQL_TIME), so that
 * it reads back as the file had it. */
static vbp_status need_time(const char *field, const char *text) {
  vbp_date d;
  if (!text || strlen(text) != 25 || text[10] != 'T' || strcmp(text + 19, "+08:00") != 0 ||
      text[13] != ':' || text[16] != ':')
    return vbp_invalid(field, "must be a time in China, YYYY-MM-DDTHH:MM:SS+08:00");
  char day[11];
  memcpy(day, text, 10);
  day[10] = '\0';
  if (!vbp_date_parse(day, &d)) return vbp_invalid(field, "is not a date");
  for (int i = 11; i < 19; i++)
    if (i != 13 && i != 16 && (text[i] < '0' || text[i] > '9'))
      return vbp_invalid(field, "must be a time in China, YYYY-MM-DDTHH:MM:SS+08:00");
  if (atoi(text + 11) > 23 || atoi(text + 14) > 59 || atoi(text + 17) > 59)
    return vbp_invalid(field, "is not a time of day");
  return vbp_status_ok();
}

static vbp_status check_signature(vbp_arena *a, size_t i, const Vbp__V1__Signature *s) {
  char hex[65];
  const char *f = vbp_arena_printf(a, "contract.signatures[%zu]", i);
  VBP_CHECK(vbp_need_enum(vbp_arena_printf(a, "%s.party", f), s->party,
                          &vbp__v1__signature__party__descriptor));
  VBP_CHECK(vbp_need_text(vbp_arena_printf(a, "%s.signerName", f), s->signer_name, TEXT_MAX_LEN));
  VBP_CHECK(
      vbp_need_sha256_hex(vbp_arena_printf(a, "%s.documentSha256", f), s->document_sha256, hex));
  if (strcmp(hex, s->document_sha256) != 0)
    return vbp_invalid(vbp_arena_printf(a, "%s.documentSha256", f), "must be lowercase hex");
  VBP_CHECK(vbp_need_id(vbp_arena_printf(a, "%s.signedBy", f), s->signed_by));
  return need_time(vbp_arena_printf(a, "%s.signedAt", f), s->signed_at);
}

static vbp_status check_event(vbp_arena *a, size_t i, const Vbp__V1__ContractEvent *e) {
  const char *f = vbp_arena_printf(a, "contract.history[%zu]", i);
  VBP_CHECK(need_time(vbp_arena_printf(a, "%s.at", f), e->at));
  VBP_CHECK(vbp_need_text(vbp_arena_printf(a, "%s.actorRole", f), e->actor_role, TEXT_MAX_LEN));
  VBP_CHECK(vbp_need_enum(vbp_arena_printf(a, "%s.action", f), e->action,
                          &vbp__v1__contract_event__action__descriptor));
  VBP_CHECK(vbp_opt_enum(vbp_arena_printf(a, "%s.fromState", f), e->from_state,
                         &vbp__v1__contract_state__descriptor));
  return vbp_need_enum(vbp_arena_printf(a, "%s.toState", f), e->to_state,
                       &vbp__v1__contract_state__descriptor);
}

static int by_time_then_party(const void *x, const void *y) {
  const Vbp__V1__Signature *p = *(Vbp__V1__Signature *const *)x;
  const Vbp__V1__Signature *q = *(Vbp__V1__Signature *const *)y;
  int c = strcmp(p->signed_at, q->signed_at);
  return c ? c : (int)p->party - (int)q->party;
}

/* The contract as GetContract would show it once stored (price in four decimals, signatures
 * in their order), checked as CreateContract checks its input. *out lives in a. */
static vbp_status normalise(vbp_arena *a, const Vbp__V1__ContractImportItem *it,
                            Vbp__V1__Contract **out, vbp_money *price) {
  const Vbp__V1__Contract *k = it->contract;
  vbp_date d;
  if (!k) return vbp_invalid("contract", "is required");
  VBP_CHECK(vbp_need_id("contract.id", k->id));
  VBP_CHECK(vbp_need_id("contract.batchCode", k->batch_code));
  VBP_CHECK(vbp_need_region_code("contract.regionCode", k->region_code));
  VBP_CHECK(vbp_need_id("contract.institutionId", k->institution_id));
  VBP_CHECK(vbp_need_id("contract.manufacturerId", k->manufacturer_id));
  if (*k->distributor_id) VBP_CHECK(vbp_need_id("contract.distributorId", k->distributor_id));
  VBP_CHECK(vbp_need_id("contract.productId", k->product_id));
  VBP_CHECK(vbp_need_price("contract.price", k->price, price));
  if (k->quantity < 0) return vbp_invalid("contract.quantity", "must not be negative");
  if (k->agreement_year < 1) return vbp_invalid("contract.agreementYear", "must be 1 or more");
  VBP_CHECK(vbp_need_date("contract.periodStart", k->period_start, &d));
  VBP_CHECK(vbp_need_date("contract.periodEnd", k->period_end, &d));
  if (strcmp(k->period_end, k->period_start) < 0)
    return vbp_invalid("contract.periodEnd", "must not be before periodStart");
  VBP_CHECK(vbp_need_enum("contract.state", k->state, &vbp__v1__contract_state__descriptor));
  for (size_t i = 0; i < k->n_signatures; i++) {
    VBP_CHECK(check_signature(a, i, k->signatures[i]));
    for (size_t j = 0; j < i; j++)
      if (k->signatures[j]->party == k->signatures[i]->party)
        return vbp_invalid(vbp_arena_printf(a, "contract.signatures[%zu].party", i),
                           "repeats a party");
  }
  for (size_t i = 0; i < k->n_history; i++) VBP_CHECK(check_event(a, i, k->history[i]));
  VBP_CHECK(vbp_need_enum("kind", it->kind, &vbp__v1__product_kind__descriptor));
  VBP_CHECK(vbp_need_region_code("institutionRegion", it->institution_region));
  Vbp__V1__Contract *n = vbp_arena_alloc(a, sizeof *n);
  *n = *k;
  n->price = contract_money(a, *price);
  n->signatures = vbp_arena_alloc(a, (k->n_signatures + 1) * sizeof *n->signatures);
  if (k->n_signatures) memcpy(n->signatures, k->signatures, k->n_signatures * sizeof(void *));
  qsort(n->signatures, n->n_signatures, sizeof *n->signatures, by_time_then_party);
  *out = n;
  return vbp_status_ok();
}

static bool same(vbp_arena *a, const ProtobufCMessage *x, const ProtobufCMessage *y) {
  size_t nx = protobuf_c_message_get_packed_size(x), ny = protobuf_c_message_get_packed_size(y);
  if (nx != ny) return false;
  uint8_t *bx = vbp_arena_alloc(a, nx + 1), *by = vbp_arena_alloc(a, ny + 1);
  protobuf_c_message_pack(x, bx);
  protobuf_c_message_pack(y, by);
  return memcmp(bx, by, nx) == 0;
}

static vbp_status insert_children(vbp_pg_conn *c, vbp_arena *a, const Vbp__V1__Contract *k) {
  for (size_t i = 0; i < k->n_signatures; i++) {
    const Vbp__V1__Signature *s = k->signatures[i];
    const char *p[] = {k->id,           num(a, s->party), s->signer_name, s->document_sha256,
                       s->on_behalf_of, s->signed_by,     s->signed_at,   s->key_id,
                       s->signature};
    VBP_CHECK(vbp_pg_command(c, "import signature",
                             "INSERT INTO signatures (contract_id, party, signer_name, "
                             "document_sha256, on_behalf_of, signed_by, signed_at, key_id, "
                             "signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                             9, p));
  }
  /* The history as it was, in its order: inserted, never changed (C9). */
  for (size_t i = 0; i < k->n_history; i++) {
    const Vbp__V1__ContractEvent *e = k->history[i];
    const char *p[] = {k->id,
                       num(a, (int64_t)i + 1),
                       e->at,
                       e->actor_id,
                       e->actor_role,
                       num(a, e->action),
                       num(a, e->from_state),
                       num(a, e->to_state),
                       e->document_sha256,
                       e->note,
                       e->key_id,
                       e->signature};
    VBP_CHECK(vbp_pg_command(c, "import contract event",
                             "INSERT INTO contract_events (contract_id, seq, at, actor_id, "
                             "actor_role, action, from_state, to_state, document_sha256, note, "
                             "key_id, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                             "$10, $11, $12)",
                             12, p));
  }
  return vbp_status_ok();
}

static vbp_status put_contract(vbp_pg_conn *c, contract_import *v,
                               const Vbp__V1__ContractImportItem *it, const Vbp__V1__Contract *k,
                               vbp_money price) {
  vbp_arena *a = v->arena;
  char area[7];
  if (!contract_coordination_area(it->institution_region, area)) {
    vbp_status st = vbp_invalid("institutionRegion", "has no coordination area");
    vbp_import_part_error(&v->part, it->line, &st);
    return vbp_status_ok();
  }
  unsigned parties = 0;
  for (size_t i = 0; i < k->n_signatures; i++)
    parties |= CONTRACT_PARTY_BIT(k->signatures[i]->party);
  const char *p[] = {k->id,
                     k->batch_code,
                     k->region_code,
                     num(a, it->kind),
                     k->institution_id,
                     it->institution_region,
                     area,
                     k->manufacturer_id,
                     k->distributor_id,
                     k->product_id,
                     num(a, price),
                     num(a, k->quantity),
                     num(a, k->agreement_year),
                     k->period_start,
                     k->period_end,
                     num(a, k->state),
                     num(a, parties)};
  bool wrote = false;
  VBP_CHECK(vbp_pg_write(c, "import contract",
                         "INSERT INTO contracts (id, batch_code, region_code, kind, "
                         "institution_id, institution_region, area_code, manufacturer_id, "
                         "distributor_id, product_id, price, quantity, agreement_year, "
                         "period_start, period_end, state, signed_parties) VALUES ($1, $2, $3, "
                         "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
                         "ON CONFLICT DO NOTHING RETURNING 1",
                         17, p, &wrote));
  if (wrote) {
    VBP_CHECK(insert_children(c, a, k));
    VBP_CHECK(contract_record(c, k->id, "imported"));
    v->part.imported++;
    return vbp_status_ok();
  }
  contract_row *stored = NULL;
  VBP_CHECK(contract_find(c, a, k->id, false, true, &stored));
  vbp_status st;
  if (!stored) {
    st = vbp_invalid("contract.id",
                     "another contract holds institution %s, product %s, year %d of batch %s",
                     k->institution_id, k->product_id, k->agreement_year, k->batch_code);
  } else if (!same(a, &stored->c->base, &k->base) || stored->kind != it->kind ||
             strcmp(stored->institution_region, it->institution_region) != 0) {
    st = vbp_status_field(VBP_ALREADY_EXISTS, "contract.id",
                          "contract %s exists already with other values", k->id);
  } else {
    v->part.skipped++;
    return vbp_status_ok();
  }
  vbp_import_part_error(&v->part, it->line, &st);
  return vbp_status_ok();
}

/* Column k of some rows: cols[k][row], grown as rows come. */
typedef struct rows_cols {
  const char **cols[17];
  size_t n, cap;
  int ncols;
} rows_cols;

static void rows_add(vbp_arena *a, rows_cols *t, const char *const *row) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : CHUNK;
    for (int k = 0; k < t->ncols; k++) {
      const char **grown = vbp_arena_alloc(a, cap * sizeof *grown);
      if (t->n) memcpy(grown, t->cols[k], t->n * sizeof *grown);
      t->cols[k] = grown;
    }
    t->cap = cap;
  }
  for (int k = 0; k < t->ncols; k++) t->cols[k][t->n] = row[k];
  t->n++;
}

/* INSERT ... SELECT FROM unnest of the columns (sql's $1..$ncols): how many rows it wrote. */
static vbp_status insert_all(vbp_pg_conn *c, vbp_arena *a, const char *what, const char *sql,
                             const rows_cols *t, int64_t *wrote) {
  *wrote = 0;
  if (t->n == 0) return vbp_status_ok();
  const char *params[17];
  for (int k = 0; k < t->ncols; k++) params[k] = vbp_pg_text_array(a, t->cols[k], t->n);
  return vbp_pg_get_int64(c, what, sql, t->ncols, params, "count gave no row", wrote);
}

/* One normalised contract of a chunk. */
typedef struct chunk_item {
  const Vbp__V1__ContractImportItem *it;
  Vbp__V1__Contract *k;
  vbp_money price;
  char area[7];
} chunk_item;

/* The contracts of a chunk that passed their checks: the fast path first, the contracts in one
 * INSERT, then their signatures and history in one each. When any contract is already there (or
 * another holds its institution, product and year, or the file repeats it), the chunk is rolled
 * back to the savepoint and each contract goes the slow way, put_contract, which tells a skipped
 * contract from a conflicting one. Either way the same rows end up written. */
static vbp_status chunk_tx(vbp_pg_conn *c, contract_import *v, vbp_arena *a,
                           const chunk_item *items, size_t n) {
  rows_cols ks = {.ncols = 17}, ss = {.ncols = 9}, es = {.ncols = 12};
  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__ContractImportItem *it = items[i].it;
    const Vbp__V1__Contract *k = items[i].k;
    unsigned parties = 0;
    for (size_t j = 0; j < k->n_signatures; j++) {
      const Vbp__V1__Signature *s = k->signatures[j];
      parties |= CONTRACT_PARTY_BIT(s->party);
      const char *row[] = {k->id,           num(a, s->party), s->signer_name, s->document_sha256,
                           s->on_behalf_of, s->signed_by,     s->signed_at,   s->key_id,
                           s->signature};
      rows_add(a, &ss, row);
    }
    for (size_t j = 0; j < k->n_history; j++) {
      const Vbp__V1__ContractEvent *e = k->history[j];
      const char *row[] = {k->id,
                           num(a, (int64_t)j + 1),
                           e->at,
                           e->actor_id,
                           e->actor_role,
                           num(a, e->action),
                           num(a, e->from_state),
                           num(a, e->to_state),
                           e->document_sha256,
                           e->note,
                           e->key_id,
                           e->signature};
      rows_add(a, &es, row);
    }
    const char *row[] = {k->id,
                         k->batch_code,
                         k->region_code,
                         num(a, it->kind),
                         k->institution_id,
                         it->institution_region,
                         items[i].area,
                         k->manufacturer_id,
                         k->distributor_id,
                         k->product_id,
                         num(a, items[i].price),
                         num(a, k->quantity),
                         num(a, k->agreement_year),
                         k->period_start,
                         k->period_end,
                         num(a, k->state),
                         num(a, parties)};
    rows_add(a, &ks, row);
  }
  VBP_CHECK(vbp_pg_command(c, "savepoint", "SAVEPOINT import_chunk", 0, NULL));
  int64_t wrote = 0;
  VBP_CHECK(insert_all(
      c, a, "import contracts",
      "WITH w AS (INSERT INTO contracts (id, batch_code, region_code, kind, institution_id, "
      "institution_region, area_code, manufacturer_id, distributor_id, product_id, price, "
      "quantity, agreement_year, period_start, period_end, state, signed_parties) SELECT * FROM "
      "unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], "
      "$7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], "
      "$13::int[], $14::date[], $15::date[], $16::smallint[], $17::int[]) ON CONFLICT DO "
      "NOTHING RETURNING 1) SELECT count(*) FROM w",
      &ks, &wrote));
  if ((size_t)wrote == ks.n) {
    /* New contracts: nothing of theirs can be there yet. */
    VBP_CHECK(insert_all(c, a, "import signatures",
                         "WITH w AS (INSERT INTO signatures (contract_id, party, signer_name, "
                         "document_sha256, on_behalf_of, signed_by, signed_at, key_id, "
                         "signature) SELECT * FROM unnest($1::text[], $2::smallint[], "
                         "$3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], "
                         "$8::text[], $9::text[]) RETURNING 1) SELECT count(*) FROM w",
                         &ss, &wrote));
    /* The history as it was, in its order: inserted, never changed (C9). */
    VBP_CHECK(insert_all(c, a, "import contract events",
                         "WITH w AS (INSERT INTO contract_events (contract_id, seq, at, "
                         "actor_id, actor_role, action, from_state, to_state, document_sha256, "
                         "note, key_id, signature) SELECT * FROM unnest($1::text[], $2::int[], "
                         "$3::timestamptz[], $4::text[], $5::text[], $6::smallint[], "
                         "$7::smallint[], $8::smallint[], $9::text[], $10::text[], $11::text[], "
                         "$12::text[]) RETURNING 1) SELECT count(*) FROM w",
                         &es, &wrote));
    VBP_CHECK(vbp_pg_command(c, "release", "RELEASE SAVEPOINT import_chunk", 0, NULL));
    v->part.imported += (int)n;
    /* The change feed's rows, as put_contract records a written contract (contract_record),
     * from the values just written rather than read back. */
    for (size_t i = 0; i < n; i++) {
      const Vbp__V1__Contract *k = items[i].k;
      const char *parties[] = {k->institution_id, k->manufacturer_id, k->distributor_id};
      vbp_feed_add(c, &(vbp_change){.type = "contract",
                                    .id = k->id,
                                    .action = "imported",
                                    .region_code = items[i].it->institution_region,
                                    .batch_code = k->batch_code,
                                    .parties = parties,
                                    .n_parties = 3});
    }
    return vbp_status_ok();
  }
  VBP_CHECK(
      vbp_pg_command(c, "rollback to savepoint", "ROLLBACK TO SAVEPOINT import_chunk", 0, NULL));
  for (size_t i = 0; i < n; i++)
    VBP_CHECK(put_contract(c, v, items[i].it, items[i].k, items[i].price));
  return vbp_status_ok();
}

/* The part, from scratch each attempt (vbp_pg_prepare may re-run it). Any error rolls it back:
 * then nothing is prepared. */
static vbp_status import_tx(vbp_pg_conn *c, void *ctx) {
  contract_import *v = ctx;
  vbp_import_part_reset(&v->part);
  chunk_item *items = vbp_arena_alloc(v->arena, CHUNK * sizeof *items);
  /* A chunk's arrays in an arena of their own: the call's would hold every chunk's. */
  vbp_arena *scratch = vbp_arena_create();
  size_t n = 0;
  for (size_t i = 0; i <= v->in->n_items; i++) {
    if (n == CHUNK || (i == v->in->n_items && n)) {
      vbp_status st = chunk_tx(c, v, scratch, items, n);
      vbp_arena_reset(scratch);
      n = 0;
      if (!vbp_ok(&st)) {
        vbp_arena_destroy(scratch);
        return st;
      }
    }
    if (i == v->in->n_items) break;
    const Vbp__V1__ContractImportItem *it = v->in->items[i];
    chunk_item *x = &items[n];
    x->it = it;
    vbp_status st = normalise(v->arena, it, &x->k, &x->price);
    if (vbp_ok(&st) && !contract_coordination_area(it->institution_region, x->area))
      st = vbp_invalid("institutionRegion", "has no coordination area");
    if (!vbp_ok(&st)) {
      vbp_import_part_error(&v->part, it->line, &st);
      continue;
    }
    n++;
  }
  vbp_arena_destroy(scratch);
  return vbp_import_part_ready(&v->part);
}

CONTRACT_HANDLER(contract_prepare_import) {
  const Vbp__V1__PrepareContractImportRequest *in =
      (const Vbp__V1__PrepareContractImportRequest *)request;
  contract_import v = {
      .part = {.call = call, .service = "contract"}, .in = in, .arena = vbp_call_arena(call)};
  return vbp_import_part_prepare(&v.part, contract_of(call)->pool, in->import_id, import_tx,
                                 response);
}

CONTRACT_HANDLER(contract_finish_import) {
  return vbp_import_part_finish(call, contract_of(call)->pool, "contract", request, response);
}
