"""The Python client's examples (clients/python/examples) run to completion against the real
server, each in its own interpreter, with small budgets. The Stable-Baselines3 example runs
only where stable_baselines3 is importable (it is not in the test venv: PyTorch is heavy)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "clients/python/examples"


def run_example(name: str, *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**__import__("os").environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_seed_loop_gridworld(address: str, tmp_path) -> None:
    out = run_example("seed_loop_gridworld.py", "--address", address, "--episodes", "4", "--eval-episodes", "5", "--plot", str(tmp_path / "history.png"))
    assert "trained 4 episodes" in out and "greedy evaluation over 5 episodes" in out
    assert (tmp_path / "history.png").stat().st_size > 1000


def test_seed_loop_cartpole(address: str, tmp_path) -> None:
    out = run_example("seed_loop_cartpole.py", "--address", address, "--episodes", "6", "--eval-episodes", "3", "--animate", str(tmp_path / "run.gif"))
    assert "trained 6 episodes" in out and "greedy evaluation over 3 episodes" in out
    assert (tmp_path / "run.gif").read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    out = run_example("seed_loop_cartpole.py", "--address", address, "--episodes", "2", "--eval-episodes", "1", "--animate", str(tmp_path / "run.html"))
    assert "<script>" in (tmp_path / "run.html").read_text()


def test_numpy_tabular_agent(address: str) -> None:
    out = run_example("numpy_tabular_agent.py", "--address", address, "--episodes", "40", "--validation-episodes", "5")
    assert "remote steps in" in out and "greedy validation over 5 episodes" in out


@pytest.mark.skipif(importlib.util.find_spec("stable_baselines3") is None, reason="stable_baselines3 is not installed (pip install 'gymhost[sb3]')")
def test_sb3_dqn_cartpole(address: str) -> None:
    out = run_example("sb3_dqn_cartpole.py", "--address", address, "--steps", "600", "--eval-episodes", "2", timeout=300)
    assert "trained SB3 DQN for 600 remote steps" in out and "greedy evaluation over 2 episodes" in out
