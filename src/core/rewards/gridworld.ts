/**
 * GridWorld-v0 reward functions. The state is the state index (row * width + col); the
 * reward is paid on the cell the agent is on after the move (REFERENCE s.2).
 */

import { CellKind } from '../envs/gridworld-maps.js';
import type { OptionSpec, OptionValues } from '../options.js';
import type { RewardFunction } from './types.js';

/** What a gridworld step did. One object per batch, overwritten by every step. */
export interface GridFacts {
  /** CellKind of the cell entered (the resulting cell: the same one after an off-grid stay). */
  cell: number;
  /** The chosen move pointed off the grid (the agent stayed or took a random legal move). */
  offGrid: boolean;
  /** The step entered the goal, ending the episode. */
  terminated: boolean;
}

/** A fresh facts object (one per batch). */
export function newGridFacts(): GridFacts {
  return { cell: CellKind.standard, offGrid: false, terminated: false };
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
  if (facts.cell === CellKind.goal) return params.goal as number;
  if (facts.cell === CellKind.hazard) return params.hazard as number;
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

/** All GridWorld-v0 reward functions; the first is the default. */
export const gridRewardFunctions: readonly RewardFunction<number, GridFacts>[] = [gridSeedReward, gridSeedV2Reward];

export const GRID_DEFAULT_REWARD = gridSeedReward.name;
