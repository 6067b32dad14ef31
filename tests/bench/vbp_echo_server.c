/* The bench's echo through our own runtime (common/rpc.h): the same method and bytes as
 * echo_server.c, but dispatched by vbp_server, with the admin bearer key checked, the request
 * unpacked into the call's arena and the answer packed again. Set beside the bare echo, it shows
 * what the runtime itself costs, apart from a service's database work.
 * Usage: vbp_echo_server PORT [WORKERS]; needs VBP_ADMIN_KEY. */
#include <stdio.h>
#include <stdlib.h>

#include "common/auth.h"
#include "common/log.h"
#include "common/rpc.h"
#include "common/signals.h"
#include "vbp/v1/catalog.pb-c.h"

static vbp_status echo(vbp_call *call, const ProtobufCMessage *request,
                       ProtobufCMessage **response) {
  (void)call;
  *response = (ProtobufCMessage *)request; /* it lives in the call's arena until the answer */
  return vbp_status_ok();
}

static const vbp_method methods[] = {{.path = "/bench.Echo/Echo",
                                      .request = &vbp__v1__organization__descriptor,
                                      .response = &vbp__v1__organization__descriptor,
                                      .unary = echo,
                                      .roles = VBP_ALLOW_ANY_CALLER}};

int main(int argc, char **argv) {
  const char *admin_key = getenv("VBP_ADMIN_KEY");
  if (argc < 2 || !admin_key || !*admin_key) {
    fprintf(stderr, "usage: VBP_ADMIN_KEY=... vbp_echo_server PORT [WORKERS]\n");
    return 2;
  }
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%s", argv[1]);
  vbp_log_init("vbp_echo_server", VBP_LOG_WARN);
  vbp_block_stop_signals();
  vbp_rpc_init();
  vbp_authenticator *auth = vbp_authenticator_create(admin_key, "unused", NULL, NULL, 0, 1);
  vbp_server_config config = {.service = "vbp_echo_server",
                              .listen_addr = addr,
                              .workers = argc > 2 ? atoi(argv[2]) : 0,
                              .methods = methods,
                              .n_methods = 1,
                              .auth = auth};
  vbp_server *server = NULL;
  vbp_status st = vbp_server_start(&config, &server);
  if (!vbp_ok(&st)) {
    fprintf(stderr, "vbp_echo_server: %s\n", st.message);
    return 1;
  }
  vbp_wait_stop_signal();
  vbp_server_stop(server, 1000);
  vbp_authenticator_destroy(auth);
  vbp_rpc_shutdown();
  return 0;
}
