/*
 * net/conn.c and net/tls_conn.c over a socketpair: a connection made with
 * conn_new() on one end, the test (plain writes or an in-process mbedTLS
 * client) on the other, and fake conn_ops that record every upcall. The
 * worker is a hand-made fixture (its event base, its lists); the loop runs
 * with EVLOOP_NONBLOCK until a condition holds, never with a sleep. Close
 * events are read back from the event log (evlog_setup on a memstream).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "config/scenario.h"
#include "config/snapshot.h"
#include "net/conn.h"
#include "net/net.h"
#include "net/worker.h"
#include "tls/tls_names.h"
#include "util/evlog.h"
#include "util/reason.h"
#include "util/rng.h"

#define LOOP_CAP 2000 /* event loop iterations before a wait counts as failed */

static char state_dir[] = "/tmp/p2sgw-test-net-conn-XXXXXX";

/*
 * send() of the gateway's end, seen and choked by the test: this executable
 * links with -Wl,--wrap=send (tests/CMakeLists.txt), so the calls of
 * net/tls_conn.c come here. choke: every other call finds the socket full.
 */
static struct {
	int      fd;       /* the connection's socket; -1: pass everything through */
	unsigned calls;
	size_t   cap;      /* > 0: at most this many bytes a call */
	int      choke, full;
} W = { -1, 0, 0, 0, 0 };

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);

ssize_t
__wrap_send(int fd, const void *buf, size_t len, int flags)
{
	if (fd != W.fd)
		return __real_send(fd, buf, len, flags);
	W.calls++;
	if (W.choke && (W.full = !W.full)) {
		errno = EAGAIN;
		return -1;
	}
	if (W.cap > 0 && len > W.cap)
		len = W.cap;
	return __real_send(fd, buf, len, flags);
}
static struct snapshot *snap;

/* ---- fake application: what was called, with what ----------------------- */

enum ff_mode {
	FF_WAIT,      /* record only */
	FF_START_TLS, /* conn_start_tls once a TLS record is complete */
	FF_REFUSE,    /* conn_refuse(refuse_reason, refuse_action) once complete */
};

struct rec {
	/* first_flight */
	unsigned          ff_calls;
	size_t            ff_len[16];
	uint8_t           ff_last[4096];   /* every byte the gate was given, in order */
	size_t            ff_total;
	/* tls_done, established */
	unsigned          tls_done, tls_failed, established;
	/* input */
	uint8_t           in[4096];
	size_t            in_len;
	unsigned          input_calls;
	/* lower_down */
	unsigned          lower_down;
	/* end_call */
	unsigned          end_calls;
	int               end_abort;
	enum close_reason end_reason;
	char              end_detail[128];
	/* closing */
	unsigned          closing;
	enum close_reason close_reason;
	char              close_detail[256];
	int               close_had_detail;
};

static struct fixture {
	struct net          net;
	struct worker       w;
	struct conn        *c;     /* NULL once closed */
	uint64_t            id;    /* c's id */
	int                 peer;  /* the test's end of the socketpair */
	FILE               *evf;
	char               *evbuf;
	size_t              evlen;
	struct rec          r;
	/* how the fake application answers */
	enum ff_mode        ff_mode;
	enum close_reason   refuse_reason;
	struct tls_refusal  refuse_action;
	int                 end_on_input;   /* input "bye" -> conn_end */
	int                 call_open;      /* end_call: a call to end (writes ABORT, returns 1) */
} F;

static int
record_complete(const uint8_t *buf, size_t len)
{
	return len >= 5 && buf[0] == 0x16 && len >= 5 + ((size_t)buf[3] << 8 | buf[4]);
}

