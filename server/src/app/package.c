/*
 * Client configuration package (docs/package.md): the Azure "Download VPN
 * client" zip for this gateway, built in memory with libzip.
 *
 * Every text file is assembled in a growable buffer; every value that comes
 * from the scenario or a certificate is XML-escaped in VpnSettings.xml and
 * has control characters replaced in the plain-text files. The host name
 * also goes into pppd and shell command lines, so it must be a DNS name.
 * Zip entries get a fixed time (1980-01-01 00:00) and mode, so the archive
 * bytes change only with the inputs and the generation time in README.txt.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zip.h>

#include <mbedtls/base64.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "app/package.h"
#include "util/addr.h"
#include "util/xtime.h"

#define PKG_CN_MAX      256
#define PKG_MAX_ZIP     (4 * 1024 * 1024) /* cap on the archive we hand out */
#define PKG_PEER_NAME   "p2sgw-peer"
#define PKG_PPP_PARAM   "p2sgw"           /* ipparam, remotename, linkname */
#define PKG_CA_INSTALL  "/etc/ppp/p2sgw-ca.pem"
/* DOS date 1980-01-01, time 00:00:00: the conventional reproducible-zip time. */
#define PKG_DOS_DATE    ((0 << 9) | (1 << 5) | 1)
#define PKG_DOS_TIME    0

/* ---- growable text buffer ---- */

struct sbuf {
	char   *sb_buf;
	size_t  sb_len;
	size_t  sb_cap;
	int     sb_oom;   /* sticky: an append failed */
};

static void
sb_free(struct sbuf *sb)
{
	free(sb->sb_buf);
	memset(sb, 0, sizeof(*sb));
}

static int
sb_reserve(struct sbuf *sb, size_t more)
{
	size_t cap;
	char *p;

	if (sb->sb_oom)
		return -1;
	if (more < sb->sb_cap - sb->sb_len)
		return 0;
	cap = sb->sb_cap ? sb->sb_cap : 1024;
	while (cap - sb->sb_len <= more) {
		if (cap > SIZE_MAX / 2)
			goto oom;
		cap *= 2;
	}
	if ((p = realloc(sb->sb_buf, cap)) == NULL)
		goto oom;
	sb->sb_buf = p;
	sb->sb_cap = cap;
	return 0;
oom:
	sb->sb_oom = 1;
	return -1;
}

static void
sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n) != 0)
		return;
	memcpy(sb->sb_buf + sb->sb_len, s, n);
	sb->sb_len += n;
	sb->sb_buf[sb->sb_len] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

static void sb_printf(struct sbuf *sb, const char *fmt, ...) P2SGW_PRINTF(2, 3);

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->sb_oom = 1;
		return;
	}
	if (sb_reserve(sb, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(sb->sb_buf + sb->sb_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->sb_len += (size_t)n;
}

/* Plain text: control characters (a newline in a scenario name) become '?'. */
static void
sb_put_text(struct sbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		sb_putn(sb, (c < 0x20 || c == 0x7f) ? "?" : s, 1);
	}
}

/*
 * XML character data and attribute values: the five predefined entities.
 * XML 1.0 cannot carry C0 controls other than TAB, LF and CR even as
 * character references, so those are refused (-1) rather than mangled.
 */
static int
sb_put_xml(struct sbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':  sb_puts(sb, "&amp;");  break;
		case '<':  sb_puts(sb, "&lt;");   break;
		case '>':  sb_puts(sb, "&gt;");   break;
		case '"':  sb_puts(sb, "&quot;"); break;
		case '\'': sb_puts(sb, "&apos;"); break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return -1;
			sb_putn(sb, s, 1);
		}
	}
	return 0;
}

/* INDENT<Tag>value</Tag>\n, the value escaped. */
static int
xml_text(struct sbuf *sb, const char *indent, const char *tag, const char *value,
         const char *what, char *err, size_t errlen)
{
	sb_printf(sb, "%s<%s>", indent, tag);
	if (sb_put_xml(sb, value) != 0) {
		pki_errf(err, errlen, "package: %s contains a control character XML cannot carry",
		    what);
		return -1;
	}
	sb_printf(sb, "</%s>\n", tag);
	return 0;
}

