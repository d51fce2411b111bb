/**
 * The one way agents come into being: `createAgent` checks the spaces and the config
 * (agent-config.ts), builds the encoder and networks, and `importAgent` rebuilds an agent
 * from its exportSnapshot() exactly (Q table or weights, replay queue, counters, history,
 * exploration Rng state; optimiser moments when the engine exposes them).
 */

import { randomInt } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import type { OptionValues } from '../options.js';
import type { Space } from '../spaces.js';
import { dqnConfigOf, MAX_REPLAY_BYTES, resolveAgentConfig, type AgentKind } from './agent-config.js';
import { DqnAgent } from './dqn.js';
import { createEncoder, resolveEncoding, type GridDims } from './encoders.js';
import { checkNetworkSize, createNetwork, resolveEngine } from './nets/create-network.js';
import type { MlpSpec, OptimizerSpec } from './nets/types.js';
import { bytesPerTransition } from './replay-buffer.js';
import { TabularAgent } from './tabular.js';
import type { Agent, AgentSnapshot } from './types.js';

/** Actions an agent may have at most. */
export const MAX_ACTIONS = 65_536;

export type CreateAgentOptions = GridDims;

/**
 * A new agent of `kind` for `observationSpace` and Discrete(numActions) actions. `config`
 * is checked against the kind's options (INVALID_ARGUMENT naming `config.<name>`); a seed
 * of -1 (the default) is drawn from the OS and recorded in agent.config.seed. `options`
 * gives a gridworld's size for the "rowcol" encoding of a Discrete state.
 */
export async function createAgent(
  kind: string,
  observationSpace: Space,
  numActions: number,
  config: Record<string, unknown> | undefined | null,
  options: CreateAgentOptions = {},
): Promise<Agent> {
  const k = checkKind(kind, 'kind');
  checkSpace(observationSpace, 'observation_space');
  checkNumActions(numActions, 'action_space');
  const resolved = resolveAgentConfig(k, config);
  if (resolved.seed === -1) resolved.seed = randomInt(0, 2 ** 47);
  if (k === 'tabular') return new TabularAgent(observationSpace, numActions, resolved);
  return buildDqn(observationSpace, numActions, resolved, { gridWidth: options.gridWidth, gridHeight: options.gridHeight });
}

/** Rebuilds an agent from exportSnapshot()'s output; a snapshot that does not fit is INVALID_ARGUMENT on `data`. */
export async function importAgent(given: AgentSnapshot): Promise<Agent> {
  let snapshot = given;
  const bad = (why: string) => invalidArgument('data', `not a usable agent export: ${why}`, 'BAD_AGENT_EXPORT');
  if (!snapshot || typeof snapshot !== 'object') throw bad('not an object');
  if (snapshot.version !== 1) throw bad(`version ${String(snapshot.version)} (expected 1)`);
  const kind = checkKind(snapshot.kind, 'data');
  snapshot = { ...snapshot, observationSpace: infiniteBounds(snapshot.observationSpace) };
  checkSpace(snapshot.observationSpace, 'data');
  checkNumActions(snapshot.numActions, 'data');
  if (!snapshot.state || typeof snapshot.state !== 'object' || !snapshot.arrays || typeof snapshot.arrays !== 'object') throw bad('state or arrays missing');
  const config = resolveAgentConfig(kind, snapshot.config as Record<string, unknown>);
  if (config.seed === -1) throw bad('config.seed is -1 (an export always records the seed drawn)');
  if (kind === 'tabular') {
    const agent = new TabularAgent(snapshot.observationSpace, snapshot.numActions, config);
    agent.restore(snapshot);
    return agent;
  }
  const g = (snapshot.state.grid ?? {}) as Record<string, unknown>;
  const grid: GridDims = {
    gridWidth: typeof g.gridWidth === 'number' ? g.gridWidth : undefined,
    gridHeight: typeof g.gridHeight === 'number' ? g.gridHeight : undefined,
  };
  const agent = await buildDqn(snapshot.observationSpace, snapshot.numActions, config, grid);
  try {
    agent.restore(snapshot);
  } catch (err) {
    agent.dispose();
    throw err;
  }
  return agent;
}