static void
fake_first_flight(struct conn *c, const uint8_t *buf, size_t len)
{
	if (F.r.ff_calls < 16)
		F.r.ff_len[F.r.ff_calls] = len;
	F.r.ff_calls++;
	assert_true(len <= sizeof(F.r.ff_last) - F.r.ff_total);
	memcpy(F.r.ff_last + F.r.ff_total, buf, len);
	F.r.ff_total += len;
	if (!record_complete(F.r.ff_last, F.r.ff_total))
		return;
	if (F.ff_mode == FF_START_TLS) {
		uint8_t *pre = malloc(F.r.ff_total);
		assert_non_null(pre);
		memcpy(pre, F.r.ff_last, F.r.ff_total);
		conn_start_tls(c, pre, F.r.ff_total, 0);
	} else if (F.ff_mode == FF_REFUSE)
		conn_refuse(c, F.refuse_reason, &F.refuse_action, "refused by the test gate");
}

static void
fake_tls_done(struct conn *c, const struct tls_end *failed)
{
	F.r.tls_done++;
	if (failed != NULL)
		F.r.tls_failed++;
}

static void
fake_established(struct conn *c)
{
	F.r.established++;
}

static void
fake_input(struct conn *c, const uint8_t *buf, size_t len, uint64_t now)
{
	F.r.input_calls++;
	assert_true(F.r.in_len + len <= sizeof(F.r.in));
	memcpy(F.r.in + F.r.in_len, buf, len);
	F.r.in_len += len;
	if (F.end_on_input && len >= 3 && memcmp(buf + len - 3, "bye", 3) == 0)
		conn_end(c, CR_SSTP_CLIENT_DISCONNECT, "the client said bye");
}

static void
fake_lower_down(struct conn *c, enum close_reason r, const char *detail)
{
	F.r.lower_down++;
}

static uint64_t
fake_deadline(struct conn *c)
{
	return 0;
}

static void
fake_tick(struct conn *c, uint64_t now)
{
}

static int
fake_end_call(struct conn *c, int abort, enum close_reason r, const char *detail, uint64_t now)
{
	F.r.end_calls++;
	F.r.end_abort = abort;
	F.r.end_reason = r;
	snprintf(F.r.end_detail, sizeof(F.r.end_detail), "%s", detail ? detail : "");
	if (!F.call_open)
		return 0;
	conn_write(c, (const uint8_t *)"ABORT", 5); /* as if CALL_ABORT went out */
	return 1;
}

static void
fake_closing(struct conn *c, enum close_reason r, const char *detail)
{
	assert_ptr_equal(c, F.c);
	F.r.closing++;
	F.r.close_reason = r;
	F.r.close_had_detail = detail != NULL;
	snprintf(F.r.close_detail, sizeof(F.r.close_detail), "%s", detail ? detail : "");
	F.c = NULL;
}

static const struct conn_ops fake_conn_ops = {
	.first_flight = fake_first_flight,
	.tls_done = fake_tls_done,
	.established = fake_established,
	.input = fake_input,
	.lower_down = fake_lower_down,
	.deadline = fake_deadline,
	.tick = fake_tick,
	.end_call = fake_end_call,
	.closing = fake_closing,
};

static int
fake_admit(void *app, struct conn *c)
{
	return 0;
}

static void
fake_worker_done(void *app)
{
}

static const struct net_ops fake_net_ops = {
	.conn = &fake_conn_ops,
	.admit = fake_admit,
	.worker_done = fake_worker_done,
};

/* ---- the loop and the event log ---------------------------------------- */

static void
loop_once(void)
{
	assert_true(event_base_loop(F.w.w_base, EVLOOP_NONBLOCK) >= 0);
}

/* Run the worker's loop until cond holds (at most LOOP_CAP iterations). */
#define LOOP_UNTIL(cond)                                                             \
	do {                                                                         \
		for (int loop_i_ = 0; loop_i_ < LOOP_CAP && !(cond); loop_i_++)      \
			loop_once();                                                 \
		assert_true(cond);                                                   \
	} while (0)

/* Events of this type for this connection (a JSON array; decref it). */
static json_t *
events_of(const char *type, uint64_t conn)
{
	json_t *a = json_array();
	assert_int_equal(fflush(F.evf), 0);
	const char *p = F.evbuf, *end = F.evbuf + F.evlen;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t je;
		json_t *ev = json_loadb(p, n, 0, &je);
		if (ev == NULL)
			fail_msg("event log line is not JSON: %.*s (%s)", (int)n, p, je.text);
		json_t *cid = json_object_get(ev, "conn");
		if (strcmp(json_string_value(json_object_get(ev, "event")), type) == 0 &&
		    json_is_integer(cid) && (uint64_t)json_integer_value(cid) == conn)
			json_array_append(a, ev);
		json_decref(ev);
		p += n + 1;
	}
	return a;
}

