import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAgent, importAgent } from '../../src/core/agents/create-agent.js';
import type { TabularAgent } from '../../src/core/agents/tabular.js';
import type { Agent, AgentSnapshot, EpisodeRecord, Transition } from '../../src/core/agents/types.js';
import { cartPoleType } from '../../src/core/envs/cartpole.js';
import { gridWorldType } from '../../src/core/envs/gridworld.js';
import type { EnvBatch } from '../../src/core/envs/types.js';
import { DomainError } from '../../src/core/errors.js';
import { resolveOptions } from '../../src/core/options.js';
import { withTerminalReward } from '../../src/core/training/reward-wrappers.js';
import { evaluate, train, type TrainLoopState } from '../../src/core/training/train.js';

function gridEnv(config: Record<string, unknown> = {}, seed = 0, numEnvs = 1): EnvBatch {
  const reward = { name: 'seed', params: resolveOptions(gridWorldType.rewardFunctions[0].params, {}, 'reward.params') };
  return gridWorldType.create(numEnvs, resolveOptions(gridWorldType.configOptions, config, 'config'), reward, seed);
}

function cartPole(seed = 0): EnvBatch {
  return cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: 'gymnasium', params: {} }, seed);
}

async function assertInvalid(fn: () => Promise<unknown>, field: string): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof DomainError, String(err));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** An agent that records every call and delegates to `inner`. */
function spy(inner: Agent): Agent & { transitions: Transition[]; ends: [number, number][]; chosen: boolean[] } {
  const transitions: Transition[] = [];
  const ends: [number, number][] = [];
  const chosen: boolean[] = [];
  return Object.assign(Object.create(inner) as Agent, {
    transitions,
    ends,
    chosen,
    chooseAction(state: ArrayLike<number>, explore: boolean, q: Float32Array) {
      chosen.push(explore);
      return inner.chooseAction(state, explore, q);
    },
    updateQ(t: Transition) {
      transitions.push({ ...t, state: Array.from(t.state), nextState: Array.from(t.nextState) });
      return inner.updateQ(t);
    },
    endEpisode(r: number, len: number) {
      ends.push([r, len]);
      return inner.endEpisode(r, len);
    },
  });
}

