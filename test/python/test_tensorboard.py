"""TensorBoard event files written by gymhost, read back with the real `tensorboard` package
(EventAccumulator, as `tensorboard --logdir` reads them): `gymhost train --tensorboard DIR`,
Train runs of a server started with --tensorboard-dir, and a run resumed after a restart.

Every scalar is compared with what the run itself reports (the CLI's --json output, the
run's replayed episodes and its evaluations), at the run's global env step. Values go
through TensorBoard's float32 simple_value, so they are compared as float32. Nothing here
asserts how long anything took."""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator as ea

from conftest import REPO_ROOT, ServerProcess, start_server

EPISODE_TAGS = ("charts/episodic_return", "charts/episodic_length", "charts/epsilon")
LOSS_TAG = "losses/td_loss"
EVAL_TAGS = ("eval/mean_return", "eval/std_return")


def _f32(x: float) -> float:
    return float(np.float32(x))


def _number(x: Any) -> float:
    """A proto3-JSON double ("NaN", "Infinity" are strings; --json writes NaN as null)."""
    return math.nan if x is None else float(x)


def _scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series of the event files in ``run_dir`` as (step, value) pairs."""
    acc = ea.EventAccumulator(str(run_dir), size_guidance={ea.SCALARS: 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def _expected(episodes: list[dict[str, Any]], evaluations: list[dict[str, Any]], start_step: int = 0) -> dict[str, list[tuple[int, float]]]:
    """The series a run's episode records and evaluations should give (camelCase records)."""
    step = start_step
    out: dict[str, list[tuple[int, float]]] = {t: [] for t in (*EPISODE_TAGS, LOSS_TAG, *EVAL_TAGS)}
    for r in episodes:
        step += int(r["length"])
        out["charts/episodic_return"].append((step, _f32(_number(r["episodeReturn"]))))
        out["charts/episodic_length"].append((step, _f32(int(r["length"]))))
        out["charts/epsilon"].append((step, _f32(_number(r["epsilon"]))))
        loss = _number(r.get("loss"))
        if not math.isnan(loss):
            out[LOSS_TAG].append((step, _f32(loss)))
    for e in evaluations:
        out["eval/mean_return"].append((int(e["steps"]), _f32(_number(e["meanReward"]))))
        out["eval/std_return"].append((int(e["steps"]), _f32(_number(e["stdReward"]))))
    return {t: v for t, v in out.items() if v}


def _event_files(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.iterdir() if "tfevents" in p.name)


# --------------------------------------------------------------------------------------
# gymhost train --tensorboard DIR


