# Guest test: sign-in through RADIUS (the gateway relays MS-CHAPv2 to FreeRADIUS), two sstpc
# runs in one boot, both in pppd plugin mode (user/password are pppd options in our options
# file, the plugin hands pppd's MPPE keys to sstpc for the crypto binding):
#   1. P2SGW_PASSWORD (FreeRADIUS' password, with a backslash and punctuation): ppp0 up,
#      pings, clean end;
#   2. P2SGW_WRONG_PASSWORD: pppd reports the MS-CHAP failure, ppp0 never comes up.
# Why not `sstpc --password`: sstpc 1.0.18 writes `password "%s"` unescaped into a temporary
# pppd option file (/tmp/sstp-pppd.XXXXXX), and pppd's option parser treats a backslash inside
# quotes as an escape: `\p` becomes `p`, so pppd answers with another password than the one
# sstpc derives the crypto binding keys from. Seen: FreeRADIUS "MS-CHAP2-Response is
# incorrect", and pppd's NT-Response recomputes with the password minus its backslash. Here the
# password is written quoted for pppd's parser: \ -> \\ and " -> \".
# rc 0 when both went as expected. Markers: "=== STEP run 1|2 ...", the usual ones in between.
# Run with: P2SGW_PORT=... P2SGW_USER=... P2SGW_PASSWORD=... P2SGW_WRONG_PASSWORD=...
#           run-guest.sh THIS_FILE [ca.pem]
. /guest-lib.sh
P2SGW_WRONG_PASSWORD=${P2SGW_WRONG_PASSWORD:-definitely-not-the-password}
rc=0

# pppd_quote STRING: STRING as a double-quoted word of a pppd option file
pppd_quote() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

# start_run N PASSWORD: options file with user and password, then sstpc in plugin mode
start_run() {
	write_ppp_options >/dev/null
	q=$(pppd_quote "$2")
	printf 'user %s\npassword %s\n' "$(pppd_quote "$P2SGW_USER")" "$q" >>"$PPP_OPTS"
	step "run $1 options: user $P2SGW_USER, password of ${#2} characters written as a quoted word of ${#q}"
	# shellcheck disable=SC2046
	start_sstpc --log-stderr --log-level 4 $(sstpc_cert_args) --ipparam "p2sgw-r$1" \
		"$P2SGW_HOST:$P2SGW_PORT" file "$PPP_OPTS"
	i=0
	while ! pidof pppd >/dev/null && sstpc_alive && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	p=$(pidof pppd) && echo "--- pppd argv: $(tr '\0' ' ' </proc/${p%% *}/cmdline)"
}

step "run 1 good password t=$(now)"
start_run 1 "$P2SGW_PASSWORD"
run_tunnel_test || rc=1
step "run 1 done rc=$rc t=$(now)"

# run 2: fresh logs (pppd appends to its logfile)
rm -f "$PPPD_LOG" /tmp/pppd-before-terminate.log
step "run 2 wrong password t=$(now)"
start_run 2 "$P2SGW_WRONG_PASSWORD"
if wait_ppp_up; then
	step "run 2 UNEXPECTED ppp0 came up with a wrong password"
	rc=1
	terminate
elif sstpc_alive; then
	step "run 2 sstpc still running after ${P2SGW_UP_TIMEOUT}s"
	rc=1
	terminate
fi
msg=$(grep -hiE 'E=691|MS-CHAP.*fail|authentication failed' "$PPPD_LOG" 2>/dev/null | head -3)
if [ -n "$msg" ]; then
	echo "$msg" | while read -r l; do step "run 2 auth-failure: $l"; done
else
	step "run 2 no authentication-failure message from pppd"
	rc=1
fi
dump_logs
step "run 2 done t=$(now)"
exit $rc
