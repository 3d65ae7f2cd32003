#include "app/client_id.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/clienthello.h"
#include "tls/hello_reasm.h"

/* An offer reduced to what the match compares: sorted lists without GREASE,
 * and the suites in the order sent. */
struct shape {
	uint16_t suites[CH_MAX_SUITES], ordered[CH_MAX_SUITES];
	size_t   n_suites;
	uint16_t groups[CH_MAX_GROUPS];
	size_t   n_groups;
	uint16_t sigalgs[CH_MAX_SIGALGS];
	size_t   n_sigalgs;
	uint16_t versions[CH_MAX_VERSIONS];
	size_t   n_versions;
	uint16_t exts[CH_MAX_EXTS];
	size_t   n_exts;
	uint16_t max_version;
	uint8_t  sslv2;
};

struct ref {
	struct shape shape;
	char         label[96];
	int          ok;
};

static struct ref *refs;
static size_t n_refs, n_errors;
static char first_error[200];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Copy v without GREASE; sorted (and without duplicates) unless keep_order. */
static size_t
clean(uint16_t *out, const uint16_t *v, size_t n, int keep_order)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!ch_is_grease(v[i]))
			out[k++] = v[i];
	if (keep_order || k == 0)
		return k;
	qsort(out, k, sizeof(*out), cmp_u16);
	size_t u = 1;
	for (size_t i = 1; i < k; i++)
		if (out[i] != out[u - 1])
			out[u++] = out[i];
	return u;
}

static void
shape_of(const struct audit_offer *o, struct shape *s)
{
	s->n_suites = clean(s->suites, o->suites, o->n_suites, 0);
	(void)clean(s->ordered, o->suites, o->n_suites, 1);
	s->n_groups = clean(s->groups, o->groups, o->n_groups, 0);
	s->n_sigalgs = clean(s->sigalgs, o->sigalgs, o->n_sigalgs, 0);
	s->n_versions = clean(s->versions, o->versions, o->n_versions, 0);
	s->n_exts = clean(s->exts, o->exts, o->n_exts, 0);
	s->max_version = o->max_version;
	s->sslv2 = o->sslv2;
}

/* |a ∩ b| / |a ∪ b| of two sorted sets; 1 when both are empty. */
static double
jaccard(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
	if (na == 0 && nb == 0)
		return 1.0;
	size_t i = 0, j = 0, both = 0;
	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			both++;
			i++;
			j++;
		} else if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)both / (double)(na + nb - both);
}

/* How alike two offers are, 0..1. The suites weigh most: a stack's list and
 * its order are what tell versions of Windows, OpenSSL and browsers apart. */
static double
similarity(const struct shape *a, const struct shape *b)
{
	double suites = jaccard(a->suites, a->n_suites, b->suites, b->n_suites);
	/* the order counts only between lists that hold the same suites */
	size_t n = a->n_suites;
	int same_order = suites == 1.0 && memcmp(a->ordered, b->ordered, n * sizeof(uint16_t)) == 0;
	return 0.35 * suites + 0.10 * same_order +
	    0.15 * jaccard(a->groups, a->n_groups, b->groups, b->n_groups) +
	    0.10 * jaccard(a->sigalgs, a->n_sigalgs, b->sigalgs, b->n_sigalgs) +
	    0.10 * jaccard(a->exts, a->n_exts, b->exts, b->n_exts) +
	    0.10 * jaccard(a->versions, a->n_versions, b->versions, b->n_versions) +
	    0.05 * (a->max_version == b->max_version) + 0.05 * (a->sslv2 == b->sslv2);
}

