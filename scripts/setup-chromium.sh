#!/usr/bin/env bash
# Makes sure Debian's chromium is there for the dashboard's browser tests (driven by
# playwright-core; no browser is ever downloaded by a test tool). Installs it with apt-get
# when it is missing and this runs as root; otherwise fails saying how to install it.
# GYMHOST_CHROMIUM names another Chromium binary to use instead.
set -uo pipefail
browser="${GYMHOST_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  "$browser" --version 2>/dev/null || true
  exit 0
fi
if [ -n "${GYMHOST_CHROMIUM:-}" ]; then
  echo "GYMHOST_CHROMIUM=$GYMHOST_CHROMIUM is not an executable file" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium is missing: installing Debian's chromium (apt-get install chromium)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends chromium >/tmp/gymhost-apt-chromium.log 2>&1; then
    apt-get update >>/tmp/gymhost-apt-chromium.log 2>&1 &&
      apt-get install -y --no-install-recommends chromium >>/tmp/gymhost-apt-chromium.log 2>&1 || {
        tail -20 /tmp/gymhost-apt-chromium.log >&2
        echo "could not install chromium with apt-get (log: /tmp/gymhost-apt-chromium.log)" >&2
        exit 1
      }
  fi
  "$browser" --version
  exit 0
fi
echo "the dashboard's browser tests need Chromium at $browser: install Debian's package as root" >&2
echo "  (sudo apt-get install chromium), or set GYMHOST_CHROMIUM to a Chromium binary" >&2
exit 1
