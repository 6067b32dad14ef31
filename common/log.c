#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

static const char *service_name = "vbp";
static vbp_log_level min_level = VBP_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void vbp_log_init(const char *service, vbp_log_level level) {
  service_name = service;
  min_level = level;
}

bool vbp_log_level_parse(const char *name, vbp_log_level *out) {
  for (int i = 0; i < 4; i++)
    if (strcmp(name, level_names[i]) == 0) {
      *out = (vbp_log_level)i;
      return true;
    }
  return false;
}

bool vbp_log_enabled(vbp_log_level level) { return level >= min_level; }

/* A line under construction; too long a line is cut, never overflowed. */
typedef struct line {
  char buf[2048];
  size_t len;
} line;

static void put(line *l, const char *s, size_t n) {
  size_t room = sizeof l->buf - 2 - l->len; /* keep room for "}\n" */
  if (n > room) n = room;
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

static void put_str(line *l, const char *s) { put(l, s, strlen(s)); }

/* A JSON string value: quotes, backslashes and control characters escaped; UTF-8 kept. */
static void put_json(line *l, const char *s) {
  put(l, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      put(l, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      put(l, esc, 6);
    } else {
      put(l, (const char *)&c, 1);
    }
  }
  put(l, "\"", 1);
}

static void begin(line *l, vbp_log_level level) {
  int64_t now_ms = vbp_now_ms();
  time_t seconds = (time_t)(now_ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char when[40];
  size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(when + n, sizeof when - n, ".%03dZ", (int)(now_ms % 1000));
  l->len = 0;
  put_str(l, "{\"ts\":\"");
  put_str(l, when);
  put_str(l, "\",\"level\":\"");
  put_str(l, level_names[level]);
  put_str(l, "\",\"service\":");
  put_json(l, service_name);
}

static void finish(line *l) {
  l->buf[l->len++] = '}';
  l->buf[l->len++] = '\n';
  ssize_t ignored = write(STDERR_FILENO, l->buf, l->len);
  (void)ignored;
}

void vbp_log(vbp_log_level level, const char *fmt, ...) {
  if (!vbp_log_enabled(level)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  line l;
  begin(&l, level);
  put_str(&l, ",\"msg\":");
  put_json(&l, msg);
  finish(&l);
}

void vbp_log_call(vbp_log_level level, const char *rpc, const char *request_id,
                  const char *caller, const vbp_status *status, int64_t duration_us) {
  if (!vbp_log_enabled(level)) return;
  line l;
  begin(&l, level);
  put_str(&l, ",\"rpc\":");
  put_json(&l, rpc ? rpc : "");
  put_str(&l, ",\"request_id\":");
  put_json(&l, request_id ? request_id : "");
  if (caller && *caller) {
    put_str(&l, ",\"caller\":");
    put_json(&l, caller);
  }
  put_str(&l, ",\"code\":\"");
  put_str(&l, vbp_code_name(status->code));
  char num[48];
  snprintf(num, sizeof num, "\",\"duration_ms\":%.3f", (double)duration_us / 1000.0);
  put_str(&l, num);
  if (status->code != VBP_OK && status->message[0]) {
    put_str(&l, ",\"msg\":");
    put_json(&l, status->message);
  }
  finish(&l);
}

void vbp_log_http(vbp_log_level level, const char *method, const char *path, const char *route,
                  unsigned status, const char *request_id, const char *caller,
                  int64_t duration_us) {
  if (!vbp_log_enabled(level)) return;
  line l;
  begin(&l, level);
  put_str(&l, ",\"method\":");
  put_json(&l, method);
  put_str(&l, ",\"path\":");
  put_json(&l, path);
  if (route) {
    put_str(&l, ",\"route\":");
    put_json(&l, route);
  }
  char num[64];
  snprintf(num, sizeof num, ",\"status\":%u", status);
  put_str(&l, num);
  put_str(&l, ",\"request_id\":");
  put_json(&l, request_id ? request_id : "");
  if (caller && *caller) {
    put_str(&l, ",\"caller\":");
    put_json(&l, caller);
  }
  snprintf(num, sizeof num, ",\"duration_ms\":%.3f", (double)duration_us / 1000.0);
  put_str(&l, num);
  finish(&l);
}
