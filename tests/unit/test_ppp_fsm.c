/*
 * The RFC 1661 automaton on its own, with a toy protocol whose option
 * handlers answer as each test tells them. Every test walks a path through
 * the section 4.1 transition table and checks the state, the actions
 * (tlu/tld/tls/tlf) and the packets (code and identifier) it produced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ppp/fsm.h"

struct toy {
	char log[512];          /* "scr:1 tlu ..." */
	int req_answer;         /* what recv_req answers */
	int nak_answer;         /* what recv_nak/rej answer */
	int last_reject_if_disagree;
	uint8_t sent_code[32], sent_id[32];
	size_t nsent;
};

static struct toy T;

static void
logw(const char *w)
{
	size_t n = strlen(T.log);
	snprintf(T.log + n, sizeof(T.log) - n, "%s%s", n ? " " : "", w);
}

static size_t
toy_build(struct fsm *f, uint8_t *out, size_t cap)
{
	(void)f;
	out[0] = 1;
	out[1] = 3;
	out[2] = 0x42;
	return 3;
}

static int
toy_req(struct fsm *f, const uint8_t *o, size_t len, int rid, uint8_t *out, size_t cap,
        size_t *out_len)
{
	(void)f, (void)o, (void)len, (void)cap;
	T.last_reject_if_disagree = rid;
	*out_len = 0;
	if (T.req_answer == FSM_CONFNAK && rid)
		return FSM_CONFREJ;
	if (T.req_answer != FSM_CONFACK) {
		out[0] = 9;
		out[1] = 2;
		*out_len = 2;
	}
	return T.req_answer;
}

static int
toy_ack(struct fsm *f, const uint8_t *o, size_t len)
{
	(void)f;
	return len == 3 && o[2] == 0x42 ? FSM_RX_OK : FSM_RX_BAD;
}

static int
toy_nak(struct fsm *f, const uint8_t *o, size_t len)
{
	(void)f, (void)o, (void)len;
	return T.nak_answer;
}

static int
toy_other(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *d, size_t len)
{
	(void)f, (void)id, (void)d, (void)len;
	return code == 9 ? 0 : -1;
}

static void toy_up(struct fsm *f) { (void)f; logw("tlu"); }
static void toy_down(struct fsm *f) { (void)f; logw("tld"); }
static void toy_started(struct fsm *f) { (void)f; logw("tls"); }
static void toy_finished(struct fsm *f) { (void)f; logw("tlf"); }

static void
toy_peer_term(struct fsm *f, const uint8_t *d, size_t len)
{
	(void)f, (void)d, (void)len;
	logw("peer-term");
}

static void
toy_send(struct fsm *f, const uint8_t *pkt, size_t len)
{
	static const char *const names[] = { "?", "scr", "sca", "scn", "rej", "str", "sta", "scj" };
	char w[16];

	(void)f;
	assert_true(len >= 4);
	assert_int_equal(pkt[2] << 8 | pkt[3], len);
	snprintf(w, sizeof(w), "%s:%u", pkt[0] < 8 ? names[pkt[0]] : "x", pkt[1]);
	logw(w);
	if (T.nsent < 32) {
		T.sent_code[T.nsent] = pkt[0];
		T.sent_id[T.nsent++] = pkt[1];
	}
}

static const struct fsm_ops toy_ops = {
	.name = "TOY",
	.build_req = toy_build,
	.recv_req = toy_req,
	.recv_ack = toy_ack,
	.recv_nak = toy_nak,
	.recv_rej = toy_nak,
	.recv_other = toy_other,
	.up = toy_up,
	.down = toy_down,
	.started = toy_started,
	.finished = toy_finished,
	.peer_term = toy_peer_term,
	.send = toy_send,
};

static void
reset(struct fsm *f, unsigned max_conf, unsigned max_fail)
{
	memset(&T, 0, sizeof(T));
	T.req_answer = FSM_CONFACK;
	fsm_init(f, &toy_ops, NULL, 1000, max_conf, max_fail);
}

static void
clear_log(void)
{
	T.log[0] = '\0';
}

