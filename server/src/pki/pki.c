/*
 * Lab PKI lifecycle: which files make up a profile's chain in the state
 * directory, when each is reused or (re)created, and loading the served
 * chain. Key and certificate mechanics are in pki_write.c, the listing in
 * pki_show.c; the rules are documented in docs/pki.md.
 *
 * pki_ensure() first tries a read-only pass (parse and cross-check what is
 * there, no key operations, no writes). Only when something is missing or
 * stale does it take the flock on STATE/pki/.lock and run the same walk
 * again in create mode, so parallel callers create each file once.
 */
#include "pki/pki_int.h"
#include "pki/crl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/platform_util.h>

#include "util/rng.h"
#include "util/xtime.h"

#define PKI_NEED          1   /* read-only pass: something must be created */
#define PKI_MAX_DAYS      36500
#define PKI_SHIFT_DAYS    30  /* how far expired / not-yet-valid leaves are off */
#define PKI_WRONG_HOST    "wrong-host.p2sgw.invalid"
#define PKI_HOST_MAX      253
#define PKI_NLEVELS       (1 + PKI_MAX_INTERMEDIATES)

static const char *const key_type_names[] = {
	[PKI_KEY_RSA2048] = "rsa2048",
	[PKI_KEY_RSA3072] = "rsa3072",
	[PKI_KEY_RSA4096] = "rsa4096",
	[PKI_KEY_EC_P256] = "ec-p256",
	[PKI_KEY_EC_P384] = "ec-p384",
};

