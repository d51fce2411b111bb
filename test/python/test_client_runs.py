"""Training runs through the Python client against a real server: async Train, GetRun,
ListRuns, WatchRun, CancelRun, evaluations during training (best evaluation, keep_best,
stop_at_mean_reward), ExportRunCheckpoint and the errors of each.

Long runs are tabular agents on the large maze with a budget far beyond what a test waits
for (they are always cancelled); nothing here asserts how long anything took."""

from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np
import pytest

import gymhost

#: A budget no test lets run to its end (the server's default max_train_steps).
LONG_STEPS = 10_000_000
EVAL_EPISODES = 5
EVAL_SEED = 3


def _eventually(check: Callable[[], Any], seconds: float = 30.0) -> Any:
    """Polls ``check`` until it returns something truthy (and returns that); fails after ``seconds``."""
    end = time.monotonic() + seconds
    while True:
        out = check()
        if out:
            return out
        if time.monotonic() > end:
            pytest.fail(f"condition not met within {seconds} s")
        time.sleep(0.02)


def _poll_run(agent: gymhost.Agent, run_id: str, ready: Callable[[gymhost.TrainingRun], bool]) -> gymhost.TrainingRun:
    """GetRun until ``ready(run)``; returns that run."""

    def check() -> gymhost.TrainingRun | None:
        run = agent.get_run(run_id)
        return run if ready(run) else None

    return _eventually(check)


@pytest.fixture
def large_maze(address: str):
    with gymhost.make("GridWorld-v0", address=address, world="large_maze") as env:
        yield env


@pytest.fixture
def small_maze(address: str):
    with gymhost.make("GridWorld-v0", address=address, world="small_maze", random_start=True) as env:
        yield env


class LongRun:
    """An async run on its own agent that the test (or, at the end, this helper) cancels."""

    def __init__(self, env: Any, **options: Any) -> None:
        self.agent = gymhost.Agent("tabular", env=env, seed=0)
        self.run = self.agent.train(steps=LONG_STEPS, async_=True, **options)

    def close(self) -> None:
        try:
            self.agent.cancel_run(self.run.id)
        finally:
            self.agent.close()


@pytest.fixture
def long_run(large_maze):
    runs: list[LongRun] = []

    def start(**options: Any) -> LongRun:
        r = LongRun(large_maze, **options)
        runs.append(r)
        return r

    yield start
    for r in runs:
        r.close()


# ---- async Train, GetRun, ListRuns, CancelRun -------------------------------------------------


def test_async_train_returns_the_run(long_run, large_maze) -> None:
    r = long_run()
    run = r.run
    assert isinstance(run, gymhost.TrainingRun)
    assert run.id and run.agent == r.agent.id and run.env == large_maze.id
    assert run.state == "RUNNING" and run.running and not run.done
    assert run.request.steps == LONG_STEPS and run.request.episodes == 0
    assert getattr(run.request, "async") is True
    assert run.end_time is None and run.create_time is not None
    assert run.evaluations == [] and run.best_evaluation is None and run.best is None
    # the agent and the env are busy with the run
    assert r.agent.refresh().training
    with pytest.raises(gymhost.FailedPreconditionError):
        r.agent.train(episodes=1)


def test_get_run_shows_progress(long_run) -> None:
    r = long_run()
    first = _poll_run(r.agent, r.run.id, lambda x: x.episodes > 0)
    assert first.state == "RUNNING" and first.end_time is None
    assert first.steps >= first.episodes > 0
    later = _poll_run(r.agent, r.run.id, lambda x: x.steps > first.steps)
    assert later.state == "RUNNING" and later.episodes >= first.episodes
    assert math.isfinite(later.last_return) and math.isfinite(later.mean_return_100)
    assert later.id == r.run.id and later.agent == r.agent.id
    # the client-level call answers the same run
    assert r.agent.client.get_run(r.run.id).id == r.run.id


