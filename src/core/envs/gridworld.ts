import { randomInt } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { resolveOptions, type OptionSpec, type OptionValues } from '../options.js';
import { restoreRngs, saveRngs } from '../rewards/external.js';
import { GRID_DEFAULT_REWARD, gridRewardFunctions, gridTransition, newGridFacts, setGridCell, type GridFacts } from '../rewards/gridworld.js';
import type { RewardChoice } from '../rewards/types.js';
import { Rng } from '../rng.js';
import { box, discrete, type Space } from '../spaces.js';
import {
  CELL_KIND_CHARS,
  CELL_KIND_NAMES,
  CellKind,
  GRID_WORLD_NAMES,
  GRID_WORLDS,
  MAX_MAP_SIDE,
  parseGridMap,
  splitMapText,
  type GridLayout,
  type GridWorldName,
} from './gridworld-maps.js';
import { RewardedBatch, type EnvRewards } from './reward-layer.js';
import type { EnvBatch, EnvBatchState, EnvType, RenderModeName, RgbFrame } from './types.js';

/*
 * ## Description
 *
 * The seed course's gridworld: an agent walks a grid of standard cells, hazards and one
 * goal. Hazards only cost reward (there are no walls), so the task is to reach the goal by a
 * cheap route. Six built-in worlds (small 13x11 and large 41x15; maze, random and moat, see
 * gridworld-maps.ts) or a custom ASCII map.
 *
 * ## Action Space
 *
 * Discrete(4), the move's (row, col) delta:
 *
 * | Num | Action | Delta    |
 * |-----|--------|----------|
 * | 0   | up     | (-1, 0)  |
 * | 1   | down   | (+1, 0)  |
 * | 2   | left   | (0, -1)  |
 * | 3   | right  | (0, +1)  |
 *
 * A move off the grid leaves the agent where it is (`off_grid: "stay"`), or is replaced by
 * a uniformly drawn legal move using the copy's PRNG (`off_grid: "random_legal"`).
 *
 * ## Observation Space
 *
 * Set by the `encoding` config option (w = width, h = height, state index = row * w + col):
 *
 * | encoding     | Space                             | Value                                  |
 * |--------------|-----------------------------------|----------------------------------------|
 * | "index"      | Discrete(w * h)                   | the state index (Int32Array buffer)    |
 * | "onehot"     | Box(0, 1, (w * h,), float32)      | 1 at the state index, 0 elsewhere      |
 * | "rowcol"     | Box([0, 0], [h-1, w-1], (2,), f32)| [row, col]                             |
 * | "lights_off" | Box(0, 3, (5,), float32)          | codes of the agent's cell, then of the |
 * |              |                                   | cells up, down, left, right of it      |
 *
 * "lights_off" codes: 0 standard (the start included), 1 hazard, 2 goal, 3 off the grid.
 *
 * ## Rewards
 *
 * Paid on the cell entered, i.e. the cell the agent is on after the step (after an off-grid
 * "stay", the cell it stayed on). Reward function "seed" (default): goal 0, hazard -200, any
 * other cell -1. "seed_v2" (the later course version): goal 0, hazard -10, other -0.001.
 * Each function's three values are parameters.
 *
 * ## Starting State
 *
 * The map's S cell; with `random_start` a cell drawn uniformly (copy's PRNG) among the cells
 * that are neither hazard nor goal; reset options `start_row`/`start_col` pick one.
 *
 * ## Episode End
 *
 * 1. Termination: the agent enters the goal. Hazards do not end the episode.
 * 2. Truncation: the episode reaches `max_episode_steps` steps (default 5 * w * h).
 * Stepping after the end is allowed and continues from the current cell (sessions add
 * autoreset / preconditions).
 *
 * ## Config
 *
 * - `world` (string, "small_maze"): one of the built-in worlds.
 * - `map` (string, ""): a custom ASCII map, rows separated by "\n"; overrides `world`.
 *   '.' standard, 'H' hazard, 'S' start (exactly one), 'G' goal (exactly one), 2..200 per side.
 * - `encoding` (string, "index"): "index" | "onehot" | "rowcol" | "lights_off".
 * - `random_start` (bool, false): draw each episode's start cell at random.
 * - `off_grid` (string, "stay"): "stay" | "random_legal".
 * - `max_episode_steps` (int, 0): the truncation limit; 0 means 5 * w * h.
 *
 * ## Reset Options
 *
 * - `start_row`, `start_col` (int, -1 = not given): start this episode on that cell (both
 *   together; in bounds; not the goal; hazards allowed), e.g. for an exhaustive schedule of
 *   starts. Overrides `random_start`.
 *
 * ## Info
 *
 * `{"row", "col", "cell"}` with cell one of "standard", "hazard", "goal", "start".
 *
 * ## Render Modes
 *
 * "ansi": the map text with the agent as 'A'. "rgb_array": 20 px per cell (fewer for maps
 * over 51 cells a side): standard light grey, hazard red, goal green, start blue, grid lines,
 * agent a dark disc.
 */

