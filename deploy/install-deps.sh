#!/usr/bin/env bash
# Installs the Debian 12 packages masa needs: to build and run it, and with
# --test also what the test suite uses. Installs only the packages dpkg-query
# does not show as installed (none missing: no apt-get at all), with sudo
# when not run as root.
set -euo pipefail

runtime_build=(
  build-essential cmake pkg-config openssl
  libmicrohttpd-dev libgnutls28-dev libssl-dev libsqlite3-dev libjansson-dev libargon2-dev libcbor-dev libcurl4-openssl-dev
  libsystemd-dev libpq-dev
  libengine-pkcs11-openssl  # PKCS#11 signing keys: libp11's OpenSSL engine, loaded at run time
)
test_only=(
  libcmocka-dev python3 python3-cryptography python3-cbor2 sqlite3 curl
  clang libclang-rt-14-dev nginx
  prometheus systemd chromium python3-yaml
  faketime python3-asn1crypto python3-jwcrypto
  softhsm2 opensc  # the PKCS#11 token of tests/e2e/test_hsm.py and its pkcs11-tool
  postgresql-15
  # tests/deploy/test_container.py: the Containerfile built and run (base image by debootstrap)
  podman runc netavark iptables debootstrap debian-archive-keyring
)

pkgs=("${runtime_build[@]}")
if [ "${1:-}" = "--test" ]; then
  pkgs+=("${test_only[@]}")
fi

# Only what dpkg does not show as installed: with everything present, no
# apt-get at all (no update, no root needed).
missing=()
for p in "${pkgs[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: ${#missing[@]} packages to install (${missing[*]}): run this as root, or install sudo" >&2
    exit 1
  fi
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${#missing[@]}; all ${#pkgs[@]} packages present"
