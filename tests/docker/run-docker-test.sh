#!/usr/bin/env bash
# Docker fixture test: builds the image (docker/Dockerfile) with a real Docker
# engine, runs it, waits for healthy, connects with openssl, rotates the chain
# through the control API, restarts on the same volume, times `docker stop`,
# runs docker/compose.yaml once, then docker/compose.radius.yaml once (FreeRADIUS,
# the gateway with ppp.auth_backend radius, and a p2s_client sign-in).
#
# On a fresh Debian 12 machine, as root, it brings what it needs:
#   - docker.io, docker-compose (installed by tests/setup-debian.sh);
#   - an engine: if none answers, `dockerd --host unix:///run/docker.sock` in
#     the background (log /var/log/p2sgw-dockerd.log). The engine is LEFT
#     RUNNING at the end so that later runs reuse it and its build cache;
#   - base images debian:bookworm and debian:bookworm-slim imported, when the
#     engine lacks them, from the root file system tarballs that the setup
#     made with debootstrap in /var/cache/p2sgw-docker (no registry needed).
# Containers, volumes and compose projects it creates are removed on exit; the
# images p2sgw:test, p2sgw-client:test, p2sgw-radius:test and p2sgw-build:test
# are kept (build cache); dangling images of earlier builds of this Dockerfile are pruned.
#
# Prints ok:/FAIL: lines, then `image_size_mb N`, `time_to_ready_ms N` and
# `time_to_healthy_ms N`; exits 1 on any failure (a missing tool or base
# image included: the message names the setup command).
set -eu -o pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD

CACHE=${P2SGW_DOCKER_CACHE:-/var/cache/p2sgw-docker}
IMAGE=p2sgw:test
CLIENT_IMAGE=p2sgw-client:test
BUILD_IMAGE=p2sgw-build:test
RADIUS_IMAGE=p2sgw-radius:test
GW_HOST=azuregateway-4b7f0c2e-9d1a-4c3b-8e5f-6a2d1c0b9e87.cloudapp.net
TOKEN=docker-test-$$-$RANDOM$RANDOM
RUN_ID=p2sgw-dt-$$
TMP=$(mktemp -d /tmp/p2sgw-docker-test.XXXXXX)
FAILS=0
CHECKS=0
CONTAINERS=()
VOLUMES=()
COMPOSE_PROJECT=""
RCOMPOSE_PROJECT=""
T_START=$(date +%s%N)

