import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CartPoleBatch,
  cartPoleType,
  SCREEN_HEIGHT,
  SCREEN_WIDTH,
  STEP_AFTER_TERMINATION_WARNING,
  THETA_THRESHOLD_RADIANS,
  X_THRESHOLD,
} from '../../src/core/envs/cartpole.js';
import type { RgbFrame } from '../../src/core/envs/types.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions, type OptionValues } from '../../src/core/options.js';
import { gymnasiumReward, newCartPoleFacts, suttonBartoRewardFunction } from '../../src/core/rewards/cartpole.js';
import { NumpyGenerator } from '../../src/core/numpy-random.js';
import { cosSmall, sinSmall, SMALL_ANGLE_MAX, SMALL_ANGLE_MIN } from '../../src/core/envs/small-angle-trig.js';
import { Rng } from '../../src/core/rng.js';
import { EnvSession } from '../../src/core/sessions/env-session.js';

const GYM = { name: 'gymnasium', params: {} };
const SUTTON = { name: 'sutton_barto', params: {} };

/** A single env reset to the exact start state [v, v, v, v]. */
function envAt(v: number, config: Record<string, unknown> = {}, reward = GYM): CartPoleBatch {
  const env = new CartPoleBatch(1, config, reward, 0);
  env.reset(0, undefined, { low: v, high: v });
  return env;
}

/** Sets copy i's float64 state directly (tests only). */
function setState(env: CartPoleBatch, i: number, s: readonly number[]): void {
  env.state.set(s, 4 * i);
}

function stateOf(env: CartPoleBatch, i = 0): number[] {
  return Array.from(env.state.subarray(4 * i, 4 * i + 4));
}

function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Math.abs(actual[k] - expected[k]) <= tol, `${what}[${k}]: ${actual[k]} != ${expected[k]} (tol ${tol})`);
  }
}

/** Asserts `fn` throws a DomainError with this code and field. */
function assertDomainError(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected DomainError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.field, field);
    return true;
  });
}

/**
 * Textbook cart-pole derivatives (Florian 2007, eqs. 23-24 with friction 0), written
 * independently of the implementation's operation order.
 */
function derivatives(s: readonly number[], force: number, p = { g: 9.8, mc: 1.0, mp: 0.1, l: 0.5 }): [number, number] {
  const [, , th, thd] = s;
  const m = p.mc + p.mp;
  const thetaAcc =
    (p.g * Math.sin(th) + Math.cos(th) * ((-force - p.mp * p.l * thd ** 2 * Math.sin(th)) / m)) /
    (p.l * (4 / 3 - (p.mp * Math.cos(th) ** 2) / m));
  const xAcc = (force + p.mp * p.l * (thd ** 2 * Math.sin(th) - thetaAcc * Math.cos(th))) / m;
  return [xAcc, thetaAcc];
}

describe('CartPole-v1 physics', () => {
  test('one Euler step from rest, pushing right: hand-derived rationals', () => {
    // s = 0, F = +10: temp = 100/11; thetaacc = -(100/11) / (0.5 * 41/33) = -600/41;
    // xacc = 100/11 + 0.05 * (600/41) / 1.1 = 4400/451. Euler uses the old velocities.
    const env = envAt(0);
    env.step(0, 1);
    assertClose(stateOf(env), [0, 0.02 * (4400 / 451), 0, 0.02 * (-600 / 41)], 1e-15, 'state');
    assertClose(stateOf(env), [0, 88 / 451, 0, -12 / 41], 1e-15, 'state');
    // Pushing left mirrors it.
    const left = envAt(0);
    left.step(0, 0);
    assertClose(stateOf(left), [0, -88 / 451, 0, 12 / 41], 1e-15, 'state');
  });

  test('one Euler step from a tilted, moving state matches the textbook equations', () => {
    const s = [0.3, -0.4, 0.1, -0.7];
    const env = envAt(0);
    setState(env, 0, s);
    env.step(0, 0);
    const [xAcc, thAcc] = derivatives(s, -10);
    const tau = 0.02;
    assertClose(stateOf(env), [s[0] + tau * s[1], s[1] + tau * xAcc, s[2] + tau * s[3], s[3] + tau * thAcc], 1e-12, 'state');
    // Sanity of the hand formula itself: the pole tilted right with gravity accelerates right.
    assert.ok(thAcc > 0);
  });

  test('custom physical constants enter the equations', () => {
    const p = { g: 5, mc: 2, mp: 0.3, l: 0.8 };
    const s = [0, 0.1, -0.05, 0.2];
    const env = envAt(0, { gravity: p.g, masscart: p.mc, masspole: p.mp, length: p.l, force_mag: 7, tau: 0.01 });
    setState(env, 0, s);
    env.step(0, 1);
    const [xAcc, thAcc] = derivatives(s, 7, p);
    assertClose(stateOf(env), [s[0] + 0.01 * s[1], s[1] + 0.01 * xAcc, s[2] + 0.01 * s[3], s[3] + 0.01 * thAcc], 1e-12, 'state');
  });

  test('semi-implicit Euler updates velocities first', () => {
    const env = envAt(0, { kinematics_integrator: 'semi-implicit' });
    env.step(0, 1);
    const xDot = 88 / 451;
    const thDot = -12 / 41;
    assertClose(stateOf(env), [0.02 * xDot, xDot, 0.02 * thDot, thDot], 1e-15, 'state');

    const s = [0.1, 0.2, -0.03, 0.4];
    const env2 = envAt(0, { kinematics_integrator: 'semi-implicit' });
    setState(env2, 0, s);
    env2.step(0, 0);
    const [xAcc, thAcc] = derivatives(s, -10);
    const nxDot = s[1] + 0.02 * xAcc;
    const nthDot = s[3] + 0.02 * thAcc;
    assertClose(stateOf(env2), [s[0] + 0.02 * nxDot, nxDot, s[2] + 0.02 * nthDot, nthDot], 1e-12, 'state');
  });

  test('observations are the float64 state rounded to float32', () => {
    const env = envAt(0.0123456789);
    assert.ok(env.observations instanceof Float32Array);
    assert.equal(env.observations.length, 4);
    assert.deepEqual(Array.from(env.observations), stateOf(env).map(Math.fround));
    assert.notEqual(env.observations[0], 0.0123456789, 'float32 rounding changes this value');
    for (let t = 0; t < 5; t++) {
      env.step(0, t % 2);
      assert.deepEqual(Array.from(env.observations), stateOf(env).map(Math.fround));
    }
  });
});

