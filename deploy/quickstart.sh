#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running MASA: installs the
# packages, builds a release binary into build/, creates an instance in
# ./masa-data on first run (printing its admin token once), and serves it in
# the foreground on https://127.0.0.1:8443 (admin API on 127.0.0.1:8444).
# Stop it with Ctrl-C.
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
exec build/masa/masa serve --config masa-data/masa.json
