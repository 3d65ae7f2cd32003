/*
 * scenario_check: the last step of loading a scenario. Expands tls.ciphers
 * into suite ids and checks that mbedTLS can honour the whole policy; a
 * policy it cannot honour is an error, never a silent change:
 *
 *  - a suite named on its own must be known to this mbedTLS and usable with
 *    at least one allowed version; suites of a preset that do not fit are
 *    dropped (presets are documented lists, not promises);
 *  - at least one suite must be usable with the versions and the leaf key
 *    type (from certificate.key, else from the chain profile);
 *  - a usable ECDHE suite needs curves; TLS 1.2 needs signature hashes.
 *
 * Then the ppp and network sections, whose values may come from different
 * files and the environment: eap-tls needs client roots (unless RADIUS
 * checks the certificates: auth_backend radius); the gateway address
 * (default: first host of the pool, computed here so that it follows a
 * changed pool) must be a host address of the pool; the pool must not
 * overlap the virtual network; every host must be in the virtual network or
 * be the gateway. With revocation on, the chain profile name must fit in a
 * CRL URL.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "config/scenario.h"
#include "config/scenario_int.h"
#include "config/values.h"
#include "pki/crl.h"
#include "tls/tls_names.h"
#include "util/addr.h"

void
sc_default_ciphers(struct sc_load *ld)
{
	struct sc_cipher_item *c = &ld->ld_ciphers[0];

	memset(c, 0, sizeof(*c));
	c->preset = 1;
	(void)snprintf(c->name, sizeof(c->name), "azure-2018");
	ld->ld_nciphers = 1;
}

static const char *
minor_name(int minor)
{
	static const char *const names[] = { "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2" };

	return minor >= 0 && minor <= 3 ? names[minor] : "a later version";
}

static bool
fits_versions(const mbedtls_ssl_ciphersuite_t *cs, int lo, int hi)
{
	return cs->min_minor_ver <= hi && cs->max_minor_ver >= lo;
}

static bool
is_ecdhe(const mbedtls_ssl_ciphersuite_t *cs)
{
	return cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_RSA ||
	       cs->key_exchange == MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA;
}

/* Why an explicitly named suite cannot be served. */
static int
explicit_suite_error(struct sc_load *ld, const struct sc_cipher_item *c,
                     const mbedtls_ssl_ciphersuite_t *cs)
{
	const struct scenario *sc = &ld->ld_sc;
	const char *name = tls_suite_name((uint16_t)c->id);

	if (name == NULL)
		name = c->name;
	if (cs == NULL) {
		if ((c->id >> 8) == 0x13)
			return sc_err(ld, &c->at, "tls.ciphers",
			    "%s is a TLS 1.3 suite: mbedTLS 2.28 cannot serve TLS 1.3", name);
		if (c->id == 0x00ff || c->id == 0x5600)
			return sc_err(ld, &c->at, "tls.ciphers",
			    "%s is a signalling value, not a cipher suite", name);
		return sc_err(ld, &c->at, "tls.ciphers",
		    "%s is not available in this mbedTLS build", name);
	}
	if (cs->min_minor_ver > sc->max_minor) {
		const char *need = minor_name(cs->min_minor_ver);
		return sc_err(ld, &c->at, "tls.ciphers",
		    "%s needs %s%s but versions allow at most %s", name, need,
		    cs->max_minor_ver > cs->min_minor_ver ? " or later" : "",
		    minor_name(sc->max_minor));
	}
	return sc_err(ld, &c->at, "tls.ciphers",
	    "%s works up to %s but versions start at %s", name, minor_name(cs->max_minor_ver),
	    minor_name(sc->min_minor));
}

static int
add_suite(struct sc_load *ld, size_t *n, int id, const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;

	for (size_t i = 0; i < *n; i++)
		if (sc->suites[i] == id)
			return 0; /* the first position wins */
	if (*n == SC_MAX_SUITES)
		return sc_err(ld, at, "tls.ciphers", "more than %d cipher suites", SC_MAX_SUITES);
	sc->suites[(*n)++] = id;
	return 0;
}

