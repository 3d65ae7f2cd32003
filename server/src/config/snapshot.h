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

/* The other places a snapshot serves from: certificate.endpoints, the
 * overlap's chain, then the listeners. Each has its chain (its own, or the
 * main one for a listener without), its TLS policy (its own, or tls.*) and
 * the gate's view of both. */
#define SNAPSHOT_MAX_ALTS (SC_MAX_ENDPOINTS + 1 + SC_MAX_LISTENERS)
struct snapshot_alt {
	const char                *name;      /* its chain profile (in sc) */
	struct pki_chain           chain;     /* its own chain, if it has one */
	const struct pki_chain    *use;       /* &chain or the snapshot's main chain */
	const struct sc_policy    *pol;       /* its own policy (in sc), or NULL */
	mbedtls_ssl_config         conf;
	struct tls_gate            gate;
};

/* The TLS configurations of worker 1, 2, ... (worker 0 uses conf). */
struct snapshot_worker {
	mbedtls_ssl_config        conf;
	mbedtls_pk_context        key;
	mbedtls_ssl_config        alt_conf[SNAPSHOT_MAX_ALTS];
	mbedtls_pk_context        alt_key[SNAPSHOT_MAX_ALTS];
};

struct snapshot {
	uint32_t                  magic;
	_Atomic int               refs;
	uint64_t                  generation;
	struct scenario           sc;         /* owns the arrays mbedTLS points into */
	/* pki */
	struct pki_chain          chain;
	/* the other places: alts[0..n_alts); a connection gets one by its
	 * listener or SNI (snapshot_alt_for) or by the overlap's rules
	 * (snapshot_overlap_pick; overlap_alt: its index + 1, 0 without an
	 * overlap); alt_turns counts the share */
	struct snapshot_alt       alts[SNAPSHOT_MAX_ALTS];
	unsigned                  n_alts;
	unsigned                  overlap_alt;
	unsigned                  listener_alt[SC_MAX_LISTENERS]; /* listener k + 1's */
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
/* The TLS configuration for connections of this worker (alt: 0 for the
 * main chain, k for alts[k - 1]). */
const mbedtls_ssl_config *snapshot_conf(const struct snapshot *s, unsigned worker);
const mbedtls_ssl_config *snapshot_conf_for(const struct snapshot *s, unsigned worker,
                                            unsigned alt);
/* Where a connection of listener (0: the main one, k: sc.listeners[k - 1])
 * with this SNI (or NULL) is served from, before its hello is judged: the
 * listener's alt, else an endpoint's by SNI, else 0. */
unsigned snapshot_alt_for(const struct snapshot *s, unsigned listener, const char *sni);
/* The gate of alt (0: the main policy and chain). */
const struct tls_gate *snapshot_gate(const struct snapshot *s, unsigned alt);
/* For an accepted connection of the main listener that no endpoint took:
 * the overlap's alt when its rules pick the connection (a turn of its share
 * counted), else 0; addr: IPv4 in host order, 0 if none. */
unsigned snapshot_overlap_pick(struct snapshot *s, const char *sni, uint32_t addr);
/* The chain alt serves (0: the main one). */
const struct pki_chain *snapshot_chain_of(const struct snapshot *s, unsigned alt);
/* The chain profile of alt (0: sc.chain). */
const char *snapshot_chain_name(const struct snapshot *s, unsigned alt);
/* EAP-TLS settings for PPP, or NULL when the scenario does not offer EAP-TLS. */
const struct ppp_eap_tls *snapshot_eap_tls(const struct snapshot *s);

#endif
