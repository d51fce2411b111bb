"""Agent: a Q-learning agent hosted by gymhost's AgentService.

The seed's loop with a remote agent::

    env = gymhost.make("GridWorld-v0", address=..., world="small_maze", random_start=True)
    agent = gymhost.Agent(preset="seed-tabular-gridworld", env=env, seed=1)
    choose_action, update_Q = agent.choose_action, agent.update_Q
    ...                                   # the notes' loop, unchanged
    agent.end_episode(total_reward, steps)

or let the server run it: ``agent.train(episodes=500)``, ``agent.evaluate(episodes=100)``.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence, overload

import numpy as np
from google.protobuf import json_format
from gymnasium import spaces

from . import errors
from ._convert import as_int, dict_to_struct, numpy_to_tensor, space_from_proto, space_to_proto, struct_to_dict, tensor_to_numpy
from .client import Client, resolve_client
from .v1 import agent_service_pb2 as apb
from .v1 import spaces_pb2


@dataclasses.dataclass(frozen=True)
class EpisodeRecord:
    """One line of an agent's history."""

    episode: int
    episode_return: float
    length: int
    #: Mean loss of the episode's updates (DQN: its gradient steps; tabular: squared TD errors); NaN when none ran.
    loss: float
    epsilon: float
    wall_time_ms: float

    @classmethod
    def _from(cls, r: apb.EpisodeRecord) -> "EpisodeRecord":
        return cls(int(r.episode), r.episode_return, int(r.length), r.loss, r.epsilon, r.wall_time_ms)


