/**
 * The Gymnasium ports as env types (FrozenLake, CliffWalking, Taxi, MountainCar, Acrobot):
 * the default reward is Gymnasium's, the shaped ones do what they say, sessions autoreset,
 * state export/import continues exactly, rendering, and plugin rewards roll back.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeGymDynamics } from '../../src/core/envs/gymnasium/catalog.js';
import { envTypes } from '../../src/core/envs/registry.js';
import type { EnvBatch, EnvType, RgbFrame } from '../../src/core/envs/types.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions } from '../../src/core/options.js';
import { acrobotTipHeight } from '../../src/core/rewards/acrobot.js';
import { mountainCarEnergy } from '../../src/core/rewards/mountain-car.js';
import type { RewardFunction } from '../../src/core/rewards/types.js';
import { Rng } from '../../src/core/rng.js';
import { EnvSession } from '../../src/core/sessions/env-session.js';

const IDS = ['FrozenLake-v1', 'FrozenLake8x8-v1', 'CliffWalking-v1', 'Taxi-v4', 'MountainCar-v0', 'Acrobot-v1'];

function typeOf(id: string): EnvType {
  const t = envTypes.get(id);
  assert.ok(t, id);
  return t;
}

function make(id: string, numEnvs: number, seed: number, reward = 'gymnasium', params: Record<string, unknown> = {}, config: Record<string, unknown> = {}): EnvBatch {
  const t = typeOf(id);
  const fn = t.rewardFunctions.find((r) => r.name === reward)!;
  return t.create(numEnvs, resolveOptions(t.configOptions, config, 'config'), { name: reward, params: resolveOptions(fn.params, params, 'reward_params') }, seed);
}

function numActions(b: EnvBatch): number {
  return (b.actionSpace as { n: number }).n;
}

describe('Gymnasium env types', () => {
  for (const id of IDS) {
    it(`${id}: registered with its spaces, render modes, fps and a 'gymnasium' default that pays the port's reward step for step`, () => {
      const t = typeOf(id);
      assert.equal(t.defaultRewardFunction, 'gymnasium');
      assert.ok(t.rewardFunctions.length >= 2, 'a shaped alternative');
      assert.ok(t.renderModes.includes('ansi') && t.renderModes.includes('rgb_array'));
      const b = make(id, 2, 7);
      const dyn = makeGymDynamics(id, 2, {}, 7);
      const rng = new Rng(3);
      for (let i = 0; i < 2; i++) {
        b.reset(i, 100 + i, {});
        dyn.resetCopy(i, 100 + i, {});
      }
      const actions = new Int32Array(2);
      for (let k = 0; k < 400; k++) {
        for (let i = 0; i < 2; i++) actions[i] = rng.nextInt(numActions(b));
        b.stepAll(actions);
        dyn.step(actions);
        assert.deepEqual(Array.from(b.observations), Array.from(dyn.observations));
        assert.deepEqual(Array.from(b.rewards), Array.from(dyn.rewards));
        assert.deepEqual(Array.from(b.terminated), Array.from(dyn.terminated));
        assert.deepEqual(Array.from(b.truncated), Array.from(dyn.truncated));
        for (let i = 0; i < 2; i++) {
          if (b.terminated[i] || b.truncated[i]) {
            b.reset(i, undefined, {});
            dyn.resetCopy(i, undefined, {});
          }
        }
      }
    });

    it(`${id}: exportState / importState continue exactly (paid rewards included) and reject other shapes`, () => {
      const a = make(id, 3, 11, t2(id));
      for (let i = 0; i < 3; i++) a.reset(i, 50 + i, {});
      a.stepAll([0, 1, 2].map((x) => x % numActions(a)));
      const b = make(id, 3, 999, t2(id));
      b.importState(a.exportState());
      assert.deepEqual(Array.from(b.rewards), Array.from(a.rewards));
      const rng = new Rng(5);
      for (let k = 0; k < 60; k++) {
        const acts = [0, 1, 2].map(() => rng.nextInt(numActions(a)));
        a.stepAll(acts);
        b.stepAll(acts);
        for (let i = 0; i < 3; i++) {
          if (a.terminated[i] || a.truncated[i]) {
            a.reset(i, undefined, {});
            b.reset(i, undefined, {});
          }
        }
      }
      assert.deepEqual(Array.from(b.observations), Array.from(a.observations));
      assert.deepEqual(Array.from(b.rewards), Array.from(a.rewards));
      assert.throws(() => make(id, 2, 1).importState(a.exportState()));
      const { paid: _paid, ...withoutPaid } = a.exportState();
      assert.throws(() => make(id, 3, 1).importState(withoutPaid));
    });

    it(`${id}: renders ansi text and an RGB frame, and not before reset`, () => {
      const b = make(id, 1, 1);
      assert.throws(() => b.render(0, 'ansi'), (e: unknown) => e instanceof DomainError && e.code === 'FAILED_PRECONDITION');
      assert.throws(() => b.step(0, 0), (e: unknown) => e instanceof DomainError && e.code === 'FAILED_PRECONDITION');
      b.reset(0, 0, {});
      b.step(0, 1);
      assert.equal(typeof b.render(0, 'ansi'), 'string');
      const f = b.render(0, 'rgb_array') as RgbFrame;
      assert.ok(f.width > 100 && f.height > 100);
      assert.equal(f.data.length, f.width * f.height * 3);
      assert.ok(f.data.some((v) => v !== f.data[0]), 'not a blank frame');
      const out: number[] = [];
      b.drawState(0, out);
      assert.equal(out.length, (b.scene().state_names as string[]).length);
    });

    it(`${id}: a vector session autoresets (next_step and same_step)`, () => {
      for (const autoresetMode of ['next_step', 'same_step'] as const) {
        // CliffWalking has no step limit by default: give it one so that random walks end.
        const config = id === 'CliffWalking-v1' ? { max_episode_steps: 50 } : undefined;
        const s = new EnvSession('v', 'alice', typeOf(id), { config, rewardFunction: '', rewardParams: undefined, numEnvs: 3, renderMode: 'none', autoresetMode, seed: 4 }, 64);
        s.reset(4, undefined);
        const rng = new Rng(9);
        let resets = 0;
        for (let k = 0; k < 1500 && resets === 0; k++) {
          s.stepBatch([0, 1, 2].map(() => rng.nextInt(numActions(s.batch))));
          if (autoresetMode === 'next_step') resets += s.resetMask.reduce((x, y) => x + y, 0);
          else resets += s.batch.terminated.reduce((x, y) => x + y, 0) + s.batch.truncated.reduce((x, y) => x + y, 0);
        }
        assert.ok(resets > 0, `${autoresetMode}: an episode ended and was reset`);
      }
    });
  }

  it('a plugin reward that throws rolls every copy back (tabular and vector states)', () => {
    for (const id of ['Taxi-v4', 'Acrobot-v1']) {
      const b = make(id, 2, 3);
      b.reset(0, 1, {});
      b.reset(1, 2, {});
      let calls = 0;
      const fn: RewardFunction<unknown, unknown> = {
        name: 'flaky',
        description: '',
        params: [],
        compute: () => {
          if (++calls === 2) throw new Error('boom');
          return 1;
        },
      };
      (b as unknown as { setReward(n: string, p: object, impl: object): void }).setReward('flaky', {}, { kind: 'inline', fn, origin: 'plugin' });
      const before = b.exportState();
      assert.throws(() => b.stepAll([1, 1]), /boom/);
      assert.deepEqual(b.exportState(), before);
      b.stepAll([1, 1]);
      assert.deepEqual(Array.from(b.rewards), [1, 1]);
    }
  });
});

/** A shaped reward of each env, so export/import is checked with a non-default reward too. */
function t2(id: string): string {
  return typeOf(id).rewardFunctions[1].name;
}