/** Row and column deltas of the 4 actions (up, down, left, right). */
const DROW = Int8Array.of(-1, 1, 0, 0);
const DCOL = Int8Array.of(0, 0, -1, 1);

const ENCODINGS = ['index', 'onehot', 'rowcol', 'lights_off'] as const;
type Encoding = (typeof ENCODINGS)[number];

/** "lights_off" observation codes. */
export const LIGHTS_OFF_CODE = { standard: 0, hazard: 1, goal: 2, offGrid: 3 } as const;
/** lights_off code of each CellKind (standard, hazard, goal, start). */
const LIGHTS_OFF_OF_KIND = Float32Array.of(0, 1, 2, 0);

const configOptions: readonly OptionSpec[] = [
  {
    name: 'world',
    type: 'string',
    description: 'Built-in world: small (13x11) or large (41x15), maze / random / moat. Ignored when `map` is given.',
    default: 'small_maze',
    choices: GRID_WORLD_NAMES,
  },
  {
    name: 'map',
    type: 'string',
    description:
      "Custom ASCII map overriding `world`: rows separated by \"\\n\", '.' standard, 'H' hazard, 'S' start (one), 'G' goal (one), 2..200 cells per side.",
    default: '',
  },
  {
    name: 'encoding',
    type: 'string',
    description:
      'Observation: "index" Discrete(w*h) state index; "onehot" Box(w*h); "rowcol" Box(2) [row, col]; "lights_off" Box(5) codes of the agent\'s cell and its up/down/left/right neighbours (0 standard, 1 hazard, 2 goal, 3 off-grid).',
    default: 'index',
    choices: ENCODINGS,
  },
  {
    name: 'random_start',
    type: 'bool',
    description: 'Start each episode on a uniformly random cell that is neither hazard nor goal (else on S).',
    default: false,
  },
  {
    name: 'off_grid',
    type: 'string',
    description: 'A move off the grid: "stay" in place, or "random_legal" take a random move that stays on the grid.',
    default: 'stay',
    choices: ['stay', 'random_legal'],
  },
  {
    name: 'max_episode_steps',
    type: 'int',
    description: 'Steps before truncation; 0 means 5 * width * height.',
    default: 0,
    minimum: 0,
    maximum: 1_000_000_000,
  },
];

const resetOptions: readonly OptionSpec[] = [
  {
    name: 'start_row',
    type: 'int',
    description: 'Row of the start cell for this episode (with start_col); -1 = not given.',
    default: -1,
    minimum: -1,
    maximum: MAX_MAP_SIDE - 1,
  },
  {
    name: 'start_col',
    type: 'int',
    description: 'Column of the start cell for this episode (with start_row); -1 = not given.',
    default: -1,
    minimum: -1,
    maximum: MAX_MAP_SIDE - 1,
  },
];

const builtinLayouts = new Map<GridWorldName, GridLayout>();

/** The layout a resolved config selects: the custom `map` if given, else the built-in `world`. */
function layoutOf(config: OptionValues): GridLayout {
  const map = config.map;
  if (typeof map === 'string' && map !== '') return parseGridMap(splitMapText(map, 'config.map'), 'config.map');
  const world = (config.world ?? 'small_maze') as GridWorldName;
  let layout = builtinLayouts.get(world);
  if (!layout) {
    const rows = GRID_WORLDS[world];
    if (!rows) throw invalidArgument('config.world', `config.world must be one of ${GRID_WORLD_NAMES.join(', ')}, got ${JSON.stringify(world)}`);
    layout = parseGridMap(rows, 'config.world');
    builtinLayouts.set(world, layout);
  }
  return layout;
}

