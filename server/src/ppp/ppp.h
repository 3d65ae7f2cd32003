/*
 * PPP server side over SSTP, sans-I/O: LCP and IPCP on one RFC 1661
 * option-negotiation automaton, MS-CHAPv2 (RFC 2759) and EAP-TLS
 * (RFC 5216, an inner mbedTLS server fed by EAP fragments), MPPE master
 * keys (RFC 3079) for the SSTP HLAK, and IPv4 packets in and out.
 *
 * Frames are raw PPP frames as carried in SSTP data packets (address and
 * control bytes FF 03 optional on input, always sent on output; protocol
 * field compressed or not on input, never on output).
 */
#ifndef P2SGW_PPP_H
#define P2SGW_PPP_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "util/emit.h"
#include "util/reason.h"

enum ppp_auth { PPP_AUTH_MSCHAPV2 = 1, PPP_AUTH_EAP_TLS = 2 };

struct ppp_user {
	const char *name;     /* compared case-insensitively, without a DOMAIN\ prefix */
	const char *password;
};

struct ppp_eap_tls {
	const mbedtls_ssl_config *conf; /* inner TLS server: gateway cert, VERIFY_REQUIRED, client roots as CA chain */
	const uint8_t (*revoked)[20];   /* SHA-1 thumbprints of revoked client certificates */
	size_t n_revoked;
};

struct ppp_config {
	enum ppp_auth   auth[2];         /* offered in this order (Nak -> next) */
	size_t          n_auth;
	const struct ppp_user *users;    /* for MS-CHAPv2 */
	size_t          n_users;
	unsigned        auth_retries;    /* MS-CHAPv2 failures before the link ends (Windows: 3) */
	const struct ppp_eap_tls *eap_tls;
	uint16_t        mru;             /* ours, e.g. 1400 */
	uint32_t        restart_ms;      /* RFC 1661 restart timer, 3000 */
	unsigned        max_configure;   /* 10 */
	unsigned        max_failure;     /* 5 */
	uint32_t        gateway_ip;      /* host order: our IPCP address */
	uint32_t        client_ip;       /* host order: the address assigned to the client */
	uint32_t        dns[2];          /* host order, 0 = none */
	char            auth_name[32];   /* CHAP authenticator name */
	int             auth_external;   /* the application decides (RADIUS): MS-CHAPv2
	                                  * through hooks.mschap_verify, EAP relayed
	                                  * through hooks.eap_relay (eap_tls unused) */
};

struct ppp_hooks {
	void *ctx;
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* authentication finished: ok, the identity, and the HLAK to give SSTP
	 * (32 bytes, or NULL for none). For MS-CHAPv2 the HLAK is
	 * MasterReceiveKey || MasterSendKey (server view, RFC 3079). */
	void (*auth_done)(void *ctx, int ok, const char *identity, const uint8_t *hlak);
	/* IPCP opened: the client has its address */
	void (*network_up)(void *ctx, uint32_t client_ip);
	/* an IPv4 packet from the client */
	void (*ip_packet)(void *ctx, const uint8_t *pkt, size_t len);
	void (*random)(void *ctx, uint8_t *out, size_t len);
	/* PPP ended (LCP closed, auth failure, negotiation failure). Once. */
	void (*closed)(void *ctx, enum close_reason reason, const char *detail);
	/* auth_external: check an MS-CHAPv2 Response to our 16-byte challenge:
	 * response is its 49-byte value (peer challenge 16, reserved 8,
	 * NT-Response 24, flags 1), name the user name as sent. Answer later,
	 * once, with ppp_mschap_result. */
	void (*mschap_verify)(void *ctx, uint8_t ident, const uint8_t challenge[16],
	                      const uint8_t response[49], const char *name);
	/* auth_external, EAP: an EAP-Response from the client (the whole EAP
	 * packet, code to the end of its Length), the first one the Identity.
	 * Answer later, once, with ppp_eap_relay (the server's next Request) or
	 * ppp_eap_relay_result (the end). */
	void (*eap_relay)(void *ctx, const uint8_t *eap, size_t len);
	struct emitter events;
};

struct ppp_session; /* opaque */

struct ppp_session *ppp_new(const struct ppp_config *cfg, const struct ppp_hooks *hooks);
void ppp_free(struct ppp_session *p);

void     ppp_lower_up(struct ppp_session *p, uint64_t now);     /* start LCP */
void     ppp_input(struct ppp_session *p, const uint8_t *frame, size_t len, uint64_t now);
int      ppp_send_ip(struct ppp_session *p, const uint8_t *pkt, size_t len); /* -1 if IPCP not open */
uint64_t ppp_next_deadline(const struct ppp_session *p);         /* 0: none */
void     ppp_tick(struct ppp_session *p, uint64_t now);
void     ppp_terminate(struct ppp_session *p, const char *why, uint64_t now); /* LCP Terminate-Request */

/* The answer to hooks.mschap_verify. ok: auth_response is the
 * authenticator response "S=<40 hex>" and hlak MasterReceiveKey ||
 * MasterSendKey (32 bytes); else code is the E= value to send (0: 691) and
 * why the words for the event. Ignored when nothing is pending. */
void ppp_mschap_result(struct ppp_session *p, int ok, const char *auth_response,
                       const uint8_t hlak[32], unsigned code, const char *why, uint64_t now);

/* The answers to hooks.eap_relay. ppp_eap_relay: the server's next
 * EAP-Request, passed to the client (its id is the one the next Response
 * must carry; sent again on the restart timer). ppp_eap_relay_result: the
 * end; ok: the server's EAP-Success (NULL: one is made) and the HLAK (32
 * bytes, required); !ok: its EAP-Failure (NULL: one is made) and why in
 * plain words (e.g. the server's Reply-Message). Ignored when nothing is
 * pending. */
void ppp_eap_relay(struct ppp_session *p, const uint8_t *eap, size_t len, uint64_t now);
void ppp_eap_relay_result(struct ppp_session *p, int ok, const uint8_t *eap, size_t len,
                          const uint8_t hlak[32], const char *why, uint64_t now);

/* Why PPP is failing or failed, for a client that hangs up before PPP has
 * finished saying so: a gateway-side failure in progress (auth, certificate,
 * negotiation), else the last authentication failure; CR_NONE if none. */
enum close_reason ppp_failure(const struct ppp_session *p, const char **detail);

/* Exposed for unit tests with the RFC 2759 / 3079 vectors. */
void mschapv2_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                          const char *user, const char *password, uint8_t out[24]);
void mschapv2_authenticator_response(const char *password, const uint8_t nt_response[24],
                                     const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                                     const char *user, char out[43] /* "S=" + 40 hex */);
void mschapv2_hlak(const char *password, const uint8_t nt_response[24], uint8_t hlak[32]);

#endif
