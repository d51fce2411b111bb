/**
 * What an agent will hold in memory, estimated from its kind, spaces and config before
 * anything is allocated (for the memoryBytes quota): the Q table, or the networks with their
 * gradients, optimiser moments and batch buffers, and the replay queue.
 */
import type { Space } from '../spaces.js';
import { dqnConfigOf, MAX_REPLAY_BYTES, resolveAgentConfig } from './agent-config.js';
import { createEncoder, resolveEncoding, type GridDims } from './encoders.js';
import { parameterCount } from './nets/types.js';
import { bytesPerTransition } from './replay-buffer.js';

/** Fixed cost of any agent (objects, history of a few thousand episodes), bytes. */
const AGENT_OVERHEAD = 256 * 1024;

/**
 * Estimated bytes of an agent. `config` is the raw config (checked here as createAgent
 * checks it: INVALID_ARGUMENT on a bad one); `maxEpisodeSteps` sizes a replay queue kept in
 * episodes (default 1000 steps an episode).
 */
export function estimateAgentBytes(
  kind: string,
  observationSpace: Space,
  numActions: number,
  config: Record<string, unknown> | undefined | null,
  options: GridDims & { maxEpisodeSteps?: number } = {},
): number {
  if (kind !== 'tabular' && kind !== 'dqn') return AGENT_OVERHEAD;
  const resolved = resolveAgentConfig(kind, config);
  if (kind === 'tabular') {
    const states = observationSpace.kind === 'discrete' ? observationSpace.n : 0;
    return AGENT_OVERHEAD + states * numActions * 8;
  }
  const c = dqnConfigOf(resolved);
  const encoder = createEncoder(observationSpace, resolveEncoding(observationSpace, c.encoding, options), options);
  const sizes = [encoder.inputSize, ...c.hiddenSizes, numActions];
  const params = parameterCount({ inputSize: encoder.inputSize, hiddenSizes: c.hiddenSizes, outputSize: numActions, activation: c.activation });
  // Per network: parameters, gradients, transposed kernels, and two optimiser moments.
  const perNetwork = 4 * params * (c.optimizer === 'sgd' ? 3 : 5);
  const networks = c.target === 'none' ? 1 : 2;
  // Activations and deltas of one batch through every layer, forward and backward.
  const batchBuffers = 4 * c.batchSize * sizes.reduce((a, b) => a + b, 0) * 3;
  const perTransition = bytesPerTransition(encoder.inputSize);
  const transitions = c.replayUnit === 'steps' ? c.replayCapacity : c.replayCapacity * (options.maxEpisodeSteps ?? 1000);
  const replay = Math.min(transitions * perTransition, MAX_REPLAY_BYTES);
  return AGENT_OVERHEAD + networks * perNetwork + batchBuffers + replay;
}

/** Parameters of a DQN agent's network for this config (0 for tabular), computed without building it. */
export function estimateParameters(observationSpace: Space, numActions: number, config: Record<string, unknown> | undefined | null, grid: GridDims = {}): number {
  const c = dqnConfigOf(resolveAgentConfig('dqn', config));
  const encoder = createEncoder(observationSpace, resolveEncoding(observationSpace, c.encoding, grid), grid);
  return parameterCount({ inputSize: encoder.inputSize, hiddenSizes: c.hiddenSizes, outputSize: numActions, activation: c.activation });
}
