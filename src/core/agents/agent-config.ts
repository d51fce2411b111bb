/**
 * Every hyperparameter of the Q-learning agents, documented in one place (CleanRL style):
 * each option's name, meaning, default and bounds live in the OptionSpec lists below, and
 * `resolveAgentConfig` is the only way a config becomes an agent's: schema checks through
 * resolveOptions (INVALID_ARGUMENT naming `config.<name>`), then the cross-field rules
 * (batch_size > replay_capacity, double DQN without a target network, ...).
 *
 * What "the seed" means below: the course notes in /work/shared/seed (REFERENCE s.1):
 * Q(s,a) = r (+ gamma max Q(s')), epsilon-greedy with a constant p, a least-squares
 * regression on a replay queue, fitted Q per episode, Theta^- per episode (also for the
 * greedy action), phantom outputs.
 */

import { invalidArgument } from '../errors.js';
import { resolveOptions, type OptionSpec, type OptionValues } from '../options.js';
import { MAX_PARAMETERS } from './nets/create-network.js';
import type { Activation, LossKind, OptimizerKind } from './nets/types.js';

export type AgentKind = 'tabular' | 'dqn';

/** Largest seed accepted (2^53 - 1); -1 asks for a seed drawn from the OS's entropy. */
const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Hidden layers of a DQN network at most. */
export const MAX_HIDDEN_LAYERS = 8;
/** Units in one hidden layer at most. */
export const MAX_HIDDEN_UNITS = 4096;
/** Bytes the replay queue may hold at most (steps unit: checked up front; episodes unit: oldest episodes dropped beyond it). */
export const MAX_REPLAY_BYTES = 256 * 1024 * 1024;
/** Q-table entries (states x actions) at most. */
export const MAX_TABLE_ENTRIES = 16_000_000;

const EPSILON_OPTIONS = (defaults: { start: number; end: number; schedule: string; unit: string; length: number }): OptionSpec[] => [
  {
    name: 'epsilon_start',
    type: 'number',
    description:
      "Exploration probability p of the seed's choose_action (random action with probability p, else argmax Q) at the start of training. The seed: a constant p.",
    default: defaults.start,
    minimum: 0,
    maximum: 1,
  },
  {
    name: 'epsilon_end',
    type: 'number',
    description: 'Exploration probability at the end of the decay (ignored by the constant schedule; > 0 for the exponential one).',
    default: defaults.end,
    minimum: 0,
    maximum: 1,
  },
  {
    name: 'epsilon_schedule',
    type: 'string',
    description:
      '"constant": p = epsilon_start always (the seed). "linear": from epsilon_start to epsilon_end in epsilon_decay_length units, then constant. ' +
      '"exponential": geometric from epsilon_start to epsilon_end in epsilon_decay_length units (p = start * (end/start)^(t/length)), then constant.',
    default: defaults.schedule,
    choices: ['constant', 'linear', 'exponential'],
  },
  {
    name: 'epsilon_decay_unit',
    type: 'string',
    description: 'What t counts in the schedule: completed "episodes" (p is fixed within an episode) or environment "steps" (updateQ calls).',
    default: defaults.unit,
    choices: ['episodes', 'steps'],
  },
  {
    name: 'epsilon_decay_length',
    type: 'int',
    description: 'Episodes or steps (per epsilon_decay_unit) the decay takes to reach epsilon_end.',
    default: defaults.length,
    minimum: 1,
    maximum: 1_000_000_000,
  },
];

const SEED_OPTION: OptionSpec = {
  name: 'seed',
  type: 'int',
  description:
    'Seeds exploration, replay sampling and weight initialisation (equal seeds give equal agents). -1 draws one from the OS; the resolved config then shows the seed drawn.',
  default: -1,
  minimum: -1,
  maximum: MAX_SEED,
};

