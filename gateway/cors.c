/* CORS (gateway/cors.h): the allowlist, and a request's preflight and headers. */
#include "gateway/cors.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

struct gw_cors {
  bool any;      /* "*" was listed */
  char **origin; /* lower-cased */
  size_t n;
};

void gw_cors_destroy(gw_cors *cors) {
  if (!cors) return;
  for (size_t i = 0; i < cors->n; i++) free(cors->origin[i]);
  free(cors->origin);
  free(cors);
}

/* Whether text (lower-cased) is a serialized http(s) origin: scheme://host[:port]. */
static bool is_origin(const char *text) {
  const char *host = strncmp(text, "https://", 8) == 0  ? text + 8
                     : strncmp(text, "http://", 7) == 0 ? text + 7
                                                        : NULL;
  if (!host || !*host) return false;
  const char *colon = strchr(host, ':');
  size_t host_len = colon ? (size_t)(colon - host) : strlen(host);
  if (host_len == 0 || strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-[]") < host_len)
    return false;
  if (!colon) return true;
  size_t digits = strspn(colon + 1, "0123456789");
  return digits > 0 && digits <= 5 && colon[1 + digits] == '\0';
}

vbp_status gw_cors_create(const char *origins, gw_cors **out) {
  gw_cors *cors = vbp_xcalloc(1, sizeof *cors);
  vbp_status st = vbp_status_ok();
  const char *p = origins ? origins : "", *start;
  size_t len;
  while (gw_list_next(&p, &start, &len)) {
    char *entry = vbp_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++) entry[i] = (char)tolower((unsigned char)start[i]);
    entry[len] = '\0';
    if (strcmp(entry, "*") == 0) {
      cors->any = true;
      free(entry);
      continue;
    }
    if (!is_origin(entry)) {
      st = vbp_status_field(
          VBP_INVALID_ARGUMENT, "VBP_CORS_ORIGINS",
          "VBP_CORS_ORIGINS: %s is not an origin (http or https://host[:port], or *)", entry);
      free(entry);
      break;
    }
    cors->origin = realloc(cors->origin, (cors->n + 1) * sizeof *cors->origin);
    if (!cors->origin) abort();
    cors->origin[cors->n++] = entry;
  }
  if (!vbp_ok(&st)) {
    gw_cors_destroy(cors);
    return st;
  }
  *out = cors;
  return st;
}

const char *gw_cors_allow_origin(const gw_cors *cors, const char *origin) {
  if (!cors || !origin || !*origin) return NULL;
  for (size_t i = 0; i < cors->n; i++)
    if (strcmp(cors->origin[i], origin) == 0) return origin;
  return cors->any ? "*" : NULL;
}

bool gw_cors_varies(const gw_cors *cors) { return cors && cors->n > 0; }

const char *gw_cors_methods(const gw_routes *routes, const char *path, vbp_arena *arena) {
  char list[64] = "";
  size_t len = 0;
  for (int v = 0; v < GW_VERB_COUNT; v++) {
    const gw_route *route = NULL;
    gw_binding bindings[GW_ROUTE_MAX_VARIABLES];
    size_t n = 0;
    const char *verb = gw_verb_name((gw_verb)v);
    if (gw_routes_match(routes, verb, path, arena, &route, bindings, GW_ROUTE_MAX_VARIABLES, &n) !=
        GW_MATCHED)
      continue;
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", verb);
  }
  return len ? vbp_arena_strdup(arena, list) : NULL;
}

bool gw_cors_preflight(gw_request *r) {
  const char *origin = gw_header(r, "Origin");
  if (strcmp(r->method, "OPTIONS") != 0 || !origin ||
      !gw_header(r, "Access-Control-Request-Method"))
    return false;
  if (!gw_cors_allow_origin(r->server->cors, origin)) {
    vbp_status st = vbp_status_make(VBP_PERMISSION_DENIED,
                                    "cross-origin requests from %.200s "
                                    "are not allowed (VBP_CORS_ORIGINS)",
                                    origin);
    gw_answer_error(r, &st);
    return true;
  }
  r->cors_methods = gw_cors_methods(r->server->routes, r->path, r->arena);
  if (!r->cors_methods) {
    gw_answer_http_error(r, 404, "NOT_FOUND", "no such route");
    return true;
  }
  gw_answer(r, 204, VBP_OK, NULL, 0, NULL);
  return true;
}

void gw_cors_headers(gw_request *r, struct MHD_Response *response) {
  const char *allow = gw_cors_allow_origin(r->server->cors, gw_header(r, "Origin"));
  if (!allow) return;
  MHD_add_response_header(response, "Access-Control-Allow-Origin", allow);
  if (r->cors_methods) {
    MHD_add_response_header(response, "Access-Control-Allow-Methods", r->cors_methods);
    MHD_add_response_header(response, "Access-Control-Allow-Headers", GW_CORS_ALLOW_HEADERS);
    MHD_add_response_header(response, "Access-Control-Max-Age", GW_CORS_MAX_AGE);
  } else {
    MHD_add_response_header(response, "Access-Control-Expose-Headers", GW_CORS_EXPOSE_HEADERS);
  }
}
