import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from gymhost.v1 import env_service_pb2 as _env_service_pb2
from gymhost.v1 import spaces_pb2 as _spaces_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_STATE_UNSPECIFIED: _ClassVar[RunState]
    RUN_STATE_RUNNING: _ClassVar[RunState]
    RUN_STATE_SUCCEEDED: _ClassVar[RunState]
    RUN_STATE_CANCELLED: _ClassVar[RunState]
    RUN_STATE_FAILED: _ClassVar[RunState]

class RunCheckpoint(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUN_CHECKPOINT_UNSPECIFIED: _ClassVar[RunCheckpoint]
    RUN_CHECKPOINT_BEST: _ClassVar[RunCheckpoint]
    RUN_CHECKPOINT_LAST: _ClassVar[RunCheckpoint]
RUN_STATE_UNSPECIFIED: RunState
RUN_STATE_RUNNING: RunState
RUN_STATE_SUCCEEDED: RunState
RUN_STATE_CANCELLED: RunState
RUN_STATE_FAILED: RunState
RUN_CHECKPOINT_UNSPECIFIED: RunCheckpoint
RUN_CHECKPOINT_BEST: RunCheckpoint
RUN_CHECKPOINT_LAST: RunCheckpoint

class Agent(_message.Message):
    __slots__ = ("id", "kind", "owner", "env", "preset", "config", "observation_space", "action_space", "create_time", "last_used_time", "episodes", "total_steps", "epsilon", "engine", "training", "memory_bytes")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_SPACE_FIELD_NUMBER: _ClassVar[int]
    ACTION_SPACE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    owner: str
    env: str
    preset: str
    config: _struct_pb2.Struct
    observation_space: _spaces_pb2.Space
    action_space: _spaces_pb2.Space
    create_time: _timestamp_pb2.Timestamp
    last_used_time: _timestamp_pb2.Timestamp
    episodes: int
    total_steps: int
    epsilon: float
    engine: str
    training: bool
    memory_bytes: int
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., owner: _Optional[str] = ..., env: _Optional[str] = ..., preset: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., observation_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., action_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., episodes: _Optional[int] = ..., total_steps: _Optional[int] = ..., epsilon: _Optional[float] = ..., engine: _Optional[str] = ..., training: _Optional[bool] = ..., memory_bytes: _Optional[int] = ...) -> None: ...

class AgentPreset(_message.Message):
    __slots__ = ("name", "description", "kind", "env_id", "config", "env_config", "reward_function", "reward_params", "train_episodes", "train_steps")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ENV_CONFIG_FIELD_NUMBER: _ClassVar[int]
    REWARD_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    REWARD_PARAMS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_EPISODES_FIELD_NUMBER: _ClassVar[int]
    TRAIN_STEPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    kind: str
    env_id: str
    config: _struct_pb2.Struct
    env_config: _struct_pb2.Struct
    reward_function: str
    reward_params: _struct_pb2.Struct
    train_episodes: int
    train_steps: int
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., kind: _Optional[str] = ..., env_id: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., env_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reward_function: _Optional[str] = ..., reward_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., train_episodes: _Optional[int] = ..., train_steps: _Optional[int] = ...) -> None: ...

class AgentKind(_message.Message):
    __slots__ = ("kind", "description", "config_options")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    description: str
    config_options: _containers.RepeatedCompositeFieldContainer[_env_service_pb2.OptionSpec]
    def __init__(self, kind: _Optional[str] = ..., description: _Optional[str] = ..., config_options: _Optional[_Iterable[_Union[_env_service_pb2.OptionSpec, _Mapping]]] = ...) -> None: ...

class ListAgentKindsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAgentKindsResponse(_message.Message):
    __slots__ = ("kinds", "presets")
    KINDS_FIELD_NUMBER: _ClassVar[int]
    PRESETS_FIELD_NUMBER: _ClassVar[int]
    kinds: _containers.RepeatedCompositeFieldContainer[AgentKind]
    presets: _containers.RepeatedCompositeFieldContainer[AgentPreset]
    def __init__(self, kinds: _Optional[_Iterable[_Union[AgentKind, _Mapping]]] = ..., presets: _Optional[_Iterable[_Union[AgentPreset, _Mapping]]] = ...) -> None: ...

