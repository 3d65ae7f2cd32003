/*
 * The PPP session as the files of server/src/ppp/ share it. Private.
 *
 * ppp.c: frames, phases, dispatch, the close path; lcp.c and ipcp.c: the
 * option handlers of the two automata (fsm.c); chap.c: the MS-CHAPv2
 * exchange; mschapv2.c: its arithmetic; eap_tls.c: EAP and the inner TLS;
 * eap_relay.c: EAP passed between the client and the application (RADIUS).
 */
#ifndef P2SGW_PPP_INT_H
#define P2SGW_PPP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ppp/fsm.h"
#include "ppp/ppp.h"

#define PPP_SESSION_MAGIC 0x50505053u /* "PPPS" */

#define PROTO_IP      0x0021
#define PROTO_MP      0x003D
#define PROTO_IPCP    0x8021
#define PROTO_ECP     0x8053
#define PROTO_IPV6CP  0x8057
#define PROTO_CCP     0x80FD
#define PROTO_LCP     0xC021
#define PROTO_PAP     0xC023
#define PROTO_CHAP    0xC223
#define PROTO_EAP     0xC227
#define PROTO_CBCP    0xC029
#define PROTO_BAP     0xC02D
#define PROTO_BACP    0xC02B

#define CHAP_ALG_MSCHAPV2 0x81

/* EAP (RFC 3748): codes and the types both EAP paths handle */
#define EAP_REQUEST  1
#define EAP_RESPONSE 2
#define EAP_SUCCESS  3
#define EAP_FAILURE  4
#define EAP_TYPE_IDENTITY 1
#define EAP_TYPE_NAK      3

#define PPP_MRU_MIN     128
#define PPP_MRU_MAX     4091
#define PPP_MRU_DEFAULT 1500
#define PPP_MAX_FRAME   (4 + 65535)

enum ppp_phase {
	PHASE_DEAD = 0,
	PHASE_ESTABLISH,
	PHASE_AUTHENTICATE,
	PHASE_NETWORK,
	PHASE_TERMINATE,
};

struct lcp_state {
	/* our Configure-Request */
	size_t   auth_idx;      /* index into cfg.auth of what we offer; n_auth = none left */
	int      auth_announced;/* auth_offer event sent for auth_idx */
	uint16_t our_mru;
	int      send_mru, send_magic;
	uint32_t our_magic;
	/* the peer's, as Acked */
	uint16_t peer_mru;
	uint32_t peer_magic;
	uint32_t peer_accm;
	int      peer_pfc, peer_acfc, peer_accm_set;
	char     peer_opts[160];   /* "mru=1400 magic pfc acfc callback(rejected)" */
	char     rejected[96];     /* option names we rejected, for the event */
	char     refused_auth[64]; /* auth methods the client Naked/Rejected */
	unsigned loopbacks;
};

struct ipcp_state {
	int      send_addr;
	uint32_t peer_addr;   /* the client's, once Acked */
	uint32_t dns_acked[2];
	int      naks;
};

struct chap_state {
	int      active;
	int      done;            /* Success sent */
	int      retry_wait;      /* Failure R=1 sent: a new Response may come */
	int      pending;         /* auth_external: waiting for ppp_mschap_result */
	uint8_t  id;
	uint8_t  challenge[16];
	unsigned sent;            /* Challenge transmissions */
	unsigned failures;
	uint64_t deadline;
	uint8_t  last_code;       /* Success or Failure sent for id, to repeat */
	uint8_t  last_msg[96];
	size_t   last_len;
};

struct eap_tls_state;   /* eap_tls.c */
struct eap_relay_state; /* eap_relay.c */

