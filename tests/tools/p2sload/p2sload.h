/*
 * p2sload.h - internal header of p2sload, the load generator of p2sgw
 * (tests/tools/p2sload only).  Like p2s_client it shares no code with the
 * server under test; it reuses only tests/tools/p2s_crypto.c.
 *
 * One process, one thread, one libevent event_base; one small state machine
 * per connection; mbedTLS over non-blocking socket callbacks, or OpenSSL
 * (--tls-lib openssl) when the client's own record crypto must cost less than
 * the gateway's (mbedTLS has no stitched AES-GCM, OpenSSL does: a client on
 * OpenSSL leaves the gateway as the pace of a throughput run).
 *
 * p2sload.c    command line, the mode drivers, the report
 * pl_conn.c    connection object: TCP, TLS, buffers, the one close path
 * pl_session.c HTTP, SSTP, PPP (LCP, MS-CHAPv2, IPCP), echo, the data pump
 * pl_abuse.c   the misbehaving clients of `abuse`
 * pl_stats.c   samples, percentiles, the error table, key/value output
 */
#ifndef P2SLOAD_H
#define P2SLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <openssl/ssl.h>

#define PL_EX_OK    0
#define PL_EX_RUN   1           /* could not run at all */
#define PL_EX_USAGE 2

#define PL_CONN_MAGIC 0x504c434eU   /* "PLCN" */
#define PL_SSTP_MAX   4095
#define PL_RBUF_SMALL (20 * 1024)
#define PL_RBUF_LARGE (128 * 1024)
#define PL_WBUF_MAX   (1024 * 1024)
#define PL_MAX_ERRORS 64

enum pl_mode { MODE_HANDSHAKE, MODE_SESSIONS, MODE_STORM, MODE_THROUGHPUT, MODE_ABUSE };
enum pl_abuse_kind { AB_IDLE, AB_SLOW, AB_MTLS, AB_MSSTP, AB_MPPP, AB_EARLY };

struct pl_opts {
	enum pl_mode mode;
	const char *servername;
	const char *ca;
	const char *user;
	const char *password;
	const char *cipher;
	const char *curve;
	int openssl;                    /* --tls-lib openssl */
	const char *target_str;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	uint32_t src_first, src_last;   /* host order; 0 = no --source */
	long concurrency;
	int concurrency_set;
	double duration;
	long n;
	int n_set;
	int json;
	int resume;
	double hold;
	double echo_interval;
	int echo_lcp;                   /* --echo lcp: LCP Echo-Request, not SSTP ECHO_REQUEST */
	double setup_limit;             /* --setup-limit: start no session after this (0: none) */
	long size;
	int icmp;
	int dir;                        /* PL_DIR_*: which way the data goes (UDP) */
	long window;
	uint8_t target[4];
	enum pl_abuse_kind abuse;
	int abuse_set;
	long interval_ms;
	double step_s;                  /* per setup step timeout */
	double reconnect_s;     /* abuse: pause before a client reconnects */
};

/* Setup stages, in order; abuse hooks act at one of them. */
enum pl_stage {
	ST_TCP = 1, ST_TLS, ST_HTTP_SENT, ST_HTTP_OK, ST_SSTP_ACK, ST_LCP_OPEN,
	ST_CHAP_SENT, ST_UP,
};

enum pc_state {
	PC_IDLE = 0,            /* no socket */
	PC_CONNECTING,
	PC_TLS,
	PC_HTTP,                /* SSTP_DUPLEX_POST sent, waiting for the reply */
	PC_SSTP,                /* CALL_CONNECT_REQUEST sent */
	PC_PPP,                 /* LCP, auth, CALL_CONNECTED, IPCP */
	PC_UP,                  /* tunnel established */
	PC_ABUSE,               /* TLS up, misbehaving; input discarded */
	PC_RAW,                 /* raw TCP, no TLS (idle, slow, malformed-tls) */
};

/* How a connection ended, from the client's point of view. */
enum pc_end { END_NONE = 0, END_FIN, END_RST, END_ALERT, END_NOTIFY, END_BY_US };

struct pl_run;

