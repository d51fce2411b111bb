/**
 * Cost per reward call of built-in, plugin and sandboxed reward functions, single and
 * batched, and what each costs per env step end to end (EnvSession step / stepBatch, with
 * the step transaction that plugin and sandboxed functions get).
 *
 *   node --import tsx bench/rewards.ts [--quick] [--md FILE] [--json FILE]
 *
 * "Per reward call" is the time of one f(s, a, s') evaluation: for the in-process functions
 * a tight loop of direct compute() calls over pre-made transitions; for the sandbox one
 * SandboxProgram.run() over n pre-recorded transitions (one crossing into QuickJS, n calls
 * inside it) divided by n. Targets (issue #5): under 1 us per call for built-ins, under 20 us
 * for sandboxed calls when batched.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRID_WORLDS } from '../src/core/envs/gridworld-maps.js';
import { envTypes } from '../src/core/envs/registry.js';
import { resolveOptions, type OptionValues } from '../src/core/options.js';
import { transitionCodec, TransitionWriter } from '../src/core/envs/transition-schema.js';
import { anglePositionReward, cartPoleTransition, gymnasiumReward, newCartPoleFacts } from '../src/core/rewards/cartpole.js';
import { gridDistanceShapingReward, gridSeedReward, gridTransition, newGridFacts, setGridCell } from '../src/core/rewards/gridworld.js';
import { loadRewardPlugins } from '../src/core/rewards/plugins.js';
import { RewardRegistry } from '../src/core/rewards/registry.js';
import { DEFAULT_SANDBOX_LIMITS, loadSandbox, reserveSandboxes, SandboxProgram } from '../src/core/rewards/sandbox.js';
import type { RewardFunction } from '../src/core/rewards/types.js';
import { EnvSession } from '../src/core/sessions/env-session.js';
import { Rng } from '../src/core/rng.js';
import { fmtMachine, machine, markdownTable, measureSync, parseCommonArgs, type Rate } from './lib.js';

const args = parseCommonArgs(process.argv.slice(2));
const budget = args.budget;
const mdOut = args.rest.get('md');

const SEED_JS = '(s, a, sNext, info, p) => info.cell === "goal" ? 0 : info.cell === "hazard" ? -200 : -1';
const SHAPING_JS =
  '(s, a, sNext, i, p) => (i.cell === "goal" ? 0 : i.cell === "hazard" ? -200 : -1) + (Math.abs(i.row - i.goalRow) + Math.abs(i.col - i.goalCol)) - 0.8 * (Math.abs(i.nextRow - i.goalRow) + Math.abs(i.nextCol - i.goalCol))';
const ANGLE_JS = '(s, a, sn, i) => i.terminated ? (i.afterTermination ? 0 : -1) : 1 - 0.5 * (sn[2] / i.thetaThreshold) ** 2 - 0.5 * (sn[0] / i.xThreshold) ** 2';

let sink = 0;

interface Row {
  readonly what: string;
  readonly kind: 'built-in' | 'plugin' | 'sandboxed';
  readonly how: string;
  readonly batch: number;
  /** Nanoseconds per reward call (or per env step for end-to-end rows). */
  readonly ns: number;
  readonly spread: number;
  readonly target?: number;
}
const rows: Row[] = [];

function record(what: string, kind: Row['kind'], how: string, batch: number, rate: Rate, target?: number): void {
  const ns = 1e9 / rate.perSecond;
  const perRep = rate.reps.map((r) => 1e9 / r);
  const spread = perRep.length > 1 ? Math.max(...perRep.map((x) => Math.abs(x - ns))) / ns : 0;
  rows.push({ what, kind, how, batch, ns, spread, target });
  process.stderr.write(`${what} | ${how} | batch ${batch}: ${fmtNs(ns)}\n`);
}

function fmtNs(ns: number): string {
  return ns < 1000 ? `${ns.toFixed(ns < 10 ? 2 : 1)} ns` : `${(ns / 1000).toFixed(ns < 10000 ? 2 : 1)} us`;
}

// ---- Transitions to evaluate ------------------------------------------------------------

const MAZE = GRID_WORLDS.small_maze;
const W = 13;
const H = 11;
const N_TRANSITIONS = 4096;
const rng = new Rng(7);
const DR = [-1, 1, 0, 0];
const DC = [0, 0, -1, 1];
const KIND: Record<string, number> = { '.': 0, H: 1, G: 2, S: 3 };

