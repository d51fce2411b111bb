import type { TransitionSchema } from '../envs/transition-schema.js';
import type { RewardFunction } from './types.js';

/**
 * What one CartPole step did, filled in by the batch before it calls a reward function.
 * The batch reuses one object for every step, so reward functions must not keep it.
 */
export interface CartPoleFacts {
  /** The new state is outside the thresholds (|x| > x_threshold or |theta| > theta_threshold). */
  terminated: boolean;
  /**
   * The episode had already terminated before this step (Gymnasium's
   * `steps_beyond_terminated is not None`): this is a step the caller should not have taken.
   */
  afterTermination: boolean;
  /**
   * Gymnasium's `steps_beyond_terminated` after this step: -1 while the episode has not
   * terminated (None), 0 on the terminating step, k on the k-th terminal step beyond it.
   */
  stepsBeyondTerminated: number;
  /** The env config's `sutton_barto_reward` flag (Gymnasium's constructor argument). */
  suttonBartoConfig: boolean;
  /** This step reaches the episode's step limit (TimeLimit truncation; may coincide with terminated). */
  truncated: boolean;
  /** Steps of the episode so far, this one included. */
  steps: number;
  /** Termination thresholds: |x| > xThreshold (m) or |theta| > thetaThreshold (rad). */
  xThreshold: number;
  thetaThreshold: number;
}

/** Cart position beyond which an episode terminates, m (= envs/cartpole.ts X_THRESHOLD). */
const X_LIMIT = 2.4;
/** Pole angle beyond which an episode terminates: 12 degrees in radians (= THETA_THRESHOLD_RADIANS). */
const THETA_LIMIT = (12 * 2 * Math.PI) / 360;

/** A fresh facts object (one per batch). */
export function newCartPoleFacts(): CartPoleFacts {
  return {
    terminated: false,
    afterTermination: false,
    stepsBeyondTerminated: -1,
    suttonBartoConfig: false,
    truncated: false,
    steps: 0,
    xThreshold: X_LIMIT,
    thetaThreshold: THETA_LIMIT,
  };
}

/** State arrays the reward functions see: [x (m), x_dot (m/s), theta (rad), theta_dot (rad/s)]. */
export type CartPoleState = Float64Array;

/**
 * Gymnasium 1.x's CartPoleEnv.step reward with sutton_barto_reward=False:
 * +1 while the new state is inside the thresholds, +1 on the terminating step, 0 for
 * terminal steps taken after the episode terminated.
 */
function gymnasiumDefaultReward(facts: CartPoleFacts): number {
  if (!facts.terminated) return 1;
  return facts.afterTermination ? 0 : 1;
}

/**
 * Gymnasium 1.x's CartPoleEnv.step reward with sutton_barto_reward=True:
 * 0 while the new state is inside the thresholds, -1 on the terminating step and -1 for
 * every terminal step taken after it.
 */
function suttonBartoReward(facts: CartPoleFacts): number {
  return facts.terminated ? -1 : 0;
}

/**
 * `gymnasium`: exactly the reward Gymnasium's CartPole-v1 pays for the env's config, so the
 * config flag `sutton_barto_reward` is honoured just as Gymnasium's constructor argument is.
 */
export const gymnasiumReward: RewardFunction<CartPoleState, CartPoleFacts> = {
  name: 'gymnasium',
  description:
    "Gymnasium's CartPole-v1 reward: +1 per step including the terminating step, 0 for steps " +
    'taken after termination. With config sutton_barto_reward=true it pays the sutton_barto reward, as Gymnasium does.',
  params: [],
  compute(_s, _a, _sNext, facts) {
    return facts.suttonBartoConfig ? suttonBartoReward(facts) : gymnasiumDefaultReward(facts);
  },
};

/** `sutton_barto`: the original Barto, Sutton & Anderson reward, whatever the config says. */
export const suttonBartoRewardFunction: RewardFunction<CartPoleState, CartPoleFacts> = {
  name: 'sutton_barto',
  description:
    'Sutton & Barto reward (Gymnasium sutton_barto_reward=True): 0 per step, -1 on the terminating ' +
    'step and -1 for every step taken after termination.',
  params: [],
  compute(_s, _a, _sNext, facts) {
    return suttonBartoReward(facts);
  },
};

