#!/usr/bin/env python3
"""MS-CHAPv2 over RADIUS for the FreeRADIUS fixture's tests (RFC 2759, RFC 2548, RFC 3079).

radtest -t mschap sends MS-CHAP (v1); the gateway sends MS-CHAPv2, so the tests build that
request by hand and feed it to radclient:

  mschapv2.py request USER PASSWORD STATE   radclient attribute lines on stdout (random
                                            challenges; STATE keeps them for 'verify')
  mschapv2.py verify STATE PASSWORD REPLY   check radclient's printed Access-Accept: the
                                            MS-CHAP2-Success authenticator response and the
                                            MS-MPPE-Send/Recv-Key values derived from PASSWORD
  mschapv2.py selftest                      the example values of RFC 2759 9.2 and RFC 3079 3.5.3

MD4 and DES come from the openssl command (legacy provider): Python's hashlib has no MD4
under OpenSSL 3.
"""
import hashlib
import json
import os
import re
import subprocess
import sys

OSSL_LEGACY = ["-provider", "legacy", "-provider", "default"]


def openssl(args, data):
    try:
        p = subprocess.run(["openssl"] + args + OSSL_LEGACY, input=data, capture_output=True)
    except FileNotFoundError:
        sys.exit("mschapv2.py: openssl is not installed: run \"bash tests/setup-debian.sh\" (as root)")
    if p.returncode != 0:
        sys.exit("mschapv2.py: openssl %s failed (legacy provider missing?): %s"
                 % (" ".join(args), p.stderr.decode(errors="replace").strip()))
    return p.stdout


def md4(data):
    return openssl(["dgst", "-md4", "-binary"], data)


def des_key(k7):
    """7 bytes -> 8-byte DES key (parity bits left zero; DES ignores them)."""
    bits = int.from_bytes(k7, "big")
    return bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def des_encrypt(k7, block):
    return openssl(["enc", "-des-ecb", "-nopad", "-K", des_key(k7).hex()], block)


def nt_password_hash(password):
    return md4(password.encode("utf-16-le"))


def challenge_hash(peer_challenge, auth_challenge, user):
    return hashlib.sha1(peer_challenge + auth_challenge + user.encode()).digest()[:8]


def challenge_response(challenge, pw_hash):
    z = pw_hash + b"\0" * 5
    return b"".join(des_encrypt(z[i:i + 7], challenge) for i in (0, 7, 14))


def nt_response(auth_challenge, peer_challenge, user, password):
    return challenge_response(challenge_hash(peer_challenge, auth_challenge, user),
                              nt_password_hash(password))


MAGIC1 = bytes.fromhex("4D616769632073657276657220746F20636C69656E74207369676E696E6720636F6E7374616E74")
MAGIC2 = bytes.fromhex("50616420746F206D616B6520697420646F206D6F7265207468616E206F6E6520697465726174696F6E")


def authenticator_response(password, nt_resp, peer_challenge, auth_challenge, user):
    hh = md4(nt_password_hash(password))
    d = hashlib.sha1(hh + nt_resp + MAGIC1).digest()
    d = hashlib.sha1(d + challenge_hash(peer_challenge, auth_challenge, user) + MAGIC2).digest()
    return "S=" + d.hex().upper()


# RFC 3079 3.4
KMAGIC1 = b"This is the MPPE Master Key"
KMAGIC2 = (b"On the client side, this is the send key; on the server side, it is the receive key.")
KMAGIC3 = (b"On the client side, this is the receive key; on the server side, it is the send key.")
SHSPAD1 = b"\x00" * 40
SHSPAD2 = b"\xf2" * 40


def master_keys(password, nt_resp):
    """(server send key, server receive key), 16 bytes each (RFC 3079 3.4, IsServer)."""
    hh = md4(nt_password_hash(password))
    master = hashlib.sha1(hh + nt_resp + KMAGIC1).digest()[:16]
    send = hashlib.sha1(master + SHSPAD1 + KMAGIC3 + SHSPAD2).digest()[:16]
    recv = hashlib.sha1(master + SHSPAD1 + KMAGIC2 + SHSPAD2).digest()[:16]
    return master, send, recv


