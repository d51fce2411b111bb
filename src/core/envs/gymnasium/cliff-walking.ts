import { resolveOptions, type OptionSpec, type OptionValues } from '../../options.js';
import { discrete, type DiscreteSpace } from '../../spaces.js';
import { TabularBatch } from './tabular-batch.js';
import { TransitionTable } from './transition-table.js';

/*
 * CliffWalking-v1 (and CliffWalkingSlippery-v1): a port of Gymnasium 1.4's
 * gymnasium/envs/toy_text/cliffwalking.py. Registered without max_episode_steps, so there
 * is no TimeLimit unless the config sets one.
 *
 * ## Description
 *
 * A 4x12 grid (Sutton & Barto, Example 6.6): start at [3, 0], goal at [3, 11], a cliff along
 * [3, 1..10]. Stepping onto the cliff costs -100 and puts the agent back on the start (the
 * episode goes on). With `is_slippery` the agent moves in the intended direction or either
 * perpendicular one, each with probability 1/3.
 *
 * ## Action space
 *
 * Discrete(4): 0 up, 1 right, 2 down, 3 left. Moves off the grid stay on the edge cell.
 *
 * ## Observation space
 *
 * Discrete(48): row * 12 + col (start 36, goal 47).
 *
 * ## Rewards
 *
 * -1 per step, -100 for stepping onto the cliff.
 *
 * ## Episode end
 *
 * Termination: entering the goal [3, 11]. Steps taken from the goal move on as from any
 * other cell (Gymnasium's table has no absorbing state). Truncation: `max_episode_steps`
 * when > 0 (default 0: none, as registered).
 *
 * ## RNG
 *
 * reset: one random() (the start is fixed, but categorical_sample draws); step: one random().
 */

export const CLIFF_WALKING_ID = 'CliffWalking-v1';
export const CLIFF_WALKING_SLIPPERY_ID = 'CliffWalkingSlippery-v1';
export type CliffWalkingId = typeof CLIFF_WALKING_ID | typeof CLIFF_WALKING_SLIPPERY_ID;

export const CLIFF_ROWS = 4;
export const CLIFF_COLS = 12;
export const CLIFF_START = 36;
export const CLIFF_GOAL = 47;
/** Actions: 0 up, 1 right, 2 down, 3 left, as (row, col) deltas. */
const DELTAS: readonly (readonly [number, number])[] = [[-1, 0], [0, 1], [1, 0], [0, -1]];

/** Config options; the slippery id defaults is_slippery to true. */
export function cliffWalkingConfigOptions(id: CliffWalkingId = CLIFF_WALKING_ID): readonly OptionSpec[] {
  return [
    { name: 'is_slippery', type: 'bool', description: 'Move in the intended or either perpendicular direction, 1/3 each.', default: id === CLIFF_WALKING_SLIPPERY_ID },
    { name: 'max_episode_steps', type: 'int', description: 'TimeLimit truncation; 0 means none (CliffWalking is registered without one).', default: 0, minimum: 0, maximum: 100000 },
  ];
}

export const cliffWalkingResetOptions: readonly OptionSpec[] = [];

export interface CliffWalkingConfig {
  readonly isSlippery: boolean;
  readonly maxEpisodeSteps: number;
}

export function resolveCliffWalkingConfig(config: Record<string, unknown>, id: CliffWalkingId = CLIFF_WALKING_ID): CliffWalkingConfig {
  const c = resolveOptions(cliffWalkingConfigOptions(id), config, 'config');
  return { isSlippery: c.is_slippery as boolean, maxEpisodeSteps: c.max_episode_steps as number };
}

function isCliff(row: number, col: number): boolean {
  return row === 3 && col >= 1 && col <= CLIFF_COLS - 2;
}

/** CliffWalkingEnv.P and initial_state_distrib, outcome lists in Gymnasium's order. */
export function cliffWalkingTable(cfg: CliffWalkingConfig): TransitionTable {
  const n = CLIFF_ROWS * CLIFF_COLS;
  const initial = new Float64Array(n);
  initial[CLIFF_START] = 1;
  return new TransitionTable(n, 4, cfg.isSlippery ? 3 : 1, initial, (s, a, add) => {
    const row = Math.floor(s / CLIFF_COLS);
    const col = s % CLIFF_COLS;
    const moves = cfg.isSlippery ? [(a + 3) % 4, a, (a + 1) % 4] : [a];
    for (const m of moves) {
      const r = Math.max(Math.min(row + DELTAS[m][0], CLIFF_ROWS - 1), 0);
      const c = Math.max(Math.min(col + DELTAS[m][1], CLIFF_COLS - 1), 0);
      const p = 1 / moves.length;
      if (isCliff(r, c)) add(p, CLIFF_START, -100, false);
      else add(p, r * CLIFF_COLS + c, -1, r === CLIFF_ROWS - 1 && c === CLIFF_COLS - 1);
    }
  });
}

export function cliffWalkingObservationSpace(): DiscreteSpace {
  return discrete(CLIFF_ROWS * CLIFF_COLS);
}

export function cliffWalkingActionSpace(): DiscreteSpace {
  return discrete(4);
}

/** `numEnvs` copies of CliffWalking: TabularBatch over its table. */
export class CliffWalkingBatch extends TabularBatch {
  readonly config: CliffWalkingConfig;

  constructor(numEnvs: number, config: Record<string, unknown> = {}, seed?: number, id: CliffWalkingId = CLIFF_WALKING_ID) {
    const cfg = resolveCliffWalkingConfig(config, id);
    super(id, cliffWalkingTable(cfg), numEnvs, cfg.maxEpisodeSteps, seed);
    this.config = cfg;
  }

  /** Gymnasium's render_mode "ansi" frame of copy i. */
  renderAnsi(i: number): string {
    return renderCliffWalkingAnsi(this.observations[i]);
  }
}

/** CliffWalkingEnv._render_text: " x " agent, " T " goal, " C " cliff, " o " else; rows trimmed at the edges. */
export function renderCliffWalkingAnsi(state: number): string {
  let out = '';
  for (let s = 0; s < CLIFF_ROWS * CLIFF_COLS; s++) {
    const row = Math.floor(s / CLIFF_COLS);
    const col = s % CLIFF_COLS;
    let cell = state === s ? ' x ' : s === CLIFF_GOAL ? ' T ' : isCliff(row, col) ? ' C ' : ' o ';
    if (col === 0) cell = cell.trimStart();
    if (col === CLIFF_COLS - 1) cell = cell.trimEnd() + '\n';
    out += cell;
  }
  return out + '\n';
}

export function describeCliffWalking(config: OptionValues, id: CliffWalkingId = CLIFF_WALKING_ID) {
  const cfg = resolveCliffWalkingConfig(config, id);
  return { observationSpace: cliffWalkingObservationSpace(), actionSpace: cliffWalkingActionSpace(), maxEpisodeSteps: cfg.maxEpisodeSteps };
}
