import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridWorldLayout, gridWorldType, GridWorldBatch } from '../../src/core/envs/gridworld.js';
import {
  CellKind,
  GRID_WORLD_NAMES,
  GRID_WORLDS,
  parseGridMap,
  shortestSafePath,
  type GridPos,
} from '../../src/core/envs/gridworld-maps.js';
import type { EnvBatch, RgbFrame } from '../../src/core/envs/types.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions, type OptionValues } from '../../src/core/options.js';
import { Rng } from '../../src/core/rng.js';

const UP = 0;
const DOWN = 1;
const LEFT = 2;
const RIGHT = 3;

function config(given: Record<string, unknown> = {}): OptionValues {
  return resolveOptions(gridWorldType.configOptions, given, 'config');
}

function rewardOf(name = 'seed', params: Record<string, unknown> = {}): { name: string; params: OptionValues } {
  const info = gridWorldType.rewardFunctions.find((f) => f.name === name);
  assert.ok(info, `reward ${name} exists`);
  return { name, params: resolveOptions(info.params, params, 'reward.params') };
}

function make(given: Record<string, unknown> = {}, opts: { n?: number; seed?: number; reward?: string } = {}): EnvBatch {
  return gridWorldType.create(opts.n ?? 1, config(given), rewardOf(opts.reward), opts.seed ?? 0);
}

function resetOpts(given: Record<string, unknown> = {}): OptionValues {
  return resolveOptions(gridWorldType.resetOptions, given, 'options');
}

/** Actions that walk `path` cell by cell. */
function actionsAlong(path: readonly GridPos[]): number[] {
  const actions: number[] = [];
  for (let k = 1; k < path.length; k++) {
    const dr = path[k].row - path[k - 1].row;
    const dc = path[k].col - path[k - 1].col;
    actions.push(dr === -1 ? UP : dr === 1 ? DOWN : dc === -1 ? LEFT : RIGHT);
  }
  return actions;
}

function pos(env: EnvBatch, i = 0): GridPos {
  const info = env.info(i);
  return { row: info.row as number, col: info.col as number };
}

/** Asserts `fn` throws a DomainError with this code and field, and a message matching each pattern. */
function assertDomainError(fn: () => unknown, field: string, ...patterns: RegExp[]): DomainError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DomainError, `expected a DomainError, got ${String(caught)}`);
  assert.equal(caught.code, 'INVALID_ARGUMENT');
  assert.equal(caught.field, field);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

const SIZES = { small: { width: 13, height: 11 }, large: { width: 41, height: 15 } } as const;

