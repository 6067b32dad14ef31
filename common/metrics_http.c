/* GET /metrics over HTTP for Prometheus, served by libmicrohttpd on its own thread. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/metrics.h"
#include "common/net.h"

struct vbp_metrics_http {
  struct MHD_Daemon *daemon;
  vbp_metrics *metrics;
  int port;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state) {
  (void)version;
  (void)upload;
  (void)upload_size;
  (void)state;
  vbp_metrics_http *h = cls;
  struct MHD_Response *r;
  unsigned int status;
  if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
    static const char missing[] = "not found\n";
    r = MHD_create_response_from_buffer(sizeof missing - 1, (void *)missing,
                                        MHD_RESPMEM_PERSISTENT);
    status = MHD_HTTP_NOT_FOUND;
  } else {
    char *body = vbp_metrics_render(h->metrics);
    r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    status = MHD_HTTP_OK;
  }
  enum MHD_Result ret = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return ret;
}

vbp_status vbp_metrics_http_start(vbp_metrics *metrics, const char *addr, vbp_metrics_http **out) {
  struct sockaddr_in sin;
  vbp_status st = vbp_parse_ipv4_addr(addr, "metrics address", &sin);
  if (!vbp_ok(&st)) return st;
  vbp_metrics_http *h = vbp_xcalloc(1, sizeof *h);
  h->metrics = metrics;
  h->daemon =
      MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, answer, h,
                       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
  if (!h->daemon) {
    free(h);
    return vbp_status_make(VBP_UNAVAILABLE, "cannot listen on metrics address %s", addr);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
  h->port = info ? info->port : 0;
  *out = h;
  return vbp_status_ok();
}

int vbp_metrics_http_port(const vbp_metrics_http *h) { return h->port; }

void vbp_metrics_http_stop(vbp_metrics_http *h) {
  if (!h) return;
  MHD_stop_daemon(h->daemon);
  free(h);
}
