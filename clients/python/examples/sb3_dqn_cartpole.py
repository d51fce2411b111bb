#!/usr/bin/env python3
"""Stable-Baselines3 DQN trained on a remote CartPole-v1 (a gymhost RemoteEnv).

Needs the ``sb3`` extra: ``pip install "./clients/python[sb3]"`` (PyTorch + stable-baselines3). The
hyperparameters are rl-baselines3-zoo's tuned CartPole-v1 DQN, which reaches 500 in 5e4
steps. SB3 sees an ordinary gymnasium.Env: its own env checker passes, and the env steps
over a StepStream.

    python sb3_dqn_cartpole.py --address 127.0.0.1:50051 --steps 50000 --animate run.html
"""

from __future__ import annotations

import argparse
import time

import gymhost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default=None, help="gymhost gRPC address (default $GYMHOST_ADDRESS or 127.0.0.1:50051)")
    parser.add_argument("--steps", type=int, default=50_000, help="training budget in environment steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--animate", metavar="FILE", help="save a greedy run as .html or .gif")
    args = parser.parse_args(argv)

    try:
        from stable_baselines3 import DQN
        from stable_baselines3.common.env_checker import check_env
        from stable_baselines3.common.evaluation import evaluate_policy
        from stable_baselines3.common.monitor import Monitor
    except ImportError:
        raise SystemExit('this example needs Stable-Baselines3: pip install "./clients/python[sb3]"') from None

    env = gymhost.make("CartPole-v1", address=args.address, stream=True)
    check_env(env)  # SB3's own checker
    model = DQN(
        "MlpPolicy",
        env,
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=min(1000, args.steps // 2),
        gamma=0.99,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=128,
        exploration_fraction=0.16,
        exploration_final_eps=0.04,
        policy_kwargs={"net_arch": [256, 256]},
        seed=args.seed,
        verbose=0,
    )
    started = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    elapsed = time.perf_counter() - started
    print(f"trained SB3 DQN for {args.steps} remote steps in {elapsed:.1f} s ({args.steps / elapsed:,.0f} steps/s including learning)")
    mean, std = evaluate_policy(model, Monitor(env), n_eval_episodes=args.eval_episodes, deterministic=True)
    print(f"greedy evaluation over {args.eval_episodes} episodes: mean reward {mean:.1f} +- {std:.1f}")
    if args.animate:
        anim = gymhost.animate_run(env, model, seed=0)
        print(f"animation: {anim} -> {anim.save(args.animate)}")
    env.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
