import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CARTPOLE_SIMD_MIN_ENVS, CartPoleBatch } from '../../src/core/envs/cartpole.js';
import { cartPoleSimdAvailable } from '../../src/core/envs/cartpole-simd.js';
import { SMALL_ANGLE_MAX, SMALL_ANGLE_MIN } from '../../src/core/envs/small-angle-trig.js';
import type { RewardChoice } from '../../src/core/rewards/types.js';
import { Rng } from '../../src/core/rng.js';

const skipReason = cartPoleSimdAvailable() ? false : 'this runtime has no WebAssembly SIMD';

/** The same batch twice: physics in WebAssembly SIMD, and in the JS kernel. */
function twins(n: number, config: Record<string, unknown>, reward: RewardChoice, seed: number): [CartPoleBatch, CartPoleBatch] {
  const simd = new CartPoleBatch(n, config, reward, seed, { simd: true });
  const js = new CartPoleBatch(n, config, reward, seed, { simd: false });
  assert.equal(simd.simd, true);
  assert.equal(js.simd, false);
  return [simd, js];
}

function bits64(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);
}

/** Throws at the first entry where the two batches differ (state, observations, rewards, flags). */
function assertSameBits(a: CartPoleBatch, b: CartPoleBatch, label: string): void {
  const pairs: [string, ArrayLike<number>, ArrayLike<number>][] = [
    ['state', bits64(a.state), bits64(b.state)],
    ['observations', new Uint32Array(a.observations.buffer, a.observations.byteOffset, a.observations.length), new Uint32Array(b.observations.buffer, b.observations.byteOffset, b.observations.length)],
    ['rewards', bits64(a.rewards), bits64(b.rewards)],
    ['terminated', a.terminated, b.terminated],
    ['truncated', a.truncated, b.truncated],
  ];
  for (const [name, x, y] of pairs) {
    assert.equal(x.length, y.length, `${label}: ${name} length`);
    for (let k = 0; k < x.length; k++) {
      if (x[k] !== y[k]) assert.fail(`${label}: ${name}[${k}] differs: ${x[k]} vs ${y[k]}`);
    }
  }
}

/** Angles where the polynomials end and Math.sin / Math.cos take over, and around them. */
const EDGE_ANGLES = [
  0, -0, SMALL_ANGLE_MIN, -SMALL_ANGLE_MIN, SMALL_ANGLE_MIN / 2, -1e-9, 2 ** -26, 0.29, -0.29, 0.28999999999999998,
  -0.2899999999999999, 0.3, -0.31, 0.5, -1.2, 3, SMALL_ANGLE_MAX, 1e-300, -1e-12, 0.1,
];

/** Actions in each of the shapes callers pass, with values other than 0 and 1 among them. */
function actionsFor(n: number, rng: Rng, step: number): ArrayLike<number> {
  const values = [0, 1, 1, 0, 2, -1, 1.5, 0.5, 1, 0, 255, 1];
  const pick = () => values[Math.floor(rng.nextFloat() * (step % 7 === 0 ? values.length : 2))];
  switch (step % 4) {
    case 0:
      return Int32Array.from({ length: n }, pick);
    case 1:
      return Uint8Array.from({ length: n }, pick);
    case 2:
      return Float64Array.from({ length: n }, pick);
    default:
      return Array.from({ length: n }, pick);
  }
}

/** A skip mask: none set, all set, a few or about half set. */
function maskFor(n: number, rng: Rng, step: number): Uint8Array {
  const p = [0, 1, 0.05, 0.5][step % 4];
  return Uint8Array.from({ length: n }, () => (rng.nextFloat() < p ? 1 : 0));
}

/**
 * `steps` steps of both twins with random actions of every shape, stepAll and stepWhere
 * alternating, most ended copies reset (the others keep stepping out of bounds, to large
 * angles), and now and then some copies' angles set by hand to EDGE_ANGLES; the bits
 * compared after every step.
 */
function runTwins(n: number, config: Record<string, unknown>, reward: RewardChoice, seed: number, steps: number): void {
  const [a, b] = twins(n, config, reward, seed);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    a.reset(i, undefined, {});
    b.reset(i, undefined, {});
  }
  const label = `n=${n} config=${JSON.stringify(config)} reward=${reward.name} seed=${seed}`;
  for (let t = 0; t < steps; t++) {
    if (t % 10 === 3) {
      for (let j = 0; j < 1 + (n >> 3); j++) {
        const i = Math.floor(rng.nextFloat() * n);
        const theta = EDGE_ANGLES[Math.floor(rng.nextFloat() * EDGE_ANGLES.length)];
        a.state[4 * i + 2] = theta;
        b.state[4 * i + 2] = theta;
      }
    }
    const actions = actionsFor(n, rng, t);
    if (t % 3 === 0) {
      a.stepAll(actions);
      b.stepAll(actions);
    } else {
      const skip = maskFor(n, rng, t);
      a.stepWhere(actions, skip);
      b.stepWhere(actions, skip);
    }
    assertSameBits(a, b, `${label} step ${t}`);
    for (let i = 0; i < n; i++) {
      if ((a.terminated[i] | a.truncated[i]) !== 0 && rng.nextFloat() < 0.8) {
        a.reset(i, undefined, {});
        b.reset(i, undefined, {});
      }
    }
  }
}

