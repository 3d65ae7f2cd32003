/*
 * The gateway: the process's main event loop (signals, timeline, CRL
 * server, TUN device), the workers and their connections (net/), snapshot
 * swaps, faults, the client audit -- and the narrow interface the control
 * API and main() use. Nothing above app/ reads a struct conn or a struct
 * server field: they call the functions below.
 */
#ifndef P2SGW_SERVER_H
#define P2SGW_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <event2/event.h>

#include "app/auth_radius.h"
#include "app/netfault.h"
#include "app/shaper.h"
#include "config/snapshot.h"
#include "net/net.h"
#include "net/worker.h"
#include "tls/policy.h"
#include "util/evlog.h"
#include "util/reason.h"

struct audit;
struct crl_server;
struct mailbox;
struct timeline;

struct server_options {
	const char       *scenario;     /* name or file */
	const char       *listen;       /* ADDR:PORT */
	const char       *state_dir;
	enum evlog_format log_format;
	unsigned          workers;      /* worker threads, >= 1 */
};

/*
 * The main thread owns the event base here and is the only writer of the
 * current snapshot (s_net.snap); connections live on the workers
 * (net/worker.h). Fields marked [mu] are shared with the workers under
 * s_mu; [atomic] ones are counters any thread updates; the rest belong to
 * the main thread.
 */
struct server {
	struct net             s_net;      /* workers, connections, the current snapshot */
	struct event_base     *s_base;
	struct mailbox        *s_mail;     /* jobs for the main thread */
	struct event          *s_pump_timer; /* the event stream's next flush */
	uint64_t               s_pumped_ms;  /* now_ms() of the last one */
	unsigned               s_pump_ms;    /* the pump interval: sparse or busy */
	struct server_options  s_opt;
	char                   s_scenario_path[512];
	pthread_mutex_t        s_mu;
	unsigned               s_workers_done;
	_Atomic unsigned       s_sstp_sessions;  /* tunnels open (the SKU limit counts these) */
	struct shaper_group    s_shaper;         /* the throughput cap's shared figures */
	struct netfaults       s_netfaults;      /* network faults in force */
	int                    s_stopping;
	int                    s_tun_fd;         /* -1 unless network.backend is tun */
	struct crl_server     *s_crl;            /* CRL distribution point, once a scenario needs one */
	struct event          *s_tun_ev;
	struct event          *s_sigs[3];
	/* faults injected through the control API (POST /faults) */
	unsigned               s_fault_refuse_next;  /* [mu] refuse this many more handshakes */
	struct tls_refusal     s_fault_action;       /* [mu] ... this way */
	_Atomic uint64_t       s_maint_until;        /* now_ms() end of a maintenance window; 0: none */
	struct radius_faults   s_radius_faults;      /* the RADIUS path's (app/auth_radius.h) */
	struct audit          *s_audit;  /* client audit (locks itself) */
	struct timeline       *s_timeline;           /* scenario timeline timers (app/timeline.c) */
	char                   s_listen_at[1 + SC_MAX_LISTENERS][WORKER_ADDR_MAX]; /* bound:
	                                       --listen, then the scenario's listeners */
	unsigned               s_nlisten;
};

/* ---- life (main) -------------------------------------------------------- */

/* Load the scenario, build the first snapshot, open the audit, the CRL
 * server and the TUN device. NULL with err. */
struct server *server_new(const struct server_options *opt, char *err, size_t errlen);
/* Start the workers on opt->listen and the timeline. 0, or -1 with err. */
int            server_listen(struct server *s, char *err, size_t errlen);
/* The bound listening address; the CRL address ("" without one). */
const char    *server_listen_address(const struct server *s);
/* The address listener k (1..) of the scenario is bound to; NULL for no
 * such listener. */
const char    *server_listener_address(const struct server *s, unsigned k);
const char    *server_crl_address(const struct server *s);
unsigned       server_workers(const struct server *s);
/* Run until SIGTERM/SIGINT and every worker is done. */
void           server_run(struct server *s);
/* Stop the workers (at once: their calls end without waiting), the
 * timeline, the CRL server and the TUN device. */
void           server_shutdown(struct server *s);
/* server_shutdown, then free everything; emits "stop" if it ran. */
void           server_free(struct server *s, int ran);
struct event_base *server_base(struct server *s);

/* ---- policy ------------------------------------------------------------- */

