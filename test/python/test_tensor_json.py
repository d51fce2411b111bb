"""scripts/tensor-json.py turns the base64 tensors of gymhost's proto3 JSON (what grpcurl
prints) into readable nested lists; checked on real responses of a running server, encoded by
protobuf's own JSON printer (the mapping grpcurl uses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from google.protobuf import json_format

import gymhost
from gymhost.v1 import env_service_pb2 as pb

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tensor-json.py"


def decode(*messages) -> list:
    text = "\n".join(json_format.MessageToJson(m) for m in messages)
    out = subprocess.run([sys.executable, str(SCRIPT)], input=text, capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_observations_batches_and_frames_read_back_as_their_values(address: str) -> None:
    with gymhost.connect(address) as client:
        stub = client.env_stub
        single = stub.CreateEnv(pb.CreateEnvRequest(env_id="CartPole-v1")).env.id
        batch = stub.CreateEnv(pb.CreateEnvRequest(env_id="CartPole-v1", num_envs=3)).env.id
        try:
            reset = stub.Reset(pb.ResetRequest(id=single, seed=7))
            stub.Reset(pb.ResetRequest(id=batch, seed=0))
            stepped = stub.StepBatch(pb.StepBatchRequest(id=batch, actions=_int32([1, 0, 1])))
            frame = stub.Render(pb.RenderRequest(id=single, mode=pb.RENDER_MODE_RGB_ARRAY))
            got_reset, got_batch, got_frame = decode(reset, stepped, frame)
        finally:
            stub.DeleteEnv(pb.DeleteEnvRequest(id=single))
            stub.DeleteEnv(pb.DeleteEnvRequest(id=batch))
    expected, _ = gym.make("CartPole-v1").reset(seed=7)
    np.testing.assert_array_equal(np.array(got_reset["observation"]["tensor"], dtype=np.float32), expected)
    obs = np.frombuffer(stepped.observations.data, dtype="<f4").reshape(3, 4)
    assert np.array(got_batch["observations"], dtype=np.float32).shape == (3, 4)
    np.testing.assert_array_equal(np.array(got_batch["observations"], dtype=np.float32), obs)
    assert got_batch["rewards"] == [1.0, 1.0, 1.0]
    pixels = np.array(got_frame["frame"], dtype=np.uint8)
    assert pixels.shape == tuple(frame.frame.shape) == (400, 600, 3)
    np.testing.assert_array_equal(pixels.ravel(), np.frombuffer(frame.frame.data, dtype=np.uint8))


def test_a_tensor_whose_bytes_do_not_fit_its_shape_is_an_error() -> None:
    bad = '{"observation": {"tensor": {"dtype": "DTYPE_FLOAT32", "shape": ["4"], "data": "AAAA"}}}'
    result = subprocess.run([sys.executable, str(SCRIPT)], input=bad, capture_output=True, text=True)
    assert result.returncode == 1
    assert "needs 16 bytes, has 3" in result.stderr


def _int32(values: list[int]):
    from gymhost.v1 import spaces_pb2

    return spaces_pb2.Tensor(dtype=spaces_pb2.DTYPE_INT32, shape=[len(values)], data=np.asarray(values, dtype="<i4").tobytes())
