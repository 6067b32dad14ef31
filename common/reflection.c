#include "common/reflection.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"

typedef struct file_entry {
  const char *name;
  ProtobufCBinaryData bytes; /* the FileDescriptorProto exactly as the set holds it */
  size_t *deps;              /* indexes of its direct dependencies in the set */
  size_t n_deps;
} file_entry;

typedef struct symbol_entry {
  const char *name; /* "vbp.v1.PricingService.GetPrice" */
  size_t file;
  bool is_message; /* a message type: what extensions may extend */
} symbol_entry;

typedef struct extension_entry {
  const char *extendee; /* "google.protobuf.MethodOptions", no leading dot */
  int32_t number;
  size_t file;
} extension_entry;

struct vbp_reflection {
  vbp_arena *arena; /* everything below */
  file_entry *files;
  size_t n_files;
  symbol_entry *symbols; /* sorted by name */
  size_t n_symbols, cap_symbols;
  extension_entry *extensions;
  size_t n_extensions, cap_extensions;
  const char **services;
  size_t n_services;
};

/* ---------------------------------------------------------------- building the index */

static const char *or_empty(const char *s) { return s ? s : ""; }

static const char *qualify(vbp_arena *arena, const char *scope, const char *name) {
  return *scope ? vbp_arena_printf(arena, "%s.%s", scope, or_empty(name))
                : vbp_arena_strdup(arena, or_empty(name));
}

static void add_symbol(vbp_reflection *r, const char *name, size_t file, bool is_message) {
  if (r->n_symbols == r->cap_symbols) {
    r->cap_symbols = r->cap_symbols ? 2 * r->cap_symbols : 256;
    symbol_entry *bigger = vbp_arena_alloc(r->arena, r->cap_symbols * sizeof *bigger);
    if (r->n_symbols) memcpy(bigger, r->symbols, r->n_symbols * sizeof *bigger);
    r->symbols = bigger;
  }
  r->symbols[r->n_symbols++] = (symbol_entry){.name = name, .file = file, .is_message = is_message};
}

static void add_extension(vbp_reflection *r, const Google__Protobuf__FieldDescriptorProto *f,
                          const char *scope, size_t file) {
  add_symbol(r, qualify(r->arena, scope, f->name), file, false);
  if (r->n_extensions == r->cap_extensions) {
    r->cap_extensions = r->cap_extensions ? 2 * r->cap_extensions : 16;
    extension_entry *bigger = vbp_arena_alloc(r->arena, r->cap_extensions * sizeof *bigger);
    if (r->n_extensions) memcpy(bigger, r->extensions, r->n_extensions * sizeof *bigger);
    r->extensions = bigger;
  }
  const char *extendee = or_empty(f->extendee);
  if (*extendee == '.') extendee++; /* protoc writes type names fully qualified, with a dot */
  r->extensions[r->n_extensions++] =
      (extension_entry){.extendee = extendee, .number = f->number, .file = file};
}

/* An enum's values live in the scope that holds the enum (protobuf's scoping rule), so
 * vbp.v1.Foo.BAR is a value of the enum vbp.v1.Foo.Kind as well. */
static void add_enum(vbp_reflection *r, const Google__Protobuf__EnumDescriptorProto *e,
                     const char *scope, size_t file) {
  add_symbol(r, qualify(r->arena, scope, e->name), file, false);
  for (size_t v = 0; v < e->n_value; v++)
    add_symbol(r, qualify(r->arena, scope, e->value[v]->name), file, false);
}