/* The current snapshot, on the main thread only (which alone replaces it):
 * valid until the next server_apply. */
const struct snapshot *server_current(struct server *s);
/* The lab PKI's state directory. */
const char *server_state_dir(const struct server *s);
/* A reference to the current snapshot (any thread; snapshot_unref it). */
struct snapshot *server_snapshot(struct server *s);
/* Build a snapshot from sc and make it current for new connections;
 * emits an event of this type. 0, or -1 with err (current policy kept). */
int  server_apply(struct server *s, struct scenario *sc, const char *type,
                  char *err, size_t errlen);
/* Take the CRL distribution point offline (timeline crl-offline): its
 * address stays bound, connections to it are refused. */
void server_crl_offline(struct server *s);
/* The client audit (app/audit.h). */
struct audit *server_audit(struct server *s);

/* ---- counters ----------------------------------------------------------- */

struct server_stats {
	unsigned connections, half_open, sstp_sessions, workers;
	uint64_t accepted, refused;
	uint64_t closes[CR__COUNT];
	/* the throughput cap, per direction (0 up, 1 down) */
	uint64_t shaped_bytes[2], throttled_ms[2], queue_bytes, queue_drops;
	unsigned shaped_active[2];
};
void server_stats(struct server *s, struct server_stats *st);

/* ---- faults (control API) ----------------------------------------------- */

struct server_faults {
	unsigned           refuse_next;
	struct tls_refusal action;
	uint64_t           maintenance_left_ms; /* 0: none */
	uint32_t           radius_delay_ms, radius_drop_percent;
	int                radius_down;
};
void server_faults(struct server *s, struct server_faults *f);
void server_faults_refuse(struct server *s, unsigned next, const struct tls_refusal *action);
/* The RADIUS path: replies held delay_ms, drop_percent of them dropped,
 * or no request sent (down); all 0: no fault. */
void server_faults_radius(struct server *s, uint32_t delay_ms, uint32_t drop_percent, int down);
/* What the sign-ins of this gateway read. */
const struct radius_faults *server_radius_faults(struct server *s);
void server_faults_clear(struct server *s);
/* A maintenance window of ms: new connections are reset and every call is
 * ended (with reason CR_FAULT_INJECTED and detail). Returns how many were ended. */
unsigned server_maintenance(struct server *s, uint32_t ms, const char *detail);
/* Used by the gate: 1 (and *g turned into a CR_FAULT_INJECTED refusal)
 * while refuse_next is not used up. */
int  server_fault_gate(struct server *s, struct gate_result *g);

/* ---- sessions (control API) --------------------------------------------- */

/* What can be said of one connection, copied on its own thread. */
struct session_view {
	uint64_t    id;
	char        peer[64];
	const char *state;           /* conn_state_name */
	int         ending;
	int         tls_up;          /* the three below are set */
	const char *tls_version, *tls_suite;
	int         resumed;
	int         has_tunnel;      /* the three below are set */
	char        sstp_state[32];
	char        identity[128];   /* "" before authentication */
	uint32_t    client_addr;     /* 0 before IPCP */
	uint64_t    bytes_in, bytes_out, duration_ms;
	char        scenario[64];
	uint64_t    generation;
};
/* fn(view, arg) for every connection (called on the connections' threads,
 * one at a time, while the caller waits). */
void server_sessions(struct server *s, void (*fn)(const struct session_view *v, void *arg),
                     void *arg);
/* 0 and *v, or -1: no connection id. */
int  server_session(struct server *s, uint64_t id, struct session_view *v);
enum session_end { SESSION_END_DISCONNECT, SESSION_END_ABORT, SESSION_END_RESET };
/* End connection id the way asked, reporting reason; *done says what was
 * done. 0, or -1: no connection id. */
int  server_session_end(struct server *s, uint64_t id, enum session_end how,
                        enum close_reason reason, const char *detail, const char **done);

/* ---- for the tunnels (workers) ------------------------------------------ */

/* TUN backend: fd to write client packets to, or -1 (embedded responder). */
int server_tun_fd(struct server *s);
/* The shaper's group: active tunnels per direction and the figures. */
struct shaper_group *server_shaper_group(struct server *s);
/* The network faults (docs/faults.md). After a change, call
 * server_netfaults_changed so that idle tunnels see it at once. */
struct netfaults *server_netfaults(struct server *s);
void server_netfaults_changed(struct server *s);

#endif
