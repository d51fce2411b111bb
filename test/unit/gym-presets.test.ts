/**
 * The presets for the Gymnasium toy-text and classic-control envs, trained in-process on a
 * fixed seed: the tabular ones reach their goals with their full budget, the DQN ones
 * improve within a bounded number of steps (their full claims are in their notes).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAgent } from '../../src/core/agents/create-agent.js';
import { presetByName, type AgentPreset } from '../../src/core/agents/presets.js';
import type { Agent } from '../../src/core/agents/types.js';
import { envTypeById } from '../../src/core/envs/registry.js';
import type { EnvBatch } from '../../src/core/envs/types.js';
import { resolveOptions } from '../../src/core/options.js';
import { evaluate, train } from '../../src/core/training/train.js';

/** A single env of the preset's env, config and (unless `reward` is given) reward. */
function envOf(p: AgentPreset, seed: number, reward?: string): EnvBatch {
  const type = envTypeById(p.envId);
  const name = reward ?? p.rewardFunction ?? type.defaultRewardFunction;
  const fn = type.rewardFunctions.find((r) => r.name === name)!;
  const params = resolveOptions(fn.params, reward === undefined ? p.rewardParams : {}, 'reward_params');
  return type.create(1, resolveOptions(type.configOptions, p.envConfig ?? {}, 'config'), { name, params }, seed);
}

async function agentOf(p: AgentPreset, seed: number): Promise<Agent> {
  const type = envTypeById(p.envId);
  const d = type.describe(resolveOptions(type.configOptions, p.envConfig ?? {}, 'config'));
  const grid = type.stateGrid?.(p.envConfig ?? {});
  return createAgent(p.kind, d.observationSpace, (d.actionSpace as { n: number }).n, { ...p.config, seed }, { gridWidth: grid?.width, gridHeight: grid?.height });
}

function preset(name: string): AgentPreset {
  const p = presetByName(name);
  assert.ok(p, name);
  return p;
}

describe('tabular presets reach their goals (seed 0, full budget)', () => {
  for (const [name, episodes, goal] of [
    ['tabular-frozenlake', 1000, (m: number) => m >= 0.7],
    ['tabular-taxi', 100, (m: number) => m >= 7.5],
    ['tabular-cliffwalking', 10, (m: number) => m === -13],
  ] as const) {
    it(name, async () => {
      const p = preset(name);
      const agent = await agentOf(p, 0);
      await train(envOf(p, 0), agent, { episodes: p.trainEpisodes!, seed: 0 });
      const ev = await evaluate(() => envOf(p, 0, 'gymnasium'), agent, { episodes, seed: 1_000_000 });
      assert.ok(goal(ev.mean), `${name}: greedy mean ${ev.mean} over ${episodes} episodes`);
      agent.dispose();
    });
  }
});

describe('DQN presets improve within a bounded number of steps (seed 0)', () => {
  it("dqn-mountaincar: after 20k steps greedy episodes reach the flag (Gymnasium's reward > -200)", async () => {
    const p = preset('dqn-mountaincar');
    const agent = await agentOf(p, 0);
    const before = await evaluate(() => envOf(p, 0, 'gymnasium'), agent, { episodes: 10, seed: 1_000_000 });
    await train(envOf(p, 0), agent, { steps: 20_000, seed: 0 });
    const after = await evaluate(() => envOf(p, 0, 'gymnasium'), agent, { episodes: 10, seed: 1_000_000 });
    assert.equal(before.mean, -200);
    assert.ok(after.mean > -180, `greedy mean ${after.mean} after 20k steps`);
    agent.dispose();
  });

  it('dqn-acrobot: the training return improves within 15k steps', async () => {
    const p = preset('dqn-acrobot');
    const agent = await agentOf(p, 0);
    const s = await train(envOf(p, 0), agent, { steps: 15_000, seed: 0 });
    const returns = s.returns;
    const first = returns.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const last = returns.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(last > first + 100, `mean return of the first 5 episodes ${first}, of the last 5 ${last}`);
    agent.dispose();
  });
});
