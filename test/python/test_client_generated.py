"""The Python client's gRPC stubs (clients/python/src/gymhost/v1) come from proto/gymhost/v1:
regenerating them with clients/python/generate.py (grpcio-tools, pinned in
requirements-test.txt) must give the committed files byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_generated_stubs_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "clients/python/generate.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stubs_cover_every_rpc_of_the_protos() -> None:
    import re

    from gymhost.v1 import agent_service_pb2, env_service_pb2

    for module, service in ((env_service_pb2, "EnvService"), (agent_service_pb2, "AgentService")):
        proto = (REPO_ROOT / "proto/gymhost/v1" / (Path(module.__file__).name.replace("_pb2.py", ".proto"))).read_text()
        body = proto[proto.index(f"service {service}") :]
        rpcs = re.findall(r"^\s*rpc (\w+)\(", body, flags=re.M)
        assert sorted(m.name for m in module.DESCRIPTOR.services_by_name[service].methods) == sorted(rpcs)


def test_installed_package_is_this_checkout() -> None:
    import gymhost

    assert Path(gymhost.__file__).resolve().is_relative_to(REPO_ROOT / "clients/python/src")
    from importlib.metadata import version

    assert version("gymhost") == gymhost.__version__
