/*
 * scenario: load a scenario file (and its `base:` chain) over the built-in
 * defaults, apply P2SGW_* environment overrides, then validate
 * (scenario_check.c). Schema and defaults: docs/scenarios.md.
 *
 * Every setting is one row of the field table below: its dotted key, the
 * environment variable that overrides it, whether it is a list, and the
 * setter that parses it. The YAML walker and the environment reader both
 * end in the same setter, so both accept exactly the same values.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <mbedtls/md.h>
#include <mbedtls/ssl.h>

#include "config/paths.h"
#include "config/scenario.h"
#include "config/scenario_int.h"
#include "config/suggest.h"
#include "config/values.h"
#include "config/yaml_util.h"
#include "util/file.h"
#include "tls/tls_names.h"

extern char **environ;

#define DEFAULT_HOSTNAME "azuregateway-4b7f0c2e-9d1a-4c3b-8e5f-6a2d1c0b9e87.cloudapp.net"

/* One value as read: text and where it came from. */
struct sc_item {
	const char       *text;
	struct sc_origin  at;
};

struct sc_field;
typedef int (*sc_setter)(struct sc_load *, const struct sc_field *, const struct sc_item *,
                         size_t, const struct sc_origin *);

/* What a field holds. A record list is a list of mappings with the keys
 * sub[]; its setter gets the values record by record (n records of nsub
 * items, every key required). In the environment a record is written
 * env_form (two keys only: "name:password", split at the first ':';
 * "ADDRESS:PORT:SECRET", split after the port), records comma-separated. */
enum sc_kind { SC_ONE, SC_LIST, SC_RECORDS };
#define SC_MAX_SUBKEYS 2

struct sc_field {
	const char        *key;   /* dotted path in the YAML */
	const char        *env;   /* P2SGW_* override, or NULL */
	enum sc_kind       kind;
	sc_setter          set;   /* NULL: handled by the loader itself (base) */
	const char *const *sub;   /* SC_RECORDS: the keys of one record, NULL-terminated */
	/* a field with its own YAML reader (timeline: mappings whose keys depend
	 * on one of them); no environment variable, not for scenario_override */
	int (*node_set)(struct sc_load *, const struct ydoc *, const struct ynode *);
	const char        *env_form; /* SC_RECORDS: how a record is written in the environment */
};

/* ---- setters --------------------------------------------------------- */

/* Parse failures of one value: "<where>: key '<key>': <msg>". */
static int
bad(struct sc_load *ld, const struct sc_field *f, const struct sc_origin *at, const char *msg)
{
	return sc_err(ld, at, f->key, "%s", msg);
}

