/**
 * The seed course's gridworlds as ASCII maps, and the parser that turns a map into a layout.
 *
 * Map characters: `.` standard cell, `H` hazard, `S` start (a standard cell where episodes
 * begin), `G` goal. There are no walls: hazards only cost reward, so every world can be
 * crossed, and the interesting question is whether a hazard-free route exists.
 *
 * Built-in worlds (REFERENCE s.2): sizes small = 13 wide x 11 high and large = 41 wide x 15
 * high; types maze (start at row h-2 col 0, goal at row h-2 col w-1), random and moat (start
 * (0,0), goal (0,w-1)). The hazard layouts are our own design, committed literally:
 * - maze: hazard walls with alternating top/bottom gaps plus stubs, so the straight line
 *   along row h-2 is blocked and the hazard-free route winds through every corridor;
 * - random: a fixed scatter of about 20% hazards (drawn once with a seeded PRNG, kept only
 *   because a hazard-free route exists and is longer than the straight line);
 * - moat: a 2-cell band of hazards around the goal's corner, with one gap on the grid's
 *   right edge, so the safe route goes around the moat and enters from below.
 */

import { invalidArgument } from '../errors.js';

/** Cell kinds as stored in a layout's `cells` array. */
export const CellKind = { standard: 0, hazard: 1, goal: 2, start: 3 } as const;
export type CellKindValue = (typeof CellKind)[keyof typeof CellKind];

/** Name of each cell kind, indexed by its CellKind value. */
export const CELL_KIND_NAMES = ['standard', 'hazard', 'goal', 'start'] as const;
export type CellKindName = (typeof CELL_KIND_NAMES)[number];

/** Map character of each cell kind, indexed by its CellKind value. */
export const CELL_KIND_CHARS = ['.', 'H', 'G', 'S'] as const;

/** Side length limits of a (custom) map, inclusive. */
export const MIN_MAP_SIDE = 2;
export const MAX_MAP_SIDE = 200;

export interface GridPos {
  readonly row: number;
  readonly col: number;
}

/** A parsed world. Cell (row, col) is `cells[row * width + col]`, the state index. */
export interface GridLayout {
  readonly width: number;
  readonly height: number;
  /** [width * height] CellKind values. */
  readonly cells: Uint8Array;
  readonly start: GridPos;
  readonly goal: GridPos;
}

/** Built-in worlds by name, each a list of rows (row 0 first). */
export const GRID_WORLDS = {
  small_maze: [
    '.....H.....H.',
    '..H..H..H..H.',
    '..H..HH.H..H.',
    '..H.HH..H.HH.',
    '.HH..H..H..H.',
    '..H..H.HH..H.',
    '..HH.H..HH.H.',
    'H.H..H..H..H.',
    '..H.HHH.H..H.',
    'S.H..H..H..HG',
    '..H.....H....',
  ],
  small_random: [
    'S..H..HH.H..G',
    'H.H.H...H...H',
    '..HH..H..H...',
    '.........H...',
    '......HH.....',
    '..H......H...',
    '.....H...H...',
    '.H........H..',
    '.H.......H...',
    'H.H........H.',
    '..H..........',
  ],
  small_moat: [
    'S.......HH..G',
    '........HH...',
    '........HH...',
    '........HHHH.',
    '........HHHH.',
    '.............',
    '.............',
    '.............',
    '.............',
    '.............',
    '.............',
  ],
  large_maze: [
    '.......H.......H.......H.......H.......H.',
    '...H...HHH.H...H...H.HHH...H...HHH.H...H.',
    '...H.HHH...H...HHH.H...H...H.HHH...H...H.',
    'HH.H...H...H.HHH...H...HHH.H...H...H.HHH.',
    '...H...H.HHH...H...HHH.H...H...H.HHH...H.',
    '...HHH.H...H...H.HHH...H...HHH.H...H...H.',
    '.HHH...H...HHH.H...H...H.HHH...H...HHH.H.',
    '...H...HHH.H...H...H.HHH...H...HHH.H...H.',
    '...H.HHH...H...HHH.H...H...H.HHH...H...H.',
    'HH.H...H...H.HHH...H...HHH.H...H...H.HHH.',
    '...H...H.HHH...H...HHH.H...H...H.HHH...H.',
    '...HHH.H...H...H.HHH...H...HHH.H...H...H.',
    '.HHH...H...HHH.H...H...H.HHH...H...HHH.H.',
    'S..H...H...H...H...H...H...H...H...H...HG',
    '...H.......H.......H.......H.......H.....',
  ],
  large_random: [
    'S..H......H......H...H..H....H.H.....H..G',
    '.H.H......H...H.HH........HH..H..........',
    '.H.H....H...H...H...H.........H.H....H...',
    '.HH...H.H.H....HH...H.....H........H..H..',
    '..HH.H....H.HH.H....H...........H...H....',
    '.......H..H.....HHH..HH.H...H..HHH.......',
    'H....H.......................H...HH....H.',
    '......H....HH..........H..H..............',
    '.........HHH.H....H..........HHH.H..H..H.',
    '..HH....HH..H.H........H..H.HH....H..HH..',
    '.H...H.......H..H.....H......H.H.H.....HH',
    '.......HH....H.....H.H...H......H........',
    '.HH......H........H...H.H.HH...HH........',
    '..........H.............H.H.HH...H.....H.',
    '....H....H.........H...H...HH...H.H......',
  ],
  large_moat: [
    'S.................................HH....G',
    '..................................HH.....',
    '..................................HH.....',
    '..................................HH.....',
    '..................................HH.....',
    '..................................HHHHHH.',
    '..................................HHHHHH.',
    '.........................................',
    '.........................................',
    '.........................................',
    '.........................................',
    '.........................................',
    '.........................................',
    '.........................................',
    '.........................................',
  ],
} as const satisfies Record<string, readonly string[]>;

