#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running MASA: installs the
# packages, builds a release binary into build/, creates an instance in
# ./masa-data on first run (printing its admin API token once), starts
# serving https://127.0.0.1:8443 (admin API on 127.0.0.1:8444, request log
# in masa-data/masa.log), runs the guided demo against it, and keeps
# serving in the foreground. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "quickstart: built build/masa/masa"

if [ ! -d masa-data ]; then
  echo "quickstart: creating the instance masa-data/ (admin API token below, shown once)"
  build/masa/masa init --dir masa-data
fi
build/masa/masa check --config masa-data/masa.json

out=$(mktemp)
build/masa/masa serve --config masa-data/masa.json >"$out" 2>>masa-data/masa.log &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q '^admin listening' "$out" && break
  kill -0 "$pid" 2>/dev/null || { cat masa-data/masa.log; exit 1; }
  sleep 0.1
done
cat "$out"
echo
echo "quickstart: a guided demo against it (masa demo --config masa-data/masa.json):"
echo
build/masa/masa demo --config masa-data/masa.json || echo "quickstart: the demo did not finish; see masa-data/masa.log"
echo
echo "quickstart: masa is serving; request log in masa-data/masa.log; Ctrl-C stops it."
wait "$pid"
