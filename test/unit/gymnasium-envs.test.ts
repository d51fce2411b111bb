/**
 * The Gymnasium ports (src/core/envs/gymnasium/) on their own: shapes and spaces, determinism
 * from a seed, vector copies equal to single envs seeded seed + i, exportState/importState
 * round trips (also through structuredClone), errors. Parity with the real Gymnasium is
 * test/python/test_gymnasium_env_parity.py.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcrobotBatch } from '../../src/core/envs/gymnasium/acrobot.js';
import { gymDynamicsCatalog, makeGymDynamics } from '../../src/core/envs/gymnasium/catalog.js';
import { CliffWalkingBatch, renderCliffWalkingAnsi } from '../../src/core/envs/gymnasium/cliff-walking.js';
import type { GymDynamics } from '../../src/core/envs/gymnasium/dynamics.js';
import { FrozenLakeBatch, generateRandomMap, isValidMap, parseDesc, resolveFrozenLakeConfig } from '../../src/core/envs/gymnasium/frozen-lake.js';
import { MountainCarBatch } from '../../src/core/envs/gymnasium/mountain-car.js';
import { TaxiBatch, taxiActionMask, taxiDecode, taxiEncode } from '../../src/core/envs/gymnasium/taxi.js';
import type { OptionValues } from '../../src/core/options.js';
import { spaceSize } from '../../src/core/spaces.js';
import { NumpyGenerator } from '../../src/core/numpy-random.js';

/** Configs per env id that exercise their options. */
const CONFIGS: Record<string, OptionValues[]> = {
  'FrozenLake-v1': [{}, { is_slippery: false }, { map_name: 'random', map_size: 6, map_seed: 4 }, { desc: 'SFH,FSG' }],
  'FrozenLake8x8-v1': [{}],
  'CliffWalking-v1': [{}, { is_slippery: true, max_episode_steps: 30 }],
  'CliffWalkingSlippery-v1': [{}],
  'Taxi-v4': [{}, { is_rainy: true, fickle_passenger: true, fickle_probability: 1 }],
  'MountainCar-v0': [{}, { goal_velocity: 0.02 }],
  'Acrobot-v1': [{}, { max_episode_steps: 40 }],
};

function actionCount(id: string, config: OptionValues): number {
  const space = gymDynamicsCatalog.get(id)!.describe(config).actionSpace;
  assert.equal(space.kind, 'discrete');
  return space.kind === 'discrete' ? space.n : 0;
}

/** Steps `env` `steps` times with actions from a seeded generator, resetting ended copies; returns everything it saw. */
function rollout(env: GymDynamics, nActions: number, steps: number, actionSeed: number): number[] {
  const g = new NumpyGenerator(actionSeed);
  const actions = new Int32Array(env.numEnvs);
  const seen: number[] = [...env.observations];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < env.numEnvs; i++) actions[i] = g.integers(0, nActions);
    env.step(actions);
    seen.push(...env.observations, ...env.rewards, ...env.terminated, ...env.truncated, ...env.episodeSteps);
    for (let i = 0; i < env.numEnvs; i++) if (env.terminated[i] || env.truncated[i]) env.resetCopy(i);
    seen.push(...env.observations);
  }
  return seen;
}

