#include "common/signals.h"

#include <pthread.h>
#include <signal.h>

#include "common/log.h"

static void stop_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
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
  while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
    vbp_status st = vbp_log_reopen();
    if (vbp_ok(&st))
      vbp_log(VBP_LOG_INFO, "SIGHUP: log file reopened");
    else
      vbp_log(VBP_LOG_ERROR, "SIGHUP: %s", st.message);
  }
  return sig;
}
