/**
 * Identities and isolation, on every RPC over both transports: two students (alice, bob)
 * and an instructor (prof). A resource of another user is NOT_FOUND exactly like a missing
 * one; instructors read and delete everyone's but change only their own (PERMISSION_DENIED
 * READ_ONLY); no token (or a wrong one) is UNAUTHENTICATED everywhere but health.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { AnyRpc, type Outcome, type TransportName } from '../helpers/any-rpc.js';
import { startTestServer } from '../helpers/server.js';
import { makeUsersFile } from '../helpers/users.js';

let server: RunningServer;
let rpc: AnyRpc;
let tokens: Record<string, string>;

before(async () => {
  const users = makeUsersFile([
    { name: 'alice', role: 'student' },
    { name: 'bob', role: 'student' },
    { name: 'prof', role: 'instructor' },
    { name: 'root', role: 'admin' },
  ]);
  tokens = users.tokens;
  server = await startTestServer({}, { usersFile: users.file });
  rpc = new AnyRpc(server);
});
after(async () => {
  rpc.close();
  await server.close(100);
});

function ok(o: Outcome, what: string): any {
  assert.equal(o.code, 'OK', `${what}: ${JSON.stringify(o.body)}`);
  return o.body;
}

/** Another user's resource answers exactly as a missing id: NOT_FOUND, "does not exist". */
function notFound(o: Outcome, what: string): void {
  assert.equal(o.code, 'NOT_FOUND', `${what}: expected NOT_FOUND, got ${o.code} ${JSON.stringify(o.body)}`);
  const message = o.detail?.message ?? '';
  assert.doesNotMatch(message, /owner|owned|permission|belongs|student|instructor/i, `${what}: the message must not reveal ownership: ${message}`);
}

/** A resource the caller may read but not change (an instructor's write to a student's): PERMISSION_DENIED READ_ONLY saying so. */
function readOnly(o: Outcome, what: string): void {
  assert.equal(o.code, 'PERMISSION_DENIED', `${what}: expected PERMISSION_DENIED, got ${o.code} ${JSON.stringify(o.body)}`);
  assert.equal(o.detail?.reason, 'READ_ONLY', what);
  assert.match(o.detail?.message ?? '', /another user: instructors may read and delete it, not change or use it/, what);
}

const CARTPOLE_STATE = [0.01, 0.02, 0.03, 0.04];

/** Alice's resources for one transport run. */
async function aliceResources(t: TransportName, as = tokens.alice) {
  const env = ok(await rpc.call(t, 'CreateEnv', { envId: 'CartPole-v1', seed: 1 }, as), 'CreateEnv');
  const vec = ok(await rpc.call(t, 'CreateEnv', { envId: 'CartPole-v1', seed: 1, numEnvs: 2 }, as), 'CreateEnv vector');
  ok(await rpc.call(t, 'Reset', { id: env.id ?? env.env?.id }, as), 'Reset');
  const envId: string = env.id ?? env.env.id;
  const vecId: string = vec.id ?? vec.env.id;
  ok(await rpc.call(t, 'Reset', { id: vecId }, as), 'Reset vector');
  const agent = ok(await rpc.call(t, 'CreateAgent', { kind: 'dqn', env: envId, seed: 1, config: { hidden_sizes: [8], batch_size: 4, learning_starts: 1 } }, as), 'CreateAgent');
  const agentId: string = agent.id ?? agent.agent.id;
  const rewardName = `r_${t}_${Math.random().toString(36).slice(2, 8)}`;
  ok(await rpc.call(t, 'RegisterReward', { name: rewardName, envId: 'CartPole-v1', source: '() => 1' }, as), 'RegisterReward');
  // A finished training run of her own, on a session and agent of its own.
  const grid = ok(await rpc.call(t, 'CreateEnv', { envId: 'GridWorld-v0', seed: 1 }, as), 'CreateEnv grid');
  const gridId: string = grid.id ?? grid.env.id;
  const tab = ok(await rpc.call(t, 'CreateAgent', { kind: 'tabular', env: gridId, seed: 1 }, as), 'CreateAgent tabular');
  const started = ok(await rpc.call(t, 'Train', { id: tab.id ?? tab.agent.id, episodes: 2, evalEverySteps: 10, evalEpisodes: 1, async: true }, as), 'Train async');
  const runId: string = Array.isArray(started) ? started[0].run.id : started.id;
  return { envId, vecId, agentId, rewardName, runId };
}