struct ppp_session {
	uint32_t           magic;
	struct ppp_config  cfg;
	struct ppp_hooks   hooks;
	enum ppp_phase     phase;
	enum ppp_auth      auth;       /* negotiated, 0 = none */
	struct fsm         lcp, ipcp;
	struct lcp_state   l;
	struct ipcp_state  i;
	struct chap_state  chap;
	struct eap_tls_state *eap;
	struct eap_relay_state *relay; /* cfg.auth_external and EAP */
	uint64_t           now;
	int                closed;     /* hooks.closed called */
	int                auth_ok;
	enum close_reason  fail_reason;/* set before an LCP close we start */
	char               fail_detail[256];
	char               auth_fail[256]; /* the last authentication failure, "" if none */
	enum close_reason  auth_fail_reason; /* its reason (CR_NONE: CR_PPP_AUTH_FAILED) */
	char               identity[256];
	unsigned           echo_count;
	unsigned           rejected_protos;
};

/* ppp.c */
void ppp_send_proto(struct ppp_session *p, uint16_t proto, const uint8_t *pkt, size_t len);
void ppp_emit(struct ppp_session *p, const char *type, json_t *fields);
/* End the link: LCP Terminate-Request now, closed(reason, detail) once LCP finishes. */
void ppp_fail(struct ppp_session *p, enum close_reason reason, const char *detail);
/* Report closed(reason, detail) now (once). */
void ppp_report_closed(struct ppp_session *p, enum close_reason reason, const char *detail);
/* Authentication ended well: auth_done, then the network phase. */
void ppp_auth_success(struct ppp_session *p, const char *method, const char *identity,
                      const uint8_t hlak[32]);
/* Authentication failed for good: auth_done(0, identity, NULL). */
void ppp_auth_failed(struct ppp_session *p, const char *identity);
const char *ppp_proto_name(uint16_t proto);
size_t ppp_peer_mru(const struct ppp_session *p);
void ppp_random(struct ppp_session *p, uint8_t *out, size_t len);
void ppp_hex(const uint8_t *in, size_t n, char *out); /* upper case, NUL-terminated */
/* printable copy of untrusted bytes for logs: others become '?' */
void ppp_printable(const uint8_t *in, size_t n, char *out, size_t cap);

/* ppp.c: what the automata report */
void ppp_lcp_up(struct ppp_session *p);
void ppp_lcp_down(struct ppp_session *p);
void ppp_lcp_finished(struct ppp_session *p);
void ppp_lcp_peer_term(struct ppp_session *p, const uint8_t *data, size_t len);
void ppp_ipcp_up(struct ppp_session *p);
void ppp_ipcp_finished(struct ppp_session *p);

/* lcp.c / ipcp.c */
extern const struct fsm_ops lcp_ops;
extern const struct fsm_ops ipcp_ops;
void lcp_init(struct ppp_session *p);
void ipcp_init(struct ppp_session *p);
const char *ppp_auth_name(enum ppp_auth a);

/* chap.c */
void chap_start(struct ppp_session *p);
void chap_input(struct ppp_session *p, const uint8_t *pkt, size_t len);
void chap_tick(struct ppp_session *p);
void chap_stop(struct ppp_session *p);

/* eap_tls.c */
void eap_start(struct ppp_session *p);
void eap_input(struct ppp_session *p, const uint8_t *pkt, size_t len);
void eap_tick(struct ppp_session *p);
void eap_stop(struct ppp_session *p);
uint64_t eap_deadline(const struct ppp_session *p);
void eap_free(struct ppp_session *p);

/* eap_relay.c */
void eap_relay_start(struct ppp_session *p);
void eap_relay_input(struct ppp_session *p, const uint8_t *pkt, size_t len);
void eap_relay_tick(struct ppp_session *p);
void eap_relay_stop(struct ppp_session *p);
uint64_t eap_relay_deadline(const struct ppp_session *p);
void eap_relay_free(struct ppp_session *p);

/* mschapv2.c */
const char *mschapv2_strip_domain(const char *user);
void mschapv2_password_hash(const char *password, uint8_t out[16]);
void mschapv2_challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                             const char *user, uint8_t out[8]);
void mschapv2_nt_response_hash(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                               const char *user, const uint8_t pwhash[16], uint8_t out[24]);
void mschapv2_hlak_hash(const uint8_t pwhash[16], const uint8_t nt_response[24],
                        uint8_t hlak[32]);

#endif
