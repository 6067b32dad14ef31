/* rpc_bench volume-setup and volume-lines (volume_bench.h): a province's volume data, and the
 * purchase lines tests/bench/volume.sh imports and copies. Both derive every id, quantity, price
 * and date from the same few functions below, so the lines match the data loaded, and the COPY
 * rows match what volume-svc stores of the lines. */
#include "volume_bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/credit_code.h"
#include "common/date.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"

#define PROVINCE "350000"
#define BATCH "BENCH-VOL"
#define START_DATE "2024-07-22"
#define LAST_DAY "2025-05-31" /* accepted dates run from START_DATE to here */
#define HOSPITALS 2000
#define GROUPS 10
#define PER_GROUP 5
#define PRODUCTS (GROUPS * PER_GROUP)
#define PAIRS (HOSPITALS * PRODUCTS) /* lines n and n + PAIRS are of the same pair */
#define RATIO_PERCENT 80
#define PRICE_STEP 12500 /* product i's winning price: (i + 1) x 1.2500 yuan, in 0.0001 */
#define CALL_TIMEOUT_MS 30000
#define COMPUTE_TIMEOUT_MS 600000

/* Fujian's cities and, for each, real-shaped county codes (GB/T 2260) under it. */
static const struct city {
  const char *code, *name;
  const char *counties[14];
} cities[] = {
    {"350100",
     "福州市",
     {"02", "03", "04", "05", "11", "12", "21", "22", "23", "24", "25", "28", "81"}},
    {"350200", "厦门市", {"03", "05", "06", "11", "12", "13"}},
    {"350300", "莆田市", {"02", "03", "04", "05", "22"}},
    {"350400", "三明市", {"04", "05", "21", "23", "24", "25", "26", "27", "28", "29", "30", "81"}},
    {"350500", "泉州市", {"02", "03", "04", "05", "21", "24", "25", "26", "27", "81", "82", "83"}},
    {"350600", "漳州市", {"02", "03", "04", "05", "22", "23", "24", "25", "26", "27", "28"}},
    {"350700", "南平市", {"02", "03", "21", "22", "23", "24", "25", "81", "82", "83"}},
    {"350800", "龙岩市", {"02", "03", "21", "23", "24", "25", "81"}},
    {"350900", "宁德市", {"02", "21", "22", "23", "24", "25", "26", "81", "82"}},
};
#define CITIES (sizeof cities / sizeof cities[0])

static const char *const generic_names[GROUPS] = {
    "苯磺酸氨氯地平", "阿托伐他汀钙", "盐酸二甲双胍", "厄贝沙坦", "头孢呋辛酯",
    "左氧氟沙星",     "奥美拉唑",     "瑞舒伐他汀钙", "恩替卡韦", "硫酸氢氯吡格雷"};

/* purchases.copy's columns, for COPY ... (columns) FROM. */
static const char volume_copy_columns[] =
    "institution_id, unit_id, institution_region, product_id, batch_code, region_code, "
    "quantity, amount, ordered_on, accepted_on, agreement_year, settlement_due, "
    "agency_settlement_due, above_limit, external_id";

/* ---------------------------------------------------------------- the data */

static size_t n_counties(void) {
  size_t n = 0;
  for (size_t c = 0; c < CITIES; c++)
    for (size_t k = 0; cities[c].counties[k]; k++) n++;
  return n;
}

/* The i-th county code (i < n_counties()) into out (7 bytes), its city's index in *city. */
static void county(size_t i, char out[7], size_t *city) {
  for (size_t c = 0; c < CITIES; c++)
    for (size_t k = 0; cities[c].counties[k]; k++)
      if (i-- == 0) {
        snprintf(out, 7, "%.4s%s", cities[c].code, cities[c].counties[k]);
        if (city) *city = c;
        return;
      }
  abort();
}