export type GridWorldName = keyof typeof GRID_WORLDS;

/** The built-in world names, in a stable order (used as the `world` option's choices). */
export const GRID_WORLD_NAMES = Object.keys(GRID_WORLDS) as GridWorldName[];

const MAP_RULES =
  `a rectangular map of ${MIN_MAP_SIDE}..${MAX_MAP_SIDE} rows of ${MIN_MAP_SIDE}..${MAX_MAP_SIDE} cells each, ` +
  `rows separated by "\\n", cells '.' (standard), 'H' (hazard), 'S' (start, exactly one) and 'G' (goal, exactly one)`;

function mapError(field: string, problem: string): Error {
  return invalidArgument(field, `${field} must be ${MAP_RULES}: ${problem}`, 'INVALID_MAP');
}

/**
 * Splits a map given as one string into rows: "\n" or "\r\n" separated, trailing line
 * breaks ignored. Throws INVALID_ARGUMENT naming `field` for an obviously oversized text.
 */
export function splitMapText(text: string, field = 'config.map'): string[] {
  if (text.length > (MAX_MAP_SIDE + 2) * MAX_MAP_SIDE) {
    throw mapError(field, `the text is ${text.length} characters long`);
  }
  return text.replace(/(\r?\n)+$/, '').split(/\r?\n/);
}

/**
 * Parses and validates rows of map characters. Every problem is an INVALID_ARGUMENT error
 * naming `field` whose message states the rules and what was wrong.
 */
export function parseGridMap(rows: readonly string[], field = 'config.map'): GridLayout {
  const height = rows.length;
  if (height < MIN_MAP_SIDE || height > MAX_MAP_SIDE) throw mapError(field, `it has ${height} row(s)`);
  const width = rows[0].length;
  if (width < MIN_MAP_SIDE || width > MAX_MAP_SIDE) throw mapError(field, `row 0 has ${width} cell(s)`);
  const cells = new Uint8Array(width * height);
  let start: GridPos | undefined;
  let goal: GridPos | undefined;
  for (let r = 0; r < height; r++) {
    const line = rows[r];
    if (line.length !== width) throw mapError(field, `row ${r} has ${line.length} cells but row 0 has ${width}`);
    for (let c = 0; c < width; c++) {
      const ch = line[c];
      let kind: CellKindValue;
      switch (ch) {
        case '.':
          kind = CellKind.standard;
          break;
        case 'H':
          kind = CellKind.hazard;
          break;
        case 'G':
          if (goal) throw mapError(field, `a second 'G' at row ${r}, col ${c} (the first is at row ${goal.row}, col ${goal.col})`);
          goal = { row: r, col: c };
          kind = CellKind.goal;
          break;
        case 'S':
          if (start) throw mapError(field, `a second 'S' at row ${r}, col ${c} (the first is at row ${start.row}, col ${start.col})`);
          start = { row: r, col: c };
          kind = CellKind.start;
          break;
        default:
          throw mapError(field, `row ${r}, col ${c} has ${JSON.stringify(ch)}`);
      }
      cells[r * width + c] = kind;
    }
  }
  if (!start) throw mapError(field, "it has no 'S'");
  if (!goal) throw mapError(field, "it has no 'G'");
  return { width, height, cells, start, goal };
}

/**
 * Breadth-first search for a shortest route from S to G that enters no hazard, moving by the
 * env's 4 actions. Returns the cells visited, S first and G last (length - 1 moves), or null
 * if every route crosses a hazard. Accepts map rows or a parsed layout.
 */
export function shortestSafePath(map: readonly string[] | GridLayout): GridPos[] | null {
  const layout = isLayout(map) ? map : parseGridMap(map, 'map');
  const { width, height, cells } = layout;
  const from = new Int32Array(width * height).fill(-1);
  const startIdx = layout.start.row * width + layout.start.col;
  const goalIdx = layout.goal.row * width + layout.goal.col;
  const queue = new Int32Array(width * height);
  let head = 0;
  let tail = 0;
  queue[tail++] = startIdx;
  from[startIdx] = startIdx;
  while (head < tail) {
    const idx = queue[head++];
    if (idx === goalIdx) break;
    const r = Math.floor(idx / width);
    const c = idx - r * width;
    for (const [dr, dc] of [[-1, 0], [1, 0], [0, -1], [0, 1]] as const) {
      const nr = r + dr;
      const nc = c + dc;
      if (nr < 0 || nr >= height || nc < 0 || nc >= width) continue;
      const next = nr * width + nc;
      if (from[next] !== -1 || cells[next] === CellKind.hazard) continue;
      from[next] = idx;
      queue[tail++] = next;
    }
  }
  if (from[goalIdx] === -1) return null;
  const path: GridPos[] = [];
  for (let idx = goalIdx; ; idx = from[idx]) {
    path.push({ row: Math.floor(idx / width), col: idx % width });
    if (idx === startIdx) break;
  }
  return path.reverse();
}

function isLayout(map: readonly string[] | GridLayout): map is GridLayout {
  return !Array.isArray(map);
}
