import type { NumpyGenerator } from '../../numpy-random.js';
import { resolveOptions, type OptionSpec, type OptionValues } from '../../options.js';
import { discrete, type DiscreteSpace } from '../../spaces.js';
import { colorize } from './ansi.js';
import { TabularBatch } from './tabular-batch.js';
import { TransitionTable } from './transition-table.js';

/*
 * Taxi-v4: a port of Gymnasium 1.4's gymnasium/envs/toy_text/taxi.py wrapped in
 * TimeLimit(200).
 *
 * ## Description
 *
 * Drive a taxi on a 5x5 grid with walls, pick up the passenger at one of four pads (R, G, Y,
 * B) and drop them off at their destination pad (Dietterich's MAXQ taxi).
 *
 * ## Action space
 *
 * Discrete(6): 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff.
 *
 * ## Observation space
 *
 * Discrete(500): ((taxi_row * 5 + taxi_col) * 5 + passenger_location) * 4 + destination;
 * passenger location 0..3 a pad (R, G, Y, B), 4 in the taxi.
 *
 * ## Rewards
 *
 * -1 per step, +20 for delivering the passenger, -10 for an illegal pickup or dropoff.
 *
 * ## Starting state
 *
 * Uniform over the 300 states with the passenger on a pad other than the destination
 * (categorical_sample: one random()).
 *
 * ## Options (1.4)
 *
 * - `is_rainy`: a move goes the intended way with `rainy_probability` (0.8) and to each side
 *   with (1 - rainy_probability) / 2; a move blocked by a wall or the edge does not drift.
 * - `fickle_passenger`: at reset, with `fickle_probability` (0.3) the passenger is fickle:
 *   on the first step that moves the taxi while they ride, they switch to one of the other
 *   three destinations (uniform), once per episode.
 *
 * ## Episode end
 *
 * Termination: a successful dropoff. Truncation: `max_episode_steps` (200).
 *
 * ## RNG
 *
 * reset: random() for the start state, then (fickle_passenger only) random() for the
 * fickle draw; step: random() for the outcome, then (fickle, when it fires) integers(0, 3)
 * for the new destination (np_random.choice over the other three).
 */

export const TAXI_ID = 'Taxi-v4';
/** Pads R, G, Y, B as (row, col). */
export const TAXI_LOCS: readonly (readonly [number, number])[] = [[0, 0], [0, 4], [4, 0], [4, 3]];
export const TAXI_MAP: readonly string[] = ['+---------+', '|R: | : :G|', '| : | : : |', '| : : : : |', '| | : | : |', '|Y| : |B: |', '+---------+'];
export const TAXI_ACTION_NAMES = ['South', 'North', 'East', 'West', 'Pickup', 'Dropoff'] as const;
const MAX_ROW = 4;
const MAX_COL = 4;

export const taxiConfigOptions: readonly OptionSpec[] = [
  { name: 'is_rainy', type: 'bool', description: 'Moves go the intended way with rainy_probability, else to either side.', default: false },
  { name: 'fickle_passenger', type: 'bool', description: 'With fickle_probability the passenger changes destination on the first move after pickup.', default: false },
  { name: 'rainy_probability', type: 'number', description: 'Probability of the intended move when is_rainy.', default: 0.8, minimum: 0, maximum: 1 },
  { name: 'fickle_probability', type: 'number', description: 'Probability that an episode\'s passenger is fickle.', default: 0.3, minimum: 0, maximum: 1 },
  { name: 'max_episode_steps', type: 'int', description: 'Steps after which an episode is truncated (TimeLimit).', default: 200, minimum: 1, maximum: 100000 },
];

export const taxiResetOptions: readonly OptionSpec[] = [];
export const TAXI_REWARD_THRESHOLD = 8;

export interface TaxiConfig {
  readonly isRainy: boolean;
  readonly ficklePassenger: boolean;
  readonly rainyProbability: number;
  readonly fickleProbability: number;
  readonly maxEpisodeSteps: number;
}

export function resolveTaxiConfig(config: Record<string, unknown>): TaxiConfig {
  const c = resolveOptions(taxiConfigOptions, config, 'config');
  return {
    isRainy: c.is_rainy as boolean,
    ficklePassenger: c.fickle_passenger as boolean,
    rainyProbability: c.rainy_probability as number,
    fickleProbability: c.fickle_probability as number,
    maxEpisodeSteps: c.max_episode_steps as number,
  };
}

export function taxiEncode(row: number, col: number, passLoc: number, destIdx: number): number {
  return ((row * 5 + col) * 5 + passLoc) * 4 + destIdx;
}

/** [taxi_row, taxi_col, pass_loc, dest_idx] of a state. */
export function taxiDecode(s: number): [number, number, number, number] {
  return [Math.floor(s / 100), Math.floor(s / 20) % 5, Math.floor(s / 4) % 5, s % 4];
}

