/*
 * Fuzz target: the reassembler (tls/hello_reasm.h). The bytes are a first
 * flight; they are fed in chunks whose sizes are drawn from the bytes
 * themselves (as TCP might deliver them), and the result is compared with
 * ch_parse in one shot. abort() when:
 *   - a chunked feed gives another status, JA3, JA4, hello_len, msg_len or
 *     record count than one shot;
 *   - a feed takes more bytes than it was given, or stops taking bytes
 *     while it still needs more, or the bytes used do not add up to the
 *     hello's length; a final result does not stay final;
 *   - a parsed TLS hello, re-framed into records of another size, or into
 *     the one record the engine reads, parses differently (the engine's
 *     flight is refused only above TLS_ENGINE_MAX_HELLO);
 *   - CH_MALFORMED comes without an alert, or any final result without an
 *     error text (CH_OK aside).
 *
 * Corpus tests/fuzz/corpus/hello_reasm/: real hellos (openssl, curl, gnutls)
 * in records of 1, 20 and 1,024 bytes, a 20,000-byte hello in two records,
 * an alert record and a version change inside a hello, handshake type 202,
 * compression without null, an SSLv2-compatible hello, non-TLS bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/hello_reasm.h"
#include "tls/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static struct ch_info full, part;
static uint8_t        reframed[CH_MAX_MESSAGE * 6];

/* msg[0..msg_len) as handshake records of frag bytes; 0 when it does not fit. */
static size_t
reframe(const uint8_t *msg, size_t msg_len, size_t frag)
{
	size_t off = 0, n = 0, k;

	for (; off < msg_len; off += k) {
		k = msg_len - off < frag ? msg_len - off : frag;
		if (n + 5 + k > sizeof(reframed))
			return 0;
		reframed[n] = 22;
		reframed[n + 1] = 3;
		reframed[n + 2] = 1;
		reframed[n + 3] = (uint8_t)(k >> 8);
		reframed[n + 4] = (uint8_t)k;
		memcpy(reframed + n + 5, msg + off, k);
		n += 5 + k;
	}
	return n;
}

static void
same_hello(const struct ch_info *a, const struct ch_info *b)
{
	CHECK(strcmp(a->ja3, b->ja3) == 0 && strcmp(a->ja4, b->ja4) == 0);
	CHECK(a->msg_len == b->msg_len && strcmp(a->sni, b->sni) == 0);
	CHECK(a->n_exts_total == b->n_exts_total && a->n_suites_total == b->n_suites_total);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hello_reasm r;
	enum ch_status st_full, st = CH_NEED_MORE;
	size_t off = 0, used, total = 0, i = 0;

	st_full = ch_parse(data, size, &full);

	hello_reasm_init(&r);
	while (off < size && st == CH_NEED_MORE) {
		size_t k = 1 + data[i++ % size] % 37;
		if (k > size - off)
			k = size - off;
		st = hello_reasm_feed(&r, data + off, k, &used, &part);
		CHECK(used <= k);
		CHECK(st != CH_NEED_MORE || used == k);
		total += used;
		off += k;
	}
	CHECK(st == st_full);
	CHECK(st == CH_MALFORMED ? part.alert != 0 || hello_reasm_oom(&r) : part.alert == 0);
	CHECK((st == CH_OK || st == CH_NEED_MORE) == (part.error[0] == '\0'));
	if (st != CH_OK) {
		hello_reasm_free(&r);
		return 0;
	}

	CHECK(total == full.hello_len && part.hello_len == full.hello_len);
	CHECK(part.n_records == full.n_records);
	same_hello(&part, &full);
	CHECK(hello_reasm_feed(&r, data, size, &used, &part) == CH_OK && used == 0);

	/* what the engine reads: one record (an SSLv2 hello as it came) */
	size_t elen;
	uint8_t *e = hello_reasm_engine_flight(&r, data + full.hello_len, size - full.hello_len,
	    &elen);
	if (!full.sslv2 && full.msg_len > TLS_ENGINE_MAX_HELLO) {
		CHECK(e == NULL);
	} else if (e != NULL) {
		CHECK(elen == size - full.hello_len + (full.sslv2 ? full.hello_len : full.msg_len + 5));
		CHECK(ch_parse(e, elen, &part) == CH_OK);
		same_hello(&part, &full);
		CHECK(full.sslv2 || part.n_records == 1);
		free(e);
	}

	/* re-framed into records of another size: the same hello */
	if (!full.sslv2) {
		size_t frag = 1 + size % 300;
		size_t n = reframe(r.buf, full.msg_len, frag);
		if (n > 0) {
			CHECK(ch_parse(reframed, n, &part) == CH_OK);
			same_hello(&part, &full);
			CHECK(part.n_records == (full.msg_len + frag - 1) / frag);
		}
	}
	hello_reasm_free(&r);
	return 0;
}
