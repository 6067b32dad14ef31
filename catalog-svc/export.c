/* ExportBatch: one batch in one province as the alliance exchange file (docs/exchange.md).
 *
 * The records go out in the file's order, references before what refers to them: regions,
 * organizations, products, the batch, its execution there, groups, results (the catalog's own,
 * paged through its tables), then allocations, contracts and progress as volume-svc and
 * contract-svc stream them, and a last `end` with the count. Nothing is held whole: each page of
 * the catalog's rows lives in a page arena reset before the next, and the other services'
 * messages are sent on as they arrive, so memory stays flat whatever the batch's size. No
 * database connection is held while the client reads (each page is its own short read). */
#include <stdbool.h>
#include <stdio.h>

#include "catalog-svc/handlers.h"
#include "catalog-svc/store.h"
#include "common/batch_inputs.h"
#include "common/pg.h"
#include "common/regions.h"
#include "common/scope.h"
#include "common/validate.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

#define EXPORT_PAGE 500
/* Without a client deadline, the parts' streams still end some day. */
#define PART_TIMEOUT_MS (60 * 60 * 1000)

static const vbp_caller service_caller = {.role = VBP_ROLE_SERVICE};

typedef struct exporter {
  vbp_call *call;
  catalog_service *svc;
  const char *code, *province, *created_by;
  char prefix[7]; /* the province's two digits */
  vbp_arena *page;
  int64_t records;     /* sent so far: the `end` record's count */
  vbp_status send;     /* the first failed send inside a part's stream (the client went away) */
  bool contracts_sent; /* contract-svc's part is out (it goes between allocations and progress) */
} exporter;

/* ---------------------------------------------------------------- sending */

static vbp_status send_record(exporter *e, Vbp__V1__ExchangeRecord *record) {
  VBP_CHECK(vbp_call_send(e->call, &record->base));
  e->records++;
  return vbp_status_ok();
}

#define SEND(e, field, CASE, value)                                   \
  do {                                                                \
    Vbp__V1__ExchangeRecord record_ = VBP__V1__EXCHANGE_RECORD__INIT; \
    record_.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_##CASE;    \
    record_.field = (value);                                          \
    VBP_CHECK(send_record((e), &record_));                            \
  } while (0)

/* ---------------------------------------------------------------- the catalog's records */

/* One page of one kind of the catalog's rows: fn reads it into e->page (a short read of its
 * own), keyed after the last row sent. */
typedef struct page_read {
  exporter *e;
  int after_level;
  bool after_member;
  const char *after;
  void **rows;
  size_t n;
} page_read;

static vbp_status regions_tx(vbp_pg_conn *c, void *ctx) {
  page_read *p = ctx;
  exporter *e = p->e;
  return catalog_store_export_regions(c, e->page, e->code, e->province, e->prefix, e->created_by,
                                      p->after_level, p->after, EXPORT_PAGE,
                                      (Vbp__V1__Region ***)&p->rows, &p->n);
}

static vbp_status organizations_tx(vbp_pg_conn *c, void *ctx) {
  page_read *p = ctx;
  exporter *e = p->e;
  return catalog_store_export_organizations(c, e->page, e->code, e->prefix, e->created_by,
                                            p->after_member, p->after, EXPORT_PAGE,
                                            (Vbp__V1__Organization ***)&p->rows, &p->n);
}

static vbp_status products_tx(vbp_pg_conn *c, void *ctx) {
  page_read *p = ctx;
  return catalog_store_export_products(c, p->e->page, p->e->code, p->after, EXPORT_PAGE,
                                       (Vbp__V1__Product ***)&p->rows, &p->n);
}

static vbp_status results_tx(vbp_pg_conn *c, void *ctx) {
  page_read *p = ctx;
  return catalog_store_list_results(c, p->e->page, p->e->code, "", 0, p->after, EXPORT_PAGE,
                                    (Vbp__V1__Result ***)&p->rows, &p->n);
}