/* "  <Tag>value</Tag>\n", or "  <Tag />\n" when value is empty (as Azure writes). */
static int
xml_elem(struct sbuf *sb, const char *tag, const char *value, const char *what,
         char *err, size_t errlen)
{
	if (value[0] == '\0') {
		sb_printf(sb, "  <%s />\n", tag);
		return 0;
	}
	return xml_text(sb, "  ", tag, value, what, err, errlen);
}

/* ---- facts from the inputs ---- */

struct pkg_facts {
	mbedtls_x509_crt pf_root;
	unsigned char   *pf_root_pem;      /* root.crt as stored */
	size_t           pf_root_pem_len;
	char            *pf_root_b64;      /* base64 DER, one line */
	char             pf_root_cn[PKG_CN_MAX];
	char             pf_issuer_cn[PKG_CN_MAX];
	char             pf_root_sha1[41];
	char             pf_pool[32];
	char             pf_generated[32];
	int              pf_eap_tls;       /* first offered PPP auth is EAP-TLS */
	struct sbuf      pf_routes;        /* "10.1.0.0/16,10.2.0.0/16" */
	struct sbuf      pf_dns;           /* "10.1.0.4,10.1.0.5" */
};

static void
facts_init(struct pkg_facts *pf)
{
	memset(pf, 0, sizeof(*pf));
	mbedtls_x509_crt_init(&pf->pf_root);
}

static void
facts_free(struct pkg_facts *pf)
{
	mbedtls_x509_crt_free(&pf->pf_root);
	free(pf->pf_root_pem);
	free(pf->pf_root_b64);
	sb_free(&pf->pf_routes);
	sb_free(&pf->pf_dns);
}

/* The first CN of a DN; 0, or -1 when there is none or it does not fit. */
static int
dn_cn(const mbedtls_x509_name *n, char *out, size_t outlen)
{
	for (; n != NULL; n = n->next) {
		if (n->oid.p == NULL || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0)
			continue;
		if (n->val.len >= outlen || memchr(n->val.p, '\0', n->val.len) != NULL)
			return -1;
		memcpy(out, n->val.p, n->val.len);
		out[n->val.len] = '\0';
		return 0;
	}
	return -1;
}

/* A DNS name: it goes into pppd's pty option and shell command lines. */
static int
hostname_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return 0;
	for (; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || *h == '-' || *h == '.'))
			return 0;
	return 1;
}