def test_list_runs_filters(long_run, large_maze) -> None:
    r = long_run()
    client = r.agent.client
    mine = r.agent.list_runs()
    assert [x.id for x in mine] == [r.run.id]
    assert r.run.id in [x.id for x in client.list_runs(state="RUNNING")]
    assert r.run.id in [x.id for x in client.list_runs(agent=r.agent, state="running")]
    assert r.run.id not in [x.id for x in client.list_runs(state="SUCCEEDED")]
    assert client.list_runs(agent=r.agent.id, state="CANCELLED") == []
    with pytest.raises(ValueError):
        client.list_runs(state="sleeping")
    # newest first
    assert r.agent.cancel_run(r.run.id).state == "CANCELLED"
    summary = r.agent.train(episodes=2)
    runs = r.agent.list_runs()
    assert [x.id for x in runs] == [summary.run, r.run.id]
    assert [x.state for x in runs] == ["SUCCEEDED", "CANCELLED"]
    assert [x.id for x in r.agent.list_runs(state="CANCELLED")] == [r.run.id]
    assert [x.id for x in client.list_runs(agent=r.agent.id, state="SUCCEEDED")] == [summary.run]


def test_cancel_run_ends_it_cancelled(long_run) -> None:
    r = long_run()
    _poll_run(r.agent, r.run.id, lambda x: x.episodes > 0)
    ended = r.agent.cancel_run(r.run.id)
    assert ended.id == r.run.id
    assert ended.state == "CANCELLED" and ended.done
    assert ended.end_time is not None and ended.episodes > 0 and ended.steps < LONG_STEPS
    assert ended.error == "" and not ended.reached_threshold
    again = r.agent.get_run(r.run.id)
    assert again.state == "CANCELLED" and again.steps == ended.steps and again.episodes == ended.episodes
    # cancelling an ended run answers it as it is
    assert r.agent.cancel_run(r.run.id).state == "CANCELLED"
    # the agent kept what it learned and is free again
    info = r.agent.refresh()
    assert not info.training and info.episodes == ended.episodes and info.total_steps == ended.steps
    summary = r.agent.train(episodes=1)
    assert summary.episodes == 1 and not summary.cancelled


def test_cancelled_blocking_train_names_its_run(large_maze) -> None:
    with gymhost.Agent("tabular", env=large_maze, seed=0) as agent:
        summary = agent.train(steps=LONG_STEPS, callback=lambda rec: False)
        assert summary.cancelled and summary.episodes == 1 and summary.run
        run = _poll_run(agent, summary.run, lambda x: x.done)
        assert run.state == "CANCELLED" and run.agent == agent.id


# ---- WatchRun ---------------------------------------------------------------------------------


def test_watch_run_yields_run_then_events_then_the_final_run(long_run) -> None:
    r = long_run()
    events: list[Any] = []
    cancelled = None
    for event in r.agent.watch_run(r.run.id):
        events.append(event)
        if cancelled is None and sum(isinstance(e, gymhost.EpisodeRecord) for e in events) >= 5:
            cancelled = r.agent.cancel_run(r.run.id)
    assert cancelled is not None, f"the watch ended before 5 episodes: {events}"
    first, last, middle = events[0], events[-1], events[1:-1]
    assert isinstance(first, gymhost.TrainingRun) and first.id == r.run.id and first.state == "RUNNING"
    assert isinstance(last, gymhost.TrainingRun) and last.id == r.run.id and last.state == "CANCELLED"
    assert last.end_time is not None
    assert middle and all(isinstance(e, gymhost.EpisodeRecord) for e in middle), [type(e).__name__ for e in middle]
    numbers = [e.episode for e in middle]
    assert numbers == sorted(set(numbers)), "episodes come once each, in order"
    assert last.episodes >= len(middle) and last.episodes == cancelled.episodes and last.steps == cancelled.steps


def test_watch_run_to_its_natural_end(large_maze) -> None:
    with gymhost.Agent("tabular", env=large_maze, seed=0) as agent:
        run = agent.train(steps=1_000_000, eval_every_steps=250_000, eval_episodes=2, async_=True)
        events = list(agent.watch_run(run.id))
        first, last = events[0], events[-1]
        assert isinstance(first, gymhost.TrainingRun) and first.state == "RUNNING"
        assert isinstance(last, gymhost.TrainingRun) and last.state == "SUCCEEDED" and last.end_time is not None
        assert last.steps >= 1_000_000 and len(last.evaluations) >= 4
        middle = events[1:-1]
        assert all(isinstance(e, (gymhost.EpisodeRecord, gymhost.RunEvaluation)) for e in middle)
        assert sum(isinstance(e, gymhost.EpisodeRecord) for e in middle) > 0
        assert [e for e in middle if isinstance(e, gymhost.RunEvaluation)] == last.evaluations[len(last.evaluations) - sum(isinstance(e, gymhost.RunEvaluation) for e in middle) :]
        assert agent.get_run(run.id) == last


