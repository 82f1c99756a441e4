#!/usr/bin/env bash
# Installs every Debian package Relance needs to build, run and test.
# Safe to run twice: apt-get skips what is already installed, and the
# package-list refresh is skipped when every package is already present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcpp-httplib-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libpq-dev
  libsodium-dev libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libhowardhinnant-date-dev libsimdjson-dev libjemalloc-dev tzdata libssl-dev zlib1g-dev
  libzip-dev libexpat1-dev libuchardet-dev clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-contrib wrk curl time
  libxlsxwriter-dev python3 python3-openpyxl python3-aiosmtpd
  libcurl4-openssl-dev libmstch-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils
)
# Node.js and npm (for the API documentation page) come with the machine;
# Debian's npm conflicts with the machine's nodejs, so add it only if absent.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or install them) and try again" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
