"""The connection to a gymhost server: one gRPC channel, call options, retries, errors.

>>> client = gymhost.connect("127.0.0.1:50051", token="...", timeout=10, retries=3)
>>> env = gymhost.make("CartPole-v1", client=client)

Every high-level object (RemoteEnv, RemoteVectorEnv, Agent) takes either ``client=`` or the
connection options below, in which case it shares one cached Client per set of options.
"""

from __future__ import annotations

import os
import queue
import random
import re
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

import grpc

from . import errors
from ._convert import dict_to_struct, numpy_to_tensor
from ._inline_call import open_inline_call
from .v1 import agent_service_pb2_grpc, env_service_pb2, env_service_pb2_grpc, usage_service_pb2, usage_service_pb2_grpc

if TYPE_CHECKING:
    from .agent import Agent, RunCheckpoint, TrainingRun

DEFAULT_ADDRESS = "127.0.0.1:50051"
#: Largest message the client sends or accepts (the server's own limit is 16 MiB by default).
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
#: Status codes after which an idempotent call is tried again.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})

_DEFAULT = object()


#: Metadata key a proxy in front of replicas routes gRPC calls by (``gymhost nginx-config``).
ROUTE_KEY = "gymhost-route"

#: A run id carries its agent's id (``run-<agent id>-<12 characters>``).
_RUN_ID = re.compile(r"^run-([A-Za-z0-9_-]{12})-[A-Za-z0-9_-]{12}$")


def route_of(resource: str | None) -> str | None:
    """The routing key of a session, agent or run id (a run's: its agent's), or None."""
    if not resource:
        return None
    m = _RUN_ID.match(resource)
    return m.group(1) if m else resource


def _resource_of(request: Any) -> str | None:
    """The session, agent or run a request names: its ``id``, else its ``env`` (None for creates and lists)."""
    fields = getattr(getattr(request, "DESCRIPTOR", None), "fields_by_name", {})
    for name in ("id", "env"):
        if name in fields:
            value = getattr(request, name)
            if isinstance(value, str) and value:
                return value
    return None


