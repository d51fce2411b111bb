"""RemoteEnv: a gymhost env session as a real ``gymnasium.Env``."""

from __future__ import annotations

import sys
from typing import Any, Mapping, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec

from . import errors
from ._env_specs import ENV_SPECS
from ._convert import as_int, dict_to_struct, space_from_proto, struct_to_dict, tensor_to_numpy, value_to_proto, value_to_python

from .client import Client, StepStream, resolve_client
from .v1 import env_service_pb2 as pb
from .v1 import spaces_pb2

RENDER_MODES = {"rgb_array": pb.RENDER_MODE_RGB_ARRAY, "ansi": pb.RENDER_MODE_ANSI}
#: Frames per second of each env type's rendering, from the generated table (_env_specs.py):
#: the fallback for servers whose ListEnvTypes does not report render_fps (see render_fps_of).
RENDER_FPS = {env_id: spec["render_fps"] for env_id, spec in ENV_SPECS.items()}


def render_fps_of(env_type: pb.EnvType | None, env_id: str) -> float:
    """An env type's frames per second: ListEnvTypes' render_fps, else the generated table's, else 30."""
    fps = env_type.render_fps if env_type is not None else 0.0
    if fps <= 0:
        return RENDER_FPS.get(env_id) or 30
    # Whole numbers as ints, as Gymnasium's own metadata has them (CartPole: 50).
    return int(fps) if float(fps).is_integer() else fps


def np_dtype_of(space: gym.spaces.Box) -> np.dtype:
    """The little-endian wire dtype of a Box space's elements."""
    return np.dtype(space.dtype).newbyteorder("<")