static const char *const variant_names[] = {
	[PKI_VARIANT_VALID]                = "valid",
	[PKI_VARIANT_EXPIRED]              = "expired",
	[PKI_VARIANT_NOT_YET_VALID]        = "not-yet-valid",
	[PKI_VARIANT_WRONG_HOST]           = "wrong-host",
	[PKI_VARIANT_SHA1]                 = "sha1",
	[PKI_VARIANT_MISSING_INTERMEDIATE] = "missing-intermediate",
	[PKI_VARIANT_NO_SERVER_AUTH_EKU]   = "no-server-auth-eku",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One CA of the chain: level 0 is the root, level i is file int<i>. */
struct pki_level {
	const struct pki_ca_spec *lv_spec;
	char               lv_name[24];              /* "root", "int1", ... */
	char               lv_crt_path[PKI_PATH_MAX];
	char               lv_key_path[PKI_PATH_MAX];
	char               lv_subject[PKI_SUBJECT_MAX]; /* placeholders replaced */
	mbedtls_x509_crt   lv_crt;
	mbedtls_pk_context lv_key;
};

/* Everything one pki_ensure() call works on. */
struct pki_run {
	const struct pki_profile      *pr_profile;
	const struct pki_leaf_request *pr_req;
	const char        *pr_state;
	char               pr_pki_dir[PKI_PATH_MAX];   /* STATE/pki */
	char               pr_dir[PKI_PATH_MAX];       /* STATE/pki/<profile> */
	char               pr_gateway_id[PKI_GATEWAY_ID_LEN + 1];
	const char        *pr_host;                    /* name in SAN and {hostname} */
	enum pki_key_type  pr_leaf_type;
	mbedtls_md_type_t  pr_leaf_md;
	time_t             pr_day;                     /* clock, rounded down to 00:00Z */
	time_t             pr_leaf_nb, pr_leaf_na;
	char               pr_leaf_subject[PKI_SUBJECT_MAX];
	char               pr_leaf_crt_path[PKI_PATH_MAX];
	char               pr_leaf_key_path[PKI_PATH_MAX];
	char               pr_chain_path[PKI_PATH_MAX];
	char               pr_cdp_url[PKI_PATH_MAX];   /* "" without CDP */
	unsigned char      pr_cdp_buf[PKI_PATH_MAX + 32];
	const unsigned char *pr_cdp;                   /* CDP extension value in pr_cdp_buf */
	char               pr_aia_url[PKI_PATH_MAX];   /* "" without AIA */
	unsigned char      pr_aia_buf[PKI_CRL_URL_MAX + 64];
	const unsigned char *pr_aia;                   /* AIA extension value in pr_aia_buf */
	size_t             pr_aia_len;
	size_t             pr_cdp_len;
	char               pr_crl_path[PKI_PATH_MAX];  /* issuing CA's CRL, with CDP */
	char               pr_crl_var_path[PKI_PATH_MAX]; /* its broken copy, if asked */
	size_t             pr_nlevels;
	struct pki_level   pr_levels[PKI_NLEVELS];
	mbedtls_x509_crt   pr_leaf;
	mbedtls_pk_context pr_leaf_key;
	char               pr_chain_pem[PKI_NLEVELS * PKI_PEM_MAX];
	size_t             pr_chain_len;
	char              *pr_err;
	size_t             pr_errlen;
};

/* ---- names ---- */

const char *
pki_key_type_name(enum pki_key_type k)
{
	if ((unsigned)k >= NELEM(key_type_names))
		return "unknown";
	return key_type_names[k];
}

int
pki_key_type_from_name(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < NELEM(key_type_names); i++)
		if (strcmp(s, key_type_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
pki_variant_name(enum pki_variant v)
{
	if ((unsigned)v >= NELEM(variant_names))
		return "unknown";
	return variant_names[v];
}

int
pki_variant_from_name(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < NELEM(variant_names); i++)
		if (strcmp(s, variant_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ---- chain object ---- */

void
pki_chain_init(struct pki_chain *c)
{
	if (c == NULL)
		return;
	memset(c, 0, sizeof(*c));
	mbedtls_x509_crt_init(&c->chain);
	mbedtls_pk_init(&c->key);
}

void
pki_chain_free(struct pki_chain *c)
{
	if (c == NULL)
		return;
	mbedtls_x509_crt_free(&c->chain);
	mbedtls_pk_free(&c->key);
	pki_chain_init(c);
}

/* ---- gateway id ---- */

static int
is_guid(const char *s)
{
	size_t i;

	for (i = 0; i < PKI_GATEWAY_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
			return 0;
		}
	}
	return s[i] == '\0' || s[i] == '\n';
}

int
pki_gateway_id(const char *state_dir, int create, char id[PKI_GATEWAY_ID_LEN + 1],
               char *err, size_t errlen)
{
	char path[PKI_PATH_MAX], line[PKI_GATEWAY_ID_LEN + 2];
	unsigned char b[16], *buf;
	size_t len;
	int rc, tries;

	if (snprintf(path, sizeof(path), "%s/gateway-id", state_dir) >= (int)sizeof(path)) {
		pki_errf(err, errlen, "state directory path too long: %s", state_dir);
		return -1;
	}
	for (tries = 0; tries < 2; tries++) {
		if ((rc = pki_file_read(path, &buf, &len, err, errlen)) < 0)
			return -1;
		if (rc == 0) {
			rc = len >= PKI_GATEWAY_ID_LEN && len <= PKI_GATEWAY_ID_LEN + 1 &&
			    is_guid((char *)buf);
			if (rc)
				memcpy(id, buf, PKI_GATEWAY_ID_LEN);
			free(buf);
			if (!rc) {
				pki_errf(err, errlen, "%s: not a lowercase GUID; fix or delete it "
				    "(certificates naming the gateway id are then recreated)", path);
				return -1;
			}
			id[PKI_GATEWAY_ID_LEN] = '\0';
			return 0;
		}
		if (!create)
			return 1;
		/* Random (version 4) GUID; the first writer wins. */
		if (rng_fill(rng_ctx(), b, sizeof(b)) != 0) {
			pki_errf(err, errlen, "cannot create %s: random generator failed", path);
			return -1;
		}
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
		snprintf(line, sizeof(line),
		    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
		    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		    b[12], b[13], b[14], b[15]);
		rc = pki_file_write(path, line, strlen(line), 0644, PKI_WRITE_NOREPLACE,
		    err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			log_info("pki: created %s", path);
		/* rc == 1: another process was first; read its id. */
	}
	pki_errf(err, errlen, "cannot read %s back after creating it", path);
	return -1;
}

/* ---- validation and derived names ---- */

static int
profile_name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || s[0] == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return i < sizeof(((struct pki_profile *)0)->name);
}

/* LDH labels separated by dots; a whole "*" first label is allowed. */
static int
hostname_ok(const char *s)
{
	size_t i, label = 0, n = strlen(s);

	if (n == 0 || n > PKI_HOST_MAX)
		return 0;
	if (s[0] == '*') {
		if (s[1] != '.')
			return 0;
		s += 2;
		n -= 2;
	}
	for (i = 0; i <= n; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
md_ok(mbedtls_md_type_t md)
{
	return md == MBEDTLS_MD_SHA1 || md == MBEDTLS_MD_SHA256 || md == MBEDTLS_MD_SHA384 ||
	    md == MBEDTLS_MD_SHA512;
}

/*
 * Replace {gateway_id} and {hostname} (leaf only: host != NULL) in a
 * profile subject, and check that mbedTLS can encode the result.
 */
static int
subject_expand(const struct pki_profile *p, const char *what, const char *tmpl,
               const char *gid, const char *host, char *out, size_t outlen,
               char *err, size_t errlen)
{
	mbedtls_asn1_named_data *names = NULL;
	const char *s = tmpl, *close, *val;
	size_t used = 0, vlen;
	char why[256];
	int ret;

	if (tmpl[0] == '\0') {
		pki_errf(err, errlen, "profile %s: %s subject is empty", p->name, what);
		return -1;
	}
	while (*s != '\0') {
		if (*s == '{') {
			if ((close = strchr(s, '}')) == NULL)
				goto bad_placeholder;
			vlen = (size_t)(close - s + 1);
			if (vlen == strlen("{gateway_id}") && strncmp(s, "{gateway_id}", vlen) == 0)
				val = gid;
			else if (vlen == strlen("{hostname}") && strncmp(s, "{hostname}", vlen) == 0)
				val = host;
			else
				goto bad_placeholder;
			if (val == NULL) {
				pki_errf(err, errlen, "profile %s: %s subject: {hostname} is only "
				    "allowed in the leaf subject", p->name, what);
				return -1;
			}
			s = close + 1;
		} else {
			val = s++;
			vlen = 1;
			if (used + 1 >= outlen)
				goto too_long;
			out[used++] = *val;
			continue;
		}
		vlen = strlen(val);
		if (used + vlen >= outlen)
			goto too_long;
		memcpy(out + used, val, vlen);
		used += vlen;
	}
	out[used] = '\0';
	ret = mbedtls_x509_string_to_names(&names, out);
	mbedtls_asn1_free_named_data_list(&names);
	if (ret != 0) {
		pki_errf(err, errlen, "profile %s: %s subject '%s': %s", p->name, what, out,
		    pki_strerror(ret, why, sizeof(why)));
		return -1;
	}
	return 0;
bad_placeholder:
	pki_errf(err, errlen, "profile %s: %s subject '%s': unknown placeholder near '%.20s' "
	    "(known: {gateway_id}, {hostname})", p->name, what, tmpl, s);
	return -1;
too_long:
	pki_errf(err, errlen, "profile %s: %s subject too long after substitution", p->name,
	    what);
	return -1;
}

static int
spec_ok(const struct pki_profile *p, const char *what, const struct pki_ca_spec *sp,
        char *err, size_t errlen)
{
	if ((unsigned)sp->key >= NELEM(key_type_names)) {
		pki_errf(err, errlen, "profile %s: %s: unknown key type %d", p->name, what,
		    (int)sp->key);
		return -1;
	}
	if (!md_ok(sp->md)) {
		pki_errf(err, errlen, "profile %s: %s: hash must be sha1, sha256, sha384 or sha512",
		    p->name, what);
		return -1;
	}
	if (sp->backdate_days < 0 || sp->backdate_days > PKI_MAX_DAYS ||
	    sp->days < 1 || sp->days > PKI_MAX_DAYS) {
		pki_errf(err, errlen, "profile %s: %s: backdate_days must be 0..%d and days 1..%d",
		    p->name, what, PKI_MAX_DAYS, PKI_MAX_DAYS);
		return -1;
	}
	return 0;
}

static time_t
day_floor(time_t t)
{
	time_t r = t % PKI_DAY;

	return r < 0 ? t - r - PKI_DAY : t - r;
}

#define PATHF(buf, ...) \
	(snprintf((buf), sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf) ? -1 : 0)

/* Subjects need the gateway id; gid may be a dummy while validating. */
static int
run_subjects(struct pki_run *r, const char *gid)
{
	const struct pki_profile *p = r->pr_profile;
	size_t i;

	for (i = 0; i < r->pr_nlevels; i++)
		if (subject_expand(p, i == 0 ? "root" : r->pr_levels[i].lv_name,
		    r->pr_levels[i].lv_spec->subject, gid, NULL, r->pr_levels[i].lv_subject,
		    sizeof(r->pr_levels[i].lv_subject), r->pr_err, r->pr_errlen) != 0)
			return -1;
	return subject_expand(p, "leaf", p->leaf.subject, gid, r->pr_host, r->pr_leaf_subject,
	    sizeof(r->pr_leaf_subject), r->pr_err, r->pr_errlen);
}

/* A leaf file name part for an extension URL: "-<tag><hash8 of url><tail>". */
static int
url_part(const char *url, const char *tag, const char *tail, char *part, size_t partlen)
{
	unsigned char uh[32];

	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), (const unsigned char *)url,
	    strlen(url), uh) != 0)
		return -1;
	snprintf(part, partlen, "-%s%02x%02x%02x%02x%s", tag, uh[0], uh[1], uh[2], uh[3], tail);
	return 0;
}

/* An extension URL of the leaf: <base>/<profile>/<issuer stem>.<ext>, base
 * and profile checked (what: "CRL", "AIA", for the messages). 0 or -1. */
static int
ext_url(struct pki_run *r, const char *what, const char *base, const char *ext, char *url,
        size_t len)
{
	const char *stem = r->pr_levels[r->pr_nlevels - 1].lv_name;

	if (!pki_crl_base_url_ok(base)) {
		pki_errf(r->pr_err, r->pr_errlen, "%s base URL '%s' is not http://HOST[:PORT] "
		    "(no path, no trailing '/', at most %d characters)", what, base,
		    PKI_CRL_URL_MAX - 1);
		return -1;
	}
	if (!pki_crl_profile_ok(r->pr_profile->name)) {
		pki_errf(r->pr_err, r->pr_errlen, "profile name '%s' cannot be part of a %s URL "
		    "(lowercase letters, digits, '-')", r->pr_profile->name, what);
		return -1;
	}
	if (snprintf(url, len, "%s/%s/%s.%s", base, r->pr_profile->name, stem, ext) >= (int)len) {
		pki_errf(r->pr_err, r->pr_errlen, "%s URL too long", what);
		return -1;
	}
	return 0;
}

/*
 * Revocation: the leaf's CDP URL <base>/<profile>/<issuer stem>.crl, its
 * extension value, the CRL path and the file name part "-cdp<hash8 of the
 * URL>[-revoked]" (empty without CDP), so leaves with and without a CDP, or
 * revoked and not, never share a file. Needs pr_levels named.
 */
static int
cdp_init(struct pki_run *r, char *part, size_t partlen)
{
	const struct pki_leaf_request *req = r->pr_req;
	const char *stem = r->pr_levels[r->pr_nlevels - 1].lv_name;

	part[0] = '\0';
	if (req->crl_base_url == NULL) {
		if (req->revoke_leaf) {
			pki_errf(r->pr_err, r->pr_errlen, "revoking the leaf needs a CRL "
			    "distribution point (crl_base_url)");
			return -1;
		}
		return 0;
	}
	if (ext_url(r, "CRL", req->crl_base_url, "crl", r->pr_cdp_url, sizeof(r->pr_cdp_url)) != 0)
		return -1;
	if (pki_crl_path(r->pr_state, r->pr_profile->name, stem, r->pr_crl_path,
	    sizeof(r->pr_crl_path)) != 0 ||
	    (req->crl_variant != PKI_CRL_AS_IS && pki_crl_variant_path(r->pr_state,
	    r->pr_profile->name, stem, req->crl_variant, r->pr_crl_var_path,
	    sizeof(r->pr_crl_var_path)) != 0)) {
		pki_errf(r->pr_err, r->pr_errlen, "CRL URL or path too long");
		return -1;
	}
	if (pki_cdp_encode(r->pr_cdp_url, r->pr_cdp_buf, sizeof(r->pr_cdp_buf), &r->pr_cdp,
	    &r->pr_cdp_len) != 0 ||
	    url_part(r->pr_cdp_url, "cdp", req->revoke_leaf ? "-revoked" : "", part, partlen) != 0) {
		pki_errf(r->pr_err, r->pr_errlen, "cannot encode the CRL distribution point");
		return -1;
	}
	return 0;
}

/*
 * Authority Information Access: the leaf's caIssuers URL
 * <base>/<profile>/<issuer stem>.crt, its extension value, and the file name
 * part "-aia<hash8 of the URL>" (empty without AIA).
 */
static int
aia_init(struct pki_run *r, char *part, size_t partlen)
{
	const struct pki_leaf_request *req = r->pr_req;

	part[0] = '\0';
	if (req->aia_base_url == NULL)
		return 0;
	if (ext_url(r, "AIA", req->aia_base_url, "crt", r->pr_aia_url, sizeof(r->pr_aia_url)) != 0)
		return -1;
	if (pki_aia_encode(r->pr_aia_url, r->pr_aia_buf, sizeof(r->pr_aia_buf), &r->pr_aia,
	    &r->pr_aia_len) != 0 ||
	    url_part(r->pr_aia_url, "aia", "", part, partlen) != 0) {
		pki_errf(r->pr_err, r->pr_errlen, "cannot encode the AIA URL");
		return -1;
	}
	return 0;
}

static int
run_init(struct pki_run *r, const char *state, const struct pki_profile *p,
         const struct pki_leaf_request *req, char *err, size_t errlen)
{
	static const char dummy_gid[] = "00000000-0000-0000-0000-000000000000";
	const struct pki_ca_spec *leaf = &p->leaf;
	unsigned char hh[32];
	const char *host;
	char day[9], suffix[192], cdp[32], aia[16];
	struct tm tm;
	size_t i;

	r->pr_profile = p;
	r->pr_req = req;
	r->pr_state = state;
	r->pr_err = err;
	r->pr_errlen = errlen;
	mbedtls_x509_crt_init(&r->pr_leaf);
	mbedtls_pk_init(&r->pr_leaf_key);
	for (i = 0; i < PKI_NLEVELS; i++) {
		mbedtls_x509_crt_init(&r->pr_levels[i].lv_crt);
		mbedtls_pk_init(&r->pr_levels[i].lv_key);
	}

	if (state == NULL || state[0] == '\0') {
		pki_errf(err, errlen, "no state directory given");
		return -1;
	}
	if (!profile_name_ok(p->name)) {
		pki_errf(err, errlen, "profile name '%s' is not a file name stem "
		    "(letters, digits, '-', '_', '.')", p->name);
		return -1;
	}
	if (p->purpose != PKI_PURPOSE_SERVER && p->purpose != PKI_PURPOSE_CLIENT) {
		pki_errf(err, errlen, "profile %s: unknown purpose %d", p->name, (int)p->purpose);
		return -1;
	}
	if (p->n_intermediates > PKI_MAX_INTERMEDIATES) {
		pki_errf(err, errlen, "profile %s: %zu intermediates, at most %d", p->name,
		    p->n_intermediates, PKI_MAX_INTERMEDIATES);
		return -1;
	}
	if ((unsigned)req->variant >= NELEM(variant_names)) {
		pki_errf(err, errlen, "unknown certificate variant %d", (int)req->variant);
		return -1;
	}
	if (req->key_set && (unsigned)req->key >= NELEM(key_type_names)) {
		pki_errf(err, errlen, "unknown leaf key type %d", (int)req->key);
		return -1;
	}
	host = req->hostname;
	if (host == NULL && p->purpose == PKI_PURPOSE_SERVER) {
		pki_errf(err, errlen, "profile %s: a server certificate needs a host name",
		    p->name);
		return -1;
	}
	if (host != NULL && !hostname_ok(host)) {
		pki_errf(err, errlen, "host name '%s' is not a DNS name (letters, digits, '-', "
		    "dots, optional leading '*.')", host);
		return -1;
	}
	if (spec_ok(p, "root", &p->root, err, errlen) != 0 ||
	    spec_ok(p, "leaf", leaf, err, errlen) != 0)
		return -1;

	r->pr_nlevels = 1 + p->n_intermediates;
	for (i = 0; i < r->pr_nlevels; i++) {
		struct pki_level *lv = &r->pr_levels[i];

		if (i == 0)
			snprintf(lv->lv_name, sizeof(lv->lv_name), "root");
		else
			snprintf(lv->lv_name, sizeof(lv->lv_name), "int%zu", i);
		lv->lv_spec = i == 0 ? &p->root : &p->intermediates[i - 1];
		if (i > 0 && spec_ok(p, lv->lv_name, lv->lv_spec, err, errlen) != 0)
			return -1;
	}

	r->pr_host = req->variant == PKI_VARIANT_WRONG_HOST ? PKI_WRONG_HOST : host;
	r->pr_leaf_type = req->key_set ? req->key : leaf->key;
	r->pr_leaf_md = req->variant == PKI_VARIANT_SHA1 ? MBEDTLS_MD_SHA1 : leaf->md;

	/* Day-aligned validity, so one leaf file per clock day is reproducible. */
	r->pr_day = day_floor(req->clock);
	switch (req->variant) {
	case PKI_VARIANT_EXPIRED:
		r->pr_leaf_na = r->pr_day - (time_t)PKI_SHIFT_DAYS * PKI_DAY;
		r->pr_leaf_nb = r->pr_leaf_na - (time_t)leaf->days * PKI_DAY;
		break;
	case PKI_VARIANT_NOT_YET_VALID:
		r->pr_leaf_nb = r->pr_day + (time_t)PKI_SHIFT_DAYS * PKI_DAY;
		r->pr_leaf_na = r->pr_leaf_nb + (time_t)leaf->days * PKI_DAY;
		break;
	default:
		r->pr_leaf_nb = r->pr_day - (time_t)leaf->backdate_days * PKI_DAY;
		r->pr_leaf_na = r->pr_leaf_nb + (time_t)leaf->days * PKI_DAY;
		break;
	}
	if (gmtime_r(&req->clock, &tm) == NULL || tm.tm_year + 1900 < 1950 ||
	    tm.tm_year + 1900 > 9999) {
		pki_errf(err, errlen, "gateway clock %lld is outside the years 1950..9999",
		    (long long)req->clock);
		return -1;
	}
	if (strftime(day, sizeof(day), "%Y%m%d", &tm) != 8) {
		pki_errf(err, errlen, "cannot format the gateway clock");
		return -1;
	}
	if (mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    (const unsigned char *)(host != NULL ? host : ""), host != NULL ? strlen(host) : 0,
	    hh) != 0) {
		pki_errf(err, errlen, "cannot hash the host name");
		return -1;
	}
	if (cdp_init(r, cdp, sizeof(cdp)) != 0 || aia_init(r, aia, sizeof(aia)) != 0)
		return -1;
	snprintf(suffix, sizeof(suffix), "%s-%s-%s-%02x%02x%02x%02x%s%s",
	    variant_names[req->variant], key_type_names[r->pr_leaf_type], day,
	    hh[0], hh[1], hh[2], hh[3], cdp, aia);

	if (PATHF(r->pr_pki_dir, "%s/pki", state) != 0 ||
	    PATHF(r->pr_dir, "%s/%s", r->pr_pki_dir, p->name) != 0 ||
	    PATHF(r->pr_leaf_crt_path, "%s/leaf-%s.crt", r->pr_dir, suffix) != 0 ||
	    PATHF(r->pr_chain_path, "%s/chain-%s.pem", r->pr_dir, suffix) != 0 ||
	    PATHF(r->pr_leaf_key_path, "%s/leaf-%s.key", r->pr_dir,
	        key_type_names[r->pr_leaf_type]) != 0)
		goto too_long;
	for (i = 0; i < r->pr_nlevels; i++) {
		struct pki_level *lv = &r->pr_levels[i];
		char name[sizeof(lv->lv_name)];

		/* a copy: GCC's -Wrestrict cannot tell fields of *r apart */
		memcpy(name, lv->lv_name, sizeof(name));
		if (PATHF(lv->lv_crt_path, "%s/%s.crt", r->pr_dir, name) != 0 ||
		    PATHF(lv->lv_key_path, "%s/%s.key", r->pr_dir, name) != 0)
			goto too_long;
	}
	/* Catch subject errors now, whether or not the gateway id exists yet. */
	return run_subjects(r, dummy_gid);
too_long:
	pki_errf(err, errlen, "state directory path too long: %s", state);
	return -1;
}

static void
run_release(struct pki_run *r)
{
	size_t i;

	mbedtls_x509_crt_free(&r->pr_leaf);
	mbedtls_x509_crt_init(&r->pr_leaf);
	mbedtls_pk_free(&r->pr_leaf_key);
	mbedtls_pk_init(&r->pr_leaf_key);
	for (i = 0; i < PKI_NLEVELS; i++) {
		mbedtls_x509_crt_free(&r->pr_levels[i].lv_crt);
		mbedtls_x509_crt_init(&r->pr_levels[i].lv_crt);
		mbedtls_pk_free(&r->pr_levels[i].lv_key);
		mbedtls_pk_init(&r->pr_levels[i].lv_key);
	}
}

/* ---- the walk ---- */

/*
 * Was child issued by parent? The read-only pass compares key identifiers
 * (a CA recreated with a new key changes them); create mode, and any
 * certificate without identifiers, verifies the signature.
 */
static int
linked(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent, int create)
{
	int rc;

	if (!create && (rc = pki_key_ids_link(child, parent)) >= 0)
		return rc;
	return pki_issued_by(child, parent);
}

/* Does the stored leaf still match what this request asks for? */
static int
leaf_is_current(struct pki_run *r, int create)
{
	const struct pki_level *issuer = &r->pr_levels[r->pr_nlevels - 1];
	const mbedtls_x509_crt *c = &r->pr_leaf;
	const mbedtls_x509_sequence *san = &c->subject_alt_names;
	int server_eku, client_eku, want_server, want_client;
	const unsigned char *cdp;
	size_t cdp_len = 0;

	if (c->ca_istrue || c->sig_md != r->pr_leaf_md ||
	    !pki_pubkey_equal(&c->pk, &r->pr_leaf_key) ||
	    !pki_subject_matches(c, r->pr_leaf_subject) ||
	    !pki_time_equal(&c->valid_from, r->pr_leaf_nb) ||
	    !pki_time_equal(&c->valid_to, r->pr_leaf_na))
		return 0;
	server_eku = mbedtls_x509_crt_check_extended_key_usage(c, MBEDTLS_OID_SERVER_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) == 0;
	client_eku = mbedtls_x509_crt_check_extended_key_usage(c, MBEDTLS_OID_CLIENT_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) == 0;
	want_server = r->pr_profile->purpose == PKI_PURPOSE_SERVER &&
	    r->pr_req->variant != PKI_VARIANT_NO_SERVER_AUTH_EKU;
	want_client = !want_server;
	if (server_eku != want_server || client_eku != want_client)
		return 0;
	if (r->pr_profile->purpose == PKI_PURPOSE_SERVER) {
		if (san->buf.p == NULL || san->next != NULL ||
		    san->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2) ||
		    san->buf.len != strlen(r->pr_host) ||
		    strncasecmp((const char *)san->buf.p, r->pr_host, san->buf.len) != 0)
			return 0;
	} else if (san->buf.p != NULL) {
		return 0;
	}
	cdp = pki_ext_find(&c->v3_ext, MBEDTLS_OID_CRL_DISTRIBUTION_POINTS,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_DISTRIBUTION_POINTS), &cdp_len);
	if (r->pr_cdp != NULL ? cdp == NULL || cdp_len != r->pr_cdp_len ||
	    memcmp(cdp, r->pr_cdp, cdp_len) != 0 : cdp != NULL)
		return 0;
	size_t aia_len;
	const unsigned char *aia = pki_ext_find(&c->v3_ext, PKI_OID_AIA, MBEDTLS_OID_SIZE(PKI_OID_AIA),
	    &aia_len);
	if (r->pr_aia != NULL ? aia == NULL || aia_len != r->pr_aia_len ||
	    memcmp(aia, r->pr_aia, aia_len) != 0 : aia != NULL)
		return 0;
	return linked(c, &issuer->lv_crt, create);
}

