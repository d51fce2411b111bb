import { invalidArgument } from '../../core/errors.js';
import { presets } from '../../core/agents/presets.js';
import { envTypeById, envTypes } from '../../core/envs/registry.js';
import type { EnvType, RenderModeName } from '../../core/envs/types.js';
import type { OptionSpec } from '../../core/options.js';
import { EnvSession, type AutoresetMode as DomainAutoreset } from '../../core/sessions/env-session.js';
import { SessionStore, type Caller } from '../../core/sessions/session-store.js';
import {
  AutoresetMode,
  OptionType,
  RenderMode,
  type CreateEnvRequest,
  type CreateEnvResponse,
  type DeleteEnvRequest,
  type DeleteEnvResponse,
  type Env,
  type EnvType as EnvTypeMsg,
  type GetEnvRequest,
  type GetEnvResponse,
  type ListEnvTypesResponse,
  type ListEnvsResponse,
  type OptionSpec as OptionSpecMsg,
  type RenderRequest,
  type RenderResponse,
  type ResetRequest,
  type ResetResponse,
  type StepBatchRequest,
  type StepBatchResponse,
  type StepRequest,
  type StepResponse,
  type StepStreamRequest,
  type StepStreamResponse,
} from '../../gen/gymhost/v1/env_service.js';
import { toErrorDetail } from '../errors.js';
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

/**
 * The env service as plain methods over the gymhost.v1 messages: both transports call it.
 * Methods throw DomainError; transports map it (src/server/errors.ts).
 */
export class EnvService {
  readonly sessions: SessionStore<EnvSession>;

  constructor(readonly limits: EnvServiceLimits = DEFAULT_LIMITS) {
    this.sessions = new SessionStore<EnvSession>({ maxSessions: limits.maxSessions, ttlSeconds: limits.sessionTtlSeconds, kind: 'env session' });
    this.sessions.startSweeping();
  }

  listEnvTypes(): ListEnvTypesResponse {
    return {
      envTypes: [...envTypes.values()].map(envTypeToProto),
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
      },
      this.limits.maxNumEnvs,
    );
    this.sessions.add(session);
    return { env: envToProto(session) };
  }

  getEnv(req: GetEnvRequest, caller: Caller): GetEnvResponse {
    return { env: envToProto(this.sessions.get(req.id, caller)) };
  }

  listEnvs(caller: Caller): ListEnvsResponse {
    return { envs: this.sessions.list(caller).map(envToProto) };
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
    session.step(readAction(session.actionSpace, req.action, 'action'));
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
    session.stepBatch(readTensor(req.actions, actionShape, 'actions', discreteActions));
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

  render(req: RenderRequest, caller: Caller): RenderResponse {
    const session = this.sessions.get(req.id, caller);
    const out = session.render(req.index, renderModeName(req.mode, 'mode'));
    if (typeof out === 'string') return { text: out, frame: undefined };
    return { text: '', frame: toTensor(out.data, [out.height, out.width, 3]) };
  }

  /** One StepStream request: answered with its response, or with the error inline. */
  streamMessage(req: StepStreamRequest, caller: Caller): StepStreamResponse {
    try {
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
    } catch (err) {
      return { response: { $case: 'error', value: toErrorDetail(err) } };
    }
  }

  close(): void {
    this.sessions.close();
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


function envTypeToProto(t: EnvType): EnvTypeMsg {
  const defaults = Object.fromEntries(t.configOptions.map((o) => [o.name, o.default]));
  const d = t.describe(defaults);
  return {
    id: t.id,
    description: t.description,
    observationSpace: spaceToProto(d.observationSpace),
    actionSpace: spaceToProto(d.actionSpace),
    configOptions: t.configOptions.map(optionToProto),
    rewardFunctions: t.rewardFunctions.map((r) => ({ name: r.name, description: r.description, params: r.params.map(optionToProto) })),
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
  };
}
