#!/usr/bin/env python3
"""The course notes' deep Q-learning loop, verbatim, with a remote DQN agent on a remote CartPole.

The loop is the one of the tabular notes ("the Pythonic code for the inner loop doesn't
change"); what changes is inside update_Q, which here is the server's DQN (preset
``seed-dqn-cartpole``: MLP [50, 50] ReLU, RMSprop 1e-2, gamma 1, least squares with phantom
outputs, fitted Q after every episode over a memory of episodes, the per-episode Theta^- for
targets and greedy actions, reward -100 when the pole falls). ``agent.end_episode`` after
the loop runs the fitted-Q update and the target sync.

    python seed_loop_cartpole.py --address 127.0.0.1:50051 --episodes 300 --animate run.html
"""

from __future__ import annotations

import argparse
import copy
import time

import gymhost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--address", default=None, help="gymhost gRPC address (default $GYMHOST_ADDRESS or 127.0.0.1:50051)")
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--animate", metavar="FILE", help="save a greedy run as .html or .gif")
    parser.add_argument("--plot", metavar="FILE", help="save the history of total episode rewards (.png, needs matplotlib)")
    args = parser.parse_args(argv)
    # Check the extras the end of the run needs before the training, not after it.
    try:
        gymhost.require_plotting(matplotlib=bool(args.plot), pillow=bool(args.animate and args.animate.lower().endswith(".gif")))
    except ImportError as err:
        parser.error(str(err))

    preset = gymhost.presets(address=args.address)["seed-dqn-cartpole"]
    env = preset.make_env(address=args.address, stream=True)  # CartPole-v1 with the -100 failure reward
    agent = gymhost.Agent(preset=preset.name, env=env, seed=args.seed)
    simulator = gymhost.SeedSimulator(env, seed=args.seed)
    choose_action = agent.choose_action
    update_Q = agent.update_Q
    print(f"{env} (reward {env.reward_function} {env.reward_params}): {agent}")

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
        end = agent.end_episode(total_reward, simulator.steps)
        if (e + 1) % max(1, args.episodes // 10) == 0 or e + 1 == args.episodes:
            print(f"episode {e + 1}: {simulator.steps} steps, total reward {total_reward:g}, epsilon {end.epsilon:.3f}")

    history = agent.history()
    print(f"trained {len(history)} episodes ({int(history.lengths.sum())} steps) in {time.perf_counter() - started:.1f} s")
    result = agent.evaluate(episodes=args.eval_episodes, seed=0)
    print(f"greedy evaluation over {args.eval_episodes} episodes: mean length {result.lengths.mean():.1f}, mean reward {result.mean_reward:.1f}")
    if args.animate:
        anim = gymhost.animate_run(env, agent, seed=0)
        print(f"animation: {anim} -> {anim.save(args.animate)}")
    if args.plot:
        ax = gymhost.plot_history(agent, title="the seed's cartpole DQN (remote)")
        ax.figure.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"plot -> {args.plot}")
    agent.close()
    env.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
