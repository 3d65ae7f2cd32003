/*
 * ClientHello parser: real hellos captured on loopback from openssl s_client
 * 3.0, gnutls-cli 3.7.9 and curl (tests/fuzz/corpus/clienthello/), hellos
 * built here byte by byte, every prefix and every record split, and the
 * malformed cases.
 *
 * Expected JA3 strings were checked against a separate Python parser, and
 * their hashes with `printf '%s' "$ja3" | md5sum`. Expected JA4 values
 * come from the FoxIO worked example (technical_details/JA4.md in
 * FoxIO-LLC/ja4) where one exists. For the captures they come from the same
 * Python parser; their cipher and extension hashes can be checked with
 * `printf '%s' "002f,0035,..." | sha256sum | cut -c1-12`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/hello_reasm.h"

/* ------------------------------------------------------------------ */
/* Helpers: corpus files and a small hello builder.                    */

#define BUF_MAX (CH_MAX_MESSAGE * 7) /* the largest hello in 1-byte records */

struct bytes {
	uint8_t b[BUF_MAX];
	size_t  n;
};

static struct ch_info ci; /* ~6 KiB: static, not on the stack */

static const char *
source_dir(void)
{
	const char *s = getenv("P2SGW_SOURCE_DIR");
	return s != NULL && s[0] != '\0' ? s : P2SGW_SOURCE_DIR;
}

static void
load(struct bytes *out, const char *name)
{
	char  path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/clienthello/%s", source_dir(), name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	out->n = fread(out->b, 1, sizeof(out->b), f);
	fclose(f);
	assert_true(out->n > 0);
}

static void
put8(struct bytes *o, unsigned v)
{
	assert_true(o->n < sizeof(o->b));
	o->b[o->n++] = (uint8_t)v;
}

static void
put16(struct bytes *o, unsigned v)
{
	put8(o, v >> 8);
	put8(o, v & 0xff);
}

static void
put(struct bytes *o, const void *p, size_t n)
{
	assert_true(n <= sizeof(o->b) - o->n);
	if (n == 0)
		return; /* p may be NULL */
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* Extension with raw data. */
static void
ext(struct bytes *e, unsigned type, const void *data, size_t len)
{
	put16(e, type);
	put16(e, (unsigned)len);
	put(e, data, len);
}

/* Extension holding a uint16 list with a lenlen-byte length prefix. */
static void
ext_u16(struct bytes *e, unsigned type, size_t lenlen, const uint16_t *v, size_t n)
{
	size_t i;

	put16(e, type);
	put16(e, (unsigned)(lenlen + 2 * n));
	if (lenlen == 1)
		put8(e, (unsigned)(2 * n));
	else
		put16(e, (unsigned)(2 * n));
	for (i = 0; i < n; i++)
		put16(e, v[i]);
}

static void
ext_sni(struct bytes *e, const void *name, size_t len)
{
	put16(e, 0);
	put16(e, (unsigned)(len + 5));
	put16(e, (unsigned)(len + 3));
	put8(e, 0);
	put16(e, (unsigned)len);
	put(e, name, len);
}

/* Handshake message: ClientHello; exts == NULL means no extensions block. */
static void
client_hello(struct bytes *hs, uint16_t version, const uint16_t *suites, size_t n,
    const struct bytes *exts)
{
	size_t body = 2 + 32 + 1 + 2 + 2 * n + 2 + (exts ? 2 + exts->n : 0);
	size_t i;

	hs->n = 0;
	put8(hs, 1);
	put8(hs, (unsigned)(body >> 16));
	put16(hs, (unsigned)(body & 0xffff));
	put16(hs, version);
	for (i = 0; i < 32; i++)
		put8(hs, (unsigned)i); /* random */
	put8(hs, 0);               /* session_id */
	put16(hs, (unsigned)(2 * n));
	for (i = 0; i < n; i++)
		put16(hs, suites[i]);
	put8(hs, 1);
	put8(hs, 0); /* compression: null */
	if (exts != NULL) {
		put16(hs, (unsigned)exts->n);
		put(hs, exts->b, exts->n);
	}
}

/* Wrap handshake bytes into handshake records of at most frag bytes. */
static void
records(struct bytes *out, const struct bytes *hs, size_t frag)
{
	size_t off, k;

	out->n = 0;
	for (off = 0; off < hs->n; off += k) {
		k = hs->n - off < frag ? hs->n - off : frag;
		put8(out, 22);
		put16(out, 0x0301);
		put16(out, (unsigned)k);
		put(out, hs->b + off, k);
	}
}

static enum ch_status
parse(const struct bytes *in)
{
	return ch_parse(in->b, in->n, &ci);
}

/* Every strict prefix is CH_NEED_MORE, the whole input gives want. */
static void
assert_prefixes(const uint8_t *b, size_t n, enum ch_status want)
{
	size_t k;

	for (k = 0; k < n; k++) {
		enum ch_status st = ch_parse(b, k, &ci);
		if (st != CH_NEED_MORE)
			fail_msg("prefix %zu/%zu: status %d (%s)", k, n, st, ci.error);
	}
	assert_int_equal(ch_parse(b, n, &ci), want);
}

static struct bytes in, hs, ex; /* large: keep off the stack */

/* ------------------------------------------------------------------ */

static void
test_grease(void **state)
{
	assert_true(ch_is_grease(0x0a0a));
	assert_true(ch_is_grease(0x3a3a));
	assert_true(ch_is_grease(0xfafa));
	assert_false(ch_is_grease(0x0a1a));
	assert_false(ch_is_grease(0x1a0a));
	assert_false(ch_is_grease(0x0303));
	assert_false(ch_is_grease(0x0000));
}

/* openssl s_client -tls1_2 -servername vpn.example.test */
static void
test_openssl_tls12_sni(void **state)
{
	static const uint16_t sig_head[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808 };
	static const uint16_t groups[] = { 29, 23, 30, 25, 24 };

	load(&in, "openssl3_tls12_sni");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.sslv2, 0);
	assert_int_equal(ci.record_version, 0x0301);
	assert_int_equal(ci.legacy_version, 0x0303);
	assert_int_equal(ci.max_version, 0x0303);
	assert_int_equal(ci.n_versions, 0);
	assert_int_equal(ci.hello_len, 213);
	assert_int_equal(ci.session_id_len, 0);
	assert_int_equal(ci.n_suites, 28);
	assert_int_equal(ci.n_suites_total, 28);
	assert_int_equal(ci.suites[0], 0xc02c);
	assert_int_equal(ci.suites[26], 0x002f);
	assert_int_equal(ci.suites[27], 0x00ff);
	assert_int_equal(ci.n_exts, 7);
	assert_int_equal(ci.exts[0], 0);
	assert_int_equal(ci.exts[6], 13);
	assert_true(ci.has_sni);
	assert_string_equal(ci.sni, "vpn.example.test");
	assert_false(ci.has_alpn);
	assert_string_equal(ci.alpn_first, "");
	assert_int_equal(ci.n_groups, 5);
	assert_memory_equal(ci.groups, groups, sizeof(groups));
	assert_int_equal(ci.n_point_formats, 3);
	assert_int_equal(ci.point_formats[2], 2);
	assert_int_equal(ci.n_sigalgs, 20);
	assert_memory_equal(ci.sigalgs, sig_head, sizeof(sig_head));
	assert_int_equal(ci.sigalgs[19], 0x0602);
	assert_string_equal(ci.ja3,
	    "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-"
	    "49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,"
	    "0-11-10-35-22-23-13,29-23-30-25-24,0-1-2");
	assert_string_equal(ci.ja3_hash, "871a754af286dfb70c1b53c6887c62e0");
	assert_string_equal(ci.ja4, "t12d280700_d943125447b4_e7e480e5a997");
	assert_string_equal(ci.error, "");
}

