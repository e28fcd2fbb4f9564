#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan+coverage) and runs
# each for FUZZ_SECONDS (default 60) from its committed corpus, in a scratch
# copy so the tree is not changed. Any crash, leak or timeout fails the run
# and leaves the reproducer in build-fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
CC=clang cmake -S . -B build-fuzz -DMASA_FUZZ=ON >build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
targets="vreq cms jws media cbor cose pvr proxy config import admin_json"
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets) >>build-fuzz.log 2>&1 ||
  { tail -n 40 build-fuzz.log; exit 1; }
mkdir -p build-fuzz/findings
for target in $targets; do
  work=$(mktemp -d)
  cp tests/fuzz/corpus/$target/* "$work/"
  if ! build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -timeout=2 -rss_limit_mb=1024 \
       -max_len=8192 -artifact_prefix=build-fuzz/findings/ "$work" >build-fuzz/$target.log 2>&1; then
    tail -n 40 build-fuzz/$target.log
    echo "fuzz: $target found a problem (see build-fuzz/findings/)"
    exit 1
  fi
  echo "fuzz: $target $(grep -o 'Done [0-9]* runs' build-fuzz/$target.log) in ${seconds} s, no finding"
  rm -rf "$work"
done
