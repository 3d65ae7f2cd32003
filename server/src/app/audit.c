#include "app/audit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/client_id.h"
#include "config/scenario.h"
#include "tls/policy.h"
#include "tls/tls_names.h"
#include "util/xtime.h"

#define AUDIT_NIL      UINT32_MAX
#define AUDIT_KEY_MAX  (40 + 256 + 64)

struct audit_client {
	uint64_t           serial;        /* 0: free slot */
	uint32_t           prev, next;    /* LRU list, most recent first */
	uint32_t           hnext;         /* hash chain */
	uint32_t           hash;
	uint32_t           okey;          /* offer_key: what the fingerprint leaves out */
	char               fp[40];        /* JA4, or JA3 hash */
	char               ja3_hash[33];
	char               sni[256];
	char               addr[64];
	time_t             first_seen, last_seen;
	struct audit_offer offer;
	uint64_t           n_conns, n_accepted, n_refused, n_tls_ok, n_alerts,
	                   n_closed_after_hs, n_sstp, n_tunnels;
	/* the latest outcome of any connection */
	enum audit_outcome last;
	char               last_detail[2048]; /* the gate's words fit (tls/policy.h) */
	uint64_t           last_gen;
	char               last_chain[64];
	time_t             last_at;
	/* rotation rehearsal */
	uint64_t           success_gen, prev_success_gen;
	char               success_chain[64];
	enum audit_outcome fail;          /* latest non-success outcome */
	char               fail_detail[2048];
	uint64_t           fail_gen;
	time_t             success_at, fail_at;
	/* client_identify's answer, computed on the first report (the offer of
	 * an entry never changes: offer_key is part of its key) */
	struct client_label label;
	uint8_t            labelled;
};

/* Connections per second, by how they ended, for the rehearsal timeline. */
struct audit_second {
	uint32_t t;          /* the second (Unix time) this slot counts */
	uint32_t ok, fail;
};

struct audit_event {
	time_t   at;
	uint64_t generation;
	char     kind[16];
	char     text[400];
};

struct audit {
	pthread_mutex_t      mu;          /* hooks come from every worker thread */
	struct audit_client *slots;
	size_t               cap, used;
	uint32_t            *buckets;     /* cap buckets */
	uint32_t             head, tail;
	uint64_t             next_serial;
	struct audit_second *secs;        /* AUDIT_SECONDS, indexed by t % AUDIT_SECONDS */
	struct audit_event   events[AUDIT_EVENTS]; /* a ring: the newest AUDIT_EVENTS */
	size_t               n_events;    /* ever recorded */
};

/* ---- eras ---------------------------------------------------------------- */

/* Properties of the suites in the three presets: TLS 1.2 only (GCM, SHA-2
 * MAC), ECDHE, ECDSA. A local table rather than mbedTLS' list, which leaves
 * out RC4 and 3DES in its default build. */
static const struct {
	uint16_t id;
	uint8_t  tls12, ecdhe, ecdsa;
} suite_props[] = {
	{ 0xc02b, 1, 1, 1 }, { 0xc02c, 1, 1, 1 }, { 0xc02f, 1, 1, 0 }, { 0xc030, 1, 1, 0 },
	{ 0xc023, 1, 1, 1 }, { 0xc024, 1, 1, 1 }, { 0xc027, 1, 1, 0 }, { 0xc028, 1, 1, 0 },
	{ 0x009c, 1, 0, 0 }, { 0x009d, 1, 0, 0 }, { 0x003c, 1, 0, 0 }, { 0x003d, 1, 0, 0 },
	{ 0xc014, 0, 1, 0 }, { 0xc013, 0, 1, 0 }, { 0xc00a, 0, 1, 1 }, { 0xc009, 0, 1, 1 },
	{ 0x0035, 0, 0, 0 }, { 0x002f, 0, 0, 0 }, { 0x000a, 0, 0, 0 }, { 0x0005, 0, 0, 0 },
	{ 0x0004, 0, 0, 0 },
};

/* The curves the shipped era scenarios configure (supported_groups ids). */
static const uint16_t curves_pre2018[] = { 23, 24, 25 };
static const uint16_t curves_modern[] = { 29, 23, 24, 25 };

static const struct {
	const char     *name;     /* "pre-2018" */
	const char     *label;    /* start of every verdict */
	const char     *preset;   /* scenario_cipher_preset_ids */
	uint16_t        lo, hi;   /* versions */
	const uint16_t *curves;
	size_t          n_curves;
	const char     *no_suite; /* why, when no suite fits */
} eras[AUDIT_ERA__COUNT] = {
	{ "pre-2018", "before 2018-07-01", "azure-pre-2018", 0x0301, 0x0303,
	  curves_pre2018, 3, "offers no suite of the legacy list usable with an RSA key" },
	{ "2018", "after 2018-07-01", "azure-2018", 0x0303, 0x0303,
	  curves_modern, 4, "offers none of the 12 documented suites usable with an RSA key" },
	{ "2024", "2024 policy", "azure-2024", 0x0303, 0x0303,
	  curves_modern, 4, "offers no ECDHE-RSA AES-GCM/CBC-SHA2 suite" },
};

const char *
audit_era_name(enum audit_era e)
{
	return (unsigned)e < AUDIT_ERA__COUNT ? eras[e].name : "?";
}

const char *
audit_outcome_name(enum audit_outcome o)
{
	switch (o) {
	case AO_NONE:                   return "none";
	case AO_REFUSED:                return "refused";
	case AO_CLIENT_ALERT:           return "client_alert";
	case AO_TLS_FAILED:             return "tls_failed";
	case AO_CLOSED_AFTER_HANDSHAKE: return "closed_after_handshake";
	case AO_CLOSED:                 return "closed";
	case AO_SSTP_REQUEST:           return "sstp_request";
	case AO_TUNNEL_UP:              return "tunnel_up";
	}
	return "?";
}

