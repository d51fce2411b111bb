import { failedPrecondition, invalidArgument } from '../../core/errors.js';
import { createAgent, importAgent } from '../../core/agents/create-agent.js';
import { agentConfigOptions } from '../../core/agents/agent-config.js';
import { presets, type AgentPreset as Preset } from '../../core/agents/presets.js';
import { SNAPSHOT_FORMAT, decodeSnapshot, encodeSnapshot } from '../../core/agents/snapshot-codec.js';
import { toTfjsArtifacts } from '../../core/agents/nets/tfjs-export.js';
import type { Agent, Transition } from '../../core/agents/types.js';
import { gridWorldLayout } from '../../core/envs/gridworld.js';
import { SessionStore, type Access, type Caller, type StoredSession } from '../../core/sessions/session-store.js';
import { estimateAgentBytes } from '../../core/agents/memory.js';
import type { UsageTracker } from '../usage.js';
import type { Metrics } from '../observability/metrics.js';
import type { EnvSession } from '../../core/sessions/env-session.js';
import { spaceSize, type Space } from '../../core/spaces.js';
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
  Transition as TransitionMsg,
  UpdateQRequest,
  UpdateQResponse,
} from '../../gen/gymhost/v1/agent_service.js';
import type { SpaceValue } from '../../gen/gymhost/v1/spaces.js';
import type { EnvService } from './env-service.js';
import { optionToProto } from './options-proto.js';
import { spaceFromProto, spaceToProto, tensorValues, toTensor } from './tensors.js';
import type { EpisodeRecord } from '../../core/agents/types.js';

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

  constructor(
    readonly id: string,
    readonly owner: string,
    readonly agent: Agent,
    readonly env: string,
    readonly preset: string,
    /** Estimated bytes held (estimateAgentBytes), for the memoryBytes quota. */
    readonly memoryBytes: number,
  ) {}

  dispose(): void {
    this.training?.abort();
    this.agent.dispose();
  }
}

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
    private readonly metrics?: Pick<Metrics, 'trainingSteps'>,
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
    const agent = await createAgent(kind, bound.observationSpace, bound.numActions, config, bound.grid);
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

  chooseAction(req: ChooseActionRequest, caller: Caller): ChooseActionResponse {
    const { agent } = this.idle(req.id, caller);
    const state = stateValues(agent.observationSpace, req.state, 'state');
    const q = new Float32Array(agent.numActions);
    const action = agent.chooseAction(state, !req.greedy, q);
    return { action, qValues: Array.from(q), explored: agent.lastExplored, epsilon: agent.epsilon };
  }

  updateQ(req: UpdateQRequest, caller: Caller): UpdateQResponse {
    const { agent } = this.idle(req.id, caller);
    if (req.transition && req.transitions.length > 0) {
      throw invalidArgument('transitions', 'give either transition or transitions, not both', 'CONFLICTING_FIELDS');
    }
    const given = req.transition ? [{ t: req.transition, field: 'transition' }] : req.transitions.map((t, i) => ({ t, field: `transitions[${i}]` }));
    if (given.length === 0) throw invalidArgument('transition', 'transition (or transitions) is required: {state, action, reward, next_state, done}', 'MISSING_FIELD');
    // Check every transition before applying any, so a bad one changes nothing.
    const transitions = given.map(({ t, field }) => transitionFromProto(agent, t, field));
    let lossSum = 0;
    let lossCount = 0;
    let gradientSteps = 0;
    const tdErrors: number[] = [];
    const newQ: number[] = [];
    for (const t of transitions) {
      const r = agent.updateQ(t);
      tdErrors.push(r.tdError);
      if (r.newQ !== undefined) newQ.push(r.newQ);
      if (!Number.isNaN(r.loss)) {
        lossSum += r.loss * Math.max(1, r.gradientSteps);
        lossCount += Math.max(1, r.gradientSteps);
      }
      gradientSteps += r.gradientSteps;
    }
    return { loss: lossCount ? lossSum / lossCount : Number.NaN, tdErrors, newQ, gradientSteps };
  }

  endEpisode(req: EndEpisodeRequest, caller: Caller): EndEpisodeResponse {
    const { agent } = this.idle(req.id, caller);
    if (!Number.isFinite(req.episodeReturn)) throw invalidArgument('episode_return', `episode_return must be a finite number, got ${req.episodeReturn}`, 'NOT_FINITE');
    if (!Number.isInteger(req.length) || req.length < 0) throw invalidArgument('length', `length must be an integer >= 0, got ${req.length}`, 'OUT_OF_RANGE');
    const r = agent.endEpisode(req.episodeReturn, req.length);
    return { record: recordToProto(r.record), loss: r.loss, gradientSteps: r.gradientSteps, epsilon: r.epsilon, targetSynced: r.targetSynced };
  }

  getHistory(req: GetHistoryRequest, caller: Caller): GetHistoryResponse {
    const { agent } = this.agents.get(req.id, caller, 'id', 'read');
    if (req.offset < 0) throw invalidArgument('offset', `offset must be >= 0, got ${req.offset}`, 'OUT_OF_RANGE');
    if (req.limit < 0) throw invalidArgument('limit', `limit must be >= 0 (0 = all), got ${req.limit}`, 'OUT_OF_RANGE');
    const end = req.limit === 0 ? undefined : req.offset + req.limit;
    return { records: agent.history.slice(req.offset, end).map(recordToProto), total: agent.history.length };
  }

  getQ(req: GetQRequest, caller: Caller): GetQResponse {
    const { agent } = this.agents.get(req.id, caller, 'id', 'read');
    const space = agent.observationSpace;
    const size = spaceSize(space);
    let states: Float32Array;
    let count: number;
    if (req.states.length === 0) {
      if (agent.kind !== 'tabular' || space.kind !== 'discrete') {
        throw invalidArgument('states', 'states are required for a DQN agent (the whole table exists only for tabular agents)', 'MISSING_FIELD');
      }
      count = space.n;
      states = Float32Array.from({ length: count }, (_, i) => space.start + i);
    } else {
      count = req.states.length;
      if (count > 100_000) throw invalidArgument('states', `at most 100000 states per call, got ${count}`, 'TOO_MANY');
      states = new Float32Array(count * size);
      req.states.forEach((s, i) => states.set(stateValues(space, s, `states[${i}]`), i * size));
    }
    return { q: toTensor(agent.qValues(states, count), [count, agent.numActions]) };
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
   * Runs the training loop on an env session; `onEpisode` gets each episode's record.
   * Resolves with the summary (cancelled when `signal` aborts or the agent is deleted).
   */
  async train(req: TrainRequest, caller: Caller, onEpisode: (r: EpisodeRecordMsg) => void | Promise<void>, signal?: AbortSignal): Promise<TrainSummary> {
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
    try {
      const summary = await train(env.batch, session.agent, {
        episodes: episodes || undefined,
        steps: steps || undefined,
        signal: controller.signal,
        onEpisode: (r: EpisodeRecord) => {
          session.lastUsedAt = Date.now();
          env.lastUsedAt = Date.now();
          return onEpisode(recordToProto(r));
        },
      });
      env.hasReset = true;
      this.metrics?.trainingSteps.inc(summary.steps);
      env.totalSteps += summary.steps;
      env.totalEpisodes += summary.episodes;
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

  async evaluate(req: EvaluateRequest, caller: Caller, signal?: AbortSignal): Promise<EvaluateResponse> {
    const session = this.idle(req.id, caller, 'read');
    const env = this.envFor(req.env || session.env, caller, session.agent, 'read');
    const episodes = req.episodes === 0 ? 100 : req.episodes;
    if (!Number.isInteger(episodes) || episodes < 1 || episodes > this.limits.maxEvalEpisodes) {
      throw invalidArgument('episodes', `episodes must be an integer in [1, ${this.limits.maxEvalEpisodes}] (0 = 100), got ${req.episodes}`, 'OUT_OF_RANGE');
    }
    if (req.seed < 0 || !Number.isSafeInteger(req.seed)) throw invalidArgument('seed', `seed must be an integer >= 0, got ${req.seed}`, 'BAD_SEED');
    // A private copy of the session's env: evaluation never disturbs the session.
    const batch = env.type.create(1, env.config, { name: env.rewardFunction, params: env.rewardParams }, req.seed);
    const result = await evaluate(batch, session.agent, { episodes, seed: req.seed, recordTrajectories: req.recordTrajectories, signal });
    const obsShape = env.observationSpace.kind === 'discrete' ? [] : [...env.observationSpace.shape];
    return {
      meanReward: result.mean,
      stdReward: result.std,
      minReward: result.min,
      maxReward: result.max,
      returns: result.returns,
      lengths: result.lengths,
      trajectories: (result.trajectories ?? []).map((t) => ({
        observations: toTensor(t.observations, [t.actions.length + 1, ...obsShape]),
        actions: t.actions,
        rewards: t.rewards,
      })),
    };
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

  private envFor(id: string, caller: Caller, agent: Agent, access: Access = 'write'): EnvSession {
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
function checkSameSpaces(env: EnvSession, agent: { observationSpace: Space; numActions: number }, what: string): void {
  const same = JSON.stringify(env.observationSpace) === JSON.stringify(agent.observationSpace) && env.actionSpace.kind === 'discrete' && env.actionSpace.n === agent.numActions;
  if (!same) throw invalidArgument('env', `env session ${env.id} has other spaces than ${what}`, 'SPACE_MISMATCH');
}

/** An observation as numbers, checked against the space: [index] for Discrete, the elements for Box. */
function stateValues(space: Space, v: SpaceValue | undefined, field: string): Float32Array {
  const kind = v?.kind;
  if (!kind) throw invalidArgument(field, `${field} is required: an observation of the agent's space`, 'MISSING_FIELD');
  if (space.kind === 'discrete') {
    const x = kind.$case === 'discrete' ? kind.value : Number.NaN;
    if (!Number.isInteger(x) || x < space.start || x >= space.start + space.n) {
      throw invalidArgument(field, `${field} must be an integer in [${space.start}, ${space.start + space.n - 1}] (Discrete(${space.n}))`, 'BAD_STATE');
    }
    return Float32Array.of(x);
  }
  if (kind.$case !== 'tensor') throw invalidArgument(field, `${field} must be an array of ${spaceSize(space)} numbers (Box${JSON.stringify(space.shape)})`, 'BAD_STATE');
  const t = kind.value;
  const n = spaceSize(space);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== n || (t.shape.length !== 1 && t.shape.join() !== space.shape.join())) {
    throw invalidArgument(field, `${field} must hold ${n} numbers (shape [${space.shape.join(', ')}]), got shape [${t.shape.join(', ')}]`, 'WRONG_SHAPE');
  }
  const values = tensorValues(t, field);
  return Float32Array.from(values);
}

function transitionFromProto(agent: Agent, t: TransitionMsg, field: string): Transition {
  const state = stateValues(agent.observationSpace, t.state, `${field}.state`);
  const nextState = stateValues(agent.observationSpace, t.nextState, `${field}.next_state`);
  if (!Number.isInteger(t.action) || t.action < 0 || t.action >= agent.numActions) {
    throw invalidArgument(`${field}.action`, `${field}.action must be an integer in [0, ${agent.numActions - 1}], got ${t.action}`, 'ACTION_OUT_OF_RANGE');
  }
  if (!Number.isFinite(t.reward)) throw invalidArgument(`${field}.reward`, `${field}.reward must be a finite number, got ${t.reward}`, 'NOT_FINITE');
  return { state, action: t.action, reward: t.reward, nextState, done: t.done };
}

function recordToProto(r: EpisodeRecord): EpisodeRecordMsg {
  return { episode: r.episode, episodeReturn: r.return, length: r.length, loss: r.loss, epsilon: r.epsilon, wallTimeMs: r.wallTimeMs };
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
