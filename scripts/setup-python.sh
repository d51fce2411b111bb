#!/usr/bin/env bash
# Creates the repo's Python test environment (.venv at the repo root) if missing, then
# installs clients/python/requirements-test.txt and the Python client (clients/python,
# editable, so edits to it need no reinstall) into it. Safe to run repeatedly: when
# neither the requirements, the client's pyproject.toml nor the repo's path changed since
# the last install, it does nothing (no pip run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.gymhost-setup-stamp
want="$( { echo "$root"; .venv/bin/python -c 'import sys; print(sys.version)'; cat clients/python/requirements-test.txt clients/python/pyproject.toml; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
rm -f "$stamp"
.venv/bin/python -m pip install -q --disable-pip-version-check \
  -r clients/python/requirements-test.txt -e clients/python
echo "$want" > "$stamp"
