#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (playwright-core drives it; no
# browser is ever downloaded by Playwright). Does nothing when it is already there, so CI and the
# browser tests' global setup can call it every run.
#
#   bash infra/browser/ensure-chromium.sh
#
# CANONQL_CHROMIUM overrides the binary's path (default /usr/bin/chromium).
set -euo pipefail

CHROMIUM_BIN="${CANONQL_CHROMIUM:-/usr/bin/chromium}"

chromium_version() {
  # Debian's launcher script prints a harmless shell warning on stderr on some machines.
  "$CHROMIUM_BIN" --version 2>/dev/null | head -n 1
}

if [ -x "$CHROMIUM_BIN" ] && version="$(chromium_version)" && [ -n "$version" ]; then
  echo "[browser] chromium: $version ($CHROMIUM_BIN)"
  exit 0
fi

if [ "${CANONQL_CHROMIUM:-/usr/bin/chromium}" != /usr/bin/chromium ]; then
  echo "[browser] CANONQL_CHROMIUM=$CHROMIUM_BIN is not a working chromium" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[browser] chromium is missing and apt-get is not available: install Debian's chromium package (or set CANONQL_CHROMIUM to a Chromium binary)" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "[browser] chromium is missing: run as root (or with passwordless sudo): apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run (e.g. the local stack installing PostgreSQL) instead of failing on its lock.
APT_OPTS=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

echo "[browser] installing chromium with apt-get ..."
start=$(date +%s)
"${SUDO[@]}" apt-get "${APT_OPTS[@]}" update -qq
"${SUDO[@]}" apt-get "${APT_OPTS[@]}" install -y -qq chromium fonts-liberation >/dev/null

if ! version="$(chromium_version)" || [ -z "$version" ]; then
  echo "[browser] chromium was installed but $CHROMIUM_BIN --version does not answer" >&2
  exit 1
fi
echo "[browser] chromium: $version ($CHROMIUM_BIN), installed in $(( $(date +%s) - start ))s"
