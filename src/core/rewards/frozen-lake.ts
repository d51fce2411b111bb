/**
 * FrozenLake-v1 / FrozenLake8x8-v1 reward functions. The state is the state index
 * (row * width + col); rewards are paid for the cell entered.
 */

import type { GymStepFacts } from '../envs/gymnasium/gym-env-batch.js';
import type { TransitionSchema } from '../envs/transition-schema.js';
import { shapedReward, shapingParams } from './potential-shaping.js';
import type { RewardFunction } from './types.js';

/** Kinds of FrozenLake cells: S, F, H, G. */
export const FROZEN_LAKE_CELLS = ['start', 'frozen', 'hole', 'goal'] as const;
export type FrozenLakeCell = (typeof FROZEN_LAKE_CELLS)[number];

/** What one FrozenLake step did (one object per batch, overwritten by every step: do not keep it). */
export interface FrozenLakeFacts extends GymStepFacts {
  /** Kind of the cell entered. */
  cell: FrozenLakeCell;
  /** The copy was already on a hole or the goal (the episode had ended): it stays there. */
  afterTermination: boolean;
  /** Probability of the outcome drawn (Gymnasium's info "prob"). */
  prob: number;
  /** Position before and after the step. */
  row: number;
  col: number;
  nextRow: number;
  nextCol: number;
  /** Manhattan distance (cells) to the nearest goal before and after the step. */
  goalDistance: number;
  nextGoalDistance: number;
  /** The map's size, cells. */
  width: number;
  height: number;
}

export function newFrozenLakeFacts(width = 4, height = 4): FrozenLakeFacts {
  return {
    gymnasiumReward: 0,
    terminated: false,
    truncated: false,
    steps: 0,
    cell: 'frozen',
    afterTermination: false,
    prob: 1,
    row: 0,
    col: 0,
    nextRow: 0,
    nextCol: 0,
    goalDistance: 0,
    nextGoalDistance: 0,
    width,
    height,
  };
}

/** `gymnasium`: exactly Gymnasium's reward (the config's reward_schedule [goal, hole, frozen]; 0 after the episode ended). */
export const frozenLakeGymnasiumReward: RewardFunction<number, FrozenLakeFacts> = {
  name: 'gymnasium',
  description: "Gymnasium's FrozenLake reward: reward_schedule [goal, hole, frozen] of the cell entered (default 1, 0, 0); 0 for steps after the episode ended.",
  params: [],
  compute: (_s, _a, _sNext, facts) => facts.gymnasiumReward,
};

/** `hole_penalty`: falling in is punished and every step costs a little, so the agent hurries and avoids holes. */
export const frozenLakeHolePenalty: RewardFunction<number, FrozenLakeFacts> = {
  name: 'hole_penalty',
  description: 'Course shaping: `goal` for reaching the goal, `hole` for falling in a hole, `step` for any other step; 0 for steps after the episode ended.',
  params: [
    { name: 'goal', type: 'number', description: 'Reward for entering the goal.', default: 1, minimum: -1e6, maximum: 1e6 },
    { name: 'hole', type: 'number', description: 'Reward for falling in a hole.', default: -1, minimum: -1e6, maximum: 1e6 },
    { name: 'step', type: 'number', description: 'Reward for entering a frozen or start cell.', default: -0.01, minimum: -1e6, maximum: 1e6 },
  ],
  compute(_s, _a, _sNext, facts, params) {
    if (facts.afterTermination) return 0;
    if (facts.cell === 'goal') return params.goal as number;
    if (facts.cell === 'hole') return params.hole as number;
    return params.step as number;
  },
};

/** `distance_shaping`: Gymnasium's reward plus potential-based shaping with phi = -(distance to the goal) / (width + height - 2). */
export const frozenLakeDistanceShaping: RewardFunction<number, FrozenLakeFacts> = {
  name: 'distance_shaping',
  description:
    "Gymnasium's reward + scale * (gamma * phi(s') - phi(s)) with phi = -(Manhattan distance to the nearest goal) / (width + height - 2), " +
    "phi(s') = 0 when the step ends the episode: potential-based, so it keeps the optimal policies (for the agent's gamma).",
  params: shapingParams(1, 0.99, 'at most 1 per cell moved'),
  compute(_s, _a, _sNext, facts, params) {
    if (facts.afterTermination) return facts.gymnasiumReward;
    const norm = Math.max(1, facts.width + facts.height - 2);
    return shapedReward(facts.gymnasiumReward, -facts.goalDistance / norm, -facts.nextGoalDistance / norm, facts.terminated, params);
  },
};

export const frozenLakeRewards: readonly RewardFunction<number, FrozenLakeFacts>[] = [frozenLakeGymnasiumReward, frozenLakeHolePenalty, frozenLakeDistanceShaping];

/** What a FrozenLake reward function sees: s and sNext are state indices (row * width + col), info these facts. */
export const frozenLakeTransition: TransitionSchema<number, FrozenLakeFacts> = {
  state: 'index',
  stateDescription: 'the state index row * width + col',
  fields: [
    { name: 'gymnasiumReward', type: 'number', per: 'step', description: "The reward Gymnasium pays for this step (the config's reward_schedule)." },
    { name: 'cell', type: { enum: FROZEN_LAKE_CELLS }, per: 'step', description: 'Kind of the cell entered: start, frozen, hole or goal.' },
    { name: 'terminated', type: 'bool', per: 'step', description: 'The step entered a hole or the goal (or stayed on one).' },
    { name: 'afterTermination', type: 'bool', per: 'step', description: 'The copy was on a hole or the goal before this step.' },
    { name: 'truncated', type: 'bool', per: 'step', description: 'This step reaches the step limit.' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
    { name: 'prob', type: 'number', per: 'step', description: 'Probability of the outcome drawn (slippery ice: 1/3 each by default).' },
    { name: 'row', type: 'int', per: 'step', description: 'Row before the step.' },
    { name: 'col', type: 'int', per: 'step', description: 'Column before the step.' },
    { name: 'nextRow', type: 'int', per: 'step', description: 'Row after the step.' },
    { name: 'nextCol', type: 'int', per: 'step', description: 'Column after the step.' },
    { name: 'goalDistance', type: 'int', per: 'step', description: 'Manhattan distance to the nearest goal before the step, cells.' },
    { name: 'nextGoalDistance', type: 'int', per: 'step', description: 'Manhattan distance to the nearest goal after the step, cells.' },
    { name: 'width', type: 'int', per: 'batch', description: 'Columns of the map.' },
    { name: 'height', type: 'int', per: 'batch', description: 'Rows of the map.' },
  ],
  /** Right from the start of the 4x4 map onto frozen ice. */
  sample() {
    const facts = newFrozenLakeFacts(4, 4);
    Object.assign(facts, { steps: 1, prob: 1 / 3, nextCol: 1, goalDistance: 6, nextGoalDistance: 5 });
    return { s: 0, a: 2, sNext: 1, facts };
  },
};