static void
pkt(struct fsm *f, uint8_t code, uint8_t id, uint64_t now)
{
	uint8_t b[7] = { code, id, 0, 7, 1, 3, 0x42 };
	fsm_input(f, b, sizeof(b), now);
}

/* Initial -Open-> Starting -Up-> Req-Sent -RCA-> Ack-Rcvd -RCR+-> Opened */
static void
open_link(struct fsm *f)
{
	fsm_open(f, 0);
	assert_int_equal(f->state, FSM_STARTING);
	fsm_up(f, 0);
	assert_int_equal(f->state, FSM_REQ_SENT);
	assert_int_equal(f->deadline, 1000);
	pkt(f, FSM_CONFACK, f->id, 10);
	assert_int_equal(f->state, FSM_ACK_RCVD);
	pkt(f, FSM_CONFREQ, 7, 20);
	assert_int_equal(f->state, FSM_OPENED);
	assert_int_equal(f->deadline, 0);
	assert_string_equal(T.log, "tls scr:1 sca:7 tlu");
	clear_log();
}

static void
test_open_ack_rcvd_first(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	open_link(&f);
}

static void
test_open_ack_sent_first(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	fsm_up(&f, 0);
	assert_int_equal(f.state, FSM_CLOSED);
	pkt(&f, FSM_CONFREQ, 3, 0); /* Closed: RCR -> sta */
	assert_string_equal(T.log, "sta:3");
	clear_log();
	fsm_open(&f, 0);
	assert_int_equal(f.state, FSM_REQ_SENT);
	pkt(&f, FSM_CONFREQ, 4, 1);
	assert_int_equal(f.state, FSM_ACK_SENT);
	pkt(&f, FSM_CONFACK, 9, 2); /* wrong id: discarded */
	assert_int_equal(f.state, FSM_ACK_SENT);
	pkt(&f, FSM_CONFACK, f.id, 3);
	assert_int_equal(f.state, FSM_OPENED);
	assert_string_equal(T.log, "scr:1 sca:4 tlu");
}

static void
test_timeouts_and_max_configure(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 3, 5);
	fsm_open(&f, 0);
	fsm_up(&f, 0);
	fsm_tick(&f, 999); /* not yet */
	assert_string_equal(T.log, "tls scr:1");
	fsm_tick(&f, 1000); /* TO+ */
	fsm_tick(&f, 2000); /* TO+ */
	assert_int_equal(f.state, FSM_REQ_SENT);
	fsm_tick(&f, 3000); /* TO-: three requests sent */
	assert_int_equal(f.state, FSM_STOPPED);
	assert_int_equal(f.deadline, 0);
	assert_string_equal(T.log, "tls scr:1 scr:2 scr:3 tlf");
	assert_int_equal(f.conf_reqs_sent, 3);
	/* Stopped: a request restarts the negotiation */
	clear_log();
	pkt(&f, FSM_CONFREQ, 1, 4000);
	assert_int_equal(f.state, FSM_ACK_SENT);
	assert_string_equal(T.log, "scr:4 sca:1");
}

static void
test_ack_rcvd_timeout_goes_back(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	fsm_open(&f, 0);
	fsm_up(&f, 0);
	pkt(&f, FSM_CONFACK, 1, 10);
	assert_int_equal(f.state, FSM_ACK_RCVD);
	fsm_tick(&f, 1010); /* TO+ in Ack-Rcvd: scr, back to Req-Sent */
	assert_int_equal(f.state, FSM_REQ_SENT);
	/* Ack-Sent timeouts stay in Ack-Sent */
	pkt(&f, FSM_CONFREQ, 5, 1100);
	assert_int_equal(f.state, FSM_ACK_SENT);
	fsm_tick(&f, 2010);
	assert_int_equal(f.state, FSM_ACK_SENT);
	assert_string_equal(T.log, "tls scr:1 scr:2 sca:5 scr:3");
}

