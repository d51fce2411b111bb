"""RemoteVectorEnv: a gymhost vector session (N copies, one StepBatch per step) as a
``gymnasium.vector.VectorEnv``."""

from __future__ import annotations

import sys
from typing import Any, Mapping, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import errors
from ._convert import dict_to_struct, np_dtype, space_from_proto, struct_to_dict, tensor_to_numpy, wire_np_dtype
from ._wire import StepBatchReader, TensorAt
from .client import Client, StepStream, resolve_client
from .env import RENDER_MODES, render_fps_of
from .v1 import env_service_pb2 as pb
from .v1 import spaces_pb2

_AUTORESET = {
    AutoresetMode.NEXT_STEP: pb.AUTORESET_MODE_NEXT_STEP,
    AutoresetMode.SAME_STEP: pb.AUTORESET_MODE_SAME_STEP,
}


class RemoteVectorEnv(VectorEnv):
    """``num_envs`` copies of an env type in one gymhost session, as a ``gymnasium.vector.VectorEnv``.

    Each ``step(actions)`` is one StepBatch call for all copies; observations come back as one
    ``[num_envs, ...]`` array (float32 for CartPole, int64 for Discrete observations), rewards
    float64, terminations/truncations bool arrays. Autoreset is Gymnasium's: NEXT_STEP by
    default (the step after a copy's episode ended resets it, ignores its action and reports
    reward 0 with both flags false), or SAME_STEP (the ending step resets the copy and
    ``infos["final_obs"]``/``infos["_final_obs"]`` hold the last observations).

    ``reset(seed=s)`` seeds copy i with ``s + i`` (Gymnasium's convention for an int seed).

    Every array ``step`` and ``reset`` return is new and writable, as Gymnasium's own vector
    envs return them (CartPoleVectorEnv builds new arrays each step): none is a view of a
    buffer that a later step reuses, so callers may keep or modify them.

    Args:
        env_id, num_envs: env type and number of copies.
        transport: ``"stream"`` (default: step_batch over one StepStream, the fastest; the
            stepping thread drives it, see ``StepStream(inline=True)``) or ``"unary"`` (one
            StepBatch call per step).
        The other arguments are :class:`gymhost.RemoteEnv`'s.
    """

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": ["rgb_array", "ansi"], "render_fps": 50}

    def __init__(
        self,
        env_id: str = "CartPole-v1",
        num_envs: int = 1,
        *,
        address: str | None = None,
        client: Client | None = None,
        render_mode: str | None = None,
        seed: int | None = None,
        config: Mapping[str, Any] | None = None,
        reward_function: str = "",
        reward_params: Mapping[str, Any] | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        transport: str = "stream",
        **kwargs: Any,
    ) -> None:
        self.closed = True
        self.client = resolve_client(client, address, kwargs)
        cfg = {**(config or {}), **kwargs}
        if isinstance(autoreset_mode, str):
            autoreset_mode = AutoresetMode(autoreset_mode) if autoreset_mode in {m.value for m in AutoresetMode} else AutoresetMode[autoreset_mode.upper()]
        if autoreset_mode not in _AUTORESET:
            raise ValueError(f"gymhost vector sessions autoreset NEXT_STEP or SAME_STEP, not {autoreset_mode}")
        if transport not in ("stream", "unary"):
            raise ValueError(f"transport must be 'stream' or 'unary', got {transport!r}")
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be one of {sorted(RENDER_MODES)} or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.autoreset_mode = autoreset_mode
        created = self.client.call(
            self.client.env_stub.CreateEnv,
            pb.CreateEnvRequest(
                env_id=env_id,
                seed=seed,
                config=dict_to_struct(cfg),
                reward_function=reward_function or "",
                reward_params=dict_to_struct(reward_params),
                num_envs=int(num_envs),
                render_mode=RENDER_MODES.get(render_mode or "", pb.RENDER_MODE_NONE),
                autoreset_mode=_AUTORESET[autoreset_mode],
            ),
        ).env
        self.closed = False
        self.id: str = created.id
        self.env_id = env_id
        self.num_envs = int(created.num_envs)
        self.config: dict[str, Any] = struct_to_dict(created.config)
        self.reward_function: str = created.reward_function
        self.max_episode_steps: int = int(created.max_episode_steps)
        self.single_observation_space = space_from_proto(created.observation_space)
        self.single_action_space = space_from_proto(created.action_space)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._discrete_obs = isinstance(self.single_observation_space, gym.spaces.Discrete)
        self._discrete_actions = isinstance(self.single_action_space, gym.spaces.Discrete)
        self._obs_dtype = self.observation_space.dtype
        self._action_shape = (self.num_envs, *(() if self._discrete_actions else self.single_action_space.shape))
        env_type = self.client.env_type(env_id)
        modes = [n for n, m in RENDER_MODES.items() if env_type is None or m in env_type.render_modes]
        self.metadata = {"autoreset_mode": autoreset_mode, "render_modes": modes, "render_fps": render_fps_of(env_type, env_id)}
        self.spec = EnvSpec(
            id=f"gymhost/{env_id}",
            entry_point="gymhost.env:RemoteEnv",
            vector_entry_point="gymhost.vector:RemoteVectorEnv",
            nondeterministic=False,
            kwargs={"env_id": env_id, "client": self.client, "seed": seed, "config": dict(cfg), "reward_function": reward_function, "reward_params": dict(reward_params or {})},
        )
        self.transport = transport
        # Lock-step: the calling thread drives the stream (no grpcio helper threads).
        self._stream: StepStream | None = StepStream(self.client, inline=True, session=self.id) if transport == "stream" else None
        self._wire_actions = np.dtype("<i4") if self._discrete_actions else np.dtype("<f4")
        self._request_prefix = _step_batch_prefix(self.id, self._action_shape, self._wire_actions)
        self._read_step_batch = StepBatchReader()
        self._md = self.client.metadata_for(self.id)
        self._timeout = self.client.timeout
        self._wait = self.client.wait_for_ready

    # ---- the VectorEnv API ------------------------------------------------------------------

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if not isinstance(seed, (int, type(None))):
            seed = _base_seed(seed, self.num_envs)
        super().reset(seed=seed)
        self._check_open()
        if options is not None and "reset_mask" in options:
            raise NotImplementedError("gymhost vector sessions reset all copies at once (autoreset handles the rest); reset_mask is not supported")
        request = pb.ResetRequest(id=self.id, seed=seed, options=dict_to_struct(options))
        if self._stream is not None:
            response = self._stream.request(pb.StepStreamRequest(reset=request))
        else:
            response = self.client.call(self.client.env_stub.Reset, request, idempotent=seed is not None)
        # A one-copy session answers Reset with a single observation; the vector API's is [1, ...].
        return tensor_to_numpy(response.observation.tensor, self._obs_dtype).reshape(self.observation_space.shape), {}

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        a = actions if type(actions) is np.ndarray else np.asarray(actions)
        if a.shape != self._action_shape:
            if a.size != int(np.prod(self._action_shape)):
                raise errors.InvalidArgumentError(
                    f"actions must have shape {list(self._action_shape)} (num_envs = {self.num_envs}), got {list(a.shape)}", field="actions", reason="WRONG_SHAPE"
                )
            a = a.reshape(self._action_shape)
        if self._discrete_actions and a.dtype.kind not in "iu":
            if not np.all(np.equal(np.mod(a, 1), 0)):
                raise errors.InvalidArgumentError(f"actions must be integers, got {a.dtype} values", field="actions", reason="WRONG_DTYPE")
        # The wire's bytes of the actions (a copy only when the dtype, byte order or layout differs).
        data = np.ascontiguousarray(a, dtype=self._wire_actions)
        if self._stream is not None:
            # The request's bytes: the session's constant head, then the actions' bytes (one copy, no messages).
            raw = self._stream.exchange_raw(b"".join((self._request_prefix, data)) if self._request_prefix else _step_batch_request(self, data))
            tensors = self._read_step_batch(raw)
            if tensors is not None:
                out = self._decode(raw, tensors)
                if out is not None:
                    return out
            # An inline error, or bytes the fast reader leaves to the generated code.
            response = pb.StepStreamResponse.FromString(raw)
            kind = response.WhichOneof("response")
            if kind == "error":
                raise errors.from_detail(response.error)
            if kind != "step_batch":
                raise errors.InternalError(f"the server answered a step_batch request with {kind or 'nothing'}")
            r = response.step_batch
        else:
            request = _step_batch_request(self, data).step_batch
            try:
                r = self.client.env_stub.StepBatch(request, timeout=self._timeout, metadata=self._md, wait_for_ready=self._wait)
            except Exception as err:
                import grpc

                if isinstance(err, grpc.RpcError):
                    raise errors.from_rpc_error(err) from None
                raise
        # New, writable arrays (the caller may keep them), each one copy of its field's bytes.
        obs = _array(r.observations, self._obs_dtype).reshape(self.observation_space.shape)
        rewards = np.frombuffer(r.rewards.data, dtype="<f8").astype(np.float64)
        terminations = _flags(r.terminated.data)
        truncations = _flags(r.truncated.data)
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            ended = _flags(r.reset_mask.data)
            if ended.any():
                infos = _final_infos(_array(r.final_observations, self._obs_dtype), ended)
        return obs, rewards, terminations, truncations, infos

    def _decode(self, buf: bytes, tensors: dict[int, TensorAt]) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]] | None:
        """step()'s results read from a StepBatch answer's bytes (``tensors``: where its fields
        are), as the message path reads them: each array is a new, writable copy of its
        field's bytes (made by the dtype conversion or copy NumPy does anyway), so nothing
        returned shares memory with the answer or with another step's arrays. None when a
        field is missing or its size does not fit, so the message path raises as it did."""
        o, rw, te, tr = tensors.get(1), tensors.get(2), tensors.get(3), tensors.get(4)
        if o is None or rw is None or te is None or tr is None or rw.nbytes % 8:
            return None
        obs = _view(buf, o)
        if obs is None:
            return None
        obs = obs.astype(self._obs_dtype).reshape(self.observation_space.shape)
        rewards = np.frombuffer(buf, "<f8", rw.nbytes // 8, rw.offset).astype(np.float64)
        terminations = np.frombuffer(buf, np.bool_, te.nbytes, te.offset).copy()
        truncations = np.frombuffer(buf, np.bool_, tr.nbytes, tr.offset).copy()
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            m = tensors.get(5)
            if m is None:
                return None
            ended = np.frombuffer(buf, np.bool_, m.nbytes, m.offset).copy()
            if ended.any():
                f = tensors.get(6)
                final = _view(buf, f) if f is not None else None
                if final is None:
                    return None
                infos = _final_infos(final.astype(self._obs_dtype), ended)
        return obs, rewards, terminations, truncations, infos

    def render(self) -> tuple[Any, ...] | None:
        """One frame per copy (``rgb_array`` arrays or ``ansi`` strings); None without a render_mode."""
        if self.render_mode is None:
            gym.logger.warn("You are calling render method without specifying any render mode.")
            return None
        return tuple(self.render_frame(self.render_mode, i) for i in range(self.num_envs))

    def render_frame(self, mode: str = "rgb_array", index: int = 0) -> Any:
        """Copy ``index``'s frame in ``mode``."""
        self._check_open()
        response = self.client.call(self.client.env_stub.Render, pb.RenderRequest(id=self.id, mode=RENDER_MODES[mode], index=index), idempotent=True)
        return response.text if mode == "ansi" else tensor_to_numpy(response.frame, np.uint8)

    def close_extras(self, **kwargs: Any) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        try:
            self.client.delete_env(self.id)
        except (errors.NotFoundError, errors.UnavailableError, errors.CancelledError):
            pass

    def __enter__(self) -> "RemoteVectorEnv":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self.closed:
            raise errors.FailedPreconditionError(f"vector env session {getattr(self, 'id', '?')} is closed", reason="CLOSED")

    def __repr__(self) -> str:
        return f"<RemoteVectorEnv {getattr(self, 'env_id', '?')} num_envs={getattr(self, 'num_envs', '?')} {'closed' if self.closed else getattr(self, 'id', '')}>"

    def __del__(self) -> None:
        if getattr(self, "closed", True) or sys.is_finalizing():
            return
        try:
            self.close()
        except Exception:
            pass


def _array(t: spaces_pb2.Tensor, dtype: Any) -> np.ndarray:
    arr = np.frombuffer(t.data, dtype=np_dtype(t.dtype)).reshape(tuple(t.shape))
    return arr.astype(dtype, copy=True)


def _view(buf: bytes, t: TensorAt) -> np.ndarray | None:
    """A read-only view of a tensor's data in ``buf``, of its wire dtype and shape; None when
    the dtype is unknown or the data's size does not fit the shape."""
    dtype = wire_np_dtype(t.dtype)
    if dtype is None or t.nbytes % dtype.itemsize:
        return None
    count = t.nbytes // dtype.itemsize
    size = 1
    for d in t.shape:
        size *= d
    if size != count:
        return None
    return np.frombuffer(buf, dtype, count, t.offset).reshape(t.shape)


def _flags(data: bytes) -> np.ndarray:
    """A uint8 tensor of 0/1 flags as a new bool array (a byte copy: the server writes only 0 and 1)."""
    return np.frombuffer(data, dtype=np.bool_).copy()


def _final_infos(final: np.ndarray, ended: np.ndarray) -> dict[str, Any]:
    """SAME_STEP's infos for the copies where ``ended``: ``final_obs[i]`` the last observation
    (a row of ``final``), ``final_info[i]`` an empty dict, None elsewhere (Gymnasium's
    layout). Filled with whole-array operations rather than a Python loop over the copies."""
    n = ended.shape[0]
    idx = np.flatnonzero(ended)
    k = idx.size
    final_obs = np.empty(n, dtype=object)
    final_obs[idx] = np.fromiter(iter(final[idx]), dtype=object, count=k)
    final_info = np.empty(n, dtype=object)
    final_info[idx] = np.fromiter(({} for _ in range(k)), dtype=object, count=k)
    return {"final_obs": final_obs, "_final_obs": ended, "final_info": final_info, "_final_info": ended.copy()}


def _step_batch_request(env: RemoteVectorEnv, data: np.ndarray) -> pb.StepStreamRequest:
    wire = spaces_pb2.DTYPE_INT32 if env._discrete_actions else spaces_pb2.DTYPE_FLOAT32
    return pb.StepStreamRequest(step_batch={"id": env.id, "actions": {"dtype": wire, "shape": env._action_shape, "data": data.tobytes()}})


def _step_batch_prefix(session_id: str, shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    """The bytes of a StepStreamRequest with a step_batch of ``shape`` actions for the session,
    up to where the actions' data begins: the data (Tensor field 3) is the message's last
    field, so a request is this head followed by the actions' bytes. Made by the generated
    code with placeholder data, and checked; empty when that does not hold (then requests
    are built as messages)."""
    nbytes = int(np.prod(shape)) * dtype.itemsize
    wire = spaces_pb2.DTYPE_INT32 if dtype == np.dtype("<i4") else spaces_pb2.DTYPE_FLOAT32
    template = pb.StepStreamRequest(step_batch={"id": session_id, "actions": {"dtype": wire, "shape": shape, "data": b"\x00" * nbytes}}).SerializeToString()
    head = template[: len(template) - nbytes]
    probe = bytes(range(256)) * (nbytes // 256) + bytes(range(nbytes % 256))
    check = pb.StepStreamRequest.FromString(head + probe)
    if nbytes == 0 or check.step_batch.id != session_id or check.step_batch.actions.data != probe or tuple(check.step_batch.actions.shape) != tuple(shape):
        return b""
    return head


def _base_seed(seeds: Sequence[int | None], n: int) -> int | None:
    seeds = list(seeds)
    if len(seeds) != n:
        raise ValueError(f"a list of seeds must have num_envs = {n} entries, got {len(seeds)}")
    if all(s is None for s in seeds):
        return None
    base = seeds[0]
    if base is None or any(s != base + i for i, s in enumerate(seeds)):
        raise ValueError("gymhost seeds copy i with seed + i: give one int seed, or the list [s, s+1, ..., s+n-1]")
    return int(base)


def make_vec(env_id: str, num_envs: int = 1, address: str | None = None, **kwargs: Any) -> RemoteVectorEnv:
    """A :class:`RemoteVectorEnv` of ``num_envs`` copies of ``env_id``."""
    return RemoteVectorEnv(env_id, num_envs, address=address, **kwargs)
