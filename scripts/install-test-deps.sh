#!/usr/bin/env bash
# Installs what the test suite needs beyond Go: Debian's chromium (for the
# EventSource browser test) and the npm packages of tests/browser
# (playwright-core, which drives that chromium; never a downloaded browser).
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f tests/browser/package.json ]; then
  (cd tests/browser && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error; })
fi
echo "test dependencies ready: $(chromium --version 2>/dev/null | head -n1)"
