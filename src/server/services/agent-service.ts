import v8 from 'node:v8';
import { DomainError, failedPrecondition, invalidArgument, notFound } from '../../core/errors.js';
import type { AgentRow, RunRow, Store } from '../../store/store.js';
import type { Logger } from '../observability/logger.js';
import type { EnvBatchState } from '../../core/envs/types.js';
import { meanOf, type RunEvaluationRecord, type TrainLoopState } from '../../core/training/train.js';
import { runLoop, type RunLoopEvent, type RunLoopOptions, type RunLoopResult } from './run-loop.js';
import { TrainingRun, evaluationToProto as runEvaluationToProto, runStateName, type RunStateName } from './training-run.js';
import { RunTensorBoard, type RunTensorBoardOptions } from './run-tensorboard.js';
import { mayAccess, readOnly, seesEveryone } from '../../core/sessions/caller.js';
import { createAgent, importAgent } from '../../core/agents/create-agent.js';
import { agentConfigOptions } from '../../core/agents/agent-config.js';
import { presets, type AgentPreset as Preset } from '../../core/agents/presets.js';
import { SNAPSHOT_FORMAT, decodeSnapshot, encodeSnapshot } from '../../core/agents/snapshot-codec.js';
import { toTfjsArtifacts } from '../../core/agents/nets/tfjs-export.js';
import type { Agent, AgentSnapshot } from '../../core/agents/types.js';
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
import { evaluate } from '../../core/training/train.js';
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
  CancelRunRequest,
  CancelRunResponse,
  ExportRunCheckpointRequest,
  ExportRunCheckpointResponse,
  GetRunRequest,
  GetRunResponse,
  ListRunsRequest,
  ListRunsResponse,
  TrainingRun as TrainingRunMsg,
  TrainRequest,
  TrainResponse,
  TrainSummary,
  WatchRunRequest,
  WatchRunResponse,
  EpisodeRecord,
  UpdateQRequest,
  UpdateQResponse,
} from '../../gen/gymhost/v1/agent_service.js';
import { RunCheckpoint, RunState } from '../../gen/gymhost/v1/agent_service.js';
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
  /** Epoch ms (kept across restarts). */
  createdAt = Date.now();
  /** Aborts the running Train call, if any. */
  training: AbortController | undefined;
  /** Who started the running Train call (its concurrentTrains quota). */
  trainedBy = '';
  disposed = false;
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

/** Live events a replaying WatchRun holds while it sends the past; episode records past this are dropped. */
const MAX_QUEUED_WATCH_EVENTS = 10_000;
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
/** Replicas: training runs another replica executes, read and cancelled through the shared database. */
export interface SharedRuns {
  get(id: string): Promise<RunRow | undefined>;
  list(filter: { owner?: string; agent?: string }): Promise<RunRow[]>;
  /** Asks the replica executing `run` to cancel it and resolves once it ended (or after a bounded wait). */
  cancel(run: RunRow): Promise<void>;
  /** Whether every worker of this replica is training (a new async run then goes to the queue). */
  full(): boolean;
  /** Leaves a saved run to the queue: its agent and env are released for a replica with a free worker to take. */
  enqueue(run: RunRow): Promise<void>;
}

/** How often a watcher of a run executed by another replica reads its row, ms. */
const SHARED_RUN_POLL_MS = 500;

export class AgentService {
  /** Replicas: rows of the agents other replicas serve (of one owner, or all), for ListAgents; undefined on one server. */
  sharedAgents: ((owner: string | undefined, skip: ReadonlySet<string>) => Promise<AgentRow[]>) | undefined = undefined;
  /** Replicas: runs executed elsewhere (ReplicaLeases); undefined on one server. */
  sharedRuns: SharedRuns | undefined = undefined;
  readonly agents: SessionStore<AgentSession>;
  /** Training runs by id: running ones and those that ended (kept in the store too). */
  readonly runs = new Map<string, TrainingRun>();
  private readonly store: Store | undefined;
  private readonly logger: Logger | undefined;
  private readonly checkpointEveryMs: number;
  /** Where runs write TensorBoard event files (absent = nowhere). */
  private readonly tensorboard: RunTensorBoardOptions | undefined;

