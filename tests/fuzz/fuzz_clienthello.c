/*
 * Fuzz target: the bytes are what a client sends first on the connection.
 *
 * ch_parse runs on the whole input and on a few prefixes (fuzz_hello_reasm.c
 * feeds the same bytes in chunks); abort() when:
 *   - a count exceeds its cap or its total, a string is not NUL-terminated
 *     inside its array, the SNI holds a non-printable byte;
 *   - CH_OK without a sane hello_len / msg_len / JA3 hash / JA4 shape, or a
 *     result other than CH_NEED_MORE without an error message, or
 *     CH_MALFORMED without an alert;
 *   - results disagree across prefixes: once a prefix gives a final result,
 *     every longer input gives the same one (a strict prefix of a hello is
 *     CH_NEED_MORE, never CH_MALFORMED), and CH_NOT_TLS is decided within
 *     the first 5 bytes;
 *
 * Corpus tests/fuzz/corpus/clienthello/: captures from openssl s_client 3.0
 * (-tls1, -tls1_2, TLS 1.3 with ALPN, -max_send_frag 512), gnutls-cli 3.7
 * and curl on loopback; crafted SSLv2-compatible and SSL 2.0 hellos, the
 * FoxIO JA4 example with GREASE, a TLS 1.0 hello without extensions,
 * split records (1-byte records, split handshake header), list caps, and
 * malformed and non-TLS inputs; hellos split over records of 1, 20 and 1024
 * bytes, a 20,000-byte hello, interleaved alert and version change records,
 * compression without null, handshake type 202.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/hello_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ch_info full, part;

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
check_info(const struct ch_info *ci, enum ch_status st, size_t len)
{
	size_t i;

	CHECK(st >= CH_NEED_MORE && st <= CH_MALFORMED);
	CHECK(ci->n_suites <= CH_MAX_SUITES && ci->n_suites <= ci->n_suites_total);
	CHECK(ci->n_exts <= CH_MAX_EXTS && ci->n_exts <= ci->n_exts_total);
	CHECK(ci->n_groups <= CH_MAX_GROUPS && ci->n_groups <= ci->n_groups_total);
	CHECK(ci->n_point_formats <= CH_MAX_POINTFMTS &&
	    ci->n_point_formats <= ci->n_point_formats_total);
	CHECK(ci->n_sigalgs <= CH_MAX_SIGALGS && ci->n_sigalgs <= ci->n_sigalgs_total);
	CHECK(ci->n_versions <= CH_MAX_VERSIONS && ci->n_versions <= ci->n_versions_total);
	CHECK(terminated(ci->sni, sizeof(ci->sni)));
	CHECK(terminated(ci->alpn_first, sizeof(ci->alpn_first)));
	CHECK(terminated(ci->ja3, sizeof(ci->ja3)));
	CHECK(terminated(ci->ja3_hash, sizeof(ci->ja3_hash)));
	CHECK(terminated(ci->ja4, sizeof(ci->ja4)));
	CHECK(terminated(ci->error, sizeof(ci->error)));
	for (i = 0; ci->sni[i] != '\0'; i++)
		CHECK(ci->sni[i] >= 0x20 && ci->sni[i] <= 0x7e);
	for (i = 0; ci->alpn_first[i] != '\0'; i++)
		CHECK(ci->alpn_first[i] >= 0x20 && ci->alpn_first[i] <= 0x7e);
	CHECK(ci->has_sni || ci->sni[0] == '\0');

	if (st != CH_OK) {
		CHECK(ci->hello_len == 0 && ci->ja4[0] == '\0');
		CHECK((st == CH_NEED_MORE) == (ci->error[0] == '\0'));
		CHECK((st == CH_MALFORMED) == (ci->alert != 0));
		return;
	}
	CHECK(ci->error[0] == '\0');
	CHECK(ci->hello_len > 0 && ci->hello_len <= len);
	CHECK(ci->msg_len > 0 && ci->msg_len <= ci->hello_len && ci->msg_len <= CH_MAX_MESSAGE);
	CHECK(ci->sslv2 ? ci->n_records == 0 :
	    ci->n_records >= 1 && ci->hello_len == ci->msg_len + 5 * (size_t)ci->n_records);
	CHECK(strlen(ci->ja3_hash) == 32 && strspn(ci->ja3_hash, "0123456789abcdef") == 32);
	CHECK(strlen(ci->ja4) == 36 && ci->ja4[0] == 't' && ci->ja4[10] == '_' &&
	    ci->ja4[23] == '_');
	if (ci->n_versions == 0) {
		CHECK(ci->max_version == ci->legacy_version);
	} else {
		for (i = 0; i < ci->n_versions; i++)
			CHECK(!ch_is_grease(ci->versions[i]) && ci->versions[i] <= ci->max_version);
	}
	if (ci->sslv2)
		CHECK(ci->n_exts == 0 && ci->max_version == ci->legacy_version);
}

/* A prefix: consistent with the result on the whole input. */
static void
check_prefix(const uint8_t *data, size_t size, enum ch_status st_full, size_t k)
{
	enum ch_status st;

	if (k > size)
		return;
	st = ch_parse(data, k, &part);
	check_info(&part, st, k);
	if (st != CH_NEED_MORE)
		CHECK(st == st_full);
	if (st_full == CH_OK) {
		CHECK((k < full.hello_len) == (st == CH_NEED_MORE));
		if (st == CH_OK)
			CHECK(part.hello_len == full.hello_len &&
			    strcmp(part.ja4, full.ja4) == 0 && strcmp(part.ja3, full.ja3) == 0);
	}
	if (st_full == CH_NOT_TLS && k >= 5)
		CHECK(st == CH_NOT_TLS);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t fixed[] = { 0, 1, 2, 3, 4, 5, 6, 9, 10, 11 };
	enum ch_status st;
	size_t         i;

	st = ch_parse(data, size, &full);
	check_info(&full, st, size);
	if (st == CH_NOT_TLS)
		CHECK(ch_parse(data, size < 5 ? size : 5, &part) == CH_NOT_TLS);

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_prefix(data, size, st, fixed[i]);
	if (size > 0) {
		check_prefix(data, size, st, size / 2);
		check_prefix(data, size, st, size - 1);
	}
	if (st == CH_OK) {
		check_prefix(data, size, st, full.hello_len - 1);
		check_prefix(data, size, st, full.hello_len);
	}
	return 0;
}
