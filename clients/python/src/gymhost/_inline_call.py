"""A bidirectional-streaming call driven by the calling thread alone.

grpcio's public stream-stream API runs every call on two helper threads: one takes requests
from the iterator and writes them, the channel's "spin" thread takes completions off the
channel's completion queue and wakes the caller. For a lock-step loop (one request, wait for
its answer, repeat) that is four thread hand-offs and GIL round trips per message, which
costs about as much client CPU as gRPC's own I/O. grpcio has a single-threaded mode for
unary-stream calls (``grpc.experimental.ChannelOptions.SingleThreadedUnaryStream``): the
call gets its own completion queue (a "segregated call") and the caller polls it. This
module uses that same mechanism for StepStream, a stream-stream call: a lock-step exchange
is one batch (send the request, receive the answer) and one blocking wait in the caller.

It relies on grpcio internals (``grpc._cython.cygrpc``'s segregated calls, which grpcio's own
blocking unary calls and single-threaded unary-stream calls use); :func:`open_inline_call`
returns None when they are missing or look different (and when grpcio's fork support is on,
see :func:`inline_calls_enabled`), and callers then use the public API.
"""

from __future__ import annotations

import collections
import os
from typing import Any

import grpc

try:  # grpcio internals; any difference means "not available"
    from grpc import _channel as _grpc_channel
    from grpc import _common as _grpc_common
    from grpc._cython import cygrpc as _cygrpc

    _AVAILABLE = all(
        (
            hasattr(_cygrpc.Channel, "segregated_call"),
            hasattr(_cygrpc, "SendMessageOperation"),
            hasattr(_cygrpc, "ReceiveMessageOperation"),
            hasattr(_cygrpc, "SendInitialMetadataOperation"),
            hasattr(_cygrpc, "ReceiveInitialMetadataOperation"),
            hasattr(_cygrpc, "ReceiveStatusOnClientOperation"),
            hasattr(_cygrpc, "PropagationConstants"),
            hasattr(_grpc_channel, "_InitialMetadataFlags"),
            hasattr(_grpc_common, "CYGRPC_STATUS_CODE_TO_STATUS_CODE"),
            hasattr(_grpc_common, "STATUS_CODE_TO_CYGRPC_STATUS_CODE"),
            hasattr(_cygrpc, "is_fork_support_enabled"),
        )
    )
except Exception:  # pragma: no cover - depends on the installed grpcio
    _AVAILABLE = False

# Tags of the call's operation batches (compared by identity).
_START = "start"
_STATUS = "status"
_INITIAL = "initial"
_SEND = "send"
_RECV = "recv"
_EXCHANGE = "exchange"