for (const [id, configs] of Object.entries(CONFIGS)) {
  for (const config of configs) {
    const label = `${id} ${JSON.stringify(config)}`;

    test(`${label}: shapes and spaces`, () => {
      const entry = gymDynamicsCatalog.get(id)!;
      const { observationSpace, maxEpisodeSteps } = entry.describe(config);
      const env = makeGymDynamics(id, 3, config, 7);
      assert.equal(env.obsSize, spaceSize(observationSpace));
      assert.equal(env.observations.length, 3 * env.obsSize);
      assert.ok(observationSpace.kind === 'discrete' ? env.observations instanceof Int32Array : env.observations instanceof Float32Array);
      for (const a of [env.rewards, env.terminated, env.truncated, env.episodeSteps]) assert.equal(a.length, 3);
      assert.equal(env.maxEpisodeSteps, maxEpisodeSteps);
      assert.throws(() => env.step([0, 0, 0]), /has not been reset/);
      env.reset(7);
      const nActions = actionCount(id, config);
      rollout(env, nActions, 50, 1);
      if (observationSpace.kind === 'discrete') {
        for (const o of env.observations) assert.ok(o >= 0 && o < observationSpace.n);
      }
    });

    test(`${label}: same seed, same trajectories; copy i is a single env seeded seed + i`, () => {
      const nActions = actionCount(id, config);
      const a = makeGymDynamics(id, 4, config, 100);
      const b = makeGymDynamics(id, 4, config, 555);
      a.reset(100);
      b.reset(100);
      assert.deepEqual(rollout(a, nActions, 120, 9), rollout(b, nActions, 120, 9));
      // Reseeding an env that has run restarts its streams.
      a.reset(100);
      b.reset(100);
      assert.deepEqual(rollout(a, nActions, 60, 3), rollout(b, nActions, 60, 3));
      // Copy 2 of a batch vs one env seeded 102 taking copy 2's actions.
      const batch = makeGymDynamics(id, 3, config, 100);
      const single = makeGymDynamics(id, 1, config, 102);
      batch.reset(100);
      single.reset(102);
      const g = new NumpyGenerator(5);
      const k = batch.obsSize;
      for (let t = 0; t < 150; t++) {
        const acts = [g.integers(0, nActions), g.integers(0, nActions), g.integers(0, nActions)];
        batch.step(acts);
        single.step([acts[2]]);
        assert.deepEqual([...batch.observations.subarray(2 * k, 3 * k)], [...single.observations]);
        assert.deepEqual([batch.rewards[2], batch.terminated[2], batch.truncated[2]], [single.rewards[0], single.terminated[0], single.truncated[0]]);
        if (single.terminated[0] || single.truncated[0]) {
          batch.resetCopy(2);
          single.resetCopy(0);
        }
      }
    });

    test(`${label}: exportState/importState continues exactly, also after structuredClone`, () => {
      const nActions = actionCount(id, config);
      const a = makeGymDynamics(id, 3, config, 11);
      a.reset(11);
      rollout(a, nActions, 37, 2);
      const saved = structuredClone(a.exportState());
      const expected = rollout(a, nActions, 80, 4);
      const b = makeGymDynamics(id, 3, config, 999);
      b.importState(saved);
      assert.deepEqual(rollout(b, nActions, 80, 4), expected);
      // And back into the first one.
      a.importState(saved);
      assert.deepEqual(rollout(a, nActions, 80, 4), expected);
      // A state of another size does not fit and changes nothing.
      const other = makeGymDynamics(id, 2, config, 1);
      other.reset(1);
      const before = other.exportState();
      assert.throws(() => other.importState(saved), /importState/);
      assert.deepEqual(other.exportState(), before);
    });
  }
}

test('the 32-bit buffer of a generator is part of the exported state (Taxi fickle draws use integers())', () => {
  const a = new TaxiBatch(1, { fickle_passenger: true, fickle_probability: 1 }, 0);
  a.reset(0);
  // Drive to the passenger, pick up, move (with some random actions to get around walls):
  // the fickle draw leaves a buffered 32-bit half in the generator.
  const g = new NumpyGenerator(1);
  const locs = [[0, 0], [0, 4], [4, 0], [4, 3]];
  let fickleDrawn = false;
  for (let t = 0; t < 2000 && !fickleDrawn; t++) {
    const [row, col, pass, dest] = taxiDecode(a.observations[0]);
    const target = pass === 4 ? locs[dest] : locs[pass];
    let action: number;
    if (g.random() < 0.3) action = g.integers(0, 4);
    else if (row === target[0] && col === target[1]) action = pass === 4 ? 5 : 4;
    else if (col !== target[1] && g.random() < 0.5) action = target[1] > col ? 2 : 3;
    else if (row !== target[0]) action = target[0] > row ? 0 : 1;
    else action = target[1] > col ? 2 : 3;
    const before = a.fickleStep[0];
    a.stepCopy(0, action);
    fickleDrawn = before === 1 && a.fickleStep[0] === 0;
    if (a.terminated[0] || a.truncated[0]) a.resetCopy(0);
  }
  assert.ok(fickleDrawn, 'the passenger never changed destination');
  const saved = a.exportState();
  assert.equal(saved.rngs[8], 1, 'a buffered half is saved');
  const b = new TaxiBatch(1, { fickle_passenger: true, fickle_probability: 1 }, 5);
  b.importState(saved);
  const ga = [];
  const gb = [];
  for (let k = 0; k < 300; k++) {
    a.stepCopy(0, k % 6);
    b.stepCopy(0, k % 6);
    ga.push(a.observations[0]);
    gb.push(b.observations[0]);
    if (a.terminated[0] || a.truncated[0]) a.resetCopy(0);
    if (b.terminated[0] || b.truncated[0]) b.resetCopy(0);
  }
  assert.deepEqual(gb, ga);
});

test('FrozenLake maps: desc parsing, random maps are valid and reproducible, bad input is INVALID_ARGUMENT', () => {
  assert.deepEqual(parseDesc('SFFF,FHFH\nFFFH, HFFG'), ['SFFF', 'FHFH', 'FFFH', 'HFFG']);
  for (const bad of ['', 'SFF,FF', 'SXF', 'FFF,FFG', 'S'.repeat(65)]) {
    assert.throws(() => parseDesc(bad), (e: Error & { field?: string }) => e.field === 'config.desc', bad);
  }
  const m = generateRandomMap(10, 0.7, 42);
  assert.deepEqual(generateRandomMap(10, 0.7, 42), m);
  assert.equal(m.length, 10);
  assert.ok(m[0][0] === 'S' && m[9][9] === 'G' && isValidMap(m, 10));
  assert.deepEqual(resolveFrozenLakeConfig({ map_name: 'random', map_size: 10, map_p: 0.7, map_seed: 42 }).desc, m);
  assert.throws(() => resolveFrozenLakeConfig({ reward_schedule: [1, 0] }), /reward_schedule/);
  assert.throws(() => new FrozenLakeBatch(1, { map_name: '5x5' }), /map_name/);
  // A map with several starts spreads the start states over them.
  const env = new FrozenLakeBatch(40, { desc: 'SFS,FHF,SFG' }, 3);
  env.reset(3);
  assert.deepEqual(new Set(env.observations), new Set([0, 2, 6]));
});

