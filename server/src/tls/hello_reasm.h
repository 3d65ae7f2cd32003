/*
 * hello_reasm: the first flight of a connection, fed as it arrives.
 *
 * A ClientHello is a handshake message, not a record: RFC 5246 6.2.1 lets a
 * client spread it over any number of TLS records, and TCP splits those
 * anywhere. The reassembler takes the bytes in any split, checks each record
 * header as it completes (content type 22 throughout, the first record's
 * version kept, lengths 1..2^14), and collects the handshake bytes until the
 * whole ClientHello is there; then tls/clienthello.h parses the message.
 * An SSLv2-compatible hello, or bytes that are not TLS, are kept as they
 * came and parsed by ch_parse_raw.
 *
 * The engine (mbedTLS 2.28) reads a ClientHello from exactly one record, so
 * hello_reasm_engine_flight re-frames the message as one record: the
 * transcript hashes handshake messages, not records, so both ends still
 * agree on it.
 *
 * Sans-I/O, no clock. Memory grows with the bytes that arrive (never on a
 * length a client only claims), up to CH_MAX_MESSAGE.
 */
#ifndef P2SGW_HELLO_REASM_H
#define P2SGW_HELLO_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "tls/clienthello.h"

/* A TLSPlaintext fragment is at most 2^14 bytes (RFC 5246 6.2.1). */
#define HR_RECORD_MAX  16384
/* The most an SSLv2-compatible hello can be: 2-byte header + 15-bit length. */
#define HR_RAW_MAX     (2 + 0x7fff)

enum hr_format { HR_UNDECIDED = 0, HR_RECORDS, HR_RAW };

struct hello_reasm {
	enum hr_format format;
	enum ch_status status;      /* CH_NEED_MORE until final */
	uint8_t       *buf;         /* handshake message (records) or raw bytes */
	size_t         len, cap;
	size_t         want;        /* records: message length incl. header, once known */
	uint8_t        hdr[5];      /* records: header of the current record */
	size_t         hdr_have;
	size_t         rec_left;    /* records: body bytes of the current record still due */
	uint16_t       rec_version; /* records: version of the first record */
	unsigned       n_records;
	size_t         consumed;    /* bytes of the first flight taken so far */
	int            oom;         /* the final result came from a failed allocation */
};

void hello_reasm_init(struct hello_reasm *r);
void hello_reasm_free(struct hello_reasm *r);

/*
 * Feed the next n bytes. CH_NEED_MORE: all n taken, the hello is not
 * complete. Otherwise the final result (also on later calls): CH_OK with
 * *out the parsed hello (hello_len, msg_len and n_records set), or
 * CH_NOT_TLS / CH_MALFORMED with out->error (and out->alert). *used is how
 * many of the n bytes were the hello's; on CH_OK the rest follow it. Once
 * final, a further call returns the same status and leaves *out alone.
 * Running out of memory is CH_MALFORMED with an error that says so and
 * alert 0; the caller tells it apart with hello_reasm_oom.
 */
enum ch_status hello_reasm_feed(struct hello_reasm *r, const uint8_t *p, size_t n,
                                size_t *used, struct ch_info *out);
int hello_reasm_oom(const struct hello_reasm *r);

/*
 * After CH_OK of a TLS hello: the bytes the TLS engine is to read first --
 * the whole ClientHello in one record (the first record's version), then
 * extra[0..extra_len) (what followed the hello); an SSLv2 hello as it came.
 * malloc'ed, *len set; NULL when out of memory or when the message does
 * not fit one record (HR_RECORD_MAX: refuse such a hello before).
 */
uint8_t *hello_reasm_engine_flight(const struct hello_reasm *r, const uint8_t *extra,
                                   size_t extra_len, size_t *len);

/* One shot: parse buf[0..len), all bytes received so far from the start of
 * the connection. Fills *out when CH_OK, and out->error otherwise (fields
 * parsed before an error may be set; ja3/ja4 and hello_len are not). */
enum ch_status ch_parse(const uint8_t *buf, size_t len, struct ch_info *out);

#endif
