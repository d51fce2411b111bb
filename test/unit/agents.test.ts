import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DQN_OPTIONS, resolveAgentConfig, TABULAR_OPTIONS } from '../../src/core/agents/agent-config.js';
import { createAgent, importAgent } from '../../src/core/agents/create-agent.js';
import { DqnAgent } from '../../src/core/agents/dqn.js';
import { createEncoder, resolveEncoding } from '../../src/core/agents/encoders.js';
import { FusedMlp } from '../../src/core/agents/nets/fused-mlp.js';
import { presetByName, presets } from '../../src/core/agents/presets.js';
import { ReplayBatch, ReplayBuffer } from '../../src/core/agents/replay-buffer.js';
import { epsilonAt, rngState } from '../../src/core/agents/schedules.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/core/agents/snapshot-codec.js';
import { TabularAgent } from '../../src/core/agents/tabular.js';
import type { Agent, AgentSnapshot, Transition } from '../../src/core/agents/types.js';
import { cartPoleType } from '../../src/core/envs/cartpole.js';
import { CellKind, shortestSafePath } from '../../src/core/envs/gridworld-maps.js';
import { gridWorldLayout, gridWorldType } from '../../src/core/envs/gridworld.js';
import { envTypeById } from '../../src/core/envs/registry.js';
import type { EnvBatch } from '../../src/core/envs/types.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions } from '../../src/core/options.js';
import { Rng } from '../../src/core/rng.js';
import { box, discrete } from '../../src/core/spaces.js';
import { evaluate, train } from '../../src/core/training/train.js';

// ---------------------------------------------------------------------------------------
// Helpers

/** Asserts `fn` throws INVALID_ARGUMENT naming `field` (sync or async). */
async function assertInvalid(fn: () => unknown, field: string, pattern?: RegExp): Promise<DomainError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DomainError, `expected a DomainError on ${field}, got ${String(caught)}`);
  assert.equal(caught.code, 'INVALID_ARGUMENT', caught.message);
  assert.equal(caught.field, field, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

/** Everything observable about an agent, for "nothing changed" checks. */
function fingerprint(agent: Agent): string {
  const s = agent.exportSnapshot();
  const arrays = Object.fromEntries(Object.entries(s.arrays).map(([k, v]) => [k, Array.from(v)]));
  const state = { ...s.state, tracker: { ...(s.state.tracker as object), history: agent.history.map((r) => ({ ...r, wallTimeMs: 0 })) } };
  return JSON.stringify({ state, arrays, epsilon: agent.epsilon, steps: agent.totalSteps });
}

function gridEnv(config: Record<string, unknown>, seed: number): EnvBatch {
  const reward = { name: 'seed', params: resolveOptions(gridWorldType.rewardFunctions[0].params, {}, 'reward.params') };
  return gridWorldType.create(1, resolveOptions(gridWorldType.configOptions, config, 'config'), reward, seed);
}

function cartPole(seed: number): EnvBatch {
  return cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: 'gymnasium', params: {} }, seed);
}

/** The greedy path from S on a gridworld: its state indices (S first) and whether it reached G. */
async function greedyPath(agent: Agent, world: string, encoding = 'index'): Promise<{ cells: number[]; reachedGoal: boolean; hazards: number }> {
  const layout = gridWorldLayout({ world });
  const env = gridEnv({ world, encoding: 'index' }, 0);
  const cells: number[] = [];
  const probe = encoding === 'index' ? undefined : gridEnv({ world, encoding }, 0);
  // Walk the index env and feed the agent the observation of its own encoding.
  env.reset(0, 0, {});
  probe?.reset(0, 0, {});
  const q = new Float32Array(4);
  cells.push(env.observations[0]);
  for (let k = 0; k < env.maxEpisodeSteps; k++) {
    const obs = probe ? Array.from(probe.observations) : [env.observations[0]];
    const a = agent.chooseAction(obs, false, q);
    env.step(0, a);
    probe?.step(0, a);
    cells.push(env.observations[0]);
    if (env.terminated[0]) break;
  }
  const hazards = cells.filter((c) => layout.cells[c] === CellKind.hazard).length;
  return { cells, reachedGoal: env.terminated[0] === 1, hazards };
}

const TRANSITION: Transition = { state: [0], action: 0, reward: -1, nextState: [1], done: false };

// ---------------------------------------------------------------------------------------