describe('CartPole-v1 episode end', () => {
  test('terminates when the cart leaves the track (|x| > 2.4), either side', () => {
    const right = envAt(0);
    setState(right, 0, [2.39, 0.4, 0, 0]); // x' = 2.39 + 0.02 * 0.4 = 2.398: still inside
    right.step(0, 1);
    assert.equal(right.terminated[0], 0);
    assert.ok(right.state[0] < X_THRESHOLD);
    setState(right, 0, [2.39, 1.0, 0, 0]); // x' = 2.41
    right.step(0, 1);
    assert.equal(right.terminated[0], 1);
    assert.equal(right.rewards[0], 1);

    const left = envAt(0);
    setState(left, 0, [-2.39, -1.0, 0, 0]);
    left.step(0, 0);
    assert.equal(left.terminated[0], 1);
    assert.equal(left.truncated[0], 0);
  });

  test('terminates when the pole tilts past 12 degrees, either side', () => {
    assert.equal(THETA_THRESHOLD_RADIANS, 0.20943951023931953);
    const env = envAt(0);
    setState(env, 0, [0, 0, 0.2, 0.4]); // theta' = 0.208 < 0.2094
    env.step(0, 0);
    assert.equal(env.terminated[0], 0);
    setState(env, 0, [0, 0, 0.2, 1.0]); // theta' = 0.22
    env.step(0, 0);
    assert.equal(env.terminated[0], 1);
    const neg = envAt(0);
    setState(neg, 0, [0, 0, -0.2, -1.0]);
    neg.step(0, 1);
    assert.equal(neg.terminated[0], 1);
  });

  test('reward is +1 for every step including the terminating one', () => {
    const env = envAt(0);
    let steps = 0;
    let total = 0;
    do {
      env.step(0, 1);
      steps++;
      total += env.rewards[0];
      const [x, , th] = stateOf(env);
      const outside = Math.abs(x) > X_THRESHOLD || Math.abs(th) > THETA_THRESHOLD_RADIANS;
      assert.equal(env.terminated[0], outside ? 1 : 0, `step ${steps}`);
      assert.equal(env.rewards[0], 1);
      assert.deepEqual(env.info(0), {});
    } while (!env.terminated[0] && steps < 100);
    assert.equal(env.terminated[0], 1);
    assert.ok(steps > 5 && steps < 20, `always pushing right should fall within ~10 steps, took ${steps}`);
    assert.equal(total, steps);
    assert.equal(env.episodeSteps(0), steps);
  });

  test('a step after termination pays 0, keeps the physics going and warns in info', () => {
    const env = envAt(0);
    while (!env.terminated[0]) env.step(0, 1);
    const atTermination = stateOf(env);
    for (let k = 0; k < 3; k++) {
      env.step(0, 1);
      assert.equal(env.terminated[0], 1, 'the pole keeps falling');
      assert.equal(env.rewards[0], 0);
      assert.deepEqual(env.info(0), { warning: STEP_AFTER_TERMINATION_WARNING });
    }
    assert.ok(Math.abs(env.state[2]) > Math.abs(atTermination[2]) + 0.01, 'the pole keeps falling (|theta| grows)');
    env.reset(0, undefined, { low: 0, high: 0 });
    assert.deepEqual(env.info(0), {}, 'reset clears the warning');
    env.step(0, 1);
    assert.equal(env.rewards[0], 1);
    assert.deepEqual(env.info(0), {});
  });

  test('truncates at step 500 with return 500 under a balancing policy', () => {
    const env = envAt(0.01);
    assert.equal(env.maxEpisodeSteps, 500);
    let total = 0;
    for (let t = 1; t <= 500; t++) {
      const [x, xDot, th, thDot] = stateOf(env);
      env.step(0, th + 0.5 * thDot + 0.01 * x + 0.1 * xDot > 0 ? 1 : 0);
      total += env.rewards[0];
      assert.equal(env.terminated[0], 0, `step ${t}`);
      assert.equal(env.truncated[0], t === 500 ? 1 : 0, `step ${t}`);
    }
    assert.equal(total, 500);
    assert.equal(env.episodeSteps(0), 500);
    env.step(0, 1);
    assert.equal(env.truncated[0], 1, 'TimeLimit keeps truncating after the limit');
  });

  test('custom max_episode_steps truncates there, and can coincide with termination', () => {
    const env = envAt(0, { max_episode_steps: 3 });
    assert.equal(env.maxEpisodeSteps, 3);
    const flags: number[] = [];
    for (let t = 0; t < 3; t++) {
      env.step(0, t % 2);
      flags.push(env.truncated[0]);
    }
    assert.deepEqual(flags, [0, 0, 1]);
    assert.equal(env.terminated[0], 0);

    // Always pushing right from rest terminates at step k; with max_episode_steps = k both flags are set.
    const probe = envAt(0);
    let k = 0;
    while (!probe.terminated[0]) {
      probe.step(0, 1);
      k++;
    }
    const both = envAt(0, { max_episode_steps: k });
    for (let t = 0; t < k; t++) both.step(0, 1);
    assert.equal(both.terminated[0], 1);
    assert.equal(both.truncated[0], 1);
    assert.equal(both.rewards[0], 1);
  });

  test('stepping before reset is a FAILED_PRECONDITION', () => {
    const env = new CartPoleBatch(2, {}, GYM, 0);
    assertDomainError(() => env.step(0, 1), 'FAILED_PRECONDITION', '');
    env.reset(0, 1, {});
    assertDomainError(() => env.stepAll([1, 1]), 'FAILED_PRECONDITION', '');
    assert.deepEqual(Array.from(env.state), [...stateOf(env, 0), 0, 0, 0, 0], 'stepAll changed nothing');
  });
});

