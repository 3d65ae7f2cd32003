/*
 * The RFC 1661 option-negotiation automaton (section 4), shared by LCP and
 * IPCP. Private to server/src/ppp/.
 *
 * The automaton knows states, events, the restart timer and the counters;
 * what the options mean is in the protocol's fsm_ops. Packets given to and
 * produced by the automaton are control packets without the PPP header:
 *
 *   packet = code(1) identifier(1) length(2, big endian, >= 4) data(length - 4)
 *
 * Time is `now` in ms, passed on every entry point; the automaton's one
 * timer is f->deadline (0 = not running).
 */
#ifndef P2SGW_PPP_FSM_H
#define P2SGW_PPP_FSM_H

#include <stddef.h>
#include <stdint.h>

#define FSM_CONFREQ  1
#define FSM_CONFACK  2
#define FSM_CONFNAK  3
#define FSM_CONFREJ  4
#define FSM_TERMREQ  5
#define FSM_TERMACK  6
#define FSM_CODEREJ  7

#define FSM_MAX_PACKET 1500 /* our own control packets never exceed this */

enum fsm_state {
	FSM_INITIAL = 0,
	FSM_STARTING,
	FSM_CLOSED,
	FSM_STOPPED,
	FSM_CLOSING,
	FSM_STOPPING,
	FSM_REQ_SENT,
	FSM_ACK_RCVD,
	FSM_ACK_SENT,
	FSM_OPENED,
};

struct fsm;

/* Results of fsm_ops.recv_nak / recv_rej / recv_ack. */
#define FSM_RX_OK      0  /* valid: proceed with the transition */
#define FSM_RX_BAD    -1  /* not a valid answer to our request: discard */
#define FSM_RX_GIVEUP  1  /* valid, but we cannot go on: the layer is closed */

struct fsm_ops {
	const char *name;   /* "LCP", "IPCP" for events and details */
	/* our Configure-Request options; returns their length (<= cap) */
	size_t (*build_req)(struct fsm *f, uint8_t *out, size_t cap);
	/* the peer's Configure-Request options: fill out with the options of the
	 * answer and return FSM_CONFACK, FSM_CONFNAK or FSM_CONFREJ. With
	 * reject_if_disagree (max-failure reached) answer Reject instead of Nak. */
	int (*recv_req)(struct fsm *f, const uint8_t *opts, size_t len, int reject_if_disagree,
	                uint8_t *out, size_t cap, size_t *out_len);
	int (*recv_ack)(struct fsm *f, const uint8_t *opts, size_t len);
	int (*recv_nak)(struct fsm *f, const uint8_t *opts, size_t len);
	int (*recv_rej)(struct fsm *f, const uint8_t *opts, size_t len);
	/* codes beyond 7 (LCP: 8..11); 0 = handled, -1 = unknown -> Code-Reject.
	 * For a Code-Reject or Protocol-Reject the handler says whether the
	 * reject is permitted (RXJ+, return 0) or catastrophic (RXJ-, return 1). */
	int (*recv_other)(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len);
	/* is the code given in a Code-Reject one we cannot do without? */
	int (*code_needed)(struct fsm *f, uint8_t code);
	void (*up)(struct fsm *f);        /* This-Layer-Up */
	void (*down)(struct fsm *f);      /* This-Layer-Down */
	void (*started)(struct fsm *f);   /* This-Layer-Started */
	void (*finished)(struct fsm *f);  /* This-Layer-Finished */
	/* the peer sent Terminate-Request (after our Terminate-Ack went out) */
	void (*peer_term)(struct fsm *f, const uint8_t *data, size_t len);
	/* a packet for the wire: the owner adds the PPP header */
	void (*send)(struct fsm *f, const uint8_t *pkt, size_t len);
};

struct fsm {
	const struct fsm_ops *ops;
	void            *owner;        /* the session */
	enum fsm_state   state;
	uint8_t          id;           /* identifier of our last Configure/Terminate-Request */
	uint8_t          xid;          /* identifier of Code-Rejects and other packets we originate */
	uint8_t          reqid_valid;  /* a Configure-Request of ours awaits an answer */
	unsigned         restart;      /* restart counter */
	unsigned         naks;         /* Configure-Naks sent without an Ack in between */
	uint32_t         restart_ms;
	unsigned         max_configure, max_terminate, max_failure;
	size_t           max_send;     /* packets we send are cut to this (the peer's MRU) */
	uint64_t         deadline;     /* restart timer; 0 = stopped */
	uint64_t         now;          /* of the current entry point */
	unsigned         timeouts;     /* TO- events, for details */
	unsigned         conf_reqs_sent;
};

void fsm_init(struct fsm *f, const struct fsm_ops *ops, void *owner, uint32_t restart_ms,
              unsigned max_configure, unsigned max_failure);
void fsm_up(struct fsm *f, uint64_t now);
void fsm_down(struct fsm *f, uint64_t now);
void fsm_open(struct fsm *f, uint64_t now);
void fsm_close(struct fsm *f, uint64_t now);
void fsm_input(struct fsm *f, const uint8_t *pkt, size_t len, uint64_t now);
void fsm_tick(struct fsm *f, uint64_t now);
/* RXJ from outside (LCP Protocol-Reject of this layer's protocol): 1 = catastrophic */
void fsm_rxj(struct fsm *f, int catastrophic, uint64_t now);
/* Send a packet of this protocol: code, id, data. */
void fsm_send_packet(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len);
const char *fsm_state_name(enum fsm_state s);

#endif