const GAMMA_OPTION = (def: number): OptionSpec => ({
  name: 'gamma',
  type: 'number',
  description: 'Discount factor of the target q = r + gamma * max_k Q(s\', k) (q = r when done).',
  default: def,
  minimum: 0,
  maximum: 1,
});

/** Hyperparameters of the tabular agent. */
export const TABULAR_OPTIONS: readonly OptionSpec[] = [
  SEED_OPTION,
  GAMMA_OPTION(0.99),
  {
    name: 'alpha',
    type: 'number',
    description:
      "Learning rate of Q(s,a) += alpha * (q - Q(s,a)). 1 is the seed's update Q(s,a) = q exactly (right for deterministic worlds such as the gridworld); smaller values average noisy targets.",
    default: 1,
    minimum: 1e-9,
    maximum: 1,
  },
  {
    name: 'q_init',
    type: 'number',
    description: 'Initial value of every Q-table entry (the seed: 0).',
    default: 0,
    minimum: -1e9,
    maximum: 1e9,
  },
  ...EPSILON_OPTIONS({ start: 0.1, end: 0.01, schedule: 'constant', unit: 'episodes', length: 500 }),
];

/** Hyperparameters of the DQN agent. */
export const DQN_OPTIONS: readonly OptionSpec[] = [
  SEED_OPTION,
  GAMMA_OPTION(0.99),
  ...EPSILON_OPTIONS({ start: 1, end: 0.05, schedule: 'linear', unit: 'steps', length: 10_000 }),
  // --- network (seed step 1) ---
  {
    name: 'hidden_sizes',
    type: 'int_list',
    description: `Units of each hidden layer of the MLP state -> hidden... -> one output per action (at most ${MAX_HIDDEN_LAYERS} layers, ${MAX_PARAMETERS} parameters). [] is a linear Q function.`,
    default: [64, 64],
    minimum: 1,
    maximum: MAX_HIDDEN_UNITS,
  },
  {
    name: 'activation',
    type: 'string',
    description: 'Activation of the hidden layers (the output layer is linear).',
    default: 'relu',
    choices: ['relu', 'tanh', 'sigmoid', 'elu', 'linear'],
  },
  {
    name: 'engine',
    type: 'string',
    description: '"fused": the Float32Array MLP (fast for small nets); "tfjs": TensorFlow.js; "auto": fused for small nets, tfjs for big ones.',
    default: 'auto',
    choices: ['auto', 'fused', 'tfjs'],
  },
  {
    name: 'encoding',
    type: 'string',
    description:
      'State -> network input. "identity": the observation as numbers; "onehot": a Discrete state as a one-hot vector; "rowcol": a gridworld state as [row/(h-1), col/(w-1)] ' +
      '(Discrete with the grid size, or a Box(2) of [row, col] scaled by its bounds). "auto": onehot for Discrete, identity for Box.',
    default: 'auto',
    choices: ['auto', 'identity', 'onehot', 'rowcol'],
  },
  // --- optimiser and loss (seed step 3) ---
  {
    name: 'optimizer',
    type: 'string',
    description: 'Gradient descent flavour (tfjs semantics): "sgd", "rmsprop" (the course\'s cartpole DQN) or "adam".',
    default: 'adam',
    choices: ['sgd', 'rmsprop', 'adam'],
  },
  { name: 'learning_rate', type: 'number', description: 'Step size of the optimiser (> 0).', default: 1e-3, minimum: 1e-10, maximum: 10 },
  { name: 'rmsprop_rho', type: 'number', description: 'RMSprop decay of the squared-gradient average.', default: 0.9, minimum: 0, maximum: 0.999999 },
  { name: 'adam_beta1', type: 'number', description: 'Adam decay of the first moment.', default: 0.9, minimum: 0, maximum: 0.999999 },
  { name: 'adam_beta2', type: 'number', description: 'Adam decay of the second moment.', default: 0.999, minimum: 0, maximum: 0.99999999 },
  { name: 'optimizer_epsilon', type: 'number', description: 'Denominator epsilon of RMSprop and Adam (tfjs default 1e-7).', default: 1e-7, minimum: 1e-12, maximum: 1 },
  {
    name: 'loss',
    type: 'string',
    description: 'Regression cost on Q(s,a; Theta) - q: "squared" (the seed\'s least squares) or "huber" (smooth L1, delta 1, as SB3).',
    default: 'huber',
    choices: ['squared', 'huber'],
  },
  {
    name: 'output_mode',
    type: 'string',
    description:
      'How the untaken actions\' outputs enter the cost: "masked" (only Q(s,a) regresses) or "phantom" (the seed: every output regresses, untaken ones to their own current value). The gradients are equal.',
    default: 'masked',
    choices: ['masked', 'phantom'],
  },
  {
    name: 'max_grad_norm',
    type: 'number',
    description: 'Clip the global gradient norm to this before each step; 0 = no clipping.',
    default: 10,
    minimum: 0,
    maximum: 1e9,
  },
  // --- replay queue (seed step 2) ---
  {
    name: 'replay_capacity',
    type: 'int',
    description: 'Size of the replay queue in replay_unit; the oldest step (or whole episode) is dropped when it is full.',
    default: 50_000,
    minimum: 1,
    maximum: 10_000_000,
  },
  {
    name: 'replay_unit',
    type: 'string',
    description: `"steps": replay_capacity transitions; "episodes": the last replay_capacity whole episodes (fitted Q's memory; also capped at ${MAX_REPLAY_BYTES / 1048576} MiB).`,
    default: 'steps',
    choices: ['steps', 'episodes'],
  },
  {
    name: 'batch_size',
    type: 'int',
    description: 'Transitions per gradient step (sampled uniformly with replacement; fitted Q: minibatch size of a pass over the queue).',
    default: 64,
    minimum: 1,
    maximum: 65_536,
  },
  {
    name: 'learning_starts',
    type: 'int',
    description: 'No gradient step before this many environment steps have been stored.',
    default: 1000,
    minimum: 0,
    maximum: 1_000_000_000,
  },
  // --- update schedule ---
  {
    name: 'update',
    type: 'string',
    description:
      '"online": gradient_steps steps after every environment step (the seed\'s basic DQN); "every_k": gradient_steps steps every train_every environment steps; ' +
      '"fitted": fitted Q, fitted_epochs passes over the whole queue at the end of every fit_every_episodes-th episode, nothing within episodes.',
    default: 'every_k',
    choices: ['online', 'every_k', 'fitted'],
  },
  { name: 'train_every', type: 'int', description: 'k of update "every_k": environment steps between two updates (each of gradient_steps steps).', default: 4, minimum: 1, maximum: 1_000_000 },
  { name: 'gradient_steps', type: 'int', description: 'g: gradient steps (each on a fresh minibatch) per update of "online" and "every_k".', default: 1, minimum: 1, maximum: 10_000 },
  { name: 'fit_every_episodes', type: 'int', description: 'e of update "fitted": fit at the end of every e-th episode (the seed: 1).', default: 1, minimum: 1, maximum: 1_000_000 },
  {
    name: 'fitted_epochs',
    type: 'int',
    description: '"fitted": passes over the queue per fit, each in shuffled minibatches of batch_size (batch_size >= queue size: one full-batch step per pass).',
    default: 1,
    minimum: 1,
    maximum: 1000,
  },
  // --- target network ---
  {
    name: 'target',
    type: 'string',
    description:
      'Network for max_k Q(s\', k): "none" (the online network), "episode" (the seed\'s Theta^-: the parameters at the end of the previous episode), ' +
      '"steps" (a copy synced every target_update_steps environment steps, DQN 2015), "soft" (Polyak: theta^- += tau (theta - theta^-) after every gradient step).',
    default: 'steps',
    choices: ['none', 'episode', 'steps', 'soft'],
  },
  {
    name: 'target_for_action',
    type: 'bool',
    description: "Also take the greedy action with the target network (the seed's Theta^- for a_t = argmax Q(s_t, .; Theta^-)). Needs a target.",
    default: false,
  },
  { name: 'target_update_steps', type: 'int', description: 'C of target "steps": environment steps between two copies Theta^- <- Theta.', default: 500, minimum: 1, maximum: 1_000_000_000 },
  { name: 'tau', type: 'number', description: 'Polyak coefficient of target "soft": theta^- <- (1 - tau) theta^- + tau theta after each gradient step.', default: 0.005, minimum: 1e-6, maximum: 1 },
  {
    name: 'double_dqn',
    type: 'bool',
    description: 'Double DQN: the next action by argmax of the online network, its value by the target network. Needs a target.',
    default: false,
  },
];

