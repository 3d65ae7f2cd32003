/*
 * p2s_selftest.c - `p2s_client --self-test`: the oracle's crypto and parsers
 * against published vectors.  Exit 0 only when every vector matches.
 *
 * Sources: RFC 2759 section 9.2, RFC 3079 section 3.5.3, [MS-SSTP] section 4.7
 * (SHA256 and SHA1 examples), and the CMK values in
 * shared/reference/sstp-protocol.md section 1.7.
 */
#include "p2s.h"
#include "p2s_crypto.h"

#include <stdio.h>
#include <string.h>

static int nfail, npass;

static void
check(const char *what, const uint8_t *got, const char *want_hex)
{
	uint8_t want[256];
	int n = hex_decode(want_hex, want, sizeof(want));
	char gx[513];

	if (n < 0) {
		printf("selftest: BAD-VECTOR %s\n", what);
		nfail++;
		return;
	}
	hex_encode(got, (size_t)n, gx);
	if (memcmp(got, want, (size_t)n) == 0) {
		printf("selftest: ok   %s\n", what);
		npass++;
	} else {
		printf("selftest: FAIL %s\n  got  %s\n  want %s\n", what, gx, want_hex);
		nfail++;
	}
}

static void
check_true(const char *what, int cond)
{
	printf("selftest: %s %s\n", cond ? "ok  " : "FAIL", what);
	if (cond)
		npass++;
	else
		nfail++;
}

static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	if (hex_decode(hex, out, n) != (int)n) {
		printf("selftest: BAD-VECTOR %s\n", hex);
		nfail++;
	}
}

