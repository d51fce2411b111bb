#!/usr/bin/env python3
"""The PyTorch peer of bench/nets.ts: DQN gradient steps/s of an MLP on the CPU.

One gradient step is what a DQN learner (Stable-Baselines3's, CleanRL's) runs per update:
forward a batch, the masked squared loss on the taken actions' Q-values, backward, Adam:

    q = net(x).gather(1, a).squeeze(1)
    loss = F.mse_loss(q, t)
    opt.zero_grad(); loss.backward(); opt.step()

with net = Linear(4, h) ReLU Linear(h, h) ReLU Linear(h, 2) (torch.nn defaults), Adam(lr=1e-3)
(PyTorch's defaults otherwise), batch --batch (default 64; bench/nets.ts passes 256), on a pool
of 8 pre-drawn batches used in turn (no sampling is timed). Each figure: --warmup seconds untimed, then --reps repetitions of
--seconds; the median repetition is reported, as the TypeScript side does.

Prints one JSON line:

  {"python": "3.11.7", "torch": "2.x", "default_threads": 2,
   "results": [{"hidden": [64, 64], "batch": 64, "threads": 2, "per_second": ..., "reps": [...]}, ...],
   "error": null}

Usage: peer_torch.py [--hidden 64,256] [--threads default,1] [--batch 64]
                     [--seconds S] [--reps R] [--warmup W]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", default="64,256", help="hidden widths; each gives a 4-h-h-2 MLP")
    p.add_argument("--threads", default="default,1", help="torch.set_num_threads values ('default' = as started)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=0.7)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=float, default=0.3)
    args = p.parse_args()

    out: dict = {"python": platform.python_version(), "torch": None, "default_threads": None, "results": [], "error": None}
    try:
        import torch
        import torch.nn.functional as F
        from torch import nn
    except Exception as e:  # the peer is optional: report, never fake
        out["error"] = f"PyTorch not importable: {type(e).__name__}: {e}"
        print(json.dumps(out))
        return 0

    out["torch"] = torch.__version__
    default_threads = torch.get_num_threads()
    out["default_threads"] = default_threads
    torch.manual_seed(0)
    B = args.batch
    pool = [
        (torch.rand(B, 4) * 4 - 2, torch.randint(0, 2, (B, 1)), torch.rand(B) * 6 - 3)
        for _ in range(8)
    ]

    for h in [int(x) for x in args.hidden.split(",") if x]:
        for th_name in [x for x in args.threads.split(",") if x]:
            threads = default_threads if th_name == "default" else int(th_name)
            torch.set_num_threads(threads)
            net = nn.Sequential(nn.Linear(4, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 2))
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            i = 0

            def step() -> None:
                nonlocal i
                x, a, t = pool[i & 7]
                i += 1
                q = net(x).gather(1, a).squeeze(1)
                loss = F.mse_loss(q, t)
                opt.zero_grad()
                loss.backward()
                opt.step()

            chunk = 10 if h <= 128 else 2

            def run(seconds: float) -> tuple[int, float]:
                t0 = time.perf_counter()
                end = t0 + seconds
                n = 0
                t = t0
                while True:
                    for _ in range(chunk):
                        step()
                    n += chunk
                    t = time.perf_counter()
                    if t >= end:
                        break
                return n, t - t0

            if args.warmup > 0:
                run(args.warmup)
            reps = [run(args.seconds) for _ in range(args.reps)]
            rates = [n / s for n, s in reps]
            out["results"].append(
                {
                    "hidden": [h, h],
                    "batch": B,
                    "threads": threads,
                    "threads_label": th_name,
                    "per_second": statistics.median(rates),
                    "reps": rates,
                }
            )
    torch.set_num_threads(default_threads)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
