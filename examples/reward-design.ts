/**
 * The seed's reward-design claim, measured: "with gridworld if goal state's reward is not
 * significantly different than standard or hazard states learning will take much longer
 * ... remember now - we're using function approximators too!" (seed notes, end).
 *
 * Part 1, tabular: the seed's tabular agent (preset seed-tabular-gridworld: alpha 1,
 * gamma 0.8, a random action with probability 0.2, random start cells) learns small_maze
 * under several reward settings; after every training episode the greedy path from S is
 * walked, and a run counts as solved at the first episode after which that path reaches G
 * without entering a hazard (the seed's task, judged the same way whatever reward the agent
 * trained on). Value iteration on each setting tells what its optimal policy does from S.
 *
 * Part 2, DQN (the function approximator the claim is about): the "DQN [64], one-hot
 * states, start on S" agent of docs/seed-variants.md under the seed's rewards and the same
 * rewards with values closer together; the greedy path from S is checked every 5 episodes.
 *
 *   node --import tsx examples/reward-design.ts [--part tabular|dqn|all] [--seeds 20] [--episodes 1000]
 *        [--dqn-seeds 5] [--dqn-episodes 600] [--quick]
 *
 * Prints Markdown tables (docs/reward-design.md has the figures of one run). Runs use the
 * reward registry's functions: the built-in `seed` with parameters, `distance_shaping`, and
 * one setting as client JavaScript run in the sandbox (checked to train exactly as the
 * built-in with the same values).
 */

import { parseArgs } from 'node:util';
import { createAgent } from '../src/core/agents/create-agent.js';
import { presetByName } from '../src/core/agents/presets.js';
import type { Agent } from '../src/core/agents/types.js';
import { CellKind } from '../src/core/envs/gridworld-maps.js';
import { gridWorldLayout, gridWorldType } from '../src/core/envs/gridworld.js';
import { envTypes } from '../src/core/envs/registry.js';
import type { EnvBatch } from '../src/core/envs/types.js';
import { resolveOptions } from '../src/core/options.js';
import { RewardRegistry } from '../src/core/rewards/registry.js';
import { loadSandbox, reserveSandboxes } from '../src/core/rewards/sandbox.js';
import { EnvSession } from '../src/core/sessions/env-session.js';
import { train } from '../src/core/training/train.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'all' },
    seeds: { type: 'string', default: '20' },
    episodes: { type: 'string', default: '1000' },
    'dqn-seeds': { type: 'string', default: '5' },
    'dqn-episodes': { type: 'string', default: '600' },
    quick: { type: 'boolean', default: false },
  },
});
const SEEDS = values.quick ? 3 : Number(values.seeds);
const EPISODES = values.quick ? 300 : Number(values.episodes);
const DQN_SEEDS = values.quick ? 1 : Number(values['dqn-seeds']);
const DQN_EPISODES = values.quick ? 60 : Number(values['dqn-episodes']);
const WORLD = { world: 'small_maze', random_start: true };
const preset = presetByName('seed-tabular-gridworld');
if (!preset) throw new Error('preset seed-tabular-gridworld missing');
const GAMMA = preset.config.gamma as number;

interface Setting {
  readonly name: string;
  readonly reward: string;
  readonly params: Record<string, number>;
  readonly note: string;
  /** Run through a registered client function in the sandbox instead of the built-in. */
  readonly sandboxSource?: string;
}

const SETTINGS: Setting[] = [
  { name: "seed (the notes' default)", reward: 'seed', params: { goal: 0, hazard: -200, standard: -1 }, note: 'goal 0, hazard -200, standard -1' },
  { name: 'seed x 0.01', reward: 'seed', params: { goal: 0, hazard: -2, standard: -0.01 }, note: 'goal 0, hazard -2, standard -0.01: the same ratios, all values within 2' },
  { name: 'seed_v2', reward: 'seed_v2', params: { goal: 0, hazard: -10, standard: -0.001 }, note: 'goal 0, hazard -10, standard -0.001' },
  { name: 'close: hazard 5x standard', reward: 'seed', params: { goal: 0, hazard: -5, standard: -1 }, note: 'goal 0, hazard -5, standard -1' },
  { name: 'close: hazard 2x standard', reward: 'seed', params: { goal: 0, hazard: -2, standard: -1 }, note: 'goal 0, hazard -2, standard -1' },
  {
    name: 'close: hazard 2x standard, in the sandbox',
    reward: 'close_js',
    params: {},
    note: 'the same as client JavaScript (RegisterReward), run in the sandbox',
    sandboxSource: '(s, a, sNext, info) => info.cell === "goal" ? 0 : info.cell === "hazard" ? -2 : -1',
  },
  { name: 'close: goal -0.9, hazard -1.1, standard -1', reward: 'seed', params: { goal: -0.9, hazard: -1.1, standard: -1 }, note: 'all three within 0.2' },
  { name: 'distance_shaping (potential-based, default scale 0.1)', reward: 'distance_shaping', params: { gamma: GAMMA }, note: "seed rewards + 0.8 * Phi(s') - Phi(s), Phi = -0.1 * Manhattan distance to G" },
  { name: 'distance_shaping, scale 1', reward: 'distance_shaping', params: { gamma: GAMMA, scale: 1 }, note: 'the same with Phi = -distance: a step toward G far away pays up to +4' },
];

