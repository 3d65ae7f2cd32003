/*
 * timeline: one libevent timer per entry of the scenario's `timeline:`,
 * armed when the server starts and again (relative to the reload time) after
 * a SIGHUP reload; entries of the previous load that had not fired are
 * dropped. A fired entry acts on the current policy as the control API
 * would (rotate = POST /rotate, policy = PUT /policy, maintenance = POST
 * /faults maintenance_ms) and emits a `timeline` event after acting.
 *
 * Renewal (certificate.renew_after): the gateway "is renewed by
 * maintenance" once the served leaf is past that share of its lifetime on
 * the gateway clock: the leaf's age is counted from certificate.issued (or
 * from the leaf's notBefore) and its lifetime is notAfter - notBefore of the
 * served leaf. Checked at start and daily on the gateway clock.
 *
 * The gateway clock (gateway.clock, gateway.clock_speed) places the
 * entries: an entry at gateway offset T fires after T / speed real time;
 * with `within` it fires at a random point of its window, drawn from
 * gateway.seed (or a random seed, logged in the entry's event).
 */
#include "app/timeline.h"

#include "app/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "net/conn.h"
#include "app/server.h"
#include "app/tunnel.h"
#include "util/evlog.h"
#include "util/log.h"
#include "util/rng.h"
#include "util/xtime.h"

#define TIMELINE_MAGIC 0x544c494eu
#define RENEW_CHECK_S  (24 * 3600)

struct tl_timer {
	struct timeline    *tt_tl;
	size_t              tt_idx;
	struct event       *tt_ev;
	uint64_t            tt_jitter_ms;  /* into the entry's `within` window */
};

struct timeline {
	uint32_t            tl_magic;
	struct server      *tl_srv;
	struct sc_timeline  tl_entries[SC_MAX_TIMELINE];
	size_t              tl_n;
	struct tl_timer     tl_timers[SC_MAX_TIMELINE];
	struct event       *tl_renew_ev;
	uint64_t            tl_seed;       /* of the random windows (logged) */
};

/* SplitMix64: one 64-bit draw from a counter, reproducible from the seed. */
static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

/* The renewal rule; 1 when it applied a renewal. */
static int
renew_check(struct server *s)
{
	const struct snapshot *snap = s->s_net.snap;
	const struct scenario *sc = &snap->sc;
	char err[1024];

	/* the rule renews the chain it was written for: not after the renewal,
	 * nor after a rotation to another chain */
	if ((sc->renew_after_pct == 0 && sc->renew_left == 0) || strcmp(sc->chain, sc->renew_to) == 0 ||
	    strcmp(sc->chain, sc->renew_from) != 0)
		return 0;
	time_t from = x509_time_epoch(&snap->chain.chain.valid_from);
	time_t to = x509_time_epoch(&snap->chain.chain.valid_to);
	time_t clock = scenario_clock_ms(sc, wall_ms());
	time_t issued = !sc->issued_set ? from :
	    sc->issued_fixed ? sc->issued_at : clock + (time_t)sc->issued_offset;
	int64_t life = (int64_t)to - (int64_t)from, age = (int64_t)clock - (int64_t)issued;
	/* notAfter as the leaf would have it if issued at `issued` */
	time_t end = issued + (time_t)life;
	if (life <= 0)
		return 0;
	if (sc->renew_after_pct != 0 && age * 100 < life * (int64_t)sc->renew_after_pct)
		return 0;
	if (sc->renew_left != 0 && clock < (sc->renew_left_months ?
	    months_before(end, sc->renew_left) : end - (time_t)sc->renew_left * 86400))
		return 0;

	json_t *ev = evlog_new("renewal_due", 0);
	json_object_set_new(ev, "chain", json_string(sc->chain));
	json_object_set_new(ev, "renew_to", json_string(sc->renew_to));
	json_object_set_new(ev, "age_days", json_integer((json_int_t)(age / 86400)));
	json_object_set_new(ev, "lifetime_days", json_integer((json_int_t)(life / 86400)));
	json_object_set_new(ev, "left_days", json_integer((json_int_t)(((int64_t)end - clock) / 86400)));
	if (sc->renew_after_pct != 0) {
		json_object_set_new(ev, "renew_after_pct", json_integer((json_int_t)sc->renew_after_pct));
	} else {
		char rule[32];
		snprintf(rule, sizeof(rule), "%u %s", sc->renew_left,
		    sc->renew_left_months ? "months" : "days");
		json_object_set_new(ev, "renew_when_left", json_string(rule));
	}
	evlog_emit(ev);

	struct scenario *nsc = malloc(sizeof(*nsc));
	if (nsc == NULL) {
		log_warnx("%s: out of memory", __func__);
		return 0;
	}
	*nsc = *sc;
	memcpy(nsc->chain, sc->renew_to, sizeof(nsc->chain));
	nsc->variant = PKI_VARIANT_VALID;
	nsc->issued_set = false; /* the renewed leaf is new */
	int rc = server_apply(s, nsc, "renewal", err, sizeof(err));
	free(nsc);
	if (rc != 0) {
		log_warnx("%s: renewal to %s failed: %s", __func__, sc->renew_to, err);
		return 0;
	}
	log_info("gateway certificate renewed by maintenance: %s -> %s (leaf %lld of %lld days "
	    "old)", sc->chain, s->s_net.snap->sc.chain, (long long)(age / 86400),
	    (long long)(life / 86400));
	return 1;
}

