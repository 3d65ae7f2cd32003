/*
 * p2s.h - internal header of the p2s_client test oracle (tests/tools only).
 *
 * One blocking connection: TCP -> TLS -> HTTP -> SSTP -> PPP -> IPv4.
 * p2s_conn.c   transport, HTTP, SSTP framing, PPP dispatch, LCP/IPCP answers
 * p2s_auth.c   MS-CHAPv2 and EAP-TLS
 * p2s_ip.c     ping, UDP echo, DNS through the tunnel
 * p2s_client.c command line and the step sequence
 */
#ifndef P2S_H
#define P2S_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

/* Exit codes (the contract with the integration tests). */
#define EX_OK     0
#define EX_OTHER  1
#define EX_TLS    2
#define EX_AUTH   3
#define EX_ABORT  4
#define EX_CHECK  5

#define STEP_MS   10000         /* every step times out after 10 s */

#define PPP_LCP    0xC021
#define PPP_PAP    0xC023
#define PPP_CHAP   0xC223
#define PPP_EAP    0xC227
#define PPP_IPCP   0x8021
#define PPP_IP     0x0021

#define SSTP_MAX_PKT 4095
#define MAX_CHECKS   16

enum auth_kind { AUTH_NONE = 0, AUTH_MSCHAPV2, AUTH_EAPTLS };

struct opts {
	const char *host;
	const char *port;
	const char *servername;
	const char *ca;
	const char *user;
	const char *password;
	const char *cert;
	const char *key;
	const char *identity;
	enum auth_kind auth;
	int hash;               /* 0 auto, P2S_HASH_SHA1, P2S_HASH_SHA256 */
	const char *ping[MAX_CHECKS];
	int nping;
	const char *dns[MAX_CHECKS];
	int ndns;
	const char *udp[MAX_CHECKS];
	int nudp;
	int bad_binding;        /* 0, 'n', 'c', 'm' */
	int hlak16;
	int hold;
	int no_call_connected;
	int tls_minor;          /* 0 = library range, else 1..3 */
	int eap_tls_minor;      /* EAP-TLS inner TLS: 0 = 1.0..1.2, else only 1..3 */
};

struct frame {
	uint16_t proto;
	size_t len;
	uint8_t data[SSTP_MAX_PKT];
};

#define PENDING_MAX 8

struct cli {
	const struct opts *o;
	int rc;                 /* exit code once something failed */

	/* transport */
	mbedtls_net_context net;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt ca;
	uint8_t rbuf[2 * 4096 + 4096];
	size_t rlen;
	int closed;

	/* SSTP */
	uint8_t nonce[32];
	uint8_t bitmask;
	int hash_proto;
	uint8_t cert_hash[32];

	/* LCP */
	uint8_t lcp_id;
	uint32_t magic;
	uint16_t our_mru;
	int lcp_send_mru, lcp_send_magic;
	int lcp_our_acked;
	int lcp_peer_acked;
	uint16_t peer_mru;
	enum auth_kind peer_auth;       /* auth in the server's acked ConfReq */
	int lcp_terminated;
	unsigned lcp_echo_answered;
	unsigned sstp_echo_answered;

	/* authentication result */
	uint8_t hlak[32];

	/* IPCP */
	uint8_t ipcp_id;
	int ipcp_send_dns;
	int ipcp_our_acked;
	int ipcp_peer_acked;
	uint8_t our_ip[4];
	uint8_t dns_ip[4];
	uint8_t peer_ip[4];
	int peer_ip_known;

	/* frames kept for a later step (auth frames seen during LCP) */
	struct frame pending[PENDING_MAX];
	int npending;
};

/* log.c-like helpers: one machine-greppable line on stdout per step */
void out(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));
void diag(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));
int64_t now_ms(void);
int fail(struct cli *c, int code, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

/* p2s_conn.c */
int conn_open(struct cli *c);
int conn_http(struct cli *c);
int sstp_attr(const uint8_t *pkt, size_t len, uint8_t id, const uint8_t **val,
              size_t *vlen);
int sstp_connect(struct cli *c);
int sstp_send_ctrl(struct cli *c, const uint8_t *pkt, size_t len);
int sstp_call_connected(struct cli *c);
int sstp_disconnect(struct cli *c);
int ppp_send(struct cli *c, uint16_t proto, const uint8_t *payload, size_t len);
int ppp_next_frame(struct cli *c, int64_t deadline, struct frame *f);
void ppp_stash(struct cli *c, const struct frame *f);
int lcp_negotiate(struct cli *c);
int ipcp_negotiate(struct cli *c);
int hold_session(struct cli *c, int seconds);
void conn_close(struct cli *c);
void rng_bytes(struct cli *c, uint8_t *p, size_t n);

/* p2s_auth.c */
int auth_mschapv2(struct cli *c);
int auth_eaptls(struct cli *c);

/* p2s_ip.c */
int ip_ping(struct cli *c, const char *addr);
int ip_udp_echo(struct cli *c, const char *addr);
int ip_dns(struct cli *c, const char *spec);

#endif
