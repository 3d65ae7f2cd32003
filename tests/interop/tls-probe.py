#!/usr/bin/env python3
"""Tiny TLS responder on the host's loopback that prints what an SSTP client sends.

Used to prove the interop harness before the gateway speaks SSTP. Listens on 127.0.0.1
(port 0 = any free port), prints "READY port=N" on stdout, then for each connection prints
the TLS version and cipher, the HTTP request it received, and (with --reply 200) the first
SSTP packet that follows (the client's CALL_CONNECT_REQUEST). Bounded: exits after
--connections connections or --timeout seconds.

Usage: tls-probe.py --cert CHAIN.pem --key KEY.pem [--port 0] [--reply 503|200]
"""
import argparse
import socket
import ssl
import sys
import time


def log(msg):
    print(msg, flush=True)


def read_request(tls, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
        try:
            chunk = tls.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--reply", choices=["503", "200"], default="200")
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(4)
    srv.settimeout(1)
    log("READY port=%d" % srv.getsockname()[1])
    end = time.monotonic() + a.timeout
    served = 0
    while served < a.connections and time.monotonic() < end:
        try:
            raw, peer = srv.accept()
        except socket.timeout:
            continue
        served += 1
        log("PROBE accept from %s:%d" % peer)
        raw.settimeout(1)
        try:
            tls = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("PROBE tls handshake failed: %s" % e)
            raw.close()
            continue
        log("PROBE tls ok version=%s cipher=%s sni=%s" % (
            tls.version(), tls.cipher()[0], getattr(tls, "server_hostname", None)))
        req = read_request(tls, time.monotonic() + 15)
        for line in req.decode("latin-1").split("\r\n"):
            if line:
                log("PROBE http< " + line)
        if a.reply == "503":
            tls.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            log("PROBE http> 503")
        else:
            # One TLS record, Content-Length as sstpc requires (see sstp-protocol.md 4).
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n")
            log("PROBE http> 200")
            data = b""
            t_end = time.monotonic() + 10
            while len(data) < 4 and time.monotonic() < t_end:
                try:
                    c = tls.recv(4096)
                except socket.timeout:
                    continue
                if not c:
                    break
                data += c
            if len(data) >= 4:
                ln = int.from_bytes(data[2:4], "big") & 0x0FFF
                while len(data) < ln and time.monotonic() < t_end:
                    try:
                        c = tls.recv(4096)
                    except socket.timeout:
                        continue
                    if not c:
                        break
                    data += c
                pkt = data[:ln]
                kind = "control" if pkt[1] & 1 else "data"
                mtype = int.from_bytes(pkt[4:6], "big") if kind == "control" else None
                log("PROBE sstp< version=0x%02x %s len=%d msg_type=%s hex=%s" % (
                    pkt[0], kind, ln, "0x%04x" % mtype if mtype is not None else "-", pkt.hex()))
            else:
                log("PROBE sstp< nothing after the 200")
        try:
            tls.close()
        except OSError:
            pass
    srv.close()
    log("PROBE done connections=%d" % served)
    return 0 if served else 1


if __name__ == "__main__":
    sys.exit(main())