describe('agent config', () => {
  it('documents every hyperparameter with a default inside its bounds', () => {
    for (const spec of [...TABULAR_OPTIONS, ...DQN_OPTIONS]) {
      assert.ok(spec.description.length > 20, `${spec.name} is documented`);
      if (typeof spec.default === 'number') {
        if (spec.minimum !== undefined) assert.ok(spec.default >= spec.minimum, spec.name);
        if (spec.maximum !== undefined) assert.ok(spec.default <= spec.maximum, spec.name);
      }
      if (spec.choices) assert.ok(spec.choices.includes(spec.default as string), spec.name);
    }
    for (const name of ['hidden_sizes', 'activation', 'optimizer', 'learning_rate', 'rmsprop_rho', 'adam_beta1', 'adam_beta2', 'loss', 'output_mode',
      'replay_capacity', 'replay_unit', 'batch_size', 'learning_starts', 'update', 'train_every', 'gradient_steps', 'fit_every_episodes', 'fitted_epochs',
      'target', 'target_for_action', 'target_update_steps', 'tau', 'double_dqn', 'max_grad_norm', 'encoding', 'engine', 'gamma', 'seed',
      'epsilon_start', 'epsilon_end', 'epsilon_schedule', 'epsilon_decay_unit', 'epsilon_decay_length']) {
      assert.ok(DQN_OPTIONS.some((o) => o.name === name), `dqn option ${name}`);
    }
    assert.ok(TABULAR_OPTIONS.some((o) => o.name === 'alpha'));
  });

  it('rejects each hyperparameter out of range, naming config.<name>', async () => {
    const cases: [kind: 'tabular' | 'dqn', config: Record<string, unknown>, field: string][] = [
      ['tabular', { gamma: -0.1 }, 'config.gamma'],
      ['tabular', { gamma: 1.5 }, 'config.gamma'],
      ['tabular', { alpha: 0 }, 'config.alpha'],
      ['tabular', { alpha: -0.5 }, 'config.alpha'],
      ['tabular', { alpha: 1.01 }, 'config.alpha'],
      ['tabular', { epsilon_start: 1.5 }, 'config.epsilon_start'],
      ['tabular', { epsilon_end: -0.1 }, 'config.epsilon_end'],
      ['tabular', { epsilon_decay_length: 0 }, 'config.epsilon_decay_length'],
      ['tabular', { epsilon_schedule: 'cosine' }, 'config.epsilon_schedule'],
      ['tabular', { epsilon_schedule: 'exponential', epsilon_end: 0 }, 'config.epsilon_end'],
      ['tabular', { seed: -2 }, 'config.seed'],
      ['tabular', { seed: 1.5 }, 'config.seed'],
      ['tabular', { gamma: 'high' }, 'config.gamma'],
      ['tabular', { gamma: Number.NaN }, 'config.gamma'],
      ['tabular', { learning_rate: 0.1 }, 'config.learning_rate'],
      ['dqn', { learning_rate: -0.001 }, 'config.learning_rate'],
      ['dqn', { learning_rate: 0 }, 'config.learning_rate'],
      ['dqn', { gamma: 1.01 }, 'config.gamma'],
      ['dqn', { gamma: -1 }, 'config.gamma'],
      ['dqn', { replay_capacity: 0 }, 'config.replay_capacity'],
      ['dqn', { batch_size: 0 }, 'config.batch_size'],
      ['dqn', { batch_size: 128, replay_capacity: 100 }, 'config.batch_size'],
      ['dqn', { hidden_sizes: [64, 0] }, 'config.hidden_sizes[1]'],
      ['dqn', { hidden_sizes: [8, 8, 8, 8, 8, 8, 8, 8, 8] }, 'config.hidden_sizes'],
      ['dqn', { hidden_sizes: 64 }, 'config.hidden_sizes'],
      ['dqn', { activation: 'gelu' }, 'config.activation'],
      ['dqn', { optimizer: 'adagrad' }, 'config.optimizer'],
      ['dqn', { loss: 'l1' }, 'config.loss'],
      ['dqn', { rmsprop_rho: 1 }, 'config.rmsprop_rho'],
      ['dqn', { adam_beta1: -0.1 }, 'config.adam_beta1'],
      ['dqn', { tau: 0 }, 'config.tau'],
      ['dqn', { tau: 1.5 }, 'config.tau'],
      ['dqn', { train_every: 0 }, 'config.train_every'],
      ['dqn', { gradient_steps: 0 }, 'config.gradient_steps'],
      ['dqn', { fit_every_episodes: 0 }, 'config.fit_every_episodes'],
      ['dqn', { target_update_steps: 0 }, 'config.target_update_steps'],
      ['dqn', { max_grad_norm: -1 }, 'config.max_grad_norm'],
      ['dqn', { learning_starts: -1 }, 'config.learning_starts'],
      ['dqn', { target: 'none', double_dqn: true }, 'config.double_dqn'],
      ['dqn', { target: 'none', target_for_action: true }, 'config.target_for_action'],
      ['dqn', { update: 'sometimes' }, 'config.update'],
      ['dqn', { replay_unit: 'minutes' }, 'config.replay_unit'],
      ['dqn', { alpha: 0.5 }, 'config.alpha'],
    ];
    for (const [kind, config, field] of cases) {
      await assertInvalid(() => createAgent(kind, kind === 'tabular' ? discrete(5) : box([0, 0], [1, 1], [2], 'float32'), 2, config), field);
    }
    // batch > capacity is fine when the capacity counts episodes.
    assert.equal(resolveAgentConfig('dqn', { batch_size: 128, replay_capacity: 5, replay_unit: 'episodes' }).batch_size, 128);
  });

  it('rejects networks and replay queues over the size limits, and unusable spaces', async () => {
    const obs = box([0, 0, 0, 0], [1, 1, 1, 1], [4], 'float32');
    await assertInvalid(() => createAgent('dqn', obs, 2, { hidden_sizes: [4096, 4096] }), 'config.hidden_sizes', /parameters/);
    await assertInvalid(() => createAgent('dqn', discrete(100_000), 4, { hidden_sizes: [64] }), 'config.hidden_sizes');
    await assertInvalid(() => createAgent('dqn', discrete(5000), 4, { replay_capacity: 1_000_000, hidden_sizes: [8] }), 'config.replay_capacity', /MiB/);
    await assertInvalid(() => createAgent('dqn', obs, 2, { encoding: 'onehot' }), 'config.encoding');
    await assertInvalid(() => createAgent('dqn', discrete(143), 4, { encoding: 'rowcol' }), 'config.encoding', /width and height/);
    await assertInvalid(() => createAgent('dqn', discrete(143), 4, { encoding: 'rowcol' }, { gridWidth: 12, gridHeight: 11 }), 'config.encoding');
    await assertInvalid(() => createAgent('tabular', obs, 2, {}), 'observation_space');
    await assertInvalid(() => createAgent('tabular', discrete(5), 0, {}), 'action_space');
    await assertInvalid(() => createAgent('sarsa', discrete(5), 2, {}), 'kind');
  });

  it('draws a seed for -1 and records it; equal seeds give equal agents', async () => {
    const a = await createAgent('dqn', box([0, 0], [1, 1], [2], 'float32'), 3, { hidden_sizes: [8] });
    assert.ok(Number.isInteger(a.config.seed) && (a.config.seed as number) >= 0);
    const b = await createAgent('dqn', box([0, 0], [1, 1], [2], 'float32'), 3, { hidden_sizes: [8], seed: 5 });
    const c = await createAgent('dqn', box([0, 0], [1, 1], [2], 'float32'), 3, { hidden_sizes: [8], seed: 5 });
    const states = Float32Array.of(0.1, 0.2, 0.9, 0.4);
    assert.deepEqual(b.qValues(states, 2), c.qValues(states, 2));
  });

  it('presets resolve, name a real env, reward and a budget', async () => {
    assert.deepEqual(presets.map((p) => p.name).sort(), [
      'dqn-acrobot',
      'dqn-mountaincar',
      'fast-cartpole-dqn',
      'seed-dqn-cartpole',
      'seed-tabular-gridworld',
      'tabular-cliffwalking',
      'tabular-frozenlake',
      'tabular-taxi',
    ]);
    for (const p of presets) {
      const type = envTypeById(p.envId);
      const envConfig = resolveOptions(type.configOptions, p.envConfig ?? {}, 'config');
      const d = type.describe(envConfig);
      if (p.rewardFunction) assert.ok(type.rewardFunctions.some((r) => r.name === p.rewardFunction), `${p.name} reward`);
      assert.ok((p.trainEpisodes ?? 0) > 0 || (p.trainSteps ?? 0) > 0, `${p.name} budget`);
      assert.ok(p.notes.length > 50);
      const layout = p.envId === 'GridWorld-v0' ? gridWorldLayout(p.envConfig ?? {}) : undefined;
      const agent = await createAgent(p.kind, d.observationSpace, (d.actionSpace as { n: number }).n, { ...p.config, seed: 1 }, {
        gridWidth: layout?.width,
        gridHeight: layout?.height,
      });
      assert.equal(agent.kind, p.kind);
      agent.dispose();
    }
  });
});

