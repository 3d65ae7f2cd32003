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
	assert_int_equal(def.sstp_hash_bitmask, file.sstp_hash_bitmask);
	assert_int_equal(def.sstp_negotiation_timeout_ms, file.sstp_negotiation_timeout_ms);
	assert_int_equal(def.sstp_hello_interval_ms, file.sstp_hello_interval_ms);
	assert_int_equal(def.sstp_max_sessions, file.sstp_max_sessions);
	assert_int_equal(def.sstp_limit_action, file.sstp_limit_action);
	assert_int_equal(def.throughput_bps, file.throughput_bps);
	assert_int_equal(def.n_ppp_auth, file.n_ppp_auth);
	assert_memory_equal(def.ppp_auth, file.ppp_auth, def.n_ppp_auth * sizeof(def.ppp_auth[0]));
	assert_int_equal(def.ppp_auth_retries, file.ppp_auth_retries);
	assert_int_equal(def.ppp_mru, file.ppp_mru);
	assert_int_equal(def.n_users, file.n_users);
	for (size_t i = 0; i < def.n_users; i++) {
		assert_string_equal(def.users[i].name, file.users[i].name);
		assert_string_equal(def.users[i].password, file.users[i].password);
	}
	assert_int_equal(def.n_client_roots, file.n_client_roots);
	for (size_t i = 0; i < def.n_client_roots; i++)
		assert_string_equal(def.client_roots[i], file.client_roots[i]);
	assert_int_equal(def.n_revoked, file.n_revoked);
	assert_int_equal(def.pool_net, file.pool_net);
	assert_int_equal(def.pool_prefix, file.pool_prefix);
	assert_int_equal(def.gateway_ip, file.gateway_ip);
	assert_int_equal(def.n_dns, file.n_dns);
	assert_memory_equal(def.dns, file.dns, def.n_dns * sizeof(def.dns[0]));
	assert_int_equal(def.n_vnet, file.n_vnet);
	for (size_t i = 0; i < def.n_vnet; i++) {
		assert_int_equal(def.vnet[i].net, file.vnet[i].net);
		assert_int_equal(def.vnet[i].prefix, file.vnet[i].prefix);
	}
	assert_int_equal(def.n_hosts, file.n_hosts);
	for (size_t i = 0; i < def.n_hosts; i++) {
		assert_string_equal(def.hosts[i].name, file.hosts[i].name);
		assert_int_equal(def.hosts[i].addr, file.hosts[i].addr);
	}
	assert_int_equal(def.udp_echo_port, file.udp_echo_port);

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
	assert_int_equal(def.refuse_version.kind, TLS_REFUSE_RESET);
	assert_string_equal(def.chain, "selfsigned-gateway");

	/* sstp, ppp, network */
	assert_int_equal(def.sstp_hash_bitmask, 3);
	assert_int_equal(def.sstp_negotiation_timeout_ms, 60000);
	assert_int_equal(def.sstp_hello_interval_ms, 60000);
	assert_int_equal(def.sstp_max_sessions, 128);
	assert_int_equal(def.sstp_limit_action, SC_LIMIT_HTTP_503);
	assert_int_equal(def.throughput_bps, 0);
	assert_int_equal(def.n_ppp_auth, 1);
	assert_int_equal(def.ppp_auth[0], SC_AUTH_MSCHAPV2);
	assert_int_equal(def.ppp_auth_retries, 3);
	assert_int_equal(def.ppp_mru, 1400);
	assert_int_equal(def.n_users, 1);
	assert_string_equal(def.users[0].name, "p2s-user");
	assert_string_equal(def.users[0].password, "p2s-password");
	assert_int_equal(def.n_client_roots, 1);
	assert_string_equal(def.client_roots[0], "p2s-client-root");
	assert_int_equal(def.n_revoked, 0);
	assert_int_equal(def.pool_net, 0xac10c900);
	assert_int_equal(def.pool_prefix, 24);
	assert_int_equal(def.gateway_ip, 0xac10c901);
	assert_int_equal(def.n_dns, 1);
	assert_int_equal(def.dns[0], 0x0a010004);
	assert_int_equal(def.n_vnet, 1);
	assert_int_equal(def.vnet[0].net, 0x0a010000);
	assert_int_equal(def.vnet[0].prefix, 16);
	assert_int_equal(def.n_hosts, 1);
	assert_string_equal(def.hosts[0].name, "vm1.lab.internal");
	assert_int_equal(def.hosts[0].addr, 0x0a010004);
	assert_int_equal(def.udp_echo_port, 7);

	/* an empty file gets the same */
	struct scenario e;
	expect_ok("{}\n", &e);
	assert_int_equal(e.gateway_ip, def.gateway_ip);
	assert_int_equal(e.n_users, 1);
	assert_int_equal(e.n_hosts, 1);
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
		{ "tls:\n  refuse:\n    too_large: alert:close_notify\n",
		  "t.yaml:3:16: key 'tls.refuse.too_large': close_notify is not a refusal", NULL },
		{ "certificate:\n  chain: digicert-global-root-g3\n",
		  "t.yaml:2:10: key 'certificate.chain': chain profile 'digicert-global-root-g3' not found",
		  "(did you mean 'digicert-global-root-g2'?)" },
		{ "certificate:\n  chain: ../etc/passwd\n",
		  "t.yaml:2:10: key 'certificate.chain': chain profile name", "not a valid name" },
		{ "certificate:\n  renew_after: 100%\n", "t.yaml:2:16: key 'certificate.renew_after': "
		  "'100%' is neither a share", NULL },
		{ "certificate:\n  renew_after: 6 weeks\n", "t.yaml:2:16: key 'certificate.renew_after'",
		  "(e.g. \"6 months\", \"180d\")" },
		{ "certificate:\n  renew_after: 0d\n", "t.yaml:2:16: key 'certificate.renew_after'", NULL },
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