const layout = gridWorldLayout({ world: 'small_maze' });
const W = layout.width;
const N = layout.width * layout.height;
const GOAL = layout.goal.row * W + layout.goal.col;
const START = layout.start.row * W + layout.start.col;
const config = resolveOptions(gridWorldType.configOptions, WORLD, 'config');

function builtinEnv(s: Setting, seed: number): EnvBatch {
  const fn = gridWorldType.rewardFunctions.find((r) => r.name === s.reward)!;
  return gridWorldType.create(1, config, { name: s.reward, params: resolveOptions(fn.params, s.params, 'reward_params') }, seed);
}

await loadSandbox();
const registry = new RewardRegistry(envTypes, []);
let sessionIds = 0;
async function sandboxEnv(s: Setting, seed: number): Promise<{ env: EnvBatch; dispose: () => void }> {
  await reserveSandboxes(2);
  if (!registry.list('example').some((r) => r.name === s.reward)) {
    registry.register({ name: s.reward, envTypeId: 'GridWorld-v0', sessionId: '', source: s.sandboxSource!, description: s.note, params: [] }, 'example');
  }
  const session = new EnvSession(`ex${++sessionIds}`, 'example', gridWorldType, {
    config: WORLD,
    rewardFunction: s.reward,
    rewardParams: {},
    numEnvs: 1,
    renderMode: 'none',
    autoresetMode: 'next_step',
    seed,
    rewards: registry,
  }, 1);
  return { env: session.batch, dispose: () => session.dispose() };
}

/** The greedy path from S: reaches G? its length and the hazards entered. */
function greedyPath(next: (s: number) => number): { reached: boolean; length: number; hazards: number } {
  let s = START;
  let hazards = 0;
  const limit = 5 * N;
  for (let k = 1; k <= limit; k++) {
    s = next(s);
    if (layout.cells[s] === CellKind.hazard) hazards++;
    if (s === GOAL) return { reached: true, length: k, hazards };
  }
  return { reached: false, length: limit, hazards };
}

/** Deterministic transition table of small_maze. */
const NEXT = new Int32Array(N * 4);
for (let s = 0; s < N; s++) {
  const r = Math.floor(s / W);
  const c = s % W;
  [[-1, 0], [1, 0], [0, -1], [0, 1]].forEach(([dr, dc], a) => {
    const nr = r + dr;
    const nc = c + dc;
    NEXT[s * 4 + a] = nr < 0 || nr >= layout.height || nc < 0 || nc >= W ? s : nr * W + nc;
  });
}

/** What the setting's optimal policy (value iteration, gamma 0.8) does from S. */
function optimalFromStart(s: Setting): string {
  const env = s.sandboxSource ? builtinEnv({ ...s, reward: 'seed', params: { goal: 0, hazard: -2, standard: -1 } }, 0) : builtinEnv(s, 0);
  const reward = new Float64Array(N * 4);
  for (let st = 0; st < N; st++) {
    if (st === GOAL) continue;
    for (let a = 0; a < 4; a++) {
      env.reset(0, undefined, { start_row: Math.floor(st / W), start_col: st % W });
      env.step(0, a);
      reward[st * 4 + a] = env.rewards[0];
    }
  }
  const q = new Float64Array(N * 4);
  for (let it = 0; it < 1000; it++) {
    for (let st = 0; st < N; st++) {
      if (st === GOAL) continue;
      for (let a = 0; a < 4; a++) {
        const sn = NEXT[st * 4 + a];
        q[st * 4 + a] = reward[st * 4 + a] + (sn === GOAL ? 0 : GAMMA * Math.max(q[sn * 4], q[sn * 4 + 1], q[sn * 4 + 2], q[sn * 4 + 3]));
      }
    }
  }
  const p = greedyPath((st) => {
    let best = 0;
    for (let a = 1; a < 4; a++) if (q[st * 4 + a] > q[st * 4 + best]) best = a;
    return NEXT[st * 4 + best];
  });
  return p.reached ? `G in ${p.length} steps, ${p.hazards} hazard${p.hazards === 1 ? '' : 's'}` : 'does not reach G';
}