describe('CartPole-v1 rewards', () => {
  test('sutton_barto reward function: 0 per step, -1 on termination and after', () => {
    const env = envAt(0, {}, SUTTON);
    const rewards: number[] = [];
    while (!env.terminated[0]) {
      env.step(0, 1);
      rewards.push(env.rewards[0]);
    }
    assert.deepEqual(rewards, [...Array(rewards.length - 1).fill(0), -1]);
    env.step(0, 1);
    assert.equal(env.rewards[0], -1, 'Gymnasium 1.x pays -1 after termination too');
    assert.equal(env.terminated[0], 1);
  });

  test('config sutton_barto_reward=true makes the gymnasium reward pay sutton_barto', () => {
    const viaConfig = envAt(0, { sutton_barto_reward: true }, GYM);
    const viaReward = envAt(0, { sutton_barto_reward: false }, SUTTON);
    const a: number[] = [];
    const b: number[] = [];
    for (let t = 0; t < 15; t++) {
      viaConfig.step(0, 1);
      viaReward.step(0, 1);
      a.push(viaConfig.rewards[0]);
      b.push(viaReward.rewards[0]);
    }
    assert.deepEqual(a, b);
    assert.ok(a.includes(-1) && a.includes(0));
  });

  test('setReward switches the reward function; unknown names are rejected', () => {
    const env = envAt(0);
    env.step(0, 1);
    assert.equal(env.rewards[0], 1);
    env.setReward('sutton_barto', {});
    env.step(0, 1);
    assert.equal(env.rewards[0], 0);
    env.setReward('gymnasium', {});
    env.step(0, 1);
    assert.equal(env.rewards[0], 1);
    assertDomainError(() => env.setReward('nope', {}), 'INVALID_ARGUMENT', 'reward_function');
    assertDomainError(() => env.setReward('gymnasium', { scale: 2 }), 'INVALID_ARGUMENT', 'reward_params.scale');
  });

  test('reward functions follow Gymnasium case by case', () => {
    const facts = newCartPoleFacts();
    const s = new Float64Array(4);
    const cases: [boolean, boolean, number, number][] = [
      // terminated, afterTermination, gymnasium, sutton_barto
      [false, false, 1, 0],
      [true, false, 1, -1],
      [true, true, 0, -1],
      [false, true, 1, 0], // the state came back inside the bounds after termination
    ];
    for (const [terminated, after, gymR, suttonR] of cases) {
      facts.terminated = terminated;
      facts.afterTermination = after;
      facts.suttonBartoConfig = false;
      assert.equal(gymnasiumReward.compute(s, 0, s, facts, {}), gymR);
      assert.equal(suttonBartoRewardFunction.compute(s, 0, s, facts, {}), suttonR);
      facts.suttonBartoConfig = true;
      assert.equal(gymnasiumReward.compute(s, 0, s, facts, {}), suttonR);
    }
  });
});