/* sstp, ppp and network: each bad value with its exact position. */
static void
test_bad_sections(void **state)
{
	static const struct {
		const char *yaml, *want, *also;
	} cases[] = {
		/* sstp */
		{ "sstp:\n  hash_protocol: [sha1]\n",
		  "t.yaml:2:3: key 'sstp.hash_protocol': unknown key 'hash_protocol'",
		  "(did you mean 'hash_protocols'?)" },
		{ "sstp:\n  hash_protocols: []\n",
		  "t.yaml:2:19: key 'sstp.hash_protocols': at least one of sha1, sha256", NULL },
		{ "sstp:\n  hash_protocols: [sha256, sha384]\n",
		  "t.yaml:2:28: key 'sstp.hash_protocols': unknown SSTP hash protocol 'sha384' "
		  "(one of sha1 sha256)", NULL },
		{ "sstp:\n  hash_protocols: [sha265]\n",
		  "t.yaml:2:20: key 'sstp.hash_protocols': unknown SSTP hash protocol 'sha265'",
		  "(did you mean 'sha256'?)" },
		{ "sstp:\n  negotiation_timeout: 11m\n",
		  "t.yaml:2:24: key 'sstp.negotiation_timeout': duration 11m is out of range 1s..10m",
		  NULL },
		{ "sstp:\n  negotiation_timeout: 500ms\n",
		  "t.yaml:2:24: key 'sstp.negotiation_timeout': duration 500ms is out of range", NULL },
		{ "sstp:\n  hello_interval: 2h\n",
		  "t.yaml:2:19: key 'sstp.hello_interval': duration 2h is out of range 1s..1h", NULL },
		{ "sstp:\n  max_sessions: 0\n",
		  "t.yaml:2:17: key 'sstp.max_sessions': 0 is out of range 1..100000", NULL },
		{ "sstp:\n  max_sessions: 100001\n",
		  "t.yaml:2:17: key 'sstp.max_sessions': 100001 is out of range 1..100000", NULL },
		{ "sstp:\n  at_limit: http-502\n",
		  "t.yaml:2:13: key 'sstp.at_limit': unknown action 'http-502' (one of http-503 reset)",
		  "(did you mean 'http-503'?)" },
		{ "sstp:\n  throughput: 100\n",
		  "t.yaml:2:15: key 'sstp.throughput': '100' is not a rate", NULL },
		{ "sstp:\n  throughput: 10mb\n",
		  "t.yaml:2:15: key 'sstp.throughput': '10mb' is not a rate", "(did you mean 'MB'?)" },
		{ "sstp:\n  throughput: 101Gbit\n",
		  "t.yaml:2:15: key 'sstp.throughput': rate 101Gbit is out of range 1kbit..100Gbit",
		  NULL },
		{ "sstp:\n  throughput: 999bit\n",
		  "t.yaml:2:15: key 'sstp.throughput': rate 999bit is out of range", NULL },
		{ "sstp:\n  throughput: 99999999999999999999999GB\n",
		  "t.yaml:2:15: key 'sstp.throughput': rate 99999999999999999999999GB is out of range",
		  NULL },
		{ "sstp:\n  throughput: 1.2345Gbit\n",
		  "t.yaml:2:15: key 'sstp.throughput': '1.2345Gbit' is not a rate", NULL },
		{ "sstp:\n  throughput: 1Gbit/h\n",
		  "t.yaml:2:15: key 'sstp.throughput': '1Gbit/h' is not a rate", NULL },
		/* ppp */
		{ "ppp:\n  auth: []\n", "t.yaml:2:9: key 'ppp.auth': at least one method", NULL },
		{ "ppp:\n  auth: [mschapv2, pap]\n",
		  "t.yaml:2:20: key 'ppp.auth': unknown authentication method 'pap' "
		  "(one of mschapv2 eap-tls)", NULL },
		{ "ppp:\n  auth: [eap-tls, EAP-TLS]\n",
		  "t.yaml:2:19: key 'ppp.auth': eap-tls is listed twice", NULL },
		{ "ppp:\n  auth: [mschapv2, eap-tls, mschapv2]\n",
		  "t.yaml:2:29: key 'ppp.auth': mschapv2 is listed twice", NULL },
		{ "ppp:\n  auth: [eaptls]\n", "t.yaml:2:10: key 'ppp.auth': unknown authentication",
		  "(did you mean 'eap-tls'?)" },
		{ "ppp:\n  eap_tls:\n    tls_versions: [tls1.0, tls1.2]\n",
		  "t.yaml:3:19: key 'ppp.eap_tls.tls_versions': versions must be contiguous",
		  "without TLS 1.1" },
		{ "ppp:\n  eap_tls:\n    tls_version: [tls1.2]\n", "t.yaml:3:5: key 'ppp.eap_tls.tls_version'",
		  "(did you mean 'tls_versions'?)" },
		{ "ppp:\n  auth_retries: 11\n",
		  "t.yaml:2:17: key 'ppp.auth_retries': 11 is out of range 1..10", NULL },
		{ "ppp:\n  auth_retries: 0\n",
		  "t.yaml:2:17: key 'ppp.auth_retries': 0 is out of range 1..10", NULL },
		{ "ppp:\n  mru: 127\n", "t.yaml:2:8: key 'ppp.mru': 127 is out of range 128..4091",
		  NULL },
		{ "ppp:\n  mru: 4092\n", "t.yaml:2:8: key 'ppp.mru': 4092 is out of range 128..4091",
		  NULL },
		{ "ppp:\n  users: {name: a, password: b}\n",
		  "t.yaml:2:10: key 'ppp.users': expected a list, got a mapping", NULL },
		{ "ppp:\n  users:\n    - alice\n",
		  "t.yaml:3:7: key 'ppp.users': expected a mapping, got a scalar", NULL },
		{ "ppp:\n  users:\n    - name: alice\n",
		  "t.yaml:3:7: key 'ppp.users': missing 'password' (each item needs name and password)",
		  NULL },
		{ "ppp:\n  users:\n    - name: alice\n      pasword: x\n",
		  "t.yaml:4:7: key 'ppp.users.pasword': unknown key 'pasword'",
		  "(did you mean 'password'?)" },
		{ "ppp:\n  users:\n    - name: alice\n      password:\n",
		  "t.yaml:4:15: key 'ppp.users.password': missing value", NULL },
		{ "ppp:\n  users:\n    - {name: 'DOM\\ain\\alice', password: x}\n",
		  "t.yaml:3:14: key 'ppp.users.name': 'DOM\\ain\\alice': character 4 is not allowed",
		  "DOMAIN\\ prefix" },
		{ "ppp:\n  users:\n    - {name: \"\", password: x}\n",
		  "t.yaml:3:14: key 'ppp.users.name': user name must be 1..63 characters, not 0", NULL },
		{ "ppp:\n  users:\n    - {name: \" bob\", password: x}\n",
		  "t.yaml:3:14: key 'ppp.users.name': ' bob': a user name must not start or end", NULL },
		{ "ppp:\n  users:\n    - {name: \"tab\\there\", password: x}\n",
		  "t.yaml:3:14: key 'ppp.users.name': 'tab\there': character 4 is not allowed", NULL },
		{ "ppp:\n  users:\n    - {name: alice, password: \"caf\\u00e9\"}\n",
		  "t.yaml:3:31: key 'ppp.users.password': password of 'alice': character 4 is not "
		  "printable ASCII", NULL },
		{ "ppp:\n  users:\n    - {name: Alice, password: a}\n    - {name: aLICE, password: b}\n",
		  "t.yaml:4:14: key 'ppp.users.name': user 'aLICE' is listed twice "
		  "(names are case-insensitive; also as 'Alice')", NULL },
		{ "ppp:\n  client_roots: [selfsigned-gateway]\n",
		  "t.yaml:2:18: key 'ppp.client_roots': chain profile 'selfsigned-gateway' is a gateway "
		  "chain (purpose: server)", NULL },
		{ "ppp:\n  client_roots: [p2s-client-rot]\n",
		  "t.yaml:2:18: key 'ppp.client_roots': chain profile 'p2s-client-rot' not found",
		  "(did you mean 'p2s-client-root'?)" },
		{ "ppp:\n  client_roots: [p2s-client-root, p2s-client-root]\n",
		  "t.yaml:2:35: key 'ppp.client_roots': 'p2s-client-root' is listed twice", NULL },
		{ "ppp:\n  auth: [mschapv2, eap-tls]\n  client_roots: []\n",
		  "t.yaml:3:17: key 'ppp.client_roots': no client roots, but ppp.auth offers eap-tls",
		  NULL },
		{ "ppp:\n  revoked_thumbprints: [\"12:34\"]\n",
		  "t.yaml:2:25: key 'ppp.revoked_thumbprints': '12:34' is not a SHA-1 thumbprint: "
		  "4 hex digits, expected 40", NULL },
		{ "ppp:\n  revoked_thumbprints: [a9f3c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f9a0g]\n",
		  "t.yaml:2:25: key 'ppp.revoked_thumbprints': 'a9f3c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f9a0g'"
		  " is not a SHA-1 thumbprint", "character 40 is not a hex digit" },
		/* network */
		{ "network:\n  client_pool: 172.16.201.5/24\n",
		  "t.yaml:2:16: key 'network.client_pool': '172.16.201.5/24' has host bits set "
		  "(did you mean '172.16.201.0/24'?)", NULL },
		{ "network:\n  client_pool: 172.16.201.0/31\n",
		  "t.yaml:2:16: key 'network.client_pool': prefix length /31 of '172.16.201.0/31' is "
		  "out of range 8..30", NULL },
		{ "network:\n  client_pool: 10.0.0.0/7\n",
		  "t.yaml:2:16: key 'network.client_pool': prefix length /7", "out of range 8..30" },
		{ "network:\n  client_pool: 172.16.201.0\n",
		  "t.yaml:2:16: key 'network.client_pool': '172.16.201.0' is not an IPv4 network", NULL },
		{ "network:\n  client_pool: 172.16.201.0/024\n",
		  "t.yaml:2:16: key 'network.client_pool': '172.16.201.0/024' has no valid prefix", NULL },
		{ "network:\n  client_pool: 172.016.201.0/24\n",
		  "t.yaml:2:16: key 'network.client_pool': '172.016.201.0' is not an IPv4 address", NULL },
		{ "network:\n  client_pool: 127.0.0.0/8\n",
		  "t.yaml:2:16: key 'network.client_pool': 127.0.0.0 is a loopback address", NULL },
		{ "network:\n  client_pool: 10.1.128.0/24\n",
		  "t.yaml:2:16: key 'network.client_pool': 10.1.128.0/24 overlaps network.vnet route "
		  "10.1.0.0/16", NULL },
		{ "network:\n  vnet: [10.2.0.0/16, 172.16.0.0/12]\n"
		  "  hosts: [{name: a.lab, address: 10.2.0.4}]\n",
		  "t.yaml:2:23: key 'network.vnet': 172.16.0.0/12 overlaps network.client_pool "
		  "172.16.201.0/24", NULL },
		{ "network:\n  client_pool: 172.16.0.0/16\n  vnet: [172.16.5.0/24]\n",
		  "t.yaml:2:16: key 'network.client_pool': 172.16.0.0/16 overlaps network.vnet route "
		  "172.16.5.0/24", NULL },
		{ "network:\n  vnet: [10.1.0.0/16, 10.1.5.0/24]\n",
		  "t.yaml:2:23: key 'network.vnet': 10.1.5.0/24 overlaps 10.1.0.0/16", NULL },
		{ "network:\n  vnet: [10.1.0.1/16]\n",
		  "t.yaml:2:10: key 'network.vnet': '10.1.0.1/16' has host bits set "
		  "(did you mean '10.1.0.0/16'?)", NULL },
		{ "network:\n  vnet: [1.0.0.0/8, 2.0.0.0/8, 3.0.0.0/8, 4.0.0.0/8, 5.0.0.0/8, "
		  "6.0.0.0/8, 7.0.0.0/8, 8.0.0.0/8, 9.0.0.0/8]\n",
		  "t.yaml:2:98: key 'network.vnet': more than 8 routes", NULL },
		{ "network:\n  gateway_address: 172.16.200.1\n",
		  "t.yaml:2:20: key 'network.gateway_address': 172.16.200.1 is not inside "
		  "network.client_pool 172.16.201.0/24", NULL },
		{ "network:\n  gateway_address: 172.16.201.255\n",
		  "t.yaml:2:20: key 'network.gateway_address': 172.16.201.255 is the broadcast address",
		  NULL },
		{ "network:\n  gateway_address: 172.16.201.0\n",
		  "t.yaml:2:20: key 'network.gateway_address': 172.16.201.0 is the network address",
		  NULL },
		{ "network:\n  gateway_address: 172.16.201.256\n",
		  "t.yaml:2:20: key 'network.gateway_address': '172.16.201.256' is not an IPv4 address",
		  NULL },
		{ "network:\n  dns_servers: [10.1.0.4, 10.1.0.5, 10.1.0.6]\n",
		  "t.yaml:2:37: key 'network.dns_servers': at most 2 DNS servers", NULL },
		{ "network:\n  dns_servers: [10.1.0.4, 10.1.0.4]\n",
		  "t.yaml:2:27: key 'network.dns_servers': 10.1.0.4 is listed twice", NULL },
		{ "network:\n  dns_servers: [224.0.0.251]\n",
		  "t.yaml:2:17: key 'network.dns_servers': 224.0.0.251 is a multicast", NULL },
		{ "network:\n  hosts:\n    - {name: vm1.lab.internal, address: 10.2.0.4}\n",
		  "t.yaml:3:41: key 'network.hosts.address': 10.2.0.4 (vm1.lab.internal) is neither "
		  "inside a network.vnet route nor the gateway address 172.16.201.1", NULL },
		{ "network:\n  hosts:\n    - {name: -vm1.lab, address: 10.1.0.4}\n",
		  "t.yaml:3:14: key 'network.hosts.name': '-vm1.lab' is not an RFC 1123 host name",
		  NULL },
		{ "network:\n  hosts:\n    - {name: a.lab, address: 10.1.0.4}\n"
		  "    - {name: A.Lab, address: 10.1.0.5}\n",
		  "t.yaml:4:14: key 'network.hosts.name': host 'A.Lab' is listed twice", NULL },
		{ "network:\n  hosts:\n    - {name: a.lab, adress: 10.1.0.4}\n",
		  "t.yaml:3:21: key 'network.hosts.adress': unknown key 'adress'",
		  "(did you mean 'address'?)" },
		{ "network:\n  hosts:\n    - {address: 10.1.0.4}\n",
		  "t.yaml:3:7: key 'network.hosts': missing 'name'", NULL },
		{ "network:\n  hosts:\n    - {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,"
		  " address: 10.1.0.4}\n",
		  "t.yaml:3:14: key 'network.hosts.name': host name too long (68 characters, at most 63)",
		  NULL },
		/* the default host no longer fits a changed vnet */
		{ "network:\n  vnet: [192.168.0.0/16]\n",
		  "t.yaml: key 'network.hosts.address' (default): 10.1.0.4 (vm1.lab.internal) is "
		  "neither inside", "set network.hosts to match network.vnet" },
		{ "network:\n  udp_echo_port: 65536\n",
		  "t.yaml:2:18: key 'network.udp_echo_port': 65536 is out of range 0..65535", NULL },
		{ "network:\n  udp_echo_port: -1\n",
		  "t.yaml:2:18: key 'network.udp_echo_port': '-1' is not a whole number", NULL },
		{ "network: {client_pool: [10.0.0.0/8]}\n",
		  "t.yaml:1:24: key 'network.client_pool': expected a single value, got a list", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].yaml, cases[i].want, cases[i].also);
}

