#!/bin/sh
# p2sgw container entrypoint (docker/Dockerfile, docs/ci.md)
set -eu
if [ "${1:-}" = serve ] && [ -z "${P2SGW_TOKEN:-}" ]; then
  case "${P2SGW_CONTROL:-127.0.0.1:8444}" in
  127.*|localhost:*|"[::1]:"*) ;;
  *)
    f="${P2SGW_STATE_DIR:-/var/lib/p2sgw}/control-token"
    if [ ! -s "$f" ]; then
      umask 077
      mkdir -p "${f%/*}"
      od -An -N24 -tx1 /dev/urandom | tr -d " \n" >"$f.tmp"
      echo >>"$f.tmp"
      mv "$f.tmp" "$f"
    fi
    P2SGW_TOKEN=$(cat "$f")
    export P2SGW_TOKEN
    echo "p2sgw: no P2SGW_TOKEN given; the control API token is in $f" >&2
    ;;
  esac
fi
# /usr/bin/p2sgw carries cap_net_bind_service as a file capability: exec
# fails (EPERM) where the bounding set lacks it (--cap-drop ALL). Say so.
bnd=$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status 2>/dev/null || true)
if [ -n "$bnd" ] && [ $(( 0x$bnd & 0x400 )) -eq 0 ]; then
  echo "p2sgw: CAP_NET_BIND_SERVICE is not in the bounding set of this container;" \
    "the binary needs it to start: add --cap-add NET_BIND_SERVICE" >&2
fi
exec /usr/bin/p2sgw "$@"
