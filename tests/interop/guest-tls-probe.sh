# Guest test used to prove the harness before the gateway speaks SSTP: runs sstpc against
# the host for at most P2SGW_PROBE_SECS (default 15) seconds and prints its log. The host side
# decides what counts (e.g. that the request "SSTP_DUPLEX_POST /sra_{...}/" arrived).
# rc: 0 if sstpc got through TCP, TLS and the HTTP exchange (its log shows either the
# Connect-Request it sends after a 200, or its complaint about a non-200 status), else 1.
. /guest-lib.sh
write_ppp_options
# shellcheck disable=SC2046
start_sstpc --log-stderr --log-level 4 $(sstpc_cert_args) \
	--user "${P2SGW_USER:-probe}" --password "${P2SGW_PASSWORD:-probe}" \
	"$P2SGW_HOST:$P2SGW_PORT" file "$PPP_OPTS"
i=0
while sstpc_alive && [ "$i" -lt $((${P2SGW_PROBE_SECS:-15} * 5)) ]; do sleep 0.2; i=$((i + 1)); done
if sstpc_alive; then
	step "probe: sstpc still running, SIGTERM"
	kill -TERM "$SSTPC_PID"
	i=0
	while sstpc_alive && [ "$i" -lt 25 ]; do sleep 0.2; i=$((i + 1)); done
	kill -KILL "$SSTPC_PID" 2>/dev/null
fi
wait "$SSTPC_PID"
step "probe: sstpc rc=$? t=$(now)"
dump_logs
grep -qE 'Sending Connect-Request|Expected HTTP code 200' "$SSTPC_LOG"
