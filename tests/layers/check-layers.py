#!/usr/bin/env python3
"""The layering rules of server/src (docs/architecture.md), checked.

usage: check-layers.py SRC_DIR

A file may include headers of its own folder and of the layers below it:

  0 util
  1 pki tls sstp ppp vnet radius   (pure cores: each includes only util)
  2 config
  3 net
  4 app
  5 control
  6 cli, main.c

and, besides:
  - no folder's private header (*_int.h) from outside that folder;
  - no mbedtls/ssl_internal.h anywhere;
  - mbedtls_ssl_handshake/_read/_write/_close_notify only in net/tls_conn.c
    (the connection's TLS transport) and ppp/eap_tls.c (TLS carried in EAP
    messages inside PPP: no socket, a core of its own);
  - every folder has a rank (a new folder must be placed here).

Prints every violation as FILE:LINE: what, and exits 1 if there is any.
"""
import os
import re
import sys

RANK = {"util": 0, "pki": 1, "tls": 1, "sstp": 1, "ppp": 1, "vnet": 1, "radius": 1,
        "config": 2, "net": 3, "app": 4, "control": 5, "cli": 6, "": 6}
CORES = {d for d, r in RANK.items() if r == 1}
TLS_CALLERS = {"net/tls_conn.c", "ppp/eap_tls.c"}
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^">]+)[">]')
TLS_CALL = re.compile(r'\bmbedtls_ssl_(handshake|handshake_step|read|write|close_notify)\s*\(')


def layer_of(path):
    return path.split("/")[0] if "/" in path else ""


def check(src):
    problems = []
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            full = os.path.join(root, name)
            rel = os.path.relpath(full, src).replace(os.sep, "/")
            mine = layer_of(rel)
            if mine not in RANK:
                problems.append(f"{rel}:1: folder '{mine}' has no layer (rank it in {sys.argv[0]})")
                continue
            with open(full, encoding="utf-8", errors="replace") as f:
                lines = f.read().split("\n")
            for no, line in enumerate(lines, 1):
                m = INCLUDE.match(line)
                if m is None:
                    if TLS_CALL.search(line) and rel not in TLS_CALLERS and \
                            not line.lstrip().startswith(("*", "/*", "//")):
                        problems.append(f"{rel}:{no}: calls {TLS_CALL.search(line).group(0)[:-1]}"
                                        " outside net/tls_conn.c (the TLS transport)")
                    continue
                kind, inc = m.groups()
                if kind == "<":
                    if inc == "mbedtls/ssl_internal.h":
                        problems.append(f"{rel}:{no}: includes mbedtls/ssl_internal.h "
                                        "(use the public API)")
                    continue
                theirs = layer_of(inc)
                if theirs == "" or theirs == mine or (mine == "" and theirs == "cli"):
                    continue
                if theirs not in RANK:
                    problems.append(f"{rel}:{no}: includes {inc}: unknown folder '{theirs}'")
                elif inc.endswith("_int.h"):
                    problems.append(f"{rel}:{no}: includes {inc}, private to {theirs}/")
                elif mine in CORES and theirs in CORES:
                    problems.append(f"{rel}:{no}: core {mine}/ includes {inc} of core {theirs}/ "
                                    "(cores use only util/)")
                elif RANK[theirs] >= RANK[mine]:
                    problems.append(f"{rel}:{no}: {mine or 'main'}/ (layer {RANK[mine]}) includes "
                                    f"{inc} of {theirs}/ (layer {RANK[theirs]}), a higher layer")
    return problems


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering violation(s)")
        return 1
    print("layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