describe('GridWorld-v0 built-in worlds', () => {
  it('has exactly the 6 worlds small/large x maze/random/moat', () => {
    assert.deepEqual([...GRID_WORLD_NAMES].sort(), ['large_maze', 'large_moat', 'large_random', 'small_maze', 'small_moat', 'small_random']);
    const world = gridWorldType.configOptions.find((o) => o.name === 'world');
    assert.deepEqual([...(world?.choices ?? [])].sort(), [...GRID_WORLD_NAMES].sort());
    assert.equal(world?.default, 'small_maze');
  });

  for (const name of GRID_WORLD_NAMES) {
    const [size, kind] = name.split('_') as ['small' | 'large', 'maze' | 'random' | 'moat'];
    const { width, height } = SIZES[size];

    describe(name, () => {
      const layout = parseGridMap(GRID_WORLDS[name]);

      it(`is ${width} wide x ${height} high with start and goal where REFERENCE s.2 puts them`, () => {
        assert.equal(layout.width, width);
        assert.equal(layout.height, height);
        assert.equal(layout.cells.length, width * height);
        if (kind === 'maze') {
          assert.deepEqual(layout.start, { row: height - 2, col: 0 });
          assert.deepEqual(layout.goal, { row: height - 2, col: width - 1 });
        } else {
          assert.deepEqual(layout.start, { row: 0, col: 0 });
          assert.deepEqual(layout.goal, { row: 0, col: width - 1 });
        }
        assert.deepEqual(gridWorldLayout({ world: name }), layout);
      });

      it('has a hazard-free path from S to G (BFS), made of adjacent non-hazard cells', () => {
        const path = shortestSafePath(GRID_WORLDS[name]);
        assert.ok(path, 'a safe path exists');
        assert.deepEqual(path[0], layout.start);
        assert.deepEqual(path[path.length - 1], layout.goal);
        for (let k = 0; k < path.length; k++) {
          assert.notEqual(layout.cells[path[k].row * width + path[k].col], CellKind.hazard, `cell ${k} of the path is no hazard`);
          if (k > 0) assert.equal(Math.abs(path[k].row - path[k - 1].row) + Math.abs(path[k].col - path[k - 1].col), 1);
        }
      });

      if (kind === 'maze') {
        it('blocks the straight line along row h-2 and makes the safe path wind', () => {
          const straight = GRID_WORLDS[name][height - 2];
          assert.ok(straight.includes('H'), 'row h-2 has hazards');
          const path = shortestSafePath(GRID_WORLDS[name]);
          assert.ok(path);
          const straightMoves = width - 1;
          assert.ok(path.length - 1 > 3 * straightMoves, `safe path of ${path.length - 1} moves is much longer than ${straightMoves}`);
        });
      }
      if (kind === 'random') {
        it('scatters about 20% hazards and still has a detour-only safe path', () => {
          const hazards = layout.cells.filter((k) => k === CellKind.hazard).length;
          const fraction = hazards / (width * height);
          assert.ok(fraction > 0.15 && fraction < 0.25, `hazard fraction ${fraction}`);
          assert.ok(GRID_WORLDS[name][0].includes('H'), 'row 0 (the straight line) is blocked');
          const path = shortestSafePath(GRID_WORLDS[name]);
          assert.ok(path && path.length - 1 > width - 1);
        });
      }
      if (kind === 'moat') {
        it('surrounds the goal with a hazard band that the safe path goes around', () => {
          assert.ok(GRID_WORLDS[name][0].includes('H'), 'the straight line along row 0 crosses the moat');
          const path = shortestSafePath(GRID_WORLDS[name]);
          assert.ok(path);
          assert.ok(path.length - 1 > width - 1);
          const entered = path[path.length - 2];
          assert.deepEqual(entered, { row: 1, col: width - 1 }, 'the goal is reached from below, through the gap');
          const hazards = layout.cells.filter((k) => k === CellKind.hazard).length;
          assert.ok(hazards > 10, 'the moat has a real band of hazards');
        });
      }

      it('walking the safe path pays -1 per standard cell and 0 on the goal, then terminates', () => {
        const env = make({ world: name });
        env.reset(0, 1, resetOpts());
        const path = shortestSafePath(GRID_WORLDS[name]);
        assert.ok(path);
        const actions = actionsAlong(path);
        for (let k = 0; k < actions.length; k++) {
          env.step(0, actions[k]);
          const last = k === actions.length - 1;
          assert.deepEqual(pos(env), path[k + 1]);
          assert.equal(env.observations[0], path[k + 1].row * width + path[k + 1].col);
          assert.equal(env.rewards[0], last ? 0 : -1);
          assert.equal(env.terminated[0], last ? 1 : 0);
          assert.equal(env.truncated[0], 0);
        }
        assert.equal(env.episodeSteps(0), actions.length);
        assert.equal(env.info(0).cell, 'goal');
      });
    });
  }
});

