# Guest test: sstpc launches pppd itself with --user/--password (no plugin; sstpc derives the
# MS-CHAPv2 keys from the password and sends CALL_CONNECTED at the first IPCP frame).
# Expects: ppp0 up with an address, pings through the tunnel, clean termination.
# Run with: P2SGW_PORT=... P2SGW_USER=... P2SGW_PASSWORD=... run-guest.sh THIS_FILE [ca.pem]
. /guest-lib.sh
write_ppp_options
# shellcheck disable=SC2046
start_sstpc --log-stderr --log-level 4 $(sstpc_cert_args) \
	--user "$P2SGW_USER" --password "$P2SGW_PASSWORD" \
	"$P2SGW_HOST:$P2SGW_PORT" file "$PPP_OPTS"
run_tunnel_test
