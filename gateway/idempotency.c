#include "gateway/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/identity.h"
#include "common/log.h"

/* The Redis key: the caller and the SHA-256 of the client's key, so any key text is safe. */
static void redis_key(const char *caller, const char *key, char *out, size_t cap) {
  char sha[65];
  vbp_sha256_hex(key, strlen(key), sha);
  snprintf(out, cap, "vbp:idem:%s:%s", caller, sha);
}

void gw_idem_fingerprint(const char *rpc_path, const ProtobufCMessage *request, char out[65]) {
  size_t path_len = strlen(rpc_path);
  size_t n = path_len + 1 + protobuf_c_message_get_packed_size(request);
  uint8_t *text = vbp_xmalloc(n);
  memcpy(text, rpc_path, path_len);
  text[path_len] = '\n';
  protobuf_c_message_pack(request, text + path_len + 1);
  vbp_sha256_hex(text, n, out);
  free(text);
}

/* The answer while Redis fails: st (which says where Redis is) goes to the log, not to the
 * client. */
static vbp_status redis_down(const vbp_status *st) {
  vbp_log(VBP_LOG_WARN, "Idempotency-Key: %s", st->message);
  return vbp_status_make(VBP_UNAVAILABLE,
                         "Idempotency-Key cannot be honoured now: Redis is "
                         "unavailable");
}

/* Values: "P<fingerprint>" while the first attempt runs; "D<fingerprint><status 3 digits><body>"
 * once it answered. */
#define FP_LEN 64

vbp_status gw_idem_begin(vbp_redis *redis, const char *caller, const char *key,
                         const char *fingerprint, gw_idem *out, unsigned *status, char **body,
                         size_t *len) {
  size_t n = strlen(key);
  if (n == 0 || n > GW_IDEMPOTENCY_KEY_MAX)
    return vbp_invalid("Idempotency-Key", "must be 1 to %d characters", GW_IDEMPOTENCY_KEY_MAX);
  for (size_t i = 0; i < n; i++)
    if (key[i] < 0x21 || key[i] > 0x7e)
      return vbp_invalid("Idempotency-Key", "must be printable ASCII without spaces");
  char rkey[200];
  redis_key(caller, key, rkey, sizeof rkey);
  char pending[1 + FP_LEN + 1];
  snprintf(pending, sizeof pending, "P%s", fingerprint);
  bool created = false;
  vbp_status st =
      vbp_redis_set_nx(redis, rkey, pending, strlen(pending), GW_IDEMPOTENCY_TTL_S, &created);
  if (!vbp_ok(&st)) return redis_down(&st);
  if (created) {
    *out = GW_IDEM_PROCEED;
    return st;
  }
  char *value = NULL;
  size_t value_len = 0;
  st = vbp_redis_get(redis, rkey, &value, &value_len);
  if (!vbp_ok(&st)) return redis_down(&st);
  if (!value) /* expired or forgotten between the two commands: the caller may retry */
    return vbp_status_make(VBP_ABORTED,
                           "the request with this Idempotency-Key changed state; "
                           "retry");
  bool same = value_len >= 1 + FP_LEN && memcmp(value + 1, fingerprint, FP_LEN) == 0;
  if (!same) {
    free(value);
    return vbp_status_field(VBP_ALREADY_EXISTS, "Idempotency-Key", "was used for another request");
  }
  if (value[0] == 'P') {
    free(value);
    return vbp_status_make(VBP_ABORTED,
                           "the first request with this Idempotency-Key is still "
                           "running; retry");
  }
  if (value[0] != 'D' || value_len < 1 + FP_LEN + 3) {
    free(value);
    return vbp_status_make(VBP_INTERNAL, "a stored answer is unreadable");
  }
  *status = (unsigned)((value[1 + FP_LEN] - '0') * 100 + (value[2 + FP_LEN] - '0') * 10 +
                       (value[3 + FP_LEN] - '0'));
  *len = value_len - (4 + FP_LEN);
  *body = vbp_xmalloc(*len + 1);
  memcpy(*body, value + 4 + FP_LEN, *len);
  (*body)[*len] = '\0';
  free(value);
  *out = GW_IDEM_REPLAY;
  return st;
}

void gw_idem_finish(vbp_redis *redis, const char *caller, const char *key, const char *fingerprint,
                    unsigned status, const char *body, size_t len) {
  char rkey[200];
  redis_key(caller, key, rkey, sizeof rkey);
  bool final = status < 500 && status != 429;
  if (!final) {
    vbp_redis_del(redis, rkey);
    return;
  }
  char *value = vbp_xmalloc(4 + FP_LEN + len);
  value[0] = 'D';
  memcpy(value + 1, fingerprint, FP_LEN);
  char digits[4];
  snprintf(digits, sizeof digits, "%03u", status % 1000);
  memcpy(value + 1 + FP_LEN, digits, 3);
  memcpy(value + 4 + FP_LEN, body, len);
  /* If this fails the key stays pending until it expires: retries are refused, never re-run. */
  vbp_redis_set(redis, rkey, value, 4 + FP_LEN + len, GW_IDEMPOTENCY_TTL_S);
  free(value);
}