static void
test_section_values(void **state)
{
	struct scenario sc;

	expect_ok("sstp:\n  hash_protocols: [SHA256]\n  negotiation_timeout: 1s\n"
	    "  hello_interval: 1h\n  max_sessions: 100000\n  at_limit: reset\n"
	    "  throughput: 650Mbit\n"
	    "ppp:\n  auth: [eap-tls, mschapv2]\n  auth_retries: 10\n  mru: 128\n"
	    "  users:\n    - name: alice\n      password: \"P2S-lab-password\"\n"
	    "    - {name: 'Bob Smith', password: \"\"}\n"
	    "  client_roots: [p2s-client-root]\n"
	    "  revoked_thumbprints:\n"
	    "    - \"A9:F3:C1:D2:E4:B5:A6:97:8C:0D:1E:2F:3A:4B:5C:6D:7E:8F:9A:0B\"\n"
	    "    - \"\\u200ea9 f3 c1 d2 e4 b5 a6 97 8c 0d 1e 2f 3a 4b 5c 6d 7e 8f 9a 0b\"\n"
	    "    - 0123456789abcdef0123456789ABCDEF01234567\n"
	    "network:\n  client_pool: 10.250.0.0/16\n  dns_servers: [10.1.0.4, 8.8.8.8]\n"
	    "  vnet: [10.1.0.0/16, 192.168.10.0/24]\n"
	    "  hosts:\n    - {name: vm1.lab.internal, address: 10.1.0.4}\n"
	    "    - {name: db.lab.internal, address: 192.168.10.20}\n"
	    "    - {name: gw.lab.internal, address: 10.250.0.1}\n"
	    "  udp_echo_port: 0\n", &sc);
	assert_int_equal(sc.sstp_hash_bitmask, 2);
	assert_int_equal(sc.sstp_negotiation_timeout_ms, 1000);
	assert_int_equal(sc.sstp_hello_interval_ms, 3600000);
	assert_int_equal(sc.sstp_max_sessions, 100000);
	assert_int_equal(sc.sstp_limit_action, SC_LIMIT_RESET);
	assert_int_equal(sc.throughput_bps, 650000000 / 8);
	assert_int_equal(sc.n_ppp_auth, 2);
	assert_int_equal(sc.ppp_auth[0], SC_AUTH_EAP_TLS);
	assert_int_equal(sc.ppp_auth[1], SC_AUTH_MSCHAPV2);
	assert_int_equal(sc.ppp_auth_retries, 10);
	assert_int_equal(sc.ppp_mru, 128);
	assert_int_equal(sc.n_users, 2);
	assert_string_equal(sc.users[0].name, "alice");
	assert_string_equal(sc.users[0].password, "P2S-lab-password");
	assert_string_equal(sc.users[1].name, "Bob Smith");
	assert_string_equal(sc.users[1].password, "");
	assert_int_equal(sc.n_client_roots, 1);
	/* the two spellings of one thumbprint count once */
	assert_int_equal(sc.n_revoked, 2);
	static const uint8_t t0[20] = { 0xa9, 0xf3, 0xc1, 0xd2, 0xe4, 0xb5, 0xa6, 0x97, 0x8c, 0x0d,
	                                0x1e, 0x2f, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x9a, 0x0b };
	assert_memory_equal(sc.revoked[0], t0, 20);
	assert_int_equal(sc.revoked[1][0], 0x01);
	assert_int_equal(sc.revoked[1][19], 0x67);
	assert_int_equal(sc.pool_net, 0x0afa0000);
	assert_int_equal(sc.pool_prefix, 16);
	assert_int_equal(sc.gateway_ip, 0x0afa0001); /* follows the pool */
	assert_int_equal(sc.n_dns, 2);
	assert_int_equal(sc.dns[1], 0x08080808);
	assert_int_equal(sc.n_vnet, 2);
	assert_int_equal(sc.vnet[1].net, 0xc0a80a00);
	assert_int_equal(sc.vnet[1].prefix, 24);
	assert_int_equal(sc.n_hosts, 3);
	assert_string_equal(sc.hosts[1].name, "db.lab.internal");
	assert_int_equal(sc.hosts[1].addr, 0xc0a80a14);
	assert_int_equal(sc.udp_echo_port, 0);

	/* an explicit gateway address anywhere in the pool */
	expect_ok("network:\n  client_pool: 172.16.201.0/24\n  gateway_address: 172.16.201.254\n",
	    &sc);
	assert_int_equal(sc.gateway_ip, 0xac10c9fe);

	/* rates */
	static const struct {
		const char *text;
		uint64_t bps;
	} rates[] = {
		{ "0", 0 }, { "100Mbit", 12500000 }, { "1Gbit", 125000000 },
		{ "1.25Gbit", 156250000 }, { "500kbit", 62500 }, { "10MB", 10000000 },
		{ "10MB/s", 10000000 }, { "1kbit", 125 }, { "100Gbit", 12500000000ull },
		{ "12.5GB", 12500000000ull }, { "2mbit", 250000 }, { "3kB", 3000 },
	};
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		char yaml[128];
		snprintf(yaml, sizeof(yaml), "sstp:\n  throughput: %s\n", rates[i].text);
		expect_ok(yaml, &sc);
		if (sc.throughput_bps != rates[i].bps)
			fail_msg("%s: %ju, expected %ju", rates[i].text, (uintmax_t)sc.throughput_bps,
			    (uintmax_t)rates[i].bps);
	}

	/* lists that may be empty */
	expect_ok("ppp:\n  users: []\n  revoked_thumbprints: []\n  client_roots: []\n"
	    "network:\n  dns_servers: []\n  vnet: []\n  hosts: []\n", &sc);
	assert_int_equal(sc.n_users, 0);
	assert_int_equal(sc.n_client_roots, 0);
	assert_int_equal(sc.n_dns, 0);
	assert_int_equal(sc.n_vnet, 0);
	assert_int_equal(sc.n_hosts, 0);
	/* a host may be the gateway itself without any vnet */
	expect_ok("network:\n  vnet: []\n  hosts: [{name: gw, address: 172.16.201.1}]\n", &sc);

	/* user and list caps */
	char *buf = malloc(16384);
	size_t o = (size_t)snprintf(buf, 16384, "ppp:\n  users:\n");
	for (int i = 0; i < SC_MAX_USERS; i++)
		o += (size_t)snprintf(buf + o, 16384 - o, "    - {name: u%d, password: p}\n", i);
	expect_ok(buf, &sc);
	assert_int_equal(sc.n_users, SC_MAX_USERS);
	(void)snprintf(buf + o, 16384 - o, "    - {name: one-more, password: p}\n");
	expect_error(buf, "t.yaml:3:5: key 'ppp.users': too many users (33, at most 32)", NULL);
	o = (size_t)snprintf(buf, 16384, "ppp:\n  client_roots: [");
	for (int i = 0; i < SC_MAX_CLIENT_ROOTS; i++)
		o += (size_t)snprintf(buf + o, 16384 - o, "p2s-client-root, ");
	(void)snprintf(buf + o, 16384 - o, "p2s-client-root]\n");
	expect_error(buf, "t.yaml:2:17: key 'ppp.client_roots': too many client roots (21, at most "
	    "20, as on Azure)", NULL);
	o = (size_t)snprintf(buf, 16384, "ppp:\n  revoked_thumbprints:\n");
	for (int i = 0; i <= SC_MAX_REVOKED; i++)
		o += (size_t)snprintf(buf + o, 16384 - o, "    - %040x\n", i);
	expect_error(buf, "t.yaml:67:7: key 'ppp.revoked_thumbprints': more than 64 thumbprints",
	    NULL);
	o = (size_t)snprintf(buf, 16384, "network:\n  hosts:\n");
	for (int i = 0; i <= SC_MAX_HOSTS; i++)
		o += (size_t)snprintf(buf + o, 16384 - o, "    - {name: h%d, address: 10.1.0.%d}\n",
		    i, i + 1);
	expect_error(buf, "t.yaml:3:5: key 'network.hosts': too many hosts (33, at most 32)", NULL);
	free(buf);
}

