/*
 * tls_names: names of TLS code points.
 *
 * Cipher suites come from two places:
 *   - every suite mbedTLS 2.28 knows (mbedtls_ssl_ciphersuite_from_id also
 *     finds the RC4 and 3DES suites that are not in its default list); its
 *     names are IANA names spelled with dashes, so a table with underscores
 *     is built once, under pthread_once, on first use;
 *   - extra_suites below: suites clients commonly offer that this mbedTLS
 *     lacks (TLS 1.3, SCSVs, NULL, export, DES, IDEA, SEED, ARIA, DSS, anon,
 *     SRP, ...), from the IANA TLS Cipher Suites registry, checked against
 *     `openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'` and
 *     `gnutls-cli --list`.
 * Groups, signature schemes, extensions and alerts are static tables from
 * the IANA TLS registries (RFC 8446, 8422, 7919, 5246, 6066, 8701 ...).
 */
#include "tls/tls_names.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "tls/clienthello.h"

struct code_name {
	uint16_t    code;
	const char *name;
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Sorted by id. IANA spells anonymous suites "DH_anon" / "ECDH_anon". */
static const struct code_name extra_suites[] = {
	{ 0x0000, "TLS_NULL_WITH_NULL_NULL" },
	{ 0x0001, "TLS_RSA_WITH_NULL_MD5" },
	{ 0x0002, "TLS_RSA_WITH_NULL_SHA" },
	{ 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5" },
	{ 0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5" },
	{ 0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA" },
	{ 0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x0009, "TLS_RSA_WITH_DES_CBC_SHA" },
	{ 0x000b, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x000c, "TLS_DH_DSS_WITH_DES_CBC_SHA" },
	{ 0x000d, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA" },
	{ 0x000e, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x000f, "TLS_DH_RSA_WITH_DES_CBC_SHA" },
	{ 0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA" },
	{ 0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA" },
	{ 0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5" },
	{ 0x0018, "TLS_DH_anon_WITH_RC4_128_MD5" },
	{ 0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA" },
	{ 0x001a, "TLS_DH_anon_WITH_DES_CBC_SHA" },
	{ 0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA" },
	{ 0x002c, "TLS_PSK_WITH_NULL_SHA" },
	{ 0x002d, "TLS_DHE_PSK_WITH_NULL_SHA" },
	{ 0x002e, "TLS_RSA_PSK_WITH_NULL_SHA" },
	{ 0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA" },
	{ 0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" },
	{ 0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA" },
	{ 0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA" },
	{ 0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA" },
	{ 0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA" },
	{ 0x003b, "TLS_RSA_WITH_NULL_SHA256" },
	{ 0x003e, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256" },
	{ 0x003f, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256" },
	{ 0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA" },
	/* 0x0060..0x0066: draft-ietf-tls-56-bit-ciphersuites, never assigned by
	 * IANA but sent by Windows 2000/XP and OpenSSL 0.9.x; OpenSSL's names. */
	{ 0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5" },
	{ 0x0061, "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5" },
	{ 0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA" },
	{ 0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA" },
	{ 0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA" },
	{ 0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA" },
	{ 0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA" },
	{ 0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256" },
	{ 0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256" },
	{ 0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256" },
	{ 0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256" },
	{ 0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x0096, "TLS_RSA_WITH_SEED_CBC_SHA" },
	{ 0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA" },
	{ 0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA" },
	{ 0x009b, "TLS_DH_anon_WITH_SEED_CBC_SHA" },
	{ 0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256" },
	{ 0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384" },
	{ 0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256" },
	{ 0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384" },
	{ 0x00b0, "TLS_PSK_WITH_NULL_SHA256" },
	{ 0x00b1, "TLS_PSK_WITH_NULL_SHA384" },
	{ 0x00b4, "TLS_DHE_PSK_WITH_NULL_SHA256" },
	{ 0x00b5, "TLS_DHE_PSK_WITH_NULL_SHA384" },
	{ 0x00b8, "TLS_RSA_PSK_WITH_NULL_SHA256" },
	{ 0x00b9, "TLS_RSA_PSK_WITH_NULL_SHA384" },
	{ 0x00bd, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0x00bf, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0x00c3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256" },
	{ 0x00c5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256" },
	{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0x5600, "TLS_FALLBACK_SCSV" },
	{ 0xc001, "TLS_ECDH_ECDSA_WITH_NULL_SHA" },
	{ 0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA" },
	{ 0xc00b, "TLS_ECDH_RSA_WITH_NULL_SHA" },
	{ 0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA" },
	{ 0xc015, "TLS_ECDH_anon_WITH_NULL_SHA" },
	{ 0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA" },
	{ 0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA" },
	{ 0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA" },
	{ 0xc01a, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc01b, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc01c, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc01d, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA" },
	{ 0xc01e, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc01f, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA" },
	{ 0xc020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA" },
	{ 0xc021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA" },
	{ 0xc039, "TLS_ECDHE_PSK_WITH_NULL_SHA" },
	{ 0xc03a, "TLS_ECDHE_PSK_WITH_NULL_SHA256" },
	{ 0xc03b, "TLS_ECDHE_PSK_WITH_NULL_SHA384" },
	{ 0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc06a, "TLS_PSK_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc06b, "TLS_PSK_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc06c, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc06d, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc06e, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256" },
	{ 0xc06f, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384" },
	{ 0xc080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256" },
	{ 0xc081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384" },
	{ 0xc084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256" },
	{ 0xc085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384" },
	{ 0xc100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC" },
	{ 0xc101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC" },
	{ 0xc102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT" },
	{ 0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256" },
	{ 0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256" },
};

static const char *
table_name(const struct code_name *t, size_t n, uint16_t code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

static int
table_code(const struct code_name *t, size_t n, const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].name, name) == 0)
			return t[i].code;
	return -1;
}

/* Suites mbedTLS knows, renamed with underscores; ids ascending. */
#define MBED_SUITES_MAX  512
#define SUITE_NAME_MAX   64

struct mbed_suite {
	uint16_t    id;
	char        name[SUITE_NAME_MAX]; /* IANA */
	const char *mbed_name;            /* mbedTLS' own, also accepted */
};

/* Where the IANA name is not mbedTLS' name with underscores (RFC 6655 named
 * these two PSK_DHE; `openssl ciphers -stdname` agrees). */
static const struct code_name iana_renames[] = {
	{ 0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8" },
	{ 0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8" },
};

static struct mbed_suite mbed_suites[MBED_SUITES_MAX];
static size_t            n_mbed_suites;
static pthread_once_t    mbed_suites_once = PTHREAD_ONCE_INIT;

/* Probing every 16-bit id is complete whatever the mbedTLS build enables;
 * from_id is a linear search over ~150 entries, so this costs a few ms once. */
static void
mbed_suites_build(void)
{
	const mbedtls_ssl_ciphersuite_t *cs;
	struct mbed_suite               *s;
	const char                      *name;
	size_t                           i, len;
	uint32_t                         id;

	for (id = 0; id <= 0xffff && n_mbed_suites < MBED_SUITES_MAX; id++) {
		cs = mbedtls_ssl_ciphersuite_from_id((int)id);
		if (cs == NULL || cs->name == NULL)
			continue;
		name = table_name(iana_renames, NELEM(iana_renames), (uint16_t)id);
		if (name == NULL)
			name = cs->name;
		len = strlen(name);
		if (len >= SUITE_NAME_MAX)
			continue; /* none in 2.28 is longer than 50 */
		s = &mbed_suites[n_mbed_suites++];
		for (i = 0; i < len; i++)
			s->name[i] = name[i] == '-' ? '_' : name[i];
		s->name[len] = '\0';
		s->mbed_name = cs->name;
		s->id = (uint16_t)id;
	}
}

static void
mbed_suites_init(void)
{
	(void)pthread_once(&mbed_suites_once, mbed_suites_build);
}

/* Case-insensitive equality that treats '-' and '_' as the same. */
static int
suite_name_eq(const char *a, const char *b)
{
	char x, y;

	for (;; a++, b++) {
		x = *a == '-' ? '_' : *a;
		y = *b == '-' ? '_' : *b;
		if (x >= 'a' && x <= 'z')
			x = (char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 'a' + 'A');
		if (x != y)
			return 0;
		if (x == '\0')
			return 1;
	}
}

const char *
tls_suite_name(uint16_t id)
{
	size_t lo = 0, hi, mid;

	mbed_suites_init();
	hi = n_mbed_suites;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mbed_suites[mid].id == id)
			return mbed_suites[mid].name;
		if (mbed_suites[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return table_name(extra_suites, NELEM(extra_suites), id);
}

int
tls_suite_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	mbed_suites_init();
	for (i = 0; i < n_mbed_suites; i++)
		if (suite_name_eq(mbed_suites[i].name, name) ||
		    suite_name_eq(mbed_suites[i].mbed_name, name))
			return mbed_suites[i].id;
	for (i = 0; i < NELEM(extra_suites); i++)
		if (suite_name_eq(extra_suites[i].name, name))
			return extra_suites[i].code;
	return -1;
}

const char *
tls_version_name(uint16_t v)
{
	static _Thread_local char buf[32];

	switch (v) {
	case 0x0002: return "SSL 2.0";
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	case 0xfeff: return "DTLS 1.0";
	case 0xfefd: return "DTLS 1.2";
	case 0xfefc: return "DTLS 1.3";
	default:
		break;
	}
	/* TLS 1.3 drafts 0x7f00 + n (draft-ietf-tls-tls13, "supported_versions"
	 * of each draft), GREASE (RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa) */
	if ((v & 0xff00) == 0x7f00)
		(void)snprintf(buf, sizeof(buf), "TLS 1.3 draft %u", v & 0xffu);
	else if ((v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff))
		(void)snprintf(buf, sizeof(buf), "GREASE");
	else
		(void)snprintf(buf, sizeof(buf), "unknown version (0x%04x)", v);
	return buf;
}

/* IANA TLS Supported Groups (RFC 8422, 7919, 8446, 8734, draft-kwiatkowski
 * -tls-ecdhe-mlkem, draft-connolly-tls-mlkem-key-agreement). */
static const struct code_name groups[] = {
	{ 1, "sect163k1" },        { 2, "sect163r1" },        { 3, "sect163r2" },
	{ 4, "sect193r1" },        { 5, "sect193r2" },        { 6, "sect233k1" },
	{ 7, "sect233r1" },        { 8, "sect239k1" },        { 9, "sect283k1" },
	{ 10, "sect283r1" },       { 11, "sect409k1" },       { 12, "sect409r1" },
	{ 13, "sect571k1" },       { 14, "sect571r1" },       { 15, "secp160k1" },
	{ 16, "secp160r1" },       { 17, "secp160r2" },       { 18, "secp192k1" },
	{ 19, "secp192r1" },       { 20, "secp224k1" },       { 21, "secp224r1" },
	{ 22, "secp256k1" },       { 23, "secp256r1" },       { 24, "secp384r1" },
	{ 25, "secp521r1" },       { 26, "brainpoolP256r1" }, { 27, "brainpoolP384r1" },
	{ 28, "brainpoolP512r1" }, { 29, "x25519" },          { 30, "x448" },
	{ 31, "brainpoolP256r1tls13" }, { 32, "brainpoolP384r1tls13" },
	{ 33, "brainpoolP512r1tls13" }, { 34, "GC256A" },     { 35, "GC256B" },
	{ 36, "GC256C" },          { 37, "GC256D" },          { 38, "GC512A" },
	{ 39, "GC512B" },          { 40, "GC512C" },          { 41, "curveSM2" },
	{ 256, "ffdhe2048" },      { 257, "ffdhe3072" },      { 258, "ffdhe4096" },
	{ 259, "ffdhe6144" },      { 260, "ffdhe8192" },      { 512, "MLKEM512" },
	{ 513, "MLKEM768" },       { 514, "MLKEM1024" },      { 0x11eb, "SecP256r1MLKEM768" },
	{ 0x11ec, "X25519MLKEM768" }, { 0x11ed, "SecP384r1MLKEM1024" },
	{ 0x6399, "X25519Kyber768Draft00" }, { 0x639a, "SecP256r1Kyber768Draft00" },
	{ 0xff01, "arbitrary_explicit_prime_curves" },
	{ 0xff02, "arbitrary_explicit_char2_curves" },
};

/* Other spellings accepted by tls_group_from_name (OpenSSL, NIST). */
static const struct code_name group_aliases[] = {
	{ 19, "prime192v1" }, { 23, "prime256v1" }, { 21, "P-224" }, { 23, "P-256" },
	{ 24, "P-384" },      { 25, "P-521" },
};

const char *
tls_group_name(uint16_t id)
{
	return table_name(groups, NELEM(groups), id);
}

int
tls_group_from_name(const char *name)
{
	int id = table_code(groups, NELEM(groups), name);

	return id >= 0 ? id : table_code(group_aliases, NELEM(group_aliases), name);
}

/* IANA TLS SignatureScheme (RFC 8446 4.2.3, 8734, 8998, ...), plus the TLS 1.2
 * {hash, signature} pairs of RFC 5246 7.4.1.4.1 that have no scheme name
 * (hash: 1 md5, 2 sha1, 3 sha224, 4 sha256, 5 sha384, 6 sha512;
 *  signature: 1 rsa, 2 dsa, 3 ecdsa). */
static const struct code_name sigalgs[] = {
	{ 0x0101, "rsa_md5" },
	{ 0x0102, "dsa_md5" },
	{ 0x0103, "ecdsa_md5" },
	{ 0x0201, "rsa_pkcs1_sha1" },
	{ 0x0202, "dsa_sha1" },
	{ 0x0203, "ecdsa_sha1" },
	{ 0x0301, "rsa_sha224" },
	{ 0x0302, "dsa_sha224" },
	{ 0x0303, "ecdsa_sha224" },
	{ 0x0401, "rsa_pkcs1_sha256" },
	{ 0x0402, "dsa_sha256" },
	{ 0x0403, "ecdsa_secp256r1_sha256" },
	{ 0x0420, "rsa_pkcs1_sha256_legacy" },
	{ 0x0501, "rsa_pkcs1_sha384" },
	{ 0x0502, "dsa_sha384" },
	{ 0x0503, "ecdsa_secp384r1_sha384" },
	{ 0x0520, "rsa_pkcs1_sha384_legacy" },
	{ 0x0601, "rsa_pkcs1_sha512" },
	{ 0x0602, "dsa_sha512" },
	{ 0x0603, "ecdsa_secp521r1_sha512" },
	{ 0x0620, "rsa_pkcs1_sha512_legacy" },
	{ 0x0704, "eccsi_sha256" },
	{ 0x0705, "iso_ibs1" },
	{ 0x0706, "iso_ibs2" },
	{ 0x0707, "iso_chinese_ibs" },
	{ 0x0708, "sm2sig_sm3" },
	{ 0x0709, "gostr34102012_256a" },
	{ 0x070a, "gostr34102012_256b" },
	{ 0x070b, "gostr34102012_256c" },
	{ 0x070c, "gostr34102012_256d" },
	{ 0x070d, "gostr34102012_512a" },
	{ 0x070e, "gostr34102012_512b" },
	{ 0x070f, "gostr34102012_512c" },
	{ 0x0804, "rsa_pss_rsae_sha256" },
	{ 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" },
	{ 0x0807, "ed25519" },
	{ 0x0808, "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256" },
	{ 0x080a, "rsa_pss_pss_sha384" },
	{ 0x080b, "rsa_pss_pss_sha512" },
	{ 0x081a, "ecdsa_brainpoolP256r1tls13_sha256" },
	{ 0x081b, "ecdsa_brainpoolP384r1tls13_sha384" },
	{ 0x081c, "ecdsa_brainpoolP512r1tls13_sha512" },
	{ 0x0904, "mldsa44" },
	{ 0x0905, "mldsa65" },
	{ 0x0906, "mldsa87" },
};

const char *
tls_sigalg_name(uint16_t id)
{
	return table_name(sigalgs, NELEM(sigalgs), id);
}

/* IANA TLS ExtensionType Values; 0x3374, 0x4469, 0x44cd and 0x754f are
 * widely sent but unregistered (NPN, ALPS, Channel ID). */
static const struct code_name exts[] = {
	{ 0, "server_name" },
	{ 1, "max_fragment_length" },
	{ 2, "client_certificate_url" },
	{ 3, "trusted_ca_keys" },
	{ 4, "truncated_hmac" },
	{ 5, "status_request" },
	{ 6, "user_mapping" },
	{ 7, "client_authz" },
	{ 8, "server_authz" },
	{ 9, "cert_type" },
	{ 10, "supported_groups" },
	{ 11, "ec_point_formats" },
	{ 12, "srp" },
	{ 13, "signature_algorithms" },
	{ 14, "use_srtp" },
	{ 15, "heartbeat" },
	{ 16, "application_layer_protocol_negotiation" },
	{ 17, "status_request_v2" },
	{ 18, "signed_certificate_timestamp" },
	{ 19, "client_certificate_type" },
	{ 20, "server_certificate_type" },
	{ 21, "padding" },
	{ 22, "encrypt_then_mac" },
	{ 23, "extended_master_secret" },
	{ 24, "token_binding" },
	{ 25, "cached_info" },
	{ 26, "tls_lts" },
	{ 27, "compress_certificate" },
	{ 28, "record_size_limit" },
	{ 29, "pwd_protect" },
	{ 30, "pwd_clear" },
	{ 31, "password_salt" },
	{ 32, "ticket_pinning" },
	{ 33, "tls_cert_with_extern_psk" },
	{ 34, "delegated_credential" },
	{ 35, "session_ticket" },
	{ 36, "TLMSP" },
	{ 37, "TLMSP_proxying" },
	{ 38, "TLMSP_delegate" },
	{ 39, "supported_ekt_ciphers" },
	{ 41, "pre_shared_key" },
	{ 42, "early_data" },
	{ 43, "supported_versions" },
	{ 44, "cookie" },
	{ 45, "psk_key_exchange_modes" },
	{ 47, "certificate_authorities" },
	{ 48, "oid_filters" },
	{ 49, "post_handshake_auth" },
	{ 50, "signature_algorithms_cert" },
	{ 51, "key_share" },
	{ 52, "transparency_info" },
	{ 53, "connection_id_deprecated" },
	{ 54, "connection_id" },
	{ 55, "external_id_hash" },
	{ 56, "external_session_id" },
	{ 57, "quic_transport_parameters" },
	{ 58, "ticket_request" },
	{ 59, "dnssec_chain" },
	{ 60, "sequence_number_encryption_algorithms" },
	{ 61, "rrc" },
	{ 0x3374, "next_protocol_negotiation" },
	{ 0x4469, "application_settings_old" },
	{ 0x44cd, "application_settings" },
	{ 0x754f, "channel_id" },
	{ 0xfe0d, "encrypted_client_hello" },
	{ 0xff01, "renegotiation_info" },
};

const char *
tls_ext_name(uint16_t id)
{
	return table_name(exts, NELEM(exts), id);
}

/* RFC 5246 7.2, RFC 8446 6, RFC 6066 9, RFC 7301 3.2, RFC 7507. */
static const struct code_name alerts[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 21, "decryption_failed" },
	{ 22, "record_overflow" },
	{ 30, "decompression_failure" },
	{ 40, "handshake_failure" },
	{ 41, "no_certificate" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 60, "export_restriction" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 111, "certificate_unobtainable" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 114, "bad_certificate_hash_value" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

const char *
tls_alert_name(uint8_t code)
{
	return table_name(alerts, NELEM(alerts), code);
}

int
tls_alert_from_name(const char *name)
{
	const char *p;
	int         v = 0;

	if (name == NULL || *name == '\0')
		return -1;
	/* A decimal 0..255: digits only, no sign, no spaces. */
	for (p = name; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 255)
			break;
	}
	if (*p == '\0')
		return v;
	if (p != name)
		return -1;
	return table_code(alerts, NELEM(alerts), name);
}

json_t *
tls_names_json(const uint16_t *v, size_t n, const char *(*name)(uint16_t))
{
	json_t *a = json_array();
	char hex[8];
	for (size_t i = 0; i < n; i++) {
		const char *s = ch_is_grease(v[i]) ? "GREASE" : name(v[i]);
		if (s == NULL) {
			snprintf(hex, sizeof(hex), "0x%04x", v[i]);
			s = hex;
		}
		json_array_append_new(a, json_string(s));
	}
	return a;
}
