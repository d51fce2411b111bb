"""Errors as Python exceptions with the server's code, message, field and reason; connection
options (token metadata, timeouts, retries of idempotent calls, TLS).

The real server checks the error mapping; an in-process grpcio EnvService (a fake that
records what it receives and fails on demand) checks what the real one cannot show: the
metadata the client sends, retries after UNAVAILABLE and TLS."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import time
from concurrent import futures

import grpc
import numpy as np
import pytest

import gymhost
from gymhost.errors import ERROR_DETAIL_KEY
from gymhost.v1 import env_service_pb2 as pb
from gymhost.v1 import env_service_pb2_grpc as pbg
from gymhost.v1 import errors_pb2, spaces_pb2

# ---- the real server ------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_bad_action(address: str, stream: bool) -> None:
    with gymhost.make("CartPole-v1", address=address, stream=stream) as env:
        env.reset(seed=0)
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            env.step(2)
        e = err.value
        assert e.code == "INVALID_ARGUMENT" and e.field == "action" and e.reason == "ACTION_OUT_OF_RANGE"
        assert "Discrete(2)" in e.message and "got 2" in e.message
        assert isinstance(e, ValueError) and isinstance(e, gymhost.GymhostError)
        assert e.status == (None if stream else grpc.StatusCode.INVALID_ARGUMENT)
        assert "INVALID_ARGUMENT" in str(e) and "ACTION_OUT_OF_RANGE" in str(e)
        env.step(1)  # the session (and the stream) go on


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_step_before_reset(address: str, stream: bool) -> None:
    with gymhost.make("CartPole-v1", address=address, stream=stream) as env:
        with pytest.raises(gymhost.FailedPreconditionError) as err:
            env.step(0)
        assert err.value.code == "FAILED_PRECONDITION" and err.value.reason == "STEP_BEFORE_RESET"


def test_bad_config_and_env_id(address: str) -> None:
    with pytest.raises(gymhost.InvalidArgumentError) as err:
        gymhost.make("GridWorld-v0", address=address, world="tiny")
    assert err.value.field == "config.world"
    with pytest.raises(gymhost.InvalidArgumentError) as err:
        gymhost.make("Pong-v5", address=address)
    assert "CartPole-v1" in err.value.message  # names what exists
    with pytest.raises(gymhost.InvalidArgumentError) as err:
        gymhost.make("CartPole-v1", address=address, no_such_option=1)
    assert "no_such_option" in err.value.field


def test_bad_seed(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        with pytest.raises(gymhost.InvalidArgumentError):
            env.reset(seed=2**60)  # seeds are integers in [0, 2^53 - 1]


def test_not_found(address: str, client) -> None:
    with pytest.raises(gymhost.NotFoundError) as err:
        client.call(client.env_stub.GetEnv, pb.GetEnvRequest(id="no-such-session"), idempotent=True)
    assert err.value.code == "NOT_FOUND" and isinstance(err.value, LookupError)
    env = gymhost.make("CartPole-v1", address=address, stream=True)
    client.delete_env(env.id)  # deleted behind the env's back
    with pytest.raises(gymhost.NotFoundError):
        env.reset()
    env.close()  # closing an env whose session is gone is fine


def test_stream_errors_are_inline(address: str, client) -> None:
    with gymhost.make("CartPole-v1", address=address) as env, client.step_stream() as s:
        s.send_reset(env.id, seed=0)
        s.send_step(env.id, 7)
        s.send_step(env.id, 1)
        s.send_step("nope", 1)
        answers = [s.recv() for _ in range(4)]
        assert [a.WhichOneof("response") for a in answers] == ["reset", "error", "step", "error"]
        assert gymhost.errors.from_detail(answers[1].error).reason == "ACTION_OUT_OF_RANGE"
        assert answers[3].error.code == "NOT_FOUND"
        with pytest.raises(gymhost.NotFoundError):
            s.step("nope", 0)
        assert s.step(env.id, 0).reward == 1.0


def test_errors_pickle() -> None:
    e = gymhost.errors.error_for("NOT_FOUND", "gone", field="id", reason="SESSION_NOT_FOUND")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is gymhost.NotFoundError and again.field == "id" and again.reason == "SESSION_NOT_FOUND"


def test_deadline(address: str) -> None:
    """A call that outlives its deadline raises DeadlineExceededError (also a TimeoutError)."""
    from gymhost.v1 import agent_service_pb2 as apb

    with gymhost.make("GridWorld-v0", address=address, world="large_maze") as env, gymhost.Agent("tabular", env=env, seed=0) as agent:
        slow = apb.EvaluateRequest(id=agent.id, episodes=1000)  # 1000 untrained episodes of 3075 steps
        with pytest.raises(gymhost.DeadlineExceededError) as err:
            env.client.call(env.client.agent_stub.Evaluate, slow, timeout=0.02)
        assert isinstance(err.value, TimeoutError) and err.value.code == "DEADLINE_EXCEEDED"


def test_unavailable_server() -> None:
    client = gymhost.Client("127.0.0.1:1", retries=2, backoff=0.05)
    try:
        t0 = time.monotonic()
        with pytest.raises(gymhost.UnavailableError) as err:
            client.list_env_types()
        assert isinstance(err.value, ConnectionError)
        assert time.monotonic() - t0 >= 0.05  # it waited between the tries
        with pytest.raises(gymhost.UnavailableError):
            client.wait_until_ready(0.2)
    finally:
        client.close()


# ---- a fake server for what the real one cannot show -------------------------------------------


class FakeEnvService(pbg.EnvServiceServicer):
    """Records the metadata of each call; fails GetEnv with UNAVAILABLE `fail_get` times and
    Step with UNAVAILABLE always; CreateEnv fails with a gymhost ErrorDetail trailer."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []
        self.calls: dict[str, int] = {}
        self.fail_get = 0

    def _seen(self, name: str, context) -> None:
        self.metadata.append(dict(context.invocation_metadata()))
        self.calls[name] = self.calls.get(name, 0) + 1

    def ListEnvTypes(self, request, context):
        self._seen("ListEnvTypes", context)
        return pb.ListEnvTypesResponse(server_version="fake", api_version="gymhost.v1")

    def GetEnv(self, request, context):
        self._seen("GetEnv", context)
        if self.calls["GetEnv"] <= self.fail_get:
            context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
        return pb.GetEnvResponse(env=pb.Env(id=request.id))

    def Step(self, request, context):
        self._seen("Step", context)
        context.abort(grpc.StatusCode.UNAVAILABLE, "try again")

    def CreateEnv(self, request, context):
        self._seen("CreateEnv", context)
        detail = errors_pb2.ErrorDetail(code="RESOURCE_EXHAUSTED", message="too many sessions (1000)", field="", reason="TOO_MANY_SESSIONS")
        context.set_trailing_metadata(((ERROR_DETAIL_KEY, detail.SerializeToString()),))
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many sessions (1000)")


