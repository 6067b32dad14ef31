/* rpc_bench: a closed-loop gRPC load generator over our own client (common/rpc.h), so that what
 * it measures includes the client every service uses to call another. tests/bench/run.sh drives
 * it; it can also be run by hand against any running catalog-svc or echo_server.
 *
 *   rpc_bench setup   -t TARGET [-k ADMIN_KEY] [-o ORG_ID]
 *       Creates region 110000 and organization ORG_ID in catalog-svc at TARGET with the admin key
 *       (-k, else $VBP_ADMIN_KEY), then an API key of that organization, and prints that key (only
 *       it) on stdout. Safe to repeat: the creates are idempotent, each run adds one more key.
 *   rpc_bench catalog -t TARGET [-k KEY] [-o ORG_ID] [-n IN_FLIGHT] [-d SECONDS] [-w SECONDS]
 *       GetOrganization(ORG_ID) with "authorization: Bearer KEY" (-k, else $VBP_BENCH_KEY).
 *   rpc_bench echo    -t TARGET [-o ORG_ID] [-n IN_FLIGHT] [-d SECONDS] [-w SECONDS]
 *       /bench.Echo/Echo (tests/bench/echo_server.c) carrying the very Organization that setup
 *       created, so the answer is as large as the catalog's.
 *   rpc_bench price-setup -t CATALOG -p PRICING [-k ADMIN_KEY]
 *       Loads what the price modes ask about and prints an API key of its manufacturer: region
 *       350000; batch BENCH-YP (drugs, 20 years) executed there from 2024-08-01; products
 *       BP000..BP099 in ten competitive groups of ten, the first of each WINNING; every product
 *       listed in 350000 from 2024-01-01 (through pricing-svc at PRICING). Idempotent.
 *   rpc_bench price | price-miss | batch -t TARGET [-k KEY] [-n ...] [-d ...] [-w ...]
 *       pricing-svc with the data tests/bench/pricing.sh loads (products BP000..BP099 in
 *       350000): `price` GetPrice(350000, BP000, 2024-08-01) again and again (cached after the
 *       first); `price-miss` GetPrice of a product and date never asked before by this run
 *       (BP000..BP099 x every day from 2024-08-01: a cache miss each); `batch` BatchGetPrices of
 *       all 100 products on 2024-08-01. Answers are checked (the product, or 100 prices).
 *   rpc_bench volume-setup -t CATALOG -p PRICING -v VOLUME [-k ADMIN_KEY] [-n IN_FLIGHT]
 *       Loads a province's volume data (tests/bench/volume.sh; volume_bench.h says what), IN_FLIGHT
 *       calls at a time (default 16), and computes the allocations of agreement year 1.
 *   rpc_bench volume-lines -D DIR [-l LINES] [-b MAX_FILE_BYTES]
 *       Writes LINES purchases of that data (default 1000000) into DIR as NDJSON files of at most
 *       MAX_FILE_BYTES (default 64 MiB) and as the rows volume-svc stores of them (COPY text).
 *
 * Load: IN_FLIGHT calls (default 64) are kept running on one client (one connection): each call
 * that ends starts the next one from the completion callback. The first -w seconds (default 2)
 * warm up the connection, the server's caches and pools; every call that ends in the following
 * -d seconds (default 10) is measured. Then no new call starts and the ones in flight drain.
 *
 * Output: one line, "MODE key=value ...": ok calls per second, latency p50, p99, p99.9 and max
 * in milliseconds, errors (failed calls and wrong answers ending in the measured window) and the
 * answer's packed size. Details of the first error go to stderr. Exit status 1 when any measured
 * call failed, so a script does not report numbers of a broken run as if they were good. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_args.h"
#include "common/arena.h"
#include "common/credit_code.h"
#include "common/date.h"
#include "common/log.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "volume_bench.h"

#define DEFAULT_ORG_ID "bench-org"
#define DEFAULT_IN_FLIGHT 64
#define DEFAULT_SECONDS 10
#define DEFAULT_WARMUP_SECONDS 2
#define MAX_IN_FLIGHT 10000
#define MAX_SECONDS 3600
#define CALL_TIMEOUT_MS 5000 /* also bounds the drain at the end */
#define SETUP_TIMEOUT_MS 10000
#define REGION_CODE "110000" /* Beijing, a province: needs no parent region */
#define REGION_NAME "北京市"
#define LATENCIES_INITIAL (1u << 16)
#define PRICE_REGION "350000"
#define PRICE_DAY "2024-08-01"
#define PRICE_PRODUCTS 100 /* BP000 .. BP099 */

