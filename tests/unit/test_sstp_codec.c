/*
 * SSTP codec, crypto binding and HTTP head parser, with the published
 * vectors: MS-SSTP 4.7 (CONNECT_REQUEST, ACK and CALL_CONNECTED for SHA256
 * and SHA1) and the CMK values for the RFC 2759/3079 MS-CHAPv2 HLAK and the
 * all-zero HLAK (reference/sstp-protocol.md 1.7).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sstp/sstp_int.h"

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*h) {
		unsigned v;

		if (*h == ' ' || *h == '\n' || *h == '-') {
			h++;
			continue;
		}
		assert_int_equal(sscanf(h, "%2x", &v), 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* MS-SSTP 4.7, SHA256 example */
static const char sha256_ack[] =
	"10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 02"
	"41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72"
	"B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35";
static const char sha256_cc[] =
	"10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 02"
	"41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72"
	"B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35"
	"79 93 EF 31 4C 49 3D AC E9 F0 2D 60 E7 E6 1C 84"
	"B6 69 0A AF E9 D7 AE EA 92 CB BE 8A D5 99 42 2D"
	"52 A6 8E FD 8C FF BF 52 77 0B 8F 0F E8 EC 73 71"
	"65 83 AF 6D 61 1E B6 D1 79 B3 B2 08 40 98 54 49";
static const char sha256_hlak[] =
	"2A 1B B4 0D 55 AB 0F 5E F3 2F 06 F2 B3 CC 73 C4"
	"8F D3 FA C4 1D 7A 13 15 A1 92 28 D9 02 4C A1 64";

/* MS-SSTP 4.7, SHA1 example */
static const char sha1_ack[] =
	"10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 01"
	"0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7"
	"07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF";
static const char sha1_cc[] =
	"10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 01"
	"0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7"
	"07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF"
	"58 26 B6 29 BD A5 9B 8E 6F D8 DC D2 62 2F D3 4C"
	"53 48 05 A5 00 00 00 00 00 00 00 00 00 00 00 00"
	"69 91 5D D5 83 D8 06 2F EF 16 F6 1D B2 F0 32 90"
	"EC 27 CB 6C 00 00 00 00 00 00 00 00 00 00 00 00";
static const char sha1_hlak[] =
	"4B 31 28 F4 39 25 D9 00-6E EF B1 C4 E8 65 15 A1"
	"D8 8E 56 BA B3 CA 2B DF-03 73 B7 F5 A8 A1 3B 19";