/* throughput --dir: both (echo: the same data back), up (data to the
 * gateway's UDP sink, 8-byte acknowledgements back), down (small requests
 * to the UDP source, data back). */
enum { PL_DIR_BOTH = 0, PL_DIR_UP, PL_DIR_DOWN };

struct pl_conn {
	uint32_t c_magic;
	struct pl_run *c_run;
	int c_idx;
	int c_fd;
	enum pc_state c_state;
	struct event *c_ev_r, *c_ev_w, *c_ev_tmo, *c_ev_tick;
	int c_w_added;
	int c_restart;                  /* c_ev_tmo is the restart timer */

	/* TLS */
	mbedtls_ssl_context c_ssl;
	int c_ssl_live;
	int c_hs_wantw;
	int c_saw_cert;                 /* full handshake (server sent Certificate) */
	mbedtls_ssl_session c_sess;     /* handshake --resume: this slot's session */
	int c_have_sess;
	SSL *c_ossl;                    /* --tls-lib openssl: instead of c_ssl */
	SSL_SESSION *c_ossl_sess;       /* handshake --resume: this slot's session */

	/* plaintext buffers */
	uint8_t *c_rbuf;
	size_t c_rlen, c_rcap;
	uint8_t *c_wbuf;
	size_t c_woff, c_wlen, c_wcap;  /* unsent bytes: wbuf[woff..wlen) */
	size_t c_wmax;                  /* largest record payload */
	size_t c_wpend;                 /* length of the write that returned WANT_WRITE */
	int c_wunaligned;               /* wbuf holds junk: do not cut at SSTP packets */

	/* how the peer ended it */
	enum pc_end c_end;
	int c_sock_err;

	/* timing */
	double c_t_start;

	/* SSTP */
	uint8_t c_nonce[32];
	uint8_t c_bitmask;
	int c_hash;

	/* PPP */
	uint8_t c_lcp_id, c_ipcp_id, c_chap_id;
	uint32_t c_magicnum;
	uint16_t c_peer_mru;
	unsigned c_lcp_our : 1, c_lcp_peer : 1, c_chap_resp : 1, c_auth_ok : 1,
	    c_ipcp_our : 1, c_ipcp_peer : 1, c_ipcp_dns : 1, c_lcp_open_seen : 1;
	unsigned c_lcp_no_mru : 1, c_lcp_no_magic : 1;  /* rejected by the peer */
	uint16_t c_our_mru;             /* MRU we ask for (the peer may Nak it) */
	uint8_t c_ncp_naks;             /* Nak/Reject rounds of LCP and IPCP so far */
	uint8_t c_peer_chal[16], c_nt_resp[24];
	char c_want[43];
	uint8_t c_our_ip[4], c_dns_ip[4];

	/* hold: SSTP echo requests in flight (answers come in order) */
#define PL_ECHO_RING 64
	double c_echo_ts[PL_ECHO_RING];
	int c_echo_head, c_echo_n;
	uint8_t c_echo_id;              /* --echo lcp: Identifier of the last Echo-Request */

	/* throughput */
	long c_inflight;
	uint16_t c_ipid;
	double c_last_rx;
	uint64_t c_bytes;               /* data delivered (see --dir) */
	uint64_t c_bytes_window;        /* ... by the end of the pump phase */

	/* abuse */
	int c_abuse_stage;              /* stage to act at */
	int c_abuse_variant;
	int c_abuse_rst;                /* early-close: reset instead of FIN */
	size_t c_raw_sent;              /* slow: ClientHello bytes sent */
	size_t c_raw_skip;              /* raw input: bytes left of the current record */
	uint8_t c_raw_hdr[5];
	size_t c_raw_hlen;
	int c_raw_alert;
};

/* Run phases (struct pl_run.phase). */
enum pl_phase { PH_SETUP = 0, PH_HOLD, PH_PUMP, PH_DRAIN, PH_DONE };

struct pl_samples {
	double *v;
	size_t n, cap;
};

struct pl_err {
	char text[160];
	long count;
};

