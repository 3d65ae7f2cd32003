#include "tls/policy.h"

#include <stdio.h>
#include <string.h>

#include "tls/tls_names.h"

/* ---- the gate ---------------------------------------------------------- */

static uint16_t
wire_version(int minor)
{
	return (uint16_t)(0x0300 | minor);
}

/* Append "NAME, NAME, ... (+N more)" of up to max suites to buf. */
static void
list_suites(char *buf, size_t len, const uint16_t *ids, size_t n, size_t max)
{
	size_t shown = 0, off = strlen(buf);

	for (size_t i = 0; i < n && off < len; i++) {
		if (ch_is_grease(ids[i]))
			continue;
		if (shown == max) {
			size_t rest = 0;
			for (size_t j = i; j < n; j++)
				rest += !ch_is_grease(ids[j]);
			snprintf(buf + off, len - off, " (+%zu more)", rest);
			return;
		}
		const char *name = tls_suite_name(ids[i]);
		int w = name ? snprintf(buf + off, len - off, "%s%s", shown ? ", " : "", name)
		             : snprintf(buf + off, len - off, "%s0x%04x", shown ? ", " : "", ids[i]);
		if (w < 0)
			return;
		off += (size_t)w;
		shown++;
	}
}

/*
 * A curve for ECDHE. Without supported_groups RFC 8422 4 lets the server
 * pick any curve, but mbedTLS 2.28 then refuses every ECDHE suite ("no
 * common elliptic curve"); the gate says what the engine will do.
 */
static int
client_has_group(const struct ch_info *ch, const mbedtls_ecp_group_id *curves)
{
	if (ch->n_groups == 0)
		return 0;
	for (size_t i = 0; i < ch->n_groups; i++) {
		const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_tls_id(ch->groups[i]);
		if (ci == NULL)
			continue;
		for (const mbedtls_ecp_group_id *g = curves; *g != MBEDTLS_ECP_DP_NONE; g++)
			if (*g == ci->grp_id)
				return 1;
	}
	return 0;
}

/* Highest version both sides accept, or 0. */
static uint16_t
negotiate_version(const struct tls_gate *pol, const struct ch_info *ch)
{
	uint16_t lo = wire_version(pol->min_minor), hi = wire_version(pol->max_minor), best = 0;

	if (ch->n_versions > 0) {
		for (size_t i = 0; i < ch->n_versions; i++) {
			uint16_t v = ch->versions[i];
			if (v >= lo && v <= hi && v > best)
				best = v;
		}
		return best;
	}
	best = ch->legacy_version < hi ? ch->legacy_version : hi;
	return best >= lo ? best : 0;
}

/* The alert the RFCs name for a refusal (the bare "alert" action). */
static uint8_t
rfc_alert(enum close_reason reason, enum ch_status st, const struct ch_info *ch)
{
	switch (reason) {
	case CR_REFUSED_VERSION:
		return 70;  /* protocol_version (RFC 5246 E.1) */
	case CR_REFUSED_CIPHER:
	case CR_REFUSED_SSLV2:
		return 40;  /* handshake_failure (RFC 5246 7.4.1.3) */
	case CR_REFUSED_TOO_LARGE:
		return 80;  /* internal_error: the limit is ours, not the client's fault */
	default:
		if (st == CH_MALFORMED && ch->alert != 0)
			return ch->alert;
		return st == CH_NOT_TLS ? CH_ALERT_UNEXPECTED_MESSAGE : CH_ALERT_DECODE_ERROR;
	}
}

static void
refuse(struct gate_result *out, enum close_reason reason, const struct tls_refusal *action,
    enum ch_status st, const struct ch_info *ch)
{
	out->verdict = GATE_REFUSE;
	out->reason = reason;
	out->action = *action;
	if (action->kind == TLS_REFUSE_ALERT && action->alert == TLS_ALERT_PER_RFC)
		out->action.alert = rfc_alert(reason, st, ch);
}

void
policy_gate(const struct tls_gate *pol, enum ch_status st, const struct ch_info *ch,
    struct gate_result *out)
{
	char range[48];

	memset(out, 0, sizeof(*out));
	if (st != CH_OK) {
		refuse(out, CR_REFUSED_MALFORMED, &pol->refuse_malformed, st, ch);
		snprintf(out->why, sizeof(out->why), "%s",
		    ch->error[0] ? ch->error : "not a TLS ClientHello");
		return;
	}

	if (pol->min_minor == pol->max_minor)
		snprintf(range, sizeof(range), "%s", tls_version_name(wire_version(pol->min_minor)));
	else
		snprintf(range, sizeof(range), "%s to %s", tls_version_name(wire_version(pol->min_minor)),
		    tls_version_name(wire_version(pol->max_minor)));

	uint16_t v = negotiate_version(pol, ch);
	if (v == 0) {
		refuse(out, CR_REFUSED_VERSION, &pol->refuse_version, st, ch);
		if (ch->n_versions > 0 && ch->max_version > wire_version(pol->max_minor)) {
			snprintf(out->why, sizeof(out->why),
			    "client offers only versions above the policy (at most %s), "
			    "policy allows %s", tls_version_name(ch->max_version), range);
		} else {
			snprintf(out->why, sizeof(out->why),
			    "client offers at most %s, policy requires %s",
			    tls_version_name(ch->max_version), range);
		}
		return;
	}
	if (ch->sslv2) {
		refuse(out, CR_REFUSED_SSLV2, &pol->refuse_malformed, st, ch);
		snprintf(out->why, sizeof(out->why),
		    "SSLv2-format ClientHello (client offers up to %s): the TLS engine "
		    "cannot answer this format", tls_version_name(ch->max_version));
		return;
	}