describe('train: the seed loop in-process', () => {
  it('runs the budget in episodes and reports every episode', async () => {
    const env = gridEnv({ world: 'small_moat' }, 0);
    const agent = await createAgent('tabular', env.observationSpace, 4, { gamma: 0.8, epsilon_start: 0.2, seed: 0 });
    const seen: EpisodeRecord[] = [];
    const s = await train(env, agent, { episodes: 30, seed: 0, onEpisode: (r) => void seen.push(r) });
    assert.equal(s.episodes, 30);
    assert.equal(s.cancelled, false);
    assert.deepEqual(seen, agent.history);
    assert.deepEqual(s.returns, agent.history.map((r) => r.return));
    assert.deepEqual(s.lengths, agent.history.map((r) => r.length));
    assert.equal(s.steps, agent.totalSteps);
    assert.equal(s.lastReturn, s.returns[29]);
    assert.ok(Math.abs(s.meanReturn100 - s.returns.reduce((a, b) => a + b) / 30) < 1e-9);
    assert.deepEqual(seen.map((r) => r.episode), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.ok(seen.every((r) => r.wallTimeMs >= 0 && r.epsilon === 0.2));
    // Tabular episodes report their mean squared TD error as the loss: finite, never negative.
    assert.ok(seen.every((r) => Number.isFinite(r.loss) && r.loss >= 0), 'tabular loss is the mean squared TD error');
  });

  it('a steps budget stops at exactly that many steps, ending the episode in progress there', async () => {
    for (const budget of [1000, 1234, 7]) {
      const env = gridEnv({ world: 'small_moat' }, 0);
      const agent = await createAgent('tabular', env.observationSpace, 4, { seed: 0 });
      const s = await train(env, agent, { steps: budget, seed: 0 });
      assert.equal(s.steps, budget);
      assert.equal(s.lengths.reduce((a, b) => a + b), budget);
      assert.equal(agent.history.length, s.episodes, 'the cut episode is recorded');
      assert.equal(agent.totalSteps, budget);
    }
  });

  it('a run checkpointed between episodes and resumed from there ends exactly as the uninterrupted run (evaluations included)', async () => {
    const options = { steps: 3000, evaluation: { everySteps: 700, episodes: 3, seed: 50, env: () => gridEnv({ world: 'small_moat' }, 0) } };
    const fresh = async () => {
      const env = gridEnv({ world: 'small_moat' }, 4);
      const agent = await createAgent('tabular', env.observationSpace, 4, { seed: 3, epsilon_start: 0.3 });
      return { env, agent };
    };
    // Uninterrupted, saving every checkpoint (a fake clock makes every episode end a checkpoint).
    const whole = await fresh();
    let tick = 0;
    const saved: { loop: TrainLoopState; agent: AgentSnapshot; env: ReturnType<typeof whole.env.exportState> }[] = [];
    const full = await train(whole.env, whole.agent, {
      ...options,
      now: () => (tick += 1000),
      checkpointEveryMs: 1000,
      onCheckpoint: (loop) => void saved.push({ loop, agent: whole.agent.exportSnapshot(), env: whole.env.exportState() }),
    });
    assert.ok(saved.length >= 3, `${saved.length} checkpoints`);
    // Resume from a checkpoint in the middle, in fresh objects.
    const mid = saved[Math.floor(saved.length / 2)];
    const again = await fresh();
    const agent = await importAgent(mid.agent);
    again.env.importState(mid.env);
    const rest = await train(again.env, agent, { ...options, resume: mid.loop });
    assert.equal(rest.state.steps, full.state.steps);
    assert.equal(rest.state.episodes, full.state.episodes);
    assert.deepEqual(rest.evaluations.map((e) => [e.steps, e.mean]), full.evaluations.map((e) => [e.steps, e.mean]));
    assert.deepEqual((agent as TabularAgent).table, (whole.agent as TabularAgent).table);
    assert.deepEqual(agent.history.map((r) => r.return), whole.agent.history.map((r) => r.return));
  });

  it('stop_at_mean_reward stops at the first evaluation that reaches it; the best evaluation is the highest (earliest on ties)', async () => {
    const env = gridEnv({ world: 'small_moat' }, 4);
    const agent = await createAgent('tabular', env.observationSpace, 4, { seed: 3 });
    const bests: number[] = [];
    const s = await train(env, agent, {
      steps: 200_000,
      evaluation: { everySteps: 500, episodes: 2, seed: 9, env: () => gridEnv({ world: 'small_moat' }, 0), stopAtMeanReward: -30, onEvaluation: (e, best) => void (best && bests.push(e.index)) },
    });
    assert.ok(s.reachedThreshold);
    const last = s.evaluations[s.evaluations.length - 1];
    assert.ok(last.mean >= -30);
    assert.ok(s.evaluations.slice(0, -1).every((e) => e.mean < -30), 'no earlier evaluation reached it');
    assert.ok(s.state.steps < 200_000);
    const top = Math.max(...s.evaluations.map((e) => e.mean));
    assert.equal(s.bestEvaluation, s.evaluations.findIndex((e) => e.mean === top));
    assert.equal(bests[bests.length - 1], s.bestEvaluation);
  });

  it("done = terminated only: a truncated episode's last transition bootstraps", async () => {
    const env = gridEnv({ world: 'small_moat', max_episode_steps: 5 }, 0);
    const agent = spy(await createAgent('tabular', env.observationSpace, 4, { epsilon_start: 1, seed: 0 }));
    await train(env, agent, { episodes: 3, seed: 0 });
    assert.equal(agent.transitions.length, 15);
    assert.ok(agent.transitions.every((t) => t.done === false));
    assert.deepEqual(agent.ends.map((e) => e[1]), [5, 5, 5]);
    assert.ok(agent.chosen.every((x) => x === true), 'training explores');
    // Consecutive transitions chain: s' of one is s of the next within an episode.
    for (let k = 1; k < 5; k++) assert.deepEqual(agent.transitions[k].state, agent.transitions[k - 1].nextState);
    // Reaching the goal: done = true on the last transition.
    const goal = gridEnv({ map: 'S.G\n...' }, 0);
    const g = spy(await createAgent('tabular', goal.observationSpace, 4, { epsilon_start: 0, seed: 0, q_init: 0 }));
    g.updateQ({ state: [1], action: 3, reward: 5, nextState: [2], done: true });
    g.updateQ({ state: [0], action: 3, reward: 0, nextState: [1], done: false });
    g.transitions.length = 0;
    await train(goal, g, { episodes: 1, seed: 0 });
    assert.deepEqual(g.transitions.map((t) => t.done), [false, true]);
  });

  it('maxSteps ends an episode early as a truncation', async () => {
    const env = gridEnv({ world: 'small_maze' }, 0);
    const agent = spy(await createAgent('tabular', env.observationSpace, 4, { epsilon_start: 1, seed: 0 }));
    const s = await train(env, agent, { episodes: 4, seed: 0, maxSteps: 7 });
    assert.deepEqual(s.lengths, [7, 7, 7, 7]);
    assert.ok(agent.transitions.every((t) => !t.done));
  });

  it('equal seeds give equal runs', async () => {
    const run = async () => {
      const env = cartPole(3);
      const agent = await createAgent('dqn', env.observationSpace, 2, { hidden_sizes: [16], learning_starts: 50, batch_size: 16, seed: 3, engine: 'fused' });
      const s = await train(env, agent, { episodes: 15, seed: 3 });
      return { returns: s.returns, q: Array.from(agent.qValues(Float32Array.of(0.01, 0.02, 0.03, 0.04), 1)) };
    };
    assert.deepEqual(await run(), await run());
  });

  it('stays responsive and stops on an AbortSignal, ending the running episode', async () => {
    const env = cartPole(0);
    const agent = await createAgent('dqn', env.observationSpace, 2, { hidden_sizes: [64, 64], learning_starts: 0, batch_size: 64, train_every: 1, seed: 0, engine: 'fused' });
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 300);
    const s = await train(env, agent, { episodes: 100_000, seed: 0, signal: controller.signal, yieldEveryMs: 10 });
    const stoppedAfter = performance.now() - abortedAt;
    clearInterval(timer);
    assert.equal(s.cancelled, true);
    assert.ok(s.episodes < 100_000);
    assert.ok(stoppedAfter < 250, `stopped ${stoppedAfter.toFixed(0)} ms after the abort`);
    assert.ok(ticks >= 5, `the event loop ran timers while training (${ticks} ticks)`);
    assert.equal(agent.history.length, s.episodes, 'the interrupted episode was ended');
    assert.equal(s.steps, agent.totalSteps);
    // Already aborted: nothing runs.
    const none = await train(env, agent, { episodes: 5, signal: AbortSignal.abort() });
    assert.equal(none.episodes, 0);
    assert.equal(none.cancelled, true);
  });

  it('checks its inputs', async () => {
    const env = gridEnv({}, 0);
    const agent = await createAgent('tabular', env.observationSpace, 4, { seed: 0 });
    await assertInvalid(() => train(env, agent, { episodes: 2, steps: 10 }), 'episodes');
    await assertInvalid(() => train(env, agent, {}), 'episodes');
    await assertInvalid(() => train(env, agent, { episodes: 0 }), 'episodes');
    await assertInvalid(() => train(env, agent, { steps: 1.5 }), 'steps');
    await assertInvalid(() => train(gridEnv({}, 0, 2), agent, { episodes: 1 }), 'env');
    await assertInvalid(() => train(gridEnv({ world: 'large_maze' }, 0), agent, { episodes: 1 }), 'env');
    await assertInvalid(() => train(cartPole(), agent, { episodes: 1 }), 'env');
    assert.equal(agent.totalSteps, 0);
  });
});