@pytest.fixture
def fake():
    service = FakeEnvService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pbg.add_EnvServiceServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield service, f"127.0.0.1:{port}"
    server.stop(None)


def test_token_and_metadata_are_sent(fake) -> None:
    service, addr = fake
    with gymhost.Client(addr, token="s3cret", metadata={"X-Team": "blue"}) as client:
        assert client.server_version() == "fake"
    md = service.metadata[-1]
    assert md["authorization"] == "Bearer s3cret" and md["x-team"] == "blue"


def test_token_from_environment(fake, monkeypatch) -> None:
    service, addr = fake
    monkeypatch.setenv("GYMHOST_TOKEN", "from-env")
    monkeypatch.setenv("GYMHOST_ADDRESS", addr)
    with gymhost.Client() as client:
        client.list_env_types()
    assert service.metadata[-1]["authorization"] == "Bearer from-env"


def test_idempotent_calls_are_retried(fake) -> None:
    service, addr = fake
    service.fail_get = 2
    with gymhost.Client(addr, retries=3, backoff=0.01) as client:
        env = client.call(client.env_stub.GetEnv, pb.GetEnvRequest(id="x"), idempotent=True)
        assert env.env.id == "x" and service.calls["GetEnv"] == 3
        # a step is never retried
        with pytest.raises(gymhost.UnavailableError):
            client.call(client.env_stub.Step, pb.StepRequest(id="x", action=spaces_pb2.SpaceValue(discrete=0)))
        assert service.calls["Step"] == 1
    service.fail_get = 10
    service.calls["GetEnv"] = 0
    with gymhost.Client(addr, retries=1, backoff=0.01) as client:
        with pytest.raises(gymhost.UnavailableError) as err:
            client.call(client.env_stub.GetEnv, pb.GetEnvRequest(id="x"), idempotent=True)
        assert err.value.message == "try again" and service.calls["GetEnv"] == 2


def test_error_detail_trailer(fake) -> None:
    _, addr = fake
    with pytest.raises(gymhost.ResourceExhaustedError) as err:
        gymhost.make("CartPole-v1", client=gymhost.Client(addr))
    e = err.value
    assert (e.code, e.reason, e.status) == ("RESOURCE_EXHAUSTED", "TOO_MANY_SESSIONS", grpc.StatusCode.RESOURCE_EXHAUSTED)


def test_tls(tmp_path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    service = FakeEnvService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pbg.add_EnvServiceServicer_to_server(service, server)
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())]))
    server.start()
    try:
        with gymhost.Client(f"grpcs://127.0.0.1:{port}", root_certificates=cert.read_bytes(), token="t") as client:
            assert client.tls and client.server_version() == "fake"
        assert service.metadata[-1]["authorization"] == "Bearer t"
        with gymhost.Client(f"127.0.0.1:{port}", retries=0) as plain:  # plaintext to a TLS port fails
            with pytest.raises(gymhost.GymhostError):
                plain.list_env_types()
    finally:
        server.stop(None)


def test_local_argument_errors(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        env.reset(seed=0)
        with pytest.raises(ValueError):
            env.step(np.array([0, 1]))
        with pytest.raises(ValueError):
            env.step(0.5)