/* Reads page after page with fn and sends each row; the key of the last row sent is copied out
 * of the page arena before it is reset. */
static vbp_status send_regions(exporter *e) {
  page_read p = {.e = e, .after = ""};
  char after[16] = "";
  for (;;) {
    vbp_arena_reset(e->page);
    p.after = after;
    VBP_CHECK(vbp_pg_read(e->svc->pool, regions_tx, &p));
    Vbp__V1__Region **rows = (Vbp__V1__Region **)p.rows;
    for (size_t i = 0; i < p.n; i++) SEND(e, region, REGION, rows[i]);
    if (p.n < EXPORT_PAGE) return vbp_status_ok();
    p.after_level = (int)rows[p.n - 1]->level;
    snprintf(after, sizeof after, "%s", rows[p.n - 1]->code);
  }
}

static vbp_status send_organizations(exporter *e) {
  page_read p = {.e = e};
  char after[VBP_ORG_ID_MAX + 1] = "";
  for (;;) {
    vbp_arena_reset(e->page);
    p.after = after;
    VBP_CHECK(vbp_pg_read(e->svc->pool, organizations_tx, &p));
    Vbp__V1__Organization **rows = (Vbp__V1__Organization **)p.rows;
    for (size_t i = 0; i < p.n; i++) SEND(e, organization, ORGANIZATION, rows[i]);
    if (p.n < EXPORT_PAGE) return vbp_status_ok();
    p.after_member = *rows[p.n - 1]->consortium_id != '\0';
    snprintf(after, sizeof after, "%s", rows[p.n - 1]->id);
  }
}

static vbp_status send_products(exporter *e) {
  page_read p = {.e = e};
  char after[VBP_ORG_ID_MAX + 1] = "";
  for (;;) {
    vbp_arena_reset(e->page);
    p.after = after;
    VBP_CHECK(vbp_pg_read(e->svc->pool, products_tx, &p));
    Vbp__V1__Product **rows = (Vbp__V1__Product **)p.rows;
    for (size_t i = 0; i < p.n; i++) SEND(e, product, PRODUCT, rows[i]);
    if (p.n < EXPORT_PAGE) return vbp_status_ok();
    snprintf(after, sizeof after, "%s", rows[p.n - 1]->id);
  }
}

/* A batch's groups are few (its definition, not its volume): one read, as GetVolumeInputs reads
 * them, so that a column added to groups reaches the file with that reader. */
typedef struct groups_read {
  exporter *e;
  Vbp__V1__Group **rows;
  size_t n;
} groups_read;

static vbp_status groups_tx(vbp_pg_conn *c, void *ctx) {
  groups_read *g = ctx;
  return catalog_store_list_batch_groups(c, g->e->page, g->e->code, &g->rows, &g->n);
}

static vbp_status send_groups(exporter *e) {
  vbp_arena_reset(e->page);
  groups_read g = {.e = e};
  VBP_CHECK(vbp_pg_read(e->svc->pool, groups_tx, &g));
  for (size_t i = 0; i < g.n; i++) SEND(e, group, GROUP, g.rows[i]);
  return vbp_status_ok();
}

static vbp_status send_results(exporter *e) {
  page_read p = {.e = e};
  char after[VBP_ORG_ID_MAX + 1] = "";
  for (;;) {
    vbp_arena_reset(e->page);
    p.after = after;
    VBP_CHECK(vbp_pg_read(e->svc->pool, results_tx, &p));
    Vbp__V1__Result **rows = (Vbp__V1__Result **)p.rows;
    for (size_t i = 0; i < p.n; i++) SEND(e, result, RESULT, rows[i]);
    if (p.n < EXPORT_PAGE) return vbp_status_ok();
    snprintf(after, sizeof after, "%s", rows[p.n - 1]->product_id);
  }
}

/* ---------------------------------------------------------------- the other services' parts */