static int
facts_gather(const struct package_input *in, struct pkg_facts *pf, char *err, size_t errlen)
{
	const struct scenario *sc = in->sc;
	unsigned char sha1[20], sha256[32];
	char why[128], a[16];
	size_t olen = 0, i;
	time_t t;
	int ret, rc;

	if (!hostname_ok(sc->hostname)) {
		pki_errf(err, errlen, "package: gateway host name '%s' is not a DNS name",
		    sc->hostname);
		return -1;
	}

	/* The root, as the file clients are told to trust. */
	rc = pki_file_read(in->chain->root_path, &pf->pf_root_pem, &pf->pf_root_pem_len,
	    err, errlen);
	if (rc == 1)
		pki_errf(err, errlen, "package: root certificate %s is missing",
		    in->chain->root_path);
	if (rc != 0)
		return -1;
	ret = mbedtls_x509_crt_parse(&pf->pf_root, pf->pf_root_pem, pf->pf_root_pem_len + 1);
	if (ret != 0 || pf->pf_root.next != NULL) {
		pki_errf(err, errlen, "package: %s must hold exactly one certificate%s%s",
		    in->chain->root_path, ret < 0 ? ": " : "",
		    ret < 0 ? pki_strerror(ret, why, sizeof(why)) : "");
		return -1;
	}
	if (dn_cn(&pf->pf_root.subject, pf->pf_root_cn, sizeof(pf->pf_root_cn)) != 0) {
		pki_errf(err, errlen, "package: root %s has no usable CN", in->chain->root_path);
		return -1;
	}
	if (in->chain->chain.raw.p == NULL ||
	    dn_cn(&in->chain->chain.issuer, pf->pf_issuer_cn, sizeof(pf->pf_issuer_cn)) != 0) {
		pki_errf(err, errlen, "package: served leaf has no issuer CN");
		return -1;
	}

	/* base64 of the DER, one line, as in Azure's <CaCert>. */
	(void)mbedtls_base64_encode(NULL, 0, &olen, pf->pf_root.raw.p, pf->pf_root.raw.len);
	if ((pf->pf_root_b64 = malloc(olen)) == NULL ||
	    mbedtls_base64_encode((unsigned char *)pf->pf_root_b64, olen, &olen,
	    pf->pf_root.raw.p, pf->pf_root.raw.len) != 0) {
		pki_errf(err, errlen, "package: cannot encode the root: %s", strerror(ENOMEM));
		return -1;
	}
	if (pki_thumbprints(&pf->pf_root, sha1, sha256) != 0) {
		pki_errf(err, errlen, "package: cannot hash the root");
		return -1;
	}
	pki_hex_upper(sha1, sizeof(sha1), pf->pf_root_sha1);

	ip4_format(sc->pool_net, a);
	(void)snprintf(pf->pf_pool, sizeof(pf->pf_pool), "%s/%u", a, (unsigned)sc->pool_prefix);
	for (i = 0; i < sc->n_vnet && i < SC_MAX_ROUTES; i++) {
		ip4_format(sc->vnet[i].net, a);
		sb_printf(&pf->pf_routes, "%s%s/%u", i ? "," : "", a, (unsigned)sc->vnet[i].prefix);
	}
	for (i = 0; i < sc->n_dns && i < 2; i++) {
		ip4_format(sc->dns[i], a);
		sb_printf(&pf->pf_dns, "%s%s", i ? "," : "", a);
	}
	sb_puts(&pf->pf_routes, "");
	sb_puts(&pf->pf_dns, "");
	if (pf->pf_routes.sb_oom || pf->pf_dns.sb_oom) {
		pki_errf(err, errlen, "package: %s", strerror(ENOMEM));
		return -1;
	}
	pf->pf_eap_tls = sc->n_ppp_auth > 0 && sc->ppp_auth[0] == SC_AUTH_EAP_TLS;

	t = in->generated ? in->generated : time(NULL);
	char at[ISO_UTC_LEN];
	if (iso_utc(t, at) == 0)
		(void)snprintf(pf->pf_generated, sizeof(pf->pf_generated), "%s", at);
	else
		(void)snprintf(pf->pf_generated, sizeof(pf->pf_generated), "@%lld", (long long)t);
	return 0;
}

/* ---- the files ---- */

/*
 * A CA element in either schema: <tag>v</tag> (older, single CA), or the
 * newer list form <list_tag><string>v</string></list_tag>.
 */
static int
ca_elems(struct sbuf *sb, const struct package_input *in, const char *tag,
         const char *list_tag, const char *value, char *err, size_t errlen)
{
	if (!in->list_schema)
		return xml_elem(sb, tag, value, tag, err, errlen);
	sb_printf(sb, "  <%s>\n", list_tag);
	if (xml_text(sb, "    ", "string", value, tag, err, errlen) != 0)
		return -1;
	sb_printf(sb, "  </%s>\n", list_tag);
	return 0;
}

/* Generic/VpnSettings.xml: the older single-CA schema, or the newer list form
 * (reference §1.7; both from stored real files). */