/**
 * The world a GridWorld-v0 config describes, for agents and dashboards. `config` may be
 * partial (defaults are filled in); invalid values throw INVALID_ARGUMENT. `cells` is shared:
 * do not modify it.
 */
export function gridWorldLayout(config: Record<string, unknown> = {}): GridLayout {
  return layoutOf(resolveOptions(configOptions, config, 'config'));
}

function observationSpace(encoding: Encoding, layout: GridLayout): Space {
  const { width: w, height: h } = layout;
  switch (encoding) {
    case 'index':
      return discrete(w * h);
    case 'onehot':
      return box(new Array<number>(w * h).fill(0), new Array<number>(w * h).fill(1), [w * h], 'float32');
    case 'rowcol':
      return box([0, 0], [h - 1, w - 1], [2], 'float32');
    case 'lights_off':
      return box([0, 0, 0, 0, 0], [3, 3, 3, 3, 3], [5], 'float32');
  }
}

function maxStepsOf(config: OptionValues, layout: GridLayout): number {
  const given = (config.max_episode_steps as number | undefined) ?? 0;
  return given > 0 ? given : 5 * layout.width * layout.height;
}

/** GridWorld's reward functions for the shared reward layer. */
const gridRewardSpec: EnvRewards<number, GridFacts> = {
  envId: 'GridWorld-v0',
  schema: gridTransition,
  builtins: gridRewardFunctions,
  defaultName: GRID_DEFAULT_REWARD,
};

/** Saved state of a GridWorldBatch (rollback snapshots and exportState). */
type SavedCopies = {
  pos: Int32Array;
  steps: Float64Array;
  flags: Uint8Array;
  rewards: Float64Array;
  rngs: Float64Array;
};

/** `numEnvs` gridworld copies sharing one layout; each copy has its own position, steps and PRNG. */
export class GridWorldBatch extends RewardedBatch<number, GridFacts, SavedCopies> implements EnvBatch {
  readonly observationSpace: Space;
  readonly actionSpace: Space = discrete(4);
  readonly obsSize: number;
  readonly observations: Float32Array | Int32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly maxEpisodeSteps: number;
  readonly layout: GridLayout;

  private readonly width: number;
  private readonly height: number;
  private readonly cells: Uint8Array;
  private readonly encoding: Encoding;
  private readonly randomStart: boolean;
  private readonly offGridRandom: boolean;
  /** State indices a random start may draw (neither hazard nor goal). */
  private readonly startCandidates: Int32Array;
  private readonly row: Int32Array;
  private readonly col: Int32Array;
  private readonly steps: Float64Array;
  private readonly rngs: Rng[];
  private background: Uint8Array | undefined;

  constructor(numEnvs: number, config: OptionValues, reward: RewardChoice, seed: number | undefined) {
    const layout = layoutOf(config);
    super(numEnvs, gridRewardSpec, newGridFacts({ width: layout.width, height: layout.height, goalRow: layout.goal.row, goalCol: layout.goal.col }));
    this.layout = layout;
    this.width = layout.width;
    this.height = layout.height;
    this.cells = layout.cells;
    this.encoding = (config.encoding ?? 'index') as Encoding;
    this.randomStart = config.random_start === true;
    this.offGridRandom = config.off_grid === 'random_legal';
    this.maxEpisodeSteps = maxStepsOf(config, layout);
    this.observationSpace = observationSpace(this.encoding, layout);
    this.obsSize = this.encoding === 'index' ? 1 : this.encoding === 'onehot' ? layout.width * layout.height : this.encoding === 'rowcol' ? 2 : 5;
    this.observations = this.encoding === 'index' ? new Int32Array(numEnvs) : new Float32Array(numEnvs * this.obsSize);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.row = new Int32Array(numEnvs);
    this.col = new Int32Array(numEnvs);
    this.steps = new Float64Array(numEnvs);
    const candidates: number[] = [];
    for (let idx = 0; idx < this.cells.length; idx++) {
      if (this.cells[idx] !== CellKind.hazard && this.cells[idx] !== CellKind.goal) candidates.push(idx);
    }
    this.startCandidates = Int32Array.from(candidates);
    const base = seed ?? randomInt(0, 2 ** 47);
    this.rngs = Array.from({ length: numEnvs }, (_, i) => new Rng(base + i));
    this.setReward(reward.name, reward.params, reward.impl);
    // Until the first reset every copy stands on S (no PRNG draws).
    for (let i = 0; i < numEnvs; i++) this.place(i, layout.start.row, layout.start.col);
  }

