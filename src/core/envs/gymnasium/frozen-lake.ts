import { randomInt } from 'node:crypto';
import { invalidArgument } from '../../errors.js';
import { resolveOptions, type OptionSpec, type OptionValues } from '../../options.js';
import { NumpyGenerator } from '../../numpy-random.js';
import { discrete, type DiscreteSpace } from '../../spaces.js';
import { colorize } from './ansi.js';
import { TabularBatch } from './tabular-batch.js';
import { TransitionTable } from './transition-table.js';

/*
 * FrozenLake-v1 (and FrozenLake8x8-v1): a port of Gymnasium 1.4's
 * gymnasium/envs/toy_text/frozen_lake.py wrapped in TimeLimit.
 *
 * ## Description
 *
 * Cross a frozen lake from the start S to the goal G without falling into a hole H; F is
 * frozen ice. On a slippery lake the agent moves in the intended direction with probability
 * `success_rate` and in each perpendicular direction with (1 - success_rate) / 2.
 *
 * ## Action space
 *
 * Discrete(4): 0 left, 1 down, 2 right, 3 up. A move off the map stays on the edge cell.
 *
 * ## Observation space
 *
 * Discrete(nrow * ncol): row * ncol + col.
 *
 * ## Rewards
 *
 * `reward_schedule` [goal, hole, frozen] paid on the cell entered (default [1, 0, 0]; the
 * start cell counts as frozen). Steps from a hole or the goal stay there and pay 0.
 *
 * ## Starting state
 *
 * An S cell, drawn uniformly among the map's S cells (categorical_sample: one random()).
 *
 * ## Episode end
 *
 * Termination: entering a hole or the goal. Truncation (TimeLimit): `max_episode_steps`
 * (100 for FrozenLake-v1, 200 for FrozenLake8x8-v1, as registered).
 *
 * ## RNG
 *
 * reset: one random(); step: one random() (also on a non-slippery lake and from a terminal
 * cell), exactly as Gymnasium's categorical_sample draws.
 */

export const FROZEN_LAKE_ID = 'FrozenLake-v1';
export const FROZEN_LAKE_8X8_ID = 'FrozenLake8x8-v1';

/** Gymnasium's built-in maps. */
export const FROZEN_LAKE_MAPS: Readonly<Record<'4x4' | '8x8', readonly string[]>> = {
  '4x4': ['SFFF', 'FHFH', 'FFFH', 'HFFG'],
  '8x8': ['SFFFFFFF', 'FFFFFFFF', 'FFFHFFFF', 'FFFFFHFF', 'FFFHFFFF', 'FHHFFFHF', 'FHFFHFHF', 'FFFHFFFG'],
};

/** Actions: 0 left, 1 down, 2 right, 3 up. */
export const FROZEN_LAKE_ACTION_NAMES = ['Left', 'Down', 'Right', 'Up'] as const;

/** Longest map side accepted (desc rows and columns, map_size). */
export const FROZEN_LAKE_MAX_SIDE = 64;
/** generate_random_map gives up after this many invalid boards (Gymnasium loops forever). */
export const RANDOM_MAP_MAX_TRIES = 100_000;

/** Registered defaults of the two ids: map, TimeLimit and reward threshold. */
const VARIANTS = {
  [FROZEN_LAKE_ID]: { mapName: '4x4', maxEpisodeSteps: 100, rewardThreshold: 0.7 },
  [FROZEN_LAKE_8X8_ID]: { mapName: '8x8', maxEpisodeSteps: 200, rewardThreshold: 0.85 },
} as const;

export type FrozenLakeId = keyof typeof VARIANTS;

