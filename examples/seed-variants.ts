/**
 * Compares the seed's Q-learning variants with fixed seeds and prints Markdown tables.
 *
 *   node --import tsx examples/seed-variants.ts [--seeds 0,1,2] [--episodes 300] [--quick]
 *
 * CartPole-v1: the course's cartpole DQN (preset seed-dqn-cartpole: fitted Q per episode,
 * per-episode Theta^- for targets and greedy actions, phantom outputs, reward -100 when the
 * pole falls: the terminal_penalty reward) and what is left when one seed idea is taken away, plus the tuned
 * fast-cartpole-dqn preset. Returns are Gymnasium's (+1 per step = the episode length),
 * whatever reward the agent trained on.
 *
 * GridWorld-v0 small_maze: the seed's tabular agent (preset seed-tabular-gridworld) and
 * variants, and DQN on one-hot and row/col states.
 */

import { parseArgs } from 'node:util';
import { createAgent } from '../src/core/agents/create-agent.js';
import { presetByName } from '../src/core/agents/presets.js';
import type { Agent } from '../src/core/agents/types.js';
import { cartPoleType } from '../src/core/envs/cartpole.js';
import { CellKind } from '../src/core/envs/gridworld-maps.js';
import { gridWorldLayout, gridWorldType } from '../src/core/envs/gridworld.js';
import type { EnvBatch } from '../src/core/envs/types.js';
import { resolveOptions } from '../src/core/options.js';
import { withTerminalReward } from '../src/core/training/reward-wrappers.js';
import { evaluate, train } from '../src/core/training/train.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    episodes: { type: 'string', default: '300' },
    quick: { type: 'boolean', default: false },
  },
});
const seeds = values.seeds.split(',').map(Number);
const cartEpisodes = values.quick ? 60 : Number(values.episodes);
const gridEpisodes = values.quick ? 100 : 500;
/** CartPole: the episode at which the mean length of the last 20 episodes first reaches this. */
const CART_THRESHOLD = 195;

function cartPole(seed: number): EnvBatch {
  return cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: 'gymnasium', params: {} }, seed);
}