def test_watch_run_with_evaluations(small_maze) -> None:
    with gymhost.Agent(preset="seed-tabular-gridworld", env=small_maze, seed=2) as agent:
        run = agent.train(episodes=40, eval_every_steps=400, eval_episodes=EVAL_EPISODES, eval_seed=EVAL_SEED, async_=True)
        events = list(agent.watch_run(run.id))
        assert isinstance(events[0], gymhost.TrainingRun) and isinstance(events[-1], gymhost.TrainingRun)
        final = events[-1]
        assert final.state == "SUCCEEDED" and final.episodes == 40
        assert all(isinstance(e, (gymhost.EpisodeRecord, gymhost.RunEvaluation)) for e in events[1:-1])
        seen = [e for e in events[1:-1] if isinstance(e, gymhost.RunEvaluation)]
        if events[0].running and events[0].episodes == 0:  # watched from the start: saw every evaluation
            assert [e.index for e in seen] == list(range(len(final.evaluations)))
        assert seen == final.evaluations[len(final.evaluations) - len(seen) :]


def test_watching_an_ended_run_yields_only_the_run(small_maze) -> None:
    with gymhost.Agent("tabular", env=small_maze, seed=0) as agent:
        summary = agent.train(episodes=3)
        events = list(agent.watch_run(summary.run))
        assert len(events) == 1 and isinstance(events[0], gymhost.TrainingRun)
        assert events[0].state == "SUCCEEDED" and events[0].episodes == 3 and events[0].steps == summary.steps


# ---- evaluations, keep_best, stop_at_mean_reward, checkpoints ----------------------------------


def _best(evaluations: list[gymhost.RunEvaluation]) -> gymhost.RunEvaluation:
    """Highest mean reward, the earliest on ties."""
    best = evaluations[0]
    for e in evaluations[1:]:
        if e.mean_reward > best.mean_reward:
            best = e
    return best


def test_train_with_evaluations_returns_the_best(small_maze) -> None:
    with gymhost.Agent(preset="seed-tabular-gridworld", env=small_maze, seed=1) as agent:
        seen_episodes: list[gymhost.EpisodeRecord] = []
        seen_evaluations: list[gymhost.RunEvaluation] = []
        summary = agent.train(
            episodes=60, eval_every_steps=500, eval_episodes=EVAL_EPISODES, eval_seed=EVAL_SEED, callback=seen_episodes.append, on_evaluation=seen_evaluations.append
        )
        assert isinstance(summary, gymhost.TrainSummary)
        assert not summary.cancelled and summary.episodes == 60 and len(seen_episodes) == 60
        assert len(seen_evaluations) >= 2
        assert [e.index for e in seen_evaluations] == list(range(len(seen_evaluations)))
        steps = [e.steps for e in seen_evaluations]
        assert steps == sorted(steps) and steps[-1] == summary.steps  # the last one at the end
        # every 500 steps (at the end of the episode that reaches the count), then once at the end
        assert all(e.steps >= 500 * (e.index + 1) for e in seen_evaluations[:-1])
        assert len(seen_evaluations) - 1 <= summary.steps // 500
        assert all(e.time is not None and e.std_reward >= 0 for e in seen_evaluations)
        assert summary.best_evaluation == _best(seen_evaluations)
        assert not summary.reached_threshold
        run = agent.get_run(summary.run)
        assert run.state == "SUCCEEDED" and run.episodes == summary.episodes and run.steps == summary.steps
        assert run.evaluations == seen_evaluations
        assert run.best_evaluation == summary.best_evaluation.index and run.best == summary.best_evaluation
        assert run.request.eval_every_steps == 500 and run.request.eval_episodes == EVAL_EPISODES and run.request.eval_seed == EVAL_SEED
        # an evaluation is Evaluate's greedy mean on eval_seed + i: the last one is the agent now
        assert agent.evaluate(episodes=EVAL_EPISODES, seed=EVAL_SEED).mean_reward == pytest.approx(seen_evaluations[-1].mean_reward)


