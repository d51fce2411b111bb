#!/usr/bin/env python3
"""The peer of gymhost's benchmarks: Gymnasium's own CartPole-v1 stepped from Python.

Prints one JSON line on stdout:

  {"python": "3.11.2", "gymnasium": "1.4.0", "numpy": "2.4.6",
   "single": {"per_second": ..., "reps": [...], "units": ..., "seconds": ...},
   "single_unwrapped": {...},
   "vector": {"16": {...}, "256": {...}}}

Measurements (each: --warmup seconds untimed, then --reps timed repetitions of --seconds;
the median repetition is reported, exactly as the TypeScript side does):

* single: ``gymnasium.make("CartPole-v1")`` -- what users step: TimeLimit(500) around
  OrderEnforcing around PassiveEnvChecker around CartPoleEnv -- stepped by a plain Python
  loop with pre-drawn random actions (Python ints), calling ``env.reset()`` whenever a step
  returns terminated or truncated. Units: steps (resets are not counted, their time is).
* single_unwrapped: the same loop on ``env.unwrapped`` (the bare CartPoleEnv, no wrappers),
  with the loop itself truncating at 500 steps: Gymnasium's best case for one env.
* vector: ``gymnasium.make_vec("CartPole-v1", num_envs=N,
  vectorization_mode="vector_entry_point")``, Gymnasium 1.x's NumPy-vectorised
  CartPoleVectorEnv (autoreset NEXT_STEP, built in), stepped with pre-drawn [N] int64 action
  arrays. Units: env-steps (N per call).

Usage: peer_gymnasium.py [--single] [--vector 1,16,256] [--seconds S] [--reps R] [--warmup W]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings

import gymnasium
import numpy as np

CHUNK_STEPS = 1000  # steps between clock reads in the single-env loops


def _rate(reps: list[tuple[int, float]]) -> dict:
    rates = [u / s for u, s in reps]
    return {
        "per_second": statistics.median(rates),
        "reps": rates,
        "units": sum(u for u, _ in reps),
        "seconds": sum(s for _, s in reps),
    }


def _measure(run, warmup: float, seconds: float, reps: int) -> dict:
    if warmup > 0:
        run(warmup)
    return _rate([run(seconds) for _ in range(reps)])


def bench_single(warmup: float, seconds: float, reps: int) -> dict:
    env = gymnasium.make("CartPole-v1")
    env.reset(seed=0)
    actions = np.random.default_rng(12345).integers(0, 2, size=1 << 16).tolist()
    mask = (1 << 16) - 1
    state = {"i": 0}

    def run(duration: float) -> tuple[int, float]:
        step = env.step
        reset = env.reset
        i = state["i"]
        units = 0
        t0 = time.perf_counter()
        end = t0 + duration
        while True:
            for _ in range(CHUNK_STEPS):
                _, _, terminated, truncated, _ = step(actions[i & mask])
                i += 1
                if terminated or truncated:
                    reset()
            units += CHUNK_STEPS
            t = time.perf_counter()
            if t >= end:
                break
        state["i"] = i
        return units, t - t0

    out = _measure(run, warmup, seconds, reps)
    env.close()
    return out


def bench_single_unwrapped(warmup: float, seconds: float, reps: int) -> dict:
    env = gymnasium.make("CartPole-v1")
    raw = env.unwrapped
    raw.reset(seed=0)
    actions = np.random.default_rng(12345).integers(0, 2, size=1 << 16).tolist()
    mask = (1 << 16) - 1
    state = {"i": 0, "elapsed": 0}

    def run(duration: float) -> tuple[int, float]:
        step = raw.step
        reset = raw.reset
        i = state["i"]
        elapsed = state["elapsed"]
        units = 0
        t0 = time.perf_counter()
        end = t0 + duration
        while True:
            for _ in range(CHUNK_STEPS):
                _, _, terminated, _, _ = step(actions[i & mask])
                i += 1
                elapsed += 1
                if terminated or elapsed >= 500:
                    reset()
                    elapsed = 0
            units += CHUNK_STEPS
            t = time.perf_counter()
            if t >= end:
                break
        state["i"] = i
        state["elapsed"] = elapsed
        return units, t - t0

    out = _measure(run, warmup, seconds, reps)
    env.close()
    return out


def bench_vector(n: int, warmup: float, seconds: float, reps: int) -> dict:
    venv = gymnasium.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    pool = max(16, (1 << 16) // n)
    actions = np.random.default_rng(12345).integers(0, 2, size=(pool, n))
    rows = [actions[k] for k in range(pool)]
    calls_per_chunk = max(1, 20000 // n)
    state = {"k": 0}

    def run(duration: float) -> tuple[int, float]:
        step = venv.step
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

    out = _measure(run, warmup, seconds, reps)
    venv.close()
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--single", action="store_true", help="measure the single env (wrapped and unwrapped)")
    p.add_argument("--vector", default="", help="comma-separated num_envs for CartPoleVectorEnv")
    p.add_argument("--seconds", type=float, default=0.7)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=float, default=0.3)
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")  # a warning printed mid-loop would only add noise

    out: dict = {
        "python": sys.version.split()[0],
        "gymnasium": gymnasium.__version__,
        "numpy": np.__version__,
    }
    if a.single:
        out["single"] = bench_single(a.warmup, a.seconds, a.reps)
        out["single_unwrapped"] = bench_single_unwrapped(a.warmup, a.seconds, a.reps)
    sizes = [int(s) for s in a.vector.split(",") if s.strip()]
    if sizes:
        out["vector"] = {str(n): bench_vector(n, a.warmup, a.seconds, a.reps) for n in sizes}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
