/**
 * CliffWalking-v1 reward functions. The state is the state index row * 12 + col (start 36,
 * goal 47); stepping onto the cliff sends the agent back to the start.
 */

import type { GymStepFacts } from '../envs/gymnasium/gym-env-batch.js';
import type { TransitionSchema } from '../envs/transition-schema.js';
import { shapedReward, shapingParams } from './potential-shaping.js';
import type { RewardFunction } from './types.js';

/** What one CliffWalking step did (one object per batch, overwritten by every step: do not keep it). */
export interface CliffWalkingFacts extends GymStepFacts {
  /** The move went onto the cliff: the agent is back on the start. */
  cliff: boolean;
  /** Probability of the outcome drawn (Gymnasium's info "prob"). */
  prob: number;
  /** Position before and after the step (after a fall: the start). */
  row: number;
  col: number;
  nextRow: number;
  nextCol: number;
  /** Manhattan distance (cells) to the goal before and after the step. */
  goalDistance: number;
  nextGoalDistance: number;
}

export function newCliffWalkingFacts(): CliffWalkingFacts {
  return {
    gymnasiumReward: -1,
    terminated: false,
    truncated: false,
    steps: 0,
    cliff: false,
    prob: 1,
    row: 3,
    col: 0,
    nextRow: 3,
    nextCol: 0,
    goalDistance: 11,
    nextGoalDistance: 11,
  };
}

/** `gymnasium`: exactly Gymnasium's reward: -1 per step, -100 for stepping onto the cliff. */
export const cliffWalkingGymnasiumReward: RewardFunction<number, CliffWalkingFacts> = {
  name: 'gymnasium',
  description: "Gymnasium's CliffWalking reward: -1 per step (the goal step included), -100 for stepping onto the cliff (back to the start).",
  params: [],
  compute: (_s, _a, _sNext, facts) => facts.gymnasiumReward,
};

/** `cliff_costs`: the same events with their own costs, e.g. a goal bonus or a milder cliff. */
export const cliffWalkingCosts: RewardFunction<number, CliffWalkingFacts> = {
  name: 'cliff_costs',
  description: 'Per-event rewards: `cliff` for stepping onto the cliff, `goal` for the step entering the goal, `step` for any other step (defaults are Gymnasium\'s).',
  params: [
    { name: 'step', type: 'number', description: 'Reward of an ordinary step.', default: -1, minimum: -1e6, maximum: 1e6 },
    { name: 'cliff', type: 'number', description: 'Reward for stepping onto the cliff.', default: -100, minimum: -1e6, maximum: 1e6 },
    { name: 'goal', type: 'number', description: 'Reward of the step entering the goal.', default: -1, minimum: -1e6, maximum: 1e6 },
  ],
  compute(_s, _a, _sNext, facts, params) {
    if (facts.cliff) return params.cliff as number;
    return (facts.terminated ? params.goal : params.step) as number;
  },
};

/** `distance_shaping`: Gymnasium's reward plus potential-based shaping with phi = -(distance to the goal) / 14. */
export const cliffWalkingDistanceShaping: RewardFunction<number, CliffWalkingFacts> = {
  name: 'distance_shaping',
  description:
    "Gymnasium's reward + scale * (gamma * phi(s') - phi(s)) with phi = -(Manhattan distance to the goal) / 14, phi(s') = 0 on the goal step: " +
    "potential-based, so it keeps the optimal policies (for the agent's gamma).",
  params: shapingParams(1, 0.99, 'at most 1/14 per cell moved'),
  compute(_s, _a, _sNext, facts, params) {
    return shapedReward(facts.gymnasiumReward, -facts.goalDistance / 14, -facts.nextGoalDistance / 14, facts.terminated, params);
  },
};

export const cliffWalkingRewards: readonly RewardFunction<number, CliffWalkingFacts>[] = [cliffWalkingGymnasiumReward, cliffWalkingCosts, cliffWalkingDistanceShaping];

/** What a CliffWalking reward function sees: s and sNext are state indices (row * 12 + col), info these facts. */
export const cliffWalkingTransition: TransitionSchema<number, CliffWalkingFacts> = {
  state: 'index',
  stateDescription: 'the state index row * 12 + col (4 x 12 grid, start 36, goal 47)',
  fields: [
    { name: 'gymnasiumReward', type: 'number', per: 'step', description: 'The reward Gymnasium pays for this step (-1, or -100 onto the cliff).' },
    { name: 'cliff', type: 'bool', per: 'step', description: 'The move went onto the cliff (the agent is back on the start).' },
    { name: 'terminated', type: 'bool', per: 'step', description: 'The step entered the goal.' },
    { name: 'truncated', type: 'bool', per: 'step', description: 'This step reaches the step limit (none by default).' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
    { name: 'prob', type: 'number', per: 'step', description: 'Probability of the outcome drawn (1, or 1/3 when slippery).' },
    { name: 'row', type: 'int', per: 'step', description: 'Row before the step.' },
    { name: 'col', type: 'int', per: 'step', description: 'Column before the step.' },
    { name: 'nextRow', type: 'int', per: 'step', description: 'Row after the step.' },
    { name: 'nextCol', type: 'int', per: 'step', description: 'Column after the step.' },
    { name: 'goalDistance', type: 'int', per: 'step', description: 'Manhattan distance to the goal before the step, cells.' },
    { name: 'nextGoalDistance', type: 'int', per: 'step', description: 'Manhattan distance to the goal after the step, cells.' },
  ],
  /** Up from the start. */
  sample() {
    const facts = newCliffWalkingFacts();
    Object.assign(facts, { steps: 1, nextRow: 2, nextGoalDistance: 12 });
    return { s: 36, a: 0, sNext: 24, facts };
  },
};