static vbp_call_options part_options(exporter *e) {
  int64_t left = vbp_call_remaining_ms(e->call);
  vbp_call_options o = {.timeout_ms = PART_TIMEOUT_MS,
                        .caller = &service_caller,
                        .request_id = vbp_call_request_id(e->call)};
  if (left < PART_TIMEOUT_MS) o.timeout_ms = left > 0 ? (int)left : 1;
  return o;
}

/* A part that failed: the client's own going away as it is, anything else as the service not
 * answering (the file so far must not look whole; the gateway writes an error line). */
static vbp_status part_failed(exporter *e, const char *service, const vbp_status *st) {
  if (!vbp_ok(&e->send)) return e->send;
  if (st->code == VBP_UNAVAILABLE || st->code == VBP_DEADLINE_EXCEEDED) return *st;
  return vbp_status_make(VBP_UNAVAILABLE, "%s: %s", service, st->message);
}

static bool on_contract(void *ctx, const ProtobufCMessage *message) {
  exporter *e = ctx;
  Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
  record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_CONTRACT;
  record.contract = (Vbp__V1__Contract *)message;
  e->send = send_record(e, &record);
  return vbp_ok(&e->send);
}

static vbp_status send_contracts(exporter *e) {
  e->contracts_sent = true;
  Vbp__V1__ExportPartRequest req = VBP__V1__EXPORT_PART_REQUEST__INIT;
  req.batch_code = (char *)e->code;
  req.region_code = (char *)e->province;
  vbp_call_options options = part_options(e);
  vbp_status st = vbp_client_stream(
      e->svc->contract, vbp_method_of(&vbp__v1__contract_service__descriptor, "ExportPart"),
      &req.base, &options, on_contract, e);
  if (!vbp_ok(&e->send) || !vbp_ok(&st)) return part_failed(e, "contract-svc", &st);
  return vbp_status_ok();
}

/* volume-svc's part, allocations then progress: contract-svc's part goes out between the two,
 * run from here when the first progress row arrives (its own stream on this thread; volume-svc
 * waits meanwhile, as flow control makes it). */
static bool on_volume(void *ctx, const ProtobufCMessage *message) {
  exporter *e = ctx;
  const Vbp__V1__VolumeExchangeRecord *v = (const Vbp__V1__VolumeExchangeRecord *)message;
  Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
  switch (v->record_case) {
    case VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_ALLOCATION:
      record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_ALLOCATION;
      record.allocation = v->allocation;
      break;
    case VBP__V1__VOLUME_EXCHANGE_RECORD__RECORD_PROGRESS:
      if (!e->contracts_sent) {
        vbp_status st = send_contracts(e);
        if (!vbp_ok(&st)) {
          e->send = st;
          return false;
        }
      }
      record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_PROGRESS;
      record.progress = v->progress;
      break;
    default:
      e->send = vbp_status_make(VBP_UNAVAILABLE, "volume-svc sent an empty record");
      return false;
  }
  e->send = send_record(e, &record);
  return vbp_ok(&e->send);
}

static vbp_status send_parts(exporter *e) {
  Vbp__V1__ExportPartRequest req = VBP__V1__EXPORT_PART_REQUEST__INIT;
  req.batch_code = (char *)e->code;
  req.region_code = (char *)e->province;
  vbp_call_options options = part_options(e);
  vbp_status st = vbp_client_stream(
      e->svc->volume, vbp_method_of(&vbp__v1__volume_service__descriptor, "ExportPart"), &req.base,
      &options, on_volume, e);
  if (!vbp_ok(&e->send) || !vbp_ok(&st)) return part_failed(e, "volume-svc", &st);
  /* No progress rows (no year started yet): the contracts still come before the end. */
  return e->contracts_sent ? vbp_status_ok() : send_contracts(e);
}

/* ---------------------------------------------------------------- the handler */

