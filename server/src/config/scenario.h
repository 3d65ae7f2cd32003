/*
 * Scenario: one gateway era, rotation or error to reproduce, loaded from a
 * YAML file in scenarios/ (schema in docs/scenarios.md) with P2SGW_*
 * environment overrides. A loaded scenario is plain data; the TLS policy and
 * the certificate chain are built from it elsewhere.
 */
#ifndef P2SGW_SCENARIO_H
#define P2SGW_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>

#include "pki/pki.h"
#include "tls/policy.h"
#include "vnet/responder.h"

#define SC_MAX_SUITES TLS_MAX_SUITES
#define SC_MAX_CURVES 16
#define SC_MAX_HASHES 8
#define SC_MAX_USERS 32
#define SC_MAX_RADIUS 2     /* RADIUS servers, as on Azure */
#define SC_MAX_CLIENT_ROOTS 20   /* Azure: up to 20 root certificates */
#define SC_MAX_REVOKED 64
#define SC_MAX_ROUTES 8
#define SC_MAX_HOSTS 32
#define SC_MAX_TIMELINE 32        /* timeline: entries */
#define SC_TL_MAX_CIPHERS 8       /* tls.ciphers items of one policy entry */
#define SC_TL_MAX_AT_MS (7u * 24 * 3600000) /* latest `at` offset: 7 days */
#define SC_TL_MAX_WITHIN_MS (45u * 24 * 3600000) /* widest random window */
#define SC_MAX_CLOCK_SPEED 100000000u       /* a real second = 3 gateway years */

#define SC_AUTH_MSCHAPV2 1  /* same values as enum ppp_auth */
#define SC_AUTH_EAP_TLS  2

/*
 * A network fault (docs/faults.md), as the control API and the timeline
 * give it: what it does, in which direction, to which connections, for how
 * long. Toxiproxy's set, at the tunnel's packets.
 */
enum sc_nf_type { SC_NF_LATENCY = 0, SC_NF_BANDWIDTH, SC_NF_LOSS, SC_NF_LIMIT_DATA,
                  SC_NF_TIMEOUT, SC_NF_RESET_PEER, SC_NF_SLICER, SC_NF_SLOW_CLOSE,
                  SC_NF__COUNT };
#define SC_NF_UP   1u
#define SC_NF_DOWN 2u
struct sc_netfault {
	enum sc_nf_type type;
	unsigned dir;               /* SC_NF_UP | SC_NF_DOWN */
	unsigned share;             /* percent of connections (0..100), default 100 */
	bool     has_clients;       /* only clients in net/mask */
	uint32_t net, mask;         /* host order */
	uint32_t duration_ms;       /* 0: until removed */
	uint32_t latency_ms, jitter_ms; /* latency: each packet held latency +- jitter */
	uint64_t rate;              /* bandwidth: bytes/s per connection and direction */
	unsigned percent;           /* loss: packets dropped, percent */
	uint64_t bytes;             /* limit_data: close after this many tunnel bytes;
	                               slicer: the size of a piece (1..16384) */
	uint32_t after_ms;          /* timeout: close this long after it begins (0: never);
	                               reset_peer: reset after this long;
	                               slow_close: the socket closes this long after the end */
	uint32_t gap_ms;            /* slicer: the pause between pieces */
};
void sc_netfault_init(struct sc_netfault *f);
/* One field from text: type, direction, share, clients, duration, latency,
 * jitter, rate, percent, bytes, after, gap. */
int  sc_netfault_set(struct sc_netfault *f, const char *key, const char *value,
                     char *msg, size_t msglen);
/* Complete? (the type and what it needs) */
int  sc_netfault_check(const struct sc_netfault *f, char *msg, size_t msglen);
const char *sc_netfault_type_name(enum sc_nf_type t);
const char *sc_netfault_dir_name(unsigned dir);

/* One timeline entry (docs/scenarios.md "timeline"): at at_ms after the
 * start (or the last SIGHUP reload) the server does action. */
