/* The prepare/finish handler bodies of an import part (common/import_part.h). */
#include "common/import_part.h"

#include <string.h>

#include "common/failpoint.h"
#include "common/validate.h"

#define IMPORT_ID_MAX 64

typedef struct part_tx {
  vbp_import_part *p;
  const char *service;
  size_t n_items;
  vbp_import_item_fn item;
} part_tx;

void vbp_import_part_error(vbp_import_part *p, int line, const vbp_status *st) {
  Vbp__V1__PrepareImportError *e = vbp_arena_alloc(p->arena, sizeof *e);
  vbp__v1__prepare_import_error__init(e);
  e->line = line;
  e->message = *st->field ? vbp_arena_printf(p->arena, "%s: %s", st->field, st->reason)
                          : vbp_arena_printf(p->arena, "%s", st->message);
  Vbp__V1__PrepareImportError **grown =
      vbp_arena_alloc(p->arena, (p->n_errors + 1) * sizeof *grown);
  if (p->n_errors) memcpy(grown, p->errors, p->n_errors * sizeof *grown);
  grown[p->n_errors++] = e;
  p->errors = grown;
}

/* The part, from scratch each attempt (vbp_pg_prepare may re-run it). Any error rolls it back:
 * then nothing is prepared. */
static vbp_status part_tx_run(vbp_pg_conn *c, void *ctx) {
  part_tx *t = ctx;
  vbp_import_part *p = t->p;
  p->imported = p->skipped = 0;
  p->errors = NULL;
  p->n_errors = 0;
  for (size_t i = 0; i < t->n_items; i++) VBP_CHECK(t->item(c, p, i));
  if (p->n_errors)
    return vbp_status_make(VBP_FAILED_PRECONDITION, "%zu lines conflict", p->n_errors);
  /* The coordinator gave up on this call: it rolls the import back, maybe before this PREPARE,
   * which would then be left behind holding its locks. */
  if (vbp_call_remaining_ms(p->call) <= 0)
    return vbp_status_make(VBP_DEADLINE_EXCEEDED, "the coordinator's deadline passed");
  const char *point = vbp_arena_printf(p->arena, "%s.import.prepare", t->service);
  if (vbp_failpoint(point)) return vbp_status_make(VBP_UNAVAILABLE, "failpoint %s", point);
  return vbp_status_ok();
}

static vbp_status need_import_id(const char *id) {
  VBP_CHECK(vbp_need_id("importId", id));
  if (strlen(id) >= IMPORT_ID_MAX) return vbp_invalid("importId", "is too long");
  return vbp_status_ok();
}

vbp_status vbp_import_part_prepare(vbp_call *call, vbp_pg_pool *pool, const char *service,
                                   const char *import_id, const void *request, size_t n_items,
                                   vbp_import_item_fn item, ProtobufCMessage **response) {
  VBP_CHECK(need_import_id(import_id));
  vbp_arena *a = vbp_call_arena(call);
  vbp_import_part p = {.call = call, .arena = a, .import_id = import_id, .request = request};
  part_tx t = {.p = &p, .service = service, .n_items = n_items, .item = item};
  const char *gid = vbp_arena_printf(a, "vbp-import-%s-%s", import_id, service);
  vbp_status st = vbp_pg_prepare(pool, gid, part_tx_run, &t);
  if (!vbp_ok(&st) && p.n_errors == 0) return st;
  Vbp__V1__PrepareImportResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__prepare_import_response__init(r);
  r->imported = p.n_errors ? 0 : p.imported;
  r->skipped = p.n_errors ? 0 : p.skipped;
  r->errors = p.errors;
  r->n_errors = p.n_errors;
  *response = &r->base;
  return vbp_status_ok();
}

vbp_status vbp_import_part_finish(vbp_call *call, vbp_pg_pool *pool, const char *service,
                                  const ProtobufCMessage *request, ProtobufCMessage **response) {
  const Vbp__V1__FinishImportRequest *in = (const Vbp__V1__FinishImportRequest *)request;
  VBP_CHECK(need_import_id(in->import_id));
  vbp_arena *a = vbp_call_arena(call);
  Vbp__V1__FinishImportResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__finish_import_response__init(r);
  bool found = false;
  VBP_CHECK(vbp_pg_finish_prepared(
      pool, vbp_arena_printf(a, "vbp-import-%s-%s", in->import_id, service), in->commit, &found));
  r->found = found;
  *response = &r->base;
  return vbp_status_ok();
}