/** The option list of an agent kind. */
export function agentConfigOptions(kind: AgentKind): readonly OptionSpec[] {
  return kind === 'tabular' ? TABULAR_OPTIONS : DQN_OPTIONS;
}

export type EpsilonScheduleKind = 'constant' | 'linear' | 'exponential';
export type ScheduleUnit = 'episodes' | 'steps';
export type EncodingChoice = 'auto' | 'identity' | 'onehot' | 'rowcol';
export type EngineChoice = 'auto' | 'fused' | 'tfjs';
export type UpdateMode = 'online' | 'every_k' | 'fitted';
export type TargetMode = 'none' | 'episode' | 'steps' | 'soft';

export interface EpsilonConfig {
  readonly start: number;
  readonly end: number;
  readonly schedule: EpsilonScheduleKind;
  readonly unit: ScheduleUnit;
  readonly length: number;
}

export interface TabularConfig {
  readonly seed: number;
  readonly gamma: number;
  readonly alpha: number;
  readonly qInit: number;
  readonly epsilon: EpsilonConfig;
}

export interface DqnConfig {
  readonly seed: number;
  readonly gamma: number;
  readonly epsilon: EpsilonConfig;
  readonly hiddenSizes: readonly number[];
  readonly activation: Activation;
  readonly engine: EngineChoice;
  readonly encoding: EncodingChoice;
  readonly optimizer: OptimizerKind;
  readonly learningRate: number;
  readonly rmspropRho: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly optimizerEpsilon: number;
  readonly loss: LossKind;
  readonly outputMode: 'masked' | 'phantom';
  readonly maxGradNorm: number;
  readonly replayCapacity: number;
  readonly replayUnit: 'steps' | 'episodes';
  readonly batchSize: number;
  readonly learningStarts: number;
  readonly update: UpdateMode;
  readonly trainEvery: number;
  readonly gradientSteps: number;
  readonly fitEveryEpisodes: number;
  readonly fittedEpochs: number;
  readonly target: TargetMode;
  readonly targetForAction: boolean;
  readonly targetUpdateSteps: number;
  readonly tau: number;
  readonly doubleDqn: boolean;
}

