/*
 * profile: chain profiles (certs/NAME.yaml), the recipe of a certificate
 * chain the lab PKI generates: root, up to PKI_MAX_INTERMEDIATES
 * intermediates, leaf. Schema: docs/scenarios.md, "Chain profiles".
 *
 *   name: NAME                # optional, must equal the file stem
 *   description: TEXT         # optional, < 256 characters
 *   purpose: server | client  # default server
 *   root:          CA         # required
 *   intermediates: [CA, ...]  # optional, [0] is signed by the root, at most 3
 *   leaf:          CA         # required
 *   CA = { subject: DN (required), key: rsa2048, hash: sha256,
 *          backdate_days: 0 (0..36500), days: (required, 1..36500) }
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/x509.h>

#include "config/paths.h"
#include "config/scenario.h"
#include "config/suggest.h"
#include "config/values.h"
#include "config/yaml_util.h"

#define SUBJECT_MAX 255

/* Placeholders a subject may contain, with a sample value for checking. */
static const struct {
	const char *name;
	const char *sample;
} placeholders[] = {
	{ "{hostname}", "azuregateway-00000000-0000-0000-0000-000000000000.cloudapp.net" },
	{ "{gateway_id}", "00000000-0000-0000-0000-000000000000" },
};
#define N_PLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

/* A subject DN that mbedTLS can encode once the placeholders are filled in.
 * {hostname} is filled in for leaves only. */
static int
check_subject(const char *s, bool leaf, char *msg, size_t msglen)
{
	char filled[1024];
	size_t len = strlen(s), o = 0;

	if (len == 0 || len > SUBJECT_MAX) {
		(void)snprintf(msg, msglen, "subject must be 1..%d characters, not %zu", SUBJECT_MAX,
		    len);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		if (s[i] == '}') {
			(void)snprintf(msg, msglen, "'}' without '{' at character %zu", i + 1);
			return -1;
		}
		if (s[i] != '{') {
			if (o + 1 >= sizeof(filled)) {
				(void)snprintf(msg, msglen, "too many placeholders");
				return -1;
			}
			filled[o++] = s[i++];
			continue;
		}
		const char *close = strchr(s + i, '}');
		if (close == NULL) {
			(void)snprintf(msg, msglen, "'{' without '}' at character %zu", i + 1);
			return -1;
		}
		size_t plen = (size_t)(close - (s + i)) + 1, k;
		for (k = 0; k < N_PLACEHOLDERS; k++)
			if (strlen(placeholders[k].name) == plen &&
			    strncmp(s + i, placeholders[k].name, plen) == 0)
				break;
		if (k == N_PLACEHOLDERS) {
			char word[64];
			const char *cands[N_PLACEHOLDERS];
			(void)snprintf(word, sizeof(word), "%.*s", (int)(plen < 63 ? plen : 63), s + i);
			for (size_t j = 0; j < N_PLACEHOLDERS; j++)
				cands[j] = placeholders[j].name;
			(void)snprintf(msg, msglen,
			    "unknown placeholder '%s' (use {hostname} or {gateway_id})", word);
			config_append_suggestion(msg, msglen, word, cands, N_PLACEHOLDERS);
			return -1;
		}
		if (!leaf && strcmp(placeholders[k].name, "{hostname}") == 0) {
			(void)snprintf(msg, msglen,
			    "{hostname} is filled in for the leaf only (use {gateway_id} here)");
			return -1;
		}
		size_t sl = strlen(placeholders[k].sample);
		if (o + sl >= sizeof(filled)) {
			(void)snprintf(msg, msglen, "too many placeholders");
			return -1;
		}
		memcpy(filled + o, placeholders[k].sample, sl);
		o += sl;
		i += plen;
	}
	filled[o] = '\0';

	mbedtls_asn1_named_data *names = NULL;
	int rc = mbedtls_x509_string_to_names(&names, filled);
	size_t stored = 0, written = 1;
	for (const mbedtls_asn1_named_data *n = names; n != NULL; n = n->next)
		stored++;
	mbedtls_asn1_free_named_data_list(&names);
	for (size_t i = 0; i < o; i++) {
		if (filled[i] == '\\')
			i++;
		else if (filled[i] == ',')
			written++;
	}
	if (rc == 0 && stored != written) {
		/* mbedtls_x509_string_to_names keeps the last of two same-type attributes */
		(void)snprintf(msg, msglen,
		    "'%.100s' repeats an attribute type (such as two OU=); mbedTLS 2.28 "
		    "would keep only one of them", s);
		return -1;
	}
	if (rc != 0) {
		(void)snprintf(msg, msglen,
		    "'%.100s' is not a distinguished name mbedTLS can encode (write it as "
		    "\"C=US, O=Example, CN=Example Root\"; attribute types C ST L O OU CN "
		    "emailAddress serialNumber ...)", s);
		return -1;
	}
	return 0;
}