  constructor(
    private readonly envs: EnvService,
    readonly limits: AgentServiceLimits = DEFAULT_AGENT_LIMITS,
    private readonly usage?: UsageTracker,
    private readonly metrics?: Pick<Metrics, 'trainingSteps' | 'trainEpisodes'>,
    /** Worker threads for costly calls, Train and Evaluate (the server's); absent = all inline. */
    private readonly pool?: ComputePool,
    /** Where agents and runs are kept (absent = nowhere), and how often running runs are checkpointed. */
    persistence: { store?: Store; logger?: Logger; checkpointEveryMs?: number; tensorboard?: RunTensorBoardOptions } = {},
  ) {
    this.store = persistence.store;
    this.logger = persistence.logger;
    this.checkpointEveryMs = persistence.checkpointEveryMs ?? 2000;
    this.tensorboard = persistence.tensorboard;
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
    await this.saveNew(session);
    return { agent: agentToProto(session) };
  }

  /** Writes a new agent's row before its creation is answered; undoes the creation if that fails. */
  private async saveNew(session: AgentSession): Promise<void> {
    if (!this.store?.durable) return;
    try {
      await this.store.putAgent(agentRow(session));
    } catch (err) {
      this.agents.discard(session.id);
      throw err;
    }
  }

  /** Live agents as the periodic save sees them: id, last use, whether a run holds them, and a way to snapshot them. */
  *saveCandidates(): Generator<{ id: string; lastUsedAt: number; training: boolean; snapshot: () => Promise<Uint8Array> }> {
    for (const a of this.agents.values()) {
      yield { id: a.id, lastUsedAt: a.lastUsedAt, training: a.training !== undefined, snapshot: async () => encodeSnapshot(await a.exclusive(() => a.agent.exportSnapshot())) };
    }
  }

  /** The env session agent `id` was made for ('' if none, undefined if the agent is not here). */
  envOf(id: string): string | undefined {
    return this.agents.has(id) ? this.agents.get(id, { user: '', role: 'admin' }, 'id', 'read').env : undefined;
  }

  /** Whether agent `id` is served here. */
  hasAgent(id: string): boolean {
    return this.agents.has(id);
  }

  /**
   * Hands an agent over to another replica: takes it out (later calls here miss it), snapshots
   * it after every call already queued on it and saves that with `save`; then frees it. If the
   * save fails, the agent is put back and serves on here. Answers false when it is not here;
   * HANDOVER_BUSY while it trains.
   */
  async handOver(id: string, save: (snapshot: Uint8Array) => Promise<void>): Promise<boolean> {
    const a = this.agents.take(id);
    if (!a) return false;
    try {
      if (a.training !== undefined) throw new DomainError('UNAVAILABLE', `agent ${id} is training on another replica; it moves once the run ends`, '', 'HANDOVER_BUSY');
      await save(encodeSnapshot(await a.exclusive(() => a.agent.exportSnapshot())));
    } catch (err) {
      this.agents.restore(a);
      throw err;
    }
    a.dispose?.();
    return true;
  }

  /** Stops serving an agent another replica took over (this replica's lease on it was lost): freed, its row left alone. */
  dropLost(id: string): void {
    this.agents.take(id)?.dispose?.();
  }

  /** Puts an agent back from its row (start-up). */
  async restoreAgent(row: AgentRow): Promise<void> {
    const agent = await importAgent(decodeSnapshot(row.snapshot, 'snapshot'));
    const session = new AgentSession(row.id, row.owner, agent, row.env, row.preset, row.memoryBytes);
    session.createdAt = row.createdAt;
    this.agents.restore(session);
  }

  getAgent(req: GetAgentRequest, caller: Caller): GetAgentResponse {
    return { agent: agentToProto(this.agents.get(req.id, caller, 'id', 'read')) };
  }

  listAgents(req: ListAgentsRequest, caller: Caller): ListAgentsResponse | Promise<ListAgentsResponse> {
    const here = { agents: this.agents.list(caller).filter((a) => !req.owner || a.owner === req.owner).map(agentToProto) };
    if (!this.sharedAgents) return here;
    return this.withOtherReplicas(here, req, caller);
  }