class RemoteEnv(gym.Env):
    """An env session on a gymhost server, as a ``gymnasium.Env``.

    Spaces are gymnasium's ``Discrete``/``Box`` (from the session), observations NumPy values
    of the space's dtype (``np.int64`` for Discrete, ``float32`` arrays for CartPole), rewards
    Python floats, ``terminated``/``truncated`` Python bools, ``info`` a dict. The server
    truncates episodes itself (CartPole-v1 at 500 steps), so no TimeLimit is needed.

    Args:
        env_id: env type on the server, e.g. ``"CartPole-v1"`` or ``"GridWorld-v0"``.
        address / client / connection options: see :class:`gymhost.Client`.
        render_mode: ``"rgb_array"`` (HxWx3 uint8 frames), ``"ansi"`` (text) or None.
        seed: seeds the first reset that gives no seed.
        config: env-type config (also accepted as keyword arguments: ``world="small_maze"``).
        reward_function, reward_params: a reward function of the env type and its parameters.
        stream: send reset/step over one StepStream (about twice the steps per second of
            unary calls) instead of unary calls.

    ``close()`` deletes the session (twice is fine); the env is a context manager.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array", "ansi"], "render_fps": 50}

    def __init__(
        self,
        env_id: str = "CartPole-v1",
        *,
        address: str | None = None,
        client: Client | None = None,
        render_mode: str | None = None,
        seed: int | None = None,
        config: Mapping[str, Any] | None = None,
        reward_function: str = "",
        reward_params: Mapping[str, Any] | None = None,
        stream: bool = False,
        session_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.client = resolve_client(client, address, kwargs)
        cfg = {**(config or {}), **kwargs}
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be one of {sorted(RENDER_MODES)} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self._closed = True
        self._stream: StepStream | None = None
        #: True when this object attached to a session made elsewhere (``session_id=``): closing
        #: it then leaves the session alone.
        self.attached = session_id is not None
        if session_id is not None:
            created = self.client.call(self.client.env_stub.GetEnv, pb.GetEnvRequest(id=session_id), idempotent=True).env
            env_id = created.env_id
        else:
            created = self.client.call(
                self.client.env_stub.CreateEnv,
                pb.CreateEnvRequest(
                    env_id=env_id,
                    seed=seed,
                    config=dict_to_struct(cfg),
                    reward_function=reward_function or "",
                    reward_params=dict_to_struct(reward_params),
                    render_mode=RENDER_MODES.get(render_mode or "", pb.RENDER_MODE_NONE),
                ),
            ).env
        self._closed = False
        self._session: pb.Env = created
        #: Server-assigned session id.
        self.id: str = created.id
        self.env_id = env_id
        #: The session's config with the server's defaults applied.
        self.config: dict[str, Any] = struct_to_dict(created.config)
        self.reward_function: str = created.reward_function
        self.reward_params: dict[str, Any] = struct_to_dict(created.reward_params)
        self.max_episode_steps: int = int(created.max_episode_steps)
        self.observation_space = space_from_proto(created.observation_space)
        self.action_space = space_from_proto(created.action_space)
        self._discrete_actions = isinstance(self.action_space, gym.spaces.Discrete)
        self._obs_space = self.observation_space
        env_type = self.client.env_type(env_id)
        modes = [n for n, m in RENDER_MODES.items() if env_type is None or m in env_type.render_modes]
        self.metadata = {"render_modes": modes, "render_fps": render_fps_of(env_type, env_id)}
        self.spec = EnvSpec(
            id=f"gymhost/{env_id}",
            entry_point="gymhost.env:RemoteEnv",
            reward_threshold=env_type.reward_threshold if env_type is not None and env_type.HasField("reward_threshold") else None,
            nondeterministic=False,
            max_episode_steps=None,
            order_enforce=True,
            disable_env_checker=False,
            kwargs={
                "env_id": env_id,
                "client": self.client,
                "seed": seed,
                "config": dict(cfg),
                "reward_function": reward_function,
                "reward_params": dict(reward_params or {}),
                "stream": stream,
                "render_mode": render_mode,
            },
        )
        # Bound stub methods and call options, looked up once for the step loop.
        self._md = self.client.metadata_for(self.id)
        self._timeout = self.client.timeout
        self._wait = self.client.wait_for_ready
        self._step_rpc = self.client.env_stub.Step
        self._discrete_obs = isinstance(self.observation_space, gym.spaces.Discrete)
        # 1-D Box observations decode with one frombuffer; others go through value_to_python.
        box = self.observation_space
        self._flat_obs = np_dtype_of(box) if isinstance(box, gym.spaces.Box) and len(box.shape) == 1 else None
        if stream:
            self._stream = StepStream(self.client, inline=True, session=self.id)
            self._stream_step = pb.StepStreamRequest(step=pb.StepRequest(id=self.id, action=spaces_pb2.SpaceValue(discrete=0)))

    # ---- the Gym API ------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        super().reset(seed=seed)
        self._check_open()
        request = pb.ResetRequest(id=self.id, seed=seed, options=dict_to_struct(options))
        if self._stream is not None:
            response = self._stream.exchange(pb.StepStreamRequest(reset=request))
        else:
            response = self.client.call(self.client.env_stub.Reset, request, idempotent=seed is not None)
        return value_to_python(response.observation, self._obs_space), struct_to_dict(response.info)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        # The hot path: few Python operations per step (with grpcio's threads, every
        # microsecond spent here between two calls costs several in steps per second).
        stream = self._stream
        if self._discrete_actions:
            a = action if type(action) is int else as_int(action)
            if stream is not None:
                request = self._stream_step
                request.step.action.discrete = a  # reused: the previous one was answered
                response = stream.exchange(request)
            else:
                request = pb.StepRequest(id=self.id, action=spaces_pb2.SpaceValue(discrete=a))
                response = self._unary_step(request)
        else:
            request = pb.StepRequest(id=self.id, action=value_to_proto(action, self.action_space))
            response = stream.request(pb.StepStreamRequest(step=request)) if stream is not None else self._unary_step(request)
        obs = response.observation
        if self._flat_obs is not None and obs.HasField("tensor"):
            observation: Any = np.frombuffer(obs.tensor.data, dtype=self._flat_obs).copy()
        elif self._discrete_obs and not obs.HasField("tensor"):
            observation = np.int64(obs.discrete)
        else:
            observation = value_to_python(obs, self._obs_space)
        info = struct_to_dict(response.info) if response.info.fields else {}
        return observation, response.reward, response.terminated, response.truncated, info

    def _unary_step(self, request: pb.StepRequest) -> pb.StepResponse:
        try:
            return self._step_rpc(request, timeout=self._timeout, metadata=self._md, wait_for_ready=self._wait)
        except Exception as err:
            raise self._error(err) from None

    def render(self) -> Any:
        """The current frame: HxWx3 uint8 (``rgb_array``) or text (``ansi``); None without a render_mode."""
        if self.render_mode is None:
            gym.logger.warn(
                "You are calling render method without specifying any render mode. "
                'You can specify the render_mode at initialization, e.g. gymhost.make("CartPole-v1", render_mode="rgb_array")'
            )
            return None
        return self.render_frame(self.render_mode)

    def render_frame(self, mode: str = "rgb_array") -> Any:
        """A frame in any mode the env type renders, whatever the session's render_mode."""
        self._check_open()
        if mode not in RENDER_MODES:
            raise ValueError(f"mode must be one of {sorted(RENDER_MODES)}, got {mode!r}")
        response = self.client.call(self.client.env_stub.Render, pb.RenderRequest(id=self.id, mode=RENDER_MODES[mode]), idempotent=True)
        if mode == "ansi":
            return response.text
        return tensor_to_numpy(response.frame, np.uint8)

    def close(self) -> None:
        """Deletes the session on the server (a second close does nothing); an attached env
        (``session_id=``) only lets go of it."""
        if self._closed:
            return
        self._closed = True
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self.attached:
            super().close()
            return
        try:
            self.client.delete_env(self.id)
        except (errors.NotFoundError, errors.UnavailableError, errors.CancelledError):
            pass  # already gone (expired, server stopped)
        super().close()

    # ---- more ---------------------------------------------------------------------------------

    def episodes(self, offset: int = 0, limit: int = 0) -> list[pb.EpisodeLogEntry]:
        """The session's episode log as the server measured it (seed, return, length, how each
        ended); see :meth:`gymhost.Client.list_episodes`."""
        return self.client.list_episodes(self.id, offset, limit)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def streaming(self) -> bool:
        """True when reset/step go over a StepStream."""
        return self._stream is not None

    def set_reward(self, reward_function: str = "", reward_params: Mapping[str, Any] | None = None, **params: Any) -> None:
        """Chooses the session's reward function (and parameters) from the next step on
        (SetReward); empty = the env type's default."""
        self._check_open()
        request = pb.SetRewardRequest(id=self.id, reward_function=reward_function, reward_params=dict_to_struct({**(reward_params or {}), **params}))
        env = self.client.call(self.client.env_stub.SetReward, request).env
        self.reward_function = env.reward_function
        self.reward_params = struct_to_dict(env.reward_params)

    def session(self) -> pb.Env:
        """The session as the server has it now (GetEnv): config, spaces, counters."""
        self._check_open()
        return self.client.call(self.client.env_stub.GetEnv, pb.GetEnvRequest(id=self.id), idempotent=True).env

    def _check_open(self) -> None:
        if self._closed:
            raise errors.FailedPreconditionError(f"env session {getattr(self, 'id', '?')} is closed", reason="CLOSED")

    def _error(self, err: Exception) -> Exception:
        import grpc

        if isinstance(err, grpc.RpcError):
            return errors.from_rpc_error(err)
        return err

    def __repr__(self) -> str:
        state = "closed" if self._closed else self.id
        return f"<RemoteEnv {self.env_id} {state} at {self.client.address}>"

    def __str__(self) -> str:
        return repr(self)

    def __del__(self) -> None:
        # Best effort: free the session when the env is garbage-collected unclosed (the
        # server's idle TTL frees it otherwise).
        if getattr(self, "_closed", True) or sys.is_finalizing():
            return
        try:
            self.close()
        except Exception:
            pass