const char *
audit_rehearsal_name(enum audit_rehearsal r)
{
	switch (r) {
	case AR_NEVER_SUCCEEDED: return "never_succeeded";
	case AR_NO_ROTATION:     return "no_rotation";
	case AR_RECONNECTED:     return "reconnected";
	case AR_FAILED:          return "failed";
	case AR_NOT_SEEN_SINCE:  return "not_seen_since";
	}
	return "?";
}

static void
copy_u16(uint16_t *dst, size_t *n, const uint16_t *src, size_t sn, size_t cap)
{
	*n = sn < cap ? sn : cap;
	memcpy(dst, src, *n * sizeof(*dst));
}

void
audit_offer_from_ch(const struct ch_info *ch, struct audit_offer *o)
{
	memset(o, 0, sizeof(*o));
	o->sslv2 = (uint8_t)ch->sslv2;
	o->legacy_version = ch->legacy_version;
	o->max_version = ch->max_version;
	copy_u16(o->versions, &o->n_versions, ch->versions, ch->n_versions, CH_MAX_VERSIONS);
	copy_u16(o->suites, &o->n_suites, ch->suites, ch->n_suites, CH_MAX_SUITES);
	copy_u16(o->groups, &o->n_groups, ch->groups, ch->n_groups, CH_MAX_GROUPS);
	copy_u16(o->sigalgs, &o->n_sigalgs, ch->sigalgs, ch->n_sigalgs, CH_MAX_SIGALGS);
	copy_u16(o->exts, &o->n_exts, ch->exts, ch->n_exts, CH_MAX_EXTS);
	o->hello_bytes = ch->msg_len;
	o->records = ch->n_records;
}

static int
has_u16(const uint16_t *v, size_t n, uint16_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* The highest version both accept, or 0 (as policy_gate negotiates). */
static uint16_t
era_version(const struct audit_offer *o, uint16_t lo, uint16_t hi)
{
	uint16_t best = 0;

	if (o->n_versions > 0) {
		for (size_t i = 0; i < o->n_versions; i++)
			if (o->versions[i] >= lo && o->versions[i] <= hi && o->versions[i] > best)
				best = o->versions[i];
		return best;
	}
	best = o->legacy_version < hi ? o->legacy_version : hi;
	return best >= lo ? best : 0;
}

/*
 * What to change on a client that fails an era, by the reason it fails.
 * The Windows 7/8 fix is the 2018 notice's (azure-docs vpn-gateway-tls-include,
 * 2018-07-27: KB3140245, KB2977292, DefaultSecureProtocols 0xaa0, TlsVersion
 * 0xfc0); the .NET keys are the .NET notice's. SChannel and .NET Framework
 * hellos look alike on the wire, so both are named when a hello stops at
 * TLS 1.0 or 1.1. TlsVersion: 0xfc0 (TLS 1.0, 1.1 and 1.2 for EAP) rather than
 * 0xC00 (TLS 1.2 only): both let EAP-TLS reach the gateway, and 0xfc0 keeps the
 * machine's other EAP servers that still need TLS 1.0/1.1 working.
 */
static const char fix_tls12[] =
    "enable TLS 1.2 on the client. Windows 7 SP1 / 8: install KB3140245 and KB2977292, set "
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\WinHttp "
    "DefaultSecureProtocols=0xaa0 (and the same under Wow6432Node), for EAP-TLS "
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\RasMan\\PPP\\EAP\\13 TlsVersion=0xfc0, "
    "then reboot. A .NET Framework application: SchUseStrongCrypto=1 and "
    "SystemDefaultTlsVersions=1 under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 "
    "(and Wow6432Node). Windows XP / Vista: no TLS 1.2 update, move to a supported Windows";
static const char fix_tls13_only[] =
    "allow TLS 1.2 on the client: the gateway has no TLS 1.3";
static const char fix_sslv2[] =
    "make the client send a TLS-format hello: turn SSL 2.0 off for clients (Windows: "
    "SCHANNEL\\Protocols\\SSL 2.0\\Client Enabled=0) or move to a newer TLS stack "
    "[inferred]";
static const char fix_too_large[] =
    "offer fewer suites or extensions: the hello must fit 16,384 bytes";
static const char fix_no_groups[] =
    "send supported_groups with P-256 or P-384 (Windows: the ECC Curve Order policy), or "
    "offer an RSA key exchange suite the era allows";
static const char fix_suites_2018[] =
    "enable one of the 12 suites of the 2018 list, e.g. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "
    "or TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 (Windows: the SSL Cipher Suite Order policy, or "
    "Enable-TlsCipherSuite on Windows 10 / Server 2016 and later); RC4 and 3DES are gone";
static const char fix_suites_2024[] =
    "enable an ECDHE-RSA suite with AES-GCM or AES-CBC-SHA256/384, e.g. "
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Windows: the SSL Cipher Suite Order policy, or "
    "Enable-TlsCipherSuite on Windows 10 / Server 2016 and later)";
static const char fix_suites_pre2018[] =
    "enable an RSA suite of the legacy list (AES-CBC, 3DES or RC4 with RSA or ECDHE-RSA)";

static void
set_fix(struct audit_era_verdict *v, const char *fix)
{
	snprintf(v->fix, sizeof(v->fix), "%s", fix);
}

void
audit_era_check(const struct audit_offer *o, enum audit_era era, struct audit_era_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if ((unsigned)era >= AUDIT_ERA__COUNT) {
		snprintf(v->why, sizeof(v->why), "unknown era");
		return;
	}
	const char *label = eras[era].label;
	uint16_t ver = era_version(o, eras[era].lo, eras[era].hi);
	if (ver == 0) {
		if (o->max_version > eras[era].hi) {
			snprintf(v->why, sizeof(v->why), "%s: no, offers only versions above %s",
			    label, tls_version_name(eras[era].hi));
			set_fix(v, fix_tls13_only);
		} else {
			snprintf(v->why, sizeof(v->why), "%s: no, offers at most %s", label,
			    tls_version_name(o->max_version));
			set_fix(v, fix_tls12);
		}
		return;
	}

	/* the gate refuses this form whatever it offers (tls/policy.c) */
	if (o->sslv2) {
		snprintf(v->why, sizeof(v->why), "%s: no, it sends an SSLv2-format ClientHello, "
		    "which the gateway's TLS engine (mbedTLS 2.28) cannot answer", label);
		set_fix(v, fix_sslv2);
		return;
	}

	if (o->hello_bytes > TLS_ENGINE_MAX_HELLO) {
		snprintf(v->why, sizeof(v->why), "%s: no, its ClientHello (%zu bytes) is larger "
		    "than the TLS engine reads (%d)", label, o->hello_bytes, TLS_ENGINE_MAX_HELLO);
		set_fix(v, fix_too_large);
		return;
	}

	size_t n_ids = 0;
	const uint16_t *ids = scenario_cipher_preset_ids(eras[era].preset, &n_ids);
	/* without supported_groups the engine takes no ECDHE suite (tls/policy.c) */
	int curve_ok = 0;
	for (size_t i = 0; i < eras[era].n_curves && !curve_ok; i++)
		curve_ok = has_u16(o->groups, o->n_groups, eras[era].curves[i]);

	int ecdhe_only_blocked = 0;
	for (size_t i = 0; ids != NULL && i < n_ids; i++) {   /* server preference */
		if (!has_u16(o->suites, o->n_suites, ids[i]))
			continue;
		size_t k;
		for (k = 0; k < sizeof(suite_props) / sizeof(suite_props[0]); k++)
			if (suite_props[k].id == ids[i])
				break;
		if (k == sizeof(suite_props) / sizeof(suite_props[0]) || suite_props[k].ecdsa)
			continue;   /* the leaf key is RSA */
		if (suite_props[k].tls12 && ver < 0x0303)
			continue;
		if (suite_props[k].ecdhe && !curve_ok) {
			ecdhe_only_blocked = 1;
			continue;
		}
		const char *name = tls_suite_name(ids[i]);
		v->ok = 1;
		v->version = ver;
		v->suite = ids[i];
		snprintf(v->why, sizeof(v->why), "%s: yes, %s with %s", label, tls_version_name(ver),
		    name ? name : "?");
		return;
	}
	if (ecdhe_only_blocked && o->n_groups == 0) {
		snprintf(v->why, sizeof(v->why), "%s: no, its ECDHE suites need the "
		    "supported_groups extension, which it does not send", label);
		set_fix(v, fix_no_groups);
	} else if (ecdhe_only_blocked) {
		snprintf(v->why, sizeof(v->why), "%s: no, its ECDHE suites need a curve the "
		    "gateway has and it offers none", label);
		set_fix(v, fix_no_groups);
	} else {
		snprintf(v->why, sizeof(v->why), "%s: no, %s%s%s", label, eras[era].no_suite,
		    ver < 0x0303 ? " at " : "", ver < 0x0303 ? tls_version_name(ver) : "");
		set_fix(v, era == AUDIT_ERA_2024 ? fix_suites_2024 : era == AUDIT_ERA_2018 ?
		    fix_suites_2018 : fix_suites_pre2018);
	}
}

/* ---- the table ----------------------------------------------------------- */

static uint32_t
fnv(uint32_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
	return h;
}

static int
cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* FNV-1a over the set (sorted, GREASE left out) of n values */
static uint32_t
fnv_set(uint32_t h, const uint16_t *v, size_t n)
{
	uint16_t s[CH_MAX_SUITES];
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof(s) / sizeof(s[0]); i++)
		if (!ch_is_grease(v[i]))
			s[k++] = v[i];
	qsort(s, k, sizeof(s[0]), cmp_u16);
	h = fnv(h, &k, sizeof(k));
	return fnv(h, s, k * sizeof(s[0]));
}

