import { failedPrecondition, invalidArgument } from '../../core/errors.js';
import { createAgent, importAgent } from '../../core/agents/create-agent.js';
import { agentConfigOptions } from '../../core/agents/agent-config.js';
import { presets, type AgentPreset as Preset } from '../../core/agents/presets.js';
import { SNAPSHOT_FORMAT, decodeSnapshot, encodeSnapshot } from '../../core/agents/snapshot-codec.js';
import { toTfjsArtifacts } from '../../core/agents/nets/tfjs-export.js';
import type { Agent, EpisodeRecord } from '../../core/agents/types.js';
import { gridWorldLayout } from '../../core/envs/gridworld.js';
import { SessionStore, type Access, type Caller, type StoredSession } from '../../core/sessions/session-store.js';
import { estimateAgentBytes, estimateParameters } from '../../core/agents/memory.js';
import type { UsageTracker } from '../usage.js';
import type { Metrics } from '../observability/metrics.js';
import { EnvSession } from '../../core/sessions/env-session.js';
import type { ComputePool } from '../workers/pool.js';
import { snapshotBuffers, type Tasks } from '../workers/protocol.js';
import { AGENT_CALLS, callWork, evaluationToProto, recordToProto, type AgentCallName } from './agent-calls.js';
import { RemoteEnvSession, rewardSpecOf } from './remote-env.js';
import type { AnyEnvSession } from './env-service.js';
import type { Space } from '../../core/spaces.js';
import { evaluate, train } from '../../core/training/train.js';
import type {
  Agent as AgentMsg,
  AgentPreset,
  ChooseActionRequest,
  ChooseActionResponse,
  CreateAgentRequest,
  CreateAgentResponse,
  DeleteAgentRequest,
  DeleteAgentResponse,
  EndEpisodeRequest,
  EndEpisodeResponse,
  EpisodeRecord as EpisodeRecordMsg,
  EvaluateRequest,
  EvaluateResponse,
  ExportAgentRequest,
  ExportAgentResponse,
  GetAgentRequest,
  GetAgentResponse,
  GetHistoryRequest,
  GetHistoryResponse,
  GetQRequest,
  GetQResponse,
  ImportAgentRequest,
  ImportAgentResponse,
  ListAgentKindsResponse,
  ListAgentsRequest,
  ListAgentsResponse,
  TrainRequest,
  TrainSummary,
  UpdateQRequest,
  UpdateQResponse,
} from '../../gen/gymhost/v1/agent_service.js';
import type { EnvService } from './env-service.js';
import { optionToProto } from './options-proto.js';
import { spaceFromProto, spaceToProto } from './tensors.js';

export interface AgentServiceLimits {
  /** Live agents the server holds at most. */
  readonly maxAgents: number;
  /** Idle seconds after which an agent is deleted (0 = never). */
  readonly agentTtlSeconds: number;
  /** Largest Train budget in environment steps. */
  readonly maxTrainSteps: number;
  /** Largest Evaluate episode count. */
  readonly maxEvalEpisodes: number;
}

export const DEFAULT_AGENT_LIMITS: AgentServiceLimits = { maxAgents: 200, agentTtlSeconds: 3600, maxTrainSteps: 10_000_000, maxEvalEpisodes: 1000 };

/** One hosted agent and what it is bound to. */
class AgentSession implements StoredSession {
  lastUsedAt = 0;
  readonly createdAt = Date.now();
  /** Aborts the running Train call, if any. */
  training: AbortController | undefined;
  /** Who started the running Train call (its concurrentTrains quota). */
  trainedBy = '';
  private disposed = false;
  /** Calls queued behind one that runs on a worker (or that are running). */
  private queued = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly owner: string,
    /** The agent; replaced by its updated copy when a call ran on a worker. */
    public agent: Agent,
    readonly env: string,
    readonly preset: string,
    /** Estimated bytes held (estimateAgentBytes), for the memoryBytes quota. */
    readonly memoryBytes: number,
  ) {}

  /**
   * Runs `fn` after every call on this agent that came before it: at once (synchronously)
   * when none is queued, else once those finished. A call that goes to a worker holds the
   * agent until its updated copy is back, so no call sees a stale agent.
   */
  exclusive<T>(fn: () => T | Promise<T>): T | Promise<T> {
    if (this.queued === 0) {
      const out = fn();
      if (!(out instanceof Promise)) return out;
      return this.hold(out);
    }
    return this.hold(this.tail.then(fn, fn));
  }

  private hold<T>(p: Promise<T>): Promise<T> {
    this.queued++;
    const done = p.finally(() => this.queued--);
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Puts a worker's updated copy in place of the agent (or frees it if the agent was deleted meanwhile). */
  replaceAgent(next: Agent): void {
    if (this.disposed) {
      next.dispose();
      return;
    }
    const old = this.agent;
    this.agent = next;
    old.dispose();
  }

  dispose(): void {
    this.disposed = true;
    this.training?.abort();
    this.agent.dispose();
  }
}