/* openssl s_client -servername gw.example.test -alpn h2,http/1.1 (TLS 1.3) */
static void
test_openssl_tls13_alpn(void **state)
{
	static const uint16_t versions[] = { 0x0304, 0x0303, 0x0302, 0x0301 };

	load(&in, "openssl3_tls13_alpn");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.legacy_version, 0x0303);
	assert_int_equal(ci.max_version, 0x0304);
	assert_int_equal(ci.n_versions, 4);
	assert_memory_equal(ci.versions, versions, sizeof(versions));
	assert_int_equal(ci.session_id_len, 32);
	assert_int_equal(ci.n_suites, 31);
	assert_int_equal(ci.suites[0], 0x1302);
	assert_int_equal(ci.suites[2], 0x1301);
	assert_string_equal(ci.sni, "gw.example.test");
	assert_true(ci.has_alpn);
	assert_string_equal(ci.alpn_first, "h2");
	assert_int_equal(ci.n_groups, 10);
	assert_int_equal(ci.groups[5], 256); /* ffdhe2048 */
	assert_string_equal(ci.ja3_hash, "5a1edc7f170af1014fc65c994878e63c");
	assert_string_equal(ci.ja4, "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
}

/* curl https://vpn.example.test:PORT/ (--resolve to 127.0.0.1); padded to 512 */
static void
test_curl_sni(void **state)
{
	load(&in, "curl_sni");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.hello_len, 517);
	assert_int_equal(ci.max_version, 0x0304);
	assert_string_equal(ci.sni, "vpn.example.test");
	assert_string_equal(ci.alpn_first, "h2");
	assert_int_equal(ci.n_exts, 12);
	assert_int_equal(ci.exts[11], 21); /* padding */
	assert_string_equal(ci.ja3,
	    "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-"
	    "49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,"
	    "0-11-10-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2");
	assert_string_equal(ci.ja3_hash, "0149f47eabf9a20d0893e2a44e5a6323");
	assert_string_equal(ci.ja4, "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6");
}

/* gnutls-cli --sni-hostname vpn.example.test (SNI is not the first extension) */
static void
test_gnutls_sni(void **state)
{
	load(&in, "gnutls_sni");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.max_version, 0x0304);
	assert_int_equal(ci.n_suites, 29);
	assert_int_equal(ci.suites[3], 0x1304);
	assert_int_equal(ci.exts[9], 0xff01);
	assert_int_equal(ci.exts[10], 0);
	assert_string_equal(ci.sni, "vpn.example.test");
	assert_int_equal(ci.n_point_formats, 1);
	assert_int_equal(ci.n_sigalgs, 16);
	assert_int_equal(ci.sigalgs[14], 0x0201);
	assert_string_equal(ci.ja3_hash, "f35ce21b44ac0b87d3266294bb1b0e20");
	assert_string_equal(ci.ja4, "t13d291300_723694b0fccc_2cc26d266019");
}

/* TLS 1.0 only: openssl -tls1 and gnutls VERS-TLS1.0 (no supported_versions,
 * no signature_algorithms) */
static void
test_tls10_only(void **state)
{
	load(&in, "openssl3_tls10");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.record_version, 0x0301);
	assert_int_equal(ci.legacy_version, 0x0301);
	assert_int_equal(ci.max_version, 0x0301);
	assert_int_equal(ci.n_sigalgs, 0);
	assert_int_equal(ci.n_versions, 0);
	assert_false(ci.has_sni);
	assert_string_equal(ci.ja3,
	    "769,49162-49172-57-49161-49171-51-53-47-255,11-10-35-22-23,29-23-30-25-24,0-1-2");
	assert_string_equal(ci.ja3_hash, "53652b2730564404986852cde177b6d9");
	/* no sigalgs: the extension string ends without "_" */
	assert_string_equal(ci.ja4, "t10i090500_c491f621fb4c_195413a0cc0f");

	load(&in, "gnutls_tls10");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.max_version, 0x0301);
	assert_string_equal(ci.ja3_hash, "6740baf1748a6d61ee7946e690706073");
	assert_string_equal(ci.ja4, "t10i080800_051fb07a0855_f8a36b20a605");
}

/* A hello with no extensions block at all (Windows XP style suites). */
static void
test_tls10_no_extensions(void **state)
{
	static const uint16_t xp[] = { 0x0004, 0x0005, 0x000a, 0x0009, 0x0064, 0x0062,
		                       0x0003, 0x0006, 0x0013, 0x0012, 0x0063 };

	client_hello(&hs, 0x0301, xp, 11, NULL);
	records(&in, &hs, 16384);
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.max_version, 0x0301);
	assert_int_equal(ci.n_suites, 11);
	assert_int_equal(ci.n_exts, 0);
	assert_string_equal(ci.ja3, "769,4-5-10-9-100-98-3-6-19-18-99,,,");
	assert_string_equal(ci.ja3_hash, "de350869b8c85de67a350c8d186f11e6");
	assert_string_equal(ci.ja4, "t10i110000_3609b414f052_000000000000");

	/* the same bytes are in the corpus */
	load(&ex, "tls10_noext");
	assert_int_equal(ex.n, in.n);
	assert_memory_equal(ex.b, in.b, in.n);
}