describe('evaluate', () => {
  it('greedy episodes from seed + i, without changing the agent', async () => {
    const env = cartPole(0);
    const agent = await createAgent('dqn', env.observationSpace, 2, { hidden_sizes: [16], learning_starts: 50, batch_size: 16, seed: 1, engine: 'fused' });
    await train(env, agent, { episodes: 10, seed: 1 });
    const before = JSON.stringify({ s: agent.exportSnapshot().state, q: Array.from(agent.qValues(Float32Array.of(0, 0, 0, 0), 1)) });
    const a = await evaluate(() => cartPole(99), agent, { episodes: 5, seed: 40, recordTrajectories: true });
    const b = await evaluate(cartPole(7), agent, { episodes: 5, seed: 40 });
    assert.equal(JSON.stringify({ s: agent.exportSnapshot().state, q: Array.from(agent.qValues(Float32Array.of(0, 0, 0, 0), 1)) }), before);
    assert.deepEqual(a.returns, b.returns);
    assert.equal(b.trajectories, undefined);
    assert.equal(a.returns.length, 5);
    const mean = a.returns.reduce((x, y) => x + y) / 5;
    assert.ok(Math.abs(a.mean - mean) < 1e-9);
    assert.ok(Math.abs(a.std - Math.sqrt(a.returns.reduce((acc, x) => acc + (x - mean) ** 2, 0) / 5)) < 1e-9);
    assert.equal(a.min, Math.min(...a.returns));
    assert.equal(a.max, Math.max(...a.returns));
    // Episode i starts from reset(seed + i).
    const probe = cartPole(0);
    const t = a.trajectories;
    assert.ok(t);
    for (let i = 0; i < 5; i++) {
      probe.reset(0, 40 + i, {});
      assert.deepEqual(Array.from(t[i].observations.subarray(0, 4)), Array.from(probe.observations));
      assert.equal(t[i].observations.length, (a.lengths[i] + 1) * 4);
      assert.equal(t[i].actions.length, a.lengths[i]);
      assert.equal(t[i].rewards.reduce((x, y) => x + y), a.returns[i]);
      assert.ok(t[i].observations instanceof Float32Array);
    }
    // Discrete observations keep their dtype.
    const tab = await createAgent('tabular', gridEnv().observationSpace, 4, { seed: 0 });
    const g = await evaluate(gridEnv({ max_episode_steps: 3 }), tab, { episodes: 1, recordTrajectories: true });
    assert.ok(g.trajectories?.[0].observations instanceof Int32Array);
    assert.equal(g.lengths[0], 3);
  });
});

describe('withTerminalReward', () => {
  it('replaces the reward of terminating steps only', () => {
    const env = withTerminalReward(cartPole(0), -100);
    env.reset(0, 0, {});
    const rewards: number[] = [];
    for (let k = 0; k < 200 && !env.terminated[0]; k++) {
      env.step(0, 1);
      rewards.push(env.rewards[0]);
    }
    assert.equal(env.terminated[0], 1);
    assert.equal(rewards[rewards.length - 1], -100);
    assert.ok(rewards.slice(0, -1).every((r) => r === 1));
    assert.equal(env.observationSpace.kind, 'box');
  });
});
