import v8 from 'node:v8';
import { failedPrecondition, invalidArgument, notFound } from '../../core/errors.js';
import type { EnvRow, RewardRow, Store } from '../../store/store.js';
import { presets } from '../../core/agents/presets.js';
import { envTypeById, envTypes } from '../../core/envs/registry.js';
import type { EnvType, RenderModeName } from '../../core/envs/types.js';
import type { OptionSpec } from '../../core/options.js';
import { RewardRegistry, type ClientReward, type PluginReward } from '../../core/rewards/registry.js';
import { DomainError } from '../../core/errors.js';
import { withSandboxes } from '../../core/rewards/sandbox.js';
import type { RewardOrigin as DomainRewardOrigin, SandboxLimits } from '../../core/rewards/types.js';
import { EnvSession, type AutoresetMode as DomainAutoreset } from '../../core/sessions/env-session.js';
import { SessionStore, type Caller } from '../../core/sessions/session-store.js';
import { checkNumEnvs, estimateEnvSessionBytes, type EnvSessionState, type SessionRewardResolver } from '../../core/sessions/env-session.js';
import { resolveOptions, type OptionValues } from '../../core/options.js';
import { spaceSize } from '../../core/spaces.js';
import type { RegisterRewardInput, ResolvedReward } from '../../core/rewards/registry.js';
import type { ComputePool } from '../workers/pool.js';
import type { RewardSpec } from '../workers/protocol.js';
import { RemoteEnvSession, rewardSpecOf } from './remote-env.js';
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
  type ListEpisodesRequest,
  type ListEpisodesResponse,
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
import { encodeStepBatch } from './wire.js';
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
  /** Worker threads for sessions with plugin or client rewards and very large ones (the server's). */
  readonly pool?: ComputePool;
  /** Where sessions and registered rewards are kept (absent = nowhere). */
  readonly store?: Store;
}

/** A session as the service holds it: here, or hosted on a worker thread. */
export type AnyEnvSession = EnvSession | RemoteEnvSession;

/** What a hosted session's reward names resolve to on its worker (see workers/worker.ts). */
export interface HostedRewardResolver extends SessionRewardResolver {
  /** The client reward function the session may switch to (sent with SetReward). */
  setSpec(spec: RewardSpec): void;
}

/**
 * Sessions with more observation numbers than this (num_envs x observation size) are
 * hosted on a worker thread: their resets and steps take long enough to delay others.
 */
export const HOST_ON_WORKER_NUMBERS = 65_536;

/**
 * The env service as plain methods over the gymhost.v1 messages: both transports call it.
 * Methods throw DomainError; transports map it (src/server/errors.ts).
 *
 * With a compute pool (the server), sessions whose steps are costly or run untrusted code
 * (sandboxed client or plugin reward functions, very large vector sessions) are hosted on a
 * worker thread and their calls forwarded there (answers are then promises); the others run
 * here. Without a pool (in-process use, and on the workers themselves) all run here.
 */
export class EnvService {
  readonly sessions: SessionStore<AnyEnvSession>;
  /** Built-in, plugin and registered reward functions. */
  readonly rewards: RewardRegistry;

  private readonly usage: UsageTracker | undefined;
  private readonly maxBatchObservationBytes: number | undefined;
  private readonly metrics: EnvServiceRewardOptions['metrics'];
  private readonly pool: ComputePool | undefined;
  private readonly store: Store | undefined;
  /** Hosted sessions' reward resolvers (on a worker). */
  private readonly hostedResolvers = new Map<string, HostedRewardResolver>();

