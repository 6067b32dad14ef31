/* Errors as API.md gives them: the HTTP status of each gRPC code (google.rpc.Code's mapping) and
 * the body {"code", "message", "details": [{"field", "reason"}]}. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

unsigned gw_http_status(vbp_code code) {
  switch (code) {
    case VBP_OK:
      return 200;
    case VBP_CANCELLED:
      return 499;
    case VBP_INVALID_ARGUMENT:
      return 400;
    case VBP_FAILED_PRECONDITION:
      return 400;
    case VBP_OUT_OF_RANGE:
      return 400;
    case VBP_UNAUTHENTICATED:
      return 401;
    case VBP_PERMISSION_DENIED:
      return 403;
    case VBP_NOT_FOUND:
      return 404;
    case VBP_ALREADY_EXISTS:
      return 409;
    case VBP_ABORTED:
      return 409;
    case VBP_RESOURCE_EXHAUSTED:
      return 429;
    case VBP_UNIMPLEMENTED:
      return 501;
    case VBP_UNAVAILABLE:
      return 503;
    case VBP_DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

void gw_answer(gw_request *r, unsigned status, vbp_code code, char *body, size_t len,
               const char *content_type) {
  free(r->answer);
  r->answer = body;
  r->answer_len = len;
  r->status = status;
  r->code = code;
  r->content_type = content_type;
  r->answered = true;
}

static void answer_json(gw_request *r, unsigned status, vbp_code code, const char *code_name,
                        const char *message, const char *field, const char *reason) {
  json_t *body = json_object();
  json_object_set_new(body, "code", json_string(code_name));
  json_object_set_new(body, "message", json_string(message));
  if (field && *field) {
    json_t *detail = json_object();
    json_object_set_new(detail, "field", json_string(field));
    json_object_set_new(detail, "reason", json_string(reason ? reason : ""));
    json_t *details = json_array();
    json_array_append_new(details, detail);
    json_object_set_new(body, "details", details);
  }
  char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(body);
  if (!text) abort(); /* only on out of memory */
  gw_answer(r, status, code, text, strlen(text), "application/json");
}

void gw_answer_error(gw_request *r, const vbp_status *st) {
  /* jansson wants UTF-8; a message cut at the status buffer's end may split a character. */
  char message[VBP_STATUS_MESSAGE_MAX];
  snprintf(message, sizeof message, "%s", st->message);
  json_t *probe = json_string(message);
  if (!probe) message[0] = '\0';
  json_decref(probe);
  answer_json(r, gw_http_status(st->code), st->code, vbp_code_name(st->code), message, st->field,
              st->reason);
}

vbp_code gw_refusal_code(unsigned status) {
  if (status == 404) return VBP_NOT_FOUND;
  return status >= 500 ? VBP_UNIMPLEMENTED : VBP_INVALID_ARGUMENT;
}

void gw_answer_http_error(gw_request *r, unsigned status, const char *code_name,
                          const char *message) {
  answer_json(r, status, gw_refusal_code(status), code_name, message, NULL, NULL);
}

void gw_answer_refusal(gw_request *r, const gw_refusal *refusal) {
  char message[160];
  snprintf(message, sizeof message, "%s%s%s", refusal->field ? refusal->field : "",
           refusal->field ? " " : "", refusal->reason);
  answer_json(r, refusal->status, gw_refusal_code(refusal->status), refusal->code_name, message,
              refusal->field, refusal->reason);
  r->close = refusal->close;
}
