#include "tls/policy.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/dhm.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "pki/crl.h"
#include "tls/tls_names.h"
#include "util/rng.h"

static atomic_uint_fast64_t snapshot_generation;
static unsigned snapshot_workers = 1;

void
snapshot_set_workers(unsigned n)
{
	snapshot_workers = n < 1 ? 1 : n;
}

const mbedtls_ssl_config *
snapshot_conf(const struct tls_snapshot *s, unsigned worker)
{
	if (worker == 0 || worker > s->n_wk)
		return &s->conf;
	return &s->wk[worker - 1].conf;
}

/* Can this suite be used with a key of this type? */
static int
suite_fits_key(const mbedtls_ssl_ciphersuite_t *cs, enum pki_key_type key)
{
	int ec = (key == PKI_KEY_EC_P256 || key == PKI_KEY_EC_P384);

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

static void
snapshot_free(struct tls_snapshot *s)
{
	mbedtls_ssl_config_free(&s->eap_conf);
	mbedtls_x509_crt_free(&s->eap_cas);
	mbedtls_ssl_config_free(&s->conf);
	for (unsigned i = 0; i < s->n_wk; i++) {
		mbedtls_ssl_config_free(&s->wk[i].conf);
		mbedtls_pk_free(&s->wk[i].key);
	}
	free(s->wk);
	mbedtls_ssl_cache_free(&s->cache);
	mbedtls_ssl_ticket_free(&s->ticket);
	pki_chain_free(&s->chain);
	s->magic = 0;
	free(s);
}

/* EAP-TLS server configuration for PPP, when the scenario offers EAP-TLS. */
static int
eap_build(struct tls_snapshot *s, const char *state_dir, time_t clock, char *err, size_t errlen)
{
	int offered = 0, rc;
	char msg[160];

	for (size_t i = 0; i < s->sc.n_ppp_auth; i++)
		offered |= s->sc.ppp_auth[i] == SC_AUTH_EAP_TLS;
	if (!offered)
		return 0;
	for (size_t i = 0; i < s->sc.n_client_roots; i++) {
		struct pki_profile p;
		struct pki_leaf_request req;
		struct pki_chain pc;
		if (profile_load_by_name(s->sc.client_roots[i], &p, err, errlen) != 0)
			return -1;
		memset(&req, 0, sizeof(req));
		req.hostname = s->sc.hostname;
		req.clock = clock;
		pki_chain_init(&pc);
		rc = pki_ensure(state_dir, &p, &req, &pc, err, errlen);
		if (rc == 0 && (rc = mbedtls_x509_crt_parse_file(&s->eap_cas, pc.root_path)) != 0) {
			mbedtls_strerror(rc, msg, sizeof(msg));
			snprintf(err, errlen, "client root %s: %s", pc.root_path, msg);
			rc = -1;
		}
		pki_chain_free(&pc);
		if (rc != 0)
			return -1;
	}
	rc = mbedtls_ssl_config_defaults(&s->eap_conf, MBEDTLS_SSL_IS_SERVER,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc == 0)
		rc = mbedtls_ssl_conf_own_cert(&s->eap_conf, &s->chain.chain, &s->chain.key);
	if (rc != 0) {
		mbedtls_strerror(rc, msg, sizeof(msg));
		snprintf(err, errlen, "EAP-TLS configuration: %s", msg);
		return -1;
	}
	mbedtls_ssl_conf_rng(&s->eap_conf, rng_fill, NULL);
	mbedtls_ssl_conf_authmode(&s->eap_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&s->eap_conf, &s->eap_cas, NULL);
	/* Windows 7 speaks TLS 1.0 inside EAP-TLS; TLS 1.3 does not exist here */
	mbedtls_ssl_conf_min_version(&s->eap_conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_1);
	mbedtls_ssl_conf_session_tickets(&s->eap_conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	s->eap.conf = &s->eap_conf;
	s->eap.revoked = (const uint8_t (*)[20])s->sc.revoked;
	s->eap.n_revoked = s->sc.n_revoked;
	s->eap_ready = 1;
	return 0;
}

const struct ppp_eap_tls *
snapshot_eap_tls(const struct tls_snapshot *s)
{
	return s->eap_ready ? &s->eap : NULL;
}

/* Copy a private key (through DER). 0 or an mbedTLS error. */
static int
key_copy(mbedtls_pk_context *from, mbedtls_pk_context *to)
{
	unsigned char der[4096];
	int n = mbedtls_pk_write_key_der(from, der, sizeof(der));
	if (n < 0)
		return n;
	int rc = mbedtls_pk_parse_key(to, der + sizeof(der) - n, (size_t)n, NULL, 0);
	mbedtls_platform_zeroize(der, sizeof(der));
	return rc;
}

/* One TLS server configuration of the snapshot, with this key. 0 or an
 * mbedTLS error. */
static int
conf_setup(struct tls_snapshot *s, mbedtls_ssl_config *conf, mbedtls_pk_context *key)
{
	static const unsigned char dhm_p[] = MBEDTLS_DHM_RFC3526_MODP_2048_P_BIN;
	static const unsigned char dhm_g[] = MBEDTLS_DHM_RFC3526_MODP_2048_G_BIN;
	int rc;

	rc = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_SERVER,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0)
		return rc;
	mbedtls_ssl_conf_rng(conf, rng_fill, NULL);
	mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, s->sc.min_minor);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, s->sc.max_minor);
	mbedtls_ssl_conf_ciphersuites(conf, s->sc.suites);
	mbedtls_ssl_conf_sig_hashes(conf, s->sc.sig_hashes);
	mbedtls_ssl_conf_curves(conf, s->sc.curves);
	mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	/* RC4 suites are refused unless enabled here; the suite list decides. */
	mbedtls_ssl_conf_arc4_support(conf, MBEDTLS_SSL_ARC4_ENABLED);
	rc = mbedtls_ssl_conf_dh_param_bin(conf, dhm_p, sizeof(dhm_p), dhm_g, sizeof(dhm_g));
	if (rc != 0)
		return rc;
	rc = mbedtls_ssl_conf_own_cert(conf, &s->chain.chain, key);
	if (rc != 0)
		return rc;
	if (s->sc.session_resumption) {
		mbedtls_ssl_conf_session_cache(conf, &s->cache, mbedtls_ssl_cache_get,
		    mbedtls_ssl_cache_set);
		mbedtls_ssl_conf_session_tickets_cb(conf, mbedtls_ssl_ticket_write,
		    mbedtls_ssl_ticket_parse, &s->ticket);
	} else {
		mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	}
	return 0;
}

