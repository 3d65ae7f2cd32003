/*
 * Why a connection ended: one enum for the whole gateway. It is also the
 * error catalogue: each reason says in plain words what happened and what a
 * Windows SSTP client would report (docs/errors.md is generated from the
 * same facts).
 */
#ifndef P2SGW_REASON_H
#define P2SGW_REASON_H

enum close_reason {
	CR_NONE = 0,
	CR_CLIENT_CLOSED,        /* TCP FIN from the client */
	CR_CLIENT_RESET,         /* TCP RST from the client */
	CR_CLIENT_CLOSE_NOTIFY,  /* TLS close_notify from the client */
	CR_CLIENT_ALERT,         /* fatal TLS alert from the client */
	CR_HANDSHAKE_TIMEOUT,    /* TLS not done within handshake_timeout */
	CR_IDLE_TIMEOUT,         /* nothing from the client for idle_timeout */
	CR_REFUSED_VERSION,      /* ClientHello gate: no acceptable version */
	CR_REFUSED_CIPHER,       /* ClientHello gate: no suite in common */
	CR_REFUSED_MALFORMED,    /* ClientHello gate: not TLS or malformed */
	CR_REFUSED_SSLV2,        /* ClientHello gate: SSLv2-format hello */
	CR_REFUSED_TOO_LARGE,    /* ClientHello gate: larger than the TLS engine reads */
	CR_REFUSED_CAPACITY,     /* max_connections reached */
	CR_REFUSED_PER_ADDRESS,  /* max_per_address reached for the client's address */
	CR_HALF_OPEN_EVICTED,    /* oldest unfinished handshake closed to make room */
	CR_TLS_HANDSHAKE_FAILED, /* mbedTLS refused the handshake */
	CR_TLS_ERROR,            /* TLS error after the handshake */
	CR_HTTP_DONE,            /* answered a plain HTTPS request */
	CR_HTTP_BAD_REQUEST,     /* HTTP request unreadable or too large */
	CR_HTTP_NOT_SSTP,        /* a plain HTTPS request (browser) was answered */
	CR_SSTP_NEGOTIATION_TIMEOUT, /* no CONNECT_REQUEST / CALL_CONNECTED in time */
	CR_SSTP_CRYPTO_BINDING,  /* CALL_CONNECTED failed verification */
	CR_SSTP_PROTOCOL,        /* malformed or unexpected SSTP message: aborted */
	CR_SSTP_CLIENT_ABORT,    /* the client sent CALL_ABORT */
	CR_SSTP_CLIENT_DISCONNECT, /* the client ended the call (CALL_DISCONNECT) */
	CR_SSTP_SERVER_DISCONNECT, /* the gateway ended the call (API, shutdown) */
	CR_SSTP_HELLO_TIMEOUT,   /* no answer to ECHO_REQUEST */
	CR_SSTP_SESSION_LIMIT,   /* the SKU's concurrent SSTP session limit */
	CR_PPP_AUTH_FAILED,      /* MS-CHAPv2 failure (E=691) or EAP failure */
	CR_PPP_CERT_REJECTED,    /* EAP-TLS client certificate refused */
	CR_PPP_NEGOTIATION_FAILED, /* LCP/IPCP did not converge */
	CR_PPP_TERMINATED,       /* the client sent LCP Terminate-Request */
	CR_PPP_POOL_EXHAUSTED,   /* no address left in the client pool */
	CR_FAULT_INJECTED,       /* refused or ended by a control API fault (POST /faults) */
	CR_SHUTDOWN,             /* gateway stopping */
	CR_INTERNAL,             /* our bug or resource exhaustion */
	CR__COUNT
};

struct reason_info {
	const char *name;         /* stable identifier used in events and metrics */
	const char *text;         /* plain words */
	const char *client_error; /* what a Windows SSTP client reports, or NULL */
};

const struct reason_info *reason_info(enum close_reason r);

#endif
