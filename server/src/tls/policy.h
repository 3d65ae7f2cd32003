/*
 * The ClientHello gate: decides, before mbedTLS sees a byte, whether a
 * client is accepted and, if not, how it is refused. Pure: the policy it
 * reads (struct tls_gate) is built by the configuration layer
 * (config/snapshot.c) from a scenario and the served key.
 */
#ifndef P2SGW_POLICY_H
#define P2SGW_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "tls/clienthello.h"
#include "util/reason.h"

#define TLS_MAX_SUITES 96

/* What the gate does with a client it refuses. */
enum tls_refuse_kind {
	TLS_REFUSE_RESET = 0, /* TCP RST (SO_LINGER 0): Windows sees 0x80072746 */
	TLS_REFUSE_FIN,       /* orderly close, no alert */
	TLS_REFUSE_STALL,     /* keep the connection, never answer, close at stall timeout */
	TLS_REFUSE_ALERT,     /* fatal TLS alert (code below), then close */
};

/* For TLS_REFUSE_ALERT: the alert the RFCs name for each refusal
 * (configured as a bare "alert"); policy_gate resolves it. close_notify is
 * never a refusal, so 0 is free for this. */
#define TLS_ALERT_PER_RFC 0

struct tls_refusal {
	enum tls_refuse_kind kind;
	uint8_t              alert; /* for TLS_REFUSE_ALERT, or TLS_ALERT_PER_RFC */
};

/* The largest ClientHello message the TLS engine reads: mbedTLS 2.28 takes
 * it from one record of at most MBEDTLS_SSL_IN_CONTENT_LEN bytes and does
 * not reassemble it; tls/hello_reasm.h re-frames up to this size. */
#define TLS_ENGINE_MAX_HELLO 16384

struct policy_suite {
	uint16_t id;
	uint8_t  min_minor, max_minor;
	uint8_t  ecdhe;   /* needs a shared curve */
};

/* What the gate decides by. */
struct tls_gate {
	uint8_t                      min_minor, max_minor; /* 3.x of TLS 1.x */
	const mbedtls_ecp_group_id  *curves;  /* MBEDTLS_ECP_DP_NONE-terminated */
	struct policy_suite          usable[TLS_MAX_SUITES]; /* suites usable with the served key */
	size_t                       n_usable;
	struct tls_refusal           refuse_malformed, refuse_version, refuse_cipher,
	                             refuse_too_large;
};

enum gate_verdict { GATE_ACCEPT, GATE_REFUSE };

struct gate_result {
	enum gate_verdict  verdict;
	enum close_reason  reason;     /* for GATE_REFUSE */
	struct tls_refusal action;     /* for GATE_REFUSE */
	uint16_t           version;    /* version mbedTLS will negotiate, for GATE_ACCEPT */
	char               why[2048];  /* plain words, for the event log: every suite the
	                                  policy allows fits */
};

/* Decide on a parsed (or unparseable) first flight. */
void policy_gate(const struct tls_gate *pol, enum ch_status st,
                 const struct ch_info *ch, struct gate_result *out);

/* "reset", "fin", "stall", "alert:protocol_version", "alert" (per RFC) */
const char *refusal_name(const struct tls_refusal *r, char *buf, size_t len);
/* What a Windows client reports for this refusal action. */
const char *refusal_client_error(const struct tls_refusal *r);

/* Can a server whose key is EC (ec 1) or RSA (ec 0) run this suite's key
 * exchange? */
int tls_suite_fits_key(const mbedtls_ssl_ciphersuite_t *cs, int ec);

#endif