  reset(i: number, seed: number | undefined, options: OptionValues): void {
    const startRow = (options.start_row as number | undefined) ?? -1;
    const startCol = (options.start_col as number | undefined) ?? -1;
    if ((startRow === -1) !== (startCol === -1)) {
      const missing = startRow === -1 ? 'options.start_row' : 'options.start_col';
      throw invalidArgument(missing, 'options.start_row and options.start_col must be given together (-1 = not given)', 'INVALID_START');
    }
    if (startRow !== -1) this.checkStart(startRow, startCol);
    if (seed !== undefined) this.rngs[i].seed(seed);
    if (startRow !== -1) {
      this.place(i, startRow, startCol);
    } else if (this.randomStart) {
      const idx = this.startCandidates[this.rngs[i].nextInt(this.startCandidates.length)];
      this.place(i, Math.floor(idx / this.width), idx % this.width);
    } else {
      this.place(i, this.layout.start.row, this.layout.start.col);
    }
  }

  protected advance(i: number, action: number): void {
    const w = this.width;
    const r = this.row[i];
    const c = this.col[i];
    let nr = r + DROW[action];
    let nc = c + DCOL[action];
    const offGrid = nr < 0 || nr >= this.height || nc < 0 || nc >= w;
    if (offGrid) {
      if (this.offGridRandom) {
        const rng = this.rngs[i];
        let pick = rng.nextInt(this.legalMoves(r, c));
        for (let a = 0; a < 4; a++) {
          const ar = r + DROW[a];
          const ac = c + DCOL[a];
          if (ar < 0 || ar >= this.height || ac < 0 || ac >= w) continue;
          if (pick-- === 0) {
            nr = ar;
            nc = ac;
            break;
          }
        }
      } else {
        nr = r;
        nc = c;
      }
    }
    const s = r * w + c;
    const sNext = nr * w + nc;
    const kind = this.cells[sNext];
    const steps = this.steps[i] + 1;
    const terminated = kind === CellKind.goal;
    const truncated = !terminated && steps >= this.maxEpisodeSteps;
    const facts = this.facts;
    setGridCell(facts, kind);
    facts.offGrid = offGrid;
    facts.terminated = terminated;
    facts.truncated = truncated;
    facts.steps = steps;
    facts.row = r;
    facts.col = c;
    facts.nextRow = nr;
    facts.nextCol = nc;
    this.payReward(i, s, action, sNext);
    this.steps[i] = steps;
    this.terminated[i] = terminated ? 1 : 0;
    this.truncated[i] = truncated ? 1 : 0;
    this.move(i, nr, nc);
  }

  episodeSteps(i: number): number {
    return this.steps[i];
  }

  info(i: number): Record<string, unknown> {
    const row = this.row[i];
    const col = this.col[i];
    return { row, col, cell: CELL_KIND_NAMES[this.cells[row * this.width + col]] };
  }

  render(i: number, mode: RenderModeName): RgbFrame | string {
    return mode === 'ansi' ? this.renderAnsi(i) : this.renderRgb(i);
  }

  /** The map: `rows` of '.', 'H', 'S', 'G' (width x height cells). */
  scene(): Record<string, unknown> {
    const rows: string[] = [];
    for (let r = 0; r < this.height; r++) {
      let line = '';
      for (let c = 0; c < this.width; c++) line += CELL_KIND_CHARS[this.cells[r * this.width + c]];
      rows.push(line);
    }
    return { kind: 'grid', state_names: ['row', 'col'], action_names: ['up', 'down', 'left', 'right'], width: this.width, height: this.height, rows };
  }

  /** [row, col] of copy i. */
  drawState(i: number, out: number[]): void {
    out.push(this.row[i], this.col[i]);
  }

