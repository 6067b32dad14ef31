/* ExportPart (internal, catalog-svc's ExportBatch): contract-svc's part of one batch in one
 * province, streamed: every contract by id, each with its signatures and history, in the state
 * GetContract shows. A page is three queries (the contracts, then the signatures and the history
 * of all of them), each page its own short read in an arena reset before the next, so memory
 * stays one page whatever the number of contracts. */
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/batch_inputs.h"
#include "common/clock.h"
#include "common/pg.h"
#include "contract-svc/contracts.h"
#include "contract-svc/handlers.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/feed.pb-c.h"

#define EXPORT_PAGE 500

typedef struct part_page {
  const char *batch_code, *province;
  vbp_arena *arena;
  char after[VBP_ORG_ID_MAX + 1]; /* the last contract sent, "" before the first */
  contract_row **rows;
  size_t n;
} part_page;

/* A signature or an event with the contract it belongs to (column 0). */
typedef struct owned {
  char *contract_id;
  void *item;
} owned;

static void *signature_of(const vbp_pg_row *row) {
  owned *o = vbp_arena_alloc(row->arena, sizeof *o);
  Vbp__V1__Signature *s = vbp_arena_alloc(row->arena, sizeof *s);
  vbp__v1__signature__init(s);
  o->contract_id = vbp_pg_text(row, 0);
  s->party = vbp_pg_int(row, 1);
  s->signer_name = vbp_pg_text(row, 2);
  s->document_sha256 = vbp_pg_text(row, 3);
  s->on_behalf_of = vbp_pg_text(row, 4);
  s->signed_by = vbp_pg_text(row, 5);
  s->signed_at = vbp_pg_text(row, 6);
  s->key_id = vbp_pg_text(row, 7);
  s->signature = vbp_pg_text(row, 8);
  o->item = s;
  return o;
}

static void *event_of(const vbp_pg_row *row) {
  owned *o = vbp_arena_alloc(row->arena, sizeof *o);
  Vbp__V1__ContractEvent *e = vbp_arena_alloc(row->arena, sizeof *e);
  vbp__v1__contract_event__init(e);
  o->contract_id = vbp_pg_text(row, 0);
  e->at = vbp_pg_text(row, 1);
  e->actor_id = vbp_pg_text(row, 2);
  e->actor_role = vbp_pg_text(row, 3);
  e->action = vbp_pg_int(row, 4);
  e->from_state = vbp_pg_int(row, 5);
  e->to_state = vbp_pg_int(row, 6);
  e->document_sha256 = vbp_pg_text(row, 7);
  e->note = vbp_pg_text(row, 8);
  e->key_id = vbp_pg_text(row, 9);
  e->signature = vbp_pg_text(row, 10);
  o->item = e;
  return o;
}

/* The page's items, grouped by contract in the page's (id) order: both lists come sorted by
 * contract id, so one walk hands each contract its run. */
static void attach(part_page *p, owned **items, size_t n, bool signatures) {
  size_t k = 0;
  for (size_t i = 0; i < p->n; i++) {
    Vbp__V1__Contract *c = p->rows[i]->c;
    size_t from = k;
    while (k < n && strcmp(items[k]->contract_id, c->id) == 0) k++;
    size_t count = k - from;
    void **list = vbp_arena_alloc(p->arena, (count ? count : 1) * sizeof *list);
    for (size_t j = 0; j < count; j++) list[j] = items[from + j]->item;
    if (signatures) {
      c->signatures = (Vbp__V1__Signature **)list;
      c->n_signatures = count;
    } else {
      c->history = (Vbp__V1__ContractEvent **)list;
      c->n_history = count;
    }
  }
}

static vbp_status page_tx(vbp_pg_conn *c, void *ctx) {
  part_page *p = ctx;
  VBP_CHECK(contract_list_page(c, p->arena, p->batch_code, p->province, p->after, EXPORT_PAGE,
                               &p->rows, &p->n));
  if (p->n == 0) return vbp_status_ok();
  /* The page's ids as one text[] literal for the two item queries. */
  size_t len = 3;
  for (size_t i = 0; i < p->n; i++) len += 2 * strlen(p->rows[i]->c->id) + 3;
  char *array = vbp_arena_alloc(p->arena, len), *w = array;
  *w++ = '{';
  for (size_t i = 0; i < p->n; i++) {
    if (i) *w++ = ',';
    *w++ = '"';
    for (const char *s = p->rows[i]->c->id; *s; s++) {
      if (*s == '"' || *s == '\\') *w++ = '\\';
      *w++ = *s;
    }
    *w++ = '"';
  }
  *w++ = '}';
  *w = '\0';
  vbp_date today = vbp_today();
  for (size_t i = 0; i < p->n; i++) contract_show_state(p->rows[i], today);
  const char *by_ids[] = {array};
  void **items = NULL;
  size_t n_items = 0;
  VBP_CHECK(vbp_pg_query_rows(
      c, p->arena, "export signatures",
      "SELECT contract_id, party, signer_name, document_sha256, on_behalf_of, "
      "signed_by, " CONTRACT_SQL_TIME(
          "signed_at") ", key_id, signature FROM signatures "
                       "WHERE contract_id = ANY($1::text[]) ORDER BY contract_id, signed_at, party",
      1, by_ids, signature_of, &items, &n_items));
  attach(p, (owned **)items, n_items, true);
  VBP_CHECK(
      vbp_pg_query_rows(c, p->arena, "export contract history",
                        "SELECT contract_id, " CONTRACT_SQL_TIME(
                            "at") ", actor_id, actor_role, action, "
                                  "from_state, to_state, document_sha256, note, key_id, signature "
                                  "FROM contract_events "
                                  "WHERE contract_id = ANY($1::text[]) ORDER BY contract_id, seq",
                        1, by_ids, event_of, &items, &n_items));
  attach(p, (owned **)items, n_items, false);
  return vbp_status_ok();
}

vbp_status contract_export_part(vbp_call *call, const ProtobufCMessage *request) {
  const Vbp__V1__ExportPartRequest *in = (const Vbp__V1__ExportPartRequest *)request;
  VBP_CHECK(vbp_need_execution(in->batch_code, in->region_code));
  part_page p = {.batch_code = in->batch_code, .province = in->region_code};
  p.arena = vbp_arena_create();
  vbp_status st = vbp_status_ok();
  for (;;) {
    vbp_arena_reset(p.arena);
    st = vbp_pg_read(contract_of(call)->pool, page_tx, &p);
    for (size_t i = 0; vbp_ok(&st) && i < p.n; i++) st = vbp_call_send(call, &p.rows[i]->c->base);
    if (!vbp_ok(&st) || p.n < EXPORT_PAGE) break;
    snprintf(p.after, sizeof p.after, "%s", p.rows[p.n - 1]->c->id);
  }
  vbp_arena_destroy(p.arena);
  return st;
}
