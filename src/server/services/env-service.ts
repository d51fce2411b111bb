import { invalidArgument, notFound } from '../../core/errors.js';
import { presets } from '../../core/agents/presets.js';
import { envTypeById, envTypes } from '../../core/envs/registry.js';
import type { EnvType, RenderModeName } from '../../core/envs/types.js';
import type { OptionSpec } from '../../core/options.js';
import { RewardRegistry, type ClientReward, type PluginReward } from '../../core/rewards/registry.js';
import { DomainError } from '../../core/errors.js';
import { reserveSandboxes } from '../../core/rewards/sandbox.js';
import type { RewardOrigin as DomainRewardOrigin, SandboxLimits } from '../../core/rewards/types.js';
import { EnvSession, type AutoresetMode as DomainAutoreset } from '../../core/sessions/env-session.js';
import { SessionStore, type Caller } from '../../core/sessions/session-store.js';
import { mayAccess, seesEveryone } from '../../core/sessions/caller.js';
import type { UsageTracker } from '../usage.js';
import type { Metrics } from '../observability/metrics.js';
import {
  AutoresetMode,
  OptionType,
  RenderMode,
  RewardOrigin,
  type CreateEnvRequest,
  type CreateEnvResponse,
  type DeleteEnvRequest,
  type DeleteEnvResponse,
  type DeleteRewardRequest,
  type DeleteRewardResponse,
  type Env,
  type EnvType as EnvTypeMsg,
  type GetEnvRequest,
  type GetEnvResponse,
  type ListEnvTypesResponse,
  type ListEnvsRequest,
  type ListEnvsResponse,
  type ListRewardsRequest,
  type ListRewardsResponse,
  type OptionSpec as OptionSpecMsg,
  type RegisteredReward,
  type RegisterRewardRequest,
  type RegisterRewardResponse,
  type RenderRequest,
  type RenderResponse,
  type ResetRequest,
  type ResetResponse,
  type SetRewardRequest,
  type SetRewardResponse,
  type StepBatchRequest,
  type StepBatchResponse,
  type StepRequest,
  type StepResponse,
  type StepStreamRequest,
  type StepStreamResponse,
} from '../../gen/gymhost/v1/env_service.js';
import { optionToProto } from './options-proto.js';
import { observationValue, readAction, readTensor, spaceToProto, toTensor } from './tensors.js';
import { VERSION, API_VERSION } from '../version.js';

/** Limits of an EnvService. */
export interface EnvServiceLimits {
  /** Live env sessions the server holds at most. */
  readonly maxSessions: number;
  /** Largest num_envs of one vector session. */
  readonly maxNumEnvs: number;
  /** Idle seconds after which a session is deleted (0 = never). */
  readonly sessionTtlSeconds: number;
}

export const DEFAULT_LIMITS: EnvServiceLimits = { maxSessions: 1000, maxNumEnvs: 65536, sessionTtlSeconds: 3600 };

/** Reward functions beyond the built-ins: operator plugins and the client code sandbox. */
export interface EnvServiceRewardOptions {
  /** Reward functions loaded from plugin modules (loadRewardPlugins). */
  readonly plugins?: readonly PluginReward[];
  /** Limits of the sandbox that runs client reward code. */
  readonly sandbox?: Partial<SandboxLimits>;
  /** Registered reward functions one user may have at once (default: the usage tracker's quota, else 100). */
  readonly maxRewardsPerOwner?: number;
  /** Quotas by user and bytes; absent = none (in-process use). */
  readonly usage?: UsageTracker;
  /** Largest observations of one Reset/StepBatch answer, bytes (default: no bound). */
  readonly maxBatchObservationBytes?: number;
  /** Counters of env steps and reward calls. */
  readonly metrics?: Pick<Metrics, 'envSteps' | 'rewardCalls'>;
}

/**
 * The env service as plain methods over the gymhost.v1 messages: both transports call it.
 * Methods throw DomainError; transports map it (src/server/errors.ts).
 */
export class EnvService {
  readonly sessions: SessionStore<EnvSession>;
  /** Built-in, plugin and registered reward functions. */
  readonly rewards: RewardRegistry;

  private readonly usage: UsageTracker | undefined;
  private readonly maxBatchObservationBytes: number | undefined;
  private readonly metrics: EnvServiceRewardOptions['metrics'];