def test_train_iter_streams_evaluations_after_their_episode(small_maze) -> None:
    with gymhost.Agent(preset="seed-tabular-gridworld", env=small_maze, seed=1) as agent:
        events = list(agent.train_iter(episodes=30, eval_every_steps=300, eval_episodes=2))
        assert isinstance(events[-1], gymhost.TrainSummary) and events[-1].episodes == 30
        episodes = 0
        steps = 0
        for e in events[:-1]:
            if isinstance(e, gymhost.EpisodeRecord):
                episodes += 1
                steps += e.length
            else:
                assert isinstance(e, gymhost.RunEvaluation)
                assert (e.episodes, e.steps) == (episodes, steps), "an evaluation follows the episode it ran after"
        assert isinstance(events[-2], gymhost.RunEvaluation) and events[-2].steps == events[-1].steps


def test_default_eval_episodes_is_ten(small_maze) -> None:
    with gymhost.Agent("tabular", env=small_maze, seed=0) as agent:
        summary = agent.train(episodes=3, eval_every_steps=100_000)
        run = agent.get_run(summary.run)
        assert len(run.evaluations) == 1 and run.evaluations[0].steps == summary.steps  # only the final one
        assert summary.best_evaluation == run.evaluations[0]
        assert agent.evaluate(episodes=10, seed=0).mean_reward == pytest.approx(run.evaluations[0].mean_reward)


def test_export_best_checkpoint_loads_via_import(small_maze) -> None:
    with gymhost.Agent(preset="seed-tabular-gridworld", env=small_maze, seed=4) as agent:
        summary = agent.train(episodes=60, eval_every_steps=500, eval_episodes=EVAL_EPISODES, eval_seed=EVAL_SEED)
        best = summary.best_evaluation
        assert best is not None
        checkpoint = agent.export_run_checkpoint(summary.run)  # best is the default
        assert isinstance(checkpoint, gymhost.RunCheckpoint) and isinstance(checkpoint, gymhost.ExportedAgent)
        assert checkpoint.format == "gymhost-agent-v1" and checkpoint.data
        assert checkpoint.evaluation == best and checkpoint.steps == best.steps
        assert agent.client.export_run_checkpoint(summary.run, "best").data == checkpoint.data
        with gymhost.Agent.load(checkpoint, env=small_maze) as copy:
            assert copy.id != agent.id and copy.kind == "tabular"
            # the saved agent is the one that was evaluated: the same greedy mean on the same seeds
            assert copy.evaluate(episodes=EVAL_EPISODES, seed=EVAL_SEED).mean_reward == pytest.approx(best.mean_reward)
            assert copy.refresh().total_steps == best.steps
        last = agent.export_run_checkpoint(summary.run, "last")
        run = agent.get_run(summary.run)
        assert last.format == "gymhost-agent-v1" and last.steps == run.checkpoint_steps == summary.steps
        assert last.evaluation is None
        with gymhost.Agent.load(last.data, env=small_maze) as copy:
            np.testing.assert_array_equal(copy.q_values(), agent.q_values())  # no keep_best: the last agent


def test_keep_best_leaves_the_agent_with_the_best_weights(small_maze) -> None:
    with gymhost.Agent(preset="seed-tabular-gridworld", env=small_maze, seed=5) as agent:
        summary = agent.train(episodes=60, eval_every_steps=300, eval_episodes=EVAL_EPISODES, eval_seed=EVAL_SEED, keep_best=True)
        best = summary.best_evaluation
        assert best is not None
        run = agent.get_run(summary.run)
        assert run.request.keep_best and run.best == best
        assert best.index < len(run.evaluations) - 1, "this seed's best evaluation is not its last (else keep_best shows nothing)"
        assert agent.evaluate(episodes=EVAL_EPISODES, seed=EVAL_SEED).mean_reward == pytest.approx(best.mean_reward)
        with gymhost.Agent.load(agent.export_run_checkpoint(summary.run, "best"), env=small_maze) as copy:
            np.testing.assert_array_equal(agent.q_values(), copy.q_values())