function padIndex(row: number, col: number): number {
  return TAXI_LOCS.findIndex(([r, c]) => r === row && c === col);
}

/** The map character at desc[r][c] (TAXI_MAP rows). */
function at(r: number, c: number): string {
  return TAXI_MAP[r][c];
}

/** TaxiEnv._pickup: [new pass_idx, reward]. */
function pickup(row: number, col: number, passIdx: number, reward: number): [number, number] {
  if (passIdx < 4 && TAXI_LOCS[passIdx][0] === row && TAXI_LOCS[passIdx][1] === col) return [4, reward];
  return [passIdx, -10];
}

/** TaxiEnv._dropoff: [new pass_idx, reward, terminated]. */
function dropoff(row: number, col: number, passIdx: number, destIdx: number, reward: number): [number, number, boolean] {
  const pad = padIndex(row, col);
  if (pad === destIdx && passIdx === 4) return [destIdx, 20, true];
  if (pad >= 0 && passIdx === 4) return [pad, reward, false];
  return [passIdx, -10, false];
}

/** TaxiEnv._calc_new_position: a lateral (rainy) move, blocked by walls checked at the new cell. */
function calcNewPosition(row: number, col: number, dr: number, dc: number): [number, number] {
  const nr = Math.max(0, Math.min(row + dr, MAX_ROW));
  const nc = Math.max(0, Math.min(col + dc, MAX_COL));
  if (dc === 1 && at(1 + nr, 2 * nc) !== ':') return [row, col];
  if (dc === -1 && at(1 + nr, 2 * nc + 2) !== ':') return [row, col];
  return [nr, nc];
}

/** (forward, left, right) deltas of the four moves, Gymnasium's rainy table. */
const RAINY_MOVES: readonly (readonly (readonly [number, number])[])[] = [
  [[1, 0], [0, 1], [0, -1]],
  [[-1, 0], [0, -1], [0, 1]],
  [[0, 1], [-1, 0], [1, 0]],
  [[0, -1], [1, 0], [-1, 0]],
];

/** TaxiEnv.P and initial_state_distrib for a config (dry or rainy), outcome lists in Gymnasium's order. */
export function taxiTable(cfg: TaxiConfig): TransitionTable {
  const initial = new Float64Array(500);
  for (let s = 0; s < 500; s++) {
    const [, , p, d] = taxiDecode(s);
    if (p < 4 && p !== d) initial[s] = 1;
  }
  const lateral = (1.0 - cfg.rainyProbability) / 2.0;
  return new TransitionTable(500, 6, cfg.isRainy ? 3 : 1, initial, (s, action, add) => {
    const [row, col, passIdx, destIdx] = taxiDecode(s);
    let newRow = row;
    let newCol = col;
    let newPass = passIdx;
    let reward = -1;
    let terminated = false;
    if (!cfg.isRainy) {
      if (action === 0) newRow = Math.min(row + 1, MAX_ROW);
      else if (action === 1) newRow = Math.max(row - 1, 0);
      if (action === 2 && at(1 + row, 2 * col + 2) === ':') newCol = Math.min(col + 1, MAX_COL);
      else if (action === 3 && at(1 + row, 2 * col) === ':') newCol = Math.max(col - 1, 0);
      else if (action === 4) [newPass, reward] = pickup(row, col, newPass, reward);
      else if (action === 5) [newPass, reward, terminated] = dropoff(row, col, newPass, destIdx, reward);
      add(1.0, taxiEncode(newRow, newCol, newPass, destIdx), reward, terminated);
      return;
    }
    let left: readonly [number, number] = [row, col];
    let right: readonly [number, number] = [row, col];
    const canMove =
      (action === 0 && row < MAX_ROW) ||
      (action === 1 && row > 0) ||
      (action === 2 && at(1 + row, 2 * col + 2) === ':') ||
      (action === 3 && at(1 + row, 2 * col) === ':');
    if (canMove) {
      const [fwd, l, r] = RAINY_MOVES[action];
      newRow = Math.max(0, Math.min(row + fwd[0], MAX_ROW));
      newCol = Math.max(0, Math.min(col + fwd[1], MAX_COL));
      left = calcNewPosition(row, col, l[0], l[1]);
      right = calcNewPosition(row, col, r[0], r[1]);
    } else if (action === 4) [newPass, reward] = pickup(row, col, newPass, reward);
    else if (action === 5) [newPass, reward, terminated] = dropoff(row, col, newPass, destIdx, reward);
    const intended = taxiEncode(newRow, newCol, newPass, destIdx);
    if (action <= 3) {
      add(cfg.rainyProbability, intended, -1, terminated);
      add(lateral, taxiEncode(left[0], left[1], newPass, destIdx), -1, terminated);
      add(lateral, taxiEncode(right[0], right[1], newPass, destIdx), -1, terminated);
    } else {
      add(1.0, intended, reward, terminated);
    }
  });
}

