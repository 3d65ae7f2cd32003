/*
 * `p2sgw pki show`: a readable listing of the certificates in the state
 * directory, with Windows-style thumbprints so they can be compared with
 * what certmgr.msc or Get-ChildItem Cert:\ shows on a client.
 */
#include "pki/pki_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>

#define LABEL "    %-12s "

static const struct {
	const char *oid;
	size_t      len;
	const char *name;
} eku_names[] = {
	{ MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH), "serverAuth" },
	{ MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH), "clientAuth" },
	{ MBEDTLS_OID_CODE_SIGNING, MBEDTLS_OID_SIZE(MBEDTLS_OID_CODE_SIGNING), "codeSigning" },
	{ MBEDTLS_OID_EMAIL_PROTECTION, MBEDTLS_OID_SIZE(MBEDTLS_OID_EMAIL_PROTECTION),
	  "emailProtection" },
	{ MBEDTLS_OID_TIME_STAMPING, MBEDTLS_OID_SIZE(MBEDTLS_OID_TIME_STAMPING), "timeStamping" },
	{ MBEDTLS_OID_OCSP_SIGNING, MBEDTLS_OID_SIZE(MBEDTLS_OID_OCSP_SIGNING), "OCSPSigning" },
};

/* root.crt first, then int1, int2, ..., then the leaves by name. */
static int
crt_rank(const char *name)
{
	if (strcmp(name, "root.crt") == 0)
		return 0;
	if (strncmp(name, "int", 3) == 0 && isdigit((unsigned char)name[3]) &&
	    strcmp(name + 4, ".crt") == 0)
		return name[3] - '0';
	return 100;
}

static int
crt_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".crt") == 0;
}

static int
crt_compare(const struct dirent **a, const struct dirent **b)
{
	int ra = crt_rank((*a)->d_name), rb = crt_rank((*b)->d_name);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
profile_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
show_key(FILE *out, const mbedtls_x509_crt *c)
{
	const mbedtls_ecp_curve_info *ci;
	int kt = pki_key_type_of(&c->pk);
	const char *kind = mbedtls_pk_get_name(&c->pk);
	size_t bits = mbedtls_pk_get_bitlen(&c->pk);

	if (mbedtls_pk_get_type(&c->pk) == MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_get_type(&c->pk) == MBEDTLS_PK_ECDSA) {
		ci = mbedtls_ecp_curve_info_from_grp_id(mbedtls_pk_ec(c->pk)->grp.id);
		fprintf(out, LABEL "%s (EC %s, %zu bits)\n", "key",
		    kt >= 0 ? pki_key_type_name((enum pki_key_type)kt) : "other",
		    ci != NULL ? ci->name : "unknown curve", bits);
	} else {
		fprintf(out, LABEL "%s (%s, %zu bits)\n", "key",
		    kt >= 0 ? pki_key_type_name((enum pki_key_type)kt) : "other", kind, bits);
	}
}

static void
show_signature(FILE *out, const mbedtls_x509_crt *c)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(c->sig_md);
	const char *alg;

	switch (c->sig_pk) {
	case MBEDTLS_PK_RSA:        alg = "RSA"; break;
	case MBEDTLS_PK_ECDSA:      alg = "ECDSA"; break;
	case MBEDTLS_PK_RSASSA_PSS: alg = "RSASSA-PSS"; break;
	default:                    alg = "other"; break;
	}
	fprintf(out, LABEL "%s with %s\n", "signature", md != NULL ? mbedtls_md_get_name(md) :
	    "unknown hash", alg);
}

static void
show_leaf_extensions(FILE *out, const mbedtls_x509_crt *c)
{
	const mbedtls_x509_sequence *s;
	char oid[64];
	const char *sep = "";
	size_t i;

	fprintf(out, LABEL, "san");
	if (c->subject_alt_names.buf.p == NULL)
		fprintf(out, "(none)");
	for (s = &c->subject_alt_names; s != NULL && s->buf.p != NULL; s = s->next) {
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))
			fprintf(out, "%s%.*s", sep, (int)s->buf.len, (const char *)s->buf.p);
		else
			fprintf(out, "%s(non-DNS name)", sep);
		sep = ", ";
	}
	fprintf(out, "\n" LABEL, "eku");
	sep = "";
	if (!(c->ext_types & MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE))
		fprintf(out, "(none: any purpose)");
	for (s = &c->ext_key_usage; s != NULL && s->buf.p != NULL; s = s->next) {
		for (i = 0; i < sizeof(eku_names) / sizeof(eku_names[0]); i++)
			if (s->buf.len == eku_names[i].len &&
			    memcmp(s->buf.p, eku_names[i].oid, s->buf.len) == 0)
				break;
		if (i < sizeof(eku_names) / sizeof(eku_names[0]))
			fprintf(out, "%s%s", sep, eku_names[i].name);
		else if (mbedtls_oid_get_numeric_string(oid, sizeof(oid), &s->buf) > 0)
			fprintf(out, "%s%s", sep, oid);
		sep = ", ";
	}
	fprintf(out, "\n");
}

