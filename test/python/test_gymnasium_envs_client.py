"""The Gymnasium ports played through the server: gymhost.make / make_vec against gymnasium's
own env (gym.make, SyncVectorEnv), step for step from the same seeds, and the registered
gymhost/<id> specs against gymnasium's."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import gymhost

ENVS = ["FrozenLake-v1", "FrozenLake8x8-v1", "CliffWalking-v1", "Taxi-v4", "MountainCar-v0", "Acrobot-v1"]
TOY_TEXT = {"FrozenLake-v1", "FrozenLake8x8-v1", "CliffWalking-v1", "Taxi-v4"}


def same_obs(got: Any, want: Any, what: str) -> None:
    # Discrete states must be equal; float32 observations may differ in the last bit of sin/cos.
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), atol=1e-6, rtol=0, err_msg=what)


def test_registered_specs_are_gymnasiums() -> None:
    for env_id in ENVS:
        ours, theirs = gym.spec(f"gymhost/{env_id}"), gym.spec(env_id)
        assert (ours.max_episode_steps, ours.reward_threshold) == (theirs.max_episode_steps, theirs.reward_threshold), env_id


@pytest.mark.parametrize("env_id", ENVS)
def test_single_env_matches_gymnasium_step_for_step(address: str, env_id: str) -> None:
    local = gym.make(env_id)
    rng = np.random.default_rng(1)
    with gymhost.make(env_id, address=address) as remote:
        for seed in (0, 7):
            o_remote, i_remote = remote.reset(seed=seed)
            o_local, i_local = local.reset(seed=seed)
            same_obs(o_remote, o_local, f"{env_id} reset(seed={seed})")
            for t in range(300):
                a = int(rng.integers(0, local.action_space.n))
                o_local, r_local, term_local, trunc_local, i_local = local.step(a)
                o_remote, r_remote, term_remote, trunc_remote, i_remote = remote.step(a)
                same_obs(o_remote, o_local, f"{env_id} seed {seed} step {t}")
                assert (r_remote, term_remote, trunc_remote) == (r_local, term_local, trunc_local), f"{env_id} seed {seed} step {t}"
                if env_id in TOY_TEXT:
                    assert i_remote["prob"] == pytest.approx(i_local["prob"], abs=1e-12)
                if "action_mask" in i_local:
                    np.testing.assert_array_equal(np.asarray(i_remote["action_mask"]), i_local["action_mask"])
                if term_local or trunc_local:
                    break
            # Unseeded resets continue the copy's own generator on both sides.
            same_obs(remote.reset()[0], local.reset()[0], f"{env_id} unseeded reset")


@pytest.mark.parametrize("env_id", ENVS)
def test_vector_env_matches_sync_vector_env(address: str, env_id: str) -> None:
    num_envs = 3
    # 520 steps: past the 500-step limit of Acrobot; CliffWalking has no limit and may not end.
    local = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync")
    rng = np.random.default_rng(2)
    with gymhost.make_vec(env_id, num_envs=num_envs, address=address) as remote:
        same_obs(remote.reset(seed=11)[0], local.reset(seed=11)[0], f"{env_id} reset")
        ended = 0
        for t in range(520):
            a = rng.integers(0, local.single_action_space.n, size=num_envs)
            o_local, r_local, term_local, trunc_local, _ = local.step(a)
            o_remote, r_remote, term_remote, trunc_remote, _ = remote.step(a)
            same_obs(o_remote, o_local, f"{env_id} step {t}")
            np.testing.assert_array_equal(r_remote, r_local)
            np.testing.assert_array_equal(term_remote, term_local)
            np.testing.assert_array_equal(trunc_remote, trunc_local)
            ended += int(np.sum(term_local | trunc_local))
        local.close()
    if env_id != "CliffWalking-v1":
        assert ended > 0, "autoreset was exercised"


def test_shaped_reward_and_render_through_the_client(address: str) -> None:
    with gymhost.make("MountainCar-v0", address=address, reward_function="energy", render_mode="rgb_array") as env:
        env.reset(seed=0)
        _, r, *_ = env.step(2)
        assert r != -1.0
        frame = env.render()
        assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
    with gymhost.make("Taxi-v4", address=address, render_mode="ansi") as env:
        env.reset(seed=0)
        assert "+---------+" in env.render()
