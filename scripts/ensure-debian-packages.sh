#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when missing: Chromium for the browser tests,
# swupdate + cpio for the real-SWUpdate interop tests (test/interop). Playwright never downloads a
# browser of its own here.
#   bash scripts/ensure-debian-packages.sh chromium swupdate cpio
set -euo pipefail
declare -A BIN=( [chromium]=/usr/bin/chromium [swupdate]=/usr/bin/swupdate [cpio]=/usr/bin/cpio )
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }
missing=()
for pkg in "$@"; do
  [ -x "${BIN[$pkg]:-/nonexistent}" ] || installed "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[corridor] installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# The swupdate package enables a systemd service and socket. The tests only ever run swupdate as a
# foreground process of their own, so no service may be started by the install: if the host has no
# policy-rc.d (Docker images usually do), put a deny-all one in place for the duration of the install.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
cleanup() { if [ -n "$added_policy" ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