static int
expand_ciphers(struct sc_load *ld)
{
	struct scenario *sc = &ld->ld_sc;
	size_t n = 0;

	for (size_t i = 0; i < ld->ld_nciphers; i++) {
		const struct sc_cipher_item *c = &ld->ld_ciphers[i];
		const mbedtls_ssl_ciphersuite_t *cs;

		if (c->preset == 2) { /* kept from a loaded scenario: dropped if it does not fit */
			cs = mbedtls_ssl_ciphersuite_from_id(c->id);
			if (cs != NULL && fits_versions(cs, sc->min_minor, sc->max_minor) &&
			    add_suite(ld, &n, c->id, &c->at) != 0)
				return -1;
			continue;
		}
		if (!c->preset) {
			cs = mbedtls_ssl_ciphersuite_from_id(c->id);
			if (cs == NULL || !fits_versions(cs, sc->min_minor, sc->max_minor))
				return explicit_suite_error(ld, c, cs);
			if (add_suite(ld, &n, c->id, &c->at) != 0)
				return -1;
			continue;
		}
		size_t k;
		const uint16_t *ids = scenario_cipher_preset_ids(c->name, &k);
		for (size_t j = 0; ids != NULL && j < k; j++) {
			int id = ids[j];
			cs = mbedtls_ssl_ciphersuite_from_id(id);
			if (cs == NULL || !fits_versions(cs, sc->min_minor, sc->max_minor))
				continue;
			if (add_suite(ld, &n, id, &c->at) != 0)
				return -1;
		}
	}
	sc->suites[n] = 0;
	sc->n_suites = n;
	return 0;
}

static void
versions_text(char *buf, size_t len, const struct scenario *sc)
{
	if (sc->min_minor == sc->max_minor)
		(void)snprintf(buf, len, "%s", minor_name(sc->min_minor));
	else
		(void)snprintf(buf, len, "%s to %s", minor_name(sc->min_minor),
		    minor_name(sc->max_minor));
}

static int
check_ppp(struct sc_load *ld)
{
	const struct scenario *sc = &ld->ld_sc;
	bool eap_tls = false;

	for (size_t i = 0; i < sc->n_ppp_auth; i++)
		eap_tls = eap_tls || sc->ppp_auth[i] == SC_AUTH_EAP_TLS;
	if (sc->auth_backend == SC_AUTHN_RADIUS) {
		if (sc->sku != SC_SKU_NONE && !sc_sku_info(sc->sku)->radius)
			return sc_err(ld, &ld->ld_at_sku, "gateway.sku",
			    "the Basic SKU does not support RADIUS authentication (Azure VPN Gateway "
			    "FAQ: RADIUS is supported on VpnGw1-3 and VpnGw1AZ-3AZ, not on Basic); "
			    "choose VpnGw1 or above, or ppp.auth_backend local");
		if (sc->n_radius == 0)
			return sc_err(ld, &ld->ld_at_backend, "ppp.auth_backend",
			    "radius needs radius.servers (the address and shared secret of 1 or 2 "
			    "servers)");
		/* eap-tls is relayed to the servers (RFC 3579), which check the
		 * certificates: no client roots needed here */
		return 0;
	}
	if (sc->n_radius > 0)
		return sc_err(ld, &ld->ld_at_radius, "radius.servers",
		    "RADIUS servers are set but ppp.auth_backend is local: set "
		    "ppp.auth_backend: radius, or remove them");
	if (eap_tls && sc->n_client_roots == 0)
		return sc_err(ld, &ld->ld_at_roots, "ppp.client_roots",
		    "no client roots, but ppp.auth offers eap-tls, which needs at least one");
	return 0;
}

static bool
has_origin(const struct sc_origin *o)
{
	return o->env != NULL || (o->file != NULL && o->line > 0);
}

static void
net_text(char *buf, size_t len, uint32_t net, unsigned prefix)
{
	char a[16];

	ip4_format(net, a);
	(void)snprintf(buf, len, "%s/%u", a, prefix);
}

