"""gymhost.RemoteEnv against a real server: gymnasium's env checker, dtypes, seeding, parity
with Gymnasium's own CartPole through the client, rendering, close, gymnasium wrappers."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import gymhost

WORLDS = ["small_maze", "small_random", "small_moat", "large_maze", "large_random", "large_moat"]
INFINITE_BOX = ".*Box observation space (minimum|maximum) value is.*infinity"


def checked(env: gym.Env) -> list[str]:
    """Runs check_env; returns its warnings other than the unbounded-Box ones Gymnasium's own
    CartPole-v1 gets too."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    return [str(w.message) for w in caught if "infinity" not in str(w.message)]


# ---- gymnasium's env checker ------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_check_env_cartpole(address: str, stream: bool) -> None:
    with gymhost.make("CartPole-v1", address=address, stream=stream) as env:
        assert isinstance(env, gym.Env)
        assert checked(env) == []


@pytest.mark.parametrize("world", WORLDS)
def test_check_env_every_gridworld(address: str, world: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world=world) as env:
        assert isinstance(env.observation_space, gym.spaces.Discrete)
        assert checked(env) == []


@pytest.mark.parametrize("encoding", ["onehot", "rowcol", "lights_off"])
def test_check_env_gridworld_box_encodings(address: str, encoding: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="small_maze", encoding=encoding) as env:
        assert isinstance(env.observation_space, gym.spaces.Box)
        assert env.observation_space.dtype == np.float32
        assert checked(env) == []


GYMNASIUM_ENVS = ["FrozenLake-v1", "FrozenLake8x8-v1", "CliffWalking-v1", "Taxi-v4", "MountainCar-v0", "Acrobot-v1"]


@pytest.mark.parametrize("env_id", GYMNASIUM_ENVS)
@pytest.mark.parametrize("render_mode", [None, "ansi", "rgb_array"])
def test_check_env_gymnasium_envs(address: str, env_id: str, render_mode: str | None) -> None:
    with gymhost.make(env_id, address=address, render_mode=render_mode) as env:
        assert env.observation_space == gym.make(env_id).observation_space
        assert env.action_space == gym.make(env_id).action_space
        assert checked(env) == []


def test_check_env_with_render_mode_and_random_start(address: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="small_maze", random_start=True, render_mode="rgb_array") as env:
        assert checked(env) == []


# ---- values and types -----------------------------------------------------------------------------