/**
 * Work (multiply-adds, see callWork) up to which an agent call runs inline on the request
 * thread (about a quarter of a millisecond); costlier calls run on a worker thread.
 */
export const INLINE_WORK = 1_000_000;
/** Parameters up to which a new network is initialised on the request thread. */
const INLINE_PARAMETERS = 100_000;

const KIND_DESCRIPTIONS: Record<string, string> = {
  tabular: "The seed's tabular Q-learning: a Q table updated with Q(s,a) += alpha * (q - Q(s,a)) (alpha = 1 is the seed's Q(s,a) = q), epsilon-greedy actions.",
  dqn: 'Deep Q-learning: an MLP Q network, a replay queue, online / every-k / fitted-Q updates, target networks (per episode, every C steps, soft), double DQN, phantom outputs or masked loss.',
};

/**
 * The agent service as plain methods over gymhost.v1 messages; both transports call it.
 * Agents live in their own SessionStore; ones created for an env session remember it as
 * their default env for Train and Evaluate.
 */
export class AgentService {
  readonly agents: SessionStore<AgentSession>;

  constructor(
    private readonly envs: EnvService,
    readonly limits: AgentServiceLimits = DEFAULT_AGENT_LIMITS,
    private readonly usage?: UsageTracker,
    private readonly metrics?: Pick<Metrics, 'trainingSteps' | 'trainEpisodes'>,
    /** Worker threads for costly calls, Train and Evaluate (the server's); absent = all inline. */
    private readonly pool?: ComputePool,
  ) {
    this.agents = new SessionStore<AgentSession>({ maxSessions: limits.maxAgents, ttlSeconds: limits.agentTtlSeconds, kind: 'agent' });
    this.agents.startSweeping();
    usage?.addSource('agents', () => this.agents.values());
    usage?.addSource('concurrentTrains', () => [...this.agents.values()].filter((a) => a.training).map((a) => ({ owner: a.trainedBy, memoryBytes: 0 })));
  }

  listAgentKinds(): ListAgentKindsResponse {
    return {
      kinds: (['tabular', 'dqn'] as const).map((kind) => ({ kind, description: KIND_DESCRIPTIONS[kind], configOptions: agentConfigOptions(kind).map(optionToProto) })),
      presets: presets.map(presetToProto),
    };
  }

  async createAgent(req: CreateAgentRequest, caller: Caller): Promise<CreateAgentResponse> {
    let preset: Preset | undefined;
    if (req.preset) {
      preset = presets.find((p) => p.name === req.preset);
      if (!preset) throw invalidArgument('preset', `unknown preset '${req.preset}'; available: ${presets.map((p) => p.name).join(', ')}`, 'UNKNOWN_PRESET');
    }
    const kind = req.kind || preset?.kind || '';
    if (kind !== 'tabular' && kind !== 'dqn') throw invalidArgument('kind', `kind must be "tabular" or "dqn", got ${JSON.stringify(req.kind)}`, 'UNKNOWN_AGENT_KIND');
    if (preset && preset.kind !== kind) throw invalidArgument('kind', `preset '${preset.name}' is a ${preset.kind} agent, not ${kind}`);
    const bound = this.spacesFor(req, caller);
    const config: Record<string, unknown> = { ...(preset?.config ?? {}), ...(req.config ?? {}) };
    if (req.seed !== undefined) config.seed = req.seed;
    this.agents.ensureCapacity();
    const bytes = estimateAgentBytes(kind, bound.observationSpace, bound.numActions, config, { ...bound.grid, maxEpisodeSteps: bound.maxEpisodeSteps });
    this.usage?.checkCreate(caller, 'agents', bytes, `this ${kind} agent`);
    let agent: Agent;
    if (this.pool && kind === 'dqn' && estimateParameters(bound.observationSpace, bound.numActions, config, bound.grid) > INLINE_PARAMETERS) {
      // Drawing a large network's initial weights takes a while: a worker does it.
      const out = await this.pool.run('agent.create', { kind, observationSpace: bound.observationSpace, numActions: bound.numActions, config, grid: bound.grid }, { user: caller.user });
      agent = await importAgent(out.snapshot);
    } else {
      agent = await createAgent(kind, bound.observationSpace, bound.numActions, config, bound.grid);
    }
    const session = this.agents.add(new AgentSession(SessionStore.newId(), caller.user, agent, req.env, preset?.name ?? '', bytes));
    return { agent: agentToProto(session) };
  }