  /** Every copy's state (positions, step counts, flags, rewards, PRNGs) into `into` (a new object when absent). */
  protected capture(into: SavedCopies | undefined): SavedCopies {
    const n = this.numEnvs;
    const snap = into ?? {
      pos: new Int32Array(2 * n),
      steps: new Float64Array(n),
      flags: new Uint8Array(2 * n),
      rewards: new Float64Array(n),
      rngs: new Float64Array(4 * n),
    };
    snap.pos.set(this.row, 0);
    snap.pos.set(this.col, n);
    snap.steps.set(this.steps);
    snap.flags.set(this.terminated, 0);
    snap.flags.set(this.truncated, n);
    snap.rewards.set(this.rewards);
    saveRngs(this.rngs, snap.rngs);
    return snap;
  }

  protected apply(snap: SavedCopies): void {
    const n = this.numEnvs;
    // move() rewrites each copy's observation from its position (clearing the one-hot bit it set).
    for (let i = 0; i < n; i++) this.move(i, snap.pos[i], snap.pos[n + i]);
    this.steps.set(snap.steps);
    this.terminated.set(snap.flags.subarray(0, n));
    this.truncated.set(snap.flags.subarray(n, 2 * n));
    this.rewards.set(snap.rewards);
    restoreRngs(this.rngs, snap.rngs);
  }

  /** See EnvBatch.importState. */
  importState(state: EnvBatchState): void {
    const n = this.numEnvs;
    const s = state as Partial<SavedCopies>;
    const fits = s.pos instanceof Int32Array && s.pos.length === 2 * n && s.steps instanceof Float64Array && s.steps.length === n
      && s.flags instanceof Uint8Array && s.flags.length === 2 * n && s.rewards instanceof Float64Array && s.rewards.length === n
      && s.rngs instanceof Float64Array && s.rngs.length === 4 * n;
    if (!fits) throw new Error(`GridWorldBatch.importState: not the state of ${n} GridWorld copies`);
    for (let i = 0; i < n; i++) {
      const r = s.pos![i];
      const c = s.pos![n + i];
      if (!(r >= 0 && r < this.height && c >= 0 && c < this.width)) throw new Error(`GridWorldBatch.importState: copy ${i} is off this ${this.height}x${this.width} grid`);
    }
    this.apply(s as SavedCopies);
  }

  /** Number of the 4 moves from (r, c) that stay on the grid. */
  private legalMoves(r: number, c: number): number {
    return (r > 0 ? 1 : 0) + (r < this.height - 1 ? 1 : 0) + (c > 0 ? 1 : 0) + (c < this.width - 1 ? 1 : 0);
  }

  private checkStart(row: number, col: number): void {
    const size = `this world is ${this.height} rows x ${this.width} cols`;
    if (row >= this.height) throw invalidArgument('options.start_row', `options.start_row must be in [0, ${this.height - 1}] (${size}), got ${row}`, 'OUT_OF_RANGE');
    if (col >= this.width) throw invalidArgument('options.start_col', `options.start_col must be in [0, ${this.width - 1}] (${size}), got ${col}`, 'OUT_OF_RANGE');
    if (this.cells[row * this.width + col] === CellKind.goal) {
      throw invalidArgument('options.start_row', `the start cell (row ${row}, col ${col}) is the goal; choose any other cell`, 'INVALID_START');
    }
  }

  /** Starts copy i's episode on (row, col). */
  private place(i: number, row: number, col: number): void {
    this.steps[i] = 0;
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    if (this.encoding === 'onehot') this.observations.fill(0, i * this.obsSize, (i + 1) * this.obsSize);
    this.move(i, row, col);
  }

  /** Moves copy i to (row, col) and writes its observation. */
  private move(i: number, row: number, col: number): void {
    const w = this.width;
    const obs = this.observations;
    const base = i * this.obsSize;
    switch (this.encoding) {
      case 'index':
        obs[i] = row * w + col;
        break;
      case 'onehot':
        obs[base + this.row[i] * w + this.col[i]] = 0;
        obs[base + row * w + col] = 1;
        break;
      case 'rowcol':
        obs[base] = row;
        obs[base + 1] = col;
        break;
      case 'lights_off':
        obs[base] = LIGHTS_OFF_OF_KIND[this.cells[row * w + col]];
        obs[base + 1] = this.lightsOffCode(row - 1, col);
        obs[base + 2] = this.lightsOffCode(row + 1, col);
        obs[base + 3] = this.lightsOffCode(row, col - 1);
        obs[base + 4] = this.lightsOffCode(row, col + 1);
        break;
    }
    this.row[i] = row;
    this.col[i] = col;
  }