/*
 * Two clients behind one address with the same JA4 may still differ in what
 * decides the verdicts: JA4 leaves out the supported groups, the hello's
 * format and size, and the exact versions. The key covers every field the
 * era check reads, as sets, so clients that may be judged differently are
 * never one row, and one client stays one row however it orders its lists
 * (browsers shuffle their extensions).
 */
static uint32_t
offer_key(const struct audit_offer *o)
{
	uint32_t h = 2166136261u;
	uint8_t big = o->hello_bytes > TLS_ENGINE_MAX_HELLO;
	h = fnv(h, &o->sslv2, sizeof(o->sslv2));
	h = fnv(h, &big, sizeof(big));
	h = fnv(h, &o->legacy_version, sizeof(o->legacy_version));
	h = fnv_set(h, o->versions, o->n_versions);
	h = fnv_set(h, o->suites, o->n_suites);
	h = fnv_set(h, o->groups, o->n_groups);
	return fnv_set(h, o->sigalgs, o->n_sigalgs);
}

static uint32_t
key_hash(const char *fp, const char *sni, const char *addr, uint32_t okey)
{
	static const uint8_t sep = 0xff;
	uint32_t h = 2166136261u; /* FNV-1a over the three strings and separators */
	const char *parts[3] = { fp, sni, addr };
	for (int i = 0; i < 3; i++) {
		h = fnv(h, parts[i], strlen(parts[i]));
		h = fnv(h, &sep, 1);
	}
	return fnv(h, &okey, sizeof(okey));
}

struct audit *
audit_new(size_t cap)
{
	if (cap == 0)
		cap = AUDIT_DEFAULT_CAP;
	if (cap >= AUDIT_NIL)
		return NULL;
	struct audit *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->slots = calloc(cap, sizeof(*a->slots));
	a->buckets = malloc(cap * sizeof(*a->buckets));
	a->secs = calloc(AUDIT_SECONDS, sizeof(*a->secs));
	if (a->slots == NULL || a->buckets == NULL || a->secs == NULL) {
		audit_free(a);
		return NULL;
	}
	for (size_t i = 0; i < cap; i++)
		a->buckets[i] = AUDIT_NIL;
	a->cap = cap;
	a->head = a->tail = AUDIT_NIL;
	a->next_serial = 1;
	pthread_mutex_init(&a->mu, NULL);
	return a;
}