static int
check_network(struct sc_load *ld)
{
	struct scenario *sc = &ld->ld_sc;
	uint32_t pmask = val_prefix_mask(sc->pool_prefix);
	char pool[24], gw[16], route[24];

	if (!ld->ld_gateway_set)
		sc->gateway_ip = sc->pool_net + 1;
	net_text(pool, sizeof(pool), sc->pool_net, sc->pool_prefix);
	ip4_format(sc->gateway_ip, gw);
	if ((sc->gateway_ip & pmask) != sc->pool_net)
		return sc_err(ld, &ld->ld_at_gateway, "network.gateway_address",
		    "%s is not inside network.client_pool %s", gw, pool);
	if (sc->gateway_ip == sc->pool_net || sc->gateway_ip == (sc->pool_net | ~pmask))
		return sc_err(ld, &ld->ld_at_gateway, "network.gateway_address",
		    "%s is the %s address of network.client_pool %s, not a host address", gw,
		    sc->gateway_ip == sc->pool_net ? "network" : "broadcast", pool);

	for (size_t i = 0; i < sc->n_vnet; i++) {
		const struct sc_route *r = &sc->vnet[i];
		unsigned p = r->prefix < sc->pool_prefix ? r->prefix : sc->pool_prefix;
		uint32_t m = val_prefix_mask(p);
		if ((r->net & m) != (sc->pool_net & m))
			continue;
		net_text(route, sizeof(route), r->net, r->prefix);
		/* Blame the pool when it was written somewhere, else the route. */
		if (has_origin(&ld->ld_at_pool) || !has_origin(&ld->ld_at_vnet[i]))
			return sc_err(ld, &ld->ld_at_pool, "network.client_pool",
			    "%s overlaps network.vnet route %s: the client address pool must not "
			    "overlap the virtual network", pool, route);
		return sc_err(ld, &ld->ld_at_vnet[i], "network.vnet",
		    "%s overlaps network.client_pool %s: the client address pool must not "
		    "overlap the virtual network", route, pool);
	}

	for (size_t i = 0; i < sc->n_hosts; i++) {
		const struct vnet_host *h = &sc->hosts[i];
		bool inside = h->addr == sc->gateway_ip;
		for (size_t j = 0; j < sc->n_vnet && !inside; j++)
			inside = (h->addr & val_prefix_mask(sc->vnet[j].prefix)) == sc->vnet[j].net;
		if (inside)
			continue;
		char a[16];
		ip4_format(h->addr, a);
		return sc_err(ld, &ld->ld_at_hosts[i], "network.hosts.address",
		    "%s (%s) is neither inside a network.vnet route nor the gateway address %s%s",
		    a, h->name, gw,
		    has_origin(&ld->ld_at_hosts[i]) ? "" : "; set network.hosts to match network.vnet");
	}
	return 0;
}

/* certificate.overlap: a gateway chain with the same kind of leaf key (one
 * gate and suite list serve both), and a rule that picks connections. */
int
sc_check_overlap(struct sc_load *ld, enum pki_key_type key)
{
	const struct sc_overlap *o = &ld->ld_sc.overlap;
	struct pki_profile p;
	char msg[1024];

	if (!o->on) {
		if (o->share != 0 || o->has_clients || o->n_sni != 0 || o->variant != 0)
			return sc_err(ld, &ld->ld_at_chain, "certificate.overlap",
			    "share, clients, sni and variant need certificate.overlap.chain");
		return 0;
	}
	if (profile_load_by_name(o->chain, &p, msg, sizeof(msg)) != 0)
		return sc_err(ld, &ld->ld_at_chain, "certificate.overlap.chain", "%s", msg);
	if (p.purpose != PKI_PURPOSE_SERVER)
		return sc_err(ld, &ld->ld_at_chain, "certificate.overlap.chain",
		    "chain profile '%s' is for client certificates", o->chain);
	enum pki_key_type ok = ld->ld_sc.leaf_key_set ? ld->ld_sc.leaf_key : p.leaf.key;
	bool ec = key == PKI_KEY_EC_P256 || key == PKI_KEY_EC_P384;
	bool oec = ok == PKI_KEY_EC_P256 || ok == PKI_KEY_EC_P384;
	if (ec != oec)
		return sc_err(ld, &ld->ld_at_chain, "certificate.overlap.chain",
		    "'%s' has an %s leaf key and certificate.chain an %s one: both chains of an "
		    "overlap are served with one suite list, so their keys must be of one kind",
		    o->chain, oec ? "EC" : "RSA", ec ? "EC" : "RSA");
	if (o->share == 0 && !o->has_clients && o->n_sni == 0)
		return sc_err(ld, &ld->ld_at_chain, "certificate.overlap",
		    "which connections get '%s'? set share, clients and/or sni", o->chain);
	return 0;
}

