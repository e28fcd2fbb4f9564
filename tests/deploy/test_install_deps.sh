#!/usr/bin/env bash
# Checks deploy/install-deps.sh against stubs on PATH (nothing is
# installed): with every package present it runs no apt-get at all; with
# one missing it updates and installs only that one; as a user without
# sudo it says, in one line, to run as root or install sudo.
# Usage: test_install_deps.sh INSTALL_DEPS_SH
set -euo pipefail

script=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
bash_bin=$(command -v bash)

# The stubs: dpkg-query reports every package installed except those in
# $MISSING; apt-get and sudo log their arguments; id -u says $FAKE_UID.
mkdir "$tmp/bin" "$tmp/sudo"
cat > "$tmp/bin/dpkg-query" <<'STUB'
#!/bin/sh
for p in $MISSING; do [ "$p" = "$3" ] && { echo not-installed; exit 0; }; done
echo installed
STUB
cat > "$tmp/bin/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >> "$LOG"
STUB
cat > "$tmp/bin/id" <<'STUB'
#!/bin/sh
echo "$FAKE_UID"
STUB
cat > "$tmp/sudo/sudo" <<'STUB'
#!/bin/sh
echo "sudo" >> "$LOG"
exec "$@"
STUB
chmod +x "$tmp/bin/"* "$tmp/sudo/sudo"

# run PATH MISSING UID ARGS...: runs the script, its stdout in $tmp/out,
# its stderr in $tmp/err, apt-get's calls in $tmp/log; returns its status.
run() {
  local path=$1 missing=$2 uid=$3
  shift 3
  : > "$tmp/log"
  env -i PATH="$path" LOG="$tmp/log" MISSING="$missing" FAKE_UID="$uid" \
    "$bash_bin" "$script" "$@" > "$tmp/out" 2> "$tmp/err"
}

# Everything present: no apt-get, as root or not, sudo or not.
for uid in 0 1000; do
  run "$tmp/bin" "" "$uid" --test || fail "all present, uid $uid: exit $? ($(cat "$tmp/err"))"
  [ ! -s "$tmp/log" ] || fail "all present, uid $uid: ran $(cat "$tmp/log")"
  grep -q "packages present" "$tmp/out" || fail "all present: said $(cat "$tmp/out")"
done
echo "everything present: no apt-get"

# One missing, as root: update, then install only that one.
run "$tmp/bin" "libcbor-dev" 0 || fail "one missing as root: exit $? ($(cat "$tmp/err"))"
[ "$(grep -c 'apt-get .* update' "$tmp/log")" = 1 ] || fail "no update: $(cat "$tmp/log")"
grep -q 'install .*--no-install-recommends libcbor-dev$' "$tmp/log" ||
  fail "did not install just libcbor-dev: $(cat "$tmp/log")"
echo "one missing: installs just it"

# One missing, not root, no sudo: one sentence, no apt-get.
if run "$tmp/bin" "libcbor-dev" 1000; then fail "no sudo: exit 0"; fi
[ "$(wc -l < "$tmp/err")" = 1 ] || fail "no sudo: not one line: $(cat "$tmp/err")"
grep -q "run this as root, or install sudo" "$tmp/err" || fail "no sudo: said $(cat "$tmp/err")"
[ ! -s "$tmp/log" ] || fail "no sudo: ran $(cat "$tmp/log")"
echo "no sudo: one sentence"

# One missing, not root, with sudo: through sudo.
run "$tmp/bin:$tmp/sudo" "libcbor-dev" 1000 || fail "with sudo: exit $? ($(cat "$tmp/err"))"
grep -q '^sudo$' "$tmp/log" || fail "with sudo: not through sudo: $(cat "$tmp/log")"
echo "with sudo: through sudo"
