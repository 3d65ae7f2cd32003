#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs
# the Debian packages the build and the tests need, builds, and runs ctest
# twice: a normal build, then everything again under ASan + UBSan.
set -eu -o pipefail
cd "$(dirname "$0")/.."

bash tests/setup-debian.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0

echo "== build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest -j"$jobs" --output-on-failure) || status=1

echo "== build (ASan + UBSan) and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=ASan >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j"$jobs" -LE docker --output-on-failure) || status=1

exit $status
