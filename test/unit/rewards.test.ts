/**
 * The built-in reward functions against hand-computed values, directly and through the
 * envs, and the reward registry's resolution rules (built-in, plugin, client, ownership).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CartPoleBatch, THETA_THRESHOLD_RADIANS, X_THRESHOLD } from '../../src/core/envs/cartpole.js';
import { CellKind } from '../../src/core/envs/gridworld-maps.js';
import { gridWorldType } from '../../src/core/envs/gridworld.js';
import { envTypes } from '../../src/core/envs/registry.js';
import type { EnvBatch } from '../../src/core/envs/types.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions, type OptionValues } from '../../src/core/options.js';
import {
  anglePositionReward,
  cartPoleRewards,
  gymnasiumReward,
  newCartPoleFacts,
  suttonBartoRewardFunction,
  terminalPenaltyReward,
} from '../../src/core/rewards/cartpole.js';
import { gridDistanceShapingReward, gridSeedReward, gridSeedV2Reward, newGridFacts, setGridCell } from '../../src/core/rewards/gridworld.js';
import { RewardRegistry, type PluginReward } from '../../src/core/rewards/registry.js';

const UP = 0;
const DOWN = 1;
const LEFT = 2;
const RIGHT = 3;
/** small_maze: 13 x 11, S (9, 0), G (9, 12); row 9 is 'S.H..H..H..HG', row 10 '..H.....H....'. */
const W = 13;

function defaults(params: readonly { name: string; default: unknown }[], given: Record<string, unknown> = {}): OptionValues {
  return resolveOptions(params as never, given, 'reward_params');
}

function maze(reward: string, params: Record<string, unknown> = {}, config: Record<string, unknown> = {}): EnvBatch {
  const fn = gridWorldType.rewardFunctions.find((r) => r.name === reward)!;
  return gridWorldType.create(1, resolveOptions(gridWorldType.configOptions, config, 'config'), { name: reward, params: defaults(fn.params, params) }, 0);
}

function assertDomainError(fn: () => unknown, code: string, field?: string, reason?: string): DomainError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    if (reason !== undefined) assert.equal(err.reason, reason, err.message);
    return err;
  }
  assert.fail('expected an error');
}