def make(env_id: str, address: str | None = None, **kwargs: Any) -> RemoteEnv:
    """A :class:`RemoteEnv` for ``env_id`` on the server at ``address``.

    >>> env = gymhost.make("GridWorld-v0", address="127.0.0.1:50051", world="small_maze")
    >>> obs, info = env.reset(seed=0)

    Keyword arguments are RemoteEnv's (client, render_mode, seed, config, reward_function,
    reward_params, stream, connection options); any other keyword is an env config option.
    """
    return RemoteEnv(env_id, address=address, **kwargs)


class SeedSimulator:
    """The course notes' simulator interface over a gymnasium env, for the seed's loop verbatim:
    ``state = simulator.reset()`` and ``next_state, reward, done = simulator.step(action)``.

    ``done`` is ``terminated or truncated`` (the seed's loop runs until the episode ends);
    the last step's ``terminated``, ``truncated`` and ``info`` are attributes.
    """

    def __init__(self, env: gym.Env, seed: int | None = None) -> None:
        self.env = env
        self._seed = seed
        self.terminated = False
        self.truncated = False
        self.info: dict[str, Any] = {}
        self.steps = 0

    def reset(self) -> Any:
        state, self.info = self.env.reset(seed=self._seed)
        self._seed = None  # only the first reset is seeded
        self.terminated = self.truncated = False
        self.steps = 0
        return state

    def step(self, action: Any) -> tuple[Any, float, bool]:
        next_state, reward, self.terminated, self.truncated, self.info = self.env.step(action)
        self.steps += 1
        return next_state, float(reward), bool(self.terminated or self.truncated)
