/* gRPC server reflection (grpc.reflection.v1 and v1alpha, ServerReflectionInfo) answered from a
 * serialized FileDescriptorSet: by default the one the build emits from api/ (vbp.pb, with its
 * imports), embedded in every binary. Every server answers it (rpc_server.c runs the stream and
 * asks this module for one answer per request), so grpcurl, Postman or grpcui list a server's
 * services and call its methods with no .proto files. No I/O and no gRPC here.
 *
 * Answers, as gRPC's own C++ server gives them:
 * - list_services: the services the server serves (its method table's, health, reflection).
 * - file_by_filename, file_containing_symbol (package-qualified services, methods, messages,
 *   fields, oneofs, enums, enum values, extensions; nested ones too), file_containing_extension:
 *   the file's FileDescriptorProto bytes as the set holds them, then those of its transitive
 *   dependencies, each once, on every answer (clients that open one stream per request need
 *   them all).
 * - all_extension_numbers_of_type: the numbers extending a known message type (maybe none).
 * - Anything unknown: error_response NOT_FOUND; no request kind set: UNIMPLEMENTED. */
#ifndef VBP_REFLECTION_H
#define VBP_REFLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/status.h"
#include "grpc/reflection/v1/reflection.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vbp_reflection vbp_reflection;

/* Indexes set (len bytes of a serialized FileDescriptorSet; borrowed: it must outlive the
 * index). services are the full names list_services answers ("vbp.v1.PricingService"), in that
 * order, copied. INVALID_ARGUMENT when set is not a FileDescriptorSet. */
vbp_status vbp_reflection_create(const uint8_t *set, size_t len, const char *const *services,
                                 size_t n_services, vbp_reflection **out);
void vbp_reflection_destroy(vbp_reflection *reflection);

/* The answer to request, built in arena (it points into request and into the set). v1alpha's
 * messages are v1's field for field: the same answer serves both. Thread-safe. */
Grpc__Reflection__V1__ServerReflectionResponse *vbp_reflection_answer(
    const vbp_reflection *reflection, const Grpc__Reflection__V1__ServerReflectionRequest *request,
    vbp_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
