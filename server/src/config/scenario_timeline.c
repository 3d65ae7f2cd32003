/*
 * scenario_timeline: the `timeline:` list of a scenario (docs/scenarios.md),
 * a list of mappings whose keys depend on the action:
 *
 *   - {at: 30s, action: rotate, chain: NAME [, variant: NAME]}
 *   - {at: 1m, action: policy, versions: [..] and/or ciphers: [..]}
 *   - {at: 2m, action: maintenance, duration: 30s}
 *   - {at: 3m, action: radius, delay: 2s, drop_percent: 30, down: false}
 *   - {at: 4m, action: network, type: latency, latency: 200ms, direction: down,
 *      duration: 1m [, jitter, share, clients]} (docs/faults.md)
 *
 * `at` is an offset from the start or a UTC time on the gateway clock
 * (2025-05-12T00:00:00Z; needs a fixed gateway.clock and a running one);
 * any entry may add `within: 30d`: it then fires at a random time in
 * [at, at + within), drawn from gateway.seed.
 *
 * Every value is checked here with the loader's value parsers; a policy
 * entry is also tried against the loaded scenario (sc_timeline_try) so that
 * a policy mbedTLS cannot honour is a load error, not a failure at run time.
 * The list is sorted by `at` (stable: equal times keep file order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/paths.h"
#include "config/scenario.h"
#include "config/scenario_int.h"
#include "config/values.h"
#include "config/yaml_util.h"

static const char *const tl_keys[] = {
	"at", "action", "chain", "variant", "versions", "ciphers", "duration",
	"delay", "drop_percent", "down",
	/* network: the fields of a network fault */
	"type", "direction", "share", "clients", "latency", "jitter", "rate", "percent", "bytes",
	"after", "gap", "within",
};
#define N_TL_KEYS (sizeof(tl_keys) / sizeof(tl_keys[0]))
enum { K_AT, K_ACTION, K_CHAIN, K_VARIANT, K_VERSIONS, K_CIPHERS, K_DURATION, K_DELAY,
	K_DROP, K_DOWN, K_TYPE, K_DIRECTION, K_SHARE, K_CLIENTS, K_LATENCY, K_JITTER, K_RATE,
	K_PERCENT, K_BYTES, K_AFTER, K_GAP, K_WITHIN };
#define NETWORK_KEYS (1u << K_DURATION | 1u << K_TYPE | 1u << K_DIRECTION | 1u << K_SHARE | \
	1u << K_CLIENTS | 1u << K_LATENCY | 1u << K_JITTER | 1u << K_RATE | 1u << K_PERCENT | \
	1u << K_BYTES | 1u << K_AFTER | 1u << K_GAP)

