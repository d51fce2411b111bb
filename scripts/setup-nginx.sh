#!/usr/bin/env bash
# Makes sure nginx is there for the tests of replicas behind a proxy: they start their own nginx
# on 127.0.0.1 (test/helpers/nginx.ts) and stop it. Installs Debian's nginx with apt-get when it
# is missing and this runs as root (nothing is left running); otherwise fails saying how to
# install it. GYMHOST_NGINX names another nginx binary.
set -uo pipefail
nginx_bin="${GYMHOST_NGINX:-}"
if [ -z "$nginx_bin" ]; then
  for b in /usr/sbin/nginx /usr/local/sbin/nginx /usr/bin/nginx; do
    [ -x "$b" ] && nginx_bin="$b" && break
  done
fi
if [ -n "$nginx_bin" ] && [ -x "$nginx_bin" ]; then
  "$nginx_bin" -v
  exit 0
fi
if [ -n "${GYMHOST_NGINX:-}" ]; then
  echo "GYMHOST_NGINX=$GYMHOST_NGINX is not an executable file" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "nginx is missing: installing Debian's nginx (apt-get install nginx-light)"
  export DEBIAN_FRONTEND=noninteractive
  log=/tmp/gymhost-apt-nginx.log
  if ! apt-get install -y --no-install-recommends nginx-light >"$log" 2>&1; then
    apt-get update >>"$log" 2>&1 &&
      apt-get install -y --no-install-recommends nginx-light >>"$log" 2>&1 || {
        tail -20 "$log" >&2
        echo "could not install nginx with apt-get (log: $log)" >&2
        exit 1
      }
  fi
  # The package may start its default site; the tests run their own nginx.
  if [ -f /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi
  /usr/sbin/nginx -v
  exit 0
fi
echo "the replica tests need nginx: install Debian's package as root (sudo apt-get install nginx-light)," >&2
echo "  or set GYMHOST_NGINX to an nginx binary" >&2
exit 1