log() { printf '# %s\n' "$*"; }
pass() { CHECKS=$((CHECKS + 1)); printf 'ok: %s\n' "$*"; }
fail() { FAILS=$((FAILS + 1)); printf 'FAIL: %s\n' "$*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
die() {
	fail "$*"
	exit 1
}

# Dangling images left by earlier builds of this Dockerfile (its labels).
prune_dangling() {
	local f
	for f in label=p2sgw.stage label=org.opencontainers.image.title=p2sgw; do
		docker image prune -f --filter "$f" >/dev/null 2>&1 || true
	done
}

cleanup() {
	local c v
	set +e
	[ "$FAILS" -eq 0 ] || prune_dangling
	if [ -n "$COMPOSE_PROJECT" ]; then
		compose -p "$COMPOSE_PROJECT" down -v --remove-orphans >/dev/null 2>&1
	fi
	if [ -n "$RCOMPOSE_PROJECT" ]; then
		rcompose -p "$RCOMPOSE_PROJECT" down -v --remove-orphans >/dev/null 2>&1
	fi
	for c in "${CONTAINERS[@]}"; do docker rm -f -v "$c" >/dev/null 2>&1; done
	for v in "${VOLUMES[@]}"; do docker volume rm -f "$v" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "FAIL: unexpected error (status $?) at line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM

# ---- what tests/setup-debian.sh installed ----------------------------------
# This test installs and downloads nothing itself (the image's own Dockerfile
# fetches its packages inside the build, as any Docker build does).

SETUP="bash tests/setup-debian.sh"
need() { die "$1: run '$SETUP' (as root) first"; }
for tool in docker dockerd openssl curl; do
	command -v "$tool" >/dev/null 2>&1 || need "$tool is missing"
done
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
	|| need "neither docker-compose nor docker compose"

# Compose v2 plugin when there is one, else Debian's docker-compose 1.29.
if docker compose version >/dev/null 2>&1; then
	COMPOSE=(docker compose)
	COMPOSE_VERSION="docker compose $(docker compose version --short 2>/dev/null || true)"
else
	COMPOSE=(docker-compose)
	COMPOSE_VERSION="docker-compose $(docker-compose version --short 2>/dev/null || true)"
fi
compose() { "${COMPOSE[@]}" -f "$SRC/docker/compose.yaml" "$@"; }
rcompose() { "${COMPOSE[@]}" -f "$SRC/docker/compose.radius.yaml" "$@"; }

# ---- engine ---------------------------------------------------------------

if docker info >/dev/null 2>&1; then
	log "using the running Docker engine ($(docker info -f '{{.ServerVersion}}' 2>/dev/null))"
else
	[ "$(id -u)" -eq 0 ] || die "no Docker engine answers and not root to start one"
	t=$(now_ms)
	export DOCKER_HOST=unix:///run/docker.sock
	if DOCKERD_PID=$(pgrep -x -n dockerd 2>/dev/null); then
		# one is starting (another run?): wait for it rather than start a second
		log "dockerd (pid $DOCKERD_PID) is running but does not answer yet: waiting"
	else
		log "no engine answers: starting dockerd (log /var/log/p2sgw-dockerd.log; left running)"
		# setsid: its own session, so it outlives this test and ctest's process group
		setsid nohup dockerd --host unix:///run/docker.sock >>/var/log/p2sgw-dockerd.log 2>&1 </dev/null &
		DOCKERD_PID=$!
	fi
	for _ in $(seq 1 1200); do
		docker info >/dev/null 2>&1 && break
		if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
			tail -20 /var/log/p2sgw-dockerd.log
			die "dockerd exited before answering"
		fi
		sleep 0.1
	done
	docker info >/dev/null 2>&1 || { tail -20 /var/log/p2sgw-dockerd.log; die "dockerd did not answer within 120 s"; }
	log "dockerd (pid $DOCKERD_PID) answers after $(( $(now_ms) - t )) ms"
fi

# Containers left by an earlier run that was killed (its pid is gone).
for c in $(docker ps -aq --filter label=p2sgw.test.pid 2>/dev/null); do
	pid=$(docker inspect -f '{{index .Config.Labels "p2sgw.test.pid"}}' "$c" 2>/dev/null || echo "")
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		docker rm -f -v "$c" >/dev/null 2>&1 || true
	fi
done
for v in $(docker volume ls -q --filter label=p2sgw.test.pid 2>/dev/null); do
	pid=$(docker volume inspect -f '{{index .Labels "p2sgw.test.pid"}}' "$v" 2>/dev/null || echo "")
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		docker volume rm -f "$v" >/dev/null 2>&1 || true
	fi
done

# ---- base images (debootstrap, no registry) -------------------------------

# Root file systems that tests/setup-debian.sh made with debootstrap.
import_base() { # TARBALL TAG
	docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' "$1" "$2" >/dev/null
}

ensure_base_images() {
	local absent=0 tag
	for tag in debian:bookworm debian:bookworm-slim; do
		docker image inspect "$tag" >/dev/null 2>&1 || absent=1
	done
	[ $absent -eq 1 ] || { log "base images present"; return 0; }
	local t full=$CACHE/bookworm-minbase.tar slim=$CACHE/bookworm-slim.tar
	[ -s "$full" ] && [ -s "$slim" ] || need "no base root file systems in $CACHE"
	exec 9>"$CACHE/lock"
	flock 9
	t=$(now_ms)
	docker image inspect debian:bookworm >/dev/null 2>&1 || import_base "$full" debian:bookworm
	docker image inspect debian:bookworm-slim >/dev/null 2>&1 || import_base "$slim" debian:bookworm-slim
	log "base images imported in $(( $(now_ms) - t )) ms"
	flock -u 9
}
ensure_base_images
for tag in debian:bookworm debian:bookworm-slim; do
	docker image inspect "$tag" >/dev/null 2>&1 && pass "base image $tag present" || die "no base image $tag"
done

# ---- build ----------------------------------------------------------------

t=$(now_ms)
if docker build --force-rm -f docker/Dockerfile -t "$IMAGE" . >"$TMP/build.log" 2>&1; then
	pass "docker build -f docker/Dockerfile ($(( $(now_ms) - t )) ms)"
else
	tail -40 "$TMP/build.log"
	die "docker build failed"
fi
docker build --force-rm -f docker/Dockerfile --target client -t "$CLIENT_IMAGE" . >"$TMP/build-client.log" 2>&1 \
	&& pass "client stage builds" || { tail -20 "$TMP/build-client.log"; die "client stage build"; }
# The legacy builder keeps every superseded build stage as a dangling image
# (~430 MB each time the sources change): tag the current one, so its layers
# stay as cache, and drop the dangling ones of this Dockerfile only.
docker build --force-rm -f docker/Dockerfile --target build -t "$BUILD_IMAGE" . >"$TMP/build-stage.log" 2>&1 \
	|| { tail -20 "$TMP/build-stage.log"; die "build stage"; }
docker build --force-rm -f docker/Dockerfile --target radius -t "$RADIUS_IMAGE" . >"$TMP/build-radius.log" 2>&1 \
	&& pass "radius stage builds" || { tail -20 "$TMP/build-radius.log"; die "radius stage build"; }
out=$(docker run --rm --entrypoint sh "$CLIENT_IMAGE" -c \
	'ldd /usr/local/bin/p2s_client | grep -c "not found"; p2s_client --self-test >/dev/null && echo selftest-ok' 2>&1 || true)
[ "$out" = "$(printf '0\nselftest-ok')" ] && pass "p2s_client in the client image: libraries resolve, self-test passes" \
	|| fail "p2s_client in the client image: $out"
prune_dangling
IMAGE_BYTES=$(docker image inspect -f '{{.Size}}' "$IMAGE")
IMAGE_MB=$(( (IMAGE_BYTES + 500000) / 1000000 ))

user=$(docker image inspect -f '{{.Config.User}}' "$IMAGE")
[ "$user" = "p2sgw:p2sgw" ] && pass "image runs as user p2sgw" || fail "image user '$user'"
hc=$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE")
[ "$hc" = '["CMD","p2sgw","health"]' ] && pass "HEALTHCHECK is exec form p2sgw health" || fail "healthcheck $hc"
out=$(docker run --rm --entrypoint p2sgw "$IMAGE" version 2>&1) && pass "p2sgw runs in the image ($out)" \
	|| fail "p2sgw version: $out"
if out=$(docker run --rm --entrypoint sh "$IMAGE" -c \
	'for l in $(ldd /usr/bin/p2sgw | grep -c "not found"); do echo $l; done; id -u' 2>&1) \
	&& [ "$out" = "$(printf '0\n10001')" ]; then
	pass "all shared libraries resolve; uid 10001"
else
	fail "ldd/id in the image: $out"
fi

# ---- run ------------------------------------------------------------------

# run_gw NAME VOLUME [docker run options...]: start the gateway detached.
run_gw() {
	local name=$1 vol=$2
	shift 2
	CONTAINERS+=("$name")
	docker run -d --name "$name" --label "p2sgw.test.pid=$$" \
		-v "$vol:/var/lib/p2sgw" -p 127.0.0.1:0:443 -p 127.0.0.1:0:8444 "$@" "$IMAGE" >/dev/null
}

# wait_healthy NAME [SECONDS]: 0 when healthy; sets READY_MS and HEALTHY_MS
# (time since T0 in ms) when the READY line and the healthy status appear.
wait_healthy() {
	local name=$1 secs=${2:-60} st end
	end=$(( $(now_ms) + secs * 1000 ))
	READY_MS=""
	while [ "$(now_ms)" -lt "$end" ]; do
		if [ -z "$READY_MS" ] && logs_have "$name" '^READY '; then
			READY_MS=$(( $(now_ms) - T0 ))
		fi
		st=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$name" 2>/dev/null || echo gone)
		case "$st" in
		"running healthy")
			HEALTHY_MS=$(( $(now_ms) - T0 ))
			[ -n "$READY_MS" ] || READY_MS=$HEALTHY_MS
			return 0 ;;
		running*) ;;
		*) log "container $name is '$st'"; docker logs "$name" 2>&1 | tail -20; return 1 ;;
		esac
		sleep 0.05
	done
	docker logs "$name" 2>&1 | tail -20
	return 1
}