describe('Gymnasium env types: built-in rewards', () => {
  /** Rewards of one seeded random episode under `reward`, with the states before and after each step. */
  function episode(id: string, reward: string, params: Record<string, unknown>, actions: (k: number) => number, steps: number) {
    const b = make(id, 1, 0, reward, params);
    const g = make(id, 1, 0);
    b.reset(0, 21, {});
    g.reset(0, 21, {});
    const out: { r: number; g: number; terminated: boolean }[] = [];
    for (let k = 0; k < steps; k++) {
      b.step(0, actions(k));
      g.step(0, actions(k));
      out.push({ r: b.rewards[0], g: g.rewards[0], terminated: b.terminated[0] === 1 });
      if (b.terminated[0] || b.truncated[0]) break;
    }
    return out;
  }

  it("CliffWalking cliff_costs and Taxi event_costs with default params pay Gymnasium's reward", () => {
    const rng = new Rng(1);
    const acts = Array.from({ length: 300 }, () => rng.nextInt(6));
    for (const [id, name, n] of [['CliffWalking-v1', 'cliff_costs', 4], ['Taxi-v4', 'event_costs', 6]] as const) {
      for (const s of episode(id, name, {}, (k) => acts[k] % n, 300)) assert.equal(s.r, s.g);
    }
  });

  it('CliffWalking cliff_costs pays its cliff cost; FrozenLake hole_penalty pays the hole', () => {
    // Right from the start is the cliff.
    assert.equal(episode('CliffWalking-v1', 'cliff_costs', { cliff: -7 }, () => 1, 1)[0].r, -7);
    // Slippery: walk down until the episode ends.
    const lake = episode('FrozenLake-v1', 'hole_penalty', {}, () => 1, 100);
    const last = lake[lake.length - 1];
    if (last.terminated) assert.equal(last.r, last.g === 1 ? 1 : -1);
    for (const s of lake.slice(0, -1)) assert.equal(s.r, -0.01);
  });

  it('potential shaping with gamma 1 changes an episode\'s return by -scale * phi(s0) only', () => {
    const b = make('MountainCar-v0', 1, 0, 'energy', { scale: 2, gamma: 1 });
    b.reset(0, 3, {});
    const phi0 = mountainCarEnergy((b as unknown as { dynamics: { physics: Float64Array } }).dynamics.physics[0], 0);
    let shaped = 0;
    let steps = 0;
    for (;;) {
      b.step(0, 2);
      shaped += b.rewards[0];
      steps++;
      if (b.truncated[0] || b.terminated[0]) break;
    }
    const dyn = (b as unknown as { dynamics: { physics: Float64Array } }).dynamics.physics;
    const phiEnd = b.terminated[0] ? 0 : mountainCarEnergy(dyn[0], dyn[1]);
    assert.ok(Math.abs(shaped - (-steps + 2 * (phiEnd - phi0))) < 1e-9);

    const a = make('Acrobot-v1', 1, 0, 'height', { scale: 3, gamma: 1 });
    a.reset(0, 3, {});
    const p = (a as unknown as { dynamics: { physics: Float64Array } }).dynamics.physics;
    const h0 = acrobotTipHeight(p);
    let total = 0;
    for (let k = 0; k < 30; k++) {
      a.step(0, k % 3);
      total += a.rewards[0];
    }
    assert.ok(Math.abs(total - (-30 + 3 * (acrobotTipHeight(p) - h0))) < 1e-9);

    for (const s of episode('FrozenLake-v1', 'distance_shaping', { gamma: 1 }, () => 2, 100)) assert.ok(Number.isFinite(s.r));
  });
});
