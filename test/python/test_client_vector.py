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
from gymhost._wire import StepBatchReader, step_batch_tensors
from gymhost.v1 import env_service_pb2 as pb
from gymhost.v1 import spaces_pb2


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


@pytest.mark.parametrize("n", [97, 256])
def test_large_vector_env_matches_gymnasium(address: str, n: int) -> None:
    """A vector session large enough for the server's SIMD physics (64 copies on) against
    Gymnasium's own CartPole-v1 copies in a SyncVectorEnv seeded the same way (copy i gets
    seed + i), step for step: observations, rewards and end flags, autoresets included."""
    rng = np.random.default_rng(n)
    actions = rng.integers(0, 2, size=(250, n))
    remote = gymhost.make_vec("CartPole-v1", n, address=address)
    oracle = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(n)], autoreset_mode=AutoresetMode.NEXT_STEP)
    try:
        o1, _ = remote.reset(seed=1234)
        o2, _ = oracle.reset(seed=1234)
        np.testing.assert_array_equal(o1, o2)
        ended = 0
        for k, a in enumerate(actions):
            r1 = remote.step(a)
            r2 = oracle.step(a)
            for name, x, y in zip(("observations", "rewards", "terminations", "truncations"), r1[:4], r2[:4]):
                np.testing.assert_array_equal(x, y, err_msg=f"{name} at step {k}")
            ended += int(np.sum(r1[2] | r1[3]))
        assert ended >= 5 * n  # random actions end CartPole episodes every ~20 steps
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


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_stream_and_unary_steps_agree(address: str, mode: AutoresetMode) -> None:
    """The stream path reads answers' bytes directly (gymhost._wire); the unary path parses
    messages. Both give the same arrays, dtypes and infos, and fresh writable arrays each step."""
    n = 6
    actions = np.random.default_rng(3).integers(0, 2, size=(120, n))
    a = gymhost.make_vec("CartPole-v1", n, address=address, autoreset_mode=mode)
    b = gymhost.make_vec("CartPole-v1", n, address=address, autoreset_mode=mode, transport="unary")
    try:
        np.testing.assert_array_equal(a.reset(seed=9)[0], b.reset(seed=9)[0])
        previous = None
        finals = 0
        for act in actions:
            ra, rb = a.step(act), b.step(act)
            for x, y in zip(ra[:4], rb[:4]):
                assert x.dtype == y.dtype and x.shape == y.shape
                np.testing.assert_array_equal(x, y)
                assert x.flags.writeable and x.flags.c_contiguous and x.flags.aligned
            assert ra[4].keys() == rb[4].keys()
            if "final_obs" in ra[4]:
                np.testing.assert_array_equal(ra[4]["_final_obs"], rb[4]["_final_obs"])
                np.testing.assert_array_equal(ra[4]["_final_info"], rb[4]["_final_info"])
                for i in range(n):
                    fa, fb = ra[4]["final_obs"][i], rb[4]["final_obs"][i]
                    assert (fa is None) == (fb is None) == (not ra[4]["_final_obs"][i])
                    if fa is not None:
                        assert fa.dtype == fb.dtype == np.float32
                        np.testing.assert_array_equal(fa, fb)
                        assert ra[4]["final_info"][i] == {} and ra[4]["final_info"][i] is not ra[4]["final_info"][(i + 1) % n]
                        finals += 1
            if previous is not None:  # nothing returned shares memory with an earlier step's arrays
                for x, y in zip(ra[:4], previous):
                    assert not np.shares_memory(x, y)
            previous = ra[:4]
        assert mode == AutoresetMode.NEXT_STEP or finals >= 10
    finally:
        a.close()
        b.close()


def test_gridworld_vector_over_the_stream(address: str) -> None:
    with gymhost.make_vec("GridWorld-v0", 3, address=address, world="small_moat", autoreset_mode="same_step") as envs:
        obs, _ = envs.reset(seed=0)
        obs, rewards, *_ = envs.step([3, 1, 3])
        assert obs.dtype == np.int64 and obs.tolist() == [1, 13, 1] and rewards.tolist() == [-1, -1, -1]


def _answer(r: "pb.StepBatchResponse") -> bytes:
    return pb.StepStreamResponse(step_batch=r).SerializeToString()