/* Which keys each action takes (besides at and action). */
static const struct {
	const char        *name;
	enum sc_tl_action  action;
	unsigned           keys;      /* 1 << K_* allowed */
	const char        *needs;     /* for messages */
} actions[] = {
	{ "rotate", SC_TL_ROTATE, 1u << K_CHAIN | 1u << K_VARIANT, "chain (and optionally variant)" },
	{ "policy", SC_TL_POLICY, 1u << K_VERSIONS | 1u << K_CIPHERS, "versions and/or ciphers" },
	{ "maintenance", SC_TL_MAINTENANCE, 1u << K_DURATION, "duration" },
	{ "revoke", SC_TL_REVOKE, 0, "nothing else" },
	{ "crl-offline", SC_TL_CRL_OFFLINE, 0, "nothing else" },
	{ "radius", SC_TL_RADIUS, 1u << K_DELAY | 1u << K_DROP | 1u << K_DOWN,
	  "delay, drop_percent and/or down (none: the faults end)" },
	{ "network", SC_TL_NETWORK, NETWORK_KEYS,
	  "type and its fields (docs/faults.md), direction, share, clients, duration" },
	{ "overlap", SC_TL_OVERLAP, 1u << K_CHAIN | 1u << K_VARIANT | 1u << K_SHARE | 1u << K_CLIENTS,
	  "chain (and optionally variant), and share and/or clients" },
	{ "overlap-end", SC_TL_OVERLAP_END, 0, "nothing else" },
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

const char *
sc_timeline_action_name(enum sc_tl_action a)
{
	for (size_t i = 0; i < N_ACTIONS; i++)
		if (actions[i].action == a)
			return actions[i].name;
	return "?";
}

struct sc_origin
sc_at_node(struct sc_load *ld, const struct ynode *n)
{
	struct sc_origin o = { ld->ld_files[ld->ld_depth], n->yn_line, n->yn_col, NULL };
	return o;
}

int
sc_scalar_list(struct sc_load *ld, const struct ydoc *d, const struct ynode *v, const char *key,
            size_t max, char *out, size_t width, size_t *n)
{
	const struct ynode *seq;
	const char *text;

	if (yseq(d, v, key, max, &seq, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	if (seq->yn_nkids == 0) {
		struct sc_origin o = sc_at_node(ld, v);
		return sc_err(ld, &o, key, "the list is empty");
	}
	for (size_t i = 0; i < seq->yn_nkids; i++) {
		struct sc_origin o = sc_at_node(ld, seq->yn_kids[i]);
		if (yscalar(d, seq->yn_kids[i], key, &text, ld->ld_err, ld->ld_errlen) != 0)
			return -1;
		if (strlen(text) >= width)
			return sc_err(ld, &o, key, "'%.64s' is too long", text);
		memcpy(out + i * width, text, strlen(text) + 1);
	}
	*n = seq->yn_nkids;
	return 0;
}

/* The keys of mask (1 << K_*) present in vals, as network fault fields. */
static int
netfault_keys(struct sc_load *ld, const struct ydoc *d, const struct ynode *const *vals,
              unsigned mask, struct sc_netfault *f)
{
	char key[32], msg[1024];
	const char *text;

	for (size_t k = 0; k < N_TL_KEYS; k++) {
		if (vals[k] == NULL || !(mask & (1u << k)))
			continue;
		snprintf(key, sizeof(key), "timeline.%s", tl_keys[k]);
		if (yscalar(d, vals[k], key, &text, ld->ld_err, ld->ld_errlen) != 0)
			return -1;
		struct sc_origin o = sc_at_node(ld, vals[k]);
		if (sc_netfault_set(f, tl_keys[k], text, msg, sizeof(msg)) != 0)
			return sc_err(ld, &o, key, "%s", msg);
	}
	return 0;
}

static int
one_entry(struct sc_load *ld, const struct ydoc *d, const struct ynode *rec,
          struct sc_timeline *e, struct sc_origin *e_at)
{
	const struct ynode *vals[N_TL_KEYS], *knodes[N_TL_KEYS];
	const char *text;
	char msg[1024];
	struct sc_origin o = sc_at_node(ld, rec);
	size_t ai;

	memset(e, 0, sizeof(*e));
	*e_at = o;
	e->line = o.line;
	if (ymap_keys(d, rec, "timeline", tl_keys, N_TL_KEYS, vals, knodes, ld->ld_err,
	    ld->ld_errlen) != 0)
		return -1;
	if (vals[K_AT] == NULL || vals[K_ACTION] == NULL)
		return sc_err(ld, &o, "timeline", "each entry needs 'at' and 'action'");
	if (yscalar(d, vals[K_AT], "timeline.at", &text, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	o = sc_at_node(ld, vals[K_AT]);
	if (text[0] >= '0' && text[0] <= '9' && strchr(text, 'T') != NULL) {
		/* a UTC time on the gateway clock; made an offset once the clock
		 * is known (sc_timeline_resolve) */
		bool fixed;
		int64_t off;
		if (val_clock(text, &fixed, &e->at_time, &off, msg, sizeof(msg)) != 0 || !fixed)
			return sc_err(ld, &o, "timeline.at", "%s", msg);
		e->at_cal = true;
	} else {
		uint32_t ms;
		if (val_duration_ms(text, 0, SC_TL_MAX_AT_MS, &ms, msg, sizeof(msg)) != 0)
			return sc_err(ld, &o, "timeline.at", "%s (an offset from the start, or a UTC "
			    "time YYYY-MM-DDTHH:MM:SSZ on the gateway clock)", msg);
		e->at_ms = ms;
	}
	if (vals[K_WITHIN] != NULL) {
		struct sc_origin wo = sc_at_node(ld, vals[K_WITHIN]);
		if (yscalar(d, vals[K_WITHIN], "timeline.within", &text, ld->ld_err,
		    ld->ld_errlen) != 0)
			return -1;
		if (val_duration_ms(text, 1, SC_TL_MAX_WITHIN_MS, &e->within_ms, msg, sizeof(msg)) != 0)
			return sc_err(ld, &wo, "timeline.within", "%s (a window after 'at', at most "
			    "45 days)", msg);
	}
	if (yscalar(d, vals[K_ACTION], "timeline.action", &text, ld->ld_err, ld->ld_errlen) != 0)
		return -1;
	o = sc_at_node(ld, vals[K_ACTION]);
	for (ai = 0; ai < N_ACTIONS; ai++)
		if (strcmp(text, actions[ai].name) == 0)
			break;
	if (ai == N_ACTIONS) {
		return sc_err(ld, &o, "timeline.action", "unknown action '%.64s' (rotate, policy, "
		    "maintenance, revoke, crl-offline, radius, network, overlap, overlap-end)", text);
	}
	e->action = actions[ai].action;
	for (size_t k = K_CHAIN; k < N_TL_KEYS; k++) {
		if (vals[k] == NULL || (actions[ai].keys & (1u << k)) != 0 || k == K_WITHIN)
			continue;
		struct sc_origin ko = sc_at_node(ld, knodes[k]);
		return sc_err(ld, &ko, "timeline", "'%s' does not apply to action %s (it takes %s)",
		    tl_keys[k], actions[ai].name, actions[ai].needs);
	}
	switch (e->action) {
	case SC_TL_ROTATE:
	case SC_TL_OVERLAP:
		if (vals[K_CHAIN] == NULL)
			return sc_err(ld, e_at, "timeline", "action %s needs 'chain'", actions[ai].name);
		if (yscalar(d, vals[K_CHAIN], "timeline.chain", &text, ld->ld_err,
		    ld->ld_errlen) != 0)
			return -1;
		o = sc_at_node(ld, vals[K_CHAIN]);
		char path[CONFIG_PATH_MAX];
		if (strlen(text) >= sizeof(e->chain) ||
		    config_find_file("certs", text, path, sizeof(path), msg, sizeof(msg)) != 0)
			return sc_err(ld, &o, "timeline.chain", "%s", strlen(text) >= sizeof(e->chain) ?
			    "chain name too long" : msg);
		memcpy(e->chain, text, strlen(text) + 1);
		e->variant = PKI_VARIANT_VALID;
		if (vals[K_VARIANT] != NULL) {
			if (yscalar(d, vals[K_VARIANT], "timeline.variant", &text, ld->ld_err,
			    ld->ld_errlen) != 0)
				return -1;
			o = sc_at_node(ld, vals[K_VARIANT]);
			if (val_variant(text, &e->variant, msg, sizeof(msg)) != 0)
				return sc_err(ld, &o, "timeline.variant", "%s", msg);
		}
		if (e->action == SC_TL_OVERLAP) {
			/* who gets it: the words of a network fault's share and clients */
			sc_netfault_init(&e->netfault);
			e->netfault.share = 0;
			if (netfault_keys(ld, d, vals, 1u << K_SHARE | 1u << K_CLIENTS, &e->netfault) != 0)
				return -1;
			if (e->netfault.share == 0 && !e->netfault.has_clients)
				return sc_err(ld, e_at, "timeline", "action overlap needs share and/or "
				    "clients (which connections get the chain)");
		}
		break;
	case SC_TL_OVERLAP_END:
		break;
	case SC_TL_POLICY:
		if (vals[K_VERSIONS] == NULL && vals[K_CIPHERS] == NULL)
			return sc_err(ld, e_at, "timeline", "action policy needs versions and/or "
			    "ciphers");
		if (vals[K_VERSIONS] != NULL) {
			if (sc_scalar_list(ld, d, vals[K_VERSIONS], "timeline.versions", 4,
			    &e->versions[0][0], sizeof(e->versions[0]), &e->n_versions) != 0)
				return -1;
			for (size_t i = 0; i < e->n_versions; i++) {
				int minor;
				o = sc_at_node(ld, ynode_deref(vals[K_VERSIONS])->yn_kids[i]);
				if (val_version(e->versions[i], &minor, msg, sizeof(msg)) != 0)
					return sc_err(ld, &o, "timeline.versions", "%s", msg);
			}
		}
		if (vals[K_CIPHERS] != NULL &&
		    sc_scalar_list(ld, d, vals[K_CIPHERS], "timeline.ciphers", SC_TL_MAX_CIPHERS,
		    &e->ciphers[0][0], sizeof(e->ciphers[0]), &e->n_ciphers) != 0)
			return -1;
		break;
	case SC_TL_REVOKE:
	case SC_TL_CRL_OFFLINE:
		break;
	case SC_TL_RADIUS:
		if (vals[K_DELAY] != NULL) {
			if (yscalar(d, vals[K_DELAY], "timeline.delay", &text, ld->ld_err,
			    ld->ld_errlen) != 0)
				return -1;
			o = sc_at_node(ld, vals[K_DELAY]);
			if (val_duration_ms(text, 0, 60000, &e->radius_delay_ms, msg, sizeof(msg)) != 0)
				return sc_err(ld, &o, "timeline.delay", "%s", msg);
		}
		if (vals[K_DROP] != NULL) {
			uint64_t v;
			if (yscalar(d, vals[K_DROP], "timeline.drop_percent", &text, ld->ld_err,
			    ld->ld_errlen) != 0)
				return -1;
			o = sc_at_node(ld, vals[K_DROP]);
			if (val_uint(text, 0, 100, &v, msg, sizeof(msg)) != 0)
				return sc_err(ld, &o, "timeline.drop_percent", "%s", msg);
			e->radius_drop_percent = (uint32_t)v;
		}
		if (vals[K_DOWN] != NULL) {
			bool b;
			if (yscalar(d, vals[K_DOWN], "timeline.down", &text, ld->ld_err,
			    ld->ld_errlen) != 0)
				return -1;
			o = sc_at_node(ld, vals[K_DOWN]);
			if (val_bool(text, &b, msg, sizeof(msg)) != 0)
				return sc_err(ld, &o, "timeline.down", "%s", msg);
			e->radius_down = b;
		}
		break;
	case SC_TL_NETWORK: {
		sc_netfault_init(&e->netfault);
		if (netfault_keys(ld, d, vals, NETWORK_KEYS, &e->netfault) != 0)
			return -1;
		if (sc_netfault_check(&e->netfault, msg, sizeof(msg)) != 0)
			return sc_err(ld, e_at, "timeline", "%s", msg);
		break;
	}
	case SC_TL_MAINTENANCE:
		if (vals[K_DURATION] == NULL)
			return sc_err(ld, e_at, "timeline", "action maintenance needs 'duration'");
		if (yscalar(d, vals[K_DURATION], "timeline.duration", &text, ld->ld_err,
		    ld->ld_errlen) != 0)
			return -1;
		o = sc_at_node(ld, vals[K_DURATION]);
		if (val_duration_ms(text, 1000, 24 * 3600000, &e->duration_ms, msg, sizeof(msg)) != 0)
			return sc_err(ld, &o, "timeline.duration", "%s", msg);
		break;
	}
	return 0;
}

/* Insertion sort, stable: e (from o) into tl[0..i], sorted by at_ms. */
static void
tl_insert(struct sc_load *ld, struct sc_timeline *tl, size_t i, const struct sc_timeline *e,
          const struct sc_origin *o)
{
	size_t j = i;
	while (j > 0 && tl[j - 1].at_ms > e->at_ms) {
		tl[j] = tl[j - 1];
		ld->ld_at_timeline[j] = ld->ld_at_timeline[j - 1];
		j--;
	}
	tl[j] = *e;
	ld->ld_at_timeline[j] = *o;
}

int
sc_timeline_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v)
{
	struct sc_timeline *tl = calloc(SC_MAX_TIMELINE, sizeof(*tl));
	const struct ynode *seq;
	struct sc_origin o = sc_at_node(ld, v);
	int rc = -1;

	if (tl == NULL)
		return sc_err(ld, &o, "timeline", "out of memory");
	if (yseq(d, v, "timeline", SC_MAX_LIST_ITEMS, &seq, ld->ld_err, ld->ld_errlen) != 0)
		goto done;
	if (seq->yn_nkids > SC_MAX_TIMELINE) {
		sc_err(ld, &o, "timeline", "too many entries (%zu, at most %d)", seq->yn_nkids,
		    SC_MAX_TIMELINE);
		goto done;
	}
	size_t n = seq->yn_nkids;
	for (size_t i = 0; i < n; i++) {
		struct sc_timeline e;
		struct sc_origin e_at;
		if (one_entry(ld, d, ynode_deref(seq->yn_kids[i]), &e, &e_at) != 0)
			goto done;
		tl_insert(ld, tl, i, &e, &e_at);
	}
	memcpy(ld->ld_sc.timeline, tl, n * sizeof(tl[0]));
	ld->ld_sc.n_timeline = n;
	rc = 0;
done:
	free(tl);
	return rc;
}

int
sc_policy_apply(struct scenario *sc, const char *origin, const char (*versions)[16], size_t nv,
                const char (*ciphers)[96], size_t nc, char *err, size_t errlen)
{
	const char *vers[4], *ciph[SC_TL_MAX_CIPHERS];
	struct sc_override ov[2];
	size_t n = 0;

	for (size_t i = 0; i < nv && i < 4; i++)
		vers[i] = versions[i];
	for (size_t i = 0; i < nc && i < SC_TL_MAX_CIPHERS; i++)
		ciph[i] = ciphers[i];
	if (nv > 0)
		ov[n++] = (struct sc_override){ "tls.versions", vers, nv < 4 ? nv : 4 };
	if (nc > 0)
		ov[n++] = (struct sc_override){ "tls.ciphers", ciph,
		    nc < SC_TL_MAX_CIPHERS ? nc : SC_TL_MAX_CIPHERS };
	return scenario_override(sc, origin, ov, n, err, errlen);
}

int
sc_timeline_policy(struct scenario *sc, const struct sc_timeline *e, const char *origin,
                   char *err, size_t errlen)
{
	return sc_policy_apply(sc, origin, e->versions, e->n_versions, e->ciphers, e->n_ciphers,
	    err, errlen);
}

int
sc_timeline_resolve(struct sc_load *ld)
{
	struct scenario *sc = &ld->ld_sc;
	struct sc_timeline *tl = sc->timeline;
	int any = 0;

	for (size_t i = 0; i < sc->n_timeline; i++) {
		struct sc_timeline *e = &tl[i];
		if (!e->at_cal)
			continue;
		any = 1;
		if (!sc->clock_fixed)
			return sc_err(ld, &ld->ld_at_timeline[i], "timeline.at",
			    "a UTC time needs gateway.clock to be one too (the date the gateway "
			    "clock starts at)");
		if (scenario_clock_speed(sc) == 0)
			return sc_err(ld, &ld->ld_at_timeline[i], "timeline.at",
			    "a UTC time needs a running gateway clock: set gateway.clock_speed (1 "
			    "runs it at real speed)");
		if (e->at_time < sc->clock_at)
			return sc_err(ld, &ld->ld_at_timeline[i], "timeline.at",
			    "before the gateway clock starts (gateway.clock)");
		e->at_ms = (uint64_t)(e->at_time - sc->clock_at) * 1000u;
	}
	if (!any)
		return 0;
	/* again in time order, stable */
	for (size_t i = 1; i < sc->n_timeline; i++) {
		struct sc_timeline e = tl[i];
		struct sc_origin o = ld->ld_at_timeline[i];
		tl_insert(ld, tl, i, &e, &o);
	}
	return 0;
}

int
sc_timeline_try(struct sc_load *ld)
{
	struct scenario *copy = malloc(sizeof(*copy));
	char msg[1024];
	int rc = 0;

	if (copy == NULL) {
		(void)snprintf(ld->ld_err, ld->ld_errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < ld->ld_sc.n_timeline && rc == 0; i++) {
		const struct sc_timeline *e = &ld->ld_sc.timeline[i];
		if (e->action != SC_TL_POLICY)
			continue;
		*copy = ld->ld_sc;
		copy->n_timeline = 0;
		if (sc_timeline_policy(copy, e, "timeline", msg, sizeof(msg)) != 0)
			rc = sc_err(ld, &ld->ld_at_timeline[i], "timeline",
			    "this policy cannot be served: %s", msg);
	}
	free(copy);
	return rc;
}
