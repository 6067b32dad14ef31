/* The stop signals of a long-running binary. gRPC core and libmicrohttpd start threads of their
 * own, and any of them could otherwise receive SIGTERM: main blocks the signals before starting
 * anything, so every thread inherits the mask, and then waits for one of them itself. */
#ifndef VBP_SIGNALS_H
#define VBP_SIGNALS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and ignores SIGPIPE (a peer that hung up
 * is an error on the write, not a reason to exit). Call in main before starting any thread. */
void vbp_block_stop_signals(void);

/* Waits until SIGINT or SIGTERM arrives (blocked by vbp_block_stop_signals) and returns it. A
 * SIGHUP meanwhile reopens the log file (log.h's vbp_log_reopen: logrotate's signal) and the
 * wait goes on. */
int vbp_wait_stop_signal(void);

#ifdef __cplusplus
}
#endif
#endif