describe('GridWorld-v0 dynamics and rewards', () => {
  it('pays -200 on each hazard entered along the blocked straight line of small_maze, without terminating', () => {
    const env = make({ world: 'small_maze' });
    env.reset(0, 0, resetOpts());
    const row = GRID_WORLDS.small_maze[9];
    let total = 0;
    for (let c = 1; c < 13; c++) {
      env.step(0, RIGHT);
      assert.deepEqual(pos(env), { row: 9, col: c });
      const expected = row[c] === 'G' ? 0 : row[c] === 'H' ? -200 : -1;
      assert.equal(env.rewards[0], expected, `entering col ${c} ('${row[c]}')`);
      assert.equal(env.terminated[0], row[c] === 'G' ? 1 : 0, 'only the goal terminates');
      assert.equal(env.info(0).cell, row[c] === 'G' ? 'goal' : row[c] === 'H' ? 'hazard' : 'standard');
      total += env.rewards[0];
    }
    // S.H..H..H..HG: 4 hazards, 7 standard cells, the goal.
    assert.equal(total, 4 * -200 + 7 * -1);
  });

  it('uses the row/col deltas up (-1,0), down (1,0), left (0,-1), right (0,1)', () => {
    const env = make({ world: 'small_moat' });
    env.reset(0, 0, resetOpts({ start_row: 5, start_col: 5 }));
    env.step(0, UP);
    assert.deepEqual(pos(env), { row: 4, col: 5 });
    env.step(0, DOWN);
    assert.deepEqual(pos(env), { row: 5, col: 5 });
    env.step(0, LEFT);
    assert.deepEqual(pos(env), { row: 5, col: 4 });
    env.step(0, RIGHT);
    assert.deepEqual(pos(env), { row: 5, col: 5 });
  });

  it('off-grid "stay" keeps the agent in place and pays the cell it is on', () => {
    const env = make({ world: 'small_maze' });
    env.reset(0, 0, resetOpts());
    env.step(0, LEFT); // S is at (9, 0)
    assert.deepEqual(pos(env), { row: 9, col: 0 });
    assert.equal(env.observations[0], 9 * 13);
    assert.equal(env.rewards[0], -1, 'the start is a standard cell');
    assert.equal(env.info(0).cell, 'start');
    // (7, 0) of small_maze is a hazard on the left edge: bumping the edge pays the hazard again.
    env.reset(0, 0, resetOpts({ start_row: 7, start_col: 0 }));
    assert.equal(env.info(0).cell, 'hazard');
    for (let k = 0; k < 3; k++) {
      env.step(0, LEFT);
      assert.deepEqual(pos(env), { row: 7, col: 0 });
      assert.equal(env.rewards[0], -200);
      assert.equal(env.terminated[0], 0);
    }
    // On the goal, bumping the edge stays on the goal: reward 0 and terminated again.
    env.reset(0, 0, resetOpts({ start_row: 9, start_col: 11 }));
    env.step(0, RIGHT);
    assert.equal(env.terminated[0], 1);
    env.step(0, RIGHT);
    assert.deepEqual(pos(env), { row: 9, col: 12 });
    assert.equal(env.rewards[0], 0);
    assert.equal(env.terminated[0], 1);
  });

  it('off-grid "random_legal" always moves to a legal neighbour, drawing among all of them', () => {
    const env = make({ world: 'small_moat', off_grid: 'random_legal' }, { seed: 3 });
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      env.reset(0, undefined, resetOpts({ start_row: 0, start_col: 0 }));
      env.step(0, k % 2 === 0 ? UP : LEFT); // both point off the grid from (0, 0)
      const p = pos(env);
      assert.ok(
        (p.row === 1 && p.col === 0) || (p.row === 0 && p.col === 1),
        `moved to a legal neighbour, got (${p.row}, ${p.col})`,
      );
      assert.equal(env.rewards[0], -1);
      seen.add(`${p.row},${p.col}`);
    }
    assert.equal(seen.size, 2, 'both legal moves are drawn');
    // On an edge (not a corner) there are 3 legal moves.
    const edge = new Set<string>();
    for (let k = 0; k < 300; k++) {
      env.reset(0, undefined, resetOpts({ start_row: 5, start_col: 0 }));
      env.step(0, LEFT);
      edge.add(`${pos(env).row},${pos(env).col}`);
    }
    assert.deepEqual([...edge].sort(), ['4,0', '5,1', '6,0']);
  });

  it('random_legal is reproducible from the seed and ordinary moves use no randomness', () => {
    const run = (seed: number): string[] => {
      const env = make({ world: 'large_random', off_grid: 'random_legal' });
      env.reset(0, seed, resetOpts());
      const trace: string[] = [];
      for (let k = 0; k < 50; k++) {
        env.step(0, UP);
        trace.push(`${pos(env).row},${pos(env).col}`);
      }
      return trace;
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
    // A legal move is deterministic: from (0, 0), DOWN always reaches (1, 0).
    const env = make({ world: 'large_random', off_grid: 'random_legal' });
    env.reset(0, 5, resetOpts());
    env.step(0, DOWN);
    assert.deepEqual(pos(env), { row: 1, col: 0 });
  });

  it('truncates at 5 * width * height steps by default', () => {
    for (const [world, limit] of [['small_moat', 5 * 13 * 11], ['large_maze', 5 * 41 * 15]] as const) {
      const env = make({ world });
      assert.equal(env.maxEpisodeSteps, limit);
      assert.equal(gridWorldType.describe(config({ world })).maxEpisodeSteps, limit);
      env.reset(0, 0, resetOpts());
      for (let k = 1; k < limit; k++) {
        env.step(0, LEFT); // off the grid from column 0: stays on S
        assert.equal(env.truncated[0], 0, `step ${k}`);
      }
      env.step(0, LEFT);
      assert.equal(env.episodeSteps(0), limit);
      assert.equal(env.truncated[0], 1);
      assert.equal(env.terminated[0], 0);
      env.reset(0, 0, resetOpts());
      assert.equal(env.episodeSteps(0), 0);
      assert.equal(env.truncated[0], 0);
    }
  });

  it('max_episode_steps overrides the limit (0 means the default)', () => {
    const env = make({ world: 'small_maze', max_episode_steps: 7 });
    assert.equal(env.maxEpisodeSteps, 7);
    assert.equal(gridWorldType.describe(config({ max_episode_steps: 7 })).maxEpisodeSteps, 7);
    assert.equal(make({ max_episode_steps: 0 }).maxEpisodeSteps, 715);
    env.reset(0, 0, resetOpts());
    for (let k = 1; k <= 7; k++) {
      env.step(0, LEFT);
      assert.equal(env.truncated[0], k === 7 ? 1 : 0);
    }
  });

  it('does not truncate on the step that reaches the goal', () => {
    const env = make({ world: 'small_maze', max_episode_steps: 1 });
    env.reset(0, 0, resetOpts({ start_row: 9, start_col: 11 }));
    env.step(0, RIGHT);
    assert.equal(env.terminated[0], 1);
    assert.equal(env.truncated[0], 0);
  });

  it('hazards never terminate, however many are entered', () => {
    const env = make({ map: 'SHHHHHG' + '\n' + '.......' });
    env.reset(0, 0, resetOpts());
    for (let c = 1; c <= 5; c++) {
      env.step(0, RIGHT);
      assert.equal(env.rewards[0], -200);
      assert.equal(env.terminated[0], 0);
      assert.equal(env.truncated[0], 0);
    }
    env.step(0, RIGHT);
    assert.equal(env.rewards[0], 0);
    assert.equal(env.terminated[0], 1);
  });

  it('stepping after the goal continues from the current cell', () => {
    const env = make({ map: 'S.G\n...' });
    env.reset(0, 0, resetOpts({ start_row: 0, start_col: 1 }));
    env.step(0, RIGHT);
    assert.equal(env.terminated[0], 1);
    env.step(0, DOWN);
    assert.deepEqual(pos(env), { row: 1, col: 2 });
    assert.equal(env.rewards[0], -1);
    assert.equal(env.terminated[0], 0);
    assert.equal(env.episodeSteps(0), 2);
  });

  it('seed_v2 pays goal 0, hazard -10, standard -0.001, chosen at create or by setReward', () => {
    const expectRow = (env: EnvBatch, values: { H: number; dot: number; G: number }): void => {
      env.reset(0, 0, resetOpts());
      const row = GRID_WORLDS.small_maze[9];
      for (let c = 1; c < 13; c++) {
        env.step(0, RIGHT);
        const expected = row[c] === 'G' ? values.G : row[c] === 'H' ? values.H : values.dot;
        assert.equal(env.rewards[0], expected, `col ${c}`);
      }
    };
    expectRow(make({}, { reward: 'seed_v2' }), { G: 0, H: -10, dot: -0.001 });
    const env = make();
    expectRow(env, { G: 0, H: -200, dot: -1 });
    env.setReward('seed_v2', rewardOf('seed_v2').params);
    expectRow(env, { G: 0, H: -10, dot: -0.001 });
    env.setReward('seed', rewardOf('seed', { goal: 100, hazard: -5 }).params);
    expectRow(env, { G: 100, H: -5, dot: -1 });
  });

  it('lists the reward functions with their defaults, "seed" first and default', () => {
    assert.equal(gridWorldType.defaultRewardFunction, 'seed');
    const byName = Object.fromEntries(
      gridWorldType.rewardFunctions.map((f) => [f.name, Object.fromEntries(f.params.map((p) => [p.name, p.default]))]),
    );
    assert.deepEqual(byName, {
      seed: { goal: 0, hazard: -200, standard: -1 },
      seed_v2: { goal: 0, hazard: -10, standard: -0.001 },
      distance_shaping: { goal: 0, hazard: -200, standard: -1, gamma: 0.8, scale: 0.1 },
    });
    assert.match(gridWorldType.rewardFunctions[0].description, /seed/);
    assert.equal(gridWorldType.id, 'GridWorld-v0');
    assert.deepEqual(gridWorldType.describe(config()).actionSpace, { kind: 'discrete', n: 4, start: 0 });
  });

  it('info reports row, col and the cell kind', () => {
    const env = make({ world: 'small_maze' });
    env.reset(0, 0, resetOpts());
    assert.deepEqual(env.info(0), { row: 9, col: 0, cell: 'start' });
    env.step(0, RIGHT);
    assert.deepEqual(env.info(0), { row: 9, col: 1, cell: 'standard' });
    env.step(0, RIGHT);
    assert.deepEqual(env.info(0), { row: 9, col: 2, cell: 'hazard' });
  });
});

