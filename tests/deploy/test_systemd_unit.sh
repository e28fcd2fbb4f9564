#!/usr/bin/env bash
# Checks deploy/systemd/masa.service: `systemd-analyze verify` must print
# nothing at all (it exits 0 on unknown keys, so any output is a failure),
# its offline security exposure must stay at most 2.5, the hardening the
# issue asks for must be there, and ExecStart must be a command line masa
# accepts. The installed path /usr/local/bin/masa does not exist here, so a
# temporary copy points ExecStart at the built binary; nothing else changes.
# Usage: test_systemd_unit.sh UNIT MASA_BIN
set -euo pipefail

unit=$1
masa=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (deploy/install-deps.sh --test)"
grep -q '^ExecStart=/usr/local/bin/masa ' "$unit" || fail "ExecStart does not run /usr/local/bin/masa"
sed "s|/usr/local/bin/masa|$masa|" "$unit" > "$tmp/masa.service"

out=$(systemd-analyze verify "$tmp/masa.service" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complained: $out"
echo "verify: clean"

systemd-analyze security --offline=true --threshold=25 "$tmp/masa.service" > "$tmp/security" 2>&1 ||
  fail "exposure above 2.5: $(tail -n 1 "$tmp/security")"
tail -n 1 "$tmp/security"

for line in 'Type=notify' 'User=masa' 'StateDirectory=masa' 'NoNewPrivileges=yes' \
            'ProtectSystem=strict' 'PrivateTmp=yes' 'CapabilityBoundingSet=' \
            'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'SystemCallFilter=@system-service' \
            'LimitCORE=0' 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$line" "$unit" || fail "missing: $line"
done
echo "hardening: present"

# ExecStart's options are ones `masa serve` knows (--help after them exits 0;
# an unknown option would exit 2 first).
args=$(sed -n 's|^ExecStart=/usr/local/bin/masa ||p' "$unit")
# shellcheck disable=SC2086
"$masa" $args --help > /dev/null || fail "masa rejects ExecStart's arguments: $args"
echo "ExecStart: masa accepts $args"
