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


@pytest.mark.parametrize(("name", "output", "blocked"), [("seed_loop_gridworld.py", "history.png", "matplotlib"), ("seed_loop_cartpole.py", "run.gif", "PIL")])
def test_examples_check_their_extras_before_training(name: str, output: str, blocked: str, tmp_path) -> None:
    """Without matplotlib (--plot) or Pillow (a .gif), an example stops at once with the
    install command, before it connects or trains (the address here has no server)."""
    flag = "--plot" if output.endswith(".png") else "--animate"
    # A sitecustomize that makes the extra unimportable, as in an environment without it.
    (tmp_path / "sitecustomize.py").write_text(f"import sys\nsys.modules[{blocked!r}] = None\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--address", "127.0.0.1:1", flag, str(tmp_path / output)], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'pip install "./clients/python[plots]"' in result.stderr
    assert "trained" not in result.stdout and not (tmp_path / output).exists()


def test_require_plotting_names_the_install_command(monkeypatch) -> None:
    import gymhost

    gymhost.require_plotting(matplotlib=True, pillow=True)  # both are in the test venv
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'matplotlib and Pillow are not installed: pip install "\./clients/python\[plots\]"'):
        gymhost.require_plotting(matplotlib=True, pillow=True)


def test_numpy_tabular_agent(address: str) -> None:
    out = run_example("numpy_tabular_agent.py", "--address", address, "--episodes", "40", "--validation-episodes", "5")
    assert "remote steps in" in out and "greedy validation over 5 episodes" in out


@pytest.mark.skipif(importlib.util.find_spec("stable_baselines3") is None, reason='stable_baselines3 is not installed (pip install "./clients/python[sb3]")')
def test_sb3_dqn_cartpole(address: str) -> None:
    out = run_example("sb3_dqn_cartpole.py", "--address", address, "--steps", "600", "--eval-episodes", "2", timeout=300)
    assert "trained SB3 DQN for 600 remote steps" in out and "greedy evaluation over 2 episodes" in out