# ports NAME: sets TLS_PORT, CTL_PORT, CTL (host side), CIP (container IP).
ports() {
	local p
	p=$(docker port "$1" 443/tcp)
	TLS_PORT=$(printf '%s\n' "$p" | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p')
	p=$(docker port "$1" 8444/tcp)
	CTL_PORT=$(printf '%s\n' "$p" | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p')
	CTL=127.0.0.1:$CTL_PORT
	CIP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1")
}

# logs_have NAME ERE: the container's output has a matching line (no pipe:
# grep -q closing early would fail the pipeline under pipefail).
logs_have() {
	docker logs "$1" >"$TMP/logs" 2>&1 || return 1
	grep -qE -- "$2" "$TMP/logs"
}

api() { # METHOD PATH [curl args...]: body in $TMP/api.out, prints the status code
	local m=$1 p=$2
	shift 2
	curl -s -o "$TMP/api.out" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $TOKEN" \
		"$@" "http://$CTL$p"
}

# ossl HOST:PORT ARGS...: openssl s_client; output in $OUT, status in $RC
ossl() {
	local to=$1
	shift
	OUT=$TMP/ossl.out
	RC=0
	timeout 20 openssl s_client -connect "$to" -servername "$GW_HOST" "$@" </dev/null >"$OUT" 2>&1 || RC=$?
}

sha256_of() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }

VOL=$RUN_ID-state
VOLUMES+=("$VOL")
docker volume create --label "p2sgw.test.pid=$$" "$VOL" >/dev/null
GW=$RUN_ID-gw
T0=$(now_ms)
run_gw "$GW" "$VOL" -e "P2SGW_TOKEN=$TOKEN"
if wait_healthy "$GW" 90; then
	TIME_TO_HEALTHY=$HEALTHY_MS
	TIME_TO_READY=$READY_MS
	pass "container healthy after $TIME_TO_HEALTHY ms (READY line after $TIME_TO_READY ms)"
else
	die "container did not become healthy"
fi
ports "$GW"
[[ "$TLS_PORT" =~ ^[0-9]+$ && "$CTL_PORT" =~ ^[0-9]+$ ]] && pass "mapped ports 443->$TLS_PORT 8444->$CTL_PORT" \
	|| die "docker port: '$TLS_PORT' '$CTL_PORT'"
logs_have "$GW" '^READY listen=0\.0\.0\.0:443 control=0\.0\.0\.0:8444 workers=[0-9]+$' \
	&& pass "READY listen=0.0.0.0:443 control=0.0.0.0:8444 (non-root on 443)" \
	|| fail "READY line: $(grep READY "$TMP/logs")"
pid1=$(docker exec "$GW" sh -c 'grep -E "^(Name|Uid|CapEff)" /proc/1/status' 2>&1 | tr -s '\t\n' '  ' || true)
[[ "$pid1" =~ Name:\ p2sgw\ Uid:\ 10001\  && "$pid1" =~ CapEff:\ 0000000000000400 ]] \
	&& pass "PID 1 is p2sgw as uid 10001 with only CAP_NET_BIND_SERVICE" || fail "PID 1: $pid1"

# control API: health without token, the rest with it
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CTL/health")
[ "$code" = 200 ] && pass "GET /health from the host: 200" || fail "GET /health: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CTL/status")
[ "$code" = 401 ] && pass "GET /status without the token: 401" || fail "GET /status without token: $code"
code=$(api GET /status)
[ "$code" = 200 ] && pass "GET /status with the token: 200" || fail "GET /status: $code $(cat "$TMP/api.out")"
CHAIN=$(sed -n 's/.*"chain": "\([^"]*\)".*/\1/p' "$TMP/api.out")
ROOT_FILE=$(sed -n 's/.*"root_file": "\([^"]*\)".*/\1/p' "$TMP/api.out")
LEAF1=$(sed -n 's/.*"leaf_sha1": "\([^"]*\)".*/\1/p' "$TMP/api.out")
log "chain $CHAIN, root_file $ROOT_FILE"
[ "$ROOT_FILE" = "/var/lib/p2sgw/pki/$CHAIN/root.crt" ] && pass "root_file is in the state volume" \
	|| fail "root_file '$ROOT_FILE'"