static int
issue_ca(struct pki_run *r, size_t i)
{
	struct pki_level *lv = &r->pr_levels[i];
	struct pki_level *parent = i > 0 ? &r->pr_levels[i - 1] : NULL;
	struct pki_issue is;

	if (pki_key_generate(&lv->lv_key, lv->lv_spec->key, lv->lv_key_path, r->pr_err,
	    r->pr_errlen) != 0 ||
	    pki_key_write(&lv->lv_key, lv->lv_key_path, r->pr_err, r->pr_errlen) != 0)
		return -1;
	memset(&is, 0, sizeof(is));
	is.is_subject = lv->lv_subject;
	is.is_issuer_crt = parent != NULL ? &parent->lv_crt : NULL;
	is.is_subject_key = &lv->lv_key;
	is.is_issuer_key = parent != NULL ? &parent->lv_key : &lv->lv_key;
	is.is_md = lv->lv_spec->md;
	is.is_not_before = r->pr_day - (time_t)lv->lv_spec->backdate_days * PKI_DAY;
	is.is_not_after = lv->lv_spec->not_after != 0 ? lv->lv_spec->not_after :
	    is.is_not_before + (time_t)lv->lv_spec->days * PKI_DAY;
	is.is_ca = 1;
	/* pathLenConstraint: how many intermediates may follow; none on the root. */
	is.is_pathlen = i == 0 ? -1 : (int)(r->pr_nlevels - 1 - i);
	if (pki_crt_issue(&is, lv->lv_crt_path, &lv->lv_crt, r->pr_err, r->pr_errlen) != 0)
		return -1;
	log_info("pki: created %s (%s, %s)", lv->lv_crt_path, lv->lv_subject,
	    key_type_names[lv->lv_spec->key]);
	return 0;
}

