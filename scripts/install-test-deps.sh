#!/usr/bin/env bash
# Installs what the test suite needs beyond Go: Debian's chromium (for the
# browser tests, examples/sse and examples/wschat's browser*_test.go),
# python3-websockets (examples/wsecho/main_test.go), curl and openssl (the
# independent TLS clients of examples/hello's tests), redis-server (the
# real Redis that internal/redistest starts for the Redis scale-out tests,
# each on a port of its own; Debian's package may also start a system redis
# on 6379, which the tests never use) and the npm packages of
# tests/browser (playwright-core, which drives that chromium; never a
# downloaded browser: no `playwright install`, no plain puppeteer).
#
# Safe to run again: apt is used only when something is missing, and
# `npm ci` runs only when tests/browser/node_modules does not match
# package-lock.json (a stamp copy of the lockfile records the last install).
# Run as root (CI) or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need_apt=()
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# Debian's python3 with python3-websockets: an independent WebSocket client
# for examples/wsecho's test (it runs /usr/bin/python3 by that path).
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || need_apt+=(python3-websockets)
# curl and the openssl command: independent HTTPS and TLS clients for
# examples/hello's process tests.
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Debian's redis-server: internal/redistest runs it (from PATH) on free
# loopback ports for the Redis scale-out tests.
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

chromium_bin=/usr/bin/chromium
[ -x "$chromium_bin" ] || chromium_bin=$(command -v chromium)

browser_dir=tests/browser
stamp=node_modules/.installed-package-lock.json
if [ -f "$browser_dir/package.json" ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    # playwright-core needs Node.js >= 20; the browser test then skips.
    echo "warning: node $(node --version) is older than 20: not installing $browser_dir's npm packages" >&2
  else
    (
      cd "$browser_dir"
      if [ -d node_modules/playwright-core ] && cmp -s package-lock.json "$stamp"; then
        echo "$browser_dir: npm packages up to date"
      else
        npm ci --no-audit --no-fund --loglevel=error
        cp package-lock.json "$stamp"
      fi
    )
  fi
fi

echo "test dependencies ready: $("$chromium_bin" --version 2>/dev/null | head -n1), node $(node --version), $(openssl version), $(curl --version | head -n1 | cut -d' ' -f1-2), $(redis-server --version | cut -d' ' -f1-3)"
