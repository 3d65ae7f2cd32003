/*
 * scenario_int: the loader state shared by scenario.c (reading YAML and the
 * environment) and scenario_check.c (expanding and validating at the end).
 * Not for use outside config/.
 */
#ifndef P2SGW_SCENARIO_INT_H
#define P2SGW_SCENARIO_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/scenario.h"
#include "util/log.h"

#define SC_MAX_BASE_DEPTH  8   /* base: chain length */
#define SC_MAX_LIST_ITEMS  128 /* items in one YAML or environment list */
#define SC_MAX_ENV_VALUE   4096
#define SC_FILE_MAX        512

/* Where a value came from, for messages: a file position, an environment
 * variable, or the built-in defaults (neither). */
struct sc_origin {
	const char *file;   /* ld_files[] entry, or NULL */
	int         line;   /* 1-based; 0 when unknown */
	int         col;
	const char *env;    /* environment variable name, or NULL */
};

/* One tls.ciphers entry: a preset or a single suite. */
struct sc_cipher_item {
	int               preset;   /* 1: a preset named name; 0: suite id; 2: suite id kept
	                             * by scenario_override (dropped if it does not fit) */
	int               id;
	char              name[96]; /* as written */
	struct sc_origin  at;
};

struct sc_load {
	struct scenario       ld_sc;        /* built here, copied out on success */
	int                   ld_depth;     /* 0 = the file asked for, 1.. = bases */
	bool                  ld_in_env;    /* applying P2SGW_* variables */
	/* where gateway.sku and the values it presets were set: the file's
	 * depth, -1 for the environment, INT_MAX for nowhere. A value set at
	 * the SKU's depth or nearer wins over the preset. */
	int                   ld_lvl_sku, ld_lvl_throughput, ld_lvl_sessions;
	char                  ld_files[SC_MAX_BASE_DEPTH + 1][SC_FILE_MAX];
	char                  ld_real[SC_MAX_BASE_DEPTH + 1][PATH_MAX];
	bool                  ld_name_set;

	struct sc_cipher_item ld_ciphers[SC_MAX_LIST_ITEMS];
	size_t                ld_nciphers;

	/* origins of the values validation may complain about */
	struct sc_origin      ld_at_versions, ld_at_ciphers, ld_at_hashes, ld_at_curves,
	                      ld_at_chain, ld_at_crl;
	struct sc_origin      ld_at_auth, ld_at_roots, ld_at_pool, ld_at_gateway;
	struct sc_origin      ld_at_backend, ld_at_radius, ld_at_sku;
	struct sc_origin      ld_at_vnet[SC_MAX_ROUTES];  /* each route */
	struct sc_origin      ld_at_hosts[SC_MAX_HOSTS];  /* each host's address */
	bool                  ld_gateway_set;  /* else: first host address of the pool */
	struct sc_origin      ld_at_timeline[SC_MAX_TIMELINE]; /* each entry (sorted order) */
	struct sc_origin      ld_at_endpoints[SC_MAX_ENDPOINTS];
	struct sc_origin      ld_at_listeners[SC_MAX_LISTENERS];

	char                 *ld_err;
	size_t                ld_errlen;
};

/* err = "file:line:col: key 'k': msg", "environment VAR: msg", or
 * "file: key 'k' (default): msg" for a built-in default. Returns -1. */
int  sc_err(struct sc_load *ld, const struct sc_origin *at, const char *key,
            const char *fmt, ...) P2SGW_PRINTF(4, 5);

/* Expand tls.ciphers, check that mbedTLS can honour the whole policy and
 * fill ld_sc.suites; fill in the gateway address default and check the
 * ppp and network sections against each other. 0 or -1 with ld_err. */
int  sc_check(struct sc_load *ld);

struct ydoc;
struct ynode;
/* scenario_timeline.c: read `timeline:` (node v) into ld_sc.timeline. */
int  sc_timeline_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v);
/* The position of node n, for messages. */
struct sc_origin sc_at_node(struct sc_load *ld, const struct ynode *n);
/* A list of scalars (at most max, each shorter than width) into out. */
int  sc_scalar_list(struct sc_load *ld, const struct ydoc *d, const struct ynode *v,
                    const char *key, size_t max, char *out, size_t width, size_t *n);
/* scenario_listen.c: certificate.endpoints (node v) into ld_sc.endpoints,
 * `listeners:` into ld_sc.listeners. */
int  sc_endpoints_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v);
int  sc_listeners_yaml(struct sc_load *ld, const struct ydoc *d, const struct ynode *v);
/* After sc_check: the own policies of endpoints and listeners resolved
 * against ld_sc's tls.*, and every chain checked against the suites it is
 * served with. 0 or -1 with ld_err. */
int  sc_policies_resolve(struct sc_load *ld);
/* scenario_check.c: certificate.overlap against the main chain's key kind. */
int  sc_check_overlap(struct sc_load *ld, enum pki_key_type key);
/* UTC times of the timeline made offsets on the gateway clock, in order;
 * -1 (with the error set) when the clock cannot place them. */
int  sc_timeline_resolve(struct sc_load *ld);
/* Try every policy entry of the timeline on a copy of ld_sc (after
 * sc_check). 0 or -1 with ld_err at the entry. */
int  sc_timeline_try(struct sc_load *ld);

/* Versions and ciphers as written (either list may be empty: kept) applied
 * to *sc with the loader's checks (scenario_override). 0, or -1 with err
 * and *sc unchanged. */
int  sc_policy_apply(struct scenario *sc, const char *origin, const char (*versions)[16],
                     size_t nv, const char (*ciphers)[96], size_t nc, char *err, size_t errlen);

/* The built-in tls.ciphers: preset azure-2018. */
void sc_default_ciphers(struct sc_load *ld);

#endif
