/* What the server and the client of rpc.h share on the wire side: library set-up, messages
 * packed into and out of byte buffers, metadata slices, and the percent-encoding of the error
 * field and reason in trailing metadata. Only common/rpc_*.c include gRPC core (STYLE.md): its C
 * API changes between releases, so everything else talks to rpc.h. The split: rpc_wire.c (this),
 * rpc_server.c, rpc_client.c, and rpc_internal.h for what they share. */
#include "common/rpc_internal.h"

#include <dlfcn.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/log.h>
#include <pthread.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"

/* ---------------------------------------------------------------- library set-up */

static int max_message_bytes = RPC_MAX_MESSAGE_BYTES_DEFAULT;
static pthread_once_t max_message_once = PTHREAD_ONCE_INIT;

static void read_max_message_bytes(void) {
  vbp_status st = vbp_env_int("VBP_RPC_MAX_MESSAGE_BYTES", RPC_MAX_MESSAGE_BYTES_DEFAULT,
                              4 * 1024 * 1024, 2147483647, &max_message_bytes);
  /* Read where no caller can refuse to start: a bad value is said and the default kept. */
  if (!vbp_ok(&st)) {
    vbp_log(VBP_LOG_ERROR, "VBP_RPC_MAX_MESSAGE_BYTES: %s; using %d", st.reason,
            RPC_MAX_MESSAGE_BYTES_DEFAULT);
    max_message_bytes = RPC_MAX_MESSAGE_BYTES_DEFAULT;
  }
}

int rpc_max_message_bytes(void) {
  pthread_once(&max_message_once, read_max_message_bytes);
  return max_message_bytes;
}

static void gpr_log_to_ours(gpr_log_func_args *args) {
  vbp_log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? VBP_LOG_ERROR
                        : args->severity == GPR_LOG_SEVERITY_INFO ? VBP_LOG_INFO
                                                                  : VBP_LOG_DEBUG;
  vbp_log(level, "grpc %s:%d %s", args->file, args->line, args->message);
}

/* Debian builds Abseil without NDEBUG, so every absl::Mutex that gRPC takes also updates a
 * process-wide lock-order graph to detect deadlocks (absl's debug default): measured at about 3%
 * of the gateway's and catalog-svc's CPU, behind a lock every thread contends on. Turned off as
 * a release build of Abseil has it, by absl::SetMutexDeadlockDetectionMode(kIgnore), looked up
 * by its C++ name (Debian's inline namespace, then none) since this is C. An Abseil without
 * either symbol is left as it is. */
static void absl_deadlock_detection_off(void) {
  static const char *const names[] = {
      "_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE",
      "_ZN4absl29SetMutexDeadlockDetectionModeENS_15OnDeadlockCycleE",
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    void *symbol = dlsym(RTLD_DEFAULT, names[i]);
    if (!symbol) continue;
    void (*set_mode)(int);
    memcpy(&set_mode, &symbol, sizeof set_mode); /* ISO C has no object-to-function cast */
    set_mode(0);                                 /* absl::OnDeadlockCycle::kIgnore */
    return;
  }
}

void vbp_rpc_init(void) {
  gpr_set_log_function(gpr_log_to_ours);
  absl_deadlock_detection_off();
  grpc_init();
}

void vbp_rpc_shutdown(void) { grpc_shutdown(); }

/* ---------------------------------------------------------------- byte buffers, metadata */

grpc_byte_buffer *rpc_pack(const ProtobufCMessage *message) {
  size_t len = protobuf_c_message_get_packed_size(message);
  grpc_slice slice = grpc_slice_malloc(len);
  protobuf_c_message_pack(message, GRPC_SLICE_START_PTR(slice));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
  grpc_slice_unref(slice);
  return bb;
}

ProtobufCMessage *rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                             ProtobufCAllocator *allocator) {
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, bb)) {
    grpc_byte_buffer_destroy(bb);
    return NULL;
  }
  grpc_slice slice = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  ProtobufCMessage *m = protobuf_c_message_unpack(desc, allocator, GRPC_SLICE_LENGTH(slice),
                                                  GRPC_SLICE_START_PTR(slice));
  grpc_slice_unref(slice);
  grpc_byte_buffer_destroy(bb);
  return m;
}

bool rpc_slice_is(grpc_slice s, const char *text) {
  size_t n = strlen(text);
  return GRPC_SLICE_LENGTH(s) == n && memcmp(GRPC_SLICE_START_PTR(s), text, n) == 0;
}

const char *rpc_md_find(const grpc_metadata_array *md, const char *key, vbp_arena *arena) {
  for (size_t i = 0; i < md->count; i++)
    if (rpc_slice_is(md->metadata[i].key, key))
      return vbp_arena_strndup(arena, (const char *)GRPC_SLICE_START_PTR(md->metadata[i].value),
                               GRPC_SLICE_LENGTH(md->metadata[i].value));
  return NULL;
}

grpc_slice rpc_static_slice(const char *text) { return grpc_slice_from_static_string(text); }

/* ---------------------------------------------------------------- percent-encoding */

void rpc_percent_encode(const char *in, char *out) {
  static const char digits[] = "0123456789ABCDEF";
  for (; *in; in++) {
    unsigned char ch = (unsigned char)*in;
    if (ch >= 0x20 && ch < 0x7f && ch != '%') {
      *out++ = (char)ch;
    } else {
      *out++ = '%';
      *out++ = digits[ch >> 4];
      *out++ = digits[ch & 15];
    }
  }
  *out = '\0';
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

void rpc_percent_decode(const char *in, size_t len, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < cap; i++) {
    int hi, lo;
    if (in[i] == '%' && i + 2 < len && (hi = hex_value(in[i + 1])) >= 0 &&
        (lo = hex_value(in[i + 2])) >= 0) {
      out[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = in[i];
    }
  }
  out[o] = '\0';
}