/* OpenSSL with -max_send_frag 512: a real hello in two records (512 + 14). */
static void
test_fragmented_capture(void **state)
{
	load(&in, "openssl3_frag");
	assert_int_equal(in.b[3] << 8 | in.b[4], 512);
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.hello_len, 536);
	assert_int_equal(strlen(ci.sni), 213);
	assert_string_equal(ci.sni + 200, ".example.test");
	assert_string_equal(ci.ja3_hash, "3ee121355efbb507a751127af86a5257");
	assert_string_equal(ci.ja4, "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
}

/* Re-split a capture into two records at every cut, and into 1-byte records. */
static void
test_split_everywhere(void **state)
{
	char   ja3_hash[33], ja4[40];
	size_t cut, hs_len;

	load(&in, "openssl3_tls13_alpn");
	assert_int_equal(ch_parse(in.b, in.n, &ci), CH_OK);
	memcpy(ja3_hash, ci.ja3_hash, sizeof(ja3_hash));
	memcpy(ja4, ci.ja4, sizeof(ja4));
	hs_len = in.n - 5;
	memcpy(hs.b, in.b + 5, hs_len);
	hs.n = hs_len;

	for (cut = 1; cut < hs_len; cut++) {
		ex.n = 0;
		put8(&ex, 22);
		put16(&ex, 0x0301);
		put16(&ex, (unsigned)cut);
		put(&ex, hs.b, cut);
		put8(&ex, 22);
		put16(&ex, 0x0301);
		put16(&ex, (unsigned)(hs_len - cut));
		put(&ex, hs.b + cut, hs_len - cut);
		assert_prefixes(ex.b, ex.n, CH_OK);
		assert_int_equal(ci.hello_len, hs_len + 10);
		assert_int_equal(ci.record_version, 0x0301);
		assert_string_equal(ci.ja3_hash, ja3_hash);
		assert_string_equal(ci.ja4, ja4);
	}

	records(&ex, &hs, 1);
	assert_int_equal(ex.n, hs_len * 6);
	assert_prefixes(ex.b, ex.n, CH_OK);
	assert_int_equal(ci.hello_len, hs_len * 6);
	assert_string_equal(ci.ja4, ja4);
}

/* Bytes after the hello (the next record) are not part of it. */
static void
test_bytes_after_hello(void **state)
{
	static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };

	load(&in, "curl_sni");
	put(&in, ccs, sizeof(ccs));
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(ci.hello_len, 517);
}

/* Feed wire[0..n) to a reassembler in TCP segments of seg bytes. */
static enum ch_status
feed_segments(const uint8_t *wire, size_t n, size_t seg, size_t *used_total)
{
	struct hello_reasm r;
	enum ch_status st = CH_NEED_MORE;
	size_t off = 0, used;

	*used_total = 0;
	hello_reasm_init(&r);
	while (off < n && st == CH_NEED_MORE) {
		size_t k = n - off < seg ? n - off : seg;
		st = hello_reasm_feed(&r, wire + off, k, &used, &ci);
		*used_total += used;
		off += k;
	}
	hello_reasm_free(&r);
	return st;
}

/* Every split of a real hello: into records of every size 1..N, each in TCP
 * segments of several sizes, and, for one framing, at every TCP cut. */
static void
test_reassembly_every_split(void **state)
{
	static const size_t segs[] = { 1, 2, 3, 5, 7, 64, 1000, 100000 };
	char ja4[40], ja3[CH_JA3_MAX];
	size_t r, k, used, cut;

	load(&in, "openssl3_tls13_alpn");
	assert_int_equal(parse(&in), CH_OK);
	memcpy(ja4, ci.ja4, sizeof(ja4));
	memcpy(ja3, ci.ja3, sizeof(ja3));
	hs.n = in.n - 5;
	memcpy(hs.b, in.b + 5, hs.n);

	for (r = 1; r <= hs.n; r++) {
		records(&ex, &hs, r);
		for (k = 0; k < sizeof(segs) / sizeof(segs[0]); k++) {
			if (feed_segments(ex.b, ex.n, segs[k], &used) != CH_OK)
				fail_msg("records of %zu, segments of %zu: %s", r, segs[k], ci.error);
			assert_int_equal(used, ex.n);
			assert_int_equal(ci.hello_len, ex.n);
			assert_int_equal(ci.msg_len, hs.n);
			assert_int_equal(ci.n_records, (hs.n + r - 1) / r);
			assert_string_equal(ci.ja4, ja4);
			assert_string_equal(ci.ja3, ja3);
		}
	}

	/* records of 20 bytes, cut into two TCP segments at every byte */
	records(&ex, &hs, 20);
	for (cut = 1; cut < ex.n; cut++) {
		struct hello_reasm rs;
		enum ch_status st;
		hello_reasm_init(&rs);
		st = hello_reasm_feed(&rs, ex.b, cut, &used, &ci);
		assert_int_equal(st, CH_NEED_MORE);
		assert_int_equal(used, cut);
		st = hello_reasm_feed(&rs, ex.b + cut, ex.n - cut, &used, &ci);
		assert_int_equal(st, CH_OK);
		assert_int_equal(used, ex.n - cut);
		assert_string_equal(ci.ja4, ja4);
		hello_reasm_free(&rs);
	}
}

/* What the engine gets: the whole message in one record with the first
 * record's version, then whatever followed the hello. */
static void
test_reassembly_engine_flight(void **state)
{
	static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
	struct hello_reasm r;
	size_t used, n;
	uint8_t *e;

	load(&in, "curl_sni");
	hs.n = in.n - 5;
	memcpy(hs.b, in.b + 5, hs.n);
	records(&ex, &hs, 7);
	put(&ex, ccs, sizeof(ccs));

	hello_reasm_init(&r);
	assert_int_equal(hello_reasm_feed(&r, ex.b, ex.n, &used, &ci), CH_OK);
	assert_int_equal(used, ex.n - sizeof(ccs));
	e = hello_reasm_engine_flight(&r, ex.b + used, ex.n - used, &n);
	assert_non_null(e);
	assert_int_equal(n, 5 + hs.n + sizeof(ccs));
	assert_int_equal(e[0], 22);
	assert_int_equal(e[1] << 8 | e[2], 0x0301);
	assert_int_equal((size_t)(e[3] << 8 | e[4]), hs.n);
	assert_memory_equal(e + 5, hs.b, hs.n);
	assert_memory_equal(e + 5 + hs.n, ccs, sizeof(ccs));
	free(e);
	/* final: a later call changes nothing */
	assert_int_equal(hello_reasm_feed(&r, ex.b, ex.n, &used, &ci), CH_OK);
	assert_int_equal(used, 0);
	hello_reasm_free(&r);
}