static int
ca_field_int(const struct ydoc *d, const struct ynode *v, const char *key, uint64_t min,
             uint64_t max, int *out, char *err, size_t errlen)
{
	const char *t;
	char msg[256];
	uint64_t n;

	if (yscalar(d, v, key, &t, err, errlen) != 0)
		return -1;
	if (val_uint(t, min, max, &n, msg, sizeof(msg)) != 0)
		return yerr(err, errlen, d->yd_file, v, key, "%s", msg);
	*out = (int)n;
	return 0;
}

/* One certificate of the chain; path is its key path ("root", "intermediates[1]"). */
static int
ca_spec(const struct ydoc *d, const struct ynode *map, const char *path,
        struct pki_ca_spec *ca, char *err, size_t errlen)
{
	enum { SUBJECT, KEY, HASH, BACKDATE, DAYS, NOT_AFTER, NKEYS };
	static const char *const keys[NKEYS] = { "subject", "key", "hash", "backdate_days",
	                                         "days", "not_after" };
	const struct ynode *vals[NKEYS], *knodes[NKEYS];
	char kp[NKEYS][64], msg[512];
	const char *t;
	int v;

	if (ymap_keys(d, map, path, keys, NKEYS, vals, knodes, err, errlen) != 0)
		return -1;
	for (int i = 0; i < NKEYS; i++)
		(void)snprintf(kp[i], sizeof(kp[i]), "%s.%s", path, keys[i]);

	memset(ca, 0, sizeof(*ca));
	ca->key = PKI_KEY_RSA2048;
	ca->md = MBEDTLS_MD_SHA256;
	ca->backdate_days = 0;
	if (vals[SUBJECT] == NULL)
		return yerr(err, errlen, d->yd_file, map, path, "missing 'subject'");
	if (yscalar(d, vals[SUBJECT], kp[SUBJECT], &t, err, errlen) != 0)
		return -1;
	if (check_subject(t, strcmp(path, "leaf") == 0, msg, sizeof(msg)) != 0)
		return yerr(err, errlen, d->yd_file, vals[SUBJECT], kp[SUBJECT], "%s", msg);
	memcpy(ca->subject, t, strlen(t) + 1);
	if (vals[KEY] != NULL) {
		if (yscalar(d, vals[KEY], kp[KEY], &t, err, errlen) != 0)
			return -1;
		if (val_key_type(t, &v, msg, sizeof(msg)) != 0)
			return yerr(err, errlen, d->yd_file, vals[KEY], kp[KEY], "%s", msg);
		ca->key = (enum pki_key_type)v;
	}
	if (vals[HASH] != NULL) {
		if (yscalar(d, vals[HASH], kp[HASH], &t, err, errlen) != 0)
			return -1;
		if (val_cert_hash(t, &v, msg, sizeof(msg)) != 0)
			return yerr(err, errlen, d->yd_file, vals[HASH], kp[HASH], "%s", msg);
		ca->md = (mbedtls_md_type_t)v;
	}
	if (vals[BACKDATE] != NULL &&
	    ca_field_int(d, vals[BACKDATE], kp[BACKDATE], 0, 36500, &ca->backdate_days, err,
	        errlen) != 0)
		return -1;
	if (vals[NOT_AFTER] != NULL) {
		/* a CA that ends when the real one did, whatever the gateway clock */
		bool fixed;
		int64_t off;
		if (strcmp(path, "leaf") == 0)
			return yerr(err, errlen, d->yd_file, vals[NOT_AFTER], kp[NOT_AFTER],
			    "not_after is for a root or an intermediate; a leaf follows the gateway "
			    "clock");
		if (yscalar(d, vals[NOT_AFTER], kp[NOT_AFTER], &t, err, errlen) != 0)
			return -1;
		if (val_clock(t, &fixed, &ca->not_after, &off, msg, sizeof(msg)) != 0 || !fixed)
			return yerr(err, errlen, d->yd_file, vals[NOT_AFTER], kp[NOT_AFTER], "%s",
			    fixed ? msg : "a UTC time YYYY-MM-DDTHH:MM:SSZ");
	}
	if (vals[DAYS] == NULL)
		return yerr(err, errlen, d->yd_file, map, path, "missing 'days' (validity, 1..36500)");
	return ca_field_int(d, vals[DAYS], kp[DAYS], 1, 36500, &ca->days, err, errlen);
}

