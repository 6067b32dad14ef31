/* A daily purchase file (RecordPurchases, POST /v1/purchases:import): NDJSON, one Purchase a
 * line, each with its externalId. Every line is checked and recorded on its own, as
 * RecordPurchase would (purchases.c); sending the file again records nothing twice, because a
 * line whose externalId was recorded with the same content is skipped. A province's day is
 * millions of lines, so lines go through in windows, each with an arena of its own. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/handlers.h"
#include "volume-svc/purchases.h"

#define WINDOW_LINES 20000
#define MAX_LISTED_ERRORS 1000 /* a file of bad lines gets the first ones and a count */

typedef struct file_answer {
  vbp_arena *arena; /* the call's: what the answer keeps */
  Vbp__V1__RecordPurchasesResponse *r;
  size_t cap;
  int unlisted; /* errors beyond MAX_LISTED_ERRORS */
} file_answer;

static void add_error(file_answer *f, int line, const char *field, const char *reason) {
  if (f->r->n_errors >= MAX_LISTED_ERRORS) {
    f->unlisted++;
    return;
  }
  if (f->r->n_errors == f->cap) {
    size_t grown = f->cap ? 2 * f->cap : 16;
    Vbp__V1__PurchaseLineError **more = vbp_arena_alloc(f->arena, grown * sizeof *more);
    if (f->cap) memcpy(more, f->r->errors, f->cap * sizeof *more);
    f->r->errors = more;
    f->cap = grown;
  }
  Vbp__V1__PurchaseLineError *e = vbp_arena_alloc(f->arena, sizeof *e);
  vbp__v1__purchase_line_error__init(e);
  e->line = line;
  e->field = vbp_arena_strdup(f->arena, field);
  e->reason = vbp_arena_strdup(f->arena, reason);
  f->r->errors[f->r->n_errors++] = e;
}

static void add_status(file_answer *f, int line, const vbp_status *st) {
  add_error(f, line, st->field, *st->reason ? st->reason : st->message);
}

/* ---------------------------------------------------------------- one line */

/* A string member into *out (copied into a); "" when absent. */
static vbp_status text_member(vbp_arena *a, json_t *object, const char *name, char **out) {
  json_t *v = json_object_get(object, name);
  if (!v || json_is_null(v)) {
    *out = "";
    return vbp_status_ok();
  }
  if (!json_is_string(v)) return vbp_invalid(name, "must be a string");
  *out = vbp_arena_strndup(a, json_string_value(v), json_string_length(v));
  if (strlen(*out) != json_string_length(v)) return vbp_invalid(name, "must not contain NUL");
  return vbp_status_ok();
}

/* An int64 written as a JSON string or number (API.md: quantities are int64). */
static vbp_status int64_member(json_t *object, const char *name, int64_t *out) {
  json_t *v = json_object_get(object, name);
  *out = 0;
  if (!v || json_is_null(v)) return vbp_status_ok();
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    return vbp_status_ok();
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    if (*s && end && !*end && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
      *out = n;
      return vbp_status_ok();
    }
  }
  return vbp_invalid(name, "must be a whole number (a JSON string or number)");
}

static const char *const known_members[] = {"institutionId", "productId", "batchCode",
                                            "quantity",      "amount",    "orderedOn",
                                            "acceptedOn",    "externalId"};

/* One line into *p (in a), or the status of what is wrong with it. */
static vbp_status parse_line(vbp_arena *a, const char *text, size_t len, Vbp__V1__Purchase *p) {
  json_error_t error;
  json_t *object = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
  if (!object) return vbp_invalid("", "is not JSON: %s (column %d)", error.text, error.column);
  vbp_status st = vbp_status_ok();
  if (!json_is_object(object)) st = vbp_invalid("", "must be a JSON object, one purchase");
  const char *key;
  json_t *value;
  json_object_foreach(object, key, value) {
    if (!vbp_ok(&st)) break;
    bool known = false;
    for (size_t i = 0; i < sizeof known_members / sizeof *known_members; i++)
      known = known || strcmp(key, known_members[i]) == 0;
    if (!known) st = vbp_invalid(key, "is not a field of a purchase");
  }
  vbp__v1__purchase__init(p);
  if (vbp_ok(&st)) st = text_member(a, object, "institutionId", &p->institution_id);
  if (vbp_ok(&st)) st = text_member(a, object, "productId", &p->product_id);
  if (vbp_ok(&st)) st = text_member(a, object, "batchCode", &p->batch_code);
  if (vbp_ok(&st)) st = int64_member(object, "quantity", &p->quantity);
  if (vbp_ok(&st)) st = text_member(a, object, "amount", &p->amount);
  if (vbp_ok(&st)) st = text_member(a, object, "orderedOn", &p->ordered_on);
  if (vbp_ok(&st)) st = text_member(a, object, "acceptedOn", &p->accepted_on);
  if (vbp_ok(&st)) st = text_member(a, object, "externalId", &p->external_id);
  if (vbp_ok(&st) && !*p->external_id)
    st = vbp_invalid("externalId", "is required in a file: it makes sending the file again safe");
  json_decref(object);
  return st;
}

