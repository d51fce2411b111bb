#!/usr/bin/env python3
"""The peer of bench/durability.ts, part "keep_best": Stable-Baselines3 DQN with the
rl-baselines3-zoo CartPole-v1 hyperparameters (the same ``ZOO`` dict as bench/peer_sb3.py),
trained with SB3's own keep-the-best machinery, then its best model checked on fresh episodes.

Per seed s:

    env = gymnasium.make("CartPole-v1")
    model = DQN("MlpPolicy", env, seed=s, device="cpu", **ZOO)
    eval_env = Monitor(FixedSeedResets(gymnasium.make("CartPole-v1"), eval_seed))
    stop = StopTrainingOnRewardThreshold(reward_threshold=475)
    cb = EvalCallback(eval_env, eval_freq=E, n_eval_episodes=K, deterministic=True,
                      best_model_save_path=DIR, callback_on_new_best=stop)
    model.learn(total_timesteps=budget, callback=cb)
    best = DQN.load(DIR/best_model.zip, device="cpu")
    fresh = mean of 100 greedy episodes of `best`, episode i reset with seed 1_000_000 + i

* ``FixedSeedResets``: episode i of every evaluation is reset with ``eval_seed + i``, as
  gymhost's evaluations do (``evalSeed``): every evaluation sees the same K start states, so
  "best" is chosen on a fixed set on both sides. (Stock EvalCallback would reseed once and let
  every evaluation draw new start states.) The wrapper counts resets from the start of each
  evaluation (the callback below sets the counter back to 0 just before SB3 evaluates).
* EvalCallback evaluates when its call count (= env steps, one env) is a multiple of
  ``eval_freq``, mid-episode; gymhost evaluates at the end of the episode in which the count is
  reached. EvalCallback saves ``best_model.zip`` when an evaluation's mean is strictly higher
  than the best so far (the earliest on ties, as gymhost's keepBest), and the stop callback
  ends learn() when that new best is >= 475.
* The exploration schedule is the zoo's fraction (0.16) of the budget given to learn(), as
  in bench/peer_sb3.py: with a budget of 1e5 epsilon reaches 0.04 at 16,000 steps (the zoo's
  own budget is 5e4, 8,000 steps).
* Wall time = the seconds of learn(), evaluations included (they are part of the method, as
  on gymhost's side); building the model is reported apart (setup_s), as is the fresh check.

Prints one JSON line:

  {"python": ..., "torch": ..., "sb3": ..., "gymnasium": ..., "numpy": ..., "torch_threads": 2,
   "config": {...}, "protocol": {...}, "runs": [{"seed": 0, "steps": ..., "reached": true,
   "best_mean": ..., "fresh_mean": ..., "fresh_min": ..., "wall_s": ..., "setup_s": ...,
   "fresh_s": ..., "evaluations": [[steps, mean], ...]}], "error": null}

Usage: peer_sb3_evalcallback.py [--seeds 0,1] [--budget 100000] [--eval-every 2000]
           [--eval-episodes 20] [--eval-seed 10000] [--threshold 475] [--fresh 100]
           [--fresh-seed 1000000] [--torch-threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_sb3 import ZOO, greedy_returns  # noqa: E402  (the same hyperparameters and greedy check)


def run_seed(seed: int, args, mods) -> dict:
    gymnasium, np, DQN, EvalCallback, StopTrainingOnRewardThreshold, Monitor = mods

    class FixedSeedResets(gymnasium.Wrapper):
        """Reset i (counted from `restart()`) uses seed base + i, whatever seed it is given."""

        def __init__(self, env, base: int):
            super().__init__(env)
            self.base = base
            self.i = 0

        def restart(self) -> None:
            self.i = 0

        def reset(self, *, seed=None, options=None):
            s = self.base + self.i
            self.i += 1
            return self.env.reset(seed=s, options=options)

    class SameSeedsEvalCallback(EvalCallback):
        def _on_step(self) -> bool:
            if self.eval_freq > 0 and self.n_calls % self.eval_freq == 0:
                fixed.restart()
                t = time.perf_counter()
                out = super()._on_step()
                state["eval_s"] += time.perf_counter() - t
                state["evaluations"].append([int(self.num_timesteps), float(self.last_mean_reward)])
                return out
            return super()._on_step()

    t0 = time.perf_counter()
    env = gymnasium.make("CartPole-v1")
    model = DQN("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **ZOO)
    fixed = FixedSeedResets(gymnasium.make("CartPole-v1"), args.eval_seed)
    eval_env = Monitor(fixed)
    setup_s = time.perf_counter() - t0
    state = {"eval_s": 0.0, "evaluations": []}
    with tempfile.TemporaryDirectory(prefix="sb3-best-") as best_dir:
        stop = StopTrainingOnRewardThreshold(reward_threshold=args.threshold, verbose=0)
        cb = SameSeedsEvalCallback(
            eval_env,
            eval_freq=args.eval_every,
            n_eval_episodes=args.eval_episodes,
            deterministic=True,
            best_model_save_path=best_dir,
            callback_on_new_best=stop,
            verbose=0,
        )
        t1 = time.perf_counter()
        model.learn(total_timesteps=args.budget, callback=cb, progress_bar=False)
        wall_s = time.perf_counter() - t1
        steps = int(model.num_timesteps)
        best_mean = float(cb.best_mean_reward)
        path = os.path.join(best_dir, "best_model.zip")
        t2 = time.perf_counter()
        if os.path.exists(path):
            best = DQN.load(path, device="cpu")
            fresh = greedy_returns(best, gymnasium, np, args.fresh, args.fresh_seed)
        else:  # no evaluation ran (budget below eval_every): check the final model
            fresh = greedy_returns(model, gymnasium, np, args.fresh, args.fresh_seed)
        fresh_s = time.perf_counter() - t2
    env.close()
    eval_env.close()
    return {
        "seed": seed,
        "steps": steps,
        "reached": best_mean >= args.threshold,
        "best_mean": best_mean if state["evaluations"] else None,
        "fresh_mean": sum(fresh) / len(fresh),
        "fresh_min": min(fresh),
        "wall_s": wall_s,
        "eval_s": state["eval_s"],
        "setup_s": setup_s,
        "fresh_s": fresh_s,
        "evaluations": state["evaluations"],
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="0")
    p.add_argument("--budget", type=int, default=100_000, help="total_timesteps of learn()")
    p.add_argument("--eval-every", type=int, default=2000)
    p.add_argument("--eval-episodes", type=int, default=20)
    p.add_argument("--eval-seed", type=int, default=10_000)
    p.add_argument("--threshold", type=float, default=475.0)
    p.add_argument("--fresh", type=int, default=100)
    p.add_argument("--fresh-seed", type=int, default=1_000_000)
    p.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = p.parse_args()

    out: dict = {
        "python": platform.python_version(),
        "torch": None,
        "sb3": None,
        "gymnasium": None,
        "numpy": None,
        "torch_threads": None,
        "config": {**ZOO, "policy": "MlpPolicy", "env": "CartPole-v1", "device": "cpu"},
        "protocol": {k: getattr(args, k) for k in ("budget", "eval_every", "eval_episodes", "eval_seed", "threshold", "fresh", "fresh_seed")},
        "runs": [],
        "error": None,
    }
    try:
        import gymnasium
        import numpy as np
        import stable_baselines3
        import torch
        from stable_baselines3 import DQN
        from stable_baselines3.common.callbacks import EvalCallback, StopTrainingOnRewardThreshold
        from stable_baselines3.common.monitor import Monitor
    except Exception as e:  # the peer is optional: report, never fake
        out["error"] = f"stable-baselines3 not importable: {type(e).__name__}: {e}"
        print(json.dumps(out))
        return 0
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    out.update(
        torch=torch.__version__,
        sb3=stable_baselines3.__version__,
        gymnasium=gymnasium.__version__,
        numpy=np.__version__,
        torch_threads=torch.get_num_threads(),
    )
    mods = (gymnasium, np, DQN, EvalCallback, StopTrainingOnRewardThreshold, Monitor)
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        run = run_seed(seed, args, mods)
        out["runs"].append(run)
        sys.stderr.write(
            f"  SB3 seed {seed}: {run['steps']} steps, {'reached' if run['reached'] else 'did not reach'} {args.threshold:g} "
            f"(best eval {run['best_mean']}), fresh {args.fresh}-episode mean {run['fresh_mean']:.1f}, {run['wall_s']:.1f} s\n"
        )
        sys.stderr.flush()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
