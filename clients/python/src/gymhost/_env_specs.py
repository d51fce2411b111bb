"""The server's env types as gymnasium's registry and RemoteEnv's metadata need them without a server.

Generated from the env types (src/core/envs/) by `node --import tsx scripts/gen-python-env-specs.ts`;
do not edit. test/unit/python-env-specs.test.ts fails when this file is out of date.
"""

from __future__ import annotations

#: env id -> render_fps (frames per second), max_episode_steps (gymnasium's TimeLimit; None when
#: only the server truncates, its limit depending on the config) and reward_threshold (None: none).
ENV_SPECS: dict[str, dict[str, int | float | None]] = {
    "CartPole-v1": {"render_fps": 50, "max_episode_steps": 500, "reward_threshold": 475.0},
    "GridWorld-v0": {"render_fps": 8, "max_episode_steps": None, "reward_threshold": None},
    "FrozenLake-v1": {"render_fps": 4, "max_episode_steps": 100, "reward_threshold": 0.7},
    "FrozenLake8x8-v1": {"render_fps": 4, "max_episode_steps": 200, "reward_threshold": 0.85},
    "CliffWalking-v1": {"render_fps": 4, "max_episode_steps": None, "reward_threshold": None},
    "Taxi-v4": {"render_fps": 4, "max_episode_steps": 200, "reward_threshold": 8.0},
    "MountainCar-v0": {"render_fps": 30, "max_episode_steps": 200, "reward_threshold": -110.0},
    "Acrobot-v1": {"render_fps": 15, "max_episode_steps": 500, "reward_threshold": -100.0},
}