static void hospital_id(int h, char out[8]) { snprintf(out, 8, "VH%04d", h); }
static void hospital_region(int h, char out[7]) { county((size_t)h % n_counties(), out, NULL); }
static void product_id(int p, char out[8]) { snprintf(out, 8, "VP%02d", p); }
static void group_id(int g, char out[8]) { snprintf(out, 8, "VG%d", g); }
static int64_t winning_price(int p) { return (int64_t)PRICE_STEP * (p + 1); }
static int64_t demand_of(int h, int g) { return 1000 + (h * 37 + g * 101) % 500; }

/* "12.3400" from 0.0001 yuan */
static void money(int64_t v, char out[32]) {
  snprintf(out, 32, "%lld.%04lld", (long long)(v / 10000), (long long)(v % 10000));
}

/* ---------------------------------------------------------------- calls */

typedef struct setup {
  vbp_client *catalog, *pricing, *volume;
  vbp_call_options call;
  _Atomic size_t next;
  _Atomic bool failed;
  _Atomic long reviews, skipped_reviews;
  pthread_mutex_t lock; /* the first error's message */
  size_t n;
  bool (*item)(struct setup *s, size_t i);
} setup;

static void report(setup *s, const char *what, const vbp_status *st) {
  pthread_mutex_lock(&s->lock);
  if (!atomic_exchange(&s->failed, true))
    fprintf(stderr, "rpc_bench: %s: %s %s%s%s\n", what, vbp_code_name(st->code), st->message,
            st->field[0] ? " field=" : "", st->field);
  pthread_mutex_unlock(&s->lock);
}

static const vbp_method *method(const ProtobufCServiceDescriptor *svc, const char *name) {
  return vbp_method_of(svc, name);
}

static bool call(setup *s, vbp_client *c, const ProtobufCServiceDescriptor *svc, const char *name,
                 const ProtobufCMessage *req, ProtobufCMessage **keep, const char *what) {
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(c, method(svc, name), req, &s->call, NULL, &answer);
  if (!vbp_ok(&st)) {
    char full[200];
    snprintf(full, sizeof full, "%s %s", name, what);
    report(s, full, &st);
    return false;
  }
  if (keep)
    *keep = answer;
  else
    protobuf_c_message_free_unpacked(answer, NULL);
  return true;
}

#define CATALOG(s, name, req, what) \
  call(s, (s)->catalog, &vbp__v1__catalog_service__descriptor, name, &(req).base, NULL, what)

static void *worker(void *arg) {
  setup *s = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&s->next, 1);
    if (i >= s->n || atomic_load(&s->failed)) return NULL;
    if (!s->item(s, i)) return NULL;
  }
}

/* s->item(s, 0 .. n-1), threads of them at a time. */
static bool in_parallel(setup *s, size_t n, int threads, bool (*item)(setup *, size_t)) {
  s->n = n;
  s->item = item;
  atomic_store(&s->next, 0);
  pthread_t *t = calloc((size_t)threads, sizeof *t);
  if (!t) abort();
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t[i], NULL, worker, s) != 0) abort();
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  free(t);
  return !atomic_load(&s->failed);
}

/* ---------------------------------------------------------------- volume-setup */

static bool create_regions(setup *s) {
  Vbp__V1__Region r = VBP__V1__REGION__INIT;
  r.code = PROVINCE;
  r.name = "福建省";
  r.level = VBP__V1__REGION_LEVEL__PROVINCE;
  if (!CATALOG(s, "CreateRegion", r, PROVINCE)) return false;
  for (size_t c = 0; c < CITIES; c++) {
    vbp__v1__region__init(&r);
    r.code = (char *)cities[c].code;
    r.name = (char *)cities[c].name;
    r.level = VBP__V1__REGION_LEVEL__CITY;
    r.parent_code = PROVINCE;
    if (!CATALOG(s, "CreateRegion", r, r.code)) return false;
  }
  for (size_t i = 0; i < n_counties(); i++) {
    char code[7], name[64];
    size_t c = 0;
    county(i, code, &c);
    snprintf(name, sizeof name, "%s辖区%s", cities[c].name, code + 4);
    vbp__v1__region__init(&r);
    r.code = code;
    r.name = name;
    r.level = VBP__V1__REGION_LEVEL__COUNTY;
    r.parent_code = (char *)cities[c].code;
    if (!CATALOG(s, "CreateRegion", r, code)) return false;
  }
  return true;
}

