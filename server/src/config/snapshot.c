#include "config/snapshot.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/dhm.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "pki/crl.h"
#include "util/rng.h"

static atomic_uint_fast64_t snapshot_generation;
static unsigned snapshot_workers = 1;

void
snapshot_set_workers(unsigned n)
{
	snapshot_workers = n < 1 ? 1 : n;
}

const mbedtls_ssl_config *
snapshot_conf(const struct snapshot *s, unsigned worker)
{
	return snapshot_conf_for(s, worker, 0);
}

const mbedtls_ssl_config *
snapshot_conf_for(const struct snapshot *s, unsigned worker, unsigned alt)
{
	if (alt > s->n_alts)
		alt = 0;
	if (worker == 0 || worker > s->n_wk)
		return alt ? &s->alts[alt - 1].conf : &s->conf;
	return alt ? &s->wk[worker - 1].alt_conf[alt - 1] : &s->wk[worker - 1].conf;
}

const struct pki_chain *
snapshot_chain_of(const struct snapshot *s, unsigned alt)
{
	return alt >= 1 && alt <= s->n_alts ? s->alts[alt - 1].use : &s->chain;
}

const char *
snapshot_chain_name(const struct snapshot *s, unsigned alt)
{
	return alt >= 1 && alt <= s->n_alts ? s->alts[alt - 1].name : s->sc.chain;
}

unsigned
snapshot_alt_for(const struct snapshot *s, unsigned listener, const char *sni)
{
	if (listener >= 1 && listener <= s->sc.n_listeners)
		return s->listener_alt[listener - 1];
	for (size_t i = 0; sni != NULL && i < s->sc.n_endpoints; i++)
		if (strcasecmp(sni, s->sc.endpoints[i].sni) == 0)
			return (unsigned)i + 1;
	return 0;
}

const struct tls_gate *
snapshot_gate(const struct snapshot *s, unsigned alt)
{
	return alt >= 1 && alt <= s->n_alts ? &s->alts[alt - 1].gate : &s->gate;
}

unsigned
snapshot_overlap_pick(struct snapshot *s, const char *sni, uint32_t addr)
{
	if (s->overlap_alt == 0)
		return 0;
	uint64_t turn = atomic_fetch_add(&s->alt_turns, 1);
	return scenario_overlap_pick(&s->sc.overlap, sni, addr, turn) ? s->overlap_alt : 0;
}

static void
snapshot_free(struct snapshot *s)
{
	mbedtls_ssl_config_free(&s->eap_conf);
	mbedtls_x509_crt_free(&s->eap_cas);
	mbedtls_ssl_config_free(&s->conf);
	for (unsigned a = 0; a < SNAPSHOT_MAX_ALTS; a++) {
		mbedtls_ssl_config_free(&s->alts[a].conf);
		pki_chain_free(&s->alts[a].chain);
	}
	for (unsigned i = 0; i < s->n_wk; i++) {
		mbedtls_ssl_config_free(&s->wk[i].conf);
		mbedtls_pk_free(&s->wk[i].key);
		for (unsigned a = 0; a < SNAPSHOT_MAX_ALTS; a++) {
			mbedtls_ssl_config_free(&s->wk[i].alt_conf[a]);
			mbedtls_pk_free(&s->wk[i].alt_key[a]);
		}
	}
	free(s->wk);
	mbedtls_ssl_cache_free(&s->cache);
	mbedtls_ssl_ticket_free(&s->ticket);
	pki_chain_free(&s->chain);
	pool_unref(s->pool);
	s->magic = 0;
	free(s);
}

/* EAP-TLS server configuration for PPP, when the scenario offers EAP-TLS. */
static int
eap_build(struct snapshot *s, const char *state_dir, time_t clock, char *err, size_t errlen)
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
		/* "lab-client": the certificate this root gives the lab's clients */
		if (rc == 0 && s->sc.revoke_lab_client) {
			size_t k = 0;
			while (k < s->sc.n_revoked && memcmp(s->sc.revoked[k], pc.leaf_sha1, 20) != 0)
				k++;
			if (k == s->sc.n_revoked && k < SC_MAX_REVOKED)
				memcpy(s->sc.revoked[s->sc.n_revoked++], pc.leaf_sha1, 20);
		}
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
	/* ppp.eap_tls.tls_versions: Windows 7/8 speak TLS 1.0 inside EAP-TLS
	 * unless RasMan's TlsVersion allows more; TLS 1.3 does not exist here */
	mbedtls_ssl_conf_min_version(&s->eap_conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    s->sc.eap_min_minor);
	mbedtls_ssl_conf_max_version(&s->eap_conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    s->sc.eap_max_minor);
	mbedtls_ssl_conf_session_tickets(&s->eap_conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	s->eap.conf = &s->eap_conf;
	s->eap.revoked = (const uint8_t (*)[20])s->sc.revoked;
	s->eap.n_revoked = s->sc.n_revoked;
	s->eap_ready = 1;
	return 0;
}