class CreateAgentRequest(_message.Message):
    __slots__ = ("kind", "env", "observation_space", "action_space", "preset", "config", "seed")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_SPACE_FIELD_NUMBER: _ClassVar[int]
    ACTION_SPACE_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    kind: str
    env: str
    observation_space: _spaces_pb2.Space
    action_space: _spaces_pb2.Space
    preset: str
    config: _struct_pb2.Struct
    seed: int
    def __init__(self, kind: _Optional[str] = ..., env: _Optional[str] = ..., observation_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., action_space: _Optional[_Union[_spaces_pb2.Space, _Mapping]] = ..., preset: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., seed: _Optional[int] = ...) -> None: ...

class CreateAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("owner",)
    OWNER_FIELD_NUMBER: _ClassVar[int]
    owner: str
    def __init__(self, owner: _Optional[str] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents",)
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    def __init__(self, agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ...) -> None: ...

class DeleteAgentRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteAgentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChooseActionRequest(_message.Message):
    __slots__ = ("id", "state", "greedy")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    GREEDY_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: _spaces_pb2.SpaceValue
    greedy: bool
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[_spaces_pb2.SpaceValue, _Mapping]] = ..., greedy: _Optional[bool] = ...) -> None: ...

class ChooseActionResponse(_message.Message):
    __slots__ = ("action", "q_values", "explored", "epsilon")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    Q_VALUES_FIELD_NUMBER: _ClassVar[int]
    EXPLORED_FIELD_NUMBER: _ClassVar[int]
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    action: int
    q_values: _containers.RepeatedScalarFieldContainer[float]
    explored: bool
    epsilon: float
    def __init__(self, action: _Optional[int] = ..., q_values: _Optional[_Iterable[float]] = ..., explored: _Optional[bool] = ..., epsilon: _Optional[float] = ...) -> None: ...

class Transition(_message.Message):
    __slots__ = ("state", "action", "reward", "next_state", "done")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REWARD_FIELD_NUMBER: _ClassVar[int]
    NEXT_STATE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    state: _spaces_pb2.SpaceValue
    action: int
    reward: float
    next_state: _spaces_pb2.SpaceValue
    done: bool
    def __init__(self, state: _Optional[_Union[_spaces_pb2.SpaceValue, _Mapping]] = ..., action: _Optional[int] = ..., reward: _Optional[float] = ..., next_state: _Optional[_Union[_spaces_pb2.SpaceValue, _Mapping]] = ..., done: _Optional[bool] = ...) -> None: ...

class UpdateQRequest(_message.Message):
    __slots__ = ("id", "transition", "transitions")
    ID_FIELD_NUMBER: _ClassVar[int]
    TRANSITION_FIELD_NUMBER: _ClassVar[int]
    TRANSITIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    transition: Transition
    transitions: _containers.RepeatedCompositeFieldContainer[Transition]
    def __init__(self, id: _Optional[str] = ..., transition: _Optional[_Union[Transition, _Mapping]] = ..., transitions: _Optional[_Iterable[_Union[Transition, _Mapping]]] = ...) -> None: ...

class UpdateQResponse(_message.Message):
    __slots__ = ("loss", "td_errors", "new_q", "gradient_steps")
    LOSS_FIELD_NUMBER: _ClassVar[int]
    TD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    NEW_Q_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_STEPS_FIELD_NUMBER: _ClassVar[int]
    loss: float
    td_errors: _containers.RepeatedScalarFieldContainer[float]
    new_q: _containers.RepeatedScalarFieldContainer[float]
    gradient_steps: int
    def __init__(self, loss: _Optional[float] = ..., td_errors: _Optional[_Iterable[float]] = ..., new_q: _Optional[_Iterable[float]] = ..., gradient_steps: _Optional[int] = ...) -> None: ...

class EpisodeRecord(_message.Message):
    __slots__ = ("episode", "episode_return", "length", "loss", "epsilon", "wall_time_ms")
    EPISODE_FIELD_NUMBER: _ClassVar[int]
    EPISODE_RETURN_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    episode: int
    episode_return: float
    length: int
    loss: float
    epsilon: float
    wall_time_ms: float
    def __init__(self, episode: _Optional[int] = ..., episode_return: _Optional[float] = ..., length: _Optional[int] = ..., loss: _Optional[float] = ..., epsilon: _Optional[float] = ..., wall_time_ms: _Optional[float] = ...) -> None: ...