/* Record-layer defects: each refused at the first byte that shows it, with
 * the RFC's alert. */
static void
test_reassembly_defects(void **state)
{
	static const uint16_t suites[] = { 0xc02f };
	static const struct {
		const char *what;
		int         kind;     /* how the flight is built, below */
		uint8_t     alert;
		const char *error;
	} cases[] = {
		{ "alert record inside", 1, CH_ALERT_UNEXPECTED_MESSAGE, "content type 21 (alert)" },
		{ "ccs record inside", 2, CH_ALERT_UNEXPECTED_MESSAGE, "content type 20" },
		{ "version change", 3, CH_ALERT_ILLEGAL_PARAMETER, "has version TLS 1.2" },
		{ "empty record", 4, CH_ALERT_UNEXPECTED_MESSAGE, "empty handshake record" },
		{ "record over 2^14", 5, CH_ALERT_RECORD_OVERFLOW, "length 16385 > 2^14" },
		{ "handshake type 202", 6, CH_ALERT_UNEXPECTED_MESSAGE, "type 202" },
		{ "bytes after the hello", 7, CH_ALERT_UNEXPECTED_MESSAGE, "4 more handshake bytes" },
		{ "major version 2 later", 8, CH_ALERT_DECODE_ERROR, "version major 2" },
	};
	size_t i, half;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ex.n = 0;
		ext(&ex, 10, (const uint8_t[]){ 0, 2, 0, 23 }, 4);
		client_hello(&hs, 0x0303, suites, 1, &ex);
		half = hs.n / 2;
		in.n = 0;
		switch (cases[i].kind) {
		case 1: case 2: case 3: case 8:
			put8(&in, 22); put16(&in, 0x0301); put16(&in, (unsigned)half);
			put(&in, hs.b, half);
			if (cases[i].kind == 1) {
				put8(&in, 21); put16(&in, 0x0301); put16(&in, 2); put8(&in, 1); put8(&in, 0);
			} else if (cases[i].kind == 2) {
				put8(&in, 20); put16(&in, 0x0301); put16(&in, 1); put8(&in, 1);
			}
			put8(&in, 22);
			put16(&in, cases[i].kind == 3 ? 0x0303 : cases[i].kind == 8 ? 0x0201 : 0x0301);
			put16(&in, (unsigned)(hs.n - half));
			put(&in, hs.b + half, hs.n - half);
			break;
		case 4:
			put8(&in, 22); put16(&in, 0x0301); put16(&in, 0);
			put8(&in, 22); put16(&in, 0x0301); put16(&in, (unsigned)hs.n);
			put(&in, hs.b, hs.n);
			break;
		case 5:
			put8(&in, 22); put16(&in, 0x0301); put16(&in, 16385);
			break;
		case 6:
			hs.b[0] = 202;
			records(&in, &hs, 1000);
			break;
		case 7:
			put8(&in, 22); put16(&in, 0x0301); put16(&in, (unsigned)(hs.n + 4));
			put(&in, hs.b, hs.n);
			put8(&in, 11); put8(&in, 0); put16(&in, 0);
			break;
		}
		enum ch_status st = parse(&in);
		if (st != CH_MALFORMED || ci.alert != cases[i].alert ||
		    strstr(ci.error, cases[i].error) == NULL)
			fail_msg("%s: status %d alert %u error '%s'", cases[i].what, st, ci.alert,
			    ci.error);
	}

	/* compression_methods without null: illegal_parameter (RFC 5246 7.4.1.2) */
	client_hello(&hs, 0x0303, suites, 1, NULL);
	hs.b[hs.n - 1] = 1; /* deflate only */
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_MALFORMED);
	assert_int_equal(ci.alert, CH_ALERT_ILLEGAL_PARAMETER);
	assert_non_null(strstr(ci.error, "lack null"));
	/* a grammar defect: decode_error */
	client_hello(&hs, 0x0303, suites, 1, NULL);
	hs.b[4 + 2 + 32] = 33; /* session_id length 33 */
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_MALFORMED);
	assert_int_equal(ci.alert, CH_ALERT_DECODE_ERROR);
}

/* Every input in the corpus that parses: no strict prefix is an error. */
static void
test_corpus_prefixes(void **state)
{
	static const char *const ok[] = {
		"curl_default", "curl_tls12max", "gnutls_default", "openssl3_tls12_nosni",
		"split_hs_header", "split_1byte_records", "foxio_ja4_example_grease",
		"sslv2_compat_openssl098", "sslv2_pure_ssl20", "caps_many_suites_exts",
		"alpn_nonalnum",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		load(&in, ok[i]);
		assert_prefixes(in.b, in.n, CH_OK);
		assert_int_equal(ci.hello_len, in.n);
	}
}

/*
 * SSLv2-compatible CLIENT-HELLO as OpenSSL 0.9.8 sent it by default
 * (RFC 5246 E.2). 25 cipher specs, 19 of which ({0x00, hi, lo}) are TLS
 * suites; the others are SSL 2.0 kinds.
 */
static const uint8_t sslv2_hello[] = {
	0x80, 0x74,             /* 2-byte header, length 116 */
	0x01,                   /* msg_type CLIENT-HELLO */
	0x03, 0x01,             /* version TLS 1.0 */
	0x00, 0x4b,             /* cipher_spec_length 75 = 25 specs */
	0x00, 0x00,             /* session_id_length */
	0x00, 0x20,             /* challenge_length 32 */
	0x00, 0x00, 0x39,       /* TLS_DHE_RSA_WITH_AES_256_CBC_SHA */
	0x00, 0x00, 0x38,       /* TLS_DHE_DSS_WITH_AES_256_CBC_SHA */
	0x00, 0x00, 0x35,       /* TLS_RSA_WITH_AES_256_CBC_SHA */
	0x00, 0x00, 0x16,       /* TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA */
	0x00, 0x00, 0x13,       /* TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA */
	0x00, 0x00, 0x0a,       /* TLS_RSA_WITH_3DES_EDE_CBC_SHA */
	0x07, 0x00, 0xc0,       /* SSL_CK_DES_192_EDE3_CBC_WITH_MD5 */
	0x00, 0x00, 0x33,       /* TLS_DHE_RSA_WITH_AES_128_CBC_SHA */
	0x00, 0x00, 0x32,       /* TLS_DHE_DSS_WITH_AES_128_CBC_SHA */
	0x00, 0x00, 0x2f,       /* TLS_RSA_WITH_AES_128_CBC_SHA */
	0x03, 0x00, 0x80,       /* SSL_CK_RC2_128_CBC_WITH_MD5 */
	0x00, 0x00, 0x05,       /* TLS_RSA_WITH_RC4_128_SHA */
	0x00, 0x00, 0x04,       /* TLS_RSA_WITH_RC4_128_MD5 */
	0x01, 0x00, 0x80,       /* SSL_CK_RC4_128_WITH_MD5 */
	0x00, 0x00, 0x15,       /* TLS_DHE_RSA_WITH_DES_CBC_SHA */
	0x00, 0x00, 0x12,       /* TLS_DHE_DSS_WITH_DES_CBC_SHA */
	0x00, 0x00, 0x09,       /* TLS_RSA_WITH_DES_CBC_SHA */
	0x06, 0x00, 0x40,       /* SSL_CK_DES_64_CBC_WITH_MD5 */
	0x00, 0x00, 0x14,       /* TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA */
	0x00, 0x00, 0x11,       /* TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA */
	0x00, 0x00, 0x08,       /* TLS_RSA_EXPORT_WITH_DES40_CBC_SHA */
	0x00, 0x00, 0x06,       /* TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5 */
	0x04, 0x00, 0x80,       /* SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5 */
	0x00, 0x00, 0x03,       /* TLS_RSA_EXPORT_WITH_RC4_40_MD5 */
	0x02, 0x00, 0x80,       /* SSL_CK_RC4_128_EXPORT40_WITH_MD5 */
	/* challenge: 32 bytes */
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d,
	0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b,
	0x5c, 0x5d, 0x5e, 0x5f,
};

