/* Text forms of addresses for logs, events and the control API. */
#ifndef P2SGW_ADDR_H
#define P2SGW_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

/* A host-order IPv4 address as a dotted quad ("10.0.0.1"). */
void ip4_format(uint32_t host_order_addr, char buf[16]);

/* "1.2.3.4:443", "[::1]:443", or "?" for another family. */
void sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Split "ADDR:PORT" / "[v6]:PORT" (numeric) into a sockaddr. 0, or -1 with err. */
int addr_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                        char *err, size_t errlen);

#endif
