# Guest test: pppd plugin mode. The credentials are pppd options ("user U password P"), so
# sstpc launches "pppd <pty> 38400 plugin sstp-pppd-plugin.so sstp-sock
# /var/run/sstpc/sstpc-p2sgw <our options>" and the plugin hands it pppd's MPPE keys (sent
# right after authentication with pppd 2.4.9) for the crypto binding.
# Expects: ppp0 up with an address, pings through the tunnel, clean termination.
. /guest-lib.sh
write_ppp_options
# The password goes into the options file, not on a command line.
printf 'user "%s"\npassword "%s"\n' "$P2SGW_USER" "$P2SGW_PASSWORD" >>"$PPP_OPTS"
# shellcheck disable=SC2046
start_sstpc --log-stderr --log-level 4 $(sstpc_cert_args) --ipparam p2sgw \
	"$P2SGW_HOST:$P2SGW_PORT" file "$PPP_OPTS"
i=0
while ! pidof pppd >/dev/null && sstpc_alive && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
p=$(pidof pppd) && echo "--- pppd argv: $(tr '\0' ' ' </proc/${p%% *}/cmdline | sed 's/password [^ ]*/password ***/')"
run_tunnel_test
