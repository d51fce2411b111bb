#!/usr/bin/env python3
"""Steps per second of the Python client (clients/python) against a gymhost server on
loopback, next to Gymnasium's own CartPole-v1 measured in the same run.

    .venv/bin/python bench/python_client.py                 # starts a server, prints a table
    .venv/bin/python bench/python_client.py --quick         # a ~20 s smoke run
    .venv/bin/python bench/python_client.py --address H:P   # against a running server
    .venv/bin/python bench/python_client.py --json out.json --md out.md
    .venv/bin/python bench/python_client.py --alternate --sizes 4096 --reps 5   # vector env vs make_vec, alternating

What is measured (CartPole-v1, random pre-drawn actions, as bench/README.md's method):

* Step (unary): ``gymhost.make("CartPole-v1")`` stepped by a Python loop (``env.step(a)``,
  ``env.reset()`` when an episode ends), one unary Step call per step.
* StepStream lock-step: the same loop with ``gymhost.make(..., stream=True)``: every step
  goes over one StepStream and waits for its answer (what a gymnasium-style agent gets).
* StepStream pipelined: a raw ``gymhost.StepStream`` with up to ``--window`` requests in
  flight on one session. Open loop: the plan of steps and resets is computed beforehand
  with Gymnasium's own CartPole (bit-identical to gymhost's, see test_cartpole_parity.py)
  from exact start states (reset options low == high), so each reset is sent right after
  the step that ends an episode, without waiting; every answer's end flags are checked
  against the plan.
* Vector env: ``gymhost.make_vec("CartPole-v1", N)`` (a gymnasium VectorEnv; one
  step_batch over a StepStream per step, or one unary StepBatch with ``transport="unary"``),
  stepped with [N] action arrays; units are env-steps (N per call). RemoteEnv(stream=True)
  and the vector env drive their stream from the stepping thread ("inline", see
  gymhost._inline_call; GYMHOST_INLINE_STREAM=0 measures grpcio's helper threads instead).
* Peers, in the same process after gymhost's figures (the server idle): Gymnasium's
  ``gym.make("CartPole-v1")`` loop and ``make_vec(N, "vector_entry_point")``, measured by
  bench/peer_gymnasium.py's functions with the same budget.

Each figure: --warmup s untimed, then --reps runs of --seconds; the median run is reported
with the spread of the runs. Targets (issue #6): StepStream >= 5,000 steps/s, vector env
>= 500,000 env-steps/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import gymnasium  # noqa: E402
import grpc  # noqa: E402

import gymhost  # noqa: E402
import peer_gymnasium  # noqa: E402  (bench/peer_gymnasium.py)
from gymhost.v1 import env_service_pb2 as pb  # noqa: E402
from gymhost.v1 import spaces_pb2  # noqa: E402

STEP_TARGET = 5_000
VECTOR_TARGET = 500_000
STARTUP = re.compile(r"serving gRPC on (\S+) and HTTP on (\S+)")


# ---- timing ---------------------------------------------------------------------------------


def measure(run: Callable[[float], tuple[int, float]], warmup: float, seconds: float, reps: int) -> dict[str, Any]:
    """run(duration) -> (units, elapsed); median of `reps` runs after a warm-up."""
    if warmup > 0:
        run(warmup)
    results = [run(seconds) for _ in range(reps)]
    rates = [u / s for u, s in results]
    median = statistics.median(rates)
    spread = max(abs(r - median) for r in rates) / median if median else 0.0
    return {"per_second": median, "reps": rates, "spread": spread, "units": sum(u for u, _ in results)}


# ---- server ---------------------------------------------------------------------------------


class Server:
    def __init__(self, root: Path = REPO_ROOT) -> None:
        self.process = subprocess.Popen(
            ["node", str(Path(root) / "bin" / "gymhost.js"), "serve", "--host", "127.0.0.1", "--grpc-port", "0", "--http-port", "0"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        found = threading.Event()
        self.address = ""
        lines: list[str] = []

        def drain() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                lines.append(line)
                m = STARTUP.search(line)
                if m and not found.is_set():
                    self.address = m.group(1)
                    found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(60) or not self.address:
            self.stop()
            raise SystemExit("gymhost serve did not start:\n" + "".join(lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


# ---- gymhost figures ----------------------------------------------------------------------------


def actions_pool(seed: int = 12345) -> list[int]:
    return np.random.default_rng(seed).integers(0, 2, size=1 << 16).tolist()


def bench_env_loop(client: gymhost.Client, stream: bool, warmup: float, seconds: float, reps: int) -> dict[str, Any]:
    env = gymhost.make("CartPole-v1", client=client, stream=stream)
    env.reset(seed=0)
    actions = actions_pool()
    mask = (1 << 16) - 1
    state = {"i": 0}

    def run(duration: float) -> tuple[int, float]:
        step, reset = env.step, env.reset
        i = state["i"]
        units = 0
        t0 = time.perf_counter()
        end = t0 + duration
        while True:
            for _ in range(100):
                _, _, terminated, truncated, _ = step(actions[i & mask])
                i += 1
                if terminated or truncated:
                    reset()
            units += 100
            t = time.perf_counter()
            if t >= end:
                break
        state["i"] = i
        return units, t - t0

    try:
        return measure(run, warmup, seconds, reps)
    finally:
        env.close()


def episode_plan(steps: int, seed: int = 7) -> list[tuple[float, list[int], list[tuple[bool, bool]]]]:
    """Episodes (start value, actions, (terminated, truncated) per step) computed with
    Gymnasium's CartPole from exact start states, until `steps` steps are planned."""
    core = gymnasium.make("CartPole-v1").unwrapped
    rng = np.random.default_rng(seed)
    plan = []
    total = 0
    while total < steps:
        v = float(np.float32(rng.uniform(-0.04, 0.04)))
        core.reset(options={"low": v, "high": v})
        acts: list[int] = []
        flags: list[tuple[bool, bool]] = []
        while True:
            a = int(rng.integers(2))
            _, _, terminated, _, _ = core.step(a)
            truncated = len(acts) + 1 >= 500
            acts.append(a)
            flags.append((bool(terminated), truncated))
            if terminated or truncated:
                break
        plan.append((v, acts, flags))
        total += len(acts)
    return plan