  constructor(
    readonly limits: EnvServiceLimits = DEFAULT_LIMITS,
    options: EnvServiceRewardOptions = {},
  ) {
    const usage = options.usage;
    this.usage = usage;
    this.maxBatchObservationBytes = options.maxBatchObservationBytes;
    this.metrics = options.metrics;
    // With a usage tracker the rewards quota is checked by registerReward (it knows the caller's role).
    const maxPerOwner = options.maxRewardsPerOwner ?? (usage ? Infinity : undefined);
    this.rewards = new RewardRegistry(envTypes, options.plugins ?? [], { sandbox: options.sandbox, maxPerOwner });
    this.sessions = new SessionStore<EnvSession>({ maxSessions: limits.maxSessions, ttlSeconds: limits.sessionTtlSeconds, kind: 'env session' });
    this.sessions.startSweeping();
    usage?.addSource('envSessions', () => this.sessions.values());
    usage?.addSource('rewards', () => this.rewards.list(undefined).map((r) => ({ owner: r.owner, memoryBytes: 2 * r.source.length })));
  }

  listEnvTypes(): ListEnvTypesResponse {
    return {
      envTypes: [...envTypes.values()].map((t) => envTypeToProto(t, this.rewards)),
      serverVersion: VERSION,
      apiVersion: API_VERSION,
      maxSessions: this.limits.maxSessions,
      maxNumEnvs: this.limits.maxNumEnvs,
      sessionTtlSeconds: this.limits.sessionTtlSeconds,
    };
  }

  createEnv(req: CreateEnvRequest, caller: Caller): CreateEnvResponse {
    const type = envTypeById(req.envId);
    this.sessions.ensureCapacity();
    const session = new EnvSession(
      SessionStore.newId(),
      caller.user,
      type,
      {
        config: req.config,
        rewardFunction: req.rewardFunction,
        rewardParams: req.rewardParams,
        numEnvs: req.numEnvs === 0 ? 1 : req.numEnvs,
        renderMode: renderModeName(req.renderMode, 'render_mode') ?? 'none',
        autoresetMode: autoresetName(req.autoresetMode),
        seed: req.seed,
        rewards: this.rewards,
        admit: (bytes) => this.usage?.checkCreate(caller, 'envSessions', bytes, `this env session (${req.numEnvs || 1} x ${type.id})`),
        maxBatchObservationBytes: this.maxBatchObservationBytes,
      },
      this.limits.maxNumEnvs,
    );
    this.sessions.add(session);
    return { env: envToProto(session) };
  }

  getEnv(req: GetEnvRequest, caller: Caller): GetEnvResponse {
    return { env: envToProto(this.sessions.get(req.id, caller, 'id', 'read')) };
  }

  listEnvs(req: ListEnvsRequest, caller: Caller): ListEnvsResponse {
    return { envs: this.sessions.list(caller).filter((s) => !req.owner || s.owner === req.owner).map(envToProto) };
  }

  deleteEnv(req: DeleteEnvRequest, caller: Caller): DeleteEnvResponse {
    this.sessions.delete(req.id, caller);
    return {};
  }

  reset(req: ResetRequest, caller: Caller): ResetResponse {
    const session = this.sessions.get(req.id, caller);
    session.reset(req.seed, req.options);
    const { batch } = session;
    if (session.isVector) {
      return { observation: { kind: { $case: 'tensor', value: batchObservations(session) } }, info: {} };
    }
    return { observation: observationValue(session.observationSpace, batch.observations, 0, batch.obsSize), info: batch.info(0) };
  }

  step(req: StepRequest, caller: Caller): StepResponse {
    const session = this.sessions.get(req.id, caller);
    const action = readAction(session.actionSpace, req.action, 'action');
    this.counted(session, 1, () => session.step(action));
    const { batch } = session;
    return {
      observation: observationValue(session.observationSpace, batch.observations, 0, batch.obsSize),
      reward: batch.rewards[0],
      terminated: batch.terminated[0] === 1,
      truncated: batch.truncated[0] === 1,
      info: batch.info(0),
    };
  }