static int
build_settings(const struct package_input *in, const struct pkg_facts *pf, struct sbuf *sb,
               char *err, size_t errlen)
{
	const struct scenario *sc = in->sc;

	sb_puts(sb, "<?xml version=\"1.0\"?>\n"
	    "<VpnProfile xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
	if (xml_elem(sb, "VpnServer", sc->hostname, "hostname", err, errlen) != 0 ||
	    xml_elem(sb, "VpnType", in->vpn_type == PKG_VPN_IKEV2_SSTP ? "SSTP,IkeV2" : "SSTP",
	    "type", err, errlen) != 0 ||
	    ca_elems(sb, in, "CaCert", "CaCerts", pf->pf_root_b64, err, errlen) != 0 ||
	    xml_elem(sb, "Routes", pf->pf_routes.sb_buf, "routes", err, errlen) != 0 ||
	    xml_elem(sb, "Auth", pf->pf_eap_tls ? "EAPTLS" : "EAPMSCHAPv2", "auth",
	    err, errlen) != 0 ||
	    xml_elem(sb, "VnetName", sc->name, "scenario name", err, errlen) != 0 ||
	    xml_elem(sb, "VnetId", in->gateway_id, "gateway id", err, errlen) != 0 ||
	    /* the root's CN in both, as Azure's file reads on the public CA (the 2019
	     * notice); with the self-signed gateway CA the leaf's issuer is that root */
	    ca_elems(sb, in, "ServerCertRootCn", "ServerCertsRootCn", pf->pf_root_cn,
	    err, errlen) != 0 ||
	    ca_elems(sb, in, "ServerCertIssuerCn", "ServerCertsIssuerCn",
	    pf->pf_root_cn, err, errlen) != 0 ||
	    xml_elem(sb, "VpnClientAddressPool", pf->pf_pool, "pool", err, errlen) != 0 ||
	    xml_elem(sb, "AadIssuer", "", "", err, errlen) != 0 ||
	    xml_elem(sb, "AadTenant", "", "", err, errlen) != 0 ||
	    xml_elem(sb, "AadAudience", "", "", err, errlen) != 0 ||
	    xml_elem(sb, "CustomDnsServers", pf->pf_dns.sb_buf, "dns", err, errlen) != 0)
		return -1;
	sb_puts(sb, "</VpnProfile>\n");
	return 0;
}

/* Top-level README.txt. The "Generated:" line is the only varying one. */
static void
build_readme(const struct package_input *in, const struct pkg_facts *pf, struct sbuf *sb)
{
	const struct scenario *sc = in->sc;

	sb_puts(sb, "p2sgw client configuration package (lab emulator of an Azure P2S VPN gateway)\n\n");
	sb_printf(sb, "Gateway:         %s (SSTP, TCP 443)\n", sc->hostname);
	sb_puts(sb, "Scenario:        ");
	sb_put_text(sb, sc->name);
	sb_puts(sb, "\nGateway id:      ");
	sb_put_text(sb, in->gateway_id);
	sb_puts(sb, "\nRoot CA:         ");
	sb_put_text(sb, in->chain->root_subject);
	sb_printf(sb, "\nRoot SHA-1:      %s\n", pf->pf_root_sha1);
	sb_puts(sb, "Leaf issuer CN:  ");
	sb_put_text(sb, pf->pf_issuer_cn);
	sb_printf(sb, "\nAuthentication:  %s\n",
	    pf->pf_eap_tls ? "EAP-TLS (client certificate)" : "MS-CHAPv2 (user name and password)");
	sb_printf(sb, "Address pool:    %s\n", pf->pf_pool);
	sb_printf(sb, "VNet routes:     %s\n", pf->pf_routes.sb_len ? pf->pf_routes.sb_buf : "(none)");
	sb_printf(sb, "DNS servers:     %s\n", pf->pf_dns.sb_len ? pf->pf_dns.sb_buf : "(none)");
	sb_printf(sb, "Generated:       %s\n\n", pf->pf_generated);
	sb_puts(sb,
	    "Files:\n"
	    "  Generic/VpnSettings.xml     settings in Azure's (older, single-CA) schema\n"
	    "  Generic/VpnServerRoot.cer   the root CA the client must trust (DER)\n"
	    "  Linux/sstpc/ca.pem          the same root CA (PEM)\n"
	    "  Linux/sstpc/" PKG_PEER_NAME "      pppd peers file: pppd call " PKG_PEER_NAME "\n"
	    "  Linux/sstpc/README.txt      sstpc command lines\n"
	    "  Windows/p2sgw-vpn.ps1       imports the root, creates the SSTP connection\n"
	    "  Windows/README.txt          how to run it\n\n"
	    "Windows: run Windows/p2sgw-vpn.ps1 (or import Generic/VpnServerRoot.cer into\n"
	    "\"Trusted Root Certification Authorities\" of the Local Computer), and make the\n"
	    "gateway name resolve to the emulator (DNS or the hosts file).\n");
}

static const char peer_common[] =
    "remotename " PKG_PPP_PARAM "\n"
    "linkname " PKG_PPP_PARAM "\n"
    "ipparam " PKG_PPP_PARAM "\n";

/* Linux/sstpc/p2sgw-peer: /etc/ppp/peers/p2sgw-peer for sstp-client 1.0.18. */
static void
build_peer(const struct package_input *in, const struct pkg_facts *pf, struct sbuf *sb)
{
	const struct scenario *sc = in->sc;
	const char *user = sc->n_users > 0 ? sc->users[0].name : "USER";

	sb_printf(sb, "# pppd peers file for the p2sgw gateway %s (sstp-client 1.0.18).\n",
	    sc->hostname);
	sb_puts(sb, "# Install and connect (see README.txt):\n"
	    "#   sudo install -m 0644 ca.pem " PKG_CA_INSTALL "\n"
	    "#   sudo install -m 0600 " PKG_PEER_NAME " /etc/ppp/peers/" PKG_PEER_NAME "\n");
	if (!pf->pf_eap_tls) {
		sb_puts(sb, "#   echo '");
		sb_put_text(sb, user);
		sb_puts(sb, " " PKG_PPP_PARAM " PASSWORD *' | sudo tee -a /etc/ppp/chap-secrets\n");
	}
	sb_puts(sb, "#   sudo pppd call " PKG_PEER_NAME "\n");
	sb_puts(sb, peer_common);
	sb_printf(sb, "pty \"sstpc --ipparam " PKG_PPP_PARAM " --nolaunchpppd --tls-ext "
	    "--ca-cert " PKG_CA_INSTALL " --log-stderr %s:443\"\n", sc->hostname);
	sb_puts(sb, "name ");
	sb_put_text(sb, pf->pf_eap_tls ? "p2s-client" : user);
	sb_puts(sb, "\nplugin sstp-pppd-plugin.so\n"
	    "sstp-sock /var/run/sstpc/sstpc-" PKG_PPP_PARAM "\n"
	    "noauth\nrefuse-pap\nrefuse-chap\nrefuse-mschap\n");
	if (pf->pf_eap_tls)
		sb_puts(sb, "refuse-mschap-v2\n"
		    "# EAP-TLS (pppd 2.4.9 as in Debian 12): the client certificate and key\n"
		    "ca " PKG_CA_INSTALL "\n"
		    "cert /etc/ppp/p2sgw-client.crt\n"
		    "key /etc/ppp/p2sgw-client.key\n");
	else
		sb_puts(sb, "refuse-eap\n");
	sb_puts(sb, "nobsdcomp\nnodeflate\nusepeerdns\n");
}

/* Linux/sstpc/README.txt: the exact commands. */
static void
build_linux_readme(const struct package_input *in, const struct pkg_facts *pf, struct sbuf *sb)
{
	const struct scenario *sc = in->sc;
	const char *user = sc->n_users > 0 ? sc->users[0].name : "USER";

	sb_printf(sb, "sstp-client (sstpc 1.0.18) and pppd for the p2sgw gateway %s\n\n",
	    sc->hostname);
	sb_puts(sb, "Make the gateway name resolve to the emulator first, e.g. in /etc/hosts.\n\n");
	if (!pf->pf_eap_tls) {
		sb_puts(sb, "One command (sstpc starts pppd itself; replace PASSWORD):\n\n  sudo sstpc "
		    "--ca-cert ca.pem --tls-ext --log-stderr --user '");
		sb_put_text(sb, user);
		sb_printf(sb, "' --password 'PASSWORD' %s -- noauth refuse-eap refuse-pap "
		    "refuse-chap refuse-mschap nobsdcomp nodeflate usepeerdns\n\n", sc->hostname);
	} else {
		sb_puts(sb, "This gateway offers EAP-TLS first: pppd needs a client certificate\n"
		    "issued by one of the scenario's client roots, installed as\n"
		    "/etc/ppp/p2sgw-client.crt and /etc/ppp/p2sgw-client.key.\n\n");
	}
	sb_puts(sb, "As a pppd peer (" PKG_PEER_NAME " in this folder):\n\n"
	    "  sudo install -m 0644 ca.pem " PKG_CA_INSTALL "\n"
	    "  sudo install -m 0600 " PKG_PEER_NAME " /etc/ppp/peers/" PKG_PEER_NAME "\n");
	if (!pf->pf_eap_tls) {
		sb_puts(sb, "  echo '");
		sb_put_text(sb, user);
		sb_puts(sb, " " PKG_PPP_PARAM " PASSWORD *' | sudo tee -a /etc/ppp/chap-secrets\n");
	}
	sb_puts(sb, "  sudo pppd call " PKG_PEER_NAME " nodetach\n");
}

/*
 * PowerShell: a single-quoted string literal ('' for '), control characters
 * replaced; single quotes take no expansion, so nothing else is special.
 */
static void
sb_put_ps(struct sbuf *sb, const char *s)
{
	sb_puts(sb, "'");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\'')
			sb_puts(sb, "''");
		else
			sb_putn(sb, (c < 0x20 || c == 0x7f) ? "?" : s, 1);
	}
	sb_puts(sb, "'");
}