/* The paths are the API; the bench is a client like any other, so it does not link
 * catalog-svc's handlers for their method table. */
static const vbp_method create_region_method = {
    .path = "/vbp.v1.CatalogService/CreateRegion",
    .request = &vbp__v1__region__descriptor,
    .response = &vbp__v1__region__descriptor,
};
static const vbp_method create_organization_method = {
    .path = "/vbp.v1.CatalogService/CreateOrganization",
    .request = &vbp__v1__organization__descriptor,
    .response = &vbp__v1__organization__descriptor,
};
static const vbp_method create_api_key_method = {
    .path = "/vbp.v1.CatalogService/CreateApiKey",
    .request = &vbp__v1__create_api_key_request__descriptor,
    .response = &vbp__v1__api_key__descriptor,
};
static const vbp_method get_organization_method = {
    .path = "/vbp.v1.CatalogService/GetOrganization",
    .request = &vbp__v1__get_organization_request__descriptor,
    .response = &vbp__v1__organization__descriptor,
};
/* echo_server sends the request bytes back, so request and answer are one message type. */
static const vbp_method echo_method = {
    .path = "/bench.Echo/Echo",
    .request = &vbp__v1__organization__descriptor,
    .response = &vbp__v1__organization__descriptor,
};

static const vbp_method get_price_method = {
    .path = "/vbp.v1.PricingService/GetPrice",
    .request = &vbp__v1__get_price_request__descriptor,
    .response = &vbp__v1__price__descriptor,
};
static const vbp_method batch_get_prices_method = {
    .path = "/vbp.v1.PricingService/BatchGetPrices",
    .request = &vbp__v1__batch_get_prices_request__descriptor,
    .response = &vbp__v1__batch_get_prices_response__descriptor,
};

typedef struct options {
  const char *mode, *target, *key, *org_id;
  const char *pricing; /* price-setup: pricing-svc's address */
  const char *volume;  /* volume-setup: volume-svc's address */
  const char *dir;     /* volume-lines: where the files go */
  long lines, max_bytes;
  int in_flight, seconds, warmup_seconds;
} options;

/* ---------------------------------------------------------------- the organization */

/* The organization setup creates and echo sends: every field set, so the catalog's answer and
 * the echo carry the same bytes. credit_code is the caller's 19-byte buffer. */
static void bench_organization(Vbp__V1__Organization *org, const char *id, char *credit_code) {
  /* GB 32100: 1 (institutional registration) 2 (public institution), the region, a made-up
   * organization code, then the check character computed over those 17. */
  static const char first17[] = "12" REGION_CODE "400001234";
  memcpy(credit_code, first17, 17);
  credit_code[17] = vbp_credit_code_check_char(first17);
  credit_code[18] = '\0';
  vbp__v1__organization__init(org);
  org->id = (char *)id;
  org->name = "北京市第一人民医院";
  org->kind = VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION;
  org->region_code = REGION_CODE;
  org->credit_code = credit_code;
  org->institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
}

/* ---------------------------------------------------------------- setup */

static void print_error(const char *what, const vbp_status *st) {
  fprintf(stderr, "rpc_bench: %s: %s %s%s%s\n", what, vbp_code_name(st->code), st->message,
          st->field[0] ? " field=" : "", st->field);
}

