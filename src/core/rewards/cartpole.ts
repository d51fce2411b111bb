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
}

/** A fresh facts object (one per batch). */
export function newCartPoleFacts(): CartPoleFacts {
  return { terminated: false, afterTermination: false, stepsBeyondTerminated: -1, suttonBartoConfig: false };
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

/** CartPole's reward functions by name. */
export const cartPoleRewards: ReadonlyMap<string, RewardFunction<CartPoleState, CartPoleFacts>> = new Map(
  [gymnasiumReward, suttonBartoRewardFunction, terminalPenaltyReward].map((r) => [r.name, r]),
);
