#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs every
# package it uses, builds masa with AddressSanitizer and
# UndefinedBehaviorSanitizer, runs every test with ctest, then fuzzes each
# parser entry point for a minute with libFuzzer (clang).
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh --test
build=build-test
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DMASA_SANITIZE=ON >"$build.log" 2>&1 ||
  { cat "$build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" >>"$build.log" 2>&1 || { tail -n 60 "$build.log"; exit 1; }
echo "tests: built $build (ASan+UBSan)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$build" && ctest --output-on-failure --timeout 600 -j2) | tee "$build/ctest.log"
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$build/ctest.log")

# Fuzz each parser entry point for a bounded time (reliability.md B1).
bash tests/fuzz/run.sh

# The closing line: ctest's counts (the fuzz runs above would have failed the script).
failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
total=$(echo "$summary" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
echo "tests: $((total - failed)) passed, $failed failed"