def test_cartpole_types(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        assert env.observation_space == gym.make("CartPole-v1").observation_space
        assert env.action_space == gym.spaces.Discrete(2)
        obs, info = env.reset(seed=3)
        assert isinstance(obs, np.ndarray) and obs.dtype == np.float32 and obs.shape == (4,)
        assert obs.flags.writeable
        assert info == {}
        obs, reward, terminated, truncated, info = env.step(np.int64(1))
        assert type(reward) is float and reward == 1.0
        assert type(terminated) is bool and type(truncated) is bool
        assert obs in env.observation_space
        assert env.max_episode_steps == 500
        assert env.config["max_episode_steps"] == 500


def test_gridworld_types_and_info(address: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="small_maze") as env:
        obs, info = env.reset(seed=0)
        assert type(obs) is np.int64 and obs == 9 * 13  # start (9, 0) of the 13-wide maze
        assert info == {"row": 9, "col": 0, "cell": "start"}
        assert type(info["row"]) is int
        obs, reward, terminated, truncated, info = env.step(3)  # right
        assert obs == 9 * 13 + 1 and type(obs) is np.int64
        assert type(reward) is float and terminated is False and truncated is False
        assert info["col"] == 1


def test_actions_accept_numpy_and_arrays(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        env.reset(seed=0)
        for a in (0, np.int32(1), np.int64(0), np.array(1), np.array([0])):
            env.step(a)
        with pytest.raises(TypeError):
            env.step("left")


def test_seeded_resets_are_deterministic(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as a, gymhost.make("CartPole-v1", address=address) as b:
        o1, _ = a.reset(seed=123)
        o2, _ = b.reset(seed=123)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(a.reset()[0], b.reset()[0])  # unseeded resets continue the same stream
        assert not np.array_equal(a.reset(seed=124)[0], o1)


def test_make_seed_seeds_the_first_reset(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address, seed=5) as a, gymhost.make("CartPole-v1", address=address) as b:
        np.testing.assert_array_equal(a.reset()[0], b.reset(seed=5)[0])


def test_cartpole_matches_local_gymnasium(address: str) -> None:
    """Same start state (reset options low == high) and actions: the remote env's trajectory is
    Gymnasium's CartPole-v1's, through the client's conversions."""
    rng = np.random.default_rng(0)
    for stream in (False, True):
        with gymhost.make("CartPole-v1", address=address, stream=stream) as remote:
            local = gym.make("CartPole-v1")
            for start in (0.0, 0.03, -0.04):
                opts = {"low": start, "high": start}
                ro, _ = remote.reset(options=opts)
                lo, _ = local.reset(options=opts)
                np.testing.assert_allclose(ro, lo, atol=1e-6)
                while True:
                    a = int(rng.integers(2))
                    r = remote.step(a)
                    g = local.step(a)
                    np.testing.assert_allclose(r[0], g[0], atol=1e-6)
                    assert r[1:4] == tuple(g[1:4])
                    if r[2] or r[3]:
                        break


def test_stream_and_unary_give_the_same_trajectory(address: str) -> None:
    actions = np.random.default_rng(1).integers(0, 4, size=200)
    runs = []
    for stream in (False, True):
        with gymhost.make("GridWorld-v0", address=address, world="small_random", stream=stream) as env:
            assert env.streaming is stream
            obs, _ = env.reset(seed=9)
            trace = [int(obs)]
            for a in actions:
                obs, r, te, tr, _ = env.step(int(a))
                trace += [int(obs), r, te, tr]
                if te or tr:
                    trace.append(int(env.reset()[0]))
            runs.append(trace)
    assert runs[0] == runs[1]


# ---- render ---------------------------------------------------------------------------------------------


def test_render_rgb_array_and_ansi(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address, render_mode="rgb_array") as env:
        env.reset(seed=0)
        frame = env.render()
        assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8
        assert frame.min() < 255  # something is drawn
        assert isinstance(env.render_frame("ansi"), str)
    with gymhost.make("GridWorld-v0", address=address, world="small_maze", render_mode="ansi") as env:
        env.reset(seed=0)
        text = env.render()
        assert isinstance(text, str) and len(text.strip().splitlines()) == 11
        frame = env.render_frame("rgb_array")
        assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8


def test_render_without_mode_warns_and_returns_none(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        env.reset(seed=0)
        with pytest.warns(UserWarning, match="render method without specifying any render mode"):
            assert env.render() is None
    with pytest.raises(ValueError):
        gymhost.make("CartPole-v1", address=address, render_mode="human")


# ---- lifecycle --------------------------------------------------------------------------------------------


def test_close_deletes_the_session(address: str, client) -> None:
    env = gymhost.make("CartPole-v1", address=address)
    sid = env.id
    assert sid in {e.id for e in client.list_envs()}
    assert env.session().id == sid
    env.close()
    env.close()  # twice is fine
    assert env.closed
    assert sid not in {e.id for e in client.list_envs()}
    with pytest.raises(gymhost.FailedPreconditionError):
        env.reset()


def test_context_manager_closes(address: str, client) -> None:
    with gymhost.make("CartPole-v1", address=address, stream=True) as env:
        env.reset(seed=0)
        sid = env.id
    assert env.closed
    assert sid not in {e.id for e in client.list_envs()}


def test_shared_client(address: str, client) -> None:
    assert gymhost.connect(address) is client
    a = gymhost.make("CartPole-v1", client=client)
    b = gymhost.make("CartPole-v1", address=address)
    assert a.client is b.client is client
    a.close()
    b.reset(seed=0)  # closing one env leaves the shared channel open
    b.close()
    with pytest.raises(TypeError):
        gymhost.make("CartPole-v1", client=client, address=address)


# ---- gymnasium integration: make, spec, wrappers ---------------------------------------------------------------


def test_gymnasium_make_registered_id(address: str) -> None:
    env = gym.make("gymhost/GridWorld-v0", address=address, world="small_moat")
    try:
        assert isinstance(env.unwrapped, gymhost.RemoteEnv)
        obs, _ = env.reset(seed=0)  # through PassiveEnvChecker and OrderEnforcing
        assert obs == 0
        env.step(1)
    finally:
        env.close()
    assert env.unwrapped.closed


def test_spec_make_recreates_the_env(address: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="large_maze", seed=4) as env:
        again = env.spec.make()
        try:
            assert again.unwrapped.id != env.id
            assert again.unwrapped.config == env.config
            assert again.reset()[0] == env.reset()[0]
        finally:
            again.close()


def test_time_limit_wrapper(address: str) -> None:
    env = gym.wrappers.TimeLimit(gymhost.make("GridWorld-v0", address=address, world="small_maze"), max_episode_steps=10)
    env.reset(seed=0)
    for i in range(10):
        _, _, terminated, truncated, _ = env.step(0)  # up, never reaching the goal
        assert truncated is (i == 9) and terminated is False
    env.close()


def test_record_episode_statistics(address: str) -> None:
    env = gym.wrappers.RecordEpisodeStatistics(gymhost.make("CartPole-v1", address=address))
    env.reset(seed=0)
    steps = 0
    while True:
        _, _, terminated, truncated, info = env.step(steps % 2 * 0)  # always push left: falls quickly
        steps += 1
        if terminated or truncated:
            break
    assert info["episode"]["l"] == steps
    assert info["episode"]["r"] == float(steps)
    assert len(env.return_queue) == 1
    env.close()


def test_rgb_array_recorders(address: str) -> None:
    env = gym.wrappers.RenderCollection(gymhost.make("CartPole-v1", address=address, render_mode="rgb_array"))
    env.reset(seed=0)
    for _ in range(5):
        env.step(1)
    frames = env.render()
    assert len(frames) == 6 and all(f.shape == (400, 600, 3) for f in frames)
    env.close()
    # gymnasium.make(render_mode="rgb_array_list") applies RenderCollection itself
    env = gym.make("gymhost/CartPole-v1", address=address, render_mode="rgb_array_list")
    env.reset(seed=0)
    env.step(0)
    assert len(env.render()) == 2
    env.close()


def test_record_video(address: str, tmp_path) -> None:
    pytest.importorskip("moviepy")
    env = gym.wrappers.RecordVideo(gymhost.make("CartPole-v1", address=address, render_mode="rgb_array"), str(tmp_path), episode_trigger=lambda e: True, disable_logger=True)
    env.reset(seed=0)
    done = False
    while not done:
        _, _, te, tr, _ = env.step(0)
        done = te or tr
    env.close()
    assert list(tmp_path.glob("*.mp4"))


def test_observation_wrappers(address: str) -> None:
    env = gym.wrappers.FlattenObservation(gymhost.make("GridWorld-v0", address=address, world="small_maze"))
    obs, _ = env.reset(seed=0)
    assert obs.shape == (143,) and obs[9 * 13] == 1
    env.close()


def test_seed_simulator(address: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="small_maze") as env:
        simulator = gymhost.SeedSimulator(env, seed=0)
        state = simulator.reset()
        assert state == 117
        next_state, reward, done = simulator.step(3)
        assert (next_state, reward, done) == (118, -1.0, False)
        assert simulator.info["col"] == 1


def test_set_reward(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        env.reset(seed=0)
        assert env.step(0)[1] == 1.0
        env.set_reward("sutton_barto")
        assert env.reward_function == "sutton_barto"
        assert env.step(0)[1] == 0.0  # Sutton & Barto: 0 per step until the pole falls
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            env.set_reward("no-such-reward")
        assert err.value.field == "reward_function"


def test_env_specs_table_matches_list_env_types(client) -> None:
    """The generated table gymhost registers with at import (_env_specs.py) says what the
    server's ListEnvTypes says, and RemoteEnv's metadata takes its fps from the server."""
    from gymhost._env_specs import ENV_SPECS

    types = {t.id: t for t in client.list_env_types().env_types}
    assert sorted(ENV_SPECS) == sorted(types)
    for env_id, t in types.items():
        spec = ENV_SPECS[env_id]
        assert spec["render_fps"] == t.render_fps
        assert spec["max_episode_steps"] == (t.time_limit if t.HasField("time_limit") else None)
        assert spec["reward_threshold"] == (t.reward_threshold if t.HasField("reward_threshold") else None)
        registered = gym.spec(f"gymhost/{env_id}")
        assert registered.max_episode_steps == spec["max_episode_steps"] and registered.reward_threshold == spec["reward_threshold"]
    with gymhost.make("GridWorld-v0", client=client) as env:
        assert env.metadata["render_fps"] == 8
    with gymhost.make("CartPole-v1", client=client) as env:
        assert env.metadata["render_fps"] == 50 and isinstance(env.metadata["render_fps"], int)