describe('GridWorld-v0 built-in rewards, hand-computed', () => {
  const facts = newGridFacts({ width: 13, height: 11, goalRow: 9, goalCol: 12 });
  const at = (kind: number, row: number, col: number, nextRow: number, nextCol: number) => {
    setGridCell(facts, kind);
    Object.assign(facts, { row, col, nextRow, nextCol, terminated: kind === CellKind.goal });
    return facts;
  };

  it('seed: goal 0, hazard -200, standard -1 (the start counts as standard), every parameter honoured', () => {
    const p = defaults(gridSeedReward.params);
    assert.equal(gridSeedReward.compute(0, RIGHT, 1, at(CellKind.goal, 9, 11, 9, 12), p), 0);
    assert.equal(gridSeedReward.compute(0, RIGHT, 1, at(CellKind.hazard, 9, 1, 9, 2), p), -200);
    assert.equal(gridSeedReward.compute(0, RIGHT, 1, at(CellKind.standard, 9, 0, 9, 1), p), -1);
    assert.equal(gridSeedReward.compute(0, LEFT, 0, at(CellKind.start, 9, 1, 9, 0), p), -1);
    const q = defaults(gridSeedReward.params, { goal: 10, hazard: -3, standard: -0.5 });
    assert.equal(gridSeedReward.compute(0, 0, 0, at(CellKind.goal, 9, 11, 9, 12), q), 10);
    assert.equal(gridSeedReward.compute(0, 0, 0, at(CellKind.hazard, 9, 1, 9, 2), q), -3);
    assert.equal(gridSeedReward.compute(0, 0, 0, at(CellKind.standard, 9, 0, 9, 1), q), -0.5);
  });

  it('seed_v2: goal 0, hazard -10, standard -0.001', () => {
    const p = defaults(gridSeedV2Reward.params);
    assert.equal(gridSeedV2Reward.compute(0, 0, 0, at(CellKind.goal, 9, 11, 9, 12), p), 0);
    assert.equal(gridSeedV2Reward.compute(0, 0, 0, at(CellKind.hazard, 9, 1, 9, 2), p), -10);
    assert.equal(gridSeedV2Reward.compute(0, 0, 0, at(CellKind.standard, 9, 0, 9, 1), p), -0.001);
  });

  it('distance_shaping: cell reward + scale * (d(s) - gamma * d(s\'))', () => {
    assert.deepEqual(defaults(gridDistanceShapingReward.params), { goal: 0, hazard: -200, standard: -1, gamma: 0.8, scale: 0.1 });
    const p = defaults(gridDistanceShapingReward.params, { scale: 1 }); // gamma 0.8, scale 1
    // S (9,0) -> (9,1): d 12 -> 11: -1 + (12 - 0.8 * 11) = 2.2
    assert.ok(Math.abs(gridDistanceShapingReward.compute(117, RIGHT, 118, at(CellKind.standard, 9, 0, 9, 1), p) - 2.2) < 1e-12);
    // (9,1) -> hazard (9,2): d 11 -> 10: -200 + (11 - 8) = -197
    assert.ok(Math.abs(gridDistanceShapingReward.compute(118, RIGHT, 119, at(CellKind.hazard, 9, 1, 9, 2), p) - -197) < 1e-12);
    // Bumping the left edge on S: d 12 -> 12: -1 + 12 * 0.2 = 1.4
    assert.ok(Math.abs(gridDistanceShapingReward.compute(117, LEFT, 117, at(CellKind.start, 9, 0, 9, 0), p) - 1.4) < 1e-12);
    // (10,12) -> G: d 1 -> 0: 0 + 1 = 1
    assert.equal(gridDistanceShapingReward.compute(142, UP, 129, at(CellKind.goal, 10, 12, 9, 12), p), 1);
    // gamma 1, scale 2: S -> (9,1): -1 + 2 * (12 - 11) = 1; moving away from the goal costs 2 more
    const q = defaults(gridDistanceShapingReward.params, { gamma: 1, scale: 2 });
    assert.equal(gridDistanceShapingReward.compute(117, RIGHT, 118, at(CellKind.standard, 9, 0, 9, 1), q), 1);
    assert.equal(gridDistanceShapingReward.compute(118, LEFT, 117, at(CellKind.start, 9, 1, 9, 0), q), -3);
    assertDomainError(() => defaults(gridDistanceShapingReward.params, { gamma: 1.5 }), 'INVALID_ARGUMENT', 'reward_params.gamma');
  });

  it('the env pays them on the cell entered (seed, seed_v2, distance_shaping)', () => {
    const moves = [RIGHT, RIGHT, LEFT, LEFT, LEFT, DOWN];
    // S(9,0) -> (9,1) . -> (9,2) H -> (9,1) . -> (9,0) S -> off-grid stay on S -> (10,0) .
    const expected: Record<string, number[]> = {
      seed: [-1, -200, -1, -1, -1, -1],
      seed_v2: [-0.001, -10, -0.001, -0.001, -0.001, -0.001],
      // d: 12 -> 11 -> 10 -> 11 -> 12 -> 12 -> 13
      distance_shaping: [-1 + 12 - 8.8, -200 + 11 - 8, -1 + 10 - 8.8, -1 + 11 - 9.6, -1 + 12 - 9.6, -1 + 12 - 10.4],
    };
    for (const [name, want] of Object.entries(expected)) {
      const env = maze(name, name === 'distance_shaping' ? { scale: 1 } : {});
      env.reset(0, 0, {});
      const got = moves.map((a) => {
        env.step(0, a);
        return env.rewards[0];
      });
      got.forEach((r, k) => assert.ok(Math.abs(r - want[k]) < 1e-9, `${name} step ${k}: ${r} vs ${want[k]}`));
    }
  });

  it('distance_shaping keeps the optimal policy: Q_shaped(s, a) = Q_seed(s, a) - Phi(s) on the whole small maze', () => {
    const gamma = 0.8;
    const cfg = resolveOptions(gridWorldType.configOptions, {}, 'config');
    const layout = { width: 13, height: 11 };
    const n = layout.width * layout.height;
    const goal = 9 * W + 12;
    const tables = (name: string) => {
      const fn = gridWorldType.rewardFunctions.find((r) => r.name === name)!;
      const env = gridWorldType.create(1, cfg, { name, params: defaults(fn.params, name === 'distance_shaping' ? { gamma, scale: 1 } : {}) }, 0);
      const next = new Int32Array(n * 4);
      const reward = new Float64Array(n * 4);
      for (let s = 0; s < n; s++) {
        if (s === goal) continue;
        for (let a = 0; a < 4; a++) {
          env.reset(0, undefined, { start_row: Math.floor(s / W), start_col: s % W });
          env.step(0, a);
          next[s * 4 + a] = env.observations[0];
          reward[s * 4 + a] = env.rewards[0];
        }
      }
      const q = new Float64Array(n * 4);
      for (let it = 0; it < 400; it++) {
        for (let s = 0; s < n; s++) {
          if (s === goal) continue;
          for (let a = 0; a < 4; a++) {
            const sn = next[s * 4 + a];
            const v = sn === goal ? 0 : Math.max(q[sn * 4], q[sn * 4 + 1], q[sn * 4 + 2], q[sn * 4 + 3]);
            q[s * 4 + a] = reward[s * 4 + a] + gamma * v;
          }
        }
      }
      return q;
    };
    const base = tables('seed');
    const shaped = tables('distance_shaping');
    for (let s = 0; s < n; s++) {
      if (s === goal) continue;
      const phi = -(Math.abs(Math.floor(s / W) - 9) + Math.abs((s % W) - 12));
      for (let a = 0; a < 4; a++) assert.ok(Math.abs(shaped[s * 4 + a] - (base[s * 4 + a] - phi)) < 1e-6, `s ${s} a ${a}`);
      const argmax = (q: Float64Array) => [0, 1, 2, 3].reduce((best, a) => (q[s * 4 + a] > q[s * 4 + best] + 1e-9 ? a : best), 0);
      assert.equal(argmax(shaped), argmax(base), `greedy action at ${s}`);
    }
  });
});

