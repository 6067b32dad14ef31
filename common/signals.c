#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

static void stop_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
}

void vbp_block_stop_signals(void) {
  sigset_t set;
  stop_signals(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int vbp_wait_stop_signal(void) {
  sigset_t set;
  stop_signals(&set);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}