/** `terminal_penalty`: the course's cartpole reward, a penalty when the pole falls. */
export const terminalPenaltyReward: RewardFunction<CartPoleState, CartPoleFacts> = {
  name: 'terminal_penalty',
  description:
    "The course's cartpole reward: `step` (default +1) per step while balancing, `penalty` (default -100) on the " +
    'terminating step (pole fallen or cart out), 0 for steps taken after termination. Truncation is no failure: it pays `step`.',
  params: [
    { name: 'step', type: 'number', description: 'Reward of a step that does not terminate.', default: 1, minimum: -1e6, maximum: 1e6 },
    { name: 'penalty', type: 'number', description: 'Reward of the terminating step.', default: -100, minimum: -1e6, maximum: 1e6 },
  ],
  compute(_s, _a, _sNext, facts, params) {
    if (!facts.terminated) return params.step as number;
    return facts.afterTermination ? 0 : (params.penalty as number);
  },
};

/**
 * `angle_position`: shaping that pays balancing well, not just surviving. A step that does
 * not terminate pays `alive - angle_weight * (theta'/theta_threshold)^2 - position_weight *
 * (x'/x_threshold)^2` (so between alive - angle_weight - position_weight and alive, the most
 * with the pole upright over the track's centre), the terminating step pays `failure`, steps
 * after termination pay 0.
 */
export const anglePositionReward: RewardFunction<CartPoleState, CartPoleFacts> = {
  name: 'angle_position',
  description:
    'Angle and position shaping: a step that does not terminate pays alive - angle_weight * (theta/12 deg)^2 - position_weight * (x/2.4 m)^2 ' +
    "of the new state (the most with the pole upright over the centre), the terminating step pays `failure`, steps after termination 0.",
  params: [
    { name: 'alive', type: 'number', description: 'Reward of a step that does not terminate, before the penalties.', default: 1, minimum: -1e6, maximum: 1e6 },
    { name: 'angle_weight', type: 'number', description: 'Penalty at the angle limit (quadratic in theta / theta_threshold).', default: 0.5, minimum: 0, maximum: 1e6 },
    { name: 'position_weight', type: 'number', description: 'Penalty at the track limit (quadratic in x / x_threshold).', default: 0.5, minimum: 0, maximum: 1e6 },
    { name: 'failure', type: 'number', description: 'Reward of the terminating step.', default: -1, minimum: -1e6, maximum: 1e6 },
  ],
  compute(_s, _a, sNext, facts, params) {
    if (facts.terminated) return facts.afterTermination ? 0 : (params.failure as number);
    const u = sNext[2] / facts.thetaThreshold;
    const v = sNext[0] / facts.xThreshold;
    return (params.alive as number) - (params.angle_weight as number) * u * u - (params.position_weight as number) * v * v;
  },
};

/** CartPole's reward functions by name. */
export const cartPoleRewards: ReadonlyMap<string, RewardFunction<CartPoleState, CartPoleFacts>> = new Map(
  [gymnasiumReward, suttonBartoRewardFunction, terminalPenaltyReward, anglePositionReward].map((r) => [r.name, r]),
);

/**
 * What a CartPole reward function sees: s and sNext are [x (m), x_dot (m/s), theta (rad),
 * theta_dot (rad/s)] (float64 state; a Float64Array in-process, an array in the sandbox),
 * info the CartPoleFacts below in this order.
 */
export const cartPoleTransition: TransitionSchema<CartPoleState, CartPoleFacts> = {
  state: 4,
  stateDescription: '[x (m), x_dot (m/s), theta (rad), theta_dot (rad/s)], the float64 state',
  fields: [
    { name: 'terminated', type: 'bool', per: 'step', description: 'The new state is outside the thresholds.' },
    { name: 'afterTermination', type: 'bool', per: 'step', description: 'The episode had already terminated before this step.' },
    { name: 'stepsBeyondTerminated', type: 'int', per: 'step', description: "Gymnasium's steps_beyond_terminated after this step (-1 for None)." },
    { name: 'truncated', type: 'bool', per: 'step', description: 'This step reaches the step limit.' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
    { name: 'suttonBartoConfig', type: 'bool', per: 'batch', description: "The config's sutton_barto_reward flag." },
    { name: 'xThreshold', type: 'number', per: 'batch', description: 'Cart position beyond which the episode terminates, m.' },
    { name: 'thetaThreshold', type: 'number', per: 'batch', description: 'Pole angle beyond which the episode terminates, rad.' },
  ],
  /** Pushed right from rest: the first step with the default config. */
  sample() {
    const facts = newCartPoleFacts();
    facts.steps = 1;
    return { s: new Float64Array([0, 0, 0, 0]), a: 1, sNext: new Float64Array([0, 0.195, 0, -0.293]), facts };
  },
};
