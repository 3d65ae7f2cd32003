#include "util/reason.h"

#include <stddef.h>

static const struct reason_info reasons[CR__COUNT] = {
	[CR_NONE] = { "none", "no reason recorded", NULL },
	[CR_CLIENT_CLOSED] = { "client_closed", "the client closed the TCP connection", NULL },
	[CR_CLIENT_RESET] = { "client_reset", "the client reset the TCP connection", NULL },
	[CR_CLIENT_CLOSE_NOTIFY] = { "client_close_notify",
	    "the client ended the TLS session with close_notify", NULL },
	[CR_CLIENT_ALERT] = { "client_alert",
	    "the client aborted the TLS handshake with a fatal alert",
	    "client-side certificate or TLS error (the alert names which)" },
	[CR_HANDSHAKE_TIMEOUT] = { "handshake_timeout",
	    "the TLS handshake did not finish within the handshake timeout",
	    "809 ERROR_VPN_TIMEOUT" },
	[CR_IDLE_TIMEOUT] = { "idle_timeout", "the client sent nothing within the idle timeout",
	    NULL },
	[CR_REFUSED_VERSION] = { "refused_version",
	    "the ClientHello offers no TLS version the policy accepts",
	    "depends on the refusal action: reset -> 0x80072746 (-2147014842, WSAECONNRESET); "
	    "alert protocol_version -> 0x80090302 SEC_E_UNSUPPORTED_FUNCTION" },
	[CR_REFUSED_CIPHER] = { "refused_cipher",
	    "the ClientHello offers no cipher suite the policy accepts",
	    "depends on the refusal action: reset -> 0x80072746 (WSAECONNRESET); "
	    "alert handshake_failure -> 0x80090326 SEC_E_ILLEGAL_MESSAGE" },
	[CR_REFUSED_MALFORMED] = { "refused_malformed",
	    "the first bytes are not a well-formed TLS ClientHello", NULL },
	[CR_REFUSED_SSLV2] = { "refused_sslv2",
	    "SSLv2-format ClientHello: the TLS engine (mbedTLS 2.28) cannot answer it",
	    "0x80072746 (WSAECONNRESET) with the default reset action" },
	[CR_REFUSED_CAPACITY] = { "refused_capacity",
	    "the gateway is at its connection limit", "0x80072746 (WSAECONNRESET)" },
	[CR_TLS_HANDSHAKE_FAILED] = { "tls_handshake_failed",
	    "the TLS handshake failed in the TLS engine", "0x80090326 SEC_E_ILLEGAL_MESSAGE" },
	[CR_TLS_ERROR] = { "tls_error", "TLS error after the handshake", NULL },
	[CR_HTTP_DONE] = { "http_done", "answered a plain HTTPS request and closed", NULL },
	[CR_HTTP_BAD_REQUEST] = { "http_bad_request",
	    "the HTTP request was unreadable or too large", NULL },
	[CR_HTTP_NOT_SSTP] = { "http_not_sstp",
	    "a plain HTTPS request (not SSTP) was answered and the connection closed", NULL },
	[CR_SSTP_NEGOTIATION_TIMEOUT] = { "sstp_negotiation_timeout",
	    "the SSTP call was not set up within the negotiation timeout",
	    "the client's tunnel drops after about 60 s (sstpc: MPPE keys or CALL_CONNECTED missing)" },
	[CR_SSTP_CRYPTO_BINDING] = { "sstp_crypto_binding",
	    "CALL_CONNECTED failed crypto-binding verification",
	    "RasSstp event 6: connection terminated because of a security check failure" },
	[CR_SSTP_PROTOCOL] = { "sstp_protocol_error",
	    "malformed or unexpected SSTP message; the call was aborted", NULL },
	[CR_SSTP_CLIENT_ABORT] = { "sstp_client_abort", "the client aborted the SSTP call", NULL },
	[CR_SSTP_CLIENT_DISCONNECT] = { "sstp_client_disconnect",
	    "the client disconnected the SSTP call", NULL },
	[CR_SSTP_SERVER_DISCONNECT] = { "sstp_server_disconnect",
	    "the gateway disconnected the SSTP call", NULL },
	[CR_SSTP_HELLO_TIMEOUT] = { "sstp_hello_timeout",
	    "the client did not answer the SSTP echo request", NULL },
	[CR_SSTP_SESSION_LIMIT] = { "sstp_session_limit",
	    "the gateway's concurrent SSTP session limit is reached",
	    "0x800704C9 (no SSTP ports available)" },
	[CR_PPP_AUTH_FAILED] = { "ppp_auth_failed", "PPP authentication failed",
	    "691 ERROR_AUTHENTICATION_FAILURE" },
	[CR_PPP_CERT_REJECTED] = { "ppp_cert_rejected",
	    "the EAP-TLS client certificate was refused", "853 / 0x80090325 (client certificate not trusted)" },
	[CR_PPP_NEGOTIATION_FAILED] = { "ppp_negotiation_failed",
	    "PPP option negotiation did not converge", "812 or 720 (no PPP control protocols configured)" },
	[CR_PPP_TERMINATED] = { "ppp_terminated", "the client ended PPP (LCP Terminate-Request)", NULL },
	[CR_PPP_POOL_EXHAUSTED] = { "ppp_pool_exhausted", "no address left in the client address pool",
	    "720 or 733 (no address)" },
	[CR_FAULT_INJECTED] = { "fault_injected",
	    "refused by a fault injected through the control API (POST /faults)",
	    "depends on the fault's action: reset -> 0x80072746 (WSAECONNRESET)" },
	[CR_SHUTDOWN] = { "server_shutdown", "the gateway is shutting down", NULL },
	[CR_INTERNAL] = { "internal_error", "internal error in the gateway", NULL },
};

const struct reason_info *
reason_info(enum close_reason r)
{
	if ((unsigned)r >= CR__COUNT)
		r = CR_NONE;
	return &reasons[r];
}