static int run_setup(const options *opt) {
  int rc = 1;
  vbp_client *client = NULL;
  vbp_status st = vbp_client_open(opt->target, NULL, &client);
  if (!vbp_ok(&st)) {
    print_error("open", &st);
    return 1;
  }
  vbp_call_options call = {.timeout_ms = SETUP_TIMEOUT_MS, .bearer_key = opt->key};
  /* catalog-svc listens before its first health answer only in theory, but a clear message
   * here beats a confusing one from CreateRegion. */
  st = vbp_client_health(client, NULL, SETUP_TIMEOUT_MS);
  if (!vbp_ok(&st)) {
    print_error("health", &st);
    goto done;
  }

  Vbp__V1__Region region = VBP__V1__REGION__INIT;
  region.code = REGION_CODE;
  region.name = REGION_NAME;
  region.level = VBP__V1__REGION_LEVEL__PROVINCE;
  ProtobufCMessage *answer = NULL;
  st = vbp_client_call(client, &create_region_method, &region.base, &call, NULL, &answer);
  if (!vbp_ok(&st)) {
    print_error("CreateRegion", &st);
    goto done;
  }
  protobuf_c_message_free_unpacked(answer, NULL);

  Vbp__V1__Organization org;
  char credit_code[19];
  bench_organization(&org, opt->org_id, credit_code);
  st = vbp_client_call(client, &create_organization_method, &org.base, &call, NULL, &answer);
  if (!vbp_ok(&st)) {
    print_error("CreateOrganization", &st);
    goto done;
  }
  protobuf_c_message_free_unpacked(answer, NULL);

  Vbp__V1__CreateApiKeyRequest key_request = VBP__V1__CREATE_API_KEY_REQUEST__INIT;
  key_request.organization_id = (char *)opt->org_id;
  st = vbp_client_call(client, &create_api_key_method, &key_request.base, &call, NULL, &answer);
  if (!vbp_ok(&st)) {
    print_error("CreateApiKey", &st);
    goto done;
  }
  printf("%s\n", ((Vbp__V1__ApiKey *)answer)->key);
  protobuf_c_message_free_unpacked(answer, NULL);
  rc = 0;

done:
  vbp_client_close(client);
  return rc;
}

/* ---------------------------------------------------------------- price-setup */

static bool setup_call(vbp_client *client, const char *rpc, const vbp_method *m,
                       const ProtobufCMessage *request, const vbp_call_options *call,
                       ProtobufCMessage **keep) {
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(client, m, request, call, NULL, &answer);
  if (!vbp_ok(&st)) {
    print_error(rpc, &st);
    return false;
  }
  if (keep)
    *keep = answer;
  else
    protobuf_c_message_free_unpacked(answer, NULL);
  return true;
}

#define SETUP_METHOD(svc, name, req, resp)                                   \
  static const vbp_method name##_method = {.path = "/vbp.v1." svc "/" #name, \
                                           .request = &req##__descriptor,    \
                                           .response = &resp##__descriptor}
SETUP_METHOD("CatalogService", CreateBatch, vbp__v1__batch, vbp__v1__batch);
SETUP_METHOD("CatalogService", CreateExecution, vbp__v1__execution, vbp__v1__execution);
SETUP_METHOD("CatalogService", CreateProduct, vbp__v1__product, vbp__v1__product);
SETUP_METHOD("CatalogService", CreateGroup, vbp__v1__group, vbp__v1__group);
SETUP_METHOD("CatalogService", PublishResult, vbp__v1__result, vbp__v1__result);
SETUP_METHOD("PricingService", UpsertListing, vbp__v1__listing, vbp__v1__listing);