@pytest.mark.parametrize(
    "args",
    [
        ["--preset", "seed-tabular-gridworld", "--seed", "1", "--episodes", "60", "--eval-every-steps", "1000", "--eval-episodes", "3"],
        ["--preset", "fast-cartpole-dqn", "--seed", "0", "--steps", "3000", "--eval-every-steps", "1000", "--eval-episodes", "2"],
    ],
    ids=["tabular-gridworld", "dqn-cartpole"],
)
def test_cli_train_writes_what_the_run_reports(tmp_path: Path, args: list[str]) -> None:
    logdir = tmp_path / "runs"
    report = tmp_path / "run.json"
    done = subprocess.run(
        ["node", "bin/gymhost.js", "train", *args, "--tensorboard", str(logdir), "--json", str(report)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # One run folder named like CleanRL's runs: <env>__<preset>__<seed>__<unix time>.
    runs = list(logdir.iterdir())
    assert len(runs) == 1, runs
    preset, seed = args[1], args[3]
    env_id = "GridWorld-v0" if "gridworld" in preset else "CartPole-v1"
    assert re.fullmatch(rf"{re.escape(env_id)}__{preset}__{seed}__\d+", runs[0].name), runs[0].name
    assert str(runs[0]) in done.stderr
    files = _event_files(runs[0])
    assert len(files) == 1 and re.fullmatch(r"events\.out\.tfevents\.\d+\.[^.]+(\..+)?", files[0]), files

    out = json.loads(report.read_text())
    history, evaluations, summary = out["history"], out["evaluations"], out["summary"]
    assert len(history) == summary["episodes"] > 0 and len(evaluations) >= 2
    got = _scalars(runs[0])
    want = _expected(history, evaluations)
    assert set(got) == set(want) == {*EPISODE_TAGS, LOSS_TAG, *EVAL_TAGS}
    for tag in want:
        assert got[tag] == want[tag], tag
    # The last episode ends at the run's last step; the CLI's summary line says the same counts.
    assert got["charts/episodic_return"][-1][0] == summary["steps"]
    assert f"{summary['episodes']} episodes, {summary['steps']} steps" in done.stdout


def test_cli_evaluation_after_training_is_logged_at_the_last_step(tmp_path: Path) -> None:
    """--eval-episodes without --eval-every-steps: the one greedy evaluation after training."""
    logdir = tmp_path / "runs"
    done = subprocess.run(
        ["node", "bin/gymhost.js", "train", "--preset", "seed-tabular-gridworld", "--seed", "4", "--episodes", "80",
         "--eval-episodes", "20", "--tensorboard", str(logdir), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [run_dir] = list(logdir.iterdir())
    assert len(_event_files(run_dir)) == 2, "the run's file, then the evaluation's"
    steps = int(re.search(r"done: 80 episodes, (\d+) steps", done.stdout).group(1))  # type: ignore[union-attr]
    mean, std = map(float, re.search(r"greedy evaluation over 20 episodes: mean (\S+) \+- (\S+)", done.stdout).groups())  # type: ignore[union-attr]
    got = _scalars(run_dir)
    assert len(got["charts/episodic_return"]) == 80 and got["charts/episodic_return"][-1][0] == steps
    [(mean_step, mean_value)] = got["eval/mean_return"]
    [(std_step, std_value)] = got["eval/std_return"]
    assert mean_step == std_step == steps
    # The CLI prints two decimals.
    assert mean_value == pytest.approx(mean, abs=0.0051) and std_value == pytest.approx(std, abs=0.0051)


def test_cli_tensorboard_flag_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for value, message in [("", "--tensorboard needs a directory"), (str(blocker), "--tensorboard .*cannot make the run's folder")]:
        done = subprocess.run(
            ["node", "bin/gymhost.js", "train", "--preset", "seed-tabular-gridworld", "--episodes", "2", "--tensorboard", value],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 2
        assert re.search(message, done.stderr), done.stderr


# --------------------------------------------------------------------------------------
# gymhost serve --tensorboard-dir DIR


def _rest(srv: ServerProcess, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    req = urllib.request.Request(srv.http_address + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=120) as res:
        text = res.read().decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()] if path.endswith("replay=true") else json.loads(text)


def _episodes_of(srv: ServerProcess, run_id: str, token: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An ended run and every episode record it reports (WatchRun with replay)."""
    lines = _rest(srv, "GET", f"/v1/runs/{run_id}:watch?replay=true", token=token)
    run = lines[0]["run"]
    episodes = [line["episode"] for line in lines if "episode" in line]
    assert len(episodes) == run["episodes"], "every episode replayed (none thinned)"
    return run, episodes


def _eventually(check: Callable[[], Any], seconds: float = 60.0) -> Any:
    """Polls ``check`` until it returns something truthy; fails after ``seconds``."""
    end = time.monotonic() + seconds
    while True:
        out = check()
        if out:
            return out
        if time.monotonic() > end:
            pytest.fail(f"condition not met within {seconds} s")
        time.sleep(0.02)


def _add_user(users: Path, name: str) -> str:
    out = subprocess.run(
        ["node", "bin/gymhost.js", "users", "add", name, "--role", "student", "--file", str(users)],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def test_server_train_runs_write_under_owner_and_run_id(tmp_path: Path) -> None:
    logdir = tmp_path / "tb"
    users = tmp_path / "users.json"
    # A user name that is not a plain path component: a leading '.' (allowed by the users file).
    token = _add_user(users, ".dot.student")
    srv = start_server("--tensorboard-dir", str(logdir), "--data-dir", ":memory:", "--users", str(users), "--workers", "1")
    try:
        for preset, env_body in [
            ("seed-tabular-gridworld", {"envId": "GridWorld-v0", "seed": 2, "config": {"world": "small_maze", "random_start": True}}),
            ("fast-cartpole-dqn", {"envId": "CartPole-v1", "seed": 0}),
        ]:
            env = _rest(srv, "POST", "/v1/envs", env_body, token)
            agent = _rest(srv, "POST", "/v1/agents", {"preset": preset, "env": env["id"], "seed": 0}, token)
            summary = _rest(srv, "POST", f"/v1/agents/{agent['id']}:train", {"steps": 2500, "evalEverySteps": 800, "evalEpisodes": 2, "evalSeed": 5}, token)
            run, episodes = _episodes_of(srv, summary["run"], token)
            assert run["owner"] == ".dot.student" and run["steps"] == 2500
            run_dir = logdir / "%2Edot.student" / summary["run"]
            assert len(_event_files(run_dir)) == 1
            got = _scalars(run_dir)
            want = _expected(episodes, run["evaluations"])
            assert set(got) == set(want) == {*EPISODE_TAGS, LOSS_TAG, *EVAL_TAGS}, preset
            for tag in want:
                assert got[tag] == want[tag], (preset, tag)
            assert got["charts/episodic_return"][-1][0] == 2500
        assert sorted(p.name for p in logdir.iterdir()) == ["%2Edot.student"]
    finally:
        srv.stop()


def test_a_run_resumed_after_a_restart_adds_a_file_and_tensorboard_shows_the_run_once(tmp_path: Path) -> None:
    logdir, data = tmp_path / "tb", tmp_path / "data"
    common = ("--tensorboard-dir", str(logdir), "--data-dir", str(data), "--checkpoint-seconds", "0.05", "--workers", "1")
    srv = start_server(*common)
    try:
        env = _rest(srv, "POST", "/v1/envs", {"envId": "CartPole-v1", "seed": 0})
        agent = _rest(srv, "POST", "/v1/agents", {"preset": "fast-cartpole-dqn", "env": env["id"], "seed": 0})
        # A budget no test waits for: the run is cancelled once it has gone on after the restart.
        run = _rest(srv, "POST", f"/v1/agents/{agent['id']}:train", {"steps": 5_000_000, "async": True, "evalEverySteps": 500, "evalEpisodes": 2})
        run_id = run["id"]
        _eventually(lambda: int(_rest(srv, "GET", f"/v1/runs/{run_id}").get("checkpointSteps", 0)) >= 1500)
    finally:
        srv.stop()
    run_dir = logdir / "anonymous" / run_id
    assert len(_event_files(run_dir)) == 1

    srv = start_server(*common)
    try:
        resumed = _rest(srv, "GET", f"/v1/runs/{run_id}")
        assert resumed["resumes"] == 1
        resumed_at = int(resumed["steps"])
        _eventually(lambda: int(_rest(srv, "GET", f"/v1/runs/{run_id}")["steps"]) >= resumed_at + 1500)
        _rest(srv, "POST", f"/v1/runs/{run_id}:cancel", {})
        run, episodes = _episodes_of(srv, run_id)
    finally:
        srv.stop()
    assert run["state"] == "RUN_STATE_CANCELLED" and run["resumes"] == 1
    # Two files; the second sorts after the first, so TensorBoard reads it last.
    files = _event_files(run_dir)
    assert len(files) == 2, files
    # What the first server wrote past the checkpoint is dropped (a SessionLog START in the
    # new file); the run's episodes and evaluations are there once each, in order.
    got = _scalars(run_dir)
    want = _expected(episodes, run["evaluations"])
    assert set(got) == set(want) == {*EPISODE_TAGS, LOSS_TAG, *EVAL_TAGS}
    for tag in want:
        assert got[tag] == want[tag], tag
    steps = [s for s, _ in got["charts/episodic_return"]]
    assert steps == sorted(steps) and steps[0] < resumed_at < steps[-1]