def cmd_request(user, password, state):
    auth_ch = os.urandom(16)
    peer_ch = os.urandom(16)
    ident = 1
    resp = nt_response(auth_ch, peer_ch, user, password)
    with open(state, "w") as f:
        json.dump({"user": user, "auth": auth_ch.hex(), "peer": peer_ch.hex(), "nt": resp.hex(),
                   "ident": ident}, f)
    v2 = bytes([ident, 0]) + peer_ch + b"\0" * 8 + resp
    print('User-Name = "%s"' % user)
    print("MS-CHAP-Challenge = 0x%s" % auth_ch.hex())
    print("MS-CHAP2-Response = 0x%s" % v2.hex())
    print("NAS-Identifier = \"p2sgw-radius-fixture\"")
    print("Service-Type = Framed-User")
    print("Framed-Protocol = PPP")
    print("Message-Authenticator = 0x00")


def reply_attr(text, name):
    m = re.search(r"^\s*%s = (0x[0-9a-fA-F]+)\s*$" % re.escape(name), text, re.M)
    return bytes.fromhex(m.group(1)[2:]) if m else None


def cmd_verify(state, password, reply_file):
    st = json.load(open(state))
    text = open(reply_file, errors="replace").read()
    auth_ch, peer_ch, nt = (bytes.fromhex(st[k]) for k in ("auth", "peer", "nt"))
    bad = 0
    succ = reply_attr(text, "MS-CHAP2-Success")
    want = authenticator_response(password, nt, peer_ch, auth_ch, st["user"])
    if succ is None:
        print("FAIL: no MS-CHAP2-Success in the reply"); bad += 1
    elif succ[0] != st["ident"] or succ[1:].decode(errors="replace") != want:
        print("FAIL: MS-CHAP2-Success %r, expected ident %d and %s" % (succ, st["ident"], want)); bad += 1
    else:
        print("ok: MS-CHAP2-Success carries the right authenticator response (%s)" % want)
    _, send, recv = master_keys(password, nt)
    for name, key in (("MS-MPPE-Send-Key", send), ("MS-MPPE-Recv-Key", recv)):
        got = reply_attr(text, name)
        if got is None:
            print("FAIL: no %s in the reply" % name); bad += 1
        elif got != key:
            print("FAIL: %s = %s, expected %s (RFC 3079, server side)" % (name, got.hex(), key.hex())); bad += 1
        else:
            print("ok: %s = RFC 3079 server key (%d bytes)" % (name, len(got)))
    return 1 if bad else 0


def cmd_selftest():
    # RFC 2759 9.2 and RFC 3079 3.5.3
    user, pw = "User", "clientPass"
    auth_ch = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
    peer_ch = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
    checks = [
        ("NtPasswordHash", nt_password_hash(pw).hex().upper(), "44EBBA8D5312B8D611474411F56989AE"),
        ("ChallengeHash", challenge_hash(peer_ch, auth_ch, user).hex().upper(), "D02E4386BCE91226"),
        ("NT-Response", nt_response(auth_ch, peer_ch, user, pw).hex().upper(),
         "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"),
        ("AuthenticatorResponse", authenticator_response(
            pw, bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"), peer_ch, auth_ch, user),
         "S=407A5589115FD0D6209F510FE9C04566932CDA56"),
        ("MasterKey", master_keys(pw, bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"))[0]
         .hex().upper(), "FDECE3717A8C838CB388E527AE3CDD31"),
    ]
    bad = 0
    for name, got, want in checks:
        if got != want:
            print("FAIL: selftest %s = %s, expected %s" % (name, got, want)); bad += 1
    if not bad:
        print("ok: MS-CHAPv2 helper reproduces RFC 2759 9.2 / RFC 3079 3.5.3")
    return 1 if bad else 0


def main(argv):
    if len(argv) == 5 and argv[1] == "request":
        cmd_request(argv[2], argv[3], argv[4]); return 0
    if len(argv) == 5 and argv[1] == "verify":
        return cmd_verify(argv[2], argv[3], argv[4])
    if len(argv) == 2 and argv[1] == "selftest":
        return cmd_selftest()
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
