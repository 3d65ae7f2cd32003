/*
 * scenario_listen: the places a scenario serves from besides the main chain
 * and policy (docs/scenarios.md):
 *
 *   certificate:
 *     endpoints:                       # by SNI, on the main listener
 *       - {sni: NAME, chain: NAME [, variant: NAME] [, versions: [..]] [, ciphers: [..]]}
 *   listeners:                         # more ports of the gateway's address
 *       - {port: N [, name: NAME] [, chain: NAME [, variant: NAME]]
 *          [, versions: [..]] [, ciphers: [..]]}
 *
 * An entry's versions and ciphers are its own TLS policy; what it leaves
 * out is the scenario's tls.* as loaded. They are resolved after the whole
 * scenario is checked (sc_policies_resolve), with the loader's own parsers
 * and checks (scenario_override on a copy), so an entry mbedTLS cannot
 * serve is a load error at the entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "config/paths.h"
#include "config/scenario.h"
#include "config/scenario_int.h"
#include "config/values.h"
#include "config/yaml_util.h"

/* versions and ciphers of an entry (nodes vv, vc; either may be NULL). */
static int
policy_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *vv,
            const struct ynode *vc, const char *section, struct sc_policy *pol)
{
	char key[64], msg[256];

	memset(pol, 0, sizeof(*pol));
	if (vv != NULL) {
		(void)snprintf(key, sizeof(key), "%s.versions", section);
		if (sc_scalar_list(ld, d, vv, key, 4, &pol->versions[0][0],
		    sizeof(pol->versions[0]), &pol->n_versions) != 0)
			return -1;
		for (size_t i = 0; i < pol->n_versions; i++) {
			int minor;
			struct sc_origin o = sc_at_node(ld, vv);
			if (val_version(pol->versions[i], &minor, msg, sizeof(msg)) != 0)
				return sc_err(ld, &o, key, "%s", msg);
		}
	}
	if (vc != NULL) {
		(void)snprintf(key, sizeof(key), "%s.ciphers", section);
		if (sc_scalar_list(ld, d, vc, key, SC_TL_MAX_CIPHERS, &pol->ciphers[0][0],
		    sizeof(pol->ciphers[0]), &pol->n_ciphers) != 0)
			return -1;
	}
	pol->set = vv != NULL || vc != NULL;
	return 0;
}