# the lab root: from the API and from the container (docker cp); same file
code=$(api GET /root.pem)
cp "$TMP/api.out" "$TMP/root-api.pem"
[ "$code" = 200 ] && grep -q 'BEGIN CERTIFICATE' "$TMP/root-api.pem" && pass "GET /root.pem returns the PEM" \
	|| fail "GET /root.pem: $code"
docker cp "$GW:$ROOT_FILE" "$TMP/root-cp.pem" && cmp -s "$TMP/root-cp.pem" "$TMP/root-api.pem" \
	&& pass "docker cp of root_file equals /root.pem" || fail "docker cp root differs from /root.pem"
ROOT1=$(sha256_of "$TMP/root-api.pem")

# TLS through the published port
ossl "127.0.0.1:$TLS_PORT" -tls1_2 -verify_return_error -CAfile "$TMP/root-api.pem"
if [ $RC -eq 0 ] && grep -q 'Verify return code: 0 (ok)' "$OUT" && grep -qE 'Protocol *: TLSv1.2' "$OUT"; then
	pass "TLS 1.2 through the published port verifies against the lab root"
else
	fail "TLS 1.2 verify (rc $RC)"; tail -15 "$OUT"
fi
# A refused TLS 1.0 client gets a TCP reset. Through docker's userland proxy
# (published loopback port) a reset reaches the client as a plain close, so
# check the reset on the container address, as a job in a container sees it.
ossl "$CIP:443" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
if [ $RC -ne 0 ] && grep -qE 'errno=104|Connection reset by peer' "$OUT"; then
	pass "TLS 1.0 client on the container address gets a TCP reset"