/** Config options of FrozenLake-v1 / FrozenLake8x8-v1 (Gymnasium's constructor arguments plus the random map's). */
export function frozenLakeConfigOptions(id: FrozenLakeId = FROZEN_LAKE_ID): readonly OptionSpec[] {
  const v = VARIANTS[id];
  return [
    {
      name: 'map_name',
      type: 'string',
      description: 'Built-in map "4x4" or "8x8", or "random": generate_random_map(map_size, map_p, map_seed) (Gymnasium\'s map_name=None). Ignored when `desc` is given.',
      default: v.mapName,
      choices: ['4x4', '8x8', 'random'],
    },
    {
      name: 'desc',
      type: 'string',
      description: `Custom map overriding map_name: rows of S (start, at least one), F, H, G separated by "," or newlines, all of equal length, at most ${FROZEN_LAKE_MAX_SIDE} a side.`,
      default: '',
    },
    { name: 'is_slippery', type: 'bool', description: 'Slippery ice: the intended move succeeds with probability success_rate.', default: true },
    { name: 'success_rate', type: 'number', description: 'Probability of the intended move on slippery ice; each perpendicular move has (1 - success_rate) / 2.', default: 1 / 3, minimum: 0, maximum: 1 },
    { name: 'reward_schedule', type: 'int_list', description: 'Rewards [goal, hole, frozen] for the cell entered.', default: [1, 0, 0] },
    { name: 'map_size', type: 'int', description: 'Side of a "random" map.', default: 8, minimum: 2, maximum: FROZEN_LAKE_MAX_SIDE },
    { name: 'map_p', type: 'number', description: 'Probability that a tile of a "random" map is frozen.', default: 0.8, minimum: 0.1, maximum: 1 },
    { name: 'map_seed', type: 'int', description: 'Seed of a "random" map (generate_random_map\'s seed); -1 draws one from OS entropy.', default: -1, minimum: -1, maximum: Number.MAX_SAFE_INTEGER },
    { name: 'max_episode_steps', type: 'int', description: 'Steps after which an episode is truncated (TimeLimit).', default: v.maxEpisodeSteps, minimum: 1, maximum: 100000 },
  ];
}

/** FrozenLake has no reset options. */
export const frozenLakeResetOptions: readonly OptionSpec[] = [];

/** Gymnasium's registered reward threshold of the id. */
export function frozenLakeRewardThreshold(id: FrozenLakeId = FROZEN_LAKE_ID): number {
  return VARIANTS[id].rewardThreshold;
}

/** A resolved FrozenLake config: the map and the dynamics' parameters. */
export interface FrozenLakeConfig {
  readonly desc: readonly string[];
  readonly isSlippery: boolean;
  readonly successRate: number;
  /** [goal, hole, frozen]. */
  readonly rewardSchedule: readonly [number, number, number];
  readonly maxEpisodeSteps: number;
}

/**
 * Validates and resolves `config` (resolveOptions plus what the schema cannot say: the map's
 * shape and letters, reward_schedule's length); a random map is generated here.
 */
export function resolveFrozenLakeConfig(config: Record<string, unknown>, id: FrozenLakeId = FROZEN_LAKE_ID): FrozenLakeConfig {
  const c = resolveOptions(frozenLakeConfigOptions(id), config, 'config');
  const schedule = c.reward_schedule as readonly number[];
  if (schedule.length !== 3) throw invalidArgument('config.reward_schedule', `config.reward_schedule must be 3 integers [goal, hole, frozen], got ${schedule.length}`);
  let desc: string[];
  if (c.desc !== '') desc = parseDesc(c.desc as string);
  else if (c.map_name === 'random') {
    const seed = (c.map_seed as number) >= 0 ? (c.map_seed as number) : randomInt(0, 2 ** 48 - 1);
    desc = generateRandomMap(c.map_size as number, c.map_p as number, seed);
  } else desc = [...FROZEN_LAKE_MAPS[c.map_name as '4x4' | '8x8']];
  return {
    desc,
    isSlippery: c.is_slippery as boolean,
    successRate: c.success_rate as number,
    rewardSchedule: [schedule[0], schedule[1], schedule[2]],
    maxEpisodeSteps: c.max_episode_steps as number,
  };
}