/* A chain profile name (node v) into out[64]. */
static int
chain_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v, const char *key,
           char *out, size_t outlen)
{
	char msg[1024], path[CONFIG_PATH_MAX];
	const char *text;
	struct sc_origin o = sc_at_node(ld, v);

	if (yscalar(d, v, key, &text, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	if (strlen(text) >= outlen)
		return sc_err(ld, &o, key, "chain name too long");
	if (config_find_file("certs", text, path, sizeof(path), msg, sizeof(msg)) != 0)
		return sc_err(ld, &o, key, "%s", msg);
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

static int
variant_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v, const char *key,
             int *variant)
{
	char msg[1024];
	const char *text;
	struct sc_origin o = sc_at_node(ld, v);

	if (yscalar(d, v, key, &text, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	if (val_variant(text, variant, msg, sizeof(msg)) != 0)
		return sc_err(ld, &o, key, "%s", msg);
	return 0;
}

/* certificate.endpoints: a list of {sni, chain[, variant, versions,
 * ciphers]} (at most 8), each SNI once. */
int
sc_endpoints_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v)
{
	static const char *const keys[] = { "sni", "chain", "variant", "versions", "ciphers" };
	const struct ynode *seq;
	struct sc_origin o = sc_at_node(ld, v);
	struct scenario *sc = &ld->ld_sc;
	char msg[1024];

	if (yseq(d, v, "certificate.endpoints", SC_MAX_LIST_ITEMS, &seq, ld->ld_err,
	    ld->ld_errlen) != 0)
		return -1;
	if (seq->yn_nkids > SC_MAX_ENDPOINTS)
		return sc_err(ld, &o, "certificate.endpoints", "too many endpoints (%zu, at most %d)",
		    seq->yn_nkids, SC_MAX_ENDPOINTS);
	sc->n_endpoints = 0;
	for (size_t i = 0; i < seq->yn_nkids; i++) {
		const struct ynode *rec = ynode_deref(seq->yn_kids[i]), *vals[5], *knodes[5];
		struct sc_endpoint *e = &sc->endpoints[i];
		const char *text;
		struct sc_origin eo = sc_at_node(ld, rec);

		memset(e, 0, sizeof(*e));
		ld->ld_at_endpoints[i] = eo;
		if (ymap_keys(d, rec, "certificate.endpoints", keys, 5, vals, knodes, ld->ld_err,
		    ld->ld_errlen) != 0)
			return -1;
		if (vals[0] == NULL || vals[1] == NULL)
			return sc_err(ld, &eo, "certificate.endpoints", "each endpoint needs 'sni' "
			    "and 'chain'");
		if (yscalar(d, vals[0], "certificate.endpoints.sni", &text, ld->ld_err,
		    ld->ld_errlen) != 0)
			return -1;
		o = sc_at_node(ld, vals[0]);
		if (val_hostname(text, msg, sizeof(msg)) != 0)
			return sc_err(ld, &o, "certificate.endpoints.sni", "%s", msg);
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(sc->endpoints[k].sni, text) == 0)
				return sc_err(ld, &o, "certificate.endpoints.sni", "'%s' twice", text);
		memcpy(e->sni, text, strlen(text) + 1);
		if (chain_yaml(ld, d, vals[1], "certificate.endpoints.chain", e->chain,
		    sizeof(e->chain)) != 0)
			return -1;
		if (vals[2] != NULL && variant_yaml(ld, d, vals[2], "certificate.endpoints.variant",
		    &e->variant) != 0)
			return -1;
		if (policy_yaml(ld, d, vals[3], vals[4], "certificate.endpoints", &e->pol) != 0)
			return -1;
		sc->n_endpoints = i + 1;
	}
	return 0;
}

/* listeners: a list of {port[, name, chain, variant, versions, ciphers]}
 * (at most 4); names and ports once each. */
int
sc_listeners_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v)
{
	static const char *const keys[] = { "port", "name", "chain", "variant", "versions",
	    "ciphers" };
	const struct ynode *seq;
	struct sc_origin o = sc_at_node(ld, v);
	struct scenario *sc = &ld->ld_sc;

	if (yseq(d, v, "listeners", SC_MAX_LIST_ITEMS, &seq, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	if (seq->yn_nkids > SC_MAX_LISTENERS)
		return sc_err(ld, &o, "listeners", "too many listeners (%zu, at most %d besides "
		    "--listen)", seq->yn_nkids, SC_MAX_LISTENERS);
	sc->n_listeners = 0;
	for (size_t i = 0; i < seq->yn_nkids; i++) {
		const struct ynode *rec = ynode_deref(seq->yn_kids[i]), *vals[6], *knodes[6];
		struct sc_listener *l = &sc->listeners[i];
		const char *text;
		struct sc_origin lo = sc_at_node(ld, rec);
		unsigned long port;
		char *end;

		memset(l, 0, sizeof(*l));
		ld->ld_at_listeners[i] = lo;
		if (ymap_keys(d, rec, "listeners", keys, 6, vals, knodes, ld->ld_err,
		    ld->ld_errlen) != 0)
			return -1;
		if (vals[0] == NULL)
			return sc_err(ld, &lo, "listeners", "each listener needs 'port' (0: any free "
			    "port)");
		if (yscalar(d, vals[0], "listeners.port", &text, ld->ld_err, ld->ld_errlen) != 0)
			return -1;
		o = sc_at_node(ld, vals[0]);
		port = strtoul(text, &end, 10);
		if (*text < '0' || *text > '9' || *end != '\0' || port > 65535)
			return sc_err(ld, &o, "listeners.port", "'%.32s' is not a port 0..65535", text);
		l->port = (uint16_t)port;
		for (size_t k = 0; k < i && port != 0; k++)
			if (sc->listeners[k].port == port)
				return sc_err(ld, &o, "listeners.port", "port %lu twice", port);
		if (vals[1] != NULL) {
			if (yscalar(d, vals[1], "listeners.name", &text, ld->ld_err,
			    ld->ld_errlen) != 0)
				return -1;
			o = sc_at_node(ld, vals[1]);
			size_t n = strlen(text);
			if (n == 0 || n >= sizeof(l->name) || strspn(text,
			    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n || strcmp(text, "main") == 0)
				return sc_err(ld, &o, "listeners.name", "'%.40s' is not a listener name "
				    "(1..31 of a-z, 0-9, '-', '_'; not 'main')", text);
			memcpy(l->name, text, n + 1);
		} else {
			(void)snprintf(l->name, sizeof(l->name), "listener-%zu", i + 1);
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(sc->listeners[k].name, l->name) == 0)
				return sc_err(ld, &lo, "listeners.name", "'%s' twice", l->name);
		if (vals[2] != NULL && chain_yaml(ld, d, vals[2], "listeners.chain", l->chain,
		    sizeof(l->chain)) != 0)
			return -1;
		if (vals[3] != NULL) {
			if (vals[2] == NULL) {
				o = sc_at_node(ld, vals[3]);
				return sc_err(ld, &o, "listeners.variant", "a variant needs the "
				    "listener's own chain");
			}
			if (variant_yaml(ld, d, vals[3], "listeners.variant", &l->variant) != 0)
				return -1;
		}
		if (policy_yaml(ld, d, vals[4], vals[5], "listeners", &l->pol) != 0)
			return -1;
		sc->n_listeners = i + 1;
	}
	return 0;
}

/* pol resolved against the scenario's tls.* (a copy of it, overridden). */
static int
policy_resolve(struct sc_load *ld, struct sc_policy *pol, const char *chain,
               const struct sc_origin *at, const char *key, const char *what)
{
	char msg[1024];

	if (!pol->set)
		return 0;
	struct scenario *copy = malloc(sizeof(*copy));
	if (copy == NULL) {
		(void)snprintf(ld->ld_err, ld->ld_errlen, "out of memory");
		return -1;
	}
	/* the copy serves only this entry's chain: its checks are the entry's */
	*copy = ld->ld_sc;
	copy->n_timeline = 0;
	copy->n_endpoints = 0;
	copy->n_listeners = 0;
	copy->overlap.on = false;
	copy->cross_by[0] = '\0';
	copy->crl_mode = SC_CRL_OFF;
	copy->aia_mode = SC_AIA_OFF;
	(void)snprintf(copy->chain, sizeof(copy->chain), "%s", chain);
	int rc = sc_policy_apply(copy, what, (const char (*)[16])pol->versions, pol->n_versions,
	    (const char (*)[96])pol->ciphers, pol->n_ciphers, msg, sizeof(msg));
	if (rc == 0) {
		pol->min_minor = copy->min_minor;
		pol->max_minor = copy->max_minor;
		memcpy(pol->suites, copy->suites, sizeof(pol->suites));
		pol->n_suites = copy->n_suites;
	}
	free(copy);
	return rc == 0 ? 0 : sc_err(ld, at, key, "%s", msg);
}

/* The leaf key of chain profile name is EC. -1 with ld_err (unknown or a
 * client profile). */
static int
chain_is_ec(struct sc_load *ld, const char *name, const struct sc_origin *at, const char *key,
            const char *what, bool *ec)
{
	struct pki_profile p;
	char msg[1024];

	if (profile_load_by_name(name, &p, msg, sizeof(msg)) != 0)
		return sc_err(ld, at, key, "%s: %s", what, msg);
	if (p.purpose != PKI_PURPOSE_SERVER)
		return sc_err(ld, at, key, "%s: '%s' is for client certificates", what, name);
	enum pki_key_type k = ld->ld_sc.leaf_key_set ? ld->ld_sc.leaf_key : p.leaf.key;
	*ec = k == PKI_KEY_EC_P256 || k == PKI_KEY_EC_P384;
	return 0;
}

/* Some suite of the policy (own, else the scenario's) serves an ec key. */
static int
policy_fits(struct sc_load *ld, const struct sc_policy *pol, bool ec, const char *chain,
            const struct sc_origin *at, const char *key, const char *what)
{
	const int *suites = pol->set ? pol->suites : ld->ld_sc.suites;
	for (size_t i = 0; suites[i] != 0; i++) {
		const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(suites[i]);
		if (cs != NULL && tls_suite_fits_key(cs, ec))
			return 0;
	}
	return sc_err(ld, at, key, "%s: no cipher suite of %s fits the %s leaf key of '%s' (%s)",
	    what, pol->set ? "its policy" : "tls.ciphers", ec ? "EC" : "RSA", chain,
	    ec ? "an EC key needs ECDHE_ECDSA suites" :
	         "an RSA key needs RSA, ECDHE_RSA or DHE_RSA suites");
}

int
sc_policies_resolve(struct sc_load *ld)
{
	struct scenario *sc = &ld->ld_sc;
	char what[300];
	bool ec;

	for (size_t i = 0; i < sc->n_endpoints; i++) {
		struct sc_endpoint *e = &sc->endpoints[i];
		const struct sc_origin *at = &ld->ld_at_endpoints[i];
		(void)snprintf(what, sizeof(what), "endpoint %s", e->sni);
		if (policy_resolve(ld, &e->pol, e->chain, at, "certificate.endpoints", what) != 0 ||
		    chain_is_ec(ld, e->chain, at, "certificate.endpoints", what, &ec) != 0 ||
		    policy_fits(ld, &e->pol, ec, e->chain, at, "certificate.endpoints", what) != 0)
			return -1;
	}
	for (size_t i = 0; i < sc->n_listeners; i++) {
		struct sc_listener *l = &sc->listeners[i];
		const struct sc_origin *at = &ld->ld_at_listeners[i];
		const char *chain = l->chain[0] != '\0' ? l->chain : sc->chain;
		(void)snprintf(what, sizeof(what), "listener %s", l->name);
		if (policy_resolve(ld, &l->pol, chain, at, "listeners", what) != 0 ||
		    chain_is_ec(ld, chain, at, "listeners", what, &ec) != 0 ||
		    policy_fits(ld, &l->pol, ec, chain, at, "listeners", what) != 0)
			return -1;
	}
	return 0;
}
