/**
 * Heavy and untrusted work runs on worker threads: a reward plugin that never returns fails
 * its call and the server goes on; a Train run waits for a client that does not read its
 * episodes (backpressure); a gRPC deadline stops a run; the request thread answers while
 * workers are busy. No test here measures time: each waits for an event or a state.
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import http2 from 'node:http2';
import { AgentServiceClient, TrainRequest } from '../../src/gen/gymhost/v1/agent_service.js';
import type { RunningServer } from '../../src/server/server.js';
import { http, startTestServer } from '../helpers/server.js';

const HANGING = fileURLToPath(new URL('../fixtures/plugins/hanging', import.meta.url));
/** A 2x2 world whose goal is one step right of the start. */
const TINY = 'SG\n..';

let server: RunningServer;
before(async () => {
  server = await startTestServer({}, { rewardPlugins: HANGING, pluginCallMs: 300, workers: 2 });
});
after(() => server.close(100));

async function created(path: string, body: unknown): Promise<any> {
  const res = await http(server, 'POST', path, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const poll = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a reward plugin that never returns', () => {
  test('fails its call with a clear error while the server keeps serving, and sessions elsewhere go on', async () => {
    const hung = await created('/v1/envs', { envId: 'GridWorld-v0', config: { map: TINY }, rewardFunction: 'hangs_on_goal' });
    const fine = await created('/v1/envs', { envId: 'GridWorld-v0', config: { map: TINY } });
    await created(`/v1/envs/${hung.id}:reset`, {});
    await created(`/v1/envs/${fine.id}:reset`, {});
    const stuck = http(server, 'POST', `/v1/envs/${hung.id}:step`, { action: 3 });
    let settled = false;
    void stuck.then(() => (settled = true));
    // While the plugin loops, the request thread answers health checks and other sessions.
    for (let i = 0; i < 5; i++) {
      assert.equal((await http(server, 'GET', '/healthz')).status, 200);
      const step = await http(server, 'POST', `/v1/envs/${fine.id}:step`, { action: i % 2 === 0 ? 1 : 0 });
      assert.equal(step.status, 200);
    }
    assert.equal(settled, false, 'the plugin call is still running (its deadline has not been checked yet)');
    const res = await stuck;
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 'UNAVAILABLE');
    assert.match(res.body.message, /reward plugin did not return within 300 ms/);
    // The session lived on the replaced worker: it is gone, and says why.
    const gone = await http(server, 'GET', `/v1/envs/${hung.id}`);
    assert.equal(gone.status, 404);
    assert.match(gone.body.message, /was lost: a reward plugin did not return/);
    // Plugins keep working on the new worker, the hanging one too until it hangs again.
    const again = await created('/v1/envs', { envId: 'GridWorld-v0', config: { map: TINY }, rewardFunction: 'minus_one' });
    await created(`/v1/envs/${again.id}:reset`, {});
    const step = await http(server, 'POST', `/v1/envs/${again.id}:step`, { action: 3 });
    assert.equal(step.status, 200, JSON.stringify(step.body));
    assert.equal(step.body.reward, -1);
    assert.equal(step.body.terminated, true);
  });
});

describe('sessions hosted on workers', () => {
  test('sessions with plugin or client rewards spread over the workers and every one answers; switching a session here to one moves it', async () => {
    await created('/v1/rewards', { name: 'close_by', envId: 'GridWorld-v0', source: '(s, a, sNext, info) => info.cell === "goal" ? 1 : -1' });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const env = await created('/v1/envs', { envId: 'GridWorld-v0', config: { map: TINY }, seed: i, rewardFunction: i % 2 ? 'minus_one' : 'close_by' });
      ids.push(env.id);
    }
    for (const id of ids) {
      await created(`/v1/envs/${id}:reset`, {});
      const step = await http(server, 'POST', `/v1/envs/${id}:step`, { action: 3 });
      assert.equal(step.status, 200, JSON.stringify(step.body));
      assert.equal(step.body.terminated, true);
      const got = await http(server, 'GET', `/v1/envs/${id}`);
      assert.equal(got.body.totalSteps, 1);
    }
    // Bad input for a hosted session is answered as for any other, before quotas are counted.
    for (const numEnvs of [-5, 10_000_000]) {
      const bad = await http(server, 'POST', '/v1/envs', { envId: 'GridWorld-v0', numEnvs, rewardFunction: 'minus_one' });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.equal(bad.body.details[0].field, 'num_envs');
    }
    const listed = await http(server, 'GET', '/v1/envs');
    for (const id of ids) assert.ok(listed.body.envs.some((e: { id: string }) => e.id === id));
    // A session of the request thread moves to a worker when it switches to client code, state and all.
    const local = await created('/v1/envs', { envId: 'GridWorld-v0', config: { map: TINY }, seed: 1 });
    await created(`/v1/envs/${local.id}:reset`, {});
    await created(`/v1/envs/${local.id}:setReward`, { rewardFunction: 'close_by' });
    const moved = await http(server, 'POST', `/v1/envs/${local.id}:step`, { action: 3 });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.reward, 1);
    assert.equal((await http(server, 'GET', `/v1/envs/${local.id}`)).body.rewardOrigin, 'REWARD_ORIGIN_CLIENT');
    for (const id of [...ids, local.id]) assert.equal((await http(server, 'DELETE', `/v1/envs/${id}`)).status, 200);
    assert.equal((await http(server, 'DELETE', '/v1/rewards?name=close_by')).status, 200, 'no session uses the function any more');
  });
});

