/**
 * The agent RPCs that run an agent's computation, as plain functions of an Agent and the
 * request message. The agent service runs them inline on the request thread when they are
 * cheap and on a worker thread (over a copy of the agent, see workers/) when they are not;
 * both places run this code.
 */
import { invalidArgument } from '../../core/errors.js';
import type { Agent, EpisodeRecord, Transition } from '../../core/agents/types.js';
import { dqnConfigOf } from '../../core/agents/agent-config.js';
import { spaceSize, type Space } from '../../core/spaces.js';
import type {
  ChooseActionRequest,
  ChooseActionResponse,
  EndEpisodeRequest,
  EndEpisodeResponse,
  EpisodeRecord as EpisodeRecordMsg,
  EvaluateResponse,
  GetQRequest,
  GetQResponse,
  Transition as TransitionMsg,
  UpdateQRequest,
  UpdateQResponse,
} from '../../gen/gymhost/v1/agent_service.js';
import type { SpaceValue } from '../../gen/gymhost/v1/spaces.js';
import { tensorValues, toTensor } from './tensors.js';
import type { EvaluationResult } from '../../core/training/train.js';

/** Most transitions one UpdateQ may carry. */
export const MAX_TRANSITIONS_PER_CALL = 4096;
/** Most states one GetQ may ask about. */
export const MAX_STATES_PER_CALL = 100_000;
/**
 * Most work one UpdateQ or EndEpisode may do, in multiply-adds (about a minute of one core):
 * transitions x gradient steps x batch x parameters x 3 (forward and backward).
 */
export const MAX_CALL_WORK = 2 ** 38;

export function chooseAction(agent: Agent, req: ChooseActionRequest): ChooseActionResponse {
  const state = stateValues(agent.observationSpace, req.state, 'state');
  const q = new Float32Array(agent.numActions);
  const action = agent.chooseAction(state, !req.greedy, q);
  return { action, qValues: Array.from(q), explored: agent.lastExplored, epsilon: agent.epsilon };
}

/** Checks an UpdateQ request against the agent and the per-call bounds; returns its transitions. */
export function updateQTransitions(agent: Agent, req: UpdateQRequest): Transition[] {
  if (req.transition && req.transitions.length > 0) {
    throw invalidArgument('transitions', 'give either transition or transitions, not both', 'CONFLICTING_FIELDS');
  }
  if (req.transitions.length > MAX_TRANSITIONS_PER_CALL) {
    throw invalidArgument('transitions', `at most ${MAX_TRANSITIONS_PER_CALL} transitions per UpdateQ, got ${req.transitions.length}; send them in several calls`, 'TOO_MANY');
  }
  const given = req.transition ? [{ t: req.transition, field: 'transition' }] : req.transitions.map((t, i) => ({ t, field: `transitions[${i}]` }));
  if (given.length === 0) throw invalidArgument('transition', 'transition (or transitions) is required: {state, action, reward, next_state, done}', 'MISSING_FIELD');
  const work = callWork(agent, 'updateQ', given.length);
  if (work > MAX_CALL_WORK) {
    throw invalidArgument(
      'transitions',
      `this UpdateQ would do up to ${work.toExponential(2)} multiply-adds (${given.length} transitions x gradient_steps x batch_size x parameters x 3); one call may do at most ${MAX_CALL_WORK.toExponential(2)}: send fewer transitions per call`,
      'CALL_TOO_EXPENSIVE',
    );
  }
  // Check every transition before applying any, so a bad one changes nothing.
  return given.map(({ t, field }) => transitionFromProto(agent, t, field));
}