/*
 * Windows/p2sgw-vpn.ps1: import the root into the machine's Trusted Root
 * store and create the SSTP connection with the gateway's authentication
 * (Add-VpnConnection, VpnClient module of Windows 8.1 / Server 2012 R2 and
 * later), then the VNet routes (split tunnel), as Azure's installer would.
 */
static void
build_ps1(const struct package_input *in, const struct pkg_facts *pf, struct sbuf *sb)
{
	const struct scenario *sc = in->sc;
	size_t i;
	char a[16];

	sb_puts(sb, "# p2sgw: trust the gateway's root CA and create the SSTP VPN connection.\n"
	    "# Run in an elevated PowerShell from this folder: .\\p2sgw-vpn.ps1\n"
	    "#Requires -RunAsAdministrator\n"
	    "$ErrorActionPreference = 'Stop'\n");
	sb_puts(sb, "$Name = ");
	sb_put_ps(sb, sc->name);
	sb_puts(sb, "\n$Server = ");
	sb_put_ps(sb, sc->hostname);
	sb_puts(sb, "\n$Root = Join-Path -Path $PSScriptRoot -ChildPath '..\\Generic\\VpnServerRoot.cer'\n");
	sb_puts(sb, "Import-Certificate -FilePath $Root -CertStoreLocation 'Cert:\\LocalMachine\\Root' | Out-Null\n");
	if (pf->pf_eap_tls) {
		sb_puts(sb, "# EAP-TLS: a user certificate from a client root of the gateway must be in CurrentUser\\My\n"
		    "$Eap = New-EapConfiguration -Tls -VerifyServerIdentity -UserCertificate\n"
		    "Add-VpnConnection -Name $Name -ServerAddress $Server -TunnelType Sstp "
		    "-EncryptionLevel Required -AuthenticationMethod Eap "
		    "-EapConfigXmlStream $Eap.EapConfigXmlStream -SplitTunneling -Force\n");
	} else {
		sb_puts(sb, "Add-VpnConnection -Name $Name -ServerAddress $Server -TunnelType Sstp "
		    "-EncryptionLevel Required -AuthenticationMethod MSChapv2 -SplitTunneling "
		    "-RememberCredential -Force\n");
	}
	for (i = 0; i < sc->n_vnet && i < SC_MAX_ROUTES; i++) {
		ip4_format(sc->vnet[i].net, a);
		sb_printf(sb, "Add-VpnConnectionRoute -ConnectionName $Name -DestinationPrefix "
		    "'%s/%u'\n", a, (unsigned)sc->vnet[i].prefix);
	}
	sb_puts(sb, "Write-Output \"Created VPN connection '$Name' to $Server; the name must resolve "
	    "to the emulator (DNS or the hosts file).\"\n");
}

