import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_STUDENT: _ClassVar[Role]
    ROLE_INSTRUCTOR: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
ROLE_UNSPECIFIED: Role
ROLE_STUDENT: Role
ROLE_INSTRUCTOR: Role
ROLE_ADMIN: Role

class Usage(_message.Message):
    __slots__ = ("env_sessions", "agents", "rewards", "concurrent_trains", "memory_bytes")
    ENV_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    CONCURRENT_TRAINS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    env_sessions: int
    agents: int
    rewards: int
    concurrent_trains: int
    memory_bytes: int
    def __init__(self, env_sessions: _Optional[int] = ..., agents: _Optional[int] = ..., rewards: _Optional[int] = ..., concurrent_trains: _Optional[int] = ..., memory_bytes: _Optional[int] = ...) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: str
    def __init__(self, user: _Optional[str] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("user", "role", "used", "quota", "requests_per_second", "request_burst", "request_tokens", "server_memory_budget_bytes", "server_memory_used_bytes", "authentication", "totals")
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    REQUEST_BURST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SERVER_MEMORY_BUDGET_BYTES_FIELD_NUMBER: _ClassVar[int]
    SERVER_MEMORY_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    user: str
    role: Role
    used: Usage
    quota: Usage
    requests_per_second: float
    request_burst: int
    request_tokens: float
    server_memory_budget_bytes: int
    server_memory_used_bytes: int
    authentication: bool
    totals: UsageTotals
    def __init__(self, user: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., used: _Optional[_Union[Usage, _Mapping]] = ..., quota: _Optional[_Union[Usage, _Mapping]] = ..., requests_per_second: _Optional[float] = ..., request_burst: _Optional[int] = ..., request_tokens: _Optional[float] = ..., server_memory_budget_bytes: _Optional[int] = ..., server_memory_used_bytes: _Optional[int] = ..., authentication: _Optional[bool] = ..., totals: _Optional[_Union[UsageTotals, _Mapping]] = ...) -> None: ...

class UsageTotals(_message.Message):
    __slots__ = ("first_seen_time", "last_seen_time", "requests", "env_steps", "training_steps")
    FIRST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ENV_STEPS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_STEPS_FIELD_NUMBER: _ClassVar[int]
    first_seen_time: _timestamp_pb2.Timestamp
    last_seen_time: _timestamp_pb2.Timestamp
    requests: int
    env_steps: int
    training_steps: int
    def __init__(self, first_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requests: _Optional[int] = ..., env_steps: _Optional[int] = ..., training_steps: _Optional[int] = ...) -> None: ...
