/**
 * The typed TypeScript client (clients/ts) against a real gymhost on free loopback ports:
 * envs (single and vector), StepStream (lock-step, pipelined, inline errors), agents
 * (the seed's functions, train with cancel, evaluate, export/import), training runs (async
 * train, getRun, listRuns, watchRun, cancelRun, evaluations, keepBest, exportRunCheckpoint)
 * and typed errors.
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { example } from '../../clients/ts/example.js';
import {
  AutoresetMode,
  GymhostClient,
  GymhostError,
  RenderMode,
  RunCheckpoint,
  RunState,
  type EpisodeRecord,
  type RunEvaluation,
  type TrainingRun,
  type WatchRunEvent,
} from '../../clients/ts/index.js';
import type { RunningServer } from '../../src/server/server.js';
import { startTestServer } from '../helpers/server.js';

let server: RunningServer;
let client: GymhostClient;

before(async () => {
  server = await startTestServer();
  client = new GymhostClient({ address: server.grpcAddress, token: 'test-token' });
  await client.waitForReady(10_000);
});

after(async () => {
  client.close();
  await server.close();
});

async function rejectsWith(p: Promise<unknown>, expected: Partial<Pick<GymhostError, 'code' | 'field' | 'reason' | 'status'>>): Promise<GymhostError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GymhostError, `expected a GymhostError, got ${err}`);
    for (const [k, v] of Object.entries(expected)) assert.equal((err as unknown as Record<string, unknown>)[k], v, `${k} of ${err.message}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('envs', () => {
  it('lists the env types', async () => {
    const types = await client.envs.listTypes();
    assert.deepEqual(types.envTypes.map((t) => t.id).sort(), ['Acrobot-v1', 'CartPole-v1', 'CliffWalking-v1', 'FrozenLake-v1', 'FrozenLake8x8-v1', 'GridWorld-v0', 'MountainCar-v0', 'Taxi-v4']);
    assert.equal(types.apiVersion, 'gymhost.v1');
  });

  it('runs a CartPole episode', async () => {
    const env = await client.envs.create({ envId: 'CartPole-v1', seed: 1 });
    assert.equal(env.numEnvs, 1);
    const first = await client.envs.reset(env.id, { options: { low: 0.01, high: 0.01 } });
    assert.ok(first.observation instanceof Float32Array);
    assert.deepEqual(Array.from(first.observation as Float32Array), [0.01, 0.01, 0.01, 0.01].map(Math.fround));
    let steps = 0;
    let done = false;
    while (!done) {
      const r = await client.envs.step(env.id, 1);
      assert.equal(r.reward, 1);
      assert.equal(typeof r.terminated, 'boolean');
      done = r.terminated || r.truncated;
      steps++;
    }
    assert.ok(steps > 5 && steps < 100);
    const session = await client.envs.get(env.id);
    assert.equal(session.totalSteps, steps);
    await client.envs.delete(env.id);
    await rejectsWith(client.envs.get(env.id), { code: 'NOT_FOUND', status: grpc.status.NOT_FOUND });
  });

  it('gives Discrete observations as numbers and info as an object', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
    const r0 = await client.envs.reset(env.id, { seed: 0 });
    assert.equal(r0.observation, 9 * 13);
    assert.deepEqual(r0.info, { row: 9, col: 0, cell: 'start' });
    const r1 = await client.envs.step(env.id, 3);
    assert.equal(r1.observation, 9 * 13 + 1);
    assert.equal(r1.reward, -1);
    const text = await client.envs.render(env.id, { mode: 'ansi' });
    assert.equal(text.text?.trim().split('\n').length, 11);
    await client.envs.delete(env.id);
  });

  it('renders rgb_array frames', async () => {
    const env = await client.envs.create({ envId: 'CartPole-v1', renderMode: RenderMode.RENDER_MODE_RGB_ARRAY });
    await client.envs.reset(env.id, { seed: 0 });
    const { frame } = await client.envs.render(env.id);
    assert.equal(frame?.width, 600);
    assert.equal(frame?.height, 400);
    assert.equal(frame?.data.length, 600 * 400 * 3);
    await client.envs.delete(env.id);
  });

  it('steps a vector session with next-step autoreset', async () => {
    const n = 8;
    const env = await client.envs.create({ envId: 'CartPole-v1', numEnvs: n, seed: 0, autoresetMode: AutoresetMode.AUTORESET_MODE_NEXT_STEP });
    const r0 = await client.envs.reset(env.id, { seed: 0 });
    assert.equal((r0.observation as Float32Array).length, n * 4);
    const left = new Int32Array(n);
    let ended = new Uint8Array(n);
    let autoresets = 0;
    for (let t = 0; t < 60; t++) {
      const r = await client.envs.stepBatch(env.id, left);
      assert.deepEqual(r.shape, [n, 4]);
      assert.ok(r.rewards instanceof Float64Array && r.observations instanceof Float32Array);
      for (let i = 0; i < n; i++) {
        if (ended[i]) {
          assert.equal(r.resetMask[i], 1);
          assert.equal(r.rewards[i], 0);
          assert.equal(r.terminated[i] | r.truncated[i], 0);
          autoresets++;
        }
      }
      ended = r.terminated.map((x, i) => x | r.truncated[i]);
    }
    assert.ok(autoresets >= n);
    await rejectsWith(client.envs.stepBatch(env.id, [0, 1]), { code: 'INVALID_ARGUMENT', reason: 'WRONG_SHAPE' });
    await client.envs.delete(env.id);
  });

  it('lists only live sessions', async () => {
    const env = await client.envs.create({ envId: 'CartPole-v1' });
    assert.ok((await client.envs.list()).some((e) => e.id === env.id));
    await client.envs.delete(env.id);
    assert.ok(!(await client.envs.list()).some((e) => e.id === env.id));
  });
});

describe('StepStream', () => {
  it('pipelines: answers in order equal the unary trajectory', async () => {
    const actions = Array.from({ length: 40 }, (_, i) => (i * 7) % 2);
    const a = await client.envs.create({ envId: 'CartPole-v1' });
    const b = await client.envs.create({ envId: 'CartPole-v1' });
    const opts = { options: { low: 0, high: 0 } };
    await client.envs.reset(a.id, opts);
    const unary = [];
    for (const act of actions) {
      const r = await client.envs.step(a.id, act);
      unary.push(r);
      if (r.terminated || r.truncated) break;
    }
    const stream = client.envs.stream();
    await stream.reset(b.id, opts);
    const piped = await Promise.all(actions.slice(0, unary.length).map((act) => stream.step(b.id, act)));
    assert.equal(stream.inFlight, 0);
    assert.deepEqual(
      piped.map((r) => [Array.from(r.observation as Float32Array), r.reward, r.terminated]),
      unary.map((r) => [Array.from(r.observation as Float32Array), r.reward, r.terminated]),
    );
    await stream.close();
  });

  it('answers errors inline and goes on', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0' });
    const stream = client.envs.stream();
    await rejectsWith(stream.step(env.id, 0), { code: 'FAILED_PRECONDITION', reason: 'STEP_BEFORE_RESET', status: undefined });
    await stream.reset(env.id, { seed: 0 });
    const [bad, good] = await Promise.allSettled([stream.step(env.id, 9), stream.step(env.id, 1)]);
    assert.equal(bad.status, 'rejected');
    assert.equal((bad as PromiseRejectedResult).reason.field, 'action');
    assert.equal(good.status, 'fulfilled');
    const batch = await client.envs.create({ envId: 'GridWorld-v0', numEnvs: 3, config: { world: 'small_moat' } });
    await stream.reset(batch.id, { seed: 0 });
    const r = await stream.stepBatch(batch.id, [3, 1, 3]);
    assert.deepEqual(Array.from(r.observations), [1, 13, 1]);
    await stream.close();
    await client.envs.delete(env.id);
    await client.envs.delete(batch.id);
  });
});

describe('agents', () => {
  it('runs the seed loop with a remote tabular agent', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
    const agent = await client.agents.create({ preset: 'seed-tabular-gridworld', env: env.id, seed: 1 });
    assert.equal(agent.kind, 'tabular');
    let { observation: state } = await client.envs.reset(env.id, { seed: 0 });
    let total = 0;
    let length = 0;
    for (let t = 0; t < 30; t++) {
      const { action } = await client.agents.chooseAction(agent.id, state as number);
      const r = await client.envs.step(env.id, action);
      const u = await client.agents.updateQ(agent.id, { state: state as number, action, reward: r.reward, nextState: r.observation as number, done: r.terminated });
      assert.equal(u.newQ.length, 1);
      total += r.reward;
      length++;
      state = r.observation;
      if (r.terminated || r.truncated) break;
    }
    const end = await client.agents.endEpisode(agent.id, total, length);
    assert.equal(end.record?.episodeReturn, total);
    const history = await client.agents.history(agent.id);
    assert.equal(history.total, 1);
    const { shape } = await client.agents.getQ(agent.id);
    assert.deepEqual(shape, [143, 4]);
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });

  it('trains, evaluates, exports and imports', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'small_maze', random_start: true } });
    const agent = await client.agents.create({ preset: 'seed-tabular-gridworld', env: env.id, seed: 1 });
    let episodes = 0;
    const summary = await client.agents.train(agent.id, { episodes: 200, onEpisode: () => episodes++ });
    assert.equal(summary.episodes, 200);
    assert.equal(episodes, 200);
    assert.equal(summary.cancelled, false);
    const evaluation = await client.agents.evaluate(agent.id, { episodes: 10, seed: 0 });
    assert.equal(evaluation.returns.length, 10);
    const exported = await client.agents.export(agent.id);
    const copy = await client.agents.import(exported.data, env.id);
    assert.deepEqual((await client.agents.getQ(copy.id)).q, (await client.agents.getQ(agent.id)).q);
    await client.agents.delete(copy.id);
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });

  it('cancels training with an AbortSignal', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'large_maze' } });
    const agent = await client.agents.create({ kind: 'tabular', env: env.id, seed: 0 });
    const controller = new AbortController();
    const summary = await client.agents.train(agent.id, {
      episodes: 3000,
      signal: controller.signal,
      onEpisode: (r) => {
        if (r.episode >= 2) controller.abort();
      },
    });
    assert.equal(summary.cancelled, true);
    assert.ok(summary.episodes >= 2 && summary.episodes < 3000);
    for (let i = 0; i < 100 && (await client.agents.get(agent.id)).training; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await client.agents.get(agent.id)).training, false);
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });

  it('chooses actions for Box states (DQN)', async () => {
    const env = await client.envs.create({ envId: 'CartPole-v1' });
    const agent = await client.agents.create({ preset: 'fast-cartpole-dqn', env: env.id, seed: 0 });
    const choice = await client.agents.chooseAction(agent.id, [0, 0, 0, 0], true);
    assert.equal(choice.qValues.length, 2);
    const exported = await client.agents.export(agent.id);
    assert.ok(exported.tfjsModelJson.includes('layers-model'));
    await rejectsWith(client.agents.chooseAction(agent.id, [0, 0]), { code: 'INVALID_ARGUMENT', field: 'state', reason: 'WRONG_SHAPE' });
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });
});

describe('errors and connection', () => {
  it('rejects with typed errors carrying code, field and reason', async () => {
    const env = await client.envs.create({ envId: 'CartPole-v1' });
    await client.envs.reset(env.id, { seed: 0 });
    const err = await rejectsWith(client.envs.step(env.id, 2), { code: 'INVALID_ARGUMENT', field: 'action', reason: 'ACTION_OUT_OF_RANGE', status: grpc.status.INVALID_ARGUMENT });
    assert.match(err.message, /Discrete\(2\)/);
    await rejectsWith(client.envs.create({ envId: 'GridWorld-v0', config: { world: 'tiny' } }), { code: 'INVALID_ARGUMENT', field: 'config.world' });
    await rejectsWith(client.agents.get('nope'), { code: 'NOT_FOUND' });
    await client.envs.delete(env.id);
  });

  it('fails with UNAVAILABLE after retrying an idempotent call against no server', async () => {
    const lonely = new GymhostClient({ address: '127.0.0.1:1', retries: 1, backoffMs: 10, timeoutMs: 2000 });
    try {
      await rejectsWith(lonely.envs.listTypes(), { code: 'UNAVAILABLE', status: grpc.status.UNAVAILABLE });
      await rejectsWith(lonely.waitForReady(100), { code: 'UNAVAILABLE' });
    } finally {
      lonely.close();
    }
  });

  it('enforces deadlines', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'large_maze' } });
    const agent = await client.agents.create({ kind: 'tabular', env: env.id, seed: 0 });
    await rejectsWith(client.agents.evaluate(agent.id, { episodes: 1000, timeoutMs: 20 }), { code: 'DEADLINE_EXCEEDED' });
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });
});

describe('README example', () => {
  it('runs clients/ts/example.ts to completion', async () => {
    const lines: string[] = [];
    const result = await example(server.grpcAddress, (line) => lines.push(line));
    assert.ok(result.cartpoleReturn > 10);
    assert.equal(result.pipelined, 4);
    assert.deepEqual(result.batchShape, [1024, 4]);
    assert.equal(result.trainedEpisodes, 500);
    assert.ok(result.meanReward > -100, `greedy mean reward ${result.meanReward}`);
    assert.equal(result.errorCode, 'INVALID_ARGUMENT');
    assert.equal(lines.length, 5);
  });
});

describe('training runs', () => {
  const LONG_STEPS = 10_000_000;

  async function poll(id: string, ready: (r: TrainingRun) => boolean): Promise<TrainingRun> {
    for (let i = 0; i < 1500; i++) {
      const run = await client.agents.getRun(id);
      if (ready(run)) return run;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`run ${id} never got there`);
  }

  it('starts an async run, follows it with getRun, listRuns and watchRun, and cancels it', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'large_maze' } });
    const agent = await client.agents.create({ kind: 'tabular', env: env.id, seed: 0 });
    const run = await client.agents.train(agent.id, { steps: LONG_STEPS, async: true });
    try {
      assert.ok(run.id);
      assert.equal(run.state, RunState.RUN_STATE_RUNNING);
      assert.equal(run.agent, agent.id);
      assert.equal(run.env, env.id);
      assert.equal(run.request?.steps, LONG_STEPS);
      assert.equal(run.request?.async, true);
      assert.equal(run.endTime, undefined);
      assert.equal((await client.agents.get(agent.id)).training, true);

      const progressed = await poll(run.id, (r) => r.episodes > 0);
      assert.equal(progressed.state, RunState.RUN_STATE_RUNNING);
      assert.ok(progressed.steps >= progressed.episodes);
      assert.deepEqual((await client.agents.listRuns({ agent: agent.id })).map((r) => r.id), [run.id]);
      assert.ok((await client.agents.listRuns({ state: RunState.RUN_STATE_RUNNING })).some((r) => r.id === run.id));
      assert.deepEqual(await client.agents.listRuns({ agent: agent.id, state: RunState.RUN_STATE_SUCCEEDED }), []);

      const events: WatchRunEvent[] = [];
      let cancelled: TrainingRun | undefined;
      for await (const event of client.agents.watchRun(run.id)) {
        events.push(event);
        if (!cancelled && events.filter((e) => e.$case === 'episode').length >= 5) cancelled = await client.agents.cancelRun(run.id);
      }
      assert.ok(cancelled, 'the watch ended before 5 episodes');
      assert.equal(cancelled.state, RunState.RUN_STATE_CANCELLED);
      assert.ok(cancelled.endTime instanceof Date);
      const first = events[0];
      const last = events[events.length - 1];
      assert.ok(first.$case === 'run' && first.value.state === RunState.RUN_STATE_RUNNING);
      assert.ok(last.$case === 'run' && last.value.state === RunState.RUN_STATE_CANCELLED);
      assert.equal(last.value.steps, cancelled.steps);
      const middle = events.slice(1, -1);
      assert.ok(middle.length >= 5 && middle.every((e) => e.$case === 'episode'), middle.map((e) => e.$case).join(','));
      const numbers = middle.map((e) => (e.value as EpisodeRecord).episode);
      assert.deepEqual(numbers, [...new Set(numbers)].sort((a, b) => a - b));

      const again = await client.agents.getRun(run.id);
      assert.equal(again.state, RunState.RUN_STATE_CANCELLED);
      assert.equal(again.steps, cancelled.steps);
      assert.equal((await client.agents.cancelRun(run.id)).state, RunState.RUN_STATE_CANCELLED);
      const after = await client.agents.get(agent.id);
      assert.equal(after.training, false);
      assert.equal(after.totalSteps, cancelled.steps);
      const last2 = await client.agents.exportRunCheckpoint(run.id, 'last');
      assert.equal(last2.steps, again.checkpointSteps);
      await rejectsWith(client.agents.exportRunCheckpoint(run.id), { code: 'FAILED_PRECONDITION' });
    } finally {
      await client.agents.cancelRun(run.id).catch(() => undefined);
      await client.agents.delete(agent.id);
      await client.envs.delete(env.id);
    }
  });

  it('evaluates during training, keeps the best and exports it', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'small_maze', random_start: true } });
    const agent = await client.agents.create({ preset: 'seed-tabular-gridworld', env: env.id, seed: 5 });
    const evaluations: RunEvaluation[] = [];
    let episodes = 0;
    const summary = await client.agents.train(agent.id, {
      episodes: 60,
      evalEverySteps: 300,
      evalEpisodes: 5,
      evalSeed: 3,
      keepBest: true,
      onEpisode: () => episodes++,
      onEvaluation: (e) => evaluations.push(e),
    });
    assert.equal(summary.episodes, 60);
    assert.equal(episodes, 60);
    assert.equal(summary.cancelled, false);
    assert.equal(summary.reachedThreshold, false);
    assert.ok(evaluations.length >= 2);
    assert.deepEqual(evaluations.map((e) => e.index), evaluations.map((_, i) => i));
    assert.equal(evaluations[evaluations.length - 1].steps, summary.steps);
    const best = evaluations.reduce((b, e) => (e.meanReward > b.meanReward ? e : b));
    assert.deepEqual(summary.bestEvaluation, best);

    const run = await client.agents.getRun(summary.run);
    assert.equal(run.state, RunState.RUN_STATE_SUCCEEDED);
    assert.deepEqual(run.evaluations, evaluations);
    assert.equal(run.bestEvaluation, best.index);
    assert.equal(run.request?.keepBest, true);
    // keep_best: the agent holds the best evaluated weights
    const now = await client.agents.evaluate(agent.id, { episodes: 5, seed: 3 });
    assert.equal(now.meanReward, best.meanReward);

    const checkpoint = await client.agents.exportRunCheckpoint(summary.run);
    assert.equal(checkpoint.format, 'gymhost-agent-v1');
    assert.equal(checkpoint.steps, best.steps);
    assert.deepEqual(checkpoint.evaluation, best);
    assert.deepEqual((await client.agents.exportRunCheckpoint(summary.run, RunCheckpoint.RUN_CHECKPOINT_BEST)).data, checkpoint.data);
    const copy = await client.agents.import(checkpoint.data, env.id);
    assert.deepEqual((await client.agents.getQ(copy.id)).q, (await client.agents.getQ(agent.id)).q);
    assert.equal((await client.agents.evaluate(copy.id, { episodes: 5, seed: 3 })).meanReward, best.meanReward);

    // stop_at_mean_reward: the first evaluation reaches it
    const stopped = await client.agents.train(agent.id, { episodes: 500, evalEverySteps: 50, evalEpisodes: 2, stopAtMeanReward: -1e9 });
    assert.equal(stopped.reachedThreshold, true);
    assert.ok(stopped.episodes < 500);
    assert.equal(stopped.bestEvaluation?.index, 0);
    assert.deepEqual((await client.agents.listRuns({ agent: agent.id })).map((r) => r.id), [stopped.run, summary.run]);

    // trainEvents: an evaluation follows the episode it ran after
    let seenEpisodes = 0;
    let seenSteps = 0;
    const kinds: string[] = [];
    for await (const event of client.agents.trainEvents(agent.id, { episodes: 20, evalEverySteps: 200, evalEpisodes: 2 })) {
      kinds.push(event.$case);
      if (event.$case === 'episode') {
        seenEpisodes++;
        seenSteps += event.value.length;
      } else if (event.$case === 'evaluation') {
        assert.equal(event.value.episodes, seenEpisodes);
        assert.equal(event.value.steps, seenSteps);
      }
    }
    assert.equal(kinds[kinds.length - 1], 'summary');
    assert.equal(kinds[kinds.length - 2], 'evaluation');

    await client.agents.delete(copy.id);
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });

  it('names the run of a cancelled blocking train', async () => {
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'large_maze' } });
    const agent = await client.agents.create({ kind: 'tabular', env: env.id, seed: 0 });
    const controller = new AbortController();
    const summary = await client.agents.train(agent.id, { steps: LONG_STEPS, signal: controller.signal, onEpisode: () => controller.abort() });
    assert.equal(summary.cancelled, true);
    assert.ok(summary.run);
    const run = await poll(summary.run, (r) => r.state !== RunState.RUN_STATE_RUNNING);
    assert.equal(run.state, RunState.RUN_STATE_CANCELLED);
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });

  it('rejects unknown runs and options that need evaluations', async () => {
    await rejectsWith(client.agents.getRun('run-nope'), { code: 'NOT_FOUND', field: 'id', reason: 'RUN_NOT_FOUND', status: grpc.status.NOT_FOUND });
    await rejectsWith(client.agents.cancelRun('run-nope'), { code: 'NOT_FOUND' });
    await rejectsWith(client.agents.exportRunCheckpoint('run-nope', 'last'), { code: 'NOT_FOUND' });
    await rejectsWith(
      (async () => {
        for await (const _ of client.agents.watchRun('run-nope'));
      })(),
      { code: 'NOT_FOUND', reason: 'RUN_NOT_FOUND' },
    );
    const env = await client.envs.create({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
    const agent = await client.agents.create({ kind: 'tabular', env: env.id, seed: 0 });
    await rejectsWith(client.agents.train(agent.id, { episodes: 5, keepBest: true }), { code: 'INVALID_ARGUMENT', field: 'keep_best' });
    await rejectsWith(client.agents.train(agent.id, { episodes: 5, keepBest: true, async: true }), { code: 'INVALID_ARGUMENT', field: 'keep_best' });
    await rejectsWith(client.agents.train(agent.id, { episodes: 5, stopAtMeanReward: 0 }), { code: 'INVALID_ARGUMENT', field: 'stop_at_mean_reward' });
    assert.deepEqual(await client.agents.listRuns({ agent: agent.id }), []);
    await client.agents.delete(agent.id);
    await client.envs.delete(env.id);
  });
});
