import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gymhost.v1 import errors_pb2 as _errors_pb2
from gymhost.v1 import spaces_pb2 as _spaces_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RenderMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RENDER_MODE_UNSPECIFIED: _ClassVar[RenderMode]
    RENDER_MODE_NONE: _ClassVar[RenderMode]
    RENDER_MODE_RGB_ARRAY: _ClassVar[RenderMode]
    RENDER_MODE_ANSI: _ClassVar[RenderMode]

class AutoresetMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTORESET_MODE_UNSPECIFIED: _ClassVar[AutoresetMode]
    AUTORESET_MODE_NEXT_STEP: _ClassVar[AutoresetMode]
    AUTORESET_MODE_SAME_STEP: _ClassVar[AutoresetMode]

class OptionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTION_TYPE_UNSPECIFIED: _ClassVar[OptionType]
    OPTION_TYPE_BOOL: _ClassVar[OptionType]
    OPTION_TYPE_INT: _ClassVar[OptionType]
    OPTION_TYPE_NUMBER: _ClassVar[OptionType]
    OPTION_TYPE_STRING: _ClassVar[OptionType]
    OPTION_TYPE_INT_LIST: _ClassVar[OptionType]

class RewardOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REWARD_ORIGIN_UNSPECIFIED: _ClassVar[RewardOrigin]
    REWARD_ORIGIN_BUILTIN: _ClassVar[RewardOrigin]
    REWARD_ORIGIN_PLUGIN: _ClassVar[RewardOrigin]
    REWARD_ORIGIN_CLIENT: _ClassVar[RewardOrigin]
RENDER_MODE_UNSPECIFIED: RenderMode
RENDER_MODE_NONE: RenderMode
RENDER_MODE_RGB_ARRAY: RenderMode
RENDER_MODE_ANSI: RenderMode
AUTORESET_MODE_UNSPECIFIED: AutoresetMode
AUTORESET_MODE_NEXT_STEP: AutoresetMode
AUTORESET_MODE_SAME_STEP: AutoresetMode
OPTION_TYPE_UNSPECIFIED: OptionType
OPTION_TYPE_BOOL: OptionType
OPTION_TYPE_INT: OptionType
OPTION_TYPE_NUMBER: OptionType
OPTION_TYPE_STRING: OptionType
OPTION_TYPE_INT_LIST: OptionType
REWARD_ORIGIN_UNSPECIFIED: RewardOrigin
REWARD_ORIGIN_BUILTIN: RewardOrigin
REWARD_ORIGIN_PLUGIN: RewardOrigin
REWARD_ORIGIN_CLIENT: RewardOrigin

class OptionSpec(_message.Message):
    __slots__ = ("name", "type", "description", "default_value", "choices", "minimum", "maximum")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: OptionType
    description: str
    default_value: _struct_pb2.Value
    choices: _containers.RepeatedScalarFieldContainer[str]
    minimum: float
    maximum: float
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[OptionType, str]] = ..., description: _Optional[str] = ..., default_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., choices: _Optional[_Iterable[str]] = ..., minimum: _Optional[float] = ..., maximum: _Optional[float] = ...) -> None: ...

class RewardFunctionInfo(_message.Message):
    __slots__ = ("name", "description", "params", "origin")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    params: _containers.RepeatedCompositeFieldContainer[OptionSpec]
    origin: RewardOrigin
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., params: _Optional[_Iterable[_Union[OptionSpec, _Mapping]]] = ..., origin: _Optional[_Union[RewardOrigin, str]] = ...) -> None: ...

class EnvType(_message.Message):
    __slots__ = ("id", "description", "observation_space", "action_space", "config_options", "reward_functions", "default_reward_function", "max_episode_steps", "reward_threshold", "render_modes", "reset_options", "agent_presets", "render_fps", "time_limit")
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_SPACE_FIELD_NUMBER: _ClassVar[int]
    ACTION_SPACE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REWARD_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_REWARD_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    MAX_EPISODE_STEPS_FIELD_NUMBER: _ClassVar[int]
    REWARD_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    RENDER_MODES_FIELD_NUMBER: _ClassVar[int]
    RESET_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    AGENT_PRESETS_FIELD_NUMBER: _ClassVar[int]
    RENDER_FPS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    description: str
    observation_space: _spaces_pb2.Space
    action_space: _spaces_pb2.Space
    config_options: _containers.RepeatedCompositeFieldContainer[OptionSpec]
    reward_functions: _containers.RepeatedCompositeFieldContainer[RewardFunctionInfo]
    default_reward_function: str
    max_episode_steps: int
    reward_threshold: float
    render_modes: _containers.RepeatedScalarFieldContainer[RenderMode]
    reset_options: _containers.RepeatedCompositeFieldContainer[OptionSpec]
    agent_presets: _containers.RepeatedScalarFieldContainer[str]
    render_fps: float
    time_limit: int
    def __init__(self, id: _Optional[str] = ..., description: _Optional[str] = ..., observation_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., action_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., config_options: _Optional[_Iterable[_Union[OptionSpec, _Mapping]]] = ..., reward_functions: _Optional[_Iterable[_Union[RewardFunctionInfo, _Mapping]]] = ..., default_reward_function: _Optional[str] = ..., max_episode_steps: _Optional[int] = ..., reward_threshold: _Optional[float] = ..., render_modes: _Optional[_Iterable[_Union[RenderMode, str]]] = ..., reset_options: _Optional[_Iterable[_Union[OptionSpec, _Mapping]]] = ..., agent_presets: _Optional[_Iterable[str]] = ..., render_fps: _Optional[float] = ..., time_limit: _Optional[int] = ...) -> None: ...

class ListEnvTypesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListEnvTypesResponse(_message.Message):
    __slots__ = ("env_types", "server_version", "api_version", "max_sessions", "max_num_envs", "session_ttl_seconds")
    ENV_TYPES_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    MAX_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_ENVS_FIELD_NUMBER: _ClassVar[int]
    SESSION_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    env_types: _containers.RepeatedCompositeFieldContainer[EnvType]
    server_version: str
    api_version: str
    max_sessions: int
    max_num_envs: int
    session_ttl_seconds: int
    def __init__(self, env_types: _Optional[_Iterable[_Union[EnvType, _Mapping]]] = ..., server_version: _Optional[str] = ..., api_version: _Optional[str] = ..., max_sessions: _Optional[int] = ..., max_num_envs: _Optional[int] = ..., session_ttl_seconds: _Optional[int] = ...) -> None: ...

class Env(_message.Message):
    __slots__ = ("id", "env_id", "owner", "config", "reward_function", "reward_params", "num_envs", "render_mode", "autoreset_mode", "observation_space", "action_space", "create_time", "last_used_time", "total_steps", "total_episodes", "has_reset", "max_episode_steps", "reward_origin", "memory_bytes")
    ID_FIELD_NUMBER: _ClassVar[int]
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    REWARD_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    REWARD_PARAMS_FIELD_NUMBER: _ClassVar[int]
    NUM_ENVS_FIELD_NUMBER: _ClassVar[int]
    RENDER_MODE_FIELD_NUMBER: _ClassVar[int]
    AUTORESET_MODE_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_SPACE_FIELD_NUMBER: _ClassVar[int]
    ACTION_SPACE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EPISODES_FIELD_NUMBER: _ClassVar[int]
    HAS_RESET_FIELD_NUMBER: _ClassVar[int]
    MAX_EPISODE_STEPS_FIELD_NUMBER: _ClassVar[int]
    REWARD_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    id: str
    env_id: str
    owner: str
    config: _struct_pb2.Struct
    reward_function: str
    reward_params: _struct_pb2.Struct
    num_envs: int
    render_mode: RenderMode
    autoreset_mode: AutoresetMode
    observation_space: _spaces_pb2.Space
    action_space: _spaces_pb2.Space
    create_time: _timestamp_pb2.Timestamp
    last_used_time: _timestamp_pb2.Timestamp
    total_steps: int
    total_episodes: int
    has_reset: bool
    max_episode_steps: int
    reward_origin: RewardOrigin
    memory_bytes: int
    def __init__(self, id: _Optional[str] = ..., env_id: _Optional[str] = ..., owner: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reward_function: _Optional[str] = ..., reward_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., num_envs: _Optional[int] = ..., render_mode: _Optional[_Union[RenderMode, str]] = ..., autoreset_mode: _Optional[_Union[AutoresetMode, str]] = ..., observation_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., action_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_steps: _Optional[int] = ..., total_episodes: _Optional[int] = ..., has_reset: _Optional[bool] = ..., max_episode_steps: _Optional[int] = ..., reward_origin: _Optional[_Union[RewardOrigin, str]] = ..., memory_bytes: _Optional[int] = ...) -> None: ...

class CreateEnvRequest(_message.Message):
    __slots__ = ("env_id", "seed", "config", "reward_function", "reward_params", "num_envs", "render_mode", "autoreset_mode")
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    REWARD_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    REWARD_PARAMS_FIELD_NUMBER: _ClassVar[int]
    NUM_ENVS_FIELD_NUMBER: _ClassVar[int]
    RENDER_MODE_FIELD_NUMBER: _ClassVar[int]
    AUTORESET_MODE_FIELD_NUMBER: _ClassVar[int]
    env_id: str
    seed: int
    config: _struct_pb2.Struct
    reward_function: str
    reward_params: _struct_pb2.Struct
    num_envs: int
    render_mode: RenderMode
    autoreset_mode: AutoresetMode
    def __init__(self, env_id: _Optional[str] = ..., seed: _Optional[int] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reward_function: _Optional[str] = ..., reward_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., num_envs: _Optional[int] = ..., render_mode: _Optional[_Union[RenderMode, str]] = ..., autoreset_mode: _Optional[_Union[AutoresetMode, str]] = ...) -> None: ...

