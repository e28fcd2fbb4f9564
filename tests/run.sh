#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs every
# package it uses, builds masa with AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs every test with ctest.
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
cd "$build"
ctest --output-on-failure --timeout 600 -j2
