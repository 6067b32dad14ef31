#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/utf8.h"

static const char *service_name = "vbp";
static vbp_log_level min_level = VBP_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Access-line sampling: the settings, and how many ordinary lines came so far. */
static atomic_int sample_one_in = 1;
static atomic_llong sample_slow_us;
static atomic_ullong ordinary_lines;

/* The log file's name, set once at start (before other threads), or NULL. */
static char *file_path;

void vbp_log_init(const char *service, vbp_log_level level) {
  service_name = service;
  min_level = level;
  atomic_store(&sample_one_in, 1);
  atomic_store(&sample_slow_us, 0);
  atomic_store(&ordinary_lines, 0);
}

vbp_status vbp_log_reopen(void) {
  if (!file_path) return vbp_status_ok();
  int fd = open(file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return vbp_status_make(VBP_UNAVAILABLE, "cannot open %s: %s", file_path, strerror(errno));
  /* One dup2 each: a write racing with it goes wholly to the old file or wholly to the new.
   * stdout too, which the stack points at the same file: else a rotated file stays open. */
  dup2(fd, STDERR_FILENO);
  dup2(fd, STDOUT_FILENO);
  close(fd);
  return vbp_status_ok();
}

vbp_status vbp_log_start(const char *service, const vbp_log_settings *settings) {
  vbp_log_init(service, settings->level);
  atomic_store(&sample_one_in, settings->sample_one_in);
  atomic_store(&sample_slow_us, (long long)settings->slow_ms * 1000);
  free(file_path);
  file_path = settings->file && *settings->file ? vbp_xstrdup(settings->file) : NULL;
  return vbp_log_reopen();
}

/* Whether a line is written whatever the sampling. */
static bool always(int64_t slow_us, bool notable, int64_t duration_us) {
  return notable || (slow_us > 0 && duration_us >= slow_us);
}

bool vbp_log_sample(int one_in, int64_t slow_us, bool notable, int64_t duration_us,
                    uint64_t ordinal) {
  return always(slow_us, notable, duration_us) || (one_in > 0 && ordinal % (uint64_t)one_in == 0);
}

bool vbp_log_http_notable(unsigned status) {
  return status >= 400 && status != 404 && status != 429;
}

/* Whether to write this access line now; an ordinary one takes its turn in the count. */
static bool sampled(bool notable, int64_t duration_us) {
  int one_in = atomic_load(&sample_one_in);
  int64_t slow_us = atomic_load(&sample_slow_us);
  if (one_in == 1 || always(slow_us, notable, duration_us)) return true;
  /* An ordinary line: only these take a turn, so 1 in N of them is exactly that. */
  return vbp_log_sample(one_in, 0, false, 0, atomic_fetch_add(&ordinary_lines, 1));
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

/* A line under construction. Too long a line is cut, never overflowed, and stays one JSON
 * object: a piece goes in whole or not at all, a string is cut between two characters and still
 * closed, and once something is cut nothing after it goes in (finish closes the object). */
typedef struct line {
  char buf[2048];
  size_t len;
  bool cut;
} line;

/* Whether n more bytes fit, keeping room for the "}\n" that finish appends. */
static bool fits(const line *l, size_t n) { return !l->cut && n <= sizeof l->buf - 2 - l->len; }

static void put(line *l, const char *s, size_t n) {
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

/* Appends text whole (a key, a number), or cuts the line there. */
static void put_raw(line *l, const char *text) {
  size_t n = strlen(text);
  if (fits(l, n))
    put(l, text, n);
  else
    l->cut = true;
}

/* Appends key (`,"name":`) and s as a JSON string: quotes, backslashes and control characters
 * escaped, UTF-8 kept. A byte that does not begin a UTF-8 character (a request's path can hold
 * any) becomes U+FFFD, as in the gateway's JSON, so the line stays JSON; a character cut off at
 * the very end is dropped instead, since that is where s itself was cut at a byte count (a
 * formatted message, a status message). */
static void put_string(line *l, const char *key, const char *s) {
  size_t key_len = strlen(key);
  if (!fits(l, key_len + 2)) { /* the key and "" at least */
    l->cut = true;
    return;
  }
  put(l, key, key_len);
  put(l, "\"", 1);
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  for (size_t i = 0, taken; i < n; i += taken) {
    unsigned char c = p[i];
    char esc[8];
    const char *out = esc;
    size_t len;
    taken = 1;
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      len = 2;
    } else if (c < 0x20) {
      len = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
    } else {
      int k = vbp_utf8_char_length(p + i, n - i);
      if (k < 0) break; /* cut inside its last character */
      if (k == 0) {
        out = "\xEF\xBF\xBD"; /* U+FFFD */
        len = 3;
      } else {
        out = (const char *)p + i;
        len = taken = (size_t)k;
      }
    }
    if (!fits(l, len + 1)) { /* and the closing quote */
      l->cut = true;
      break;
    }
    put(l, out, len);
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
  char head[96];
  snprintf(head, sizeof head, "{\"ts\":\"%s\",\"level\":\"%s\"", when, level_names[level]);
  l->len = 0;
  l->cut = false;
  put_raw(l, head);
  put_string(l, ",\"service\":", service_name);
}

static void finish(line *l) {
  put(l, "}\n", 2);
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
  put_string(&l, ",\"msg\":", msg);
  finish(&l);
}

void vbp_log_call(vbp_log_level level, const char *rpc, const char *request_id, const char *caller,
                  const vbp_status *status, int64_t duration_us) {
  if (!vbp_log_enabled(level) || !sampled(status->code != VBP_OK, duration_us)) return;
  line l;
  begin(&l, level);
  put_string(&l, ",\"rpc\":", rpc ? rpc : "");
  put_string(&l, ",\"request_id\":", request_id ? request_id : "");
  if (caller && *caller) put_string(&l, ",\"caller\":", caller);
  put_string(&l, ",\"code\":", vbp_code_name(status->code));
  char num[48];
  snprintf(num, sizeof num, ",\"duration_ms\":%.3f", (double)duration_us / 1000.0);
  put_raw(&l, num);
  if (status->code != VBP_OK && status->message[0]) put_string(&l, ",\"msg\":", status->message);
  finish(&l);
}

void vbp_log_http(vbp_log_level level, const char *method, const char *path, const char *route,
                  unsigned status, const char *request_id, const char *caller,
                  int64_t duration_us) {
  if (!vbp_log_enabled(level) || !sampled(vbp_log_http_notable(status), duration_us)) return;
  line l;
  begin(&l, level);
  put_string(&l, ",\"method\":", method);
  put_string(&l, ",\"path\":", path);
  if (route) put_string(&l, ",\"route\":", route);
  char num[64];
  snprintf(num, sizeof num, ",\"status\":%u", status);
  put_raw(&l, num);
  put_string(&l, ",\"request_id\":", request_id ? request_id : "");
  if (caller && *caller) put_string(&l, ",\"caller\":", caller);
  snprintf(num, sizeof num, ",\"duration_ms\":%.3f", (double)duration_us / 1000.0);
  put_raw(&l, num);
  finish(&l);
}