void
audit_free(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->cap != 0)
		pthread_mutex_destroy(&a->mu);
	free(a->slots);
	free(a->buckets);
	free(a->secs);
	free(a);
}

static void
audit_lock(const struct audit *a)
{
	pthread_mutex_lock((pthread_mutex_t *)&a->mu);
}

static void
audit_unlock(const struct audit *a)
{
	pthread_mutex_unlock((pthread_mutex_t *)&a->mu);
}

size_t
audit_count(const struct audit *a)
{
	if (a == NULL)
		return 0;
	audit_lock(a);
	size_t n = a->used;
	audit_unlock(a);
	return n;
}

static void
lru_unlink(struct audit *a, uint32_t i)
{
	struct audit_client *c = &a->slots[i];
	if (c->prev != AUDIT_NIL)
		a->slots[c->prev].next = c->next;
	else
		a->head = c->next;
	if (c->next != AUDIT_NIL)
		a->slots[c->next].prev = c->prev;
	else
		a->tail = c->prev;
	c->prev = c->next = AUDIT_NIL;
}

static void
lru_push_front(struct audit *a, uint32_t i)
{
	struct audit_client *c = &a->slots[i];
	c->prev = AUDIT_NIL;
	c->next = a->head;
	if (a->head != AUDIT_NIL)
		a->slots[a->head].prev = i;
	a->head = i;
	if (a->tail == AUDIT_NIL)
		a->tail = i;
}

static void
hash_remove(struct audit *a, uint32_t i)
{
	uint32_t *p = &a->buckets[a->slots[i].hash % a->cap];
	while (*p != AUDIT_NIL && *p != i)
		p = &a->slots[*p].hnext;
	if (*p == i)
		*p = a->slots[i].hnext;
}

static uint32_t
lookup(const struct audit *a, const char *fp, const char *sni, const char *addr, uint32_t okey,
    uint32_t h)
{
	for (uint32_t i = a->buckets[h % a->cap]; i != AUDIT_NIL; i = a->slots[i].hnext) {
		const struct audit_client *c = &a->slots[i];
		if (c->hash == h && c->okey == okey && strcmp(c->fp, fp) == 0 &&
		    strcmp(c->sni, sni) == 0 && strcmp(c->addr, addr) == 0)
			return i;
	}
	return AUDIT_NIL;
}

/* The most recently seen client with this fingerprint, SNI and address (of
 * any offer variant). */
const struct audit_client *
audit_find(const struct audit *a, const char *fp, const char *sni, const char *addr)
{
	if (a == NULL)
		return NULL;
	for (uint32_t i = a->head; i != AUDIT_NIL; i = a->slots[i].next) {
		const struct audit_client *c = &a->slots[i];
		if (strcmp(c->fp, fp) == 0 && strcmp(c->sni, sni) == 0 && strcmp(c->addr, addr) == 0)
			return c;
	}
	return NULL;
}

/* "127.0.0.1:4433" -> "127.0.0.1", "[::1]:4433" -> "::1" */
static void
peer_addr(const char *peer, char *out, size_t len)
{
	if (peer[0] == '[') {
		const char *e = strchr(peer, ']');
		size_t n = e ? (size_t)(e - peer - 1) : strlen(peer + 1);
		snprintf(out, len, "%.*s", (int)n, peer + 1);
		return;
	}
	const char *c = strrchr(peer, ':');
	size_t n = c ? (size_t)(c - peer) : strlen(peer);
	snprintf(out, len, "%.*s", (int)n, peer);
}

static struct audit_client *
ref_client(struct audit *a, const struct audit_ref *ref)
{
	if (a == NULL || ref->serial == 0 || ref->slot >= a->cap)
		return NULL;
	struct audit_client *c = &a->slots[ref->slot];
	return c->serial == ref->serial ? c : NULL;
}

/* Count one connection's end in its second. */
static void
count_second(struct audit *a, time_t now, int ok)
{
	if (now <= 0 || (uint64_t)now > UINT32_MAX)
		return;
	struct audit_second *s = &a->secs[(uint64_t)now % AUDIT_SECONDS];
	if (s->t != (uint32_t)now) {
		s->t = (uint32_t)now;
		s->ok = s->fail = 0;
	}
	if (ok)
		s->ok++;
	else
		s->fail++;
}

/* The one outcome of a connection (each connection records exactly one). */
static void
record(struct audit *a, struct audit_client *c, enum audit_outcome o, const char *detail,
    const struct audit_ctx *ctx)
{
	int ok = o == AO_SSTP_REQUEST || o == AO_TUNNEL_UP;
	count_second(a, ctx->now, ok);
	c->last = o;
	snprintf(c->last_detail, sizeof(c->last_detail), "%s", detail ? detail : "");
	c->last_gen = ctx->generation;
	snprintf(c->last_chain, sizeof(c->last_chain), "%s", ctx->chain ? ctx->chain : "");
	c->last_at = ctx->now;
	c->last_seen = ctx->now;
	if (ok) {
		c->success_at = ctx->now;
		if (c->success_gen != ctx->generation) {
			c->prev_success_gen = c->success_gen;
			c->success_gen = ctx->generation;
		}
		snprintf(c->success_chain, sizeof(c->success_chain), "%s", ctx->chain ? ctx->chain : "");
	} else {
		c->fail = o;
		snprintf(c->fail_detail, sizeof(c->fail_detail), "%s", detail ? detail : "");
		c->fail_gen = ctx->generation;
		c->fail_at = ctx->now;
	}
}