static int
issue_leaf(struct pki_run *r)
{
	struct pki_level *issuer = &r->pr_levels[r->pr_nlevels - 1];
	enum pki_variant v = r->pr_req->variant;
	int server = r->pr_profile->purpose == PKI_PURPOSE_SERVER;
	struct pki_issue is;

	memset(&is, 0, sizeof(is));
	is.is_subject = r->pr_leaf_subject;
	is.is_issuer_crt = &issuer->lv_crt;
	is.is_subject_key = &r->pr_leaf_key;
	is.is_issuer_key = &issuer->lv_key;
	is.is_md = r->pr_leaf_md;
	is.is_not_before = r->pr_leaf_nb;
	is.is_not_after = r->pr_leaf_na;
	is.is_san_dns = server ? r->pr_host : NULL;
	is.is_eku_server = server && v != PKI_VARIANT_NO_SERVER_AUTH_EKU;
	is.is_eku_client = !is.is_eku_server;
	is.is_cdp = r->pr_cdp;
	is.is_cdp_len = r->pr_cdp_len;
	is.is_aia = r->pr_aia;
	is.is_aia_len = r->pr_aia_len;
	if (pki_crt_issue(&is, r->pr_leaf_crt_path, &r->pr_leaf, r->pr_err, r->pr_errlen) != 0)
		return -1;
	log_info("pki: created %s (%s)", r->pr_leaf_crt_path, r->pr_leaf_subject);
	if (v != PKI_VARIANT_EXPIRED && v != PKI_VARIANT_NOT_YET_VALID &&
	    (r->pr_leaf_nb < x509_time_epoch(&issuer->lv_crt.valid_from) ||
	     r->pr_leaf_nb > x509_time_epoch(&issuer->lv_crt.valid_to)))
		log_warnx("pki: %s starts outside the validity of %s.crt (that CA was made "
		    "with another gateway clock); delete the profile directory %s to recreate "
		    "the chain", r->pr_leaf_crt_path, issuer->lv_name, r->pr_dir);
	return 0;
}