enum sc_tl_action {
	SC_TL_ROTATE = 1,  /* chain (+ variant): like POST /rotate */
	SC_TL_POLICY,      /* versions and/or ciphers: like PUT /policy */
	SC_TL_MAINTENANCE, /* duration_ms: like POST /faults {"maintenance_ms"} */
	SC_TL_REVOKE,      /* the served leaf goes on its issuer's CRL (CRL served) */
	SC_TL_CRL_OFFLINE, /* the CRL distribution point stops answering */
	SC_TL_RADIUS,      /* faults on the RADIUS path: like POST /faults {"radius"} */
	SC_TL_NETWORK,     /* a network fault: like POST /faults/network */
	SC_TL_OVERLAP,     /* start serving a second chain to some connections */
	SC_TL_OVERLAP_END, /* stop it */
};

struct sc_timeline {
	uint64_t          at_ms;     /* on the gateway clock, after it starts */
	bool              at_cal;    /* `at` was a UTC time (at_time) */
	time_t            at_time;
	uint32_t          within_ms; /* fire at a random time in [at, at + within) */
	enum sc_tl_action action;
	char              chain[64];                         /* rotate */
	int               variant;                           /* rotate: enum pki_variant */
	char              versions[4][16];                   /* policy, as written */
	size_t            n_versions;
	char              ciphers[SC_TL_MAX_CIPHERS][96];    /* policy, as written */
	size_t            n_ciphers;
	uint32_t          duration_ms;                       /* maintenance */
	uint32_t          radius_delay_ms, radius_drop_percent; /* radius */
	int               radius_down;
	struct sc_netfault netfault;                         /* network */
	int               line;                              /* in the file, for events; 0 */
};

/* certificate.overlap: for a window, some new connections get a second
 * chain (as behind a load balancer during a rotation). A connection gets it
 * when its SNI is one of sni, or its address is in net/mask, or by turns for
 * share percent of new connections. */
#define SC_MAX_OVERLAP_SNI 4
struct sc_overlap {
	bool     on;
	char     chain[64];
	int      variant;          /* enum pki_variant */
	unsigned share;            /* 0..100 */
	bool     has_clients;
	uint32_t net, mask;        /* host order */
	char     sni[SC_MAX_OVERLAP_SNI][254];
	size_t   n_sni;
};

/* A TLS policy of an endpoint or a listener's own: versions and ciphers as
 * written (either may be left out: tls.* then), resolved at load against the
 * scenario's tls section into the range and suites it serves. */
struct sc_policy {
	bool   set;                                /* else: the scenario's tls.* */
	char   versions[4][16];
	size_t n_versions;
	char   ciphers[SC_TL_MAX_CIPHERS][96];
	size_t n_ciphers;
	int    min_minor, max_minor;              /* resolved */
	int    suites[SC_MAX_SUITES + 1];         /* resolved, 0-terminated */
	size_t n_suites;
};

/* certificate.endpoints: badssl-style, a client sending this SNI gets its
 * own chain and variant (one fixture, many certificate cases), and its own
 * TLS policy when it has one. */
#define SC_MAX_ENDPOINTS 8
struct sc_endpoint {
	char sni[254];
	char chain[64];
	int  variant;              /* enum pki_variant */
	struct sc_policy pol;
};

/* listeners: more front ends of the gateway, each on its own port of the
 * gateway's address (--listen), with its own chain and TLS policy. The
 * ports are bound at start; a reload keeps them. Endpoints and the overlap
 * are the main listener's. */
#define SC_MAX_LISTENERS 4
struct sc_listener {
	char     name[32];
	uint16_t port;             /* 0: any free port (the READY line and /status say which) */
	char     chain[64];        /* "": certificate.chain, as it is at the time */
	int      variant;          /* enum pki_variant, with chain */
	struct sc_policy pol;
};

