#include "common/net.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

vbp_status vbp_parse_ipv4_addr(const char *addr, const char *what, struct sockaddr_in *out) {
  const char *colon = addr ? strrchr(addr, ':') : NULL;
  char host[64];
  if (!colon || (size_t)(colon - addr) >= sizeof host)
    return vbp_status_field(VBP_INVALID_ARGUMENT, what, "must be host:port, got \"%s\"",
                            addr ? addr : "");
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (!colon[1] || *end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sin.sin_addr) != 1)
    return vbp_status_field(VBP_INVALID_ARGUMENT, what, "must be an IPv4 host:port, got \"%s\"",
                            addr);
  *out = sin;
  return vbp_status_ok();
}