static int run_price_setup(const options *opt) {
  vbp_client *catalog = NULL, *pricing = NULL;
  vbp_status st = vbp_client_open(opt->target, NULL, &catalog);
  if (vbp_ok(&st)) st = vbp_client_open(opt->pricing, NULL, &pricing);
  if (!vbp_ok(&st)) {
    print_error("open", &st);
    return 1;
  }
  vbp_call_options call = {.timeout_ms = SETUP_TIMEOUT_MS, .bearer_key = opt->key};
  int rc = 1;
  ProtobufCMessage *key = NULL;
  char credit_code[19];
  char id[8], group[8], price[16];
  /* GB 32100: 91 (an enterprise), the region, a made-up organization code, the check char. */
  static const char first17[] = "91" PRICE_REGION "MA2XN0001";
  memcpy(credit_code, first17, 17);
  credit_code[17] = vbp_credit_code_check_char(first17);
  credit_code[18] = '\0';

  Vbp__V1__Region region = VBP__V1__REGION__INIT;
  region.code = PRICE_REGION;
  region.name = "福建省";
  region.level = VBP__V1__REGION_LEVEL__PROVINCE;
  Vbp__V1__Organization org = VBP__V1__ORGANIZATION__INIT;
  org.id = "bench-maker";
  org.name = "华东制药股份有限公司";
  org.kind = VBP__V1__ORGANIZATION_KIND__MANUFACTURER;
  org.region_code = PRICE_REGION;
  org.credit_code = credit_code;
  char *members[] = {PRICE_REGION};
  Vbp__V1__Batch batch = VBP__V1__BATCH__INIT;
  batch.code = "BENCH-YP";
  batch.name = "基准测试药品集采";
  batch.kind = VBP__V1__PRODUCT_KIND__DRUG;
  batch.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  batch.lead_region_code = PRICE_REGION;
  batch.member_region_codes = members;
  batch.n_member_region_codes = 1;
  batch.cycle_years = 20;
  Vbp__V1__Execution exec = VBP__V1__EXECUTION__INIT;
  exec.batch_code = batch.code;
  exec.region_code = PRICE_REGION;
  exec.listing_date = "2024-07-20";
  exec.start_date = PRICE_DAY;
  if (!setup_call(catalog, "CreateRegion", &create_region_method, &region.base, &call, NULL) ||
      !setup_call(catalog, "CreateOrganization", &create_organization_method, &org.base, &call,
                  NULL) ||
      !setup_call(catalog, "CreateBatch", &CreateBatch_method, &batch.base, &call, NULL) ||
      !setup_call(catalog, "CreateExecution", &CreateExecution_method, &exec.base, &call, NULL))
    goto done;
  for (int g = 0; g < PRICE_PRODUCTS / 10; g++) {
    Vbp__V1__Group grp = VBP__V1__GROUP__INIT;
    snprintf(group, sizeof group, "G%d", g);
    grp.batch_code = batch.code;
    grp.id = group;
    grp.generic_name = "苯磺酸氨氯地平";
    grp.competitive = true;
    if (!setup_call(catalog, "CreateGroup", &CreateGroup_method, &grp.base, &call, NULL)) goto done;
    for (int i = g * 10; i < g * 10 + 10; i++) {
      snprintf(id, sizeof id, "BP%03d", i);
      Vbp__V1__Product p = VBP__V1__PRODUCT__INIT;
      p.id = id;
      p.kind = VBP__V1__PRODUCT_KIND__DRUG;
      p.generic_name = grp.generic_name;
      p.dosage_form = "片剂";
      p.specification = "5mg";
      p.unit = "片";
      p.manufacturer_id = org.id;
      p.in_insurance_catalog = true;
      Vbp__V1__Result r = VBP__V1__RESULT__INIT;
      r.batch_code = batch.code;
      r.product_id = id;
      r.group_id = group;
      bool wins = i % 10 == 0;
      r.status = wins ? VBP__V1__RESULT_STATUS__WINNING : VBP__V1__RESULT_STATUS__NON_WINNING;
      snprintf(price, sizeof price, "%d.5000", 10 + i);
      r.winning_price = wins ? price : "";
      Vbp__V1__Listing l = VBP__V1__LISTING__INIT;
      char listed[16];
      snprintf(listed, sizeof listed, "%d.0000", 20 + i);
      l.region_code = PRICE_REGION;
      l.product_id = id;
      l.price = listed;
      l.listed_on = "2024-01-01";
      if (!setup_call(catalog, "CreateProduct", &CreateProduct_method, &p.base, &call, NULL) ||
          !setup_call(catalog, "PublishResult", &PublishResult_method, &r.base, &call, NULL) ||
          !setup_call(pricing, "UpsertListing", &UpsertListing_method, &l.base, &call, NULL))
        goto done;
    }
  }
  Vbp__V1__CreateApiKeyRequest key_request = VBP__V1__CREATE_API_KEY_REQUEST__INIT;
  key_request.organization_id = org.id;
  if (!setup_call(catalog, "CreateApiKey", &create_api_key_method, &key_request.base, &call, &key))
    goto done;
  printf("%s\n", ((Vbp__V1__ApiKey *)key)->key);
  protobuf_c_message_free_unpacked(key, NULL);
  rc = 0;
done:
  vbp_client_close(catalog);
  vbp_client_close(pricing);
  return rc;
}

