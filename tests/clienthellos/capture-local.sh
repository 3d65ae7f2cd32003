#!/usr/bin/env bash
# Record the ClientHello of the clients installed here (Debian 12), for the
# report's client identification: openssl s_client and curl (OpenSSL 3.0),
# gnutls-cli (GnuTLS 3.7) and the project's mbedTLS 2.28 client. Each entry
# of local.tsv names the command; this script runs it against a one-shot
# listener on 127.0.0.1 (port 0) that keeps the first flight and closes.
#
# usage: tests/clienthellos/capture-local.sh BUILD_DIR
# Not part of the test suite: the files it writes are committed, with the
# package versions in local.tsv.
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:?usage: capture-local.sh BUILD_DIR}
P2S_CLIENT=$BUILD/tests/tools/p2s_client

# listen OUT: print the port, write the hex of the first TLS flight (whole
# records up to the end of the ClientHello) to OUT
listen() {
	python3 - "$1" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.settimeout(10)
buf = b""
want = None
while True:
    d = c.recv(65536)
    if not d:
        break
    buf += d
    if len(buf) >= 9 and want is None:
        want = 4 + int.from_bytes(buf[6:9], "big")  # the handshake message
    # records carry the message: sum their bodies
    got, off = 0, 0
    while off + 5 <= len(buf):
        n = int.from_bytes(buf[off + 3:off + 5], "big")
        if off + 5 + n > len(buf):
            break
        got += n
        off += 5 + n
    if want is not None and got >= want:
        buf = buf[:off]
        break
open(sys.argv[1], "w").write(buf.hex() + "\n")
c.close()
PY
}

capture() {
	local short=$1
	shift
	local out=$HERE/$short.hex port
	coproc L { listen "$out"; wait; }
	read -r port <&"${L[0]}"
	"$@" "$port" >/dev/null 2>&1 || true
	wait "$L_PID" 2>/dev/null || true
	echo "captured $short: $(($(wc -c <"$out") / 2)) bytes"
}

run_openssl() { timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername gw.test </dev/null; }
run_curl() { timeout 10 curl -sk --resolve "gw.test:$1:127.0.0.1" "https://gw.test:$1/"; }
run_gnutls() { timeout 10 gnutls-cli --insecure --sni-hostname gw.test -p "$1" 127.0.0.1 </dev/null; }
run_mbedtls() { timeout 10 "$P2S_CLIENT" --connect "127.0.0.1:$1" --servername gw.test \
	--ca "$BUILD/test-state/pki/selfsigned-gateway/root.crt" --user u --password p; }

while IFS=$'\t' read -r short name stack how; do
	case "$short" in '#'* | '') continue ;; esac
	capture "$short" "run_$how"
done <"$HERE/local.tsv"