static void
build_windows_readme(const struct package_input *in, const struct pkg_facts *pf, struct sbuf *sb)
{
	sb_printf(sb, "Windows (8.1, 10, 11; Server 2012 R2 and later) for the p2sgw gateway %s\n\n",
	    in->sc->hostname);
	sb_puts(sb, "In an elevated PowerShell, from this folder:\n\n"
	    "  Set-ExecutionPolicy -Scope Process Bypass\n"
	    "  .\\p2sgw-vpn.ps1\n\n"
	    "It imports ..\\Generic\\VpnServerRoot.cer into Cert:\\LocalMachine\\Root (Trusted\n"
	    "Root Certification Authorities), creates an SSTP connection with ");
	sb_puts(sb, pf->pf_eap_tls ? "EAP-TLS (a user certificate)" : "MS-CHAPv2 (user name and password)");
	sb_puts(sb, "\nand adds the VNet routes. Make the gateway name resolve to the emulator first.\n");
}

/* ---- the zip ---- */

struct pkg_entry {
	const char          *pe_name;
	const void          *pe_data;
	size_t               pe_len;
};

static int
zip_add_entry(zip_t *za, const struct pkg_entry *e, char *err, size_t errlen)
{
	zip_source_t *s;
	zip_int64_t idx;

	if ((s = zip_source_buffer(za, e->pe_data, e->pe_len, 0)) == NULL)
		goto fail;
	if ((idx = zip_file_add(za, e->pe_name, s, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(s);
		goto fail;
	}
	if (zip_file_set_dostime(za, (zip_uint64_t)idx, PKG_DOS_TIME, PKG_DOS_DATE, 0) != 0 ||
	    zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
	    (zip_uint32_t)0100644 << 16) != 0)
		goto fail;
	return 0;
fail:
	pki_errf(err, errlen, "package: cannot add %s: %s", e->pe_name, zip_strerror(za));
	return -1;
}

/* Zip the entries into a malloc'd buffer. */
static int
zip_entries(const struct pkg_entry *ents, size_t n, unsigned char **buf, size_t *len,
            char *err, size_t errlen)
{
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	zip_error_t ze;
	zip_int64_t size, got;
	unsigned char *out = NULL;
	size_t i;
	int opened = 0;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL)
		goto zerr;
	if ((za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL)
		goto zerr;
	zip_source_keep(src); /* it must outlive zip_close: it holds the result */
	for (i = 0; i < n; i++)
		if (zip_add_entry(za, &ents[i], err, errlen) != 0)
			goto fail;
	if (zip_close(za) != 0) {
		pki_errf(err, errlen, "package: cannot write the zip: %s", zip_strerror(za));
		goto fail;
	}
	za = NULL;

	if (zip_source_open(src) != 0)
		goto serr;
	opened = 1;
	if (zip_source_seek(src, 0, SEEK_END) != 0 || (size = zip_source_tell(src)) < 0 ||
	    zip_source_seek(src, 0, SEEK_SET) != 0)
		goto serr;
	if (size == 0 || size > PKG_MAX_ZIP) {
		pki_errf(err, errlen, "package: zip of %lld bytes is out of range",
		    (long long)size);
		goto fail;
	}
	if ((out = malloc((size_t)size)) == NULL) {
		pki_errf(err, errlen, "package: %s", strerror(ENOMEM));
		goto fail;
	}
	if ((got = zip_source_read(src, out, (zip_uint64_t)size)) != size)
		goto serr;
	zip_source_close(src);
	zip_source_free(src);
	*buf = out;
	*len = (size_t)size;
	return 0;
serr:
	pki_errf(err, errlen, "package: cannot read the zip back: %s",
	    zip_error_strerror(zip_source_error(src)));
	goto fail;
zerr:
	pki_errf(err, errlen, "package: cannot create the zip: %s", zip_error_strerror(&ze));
	if (src != NULL && za == NULL) {
		zip_source_free(src);
		src = NULL;
	}
fail:
	free(out);
	if (za != NULL)
		zip_discard(za);
	if (src != NULL) {
		if (opened)
			zip_source_close(src);
		zip_source_free(src);
	}
	zip_error_fini(&ze);
	return -1;
}

int
package_write_mem(const struct package_input *in, unsigned char **buf, size_t *len,
                  char *err, size_t errlen)
{
	struct sbuf settings = { 0 }, readme = { 0 }, peer = { 0 }, lreadme = { 0 }, ps1 = { 0 },
	            wreadme = { 0 };
	struct pkg_facts pf;
	int rc = -1;

	if (in == NULL || in->sc == NULL || in->chain == NULL || in->gateway_id == NULL ||
	    buf == NULL || len == NULL) {
		pki_errf(err, errlen, "package: missing input");
		return -1;
	}
	facts_init(&pf);
	if (facts_gather(in, &pf, err, errlen) != 0)
		goto out;
	if (build_settings(in, &pf, &settings, err, errlen) != 0)
		goto out;
	build_readme(in, &pf, &readme);
	build_peer(in, &pf, &peer);
	build_linux_readme(in, &pf, &lreadme);
	build_ps1(in, &pf, &ps1);
	build_windows_readme(in, &pf, &wreadme);
	if (settings.sb_oom || readme.sb_oom || peer.sb_oom || lreadme.sb_oom || ps1.sb_oom ||
	    wreadme.sb_oom) {
		pki_errf(err, errlen, "package: %s", strerror(ENOMEM));
		goto out;
	}
	{
		const struct pkg_entry ents[] = {
			{ "README.txt", readme.sb_buf, readme.sb_len },
			{ "Generic/VpnSettings.xml", settings.sb_buf, settings.sb_len },
			{ "Generic/VpnServerRoot.cer", pf.pf_root.raw.p, pf.pf_root.raw.len },
			{ "Linux/sstpc/README.txt", lreadme.sb_buf, lreadme.sb_len },
			{ "Linux/sstpc/ca.pem", pf.pf_root_pem, pf.pf_root_pem_len },
			{ "Linux/sstpc/" PKG_PEER_NAME, peer.sb_buf, peer.sb_len },
			{ "Windows/README.txt", wreadme.sb_buf, wreadme.sb_len },
			{ "Windows/p2sgw-vpn.ps1", ps1.sb_buf, ps1.sb_len },
		};

		rc = zip_entries(ents, sizeof(ents) / sizeof(ents[0]), buf, len, err, errlen);
	}
out:
	sb_free(&settings);
	sb_free(&readme);
	sb_free(&peer);
	sb_free(&lreadme);
	sb_free(&ps1);
	sb_free(&wreadme);
	facts_free(&pf);
	return rc;
}

int
package_write_file(const struct package_input *in, const char *path, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	if (path == NULL || path[0] == '\0') {
		pki_errf(err, errlen, "package: no output path");
		return -1;
	}
	if (package_write_mem(in, &buf, &len, err, errlen) != 0)
		return -1;
	rc = pki_file_write(path, buf, len, 0644, 0, err, errlen) == 0 ? 0 : -1;
	free(buf);
	return rc;
}