describe('GridWorld-v0 observation encodings', () => {
  it('index: Discrete(w*h) in an Int32Array, value row * width + col', () => {
    const env = make({ world: 'large_moat' });
    assert.deepEqual(env.observationSpace, { kind: 'discrete', n: 41 * 15, start: 0 });
    assert.ok(env.observations instanceof Int32Array);
    assert.equal(env.obsSize, 1);
    env.reset(0, 0, resetOpts({ start_row: 7, start_col: 20 }));
    assert.equal(env.observations[0], 7 * 41 + 20);
  });

  it('onehot: Box(w*h) float32 in [0, 1] with a single 1 at the state index', () => {
    const env = make({ world: 'small_random', encoding: 'onehot' });
    const space = env.observationSpace;
    assert.equal(space.kind, 'box');
    if (space.kind !== 'box') return;
    assert.deepEqual(space.shape, [143]);
    assert.equal(space.dtype, 'float32');
    assert.ok(space.low.every((v) => v === 0) && space.high.every((v) => v === 1));
    assert.ok(env.observations instanceof Float32Array);
    assert.equal(env.obsSize, 143);
    env.reset(0, 0, resetOpts({ start_row: 3, start_col: 4 }));
    const ones = (): number[] => [...env.observations].flatMap((v, k) => (v === 1 ? [k] : []));
    assert.deepEqual(ones(), [3 * 13 + 4]);
    assert.equal(env.observations.reduce((a, b) => a + b, 0), 1);
    env.step(0, DOWN);
    assert.deepEqual(ones(), [4 * 13 + 4]);
    assert.equal(env.observations.reduce((a, b) => a + b, 0), 1);
    env.reset(0, 0, resetOpts());
    assert.deepEqual(ones(), [0]);
  });

  it('rowcol: Box(2) float32 [row, col] bounded by the grid', () => {
    const env = make({ world: 'large_maze', encoding: 'rowcol' });
    assert.deepEqual(env.observationSpace, { kind: 'box', low: [0, 0], high: [14, 40], shape: [2], dtype: 'float32' });
    assert.ok(env.observations instanceof Float32Array);
    env.reset(0, 0, resetOpts());
    assert.deepEqual([...env.observations], [13, 0]);
    env.step(0, UP);
    assert.deepEqual([...env.observations], [12, 0]);
  });

  it('lights_off: Box(5) float32 codes of own cell, up, down, left, right (0 std, 1 hazard, 2 goal, 3 off-grid)', () => {
    const env = make({ map: '.G.\nHS.\n.H.', encoding: 'lights_off' });
    assert.deepEqual(env.observationSpace, { kind: 'box', low: [0, 0, 0, 0, 0], high: [3, 3, 3, 3, 3], shape: [5], dtype: 'float32' });
    assert.ok(env.observations instanceof Float32Array);
    env.reset(0, 0, resetOpts());
    assert.deepEqual([...env.observations], [0, 2, 1, 1, 0]); // on S: up G, down H, left H, right .
    env.step(0, RIGHT);
    assert.deepEqual([...env.observations], [0, 0, 0, 0, 3]); // (1,2): up ., down ., left S, right off
    env.step(0, DOWN);
    env.step(0, LEFT);
    assert.deepEqual([...env.observations], [1, 0, 3, 0, 0]); // on the hazard (2,1): up S, down off
    env.reset(0, 0, resetOpts({ start_row: 0, start_col: 0 }));
    assert.deepEqual([...env.observations], [0, 3, 1, 3, 2]); // corner (0,0): right is the goal
  });

  it('describe gives the same spaces as the created batch for every encoding', () => {
    for (const encoding of ['index', 'onehot', 'rowcol', 'lights_off']) {
      const cfg = config({ world: 'small_moat', encoding });
      const described = gridWorldType.describe(cfg);
      const env = gridWorldType.create(2, cfg, rewardOf(), 0);
      assert.deepEqual(described.observationSpace, env.observationSpace);
      assert.deepEqual(described.actionSpace, env.actionSpace);
      assert.equal(env.observations.length, 2 * env.obsSize);
    }
  });
});