describe('epsilon schedules', () => {
  const c = (schedule: 'constant' | 'linear' | 'exponential') => ({ start: 1, end: 0.01, schedule, unit: 'episodes' as const, length: 100 });
  it('constant, linear and exponential reach epsilon_end after the decay length', () => {
    assert.equal(epsilonAt(c('constant'), 0), 1);
    assert.equal(epsilonAt(c('constant'), 1e6), 1);
    assert.equal(epsilonAt(c('linear'), 0), 1);
    assert.ok(Math.abs(epsilonAt(c('linear'), 50) - 0.505) < 1e-12);
    assert.equal(epsilonAt(c('linear'), 100), 0.01);
    assert.equal(epsilonAt(c('linear'), 500), 0.01);
    assert.equal(epsilonAt(c('exponential'), 0), 1);
    assert.ok(Math.abs(epsilonAt(c('exponential'), 50) - 0.1) < 1e-12);
    assert.equal(epsilonAt(c('exponential'), 100), 0.01);
  });

  it('agents follow the schedule per episode or per step', async () => {
    const perEpisode = await createAgent('tabular', discrete(3), 2, { epsilon_schedule: 'linear', epsilon_start: 1, epsilon_end: 0, epsilon_decay_length: 4, seed: 0 });
    const seen: number[] = [];
    for (let e = 0; e < 5; e++) {
      seen.push(perEpisode.epsilon);
      perEpisode.updateQ(TRANSITION);
      perEpisode.updateQ(TRANSITION);
      assert.equal(perEpisode.endEpisode(-2, 2).record.epsilon, seen[e]);
    }
    assert.deepEqual(seen, [1, 0.75, 0.5, 0.25, 0]);
    const perStep = await createAgent('tabular', discrete(3), 2, { epsilon_schedule: 'linear', epsilon_decay_unit: 'steps', epsilon_start: 1, epsilon_end: 0, epsilon_decay_length: 4, seed: 0 });
    const steps: number[] = [];
    for (let k = 0; k < 5; k++) {
      steps.push(perStep.epsilon);
      perStep.updateQ(TRANSITION);
    }
    assert.deepEqual(steps, [1, 0.75, 0.5, 0.25, 0]);
  });
});

describe('encoders', () => {
  it('one-hot, row/col and identity inputs', () => {
    const onehot = createEncoder(discrete(5, 10), resolveEncoding(discrete(5, 10), 'auto', {}), {});
    assert.equal(onehot.encoding, 'onehot');
    const out = new Float32Array(7).fill(9);
    onehot.encode([12], out, 1);
    assert.deepEqual(Array.from(out), [9, 0, 0, 1, 0, 0, 9]);
    const grid = { gridWidth: 13, gridHeight: 11 };
    const rowcol = createEncoder(discrete(143), resolveEncoding(discrete(143), 'rowcol', grid), grid);
    const rc = new Float32Array(2);
    rowcol.encode([9 * 13 + 3], rc, 0);
    assert.deepEqual(Array.from(rc), [Math.fround(9 / 10), Math.fround(3 / 12)]);
    const boxRowcol = createEncoder(box([0, 0], [10, 12], [2], 'float32'), 'rowcol');
    boxRowcol.encode([9, 3], rc, 0);
    assert.deepEqual(Array.from(rc), [Math.fround(9 / 10), Math.fround(3 / 12)]);
    const identity = createEncoder(box([-1, -1, -1], [1, 1, 1], [3], 'float32'), resolveEncoding(box([-1, -1, -1], [1, 1, 1], [3], 'float32'), 'auto', {}));
    assert.equal(identity.inputSize, 3);
  });

  it('checks shape, dtype and range, naming the field', async () => {
    const d = createEncoder(discrete(5, 10), 'onehot');
    await assertInvalid(() => d.check([9], 'state'), 'state', /\[10, 14\]/);
    await assertInvalid(() => d.check([15], 'state'), 'state');
    await assertInvalid(() => d.check([10.5], 'state'), 'state', /integer/);
    await assertInvalid(() => d.check([10, 11], 'next_state'), 'next_state', /1 number/);
    await assertInvalid(() => d.check('10' as unknown as number[], 'state'), 'state');
    const b = createEncoder(box([0, 0, 0], [1, 1, 1], [3], 'float32'), 'identity');
    await assertInvalid(() => b.check([0, 0], 'state'), 'state', /3 number/);
    await assertInvalid(() => b.check([0, Number.NaN, 0], 'state'), 'state', /finite/);
    await assertInvalid(() => b.check([0, Infinity, 0], 'state'), 'state', /finite/);
    await assertInvalid(() => b.check([0, '1', 0] as unknown as number[], 'state'), 'state', /number/);
    const ints = createEncoder(box([0, 0], [255, 255], [2], 'uint8'), 'identity');
    await assertInvalid(() => ints.check([1, 2.5], 'state'), 'state', /integer/);
  });
});