  getAgent(req: GetAgentRequest, caller: Caller): GetAgentResponse {
    return { agent: agentToProto(this.agents.get(req.id, caller, 'id', 'read')) };
  }

  listAgents(req: ListAgentsRequest, caller: Caller): ListAgentsResponse {
    return { agents: this.agents.list(caller).filter((a) => !req.owner || a.owner === req.owner).map(agentToProto) };
  }

  deleteAgent(req: DeleteAgentRequest, caller: Caller): DeleteAgentResponse {
    this.agents.delete(req.id, caller);
    return {};
  }

  chooseAction(req: ChooseActionRequest, caller: Caller): ChooseActionResponse | Promise<ChooseActionResponse> {
    return this.call(this.idle(req.id, caller), caller, 'chooseAction', req, 1);
  }

  updateQ(req: UpdateQRequest, caller: Caller, signal?: AbortSignal): UpdateQResponse | Promise<UpdateQResponse> {
    return this.call(this.idle(req.id, caller), caller, 'updateQ', req, Math.max(1, req.transitions.length), signal);
  }

  endEpisode(req: EndEpisodeRequest, caller: Caller, signal?: AbortSignal): EndEpisodeResponse | Promise<EndEpisodeResponse> {
    return this.call(this.idle(req.id, caller), caller, 'endEpisode', req, 1, signal);
  }

  /**
   * Runs an agent call: inline when its work is small (or there is no pool), else on a
   * worker over a copy of the agent, whose updated copy then replaces it.
   */
  private call<N extends AgentCallName>(session: AgentSession, caller: Caller, name: N, req: Parameters<(typeof AGENT_CALLS)[N]['run']>[1], count: number, signal?: AbortSignal) {
    type Res = ReturnType<(typeof AGENT_CALLS)[N]['run']>;
    const spec = AGENT_CALLS[name];
    const pool = this.pool;
    return session.exclusive((): Res | Promise<Res> => {
      const agent = session.agent;
      const run = spec.run as (a: Agent, r: typeof req) => Res;
      if (!pool || callWork(agent, name, count) <= INLINE_WORK) return run(agent, req);
      const snapshot = agent.exportSnapshot();
      return pool.run('agent.call', { snapshot, call: name, req }, { user: caller.user, transfer: snapshotBuffers(snapshot), signal }).then(async (out) => {
        if (out.snapshot) session.replaceAgent(await importAgent(out.snapshot));
        return out.res as Res;
      });
    });
  }

  getHistory(req: GetHistoryRequest, caller: Caller): GetHistoryResponse {
    const { agent } = this.agents.get(req.id, caller, 'id', 'read');
    if (req.offset < 0) throw invalidArgument('offset', `offset must be >= 0, got ${req.offset}`, 'OUT_OF_RANGE');
    if (req.limit < 0) throw invalidArgument('limit', `limit must be >= 0 (0 = all), got ${req.limit}`, 'OUT_OF_RANGE');
    const end = req.limit === 0 ? undefined : req.offset + req.limit;
    return { records: agent.history.slice(req.offset, end).map(recordToProto), total: agent.history.length };
  }

  getQ(req: GetQRequest, caller: Caller, signal?: AbortSignal): GetQResponse | Promise<GetQResponse> {
    const session = this.agents.get(req.id, caller, 'id', 'read');
    const space = session.agent.observationSpace;
    const count = req.states.length || (space.kind === 'discrete' ? space.n : 1);
    return this.call(session, caller, 'getQ', req, count, signal);
  }

