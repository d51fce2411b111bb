#!/usr/bin/env python3
"""The course notes' Q-learning loop, verbatim, with a remote tabular agent on a remote gridworld.

The notes' loop calls ``simulator.reset()``, ``choose_action(state)``, ``simulator.step(action)``
and ``update_Q(state, next_state, action, reward, done)``. Here the simulator is a gymhost
GridWorld-v0 session (the seed's small maze, random start cells, rewards goal 0 / hazard -200
/ other -1) wrapped in gymhost.SeedSimulator, and choose_action / update_Q are the methods of
a tabular agent hosted by the server (preset ``seed-tabular-gridworld``: alpha 1, gamma 0.8,
p = 0.2). Only the lines around the loop are new.

    python seed_loop_gridworld.py --address 127.0.0.1:50051 --episodes 500 \
        --animate run.html --plot history.png
"""

from __future__ import annotations

import argparse
import copy
import time

import gymhost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default=None, help="gymhost gRPC address (default $GYMHOST_ADDRESS or 127.0.0.1:50051)")
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--animate", metavar="FILE", help="save a greedy run as .html or .gif")
    parser.add_argument("--plot", metavar="FILE", help="save the history of total episode rewards (.png, needs matplotlib)")
    args = parser.parse_args(argv)
    # Check the extras the end of the run needs before the training, not after it.
    try:
        gymhost.require_plotting(matplotlib=bool(args.plot), pillow=bool(args.animate and args.animate.lower().endswith(".gif")))
    except ImportError as err:
        parser.error(str(err))

    preset = gymhost.presets(address=args.address)["seed-tabular-gridworld"]
    env = preset.make_env(address=args.address)  # small_maze, random_start, the seed's rewards
    agent = gymhost.Agent(preset=preset.name, env=env, seed=args.seed)
    simulator = gymhost.SeedSimulator(env, seed=args.seed)
    choose_action = agent.choose_action
    update_Q = agent.update_Q
    print(f"{env}: {agent}, config {agent.config}")

    started = time.perf_counter()
    for e in range(args.episodes):
        # ---- the notes' loop, verbatim --------------------------------------------------------
        # create random initial state for this episode
        state = simulator.reset()

        # start episode simulation
        total_reward = 0
        done = False
        while done == False:  # noqa: E712
            # choose next action
            action = choose_action(state)

            # transition to next state, get associated reward
            next_state, reward, done = simulator.step(action)

            # update Q function
            update_Q(state, next_state, action, reward, done)

            # update total reward from this episode
            total_reward += reward

            # update current state
            state = copy.deepcopy(next_state)
        # ---- end of the loop ------------------------------------------------------------------
        agent.end_episode(total_reward, simulator.steps)
        if (e + 1) % max(1, args.episodes // 10) == 0 or e + 1 == args.episodes:
            print(f"episode {e + 1}: total reward {total_reward:g} in {simulator.steps} steps")

    history = agent.history()
    elapsed = time.perf_counter() - started
    print(f"trained {len(history)} episodes ({int(history.lengths.sum())} steps) in {elapsed:.1f} s")
    result = agent.evaluate(episodes=args.eval_episodes, seed=0)
    print(f"greedy evaluation over {args.eval_episodes} episodes: mean {result.mean_reward:.2f}, min {result.min_reward:g}, max {result.max_reward:g}")
    if args.animate:
        anim = gymhost.animate_run(env, agent, seed=0)
        print(f"animation: {anim} -> {anim.save(args.animate)}")
    if args.plot:
        ax = gymhost.plot_history(agent, title="seed's tabular Q on small_maze (remote)")
        ax.figure.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"plot -> {args.plot}")
    agent.close()
    env.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
