/*
 * Scenario loading: shipped files, defaults, strict errors with positions,
 * environment overrides, base chains, cipher presets and mbedTLS checks.
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
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/md.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "config/scenario.h"
#include "tls/tls_names.h"

static char err[4096];

static const char *
source_dir(void)
{
	const char *s = getenv("P2SGW_SOURCE_DIR");
	return s != NULL && s[0] != '\0' ? s : P2SGW_SOURCE_DIR;
}

static void
src_path(char *buf, size_t len, const char *rel)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", source_dir(), rel) < len);
}

static int
load_str(const char *yaml, struct scenario *sc)
{
	err[0] = '\0';
	return scenario_load_string(yaml, strlen(yaml), "t.yaml", false, sc, err, sizeof(err));
}

/* The error must start with want (position and key) and contain also. */
static void
expect_error(const char *yaml, const char *want, const char *also)
{
	struct scenario sc;

	if (load_str(yaml, &sc) == 0)
		fail_msg("accepted:\n%s\nexpected error: %s", yaml, want);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("input:\n%s\nerror:    %s\nexpected: %s...", yaml, err, want);
	if (also != NULL && strstr(err, also) == NULL)
		fail_msg("input:\n%s\nerror: %s\nmissing: %s", yaml, err, also);
}

static void
expect_ok(const char *yaml, struct scenario *sc)
{
	if (load_str(yaml, sc) != 0)
		fail_msg("input:\n%s\nrejected: %s", yaml, err);
}

