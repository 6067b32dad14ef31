/* ImportBatch: another province's exchange file taken in, all or nothing across catalog-svc,
 * volume-svc and contract-svc (docs/exchange.md "Import").
 *
 * 1. Validation, whole, before anything is written: every line parsed (gateway/json.h maps the
 *    proto3 JSON), checked as the Create* methods check their input, its references resolved
 *    in the lines before it or in the database, the file one batch and one province ending in
 *    `end` with the right count. Any error: the answer lists them (line, field) and nothing is
 *    written.
 * 2. Two-phase commit, catalog-svc coordinating: the import is recorded ('preparing', committed
 *    alone), each service writes its part in one transaction and PREPAREs it; when all prepared,
 *    one UPDATE to 'committed' is the commit point, then COMMIT PREPARED everywhere and 'done'.
 *    A part that failed or reported a conflicting line: ROLLBACK PREPARED everywhere, 'aborted'.
 * 3. Recovery (catalog_import_recover, a thread of catalog-svc): 'committed' imports are
 *    committed everywhere, 'preparing' ones older than a bound are aborted everywhere.
 *
 * Records already present with the same content are skipped; with other content they are an
 * error of their line. An import never updates or deletes a row. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog-svc/checks.h"
#include "catalog-svc/handlers.h"
#include "catalog-svc/import.h"
#include "catalog-svc/rules.h"
#include "catalog-svc/store.h"
#include "common/config.h"
#include "common/failpoint.h"
#include "common/identity.h"
#include "common/log.h"
#include "common/money.h"
#include "common/regions.h"
#include "common/validate.h"
#include "gateway/json.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

#define AGREEMENT_YEARS_MAX 64
#define ERRORS_MAX 100 /* reported; a broken 64 MiB file must not answer millions */
#define FINISH_TIMEOUT_MS 10000
#define PRICE_INPUTS_PUSH_TIMEOUT_MS 200

/* ---------------------------------------------------------------- the file in memory */

/* A key of something the file defines ("R:350000", "O:h1", "P:p1", "G:g1", "X:p1" a result),
 * and the record (index into recs) that defines it. */
typedef struct file_key {
  const char *key;
  size_t rec;
} file_key;

typedef struct rec {
  int line;
  Vbp__V1__ExchangeRecord *r;
  bool exists; /* catalog records: already in the database with the same content */
} rec;

typedef struct importer {
  vbp_call *call;
  catalog_service *svc;
  vbp_arena *a;
  rec *recs;
  size_t n;
  file_key *keys;
  size_t n_keys;
  Vbp__V1__ImportError **errors;
  size_t n_errors, errors_cap;
  bool more_errors;
  const Vbp__V1__Batch *batch; /* the file's */
  const char *province;        /* the file's execution's region */
  int n_years;                 /* the execution's agreement years */
  /* The parts of the other services, filled by validation. */
  Vbp__V1__VolumeImportItem **volume;
  size_t n_volume;
  Vbp__V1__ContractImportItem **contracts;
  size_t n_contracts;
  int catalog_new, catalog_skipped; /* the catalog part's counts, set by its transaction */
  const char *id;                   /* the import's */
} importer;

/* A part's PrepareImport deadline: half the abort bound (30 s of the default 60 s), so that it is
 * well inside it (see recovery). Set by catalog_import_recovery_start. */
static int part_timeout_ms = 30000;

static catalog_service *service_of(vbp_call *call) { return vbp_call_context(call); }

static bool succeeded(vbp_status st) { return vbp_ok(&st); }

static void add_error_text(importer *im, int line, const char *text) {
  if (im->n_errors == ERRORS_MAX) {
    im->more_errors = true;
    return;
  }
  if (im->n_errors == im->errors_cap) {
    size_t cap = im->errors_cap ? 2 * im->errors_cap : 16;
    Vbp__V1__ImportError **grown = vbp_arena_alloc(im->a, cap * sizeof *grown);
    if (im->n_errors) memcpy(grown, im->errors, im->n_errors * sizeof *grown);
    im->errors = grown;
    im->errors_cap = cap;
  }
  Vbp__V1__ImportError *e = vbp_arena_alloc(im->a, sizeof *e);
  vbp__v1__import_error__init(e);
  e->line = line;
  e->message = vbp_arena_strdup(im->a, text);
  im->errors[im->n_errors++] = e;
}

/* "field: reason" for a refusal naming a field, else the message. */
static const char *status_text(vbp_arena *a, const vbp_status *st) {
  if (*st->field) return vbp_arena_printf(a, "%s: %s", st->field, st->reason);
  return vbp_arena_printf(a, "%s", *st->reason ? st->reason : st->message);
}

static void add_error(importer *im, int line, const vbp_status *st) {
  add_error_text(im, line, status_text(im->a, st));
}

static int by_key(const void *x, const void *y) {
  return strcmp(((const file_key *)x)->key, ((const file_key *)y)->key);
}

/* The record of the file defining `key` (kind prefix + id), or NULL. */
static const rec *in_file(const importer *im, char kind, const char *id) {
  char buf[256];
  /* By hand, not snprintf: several look-ups a line (perf showed vfprintf at ~5% of a large
   * import's CPU). An id too long for buf is cut, as snprintf cut it. */
  size_t n = strlen(id);
  if (n > sizeof buf - 3) n = sizeof buf - 3;
  buf[0] = kind;
  buf[1] = ':';
  memcpy(buf + 2, id, n);
  buf[n + 2] = '\0';
  file_key want = {.key = buf};
  const file_key *k = bsearch(&want, im->keys, im->n_keys, sizeof *im->keys, by_key);
  return k ? &im->recs[k->rec] : NULL;
}

/* ---------------------------------------------------------------- static checks
 * What CreateRegion, CreateOrganization, CreateBatch, CreateExecution, CreateProduct,
 * CreateGroup and PublishResult check before they look at the database: the same functions
 * (catalog-svc/checks.h), with the field named under its record ("region.code"). */

static vbp_status check_execution(const Vbp__V1__ExecutionRecord *x) {
  if (!x->execution) return vbp_invalid("execution.execution", "is required");
  vbp_date start;
  return catalog_check_execution(x->execution, "execution.execution.", &start);
}

static vbp_status check_group(const Vbp__V1__Group *in) {
  vbp_money cap;
  return catalog_check_group(in, "group.", &cap);
}

/* The result's price as PublishResult stores it: four decimals. */
static vbp_status check_result(vbp_arena *a, Vbp__V1__Result *in) {
  vbp_money price;
  return catalog_check_result(a, in, "result.", in, &price);
}

/* The static checks of one record, with the file's batch and province where it names them. */
static vbp_status check_static(importer *im, rec *r) {
  Vbp__V1__ExchangeRecord *x = r->r;
  switch (x->record_case) {
    case VBP__V1__EXCHANGE_RECORD__RECORD_REGION:
      return catalog_check_region(x->region, "region.");
    case VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION:
      VBP_CHECK(catalog_check_organization_kind(x->organization, "organization."));
      return catalog_check_organization_rest(x->organization, "organization.");
    case VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT:
      return catalog_check_product(x->product, "product.");
    case VBP__V1__EXCHANGE_RECORD__RECORD_BATCH:
      /* As an export writes a batch: its members given, and both cycle fields when ExtendBatch
       * has moved the end of a cycle given in years. */
      return catalog_check_batch(im->a, x->batch, "batch.", true);
    case VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION:
      return check_execution(x->execution);
    case VBP__V1__EXCHANGE_RECORD__RECORD_GROUP:
      return check_group(x->group);
    case VBP__V1__EXCHANGE_RECORD__RECORD_RESULT:
      return check_result(im->a, x->result);
    default:
      return vbp_status_ok(); /* the other services' records: checked with their references */
  }
}

