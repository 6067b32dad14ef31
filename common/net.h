/* Addresses from configuration. */
#ifndef VBP_NET_H
#define VBP_NET_H

#include <netinet/in.h>

#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses "a.b.c.d:port" (port 0..65535) into *out; INVALID_ARGUMENT naming what otherwise. */
vbp_status vbp_parse_ipv4_addr(const char *addr, const char *what, struct sockaddr_in *out);

#ifdef __cplusplus
}
#endif
#endif