/*
 * Level i is about to sign: load its key and check that it belongs to its
 * certificate. A CA whose key is gone or does not match cannot sign, so it is
 * recreated (its parent signing it, recursively). Keys are only read here, so
 * a CA is never touched while nothing below it has to be signed.
 */
static int
level_key(struct pki_run *r, size_t i)
{
	struct pki_level *lv = &r->pr_levels[i];
	char note[512];
	const char *why;
	int rc;

	if (mbedtls_pk_get_type(&lv->lv_key) != MBEDTLS_PK_NONE)
		return 0; /* loaded or just created */
	note[0] = '\0';
	if ((rc = pki_key_load(&lv->lv_key, lv->lv_key_path, note, sizeof(note))) < 0) {
		pki_errf(r->pr_err, r->pr_errlen, "%s", note);
		return -1;
	}
	if (rc == PKI_LOADED && pki_pubkey_equal(&lv->lv_key, &lv->lv_crt.pk))
		return 0;
	why = rc == PKI_MISSING ? "missing" : rc == PKI_CORRUPT ? note :
	    "does not match its certificate";
	log_warnx("pki: %s: %s; creating a new %s", lv->lv_key_path, why, i == 0 ?
	    "root (clients must install the new root.crt)" : "intermediate");
	mbedtls_pk_free(&lv->lv_key);
	mbedtls_pk_init(&lv->lv_key);
	if (i > 0 && level_key(r, i - 1) != 0)
		return -1;
	return issue_ca(r, i);
}

