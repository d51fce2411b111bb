/**
 * GridWorld-v0 reward functions. The state is the state index (row * width + col); the
 * reward is paid on the cell the agent is on after the move (REFERENCE s.2).
 */

import { CELL_KIND_NAMES, CellKind, type CellKindName } from '../envs/gridworld-maps.js';
import type { OptionSpec, OptionValues } from '../options.js';
import type { TransitionSchema } from '../envs/transition-schema.js';
import type { RewardFunction } from './types.js';

/**
 * What a gridworld step did. One object per batch, overwritten by every step, so reward
 * functions (built-in and plugin) must not keep it. The world's size and goal are fixed per
 * batch.
 */
export interface GridFacts {
  /** CellKind of the cell entered (the resulting cell: the same one after an off-grid stay). */
  kind: number;
  /** Name of that cell's kind: "standard", "hazard", "goal" or "start". */
  cell: CellKindName;
  /** The chosen move pointed off the grid (the agent stayed or took a random legal move). */
  offGrid: boolean;
  /** The step entered the goal, ending the episode. */
  terminated: boolean;
  /** The step reached the episode's step limit without entering the goal. */
  truncated: boolean;
  /** Steps of the episode so far, this one included. */
  steps: number;
  /** Position before the step. */
  row: number;
  col: number;
  /** Position after the step. */
  nextRow: number;
  nextCol: number;
  /** The world: size and goal cell. */
  width: number;
  height: number;
  goalRow: number;
  goalCol: number;
}

/** A fresh facts object (one per batch) for a world of this size and goal. */
export function newGridFacts(world: { width: number; height: number; goalRow: number; goalCol: number } = { width: 1, height: 1, goalRow: 0, goalCol: 0 }): GridFacts {
  return {
    kind: CellKind.standard,
    cell: 'standard',
    offGrid: false,
    terminated: false,
    truncated: false,
    steps: 0,
    row: 0,
    col: 0,
    nextRow: 0,
    nextCol: 0,
    width: world.width,
    height: world.height,
    goalRow: world.goalRow,
    goalCol: world.goalCol,
  };
}

/** Fills `facts.kind` and `facts.cell` from a CellKind value. */
export function setGridCell(facts: GridFacts, kind: number): void {
  facts.kind = kind;
  facts.cell = CELL_KIND_NAMES[kind];
}

function cellParams(goal: number, hazard: number, standard: number): OptionSpec[] {
  return [
    { name: 'goal', type: 'number', description: 'Reward for entering the goal.', default: goal },
    { name: 'hazard', type: 'number', description: 'Reward for entering (or staying on) a hazard cell.', default: hazard },
    { name: 'standard', type: 'number', description: 'Reward for entering any other cell, the start included.', default: standard },
  ];
}

/** Pays params.goal / params.hazard / params.standard by the kind of the cell entered. */
function computeCellReward(_s: number, _a: number, _sNext: number, facts: GridFacts, params: OptionValues): number {
  if (facts.kind === CellKind.goal) return params.goal as number;
  if (facts.kind === CellKind.hazard) return params.hazard as number;
  return params.standard as number;
}

/** The seed notes' rewards: goal 0, hazard -200, any other cell -1. */
export const gridSeedReward: RewardFunction<number, GridFacts> = {
  name: 'seed',
  description:
    "The seed course's gridworld rewards, paid on the cell entered: goal 0, hazard -200, any other cell -1. " +
    'Hazards do not end the episode.',
  params: cellParams(0, -200, -1),
  compute: computeCellReward,
};

/** The later course version: goal 0, hazard -10, any other cell -0.001. */
export const gridSeedV2Reward: RewardFunction<number, GridFacts> = {
  name: 'seed_v2',
  description:
    'The later course version of the gridworld rewards, paid on the cell entered: goal 0, hazard -10, any other cell -0.001.',
  params: cellParams(0, -10, -0.001),
  compute: computeCellReward,
};