/* The gateway address default follows the pool across base: and the
 * environment; an explicit one does not. */
static void
test_gateway_default(void **state)
{
	struct scenario sc;
	char dir[] = "/tmp/p2sgw-test-XXXXXX", path[1024];
	static const struct {
		const char *file, *text;
	} files[] = {
		{ "pool-base.yaml", "network:\n  client_pool: 10.20.0.0/16\n" },
		{ "pool-child.yaml", "base: pool-base\nnetwork:\n  dns_servers: [10.1.0.4]\n" },
		{ "gw-base.yaml", "network:\n  client_pool: 10.20.0.0/16\n"
		  "  gateway_address: 10.20.0.10\n" },
		{ "gw-child.yaml", "base: gw-base\nnetwork:\n  client_pool: 10.30.0.0/16\n" },
		{ "gw-child-ok.yaml", "base: gw-base\nnetwork:\n  gateway_address: 10.20.255.254\n" },
	};

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(files[i].text, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/pool-child.yaml", dir);
	if (scenario_load(path, false, &sc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(sc.pool_net, 0x0a140000);
	assert_int_equal(sc.gateway_ip, 0x0a140001);

	/* the base's explicit gateway stays, and no longer fits the child's pool */
	snprintf(path, sizeof(path), "%s/gw-child.yaml", dir);
	assert_int_equal(scenario_load(path, false, &sc, err, sizeof(err)), -1);
	if (strstr(err, "/gw-base.yaml:3:20: key 'network.gateway_address': 10.20.0.10 is not "
	        "inside network.client_pool 10.30.0.0/16") == NULL)
		fail_msg("%s", err);
	snprintf(path, sizeof(path), "%s/gw-child-ok.yaml", dir);
	if (scenario_load(path, false, &sc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(sc.gateway_ip, 0x0a14fffe);

	/* the environment: a new pool moves the default gateway too */
	setenv("P2SGW_NETWORK_CLIENT_POOL", "192.168.77.0/24", 1);
	snprintf(path, sizeof(path), "%s/pool-child.yaml", dir);
	int rc = scenario_load(path, true, &sc, err, sizeof(err));
	unsetenv("P2SGW_NETWORK_CLIENT_POOL");
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(sc.gateway_ip, 0xc0a84d01);

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
		unlink(path);
	}
	rmdir(dir);
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
	assert_int_equal(sc.refuse_version.kind, TLS_REFUSE_ALERT);
	assert_int_equal(sc.refuse_version.alert, 70);
	assert_int_equal(sc.refuse_cipher.kind, TLS_REFUSE_FIN);
	assert_int_equal(sc.refuse_malformed.kind, TLS_REFUSE_STALL);
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
	expect_ok("tls:\n  refuse:\n    too_large: alert\n", &sc);
	assert_int_equal(sc.refuse_too_large.kind, TLS_REFUSE_ALERT);
	assert_int_equal(sc.refuse_too_large.alert, TLS_ALERT_PER_RFC);
	assert_int_equal(sc.refuse_malformed.kind, TLS_REFUSE_RESET);

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

	/* renew_after: a share, or the time left (the seed's "less than 6 months") */
	expect_ok("certificate:\n  renew_after: 50%\n", &sc);
	assert_int_equal(sc.renew_after_pct, 50);
	assert_int_equal(sc.renew_left, 0);
	expect_ok("certificate:\n  renew_after: 6 months\n", &sc);
	assert_int_equal(sc.renew_after_pct, 0);
	assert_int_equal(sc.renew_left, 6);
	assert_true(sc.renew_left_months);
	expect_ok("certificate:\n  renew_after: 180d\n", &sc);
	assert_int_equal(sc.renew_left, 180);
	assert_false(sc.renew_left_months);
	expect_ok("certificate:\n  renew_after: 1 day\n", &sc);
	assert_int_equal(sc.renew_left, 1);
	expect_ok("certificate:\n  renew_after: \"off\"\n", &sc);
	assert_int_equal(sc.renew_left + sc.renew_after_pct, 0);

	/* the TLS inside EAP-TLS is set apart from the outer one */
	expect_ok("ppp:\n  eap_tls:\n    tls_versions: [tls1.0, tls1.1]\n", &sc);
	assert_int_equal(sc.eap_min_minor, 1);
	assert_int_equal(sc.eap_max_minor, 2);
	assert_int_equal(sc.min_minor, 3);
	expect_ok("name: x\n", &sc);
	assert_int_equal(sc.eap_min_minor, 3);  /* default as azure-2018-tls12 */
	assert_int_equal(sc.eap_max_minor, 3);

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
		"P2SGW_TLS_REFUSE_CIPHER", "P2SGW_TLS_REFUSE_MALFORMED", "P2SGW_TLS_REFUSE_TOO_LARGE", "P2SGW_CERTIFICATE_CHAIN",
		"P2SGW_CERTIFICATE_VARIANT", "P2SGW_CERTIFICATE_KEY", "P2SGW_TLS_VERSOINS",
		"P2SGW_LISTEN", "P2SGW_FOO",
		"P2SGW_SSTP_HASH_PROTOCOLS", "P2SGW_SSTP_NEGOTIATION_TIMEOUT",
		"P2SGW_SSTP_HELLO_INTERVAL", "P2SGW_SSTP_MAX_SESSIONS", "P2SGW_SSTP_AT_LIMIT",
		"P2SGW_SSTP_THROUGHPUT", "P2SGW_PPP_AUTH", "P2SGW_PPP_AUTH_RETRIES", "P2SGW_PPP_MRU",
		"P2SGW_PPP_USERS", "P2SGW_PPP_CLIENT_ROOTS", "P2SGW_PPP_REVOKED_THUMBPRINTS",
		"P2SGW_NETWORK_CLIENT_POOL", "P2SGW_NETWORK_GATEWAY_ADDRESS",
		"P2SGW_NETWORK_DNS_SERVERS", "P2SGW_NETWORK_VNET", "P2SGW_NETWORK_UDP_ECHO_PORT",
		"P2SGW_NETWORK_HOSTS",
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
	assert_int_equal(sc.refuse_version.kind, TLS_REFUSE_ALERT);
	assert_int_equal(sc.refuse_version.alert, 70);
	assert_int_equal(sc.refuse_cipher.kind, TLS_REFUSE_STALL);
	assert_int_equal(sc.refuse_malformed.kind, TLS_REFUSE_FIN);
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
test_env_sections(void **state)
{
	struct scenario sc;

	unset_p2sgw_env();
	setenv("P2SGW_SSTP_HASH_PROTOCOLS", "sha1", 1);
	setenv("P2SGW_SSTP_NEGOTIATION_TIMEOUT", "30s", 1);
	setenv("P2SGW_SSTP_HELLO_INTERVAL", "5m", 1);
	setenv("P2SGW_SSTP_MAX_SESSIONS", "2", 1);
	setenv("P2SGW_SSTP_AT_LIMIT", "reset", 1);
	setenv("P2SGW_SSTP_THROUGHPUT", "100Mbit", 1);
	setenv("P2SGW_PPP_AUTH", "eap-tls", 1);
	setenv("P2SGW_PPP_AUTH_RETRIES", "1", 1);
	setenv("P2SGW_PPP_MRU", "1500", 1);
	setenv("P2SGW_PPP_USERS", "alice:P2S-lab:pass, bob:,carol:c", 1);
	setenv("P2SGW_PPP_CLIENT_ROOTS", "p2s-client-root", 1);
	setenv("P2SGW_PPP_REVOKED_THUMBPRINTS",
	    "a9f3c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f9a0b, 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd "
	    "ef 01 23 45 67", 1);
	setenv("P2SGW_NETWORK_CLIENT_POOL", "192.168.100.0/22", 1);
	setenv("P2SGW_NETWORK_GATEWAY_ADDRESS", "192.168.103.254", 1);
	setenv("P2SGW_NETWORK_DNS_SERVERS", "10.1.0.4,10.1.0.5", 1);
	setenv("P2SGW_NETWORK_VNET", "10.1.0.0/16,10.2.0.0/16", 1);
	setenv("P2SGW_NETWORK_UDP_ECHO_PORT", "7777", 1);
	/* the file is overridden key by key */
	if (load_env("ppp:\n  users: [{name: dave, password: d}]\nnetwork:\n"
	        "  hosts: [{name: vm2.lab, address: 10.2.0.4}]\n", &sc) != 0)
		fail_msg("%s", err);
	unset_p2sgw_env();
	assert_int_equal(sc.sstp_hash_bitmask, 1);
	assert_int_equal(sc.sstp_negotiation_timeout_ms, 30000);
	assert_int_equal(sc.sstp_hello_interval_ms, 300000);
	assert_int_equal(sc.sstp_max_sessions, 2);
	assert_int_equal(sc.sstp_limit_action, SC_LIMIT_RESET);
	assert_int_equal(sc.throughput_bps, 12500000);
	assert_int_equal(sc.n_ppp_auth, 1);
	assert_int_equal(sc.ppp_auth[0], SC_AUTH_EAP_TLS);
	assert_int_equal(sc.ppp_auth_retries, 1);
	assert_int_equal(sc.ppp_mru, 1500);
	assert_int_equal(sc.n_users, 3);
	assert_string_equal(sc.users[0].name, "alice");
	assert_string_equal(sc.users[0].password, "P2S-lab:pass"); /* split at the first ':' */
	assert_string_equal(sc.users[1].name, "bob");
	assert_string_equal(sc.users[1].password, "");
	assert_string_equal(sc.users[2].password, "c");
	assert_int_equal(sc.n_client_roots, 1);
	assert_int_equal(sc.n_revoked, 2);
	assert_int_equal(sc.revoked[1][0], 0x01);
	assert_int_equal(sc.pool_net, 0xc0a86400);
	assert_int_equal(sc.pool_prefix, 22);
	assert_int_equal(sc.gateway_ip, 0xc0a867fe);
	assert_int_equal(sc.n_dns, 2);
	assert_int_equal(sc.dns[1], 0x0a010005);
	assert_int_equal(sc.n_vnet, 2);
	assert_int_equal(sc.n_hosts, 1);
	assert_string_equal(sc.hosts[0].name, "vm2.lab");
	assert_int_equal(sc.udp_echo_port, 7777);

	static const struct {
		const char *var, *val, *want;
	} bad[] = {
		{ "P2SGW_SSTP_HASH_PROTOCOLS", "sha1,md5",
		  "environment P2SGW_SSTP_HASH_PROTOCOLS: unknown SSTP hash protocol 'md5'" },
		{ "P2SGW_SSTP_NEGOTIATION_TIMEOUT", "0",
		  "environment P2SGW_SSTP_NEGOTIATION_TIMEOUT: duration 0 is out of range 1s..10m" },
		{ "P2SGW_SSTP_MAX_SESSIONS", "lots",
		  "environment P2SGW_SSTP_MAX_SESSIONS: 'lots' is not a whole number" },
		{ "P2SGW_SSTP_AT_LIMIT", "503",
		  "environment P2SGW_SSTP_AT_LIMIT: unknown action '503'" },
		{ "P2SGW_SSTP_THROUGHPUT", "fast", "environment P2SGW_SSTP_THROUGHPUT: 'fast' is not a rate" },
		{ "P2SGW_PPP_AUTH", "mschapv2,mschapv2",
		  "environment P2SGW_PPP_AUTH: mschapv2 is listed twice" },
		{ "P2SGW_PPP_MRU", "65536", "environment P2SGW_PPP_MRU: 65536 is out of range 128..4091" },
		{ "P2SGW_PPP_USERS", "alice",
		  "environment P2SGW_PPP_USERS: item 1 is not name:password" },
		{ "P2SGW_PPP_USERS", "alice:a,ALICE:b",
		  "environment P2SGW_PPP_USERS: user 'ALICE' is listed twice" },
		{ "P2SGW_PPP_USERS", ":pw", "environment P2SGW_PPP_USERS: user name must be 1..63" },
		{ "P2SGW_PPP_CLIENT_ROOTS", "digicert-global-root-g2",
		  "environment P2SGW_PPP_CLIENT_ROOTS: chain profile 'digicert-global-root-g2' is a "
		  "gateway chain" },
		{ "P2SGW_PPP_REVOKED_THUMBPRINTS", "abc",
		  "environment P2SGW_PPP_REVOKED_THUMBPRINTS: 'abc' is not a SHA-1 thumbprint" },
		{ "P2SGW_NETWORK_CLIENT_POOL", "10.1.0.0/24",
		  "environment P2SGW_NETWORK_CLIENT_POOL: 10.1.0.0/24 overlaps network.vnet route "
		  "10.1.0.0/16" },
		{ "P2SGW_NETWORK_CLIENT_POOL", "172.16.201.1/24",
		  "environment P2SGW_NETWORK_CLIENT_POOL: '172.16.201.1/24' has host bits set (did you "
		  "mean '172.16.201.0/24'?)" },
		{ "P2SGW_NETWORK_GATEWAY_ADDRESS", "10.1.0.1",
		  "environment P2SGW_NETWORK_GATEWAY_ADDRESS: 10.1.0.1 is not inside "
		  "network.client_pool 172.16.201.0/24" },
		{ "P2SGW_NETWORK_DNS_SERVERS", "1.1.1.1,8.8.8.8,9.9.9.9",
		  "environment P2SGW_NETWORK_DNS_SERVERS: at most 2 DNS servers" },
		{ "P2SGW_NETWORK_VNET", "10.9.0.0/16",
		  "env.yaml: key 'network.hosts.address' (default): 10.1.0.4 (vm1.lab.internal)" },
		{ "P2SGW_NETWORK_VNET", "172.16.0.0/16",
		  "environment P2SGW_NETWORK_VNET: 172.16.0.0/16 overlaps network.client_pool" },
		{ "P2SGW_NETWORK_UDP_ECHO_PORT", "echo",
		  "environment P2SGW_NETWORK_UDP_ECHO_PORT: 'echo' is not a whole number" },
		{ "P2SGW_NETWORK_HOSTS", "a:1.2.3.4",
		  "environment P2SGW_NETWORK_HOSTS: unknown P2SGW_ variable" },
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

	/* eap-tls with the client roots emptied by the file: the check sees both */
	setenv("P2SGW_PPP_AUTH", "mschapv2,eap-tls", 1);
	assert_int_equal(load_env("ppp:\n  client_roots: []\n", &sc), -1);
	unsetenv("P2SGW_PPP_AUTH");
	if (strstr(err, "env.yaml:2:17: key 'ppp.client_roots': no client roots, but ppp.auth "
	        "offers eap-tls") != err)
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
		{ "basic-sku-radius.yaml", "basic-sku-radius.yaml:4:8: key 'gateway.sku': the Basic "
		  "SKU does not support RADIUS authentication" },
		{ "radius-without-servers.yaml", "radius-without-servers.yaml:4:17: key "
		  "'ppp.auth_backend': radius needs radius.servers" },
		{ "radius-servers-local.yaml", "radius-servers-local.yaml:4:5: key 'radius.servers': "
		  "RADIUS servers are set but ppp.auth_backend is local" },
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

/* listeners: and the own policy of an endpoint: resolved against tls.*,
 * every error at its entry. */
static void
test_listeners(void **state)
{
	struct scenario sc;

	expect_ok("tls: {versions: [tls1.2], ciphers: [azure-2024]}\n"
	    "listeners:\n"
	    "  - {port: 8443, name: old, chain: selfsigned-gateway, versions: [tls1.0, tls1.1],\n"
	    "     ciphers: [TLS_RSA_WITH_AES_128_CBC_SHA]}\n"
	    "  - {port: 0, ciphers: [azure-2018]}\n"
	    "  - {port: 0}\n"
	    "certificate:\n"
	    "  endpoints:\n"
	    "    - {sni: a.test, chain: digicert-global-root-ca, versions: [tls1.0, tls1.1, tls1.2]}\n"
	    "    - {sni: b.test, chain: microsoft-ecc-root-2017,\n"
	    "       ciphers: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]}\n", &sc);
	assert_int_equal(sc.n_listeners, 3);
	assert_string_equal(sc.listeners[0].name, "old");
	assert_int_equal(sc.listeners[0].port, 8443);
	assert_true(sc.listeners[0].pol.set);
	assert_int_equal(sc.listeners[0].pol.min_minor, 1);
	assert_int_equal(sc.listeners[0].pol.max_minor, 2);
	assert_int_equal(sc.listeners[0].pol.n_suites, 1);
	assert_int_equal(sc.listeners[0].pol.suites[0], MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA);
	/* what an entry leaves out is tls.*: versions here, everything there */
	assert_string_equal(sc.listeners[1].name, "listener-2");
	assert_int_equal(sc.listeners[1].pol.min_minor, 3);
	assert_true(sc.listeners[1].pol.n_suites > 4);
	assert_false(sc.listeners[2].pol.set);
	assert_string_equal(sc.listeners[2].chain, "");
	/* an endpoint's versions with the scenario's suites fitting them */
	assert_int_equal(sc.endpoints[0].pol.min_minor, 1);
	assert_int_equal(sc.endpoints[0].pol.max_minor, 3);
	assert_int_equal(sc.endpoints[0].pol.n_suites, 4);
	assert_int_equal(sc.n_suites, 4);
	/* the main policy is untouched */
	assert_int_equal(sc.min_minor, 3);

	static const struct { const char *yaml, *want, *also; } bad[] = {
		{ "listeners:\n  - {name: x}\n", "t.yaml:2:5: key 'listeners': each listener needs "
		  "'port'", NULL },
		{ "listeners:\n  - {port: 70000}\n", "t.yaml:2:12: key 'listeners.port': '70000' is "
		  "not a port", NULL },
		{ "listeners:\n  - {port: -1}\n", "t.yaml:2:12: key 'listeners.port': '-1' is not", NULL },
		{ "listeners:\n  - {port: 8443}\n  - {port: 8443}\n", "t.yaml:3:12: key "
		  "'listeners.port': port 8443 twice", NULL },
		{ "listeners:\n  - {port: 0, name: a}\n  - {port: 0, name: a}\n", "t.yaml:3:5: key "
		  "'listeners.name': 'a' twice", NULL },
		{ "listeners:\n  - {port: 0, name: Main}\n", "t.yaml:2:21: key 'listeners.name': "
		  "'Main' is not a listener name", NULL },
		{ "listeners:\n  - {port: 0, name: main}\n", "t.yaml:2:21: key 'listeners.name'",
		  "not 'main'" },
		{ "listeners:\n  - {port: 0, variant: expired}\n", "t.yaml:2:24: key "
		  "'listeners.variant': a variant needs the listener's own chain", NULL },
		{ "listeners:\n  - {port: 0, chain: nope}\n", "t.yaml:2:22: key 'listeners.chain'",
		  NULL },
		{ "listeners:\n  - {port: 0, chain: p2s-client-root}\n", "t.yaml:2:5: key "
		  "'listeners': listener listener-1: 'p2s-client-root' is for client certificates",
		  NULL },
		{ "tls: {ciphers: [azure-2024]}\nlisteners:\n  - {port: 0, chain: microsoft-ecc-root-2017}\n",
		  "t.yaml:3:5: key "
		  "'listeners': listener listener-1: no cipher suite of tls.ciphers fits the EC leaf "
		  "key", NULL },
		{ "listeners:\n  - {port: 0, versions: [tls1.0, tls1.2]}\n", "t.yaml:2:5: key "
		  "'listeners': listener listener-1: key 'tls.versions': versions must be "
		  "contiguous", NULL },
		{ "listeners:\n  - {port: 0, ciphers: [TLS_NOPE]}\n", "t.yaml:2:5: key 'listeners': "
		  "listener listener-1: key 'tls.ciphers': unknown cipher suite", NULL },
		{ "listeners:\n  - {port: 0, versions: [tls9]}\n", "t.yaml:2:25: key "
		  "'listeners.versions': unknown TLS version", NULL },
		{ "listeners:\n  - {port: 0, colour: red}\n", "t.yaml:2:15: key 'listeners.colour': "
		  "unknown key", NULL },
		{ "listeners:\n  - {port: 1}\n  - {port: 2}\n  - {port: 3}\n  - {port: 4}\n"
		  "  - {port: 5}\n", "t.yaml:2:3: key 'listeners': too many listeners (5, at most 4",
		  NULL },
		{ "listeners: 8443\n", "t.yaml:1:12: key 'listeners': expected a list", NULL },
		{ "certificate:\n  endpoints:\n    - {sni: a.test, chain: digicert-global-root-ca,\n"
		  "       versions: [tls1.0], ciphers: [azure-2024]}\n", "t.yaml:3:7: key "
		  "'certificate.endpoints': endpoint a.test: key 'tls.ciphers'", NULL },
		{ "tls: {ciphers: [azure-2024]}\ncertificate:\n  endpoints:\n    - {sni: a.test, chain: "
		  "digicert-global-root-ca, versions: [tls1.0]}\n", "t.yaml:4:7: key "
		  "'certificate.endpoints': endpoint a.test: key 'tls.ciphers'", "no cipher suite is "
		  "usable with TLS 1.0" },
		{ "tls: {ciphers: [azure-2024]}\ncertificate:\n  endpoints:\n    - {sni: a.test, "
		  "chain: microsoft-ecc-root-2017}\n", "t.yaml:4:7: key 'certificate.endpoints': "
		  "endpoint a.test: no cipher suite of tls.ciphers fits the EC leaf key", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].yaml, bad[i].want, bad[i].also);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_scenarios_load),
		cmocka_unit_test(test_defaults_match_default_file),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_section_values),
		cmocka_unit_test(test_gateway_default),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_not_a_regular_file),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_explicit_suites),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_env_sections),
		cmocka_unit_test(test_base_chains),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_listeners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
