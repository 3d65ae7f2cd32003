/*
 * CRL distribution point: plain HTTP (evhttp) serving the CRLs the lab PKI
 * writes, GET /<profile>/<stem>.crl -> STATE/pki/<profile>/<stem>.crl
 * (application/pkix-crl). Anything else is 404. Used by scenarios with
 * revocation.crl: ok or revoked; for offline nothing is started, so the
 * client's fetch is refused (docs/scenarios.md "revocation").
 */
#ifndef P2SGW_CRL_HTTP_H
#define P2SGW_CRL_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct crl_server;

/* Listen on "IPv4:port" (port 0: any; see crl_server_port) and serve the
 * CRLs under state_dir. NULL with err on failure. */
struct crl_server *crl_server_start(struct event_base *base, const char *listen,
                                    const char *state_dir, char *err, size_t errlen);
/* The bound port. */
uint16_t           crl_server_port(const struct crl_server *cs);
/* Stop listening and free; NULL is fine. */
void               crl_server_stop(struct crl_server *cs);

#endif