def bench_pipelined(client: gymhost.Client, window: int, warmup: float, seconds: float, reps: int, plan_steps: int) -> dict[str, Any]:
    env = gymhost.make("CartPole-v1", client=client)
    plan = episode_plan(plan_steps)
    # Pre-built requests: (request, expected flags or None for a reset).
    requests: list[tuple[pb.StepStreamRequest, tuple[bool, bool] | None]] = []
    for v, acts, flags in plan:
        options = gymhost._convert.dict_to_struct({"low": v, "high": v})
        requests.append((pb.StepStreamRequest(reset=pb.ResetRequest(id=env.id, options=options)), None))
        for a, f in zip(acts, flags):
            requests.append((pb.StepStreamRequest(step=pb.StepRequest(id=env.id, action=spaces_pb2.SpaceValue(discrete=a))), f))
    state = {"k": 0, "mismatches": 0}
    stream = gymhost.StepStream(client)

    def run(duration: float) -> tuple[int, float]:
        k = state["k"]
        expected: list[tuple[bool, bool] | None] = []
        head = 0
        units = 0
        t0 = time.perf_counter()
        end = t0 + duration
        done_sending = False
        while True:
            # Keep `window` requests in flight; stop sending at the end of an episode once time is up.
            while not done_sending and stream.in_flight < window:
                req, flags = requests[k]
                stream.send(req)
                expected.append(flags)
                k += 1
                if k == len(requests):
                    k = 0
                if flags is not None and (flags[0] or flags[1]) and time.perf_counter() >= end:
                    done_sending = True
            if stream.in_flight == 0:
                break
            answer = stream.recv()
            flags = expected[head]
            head += 1
            kind = answer.WhichOneof("response")
            if flags is None:
                if kind != "reset":
                    state["mismatches"] += 1
            else:
                units += 1
                if kind != "step" or (answer.step.terminated, answer.step.truncated) != flags:
                    state["mismatches"] += 1
        state["k"] = k
        return units, time.perf_counter() - t0

    try:
        out = measure(run, warmup, seconds, reps)
        out["mismatches"] = state["mismatches"]
        return out
    finally:
        stream.close()
        env.close()