const struct ppp_eap_tls *
snapshot_eap_tls(const struct snapshot *s)
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

/* One TLS server configuration of the snapshot, with this chain, key and
 * policy (NULL: tls.*). 0 or an mbedTLS error. */
static int
conf_setup(struct snapshot *s, mbedtls_ssl_config *conf, const mbedtls_x509_crt *chain,
    mbedtls_pk_context *key, const struct sc_policy *pol)
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
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    pol != NULL ? pol->min_minor : s->sc.min_minor);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    pol != NULL ? pol->max_minor : s->sc.max_minor);
	mbedtls_ssl_conf_ciphersuites(conf, pol != NULL ? pol->suites : s->sc.suites);
	mbedtls_ssl_conf_sig_hashes(conf, s->sc.sig_hashes);
	mbedtls_ssl_conf_curves(conf, s->sc.curves);
	mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	/* RC4 suites are refused unless enabled here; the suite list decides. */
	mbedtls_ssl_conf_arc4_support(conf, MBEDTLS_SSL_ARC4_ENABLED);
	rc = mbedtls_ssl_conf_dh_param_bin(conf, dhm_p, sizeof(dhm_p), dhm_g, sizeof(dhm_g));
	if (rc != 0)
		return rc;
	/* mbedTLS keeps the chain; it does not change it */
	rc = mbedtls_ssl_conf_own_cert(conf, (mbedtls_x509_crt *)chain, key);
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

/* A gate: the versions and suites of pol (NULL: tls.*) usable with the
 * served chain's key, the scenario's curves and refusals. -1 with err when
 * no suite is usable. */
static int
gate_build(struct snapshot *s, struct tls_gate *gate, const struct sc_policy *pol,
    const struct pki_chain *chain, const char *what, char *err, size_t errlen)
{
	int lo = pol != NULL ? pol->min_minor : s->sc.min_minor;
	int hi = pol != NULL ? pol->max_minor : s->sc.max_minor;
	const int *suites = pol != NULL ? pol->suites : s->sc.suites;
	int ec = chain->key_type == PKI_KEY_EC_P256 || chain->key_type == PKI_KEY_EC_P384;

	gate->min_minor = (uint8_t)lo;
	gate->max_minor = (uint8_t)hi;
	gate->curves = s->sc.curves;
	gate->refuse_malformed = s->sc.refuse_malformed;
	gate->refuse_version = s->sc.refuse_version;
	gate->refuse_cipher = s->sc.refuse_cipher;
	gate->refuse_too_large = s->sc.refuse_too_large;
	gate->n_usable = 0;
	for (size_t i = 0; suites[i] != 0 && gate->n_usable < TLS_MAX_SUITES; i++) {
		const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(suites[i]);
		if (cs == NULL || !tls_suite_fits_key(cs, ec))
			continue;
		if (cs->max_minor_ver < lo || cs->min_minor_ver > hi)
			continue;
		struct policy_suite *u = &gate->usable[gate->n_usable++];
		u->id = (uint16_t)cs->id;
		u->min_minor = (uint8_t)cs->min_minor_ver;
		u->max_minor = (uint8_t)cs->max_minor_ver;
		u->ecdhe = cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_RSA ||
		    cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA;
	}
	if (gate->n_usable == 0) {
		snprintf(err, errlen, "%s: no cipher suite of the policy%s can be used with the "
		    "served %s key", s->sc.path, what, pki_key_type_name(chain->key_type));
		return -1;
	}
	return 0;
}

/* The client address pool and the throughput cap. A pool with the same
 * prefix as the previous snapshot's is shared with it, so a reload does not
 * hand out an address a running session holds; a new prefix gets a new pool
 * (leases of the old one stay valid until their sessions end). */
