#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running MASA: installs the
# packages, builds a release binary into build/, creates an instance in
# ./masa-data on first run (printing its admin API token once), starts
# serving https://127.0.0.1:8443 (admin API on 127.0.0.1:8444, request log
# in masa-data/masa.log), runs the guided demo against it, and keeps
# serving in the foreground. Stop it with Ctrl-C (exit 0 once the server
# has stopped cleanly). The binary is installed as $MASA_PREFIX/bin/masa
# (MASA_PREFIX defaults to /usr/local; through sudo when that is not
# writable), so that the README's `masa ...` commands work as written.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${MASA_PREFIX:-/usr/local}

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "quickstart: built build/masa/masa"
if [ -w "$prefix" ] && { [ ! -e "$prefix/bin" ] || [ -w "$prefix/bin" ]; }; then
  cmake --install build --prefix "$prefix" >/dev/null
elif command -v sudo >/dev/null; then
  sudo cmake --install build --prefix "$prefix" >/dev/null
else
  echo "quickstart: cannot write $prefix and no sudo: run as root, or give a prefix you can write (MASA_PREFIX=\$HOME/.local $0)" >&2
  exit 1
fi
echo "quickstart: installed $prefix/bin/masa"
if [ "$(command -v masa || true)" != "$prefix/bin/masa" ]; then
  echo "quickstart: $prefix/bin is not first on your PATH for masa; add it: export PATH=\"$prefix/bin:\$PATH\""
fi

if [ ! -d masa-data ]; then
  echo "quickstart: creating the instance masa-data/ (admin API token below, shown once)"
  build/masa/masa init --dir masa-data
fi
build/masa/masa check --config masa-data/masa.json

out=$(mktemp)
build/masa/masa serve --config masa-data/masa.json >"$out" 2>>masa-data/masa.log &
pid=$!
# Ctrl-C or SIGTERM: ask the server to stop and keep waiting for it. On
# exit, whatever the way out (the server may be gone already, so nothing
# here may fail under set -e), no temp file is left behind.
stop() { kill -TERM "$pid" 2>/dev/null || true; }
trap stop INT TERM
trap 'stop; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
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
# A trapped signal interrupts wait: wait again until the server has exited,
# and exit with its status (0 after a clean stop).
status=0
while :; do
  wait "$pid" && status=0 || status=$?
  kill -0 "$pid" 2>/dev/null || break
done
exit "$status"
