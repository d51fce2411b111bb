"""DeepMind's own dm_env_rpc client (the `dm-env-rpc` package: connection and dm_env_adaptor)
driving gymhost's dm_env_rpc.v1.Environment service unchanged.

CartPole-v1 episodes from a seed equal `gymnasium.make("CartPole-v1")` reset with the same
seed: the same first observations, then the same observations (to 1e-6: the platforms'
sin/cos may differ in the last bit), rewards and endings for the same actions, through
several episodes; termination is a LAST step with discount 0, truncation at 500 steps a LAST
step with discount 1. A GridWorld episode equals the same episode through gymhost's own
client. Errors arrive as DmEnvRpcError and the connection goes on; the token goes in the
connection's metadata, and another user's world is NOT_FOUND.
"""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dm_env
import grpc
import gymnasium as gym
import numpy as np
import pytest
from dm_env import specs as dm_specs
from dm_env_rpc.v1 import connection as dm_connection
from dm_env_rpc.v1 import dm_env_adaptor, dm_env_rpc_pb2, error, tensor_utils

import gymhost

from conftest import REPO_ROOT, start_server

OBS_ATOL = 1e-6
# google.rpc.Code values.
INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, UNIMPLEMENTED = 3, 5, 9, 12


@contextmanager
def dm_connect(address: str, token: str | None = None) -> Iterator[dm_connection.Connection]:
    """A dm_env_rpc Connection over a plain channel (the token, if any, as Bearer metadata)."""
    channel = grpc.insecure_channel(address)
    metadata = [("authorization", f"Bearer {token}")] if token else None
    conn = dm_connection.Connection(channel, metadata=metadata)
    try:
        yield conn
    finally:
        conn.close()
        channel.close()


@contextmanager
def world(conn: dm_connection.Connection, **settings) -> Iterator[dm_env_adaptor.DmEnvAdaptor]:
    """create_and_join_world with `settings`; leaves and destroys the world afterwards."""
    env, name = dm_env_adaptor.create_and_join_world(conn, create_world_settings=settings, join_world_settings={})
    try:
        yield env
    finally:
        env.close()
        conn.send(dm_env_rpc_pb2.DestroyWorldRequest(world_name=name))


def test_specs_are_gymnasiums_spaces(address: str) -> None:
    theirs = gym.make("CartPole-v1")
    with dm_connect(address) as conn, world(conn, env_id="CartPole-v1", seed=0) as env:
        action = env.action_spec()["action"]
        assert isinstance(action, dm_specs.DiscreteArray)
        assert (action.num_values, action.dtype, action.shape) == (2, np.int32, ())
        obs = env.observation_spec()["observation"]
        assert isinstance(obs, dm_specs.BoundedArray)
        assert (obs.dtype, obs.shape) == (np.float32, (4,))
        np.testing.assert_array_equal(obs.minimum, theirs.observation_space.low)
        np.testing.assert_array_equal(obs.maximum, theirs.observation_space.high)
        assert "reward" not in env.observation_spec() and "discount" not in env.observation_spec()
        assert env.reward_spec().dtype == np.float64 and env.reward_spec().shape == ()
        assert (env.discount_spec().minimum, env.discount_spec().maximum) == (0.0, 1.0)


@pytest.mark.parametrize("seed", [0, 1, 7, 2024])
def test_cartpole_episodes_from_a_seed_equal_gymnasium(address: str, seed: int) -> None:
    actions = np.random.default_rng(seed + 1000)
    local = gym.make("CartPole-v1")
    with dm_connect(address) as conn, world(conn, env_id="CartPole-v1", seed=seed) as env:
        for episode in range(3):
            # The world's seed seeds the first episode, as gymnasium's reset(seed=...) does; later ones go on from it.
            expected, _ = local.reset(seed=seed) if episode == 0 else local.reset()
            ts = env.reset()
            assert ts.step_type == dm_env.StepType.FIRST and ts.reward is None
            assert ts.observation["observation"].dtype == np.float32
            np.testing.assert_array_equal(ts.observation["observation"], expected, err_msg=f"episode {episode} start")
            for t in range(1, 501):
                a = int(actions.integers(2))
                o, r, terminated, truncated, _ = local.step(a)
                ts = env.step({"action": a})
                np.testing.assert_allclose(ts.observation["observation"], o, atol=OBS_ATOL, rtol=0, err_msg=f"episode {episode} step {t}")
                assert ts.reward == r
                if terminated or truncated:
                    assert ts.step_type == dm_env.StepType.LAST
                    assert ts.discount == (0.0 if terminated else 1.0)
                    break
                assert ts.step_type == dm_env.StepType.MID and ts.discount == 1.0