describe('GridWorld-v0 custom maps', () => {
  it('parses a custom map, which overrides world', () => {
    const layout = gridWorldLayout({ world: 'large_maze', map: 'S.H\n.HG' });
    assert.equal(layout.width, 3);
    assert.equal(layout.height, 2);
    assert.deepEqual([...layout.cells], [CellKind.start, CellKind.standard, CellKind.hazard, CellKind.standard, CellKind.hazard, CellKind.goal]);
    assert.deepEqual(layout.start, { row: 0, col: 0 });
    assert.deepEqual(layout.goal, { row: 1, col: 2 });
    const env = make({ world: 'large_maze', map: 'S.H\n.HG' });
    assert.deepEqual(env.observationSpace, { kind: 'discrete', n: 6, start: 0 });
    assert.equal(env.maxEpisodeSteps, 30);
    assert.deepEqual(shortestSafePath(['S.H', '.HG']), null, 'every route of this map crosses a hazard');
  });

  it('accepts a trailing newline and CRLF line ends', () => {
    const expected = gridWorldLayout({ map: 'S.\n.G' });
    assert.deepEqual(gridWorldLayout({ map: 'S.\n.G\n' }), expected);
    assert.deepEqual(gridWorldLayout({ map: 'S.\r\n.G\r\n' }), expected);
  });

  it('accepts the largest map, 200 x 200', () => {
    const rows = Array.from({ length: 200 }, () => '.'.repeat(200));
    rows[0] = 'S' + '.'.repeat(198) + 'G';
    const layout = gridWorldLayout({ map: rows.join('\n') });
    assert.equal(layout.width * layout.height, 40000);
    const env = make({ map: rows.join('\n') });
    const frame = env.render(0, 'rgb_array') as RgbFrame;
    assert.ok(frame.width <= 1024 && frame.height <= 1024, 'big maps render with smaller cells');
  });

  const invalid: [string, string, RegExp][] = [
    ['ragged rows', 'S..\n..\n..G', /row 1 has 2 cells but row 0 has 3/],
    ['a wall character', 'S#.\n..G', /row 0, col 1 has "#"/],
    ['a space', 'S .\n..G', /row 0, col 1 has " "/],
    ['a lowercase goal', 'S..\n..g', /row 1, col 2 has "g"/],
    ['no start', '...\n..G', /no 'S'/],
    ['two starts', 'S.S\n..G', /a second 'S' at row 0, col 2/],
    ['no goal', 'S..\n...', /no 'G'/],
    ['two goals', 'SGG\n...', /a second 'G' at row 0, col 2/],
    ['a single row', 'S.G', /1 row/],
    ['a single column', 'S\n.\nG', /row 0 has 1 cell/],
    ['201 columns', 'S' + '.'.repeat(199) + 'G\n' + '.'.repeat(201), /row 0 has 201 cell/],
    ['201 rows', ['S.', ...Array.from({ length: 199 }, () => '..'), '.G'].join('\n'), /201 row/],
    ['an empty line inside', 'S.\n\n.G', /row 1 has 0 cells/],
  ];
  for (const [what, map, problem] of invalid) {
    it(`rejects a map with ${what} (INVALID_ARGUMENT on config.map)`, () => {
      const rules = /'\.' \(standard\), 'H' \(hazard\), 'S' \(start, exactly one\) and 'G' \(goal, exactly one\)/;
      assertDomainError(() => gridWorldType.describe(config({ map })), 'config.map', rules, problem, /2\.\.200/);
      assertDomainError(() => gridWorldType.create(1, config({ map }), rewardOf(), 0), 'config.map', problem);
      assertDomainError(() => gridWorldLayout({ map }), 'config.map', problem);
    });
  }

  it('rejects an absurdly long map text before splitting it', () => {
    assertDomainError(() => gridWorldLayout({ map: '.'.repeat(50_000) }), 'config.map', /characters long/);
  });
});