describe('CartPole-v1 built-in rewards, hand-computed', () => {
  const s = new Float64Array(4);
  const facts = newCartPoleFacts();
  const set = (terminated: boolean, after: boolean) => {
    facts.terminated = terminated;
    facts.afterTermination = after;
    facts.suttonBartoConfig = false;
    return facts;
  };

  it('gymnasium +1 per step including the terminating one, 0 after; sutton_barto 0 / -1 / -1', () => {
    assert.equal(gymnasiumReward.compute(s, 0, s, set(false, false), {}), 1);
    assert.equal(gymnasiumReward.compute(s, 0, s, set(true, false), {}), 1);
    assert.equal(gymnasiumReward.compute(s, 0, s, set(true, true), {}), 0);
    assert.equal(suttonBartoRewardFunction.compute(s, 0, s, set(false, false), {}), 0);
    assert.equal(suttonBartoRewardFunction.compute(s, 0, s, set(true, false), {}), -1);
    assert.equal(suttonBartoRewardFunction.compute(s, 0, s, set(true, true), {}), -1);
  });

  it("terminal_penalty: step (1) per step, penalty (-100) on failure, 0 after; both parameters honoured", () => {
    const p = defaults(terminalPenaltyReward.params);
    assert.equal(terminalPenaltyReward.compute(s, 0, s, set(false, false), p), 1);
    assert.equal(terminalPenaltyReward.compute(s, 0, s, set(true, false), p), -100);
    assert.equal(terminalPenaltyReward.compute(s, 0, s, set(true, true), p), 0);
    const q = defaults(terminalPenaltyReward.params, { step: 0.5, penalty: -7 });
    assert.equal(terminalPenaltyReward.compute(s, 0, s, set(false, false), q), 0.5);
    assert.equal(terminalPenaltyReward.compute(s, 0, s, set(true, false), q), -7);
  });

  it('angle_position: alive - w_theta (theta/12deg)^2 - w_x (x/2.4)^2; failure on the terminating step', () => {
    const p = defaults(anglePositionReward.params);
    const next = new Float64Array([1.2, 3, THETA_THRESHOLD_RADIANS / 2, -2]);
    // 1 - 0.5 * 0.25 - 0.5 * 0.25
    assert.equal(anglePositionReward.compute(s, 0, next, set(false, false), p), 0.75);
    assert.equal(anglePositionReward.compute(s, 0, new Float64Array(4), set(false, false), p), 1);
    next.set([-2.4, 0, -THETA_THRESHOLD_RADIANS, 0]);
    assert.equal(anglePositionReward.compute(s, 0, next, set(false, false), p), 0);
    assert.equal(anglePositionReward.compute(s, 0, next, set(true, false), p), -1);
    assert.equal(anglePositionReward.compute(s, 0, next, set(true, true), p), 0);
    const q = defaults(anglePositionReward.params, { alive: 2, angle_weight: 1, position_weight: 4, failure: -50 });
    next.set([0.6, 0, THETA_THRESHOLD_RADIANS / 4, 0]);
    // 2 - 1 * 1/16 - 4 * 1/16 = 1.6875
    assert.equal(anglePositionReward.compute(s, 0, next, set(false, false), q), 1.6875);
    assert.equal(anglePositionReward.compute(s, 0, next, set(true, false), q), -50);
  });

  it('the env pays angle_position on its new state, and terminal_penalty -100 when the pole falls', () => {
    const env = new CartPoleBatch(1, {}, { name: 'angle_position', params: defaults(anglePositionReward.params) }, 0);
    env.reset(0, undefined, { low: 0.01, high: 0.01 });
    for (let k = 0; k < 200; k++) {
      env.step(0, 1);
      const [x, , theta] = env.state;
      const terminated = Math.abs(x) > X_THRESHOLD || Math.abs(theta) > THETA_THRESHOLD_RADIANS;
      const want = terminated ? -1 : 1 - 0.5 * (theta / THETA_THRESHOLD_RADIANS) ** 2 - 0.5 * (x / X_THRESHOLD) ** 2;
      assert.equal(env.rewards[0], want);
      if (terminated) break;
    }
    assert.equal(env.terminated[0], 1, 'pushing right tips the pole over');
  });

  it('are all listed with their parameters', () => {
    assert.deepEqual([...cartPoleRewards.keys()], ['gymnasium', 'sutton_barto', 'terminal_penalty', 'angle_position']);
    assert.deepEqual(Object.fromEntries(anglePositionReward.params.map((p) => [p.name, p.default])), { alive: 1, angle_weight: 0.5, position_weight: 0.5, failure: -1 });
  });
});

