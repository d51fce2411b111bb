"""Parity of gymhost's CartPole-v1 (src/core/envs/cartpole.ts) with Gymnasium's.

Gymnasium's RNG cannot be reproduced in TypeScript, so parity is defined on equal start
states and equal action sequences: both sides reset with options {"low": v, "high": v}
(every state component starts at exactly v) and then take the same actions. The TypeScript
side runs in one subprocess (test/parity/cartpole_trajectories.ts) for all trajectories.

Observations must agree to 1e-6 (absolute); rewards, terminated and truncated exactly.

Run: bash scripts/setup-python.sh && .venv/bin/pytest test/python/test_cartpole_parity.py -q
"""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TS_SCRIPT = "test/parity/cartpole_trajectories.ts"
OBS_ATOL = 1e-6

# Physical constants a config may override, as attributes of Gymnasium's CartPoleEnv.
PHYSICS = ("gravity", "masscart", "masspole", "length", "force_mag", "tau")


def balancing_policy(obs: np.ndarray) -> int:
    """Keeps the pole up and the cart near the centre for 500 steps from small starts."""
    x, x_dot, theta, theta_dot = (float(v) for v in obs)
    return int(theta + 0.5 * theta_dot + 0.01 * x + 0.1 * x_dot > 0)


def angle_only_policy(obs: np.ndarray) -> int:
    """Balances the pole but lets the cart drift: from start 0.05 it leaves the track at step 500."""
    return int(float(obs[2]) + 0.5 * float(obs[3]) > 0)


def make_gym_env(config: dict[str, Any]) -> gym.Env:
    kwargs: dict[str, Any] = {}
    if "sutton_barto_reward" in config:
        kwargs["sutton_barto_reward"] = config["sutton_barto_reward"]
    if "max_episode_steps" in config:
        kwargs["max_episode_steps"] = config["max_episode_steps"]
    env = gym.make("CartPole-v1", **kwargs)
    core = env.unwrapped
    if "kinematics_integrator" in config:
        core.kinematics_integrator = config["kinematics_integrator"]
    for name in PHYSICS:
        if name in config:
            setattr(core, name, config[name])
    # Derived constants, computed as CartPoleEnv.__init__ does.
    core.total_mass = core.masspole + core.masscart
    core.polemass_length = core.masspole * core.length
    return env


def gym_trajectory(
    start: float,
    config: dict[str, Any],
    actions: list[int] | None = None,
    policy: Callable[[np.ndarray], int] | None = None,
    policy_steps: int = 0,
    then: list[int] | None = None,
) -> dict[str, Any]:
    """Runs Gymnasium from start state [v, v, v, v]: given actions, or `policy_steps` steps
    of `policy` followed by the actions in `then`. Returns the actions taken too."""
    env = make_gym_env(config)
    obs, _ = env.reset(options={"low": start, "high": start})
    assert obs.dtype == np.float32
    out: dict[str, Any] = {"actions": [], "observations": [obs.tolist()], "rewards": [], "terminated": [], "truncated": []}

    def take(a: int) -> np.ndarray:
        o, r, te, tr, _ = env.step(a)
        out["actions"].append(a)
        out["observations"].append(o.tolist())
        out["rewards"].append(float(r))
        out["terminated"].append(bool(te))
        out["truncated"].append(bool(tr))
        return o

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if policy is not None:
            for _ in range(policy_steps):
                obs = take(policy(obs))
        for a in actions or []:
            obs = take(int(a))
        for a in then or []:
            obs = take(int(a))
    env.close()
    return out


def build_cases() -> list[dict[str, Any]]:
    """Every parity case: a name, the TS run (start, actions, config) and Gymnasium's result."""
    rng = np.random.default_rng(20240611)
    cases: list[dict[str, Any]] = []

    def add(name: str, start: float, config: dict[str, Any], reward_function: str | None = None, **kw: Any) -> None:
        gym_out = gym_trajectory(start, config, **kw)
        run: dict[str, Any] = {"start": start, "actions": gym_out["actions"], "config": config}
        if reward_function is not None:
            run["reward_function"] = reward_function
        cases.append({"name": name, "run": run, "gym": gym_out})

    # Random action sequences: long enough to run past termination (random play falls within
    # ~10-40 steps), so post-termination physics and rewards are compared as well.
    fixed_starts = [0.0, 0.05, -0.05, 0.0499, -0.0499, 0.001]
    configs: list[dict[str, Any]] = [
        {},
        {"kinematics_integrator": "semi-implicit"},
        {"sutton_barto_reward": True},
        {"kinematics_integrator": "semi-implicit", "sutton_barto_reward": True},
        {"max_episode_steps": 15},
        {"gravity": 5.0, "masscart": 1.5, "masspole": 0.2, "length": 0.8, "force_mag": 15.0, "tau": 0.01},
    ]
    for k in range(24):
        start = fixed_starts[k] if k < len(fixed_starts) else float(rng.uniform(-0.05, 0.05))
        actions = rng.integers(0, 2, size=int(rng.integers(30, 80))).tolist()
        config = configs[k % len(configs)]
        add(f"random-{k:02d}", start, config, actions=actions)

    # A policy that balances for the whole episode: truncated at step 500 with return 500,
    # then three more steps (TimeLimit keeps reporting truncated).
    for integrator in ("euler", "semi-implicit"):
        for start in (0.01, -0.03):
            add(f"balanced-{integrator}-{start}", start, {"kinematics_integrator": integrator},
                policy=balancing_policy, policy_steps=500, then=[1, 0, 1])
    add("balanced-sutton-barto", 0.02, {"sutton_barto_reward": True}, policy=balancing_policy, policy_steps=500)

    # Terminated and truncated on the same step (the cart leaves the track at step 500).
    add("terminated-and-truncated", 0.05, {}, policy=angle_only_policy, policy_steps=500)

    # Steps after termination: pushing right until long after the pole fell.
    for cfg in ({}, {"sutton_barto_reward": True}, {"kinematics_integrator": "semi-implicit"}):
        add(f"post-termination-{json.dumps(cfg)}", 0.0, cfg, actions=[1] * 60)
    # The reward function `sutton_barto` chosen explicitly (config flag false) pays what
    # Gymnasium pays with sutton_barto_reward=True.
    sutton = gym_trajectory(0.0, {"sutton_barto_reward": True}, actions=[1] * 60)
    cases.append({"name": "reward-function-sutton-barto", "gym": sutton,
                  "run": {"start": 0.0, "actions": sutton["actions"], "config": {}, "reward_function": "sutton_barto"}})

    # After termination the state can re-enter the bounds: Gymnasium then reports
    # terminated=False and pays 1 (gymnasium) / 0 (sutton_barto) again.
    for cfg in ({"max_episode_steps": 1000}, {"max_episode_steps": 1000, "sutton_barto_reward": True}):
        add(f"re-enter-{json.dumps(cfg)}", 0.05, cfg, policy=angle_only_policy, policy_steps=500, then=[0] * 40)
    return cases


