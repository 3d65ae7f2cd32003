#!/usr/bin/env python3
"""Copy recorded ClientHellos out of testssl.sh's client simulation data.

usage: import-testssl.py [--check] [SIMFILE]

SIMFILE defaults to /etc/testssl/client-simulation.txt (Debian's testssl.sh
3.0.8). For each entry of index.tsv the hex of its `handshakebytes` is written
to SHORT.hex next to this script; with --check nothing is written and the
script exits 1 if a .hex file differs from the entry it names (so no byte in
the corpus is invented or edited by hand).
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def entries(path):
    """testssl's file is bash: parallel arrays, one `x+=(...)` line each."""
    out, cur = {}, {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r'\s*(\w+)\+=\((.*)\)\s*$', line)
        if not m:
            continue
        key, val = m.group(1), m.group(2)
        if val.startswith('"') and val.endswith('"'):
            val = val[1:-1]
        if key == "names":
            cur = {}
        cur[key] = val
        if key == "short":
            out[val] = cur
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    sim = args[0] if args else "/etc/testssl/client-simulation.txt"
    if not os.path.exists(sim):
        print(f"{sim}: not found (Debian package testssl.sh)", file=sys.stderr)
        return 2
    have = entries(sim)
    bad = 0
    for line in open(os.path.join(HERE, "index.tsv"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        short, name = line.rstrip("\n").split("\t")[:2]
        e = have.get(short)
        if e is None or e.get("names") != name:
            print(f"{short}: no entry named '{name}' in {sim}", file=sys.stderr)
            bad += 1
            continue
        hexbytes = e["handshakebytes"].lower()
        target = os.path.join(HERE, short + ".hex")
        if check:
            mine = open(target, encoding="ascii").read().strip() if os.path.exists(target) else ""
            if mine != hexbytes:
                print(f"{short}.hex differs from '{name}' in {sim}", file=sys.stderr)
                bad += 1
            else:
                print(f"ok {short} ({len(hexbytes) // 2} bytes) = '{name}'")
        else:
            with open(target, "w", encoding="ascii") as f:
                f.write(hexbytes + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