describe('RewardRegistry resolution and ownership', () => {
  const grid = envTypes.get('GridWorld-v0')!;
  const cart = envTypes.get('CartPole-v1')!;
  const plugin: PluginReward = {
    name: 'op_reward',
    description: 'operator',
    params: [{ name: 'k', type: 'number', description: '', default: 2 }],
    envTypes: ['GridWorld-v0'],
    file: '/plugins/op.mjs',
    fn: { name: 'op_reward', description: '', params: [], compute: () => 1 },
  };

  it('lists built-ins then plugins with their origin; resolves each with params defaulted', () => {
    const reg = new RewardRegistry(envTypes, [plugin]);
    assert.deepEqual(reg.listing(grid).map((r) => [r.name, r.origin]), [
      ['seed', 'builtin'],
      ['seed_v2', 'builtin'],
      ['distance_shaping', 'builtin'],
      ['op_reward', 'plugin'],
    ]);
    assert.deepEqual(reg.listing(cart).map((r) => r.origin), ['builtin', 'builtin', 'builtin', 'builtin']);
    const def = reg.resolve(grid, '', undefined, 'alice', '');
    assert.equal(def.name, 'seed');
    assert.equal(def.origin, 'builtin');
    assert.equal(def.impl, undefined);
    const p = reg.resolve(grid, 'op_reward', { k: 3 }, 'alice', '');
    assert.equal(p.origin, 'plugin');
    assert.deepEqual(p.params, { k: 3 });
    assert.equal(p.impl?.kind, 'inline');
    assertDomainError(() => reg.resolve(cart, 'op_reward', undefined, 'alice', ''), 'INVALID_ARGUMENT', 'reward_function', 'UNKNOWN_REWARD_FUNCTION');
    assertDomainError(() => reg.resolve(grid, 'op_reward', { k: 'x' }, 'alice', ''), 'INVALID_ARGUMENT', 'reward_params.k');
  });

  it('refuses plugins that clash with a built-in, with each other, or name an unknown env type', () => {
    assert.throws(() => new RewardRegistry(envTypes, [{ ...plugin, name: 'seed' }]), /\/plugins\/op\.mjs.*built-in/);
    assert.throws(() => new RewardRegistry(envTypes, [plugin, { ...plugin, file: '/plugins/b.mjs' }]), /b\.mjs.*also registered by \/plugins\/op\.mjs/);
    assert.throws(() => new RewardRegistry(envTypes, [{ ...plugin, envTypes: ['Pong-v0'] }]), /unknown env type 'Pong-v0'/);
  });
});