static int
net_build(struct snapshot *s, const struct snapshot *prev, char *err, size_t errlen)
{
	const struct scenario *sc = &s->sc;
	const struct addr_pool *pp = prev != NULL ? prev->pool : NULL;

	s->rate = sc->throughput_bps;
	s->tunnel_rate = sc->throughput_tunnel_bps;
	if (pp != NULL && pp->net == sc->pool_net && pp->prefix == sc->pool_prefix &&
	    pp->gateway == sc->gateway_ip) {
		s->pool = pool_ref(prev->pool);
		return 0;
	}
	if ((s->pool = pool_new(sc->pool_net, sc->pool_prefix, sc->gateway_ip)) == NULL) {
		snprintf(err, errlen, "%s: cannot build the client address pool /%u", sc->path,
		    (unsigned)sc->pool_prefix);
		return -1;
	}
	return 0;
}

/* certificate.cross_signed_by: the served chain gets the cross-certificate
 * of its root by the other profile's root (made, with that profile's chain,
 * when missing), so a client trusting either root validates it. */
static int
cross_build(struct snapshot *s, const struct pki_profile *profile,
            const struct pki_leaf_request *req, const char *state_dir, char *err, size_t errlen)
{
	struct pki_profile by;
	struct pki_leaf_request breq = *req;
	struct pki_chain tmp;
	int rc;

	if (profile_load_by_name(s->sc.cross_by, &by, err, errlen) != 0)
		return -1;
	breq.variant = PKI_VARIANT_VALID;
	breq.crl_base_url = NULL;
	breq.aia_base_url = NULL;
	breq.revoke_leaf = 0;
	breq.crl_variant = PKI_CRL_AS_IS;
	pki_chain_init(&tmp);
	rc = pki_ensure(state_dir, &by, &breq, &tmp, err, errlen);
	pki_chain_free(&tmp);
	if (rc != 0)
		return -1;
	return pki_cross_sign(state_dir, profile, &by, &s->chain.chain, err, errlen);
}

