/* rpc_bench contract-setup, contract-generate and contract-sign (contract_bench.h): what
 * tests/bench/contract.sh adds to the province that volume-setup loads. The ids here follow
 * volume_bench.c's: hospitals VH0000..VH1999 in the counties of 350000's nine cities, products
 * VP00..VP49 of manufacturers VM1..VM5 (product p's is VM(p % 5 + 1)), batch BENCH-VOL. */
#include "contract_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/credit_code.h"
#include "common/rpc.h"
#include "common/status.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"

#define PROVINCE "350000"
#define BATCH "BENCH-VOL"
#define HOSPITALS 2000
#define PRODUCTS 50
#define MANUFACTURERS 5
#define CONTRACTS (HOSPITALS * PRODUCTS)
#define CALL_TIMEOUT_MS 30000
#define GENERATE_TIMEOUT_MS 600000
#define SIGN_TIMEOUT_MS 30000
#define DOCUMENT "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* The coordination areas (C8): 350000's nine cities, as volume_bench.c creates them. */
static const char *const areas[] = {"350100", "350200", "350300", "350400", "350500",
                                    "350600", "350700", "350800", "350900"};
#define AREAS (sizeof areas / sizeof areas[0])
#define ORGS (HOSPITALS + MANUFACTURERS + AREAS)

static double seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void print_status(const char *what, const vbp_status *st) {
  fprintf(stderr, "rpc_bench: %s: %s %s%s%s\n", what, vbp_code_name(st->code), st->message,
          st->field[0] ? " field=" : "", st->field);
}

/* The i-th party organization: hospitals, then manufacturers, then distributors. */
static void org_id(size_t i, char out[16]) {
  if (i < HOSPITALS)
    snprintf(out, 16, "VH%04zu", i);
  else if (i < HOSPITALS + MANUFACTURERS)
    snprintf(out, 16, "VM%zu", i - HOSPITALS + 1);
  else
    snprintf(out, 16, "VD%s", areas[i - HOSPITALS - MANUFACTURERS]);
}

/* ---------------------------------------------------------------- contract-setup */

typedef struct csetup {
  vbp_client *catalog, *contract;
  vbp_call_options call;
  _Atomic size_t next;
  _Atomic bool failed;
  pthread_mutex_t lock; /* the first error, and keys */
  char (*keys)[128];    /* ORGS of them */
  size_t n;
  bool (*item)(struct csetup *s, size_t i);
} csetup;

static bool ccall(csetup *s, vbp_client *c, const ProtobufCServiceDescriptor *svc, const char *name,
                  const ProtobufCMessage *req, ProtobufCMessage **keep, const char *what) {
  ProtobufCMessage *answer = NULL;
  vbp_status st = vbp_client_call(c, vbp_method_of(svc, name), req, &s->call, NULL, &answer);
  if (!vbp_ok(&st)) {
    pthread_mutex_lock(&s->lock);
    if (!atomic_exchange(&s->failed, true)) {
      char full[200];
      snprintf(full, sizeof full, "%s %s", name, what);
      print_status(full, &st);
    }
    pthread_mutex_unlock(&s->lock);
    return false;
  }
  if (keep)
    *keep = answer;
  else
    protobuf_c_message_free_unpacked(answer, NULL);
  return true;
}

static void *csetup_worker(void *arg) {
  csetup *s = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&s->next, 1);
    if (i >= s->n || atomic_load(&s->failed)) return NULL;
    if (!s->item(s, i)) return NULL;
  }
}

static bool csetup_parallel(csetup *s, size_t n, int threads, bool (*item)(csetup *, size_t)) {
  s->n = n;
  s->item = item;
  atomic_store(&s->next, 0);
  pthread_t *t = vbp_xcalloc((size_t)threads, sizeof *t);
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t[i], NULL, csetup_worker, s) != 0) abort();
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  free(t);
  return !atomic_load(&s->failed);
}