describe('Train on a worker thread', () => {
  test('a client that does not read its episodes holds the run (backpressure); reading again lets it finish', async () => {
    const env = await created('/v1/envs', { envId: 'GridWorld-v0', config: { map: TINY }, seed: 0 });
    const agent = await created('/v1/agents', { kind: 'tabular', env: env.id, seed: 0 });
    const episodes = 20_000;
    // A raw HTTP/2 gRPC client with a small window that stops reading: only HTTP/2 flow
    // control tells the server (grpc-js clients buffer what they have not handed out yet).
    const session = http2.connect(`http://${server.grpcAddress}`, { settings: { initialWindowSize: 4096 } });
    try {
      const msg = Buffer.from(TrainRequest.encode(TrainRequest.fromPartial({ id: agent.id, env: '', episodes, steps: 0, stream: false })).finish());
      const frame = Buffer.alloc(5 + msg.length);
      frame.writeUInt32BE(msg.length, 1);
      msg.copy(frame, 5);
      const req = session.request({ ':method': 'POST', ':path': '/gymhost.v1.AgentService/Train', 'content-type': 'application/grpc', te: 'trailers' });
      req.end(frame);
      req.pause();
      const delivered = async () => (await server.metrics.registry.getSingleMetric('gymhost_train_episodes_total')!.get()).values.reduce((a, v) => a + v.value, 0);
      const before = await delivered();
      // Wait until the run stops advancing while nobody reads.
      let last = -1;
      let stable = 0;
      while (stable < 10) {
        await poll(50);
        const now = await delivered();
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      const held = last - before;
      assert.ok(held < episodes / 10, `the run waited for the reader after ${held} of ${episodes} episodes`);
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
      req.resume();
      await new Promise((resolve) => req.on('end', resolve));
      assert.equal((await trailers)['grpc-status'], '0');
      assert.equal((await delivered()) - before, episodes);
      assert.ok(bytes > episodes * 20, `all ${episodes} episodes and the summary arrived (${bytes} bytes)`);
    } finally {
      session.close();
    }
  });

  test('a gRPC deadline stops the run and frees the agent', async () => {
    const env = await created('/v1/envs', { envId: 'CartPole-v1', seed: 0 });
    const agent = await created('/v1/agents', { kind: 'dqn', env: env.id, seed: 0, config: { hidden_sizes: [64, 64] } });
    const client = new AgentServiceClient(server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        const call = client.train(TrainRequest.fromPartial({ id: agent.id, env: '', episodes: 0, steps: 10_000_000, stream: false }), { deadline: Date.now() + 300 });
        call.on('data', () => undefined);
        call.on('error', resolve);
        call.on('end', () => reject(new Error('the run finished before its deadline')));
      });
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
      // The run stops: the agent is free again (no wall-clock bound: poll its state).
      let training = true;
      for (let i = 0; i < 400 && training; i++) {
        training = (await http(server, 'GET', `/v1/agents/${agent.id}`)).body.training;
        if (training) await poll(25);
      }
      assert.equal(training, false);
      const history = await http(server, 'GET', `/v1/agents/${agent.id}/history`);
      assert.ok(history.body.total < 10_000_000 / 9, 'the run stopped long before its budget');
    } finally {
      client.close();
    }
  });

  test('the request thread answers steps while both workers run Trains', async () => {
    const runs: Promise<unknown>[] = [];
    const agents: string[] = [];
    for (let i = 0; i < 2; i++) {
      const env = await created('/v1/envs', { envId: 'CartPole-v1', seed: i });
      const agent = await created('/v1/agents', { kind: 'dqn', env: env.id, seed: i, config: { hidden_sizes: [128, 128], batch_size: 128 } });
      agents.push(agent.id);
      runs.push(http(server, 'POST', `/v1/agents/${agent.id}:train`, { steps: 2000 }));
    }
    const light = await created('/v1/envs', { envId: 'CartPole-v1', seed: 9 });
    await created(`/v1/envs/${light.id}:reset`, {});
    let during = 0;
    for (let i = 0; i < 50; i++) {
      const step = await http(server, 'POST', `/v1/envs/${light.id}:step`, { action: i % 2 });
      assert.equal(step.status, 200);
      if (step.body.terminated || step.body.truncated) await http(server, 'POST', `/v1/envs/${light.id}:reset`, {});
      const states = await Promise.all(agents.map(async (id) => (await http(server, 'GET', `/v1/agents/${id}`)).body.training));
      if (states.every(Boolean)) during++;
    }
    assert.ok(during > 0, 'steps were answered while both runs were going');
    for (const r of await Promise.all(runs)) assert.equal((r as { status: number }).status, 200);
  });
});