/** Random small_maze transitions: state, action, next state, facts fields. */
const grid = Array.from({ length: N_TRANSITIONS }, () => {
  const r = rng.nextInt(H);
  const c = rng.nextInt(W);
  const a = rng.nextInt(4);
  let nr = r + DR[a];
  let nc = c + DC[a];
  const off = nr < 0 || nr >= H || nc < 0 || nc >= W;
  if (off) {
    nr = r;
    nc = c;
  }
  return { s: r * W + c, a, sNext: nr * W + nc, kind: KIND[MAZE[nr][nc]], off, r, c, nr, nc };
});
const gridFacts = newGridFacts({ width: W, height: H, goalRow: 9, goalCol: 12 });
const gridWriter = new TransitionWriter(gridTransition, gridFacts);
const GRID_RECORD_WIDTH = gridWriter.layout.width;
const gridRecords = new Float64Array(N_TRANSITIONS * GRID_RECORD_WIDTH);
grid.forEach((t, k) => {
  setGridCell(gridFacts, t.kind);
  Object.assign(gridFacts, { offGrid: t.off, terminated: t.kind === 2, truncated: false, steps: 1 + (k % 100), row: t.r, col: t.c, nextRow: t.nr, nextCol: t.nc });
  gridWriter.write(gridRecords, k * GRID_RECORD_WIDTH, t.s, t.a, t.sNext);
});

const cart = Array.from({ length: N_TRANSITIONS }, () => {
  const s = Float64Array.from({ length: 4 }, () => rng.uniform(-0.2, 0.2));
  const sNext = Float64Array.from({ length: 4 }, () => rng.uniform(-0.25, 0.25));
  return { s, a: rng.nextInt(2), sNext, terminated: Math.abs(sNext[2]) > 0.2094 };
});
const cartFacts = newCartPoleFacts();
const cartWriter = new TransitionWriter(cartPoleTransition, cartFacts);
const CARTPOLE_RECORD_WIDTH = cartWriter.layout.width;
const cartRecords = new Float64Array(N_TRANSITIONS * CARTPOLE_RECORD_WIDTH);
cart.forEach((t, k) => {
  Object.assign(cartFacts, { terminated: t.terminated, afterTermination: false, stepsBeyondTerminated: t.terminated ? 0 : -1, truncated: false, steps: 1 + (k % 500) });
  cartWriter.write(cartRecords, k * CARTPOLE_RECORD_WIDTH, t.s, t.a, t.sNext);
});

// ---- Per reward call: in-process functions -----------------------------------------------

const CALLS = 65536;

function benchGrid(fn: RewardFunction<number, ReturnType<typeof newGridFacts>>, params: OptionValues): Rate {
  const facts = newGridFacts({ width: W, height: H, goalRow: 9, goalCol: 12 });
  return measureSync(budget, () => {
    let acc = 0;
    for (let k = 0; k < CALLS; k++) {
      const t = grid[k & (N_TRANSITIONS - 1)];
      setGridCell(facts, t.kind);
      facts.offGrid = t.off;
      facts.terminated = t.kind === 2;
      facts.row = t.r;
      facts.col = t.c;
      facts.nextRow = t.nr;
      facts.nextCol = t.nc;
      acc += fn.compute(t.s, t.a, t.sNext, facts, params);
    }
    sink += acc;
    return CALLS;
  });
}

function benchCart(fn: RewardFunction<Float64Array, ReturnType<typeof newCartPoleFacts>>, params: OptionValues): Rate {
  const facts = newCartPoleFacts();
  return measureSync(budget, () => {
    let acc = 0;
    for (let k = 0; k < CALLS; k++) {
      const t = cart[k & (N_TRANSITIONS - 1)];
      facts.terminated = t.terminated;
      acc += fn.compute(t.s, t.a, t.sNext, facts, params);
    }
    sink += acc;
    return CALLS;
  });
}

const defaults = (fn: { params: readonly unknown[] }) => resolveOptions(fn.params as never, undefined, 'params');

record('GridWorld seed', 'built-in', 'compute() per call', 1, benchGrid(gridSeedReward, defaults(gridSeedReward)), 1000);
record('GridWorld distance_shaping', 'built-in', 'compute() per call', 1, benchGrid(gridDistanceShapingReward, defaults(gridDistanceShapingReward)), 1000);
record('CartPole gymnasium', 'built-in', 'compute() per call', 1, benchCart(gymnasiumReward, {}), 1000);
record('CartPole angle_position', 'built-in', 'compute() per call', 1, benchCart(anglePositionReward, defaults(anglePositionReward)), 1000);

const pluginDir = fileURLToPath(new URL('../test/fixtures/plugins/good', import.meta.url));
const plugins = await loadRewardPlugins(pluginDir, [...envTypes.keys()]);
const goalBonus = plugins.find((p) => p.name === 'goal_bonus')!;
const upright = plugins.find((p) => p.name === 'upright_bonus')!;
record('GridWorld goal_bonus (test/fixtures/plugins/good/10-grid.ts)', 'plugin', 'compute() per call, checked', 1, benchGrid(goalBonus.fn as never, Object.freeze(defaults(goalBonus))), 1000);
record('CartPole upright_bonus (test/fixtures/plugins/good/20-cartpole.mjs)', 'plugin', 'compute() per call, checked', 1, benchCart(upright.fn as never, Object.freeze(defaults(upright))), 1000);

// ---- Per reward call: the sandbox --------------------------------------------------------

