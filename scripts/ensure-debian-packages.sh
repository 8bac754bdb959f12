#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (Chromium for the browser tests) when missing.
# Playwright never downloads a browser of its own here.
set -euo pipefail
declare -A BIN=( [chromium]=/usr/bin/chromium )
missing=()
for pkg in "$@"; do
  [ -x "${BIN[$pkg]:-/nonexistent}" ] || dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[corridor] installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