	if (ch->msg_len > TLS_ENGINE_MAX_HELLO) {
		refuse(out, CR_REFUSED_TOO_LARGE, &pol->refuse_too_large, st, ch);
		snprintf(out->why, sizeof(out->why),
		    "the ClientHello is %zu bytes (in %u records); the TLS engine (mbedTLS 2.28) "
		    "reads at most %d", ch->msg_len, ch->n_records, TLS_ENGINE_MAX_HELLO);
		return;
	}

	int minor = v & 0xff;
	int curve_ok = client_has_group(ch, pol->curves);
	for (size_t i = 0; i < ch->n_suites; i++) {
		for (size_t j = 0; j < pol->n_usable; j++) {
			const struct policy_suite *u = &pol->usable[j];
			if (u->id != ch->suites[i] || minor < u->min_minor || minor > u->max_minor)
				continue;
			if (u->ecdhe && !curve_ok)
				continue;
			out->verdict = GATE_ACCEPT;
			out->version = v;
			snprintf(out->why, sizeof(out->why), "%s with a suite in common",
			    tls_version_name(v));
			return;
		}
	}

	refuse(out, CR_REFUSED_CIPHER, &pol->refuse_cipher, st, ch);
	snprintf(out->why, sizeof(out->why), "no cipher suite in common at %s: client offers ",
	    tls_version_name(v));
	list_suites(out->why, sizeof(out->why), ch->suites, ch->n_suites, 4);
	size_t off = strlen(out->why);
	snprintf(out->why + off, sizeof(out->why) - off, "; policy allows ");
	uint16_t ids[TLS_MAX_SUITES];
	size_t n = 0;
	for (size_t j = 0; j < pol->n_usable; j++)
		if (minor >= pol->usable[j].min_minor && minor <= pol->usable[j].max_minor)
			ids[n++] = pol->usable[j].id;
	if (n == 0) {
		off = strlen(out->why);
		snprintf(out->why + off, sizeof(out->why) - off, "none at this version");
	} else {
		list_suites(out->why, sizeof(out->why), ids, n, n); /* every one */
	}
	if (!curve_ok) {
		off = strlen(out->why);
		snprintf(out->why + off, sizeof(out->why) - off, ch->n_groups == 0 ?
		    " (its ECDHE suites are out: it sends no supported_groups, and the TLS engine, "
		    "mbedTLS 2.28, then picks no curve although RFC 8422 4 would allow any)" :
		    " (and no curve in common for ECDHE)");
	}
}

const char *
refusal_name(const struct tls_refusal *r, char *buf, size_t len)
{
	switch (r->kind) {
	case TLS_REFUSE_RESET:
		return "reset";
	case TLS_REFUSE_FIN:
		return "fin";
	case TLS_REFUSE_STALL:
		return "stall";
	case TLS_REFUSE_ALERT: {
		if (r->alert == TLS_ALERT_PER_RFC)
			return "alert";
		const char *n = tls_alert_name(r->alert);
		if (n != NULL)
			snprintf(buf, len, "alert:%s", n);
		else
			snprintf(buf, len, "alert:%u", r->alert);
		return buf;
	}
	}
	return "?";
}

/* Windows' Schannel mapping of received alerts (learn.microsoft.com
 * schannel-error-codes-for-tls-and-ssl-alerts). */
const char *
refusal_client_error(const struct tls_refusal *r)
{
	switch (r->kind) {
	case TLS_REFUSE_RESET:
		return "0x80072746 (-2147014842) WSAECONNRESET";
	case TLS_REFUSE_FIN:
		return "connection closed without an answer (reported as 0x80072746 or 809; unconfirmed)";
	case TLS_REFUSE_STALL:
		return "809 ERROR_VPN_TIMEOUT (client gives up waiting; unconfirmed)";
	case TLS_REFUSE_ALERT:
		switch (r->alert) {
		case TLS_ALERT_PER_RFC:
			return "the alert each refusal gets (protocol_version: 0x80090302; others: "
			       "mostly 0x80090326 SEC_E_ILLEGAL_MESSAGE)";
		case 70:
			return "0x80090302 SEC_E_UNSUPPORTED_FUNCTION";
		case 71:
			return "0x80090331 SEC_E_ALGORITHM_MISMATCH";
		case 42: case 43: case 46:
			return "0x80090327 SEC_E_CERT_UNKNOWN";
		case 44:
			return "0x80092010 CRYPT_E_REVOKED";
		case 45:
			return "0x80090328 SEC_E_CERT_EXPIRED";
		case 48:
			return "0x80090325 SEC_E_UNTRUSTED_ROOT";
		case 49:
			return "SEC_E_LOGON_DENIED";
		case 80:
			return "0x80090304 SEC_E_INTERNAL_ERROR";
		default:
			return "0x80090326 SEC_E_ILLEGAL_MESSAGE";
		}
	}
	return NULL;
}

int
tls_suite_fits_key(const mbedtls_ssl_ciphersuite_t *cs, int ec)
{
	switch (cs->key_exchange) {
	case MBEDTLS_KEY_EXCHANGE_RSA:
	case MBEDTLS_KEY_EXCHANGE_DHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_RSA_PSK:
		return !ec;
	case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
		return ec;
	default:
		return 0;
	}
}
