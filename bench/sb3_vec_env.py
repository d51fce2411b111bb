#!/usr/bin/env python3
"""Env-steps per second of ``gymhost.sb3_vec_env`` (a Stable-Baselines3 VecEnv over one gymhost
vector session) next to SB3's own VecEnvs of local Gymnasium CartPole-v1, measured in the
same run. Needs .venv-bench (``bash scripts/setup-bench-python.sh``: torch, stable-baselines3
and the client):

    .venv-bench/bin/python bench/sb3_vec_env.py                   # starts a server, prints a table
    .venv-bench/bin/python bench/sb3_vec_env.py --quick           # a ~30 s smoke run
    .venv-bench/bin/python bench/sb3_vec_env.py --sizes 8,64,256 --subproc 8 --json out.json

What is measured (CartPole-v1, random pre-drawn actions, as bench/README.md's method):

* gymhost: ``gymhost.sb3_vec_env("CartPole-v1", n_envs=N)`` (one step_batch over a
  StepStream per ``step``, SAME_STEP autoreset on the server), stepped with ``env.step(a)``
  and ``[N]`` int64 action arrays as SB3's algorithms do; ``--transport unary`` for one
  StepBatch call per step. The server is a child process on 127.0.0.1.
* DummyVecEnv: ``DummyVecEnv([lambda: gymnasium.make("CartPole-v1")] * N)`` -- what
  ``make_vec_env`` builds, without its Monitor wrappers (sb3_vec_env has none either) -- the
  same loop in the same process, after the server was stopped.
* SubprocVecEnv (``--subproc`` sizes, default 8): the same copies, one process each
  (SB3's default start method).

Units are env-steps (N per ``step`` call); both sides autoreset ended copies and fill
``terminal_observation`` / ``TimeLimit.truncated`` infos. Each figure: --warmup s untimed,
then the median of --reps runs of --seconds (the spread of the runs is printed when > 10%).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gymnasium  # noqa: E402

import gymhost  # noqa: E402
from python_client import Server, fmt, machine, measure  # noqa: E402  (bench/python_client.py)

try:
    import stable_baselines3
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv
except ImportError:
    raise SystemExit(f"this benchmark needs Stable-Baselines3: bash scripts/setup-bench-python.sh, then run it with .venv-bench/bin/python ({gymhost.sb3.SB3_INSTALL})") from None


def bench_vec_env(make: Callable[[], Any], n: int, warmup: float, seconds: float, reps: int) -> dict[str, Any]:
    """env.step(actions) in a loop on the VecEnv that ``make()`` returns; env-steps/s."""
    env = make()
    env.seed(0)
    env.reset()
    pool = max(16, (1 << 16) // n)
    actions = np.random.default_rng(12345).integers(0, 2, size=(pool, n))
    rows = [actions[k] for k in range(pool)]
    calls_per_chunk = max(1, 4000 // n)
    state = {"k": 0}

    def run(duration: float) -> tuple[int, float]:
        step = env.step
        k = state["k"]
        calls = 0
        t0 = time.perf_counter()
        end = t0 + duration
        while True:
            for _ in range(calls_per_chunk):
                step(rows[k])
                k += 1
                if k == pool:
                    k = 0
            calls += calls_per_chunk
            t = time.perf_counter()
            if t >= end:
                break
        state["k"] = k
        return calls * n, t - t0

    try:
        return measure(run, warmup, seconds, reps)
    finally:
        env.close()


def local_cartpole() -> gymnasium.Env:
    return gymnasium.make("CartPole-v1")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", help="use a running server instead of starting one")
    p.add_argument("--sizes", default="8,64,256", help="n_envs of the figures")
    p.add_argument("--subproc", default="8", help="n_envs at which SubprocVecEnv is measured too ('' for none)")
    p.add_argument("--transport", default="stream", choices=["stream", "unary"])
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--quick", action="store_true", help="0.1 s warm-up, one 0.3 s run per figure")
    p.add_argument("--json", metavar="FILE")
    a = p.parse_args(argv)
    if a.quick:
        a.warmup, a.seconds, a.reps = 0.1, 0.3, 1
    warnings.simplefilter("ignore")
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    subproc = [int(s) for s in a.subproc.split(",") if s.strip()]
    budget = (a.warmup, a.seconds, a.reps)

    figures: dict[str, Any] = {}
    server = None if a.address else Server()
    address = a.address or server.address  # type: ignore[union-attr]
    try:
        client = gymhost.connect(address)
        client.wait_until_ready(30)
        # Warm the server's JIT up before the first figure.
        bench_vec_env(lambda: gymhost.sb3_vec_env("CartPole-v1", 64, client=client, transport=a.transport), 64, 1.0, 0.1, 1)
        for n in sizes:
            figures[f"gymhost_{n}"] = bench_vec_env(lambda: gymhost.sb3_vec_env("CartPole-v1", n, client=client, transport=a.transport), n, *budget)
            print(f"gymhost sb3_vec_env n_envs={n}: {fmt(figures[f'gymhost_{n}']['per_second'])} env-steps/s", file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.stop()

    for n in sizes:
        figures[f"dummy_{n}"] = bench_vec_env(lambda: DummyVecEnv([local_cartpole for _ in range(n)]), n, *budget)
        print(f"DummyVecEnv n_envs={n}: {fmt(figures[f'dummy_{n}']['per_second'])} env-steps/s", file=sys.stderr, flush=True)
    for n in subproc:
        figures[f"subproc_{n}"] = bench_vec_env(lambda: SubprocVecEnv([local_cartpole for _ in range(n)]), n, *budget)
        print(f"SubprocVecEnv n_envs={n}: {fmt(figures[f'subproc_{n}']['per_second'])} env-steps/s", file=sys.stderr, flush=True)

    lines = [
        f"| CartPole-v1, SB3 VecEnv.step, env-steps/s | gymhost.sb3_vec_env ({a.transport}) | DummyVecEnv (local, same run) | ratio | SubprocVecEnv (local, same run) | ratio |",
        "| :--- | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = []
    for n in sizes:
        g, d = figures[f"gymhost_{n}"]["per_second"], figures[f"dummy_{n}"]["per_second"]
        s = figures.get(f"subproc_{n}", {}).get("per_second")
        rows.append({"n_envs": n, "gymhost": g, "dummy": d, "subproc": s, "ratio_dummy": g / d, "ratio_subproc": g / s if s else None})
        lines.append(f"| n_envs = {n} | {fmt(g)} | {fmt(d)} | {g / d:.2f}x | {fmt(s) if s else '-'} | {f'{g / s:.2f}x' if s else '-'} |")
    noisy = [f"{k} ±{v['spread'] * 100:.0f}%" for k, v in figures.items() if v["spread"] > 0.1]
    lines.append("")
    lines.append(f"Machine: {machine()}, Stable-Baselines3 {stable_baselines3.__version__}.")
    lines.append(
        f"Each figure: {a.warmup} s warm-up, then the median of {a.reps} runs of {a.seconds} s; the local VecEnvs measured in the same process after gymhost's figures (server stopped)."
    )
    if noisy:
        lines.append("Noisy figures (spread of the runs around the median): " + "; ".join(noisy) + ".")
    table = "\n".join(lines)
    print(table)
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": machine(), "figures": figures, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