static void
audit_hello_locked(struct audit *a, struct audit_ref *ref, const struct ch_info *ch, const char *peer,
    const struct audit_offer *offer, uint32_t okey, int accepted, const char *why,
    const struct audit_ctx *ctx)
{
	char addr[64];

	memset(ref, 0, sizeof(*ref));
	if (a == NULL)
		return;
	const char *fp = ch->ja4[0] ? ch->ja4 : ch->ja3_hash;
	const char *sni = ch->has_sni ? ch->sni : "";
	peer_addr(peer, addr, sizeof(addr));
	uint32_t h = key_hash(fp, sni, addr, okey);
	uint32_t i = lookup(a, fp, sni, addr, okey, h);
	struct audit_client *c;
	if (i != AUDIT_NIL) {
		lru_unlink(a, i);
		c = &a->slots[i];
	} else {
		if (a->used < a->cap) {
			i = (uint32_t)a->used++;
		} else {              /* evict the least recently seen */
			i = a->tail;
			lru_unlink(a, i);
			hash_remove(a, i);
		}
		c = &a->slots[i];
		memset(c, 0, sizeof(*c));
		c->serial = a->next_serial++;
		c->hash = h;
		c->okey = okey;
		snprintf(c->fp, sizeof(c->fp), "%s", fp);
		snprintf(c->sni, sizeof(c->sni), "%s", sni);
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->first_seen = ctx->now;
		c->hnext = a->buckets[h % a->cap];
		a->buckets[h % a->cap] = i;
	}
	lru_push_front(a, i);
	snprintf(c->ja3_hash, sizeof(c->ja3_hash), "%s", ch->ja3_hash);
	c->offer = *offer;
	c->last_seen = ctx->now;
	c->n_conns++;
	ref->slot = i;
	ref->serial = c->serial;
	if (accepted) {
		c->n_accepted++;
	} else {
		c->n_refused++;
		ref->outcome_set = 1;
		record(a, c, AO_REFUSED, why, ctx);
	}
}

static void
audit_tls_locked(struct audit *a, struct audit_ref *ref, int ok, const char *alert, const char *detail,
    const struct audit_ctx *ctx)
{
	struct audit_client *c = ref_client(a, ref);
	if (c == NULL)
		return;
	c->last_seen = ctx->now;
	if (ok) {
		ref->tls_ok = 1;
		c->n_tls_ok++;
		return;
	}
	ref->outcome_set = 1;
	if (alert != NULL) {
		c->n_alerts++;
		record(a, c, AO_CLIENT_ALERT, alert, ctx);
	} else {
		record(a, c, AO_TLS_FAILED, detail, ctx);
	}
}

static void
audit_app_data_locked(struct audit *a, struct audit_ref *ref, const struct audit_ctx *ctx)
{
	struct audit_client *c = ref_client(a, ref);
	if (c == NULL || ref->app_seen)
		return;
	/* not a success yet: sstpc 1.0.18 sends its HTTP request before it checks
	 * the certificate; audit_close decides once the connection has ended */
	ref->app_seen = 1;
	c->n_sstp++;
}

static void
audit_tunnel_up_locked(struct audit *a, struct audit_ref *ref, const struct audit_ctx *ctx)
{
	struct audit_client *c = ref_client(a, ref);
	if (c == NULL || ref->tunnel_up)
		return;
	ref->tunnel_up = 1;
	ref->outcome_set = 1;
	c->n_tunnels++;
	record(a, c, AO_TUNNEL_UP, "tunnel up", ctx);
}

static void
audit_close_locked(struct audit *a, struct audit_ref *ref, const char *reason, const char *detail,
    const struct audit_ctx *ctx)
{
	struct audit_client *c = ref_client(a, ref);
	char d[1024];

	if (c == NULL)
		return;
	c->last_seen = ctx->now;
	/* close_notify is an orderly close: the client had the certificate and
	 * accepted it (a probe, a client with nothing more to say); a client that
	 * rejects it sends an alert, or drops the connection */
	int notify = reason != NULL && strcmp(reason, "client_close_notify") == 0;
	if (ref->tls_ok && !ref->app_seen) {
		c->n_closed_after_hs++;
		if (notify)
			snprintf(d, sizeof(d), "closed after the handshake with close_notify, without "
			    "an SSTP request: an orderly close, not a certificate rejection");
		else
			snprintf(d, sizeof(d), "closed right after the handshake without an SSTP "
			    "request or an alert (%s): how a client that rejects the certificate "
			    "silently ends", reason ? reason : "?");
		record(a, c, AO_CLOSED_AFTER_HANDSHAKE, d, ctx);
	} else if (ref->tls_ok && ref->app_seen && !ref->tunnel_up) {
		int hung_up = reason != NULL && (strcmp(reason, "client_closed") == 0 ||
		    notify || strcmp(reason, "client_reset") == 0);
		if (hung_up) {
			c->n_closed_after_hs++;
			if (notify)
				snprintf(d, sizeof(d), "closed after the handshake and its request with "
				    "close_notify, without setting up the call: an orderly close, not a "
				    "certificate rejection");
			else
				snprintf(d, sizeof(d), "hung up after its request without setting up the "
				    "call (%s): a client that rejects the certificate after sending its "
				    "request, as sstpc 1.0.18 does, ends this way", reason);
			record(a, c, AO_CLOSED_AFTER_HANDSHAKE, d, ctx);
		} else {
			/* the detail carries what PPP said: an EAP-TLS client whose TLS
			 * inside EAP is too old reads the TlsVersion fix here */
			snprintf(d, sizeof(d), "got past the certificate: its request was answered "
			    "(%s%s%s)", reason ? reason : "?", detail && *detail ? ": " : "",
			    detail ? detail : "");
			record(a, c, AO_SSTP_REQUEST, d, ctx);
		}
		ref->outcome_set = 1;
	} else if (!ref->outcome_set) {
		snprintf(d, sizeof(d), "%s%s%s", reason ? reason : "?", detail && *detail ? ": " : "",
		    detail ? detail : "");
		record(a, c, AO_CLOSED, d, ctx);
	}
	ref->serial = 0;
}