/* The one close event of the connection. */
static json_t *
close_event(void)
{
	json_t *a = events_of("close", F.id);
	assert_int_equal(json_array_size(a), 1);
	json_t *ev = json_incref(json_array_get(a, 0));
	json_decref(a);
	return ev;
}

static void
assert_close_event(const char *reason, const char *detail, const char *action)
{
	json_t *ev = close_event();
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), reason);
	if (detail != NULL)
		assert_string_equal(json_string_value(json_object_get(ev, "detail")), detail);
	else
		assert_null(json_object_get(ev, "detail"));
	if (action != NULL)
		assert_string_equal(json_string_value(json_object_get(ev, "action")), action);
	else
		assert_null(json_object_get(ev, "action"));
	json_decref(ev);
}

/* ---- the peer ------------------------------------------------------------ */

static void
peer_write(const void *buf, size_t len)
{
	assert_int_equal(send(F.peer, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Everything the gateway has sent so far; *eof when it closed (FIN or RST). */
static size_t
peer_read(uint8_t *buf, size_t cap, int *eof)
{
	size_t got = 0;
	*eof = 0;
	for (;;) {
		ssize_t n = recv(F.peer, buf + got, cap - got, 0);
		if (n > 0) {
			got += (size_t)n;
			if (got == cap)
				return got;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			*eof = 1;
		else
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return got;
	}
}

static void
peer_close(void)
{
	close(F.peer);
	F.peer = -1;
}

/* ---- mbedTLS client ------------------------------------------------------ */

struct client {
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt    ca;
	/* memory transport (for a ClientHello alone) */
	uint8_t             out[4096];
	size_t              out_len;
};

static int
sock_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
sock_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

static int
mem_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct client *cl = ctx;
	assert_true(cl->out_len + len <= sizeof(cl->out));
	memcpy(cl->out + cl->out_len, buf, len);
	cl->out_len += len;
	return (int)len;
}

static int
mem_recv(void *ctx, unsigned char *buf, size_t len)
{
	return MBEDTLS_ERR_SSL_WANT_READ;
}

/* A client that trusts the scenario's root and checks the gateway's name. */
static void
client_init(struct client *cl)
{
	memset(cl, 0, sizeof(*cl));
	mbedtls_ssl_config_init(&cl->conf);
	mbedtls_ssl_init(&cl->ssl);
	mbedtls_x509_crt_init(&cl->ca);
	assert_int_equal(mbedtls_x509_crt_parse_file(&cl->ca, snap->chain.root_path), 0);
	assert_int_equal(mbedtls_ssl_config_defaults(&cl->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT), 0);
	mbedtls_ssl_conf_rng(&cl->conf, rng_fill, rng_ctx());
	mbedtls_ssl_conf_authmode(&cl->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&cl->conf, &cl->ca, NULL);
	assert_int_equal(mbedtls_ssl_setup(&cl->ssl, &cl->conf), 0);
	assert_int_equal(mbedtls_ssl_set_hostname(&cl->ssl, snap->sc.hostname), 0);
}

static void
client_free(struct client *cl)
{
	mbedtls_ssl_free(&cl->ssl);
	mbedtls_ssl_config_free(&cl->conf);
	mbedtls_x509_crt_free(&cl->ca);
}

/* A real ClientHello (one TLS record) as mbedTLS writes it. */
static size_t
client_hello(uint8_t *buf, size_t cap)
{
	struct client *cl = malloc(sizeof(*cl));
	assert_non_null(cl);
	client_init(cl);
	mbedtls_ssl_set_bio(&cl->ssl, cl, mem_send, mem_recv, NULL);
	assert_int_equal(mbedtls_ssl_handshake(&cl->ssl), MBEDTLS_ERR_SSL_WANT_READ);
	size_t n = cl->out_len;
	assert_true(n > 5 && n <= cap);
	memcpy(buf, cl->out, n);
	client_free(cl);
	free(cl);
	assert_true(record_complete(buf, n));
	assert_int_equal(5 + ((size_t)buf[3] << 8 | buf[4]), n); /* exactly one record */
	return n;
}

/* Handshake through conn_start_tls until both sides are done. */
static void
handshake(struct client *cl)
{
	int rc = MBEDTLS_ERR_SSL_WANT_READ;

	client_init(cl);
	mbedtls_ssl_set_bio(&cl->ssl, &F.peer, sock_send, sock_recv, NULL);
	F.ff_mode = FF_START_TLS;
	for (int i = 0; i < LOOP_CAP && (rc != 0 || F.r.established == 0); i++) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			rc = mbedtls_ssl_handshake(&cl->ssl);
		if (rc != 0 && rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
			fail_msg("client handshake: -0x%04x (verify flags 0x%x)", (unsigned)-rc,
			    mbedtls_ssl_get_verify_result(&cl->ssl));
		loop_once();
	}
	assert_int_equal(rc, 0);
	assert_int_equal(F.r.established, 1);
	assert_int_equal(F.r.tls_done, 1);
	assert_int_equal(F.r.tls_failed, 0);
	assert_non_null(F.c);
	assert_int_equal(F.c->c_state, CS_ESTABLISHED);
	assert_int_equal(F.w.w_nhalf, 0);
	assert_int_equal(atomic_load(&F.net.half_open), 0);
}

/* Read n bytes of application data at the client. */
static void
client_read(struct client *cl, uint8_t *buf, size_t n)
{
	size_t got = 0;
	for (int i = 0; i < LOOP_CAP && got < n; i++) {
		int rc = mbedtls_ssl_read(&cl->ssl, buf + got, n - got);
		if (rc > 0)
			got += (size_t)rc;
		else if (rc != MBEDTLS_ERR_SSL_WANT_READ)
			fail_msg("client read: -0x%04x", (unsigned)-rc);
		else
			loop_once();
	}
	assert_int_equal(got, n);
}

static void
client_write(struct client *cl, const char *s)
{
	size_t n = strlen(s);
	assert_int_equal(mbedtls_ssl_write(&cl->ssl, (const unsigned char *)s, n), (int)n);
}

/* The client's next read result once the gateway closed: close_notify. */
static void
client_expect_close_notify(struct client *cl)
{
	uint8_t b[64];
	int rc = MBEDTLS_ERR_SSL_WANT_READ;
	for (int i = 0; i < LOOP_CAP && rc == MBEDTLS_ERR_SSL_WANT_READ; i++) {
		rc = mbedtls_ssl_read(&cl->ssl, b, sizeof(b));
		if (rc == MBEDTLS_ERR_SSL_WANT_READ)
			loop_once();
	}
	assert_int_equal(rc, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
}

/* ---- fixture ------------------------------------------------------------- */

static int
group_setup(void **state)
{
	struct scenario sc;
	char err[1024];
	static const char yaml[] = "base: azure-2018-tls12\n";

	if (mkdtemp(state_dir) == NULL)
		return -1;
	if (scenario_load_string(yaml, strlen(yaml), "test", false, &sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "scenario: %s\n", err);
		return -1;
	}
	snap = snapshot_build(&sc, NULL, state_dir, (int64_t)time(NULL) * 1000, err, sizeof(err));
	if (snap == NULL) {
		fprintf(stderr, "snapshot: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];
	snapshot_unref(snap);
	evlog_clear();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A worker of our own (no thread, no listener) with one new connection on
 * one end of a socketpair. */
static int
setup(void **state)
{
	int sv[2];
	uint8_t key[PEER_KEY_LEN] = { 0 };

	memset(&F, 0, sizeof(F));
	F.peer = -1;
	if ((F.evf = open_memstream(&F.evbuf, &F.evlen)) == NULL)
		return -1;
	evlog_setup(F.evf, EVLOG_JSON);
	if (net_init(&F.net, snap, &fake_net_ops, NULL) != 0)
		return -1;
	F.w.w_magic = WORKER_MAGIC;
	F.w.w_index = 0;
	F.w.w_net = &F.net;
	F.w.w_nls = 0;
	F.w.w_share = 1000;
	TAILQ_INIT(&F.w.w_conns);
	TAILQ_INIT(&F.w.w_hello);
	TAILQ_INIT(&F.w.w_hs);
	if ((F.w.w_base = event_base_new()) == NULL)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	F.peer = sv[1];
	F.c = conn_new(&F.w, 0, sv[0], "198.51.100.7:50123", key);
	if (F.c == NULL)
		return -1;
	F.id = F.c->c_id;
	return 0;
}

static int
teardown(void **state)
{
	W.fd = -1;
	W.cap = 0;
	W.choke = W.full = 0;
	/* what a stopping worker does with what is left */
	while (!TAILQ_EMPTY(&F.w.w_conns))
		conn_close(TAILQ_FIRST(&F.w.w_conns), CR_SHUTDOWN, NULL);
	int ok = F.w.w_nconns == 0 && F.w.w_nhalf == 0 && atomic_load(&F.net.nconns) == 0 &&
	    atomic_load(&F.net.half_open) == 0;
	if (F.peer >= 0)
		close(F.peer);
	event_base_free(F.w.w_base);
	net_destroy(&F.net);
	evlog_setup(NULL, EVLOG_JSON);
	fclose(F.evf);
	free(F.evbuf);
	return ok ? 0 : -1;
}

/* ---- tests --------------------------------------------------------------- */

static void
test_accept_event_and_bookkeeping(void **state)
{
	json_t *a = events_of("accept", F.id);
	assert_int_equal(json_array_size(a), 1);
	json_t *ev = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(ev, "peer")), "198.51.100.7:50123");
	assert_string_equal(json_string_value(json_object_get(ev, "scenario")), snap->sc.name);
	json_decref(a);
	assert_int_equal(F.c->c_state, CS_HELLO);
	assert_int_equal(F.w.w_nconns, 1);
	assert_int_equal(F.w.w_nhalf, 1);
	assert_ptr_equal(TAILQ_FIRST(&F.w.w_hello), F.c);
	assert_int_equal(atomic_load(&F.net.accepted), 1);
	assert_int_equal(atomic_load(&F.net.nconns), 1);
}

/* (a) The gate gets the bytes as they arrive, each once and in order; the
 * connection keeps none of them. */
static void
test_first_flight_byte_by_byte(void **state)
{
	uint8_t hello[2048];
	size_t n = client_hello(hello, sizeof(hello));

	for (size_t i = 0; i < n; i++) {
		peer_write(hello + i, 1);
		LOOP_UNTIL(F.r.ff_total == i + 1);
		if (F.r.ff_calls != i + 1)
			fail_msg("after %zu of %zu bytes: %u first_flight calls, want %zu", i + 1, n,
			    F.r.ff_calls, i + 1);
	}
	assert_int_equal(F.r.ff_len[0], 1);
	assert_int_equal(F.r.ff_len[15], 1);
	assert_memory_equal(F.r.ff_last, hello, n);
	assert_int_equal(F.c->c_bytes_in, n);
	assert_int_equal(F.c->c_state, CS_HELLO);
	assert_int_equal(F.r.closing, 0);
}

/* (a) A whole record at once: one call with all of it. */
static void
test_first_flight_whole_record(void **state)
{
	uint8_t hello[2048];
	size_t n = client_hello(hello, sizeof(hello));

	peer_write(hello, n);
	LOOP_UNTIL(F.r.ff_calls > 0);
	for (int i = 0; i < 10; i++)
		loop_once();
	assert_int_equal(F.r.ff_calls, 1);
	assert_int_equal(F.r.ff_len[0], n);
	assert_memory_equal(F.r.ff_last, hello, n);
}

/* (b) reset: closed at once, the peer sees the end, the event says why. */
static void
test_refuse_reset(void **state)
{
	uint8_t hello[2048], buf[64];
	size_t n = client_hello(hello, sizeof(hello));
	int eof;

	F.ff_mode = FF_REFUSE;
	F.refuse_reason = CR_REFUSED_VERSION;
	F.refuse_action.kind = TLS_REFUSE_RESET;
	peer_write(hello, n);
	LOOP_UNTIL(F.r.closing == 1);
	assert_int_equal(F.r.close_reason, CR_REFUSED_VERSION);
	assert_string_equal(F.r.close_detail, "refused by the test gate");
	assert_int_equal(peer_read(buf, sizeof(buf), &eof), 0);
	assert_true(eof);
	assert_close_event("refused_version", "refused by the test gate", "reset");
	json_t *ev = close_event();
	assert_int_equal(json_integer_value(json_object_get(ev, "bytes_in")), (json_int_t)n);
	assert_int_equal(json_integer_value(json_object_get(ev, "bytes_out")), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "client_error")),
	    "0x80072746 (-2147014842) WSAECONNRESET");
	json_decref(ev);
	assert_int_equal(atomic_load(&F.net.refused), 1);
	assert_int_equal(atomic_load(&F.net.closes[CR_REFUSED_VERSION]), 1);
	assert_int_equal(F.w.w_nconns, 0);
}

/* (b) FIN: the peer sees EOF at once; the connection waits for the client
 * to close, then the close event carries the refusal's reason. */
static void
test_refuse_fin(void **state)
{
	uint8_t hello[2048], buf[64];
	size_t n = client_hello(hello, sizeof(hello));
	int eof = 0;

	F.ff_mode = FF_REFUSE;
	F.refuse_reason = CR_REFUSED_CIPHER;
	F.refuse_action.kind = TLS_REFUSE_FIN;
	peer_write(hello, n);
	LOOP_UNTIL(F.c == NULL || F.c->c_state == CS_DRAINING);
	assert_non_null(F.c);
	assert_int_equal(peer_read(buf, sizeof(buf), &eof), 0);
	assert_true(eof);
	json_t *none = events_of("close", F.id);
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);

	peer_close();
	LOOP_UNTIL(F.r.closing == 1);
	assert_int_equal(F.r.close_reason, CR_REFUSED_CIPHER);
	assert_close_event("refused_cipher", "refused by the test gate", "fin");
}

/* (b) alert: the 7-byte alert record (record version of the hello), then EOF. */
static void
test_refuse_alert(void **state)
{
	uint8_t hello[2048], buf[64];
	size_t n = client_hello(hello, sizeof(hello));
	int eof = 0;

	hello[1] = 0x03, hello[2] = 0x02; /* TLS 1.1 record version: the alert echoes it */
	F.ff_mode = FF_REFUSE;
	F.refuse_reason = CR_REFUSED_CIPHER;
	F.refuse_action.kind = TLS_REFUSE_ALERT;
	F.refuse_action.alert = 40; /* handshake_failure */
	peer_write(hello, n);
	LOOP_UNTIL(F.c == NULL || F.c->c_state == CS_DRAINING);
	assert_non_null(F.c);
	static const uint8_t want[7] = { 0x15, 0x03, 0x02, 0x00, 0x02, 0x02, 40 };
	assert_int_equal(peer_read(buf, sizeof(buf), &eof), 7);
	assert_memory_equal(buf, want, 7);
	assert_true(eof);

	peer_close();
	LOOP_UNTIL(F.r.closing == 1);
	assert_close_event("refused_cipher", "refused by the test gate", "alert:handshake_failure");
	json_t *ev = close_event();
	assert_int_equal(json_integer_value(json_object_get(ev, "bytes_out")), 7);
	json_decref(ev);
}

/* (c) a full handshake with an mbedTLS client, then bytes both ways, then
 * conn_end from inside the input upcall. */
static void
test_tls_handshake_and_data(void **state)
{
	struct client cl;
	uint8_t buf[64];

	handshake(&cl);
	assert_true(F.r.ff_calls >= 1);
	json_t *a = events_of("tls_result", F.id);
	assert_int_equal(json_array_size(a), 1);
	json_t *ev = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(ev, "result")), "ok");
	assert_string_equal(json_string_value(json_object_get(ev, "version")), "TLSv1.2");
	/* the suite the client negotiated, by its IANA name */
	int suite = mbedtls_ssl_get_ciphersuite_id(mbedtls_ssl_get_ciphersuite(&cl.ssl));
	assert_true(suite > 0);
	assert_string_equal(json_string_value(json_object_get(ev, "suite")),
	    tls_suite_name((uint16_t)suite));
	assert_int_equal(suite, snap->gate.usable[0].id); /* the policy's first choice */
	json_decref(a);

	client_write(&cl, "ping from the client");
	LOOP_UNTIL(F.r.in_len == 20);
	assert_memory_equal(F.r.in, "ping from the client", 20);

	conn_write(F.c, (const uint8_t *)"pong from the gateway", 21);
	client_read(&cl, buf, 21);
	assert_memory_equal(buf, "pong from the gateway", 21);

	/* a larger burst: more than one TLS record of plaintext */
	static uint8_t big[40000], got[40000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	conn_write(F.c, big, sizeof(big));
	client_read(&cl, got, sizeof(got));
	assert_memory_equal(got, big, sizeof(big));
	assert_true(F.c->c_bytes_out > sizeof(big));

	F.end_on_input = 1;
	client_write(&cl, "bye");
	LOOP_UNTIL(F.r.closing == 1);
	assert_int_equal(F.r.close_reason, CR_SSTP_CLIENT_DISCONNECT);
	assert_close_event("sstp_client_disconnect", "the client said bye", NULL);
	client_expect_close_notify(&cl);
	assert_int_equal(F.r.lower_down, 0);
	assert_int_equal(F.r.end_calls, 0);
	client_free(&cl);
}

/* A handshake flight leaves in one send: the server's first flight
 * (ServerHello .. ServerHelloDone) and its last (ticket, ChangeCipherSpec,
 * Finished), two calls for a full handshake. */
static void
test_tls_flight_one_send(void **state)
{
	struct client cl;

	W.fd = F.c->c_fd;
	W.calls = 0;
	handshake(&cl);
	assert_int_equal(W.calls, 2);
	client_free(&cl);
}

/* A socket that takes a little and then is full, again and again: what it
 * does not take is held and sent on the next call; the handshake is done
 * only once all of it is out, and data flows after it. */
static void
test_tls_flight_held(void **state)
{
	struct client cl;
	uint8_t buf[32];

	W.fd = F.c->c_fd;
	W.calls = 0;
	W.cap = 200;
	W.choke = 1;
	handshake(&cl);
	assert_true(W.calls > 10);
	assert_null(F.c->c_tls.held);
	conn_write(F.c, (const uint8_t *)"after a choked handshake", 24);
	client_read(&cl, buf, 24);
	assert_memory_equal(buf, "after a choked handshake", 24);
	client_free(&cl);
}

/* (d) the client closes in the middle of its hello. */
static void
test_peer_closes_mid_hello(void **state)
{
	uint8_t hello[2048];
	size_t n = client_hello(hello, sizeof(hello));
	assert_true(n > 3);

	peer_write(hello, 3);
	LOOP_UNTIL(F.r.ff_total == 3);
	peer_close();
	LOOP_UNTIL(F.r.closing == 1);
	assert_true(F.r.ff_calls >= 1);
	assert_int_equal(F.r.close_reason, CR_CLIENT_CLOSED);
	assert_close_event("client_closed", "in the middle of the ClientHello", NULL);
	assert_int_equal(atomic_load(&F.net.closes[CR_CLIENT_CLOSED]), 1);
}

static void
test_peer_closes_before_anything(void **state)
{
	peer_close();
	LOOP_UNTIL(F.r.closing == 1);
	assert_close_event("client_closed", "before sending anything", NULL);
}

/* (e) conn_end before the handshake: deferred to the loop, the reason and
 * detail given are the event's; NULL detail: no detail at all. */
static void
test_conn_end_in_hello(void **state)
{
	uint8_t buf[16];
	int eof;

	conn_end(F.c, CR_HTTP_BAD_REQUEST, NULL);
	assert_int_equal(F.r.closing, 0); /* safe inside callbacks: not freed yet */
	assert_true(conn_is_ending(F.c));
	conn_end(F.c, CR_INTERNAL, "a second end is ignored");
	LOOP_UNTIL(F.r.closing == 1);
	assert_int_equal(F.r.close_reason, CR_HTTP_BAD_REQUEST);
	assert_false(F.r.close_had_detail);
	assert_close_event("http_bad_request", NULL, NULL);
	assert_int_equal(peer_read(buf, sizeof(buf), &eof), 0);
	assert_true(eof);
}

/* (e) conn_disconnect without a call (hello state): end_call is not asked. */
static void
test_disconnect_in_hello(void **state)
{
	conn_disconnect(F.c, CR_FAULT_INJECTED, "maintenance window (test)");
	LOOP_UNTIL(F.r.closing == 1);
	assert_int_equal(F.r.end_calls, 0);
	assert_int_equal(F.r.close_reason, CR_FAULT_INJECTED);
	assert_close_event("fault_injected", "maintenance window (test)", NULL);
}

/* (e) conn_disconnect after the handshake, no call to end: closed with the
 * caller's reason, and the client gets close_notify. */
static void
test_disconnect_established(void **state)
{
	struct client cl;

	handshake(&cl);
	conn_disconnect(F.c, CR_SSTP_SERVER_DISCONNECT, "ended by the test");
	assert_int_equal(F.r.end_calls, 1);
	assert_int_equal(F.r.end_abort, 0);
	assert_int_equal(F.r.end_reason, CR_SSTP_SERVER_DISCONNECT);
	assert_string_equal(F.r.end_detail, "ended by the test");
	LOOP_UNTIL(F.r.closing == 1);
	assert_int_equal(F.r.close_reason, CR_SSTP_SERVER_DISCONNECT);
	assert_close_event("sstp_server_disconnect", "ended by the test", NULL);
	client_expect_close_notify(&cl);
	client_free(&cl);
}

/* (e) conn_abort with a call open: the application ends it (its bytes go
 * out), the connection lives until the application's conn_end, whose reason
 * is the event's. */
static void
test_abort_with_call(void **state)
{
	struct client cl;
	uint8_t buf[8];

	handshake(&cl);
	F.call_open = 1;
	conn_abort(F.c, CR_PPP_POOL_EXHAUSTED, "no address left (test)");
	assert_int_equal(F.r.end_calls, 1);
	assert_int_equal(F.r.end_abort, 1);
	assert_int_equal(F.r.end_reason, CR_PPP_POOL_EXHAUSTED);
	assert_string_equal(F.r.end_detail, "no address left (test)");
	client_read(&cl, buf, 5);
	assert_memory_equal(buf, "ABORT", 5);
	for (int i = 0; i < 10; i++)
		loop_once();
	assert_int_equal(F.r.closing, 0);
	assert_false(conn_is_ending(F.c));

	conn_end(F.c, F.r.end_reason, F.r.end_detail); /* the application ends with what it was given */
	LOOP_UNTIL(F.r.closing == 1);
	assert_close_event("ppp_pool_exhausted", "no address left (test)", NULL);
	client_expect_close_notify(&cl);
	client_free(&cl);
}

/* conn_reset: RST now, whatever the state; the event has the reason. */
static void
test_reset(void **state)
{
	uint8_t buf[16];
	int eof;

	conn_reset(F.c, CR_HALF_OPEN_EVICTED, "evicted by the test");
	assert_int_equal(F.r.closing, 1);
	assert_close_event("half_open_evicted", "evicted by the test", "reset");
	assert_int_equal(peer_read(buf, sizeof(buf), &eof), 0);
	assert_true(eof);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept_event_and_bookkeeping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_flight_byte_by_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_flight_whole_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_handshake_and_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_flight_one_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_flight_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_closes_mid_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_closes_before_anything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_end_in_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_in_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_established, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_with_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
