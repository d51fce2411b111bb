#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, postgres) are there for the tests of the
# PostgreSQL store: each test file starts its own throwaway server on 127.0.0.1
# (test/helpers/postgres.ts) and stops it. Installs Debian's postgresql with apt-get when it is
# missing and this runs as root (without the package's default cluster: nothing is left
# running); otherwise fails saying how to install it. GYMHOST_PG_BIN names another directory
# holding initdb and postgres.
set -uo pipefail
found() {
  if [ -n "${GYMHOST_PG_BIN:-}" ]; then
    [ -x "$GYMHOST_PG_BIN/initdb" ] && [ -x "$GYMHOST_PG_BIN/postgres" ] && echo "$GYMHOST_PG_BIN"
    return
  fi
  local bin
  for bin in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ]; then
      echo "$bin"
      return
    fi
  done
}
bin=$(found)
if [ -n "$bin" ]; then
  "$bin/postgres" --version
  exit 0
fi
if [ -n "${GYMHOST_PG_BIN:-}" ]; then
  echo "GYMHOST_PG_BIN=$GYMHOST_PG_BIN has no initdb and postgres" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "PostgreSQL is missing: installing Debian's postgresql (apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  # The tests make their own clusters: the package's default one would only sit on port 5432.
  mkdir -p /etc/postgresql-common
  [ -e /etc/postgresql-common/createcluster.conf ] || echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
  log=/tmp/gymhost-apt-postgresql.log
  if ! apt-get install -y --no-install-recommends postgresql >"$log" 2>&1; then
    apt-get update >>"$log" 2>&1 &&
      apt-get install -y --no-install-recommends postgresql >>"$log" 2>&1 || {
        tail -20 "$log" >&2
        echo "could not install postgresql with apt-get (log: $log)" >&2
        exit 1
      }
  fi
  bin=$(found)
  [ -n "$bin" ] && "$bin/postgres" --version && exit 0
  echo "apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/postgres is there" >&2
  exit 1
fi
echo "the PostgreSQL store's tests need PostgreSQL's server: install Debian's package as root" >&2
echo "  (sudo apt-get install postgresql), or set GYMHOST_PG_BIN to a directory with initdb and postgres" >&2
exit 1