struct scenario {
	char     path[512];          /* file it was loaded from */
	char     name[64];
	char     description[512];

	/* gateway: */
	char     hostname[254];      /* gateway host name (leaf SAN) */
	bool     clock_fixed;        /* false: gateway clock = now + clock_offset */
	time_t   clock_at;           /* when clock_fixed */
	int64_t  clock_offset;       /* seconds, when !clock_fixed */
	uint32_t clock_speed;        /* gateway seconds per real second; 0: stopped */
	bool     clock_speed_set;    /* else 0 for a fixed clock, 1 for an offset */
	int64_t  clock_t0_ms;        /* real time (ms) the clock started (set by
	                                the server at load); 0: now */
	uint64_t seed;               /* gateway.seed: the timeline's random windows */
	bool     seed_set;
	unsigned max_connections;    /* concurrent TCP connections, 1..100000 */
	unsigned max_half_open;      /* ... of them without a finished TLS handshake */
	unsigned max_per_address;    /* ... from one client IP address; 0: no limit */

	/* tls: */
	int      min_minor, max_minor;            /* 1 = TLS 1.0, 2 = TLS 1.1, 3 = TLS 1.2 */
	int      eap_min_minor, eap_max_minor;    /* TLS inside EAP-TLS (ppp.eap_tls.tls_versions) */
	int      suites[SC_MAX_SUITES + 1];       /* mbedTLS/IANA ids in preference order, 0-terminated */
	size_t   n_suites;
	int      sig_hashes[SC_MAX_HASHES + 1];   /* MBEDTLS_MD_*, MBEDTLS_MD_NONE-terminated */
	mbedtls_ecp_group_id curves[SC_MAX_CURVES + 1]; /* MBEDTLS_ECP_DP_NONE-terminated */
	bool     session_resumption;              /* session cache + tickets */
	uint32_t handshake_timeout_ms;            /* TCP accept -> TLS handshake done */
	uint32_t idle_timeout_ms;                 /* after the handshake, no bytes from client */
	uint32_t stall_timeout_ms;                /* how long TLS_REFUSE_STALL holds a connection */
	struct tls_refusal refuse_version;         /* client's versions outside the policy */
	struct tls_refusal refuse_cipher;          /* no suite in common */
	struct tls_refusal refuse_malformed;       /* not TLS / malformed / SSLv2 hello */
	struct tls_refusal refuse_too_large;       /* hello larger than the engine reads */

	/* sstp: (docs/scenarios.md) */
	uint8_t  sstp_hash_bitmask;               /* 1 = SHA-1, 2 = SHA-256, 3 = both (default 3) */
	uint32_t sstp_negotiation_timeout_ms;     /* 60 s */
	uint32_t sstp_hello_interval_ms;          /* 60 s */
	unsigned sstp_max_sessions;               /* 128 on every Azure SKU */
	enum sc_limit_action { SC_LIMIT_HTTP_503 = 0, SC_LIMIT_RESET } sstp_limit_action;
	uint64_t throughput_bps;                  /* aggregate tunnel cap per direction, bytes/s, 0 = none */
	uint64_t throughput_tunnel_bps;           /* cap of each tunnel per direction, bytes/s, 0 = none */