static void
test_sslv2_compat(void **state)
{
	static const uint16_t first[] = { 0x39, 0x38, 0x35, 0x16, 0x13, 0x0a, 0x33 };

	assert_prefixes(sslv2_hello, sizeof(sslv2_hello), CH_OK);
	assert_int_equal(ci.sslv2, 1);
	assert_int_equal(ci.record_version, 0x0002);
	assert_int_equal(ci.legacy_version, 0x0301);
	assert_int_equal(ci.max_version, 0x0301);
	assert_int_equal(ci.hello_len, sizeof(sslv2_hello));
	assert_int_equal(ci.n_suites, 19);
	assert_memory_equal(ci.suites, first, sizeof(first));
	assert_int_equal(ci.suites[18], 0x03);
	assert_int_equal(ci.n_exts, 0);
	assert_false(ci.has_sni);
	/* JA3 from what exists: version, TLS suites, three empty fields. */
	assert_string_equal(ci.ja3, "769,57-56-53-22-19-10-51-50-47-5-4-21-18-9-20-17-8-6-3,,,");
	assert_string_equal(ci.ja3_hash, "42ae5b5d6645ded7d36294a006a85fde");
	/* sha256("0003,0004,0005,0006,0008,0009,000a,0011,...,0039")[:12] */
	assert_string_equal(ci.ja4, "t10i190000_7b6e7846fca7_000000000000");

	load(&in, "sslv2_compat_openssl098");
	assert_int_equal(in.n, sizeof(sslv2_hello));
	assert_memory_equal(in.b, sslv2_hello, in.n);
}

/* An SSL 2.0-only client (version 0.2, SSLv2 kinds only), like testssl.sh's probe. */
static void
test_sslv2_pure(void **state)
{
	load(&in, "sslv2_pure_ssl20");
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.sslv2, 1);
	assert_int_equal(ci.max_version, 0x0002);
	assert_int_equal(ci.n_suites, 0);
	assert_string_equal(ci.ja3, "2,,,,");
	assert_string_equal(ci.ja3_hash, "ebd319fa8e3e1956278f639d75f61787");
	assert_string_equal(ci.ja4, "ts2i000000_000000000000_000000000000");
}

static void
test_sslv2_malformed(void **state)
{
	memcpy(in.b, sslv2_hello, sizeof(sslv2_hello));
	in.n = sizeof(sslv2_hello);

	in.b[10] = 0x08; /* challenge_length 8 */
	assert_int_equal(parse(&in), CH_MALFORMED);
	assert_non_null(strstr(ci.error, "challenge"));
	in.b[10] = 0x20;

	in.b[6] = 0x4a; /* cipher_spec_length 74: not a multiple of 3 */
	assert_int_equal(parse(&in), CH_MALFORMED);
	in.b[6] = 0x4b;

	in.b[1] = 0x75; /* header length one more than the fields */
	assert_int_equal(parse(&in), CH_MALFORMED);
	in.b[1] = 0x74;

	in.b[8] = 0x21; /* session_id_length 33 */
	assert_int_equal(parse(&in), CH_MALFORMED);
	in.b[8] = 0x00;

	assert_int_equal(parse(&in), CH_OK);
}

static void
test_not_tls(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\n";
	static const uint8_t bin[] = { 0x80, 0x10, 0x05, 0x00, 0x00 };
	static const uint8_t alert[] = { 0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28 };
	static const uint8_t v4[] = { 0x16, 0x04, 0x01, 0x00, 0x10 };
	size_t k;

	for (k = 1; k <= strlen(get); k++)
		assert_int_equal(ch_parse((const uint8_t *)get, k, &ci), CH_NOT_TLS);
	assert_string_equal(ci.error, "first bytes look like HTTP (\"GET /\")");
	assert_int_equal(ch_parse((const uint8_t *)get, 1, &ci), CH_NOT_TLS);
	assert_non_null(strstr(ci.error, "0x47"));

	assert_int_equal(ch_parse((const uint8_t *)"SSH-2.0-x\r\n", 11, &ci), CH_NOT_TLS);
	assert_string_equal(ci.error, "first bytes look like plain text (\"SSH-2\")");

	assert_int_equal(ch_parse(alert, sizeof(alert), &ci), CH_NOT_TLS);
	assert_non_null(strstr(ci.error, "0x15"));

	/* high bit set but byte 2 is not CLIENT-HELLO: decided at 3 bytes */
	assert_int_equal(ch_parse(bin, 2, &ci), CH_NEED_MORE);
	assert_int_equal(ch_parse(bin, 3, &ci), CH_NOT_TLS);

	/* 0x16 but no {3, x} version: decided at 2 bytes */
	assert_int_equal(ch_parse(v4, 1, &ci), CH_NEED_MORE);
	assert_int_equal(ch_parse(v4, 2, &ci), CH_NOT_TLS);

	assert_int_equal(ch_parse(v4, 0, &ci), CH_NEED_MORE);
}

