/**
 * Acrobot-v1 reward functions. s and sNext are [theta1, theta2 (rad), dtheta1, dtheta2
 * (rad/s)], float64: theta1 the first link's angle from hanging down, theta2 the second's
 * relative to the first.
 */

import type { GymStepFacts } from '../envs/gymnasium/gym-env-batch.js';
import type { TransitionSchema } from '../envs/transition-schema.js';
import { shapedReward, shapingParams } from './potential-shaping.js';
import type { RewardFunction } from './types.js';

/** What one Acrobot step did (one object per batch, overwritten by every step: do not keep it). */
export type AcrobotFacts = GymStepFacts;

export function newAcrobotFacts(): AcrobotFacts {
  return { gymnasiumReward: -1, terminated: false, truncated: false, steps: 0 };
}

export type AcrobotState = Float64Array;

/** Height of the free end above the fixed joint, in link lengths: -cos(theta1) - cos(theta1 + theta2), in [-2, 2]; the episode terminates above 1. */
export function acrobotTipHeight(s: ArrayLike<number>): number {
  return -Math.cos(s[0]) - Math.cos(s[1] + s[0]);
}

/** `gymnasium`: exactly Gymnasium's reward: -1 per step, 0 on the terminating step. */
export const acrobotGymnasiumReward: RewardFunction<AcrobotState, AcrobotFacts> = {
  name: 'gymnasium',
  description: "Gymnasium's Acrobot-v1 reward: -1 per step, 0 on the terminating step.",
  params: [],
  compute: (_s, _a, _sNext, facts) => facts.gymnasiumReward,
};

/** `height`: Gymnasium's reward plus potential-based shaping by the free end's height. */
export const acrobotHeightShaping: RewardFunction<AcrobotState, AcrobotFacts> = {
  name: 'height',
  description:
    "Gymnasium's reward + scale * (gamma * h(s') - h(s)), h = -cos(theta1) - cos(theta1 + theta2) the free end's height in link lengths, " +
    "h(s') = 0 on the terminating step: potential-based, so it keeps the optimal policies (for the agent's gamma).",
  params: shapingParams(1, 0.99, 'per link length of height'),
  compute(s, _a, sNext, facts, params) {
    return shapedReward(facts.gymnasiumReward, acrobotTipHeight(s), acrobotTipHeight(sNext), facts.terminated, params);
  },
};

export const acrobotRewards: readonly RewardFunction<AcrobotState, AcrobotFacts>[] = [acrobotGymnasiumReward, acrobotHeightShaping];

/** What an Acrobot reward function sees: s and sNext [theta1, theta2, dtheta1, dtheta2], info these facts. */
export const acrobotTransition: TransitionSchema<AcrobotState, AcrobotFacts> = {
  state: 4,
  stateDescription: '[theta1 (rad), theta2 (rad), dtheta1 (rad/s), dtheta2 (rad/s)], the float64 state',
  fields: [
    { name: 'gymnasiumReward', type: 'number', per: 'step', description: 'The reward Gymnasium pays for this step (-1, 0 on termination).' },
    { name: 'terminated', type: 'bool', per: 'step', description: 'The free end rose above one link length over the fixed joint.' },
    { name: 'truncated', type: 'bool', per: 'step', description: 'This step reaches the step limit.' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
  ],
  /** Torque +1 from hanging still. */
  sample() {
    const facts = newAcrobotFacts();
    facts.steps = 1;
    return { s: new Float64Array([0, 0, 0, 0]), a: 2, sNext: new Float64Array([-0.0067, 0.0199, -0.0659, 0.196]), facts };
  },
};
