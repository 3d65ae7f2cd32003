/*
 * Chain profiles: every shipped profile loads with the subjects the brief
 * names, and bad profiles fail with the exact position and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/scenario.h"

static char err[4096];

static const char *
source_dir(void)
{
	const char *s = getenv("P2SGW_SOURCE_DIR");
	return s != NULL && s[0] != '\0' ? s : P2SGW_SOURCE_DIR;
}

static void
test_shipped_profiles_load(void **state)
{
	char dir[1024], path[2048];
	struct dirent *de;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/certs", source_dir());
	DIR *d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		struct pki_profile p;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (profile_load(path, &p, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(strlen(p.name), len - 5);
		assert_memory_equal(p.name, de->d_name, len - 5);
		assert_true(p.description[0] != '\0');
		assert_true(p.root.days > 0 && p.leaf.days > 0);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 10);

	char names[16][64];
	int k = profile_list(names, 16, err, sizeof(err));
	assert_int_equal(k, 10);
	assert_string_equal(names[0], "baltimore-cybertrust-root");
	assert_string_equal(names[1], "baltimore-cybertrust-root-2025");
	assert_string_equal(names[2], "d-trust-root-class-3-ca-2-2009");
	assert_string_equal(names[5], "microsoft-ecc-root-2017");
	assert_string_equal(names[9], "selfsigned-gateway-renewed");

	/* a root that ends when the real one did */
	struct pki_profile b;
	snprintf(path, sizeof(path), "%s/certs/baltimore-cybertrust-root-2025.yaml", source_dir());
	if (profile_load(path, &b, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(b.root.not_after, 1747094340); /* 2025-05-12T23:59:00Z */
	assert_int_equal(b.intermediates[0].not_after, 0);
	assert_int_equal(profile_list(names, 2, err, sizeof(err)), -1);
}

static void
test_profile_contents(void **state)
{
	struct pki_profile p;

	if (profile_load_by_name("digicert-global-root-ca", &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(p.root.subject,
	    "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root CA");
	assert_int_equal(p.root.md, MBEDTLS_MD_SHA1);
	assert_int_equal(p.root.days, 9131);
	assert_int_equal(p.root.backdate_days, 3650);
	assert_int_equal(p.n_intermediates, 1);
	assert_string_equal(p.intermediates[0].subject,
	    "C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA");
	assert_string_equal(p.leaf.subject, "CN={hostname}");
	assert_int_equal(p.leaf.days, 397);
	assert_int_equal(p.purpose, PKI_PURPOSE_SERVER);

	if (profile_load_by_name("selfsigned-gateway", &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(p.root.subject, "CN=azuregateway-{gateway_id}.cloudapp.net");
	assert_int_equal(p.root.days, 1095);
	assert_int_equal(p.root.backdate_days, 30);
	assert_int_equal(p.n_intermediates, 0);
	assert_int_equal(p.leaf.days, 540);
	assert_int_equal(p.leaf.key, PKI_KEY_RSA2048);

	if (profile_load_by_name("p2s-client-root", &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p.purpose, PKI_PURPOSE_CLIENT);
	assert_string_equal(p.leaf.subject, "CN=P2SChildCert");
	assert_int_equal(p.leaf.backdate_days, 0);

	assert_int_equal(profile_load_by_name("digicert-global-root-g3", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chain profile 'digicert-global-root-g3' not found in "));
	assert_non_null(strstr(err, "(did you mean 'digicert-global-root-g2'?)"));
}

static void
test_bad_profiles(void **state)
{
	static const char ok_leaf[] = "leaf: {subject: \"CN={hostname}\", days: 397}\n";
	static const struct {
		const char *yaml, *want, *also;
	} cases[] = {
		{ "root:\n  subjet: \"CN=x\"\n  days: 10\n",
		  "p.yaml:2:3: key 'root.subjet': unknown key 'subjet' (did you mean 'subject'?)", NULL },
		{ "root: {subject: \"CN=x\", days: 0}\n",
		  "p.yaml:1:31: key 'root.days': 0 is out of range 1..36500", NULL },
		{ "root: {subject: \"CN=x\", days: 36501}\n",
		  "p.yaml:1:31: key 'root.days': 36501 is out of range 1..36500", NULL },
		{ "root: {subject: \"CN=x\", days: 10, backdate_days: -1}\n",
		  "p.yaml:1:50: key 'root.backdate_days': '-1' is not a whole number", NULL },
		{ "root: {subject: \"\", days: 10}\n",
		  "p.yaml:1:17: key 'root.subject': subject must be 1..255 characters", NULL },
		{ "root: {subject: \"CN={hostnme}\", days: 10}\n",
		  "p.yaml:1:17: key 'root.subject': unknown placeholder '{hostnme}'",
		  "(did you mean '{hostname}'?)" },
		{ "root: {subject: \"CN={hostname}\", days: 10}\n",
		  "p.yaml:1:17: key 'root.subject': {hostname} is filled in for the leaf only", NULL },
		{ "root: {subject: \"O=a, OU=b, OU=c, CN=d\", days: 10}\n",
		  "p.yaml:1:17: key 'root.subject':", "repeats an attribute type" },
		{ "root: {subject: \"XX=y\", days: 10}\n",
		  "p.yaml:1:17: key 'root.subject': 'XX=y' is not a distinguished name", NULL },
		{ "root: {subject: \"CN=x\", days: 10, key: rsa1024}\n",
		  "p.yaml:1:40: key 'root.key': unknown key type 'rsa1024'", NULL },
		{ "root: {subject: \"CN=x\", days: 10, hash: md5}\n",
		  "p.yaml:1:41: key 'root.hash': md5 is not offered", NULL },
		{ "root: {subject: \"CN=x\", days: 10, hash: sha265}\n",
		  "p.yaml:1:41: key 'root.hash': unknown hash 'sha265'", "(did you mean 'sha256'?)" },
		{ "root: {days: 10}\n", "p.yaml:1:7: key 'root': missing 'subject'", NULL },
		{ "root: {subject: \"CN=x\"}\n", "p.yaml:1:7: key 'root': missing 'days'", NULL },
		{ "root: \"CN=x\"\n", "p.yaml:1:7: key 'root': expected a mapping, got a scalar", NULL },
		{ "name: other\n", "p.yaml:1:7: key 'name': 'other' differs from the file name 'p'",
		  NULL },
		{ "purpose: sever\n", "p.yaml:1:10: key 'purpose': unknown purpose 'sever'",
		  "(did you mean 'server'?)" },
		{ "root: {subject: \"CN=r\", days: 10}\nintermediates: {subject: x}\n",
		  "p.yaml:2:16: key 'intermediates': expected a list, got a mapping", NULL },
		{ "root: {subject: \"CN=r\", days: 10}\nintermediates:\n"
		  "  - {subject: \"CN=a\", days: 1}\n  - {subject: \"CN=b\", days: 1}\n"
		  "  - {subject: \"CN=c\", days: 1}\n  - {subject: \"CN=d\", days: 1}\n",
		  "p.yaml:3:3: key 'intermediates': too many items (4, at most 3)", NULL },
		{ "root: {subject: \"CN=r\", days: 10}\nintermediates:\n"
		  "  - {subject: \"CN=a\", dyas: 1}\n",
		  "p.yaml:3:23: key 'intermediates[0].dyas': unknown key 'dyas' (did you mean 'days'?)",
		  NULL },
		{ "root: {subject: \"CN=r\", days: 10}\n",
		  "p.yaml:1:1: missing 'leaf'", NULL },
		{ "leaf: {subject: \"CN=r\", days: 10}\n",
		  "p.yaml:1:1: missing 'root'", NULL },
		{ "", "p.yaml:1:1: the file is empty", NULL },
		{ "root: {subject: \"CN=r\", days: 10}\nroot: {subject: \"CN=r\", days: 10}\n",
		  "p.yaml:2:1: key 'root': duplicate key 'root' (first at line 1)", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024];
		struct pki_profile p;
		/* add a valid leaf unless the case is about the leaf or the document */
		bool add_leaf = strstr(cases[i].yaml, "leaf") == NULL &&
		    strstr(cases[i].want, "missing 'leaf'") == NULL && cases[i].yaml[0] != '\0' &&
		    strstr(cases[i].want, "duplicate") == NULL;
		snprintf(yaml, sizeof(yaml), "%s%s", cases[i].yaml, add_leaf ? ok_leaf : "");
		if (profile_load_string(yaml, strlen(yaml), "p.yaml", &p, err, sizeof(err)) == 0)
			fail_msg("accepted:\n%s", yaml);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("input:\n%s\nerror:    %s\nexpected: %s...", yaml, err, cases[i].want);
		if (cases[i].also != NULL && strstr(err, cases[i].also) == NULL)
			fail_msg("input:\n%s\nerror: %s\nmissing: %s", yaml, err, cases[i].also);
	}
}

static void
test_minimal_profile(void **state)
{
	static const char yaml[] =
	    "root: {subject: 'CN=Lab Root {gateway_id}, O=Example\\, Inc', days: 3650}\n"
	    "leaf: {subject: \"CN={hostname}, O=Lab\", days: 30, key: ec-p256, hash: sha384}\n";
	struct pki_profile p;

	if (profile_load_string(yaml, strlen(yaml), "dir/lab.yaml", &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "lab");
	assert_string_equal(p.root.subject, "CN=Lab Root {gateway_id}, O=Example\\, Inc");
	assert_int_equal(p.purpose, PKI_PURPOSE_SERVER);
	assert_int_equal(p.root.key, PKI_KEY_RSA2048);   /* default */
	assert_int_equal(p.root.md, MBEDTLS_MD_SHA256);  /* default */
	assert_int_equal(p.root.backdate_days, 0);       /* default */
	assert_int_equal(p.leaf.key, PKI_KEY_EC_P256);
	assert_int_equal(p.leaf.md, MBEDTLS_MD_SHA384);
	assert_int_equal(p.n_intermediates, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_profiles_load),
		cmocka_unit_test(test_profile_contents),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_minimal_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