  /**
   * Replicas: the agents served here, then those other replicas serve, read from their rows
   * (as of their last save; without a last-use time).
   */
  private async withOtherReplicas(here: ListAgentsResponse, req: ListAgentsRequest, caller: Caller): Promise<ListAgentsResponse> {
    const owner = req.owner || (seesEveryone(caller) ? undefined : caller.user);
    const rows = (await this.sharedAgents!(owner, new Set(here.agents.map((a) => a.id)))).filter((r) => mayAccess(caller, r.owner, 'read') && (seesEveryone(caller) || r.owner === caller.user));
    const others: AgentMsg[] = [];
    for (const row of rows) {
      try {
        const agent = await importAgent(decodeSnapshot(row.snapshot, 'snapshot'));
        const session = new AgentSession(row.id, row.owner, agent, row.env, row.preset, row.memoryBytes);
        session.createdAt = row.createdAt;
        others.push({ ...agentToProto(session), lastUsedTime: undefined });
        agent.dispose();
      } catch {
        // A row this server cannot read (e.g. an engine it lacks) is left out of the list.
      }
    }
    return { agents: [...here.agents, ...others].sort((a, b) => (a.createTime?.getTime() ?? 0) - (b.createTime?.getTime() ?? 0) || (a.id < b.id ? -1 : 1)) };
  }

  async deleteAgent(req: DeleteAgentRequest, caller: Caller): Promise<DeleteAgentResponse> {
    const session = this.agents.get(req.id, caller, 'id', 'delete');
    await this.store?.deleteAgent(session.id);
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
    await this.saveNew(session);
    return { agent: agentToProto(session) };
  }

  /**
   * Starts a training run on an env session. Blocking (the default): resolves with the
   * summary once it has ended, `onEvent` (if given) getting each episode's record and each
   * evaluation, and `signal` cancelling it. Async (`req.async`): resolves with the run at
   * once (durable by then) and the run goes on without the call.
   */
  async train(
    req: TrainRequest,
    caller: Caller,
    onEvent: ((e: Extract<TrainResponse['event'], { $case: 'episode' | 'evaluation' }>) => void | Promise<void>) | undefined,
    signal?: AbortSignal,
  ): Promise<{ summary?: TrainSummary; run?: TrainingRunMsg }> {
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
    checkRunOptions(req, this.limits.maxEvalEpisodes);
    if (req.async && req.stream) throw invalidArgument('stream', 'async and stream exclude each other: an async run is followed with WatchRun', 'CONFLICTING_FIELDS');
    this.usage?.checkCreate(caller, 'concurrentTrains', 0, 'this Train call');
    const request: TrainRequest = { ...req, env: env.id, evalEpisodes: req.evalEverySteps > 0 ? req.evalEpisodes || DEFAULT_EVAL_EPISODES : req.evalEpisodes };
    const run = new TrainingRun(TrainingRun.newId(session.id), caller.user, session.id, env.id, request, Date.now(), TrainingRun.initialLoop(req.evalEverySteps));
    const controller = new AbortController();
    this.claim(run, session, env, caller.user, controller);
    try {
      // The run, the agent and the env as it starts: what a crash before its first checkpoint goes back to.
      if (this.store) await this.saveCheckpoint(run, session, env, session.agent.exportSnapshot(), undefined);
    } catch (err) {
      this.release(run, session, env);
      throw err;
    }
    if (req.async && this.sharedRuns?.full()) {
      // Replicas: this one's workers are all training; the run waits in the queue (its row,
      // saved above) for a replica with a free worker, this one included.
      this.release(run, session, env);
      await this.sharedRuns.enqueue(run.toRow());
      return { run: run.toProto() };
    }
    this.runs.set(run.id, run);
    // Watching before the loop starts: its first episodes run before its first await.
    const unwatch = onEvent && !req.async ? run.watch((e) => (e.$case === 'run' ? undefined : onEvent(e))) : undefined;
    const finished = this.execute(run, session, env, caller.user, controller);
    if (req.async) {
      finished.catch(() => undefined);
      return { run: run.toProto() };
    }
    const abort = () => controller.abort('cancel');
    signal?.addEventListener('abort', abort);
    if (signal?.aborted) abort();
    try {
      await finished;
    } finally {
      signal?.removeEventListener('abort', abort);
      unwatch?.();
    }
    return { summary: summaryOf(run) };
  }

  /** Marks the agent and env as busy with `run`. */
  private claim(run: TrainingRun, session: AgentSession, env: AnyEnvSession, user: string, controller: AbortController): void {
    run.controller = controller;
    session.training = controller;
    session.trainedBy = user;
    env.busyWith = `training agent ${session.id} (run ${run.id})`;
  }

  private release(run: TrainingRun, session: AgentSession, env: AnyEnvSession): void {
    run.controller = undefined;
    session.training = undefined;
    env.busyWith = undefined;
  }