struct pl_run {
	struct pl_opts *o;
	struct event_base *base;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	int ciphers[2];
	mbedtls_ecp_group_id curves[4];
	mbedtls_ssl_session sess;       /* sessions/storm --resume: shared */
	int have_sess;
	SSL_CTX *ossl;                  /* --tls-lib openssl */
	SSL_SESSION *ossl_sess;         /* sessions/storm --resume: shared */
	uint8_t clienthello[2048];      /* a valid ClientHello record (abuse) */
	size_t clienthello_len;

	struct pl_conn *conns;
	int nconns;
	uint32_t src_next;

	int phase;                      /* mode specific, see p2sload.c */
	int stopping;
	int priming;                    /* --resume: the handshake before the run */
	double t0, t_setup_done, t_phase;
	struct event *ev_phase;

	/* figures */
	long handshakes, resumed, hs_failures;
	long started, up, failed, in_setup;
	long lost_hold;
	long echo_sent, echo_answered;
	long pk_sent, pk_echoed;
	long pk_echoed_window;          /* echoed before the pump phase ended */
	double phase_pump_s;
	long still_open;
	uint64_t bytes_echoed;
	uint64_t bytes_window;          /* data delivered before the pump phase ended */
	long ab_conns, ab_rst, ab_fin, ab_alert, ab_notify, ab_by_client;
	long tcp_ok, tcp_fail;
	struct pl_samples lat, rtt;

	struct pl_err errs[PL_MAX_ERRORS];
	int nerrs;
	long nerr_total;
};

/* pl_stats.c */
double pl_now(void);
void samples_add(struct pl_samples *s, double v);
double samples_pct(struct pl_samples *s, double p);
double samples_max(const struct pl_samples *s);
void samples_free(struct pl_samples *s);
void pl_error(struct pl_run *r, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));
void report_begin(int json);
void report_str(const char *key, const char *val);
void report_int(const char *key, long long v);
void report_dbl(const char *key, double v, int decimals);
void report_end(struct pl_run *r);

/* pl_conn.c */
int conn_init(struct pl_run *r, struct pl_conn *c, int idx);
void conn_free(struct pl_conn *c);
int conn_start(struct pl_conn *c);
void conn_close(struct pl_conn *c, const char *reason);
void conn_fail(struct pl_conn *c, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));
void conn_deadline(struct pl_conn *c, double secs);
void conn_tick_in(struct pl_conn *c, double secs);
void conn_schedule_restart(struct pl_conn *c, double secs);
int conn_queue(struct pl_conn *c, const void *p, size_t len);
int conn_flush(struct pl_conn *c);
void conn_io_update(struct pl_conn *c);
int conn_tls_begin(struct pl_conn *c);
int conn_raw_send(struct pl_conn *c, const void *p, size_t len);
int conn_peer_cert(struct pl_conn *c, uint8_t *der, size_t cap, size_t *len);
const char *conn_state_name(enum pc_state s);
void rng(struct pl_run *r, void *p, size_t n);

/* pl_session.c */
int sess_tls_done(struct pl_conn *c);
int sess_input(struct pl_conn *c);
int sess_send_echo(struct pl_conn *c);
int sess_pump(struct pl_conn *c);
int sess_ppp_send(struct pl_conn *c, uint16_t proto, const uint8_t *p, size_t len);
int sess_http_request(struct pl_conn *c);
int sess_connect_request(struct pl_conn *c);
int sess_disconnect(struct pl_conn *c);

/* pl_abuse.c */
void abuse_plan(struct pl_conn *c);
int abuse_connected(struct pl_conn *c);
int abuse_stage(struct pl_conn *c, enum pl_stage st);
void abuse_raw_input(struct pl_conn *c, const uint8_t *p, size_t n);
void abuse_tick(struct pl_conn *c);
int abuse_capture_clienthello(struct pl_run *r);

/* p2sload.c: events from the connections to the mode driver */
void run_tls_done(struct pl_conn *c);
void run_session_up(struct pl_conn *c);
void run_conn_closed(struct pl_conn *c, enum pc_state was, const char *reason);
void run_tick(struct pl_conn *c);

#endif