static void
test_mschapv2(void)
{
	const char *user = "User", *pw = "clientPass";
	uint8_t ac[16], pc[16], ch[8], ph[16], nt[24], mk[16], k[16], hlak[32];
	char ar[43];

	unhex("5B5D7C7D7B3F2F3E3C2C602132262628", ac, 16);
	unhex("21402324255E262A28295F2B3A337C7E", pc, 16);
	mschapv2_challenge_hash(pc, ac, user, ch);
	check("rfc2759 ChallengeHash", ch, "D02E4386BCE91226");
	mschapv2_challenge_hash(pc, ac, "DOMAIN\\User", ch);
	check("rfc2759 ChallengeHash strips DOMAIN\\", ch, "D02E4386BCE91226");
	mschapv2_nt_password_hash(pw, ph);
	check("rfc2759 PasswordHash", ph, "44EBBA8D5312B8D611474411F56989AE");
	mschapv2_nt_response(ac, pc, user, pw, nt);
	check("rfc2759 NT-Response", nt, "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
	mschapv2_auth_response(pw, nt, pc, ac, user, ar);
	check_true("rfc2759 AuthenticatorResponse S=407A5589115FD0D6209F510FE9C04566932CDA56",
	    strcmp(ar, "S=407A5589115FD0D6209F510FE9C04566932CDA56") == 0);
	mppe_master_key(pw, nt, mk);
	check("rfc3079 MasterKey", mk, "FDECE3717A8C838CB388E527AE3CDD31");
	mppe_start_key(mk, 0, k);
	check("rfc3079 SendStartKey128 (Magic3)", k, "8B7CDC149B993A1BA118CB153F56DCCB");
	mppe_start_key(mk, 1, k);
	check("rfc3079 Magic2 key", k, "D5F0E9521E3EA9589645E86051C82226");
	mschapv2_client_hlak(pw, nt, hlak);
	check("mschapv2 client HLAK = send||recv", hlak,
	    "D5F0E9521E3EA9589645E86051C82226 8B7CDC149B993A1BA118CB153F56DCCB");
}

static void
test_cmk(void)
{
	uint8_t hlak[32], zero[32] = { 0 }, cmk[32];

	unhex("D5F0E9521E3EA9589645E86051C82226 8B7CDC149B993A1BA118CB153F56DCCB", hlak, 32);
	sstp_cmk(P2S_HASH_SHA256, hlak, cmk);
	check("CMK-SHA256 (rfc2759 HLAK)", cmk,
	    "150707e682b16f4ca9430560c562894afd10050db4182d35c3e9e06284445271");
	sstp_cmk(P2S_HASH_SHA1, hlak, cmk);
	check("CMK-SHA1 (rfc2759 HLAK)", cmk, "3afbff0ba79dd9743bd09949fa99f9d0c92d3698");
	sstp_cmk(P2S_HASH_SHA256, zero, cmk);
	check("CMK-SHA256 (zero HLAK)", cmk,
	    "d342eb00477d6a37e1a184fb0168cb3ea3b6645fa0f227904d20eef5cb8f9327");
	sstp_cmk(P2S_HASH_SHA1, zero, cmk);
	check("CMK-SHA1 (zero HLAK)", cmk, "ae571ede1e11efb7bb85b8b4f07e15f0e086761a");
}

/* [MS-SSTP] 4.7 */
static void
test_sstp_binding(void)
{
	static const char ack256[] =
	    "10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 02"
	    "41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72"
	    "B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35";
	static const char cc256[] =
	    "10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 02"
	    "41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72"
	    "B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35"
	    "79 93 EF 31 4C 49 3D AC E9 F0 2D 60 E7 E6 1C 84"
	    "B6 69 0A AF E9 D7 AE EA 92 CB BE 8A D5 99 42 2D"
	    "52 A6 8E FD 8C FF BF 52 77 0B 8F 0F E8 EC 73 71"
	    "65 83 AF 6D 61 1E B6 D1 79 B3 B2 08 40 98 54 49";
	static const char ack1[] =
	    "10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 01"
	    "0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7"
	    "07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF";
	static const char cc1[] =
	    "10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 01"
	    "0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7"
	    "07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF"
	    "58 26 B6 29 BD A5 9B 8E 6F D8 DC D2 62 2F D3 4C"
	    "53 48 05 A5 00 00 00 00 00 00 00 00 00 00 00 00"
	    "69 91 5D D5 83 D8 06 2F EF 16 F6 1D B2 F0 32 90"
	    "EC 27 CB 6C 00 00 00 00 00 00 00 00 00 00 00 00";
	uint8_t pkt[48], hlak[32], ch[32], msg[P2S_CALL_CONNECTED_LEN];
	const uint8_t *v;
	size_t vl;
	int r;

	/* SHA256: parse the ACK with the client's parser, then build CALL_CONNECTED */
	unhex(ack256, pkt, 48);
	r = sstp_attr(pkt, 48, 0x04, &v, &vl);
	check_true("ms-sstp 4.7 ACK(SHA256) parses, bitmask 2", r == 0 && vl == 36 && v[3] == 2);
	unhex("2A 1B B4 0D 55 AB 0F 5E F3 2F 06 F2 B3 CC 73 C4"
	    "8F D3 FA C4 1D 7A 13 15 A1 92 28 D9 02 4C A1 64", hlak, 32);
	unhex("79 93 EF 31 4C 49 3D AC E9 F0 2D 60 E7 E6 1C 84"
	    "B6 69 0A AF E9 D7 AE EA 92 CB BE 8A D5 99 42 2D", ch, 32);
	if (r == 0 && vl == 36) {
		sstp_build_call_connected(P2S_HASH_SHA256, v + 4, ch, hlak, 0, msg);
		check("ms-sstp 4.7 CALL_CONNECTED SHA256 (112 bytes)", msg, cc256);
	}

	unhex(ack1, pkt, 48);
	r = sstp_attr(pkt, 48, 0x04, &v, &vl);
	check_true("ms-sstp 4.7 ACK(SHA1) parses, bitmask 1", r == 0 && vl == 36 && v[3] == 1);
	unhex("4B 31 28 F4 39 25 D9 00 6E EF B1 C4 E8 65 15 A1"
	    "D8 8E 56 BA B3 CA 2B DF 03 73 B7 F5 A8 A1 3B 19", hlak, 32);
	memset(ch, 0, sizeof(ch));
	unhex("58 26 B6 29 BD A5 9B 8E 6F D8 DC D2 62 2F D3 4C 53 48 05 A5", ch, 20);
	if (r == 0 && vl == 36) {
		sstp_build_call_connected(P2S_HASH_SHA1, v + 4, ch, hlak, 0, msg);
		check("ms-sstp 4.7 CALL_CONNECTED SHA1 (112 bytes)", msg, cc1);
	}

	/* --bad-binding changes exactly the named field */
	{
		uint8_t good[P2S_CALL_CONNECTED_LEN], bad[P2S_CALL_CONNECTED_LEN];
		uint8_t nonce[32];

		memcpy(nonce, pkt + 16, 32);
		sstp_build_call_connected(P2S_HASH_SHA1, nonce, ch, hlak, 0, good);
		sstp_build_call_connected(P2S_HASH_SHA1, nonce, ch, hlak, 'm', bad);
		check_true("bad-binding mac flips only the MAC",
		    memcmp(good, bad, 80) == 0 && good[80] != bad[80]);
		sstp_build_call_connected(P2S_HASH_SHA1, nonce, ch, hlak, 'n', bad);
		check_true("bad-binding nonce flips the nonce",
		    good[16] != bad[16] && memcmp(good + 17, bad + 17, 63) == 0);
		sstp_build_call_connected(P2S_HASH_SHA1, nonce, ch, hlak, 'c', bad);
		check_true("bad-binding certhash flips the cert hash",
		    good[48] != bad[48] && memcmp(good, bad, 48) == 0);
	}

	/* attribute parser bounds */
	{
		uint8_t m[48];

		unhex(ack256, m, 48);
		check_true("attr parser: truncated packet rejected", sstp_attr(m, 47, 4, &v, &vl) < 0);
		m[11] = 0x29;
		check_true("attr parser: attr length past end rejected",
		    sstp_attr(m, 48, 4, &v, &vl) < 0);
		m[11] = 0x03;
		check_true("attr parser: attr length < 4 rejected", sstp_attr(m, 48, 4, &v, &vl) < 0);
		unhex(ack256, m, 48);
		m[7] = 2;
		check_true("attr parser: NumAttributes too big rejected",
		    sstp_attr(m, 48, 4, &v, &vl) < 0);
		m[7] = 0;
		check_true("attr parser: NumAttributes 0 with trailing bytes rejected",
		    sstp_attr(m, 48, 4, &v, &vl) < 0);
		check_true("attr parser: 8-byte message without attributes ok",
		    sstp_attr(m, 8, 2, &v, &vl) == 1);
	}
}

static void
test_misc(void)
{
	uint8_t h[20];

	unhex("45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7", h, 20);
	check_true("ipv4 header checksum 0xB861", inet_cksum(h, 20, 0) == 0xB861);
	h[10] = 0xB8;
	h[11] = 0x61;
	check_true("ipv4 header checksum verifies to 0", inet_cksum(h, 20, 0) == 0);
}

int
p2s_self_test(void)
{
	test_mschapv2();
	test_cmk();
	test_sstp_binding();
	test_misc();
	printf("selftest: %d passed, %d failed\n", npass, nfail);
	return nfail == 0 && npass > 0 ? 0 : 1;
}