  /**
   * Runs `run` to its end (or until the server stops it), saving checkpoints, evaluations
   * and the best agent as they come, and the final agent, env and run at the end.
   */
  private async execute(run: TrainingRun, session: AgentSession, env: AnyEnvSession, user: string, controller: AbortController): Promise<void> {
    const touch = () => {
      session.lastUsedAt = Date.now();
      env.lastUsedAt = Date.now();
    };
    const stoppedForShutdown = () => controller.signal.aborted && controller.signal.reason === 'shutdown';
    // A new event file per start; a resumed run goes on from its checkpoint's step.
    const tensorboard = this.tensorboard && new RunTensorBoard(run, this.tensorboard, run.resumes > 0 ? run.loop.steps : undefined);
    const onEvent = async (e: RunLoopEvent): Promise<void> => {
      touch();
      if (e.kind === 'episode') {
        this.metrics?.trainEpisodes.inc();
        const l = run.loop;
        const recent = [...l.recentReturns, e.record.episodeReturn].slice(-100);
        run.loop = { ...l, episodes: l.episodes + 1, steps: l.steps + e.record.length, recentReturns: recent, lastReturn: e.record.episodeReturn };
        run.updatedAt = Date.now();
        run.history.push(e.record);
        tensorboard?.episode(e.record, run.loop.steps);
        return run.publish({ $case: 'episode', value: e.record });
      }
      if (e.kind === 'evaluation') {
        const l = run.loop;
        run.loop = { ...l, evaluations: [...l.evaluations, e.evaluation], bestEvaluation: e.best ? e.evaluation.index : l.bestEvaluation };
        tensorboard?.evaluation(e.evaluation);
        if (e.best && e.snapshot) {
          await this.store?.putRunCheckpoint({ runId: run.id, which: 'best', steps: e.evaluation.steps, evaluation: e.evaluation, snapshot: encodeSnapshot(e.snapshot) }).catch((err) => this.warn(err, run));
        }
        return run.publish({ $case: 'evaluation', value: runEvaluationToProto(e.evaluation) });
      }
      if (stoppedForShutdown()) return;
      await this.saveCheckpoint(run, session, env, e.snapshot, e.envState, e.loop).catch((err) => this.warn(err, run));
    };
    let state: RunStateName = 'succeeded';
    let error = '';
    try {
      const result = await session.exclusive(() => this.runLoop(run, session, env, user, controller.signal, onEvent));
      touch();
      this.metrics?.trainingSteps.inc(result.steps);
      this.usage?.countSteps(run.owner, result.steps, 'training');
      run.loop = result.loop;
      if (result.cancelled) state = 'cancelled';
    } catch (err) {
      state = 'failed';
      error = err instanceof DomainError ? err.message : 'internal error';
      if (!(err instanceof DomainError)) this.logger?.error({ err, run: run.id }, 'training run failed');
    }
    // Its event file is complete once the run has ended (or stopped for a shutdown).
    if (tensorboard) await tensorboard.close();
    if (stoppedForShutdown()) {
      // The agent and env stay claimed: the last saves of the shutdown leave them at the run's
      // last checkpoint, which the run resumes from on the next start.
      run.detach();
      return;
    }
    if (session.disposed && state !== 'failed') {
      state = 'failed';
      error = `agent ${session.id} was deleted during the run`;
    }
    run.state = state;
    run.error = error;
    run.endedAt = Date.now();
    run.updatedAt = run.endedAt;
    // The final save before the agent and env are free for other calls.
    if (this.store) {
      try {
        if (!session.disposed) await this.saveCheckpoint(run, session, env, session.agent.exportSnapshot(), undefined);
        else await this.store.putRun(run.toRow());
      } catch (err) {
        this.warn(err, run);
      }
    }
    this.release(run, session, env);
    run.end(state, error);
  }

  /** Writes a run's checkpoint: the run, the agent's snapshot and the env's state (given, or the session's own). */
  private async saveCheckpoint(run: TrainingRun, session: AgentSession, env: AnyEnvSession, snapshot: AgentSnapshot, envState: unknown, loop?: TrainLoopState): Promise<void> {
    if (loop) run.loop = loop;
    if (!this.store) return;
    const now = Date.now();
    const previous = { steps: run.checkpointSteps, time: run.checkpointTime };
    run.checkpointSteps = run.loop.steps;
    run.checkpointTime = now;
    run.updatedAt = now;
    let state: Uint8Array | undefined;
    if (env instanceof EnvSession) {
      const own = env.exportState();
      state = serializeState(envState ? { ...own, batch: envState as EnvBatchState, hasReset: true } : own);
    } else if (envState) {
      state = serializeState(envState);
    }
    try {
      await this.store.checkpointRun({ run: run.toRow(), agent: { id: session.id, snapshot: encodeSnapshot(snapshot) }, env: state && { id: env.id, state } });
    } catch (err) {
      run.checkpointSteps = previous.steps;
      run.checkpointTime = previous.time;
      throw err;
    }
  }