/* The hooks, each under the audit's lock. */
void
audit_hello(struct audit *a, struct audit_ref *ref, const struct ch_info *ch, const char *peer,
    int accepted, const char *why, const struct audit_ctx *ctx)
{
	if (a == NULL) {
		memset(ref, 0, sizeof(*ref));
		return;
	}
	/* the offer and its key (sorting four lists) outside the lock that every
	 * worker's handshakes share */
	struct audit_offer offer;
	audit_offer_from_ch(ch, &offer);
	uint32_t okey = offer_key(&offer);
	audit_lock(a);
	audit_hello_locked(a, ref, ch, peer, &offer, okey, accepted, why, ctx);
	audit_unlock(a);
}

void
audit_tls(struct audit *a, struct audit_ref *ref, int ok, const char *alert, const char *detail,
    const struct audit_ctx *ctx)
{
	if (a == NULL)
		return;
	audit_lock(a);
	audit_tls_locked(a, ref, ok, alert, detail, ctx);
	audit_unlock(a);
}

void
audit_app_data(struct audit *a, struct audit_ref *ref, const struct audit_ctx *ctx)
{
	if (a == NULL)
		return;
	audit_lock(a);
	audit_app_data_locked(a, ref, ctx);
	audit_unlock(a);
}

void
audit_tunnel_up(struct audit *a, struct audit_ref *ref, const struct audit_ctx *ctx)
{
	if (a == NULL)
		return;
	audit_lock(a);
	audit_tunnel_up_locked(a, ref, ctx);
	audit_unlock(a);
}

void
audit_close(struct audit *a, struct audit_ref *ref, const char *reason, const char *detail,
    const struct audit_ctx *ctx)
{
	if (a == NULL)
		return;
	audit_lock(a);
	audit_close_locked(a, ref, reason, detail, ctx);
	audit_unlock(a);
}

/* ---- reports ------------------------------------------------------------- */

enum audit_rehearsal
audit_client_rehearsal(const struct audit_client *c, uint64_t cur, char *text, size_t len)
{
	if (c->success_gen == 0) {
		snprintf(text, len, "never completed a connection (last: %s%s%s)",
		    audit_outcome_name(c->last), c->last_detail[0] ? ", " : "", c->last_detail);
		return AR_NEVER_SUCCEEDED;
	}
	if (c->success_gen >= cur) {
		if (c->prev_success_gen != 0) {
			snprintf(text, len, "reconnected after the change from policy generation %llu "
			    "to %llu (chain %s)", (unsigned long long)c->prev_success_gen,
			    (unsigned long long)c->success_gen, c->success_chain);
			return AR_RECONNECTED;
		}
		snprintf(text, len, "succeeded under the current policy (generation %llu); "
		    "no rotation since", (unsigned long long)c->success_gen);
		return AR_NO_ROTATION;
	}
	if (c->fail_gen > c->success_gen) {
		const char *what = c->fail == AO_CLIENT_ALERT ? "sent alert " : "";
		snprintf(text, len, "did not reconnect after the rotation (last success at generation "
		    "%llu, chain %s): %s%s", (unsigned long long)c->success_gen, c->success_chain,
		    what, c->fail_detail[0] ? c->fail_detail : audit_outcome_name(c->fail));
		return AR_FAILED;
	}
	snprintf(text, len, "not seen since the rotation (last success at generation %llu, "
	    "chain %s)", (unsigned long long)c->success_gen, c->success_chain);
	return AR_NOT_SEEN_SINCE;
}

static json_t *
iso_time(time_t t)
{
	char buf[ISO_UTC_LEN];
	return t == 0 || iso_utc(t, buf) != 0 ? json_null() : json_string(buf);
}

static json_t *
offer_json(const struct audit_offer *o)
{
	json_t *off = json_object();
	json_object_set_new(off, "format", json_string(o->sslv2 ? "sslv2" : "tls"));
	json_object_set_new(off, "hello_bytes", json_integer((json_int_t)o->hello_bytes));
	if (!o->sslv2)
		json_object_set_new(off, "records", json_integer((json_int_t)o->records));
	json_object_set_new(off, "max_version", json_string(tls_version_name(o->max_version)));
	json_object_set_new(off, "versions", tls_names_json(o->versions, o->n_versions,
	    tls_version_name));
	json_object_set_new(off, "suites", tls_names_json(o->suites, o->n_suites, tls_suite_name));
	json_object_set_new(off, "groups", tls_names_json(o->groups, o->n_groups, tls_group_name));
	json_object_set_new(off, "sigalgs", tls_names_json(o->sigalgs, o->n_sigalgs,
	    tls_sigalg_name));
	return off;
}