/*
 * Check the CA levels, the leaf key, the leaf and the chain file. In the
 * read-only pass (create == 0) return PKI_NEED at the first thing that is
 * missing or stale; in create mode (lock held) make it. CA private keys are
 * only read when something has to be signed.
 */
static int
run_walk(struct pki_run *r, int create)
{
	char note[512];
	size_t i;
	int rc, ok, kt;

	for (i = 0; i < r->pr_nlevels; i++) {
		struct pki_level *lv = &r->pr_levels[i];
		struct pki_level *parent = i > 0 ? &r->pr_levels[i - 1] : NULL;
		const char *why = NULL;

		note[0] = '\0';
		if ((rc = pki_crt_load(&lv->lv_crt, lv->lv_crt_path, note, sizeof(note))) < 0)
			goto io_error;
		if (rc == PKI_CORRUPT)
			why = note;
		else if (rc == PKI_LOADED && parent != NULL &&
		    !linked(&lv->lv_crt, &parent->lv_crt, create))
			why = "not issued by the current parent certificate";
		if (rc == PKI_LOADED && why == NULL)
			continue;
		if (!create)
			return PKI_NEED;
		if (why == NULL)
			log_info("pki: %s missing: creating it", lv->lv_crt_path);
		else
			log_warnx("pki: %s: %s; creating a new %s", lv->lv_crt_path, why,
			    i == 0 ? "root (clients must install the new root.crt)" :
			    "intermediate");
		if (parent != NULL && level_key(r, i - 1) != 0)
			return -1;
		if (issue_ca(r, i) != 0)
			return -1;
	}

	/* Leaf key: one per key type, reused by every leaf of that type. */
	note[0] = '\0';
	rc = pki_key_load(&r->pr_leaf_key, r->pr_leaf_key_path, note, sizeof(note));
	if (rc < 0)
		goto io_error;
	kt = rc == PKI_LOADED ? pki_key_type_of(&r->pr_leaf_key) : -1;
	if (kt != (int)r->pr_leaf_type) {
		if (!create)
			return PKI_NEED;
		if (rc == PKI_CORRUPT)
			log_warnx("pki: %s; creating a new key", note);
		else if (rc == PKI_LOADED)
			log_warnx("pki: %s is not a %s key; creating a new one",
			    r->pr_leaf_key_path, key_type_names[r->pr_leaf_type]);
		if (pki_key_generate(&r->pr_leaf_key, r->pr_leaf_type, r->pr_leaf_key_path,
		    r->pr_err, r->pr_errlen) != 0 ||
		    pki_key_write(&r->pr_leaf_key, r->pr_leaf_key_path, r->pr_err,
		    r->pr_errlen) != 0)
			return -1;
		log_info("pki: created %s", r->pr_leaf_key_path);
	}

	/* Leaf certificate. */
	if ((rc = pki_crt_load(&r->pr_leaf, r->pr_leaf_crt_path, note, sizeof(note))) < 0)
		goto io_error;
	ok = rc == PKI_LOADED && leaf_is_current(r, create);
	if (!ok) {
		if (!create)
			return PKI_NEED;
		if (level_key(r, r->pr_nlevels - 1) != 0 || issue_leaf(r) != 0)
			return -1;
	}

	/* Served chain: leaf, then intermediates nearest first. */
	r->pr_chain_len = 0;
	r->pr_chain_pem[0] = '\0';
	ok = pki_pem_append(r->pr_chain_pem, sizeof(r->pr_chain_pem), &r->pr_chain_len,
	    &r->pr_leaf) == 0;
	if (r->pr_req->variant != PKI_VARIANT_MISSING_INTERMEDIATE)
		for (i = r->pr_nlevels - 1; ok && i > 0; i--)
			ok = pki_pem_append(r->pr_chain_pem, sizeof(r->pr_chain_pem),
			    &r->pr_chain_len, &r->pr_levels[i].lv_crt) == 0;
	if (!ok) {
		pki_errf(r->pr_err, r->pr_errlen, "cannot encode %s", r->pr_chain_path);
		return -1;
	}
	{
		unsigned char *buf;
		size_t len;

		if ((rc = pki_file_read(r->pr_chain_path, &buf, &len, r->pr_err,
		    r->pr_errlen)) < 0)
			return -1;
		ok = rc == 0 && len == r->pr_chain_len &&
		    memcmp(buf, r->pr_chain_pem, len) == 0;
		free(buf);
	}
	if (!ok) {
		if (!create)
			return PKI_NEED;
		if (pki_file_write(r->pr_chain_path, r->pr_chain_pem, r->pr_chain_len, 0644, 0,
		    r->pr_err, r->pr_errlen) != 0)
			return -1;
		log_info("pki: created %s", r->pr_chain_path);
	}

	/* The issuing CA's CRL, when the leaf points at one. */
	if (r->pr_cdp != NULL) {
		struct pki_level *issuer = &r->pr_levels[r->pr_nlevels - 1];

		rc = pki_crl_update(r->pr_crl_path, r->pr_dir, &issuer->lv_crt, NULL,
		    r->pr_req->clock, r->pr_err, r->pr_errlen);
		if (rc < 0)
			return -1;
		if (rc == PKI_CRL_STALE) {
			if (!create)
				return PKI_NEED;
			if (level_key(r, r->pr_nlevels - 1) != 0 ||
			    pki_crl_update(r->pr_crl_path, r->pr_dir, &issuer->lv_crt,
			    &issuer->lv_key, r->pr_req->clock, r->pr_err, r->pr_errlen) != 0)
				return -1;
		}
		/* and its broken copy: stale (the CA's key), or signed by the leaf's */
		int var = r->pr_req->crl_variant;
		if (var != PKI_CRL_AS_IS) {
			rc = pki_crl_variant_update(r->pr_crl_var_path, &issuer->lv_crt, NULL, var,
			    r->pr_req->clock, r->pr_err, r->pr_errlen);
			if (rc < 0)
				return -1;
			if (rc == PKI_CRL_STALE) {
				if (!create)
					return PKI_NEED;
				if (var == PKI_CRL_STALE_COPY && level_key(r, r->pr_nlevels - 1) != 0)
					return -1;
				if (pki_crl_variant_update(r->pr_crl_var_path, &issuer->lv_crt,
				    var == PKI_CRL_STALE_COPY ? &issuer->lv_key : &r->pr_leaf_key, var,
				    r->pr_req->clock, r->pr_err, r->pr_errlen) != 0)
					return -1;
			}
		}
	}
	return 0;
io_error:
	pki_errf(r->pr_err, r->pr_errlen, "%s", note);
	return -1;
}

