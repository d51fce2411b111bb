"""The Python client on a server for a class: a token (argument or $GYMHOST_TOKEN), TLS with a
self-signed certificate, isolation between students, GetUsage, and the errors a client sees
without a valid token or over a quota."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import gymhost
from gymhost.v1 import usage_service_pb2

from conftest import REPO_ROOT, start_server


def _add_user(users: Path, name: str, role: str, *quota: str) -> str:
    args = ["node", "bin/gymhost.js", "users", "add", name, "--role", role, "--file", str(users)]
    for q in quota:
        args += ["--quota", q]
    out = subprocess.run(args, cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A server with authentication and TLS (a self-signed certificate for 127.0.0.1)."""
    d = tmp_path_factory.mktemp("class")
    key, cert = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    users = d / "users.json"
    tokens = {
        "alice": _add_user(users, "alice", "student", "envSessions=2"),
        "bob": _add_user(users, "bob", "student"),
        "prof": _add_user(users, "prof", "instructor"),
    }
    srv = start_server("--users", str(users), "--tls-cert", str(cert), "--tls-key", str(key), "--workers", "1")
    try:
        yield srv, cert.read_bytes(), tokens
    finally:
        srv.stop()


def test_token_and_tls(tls_server) -> None:
    srv, ca, tokens = tls_server
    with gymhost.Client(srv.grpc_address, root_certificates=ca, token=tokens["alice"]) as alice:
        env = gymhost.make("CartPole-v1", client=alice)
        obs, _ = env.reset(seed=3)
        assert obs.shape == (4,)
        obs, reward, terminated, truncated, _ = env.step(1)
        assert reward == 1.0
        usage = alice.get_usage()
        assert usage.user == "alice"
        assert usage.role == usage_service_pb2.ROLE_STUDENT
        assert usage.used.env_sessions == 1
        assert usage.quota.env_sessions == 2
        assert usage.authentication
        # Bob cannot see or touch alice's session: the same NOT_FOUND as a missing id.
        with gymhost.Client(srv.grpc_address, root_certificates=ca, token=tokens["bob"]) as bob:
            assert bob.list_envs() == []
            with pytest.raises(gymhost.NotFoundError) as seen:
                bob.delete_env(env.unwrapped.id)
            assert seen.value.request_id
            with pytest.raises(gymhost.NotFoundError):
                bob.get_usage("alice")
        # The instructor reads everyone's.
        with gymhost.Client(srv.grpc_address, root_certificates=ca, token=tokens["prof"]) as prof:
            assert env.unwrapped.id in [e.id for e in prof.list_envs(owner="alice")]
            assert prof.get_usage("alice").used.env_sessions == 1
        # Alice's quota of two sessions.
        second = gymhost.make("CartPole-v1", client=alice)
        with pytest.raises(gymhost.ResourceExhaustedError) as over:
            gymhost.make("CartPole-v1", client=alice)
        assert over.value.field == "envSessions"
        assert "at most 2" in over.value.message
        second.close()
        env.close()


def test_token_from_the_environment(tls_server, monkeypatch) -> None:
    srv, ca, tokens = tls_server
    monkeypatch.setenv("GYMHOST_TOKEN", tokens["bob"])
    with gymhost.Client(srv.grpc_address, root_certificates=ca) as bob:
        assert bob.get_usage().user == "bob"


def test_without_a_valid_token(tls_server) -> None:
    srv, ca, _ = tls_server
    for token in (None, "gh_wrong"):
        with gymhost.Client(srv.grpc_address, root_certificates=ca, token=token, retries=0) as nobody:
            with pytest.raises(gymhost.UnauthenticatedError) as seen:
                nobody.list_envs()
            assert "token" in seen.value.message


def test_plaintext_to_a_tls_server_fails_cleanly(tls_server) -> None:
    srv, _, tokens = tls_server
    with gymhost.Client(srv.grpc_address, tls=False, token=tokens["alice"], retries=0, timeout=3) as plain:
        with pytest.raises((gymhost.UnavailableError, gymhost.DeadlineExceededError)):
            plain.list_envs()


def test_usage_on_a_server_without_authentication(client) -> None:
    usage = client.get_usage()
    assert usage.user == "anonymous"
    assert not usage.authentication
    assert usage.server_memory_budget_bytes > 0
    assert json.dumps(usage.used.memory_bytes) is not None
