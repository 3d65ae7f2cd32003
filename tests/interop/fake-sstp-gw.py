#!/usr/bin/env python3
"""Minimal fake SSTP+PPP gateway, ONLY to self-test the interop harness (guest scripts, pppd
options, ping through ppp0, termination) while p2sgw's own SSTP/PPP is being written.

It is deliberately lax where p2sgw must be strict: it never checks the crypto binding. It
does: HTTP 200, CONNECT_ACK (with a SHA-256 crypto binding request), LCP (asks for MS-CHAPv2,
rejects PFC/ACFC), MS-CHAPv2 with real verification of the NT-Response for --user/--password
(MD4/DES via the openssl CLI's legacy provider), IPCP (assigns --client-ip, DNS), a
Protocol-Reject for CCP and anything else, ICMP echo replies for any address, LCP echo,
Terminate, CALL_DISCONNECT. Prints "FAKE ..." lines. Bounded by --connections/--timeout.
"""
import argparse
import hashlib
import os
import socket
import ssl
import struct
import subprocess
import sys
import time


def log(msg):
    print("FAKE " + msg, flush=True)


def openssl(args, data):
    return subprocess.run(["openssl"] + args + ["-provider", "legacy", "-provider", "default"],
                          input=data, capture_output=True, check=True).stdout


def md4(data):
    out = openssl(["dgst", "-md4", "-binary"], data)
    return out


def des_block(key7, block):
    k = int.from_bytes(key7, "big")
    key8 = bytes((((k >> (49 - 7 * i)) & 0x7F) << 1) for i in range(8))
    return openssl(["enc", "-des-ecb", "-nopad", "-K", key8.hex()], block)


def nt_response(auth_chal, peer_chal, user, password):
    ch = hashlib.sha1(peer_chal + auth_chal + user).digest()[:8]
    ph = md4(password.encode("utf-16-le")) + b"\0" * 5
    return des_block(ph[0:7], ch) + des_block(ph[7:14], ch) + des_block(ph[14:21], ch)