/* CAs are kept when the profile changes; say so, once per call. */
static void
run_warn_drift(struct pki_run *r)
{
	size_t i;

	for (i = 0; i < r->pr_nlevels; i++) {
		struct pki_level *lv = &r->pr_levels[i];

		if (!pki_subject_matches(&lv->lv_crt, lv->lv_subject))
			log_warnx("pki: %s: subject differs from profile %s ('%s'); kept, since "
			    "clients may trust it: delete %s.crt to recreate it", lv->lv_crt_path,
			    r->pr_profile->name, lv->lv_subject, lv->lv_name);
		else if (pki_key_type_of(&lv->lv_crt.pk) != (int)lv->lv_spec->key)
			log_warnx("pki: %s: key type differs from profile %s (%s); kept, since "
			    "clients may trust it: delete %s.crt to recreate it", lv->lv_crt_path,
			    r->pr_profile->name, key_type_names[lv->lv_spec->key], lv->lv_name);
	}
}

static int
mkdir_p(const char *path, char *err, size_t errlen)
{
	char buf[PKI_PATH_MAX];
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		pki_errf(err, errlen, "state directory path too long: %s", path);
		return -1;
	}
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
			pki_errf(err, errlen, "cannot create directory %s: %s", buf,
			    strerror(errno));
			return -1;
		}
		*s = '/';
	}
	return pki_mkdir(buf, err, errlen);
}