function epsilonOf(v: OptionValues): EpsilonConfig {
  return {
    start: v.epsilon_start as number,
    end: v.epsilon_end as number,
    schedule: v.epsilon_schedule as EpsilonScheduleKind,
    unit: v.epsilon_decay_unit as ScheduleUnit,
    length: v.epsilon_decay_length as number,
  };
}

/** Typed view of a resolved tabular config. */
export function tabularConfigOf(v: OptionValues): TabularConfig {
  return { seed: v.seed as number, gamma: v.gamma as number, alpha: v.alpha as number, qInit: v.q_init as number, epsilon: epsilonOf(v) };
}

/** Typed view of a resolved DQN config. */
export function dqnConfigOf(v: OptionValues): DqnConfig {
  return {
    seed: v.seed as number,
    gamma: v.gamma as number,
    epsilon: epsilonOf(v),
    hiddenSizes: v.hidden_sizes as readonly number[],
    activation: v.activation as Activation,
    engine: v.engine as EngineChoice,
    encoding: v.encoding as EncodingChoice,
    optimizer: v.optimizer as OptimizerKind,
    learningRate: v.learning_rate as number,
    rmspropRho: v.rmsprop_rho as number,
    adamBeta1: v.adam_beta1 as number,
    adamBeta2: v.adam_beta2 as number,
    optimizerEpsilon: v.optimizer_epsilon as number,
    loss: v.loss as LossKind,
    outputMode: v.output_mode as 'masked' | 'phantom',
    maxGradNorm: v.max_grad_norm as number,
    replayCapacity: v.replay_capacity as number,
    replayUnit: v.replay_unit as 'steps' | 'episodes',
    batchSize: v.batch_size as number,
    learningStarts: v.learning_starts as number,
    update: v.update as UpdateMode,
    trainEvery: v.train_every as number,
    gradientSteps: v.gradient_steps as number,
    fitEveryEpisodes: v.fit_every_episodes as number,
    fittedEpochs: v.fitted_epochs as number,
    target: v.target as TargetMode,
    targetForAction: v.target_for_action as boolean,
    targetUpdateSteps: v.target_update_steps as number,
    tau: v.tau as number,
    doubleDqn: v.double_dqn as boolean,
  };
}