/** A desc string ("SFFF,FHFH,..." or one row a line) as rows; INVALID_ARGUMENT on config.desc if it is not a map. */
export function parseDesc(text: string): string[] {
  const rows = text.split(/[,\n]/).map((r) => r.trim()).filter((r) => r.length > 0);
  const bad = (why: string) => invalidArgument('config.desc', `config.desc: ${why}`, 'INVALID_MAP');
  if (rows.length === 0) throw bad('no rows');
  if (rows.length > FROZEN_LAKE_MAX_SIDE) throw bad(`more than ${FROZEN_LAKE_MAX_SIDE} rows`);
  const width = rows[0].length;
  if (width > FROZEN_LAKE_MAX_SIDE) throw bad(`rows longer than ${FROZEN_LAKE_MAX_SIDE}`);
  rows.forEach((r, k) => {
    if (r.length !== width) throw bad(`row ${k} has ${r.length} cells, row 0 has ${width}`);
    if (!/^[SFHG]+$/.test(r)) throw bad(`row ${k} ("${r}") may only hold S, F, H and G`);
  });
  if (!rows.some((r) => r.includes('S'))) throw bad('there is no start cell S');
  return rows;
}

/** Gymnasium's is_valid: a path from (0, 0) to a G through non-H cells (4-neighbour moves). */
export function isValidMap(board: readonly string[], size: number): boolean {
  const seen = new Uint8Array(size * size);
  const frontier: number[] = [0];
  while (frontier.length > 0) {
    const cell = frontier.pop()!;
    if (seen[cell]) continue;
    seen[cell] = 1;
    const r = Math.floor(cell / size);
    const c = cell % size;
    for (const [dr, dc] of [[1, 0], [0, 1], [-1, 0], [0, -1]] as const) {
      const rn = r + dr;
      const cn = c + dc;
      if (rn < 0 || rn >= size || cn < 0 || cn >= size) continue;
      if (board[rn][cn] === 'G') return true;
      if (board[rn][cn] !== 'H') frontier.push(rn * size + cn);
    }
  }
  return false;
}

/**
 * Gymnasium's generate_random_map(size, p, seed), bit for bit: a fresh generator seeded with
 * `seed`; per try, choice(["F", "H"], (size, size), p=[p, 1 - p]) (size * size random()
 * draws, row-major), S at the top left, G at the bottom right, until is_valid. Throws after
 * RANDOM_MAP_MAX_TRIES invalid boards.
 */
export function generateRandomMap(size = 8, p = 0.8, seed = 0): string[] {
  const rng = new NumpyGenerator(seed);
  const q = Math.min(1, p);
  const idx = new Int32Array(size * size);
  for (let tries = 0; tries < RANDOM_MAP_MAX_TRIES; tries++) {
    rng.choiceIndices([q, 1 - q], size * size, idx);
    const board: string[] = [];
    for (let r = 0; r < size; r++) {
      let row = '';
      for (let c = 0; c < size; c++) row += idx[r * size + c] === 0 ? 'F' : 'H';
      board.push(row);
    }
    board[0] = 'S' + board[0].slice(1);
    board[size - 1] = board[size - 1].slice(0, -1) + 'G';
    if (isValidMap(board, size)) return board;
  }
  throw invalidArgument('config.map_p', `no valid ${size}x${size} map in ${RANDOM_MAP_MAX_TRIES} tries with map_p ${p}`, 'INVALID_MAP');
}

/** Cell moved to from (row, col) by action a (0 left, 1 down, 2 right, 3 up), clamped to the map. */
function inc(row: number, col: number, a: number, nrow: number, ncol: number): [number, number] {
  if (a === 0) col = Math.max(col - 1, 0);
  else if (a === 1) row = Math.min(row + 1, nrow - 1);
  else if (a === 2) col = Math.min(col + 1, ncol - 1);
  else if (a === 3) row = Math.max(row - 1, 0);
  return [row, col];
}