static void
on_renew(evutil_socket_t fd, short what, void *arg)
{
	struct timeline *t = arg;

	if (t->tl_magic != TIMELINE_MAGIC)
		fatalx("%s: bad timeline", __func__);
	(void)renew_check(t->tl_srv);
}

/* A copy of the scenario the gateway serves now (malloc'd), to change and
 * apply; NULL with err. */
static struct scenario *
current_copy(struct server *s, char *err, size_t errlen)
{
	struct scenario *sc = malloc(sizeof(*sc));
	if (sc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*sc = s->s_net.snap->sc;
	return sc;
}

static void
on_entry(evutil_socket_t fd, short what, void *arg)
{
	struct tl_timer *tt = arg;
	struct timeline *t = tt->tt_tl;
	char err[1024] = "";
	int rc = 0;
	unsigned ended = 0, nf_id = 0;

	if (t->tl_magic != TIMELINE_MAGIC)
		fatalx("%s: bad timeline", __func__);
	const struct sc_timeline *e = &t->tl_entries[tt->tt_idx];
	struct server *s = t->tl_srv;
	struct scenario *sc = NULL;

	switch (e->action) {
	case SC_TL_ROTATE:
	case SC_TL_POLICY:
		if ((sc = current_copy(s, err, sizeof(err))) == NULL) {
			rc = -1;
			break;
		}
		if (e->action == SC_TL_ROTATE) {
			scenario_rotate(sc, e->chain, e->variant);
			rc = server_apply(s, sc, "rotate", err, sizeof(err));
		} else {
			rc = sc_timeline_policy(sc, e, "timeline", err, sizeof(err));
			if (rc == 0)
				rc = server_apply(s, sc, "policy", err, sizeof(err));
		}
		free(sc);
		break;
	case SC_TL_OVERLAP:
	case SC_TL_OVERLAP_END:
		if ((sc = current_copy(s, err, sizeof(err))) == NULL) {
			rc = -1;
			break;
		}
		memset(&sc->overlap, 0, sizeof(sc->overlap));
		if (e->action == SC_TL_OVERLAP) {
			struct sc_overlap *o = &sc->overlap;
			o->on = true;
			memcpy(o->chain, e->chain, sizeof(o->chain));
			o->variant = e->variant;
			o->share = e->netfault.share;
			o->has_clients = e->netfault.has_clients;
			o->net = e->netfault.net;
			o->mask = e->netfault.mask;
		}
		rc = server_apply(s, sc, e->action == SC_TL_OVERLAP ? "overlap" : "overlap_end", err,
		    sizeof(err));
		free(sc);
		break;
	case SC_TL_MAINTENANCE:
		ended = server_maintenance(s, e->duration_ms, "maintenance window (timeline)");
		break;
	case SC_TL_REVOKE:
		/* reissue the leaf with a CDP and list it on its issuer's CRL */
		if ((sc = current_copy(s, err, sizeof(err))) == NULL) {
			rc = -1;
			break;
		}
		sc->crl_mode = SC_CRL_REVOKED;
		rc = server_apply(s, sc, "revoke", err, sizeof(err)); /* and serves the CRL */
		free(sc);
		break;
	case SC_TL_CRL_OFFLINE:
		server_crl_offline(s);
		break;
	case SC_TL_RADIUS:
		server_faults_radius(s, e->radius_delay_ms, e->radius_drop_percent, e->radius_down);
		break;
	case SC_TL_NETWORK:
		rc = netfaults_add(server_netfaults(s), &e->netfault, now_ms(), &nf_id, err,
		    sizeof(err));
		if (rc == 0)
			server_netfaults_changed(s);
		break;
	}

	json_t *ev = evlog_new("timeline", 0);
	json_object_set_new(ev, "entry", json_integer((json_int_t)tt->tt_idx));
	json_object_set_new(ev, "at_ms", json_integer((json_int_t)e->at_ms));
	if (e->within_ms != 0) {
		json_object_set_new(ev, "within_ms", json_integer((json_int_t)e->within_ms));
		json_object_set_new(ev, "jitter_ms", json_integer((json_int_t)tt->tt_jitter_ms));
		char seed[24];  /* gateway.seed to draw the same times again */
		snprintf(seed, sizeof(seed), "%llu", (unsigned long long)t->tl_seed);
		json_object_set_new(ev, "seed", json_string(seed));
	}
	{
		/* when it was due on the gateway clock, and the clock once it acted
		 * (later by the time the action took: making a CA takes a while,
		 * and a fast clock runs on meanwhile) */
		const struct scenario *csc = &s->s_net.snap->sc;
		char gw[ISO_UTC_LEN];
		time_t due = scenario_clock_ms(csc, csc->clock_t0_ms) +
		    (time_t)((e->at_ms + tt->tt_jitter_ms) / 1000);
		if (scenario_clock_speed(csc) != 0 && iso_utc(due, gw) == 0)
			json_object_set_new(ev, "due", json_string(gw));
		if (iso_utc(scenario_clock_ms(csc, wall_ms()), gw) == 0)
			json_object_set_new(ev, "gateway_clock", json_string(gw));
	}
	json_object_set_new(ev, "action", json_string(sc_timeline_action_name(e->action)));
	if (e->line > 0)
		json_object_set_new(ev, "line", json_integer(e->line));
	if (e->action == SC_TL_ROTATE || e->action == SC_TL_OVERLAP) {
		json_object_set_new(ev, "chain", json_string(e->chain));
		json_object_set_new(ev, "variant",
		    json_string(pki_variant_name((enum pki_variant)e->variant)));
	} else if (e->action == SC_TL_RADIUS) {
		json_object_set_new(ev, "delay_ms", json_integer((json_int_t)e->radius_delay_ms));
		json_object_set_new(ev, "drop_percent", json_integer((json_int_t)e->radius_drop_percent));
		json_object_set_new(ev, "down", json_boolean(e->radius_down));
	} else if (e->action == SC_TL_NETWORK) {
		json_object_set_new(ev, "fault", json_integer(nf_id));
		json_object_set_new(ev, "type", json_string(sc_netfault_type_name(e->netfault.type)));
		json_object_set_new(ev, "direction", json_string(sc_netfault_dir_name(e->netfault.dir)));
		json_object_set_new(ev, "duration_ms", json_integer((json_int_t)e->netfault.duration_ms));
	} else if (e->action == SC_TL_MAINTENANCE) {
		json_object_set_new(ev, "duration_ms", json_integer((json_int_t)e->duration_ms));
		json_object_set_new(ev, "sessions_ended", json_integer((json_int_t)ended));
	}
	if (rc == 0 && (e->action == SC_TL_RADIUS || e->action == SC_TL_NETWORK)) {
		char text[200];
		if (e->action == SC_TL_RADIUS)
			snprintf(text, sizeof(text), "RADIUS %s, delay %u ms, drop %u %%",
			    e->radius_down ? "down" : "up", (unsigned)e->radius_delay_ms,
			    (unsigned)e->radius_drop_percent);
		else
			snprintf(text, sizeof(text), "network fault %s (%s) for %u ms",
			    sc_netfault_type_name(e->netfault.type),
			    sc_netfault_dir_name(e->netfault.dir), (unsigned)e->netfault.duration_ms);
		audit_event(server_audit(s), time(NULL), s->s_net.snap->generation,
		    e->action == SC_TL_RADIUS ? "radius" : "network", text);
	}
	json_object_set_new(ev, "result", json_string(rc == 0 ? "ok" : "failed"));
	if (rc != 0)
		json_object_set_new(ev, "error", json_string(err));
	json_object_set_new(ev, "policy_generation",
	    json_integer((json_int_t)s->s_net.snap->generation));
	evlog_emit(ev);
	if (rc != 0)
		log_warnx("timeline entry %zu (%s) failed: %s", tt->tt_idx,
		    sc_timeline_action_name(e->action), err);
}

struct timeline *
timeline_start(struct server *s)
{
	const struct scenario *sc = &s->s_net.snap->sc;
	struct timeline *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		log_warnx("%s: out of memory: timeline not armed", __func__);
		return NULL;
	}
	t->tl_magic = TIMELINE_MAGIC;
	t->tl_srv = s;
	t->tl_n = sc->n_timeline;
	memcpy(t->tl_entries, sc->timeline, sc->n_timeline * sizeof(sc->timeline[0]));
	/* on the gateway clock: a running clock fires entries speed times
	 * sooner; a stopped one (a fixed gateway.clock) at their offsets */
	uint32_t speed = scenario_clock_speed(sc);
	uint64_t seed = sc->seed;
	if (!sc->seed_set)
		rng_fill(NULL, (unsigned char *)&seed, sizeof(seed));
	t->tl_seed = seed;
	int64_t since = sc->clock_t0_ms != 0 ? wall_ms() - sc->clock_t0_ms : 0;
	uint64_t elapsed = since > 0 ? (uint64_t)since : 0;
	for (size_t i = 0; i < t->tl_n; i++) {
		struct tl_timer *tt = &t->tl_timers[i];
		struct sc_timeline *e = &t->tl_entries[i];
		if (e->within_ms != 0) {   /* a random time in the window, from the seed */
			tt->tt_jitter_ms = splitmix64(seed + 0x9e3779b97f4a7c15u * (i + 1)) %
			    e->within_ms;
		}
		uint64_t ms = (e->at_ms + tt->tt_jitter_ms) / (speed > 1 ? speed : 1);
		/* counted from when the clock started (the load), not from now */
		ms = ms > elapsed ? ms - elapsed : 0;
		struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
		tt->tt_tl = t;
		tt->tt_idx = i;
		tt->tt_ev = evtimer_new(s->s_base, on_entry, tt);
		if (tt->tt_ev == NULL || evtimer_add(tt->tt_ev, &tv) != 0)
			log_warnx("%s: cannot arm timeline entry %zu", __func__, i);
	}
	if (sc->renew_after_pct != 0 || sc->renew_left != 0) {
		/* daily on the gateway clock (at most every 10 ms of real time) */
		uint64_t us = (uint64_t)RENEW_CHECK_S * 1000000u / (speed > 1 ? speed : 1);
		if (us < 10000)
			us = 10000;
		struct timeval day = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
		t->tl_renew_ev = event_new(s->s_base, -1, EV_PERSIST, on_renew, t);
		if (t->tl_renew_ev == NULL || evtimer_add(t->tl_renew_ev, &day) != 0)
			log_warnx("%s: cannot arm the daily renewal check", __func__);
		(void)renew_check(s);
	}
	return t;
}

void
timeline_free(struct timeline *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->tl_n; i++)
		if (t->tl_timers[i].tt_ev != NULL)
			event_free(t->tl_timers[i].tt_ev);
	if (t->tl_renew_ev != NULL)
		event_free(t->tl_renew_ev);
	t->tl_magic = 0;
	free(t);
}