def _tensor(a: np.ndarray, dtype: int) -> "spaces_pb2.Tensor":
    return spaces_pb2.Tensor(dtype=dtype, shape=a.shape, data=a.tobytes())


def test_wire_reader_agrees_with_protobuf() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 3, 200, 4096):
        r = pb.StepBatchResponse(
            observations=_tensor(rng.random((n, 4), dtype=np.float32), spaces_pb2.DTYPE_FLOAT32),
            rewards=_tensor(rng.random(n), spaces_pb2.DTYPE_FLOAT64),
            terminated=_tensor(rng.integers(0, 2, n).astype(np.uint8), spaces_pb2.DTYPE_UINT8),
            truncated=_tensor(np.zeros(n, np.uint8), spaces_pb2.DTYPE_UINT8),
            reset_mask=_tensor(rng.integers(0, 2, n).astype(np.uint8), spaces_pb2.DTYPE_UINT8),
        )
        buf = _answer(r)
        tensors = step_batch_tensors(buf)
        assert tensors is not None and sorted(tensors) == [1, 2, 3, 4, 5]
        for field, name in ((1, "observations"), (2, "rewards"), (3, "terminated"), (4, "truncated"), (5, "reset_mask")):
            t, m = tensors[field], getattr(r, name)
            assert (t.dtype, t.shape) == (m.dtype, tuple(m.shape))
            assert buf[t.offset : t.offset + t.nbytes] == m.data
    # Unpacked shapes, unknown fields (in the answer and in a tensor) and another field order.
    t = spaces_pb2.Tensor(dtype=spaces_pb2.DTYPE_FLOAT32, data=b"\x00" * 8)
    unpacked = b"\x10\x02\x10\x01" + t.SerializeToString() + b"\xa0\x06\x07"  # shape 2, 1 unpacked; field 100 varint 7
    inner = b"\x12" + bytes([len(t.SerializeToString())]) + t.SerializeToString() + b"\x0a" + bytes([len(unpacked)]) + unpacked + b"\xfa\x01\x01x"
    buf = b"\x1a" + bytes([len(inner)]) + inner
    parsed = pb.StepStreamResponse.FromString(buf).step_batch
    tensors = step_batch_tensors(buf)
    assert tensors is not None
    assert tensors[1].shape == tuple(parsed.observations.shape) == (2, 1)
    assert buf[tensors[1].offset : tensors[1].offset + tensors[1].nbytes] == parsed.observations.data
    assert tensors[2].shape == () and buf[tensors[2].offset : tensors[2].offset + tensors[2].nbytes] == parsed.rewards.data
    # Everything else is left to protobuf.
    error = pb.StepStreamResponse(error={"code": "NOT_FOUND", "message": "x"}).SerializeToString()
    good = _answer(pb.StepBatchResponse(observations=_tensor(np.zeros((2, 4), np.float32), spaces_pb2.DTYPE_FLOAT32)))
    for other in (b"", error, pb.StepStreamResponse(reset={}).SerializeToString(), good[:-3], good + b"\x08\x01", good[:2] + good[2:] + good[2:]):
        assert step_batch_tensors(other) is None


def test_wire_reader_memo_follows_layout_changes() -> None:
    read = StepBatchReader()

    def answer(n: int, shape_value: int = 4) -> bytes:
        obs = np.arange(n * shape_value, dtype=np.float32).reshape(n, shape_value)
        return _answer(pb.StepBatchResponse(observations=_tensor(obs, spaces_pb2.DTYPE_FLOAT32), rewards=_tensor(np.ones(n), spaces_pb2.DTYPE_FLOAT64)))

    for buf in (answer(8), answer(8), answer(4, 8), answer(4, 8), answer(8, 4), answer(2, 16)):
        assert read(buf) == step_batch_tensors(buf)
    # Same length, different framing: parsed again.
    a = answer(8)
    b = bytearray(a)
    b[b.index(b"\x12\x02\x08\x04") + 3] = 2  # shape [8, 4] -> [8, 2] in place
    assert read(a)[1].shape == (8, 4) and read(bytes(b))[1].shape == (8, 2)
    assert read(b"\x22\x00") is None and read(a)[1].shape == (8, 4)