describe('GridWorld-v0 config validation', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ world: 'tiny_maze' }, 'config.world', /small_maze/],
    [{ world: 3 }, 'config.world', /must be a string/],
    [{ encoding: 'pixels' }, 'config.encoding', /"lights_off"/],
    [{ off_grid: 'wrap' }, 'config.off_grid', /"random_legal"/],
    [{ random_start: 'yes' }, 'config.random_start', /true or false/],
    [{ max_episode_steps: -1 }, 'config.max_episode_steps', /\[0, /],
    [{ max_episode_steps: 2.5 }, 'config.max_episode_steps', /integer/],
    [{ map: 5 }, 'config.map', /must be a string/],
    [{ size: 'small' }, 'config.size', /unknown option/],
  ];
  for (const [given, field, pattern] of cases) {
    it(`rejects ${JSON.stringify(given)} on ${field}`, () => {
      assertDomainError(() => config(given), field, pattern);
      assertDomainError(() => gridWorldLayout(given), field, pattern);
    });
  }
});

describe('GridWorld-v0 resets', () => {
  it('starts on S unless random_start, and a failed reset changes nothing', () => {
    const env = make({ world: 'large_maze' });
    env.reset(0, 0, resetOpts());
    assert.deepEqual(pos(env), { row: 13, col: 0 });
    env.step(0, UP);
    assertDomainError(() => env.reset(0, 0, resetOpts({ start_row: 13, start_col: 40 })), 'options.start_row', /goal/);
    assert.deepEqual(pos(env), { row: 12, col: 0 });
    assert.equal(env.episodeSteps(0), 1);
  });

  it('random_start draws reproducible non-hazard, non-goal cells from the reset seed', () => {
    const starts = (seed: number, n: number): number[] => {
      const env = make({ world: 'small_random', random_start: true });
      const out: number[] = [];
      env.reset(0, seed, resetOpts());
      out.push(env.observations[0]);
      for (let k = 1; k < n; k++) {
        env.reset(0, undefined, resetOpts()); // continues the copy's stream
        out.push(env.observations[0]);
      }
      return out;
    };
    const a = starts(123, 400);
    assert.deepEqual(a, starts(123, 400));
    assert.notDeepEqual(a, starts(124, 400));
    const cells = gridWorldLayout({ world: 'small_random' }).cells;
    for (const idx of a) {
      assert.notEqual(cells[idx], CellKind.hazard);
      assert.notEqual(cells[idx], CellKind.goal);
    }
    const eligible = cells.filter((k) => k !== CellKind.hazard && k !== CellKind.goal).length;
    assert.ok(new Set(a).size > 0.8 * eligible, `${new Set(a).size} of ${eligible} eligible cells drawn`);
    // Reseeding with the same seed replays the same start.
    const env = make({ world: 'small_random', random_start: true });
    env.reset(0, 77, resetOpts());
    const first = env.observations[0];
    env.reset(0, 77, resetOpts());
    assert.equal(env.observations[0], first);
  });

  it('creates copy i seeded with seed + i', () => {
    const batch = make({ world: 'large_moat', random_start: true }, { n: 3, seed: 40 });
    const single = make({ world: 'large_moat', random_start: true }, { n: 1, seed: 42 });
    for (let k = 0; k < 20; k++) {
      batch.reset(2, undefined, resetOpts());
      single.reset(0, undefined, resetOpts());
      assert.equal(batch.observations[2], single.observations[0]);
    }
  });

  it('start_row/start_col choose the start cell, covering every non-goal cell (exhaustive schedule)', () => {
    const env = make({ world: 'small_maze', random_start: true });
    const layout = gridWorldLayout({ world: 'small_maze' });
    let count = 0;
    for (let row = 0; row < 11; row++) {
      for (let col = 0; col < 13; col++) {
        if (layout.cells[row * 13 + col] === CellKind.goal) continue;
        env.reset(0, 0, resetOpts({ start_row: row, start_col: col }));
        assert.equal(env.observations[0], row * 13 + col);
        assert.deepEqual(pos(env), { row, col });
        assert.equal(env.episodeSteps(0), 0);
        count++;
      }
    }
    assert.equal(count, 142);
  });

  it('rejects bad start_row/start_col', () => {
    const env = make({ world: 'small_maze' });
    assertDomainError(() => env.reset(0, 0, resetOpts({ start_row: 3 })), 'options.start_col', /together/);
    assertDomainError(() => env.reset(0, 0, resetOpts({ start_col: 3 })), 'options.start_row', /together/);
    assertDomainError(() => env.reset(0, 0, resetOpts({ start_row: 11, start_col: 0 })), 'options.start_row', /\[0, 10\]/, /got 11/);
    assertDomainError(() => env.reset(0, 0, resetOpts({ start_row: 0, start_col: 13 })), 'options.start_col', /\[0, 12\]/, /got 13/);
    const goal = assertDomainError(() => env.reset(0, 0, resetOpts({ start_row: 9, start_col: 12 })), 'options.start_row', /goal/);
    assert.equal(goal.reason, 'INVALID_START');
    assertDomainError(() => resetOpts({ start_row: -2, start_col: 0 }), 'options.start_row', /\[-1, 199\]/);
    assertDomainError(() => resetOpts({ start_row: 200, start_col: 0 }), 'options.start_row', /\[-1, 199\]/);
    assertDomainError(() => resetOpts({ start_row: 1.5, start_col: 0 }), 'options.start_row', /integer/);
  });
});