  exportAgent(req: ExportAgentRequest, caller: Caller): ExportAgentResponse {
    const { agent } = this.agents.get(req.id, caller, 'id', 'read');
    const data = encodeSnapshot(agent.exportSnapshot());
    const out: ExportAgentResponse = { format: SNAPSHOT_FORMAT, data, tfjsModelJson: '', tfjsWeights: Buffer.alloc(0) };
    const net = (agent as { onlineNetwork?: Parameters<typeof toTfjsArtifacts>[0] }).onlineNetwork;
    if (agent.kind === 'dqn' && net) {
      const artifacts = toTfjsArtifacts(net);
      out.tfjsModelJson = JSON.stringify({
        format: 'layers-model',
        generatedBy: 'gymhost',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      });
      out.tfjsWeights = Buffer.from(artifacts.weightData);
    }
    return out;
  }

  async importAgent(req: ImportAgentRequest, caller: Caller): Promise<ImportAgentResponse> {
    const snapshot = decodeSnapshot(req.data, 'data');
    let maxEpisodeSteps: number | undefined;
    if (req.env) {
      const env = this.envs.sessions.get(req.env, caller, 'env', 'read');
      checkSameSpaces(env, snapshot, 'the exported agent');
      maxEpisodeSteps = env.maxEpisodeSteps;
    }
    this.agents.ensureCapacity();
    const grid = (snapshot.state?.grid ?? {}) as { gridWidth?: number; gridHeight?: number };
    const bytes = estimateAgentBytes(snapshot.kind, snapshot.observationSpace, snapshot.numActions, snapshot.config as Record<string, unknown>, { ...grid, maxEpisodeSteps });
    this.usage?.checkCreate(caller, 'agents', bytes, `this imported ${snapshot.kind} agent`);
    const agent = await importAgent(snapshot);
    const session = this.agents.add(new AgentSession(SessionStore.newId(), caller.user, agent, req.env, '', bytes));
    return { agent: agentToProto(session) };
  }