describe('replay buffer', () => {
  const push = (r: ReplayBuffer, id: number, done = false) => r.push(Float32Array.of(id), 0, id % 3, id, Float32Array.of(id + 1), 0, done);
  const rewards = (r: ReplayBuffer) => Array.from(r.exportArrays().rewards);

  it('capacity in steps drops the oldest transition', () => {
    const r = new ReplayBuffer({ inputSize: 1, unit: 'steps', capacity: 4 });
    for (let i = 0; i < 3; i++) push(r, i);
    assert.deepEqual(rewards(r), [0, 1, 2]);
    for (let i = 3; i < 7; i++) push(r, i);
    assert.equal(r.size, 4);
    assert.deepEqual(rewards(r), [3, 4, 5, 6]);
    const a = r.exportArrays();
    assert.deepEqual(Array.from(a.states), [3, 4, 5, 6]);
    assert.deepEqual(Array.from(a.nextStates), [4, 5, 6, 7]);
    assert.deepEqual(Array.from(a.actions), [0, 1, 2, 0]);
  });

  it('capacity in episodes keeps the last whole episodes', () => {
    const r = new ReplayBuffer({ inputSize: 1, unit: 'episodes', capacity: 2 });
    let id = 0;
    for (const len of [3, 1, 2, 4]) {
      for (let k = 0; k < len; k++) push(r, id++, k === len - 1);
      r.endEpisode();
    }
    assert.equal(r.episodes, 2);
    assert.deepEqual(rewards(r), [4, 5, 6, 7, 8, 9]);
    // The running episode is kept on top of the complete ones until it ends.
    push(r, id++);
    assert.equal(r.size, 7);
    r.endEpisode();
    assert.deepEqual(rewards(r), [6, 7, 8, 9, 10]);
    // Growth beyond the initial 1024 slots keeps the order.
    const big = new ReplayBuffer({ inputSize: 1, unit: 'episodes', capacity: 1 });
    for (let i = 0; i < 3000; i++) push(big, i);
    assert.equal(big.size, 3000);
    assert.deepEqual(rewards(big).slice(0, 3), [0, 1, 2]);
    big.endEpisode();
    for (let i = 0; i < 5; i++) push(big, 5000 + i);
    big.endEpisode();
    assert.deepEqual(rewards(big), [5000, 5001, 5002, 5003, 5004]);
  });

  it('the memory bound drops the oldest episode first', () => {
    const r = new ReplayBuffer({ inputSize: 1, unit: 'episodes', capacity: 10, maxSteps: 5 });
    for (let i = 0; i < 3; i++) push(r, i);
    r.endEpisode();
    for (let i = 3; i < 6; i++) push(r, i);
    assert.deepEqual(rewards(r), [3, 4, 5]);
    for (let i = 6; i < 9; i++) push(r, i);
    assert.deepEqual(rewards(r), [4, 5, 6, 7, 8]);
  });

  it('samples uniformly with the given Rng from what is stored', () => {
    const r = new ReplayBuffer({ inputSize: 1, unit: 'steps', capacity: 8 });
    for (let i = 0; i < 12; i++) push(r, i);
    const batch = new ReplayBatch(4000, 1);
    r.sample(new Rng(1), 4000, batch);
    const counts = new Map<number, number>();
    for (const x of batch.rewards) counts.set(x, (counts.get(x) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort((x, y) => x - y), [4, 5, 6, 7, 8, 9, 10, 11]);
    for (const n of counts.values()) assert.ok(n > 400 && n < 600, `uniform: ${n}`);
    for (let i = 0; i < 4000; i++) assert.equal(batch.states[i] + 1, batch.nextStates[i]);
    const again = new ReplayBatch(4000, 1);
    r.sample(new Rng(1), 4000, again);
    assert.deepEqual(again.rewards, batch.rewards);
  });
});

// ---------------------------------------------------------------------------------------

/** The seed's update_Q, transcribed literally (Q as nested arrays of float64). */
function seedUpdateQ(Q: number[][], gamma: number, state: number, nextState: number, action: number, reward: number, done: boolean): void {
  let qUpdate = reward;
  if (done === false) qUpdate += gamma * Math.max(...Q[nextState]);
  Q[state][action] = qUpdate;
}

describe('tabular agent', () => {
  it('alpha = 1 reproduces the seed update literally', async () => {
    const gamma = 0.8;
    const agent = (await createAgent('tabular', discrete(4), 3, { alpha: 1, gamma, seed: 0 })) as TabularAgent;
    const Q = [0, 1, 2, 3].map(() => [0, 0, 0]);
    const rng = new Rng(7);
    for (let k = 0; k < 300; k++) {
      const s = rng.nextInt(4);
      const s2 = rng.nextInt(4);
      const a = rng.nextInt(3);
      const r = rng.uniform(-3, 1) * (rng.nextInt(2) ? 1 : 1 / 3);
      const done = rng.nextInt(5) === 0;
      const before = Q[s][a];
      seedUpdateQ(Q, gamma, s, s2, a, r, done);
      const res = agent.updateQ({ state: [s], action: a, reward: r, nextState: [s2], done });
      assert.equal(res.newQ, Q[s][a]);
      assert.equal(res.tdError, Q[s][a] - before);
      assert.equal(res.gradientSteps, 0);
      assert.equal(res.loss, res.tdError ** 2);
    }
    assert.deepEqual(Array.from(agent.table), Q.flat());
    // Hand-made: terminal transition q = r; non-terminal bootstraps from max Q[s'].
    const t = (await createAgent('tabular', discrete(3), 2, { gamma: 0.5, seed: 0 })) as TabularAgent;
    t.updateQ({ state: [2], action: 1, reward: 10, nextState: [0], done: true });
    t.updateQ({ state: [1], action: 0, reward: -1, nextState: [2], done: false });
    t.updateQ({ state: [1], action: 0, reward: -1, nextState: [2], done: true });
    t.updateQ({ state: [0], action: 1, reward: 2, nextState: [2], done: false });
    assert.deepEqual(Array.from(t.table), [0, 7, -1, 0, 0, 10]);
  });

  it('alpha < 1 moves Q part of the way', async () => {
    const t = (await createAgent('tabular', discrete(2), 2, { alpha: 0.25, gamma: 0.9, seed: 0, q_init: 1 })) as TabularAgent;
    const r = t.updateQ({ state: [0], action: 1, reward: 2, nextState: [1], done: false });
    assert.equal(r.tdError, 2 + 0.9 * 1 - 1);
    assert.equal(t.table[1], 1 + 0.25 * (2.9 - 1));
  });

  it("choose_action: greedy ties to the lowest index, random with probability p", async () => {
    const greedy = (await createAgent('tabular', discrete(2), 3, { epsilon_start: 0, seed: 0 })) as TabularAgent;
    const q = new Float32Array(3);
    assert.equal(greedy.chooseAction([0], true, q), 0);
    greedy.updateQ({ state: [0], action: 2, reward: 5, nextState: [1], done: true });
    greedy.updateQ({ state: [0], action: 1, reward: 5, nextState: [1], done: true });
    assert.equal(greedy.chooseAction([0], true, q), 1);
    assert.deepEqual(Array.from(q), [0, 5, 5]);
    const p = (await createAgent('tabular', discrete(1), 4, { epsilon_start: 0.3, seed: 3 })) as TabularAgent;
    const counts = [0, 0, 0, 0];
    const q4 = new Float32Array(4);
    for (let i = 0; i < 8000; i++) counts[p.chooseAction([0], true, q4)]++;
    // argmax = 0 with probability 0.7 + 0.3/4, others 0.3/4 each.
    assert.ok(Math.abs(counts[0] / 8000 - 0.775) < 0.02, `${counts}`);
    for (const a of [1, 2, 3]) assert.ok(Math.abs(counts[a] / 8000 - 0.075) < 0.015, `${counts}`);
    // explore = false never draws.
    const before = rngState(p['rng']);
    for (let i = 0; i < 10; i++) assert.equal(p.chooseAction([0], false, q4), 0);
    assert.deepEqual(rngState(p['rng']), before);
  });

  it('solves small_maze within 500 episodes (the seed preset): the greedy path avoids every hazard', async () => {
    const preset = presetByName('seed-tabular-gridworld');
    assert.ok(preset);
    const env = gridEnv(preset.envConfig ?? {}, 1);
    const agent = await createAgent('tabular', env.observationSpace, 4, { ...preset.config, seed: 1 });
    const summary = await train(env, agent, { episodes: preset.trainEpisodes ?? 500, seed: 1 });
    assert.equal(summary.episodes, 500);
    assert.equal(agent.history.length, 500);
    const path = await greedyPath(agent, 'small_maze');
    assert.ok(path.reachedGoal, 'greedy path reaches the goal');
    assert.equal(path.hazards, 0);
    const shortest = shortestSafePath(gridWorldLayout({ world: 'small_maze' }));
    assert.equal(path.cells.length, shortest?.length, 'and it is a shortest hazard-free route');
  });

  it('bad input is INVALID_ARGUMENT naming the field and changes nothing', async () => {
    const agent = await createAgent('tabular', discrete(4), 2, { seed: 0 });
    agent.updateQ({ state: [1], action: 1, reward: -1, nextState: [2], done: false });
    const before = fingerprint(agent);
    const q = new Float32Array(2);
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, state: [4] }), 'state');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, state: [0, 1] }), 'state');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, state: [0.5] }), 'state');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, nextState: [-1] }), 'next_state');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, action: 2 }), 'action');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, action: -1 }), 'action');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, action: 0.5 }), 'action');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, reward: Number.NaN }), 'reward');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, reward: Infinity }), 'reward');
    await assertInvalid(() => agent.updateQ({ ...TRANSITION, done: 1 as unknown as boolean }), 'done');
    await assertInvalid(() => agent.chooseAction([7], true, q), 'state');
    await assertInvalid(() => agent.chooseAction([0], true, new Float32Array(1)), 'q_out');
    await assertInvalid(() => agent.endEpisode(Number.NaN, 3), 'episode_return');
    await assertInvalid(() => agent.endEpisode(1, -1), 'length');
    await assertInvalid(() => agent.qValues(Float32Array.of(0, 9), 2), 'states[1]');
    await assertInvalid(() => agent.qValues(Float32Array.of(0, 1), 3), 'states');
    assert.equal(fingerprint(agent), before);
  });
});

