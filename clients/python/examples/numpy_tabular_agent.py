#!/usr/bin/env python3
"""A student's own tabular Q-learning agent in NumPy, stepping a remote gridworld.

The agent is the notes' code (a Q table, ``choose_action`` with exploration probability p,
``update_Q``); only the environment is remote: a gymhost GridWorld-v0 session that is a
plain ``gymnasium.Env`` (``reset`` -> ``(state, info)``, ``step`` -> ``(next_state, reward,
terminated, truncated, info)``). The env runs over a StepStream (``stream=True``).

    python numpy_tabular_agent.py --address 127.0.0.1:50051 --episodes 500 --world small_maze
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import gymhost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default=None, help="gymhost gRPC address (default $GYMHOST_ADDRESS or 127.0.0.1:50051)")
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--world", default="small_maze")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validation-episodes", type=int, default=100)
    args = parser.parse_args(argv)
    np.random.seed(args.seed)

    env = gymhost.make("GridWorld-v0", address=args.address, world=args.world, random_start=True, stream=True)
    num_states = env.observation_space.n
    num_actions = env.action_space.n
    gamma = 0.8  # discount
    p = 0.2  # exploration probability
    Q = np.zeros((num_states, num_actions))

    # update Q function
    def update_Q(state, next_state, action, reward, done):
        q_update = reward
        if done == False:  # noqa: E712
            q_update += gamma * max(Q[next_state][:])
        Q[state][action] = q_update

    # exploration-exploitation action selection
    def choose_action(state):
        r = np.random.rand(1)
        if r > p:  # choose action based on Q (exploit)
            action = np.argmax(Q[state, :])
        else:  # choose random action (explore)
            action = np.random.permutation(num_actions)[0]
        return action

    history = []
    started = time.perf_counter()
    steps = 0
    for e in range(args.episodes):
        state, info = env.reset(seed=args.seed if e == 0 else None)
        total_reward = 0.0
        done = False
        while not done:
            action = choose_action(state)
            next_state, reward, terminated, truncated, info = env.step(action)
            update_Q(state, next_state, action, reward, terminated)  # truncation bootstraps
            total_reward += reward
            state = next_state
            steps += 1
            done = terminated or truncated
        history.append(total_reward)
        if (e + 1) % max(1, args.episodes // 10) == 0:
            print(f"episode {e + 1}: total reward {total_reward:g}, mean of the last 50 {np.mean(history[-50:]):.1f}")
    elapsed = time.perf_counter() - started
    print(f"{steps} remote steps in {elapsed:.1f} s ({steps / elapsed:,.0f} steps/s)")

    # validation: greedy episodes from random starts
    returns = []
    for v in range(args.validation_episodes):
        state, _ = env.reset(seed=10_000 + v)
        total, done = 0.0, False
        while not done:
            state, reward, terminated, truncated, _ = env.step(int(np.argmax(Q[state])))
            total += reward
            done = terminated or truncated
        returns.append(total)
    print(f"greedy validation over {args.validation_episodes} episodes: mean total reward {np.mean(returns):.2f}")
    env.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
