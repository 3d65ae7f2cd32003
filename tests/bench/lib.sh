# Helpers shared by the benchmark scripts (bench.sh, peers.sh, shaper.sh);
# sourced, not run. TCK (getconf CLK_TCK) and BG (the background client's
# PID) are the sourcing script's.

# kill_tree PID: PID and its descendants (a client runs under taskset and bash)
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
	kill "$1" 2>/dev/null || true
}
now() { date +%s.%N; }
ms_now() { date +%s%3N; }
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }              # calc FORMAT EXPR
kv() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }   # kv KEY FILE
# utime + stime of a process (all threads), in seconds
cpu_s() { awk -v t="$TCK" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

# load_wait LIMIT: wait for the background client $BG, stopping it after
# LIMIT seconds
load_wait() {
	local limit=$1 t0
	t0=$(date +%s)
	while kill -0 "$BG" 2>/dev/null; do
		if [ $(($(date +%s) - t0)) -gt "$limit" ]; then
			echo "note: p2sload still running after ${limit}s, stopped" >&2
			kill_tree "$BG"
			break
		fi
		sleep 0.1
	done
	wait "$BG" 2>/dev/null || true
	BG=""
}