static int
run_create(struct pki_run *r)
{
	char lock_path[PKI_PATH_MAX + 8];
	int fd, rc;

	if (mkdir_p(r->pr_state, r->pr_err, r->pr_errlen) != 0 ||
	    pki_mkdir(r->pr_pki_dir, r->pr_err, r->pr_errlen) != 0)
		return -1;
	snprintf(lock_path, sizeof(lock_path), "%s/.lock", r->pr_pki_dir);
	if ((fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		pki_errf(r->pr_err, r->pr_errlen, "cannot open %s: %s", lock_path,
		    strerror(errno));
		return -1;
	}
	while ((rc = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	if (rc == -1) {
		pki_errf(r->pr_err, r->pr_errlen, "cannot lock %s: %s", lock_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	rc = -1;
	if (pki_mkdir(r->pr_dir, r->pr_err, r->pr_errlen) != 0 ||
	    pki_gateway_id(r->pr_state, 1, r->pr_gateway_id, r->pr_err, r->pr_errlen) != 0 ||
	    run_subjects(r, r->pr_gateway_id) != 0)
		goto out;
	run_release(r);
	rc = run_walk(r, 1);
out:
	close(fd); /* releases the lock */
	return rc;
}

static int
run_output(struct pki_run *r, struct pki_chain *out)
{
	struct pki_chain c;
	char why[256];
	size_t i;
	int ret;

	pki_chain_init(&c);
	ret = mbedtls_x509_crt_parse_der(&c.chain, r->pr_leaf.raw.p, r->pr_leaf.raw.len);
	if (r->pr_req->variant != PKI_VARIANT_MISSING_INTERMEDIATE)
		for (i = r->pr_nlevels - 1; ret == 0 && i > 0; i--)
			ret = mbedtls_x509_crt_parse_der(&c.chain, r->pr_levels[i].lv_crt.raw.p,
			    r->pr_levels[i].lv_crt.raw.len);
	if (ret != 0 || pki_thumbprints(&r->pr_leaf, c.leaf_sha1, c.leaf_sha256) != 0) {
		pki_errf(r->pr_err, r->pr_errlen, "cannot load the chain %s: %s",
		    r->pr_chain_path, pki_strerror(ret, why, sizeof(why)));
		pki_chain_free(&c);
		return -1;
	}
	/* Move the key: a pk context is a (type, pointer) pair. */
	c.key = r->pr_leaf_key;
	mbedtls_pk_init(&r->pr_leaf_key);
	c.key_type = r->pr_leaf_type;
	snprintf(c.root_path, sizeof(c.root_path), "%s", r->pr_levels[0].lv_crt_path);
	snprintf(c.chain_path, sizeof(c.chain_path), "%s", r->pr_chain_path);
	snprintf(c.crl_path, sizeof(c.crl_path), "%s", r->pr_cdp != NULL ? r->pr_crl_path : "");
	snprintf(c.crl_url, sizeof(c.crl_url), "%s", r->pr_cdp_url);
	if (r->pr_leaf.serial.len <= sizeof(c.leaf_serial)) {
		memcpy(c.leaf_serial, r->pr_leaf.serial.p, r->pr_leaf.serial.len);
		c.leaf_serial_len = r->pr_leaf.serial.len;
	}
	if (mbedtls_x509_dn_gets(c.leaf_subject, sizeof(c.leaf_subject),
	    &r->pr_leaf.subject) < 0)
		c.leaf_subject[0] = '\0';
	if (mbedtls_x509_dn_gets(c.root_subject, sizeof(c.root_subject),
	    &r->pr_levels[0].lv_crt.subject) < 0)
		c.root_subject[0] = '\0';
	pki_chain_free(out);
	*out = c; /* the crt head holds no pointers to itself */
	return 0;
}

int
pki_ensure(const char *state_dir, const struct pki_profile *p,
           const struct pki_leaf_request *req, struct pki_chain *out,
           char *err, size_t errlen)
{
	struct pki_run *r;
	int rc = -1;

	if (p == NULL || req == NULL || out == NULL) {
		pki_errf(err, errlen, "%s: missing argument", __func__);
		return -1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		pki_errf(err, errlen, "%s: %s", __func__, strerror(errno));
		return -1;
	}
	if (run_init(r, state_dir, p, req, err, errlen) != 0)
		goto out;

	/* Read-only pass: everything exists and fits together. */
	rc = pki_gateway_id(state_dir, 0, r->pr_gateway_id, err, errlen);
	if (rc == 0 && (rc = run_subjects(r, r->pr_gateway_id)) == 0)
		rc = run_walk(r, 0);
	if (rc == PKI_NEED)
		rc = run_create(r);
	if (rc != 0)
		goto out;
	run_warn_drift(r);
	rc = run_output(r, out);
out:
	run_release(r);
	mbedtls_platform_zeroize(r, sizeof(*r));
	free(r);
	return rc == 0 ? 0 : -1;
}

/* ---- cross-certificates ----------------------------------------------------- */

/* Load STATE/pki/<profile>/root.{crt,key}. 0 or -1 with err. */
static int
root_load(const char *state_dir, const char *profile, mbedtls_x509_crt *crt,
          mbedtls_pk_context *key, char *err, size_t errlen)
{
	char path[PKI_PATH_MAX];

	if (PATHF(path, "%s/pki/%s/root.crt", state_dir, profile) != 0 ||
	    pki_crt_load(crt, path, err, errlen) != PKI_LOADED)
		goto missing;
	if (key == NULL)
		return 0;
	if (PATHF(path, "%s/pki/%s/root.key", state_dir, profile) != 0 ||
	    pki_key_load(key, path, err, errlen) != PKI_LOADED)
		goto missing;
	return 0;
missing:
	if (err[0] == '\0')
		pki_errf(err, errlen, "%s: the root of %s is missing or unreadable", path, profile);
	return -1;
}

int
pki_cross_sign(const char *state_dir, const struct pki_profile *subject,
               const struct pki_profile *issuer, mbedtls_x509_crt *out,
               char *err, size_t errlen)
{
	mbedtls_x509_crt sub, iss, have;
	mbedtls_pk_context sub_key, iss_key;
	char path[PKI_PATH_MAX], lock_path[PKI_PATH_MAX];
	int rc = -1, fd = -1;

	err[0] = '\0';
	mbedtls_x509_crt_init(&sub);
	mbedtls_x509_crt_init(&iss);
	mbedtls_x509_crt_init(&have);
	mbedtls_pk_init(&sub_key);
	mbedtls_pk_init(&iss_key);
	if (PATHF(path, "%s/pki/%s/cross-%s.crt", state_dir, subject->name, issuer->name) != 0 ||
	    PATHF(lock_path, "%s/pki/.lock", state_dir) != 0) {
		pki_errf(err, errlen, "cross-certificate path too long");
		goto out;
	}
	if (root_load(state_dir, subject->name, &sub, NULL, err, errlen) != 0 ||
	    root_load(state_dir, issuer->name, &iss, NULL, err, errlen) != 0)
		goto out;
	/* kept while it still names this subject root's key and this issuer */
	for (int pass = 0; pass < 2; pass++) {
		mbedtls_x509_crt_free(&have);
		mbedtls_x509_crt_init(&have);
		char e2[256] = "";
		if (pki_crt_load(&have, path, e2, sizeof(e2)) == PKI_LOADED &&
		    pki_pubkey_equal(&have.pk, &sub.pk) && pki_issued_by(&have, &iss) &&
		    pki_key_ids_link(&have, &iss) && have.subject_raw.len == sub.subject_raw.len &&
		    memcmp(have.subject_raw.p, sub.subject_raw.p, sub.subject_raw.len) == 0) {
			rc = mbedtls_x509_crt_parse_der(out, have.raw.p, have.raw.len) == 0 ? 0 : -1;
			if (rc != 0)
				pki_errf(err, errlen, "%s: cannot add it to the chain", path);
			goto out;
		}
		if (pass == 1)
			break;
		/* make it under the lock, then look again */
		if ((fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
			pki_errf(err, errlen, "cannot open %s: %s", lock_path, strerror(errno));
			goto out;
		}
		while ((rc = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
			;
		rc = -1;
		if (root_load(state_dir, subject->name, &sub, &sub_key, err, errlen) != 0 ||
		    root_load(state_dir, issuer->name, &iss, &iss_key, err, errlen) != 0)
			goto out;
		/* the subject root's name, key and validity (within the issuer's),
		 * signed by the issuer root: a client that trusts only the issuer
		 * root reaches it through this certificate */
		char dn[512];
		if (mbedtls_x509_dn_gets(dn, sizeof(dn), &sub.subject) < 0) {
			pki_errf(err, errlen, "cannot read the subject of %s's root", subject->name);
			goto out;
		}
		struct pki_issue is;
		memset(&is, 0, sizeof(is));
		is.is_subject = dn;
		is.is_issuer_crt = &iss;
		is.is_subject_key = &sub_key;
		is.is_issuer_key = &iss_key;
		is.is_md = MBEDTLS_MD_SHA256;
		time_t snb = x509_time_epoch(&sub.valid_from), sna = x509_time_epoch(&sub.valid_to);
		time_t inb = x509_time_epoch(&iss.valid_from), ina = x509_time_epoch(&iss.valid_to);
		is.is_not_before = snb > inb ? snb : inb;
		is.is_not_after = sna < ina ? sna : ina;
		is.is_ca = 1;
		is.is_pathlen = -1;
		if (pki_crt_issue(&is, path, &have, err, errlen) != 0)
			goto out;
		log_info("pki: created %s (%s cross-signed by %s)", path, subject->name, issuer->name);
	}
	pki_errf(err, errlen, "%s does not link %s's root to %s's", path, subject->name, issuer->name);
out:
	if (fd >= 0)
		close(fd);
	mbedtls_x509_crt_free(&sub);
	mbedtls_x509_crt_free(&iss);
	mbedtls_x509_crt_free(&have);
	mbedtls_pk_free(&sub_key);
	mbedtls_pk_free(&iss_key);
	return rc;
}