  private warn(err: unknown, run: TrainingRun): void {
    this.logger?.warn({ err: (err as Error)?.message ?? String(err), run: run.id }, 'could not save a training run checkpoint; the run goes on');
  }

  /**
   * The loop itself: on a worker (long task) over a copy of the agent and either a copy of
   * the env (a session of this thread: its state goes there and back) or the env session
   * the worker hosts; in-process without a pool.
   */
  private async runLoop(
    run: TrainingRun,
    session: AgentSession,
    env: AnyEnvSession,
    user: string,
    signal: AbortSignal,
    onEvent: (e: RunLoopEvent) => Promise<void>,
  ): Promise<Omit<RunLoopResult, 'best'>> {
    const r = run.request;
    const options: RunLoopOptions = {
      episodes: r.episodes,
      steps: r.steps,
      evaluation:
        r.evalEverySteps > 0
          ? { everySteps: r.evalEverySteps, episodes: r.evalEpisodes || DEFAULT_EVAL_EPISODES, seed: r.evalSeed, stopAtMeanReward: r.stopAtMeanReward, keepBest: r.keepBest }
          : undefined,
      checkpointEveryMs: this.store?.durable ? this.checkpointEveryMs : 0,
      resume: run.loop.steps > 0 || run.loop.episodes > 0 || run.loop.evaluations.length > 0 ? run.loop : undefined,
    };
    const remaining = remainingBudget(options);
    const recipe = { typeId: env.type.id, config: env.config, reward: rewardSpecOf(env instanceof EnvSession ? env.resolvedReward : env.reward) };
    if (!this.pool) {
      if (!(env instanceof EnvSession)) throw new Error('a hosted env session needs a compute pool');
      const before = { steps: env.totalSteps, episodes: env.totalEpisodes };
      const result = remaining
        ? await runLoop(env.batch, session.agent, options, () => env.type.create(1, env.config, { name: env.rewardFunction, params: env.rewardParams }, undefined), () => env.batch.exportState(), onEvent, signal)
        : idleResult(run.loop);
      env.hasReset = true;
      env.restoredMidEpisode = false;
      env.totalSteps = before.steps + result.steps;
      env.totalEpisodes = before.episodes + result.episodes;
      if (result.best) session.replaceAgent(await importAgent(result.best));
      const { best: _best, ...rest } = result;
      return rest;
    }
    if (!remaining) return idleResult(run.loop);
    const snapshot = session.agent.exportSnapshot();
    const local = env instanceof EnvSession ? env : undefined;
    const envPayload = local ? { lent: { ...recipe, state: local.batch.exportState() } } : { hosted: env.id };
    const out = await this.pool.run(
      'agent.train',
      { snapshot, env: envPayload, options, evalEnv: recipe },
      {
        user,
        long: true,
        worker: env instanceof RemoteEnvSession ? env.worker : undefined,
        transfer: snapshotBuffers(snapshot),
        onEvent: (e) => onEvent(e as RunLoopEvent),
        signal,
      },
    );
    // Stopped for a shutdown: what the worker did since the last checkpoint is dropped.
    if (signal.aborted && signal.reason === 'shutdown') return out.result;
    session.replaceAgent(await importAgent(out.snapshot));
    if (local && out.envState) {
      local.batch.importState(out.envState);
      local.hasReset = true;
      local.restoredMidEpisode = false;
      local.totalSteps += out.result.steps;
      local.totalEpisodes += out.result.episodes;
    }
    return out.result;
  }

  /** Resumes a run found running in the store at start-up (its agent and env restored to its last checkpoint). */
  resumeRun(run: TrainingRun): void {
    this.runs.set(run.id, run);
    if (!run.running) return;
    const fail = (why: string) => {
      run.end('failed', why);
      void this.store?.putRun(run.toRow()).catch((err) => this.warn(err, run));
    };
    const admin: Caller = { user: run.owner, role: 'admin' };
    let session: AgentSession;
    let env: AnyEnvSession;
    try {
      session = this.agents.get(run.agent, admin, 'agent');
      env = this.envs.sessions.get(run.env, admin, 'env');
    } catch (err) {
      fail(`it could not be resumed after a restart: ${(err as Error).message}`);
      return;
    }
    run.resumes++;
    const controller = new AbortController();
    this.claim(run, session, env, run.owner, controller);
    this.execute(run, session, env, run.owner, controller).catch(() => undefined);
  }

