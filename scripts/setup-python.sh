#!/usr/bin/env bash
# Creates the repo's Python test environment (.venv at the repo root) if missing, then
# installs clients/python/requirements-test.txt into it. Safe to run repeatedly.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r clients/python/requirements-test.txt
