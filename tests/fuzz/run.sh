#!/usr/bin/env bash
# Runs the libFuzzer targets, each for SECONDS, from its corpus, with coverage feedback from the
# whole core (the fuzz build instruments every library the targets link: see CMakeLists.txt).
#
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]      (TARGET: clienthello, ppp, ...; default all)
# Env:   FUZZ_BUILD   build directory (default build-fuzz; configured and built here if needed,
#                     with clang: CC=clang cmake -DP2SGW_FUZZ=ON)
#        FUZZ_WORK    working corpora and crash artefacts (default $FUZZ_BUILD/fuzz-work)
#        FUZZ_MERGE=1 afterwards, add to tests/fuzz/corpus/TARGET the inputs of the working
#                     corpus that reach edges the checked-in corpus does not (libFuzzer -merge)
#
# Each target starts from tests/fuzz/corpus/TARGET plus what earlier runs found (its working
# corpus), so coverage keeps growing across runs. Prints one line per target:
#   target=NAME execs=N cov=N ft=N corpus=N crashes=N [artifact=PATH]
# cov is libFuzzer's count of covered edges, ft its count of features (edges with hit counts,
# comparisons). Exits 1 if any target crashed, leaked, timed out or ran out of memory.
set -eu -o pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD

secs=${1:-}
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { sed -n '4,10p' "$0" >&2; exit 2; }
shift
BUILD=${FUZZ_BUILD:-build-fuzz}
WORK=${FUZZ_WORK:-$BUILD/fuzz-work}

command -v clang >/dev/null || { echo "clang is missing: run 'bash tests/setup-debian.sh' first" >&2; exit 1; }
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	CC=clang cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2SGW_FUZZ=ON >/dev/null
fi
grep -q '^P2SGW_FUZZ:BOOL=ON' "$BUILD/CMakeCache.txt" \
	|| { echo "$BUILD is not a fuzz build (P2SGW_FUZZ=ON)" >&2; exit 1; }

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in tests/fuzz/fuzz_*.c; do n=${f##*/fuzz_}; targets+=("${n%.c}"); done
fi
for t in "${targets[@]}"; do
	[ -f "tests/fuzz/fuzz_$t.c" ] || { echo "no fuzz target '$t' (tests/fuzz/fuzz_$t.c)" >&2; exit 2; }
done
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

status=0
for t in "${targets[@]}"; do
	bin=$BUILD/tests/fuzz_$t
	seed=tests/fuzz/corpus/$t
	corpus=$WORK/$t/corpus
	art=$WORK/$t/artifacts
	log=$WORK/$t/last.log
	mkdir -p "$corpus" "$art"
	before=$(ls "$art" | wc -l)
	rc=0
	# the working corpus first: new inputs are written to the first directory
	P2SGW_SOURCE_DIR=$SRC "$bin" -max_total_time="$secs" -print_final_stats=1 \
		-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$art/" "$corpus" "$seed" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	crashes=$(( $(ls "$art" | wc -l) - before ))
	line="target=$t execs=${execs:-0} cov=${cov:-0} ft=${ft:-0} corpus=$(ls "$corpus" | wc -l) crashes=$crashes"
	if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then
		status=1
		line="$line artifact=$(ls -t "$art" | head -1 | sed "s|^|$art/|") log=$log"
	fi
	echo "$line"
	if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$rc" -eq 0 ]; then
		# -use_counters=0: an input is kept for an edge the corpus does not reach, not for a new
		# hit count of one it does, so the checked-in corpus stays small
		P2SGW_SOURCE_DIR=$SRC "$bin" -merge=1 -use_counters=0 -rss_limit_mb=2048 "$seed" "$corpus" \
			>"$WORK/$t/merge.log" 2>&1 \
			|| { echo "merge of $t failed: $WORK/$t/merge.log" >&2; status=1; }
	fi
done
exit $status
