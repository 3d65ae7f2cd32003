/*
 * TLS policy: a scenario turned into an immutable, reference-counted
 * snapshot (mbedtls_ssl_config + served chain + session cache/tickets), and
 * the ClientHello gate that decides, before mbedTLS sees a byte, whether a
 * client is accepted and, if not, how it is refused.
 *
 * A reload or rotation builds a new snapshot; connections keep the one they
 * started with until they end.
 */
#ifndef P2SGW_POLICY_H
#define P2SGW_POLICY_H

#include <stdint.h>
#include <time.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>

#include "config/scenario.h"
#include "pki/pki.h"
#include "ppp/ppp.h"
#include "tls/clienthello.h"
#include "util/reason.h"

#define SNAPSHOT_MAGIC 0x534e4150u /* "SNAP" */

struct policy_suite {
	uint16_t id;
	uint8_t  min_minor, max_minor;
	uint8_t  ecdhe;   /* needs a shared curve */
};

/* The TLS configuration of worker 1, 2, ... (worker 0 uses conf). */
struct snapshot_worker {
	mbedtls_ssl_config        conf;
	mbedtls_pk_context        key;
};

struct tls_snapshot {
	uint32_t                  magic;
	_Atomic int               refs;
	uint64_t                  generation;
	struct scenario           sc;         /* owns the arrays mbedTLS points into */
	struct pki_chain          chain;
	mbedtls_ssl_config        conf;
	struct snapshot_worker   *wk;         /* n_wk of them */
	unsigned                  n_wk;
	mbedtls_ssl_cache_context cache;
	mbedtls_ssl_ticket_context ticket;
	struct policy_suite       usable[SC_MAX_SUITES]; /* suites usable with the served key */
	size_t                    n_usable;
	/* EAP-TLS inside PPP: the gateway certificate again (as Azure does),
	 * client certificates required and chained to the scenario's client roots */
	int                       eap_ready;
	mbedtls_ssl_config        eap_conf;
	mbedtls_x509_crt          eap_cas;
	struct ppp_eap_tls        eap;
};

/* Build a snapshot from a loaded scenario: ensures the lab PKI in state_dir
 * and configures mbedTLS. NULL with err on failure. */
struct tls_snapshot *snapshot_build(const struct scenario *sc, const char *state_dir,
                                    time_t now, char *err, size_t errlen);
struct tls_snapshot *snapshot_ref(struct tls_snapshot *s);
/* Snapshots built from now on carry one TLS configuration per worker. */
void                 snapshot_set_workers(unsigned n);
/* The TLS configuration for connections of this worker. */
const mbedtls_ssl_config *snapshot_conf(const struct tls_snapshot *s, unsigned worker);
/* EAP-TLS settings for PPP, or NULL when the scenario does not offer EAP-TLS. */
const struct ppp_eap_tls *snapshot_eap_tls(const struct tls_snapshot *s);
void                 snapshot_unref(struct tls_snapshot *s);

enum gate_verdict { GATE_ACCEPT, GATE_REFUSE };

struct gate_result {
	enum gate_verdict verdict;
	enum close_reason reason;     /* for GATE_REFUSE */
	struct sc_refusal action;     /* for GATE_REFUSE */
	uint16_t          version;    /* version mbedTLS will negotiate, for GATE_ACCEPT */
	char              why[512];   /* plain words, for the event log */
};

/* Decide on a parsed (or unparseable) first flight. Pure function. */
void policy_gate(const struct tls_snapshot *s, enum ch_status st,
                 const struct ch_info *ch, struct gate_result *out);

/* "reset", "fin", "stall", "alert:protocol_version" */
const char *refusal_name(const struct sc_refusal *r, char *buf, size_t len);
/* What a Windows client reports for this refusal action. */
const char *refusal_client_error(const struct sc_refusal *r);

#endif
