#include "common/clock.h"

#include <stddef.h>
#include <time.h>

#include "common/config.h"

/* Written only by vbp_clock_init, which runs before the threads that read them. */
static bool pinned;
static vbp_date pinned_date;
static char pinned_text[VBP_DATE_FORMAT_MAX];

int64_t vbp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vbp_monotonic_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

vbp_status vbp_clock_init(void) {
  /* A stale pin must not survive a refused value: an error leaves the real date. */
  pinned = false;
  const char *text = vbp_env("VBP_TODAY", NULL);
  if (!text) return vbp_status_ok();
  vbp_date date;
  if (!vbp_date_parse(text, &date))
    return vbp_status_field(VBP_INVALID_ARGUMENT, "VBP_TODAY",
                            "must be a real date as YYYY-MM-DD, got \"%s\"", text);
  pinned_date = date;
  vbp_date_format(date, pinned_text);
  pinned = true;
  return vbp_status_ok();
}

vbp_date vbp_today(void) { return pinned ? pinned_date : vbp_date_china_today(time(NULL)); }

bool vbp_clock_pinned(void) { return pinned; }

const char *vbp_clock_pinned_text(void) { return pinned ? pinned_text : NULL; }
