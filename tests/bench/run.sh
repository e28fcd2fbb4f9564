#!/usr/bin/env bash
# The benchmarks, on a release build: bulk-import rate, requestauditlog
# latency for a device with 100,000 events, then voucher throughput against
# the crypto ceiling (issue 6), on SQLite, then on PostgreSQL with 1 and 2
# instances sharing the database (issue 17; the benchmark starts its own
# PostgreSQL 15). Prints each benchmark's figures; each voucher run ends with
#   vouchers_per_s=N p50_ms=N p99_ms=N crypto_ceiling_per_s=N ratio=N.NN rss_mb=N
# the PostgreSQL ones after a line "postgresql, N instance(s):".
# Environment: BENCH_REQUESTS, BENCH_CONCURRENCY (bench_voucher.py),
# BENCH_RECORDS (bench_import.py), BENCH_EVENTS (bench_auditlog.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash deploy/install-deps.sh --test
build=build-bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build.log" 2>&1 ||
  { cat "$build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target masa masa-loadgen masa-crypto-ceiling \
  >>"$build.log" 2>&1 || { tail -n 60 "$build.log"; exit 1; }

export MASA_BIN="$PWD/$build/masa/masa" MASA_SRC="$PWD" MASA_BENCH_BIN="$PWD/$build/tests/bench"
/usr/bin/python3 tests/bench/bench_import.py 2>/dev/null | grep -E '^(import|reimport)_records='
/usr/bin/python3 tests/bench/bench_auditlog.py 2>/dev/null | tail -n 1
/usr/bin/python3 tests/bench/bench_voucher.py
for n in 1 2; do
  echo "postgresql, $n instance(s):"
  MASA_TEST_DB=postgresql BENCH_INSTANCES=$n /usr/bin/python3 tests/bench/bench_voucher.py
done