def test_balanced_episode_is_truncated_at_500_with_discount_1(address: str) -> None:
    """Truncation is INTERRUPTED on the wire: dm_env_adaptor makes it LAST with discount 1 (bootstrap)."""
    local = gym.make("CartPole-v1")
    with dm_connect(address) as conn, world(conn, env_id="CartPole-v1", seed=3) as env:
        o, _ = local.reset(seed=3)
        ts = env.reset()
        total = 0.0
        for t in range(1, 501):
            a = int(o[2] + 0.5 * o[3] > 0)
            o, r, terminated, truncated, _ = local.step(a)
            ts = env.step({"action": a})
            total += ts.reward
            np.testing.assert_allclose(ts.observation["observation"], o, atol=OBS_ATOL, rtol=0)
            if terminated or truncated:
                break
        assert (t, truncated, terminated) == (500, True, False)
        assert ts.last() and ts.discount == 1.0 and total == 500.0


def test_a_step_after_the_last_starts_the_next_episode(address: str) -> None:
    """dm_env's contract: stepping after LAST acts like reset (the action is ignored)."""
    local = gym.make("CartPole-v1")
    with dm_connect(address) as conn, world(conn, env_id="CartPole-v1", seed=9) as env:
        local.reset(seed=9)
        env.reset()
        ts = env.step({"action": 1})
        while not ts.last():
            local.step(1)
            ts = env.step({"action": 1})
        local.step(1)
        expected, _ = local.reset()
        ts = env.step({"action": 0})
        assert ts.first()
        np.testing.assert_array_equal(ts.observation["observation"], expected)


def test_gridworld_episode_equals_gymhosts_own_client(address: str) -> None:
    rng = np.random.default_rng(5)
    moves = [int(a) for a in rng.integers(0, 4, size=400)]
    config = {"world": "small_maze", "random_start": True}
    with gymhost.make("GridWorld-v0", address=address, seed=4, config=config) as own, dm_connect(address) as conn:
        with world(conn, env_id="GridWorld-v0", seed=4, **config) as env:
            obs_spec = env.observation_spec()["observation"]
            assert isinstance(obs_spec, dm_specs.DiscreteArray) and obs_spec.num_values == 13 * 11
            assert env.action_spec()["action"].num_values == 4
            o, _ = own.reset()
            ts = env.reset()
            assert int(ts.observation["observation"]) == int(o)
            steps = 0
            for a in moves:
                o, r, terminated, truncated, _ = own.step(a)
                ts = env.step({"action": a})
                steps += 1
                assert int(ts.observation["observation"]) == int(o)
                assert ts.reward == r
                if terminated or truncated:
                    assert ts.last() and ts.discount == (0.0 if terminated else 1.0)
                    break
                assert ts.mid()
            assert steps > 1


def test_gridworld_onehot_and_step_limit(address: str) -> None:
    with dm_connect(address) as conn, world(conn, env_id="GridWorld-v0", map="S.H\n..G", encoding="onehot", max_episode_steps=3) as env:
        spec = env.observation_spec()["observation"]
        assert (spec.dtype, spec.shape) == (np.float32, (6,))
        ts = env.reset()
        np.testing.assert_array_equal(ts.observation["observation"], [1, 0, 0, 0, 0, 0])
        for a in (0, 0, 0):  # up, off the grid: stays on S until the limit
            ts = env.step({"action": a})
        assert ts.last() and ts.discount == 1.0
        assert env.reset().first()


