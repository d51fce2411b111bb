#!/usr/bin/env bash
# Creates the Stable-Baselines3 Python environment (.venv-bench at the repo root): PyTorch and
# Stable-Baselines3 from PyPI (clients/python/requirements-sb3.txt), the test requirements
# (clients/python/requirements-test.txt) and the Python client (clients/python, editable).
# Used by the SB3 tests (test/python/test_sb3.py, run by scripts/test.sh) and by the peers
# of bench/ (bench/peer_torch.py, bench/peer_sb3.py, bench/sb3_vec_env.py). PyTorch from PyPI
# is large (the default Linux wheel pulls the CUDA runtime wheels too: about 5 GB installed,
# a little over a minute to download and install here); everything runs on the CPU.
# Safe to run repeatedly: when neither the requirements, the client's pyproject.toml, this
# script nor the repo's path changed since the last install, it does nothing (no pip run).
# Override the interpreter with PYTHON=/path/to/python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if [ ! -x .venv-bench/bin/python ]; then
  "$python" -m venv .venv-bench
fi
stamp=.venv-bench/.gymhost-setup-stamp
want="$( { echo "$root"; .venv-bench/bin/python -c 'import sys; print(sys.version)'; cat scripts/setup-bench-python.sh clients/python/requirements-test.txt clients/python/requirements-sb3.txt clients/python/pyproject.toml; } | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
rm -f "$stamp"
.venv-bench/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv-bench/bin/python -m pip install --disable-pip-version-check --progress-bar off \
  -r clients/python/requirements-sb3.txt -r clients/python/requirements-test.txt -e clients/python
.venv-bench/bin/python -c 'import torch, stable_baselines3; print("torch", torch.__version__, "stable-baselines3", stable_baselines3.__version__)'
echo "$want" > "$stamp"