static void
spec_vector(const char *cc_hex, const char *hlak_hex, uint8_t proto)
{
	uint8_t cc[112], hlak[32], cmk[32], mac[32], built[112], bad[112];
	size_t  hlen = sstp_hash_len(proto);

	assert_int_equal(unhex(cc_hex, cc, sizeof(cc)), 112);
	assert_int_equal(unhex(hlak_hex, hlak, sizeof(hlak)), 32);
	assert_int_equal(cc[SSTP_CC_OFF_PROTO], proto);

	sstp_compute_cmk(proto, hlak, cmk);
	sstp_compute_cmac(proto, cmk, cc, mac);
	assert_memory_equal(mac, cc + SSTP_CC_OFF_MAC, hlen);
	if (hlen == 20) /* padding of the SHA1 MAC stays zero */
		assert_memory_equal(mac + 20, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	assert_int_equal(sstp_check_cmac(cc, hlak), 0);

	/* the client-side builder reproduces the spec bytes exactly */
	sstp_build_call_connected(built, proto, cc + SSTP_CC_OFF_NONCE, cc + SSTP_CC_OFF_CERT, hlak);
	assert_memory_equal(built, cc, 112);

	/* any changed byte before the MAC, or another HLAK, breaks it */
	memcpy(bad, cc, 112);
	bad[SSTP_CC_OFF_CERT] ^= 1;
	assert_int_equal(sstp_check_cmac(bad, hlak), -1);
	hlak[31] ^= 0x80;
	assert_int_equal(sstp_check_cmac(cc, hlak), -1);
	assert_int_equal(sstp_check_cmac(cc, NULL), -1);
}

static void
test_spec_4_7_sha256(void **state)
{
	spec_vector(sha256_cc, sha256_hlak, SSTP_HASH_SHA256);
}

static void
test_spec_4_7_sha1(void **state)
{
	spec_vector(sha1_cc, sha1_hlak, SSTP_HASH_SHA1);
}

static void
test_cmk_vectors(void **state)
{
	/* RFC 2759 sample user, RFC 3079 keys: HLAK = MasterRecvKey | MasterSendKey */
	uint8_t hlak[32], cmk[32], want[32];

	unhex("D5F0E9521E3EA9589645E86051C82226 8B7CDC149B993A1BA118CB153F56DCCB", hlak, 32);
	sstp_compute_cmk(SSTP_HASH_SHA256, hlak, cmk);
	unhex("150707e682b16f4ca9430560c562894afd10050db4182d35c3e9e06284445271", want, 32);
	assert_memory_equal(cmk, want, 32);
	sstp_compute_cmk(SSTP_HASH_SHA1, hlak, cmk);
	unhex("3afbff0ba79dd9743bd09949fa99f9d0c92d3698", want, 20);
	assert_memory_equal(cmk, want, 20);
	assert_memory_equal(cmk + 20, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);

	/* all-zero HLAK: NULL and 32 zero bytes agree */
	memset(hlak, 0, sizeof(hlak));
	sstp_compute_cmk(SSTP_HASH_SHA256, NULL, cmk);
	unhex("d342eb00477d6a37e1a184fb0168cb3ea3b6645fa0f227904d20eef5cb8f9327", want, 32);
	assert_memory_equal(cmk, want, 32);
	sstp_compute_cmk(SSTP_HASH_SHA256, hlak, cmk);
	assert_memory_equal(cmk, want, 32);
	sstp_compute_cmk(SSTP_HASH_SHA1, NULL, cmk);
	unhex("ae571ede1e11efb7bb85b8b4f07e15f0e086761a", want, 20);
	assert_memory_equal(cmk, want, 20);

	/* unknown protocol: zeros, never a crash */
	sstp_compute_cmk(0x04, hlak, cmk);
	memset(want, 0, 32);
	assert_memory_equal(cmk, want, 32);
}

static void
test_build_ack_matches_spec(void **state)
{
	uint8_t want[48], out[48];

	unhex(sha256_ack, want, sizeof(want));
	assert_int_equal(sstp_build_ack(out, SSTP_HASH_SHA256, want + 16), 48);
	assert_memory_equal(out, want, 48);
	unhex(sha1_ack, want, sizeof(want));
	assert_int_equal(sstp_build_ack(out, SSTP_HASH_SHA1, want + 16), 48);
	assert_memory_equal(out, want, 48);
}

static void
test_hdr_parse(void **state)
{
	static const uint8_t req[] = { 0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };
	struct sstp_hdr h;
	const char     *why;
	uint8_t         b[4];

	assert_int_equal(sstp_hdr_parse(req, 0, &h, &why), SSTP_HDR_SHORT);
	assert_int_equal(sstp_hdr_parse(req, 3, &h, &why), SSTP_HDR_SHORT);
	assert_int_equal(sstp_hdr_parse(req, sizeof(req), &h, &why), SSTP_HDR_OK);
	assert_int_equal(h.control, 1);
	assert_int_equal(h.len, 14);

	memcpy(b, "\x11\x01\x00\x08", 4); /* version 1.1 */
	assert_int_equal(sstp_hdr_parse(b, 1, &h, &why), SSTP_HDR_BAD);
	assert_non_null(strstr(why, "version"));
	memcpy(b, "\x10\x00\x10\x08", 4); /* R bits */
	assert_int_equal(sstp_hdr_parse(b, 4, &h, &why), SSTP_HDR_BAD);
	assert_non_null(strstr(why, "reserved"));
	memcpy(b, "\x10\x00\x00\x03", 4); /* length < 4 */
	assert_int_equal(sstp_hdr_parse(b, 4, &h, &why), SSTP_HDR_BAD);
	memcpy(b, "\x10\x00\x0F\xFF", 4); /* 4095: the largest */
	assert_int_equal(sstp_hdr_parse(b, 4, &h, &why), SSTP_HDR_OK);
	assert_int_equal(h.len, 4095);
	assert_int_equal(h.control, 0);
	memcpy(b, "\x10\xFE\x00\x04", 4); /* reserved bits of byte 1 are ignored */
	assert_int_equal(sstp_hdr_parse(b, 4, &h, &why), SSTP_HDR_OK);
	assert_int_equal(h.control, 0);
}

static void
test_ctrl_parse(void **state)
{
	static const uint8_t req[] = { 0x10, 0x01, 0x00, 0x0E, 0x00, 0x01, 0x00, 0x01,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };
	/* declares 2 attributes; the second says 0x20 bytes but 6 are left */
	static const uint8_t bad[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x01, 0x00, 0x02,
	                               0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	                               0x00, 0x07, 0x00, 0x20, 0xAA, 0xBB };
	struct sstp_ctrl c;

	assert_int_equal(sstp_ctrl_parse(req, 7, &c), -1);
	assert_int_equal(sstp_ctrl_parse(req, sizeof(req), &c), 0);
	assert_int_equal(c.type, SSTP_MSG_CALL_CONNECT_REQUEST);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.a[0].id, SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID);
	assert_int_equal(c.a[0].len, 6);
	assert_int_equal(c.a[0].vlen, 2);
	assert_int_equal(c.bad_len, 0);

	assert_int_equal(sstp_ctrl_parse(bad, sizeof(bad), &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.bad_len, 1);
	assert_int_equal(c.a[1].id, 0x07);
	assert_int_equal(c.a[1].vlen, 2);
}

static void
test_builders(void **state)
{
	static const uint8_t abort6[] = { 0x10, 0x01, 0x00, 0x14, 0x00, 0x05, 0x00, 0x01, 0x00, 0x02,
	                                  0x00, 0x0C, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x06 };
	static const uint8_t nak[] = { 0x10, 0x01, 0x00, 0x16, 0x00, 0x03, 0x00, 0x01, 0x00, 0x02, 0x00,
	                               0x0E, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02 };
	static const uint8_t proto2[] = { 0x00, 0x02 };
	struct sstp_status_item it = { SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID, SSTP_ST_VALUE_NOT_SUPPORTED,
	                               proto2, 2 };
	uint8_t out[SSTP_MAX_PACKET + 8], frame[SSTP_MAX_PAYLOAD + 1];

	assert_int_equal(sstp_build_status_msg(out, SSTP_MSG_CALL_ABORT, SSTP_ATTRIB_STATUS_INFO,
	                                       SSTP_ST_RETRY_COUNT_EXCEEDED), 20);
	assert_memory_equal(out, abort6, 20);
	assert_int_equal(sstp_build_msg(out, SSTP_MSG_ECHO_REQUEST), 8);
	assert_memory_equal(out, "\x10\x01\x00\x08\x00\x08\x00\x00", 8);
	assert_int_equal(sstp_build_nak(out, sizeof(out), &it, 1), sizeof(nak));
	assert_memory_equal(out, nak, sizeof(nak));
	assert_int_equal(sstp_build_nak(out, sizeof(out), &it, 0), 0);

	memset(frame, 0x42, sizeof(frame));
	assert_int_equal(sstp_build_data(out, sizeof(out), frame, SSTP_MAX_PAYLOAD), 4095);
	assert_memory_equal(out, "\x10\x00\x0F\xFF", 4);
	assert_int_equal(sstp_build_data(out, sizeof(out), frame, SSTP_MAX_PAYLOAD + 1), 0);
	assert_int_equal(sstp_build_data(out, 10, frame, 7), 0);
}

static void
test_ppp_is_control(void **state)
{
	assert_true(sstp_ppp_is_control((const uint8_t *)"\xFF\x03\xC0\x21\x01", 5));  /* LCP */
	assert_true(sstp_ppp_is_control((const uint8_t *)"\xC0\x21\x01", 3));          /* ACFC */
	assert_true(sstp_ppp_is_control((const uint8_t *)"\xFF\x03\x80\x21", 4));      /* IPCP */
	assert_true(sstp_ppp_is_control((const uint8_t *)"\xC2\x27", 2));              /* EAP */
	assert_true(sstp_ppp_is_control((const uint8_t *)"\xFF\x03\x80\xFD", 4));      /* CCP */
	assert_false(sstp_ppp_is_control((const uint8_t *)"\xFF\x03\x00\x21\x45", 5)); /* IPv4 */
	assert_false(sstp_ppp_is_control((const uint8_t *)"\x21\x45", 2));             /* PFC IPv4 */
	assert_false(sstp_ppp_is_control((const uint8_t *)"\xFF\x03\x00\x57", 4));     /* IPv6 */
	assert_false(sstp_ppp_is_control((const uint8_t *)"\xFF\x03", 2));
	assert_false(sstp_ppp_is_control((const uint8_t *)"", 0));
}

static int
scan_all(const char *s, size_t max_head, size_t *head_len, const char **why)
{
	struct sstp_http_scan sc = { 0 };

	return sstp_http_scan(&sc, (const uint8_t *)s, strlen(s), max_head, head_len, why);
}

static void
test_http_scan(void **state)
{
	static const char req[] = "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	                          "Host: gw\r\n\r\nXYZ";
	struct sstp_http_scan sc = { 0 };
	size_t      head_len = 0, i;
	const char *why;
	char        big[6000];
	int         r = SSTP_HTTP_MORE;

	/* byte by byte gives the same head as all at once */
	for (i = 1; i <= sizeof(req) - 1 && r == SSTP_HTTP_MORE; i++)
		r = sstp_http_scan(&sc, (const uint8_t *)req, i, 8192, &head_len, &why);
	assert_int_equal(r, SSTP_HTTP_HEAD);
	assert_int_equal(head_len, sizeof(req) - 1 - 3);
	assert_int_equal(scan_all(req, 8192, &head_len, &why), SSTP_HTTP_HEAD);
	assert_int_equal(head_len, sizeof(req) - 1 - 3);
	/* bare LF too */
	assert_int_equal(scan_all("GET / HTTP/1.1\nHost: x\n\n", 8192, &head_len, &why), SSTP_HTTP_HEAD);
	assert_int_equal(head_len, 24);

	/* caps */
	assert_int_equal(scan_all(req, 40, &head_len, &why), SSTP_HTTP_TOO_LARGE);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(scan_all(big, 8192, &head_len, &why), SSTP_HTTP_TOO_LARGE);
	assert_non_null(strstr(why, "request line"));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(scan_all(big, 8192, &head_len, &why), SSTP_HTTP_TOO_LARGE);
	assert_non_null(strstr(why, "header line"));
	big[0] = '\0';
	strcat(big, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 33; i++)
		strcat(big, "X-A: b\r\n");
	assert_int_equal(scan_all(big, 8192, &head_len, &why), SSTP_HTTP_TOO_LARGE);
	assert_non_null(strstr(why, "32"));
}

static void
parse(const char *head, struct sstp_http_req *r, struct sstp_http_verdict *v)
{
	size_t      head_len;
	const char *why;

	assert_int_equal(scan_all(head, 8192, &head_len, &why), SSTP_HTTP_HEAD);
	sstp_http_parse((const uint8_t *)head, head_len, r, v);
}

static void
test_http_parse(void **state)
{
	struct sstp_http_req     r;
	struct sstp_http_verdict v;

	/* sstpc 1.0.18, with its malformed "GUID" */
	parse("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	      "Host: 127.0.0.1\r\nContent-Length: 18446744073709551615\r\n"
	      "SSTPCORRELATIONID: {7226D2D9-85B2-5206-728982CD}\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 200);
	assert_int_equal(r.host_len, 9);
	assert_memory_equal(r.host, "127.0.0.1", 9);
	assert_int_equal(r.correlation_len, 29);
	assert_memory_equal(r.correlation, "{7226D2D9-85B2-5206-728982CD}", 29);
	assert_null(r.tenantid);

	/* header names and the URI are case-insensitive; tenantid query */
	parse("sstp_duplex_post /SRA_{ba195980-cd49-458b-9e23-c84ee0adcd75}/?foo=1&TenantId=abc-123 HTTP/1.1\r\n"
	      "sstpcorrelationid:   0c38434f-aa00  \r\nHOST: gw.example\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 200);
	assert_int_equal(r.tenantid_len, 7);
	assert_memory_equal(r.tenantid, "abc-123", 7);
	assert_int_equal(r.correlation_len, 13);

	parse("POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: a\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 405);
	parse("SSTP_DUPLEX_POST /foo HTTP/1.1\r\nHost: a\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 404);
	assert_false(v.not_sstp);
	parse("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/x HTTP/1.1\r\nHost: a\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 404);
	parse("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.0\r\nHost: a\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 505);
	assert_non_null(strstr(v.why, "HTTP/1.0"));
	parse("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/2.0\r\nHost: a\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 505);
	parse("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 400);
	assert_non_null(strstr(v.why, "Host"));
	parse("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: Mozilla/5.0\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 404);
	assert_true(v.not_sstp);
	assert_false(v.head_only);
	parse("HEAD /x HTTP/1.0\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 404);
	assert_true(v.head_only);
	parse("GARBAGE\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 400);
	parse("GET / HTTP/1.1 extra\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 400);
	parse("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 400);
	parse("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 400);
	parse("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", &r, &v);
	assert_int_equal(v.status, 400);
}

static void
test_http_reply(void **state)
{
	char   out[1200], date[32];
	size_t n;

	sstp_http_date(1163033469, date);
	assert_string_equal(date, "Thu, 09 Nov 2006 00:51:09 GMT");
	n = sstp_http_reply(out, sizeof(out), 200, 0, date);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
	                         "Server: Microsoft-HTTPAPI/2.0\r\n"
	                         "Date: Thu, 09 Nov 2006 00:51:09 GMT\r\n\r\n");
	n = sstp_http_reply(out, sizeof(out), 200, 0, NULL);
	assert_string_equal(out, "HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
	                         "Server: Microsoft-HTTPAPI/2.0\r\n\r\n");
	assert_int_equal(sstp_http_reply(out, 20, 200, 0, NULL), 0);

	n = sstp_http_reply(out, sizeof(out), 404, 0, date);
	assert_true(n > 0);
	assert_true(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_non_null(strstr(out, "HTTP Error 404. The requested resource is not found."));
	{
		const char *body = strstr(out, "\r\n\r\n") + 4;
		unsigned    cl = 0;

		assert_int_equal(sscanf(strstr(out, "Content-Length: "), "Content-Length: %u", &cl), 1);
		assert_int_equal(cl, strlen(body));
	}
	n = sstp_http_reply(out, sizeof(out), 404, 1, date);
	assert_true(strstr(out, "\r\n\r\n")[4] == '\0'); /* HEAD: no body */
	n = sstp_http_reply(out, sizeof(out), 405, 0, NULL);
	assert_non_null(strstr(out, "Allow: SSTP_DUPLEX_POST\r\n"));
	assert_true(strncmp(out, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
}

static void
test_log_str(void **state)
{
	char out[16];

	sstp_log_str(out, sizeof(out), "a\x01\\b", 4);
	assert_string_equal(out, "a\\x01\\x5cb");
	sstp_log_str(out, sizeof(out), "0123456789abcdefghij", 20);
	assert_string_equal(out, "0123456789ab...");
	sstp_log_str(out, sizeof(out), "\xff\xfe\xfd\xfc", 4);
	assert_string_equal(out, "\\xff\\xfe\\xfd...");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_4_7_sha256),
		cmocka_unit_test(test_spec_4_7_sha1),
		cmocka_unit_test(test_cmk_vectors),
		cmocka_unit_test(test_build_ack_matches_spec),
		cmocka_unit_test(test_hdr_parse),
		cmocka_unit_test(test_ctrl_parse),
		cmocka_unit_test(test_builders),
		cmocka_unit_test(test_ppp_is_control),
		cmocka_unit_test(test_http_scan),
		cmocka_unit_test(test_http_parse),
		cmocka_unit_test(test_http_reply),
		cmocka_unit_test(test_log_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