static int
profile_from_doc(const struct ydoc *d, const char *stem, struct pki_profile *p, char *err,
                 size_t errlen)
{
	enum { NAME, DESCRIPTION, PURPOSE, ROOT, INTERMEDIATES, LEAF, NKEYS };
	static const char *const keys[NKEYS] = { "name", "description", "purpose", "root",
	                                         "intermediates", "leaf" };
	const struct ynode *vals[NKEYS], *knodes[NKEYS], *seq;
	char msg[256];
	const char *t;

	memset(p, 0, sizeof(*p));
	if (val_name(stem, msg, sizeof(msg)) != 0) {
		(void)snprintf(err, errlen, "%s: the file name gives no profile name: %s",
		    d->yd_file, msg);
		return -1;
	}
	memcpy(p->name, stem, strlen(stem) + 1);
	if (d->yd_root == NULL || d->yd_root->yn_type == YN_NULL) {
		(void)snprintf(err, errlen,
		    "%s:1:1: the file is empty: expected a mapping with root: and leaf:", d->yd_file);
		return -1;
	}
	if (ymap_keys(d, d->yd_root, "", keys, NKEYS, vals, knodes, err, errlen) != 0)
		return -1;

	if (vals[NAME] != NULL) {
		if (yscalar(d, vals[NAME], "name", &t, err, errlen) != 0)
			return -1;
		if (strcmp(t, stem) != 0)
			return yerr(err, errlen, d->yd_file, vals[NAME], "name",
			    "'%.64s' differs from the file name '%s'", t, stem);
	}
	if (vals[DESCRIPTION] != NULL) {
		if (yscalar(d, vals[DESCRIPTION], "description", &t, err, errlen) != 0)
			return -1;
		if (strlen(t) >= sizeof(p->description))
			return yerr(err, errlen, d->yd_file, vals[DESCRIPTION], "description",
			    "too long (%zu characters, at most %zu)", strlen(t),
			    sizeof(p->description) - 1);
		memcpy(p->description, t, strlen(t) + 1);
	}
	p->purpose = PKI_PURPOSE_SERVER;
	if (vals[PURPOSE] != NULL) {
		static const char *const purposes[] = { "server", "client" };
		if (yscalar(d, vals[PURPOSE], "purpose", &t, err, errlen) != 0)
			return -1;
		if (strcmp(t, "server") == 0) {
			p->purpose = PKI_PURPOSE_SERVER;
		} else if (strcmp(t, "client") == 0) {
			p->purpose = PKI_PURPOSE_CLIENT;
		} else {
			(void)snprintf(msg, sizeof(msg), "unknown purpose '%.64s' (server or client)", t);
			config_append_suggestion(msg, sizeof(msg), t, purposes, 2);
			return yerr(err, errlen, d->yd_file, vals[PURPOSE], "purpose", "%s", msg);
		}
	}
	if (vals[ROOT] == NULL)
		return yerr(err, errlen, d->yd_file, d->yd_root, NULL, "missing 'root'");
	if (ca_spec(d, vals[ROOT], "root", &p->root, err, errlen) != 0)
		return -1;
	if (vals[INTERMEDIATES] != NULL) {
		if (yseq(d, vals[INTERMEDIATES], "intermediates", PKI_MAX_INTERMEDIATES, &seq, err,
		        errlen) != 0)
			return -1;
		for (size_t i = 0; i < seq->yn_nkids; i++) {
			char path[48];
			(void)snprintf(path, sizeof(path), "intermediates[%zu]", i);
			if (ca_spec(d, seq->yn_kids[i], path, &p->intermediates[i], err, errlen) != 0)
				return -1;
		}
		p->n_intermediates = seq->yn_nkids;
	}
	if (vals[LEAF] == NULL)
		return yerr(err, errlen, d->yd_file, d->yd_root, NULL, "missing 'leaf'");
	return ca_spec(d, vals[LEAF], "leaf", &p->leaf, err, errlen);
}

/* "certs/digicert-global-root-g2.yaml" -> "digicert-global-root-g2" */
static void
file_stem(const char *path, char *stem, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	(void)snprintf(stem, len, "%s", base ? base + 1 : path);
	n = strlen(stem);
	if (n > 5 && strcmp(stem + n - 5, ".yaml") == 0)
		stem[n - 5] = '\0';
	else if (n > 4 && strcmp(stem + n - 4, ".yml") == 0)
		stem[n - 4] = '\0';
}

int
profile_load_string(const char *buf, size_t len, const char *name, struct pki_profile *p,
                    char *err, size_t errlen)
{
	struct ydoc d;
	struct pki_profile tmp;
	char stem[256];
	int rc;

	file_stem(name, stem, sizeof(stem));
	rc = ydoc_parse(&d, name, buf, len, err, errlen);
	if (rc == 0)
		rc = profile_from_doc(&d, stem, &tmp, err, errlen);
	ydoc_free(&d);
	if (rc == 0)
		*p = tmp;
	return rc;
}

int
profile_load(const char *path, struct pki_profile *p, char *err, size_t errlen)
{
	char *buf;
	size_t len;

	if (config_read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	int rc = profile_load_string(buf, len, path, p, err, errlen);
	free(buf);
	return rc;
}

int
profile_load_by_name(const char *name, struct pki_profile *p, char *err, size_t errlen)
{
	char path[CONFIG_PATH_MAX];

	if (config_find_file("certs", name, path, sizeof(path), err, errlen) != 0)
		return -1;
	return profile_load(path, p, err, errlen);
}

int
profile_list(char names[][64], size_t max, char *err, size_t errlen)
{
	size_t n = config_list_names("certs", names, max);

	if (n > max) {
		(void)snprintf(err, errlen, "more than %zu chain profiles", max);
		return -1;
	}
	return (int)n;
}