async function buildDqn(space: Space, numActions: number, config: OptionValues, grid: GridDims): Promise<DqnAgent> {
  const c = dqnConfigOf(config);
  const encoding = resolveEncoding(space, c.encoding, grid);
  const encoder = createEncoder(space, encoding, grid);
  const spec: MlpSpec = { inputSize: encoder.inputSize, hiddenSizes: c.hiddenSizes, outputSize: numActions, activation: c.activation };
  checkNetworkSize(spec);
  if (c.replayUnit === 'steps' && c.replayCapacity * bytesPerTransition(encoder.inputSize) > MAX_REPLAY_BYTES) {
    const most = Math.floor(MAX_REPLAY_BYTES / bytesPerTransition(encoder.inputSize));
    throw invalidArgument(
      'config.replay_capacity',
      `config.replay_capacity ${c.replayCapacity} steps of ${encoder.inputSize} inputs would take more than ${MAX_REPLAY_BYTES / 1048576} MiB; at most ${most} steps`,
      'REPLAY_TOO_LARGE',
    );
  }
  const optimizer: OptimizerSpec = {
    kind: c.optimizer,
    learningRate: c.learningRate,
    rho: c.rmspropRho,
    beta1: c.adamBeta1,
    beta2: c.adamBeta2,
    epsilon: c.optimizerEpsilon,
  };
  const engine = resolveEngine(spec, c.engine);
  const online = await createNetwork(spec, optimizer, c.seed, engine);
  let target = null;
  try {
    target = c.target === 'none' ? null : await createNetwork(spec, optimizer, c.seed, engine);
    return new DqnAgent({ observationSpace: space, numActions, config, encoder, grid, online, target });
  } catch (err) {
    online.dispose();
    target?.dispose();
    throw err;
  }
}

/**
 * A Box's infinite bounds come back from a JSON header as null (JSON has no Infinity):
 * null in `low` is -Infinity, in `high` +Infinity.
 */
function infiniteBounds(space: Space): Space {
  if (!space || typeof space !== 'object' || space.kind !== 'box' || !Array.isArray(space.low) || !Array.isArray(space.high)) return space;
  return {
    ...space,
    low: space.low.map((x) => (x === null ? -Infinity : x)),
    high: space.high.map((x) => (x === null ? Infinity : x)),
  };
}

function checkKind(kind: unknown, field: string): AgentKind {
  if (kind !== 'tabular' && kind !== 'dqn') throw invalidArgument(field, `${field === 'kind' ? 'kind' : `${field}.kind`} must be "tabular" or "dqn", got ${JSON.stringify(kind)}`, 'UNKNOWN_AGENT_KIND');
  return kind;
}

function checkNumActions(n: unknown, field: string): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ACTIONS) {
    throw invalidArgument(field, `the action space must be Discrete(n) with n an integer in [1, ${MAX_ACTIONS}], got ${String(n)}`, 'UNSUPPORTED_SPACE');
  }
}

/** A well-formed Discrete or Box space (snapshots are untrusted JSON). */
function checkSpace(space: unknown, field: string): asserts space is Space {
  const s = space as Record<string, unknown> | null;
  const fail = (why: string) => invalidArgument(field, `${field} is not a valid observation space: ${why}`, 'BAD_SPACE');
  if (!s || typeof s !== 'object') throw fail('missing');
  if (s.kind === 'discrete') {
    if (typeof s.n !== 'number' || !Number.isInteger(s.n) || s.n < 1) throw fail(`Discrete n must be an integer >= 1, got ${String(s.n)}`);
    if (typeof s.start !== 'number' || !Number.isSafeInteger(s.start)) throw fail(`Discrete start must be an integer, got ${String(s.start)}`);
    return;
  }
  if (s.kind !== 'box') throw fail(`kind must be "discrete" or "box", got ${JSON.stringify(s.kind)}`);
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1)) throw fail('Box shape must be a non-empty list of positive integers');
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Array.isArray(s.low) || !Array.isArray(s.high) || s.low.length !== size || s.high.length !== size) throw fail(`Box low and high must hold ${size} numbers`);
  if (!s.low.every((x) => typeof x === 'number') || !s.high.every((x) => typeof x === 'number')) throw fail('Box bounds must be numbers');
  if (typeof s.dtype !== 'string') throw fail('Box dtype is missing');
}