for (const t of ['grpc', 'rest'] as const) {
  describe(`isolation over ${t}`, () => {
    test('no token or a bad one is UNAUTHENTICATED on every RPC; health needs none', async () => {
      const calls: [string, Record<string, unknown>][] = [
        ['ListEnvTypes', {}], ['CreateEnv', { envId: 'CartPole-v1' }], ['GetEnv', { id: 'x' }], ['ListEnvs', {}], ['DeleteEnv', { id: 'x' }],
        ['Reset', { id: 'x' }], ['Step', { id: 'x', action: 0 }], ['StepBatch', { id: 'x', actions: [0] }], ['Render', { id: 'x' }], ['ListEpisodes', { id: 'x' }],
        ['SetReward', { id: 'x', rewardFunction: 'gymnasium' }], ['RegisterReward', { name: 'n', envId: 'CartPole-v1', source: '() => 1' }],
        ['ListRewards', {}], ['DeleteReward', { name: 'n' }], ['ListAgentKinds', {}], ['CreateAgent', { kind: 'tabular' }], ['GetAgent', { id: 'x' }],
        ['ListAgents', {}], ['DeleteAgent', { id: 'x' }], ['ChooseAction', { id: 'x', state: 0 }], ['UpdateQ', { id: 'x', state: 0, action: 0, reward: 0, nextState: 0 }],
        ['EndEpisode', { id: 'x', episodeReturn: 0, length: 1 }], ['GetHistory', { id: 'x' }], ['GetQ', { id: 'x' }], ['ExportAgent', { id: 'x' }],
        ['ImportAgent', { data: 'AAAA' }], ['Train', { id: 'x', episodes: 1 }], ['Evaluate', { id: 'x' }], ['GetUsage', {}],
        ['GetRun', { id: 'x' }], ['ListRuns', {}], ['CancelRun', { id: 'x' }], ['ExportRunCheckpoint', { id: 'x' }],
      ];
      for (const [name, req] of calls) {
        for (const token of [undefined, 'gh_not-a-token', 'Basic dXNlcjpwYXNz']) {
          const o = await rpc.call(t, name, req, token);
          assert.equal(o.code, 'UNAUTHENTICATED', `${name} with ${token ?? 'no token'}: ${JSON.stringify(o.body)}`);
          if (t === 'rest') {
            assert.equal(o.httpStatus, 401);
            assert.match(o.headers?.get('www-authenticate') ?? '', /^Bearer/);
          }
        }
      }
      if (t === 'grpc') assert.equal((await rpc.stepStream({ step: { id: 'x', action: 0 } })).code, 'UNAUTHENTICATED');
      else assert.equal((await fetch(`${server.httpAddress}/healthz`)).status, 200);
    });

    test("a student's resources are NOT_FOUND for another student on every RPC, as a missing id is", async () => {
      const a = await aliceResources(t);
      const bob = tokens.bob;
      const missing = 'AAAAAAAAAAAA';
      const byId: [string, (id: string) => Record<string, unknown>, 'env' | 'vec' | 'agent' | 'run'][] = [
        ['GetEnv', (id) => ({ id }), 'env'],
        ['Reset', (id) => ({ id }), 'env'],
        ['Step', (id) => ({ id, action: 1 }), 'env'],
        ['StepBatch', (id) => ({ id, actions: [0, 1] }), 'vec'],
        ['Render', (id) => ({ id, mode: 'RENDER_MODE_ANSI' }), 'env'],
        ['ListEpisodes', (id) => ({ id }), 'env'],
        ['SetReward', (id) => ({ id, rewardFunction: 'sutton_barto' }), 'env'],
        ['DeleteEnv', (id) => ({ id }), 'env'],
        ['RegisterReward', (id) => ({ name: 'mine', env: id, source: '() => 2' }), 'env'],
        ['ListRewards', (id) => ({ env: id }), 'env'],
        ['CreateAgent', (id) => ({ kind: 'dqn', env: id }), 'env'],
        ['GetAgent', (id) => ({ id }), 'agent'],
        ['DeleteAgent', (id) => ({ id }), 'agent'],
        ['ChooseAction', (id) => ({ id, state: CARTPOLE_STATE }), 'agent'],
        ['UpdateQ', (id) => ({ id, state: CARTPOLE_STATE, action: 0, reward: 1, nextState: CARTPOLE_STATE, done: false }), 'agent'],
        ['EndEpisode', (id) => ({ id, episodeReturn: 1, length: 1 }), 'agent'],
        ['GetHistory', (id) => ({ id }), 'agent'],
        ['GetQ', (id) => ({ id, states: [CARTPOLE_STATE] }), 'agent'],
        ['ExportAgent', (id) => ({ id }), 'agent'],
        ['Train', (id) => ({ id, episodes: 1 }), 'agent'],
        ['Evaluate', (id) => ({ id, episodes: 1 }), 'agent'],
        ['GetRun', (id) => ({ id }), 'run'],
        ['CancelRun', (id) => ({ id }), 'run'],
        ['ExportRunCheckpoint', (id) => ({ id }), 'run'],
      ];
      for (const [name, build, kind] of byId) {
        const id = kind === 'env' ? a.envId : kind === 'vec' ? a.vecId : kind === 'run' ? a.runId : a.agentId;
        const theirs = await rpc.call(t, name, build(id), bob);
        notFound(theirs, `${name} on alice's ${kind} as bob`);
        const none = await rpc.call(t, name, build(missing), bob);
        notFound(none, `${name} on a missing ${kind}`);
        assert.equal(theirs.detail?.reason, none.detail?.reason, `${name}: same reason as a missing id`);
        assert.equal(theirs.detail?.message.replace(id, '?'), none.detail?.message.replace(missing, '?'), `${name}: same message as a missing id`);
      }
      // Train with bob's own agent on alice's env, Evaluate on it, Import bound to it.
      const bobEnv = ok(await rpc.call(t, 'CreateEnv', { envId: 'CartPole-v1' }, bob), 'bob CreateEnv');
      const bobEnvId = bobEnv.id ?? bobEnv.env.id;
      const bobAgent = ok(await rpc.call(t, 'CreateAgent', { kind: 'dqn', env: bobEnvId, config: { hidden_sizes: [4] } }, bob), 'bob CreateAgent');
      const bobAgentId = bobAgent.id ?? bobAgent.agent.id;
      notFound(await rpc.call(t, 'Train', { id: bobAgentId, env: a.envId, episodes: 1 }, bob), 'Train on alice\'s env');
      notFound(await rpc.call(t, 'Evaluate', { id: bobAgentId, env: a.envId, episodes: 1 }, bob), 'Evaluate on alice\'s env');
      const exported = ok(await rpc.call(t, 'ExportAgent', { id: bobAgentId }, bob), 'bob ExportAgent');
      const data = typeof exported.data === 'string' ? exported.data : Buffer.from(exported.data).toString('base64');
      notFound(await rpc.call(t, 'ImportAgent', { data, env: a.envId }, bob), 'ImportAgent bound to alice\'s env');
      // Her reward function is not bob's: not listed, not deletable, not usable.
      const bobRewards = ok(await rpc.call(t, 'ListRewards', {}, bob), 'bob ListRewards');
      assert.ok(!(bobRewards.rewards ?? []).some((r: any) => r.name === a.rewardName));
      notFound(await rpc.call(t, 'DeleteReward', { name: a.rewardName }, bob), 'DeleteReward of alice\'s function');
      notFound(await rpc.call(t, 'DeleteReward', { name: a.rewardName, owner: 'alice' }, bob), 'DeleteReward naming alice as owner');
      const useIt = await rpc.call(t, 'CreateEnv', { envId: 'CartPole-v1', rewardFunction: a.rewardName }, bob);
      assert.equal(useIt.code, 'INVALID_ARGUMENT');
      // Lists show only one's own.
      const envs = ok(await rpc.call(t, 'ListEnvs', {}, bob), 'ListEnvs');
      assert.deepEqual((envs.envs ?? []).map((e: any) => e.owner).filter((o: string) => o !== 'bob'), []);
      const agents = ok(await rpc.call(t, 'ListAgents', {}, bob), 'ListAgents');
      assert.deepEqual((agents.agents ?? []).map((e: any) => e.owner).filter((o: string) => o !== 'bob'), []);
      notFound(await rpc.call(t, 'GetUsage', { user: 'alice' }, bob), 'GetUsage of alice');
      const runs = ok(await rpc.call(t, 'ListRuns', {}, bob), 'ListRuns');
      assert.deepEqual((runs.runs ?? []).map((r: any) => r.owner).filter((o: string) => o !== 'bob'), []);
      assert.equal(ok(await rpc.call(t, 'GetRun', { id: a.runId }, tokens.alice), 'alice GetRun').id ?? a.runId, a.runId);
      if (t === 'grpc') notFound(await rpc.stepStream({ step: { id: a.envId, action: 0 } }, bob), 'StepStream step on alice\'s env');
      // Alice still has everything, untouched by bob's attempts.
      const got = ok(await rpc.call(t, 'GetEnv', { id: a.envId }, tokens.alice), 'alice GetEnv');
      assert.equal(got.totalSteps ?? got.env?.totalSteps ?? 0, 0);
      assert.equal((got.rewardFunction ?? got.env?.rewardFunction), 'gymnasium');
      ok(await rpc.call(t, 'GetAgent', { id: a.agentId }, tokens.alice), 'alice GetAgent');
    });

    test('an instructor reads and deletes everyone\'s resources but changes none of them (PERMISSION_DENIED, not a pretended NOT_FOUND)', async () => {
      const a = await aliceResources(t);
      const prof = tokens.prof;
      const reads: [string, Record<string, unknown>][] = [
        ['GetEnv', { id: a.envId }],
        ['Render', { id: a.envId, mode: 'RENDER_MODE_ANSI' }],
        ['ListEpisodes', { id: a.envId }],
        ['ListRewards', { env: a.envId }],
        ['GetAgent', { id: a.agentId }],
        ['GetHistory', { id: a.agentId }],
        ['GetQ', { id: a.agentId, states: [CARTPOLE_STATE] }],
        ['ExportAgent', { id: a.agentId }],
        ['Evaluate', { id: a.agentId, episodes: 2 }],
        ['GetUsage', { user: 'alice' }],
        ['CreateAgent', { kind: 'dqn', env: a.envId, config: { hidden_sizes: [4] } }],
      ];
      for (const [name, req] of reads) ok(await rpc.call(t, name, req, prof), `prof ${name}`);
      const writes: [string, Record<string, unknown>][] = [
        ['Reset', { id: a.envId }],
        ['Step', { id: a.envId, action: 1 }],
        ['StepBatch', { id: a.vecId, actions: [0, 1] }],
        ['SetReward', { id: a.envId, rewardFunction: 'sutton_barto' }],
        ['RegisterReward', { name: 'profs', env: a.envId, source: '() => 3' }],
        ['ChooseAction', { id: a.agentId, state: CARTPOLE_STATE }],
        ['UpdateQ', { id: a.agentId, state: CARTPOLE_STATE, action: 0, reward: 1, nextState: CARTPOLE_STATE, done: false }],
        ['EndEpisode', { id: a.agentId, episodeReturn: 1, length: 1 }],
        ['Train', { id: a.agentId, episodes: 1 }],
      ];
      for (const [name, req] of writes) readOnly(await rpc.call(t, name, req, prof), `prof ${name}`);
      if (t === 'grpc') readOnly(await rpc.stepStream({ step: { id: a.envId, action: 0 } }, prof), 'prof StepStream');
      // Lists: everyone's, filterable by owner.
      const all = ok(await rpc.call(t, 'ListEnvs', {}, prof), 'prof ListEnvs');
      assert.ok((all.envs ?? []).some((e: any) => e.id === a.envId && e.owner === 'alice'));
      const hers = ok(await rpc.call(t, 'ListEnvs', { owner: 'alice' }, prof), 'prof ListEnvs owner=alice');
      assert.ok((hers.envs ?? []).every((e: any) => e.owner === 'alice'));
      const agents = ok(await rpc.call(t, 'ListAgents', { owner: 'alice' }, prof), 'prof ListAgents');
      assert.ok((agents.agents ?? []).some((e: any) => e.id === a.agentId));
      const rewards = ok(await rpc.call(t, 'ListRewards', { owner: 'alice' }, prof), 'prof ListRewards owner=alice');
      assert.ok((rewards.rewards ?? []).some((r: any) => r.name === a.rewardName && r.owner === 'alice'));
      const everyone = ok(await rpc.call(t, 'ListRewards', { owner: '*' }, prof), 'prof ListRewards owner=*');
      assert.ok((everyone.rewards ?? []).some((r: any) => r.name === a.rewardName));
      // Alice's session is as she left it.
      const env = ok(await rpc.call(t, 'GetEnv', { id: a.envId }, tokens.alice), 'alice GetEnv');
      assert.equal(env.totalSteps ?? env.env?.totalSteps ?? 0, 0);
      // Deletes: the instructor may.
      ok(await rpc.call(t, 'DeleteReward', { name: a.rewardName, owner: 'alice' }, prof), 'prof DeleteReward');
      ok(await rpc.call(t, 'DeleteAgent', { id: a.agentId }, prof), 'prof DeleteAgent');
      ok(await rpc.call(t, 'DeleteEnv', { id: a.vecId }, prof), 'prof DeleteEnv');
      const gone = await rpc.call(t, 'GetEnv', { id: a.vecId }, tokens.alice);
      assert.equal(gone.code, 'NOT_FOUND');
      assert.match(gone.detail?.message ?? '', /was deleted/);
      // A student cannot see the instructor's resources either.
      const own = ok(await rpc.call(t, 'CreateEnv', { envId: 'GridWorld-v0' }, prof), 'prof CreateEnv');
      notFound(await rpc.call(t, 'GetEnv', { id: own.id ?? own.env.id }, tokens.alice), "alice GetEnv of prof's session");
    });

    test('an admin may change anyone\'s resources', async () => {
      const a = await aliceResources(t);
      ok(await rpc.call(t, 'Step', { id: a.envId, action: 1 }, tokens.root), 'root Step');
      ok(await rpc.call(t, 'ChooseAction', { id: a.agentId, state: CARTPOLE_STATE }, tokens.root), 'root ChooseAction');
      const env = ok(await rpc.call(t, 'GetEnv', { id: a.envId }, tokens.alice), 'alice GetEnv');
      assert.equal(Number(env.totalSteps ?? env.env?.totalSteps), 1);
    });
  });
}

describe('request ids', () => {
  test('every answer carries x-request-id; errors carry it in their details; a client id is kept', async () => {
    const res = await fetch(`${server.httpAddress}/v1/envs/nope`, { headers: { authorization: `Bearer ${tokens.alice}`, 'x-request-id': 'my-trace-42' } });
    assert.equal(res.headers.get('x-request-id'), 'my-trace-42');
    const body = (await res.json()) as { details: { requestId: string }[] };
    assert.equal(body.details[0].requestId, 'my-trace-42');
    const fresh = await fetch(`${server.httpAddress}/v1/envs`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[A-Za-z0-9_-]{12}$/);
    const g = await rpc.call('grpc', 'GetEnv', { id: 'nope' }, tokens.alice);
    assert.equal(g.code, 'NOT_FOUND');
    assert.match(g.detail?.requestId ?? '', /^[A-Za-z0-9_-]{12}$/);
    assert.equal(g.metadata?.get('x-request-id')[0], g.detail?.requestId);
  });
});
