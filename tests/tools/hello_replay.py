#!/usr/bin/env python3
"""Send one recorded ClientHello to a TLS server and say what came back.

usage: hello_replay.py HOST PORT HEXFILE [--source ADDR] [--timeout SECS]

Prints one line:
  serverhello VERSION SUITE   the server answered with a ServerHello (hex
                              values, e.g. 0x0303 0xc030): it negotiates
  alert DESCRIPTION           a TLS alert (decimal description, e.g. 70)
  reset                       the connection was reset
  closed                      the server closed without a byte
  timeout                     nothing within SECS (default 5)
  garbage HEX                 bytes that are none of the above
The hello is replayed as recorded (its random, session id and key shares
included), so a handshake cannot go on past the server's first flight; what
the server chose is the outcome.
"""
import socket
import sys


def main():
    args = sys.argv[1:]
    source, timeout = None, 5.0
    while "--source" in args or "--timeout" in args:
        for opt in ("--source", "--timeout"):
            if opt in args:
                i = args.index(opt)
                val = args[i + 1]
                del args[i:i + 2]
                if opt == "--source":
                    source = val
                else:
                    timeout = float(val)
    if len(args) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    host, port, hexfile = args[0], int(args[1]), args[2]
    hello = bytes.fromhex(open(hexfile, encoding="ascii").read().strip())
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    s.sendall(hello)
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) >= 5:
                need = 5 + int.from_bytes(buf[3:5], "big")
                if len(buf) >= need:
                    break
    except ConnectionResetError:
        if not buf:
            print("reset")
            return 0
    except socket.timeout:
        if not buf:
            print("timeout")
            return 0
    finally:
        s.close()
    if not buf:
        print("closed")
        return 0
    if buf[0] == 21 and len(buf) >= 7:
        print(f"alert {buf[6]}")
        return 0
    # record: type 22, then handshake type 2 (ServerHello), length(3),
    # version(2), random(32), session id(1 + n), cipher suite(2)
    if buf[0] == 22 and len(buf) >= 5 + 4 + 2 + 32 + 1 and buf[5] == 2:
        p = 5 + 4
        version = int.from_bytes(buf[p:p + 2], "big")
        p += 2 + 32
        p += 1 + buf[p]
        if len(buf) >= p + 2:
            suite = int.from_bytes(buf[p:p + 2], "big")
            print(f"serverhello 0x{version:04x} 0x{suite:04x}")
            return 0
    print(f"garbage {buf[:16].hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