describe('CartPole-v1 reset', () => {
  test('reset with the same seed twice gives identical observations', () => {
    const env = new CartPoleBatch(1, {}, GYM, 5);
    env.reset(0, 42, {});
    const first = Array.from(env.observations);
    env.step(0, 1);
    env.reset(0, 42, {});
    assert.deepEqual(Array.from(env.observations), first);
    const other = new CartPoleBatch(1, {}, GYM, 99);
    other.reset(0, 42, {});
    assert.deepEqual(Array.from(other.observations), first, 'the seed, not the batch, decides');
    for (const v of first) assert.ok(v >= -0.05 && v < 0.05, `${v} in [-0.05, 0.05)`);
  });

  test('different seeds give different start states; unseeded resets continue the stream', () => {
    const env = new CartPoleBatch(1, {}, GYM, 0);
    env.reset(0, 1, {});
    const a = Array.from(env.observations);
    env.reset(0, 2, {});
    const b = Array.from(env.observations);
    env.reset(0, undefined, {});
    const c = Array.from(env.observations);
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(b, c);
    // The create-time seed is seed + i, exactly as reset(i, seed + i) would reseed.
    const created = new CartPoleBatch(3, {}, GYM, 10);
    const reseeded = new CartPoleBatch(3, {}, GYM, 77);
    for (let i = 0; i < 3; i++) {
      created.reset(i, undefined, {});
      reseeded.reset(i, 10 + i, {});
    }
    assert.deepEqual(Array.from(created.observations), Array.from(reseeded.observations));
    // The start state is drawn from the copy's own np_random: 4 uniforms in [low, high).
    const rng = new NumpyGenerator(10);
    const expected = [0, 1, 2, 3].map(() => Math.fround(rng.uniform(-0.05, 0.05)));
    assert.deepEqual(Array.from(created.observations.subarray(0, 4)), expected);
  });

  test('options low == high start every component at exactly that value', () => {
    for (const v of [0, 0.05, -0.05, 0.0371, 1.5]) {
      const env = new CartPoleBatch(1, {}, GYM, 3);
      env.reset(0, 123, { low: v, high: v });
      assert.deepEqual(stateOf(env), [v, v, v, v]);
      assert.equal(env.episodeSteps(0), 0);
    }
  });

  test('options bounds: draws stay in [low, high); low > high is INVALID_ARGUMENT on options.low', () => {
    const env = new CartPoleBatch(1, {}, GYM, 3);
    for (let k = 0; k < 50; k++) {
      env.reset(0, undefined, { low: 0.1, high: 0.2 });
      for (const v of stateOf(env)) assert.ok(v >= 0.1 && v < 0.2, `${v}`);
    }
    const before = stateOf(env);
    assertDomainError(() => env.reset(0, undefined, { low: 0.2, high: 0.1 }), 'INVALID_ARGUMENT', 'options.low');
    // Only low given: Gymnasium's default high 0.05 applies.
    assertDomainError(
      () => env.reset(0, undefined, resolveOptions(cartPoleType.resetOptions, { low: 0.06 }, 'options')),
      'INVALID_ARGUMENT',
      'options.low',
    );
    assert.deepEqual(stateOf(env), before, 'a rejected reset changes nothing');
    assertDomainError(() => resolveOptions(cartPoleType.resetOptions, { lo: 0 }, 'options'), 'INVALID_ARGUMENT', 'options.lo');
  });
});

describe('CartPole-v1 config', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ foo: 1 }, 'config.foo'],
    [{ kinematics_integrator: 5 }, 'config.kinematics_integrator'],
    [{ kinematics_integrator: 'rk4' }, 'config.kinematics_integrator'],
    [{ sutton_barto_reward: 'yes' }, 'config.sutton_barto_reward'],
    [{ max_episode_steps: 0 }, 'config.max_episode_steps'],
    [{ max_episode_steps: 100001 }, 'config.max_episode_steps'],
    [{ max_episode_steps: 2.5 }, 'config.max_episode_steps'],
    [{ gravity: -9.8 }, 'config.gravity'],
    [{ masspole: 0 }, 'config.masspole'],
    [{ length: Number.NaN }, 'config.length'],
    [{ tau: '0.02' }, 'config.tau'],
  ];
  for (const [config, field] of bad) {
    test(`rejects ${JSON.stringify(config)} naming ${field}`, () => {
      assertDomainError(() => resolveOptions(cartPoleType.configOptions, config, 'config'), 'INVALID_ARGUMENT', field);
      assertDomainError(() => new CartPoleBatch(1, config, GYM, 0), 'INVALID_ARGUMENT', field);
    });
  }

  test('describe gives Gymnasium spaces and the step limit', () => {
    const d = cartPoleType.describe(resolveOptions(cartPoleType.configOptions, { max_episode_steps: 200 }, 'config'));
    assert.equal(d.maxEpisodeSteps, 200);
    assert.deepEqual(d.actionSpace, { kind: 'discrete', n: 2, start: 0 });
    assert.equal(d.observationSpace.kind, 'box');
    if (d.observationSpace.kind !== 'box') return;
    assert.deepEqual(d.observationSpace.shape, [4]);
    assert.equal(d.observationSpace.dtype, 'float32');
    assert.deepEqual(d.observationSpace.high, [Math.fround(4.8), Infinity, Math.fround(0.41887902047863906), Infinity]);
    assert.deepEqual(d.observationSpace.low, d.observationSpace.high.map((h) => -h));
    assert.equal(cartPoleType.describe(resolveOptions(cartPoleType.configOptions, {}, 'config')).maxEpisodeSteps, 500);
    assert.equal(cartPoleType.id, 'CartPole-v1');
    assert.equal(cartPoleType.rewardThreshold, 475);
    assert.deepEqual(cartPoleType.rewardFunctions.map((r) => r.name), ['gymnasium', 'sutton_barto', 'terminal_penalty', 'angle_position']);
    assert.equal(cartPoleType.defaultRewardFunction, 'gymnasium');
  });
});