  constructor(
    readonly limits: EnvServiceLimits = DEFAULT_LIMITS,
    options: EnvServiceRewardOptions = {},
  ) {
    const usage = options.usage;
    this.usage = usage;
    this.pool = options.pool;
    this.store = options.store;
    this.maxBatchObservationBytes = options.maxBatchObservationBytes;
    this.metrics = options.metrics;
    // With a usage tracker the rewards quota is checked by registerReward (it knows the caller's role).
    const maxPerOwner = options.maxRewardsPerOwner ?? (usage ? Infinity : undefined);
    this.rewards = new RewardRegistry(envTypes, options.plugins ?? [], { sandbox: options.sandbox, maxPerOwner });
    this.sessions = new SessionStore<AnyEnvSession>({ maxSessions: limits.maxSessions, ttlSeconds: limits.sessionTtlSeconds, kind: 'env session' });
    this.sessions.startSweeping();
    usage?.addSource('envSessions', () => this.sessions.values());
    usage?.addSource('rewards', () => this.rewards.list(undefined).map((r) => ({ owner: r.owner, memoryBytes: 2 * r.source.length })));
    if (this.pool) {
      this.pool.onWorkerLost = (index, why) => {
        for (const s of [...this.sessions.values()]) if (s instanceof RemoteEnvSession && s.worker === index) this.sessions.removeLost(s.id, why);
      };
    }
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

  createEnv(req: CreateEnvRequest, caller: Caller): CreateEnvResponse | Promise<CreateEnvResponse> {
    const type = envTypeById(req.envId);
    this.sessions.ensureCapacity();
    const numEnvs = req.numEnvs === 0 ? 1 : req.numEnvs;
    if (this.pool) {
      checkNumEnvs(numEnvs, this.limits.maxNumEnvs);
      const reward = this.rewards.resolve(type, req.rewardFunction, req.rewardParams, caller.user, '');
      const config = resolveOptions(type.configOptions, req.config, 'config');
      const described = type.describe(config);
      if (reward.origin !== 'builtin' || numEnvs * spaceSize(described.observationSpace) > HOST_ON_WORKER_NUMBERS) {
        return this.createHosted(type, req, caller, reward, config, described, numEnvs);
      }
    }
    const session = new EnvSession(
      SessionStore.newId(),
      caller.user,
      type,
      {
        config: req.config,
        rewardFunction: req.rewardFunction,
        rewardParams: req.rewardParams,
        numEnvs,
        renderMode: renderModeName(req.renderMode, 'render_mode') ?? 'none',
        autoresetMode: autoresetName(req.autoresetMode),
        seed: req.seed,
        rewards: this.rewards,
        admit: (bytes) => this.usage?.checkCreate(caller, 'envSessions', bytes, `this env session (${numEnvs} x ${type.id})`),
        maxBatchObservationBytes: this.maxBatchObservationBytes,
      },
      this.limits.maxNumEnvs,
    );
    this.sessions.add(session);
    if (!this.store?.durable) return { env: envToProto(session) };
    return this.saveNew(session).then(() => ({ env: envToProto(session) }));
  }

  /** Writes a new session's row before its creation is answered; undoes the creation if that fails. */
  private async saveNew(session: AnyEnvSession): Promise<void> {
    if (!this.store?.durable) return;
    try {
      await this.store.putEnv({ id: session.id, owner: session.owner, spec: specOf(session), createdAt: session.createdAt });
    } catch (err) {
      this.sessions.discard(session.id);
      throw err;
    }
  }

  /** Writes a session's spec (after SetReward); its state is saved by the periodic save. */
  private async saveSpec(session: AnyEnvSession): Promise<void> {
    if (!this.store?.durable) return;
    const state = session instanceof EnvSession ? session.exportState() : await this.pool!.run('env.export', { id: session.id }, { user: session.owner, worker: session.worker });
    await this.store.putEnv({ id: session.id, owner: session.owner, spec: specOf(session), createdAt: session.createdAt, state: v8.serialize(state) });
  }

  /** Live sessions as the periodic save sees them: id, last use, and a way to get their state. */
  *saveCandidates(): Generator<{ id: string; lastUsedAt: number; busy: boolean; state: () => Promise<Uint8Array> }> {
    for (const s of this.sessions.values()) {
      const state =
        s instanceof EnvSession
          ? async () => v8.serialize(s.exportState())
          : async () => v8.serialize(await this.pool!.run('env.export', { id: s.id }, { user: s.owner, worker: s.worker }));
      yield { id: s.id, lastUsedAt: s.lastUsedAt, busy: s.busyWith !== undefined, state };
    }
  }

  /** Replicas: rows of the sessions other replicas serve (of one owner, or all), for ListEnvs; undefined on one server. */
  sharedSessions: ((owner: string | undefined, skip: ReadonlySet<string>) => Promise<EnvRow[]>) | undefined = undefined;

  /** Whether env session `id` is served here. */
  hasSession(id: string): boolean {
    return this.sessions.has(id);
  }

  /**
   * Hands a session over to another replica: takes it out (later calls here miss it), reads
   * its state after every call already under way (a worker answers in order) and saves it with
   * `save`; then frees it. If the save fails, the session is put back and serves on here.
   * Answers false when it is not here; HANDOVER_BUSY while a training run drives it.
   */
  async handOver(id: string, save: (state: Uint8Array) => Promise<void>): Promise<boolean> {
    const s = this.sessions.take(id);
    if (!s) return false;
    try {
      if (s.busyWith !== undefined) {
        throw new DomainError('UNAVAILABLE', `env session ${id} is busy (${s.busyWith}) on another replica; it moves once that ends`, '', 'HANDOVER_BUSY');
      }
      const state = s instanceof EnvSession ? v8.serialize(s.exportState()) : v8.serialize(await this.pool!.run('env.export', { id: s.id }, { user: s.owner, worker: s.worker }));
      await save(state);
    } catch (err) {
      this.sessions.restore(s);
      throw err;
    }
    s.dispose?.();
    return true;
  }

  /** Whether this registered reward function (its owner, name and session) is known here. */
  hasReward(row: RewardRow): boolean {
    return this.rewards.list(row.owner, { sessionId: row.sessionId }).some((r) => r.name === row.name && r.sessionId === row.sessionId);
  }

  /** Stops serving a session another replica took over (this replica's lease on it was lost): freed, its row left alone. */
  dropLost(id: string): void {
    this.sessions.take(id)?.dispose?.();
  }

  /**
   * Puts a session back from its row (start-up), with its id and its state at the last
   * save; after a crash (not `clean`), one that was inside an episode refuses steps until a
   * Reset (SESSION_RESTORED).
   */
  async restoreEnv(row: EnvRow, clean = false): Promise<void> {
    const spec = row.spec as unknown as SavedSpec;
    const type = envTypeById(spec.envId);
    const state = row.state ? (v8.deserialize(Buffer.from(row.state)) as EnvSessionState) : undefined;
    const req: CreateEnvRequest = {
      envId: spec.envId,
      config: spec.config,
      rewardFunction: spec.rewardFunction,
      rewardParams: spec.rewardParams,
      numEnvs: spec.numEnvs,
      renderMode: spec.renderMode,
      autoresetMode: spec.autoresetMode,
      seed: spec.seed ?? undefined,
    };
    const owner: Caller = { user: row.owner, role: 'admin' };
    const reward = this.rewards.resolve(type, req.rewardFunction, req.rewardParams, row.owner, row.id);
    const config = resolveOptions(type.configOptions, req.config, 'config');
    const described = type.describe(config);
    if (this.pool && (reward.origin !== 'builtin' || req.numEnvs * spaceSize(described.observationSpace) > HOST_ON_WORKER_NUMBERS)) {
      await this.createHosted(type, req, owner, reward, config, described, req.numEnvs, state, row.id, { restored: !clean, createdAt: row.createdAt });
      return;
    }
    const session = new EnvSession(
      row.id,
      row.owner,
      type,
      {
        config: req.config,
        rewardFunction: req.rewardFunction,
        rewardParams: req.rewardParams,
        numEnvs: req.numEnvs,
        renderMode: renderModeName(req.renderMode, 'render_mode') ?? 'none',
        autoresetMode: autoresetName(req.autoresetMode),
        seed: req.seed,
        rewards: this.rewards,
        maxBatchObservationBytes: this.maxBatchObservationBytes,
      },
      this.limits.maxNumEnvs,
    );
    if (state) {
      session.importState(state);
      session.restoredMidEpisode = !clean && session.episodeInProgress;
    }
    session.createdAt = row.createdAt;
    this.sessions.restore(session);
  }

  /** Puts a registered reward function back from its row (start-up). */
  restoreReward(row: RewardRow): void {
    this.rewards.register(
      { name: row.name, envTypeId: row.envTypeId, sessionId: row.sessionId, source: row.source, description: row.description, params: row.params as OptionSpec[] },
      row.owner,
      row.createdAt,
      false,
    );
  }

  /** Creates a session on a worker thread (quota checked here first, before anything is allocated). */
  private async createHosted(
    type: EnvType,
    req: CreateEnvRequest,
    caller: Caller,
    reward: ResolvedReward,
    config: OptionValues,
    described: ReturnType<EnvType['describe']>,
    numEnvs: number,
    state?: EnvSessionState,
    id = SessionStore.newId(),
    restore?: { restored: boolean; createdAt: number },
  ): Promise<CreateEnvResponse> {
    const pool = this.pool!;
    const sandboxBytes = reward.impl?.kind === 'sandbox' ? this.rewards.limits.memoryBytes : 0;
    const bytes = estimateEnvSessionBytes(described.observationSpace, numEnvs, sandboxBytes);
    if (!state) this.usage?.checkCreate(caller, 'envSessions', bytes, `this env session (${numEnvs} x ${type.id})`);
    const worker = this.hostFor(pool);
    const hostReq: CreateEnvRequest = { ...req, config, rewardFunction: reward.name, rewardParams: reward.params };
    const env = (await pool.run(
      'env.host',
      { id, owner: caller.user, req: hostReq, reward: rewardSpecOf(reward), maxNumEnvs: this.limits.maxNumEnvs, maxBatchObservationBytes: this.maxBatchObservationBytes, state, restored: restore?.restored },
      { user: caller.user, worker },
    )) as Env;
    const session = new RemoteEnvSession(id, caller.user, worker, type, config, described.observationSpace, described.actionSpace, numEnvs, described.maxEpisodeSteps, reward, bytes, hostReq, (s) =>
      this.releaseHosted(s),
    );
    this.rewards.use(id, reward, undefined);
    if (restore) {
      session.createdAt = restore.createdAt;
      this.sessions.restore(session);
    } else if (state) this.sessions.replace(session);
    else {
      try {
        this.sessions.add(session);
      } catch (err) {
        this.releaseHosted(session);
        throw err;
      }
      await this.saveNew(session);
    }
    return { env: { ...env, memoryBytes: bytes } };
  }

  /** The worker hosting the fewest sessions (ties: the least busy one). */
  private hostFor(pool: ComputePool): number {
    const hosted = new Array<number>(pool.size).fill(0);
    for (const s of this.sessions.values()) if (s instanceof RemoteEnvSession) hosted[s.worker]++;
    const fewest = Math.min(...hosted);
    const least = pool.leastLoaded();
    return hosted[least] === fewest ? least : hosted.indexOf(fewest);
  }

  private releaseHosted(s: RemoteEnvSession): void {
    this.rewards.sessionClosed(s.id, s.reward);
    this.pool?.run('env.call', { method: 'deleteEnv', req: { id: s.id }, caller: hostCaller(s) }, { user: s.owner, worker: s.worker }).catch(() => undefined);
  }

  /** Forwards a call on a hosted session to its worker. */
  private forward<T>(session: RemoteEnvSession, method: string, req: unknown, caller: Caller, reward?: RewardSpec): Promise<T> {
    return this.pool!.run('env.call', { method, req, caller: hostCaller(session), reward }, { user: caller.user, worker: session.worker }) as Promise<T>;
  }

  getEnv(req: GetEnvRequest, caller: Caller): GetEnvResponse | Promise<GetEnvResponse> {
    const session = this.sessions.get(req.id, caller, 'id', 'read');
    if (session instanceof RemoteEnvSession) return this.forward(session, 'getEnv', req, caller);
    return { env: envToProto(session) };
  }

  listEnvs(req: ListEnvsRequest, caller: Caller): ListEnvsResponse | Promise<ListEnvsResponse> {
    if (this.sharedSessions) return this.listEnvsOfReplicas(req, caller);
    return this.listLocalEnvs(req, caller);
  }

  /**
   * Replicas: the sessions served here, then those other replicas serve, described from their
   * rows (as of their last save; without a last-use time).
   */
  private async listEnvsOfReplicas(req: ListEnvsRequest, caller: Caller): Promise<ListEnvsResponse> {
    const here = await this.listLocalEnvs(req, caller);
    const owner = req.owner || (seesEveryone(caller) ? undefined : caller.user);
    const rows = await this.sharedSessions!(owner, new Set(here.envs.map((e) => e.id)));
    const others = rows.filter((r) => mayAccess(caller, r.owner, 'read') && (seesEveryone(caller) || r.owner === caller.user)).flatMap((r) => this.envFromRow(r) ?? []);
    return { envs: [...here.envs, ...others].sort((a, b) => (a.createTime?.getTime() ?? 0) - (b.createTime?.getTime() ?? 0) || (a.id < b.id ? -1 : 1)) };
  }

  /** A session's Env message from its row (undefined for a row this server cannot read, e.g. an env type it lacks). */
  private envFromRow(row: EnvRow): Env | undefined {
    try {
      const spec = row.spec as unknown as SavedSpec;
      const type = envTypeById(spec.envId);
      const config = resolveOptions(type.configOptions, spec.config, 'config');
      const described = type.describe(config);
      const state = row.state ? (v8.deserialize(Buffer.from(row.state)) as EnvSessionState) : undefined;
      const origin: DomainRewardOrigin = type.rewardFunctions.some((r) => r.name === spec.rewardFunction)
        ? 'builtin'
        : this.rewards.list(row.owner).some((r) => r.name === spec.rewardFunction)
          ? 'client'
          : 'plugin';
      return {
        id: row.id,
        envId: type.id,
        owner: row.owner,
        config: { ...config },
        rewardFunction: spec.rewardFunction,
        rewardParams: { ...spec.rewardParams },
        numEnvs: spec.numEnvs,
        renderMode: spec.renderMode,
        autoresetMode: spec.autoresetMode,
        observationSpace: spaceToProto(described.observationSpace),
        actionSpace: spaceToProto(described.actionSpace),
        createTime: new Date(row.createdAt),
        lastUsedTime: undefined,
        totalSteps: state?.totalSteps ?? 0,
        totalEpisodes: state?.totalEpisodes ?? 0,
        hasReset: state?.hasReset ?? false,
        maxEpisodeSteps: described.maxEpisodeSteps,
        rewardOrigin: ORIGINS[origin],
        memoryBytes: Math.round(estimateEnvSessionBytes(described.observationSpace, spec.numEnvs, origin === 'client' ? this.rewards.limits.memoryBytes : 0)),
      };
    } catch {
      return undefined;
    }
  }

  private listLocalEnvs(req: ListEnvsRequest, caller: Caller): ListEnvsResponse | Promise<ListEnvsResponse> {
    const visible = this.sessions.list(caller).filter((s) => !req.owner || s.owner === req.owner);
    if (!visible.some((s) => s instanceof RemoteEnvSession)) return { envs: visible.map((s) => envToProto(s as EnvSession)) };
    return Promise.all(
      visible.map((s) =>
        s instanceof RemoteEnvSession ? this.forward<GetEnvResponse>(s, 'getEnv', { id: s.id }, caller).then((r) => r.env, () => undefined) : envToProto(s),
      ),
    ).then((envs) => ({ envs: envs.filter((e): e is Env => e !== undefined) }));
  }

  deleteEnv(req: DeleteEnvRequest, caller: Caller): DeleteEnvResponse | Promise<DeleteEnvResponse> {
    if (!this.store) {
      this.sessions.delete(req.id, caller);
      return {};
    }
    const session = this.sessions.get(req.id, caller, 'id', 'delete');
    return this.store.deleteEnv(session.id).then(() => {
      this.sessions.delete(req.id, caller);
      return {};
    });
  }

  /** A session of this service's own (on a worker: one it hosts); NOT_FOUND otherwise. */
  hosted(id: string): EnvSession {
    const s = this.sessions.get(id, { user: '', role: 'admin' });
    if (!(s instanceof EnvSession)) throw new DomainError('INTERNAL', `session ${id} is not hosted here`, '', 'INTERNAL');
    return s;
  }

  reset(req: ResetRequest, caller: Caller): ResetResponse | Promise<ResetResponse> {
    const session = this.sessions.get(req.id, caller);
    if (session instanceof RemoteEnvSession) return this.forward(session, 'reset', req, caller);
    session.reset(req.seed, req.options);
    const { batch } = session;
    if (session.isVector) {
      return { observation: { kind: { $case: 'tensor', value: batchObservations(session) } }, info: {} };
    }
    return { observation: observationValue(session.observationSpace, batch.observations, 0, batch.obsSize), info: batch.info(0) };
  }

  step(req: StepRequest, caller: Caller): StepResponse | Promise<StepResponse> {
    const session = this.sessions.get(req.id, caller);
    if (session instanceof RemoteEnvSession) return this.countedRemote(session, 1, this.forward(session, 'step', req, caller));
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

  stepBatch(req: StepBatchRequest, caller: Caller): StepBatchResponse | Promise<StepBatchResponse> {
    const session = this.sessions.get(req.id, caller);
    if (session instanceof RemoteEnvSession) return this.countedRemote(session, session.numEnvs, this.forward(session, 'stepBatch', req, caller));
    const discreteActions = session.actionSpace.kind === 'discrete';
    const actionShape = discreteActions ? [session.numEnvs] : [session.numEnvs, ...(session.actionSpace as { shape: readonly number[] }).shape];
    const actions = readTensor(req.actions, actionShape, 'actions', discreteActions);
    this.counted(session, session.numEnvs, () => session.stepBatch(actions));
    const { batch } = session;
    return encodeStepBatch({
      observations: batch.observations,
      observationShape: obsShape(session),
      rewards: batch.rewards,
      terminated: batch.terminated,
      truncated: batch.truncated,
      resetMask: session.resetMask,
      finalObservations: session.params.autoresetMode === 'same_step' ? session.finalObservations : undefined,
    });
  }

  /** Runs a step of `session` counting its env steps and, for a plugin or sandboxed reward, the reward call. */
  private counted(session: EnvSession, steps: number, fn: () => void): void {
    const m = this.metrics;
    if (!m) return fn();
    this.usage?.countSteps(session.owner, steps, 'env');
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

  /** counted() for a step forwarded to a worker. */
  private countedRemote<T>(session: RemoteEnvSession, steps: number, answer: Promise<T>): Promise<T> {
    const m = this.metrics;
    if (!m) return answer;
    return answer.then(
      (res) => {
        this.usage?.countSteps(session.owner, steps, 'env');
        if (session.rewardOrigin !== 'builtin') m.rewardCalls.inc({ origin: session.rewardOrigin, result: 'ok' });
        m.envSteps.inc(steps);
        return res;
      },
      (err) => {
        if (session.rewardOrigin !== 'builtin' && err instanceof DomainError && err.field === 'reward_function') m.rewardCalls.inc({ origin: session.rewardOrigin, result: 'failed' });
        throw err;
      },
    );
  }

  /** The session's episode log, as the server measured it. */
  listEpisodes(req: ListEpisodesRequest, caller: Caller): ListEpisodesResponse | Promise<ListEpisodesResponse> {
    const session = this.sessions.get(req.id, caller, 'id', 'read');
    if (session instanceof RemoteEnvSession) return this.forward(session, 'listEpisodes', req, caller);
    if (req.offset < 0) throw invalidArgument('offset', `offset must be >= 0, got ${req.offset}`, 'OUT_OF_RANGE');
    if (req.limit < 0) throw invalidArgument('limit', `limit must be >= 0 (0 = all), got ${req.limit}`, 'OUT_OF_RANGE');
    const log = session.episodes;
    return {
      episodes: log.page(req.offset, req.limit).map((e) => ({
        episode: e.episode,
        copy: e.copy,
        seed: e.seed,
        episodeReturn: e.return,
        length: e.length,
        terminated: e.terminated,
        truncated: e.truncated,
        abandoned: e.abandoned,
        endTime: new Date(e.endTime),
      })),
      total: log.size,
      ended: log.ended,
    };
  }

  render(req: RenderRequest, caller: Caller): RenderResponse | Promise<RenderResponse> {
    const session = this.sessions.get(req.id, caller, 'id', 'read');
    if (session instanceof RemoteEnvSession) return this.forward(session, 'render', req, caller);
    const out = session.render(req.index, renderModeName(req.mode, 'mode'));
    if (typeof out === 'string') return { text: out, frame: undefined };
    return { text: '', frame: toTensor(out.data, [out.height, out.width, 3]) };
  }

  /**
   * Chooses the session's reward function; it applies from the next step on. A session of
   * this thread that switches to a plugin or client function moves to a worker thread first.
   */
  setReward(req: SetRewardRequest, caller: Caller): SetRewardResponse | Promise<SetRewardResponse> {
    const answer = this.setRewardNow(req, caller);
    if (!this.store?.durable) return answer;
    // The new reward is part of the session's spec: saved before the change is answered.
    return Promise.resolve(answer).then(async (res) => {
      const session = this.sessions.get(req.id, caller);
      await this.saveSpec(session);
      return res;
    });
  }

  private setRewardNow(req: SetRewardRequest, caller: Caller): SetRewardResponse | Promise<SetRewardResponse> {
    const session = this.sessions.get(req.id, caller);
    const admit = (extra: number) => this.usage?.checkCreate(caller, undefined, extra, `reward function '${req.rewardFunction}' (its sandbox)`);
    if (session instanceof RemoteEnvSession) return this.setRewardHosted(session, req, caller, admit);
    if (this.pool) {
      const next = this.rewards.resolve(session.type, req.rewardFunction, req.rewardParams, session.owner, session.id);
      if (next.origin !== 'builtin') return this.moveToWorker(session, next, caller, admit);
    }
    session.setReward(req.rewardFunction, req.rewardParams, admit);
    return { env: envToProto(session) };
  }

  private async setRewardHosted(session: RemoteEnvSession, req: SetRewardRequest, caller: Caller, admit: (extra: number) => void): Promise<SetRewardResponse> {
    if (session.busyWith !== undefined) throw failedPrecondition(`session ${session.id} is busy: ${session.busyWith}; wait for it to finish or cancel it`, 'SESSION_BUSY');
    const next = this.rewards.resolve(session.type, req.rewardFunction, req.rewardParams, session.owner, session.id);
    const bytes = estimateEnvSessionBytes(session.observationSpace, session.numEnvs, next.impl?.kind === 'sandbox' ? this.rewards.limits.memoryBytes : 0);
    if (bytes > session.memoryBytes) admit(bytes - session.memoryBytes);
    const res = await this.forward<SetRewardResponse>(session, 'setReward', { ...req, rewardFunction: next.name, rewardParams: next.params }, caller, rewardSpecOf(next));
    this.rewards.use(session.id, next, session.reward);
    session.reward = next;
    session.memoryBytes = bytes;
    return res;
  }

  /** Moves a session of this thread to a worker (same id, same state) with reward `next`. */
  private async moveToWorker(session: EnvSession, next: ResolvedReward, caller: Caller, admit: (extra: number) => void): Promise<SetRewardResponse> {
    if (session.busyWith !== undefined) throw failedPrecondition(`session ${session.id} is busy: ${session.busyWith}; wait for it to finish or cancel it`, 'SESSION_BUSY');
    const described = { observationSpace: session.observationSpace, actionSpace: session.actionSpace, maxEpisodeSteps: session.maxEpisodeSteps };
    const bytes = estimateEnvSessionBytes(session.observationSpace, session.numEnvs, next.impl?.kind === 'sandbox' ? this.rewards.limits.memoryBytes : 0);
    if (bytes > session.memoryBytes) admit(bytes - session.memoryBytes);
    const req: CreateEnvRequest = {
      envId: session.type.id,
      config: session.config,
      rewardFunction: next.name,
      rewardParams: next.params,
      numEnvs: session.numEnvs,
      renderMode: renderModeToProto(session.params.renderMode),
      autoresetMode: session.params.autoresetMode === 'same_step' ? AutoresetMode.AUTORESET_MODE_SAME_STEP : AutoresetMode.AUTORESET_MODE_NEXT_STEP,
      seed: undefined,
    };
    session.busyWith = 'moving to a worker thread';
    try {
      const owner: Caller = { user: session.owner, role: caller.role };
      const res = await this.createHosted(session.type, req, owner, next, session.config, described, session.numEnvs, session.exportState(), session.id);
      // The local copy is replaced, not deleted: its registered functions now belong to the hosted one.
      this.rewards.use(session.id, undefined, session.resolvedReward);
      return res;
    } finally {
      session.busyWith = undefined;
    }
  }

  /** createEnv for the transports: waits for a sandbox instance when the reward function needs one. */
  createEnvWhenReady(req: CreateEnvRequest, caller: Caller): Promise<CreateEnvResponse> {
    if (this.pool) return Promise.resolve(this.createEnv(req, caller));
    return withSandboxes(() => this.createEnv(req, caller) as CreateEnvResponse);
  }

  /** setReward for the transports: waits for a sandbox instance when the reward function needs one. */
  setRewardWhenReady(req: SetRewardRequest, caller: Caller): Promise<SetRewardResponse> {
    if (this.pool) return Promise.resolve(this.setReward(req, caller));
    return withSandboxes(() => this.setReward(req, caller) as SetRewardResponse);
  }

  /** Registers client JavaScript as a reward function owned by the caller or by one of its sessions. */
  async registerReward(req: RegisterRewardRequest, caller: Caller): Promise<RegisterRewardResponse> {
    const input = this.registerInput(req, caller);
    if (this.pool) {
      // Compiling untrusted code is the sandbox's work: a worker checks it.
      await this.pool.run('reward.check', { source: input.source, params: input.params }, { user: caller.user });
      return { reward: registeredToProto(await this.saveReward(this.rewards.register(input, caller.user, Date.now(), false))) };
    }
    const entry = await withSandboxes(() => this.rewards.register(input, caller.user));
    return { reward: registeredToProto(await this.saveReward(entry)) };
  }

  /** Writes a registered reward's row before it is answered; undoes the registration if that fails. */
  private async saveReward(r: ClientReward): Promise<ClientReward> {
    if (!this.store) return r;
    try {
      await this.store.putReward({ owner: r.owner, name: r.name, sessionId: r.sessionId, envTypeId: r.envTypeId, source: r.source, description: r.description, params: r.params, createdAt: r.createdAt });
    } catch (err) {
      this.rewards.delete(r.owner, r.name, r.sessionId);
      throw err;
    }
    return r;
  }

  private registerInput(req: RegisterRewardRequest, caller: Caller): RegisterRewardInput {
    let envTypeId = req.envId;
    if (req.env) {
      const session = this.sessions.get(req.env, caller, 'env');
      if (envTypeId && envTypeId !== session.type.id) {
        throw invalidArgument('env_id', `env_id '${envTypeId}' differs from session ${req.env}'s env type ${session.type.id}; leave env_id empty`, 'WRONG_ENV_TYPE');
      }
      envTypeId = session.type.id;
    }
    this.usage?.checkCreate(caller, 'rewards', 2 * req.source.length, `reward function '${req.name}'`);
    const input = { name: req.name, envTypeId, sessionId: req.env, source: req.source, description: req.description, params: req.params.map((p, i) => optionFromProto(p, `params[${i}]`)) };
    this.rewards.checkRegistration(input, caller.user);
    return input;
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
  deleteReward(req: DeleteRewardRequest, caller: Caller): DeleteRewardResponse | Promise<DeleteRewardResponse> {
    const session = req.env ? this.sessions.get(req.env, caller, 'env', 'delete') : undefined;
    const owner = req.owner || session?.owner || caller.user;
    if (!mayAccess(caller, owner, 'delete')) {
      throw notFound('name', `no reward function '${req.name}' registered by ${req.env ? `session ${req.env}` : 'you'}`, 'REWARD_NOT_FOUND');
    }
    const entry = this.rewards.list(owner, { sessionId: req.env }).find((r) => r.name === req.name && r.sessionId === req.env);
    this.rewards.delete(owner, req.name, req.env);
    if (!this.store || !entry) return {};
    return this.store.deleteReward(owner, req.name, req.env).then(
      () => ({}),
      (err) => {
        // Not deleted after all: put it back as it was.
        this.rewards.register({ ...entry, params: [...entry.params] }, entry.owner, entry.createdAt, false);
        throw err;
      },
    );
  }

  /** One StepStream request's response; errors are thrown (the transport answers them inline). */
  streamMessage(req: StepStreamRequest, caller: Caller): StepStreamResponse | Promise<StepStreamResponse> {
    const r = req.request;
    switch (r?.$case) {
      case 'step':
        return wrap(this.step(r.value, caller), (value) => ({ response: { $case: 'step', value } }));
      case 'reset':
        return wrap(this.reset(r.value, caller), (value) => ({ response: { $case: 'reset', value } }));
      case 'stepBatch':
        return wrap(this.stepBatch(r.value, caller), (value) => ({ response: { $case: 'stepBatch', value } }));
      default:
        throw invalidArgument('request', 'each StepStream message must set one of step, reset or step_batch', 'MISSING_FIELD');
    }
  }

  // --- on a worker thread: the sessions it hosts -------------------------------------------

  /** Creates a hosted session with the id the request thread chose (quota already checked there). */
  hostEnv(
    id: string,
    owner: string,
    req: CreateEnvRequest,
    resolver: HostedRewardResolver,
    limits: { maxNumEnvs: number; maxBatchObservationBytes?: number },
    state?: EnvSessionState,
  ): Env {
    const type = envTypeById(req.envId);
    const session = new EnvSession(
      id,
      owner,
      type,
      {
        config: req.config,
        rewardFunction: req.rewardFunction,
        rewardParams: req.rewardParams,
        numEnvs: req.numEnvs === 0 ? 1 : req.numEnvs,
        renderMode: renderModeName(req.renderMode, 'render_mode') ?? 'none',
        autoresetMode: autoresetName(req.autoresetMode),
        seed: req.seed,
        rewards: resolver,
        maxBatchObservationBytes: limits.maxBatchObservationBytes,
      },
      limits.maxNumEnvs,
    );
    try {
      if (state) session.importState(state);
      this.sessions.add(session);
    } catch (err) {
      session.dispose();
      throw err;
    }
    this.hostedResolvers.set(id, resolver);
    return envToProto(session);
  }

  /** A call on a hosted session, as forwarded by the request thread (access already checked there). */
  hostedCall(method: string, req: any, caller: Caller, reward?: RewardSpec): unknown {
    switch (method) {
      case 'getEnv':
        return this.getEnv(req, caller);
      case 'reset':
        return this.reset(req, caller);
      case 'step':
        return this.step(req, caller);
      case 'stepBatch':
        return this.stepBatch(req, caller);
      case 'render':
        return this.render(req, caller);
      case 'listEpisodes':
        return this.listEpisodes(req, caller);
      case 'setReward': {
        if (reward) this.hostedResolvers.get(req.id)?.setSpec(reward);
        return this.setReward(req, caller);
      }
      case 'deleteEnv':
        this.hostedResolvers.delete(req.id);
        return this.deleteEnv(req, caller);
      default:
        throw new DomainError('INTERNAL', `no hosted call ${method}`, '', 'INTERNAL');
    }
  }

  close(): void {
    this.sessions.close();
  }
}

/** The caller a hosted session's calls run as on its worker (access was checked on the request thread). */
function hostCaller(s: { owner: string }): Caller {
  return { user: s.owner, role: 'admin' };
}

/** `map(value)`, or a promise of it when `value` is a promise. */
function wrap<T, U>(value: T | Promise<T>, map: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(map) : map(value);
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
    renderFps: t.renderFps,
    timeLimit: t.timeLimit,
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

/** What the store keeps of a session to make it again: CreateEnv's fields, resolved. */
interface SavedSpec {
  readonly envId: string;
  readonly config: Record<string, unknown>;
  readonly rewardFunction: string;
  readonly rewardParams: Record<string, unknown>;
  readonly numEnvs: number;
  readonly renderMode: RenderMode;
  readonly autoresetMode: AutoresetMode;
  readonly seed: number | null;
}

function specOf(s: AnyEnvSession): Record<string, unknown> {
  const modes =
    s instanceof EnvSession
      ? {
          renderMode: renderModeToProto(s.params.renderMode),
          autoresetMode: s.params.autoresetMode === 'same_step' ? AutoresetMode.AUTORESET_MODE_SAME_STEP : AutoresetMode.AUTORESET_MODE_NEXT_STEP,
          seed: s.params.seed ?? null,
        }
      : { renderMode: s.createRequest.renderMode, autoresetMode: s.createRequest.autoresetMode, seed: s.createRequest.seed ?? null };
  const spec: SavedSpec = { envId: s.type.id, config: { ...s.config }, rewardFunction: s.rewardFunction, rewardParams: { ...s.rewardParams }, numEnvs: s.numEnvs, ...modes };
  return { ...spec };
}