describe('GridWorld-v0 vector batches', () => {
  it('a batch of N copies behaves exactly like N single envs (random starts, random_legal, stepAll)', () => {
    const N = 5;
    const given = { world: 'small_random', random_start: true, off_grid: 'random_legal', encoding: 'lights_off', max_episode_steps: 40 };
    const batch = make(given, { n: N, seed: 1000 });
    const singles = Array.from({ length: N }, (_, i) => make(given, { n: 1, seed: 1000 + i }));
    assert.ok(batch instanceof GridWorldBatch);
    for (let i = 0; i < N; i++) {
      batch.reset(i, undefined, resetOpts());
      singles[i].reset(0, undefined, resetOpts());
    }
    const rng = new Rng(9);
    const actions = new Int32Array(N);
    let ended = 0;
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < N; i++) actions[i] = rng.nextInt(4);
      batch.stepAll(actions);
      for (let i = 0; i < N; i++) {
        const s = singles[i];
        s.step(0, actions[i]);
        assert.deepEqual([...batch.observations.subarray(i * 5, i * 5 + 5)], [...s.observations]);
        assert.equal(batch.rewards[i], s.rewards[0]);
        assert.equal(batch.terminated[i], s.terminated[0]);
        assert.equal(batch.truncated[i], s.truncated[0]);
        assert.deepEqual(batch.info(i), s.info(0));
        if (batch.terminated[i] || batch.truncated[i]) {
          ended++;
          batch.reset(i, undefined, resetOpts());
          s.reset(0, undefined, resetOpts());
        }
      }
    }
    assert.ok(ended >= 30, `episodes ended and were reset (${ended})`);
  });

  it('stepAll equals step on each copy', () => {
    const a = make({ world: 'large_maze', encoding: 'onehot' }, { n: 3, seed: 5 });
    const b = make({ world: 'large_maze', encoding: 'onehot' }, { n: 3, seed: 5 });
    for (let i = 0; i < 3; i++) {
      a.reset(i, i, resetOpts());
      b.reset(i, i, resetOpts());
    }
    const acts = [UP, RIGHT, DOWN];
    a.stepAll(acts);
    for (let i = 0; i < 3; i++) b.step(i, acts[i]);
    assert.deepEqual([...a.observations], [...b.observations]);
    assert.deepEqual([...a.rewards], [...b.rewards]);
    assert.deepEqual(pos(a, 0), { row: 12, col: 0 });
    assert.deepEqual(pos(a, 1), { row: 13, col: 1 });
    assert.deepEqual(pos(a, 2), { row: 14, col: 0 });
  });
});