class CreateEnvResponse(_message.Message):
    __slots__ = ("env",)
    ENV_FIELD_NUMBER: _ClassVar[int]
    env: Env
    def __init__(self, env: _Optional[_Union[Env, _Mapping]] = ...) -> None: ...

class GetEnvRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetEnvResponse(_message.Message):
    __slots__ = ("env",)
    ENV_FIELD_NUMBER: _ClassVar[int]
    env: Env
    def __init__(self, env: _Optional[_Union[Env, _Mapping]] = ...) -> None: ...

class ListEnvsRequest(_message.Message):
    __slots__ = ("owner",)
    OWNER_FIELD_NUMBER: _ClassVar[int]
    owner: str
    def __init__(self, owner: _Optional[str] = ...) -> None: ...

class ListEnvsResponse(_message.Message):
    __slots__ = ("envs",)
    ENVS_FIELD_NUMBER: _ClassVar[int]
    envs: _containers.RepeatedCompositeFieldContainer[Env]
    def __init__(self, envs: _Optional[_Iterable[_Union[Env, _Mapping]]] = ...) -> None: ...

class DeleteEnvRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteEnvResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetRequest(_message.Message):
    __slots__ = ("id", "seed", "options")
    ID_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    seed: int
    options: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., seed: _Optional[int] = ..., options: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ResetResponse(_message.Message):
    __slots__ = ("observation", "info")
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    observation: _spaces_pb2.SpaceValue
    info: _struct_pb2.Struct
    def __init__(self, observation: _Optional[_Union[_spaces_pb2.SpaceValue, _Mapping]] = ..., info: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StepRequest(_message.Message):
    __slots__ = ("id", "action")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    action: _spaces_pb2.SpaceValue
    def __init__(self, id: _Optional[str] = ..., action: _Optional[_Union[_spaces_pb2.SpaceValue, _Mapping]] = ...) -> None: ...

class StepResponse(_message.Message):
    __slots__ = ("observation", "reward", "terminated", "truncated", "info")
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    observation: _spaces_pb2.SpaceValue
    reward: float
    terminated: bool
    truncated: bool
    info: _struct_pb2.Struct
    def __init__(self, observation: _Optional[_Union[_spaces_pb2.SpaceValue, _Mapping]] = ..., reward: _Optional[float] = ..., terminated: _Optional[bool] = ..., truncated: _Optional[bool] = ..., info: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StepBatchRequest(_message.Message):
    __slots__ = ("id", "actions")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    actions: _spaces_pb2.Tensor
    def __init__(self, id: _Optional[str] = ..., actions: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ...) -> None: ...

class StepBatchResponse(_message.Message):
    __slots__ = ("observations", "rewards", "terminated", "truncated", "reset_mask", "final_observations")
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    RESET_MASK_FIELD_NUMBER: _ClassVar[int]
    FINAL_OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    observations: _spaces_pb2.Tensor
    rewards: _spaces_pb2.Tensor
    terminated: _spaces_pb2.Tensor
    truncated: _spaces_pb2.Tensor
    reset_mask: _spaces_pb2.Tensor
    final_observations: _spaces_pb2.Tensor
    def __init__(self, observations: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., rewards: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., terminated: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., truncated: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., reset_mask: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., final_observations: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ...) -> None: ...

class StepStreamRequest(_message.Message):
    __slots__ = ("step", "reset", "step_batch")
    STEP_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    STEP_BATCH_FIELD_NUMBER: _ClassVar[int]
    step: StepRequest
    reset: ResetRequest
    step_batch: StepBatchRequest
    def __init__(self, step: _Optional[_Union[StepRequest, _Mapping]] = ..., reset: _Optional[_Union[ResetRequest, _Mapping]] = ..., step_batch: _Optional[_Union[StepBatchRequest, _Mapping]] = ...) -> None: ...

class StepStreamResponse(_message.Message):
    __slots__ = ("step", "reset", "step_batch", "error")
    STEP_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    STEP_BATCH_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    step: StepResponse
    reset: ResetResponse
    step_batch: StepBatchResponse
    error: _errors_pb2.ErrorDetail
    def __init__(self, step: _Optional[_Union[StepResponse, _Mapping]] = ..., reset: _Optional[_Union[ResetResponse, _Mapping]] = ..., step_batch: _Optional[_Union[StepBatchResponse, _Mapping]] = ..., error: _Optional[_Union[_errors_pb2.ErrorDetail, _Mapping]] = ...) -> None: ...

class ListEpisodesRequest(_message.Message):
    __slots__ = ("id", "offset", "limit")
    ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    offset: int
    limit: int
    def __init__(self, id: _Optional[str] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class EpisodeLogEntry(_message.Message):
    __slots__ = ("episode", "copy", "seed", "episode_return", "length", "terminated", "truncated", "abandoned", "end_time")
    EPISODE_FIELD_NUMBER: _ClassVar[int]
    COPY_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    EPISODE_RETURN_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    episode: int
    copy: int
    seed: int
    episode_return: float
    length: int
    terminated: bool
    truncated: bool
    abandoned: bool
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, episode: _Optional[int] = ..., copy: _Optional[int] = ..., seed: _Optional[int] = ..., episode_return: _Optional[float] = ..., length: _Optional[int] = ..., terminated: _Optional[bool] = ..., truncated: _Optional[bool] = ..., abandoned: _Optional[bool] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListEpisodesResponse(_message.Message):
    __slots__ = ("episodes", "total", "ended")
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    episodes: _containers.RepeatedCompositeFieldContainer[EpisodeLogEntry]
    total: int
    ended: int
    def __init__(self, episodes: _Optional[_Iterable[_Union[EpisodeLogEntry, _Mapping]]] = ..., total: _Optional[int] = ..., ended: _Optional[int] = ...) -> None: ...

class RenderRequest(_message.Message):
    __slots__ = ("id", "mode", "index")
    ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    id: str
    mode: RenderMode
    index: int
    def __init__(self, id: _Optional[str] = ..., mode: _Optional[_Union[RenderMode, str]] = ..., index: _Optional[int] = ...) -> None: ...

class RenderResponse(_message.Message):
    __slots__ = ("frame", "text")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    frame: _spaces_pb2.Tensor
    text: str
    def __init__(self, frame: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class SetRewardRequest(_message.Message):
    __slots__ = ("id", "reward_function", "reward_params")
    ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    REWARD_PARAMS_FIELD_NUMBER: _ClassVar[int]
    id: str
    reward_function: str
    reward_params: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., reward_function: _Optional[str] = ..., reward_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SetRewardResponse(_message.Message):
    __slots__ = ("env",)
    ENV_FIELD_NUMBER: _ClassVar[int]
    env: Env
    def __init__(self, env: _Optional[_Union[Env, _Mapping]] = ...) -> None: ...

class RegisteredReward(_message.Message):
    __slots__ = ("name", "env_id", "owner", "env", "description", "params", "source", "create_time", "used_by")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    env_id: str
    owner: str
    env: str
    description: str
    params: _containers.RepeatedCompositeFieldContainer[OptionSpec]
    source: str
    create_time: _timestamp_pb2.Timestamp
    used_by: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., env_id: _Optional[str] = ..., owner: _Optional[str] = ..., env: _Optional[str] = ..., description: _Optional[str] = ..., params: _Optional[_Iterable[_Union[OptionSpec, _Mapping]]] = ..., source: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., used_by: _Optional[_Iterable[str]] = ...) -> None: ...

class RegisterRewardRequest(_message.Message):
    __slots__ = ("name", "env_id", "env", "source", "description", "params")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    env_id: str
    env: str
    source: str
    description: str
    params: _containers.RepeatedCompositeFieldContainer[OptionSpec]
    def __init__(self, name: _Optional[str] = ..., env_id: _Optional[str] = ..., env: _Optional[str] = ..., source: _Optional[str] = ..., description: _Optional[str] = ..., params: _Optional[_Iterable[_Union[OptionSpec, _Mapping]]] = ...) -> None: ...

class RegisterRewardResponse(_message.Message):
    __slots__ = ("reward",)
    REWARD_FIELD_NUMBER: _ClassVar[int]
    reward: RegisteredReward
    def __init__(self, reward: _Optional[_Union[RegisteredReward, _Mapping]] = ...) -> None: ...

class ListRewardsRequest(_message.Message):
    __slots__ = ("env_id", "env", "owner")
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    env_id: str
    env: str
    owner: str
    def __init__(self, env_id: _Optional[str] = ..., env: _Optional[str] = ..., owner: _Optional[str] = ...) -> None: ...

class ListRewardsResponse(_message.Message):
    __slots__ = ("rewards",)
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    rewards: _containers.RepeatedCompositeFieldContainer[RegisteredReward]
    def __init__(self, rewards: _Optional[_Iterable[_Union[RegisteredReward, _Mapping]]] = ...) -> None: ...

class DeleteRewardRequest(_message.Message):
    __slots__ = ("name", "env", "owner")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    name: str
    env: str
    owner: str
    def __init__(self, name: _Optional[str] = ..., env: _Optional[str] = ..., owner: _Optional[str] = ...) -> None: ...

class DeleteRewardResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