class CallEnded(grpc.RpcError):
    """The call's final status, in the shape gymhost.errors.from_rpc_error reads (the
    status code, details and trailing metadata of a failed gRPC call)."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: Any) -> None:
        super().__init__(details)
        self._code = code
        self._details = details
        self._trailing = trailing_metadata

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> Any:
        return self._trailing


def inline_calls_enabled() -> bool:
    """False when grpcio lacks the internals, when ``GYMHOST_INLINE_STREAM=0`` turns them off,
    or with grpcio's fork support on (``GRPC_ENABLE_FORK_SUPPORT``): after a fork, grpcio's
    child-side channel cleanup waits for every call of the channel to finish, but a
    segregated call's completions come only to the queue its owner polls, so a child forked
    while one is open would wait forever."""
    if not _AVAILABLE or os.environ.get("GYMHOST_INLINE_STREAM", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        return not _cygrpc.is_fork_support_enabled()
    except Exception:
        return False


def open_inline_call(channel: Any, method: str, metadata: Any, wait_for_ready: bool | None) -> "InlineCall | None":
    """An :class:`InlineCall` of ``method`` on ``channel`` (a channel made by
    ``grpc.insecure_channel``/``grpc.secure_channel``), or None when that is not possible here
    (then use the public API)."""
    if not inline_calls_enabled():
        return None
    core = getattr(channel, "_channel", None)
    if core is None or not isinstance(core, _cygrpc.Channel):
        return None
    try:
        return InlineCall(core, method, metadata, wait_for_ready)
    except (TypeError, AttributeError):  # an internal signature changed: use the public API
        return None


class InlineCall:
    """One stream-stream call whose completions the calling thread waits for itself.

    Messages are bytes both ways (serialize before :meth:`send`, parse what :meth:`recv`
    returns). Not thread-safe: one thread at a time, as for a StepStream. Requests sent while
    an earlier one is still being written wait in a queue and go out as the caller waits for
    answers (gRPC writes one message of a call at a time)."""

    def __init__(self, core: Any, method: str, metadata: Any, wait_for_ready: bool | None) -> None:
        flags = _grpc_channel._InitialMetadataFlags().with_wait_for_ready(wait_for_ready)
        md = tuple(metadata) if metadata else None
        operations = (
            ((_cygrpc.SendInitialMetadataOperation(md, flags),), _START),
            ((_cygrpc.ReceiveStatusOnClientOperation(0),), _STATUS),
            ((_cygrpc.ReceiveInitialMetadataOperation(0),), _INITIAL),
        )
        self._call = core.segregated_call(_cygrpc.PropagationConstants.GRPC_PROPAGATE_DEFAULTS, method.encode(), None, None, md, None, operations, None, None)
        self._send_op = _cygrpc.SendMessageOperation
        self._recv_op = _cygrpc.ReceiveMessageOperation
        # Batches started and not yet taken off the completion queue. grpcio destroys the
        # queue when the last one is taken, so the queue is polled only while this is > 0.
        self._pending = 3
        self._sending = False  # a SendMessage batch is in flight
        self._receiving = False  # a ReceiveMessage batch is in flight
        self._queued: collections.deque[bytes] = collections.deque()
        self._answer: bytes | None = None  # a received answer not yet returned
        self._ended = False  # the server's last answer was received (or the call failed)
        self._status: CallEnded | None = None
        self._closed = False

    # ---- messages ----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        if self._ended or self._closed:
            return  # the next recv() reports how the call ended
        if self._sending:
            self._queued.append(data)
        elif self._start((self._send_op(data, 0),), _SEND):
            self._sending = True

    def recv(self) -> bytes:
        """The next answer; raises :class:`CallEnded` when the call failed, StopIteration when
        the server ended it without an error."""
        if self._answer is None and not self._receiving and not self._ended:
            if self._start((self._recv_op(0),), _RECV):
                self._receiving = True
        return self._take_answer()

    def exchange(self, data: bytes) -> bytes:
        """Sends ``data`` and returns the next answer, both in one batch (one wait), when no
        other request or answer is in flight; like ``send`` then ``recv`` otherwise."""
        if self._sending or self._receiving or self._answer is not None or self._queued or self._ended or self._closed:
            self.send(data)
            return self.recv()
        if not self._start((self._send_op(data, 0), self._recv_op(0)), _EXCHANGE):
            return self._end()
        self._sending = self._receiving = True
        return self._take_answer()

    def _take_answer(self) -> bytes:
        """The answer received, after waiting for the one in flight; else how the call ended."""
        while self._answer is None and self._receiving:
            self._next_event()
        if self._answer is not None:
            answer, self._answer = self._answer, None
            return answer
        return self._end()

    # ---- lifecycle -------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Cancels the call and waits for gRPC to hand back everything in flight."""
        if self._closed:
            return
        self._closed = True
        self._queued.clear()
        try:
            if self._pending > 0:
                self._call.cancel(_grpc_common.STATUS_CODE_TO_CYGRPC_STATUS_CODE[grpc.StatusCode.CANCELLED], "Cancelled")
            while self._pending > 0:
                self._next_event()
        except Exception:
            self._pending = 0

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- completion queue ------------------------------------------------------------------------

    def _start(self, operations: tuple, tag: str) -> bool:
        if self._pending <= 0:
            self._ended = True
            return False
        if not self._call.operate(operations, tag):
            # grpcio reports the call as over (its status was taken off the queue).
            self._ended = True
            return False
        self._pending += 1
        return True

    def _next_event(self) -> None:
        if self._pending <= 0:
            self._sending = self._receiving = False
            self._ended = True
            return
        try:
            event = self._call.next_event()
        except BaseException:
            # grpcio has already dropped the call and its queue (e.g. KeyboardInterrupt while waiting).
            self._pending = 0
            self._sending = self._receiving = False
            self._ended = self._closed = True
            if self._status is None:
                self._status = CallEnded(grpc.StatusCode.CANCELLED, "the StepStream was interrupted while waiting for an answer; open a new one", ())
            raise
        self._pending -= 1
        tag = event.tag
        if tag is _EXCHANGE or tag is _RECV:
            if tag is _EXCHANGE:
                self._after_send()
            self._receiving = False
            message = None
            for op in event.batch_operations:
                if op.type() == _cygrpc.OperationType.receive_message:
                    message = op.message()
            if message is None:
                self._ended = True
            else:
                self._answer = message
        elif tag is _SEND:
            self._after_send()
        elif tag is _STATUS:
            op = event.batch_operations[0]
            code = _grpc_common.CYGRPC_STATUS_CODE_TO_STATUS_CODE.get(op.code(), grpc.StatusCode.UNKNOWN)
            details = op.details()
            if isinstance(details, bytes):
                details = details.decode("utf-8", "replace")
            self._status = CallEnded(code, details or "", op.trailing_metadata())

    def _after_send(self) -> None:
        self._sending = False
        if self._queued and not self._ended and not self._closed:
            if self._start((self._send_op(self._queued.popleft(), 0),), _SEND):
                self._sending = True

    def _end(self) -> bytes:
        """The call is over: wait for its status and raise it."""
        self._ended = True
        self._queued.clear()
        while self._status is None and self._pending > 0:
            self._next_event()
        status = self._status
        if status is None or status.code() is grpc.StatusCode.OK:
            raise StopIteration
        raise status