def bench_vector(client: gymhost.Client, n: int, transport: str, warmup: float, seconds: float, reps: int) -> dict[str, Any]:
    envs = gymhost.make_vec("CartPole-v1", n, client=client, transport=transport)
    envs.reset(seed=0)
    pool = max(16, (1 << 16) // n)
    actions = np.random.default_rng(12345).integers(0, 2, size=(pool, n))
    rows = [actions[k] for k in range(pool)]
    calls_per_chunk = max(1, 20000 // n)
    state = {"k": 0}

    def run(duration: float) -> tuple[int, float]:
        step = envs.step
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
        envs.close()


def process_cpu(pid: int) -> float:
    """utime + stime of a process (all its threads), seconds (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def alternate_vector(client: gymhost.Client, sizes: list[int], warmup: float, seconds: float, reps: int, server_pid: int | None) -> None:
    """Vector env over StepStream against Gymnasium's make_vec of the same N, alternating run
    by run (gymhost first in even rounds): env-steps/s of each, the ratio per round, and this
    process's and the server's CPU per step (call) of the gymhost runs."""
    for n in sizes:
        envs = gymhost.make_vec("CartPole-v1", n, client=client)
        envs.reset(seed=0)
        actions = np.random.default_rng(12345).integers(0, 2, size=(max(16, (1 << 16) // n), n))
        rows = [actions[k] for k in range(len(actions))]
        state = {"k": 0}

        def run(duration: float) -> tuple[int, float, float, float]:
            step, k, calls = envs.step, state["k"], 0
            c0, s0 = time.process_time(), process_cpu(server_pid) if server_pid else 0.0
            t0 = time.perf_counter()
            end = t0 + duration
            while True:
                for _ in range(max(1, 20000 // n)):
                    step(rows[k])
                    k = (k + 1) % len(rows)
                    calls += 1
                t = time.perf_counter()
                if t >= end:
                    break
            state["k"] = k
            server = (process_cpu(server_pid) - s0) if server_pid else float("nan")
            return calls * n, t - t0, (time.process_time() - c0) / calls, server / calls

        peer = gymnasium.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
        peer.reset(seed=0)

        def run_peer(duration: float) -> tuple[int, float]:
            step, k, units = peer.step, state["k"], 0
            t0 = time.perf_counter()
            end = t0 + duration
            while True:
                for _ in range(max(1, 20000 // n)):
                    step(rows[k])
                    k = (k + 1) % len(rows)
                    units += n
                t = time.perf_counter()
                if t >= end:
                    break
            return units, t - t0

        g_rates, p_rates, ratios, client_us, server_us = [], [], [], [], []
        for r in range(reps):
            for which in ("g", "p") if r % 2 == 0 else ("p", "g"):
                if which == "g":
                    run(warmup)
                    units, el, c, sv = run(seconds)
                    g_rates.append(units / el)
                    client_us.append(c * 1e6)
                    server_us.append(sv * 1e6)
                else:
                    run_peer(warmup)
                    units, el = run_peer(seconds)
                    p_rates.append(units / el)
            ratios.append(g_rates[-1] / p_rates[-1])
        inline = bool(getattr(envs._stream, "inline", False))
        envs.close()
        peer.close()
        med = statistics.median
        print(
            f"vector env N={n} over StepStream ({'inline' if inline else 'grpcio threads'}): {fmt(med(g_rates))} env-steps/s; make_vec N={n}: {fmt(med(p_rates))}; "
            f"ratio {med(ratios):.2f}x (rounds {min(ratios):.2f}-{max(ratios):.2f}); CPU per step: client {med(client_us):.0f} us, "
            f"server {med(server_us):.0f} us; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )


# ---- report ---------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        node = "?"
    return (
        f"{cpu} ({os.cpu_count()} cores), {platform.system()} {platform.release()}, Node {node}, Python {platform.python_version()}, "
        f"grpcio {grpc.__version__}, Gymnasium {gymnasium.__version__}, NumPy {np.__version__}"
    )


def fmt(x: float) -> str:
    return f"{x:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", help="use a running server instead of starting one")
    p.add_argument(
        "--server-root",
        default=str(REPO_ROOT),
        help="start the server of this directory's bin/gymhost.js (default: this checkout; e.g. a copy of bin/, dist/ and package.json, to measure one build while dist/ is being rebuilt)",
    )
    p.add_argument("--sizes", default="256,1024,4096", help="num_envs of the vector env figures")
    p.add_argument("--window", type=int, default=64, help="requests in flight for the pipelined StepStream")
    p.add_argument("--seconds", type=float, default=0.7)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=float, default=0.3)
    p.add_argument("--quick", action="store_true", help="0.1 s warm-up, one 0.3 s run per figure")
    p.add_argument("--no-peer", action="store_true", help="skip Gymnasium's figures")
    p.add_argument("--alternate", action="store_true", help="only the vector env over StepStream, alternating run by run with make_vec of the same N (ratio per round, CPU per step)")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--md", metavar="FILE")
    a = p.parse_args(argv)
    if a.quick:
        a.warmup, a.seconds, a.reps = 0.1, 0.3, 1
    warnings.simplefilter("ignore")
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]

    server = None if a.address else Server(Path(a.server_root))
    address = a.address or server.address  # type: ignore[union-attr]
    if a.alternate:
        try:
            client = gymhost.connect(address)
            client.wait_until_ready(30)
            bench_vector(client, sizes[0], "stream", 1.0, 0.1, 1)
            print(f"Machine: {machine()}.")
            print(f"Each figure: the median of {a.reps} runs of {a.seconds} s (each after {a.warmup} s warm-up), gymhost and make_vec alternating.")
            alternate_vector(client, sizes, a.warmup, a.seconds, a.reps, server.process.pid if server is not None else None)
        finally:
            if server is not None:
                server.stop()
        return 0
    rows: list[dict[str, Any]] = []
    try:
        client = gymhost.connect(address)
        client.wait_until_ready(30)
        # Warm the server's JIT up before the first figure.
        bench_env_loop(client, True, 1.0, 0.1, 1)
        bench_vector(client, 1024, "stream", 0.5, 0.1, 1)
        budget = (a.warmup, a.seconds, a.reps)
        figures: dict[str, Any] = {}
        figures["step"] = bench_env_loop(client, False, *budget)
        figures["stream_lockstep"] = bench_env_loop(client, True, *budget)
        expected_rate = 60_000
        figures["stream_pipelined"] = bench_pipelined(client, a.window, *budget, plan_steps=int(expected_rate * (a.warmup + a.seconds * a.reps)))
        for n in sizes:
            figures[f"vector_stream_{n}"] = bench_vector(client, n, "stream", *budget)
        for n in sizes:
            figures[f"vector_unary_{n}"] = bench_vector(client, n, "unary", *budget)
    finally:
        if server is not None:
            server.stop()

    peer: dict[str, Any] = {}
    if not a.no_peer:
        peer["single"] = peer_gymnasium.bench_single(a.warmup, a.seconds, a.reps)
        for n in sizes:
            peer[f"vector_{n}"] = peer_gymnasium.bench_vector(n, a.warmup, a.seconds, a.reps)

    def row(name: str, key: str, units: str, peer_key: str, peer_label: str, target: int | None) -> None:
        f = figures[key]
        g = peer.get(peer_key, {}).get("per_second")
        rows.append(
            {
                "figure": name,
                "gymhost": f["per_second"],
                "units": units,
                "spread": f["spread"],
                "gymnasium": g,
                "peer": peer_label,
                "ratio": f["per_second"] / g if g else None,
                "target": target,
                "pass": None if target is None else f["per_second"] >= target,
                "mismatches": f.get("mismatches"),
            }
        )

    row("Step (unary): RemoteEnv loop", "step", "steps/s", "single", "gym.make loop", None)
    row("StepStream lock-step: RemoteEnv(stream=True) loop", "stream_lockstep", "steps/s", "single", "gym.make loop", STEP_TARGET)
    row(f"StepStream pipelined ({a.window} in flight, 1 session)", "stream_pipelined", "steps/s", "single", "gym.make loop", STEP_TARGET)
    for n in sizes:
        row(f"vector env N={n} (step_batch over StepStream)", f"vector_stream_{n}", "env-steps/s", f"vector_{n}", f"make_vec N={n}", VECTOR_TARGET)
    for n in sizes:
        row(f"vector env N={n} (unary StepBatch)", f"vector_unary_{n}", "env-steps/s", f"vector_{n}", f"make_vec N={n}", None)

    lines = [
        "| CartPole-v1, Python client | gymhost | Gymnasium (same run) | peer measured as | ratio | target | result |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        g = fmt(r["gymnasium"]) if r["gymnasium"] else "-"
        ratio = f"{r['ratio']:.3g}x" if r["ratio"] else "-"
        target = f">= {fmt(r['target'])} {r['units']}" if r["target"] else ""
        result = "" if r["pass"] is None else ("PASS" if r["pass"] else "MISS")
        lines.append(f"| {r['figure']} | {fmt(r['gymhost'])} {r['units']} | {g} | {r['peer']} | {ratio} | {target} | {result} |")
    noisy = [f"{r['figure']} ±{r['spread'] * 100:.0f}%" for r in rows if r["spread"] > 0.1]
    lines.append("")
    lines.append(f"Machine: {machine()}.")
    lines.append(f"Each figure: {a.warmup} s warm-up, then the median of {a.reps} runs of {a.seconds} s; Gymnasium measured in the same process after gymhost's figures.")
    lines.append(f"Targets: {sum(1 for r in rows if r['pass'])}/{sum(1 for r in rows if r['pass'] is not None)} PASS.")
    mism = figures["stream_pipelined"].get("mismatches", 0)
    lines.append(f"Pipelined answers that disagreed with the Gymnasium-computed plan: {mism}.")
    if noisy:
        lines.append("Noisy figures (spread of the runs around the median): " + "; ".join(noisy) + ".")
    table = "\n".join(lines)
    print(table)
    if a.md:
        Path(a.md).write_text(table + "\n")
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": machine(), "figures": figures, "peer": peer, "rows": rows}, indent=2))
    return 1 if mism else 0


if __name__ == "__main__":
    sys.exit(main())