  /** Whether a run stopped by a shutdown resumes when the server starts again (the store keeps data). */
  get runsResumeAfterRestart(): boolean {
    return this.store?.durable === true;
  }

  /** Stops every running run so that it resumes from its last checkpoint on the next start (SIGTERM). */
  async stopRunsForShutdown(): Promise<void> {
    const running = [...this.runs.values()].filter((r) => r.running && r.controller);
    for (const r of running) r.controller!.abort('shutdown');
    await Promise.all(running.map((r) => r.whenEnded()));
  }

  async getRun(req: GetRunRequest, caller: Caller): Promise<GetRunResponse> {
    return { run: (await this.runOrRow(req.id, caller, 'read')).toProto() };
  }

  async listRuns(req: ListRunsRequest, caller: Caller): Promise<ListRunsResponse> {
    const state = req.state === RunState.RUN_STATE_UNSPECIFIED ? undefined : runStateName(req.state);
    if (req.state !== RunState.RUN_STATE_UNSPECIFIED && !state) throw invalidArgument('state', `state must be a RunState (RUN_STATE_RUNNING, _SUCCEEDED, _CANCELLED, _FAILED), got ${req.state}`, 'OUT_OF_RANGE');
    const all = new Map(this.runs);
    if (this.sharedRuns) {
      // Runs of other replicas, as their last checkpoint wrote them (this replica's own are live).
      const owner = req.owner || (seesEveryone(caller) ? undefined : caller.user);
      for (const row of await this.sharedRuns.list({ owner, agent: req.agent || undefined })) if (!all.has(row.id)) all.set(row.id, TrainingRun.fromRow(row));
    }
    const runs = [...all.values()]
      .filter((r) => mayAccess(caller, r.owner, 'read') && (seesEveryone(caller) || r.owner === caller.user))
      .filter((r) => (!req.agent || r.agent === req.agent) && (!req.owner || r.owner === req.owner) && (!state || r.state === state))
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    return { runs: runs.map((r) => r.toProto()) };
  }

  async cancelRun(req: CancelRunRequest, caller: Caller): Promise<CancelRunResponse> {
    if (this.sharedRuns && !this.runs.has(req.id)) {
      const row = await this.sharedRunRow(req.id, caller, 'write');
      if (row.state === 'running') await this.sharedRuns.cancel(row);
      return { run: TrainingRun.fromRow((await this.sharedRuns.get(req.id)) ?? row).toProto() };
    }
    const run = this.runOf(req.id, caller, 'write');
    if (run.running) {
      run.controller?.abort('cancel');
      await run.whenEnded();
    }
    return { run: run.toProto() };
  }