static bool create_distributor(csetup *s, size_t a) {
  char id[16], first17[18], credit[19], name[64];
  snprintf(id, sizeof id, "VD%s", areas[a]);
  /* GB 32100: 91 (an enterprise), the region, a made-up organization code. */
  snprintf(first17, sizeof first17, "91%sMD000000%zu", areas[a], a);
  memcpy(credit, first17, 17);
  credit[17] = vbp_credit_code_check_char(first17);
  credit[18] = '\0';
  snprintf(name, sizeof name, "基准测试配送企业%s", areas[a]);
  Vbp__V1__Organization o = VBP__V1__ORGANIZATION__INIT;
  o.id = id;
  o.name = name;
  o.kind = VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR;
  o.region_code = (char *)areas[a];
  o.credit_code = credit;
  return ccall(s, s->catalog, &vbp__v1__catalog_service__descriptor, "CreateOrganization", &o.base,
               NULL, id);
}

/* Area i / PRODUCTS's distributor named for product i % PRODUCTS. */
static bool authorize(csetup *s, size_t i) {
  size_t a = i / PRODUCTS;
  int p = (int)(i % PRODUCTS);
  char distributor[16], product[8], manufacturer[8], what[40];
  snprintf(distributor, sizeof distributor, "VD%s", areas[a]);
  snprintf(product, sizeof product, "VP%02d", p);
  snprintf(manufacturer, sizeof manufacturer, "VM%d", p % MANUFACTURERS + 1);
  snprintf(what, sizeof what, "%s %s", product, areas[a]);
  Vbp__V1__AuthorizeDistributorRequest r = VBP__V1__AUTHORIZE_DISTRIBUTOR_REQUEST__INIT;
  r.manufacturer_id = manufacturer;
  r.product_id = product;
  r.distributor_id = distributor;
  r.region_code = (char *)areas[a];
  return ccall(s, s->contract, &vbp__v1__contract_service__descriptor, "AuthorizeDistributor",
               &r.base, NULL, what);
}

static bool mint_key(csetup *s, size_t i) {
  char id[16];
  org_id(i, id);
  Vbp__V1__CreateApiKeyRequest r = VBP__V1__CREATE_API_KEY_REQUEST__INIT;
  r.organization_id = id;
  ProtobufCMessage *answer = NULL;
  if (!ccall(s, s->catalog, &vbp__v1__catalog_service__descriptor, "CreateApiKey", &r.base, &answer,
             id))
    return false;
  snprintf(s->keys[i], sizeof s->keys[i], "%s", ((Vbp__V1__ApiKey *)answer)->key);
  protobuf_c_message_free_unpacked(answer, NULL);
  return true;
}