/* ---------------------------------------------------------------- references */

static bool same(vbp_arena *a, const ProtobufCMessage *x, const ProtobufCMessage *y) {
  size_t nx = protobuf_c_message_get_packed_size(x), ny = protobuf_c_message_get_packed_size(y);
  if (nx != ny) return false;
  uint8_t *bx = vbp_arena_alloc(a, nx + 1), *by = vbp_arena_alloc(a, ny + 1);
  protobuf_c_message_pack(x, bx);
  protobuf_c_message_pack(y, by);
  return memcmp(bx, by, nx) == 0;
}

/* A reference from line `line`: the file's record before it, else the database's row. A record
 * of the file after the line is an error of its own ("is defined after this line"). */
typedef struct ref {
  const rec *file;
  bool after; /* defined in the file, but after the referring line */
} ref;

static ref file_ref(const importer *im, char kind, const char *id, int line) {
  ref out = {.file = in_file(im, kind, id)};
  if (out.file && out.file->line > line) {
    out.after = true;
    out.file = NULL;
  }
  return out;
}

static vbp_status after_error(const char *field) {
  return vbp_invalid(field, "names a record defined after this line (references come first)");
}

static vbp_status find_region(importer *im, vbp_pg_conn *c, const char *code, int line,
                              const char *field, Vbp__V1__Region **out) {
  ref f = file_ref(im, 'R', code, line);
  if (f.after) return after_error(field);
  if (f.file) {
    *out = f.file->r->region;
    return vbp_status_ok();
  }
  VBP_CHECK(catalog_store_find_region(c, im->a, code, out));
  if (!*out) return vbp_invalid(field, "names no region");
  return vbp_status_ok();
}

static vbp_status find_org(importer *im, vbp_pg_conn *c, const char *id, int line,
                           const char *field, int kind, Vbp__V1__Organization **out) {
  ref f = file_ref(im, 'O', id, line);
  if (f.after) return after_error(field);
  if (f.file) {
    *out = f.file->r->organization;
  } else {
    VBP_CHECK(catalog_store_find_organization(c, im->a, id, out));
    if (!*out) return vbp_invalid(field, "names no organization");
  }
  if (kind && (int)(*out)->kind != kind) {
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&vbp__v1__organization_kind__descriptor, kind);
    return vbp_invalid(field, "must name a %s", v ? v->name : "?");
  }
  return vbp_status_ok();
}

static vbp_status find_product(importer *im, vbp_pg_conn *c, const char *id, int line,
                               const char *field, Vbp__V1__Product **out) {
  ref f = file_ref(im, 'P', id, line);
  if (f.after) return after_error(field);
  if (f.file) {
    *out = f.file->r->product;
    return vbp_status_ok();
  }
  VBP_CHECK(catalog_store_find_product(c, im->a, id, out));
  if (!*out) return vbp_invalid(field, "names no product");
  return vbp_status_ok();
}

static vbp_status find_group(importer *im, vbp_pg_conn *c, const char *id, int line,
                             const char *field, Vbp__V1__Group **out) {
  ref f = file_ref(im, 'G', id, line);
  if (f.after) return after_error(field);
  if (f.file) {
    *out = f.file->r->group;
    return vbp_status_ok();
  }
  VBP_CHECK(catalog_store_find_group(c, im->a, im->batch->code, id, false, out));
  if (!*out) return vbp_invalid(field, "names no group of batch %s", im->batch->code);
  return vbp_status_ok();
}

/* The product's result in the file's batch; for allocations, contracts and progress it must be
 * WINNING or BACKUP, in group_id when given. */
static vbp_status find_winner(importer *im, vbp_pg_conn *c, const char *product_id,
                              const char *group_id, int line, const char *field,
                              Vbp__V1__Result **out) {
  ref f = file_ref(im, 'X', product_id, line);
  if (f.after) return after_error(field);
  if (f.file) {
    *out = f.file->r->result;
  } else {
    VBP_CHECK(catalog_store_find_result(c, im->a, im->batch->code, product_id, out));
    if (!*out) return vbp_invalid(field, "has no result in batch %s", im->batch->code);
  }
  if (!catalog_result_winning((*out)->status))
    return vbp_invalid(field, "did not win in batch %s", im->batch->code);
  if (group_id && strcmp((*out)->group_id, group_id) != 0)
    return vbp_invalid(field, "won in group %s, not %s", (*out)->group_id, group_id);
  return vbp_status_ok();
}

static vbp_status need_batch(importer *im, const char *field, const char *code) {
  if (strcmp(code, im->batch->code) != 0)
    return vbp_invalid(field, "must be %s: a file holds one batch", im->batch->code);
  return vbp_status_ok();
}

static vbp_status need_province(importer *im, const char *field, const char *code) {
  if (strcmp(code, im->province) != 0)
    return vbp_invalid(field, "must be %s: a file holds one province", im->province);
  return vbp_status_ok();
}

static vbp_status need_year(importer *im, const char *field, int year) {
  if (year < 1 || year > im->n_years)
    return vbp_invalid(field, "must be 1 to %d, the execution's agreement years", im->n_years);
  return vbp_status_ok();
}

/* Whether the stored row is the record (skipped) or conflicts with it (an error). */
static vbp_status compare(importer *im, rec *r, const ProtobufCMessage *stored,
                          const ProtobufCMessage *wanted, const char *field, const char *what,
                          const char *key) {
  if (!stored) return vbp_status_ok();
  if (!same(im->a, stored, wanted))
    return vbp_status_field(VBP_ALREADY_EXISTS, field, "%s %s exists already with other values",
                            what, key);
  r->exists = true;
  return vbp_status_ok();
}

static catalog_cycle cycle_of(const Vbp__V1__Batch *b) {
  catalog_cycle cycle = {.years = b->cycle_years};
  cycle.has_last_day = *b->cycle_end && vbp_date_parse(b->cycle_end, &cycle.last_day);
  return cycle;
}