static void add_message(vbp_reflection *r, const Google__Protobuf__DescriptorProto *m,
                        const char *scope, size_t file) {
  const char *name = qualify(r->arena, scope, m->name);
  add_symbol(r, name, file, true);
  for (size_t i = 0; i < m->n_field; i++)
    add_symbol(r, qualify(r->arena, name, m->field[i]->name), file, false);
  for (size_t i = 0; i < m->n_oneof_decl; i++)
    add_symbol(r, qualify(r->arena, name, m->oneof_decl[i]->name), file, false);
  for (size_t i = 0; i < m->n_nested_type; i++) add_message(r, m->nested_type[i], name, file);
  for (size_t i = 0; i < m->n_enum_type; i++) add_enum(r, m->enum_type[i], name, file);
  for (size_t i = 0; i < m->n_extension; i++) add_extension(r, m->extension[i], name, file);
}

static void add_file(vbp_reflection *r, const Google__Protobuf__FileDescriptorProto *f,
                     size_t file) {
  const char *scope = or_empty(f->package);
  for (size_t i = 0; i < f->n_message_type; i++) add_message(r, f->message_type[i], scope, file);
  for (size_t i = 0; i < f->n_enum_type; i++) add_enum(r, f->enum_type[i], scope, file);
  for (size_t i = 0; i < f->n_extension; i++) add_extension(r, f->extension[i], scope, file);
  for (size_t i = 0; i < f->n_service; i++) {
    const Google__Protobuf__ServiceDescriptorProto *s = f->service[i];
    const char *name = qualify(r->arena, scope, s->name);
    add_symbol(r, name, file, false);
    for (size_t k = 0; k < s->n_method; k++)
      add_symbol(r, qualify(r->arena, name, s->method[k]->name), file, false);
  }
}

/* Reads a base-128 varint at *p (before end); false when it runs past end or past 64 bits. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* The bytes of each FileDescriptorSet.file (field 1) as they are, so an answer carries what protoc
 * wrote (options and all) rather than what protobuf-c would pack again. Two passes: count, then
 * fill (files NULL). false when set is not well-formed protobuf. */
static bool split_files(const uint8_t *set, size_t len, ProtobufCBinaryData *files, size_t *n) {
  *n = 0;
  if (len == 0) return true;
  const uint8_t *p = set, *end = set + len;
  while (p < end) {
    uint64_t key, size;
    if (!read_varint(&p, end, &key) || (key & 7) != 2 || !read_varint(&p, end, &size) ||
        size > (uint64_t)(end - p))
      return false;
    if (key >> 3 == 1) {
      if (files) files[*n] = (ProtobufCBinaryData){.len = (size_t)size, .data = (uint8_t *)p};
      (*n)++;
    }
    p += size;
  }
  return true;
}

static int compare_symbols(const void *a, const void *b) {
  return strcmp(((const symbol_entry *)a)->name, ((const symbol_entry *)b)->name);
}

vbp_status vbp_reflection_create(const uint8_t *set, size_t len, const char *const *services,
                                 size_t n_services, vbp_reflection **out) {
  size_t n_files = 0;
  if (!split_files(set, len, NULL, &n_files))
    return vbp_status_make(VBP_INVALID_ARGUMENT, "the descriptor set is not a FileDescriptorSet");
  vbp_reflection *r = vbp_xcalloc(1, sizeof *r);
  r->arena = vbp_arena_create();
  ProtobufCBinaryData *bytes = vbp_arena_alloc(r->arena, (n_files ? n_files : 1) * sizeof *bytes);
  split_files(set, len, bytes, &n_files);
  r->files = vbp_arena_alloc(r->arena, (n_files ? n_files : 1) * sizeof *r->files);
  r->n_files = n_files;
  ProtobufCAllocator allocator = vbp_arena_allocator(r->arena);
  Google__Protobuf__FileDescriptorProto **protos =
      vbp_arena_alloc(r->arena, (n_files ? n_files : 1) * sizeof *protos);
  for (size_t i = 0; i < n_files; i++) {
    protos[i] =
        google__protobuf__file_descriptor_proto__unpack(&allocator, bytes[i].len, bytes[i].data);
    if (!protos[i]) {
      vbp_reflection_destroy(r);
      return vbp_status_make(VBP_INVALID_ARGUMENT, "file %zu of the descriptor set is unreadable",
                             i);
    }
    r->files[i].name = or_empty(protos[i]->name);
    r->files[i].bytes = bytes[i];
    add_file(r, protos[i], i);
  }
  /* Dependencies by index; --include_imports put every one in the set. */
  for (size_t i = 0; i < n_files; i++) {
    r->files[i].deps = vbp_arena_alloc(r->arena, (protos[i]->n_dependency + 1) * sizeof(size_t));
    for (size_t d = 0; d < protos[i]->n_dependency; d++)
      for (size_t k = 0; k < n_files; k++)
        if (strcmp(r->files[k].name, or_empty(protos[i]->dependency[d])) == 0) {
          r->files[i].deps[r->files[i].n_deps++] = k;
          break;
        }
  }
  if (r->n_symbols) qsort(r->symbols, r->n_symbols, sizeof *r->symbols, compare_symbols);
  r->services = vbp_arena_alloc(r->arena, (n_services ? n_services : 1) * sizeof *r->services);
  for (size_t i = 0; i < n_services; i++) r->services[i] = vbp_arena_strdup(r->arena, services[i]);
  r->n_services = n_services;
  *out = r;
  return vbp_status_ok();
}