test('FrozenLake dynamics: holes and the goal terminate with the reward schedule; terminal cells keep the agent', () => {
  const env = new FrozenLakeBatch(1, { is_slippery: false, reward_schedule: [5, -3, -1] }, 0);
  env.reset(0);
  env.stepCopy(0, 1); // down to (1, 0): frozen
  assert.deepEqual([env.observations[0], env.rewards[0], env.terminated[0]], [4, -1, 0]);
  env.stepCopy(0, 2); // right to (1, 1): hole
  assert.deepEqual([env.observations[0], env.rewards[0], env.terminated[0]], [5, -3, 1]);
  env.stepCopy(0, 2); // from a hole: stays, pays 0, terminated
  assert.deepEqual([env.observations[0], env.rewards[0], env.terminated[0]], [5, 0, 1]);
  assert.equal(env.renderAnsi(0), '  (Right)\nSFFF\nF\x1b[41mH\x1b[0mFH\nFFFH\nHFFG\n');
});

test('CliffWalking: the cliff costs -100 and returns to the start; the goal terminates; ANSI frame', () => {
  const env = new CliffWalkingBatch(1, {}, 0);
  env.reset(0);
  assert.equal(env.observations[0], 36);
  env.stepCopy(0, 1);
  assert.deepEqual([env.observations[0], env.rewards[0], env.terminated[0]], [36, -100, 0]);
  env.stepCopy(0, 0);
  for (let k = 0; k < 11; k++) env.stepCopy(0, 1);
  env.stepCopy(0, 2);
  assert.deepEqual([env.observations[0], env.rewards[0], env.terminated[0], env.truncated[0]], [47, -1, 1, 0]);
  assert.equal(env.episodeSteps[0], 14);
  const frame = renderCliffWalkingAnsi(36).split('\n');
  assert.deepEqual(frame.slice(2, 4), ['o  o  o  o  o  o  o  o  o  o  o  o', 'x  C  C  C  C  C  C  C  C  C  C  T']);
});

test('Taxi: encode/decode round trip, action masks, delivering pays 20 and terminates', () => {
  for (let s = 0; s < 500; s++) assert.equal(taxiEncode(...taxiDecode(s)), s);
  assert.deepEqual([...taxiActionMask(taxiEncode(0, 0, 0, 1))], [1, 0, 1, 0, 1, 0]);
  const env = new TaxiBatch(1, {}, 0);
  const state = env.exportState();
  (state.states as Int32Array)[0] = taxiEncode(0, 4, 4, 1); // at G with the passenger aboard, destination G
  (state.flags as Uint8Array)[2] = 1;
  env.importState(state);
  env.stepCopy(0, 5);
  assert.deepEqual([env.observations[0], env.rewards[0], env.terminated[0]], [taxiEncode(0, 4, 1, 1), 20, 1]);
  env.stepCopy(0, 5); // nobody aboard: an illegal dropoff
  assert.deepEqual([env.rewards[0], env.terminated[0]], [-10, 0]);
});

test('MountainCar and Acrobot: reset bounds, observation dtypes, the left wall', () => {
  const car = new MountainCarBatch(2, {}, 0);
  car.reset(0, { low: -0.5, high: -0.5 });
  assert.deepEqual([...car.observations], [Math.fround(-0.5), 0, Math.fround(-0.5), 0]);
  assert.throws(() => car.reset(0, { low: 1, high: 0 }), (e: Error & { field?: string }) => e.field === 'options.low');
  const moving = car.exportState();
  (moving.physics as Float64Array).set([-1.15, -0.05, -1.15, -0.05]); // heading left fast
  car.importState(moving);
  let hit = false;
  for (let t = 0; t < 30 && !hit; t++) {
    car.step([0, 0]);
    hit = car.physics[0] === -1.2;
  }
  assert.ok(hit, 'the car never reached the left wall');
  assert.equal(car.physics[1], 0, 'the wall stops the car');
  assert.equal(car.rewards[0], -1);
  const acro = new AcrobotBatch(1, {}, 0);
  acro.reset(0, { low: 0.1, high: 0.1 });
  const x = Math.fround(0.1);
  assert.deepEqual([...acro.physics], [x, x, x, x]);
  assert.deepEqual([...acro.observations], [Math.cos(x), Math.sin(x), Math.cos(x), Math.sin(x), x, x].map(Math.fround));
  acro.step([2]);
  for (const v of acro.observations) assert.ok(Number.isFinite(v));
  assert.ok(Math.abs(acro.physics[0]) <= Math.PI && Math.abs(acro.physics[1]) <= Math.PI);
});