int contract_setup(const char *catalog, const char *contract, const char *admin_key,
                   const char *keys_file, int in_flight) {
  csetup s = {.call = {.timeout_ms = CALL_TIMEOUT_MS, .bearer_key = admin_key}};
  pthread_mutex_init(&s.lock, NULL);
  s.keys = vbp_xcalloc(ORGS, sizeof *s.keys);
  int rc = 1;
  vbp_status st = vbp_client_open(catalog, NULL, &s.catalog);
  if (vbp_ok(&st)) st = vbp_client_open(contract, NULL, &s.contract);
  if (!vbp_ok(&st)) {
    print_status("open", &st);
    goto done;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (!csetup_parallel(&s, AREAS, in_flight, create_distributor) ||
      !csetup_parallel(&s, AREAS * PRODUCTS, in_flight, authorize))
    goto done;
  double authorize_s = seconds_since(&t0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (!csetup_parallel(&s, ORGS, in_flight, mint_key)) goto done;
  double keys_s = seconds_since(&t1);
  int fd = open(keys_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    fprintf(stderr, "rpc_bench: %s: %s\n", keys_file, strerror(errno));
    if (fd >= 0) close(fd);
    goto done;
  }
  bool ok = true;
  for (size_t i = 0; i < ORGS && ok; i++) {
    char id[16];
    org_id(i, id);
    ok = fprintf(f, "%s %s\n", id, s.keys[i]) > 0;
  }
  if (fclose(f) != 0 || !ok) {
    fprintf(stderr, "rpc_bench: writing %s failed\n", keys_file);
    goto done;
  }
  printf(
      "contract-setup distributors=%zu authorizations=%zu keys=%zu authorize_s=%.1f "
      "keys_s=%.1f in_flight=%d\n",
      AREAS, AREAS * PRODUCTS, (size_t)ORGS, authorize_s, keys_s, in_flight);
  rc = 0;
done:
  vbp_client_close(s.catalog);
  vbp_client_close(s.contract);
  free(s.keys);
  pthread_mutex_destroy(&s.lock);
  return rc;
}

/* ---------------------------------------------------------------- contract-generate */

int contract_generate(const char *contract, const char *admin_key) {
  vbp_client *c = NULL;
  vbp_status st = vbp_client_open(contract, NULL, &c);
  if (!vbp_ok(&st)) {
    print_status("open", &st);
    return 1;
  }
  Vbp__V1__GenerateContractsRequest req = VBP__V1__GENERATE_CONTRACTS_REQUEST__INIT;
  req.batch_code = BATCH;
  req.region_code = PROVINCE;
  req.agreement_year = 1;
  req.page_size = 1;
  vbp_call_options call = {.timeout_ms = GENERATE_TIMEOUT_MS, .bearer_key = admin_key};
  ProtobufCMessage *answer = NULL;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  st =
      vbp_client_call(c, vbp_method_of(&vbp__v1__contract_service__descriptor, "GenerateContracts"),
                      &req.base, &call, NULL, &answer);
  double s = seconds_since(&t0);
  vbp_client_close(c);
  if (!vbp_ok(&st)) {
    print_status("GenerateContracts", &st);
    return 1;
  }
  int generated = ((Vbp__V1__GenerateContractsResponse *)answer)->generated;
  protobuf_c_message_free_unpacked(answer, NULL);
  printf("contract-generate generated=%d seconds=%.3f contracts/s=%.0f\n", generated, s,
         generated / s);
  if (generated != CONTRACTS) {
    fprintf(stderr, "rpc_bench: GenerateContracts answered %d contracts, not %d\n", generated,
            CONTRACTS);
    return 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- contract-sign */

typedef struct party_key {
  char id[16];
  char key[128];
} party_key;

typedef struct contract_item {
  char id[64];
  const char *key[3]; /* manufacturer's, distributor's, institution's */
} contract_item;

typedef struct signer signer;

typedef struct chain {
  signer *s;
  contract_item *item;
  int step; /* 0 manufacturer, 1 distributor, 2 institution */
  int64_t started_ns;
  Vbp__V1__SignContractRequest req;
} chain;

struct signer {
  vbp_client *client;
  const vbp_method *method;
  contract_item *items;
  size_t n_items;
  _Atomic size_t next;
  pthread_mutex_t lock;
  pthread_cond_t idle;
  int running;
  int64_t *latencies_ns; /* one per signature, by its index */
  _Atomic size_t n_latencies;
  _Atomic uint64_t errors;
  _Atomic bool have_error;
  vbp_status first_error;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int by_org(const void *x, const void *y) {
  return strcmp(((const party_key *)x)->id, ((const party_key *)y)->id);
}

static const char *key_of(party_key *keys, size_t n, const char *org) {
  party_key probe;
  snprintf(probe.id, sizeof probe.id, "%s", org);
  party_key *hit = bsearch(&probe, keys, n, sizeof *keys, by_org);
  return hit ? hit->key : NULL;
}

static _Thread_local int starting;
static void signed_one(void *ctx, const vbp_status *status, ProtobufCMessage *response);

static const Vbp__V1__Signature__Party parties[3] = {VBP__V1__SIGNATURE__PARTY__MANUFACTURER,
                                                     VBP__V1__SIGNATURE__PARTY__DISTRIBUTOR,
                                                     VBP__V1__SIGNATURE__PARTY__INSTITUTION};

/* Starts the chain's next signature: the next party of its contract, or the next contract's
 * first; false when no contract is left. */
static bool start_sign(chain *ch) {
  signer *s = ch->s;
  if (!ch->item || ch->step == 2) {
    size_t i = atomic_fetch_add(&s->next, 1);
    if (i >= s->n_items) return false;
    ch->item = &s->items[i];
    ch->step = 0;
  } else {
    ch->step++;
  }
  vbp__v1__sign_contract_request__init(&ch->req);
  ch->req.id = ch->item->id;
  ch->req.party = parties[ch->step];
  ch->req.signer_name = "基准测试签署人";
  ch->req.document_sha256 = DOCUMENT;
  vbp_call_options call = {.timeout_ms = SIGN_TIMEOUT_MS, .bearer_key = ch->item->key[ch->step]};
  ch->started_ns = now_ns();
  starting++;
  vbp_client_start(s->client, s->method, &ch->req.base, &call, NULL, signed_one, ch);
  starting--;
  return true;
}

static void chain_ended(signer *s) {
  pthread_mutex_lock(&s->lock);
  if (--s->running == 0) pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->lock);
}

static void signed_one(void *ctx, const vbp_status *status, ProtobufCMessage *response) {
  chain *ch = ctx;
  signer *s = ch->s;
  int64_t ended = now_ns();
  static const int after[3] = {VBP__V1__CONTRACT_STATE__PARTIALLY_SIGNED,
                               VBP__V1__CONTRACT_STATE__ENTERPRISE_SIGNED,
                               VBP__V1__CONTRACT_STATE__EFFECTIVE};
  bool good = vbp_ok(status) && response;
  if (good) {
    int state = ((Vbp__V1__Contract *)response)->state;
    /* A year-1 contract past its period shows EXPIRED once EFFECTIVE. */
    good = state == after[ch->step] || (ch->step == 2 && state == VBP__V1__CONTRACT_STATE__EXPIRED);
  }
  if (good) {
    s->latencies_ns[atomic_fetch_add(&s->n_latencies, 1)] = ended - ch->started_ns;
  } else {
    atomic_fetch_add(&s->errors, 1);
    pthread_mutex_lock(&s->lock);
    if (!atomic_exchange(&s->have_error, true))
      s->first_error = vbp_ok(status) ? vbp_status_make(VBP_INTERNAL, "%s step %d: a wrong state",
                                                        ch->item->id, ch->step)
                                      : *status;
    pthread_mutex_unlock(&s->lock);
  }
  if (response) protobuf_c_message_free_unpacked(response, NULL);
  /* A call that failed to start ends its chain rather than recurse; so does any error. */
  if (!good || starting || !start_sign(ch)) chain_ended(s);
}

static int compare_ns(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

static double percentile_ms(const int64_t *sorted, size_t n, size_t permille) {
  if (n == 0) return 0;
  size_t rank = (n * permille + 999) / 1000;
  if (rank < 1) rank = 1;
  return (double)sorted[rank - 1] / 1e6;
}

static bool read_keys(const char *path, party_key **out, size_t *n) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "rpc_bench: %s: %s\n", path, strerror(errno));
    return false;
  }
  size_t cap = ORGS, count = 0;
  party_key *keys = vbp_xcalloc(cap, sizeof *keys);
  char id[16], key[128];
  while (fscanf(f, "%15s %127s", id, key) == 2) {
    if (count == cap) {
      cap *= 2;
      keys = realloc(keys, cap * sizeof *keys);
      if (!keys) abort();
    }
    snprintf(keys[count].id, sizeof keys[count].id, "%s", id);
    snprintf(keys[count].key, sizeof keys[count].key, "%s", key);
    count++;
  }
  fclose(f);
  qsort(keys, count, sizeof *keys, by_org);
  *out = keys;
  *n = count;
  return true;
}

static bool read_contracts(const char *path, party_key *keys, size_t n_keys, long limit,
                           contract_item **out, size_t *n) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "rpc_bench: %s: %s\n", path, strerror(errno));
    return false;
  }
  size_t cap = CONTRACTS, count = 0;
  contract_item *items = vbp_xcalloc(cap, sizeof *items);
  char id[64], inst[32], mfr[32], dist[32];
  bool ok = true;
  while ((limit <= 0 || count < (size_t)limit) &&
         fscanf(f, "%63s %31s %31s %31s", id, inst, mfr, dist) == 4) {
    if (count == cap) {
      cap *= 2;
      items = realloc(items, cap * sizeof *items);
      if (!items) abort();
    }
    contract_item *it = &items[count++];
    snprintf(it->id, sizeof it->id, "%s", id);
    const char *orgs[3] = {mfr, dist, inst};
    for (int k = 0; k < 3 && ok; k++) {
      it->key[k] = key_of(keys, n_keys, orgs[k]);
      if (!it->key[k]) {
        fprintf(stderr, "rpc_bench: %s: no key of %s (contract %s)\n", path, orgs[k], id);
        ok = false;
      }
    }
    if (!ok) break;
  }
  fclose(f);
  if (ok && count == 0) {
    fprintf(stderr, "rpc_bench: %s holds no contract\n", path);
    ok = false;
  }
  *out = items;
  *n = count;
  return ok;
}

