#!/usr/bin/env bash
# Creates the benchmark-only Python environment (.venv-bench at the repo root) with PyTorch
# and Stable-Baselines3 from PyPI: the peers of bench/nets.ts (bench/peer_torch.py).
# Benchmark-only: no test needs it. PyTorch from PyPI is large (the default Linux wheel
# pulls the CUDA runtime wheels too, a few GB); the benchmark runs on the CPU either way.
# Safe to run repeatedly. Override the interpreter with PYTHON=/path/to/python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if [ ! -x .venv-bench/bin/python ]; then
  "$python" -m venv .venv-bench
fi
.venv-bench/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv-bench/bin/python -m pip install --disable-pip-version-check --progress-bar off \
  torch stable-baselines3 numpy
.venv-bench/bin/python -c 'import torch, stable_baselines3; print("torch", torch.__version__, "stable-baselines3", stable_baselines3.__version__)'