static void
test_max_failure_turns_nak_into_reject(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 2);
	fsm_open(&f, 0);
	fsm_up(&f, 0);
	T.req_answer = FSM_CONFNAK;
	pkt(&f, FSM_CONFREQ, 1, 1);
	pkt(&f, FSM_CONFREQ, 2, 2);
	assert_int_equal(T.last_reject_if_disagree, 0);
	pkt(&f, FSM_CONFREQ, 3, 3);
	assert_int_equal(T.last_reject_if_disagree, 1);
	assert_string_equal(T.log, "tls scr:1 scn:1 scn:2 rej:3");
	assert_int_equal(f.state, FSM_REQ_SENT);
	/* an Ack resets the count */
	T.req_answer = FSM_CONFACK;
	pkt(&f, FSM_CONFREQ, 4, 4);
	assert_int_equal(f.naks, 0);
	assert_int_equal(f.state, FSM_ACK_SENT);
	/* RCR- in Ack-Sent: back to Req-Sent */
	T.req_answer = FSM_CONFREJ;
	pkt(&f, FSM_CONFREQ, 5, 5);
	assert_int_equal(f.state, FSM_REQ_SENT);
}

static void
test_nak_and_giveup(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	fsm_open(&f, 0);
	fsm_up(&f, 0);
	T.nak_answer = FSM_RX_OK;
	pkt(&f, FSM_CONFNAK, 1, 1); /* RCN in Req-Sent: irc, scr */
	assert_int_equal(f.state, FSM_REQ_SENT);
	pkt(&f, FSM_CONFNAK, 1, 1); /* stale id: discarded */
	T.nak_answer = FSM_RX_BAD;
	pkt(&f, FSM_CONFREJ, 2, 2); /* handler says invalid: discarded */
	T.nak_answer = FSM_RX_GIVEUP;
	pkt(&f, FSM_CONFREJ, 2, 3); /* handler gives up: Close -> Closing */
	assert_int_equal(f.state, FSM_CLOSING);
	assert_string_equal(T.log, "tls scr:1 scr:2 str:3");
	/* Terminate-Requests: max-terminate (2), then tlf */
	fsm_tick(&f, 1003);
	fsm_tick(&f, 2003);
	assert_int_equal(f.state, FSM_CLOSED);
	assert_string_equal(T.log, "tls scr:1 scr:2 str:3 str:4 tlf");
}

static void
test_close_from_opened_and_rta(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	open_link(&f);
	fsm_close(&f, 100);
	assert_int_equal(f.state, FSM_CLOSING);
	assert_int_equal(f.deadline, 1100);
	pkt(&f, FSM_CONFREQ, 9, 101); /* Closing ignores requests */
	pkt(&f, FSM_TERMACK, f.id, 102);
	assert_int_equal(f.state, FSM_CLOSED);
	assert_string_equal(T.log, "tld str:2 tlf");
	/* Down from Closed: Initial */
	fsm_down(&f, 103);
	assert_int_equal(f.state, FSM_INITIAL);
}

static void
test_peer_terminate_in_opened(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	open_link(&f);
	pkt(&f, FSM_TERMREQ, 0x33, 50);
	assert_int_equal(f.state, FSM_STOPPING);
	assert_int_equal(f.restart, 0);
	assert_int_equal(f.deadline, 1050); /* zrc: one restart period */
	fsm_tick(&f, 1050);
	assert_int_equal(f.state, FSM_STOPPED);
	assert_string_equal(T.log, "tld sta:51 peer-term tlf");
}

static void
test_opened_renegotiation(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	open_link(&f);
	pkt(&f, FSM_CONFREQ, 8, 30); /* RCR+ in Opened: tld, scr, sca */
	assert_int_equal(f.state, FSM_ACK_SENT);
	assert_string_equal(T.log, "tld scr:2 sca:8");
	clear_log();
	pkt(&f, FSM_CONFACK, 2, 31);
	assert_int_equal(f.state, FSM_OPENED);
	pkt(&f, FSM_CONFACK, 2, 31); /* the same Ack again: a duplicate, ignored */
	pkt(&f, FSM_CONFNAK, 2, 31);
	assert_int_equal(f.state, FSM_OPENED);
	pkt(&f, FSM_TERMACK, 0, 32); /* RTA in Opened: tld, scr */
	assert_int_equal(f.state, FSM_REQ_SENT);
	assert_string_equal(T.log, "tlu tld scr:3");
}

