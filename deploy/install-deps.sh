#!/usr/bin/env bash
# Installs the Debian 12 packages masa needs: to build and run it, and with
# --test also what the test suite uses. Uses sudo when not run as root.
set -euo pipefail

runtime_build=(
  build-essential cmake pkg-config openssl
  libmicrohttpd-dev libgnutls28-dev libssl-dev libsqlite3-dev libjansson-dev libargon2-dev libcbor-dev libcurl4-openssl-dev
  libsystemd-dev
)
test_only=(
  libcmocka-dev python3 python3-cryptography python3-cbor2 sqlite3 curl
  clang libclang-rt-14-dev nginx
  prometheus systemd
)

pkgs=("${runtime_build[@]}")
if [ "${1:-}" = "--test" ]; then
  pkgs+=("${test_only[@]}")
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "install-deps: ${#pkgs[@]} packages present"