int contract_sign(const char *contract, const char *keys_file, const char *contracts_file,
                  long limit, int in_flight) {
  party_key *keys = NULL;
  size_t n_keys = 0;
  signer s = {.method = vbp_method_of(&vbp__v1__contract_service__descriptor, "SignContract")};
  int rc = 1;
  if (!read_keys(keys_file, &keys, &n_keys) ||
      !read_contracts(contracts_file, keys, n_keys, limit, &s.items, &s.n_items)) {
    free(keys);
    free(s.items);
    return 1;
  }
  vbp_status st = vbp_client_open(contract, NULL, &s.client);
  if (!vbp_ok(&st)) {
    print_status("open", &st);
    free(keys);
    free(s.items);
    return 1;
  }
  size_t signatures = 3 * s.n_items;
  s.latencies_ns = vbp_xcalloc(signatures, sizeof *s.latencies_ns);
  pthread_mutex_init(&s.lock, NULL);
  pthread_cond_init(&s.idle, NULL);
  chain *chains = vbp_xcalloc((size_t)in_flight, sizeof *chains);
  s.running = in_flight;
  int64_t began = now_ns();
  for (int i = 0; i < in_flight; i++) {
    chains[i].s = &s;
    if (!start_sign(&chains[i])) chain_ended(&s);
  }
  pthread_mutex_lock(&s.lock);
  while (s.running > 0) pthread_cond_wait(&s.idle, &s.lock);
  pthread_mutex_unlock(&s.lock);
  double wall = (double)(now_ns() - began) / 1e9;
  vbp_client_close(s.client);

  size_t n = atomic_load(&s.n_latencies);
  qsort(s.latencies_ns, n, sizeof *s.latencies_ns, compare_ns);
  uint64_t errors = atomic_load(&s.errors);
  printf(
      "contract-sign signatures/s=%.0f p50_ms=%.3f p99_ms=%.3f p99.9_ms=%.3f max_ms=%.3f "
      "errors=%llu signatures=%zu contracts=%zu seconds=%.3f in_flight=%d\n",
      (double)n / wall, percentile_ms(s.latencies_ns, n, 500),
      percentile_ms(s.latencies_ns, n, 990), percentile_ms(s.latencies_ns, n, 999),
      n ? (double)s.latencies_ns[n - 1] / 1e6 : 0.0, (unsigned long long)errors, n, s.n_items, wall,
      in_flight);
  if (atomic_load(&s.have_error)) print_status("first error", &s.first_error);
  rc = errors == 0 && n == signatures ? 0 : 1;
  if (rc && !errors) fprintf(stderr, "rpc_bench: %zu signatures of %zu made\n", n, signatures);
  free(chains);
  free(s.latencies_ns);
  free(s.items);
  free(keys);
  pthread_cond_destroy(&s.idle);
  pthread_mutex_destroy(&s.lock);
  return rc;
}