static bool create_hospital(setup *s, size_t i) {
  int h = (int)i;
  char id[8], region[7], first17[18], credit[19], name[64];
  hospital_id(h, id);
  hospital_region(h, region);
  /* GB 32100: 12 (a public institution), the region, a made-up organization code. */
  snprintf(first17, sizeof first17, "12%sMB%07d", region, h);
  memcpy(credit, first17, 17);
  credit[17] = vbp_credit_code_check_char(first17);
  credit[18] = '\0';
  snprintf(name, sizeof name, "基准测试第%d医院", h);
  Vbp__V1__Organization o = VBP__V1__ORGANIZATION__INIT;
  o.id = id;
  o.name = name;
  o.kind = VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION;
  o.region_code = region;
  o.credit_code = credit;
  o.institution_type = VBP__V1__INSTITUTION_TYPE__PUBLIC;
  return CATALOG(s, "CreateOrganization", o, id);
}

static bool create_batch(setup *s) {
  for (int m = 1; m <= PER_GROUP; m++) {
    char id[8], first17[18], credit[19], name[64];
    snprintf(id, sizeof id, "VM%d", m);
    snprintf(first17, sizeof first17, "91" PROVINCE "MA000000%d", m);
    memcpy(credit, first17, 17);
    credit[17] = vbp_credit_code_check_char(first17);
    credit[18] = '\0';
    snprintf(name, sizeof name, "基准测试制药第%d有限公司", m);
    Vbp__V1__Organization o = VBP__V1__ORGANIZATION__INIT;
    o.id = id;
    o.name = name;
    o.kind = VBP__V1__ORGANIZATION_KIND__MANUFACTURER;
    o.region_code = PROVINCE;
    o.credit_code = credit;
    if (!CATALOG(s, "CreateOrganization", o, id)) return false;
  }
  char *members[] = {PROVINCE};
  Vbp__V1__Batch b = VBP__V1__BATCH__INIT;
  b.code = BATCH;
  b.name = "基准测试药品带量采购";
  b.kind = VBP__V1__PRODUCT_KIND__DRUG;
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = PROVINCE;
  b.member_region_codes = members;
  b.n_member_region_codes = 1;
  b.cycle_years = 4;
  Vbp__V1__Execution e = VBP__V1__EXECUTION__INIT;
  e.batch_code = BATCH;
  e.region_code = PROVINCE;
  e.listing_date = "2024-07-18";
  e.start_date = START_DATE;
  if (!CATALOG(s, "CreateBatch", b, BATCH) || !CATALOG(s, "CreateExecution", e, BATCH))
    return false;
  for (int g = 0; g < GROUPS; g++) {
    char gid[8];
    group_id(g, gid);
    Vbp__V1__Group grp = VBP__V1__GROUP__INIT;
    grp.batch_code = BATCH;
    grp.id = gid;
    grp.generic_name = (char *)generic_names[g];
    grp.competitive = true;
    if (!CATALOG(s, "CreateGroup", grp, gid)) return false;
    for (int p = g * PER_GROUP; p < (g + 1) * PER_GROUP; p++) {
      char pid[8], mfr[8], price[32], listed[32];
      product_id(p, pid);
      snprintf(mfr, sizeof mfr, "VM%d", p % PER_GROUP + 1);
      money(winning_price(p), price);
      money(2 * winning_price(p), listed);
      Vbp__V1__Product pr = VBP__V1__PRODUCT__INIT;
      pr.id = pid;
      pr.kind = VBP__V1__PRODUCT_KIND__DRUG;
      pr.generic_name = grp.generic_name;
      pr.dosage_form = "片剂";
      pr.specification = "10mg";
      pr.unit = "片";
      pr.manufacturer_id = mfr;
      pr.quality_tier = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
      pr.in_insurance_catalog = true;
      Vbp__V1__Result r = VBP__V1__RESULT__INIT;
      r.batch_code = BATCH;
      r.product_id = pid;
      r.group_id = gid;
      r.status = VBP__V1__RESULT_STATUS__WINNING;
      r.winning_price = price;
      r.share_percent = 100 / PER_GROUP;
      Vbp__V1__Listing l = VBP__V1__LISTING__INIT;
      l.region_code = PROVINCE;
      l.product_id = pid;
      l.price = listed;
      l.listed_on = "2024-01-01";
      if (!CATALOG(s, "CreateProduct", pr, pid) || !CATALOG(s, "PublishResult", r, pid) ||
          !call(s, s->pricing, &vbp__v1__pricing_service__descriptor, "UpsertListing", &l.base,
                NULL, pid))
        return false;
    }
  }
  return true;
}