await loadSandbox({ poolSize: 8 });
const limits = DEFAULT_SANDBOX_LIMITS;
const gridCodec = transitionCodec(gridTransition, gridFacts);
const programs = {
  seed: SandboxProgram.compile(SEED_JS, gridCodec, {}, limits),
  shaping: SandboxProgram.compile(SHAPING_JS, gridCodec, {}, limits),
  angle: SandboxProgram.compile(ANGLE_JS, transitionCodec(cartPoleTransition, newCartPoleFacts()), {}, limits),
};
const out = new Float64Array(N_TRANSITIONS);

function benchSandbox(program: SandboxProgram, records: Float64Array, width: number, n: number): Rate {
  const slices = Math.floor(N_TRANSITIONS / n);
  let next = 0;
  return measureSync(budget, () => {
    let done = 0;
    const t0 = performance.now();
    do {
      const first = (next++ % slices) * n;
      program.run(n, records.subarray(first * width, (first + n) * width), out);
      done += n;
    } while (performance.now() - t0 < 2);
    sink += out[0];
    return done;
  });
}

for (const n of [1, 16, 256, 1024, 4096]) {
  record('GridWorld seed as JavaScript', 'sandboxed', n === 1 ? 'one call per transition' : 'one call per batch', n, benchSandbox(programs.seed, gridRecords, GRID_RECORD_WIDTH, n), n === 1 ? undefined : 20000);
}
record('GridWorld distance shaping as JavaScript', 'sandboxed', 'one call per batch', 1024, benchSandbox(programs.shaping, gridRecords, GRID_RECORD_WIDTH, 1024), 20000);
record('CartPole angle_position as JavaScript', 'sandboxed', 'one call per transition', 1, benchSandbox(programs.angle, cartRecords, CARTPOLE_RECORD_WIDTH, 1), undefined);
record('CartPole angle_position as JavaScript', 'sandboxed', 'one call per batch', 1024, benchSandbox(programs.angle, cartRecords, CARTPOLE_RECORD_WIDTH, 1024), 20000);

// ---- End to end: EnvSession step / stepBatch with each kind of reward ---------------------

const registry = new RewardRegistry(envTypes, plugins);
await reserveSandboxes(4);
registry.register({ name: 'seed_js', envTypeId: 'GridWorld-v0', sessionId: '', source: SEED_JS, description: '', params: [] }, 'bench');
let ids = 0;
function session(reward: string, numEnvs: number): EnvSession {
  const s = new EnvSession(`b${++ids}`, 'bench', envTypes.get('GridWorld-v0')!, {
    config: { random_start: true },
    rewardFunction: reward,
    rewardParams: undefined,
    numEnvs,
    renderMode: 'none',
    autoresetMode: 'next_step',
    seed: 1,
    rewards: registry,
  }, 65536);
  s.reset(1, undefined);
  return s;
}
const actionRows = Array.from({ length: 64 }, () => Int32Array.from({ length: 1024 }, () => rng.nextInt(4)));
await reserveSandboxes(4);
for (const [reward, kind] of [['seed', 'built-in'], ['goal_bonus', 'plugin'], ['seed_js', 'sandboxed']] as const) {
  const single = session(reward, 1);
  let k = 0;
  record(`GridWorld step, reward ${reward}`, kind, 'end to end: EnvSession.step', 1, measureSync(budget, () => {
    for (let j = 0; j < 256; j++) single.step(actionRows[k++ & 63][j]);
    return 256;
  }));
  const vec = session(reward, 1024);
  record(`GridWorld stepBatch, reward ${reward}`, kind, 'end to end: EnvSession.stepBatch, per env step', 1024, measureSync(budget, () => {
    vec.stepBatch(actionRows[k++ & 63]);
    return 1024;
  }));
  single.dispose();
  vec.dispose();
}

// ---- Report ----------------------------------------------------------------------------

const header = ['reward function', 'kind', 'how it is called', 'batch', 'cost per reward call', 'target', 'result'];
const table = markdownTable(
  header,
  rows.map((r) => [
    r.what,
    r.kind,
    r.how,
    String(r.batch),
    fmtNs(r.ns) + (r.spread > 0.1 ? ` (±${Math.round(r.spread * 100)}%)` : ''),
    r.target === undefined ? '' : `< ${fmtNs(r.target)}`,
    r.target === undefined ? '' : r.ns < r.target ? 'PASS' : 'MISS',
  ]),
);
const m = machine();
const text = `${table}\n\nMachine: ${fmtMachine(m)}.\nEach figure: ${budget.warmupSeconds} s warm-up, then the median of ${budget.reps} runs of ${budget.seconds} s. End-to-end rows are per env step (the env's own work included).\n`;
console.log(text);
if (typeof mdOut === 'string') writeFileSync(path.resolve(mdOut), text);
if (args.jsonOut) writeFileSync(path.resolve(args.jsonOut), JSON.stringify({ rows, machine: m, budget }, null, 2));
if (sink === 0.123456789) console.log(sink);