// ---------------------------------------------------------------------------------------

const SMALL_BOX = box([-1, -1, -1], [1, 1, 1], [3], 'float32');

async function smallDqn(config: Record<string, unknown>): Promise<DqnAgent> {
  return (await createAgent('dqn', SMALL_BOX, 2, { hidden_sizes: [8], seed: 3, engine: 'fused', ...config })) as DqnAgent;
}

/** Feeds an agent `episodes` made-up episodes of `length` steps on SMALL_BOX. */
function feed(agent: Agent, episodes: number, length: number, seed = 0): { gradientSteps: number[]; endSteps: number[]; synced: boolean[] } {
  const rng = new Rng(seed);
  const q = new Float32Array(agent.numActions);
  const gradientSteps: number[] = [];
  const endSteps: number[] = [];
  const synced: boolean[] = [];
  for (let e = 0; e < episodes; e++) {
    let s = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
    for (let k = 0; k < length; k++) {
      const a = agent.chooseAction(s, true, q);
      const s2 = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
      gradientSteps.push(agent.updateQ({ state: s, action: a, reward: s2[0] - 0.5 * a, nextState: s2, done: k === length - 1 && e % 2 === 0 }).gradientSteps);
      s = s2;
    }
    const end = agent.endEpisode(0, length);
    endSteps.push(end.gradientSteps);
    synced.push(end.targetSynced);
  }
  return { gradientSteps, endSteps, synced };
}