const REWARDS: { config: Record<string, unknown>; reward: RewardChoice }[] = [
  { config: {}, reward: { name: 'gymnasium', params: {} } },
  { config: { sutton_barto_reward: true, kinematics_integrator: 'semi-implicit' }, reward: { name: 'gymnasium', params: {} } },
  { config: { max_episode_steps: 40 }, reward: { name: 'sutton_barto', params: {} } },
  { config: { kinematics_integrator: 'semi-implicit', gravity: 3.7, masscart: 2.5, masspole: 0.3, length: 0.8, force_mag: 7.5, tau: 0.013 }, reward: { name: 'terminal_penalty', params: { step: 0.25, penalty: -7 } } },
  { config: { gravity: 12, length: 0.7, force_mag: 13, max_episode_steps: 200 }, reward: { name: 'angle_position', params: { alive: 2, angle_weight: 0.3, position_weight: 0.9, failure: -5 } } },
];

describe('CartPole physics in WebAssembly SIMD: bit for bit the JS kernel', { skip: skipReason }, () => {
  for (const n of [1, 2, 3, CARTPOLE_SIMD_MIN_ENVS - 1, CARTPOLE_SIMD_MIN_ENVS, 1001]) {
    test(`n=${n}, every built-in reward, both integrators, several seeds`, () => {
      for (const [k, { config, reward }] of REWARDS.entries()) {
        for (const seed of [1, 77]) runTwins(n, config, reward, seed + k, n > 100 ? 600 : 2500);
      }
    });
  }

  test('n=4096', () => {
    runTwins(4096, {}, { name: 'gymnasium', params: {} }, 5, 300);
    runTwins(4096, REWARDS[3].config, REWARDS[3].reward, 6, 200);
  });

  test('every angle on either side of the polynomials\' range, in both lanes of a pair', () => {
    for (const config of [{}, { kinematics_integrator: 'semi-implicit' }]) {
      const n = 2 * EDGE_ANGLES.length + 1;
      const [a, b] = twins(n, config, { name: 'gymnasium', params: {} }, 3);
      for (const batch of [a, b]) {
        for (let i = 0; i < n; i++) {
          batch.reset(i, undefined, {});
          batch.state[4 * i + 2] = EDGE_ANGLES[(i >> 1) % EDGE_ANGLES.length] * (i & 1 ? -1 : 1);
          batch.state[4 * i + 3] = i & 2 ? 1.25 : -0.5;
        }
      }
      const actions = Int32Array.from({ length: n }, (_, i) => i % 3);
      for (let t = 0; t < 5; t++) {
        a.stepAll(actions);
        b.stepAll(actions);
        assertSameBits(a, b, `${JSON.stringify(config)} step ${t}`);
      }
    }
  });

  test('stepWhere leaves skipped copies untouched, observations included', () => {
    const n = 9;
    const [a] = twins(n, {}, { name: 'gymnasium', params: {} }, 4);
    for (let i = 0; i < n; i++) a.reset(i, undefined, {});
    // A state written by hand: the skipped copies' observations must stay the reset's.
    a.state[4 * 8] = 0.123456789;
    a.state[4 * 1 + 2] = 0.5;
    const state = a.state.slice();
    const obs = a.observations.slice();
    a.terminated[1] = 1;
    a.terminated[8] = 1;
    const skip = Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0, 1]);
    a.stepWhere(new Uint8Array(n).fill(1), skip);
    for (const i of [1, 8]) {
      assert.deepEqual(a.state.subarray(4 * i, 4 * i + 4), state.subarray(4 * i, 4 * i + 4));
      assert.deepEqual(a.observations.subarray(4 * i, 4 * i + 4), obs.subarray(4 * i, 4 * i + 4));
      assert.equal(a.terminated[i], 1);
    }
    assert.notDeepEqual(a.state.subarray(0, 4), state.subarray(0, 4));
  });

  test('exportState / importState move copies between SIMD and JS batches', () => {
    const n = 65;
    const [a, b] = twins(n, {}, { name: 'gymnasium', params: {} }, 9);
    for (let i = 0; i < n; i++) a.reset(i, undefined, {});
    const actions = Uint8Array.from({ length: n }, (_, i) => i & 1);
    for (let t = 0; t < 7; t++) a.stepAll(actions);
    b.importState(a.exportState());
    assertSameBits(a, b, 'imported');
    for (let t = 0; t < 50; t++) {
      a.stepAll(actions);
      b.stepAll(actions);
      assertSameBits(a, b, `after import, step ${t}`);
    }
    a.importState(b.exportState());
    assertSameBits(a, b, 'imported back');
    assert.equal(a.render(3, 'ansi'), b.render(3, 'ansi'));
  });

  test('the default: SIMD from CARTPOLE_SIMD_MIN_ENVS copies, unless GYMHOST_CARTPOLE_SIMD=0', () => {
    const saved = process.env.GYMHOST_CARTPOLE_SIMD;
    try {
      delete process.env.GYMHOST_CARTPOLE_SIMD;
      assert.equal(new CartPoleBatch(1).simd, false);
      assert.equal(new CartPoleBatch(CARTPOLE_SIMD_MIN_ENVS - 1).simd, false);
      assert.equal(new CartPoleBatch(CARTPOLE_SIMD_MIN_ENVS).simd, true);
      process.env.GYMHOST_CARTPOLE_SIMD = '0';
      assert.equal(new CartPoleBatch(CARTPOLE_SIMD_MIN_ENVS).simd, false);
    } finally {
      if (saved === undefined) delete process.env.GYMHOST_CARTPOLE_SIMD;
      else process.env.GYMHOST_CARTPOLE_SIMD = saved;
    }
  });
});