function gridEnv(config: Record<string, unknown>, seed: number): EnvBatch {
  const reward = { name: 'seed', params: resolveOptions(gridWorldType.rewardFunctions[0].params, {}, 'reward.params') };
  return gridWorldType.create(1, resolveOptions(gridWorldType.configOptions, config, 'config'), reward, seed);
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

interface Row {
  name: string;
  cells: string[];
}

function printTable(title: string, header: string[], rows: Row[]): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${['variant', ...header].join(' | ')} |`);
  console.log(`|${['---', ...header.map(() => '---:')].join('|')}|`);
  for (const r of rows) console.log(`| ${[r.name, ...r.cells].join(' | ')} |`);
}

// ---------------------------------------------------------------------------------------
// CartPole-v1

interface CartVariant {
  name: string;
  config: Record<string, unknown>;
  /** Reward function of the env: "gymnasium", "sutton_barto" or "terminal_penalty" (the course's +1 / -100). */
  reward: string;
  /** Reward of the failing step replacing the reward function's (withTerminalReward), if set. */
  terminalReward?: number;
  /** Train for this many steps instead of the episode budget. */
  steps?: number;
}

const seedPreset = presetByName('seed-dqn-cartpole');
const fastPreset = presetByName('fast-cartpole-dqn');
if (!seedPreset || !fastPreset) throw new Error('presets missing');
const onlineQueue = { replay_unit: 'steps', replay_capacity: 10_000, batch_size: 32, learning_starts: 500 };
const course = { reward: 'terminal_penalty' };

const cartVariants: CartVariant[] = [
  { name: 'seed: fitted Q + per-episode Theta^- (also for actions) + phantom outputs, reward -100 on failure', config: seedPreset.config, ...course },
  { name: 'same, masked loss instead of phantom outputs', config: { ...seedPreset.config, output_mode: 'masked' }, ...course },
  { name: 'same as the seed, sutton_barto reward (0 per step, -1 on failure)', config: seedPreset.config, reward: 'sutton_barto' },
  { name: 'fitted Q, no target network', config: { ...seedPreset.config, target: 'none', target_for_action: false }, ...course },
  { name: 'online updates + per-episode Theta^- (also for actions)', config: { ...seedPreset.config, update: 'online', ...onlineQueue }, ...course },
  {
    name: 'online updates, no target (the basic DQN of the notes)',
    config: { ...seedPreset.config, update: 'online', ...onlineQueue, target: 'none', target_for_action: false },
    ...course,
  },
  { name: 'tuned: fast-cartpole-dqn, Gymnasium reward', config: fastPreset.config, reward: 'gymnasium', steps: fastPreset.trainSteps },
];

function cartPoleWith(reward: string, seed: number): EnvBatch {
  return cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: reward, params: {} }, seed);
}

/**
 * Trains in chunks of 10 episodes; after each, a greedy check (10 episodes, then 100 if
 * those average >= 490) notes the first checkpoint whose 100-episode greedy mean is >= 475.
 */
async function runCart(v: CartVariant, seed: number) {
  const base = cartPoleWith(v.reward, seed);
  const env = v.terminalReward === undefined ? base : withTerminalReward(base, v.terminalReward);
  const agent = await createAgent('dqn', env.observationSpace, 2, { ...v.config, seed });
  const stepBudget = v.steps === undefined ? Infinity : values.quick ? 10_000 : v.steps;
  const episodeBudget = v.steps === undefined ? cartEpisodes : Infinity;
  const lengths: number[] = [];
  let steps = 0;
  let trainMs = 0;
  let solvedAt = Number.NaN;
  while (lengths.length < episodeBudget && steps < stepBudget) {
    const t0 = performance.now();
    const s = await train(env, agent, { episodes: 10, seed: lengths.length === 0 ? seed : undefined });
    trainMs += performance.now() - t0;
    lengths.push(...s.lengths);
    steps += s.steps;
    if (Number.isNaN(solvedAt)) {
      const quick = await evaluate(() => cartPole(0), agent, { episodes: 10, seed: 10_000 });
      if (quick.mean >= 490 && (await evaluate(() => cartPole(0), agent, { episodes: 100, seed: 1_000_000 })).mean >= 475) solvedAt = lengths.length;
    }
  }
  let reached = Number.NaN;
  for (let i = 19; i < lengths.length; i++) {
    if (mean(lengths.slice(i - 19, i + 1)) >= CART_THRESHOLD) {
      reached = i + 1;
      break;
    }
  }
  const greedy = await evaluate(() => cartPole(0), agent, { episodes: 100, seed: 1_000_000 });
  agent.dispose();
  return { last20: mean(lengths.slice(-20)), reached, solvedAt, greedy: greedy.mean, episodes: lengths.length, steps, seconds: trainMs / 1000 };
}

// ---------------------------------------------------------------------------------------
// GridWorld small_maze

interface GridVariant {
  name: string;
  kind: 'tabular' | 'dqn';
  config: Record<string, unknown>;
  envConfig: Record<string, unknown>;
}

const tabPreset = presetByName('seed-tabular-gridworld');
if (!tabPreset) throw new Error('preset missing');
const dqnGrid = {
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
};
const gridVariants: GridVariant[] = [
  { name: 'tabular, the seed (alpha 1, gamma 0.8, p 0.2, random starts)', kind: 'tabular', config: tabPreset.config, envConfig: tabPreset.envConfig ?? {} },
  { name: 'tabular, alpha 0.5', kind: 'tabular', config: { ...tabPreset.config, alpha: 0.5 }, envConfig: tabPreset.envConfig ?? {} },
  {
    name: 'tabular, p 1 -> 0.01 (linear over 250 episodes)',
    kind: 'tabular',
    config: { ...tabPreset.config, epsilon_start: 1, epsilon_end: 0.01, epsilon_schedule: 'linear', epsilon_decay_length: 250 },
    envConfig: tabPreset.envConfig ?? {},
  },
  { name: 'tabular, the seed, always starting on S', kind: 'tabular', config: tabPreset.config, envConfig: { world: 'small_maze' } },
  { name: 'DQN [64], one-hot states, start on S', kind: 'dqn', config: { ...dqnGrid, encoding: 'onehot' }, envConfig: { world: 'small_maze' } },
  { name: 'DQN [64], row/col states, start on S', kind: 'dqn', config: { ...dqnGrid, encoding: 'rowcol', hidden_sizes: [64, 64] }, envConfig: { world: 'small_maze' } },
];

/** The greedy path from S: does it reach G, how many steps, how many hazards. */
function greedyPath(agent: Agent): { reached: boolean; length: number; hazards: number } {
  const layout = gridWorldLayout({ world: 'small_maze' });
  const env = gridEnv({ world: 'small_maze' }, 0);
  env.reset(0, 0, {});
  const q = new Float32Array(4);
  let hazards = 0;
  let length = 0;
  while (length < env.maxEpisodeSteps) {
    env.step(0, agent.chooseAction([env.observations[0]], false, q));
    length++;
    if (layout.cells[env.observations[0]] === CellKind.hazard) hazards++;
    if (env.terminated[0]) break;
  }
  return { reached: env.terminated[0] === 1, length, hazards };
}

async function runGrid(v: GridVariant, seed: number) {
  const env = gridEnv(v.envConfig, seed);
  const layout = gridWorldLayout({ world: 'small_maze' });
  const agent = await createAgent(v.kind, env.observationSpace, 4, { ...v.config, seed }, { gridWidth: layout.width, gridHeight: layout.height });
  const t0 = performance.now();
  let solvedAt = Number.NaN;
  const returns: number[] = [];
  for (let done = 0; done < gridEpisodes; done += 10) {
    const s = await train(env, agent, { episodes: 10, seed: done === 0 ? seed : undefined });
    returns.push(...s.returns);
    const p = greedyPath(agent);
    if (Number.isNaN(solvedAt) && p.reached && p.hazards === 0) solvedAt = done + 10;
  }
  const seconds = (performance.now() - t0) / 1000;
  const final = greedyPath(agent);
  agent.dispose();
  return { last20: mean(returns.slice(-20)), solvedAt, final, seconds };
}

// ---------------------------------------------------------------------------------------

console.log(`seeds ${seeds.join(', ')}; CartPole ${cartEpisodes} episodes (the tuned preset: its step budget); gridworld ${gridEpisodes} episodes`);

const perSeed = (xs: number[]) => xs.map((x) => (Number.isNaN(x) ? 'never' : String(x))).join(' / ');
const cartRows: Row[] = [];
for (const v of cartVariants) {
  const runs = [];
  for (const seed of seeds) runs.push(await runCart(v, seed));
  cartRows.push({
    name: v.name,
    cells: [
      fmt(mean(runs.map((r) => r.last20))),
      perSeed(runs.map((r) => r.reached)),
      perSeed(runs.map((r) => r.solvedAt)),
      fmt(mean(runs.map((r) => r.greedy))),
      `${fmt(mean(runs.map((r) => r.episodes)), 0)} / ${fmt(mean(runs.map((r) => r.steps)) / 1000, 1)}k`,
      fmt(mean(runs.map((r) => r.seconds))),
    ],
  });
  process.stderr.write(`cartpole: ${v.name} done\n`);
}
printTable(
  `CartPole-v1 (mean over seeds ${seeds.join(', ')}; returns are Gymnasium's, i.e. episode lengths)`,
  [
    'return, mean of last 20 training episodes',
    `episode where the 20-episode mean first reaches ${CART_THRESHOLD} (per seed)`,
    'first checkpoint (every 10 episodes) with greedy mean >= 475 over 100 episodes (per seed)',
    'greedy return after training, 100 episodes',
    'episodes / steps',
    'train s',
  ],
  cartRows,
);

const gridRows: Row[] = [];
for (const v of gridVariants) {
  const runs = [];
  for (const seed of seeds) runs.push(await runGrid(v, seed));
  gridRows.push({
    name: v.name,
    cells: [
      fmt(mean(runs.map((r) => r.last20))),
      runs.map((r) => (Number.isNaN(r.solvedAt) ? 'never' : String(r.solvedAt))).join(' / '),
      runs.map((r) => (r.final.reached ? `${r.final.length}${r.final.hazards ? ` (${r.final.hazards} hazards)` : ''}` : 'no goal')).join(' / '),
      fmt(mean(runs.map((r) => r.seconds)), 2),
    ],
  });
  process.stderr.write(`gridworld: ${v.name} done\n`);
}
printTable(
  `GridWorld-v0 small_maze, seed rewards (mean over seeds ${seeds.join(', ')})`,
  ['return, mean of last 20 training episodes', 'first episode (checked every 10) whose greedy path from S reaches G with no hazard (per seed)', 'final greedy path length (per seed)', 'train s'],
  gridRows,
);
