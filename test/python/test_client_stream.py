"""gymhost.StepStream: pipelined and lock-step use, several sessions on one stream."""

from __future__ import annotations

import numpy as np
import pytest

import gymhost
from gymhost.v1 import env_service_pb2 as pb


def test_pipelined_answers_come_in_order(address: str, client) -> None:
    actions = [1, 0] * 10
    with gymhost.make("CartPole-v1", address=address) as env:
        env.reset(options={"low": 0.0, "high": 0.0})
        lockstep = [env.step(a)[0] for a in actions]
        with client.step_stream() as s:
            s.send_reset(env.id, options={"low": 0.0, "high": 0.0})
            for a in actions:
                s.send_step(env.id, a)
            assert s.in_flight == len(actions) + 1
            answers = [s.recv() for _ in range(len(actions) + 1)]
            assert s.in_flight == 0
        assert answers[0].WhichOneof("response") == "reset"
        for want, got in zip(lockstep, answers[1:]):
            obs = np.frombuffer(got.step.observation.tensor.data, np.float32)
            np.testing.assert_array_equal(obs, want)


def test_one_stream_drives_several_sessions(address: str, client) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="small_moat") as grid, gymhost.make_vec("CartPole-v1", 4, address=address, transport="unary") as vec:
        with client.step_stream() as s:
            assert s.reset(grid.id, seed=0).observation.discrete == 0
            assert s.step(grid.id, 3).observation.discrete == 1
            s.reset(vec.id, seed=0)
            r = s.step_batch(vec.id, [0, 1, 0, 1])
            assert list(r.observations.shape) == [4, 4]
            with pytest.raises(RuntimeError):
                s.send_step(grid.id, 0)
                s.step(grid.id, 0)  # lock-step while an answer is unread
            s.recv()


def test_stream_wraps_plain_requests(address: str, client) -> None:
    with gymhost.make("CartPole-v1", address=address) as env, gymhost.StepStream(client) as s:
        reset = s.request(pb.ResetRequest(id=env.id, seed=1))
        assert reset.observation.WhichOneof("kind") == "tensor"
        with pytest.raises(TypeError):
            s.send(pb.GetEnvRequest(id=env.id))
    assert s.closed
    with pytest.raises(gymhost.CancelledError):
        s.send_step(env.id, 0)