struct snapshot *
snapshot_build(const struct scenario *sc, const struct snapshot *prev, const char *state_dir,
    int64_t now_ms, char *err, size_t errlen)
{
	struct pki_profile profile;
	struct pki_leaf_request req;
	char msg[200];
	int rc;

	struct snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->magic = SNAPSHOT_MAGIC;
	s->refs = 1;
	s->generation = atomic_fetch_add(&snapshot_generation, 1) + 1;
	s->sc = *sc;
	mbedtls_ssl_config_init(&s->conf);
	for (unsigned a = 0; a < SNAPSHOT_MAX_ALTS; a++) {
		mbedtls_ssl_config_init(&s->alts[a].conf);
		pki_chain_init(&s->alts[a].chain);
	}
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
	req.clock = scenario_clock_ms(&s->sc, now_ms);
	char crl_base[PKI_CRL_URL_MAX];
	if (scenario_crl_base_url(&s->sc, crl_base, sizeof(crl_base)) != 0) {
		snprintf(err, errlen, "revocation: CRL URL too long");
		goto fail;
	}
	req.crl_base_url = s->sc.crl_mode != SC_CRL_OFF ? crl_base : NULL;
	req.revoke_leaf = s->sc.crl_mode == SC_CRL_REVOKED;
	req.aia_base_url = s->sc.aia_mode != SC_AIA_OFF ? crl_base : NULL;
	req.crl_variant = s->sc.crl_mode == SC_CRL_STALE ? PKI_CRL_STALE_COPY :
	    s->sc.crl_mode == SC_CRL_WRONG_KEY ? PKI_CRL_WRONG_KEY : PKI_CRL_AS_IS;
	if (pki_ensure(state_dir, &profile, &req, &s->chain, err, errlen) != 0)
		goto fail;
	if (s->sc.cross_by[0] != '\0' && cross_build(s, &profile, &req, state_dir, err, errlen) != 0)
		goto fail;

	if (gate_build(s, &s->gate, NULL, &s->chain, "", err, errlen) != 0)
		goto fail;

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
	if ((rc = conf_setup(s, &s->conf, &s->chain.chain, &s->chain.key, NULL)) != 0)
		goto mbedtls_fail;
	/* the other places: the endpoints', the overlap's, the listeners'; a
	 * chain of their own has no CDP or AIA (revocation stays with the main
	 * chain) */
	size_t n_places = s->sc.n_endpoints + 1 + s->sc.n_listeners;
	for (size_t i = 0; i < n_places; i++) {
		const char *name = NULL;
		int variant = 0;
		const struct sc_policy *pol = NULL;
		char what[64] = "";
		if (i < s->sc.n_endpoints) {
			const struct sc_endpoint *e = &s->sc.endpoints[i];
			name = e->chain;
			variant = e->variant;
			pol = e->pol.set ? &e->pol : NULL;
			snprintf(what, sizeof(what), " of endpoint %.40s", e->sni);
		} else if (i == s->sc.n_endpoints) {
			if (!s->sc.overlap.on)
				continue;
			name = s->sc.overlap.chain;
			variant = s->sc.overlap.variant;
		} else {
			const struct sc_listener *l = &s->sc.listeners[i - s->sc.n_endpoints - 1];
			name = l->chain[0] != '\0' ? l->chain : NULL;
			variant = l->variant;
			pol = l->pol.set ? &l->pol : NULL;
			snprintf(what, sizeof(what), " of listener %s", l->name);
		}
		struct snapshot_alt *a = &s->alts[s->n_alts];
		if (name != NULL) {
			struct pki_profile op;
			struct pki_leaf_request oreq = req;
			oreq.variant = (enum pki_variant)variant;
			oreq.crl_base_url = NULL;
			oreq.aia_base_url = NULL;
			oreq.revoke_leaf = 0;
			oreq.crl_variant = PKI_CRL_AS_IS;
			if (profile_load_by_name(name, &op, err, errlen) != 0 ||
			    pki_ensure(state_dir, &op, &oreq, &a->chain, err, errlen) != 0)
				goto fail;
			if (oreq.variant == PKI_VARIANT_NO_SERVER_AUTH_EKU)
				a->chain.chain.ext_types &= ~MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE;
			a->use = &a->chain;
			a->name = name;
		} else {
			a->use = &s->chain;  /* a listener of the main chain, as it is now */
			a->name = s->sc.chain;
		}
		a->pol = pol;
		if (gate_build(s, &a->gate, pol, a->use, what, err, errlen) != 0)
			goto fail;
		if ((rc = conf_setup(s, &a->conf, &a->use->chain, (mbedtls_pk_context *)&a->use->key,
		    pol)) != 0)
			goto mbedtls_fail;
		s->n_alts++;
		if (i == s->sc.n_endpoints)
			s->overlap_alt = s->n_alts;
		else if (i > s->sc.n_endpoints)
			s->listener_alt[i - s->sc.n_endpoints - 1] = s->n_alts;
	}
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
			for (unsigned a = 0; a < SNAPSHOT_MAX_ALTS; a++) {
				mbedtls_ssl_config_init(&wk->alt_conf[a]);
				mbedtls_pk_init(&wk->alt_key[a]);
			}
			s->n_wk++;
			if ((rc = key_copy(&s->chain.key, &wk->key)) != 0 ||
			    (rc = conf_setup(s, &wk->conf, &s->chain.chain, &wk->key, NULL)) != 0)
				goto mbedtls_fail;
			for (unsigned a = 0; a < s->n_alts; a++) {
				const struct snapshot_alt *al = &s->alts[a];
				if ((rc = key_copy((mbedtls_pk_context *)&al->use->key,
				    &wk->alt_key[a])) != 0 ||
				    (rc = conf_setup(s, &wk->alt_conf[a], &al->use->chain,
				    &wk->alt_key[a], al->pol)) != 0)
					goto mbedtls_fail;
			}
		}
	}
	if (eap_build(s, state_dir, req.clock, err, errlen) != 0)
		goto fail;
	if (net_build(s, prev, err, errlen) != 0)
		goto fail;
	return s;

mbedtls_fail:
	mbedtls_strerror(rc, msg, sizeof(msg));
	snprintf(err, errlen, "TLS configuration for %s: %s", s->sc.name, msg);
fail:
	snapshot_free(s);
	return NULL;
}

struct snapshot *
snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void
snapshot_unref(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (s->magic != SNAPSHOT_MAGIC)
		abort();
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		snapshot_free(s);
}

