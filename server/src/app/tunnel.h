/*
 * The tunnel of one connection: glue between its SSTP session, its PPP
 * session, the client address pool and the network behind the gateway.
 * Owned by the connection; all I/O goes through conn_write()/conn_end().
 */
#ifndef P2SGW_TUNNEL_H
#define P2SGW_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "util/reason.h"

struct conn;
struct tunnel;

/* refuse_why non-NULL: answer the SSTP request with 503 (session limit). */
struct tunnel *tunnel_new(struct conn *c, uint64_t now, const char *refuse_why);
void           tunnel_free(struct tunnel *t);
/* The network faults changed: see which match, and when they act. */
void           tunnel_faults_changed(struct tunnel *t, uint64_t now);
void           tunnel_input(struct tunnel *t, const uint8_t *buf, size_t len, uint64_t now);
uint64_t       tunnel_next_deadline(const struct tunnel *t); /* 0: none */
void           tunnel_tick(struct tunnel *t, uint64_t now);
/* TCP/TLS is gone: no more output; the tunnel reports its end. */
void           tunnel_lower_down(struct tunnel *t, enum close_reason reason, const char *detail);
/* End the call from the gateway (shutdown, API). */
void           tunnel_disconnect(struct tunnel *t, enum close_reason reason,
                                 const char *detail, uint64_t now);

/* End the call with SSTP CALL_ABORT (control API). */
void           tunnel_abort(struct tunnel *t, enum close_reason reason, const char *detail,
                            uint64_t now);
/* For status pages: SSTP state name, the authenticated identity ("" before
 * authentication) and the client's address (0 until IPCP is up). */
void           tunnel_info(const struct tunnel *t, const char **sstp_state,
                           const char **identity, uint32_t *client_addr);

/* An IPv4 packet for this tunnel's client (from the TUN backend). */
void           tunnel_deliver_ip(struct tunnel *t, const uint8_t *pkt, size_t len, uint64_t now);

#endif