/* ---------------------------------------------------------------- load */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct bench bench;

/* One of the IN_FLIGHT call chains; its address is the context of its current call. */
typedef struct slot {
  bench *bench;
  int64_t started_ns;
  /* price-miss: this slot's own request, a new product and date each call */
  Vbp__V1__GetPriceRequest miss;
  char product[8], day[11];
} slot;

struct bench {
  vbp_client *client;
  const vbp_method *method;
  const ProtobufCMessage *request; /* packed by vbp_client_start, so shared by every call */
  vbp_call_options call;
  const char *org_id; /* the id every answer must carry (catalog, echo) */
  bool (*good)(const ProtobufCMessage *response, const char *org_id);
  bool miss;              /* price-miss: each call asks what was never asked */
  _Atomic uint64_t asked; /* price-miss: calls started */
  int64_t measure_from_ns, measure_to_ns;

  /* Below: under lock. Callbacks run on the client's thread, but a call that fails to start
   * runs its callback on the starting thread, which may be main's. */
  pthread_mutex_t lock;
  pthread_cond_t idle;
  int running; /* slots whose chain has not ended */
  int64_t *latencies_ns;
  size_t n_latencies, latencies_cap;
  uint64_t errors;         /* in the measured window */
  uint64_t errors_outside; /* during warm-up or drain: reported, not counted */
  vbp_status first_error;
  bool have_error;
  size_t answer_bytes;
};

/* > 0 while this thread is inside vbp_client_start: a callback that runs then is a call that
 * failed to start, and restarting from there would recurse; its chain ends instead. */
static _Thread_local int starting;

static void call_done(void *ctx, const vbp_status *status, ProtobufCMessage *response);

/* The n-th never-asked look-up: product n % 100 on day n / 100 from PRICE_DAY. */
static void next_miss(slot *s, uint64_t n) {
  vbp_date day;
  vbp_date_parse(PRICE_DAY, &day);
  snprintf(s->product, sizeof s->product, "BP%03u", (unsigned)(n % PRICE_PRODUCTS));
  vbp_date_format(day + (vbp_date)(n / PRICE_PRODUCTS), s->day);
  vbp__v1__get_price_request__init(&s->miss);
  s->miss.region_code = PRICE_REGION;
  s->miss.product_id = s->product;
  s->miss.date = s->day;
}

static void start_call(slot *s) {
  bench *b = s->bench;
  const ProtobufCMessage *request = b->request;
  if (b->miss) {
    next_miss(s, atomic_fetch_add(&b->asked, 1));
    request = &s->miss.base;
  }
  s->started_ns = now_ns();
  starting++;
  vbp_client_start(b->client, b->method, request, &b->call, NULL, call_done, s);
  starting--;
}

static bool good_organization(const ProtobufCMessage *response, const char *org_id) {
  const Vbp__V1__Organization *org = (const Vbp__V1__Organization *)response;
  return strcmp(org->id, org_id) == 0;
}

static bool good_price(const ProtobufCMessage *response, const char *org_id) {
  (void)org_id;
  const Vbp__V1__Price *p = (const Vbp__V1__Price *)response;
  return strncmp(p->product_id, "BP", 2) == 0 && p->max_sale_price[0] != '\0';
}

static bool good_batch(const ProtobufCMessage *response, const char *org_id) {
  (void)org_id;
  const Vbp__V1__BatchGetPricesResponse *r = (const Vbp__V1__BatchGetPricesResponse *)response;
  return r->n_prices == PRICE_PRODUCTS;
}