static void
test_crossed_ack(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	fsm_open(&f, 0);
	fsm_up(&f, 0);
	pkt(&f, FSM_CONFACK, 1, 1);
	assert_int_equal(f.state, FSM_ACK_RCVD);
	pkt(&f, FSM_CONFACK, 1, 2); /* the same Ack again: id no longer pending */
	assert_int_equal(f.state, FSM_ACK_RCVD);
	T.nak_answer = FSM_RX_OK;
	fsm_tick(&f, 1001);
	assert_int_equal(f.state, FSM_REQ_SENT);
	pkt(&f, FSM_CONFNAK, 2, 1002);
	assert_int_equal(f.state, FSM_REQ_SENT);
	assert_string_equal(T.log, "tls scr:1 scr:2 scr:3");
}

static void
test_code_reject_and_unknown_code(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	open_link(&f);
	pkt(&f, 9, 1, 40);  /* handled by recv_other */
	pkt(&f, 42, 2, 41); /* unknown: Code-Reject */
	assert_string_equal(T.log, "scj:1");
	/* Code-Reject of Echo (9): RXJ+, nothing happens in Opened */
	uint8_t cj[] = { FSM_CODEREJ, 5, 0, 8, 9, 1, 0, 4 };
	fsm_input(&f, cj, sizeof(cj), 42);
	assert_int_equal(f.state, FSM_OPENED);
	/* Code-Reject of Configure-Request: RXJ-, tld, irc, str -> Stopping */
	cj[4] = FSM_CONFREQ;
	fsm_input(&f, cj, sizeof(cj), 43);
	assert_int_equal(f.state, FSM_STOPPING);
	assert_string_equal(T.log, "scj:1 tld str:2");
	fsm_tick(&f, 1043);
	fsm_tick(&f, 2043);
	assert_int_equal(f.state, FSM_STOPPED);
	fsm_down(&f, 2044); /* Stopped -Down-> Starting (tls) */
	assert_int_equal(f.state, FSM_STARTING);
	assert_string_equal(T.log, "scj:1 tld str:2 str:3 tlf tls");
}

static void
test_short_and_padded_packets(void **state)
{
	struct fsm f;
	(void)state;
	reset(&f, 10, 5);
	fsm_open(&f, 0);
	fsm_up(&f, 0);
	uint8_t b[16] = { FSM_CONFACK, 1, 0, 7, 1, 3, 0x42, 0xEE, 0xEE };
	fsm_input(&f, b, 3, 1);  /* shorter than a header */
	fsm_input(&f, b, 6, 1);  /* length says 7, 6 bytes here */
	b[3] = 3;
	fsm_input(&f, b, 9, 1);  /* length 3 < 4 */
	assert_int_equal(f.state, FSM_REQ_SENT);
	b[3] = 7;
	fsm_input(&f, b, 9, 1);  /* padding after length: ignored */
	assert_int_equal(f.state, FSM_ACK_RCVD);
	/* packets before Up are dropped */
	struct fsm g;
	fsm_init(&g, &toy_ops, NULL, 1000, 10, 5);
	fsm_input(&g, b, 7, 0);
	assert_int_equal(g.state, FSM_INITIAL);
	assert_string_equal(fsm_state_name(FSM_ACK_SENT), "ack-sent");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_ack_rcvd_first),
		cmocka_unit_test(test_open_ack_sent_first),
		cmocka_unit_test(test_timeouts_and_max_configure),
		cmocka_unit_test(test_ack_rcvd_timeout_goes_back),
		cmocka_unit_test(test_max_failure_turns_nak_into_reject),
		cmocka_unit_test(test_nak_and_giveup),
		cmocka_unit_test(test_close_from_opened_and_rta),
		cmocka_unit_test(test_peer_terminate_in_opened),
		cmocka_unit_test(test_opened_renegotiation),
		cmocka_unit_test(test_crossed_ack),
		cmocka_unit_test(test_code_reject_and_unknown_code),
		cmocka_unit_test(test_short_and_padded_packets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
