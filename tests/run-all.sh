#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): sets the machine up
# (tests/setup-debian.sh: packages, the guest kernel, the Docker base root file systems), then
#   1. a normal build (RelWithDebInfo) and the whole ctest suite;
#   2. an ASan + UBSan build and the suite again (all but the Docker fixture);
#   3. the fuzz build (clang, libFuzzer, the core instrumented) and each target for a few
#      seconds from its corpus (tests/fuzz/run.sh).
# ctest runs with -j = number of CPUs. Exits non-zero if any step failed.
set -eu -o pipefail
cd "$(dirname "$0")/.."

T0=$(date +%s)
stamp() { echo "== $* ($(( $(date +%s) - T0 )) s)"; }

stamp "setup"
bash tests/setup-debian.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0

stamp "build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest -j"$jobs" --output-on-failure) || status=1

stamp "build (ASan + UBSan) and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=ASan >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j"$jobs" -LE docker --output-on-failure) || status=1

stamp "fuzz build and a short run of every target"
fw=$(mktemp -d)
FUZZ_WORK=$fw bash tests/fuzz/run.sh "${FUZZ_SECONDS:-5}" || status=1
rm -rf "$fw"

stamp "done, status $status"
exit $status