static json_t *
client_json(const struct audit_client *c, uint64_t cur_gen, const char *cur_chain)
{
	char text[2400]; /* a rehearsal text quotes a whole detail */
	json_t *o = json_object();
	json_object_set_new(o, "fingerprint", json_string(c->fp));
	char okey[9];
	snprintf(okey, sizeof(okey), "%08x", c->okey);
	json_object_set_new(o, "offer_key", json_string(okey));
	json_object_set_new(o, "ja3_hash", json_string(c->ja3_hash));
	json_object_set_new(o, "sni", json_string(c->sni));
	json_object_set_new(o, "address", json_string(c->addr));
	json_object_set_new(o, "first_seen", iso_time(c->first_seen));
	json_object_set_new(o, "last_seen", iso_time(c->last_seen));

	json_object_set_new(o, "offered", offer_json(&c->offer));

	json_object_set_new(o, "counts", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "connections", (json_int_t)c->n_conns, "accepted", (json_int_t)c->n_accepted,
	    "refused", (json_int_t)c->n_refused, "tls_ok", (json_int_t)c->n_tls_ok,
	    "client_alerts", (json_int_t)c->n_alerts,
	    "closed_after_handshake", (json_int_t)c->n_closed_after_hs,
	    "sstp_requests", (json_int_t)c->n_sstp, "tunnels_up", (json_int_t)c->n_tunnels));

	json_t *last = json_object();
	json_object_set_new(last, "outcome", json_string(audit_outcome_name(c->last)));
	json_object_set_new(last, "detail", json_string(c->last_detail));
	json_object_set_new(last, "policy_generation", json_integer((json_int_t)c->last_gen));
	json_object_set_new(last, "chain", json_string(c->last_chain));
	json_object_set_new(last, "at", iso_time(c->last_at));
	json_object_set_new(o, "last_outcome", last);

	json_t *er = json_object();
	for (int e = 0; e < AUDIT_ERA__COUNT; e++) {
		struct audit_era_verdict v;
		audit_era_check(&c->offer, (enum audit_era)e, &v);
		json_t *ev = json_pack("{s:b, s:s}", "ok", v.ok, "why", v.why);
		if (v.ok) {
			const char *sn = tls_suite_name(v.suite);
			json_object_set_new(ev, "version", json_string(tls_version_name(v.version)));
			json_object_set_new(ev, "suite", sn ? json_string(sn) : json_null());
			json_object_set_new(ev, "suite_id", json_integer(v.suite));
		} else if (v.fix[0] != '\0') {
			json_object_set_new(ev, "fix", json_string(v.fix));
		}
		json_object_set_new(er, audit_era_name((enum audit_era)e), ev);
	}
	json_object_set_new(o, "eras", er);

	enum audit_rehearsal r = audit_client_rehearsal(c, cur_gen, text, sizeof(text));
	json_t *rot = json_object();
	json_object_set_new(rot, "state", json_string(audit_rehearsal_name(r)));
	json_object_set_new(rot, "text", json_string(text));
	json_object_set_new(rot, "last_success_generation", json_integer((json_int_t)c->success_gen));
	json_object_set_new(rot, "last_success_chain", json_string(c->success_chain));
	json_object_set_new(rot, "current_generation", json_integer((json_int_t)cur_gen));
	json_object_set_new(rot, "current_chain", json_string(cur_chain ? cur_chain : ""));
	json_object_set_new(o, "rotation", rot);
	return o;
}

json_t *
audit_json(const struct audit *a, uint64_t cur_gen, const char *cur_chain)
{
	json_t *arr = json_array();
	if (a == NULL)
		return arr;
	audit_lock(a);
	for (uint32_t i = a->head; i != AUDIT_NIL; i = a->slots[i].next)
		json_array_append_new(arr, client_json(&a->slots[i], cur_gen, cur_chain));
	audit_unlock(a);
	return arr;
}

/* ---- the report's rows, events and activity ------------------------------- */

void
audit_event(struct audit *a, time_t now, uint64_t generation, const char *kind, const char *text)
{
	if (a == NULL)
		return;
	audit_lock(a);
	struct audit_event *e = &a->events[a->n_events++ % AUDIT_EVENTS];
	e->at = now;
	e->generation = generation;
	snprintf(e->kind, sizeof(e->kind), "%s", kind ? kind : "");
	snprintf(e->text, sizeof(e->text), "%s", text ? text : "");
	audit_unlock(a);
}

json_t *
audit_events_json(const struct audit *a)
{
	json_t *arr = json_array();
	if (a == NULL || arr == NULL)
		return arr;
	audit_lock(a);
	size_t first = a->n_events > AUDIT_EVENTS ? a->n_events - AUDIT_EVENTS : 0;
	for (size_t i = first; i < a->n_events; i++) {
		const struct audit_event *e = &a->events[i % AUDIT_EVENTS];
		json_array_append_new(arr, json_pack("{s:o, s:I, s:s, s:s}", "at", iso_time(e->at),
		    "generation", (json_int_t)e->generation, "kind", e->kind, "text", e->text));
	}
	audit_unlock(a);
	return arr;
}

/* Bucket widths that read well on an axis. */
static const unsigned nice_widths[] = {
	1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
};

json_t *
audit_activity_json(const struct audit *a, time_t from, time_t to, unsigned max_buckets)
{
	if (a == NULL || to <= 0 || max_buckets == 0)
		return json_pack("{s:n, s:i, s:[], s:[]}", "from", "bucket_s", 1, "ok", "fail");
	time_t earliest = to - AUDIT_SECONDS + 1;
	audit_lock(a);
	if (from <= 0) {
		from = to;
		for (time_t t = earliest; t <= to; t++) {
			const struct audit_second *s = &a->secs[(uint64_t)t % AUDIT_SECONDS];
			if (s->t == (uint32_t)t && s->ok + s->fail > 0) {
				from = t;
				break;
			}
		}
		size_t first = a->n_events > AUDIT_EVENTS ? a->n_events - AUDIT_EVENTS : 0;
		for (size_t i = first; i < a->n_events; i++) {
			time_t at = a->events[i % AUDIT_EVENTS].at;
			if (at >= earliest && at < from)
				from = at;
		}
	}
	if (from < earliest)
		from = earliest;
	if (from > to)
		from = to;
	unsigned w = nice_widths[sizeof(nice_widths) / sizeof(nice_widths[0]) - 1];
	for (size_t i = 0; i < sizeof(nice_widths) / sizeof(nice_widths[0]); i++) {
		if ((uint64_t)(to - from) / nice_widths[i] + 1 <= max_buckets) {
			w = nice_widths[i];
			break;
		}
	}
	from -= from % w;
	size_t n = (size_t)((to - from) / w) + 1;
	json_t *ok = json_array(), *fail = json_array();
	for (size_t b = 0; b < n; b++) {
		uint64_t sok = 0, sfail = 0;
		for (time_t t = from + (time_t)(b * w); t < from + (time_t)((b + 1) * w) && t <= to; t++) {
			if (t < earliest)
				continue;
			const struct audit_second *s = &a->secs[(uint64_t)t % AUDIT_SECONDS];
			if (s->t == (uint32_t)t) {
				sok += s->ok;
				sfail += s->fail;
			}
		}
		json_array_append_new(ok, json_integer((json_int_t)sok));
		json_array_append_new(fail, json_integer((json_int_t)sfail));
	}
	audit_unlock(a);
	return json_pack("{s:o, s:I, s:o, s:o}", "from", iso_time(from), "bucket_s", (json_int_t)w,
	    "ok", ok, "fail", fail);
}