else
	fail "TLS 1.0 on $CIP:443: no reset (rc $RC)"; tail -8 "$OUT"
fi
ossl "127.0.0.1:$TLS_PORT" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
if [ $RC -ne 0 ] && grep -q 'no peer certificate available' "$OUT"; then
	how=$(grep -m1 -oE 'errno=104|Connection reset by peer|unexpected eof while reading' "$OUT" || true)
	pass "TLS 1.0 client through the published port is refused (client sees: ${how:-?})"
else
	fail "TLS 1.0 through the published port not refused (rc $RC)"; tail -8 "$OUT"
fi
logs_have "$GW" '"event":"close".*"reason":"refused_version".*"action":"reset"' \
	&& pass "refusals logged: close reason refused_version, action reset" \
	|| fail "no close event with reason refused_version: $(grep '"event":"close"' "$TMP/logs" | tail -1)"

# rotate to DigiCert Global Root G2 with the token
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"chain":"digicert-global-root-g2"}' "http://$CTL/rotate")
[ "$code" = 401 ] && pass "POST /rotate without the token: 401" || fail "POST /rotate without token: $code"
code=$(api POST /rotate -d '{"chain":"digicert-global-root-g2"}')
[ "$code" = 200 ] && grep -q '"chain": "digicert-global-root-g2"' "$TMP/api.out" \
	&& pass "POST /rotate to digicert-global-root-g2" || fail "rotate: $code $(cat "$TMP/api.out")"
code=$(api GET /root.pem)
cp "$TMP/api.out" "$TMP/root-g2.pem"
grep -q 'BEGIN CERTIFICATE' "$TMP/root-g2.pem" && openssl x509 -noout -subject -in "$TMP/root-g2.pem" | grep -q 'G2' \
	&& pass "/root.pem now serves the G2 root ($(openssl x509 -noout -subject -in "$TMP/root-g2.pem" | sed 's/^subject=//'))" \
	|| fail "root after rotate: $code"