  stepBatch(req: StepBatchRequest, caller: Caller): StepBatchResponse {
    const session = this.sessions.get(req.id, caller);
    const discreteActions = session.actionSpace.kind === 'discrete';
    const actionShape = discreteActions ? [session.numEnvs] : [session.numEnvs, ...(session.actionSpace as { shape: readonly number[] }).shape];
    const actions = readTensor(req.actions, actionShape, 'actions', discreteActions);
    this.counted(session, session.numEnvs, () => session.stepBatch(actions));
    const { batch } = session;
    const n = session.numEnvs;
    return {
      observations: batchObservations(session),
      rewards: toTensor(batch.rewards, [n]),
      terminated: toTensor(batch.terminated, [n]),
      truncated: toTensor(batch.truncated, [n]),
      resetMask: toTensor(session.resetMask, [n]),
      finalObservations: session.params.autoresetMode === 'same_step' ? toTensor(session.finalObservations, obsShape(session)) : undefined,
    };
  }

  /** Runs a step of `session` counting its env steps and, for a plugin or sandboxed reward, the reward call. */
  private counted(session: EnvSession, steps: number, fn: () => void): void {
    const m = this.metrics;
    if (!m) return fn();
    if (session.rewardOrigin === 'builtin') {
      fn();
    } else {
      try {
        fn();
      } catch (err) {
        m.rewardCalls.inc({ origin: session.rewardOrigin, result: 'failed' });
        throw err;
      }
      m.rewardCalls.inc({ origin: session.rewardOrigin, result: 'ok' });
    }
    m.envSteps.inc(steps);
  }

  render(req: RenderRequest, caller: Caller): RenderResponse {
    const session = this.sessions.get(req.id, caller, 'id', 'read');
    const out = session.render(req.index, renderModeName(req.mode, 'mode'));
    if (typeof out === 'string') return { text: out, frame: undefined };
    return { text: '', frame: toTensor(out.data, [out.height, out.width, 3]) };
  }

  /** Chooses the session's reward function; it applies from the next step on. */
  setReward(req: SetRewardRequest, caller: Caller): SetRewardResponse {
    const session = this.sessions.get(req.id, caller);
    session.setReward(req.rewardFunction, req.rewardParams, (extra) => this.usage?.checkCreate(caller, undefined, extra, `reward function '${req.rewardFunction}' (its sandbox)`));
    return { env: envToProto(session) };
  }

  /** createEnv for the transports: waits for a sandbox instance when the reward function needs one. */
  createEnvWhenReady(req: CreateEnvRequest, caller: Caller): Promise<CreateEnvResponse> {
    return withSandbox(() => this.createEnv(req, caller));
  }

  /** setReward for the transports: waits for a sandbox instance when the reward function needs one. */
  setRewardWhenReady(req: SetRewardRequest, caller: Caller): Promise<SetRewardResponse> {
    return withSandbox(() => this.setReward(req, caller));
  }

  /** Registers client JavaScript as a reward function owned by the caller or by one of its sessions. */
  registerReward(req: RegisterRewardRequest, caller: Caller): Promise<RegisterRewardResponse> {
    return withSandbox(() => this.registerRewardNow(req, caller));
  }

  private registerRewardNow(req: RegisterRewardRequest, caller: Caller): RegisterRewardResponse {
    let envTypeId = req.envId;
    if (req.env) {
      const session = this.sessions.get(req.env, caller, 'env');
      if (envTypeId && envTypeId !== session.type.id) {
        throw invalidArgument('env_id', `env_id '${envTypeId}' differs from session ${req.env}'s env type ${session.type.id}; leave env_id empty`, 'WRONG_ENV_TYPE');
      }
      envTypeId = session.type.id;
    }
    this.usage?.checkCreate(caller, 'rewards', 2 * req.source.length, `reward function '${req.name}'`);
    const entry = this.rewards.register(
      { name: req.name, envTypeId, sessionId: req.env, source: req.source, description: req.description, params: req.params.map((p, i) => optionFromProto(p, `params[${i}]`)) },
      caller.user,
    );
    return { reward: registeredToProto(entry) };
  }

