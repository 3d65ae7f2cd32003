#!/usr/bin/env bash
# Compare the benchmarks of two builds: runs tests/bench/bench.sh on OLD and
# NEW alternately (old, new, old, new, ...), ROUNDS times each, and prints the
# median of every numeric figure on each side, new/old, and a flag where a
# figure of the gateway moved by more than 5 %. docs/benchmarks.md, "Comparing
# two builds", says how to read it.
#
# usage: tests/bench/compare.sh OLD_BUILD NEW_BUILD [ROUNDS]     (ROUNDS default 3)
# environment: BENCH_SECONDS, BENCH_SESSIONS, BENCH_STORM, BENCH_CLIENT are
#   passed through to bench.sh (each round of two runs takes about 2 minutes
#   with BENCH_SECONDS=3, about 4 with the default 10);
#   COMPARE_THRESHOLD  flag limit for |new/old - 1|, default 0.05
#   BENCH_SH           the bench script, default the bench.sh next to this one
#                      (the same script measures both builds)
# Every run's output stays in a temporary directory (printed first), as
# old.N.out / new.N.out with stderr in .err; the table is also in table.txt.
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_SH=${BENCH_SH:-$HERE/bench.sh}
THRESH=${COMPARE_THRESHOLD:-0.05}

[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 OLD_BUILD NEW_BUILD [ROUNDS]" >&2; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
ROUNDS=${3:-3}
case $ROUNDS in '' | *[!0-9]* | 0) echo "ROUNDS must be a positive integer" >&2; exit 2 ;; esac
case $THRESH in '' | *[!0-9.]* | *.*.*) echo "COMPARE_THRESHOLD must be a number like 0.05" >&2; exit 2 ;; esac
for b in "$OLD" "$NEW"; do
	[ -x "$b/server/p2sgw" ] || { echo "$b: no server/p2sgw (build it first)" >&2; exit 1; }
done
[ -x "$BENCH_SH" ] || { echo "$BENCH_SH: not executable" >&2; exit 1; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-compare.XXXXXX")
echo "runs in $OUT"

# the source tree and commit a build was configured from
describe() {
	local src
	src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt" 2>/dev/null || true)
	echo "$1 (source ${src:-?}, $(git -C "${src:-/nonexistent}" describe --always --dirty 2>/dev/null || echo unknown))"
}
echo "old: $(describe "$OLD")"
echo "new: $(describe "$NEW")"
echo "bench: $BENCH_SH; BENCH_SECONDS=${BENCH_SECONDS:-10 (default)}; $ROUNDS round(s)"

t_start=$(date +%s)
for r in $(seq "$ROUNDS"); do
	for side in old new; do
		b=$OLD
		[ $side = new ] && b=$NEW
		t0=$(date +%s)
		if ! "$BENCH_SH" "$b" >"$OUT/$side.$r.out" 2>"$OUT/$side.$r.err"; then
			echo "bench.sh failed on $b (round $r); output in $OUT/$side.$r.{out,err}:" >&2
			tail -5 "$OUT/$side.$r.err" >&2
			exit 1
		fi
		echo "round $r/$ROUNDS $side: $(($(date +%s) - t0)) s" >&2
	done
done
echo "total $(($(date +%s) - t_start)) s for $ROUNDS round(s)"

# One record per figure and run: SIDE SECTION NAME VALUE. A figure is a line
# "name number ...": a lower-case identifier, then an integer or decimal. The
# machine and package lines are skipped (cores, memory_mib, versions) except
# background_cpu_per_wall_s. SECTION is the figure number of docs/benchmarks.md
# ("1".."7"), "c" for the crypto ceilings, "-" before them; it tells apart names
# printed in two sections (errors in 3 and 4).
extract() {
	awk -v side="$1" '
	/^== / {
		sec = $2; sub(/\.$/, "", sec)
		if (sec == "crypto") sec = "c"
		else if (sec !~ /^[0-9]+$/) sec = "-"
		next
	}
	$1 ~ /^[a-z][a-z0-9_]*$/ && $2 ~ /^-?[0-9]+(\.[0-9]+)?$/ {
		if (sec == "-" && $1 != "background_cpu_per_wall_s") next
		print side, sec, $1, $2
	}' "$2"
}
{
	for r in $(seq "$ROUNDS"); do
		extract old "$OUT/old.$r.out"
		extract new "$OUT/new.$r.out"
	done
} >"$OUT/figures.txt"

# Figures that describe the machine, the client or the reference servers, not
# the gateway: shown, never flagged with "*" ("~" when they moved: the machine
# was not the same for both sides, which spoils the comparison of the others).
# All of section c (bench_crypto: mbedTLS itself) is one of them, and so is
# exec_to_ready_fresh_pki_ms (RSA key generation: a random prime search).
INFO='^(background_cpu_per_wall_s|exec_to_ready_fresh_pki_ms|size|aes256gcm_limit_mb_s|client_cpu_per_wall_s|gateway_cpu_per_wall_s|.*_(other|client)_cpu_per_wall_s|.*_client_cpu_share|.*_server_cpu_per_wall_s|.*_scaling_bound_on_this_machine|openssl_speed_.*|s_server_.*|nginx_.*)$'

awk -v rounds="$ROUNDS" -v thresh="$THRESH" -v info="$INFO" '
function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) {      # insertion sort, numeric
		t = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (n == 0) return ""
	return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
# (max - min) / median of one side, in %, or "" with fewer than 2 values
function spread(s,    a, n, i, lo, hi, m) {
	n = split(s, a, " ")
	if (n < 2) return ""
	lo = hi = a[1] + 0
	for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
	m = median(s)
	return m != 0 ? 100 * (hi - lo) / (m < 0 ? -m : m) : (hi == lo ? 0 : "")
}
function fmt(v) {
	if (v == "") return "-"
	if (v == int(v) || v >= 1000 || v <= -1000) return sprintf("%.0f", v)
	return sprintf("%.4g", v)
}
{
	k = $2 SUBSEP $3
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	vals[$1, k] = vals[$1, k] " " $4
}
END {
	printf "%-2s %-50s %10s %10s %8s %7s  %s\n", "#", "figure", "old", "new", "new/old", "spread", "flag"
	nflag = 0
	for (i = 1; i <= nk; i++) {
		k = order[i]; split(k, p, SUBSEP)
		o = median(vals["old", k]); n = median(vals["new", k])
		so = spread(vals["old", k]); sn = spread(vals["new", k])
		sp = so == "" ? sn : (sn == "" || so + 0 > sn + 0 ? so : sn)
		ratio = ""; flag = ""
		if (o != "" && n != "") {
			if (o != 0) ratio = n / o
			moved = (o != 0) ? (ratio - 1 > thresh || 1 - ratio > thresh) : (n != 0)
			if (moved) flag = (p[1] == "c" || p[2] ~ info) ? "~" : "*"
		}
		if (flag == "*") nflag++
		printf "%-2s %-50s %10s %10s %8s %7s  %s\n", p[1], p[2], fmt(o), fmt(n),
			ratio != "" ? sprintf("%.3f", ratio) : (o == "" || n == "" ? "-" : (n == 0 ? "=" : "inf")),
			sp == "" ? "-" : sprintf("%.1f%%", sp), flag
	}
	printf "\n%d figure(s) of the gateway moved by more than %g%% (*); ~: a figure of the machine,\n", nflag, thresh * 100
	printf "client or reference server moved that much. spread: (max - min) / median over the\n"
	printf "%d run(s) of the side that varied more (- with one round).\n", rounds
}' "$OUT/figures.txt" | tee "$OUT/table.txt"