/** TaxiEnv.action_mask(state): 1 for the actions that change the state. */
export function taxiActionMask(s: number, out: Uint8Array = new Uint8Array(6)): Uint8Array {
  const [row, col, passLoc, destIdx] = taxiDecode(s);
  out.fill(0);
  if (row < 4) out[0] = 1;
  if (row > 0) out[1] = 1;
  if (col < 4 && at(row + 1, 2 * col + 2) === ':') out[2] = 1;
  if (col > 0 && at(row + 1, 2 * col) === ':') out[3] = 1;
  if (passLoc < 4 && TAXI_LOCS[passLoc][0] === row && TAXI_LOCS[passLoc][1] === col) out[4] = 1;
  const pad = padIndex(row, col);
  if (passLoc === 4 && (pad === destIdx || pad >= 0)) out[5] = 1;
  return out;
}

export function taxiObservationSpace(): DiscreteSpace {
  return discrete(500);
}

export function taxiActionSpace(): DiscreteSpace {
  return discrete(6);
}

/** `numEnvs` copies of Taxi-v4: TabularBatch plus the fickle passenger's draws. */
export class TaxiBatch extends TabularBatch {
  readonly config: TaxiConfig;
  /** [numEnvs] Gymnasium's fickle_step: 1 while the passenger may still change destination. */
  readonly fickleStep: Uint8Array;

  constructor(numEnvs: number, config: Record<string, unknown> = {}, seed?: number) {
    const cfg = resolveTaxiConfig(config);
    super(TAXI_ID, taxiTable(cfg), numEnvs, cfg.maxEpisodeSteps, seed);
    this.config = cfg;
    this.fickleStep = new Uint8Array(numEnvs);
  }

  /** fickle_step = fickle_passenger and random() < fickle_probability (no draw without fickle_passenger). */
  protected override afterReset(i: number, rng: NumpyGenerator): void {
    this.fickleStep[i] = this.config.ficklePassenger && rng.random() < this.config.fickleProbability ? 1 : 0;
  }

  /**
   * Gymnasium's fickle check: the passenger rode in the taxi before this step and the taxi
   * moved, so a fickle passenger picks another destination (integers(0, 3) over the other
   * three, in index order) and stops being fickle.
   */
  protected override afterStep(i: number, prev: number, next: number, rng: NumpyGenerator): number {
    if (!this.config.ficklePassenger || this.fickleStep[i] === 0) return next;
    const prevPass = Math.floor(prev / 4) % 5;
    if (prevPass !== 4) return next;
    const prevCell = Math.floor(prev / 20);
    const cell = Math.floor(next / 20);
    if (cell === prevCell) return next;
    this.fickleStep[i] = 0;
    const prevDest = prev % 4;
    const k = rng.integers(0, 3);
    const dest = k < prevDest ? k : k + 1;
    return next - (next % 4) + dest;
  }

  protected override get extraFlags(): number {
    return 1;
  }

  protected override saveExtraFlags(into: Uint8Array, offset: number): void {
    into.set(this.fickleStep, offset);
  }

  protected override loadExtraFlags(from: Uint8Array, offset: number): void {
    this.fickleStep.set(from.subarray(offset, offset + this.numEnvs));
  }

  /** Gymnasium's render_mode "ansi" frame of copy i. */
  renderAnsi(i: number): string {
    return renderTaxiAnsi(this.observations[i], this.lastAction[i]);
  }
}

/** TaxiEnv._render_text: the map with taxi (yellow, green with the passenger), passenger (blue) and destination (magenta), then the last action. */
export function renderTaxiAnsi(state: number, lastAction: number): string {
  const out = TAXI_MAP.map((line) => [...line]);
  const [row, col, passIdx, destIdx] = taxiDecode(state);
  const ul = (x: string) => (x === ' ' ? '_' : x);
  if (passIdx < 4) {
    out[1 + row][2 * col + 1] = colorize(out[1 + row][2 * col + 1], 'yellow', false, true);
    const [pi, pj] = TAXI_LOCS[passIdx];
    out[1 + pi][2 * pj + 1] = colorize(out[1 + pi][2 * pj + 1], 'blue', true);
  } else {
    out[1 + row][2 * col + 1] = colorize(ul(out[1 + row][2 * col + 1]), 'green', false, true);
  }
  const [di, dj] = TAXI_LOCS[destIdx];
  out[1 + di][2 * dj + 1] = colorize(out[1 + di][2 * dj + 1], 'magenta');
  const text = out.map((r) => r.join('')).join('\n') + '\n';
  return text + (lastAction >= 0 ? `  (${TAXI_ACTION_NAMES[lastAction]})\n` : '\n');
}

export function describeTaxi(config: OptionValues) {
  const cfg = resolveTaxiConfig(config);
  return { observationSpace: taxiObservationSpace(), actionSpace: taxiActionSpace(), maxEpisodeSteps: cfg.maxEpisodeSteps };
}
