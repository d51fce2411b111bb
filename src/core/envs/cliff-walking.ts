import type { OptionValues } from '../options.js';
import { cliffWalkingRewards, cliffWalkingTransition, newCliffWalkingFacts, type CliffWalkingFacts } from '../rewards/cliff-walking.js';
import type { RewardChoice } from '../rewards/types.js';
import type { DiscreteSpace } from '../spaces.js';
import {
  CLIFF_COLS,
  CLIFF_GOAL,
  CLIFF_ROWS,
  CLIFF_START,
  CLIFF_WALKING_ID,
  CliffWalkingBatch,
  cliffWalkingActionSpace,
  cliffWalkingConfigOptions,
  cliffWalkingObservationSpace,
  cliffWalkingResetOptions,
  describeCliffWalking,
} from './gymnasium/cliff-walking.js';
import { GymEnvBatch } from './gymnasium/gym-env-batch.js';
import { COLORS, drawGrid } from './gymnasium/raster.js';
import type { EnvRewards } from './reward-layer.js';
import type { EnvType, RenderModeName, RgbFrame } from './types.js';

const rewardSpec: EnvRewards<number, CliffWalkingFacts> = {
  envId: CLIFF_WALKING_ID,
  schema: cliffWalkingTransition,
  builtins: cliffWalkingRewards,
  defaultName: 'gymnasium',
};

/** Pixels per cell of rgb_array frames (Gymnasium's window is 60 px a cell, 720 x 240). */
const CELL_PX = 60;

function isCliffCell(row: number, col: number): boolean {
  return row === CLIFF_ROWS - 1 && col >= 1 && col <= CLIFF_COLS - 2;
}

function goalDistance(s: number): number {
  return Math.abs(Math.floor(s / CLIFF_COLS) - (CLIFF_ROWS - 1)) + Math.abs((s % CLIFF_COLS) - (CLIFF_COLS - 1));
}

/**
 * `numEnvs` copies of CliffWalking-v1 (the port in gymnasium/cliff-walking.ts) paying the
 * chosen reward function. Observations are state indices row * 12 + col.
 */
export class CliffWalkingEnvBatch extends GymEnvBatch<CliffWalkingBatch, number, CliffWalkingFacts> {
  readonly observationSpace: DiscreteSpace = cliffWalkingObservationSpace();
  readonly actionSpace: DiscreteSpace = cliffWalkingActionSpace();
  protected readonly envId = CLIFF_WALKING_ID;

  constructor(numEnvs: number, config: Record<string, unknown>, reward: RewardChoice, seed: number | undefined) {
    super(new CliffWalkingBatch(numEnvs, config, seed, CLIFF_WALKING_ID), rewardSpec, newCliffWalkingFacts(), 0, 0);
    this.setReward(reward.name, reward.params, reward.impl);
  }

  protected readState(i: number): number {
    return this.dynamics.observations[i];
  }

  protected fillFacts(i: number, _action: number, s: number, sNext: number): void {
    const f = this.facts;
    // Only a fall pays -100 (and it always lands on the start).
    f.cliff = this.facts.gymnasiumReward === -100 && sNext === CLIFF_START;
    f.prob = this.dynamics.lastProb[i];
    f.row = Math.floor(s / CLIFF_COLS);
    f.col = s % CLIFF_COLS;
    f.nextRow = Math.floor(sNext / CLIFF_COLS);
    f.nextCol = sNext % CLIFF_COLS;
    f.goalDistance = goalDistance(s);
    f.nextGoalDistance = goalDistance(sNext);
  }

  /** Gymnasium's info: {prob} of the last transition (1 after reset). */
  info(i: number): Record<string, unknown> {
    return { prob: this.dynamics.lastProb[i] };
  }

  /** 'ansi': Gymnasium's text (x agent, C cliff, T goal, o else); 'rgb_array': 720 x 240 grid, cliff red, goal green, agent a dark disc. */
  protected draw(i: number, mode: RenderModeName): RgbFrame | string {
    if (mode === 'ansi') return this.dynamics.renderAnsi(i);
    const s = this.dynamics.observations[i];
    const fill = (r: number, c: number) => (isCliffCell(r, c) ? COLORS.cliff : r * CLIFF_COLS + c === CLIFF_GOAL ? COLORS.goal : r * CLIFF_COLS + c === CLIFF_START ? COLORS.start : COLORS.floor);
    return drawGrid(CLIFF_ROWS, CLIFF_COLS, CELL_PX, fill, Math.floor(s / CLIFF_COLS), s % CLIFF_COLS).frame();
  }

  /** The dashboard's 'grid' scene: the cliff drawn as hazards ('H'). */
  scene(): Record<string, unknown> {
    const rows = ['............', '............', '............', 'SHHHHHHHHHHG'];
    return { kind: 'grid', state_names: ['row', 'col'], action_names: ['up', 'right', 'down', 'left'], width: CLIFF_COLS, height: CLIFF_ROWS, rows };
  }

  drawState(i: number, out: number[]): void {
    const s = this.dynamics.observations[i];
    out.push(Math.floor(s / CLIFF_COLS), s % CLIFF_COLS);
  }
}

/** The CliffWalking-v1 env type. */
export const cliffWalkingType: EnvType = {
  id: CLIFF_WALKING_ID,
  description:
    "Gymnasium's CliffWalking-v1 (Sutton & Barto, Example 6.6): walk a 4 x 12 grid from the bottom-left start to the bottom-right goal " +
    'along a cliff. Actions 0 up, 1 right, 2 down, 3 left; observation row * 12 + col; -1 per step, -100 and back to the start for stepping ' +
    'onto the cliff; ends at the goal. No step limit by default (as registered): set max_episode_steps for one.',
  configOptions: cliffWalkingConfigOptions(CLIFF_WALKING_ID),
  resetOptions: cliffWalkingResetOptions,
  rewardFunctions: cliffWalkingRewards.map((r) => ({ name: r.name, description: r.description, params: r.params })),
  defaultRewardFunction: 'gymnasium',
  renderModes: ['ansi', 'rgb_array'],
  renderFps: 4,
  transition: cliffWalkingTransition,
  stateGrid: () => ({ width: CLIFF_COLS, height: CLIFF_ROWS }),
  describe: (config: OptionValues) => describeCliffWalking(config, CLIFF_WALKING_ID),
  create: (numEnvs, config, reward, seed) => new CliffWalkingEnvBatch(numEnvs, config, reward, seed),
};
