/*
 * CRL distribution point: plain HTTP (evhttp) serving the CRLs the lab PKI
 * writes, GET /<profile>/<stem>.crl -> STATE/pki/<profile>/<stem>.crl
 * (application/pkix-crl), and with AIA on the CA certificates,
 * GET /<profile>/<stem>.crt (application/pkix-cert, DER). Anything else is
 * 404.
 *
 * The address is bound once (port 0: the kernel picks) and kept for the
 * server's life, so the CDP URL written into leaves stays true: online, it
 * listens and serves; offline (revocation.crl: offline, the timeline's
 * crl-offline) the socket stays bound without listening, and the kernel
 * refuses connections, which is what a client sees of a CDP that is down
 * (docs/scenarios.md "revocation").
 */
#ifndef P2SGW_CRL_HTTP_H
#define P2SGW_CRL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct crl_server;

/* Bind "IPv4:port" (offline). NULL with err on failure. */
struct crl_server *crl_server_new(struct event_base *base, const char *listen,
                                  const char *state_dir, char *err, size_t errlen);
/* "IPv4:port" with the real port. "" for NULL. */
const char        *crl_server_address(const struct crl_server *cs);
bool               crl_server_is_online(const struct crl_server *cs);
/* How the distribution point answers while it is up. */
enum crl_serve {
	CRL_SERVE_FILES,     /* the CRLs of the state directory */
	CRL_SERVE_NOT_FOUND, /* 404 for every CRL */
	CRL_SERVE_BLACKHOLE, /* connections complete in the kernel, nothing is ever read */
	CRL_SERVE_STALE,     /* <stem>-stale.crl for each <stem>.crl: nextUpdate passed */
	CRL_SERVE_WRONG_KEY, /* <stem>-wrongkey.crl: not signed by the CA */
};
/* Start serving in that way; 0, or -1 with err. Switching ways is fine. */
int                crl_server_serve(struct crl_server *cs, enum crl_serve how, char *err,
                                    size_t errlen);
/* crl_server_serve(cs, CRL_SERVE_FILES, ...) */
int                crl_server_online(struct crl_server *cs, char *err, size_t errlen);
/* Also answer GET /<profile>/<stem>.crt with that CA's certificate (DER), the
 * target of the leaves' Authority Information Access; off: 404. */
void               crl_server_aia(struct crl_server *cs, bool on);
/* Stop serving, keep the address. NULL and offline already are fine. */
void               crl_server_offline(struct crl_server *cs);
/* Free; NULL is fine. */
void               crl_server_free(struct crl_server *cs);

#endif