  /** WatchRun: the run now, its events as they come, the run as it ended; resolves when it has ended. */
  async watchRun(req: WatchRunRequest, caller: Caller, emit: (e: WatchRunResponse['event']) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    if (this.sharedRuns && !this.runs.has(req.id)) return this.watchSharedRun(req, caller, emit, signal);
    const run = this.runOf(req.id, caller, 'read');
    const first = run.toProto();
    if (!run.running) {
      await emit({ $case: 'run', value: first });
      if (req.replay) await this.replay(run.history.records(), emit, signal);
      return;
    }
    // Watch from now on; with replay, events that come while the past is sent wait in `queued`.
    let queued: WatchRunResponse['event'][] | undefined = req.replay ? [] : undefined;
    const past = req.replay ? run.history.records() : [];
    let behind: Promise<void> | undefined;
    const unwatch = run.watch((e) => {
      if (queued) {
        // A watcher far behind misses episode records (evaluations and the final run always go out).
        if (e.$case !== 'episode' || queued.length < MAX_QUEUED_WATCH_EVENTS) queued.push(e);
        return;
      }
      // A slow watcher does not hold the run: it misses episode records while its stream is
      // full (evaluations and the final run always go out).
      if (behind && e.$case === 'episode') return;
      const out = emit(e);
      if (out instanceof Promise) behind = out.finally(() => (behind = undefined));
    });
    try {
      await emit({ $case: 'run', value: first });
      if (queued) {
        await this.replay(past, emit, signal);
        while (queued.length > 0 && !signal?.aborted) await emit(queued.shift());
        queued = undefined;
      }
      await Promise.race([run.whenEnded(), new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()))]);
    } finally {
      unwatch();
    }
  }

  /** Sends past episode records of a run, waiting whenever the stream is full. */
  private async replay(records: readonly EpisodeRecord[], emit: (e: WatchRunResponse['event']) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    for (const value of records) {
      if (signal?.aborted) return;
      const out = emit({ $case: 'episode', value });
      if (out instanceof Promise) await out;
    }
  }

  async exportRunCheckpoint(req: ExportRunCheckpointRequest, caller: Caller): Promise<ExportRunCheckpointResponse> {
    const run = await this.runOrRow(req.id, caller, 'read');
    const which = req.checkpoint === RunCheckpoint.RUN_CHECKPOINT_LAST ? 'last' : req.checkpoint === RunCheckpoint.RUN_CHECKPOINT_UNSPECIFIED || req.checkpoint === RunCheckpoint.RUN_CHECKPOINT_BEST ? 'best' : undefined;
    if (!which) throw invalidArgument('checkpoint', `checkpoint must be RUN_CHECKPOINT_BEST or RUN_CHECKPOINT_LAST, got ${req.checkpoint}`, 'OUT_OF_RANGE');
    const row = await this.store?.getRunCheckpoint(run.id, which);
    if (!row) {
      throw failedPrecondition(
        which === 'best'
          ? `run ${run.id} has no evaluated agent: give eval_every_steps to Train to keep the best one (or its agent was deleted)`
          : `run ${run.id} has no saved last checkpoint: only an agent's latest run keeps one, and not after the agent is deleted`,
        'NO_CHECKPOINT',
        'checkpoint',
      );
    }
    const evaluation = row.evaluation as RunEvaluationRecord | null;
    return { format: SNAPSHOT_FORMAT, data: Buffer.from(row.snapshot), steps: row.steps, evaluation: evaluation ? runEvaluationToProto(evaluation) : undefined };
  }

  /**
   * WatchRun of a run another replica executes: the run as its last checkpoint wrote it, then
   * its new evaluations and the run again at each checkpoint (read every SHARED_RUN_POLL_MS)
   * until it ends. Episode records stay with the executing replica (and `replay` gets none).
   */
  private async watchSharedRun(req: WatchRunRequest, caller: Caller, emit: (e: WatchRunResponse['event']) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    let row = await this.sharedRunRow(req.id, caller, 'read');
    let run = TrainingRun.fromRow(row);
    await emit({ $case: 'run', value: run.toProto() });
    let seenEvaluations = run.loop.evaluations.length;
    let updatedAt = row.updatedAt;
    while (run.running && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SHARED_RUN_POLL_MS);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (signal?.aborted) return;
      const next = await this.sharedRuns!.get(req.id);
      if (!next) return;
      row = next;
      if (row.updatedAt === updatedAt) continue;
      updatedAt = row.updatedAt;
      run = TrainingRun.fromRow(row);
      for (const e of run.loop.evaluations.slice(seenEvaluations)) await emit({ $case: 'evaluation', value: runEvaluationToProto(e) });
      seenEvaluations = run.loop.evaluations.length;
      await emit({ $case: 'run', value: run.toProto() });
    }
  }

  /** Run `id` from this replica's runs, else (replicas) from the shared database; the same access checks as runOf. */
  private async runOrRow(id: string, caller: Caller, access: Access): Promise<TrainingRun> {
    if (!this.sharedRuns || this.runs.has(id)) return this.runOf(id, caller, access);
    return TrainingRun.fromRow(await this.sharedRunRow(id, caller, access));
  }

  private async sharedRunRow(id: string, caller: Caller, access: Access): Promise<RunRow> {
    if (!id) throw invalidArgument('id', 'id is required', 'MISSING_ID');
    const row = await this.sharedRuns!.get(id);
    if (row && !mayAccess(caller, row.owner, access) && mayAccess(caller, row.owner, 'read')) throw readOnly(`training run '${id}'`, 'id');
    if (!row || !mayAccess(caller, row.owner, access)) throw notFound('id', `training run '${id}' does not exist`, 'RUN_NOT_FOUND');
    return row;
  }

  /** Run `id` if `caller` may access it; PERMISSION_DENIED if it may only read it; NOT_FOUND like a missing id otherwise. */
  private runOf(id: string, caller: Caller, access: Access): TrainingRun {
    if (!id) throw invalidArgument('id', 'id is required', 'MISSING_ID');
    const run = this.runs.get(id);
    if (run && !mayAccess(caller, run.owner, access) && mayAccess(caller, run.owner, 'read')) throw readOnly(`training run '${id}'`, 'id');
    if (!run || !mayAccess(caller, run.owner, access)) throw notFound('id', `training run '${id}' does not exist`, 'RUN_NOT_FOUND');
    return run;
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
      const cells = env.type.stateGrid?.(env.config);
      if (cells) grid = { gridWidth: cells.width, gridHeight: cells.height };
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

/** Evaluation episodes when eval_every_steps is given without eval_episodes. */
export const DEFAULT_EVAL_EPISODES = 10;

/** INVALID_ARGUMENT for Train options that do not fit together or are out of range. */
function checkRunOptions(req: TrainRequest, maxEvalEpisodes: number): void {
  if (!Number.isSafeInteger(req.evalEverySteps) || req.evalEverySteps < 0) {
    throw invalidArgument('eval_every_steps', `eval_every_steps must be an integer >= 0 (0 = no evaluations), got ${req.evalEverySteps}`, 'OUT_OF_RANGE');
  }
  if (!Number.isSafeInteger(req.evalEpisodes) || req.evalEpisodes < 0 || req.evalEpisodes > maxEvalEpisodes) {
    throw invalidArgument('eval_episodes', `eval_episodes must be an integer in [0, ${maxEvalEpisodes}] (0 = ${DEFAULT_EVAL_EPISODES}), got ${req.evalEpisodes}`, 'OUT_OF_RANGE');
  }
  if (!Number.isSafeInteger(req.evalSeed) || req.evalSeed < 0) throw invalidArgument('eval_seed', `eval_seed must be an integer >= 0, got ${req.evalSeed}`, 'BAD_SEED');
  const evaluates = req.evalEverySteps > 0;
  if (!evaluates && req.evalEpisodes > 0) throw invalidArgument('eval_episodes', 'eval_episodes needs eval_every_steps > 0', 'NEEDS_EVALUATION');
  if (!evaluates && req.keepBest) throw invalidArgument('keep_best', 'keep_best needs eval_every_steps > 0: the best agent is the best evaluated one', 'NEEDS_EVALUATION');
  if (req.stopAtMeanReward !== undefined) {
    if (!evaluates) throw invalidArgument('stop_at_mean_reward', 'stop_at_mean_reward needs eval_every_steps > 0: evaluations decide when to stop', 'NEEDS_EVALUATION');
    if (!Number.isFinite(req.stopAtMeanReward)) throw invalidArgument('stop_at_mean_reward', `stop_at_mean_reward must be a finite number, got ${req.stopAtMeanReward}`, 'OUT_OF_RANGE');
  }
}

/** Whether a run still has budget left (a resumed run may have none: it ended just before its last save). */
function remainingBudget(o: RunLoopOptions): boolean {
  const l = o.resume;
  if (!l) return true;
  if (l.reachedThreshold) return false;
  return o.episodes > 0 ? l.episodes < o.episodes : l.steps < o.steps;
}

function idleResult(loop: TrainLoopState): Omit<RunLoopResult, 'best'> & { best?: AgentSnapshot } {
  return { loop, cancelled: false, steps: 0, episodes: 0, wallTimeMs: 0, meanReturn100: meanOf(loop.recentReturns), lastReturn: loop.lastReturn };
}

/** A blocking Train call's summary of its (ended) run. */
function summaryOf(run: TrainingRun): TrainSummary {
  const p = run.toProto();
  return {
    episodes: p.episodes,
    steps: p.steps,
    wallTimeMs: p.wallTimeMs,
    meanReturn100: p.meanReturn100,
    lastReturn: p.lastReturn,
    cancelled: run.state === 'cancelled',
    run: run.id,
    bestEvaluation: p.bestEvaluation === undefined ? undefined : p.evaluations[p.bestEvaluation],
    reachedThreshold: p.reachedThreshold,
  };
}

/** An env session's state as the store keeps it. */
export function serializeState(state: unknown): Uint8Array {
  return v8.serialize(state);
}

function agentRow(s: AgentSession): AgentRow {
  return { id: s.id, owner: s.owner, env: s.env, preset: s.preset, createdAt: s.createdAt, memoryBytes: s.memoryBytes, snapshot: encodeSnapshot(s.agent.exportSnapshot()) };
}