function sameWeights(a: { getWeights(): Float32Array[] }, b: { getWeights(): Float32Array[] }): boolean {
  const wa = a.getWeights();
  const wb = b.getWeights();
  return wa.length === wb.length && wa.every((w, i) => w.length === wb[i].length && w.every((x, k) => x === wb[i][k]));
}

describe('DQN agent: update schedules, targets and the seed variants', () => {
  it('online: g gradient steps after every step once learning starts', async () => {
    const agent = await smallDqn({ update: 'online', gradient_steps: 2, learning_starts: 5, batch_size: 4 });
    const r = feed(agent, 2, 6);
    assert.deepEqual(r.gradientSteps, [0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2]);
    assert.deepEqual(r.endSteps, [0, 0]);
    assert.equal(agent.gradientSteps, 16);
    assert.ok(agent.history.every((h) => Number.isFinite(h.loss) || h.episode === 1));
  });

  it('every_k: g gradient steps every k environment steps', async () => {
    const agent = await smallDqn({ update: 'every_k', train_every: 3, gradient_steps: 4, learning_starts: 0, batch_size: 4 });
    const r = feed(agent, 1, 9);
    assert.deepEqual(r.gradientSteps, [0, 0, 4, 0, 0, 4, 0, 0, 4]);
  });

  it('fitted Q: nothing within episodes, passes over the whole queue every e episodes', async () => {
    const agent = await smallDqn({ update: 'fitted', fit_every_episodes: 2, fitted_epochs: 3, batch_size: 4, replay_unit: 'episodes', replay_capacity: 2, learning_starts: 0, target: 'none' });
    const r = feed(agent, 4, 5);
    assert.ok(r.gradientSteps.every((g) => g === 0));
    // After episode 2 the queue holds 10 transitions: 3 passes of ceil(10 / 4) = 3 minibatches.
    assert.deepEqual(r.endSteps, [0, 9, 0, 9]);
    assert.equal(agent.replay.size, 10);
    assert.ok(Number.isFinite(agent.history[1].loss) && Number.isNaN(agent.history[0].loss));
  });

  it("the seed's per-episode Theta^-: fixed within an episode, synced at its end, optionally for the greedy action", async () => {
    const agent = await smallDqn({ update: 'online', learning_starts: 0, batch_size: 4, target: 'episode', target_for_action: true, epsilon_start: 0, epsilon_schedule: 'constant' });
    const target = agent.targetNetwork;
    assert.ok(target);
    assert.ok(sameWeights(agent.onlineNetwork, target), 'Theta^- starts as Theta');
    const start = target.getWeights();
    const q = new Float32Array(2);
    const s = [0.3, -0.2, 0.7];
    for (let k = 0; k < 5; k++) agent.updateQ({ state: s, action: k % 2, reward: 1, nextState: [0.1, 0.1, 0.1], done: false });
    assert.ok(!sameWeights(agent.onlineNetwork, target), 'Theta moved');
    assert.ok(sameWeights({ getWeights: () => start }, target), 'Theta^- did not');
    // The greedy action comes from Theta^-.
    agent.chooseAction(s, false, q);
    const expected = new Float32Array(2);
    target.predict(Float32Array.from(s), 1, expected);
    assert.deepEqual(q, expected);
    const end = agent.endEpisode(5, 5);
    assert.equal(end.targetSynced, true);
    assert.ok(sameWeights(agent.onlineNetwork, target));
  });

  it('target every C steps, soft updates, and none', async () => {
    const hard = await smallDqn({ update: 'online', learning_starts: 0, batch_size: 4, target: 'steps', target_update_steps: 4 });
    const t = hard.targetNetwork;
    assert.ok(t);
    for (let k = 1; k <= 8; k++) {
      hard.updateQ({ state: [0.1 * k, 0, 0], action: 0, reward: 1, nextState: [0, 0.1, 0], done: false });
      assert.equal(sameWeights(hard.onlineNetwork, t), k % 4 === 0, `step ${k}`);
    }
    const soft = await smallDqn({ update: 'online', learning_starts: 0, batch_size: 4, target: 'soft', tau: 0.5 });
    const st = soft.targetNetwork;
    assert.ok(st);
    const before = st.getWeights();
    soft.updateQ({ state: [0.5, 0.5, 0.5], action: 1, reward: 3, nextState: [0, 0.1, 0], done: true });
    const after = st.getWeights();
    const online = soft.onlineNetwork.getWeights();
    for (let l = 0; l < after.length; l++) {
      for (let k = 0; k < after[l].length; k++) assert.ok(Math.abs(after[l][k] - (0.5 * before[l][k] + 0.5 * online[l][k])) < 1e-6);
    }
    const none = await smallDqn({ target: 'none' });
    assert.equal(none.targetNetwork, null);
  });

  it('targets: q = r when done, r + gamma max_k Q(s\', k; Theta^-) otherwise; double DQN picks k by Theta', async () => {
    for (const double of [false, true]) {
      const agent = await smallDqn({ target: 'steps', target_update_steps: 1000, double_dqn: double, gamma: 0.9, learning_starts: 0, update: 'online', batch_size: 1 });
      // Make Theta and Theta^- differ.
      feed(agent, 1, 20);
      const target = agent.targetNetwork as FusedMlp;
      const s = Float32Array.of(0.2, -0.4, 0.6);
      const s2 = Float32Array.of(-0.3, 0.5, 0.1);
      const qS = new Float32Array(2);
      const qT = new Float32Array(2);
      const qO = new Float32Array(2);
      agent.onlineNetwork.predict(s, 1, qS);
      target.predict(s2, 1, qT);
      agent.onlineNetwork.predict(s2, 1, qO);
      const k = double ? (qO[1] > qO[0] ? 1 : 0) : qT[1] > qT[0] ? 1 : 0;
      const withBootstrap = agent.updateQ({ state: s, action: 1, reward: 2, nextState: s2, done: false });
      assert.equal(withBootstrap.tdError, Math.fround(2 + 0.9 * qT[k]) - qS[1]);
      agent.onlineNetwork.predict(s, 1, qS);
      const terminal = agent.updateQ({ state: s, action: 0, reward: 2, nextState: s2, done: true });
      assert.equal(terminal.tdError, 2 - qS[0]);
    }
  });

  it("phantom outputs give the masked loss's gradient, and the same training", async () => {
    const agent = await smallDqn({ output_mode: 'phantom', loss: 'squared' });
    const rng = new Rng(11);
    const B = 16;
    const inputs = Float32Array.from({ length: B * 3 }, () => rng.uniform(-1, 1));
    const actions = Int32Array.from({ length: B }, () => rng.nextInt(2));
    const targets = Float32Array.from({ length: B }, () => rng.uniform(-2, 2));
    const full = agent.phantomTargets(inputs, actions, targets, B);
    const current = new Float32Array(B * 2);
    agent.onlineNetwork.predict(inputs, B, current);
    for (let i = 0; i < B; i++) {
      assert.equal(full[i * 2 + actions[i]], targets[i]);
      assert.equal(full[i * 2 + 1 - actions[i]], current[i * 2 + 1 - actions[i]]);
    }
    for (const loss of ['squared', 'huber'] as const) {
      const masked = agent.onlineNetwork.gradients(inputs, actions, targets, B, loss);
      const phantom = agent.onlineNetwork.gradients(inputs, actions, targets, B, loss, full);
      assert.equal(masked.length, phantom.length);
      for (let l = 0; l < masked.length; l++) for (let k = 0; k < masked[l].length; k++) assert.ok(Math.abs(masked[l][k] - phantom[l][k]) <= 1e-7, `${loss} layer ${l}`);
    }
    // Two agents, phantom and masked, same seed and data: same weights after training.
    const base = { update: 'online', learning_starts: 0, batch_size: 8, target: 'episode', loss: 'squared' };
    const p = await smallDqn({ ...base, output_mode: 'phantom' });
    const m = await smallDqn({ ...base, output_mode: 'masked' });
    feed(p, 3, 10);
    feed(m, 3, 10);
    assert.ok(sameWeights(p.onlineNetwork, m.onlineNetwork));
  });

  it('every seed variant runs on CartPole: online, fitted Q, per-episode Theta^-, phantom outputs', async () => {
    const seed = presetByName('seed-dqn-cartpole');
    assert.ok(seed);
    const variants: Record<string, Record<string, unknown>> = {
      online: { update: 'online', replay_unit: 'steps', replay_capacity: 2000, batch_size: 32, target: 'none', target_for_action: false, output_mode: 'masked' },
      fitted: { target: 'none', target_for_action: false, output_mode: 'masked' },
      'per-episode Theta^-': { update: 'online', replay_unit: 'steps', replay_capacity: 2000, batch_size: 32, output_mode: 'masked' },
      phantom: {},
    };
    for (const [name, delta] of Object.entries(variants)) {
      // The preset's reward: the course's +1 per step, -100 on failure.
      const env = cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: seed.rewardFunction ?? '', params: seed.rewardParams ?? {} }, 0);
      const agent = (await createAgent('dqn', env.observationSpace, 2, { ...seed.config, ...delta, seed: 0 })) as DqnAgent;
      const s = await train(env, agent, { episodes: 8, seed: 0 });
      assert.equal(s.episodes, 8, name);
      assert.ok(agent.gradientSteps > 0, `${name} trained`);
      assert.ok(agent.history.slice(1).every((r) => Number.isFinite(r.loss)), `${name} losses are finite`);
    }
  });

  it('bad transitions are INVALID_ARGUMENT naming the field and change nothing', async () => {
    const agent = await smallDqn({ learning_starts: 0, batch_size: 2, update: 'online' });
    feed(agent, 1, 4);
    const before = fingerprint(agent);
    const ok: Transition = { state: [0, 0, 0], action: 1, reward: 1, nextState: [0, 0, 0], done: false };
    await assertInvalid(() => agent.updateQ({ ...ok, state: [0, 0] }), 'state', /3 number/);
    await assertInvalid(() => agent.updateQ({ ...ok, state: [0, 0, 0, 0] }), 'state');
    await assertInvalid(() => agent.updateQ({ ...ok, state: [0, Number.NaN, 0] }), 'state');
    await assertInvalid(() => agent.updateQ({ ...ok, state: ['0', 0, 0] as unknown as number[] }), 'state');
    await assertInvalid(() => agent.updateQ({ ...ok, nextState: [1] }), 'next_state');
    await assertInvalid(() => agent.updateQ({ ...ok, action: 2 }), 'action');
    await assertInvalid(() => agent.updateQ({ ...ok, action: 1.5 }), 'action');
    await assertInvalid(() => agent.updateQ({ ...ok, reward: Number.NaN }), 'reward');
    await assertInvalid(() => agent.updateQ({ ...ok, done: undefined as unknown as boolean }), 'done');
    await assertInvalid(() => agent.chooseAction([0, 0], true, new Float32Array(2)), 'state');
    await assertInvalid(() => agent.qValues(new Float32Array(5), 2), 'states');
    await assertInvalid(() => agent.qValues(Float32Array.of(0, 0, 0, 0, Number.NaN, 0), 2), 'states[1]');
    await assertInvalid(() => agent.endEpisode(0, 1.5), 'length');
    assert.equal(fingerprint(agent), before);
  });
});

