"""Fixtures of the Python client tests: one real gymhost server for the whole session.

The server is `node bin/gymhost.js serve --grpc-port 0 --http-port 0` in a child process:
ports 0 let the OS pick free loopback ports at bind time, and the real addresses are read
from its start-up line. It is stopped with SIGTERM (SIGKILL after 5 s) when the session ends.
Only tests that ask for these fixtures start it (the CartPole parity tests do not).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP = re.compile(r"serving gRPC on (\S+) and HTTP on (\S+)")
STARTUP_TIMEOUT_S = 60


@dataclass
class ServerProcess:
    process: subprocess.Popen
    grpc_address: str
    http_address: str
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        # The output pipe ends with the process; close it once its reader is done.
        if self.reader is not None:
            self.reader.join(timeout=5)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def start_server(*extra: str) -> ServerProcess:
    """Starts `gymhost serve` on free loopback ports; returns once it printed its addresses."""
    process = subprocess.Popen(
        ["node", "bin/gymhost.js", "serve", "--host", "127.0.0.1", "--grpc-port", "0", "--http-port", "0", *extra],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    found = threading.Event()
    addresses: list[str] = []

    def drain() -> None:  # keeps reading so the pipe never fills
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            m = STARTUP.search(line)
            if m and not found.is_set():
                addresses.extend(m.groups())
                found.set()
        found.set()

    reader = threading.Thread(target=drain, name="gymhost-server-output", daemon=True)
    reader.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not found.wait(0.1):
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("gymhost serve printed no start-up line within 60 s:\n" + "\n".join(lines))
    if not addresses:
        raise RuntimeError(f"gymhost serve exited ({process.poll()}) before serving:\n" + "\n".join(lines))
    return ServerProcess(process, addresses[0], addresses[1], lines, reader)


@pytest.fixture(scope="session")
def server():
    """A real gymhost server for the test session (GYMHOST_TEST_ADDRESS=host:port uses a
    server that is already running instead)."""
    external = os.environ.get("GYMHOST_TEST_ADDRESS")
    if external:
        yield ServerProcess(None, external, "")  # type: ignore[arg-type]
        return
    srv = start_server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def address(server: ServerProcess) -> str:
    """The server's gRPC address, host:port."""
    return server.grpc_address


@pytest.fixture(scope="session")
def client(address: str):
    """A gymhost.Client connected to the session's server."""
    import gymhost

    c = gymhost.connect(address)
    c.wait_until_ready(30)
    return c


GYM_HTTP_API_LINE = re.compile(r"gym-http-api dialect on (\S+)")


def gym_http_api_address(srv: ServerProcess) -> str:
    """The base URL of the gym-http-api dialect that a server started with --gym-http-api-port
    prints on the line after its start-up line."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in list(srv.output):
            m = GYM_HTTP_API_LINE.search(line)
            if m:
                return m.group(1)
        if srv.process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("gymhost serve printed no gym-http-api line:\n" + "\n".join(srv.output))


@pytest.fixture(scope="session")
def gym_http_api():
    """A real gymhost server that also serves the gym-http-api dialect on a free port
    (--gym-http-api-port 0): (server, base URL such as http://127.0.0.1:PORT)."""
    srv = start_server("--gym-http-api-port", "0")
    try:
        yield srv, gym_http_api_address(srv)
    finally:
        srv.stop()


os.environ.setdefault("MPLBACKEND", "Agg")