interface RunResult {
  /** First episode after which the greedy path from S reaches G (any route), or NaN. */
  readonly reached: number;
  /** First episode after which it reaches G without entering a hazard, or NaN. */
  readonly solved: number;
  /** The same, counted in environment steps of training. */
  readonly solvedSteps: number;
  readonly final: { reached: boolean; length: number; hazards: number };
  readonly returns: number[];
}

async function run(s: Setting, seed: number): Promise<RunResult> {
  const made = s.sandboxSource ? await sandboxEnv(s, seed) : { env: builtinEnv(s, seed), dispose: () => undefined };
  const { env } = made;
  const agent: Agent = await createAgent('tabular', env.observationSpace, 4, { ...preset!.config, seed });
  const q = new Float32Array(4);
  const greedy = () => greedyPath((st) => NEXT[st * 4 + agent.chooseAction([st], false, q)]);
  let reached = Number.NaN;
  let solved = Number.NaN;
  let solvedSteps = Number.NaN;
  let steps = 0;
  const returns: number[] = [];
  for (let e = 1; e <= EPISODES; e++) {
    const summary = await train(env, agent, { episodes: 1, seed: e === 1 ? seed : undefined });
    steps += summary.steps;
    returns.push(...summary.returns);
    if (Number.isNaN(solved)) {
      const p = greedy();
      if (p.reached && Number.isNaN(reached)) reached = e;
      if (p.reached && p.hazards === 0) {
        solved = e;
        solvedSteps = steps;
      }
    }
  }
  const final = greedy();
  agent.dispose();
  made.dispose();
  return { reached, solved, solvedSteps, final, returns };
}

/** Runs that never solved count as later than any that did (+Infinity), so a median can be "never". */
const sorted = (xs: number[]) => xs.map((x) => (Number.isNaN(x) ? Infinity : x)).sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quartiles = (xs: number[]) => {
  const s = sorted(xs);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return [at(0.25), at(0.75)];
};
const fmt = (x: number) => (Number.isNaN(x) || x === Infinity ? 'never' : Number.isInteger(x) ? String(x) : x.toFixed(1));

async function tabularPart(): Promise<void> {
console.log(`## Part 1: tabular\n\nsmall_maze, tabular seed agent (alpha 1, gamma ${GAMMA}, p 0.2, random starts), ${EPISODES} training episodes, seeds 0-${SEEDS - 1}\n`);
const header = [
  'reward setting',
  'values',
  'optimal policy from S (value iteration)',
  'episodes until the greedy path from S reaches G, median [IQR]',
  'episodes until it reaches G with no hazard, median [IQR]',
  'solved runs',
  'training steps until solved, median',
  'final greedy path from S (runs with 0 hazards)',
];
const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
const perSeed: Record<string, RunResult[]> = {};
for (const s of SETTINGS) {
  const results: RunResult[] = [];
  for (let seed = 0; seed < SEEDS; seed++) results.push(await run(s, seed));
  perSeed[s.name] = results;
  const solved = results.map((r) => r.solved);
  const reached = results.map((r) => r.reached);
  const [sq1, sq3] = quartiles(solved);
  const [rq1, rq3] = quartiles(reached);
  const clean = results.filter((r) => r.final.reached && r.final.hazards === 0).length;
  lines.push(
    `| ${s.name} | ${s.note} | ${optimalFromStart(s)} | ${fmt(median(reached))} [${fmt(rq1)}, ${fmt(rq3)}] | ${fmt(median(solved))} [${fmt(sq1)}, ${fmt(sq3)}] | ${solved.filter((x) => !Number.isNaN(x)).length}/${SEEDS} | ${fmt(median(results.map((r) => r.solvedSteps)))} | ${clean}/${SEEDS} |`,
  );
  process.stderr.write(`${s.name}: done\n`);
}
console.log(lines.join('\n'));

// The sandboxed setting must train exactly as the built-in with the same values.
const a = perSeed['close: hazard 2x standard'];
const b = perSeed['close: hazard 2x standard, in the sandbox'];
const same = a.every((r, i) => r.solved === b[i].solved || (Number.isNaN(r.solved) && Number.isNaN(b[i].solved))) && a.every((r, i) => r.returns.join() === b[i].returns.join());
console.log(`\nsandboxed close_js vs built-in seed with the same values: ${same ? 'identical returns on every episode of every seed' : 'DIFFERENT (a bug)'}`);
const scaled = perSeed['seed x 0.01'];
const seedRuns = perSeed["seed (the notes' default)"];
console.log(`seed x 0.01 vs seed: ${scaled.every((r, i) => r.solved === seedRuns[i].solved || (Number.isNaN(r.solved) && Number.isNaN(seedRuns[i].solved))) ? 'the same solve episode on every seed' : 'different solve episodes'}`);
console.log('\nper seed (episode solved):');
for (const s of SETTINGS) console.log(`- ${s.name}: ${perSeed[s.name].map((r) => fmt(r.solved)).join(' ')}`);
}

