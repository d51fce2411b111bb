#!/usr/bin/env python3
"""The peer of bench/time-to-solve.ts: Stable-Baselines3 DQN with the rl-baselines3-zoo
CartPole-v1 hyperparameters (REFERENCE s.5), trained until it solves CartPole-v1.

    DQN("MlpPolicy", gymnasium.make("CartPole-v1"), learning_rate=2.3e-3, batch_size=64,
        buffer_size=100_000, learning_starts=1000, gamma=0.99, target_update_interval=10,
        train_freq=256, gradient_steps=128, exploration_fraction=0.16,
        exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]), seed=s,
        device="cpu")

"Solved" is defined exactly as on the TypeScript side (bench/README.md, "time-to-solve.ts"):

* One ``model.learn(total_timesteps=cap)`` call (cap = 50,000, the zoo's budget), so SB3's
  exploration schedule (epsilon 1 -> 0.04 over 16% of the budget) is the zoo's. Chunked
  ``learn(chunk, reset_num_timesteps=False)`` calls would not be: SB3 computes the schedule's
  progress against each call's own total, so epsilon would collapse within the first chunk.
* Checkpoints: a callback notes the first episode end at or after every multiple of
  ``--chunk`` env steps (1000) -- the same points at which gymhost's ``train({steps})``
  returns, since it finishes the episode in progress. learn() collects whole rollouts of
  train_freq = 256 steps, so it stops at the first multiple of 256 at or after the cap
  (50,176 for 5e4): an episode ending between the cap and there is the last checkpoint, as
  on gymhost's side; if none ends, a last checkpoint is taken where learn() stopped.
* At a checkpoint: ``--screen`` greedy episodes (20, reset seeds 10_000 + i); if their mean
  return is >= 475, ``--confirm`` greedy episodes (100, reset seeds 1_000_000 + i); solved
  when that mean is >= 475. Greedy = ``policy.predict(obs, deterministic=True)`` on fresh
  ``gymnasium.make("CartPole-v1")`` envs (TimeLimit 500), episodes run in lockstep with one
  batched predict per step (same actions as one episode at a time, just fewer calls).
  Evaluation does not touch the training env, the replay buffer or any RNG.
* Wall time to solve = the seconds of learn() up to the solving checkpoint, minus the time
  spent evaluating (excluded on both sides); building the model is reported apart (setup).

Prints one JSON line:

  {"python": ..., "torch": ..., "sb3": ..., "gymnasium": ..., "numpy": ..., "torch_threads": 2,
   "config": {...}, "process_cpu_s": ..., "runs": [{"seed": 0, "solved": true, "steps": ..., "train_s": ...,
   "eval_s": ..., "setup_s": ..., "total_steps": ..., "total_train_s": ..., "checkpoints": [...]}],
   "error": null}

Usage: peer_sb3.py [--seeds 0,1,2,3,4] [--cap 50000] [--chunk 1000] [--screen 20]
                   [--confirm 100] [--threshold 475] [--torch-threads N]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time

SCREEN_SEED = 10_000
CONFIRM_SEED = 1_000_000

ZOO = dict(
    learning_rate=2.3e-3,
    batch_size=64,
    buffer_size=100_000,
    learning_starts=1000,
    gamma=0.99,
    target_update_interval=10,
    train_freq=256,
    gradient_steps=128,
    exploration_fraction=0.16,
    exploration_final_eps=0.04,
    policy_kwargs=dict(net_arch=[256, 256]),
)


def greedy_returns(model, gymnasium, np, episodes: int, seed: int) -> list[float]:
    """Returns of `episodes` greedy episodes, episode i reset with seed + i."""
    envs = [gymnasium.make("CartPole-v1") for _ in range(episodes)]
    obs = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)])
    returns = [0.0] * episodes
    active = list(range(episodes))
    while active:
        actions, _ = model.policy.predict(obs[active], deterministic=True)
        still = []
        for k, i in enumerate(active):
            o, r, term, trunc, _ = envs[i].step(int(actions[k]))
            returns[i] += float(r)
            obs[i] = o
            if not (term or trunc):
                still.append(i)
        active = still
    for env in envs:
        env.close()
    return returns


def run_seed(seed: int, args, mods) -> dict:
    gymnasium, np, DQN, BaseCallback = mods
    t0 = time.perf_counter()
    env = gymnasium.make("CartPole-v1")
    model = DQN("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **ZOO)
    setup_s = time.perf_counter() - t0

    state = {
        "next_cp": args.chunk,
        "eval_s": 0.0,
        "t_start": None,
        "solved": False,
        "steps": None,
        "train_s": None,
        "checkpoints": [],
        "last_cp_steps": -1,
    }

    def checkpoint(num_timesteps: int) -> bool:
        """Evaluates; returns True when solved. Called with the training clock running."""
        t_cp = time.perf_counter()
        train_s = t_cp - state["t_start"] - state["eval_s"]
        screen = greedy_returns(model, gymnasium, np, args.screen, SCREEN_SEED)
        screen_mean = sum(screen) / len(screen)
        confirm_mean = None
        if screen_mean >= args.threshold:
            confirm = greedy_returns(model, gymnasium, np, args.confirm, CONFIRM_SEED)
            confirm_mean = sum(confirm) / len(confirm)
        state["eval_s"] += time.perf_counter() - t_cp
        state["last_cp_steps"] = num_timesteps
        state["checkpoints"].append(
            {"steps": num_timesteps, "train_s": train_s, "screen": screen_mean, "confirm": confirm_mean}
        )
        if confirm_mean is not None and confirm_mean >= args.threshold:
            state["solved"] = True
            state["steps"] = num_timesteps
            state["train_s"] = train_s
            return True
        return False

    class SolveCallback(BaseCallback):
        def _on_training_start(self) -> None:
            state["t_start"] = time.perf_counter()

        def _on_step(self) -> bool:
            n = self.num_timesteps
            if n >= state["next_cp"] and bool(self.locals["dones"][0]):
                state["next_cp"] = (n // args.chunk + 1) * args.chunk
                if checkpoint(n):
                    return False  # stop learning: solved
            return True

    model.learn(total_timesteps=args.cap, callback=SolveCallback(), progress_bar=False)
    if not state["solved"] and state["last_cp_steps"] < model.num_timesteps:
        checkpoint(model.num_timesteps)  # where learn() stopped (>= cap), mid-episode
    total_train_s = (state["checkpoints"][-1]["train_s"]) if state["checkpoints"] else None
    env.close()
    return {
        "seed": seed,
        "solved": state["solved"],
        "steps": state["steps"],
        "train_s": state["train_s"],
        "eval_s": state["eval_s"],
        "setup_s": setup_s,
        "total_steps": int(model.num_timesteps),
        "total_train_s": total_train_s,
        "checkpoints": state["checkpoints"],
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--cap", type=int, default=50_000, help="env-step budget (the zoo's n_timesteps)")
    p.add_argument("--chunk", type=int, default=1000, help="env steps between checkpoints")
    p.add_argument("--screen", type=int, default=20, help="greedy episodes of the screening evaluation")
    p.add_argument("--confirm", type=int, default=100, help="greedy episodes of the confirming evaluation")
    p.add_argument("--threshold", type=float, default=475.0)
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
        "protocol": {
            "cap": args.cap,
            "chunk": args.chunk,
            "screen": args.screen,
            "confirm": args.confirm,
            "threshold": args.threshold,
            "screen_seed": SCREEN_SEED,
            "confirm_seed": CONFIRM_SEED,
        },
        "runs": [],
        "error": None,
    }
    try:
        import gymnasium
        import numpy as np
        import stable_baselines3
        import torch
        from stable_baselines3 import DQN
        from stable_baselines3.common.callbacks import BaseCallback
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
    mods = (gymnasium, np, DQN, BaseCallback)
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        run = run_seed(seed, args, mods)
        out["runs"].append(run)
        sys.stderr.write(
            f"  SB3 seed {seed}: "
            + (
                f"solved at {run['steps']} steps, {run['train_s']:.1f} s training"
                if run["solved"]
                else f"not solved within {run['total_steps']} steps ({run['total_train_s']:.1f} s training)"
            )
            + f" (+{run['eval_s']:.1f} s evaluating)\n"
        )
        sys.stderr.flush()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["process_cpu_s"] = ru.ru_utime + ru.ru_stime  # all threads, imports included
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