static vbp_status check_years(importer *im, const Vbp__V1__ExecutionRecord *x) {
  vbp_date start;
  if (!vbp_date_parse(x->execution->start_date, &start))
    return vbp_invalid("execution.execution.startDate", "is not a date");
  catalog_cycle cycle = cycle_of(im->batch);
  if (cycle.has_last_day && start > cycle.last_day)
    return vbp_invalid("execution.execution.startDate", "must not be after the cycle end %s",
                       im->batch->cycle_end);
  catalog_agreement_year years[AGREEMENT_YEARS_MAX];
  bool align = !x->execution->align_renewal || x->execution->align_renewal->value;
  size_t n = catalog_agreement_years(start, &cycle, align, years, AGREEMENT_YEARS_MAX);
  if (n > AGREEMENT_YEARS_MAX) n = AGREEMENT_YEARS_MAX;
  if (x->n_agreement_years != n)
    return vbp_invalid("execution.agreementYears", "must be the %zu years of the cycle, not %zu", n,
                       x->n_agreement_years);
  for (size_t i = 0; i < n; i++) {
    char s[VBP_DATE_FORMAT_MAX], e[VBP_DATE_FORMAT_MAX];
    const Vbp__V1__AgreementYear *y = x->agreement_years[i];
    vbp_date_format(years[i].start, s);
    vbp_date_format(years[i].end, e);
    if (y->year != years[i].year || strcmp(y->start, s) != 0 || strcmp(y->end, e) != 0)
      return vbp_invalid(vbp_arena_printf(im->a, "execution.agreementYears[%zu]", i),
                         "must be year %d from %s to %s", years[i].year, s, e);
  }
  im->n_years = (int)n;
  return vbp_status_ok();
}

/* Shares of the group published here and not in the file, plus the file's: at most 100. */
static vbp_status check_shares(importer *im, vbp_pg_conn *c, const Vbp__V1__Result *in) {
  int sum = 0;
  VBP_CHECK(catalog_store_group_share_sum(c, im->batch->code, in->group_id, &sum));
  for (size_t i = 0; i < im->n; i++) {
    const rec *o = &im->recs[i];
    if (o->r->record_case != VBP__V1__EXCHANGE_RECORD__RECORD_RESULT || o->exists) continue;
    if (strcmp(o->r->result->group_id, in->group_id) == 0) sum += o->r->result->share_percent;
  }
  if (sum > 100)
    return vbp_invalid("result.sharePercent",
                       "would bring the shares of group %s to %d, more "
                       "than 100",
                       in->group_id, sum);
  return vbp_status_ok();
}

static vbp_status add_volume(importer *im, rec *r, const char *institution_region,
                             const Vbp__V1__Product *p, const Vbp__V1__Result *res) {
  Vbp__V1__VolumeImportItem *it = vbp_arena_alloc(im->a, sizeof *it);
  vbp__v1__volume_import_item__init(it);
  it->line = r->line;
  it->record = vbp_arena_alloc(im->a, sizeof *it->record);
  vbp__v1__volume_exchange_record__init(it->record);
  if (r->r->record_case == VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION) {
    it->record->record_case = VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION;
    it->record->allocation = r->r->allocation;
    it->institution_region = (char *)institution_region;
    it->manufacturer_id = p->manufacturer_id;
    it->winning_price = res->winning_price;
  } else {
    it->record->record_case = VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_PROGRESS;
    it->record->progress = r->r->progress;
  }
  im->volume[im->n_volume++] = it;
  return vbp_status_ok();
}

static vbp_status check_allocation(importer *im, vbp_pg_conn *c, rec *r) {
  Vbp__V1__Allocation *x = r->r->allocation;
  VBP_CHECK(need_batch(im, "allocation.batchCode", x->batch_code));
  VBP_CHECK(need_province(im, "allocation.regionCode", x->region_code));
  VBP_CHECK(vbp_need_id("allocation.institutionId", x->institution_id));
  VBP_CHECK(vbp_need_id("allocation.groupId", x->group_id));
  VBP_CHECK(vbp_need_id("allocation.productId", x->product_id));
  VBP_CHECK(need_year(im, "allocation.agreementYear", x->agreement_year));
  if (x->agreed_quantity < 0)
    return vbp_invalid("allocation.agreedQuantity", "must not be negative");
  if (x->base_quantity < 0) return vbp_invalid("allocation.baseQuantity", "must not be negative");
  if (x->ratio_percent < 1 || x->ratio_percent > 100)
    return vbp_invalid("allocation.ratioPercent", "must be 1 to 100");
  Vbp__V1__Organization *inst = NULL;
  VBP_CHECK(find_org(im, c, x->institution_id, r->line, "allocation.institutionId",
                     VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, &inst));
  Vbp__V1__Group *g = NULL;
  VBP_CHECK(find_group(im, c, x->group_id, r->line, "allocation.groupId", &g));
  Vbp__V1__Product *p = NULL;
  VBP_CHECK(find_product(im, c, x->product_id, r->line, "allocation.productId", &p));
  Vbp__V1__Result *res = NULL;
  VBP_CHECK(find_winner(im, c, x->product_id, x->group_id, r->line, "allocation.productId", &res));
  return add_volume(im, r, inst->region_code, p, res);
}

static vbp_status check_progress(importer *im, vbp_pg_conn *c, rec *r) {
  Vbp__V1__ExchangeProgress *x = r->r->progress;
  vbp_date d;
  VBP_CHECK(need_batch(im, "progress.batchCode", x->batch_code));
  VBP_CHECK(need_province(im, "progress.regionCode", x->region_code));
  VBP_CHECK(need_year(im, "progress.agreementYear", x->agreement_year));
  VBP_CHECK(vbp_need_date("progress.asOf", x->as_of, &d));
  VBP_CHECK(vbp_need_id("progress.institutionId", x->institution_id));
  VBP_CHECK(vbp_need_id("progress.productId", x->product_id));
  if (x->agreed < 0) return vbp_invalid("progress.agreed", "must not be negative");
  if (x->purchased < 0) return vbp_invalid("progress.purchased", "must not be negative");
  Vbp__V1__Organization *inst = NULL;
  VBP_CHECK(find_org(im, c, x->institution_id, r->line, "progress.institutionId",
                     VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, &inst));
  Vbp__V1__Product *p = NULL;
  VBP_CHECK(find_product(im, c, x->product_id, r->line, "progress.productId", &p));
  Vbp__V1__Result *res = NULL;
  VBP_CHECK(find_winner(im, c, x->product_id, NULL, r->line, "progress.productId", &res));
  return add_volume(im, r, inst->region_code, p, res);
}

static vbp_status check_contract(importer *im, vbp_pg_conn *c, rec *r) {
  Vbp__V1__Contract *x = r->r->contract;
  VBP_CHECK(vbp_need_id("contract.id", x->id));
  VBP_CHECK(need_batch(im, "contract.batchCode", x->batch_code));
  VBP_CHECK(need_province(im, "contract.regionCode", x->region_code));
  VBP_CHECK(need_year(im, "contract.agreementYear", x->agreement_year));
  VBP_CHECK(vbp_need_id("contract.institutionId", x->institution_id));
  VBP_CHECK(vbp_need_id("contract.productId", x->product_id));
  Vbp__V1__Organization *inst = NULL, *o = NULL;
  VBP_CHECK(find_org(im, c, x->institution_id, r->line, "contract.institutionId",
                     VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, &inst));
  Vbp__V1__Product *p = NULL;
  VBP_CHECK(find_product(im, c, x->product_id, r->line, "contract.productId", &p));
  Vbp__V1__Result *res = NULL;
  VBP_CHECK(find_winner(im, c, x->product_id, NULL, r->line, "contract.productId", &res));
  if (strcmp(x->manufacturer_id, p->manufacturer_id) != 0)
    return vbp_invalid("contract.manufacturerId", "must be %s, the product's manufacturer",
                       p->manufacturer_id);
  if (*x->distributor_id)
    VBP_CHECK(find_org(im, c, x->distributor_id, r->line, "contract.distributorId",
                       VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, &o));
  vbp_money price, won;
  VBP_CHECK(vbp_need_price("contract.price", x->price, &price));
  if (!vbp_money_parse(res->winning_price, &won) || won != price)
    return vbp_invalid("contract.price", "must be %s, the product's winning price (C1)",
                       res->winning_price);
  /* The usual three parties' field names without an allocation a contract. */
  static const char *const signed_by[] = {"contract.signatures[0].signedBy",
                                          "contract.signatures[1].signedBy",
                                          "contract.signatures[2].signedBy"};
  for (size_t i = 0; i < x->n_signatures; i++) {
    const Vbp__V1__Signature *s = x->signatures[i];
    if (*s->signed_by)
      VBP_CHECK(find_org(
          im, c, s->signed_by, r->line,
          i < 3 ? signed_by[i] : vbp_arena_printf(im->a, "contract.signatures[%zu].signedBy", i), 0,
          &o));
  }
  Vbp__V1__ContractImportItem *it = vbp_arena_alloc(im->a, sizeof *it);
  vbp__v1__contract_import_item__init(it);
  it->line = r->line;
  it->contract = x;
  it->kind = im->batch->kind;
  it->institution_region = inst->region_code;
  im->contracts[im->n_contracts++] = it;
  return vbp_status_ok();
}