/**
 * Resolves a given config for an agent kind: unknown keys, wrong types, values out of
 * bounds, then cross-field rules, each an INVALID_ARGUMENT naming `${prefix}.<name>`.
 * The seed -1 stays -1 here (createAgent draws the actual seed).
 */
export function resolveAgentConfig(kind: AgentKind, given: Record<string, unknown> | undefined | null, prefix = 'config'): OptionValues {
  const v = resolveOptions(agentConfigOptions(kind), given, prefix);
  checkEpsilon(v, prefix);
  if (kind === 'dqn') checkDqn(v, prefix);
  return v;
}

function checkEpsilon(v: OptionValues, prefix: string): void {
  if (v.epsilon_schedule === 'exponential' && ((v.epsilon_start as number) <= 0 || (v.epsilon_end as number) <= 0)) {
    const field = (v.epsilon_start as number) <= 0 ? 'epsilon_start' : 'epsilon_end';
    throw invalidArgument(
      `${prefix}.${field}`,
      `${prefix}.${field} must be > 0 with epsilon_schedule "exponential" (a geometric decay never reaches 0; use "linear" to reach 0), got ${v[field]}`,
      'OUT_OF_RANGE',
    );
  }
}

function checkDqn(v: OptionValues, prefix: string): void {
  const hidden = v.hidden_sizes as readonly number[];
  if (hidden.length > MAX_HIDDEN_LAYERS) {
    throw invalidArgument(`${prefix}.hidden_sizes`, `${prefix}.hidden_sizes may have at most ${MAX_HIDDEN_LAYERS} layers, got ${hidden.length}`, 'NETWORK_TOO_LARGE');
  }
  if (v.replay_unit === 'steps' && (v.batch_size as number) > (v.replay_capacity as number)) {
    throw invalidArgument(
      `${prefix}.batch_size`,
      `${prefix}.batch_size (${v.batch_size}) must be at most ${prefix}.replay_capacity (${v.replay_capacity} steps)`,
      'BATCH_LARGER_THAN_CAPACITY',
    );
  }
  if (v.target === 'none') {
    if (v.double_dqn === true) {
      throw invalidArgument(`${prefix}.double_dqn`, `${prefix}.double_dqn needs a target network: set ${prefix}.target to "episode", "steps" or "soft"`, 'NEEDS_TARGET');
    }
    if (v.target_for_action === true) {
      throw invalidArgument(
        `${prefix}.target_for_action`,
        `${prefix}.target_for_action needs a target network: set ${prefix}.target to "episode" (the seed's Theta^-), "steps" or "soft"`,
        'NEEDS_TARGET',
      );
    }
  }
}