G2=$(sha256_of "$TMP/root-g2.pem")
ossl "127.0.0.1:$TLS_PORT" -tls1_2 -verify_return_error -CAfile "$TMP/root-g2.pem"
[ $RC -eq 0 ] && grep -q 'Verify return code: 0 (ok)' "$OUT" \
	&& pass "new connection verifies against the G2 root" || { fail "verify against G2 (rc $RC)"; tail -10 "$OUT"; }
ossl "127.0.0.1:$TLS_PORT" -tls1_2 -verify_return_error -CAfile "$TMP/root-api.pem"
[ $RC -ne 0 ] && pass "and no longer against the previous root" || fail "old root still verifies after rotate"
logs_have "$GW" '"event":"rotate".*"chain":"digicert-global-root-g2"' \
	&& pass "rotate event in the container log" || fail "no rotate event in docker logs"

# docker stop: SIGTERM to PID 1 (p2sgw), clean exit well under 3 s
t=$(now_ms)
docker stop "$GW" >/dev/null
STOP_MS=$(( $(now_ms) - t ))
[ "$STOP_MS" -lt 3000 ] && pass "docker stop took $STOP_MS ms" || fail "docker stop took $STOP_MS ms"
ec=$(docker inspect -f '{{.State.ExitCode}}' "$GW")
[ "$ec" = 0 ] && pass "exit status 0 after SIGTERM" || fail "exit status $ec after docker stop"
logs_have "$GW" '"event":"stop"' && pass "stop event logged" || fail "no stop event"

# a new container on the same volume: the lab PKI persists
docker rm -v "$GW" >/dev/null
GW2=$RUN_ID-gw2
T0=$(now_ms)
run_gw "$GW2" "$VOL" -e "P2SGW_TOKEN=$TOKEN"
wait_healthy "$GW2" 60 && pass "second container on the same volume healthy after $HEALTHY_MS ms" \
	|| die "second container not healthy"
ports "$GW2"
api GET /root.pem >/dev/null
[ "$(sha256_of "$TMP/api.out")" = "$ROOT1" ] && pass "same lab root after the restart ($CHAIN)" \
	|| fail "root changed across restart"
api GET '/root.pem?chain=digicert-global-root-g2' >/dev/null
[ "$(sha256_of "$TMP/api.out")" = "$G2" ] && pass "same G2 root after the restart" || fail "G2 root changed"
api GET /status >/dev/null
leaf=$(sed -n 's/.*"leaf_sha1": "\([^"]*\)".*/\1/p' "$TMP/api.out")
[ "$leaf" = "$LEAF1" ] && pass "same leaf after the restart" || fail "leaf changed: $LEAF1 -> $leaf"
ossl "127.0.0.1:$TLS_PORT" -tls1_2 -verify_return_error -CAfile "$TMP/root-api.pem"
[ $RC -eq 0 ] && pass "a client that kept the root still verifies" || { fail "verify after restart"; tail -10 "$OUT"; }
docker rm -f -v "$GW2" >/dev/null

