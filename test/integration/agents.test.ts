import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AgentServiceClient, TrainRequest, type TrainResponse } from '../../src/gen/gymhost/v1/agent_service.js';
import type { RunningServer } from '../../src/server/server.js';
import { http, startTestServer } from '../helpers/server.js';

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close(100));

async function post(path: string, body: unknown = {}) {
  return http(server, 'POST', path, body);
}

async function createEnv(body: Record<string, unknown>): Promise<string> {
  const res = await post('/v1/envs', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id;
}

async function createAgent(body: Record<string, unknown>): Promise<any> {
  const res = await post('/v1/agents', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

function assertError(res: { status: number; body: any }, status: number, code: string, field?: string, text?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code, JSON.stringify(res.body));
  if (field !== undefined) assert.equal(res.body.details[0].field, field, JSON.stringify(res.body));
  if (text) assert.match(res.body.message, text);
}

describe('agent kinds and presets', () => {
  test('agent-kinds lists both kinds with documented hyperparameters and the presets', async () => {
    const res = await http(server, 'GET', '/v1/agent-kinds');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.kinds.map((k: any) => k.kind), ['tabular', 'dqn']);
    const dqn = res.body.kinds[1];
    const lr = dqn.configOptions.find((o: any) => o.name === 'learning_rate');
    assert.equal(lr.type, 'OPTION_TYPE_NUMBER');
    assert.ok(lr.description.length > 5);
    const hidden = dqn.configOptions.find((o: any) => o.name === 'hidden_sizes');
    assert.equal(hidden.type, 'OPTION_TYPE_INT_LIST');
    const names = res.body.presets.map((p: any) => p.name);
    for (const n of ['seed-tabular-gridworld', 'seed-dqn-cartpole', 'fast-cartpole-dqn']) assert.ok(names.includes(n), n);
    const types = await http(server, 'GET', '/v1/env-types');
    const cartpole = types.body.envTypes.find((t: any) => t.id === 'CartPole-v1');
    assert.ok(cartpole.agentPresets.includes('fast-cartpole-dqn'));
  });
});

describe("the seed's loop over REST", () => {
  test('reset -> chooseAction -> step -> updateQ -> endEpisode with a tabular agent (alpha = 1 is the seed update)', async () => {
    const env = await createEnv({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
    const agent = await createAgent({ kind: 'tabular', env, config: { alpha: 1, gamma: 0.9 }, seed: 3 });
    assert.equal(agent.kind, 'tabular');
    assert.equal(agent.env, env);
    assert.equal(agent.config.alpha, 1);
    assert.deepEqual(agent.observationSpace, { discrete: { n: 143, start: 0 } });

    for (let episode = 0; episode < 2; episode++) {
      let state = (await post(`/v1/envs/${env}:reset`, { seed: episode })).body.observation;
      let total = 0;
      let length = 0;
      for (let t = 0; t < 40; t++) {
        const choice = (await post(`/v1/agents/${agent.id}:chooseAction`, { state })).body;
        assert.ok(Number.isInteger(choice.action) && choice.action >= 0 && choice.action < 4);
        assert.equal(choice.qValues.length, 4);
        const step = (await post(`/v1/envs/${env}:step`, { action: choice.action })).body;
        const before = (await post(`/v1/agents/${agent.id}:getQ`, { states: [step.observation] })).body.q[0];
        const update = await post(`/v1/agents/${agent.id}:updateQ`, { state, action: choice.action, reward: step.reward, nextState: step.observation, done: step.terminated });
        assert.equal(update.status, 200, JSON.stringify(update.body));
        const expected = step.terminated ? step.reward : step.reward + 0.9 * Math.max(...before);
        assert.ok(Math.abs(update.body.newQ[0] - expected) < 1e-4, `Q(s,a) = r + gamma * max Q(s') (${update.body.newQ[0]} vs ${expected})`);
        total += step.reward;
        length++;
        state = step.observation;
        if (step.terminated || step.truncated) break;
      }
      const end = await post(`/v1/agents/${agent.id}:endEpisode`, { episodeReturn: total, length });
      assert.equal(end.status, 200, JSON.stringify(end.body));
      assert.equal(end.body.record.episode, episode + 1);
      assert.equal(end.body.record.episodeReturn, total);
    }
    const history = await http(server, 'GET', `/v1/agents/${agent.id}/history`);
    assert.equal(history.body.total, 2);
    assert.equal(history.body.records[1].length, 40);
    const table = await post(`/v1/agents/${agent.id}:getQ`, {});
    assert.equal(table.body.q.length, 143);
    assert.equal(table.body.q[0].length, 4);
  });

  test('train (summary and NDJSON stream), then evaluate greedily from fixed seeds', async () => {
    const env = await createEnv({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
    const agent = await createAgent({ preset: 'seed-tabular-gridworld', env, seed: 1 });
    const summary = await post(`/v1/agents/${agent.id}:train`, { episodes: 300 });
    assert.equal(summary.status, 200, JSON.stringify(summary.body));
    assert.equal(summary.body.episodes, 300);
    assert.equal(summary.body.cancelled, false);
    const streamed = await fetch(`${server.httpAddress}/v1/agents/${agent.id}:train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ episodes: 5, stream: true }),
    });
    assert.equal(streamed.headers.get('content-type'), 'application/x-ndjson');
    const lines = (await streamed.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 6);
    assert.deepEqual(lines.slice(0, 5).map((l) => l.episode.episode), [301, 302, 303, 304, 305]);
    assert.equal(lines[5].summary.episodes, 5);

    const ev = await post(`/v1/agents/${agent.id}:evaluate`, { episodes: 3, seed: 0, recordTrajectories: true });
    assert.equal(ev.status, 200, JSON.stringify(ev.body));
    assert.equal(ev.body.returns.length, 3);
    assert.ok(ev.body.meanReward > -100, `the greedy policy reaches the goal (mean ${ev.body.meanReward})`);
    const traj = ev.body.trajectories[0];
    assert.equal(traj.observations.length, traj.actions.length + 1);
    assert.equal(traj.observations[0], 117, 'starts at (h-2, 0)');
    const envAfter = await http(server, 'GET', `/v1/envs/${env}`);
    assert.ok(envAfter.body.totalSteps > 0, 'training stepped the session');
  });

  test('DQN on CartPole: create from a preset, train briefly, export (tfjs model too), import gives the same Q', async () => {
    const env = await createEnv({ envId: 'CartPole-v1', seed: 0 });
    const agent = await createAgent({ preset: 'fast-cartpole-dqn', env, seed: 0 });
    assert.equal(agent.kind, 'dqn');
    assert.equal(agent.engine, 'fused');
    const summary = await post(`/v1/agents/${agent.id}:train`, { steps: 1500 });
    assert.equal(summary.status, 200, JSON.stringify(summary.body));
    assert.ok(summary.body.steps >= 1500);
    const states = [[0.01, 0.02, 0.03, 0.04], [-0.1, 0.5, 0.05, -0.2]];
    const q = (await post(`/v1/agents/${agent.id}:getQ`, { states })).body.q;
    const exported = await http(server, 'GET', `/v1/agents/${agent.id}:export`);
    assert.equal(exported.status, 200);
    assert.equal(exported.body.format, 'gymhost-agent-v1');
    const model = JSON.parse(exported.body.tfjsModelJson);
    assert.equal(model.format, 'layers-model');
    assert.ok(Buffer.from(exported.body.tfjsWeights, 'base64').length > 1000);
    const imported = await post('/v1/agents:import', { data: exported.body.data, env });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.notEqual(imported.body.id, agent.id);
    const q2 = (await post(`/v1/agents/${imported.body.id}:getQ`, { states })).body.q;
    assert.deepEqual(q2, q);
    const list = await http(server, 'GET', '/v1/agents');
    assert.ok(list.body.agents.some((a: any) => a.id === imported.body.id));
  });
});

describe('exploration', () => {
  test('explored says whether the action was drawn at random', async () => {
    const env = await createEnv({ envId: 'GridWorld-v0' });
    const always = await createAgent({ kind: 'tabular', env, config: { epsilon_start: 1, epsilon_schedule: 'constant' }, seed: 4 });
    const never = await createAgent({ kind: 'tabular', env, config: { epsilon_start: 0, epsilon_schedule: 'constant' }, seed: 4 });
    for (let i = 0; i < 20; i++) {
      const a = (await post(`/v1/agents/${always.id}:chooseAction`, { state: 117 })).body;
      assert.equal(a.explored, true, 'epsilon 1 always explores, even when it draws the greedy action');
      assert.equal(a.epsilon, 1);
      const g = (await post(`/v1/agents/${always.id}:chooseAction`, { state: 117, greedy: true })).body;
      assert.equal(g.explored, false);
      assert.equal(g.action, 0, 'greedy ties go to the lowest action');
      assert.equal((await post(`/v1/agents/${never.id}:chooseAction`, { state: 117 })).body.explored, false);
    }
  });
});

describe('agent errors', () => {
  test('bad kind, preset, hyperparameters and spaces are INVALID_ARGUMENT naming the field', async () => {
    const env = await createEnv({ envId: 'CartPole-v1' });
    assertError(await post('/v1/agents', { kind: 'sarsa', env }), 400, 'INVALID_ARGUMENT', 'kind', /tabular/);
    assertError(await post('/v1/agents', { preset: 'nope', env }), 400, 'INVALID_ARGUMENT', 'preset', /fast-cartpole-dqn/);
    assertError(await post('/v1/agents', { kind: 'dqn', env, config: { learning_rate: -0.1 } }), 400, 'INVALID_ARGUMENT', 'config.learning_rate');
    assertError(await post('/v1/agents', { kind: 'dqn', env, config: { gamma: 1.5 } }), 400, 'INVALID_ARGUMENT', 'config.gamma');
    assertError(await post('/v1/agents', { kind: 'dqn', env, config: { replay_capacity: 0 } }), 400, 'INVALID_ARGUMENT', 'config.replay_capacity');
    assertError(await post('/v1/agents', { kind: 'dqn', env, config: { replay_capacity: 32, batch_size: 64 } }), 400, 'INVALID_ARGUMENT', 'config.batch_size');
    assertError(await post('/v1/agents', { kind: 'dqn', env, config: { hidden_sizes: [4096, 4096, 4096] } }), 400, 'INVALID_ARGUMENT', 'config.hidden_sizes');
    assertError(await post('/v1/agents', { kind: 'dqn', env, config: { optimiser: 'adam' } }), 400, 'INVALID_ARGUMENT', 'config.optimiser', /allowed/);
    assertError(await post('/v1/agents', { kind: 'tabular', env }), 400, 'INVALID_ARGUMENT', undefined, /Discrete/);
    assertError(await post('/v1/agents', { kind: 'dqn', env: 'gone' }), 404, 'NOT_FOUND', 'env');
    assertError(await post('/v1/agents', { kind: 'dqn' }), 400, 'INVALID_ARGUMENT', 'env');
  });

  test('bad states, actions and rewards change nothing', async () => {
    const env = await createEnv({ envId: 'CartPole-v1' });
    const agent = await createAgent({ kind: 'dqn', env, config: { learning_starts: 1, batch_size: 1 }, seed: 1 });
    const q0 = (await post(`/v1/agents/${agent.id}:getQ`, { states: [[0, 0, 0, 0]] })).body.q;
    assertError(await post(`/v1/agents/${agent.id}:chooseAction`, { state: [0, 0, 0] }), 400, 'INVALID_ARGUMENT', 'state');
    assertError(await post(`/v1/agents/${agent.id}:chooseAction`, { state: 3 }), 400, 'INVALID_ARGUMENT', 'state');
    assertError(await post(`/v1/agents/${agent.id}:chooseAction`, {}), 400, 'INVALID_ARGUMENT', 'state');
    const good = { state: [0, 0, 0, 0], action: 1, reward: 1, nextState: [0.1, 0, 0, 0], done: false };
    assertError(await post(`/v1/agents/${agent.id}:updateQ`, { ...good, action: 2 }), 400, 'INVALID_ARGUMENT', 'transition.action');
    assertError(await post(`/v1/agents/${agent.id}:updateQ`, JSON.stringify(good).replace('"reward":1', '"reward":1e999')), 400, 'INVALID_ARGUMENT', 'transition.reward');
    assertError(await post(`/v1/agents/${agent.id}:updateQ`, { ...good, nextState: [0, 0] }), 400, 'INVALID_ARGUMENT', 'transition.next_state');
    assertError(await post(`/v1/agents/${agent.id}:updateQ`, { transitions: [good, { ...good, action: 7 }] }), 400, 'INVALID_ARGUMENT', 'transitions[1].action');
    assertError(await post(`/v1/agents/${agent.id}:endEpisode`, { episodeReturn: 1, length: -1 }), 400, 'INVALID_ARGUMENT', 'length');
    const q1 = (await post(`/v1/agents/${agent.id}:getQ`, { states: [[0, 0, 0, 0]] })).body.q;
    assert.deepEqual(q1, q0, 'rejected updates left the network as it was');
    const hist = await http(server, 'GET', `/v1/agents/${agent.id}/history`);
    assert.equal(hist.body.total, 0);
    const ok = await post(`/v1/agents/${agent.id}:updateQ`, good);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.tdErrors.length, 1);
  });

  test('unknown and deleted agents, agents bound to deleted sessions, busy sessions', async () => {
    assertError(await http(server, 'GET', '/v1/agents/nobody'), 404, 'NOT_FOUND', 'id');
    const env = await createEnv({ envId: 'GridWorld-v0' });
    const agent = await createAgent({ kind: 'tabular', env });
    await http(server, 'DELETE', `/v1/envs/${env}`);
    assertError(await post(`/v1/agents/${agent.id}:train`, { episodes: 1 }), 404, 'NOT_FOUND', 'env', /was deleted/);
    assertError(await post(`/v1/agents/${agent.id}:evaluate`, { episodes: 1 }), 404, 'NOT_FOUND', 'env');
    const env2 = await createEnv({ envId: 'GridWorld-v0' });
    assertError(await post(`/v1/agents/${agent.id}:train`, { env: env2 }), 400, 'INVALID_ARGUMENT', 'episodes');
    assertError(await post(`/v1/agents/${agent.id}:train`, { env: env2, episodes: 1, steps: 5 }), 400, 'INVALID_ARGUMENT', 'episodes');
    const cart = await createEnv({ envId: 'CartPole-v1' });
    assertError(await post(`/v1/agents/${agent.id}:train`, { env: cart, episodes: 1 }), 400, 'INVALID_ARGUMENT', 'env', /spaces/);
    await http(server, 'DELETE', `/v1/agents/${agent.id}`);
    assertError(await post(`/v1/agents/${agent.id}:chooseAction`, { state: 0 }), 404, 'NOT_FOUND', 'id', /was deleted/);
  });
});

describe('Train over gRPC', () => {
  test('streams one message per episode, then the summary; cancelling stops training and frees the session', async () => {
    const client = new AgentServiceClient(server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const env = await createEnv({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
      const agent = await createAgent({ kind: 'tabular', env, seed: 2 });
      const messages: TrainResponse[] = [];
      await new Promise<void>((resolve, reject) => {
        const call = client.train(TrainRequest.fromPartial({ id: agent.id, env: '', episodes: 4, steps: 0, stream: false }));
        call.on('data', (m: TrainResponse) => messages.push(m));
        call.on('error', reject);
        call.on('end', resolve);
      });
      assert.equal(messages.length, 5);
      assert.deepEqual(messages.slice(0, 4).map((m) => (m.event?.$case === 'episode' ? m.event.value.episode : -1)), [1, 2, 3, 4]);
      assert.equal(messages[4].event?.$case, 'summary');

      // A long training, cancelled after a few episodes.
      const seen: number[] = [];
      const call = client.train(TrainRequest.fromPartial({ id: agent.id, env: '', episodes: 5000, steps: 0, stream: false }));
      await new Promise<void>((resolve) => {
        call.on('data', (m: TrainResponse) => {
          if (m.event?.$case === 'episode') seen.push(m.event.value.episode);
          if (seen.length === 3) {
            // While training, the agent and its env refuse clients.
            post(`/v1/agents/${agent.id}:chooseAction`, { state: 0 }).then((r) => {
              assertError(r, 400, 'FAILED_PRECONDITION', undefined, /training/);
              return post(`/v1/envs/${env}:step`, { action: 0 });
            }).then((r) => {
              assertError(r, 400, 'FAILED_PRECONDITION', undefined, /busy/);
              call.cancel();
            });
          }
        });
        call.on('error', (err: grpc.ServiceError) => {
          assert.equal(err.code, grpc.status.CANCELLED);
          resolve();
        });
      });
      // The server notices the cancellation and frees the agent and the session.
      for (let i = 0; i < 50; i++) {
        const got = await http(server, 'GET', `/v1/agents/${agent.id}`);
        if (!got.body.training) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await http(server, 'GET', `/v1/agents/${agent.id}`)).body.training, false);
      assert.equal((await post(`/v1/envs/${env}:reset`, {})).status, 200);
    } finally {
      client.close();
    }
  });
});

describe('Train errors over gRPC', () => {
  test('a Train call that fails validation ends at once with the status', async () => {
    const client = new AgentServiceClient(server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const env = await createEnv({ envId: 'GridWorld-v0' });
      const agent = await createAgent({ kind: 'tabular', env });
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        const call = client.train(TrainRequest.fromPartial({ id: agent.id, env: '', episodes: 0, steps: 0, stream: false }), { deadline: Date.now() + 5000 });
        call.on('data', () => reject(new Error('no data expected')));
        call.on('error', resolve);
        call.on('end', () => reject(new Error('ended without an error')));
      });
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /episodes/);
    } finally {
      client.close();
    }
  });
});