def authenticator_response(password, nt_resp, peer_chal, auth_chal, user):
    m1 = b"Magic server to client signing constant"
    m2 = b"Pad to make it do more than one iteration"
    phh = md4(md4(password.encode("utf-16-le")))
    d = hashlib.sha1(phh + nt_resp + m1).digest()
    ch = hashlib.sha1(peer_chal + auth_chal + user).digest()[:8]
    return "S=" + hashlib.sha1(d + ch + m2).digest().hex().upper()


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Conn:
    def __init__(self, tls, a):
        self.tls, self.a, self.buf = tls, a, b""
        self.ident = 1
        self.lcp_acked_us = self.lcp_acked_them = False
        self.chap_sent = self.authed = self.lcp_sent = False
        self.ipcp_up = False
        self.magic = os.urandom(4)

    # ---- SSTP framing ----
    def recv_pkt(self, deadline):
        while True:
            if len(self.buf) >= 4:
                ln = struct.unpack("!H", self.buf[2:4])[0] & 0x0FFF
                if len(self.buf) >= ln:
                    p, self.buf = self.buf[:ln], self.buf[ln:]
                    return p
            if time.monotonic() > deadline:
                return None
            try:
                c = self.tls.recv(16384)
            except socket.timeout:
                continue
            if not c:
                return None
            self.buf += c

    def send_ctrl(self, mtype, attrs=()):
        body = b"".join(struct.pack("!BBH", 0, aid, 4 + len(v)) + v for aid, v in attrs)
        body = struct.pack("!HH", mtype, len(attrs)) + body
        self.tls.sendall(struct.pack("!BBH", 0x10, 1, 4 + len(body)) + body)

    def send_ppp(self, proto, payload):
        frame = b"\xff\x03" + struct.pack("!H", proto) + payload
        self.tls.sendall(struct.pack("!BBH", 0x10, 0, 4 + len(frame)) + frame)

    def send_cp(self, proto, code, ident, data):
        self.send_ppp(proto, struct.pack("!BBH", code, ident, 4 + len(data)) + data)

    def next_id(self):
        self.ident = (self.ident + 1) & 0xFF
        return self.ident

    # ---- PPP ----
    @staticmethod
    def opts(data):
        out, i = [], 0
        while i + 2 <= len(data):
            t, ln = data[i], data[i + 1]
            if ln < 2:
                break
            out.append((t, data[i:i + ln]))
            i += ln
        return out

    def lcp_send_confreq(self):
        self.send_cp(0xC021, 1, self.next_id(),
                     b"\x03\x05\xc2\x23\x81" + b"\x05\x06" + self.magic)

    def maybe_chap(self):
        if self.lcp_acked_us and self.lcp_acked_them and not self.chap_sent:
            self.chap_sent = True
            self.chal = os.urandom(16)
            self.chap_id = self.next_id()
            self.send_cp(0xC223, 1, self.chap_id, b"\x10" + self.chal + b"p2sgw-fake")
            log("chap challenge sent")

    def handle_ppp(self, frame):
        if frame[:2] == b"\xff\x03":
            frame = frame[2:]
        if frame[0] & 1:
            proto, pl = frame[0], frame[1:]
        else:
            proto, pl = struct.unpack("!H", frame[:2])[0], frame[2:]
        if proto == 0x0021:
            return self.handle_ip(pl)
        code, ident, ln = struct.unpack("!BBH", pl[:4])
        data = pl[4:ln]
        if proto == 0xC021:
            if code == 1:
                if any(t == 5 and raw[2:6] == self.magic for t, raw in self.opts(data)):
                    # Our own ConfReq, echoed by the pty before pppd set it to raw mode.
                    log("lcp confreq with OUR magic (looped back by the client's pty), ignored")
                    return
                if not self.lcp_sent or (self.lcp_acked_us and self.lcp_acked_them):
                    # first ConfReq from the client, or a restart of an open LCP
                    self.lcp_acked_us = self.lcp_acked_them = False
                    self.lcp_sent = True
                    self.lcp_send_confreq()
                rej = b"".join(raw for t, raw in self.opts(data) if t in (7, 8))
                if rej:
                    self.send_cp(0xC021, 4, ident, rej)
                    self.lcp_acked_them = False
                else:
                    self.send_cp(0xC021, 2, ident, data)
                    self.lcp_acked_them = True
                log("lcp confreq from client: %s" % data.hex())
            elif code == 2:
                self.lcp_acked_us = True
            elif code in (3, 4):
                log("lcp client nak/rej our options: %s" % data.hex())
            elif code == 5:
                log("lcp terminate-request from client")
                self.send_cp(0xC021, 6, ident, b"")
            elif code == 9:
                self.send_cp(0xC021, 10, ident, self.magic + data[4:])
            self.maybe_chap()
        elif proto == 0xC223:
            if code == 2:
                vs = data[0]
                val, name = data[1:1 + vs], data[1 + vs:]
                peer_chal, ntr = val[:16], val[24:48]
                user = name.split(b"\\")[-1]
                want = nt_response(self.chal, peer_chal, user, self.a.password)
                if name.decode("latin-1") == self.a.user and ntr == want:
                    s = authenticator_response(self.a.password, ntr, peer_chal, self.chal, user)
                    self.send_cp(0xC223, 3, ident, (s + " M=Welcome").encode())
                    self.authed = True
                    log("auth ok user=%s" % name.decode("latin-1"))
                    self.send_cp(0x8021, 1, self.next_id(),
                                 b"\x03\x06" + socket.inet_aton(self.a.gw_ip))
                else:
                    msg = "E=691 R=0 C=%s V=3 M=Authentication failure" % os.urandom(16).hex().upper()
                    self.send_cp(0xC223, 4, ident, msg.encode())
                    log("auth FAILED user=%s" % name.decode("latin-1"))
        elif proto == 0x8021:
            if code == 1:
                rej, nak = b"", b""
                for t, raw in self.opts(data):
                    if t == 3 and raw[2:6] != socket.inet_aton(self.a.client_ip):
                        nak += b"\x03\x06" + socket.inet_aton(self.a.client_ip)
                    elif t in (129, 131) and raw[2:6] != socket.inet_aton(self.a.gw_ip):
                        nak += bytes([t, 6]) + socket.inet_aton(self.a.gw_ip)
                    elif t not in (3, 129, 131):
                        rej += raw
                if rej:
                    self.send_cp(0x8021, 4, ident, rej)
                elif nak:
                    self.send_cp(0x8021, 3, ident, nak)
                else:
                    self.send_cp(0x8021, 2, ident, data)
                    self.ipcp_up = True
                    log("ipcp acked client %s" % data.hex())
        else:
            log("protocol-reject 0x%04x" % proto)
            self.send_cp(0xC021, 8, self.next_id(), struct.pack("!H", proto) + pl[:64])

    def handle_ip(self, pkt):
        ihl = (pkt[0] & 0x0F) * 4
        if pkt[9] == 1 and pkt[ihl] == 8:
            src, dst = pkt[12:16], pkt[16:20]
            ip = bytearray(pkt[:ihl])
            ip[12:16], ip[16:20] = dst, src
            ip[10:12] = b"\0\0"
            ip[10:12] = struct.pack("!H", cksum(bytes(ip)))
            icmp = bytearray(pkt[ihl:])
            icmp[0] = 0
            icmp[2:4] = b"\0\0"
            icmp[2:4] = struct.pack("!H", cksum(bytes(icmp)))
            log("icmp echo %s -> %s answered" % (socket.inet_ntoa(src), socket.inet_ntoa(dst)))
            self.send_ppp(0x0021, bytes(ip) + bytes(icmp))

    def run(self, deadline):
        while True:
            p = self.recv_pkt(deadline)
            if p is None:
                log("connection closed")
                return
            if p[1] & 1:
                mtype = struct.unpack("!H", p[4:6])[0]
                log("sstp control 0x%04x" % mtype)
                if mtype == 1:
                    self.send_ctrl(2, [(4, b"\0\0\0\x02" + os.urandom(32))])
                    # No LCP ConfReq yet: ours is sent when the client's first one arrives
                    # (sent now, it would be lost or echoed while sstpc starts pppd).
                elif mtype == 4:
                    log("call connected")
                elif mtype == 6:
                    self.send_ctrl(7)
                    log("call disconnect -> ack")
                    return
                elif mtype == 7:
                    return
                elif mtype == 8:
                    self.send_ctrl(9)
            else:
                self.handle_ppp(p[4:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user", default="alice")
    ap.add_argument("--password", default="Passw0rd!")
    ap.add_argument("--gw-ip", default="172.16.201.1")
    ap.add_argument("--client-ip", default="172.16.201.10")
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=90)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(4)
    srv.settimeout(1)
    print("READY port=%d" % srv.getsockname()[1], flush=True)
    end = time.monotonic() + a.timeout
    served = 0
    while served < a.connections and time.monotonic() < end:
        try:
            raw, peer = srv.accept()
        except socket.timeout:
            continue
        served += 1
        raw.settimeout(1)
        try:
            tls = ctx.wrap_socket(raw, server_side=True)
            req = b""
            while b"\r\n\r\n" not in req and time.monotonic() < end:
                try:
                    c = tls.recv(4096)
                except socket.timeout:
                    continue
                if not c:
                    break
                req += c
            log("http< " + req.split(b"\r\n")[0].decode("latin-1"))
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n")
            Conn(tls, a).run(end)
            tls.close()
        except (ssl.SSLError, OSError) as e:
            log("connection error: %s" % e)
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
