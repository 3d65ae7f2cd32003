# Guest test: MS-CHAPv2 with a wrong password (sstpc --user/--password mode).
# Expects: authentication fails, ppp0 never gets an address, sstpc exits by itself.
# rc 0 when that happened (pppd's failure message is printed as "=== STEP auth-failure: ...").
# P2SGW_PASSWORD should be the wrong password (the default is a fixed wrong one).
. /guest-lib.sh
P2SGW_PASSWORD=${P2SGW_PASSWORD:-definitely-not-the-password}
write_ppp_options
# shellcheck disable=SC2046
start_sstpc --log-stderr --log-level 4 $(sstpc_cert_args) \
	--user "$P2SGW_USER" --password "$P2SGW_PASSWORD" \
	"$P2SGW_HOST:$P2SGW_PORT" file "$PPP_OPTS"
fail=0
if wait_ppp_up; then
	step "UNEXPECTED ppp0 came up with a wrong password"
	fail=1
	terminate
elif sstpc_alive; then
	step "sstpc still running after ${P2SGW_UP_TIMEOUT}s"
	fail=1
	terminate
fi
msg=$(grep -iE 'authentication failed|auth.*fail|E=691|CHAP.*(fail|rejected)' "$PPPD_LOG" "$SSTPC_LOG" 2>/dev/null | head -3)
if [ -n "$msg" ]; then
	echo "$msg" | while read -r l; do step "auth-failure: $l"; done
else
	step "no authentication-failure message from pppd/sstpc"
	fail=1
fi
dump_logs
exit $fail
