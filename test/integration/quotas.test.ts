/**
 * Quotas by user and by bytes: memory estimated before anything is allocated, counts of
 * sessions, agents, rewards and concurrent Trains, the server's memory budget, the request
 * rate (token bucket on an injected clock), per-call bounds, and GetUsage over both
 * transports. Refusals are RESOURCE_EXHAUSTED naming the quota, the cost and the use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { AnyRpc, type Outcome } from '../helpers/any-rpc.js';
import { http, startTestServer } from '../helpers/server.js';
import { makeUsersFile } from '../helpers/users.js';

const MiB = 1024 * 1024;
let server: RunningServer;
let rpc: AnyRpc;
let tokens: Record<string, string>;
let clockMs = 1_000_000;

before(async () => {
  const users = makeUsersFile(
    [
      { name: 'small', role: 'student', quotas: { memoryBytes: 8 * MiB, envSessions: 3, agents: 2, rewards: 2 } },
      { name: 'other', role: 'student' },
      { name: 'limited', role: 'student', quotas: { requestsPerSecond: 2, requestBurst: 3 } },
      { name: 'trainer', role: 'student', quotas: { concurrentTrains: 1 } },
      { name: 'big1', role: 'instructor' },
      { name: 'big2', role: 'instructor' },
    ],
    { student: { memoryBytes: 256 * MiB } },
  );
  tokens = users.tokens;
  server = await startTestServer({}, { usersFile: users.file, memoryBudget: 3 * 1024 * MiB, clock: () => clockMs, maxMessageBytes: 4 * MiB });
  rpc = new AnyRpc(server);
});
after(async () => {
  rpc.close();
  await server.close(100);
});

function refused(o: Outcome, quota: string, reason: string, what: string): void {
  assert.equal(o.code, 'RESOURCE_EXHAUSTED', `${what}: ${JSON.stringify(o.body)}`);
  assert.equal(o.detail?.field, quota, `${what}: names the quota`);
  assert.equal(o.detail?.reason, reason);
}

const post = (path: string, body: unknown, token: string) => http(server, 'POST', path, body, { authorization: `Bearer ${token}` });
const del = (path: string, token: string) => http(server, 'DELETE', path, undefined, { authorization: `Bearer ${token}` });

describe('memory by bytes, estimated before allocation', () => {
  for (const t of ['grpc', 'rest'] as const) {
    test(`a session or agent over the user's memoryBytes is refused with its cost and the use (${t})`, async () => {
      const small = tokens.small;
      // 2,000 copies of a one-hot 13x11 gridworld: 2000 x (256 + 3 x 4 x 143) bytes, about 3.8 MiB: fits 8 MiB.
      const ok = await rpc.call(t, 'CreateEnv', { envId: 'GridWorld-v0', numEnvs: 2000, config: { encoding: 'onehot' } }, small);
      assert.equal(ok.code, 'OK', JSON.stringify(ok.body));
      const okEnv = ok.body.id ? ok.body : ok.body.env;
      assert.ok(okEnv.memoryBytes > 3 * MiB && okEnv.memoryBytes < 4 * MiB, String(okEnv.memoryBytes));
      // Three times as many copies would need about 11 MiB more: refused, nothing allocated.
      const big = await rpc.call(t, 'CreateEnv', { envId: 'GridWorld-v0', numEnvs: 6000, config: { encoding: 'onehot' } }, small);
      refused(big, 'memoryBytes', 'MEMORY_QUOTA_EXCEEDED', 'big session');
      assert.match(big.detail!.message, /needs an estimated 11\.\d MiB; you hold 3\.\d MiB of your 8\.0 MiB/);
      // A DQN agent whose replay queue would not fit either.
      const agent = await rpc.call(t, 'CreateAgent', { kind: 'dqn', observationSpace: { box: { low: [-1, -1, -1, -1], high: [1, 1, 1, 1], shape: [4], dtype: 'DTYPE_FLOAT32' } }, actionSpace: { discrete: { n: 2 } }, config: { replay_capacity: 200_000 } }, small);
      refused(agent, 'memoryBytes', 'MEMORY_QUOTA_EXCEEDED', 'agent with a big replay queue');
      assert.match(agent.detail!.message, /dqn agent needs an estimated/);
      const usage = await rpc.call(t, 'GetUsage', {}, small);
      assert.equal(usage.code, 'OK');
      assert.equal(Number(usage.body.used.memoryBytes), okEnv.memoryBytes);
      assert.equal(Number(usage.body.quota.memoryBytes), 8 * MiB);
      assert.equal(Number(usage.body.used.envSessions), 1);
      // Another student is not affected by this one's use.
      const other = await rpc.call(t, 'CreateEnv', { envId: 'GridWorld-v0', numEnvs: 6000, config: { encoding: 'onehot' } }, tokens.other);
      assert.equal(other.code, 'OK', JSON.stringify(other.body));
      // Deleting frees the bytes.
      assert.equal((await rpc.call(t, 'DeleteEnv', { id: okEnv.id }, small)).code, 'OK');
      assert.equal((await rpc.call(t, 'DeleteEnv', { id: other.body.id ?? other.body.env.id }, tokens.other)).code, 'OK');
      const after = await rpc.call(t, 'GetUsage', {}, small);
      assert.equal(Number(after.body.used.memoryBytes ?? 0), 0);
    });
  }

  test("the server's memory budget holds across users, and one call's observations are bounded", async () => {
    const users = makeUsersFile([
      { name: 'u1', role: 'student' },
      { name: 'u2', role: 'student' },
    ]);
    const budgeted = await startTestServer({}, { usersFile: users.file, memoryBudget: 64 * MiB, maxMessageBytes: 4 * MiB, workers: 1 });
    try {
      const agentOf = (token: string) =>
        http(budgeted, 'POST', '/v1/agents', {
          kind: 'dqn',
          observationSpace: { box: { low: [-1, -1, -1, -1], high: [1, 1, 1, 1], shape: [4], dtype: 'DTYPE_FLOAT32' } },
          actionSpace: { discrete: { n: 2 } },
          config: { replay_capacity: 1_000_000, hidden_sizes: [8] },
        }, { authorization: `Bearer ${token}` });
      // About 41 MB each (1M transitions of 41 bytes): within each student's quota, not both within 64 MiB.
      const first = await agentOf(users.tokens.u1);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const second = await agentOf(users.tokens.u2);
      assert.equal(second.status, 429, JSON.stringify(second.body));
      assert.equal(second.body.details[0].reason, 'SERVER_MEMORY_BUDGET_EXCEEDED');
      assert.match(second.body.message, /all users hold 39\.\d MiB of the 64\.0 MiB budget/);
      const usage = await http(budgeted, 'GET', '/v1/usage', undefined, { authorization: `Bearer ${users.tokens.u2}` });
      assert.equal(usage.body.serverMemoryBudgetBytes, 64 * MiB);
      assert.ok(usage.body.serverMemoryUsedBytes > 39 * MiB);
      // One answer's observations are bounded by the message size (4 MiB here): 3,000 copies x 400 numbers is refused.
      const wide = await http(budgeted, 'POST', '/v1/envs', { envId: 'GridWorld-v0', numEnvs: 3000, config: { map: '.'.repeat(200) + '\n' + 'S' + '.'.repeat(198) + 'G', encoding: 'onehot' } }, { authorization: `Bearer ${users.tokens.u2}` });
      assert.equal(wide.status, 429, JSON.stringify(wide.body));
      assert.equal(wide.body.details[0].reason, 'CALL_TOO_LARGE');
      assert.equal(wide.body.details[0].field, 'num_envs');
    } finally {
      await budgeted.close(100);
    }
  });
});

describe('counts by user', () => {
  test('sessions, agents and reward functions over their count quota are refused; deleting frees a slot', async () => {
    const small = tokens.small;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/v1/envs', { envId: 'CartPole-v1' }, small);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      ids.push(res.body.id);
    }
    const fourth = await post('/v1/envs', { envId: 'CartPole-v1' }, small);
    assert.equal(fourth.status, 429);
    assert.equal(fourth.body.details[0].field, 'envSessions');
    assert.match(fourth.body.message, /you have 3 env sessions and may have at most 3/);
    assert.equal((await post('/v1/envs', { envId: 'CartPole-v1' }, tokens.other)).status, 200, 'other users are not affected');
    await del(`/v1/envs/${ids.pop()}`, small);
    assert.equal((await post('/v1/envs', { envId: 'CartPole-v1' }, small)).status, 200);

    for (let i = 0; i < 2; i++) assert.equal((await post('/v1/rewards', { name: `r${i}`, envId: 'CartPole-v1', source: '() => 1' }, small)).status, 200);
    const third = await post('/v1/rewards', { name: 'r2', envId: 'CartPole-v1', source: '() => 1' }, small);
    assert.equal(third.status, 429);
    assert.equal(third.body.details[0].field, 'rewards');

    for (let i = 0; i < 2; i++) assert.equal((await post('/v1/agents', { kind: 'dqn', env: ids[0], config: { hidden_sizes: [4] } }, small)).status, 200);
    const agent = await post('/v1/agents', { kind: 'dqn', env: ids[0], config: { hidden_sizes: [4] } }, small);
    assert.equal(agent.status, 429);
    assert.equal(agent.body.details[0].field, 'agents');
  });

  test('a second concurrent Train over concurrentTrains is refused until the first ends', async () => {
    const t = tokens.trainer;
    const env1 = (await post('/v1/envs', { envId: 'CartPole-v1', seed: 1 }, t)).body.id;
    const env2 = (await post('/v1/envs', { envId: 'CartPole-v1', seed: 2 }, t)).body.id;
    const a1 = (await post('/v1/agents', { kind: 'dqn', env: env1, seed: 1 }, t)).body.id;
    const a2 = (await post('/v1/agents', { kind: 'dqn', env: env2, seed: 2 }, t)).body.id;
    const controller = new AbortController();
    const first = fetch(`${server.httpAddress}/v1/agents/${a1}:train`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}` },
      body: JSON.stringify({ steps: 5_000_000, stream: true }),
      signal: controller.signal,
    });
    const reader = (await first).body!.getReader();
    await reader.read(); // the run has started
    const second = await post(`/v1/agents/${a2}:train`, { episodes: 1 }, t);
    assert.equal(second.status, 429, JSON.stringify(second.body));
    assert.equal(second.body.details[0].field, 'concurrentTrains');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = (await post(`/v1/agents/${a2}:train`, { episodes: 1 }, t)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(status, 200, 'allowed once the first run stopped');
  });
});

describe('request rate (token bucket, injected clock)', () => {
  for (const t of ['rest', 'grpc'] as const) {
    test(`a burst over the rate is refused with retry-after; time refills it (${t})`, async () => {
      clockMs += 10_000; // a full bucket
      const limited = tokens.limited;
      for (let i = 0; i < 3; i++) assert.equal((await rpc.call(t, 'ListEnvs', {}, limited)).code, 'OK', `request ${i} of the burst`);
      const over = await rpc.call(t, 'ListEnvs', {}, limited);
      refused(over, 'requestsPerSecond', 'RATE_LIMITED', 'over the burst');
      assert.ok(over.detail!.retryAfterSeconds > 0.4 && over.detail!.retryAfterSeconds <= 0.5, String(over.detail!.retryAfterSeconds));
      if (t === 'rest') assert.equal(over.headers?.get('retry-after'), '1');
      else assert.equal(over.metadata?.get('retry-after')[0], '1');
      clockMs += 500; // one token back
      assert.equal((await rpc.call(t, 'ListEnvs', {}, limited)).code, 'OK');
      assert.equal((await rpc.call(t, 'ListEnvs', {}, limited)).code, 'RESOURCE_EXHAUSTED');
      // Other users have their own buckets.
      assert.equal((await rpc.call(t, 'ListEnvs', {}, tokens.other)).code, 'OK');
      const usage = await rpc.call(t, 'GetUsage', {}, tokens.other);
      assert.equal(Number(usage.body.requestsPerSecond), 10000);
    });
  }

  test('StepStream messages count against the rate, answered inline', async () => {
    clockMs += 10_000;
    const limited = tokens.limited;
    const env = await rpc.call('rest', 'CreateEnv', { envId: 'CartPole-v1' }, limited); // 1 of 3
    const id = env.body.id;
    await rpc.call('rest', 'Reset', { id }, limited); // 2 of 3
    // The stream call itself takes the third token; its message is over the rate.
    const answer = await rpc.stepStream({ step: { id, action: 0 } }, limited);
    assert.equal(answer.code, 'RESOURCE_EXHAUSTED');
    assert.equal(answer.detail?.reason, 'RATE_LIMITED');
  });
});

describe('bounds of one call', () => {
  test('more transitions than one UpdateQ may carry is refused before anything runs, over REST on a worker too', async () => {
    const env = (await post('/v1/envs', { envId: 'CartPole-v1' }, tokens.other)).body.id;
    const agent = (await post('/v1/agents', { kind: 'dqn', env, config: { hidden_sizes: [8] } }, tokens.other)).body.id;
    const transition = { state: [0, 0, 0, 0], action: 0, reward: 1, nextState: [0, 0, 0, 0], done: false };
    const res = await post(`/v1/agents/${agent}:updateQ`, { transitions: Array.from({ length: 5000 }, () => transition) }, tokens.other);
    assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
    assert.equal(res.body.details[0].reason, 'TOO_MANY');
    assert.match(res.body.message, /at most 4096 transitions/);
    const fine = await post(`/v1/agents/${agent}:updateQ`, { transitions: Array.from({ length: 4096 }, () => transition) }, tokens.other);
    assert.equal(fine.status, 200, JSON.stringify(fine.body).slice(0, 300));
    assert.equal(fine.body.tdErrors.length, 4096);
  });

  test('a body over the size limit is 413', async () => {
    const res = await post('/v1/envs', { envId: 'CartPole-v1', config: { pad: 'x'.repeat(5 * MiB) } }, tokens.other);
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'RESOURCE_EXHAUSTED');
    assert.equal(res.body.details[0].reason, 'BODY_TOO_LARGE');
  });
});