/* A small valid hello that the malformed cases below corrupt. */
static void
build_small(void)
{
	static const uint16_t suites[] = { 0xc02f, 0x009c };
	static const uint16_t groups[] = { 23 };
	static const uint16_t sig[] = { 0x0401 };

	ex.n = 0;
	ext_sni(&ex, "a.test", 6);
	ext_u16(&ex, 10, 2, groups, 1);
	ext_u16(&ex, 13, 2, sig, 1);
	client_hello(&hs, 0x0303, suites, 2, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
}

/* Offsets in the record built by build_small(). */
#define OFF_HS       5
#define OFF_SID      (OFF_HS + 4 + 2 + 32)
#define OFF_SUITES   (OFF_SID + 1)
#define OFF_COMP     (OFF_SUITES + 2 + 4)
#define OFF_EXTS     (OFF_COMP + 2)

static void
expect_malformed(const char *what)
{
	enum ch_status st = parse(&in);
	if (st != CH_MALFORMED)
		fail_msg("%s: status %d, want CH_MALFORMED", what, st);
	assert_true(ci.error[0] != '\0');
	assert_int_equal(ci.hello_len, 0);
	build_small();
}

static void
test_malformed_lengths(void **state)
{
	build_small();
	assert_int_equal(in.b[OFF_SUITES + 1], 4);
	assert_int_equal(in.b[OFF_COMP], 1);

	in.b[OFF_SID] = 33;
	expect_malformed("session_id 33");
	in.b[OFF_SUITES + 1] = 3;
	expect_malformed("odd cipher_suites length");
	in.b[OFF_SUITES + 1] = 0;
	expect_malformed("empty cipher_suites");
	in.b[OFF_SUITES] = 0xff;
	expect_malformed("cipher_suites past the end");
	in.b[OFF_COMP] = 0;
	expect_malformed("no compression methods");
	in.b[OFF_COMP] = 0xff;
	expect_malformed("compression methods past the end");
	in.b[OFF_EXTS + 1]++;
	expect_malformed("extensions length too long");
	in.b[OFF_EXTS + 1]--;
	in.b[OFF_EXTS + 1]--;
	expect_malformed("extensions length too short");
	in.b[OFF_EXTS + 5] = 0xff; /* server_name ext length */
	expect_malformed("extension past the block");

	/* handshake length one less: the extension block overruns the body */
	in.b[OFF_HS + 3]--;
	in.b[4]--;
	in.n--;
	expect_malformed("short handshake length");

	in.b[OFF_HS] = 2; /* ServerHello */
	expect_malformed("handshake type");
	in.b[3] = 0x48;
	in.b[4] = 0x01;
	expect_malformed("record length > 2^14 + 2048");
	in.b[OFF_HS + 1] = 0;
	in.b[OFF_HS + 2] = 0;
	in.b[OFF_HS + 3] = 40;
	expect_malformed("body shorter than any hello");

	/* zero-length handshake record */
	memmove(in.b + 5, in.b, in.n);
	memcpy(in.b, "\x16\x03\x01\x00\x00", 5);
	in.n += 5;
	expect_malformed("empty record");
}

static void
test_malformed_records(void **state)
{
	static const uint8_t appdata[] = { 0x17, 0x03, 0x03, 0x00, 0x01, 0x00 };

	build_small();
	records(&in, &hs, 20);
	assert_int_equal(parse(&in), CH_OK);
	/* an application_data record between the fragments */
	in.n = 25;
	put(&in, appdata, sizeof(appdata));
	assert_int_equal(parse(&in), CH_MALFORMED);
	/* a second record with version {2, x} */
	records(&in, &hs, 20);
	in.b[26] = 0x02;
	assert_int_equal(parse(&in), CH_MALFORMED);
}

static void
test_trailing_and_duplicates(void **state)
{
	static const uint16_t g1[] = { 23 }, g2[] = { 24 };
	static const uint16_t suites[] = { 0x002f };

	ex.n = 0;
	ext_u16(&ex, 10, 2, g1, 1);
	ext(&ex, 23, NULL, 0);
	ext_u16(&ex, 10, 2, g2, 1);
	client_hello(&hs, 0x0303, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_MALFORMED);
	assert_string_equal(ci.error, "extension 10 appears twice");

	/* Duplicate GREASE types are duplicates too. */
	ex.n = 0;
	ext(&ex, 0x0a0a, NULL, 0);
	ext(&ex, 0x0a0a, NULL, 0);
	client_hello(&hs, 0x0303, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_MALFORMED);

	load(&in, "trailing_after_exts");
	assert_int_equal(parse(&in), CH_MALFORMED);
	load(&in, "dup_ext");
	assert_int_equal(parse(&in), CH_MALFORMED);
	load(&in, "ext_len_overrun");
	assert_int_equal(parse(&in), CH_MALFORMED);
}

/* Malformed contents of the extensions the parser decodes. */
static void
test_malformed_extension_data(void **state)
{
	static const uint16_t suites[] = { 0x002f };
	static const struct {
		const char *what;
		unsigned    type;
		const char *data;
		size_t      len;
	} bad[] = {
		{ "sni empty", 0, "", 0 },
		{ "sni list length", 0, "\x00\x05\x00\x00\x01x", 6 },
		{ "sni empty name", 0, "\x00\x03\x00\x00\x00", 5 },
		{ "sni name overrun", 0, "\x00\x04\x00\x00\x09x", 6 },
		{ "groups odd", 10, "\x00\x03\x00\x17\x00", 5 },
		{ "groups empty", 10, "\x00\x00", 2 },
		{ "groups list length", 10, "\x00\x04\x00\x17", 4 },
		{ "point formats empty", 11, "\x00", 1 },
		{ "point formats length", 11, "\x02\x00", 2 },
		{ "sigalgs odd", 13, "\x00\x01\x04", 3 },
		{ "alpn empty protocol", 16, "\x00\x03\x00\x01h", 5 },
		{ "alpn overrun", 16, "\x00\x03\x05h2", 5 },
		{ "alpn short list", 16, "\x00\x01\x00", 3 },
		{ "versions odd", 43, "\x03\x03\x04\x03", 4 },
		{ "versions empty", 43, "\x00", 1 },
		{ "versions length", 43, "\x04\x03\x04", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ex.n = 0;
		ext(&ex, bad[i].type, bad[i].data, bad[i].len);
		client_hello(&hs, 0x0303, suites, 1, &ex);
		records(&in, &hs, 16384);
		if (parse(&in) != CH_MALFORMED)
			fail_msg("%s: not CH_MALFORMED", bad[i].what);
	}
}

static void
test_sni_sanitized(void **state)
{
	static const uint16_t suites[] = { 0x002f };
	char long_name[300];

	ex.n = 0;
	ext_sni(&ex, "vpn\x01.ex\x7f" "ample", 13);
	client_hello(&hs, 0x0303, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_true(ci.has_sni);
	assert_string_equal(ci.sni, "vpn?.ex?ample");

	/* "good.example\0evil" must not read as "good.example" */
	load(&in, "sni_nul");
	assert_int_equal(parse(&in), CH_MALFORMED);
	assert_non_null(strstr(ci.error, "NUL"));

	memset(long_name, 'a', sizeof(long_name));
	ex.n = 0;
	ext_sni(&ex, long_name, sizeof(long_name));
	client_hello(&hs, 0x0303, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(strlen(ci.sni), sizeof(ci.sni) - 1);

	/* a non-host_name entry first: the host_name after it is used */
	ex.n = 0;
	ext(&ex, 0, "\x00\x0b\x05\x00\x01z\x00\x00\x04host", 13);
	client_hello(&hs, 0x0303, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_string_equal(ci.sni, "host");
}

static void
test_versions(void **state)
{
	static const uint16_t suites[] = { 0x1301 };
	static const uint16_t v1[] = { 0x7a7a, 0x0304, 0x0303 };
	static const uint16_t v2[] = { 0x2a2a };

	ex.n = 0;
	ext_u16(&ex, 43, 1, v1, 3);
	client_hello(&hs, 0x0303, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(ci.max_version, 0x0304);
	assert_int_equal(ci.n_versions, 2);
	assert_int_equal(ci.versions[0], 0x0304);
	assert_int_equal(ci.versions[1], 0x0303);

	/* only GREASE: fall back to legacy_version */
	ex.n = 0;
	ext_u16(&ex, 43, 1, v2, 1);
	client_hello(&hs, 0x0302, suites, 1, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(ci.max_version, 0x0302);
	assert_int_equal(ci.n_versions, 0);
	assert_int_equal(strncmp(ci.ja4, "t11i0101", 8), 0);

	client_hello(&hs, 0x0300, suites, 1, NULL);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(strncmp(ci.ja4, "ts3i0100", 8), 0);

	client_hello(&hs, 0x0305, suites, 1, NULL);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(strncmp(ci.ja4, "t00i0100", 8), 0);
}

/*
 * The worked example of FoxIO's JA4 specification (FoxIO-LLC/ja4,
 * technical_details/JA4.md): 15 ciphers, 16 extensions, ALPN h2, and
 *   JA4 = t13d1516h2_8daaf6152771_e5627efa2ab1
 * Chrome-style GREASE is added to the suites, extensions, groups and
 * versions; JA4 must ignore it.
 */
static const uint16_t foxio_suites[] = {
	0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};

static void
foxio_exts(struct bytes *e, const uint16_t *sig, size_t n_sig)
{
	static const uint16_t versions[] = { 0x7a7a, 0x0304, 0x0303 };
	static const uint16_t groups[] = { 0x3a3a, 29, 23, 24 };
	static const uint8_t  zeros[16];

	e->n = 0;
	ext(e, 0x0a0a, NULL, 0);                            /* GREASE */
	ext(e, 0x001b, "\x02\x00\x02", 3);                  /* compress_certificate */
	ext_sni(e, "example.com", 11);                      /* 0x0000 */
	ext(e, 0x0033, "\x00\x00", 2);                      /* key_share */
	ext(e, 0x0010, "\x00\x0c\x02h2\x08http/1.1", 14);   /* ALPN */
	ext(e, 0x4469, "\x00\x03\x02h2", 5);                /* ALPS */
	ext(e, 0x0017, NULL, 0);                            /* extended_master_secret */
	ext(e, 0x002d, "\x01\x01", 2);                      /* psk_key_exchange_modes */
	ext_u16(e, 0x000d, 2, sig, n_sig);                  /* signature_algorithms */
	ext(e, 0x0005, "\x01\x00\x00\x00\x00", 5);          /* status_request */
	ext(e, 0x0023, NULL, 0);                            /* session_ticket */
	ext(e, 0x0012, NULL, 0);                            /* signed_certificate_timestamp */
	ext_u16(e, 0x002b, 1, versions, 3);                 /* supported_versions */
	ext(e, 0xff01, "\x00", 1);                          /* renegotiation_info */
	ext(e, 0x000b, "\x01\x00", 2);                      /* ec_point_formats */
	ext_u16(e, 0x000a, 2, groups, 4);                   /* supported_groups */
	ext(e, 0x0015, zeros, sizeof(zeros));               /* padding */
	ext(e, 0x1a1a, "\x00", 1);                          /* GREASE */
}

static void
test_ja4_foxio_example(void **state)
{
	static const uint16_t sig[] = { 0x0403, 0x0804, 0x0401, 0x0503,
		                        0x0805, 0x0501, 0x0806, 0x0601 };
	static const uint16_t grease_sig[] = { 0x0a0a };

	foxio_exts(&ex, sig, 8);
	client_hello(&hs, 0x0303, foxio_suites, 16, &ex);
	records(&in, &hs, 16384);
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.n_suites, 16);
	assert_int_equal(ci.n_exts, 18);
	assert_int_equal(ci.max_version, 0x0304);
	assert_string_equal(ci.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_string_equal(ci.ja3,
	    "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
	    "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
	assert_string_equal(ci.ja3_hash, "c000e2caf3a25423f9de6c8a4b12a975");

	/* The document's no-signature-algorithms case: "0005,...,ff01" hashes
	 * to 6d807ffa2a79. Only a GREASE sigalg is left, so the list is empty. */
	foxio_exts(&ex, grease_sig, 1);
	client_hello(&hs, 0x0303, foxio_suites, 16, &ex);
	records(&in, &hs, 16384);
	assert_int_equal(parse(&in), CH_OK);
	assert_string_equal(ci.ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");

	/* Same hello as in the corpus (there with a 32-byte session id). */
	load(&in, "foxio_ja4_example_grease");
	assert_int_equal(parse(&in), CH_OK);
	assert_string_equal(ci.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* ALPN characters: the document's examples for non-alphanumeric values. */
static void
test_ja4_alpn(void **state)
{
	static const uint16_t suites[] = { 0x1301 };
	static const struct {
		const char *value;
		size_t      len;
		const char *want;
	} cases[] = {
		{ "h2", 2, "h2" },
		{ "http/1.1", 8, "h1" },
		{ "x", 1, "xx" },
		{ "\xab", 1, "ab" },
		{ "\xab\xcd", 2, "ad" },
		{ "\x30\xab", 2, "3b" },
		{ "\x30\x31\xab\xcd", 4, "3d" },
		{ "\x30\xab\xcd\x31", 4, "01" },
	};
	uint8_t data[16];
	size_t  i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		data[0] = 0;
		data[1] = (uint8_t)(cases[i].len + 1);
		data[2] = (uint8_t)cases[i].len;
		memcpy(data + 3, cases[i].value, cases[i].len);
		ex.n = 0;
		ext(&ex, 16, data, cases[i].len + 3);
		client_hello(&hs, 0x0303, suites, 1, &ex);
		records(&in, &hs, 16384);
		assert_int_equal(parse(&in), CH_OK);
		assert_memory_equal(ci.ja4 + 8, cases[i].want, 2);
	}
	assert_string_equal(ci.alpn_first, "0??1");

	/* ciphers all GREASE, extensions only SNI and ALPN: both hashes zero */
	{
		static const uint16_t g[] = { 0x0a0a };

		ex.n = 0;
		ext_sni(&ex, "x.test", 6);
		ext(&ex, 16, "\x00\x03\x02h2", 5);
		client_hello(&hs, 0x0303, g, 1, &ex);
		records(&in, &hs, 16384);
		assert_int_equal(parse(&in), CH_OK);
		assert_string_equal(ci.ja4, "t12d0002h2_000000000000_000000000000");
		assert_string_equal(ci.ja3, "771,,0-16,,");
	}
}

/* Lists beyond the caps are counted and truncated, never overflowed. */
static void
test_caps(void **state)
{
	load(&in, "caps_many_suites_exts");
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(ci.n_suites, CH_MAX_SUITES);
	assert_int_equal(ci.n_suites_total, 300);
	assert_int_equal(ci.suites[CH_MAX_SUITES - 1], 0x0100 + CH_MAX_SUITES - 1);
	assert_int_equal(ci.n_exts, CH_MAX_EXTS);
	assert_int_equal(ci.n_exts_total, 70);
	assert_true(strlen(ci.ja3) < sizeof(ci.ja3));
	assert_int_equal(strlen(ci.ja3_hash), 32);
	assert_int_equal(strncmp(ci.ja4, "t12i9964", 8), 0);
}

/* Large hellos: the parser takes anything the grammar allows, in any
 * fragmentation; a length above the grammar's maximum is malformed. */
static void
test_large_hellos(void **state)
{
	static const uint16_t suites[] = { 0x002f };
	static uint8_t pad[20000];

	ex.n = 0;
	ext(&ex, 21, pad, sizeof(pad));
	client_hello(&hs, 0x0303, suites, 1, &ex);

	records(&in, &hs, 4000); /* 6 records */
	assert_prefixes(in.b, in.n, CH_OK);
	assert_int_equal(ci.hello_len, hs.n + 6 * 5);
	assert_int_equal(ci.msg_len, hs.n);
	assert_int_equal(ci.n_records, 6);

	records(&in, &hs, 1); /* 20 KB in 1-byte records: 120 KB on the wire */
	assert_int_equal(parse(&in), CH_OK);
	assert_int_equal(ci.n_records, hs.n);
	assert_int_equal(ci.hello_len, hs.n * 6);

	/* the largest ClientHello the grammar allows: 32 bytes of session_id,
	 * 32767 suites, 255 compression methods, 65535 bytes of extensions */
	{
		static uint16_t many[32767];
		static uint8_t  big[65535 - 4];
		size_t i;
		for (i = 0; i < 32767; i++)
			many[i] = (uint16_t)(0x0100 + i % 0xfe00);
		ex.n = 0;
		ext(&ex, 21, big, sizeof(big));
		client_hello(&hs, 0x0303, many, 32767, &ex);
		/* client_hello writes an empty session_id and only null: grow both */
		struct bytes *m = &in;
		m->n = 0;
		put8(m, 1);
		put8(m, 0);
		put16(m, 0);                    /* length, set below */
		put(m, hs.b + 4, 2 + 32);       /* version, random */
		put8(m, 32);
		for (i = 0; i < 32; i++)
			put8(m, (unsigned)i);
		put(m, hs.b + 4 + 34 + 1, 2 + 2 * 32767);
		put8(m, 255);
		for (i = 0; i < 255; i++)
			put8(m, (unsigned)i);     /* null (0) is among them */
		put(m, hs.b + 4 + 34 + 1 + 2 + 2 * 32767 + 2, 2 + ex.n);
		assert_int_equal(m->n, CH_MAX_MESSAGE);
		m->b[1] = (uint8_t)((m->n - 4) >> 16);
		m->b[2] = (uint8_t)((m->n - 4) >> 8);
		m->b[3] = (uint8_t)(m->n - 4);
		hs = *m;
		records(&in, &hs, 16384);
		assert_int_equal(parse(&in), CH_OK);
		assert_int_equal(ci.msg_len, CH_MAX_MESSAGE);
		assert_int_equal(ci.n_suites_total, 32767);
		assert_int_equal(ci.n_records, (CH_MAX_MESSAGE + 16383) / 16384);
	}

	/* one byte more than the grammar allows: refused from the header */
	{
		static const uint8_t over[] = { 22, 3, 1, 0x40, 0, 1, 0x02, 0x01, 0x45 };
		assert_int_equal(ch_parse(over, 8, &ci), CH_NEED_MORE);
		assert_int_equal(ch_parse(over, 9, &ci), CH_MALFORMED);
		assert_int_equal(ci.alert, CH_ALERT_DECODE_ERROR);
		assert_non_null(strstr(ci.error, "largest the grammar allows"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grease),
		cmocka_unit_test(test_openssl_tls12_sni),
		cmocka_unit_test(test_openssl_tls13_alpn),
		cmocka_unit_test(test_curl_sni),
		cmocka_unit_test(test_gnutls_sni),
		cmocka_unit_test(test_tls10_only),
		cmocka_unit_test(test_tls10_no_extensions),
		cmocka_unit_test(test_fragmented_capture),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_bytes_after_hello),
		cmocka_unit_test(test_reassembly_every_split),
		cmocka_unit_test(test_reassembly_engine_flight),
		cmocka_unit_test(test_reassembly_defects),
		cmocka_unit_test(test_corpus_prefixes),
		cmocka_unit_test(test_sslv2_compat),
		cmocka_unit_test(test_sslv2_pure),
		cmocka_unit_test(test_sslv2_malformed),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_trailing_and_duplicates),
		cmocka_unit_test(test_malformed_extension_data),
		cmocka_unit_test(test_sni_sanitized),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_ja4_foxio_example),
		cmocka_unit_test(test_ja4_alpn),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_large_hellos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