  /**
   * Registered reward functions: the caller's own, or (instructors and admins) another
   * user's (`owner`) or everyone's (`owner` "*"); those of a session the caller may read.
   */
  listRewards(req: ListRewardsRequest, caller: Caller): ListRewardsResponse {
    const session = req.env ? this.sessions.get(req.env, caller, 'env', 'read') : undefined;
    let owner: string | undefined = req.owner === '*' ? undefined : req.owner || caller.user;
    if (session && !req.owner) owner = session.owner;
    if (owner !== caller.user && !seesEveryone(caller)) owner = caller.user;
    return { rewards: this.rewards.list(owner, { envTypeId: req.envId, sessionId: req.env }).map(registeredToProto) };
  }

  /** Deletes a registered reward function: the caller's, or (instructors and admins) `owner`'s. */
  deleteReward(req: DeleteRewardRequest, caller: Caller): DeleteRewardResponse {
    const session = req.env ? this.sessions.get(req.env, caller, 'env', 'delete') : undefined;
    const owner = req.owner || session?.owner || caller.user;
    if (!mayAccess(caller, owner, 'delete')) {
      throw notFound('name', `no reward function '${req.name}' registered by ${req.env ? `session ${req.env}` : 'you'}`, 'REWARD_NOT_FOUND');
    }
    this.rewards.delete(owner, req.name, req.env);
    return {};
  }

  /** One StepStream request's response; errors are thrown (the transport answers them inline). */
  streamMessage(req: StepStreamRequest, caller: Caller): StepStreamResponse {
    const r = req.request;
    switch (r?.$case) {
      case 'step':
        return { response: { $case: 'step', value: this.step(r.value, caller) } };
      case 'reset':
        return { response: { $case: 'reset', value: this.reset(r.value, caller) } };
      case 'stepBatch':
        return { response: { $case: 'stepBatch', value: this.stepBatch(r.value, caller) } };
      default:
        throw invalidArgument('request', 'each StepStream message must set one of step, reset or step_batch', 'MISSING_FIELD');
    }
  }

  close(): void {
    this.sessions.close();
  }
}

/**
 * Runs `fn` once a sandbox instance is ready (instances are made asynchronously; `fn` takes
 * one synchronously if it compiles client code). Retries when concurrent calls took the
 * instances first.
 */
async function withSandbox<T>(fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await reserveSandboxes(1);
    try {
      return fn();
    } catch (err) {
      if (attempt < 8 && err instanceof DomainError && err.reason === 'SANDBOX_BUSY') continue;
      throw err;
    }
  }
}

function obsShape(session: EnvSession): number[] {
  const space = session.observationSpace;
  return space.kind === 'discrete' ? [session.numEnvs] : [session.numEnvs, ...space.shape];
}

function batchObservations(session: EnvSession) {
  return toTensor(session.batch.observations, obsShape(session));
}

const RENDER_NAMES: Partial<Record<RenderMode, RenderModeName | 'none'>> = {
  [RenderMode.RENDER_MODE_NONE]: 'none',
  [RenderMode.RENDER_MODE_RGB_ARRAY]: 'rgb_array',
  [RenderMode.RENDER_MODE_ANSI]: 'ansi',
};

function renderModeName(mode: RenderMode, field: string): RenderModeName | undefined;
function renderModeName(mode: RenderMode, field: 'render_mode'): RenderModeName | 'none' | undefined;
function renderModeName(mode: RenderMode, field: string): RenderModeName | 'none' | undefined {
  if (mode === RenderMode.RENDER_MODE_UNSPECIFIED) return undefined;
  const name = RENDER_NAMES[mode];
  if (name === undefined || (name === 'none' && field !== 'render_mode')) {
    throw invalidArgument(field, `${field} must be RENDER_MODE_RGB_ARRAY or RENDER_MODE_ANSI${field === 'render_mode' ? ' or RENDER_MODE_NONE' : ''}, got ${mode}`);
  }
  return name;
}

function renderModeToProto(name: RenderModeName | 'none'): RenderMode {
  return name === 'rgb_array' ? RenderMode.RENDER_MODE_RGB_ARRAY : name === 'ansi' ? RenderMode.RENDER_MODE_ANSI : RenderMode.RENDER_MODE_NONE;
}

function autoresetName(mode: AutoresetMode): DomainAutoreset {
  switch (mode) {
    case AutoresetMode.AUTORESET_MODE_UNSPECIFIED:
    case AutoresetMode.AUTORESET_MODE_NEXT_STEP:
      return 'next_step';
    case AutoresetMode.AUTORESET_MODE_SAME_STEP:
      return 'same_step';
    default:
      throw invalidArgument('autoreset_mode', `autoreset_mode must be AUTORESET_MODE_NEXT_STEP or AUTORESET_MODE_SAME_STEP, got ${mode}`);
  }
}


