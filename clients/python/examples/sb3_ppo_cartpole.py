#!/usr/bin/env python3
"""Stable-Baselines3 PPO trained on 8 remote CartPole-v1 copies (one gymhost vector session).

Needs the ``sb3`` extra: ``pip install "./clients/python[sb3]"`` (PyTorch + stable-baselines3).
``gymhost.sb3_vec_env`` is an SB3 VecEnv: each PPO step is one StepBatch call for all 8 copies,
with SB3's autoreset conventions (terminal_observation, TimeLimit.truncated). VecMonitor adds
SB3's episode statistics. The hyperparameters are rl-baselines3-zoo's tuned CartPole-v1 PPO
(8 envs, n_steps 32, 20 epochs, linear schedules), which reaches 500 within 5e4 steps.

    python sb3_ppo_cartpole.py --address 127.0.0.1:50051 --steps 50000 --seed 0
"""

from __future__ import annotations

import argparse
import time

import gymhost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default=None, help="gymhost gRPC address (default $GYMHOST_ADDRESS or 127.0.0.1:50051)")
    parser.add_argument("--steps", type=int, default=50_000, help="training budget in environment steps (all copies)")
    parser.add_argument("--n-envs", type=int, default=8, help="copies in the vector session")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--torch-threads", type=int, default=1, help="PyTorch CPU threads (1: the same numbers on every machine)")
    args = parser.parse_args(argv)
    # Check the extra before connecting or training, not after.
    try:
        gymhost.require_sb3()
    except ImportError as err:
        parser.error(str(err))

    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecMonitor

    torch.set_num_threads(args.torch_threads)
    env = VecMonitor(gymhost.sb3_vec_env("CartPole-v1", n_envs=args.n_envs, seed=args.seed, address=args.address))
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=32,
        batch_size=256,
        gae_lambda=0.8,
        gamma=0.98,
        n_epochs=20,
        ent_coef=0.0,
        learning_rate=lambda progress: 1e-3 * progress,
        clip_range=lambda progress: 0.2 * progress,
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    started = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    elapsed = time.perf_counter() - started
    steps = model.num_timesteps
    print(f"trained SB3 PPO for {steps} remote steps ({args.n_envs} copies) in {elapsed:.1f} s ({steps / elapsed:,.0f} steps/s including learning)")
    env.close()

    # A fresh session for the evaluation, seeded apart from the training's seeds.
    eval_env = VecMonitor(gymhost.sb3_vec_env("CartPole-v1", n_envs=min(args.n_envs, args.eval_episodes), seed=1_000_000 + args.seed, address=args.address))
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=args.eval_episodes, deterministic=True)
    eval_env.close()
    print(f"greedy evaluation over {args.eval_episodes} episodes: mean reward {mean:.1f} +- {std:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
