#!/bin/sh
# FreeRADIUS of the compose example (docker/Dockerfile stage `radius`, docs/ci.md).
# Lab defaults; set RADIUS_SECRET, RADIUS_USER, RADIUS_PASSWORD, RADIUS_CLIENT_NET to change them.
set -eu
: "${RADIUS_SECRET:=p2s-lab-radius-secret}"
: "${RADIUS_USER:=p2s-user}"
: "${RADIUS_PASSWORD:=Lab-P2S-Passw0rd!}"
: "${RADIUS_CLIENT_NET:=172.31.218.0/24}"
export RADIUS_SECRET RADIUS_CLIENT_NET
esc() { printf '%s' "$1" | sed 's/[\\"]/\\&/g'; }
umask 077
{
	cat /etc/p2sgw-radius/users
	printf '"%s"\tCleartext-Password := "%s"\n' "$(esc "$RADIUS_USER")" "$(esc "$RADIUS_PASSWORD")"
} >/run/p2sgw-radius/users
echo "p2sgw-radius: user $RADIUS_USER, clients $RADIUS_CLIENT_NET, UDP 1812" >&2
# -f: foreground (PID 1, SIGTERM stops it); -x: one debug level, which logs each
# request's outcome ("Sent Access-Accept Id ..."); -l stdout: the container log
exec freeradius -f -x -l stdout -d /etc/p2sgw-radius "$@"