/**
 * Potential-based shaping (Ng, Harada & Russell 1999) of the seed's rewards with the
 * potential Phi(s) = -scale * (Manhattan distance from s to the goal):
 *
 *   r = cell reward (goal / hazard / standard) + gamma * Phi(s') - Phi(s)
 *
 * Phi(goal) = 0, so with the agent's own discount as `gamma` every policy's return from s
 * changes by -Phi(s) only: the optimal policy is the same as without shaping, but moves
 * toward the goal pay more at once. (Distances ignore hazards; any potential keeps the
 * optimal policy, a good one only speeds learning up.)
 */
export const gridDistanceShapingReward: RewardFunction<number, GridFacts> = {
  name: 'distance_shaping',
  description:
    "The seed's cell rewards plus potential-based shaping gamma * Phi(s') - Phi(s) with Phi(s) = -scale * (Manhattan distance " +
    'from s to the goal). It keeps the optimal policy when gamma is the agent\'s discount (Ng et al. 1999) and pays moves toward the goal at once.',
  params: [
    ...cellParams(0, -200, -1),
    { name: 'gamma', type: 'number', description: "Discount of the shaping term; set it to the agent's gamma to keep the optimal policy.", default: 0.8, minimum: 0, maximum: 1 },
    {
      name: 'scale',
      type: 'number',
      description:
        'Reward per cell of distance in the potential. The default 0.1 keeps every shaped step on a standard cell of the small worlds negative, ' +
        'so a zero-initialised Q table stays optimistic (larger scales make positive rewards that stop its systematic exploration).',
      default: 0.1,
      minimum: 0,
      maximum: 1e6,
    },
  ],
  compute(s, a, sNext, facts, params) {
    const base = computeCellReward(s, a, sNext, facts, params);
    const scale = params.scale as number;
    const before = Math.abs(facts.row - facts.goalRow) + Math.abs(facts.col - facts.goalCol);
    const after = Math.abs(facts.nextRow - facts.goalRow) + Math.abs(facts.nextCol - facts.goalCol);
    // Phi(s) = -scale * before, Phi(s') = -scale * after.
    return base + scale * (before - (params.gamma as number) * after);
  },
};

/** All GridWorld-v0 built-in reward functions; the first is the default. */
export const gridRewardFunctions: readonly RewardFunction<number, GridFacts>[] = [gridSeedReward, gridSeedV2Reward, gridDistanceShapingReward];

export const GRID_DEFAULT_REWARD = gridSeedReward.name;

/**
 * What a gridworld reward function sees: s and sNext are state indices (row * width + col),
 * info the GridFacts below in this order (in-process functions also get `kind`).
 */
export const gridTransition: TransitionSchema<number, GridFacts> = {
  state: 'index',
  stateDescription: 'the state index row * width + col',
  fields: [
    { name: 'cell', type: { enum: CELL_KIND_NAMES }, per: 'step', description: 'Kind of the cell entered.' },
    { name: 'offGrid', type: 'bool', per: 'step', description: 'The chosen move pointed off the grid.' },
    { name: 'terminated', type: 'bool', per: 'step', description: 'The step entered the goal.' },
    { name: 'truncated', type: 'bool', per: 'step', description: 'The step reached the step limit without entering the goal.' },
    { name: 'steps', type: 'int', per: 'step', description: 'Steps of the episode so far, this one included.' },
    { name: 'row', type: 'int', per: 'step', description: 'Row before the step.' },
    { name: 'col', type: 'int', per: 'step', description: 'Column before the step.' },
    { name: 'nextRow', type: 'int', per: 'step', description: 'Row after the step.' },
    { name: 'nextCol', type: 'int', per: 'step', description: 'Column after the step.' },
    { name: 'width', type: 'int', per: 'batch', description: 'Columns of the world.' },
    { name: 'height', type: 'int', per: 'batch', description: 'Rows of the world.' },
    { name: 'goalRow', type: 'int', per: 'batch', description: "The goal's row." },
    { name: 'goalCol', type: 'int', per: 'batch', description: "The goal's column." },
  ],
  /** small_maze's start moving right. */
  sample() {
    const facts = newGridFacts({ width: 13, height: 11, goalRow: 9, goalCol: 12 });
    setGridCell(facts, CellKind.standard);
    Object.assign(facts, { steps: 1, row: 9, col: 0, nextRow: 9, nextCol: 1 });
    return { s: 9 * 13, a: 3, sNext: 9 * 13 + 1, facts };
  },
};