static void
test_shipped_scenarios_load(void **state)
{
	char dir[1024], path[2048];
	struct dirent *de;
	int n = 0;

	src_path(dir, sizeof(dir), "scenarios");
	DIR *d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		struct scenario sc;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (scenario_load(path, false, &sc, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		/* name: equals the file stem in every shipped file */
		assert_int_equal(strlen(sc.name), len - 5);
		assert_memory_equal(sc.name, de->d_name, len - 5);
		assert_true(sc.description[0] != '\0');
		assert_string_equal(sc.path, path);
		assert_true(sc.n_suites > 0);
		n++;
	}
	closedir(d);
	assert_true(n >= 13);
}

static void
test_defaults_match_default_file(void **state)
{
	struct scenario def, file;
	char path[1024];

	scenario_defaults(&def);
	src_path(path, sizeof(path), "scenarios/azure-2018-tls12.yaml");
	if (scenario_load(path, false, &file, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(def.name, file.name);
	assert_string_equal(def.hostname, file.hostname);
	assert_int_equal(def.clock_fixed, file.clock_fixed);
	assert_int_equal(def.clock_offset, file.clock_offset);
	assert_int_equal(def.max_connections, file.max_connections);
	assert_int_equal(def.min_minor, file.min_minor);
	assert_int_equal(def.max_minor, file.max_minor);
	assert_int_equal(def.n_suites, file.n_suites);
	assert_memory_equal(def.suites, file.suites, sizeof(def.suites));
	assert_memory_equal(def.sig_hashes, file.sig_hashes, sizeof(def.sig_hashes));
	assert_memory_equal(def.curves, file.curves, sizeof(def.curves));
	assert_int_equal(def.session_resumption, file.session_resumption);
	assert_int_equal(def.handshake_timeout_ms, file.handshake_timeout_ms);
	assert_int_equal(def.idle_timeout_ms, file.idle_timeout_ms);
	assert_int_equal(def.stall_timeout_ms, file.stall_timeout_ms);
	assert_memory_equal(&def.refuse_version, &file.refuse_version, sizeof(def.refuse_version));
	assert_memory_equal(&def.refuse_cipher, &file.refuse_cipher, sizeof(def.refuse_cipher));
	assert_memory_equal(&def.refuse_malformed, &file.refuse_malformed,
	    sizeof(def.refuse_malformed));
	assert_string_equal(def.chain, file.chain);
	assert_int_equal(def.variant, file.variant);
	assert_int_equal(def.leaf_key_set, file.leaf_key_set);

	/* and the values themselves */
	assert_int_equal(def.min_minor, 3);
	assert_int_equal(def.n_suites, 12);
	assert_int_equal(def.suites[0], 0xc02b);
	assert_int_equal(def.suites[11], 0x003d);
	assert_int_equal(def.suites[12], 0);
	assert_int_equal(def.sig_hashes[0], MBEDTLS_MD_SHA512);
	assert_int_equal(def.sig_hashes[3], MBEDTLS_MD_SHA1);
	assert_int_equal(def.sig_hashes[4], MBEDTLS_MD_NONE);
	assert_int_equal(def.curves[0], MBEDTLS_ECP_DP_CURVE25519);
	assert_int_equal(def.curves[1], MBEDTLS_ECP_DP_SECP256R1);
	assert_int_equal(def.curves[4], MBEDTLS_ECP_DP_NONE);
	assert_int_equal(def.handshake_timeout_ms, 10000);
	assert_int_equal(def.idle_timeout_ms, 300000);
	assert_int_equal(def.stall_timeout_ms, 60000);
	assert_int_equal(def.max_connections, 4096);
	assert_int_equal(def.refuse_version.kind, SC_REFUSE_RESET);
	assert_string_equal(def.chain, "selfsigned-gateway");
}

/* Each bad input with the exact position, key and message or suggestion. */
static void
test_bad_inputs(void **state)
{
	static const struct {
		const char *yaml, *want, *also;
	} cases[] = {
		{ "tls:\n  versoins: [tls1.2]\n",
		  "t.yaml:2:3: key 'tls.versoins': unknown key 'versoins' (did you mean 'versions'?)",
		  NULL },
		{ "gateway:\n  hostname: a.example\n  max_conections: 5\n",
		  "t.yaml:3:3: key 'gateway.max_conections': unknown key", "did you mean 'max_connections'?" },
		{ "tls:\n  versions: tls1.2\n",
		  "t.yaml:2:13: key 'tls.versions': expected a list, got a scalar", NULL },
		{ "tls: [a]\n", "t.yaml:1:6: key 'tls': expected a mapping, got a list", NULL },
		{ "tls:\n  versions: [tls1.3]\n",
		  "t.yaml:2:14: key 'tls.versions': TLS 1.3 cannot be served: mbedTLS 2.28", NULL },
		{ "tls:\n  versions: [SSLv3]\n",
		  "t.yaml:2:14: key 'tls.versions': SSLv3 cannot be served", NULL },
		{ "tls:\n  versions: [tls1.0, tls1.2]\n",
		  "t.yaml:2:13: key 'tls.versions': versions must be contiguous", "without TLS 1.1" },
		{ "tls:\n  versions: [tls1.0]\n  ciphers: [TLS_RSA_WITH_AES_128_GCM_SHA256]\n",
		  "t.yaml:3:13: key 'tls.ciphers': TLS_RSA_WITH_AES_128_GCM_SHA256 needs TLS 1.2 but "
		  "versions allow at most TLS 1.0", NULL },
		{ "gateway:\n  max_connections: 100001\n",
		  "t.yaml:2:20: key 'gateway.max_connections': 100001 is out of range 1..100000", NULL },
		{ "gateway:\n  max_connections: 0x10\n",
		  "t.yaml:2:20: key 'gateway.max_connections': '0x10' is not a whole number", NULL },
		{ "gateway:\n  max_connections: 99999999999999999999999\n",
		  "t.yaml:2:20: key 'gateway.max_connections':", "out of range" },
		{ "tls:\n  versions: [tls1.2]\ntls:\n  ciphers: [azure-2018]\n",
		  "t.yaml:3:1: key 'tls': duplicate key 'tls' (first at line 1)", NULL },
		{ "tls:\n  refuse:\n    cipher: reset\n    cipher: fin\n",
		  "t.yaml:4:5: key 'tls.refuse.cipher': duplicate key 'cipher'", NULL },
		{ "tls:\n  versions: [tls1.2\n", "t.yaml:3:1: YAML syntax error: ", "bracket" },
		{ "", "t.yaml:1:1: the file is empty", NULL },
		{ "# only a comment\n", "t.yaml:1:1: the file is empty", NULL },
		{ "- tls\n", "t.yaml:1:1: the top level must be a mapping of settings, not a list", NULL },
		{ "just a string\n", "t.yaml:1:1: the top level must be a mapping", NULL },
		{ "tls:\n  ciphers: *missing\n",
		  "t.yaml:2:12: alias '*missing' refers to no anchor defined before it", NULL },
		{ "a: &x [*x]\n", "t.yaml:1:8: alias '*x' refers to no anchor", NULL },
		{ "tls:\n  handshake_timeout: 11m\n",
		  "t.yaml:2:22: key 'tls.handshake_timeout': duration 11m is out of range 100ms..10m",
		  NULL },
		{ "tls:\n  idle_timeout: 10 s\n",
		  "t.yaml:2:17: key 'tls.idle_timeout': '10 s' is not a duration", NULL },
		{ "tls:\n  refuse:\n    version: alert:protocol_versoin\n",
		  "t.yaml:3:14: key 'tls.refuse.version': unknown TLS alert 'protocol_versoin'",
		  "(did you mean 'protocol_version'?)" },
		{ "tls:\n  refuse:\n    malformed: rst\n",
		  "t.yaml:3:16: key 'tls.refuse.malformed': unknown refusal 'rst'",
		  "(did you mean 'reset'?)" },
		{ "certificate:\n  chain: digicert-global-root-g3\n",
		  "t.yaml:2:10: key 'certificate.chain': chain profile 'digicert-global-root-g3' not found",
		  "(did you mean 'digicert-global-root-g2'?)" },
		{ "certificate:\n  chain: ../etc/passwd\n",
		  "t.yaml:2:10: key 'certificate.chain': chain profile name", "not a valid name" },
		{ "certificate:\n  variant: expird\n",
		  "t.yaml:2:12: key 'certificate.variant': unknown certificate variant 'expird'",
		  "(did you mean 'expired'?)" },
		{ "certificate:\n  key: rsa2047\n",
		  "t.yaml:2:8: key 'certificate.key': unknown key type 'rsa2047'", "did you mean" },
		{ "certificate:\n  chain: p2s-client-root\n",
		  "t.yaml:2:10: key 'certificate.chain': chain profile 'p2s-client-root' is for client",
		  NULL },
		{ "gateway:\n  clock: 2019-02-29T18:00:00Z\n",
		  "t.yaml:2:10: key 'gateway.clock': '2019-02-29T18:00:00Z' is not a valid date", NULL },
		{ "gateway:\n  clock: +3x\n",
		  "t.yaml:2:10: key 'gateway.clock': '+3x' is not a clock offset", NULL },
		{ "gateway:\n  clock: yesterday\n",
		  "t.yaml:2:10: key 'gateway.clock': 'yesterday' is not a clock", NULL },
		{ "gateway:\n  hostname: -bad.example\n",
		  "t.yaml:2:13: key 'gateway.hostname':", "RFC 1123" },
		{ "tls:\n  ciphers: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265]\n",
		  "t.yaml:2:13: key 'tls.ciphers': unknown cipher suite or preset",
		  "(did you mean 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'?)" },
		{ "tls:\n  ciphers: [azure-2019]\n",
		  "t.yaml:2:13: key 'tls.ciphers': unknown cipher suite or preset 'azure-2019'",
		  "(did you mean 'azure-2018'?)" },
		{ "tls:\n  ciphers: []\n",
		  "t.yaml:2:12: key 'tls.ciphers': at least one cipher suite or preset", NULL },
		{ "tls:\n  ciphers: [TLS_AES_128_GCM_SHA256]\n",
		  "t.yaml:2:13: key 'tls.ciphers': TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite", NULL },
		{ "tls:\n  ciphers: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n",
		  "t.yaml:2:12: key 'tls.ciphers': no cipher suite is usable with TLS 1.2 and the "
		  "rsa2048 leaf key", NULL },
		{ "tls:\n  curves: []\n",
		  "t.yaml:2:11: key 'tls.curves': no curves, but the cipher suites include ECDHE", NULL },
		{ "tls:\n  curves: [secp256r2]\n",
		  "t.yaml:2:12: key 'tls.curves': unknown curve 'secp256r2'",
		  "(did you mean 'secp256r1'?)" },
		{ "tls:\n  signature_hashes: []\n",
		  "t.yaml:2:21: key 'tls.signature_hashes': no signature hashes, but TLS 1.2 needs", NULL },
		{ "tls:\n  signature_hashes: [sha265]\n",
		  "t.yaml:2:22: key 'tls.signature_hashes': unknown signature hash 'sha265'",
		  "did you mean 'sha256'?" },
		{ "tls:\n  session_resumption: maybe\n",
		  "t.yaml:2:23: key 'tls.session_resumption': 'maybe' is not a boolean", NULL },
		{ "tls:\n  versions: [[tls1.2]]\n",
		  "t.yaml:2:14: key 'tls.versions': expected a single value, got a list", NULL },
		{ "tls:\n  versions:\n", "t.yaml:2:11: key 'tls.versions': expected a list, got an "
		  "empty value", NULL },
		{ "gateway:\n  hostname:\n", "t.yaml:2:11: key 'gateway.hostname': missing value",
		  NULL },
		{ "name: has space\n", "t.yaml:1:7: key 'name': 'has space' is not a valid name", NULL },
		{ "<<: {tls: {}}\n", "t.yaml:1:1: key '<<': merge keys ('<<') are not supported", NULL },
		{ "tls: !!map {}\n", "t.yaml:1:6: YAML tags are not supported here", NULL },
		{ "[a]: b\n", "t.yaml:1:1: expected a plain key, got a list", NULL },
		{ "a: 1\n---\nb: 2\n", "t.yaml:2:1: more than one YAML document", NULL },
		{ "base: azure-2081-tls12\n",
		  "t.yaml:1:7: key 'base': scenario 'azure-2081-tls12' not found",
		  "(did you mean 'azure-2018-tls12'?)" },
		{ "tls:\n  ciphers: [\"TLS_RSA\\0_WITH\"]\n",
		  "t.yaml:2:13: scalar contains a NUL character", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].yaml, cases[i].want, cases[i].also);
}

static void
test_limits(void **state)
{
	struct scenario sc;
	size_t big = 1024 * 1024 + 1;
	char *buf = malloc(big + 1);

	assert_non_null(buf);
	memset(buf, '#', big);
	buf[big] = '\0';
	assert_int_equal(scenario_load_string(buf, big, "big.yaml", false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));

	/* deep nesting is an error, not a stack overflow */
	size_t depth = 100000;
	for (size_t i = 0; i < depth; i++) {
		buf[i] = '[';
		buf[depth + i] = ']';
	}
	assert_int_equal(scenario_load_string(buf, 2 * depth, "deep.yaml", false, &sc, err,
	    sizeof(err)), -1);

	/* too many nodes */
	size_t o = 0;
	o += (size_t)snprintf(buf + o, big - o, "x: [");
	for (int i = 0; i < 20000; i++)
		o += (size_t)snprintf(buf + o, big - o, "1,");
	o += (size_t)snprintf(buf + o, big - o, "1]\n");
	assert_int_equal(scenario_load_string(buf, o, "many.yaml", false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 10000 nodes"));

	/* a long list where a short one is expected */
	o = (size_t)snprintf(buf, big, "tls:\n  ciphers: [");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(buf + o, big - o, "azure-2018, ");
	o += (size_t)snprintf(buf + o, big - o, "azure-2018]\n");
	assert_int_equal(scenario_load_string(buf, o, "long.yaml", false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "long.yaml:2:12: key 'tls.ciphers': too many items"));

	/* many aliases to one anchor do not expand */
	o = (size_t)snprintf(buf, big, "description: &d x\ntls:\n  ciphers: &c [azure-2018]\n"
	    "x: [");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(buf + o, big - o, "*c, ");
	o += (size_t)snprintf(buf + o, big - o, "*d]\n");
	assert_int_equal(scenario_load_string(buf, o, "alias.yaml", false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "alias.yaml:4:1: key 'x': unknown key 'x'"));
	free(buf);

	/* aliases to earlier anchors work */
	expect_ok("description: &d vpn.example.com\ntls:\n  ciphers: &c [azure-2024]\n"
	    "gateway: {hostname: *d}\n", &sc);
	assert_string_equal(sc.hostname, "vpn.example.com");
	assert_int_equal(sc.n_suites, 4);
	assert_int_equal(-1, load_str("description: &d \"from an anchor\"\n"
	    "gateway: {hostname: *d}\n", &sc));
	assert_non_null(strstr(err, "t.yaml:2:21: key 'gateway.hostname':"));
}

static void
test_not_a_regular_file(void **state)
{
	struct scenario sc;

	assert_int_equal(scenario_load("/dev/null", false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/dev/null: not a regular file"));
	assert_int_equal(scenario_load("/nonexistent/x.yaml", false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.yaml: No such file"));
}

static void
test_values(void **state)
{
	struct scenario sc;

	expect_ok("gateway:\n  hostname: VPN-1.Example.net\n  clock: 2019-03-12T18:00:00Z\n"
	    "  max_connections: \"1\"\n"
	    "tls:\n  versions: [TLSv1.1, \"1.2\"]\n  ciphers: [azure-2018]\n"
	    "  session_resumption: off\n  handshake_timeout: 500ms\n  idle_timeout: 24h\n"
	    "  stall_timeout: 30\n"
	    "  refuse: {version: alert:70, cipher: fin, malformed: stall}\n", &sc);
	assert_string_equal(sc.hostname, "VPN-1.Example.net");
	assert_true(sc.clock_fixed);
	assert_int_equal(sc.clock_at, 1552413600);
	assert_int_equal(scenario_clock(&sc, 12345), 1552413600);
	assert_int_equal(sc.max_connections, 1);
	assert_int_equal(sc.min_minor, 2);
	assert_int_equal(sc.max_minor, 3);
	assert_false(sc.session_resumption);
	assert_int_equal(sc.handshake_timeout_ms, 500);
	assert_int_equal(sc.idle_timeout_ms, 24 * 3600 * 1000);
	assert_int_equal(sc.stall_timeout_ms, 30000);
	assert_int_equal(sc.refuse_version.kind, SC_REFUSE_ALERT);
	assert_int_equal(sc.refuse_version.alert, 70);
	assert_int_equal(sc.refuse_cipher.kind, SC_REFUSE_FIN);
	assert_int_equal(sc.refuse_malformed.kind, SC_REFUSE_STALL);
	assert_string_equal(sc.name, "t");  /* the stem of "t.yaml" */

	expect_ok("gateway:\n  clock: -2y\n", &sc);
	assert_false(sc.clock_fixed);
	assert_int_equal(sc.clock_offset, -2 * 365 * 86400);
	assert_int_equal(scenario_clock(&sc, 1000000000), 1000000000 - 2 * 365 * 86400);
	expect_ok("gateway:\n  clock: +30d\n", &sc);
	assert_int_equal(sc.clock_offset, 30 * 86400);
	expect_ok("gateway:\n  clock: now\n", &sc);
	assert_int_equal(scenario_clock(&sc, 42), 42);

	expect_ok("tls:\n  refuse:\n    cipher: alert:insufficient_security\n", &sc);
	assert_int_equal(sc.refuse_cipher.alert, 71);

	/* signature hashes and curves: order kept, duplicates dropped */
	expect_ok("tls:\n  signature_hashes: [sha256, SHA1, sha256, md5]\n"
	    "  curves: [secp384r1, secp256r1, secp384r1]\n", &sc);
	assert_int_equal(sc.sig_hashes[0], MBEDTLS_MD_SHA256);
	assert_int_equal(sc.sig_hashes[1], MBEDTLS_MD_SHA1);
	assert_int_equal(sc.sig_hashes[2], MBEDTLS_MD_MD5);
	assert_int_equal(sc.sig_hashes[3], MBEDTLS_MD_NONE);
	assert_int_equal(sc.curves[0], MBEDTLS_ECP_DP_SECP384R1);
	assert_int_equal(sc.curves[1], MBEDTLS_ECP_DP_SECP256R1);
	assert_int_equal(sc.curves[2], MBEDTLS_ECP_DP_NONE);

	/* certificate */
	expect_ok("certificate:\n  chain: digicert-global-root-ca\n  variant: missing-intermediate\n"
	    "  key: ec-p256\n", &sc);
	assert_string_equal(sc.chain, "digicert-global-root-ca");
	assert_int_equal(sc.variant, PKI_VARIANT_MISSING_INTERMEDIATE);
	assert_true(sc.leaf_key_set);
	assert_int_equal(sc.leaf_key, PKI_KEY_EC_P256);
	/* EC leaf with only RSA suites: nothing usable */
	expect_error("tls:\n  ciphers: [azure-2024]\ncertificate:\n  key: ec-p384\n",
	    "t.yaml:2:12: key 'tls.ciphers': no cipher suite is usable", "ECDHE_ECDSA");

	/* name and description */
	expect_ok("name: my-lab.1\ndescription: \"\"\n", &sc);
	assert_string_equal(sc.name, "my-lab.1");
	assert_string_equal(sc.description, "");
}

static void
test_presets(void **state)
{
	size_t n, np;
	const char *const *names = scenario_cipher_preset_names(&np);

	assert_int_equal(np, 3);
	const char *const *p = scenario_cipher_preset("azure-2018", &n);
	assert_non_null(p);
	assert_int_equal(n, 12);
	assert_string_equal(p[0], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(p[11], "TLS_RSA_WITH_AES_256_CBC_SHA256");
	p = scenario_cipher_preset("azure-2024", &n);
	assert_int_equal(n, 4);
	assert_string_equal(p[0], "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
	assert_string_equal(p[3], "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256");
	p = scenario_cipher_preset("azure-pre-2018", &n);
	assert_int_equal(n, 21);
	assert_string_equal(p[12], "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA");
	assert_string_equal(p[20], "TLS_RSA_WITH_RC4_128_MD5");
	assert_null(scenario_cipher_preset("azure-2019", &n));
	assert_int_equal(n, 0);

	/* every preset suite is known to tls_names and to this mbedTLS, and the
	 * id table matches the name table */
	for (size_t i = 0; i < np; i++) {
		size_t nid;
		const uint16_t *ids = scenario_cipher_preset_ids(names[i], &nid);
		p = scenario_cipher_preset(names[i], &n);
		assert_non_null(ids);
		assert_int_equal(nid, n);
		for (size_t j = 0; j < n; j++) {
			int id = tls_suite_from_name(p[j]);
			if (id <= 0 || mbedtls_ssl_ciphersuite_from_id(id) == NULL)
				fail_msg("preset %s: %s unknown", names[i], p[j]);
			if (id != ids[j])
				fail_msg("preset %s: %s is 0x%04x, table says 0x%04x", names[i], p[j], id,
				    ids[j]);
		}
	}
	assert_null(scenario_cipher_preset_ids("nope", &n));

	/* expansion keeps the documented order */
	struct scenario sc;
	expect_ok("tls:\n  versions: [tls1.0, tls1.1, tls1.2]\n  ciphers: [azure-pre-2018]\n", &sc);
	p = scenario_cipher_preset("azure-pre-2018", &n);
	assert_int_equal(sc.n_suites, n);
	for (size_t j = 0; j < n; j++)
		assert_int_equal(sc.suites[j], tls_suite_from_name(p[j]));
	assert_int_equal(sc.suites[n], 0);

	/* preset suites that need TLS 1.2 are dropped silently under TLS 1.0 */
	expect_ok("tls:\n  versions: [tls1.0]\n  ciphers: [azure-pre-2018]\n", &sc);
	assert_int_equal(sc.n_suites, 9);
	assert_int_equal(sc.suites[0], 0xc014);  /* TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA */
	assert_int_equal(sc.suites[8], 0x0004);  /* TLS_RSA_WITH_RC4_128_MD5 */

	/* a preset with nothing left for the versions is an error */
	expect_error("tls:\n  versions: [tls1.0]\n  ciphers: [azure-2024]\n",
	    "t.yaml:3:12: key 'tls.ciphers': no cipher suite is usable with TLS 1.0", "0 suites");

	/* duplicates removed, first position kept; case-insensitive preset names */
	expect_ok("tls:\n  ciphers: [TLS_RSA_WITH_AES_256_CBC_SHA256, AZURE-2024, azure-2018,"
	    " TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n", &sc);
	assert_int_equal(sc.n_suites, 12);
	assert_int_equal(sc.suites[0], 0x003d);
	assert_int_equal(sc.suites[1], 0xc030);
	assert_int_equal(sc.suites[5], 0xc02b);
	assert_int_equal(sc.suites[12], 0);
}

static void
test_explicit_suites(void **state)
{
	struct scenario sc;

	/* RC4 is off in mbedTLS' default list but can be named under TLS 1.0 */
	expect_ok("tls:\n  versions: [tls1.0]\n  ciphers: [TLS_RSA_WITH_RC4_128_SHA]\n", &sc);
	assert_int_equal(sc.n_suites, 1);
	assert_int_equal(sc.suites[0], 0x0005);
	assert_int_equal(sc.min_minor, 1);
	assert_int_equal(sc.max_minor, 1);
	/* TLS 1.0 with SHA-1 MACs and 3DES: no signature hashes needed */
	expect_ok("tls:\n  versions: [tls1.0]\n  ciphers: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]\n"
	    "  signature_hashes: []\n  curves: []\n", &sc);
	/* mbedTLS' dashed spelling is accepted */
	expect_ok("tls:\n  ciphers: [TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256]\n", &sc);
	assert_int_equal(sc.suites[0], 0xc02f);
	/* static RSA only: no curves needed */
	expect_ok("tls:\n  ciphers: [TLS_RSA_WITH_AES_128_GCM_SHA256]\n  curves: []\n", &sc);
	/* a TLS 1.2-only suite with TLS 1.0 */
	expect_error("tls:\n  versions: [tls1.0]\n  ciphers: [azure-2018, "
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256]\n",
	    "t.yaml:3:25: key 'tls.ciphers': TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 needs TLS 1.2 "
	    "but versions allow at most TLS 1.0", NULL);
	/* a signalling value is not a suite */
	expect_error("tls:\n  ciphers: [TLS_EMPTY_RENEGOTIATION_INFO_SCSV]\n",
	    "t.yaml:2:13: key 'tls.ciphers': TLS_EMPTY_RENEGOTIATION_INFO_SCSV is a signalling",
	    NULL);
}

static void
unset_p2sgw_env(void)
{
	static const char *const vars[] = {
		"P2SGW_GATEWAY_HOSTNAME", "P2SGW_GATEWAY_CLOCK", "P2SGW_GATEWAY_MAX_CONNECTIONS",
		"P2SGW_TLS_VERSIONS", "P2SGW_TLS_CIPHERS", "P2SGW_TLS_SIGNATURE_HASHES",
		"P2SGW_TLS_CURVES", "P2SGW_TLS_SESSION_RESUMPTION", "P2SGW_TLS_HANDSHAKE_TIMEOUT",
		"P2SGW_TLS_IDLE_TIMEOUT", "P2SGW_TLS_STALL_TIMEOUT", "P2SGW_TLS_REFUSE_VERSION",
		"P2SGW_TLS_REFUSE_CIPHER", "P2SGW_TLS_REFUSE_MALFORMED", "P2SGW_CERTIFICATE_CHAIN",
		"P2SGW_CERTIFICATE_VARIANT", "P2SGW_CERTIFICATE_KEY", "P2SGW_TLS_VERSOINS",
		"P2SGW_LISTEN", "P2SGW_FOO",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static int
load_env(const char *yaml, struct scenario *sc)
{
	err[0] = '\0';
	return scenario_load_string(yaml, strlen(yaml), "env.yaml", true, sc, err, sizeof(err));
}

static void
test_env_overrides(void **state)
{
	struct scenario sc;

	unset_p2sgw_env();
	setenv("P2SGW_GATEWAY_HOSTNAME", "vpn.example.org", 1);
	setenv("P2SGW_GATEWAY_CLOCK", "+1w", 1);
	setenv("P2SGW_GATEWAY_MAX_CONNECTIONS", "17", 1);
	setenv("P2SGW_TLS_VERSIONS", "tls1.0, TLSv1.1 ,1.2", 1);
	setenv("P2SGW_TLS_CIPHERS", "TLS_RSA_WITH_RC4_128_MD5,azure-2024", 1);
	setenv("P2SGW_TLS_SIGNATURE_HASHES", "sha384,sha256", 1);
	setenv("P2SGW_TLS_CURVES", "secp384r1", 1);
	setenv("P2SGW_TLS_SESSION_RESUMPTION", "no", 1);
	setenv("P2SGW_TLS_HANDSHAKE_TIMEOUT", "3s", 1);
	setenv("P2SGW_TLS_IDLE_TIMEOUT", "1h", 1);
	setenv("P2SGW_TLS_STALL_TIMEOUT", "2m", 1);
	setenv("P2SGW_TLS_REFUSE_VERSION", "alert:protocol_version", 1);
	setenv("P2SGW_TLS_REFUSE_CIPHER", "stall", 1);
	setenv("P2SGW_TLS_REFUSE_MALFORMED", "fin", 1);
	setenv("P2SGW_CERTIFICATE_CHAIN", "digicert-global-root-g2", 1);
	setenv("P2SGW_CERTIFICATE_VARIANT", "expired", 1);
	setenv("P2SGW_CERTIFICATE_KEY", "rsa3072", 1);
	setenv("P2SGW_LISTEN", "127.0.0.1:0", 1);  /* reserved: ignored here */
	if (load_env("tls:\n  versions: [tls1.2]\n", &sc) != 0)
		fail_msg("%s", err);
	assert_string_equal(sc.hostname, "vpn.example.org");
	assert_int_equal(sc.clock_offset, 7 * 86400);
	assert_int_equal(sc.max_connections, 17);
	assert_int_equal(sc.min_minor, 1);
	assert_int_equal(sc.max_minor, 3);
	assert_int_equal(sc.n_suites, 5);
	assert_int_equal(sc.suites[0], 0x0004);
	assert_int_equal(sc.suites[1], 0xc030);
	assert_int_equal(sc.sig_hashes[0], MBEDTLS_MD_SHA384);
	assert_int_equal(sc.sig_hashes[2], MBEDTLS_MD_NONE);
	assert_int_equal(sc.curves[0], MBEDTLS_ECP_DP_SECP384R1);
	assert_int_equal(sc.curves[1], MBEDTLS_ECP_DP_NONE);
	assert_false(sc.session_resumption);
	assert_int_equal(sc.handshake_timeout_ms, 3000);
	assert_int_equal(sc.idle_timeout_ms, 3600000);
	assert_int_equal(sc.stall_timeout_ms, 120000);
	assert_int_equal(sc.refuse_version.kind, SC_REFUSE_ALERT);
	assert_int_equal(sc.refuse_version.alert, 70);
	assert_int_equal(sc.refuse_cipher.kind, SC_REFUSE_STALL);
	assert_int_equal(sc.refuse_malformed.kind, SC_REFUSE_FIN);
	assert_string_equal(sc.chain, "digicert-global-root-g2");
	assert_int_equal(sc.variant, PKI_VARIANT_EXPIRED);
	assert_true(sc.leaf_key_set);
	assert_int_equal(sc.leaf_key, PKI_KEY_RSA3072);

	/* use_env false ignores all of it */
	if (load_str("tls:\n  versions: [tls1.2]\n", &sc) != 0)
		fail_msg("%s", err);
	assert_string_equal(sc.chain, "selfsigned-gateway");
	unset_p2sgw_env();

	/* empty means unset */
	setenv("P2SGW_TLS_CIPHERS", "", 1);
	assert_int_equal(load_env("{}\n", &sc), 0);
	unset_p2sgw_env();

	static const struct {
		const char *var, *val, *want;
	} bad[] = {
		{ "P2SGW_TLS_VERSIONS", "tls1.0,tls1.3",
		  "environment P2SGW_TLS_VERSIONS: TLS 1.3 cannot be served" },
		{ "P2SGW_TLS_VERSIONS", "tls1.2,,tls1.1",
		  "environment P2SGW_TLS_VERSIONS: empty item" },
		{ "P2SGW_GATEWAY_MAX_CONNECTIONS", "-1",
		  "environment P2SGW_GATEWAY_MAX_CONNECTIONS: '-1' is not a whole number" },
		{ "P2SGW_TLS_SESSION_RESUMPTION", "yes please",
		  "environment P2SGW_TLS_SESSION_RESUMPTION: 'yes please' is not a boolean" },
		{ "P2SGW_TLS_CIPHERS", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		  "environment P2SGW_TLS_CIPHERS: no cipher suite is usable" },
		{ "P2SGW_CERTIFICATE_CHAIN", "nope",
		  "environment P2SGW_CERTIFICATE_CHAIN: chain profile 'nope' not found" },
		{ "P2SGW_TLS_VERSOINS", "tls1.2",
		  "environment P2SGW_TLS_VERSOINS: unknown P2SGW_ variable (did you mean "
		  "'P2SGW_TLS_VERSIONS'?)" },
		{ "P2SGW_FOO", "1", "environment P2SGW_FOO: unknown P2SGW_ variable" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].var, bad[i].val, 1);
		int rc = load_env("{}\n", &sc);
		unsetenv(bad[i].var);
		if (rc == 0)
			fail_msg("%s=%s accepted", bad[i].var, bad[i].val);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("%s=%s\nerror:    %s\nexpected: %s", bad[i].var, bad[i].val, err,
			    bad[i].want);
	}

	/* validation runs after the overrides: the env can fix a file */
	setenv("P2SGW_TLS_VERSIONS", "tls1.2", 1);
	if (load_env("tls:\n  versions: [tls1.0]\n  ciphers: [azure-2018]\n", &sc) != 0)
		fail_msg("%s", err);
	unset_p2sgw_env();
}

static void
test_base_chains(void **state)
{
	struct scenario sc;
	char path[1024];

	/* azure-2024-policy: base azure-2018-tls12, own name and ciphers */
	src_path(path, sizeof(path), "scenarios/azure-2024-policy.yaml");
	if (scenario_load(path, false, &sc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(sc.name, "azure-2024-policy");
	assert_int_equal(sc.n_suites, 4);
	assert_string_equal(sc.chain, "digicert-global-root-g2");
	assert_int_equal(sc.curves[0], MBEDTLS_ECP_DP_CURVE25519); /* from the base */

	/* a relative base path is relative to the file */
	src_path(path, sizeof(path), "tests/config/bad/relative-base.yaml");
	if (scenario_load(path, false, &sc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(sc.name, "relative-base");
	assert_string_equal(sc.hostname, "vpn.example.net");
	assert_int_equal(sc.n_suites, 4);
	assert_string_equal(sc.description, ""); /* not inherited */

	static const struct {
		const char *file, *want;
	} bad[] = {
		{ "cycle-a.yaml", "cycle-b.yaml:2:7: key 'base': base cycle: " },
		{ "self-base.yaml", "self-base.yaml:1:7: key 'base': base cycle: " },
		{ "base-missing.yaml", "base-missing.yaml:2:7: key 'base': scenario 'azure-2081-tls12' "
		  "not found" },
		{ "base-broken.yaml", "broken-syntax.yaml:4:1: YAML syntax error:" },
		{ "unknown-key.yaml", "unknown-key.yaml:4:3: key 'tls.cipher': unknown key 'cipher' "
		  "(did you mean 'ciphers'?)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "tests/config/bad/%s", bad[i].file);
		src_path(path, sizeof(path), rel);
		if (scenario_load(path, false, &sc, err, sizeof(err)) == 0)
			fail_msg("%s accepted", path);
		const char *tail = strstr(err, "tests/config/bad/");
		if (tail == NULL || strncmp(tail + 17, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("%s\nerror:    %s\nexpected: .../%s", bad[i].file, err, bad[i].want);
	}

	/* depth: a chain of 9 bases is too long, 8 is fine */
	char dir[] = "/tmp/p2sgw-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i <= 9; i++) {
		snprintf(path, sizeof(path), "%s/d%d.yaml", dir, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		if (i < 9)
			fprintf(f, "base: d%d\n", i + 1);
		else
			fprintf(f, "tls: {}\n");
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/d1.yaml", dir);
	if (scenario_load(path, false, &sc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	snprintf(path, sizeof(path), "%s/d0.yaml", dir);
	assert_int_equal(scenario_load(path, false, &sc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "d8.yaml:1:7: key 'base': base chain longer than 8 files"));
	for (int i = 0; i <= 9; i++) {
		snprintf(path, sizeof(path), "%s/d%d.yaml", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

static void
test_resolve(void **state)
{
	char path[1024];

	if (scenario_resolve("azure-2018-tls12", path, sizeof(path), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(strstr(path, "/scenarios/azure-2018-tls12.yaml"));
	assert_int_equal(scenario_resolve("azure-2018-tsl12", path, sizeof(path), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "scenario 'azure-2018-tsl12' not found in "));
	assert_non_null(strstr(err, "(did you mean 'azure-2018-tls12'?)"));
	/* paths are used as given */
	assert_int_equal(scenario_resolve("nope.yaml", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nope.yaml: No such file"));
	if (scenario_resolve("/dev/null", path, sizeof(path), err, sizeof(err)) == 0)
		fail_msg("/dev/null resolved");

	/* config_find_file: plain names only */
	assert_int_equal(config_find_file("certs", "../scenarios/azure-2018-tls12", path,
	    sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(config_find_file("other", "x", path, sizeof(path), err, sizeof(err)), -1);
	if (config_find_file("certs", "selfsigned-gateway", path, sizeof(path), err,
	        sizeof(err)) != 0)
		fail_msg("%s", err);

	/* P2SGW_SCENARIO_DIR comes first */
	char dir[] = "/tmp/p2sgw-test-XXXXXX", file[256];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/azure-2018-tls12.yaml", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("name: shadow\n", f);
	fclose(f);
	setenv("P2SGW_SCENARIO_DIR", dir, 1);
	if (scenario_resolve("azure-2018-tls12", path, sizeof(path), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(path, file);
	unsetenv("P2SGW_SCENARIO_DIR");
	unlink(file);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_scenarios_load),
		cmocka_unit_test(test_defaults_match_default_file),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_not_a_regular_file),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_explicit_suites),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_base_chains),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