class EndEpisodeRequest(_message.Message):
    __slots__ = ("id", "episode_return", "length")
    ID_FIELD_NUMBER: _ClassVar[int]
    EPISODE_RETURN_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    id: str
    episode_return: float
    length: int
    def __init__(self, id: _Optional[str] = ..., episode_return: _Optional[float] = ..., length: _Optional[int] = ...) -> None: ...

class EndEpisodeResponse(_message.Message):
    __slots__ = ("record", "loss", "gradient_steps", "epsilon", "target_synced")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_STEPS_FIELD_NUMBER: _ClassVar[int]
    EPSILON_FIELD_NUMBER: _ClassVar[int]
    TARGET_SYNCED_FIELD_NUMBER: _ClassVar[int]
    record: EpisodeRecord
    loss: float
    gradient_steps: int
    epsilon: float
    target_synced: bool
    def __init__(self, record: _Optional[_Union[EpisodeRecord, _Mapping]] = ..., loss: _Optional[float] = ..., gradient_steps: _Optional[int] = ..., epsilon: _Optional[float] = ..., target_synced: _Optional[bool] = ...) -> None: ...

class GetHistoryRequest(_message.Message):
    __slots__ = ("id", "offset", "limit")
    ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    offset: int
    limit: int
    def __init__(self, id: _Optional[str] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("records", "total")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[EpisodeRecord]
    total: int
    def __init__(self, records: _Optional[_Iterable[_Union[EpisodeRecord, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetQRequest(_message.Message):
    __slots__ = ("id", "states")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    id: str
    states: _containers.RepeatedCompositeFieldContainer[_spaces_pb2.SpaceValue]
    def __init__(self, id: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_spaces_pb2.SpaceValue, _Mapping]]] = ...) -> None: ...

class GetQResponse(_message.Message):
    __slots__ = ("q",)
    Q_FIELD_NUMBER: _ClassVar[int]
    q: _spaces_pb2.Tensor
    def __init__(self, q: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ...) -> None: ...

class ExportAgentRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ExportAgentResponse(_message.Message):
    __slots__ = ("format", "data", "tfjs_model_json", "tfjs_weights")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    TFJS_MODEL_JSON_FIELD_NUMBER: _ClassVar[int]
    TFJS_WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    format: str
    data: bytes
    tfjs_model_json: str
    tfjs_weights: bytes
    def __init__(self, format: _Optional[str] = ..., data: _Optional[bytes] = ..., tfjs_model_json: _Optional[str] = ..., tfjs_weights: _Optional[bytes] = ...) -> None: ...

class ImportAgentRequest(_message.Message):
    __slots__ = ("data", "env")
    DATA_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    env: str
    def __init__(self, data: _Optional[bytes] = ..., env: _Optional[str] = ...) -> None: ...

class ImportAgentResponse(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class TrainRequest(_message.Message):
    __slots__ = ("id", "env", "episodes", "steps", "stream", "eval_every_steps", "eval_episodes", "eval_seed", "keep_best", "stop_at_mean_reward")
    ID_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    ASYNC_FIELD_NUMBER: _ClassVar[int]
    EVAL_EVERY_STEPS_FIELD_NUMBER: _ClassVar[int]
    EVAL_EPISODES_FIELD_NUMBER: _ClassVar[int]
    EVAL_SEED_FIELD_NUMBER: _ClassVar[int]
    KEEP_BEST_FIELD_NUMBER: _ClassVar[int]
    STOP_AT_MEAN_REWARD_FIELD_NUMBER: _ClassVar[int]
    id: str
    env: str
    episodes: int
    steps: int
    stream: bool
    eval_every_steps: int
    eval_episodes: int
    eval_seed: int
    keep_best: bool
    stop_at_mean_reward: float
    def __init__(self, id: _Optional[str] = ..., env: _Optional[str] = ..., episodes: _Optional[int] = ..., steps: _Optional[int] = ..., stream: _Optional[bool] = ..., eval_every_steps: _Optional[int] = ..., eval_episodes: _Optional[int] = ..., eval_seed: _Optional[int] = ..., keep_best: _Optional[bool] = ..., stop_at_mean_reward: _Optional[float] = ..., **kwargs) -> None: ...

class RunEvaluation(_message.Message):
    __slots__ = ("index", "steps", "episodes", "mean_reward", "std_reward", "time")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    MEAN_REWARD_FIELD_NUMBER: _ClassVar[int]
    STD_REWARD_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    index: int
    steps: int
    episodes: int
    mean_reward: float
    std_reward: float
    time: _timestamp_pb2.Timestamp
    def __init__(self, index: _Optional[int] = ..., steps: _Optional[int] = ..., episodes: _Optional[int] = ..., mean_reward: _Optional[float] = ..., std_reward: _Optional[float] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrainingRun(_message.Message):
    __slots__ = ("id", "owner", "agent", "env", "state", "request", "episodes", "steps", "mean_return_100", "last_return", "evaluations", "best_evaluation", "reached_threshold", "error", "create_time", "update_time", "end_time", "checkpoint_steps", "checkpoint_time", "resumes", "wall_time_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    MEAN_RETURN_100_FIELD_NUMBER: _ClassVar[int]
    LAST_RETURN_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    BEST_EVALUATION_FIELD_NUMBER: _ClassVar[int]
    REACHED_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_STEPS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_TIME_FIELD_NUMBER: _ClassVar[int]
    RESUMES_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner: str
    agent: str
    env: str
    state: RunState
    request: TrainRequest
    episodes: int
    steps: int
    mean_return_100: float
    last_return: float
    evaluations: _containers.RepeatedCompositeFieldContainer[RunEvaluation]
    best_evaluation: int
    reached_threshold: bool
    error: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    checkpoint_steps: int
    checkpoint_time: _timestamp_pb2.Timestamp
    resumes: int
    wall_time_ms: float
    def __init__(self, id: _Optional[str] = ..., owner: _Optional[str] = ..., agent: _Optional[str] = ..., env: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ..., request: _Optional[_Union[TrainRequest, _Mapping]] = ..., episodes: _Optional[int] = ..., steps: _Optional[int] = ..., mean_return_100: _Optional[float] = ..., last_return: _Optional[float] = ..., evaluations: _Optional[_Iterable[_Union[RunEvaluation, _Mapping]]] = ..., best_evaluation: _Optional[int] = ..., reached_threshold: _Optional[bool] = ..., error: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., checkpoint_steps: _Optional[int] = ..., checkpoint_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resumes: _Optional[int] = ..., wall_time_ms: _Optional[float] = ...) -> None: ...

class TrainSummary(_message.Message):
    __slots__ = ("episodes", "steps", "wall_time_ms", "mean_return_100", "last_return", "cancelled", "run", "best_evaluation", "reached_threshold")
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    MEAN_RETURN_100_FIELD_NUMBER: _ClassVar[int]
    LAST_RETURN_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    BEST_EVALUATION_FIELD_NUMBER: _ClassVar[int]
    REACHED_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    episodes: int
    steps: int
    wall_time_ms: float
    mean_return_100: float
    last_return: float
    cancelled: bool
    run: str
    best_evaluation: RunEvaluation
    reached_threshold: bool
    def __init__(self, episodes: _Optional[int] = ..., steps: _Optional[int] = ..., wall_time_ms: _Optional[float] = ..., mean_return_100: _Optional[float] = ..., last_return: _Optional[float] = ..., cancelled: _Optional[bool] = ..., run: _Optional[str] = ..., best_evaluation: _Optional[_Union[RunEvaluation, _Mapping]] = ..., reached_threshold: _Optional[bool] = ...) -> None: ...

class TrainResponse(_message.Message):
    __slots__ = ("episode", "summary", "run", "evaluation")
    EPISODE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    episode: EpisodeRecord
    summary: TrainSummary
    run: TrainingRun
    evaluation: RunEvaluation
    def __init__(self, episode: _Optional[_Union[EpisodeRecord, _Mapping]] = ..., summary: _Optional[_Union[TrainSummary, _Mapping]] = ..., run: _Optional[_Union[TrainingRun, _Mapping]] = ..., evaluation: _Optional[_Union[RunEvaluation, _Mapping]] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: TrainingRun
    def __init__(self, run: _Optional[_Union[TrainingRun, _Mapping]] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("agent", "owner", "state")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    agent: str
    owner: str
    state: RunState
    def __init__(self, agent: _Optional[str] = ..., owner: _Optional[str] = ..., state: _Optional[_Union[RunState, str]] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[TrainingRun]
    def __init__(self, runs: _Optional[_Iterable[_Union[TrainingRun, _Mapping]]] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: TrainingRun
    def __init__(self, run: _Optional[_Union[TrainingRun, _Mapping]] = ...) -> None: ...

class WatchRunRequest(_message.Message):
    __slots__ = ("id", "replay")
    ID_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    id: str
    replay: bool
    def __init__(self, id: _Optional[str] = ..., replay: _Optional[bool] = ...) -> None: ...

class WatchRunResponse(_message.Message):
    __slots__ = ("run", "episode", "evaluation")
    RUN_FIELD_NUMBER: _ClassVar[int]
    EPISODE_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    run: TrainingRun
    episode: EpisodeRecord
    evaluation: RunEvaluation
    def __init__(self, run: _Optional[_Union[TrainingRun, _Mapping]] = ..., episode: _Optional[_Union[EpisodeRecord, _Mapping]] = ..., evaluation: _Optional[_Union[RunEvaluation, _Mapping]] = ...) -> None: ...

class ExportRunCheckpointRequest(_message.Message):
    __slots__ = ("id", "checkpoint")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    checkpoint: RunCheckpoint
    def __init__(self, id: _Optional[str] = ..., checkpoint: _Optional[_Union[RunCheckpoint, str]] = ...) -> None: ...

class ExportRunCheckpointResponse(_message.Message):
    __slots__ = ("format", "data", "steps", "evaluation")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    format: str
    data: bytes
    steps: int
    evaluation: RunEvaluation
    def __init__(self, format: _Optional[str] = ..., data: _Optional[bytes] = ..., steps: _Optional[int] = ..., evaluation: _Optional[_Union[RunEvaluation, _Mapping]] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("id", "env", "episodes", "seed", "record_trajectories")
    ID_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    EPISODES_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    RECORD_TRAJECTORIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    env: str
    episodes: int
    seed: int
    record_trajectories: bool
    def __init__(self, id: _Optional[str] = ..., env: _Optional[str] = ..., episodes: _Optional[int] = ..., seed: _Optional[int] = ..., record_trajectories: _Optional[bool] = ...) -> None: ...

class Trajectory(_message.Message):
    __slots__ = ("observations", "actions", "rewards", "states")
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    observations: _spaces_pb2.Tensor
    actions: _containers.RepeatedScalarFieldContainer[int]
    rewards: _containers.RepeatedScalarFieldContainer[float]
    states: _spaces_pb2.Tensor
    def __init__(self, observations: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ..., actions: _Optional[_Iterable[int]] = ..., rewards: _Optional[_Iterable[float]] = ..., states: _Optional[_Union[_spaces_pb2.Tensor, _Mapping]] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("mean_reward", "std_reward", "min_reward", "max_reward", "returns", "lengths", "trajectories", "scene")
    MEAN_REWARD_FIELD_NUMBER: _ClassVar[int]
    STD_REWARD_FIELD_NUMBER: _ClassVar[int]
    MIN_REWARD_FIELD_NUMBER: _ClassVar[int]
    MAX_REWARD_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    LENGTHS_FIELD_NUMBER: _ClassVar[int]
    TRAJECTORIES_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    mean_reward: float
    std_reward: float
    min_reward: float
    max_reward: float
    returns: _containers.RepeatedScalarFieldContainer[float]
    lengths: _containers.RepeatedScalarFieldContainer[int]
    trajectories: _containers.RepeatedCompositeFieldContainer[Trajectory]
    scene: _struct_pb2.Struct
    def __init__(self, mean_reward: _Optional[float] = ..., std_reward: _Optional[float] = ..., min_reward: _Optional[float] = ..., max_reward: _Optional[float] = ..., returns: _Optional[_Iterable[float]] = ..., lengths: _Optional[_Iterable[int]] = ..., trajectories: _Optional[_Iterable[_Union[Trajectory, _Mapping]]] = ..., scene: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
