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
