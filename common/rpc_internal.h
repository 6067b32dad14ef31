/* Private to common/rpc_*.c, the only files that include gRPC core: what the server
 * (rpc_server.c) and the client (rpc_client.c) share, defined in rpc_wire.c unless said otherwise.
 * Nothing outside common/rpc_*.c may include this header; everyone else talks to rpc.h. Its names
 * carry rpc_ rather than vbp_ because they are not part of libvbp's interface. */
#ifndef VBP_RPC_INTERNAL_H
#define VBP_RPC_INTERNAL_H

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/rpc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Both directions: the server's receive limit and the client's send limit are the same size,
 * 72 MiB (imports may carry 64 MiB of NDJSON), or VBP_RPC_MAX_MESSAGE_BYTES (4 MiB to 2 GiB - 1)
 * for a stack that takes larger exchange files over gRPC (docs/exchange.md "How large"). Read
 * from the environment once. */
#define RPC_MAX_MESSAGE_BYTES_DEFAULT (72 * 1024 * 1024)
int rpc_max_message_bytes(void);
#define RPC_REQUEST_ID_MAX 64

/* grpc.health.v1.Health/Check: registered by every server (defined in rpc_server.c, where its
 * handler lives) and called by vbp_client_health with the same descriptors. */
extern const vbp_method rpc_health_method;

/* message packed into a new byte buffer; the caller destroys it (or gRPC consumes it). */
grpc_byte_buffer *rpc_pack(const ProtobufCMessage *message);

/* Unpacks and destroys bb; NULL when the bytes are not a valid message. */
ProtobufCMessage *rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                             ProtobufCAllocator *allocator);

/* True when slice s holds exactly the bytes of text. */
bool rpc_slice_is(grpc_slice s, const char *text);

/* A slice borrowing text, which must outlive every use of the slice (no copy, no unref). */
grpc_slice rpc_static_slice(const char *text);

/* The value of key in md copied into arena, or NULL. */
const char *rpc_md_find(const grpc_metadata_array *md, const char *key, vbp_arena *arena);

/* Metadata values must be printable ASCII: like grpc-message, anything else (a reason quoting
 * 干扰素) and '%' itself travel as %XX of their UTF-8 bytes. out holds 3 * strlen(in) + 1. */
void rpc_percent_encode(const char *in, char *out);

/* Decodes len bytes of percent-encoded text into out (cap bytes, NUL-terminated, cut short
 * when it does not fit); a '%' not followed by two hex digits is kept as it is. */
void rpc_percent_decode(const char *in, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