  /**
   * Runs the training loop on an env session; `onEpisode` (if given) gets each episode's record.
   * Resolves with the summary (cancelled when `signal` aborts or the agent is deleted).
   */
  async train(req: TrainRequest, caller: Caller, onEpisode: ((r: EpisodeRecordMsg) => void | Promise<void>) | undefined, signal?: AbortSignal): Promise<TrainSummary> {
    const session = this.idle(req.id, caller);
    const env = this.envFor(req.env || session.env, caller, session.agent);
    if (env.isVector) throw invalidArgument('env', `Train needs a single-env session; ${env.id} has num_envs = ${env.numEnvs}`, 'VECTOR_SESSION');
    if (env.busyWith !== undefined) throw failedPrecondition(`env session ${env.id} is busy: ${env.busyWith}`, 'SESSION_BUSY', 'env');
    const episodes = req.episodes;
    const steps = req.steps;
    if (episodes < 0 || steps < 0 || (episodes === 0) === (steps === 0)) {
      throw invalidArgument('episodes', 'give exactly one of episodes or steps, a positive integer', 'BAD_BUDGET');
    }
    const max = this.limits.maxTrainSteps;
    if (steps > max) throw invalidArgument('steps', `steps must be at most ${max}`, 'OUT_OF_RANGE');
    if (episodes * env.maxEpisodeSteps > max) {
      throw invalidArgument('episodes', `episodes x max_episode_steps (${env.maxEpisodeSteps}) must be at most ${max} steps`, 'OUT_OF_RANGE');
    }
    this.usage?.checkCreate(caller, 'concurrentTrains', 0, 'this Train call');
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort);
    session.training = controller;
    session.trainedBy = caller.user;
    env.busyWith = `training agent ${session.id}`;
    const touch = () => {
      session.lastUsedAt = Date.now();
      env.lastUsedAt = Date.now();
    };
    try {
      const deliver = onEpisode
        ? (r: EpisodeRecordMsg) => {
            touch();
            this.metrics?.trainEpisodes.inc();
            return onEpisode(r);
          }
        : undefined;
      const summary = await session.exclusive(() => this.runTrain(session, env, caller, episodes, steps, controller.signal, deliver));
      touch();
      this.metrics?.trainingSteps.inc(summary.steps);
      return {
        episodes: summary.episodes,
        steps: summary.steps,
        wallTimeMs: summary.wallTimeMs,
        meanReturn100: summary.meanReturn100,
        lastReturn: summary.lastReturn,
        cancelled: summary.cancelled,
      };
    } finally {
      signal?.removeEventListener('abort', abort);
      session.training = undefined;
      env.busyWith = undefined;
    }
  }

  /**
   * The Train loop itself: on a worker (long task) over a copy of the agent and either a
   * copy of the env (a session of this thread: its state goes there and back) or the env
   * session the worker hosts; in-process without a pool.
   */
  private async runTrain(
    session: AgentSession,
    env: AnyEnvSession,
    caller: Caller,
    episodes: number,
    steps: number,
    signal: AbortSignal,
    onEpisode: ((r: EpisodeRecordMsg) => void | Promise<void>) | undefined,
  ): Promise<Tasks['agent.train']['out']['summary']> {
    if (!this.pool) {
      if (!(env instanceof EnvSession)) throw new Error('a hosted env session needs a compute pool');
      const summary = await train(env.batch, session.agent, {
        episodes: episodes || undefined,
        steps: steps || undefined,
        signal,
        onEpisode: onEpisode && ((r: EpisodeRecord) => onEpisode(recordToProto(r))),
      });
      env.hasReset = true;
      env.totalSteps += summary.steps;
      env.totalEpisodes += summary.episodes;
      return summary;
    }
    const snapshot = session.agent.exportSnapshot();
    const local = env instanceof EnvSession ? env : undefined;
    const envPayload = local
      ? { lent: { typeId: local.type.id, config: local.config, reward: rewardSpecOf(local.resolvedReward), state: local.batch.exportState() } }
      : { hosted: env.id };
    const out = await this.pool.run(
      'agent.train',
      { snapshot, env: envPayload, episodes, steps, events: onEpisode !== undefined },
      {
        user: caller.user,
        long: true,
        worker: env instanceof RemoteEnvSession ? env.worker : undefined,
        transfer: snapshotBuffers(snapshot),
        onEvent: onEpisode && ((r) => onEpisode(r as EpisodeRecordMsg)),
        signal,
      },
    );
    session.replaceAgent(await importAgent(out.snapshot));
    if (local && out.envState) {
      local.batch.importState(out.envState);
      local.hasReset = true;
      local.totalSteps += out.summary.steps;
      local.totalEpisodes += out.summary.episodes;
    }
    return out.summary;
  }

  async evaluate(req: EvaluateRequest, caller: Caller, signal?: AbortSignal): Promise<EvaluateResponse> {
    const session = this.idle(req.id, caller, 'read');
    const env = this.envFor(req.env || session.env, caller, session.agent, 'read');
    const episodes = req.episodes === 0 ? 100 : req.episodes;
    if (!Number.isInteger(episodes) || episodes < 1 || episodes > this.limits.maxEvalEpisodes) {
      throw invalidArgument('episodes', `episodes must be an integer in [1, ${this.limits.maxEvalEpisodes}] (0 = 100), got ${req.episodes}`, 'OUT_OF_RANGE');
    }
    if (req.seed < 0 || !Number.isSafeInteger(req.seed)) throw invalidArgument('seed', `seed must be an integer >= 0, got ${req.seed}`, 'BAD_SEED');
    if (this.pool) {
      const pool = this.pool;
      // A private copy of the env on a worker: evaluation never disturbs the session.
      const recipe = { typeId: env.type.id, config: env.config, reward: rewardSpecOf(env instanceof EnvSession ? env.resolvedReward : env.reward) };
      const snapshot = await session.exclusive(() => session.agent.exportSnapshot());
      return (await pool.run(
        'agent.evaluate',
        { snapshot, env: recipe, episodes, seed: req.seed, recordTrajectories: req.recordTrajectories },
        { user: caller.user, transfer: snapshotBuffers(snapshot), signal },
      )) as EvaluateResponse;
    }
    if (!(env instanceof EnvSession)) throw new Error('a hosted env session needs a compute pool');
    // A private copy of the session's env: evaluation never disturbs the session.
    const batch = env.type.create(1, env.config, { name: env.rewardFunction, params: env.rewardParams }, req.seed);
    const result = await evaluate(batch, session.agent, { episodes, seed: req.seed, recordTrajectories: req.recordTrajectories, signal });
    return evaluationToProto(result, session.agent.observationSpace);
  }

  close(): void {
    this.agents.close();
  }

  /** The caller's agent, refusing calls that would interleave with a running Train. */
  private idle(id: string, caller: Caller, access: Access = 'write'): AgentSession {
    const session = this.agents.get(id, caller, 'id', access);
    if (session.training) throw failedPrecondition(`agent ${id} is training; cancel the Train call or wait for it`, 'AGENT_TRAINING');
    return session;
  }

  private envFor(id: string, caller: Caller, agent: Agent, access: Access = 'write'): AnyEnvSession {
    if (!id) throw invalidArgument('env', 'env is required: the agent was not created for an env session', 'MISSING_FIELD');
    const env = this.envs.sessions.get(id, caller, 'env', access);
    checkSameSpaces(env, agent, 'the agent');
    return env;
  }

  private spacesFor(
    req: CreateAgentRequest,
    caller: Caller,
  ): { observationSpace: Space; numActions: number; grid: { gridWidth?: number; gridHeight?: number }; maxEpisodeSteps?: number } {
    let observationSpace: Space;
    let actionSpace: Space;
    let grid: { gridWidth?: number; gridHeight?: number } = {};
    let maxEpisodeSteps: number | undefined;
    if (req.env) {
      if (req.observationSpace || req.actionSpace) throw invalidArgument('env', 'give either env or observation_space + action_space, not both', 'CONFLICTING_FIELDS');
      const env = this.envs.sessions.get(req.env, caller, 'env', 'read');
      maxEpisodeSteps = env.maxEpisodeSteps;
      observationSpace = env.observationSpace;
      actionSpace = env.actionSpace;
      if (env.type.id === 'GridWorld-v0') {
        const layout = gridWorldLayout(env.config);
        grid = { gridWidth: layout.width, gridHeight: layout.height };
      }
    } else {
      if (!req.observationSpace || !req.actionSpace) throw invalidArgument('env', 'env (a session id) or both observation_space and action_space are required', 'MISSING_FIELD');
      observationSpace = spaceFromProto(req.observationSpace, 'observation_space');
      actionSpace = spaceFromProto(req.actionSpace, 'action_space');
    }
    if (actionSpace.kind !== 'discrete') throw invalidArgument('action_space', 'Q-learning agents need a Discrete action space', 'UNSUPPORTED_SPACE');
    return { observationSpace, numActions: actionSpace.n, grid, maxEpisodeSteps };
  }
}

