/* Whole-number arguments of the bench programs (rpc_bench's flags, echo_server's PORT and
 * WORKERS). Header-only, so echo_server still links gRPC core alone. */
#ifndef VBP_BENCH_ARGS_H
#define VBP_BENCH_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* text as a decimal integer from lo to hi. Anything else (empty, trailing characters, out of
 * range) is a usage error: "<program>: <what> must be an integer from lo to hi, got "text"" on
 * stderr, and the process exits with status 2. */
static inline int bench_parse_int(const char *program, const char *what, const char *text, int lo,
                                  int hi) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < lo || v > hi) {
    fprintf(stderr, "%s: %s must be an integer from %d to %d, got \"%s\"\n", program, what, lo, hi,
            text);
    exit(2);
  }
  return (int)v;
}

#endif