describe('CartPole-v1 batches', () => {
  test('a batch of 64 steps exactly like 64 single envs', () => {
    const n = 64;
    const seed = 1000;
    const config: OptionValues = { kinematics_integrator: 'euler', max_episode_steps: 100 };
    const batch = cartPoleType.create(n, resolveOptions(cartPoleType.configOptions, config, 'config'), GYM, seed) as CartPoleBatch;
    const singles = Array.from({ length: n }, (_, i) => new CartPoleBatch(1, config, GYM, seed + i));
    for (let i = 0; i < n; i++) {
      batch.reset(i, undefined, {});
      singles[i].reset(0, undefined, {});
    }
    const policy = new Rng(7);
    const actions = new Int32Array(n);
    let episodesEnded = 0;
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < n; i++) actions[i] = policy.nextInt(2);
      batch.stepAll(actions);
      for (let i = 0; i < n; i++) {
        const s = singles[i];
        s.step(0, actions[i]);
        assert.deepEqual(Array.from(batch.observations.subarray(4 * i, 4 * i + 4)), Array.from(s.observations), `copy ${i} step ${t}`);
        assert.equal(batch.rewards[i], s.rewards[0]);
        assert.equal(batch.terminated[i], s.terminated[0]);
        assert.equal(batch.truncated[i], s.truncated[0]);
        assert.equal(batch.episodeSteps(i), s.episodeSteps(0));
        if (batch.terminated[i] || batch.truncated[i]) {
          episodesEnded++;
          batch.reset(i, undefined, {});
          s.reset(0, undefined, {});
          assert.deepEqual(Array.from(batch.observations.subarray(4 * i, 4 * i + 4)), Array.from(s.observations));
        }
      }
    }
    assert.ok(episodesEnded > n, `random play should end many episodes, ended ${episodesEnded}`);
    // Copies are independent: their start states differ.
    const starts = new Set<string>();
    const fresh = new CartPoleBatch(n, config, GYM, seed);
    for (let i = 0; i < n; i++) {
      fresh.reset(i, undefined, {});
      starts.add(String(fresh.observations[4 * i]));
    }
    assert.equal(starts.size, n);
  });

  /** The bytes of a typed array, for bit-for-bit comparisons (NaN and -0 included). */
  const bytesOf = (a: Float64Array | Float32Array | Int32Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

  const vectorCases: { label: string; config: Record<string, unknown>; reward: { name: string; params: OptionValues } }[] = [
    { label: 'gymnasium', config: { max_episode_steps: 60 }, reward: GYM },
    { label: 'gymnasium, sutton_barto_reward config, semi-implicit', config: { sutton_barto_reward: true, kinematics_integrator: 'semi-implicit', max_episode_steps: 40 }, reward: GYM },
    { label: 'sutton_barto', config: {}, reward: SUTTON },
    { label: 'terminal_penalty', config: { max_episode_steps: 30 }, reward: { name: 'terminal_penalty', params: { step: 0.25, penalty: -7 } } },
    { label: 'angle_position, custom physics', config: { gravity: 12, length: 0.7, force_mag: 13 }, reward: { name: 'angle_position', params: { alive: 2, angle_weight: 0.3, position_weight: 0.9, failure: -5 } } },
  ];
  for (const { label, config, reward } of vectorCases) {
    test(`stepAll/stepWhere with ended and skipped copies step bit for bit like single envs (${label})`, () => {
      for (const n of [1, 5, 64, 257]) {
        for (const seed of [0, 42, 90_001]) {
          const batch = new CartPoleBatch(n, config, reward, seed);
          const singles = Array.from({ length: n }, (_, i) => new CartPoleBatch(1, config, reward, seed + i));
          for (let i = 0; i < n; i++) {
            batch.reset(i, undefined, {});
            singles[i].reset(0, undefined, {});
          }
          const policy = new Rng(seed + n);
          const actions = new Int32Array(n);
          const skip = new Uint8Array(n);
          let afterTermination = 0;
          let skipped = 0;
          for (let t = 0; t < 120; t++) {
            for (let i = 0; i < n; i++) {
              actions[i] = policy.nextInt(2);
              // Ended copies are reset (skipped this step, as NEXT_STEP autoreset does) or
              // stepped on past termination; some running copies are skipped too.
              const ended = batch.terminated[i] | batch.truncated[i];
              const r = policy.nextInt(4);
              skip[i] = ended ? (r < 2 ? 1 : 0) : r === 0 && t % 3 === 0 ? 1 : 0;
              if (ended && skip[i]) {
                batch.reset(i, undefined, {});
                singles[i].reset(0, undefined, {});
              }
            }
            if (t % 4 === 0) skip.fill(0);
            if (t % 4 === 0) batch.stepAll(actions);
            else batch.stepWhere(actions, skip);
            for (let i = 0; i < n; i++) {
              const s = singles[i];
              if (skip[i]) {
                skipped++;
              } else {
                if (s.terminated[0]) afterTermination++;
                s.step(0, actions[i]);
              }
              const what = `n=${n} seed=${seed} copy ${i} step ${t}`;
              assert.ok(bytesOf(batch.state.subarray(4 * i, 4 * i + 4)).equals(bytesOf(s.state)), `state ${what}`);
              assert.ok(bytesOf(batch.observations.subarray(4 * i, 4 * i + 4)).equals(bytesOf(s.observations)), `observation ${what}`);
              assert.ok(Object.is(batch.rewards[i], s.rewards[0]), `reward ${what}: ${batch.rewards[i]} != ${s.rewards[0]}`);
              assert.equal(batch.terminated[i], s.terminated[0], `terminated ${what}`);
              assert.equal(batch.truncated[i], s.truncated[0], `truncated ${what}`);
              assert.equal(batch.episodeSteps(i), s.episodeSteps(0), `steps ${what}`);
              assert.deepEqual(batch.info(i), s.info(0), `info ${what}`);
            }
          }
          if (n >= 64) {
            assert.ok(afterTermination > 0, `n=${n} seed=${seed}: some copies were stepped after termination`);
            assert.ok(skipped > 0, `n=${n} seed=${seed}: some copies were skipped`);
          }
          // The saved state (PRNGs included) matches too.
          const saved = batch.exportState();
          for (let i = 0; i < n; i++) {
            const one = singles[i].exportState();
            assert.ok(bytesOf(saved.rngs.subarray(8 * i, 8 * i + 8)).equals(bytesOf(one.rngs)), `rng n=${n} seed=${seed} copy ${i}`);
          }
        }
      }
    });
  }

  test('NEXT_STEP autoreset with ended copies: one stepWhere pass gives what copy-by-copy stepping gives', () => {
    for (const n of [2, 33, 512]) {
      for (const seed of [3, 777]) {
        const open = (id: string) =>
          new EnvSession(id, 'alice', cartPoleType, { config: { max_episode_steps: 50 }, rewardFunction: '', rewardParams: undefined, numEnvs: n, renderMode: 'none', autoresetMode: 'next_step', seed }, 4096);
        const fast = open('fast');
        const slow = open('slow');
        // Without stepWhere the session resets and steps the copies one by one.
        (slow.batch as { stepWhere?: unknown }).stepWhere = undefined;
        fast.reset(seed, undefined);
        slow.reset(seed, undefined);
        const policy = new Rng(seed);
        const actions = new Int32Array(n);
        for (let t = 0; t < 150; t++) {
          for (let i = 0; i < n; i++) actions[i] = policy.nextInt(2);
          fast.stepBatch(actions);
          slow.stepBatch(actions);
          const what = `n=${n} seed=${seed} step ${t}`;
          assert.ok(bytesOf(fast.batch.observations).equals(bytesOf(slow.batch.observations)), `observations ${what}`);
          assert.ok(bytesOf(fast.batch.rewards).equals(bytesOf(slow.batch.rewards)), `rewards ${what}`);
          assert.ok(bytesOf(fast.batch.terminated).equals(bytesOf(slow.batch.terminated)), `terminated ${what}`);
          assert.ok(bytesOf(fast.batch.truncated).equals(bytesOf(slow.batch.truncated)), `truncated ${what}`);
          assert.ok(bytesOf(fast.resetMask).equals(bytesOf(slow.resetMask)), `resetMask ${what}`);
        }
        assert.equal(fast.totalSteps, slow.totalSteps);
        assert.equal(fast.totalEpisodes, slow.totalEpisodes);
        assert.ok(fast.totalEpisodes > 2 * n, `episodes ended: ${fast.totalEpisodes}`);
        // Episodes as logged, without their wall-clock times.
        const untimed = (s: EnvSession) => s.episodes.page(0, 0).map((e) => ({ ...e, endTime: 0 }));
        assert.deepEqual(untimed(fast), untimed(slow));
        const [a, b] = [fast.exportState(), slow.exportState()];
        assert.deepEqual(a.batch, b.batch);
        assert.deepEqual(a.ended, b.ended);
      }
    }
  });

  test('stepWhere checks that every stepped copy was reset, and only those', () => {
    const env = new CartPoleBatch(3, {}, GYM, 0);
    env.reset(0, undefined, {});
    env.reset(2, undefined, {});
    const before = Array.from(env.state);
    assertDomainError(() => env.stepWhere([1, 1, 1], new Uint8Array([0, 0, 0])), 'FAILED_PRECONDITION', '');
    assert.deepEqual(Array.from(env.state), before, 'nothing moved');
    env.stepWhere([1, 1, 1], new Uint8Array([0, 1, 0]));
    assert.deepEqual([env.episodeSteps(0), env.episodeSteps(1), env.episodeSteps(2)], [1, 0, 1]);
  });

  test('step(i) touches only copy i', () => {
    const env = new CartPoleBatch(3, {}, GYM, 0);
    for (let i = 0; i < 3; i++) env.reset(i, undefined, { low: 0.01, high: 0.01 });
    env.step(1, 1);
    assert.deepEqual(stateOf(env, 0), [0.01, 0.01, 0.01, 0.01]);
    assert.deepEqual(stateOf(env, 2), [0.01, 0.01, 0.01, 0.01]);
    assert.notDeepEqual(stateOf(env, 1), [0.01, 0.01, 0.01, 0.01]);
    assert.deepEqual([env.episodeSteps(0), env.episodeSteps(1), env.episodeSteps(2)], [0, 1, 0]);
  });
});

