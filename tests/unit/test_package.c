/*
 * Client configuration package: a real DigiCert-style chain from
 * pki_ensure() (certs/digicert-global-root-ca.yaml, made once per run in a
 * mkdtemp state directory), packaged in memory and to a file, opened again
 * with libzip and checked field by field against the certificates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <mbedtls/x509_crt.h>

#include "config/scenario.h"
#include "app/package.h"
#include "pki/pki.h"

#define HOST "azuregateway-7d2a1c3e-0b4f-4f8e-9c61-2f1b5a0d9e77.vpn.azure.com"
#define GWID "7d2a1c3e-0b4f-4f8e-9c61-2f1b5a0d9e77"
#define T0   ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

struct fixture {
	char               dir[64];
	char               err[1024];
	struct pki_chain   chain;
	struct scenario    sc;
	mbedtls_x509_crt   root;
	unsigned char     *root_pem;
	size_t             root_pem_len;
};

static const char *const expected_names[] = {
	"README.txt",
	"Generic/VpnSettings.xml",
	"Generic/VpnServerRoot.cer",
	"Linux/sstpc/README.txt",
	"Linux/sstpc/ca.pem",
	"Linux/sstpc/p2sgw-peer",
	"Windows/README.txt",
	"Windows/p2sgw-vpn.ps1",
};
#define N_NAMES (sizeof(expected_names) / sizeof(expected_names[0]))

/* ---- helpers ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	unsigned char *buf;
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct pki_profile prof;
	struct pki_leaf_request req = { 0 };

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/p2sgw-test-package-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	if (profile_load_by_name("digicert-global-root-ca", &prof, fx->err, sizeof(fx->err)) != 0) {
		fprintf(stderr, "profile: %s\n", fx->err);
		return -1;
	}
	req.hostname = HOST;
	req.variant = PKI_VARIANT_VALID;
	req.clock = time(NULL);
	pki_chain_init(&fx->chain);
	if (pki_ensure(fx->dir, &prof, &req, &fx->chain, fx->err, sizeof(fx->err)) != 0) {
		fprintf(stderr, "pki_ensure: %s\n", fx->err);
		return -1;
	}
	mbedtls_x509_crt_init(&fx->root);
	if (mbedtls_x509_crt_parse_file(&fx->root, fx->chain.root_path) != 0 ||
	    (fx->root_pem = slurp(fx->chain.root_path, &fx->root_pem_len)) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx == NULL)
		return 0;
	pki_chain_free(&fx->chain);
	mbedtls_x509_crt_free(&fx->root);
	free(fx->root_pem);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Each test starts from the default scenario with our host name. */
static int
setup(void **state)
{
	struct fixture *fx = *state;

	scenario_defaults(&fx->sc);
	snprintf(fx->sc.hostname, sizeof(fx->sc.hostname), "%s", HOST);
	snprintf(fx->sc.name, sizeof(fx->sc.name), "vnet-lab");
	fx->err[0] = '\0';
	return 0;
}

static struct package_input
input(struct fixture *fx)
{
	struct package_input in = {
		.sc = &fx->sc, .chain = &fx->chain, .gateway_id = GWID, .generated = T0,
	};
	return in;
}

static unsigned char *
make_mem(struct fixture *fx, size_t *len)
{
	struct package_input in = input(fx);
	unsigned char *buf = NULL;

	*len = 0;
	if (package_write_mem(&in, &buf, len, fx->err, sizeof(fx->err)) != 0)
		fail_msg("package_write_mem: %s", fx->err);
	assert_non_null(buf);
	assert_true(*len > 0);
	return buf;
}

static zip_t *
zip_from_mem(const unsigned char *buf, size_t len)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;

	zip_error_init(&ze);
	src = zip_source_buffer_create(buf, len, 0, &ze);
	assert_non_null(src);
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (za == NULL)
		fail_msg("zip_open_from_source: %s", zip_error_strerror(&ze));
	zip_error_fini(&ze);
	return za;
}

