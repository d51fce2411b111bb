/**
 * Operator reward plugins: loading a directory of .ts/.mjs modules, every kind of broken
 * plugin stopping start-up with a message naming the file and the problem, and a plugin
 * that fails at run time leaving the session as it was.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { envTypes } from '../../src/core/envs/registry.js';
import { DomainError } from '../../src/core/errors.js';
import { loadRewardPlugins, PluginLoadError } from '../../src/core/rewards/plugins.js';
import { RewardRegistry } from '../../src/core/rewards/registry.js';
import { EnvSession } from '../../src/core/sessions/env-session.js';
import { startServer } from '../../src/server/server.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));
const ENV_IDS = [...envTypes.keys()];
const dir = (name: string) => path.join(FIXTURES, name);

async function loadError(name: string): Promise<PluginLoadError | Error> {
  try {
    await loadRewardPlugins(dir(name), ENV_IDS);
  } catch (err) {
    return err as Error;
  }
  assert.fail(`${name} loaded`);
}

describe('reward plugins: loading', () => {
  it('loads every .ts/.mjs module of the directory (skipping _helpers and other files), in name order', async () => {
    const rewards = await loadRewardPlugins(dir('good'), ENV_IDS);
    assert.deepEqual(
      rewards.map((r) => [r.name, r.envTypes, path.basename(r.file)]),
      [
        ['goal_bonus', ['GridWorld-v0'], '10-grid.ts'],
        ['explodes_on_hazard', ['GridWorld-v0'], '10-grid.ts'],
        ['upright_bonus', ['CartPole-v1'], '20-cartpole.mjs'],
      ],
    );
    const goal = rewards[0];
    assert.equal(goal.description, 'The seed rewards with a configurable goal bonus.');
    assert.deepEqual(goal.params.map((p) => [p.name, p.default]), [['bonus', 100], ['hazard', -200]]);
    assert.match(rewards[1].description, /10-grid\.ts/, 'a default description names the file');
  });

  const broken: [string, RegExp][] = [
    ['broken-syntax', /bad\.mjs: cannot be loaded: SyntaxError/],
    ['broken-import-throws', /boom\.mjs: cannot be loaded: cannot find the config this plugin needs/],
    ['broken-empty', /nothing\.mjs: registers no reward functions/],
    ['broken-name', /bad-name\.mjs: reward function #1 'has space': name must be/],
    ['broken-env', /pong\.mjs: reward function #1 'pong_reward': unknown env type 'Pong-v0'/],
    ['broken-duplicate', /b\.mjs: reward function 'twice' for GridWorld-v0 is also registered by .*a\.mjs/],
    ['broken-nan', /nan\.mjs: reward function 'not_a_reward' fails on a sample CartPole-v1 transition: .*returned NaN/],
    ['broken-sample-throws', /throws\.mjs: reward function 'needs_setup' fails on a sample GridWorld-v0 transition: .*threw table not loaded/],
    ['broken-param', /param\.mjs: reward function #1 'bad_param': params\[0\]\.default_value\.scale must be in \[0, 1\], got 5/],
    ['broken-no-compute', /nocompute\.mjs: reward function #1 'no_compute': compute must be a function/],
  ];
  for (const [name, message] of broken) {
    it(`${name}: stops loading with the file and the problem`, async () => {
      const err = await loadError(name);
      assert.ok(err instanceof PluginLoadError, String(err));
      assert.ok(path.isAbsolute(err.file) && err.file.startsWith(dir(name)), err.file);
      assert.match(err.message, /^reward plugin \//);
      assert.match(err.message, message);
    });
  }

  it('a name clashing with a built-in is refused when the registry is built (start-up)', async () => {
    const rewards = await loadRewardPlugins(dir('broken-builtin-clash'), ENV_IDS);
    assert.throws(() => new RewardRegistry(envTypes, rewards), /seed\.mjs: 'seed' is the name of a built-in reward function of GridWorld-v0/);
  });

  it('a missing or non-directory path is an error naming it', async () => {
    await assert.rejects(loadRewardPlugins(dir('nope'), ENV_IDS), /--reward-plugins .*nope: no such directory/);
    await assert.rejects(loadRewardPlugins(path.join(dir('good'), 'README.md'), ENV_IDS), /not a directory/);
  });

  it('startServer refuses to start with a broken plugin directory (nothing is left listening)', async () => {
    await assert.rejects(
      startServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, rewardPlugins: dir('broken-env') }),
      /reward plugin .*pong\.mjs: .*unknown env type 'Pong-v0'/,
    );
    await assert.rejects(startServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, rewardPlugins: dir('broken-builtin-clash') }), /seed\.mjs/);
  });
});

describe('reward plugins: at run time', () => {
  it('plugin rewards are paid per step; a throwing plugin fails the step cleanly and leaves the session as it was', async () => {
    const registry = new RewardRegistry(envTypes, await loadRewardPlugins(dir('good'), ENV_IDS));
    const make = (reward: string, numEnvs = 1, params?: Record<string, unknown>) =>
      new EnvSession('p' + Math.random(), 'alice', envTypes.get('GridWorld-v0')!, {
        config: undefined,
        rewardFunction: reward,
        rewardParams: params,
        numEnvs,
        renderMode: 'none',
        autoresetMode: 'next_step',
        seed: 0,
        rewards: registry,
      }, 100);
    const bonus = make('goal_bonus', 1, { bonus: 50 });
    assert.equal(bonus.rewardOrigin, 'plugin');
    assert.deepEqual(bonus.rewardParams, { bonus: 50, hazard: -200 });
    bonus.reset(0, undefined);
    bonus.step(3);
    assert.equal(bonus.batch.rewards[0], -1);
    bonus.step(3);
    assert.equal(bonus.batch.rewards[0], -200);
    // From (10, 12) up into the goal.
    bonus.reset(0, { start_row: 10, start_col: 12 });
    bonus.step(0);
    assert.equal(bonus.batch.rewards[0], 50);
    assert.equal(bonus.batch.terminated[0], 1);

    const single = make('explodes_on_hazard');
    single.reset(0, undefined);
    single.step(3);
    const before = { obs: Array.from(single.batch.observations), steps: single.batch.episodeSteps(0), total: single.totalSteps, reward: single.batch.rewards[0] };
    assert.throws(
      () => single.step(3),
      (e: DomainError) => e.code === 'FAILED_PRECONDITION' && e.reason === 'REWARD_THREW' && /RangeError: hazard! \(plugin 10-grid\.ts\)/.test(e.message),
    );
    assert.deepEqual({ obs: Array.from(single.batch.observations), steps: single.batch.episodeSteps(0), total: single.totalSteps, reward: single.batch.rewards[0] }, before);

    const vec = make('explodes_on_hazard', 4);
    vec.reset(0, undefined);
    vec.stepBatch([0, 1, 3, 3]); // (8, 0), (10, 0), (9, 1), (9, 1): no hazard
    const snapshot = () => [Array.from(vec.batch.observations), Array.from(vec.batch.rewards), vec.totalSteps, Array.from({ length: 4 }, (_, i) => vec.batch.episodeSteps(i))];
    const saved = snapshot();
    // Right: copies 2 and 3 enter the hazard at (9, 2).
    assert.throws(() => vec.stepBatch([3, 3, 3, 3]), (e: DomainError) => e.reason === 'REWARD_THREW');
    assert.deepEqual(snapshot(), saved);
    vec.setReward('seed', undefined);
    vec.stepBatch([3, 3, 3, 3]);
    assert.deepEqual(Array.from(vec.batch.rewards), [-1, -1, -200, -200]);
  });
});
