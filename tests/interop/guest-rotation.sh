# Guest test: a rotation rehearsal with the real sstpc, two "machines" told apart
# by the SNI they send (--tls-ext with a host name from /etc/hosts):
#   client-old trusts the old root only; client-both trusts the old and the new.
#   Before the rotation both connect (client-old keeps its session up).
#   The gateway rotates (POST /rotate from the guest); client-old's session stays
#   up (ping after the rotation); a new client-old connection fails; a new
#   client-both connection succeeds.
# Needs: P2SGW_PORT, P2SGW_CTL_PORT, P2SGW_USER, P2SGW_PASSWORD, P2SGW_NEW_CHAIN,
# files /ca-old.pem and /ca-both.pem.
. /guest-lib.sh
write_ppp_options
for h in client-old client-both; do echo "$P2SGW_HOST $h" >>/etc/hosts; done
rc=0

# client NAME CA UNIT: start sstpc for NAME; pid in CPID, log in /tmp/NAME.log
client() {
	sed "s/^unit 0$/unit $3/; s#^logfile .*#logfile /tmp/$1-$3-pppd.log#" "$PPP_OPTS" >"/etc/ppp/$1-$3.options"
	/usr/sbin/sstpc --log-stderr --log-level 3 --tls-ext --ca-cert "$2" \
		--user "$P2SGW_USER" --password "$P2SGW_PASSWORD" \
		"$1:$P2SGW_PORT" file "/etc/ppp/$1-$3.options" >>"/tmp/$1.log" 2>&1 &
	CPID=$!
}
# up IFACE SECS: wait until IFACE has an address
up() {
	i=0
	while [ "$i" -lt $(($2 * 5)) ]; do
		ip -4 addr show dev "$1" 2>/dev/null | grep -q ' inet ' && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

client client-old /ca-old.pem 0
A=$CPID
if up ppp0 30; then step "A ppp0-up"; else step "A FAIL no ppp0"; rc=1; fi
PEER=$(ip -4 addr show dev ppp0 | sed -n 's/.*peer \([0-9.]*\).*/\1/p')

client client-both /ca-both.pem 2
C=$CPID
if up ppp2 30; then step "C1 ppp2-up before the rotation"; else step "C1 FAIL no ppp2"; rc=1; fi
kill -TERM "$C"
i=0
while kill -0 "$C" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done

wget -q -O /tmp/rotate.json --header 'Content-Type: application/json' \
	--post-data "{\"chain\":\"$P2SGW_NEW_CHAIN\"}" "http://$P2SGW_HOST:$P2SGW_CTL_PORT/rotate" \
	&& step "rotated to $P2SGW_NEW_CHAIN" || { step "rotate FAIL"; rc=1; }

if ping -c 3 -W 2 -I ppp0 "$PEER" >/dev/null; then step "A ping after rotation ok"; else step "A ping after rotation FAIL"; rc=1; fi

client client-old /ca-old.pem 1
B=$CPID
i=0
while kill -0 "$B" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
if kill -0 "$B" 2>/dev/null; then
	step "B FAIL still running"; rc=1; kill -TERM "$B"
elif ip -4 addr show dev ppp1 2>/dev/null | grep -q ' inet '; then
	step "B FAIL got a tunnel"; rc=1
else
	step "B refused: old root only"
fi

i=0
while ip link show ppp2 >/dev/null 2>&1 && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
client client-both /ca-both.pem 2
C=$CPID
if up ppp2 30; then step "C2 ppp2-up after the rotation"; else step "C2 FAIL no ppp2"; rc=1; fi

kill -TERM "$A" "$C" 2>/dev/null
i=0
while { kill -0 "$A" || kill -0 "$C"; } 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
for n in client-old client-both; do
	echo "=== LOG $n"; cat "/tmp/$n.log"
done
exit $rc