/* Hospital i / GROUPS's demand for group i % GROUPS, submitted then approved at each level the
 * report still lacks (a county hospital's drug report: COUNTY, CITY, PROVINCE). */
static bool approve_demand(setup *s, size_t i) {
  int h = (int)(i / GROUPS), g = (int)(i % GROUPS);
  char id[8], gid[8], what[32], sha[65];
  hospital_id(h, id);
  group_id(g, gid);
  snprintf(what, sizeof what, "%s/%s", id, gid);
  for (int k = 0; k < 8; k++) /* stands in for the hash of a signed letter */
    snprintf(sha + 8 * k, 9, "%08x", (unsigned)(i * 2654435761u + (unsigned)k * 40503u));
  Vbp__V1__DemandReport d = VBP__V1__DEMAND_REPORT__INIT;
  d.batch_code = BATCH;
  d.region_code = PROVINCE;
  d.institution_id = id;
  d.group_id = gid;
  d.agreement_year = 1;
  d.quantity = demand_of(h, g);
  d.last_year_quantity = 900;
  d.commitment_sha256 = sha;
  ProtobufCMessage *answer = NULL;
  if (!call(s, s->volume, &vbp__v1__volume_service__descriptor, "SubmitDemand", &d.base, &answer,
            what))
    return false;
  Vbp__V1__DemandReport *stored = (Vbp__V1__DemandReport *)answer;
  static const Vbp__V1__RegionLevel chain[] = {
      VBP__V1__REGION_LEVEL__COUNTY, VBP__V1__REGION_LEVEL__CITY, VBP__V1__REGION_LEVEL__PROVINCE};
  atomic_fetch_add(&s->skipped_reviews, (long)stored->n_reviews);
  int state = stored->state;
  bool ok = true;
  for (size_t k = stored->n_reviews; k < 3 && ok; k++) {
    Google__Protobuf__BoolValue yes = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
    yes.value = true;
    Vbp__V1__ReviewDemandRequest r = VBP__V1__REVIEW_DEMAND_REQUEST__INIT;
    r.id = stored->id;
    r.level = chain[k];
    r.approve = &yes;
    ProtobufCMessage *reviewed = NULL;
    ok = call(s, s->volume, &vbp__v1__volume_service__descriptor, "ReviewDemand", &r.base,
              &reviewed, what);
    if (ok) {
      state = ((Vbp__V1__DemandReport *)reviewed)->state;
      protobuf_c_message_free_unpacked(reviewed, NULL);
      atomic_fetch_add(&s->reviews, 1);
    }
  }
  protobuf_c_message_free_unpacked(answer, NULL);
  if (ok && state != VBP__V1__DEMAND_REPORT_STATE__APPROVED) {
    vbp_status st = vbp_status_make(VBP_INTERNAL, "ends in state %d, not APPROVED", state);
    report(s, what, &st);
    ok = false;
  }
  return ok;
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int volume_setup(const char *catalog, const char *pricing, const char *volume, const char *key,
                 int in_flight) {
  setup s = {.call = {.timeout_ms = CALL_TIMEOUT_MS, .bearer_key = key}};
  pthread_mutex_init(&s.lock, NULL);
  vbp_status st = vbp_client_open(catalog, NULL, &s.catalog);
  if (vbp_ok(&st)) st = vbp_client_open(pricing, NULL, &s.pricing);
  if (vbp_ok(&st)) st = vbp_client_open(volume, NULL, &s.volume);
  if (!vbp_ok(&st)) {
    report(&s, "open", &st);
    return 1;
  }
  int rc = 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!create_regions(&s) || !in_parallel(&s, HOSPITALS, in_flight, create_hospital) ||
      !create_batch(&s))
    goto done;
  double catalog_s = seconds_since(&t0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!in_parallel(&s, (size_t)HOSPITALS * GROUPS, in_flight, approve_demand)) goto done;
  double demand_s = seconds_since(&t1);

  clock_gettime(CLOCK_MONOTONIC, &t1);
  Vbp__V1__ComputeAllocationsRequest req = VBP__V1__COMPUTE_ALLOCATIONS_REQUEST__INIT;
  req.batch_code = BATCH;
  req.region_code = PROVINCE;
  req.agreement_year = 1;
  req.ratio_percent = RATIO_PERCENT;
  req.page_size = 1;
  s.call.timeout_ms = COMPUTE_TIMEOUT_MS;
  ProtobufCMessage *answer = NULL;
  if (!call(&s, s.volume, &vbp__v1__volume_service__descriptor, "ComputeAllocations", &req.base,
            &answer, "of year 1"))
    goto done;
  int computed = ((Vbp__V1__ComputeAllocationsResponse *)answer)->computed;
  protobuf_c_message_free_unpacked(answer, NULL);
  if (computed != HOSPITALS * PRODUCTS) {
    fprintf(stderr, "rpc_bench: ComputeAllocations made %d allocations, not %d\n", computed,
            HOSPITALS * PRODUCTS);
    goto done;
  }
  printf(
      "volume-setup regions=%zu hospitals=%d products=%d reports=%d reviews=%ld "
      "reviews_already=%ld allocations=%d catalog_s=%.1f demand_s=%.1f compute_s=%.1f "
      "in_flight=%d\n",
      1 + CITIES + n_counties(), HOSPITALS, PRODUCTS, HOSPITALS * GROUPS, atomic_load(&s.reviews),
      atomic_load(&s.skipped_reviews), computed, catalog_s, demand_s, seconds_since(&t1),
      in_flight);
  rc = 0;
done:
  vbp_client_close(s.catalog);
  vbp_client_close(s.pricing);
  vbp_client_close(s.volume);
  pthread_mutex_destroy(&s.lock);
  return rc;
}