	/* ppp: */
	int      ppp_auth[2];                     /* SC_AUTH_*, offered in this order */
	size_t   n_ppp_auth;
	unsigned ppp_auth_retries;                /* 3 */
	uint16_t ppp_mru;                         /* 1400 */
	struct sc_user { char name[64]; char password[128]; } users[SC_MAX_USERS];
	size_t   n_users;
	char     client_roots[SC_MAX_CLIENT_ROOTS][64]; /* chain profiles, purpose client */
	size_t   n_client_roots;
	uint8_t  revoked[SC_MAX_REVOKED][20];     /* SHA-1 thumbprints of revoked client certs */
	size_t   n_revoked;
	bool     revoke_lab_client;              /* "lab-client" in revoked_thumbprints */
	enum sc_authn { SC_AUTHN_LOCAL = 0, SC_AUTHN_RADIUS } auth_backend; /* ppp.auth_backend */
	/* gateway.sku: which Azure gateway this one is; SC_SKU_NONE: not said.
	 * A preset (sc_sku_info): the SSTP session limit and the throughput per
	 * direction unless set explicitly, and the feature gates (no RADIUS on
	 * Basic). */
	enum sc_sku { SC_SKU_NONE = 0, SC_SKU_BASIC, SC_SKU_VPNGW1, SC_SKU_VPNGW2, SC_SKU_VPNGW3,
	              SC_SKU_VPNGW4, SC_SKU_VPNGW5, SC_SKU_VPNGW1AZ, SC_SKU_VPNGW2AZ,
	              SC_SKU_VPNGW3AZ, SC_SKU_VPNGW4AZ, SC_SKU_VPNGW5AZ, SC_SKU__COUNT } sku;
	bool     throughput_set, max_sessions_set; /* written by the scenario, not the SKU */

	/* radius: (ppp.auth_backend radius; docs/radius.md) */
	struct sc_radius_server {
		uint32_t addr;                    /* host order */
		uint16_t port;
		char     secret[128];             /* never printed */
	} radius[SC_MAX_RADIUS];
	size_t   n_radius;
	uint32_t radius_timeout_ms;               /* a request, all tries and servers: 30 s */
	unsigned radius_retries;                  /* transmissions to one server: 3 */
	uint32_t radius_dead_time_ms;             /* a silent server is skipped this long: 60 s */
	char     radius_nas_identifier[64];       /* "p2sgw" */
	uint32_t radius_nas_ip;                   /* NAS-IP-Address, 0: not sent */
	char     radius_called_station[64];       /* Called-Station-Id; "": the gateway hostname */
	unsigned radius_no_answer_error;          /* E= sent when no server answers: 812 */

	/* network: (all addresses in host byte order) */
	uint32_t pool_net;                        /* client address pool, e.g. 172.16.201.0/24 */
	uint8_t  pool_prefix;
	uint32_t gateway_ip;                      /* default: first host address of the pool */
	uint32_t dns[2];
	size_t   n_dns;
	struct sc_route { uint32_t net; uint8_t prefix; } vnet[SC_MAX_ROUTES]; /* virtual network */
	size_t   n_vnet;
	struct vnet_host hosts[SC_MAX_HOSTS]; /* answer ping + DNS */
	size_t   n_hosts;
	uint16_t udp_sink_port, udp_source_port;  /* 9, 19 */
	uint16_t udp_echo_port;                   /* 7; 0 = off */
	enum sc_backend { SC_BACKEND_RESPONDER = 0, SC_BACKEND_TUN } backend; /* what is behind the gateway */
	char     tun_name[16];                    /* TUN device name for SC_BACKEND_TUN */

	/* certificate: */
	char     chain[64];                       /* chain profile name (certs/NAME.yaml) */
	enum pki_variant  variant;
	bool     leaf_key_set;                    /* false: the profile's leaf key type */
	enum pki_key_type leaf_key;
	/* renewal rule of the old self-signed gateways (docs/scenarios.md) */
	unsigned renew_after_pct;                 /* 1..99; 0 = off (or a remaining time below) */
	unsigned renew_left;                      /* renew when at most this much is left ... */
	bool     renew_left_months;               /* ... in calendar months (else days); 0 = off */
	bool     issued_set;                      /* else: the served leaf's notBefore */
	bool     issued_fixed;                    /* certificate.issued as a date */
	time_t   issued_at;                       /* when issued_fixed */
	int64_t  issued_offset;                   /* seconds relative to the gateway clock */
	struct sc_overlap overlap;                /* certificate.overlap */
	struct sc_endpoint endpoints[SC_MAX_ENDPOINTS]; /* certificate.endpoints */
	size_t   n_endpoints;
	struct sc_listener listeners[SC_MAX_LISTENERS]; /* listeners */
	size_t   n_listeners;
	char     cross_by[64];                    /* certificate.cross_signed_by: a
	                                             profile whose root cross-signs
	                                             chain's root; "" none */
	char     renew_to[64];                    /* chain after renewal */
	char     renew_from[64];                  /* the chain the rule renews:
	                                             certificate.chain as loaded (a
	                                             rotation elsewhere ends it) */

