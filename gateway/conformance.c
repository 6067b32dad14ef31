#include "gateway/conformance.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static gw_refusal refuse(unsigned status, const char *code_name, const char *field,
                         const char *reason, bool close) {
  gw_refusal out = {.status = status, .code_name = code_name, .field = field, .close = close};
  snprintf(out.reason, sizeof out.reason, "%s", reason);
  return out;
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* The next element of a comma-separated list (RFC 9110 §5.6.1) at *p, without the whitespace
 * around it, as [*start, *start + *len); advances *p past its comma. False at the list's end.
 * Empty elements ("a,,b") are skipped, as the RFC asks. */
static bool next_element(const char **p, const char **start, size_t *len) {
  for (;;) {
    while (is_ows(**p) || **p == ',') (*p)++;
    if (!**p) return false;
    const char *s = *p;
    while (**p && **p != ',') (*p)++;
    const char *e = *p;
    while (e > s && is_ows(e[-1])) e--;
    if (e > s) {
      *start = s;
      *len = (size_t)(e - s);
      return true;
    }
  }
}

static bool equals_nocase(const char *text, size_t len, const char *word) {
  return strlen(word) == len && strncasecmp(text, word, len) == 0;
}

/* Transfer-Encoding and Content-Length: how the body ends. */
static gw_refusal check_framing(const gw_head *head) {
  const char *length = NULL;
  bool lengths_differ = false, has_coding = false, other_coding = false;
  int chunked = 0;
  for (size_t i = 0; i < head->n_fields; i++) {
    const gw_field *f = &head->fields[i];
    if (strcasecmp(f->name, "Content-Length") == 0) {
      if (length && strcmp(length, f->value) != 0) lengths_differ = true;
      length = f->value;
    } else if (strcasecmp(f->name, "Transfer-Encoding") == 0) {
      has_coding = true;
      const char *p = f->value, *coding;
      size_t len;
      while (next_element(&p, &coding, &len)) {
        size_t name_len = strcspn(coding, "; \t");
        if (name_len > len) name_len = len;
        if (equals_nocase(coding, name_len, "chunked"))
          chunked++;
        else
          other_coding = true;
      }
    }
  }
  /* libmicrohttpd takes the first Content-Length, or ignores it for Transfer-Encoding; whoever
   * in front of the gateway took another would read a second request out of this body. */
  if (has_coding && length)
    return refuse(400, "INVALID_ARGUMENT", "Transfer-Encoding", "must not come with Content-Length",
                  true);
  if (has_coding && head->http_1_0)
    return refuse(400, "INVALID_ARGUMENT", "Transfer-Encoding", "is not HTTP/1.0", true);
  if (other_coding)
    return refuse(501, "UNIMPLEMENTED", "Transfer-Encoding",
                  "names a coding other than chunked, the only one this server decodes", true);
  if (has_coding && chunked != 1)
    return refuse(400, "INVALID_ARGUMENT", "Transfer-Encoding", "must name chunked once", true);
  if (lengths_differ)
    return refuse(400, "INVALID_ARGUMENT", "Content-Length",
                  "is given more than once with different values", true);
  return (gw_refusal){0};
}

gw_refusal gw_check_head(const gw_head *head) {
  gw_refusal framing = check_framing(head);
  if (framing.status) return framing;
  if (head->target_len > GW_MAX_TARGET_BYTES)
    return refuse(414, "URI_TOO_LONG", NULL, "the request target is longer than this server takes",
                  false);
  if (head->head_len > GW_MAX_HEAD_BYTES)
    return refuse(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", NULL,
                  "the header fields are larger than this server takes", false);
  int hosts = 0;
  for (size_t i = 0; i < head->n_fields; i++)
    hosts += strcasecmp(head->fields[i].name, "Host") == 0;
  if (hosts > 1) return refuse(400, "INVALID_ARGUMENT", "Host", "must be given once", false);
  if (hosts == 0 && !head->http_1_0)
    return refuse(400, "INVALID_ARGUMENT", "Host", "is required in HTTP/1.1", false);
  return (gw_refusal){0};
}

/* Whether the parameter [p, p + len) ("charset=utf-8", "charset=\"UTF-8\"") is fine: anything
 * but a charset other than UTF-8, the only one JSON has (RFC 8259 §8.1). */
static bool parameter_fine(const char *p, size_t len) {
  const char *eq = memchr(p, '=', len);
  if (!eq) return true;
  size_t name_len = (size_t)(eq - p);
  while (name_len > 0 && is_ows(p[name_len - 1])) name_len--;
  if (!equals_nocase(p, name_len, "charset")) return true;
  const char *value = eq + 1, *end = p + len;
  while (value < end && is_ows(*value)) value++;
  if (end - value >= 2 && *value == '"' && end[-1] == '"') {
    value++;
    end--;
  }
  return equals_nocase(value, (size_t)(end - value), "utf-8");
}

gw_refusal gw_check_media_type(const char *content_type, const char *media_type) {
  gw_refusal out = refuse(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type", "", false);
  snprintf(out.reason, sizeof out.reason, "must be %s", media_type);
  if (!content_type) return out;
  const char *p = content_type;
  while (is_ows(*p)) p++;
  size_t len = strcspn(p, ";");
  size_t type_len = len;
  while (type_len > 0 && is_ows(p[type_len - 1])) type_len--;
  if (!equals_nocase(p, type_len, media_type)) return out;
  for (p += len; *p == ';';) {
    p++;
    len = strcspn(p, ";");
    while (len > 0 && is_ows(*p)) {
      p++;
      len--;
    }
    size_t param_len = len;
    while (param_len > 0 && is_ows(p[param_len - 1])) param_len--;
    if (!parameter_fine(p, param_len)) {
      snprintf(out.reason, sizeof out.reason, "must be %s, in UTF-8", media_type);
      return out;
    }
    p += len;
  }
  return (gw_refusal){0};
}