typedef struct head {
  const Vbp__V1__ExportBatchRequest *in;
  const char *province;
  vbp_arena *arena;
  Vbp__V1__Batch *batch;
  Vbp__V1__Execution *execution;
} head;

static vbp_status head_tx(vbp_pg_conn *c, void *ctx) {
  head *h = ctx;
  VBP_CHECK(catalog_store_find_batch(c, h->arena, h->in->code, false, &h->batch));
  if (!h->batch) return vbp_status_ok();
  return catalog_store_find_execution(c, h->arena, h->in->code, h->province, &h->execution);
}

vbp_status catalog_export_batch(vbp_call *call, const ProtobufCMessage *request) {
  const Vbp__V1__ExportBatchRequest *in = (const Vbp__V1__ExportBatchRequest *)request;
  catalog_service *svc = vbp_call_context(call);
  vbp_arena *a = vbp_call_arena(call);
  const vbp_caller *who = vbp_call_caller(call);
  VBP_CHECK(vbp_need_id("code", in->code));
  if (!*in->region_code)
    return vbp_invalid("regionCode", "is required: the province whose execution to export");
  VBP_CHECK(vbp_need_province(in->region_code));

  head h = {.in = in, .province = in->region_code, .arena = a};
  VBP_CHECK(vbp_pg_read(svc->pool, head_tx, &h));
  /* Admin, a bureau whose region holds the province (a provincial one: a city's region does not
   * hold the whole province), or the alliance office that created the batch; anyone else 403
   * whether or not the batch exists. */
  bool may = vbp_scope_region(who, in->region_code) ||
             (h.batch && *h.batch->created_by && vbp_scope_own(who, h.batch->created_by));
  if (!may) return vbp_scope_denied();
  if (!h.batch) return vbp_status_field(VBP_NOT_FOUND, "code", "names no batch");
  if (!h.execution)
    return vbp_status_make(VBP_NOT_FOUND, "batch %s has no execution in region %s", in->code,
                           in->region_code);
  if (!svc->volume || !svc->contract)
    return vbp_status_make(VBP_UNAVAILABLE, "volume-svc or contract-svc is not configured");

  Vbp__V1__ExecutionRecord execution = VBP__V1__EXECUTION_RECORD__INIT;
  execution.execution = h.execution;
  VBP_CHECK(catalog_agreement_years_of(a, h.batch, h.execution, &execution.agreement_years,
                                       &execution.n_agreement_years));

  exporter e = {.call = call,
                .svc = svc,
                .code = in->code,
                .province = in->region_code,
                .created_by = h.batch->created_by,
                .send = vbp_status_ok()};
  vbp_region_prefix(in->region_code, e.prefix);
  e.page = vbp_arena_create();
  vbp_status st = send_regions(&e);
  if (vbp_ok(&st)) st = send_organizations(&e);
  if (vbp_ok(&st)) st = send_products(&e);
  if (vbp_ok(&st)) {
    Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
    record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_BATCH;
    record.batch = h.batch;
    st = send_record(&e, &record);
  }
  if (vbp_ok(&st)) {
    Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
    record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_EXECUTION;
    record.execution = &execution;
    st = send_record(&e, &record);
  }
  if (vbp_ok(&st)) st = send_groups(&e);
  if (vbp_ok(&st)) st = send_results(&e);
  if (vbp_ok(&st)) st = send_parts(&e);
  if (vbp_ok(&st)) {
    /* Only a file that got here whole says how many records it holds. */
    Vbp__V1__ExchangeEnd end = VBP__V1__EXCHANGE_END__INIT;
    end.records = e.records;
    Vbp__V1__ExchangeRecord record = VBP__V1__EXCHANGE_RECORD__INIT;
    record.record_case = VBP__V1__EXCHANGE_RECORD__RECORD_END;
    record.end = &end;
    st = vbp_call_send(call, &record.base);
  }
  vbp_arena_destroy(e.page);
  return st;
}