/* "pre-2018" -> "era_pre2018" */
static void
era_column(enum audit_era e, const char *suffix, char *out, size_t len)
{
	char name[16];
	size_t k = 0;
	for (const char *p = audit_era_name(e); *p && k + 1 < sizeof(name); p++)
		if (*p != '-')
			name[k++] = *p;
	name[k] = '\0';
	snprintf(out, len, "era_%s%s", name, suffix);
}

static json_t *
client_row(struct audit_client *c, uint64_t cur_gen)
{
	char text[2400], col[40], okey[9];
	if (!c->labelled) {
		client_identify(&c->offer, &c->label);
		c->labelled = 1;
	}
	snprintf(okey, sizeof(okey), "%08x", c->okey);
	json_t *o = json_object();
	json_object_set_new(o, "client_id", json_integer((json_int_t)c->serial));
	json_object_set_new(o, "address", json_string(c->addr));
	json_object_set_new(o, "sni", json_string(c->sni));
	json_object_set_new(o, "label", json_string(c->label.label));
	json_object_set_new(o, "label_confidence", json_integer(c->label.confidence));
	json_object_set_new(o, "label_nearest", json_string(c->label.nearest));
	json_object_set_new(o, "fingerprint", json_string(c->fp));
	json_object_set_new(o, "offer_key", json_string(okey));
	json_object_set_new(o, "ja3_hash", json_string(c->ja3_hash));
	json_object_set_new(o, "first_seen", iso_time(c->first_seen));
	json_object_set_new(o, "last_seen", iso_time(c->last_seen));
	json_object_set_new(o, "max_version", json_string(tls_version_name(c->offer.max_version)));
	json_object_set_new(o, "connections", json_integer((json_int_t)c->n_conns));
	json_object_set_new(o, "refused", json_integer((json_int_t)c->n_refused));
	json_object_set_new(o, "tls_ok", json_integer((json_int_t)c->n_tls_ok));
	json_object_set_new(o, "client_alerts", json_integer((json_int_t)c->n_alerts));
	json_object_set_new(o, "closed_after_handshake", json_integer((json_int_t)c->n_closed_after_hs));
	json_object_set_new(o, "sstp_requests", json_integer((json_int_t)c->n_sstp));
	json_object_set_new(o, "tunnels_up", json_integer((json_int_t)c->n_tunnels));
	json_object_set_new(o, "last_outcome", json_string(audit_outcome_name(c->last)));
	json_object_set_new(o, "last_detail", json_string(c->last_detail));
	json_object_set_new(o, "last_generation", json_integer((json_int_t)c->last_gen));
	json_object_set_new(o, "last_chain", json_string(c->last_chain));
	json_object_set_new(o, "last_at", iso_time(c->last_at));
	json_object_set_new(o, "last_success_at", iso_time(c->success_at));
	json_object_set_new(o, "last_success_generation", json_integer((json_int_t)c->success_gen));
	json_object_set_new(o, "last_failure_at", iso_time(c->fail_at));
	json_object_set_new(o, "last_failure_generation", json_integer((json_int_t)c->fail_gen));
	for (int e = 0; e < AUDIT_ERA__COUNT; e++) {
		struct audit_era_verdict v;
		audit_era_check(&c->offer, (enum audit_era)e, &v);
		era_column((enum audit_era)e, "", col, sizeof(col));
		json_object_set_new(o, col, json_string(v.ok ? "ok" : "fail"));
		era_column((enum audit_era)e, "_why", col, sizeof(col));
		json_object_set_new(o, col, json_string(v.why));
		era_column((enum audit_era)e, "_fix", col, sizeof(col));
		json_object_set_new(o, col, json_string(v.ok ? "" : v.fix));
	}
	enum audit_rehearsal r = audit_client_rehearsal(c, cur_gen, text, sizeof(text));
	json_object_set_new(o, "rehearsal", json_string(audit_rehearsal_name(r)));
	json_object_set_new(o, "rehearsal_text", json_string(text));
	return o;
}

json_t *
audit_rows(struct audit *a, uint64_t cur_gen, json_t **offers)
{
	json_t *arr = json_array();
	if (offers != NULL)
		*offers = json_object();
	if (a == NULL)
		return arr;
	audit_lock(a);
	for (uint32_t i = a->head; i != AUDIT_NIL; i = a->slots[i].next) {
		struct audit_client *c = &a->slots[i];
		json_array_append_new(arr, client_row(c, cur_gen));
		if (offers != NULL && *offers != NULL) {
			char okey[9];
			snprintf(okey, sizeof(okey), "%08x", c->okey);
			if (json_object_get(*offers, okey) == NULL) {
				/* the verdicts are a function of the offer: here once */
				json_t *off = offer_json(&c->offer), *verdicts = json_object();
				for (int e = 0; e < AUDIT_ERA__COUNT; e++) {
					struct audit_era_verdict v;
					audit_era_check(&c->offer, (enum audit_era)e, &v);
					json_object_set_new(verdicts, audit_era_name((enum audit_era)e),
					    json_pack("{s:b, s:s}", "ok", v.ok, "why", v.why));
				}
				json_object_set_new(off, "eras", verdicts);
				json_object_set_new(*offers, okey, off);
			}
		}
	}
	audit_unlock(a);
	return arr;
}