describe('GridWorld-v0 rendering', () => {
  it('ansi shows the map with the agent as A', () => {
    const env = make({ world: 'small_maze' });
    env.reset(0, 0, resetOpts());
    const text = env.render(0, 'ansi') as string;
    const lines = text.split('\n');
    assert.equal(lines.length, 11);
    assert.ok(lines.every((l) => l.length === 13));
    assert.equal(lines[9], 'A.H..H..H..HG');
    assert.equal(text.split('A').length, 2, 'exactly one A');
    for (let r = 0; r < 11; r++) if (r !== 9) assert.equal(lines[r], GRID_WORLDS.small_maze[r]);
    env.step(0, RIGHT);
    assert.equal((env.render(0, 'ansi') as string).split('\n')[9], 'SAH..H..H..HG');
  });

  it('rgb_array is 20 px per cell with distinct colours for cells and agent', () => {
    const env = make({ world: 'small_maze' });
    env.reset(0, 0, resetOpts());
    const frame = env.render(0, 'rgb_array') as RgbFrame;
    assert.equal(frame.width, 13 * 20);
    assert.equal(frame.height, 11 * 20);
    assert.equal(frame.data.length, frame.width * frame.height * 3);
    const px = (f: RgbFrame, row: number, col: number): number[] => {
      const o = ((row * 20 + 10) * f.width + col * 20 + 10) * 3;
      return [f.data[o], f.data[o + 1], f.data[o + 2]];
    };
    const [ar, ag, ab] = px(frame, 9, 0); // the agent, on S
    assert.ok(ar < 80 && ag < 80 && ab < 80, 'the agent is dark');
    const [gr, gg, gb] = px(frame, 9, 12);
    assert.ok(gg > gr && gg > gb, 'the goal is green');
    const [hr, hg, hb] = px(frame, 9, 2);
    assert.ok(hr > hg && hr > hb, 'hazards are red');
    const [sr, sg, sb] = px(frame, 9, 1);
    assert.ok(sr === sg && sg === sb && sr > 180, 'standard cells are light grey');
    env.step(0, RIGHT);
    const next = env.render(0, 'rgb_array') as RgbFrame;
    const [s2r, s2g, s2b] = px(next, 9, 0);
    assert.ok(s2b > s2r && s2b > s2g, 'the start is blue once the agent leaves it');
    assert.ok(px(next, 9, 1).every((v) => v < 80), 'the agent moved');
    assert.deepEqual(px(frame, 9, 1), [sr, sg, sb], 'rendering again does not alter earlier frames');
    const large = make({ world: 'large_moat' }).render(0, 'rgb_array') as RgbFrame;
    assert.equal(large.width, 41 * 20);
    assert.equal(large.height, 15 * 20);
  });

  it('rgb_array draws 1 px grid lines between cells', () => {
    const env = make({ world: 'small_moat' });
    env.reset(0, 0, resetOpts());
    const f = env.render(0, 'rgb_array') as RgbFrame;
    const at = (y: number, x: number): number[] => [...f.data.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3)];
    assert.notDeepEqual(at(100, 100), at(110, 110), 'the line at y = 100 differs from the cell inside');
    assert.deepEqual(at(100, 110), at(110, 100), 'horizontal and vertical lines share a colour');
  });
});

describe('GridWorld-v0 as an EnvType', () => {
  it('declares its states as grid cells (stateGrid), its render fps and no fixed time limit', () => {
    assert.deepEqual(gridWorldType.stateGrid?.({}), { width: 13, height: 11 });
    assert.deepEqual(gridWorldType.stateGrid?.({ world: 'large_moat' }), { width: 41, height: 15 });
    assert.deepEqual(gridWorldType.stateGrid?.({ map: 'S.H\n..G' }), { width: 3, height: 2 });
    assert.equal(gridWorldType.renderFps, 8);
    assert.equal(gridWorldType.timeLimit, undefined);
  });
});