/* An entry's bytes, NUL-terminated; NULL when absent. */
static char *
zip_entry(zip_t *za, const char *name, size_t *len)
{
	zip_stat_t st;
	zip_file_t *zf;
	char *buf;

	if (zip_stat(za, name, 0, &st) != 0)
		return NULL;
	assert_true(st.valid & ZIP_STAT_SIZE);
	buf = malloc(st.size + 1);
	assert_non_null(buf);
	zf = zip_fopen(za, name, 0);
	assert_non_null(zf);
	assert_int_equal(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
	zip_fclose(zf);
	buf[st.size] = '\0';
	if (len != NULL)
		*len = st.size;
	return buf;
}

/* Text between <tag> and </tag> (malloc'd); "" for <tag />; NULL when absent. */
static char *
xml_field(const char *xml, const char *tag)
{
	char open[64], close[64], empty[64];
	const char *a, *b;
	char *v;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	snprintf(empty, sizeof(empty), "<%s />", tag);
	if (strstr(xml, empty) != NULL)
		return strdup("");
	if ((a = strstr(xml, open)) == NULL || (b = strstr(a, close)) == NULL)
		return NULL;
	a += strlen(open);
	v = strndup(a, (size_t)(b - a));
	assert_non_null(v);
	return v;
}

static void
assert_field(const char *xml, const char *tag, const char *want)
{
	char *v = xml_field(xml, tag);

	if (v == NULL)
		fail_msg("no <%s> in VpnSettings.xml", tag);
	if (strcmp(v, want) != 0)
		fail_msg("<%s> is '%s', want '%s'", tag, v, want);
	free(v);
}

static char *
entry_of(struct fixture *fx, const char *name) /* build the package, one entry (caller frees) */
{
	unsigned char *buf;
	size_t len;
	zip_t *za;
	char *text;

	buf = make_mem(fx, &len);
	za = zip_from_mem(buf, len);
	text = zip_entry(za, name, NULL);
	assert_non_null(text);
	zip_discard(za);
	free(buf);
	return text;
}

/* Build the package and return its VpnSettings.xml (caller frees). */
static char *
settings_of(struct fixture *fx)
{
	return entry_of(fx, "Generic/VpnSettings.xml");
}

/* ---- tests ---- */

static void
test_layout(void **state)
{
	struct fixture *fx = *state;
	unsigned char *buf;
	size_t len, i;
	zip_t *za;

	buf = make_mem(fx, &len);
	za = zip_from_mem(buf, len);
	assert_int_equal(zip_get_num_entries(za, 0), (zip_int64_t)N_NAMES);
	for (i = 0; i < N_NAMES; i++)
		assert_string_equal(zip_get_name(za, i, 0), expected_names[i]);
	zip_discard(za);
	free(buf);
}

static void
test_settings_fields(void **state)
{
	struct fixture *fx = *state;
	unsigned char der[4096];
	size_t dlen = 0;
	char *xml, *b64;

	xml = settings_of(fx);
	assert_true(strncmp(xml, "<?xml version=\"1.0\"?>\n<VpnProfile ", 34) == 0);
	assert_non_null(strstr(xml, "</VpnProfile>\n"));
	assert_field(xml, "VpnServer", HOST);
	assert_field(xml, "VpnType", "SSTP");
	assert_field(xml, "Routes", "10.1.0.0/16");
	assert_field(xml, "Auth", "EAPMSCHAPv2");
	assert_field(xml, "VnetName", "vnet-lab");
	assert_field(xml, "VnetId", GWID);
	assert_field(xml, "ServerCertRootCn", "DigiCert Global Root CA");
	/* the root's CN in both, as the 2019 notice shows for a migrated gateway */
	assert_field(xml, "ServerCertIssuerCn", "DigiCert Global Root CA");
	assert_field(xml, "VpnClientAddressPool", "172.16.201.0/24");
	assert_field(xml, "CustomDnsServers", "10.1.0.4");
	assert_field(xml, "AadIssuer", "");
	assert_field(xml, "AadTenant", "");
	assert_field(xml, "AadAudience", "");

	b64 = xml_field(xml, "CaCert");
	assert_non_null(b64);
	assert_int_equal(mbedtls_base64_decode(der, sizeof(der), &dlen,
	    (const unsigned char *)b64, strlen(b64)), 0);
	assert_int_equal(dlen, fx->root.raw.len);
	assert_memory_equal(der, fx->root.raw.p, dlen);
	free(b64);
	free(xml);
}

static void
test_routes_dns_auth(void **state)
{
	struct fixture *fx = *state;
	char *xml;

	fx->sc.vnet[1].net = 0x0a020000;   /* 10.2.0.0/24 */
	fx->sc.vnet[1].prefix = 24;
	fx->sc.n_vnet = 2;
	fx->sc.dns[1] = 0x08080808;
	fx->sc.n_dns = 2;
	fx->sc.ppp_auth[0] = SC_AUTH_EAP_TLS;
	fx->sc.ppp_auth[1] = SC_AUTH_MSCHAPV2;
	fx->sc.n_ppp_auth = 2;
	fx->sc.pool_net = 0xc0a86400;      /* 192.168.100.0/22 */
	fx->sc.pool_prefix = 22;
	xml = settings_of(fx);
	assert_field(xml, "Routes", "10.1.0.0/16,10.2.0.0/24");
	assert_field(xml, "CustomDnsServers", "10.1.0.4,8.8.8.8");
	assert_field(xml, "Auth", "EAPTLS");
	assert_field(xml, "VpnClientAddressPool", "192.168.100.0/22");
	free(xml);

	fx->sc.n_vnet = 0;
	fx->sc.n_dns = 0;
	xml = settings_of(fx);
	assert_non_null(strstr(xml, "  <Routes />\n"));
	assert_non_null(strstr(xml, "  <CustomDnsServers />\n"));
	free(xml);
}

static void
test_root_files(void **state)
{
	struct fixture *fx = *state;
	unsigned char *buf;
	size_t len, n;
	char *cer, *pem;
	zip_t *za;

	buf = make_mem(fx, &len);
	za = zip_from_mem(buf, len);
	cer = zip_entry(za, "Generic/VpnServerRoot.cer", &n);
	assert_non_null(cer);
	assert_int_equal(n, fx->root.raw.len);               /* DER, not PEM */
	assert_memory_equal(cer, fx->root.raw.p, n);
	pem = zip_entry(za, "Linux/sstpc/ca.pem", &n);
	assert_non_null(pem);
	assert_int_equal(n, fx->root_pem_len);               /* byte-equal to root.crt */
	assert_memory_equal(pem, fx->root_pem, n);
	free(cer);
	free(pem);
	zip_discard(za);
	free(buf);
}

static void
test_readmes_and_peer(void **state)
{
	struct fixture *fx = *state;
	unsigned char sha1[20], *buf;
	char hex[41], line[512], *readme, *peer, *lreadme;
	size_t len, i;
	zip_t *za;

	assert_int_equal(mbedtls_sha1_ret(fx->root.raw.p, fx->root.raw.len, sha1), 0);
	for (i = 0; i < sizeof(sha1); i++)
		snprintf(hex + 2 * i, 3, "%02X", sha1[i]);

	buf = make_mem(fx, &len);
	za = zip_from_mem(buf, len);
	readme = zip_entry(za, "README.txt", NULL);
	peer = zip_entry(za, "Linux/sstpc/p2sgw-peer", NULL);
	lreadme = zip_entry(za, "Linux/sstpc/README.txt", NULL);
	assert_non_null(readme);
	assert_non_null(peer);
	assert_non_null(lreadme);

	snprintf(line, sizeof(line), "Root SHA-1:      %s\n", hex);
	assert_non_null(strstr(readme, line));
	snprintf(line, sizeof(line), "Root CA:         %s\n", fx->chain.root_subject);
	assert_non_null(strstr(readme, line));
	assert_non_null(strstr(readme, "Gateway:         " HOST " "));
	assert_non_null(strstr(readme, "Generated:       2023-11-14T22:13:20Z\n"));

	assert_non_null(strstr(peer, "\npty \"sstpc --ipparam p2sgw --nolaunchpppd --tls-ext "
	    "--ca-cert /etc/ppp/p2sgw-ca.pem --log-stderr " HOST ":443\"\n"));
	assert_non_null(strstr(peer, "\nname p2s-user\n"));
	assert_non_null(strstr(peer, "\nplugin sstp-pppd-plugin.so\n"));
	assert_non_null(strstr(peer, "\nsstp-sock /var/run/sstpc/sstpc-p2sgw\n"));
	assert_non_null(strstr(peer, "\nrefuse-eap\n"));
	assert_null(strstr(peer, "refuse-mschap-v2"));

	assert_non_null(strstr(lreadme, "sudo sstpc --ca-cert ca.pem --tls-ext --log-stderr "
	    "--user 'p2s-user' --password 'PASSWORD' " HOST " -- noauth refuse-eap refuse-pap "
	    "refuse-chap refuse-mschap nobsdcomp nodeflate usepeerdns\n"));
	assert_non_null(strstr(lreadme, "sudo pppd call p2sgw-peer"));

	free(readme);
	free(peer);
	free(lreadme);
	zip_discard(za);
	free(buf);
}

static void
test_peer_eap_tls(void **state)
{
	struct fixture *fx = *state;
	char *peer;

	fx->sc.ppp_auth[0] = SC_AUTH_EAP_TLS;
	fx->sc.n_ppp_auth = 1;
	peer = entry_of(fx, "Linux/sstpc/p2sgw-peer");
	assert_non_null(strstr(peer, "\nrefuse-mschap-v2\n"));
	assert_non_null(strstr(peer, "\ncert /etc/ppp/p2sgw-client.crt\n"));
	assert_null(strstr(peer, "refuse-eap"));
	free(peer);
}

/* The Windows script: values as single-quoted PowerShell literals, the
 * authentication of the gateway, a route per VNet prefix. */
static void
test_windows_script(void **state)
{
	struct fixture *fx = *state;
	char *ps;

	snprintf(fx->sc.name, sizeof(fx->sc.name), "it's $(calc) `n");
	ps = entry_of(fx, "Windows/p2sgw-vpn.ps1");
	assert_non_null(strstr(ps, "\n$Name = 'it''s $(calc) `n'\n"));
	assert_non_null(strstr(ps, "\n$Server = '" HOST "'\n"));
	assert_non_null(strstr(ps, "-TunnelType Sstp -EncryptionLevel Required "
	    "-AuthenticationMethod MSChapv2 -SplitTunneling"));
	assert_non_null(strstr(ps, "\nAdd-VpnConnectionRoute -ConnectionName $Name "
	    "-DestinationPrefix '10.1.0.0/16'\n"));
	assert_null(strstr(ps, "New-EapConfiguration"));
	free(ps);

	fx->sc.ppp_auth[0] = SC_AUTH_EAP_TLS;
	fx->sc.n_ppp_auth = 1;
	ps = entry_of(fx, "Windows/p2sgw-vpn.ps1");
	assert_non_null(strstr(ps, "\n$Eap = New-EapConfiguration -Tls -VerifyServerIdentity "
	    "-UserCertificate\n"));
	assert_non_null(strstr(ps, "-AuthenticationMethod Eap -EapConfigXmlStream "
	    "$Eap.EapConfigXmlStream"));
	free(ps);
}

static void
test_xml_escaping(void **state)
{
	struct fixture *fx = *state;
	char *xml;

	snprintf(fx->sc.name, sizeof(fx->sc.name), "a<&>\"'b");
	xml = settings_of(fx);
	assert_field(xml, "VnetName", "a&lt;&amp;&gt;&quot;&apos;b");
	assert_null(strstr(xml, "<&"));
	assert_null(strstr(xml, "\"'"));
	free(xml);
}

static void
test_bad_inputs(void **state)
{
	struct fixture *fx = *state;
	struct package_input in = input(fx);
	unsigned char *buf = NULL;
	size_t len = 0;

	/* XML 1.0 cannot carry a C0 control. */
	snprintf(fx->sc.name, sizeof(fx->sc.name), "bad\001name");
	assert_int_equal(package_write_mem(&in, &buf, &len, fx->err, sizeof(fx->err)), -1);
	assert_null(buf);
	assert_non_null(strstr(fx->err, "control character"));

	/* The host name goes into pppd's pty option: DNS names only. */
	setup(state);
	snprintf(fx->sc.hostname, sizeof(fx->sc.hostname), "gw.example\" ; reboot");
	assert_int_equal(package_write_mem(&in, &buf, &len, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "not a DNS name"));

	setup(state);
	in.gateway_id = NULL;
	assert_int_equal(package_write_mem(&in, &buf, &len, fx->err, sizeof(fx->err)), -1);
	assert_null(buf);
}

static void
test_deterministic(void **state)
{
	struct fixture *fx = *state;
	struct package_input in = input(fx);
	unsigned char *a, *b, *c;
	size_t alen, blen, clen;
	char *ra, *rc;
	zip_t *za, *zc;
	size_t i;

	a = make_mem(fx, &alen);
	b = make_mem(fx, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);

	in.generated = T0 + 86400;
	assert_int_equal(package_write_mem(&in, &c, &clen, fx->err, sizeof(fx->err)), 0);
	za = zip_from_mem(a, alen);
	zc = zip_from_mem(c, clen);
	for (i = 1; i < N_NAMES; i++) {          /* everything but README.txt */
		size_t la, lc;
		char *ea = zip_entry(za, expected_names[i], &la);
		char *ec = zip_entry(zc, expected_names[i], &lc);

		assert_int_equal(la, lc);
		assert_memory_equal(ea, ec, la);
		free(ea);
		free(ec);
	}
	ra = zip_entry(za, "README.txt", NULL);
	rc = zip_entry(zc, "README.txt", NULL);
	assert_string_not_equal(ra, rc);
	assert_non_null(strstr(rc, "Generated:       2023-11-15T22:13:20Z\n"));
	free(ra);
	free(rc);
	zip_discard(za);
	zip_discard(zc);
	free(a);
	free(b);
	free(c);
}

static void
test_write_file(void **state)
{
	struct fixture *fx = *state;
	struct package_input in = input(fx);
	char path[256], bad[256];
	unsigned char *mem, *file;
	size_t mlen, flen;
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/p2sgw-client.zip", fx->dir);
	assert_int_equal(package_write_file(&in, path, fx->err, sizeof(fx->err)), 0);
	/* again over the existing file */
	assert_int_equal(package_write_file(&in, path, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	file = slurp(path, &flen);
	assert_non_null(file);
	mem = make_mem(fx, &mlen);
	assert_int_equal(flen, mlen);
	assert_memory_equal(file, mem, mlen);

	/* no temp files left behind */
	d = opendir(fx->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		assert_null(strstr(de->d_name, ".tmp-"));
	closedir(d);

	snprintf(bad, sizeof(bad), "%s/no-such-dir/p.zip", fx->dir);
	assert_int_equal(package_write_file(&in, bad, fx->err, sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "no-such-dir"));
	free(file);
	free(mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_layout, setup),
		cmocka_unit_test_setup(test_settings_fields, setup),
		cmocka_unit_test_setup(test_routes_dns_auth, setup),
		cmocka_unit_test_setup(test_root_files, setup),
		cmocka_unit_test_setup(test_readmes_and_peer, setup),
		cmocka_unit_test_setup(test_peer_eap_tls, setup),
		cmocka_unit_test_setup(test_windows_script, setup),
		cmocka_unit_test_setup(test_xml_escaping, setup),
		cmocka_unit_test_setup(test_bad_inputs, setup),
		cmocka_unit_test_setup(test_deterministic, setup),
		cmocka_unit_test_setup(test_write_file, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
