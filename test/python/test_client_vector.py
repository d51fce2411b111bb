"""gymhost.RemoteVectorEnv against a real server: gymnasium's VectorEnv API and autoreset.

The oracle for autoreset is gymnasium's own SyncVectorEnv over single RemoteEnvs seeded the
same way (copy i of a vector session and a single session seeded seed + i draw the same
episodes): both must give identical observations, rewards and flags step for step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import gymhost


def test_spaces_and_types(address: str) -> None:
    with gymhost.make_vec("CartPole-v1", 8, address=address) as envs:
        assert isinstance(envs, gym.vector.VectorEnv)
        assert envs.num_envs == 8
        assert envs.single_observation_space == gym.make("CartPole-v1").observation_space
        assert envs.single_action_space == gym.spaces.Discrete(2)
        assert envs.action_space == gym.spaces.MultiDiscrete([2] * 8)
        assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
        obs, infos = envs.reset(seed=0)
        assert obs.shape == (8, 4) and obs.dtype == np.float32 and obs in envs.observation_space
        assert infos == {}
        obs, rewards, terminations, truncations, infos = envs.step(envs.action_space.sample())
        assert obs.shape == (8, 4) and obs.dtype == np.float32
        assert rewards.dtype == np.float64 and rewards.shape == (8,)
        assert terminations.dtype == np.bool_ and truncations.dtype == np.bool_
        assert obs.flags.writeable


def test_gridworld_vector_observations_are_int64(address: str) -> None:
    with gymhost.make_vec("GridWorld-v0", 3, address=address, world="small_moat", transport="unary") as envs:
        obs, _ = envs.reset(seed=0)
        assert obs.dtype == np.int64 and obs.tolist() == [0, 0, 0]
        assert obs in envs.observation_space
        obs, rewards, *_ = envs.step([3, 1, 3])
        assert obs.tolist() == [1, 13, 1] and rewards.tolist() == [-1, -1, -1]


@pytest.mark.parametrize("transport", ["stream", "unary"])
def test_next_step_autoreset_matches_sync_vector_env(address: str, transport: str) -> None:
    n = 4
    actions = np.random.default_rng(0).integers(0, 2, size=(300, n))
    remote = gymhost.make_vec("CartPole-v1", n, address=address, transport=transport)
    oracle = gym.vector.SyncVectorEnv([lambda: gymhost.make("CartPole-v1", address=address) for _ in range(n)], autoreset_mode=AutoresetMode.NEXT_STEP)
    try:
        o1, _ = remote.reset(seed=42)
        o2, _ = oracle.reset(seed=42)
        np.testing.assert_array_equal(o1, o2)
        resets = 0
        for a in actions:
            r1 = remote.step(a)
            r2 = oracle.step(a)
            for x, y in zip(r1[:4], r2[:4]):
                np.testing.assert_array_equal(x, y)
            resets += int(np.sum(r1[2] | r1[3]))
        assert resets >= 20  # random actions end CartPole episodes every ~20 steps
    finally:
        remote.close()
        oracle.close()


def test_next_step_autoreset_semantics(address: str) -> None:
    """The step after a copy's episode ended resets it: action ignored, reward 0, flags false."""
    with gymhost.make_vec("CartPole-v1", 2, address=address) as envs:
        envs.reset(seed=0)
        pending = np.zeros(2, dtype=bool)
        checked = 0
        for _ in range(200):
            obs, rewards, terminated, truncated, _ = envs.step(np.zeros(2, dtype=np.int64))  # always left: falls fast
            for i in np.flatnonzero(pending):
                assert rewards[i] == 0.0 and not terminated[i] and not truncated[i]
                assert np.all(np.abs(obs[i]) <= 0.05)  # a fresh start state
                checked += 1
            pending = terminated | truncated
        assert checked >= 10


def test_same_step_autoreset_final_obs(address: str) -> None:
    with gymhost.make_vec("CartPole-v1", 3, address=address, autoreset_mode=AutoresetMode.SAME_STEP) as envs:
        assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
        envs.reset(seed=0)
        seen = 0
        for _ in range(100):
            obs, rewards, terminated, truncated, infos = envs.step(np.ones(3, dtype=np.int64))
            ended = terminated | truncated
            if ended.any():
                assert np.array_equal(infos["_final_obs"], ended)
                for i in np.flatnonzero(ended):
                    final = infos["final_obs"][i]
                    assert final.shape == (4,) and final.dtype == np.float32
                    assert abs(final[2]) > 0.2 or abs(final[0]) > 2.4  # the pole fell / cart left
                    assert np.all(np.abs(obs[i]) <= 0.05)  # already the next episode
                    assert rewards[i] == 1.0
                    seen += 1
            else:
                assert "final_obs" not in infos
        assert seen >= 3


def test_reset_seeds(address: str) -> None:
    with gymhost.make_vec("CartPole-v1", 3, address=address) as envs:
        a, _ = envs.reset(seed=10)
        b, _ = envs.reset(seed=[10, 11, 12])
        np.testing.assert_array_equal(a, b)
        with gymhost.make("CartPole-v1", address=address) as single:
            np.testing.assert_array_equal(single.reset(seed=11)[0], a[1])  # copy i gets seed + i
        with pytest.raises(ValueError, match="seed \\+ i"):
            envs.reset(seed=[1, 5, 9])
        with pytest.raises(ValueError):
            envs.reset(seed=[1, 2])


def test_gymnasium_make_vec_entry_point(address: str) -> None:
    envs = gym.make_vec("gymhost/CartPole-v1", num_envs=5, vectorization_mode="vector_entry_point", address=address)
    try:
        assert isinstance(envs, gymhost.RemoteVectorEnv) and envs.num_envs == 5
        obs, _ = envs.reset(seed=0)
        assert obs.shape == (5, 4)
    finally:
        envs.close()


def test_vector_wrappers(address: str) -> None:
    envs = gym.wrappers.vector.RecordEpisodeStatistics(gymhost.make_vec("CartPole-v1", 4, address=address))
    envs.reset(seed=0)
    episodes = 0
    for _ in range(100):
        _, _, _, _, infos = envs.step(np.zeros(4, dtype=np.int64))
        if "episode" in infos:
            episodes += int(infos["_episode"].sum())
            assert np.all(infos["episode"]["r"][infos["_episode"]] > 0)
    assert episodes >= 4
    envs.close()


def test_render_every_copy(address: str) -> None:
    with gymhost.make_vec("GridWorld-v0", 2, address=address, world="small_maze", render_mode="ansi") as envs:
        envs.reset(seed=0)
        frames = envs.render()
        assert isinstance(frames, tuple) and len(frames) == 2 and all(isinstance(f, str) for f in frames)
        assert envs.render_frame("rgb_array", 1).dtype == np.uint8


def test_close_deletes_the_vector_session(address: str, client) -> None:
    envs = gymhost.make_vec("CartPole-v1", 16, address=address)
    sid = envs.id
    assert sid in {e.id for e in client.list_envs()}
    envs.close()
    envs.close()
    assert sid not in {e.id for e in client.list_envs()}


def test_wrong_actions(address: str) -> None:
    with gymhost.make_vec("CartPole-v1", 4, address=address) as envs:
        envs.reset(seed=0)
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            envs.step([0, 1, 2, 0])
        assert err.value.field == "actions[2]" and err.value.reason == "ACTION_OUT_OF_RANGE"
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            envs.step([0, 1])
        assert err.value.reason == "WRONG_SHAPE"
        envs.step([0, 1, 1, 0])  # the stream goes on after an error