def test_reset_settings_seed_the_next_episode(address: str) -> None:
    """A ResetRequest with settings (sent on the adaptor's connection) chooses the next episode's seed."""
    with dm_connect(address) as conn, world(conn, env_id="CartPole-v1") as env:
        env.reset()
        env.step({"action": 1})
        conn.send(dm_env_rpc_pb2.ResetRequest(settings={"seed": tensor_utils.pack_tensor(42)}))
        ts = env.reset()  # a Reset without settings changes nothing now; its first step is the seeded start
        np.testing.assert_array_equal(ts.observation["observation"], gym.make("CartPole-v1").reset(seed=42)[0])


def test_errors_are_dm_env_rpc_errors_and_the_connection_goes_on(address: str) -> None:
    with dm_connect(address) as conn:
        with pytest.raises(error.DmEnvRpcError) as e:
            dm_env_adaptor.create_world(conn, {"env_id": "Pong-v0"})
        assert e.value.code == INVALID_ARGUMENT
        assert "unknown env id 'Pong-v0'; available: CartPole-v1, GridWorld-v0" in e.value.message
        with pytest.raises(error.DmEnvRpcError) as e:
            dm_env_adaptor.create_world(conn, {"env_id": "CartPole-v1", "gravity": 1000.0})
        assert e.value.code == INVALID_ARGUMENT and "settings.gravity must be in [0.01, 100]" in e.value.message
        with pytest.raises(error.DmEnvRpcError) as e:
            conn.send(dm_env_rpc_pb2.StepRequest())
        assert e.value.code == FAILED_PRECONDITION
        with pytest.raises(error.DmEnvRpcError) as e:
            dm_env_adaptor.join_world(conn, "nosuchworld", {})
        assert e.value.code == NOT_FOUND
        with world(conn, env_id="CartPole-v1", seed=1) as env:
            env.reset()
            with pytest.raises(error.DmEnvRpcError) as e:
                env.step({"action": 5})
            assert e.value.code == INVALID_ARGUMENT
            assert "action must be an integer in [0, 1] (Discrete(2)), got 5" in e.value.message
            assert env.step({"action": 1}).mid()


def _add_user(users: Path, name: str) -> str:
    out = subprocess.run(
        ["node", "bin/gymhost.js", "users", "add", name, "--role", "student", "--file", str(users)],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def users_server(tmp_path_factory):
    """A server with authentication: alice and bob, students."""
    users = tmp_path_factory.mktemp("dm-env-rpc") / "users.json"
    tokens = {name: _add_user(users, name) for name in ("alice", "bob")}
    srv = start_server("--users", str(users))
    try:
        yield srv, tokens
    finally:
        srv.stop()


def test_token_in_metadata_and_isolation(users_server) -> None:
    srv, tokens = users_server
    with dm_connect(srv.grpc_address) as anonymous:
        with pytest.raises(grpc.RpcError) as e:
            anonymous.send(dm_env_rpc_pb2.LeaveWorldRequest())
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with dm_connect(srv.grpc_address, tokens["alice"]) as alice, dm_connect(srv.grpc_address, tokens["bob"]) as bob:
        env, name = dm_env_adaptor.create_and_join_world(alice, {"env_id": "CartPole-v1", "seed": 0}, {})
        assert env.reset().first()
        for request in (
            dm_env_rpc_pb2.JoinWorldRequest(world_name=name),
            dm_env_rpc_pb2.ResetWorldRequest(world_name=name),
            dm_env_rpc_pb2.DestroyWorldRequest(world_name=name),
        ):
            with pytest.raises(error.DmEnvRpcError) as e:
                bob.send(request)
            assert e.value.code == NOT_FOUND and "does not exist" in e.value.message
        assert env.step({"action": 0}).mid()
        env.close()
        alice.send(dm_env_rpc_pb2.DestroyWorldRequest(world_name=name))