static void record_latency(bench *b, int64_t ns) {
  if (b->n_latencies == b->latencies_cap) {
    size_t cap = b->latencies_cap ? b->latencies_cap * 2 : LATENCIES_INITIAL;
    int64_t *grown = realloc(b->latencies_ns, cap * sizeof *grown);
    if (!grown) {
      fprintf(stderr, "rpc_bench: out of memory\n");
      abort();
    }
    b->latencies_ns = grown;
    b->latencies_cap = cap;
  }
  b->latencies_ns[b->n_latencies++] = ns;
}

static void call_done(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  slot *s = ctx;
  bench *b = s->bench;
  int64_t ended = now_ns();
  /* An OK status with a wrong answer would flatter the numbers: check it. */
  bool good = vbp_ok(status) && response && b->good(response, b->org_id);

  pthread_mutex_lock(&b->lock);
  bool measured = ended >= b->measure_from_ns && ended < b->measure_to_ns;
  if (good) {
    if (measured) record_latency(b, ended - s->started_ns);
    if (!b->answer_bytes) b->answer_bytes = protobuf_c_message_get_packed_size(response);
  } else {
    if (measured)
      b->errors++;
    else
      b->errors_outside++;
    if (!b->have_error) {
      b->have_error = true;
      b->first_error = vbp_ok(status) ? vbp_status_make(VBP_INTERNAL, "a wrong answer") : *status;
    }
  }
  bool again = ended < b->measure_to_ns && !starting;
  if (!again && --b->running == 0) pthread_cond_broadcast(&b->idle);
  pthread_mutex_unlock(&b->lock);

  if (response) protobuf_c_message_free_unpacked(response, NULL);
  if (again) start_call(s);
}