describe('export and import', () => {
  async function roundTrip(agent: Agent): Promise<Agent> {
    const bytes = encodeSnapshot(agent.exportSnapshot());
    return importAgent(decodeSnapshot(bytes));
  }

  it('a tabular agent comes back exactly: table, counters, history, next actions', async () => {
    const env = gridEnv({ world: 'small_maze' }, 0);
    const agent = await createAgent('tabular', env.observationSpace, 4, { gamma: 0.8, epsilon_start: 0.2, seed: 4 });
    await train(env, agent, { episodes: 20, seed: 4 });
    const copy = (await roundTrip(agent)) as TabularAgent;
    assert.deepEqual(copy.table, (agent as TabularAgent).table);
    assert.equal(copy.totalSteps, agent.totalSteps);
    assert.deepEqual(copy.history, agent.history);
    assert.deepEqual(copy.config, agent.config);
    const qa = new Float32Array(4);
    const qb = new Float32Array(4);
    for (let s = 0; s < 143; s++) assert.equal(copy.chooseAction([s], true, qb), agent.chooseAction([s], true, qa), `state ${s}`);
  });

  it('a DQN agent comes back exactly: Q-values, Theta^-, replay queue, next actions; training continues identically (Adam moments and RNG included)', async () => {
    for (const optimizer of ['adam', 'sgd']) {
      const agent = await smallDqn({ optimizer, learning_starts: 0, batch_size: 4, update: 'online', target: 'steps', target_update_steps: 7, epsilon_start: 0.5, epsilon_schedule: 'constant' });
      feed(agent, 3, 10);
      agent.updateQ({ state: [0.1, 0.2, 0.3], action: 0, reward: 1, nextState: [0.3, 0.2, 0.1], done: false });
      const copy = (await roundTrip(agent)) as DqnAgent;
      const rng = new Rng(5);
      const states = Float32Array.from({ length: 60 }, () => rng.uniform(-1, 1));
      assert.deepEqual(copy.qValues(states, 20), agent.qValues(states, 20));
      assert.ok(sameWeights(copy.targetNetwork as FusedMlp, agent.targetNetwork as FusedMlp));
      assert.deepEqual(copy.replay.exportArrays(), agent.replay.exportArrays());
      assert.equal(copy.totalSteps, agent.totalSteps);
      assert.deepEqual(copy.history, agent.history);
      const qa = new Float32Array(2);
      const qb = new Float32Array(2);
      for (let i = 0; i < 20; i++) {
        const s = states.subarray(3 * i, 3 * i + 3);
        assert.equal(copy.chooseAction(s, true, qb), agent.chooseAction(s, true, qa));
        assert.deepEqual(qb, qa);
      }
      // Optimiser moments and the RNG travel too: training the copy on the same data gives the same weights.
      feed(agent, 2, 6, 9);
      feed(copy, 2, 6, 9);
      assert.ok(sameWeights(copy.onlineNetwork, agent.onlineNetwork), `${optimizer}: the copy trains like the original`);
    }
  });

  it('a CartPole agent survives the byte format (infinite Box bounds)', async () => {
    const env = cartPole(0);
    const agent = await createAgent('dqn', env.observationSpace, 2, { hidden_sizes: [8], seed: 2, learning_starts: 10, batch_size: 8 });
    await train(env, agent, { episodes: 3, seed: 2 });
    const copy = await roundTrip(agent);
    assert.deepEqual(copy.observationSpace, agent.observationSpace);
    const states = Float32Array.of(0.01, -0.2, 0.03, 0.4);
    assert.deepEqual(copy.qValues(states, 1), agent.qValues(states, 1));
    await train(env, copy, { episodes: 1 });
  });

  it('rejects exports that do not fit', async () => {
    const agent = await smallDqn({});
    const snap = agent.exportSnapshot();
    const broken: AgentSnapshot = { ...snap, arrays: { ...snap.arrays, 'online/0': new Float32Array(3) } };
    await assertInvalid(() => importAgent(broken), 'data', /online\/0/);
    await assertInvalid(() => importAgent({ ...snap, kind: 'sarsa' as 'dqn' }), 'data');
    await assertInvalid(() => importAgent({ ...snap, config: { ...snap.config, gamma: 2 } }), 'config.gamma');
    const tab = await createAgent('tabular', discrete(3), 2, { seed: 1 });
    const ts = tab.exportSnapshot();
    await assertInvalid(() => importAgent({ ...ts, arrays: { q: new Float32Array(5) } }), 'data');
  });
});