/** FrozenLakeEnv.P and initial_state_distrib of a config, outcome lists in Gymnasium's order. */
export function frozenLakeTable(cfg: FrozenLakeConfig): TransitionTable {
  const { desc, isSlippery, successRate, rewardSchedule } = cfg;
  const nrow = desc.length;
  const ncol = desc[0].length;
  const failRate = (1.0 - successRate) / 2.0;
  const initial = new Float64Array(nrow * ncol);
  for (let s = 0; s < nrow * ncol; s++) initial[s] = desc[Math.floor(s / ncol)][s % ncol] === 'S' ? 1 : 0;
  const outcome = (row: number, col: number, a: number): [number, number, boolean] => {
    const [r, c] = inc(row, col, a, nrow, ncol);
    const letter = desc[r][c];
    const reward = letter === 'G' ? rewardSchedule[0] : letter === 'H' ? rewardSchedule[1] : rewardSchedule[2];
    return [r * ncol + c, reward, letter === 'G' || letter === 'H'];
  };
  return new TransitionTable(nrow * ncol, 4, isSlippery ? 3 : 1, initial, (s, a, add) => {
    const row = Math.floor(s / ncol);
    const col = s % ncol;
    const letter = desc[row][col];
    if (letter === 'G' || letter === 'H') {
      add(1.0, s, 0, true);
    } else if (isSlippery) {
      for (const b of [(a + 3) % 4, a, (a + 1) % 4]) add(b === a ? successRate : failRate, ...outcome(row, col, b));
    } else {
      add(1.0, ...outcome(row, col, a));
    }
  });
}

export function frozenLakeObservationSpace(cfg: FrozenLakeConfig): DiscreteSpace {
  return discrete(cfg.desc.length * cfg.desc[0].length);
}

export function frozenLakeActionSpace(): DiscreteSpace {
  return discrete(4);
}

/** `numEnvs` copies of FrozenLake: TabularBatch over the config's table, with the map for rendering. */
export class FrozenLakeBatch extends TabularBatch {
  readonly config: FrozenLakeConfig;

  /**
   * @param config config options (validated here; a "random" map is generated once for all copies).
   * @param seed copy i's generator is seeded with seed + i; undefined seeds from OS entropy.
   */
  constructor(numEnvs: number, config: Record<string, unknown> = {}, seed?: number, id: FrozenLakeId = FROZEN_LAKE_ID) {
    const cfg = resolveFrozenLakeConfig(config, id);
    super(id, frozenLakeTable(cfg), numEnvs, cfg.maxEpisodeSteps, seed);
    this.config = cfg;
  }

  /** Gymnasium's render_mode "ansi" frame of copy i. */
  renderAnsi(i: number): string {
    return renderFrozenLakeAnsi(this.config.desc, this.observations[i], this.lastAction[i]);
  }
}

/** FrozenLakeEnv._render_text: the last action's name (or an empty line), then the map with the agent's cell highlighted red. */
export function renderFrozenLakeAnsi(desc: readonly string[], state: number, lastAction: number): string {
  const ncol = desc[0].length;
  const row = Math.floor(state / ncol);
  const col = state % ncol;
  const lines = desc.map((line, r) => (r === row ? line.slice(0, col) + colorize(line[col], 'red', false, true) + line.slice(col + 1) : line));
  const head = lastAction >= 0 ? `  (${FROZEN_LAKE_ACTION_NAMES[lastAction]})\n` : '\n';
  return head + lines.join('\n') + '\n';
}

/** Spaces and TimeLimit of a config (for an EnvType's describe). */
export function describeFrozenLake(config: OptionValues, id: FrozenLakeId = FROZEN_LAKE_ID) {
  const cfg = resolveFrozenLakeConfig(config, id);
  return { observationSpace: frozenLakeObservationSpace(cfg), actionSpace: frozenLakeActionSpace(), maxEpisodeSteps: cfg.maxEpisodeSteps };
}
