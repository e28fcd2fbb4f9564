#!/bin/sh
# repeat_suite.sh BUILD_DIR [RUNS]: runs the whole suite (`ctest -j2`) RUNS times
# in a row (default 10) in a build of tests/run.sh's kind (Debug, ASan+UBSan),
# printing each run's wall time and result, and stops at the first red run
# with that run's failures. The flakiness check of issue 21: a test that
# depends on the machine's speed shows up here, not in one green run.
set -u
build=${1:?usage: repeat_suite.sh BUILD_DIR [RUNS]}
runs=${2:-10}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
i=1
while [ "$i" -le "$runs" ]; do
	start=$(date +%s)
	if ctest --test-dir "$build" -j2 --output-on-failure >"$log/run" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	secs=$(( $(date +%s) - start ))
	summary=$(grep -E 'tests passed|tests failed' "$log/run" | tail -n 1)
	echo "run $i/$runs: ${secs} s, $summary"
	if [ "$rc" -ne 0 ]; then
		grep -A3 -E '\*\*\*Failed|\*\*\*Timeout|\(Failed\)|\(Timeout\)' "$log/run"
		exit 1
	fi
	i=$((i + 1))
done
echo "all $runs runs passed"