/* ---------------------------------------------------------------- volume-lines */

typedef struct line {
  uint32_t n;
  uint16_t day; /* accepted: days from START_DATE */
} line;

/* A cheap, fixed mix of n (so the data is the same every run). */
static uint32_t mix(uint32_t n, uint32_t salt) {
  uint32_t x = n * 2654435761u ^ salt;
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return x;
}

static int by_day(const void *x, const void *y) {
  const line *a = x, *b = y;
  if (a->day != b->day) return a->day < b->day ? -1 : 1;
  return a->n < b->n ? -1 : a->n > b->n;
}

typedef struct out_file {
  FILE *f;
  const char *dir;
  int index;
  long bytes, total;
} out_file;

static bool next_file(out_file *o) {
  if (o->f && fclose(o->f) != 0) return false;
  char path[4096];
  snprintf(path, sizeof path, "%s/purchases-%03d.ndjson", o->dir, ++o->index);
  o->f = fopen(path, "w");
  o->bytes = 0;
  if (!o->f) fprintf(stderr, "rpc_bench: %s: %s\n", path, strerror(errno));
  return o->f != NULL;
}

int volume_lines(const char *dir, long lines, long max_bytes) {
  vbp_date start, last;
  if (!vbp_date_parse(START_DATE, &start) || !vbp_date_parse(LAST_DAY, &last)) abort();
  uint32_t days = (uint32_t)(last - start + 1);
  line *all = malloc((size_t)(lines ? lines : 1) * sizeof *all);
  if (!all) abort();
  for (long n = 0; n < lines; n++)
    all[n] = (line){.n = (uint32_t)n, .day = (uint16_t)(mix((uint32_t)n, 0x5bd1e995u) % days)};
  qsort(all, (size_t)lines, sizeof *all, by_day);

  char copy_path[4096];
  snprintf(copy_path, sizeof copy_path, "%s/purchases.columns", dir);
  FILE *copy = fopen(copy_path, "w");
  if (!copy || fprintf(copy, "%s\n", volume_copy_columns) < 0 || fclose(copy) != 0) {
    fprintf(stderr, "rpc_bench: %s: %s\n", copy_path, strerror(errno));
    free(all);
    return 1;
  }
  snprintf(copy_path, sizeof copy_path, "%s/purchases.copy", dir);
  copy = fopen(copy_path, "w");
  if (!copy) {
    fprintf(stderr, "rpc_bench: %s: %s\n", copy_path, strerror(errno));
    free(all);
    return 1;
  }
  out_file o = {.dir = dir};
  bool ok = next_file(&o);
  char regions[HOSPITALS][7];
  for (int h = 0; h < HOSPITALS; h++) hospital_region(h, regions[h]);
  for (long i = 0; i < lines && ok; i++) {
    uint32_t n = all[i].n;
    int pair = (int)(n % PAIRS), h = pair / PRODUCTS, p = pair % PRODUCTS;
    char id[8], pid[8], amount[32], ordered[VBP_DATE_FORMAT_MAX], accepted[VBP_DATE_FORMAT_MAX],
        due[VBP_DATE_FORMAT_MAX], ext[16];
    hospital_id(h, id);
    product_id(p, pid);
    int64_t quantity = 5 + mix(n, 0x27d4eb2fu) % 36; /* 5 .. 40 */
    int64_t units = quantity * winning_price(p);
    money(units, amount);
    vbp_date acc = start + all[i].day, ord = acc - (vbp_date)(mix(n, 0x165667b1u) % 4);
    vbp_date_format(acc, accepted);
    vbp_date_format(ord, ordered);
    int y, m, d;
    vbp_date_to_ymd(acc, &y, &m, &d); /* V8: the end of the month after acceptance */
    vbp_date_format(vbp_date_month_end(vbp_date_add_months(vbp_date_from_ymd(y, m, 1), 1)), due);
    snprintf(ext, sizeof ext, "HIS-%07u", n);
    char text[512];
    int len = snprintf(text, sizeof text,
                       "{\"institutionId\":\"%s\",\"productId\":\"%s\",\"batchCode\":\"" BATCH
                       "\",\"quantity\":\"%lld\",\"amount\":\"%s\",\"orderedOn\":\"%s\","
                       "\"acceptedOn\":\"%s\",\"externalId\":\"%s\"}\n",
                       id, pid, (long long)quantity, amount, ordered, accepted, ext);
    if (o.bytes > 0 && o.bytes + len > max_bytes) ok = next_file(&o);
    if (!ok) break;
    ok = fwrite(text, 1, (size_t)len, o.f) == (size_t)len;
    o.bytes += len;
    o.total += len;
    ok = ok &&
         fprintf(copy,
                 "%s\t%s\t%s\t%s\t" BATCH "\t" PROVINCE "\t%lld\t%lld\t%s\t%s\t1\t%s\t\\N\tf\t%s\n",
                 id, id, regions[h], pid, (long long)quantity, (long long)units, ordered, accepted,
                 due, ext) > 0;
  }
  if (o.f && fclose(o.f) != 0) ok = false;
  if (fclose(copy) != 0) ok = false;
  free(all);
  if (!ok) {
    fprintf(stderr, "rpc_bench: writing the lines into %s failed\n", dir);
    return 1;
  }
  printf("volume-lines lines=%ld files=%d bytes=%ld\n", lines, o.index, o.total);
  return 0;
}
