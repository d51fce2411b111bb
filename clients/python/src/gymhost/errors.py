"""Exceptions raised by the gymhost client.

Every failed call raises a :class:`GymhostError` (or a subclass named after the gRPC status
code) carrying the server's ``ErrorDetail``: ``code`` (e.g. ``"INVALID_ARGUMENT"``),
``message``, ``field`` (the request field at fault, e.g. ``"action"``) and ``reason`` (e.g.
``"ACTION_OUT_OF_RANGE"``). The detail comes from the ``gymhost-error-bin`` trailer of a
unary call, or inline from a StepStream answer.

The subclasses also derive from the matching Python exception where there is one, so
``except ValueError`` catches a bad action and ``except TimeoutError`` a deadline.
"""

from __future__ import annotations

from typing import Any

import grpc

from .v1 import errors_pb2

ERROR_DETAIL_KEY = "gymhost-error-bin"


class GymhostError(Exception):
    """A failed gymhost call: ``code``, ``message``, ``field``, ``reason`` (server's ErrorDetail)."""

    code: str = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str = "",
        reason: str = "",
        status: grpc.StatusCode | None = None,
        request_id: str = "",
        retry_after: float = 0.0,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field
        self.reason = reason
        #: The gRPC status code of the call (None for errors answered inline on a stream).
        self.status = status
        #: The server's id of the request (in its logs), when it sent one.
        self.request_id = request_id
        #: For RESOURCE_EXHAUSTED when waiting helps (the request rate): seconds to wait; else 0.
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field and not self.message.startswith(self.field) else ""
        why = f" ({self.reason})" if self.reason and self.reason != self.code else ""
        return f"{self.code}{where}: {self.message}{why}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r}, reason={self.reason!r})"

    def __reduce__(self) -> Any:
        return (_rebuild, (self.code, self.message, self.field, self.reason))


def _rebuild(code: str, message: str, field: str, reason: str) -> GymhostError:
    return error_for(code, message, field=field, reason=reason)


class InvalidArgumentError(GymhostError, ValueError):
    code = "INVALID_ARGUMENT"


class FailedPreconditionError(GymhostError, RuntimeError):
    code = "FAILED_PRECONDITION"


class NotFoundError(GymhostError, LookupError):
    code = "NOT_FOUND"


class AlreadyExistsError(GymhostError):
    code = "ALREADY_EXISTS"


class ResourceExhaustedError(GymhostError):
    code = "RESOURCE_EXHAUSTED"


class PermissionDeniedError(GymhostError, PermissionError):
    code = "PERMISSION_DENIED"


class UnauthenticatedError(GymhostError):
    code = "UNAUTHENTICATED"


class DeadlineExceededError(GymhostError, TimeoutError):
    code = "DEADLINE_EXCEEDED"


class UnavailableError(GymhostError, ConnectionError):
    code = "UNAVAILABLE"


class CancelledError(GymhostError):
    code = "CANCELLED"


class InternalError(GymhostError):
    code = "INTERNAL"


class UnknownError(GymhostError):
    code = "UNKNOWN"


_BY_CODE: dict[str, type[GymhostError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        FailedPreconditionError,
        NotFoundError,
        AlreadyExistsError,
        ResourceExhaustedError,
        PermissionDeniedError,
        UnauthenticatedError,
        DeadlineExceededError,
        UnavailableError,
        CancelledError,
        InternalError,
        UnknownError,
    )
}


def error_for(
    code: str, message: str, *, field: str = "", reason: str = "", status: grpc.StatusCode | None = None, request_id: str = "", retry_after: float = 0.0
) -> GymhostError:
    """The exception of the class for ``code`` (GymhostError itself for codes without one)."""
    cls = _BY_CODE.get(code, GymhostError)
    return cls(message, code=code, field=field, reason=reason, status=status, request_id=request_id, retry_after=retry_after)


def from_detail(detail: errors_pb2.ErrorDetail) -> GymhostError:
    """An ErrorDetail (as answered inline on a StepStream) as an exception."""
    return error_for(
        detail.code or "UNKNOWN", detail.message, field=detail.field, reason=detail.reason, request_id=detail.request_id, retry_after=detail.retry_after_seconds
    )


def from_rpc_error(err: grpc.RpcError) -> GymhostError:
    """A failed gRPC call as an exception; uses the gymhost-error-bin trailer when present."""
    status = err.code() if hasattr(err, "code") else None
    details = err.details() if hasattr(err, "details") else None
    trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == ERROR_DETAIL_KEY:
            detail = errors_pb2.ErrorDetail()
            try:
                detail.ParseFromString(value)
            except Exception:  # a garbled trailer: fall back to the status
                break
            return error_for(
                detail.code or _code_name(status),
                detail.message or (details or ""),
                field=detail.field,
                reason=detail.reason,
                status=status,
                request_id=detail.request_id,
                retry_after=detail.retry_after_seconds,
            )
    return error_for(_code_name(status), details or str(err), status=status)


def _code_name(status: grpc.StatusCode | None) -> str:
    return status.name if status is not None else "UNKNOWN"