	/* timeline: sorted by at_ms (stable) */
	struct sc_timeline timeline[SC_MAX_TIMELINE];
	size_t   n_timeline;

	/* revocation: (docs/scenarios.md; CRLs in docs/pki.md) */
	enum sc_crl_mode {
		SC_CRL_OFF = 0,   /* no CRL distribution point in the leaf */
		SC_CRL_OK,        /* CDP in the leaf, CRL served */
		SC_CRL_OFFLINE,   /* CDP in the leaf, nothing listens: 0x80092013 */
		SC_CRL_REVOKED,   /* CRL served and lists the gateway's leaf: 0x80092010 */
		SC_CRL_NOT_FOUND, /* the distribution point answers 404 */
		SC_CRL_TIMEOUT,   /* it accepts the connection and never answers */
		SC_CRL_STALE,     /* it serves a CRL whose nextUpdate has passed */
		SC_CRL_WRONG_KEY, /* it serves a CRL not signed by the CA */
	} crl_mode;
	enum sc_aia_mode {
		SC_AIA_OFF = 0,   /* no Authority Information Access in the leaf */
		SC_AIA_OK,        /* caIssuers URL in the leaf, the issuer served there */
		SC_AIA_DOWN,      /* the URL in the leaf, the server answers 404 */
	} aia_mode;
	char     crl_listen[64];                  /* IPv4:port the CRL server listens on */
	char     crl_url_host[128];               /* host[:port] in the CDP URL; "" = crl_listen */
};

/* Fill *sc with the built-in defaults (those of azure-2018-tls12). */
void scenario_defaults(struct scenario *sc);

/* Resolve NAME (searched in the scenario directories) or a path to a file.
 * 0 and path filled; -1 with err. */
int scenario_resolve(const char *name_or_path, char *path, size_t pathlen,
                     char *err, size_t errlen);

/* Load a scenario file over the defaults, follow `base:`, apply P2SGW_*
 * environment overrides (when use_env), and validate. On failure returns -1
 * and err holds "file:line:column: key 'tls.versions': message". */
int scenario_load(const char *path, bool use_env, struct scenario *sc,
                  char *err, size_t errlen);

/* Same as scenario_load for a document in memory (len bytes, need not be
 * NUL-terminated): name stands for the file in messages and gives the
 * default scenario name; a relative `base:` path is relative to the current
 * directory. Used by the fuzz target, tests and the control API. */
int scenario_load_string(const char *buf, size_t len, const char *name, bool use_env,
                         struct scenario *sc, char *err, size_t errlen);

/* One override for scenario_override: a key as written in YAML
 * ("tls.versions") and its values (exactly one for a single value). */
struct sc_override {
	const char        *key;
	const char *const *values;
	size_t             n;
};

/* Change a loaded scenario with the loader's own value parsers and checks
 * (the control API's PUT /policy). Without tls.ciphers the current suites
 * are kept, filtered to the versions like a preset. origin names the source
 * in messages ("origin: key 'tls.versions': ..."). 0, or -1 with err and
 * *sc unchanged. */
int scenario_override(struct scenario *sc, const char *origin, const struct sc_override *ov,
                      size_t n, char *err, size_t errlen);

/* Cipher presets for tls.ciphers: the IANA suite names of preset name
 * (case-insensitive) in preference order and their count, or NULL. */