/** INVALID_ARGUMENT on `env` unless the session's spaces are the agent's. */
function checkSameSpaces(env: AnyEnvSession, agent: { observationSpace: Space; numActions: number }, what: string): void {
  const same = JSON.stringify(env.observationSpace) === JSON.stringify(agent.observationSpace) && env.actionSpace.kind === 'discrete' && env.actionSpace.n === agent.numActions;
  if (!same) throw invalidArgument('env', `env session ${env.id} has other spaces than ${what}`, 'SPACE_MISMATCH');
}




function presetToProto(p: Preset): AgentPreset {
  return {
    name: p.name,
    description: p.description,
    kind: p.kind,
    envId: p.envId,
    config: { ...p.config },
    envConfig: { ...(p.envConfig ?? {}) },
    rewardFunction: p.rewardFunction ?? '',
    rewardParams: { ...(p.rewardParams ?? {}) },
    trainEpisodes: p.trainEpisodes ?? 0,
    trainSteps: p.trainSteps ?? 0,
  };
}

function agentToProto(s: AgentSession): AgentMsg {
  const a = s.agent;
  return {
    id: s.id,
    kind: a.kind,
    owner: s.owner,
    env: s.env,
    preset: s.preset,
    config: { ...a.config },
    observationSpace: spaceToProto(a.observationSpace),
    actionSpace: spaceToProto({ kind: 'discrete', n: a.numActions, start: 0 }),
    createTime: new Date(s.createdAt),
    lastUsedTime: new Date(s.lastUsedAt),
    episodes: a.history.length,
    totalSteps: a.totalSteps,
    epsilon: a.epsilon,
    engine: a.kind === 'tabular' ? 'table' : ((a as { onlineNetwork?: { engine: string } }).onlineNetwork?.engine ?? String(a.config.engine)),
    training: s.training !== undefined,
    memoryBytes: Math.round(s.memoryBytes),
  };
}