class History(list):
    """A list of :class:`EpisodeRecord` with the columns as NumPy arrays."""

    total: int = 0

    @property
    def returns(self) -> np.ndarray:
        return np.array([r.episode_return for r in self], dtype=np.float64)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([r.length for r in self], dtype=np.int64)

    @property
    def losses(self) -> np.ndarray:
        return np.array([r.loss for r in self], dtype=np.float64)

    @property
    def epsilons(self) -> np.ndarray:
        return np.array([r.epsilon for r in self], dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class Choice:
    """ChooseAction's answer: the action, all Q-values, whether it explored, epsilon."""

    action: int
    q_values: np.ndarray
    explored: bool
    epsilon: float


@dataclasses.dataclass(frozen=True)
class UpdateResult:
    """UpdateQ's answer."""

    #: DQN: mean loss of the gradient steps run (NaN when none ran); tabular: mean squared TD error.
    loss: float
    #: q - Q(s, a) before each update, one per transition.
    td_errors: np.ndarray
    #: Tabular agents: Q(s, a) after each update.
    new_q: np.ndarray
    gradient_steps: int


@dataclasses.dataclass(frozen=True)
class EpisodeEnd:
    """EndEpisode's answer."""

    record: EpisodeRecord
    loss: float
    gradient_steps: int
    #: Exploration probability of the next episode.
    epsilon: float
    target_synced: bool


@dataclasses.dataclass(frozen=True)
class RunEvaluation:
    """One greedy evaluation during a training run."""

    #: 0-based number of the evaluation in its run.
    index: int
    #: Training steps and episodes done when it ran.
    steps: int
    episodes: int
    mean_reward: float
    std_reward: float
    time: datetime.datetime | None = None

    @classmethod
    def _from(cls, e: apb.RunEvaluation) -> "RunEvaluation":
        return cls(int(e.index), int(e.steps), int(e.episodes), e.mean_reward, e.std_reward, _time(e, "time"))


@dataclasses.dataclass(frozen=True)
class TrainSummary:
    episodes: int
    steps: int
    wall_time_ms: float
    #: Mean return of the last (up to) 100 episodes of the call.
    mean_return_100: float
    last_return: float
    cancelled: bool
    #: Id of the training run (``get_run`` has its evaluations).
    run: str = ""
    #: The run's best evaluation (highest mean, earliest on ties), if it evaluated.
    best_evaluation: RunEvaluation | None = None
    #: Whether an evaluation reached ``stop_at_mean_reward``.
    reached_threshold: bool = False

    @classmethod
    def _from(cls, s: apb.TrainSummary) -> "TrainSummary":
        best = RunEvaluation._from(s.best_evaluation) if s.HasField("best_evaluation") else None
        return cls(int(s.episodes), int(s.steps), s.wall_time_ms, s.mean_return_100, s.last_return, bool(s.cancelled), s.run, best, bool(s.reached_threshold))


#: TrainingRun.state values.
RUN_STATES = ("RUNNING", "SUCCEEDED", "CANCELLED", "FAILED")


@dataclasses.dataclass(frozen=True)
class TrainingRun:
    """A training run (the long-running operation a Train call starts): GetRun's answer."""

    id: str
    #: Who started it.
    owner: str
    #: The agent and the env session it trains on.
    agent: str
    env: str
    #: ``"RUNNING"``, ``"SUCCEEDED"``, ``"CANCELLED"`` or ``"FAILED"``.
    state: str
    #: The Train request that started it (budget and options).
    request: apb.TrainRequest
    #: Progress: episodes and environment steps done.
    episodes: int
    steps: int
    #: Mean return of the last (up to) 100 training episodes, and of the last one (NaN if none).
    mean_return_100: float
    last_return: float
    evaluations: list[RunEvaluation]
    #: Index in ``evaluations`` of the best one (highest mean, earliest on ties), or None.
    best_evaluation: int | None
    #: Whether it stopped because an evaluation reached ``stop_at_mean_reward``.
    reached_threshold: bool
    #: Why it failed (state ``"FAILED"``).
    error: str
    create_time: datetime.datetime | None
    update_time: datetime.datetime | None
    #: When it ended (None while running).
    end_time: datetime.datetime | None
    #: Steps done at its last checkpoint, and when.
    checkpoint_steps: int
    checkpoint_time: datetime.datetime | None
    #: Times it was resumed from a checkpoint after a server restart.
    resumes: int
    #: Training wall time so far, ms.
    wall_time_ms: float

    @property
    def running(self) -> bool:
        return self.state == "RUNNING"

    @property
    def done(self) -> bool:
        """Whether it has ended (succeeded, cancelled or failed)."""
        return self.state != "RUNNING"

    @property
    def best(self) -> RunEvaluation | None:
        """The best evaluation, or None."""
        return self.evaluations[self.best_evaluation] if self.best_evaluation is not None else None

    @classmethod
    def _from(cls, r: apb.TrainingRun) -> "TrainingRun":
        return cls(
            id=r.id,
            owner=r.owner,
            agent=r.agent,
            env=r.env,
            state=_state_name(r.state),
            request=r.request,
            episodes=int(r.episodes),
            steps=int(r.steps),
            mean_return_100=r.mean_return_100,
            last_return=r.last_return,
            evaluations=[RunEvaluation._from(e) for e in r.evaluations],
            best_evaluation=int(r.best_evaluation) if r.HasField("best_evaluation") else None,
            reached_threshold=bool(r.reached_threshold),
            error=r.error,
            create_time=_time(r, "create_time"),
            update_time=_time(r, "update_time"),
            end_time=_time(r, "end_time"),
            checkpoint_steps=int(r.checkpoint_steps),
            checkpoint_time=_time(r, "checkpoint_time"),
            resumes=int(r.resumes),
            wall_time_ms=r.wall_time_ms,
        )


@dataclasses.dataclass(frozen=True)
class Trajectory:
    #: [length + 1, ...] observations from the reset to the last step.
    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    #: [length + 1, k] float32 drawable states, named by EvaluateResult.scene["state_names"]
    #: (GridWorld: row, col; CartPole: x, x_dot, theta, theta_dot).
    states: np.ndarray


@dataclasses.dataclass(frozen=True)
class EvaluateResult:
    mean_reward: float
    std_reward: float
    min_reward: float
    max_reward: float
    returns: np.ndarray
    lengths: np.ndarray
    trajectories: list[Trajectory]
    #: With record_trajectories: what the states are drawn over (``kind`` "grid" with
    #: ``rows``, or "cart_pole" with ``x_threshold`` and ``pole_half_length``); else {}.
    scene: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ExportedAgent:
    """ExportAgent's answer: the agent's bytes (ImportAgent reads them) and, for DQN, the
    online network as a tfjs LayersModel (``model.json`` + ``weights.bin``)."""

    format: str
    data: bytes
    tfjs_model_json: str = ""
    tfjs_weights: bytes = b""

    def save(self, path: str | Path) -> Path:
        """Writes the agent's bytes to ``path`` (and the tfjs model beside it, for DQN:
        ``<path>.tfjs/model.json`` and ``weights.bin``)."""
        p = Path(path)
        p.write_bytes(self.data)
        if self.tfjs_model_json:
            d = p.with_name(p.name + ".tfjs")
            d.mkdir(exist_ok=True)
            (d / "model.json").write_text(self.tfjs_model_json)
            (d / "weights.bin").write_bytes(self.tfjs_weights)
        return p


@dataclasses.dataclass(frozen=True)
class RunCheckpoint(ExportedAgent):
    """ExportRunCheckpoint's answer: the agent as a run saved it, in ExportAgent's format
    (:meth:`Agent.load` and :meth:`save` take it), the training steps it had done and, for
    the best checkpoint, its evaluation."""

    steps: int = 0
    evaluation: RunEvaluation | None = None


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named agent configuration and the env setup it was tuned with (ListAgentKinds)."""

    name: str
    description: str
    kind: str
    env_id: str
    config: dict[str, Any]
    env_config: dict[str, Any]
    reward_function: str
    reward_params: dict[str, Any]
    train_episodes: int
    train_steps: int

    def make_env(self, client: Client | None = None, address: str | None = None, **kwargs: Any) -> Any:
        """A RemoteEnv of the preset's env type with its env config and reward function
        (keyword arguments override them)."""
        from .env import RemoteEnv

        config = {**self.env_config, **kwargs.pop("config", {})}
        kwargs.setdefault("reward_function", self.reward_function)
        kwargs.setdefault("reward_params", self.reward_params or None)
        return RemoteEnv(self.env_id, client=client, address=address, config=config, **kwargs)


def presets(client: Client | None = None, address: str | None = None, **kwargs: Any) -> dict[str, Preset]:
    """The server's agent presets by name."""
    c = resolve_client(client, address, kwargs)
    response = c.call(c.agent_stub.ListAgentKinds, apb.ListAgentKindsRequest(), idempotent=True)
    return {
        p.name: Preset(
            name=p.name,
            description=p.description,
            kind=p.kind,
            env_id=p.env_id,
            config=struct_to_dict(p.config),
            env_config=struct_to_dict(p.env_config),
            reward_function=p.reward_function,
            reward_params=struct_to_dict(p.reward_params),
            train_episodes=int(p.train_episodes),
            train_steps=int(p.train_steps),
        )
        for p in response.presets
    }


class Agent:
    """A tabular-Q or DQN agent hosted by the server.

    Args:
        kind: ``"tabular"`` or ``"dqn"`` (may be omitted with a preset).
        env: the env it is for: a RemoteEnv (its client is used) or a session id. Or give
            ``observation_space`` and ``action_space`` (gymnasium spaces) instead.
        preset: a preset name (see :func:`gymhost.presets`); ``config`` overrides it.
        config: hyperparameters (also accepted as keyword arguments: ``gamma=0.9``).
        seed: seeds exploration, replay sampling and weight initialisation.
        id: attach to an existing agent instead of creating one.
        address / client / connection options: see :class:`gymhost.Client`.

    ``close()`` (or ``delete()``) deletes the agent; it is a context manager.
    """

    def __init__(
        self,
        kind: str = "",
        *,
        env: Any = None,
        preset: str = "",
        config: Mapping[str, Any] | None = None,
        seed: int | None = None,
        observation_space: spaces.Space | None = None,
        action_space: spaces.Space | None = None,
        id: str | None = None,
        address: str | None = None,
        client: Client | None = None,
        **kwargs: Any,
    ) -> None:
        self._closed = True
        if client is None and address is None and env is not None and hasattr(env, "unwrapped") and hasattr(env.unwrapped, "client"):
            client = env.unwrapped.client
        self.client = resolve_client(client, address, kwargs)
        self._env_id = _session_id(env)
        if id is not None:
            info = self.client.call(self.client.agent_stub.GetAgent, apb.GetAgentRequest(id=id), idempotent=True).agent
            self._owned = False
        else:
            request = apb.CreateAgentRequest(
                kind=kind,
                env=self._env_id,
                preset=preset,
                config=dict_to_struct({**(config or {}), **kwargs}),
                seed=seed,
                observation_space=space_to_proto(observation_space) if observation_space is not None else None,
                action_space=space_to_proto(action_space) if action_space is not None else None,
            )
            info = self.client.call(self.client.agent_stub.CreateAgent, request).agent
            self._owned = True
        self._set_info(info)
        self._closed = False

    def _set_info(self, info: apb.Agent) -> None:
        self._info = info
        #: Server-assigned agent id.
        self.id: str = info.id
        self.kind: str = info.kind
        self.observation_space = space_from_proto(info.observation_space)
        self.action_space = space_from_proto(info.action_space)
        self._discrete_states = isinstance(self.observation_space, spaces.Discrete)
        self._state_dtype = np.float32 if self._discrete_states else self.observation_space.dtype
        self._md = self.client.metadata_for(self.id)
        self._timeout = self.client.timeout
        self._wait = self.client.wait_for_ready
        self._choose_rpc = self.client.agent_stub.ChooseAction
        self._update_rpc = self.client.agent_stub.UpdateQ

    # ---- the seed's functions ------------------------------------------------------------------

    def choose_action(self, state: Any, greedy: bool = False) -> int:
        """The seed's choose_action: epsilon-greedy (or, with ``greedy``, argmax Q) action."""
        return int(self._unary(self._choose_rpc, apb.ChooseActionRequest(id=self.id, state=self._state(state), greedy=greedy)).action)

    def choose(self, state: Any, greedy: bool = False) -> Choice:
        """choose_action with the Q-values of every action, whether it explored and epsilon."""
        r = self._unary(self._choose_rpc, apb.ChooseActionRequest(id=self.id, state=self._state(state), greedy=greedy))
        return Choice(int(r.action), np.array(r.q_values, dtype=np.float32), bool(r.explored), r.epsilon)

    def update_q(self, state: Any, next_state: Any, action: Any, reward: float, done: bool) -> UpdateResult:
        """The seed's ``update_Q(state, next_state, action, reward, done)`` for one transition
        (note the seed's argument order). ``done`` means terminated: a truncated episode
        should pass False so the target bootstraps."""
        t = apb.Transition(state=self._state(state), action=as_int(action), reward=float(reward), next_state=self._state(next_state), done=bool(done))
        return _update_result(self._unary(self._update_rpc, apb.UpdateQRequest(id=self.id, transition=t)))

    #: The seed's spelling.
    update_Q = update_q

    def update_batch(self, transitions: Sequence[tuple[Any, Any, float, Any, bool]]) -> UpdateResult:
        """Several ``(state, action, reward, next_state, done)`` transitions in one call, in order."""
        ts = [apb.Transition(state=self._state(s), action=as_int(a), reward=float(r), next_state=self._state(s2), done=bool(d)) for s, a, r, s2, d in transitions]
        return _update_result(self._unary(self._update_rpc, apb.UpdateQRequest(id=self.id, transitions=ts)))

    def end_episode(self, episode_return: float, length: int) -> EpisodeEnd:
        """Ends an episode: records it in the history, runs the fitted-Q update, target sync
        and the epsilon schedule where the agent's config puts them at episode ends."""
        r = self._unary(self.client.agent_stub.EndEpisode, apb.EndEpisodeRequest(id=self.id, episode_return=float(episode_return), length=int(length)))
        return EpisodeEnd(EpisodeRecord._from(r.record), r.loss, int(r.gradient_steps), r.epsilon, bool(r.target_synced))

    # ---- server-side loops -----------------------------------------------------------------------

    @overload
    def train(
        self,
        episodes: int = 0,
        steps: int = 0,
        *,
        env: Any = None,
        callback: Callable[[EpisodeRecord], Any] | None = None,
        on_evaluation: Callable[[RunEvaluation], Any] | None = None,
        eval_every_steps: int = 0,
        eval_episodes: int = 0,
        eval_seed: int = 0,
        keep_best: bool = False,
        stop_at_mean_reward: float | None = None,
        async_: Literal[False] = False,
        timeout: float | None = None,
    ) -> TrainSummary: ...

    @overload
    def train(
        self,
        episodes: int = 0,
        steps: int = 0,
        *,
        env: Any = None,
        callback: Callable[[EpisodeRecord], Any] | None = None,
        on_evaluation: Callable[[RunEvaluation], Any] | None = None,
        eval_every_steps: int = 0,
        eval_episodes: int = 0,
        eval_seed: int = 0,
        keep_best: bool = False,
        stop_at_mean_reward: float | None = None,
        async_: Literal[True],
        timeout: float | None = None,
    ) -> TrainingRun: ...

    def train(
        self,
        episodes: int = 0,
        steps: int = 0,
        *,
        env: Any = None,
        callback: Callable[[EpisodeRecord], Any] | None = None,
        on_evaluation: Callable[[RunEvaluation], Any] | None = None,
        eval_every_steps: int = 0,
        eval_episodes: int = 0,
        eval_seed: int = 0,
        keep_best: bool = False,
        stop_at_mean_reward: float | None = None,
        async_: bool = False,
        timeout: float | None = None,
    ) -> TrainSummary | TrainingRun:
        """Runs the training loop on the server for ``episodes`` episodes or ``steps`` steps
        (on ``env`` or the agent's own env session) as a training run, and returns its
        :class:`TrainSummary`. ``callback`` gets each episode's record; returning False from
        it (or Ctrl-C) cancels training. ``timeout``: a deadline in seconds for the whole
        call (default none).

        Evaluations: ``eval_every_steps`` evaluates the agent greedily every that many
        environment steps (and once at the end) on ``eval_episodes`` episodes (server default
        10) reset with ``eval_seed + i``; ``on_evaluation`` gets each :class:`RunEvaluation`.
        ``keep_best`` leaves the agent with the weights of its best evaluation;
        ``stop_at_mean_reward`` stops once an evaluation reaches that mean.

        ``async_=True`` returns the :class:`TrainingRun` at once instead; the run goes on
        without the call (``get_run``, ``watch_run``, ``cancel_run``)."""
        options = dict(eval_every_steps=eval_every_steps, eval_episodes=eval_episodes, eval_seed=eval_seed, keep_best=keep_best, stop_at_mean_reward=stop_at_mean_reward)
        if async_:
            for event in self.train_iter(episodes, steps, env=env, timeout=timeout if timeout is not None else self._timeout, async_=True, **options):
                if isinstance(event, TrainingRun):
                    return event
            raise errors.InternalError("the server answered an async Train without the run")
        summary = None
        seen: list[EpisodeRecord] = []
        evaluations: list[RunEvaluation] = []
        gen = self.train_iter(episodes, steps, env=env, timeout=timeout, **options)
        try:
            for event in gen:
                if isinstance(event, TrainSummary):
                    summary = event
                elif isinstance(event, RunEvaluation):
                    evaluations.append(event)
                    if on_evaluation is not None:
                        on_evaluation(event)
                elif isinstance(event, EpisodeRecord):
                    seen.append(event)
                    if callback is not None and callback(event) is False:
                        break
        finally:
            gen.close()
        if summary is None:  # cancelled by the callback: the run is the agent's newest
            returns = [r.episode_return for r in seen[-100:]]
            best = None
            for e in evaluations:
                if best is None or e.mean_reward > best.mean_reward:
                    best = e
            return TrainSummary(
                episodes=len(seen),
                steps=sum(r.length for r in seen),
                wall_time_ms=sum(r.wall_time_ms for r in seen),
                mean_return_100=float(np.mean(returns)) if returns else float("nan"),
                last_return=seen[-1].episode_return if seen else float("nan"),
                cancelled=True,
                run=self._latest_run_id(),
                best_evaluation=best,
            )
        return summary

    def train_iter(
        self,
        episodes: int = 0,
        steps: int = 0,
        *,
        env: Any = None,
        eval_every_steps: int = 0,
        eval_episodes: int = 0,
        eval_seed: int = 0,
        keep_best: bool = False,
        stop_at_mean_reward: float | None = None,
        async_: bool = False,
        timeout: float | None = None,
    ) -> Iterator[EpisodeRecord | RunEvaluation | TrainSummary | TrainingRun]:
        """Train as a generator: one EpisodeRecord per episode and a RunEvaluation after the
        episode it followed, then the TrainSummary (with ``async_``: only the TrainingRun).
        Closing the generator early cancels the call (the server stops training)."""
        request = apb.TrainRequest(
            id=self.id,
            env=_session_id(env),
            episodes=int(episodes),
            steps=int(steps),
            eval_every_steps=int(eval_every_steps),
            eval_episodes=int(eval_episodes),
            eval_seed=int(eval_seed),
            keep_best=bool(keep_best),
            stop_at_mean_reward=None if stop_at_mean_reward is None else float(stop_at_mean_reward),
            **{"async": bool(async_)},
        )
        for message in self.client.server_stream(self.client.agent_stub.Train, request, timeout=timeout):
            kind = message.WhichOneof("event")
            if kind == "episode":
                yield EpisodeRecord._from(message.episode)
            elif kind == "evaluation":
                yield RunEvaluation._from(message.evaluation)
            elif kind == "summary":
                yield TrainSummary._from(message.summary)
            elif kind == "run":
                yield TrainingRun._from(message.run)

    # ---- training runs -----------------------------------------------------------------------------

    def list_runs(self, state: str | int | None = None) -> list[TrainingRun]:
        """This agent's training runs, newest first (``state``: e.g. ``"RUNNING"``)."""
        return self.client.list_runs(agent=self.id, state=state)

    def get_run(self, run_id: str) -> TrainingRun:
        """A training run: state, progress, evaluations, best evaluation (see :meth:`Client.get_run`)."""
        return self.client.get_run(run_id)

    def cancel_run(self, run_id: str) -> TrainingRun:
        """Stops a running run; returns it as it ended (see :meth:`Client.cancel_run`)."""
        return self.client.cancel_run(run_id)

    def watch_run(self, run_id: str, timeout: float | None = None, replay: bool = False) -> Iterator[TrainingRun | EpisodeRecord | RunEvaluation]:
        """A run's events as a generator (see :meth:`Client.watch_run`)."""
        return self.client.watch_run(run_id, timeout=timeout, replay=replay)

    def export_run_checkpoint(self, run_id: str, checkpoint: str | int = "best") -> RunCheckpoint:
        """The agent as a run saved it (see :meth:`Client.export_run_checkpoint`);
        :meth:`Agent.load` makes a new agent of it."""
        return self.client.export_run_checkpoint(run_id, checkpoint)

    def _latest_run_id(self) -> str:
        try:
            runs = self.client.list_runs(agent=self.id)
        except errors.GymhostError:
            return ""
        return runs[0].id if runs else ""

    def evaluate(self, episodes: int = 100, seed: int = 0, *, env: Any = None, record_trajectories: bool = False) -> EvaluateResult:
        """Greedy episodes (episode i reset with seed + i) on a private copy of the env."""
        r = self.client.call(
            self.client.agent_stub.Evaluate,
            apb.EvaluateRequest(id=self.id, env=_session_id(env), episodes=int(episodes), seed=int(seed), record_trajectories=record_trajectories),
            idempotent=True,
            timeout=None,
        )
        obs_dtype = np.int64 if self._discrete_states else self.observation_space.dtype
        trajectories = [
            Trajectory(
                tensor_to_numpy(t.observations, obs_dtype),
                np.array(t.actions, dtype=np.int64),
                np.array(t.rewards, dtype=np.float64),
                tensor_to_numpy(t.states, np.float32),
            )
            for t in r.trajectories
        ]
        scene = struct_to_dict(r.scene) if r.HasField("scene") else {}
        return EvaluateResult(
            r.mean_reward, r.std_reward, r.min_reward, r.max_reward, np.array(r.returns, dtype=np.float64), np.array(r.lengths, dtype=np.int64), trajectories, scene
        )

    # ---- inspection --------------------------------------------------------------------------------

    def history(self, offset: int = 0, limit: int = 0) -> History:
        """Per-episode return, length, loss, epsilon, wall time (``limit`` 0 = all)."""
        r = self.client.call(self.client.agent_stub.GetHistory, apb.GetHistoryRequest(id=self.id, offset=int(offset), limit=int(limit)), idempotent=True)
        h = History(EpisodeRecord._from(x) for x in r.records)
        h.total = int(r.total)
        return h

    def q_values(self, states: Sequence[Any] | None = None) -> np.ndarray:
        """Q-values ``[len(states), num_actions]``; no states = the whole table (tabular agents)."""
        request = apb.GetQRequest(id=self.id, states=[self._state(s) for s in states] if states is not None else [])
        return tensor_to_numpy(self.client.call(self.client.agent_stub.GetQ, request, idempotent=True).q)

    def refresh(self) -> apb.Agent:
        """The agent as the server has it now (GetAgent): episodes, steps, epsilon, config."""
        self._info = self.client.call(self.client.agent_stub.GetAgent, apb.GetAgentRequest(id=self.id), idempotent=True).agent
        return self._info

    @property
    def info(self) -> apb.Agent:
        """The Agent message as of creation or the last :meth:`refresh`."""
        return self._info

    @property
    def config(self) -> dict[str, Any]:
        """Hyperparameters after defaults were applied."""
        return struct_to_dict(self._info.config)

    @property
    def epsilon(self) -> float:
        return self.refresh().epsilon

    def describe(self) -> dict[str, Any]:
        """The current Agent message as a dict."""
        return json_format.MessageToDict(self.refresh(), preserving_proto_field_name=True)

    # ---- export / import ---------------------------------------------------------------------------

    def export(self) -> ExportedAgent:
        """The agent as bytes (and a tfjs model for DQN); :meth:`Agent.load` reads them back."""
        r = self.client.call(self.client.agent_stub.ExportAgent, apb.ExportAgentRequest(id=self.id), idempotent=True)
        return ExportedAgent(r.format, bytes(r.data), r.tfjs_model_json, bytes(r.tfjs_weights))

    def save(self, path: str | Path) -> Path:
        """Exports the agent to a file."""
        return self.export().save(path)

    @classmethod
    def load(cls, data: bytes | str | Path | ExportedAgent, *, env: Any = None, client: Client | None = None, address: str | None = None, **kwargs: Any) -> "Agent":
        """A new agent on the server from exported bytes (or a file saved by :meth:`save`),
        optionally bound to an env session."""
        if isinstance(data, ExportedAgent):
            data = data.data
        elif isinstance(data, (str, Path)):
            data = Path(data).read_bytes()
        if client is None and address is None and env is not None and hasattr(env, "unwrapped") and hasattr(env.unwrapped, "client"):
            client = env.unwrapped.client
        c = resolve_client(client, address, kwargs)
        info = c.call(c.agent_stub.ImportAgent, apb.ImportAgentRequest(data=bytes(data), env=_session_id(env))).agent
        return cls(id=info.id, client=c)._own()

    def _own(self) -> "Agent":
        self._owned = True
        return self

    # ---- lifecycle ---------------------------------------------------------------------------------

    def delete(self) -> None:
        """Deletes the agent on the server (twice is fine)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.client.call(self.client.agent_stub.DeleteAgent, apb.DeleteAgentRequest(id=self.id), idempotent=True)
        except (errors.NotFoundError, errors.UnavailableError, errors.CancelledError):
            pass

    def close(self) -> None:
        """Deletes the agent if this object created it (an attached agent is left alone)."""
        if self._owned:
            self.delete()
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Agent":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<gymhost.Agent {getattr(self, 'kind', '?')} {getattr(self, 'id', '?')}{' closed' if self._closed else ''}>"

    # ---- helpers ---------------------------------------------------------------------------------------

    def _state(self, state: Any) -> spaces_pb2.SpaceValue:
        if self._discrete_states:
            return spaces_pb2.SpaceValue(discrete=state if type(state) is int else as_int(state))
        return spaces_pb2.SpaceValue(tensor=numpy_to_tensor(state, self._state_dtype))

    def _unary(self, method: Any, request: Any) -> Any:
        try:
            return method(request, timeout=self._timeout, metadata=self._md, wait_for_ready=self._wait)
        except Exception as err:
            import grpc

            if isinstance(err, grpc.RpcError):
                raise errors.from_rpc_error(err) from None
            raise


def _session_id(env: Any) -> str:
    """A session id from a RemoteEnv (possibly wrapped), a session id string, or None."""
    if env is None:
        return ""
    if isinstance(env, str):
        return env
    inner = getattr(env, "unwrapped", env)
    session = getattr(inner, "id", None)
    if isinstance(session, str):
        return session
    raise TypeError(f"expected a gymhost RemoteEnv or a session id, got {type(env).__name__}")


def _update_result(r: apb.UpdateQResponse) -> UpdateResult:
    return UpdateResult(r.loss, np.array(r.td_errors, dtype=np.float64), np.array(r.new_q, dtype=np.float64), int(r.gradient_steps))



def _time(message: Any, field: str) -> datetime.datetime | None:
    """A Timestamp field as an aware UTC datetime, or None when unset."""
    if not message.HasField(field):
        return None
    return getattr(message, field).ToDatetime(tzinfo=datetime.timezone.utc)


def _state_name(state: int) -> str:
    """A RunState as ``"RUNNING"``, ``"SUCCEEDED"``, ...; unknown values as ``"UNSPECIFIED"``/their number."""
    try:
        return apb.RunState.Name(state).removeprefix("RUN_STATE_")
    except ValueError:
        return str(state)


def run_state_value(state: str | int | None) -> int:
    """``"running"``, ``"RUNNING"``, ``"RUN_STATE_RUNNING"`` or a RunState number as the RunState number (None = unspecified)."""
    if state is None:
        return apb.RUN_STATE_UNSPECIFIED
    if isinstance(state, int):
        return state
    name = str(state).upper()
    if not name.startswith("RUN_STATE_"):
        name = "RUN_STATE_" + name
    try:
        return apb.RunState.Value(name)
    except ValueError:
        raise ValueError(f"state must be one of {', '.join(RUN_STATES)}, got {state!r}") from None


def run_checkpoint_value(checkpoint: str | int) -> int:
    """``"best"`` / ``"last"`` (or a RunCheckpoint number) as the RunCheckpoint number."""
    if isinstance(checkpoint, int):
        return checkpoint
    name = str(checkpoint).upper()
    if not name.startswith("RUN_CHECKPOINT_"):
        name = "RUN_CHECKPOINT_" + name
    try:
        return apb.RunCheckpoint.Value(name)
    except ValueError:
        raise ValueError(f"checkpoint must be 'best' or 'last', got {checkpoint!r}") from None