const char *const *scenario_cipher_preset(const char *name, size_t *n);
/* The same list as IANA code points (same order and count), or NULL. */
const uint16_t *scenario_cipher_preset_ids(const char *name, size_t *n);
/* The names of all presets. */
const char *const *scenario_cipher_preset_names(size_t *n);

/* The base of the leaf's CRL distribution point, "http://HOST:PORT": HOST
 * from revocation.url_host (with its port, if it has one), else the address
 * of revocation.listen; PORT from revocation.listen. "" (and 0) when
 * revocation.crl is off; -1 when it does not fit. */
int scenario_crl_base_url(const struct scenario *sc, char *buf, size_t len);

/* Apply the versions/ciphers of a policy timeline entry to *sc with the
 * loader's checks (scenario_override). 0, or -1 with err and *sc unchanged. */
int sc_timeline_policy(struct scenario *sc, const struct sc_timeline *e, const char *origin,
                       char *err, size_t errlen);
/* "rotate", "policy", "maintenance". */
const char *sc_timeline_action_name(enum sc_tl_action a);

/* Gateway clock for this scenario at real time now: it starts at
 * gateway.clock when the scenario is loaded (clock_t0) and runs at
 * gateway.clock_speed. */
time_t scenario_clock(const struct scenario *sc, time_t now);
/* The same at real time now_ms (milliseconds): a fast clock needs them. */
time_t scenario_clock_ms(const struct scenario *sc, int64_t now_ms);
/* Does a new connection get the overlap chain? turn: a number counted up
 * for each new connection (the share is spread evenly over the turns); addr:
 * the client's IPv4 address in host order, 0 if none. */
bool scenario_overlap_pick(const struct sc_overlap *o, const char *sni, uint32_t addr,
                           uint64_t turn);
/* A rotation: serve chain (a known profile name) with variant from now on;
 * it ends an overlap (the move is done). */
void scenario_rotate(struct scenario *sc, const char *chain, int variant);
/* certificate.overlap for events and GET /status: {chain, variant, share,
 * clients, sni, root_file}. */
json_t *scenario_overlap_json(const struct sc_overlap *o, const char *root_file);
/* Gateway seconds per real second (0: a stopped clock). */
uint32_t scenario_clock_speed(const struct scenario *sc);

/* Directories searched for scenarios and chain profiles, in order:
 * $P2SGW_SCENARIO_DIR / $P2SGW_CERTS_DIR, P2SGW_DATADIR/{scenarios,certs},
 * $P2SGW_SOURCE_DIR/{scenarios,certs}, compiled-in source dir. */
int config_find_file(const char *kind /* "scenarios" | "certs" */, const char *name,
                     char *path, size_t pathlen, char *err, size_t errlen);

/* Chain profiles (certs/NAME.yaml, schema in docs/pki.md). */
int profile_load(const char *path, struct pki_profile *p, char *err, size_t errlen);
/* Same for a document in memory; name stands for the file (its stem must
 * equal a `name:` given in the document). */
int profile_load_string(const char *buf, size_t len, const char *name,
                        struct pki_profile *p, char *err, size_t errlen);
/* Find by name and load. */
int profile_load_by_name(const char *name, struct pki_profile *p, char *err, size_t errlen);
/* List the names of all profiles found (unique, sorted); returns count or -1. */
int profile_list(char names[][64], size_t max, char *err, size_t errlen);

/* What a gateway SKU stands for (Azure's SKU table; docs/scenarios.md). */
struct sc_sku_info {
	const char *name;            /* "VpnGw1" */
	unsigned    sstp_sessions;   /* P2S SSTP connections */
	uint64_t    throughput_bps;  /* aggregate throughput benchmark, bytes/s */
	const char *throughput_text; /* "650Mbit" */
	bool        radius;          /* RADIUS authentication offered */
	const char *source;          /* where the figures come from */
};
/* NULL for SC_SKU_NONE or out of range. */
const struct sc_sku_info *sc_sku_info(enum sc_sku sku);


#endif