// ---- Part 2: DQN -------------------------------------------------------------------------

const DQN_CONFIG = {
  hidden_sizes: [64],
  learning_rate: 0.001,
  batch_size: 64,
  learning_starts: 500,
  update: 'online',
  target: 'steps',
  target_update_steps: 200,
  epsilon_schedule: 'linear',
  epsilon_decay_unit: 'episodes',
  epsilon_decay_length: 100,
  epsilon_end: 0.1,
  gamma: 0.99,
  engine: 'fused',
  encoding: 'onehot',
};

const DQN_SETTINGS: Setting[] = [
  { name: "seed (the notes' default)", reward: 'seed', params: { goal: 0, hazard: -200, standard: -1 }, note: 'goal 0, hazard -200, standard -1' },
  { name: 'seed x 0.1', reward: 'seed', params: { goal: 0, hazard: -20, standard: -0.1 }, note: 'goal 0, hazard -20, standard -0.1' },
  { name: 'seed x 0.01', reward: 'seed', params: { goal: 0, hazard: -2, standard: -0.01 }, note: 'goal 0, hazard -2, standard -0.01: the same ratios and optimal policy, all values within 2' },
  { name: 'seed_v2', reward: 'seed_v2', params: { goal: 0, hazard: -10, standard: -0.001 }, note: 'goal 0, hazard -10, standard -0.001: goal and standard 0.001 apart' },
];

async function dqnRun(s: Setting, seed: number): Promise<{ solved: number; steps: number; final: { reached: boolean; length: number; hazards: number }; seconds: number }> {
  const sConfig = resolveOptions(gridWorldType.configOptions, { world: 'small_maze' }, 'config');
  const fn = gridWorldType.rewardFunctions.find((r) => r.name === s.reward)!;
  const env = gridWorldType.create(1, sConfig, { name: s.reward, params: resolveOptions(fn.params, s.params, 'reward_params') }, seed);
  const agent = await createAgent('dqn', env.observationSpace, 4, { ...DQN_CONFIG, seed });
  const q = new Float32Array(4);
  const greedy = () => greedyPath((st) => NEXT[st * 4 + agent.chooseAction([st], false, q)]);
  const t0 = performance.now();
  let solved = Number.NaN;
  let steps = 0;
  let solvedSteps = Number.NaN;
  for (let e = 1; e <= DQN_EPISODES; e++) {
    steps += (await train(env, agent, { episodes: 1, seed: e === 1 ? seed : undefined })).steps;
    if (Number.isNaN(solved) && e % 5 === 0) {
      const p = greedy();
      if (p.reached && p.hazards === 0) {
        solved = e;
        solvedSteps = steps;
      }
    }
  }
  const final = greedy();
  agent.dispose();
  return { solved, steps: solvedSteps, final, seconds: (performance.now() - t0) / 1000 };
}

async function dqnPart(): Promise<void> {
  console.log(`\n## Part 2: DQN\n\nsmall_maze from S, DQN [64] on one-hot states (Adam 1e-3, minibatch 64 after every step, target synced every 200 steps, epsilon 1 -> 0.1 over 100 episodes, gamma 0.99), ${DQN_EPISODES} training episodes, seeds 0-${DQN_SEEDS - 1}; the greedy path from S is checked every 5 episodes\n`);
  const header = ['reward setting', 'values', 'first check whose greedy path from S reaches G with no hazard, median (per seed)', 'solved runs', 'training steps until solved, median', 'final greedy path with no hazard', 'train s per run'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const s of DQN_SETTINGS) {
    const results = [];
    for (let seed = 0; seed < DQN_SEEDS; seed++) results.push(await dqnRun(s, seed));
    const solved = results.map((r) => r.solved);
    lines.push(
      `| ${s.name} | ${s.note} | ${fmt(median(solved))} (${solved.map(fmt).join(' / ')}) | ${solved.filter((x) => !Number.isNaN(x)).length}/${DQN_SEEDS} | ${fmt(median(results.map((r) => r.steps)))} | ${results.filter((r) => r.final.reached && r.final.hazards === 0).length}/${DQN_SEEDS} | ${(results.reduce((a, r) => a + r.seconds, 0) / results.length).toFixed(1)} |`,
    );
    process.stderr.write(`dqn ${s.name}: ${solved.map(fmt).join(' ')}\n`);
  }
  console.log(lines.join('\n'));
}

if (values.part === 'all' || values.part === 'tabular') await tabularPart();
if (values.part === 'all' || values.part === 'dqn') await dqnPart();