static int compare_ns(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

/* Nearest rank over sorted values: the smallest value with at least permille/1000 of them at
 * or below. Integer arithmetic, so p99.9 of 1000 values is the 999th and not, by rounding, the
 * 1000th. */
static double percentile_ms(const int64_t *sorted, size_t n, size_t permille) {
  if (n == 0) return 0;
  size_t rank = (n * permille + 999) / 1000;
  if (rank < 1) rank = 1;
  return (double)sorted[rank - 1] / 1e6;
}

static int run_load(const options *opt) {
  Vbp__V1__GetOrganizationRequest get = VBP__V1__GET_ORGANIZATION_REQUEST__INIT;
  Vbp__V1__Organization org;
  char credit_code[19];
  Vbp__V1__GetPriceRequest price = VBP__V1__GET_PRICE_REQUEST__INIT;
  Vbp__V1__BatchGetPricesRequest batch = VBP__V1__BATCH_GET_PRICES_REQUEST__INIT;
  char ids[PRICE_PRODUCTS][8];
  char *id_ptrs[PRICE_PRODUCTS];
  bench b = {.org_id = opt->org_id,
             .call = {.timeout_ms = CALL_TIMEOUT_MS, .bearer_key = opt->key},
             .good = good_organization};
  if (strcmp(opt->mode, "catalog") == 0) {
    get.id = (char *)opt->org_id;
    b.method = &get_organization_method;
    b.request = &get.base;
  } else if (strcmp(opt->mode, "price") == 0 || strcmp(opt->mode, "price-miss") == 0) {
    price.region_code = PRICE_REGION;
    price.product_id = "BP000";
    price.date = PRICE_DAY;
    b.method = &get_price_method;
    b.request = &price.base;
    b.good = good_price;
    b.miss = strcmp(opt->mode, "price-miss") == 0;
  } else if (strcmp(opt->mode, "batch") == 0) {
    for (int i = 0; i < PRICE_PRODUCTS; i++) {
      snprintf(ids[i], sizeof ids[i], "BP%03d", i);
      id_ptrs[i] = ids[i];
    }
    batch.region_code = PRICE_REGION;
    batch.product_ids = id_ptrs;
    batch.n_product_ids = PRICE_PRODUCTS;
    batch.date = PRICE_DAY;
    b.method = &batch_get_prices_method;
    b.request = &batch.base;
    b.good = good_batch;
  } else {
    bench_organization(&org, opt->org_id, credit_code);
    b.method = &echo_method;
    b.request = &org.base; /* with the same metadata as a catalog call; vbp echo checks it */
  }
  vbp_status st = vbp_client_open(opt->target, NULL, &b.client);
  if (!vbp_ok(&st)) {
    print_error("open", &st);
    return 1;
  }
  pthread_mutex_init(&b.lock, NULL);
  pthread_cond_init(&b.idle, NULL);
  slot *slots = vbp_xcalloc((size_t)opt->in_flight, sizeof *slots);

  int64_t began = now_ns();
  b.measure_from_ns = began + (int64_t)opt->warmup_seconds * 1000000000;
  b.measure_to_ns = b.measure_from_ns + (int64_t)opt->seconds * 1000000000;
  b.running = opt->in_flight;
  for (int i = 0; i < opt->in_flight; i++) {
    slots[i].bench = &b;
    start_call(&slots[i]);
  }
  /* Every chain ends at measure_to_ns, or at its deadline CALL_TIMEOUT_MS later at most. */
  pthread_mutex_lock(&b.lock);
  while (b.running > 0) pthread_cond_wait(&b.idle, &b.lock);
  pthread_mutex_unlock(&b.lock);
  vbp_client_close(b.client);

  qsort(b.latencies_ns, b.n_latencies, sizeof *b.latencies_ns, compare_ns);
  size_t n = b.n_latencies;
  printf(
      "%-7s calls/s=%.0f p50_ms=%.3f p99_ms=%.3f p99.9_ms=%.3f max_ms=%.3f errors=%llu "
      "calls=%zu in_flight=%d seconds=%d answer_bytes=%zu\n",
      opt->mode, (double)n / opt->seconds, percentile_ms(b.latencies_ns, n, 500),
      percentile_ms(b.latencies_ns, n, 990), percentile_ms(b.latencies_ns, n, 999),
      n ? (double)b.latencies_ns[n - 1] / 1e6 : 0.0, (unsigned long long)b.errors, n,
      opt->in_flight, opt->seconds, b.answer_bytes);
  if (b.have_error) {
    fprintf(stderr, "rpc_bench: %s: %llu errors measured, %llu during warm-up or drain\n",
            opt->mode, (unsigned long long)b.errors, (unsigned long long)b.errors_outside);
    print_error("first error", &b.first_error);
  }
  int rc = b.errors == 0 && n > 0 ? 0 : 1;
  free(b.latencies_ns);
  free(slots);
  pthread_cond_destroy(&b.idle);
  pthread_mutex_destroy(&b.lock);
  return rc;
}

/* ---------------------------------------------------------------- main */

static void usage(void) {
  fprintf(stderr,
          "usage: rpc_bench setup   -t TARGET [-k ADMIN_KEY] [-o ORG_ID]\n"
          "       rpc_bench catalog -t TARGET [-k KEY] [-o ORG_ID] [-n IN_FLIGHT] [-d SECONDS] "
          "[-w SECONDS]\n"
          "       rpc_bench echo    -t TARGET [-o ORG_ID] [-n IN_FLIGHT] [-d SECONDS] "
          "[-w SECONDS]\n"
          "       rpc_bench price-setup -t CATALOG -p PRICING [-k ADMIN_KEY]\n"
          "       rpc_bench price|price-miss|batch -t TARGET [-k KEY] [-n IN_FLIGHT] "
          "[-d SECONDS] [-w SECONDS]\n"
          "       rpc_bench volume-setup -t CATALOG -p PRICING -v VOLUME [-k ADMIN_KEY] "
          "[-n IN_FLIGHT]\n"
          "       rpc_bench volume-lines -D DIR [-l LINES] [-b MAX_FILE_BYTES]\n"
          "keys default to $VBP_ADMIN_KEY (setups) and $VBP_BENCH_KEY (catalog); defaults: -o %s "
          "-n %d -d %d -w %d\n",
          DEFAULT_ORG_ID, DEFAULT_IN_FLIGHT, DEFAULT_SECONDS, DEFAULT_WARMUP_SECONDS);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  options opt = {.mode = argv[1],
                 .org_id = DEFAULT_ORG_ID,
                 .in_flight = DEFAULT_IN_FLIGHT,
                 .seconds = DEFAULT_SECONDS,
                 .warmup_seconds = DEFAULT_WARMUP_SECONDS};
  bool setup = strcmp(opt.mode, "setup") == 0, echo = strcmp(opt.mode, "echo") == 0;
  bool price_setup = strcmp(opt.mode, "price-setup") == 0;
  bool volume_setup_mode = strcmp(opt.mode, "volume-setup") == 0;
  bool volume_lines_mode = strcmp(opt.mode, "volume-lines") == 0;
  const char *const loads[] = {"catalog", "echo", "price", "price-miss", "batch"};
  bool known = setup || price_setup || volume_setup_mode || volume_lines_mode;
  if (volume_setup_mode) opt.in_flight = VOLUME_DEFAULT_IN_FLIGHT;
  opt.lines = VOLUME_DEFAULT_LINES;
  opt.max_bytes = VOLUME_DEFAULT_MAX_BYTES;
  for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++)
    known = known || strcmp(opt.mode, loads[i]) == 0;
  if (!known) usage();
  /* The mode stands where getopt expects the program name. */
  int c;
  while ((c = getopt(argc - 1, argv + 1, "t:p:v:D:l:b:k:o:n:d:w:")) != -1) {
    switch (c) {
      case 'v':
        opt.volume = optarg;
        break;
      case 'D':
        opt.dir = optarg;
        break;
      case 'l':
        opt.lines = bench_parse_int("rpc_bench", "-l", optarg, 1, VOLUME_MAX_LINES);
        break;
      case 'b':
        opt.max_bytes = bench_parse_int("rpc_bench", "-b", optarg, 1024, VOLUME_DEFAULT_MAX_BYTES);
        break;
      case 't':
        opt.target = optarg;
        break;
      case 'p':
        opt.pricing = optarg;
        break;
      case 'k':
        opt.key = optarg;
        break;
      case 'o':
        opt.org_id = optarg;
        break;
      case 'n':
        opt.in_flight = bench_parse_int("rpc_bench", "-n", optarg, 1, MAX_IN_FLIGHT);
        break;
      case 'd':
        opt.seconds = bench_parse_int("rpc_bench", "-d", optarg, 1, MAX_SECONDS);
        break;
      case 'w':
        opt.warmup_seconds = bench_parse_int("rpc_bench", "-w", optarg, 0, MAX_SECONDS);
        break;
      default:
        usage();
    }
  }
  if (volume_lines_mode) {
    if (optind != argc - 1 || !opt.dir) usage();
    return volume_lines(opt.dir, opt.lines, opt.max_bytes);
  }
  if (optind != argc - 1 || !opt.target || (price_setup && !opt.pricing) ||
      (volume_setup_mode && (!opt.pricing || !opt.volume)))
    usage();
  bool admin = setup || price_setup || volume_setup_mode;
  /* Keys from the environment by default, so they do not show in ps. */
  if (!opt.key) opt.key = getenv(admin ? "VBP_ADMIN_KEY" : "VBP_BENCH_KEY");
  if (!echo && (!opt.key || !*opt.key)) {
    fprintf(stderr, "rpc_bench: %s needs a key: -k, or $%s\n", opt.mode,
            admin ? "VBP_ADMIN_KEY" : "VBP_BENCH_KEY");
    return 2;
  }

  vbp_log_init("rpc_bench", VBP_LOG_WARN);
  vbp_rpc_init();
  int rc = setup         ? run_setup(&opt)
           : price_setup ? run_price_setup(&opt)
           : volume_setup_mode
               ? volume_setup(opt.target, opt.pricing, opt.volume, opt.key, opt.in_flight)
               : run_load(&opt);
  vbp_rpc_shutdown();
  return rc;
}