# no token given: the entrypoint makes one in the state volume
VOL2=$RUN_ID-state2
VOLUMES+=("$VOL2")
docker volume create --label "p2sgw.test.pid=$$" "$VOL2" >/dev/null
GW3=$RUN_ID-gw3
T0=$(now_ms)
run_gw "$GW3" "$VOL2"
wait_healthy "$GW3" 60 && pass "without P2SGW_TOKEN the container starts (healthy)" || die "no-token container"
ports "$GW3"
gen=$(docker exec "$GW3" cat /var/lib/p2sgw/control-token 2>/dev/null || true)
mode=$(docker exec "$GW3" stat -c '%a %U' /var/lib/p2sgw/control-token 2>/dev/null || true)
[ ${#gen} -ge 32 ] && [ "$mode" = "600 p2sgw" ] && pass "generated token in STATE/control-token ($mode)" \
	|| fail "generated token '${gen}' mode '$mode'"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$CTL/status")
[ "$code" = 401 ] && pass "API still refuses requests without it" || fail "no-token API: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $gen" "http://$CTL/status")
[ "$code" = 200 ] && pass "and answers with the generated token" || fail "generated token: $code"
docker rm -f -v "$GW3" >/dev/null

# binding 443 as non-root through the file capability alone, and no network
GW4=$RUN_ID-gw4
CONTAINERS+=("$GW4")
docker run -d --name "$GW4" --label "p2sgw.test.pid=$$" --network none \
	--sysctl net.ipv4.ip_unprivileged_port_start=1024 -e "P2SGW_TOKEN=$TOKEN" "$IMAGE" >/dev/null
T0=$(now_ms)
wait_healthy "$GW4" 60 && pass "healthy with --network none and ip_unprivileged_port_start=1024 (setcap works)" \
	|| fail "no-network / port-start container not healthy"
docker rm -f -v "$GW4" >/dev/null
out=$(docker run --rm --cap-drop ALL "$IMAGE" version 2>&1 || true)
[[ "$out" == *"add --cap-add NET_BIND_SERVICE"* ]] && pass "--cap-drop ALL: the entrypoint says to add NET_BIND_SERVICE" \
	|| fail "--cap-drop ALL: $out"
out=$(docker run --rm --cap-drop ALL --cap-add NET_BIND_SERVICE "$IMAGE" version 2>&1 || true)
[[ "$out" == "p2sgw "* ]] && pass "--cap-drop ALL --cap-add NET_BIND_SERVICE runs" || fail "cap-add: $out"

# ---- compose --------------------------------------------------------------

COMPOSE_PROJECT=p2sgwdt$$
export GW_IMAGE=$IMAGE GW_CLIENT_IMAGE=$CLIENT_IMAGE GW_TLS_PORT=0 GW_CONTROL_PORT=0
if compose -p "$COMPOSE_PROJECT" config -q >"$TMP/compose.log" 2>&1; then
	pass "compose.yaml is valid for $COMPOSE_VERSION"
else
	fail "compose config ($COMPOSE_VERSION)"; cat "$TMP/compose.log"
fi
t=$(now_ms)
if timeout 300 "${COMPOSE[@]}" -f "$SRC/docker/compose.yaml" -p "$COMPOSE_PROJECT" up --no-build \
	--abort-on-container-exit --exit-code-from check >"$TMP/compose.log" 2>&1; then
	grep -q 'Verify return code: 0 (ok)' "$TMP/compose.log" \
		&& pass "compose up: the check service verified the gateway ($(( $(now_ms) - t )) ms)" \
		|| { fail "compose up: no successful verification in the output"; tail -30 "$TMP/compose.log"; }
else
	fail "compose up failed"; tail -40 "$TMP/compose.log"
fi
compose -p "$COMPOSE_PROJECT" down -v --remove-orphans >/dev/null 2>&1 && COMPOSE_PROJECT=""

# ---- compose with FreeRADIUS ------------------------------------------------

# free_subnet: a 172.31.N.0/24 that no Docker network and no host route uses
free_subnet() {
	local used n
	used=$( { docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' \
		$(docker network ls -q) 2>/dev/null || true; ip -4 route 2>/dev/null || true; } | tr ' ' '\n')
	for n in $(seq 218 254) $(seq 16 217); do
		printf '%s\n' "$used" | grep -q "^172\.31\.$n\." || { echo "172.31.$n"; return 0; }
	done
	return 1
}

# compose_cid PROJECT SERVICE: the container of a service (compose v1 and v2 name them differently)
compose_cid() {
	docker ps -aq --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=$2" | head -1
}

RCOMPOSE_PROJECT=p2sgwdtr$$
NET=$(free_subnet) || die "no free 172.31.N.0/24 subnet for the RADIUS compose network"
# the test's own secret and password (a backslash and punctuation, as tests/radius/raddb/users)
export GW_RADIUS_IMAGE=$RADIUS_IMAGE RADIUS_SUBNET=$NET.0/24 RADIUS_IP=$NET.10 \
	RADIUS_SECRET=dt-secret-$$-$RANDOM RADIUS_USER=p2s-user RADIUS_PASSWORD='Sw0rd!CONTOSO\p2s-user;#&x'
if rcompose -p "$RCOMPOSE_PROJECT" config -q >"$TMP/rcompose.log" 2>&1; then
	pass "compose.radius.yaml is valid for $COMPOSE_VERSION"
else
	fail "compose.radius.yaml config ($COMPOSE_VERSION)"; cat "$TMP/rcompose.log"
fi
t=$(now_ms)
RRC=0
timeout 300 "${COMPOSE[@]}" -f "$SRC/docker/compose.radius.yaml" -p "$RCOMPOSE_PROJECT" up --no-build \
	--abort-on-container-exit --exit-code-from check >"$TMP/rcompose.log" 2>&1 || RRC=$?
RADIUS_COMPOSE_MS=$(( $(now_ms) - t ))
docker logs "$(compose_cid "$RCOMPOSE_PROJECT" gateway)" >"$TMP/rgw.log" 2>&1 || true
docker logs "$(compose_cid "$RCOMPOSE_PROJECT" radius)" >"$TMP/rradius.log" 2>&1 || true
docker logs "$(compose_cid "$RCOMPOSE_PROJECT" check)" >"$TMP/rcheck.log" 2>&1 || true
RBAD=$FAILS
[ "$RRC" -eq 0 ] && pass "compose.radius.yaml: check signed in through FreeRADIUS (exit 0, $RADIUS_COMPOSE_MS ms, subnet $RADIUS_SUBNET)" \
	|| fail "compose.radius.yaml: check exit $RRC"
grep -q '^ping 172\.16\.201\.1: reply' "$TMP/rcheck.log" && pass "check: ping through the tunnel answered" \
	|| fail "check: no ping reply"
grep -qE '"event":"radius_reply".*"server":"'"$RADIUS_IP"':1812".*"result":"accept"' "$TMP/rgw.log" \
	&& pass "gateway: radius_reply accept from $RADIUS_IP:1812" || fail "gateway: no radius_reply accept"
grep -qE '"event":"sstp_call_connected".*"ok":true' "$TMP/rgw.log" \
	&& pass "gateway: sstp_call_connected ok (crypto binding with FreeRADIUS' MPPE keys)" \
	|| fail "gateway: no sstp_call_connected ok"
grep -qE '"event":"tunnel_up".*"identity":"p2s-user"' "$TMP/rgw.log" && pass "gateway: tunnel_up for p2s-user" \
	|| fail "gateway: no tunnel_up"
grep -qE 'Sent Access-Accept Id [0-9]+ ' "$TMP/rradius.log" && pass "FreeRADIUS logged its Access-Accept" \
	|| fail "no Access-Accept in FreeRADIUS' log"
! grep -qF -- "$RADIUS_SECRET" "$TMP/rgw.log" && pass "the shared secret is in no gateway log line" \
	|| fail "shared secret in the gateway's log"
if [ "$FAILS" -ne "$RBAD" ]; then
	log "compose output (last 30 lines)"; tail -30 "$TMP/rcompose.log"
	log "gateway log (last 20 lines)"; tail -20 "$TMP/rgw.log"
	log "FreeRADIUS log (last 40 lines)"; tail -40 "$TMP/rradius.log"
	log "check log"; tail -30 "$TMP/rcheck.log"
fi
rcompose -p "$RCOMPOSE_PROJECT" down -v --remove-orphans >/dev/null 2>&1 && RCOMPOSE_PROJECT=""

# ---- numbers ----------------------------------------------------------------

echo "image_size_mb $IMAGE_MB"
echo "time_to_ready_ms $TIME_TO_READY"
echo "time_to_healthy_ms $TIME_TO_HEALTHY"
echo "docker_stop_ms $STOP_MS"
echo "radius_compose_ms $RADIUS_COMPOSE_MS"
echo "test_duration_s $(( ($(date +%s%N) - T_START) / 1000000000 ))"
if [ "$FAILS" -ne 0 ]; then
	echo "$CHECKS passed, $FAILS failed"
	exit 1
fi
echo "$CHECKS checks passed (Docker engine left running)"