static int
set_name(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
         const struct sc_origin *at)
{
	char msg[256];

	if (val_name(it[0].text, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	/* A base file's name and description describe that file, not this one. */
	if (ld->ld_depth == 0) {
		memcpy(ld->ld_sc.name, it[0].text, strlen(it[0].text) + 1);
		ld->ld_name_set = true;
	}
	return 0;
}

static int
set_description(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                size_t n, const struct sc_origin *at)
{
	size_t len = strlen(it[0].text);

	if (len >= sizeof(ld->ld_sc.description))
		return sc_err(ld, &it[0].at, f->key, "too long (%zu characters, at most %zu)", len,
		    sizeof(ld->ld_sc.description) - 1);
	if (ld->ld_depth == 0)
		memcpy(ld->ld_sc.description, it[0].text, len + 1);
	return 0;
}

static int
set_hostname(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	char msg[256];

	if (val_hostname(it[0].text, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	memcpy(ld->ld_sc.hostname, it[0].text, strlen(it[0].text) + 1);
	return 0;
}

static int
set_clock(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
          const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	char msg[256];
	bool fixed;
	time_t t = 0;
	int64_t off = 0;

	if (val_clock(it[0].text, &fixed, &t, &off, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	sc->clock_fixed = fixed;
	sc->clock_at = fixed ? t : 0;
	sc->clock_offset = fixed ? 0 : off;
	return 0;
}

/* gateway.clock_speed and gateway.seed */
static int
set_clock_number(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
                 const struct sc_origin *at)
{
	bool speed = strcmp(f->key, "gateway.clock_speed") == 0;
	char msg[256];
	uint64_t v;

	if (val_uint(it[0].text, 0, speed ? SC_MAX_CLOCK_SPEED : UINT64_MAX, &v, msg,
	    sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	if (speed) {
		ld->ld_sc.clock_speed = (uint32_t)v;
		ld->ld_sc.clock_speed_set = true;
	} else {
		ld->ld_sc.seed = v;
		ld->ld_sc.seed_set = true;
	}
	return 0;
}

static int
set_cross_by(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	char path[CONFIG_PATH_MAX], msg[1024];

	if (strcmp(it[0].text, "none") == 0) {
		ld->ld_sc.cross_by[0] = '\0';
		return 0;
	}
	if (config_find_file("certs", it[0].text, path, sizeof(path), msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	memcpy(ld->ld_sc.cross_by, it[0].text, strlen(it[0].text) + 1);
	return 0;
}

static int
set_overlap(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	struct sc_overlap *o = &ld->ld_sc.overlap;
	const char *key = f->key + strlen("certificate.overlap.");
	char path[CONFIG_PATH_MAX], msg[1024];
	int v;

	if (strcmp(key, "chain") == 0) {
		if (config_find_file("certs", it[0].text, path, sizeof(path), msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[0].at, msg);
		memcpy(o->chain, it[0].text, strlen(it[0].text) + 1);
		o->on = true;
	} else if (strcmp(key, "variant") == 0) {
		if (val_variant(it[0].text, &v, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[0].at, msg);
		o->variant = v;
	} else if (strcmp(key, "share") == 0 || strcmp(key, "clients") == 0) {
		/* the same words as a network fault's share and clients */
		struct sc_netfault nf;
		sc_netfault_init(&nf);
		if (sc_netfault_set(&nf, key, it[0].text, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[0].at, msg);
		if (key[0] == 's') {
			o->share = nf.share;
		} else {
			o->has_clients = true;
			o->net = nf.net;
			o->mask = nf.mask;
		}
	} else {  /* sni */
		if (n > SC_MAX_OVERLAP_SNI)
			return bad(ld, f, &it[SC_MAX_OVERLAP_SNI].at, "at most 4 names");
		for (size_t i = 0; i < n; i++) {
			if (val_hostname(it[i].text, msg, sizeof(msg)) != 0)
				return bad(ld, f, &it[i].at, msg);
			memcpy(o->sni[i], it[i].text, strlen(it[i].text) + 1);
		}
		o->n_sni = n;
	}
	return 0;
}

void
scenario_rotate(struct scenario *sc, const char *chain, int variant)
{
	snprintf(sc->chain, sizeof(sc->chain), "%s", chain);
	sc->variant = (enum pki_variant)variant;
	memset(&sc->overlap, 0, sizeof(sc->overlap));
}

json_t *
scenario_overlap_json(const struct sc_overlap *o, const char *root_file)
{
	json_t *j = json_object(), *names = json_array();
	char buf[40];
	json_object_set_new(j, "chain", json_string(o->chain));
	json_object_set_new(j, "variant", json_string(pki_variant_name((enum pki_variant)o->variant)));
	json_object_set_new(j, "share", json_integer((json_int_t)o->share));
	if (o->has_clients) {
		unsigned bits = 0;
		for (uint32_t m = o->mask; m & 0x80000000u; m <<= 1)
			bits++;
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", o->net >> 24, (o->net >> 16) & 255,
		    (o->net >> 8) & 255, o->net & 255, bits);
		json_object_set_new(j, "clients", json_string(buf));
	}
	for (size_t i = 0; i < o->n_sni; i++)
		json_array_append_new(names, json_string(o->sni[i]));
	json_object_set_new(j, "sni", names);
	if (root_file != NULL)
		json_object_set_new(j, "root_file", json_string(root_file));
	return j;
}

bool
scenario_overlap_pick(const struct sc_overlap *o, const char *sni, uint32_t addr, uint64_t turn)
{
	if (!o->on)
		return false;
	for (size_t i = 0; sni != NULL && i < o->n_sni; i++)
		if (strcasecmp(sni, o->sni[i]) == 0)
			return true;
	if (o->has_clients && addr != 0 && (addr & o->mask) == o->net)
		return true;
	/* share percent of the turns, spread evenly: turn n is picked when
	 * floor((n + 1) * share / 100) steps up */
	return (turn + 1) * o->share / 100 > turn * o->share / 100;
}

/* Connection limits: key, field, range. */
static const struct {
	const char *key;
	size_t      off;
	uint64_t    lo, hi;
} limits[] = {
	{ "gateway.max_connections", offsetof(struct scenario, max_connections), 1, 100000 },
	{ "gateway.max_half_open", offsetof(struct scenario, max_half_open), 1, 100000 },
	{ "gateway.max_per_address", offsetof(struct scenario, max_per_address), 0, 100000 },
};

static int
set_limit(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
          size_t n, const struct sc_origin *at)
{
	char msg[256];
	uint64_t v;

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (strcmp(f->key, limits[i].key) != 0)
			continue;
		if (val_uint(it[0].text, limits[i].lo, limits[i].hi, &v, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[0].at, msg);
		*(unsigned *)(void *)((char *)&ld->ld_sc + limits[i].off) = (unsigned)v;
		return 0;
	}
	return bad(ld, f, &it[0].at, "no such limit");
}

static const char *
minor_name(int minor)
{
	static const char *const names[] = { "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2" };

	return minor >= 0 && minor <= 3 ? names[minor] : "?";
}

/* A contiguous list of TLS versions -> [*plo, *phi] (minor numbers). */
static int
parse_versions(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
               const struct sc_origin *at, int *plo, int *phi)
{
	char msg[256];
	unsigned set = 0;
	int lo = 4, hi = 0;

	if (n == 0)
		return sc_err(ld, at, f->key, "at least one version is needed");
	for (size_t i = 0; i < n; i++) {
		int minor;
		if (val_version(it[i].text, &minor, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[i].at, msg);
		set |= 1u << minor;
		lo = minor < lo ? minor : lo;
		hi = minor > hi ? minor : hi;
	}
	/* mbedTLS takes a minimum and a maximum: no holes. */
	for (int m = lo; m <= hi; m++)
		if ((set & (1u << m)) == 0)
			return sc_err(ld, at, f->key,
			    "versions must be contiguous: %s and %s without %s "
			    "(mbedTLS takes a minimum and a maximum)",
			    minor_name(lo), minor_name(hi), minor_name(m));
	*plo = lo;
	*phi = hi;
	return 0;
}

static int
set_versions(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	if (parse_versions(ld, f, it, n, at, &ld->ld_sc.min_minor, &ld->ld_sc.max_minor) != 0)
		return -1;
	ld->ld_at_versions = *at;
	return 0;
}

/* ppp.eap_tls.tls_versions: the TLS inside EAP-TLS, independent of the outer TLS
 * (Windows 7/8 speak TLS 1.0 there until RasMan's TlsVersion says otherwise). */
static int
set_eap_versions(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
                 const struct sc_origin *at)
{
	return parse_versions(ld, f, it, n, at, &ld->ld_sc.eap_min_minor, &ld->ld_sc.eap_max_minor);
}

static int
set_ciphers(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	if (n == 0)
		return sc_err(ld, at, f->key, "at least one cipher suite or preset is needed");
	for (size_t i = 0; i < n; i++) {
		struct sc_cipher_item *c = &ld->ld_ciphers[i];
		const char *s = it[i].text;
		int id = -1;
		bool preset = scenario_cipher_preset(s, NULL) != NULL;

		if (!preset && strlen(s) < sizeof(c->name))
			id = tls_suite_from_name(s);
		if (!preset && id < 0) {
			const char *cands[SC_MAX_SUITES * 2 + 8];
			size_t nc = 0, np;
			const char *const *pn = scenario_cipher_preset_names(&np);
			for (size_t j = 0; j < np; j++)
				cands[nc++] = pn[j];
			for (const int *l = mbedtls_ssl_list_ciphersuites();
			     *l != 0 && nc < sizeof(cands) / sizeof(cands[0]); l++)
				if ((cands[nc] = tls_suite_name((uint16_t)*l)) != NULL)
					nc++;
			char msg[256];
			(void)snprintf(msg, sizeof(msg),
			    "unknown cipher suite or preset '%.100s' (IANA names such as "
			    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, or azure-2018, azure-2024, "
			    "azure-pre-2018)", s);
			config_append_suggestion(msg, sizeof(msg), s, cands, nc);
			return bad(ld, f, &it[i].at, msg);
		}
		c->preset = preset;
		c->id = id;
		memcpy(c->name, s, strlen(s) + 1); /* presets are short; suites checked above */
		c->at = it[i].at;
	}
	ld->ld_nciphers = n;
	ld->ld_at_ciphers = *at;
	return 0;
}

static int
set_sig_hashes(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
               size_t n, const struct sc_origin *at)
{
	int *h = ld->ld_sc.sig_hashes;
	size_t k = 0;
	char msg[256];

	for (size_t i = 0; i < n; i++) {
		int md;
		if (val_sig_hash(it[i].text, &md, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[i].at, msg);
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = h[j] == md;
		if (!dup)
			h[k++] = md; /* at most 6 distinct names < SC_MAX_HASHES */
	}
	h[k] = MBEDTLS_MD_NONE;
	ld->ld_at_hashes = *at;
	return 0;
}

static int
set_curves(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
           const struct sc_origin *at)
{
	mbedtls_ecp_group_id *c = ld->ld_sc.curves;
	size_t k = 0;
	char msg[256];

	for (size_t i = 0; i < n; i++) {
		mbedtls_ecp_group_id g;
		if (val_curve(it[i].text, &g, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[i].at, msg);
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = c[j] == g;
		if (dup)
			continue;
		if (k == SC_MAX_CURVES)
			return sc_err(ld, &it[i].at, f->key, "more than %d curves", SC_MAX_CURVES);
		c[k++] = g;
	}
	c[k] = MBEDTLS_ECP_DP_NONE;
	ld->ld_at_curves = *at;
	return 0;
}

static int
set_resumption(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
               size_t n, const struct sc_origin *at)
{
	char msg[256];

	if (val_bool(it[0].text, &ld->ld_sc.session_resumption, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	return 0;
}

/* Durations: key, field, range. */
static const struct {
	const char *key;
	size_t      off;
	uint32_t    lo, hi;
} durations[] = {
	{ "tls.handshake_timeout", offsetof(struct scenario, handshake_timeout_ms), 100, 600000 },
	{ "tls.idle_timeout", offsetof(struct scenario, idle_timeout_ms), 1000, 24 * 3600000 },
	{ "tls.stall_timeout", offsetof(struct scenario, stall_timeout_ms), 1000, 3600000 },
	{ "sstp.negotiation_timeout", offsetof(struct scenario, sstp_negotiation_timeout_ms), 1000,
	  600000 },
	{ "sstp.hello_interval", offsetof(struct scenario, sstp_hello_interval_ms), 1000, 3600000 },
	{ "radius.timeout", offsetof(struct scenario, radius_timeout_ms), 1000, 120000 },
	{ "radius.dead_time", offsetof(struct scenario, radius_dead_time_ms), 0, 3600000 },
};

static int
set_timeout(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	char msg[256];
	uint32_t v;

	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (strcmp(f->key, durations[i].key) != 0)
			continue;
		if (val_duration_ms(it[0].text, durations[i].lo, durations[i].hi, &v, msg,
		        sizeof(msg)) != 0)
			return bad(ld, f, &it[0].at, msg);
		memcpy((char *)&ld->ld_sc + durations[i].off, &v, sizeof(v));
		return 0;
	}
	return sc_err(ld, at, f->key, "no such duration (internal error)");
}

/* Whole numbers: key, range. */
/* How near the file asked for a value is being set: its depth, -1 for
 * the environment. */
static int
sc_level(const struct sc_load *ld)
{
	return ld->ld_in_env ? -1 : ld->ld_depth;
}

static int
set_number(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
           const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	uint64_t v, lo = 0, hi = 65535;
	char msg[256];

	if (strcmp(f->key, "sstp.max_sessions") == 0) {
		lo = 1;
		hi = 100000;
	} else if (strcmp(f->key, "ppp.auth_retries") == 0) {
		lo = 1;
		hi = 10;
	} else if (strcmp(f->key, "ppp.mru") == 0) {
		lo = 128;
		hi = 4091;
	} else if (strcmp(f->key, "radius.retries") == 0) {
		lo = 1;
		hi = 10;
	} else if (strcmp(f->key, "radius.no_answer_error") == 0) {
		lo = 600; /* RAS error codes */
		hi = 999;
	}
	if (val_uint(it[0].text, lo, hi, &v, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	if (strcmp(f->key, "sstp.max_sessions") == 0) {
		sc->sstp_max_sessions = (unsigned)v;
		ld->ld_lvl_sessions = sc_level(ld);
	}
	else if (strcmp(f->key, "ppp.auth_retries") == 0)
		sc->ppp_auth_retries = (unsigned)v;
	else if (strcmp(f->key, "ppp.mru") == 0)
		sc->ppp_mru = (uint16_t)v;
	else if (strcmp(f->key, "radius.retries") == 0)
		sc->radius_retries = (unsigned)v;
	else if (strcmp(f->key, "radius.no_answer_error") == 0)
		sc->radius_no_answer_error = (unsigned)v;
	else if (strcmp(f->key, "network.udp_sink_port") == 0)
		sc->udp_sink_port = (uint16_t)v;
	else if (strcmp(f->key, "network.udp_source_port") == 0)
		sc->udp_source_port = (uint16_t)v;
	else
		sc->udp_echo_port = (uint16_t)v;
	return 0;
}

/* A name among names[] (case-insensitive): its index, or -1 with a message
 * that lists them and suggests one. */
static int
one_of(const char *s, const char *what, const char *const *names, size_t n, char *msg,
       size_t msglen)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	(void)snprintf(msg, msglen, "unknown %s '%.64s' (one of", what, s);
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(msg);
		(void)snprintf(msg + used, msglen - used, " %s", names[i]);
	}
	size_t used = strlen(msg);
	(void)snprintf(msg + used, msglen - used, ")");
	config_append_suggestion(msg, msglen, s, names, n);
	return -1;
}

/* ---- sstp ---- */

static int
set_sstp_hashes(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                size_t n, const struct sc_origin *at)
{
	static const char *const names[] = { "sha1", "sha256" };
	uint8_t mask = 0;
	char msg[256];

	if (n == 0)
		return sc_err(ld, at, f->key, "at least one of sha1, sha256 is needed");
	for (size_t i = 0; i < n; i++) {
		const char *s = it[i].text;
		int k;
		/* "sha-256" as in val_sig_hash */
		if (strcasecmp(s, "sha-1") == 0)
			k = 0;
		else if (strcasecmp(s, "sha-256") == 0)
			k = 1;
		else if ((k = one_of(s, "SSTP hash protocol", names, 2, msg, sizeof(msg))) < 0)
			return bad(ld, f, &it[i].at, msg);
		mask |= (uint8_t)(k == 0 ? 1 : 2); /* CERT_HASH_PROTOCOL_SHA1 = 1, SHA256 = 2 */
	}
	ld->ld_sc.sstp_hash_bitmask = mask;
	return 0;
}

/* The index of the value among names[], or -1 after reporting it. */
static int
choice(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, const char *what,
       const char *const *names, size_t n)
{
	char msg[256];
	int k = one_of(it[0].text, what, names, n, msg, sizeof(msg));

	if (k < 0)
		bad(ld, f, &it[0].at, msg);
	return k;
}

static int
set_at_limit(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	static const char *const names[] = { "http-503", "reset" };
	int k = choice(ld, f, it, "action", names, 2);

	if (k < 0)
		return -1;
	ld->ld_sc.sstp_limit_action = k == 0 ? SC_LIMIT_HTTP_503 : SC_LIMIT_RESET;
	return 0;
}

static int
set_backend(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	static const char *const names[] = { "responder", "tun" };
	int k = choice(ld, f, it, "backend", names, 2);

	if (k < 0)
		return -1;
	ld->ld_sc.backend = k == 0 ? SC_BACKEND_RESPONDER : SC_BACKEND_TUN;
	return 0;
}

/* An interface name: 1..15 characters of [A-Za-z0-9_.-]. */
static int
set_tun_name(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	const char *v = it[0].text;
	size_t len = strlen(v);

	if (len == 0 || len >= sizeof(ld->ld_sc.tun_name) || strspn(v,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return bad(ld, f, &it[0].at,
		    "an interface name is 1..15 characters of letters, digits, '_', '.', '-'");
	memcpy(ld->ld_sc.tun_name, v, len + 1);
	return 0;
}

static int
set_throughput(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
               size_t n, const struct sc_origin *at)
{
	char msg[512];
	bool tunnel = strcmp(f->key, "sstp.throughput_per_tunnel") == 0;

	if (val_rate(it[0].text, tunnel ? &ld->ld_sc.throughput_tunnel_bps :
	    &ld->ld_sc.throughput_bps, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	if (!tunnel)
		ld->ld_lvl_throughput = sc_level(ld);
	return 0;
}

/*
 * The SKU table. Basic and VpnGw1-3: Azure's "Gateway SKUs by tunnel,
 * connection, and throughput" (azure-docs include
 * vpn-gateway-table-gwtype-aggtput-include.md, 2018-10-29): 128 SSTP
 * connections on every SKU; 100 Mbps, 650 Mbps, 1 Gbps, 1.25 Gbps; the AZ
 * SKUs have the figures of their base SKU (Azure's gateway SKU list).
 * VpnGw4/5: 5 and 10 Gbps from a secondary source (an AZ-700 study guide),
 * not seen in a Microsoft table here; 128 SSTP as on every SKU.
 */
#define SKU_AZURE "Azure VPN Gateway SKU table"
#define SKU_SECONDARY "secondary source (AZ-700 study guide); SSTP 128 as on every SKU"
static const struct sc_sku_info skus[SC_SKU__COUNT] = {
	[SC_SKU_BASIC]    = { "Basic", 128, 100000000 / 8, "100Mbit", false, SKU_AZURE },
	[SC_SKU_VPNGW1]   = { "VpnGw1", 128, 650000000 / 8, "650Mbit", true, SKU_AZURE },
	[SC_SKU_VPNGW2]   = { "VpnGw2", 128, 1000000000 / 8, "1Gbit", true, SKU_AZURE },
	[SC_SKU_VPNGW3]   = { "VpnGw3", 128, 1250000000 / 8, "1.25Gbit", true, SKU_AZURE },
	[SC_SKU_VPNGW4]   = { "VpnGw4", 128, 5000000000ULL / 8, "5Gbit", true, SKU_SECONDARY },
	[SC_SKU_VPNGW5]   = { "VpnGw5", 128, 10000000000ULL / 8, "10Gbit", true, SKU_SECONDARY },
	[SC_SKU_VPNGW1AZ] = { "VpnGw1AZ", 128, 650000000 / 8, "650Mbit", true, SKU_AZURE },
	[SC_SKU_VPNGW2AZ] = { "VpnGw2AZ", 128, 1000000000 / 8, "1Gbit", true, SKU_AZURE },
	[SC_SKU_VPNGW3AZ] = { "VpnGw3AZ", 128, 1250000000 / 8, "1.25Gbit", true, SKU_AZURE },
	[SC_SKU_VPNGW4AZ] = { "VpnGw4AZ", 128, 5000000000ULL / 8, "5Gbit", true, SKU_SECONDARY },
	[SC_SKU_VPNGW5AZ] = { "VpnGw5AZ", 128, 10000000000ULL / 8, "10Gbit", true, SKU_SECONDARY },
};

const struct sc_sku_info *
sc_sku_info(enum sc_sku sku)
{
	if (sku <= SC_SKU_NONE || sku >= SC_SKU__COUNT)
		return NULL;
	return &skus[sku];
}

/* ---- ppp ---- */

static int
set_ppp_auth(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	static const char *const names[] = { "mschapv2", "eap-tls" };
	struct scenario *sc = &ld->ld_sc;
	int got[2] = { 0, 0 };
	char msg[256];

	if (n == 0)
		return sc_err(ld, at, f->key, "at least one method is needed (mschapv2, eap-tls)");
	for (size_t i = 0; i < n; i++) {
		int k = one_of(it[i].text, "authentication method", names, 2, msg, sizeof(msg));
		if (k < 0)
			return bad(ld, f, &it[i].at, msg);
		int a = k == 0 ? SC_AUTH_MSCHAPV2 : SC_AUTH_EAP_TLS;
		for (size_t j = 0; j < i; j++)
			if (got[j] == a)
				return sc_err(ld, &it[i].at, f->key, "%s is listed twice", names[k]);
		got[i] = a;
	}
	memcpy(sc->ppp_auth, got, n * sizeof(got[0]));
	sc->n_ppp_auth = n;
	ld->ld_at_auth = *at;
	return 0;
}

/* "ppp.users" + "name" -> "ppp.users.name" */
static const char *
subkey(const struct sc_field *f, size_t j, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s.%s", f->key, f->sub[j]);
	return buf;
}

static int
set_users(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
          const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	struct sc_user users[SC_MAX_USERS];
	char key[64];

	if (n > SC_MAX_USERS)
		return sc_err(ld, at, f->key, "too many users (%zu, at most %d)", n, SC_MAX_USERS);
	for (size_t i = 0; i < n; i++) {
		const struct sc_item *name = &it[2 * i], *pw = &it[2 * i + 1];
		size_t len = strlen(name->text), plen = strlen(pw->text);

		if (len == 0 || len >= sizeof(users[i].name))
			return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)),
			    "user name must be 1..%zu characters, not %zu", sizeof(users[i].name) - 1,
			    len);
		if (name->text[0] == ' ' || name->text[len - 1] == ' ')
			return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)),
			    "'%.64s': a user name must not start or end with a blank", name->text);
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)name->text[k];
			if (c < 0x20 || c > 0x7e || c == '\\')
				return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)),
				    "'%.64s': character %zu is not allowed in a user name (printable "
				    "ASCII without '\\': the gateway compares names without the "
				    "client's DOMAIN\\ prefix)", name->text, k + 1);
		}
		/* The password is never echoed in messages. */
		if (plen >= sizeof(users[i].password))
			return sc_err(ld, &pw->at, subkey(f, 1, key, sizeof(key)),
			    "password of '%s' too long (%zu characters, at most %zu)", name->text, plen,
			    sizeof(users[i].password) - 1);
		for (size_t k = 0; k < plen; k++) {
			unsigned char c = (unsigned char)pw->text[k];
			if (c < 0x20 || c > 0x7e)
				return sc_err(ld, &pw->at, subkey(f, 1, key, sizeof(key)),
				    "password of '%s': character %zu is not printable ASCII (MS-CHAPv2 "
				    "hashes the password as UTF-16 of ASCII here)", name->text, k + 1);
		}
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(users[j].name, name->text) == 0)
				return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)),
				    "user '%s' is listed twice (names are case-insensitive; also as '%s')",
				    name->text, users[j].name);
		memcpy(users[i].name, name->text, len + 1);
		memcpy(users[i].password, pw->text, plen + 1);
	}
	memcpy(sc->users, users, n * sizeof(users[0]));
	sc->n_users = n;
	return 0;
}

static int
set_sku(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
        const struct sc_origin *at)
{
	const char *names[SC_SKU__COUNT - 1];
	for (int i = 1; i < SC_SKU__COUNT; i++)
		names[i - 1] = sc_sku_info((enum sc_sku)i)->name;
	int k = choice(ld, f, it, "gateway SKU", names, sizeof(names) / sizeof(names[0]));
	if (k < 0)
		return -1;
	ld->ld_sc.sku = (enum sc_sku)(k + 1);
	ld->ld_at_sku = it[0].at;
	ld->ld_lvl_sku = sc_level(ld);
	return 0;
}

static int
set_auth_backend(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                 size_t n, const struct sc_origin *at)
{
	static const char *const names[] = { "local", "radius" };
	int k = choice(ld, f, it, "authentication backend", names, 2);
	if (k < 0)
		return -1;
	ld->ld_sc.auth_backend = k == 1 ? SC_AUTHN_RADIUS : SC_AUTHN_LOCAL;
	ld->ld_at_backend = *at;
	return 0;
}

/* radius.servers: [{address: IP:PORT, secret: TEXT | "file:PATH"}]. The
 * secret is never echoed in messages. */
static int
set_radius_servers(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                   size_t n, const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	struct sc_radius_server rs[SC_MAX_RADIUS];
	char key[64], msg[1024];

	if (n == 0 || n > SC_MAX_RADIUS)
		return sc_err(ld, at, f->key, "1 or %d RADIUS servers, not %zu (Azure takes two at "
		    "most)", SC_MAX_RADIUS, n);
	memset(rs, 0, sizeof(rs));
	for (size_t i = 0; i < n; i++) {
		const struct sc_item *addr = &it[2 * i], *sec = &it[2 * i + 1];
		if (val_listen(addr->text, &rs[i].addr, &rs[i].port, msg, sizeof(msg)) != 0)
			return bad(ld, f, &addr->at, msg);
		if (rs[i].port == 0 || rs[i].addr == 0)
			return sc_err(ld, &addr->at, subkey(f, 0, key, sizeof(key)),
			    "'%.64s': a RADIUS server needs an address and a port (1812)", addr->text);
		const char *secret = sec->text;
		char *buf = NULL;
		size_t len = 0;
		if (strncmp(secret, "file:", 5) == 0) {
			if (file_read_all(secret + 5, sizeof(rs[i].secret) - 1 + 2, &buf, &len, msg,
			    sizeof(msg)) != 0) {
				free(buf);
				return sc_err(ld, &sec->at, subkey(f, 1, key, sizeof(key)),
				    "shared secret file: %s", msg);
			}
			while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
				buf[--len] = '\0';
			secret = buf;
		}
		len = strlen(secret);
		int rc = 0;
		if (len == 0 || len >= sizeof(rs[i].secret))
			rc = sc_err(ld, &sec->at, subkey(f, 1, key, sizeof(key)),
			    "the shared secret must be 1..%zu bytes, not %zu", sizeof(rs[i].secret) - 1,
			    len);
		else
			memcpy(rs[i].secret, secret, len + 1);
		if (buf != NULL) {
			memset(buf, 0, len);
			free(buf);
		}
		if (rc != 0)
			return rc;
	}
	memcpy(sc->radius, rs, sizeof(rs));
	sc->n_radius = n;
	ld->ld_at_radius = *at;
	memset(rs, 0, sizeof(rs));
	return 0;
}

static int
set_radius_text(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                size_t n, const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	int station = strcmp(f->key, "radius.called_station_id") == 0;
	char *dst = station ? sc->radius_called_station : sc->radius_nas_identifier;
	size_t cap = station ? sizeof(sc->radius_called_station) : sizeof(sc->radius_nas_identifier);
	size_t len = strlen(it[0].text);

	if (len >= cap || (len == 0 && !station))
		return sc_err(ld, &it[0].at, f->key, "must be %s..%zu characters, not %zu",
		    station ? "0" : "1", cap - 1, len);
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)it[0].text[k] < 0x20 || (unsigned char)it[0].text[k] > 0x7e)
			return sc_err(ld, &it[0].at, f->key, "character %zu is not printable ASCII",
			    k + 1);
	memcpy(dst, it[0].text, len + 1);
	return 0;
}

static int
set_radius_nas_ip(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                  size_t n, const struct sc_origin *at)
{
	char msg[256];
	if (val_ipv4(it[0].text, &ld->ld_sc.radius_nas_ip, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	return 0;
}

static int
set_client_roots(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                 size_t n, const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	struct pki_profile *p;
	char msg[1024];

	if (n > SC_MAX_CLIENT_ROOTS)
		return sc_err(ld, at, f->key,
		    "too many client roots (%zu, at most %d, as on Azure)", n, SC_MAX_CLIENT_ROOTS);
	if ((p = malloc(sizeof(*p))) == NULL)
		return sc_err(ld, at, f->key, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *name = it[i].text;
		int rc = 0;
		for (size_t j = 0; j < i && rc == 0; j++)
			if (strcmp(it[j].text, name) == 0)
				rc = sc_err(ld, &it[i].at, f->key, "'%s' is listed twice", name);
		if (rc == 0 && profile_load_by_name(name, p, msg, sizeof(msg)) != 0)
			rc = bad(ld, f, &it[i].at, msg);
		if (rc == 0 && p->purpose != PKI_PURPOSE_CLIENT)
			rc = sc_err(ld, &it[i].at, f->key,
			    "chain profile '%s' is a gateway chain (purpose: server), not a client "
			    "root (purpose: client)", name);
		if (rc != 0) {
			free(p);
			return -1;
		}
		memcpy(sc->client_roots[i], name, strlen(name) + 1); /* a valid name: < 64 */
	}
	free(p);
	sc->n_client_roots = n;
	ld->ld_at_roots = *at;
	return 0;
}

static int
set_revoked(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	size_t k = 0;
	char msg[256];

	sc->revoke_lab_client = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t t[20];
		if (strcmp(it[i].text, "lab-client") == 0) {
			/* the lab's own client certificate, whatever its thumbprint */
			sc->revoke_lab_client = true;
			continue;
		}
		if (val_thumbprint(it[i].text, t, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[i].at, msg);
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = memcmp(sc->revoked[j], t, sizeof(t)) == 0;
		if (dup)
			continue;
		if (k == SC_MAX_REVOKED)
			return sc_err(ld, &it[i].at, f->key, "more than %d thumbprints",
			    SC_MAX_REVOKED);
		memcpy(sc->revoked[k++], t, sizeof(t));
	}
	sc->n_revoked = k;
	return 0;
}

/* ---- network ---- */

static int
set_pool(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
         const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	char msg[256];

	if (val_cidr(it[0].text, 8, 30, &sc->pool_net, &sc->pool_prefix, msg, sizeof(msg)) != 0 ||
	    val_unicast(sc->pool_net, msg, sizeof(msg)) != 0 ||
	    val_unicast(sc->pool_net | ~val_prefix_mask(sc->pool_prefix), msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	ld->ld_at_pool = it[0].at;
	return 0;
}

static int
set_gateway(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	char msg[256];

	if (val_ipv4(it[0].text, &sc->gateway_ip, msg, sizeof(msg)) != 0 ||
	    val_unicast(sc->gateway_ip, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	ld->ld_at_gateway = it[0].at;
	ld->ld_gateway_set = true;
	return 0;
}

static int
set_dns(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
        const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	uint32_t a[2];
	char msg[256];

	if (n > 2)
		return sc_err(ld, &it[2].at, f->key,
		    "at most 2 DNS servers (IPCP offers a primary and a secondary)");
	for (size_t i = 0; i < n; i++) {
		if (val_ipv4(it[i].text, &a[i], msg, sizeof(msg)) != 0 ||
		    val_unicast(a[i], msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[i].at, msg);
		if (i == 1 && a[0] == a[1])
			return sc_err(ld, &it[i].at, f->key, "%s is listed twice", it[i].text);
	}
	memcpy(sc->dns, a, n * sizeof(a[0]));
	sc->n_dns = n;
	return 0;
}

static int
set_vnet(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
         const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	struct sc_route r[SC_MAX_ROUTES];
	char msg[256];

	if (n > SC_MAX_ROUTES)
		return sc_err(ld, &it[SC_MAX_ROUTES].at, f->key, "more than %d routes",
		    SC_MAX_ROUTES);
	for (size_t i = 0; i < n; i++) {
		if (val_cidr(it[i].text, 1, 32, &r[i].net, &r[i].prefix, msg, sizeof(msg)) != 0)
			return bad(ld, f, &it[i].at, msg);
		for (size_t j = 0; j < i; j++) {
			unsigned p = r[i].prefix < r[j].prefix ? r[i].prefix : r[j].prefix;
			uint32_t m = val_prefix_mask(p);
			if ((r[i].net & m) == (r[j].net & m))
				return sc_err(ld, &it[i].at, f->key,
				    "%s overlaps %s (address spaces of a virtual network must not "
				    "overlap)", it[i].text, it[j].text);
		}
		ld->ld_at_vnet[i] = it[i].at;
	}
	memcpy(sc->vnet, r, n * sizeof(r[0]));
	sc->n_vnet = n;
	return 0;
}

static int
set_hosts(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
          const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	struct vnet_host h[SC_MAX_HOSTS];
	char msg[256], key[64];

	if (n > SC_MAX_HOSTS)
		return sc_err(ld, at, f->key, "too many hosts (%zu, at most %d)", n, SC_MAX_HOSTS);
	for (size_t i = 0; i < n; i++) {
		const struct sc_item *name = &it[2 * i], *addr = &it[2 * i + 1];
		size_t len = strlen(name->text);

		if (val_hostname(name->text, msg, sizeof(msg)) != 0)
			return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)), "%s", msg);
		if (len >= sizeof(h[i].name))
			return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)),
			    "host name too long (%zu characters, at most %zu)", len,
			    sizeof(h[i].name) - 1);
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(h[j].name, name->text) == 0)
				return sc_err(ld, &name->at, subkey(f, 0, key, sizeof(key)),
				    "host '%s' is listed twice (names are case-insensitive)",
				    name->text);
		if (val_ipv4(addr->text, &h[i].addr, msg, sizeof(msg)) != 0 ||
		    val_unicast(h[i].addr, msg, sizeof(msg)) != 0)
			return sc_err(ld, &addr->at, subkey(f, 1, key, sizeof(key)), "%s", msg);
		memcpy(h[i].name, name->text, len + 1);
		ld->ld_at_hosts[i] = addr->at;
	}
	memcpy(sc->hosts, h, n * sizeof(h[0]));
	sc->n_hosts = n;
	return 0;
}

static int
set_refuse(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
           const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	struct tls_refusal *dst = &sc->refuse_malformed;
	char msg[256];

	if (strcmp(f->key, "tls.refuse.version") == 0)
		dst = &sc->refuse_version;
	else if (strcmp(f->key, "tls.refuse.cipher") == 0)
		dst = &sc->refuse_cipher;
	else if (strcmp(f->key, "tls.refuse.too_large") == 0)
		dst = &sc->refuse_too_large;
	if (val_refusal(it[0].text, dst, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	return 0;
}

static int
set_chain(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
          const struct sc_origin *at)
{
	char path[CONFIG_PATH_MAX], msg[1024];

	if (config_find_file("certs", it[0].text, path, sizeof(path), msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	memcpy(ld->ld_sc.chain, it[0].text, strlen(it[0].text) + 1); /* a valid name: < 64 */
	ld->ld_at_chain = it[0].at;
	return 0;
}

static int
set_variant(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
            const struct sc_origin *at)
{
	char msg[256];
	int v;

	if (val_variant(it[0].text, &v, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	ld->ld_sc.variant = (enum pki_variant)v;
	return 0;
}

static int
set_key(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
        const struct sc_origin *at)
{
	char msg[256];
	int k;

	if (val_key_type(it[0].text, &k, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	ld->ld_sc.leaf_key = (enum pki_key_type)k;
	ld->ld_sc.leaf_key_set = true;
	return 0;
}

/* ---- revocation ---- */

static int
set_crl_mode(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
             size_t n, const struct sc_origin *at)
{
	static const char *const names[] = { "off", "ok", "offline", "revoked", "not-found",
		"timeout", "stale", "wrong-key" };
	static const enum sc_crl_mode modes[] = {
		SC_CRL_OFF, SC_CRL_OK, SC_CRL_OFFLINE, SC_CRL_REVOKED, SC_CRL_NOT_FOUND,
		SC_CRL_TIMEOUT, SC_CRL_STALE, SC_CRL_WRONG_KEY,
	};
	int k = choice(ld, f, it, "CRL mode", names, 8);

	if (k < 0)
		return -1;
	ld->ld_sc.crl_mode = modes[k];
	ld->ld_at_crl = it[0].at;
	return 0;
}

static int
set_aia_mode(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
             size_t n, const struct sc_origin *at)
{
	static const char *const names[] = { "off", "ok", "down" };
	int k = choice(ld, f, it, "AIA mode", names, 3);

	if (k < 0)
		return -1;
	ld->ld_sc.aia_mode = (enum sc_aia_mode)k;
	return 0;
}

static int
set_crl_listen(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
               size_t n, const struct sc_origin *at)
{
	char msg[256];
	uint32_t addr;
	uint16_t port;
	size_t len = strlen(it[0].text);

	if (val_listen(it[0].text, &addr, &port, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	if (len >= sizeof(ld->ld_sc.crl_listen))
		return bad(ld, f, &it[0].at, "too long");
	memcpy(ld->ld_sc.crl_listen, it[0].text, len + 1);
	return 0;
}

static int
set_crl_url_host(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                 size_t n, const struct sc_origin *at)
{
	char msg[256];
	size_t len = strlen(it[0].text);

	if (len >= sizeof(ld->ld_sc.crl_url_host))
		return sc_err(ld, &it[0].at, f->key, "too long (%zu characters, at most %zu)", len,
		    sizeof(ld->ld_sc.crl_url_host) - 1);
	if (len > 0 && val_host_port(it[0].text, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	memcpy(ld->ld_sc.crl_url_host, it[0].text, len + 1);
	return 0;
}

/* ---- renewal (docs/scenarios.md "certificate.renew_after") ---- */

/*
 * "off", a share of the leaf's lifetime ("50%"), or the time left before
 * notAfter at which maintenance renews ("6 months", "180d", "180 days"): the
 * seed says the self-signed gateway certificates were renewed when less than
 * 6 months remained.
 */
static int
set_renew_after(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it,
                size_t n, const struct sc_origin *at)
{
	const char *s = it[0].text, *p = s;
	size_t len = strlen(s);
	unsigned v = 0;

	ld->ld_sc.renew_after_pct = 0;
	ld->ld_sc.renew_left = 0;
	ld->ld_sc.renew_left_months = false;
	if (strcmp(s, "off") == 0)
		return 0;
	for (; *p >= '0' && *p <= '9' && v <= 100000; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (p == s || v == 0)
		goto bad;
	if (strcmp(p, "%") == 0 && len <= 3) {
		if (v > 99)
			goto bad;
		ld->ld_sc.renew_after_pct = v;
		return 0;
	}
	while (*p == ' ')
		p++;
	if (strcmp(p, "d") == 0 || strcmp(p, "day") == 0 || strcmp(p, "days") == 0) {
		if (v > 36500)
			goto bad;
		ld->ld_sc.renew_left = v;
		return 0;
	}
	if (strcmp(p, "month") == 0 || strcmp(p, "months") == 0 || strcmp(p, "mo") == 0) {
		if (v > 1200)
			goto bad;
		ld->ld_sc.renew_left = v;
		ld->ld_sc.renew_left_months = true;
		return 0;
	}
bad:
	return sc_err(ld, &it[0].at, f->key, "'%.64s' is neither a share of the leaf's lifetime "
	    "(1%%..99%%, e.g. \"50%%\") nor the time left when it is renewed (e.g. \"6 months\", "
	    "\"180d\"), nor off", s);
}

static int
set_issued(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
           const struct sc_origin *at)
{
	struct scenario *sc = &ld->ld_sc;
	char msg[256];
	bool fixed;
	time_t t = 0;
	int64_t off = 0;

	if (val_clock(it[0].text, &fixed, &t, &off, msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	if (!fixed && off > 0)
		return bad(ld, f, &it[0].at, "a leaf cannot be issued after the gateway clock "
		    "(use an offset such as -300d)");
	sc->issued_set = true;
	sc->issued_fixed = fixed;
	sc->issued_at = fixed ? t : 0;
	sc->issued_offset = fixed ? 0 : off;
	return 0;
}

static int
set_renew_to(struct sc_load *ld, const struct sc_field *f, const struct sc_item *it, size_t n,
             const struct sc_origin *at)
{
	char path[CONFIG_PATH_MAX], msg[1024];

	if (config_find_file("certs", it[0].text, path, sizeof(path), msg, sizeof(msg)) != 0)
		return bad(ld, f, &it[0].at, msg);
	memcpy(ld->ld_sc.renew_to, it[0].text, strlen(it[0].text) + 1); /* a valid name: < 64 */
	return 0;
}

static const char *const user_keys[] = { "name", "password", NULL };
static const char *const radius_keys[] = { "address", "secret", NULL };
static const char *const host_keys[] = { "name", "address", NULL };

#define ONE(k, e, f)  { k, e, SC_ONE, f, NULL, NULL, NULL }
#define LIST(k, e, f) { k, e, SC_LIST, f, NULL, NULL, NULL }
static const struct sc_field fields[] = {
	ONE("name", NULL, set_name),
	ONE("description", NULL, set_description),
	ONE("base", NULL, NULL),
	ONE("gateway.hostname", "P2SGW_GATEWAY_HOSTNAME", set_hostname),
	ONE("gateway.clock", "P2SGW_GATEWAY_CLOCK", set_clock),
	ONE("gateway.clock_speed", "P2SGW_GATEWAY_CLOCK_SPEED", set_clock_number),
	ONE("gateway.seed", "P2SGW_GATEWAY_SEED", set_clock_number),
	ONE("gateway.max_connections", "P2SGW_GATEWAY_MAX_CONNECTIONS", set_limit),
	ONE("gateway.max_half_open", "P2SGW_GATEWAY_MAX_HALF_OPEN", set_limit),
	ONE("gateway.max_per_address", "P2SGW_GATEWAY_MAX_PER_ADDRESS", set_limit),
	ONE("gateway.sku", "P2SGW_GATEWAY_SKU", set_sku),
	LIST("tls.versions", "P2SGW_TLS_VERSIONS", set_versions),
	LIST("tls.ciphers", "P2SGW_TLS_CIPHERS", set_ciphers),
	LIST("tls.signature_hashes", "P2SGW_TLS_SIGNATURE_HASHES", set_sig_hashes),
	LIST("tls.curves", "P2SGW_TLS_CURVES", set_curves),
	ONE("tls.session_resumption", "P2SGW_TLS_SESSION_RESUMPTION", set_resumption),
	ONE("tls.handshake_timeout", "P2SGW_TLS_HANDSHAKE_TIMEOUT", set_timeout),
	ONE("tls.idle_timeout", "P2SGW_TLS_IDLE_TIMEOUT", set_timeout),
	ONE("tls.stall_timeout", "P2SGW_TLS_STALL_TIMEOUT", set_timeout),
	ONE("tls.refuse.version", "P2SGW_TLS_REFUSE_VERSION", set_refuse),
	ONE("tls.refuse.cipher", "P2SGW_TLS_REFUSE_CIPHER", set_refuse),
	ONE("tls.refuse.malformed", "P2SGW_TLS_REFUSE_MALFORMED", set_refuse),
	ONE("tls.refuse.too_large", "P2SGW_TLS_REFUSE_TOO_LARGE", set_refuse),
	LIST("sstp.hash_protocols", "P2SGW_SSTP_HASH_PROTOCOLS", set_sstp_hashes),
	ONE("sstp.negotiation_timeout", "P2SGW_SSTP_NEGOTIATION_TIMEOUT", set_timeout),
	ONE("sstp.hello_interval", "P2SGW_SSTP_HELLO_INTERVAL", set_timeout),
	ONE("sstp.max_sessions", "P2SGW_SSTP_MAX_SESSIONS", set_number),
	ONE("sstp.throughput_per_tunnel", "P2SGW_SSTP_THROUGHPUT_PER_TUNNEL", set_throughput),
	ONE("sstp.at_limit", "P2SGW_SSTP_AT_LIMIT", set_at_limit),
	ONE("sstp.throughput", "P2SGW_SSTP_THROUGHPUT", set_throughput),
	LIST("ppp.auth", "P2SGW_PPP_AUTH", set_ppp_auth),
	ONE("ppp.auth_retries", "P2SGW_PPP_AUTH_RETRIES", set_number),
	ONE("ppp.mru", "P2SGW_PPP_MRU", set_number),
	{ "ppp.users", "P2SGW_PPP_USERS", SC_RECORDS, set_users, user_keys, NULL,
	  "name:password" },
	LIST("ppp.client_roots", "P2SGW_PPP_CLIENT_ROOTS", set_client_roots),
	LIST("ppp.revoked_thumbprints", "P2SGW_PPP_REVOKED_THUMBPRINTS", set_revoked),
	LIST("ppp.eap_tls.tls_versions", "P2SGW_PPP_EAP_TLS_TLS_VERSIONS", set_eap_versions),
	ONE("ppp.auth_backend", "P2SGW_PPP_AUTH_BACKEND", set_auth_backend),
	{ "radius.servers", "P2SGW_RADIUS_SERVERS", SC_RECORDS, set_radius_servers,
	  radius_keys, NULL, "ADDRESS:PORT:SECRET" },
	ONE("radius.timeout", "P2SGW_RADIUS_TIMEOUT", set_timeout),
	ONE("radius.retries", "P2SGW_RADIUS_RETRIES", set_number),
	ONE("radius.dead_time", "P2SGW_RADIUS_DEAD_TIME", set_timeout),
	ONE("radius.nas_identifier", "P2SGW_RADIUS_NAS_IDENTIFIER", set_radius_text),
	ONE("radius.nas_ip_address", "P2SGW_RADIUS_NAS_IP_ADDRESS", set_radius_nas_ip),
	ONE("radius.called_station_id", "P2SGW_RADIUS_CALLED_STATION_ID", set_radius_text),
	ONE("radius.no_answer_error", "P2SGW_RADIUS_NO_ANSWER_ERROR", set_number),
	ONE("network.client_pool", "P2SGW_NETWORK_CLIENT_POOL", set_pool),
	ONE("network.gateway_address", "P2SGW_NETWORK_GATEWAY_ADDRESS", set_gateway),
	LIST("network.dns_servers", "P2SGW_NETWORK_DNS_SERVERS", set_dns),
	LIST("network.vnet", "P2SGW_NETWORK_VNET", set_vnet),
	{ "network.hosts", NULL, SC_RECORDS, set_hosts, host_keys, NULL, NULL },
	ONE("network.udp_echo_port", "P2SGW_NETWORK_UDP_ECHO_PORT", set_number),
	ONE("network.udp_sink_port", "P2SGW_NETWORK_UDP_SINK_PORT", set_number),
	ONE("network.udp_source_port", "P2SGW_NETWORK_UDP_SOURCE_PORT", set_number),
	ONE("network.backend", "P2SGW_NETWORK_BACKEND", set_backend),
	ONE("network.tun_name", "P2SGW_NETWORK_TUN_NAME", set_tun_name),
	ONE("certificate.chain", "P2SGW_CERTIFICATE_CHAIN", set_chain),
	ONE("certificate.variant", "P2SGW_CERTIFICATE_VARIANT", set_variant),
	ONE("certificate.key", "P2SGW_CERTIFICATE_KEY", set_key),
	ONE("certificate.renew_after", "P2SGW_CERTIFICATE_RENEW_AFTER", set_renew_after),
	ONE("certificate.issued", "P2SGW_CERTIFICATE_ISSUED", set_issued),
	ONE("certificate.renew_to", "P2SGW_CERTIFICATE_RENEW_TO", set_renew_to),
	ONE("certificate.cross_signed_by", "P2SGW_CERTIFICATE_CROSS_SIGNED_BY", set_cross_by),
	ONE("certificate.overlap.chain", "P2SGW_CERTIFICATE_OVERLAP_CHAIN", set_overlap),
	ONE("certificate.overlap.variant", "P2SGW_CERTIFICATE_OVERLAP_VARIANT", set_overlap),
	ONE("certificate.overlap.share", "P2SGW_CERTIFICATE_OVERLAP_SHARE", set_overlap),
	ONE("certificate.overlap.clients", "P2SGW_CERTIFICATE_OVERLAP_CLIENTS", set_overlap),
	LIST("certificate.overlap.sni", "P2SGW_CERTIFICATE_OVERLAP_SNI", set_overlap),
	{ "timeline", NULL, SC_LIST, NULL, NULL, sc_timeline_yaml, NULL },
	{ "certificate.endpoints", NULL, SC_LIST, NULL, NULL, sc_endpoints_yaml, NULL },
	{ "listeners", NULL, SC_LIST, NULL, NULL, sc_listeners_yaml, NULL },
	ONE("revocation.crl", "P2SGW_REVOCATION_CRL", set_crl_mode),
	ONE("revocation.listen", "P2SGW_REVOCATION_LISTEN", set_crl_listen),
	ONE("revocation.aia", "P2SGW_REVOCATION_AIA", set_aia_mode),
	ONE("revocation.url_host", "P2SGW_REVOCATION_URL_HOST", set_crl_url_host),
};
#undef ONE
#undef LIST
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* Mappings that group fields. */
static const char *const sections[] = {
	"gateway", "tls", "tls.refuse", "sstp", "ppp", "ppp.eap_tls", "network", "certificate",
	"certificate.overlap",
	"revocation", "radius",
};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

/* P2SGW_* variables read by the command line and the file search, not here. */
static const char *const env_reserved[] = {
	"P2SGW_SCENARIO", "P2SGW_LISTEN", "P2SGW_CONTROL", "P2SGW_STATE_DIR",
	"P2SGW_LOG_FORMAT", "P2SGW_SCENARIO_DIR", "P2SGW_CERTS_DIR", "P2SGW_SOURCE_DIR",
	"P2SGW_TOKEN", "P2SGW_WORKERS",
};
#define N_RESERVED (sizeof(env_reserved) / sizeof(env_reserved[0]))

/* ---- errors ---------------------------------------------------------- */

int
sc_err(struct sc_load *ld, const struct sc_origin *at, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at->env != NULL)
		(void)snprintf(ld->ld_err, ld->ld_errlen, "environment %s: %s", at->env, msg);
	else if (at->file != NULL && at->line > 0)
		(void)snprintf(ld->ld_err, ld->ld_errlen, "%s:%d:%d: key '%s': %s", at->file,
		    at->line, at->col, key, msg);
	else if (at->file != NULL) /* scenario_override: no position */
		(void)snprintf(ld->ld_err, ld->ld_errlen, "%s: key '%s': %s", at->file, key, msg);
	else
		(void)snprintf(ld->ld_err, ld->ld_errlen, "%s: key '%s' (default): %s",
		    ld->ld_files[0], key, msg);
	return -1;
}

/* ---- YAML ------------------------------------------------------------ */

static int apply_file(struct sc_load *ld, const char *path, int depth,
                      const struct sc_origin *from);

static struct sc_origin
origin_of(struct sc_load *ld, const struct ynode *n)
{
	struct sc_origin o = { ld->ld_files[ld->ld_depth], n->yn_line, n->yn_col, NULL };
	return o;
}

static size_t
n_sub(const struct sc_field *f)
{
	size_t n = 0;

	while (f->sub != NULL && f->sub[n] != NULL && n < SC_MAX_SUBKEYS)
		n++;
	return n;
}

/* One record of a record list: a mapping with exactly the keys f->sub. */
static int
yaml_record(struct sc_load *ld, const struct ydoc *d, const struct sc_field *f,
            const struct ynode *rec, struct sc_item *out)
{
	const struct ynode *vals[SC_MAX_SUBKEYS], *knodes[SC_MAX_SUBKEYS];
	size_t ns = n_sub(f);
	char key[96];

	if (ymap_keys(d, rec, f->key, f->sub, ns, vals, knodes, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	for (size_t j = 0; j < ns; j++) {
		struct sc_origin at = origin_of(ld, rec);
		if (vals[j] == NULL)
			return sc_err(ld, &at, f->key, "missing '%s' (each item needs %s and %s)",
			    f->sub[j], f->sub[0], f->sub[1]);
		(void)snprintf(key, sizeof(key), "%s.%s", f->key, f->sub[j]);
		if (yscalar(d, vals[j], key, &out[j].text, ld->ld_err, ld->ld_errlen) != 0)
			return -1;
		out[j].at = origin_of(ld, vals[j]);
	}
	return 0;
}

static int
yaml_field(struct sc_load *ld, const struct ydoc *d, const struct sc_field *f,
           const struct ynode *v)
{
	struct sc_item items[SC_MAX_LIST_ITEMS * SC_MAX_SUBKEYS];
	struct sc_origin at = origin_of(ld, v);
	const struct ynode *seq;
	const char *text;

	if (f->kind == SC_ONE) {
		if (yscalar(d, v, f->key, &text, ld->ld_err, ld->ld_errlen) != 0)
			return -1;
		items[0].text = text;
		items[0].at = at;
		return f->set(ld, f, items, 1, &at);
	}
	if (yseq(d, v, f->key, SC_MAX_LIST_ITEMS, &seq, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	for (size_t i = 0; i < seq->yn_nkids; i++) {
		if (f->kind == SC_RECORDS) {
			if (yaml_record(ld, d, f, seq->yn_kids[i], &items[i * n_sub(f)]) != 0)
				return -1;
			continue;
		}
		if (yscalar(d, seq->yn_kids[i], f->key, &text, ld->ld_err, ld->ld_errlen) != 0)
			return -1;
		items[i].text = text;
		items[i].at = origin_of(ld, seq->yn_kids[i]);
	}
	return f->set(ld, f, items, seq->yn_nkids, &at);
}

/* Direct children of section prefix ("" = top level): their last key part
 * into keys[], and which field or section each one is. */
static size_t
children(const char *prefix, const char **keys, const struct sc_field **fld,
         const char **sect, size_t max)
{
	size_t plen = strlen(prefix), n = 0;

	for (size_t i = 0; i < N_FIELDS + N_SECTIONS && n < max; i++) {
		const char *k = i < N_FIELDS ? fields[i].key : sections[i - N_FIELDS];
		const char *rest = k;
		if (plen > 0) {
			if (strncmp(k, prefix, plen) != 0 || k[plen] != '.')
				continue;
			rest = k + plen + 1;
		}
		if (strchr(rest, '.') != NULL)
			continue;
		keys[n] = rest;
		fld[n] = i < N_FIELDS ? &fields[i] : NULL;
		sect[n] = i < N_FIELDS ? NULL : k;
		n++;
	}
	return n;
}

static int
resolve_base(struct sc_load *ld, const char *text, const char *dir, const struct sc_origin *at,
             char *path, size_t pathlen)
{
	char msg[1024];
	struct stat st;

	if (config_is_path(text)) {
		int w = text[0] != '/' && dir != NULL ?
		    snprintf(path, pathlen, "%s/%s", dir, text) : snprintf(path, pathlen, "%s", text);
		if (w < 0 || (size_t)w >= pathlen)
			return sc_err(ld, at, "base", "path too long");
		return 0;
	}
	if (val_name(text, msg, sizeof(msg)) != 0)
		return sc_err(ld, at, "base", "%s", msg);
	/* A name is looked for next to the file first, then in the search path. */
	if (dir != NULL) {
		int w = snprintf(path, pathlen, "%s/%s.yaml", dir, text);
		if (w > 0 && (size_t)w < pathlen && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	if (config_find_file("scenarios", text, path, pathlen, msg, sizeof(msg)) != 0)
		return sc_err(ld, at, "base", "%s", msg);
	return 0;
}

static int
walk(struct sc_load *ld, const struct ydoc *d, const struct ynode *map, const char *prefix,
     const char *dir)
{
	const char *keys[N_FIELDS + N_SECTIONS], *sect[N_FIELDS + N_SECTIONS];
	const struct sc_field *fld[N_FIELDS + N_SECTIONS];
	const struct ynode *vals[N_FIELDS + N_SECTIONS], *knodes[N_FIELDS + N_SECTIONS];
	size_t n = children(prefix, keys, fld, sect, N_FIELDS + N_SECTIONS);

	if (ymap_keys(d, map, prefix, keys, n, vals, knodes, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	/* base: first, so that this file applies over it. */
	for (size_t i = 0; i < n; i++) {
		if (vals[i] == NULL || fld[i] == NULL || fld[i]->set != NULL ||
		    fld[i]->node_set != NULL)
			continue;
		const char *text;
		char path[SC_FILE_MAX];
		struct sc_origin at = origin_of(ld, vals[i]);
		if (yscalar(d, vals[i], "base", &text, ld->ld_err, ld->ld_errlen) != 0 ||
		    resolve_base(ld, text, dir, &at, path, sizeof(path)) != 0 ||
		    apply_file(ld, path, ld->ld_depth + 1, &at) != 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (vals[i] == NULL)
			continue;
		if (sect[i] != NULL) {
			if (walk(ld, d, vals[i], sect[i], dir) != 0)
				return -1;
		} else if (fld[i]->node_set != NULL) {
			if (fld[i]->node_set(ld, d, vals[i]) != 0)
				return -1;
		} else if (fld[i]->set != NULL && yaml_field(ld, d, fld[i], vals[i]) != 0) {
			return -1;
		}
	}
	return 0;
}

static int
apply_doc(struct sc_load *ld, const struct ydoc *d, const char *dir)
{
	const struct ynode *root = d->yd_root;

	if (root == NULL || root->yn_type == YN_NULL) {
		(void)snprintf(ld->ld_err, ld->ld_errlen,
		    "%s:1:1: the file is empty: expected a mapping of settings such as 'tls:'",
		    d->yd_file);
		return -1;
	}
	return walk(ld, d, root, "", dir);
}

/* Parse path and apply it (after its own bases) at base depth depth; from is
 * the `base:` value that named it (NULL for the file asked for). */
static int
apply_file(struct sc_load *ld, const char *path, int depth, const struct sc_origin *from)
{
	char real[PATH_MAX], dir[SC_FILE_MAX], msg[1024];
	struct ydoc d;
	int rc;

	if (depth > SC_MAX_BASE_DEPTH)
		return sc_err(ld, from, "base", "base chain longer than %d files",
		    SC_MAX_BASE_DEPTH);
	if (realpath(path, real) == NULL) {
		if (from == NULL) {
			(void)snprintf(ld->ld_err, ld->ld_errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		return sc_err(ld, from, "base", "%s: %s", path, strerror(errno));
	}
	for (int i = 0; i < depth; i++) {
		if (strcmp(ld->ld_real[i], real) != 0)
			continue;
		char chain[1024] = "";
		for (int j = i; j < depth; j++) {
			size_t used = strlen(chain);
			(void)snprintf(chain + used, sizeof(chain) - used, "%s -> ", ld->ld_files[j]);
		}
		size_t used = strlen(chain);
		(void)snprintf(chain + used, sizeof(chain) - used, "%s", path);
		return sc_err(ld, from, "base", "base cycle: %s", chain);
	}
	if ((size_t)snprintf(ld->ld_files[depth], SC_FILE_MAX, "%s", path) >= SC_FILE_MAX) {
		(void)snprintf(ld->ld_err, ld->ld_errlen, "%.64s...: path too long", path);
		return -1;
	}
	memcpy(ld->ld_real[depth], real, sizeof(real));

	char *buf;
	size_t len;
	if (config_read_file(path, &buf, &len, msg, sizeof(msg)) != 0) {
		if (from == NULL) {
			(void)snprintf(ld->ld_err, ld->ld_errlen, "%s", msg);
			return -1;
		}
		return sc_err(ld, from, "base", "%s", msg);
	}
	/* A syntax error names its own file and position. */
	rc = ydoc_parse(&d, path, buf, len, ld->ld_err, ld->ld_errlen);
	free(buf);
	if (rc != 0) {
		ydoc_free(&d);
		return -1;
	}
	(void)snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		(void)snprintf(dir, sizeof(dir), ".");

	int saved = ld->ld_depth;
	ld->ld_depth = depth;
	rc = apply_doc(ld, &d, dir);
	ld->ld_depth = saved;
	ydoc_free(&d);
	return rc;
}

/* ---- environment ----------------------------------------------------- */

static int
env_field(struct sc_load *ld, const struct sc_field *f, const char *val)
{
	struct sc_item items[SC_MAX_LIST_ITEMS * SC_MAX_SUBKEYS];
	struct sc_origin at = { NULL, 0, 0, f->env };
	char buf[SC_MAX_ENV_VALUE + 1];
	size_t len = strlen(val), n = 0, k = 0;

	if (len > SC_MAX_ENV_VALUE)
		return sc_err(ld, &at, f->key, "value too long (%zu characters, at most %d)", len,
		    SC_MAX_ENV_VALUE);
	memcpy(buf, val, len + 1);
	if (f->kind == SC_ONE) {
		items[0].text = buf;
		items[0].at = at;
		return f->set(ld, f, items, 1, &at);
	}
	/* Comma-separated, blanks around items ignored. */
	for (char *p = buf;;) {
		char *comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		char *e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '\0')
			return sc_err(ld, &at, f->key, "empty item in a comma-separated list");
		if (n == SC_MAX_LIST_ITEMS)
			return sc_err(ld, &at, f->key, "too many items (at most %d)",
			    SC_MAX_LIST_ITEMS);
		items[k].text = p;
		items[k++].at = at;
		if (f->kind == SC_RECORDS) {
			/* split at the last ':' of env_form (two keys, see sc_kind) */
			char *colon = strchr(p, ':');
			for (const char *c = strchr(f->env_form, ':'); colon != NULL &&
			    (c = strchr(c + 1, ':')) != NULL;)
				colon = strchr(colon + 1, ':');
			if (colon == NULL)
				return sc_err(ld, &at, f->key,
				    "item %zu is not %s (records are comma-separated)", n + 1,
				    f->env_form);
			*colon = '\0';
			items[k].text = colon + 1;
			items[k++].at = at;
		}
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return f->set(ld, f, items, n, &at);
}

static int
apply_env(struct sc_load *ld)
{
	const char *known[N_FIELDS + N_RESERVED];
	size_t nk = 0;

	for (size_t i = 0; i < N_FIELDS; i++)
		if (fields[i].env != NULL)
			known[nk++] = fields[i].env;
	for (size_t i = 0; i < N_RESERVED; i++)
		known[nk++] = env_reserved[i];

	for (char **e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "P2SGW_", 6) != 0)
			continue;
		char name[128];
		size_t len = strcspn(*e, "=");
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, *e, len);
		name[len] = '\0';
		bool ok = false;
		for (size_t i = 0; i < nk && !ok; i++)
			ok = strcmp(name, known[i]) == 0;
		if (ok)
			continue;
		(void)snprintf(ld->ld_err, ld->ld_errlen,
		    "environment %s: unknown P2SGW_ variable", name);
		config_append_suggestion(ld->ld_err, ld->ld_errlen, name, known, nk);
		return -1;
	}
	for (size_t i = 0; i < N_FIELDS; i++) {
		const char *v = fields[i].env ? getenv(fields[i].env) : NULL;
		/* Empty counts as unset: docker-compose passes "VAR=" for unset. */
		if (v == NULL || v[0] == '\0')
			continue;
		ld->ld_in_env = true;
		int rc = env_field(ld, &fields[i], v);
		ld->ld_in_env = false;
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------- */

void
scenario_defaults(struct scenario *sc)
{
	static const char *const hashes[] = { "sha512", "sha384", "sha256", "sha1" };
	static const char *const curves[] = { "x25519", "secp256r1", "secp384r1", "secp521r1" };
	size_t n, k = 0;
	char msg[256];

	memset(sc, 0, sizeof(*sc));
	(void)snprintf(sc->name, sizeof(sc->name), "azure-2018-tls12");
	(void)snprintf(sc->description, sizeof(sc->description),
	    "built-in defaults (the same as scenarios/azure-2018-tls12.yaml)");
	(void)snprintf(sc->hostname, sizeof(sc->hostname), "%s", DEFAULT_HOSTNAME);
	sc->clock_fixed = false;
	sc->clock_offset = 0;
	sc->max_connections = 4096;
	sc->max_half_open = 1024;
	sc->max_per_address = 0;
	sc->min_minor = 3;
	sc->max_minor = 3;
	sc->eap_min_minor = 3; /* as azure-2018-tls12 */
	sc->eap_max_minor = 3;

	const uint16_t *ids = scenario_cipher_preset_ids("azure-2018", &n);
	for (size_t i = 0; i < n && k < SC_MAX_SUITES; i++)
		sc->suites[k++] = ids[i];
	sc->suites[k] = 0;
	sc->n_suites = k;

	k = 0;
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (val_sig_hash(hashes[i], &sc->sig_hashes[k], msg, sizeof(msg)) == 0)
			k++;
	sc->sig_hashes[k] = MBEDTLS_MD_NONE;
	k = 0;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (val_curve(curves[i], &sc->curves[k], msg, sizeof(msg)) == 0)
			k++;
	sc->curves[k] = MBEDTLS_ECP_DP_NONE;

	sc->session_resumption = true;
	sc->handshake_timeout_ms = 10000;
	sc->idle_timeout_ms = 5 * 60000;
	sc->stall_timeout_ms = 60000;
	sc->refuse_version.kind = TLS_REFUSE_RESET;
	sc->refuse_cipher.kind = TLS_REFUSE_RESET;
	sc->refuse_malformed.kind = TLS_REFUSE_RESET;
	sc->refuse_too_large.kind = TLS_REFUSE_RESET;

	sc->sstp_hash_bitmask = 3;
	sc->sstp_negotiation_timeout_ms = 60000;
	sc->sstp_hello_interval_ms = 60000;
	sc->sstp_max_sessions = 128;
	sc->sstp_limit_action = SC_LIMIT_HTTP_503;
	sc->throughput_bps = 0;

	sc->ppp_auth[0] = SC_AUTH_MSCHAPV2;
	sc->n_ppp_auth = 1;
	sc->ppp_auth_retries = 3;
	sc->ppp_mru = 1400;
	sc->radius_timeout_ms = 30000; /* Azure's, per docs/radius.md */
	sc->radius_retries = 3;
	sc->radius_dead_time_ms = 60000;
	(void)snprintf(sc->radius_nas_identifier, sizeof(sc->radius_nas_identifier), "p2sgw");
	sc->radius_no_answer_error = 812;
	/* a lab default, documented as such */
	(void)snprintf(sc->users[0].name, sizeof(sc->users[0].name), "p2s-user");
	(void)snprintf(sc->users[0].password, sizeof(sc->users[0].password), "p2s-password");
	sc->n_users = 1;
	(void)snprintf(sc->client_roots[0], sizeof(sc->client_roots[0]), "p2s-client-root");
	sc->n_client_roots = 1;
	sc->n_revoked = 0;

	sc->pool_net = 0xac10c900;      /* 172.16.201.0/24 */
	sc->pool_prefix = 24;
	sc->gateway_ip = 0xac10c901;    /* 172.16.201.1: first host of the pool */
	sc->dns[0] = 0x0a010004;        /* 10.1.0.4 */
	sc->n_dns = 1;
	sc->vnet[0].net = 0x0a010000;   /* 10.1.0.0/16 */
	sc->vnet[0].prefix = 16;
	sc->n_vnet = 1;
	(void)snprintf(sc->hosts[0].name, sizeof(sc->hosts[0].name), "vm1.lab.internal");
	sc->hosts[0].addr = 0x0a010004;
	sc->n_hosts = 1;
	sc->udp_echo_port = 7;
	sc->udp_sink_port = 9;
	sc->udp_source_port = 19;
	sc->backend = SC_BACKEND_RESPONDER;
	memcpy(sc->tun_name, "p2sgw0", sizeof("p2sgw0"));

	(void)snprintf(sc->chain, sizeof(sc->chain), "selfsigned-gateway");
	(void)snprintf(sc->renew_to, sizeof(sc->renew_to), "selfsigned-gateway-renewed");
	sc->variant = PKI_VARIANT_VALID;
	sc->leaf_key_set = false;
	sc->leaf_key = PKI_KEY_RSA2048;

	sc->crl_mode = SC_CRL_OFF;
	(void)snprintf(sc->crl_listen, sizeof(sc->crl_listen), "127.0.0.1:8080");
	sc->crl_url_host[0] = '\0';
}

static struct sc_load *
load_begin(const char *file, char *err, size_t errlen)
{
	struct sc_load *ld = calloc(1, sizeof(*ld));

	if (ld == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", file);
		return NULL;
	}
	ld->ld_err = err;
	ld->ld_errlen = errlen;
	ld->ld_lvl_sku = ld->ld_lvl_throughput = ld->ld_lvl_sessions = INT_MAX;
	scenario_defaults(&ld->ld_sc);
	/* name and description belong to the file, not to the defaults */
	ld->ld_sc.name[0] = '\0';
	ld->ld_sc.description[0] = '\0';
	sc_default_ciphers(ld);
	(void)snprintf(ld->ld_files[0], SC_FILE_MAX, "%s", file);
	return ld;
}

/* After the files: environment, the default name, validation, copy out. */
static int
load_finish(struct sc_load *ld, bool use_env, struct scenario *sc)
{
	struct scenario *s = &ld->ld_sc;
	char msg[256];

	if (use_env && apply_env(ld) != 0)
		return -1;
	if (!ld->ld_name_set) {
		/* The file stem: "scenarios/azure-2024-policy.yaml" -> "azure-2024-policy". */
		const char *base = strrchr(ld->ld_files[0], '/');
		char stem[SC_FILE_MAX];
		base = base ? base + 1 : ld->ld_files[0];
		(void)snprintf(stem, sizeof(stem), "%s", base);
		size_t len = strlen(stem);
		if (len > 5 && strcmp(stem + len - 5, ".yaml") == 0)
			stem[len - 5] = '\0';
		else if (len > 4 && strcmp(stem + len - 4, ".yml") == 0)
			stem[len - 4] = '\0';
		if (val_name(stem, msg, sizeof(msg)) != 0) {
			(void)snprintf(ld->ld_err, ld->ld_errlen,
			    "%s: the file name gives no scenario name: %s; set 'name:'",
			    ld->ld_files[0], msg);
			return -1;
		}
		memcpy(s->name, stem, strlen(stem) + 1);
	}
	/* the SKU's figures where the scenario said nothing itself */
	const struct sc_sku_info *sku = sc_sku_info(s->sku);
	if (sku != NULL) {
		s->throughput_set = ld->ld_lvl_throughput <= ld->ld_lvl_sku;
		s->max_sessions_set = ld->ld_lvl_sessions <= ld->ld_lvl_sku;
		if (!s->throughput_set)
			s->throughput_bps = sku->throughput_bps;
		if (!s->max_sessions_set)
			s->sstp_max_sessions = sku->sstp_sessions;
	}
	memcpy(s->renew_from, s->chain, sizeof(s->renew_from));
	if (sc_check(ld) != 0 || sc_timeline_resolve(ld) != 0 || sc_timeline_try(ld) != 0 ||
	    sc_policies_resolve(ld) != 0)
		return -1;
	(void)snprintf(s->path, sizeof(s->path), "%s", ld->ld_files[0]);
	*sc = *s;
	return 0;
}

int
scenario_load(const char *path, bool use_env, struct scenario *sc, char *err, size_t errlen)
{
	struct sc_load *ld = load_begin(path, err, errlen);
	int rc = -1;

	if (ld == NULL)
		return -1;
	if (strlen(path) >= sizeof(sc->path))
		(void)snprintf(err, errlen, "%.64s...: path too long", path);
	else if (apply_file(ld, path, 0, NULL) == 0)
		rc = load_finish(ld, use_env, sc);
	free(ld);
	return rc;
}

int
scenario_load_string(const char *buf, size_t len, const char *name, bool use_env,
                     struct scenario *sc, char *err, size_t errlen)
{
	struct sc_load *ld = load_begin(name, err, errlen);
	struct ydoc d;
	int rc = -1;

	if (ld == NULL)
		return -1;
	/* Not a file: nothing for a base: chain to cycle back to. */
	ld->ld_real[0][0] = '\0';
	if (ydoc_parse(&d, ld->ld_files[0], buf, len, err, errlen) == 0 &&
	    apply_doc(ld, &d, NULL) == 0)
		rc = load_finish(ld, use_env, sc);
	ydoc_free(&d);
	free(ld);
	return rc;
}

time_t
scenario_clock(const struct scenario *sc, time_t now)
{
	return scenario_clock_ms(sc, (int64_t)now * 1000);
}

time_t
scenario_clock_ms(const struct scenario *sc, int64_t now_ms)
{
	int64_t t0 = sc->clock_t0_ms != 0 ? sc->clock_t0_ms : now_ms;
	time_t base = sc->clock_fixed ? sc->clock_at :
	    (time_t)(t0 / 1000) + (time_t)sc->clock_offset;
	int64_t run_ms = now_ms - t0;
	return base + (time_t)(run_ms * (int64_t)scenario_clock_speed(sc) / 1000);
}

uint32_t
scenario_clock_speed(const struct scenario *sc)
{
	if (sc->clock_speed_set)
		return sc->clock_speed;
	return sc->clock_fixed ? 0 : 1;
}

int
scenario_override(struct scenario *sc, const char *origin, const struct sc_override *ov,
                  size_t n, char *err, size_t errlen)
{
	struct sc_load *ld = calloc(1, sizeof(*ld));
	struct sc_item items[SC_MAX_LIST_ITEMS];
	int rc = -1;

	if (ld == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	ld->ld_err = err;
	ld->ld_errlen = errlen;
	ld->ld_sc = *sc;
	ld->ld_name_set = true;
	(void)snprintf(ld->ld_files[0], SC_FILE_MAX, "%s", origin);
	/* the current suites stay, as a preset does, unless tls.ciphers is given */
	for (size_t i = 0; i < sc->n_suites && i < SC_MAX_LIST_ITEMS; i++) {
		ld->ld_ciphers[i].preset = 2;
		ld->ld_ciphers[i].id = sc->suites[i];
		ld->ld_nciphers = i + 1;
	}
	struct sc_origin at = { ld->ld_files[0], 0, 0, NULL };
	for (size_t i = 0; i < n; i++) {
		const struct sc_field *f = NULL;
		for (size_t k = 0; k < N_FIELDS; k++)
			if (strcmp(fields[k].key, ov[i].key) == 0)
				f = &fields[k];
		if (f == NULL || f->set == NULL || f->kind == SC_RECORDS) {
			(void)snprintf(err, errlen, "%s: key '%.64s' cannot be overridden", origin,
			    ov[i].key);
			goto done;
		}
		if (ov[i].n > SC_MAX_LIST_ITEMS) {
			sc_err(ld, &at, f->key, "more than %d items", SC_MAX_LIST_ITEMS);
			goto done;
		}
		if (f->kind == SC_ONE && ov[i].n != 1) {
			sc_err(ld, &at, f->key, "exactly one value is needed");
			goto done;
		}
		for (size_t k = 0; k < ov[i].n; k++) {
			items[k].text = ov[i].values[k];
			items[k].at = at;
		}
		if (f->set(ld, f, items, ov[i].n, &at) != 0)
			goto done;
	}
	if (sc_check(ld) != 0)
		goto done;
	*sc = ld->ld_sc;
	rc = 0;
done:
	free(ld);
	return rc;
}

int
scenario_crl_base_url(const struct scenario *sc, char *buf, size_t len)
{
	const char *colon = strrchr(sc->crl_listen, ':');
	int n;

	if (len > 0)
		buf[0] = '\0';
	if (sc->crl_mode == SC_CRL_OFF && sc->aia_mode == SC_AIA_OFF)
		return 0;
	if (colon == NULL)
		return -1;
	if (sc->crl_url_host[0] == '\0')
		n = snprintf(buf, len, "http://%s", sc->crl_listen);
	else if (strchr(sc->crl_url_host, ':') != NULL)
		n = snprintf(buf, len, "http://%s", sc->crl_url_host);
	else
		n = snprintf(buf, len, "http://%s%s", sc->crl_url_host, colon);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
