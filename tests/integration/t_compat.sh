#!/usr/bin/env bash
# docs/compatibility.md, checked: every recorded ClientHello of tests/clienthellos/ is replayed
# against the gateway of each shipped era; what the gateway answers (its ServerHello's version
# and suite, or the refusal) must be the table's cell, and the client audit must judge that era
# the same way (same verdict, same suite). First, the corpus must still be byte for byte the
# testssl.sh entries it names (nothing invented or edited).
. "$(dirname "$0")/lib.sh"
SRC=${P2SGW_SOURCE_DIR:?}
CORPUS=$SRC/tests/clienthellos
DOC=$SRC/docs/compatibility.md
: "${HELLO_FRAG:?path of hello_frag}"

# --- the corpus is the recorded bytes ---------------------------------------------------
if python3 "$CORPUS/import-testssl.py" --check >"$TEST_TMP/corpus.out" 2>&1; then
	pass "corpus: $(grep -c '^ok ' "$TEST_TMP/corpus.out") hellos equal their testssl.sh entries"
else
	fail "corpus differs from /etc/testssl/client-simulation.txt"
	cat "$TEST_TMP/corpus.out"
fi

# --- the table ------------------------------------------------------------------------
# rows between the markers: | `short` | client | stack | pre-2018 | 2018 | 2024 | fix |
sed -n '/<!-- compat-table/,/<!-- \/compat-table/p' "$DOC" | grep '^| `' |
	awk -F'|' '{ for (i = 2; i <= 7; i++) { gsub(/^ +| +$/, "", $i) } gsub(/`/, "", $2);
		print $2 "\t" $5 "\t" $6 "\t" $7 }' >"$TEST_TMP/table.tsv"
ROWS=$(wc -l <"$TEST_TMP/table.tsv")
HELLOS=$(grep -vc '^#' "$CORPUS/index.tsv")
[ "$ROWS" -eq "$HELLOS" ] && [ "$ROWS" -ge 12 ] &&
	pass "docs/compatibility.md has a row for each of the $HELLOS hellos" ||
	fail "docs/compatibility.md has $ROWS rows for $HELLOS hellos"
SCHANNEL=$(awk -F'\t' '$3 == "schannel"' "$CORPUS/index.tsv" | wc -l)
[ "$SCHANNEL" -ge 12 ] && pass "$SCHANNEL of them are Windows SChannel hellos" ||
	fail "only $SCHANNEL SChannel hellos"

# IANA name of a suite number, from the gateway's own audit (GET /clients) for that client
col=1
for era in azure-pre-2018:pre-2018 azure-2018-tls12:2018 azure-2024-policy:2024; do
	scen=${era%%:*} audit_era=${era##*:}
	col=$((col + 1))
	start_gw "$scen"
	i=10
	: >"$TEST_TMP/got.$audit_era"
	while IFS=$'\t' read -r short _; do
		case $short in '#'* | '') continue ;; esac
		i=$((i + 1))
		# one source address per hello: the audit row of each is its own
		out=$("$HELLO_FRAG" --source "127.0.3.$i" --raw "file:$CORPUS/$short.hex" 127.0.0.1 "$PORT") ||
			out="replay failed"
		printf '%s\t127.0.3.%s\t%s\n' "$short" "$i" "$out" >>"$TEST_TMP/got.$audit_era"
	done <"$CORPUS/index.tsv"
	curl -sf "http://$CTL/clients" >"$TEST_TMP/clients.$audit_era.json" ||
		fail "$scen: GET /clients failed"
	stop_gw >/dev/null
	bad=0
	while IFS=$'\t' read -r short addr out; do
		want=$(awk -F'\t' -v s="$short" -v c="$col" '$1 == s { print $c }' "$TEST_TMP/table.tsv")
		row=$(jq -c --arg a "$addr" --arg e "$audit_era" \
			'[.[] | select(.address == $a)][0].eras[$e] // empty' "$TEST_TMP/clients.$audit_era.json")
		ok=$(jq -r '.ok' <<<"${row:-null}")
		case $out in
		server_hello\ *)
			ver=$(sed 's/.*version=\(0x[0-9a-f]*\).*/\1/' <<<"$out")
			id=$(($(sed 's/.*suite=\(0x[0-9a-f]*\).*/\1/' <<<"$out")))
			aid=$(jq -r '.suite_id // empty' <<<"${row:-null}")
			name=$(jq -r '.suite // empty' <<<"${row:-null}")
			aver=$(jq -r '.version // empty' <<<"${row:-null}")
			vname=$(case $ver in 0x0301) echo "TLS 1.0" ;; 0x0302) echo "TLS 1.1" ;;
				0x0303) echo "TLS 1.2" ;; *) echo "$ver" ;; esac)
			if [ "$ok" != true ] || [ "$aid" != "$id" ] || [ "$aver" != "$vname" ]; then
				fail "$scen $short: gateway negotiated $vname suite $id, audit says ${row:-nothing}"
				bad=1
			fi
			got="$vname $name"
			;;
		reset | alert\ * | closed)
			if [ "$ok" != false ]; then
				fail "$scen $short: gateway refused ($out), audit says ${row:-nothing}"
				bad=1
			fi
			got="refused: $(sed 's/^alert level=[0-9]* desc=/alert /' <<<"$out")"
			;;
		*)
			fail "$scen $short: unexpected answer '$out'"
			bad=1
			continue
			;;
		esac
		if [ "$got" != "$want" ]; then
			fail "$scen $short: the gateway gives '$got', docs/compatibility.md says '$want'"
			bad=1
		fi
	done <"$TEST_TMP/got.$audit_era"
	[ $bad = 0 ] && pass "$scen: all $HELLOS hellos get the table's outcome, and the audit agrees"
done

# the seeds' history, spelled out (the table could be wrong together with the gateway)
cell() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s { print $c }' "$TEST_TMP/table.tsv"; }
[ "$(cell ie_8_win7 2)" != "refused: reset" ] && [ "$(cell ie_8_win7 3)" = "refused: reset" ] &&
	pass "history: TLS 1.0-only SChannel (IE 8 on Windows 7) connects before 2018-07-01, not after" ||
	fail "history: IE 8 Win 7 pre-2018 '$(cell ie_8_win7 2)', 2018 '$(cell ie_8_win7 3)'"
[ "$(cell ie_11_win7 4)" = "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" ] &&
	pass "history: IE 11 on Windows 7 gets ECDHE-RSA-AES256-CBC-SHA384 under the 2024 list" ||
	fail "history: IE 11 Win 7 in 2024: '$(cell ie_11_win7 4)'"
finish