class Client:
    """A connection to a gymhost server (gRPC).

    Args:
        address: ``host:port``; ``grpcs://host:port`` means TLS, ``grpc://host:port`` plaintext.
            Default: ``$GYMHOST_ADDRESS`` or ``127.0.0.1:50051``.
        tls: use TLS (default: from the address scheme, or True when certificates are given).
        root_certificates, private_key, certificate_chain: PEM bytes for TLS (server CA and,
            for mutual TLS, the client's key and certificate).
        credentials: a ready ``grpc.ChannelCredentials`` (overrides the TLS options).
        token: sent as ``authorization: Bearer <token>`` on every call (default ``$GYMHOST_TOKEN``).
        metadata: more ``(key, value)`` pairs sent on every call.
        timeout: deadline in seconds of each unary call (None = no deadline). Streams
            (StepStream, Train) have no deadline.
        retries: how many times an idempotent call (reads, seeded resets, deletes, evaluate)
            is tried again after UNAVAILABLE, with jittered exponential backoff from
            ``backoff`` seconds up to ``max_backoff``. Steps and creates are never retried.
        wait_for_ready: queue calls while the channel connects instead of failing at once.
        options: extra gRPC channel options.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        tls: bool | None = None,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
        metadata: Sequence[tuple[str, str | bytes]] | Mapping[str, str] | None = None,
        timeout: float | None = 30.0,
        retries: int = 3,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        wait_for_ready: bool = False,
        options: Sequence[tuple[str, Any]] | None = None,
    ) -> None:
        address = address or os.environ.get("GYMHOST_ADDRESS") or DEFAULT_ADDRESS
        target, scheme_tls = _parse_address(address)
        if tls is None:
            tls = scheme_tls or credentials is not None or root_certificates is not None or certificate_chain is not None
        self.address = target
        self.tls = bool(tls)
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.wait_for_ready = wait_for_ready
        token = token if token is not None else os.environ.get("GYMHOST_TOKEN") or None
        md: list[tuple[str, str | bytes]] = []
        if token:
            md.append(("authorization", f"Bearer {token}"))
        if metadata:
            items = metadata.items() if isinstance(metadata, Mapping) else metadata
            md.extend((str(k).lower(), v) for k, v in items)
        #: Metadata sent with every call.
        self.metadata: tuple[tuple[str, str | bytes], ...] = tuple(md)
        channel_options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            *(options or ()),
        ]
        if self.tls:
            creds = credentials or grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            self.channel = grpc.secure_channel(target, creds, options=channel_options)
        else:
            self.channel = grpc.insecure_channel(target, options=channel_options)
        #: Generated stubs, for calls this client has no method for.
        self.env_stub = env_service_pb2_grpc.EnvServiceStub(self.channel)
        self.agent_stub = agent_service_pb2_grpc.AgentServiceStub(self.channel)
        self.usage_stub = usage_service_pb2_grpc.UsageServiceStub(self.channel)
        self._closed = False
        self._env_types: dict[str, env_service_pb2.EnvType] | None = None

    # ---- calls ----------------------------------------------------------------------------

    def metadata_for(self, resource: str | None) -> tuple[tuple[str, str | bytes], ...]:
        """This client's metadata for a call on ``resource`` (a session, agent or run id): with
        ``gymhost-route``, so that a proxy in front of replicas sends the call to the replica
        serving it (docs/deploy.md). A run's id routes like its agent's."""
        route = route_of(resource)
        return self.metadata + ((ROUTE_KEY, route),) if route else self.metadata

    def call(self, method: Callable[..., Any], request: Any, *, idempotent: bool = False, timeout: Any = _DEFAULT) -> Any:
        """Calls a unary stub method (``client.env_stub.GetEnv``, ...) with this client's
        metadata (and the request's ``gymhost-route``), deadline and retries; failures raise
        :class:`gymhost.GymhostError`."""
        t = self.timeout if timeout is _DEFAULT else timeout
        md = self.metadata_for(_resource_of(request))
        attempt = 0
        while True:
            try:
                return method(request, timeout=t, metadata=md, wait_for_ready=self.wait_for_ready)
            except grpc.RpcError as err:
                if idempotent and attempt < self.retries and err.code() in RETRYABLE:
                    time.sleep(self._delay(attempt))
                    attempt += 1
                    continue
                raise errors.from_rpc_error(err) from None

    def server_stream(self, method: Callable[..., Any], request: Any, timeout: float | None = None) -> Iterator[Any]:
        """Calls a server-streaming stub method; yields its messages; errors raise GymhostError.
        Closing the generator (or leaving a ``for`` loop early) cancels the call. ``timeout``
        is a deadline for the whole call (default: none, unlike unary calls)."""
        call = method(request, timeout=timeout, metadata=self.metadata_for(_resource_of(request)), wait_for_ready=self.wait_for_ready)
        try:
            for message in call:
                yield message
        except grpc.RpcError as err:
            raise errors.from_rpc_error(err) from None
        finally:
            call.cancel()

    def _delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * (2**attempt)) * (0.5 + random.random() / 2)

    def step_stream(self, *, inline: bool = False, session: str | None = None) -> "StepStream":
        """Opens a StepStream (see :class:`StepStream`); give ``session`` when it steps that one
        session (behind a proxy, the stream then goes to the replica serving it)."""
        return StepStream(self, inline=inline, session=session)

    # ---- server information -----------------------------------------------------------------

    def list_env_types(self) -> env_service_pb2.ListEnvTypesResponse:
        """ListEnvTypes: env ids, spaces, options, reward functions, limits, server version."""
        return self.call(self.env_stub.ListEnvTypes, env_service_pb2.ListEnvTypesRequest(), idempotent=True)

    def env_type(self, env_id: str) -> env_service_pb2.EnvType | None:
        """The EnvType message of ``env_id`` (cached), or None if the server does not host it."""
        if self._env_types is None or env_id not in self._env_types:
            self._env_types = {t.id: t for t in self.list_env_types().env_types}
        return self._env_types.get(env_id)

    def server_version(self) -> str:
        return self.list_env_types().server_version

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Blocks until the channel is connected; raises UnavailableError after ``timeout`` s."""
        try:
            grpc.channel_ready_future(self.channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise errors.UnavailableError(f"no gymhost server at {self.address} within {timeout} s") from None

    def list_envs(self, owner: str = "") -> list[env_service_pb2.Env]:
        """The env sessions the caller may read (Env messages): a student's own; everyone's for
        instructors and admins, or only ``owner``'s."""
        return list(self.call(self.env_stub.ListEnvs, env_service_pb2.ListEnvsRequest(owner=owner), idempotent=True).envs)

    def get_usage(self, user: str = "") -> usage_service_pb2.GetUsageResponse:
        """GetUsage: who the token is (user, role), what it holds (``used``) against its quotas
        (``quota``: sessions, agents, rewards, concurrent Trains, memory bytes), its request rate
        and the server's memory budget. Instructors and admins may name another ``user``."""
        return self.call(self.usage_stub.GetUsage, usage_service_pb2.GetUsageRequest(user=user), idempotent=True)

    def list_episodes(self, session_id: str, offset: int = 0, limit: int = 0) -> list[env_service_pb2.EpisodeLogEntry]:
        """ListEpisodes: a session's episodes as the server measured them (``episode``, ``copy``,
        ``seed``, ``episode_return``, ``length``, ``terminated``, ``truncated``, ``abandoned``),
        oldest first; ``limit`` 0 = all kept."""
        request = env_service_pb2.ListEpisodesRequest(id=session_id, offset=offset, limit=limit)
        return list(self.call(self.env_stub.ListEpisodes, request, idempotent=True).episodes)

    def delete_env(self, session_id: str) -> None:
        self.call(self.env_stub.DeleteEnv, env_service_pb2.DeleteEnvRequest(id=session_id), idempotent=True)

    # ---- training runs ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> "TrainingRun":
        """GetRun: a training run (``Agent.train(..., async_=True)`` starts one) with its
        state, progress, evaluations and best evaluation."""
        from .agent import TrainingRun
        from .v1 import agent_service_pb2 as apb

        return TrainingRun._from(self.call(self.agent_stub.GetRun, apb.GetRunRequest(id=run_id), idempotent=True).run)

    def list_runs(self, agent: "str | Agent" = "", owner: str = "", state: str | int | None = None) -> list["TrainingRun"]:
        """ListRuns: the training runs the caller may read, newest first; only ``agent``'s
        (an id or an Agent), ``owner``'s (instructors and admins) or those in ``state``
        (``"RUNNING"``, ``"SUCCEEDED"``, ``"CANCELLED"``, ``"FAILED"``)."""
        from .agent import TrainingRun, run_state_value
        from .v1 import agent_service_pb2 as apb

        agent_id = agent if isinstance(agent, str) else agent.id
        request = apb.ListRunsRequest(agent=agent_id, owner=owner, state=run_state_value(state))  # type: ignore[arg-type]
        return [TrainingRun._from(r) for r in self.call(self.agent_stub.ListRuns, request, idempotent=True).runs]

    def cancel_run(self, run_id: str) -> "TrainingRun":
        """CancelRun: stops a running run at its next step and returns it as it ended (an
        ended run is returned as it is). The agent keeps what it learned (with ``keep_best``,
        its best evaluated weights)."""
        from .agent import TrainingRun
        from .v1 import agent_service_pb2 as apb

        return TrainingRun._from(self.call(self.agent_stub.CancelRun, apb.CancelRunRequest(id=run_id), idempotent=True).run)

    def watch_run(self, run_id: str, timeout: float | None = None, replay: bool = False) -> Iterator[Any]:
        """WatchRun as a generator: the :class:`TrainingRun` as it is, (with ``replay``) its
        past :class:`EpisodeRecord` events, then its EpisodeRecord and
        :class:`RunEvaluation` events as they happen, then the TrainingRun as it ended (the
        last item). Closing the generator stops watching, not the run. ``timeout``: a
        deadline in seconds for the whole call (default none)."""
        from .agent import EpisodeRecord, RunEvaluation, TrainingRun
        from .v1 import agent_service_pb2 as apb

        for message in self.server_stream(self.agent_stub.WatchRun, apb.WatchRunRequest(id=run_id, replay=replay), timeout=timeout):
            kind = message.WhichOneof("event")
            if kind == "run":
                yield TrainingRun._from(message.run)
            elif kind == "episode":
                yield EpisodeRecord._from(message.episode)
            elif kind == "evaluation":
                yield RunEvaluation._from(message.evaluation)

    def export_run_checkpoint(self, run_id: str, checkpoint: str | int = "best") -> "RunCheckpoint":
        """ExportRunCheckpoint: the agent as a run saved it at its best evaluation
        (``"best"``, the default) or its last checkpoint (``"last"``), in ExportAgent's
        format: ``gymhost.Agent.load(checkpoint, env=...)`` makes a new agent of it."""
        from .agent import RunCheckpoint, RunEvaluation, run_checkpoint_value
        from .v1 import agent_service_pb2 as apb

        request = apb.ExportRunCheckpointRequest(id=run_id, checkpoint=run_checkpoint_value(checkpoint))  # type: ignore[arg-type]
        r = self.call(self.agent_stub.ExportRunCheckpoint, request, idempotent=True)
        evaluation = RunEvaluation._from(r.evaluation) if r.HasField("evaluation") else None
        return RunCheckpoint(format=r.format, data=bytes(r.data), steps=int(r.steps), evaluation=evaluation)

    # ---- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the channel (calls in flight are cancelled)."""
        if not self._closed:
            self._closed = True
            with _cache_lock:
                for key, client in list(_cache.items()):
                    if client is self:
                        del _cache[key]
            self.channel.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __deepcopy__(self, memo: dict) -> "Client":
        # gymnasium deep-copies EnvSpec kwargs; a connection is shared, not copied.
        return self

    def __repr__(self) -> str:
        return f"gymhost.Client({'grpcs' if self.tls else 'grpc'}://{self.address})"


def _parse_address(address: str) -> tuple[str, bool]:
    for scheme, tls in (("grpcs://", True), ("grpc://", False), ("https://", True), ("http://", False)):
        if address.startswith(scheme):
            return address[len(scheme) :].rstrip("/"), tls
    return address, False


_cache: dict[Any, Client] = {}
_cache_lock = threading.Lock()


def connect(address: str | None = None, **options: Any) -> Client:
    """A shared :class:`Client` for these connection options (one channel per distinct set).

    Takes the keyword arguments of :class:`Client`; unhashable options (e.g. credentials
    objects) get a new Client each time."""
    address = address or os.environ.get("GYMHOST_ADDRESS") or DEFAULT_ADDRESS
    try:
        # Per process: a channel must not be shared across fork() (SubprocVecEnv workers).
        key = (os.getpid(), address, tuple(sorted((k, _freeze(v)) for k, v in options.items())), os.environ.get("GYMHOST_TOKEN"))
        hash(key)
    except TypeError:
        return Client(address, **options)
    with _cache_lock:
        client = _cache.get(key)
        if client is None or client.closed:
            client = Client(address, **options)
            _cache[key] = client
        return client


def _freeze(v: Any) -> Any:
    if isinstance(v, Mapping):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


#: Keyword arguments of make(), Agent(), ... that configure the connection.
CONNECTION_KWARGS = frozenset(
    {
        "tls",
        "root_certificates",
        "private_key",
        "certificate_chain",
        "credentials",
        "token",
        "metadata",
        "timeout",
        "retries",
        "backoff",
        "max_backoff",
        "wait_for_ready",
        "options",
    }
)


def resolve_client(client: Client | None, address: str | None, kwargs: dict[str, Any]) -> Client:
    """``client``, or the shared client for ``address`` and the connection options popped from kwargs."""
    conn = {k: kwargs.pop(k) for k in list(kwargs) if k in CONNECTION_KWARGS}
    if client is not None:
        if address is not None or conn:
            raise TypeError("give either client= or connection options (address, tls, token, ...), not both")
        return client
    return connect(address, **conn)


# ---- StepStream ---------------------------------------------------------------------------------

_END = object()
_STEP_STREAM = "/gymhost.v1.EnvService/StepStream"
_parse_response = env_service_pb2.StepStreamResponse.FromString


def _serialize_request(request: Any) -> bytes:
    """A StepStreamRequest's bytes; ``bytes`` are already a serialized StepStreamRequest
    (RemoteVectorEnv builds its step_batch requests so) and are sent as they are."""
    return request if type(request) is bytes else request.SerializeToString()


class StepStream:
    """One ``EnvService.StepStream`` call: reset/step/step_batch requests for any sessions,
    answered in order, one answer per request.

    Lock-step use (each answer before the next request)::

        with client.step_stream() as s:
            r = s.step(env_id, 1)        # StepResponse; an inline error raises GymhostError

    Pipelined use (several requests in flight; answers come back in request order)::

        for a in actions[:64]:
            s.send_step(env_id, a)
        answer = s.recv()                # StepStreamResponse (an inline error is answer.error)

    ``inline=True`` drives the call from the calling thread instead of grpcio's two helper
    threads per stream (see ``gymhost._inline_call``): about half the client CPU per
    lock-step exchange, and what RemoteEnv(stream=True) and RemoteVectorEnv use. Pipelining
    works too (faster than with the helper threads), but only the first request sent while
    none is being written leaves at once: the others go out while the caller waits in
    ``recv()``, so the server does not work ahead on them in the meantime. Where grpcio's
    internals differ, with grpcio's fork support on (``GRPC_ENABLE_FORK_SUPPORT``) or with
    ``GYMHOST_INLINE_STREAM=0``, the stream uses the helper threads either way; :attr:`inline`
    says which.
    """

    def __init__(self, client: Client, *, inline: bool = False, session: str | None = None) -> None:
        self.client = client
        md = client.metadata_for(session)
        self._inline = open_inline_call(client.channel, _STEP_STREAM, md, client.wait_for_ready) if inline else None
        if self._inline is None:
            self._requests: queue.SimpleQueue = queue.SimpleQueue()
            # Answers are read as bytes and parsed by the caller (exchange_raw() skips that).
            call = client.channel.stream_stream(_STEP_STREAM, request_serializer=_serialize_request, response_deserializer=None)
            self._responses = call(iter(self._requests.get, _END), metadata=md, wait_for_ready=client.wait_for_ready)
        self._in_flight = 0
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Requests sent whose answers have not been read yet."""
        return self._in_flight

    @property
    def inline(self) -> bool:
        """True when the calling thread drives the call (``inline=True`` where grpcio allows it)."""
        return self._inline is not None

    # ---- pipelined --------------------------------------------------------------------------

    def send(self, request: Any) -> None:
        """Sends a StepStreamRequest (or a StepRequest, ResetRequest or StepBatchRequest)."""
        if self._closed:
            raise errors.CancelledError("the StepStream is closed")
        if not isinstance(request, env_service_pb2.StepStreamRequest):
            request = _wrap(request)
        if self._inline is not None:
            self._inline.send(request.SerializeToString())
        else:
            self._requests.put(request)
        self._in_flight += 1

    def send_step(self, session_id: str, action: int) -> None:
        from .v1 import spaces_pb2

        self.send(env_service_pb2.StepStreamRequest(step=env_service_pb2.StepRequest(id=session_id, action=spaces_pb2.SpaceValue(discrete=int(action)))))

    def send_reset(self, session_id: str, seed: int | None = None, options: Mapping[str, Any] | None = None) -> None:
        self.send(env_service_pb2.StepStreamRequest(reset=env_service_pb2.ResetRequest(id=session_id, seed=seed, options=dict_to_struct(options))))

    def send_step_batch(self, session_id: str, actions: Any, dtype: Any = "int32") -> None:
        self.send(env_service_pb2.StepStreamRequest(step_batch=env_service_pb2.StepBatchRequest(id=session_id, actions=numpy_to_tensor(actions, dtype))))

    def recv(self) -> env_service_pb2.StepStreamResponse:
        """The next answer (StepStreamResponse); the stream itself failing raises GymhostError."""
        if self._in_flight <= 0:
            raise RuntimeError("recv() without a request in flight")
        raw = self._next_answer()
        self._in_flight -= 1
        return _parse_response(raw)

    def _next_answer(self) -> bytes:
        try:
            return self._inline.recv() if self._inline is not None else next(self._responses)
        except StopIteration:
            self._closed = True
            raise errors.UnavailableError("the server ended the StepStream") from None
        except grpc.RpcError as err:
            self._closed = True
            raise errors.from_rpc_error(err) from None

    # ---- lock-step ----------------------------------------------------------------------------

    def request(self, request: Any) -> Any:
        """Sends one request and returns its answer's payload (StepResponse, ResetResponse or
        StepBatchResponse); an inline error raises GymhostError. Not while pipelined
        answers are unread."""
        if self._in_flight:
            raise RuntimeError(f"{self._in_flight} answers are still in flight: recv() them first")
        self.send(request)
        response = self.recv()
        kind = response.WhichOneof("response")
        if kind == "error":
            raise errors.from_detail(response.error)
        return getattr(response, kind)

    def exchange(self, request: env_service_pb2.StepStreamRequest | bytes) -> Any:
        """:meth:`request` without its checks, for lock-step loops: ``request`` must be a
        StepStreamRequest (or one serialized, as bytes) and no answer may be in flight."""
        if self._in_flight or self._closed:
            return self.request(request)
        response = _parse_response(self._exchange(request))
        kind = response.WhichOneof("response")
        if kind == "error":
            raise errors.from_detail(response.error)
        return getattr(response, kind)

    def exchange_raw(self, request: env_service_pb2.StepStreamRequest | bytes) -> bytes:
        """:meth:`exchange` that returns the answer's bytes (a serialized StepStreamResponse,
        which may hold an inline error) without parsing them."""
        if self._in_flight or self._closed:
            if self._closed:
                raise errors.CancelledError("the StepStream is closed")
            raise RuntimeError(f"{self._in_flight} answers are still in flight: recv() them first")
        return self._exchange(request)

    def _exchange(self, request: env_service_pb2.StepStreamRequest | bytes) -> bytes:
        try:
            if self._inline is not None:
                return self._inline.exchange(_serialize_request(request))
            self._requests.put(request)
            return next(self._responses)
        except StopIteration:
            self._closed = True
            raise errors.UnavailableError("the server ended the StepStream") from None
        except grpc.RpcError as err:
            self._closed = True
            raise errors.from_rpc_error(err) from None

    def step(self, session_id: str, action: int) -> env_service_pb2.StepResponse:
        from .v1 import spaces_pb2

        return self.request(env_service_pb2.StepStreamRequest(step=env_service_pb2.StepRequest(id=session_id, action=spaces_pb2.SpaceValue(discrete=int(action)))))

    def reset(self, session_id: str, seed: int | None = None, options: Mapping[str, Any] | None = None) -> env_service_pb2.ResetResponse:
        return self.request(env_service_pb2.StepStreamRequest(reset=env_service_pb2.ResetRequest(id=session_id, seed=seed, options=dict_to_struct(options))))

    def step_batch(self, session_id: str, actions: Any, dtype: Any = "int32") -> env_service_pb2.StepBatchResponse:
        return self.request(env_service_pb2.StepStreamRequest(step_batch=env_service_pb2.StepBatchRequest(id=session_id, actions=numpy_to_tensor(actions, dtype))))

    # ---- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Half-closes the stream and cancels it (answers not read are dropped)."""
        if not self._closed:
            self._closed = True
            if self._inline is not None:
                self._inline.cancel()
            else:
                self._requests.put(_END)
                self._responses.cancel()
        elif self._inline is not None and not self._inline.closed:
            self._inline.cancel()  # ended by an error: hand gRPC's batches back

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "StepStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self._inline is not None and sys.is_finalizing():
            return  # gRPC may be gone already; the process is ending anyway
        try:
            self.close()
        except Exception:
            pass


def _wrap(request: Any) -> env_service_pb2.StepStreamRequest:
    if isinstance(request, env_service_pb2.StepRequest):
        return env_service_pb2.StepStreamRequest(step=request)
    if isinstance(request, env_service_pb2.ResetRequest):
        return env_service_pb2.StepStreamRequest(reset=request)
    if isinstance(request, env_service_pb2.StepBatchRequest):
        return env_service_pb2.StepStreamRequest(step_batch=request)
    raise TypeError(f"a StepStream sends StepRequest, ResetRequest or StepBatchRequest, not {type(request).__name__}")