  private lightsOffCode(row: number, col: number): number {
    if (row < 0 || row >= this.height || col < 0 || col >= this.width) return LIGHTS_OFF_CODE.offGrid;
    return LIGHTS_OFF_OF_KIND[this.cells[row * this.width + col]];
  }

  private renderAnsi(i: number): string {
    const lines: string[] = [];
    for (let r = 0; r < this.height; r++) {
      let line = '';
      for (let c = 0; c < this.width; c++) {
        line += r === this.row[i] && c === this.col[i] ? 'A' : CELL_KIND_CHARS[this.cells[r * this.width + c]];
      }
      lines.push(line);
    }
    return lines.join('\n');
  }

  /** Pixels per cell: 20, fewer for big maps so a frame stays within about 1024 px a side. */
  private cellPx(): number {
    return Math.max(4, Math.min(20, Math.floor(1024 / Math.max(this.width, this.height))));
  }

  private renderRgb(i: number): RgbFrame {
    const px = this.cellPx();
    const width = this.width * px;
    const height = this.height * px;
    this.background ??= this.drawBackground(px, width, height);
    const data = this.background.slice();
    // The agent: a dark disc of radius 0.35 cell in the middle of its cell.
    const cx = this.col[i] * px + px / 2;
    const cy = this.row[i] * px + px / 2;
    const radius = px * 0.35;
    for (let y = Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
      for (let x = Math.floor(cx - radius); x <= Math.ceil(cx + radius); x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        if (dx * dx + dy * dy > radius * radius) continue;
        const o = (y * width + x) * 3;
        data[o] = AGENT_RGB[0];
        data[o + 1] = AGENT_RGB[1];
        data[o + 2] = AGENT_RGB[2];
      }
    }
    return { width, height, data };
  }

  /** The map without the agent: cell colours and 1 px grid lines. */
  private drawBackground(px: number, width: number, height: number): Uint8Array {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const r = Math.floor(y / px);
      for (let x = 0; x < width; x++) {
        const c = Math.floor(x / px);
        const line = y % px === 0 || x % px === 0 || y === height - 1 || x === width - 1;
        const rgb = line ? GRID_LINE_RGB : CELL_RGB[this.cells[r * this.width + c]];
        const o = (y * width + x) * 3;
        data[o] = rgb[0];
        data[o + 1] = rgb[1];
        data[o + 2] = rgb[2];
      }
    }
    return data;
  }
}

/** Fill colour of each CellKind: standard, hazard, goal, start. */
const CELL_RGB: readonly (readonly [number, number, number])[] = [
  [220, 220, 220],
  [220, 80, 70],
  [80, 180, 90],
  [140, 175, 235],
];
const GRID_LINE_RGB = [150, 150, 150] as const;
const AGENT_RGB = [35, 35, 45] as const;

/** GridWorld-v0: the seed course's gridworld. */
export const gridWorldType: EnvType = {
  id: 'GridWorld-v0',
  description:
    "The seed course's gridworld: reach the goal while avoiding hazards (which cost reward but do not end the episode). " +
    'Built-in small (13x11) and large (41x15) maze, random and moat worlds, or a custom ASCII map; ' +
    'index, one-hot, row/col or lights-off observations.',
  configOptions,
  resetOptions,
  rewardFunctions: gridRewardFunctions,
  defaultRewardFunction: GRID_DEFAULT_REWARD,
  renderModes: ['ansi', 'rgb_array'],
  renderFps: 8,
  transition: gridTransition,
  stateGrid(config) {
    const layout = gridWorldLayout(config);
    return { width: layout.width, height: layout.height };
  },
  describe(config) {
    const layout = layoutOf(config);
    const encoding = (config.encoding ?? 'index') as Encoding;
    return { observationSpace: observationSpace(encoding, layout), actionSpace: discrete(4), maxEpisodeSteps: maxStepsOf(config, layout) };
  },
  create(numEnvs, config, reward, seed) {
    return new GridWorldBatch(numEnvs, config, reward, seed);
  },
};