CASES = build_cases()


@pytest.fixture(scope="module")
def ts_output() -> dict[str, Any]:
    runs = [c["run"] for c in CASES]
    proc = subprocess.run(
        ["node", "--import", "tsx", TS_SCRIPT],
        input=json.dumps(runs),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"{TS_SCRIPT} failed:\n{proc.stderr}"
    out = json.loads(proc.stdout)
    assert len(out["trajectories"]) == len(runs)
    return out


def test_case_coverage() -> None:
    assert sum(c["name"].startswith("random-") for c in CASES) >= 20
    # The cases really exercise what they claim to.
    by_name = {c["name"]: c["gym"] for c in CASES}
    for name, g in by_name.items():
        if name.startswith("balanced-"):
            assert len(g["rewards"]) >= 500
            assert not any(g["terminated"][:500])
            assert g["truncated"][499] and not any(g["truncated"][:499])
            expected = 0.0 if "sutton" in name else 500.0
            assert sum(g["rewards"][:500]) == expected
        if name.startswith("balanced-") and len(g["truncated"]) > 500:
            assert all(g["truncated"][500:])
    both = by_name["terminated-and-truncated"]
    assert both["terminated"][499] and both["truncated"][499]
    post = by_name["post-termination-{}"]
    first = post["terminated"].index(True)
    assert post["rewards"][first] == 1.0 and post["rewards"][first + 1] == 0.0
    reenter = by_name['re-enter-{"max_episode_steps": 1000}']
    assert reenter["terminated"][499]
    assert not all(reenter["terminated"][500:]), "the re-entry case should come back inside the bounds"
    assert any(any(g["terminated"]) for n, g in by_name.items() if n.startswith("random-"))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c["name"] for c in CASES])
def test_trajectory_matches_gymnasium(index: int, ts_output: dict[str, Any]) -> None:
    case = CASES[index]
    g = case["gym"]
    t = ts_output["trajectories"][index]
    n = len(case["run"]["actions"])
    assert len(t["observations"]) == n + 1
    ts_obs = np.asarray(t["observations"], dtype=np.float64)
    gym_obs = np.asarray(g["observations"], dtype=np.float64)
    assert np.all(np.isfinite(ts_obs))
    worst = np.max(np.abs(ts_obs - gym_obs), axis=1)
    bad = np.flatnonzero(worst > OBS_ATOL)
    assert bad.size == 0, (
        f"observation differs first after step {bad[0]}: ts={ts_obs[bad[0]].tolist()} gym={gym_obs[bad[0]].tolist()}"
    )
    assert t["rewards"] == g["rewards"]
    assert t["terminated"] == g["terminated"]
    assert t["truncated"] == g["truncated"]
    # gymhost reports a warning in info for every step taken after termination (Gymnasium logs one).
    expected_warnings = []
    seen_termination = False
    for te in g["terminated"]:
        expected_warnings.append(seen_termination)
        seen_termination = seen_termination or te
    assert t["warnings"] == expected_warnings


def test_spaces_match_gymnasium(ts_output: dict[str, Any]) -> None:
    env = gym.make("CartPole-v1")
    space = ts_output["observation_space"]
    assert space["kind"] == "box" and space["shape"] == [4] and space["dtype"] == "float32"
    # Bounds are float32 values; the TS side prints infinities as strings.
    assert [float(v) for v in space["high"]] == env.observation_space.high.astype(np.float64).tolist()
    assert [float(v) for v in space["low"]] == env.observation_space.low.astype(np.float64).tolist()
    assert ts_output["action_space"] == {"kind": "discrete", "n": int(env.action_space.n), "start": int(env.action_space.start)}
    assert env.spec is not None
    assert ts_output["max_episode_steps"] == env.spec.max_episode_steps
    assert ts_output["reward_threshold"] == env.spec.reward_threshold
