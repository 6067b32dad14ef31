/* The shell of a service's part of an ImportBatch (import_part.h). */
#include "common/import_part.h"

#include <string.h>

#include "common/arena.h"
#include "common/failpoint.h"
#include "common/validate.h"

#define IMPORT_ID_MAX 64

void vbp_import_part_reset(vbp_import_part *p) {
  p->imported = p->skipped = 0;
  p->errors = NULL;
  p->n_errors = 0;
}

void vbp_import_part_error(vbp_import_part *p, int line, const vbp_status *st) {
  vbp_arena *a = vbp_call_arena(p->call);
  Vbp__V1__PrepareImportError *e = vbp_arena_alloc(a, sizeof *e);
  vbp__v1__prepare_import_error__init(e);
  e->line = line;
  e->message = *st->field ? vbp_arena_printf(a, "%s: %s", st->field, st->reason)
                          : vbp_arena_printf(a, "%s", st->message);
  Vbp__V1__PrepareImportError **grown = vbp_arena_alloc(a, (p->n_errors + 1) * sizeof *grown);
  if (p->n_errors) memcpy(grown, p->errors, p->n_errors * sizeof *grown);
  grown[p->n_errors++] = e;
  p->errors = grown;
}

vbp_status vbp_import_part_ready(const vbp_import_part *p) {
  if (p->n_errors)
    return vbp_status_make(VBP_FAILED_PRECONDITION, "%zu lines conflict", p->n_errors);
  if (vbp_call_remaining_ms(p->call) <= 0)
    return vbp_status_make(VBP_DEADLINE_EXCEEDED, "the coordinator's deadline passed");
  char point[64];
  snprintf(point, sizeof point, "%s.import.prepare", p->service);
  if (vbp_failpoint(point)) return vbp_status_make(VBP_UNAVAILABLE, "failpoint %s", point);
  return vbp_status_ok();
}

/* The part's prepared transaction, after checking the id it is made of. */
static vbp_status gid_of(vbp_arena *a, const char *service, const char *import_id,
                         const char **gid) {
  VBP_CHECK(vbp_need_id("importId", import_id));
  if (strlen(import_id) >= IMPORT_ID_MAX) return vbp_invalid("importId", "is too long");
  *gid = vbp_arena_printf(a, "vbp-import-%s-%s", import_id, service);
  return vbp_status_ok();
}

vbp_status vbp_import_part_prepare(vbp_import_part *p, vbp_pg_pool *pool, const char *import_id,
                                   vbp_pg_tx_fn work, ProtobufCMessage **response) {
  vbp_arena *a = vbp_call_arena(p->call);
  const char *gid = NULL;
  VBP_CHECK(gid_of(a, p->service, import_id, &gid));
  vbp_status st = vbp_pg_prepare(pool, gid, work, p);
  if (!vbp_ok(&st) && p->n_errors == 0) return st;
  Vbp__V1__PrepareImportResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__prepare_import_response__init(r);
  r->imported = p->n_errors ? 0 : p->imported;
  r->skipped = p->n_errors ? 0 : p->skipped;
  r->errors = p->errors;
  r->n_errors = p->n_errors;
  *response = &r->base;
  return vbp_status_ok();
}

vbp_status vbp_import_part_finish(vbp_call *call, vbp_pg_pool *pool, const char *service,
                                  const ProtobufCMessage *request, ProtobufCMessage **response) {
  const Vbp__V1__FinishImportRequest *in = (const Vbp__V1__FinishImportRequest *)request;
  vbp_arena *a = vbp_call_arena(call);
  const char *gid = NULL;
  VBP_CHECK(gid_of(a, service, in->import_id, &gid));
  Vbp__V1__FinishImportResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__finish_import_response__init(r);
  bool found = false;
  VBP_CHECK(vbp_pg_finish_prepared(pool, gid, in->commit, &found));
  r->found = found;
  *response = &r->base;
  return vbp_status_ok();
}