/* A record's references and, for the catalog's own records, whether it is there already. */
static vbp_status check_refs(importer *im, vbp_pg_conn *c, rec *r) {
  Vbp__V1__ExchangeRecord *x = r->r;
  vbp_arena *a = im->a;
  switch (x->record_case) {
    case VBP__V1__EXCHANGE_RECORD__RECORD_REGION: {
      Vbp__V1__Region *in = x->region, *parent = NULL, *stored = NULL;
      if (*in->parent_code)
        VBP_CHECK(find_region(im, c, in->parent_code, r->line, "region.parentCode", &parent));
      VBP_CHECK(catalog_store_find_region(c, a, in->code, &stored));
      return compare(im, r, stored ? &stored->base : NULL, &in->base, "region.code", "region",
                     in->code);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION: {
      Vbp__V1__Organization *in = x->organization, *o = NULL, *stored = NULL;
      Vbp__V1__Region *region = NULL;
      VBP_CHECK(find_region(im, c, in->region_code, r->line, "organization.regionCode", &region));
      if (*in->consortium_id)
        VBP_CHECK(find_org(im, c, in->consortium_id, r->line, "organization.consortiumId",
                           VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, &o));
      VBP_CHECK(catalog_store_find_organization(c, a, in->id, &stored));
      return compare(im, r, stored ? &stored->base : NULL, &in->base, "organization.id",
                     "organization", in->id);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT: {
      Vbp__V1__Product *in = x->product, *stored = NULL;
      Vbp__V1__Organization *maker = NULL;
      VBP_CHECK(find_org(im, c, in->manufacturer_id, r->line, "product.manufacturerId",
                         VBP__V1__ORGANIZATION_KIND__MANUFACTURER, &maker));
      VBP_CHECK(catalog_store_find_product(c, a, in->id, &stored));
      return compare(im, r, stored ? &stored->base : NULL, &in->base, "product.id", "product",
                     in->id);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_BATCH: {
      Vbp__V1__Batch *in = x->batch, *stored = NULL;
      int want = in->organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__CITY
                     ? VBP__V1__REGION_LEVEL__CITY
                     : VBP__V1__REGION_LEVEL__PROVINCE;
      Vbp__V1__Region *region = NULL;
      VBP_CHECK(find_region(im, c, in->lead_region_code, r->line, "batch.leadRegionCode", &region));
      if ((int)region->level != want)
        return vbp_invalid("batch.leadRegionCode",
                           "must be a %s for a batch organized at this "
                           "level",
                           catalog_level_name(want));
      for (size_t i = 0; i < in->n_member_region_codes; i++) {
        const char *field = vbp_arena_printf(a, "batch.memberRegionCodes[%zu]", i);
        VBP_CHECK(find_region(im, c, in->member_region_codes[i], r->line, field, &region));
        if ((int)region->level != want)
          return vbp_invalid(field, "must be a %s for a batch organized at this level",
                             catalog_level_name(want));
      }
      VBP_CHECK(catalog_store_find_batch(c, a, in->code, false, &stored));
      return compare(im, r, stored ? &stored->base : NULL, &in->base, "batch.code", "batch",
                     in->code);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION: {
      Vbp__V1__Execution *in = x->execution->execution, *stored = NULL;
      VBP_CHECK(need_batch(im, "execution.execution.batchCode", in->batch_code));
      Vbp__V1__Region *region = NULL;
      VBP_CHECK(
          find_region(im, c, in->region_code, r->line, "execution.execution.regionCode", &region));
      if (region->level != VBP__V1__REGION_LEVEL__PROVINCE &&
          im->batch->organizer_level != VBP__V1__BATCH__ORGANIZER_LEVEL__CITY)
        return vbp_invalid("execution.execution.regionCode",
                           "must be a province: a batch is executed province by province");
      bool member = false;
      for (size_t i = 0; i < im->batch->n_member_region_codes; i++)
        member |= strcmp(im->batch->member_region_codes[i], in->region_code) == 0;
      if (!member)
        return vbp_invalid("execution.execution.regionCode", "is not a member region of batch %s",
                           im->batch->code);
      VBP_CHECK(check_years(im, x->execution));
      if (!in->align_renewal) { /* absent means aligned (C6), as CreateExecution stores it */
        in->align_renewal = vbp_arena_alloc(a, sizeof *in->align_renewal);
        google__protobuf__bool_value__init(in->align_renewal);
        in->align_renewal->value = true;
      }
      VBP_CHECK(catalog_store_find_execution(c, a, in->batch_code, in->region_code, &stored));
      return compare(im, r, stored ? &stored->base : NULL, &in->base,
                     "execution.execution.regionCode", "execution in", in->region_code);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_GROUP: {
      Vbp__V1__Group *in = x->group, *stored = NULL;
      VBP_CHECK(need_batch(im, "group.batchCode", in->batch_code));
      VBP_CHECK(catalog_store_find_group(c, a, in->batch_code, in->id, false, &stored));
      /* The cap as the store answers it (four decimals), so "35" and "35.0000" are one cap. */
      vbp_money cap = 0;
      if (*in->max_non_winning_price && vbp_money_parse(in->max_non_winning_price, &cap))
        in->max_non_winning_price = vbp_money_format(cap, vbp_arena_alloc(a, VBP_MONEY_FORMAT_MAX));
      return compare(im, r, stored ? &stored->base : NULL, &in->base, "group.id", "group", in->id);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_RESULT: {
      Vbp__V1__Result *in = x->result, *stored = NULL;
      VBP_CHECK(need_batch(im, "result.batchCode", in->batch_code));
      Vbp__V1__Group *g = NULL;
      VBP_CHECK(find_group(im, c, in->group_id, r->line, "result.groupId", &g));
      Vbp__V1__Product *p = NULL;
      VBP_CHECK(find_product(im, c, in->product_id, r->line, "result.productId", &p));
      if (p->kind != im->batch->kind)
        return vbp_invalid("result.productId", "is not of the kind batch %s buys", im->batch->code);
      if (p->kind == VBP__V1__PRODUCT_KIND__DRUG && strcmp(p->generic_name, g->generic_name) != 0)
        return vbp_invalid("result.groupId", "is the group of %s, not of the product's %s",
                           g->generic_name, p->generic_name);
      VBP_CHECK(catalog_store_find_result(c, a, in->batch_code, in->product_id, &stored));
      VBP_CHECK(compare(im, r, stored ? &stored->base : NULL, &in->base, "result.productId",
                        "result for product", in->product_id));
      return r->exists ? vbp_status_ok() : check_shares(im, c, in);
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION:
      return check_allocation(im, c, r);
    case VBP__V1__EXCHANGE_RECORD__RECORD_PROGRESS:
      return check_progress(im, c, r);
    case VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT:
      return check_contract(im, c, r);
    default:
      return vbp_status_ok();
  }
}

static vbp_status validate_tx(vbp_pg_conn *c, void *ctx) {
  importer *im = ctx;
  /* A re-run (vbp_pg_read retries) starts again. */
  im->n_errors = 0;
  im->more_errors = false;
  im->n_volume = im->n_contracts = 0;
  im->n_years = 0;
  for (size_t i = 0; i < im->n; i++) im->recs[i].exists = false;
  /* The execution first: the years every later record is checked against. */
  for (size_t i = 0; i < im->n; i++) {
    rec *r = &im->recs[i];
    if (r->r->record_case != VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION) continue;
    vbp_status st = check_refs(im, c, r);
    if (st.code != VBP_INVALID_ARGUMENT && st.code != VBP_ALREADY_EXISTS && !vbp_ok(&st)) return st;
    if (!vbp_ok(&st)) add_error(im, r->line, &st);
  }
  if (im->n_errors) return vbp_status_ok(); /* without its years every year would be wrong */
  for (size_t i = 0; i < im->n; i++) {
    rec *r = &im->recs[i];
    if (r->r->record_case == VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION) continue;
    vbp_status st = check_refs(im, c, r);
    if (st.code != VBP_INVALID_ARGUMENT && st.code != VBP_ALREADY_EXISTS && !vbp_ok(&st)) return st;
    if (!vbp_ok(&st)) add_error(im, r->line, &st);
  }
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- parsing */

/* Orders the errors by line, keeping the order of one line's errors (insertion sort: stable,
 * and there are at most ERRORS_MAX). */
static void sort_errors(Vbp__V1__ImportError **e, size_t n) {
  for (size_t i = 1; i < n; i++) {
    Vbp__V1__ImportError *x = e[i];
    size_t j = i;
    for (; j > 0 && e[j - 1]->line > x->line; j--) e[j] = e[j - 1];
    e[j] = x;
  }
}

/* Splits the body into lines, parses each, checks each alone and the file's shape. Every error
 * goes to im->errors; the records parsed go to im->recs. */
static void parse(importer *im, const char *body, size_t len) {
  size_t lines = 1;
  for (size_t i = 0; i < len; i++) lines += body[i] == '\n';
  im->recs = vbp_arena_alloc(im->a, lines * sizeof *im->recs);
  im->keys = vbp_arena_alloc(im->a, lines * sizeof *im->keys);
  im->volume = vbp_arena_alloc(im->a, lines * sizeof *im->volume);
  im->contracts = vbp_arena_alloc(im->a, lines * sizeof *im->contracts);
  int end_line = 0;
  int64_t end_count = -1;
  size_t n_batches = 0, n_executions = 0;
  int line = 0;
  /* A newline ends the last line too: nothing after it is a line. */
  for (size_t at = 0; at < len;) {
    const char *start = body + at;
    const char *nl = memchr(start, '\n', len - at);
    size_t n = nl ? (size_t)(nl - start) : len - at;
    at += n + 1;
    line++;
    if (n > 0 && start[n - 1] == '\r') n--;
    if (end_line) {
      add_error_text(im, line, "follows the end record");
      continue;
    }
    if (n == 0) {
      add_error_text(im, line, "is empty");
      continue;
    }
    Vbp__V1__ExchangeRecord *x =
        (Vbp__V1__ExchangeRecord *)gw_message_new(&vbp__v1__exchange_record__descriptor, im->a);
    vbp_status st = gw_json_merge(&x->base, start, n, im->a);
    if (vbp_ok(&st) && x->record_case == VBP__V1__EXCHANGE_RECORD__RECORD__NOT_SET)
      st = vbp_invalid("",
                       "must hold one record (region, organization, product, batch, "
                       "execution, group, result, allocation, contract, progress or end)");
    if (!vbp_ok(&st)) {
      add_error(im, line, &st);
      continue;
    }
    if (x->record_case == VBP__V1__EXCHANGE_RECORD__RECORD_END) {
      end_line = line;
      end_count = x->end->records;
      continue;
    }
    rec *r = &im->recs[im->n++];
    r->line = line;
    r->r = x;
    st = check_static(im, r);
    if (!vbp_ok(&st)) add_error(im, line, &st);
    char kind = 0;
    const char *id = NULL;
    switch (x->record_case) {
      case VBP__V1__EXCHANGE_RECORD__RECORD_REGION:
        kind = 'R', id = x->region->code;
        break;
      case VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION:
        kind = 'O', id = x->organization->id;
        break;
      case VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT:
        kind = 'P', id = x->product->id;
        break;
      case VBP__V1__EXCHANGE_RECORD__RECORD_GROUP:
        kind = 'G', id = x->group->id;
        break;
      case VBP__V1__EXCHANGE_RECORD__RECORD_RESULT:
        kind = 'X', id = x->result->product_id;
        break;
      case VBP__V1__EXCHANGE_RECORD__RECORD_BATCH:
        if (n_batches++ == 0) {
          im->batch = x->batch;
        } else {
          add_error_text(im, line, "batch: a file holds one batch");
        }
        break;
      case VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION:
        if (n_executions++ == 0) {
          if (x->execution->execution) im->province = x->execution->execution->region_code;
        } else {
          add_error_text(im, line, "execution: a file holds one province");
        }
        break;
      default:
        break;
    }
    if (kind) {
      im->keys[im->n_keys].key = vbp_arena_printf(im->a, "%c:%s", kind, id);
      im->keys[im->n_keys++].rec = im->n - 1;
    }
  }
  qsort(im->keys, im->n_keys, sizeof *im->keys, by_key);
  for (size_t i = 1; i < im->n_keys; i++)
    if (strcmp(im->keys[i].key, im->keys[i - 1].key) == 0)
      add_error_text(im, im->recs[im->keys[i].rec].line, "repeats a record of an earlier line");
  if (!end_line) {
    add_error_text(im, line ? line : 1, "end: the file has no end record: it is not whole");
  } else if (end_count != (int64_t)im->n) {
    add_error_text(im, end_line,
                   vbp_arena_printf(im->a,
                                    "end.records: is %" PRId64 " but %zu records came "
                                    "before it",
                                    end_count, im->n));
  }
  if (!im->batch) add_error_text(im, 1, "batch: the file has no batch record");
  if (!im->province) add_error_text(im, 1, "execution: the file has no execution record");
}

/* ---------------------------------------------------------------- the catalog part */

/* The change feed's row of an imported record, with the ids the catalog's own writes use. */
static void record_imported(vbp_pg_conn *c, vbp_arena *a, const Vbp__V1__ExchangeRecord *x) {
  switch (x->record_case) {
    case VBP__V1__EXCHANGE_RECORD__RECORD_REGION:
      catalog_record_change(c, "region", x->region->code, "imported", x->region->code, NULL);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION:
      catalog_record_change(c, "organization", x->organization->id, "imported",
                            x->organization->region_code, NULL);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT:
      catalog_record_change(c, "product", x->product->id, "imported", NULL, NULL);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_BATCH:
      catalog_record_change(c, "batch", x->batch->code, "imported", NULL, x->batch->code);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION: {
      const Vbp__V1__Execution *e = x->execution->execution;
      catalog_record_change(c, "execution",
                            vbp_arena_printf(a, "%s/%s", e->batch_code, e->region_code), "imported",
                            e->region_code, e->batch_code);
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_GROUP:
      catalog_record_change(c, "group",
                            vbp_arena_printf(a, "%s/%s", x->group->batch_code, x->group->id),
                            "imported", NULL, x->group->batch_code);
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_RESULT:
      catalog_record_change(
          c, "result", vbp_arena_printf(a, "%s/%s", x->result->batch_code, x->result->product_id),
          "imported", NULL, x->result->batch_code);
      break;
    default:
      break;
  }
}

static vbp_status insert_rec(importer *im, vbp_pg_conn *c, rec *r) {
  Vbp__V1__ExchangeRecord *x = r->r;
  bool inserted = false;
  switch (x->record_case) {
    case VBP__V1__EXCHANGE_RECORD__RECORD_REGION:
      VBP_CHECK(catalog_store_insert_region(c, x->region, &inserted));
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_ORGANIZATION: {
      /* Its id is free (checked) but its credit code is another organization's. */
      vbp_status st = catalog_store_insert_organization(c, x->organization, &inserted);
      if (st.code == VBP_ALREADY_EXISTS)
        return vbp_invalid("organization.creditCode",
                           "is the credit code of another "
                           "organization");
      VBP_CHECK(st);
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_PRODUCT:
      VBP_CHECK(catalog_store_insert_product(c, x->product, &inserted));
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_BATCH:
      VBP_CHECK(catalog_store_insert_batch(c, x->batch, &inserted));
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION:
      VBP_CHECK(catalog_store_insert_execution(c, x->execution->execution, &inserted));
      break;
    case VBP__V1__EXCHANGE_RECORD__RECORD_GROUP: {
      vbp_money cap = 0;
      if (*x->group->max_non_winning_price) vbp_money_parse(x->group->max_non_winning_price, &cap);
      VBP_CHECK(catalog_store_insert_group(c, x->group, cap, &inserted));
      break;
    }
    case VBP__V1__EXCHANGE_RECORD__RECORD_RESULT: {
      vbp_money price = 0;
      if (*x->result->winning_price) vbp_money_parse(x->result->winning_price, &price);
      VBP_CHECK(catalog_store_insert_result(c, x->result, price, &inserted));
      break;
    }
    default:
      return vbp_status_ok();
  }
  if (inserted) {
    im->catalog_new++;
    record_imported(c, im->a, x);
    return vbp_status_ok();
  }
  /* Written by someone else since validation: the same content is still a skip. */
  r->exists = false;
  VBP_CHECK(check_refs(im, c, r));
  if (!r->exists) return vbp_status_make(VBP_ABORTED, "line %d was written meanwhile", r->line);
  im->catalog_skipped++;
  return vbp_status_ok();
}

static vbp_status catalog_part_tx(vbp_pg_conn *c, void *ctx) {
  importer *im = ctx;
  im->catalog_new = im->catalog_skipped = 0;
  for (size_t i = 0; i < im->n; i++) {
    rec *r = &im->recs[i];
    if (r->exists) {
      im->catalog_skipped++;
      continue;
    }
    vbp_status st = insert_rec(im, c, r);
    if (!vbp_ok(&st)) {
      if (st.code == VBP_INVALID_ARGUMENT || st.code == VBP_ALREADY_EXISTS)
        add_error(im, r->line, &st);
      return st;
    }
  }
  if (vbp_failpoint("catalog.import.prepare"))
    return vbp_status_make(VBP_UNAVAILABLE, "failpoint catalog.import.prepare");
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- the coordinator */

typedef struct import_row {
  const char *id, *state, *sha256, *batch_code, *region_code;
} import_row;

static vbp_status record_import_tx(vbp_pg_conn *c, void *ctx) {
  const import_row *row = ctx;
  const char *p[] = {row->id, row->sha256, row->batch_code, row->region_code};
  return vbp_pg_command(c, "record import",
                        "INSERT INTO imports (id, state, file_sha256, batch_code, region_code) "
                        "VALUES ($1, 'preparing', $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                        4, p);
}

typedef struct transition {
  const char *id, *from, *to;
  bool settled; /* every part finished */
  bool moved;
} transition;

static vbp_status transition_tx(vbp_pg_conn *c, void *ctx) {
  transition *t = ctx;
  const char *p[] = {t->id, t->from, t->to, t->settled ? "t" : "f"};
  return vbp_pg_write(c, "move import",
                      "UPDATE imports SET state = $3, updated_at = now(), "
                      "settled_at = CASE WHEN $4::boolean THEN now() END "
                      "WHERE id = $1 AND state = $2 RETURNING 1",
                      4, p, &t->moved);
}

static vbp_status move(vbp_pg_pool *pool, const char *id, const char *from, const char *to,
                       bool settled, bool *moved) {
  transition t = {.id = id, .from = from, .to = to, .settled = settled};
  vbp_status st = vbp_pg_transaction(pool, transition_tx, &t);
  if (moved) *moved = t.moved;
  return st;
}

static vbp_status finish_remote(vbp_client *client, const ProtobufCServiceDescriptor *svc,
                                const char *id, bool commit, const char *request_id) {
  Vbp__V1__FinishImportRequest req = VBP__V1__FINISH_IMPORT_REQUEST__INIT;
  req.import_id = (char *)id;
  req.commit = commit;
  const vbp_caller service = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {
      .timeout_ms = FINISH_TIMEOUT_MS, .caller = &service, .request_id = request_id};
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(client, vbp_method_of(svc, "FinishImport"), &req.base, &options,
                                  NULL, &answer);
  if (answer) protobuf_c_message_free_unpacked(answer, NULL);
  return st;
}

/* COMMIT PREPARED (commit) or ROLLBACK PREPARED of every part; OK when each is finished (or was
 * never prepared). A service without a client had no part. */
static vbp_status finish_all(catalog_service *s, const char *id, bool commit,
                             const char *request_id) {
  char gid[128];
  snprintf(gid, sizeof gid, "vbp-import-%s-catalog", id);
  bool found = false;
  vbp_status first = vbp_pg_finish_prepared(s->pool, gid, commit, &found);
  if (s->volume) {
    vbp_status st =
        finish_remote(s->volume, &vbp__v1__volume_service__descriptor, id, commit, request_id);
    if (vbp_ok(&first)) first = st;
  }
  if (s->contract) {
    vbp_status st =
        finish_remote(s->contract, &vbp__v1__contract_service__descriptor, id, commit, request_id);
    if (vbp_ok(&first)) first = st;
  }
  if (!vbp_ok(&first))
    vbp_log(VBP_LOG_WARN, "import %s: %s: %s %s (recovery repeats it)", id,
            commit ? "commit prepared" : "rollback prepared", vbp_code_name(first.code),
            first.message);
  return first;
}

/* A part of another service being prepared: started by prepare_parts, ended by part_done on the
 * clients' thread. */
typedef struct part_call {
  pthread_mutex_t *lock;
  pthread_cond_t *ended;
  int *pending;
  vbp_status status;
  Vbp__V1__PrepareImportResponse *answer; /* malloc'd on OK; freed by prepare_parts */
} part_call;

static void part_done(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  part_call *p = ctx;
  pthread_mutex_lock(p->lock);
  p->status = *status;
  p->answer = vbp_ok(status) ? (Vbp__V1__PrepareImportResponse *)response : NULL;
  if (--*p->pending == 0) pthread_cond_signal(p->ended);
  pthread_mutex_unlock(p->lock);
}

/* volume-svc's and contract-svc's parts, prepared at the same time (they share nothing, and each
 * is mostly its PostgreSQL's work): both prepared, or their errors into im, or the first failed
 * part's status. Returns once both calls have ended, so that no part is still preparing when the
 * coordinator rolls them back. A service without a client has no part. */
static vbp_status prepare_parts(importer *im, int *v_new, int *v_skipped, int *c_new,
                                int *c_skipped) {
  catalog_service *s = im->svc;
  const vbp_caller service = {.role = VBP_ROLE_SERVICE};
  vbp_call_options options = {.timeout_ms = part_timeout_ms,
                              .caller = &service,
                              .request_id = vbp_call_request_id(im->call)};
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t ended = PTHREAD_COND_INITIALIZER;
  int pending = (s->volume ? 1 : 0) + (s->contract ? 1 : 0);
  part_call parts[2] = {{.lock = &lock, .ended = &ended, .pending = &pending},
                        {.lock = &lock, .ended = &ended, .pending = &pending}};
  Vbp__V1__PrepareVolumeImportRequest vreq = VBP__V1__PREPARE_VOLUME_IMPORT_REQUEST__INIT;
  vreq.import_id = (char *)im->id;
  vreq.items = im->volume;
  vreq.n_items = im->n_volume;
  Vbp__V1__PrepareContractImportRequest creq = VBP__V1__PREPARE_CONTRACT_IMPORT_REQUEST__INIT;
  creq.import_id = (char *)im->id;
  creq.items = im->contracts;
  creq.n_items = im->n_contracts;
  /* The answers unpack on the clients' thread: with malloc, not the call's arena, which is not
   * shared between threads. */
  if (s->volume)
    vbp_client_start(s->volume,
                     vbp_method_of(&vbp__v1__volume_service__descriptor, "PrepareImport"),
                     &vreq.base, &options, NULL, part_done, &parts[0]);
  if (s->contract)
    vbp_client_start(s->contract,
                     vbp_method_of(&vbp__v1__contract_service__descriptor, "PrepareImport"),
                     &creq.base, &options, NULL, part_done, &parts[1]);
  pthread_mutex_lock(&lock);
  while (pending > 0) pthread_cond_wait(&ended, &lock);
  pthread_mutex_unlock(&lock);
  pthread_cond_destroy(&ended);
  pthread_mutex_destroy(&lock);

  vbp_status first = vbp_status_ok();
  bool conflicts = false;
  int *counts[2][2] = {{v_new, v_skipped}, {c_new, c_skipped}};
  for (int i = 0; i < 2; i++) {
    Vbp__V1__PrepareImportResponse *r = parts[i].answer;
    if (!r) {
      if ((i == 0 ? s->volume : s->contract) && vbp_ok(&first)) first = parts[i].status;
      continue;
    }
    for (size_t e = 0; e < r->n_errors; e++)
      add_error_text(im, r->errors[e]->line, r->errors[e]->message);
    conflicts = conflicts || r->n_errors > 0;
    *counts[i][0] = r->imported;
    *counts[i][1] = r->skipped;
    protobuf_c_message_free_unpacked(&r->base, NULL);
  }
  if (!vbp_ok(&first)) return first;
  return conflicts ? vbp_status_make(VBP_FAILED_PRECONDITION, "conflicts") : vbp_status_ok();
}

static void push_price_inputs(importer *im);

static vbp_status sha256_of(vbp_arena *a, const ProtobufCBinaryData *body, const char **out) {
  char *hex = vbp_arena_alloc(a, 65);
  vbp_sha256_hex(body->data, body->len, hex);
  *out = hex;
  return vbp_status_ok();
}

/* The answer with errors: nothing imported. */
static void answer_errors(importer *im, Vbp__V1__ImportBatchResponse *r) {
  sort_errors(im->errors, im->n_errors);
  r->imported = r->skipped = 0;
  r->errors = im->errors;
  r->n_errors = im->n_errors;
}

CATALOG_HANDLER(catalog_import_batch) {
  const Vbp__V1__ImportBatchRequest *in = (const Vbp__V1__ImportBatchRequest *)request;
  catalog_service *s = service_of(call);
  vbp_arena *a = vbp_call_arena(call);
  importer im = {.call = call, .svc = s, .a = a};
  Vbp__V1__ImportBatchResponse *r = vbp_arena_alloc(a, sizeof *r);
  vbp__v1__import_batch_response__init(r);
  *response = &r->base;

  /* 1. Validation, whole: every line alone, then (when each line stands alone) the references
   * and what the database holds already. */
  parse(&im, (const char *)in->ndjson.data, in->ndjson.len);
  if (im.batch && im.province && im.n_errors == 0)
    VBP_CHECK(vbp_pg_read(s->pool, validate_tx, &im));
  if (im.n_errors) {
    answer_errors(&im, r);
    return vbp_status_ok();
  }
  if ((im.n_volume && !s->volume) || (im.n_contracts && !s->contract))
    return vbp_status_make(VBP_UNAVAILABLE, "volume-svc or contract-svc is not configured");

  /* 2. The import recorded, committed alone: recovery finds it whatever happens next. */
  import_row row = {
      .id = vbp_random_id(a, "imp"), .batch_code = im.batch->code, .region_code = im.province};
  VBP_CHECK(sha256_of(a, &in->ndjson, &row.sha256));
  im.id = row.id;
  VBP_CHECK(vbp_pg_transaction(s->pool, record_import_tx, &row));

  /* 3. Every part prepared. */
  const char *gid = vbp_arena_printf(a, "vbp-import-%s-catalog", im.id);
  int v_new = 0, v_skipped = 0, c_new = 0, c_skipped = 0;
  vbp_status st = vbp_pg_prepare(s->pool, gid, catalog_part_tx, &im);
  if (vbp_ok(&st)) st = prepare_parts(&im, &v_new, &v_skipped, &c_new, &c_skipped);

  /* 4. The commit point: one UPDATE, unless recovery aborted the import meanwhile. */
  bool committed = false;
  if (vbp_ok(&st)) {
    vbp_status point = move(s->pool, im.id, "preparing", "committed", false, &committed);
    /* Whether the UPDATE took is unknown: the row decides, and recovery reads it. */
    if (!vbp_ok(&point))
      return vbp_status_make(VBP_UNAVAILABLE,
                             "import %s: recording the commit point failed (%s); recovery "
                             "finishes the import as the record says",
                             im.id, point.message);
  }
  if (vbp_ok(&st) && !committed)
    st = vbp_status_make(VBP_ABORTED, "import %s was aborted by recovery: it took too long", im.id);
  if (!committed) {
    bool settled = succeeded(finish_all(s, im.id, false, vbp_call_request_id(call)));
    move(s->pool, im.id, "preparing", "aborted", settled, NULL);
    if (im.n_errors) {
      answer_errors(&im, r);
      return vbp_status_ok();
    }
    return st;
  }
  if (vbp_failpoint("catalog.import.committed"))
    return vbp_status_make(VBP_UNAVAILABLE,
                           "failpoint catalog.import.committed: import %s is committed; recovery "
                           "finishes it",
                           im.id);
  /* Decided: a part that does not finish now is finished by recovery; the answer stands. */
  if (succeeded(finish_all(s, im.id, true, vbp_call_request_id(call))))
    move(s->pool, im.id, "committed", "done", true, NULL);
  push_price_inputs(&im);
  r->imported = im.catalog_new + v_new + c_new;
  r->skipped = im.catalog_skipped + v_skipped + c_skipped;
  return vbp_status_ok();
}

/* Tells pricing-svc the price-input version the committed import made (as every catalog write
 * of price inputs does, service.c). A failure is logged: the import stands. */
static vbp_status version_tx(vbp_pg_conn *c, void *ctx) {
  return catalog_store_get_price_inputs_version(c, ctx);
}

static void push_price_inputs(importer *im) {
  vbp_client *pricing = im->svc->pricing;
  if (!pricing || im->catalog_new == 0) return;
  long long version = 0;
  vbp_status st = vbp_pg_read(im->svc->pool, version_tx, &version);
  if (vbp_ok(&st)) {
    Vbp__V1__PriceInputsChangedRequest req = VBP__V1__PRICE_INPUTS_CHANGED_REQUEST__INIT;
    req.catalog_version = version;
    const vbp_caller service = {.role = VBP_ROLE_SERVICE};
    vbp_call_options options = {.timeout_ms = PRICE_INPUTS_PUSH_TIMEOUT_MS,
                                .caller = &service,
                                .request_id = vbp_call_request_id(im->call)};
    ProtobufCMessage *answer = NULL;
    st = vbp_client_call(pricing,
                         vbp_method_of(&vbp__v1__pricing_service__descriptor, "PriceInputsChanged"),
                         &req.base, &options, vbp_call_allocator(im->call), &answer);
  }
  if (!vbp_ok(&st))
    vbp_log(VBP_LOG_WARN, "import %s: telling pricing-svc of the price-input version: %s %s",
            im->id, vbp_code_name(st.code), st.message);
}

/* ---------------------------------------------------------------- recovery */

typedef struct pending_imports {
  vbp_arena *a;
  int abort_after_s;
  import_row **rows;
  size_t n;
} pending_imports;

static void *import_row_of(const vbp_pg_row *row) {
  import_row *r = vbp_arena_alloc(row->arena, sizeof *r);
  r->id = vbp_pg_text(row, 0);
  r->state = vbp_pg_text(row, 1);
  return r;
}

static vbp_status pending_tx(vbp_pg_conn *c, void *ctx) {
  pending_imports *p = ctx;
  const char *params[] = {vbp_arena_printf(p->a, "%d", p->abort_after_s)};
  return vbp_pg_query_rows(c, p->a, "read unfinished imports",
                           "SELECT id, state FROM imports WHERE state = 'committed' OR "
                           "(state = 'aborted' AND settled_at IS NULL) OR (state = 'preparing' "
                           "AND created_at < now() - make_interval(secs => $1::int)) "
                           "ORDER BY created_at LIMIT 100",
                           1, params, import_row_of, (void ***)&p->rows, &p->n);
}

vbp_status catalog_import_recover(catalog_service *s, int abort_after_s, int *finished) {
  pending_imports p = {.a = vbp_arena_create(), .abort_after_s = abort_after_s};
  int done = 0;
  vbp_status st = vbp_pg_read(s->pool, pending_tx, &p);
  for (size_t i = 0; vbp_ok(&st) && i < p.n; i++) {
    const import_row *row = p.rows[i];
    if (strcmp(row->state, "committed") == 0) {
      if (succeeded(finish_all(s, row->id, true, ""))) {
        st = move(s->pool, row->id, "committed", "done", true, NULL);
        done++;
      }
      continue;
    }
    if (strcmp(row->state, "preparing") == 0) {
      /* Decides against the coordinator's commit point: both UPDATEs need 'preparing'. */
      bool moved = false;
      st = move(s->pool, row->id, "preparing", "aborted", false, &moved);
      if (!vbp_ok(&st) || !moved) continue;
      vbp_log(VBP_LOG_WARN, "import %s: preparing for more than %d s: aborted", row->id,
              abort_after_s);
    }
    if (succeeded(finish_all(s, row->id, false, ""))) {
      st = move(s->pool, row->id, "aborted", "aborted", true, NULL);
      done++;
    }
  }
  vbp_arena_destroy(p.a);
  if (finished) *finished = done;
  return st;
}

static struct {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool running, stop;
  catalog_service *s;
  int abort_after_s, interval_ms;
} recovery = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *recovery_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&recovery.lock);
  while (!recovery.stop) {
    pthread_mutex_unlock(&recovery.lock);
    vbp_status st = catalog_import_recover(recovery.s, recovery.abort_after_s, NULL);
    if (!vbp_ok(&st))
      vbp_log(VBP_LOG_WARN, "import recovery: %s %s", vbp_code_name(st.code), st.message);
    pthread_mutex_lock(&recovery.lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ns = until.tv_nsec + (long)(recovery.interval_ms % 1000) * 1000000L;
    until.tv_sec += recovery.interval_ms / 1000 + ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    if (!recovery.stop) pthread_cond_timedwait(&recovery.wake, &recovery.lock, &until);
  }
  pthread_mutex_unlock(&recovery.lock);
  return NULL;
}

vbp_status catalog_import_recovery_start(catalog_service *s, int abort_after_s, int interval_ms) {
  if (recovery.running) return vbp_status_ok();
  recovery.s = s;
  recovery.abort_after_s = abort_after_s;
  part_timeout_ms = abort_after_s * 500;
  recovery.interval_ms = interval_ms > 0 ? interval_ms : 5000;
  recovery.stop = false;
  if (pthread_create(&recovery.thread, NULL, recovery_main, NULL) != 0)
    return vbp_status_make(VBP_INTERNAL, "cannot start the import recovery thread");
  recovery.running = true;
  return vbp_status_ok();
}

void catalog_import_recovery_stop(void) {
  if (!recovery.running) return;
  pthread_mutex_lock(&recovery.lock);
  recovery.stop = true;
  pthread_cond_signal(&recovery.wake);
  pthread_mutex_unlock(&recovery.lock);
  pthread_join(recovery.thread, NULL);
  recovery.running = false;
}