describe('CartPole-v1 stepping kernel', () => {
  test("small-angle sin/cos are this engine's Math.sin/Math.cos bit for bit", () => {
    // Node's V8 computes them with fdlibm; if an engine did not, the fast path would switch itself off.
    assert.equal(SMALL_ANGLE_MAX, 0.29, "this engine's Math.sin / Math.cos are not fdlibm's: the small-angle path is off");
    const rng = new Rng(5);
    const lnMin = Math.log(SMALL_ANGLE_MIN);
    const lnMax = Math.log(SMALL_ANGLE_MAX);
    let checked = 0;
    for (let k = 0; k < 400_000; k++) {
      const u = rng.nextFloat();
      const a: number = k % 2 === 0 ? u * SMALL_ANGLE_MAX : Math.exp(lnMin + u * (lnMax - lnMin));
      const x: number = k % 4 < 2 ? a : -a;
      if (!(Math.abs(x) >= SMALL_ANGLE_MIN && Math.abs(x) < SMALL_ANGLE_MAX)) continue;
      checked++;
      if (!Object.is(sinSmall(x), Math.sin(x)) || !Object.is(cosSmall(x), Math.cos(x))) {
        assert.fail(`x = ${x}: sin ${sinSmall(x)} vs ${Math.sin(x)}, cos ${cosSmall(x)} vs ${Math.cos(x)}`);
      }
    }
    assert.ok(checked > 390_000);
    // The ends of the range, and neighbours of CartPole's termination angle.
    for (const x of [SMALL_ANGLE_MIN, 0.28999999999999998, THETA_THRESHOLD_RADIANS, 0.2094395102393195, 1e-8, 0.05]) {
      for (const y of [x, -x]) {
        assert.ok(Object.is(sinSmall(y), Math.sin(y)), `sin ${y}`);
        assert.ok(Object.is(cosSmall(y), Math.cos(y)), `cos ${y}`);
      }
    }
  });

  /** Gymnasium's step written plainly with Math.sin / Math.cos (the reference for the kernel). */
  function referenceStep(s: number[], action: number, semi: boolean): number[] {
    const [x, xDot, theta, thetaDot] = s;
    const force = action === 1 ? 10 : -10;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    const temp = (force + 0.05 * (thetaDot * thetaDot) * sintheta) / 1.1;
    const thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - (0.1 * (costheta * costheta)) / 1.1));
    const xacc = temp - (0.05 * thetaacc * costheta) / 1.1;
    if (!semi) return [x + 0.02 * xDot, xDot + 0.02 * xacc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaacc];
    const nxDot = xDot + 0.02 * xacc;
    const nThetaDot = thetaDot + 0.02 * thetaacc;
    return [x + 0.02 * nxDot, nxDot, theta + 0.02 * nThetaDot, nThetaDot];
  }

  test('stepAll, stepWhere and step equal the Math.sin/Math.cos reference for any angle', () => {
    const special = [0, -0, 1e-300, -5e-324, 2 ** -28, -(2 ** -27), 2 ** -27, 0.29, -0.29, 0.2899999999, 0.3, 0.7853981633974483, 0.8, -1, 3.5, 1e6, -1e300, NaN, Infinity];
    for (const semi of [false, true]) {
      const config = { kinematics_integrator: semi ? 'semi-implicit' : 'euler' };
      const rng = new Rng(semi ? 2 : 1);
      const n = 300;
      const batch = new CartPoleBatch(n, config, GYM, 0);
      const single = new CartPoleBatch(1, config, GYM, 0);
      for (let i = 0; i < n; i++) batch.reset(i, undefined, {});
      single.reset(0, undefined, {});
      for (let round = 0; round < 6; round++) {
        const states: number[][] = [];
        for (let i = 0; i < n; i++) {
          const theta = i < special.length ? special[(i + round) % special.length] : (rng.nextFloat() - 0.5) * (round < 3 ? 0.6 : 8);
          states.push([(rng.nextFloat() - 0.5) * 4, (rng.nextFloat() - 0.5) * 3, theta, (rng.nextFloat() - 0.5) * 6]);
          setState(batch, i, states[i]);
        }
        const actions = Int32Array.from({ length: n }, (_, i) => (i + round) % 3 === 0 ? 0 : 1);
        const skip = Uint8Array.from({ length: n }, (_, i) => (round % 2 === 1 && i % 5 === 0 ? 1 : 0));
        if (round % 2 === 0) batch.stepAll(actions);
        else batch.stepWhere(actions, skip);
        for (let i = 0; i < n; i++) {
          const want = skip[i] ? states[i] : referenceStep(states[i], actions[i], semi);
          const got = stateOf(batch, i);
          for (let k = 0; k < 4; k++) assert.ok(Object.is(got[k], want[k]), `semi=${semi} round ${round} copy ${i} [${k}]: ${got[k]} != ${want[k]} (theta ${states[i][2]})`);
          if (!skip[i]) assert.deepEqual(Array.from(batch.observations.subarray(4 * i, 4 * i + 4)), Array.from(Float32Array.from(want)));
          // step(i) of a single env: the same.
          setState(single, 0, states[i]);
          single.step(0, actions[i]);
          const one = stateOf(single);
          const wantOne = referenceStep(states[i], actions[i], semi);
          for (let k = 0; k < 4; k++) assert.ok(Object.is(one[k], wantOne[k]), `step: semi=${semi} copy ${i} [${k}]`);
        }
      }
    }
  });

  test('exportState/importState: the copies continue bit for bit, generators included; old and bad generator words', () => {
    const n = 37;
    const a = new CartPoleBatch(n, { max_episode_steps: 40 }, GYM, 11);
    for (let i = 0; i < n; i++) a.reset(i, undefined, {});
    const policy = new Rng(3);
    const actions = new Int32Array(n);
    const run = (b: CartPoleBatch, steps: number, rng: Rng) => {
      const out: number[] = [];
      for (let t = 0; t < steps; t++) {
        for (let i = 0; i < n; i++) actions[i] = rng.nextInt(2);
        b.stepAll(actions);
        for (let i = 0; i < n; i++) {
          out.push(b.rewards[i], b.terminated[i], b.truncated[i], b.episodeSteps(i), ...b.observations.subarray(4 * i, 4 * i + 4));
          if (b.terminated[i] | b.truncated[i]) b.reset(i, undefined, {});
        }
      }
      return out;
    };
    run(a, 30, policy);
    // Step some copies past termination so that warnings and steps_beyond_terminated are saved.
    for (let t = 0; t < 40; t++) a.step(0, 1);
    const saved = a.exportState();
    const b = new CartPoleBatch(n, { max_episode_steps: 40 }, GYM, 999);
    b.importState(saved);
    assert.deepEqual(b.info(0), a.info(0));
    assert.deepEqual(b.exportState(), saved);
    const seed = policy.nextInt(1000);
    assert.deepEqual(run(b, 60, new Rng(seed)), run(a, 60, new Rng(seed)));

    // A snapshot from before NumPy's generator (4 words a copy) keeps the physics and this batch's generators.
    const c = new CartPoleBatch(n, { max_episode_steps: 40 }, GYM, 5);
    const own = c.exportState().rngs;
    const current = a.exportState();
    c.importState({ ...current, rngs: new Float64Array(4 * n).fill(7) });
    const cs = c.exportState();
    assert.deepEqual(cs.state, current.state);
    assert.deepEqual(cs.ints, current.ints);
    assert.deepEqual(cs.flags, current.flags);
    assert.deepEqual(cs.rngs, own);
    // Copies whose saved words are no PCG64 state keep their own generator; the others take the saved one.
    const mixed = a.exportState();
    const rngs = Float64Array.from(mixed.rngs);
    rngs[8 * 2 + 4] = 2; // even increment
    rngs[8 * 5] = 0.5; // not an integer
    const d = new CartPoleBatch(n, { max_episode_steps: 40 }, GYM, 77);
    const dOwn = d.exportState().rngs;
    d.importState({ ...mixed, rngs });
    const got = d.exportState().rngs;
    for (let i = 0; i < n; i++) {
      const want = i === 2 || i === 5 ? dOwn : mixed.rngs;
      assert.deepEqual(Array.from(got.subarray(8 * i, 8 * i + 8)), Array.from(want.subarray(8 * i, 8 * i + 8)), `copy ${i}`);
    }
  });

  test('stepAll needs every copy reset, also after a restore of unreset copies', () => {
    const env = new CartPoleBatch(3, {}, GYM, 0);
    const fresh = env.exportState();
    for (let i = 0; i < 3; i++) env.reset(i, undefined, {});
    env.stepAll([1, 0, 1]);
    env.importState(fresh);
    assertDomainError(() => env.stepAll([1, 1, 1]), 'FAILED_PRECONDITION', '');
    env.reset(1, undefined, {});
    assertDomainError(() => env.stepAll([1, 1, 1]), 'FAILED_PRECONDITION', '');
    env.reset(0, undefined, {});
    env.reset(2, undefined, {});
    env.stepAll([1, 1, 1]);
    assert.deepEqual([env.episodeSteps(0), env.episodeSteps(1), env.episodeSteps(2)], [1, 1, 1]);
  });
});

