"""gymhost.StepStream: pipelined and lock-step use, several sessions on one stream."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import gymhost
from gymhost._inline_call import inline_calls_enabled
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


def test_inline_stream_lock_step_and_pipelined(address: str, client) -> None:
    """inline=True: the calling thread drives the call (grpcio's segregated call); requests
    sent while one is being written queue up and go out during recv(), answers in order."""
    actions = [1, 0, 0, 1] * 8
    with gymhost.make("CartPole-v1", address=address) as env:
        env.reset(options={"low": 0.0, "high": 0.0})
        lockstep = [env.step(a)[0] for a in actions]
        with client.step_stream(inline=True) as s:
            assert s.inline == inline_calls_enabled()  # True unless grpcio's fork support is on
            s.send_reset(env.id, options={"low": 0.0, "high": 0.0})
            for a in actions:
                s.send_step(env.id, a)
            assert s.in_flight == len(actions) + 1
            answers = [s.recv() for _ in range(len(actions) + 1)]
            assert answers[0].WhichOneof("response") == "reset"
            for want, got in zip(lockstep, answers[1:]):
                np.testing.assert_array_equal(np.frombuffer(got.step.observation.tensor.data, np.float32), want)
            # Lock-step after pipelining, an inline error, then the stream goes on.
            assert s.reset(env.id, seed=3).observation.WhichOneof("kind") == "tensor"
            with pytest.raises(gymhost.NotFoundError):
                s.step("no-such-session", 0)
            raw = s.exchange_raw(pb.StepStreamRequest(step=pb.StepRequest(id=env.id, action={"discrete": 1})))
            assert pb.StepStreamResponse.FromString(raw).WhichOneof("response") == "step"
        assert s.closed
        with pytest.raises(gymhost.CancelledError):
            s.exchange_raw(pb.StepStreamRequest(step=pb.StepRequest(id=env.id)))


def test_inline_and_threaded_streams_answer_alike(address: str, client, monkeypatch) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        got = []
        for inline in ("1", "0"):
            monkeypatch.setenv("GYMHOST_INLINE_STREAM", inline)
            with client.step_stream(inline=True) as s:
                assert s.inline is (inline == "1" and inline_calls_enabled())
                obs = [s.reset(env.id, seed=5).observation.tensor.data]
                obs += [s.exchange(pb.StepStreamRequest(step=pb.StepRequest(id=env.id, action={"discrete": a}))).observation.tensor.data for a in (0, 1, 1, 0)]
                got.append(obs)
        assert got[0] == got[1]


def test_inline_stream_reports_a_failed_call(address: str) -> None:
    """A call that fails (here: its channel closed under it) raises a GymhostError, not a hang,
    and close() afterwards is fine."""
    c = gymhost.Client(address)
    with gymhost.make("CartPole-v1", client=c) as env:
        s = c.step_stream(inline=True)
        s.reset(env.id, seed=0)
    c.close()
    with pytest.raises(gymhost.GymhostError):
        s.step(env.id, 0)
    assert s.closed
    s.close()


def test_inline_stream_to_no_server_raises_unavailable() -> None:
    c = gymhost.Client("127.0.0.1:1", wait_for_ready=False)
    try:
        s = c.step_stream(inline=True)
        with pytest.raises(gymhost.UnavailableError):
            s.reset("x", seed=0)
        s.close()
    finally:
        c.close()


@pytest.mark.parametrize(("env", "expected"), [({}, "True"), ({"GYMHOST_INLINE_STREAM": "0"}, "False"), ({"GRPC_ENABLE_FORK_SUPPORT": "1"}, "False")])
def test_when_streams_are_driven_inline(env: dict, expected: str) -> None:
    """Inline calls are off with GYMHOST_INLINE_STREAM=0 and with grpcio's fork support (whose
    child-side cleanup would wait forever for a call only its owner polls)."""
    base = {k: v for k, v in os.environ.items() if k not in ("GYMHOST_INLINE_STREAM", "GRPC_ENABLE_FORK_SUPPORT")}
    code = "import gymhost._inline_call as i; print(i.inline_calls_enabled())"
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True).stdout.strip()
    assert out == expected