/* ---------------------------------------------------------------- windows */

typedef struct window {
  purchase_item *items;
  int *lines; /* the file line of items[i] */
  size_t n;
} window;

static vbp_status record_window(vbp_call *call, vbp_arena *a, window *w, file_answer *f) {
  VBP_CHECK(volume_purchases_record(call, a, w->items, w->n));
  for (size_t i = 0; i < w->n; i++) {
    const purchase_item *item = &w->items[i];
    if (item->outcome == PURCHASE_RECORDED)
      f->r->recorded++;
    else if (item->outcome == PURCHASE_SKIPPED)
      f->r->skipped++;
    else
      add_status(f, w->lines[i], &item->st);
  }
  return vbp_status_ok();
}

static int by_line(const void *x, const void *y) {
  int a = (*(Vbp__V1__PurchaseLineError *const *)x)->line;
  int b = (*(Vbp__V1__PurchaseLineError *const *)y)->line;
  return (a > b) - (a < b);
}

VOLUME_HANDLER(volume_record_purchases) {
  const Vbp__V1__RecordPurchasesRequest *in = (const Vbp__V1__RecordPurchasesRequest *)request;
  file_answer f = {.arena = vbp_call_arena(call)};
  f.r = vbp_arena_alloc(f.arena, sizeof *f.r);
  vbp__v1__record_purchases_response__init(f.r);
  window w = {.items = malloc(WINDOW_LINES * sizeof *w.items),
              .lines = malloc(WINDOW_LINES * sizeof *w.lines)};
  if (!w.items || !w.lines) abort();
  vbp_arena *a = vbp_arena_create();
  vbp_status st = vbp_status_ok();
  const char *text = (const char *)in->ndjson.data, *end = text + in->ndjson.len;
  int line = 0;
  while (text < end && vbp_ok(&st)) {
    const char *eol = memchr(text, '\n', (size_t)(end - text));
    size_t len = (size_t)((eol ? eol : end) - text);
    line++;
    if (len && text[len - 1] == '\r') len--;
    size_t blank = 0;
    while (blank < len && (text[blank] == ' ' || text[blank] == '\t')) blank++;
    if (blank < len) { /* blank lines are no purchases */
      Vbp__V1__Purchase *p = vbp_arena_alloc(a, sizeof *p);
      vbp_status parsed = parse_line(a, text, len, p);
      if (vbp_ok(&parsed)) parsed = volume_purchase_parse(p, &w.items[w.n]);
      if (vbp_ok(&parsed))
        w.lines[w.n++] = line;
      else
        add_status(&f, line, &parsed);
    }
    text = eol ? eol + 1 : end;
    if (w.n == WINDOW_LINES || (text >= end && w.n > 0)) {
      st = record_window(call, a, &w, &f);
      w.n = 0;
      vbp_arena_reset(a);
    }
  }
  vbp_arena_destroy(a);
  free(w.items);
  free(w.lines);
  if (!vbp_ok(&st)) return st;
  /* A line's own faults are found as it is read, the others when its window is recorded. */
  if (f.r->n_errors > 1) qsort(f.r->errors, f.r->n_errors, sizeof *f.r->errors, by_line);
  if (f.unlisted > 0) {
    char reason[80];
    snprintf(reason, sizeof reason, "and %d more lines with errors, not listed", f.unlisted);
    Vbp__V1__PurchaseLineError *e = vbp_arena_alloc(f.arena, sizeof *e);
    vbp__v1__purchase_line_error__init(e);
    e->reason = vbp_arena_strdup(f.arena, reason);
    Vbp__V1__PurchaseLineError **all = vbp_arena_alloc(f.arena, (f.r->n_errors + 1) * sizeof *all);
    if (f.r->n_errors) memcpy(all, f.r->errors, f.r->n_errors * sizeof *all);
    all[f.r->n_errors++] = e;
    f.r->errors = all;
  }
  *response = &f.r->base;
  return vbp_status_ok();
}