export function updateQ(agent: Agent, req: UpdateQRequest): UpdateQResponse {
  const transitions = updateQTransitions(agent, req);
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

export function endEpisode(agent: Agent, req: EndEpisodeRequest): EndEpisodeResponse {
  if (!Number.isFinite(req.episodeReturn)) throw invalidArgument('episode_return', `episode_return must be a finite number, got ${req.episodeReturn}`, 'NOT_FINITE');
  if (!Number.isInteger(req.length) || req.length < 0) throw invalidArgument('length', `length must be an integer >= 0, got ${req.length}`, 'OUT_OF_RANGE');
  const r = agent.endEpisode(req.episodeReturn, req.length);
  return { record: recordToProto(r.record), loss: r.loss, gradientSteps: r.gradientSteps, epsilon: r.epsilon, targetSynced: r.targetSynced };
}

export function getQ(agent: Agent, req: GetQRequest): GetQResponse {
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
    if (count > MAX_STATES_PER_CALL) throw invalidArgument('states', `at most ${MAX_STATES_PER_CALL} states per call, got ${count}`, 'TOO_MANY');
    states = new Float32Array(count * size);
    req.states.forEach((s, i) => states.set(stateValues(space, s, `states[${i}]`), i * size));
  }
  return { q: toTensor(agent.qValues(states, count), [count, agent.numActions]) };
}

/** The calls above by name, with whether they change the agent. */
export const AGENT_CALLS = {
  chooseAction: { run: chooseAction, mutates: true },
  updateQ: { run: updateQ, mutates: true },
  endEpisode: { run: endEpisode, mutates: true },
  getQ: { run: getQ, mutates: false },
} as const;

export type AgentCallName = keyof typeof AGENT_CALLS;

/** Parameters of a DQN agent's network (0 for tabular agents). */
export function parameterCountOf(agent: Agent): number {
  const net = (agent as { onlineNetwork?: { getWeights(): Float32Array[] } }).onlineNetwork;
  if (agent.kind !== 'dqn' || !net) return 0;
  const cached = PARAMS.get(agent);
  if (cached !== undefined) return cached;
  const n = net.getWeights().reduce((a, w) => a + w.length, 0);
  PARAMS.set(agent, n);
  return n;
}
const PARAMS = new WeakMap<Agent, number>();

/**
 * Upper bound of the multiply-adds a call does (`count` = transitions of UpdateQ, states of
 * GetQ): what decides whether it runs inline or on a worker, and what one call may do.
 */
export function callWork(agent: Agent, call: AgentCallName, count = 1): number {
  if (agent.kind !== 'dqn') return call === 'getQ' ? count * agent.numActions : count;
  const p = parameterCountOf(agent);
  const c = dqnConfigOf(agent.config);
  const gradientStep = c.batchSize * p * 3 * (c.doubleDqn ? 4 / 3 : 1);
  switch (call) {
    case 'chooseAction':
      return p;
    case 'getQ':
      return count * p;
    case 'updateQ': {
      // Updates start once learning_starts transitions were seen.
      const learning = Math.max(0, Math.min(count, agent.totalSteps + count - c.learningStarts));
      const updates = c.update === 'fitted' ? 0 : c.update === 'online' ? learning : Math.ceil(learning / c.trainEvery);
      return count * p + updates * c.gradientSteps * gradientStep;
    }
    case 'endEpisode': {
      if (c.update !== 'fitted') return 2 * p;
      const stored = c.replayUnit === 'steps' ? c.replayCapacity : c.replayCapacity * 500;
      return 2 * p + c.fittedEpochs * Math.ceil(stored / c.batchSize) * gradientStep;
    }
  }
}

/** An observation as numbers, checked against the space: [index] for Discrete, the elements for Box. */
export function stateValues(space: Space, v: SpaceValue | undefined, field: string): Float32Array {
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
  return Float32Array.from(tensorValues(t, field));
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

export function recordToProto(r: EpisodeRecord): EpisodeRecordMsg {
  return { episode: r.episode, episodeReturn: r.return, length: r.length, loss: r.loss, epsilon: r.epsilon, wallTimeMs: r.wallTimeMs };
}

/** An evaluation as the EvaluateResponse message (trajectories' observations shaped by the space). */
export function evaluationToProto(result: EvaluationResult, observationSpace: Space): EvaluateResponse {
  const obsShape = observationSpace.kind === 'discrete' ? [] : [...observationSpace.shape];
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
      states: toTensor(t.states, [t.actions.length + 1, t.stateSize]),
    })),
    scene: result.scene,
  };
}
