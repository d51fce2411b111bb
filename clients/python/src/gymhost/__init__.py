"""gymhost: the Python client of a gymhost server.

Remote environments are real ``gymnasium.Env`` objects, vector sessions real
``gymnasium.vector.VectorEnv`` objects, and hosted Q-learning agents are :class:`Agent`::

    import gymhost

    env = gymhost.make("CartPole-v1", address="127.0.0.1:50051")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(1)
    env.close()

    envs = gymhost.make_vec("CartPole-v1", num_envs=1024)   # one StepBatch per step
    agent = gymhost.Agent(preset="seed-tabular-gridworld", env=...)

Importing gymhost also registers ``gymhost/CartPole-v1`` and ``gymhost/GridWorld-v0`` with
gymnasium, so ``gymnasium.make("gymhost/CartPole-v1", address=...)`` and
``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")`` work too.
"""

from __future__ import annotations

import gymnasium as _gym

from ._env_specs import ENV_SPECS as _ENV_SPECS
from .agent import Agent, EpisodeRecord, EvaluateResult, ExportedAgent, History, Preset, RunCheckpoint, RunEvaluation, TrainingRun, TrainSummary, presets
from .animation import Animation, animate_run
from .client import DEFAULT_ADDRESS, Client, StepStream, connect
from .env import RemoteEnv, SeedSimulator, make
from .errors import (
    AlreadyExistsError,
    CancelledError,
    DeadlineExceededError,
    FailedPreconditionError,
    GymhostError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnknownError,
)
from .plots import plot_history, require_plotting
from .sb3 import require_sb3, sb3_vec_env
from .vector import RemoteVectorEnv, make_vec

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ADDRESS",
    "Agent",
    "AlreadyExistsError",
    "Animation",
    "CancelledError",
    "Client",
    "DeadlineExceededError",
    "EpisodeRecord",
    "EvaluateResult",
    "ExportedAgent",
    "FailedPreconditionError",
    "GymhostError",
    "History",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "Preset",
    "RemoteEnv",
    "RemoteVectorEnv",
    "ResourceExhaustedError",
    "RunCheckpoint",
    "RunEvaluation",
    "SeedSimulator",
    "StepStream",
    "TrainSummary",
    "TrainingRun",
    "UnauthenticatedError",
    "UnavailableError",
    "UnknownError",
    "animate_run",
    "connect",
    "make",
    "make_vec",
    "plot_history",
    "require_plotting",
    "require_sb3",
    "presets",
    "sb3_vec_env",
]

# gymnasium.make("gymhost/<id>", address=...) and make_vec(..., "vector_entry_point") for every
# env type of the server, with Gymnasium's spec fields. Registration happens at import, before
# there is a server to ask, so the ids and fields come from _env_specs.py, a table generated
# from the server's env types (scripts/gen-python-env-specs.ts; a test fails when it is stale):
# CartPole-v1 as gymnasium registers it (gym.make wraps it in TimeLimit(500), which ends
# episodes on the same step as the server's own limit); GridWorld's limit depends on the layout
# (5 x width x height unless config max_episode_steps says otherwise), so it has no fixed
# TimeLimit: the server truncates it.
for _env_id, _spec in _ENV_SPECS.items():
    if f"gymhost/{_env_id}" not in _gym.registry:
        _gym.register(
            id=f"gymhost/{_env_id}",
            entry_point="gymhost.env:RemoteEnv",
            vector_entry_point="gymhost.vector:RemoteVectorEnv",
            kwargs={"env_id": _env_id},
            nondeterministic=False,
            max_episode_steps=_spec["max_episode_steps"],
            reward_threshold=_spec["reward_threshold"],
        )