void vbp_reflection_destroy(vbp_reflection *reflection) {
  if (!reflection) return;
  vbp_arena_destroy(reflection->arena);
  free(reflection);
}

/* ---------------------------------------------------------------- answering */

static const symbol_entry *find_symbol(const vbp_reflection *r, const char *name) {
  symbol_entry key = {.name = name};
  return r->n_symbols ? bsearch(&key, r->symbols, r->n_symbols, sizeof key, compare_symbols) : NULL;
}

static void collect(const vbp_reflection *r, size_t file, bool *seen, size_t *order, size_t *n) {
  if (seen[file]) return;
  seen[file] = true;
  order[(*n)++] = file;
  for (size_t d = 0; d < r->files[file].n_deps; d++)
    collect(r, r->files[file].deps[d], seen, order, n);
}

/* file first (clients read the first as the one they asked for), then its transitive
 * dependencies depth first, each once. */
static void answer_file(const vbp_reflection *r, size_t file, vbp_arena *arena,
                        Grpc__Reflection__V1__ServerReflectionResponse *out) {
  bool *seen = vbp_arena_alloc(arena, r->n_files * sizeof *seen);
  size_t *order = vbp_arena_alloc(arena, r->n_files * sizeof *order);
  size_t n = 0;
  collect(r, file, seen, order, &n);
  Grpc__Reflection__V1__FileDescriptorResponse *files = vbp_arena_alloc(arena, sizeof *files);
  grpc__reflection__v1__file_descriptor_response__init(files);
  files->file_descriptor_proto = vbp_arena_alloc(arena, n * sizeof(ProtobufCBinaryData));
  for (size_t i = 0; i < n; i++) files->file_descriptor_proto[i] = r->files[order[i]].bytes;
  files->n_file_descriptor_proto = n;
  out->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
  out->file_descriptor_response = files;
}

static void answer_error(vbp_arena *arena, vbp_code code, const char *message,
                         Grpc__Reflection__V1__ServerReflectionResponse *out) {
  Grpc__Reflection__V1__ErrorResponse *e = vbp_arena_alloc(arena, sizeof *e);
  grpc__reflection__v1__error_response__init(e);
  e->error_code = (int32_t)code;
  e->error_message = (char *)message;
  out->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
  out->error_response = e;
}

static void answer_services(const vbp_reflection *r, vbp_arena *arena,
                            Grpc__Reflection__V1__ServerReflectionResponse *out) {
  Grpc__Reflection__V1__ListServiceResponse *list = vbp_arena_alloc(arena, sizeof *list);
  grpc__reflection__v1__list_service_response__init(list);
  list->service = vbp_arena_alloc(arena, (r->n_services + 1) * sizeof *list->service);
  for (size_t i = 0; i < r->n_services; i++) {
    Grpc__Reflection__V1__ServiceResponse *s = vbp_arena_alloc(arena, sizeof *s);
    grpc__reflection__v1__service_response__init(s);
    s->name = (char *)r->services[i];
    list->service[list->n_service++] = s;
  }
  out->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
  out->list_services_response = list;
}

