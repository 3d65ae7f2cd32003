/*
 * The configuration snapshot: a scenario turned into an immutable,
 * reference-counted object, built in order -- PKI (the served chain), TLS
 * (mbedtls_ssl_config per worker, session cache/tickets, the gate's
 * policy), PPP (EAP-TLS settings), network (the client address pool and
 * the throughput cap).
 *
 * A reload or rotation builds a new snapshot; a connection keeps the one it
 * started with, and everything in it, until it ends.
 */
#ifndef P2SGW_SNAPSHOT_H
#define P2SGW_SNAPSHOT_H

#include <stdint.h>
#include <time.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>

#include "config/scenario.h"
#include "pki/pki.h"
#include "ppp/ppp.h"
#include "tls/policy.h"
#include "vnet/pool.h"

#define SNAPSHOT_MAGIC 0x534e4150u /* "SNAP" */

/* The TLS configuration of worker 1, 2, ... (worker 0 uses conf). */
struct snapshot_worker {
	mbedtls_ssl_config        conf;
	mbedtls_pk_context        key;
	mbedtls_ssl_config        alt_conf;   /* the overlap chain's, when has_alt */
	mbedtls_pk_context        alt_key;
};

struct snapshot {
	uint32_t                  magic;
	_Atomic int               refs;
	uint64_t                  generation;
	struct scenario           sc;         /* owns the arrays mbedTLS points into */
	/* pki */
	struct pki_chain          chain;
	/* certificate.overlap: the second chain and its configuration; which
	 * connections get it is scenario_overlap_pick's answer, alt_turns the
	 * count of its share */
	int                       has_alt;
	struct pki_chain          alt;
	mbedtls_ssl_config        alt_conf;
	_Atomic uint64_t          alt_turns;
	/* tls */
	mbedtls_ssl_config        conf;
	struct snapshot_worker   *wk;         /* n_wk of them */
	unsigned                  n_wk;
	mbedtls_ssl_cache_context cache;
	mbedtls_ssl_ticket_context ticket;
	struct tls_gate           gate;
	/* ppp: EAP-TLS inside PPP: the gateway certificate again (as Azure
	 * does), client certificates required and chained to the client roots */
	int                       eap_ready;
	mbedtls_ssl_config        eap_conf;
	mbedtls_x509_crt          eap_cas;
	struct ppp_eap_tls        eap;
	/* network */
	struct addr_pool         *pool;       /* client addresses; NULL if it could not be built */
	uint64_t                  rate;       /* throughput cap per direction, all tunnels, bytes/s; 0: none */
	uint64_t                  tunnel_rate; /* cap per tunnel and direction, bytes/s; 0: none */
};

/* Build a snapshot from a loaded scenario: ensures the lab PKI in state_dir,
 * configures mbedTLS, builds the pool (shared with prev, the current
 * snapshot or NULL, when its prefix is the same). NULL with err on failure. */
struct snapshot *snapshot_build(const struct scenario *sc, const struct snapshot *prev,
                                const char *state_dir, int64_t now_ms, char *err,
                                size_t errlen);
struct snapshot *snapshot_ref(struct snapshot *s);
void             snapshot_unref(struct snapshot *s);
/* Snapshots built from now on carry one TLS configuration per worker. */
void             snapshot_set_workers(unsigned n);
/* The TLS configuration for connections of this worker (alt: the overlap
 * chain's, when the snapshot has one). */
const mbedtls_ssl_config *snapshot_conf(const struct snapshot *s, unsigned worker);
const mbedtls_ssl_config *snapshot_conf_for(const struct snapshot *s, unsigned worker, int alt);
/* Which chain a new connection gets: 1 for the overlap chain. Counts a turn
 * of the share; addr: IPv4 in host order, 0 if none. */
int snapshot_pick_alt(struct snapshot *s, const char *sni, uint32_t addr);
/* EAP-TLS settings for PPP, or NULL when the scenario does not offer EAP-TLS. */
const struct ppp_eap_tls *snapshot_eap_tls(const struct snapshot *s);

#endif