describe('CartPole-v1 render', () => {
  function pixel(f: RgbFrame, row: number, col: number): number[] {
    const k = (row * f.width + col) * 3;
    return [f.data[k], f.data[k + 1], f.data[k + 2]];
  }

  test('rgb_array: a 600x400 frame with track, cart, upright pole and axle', () => {
    const env = envAt(0);
    const f = env.render(0, 'rgb_array') as RgbFrame;
    assert.equal(f.width, SCREEN_WIDTH);
    assert.equal(f.height, SCREEN_HEIGHT);
    assert.equal(f.width, 600);
    assert.equal(f.height, 400);
    assert.equal(f.data.length, 600 * 400 * 3);
    assert.ok(f.data.some((b) => b !== 255), 'not all white');
    assert.deepEqual(pixel(f, 10, 10), [255, 255, 255], 'background');
    // Gymnasium draws at pygame y = 100 (track, cart top at y 85..115) and flips vertically.
    assert.deepEqual(pixel(f, 299, 5), [0, 0, 0], 'track line');
    assert.deepEqual(pixel(f, 399 - 90, 300 - 20), [0, 0, 0], 'cart body');
    assert.deepEqual(pixel(f, 399 - 107, 300), [129, 132, 203], 'axle');
    assert.deepEqual(pixel(f, 399 - 107 - 60, 300), [202, 152, 101], 'pole above the axle');
    assert.deepEqual(pixel(f, 399 - 107 - 60, 300 + 30), [255, 255, 255], 'beside the upright pole');
  });

  test('rgb_array follows the cart and the pole angle', () => {
    const env = envAt(0);
    setState(env, 0, [1.2, 0, 0.2, 0]); // cart at pixel 300 + 1.2 * 125 = 450, pole tilted right
    const f = env.render(0, 'rgb_array') as RgbFrame;
    assert.deepEqual(pixel(f, 399 - 90, 450), [0, 0, 0], 'cart moved right');
    assert.deepEqual(pixel(f, 399 - 90, 300), [255, 255, 255], 'nothing at the centre');
    // A point 100 px up the pole: rotated right by theta.
    const r = 100;
    const col = Math.round(450 + r * Math.sin(0.2));
    const row = Math.round(399 - (107.5 + r * Math.cos(0.2)));
    assert.deepEqual(pixel(f, row, col), [202, 152, 101], 'tilted pole');
    const second = env.render(0, 'rgb_array') as RgbFrame;
    assert.notEqual(second.data, f.data, 'each call returns its own frame');
    assert.deepEqual(second.data, f.data);
  });

  test('ansi: one line with the four state values', () => {
    const env = envAt(0.0125);
    env.step(0, 1);
    const text = env.render(0, 'ansi') as string;
    assert.match(text, /^x=-?\d+\.\d+ x_dot=-?\d+\.\d+ theta=-?\d+\.\d+ theta_dot=-?\d+\.\d+$/);
    const values = [...text.matchAll(/=(-?\d+\.\d+)/g)].map((m) => Number(m[1]));
    assertClose(values, stateOf(env), 1e-6, 'ansi values');
  });
});

test('terminal_penalty pays step per step, the penalty on failure, 0 after it', () => {
  const batch = cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: 'terminal_penalty', params: { step: 1, penalty: -100 } }, 0);
  batch.reset(0, 0, { low: 0, high: 0 });
  const rewards: number[] = [];
  for (let t = 0; t < 60 && batch.terminated[0] === 0; t++) {
    batch.step(0, 1);
    rewards.push(batch.rewards[0]);
  }
  assert.equal(batch.terminated[0], 1);
  assert.deepEqual(rewards.slice(0, -1), new Array(rewards.length - 1).fill(1));
  assert.equal(rewards[rewards.length - 1], -100);
  batch.step(0, 1);
  assert.equal(batch.rewards[0], 0);
});