static void answer_extension_numbers(const vbp_reflection *r, const char *type, vbp_arena *arena,
                                     Grpc__Reflection__V1__ServerReflectionResponse *out) {
  const symbol_entry *s = find_symbol(r, type);
  if (!s || !s->is_message) {
    answer_error(arena, VBP_NOT_FOUND, vbp_arena_printf(arena, "no message type %s", type), out);
    return;
  }
  Grpc__Reflection__V1__ExtensionNumberResponse *numbers = vbp_arena_alloc(arena, sizeof *numbers);
  grpc__reflection__v1__extension_number_response__init(numbers);
  numbers->base_type_name = (char *)s->name;
  numbers->extension_number =
      vbp_arena_alloc(arena, (r->n_extensions + 1) * sizeof *numbers->extension_number);
  for (size_t i = 0; i < r->n_extensions; i++)
    if (strcmp(r->extensions[i].extendee, type) == 0)
      numbers->extension_number[numbers->n_extension_number++] = r->extensions[i].number;
  out->message_response_case =
      GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
  out->all_extension_numbers_response = numbers;
}

Grpc__Reflection__V1__ServerReflectionResponse *vbp_reflection_answer(
    const vbp_reflection *r, const Grpc__Reflection__V1__ServerReflectionRequest *request,
    vbp_arena *arena) {
  Grpc__Reflection__V1__ServerReflectionResponse *out = vbp_arena_alloc(arena, sizeof *out);
  grpc__reflection__v1__server_reflection_response__init(out);
  out->valid_host = request->host;
  out->original_request = (Grpc__Reflection__V1__ServerReflectionRequest *)request;
  switch (request->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
      answer_services(r, arena, out);
      break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME: {
      const char *name = or_empty(request->file_by_filename);
      for (size_t i = 0; i < r->n_files; i++)
        if (strcmp(r->files[i].name, name) == 0) {
          answer_file(r, i, arena, out);
          return out;
        }
      answer_error(arena, VBP_NOT_FOUND, vbp_arena_printf(arena, "no file %s", name), out);
      break;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL: {
      const char *name = or_empty(request->file_containing_symbol);
      if (*name == '.') name++; /* a type name as descriptors spell it */
      const symbol_entry *s = find_symbol(r, name);
      if (s)
        answer_file(r, s->file, arena, out);
      else
        answer_error(arena, VBP_NOT_FOUND, vbp_arena_printf(arena, "no symbol %s", name), out);
      break;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION: {
      const Grpc__Reflection__V1__ExtensionRequest *ext = request->file_containing_extension;
      const char *type = ext ? or_empty(ext->containing_type) : "";
      int32_t number = ext ? ext->extension_number : 0;
      const symbol_entry *s = find_symbol(r, type);
      if (!s || !s->is_message) {
        answer_error(arena, VBP_NOT_FOUND, vbp_arena_printf(arena, "no message type %s", type),
                     out);
        break;
      }
      for (size_t i = 0; i < r->n_extensions; i++)
        if (r->extensions[i].number == number && strcmp(r->extensions[i].extendee, type) == 0) {
          answer_file(r, r->extensions[i].file, arena, out);
          return out;
        }
      answer_error(arena, VBP_NOT_FOUND,
                   vbp_arena_printf(arena, "no extension %d of %s", (int)number, type), out);
      break;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
      answer_extension_numbers(r, or_empty(request->all_extension_numbers_of_type), arena, out);
      break;
    default:
      answer_error(arena, VBP_UNIMPLEMENTED, "the request asks nothing this server knows", out);
      break;
  }
  return out;
}