int
known_hello_bytes(const struct known_hello *k, uint8_t *out, size_t cap, size_t *len)
{
	const char *hex = k->hex;
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void
load(void)
{
	refs = calloc(n_known_hellos, sizeof(*refs));
	uint8_t *buf = malloc(CH_MAX_MESSAGE + 64);
	struct ch_info *ch = malloc(sizeof(*ch));
	if (refs == NULL || buf == NULL || ch == NULL) {
		free(refs);
		refs = NULL;
		n_errors = n_known_hellos;
		snprintf(first_error, sizeof(first_error), "out of memory");
		goto out;
	}
	n_refs = n_known_hellos < CLIENT_ID_MAX_CORPUS ? n_known_hellos : CLIENT_ID_MAX_CORPUS;
	for (size_t i = 0; i < n_refs; i++) {
		const struct known_hello *k = &known_hellos[i];
		struct ref *r = &refs[i];
		size_t len;
		if (known_hello_bytes(k, buf, CH_MAX_MESSAGE + 64, &len) != 0 ||
		    ch_parse(buf, len, ch) != CH_OK) {
			if (n_errors++ == 0)
				snprintf(first_error, sizeof(first_error), "%s.hex does not parse",
				    k->file);
			continue;
		}
		struct audit_offer off;
		audit_offer_from_ch(ch, &off);
		shape_of(&off, &r->shape);
		const char *stack = client_stack_name(k->stack);
		if (strcasestr(k->name, stack) != NULL)   /* "OpenSSL 1.1.1d (Debian)" */
			snprintf(r->label, sizeof(r->label), "%s", k->name);
		else
			snprintf(r->label, sizeof(r->label), "%s (%s)", k->name, stack);
		r->ok = 1;
	}
	if (n_known_hellos > n_refs && n_errors++ == 0)
		snprintf(first_error, sizeof(first_error), "more than %d entries", CLIENT_ID_MAX_CORPUS);
out:
	free(buf);
	free(ch);
}

const char *
client_stack_name(const char *stack)
{
	static const struct { const char *id, *name; } names[] = {
		{ "schannel", "SChannel" }, { "chromium", "Chromium" }, { "nss", "NSS" },
		{ "jsse", "Java JSSE" }, { "openssl", "OpenSSL" }, { "gnutls", "GnuTLS" },
		{ "mbedtls", "mbed TLS" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(stack, names[i].id) == 0)
			return names[i].name;
	return stack;
}

size_t
client_id_corpus_errors(char *err, size_t errlen)
{
	pthread_once(&once, load);
	snprintf(err, errlen, "%s", first_error);
	return n_errors;
}

void
client_identify(const struct audit_offer *o, struct client_label *out)
{
	pthread_once(&once, load);
	memset(out, 0, sizeof(*out));
	struct shape *s = malloc(sizeof(*s));
	double best = -1, scores[CLIENT_ID_MAX_CORPUS];
	uint8_t tied[CLIENT_ID_MAX_CORPUS] = { 0 };
	size_t at = 0;
	if (s != NULL) {
		shape_of(o, s);
		for (size_t i = 0; i < n_refs; i++) {
			if (!refs[i].ok)
				continue;
			scores[i] = similarity(s, &refs[i].shape);
			if (scores[i] > best) {
				best = scores[i];
				at = i;
			}
		}
		free(s);
		for (size_t i = 0; i < n_refs; i++)
			tied[i] = refs[i].ok && scores[i] > best - 1e-9;
	}
	if (best < 0) {
		snprintf(out->label, sizeof(out->label), "unknown");
		return;
	}
	out->confidence = (int)(best * 100.0 + 0.5);
	out->known = out->confidence >= CLIENT_ID_MIN_CONFIDENCE;
	/* entries that tie (Chrome and Edge 101 send the same offer) are named
	 * together: the bytes cannot tell them apart */
	size_t used = (size_t)snprintf(out->nearest, sizeof(out->nearest), "%s", refs[at].label);
	for (size_t i = at + 1; i < n_refs && used < sizeof(out->nearest); i++)
		if (refs[i].ok && tied[i])
			used += (size_t)snprintf(out->nearest + used, sizeof(out->nearest) - used,
			    " or %s", refs[i].label);
	snprintf(out->file, sizeof(out->file), "%s", known_hellos[at].file);
	snprintf(out->label, sizeof(out->label), "%s", out->known ? out->nearest : "unknown");
}