// ---------------------------------------------------------------------------------------

describe('DQN solves the environments', () => {
  it('CartPole-v1: greedy mean >= 475 over 100 episodes (fast-cartpole-dqn, fused engine)', async () => {
    const preset = presetByName('fast-cartpole-dqn');
    assert.ok(preset);
    const env = cartPole(0);
    const agent = (await createAgent('dqn', env.observationSpace, 2, { ...preset.config, seed: 0 })) as DqnAgent;
    assert.equal(agent.onlineNetwork.engine, 'fused');
    // DQN's greedy policy oscillates: evaluate every 2000 steps and stop at the first checkpoint that solves it.
    let steps = 0;
    let best = -Infinity;
    let first = true;
    while (steps < 60_000) {
      const s = await train(env, agent, { steps: 2000, seed: first ? 0 : undefined });
      first = false;
      steps += s.steps;
      const quick = await evaluate(() => cartPole(0), agent, { episodes: 10, seed: 10_000 });
      if (quick.mean < 490) continue;
      const full = await evaluate(() => cartPole(0), agent, { episodes: 100, seed: 1_000_000 });
      best = Math.max(best, full.mean);
      if (full.mean >= 475) break;
    }
    assert.ok(best >= 475, `best 100-episode greedy mean ${best} after ${steps} steps`);
  });

  it('GridWorld small_maze with one-hot states: the greedy path reaches the goal without hazards', async () => {
    const env = gridEnv({ world: 'small_maze' }, 0);
    const agent = (await createAgent('dqn', env.observationSpace, 4, {
      encoding: 'onehot',
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
      seed: 0,
      engine: 'fused',
    })) as DqnAgent;
    assert.equal(agent.encoder.encoding, 'onehot');
    assert.equal(agent.encoder.inputSize, 143);
    let path = await greedyPath(agent, 'small_maze');
    let episodes = 0;
    while (episodes < 400 && !(path.reachedGoal && path.hazards === 0)) {
      await train(env, agent, { episodes: 25, seed: episodes === 0 ? 0 : undefined });
      episodes += 25;
      path = await greedyPath(agent, 'small_maze');
    }
    assert.ok(path.reachedGoal, `greedy path reaches the goal (after ${episodes} episodes)`);
    assert.equal(path.hazards, 0);
  });
});
