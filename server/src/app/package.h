/*
 * Client configuration package: the zip a user downloads from the Azure
 * portal ("Download VPN client"), made for this gateway. Layout and the
 * VpnSettings.xml fields: docs/package.md.
 *
 *   Generic/VpnSettings.xml      older single-CA schema
 *   Generic/VpnServerRoot.cer    the root to trust, DER
 *   Linux/sstpc/ca.pem           the same root, PEM (byte-equal to root.crt)
 *   Linux/sstpc/p2sgw-peer       pppd peers file (pppd call p2sgw-peer)
 *   Linux/sstpc/README.txt       exact sstpc command lines
 *   README.txt                   gateway, root subject and SHA-1, generation time
 *
 * The bytes depend only on the inputs and on the generation time (one line
 * of README.txt); zip entry times are fixed.
 */
#ifndef P2SGW_PACKAGE_H
#define P2SGW_PACKAGE_H

#include <stddef.h>
#include <time.h>

#include "config/scenario.h"
#include "pki/pki.h"

struct package_input {
	const struct scenario  *sc;         /* hostname, pool, vnet routes, dns, ppp_auth, name */
	const struct pki_chain *chain;      /* served chain (leaf first), root_path, root_subject */
	const char             *gateway_id; /* GUID-like string, e.g. from pki_gateway_id() */
	time_t                  generated;  /* README.txt time; 0 = time(NULL) */
	int                     vpn_type;   /* PKG_VPN_*: what VpnSettings.xml says the gateway offers */
	int                     list_schema; /* VpnSettings.xml in the newer list form (CaCerts) */
};

/* <VpnType> as Azure writes it: an SSTP-only gateway, or "IKEv2 and SSTP". */
enum { PKG_VPN_SSTP = 0, PKG_VPN_IKEV2_SSTP = 1 };

/* Write the zip to path atomically (temp file in the same directory, fsync,
 * rename), mode 0644. 0, or -1 with a message in err. */
int package_write_file(const struct package_input *in, const char *path,
                       char *err, size_t errlen);

/* Build the zip in memory: *buf is malloc'd (caller frees), *len its size.
 * 0, or -1 with a message in err (*buf untouched). */
int package_write_mem(const struct package_input *in, unsigned char **buf, size_t *len,
                      char *err, size_t errlen);

#endif