int
sc_check(struct sc_load *ld)
{
	struct scenario *sc = &ld->ld_sc;
	struct pki_profile p;
	char msg[1024], vers[64];

	if (profile_load_by_name(sc->chain, &p, msg, sizeof(msg)) != 0)
		return sc_err(ld, &ld->ld_at_chain, "certificate.chain", "%s", msg);
	if (p.purpose != PKI_PURPOSE_SERVER)
		return sc_err(ld, &ld->ld_at_chain, "certificate.chain",
		    "chain profile '%s' is for client certificates (purpose: client), "
		    "not for the gateway", sc->chain);
	enum pki_key_type key = sc->leaf_key_set ? sc->leaf_key : p.leaf.key;
	bool ec = key == PKI_KEY_EC_P256 || key == PKI_KEY_EC_P384;
	if (sc_check_overlap(ld, key) != 0)
		return -1;
	if (sc->cross_by[0] != '\0') {
		struct pki_profile cp;
		if (strcmp(sc->cross_by, sc->chain) == 0)
			return sc_err(ld, &ld->ld_at_chain, "certificate.cross_signed_by",
			    "'%s' is the chain itself: name the profile of the other root", sc->chain);
		if (profile_load_by_name(sc->cross_by, &cp, msg, sizeof(msg)) != 0)
			return sc_err(ld, &ld->ld_at_chain, "certificate.cross_signed_by", "%s", msg);
	}

	if (expand_ciphers(ld) != 0)
		return -1;

	bool usable = false, ecdhe = false;
	for (size_t i = 0; i < sc->n_suites; i++) {
		const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(sc->suites[i]);
		if (cs == NULL || !tls_suite_fits_key(cs, ec))
			continue;
		usable = true;
		ecdhe = ecdhe || is_ecdhe(cs);
	}
	versions_text(vers, sizeof(vers), sc);
	if (!usable) {
		const char *kname = pki_key_type_name(key);
		return sc_err(ld, &ld->ld_at_ciphers, "tls.ciphers",
		    "no cipher suite is usable with %s and the %s leaf key (%s): %s "
		    "(%zu suite%s left after dropping preset suites that do not fit the versions)",
		    vers, kname ? kname : "?",
		    sc->leaf_key_set ? "certificate.key" : "from the chain profile",
		    ec ? "an EC key needs ECDHE_ECDSA suites" :
		         "an RSA key needs RSA, ECDHE_RSA or DHE_RSA suites",
		    sc->n_suites, sc->n_suites == 1 ? "" : "s");
	}
	if (ecdhe && sc->curves[0] == MBEDTLS_ECP_DP_NONE)
		return sc_err(ld, &ld->ld_at_curves, "tls.curves",
		    "no curves, but the cipher suites include ECDHE suites that need one");
	if (sc->max_minor == 3 && sc->sig_hashes[0] == MBEDTLS_MD_NONE)
		return sc_err(ld, &ld->ld_at_hashes, "tls.signature_hashes",
		    "no signature hashes, but TLS 1.2 needs at least one");
	if ((sc->crl_mode != SC_CRL_OFF || sc->aia_mode != SC_AIA_OFF) &&
	    !pki_crl_profile_ok(sc->chain))
		return sc_err(ld, &ld->ld_at_crl, "revocation.crl",
		    "chain profile '%s' cannot be part of a CRL URL (lowercase letters, digits, "
		    "'-'); rename it or set revocation.crl: off", sc->chain);
	return check_ppp(ld) == 0 && check_network(ld) == 0 ? 0 : -1;
}