struct tls_snapshot *
snapshot_build(const struct scenario *sc, const char *state_dir, time_t now,
    char *err, size_t errlen)
{
	struct pki_profile profile;
	struct pki_leaf_request req;
	char msg[200];
	int rc;

	struct tls_snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->magic = SNAPSHOT_MAGIC;
	s->refs = 1;
	s->generation = atomic_fetch_add(&snapshot_generation, 1) + 1;
	s->sc = *sc;
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_ssl_cache_init(&s->cache);
	mbedtls_ssl_ticket_init(&s->ticket);
	mbedtls_ssl_config_init(&s->eap_conf);
	mbedtls_x509_crt_init(&s->eap_cas);
	pki_chain_init(&s->chain);

	if (profile_load_by_name(s->sc.chain, &profile, err, errlen) != 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.hostname = s->sc.hostname;
	req.variant = s->sc.variant;
	req.key_set = s->sc.leaf_key_set;
	req.key = s->sc.leaf_key;
	req.clock = scenario_clock(&s->sc, now);
	char crl_base[PKI_CRL_URL_MAX];
	if (scenario_crl_base_url(&s->sc, crl_base, sizeof(crl_base)) != 0) {
		snprintf(err, errlen, "revocation: CRL URL too long");
		goto fail;
	}
	req.crl_base_url = s->sc.crl_mode != SC_CRL_OFF ? crl_base : NULL;
	req.revoke_leaf = s->sc.crl_mode == SC_CRL_REVOKED;
	if (pki_ensure(state_dir, &profile, &req, &s->chain, err, errlen) != 0)
		goto fail;

	for (size_t i = 0; i < s->sc.n_suites; i++) {
		const mbedtls_ssl_ciphersuite_t *cs =
		    mbedtls_ssl_ciphersuite_from_id(s->sc.suites[i]);
		if (cs == NULL || !suite_fits_key(cs, s->chain.key_type))
			continue;
		if (cs->max_minor_ver < s->sc.min_minor || cs->min_minor_ver > s->sc.max_minor)
			continue;
		struct policy_suite *u = &s->usable[s->n_usable++];
		u->id = (uint16_t)cs->id;
		u->min_minor = (uint8_t)cs->min_minor_ver;
		u->max_minor = (uint8_t)cs->max_minor_ver;
		u->ecdhe = cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_RSA ||
		    cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA;
	}
	if (s->n_usable == 0) {
		snprintf(err, errlen, "%s: no cipher suite of the policy can be used with the "
		    "served %s key", s->sc.path, pki_key_type_name(s->chain.key_type));
		goto fail;
	}

	if (s->sc.session_resumption) {
		rc = mbedtls_ssl_ticket_setup(&s->ticket, rng_fill, NULL,
		    MBEDTLS_CIPHER_AES_256_GCM, 86400);
		if (rc != 0)
			goto mbedtls_fail;
	}
	if (s->sc.variant == PKI_VARIANT_NO_SERVER_AUTH_EKU) {
		/*
		 * mbedTLS will not serve a certificate whose EKU lacks serverAuth
		 * (ssl_pick_cert). This variant exists to show clients exactly
		 * that certificate, so hide the EKU from mbedTLS' own check only:
		 * the DER sent to the client is unchanged.
		 */
		s->chain.chain.ext_types &= ~MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE;
	}
	if ((rc = conf_setup(s, &s->conf, &s->chain.key)) != 0)
		goto mbedtls_fail;
	/* The other workers get their own configuration and their own copy of the
	 * key: mbedTLS locks an RSA key for each private operation, so a shared
	 * key would let one worker sign at a time. Cache and tickets are shared
	 * (they lock briefly), so a session resumes on any worker. */
	if (snapshot_workers > 1) {
		s->wk = calloc(snapshot_workers - 1, sizeof(*s->wk));
		if (s->wk == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (unsigned i = 0; i < snapshot_workers - 1; i++) {
			struct snapshot_worker *wk = &s->wk[i];
			mbedtls_ssl_config_init(&wk->conf);
			mbedtls_pk_init(&wk->key);
			s->n_wk++;
			if ((rc = key_copy(&s->chain.key, &wk->key)) != 0 ||
			    (rc = conf_setup(s, &wk->conf, &wk->key)) != 0)
				goto mbedtls_fail;
		}
	}
	if (eap_build(s, state_dir, req.clock, err, errlen) != 0)
		goto fail;
	return s;

mbedtls_fail:
	mbedtls_strerror(rc, msg, sizeof(msg));
	snprintf(err, errlen, "TLS configuration for %s: %s", s->sc.name, msg);
fail:
	snapshot_free(s);
	return NULL;
}

struct tls_snapshot *
snapshot_ref(struct tls_snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void
snapshot_unref(struct tls_snapshot *s)
{
	if (s == NULL)
		return;
	if (s->magic != SNAPSHOT_MAGIC)
		abort();
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		snapshot_free(s);
}

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

static int
client_has_group(const struct ch_info *ch, const mbedtls_ecp_group_id *curves)
{
	if (ch->n_groups == 0)
		return 1; /* no supported_groups: any curve (RFC 4492 4) */
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
negotiate_version(const struct scenario *sc, const struct ch_info *ch)
{
	uint16_t lo = wire_version(sc->min_minor), hi = wire_version(sc->max_minor), best = 0;

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

static void
refuse(struct gate_result *out, enum close_reason reason, const struct sc_refusal *action)
{
	out->verdict = GATE_REFUSE;
	out->reason = reason;
	out->action = *action;
}

void
policy_gate(const struct tls_snapshot *s, enum ch_status st, const struct ch_info *ch,
    struct gate_result *out)
{
	const struct scenario *sc = &s->sc;
	char range[48];

	memset(out, 0, sizeof(*out));
	if (st != CH_OK) {
		refuse(out, CR_REFUSED_MALFORMED, &sc->refuse_malformed);
		snprintf(out->why, sizeof(out->why), "%s",
		    ch->error[0] ? ch->error : "not a TLS ClientHello");
		return;
	}

	if (sc->min_minor == sc->max_minor)
		snprintf(range, sizeof(range), "%s", tls_version_name(wire_version(sc->min_minor)));
	else
		snprintf(range, sizeof(range), "%s to %s", tls_version_name(wire_version(sc->min_minor)),
		    tls_version_name(wire_version(sc->max_minor)));

	uint16_t v = negotiate_version(sc, ch);
	if (v == 0) {
		refuse(out, CR_REFUSED_VERSION, &sc->refuse_version);
		if (ch->n_versions > 0 && ch->max_version > wire_version(sc->max_minor)) {
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
		refuse(out, CR_REFUSED_SSLV2, &sc->refuse_malformed);
		snprintf(out->why, sizeof(out->why),
		    "SSLv2-format ClientHello (client offers up to %s): the TLS engine "
		    "cannot answer this format", tls_version_name(ch->max_version));
		return;
	}

	int minor = v & 0xff;
	int curve_ok = client_has_group(ch, sc->curves);
	for (size_t i = 0; i < ch->n_suites; i++) {
		for (size_t j = 0; j < s->n_usable; j++) {
			const struct policy_suite *u = &s->usable[j];
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

	refuse(out, CR_REFUSED_CIPHER, &sc->refuse_cipher);
	snprintf(out->why, sizeof(out->why), "no cipher suite in common at %s: client offers ",
	    tls_version_name(v));
	list_suites(out->why, sizeof(out->why), ch->suites, ch->n_suites, 4);
	size_t off = strlen(out->why);
	snprintf(out->why + off, sizeof(out->why) - off, "; policy allows ");
	uint16_t ids[SC_MAX_SUITES];
	size_t n = 0;
	for (size_t j = 0; j < s->n_usable; j++)
		if (minor >= s->usable[j].min_minor && minor <= s->usable[j].max_minor)
			ids[n++] = s->usable[j].id;
	if (n == 0) {
		off = strlen(out->why);
		snprintf(out->why + off, sizeof(out->why) - off, "none at this version");
	} else {
		list_suites(out->why, sizeof(out->why), ids, n, 4);
	}
	if (!curve_ok) {
		off = strlen(out->why);
		snprintf(out->why + off, sizeof(out->why) - off,
		    " (and no curve in common for ECDHE)");
	}
}

const char *
refusal_name(const struct sc_refusal *r, char *buf, size_t len)
{
	switch (r->kind) {
	case SC_REFUSE_RESET:
		return "reset";
	case SC_REFUSE_FIN:
		return "fin";
	case SC_REFUSE_STALL:
		return "stall";
	case SC_REFUSE_ALERT: {
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
refusal_client_error(const struct sc_refusal *r)
{
	switch (r->kind) {
	case SC_REFUSE_RESET:
		return "0x80072746 (-2147014842) WSAECONNRESET";
	case SC_REFUSE_FIN:
		return "connection closed without an answer (reported as 0x80072746 or 809; unconfirmed)";
	case SC_REFUSE_STALL:
		return "809 ERROR_VPN_TIMEOUT (client gives up waiting; unconfirmed)";
	case SC_REFUSE_ALERT:
		switch (r->alert) {
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