static void
show_crt(FILE *out, const char *file, const mbedtls_x509_crt *c)
{
	unsigned char sha1[20], sha256[32];
	char buf[1024], hex[2 * 32 + 1], serial[2 * 32 + 1], t[32];
	int self = c->issuer_raw.len == c->subject_raw.len &&
	    memcmp(c->issuer_raw.p, c->subject_raw.p, c->subject_raw.len) == 0;

	fprintf(out, "  %s\n", file);
	if (mbedtls_x509_dn_gets(buf, sizeof(buf), &c->subject) < 0)
		snprintf(buf, sizeof(buf), "(unprintable)");
	fprintf(out, LABEL "%s\n", "subject", buf);
	if (mbedtls_x509_dn_gets(buf, sizeof(buf), &c->issuer) < 0)
		snprintf(buf, sizeof(buf), "(unprintable)");
	fprintf(out, LABEL "%s%s\n", "issuer", buf, self ? " (self-signed)" : "");
	pki_hex_upper(c->serial.p, c->serial.len > 32 ? 32 : c->serial.len, serial);
	fprintf(out, LABEL "%s\n", "serial", serial);
	pki_time_iso(&c->valid_from, t, sizeof(t));
	fprintf(out, LABEL "%s%s\n", "not before", t,
	    mbedtls_x509_time_is_future(&c->valid_from) ? "  (not yet valid now)" : "");
	pki_time_iso(&c->valid_to, t, sizeof(t));
	fprintf(out, LABEL "%s%s\n", "not after", t,
	    mbedtls_x509_time_is_past(&c->valid_to) ? "  (expired now)" : "");
	show_key(out, c);
	show_signature(out, c);
	if (c->ca_istrue && c->max_pathlen > 0)
		fprintf(out, LABEL "yes, path length %d\n", "ca", c->max_pathlen - 1);
	else
		fprintf(out, LABEL "%s\n", "ca", c->ca_istrue ? "yes" : "no");
	if (pki_thumbprints(c, sha1, sha256) == 0) {
		pki_hex_upper(sha1, sizeof(sha1), hex);
		fprintf(out, LABEL "%s\n", "sha1", hex);
		pki_hex_upper(sha256, sizeof(sha256), hex);
		fprintf(out, LABEL "%s\n", "sha256", hex);
	}
	if (!c->ca_istrue)
		show_leaf_extensions(out, c);
}

static int
show_profile(FILE *out, const char *dir, const char *name, char *err, size_t errlen)
{
	struct dirent **list = NULL;
	mbedtls_x509_crt crt;
	char path[PKI_PATH_MAX + 256], note[512];
	int n, i, rc = 0;

	if ((n = scandir(dir, &list, crt_filter, crt_compare)) == -1) {
		pki_errf(err, errlen, "cannot read directory %s: %s", dir, strerror(errno));
		return -1;
	}
	fprintf(out, "\nprofile %s (%s)\n", name, dir);
	if (n == 0)
		fprintf(out, "  (no certificates yet)\n");
	mbedtls_x509_crt_init(&crt);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		note[0] = '\0';
		switch (pki_crt_load(&crt, path, note, sizeof(note))) {
		case PKI_LOADED:
			show_crt(out, list[i]->d_name, &crt);
			break;
		case PKI_MISSING: /* removed since the listing */
			break;
		case PKI_CORRUPT:
			fprintf(out, "  %s\n    %s\n", list[i]->d_name, note);
			break;
		default:
			pki_errf(err, errlen, "%s", note);
			rc = -1;
			break;
		}
		if (rc != 0)
			break;
	}
	mbedtls_x509_crt_free(&crt);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

int
pki_show(FILE *out, const char *state_dir, const char *name, char *err, size_t errlen)
{
	struct dirent **list = NULL;
	char id[PKI_GATEWAY_ID_LEN + 1], pki_dir[PKI_PATH_MAX], dir[PKI_PATH_MAX + 256];
	int rc, n, i;

	if ((rc = pki_gateway_id(state_dir, 0, id, err, errlen)) < 0)
		return -1;
	fprintf(out, "%-16s %s\n", "state directory", state_dir);
	fprintf(out, "%-16s %s\n", "gateway id", rc == 0 ? id : "(not created yet)");
	if (snprintf(pki_dir, sizeof(pki_dir), "%s/pki", state_dir) >= (int)sizeof(pki_dir)) {
		pki_errf(err, errlen, "state directory path too long: %s", state_dir);
		return -1;
	}
	if (name != NULL) {
		if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL) {
			pki_errf(err, errlen, "'%s' is not a profile name", name);
			return -1;
		}
		snprintf(dir, sizeof(dir), "%s/%s", pki_dir, name);
		if (access(dir, F_OK) != 0) {
			pki_errf(err, errlen, "no PKI for profile %s in %s: %s", name, pki_dir,
			    strerror(errno));
			return -1;
		}
		return show_profile(out, dir, name, err, errlen);
	}
	if ((n = scandir(pki_dir, &list, profile_filter, alphasort)) == -1) {
		if (errno == ENOENT) {
			fprintf(out, "\n(no PKI in %s yet)\n", pki_dir);
			return 0;
		}
		pki_errf(err, errlen, "cannot read directory %s: %s", pki_dir, strerror(errno));
		return -1;
	}
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		struct stat st;

		snprintf(dir, sizeof(dir), "%s/%s", pki_dir, list[i]->d_name);
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			rc = show_profile(out, dir, list[i]->d_name, err, errlen);
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}