def test_keep_best_on_cancel(long_run) -> None:
    r = long_run(eval_every_steps=20_000, eval_episodes=2, keep_best=True)
    run = _poll_run(r.agent, r.run.id, lambda x: len(x.evaluations) >= 2)
    ended = r.agent.cancel_run(r.run.id)
    assert ended.state == "CANCELLED" and ended.best is not None
    assert len(ended.evaluations) >= len(run.evaluations)
    with gymhost.Agent.load(r.agent.export_run_checkpoint(r.run.id), client=r.agent.client) as copy:
        np.testing.assert_array_equal(r.agent.q_values(), copy.q_values())


def test_stop_at_mean_reward(small_maze) -> None:
    with gymhost.Agent("tabular", env=small_maze, seed=0) as agent:
        summary = agent.train(episodes=500, eval_every_steps=50, eval_episodes=2, stop_at_mean_reward=-1e9)
        assert summary.reached_threshold and not summary.cancelled
        assert summary.episodes < 500
        assert summary.best_evaluation is not None and summary.best_evaluation.index == 0
        run = agent.get_run(summary.run)
        assert run.state == "SUCCEEDED" and run.reached_threshold and len(run.evaluations) == 1


# ---- errors -----------------------------------------------------------------------------------


def test_unknown_run_is_not_found(client) -> None:
    for call in (
        lambda: client.get_run("run-does-not-exist"),
        lambda: client.cancel_run("run-does-not-exist"),
        lambda: list(client.watch_run("run-does-not-exist")),
        lambda: client.export_run_checkpoint("run-does-not-exist"),
    ):
        with pytest.raises(gymhost.NotFoundError) as err:
            call()
        assert err.value.code == "NOT_FOUND" and err.value.field == "id" and err.value.reason == "RUN_NOT_FOUND"


def test_run_options_need_evaluations(small_maze) -> None:
    with gymhost.Agent("tabular", env=small_maze, seed=0) as agent:
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            agent.train(episodes=5, keep_best=True)
        assert err.value.field == "keep_best"
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            agent.train(episodes=5, stop_at_mean_reward=0.0)
        assert err.value.field == "stop_at_mean_reward"
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            agent.train(episodes=5, keep_best=True, async_=True)
        assert err.value.field == "keep_best"
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            agent.train(episodes=5, eval_episodes=3)
        assert err.value.field == "eval_episodes"
        # nothing started
        assert agent.list_runs() == [] and not agent.refresh().training


def test_best_checkpoint_needs_evaluations(small_maze) -> None:
    with gymhost.Agent("tabular", env=small_maze, seed=0) as agent:
        summary = agent.train(episodes=2)
        assert summary.run and summary.best_evaluation is None
        with pytest.raises(gymhost.FailedPreconditionError):
            agent.export_run_checkpoint(summary.run)
        with pytest.raises(ValueError):
            agent.export_run_checkpoint(summary.run, "worst")
        last = agent.export_run_checkpoint(summary.run, "last")
        assert last.steps == summary.steps


# ---- what a viewer draws from: replayed run histories, recorded states and scenes ----------------


def test_watch_run_with_replay_yields_every_past_episode_once(small_maze) -> None:
    with gymhost.Agent("tabular", env=small_maze, seed=0) as agent:
        summary = agent.train(episodes=25)
        events = list(agent.watch_run(summary.run, replay=True))
        assert isinstance(events[0], gymhost.TrainingRun)
        episodes = events[1:]
        assert all(isinstance(e, gymhost.EpisodeRecord) for e in episodes)
        assert [e.episode for e in episodes] == list(range(1, 26))
        assert sum(e.length for e in episodes) == summary.steps


def test_recorded_greedy_episode_has_states_and_the_scene(address: str) -> None:
    rows = ["S..H", ".H..", "...G"]
    with gymhost.make("GridWorld-v0", address=address, map="\n".join(rows)) as env, gymhost.Agent("tabular", env=env, seed=1) as agent:
        agent.train(episodes=20)
        result = agent.evaluate(episodes=2, seed=4, record_trajectories=True)
        assert result.scene["kind"] == "grid" and result.scene["rows"] == rows
        for t in result.trajectories:
            assert t.states.shape == (len(t.actions) + 1, 2)
            np.testing.assert_array_equal(t.states[:, 0] * 4 + t.states[:, 1], t.observations)
