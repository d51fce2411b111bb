"""Same seed, same episode as Gymnasium: gymhost's CartPole-v1 draws its start states from
NumPy's PCG64 generator seeded as Gymnasium seeds `env.np_random` (SeedSequence(seed)), so
`reset(seed=s)`, the unseeded resets after it and whole episodes agree with the real
`gymnasium` package, for single sessions and for vector sessions (copy i seeded with s + i,
as Gymnasium's SyncVectorEnv and SB3's DummyVecEnv do)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import gymhost

SEEDS = [*range(0, 40), 123, 4096, 2**31 - 1, 2**32 + 7, 987_654_321_012]


def test_seeded_and_following_resets_equal_gymnasium(address: str) -> None:
    local = gym.make("CartPole-v1")
    with gymhost.make("CartPole-v1", address=address) as remote:
        for seed in SEEDS:
            expected, _ = local.reset(seed=seed)
            got, _ = remote.reset(seed=seed)
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected, err_msg=f"reset(seed={seed})")
            for k in range(3):
                np.testing.assert_array_equal(remote.reset()[0], local.reset()[0], err_msg=f"unseeded reset {k + 1} after seed {seed}")


def test_create_time_seed_is_the_first_resets_seed(address: str) -> None:
    for seed in (0, 17, 2**40):
        with gymhost.make("CartPole-v1", address=address, seed=seed) as remote:
            np.testing.assert_array_equal(remote.reset()[0], gym.make("CartPole-v1").reset(seed=seed)[0])


@pytest.mark.parametrize("seed", [0, 1, 7, 2024])
def test_whole_episodes_with_random_actions_equal_gymnasium(address: str, seed: int) -> None:
    """Episodes from reset(seed) with the same random actions: the same observations (to
    1e-6: the platforms' sin/cos may differ in the last bit), rewards and endings, through
    unseeded resets."""
    actions = np.random.default_rng(seed + 1000)
    local = gym.make("CartPole-v1")
    with gymhost.make("CartPole-v1", address=address) as remote:
        o_local, _ = local.reset(seed=seed)
        o_remote, _ = remote.reset(seed=seed)
        for episode in range(3):
            if episode > 0:
                o_local, _ = local.reset()
                o_remote, _ = remote.reset()
            np.testing.assert_array_equal(o_remote, o_local)
            for _ in range(500):
                a = int(actions.integers(2))
                o_local, r_local, term_local, trunc_local, _ = local.step(a)
                o_remote, r_remote, term_remote, trunc_remote, _ = remote.step(a)
                np.testing.assert_allclose(o_remote, o_local, atol=1e-6, rtol=0)
                assert (r_remote, term_remote, trunc_remote) == (r_local, term_local, trunc_local)
                if term_local or trunc_local:
                    break


@pytest.mark.parametrize("num_envs", [1, 3, 8])
def test_vector_copies_are_seeded_seed_plus_i_as_sync_vector_env(address: str, num_envs: int) -> None:
    local = gym.make_vec("CartPole-v1", num_envs=num_envs, vectorization_mode="sync")
    with gymhost.make_vec("CartPole-v1", num_envs=num_envs, address=address) as remote:
        for seed in (0, 5, 99):
            expected, _ = local.reset(seed=seed)
            got, _ = remote.reset(seed=seed)
            np.testing.assert_array_equal(got, expected, err_msg=f"make_vec reset(seed={seed})")
        # Unseeded vector resets continue each copy's own stream.
        np.testing.assert_array_equal(remote.reset()[0], local.reset()[0])
        # Steps with autoreset (NEXT_STEP on both sides) keep them equal through episode ends.
        rng = np.random.default_rng(num_envs)
        for _ in range(300):
            a = rng.integers(0, 2, size=num_envs)
            o_local, r_local, term_local, trunc_local, _ = local.step(a)
            o_remote, r_remote, term_remote, trunc_remote, _ = remote.step(a)
            np.testing.assert_allclose(o_remote, o_local, atol=1e-6, rtol=0)
            np.testing.assert_array_equal(r_remote, r_local)
            np.testing.assert_array_equal(term_remote, term_local)
            np.testing.assert_array_equal(trunc_remote, trunc_local)


def test_registered_specs_carry_gymnasiums_fields(address: str) -> None:
    """gymnasium.make("gymhost/CartPole-v1") has CartPole-v1's spec fields, and a balancing
    policy's episode ends truncated on step 500 exactly as gymnasium's own does."""
    ours, theirs = gym.spec("gymhost/CartPole-v1"), gym.spec("CartPole-v1")
    assert (ours.max_episode_steps, ours.reward_threshold) == (theirs.max_episode_steps, theirs.reward_threshold) == (500, 475.0)
    with gymhost.connect(address) as client:
        served = {t.id: t for t in client.list_env_types().env_types}
    assert served["CartPole-v1"].max_episode_steps == ours.max_episode_steps
    assert served["CartPole-v1"].reward_threshold == ours.reward_threshold
    # GridWorld's limit depends on its layout: the server truncates, gym.make adds no TimeLimit.
    assert gym.spec("gymhost/GridWorld-v0").max_episode_steps is None
    assert not served["GridWorld-v0"].HasField("reward_threshold") and gym.spec("gymhost/GridWorld-v0").reward_threshold is None

    local = gym.make("CartPole-v1")
    remote = gym.make("gymhost/CartPole-v1", address=address)
    try:
        o_local, _ = local.reset(seed=3)
        o_remote, _ = remote.reset(seed=3)
        for t in range(1, 501):
            a = int(o_local[2] + 0.5 * o_local[3] > 0)
            o_local, r_local, term_local, trunc_local, _ = local.step(a)
            o_remote, r_remote, term_remote, trunc_remote, _ = remote.step(a)
            np.testing.assert_allclose(o_remote, o_local, atol=1e-6, rtol=0)
            assert (r_remote, term_remote, trunc_remote) == (r_local, term_local, trunc_local)
            if term_local or trunc_local:
                break
        assert (t, trunc_local, term_local) == (500, True, False)
    finally:
        remote.close()
