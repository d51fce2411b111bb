"""Stable-Baselines3 support: one gymhost vector session as an SB3 ``VecEnv``.

``gymhost.sb3_vec_env("CartPole-v1", n_envs=8, seed=0)`` is what
``stable_baselines3.common.env_util.make_vec_env("CartPole-v1", n_envs=8, seed=0)`` gives for
a local env (a ``DummyVecEnv``), with the N copies stepped on the server by one StepBatch per
step instead of N Python ``step`` calls::

    from stable_baselines3 import PPO
    import gymhost

    env = gymhost.sb3_vec_env("CartPole-v1", n_envs=8, seed=0, address="127.0.0.1:50051")
    model = PPO("MlpPolicy", env, seed=0).learn(50_000)

Stable-Baselines3 is imported only when a VecEnv is made, so ``import gymhost`` does not need
it; without it :func:`sb3_vec_env` raises ImportError naming the install command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from . import errors
from .client import Client

if TYPE_CHECKING:  # pragma: no cover
    from .vector import RemoteVectorEnv

#: What installs Stable-Baselines3 (and PyTorch) next to the client, from the repository's root.
SB3_INSTALL = 'pip install "./clients/python[sb3]"'

#: Attributes of one copy that ``get_attr`` answers (the copies live on the server: these are
#: the session's, the same for every copy).
COPY_ATTRIBUTES = (
    "action_space",
    "config",
    "env_id",
    "max_episode_steps",
    "metadata",
    "observation_space",
    "render_mode",
    "reward_function",
    "reward_params",
    "session_id",
    "spec",
)


def require_sb3() -> None:
    """Raises ImportError naming the install command unless Stable-Baselines3 can be imported.
    Scripts call it before they connect or train."""
    _vec_env_base()


def _vec_env_base() -> type:
    try:
        from stable_baselines3.common.vec_env import VecEnv
    except ImportError as err:
        raise ImportError(f"Stable-Baselines3 is not installed: {SB3_INSTALL}") from err
    return VecEnv


_CLASS: type | None = None


def _sb3_class() -> type:
    """RemoteSB3VecEnv, built on first use (its base class is SB3's VecEnv)."""
    global _CLASS
    if _CLASS is None:
        _CLASS = _build_class(_vec_env_base())
    return _CLASS


def __getattr__(name: str) -> Any:  # gymhost.sb3.RemoteSB3VecEnv, for isinstance checks
    if name == "RemoteSB3VecEnv":
        return _sb3_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sb3_vec_env(
    env_id: str = "CartPole-v1",
    n_envs: int = 8,
    *,
    seed: int | None = None,
    address: str | None = None,
    client: Client | None = None,
    config: Mapping[str, Any] | None = None,
    reward_function: str = "",
    reward_params: Mapping[str, Any] | None = None,
    transport: str = "stream",
    render_mode: str | None = "rgb_array",
    **kwargs: Any,
) -> Any:
    """A Stable-Baselines3 ``VecEnv`` over one gymhost vector session of ``n_envs`` copies.

    It follows SB3's conventions exactly, as ``DummyVecEnv`` does for local envs:

    * ``reset()`` returns the observations (``[n_envs, ...]``, the observation space's dtype).
      When a seed was given (``seed=`` here, or ``env.seed(s)``, which ``PPO(..., seed=s)``
      calls), that reset seeds copy i with ``seed + i``; resets after it are unseeded.
      ``set_options(dict)`` passes reset options to the next reset. ``reset_infos`` is a list
      of ``n_envs`` dicts.
    * ``step(actions)`` (``step_async`` + ``step_wait``) is one StepBatch call for all copies
      and returns ``(obs, rewards, dones, infos)``: rewards float32, dones bool
      (``terminated | truncated``), infos a list of dicts. A copy whose episode ended was
      reset by the server in the same call (SAME_STEP autoreset): its returned observation
      is the new episode's first, ``infos[i]["terminal_observation"]`` the last one of the
      ended episode, and every ``infos[i]["TimeLimit.truncated"]`` is
      ``truncated and not terminated``. (StepBatch carries no per-copy env info, so the
      infos hold only these keys.)
    * ``render()`` tiles every copy's ``rgb_array`` frame (the session's Render); frames
      come from the server, so ``render_mode`` is ``"rgb_array"`` by default, as in
      ``make_vec_env``.
    * ``get_attr`` answers the session's attributes (see ``COPY_ATTRIBUTES``);
      ``env_method("render")`` gives each copy's frame and ``env.set_reward(...)`` switches
      the reward function of all copies. Other attributes and methods raise errors that
      say what to do instead. ``env_is_wrapped`` is False: the copies are not wrapped by
      gymnasium wrappers (the server truncates episodes itself). For SB3's episode
      statistics (``ep_rew_mean`` in the logs, ``evaluate_policy``), wrap it in
      ``stable_baselines3.common.vec_env.VecMonitor``.
    * ``close()`` deletes the session; ``env.venv`` is the underlying
      :class:`gymhost.RemoteVectorEnv`.

    Args:
        env_id, n_envs: the env type and the number of copies.
        seed: the seed of the first reset (copy i gets ``seed + i``), and of the action space.
        address / client / connection options (``token=``, ``tls=``, ...): see
            :class:`gymhost.Client`.
        config, reward_function, reward_params: the session's CreateEnv fields (config options
            are also accepted as keywords: ``world="small_maze"``).
        transport: ``"stream"`` (one StepStream, the default and fastest) or ``"unary"``.
        render_mode: ``"rgb_array"`` (default), ``"ansi"`` or None.
    """
    cls = _sb3_class()
    return cls(
        env_id,
        n_envs,
        seed=seed,
        address=address,
        client=client,
        config=config,
        reward_function=reward_function,
        reward_params=reward_params,
        transport=transport,
        render_mode=render_mode,
        **kwargs,
    )


def _build_class(VecEnv: type) -> type:  # noqa: C901 (one class)
    from gymnasium.vector import AutoresetMode

    from .vector import RemoteVectorEnv

    class RemoteSB3VecEnv(VecEnv):  # type: ignore[misc, valid-type]
        """A gymhost vector session as a Stable-Baselines3 VecEnv; made by :func:`gymhost.sb3_vec_env`."""

        def __init__(
            self,
            env_id: str = "CartPole-v1",
            n_envs: int = 8,
            *,
            seed: int | None = None,
            address: str | None = None,
            client: Client | None = None,
            config: Mapping[str, Any] | None = None,
            reward_function: str = "",
            reward_params: Mapping[str, Any] | None = None,
            transport: str = "stream",
            render_mode: str | None = "rgb_array",
            **kwargs: Any,
        ) -> None:
            if isinstance(n_envs, bool) or not isinstance(n_envs, (int, np.integer)) or n_envs < 1:
                raise ValueError(f"n_envs must be a positive int, got {n_envs!r}")
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
                raise TypeError(f"seed must be an int or None, got {seed!r}")
            self._actions: np.ndarray | None = None
            self._reward_params: dict[str, Any] = dict(reward_params or {})
            self.venv: RemoteVectorEnv = RemoteVectorEnv(
                env_id,
                int(n_envs),
                address=address,
                client=client,
                render_mode=render_mode,
                config=config,
                reward_function=reward_function,
                reward_params=reward_params,
                autoreset_mode=AutoresetMode.SAME_STEP,
                transport=transport,
                **kwargs,
            )
            try:
                super().__init__(self.venv.num_envs, self.venv.single_observation_space, self.venv.single_action_space)
            except BaseException:
                self.venv.close()
                raise
            # As DummyVecEnv: the copies' metadata (render modes and fps).
            self.metadata = self._copy_attr("metadata")
            if seed is not None:
                # As make_vec_env(seed=...): the action space is seeded, the env at the next reset.
                self.action_space.seed(int(seed))
                self.seed(int(seed))

        # ---- reset and step ---------------------------------------------------------------

        def reset(self) -> np.ndarray:
            seed = self._base_seed()
            options = self._common_options()
            obs, _ = self.venv.reset(seed=seed, options=options)
            self.reset_infos = [{} for _ in range(self.num_envs)]
            self._reset_seeds()
            self._reset_options()
            return obs

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = actions

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
            if self._actions is None:
                raise RuntimeError("step_wait() without step_async(actions) first")
            actions, self._actions = self._actions, None
            obs, rewards, terminated, truncated, vinfos = self.venv.step(actions)
            dones = terminated | truncated
            infos: list[dict[str, Any]] = [{"TimeLimit.truncated": t} for t in (truncated & ~terminated).tolist()]
            ended = np.flatnonzero(dones)
            if ended.size:
                final_obs, has_final = vinfos.get("final_obs"), vinfos.get("_final_obs")
                for i in ended.tolist():
                    if has_final is None or not has_final[i]:
                        raise errors.InternalError(f"the server ended copy {i}'s episode without its final observation (SAME_STEP autoreset)")
                    infos[i]["terminal_observation"] = final_obs[i]
                    self.reset_infos[i] = {}
            return obs, rewards.astype(np.float32), dones, infos

        def _base_seed(self) -> int | None:
            seeds = list(self._seeds)
            if all(s is None for s in seeds):
                return None
            base = seeds[0]
            if base is None or any(s != base + i for i, s in enumerate(seeds)):
                raise ValueError(
                    f"a gymhost vector session seeds copy i with seed + i; these seeds are not of that form: {seeds} (use env.seed(s))"
                )
            return int(base)

        def _common_options(self) -> dict[str, Any] | None:
            options = self._options
            if all(not o for o in options):
                return None
            if any(o != options[0] for o in options):
                raise NotImplementedError(
                    "a gymhost vector session resets every copy with the same options: pass one dict to set_options(), not a list of different ones"
                )
            return dict(options[0])

        # ---- rendering ----------------------------------------------------------------------

        def get_images(self) -> Sequence[np.ndarray | None]:
            if self.render_mode != "rgb_array":
                import warnings

                warnings.warn(f"The render mode is {self.render_mode}, but this method assumes it is `rgb_array` to obtain images.")
                return [None for _ in range(self.num_envs)]
            return [self.venv.render_frame("rgb_array", i) for i in range(self.num_envs)]

        # ---- attributes and methods of the copies -----------------------------------------

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            indices = self._indices(indices)
            value = self._copy_attr(attr_name)
            return [value for _ in indices]

        def _copy_attr(self, name: str) -> Any:
            v = self.venv
            if name == "render_mode":
                return v.render_mode
            if name == "metadata":
                return {k: x for k, x in v.metadata.items() if k != "autoreset_mode"}
            if name == "observation_space":
                return v.single_observation_space
            if name == "action_space":
                return v.single_action_space
            if name == "spec":
                return v.spec
            if name == "session_id":
                return v.id
            if name == "reward_params":
                return dict(self._reward_params)
            if name in ("config", "env_id", "max_episode_steps", "reward_function"):
                value = getattr(v, name)
                return dict(value) if isinstance(value, dict) else value
            raise AttributeError(
                f"{name!r}: the copies of a gymhost vector session live on the server, so get_attr answers only the session's "
                f"{', '.join(COPY_ATTRIBUTES)}; the session itself is env.venv (a gymhost.RemoteVectorEnv)"
            )

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            self._indices(indices)
            raise NotImplementedError(
                f"set_attr({attr_name!r}): the copies of a gymhost vector session live on the server and have no Python attributes "
                "to set; switch the reward with env.set_reward(name, params), or make a new gymhost.sb3_vec_env with other config="
            )

        def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
            idx = self._indices(indices)
            if method_name == "render":
                if method_args or method_kwargs:
                    raise TypeError("render() of a copy takes no arguments (it renders in the session's render_mode)")
                if self.render_mode is None:
                    raise ValueError("render_mode is None: make the env with render_mode='rgb_array' or 'ansi'")
                return [self.venv.render_frame(self.render_mode, i) for i in idx]
            if method_name == "get_wrapper_attr":
                return [self._copy_attr(*method_args, **method_kwargs) for _ in idx]
            if method_name == "set_reward":
                if len(idx) != self.num_envs:
                    raise NotImplementedError("the reward function belongs to the session: set_reward applies to all copies (indices=None)")
                self.set_reward(*method_args, **method_kwargs)
                return [None for _ in idx]
            raise NotImplementedError(
                f"env_method({method_name!r}): the copies of a gymhost vector session live on the server; env_method supports "
                "'render', 'get_wrapper_attr' and 'set_reward'. Step and reset through the VecEnv, and use env.venv "
                "(a gymhost.RemoteVectorEnv) for the session itself"
            )

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            # The copies are server-side envs, not gymnasium wrapper chains.
            return [False for _ in self._indices(indices)]

        def set_reward(self, reward_function: str = "", reward_params: Mapping[str, Any] | None = None, **params: Any) -> None:
            """Switches the reward function of every copy from the next step on (SetReward);
            empty = the env type's default."""
            from ._convert import dict_to_struct, struct_to_dict
            from .v1 import env_service_pb2 as pb

            self.venv._check_open()
            client = self.venv.client
            request = pb.SetRewardRequest(id=self.venv.id, reward_function=reward_function, reward_params=dict_to_struct({**(reward_params or {}), **params}))
            env = client.call(client.env_stub.SetReward, request).env
            self.venv.reward_function = env.reward_function
            self._reward_params = struct_to_dict(env.reward_params)

        def _indices(self, indices: Any) -> list[int]:
            if indices is None:
                return list(range(self.num_envs))
            out = [int(indices)] if isinstance(indices, (int, np.integer)) else [int(i) for i in _iterable(indices)]
            for i in out:
                if not 0 <= i < self.num_envs:
                    raise IndexError(f"env index {i} out of range: n_envs = {self.num_envs}")
            return out

        # ---- life cycle -------------------------------------------------------------------

        def close(self) -> None:
            self.venv.close()

        @property
        def closed(self) -> bool:
            return bool(self.venv.closed)

        @property
        def session_id(self) -> str:
            return self.venv.id

        def __enter__(self) -> "RemoteSB3VecEnv":
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def __repr__(self) -> str:
            v = self.venv
            return f"<RemoteSB3VecEnv {v.env_id} n_envs={v.num_envs} {'closed' if v.closed else v.id}>"

    RemoteSB3VecEnv.__module__ = __name__
    RemoteSB3VecEnv.__qualname__ = "RemoteSB3VecEnv"
    return RemoteSB3VecEnv


def _iterable(indices: Any) -> Iterable[Any]:
    if isinstance(indices, (str, bytes)):
        raise TypeError(f"indices must be an int, an iterable of ints or None, got {indices!r}")
    return indices
