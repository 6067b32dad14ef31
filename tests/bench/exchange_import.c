/* exchange_import ADDR FILE TIMEOUT_S: sends an exchange file (docs/exchange.md) to catalog-svc's
 * ImportBatch at ADDR over gRPC directly, for files past the gateway's 64 MiB body limit
 * (tests/bench/exchange.sh). The bearer key comes from $VBP_BENCH_KEY, so that it does not show in
 * ps; the message limit is the client's (VBP_RPC_MAX_MESSAGE_BYTES). Prints one line,
 * "imported=N skipped=N errors=N seconds=S" (S: the call alone, not reading the file), and the
 * first errors on stderr. Exits 1 when the call fails or the file had errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/rpc.h"
#include "vbp/v1/catalog.pb-c.h"

#define ERRORS_SHOWN 10

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned char *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  struct stat st;
  if (!f || fstat(fileno(f), &st) != 0) {
    perror(path);
    exit(2);
  }
  unsigned char *data = malloc((size_t)st.st_size + 1);
  if (!data || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    fprintf(stderr, "%s: cannot read it whole\n", path);
    exit(2);
  }
  fclose(f);
  *len = (size_t)st.st_size;
  return data;
}

int main(int argc, char **argv) {
  const char *key = getenv("VBP_BENCH_KEY");
  int timeout_s = argc == 4 ? atoi(argv[3]) : 0;
  if (argc != 4 || timeout_s <= 0 || !key || !*key) {
    fprintf(stderr, "usage: VBP_BENCH_KEY=KEY exchange_import ADDR FILE TIMEOUT_S\n");
    return 2;
  }
  Vbp__V1__ImportBatchRequest req = VBP__V1__IMPORT_BATCH_REQUEST__INIT;
  req.ndjson.data = read_whole(argv[2], &req.ndjson.len);

  vbp_rpc_init();
  vbp_client *client = NULL;
  vbp_status st = vbp_client_open(argv[1], NULL, &client);
  if (!vbp_ok(&st)) {
    fprintf(stderr, "%s: %s\n", argv[1], st.message);
    return 1;
  }
  vbp_call_options options = {.timeout_ms = timeout_s * 1000, .bearer_key = key};
  ProtobufCMessage *answer = NULL;
  double started = now_s();
  st = vbp_client_call(client, vbp_method_of(&vbp__v1__catalog_service__descriptor, "ImportBatch"),
                       &req.base, &options, NULL, &answer);
  double seconds = now_s() - started;
  int rc = 0;
  if (!vbp_ok(&st)) {
    fprintf(stderr, "ImportBatch: %s %s (after %.3f s)\n", vbp_code_name(st.code), st.message,
            seconds);
    rc = 1;
  } else {
    const Vbp__V1__ImportBatchResponse *r = (const Vbp__V1__ImportBatchResponse *)answer;
    printf("imported=%d skipped=%d errors=%zu seconds=%.3f\n", r->imported, r->skipped, r->n_errors,
           seconds);
    for (size_t i = 0; i < r->n_errors && i < ERRORS_SHOWN; i++)
      fprintf(stderr, "line %d: %s\n", r->errors[i]->line, r->errors[i]->message);
    rc = r->n_errors ? 1 : 0;
    protobuf_c_message_free_unpacked(answer, NULL);
  }
  vbp_client_close(client);
  vbp_rpc_shutdown();
  free(req.ndjson.data);
  return rc;
}