const ORIGINS: Record<DomainRewardOrigin, RewardOrigin> = {
  builtin: RewardOrigin.REWARD_ORIGIN_BUILTIN,
  plugin: RewardOrigin.REWARD_ORIGIN_PLUGIN,
  client: RewardOrigin.REWARD_ORIGIN_CLIENT,
};

const OPTION_TYPES: Partial<Record<OptionType, OptionSpec['type']>> = {
  [OptionType.OPTION_TYPE_BOOL]: 'bool',
  [OptionType.OPTION_TYPE_INT]: 'int',
  [OptionType.OPTION_TYPE_NUMBER]: 'number',
  [OptionType.OPTION_TYPE_STRING]: 'string',
};

/** A parameter spec of RegisterReward as a domain OptionSpec (checked further by the registry). */
function optionFromProto(o: OptionSpecMsg, field: string): OptionSpec {
  const type = OPTION_TYPES[o.type];
  if (!type) throw invalidArgument(`${field}.type`, `${field}.type must be OPTION_TYPE_BOOL, OPTION_TYPE_INT, OPTION_TYPE_NUMBER or OPTION_TYPE_STRING, got ${o.type}`, 'BAD_PARAM_SPEC');
  return {
    name: o.name,
    type,
    description: o.description,
    default: o.defaultValue as OptionSpec['default'],
    ...(o.choices.length ? { choices: [...o.choices] } : {}),
    ...(o.minimum !== undefined ? { minimum: o.minimum } : {}),
    ...(o.maximum !== undefined ? { maximum: o.maximum } : {}),
  };
}

function registeredToProto(r: ClientReward): RegisteredReward {
  return {
    name: r.name,
    envId: r.envTypeId,
    owner: r.owner,
    env: r.sessionId,
    description: r.description,
    params: r.params.map(optionToProto),
    source: r.source,
    createTime: new Date(r.createdAt),
    usedBy: [...r.usedBy],
  };
}

function envTypeToProto(t: EnvType, rewards: RewardRegistry): EnvTypeMsg {
  const defaults = Object.fromEntries(t.configOptions.map((o) => [o.name, o.default]));
  const d = t.describe(defaults);
  return {
    id: t.id,
    description: t.description,
    observationSpace: spaceToProto(d.observationSpace),
    actionSpace: spaceToProto(d.actionSpace),
    configOptions: t.configOptions.map(optionToProto),
    rewardFunctions: rewards.listing(t).map((r) => ({ name: r.name, description: r.description, params: r.params.map(optionToProto), origin: ORIGINS[r.origin] })),
    defaultRewardFunction: t.defaultRewardFunction,
    maxEpisodeSteps: d.maxEpisodeSteps,
    rewardThreshold: t.rewardThreshold,
    renderModes: t.renderModes.map(renderModeToProto),
    resetOptions: t.resetOptions.map(optionToProto),
    agentPresets: presets.filter((p) => p.envId === t.id).map((p) => p.name),
  };
}

function envToProto(s: EnvSession): Env {
  return {
    id: s.id,
    envId: s.type.id,
    owner: s.owner,
    config: { ...s.config },
    rewardFunction: s.rewardFunction,
    rewardParams: { ...s.rewardParams },
    numEnvs: s.numEnvs,
    renderMode: renderModeToProto(s.params.renderMode),
    autoresetMode: s.params.autoresetMode === 'same_step' ? AutoresetMode.AUTORESET_MODE_SAME_STEP : AutoresetMode.AUTORESET_MODE_NEXT_STEP,
    observationSpace: spaceToProto(s.observationSpace),
    actionSpace: spaceToProto(s.actionSpace),
    createTime: new Date(s.createdAt),
    lastUsedTime: new Date(s.lastUsedAt),
    totalSteps: s.totalSteps,
    totalEpisodes: s.totalEpisodes,
    hasReset: s.hasReset,
    maxEpisodeSteps: s.maxEpisodeSteps,
    rewardOrigin: ORIGINS[s.rewardOrigin],
    memoryBytes: Math.round(s.memoryBytes),
  };
}
