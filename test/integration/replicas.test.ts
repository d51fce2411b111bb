/**
 * Replicas on one PostgreSQL database (a real server this file starts on 127.0.0.1), called
 * directly, without a proxy: a session or agent called on another replica than the one serving
 * it moves there (a handover: exactly as it was, the episode goes on), and back; a replica
 * killed with SIGKILL leaves its sessions and agents to the others once its lease ends (from
 * their last save: an episode in progress answers FAILED_PRECONDITION until Reset, as after a
 * restart), with every acknowledged create kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import { importAgent } from '../../src/core/agents/create-agent.js';
import { decodeSnapshot } from '../../src/core/agents/snapshot-codec.js';
import type { EnvSessionState } from '../../src/core/sessions/env-session.js';
import type { RunningServer } from '../../src/server/server.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, serve, type Served } from '../helpers/cli-server.js';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { http, startTestServer } from '../helpers/server.js';
import { nginxBinary, startNginx } from '../helpers/nginx.js';
import { makeUsersFile } from '../helpers/users.js';
import pgDriver from 'pg';
import { GymhostClient } from '../../clients/ts/index.js';

let pg: PostgresServer;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

async function must(base: string, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(base + route, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${route}: ${JSON.stringify(json)}`);
  return json;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns a value (bounded in count, not asserted in time). */
async function until<T>(fn: () => Promise<T | undefined>, what: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** An in-process replica `name` of database `url`. */
function replica(url: string, name: string, leaseSeconds = 2): Promise<RunningServer> {
  return startTestServer({}, { database: url, replica: name, leaseSeconds, checkpointSeconds: 0.1, workers: 1 });
}

describe('replicas sharing a PostgreSQL database', () => {
  test('a session and an agent called on another replica move there as they were, and back', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await replica(url, 'a'), await replica(url, 'b')];
    const single = await startTestServer({}, { workers: 1 });
    try {
      const actions = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1];
      const env = (await http(a, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 5 })).body;
      const ref = (await http(single, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 5 })).body;
      await must(a.httpAddress, 'POST', `/v1/envs/${env.id}:reset`, {});
      await must(single.httpAddress, 'POST', `/v1/envs/${ref.id}:reset`, {});
      // Steps alternate between the replicas: each call moves the session, the episode goes on.
      for (const [i, action] of actions.entries()) {
        const at = i % 3 === 0 ? a : b;
        const got = await must(at.httpAddress, 'POST', `/v1/envs/${env.id}:step`, { action });
        const want = await must(single.httpAddress, 'POST', `/v1/envs/${ref.id}:step`, { action });
        assert.deepEqual(got.observation, want.observation, `step ${i} on ${at === a ? 'a' : 'b'}`);
        assert.equal(got.terminated, want.terminated);
      }
      assert.equal(Number((await must(b.httpAddress, 'GET', `/v1/envs/${env.id}`)).totalSteps), actions.length);
      assert.equal(a.envs.hasSession(env.id), false, 'served by one replica at a time');
      const metricsOf = async (r: RunningServer) => (await fetch(`${r.httpAddress}/metrics`)).text();
      const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      const [ma, mb] = [await metricsOf(a), await metricsOf(b)];
      assert.ok(value(ma, 'gymhost_replica_moves_total{kind="env",how="handover_out"}') >= 3, ma);
      assert.ok(value(mb, 'gymhost_replica_moves_total{kind="env",how="handover_in"}') >= 3);
      assert.equal(value(mb, 'gymhost_replica_leases{kind="env"}'), 1, 'b serves the session');
      assert.equal(value(ma, 'gymhost_replica_leases{kind="env"}'), 0);
      assert.ok(value(ma, 'gymhost_replica_lease_renewal_age_seconds') < 2, 'renewed within the lease time');

      // An agent: trained on a, read on b.
      const agent = await must(a.httpAddress, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 16 } }, actionSpace: { discrete: { n: 4 } }, seed: 3 });
      const transitions = Array.from({ length: 32 }, (_, i) => ({ state: i % 16, action: i % 4, reward: i % 5, nextState: (i + 1) % 16, done: i % 7 === 0 }));
      await must(a.httpAddress, 'POST', `/v1/agents/${agent.id}:updateQ`, { transitions });
      const qa = await must(a.httpAddress, 'POST', `/v1/agents/${agent.id}:getQ`, { states: [0, 1, 2, 3] });
      const qb = await must(b.httpAddress, 'POST', `/v1/agents/${agent.id}:getQ`, { states: [0, 1, 2, 3] });
      assert.deepEqual(qb, qa);
      assert.equal(a.agents.hasAgent(agent.id), false);
      // Deleted on a (moving it back first): gone for both.
      await must(a.httpAddress, 'DELETE', `/v1/agents/${agent.id}`);
      assert.equal((await http(b, 'GET', `/v1/agents/${agent.id}`)).status, 404);
      assert.equal((await http(b, 'GET', '/v1/envs/no-such-session')).status, 404);
    } finally {
      await Promise.all([a.close(0), b.close(0), single.close(0)]);
    }
  });

  test('SIGKILL of a replica: its sessions and agents come back on another from their last save, every acknowledged create kept', async () => {
    const url = await pg.createDatabase();
    const args = (name: string) => ['--log-level', 'warn', '--database', url, '--replica', name, '--lease-seconds', '3', '--checkpoint-seconds', '0.1'];
    let a: Served | undefined = await serve(args('a'));
    const b = await serve(args('b'));
    try {
      const env = await must(a.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 8 });
      await must(a.http, 'POST', `/v1/envs/${env.id}:reset`, {});
      for (let i = 0; i < 4; i++) await must(a.http, 'POST', `/v1/envs/${env.id}:step`, { action: i % 2 });
      const agent = await must(a.http, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 8 } }, actionSpace: { discrete: { n: 2 } }, seed: 1 });
      await must(a.http, 'POST', `/v1/agents/${agent.id}:updateQ`, { transitions: [{ state: 1, action: 1, reward: 5, nextState: 2, done: true }] });
      const q = await must(a.http, 'POST', `/v1/agents/${agent.id}:getQ`, { states: [1] });
      // Creates acknowledged up to the kill.
      const acknowledged: string[] = [];
      let stop = false;
      const creating = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await fetch(a!.http + '/v1/envs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ envId: 'GridWorld-v0', seed: i }) });
            if (r.status === 200) acknowledged.push(((await r.json()) as { id: string }).id);
          } catch {
            return;
          }
        }
      })();
      await until(async () => (acknowledged.length >= 20 ? true : undefined), '20 creates');
      // Wait for a periodic save (every 0.1 s) with the four steps and the agent's update.
      const reader = await PostgresStore.open(url, { poolSize: 1 });
      try {
        await until(async () => {
          const all = await reader.loadAll();
          const envRow = all.envs.find((e) => e.id === env.id);
          const agentRow = all.agents.find((x) => x.id === agent.id);
          if (!envRow?.state || !agentRow) return undefined;
          const steps = (v8.deserialize(Buffer.from(envRow.state)) as EnvSessionState).totalSteps;
          const saved = await importAgent(decodeSnapshot(agentRow.snapshot));
          const savedQ = Array.from(saved.qValues(Float32Array.from([1]), 1));
          return steps === 4 && savedQ.join() === q.q.flat().join() ? true : undefined;
        }, 'the save');
      } finally {
        await reader.close();
      }
      a.child.kill('SIGKILL');
      await a.exit;
      a = undefined;
      stop = true;
      await creating;

      // b takes over once a's leases end (3 s); calls wait for that or answer UNAVAILABLE to retry.
      const stepped = await until(async () => {
        const r = await fetch(b.http + `/v1/envs/${env.id}:step`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 0 }) });
        const json = (await r.json()) as any;
        return json.code === 'UNAVAILABLE' ? undefined : { status: r.status, json };
      }, 'the takeover');
      assert.equal(stepped.status, 400, JSON.stringify(stepped.json));
      assert.equal(stepped.json.code, 'FAILED_PRECONDITION');
      assert.equal(stepped.json.details[0].reason, 'SESSION_RESTORED');
      assert.equal(Number((await must(b.http, 'GET', `/v1/envs/${env.id}`)).totalSteps), 4);
      await must(b.http, 'POST', `/v1/envs/${env.id}:reset`, {});
      await must(b.http, 'POST', `/v1/envs/${env.id}:step`, { action: 1 });
      assert.deepEqual(await must(b.http, 'POST', `/v1/agents/${agent.id}:getQ`, { states: [1] }), q);
      for (const id of acknowledged) assert.equal((await fetch(`${b.http}/v1/envs/${id}`)).status, 200, `acknowledged session ${id}`);
    } finally {
      a?.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
      await b.exit;
    }
  });

  test('behind nginx: calls reach the replica serving their session; SIGKILL of one replica moves its sessions and agents to the other', async () => {
    const url = await pg.createDatabase();
    const args = (name: string) => ['--log-level', 'warn', '--database', url, '--replica', name, '--lease-seconds', '3', '--checkpoint-seconds', '0.1'];
    const replicas = [await serve(args('a')), await serve(args('b'))];
    const proxy = await startNginx(replicas.map((r) => ({ grpc: r.grpc, http: r.http.replace('http://', '') })), 5);
    const db = new pgDriver.Client({ connectionString: url });
    await db.connect();
    const killed = new Set<Served>();
    try {
      const envs: string[] = [];
      for (let i = 0; i < 24; i++) {
        const env = await must(proxy.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 100 + i });
        await must(proxy.http, 'POST', `/v1/envs/${env.id}:reset`, {});
        for (let k = 0; k < 3; k++) await must(proxy.http, 'POST', `/v1/envs/${env.id}:step`, { action: k % 2 });
        envs.push(env.id);
      }
      const agents: { id: string; q: unknown }[] = [];
      for (let i = 0; i < 6; i++) {
        const agent = await must(proxy.http, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 4 } }, actionSpace: { discrete: { n: 2 } }, seed: i });
        await must(proxy.http, 'POST', `/v1/agents/${agent.id}:updateQ`, { transitions: [{ state: i % 4, action: 1, reward: i + 1, nextState: 0, done: true }] });
        agents.push({ id: agent.id, q: await must(proxy.http, 'POST', `/v1/agents/${agent.id}:getQ`, { states: [0, 1, 2, 3] }) });
      }
      // Each session stays where its first call after the create put it: both replicas serve some.
      const holders = await db.query('SELECT replica, count(*)::int AS n FROM envs GROUP BY replica ORDER BY replica');
      assert.deepEqual(holders.rows.map((r) => r.replica), ['a', 'b'], JSON.stringify(holders.rows));
      const epochs = new Map((await db.query('SELECT id, epoch FROM envs')).rows.map((r) => [r.id, Number(r.epoch)]));
      for (const id of envs) assert.ok(epochs.get(id)! <= 2, `session ${id} moved at most once (after its create): epoch ${epochs.get(id)}`);

      // Wait for saves of every step and update, then kill replica a.
      await until(async () => {
        const rows = (await db.query('SELECT id, state FROM envs')).rows;
        const saved = rows.filter((r) => r.state && (v8.deserialize(r.state) as EnvSessionState).totalSteps === 3).length;
        return saved === envs.length ? true : undefined;
      }, 'the saves');
      await sleep(200); // agents' saves run on the same tick as the sessions'
      const victim = replicas[0];
      const onVictim = new Set((await db.query("SELECT id FROM envs WHERE replica = 'a'")).rows.map((r) => r.id as string));
      victim.child.kill('SIGKILL');
      killed.add(victim);
      await victim.exit;

      for (const id of envs) {
        const r = await until(async () => {
          const res = await fetch(`${proxy.http}/v1/envs/${id}:step`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 1 }) });
          const json = (await res.json()) as any;
          return json.code === 'UNAVAILABLE' ? undefined : { status: res.status, json };
        }, `session ${id} after the kill`);
        if (onVictim.has(id)) {
          assert.equal(r.json.details?.[0]?.reason, 'SESSION_RESTORED', `${id}: ${JSON.stringify(r.json)}`);
          await must(proxy.http, 'POST', `/v1/envs/${id}:reset`, {});
          await must(proxy.http, 'POST', `/v1/envs/${id}:step`, { action: 1 });
        } else assert.equal(r.status, 200, `${id} was on the survivor: its episode goes on (${JSON.stringify(r.json)})`);
      }
      for (const a of agents) assert.deepEqual(await must(proxy.http, 'POST', `/v1/agents/${a.id}:getQ`, { states: [0, 1, 2, 3] }), a.q, `agent ${a.id}`);
      assert.equal((await db.query("SELECT count(*)::int AS n FROM envs WHERE replica = 'b'")).rows[0].n, envs.length, 'the survivor serves every session');
    } finally {
      await db.end();
      await proxy.stop();
      for (const r of replicas) if (!killed.has(r)) r.child.kill('SIGKILL');
    }
  });

  test('`gymhost nginx-config` prints a configuration nginx -t accepts, as a conf.d snippet and standalone; bad addresses exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-nginx-config-'));
    const snippet = cli(['nginx-config', '--replica', '10.0.0.11:50051,10.0.0.11:8080', '--replica', '[::1]:50052,localhost:8081', '--fail-timeout', '3']);
    assert.equal(snippet.code, 0, snippet.stderr);
    assert.match(snippet.stdout, /hash \$gymhost_grpc_key consistent;\n    server 10\.0\.0\.11:50051 max_fails=1 fail_timeout=3s;\n    server \[::1\]:50052/);
    writeFileSync(path.join(dir, 'gymhost.conf'), snippet.stdout);
    writeFileSync(path.join(dir, 'nginx.conf'), `events {}\nhttp {\n    include ${path.join(dir, 'gymhost.conf')};\n}\n`);
    const bin = nginxBinary()!;
    const checked = spawnSync(bin, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(checked.status, 0, checked.stderr);
    const standalone = cli(['nginx-config', '--replica', '127.0.0.1:1,127.0.0.1:2', '--standalone', dir, '--grpc-listen', '127.0.0.1:1', '--http-listen', '127.0.0.1:2']);
    writeFileSync(path.join(dir, 'standalone.conf'), standalone.stdout);
    const checked2 = spawnSync(bin, ['-t', '-p', dir, '-c', path.join(dir, 'standalone.conf')], { encoding: 'utf8' });
    assert.equal(checked2.status, 0, checked2.stderr);
    for (const [args, message] of [
      [[], /give at least one --replica/],
      [['--replica', '10.0.0.1:50051'], /--replica needs GRPC_HOST:PORT,HTTP_HOST:PORT, got '10\.0\.0\.1:50051'/],
      [['--replica', '10.0.0.1:0,10.0.0.1:8080'], /port 1-65535/],
      [['--replica', 'a:1,b:2', '--fail-timeout', '0'], /--fail-timeout must be a whole number of seconds/],
      [['--replica', 'a:1,b:2', '--max-body-size', '1 GB'], /--max-body-size must be nginx's size syntax/],
    ] as const) {
      const r = cli(['nginx-config', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message);
    }
  });

  test('behind nginx over gRPC: the TS client routes every call, StepStreams included, to the replica serving its session', async () => {
    const url = await pg.createDatabase();
    const args = (name: string) => ['--log-level', 'warn', '--database', url, '--replica', name, '--lease-seconds', '5'];
    const replicas = [await serve(args('a')), await serve(args('b'))];
    const proxy = await startNginx(replicas.map((r) => ({ grpc: r.grpc, http: r.http.replace('http://', '') })));
    const client = new GymhostClient({ address: proxy.grpc });
    const db = new pgDriver.Client({ connectionString: url });
    await db.connect();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 16; i++) {
        const env = await client.envs.create({ envId: 'CartPole-v1', seed: i });
        await client.envs.reset(env.id);
        await client.envs.step(env.id, 1);
        const stream = client.envs.stream(env.id);
        for (let k = 0; k < 3; k++) await stream.step(env.id, k % 2);
        await stream.close();
        assert.equal((await client.envs.get(env.id)).totalSteps, 4);
        ids.push(env.id);
      }
      const grid = await client.envs.create({ envId: 'GridWorld-v0', seed: 1 });
      const agent = await client.agents.create({ kind: 'tabular', env: grid.id, seed: 1 });
      await client.agents.chooseAction(agent.id, 0);
      const rows = (await db.query('SELECT id, replica, epoch FROM envs')).rows;
      assert.deepEqual([...new Set(rows.map((r) => r.replica))].sort(), ['a', 'b'], 'both replicas serve sessions');
      for (const r of rows) assert.ok(Number(r.epoch) <= 2, `session ${r.id} moved at most once (after its create): epoch ${r.epoch}`);
      const agentRow = (await db.query('SELECT epoch FROM agents WHERE id = $1', [agent.id])).rows[0];
      assert.ok(Number(agentRow.epoch) <= 2);

      // The Python client: a Gymnasium env over its StepStream, a vector env, an agent.
      const script = `
import sys, gymhost
addr = sys.argv[1]
ids, keep = [], []  # envs delete their sessions when closed or collected: kept open here
for seed in range(6):
    env = gymhost.make("CartPole-v1", address=addr, stream=seed % 2 == 0)
    keep.append(env)
    env.reset(seed=seed)
    for _ in range(5):
        env.step(env.action_space.sample())
    ids.append(env.unwrapped.id)
vec = gymhost.make_vec("CartPole-v1", 4, address=addr)
vec.reset(seed=1)
for _ in range(5):
    vec.step(vec.action_space.sample())
ids.append(vec.id)
grid = gymhost.make("GridWorld-v0", address=addr)
grid.reset(seed=0)
agent = gymhost.Agent(env=grid, kind="tabular", seed=1)
agent.choose_action(0)
ids.append(agent.id)
print(" ".join(ids))
`;
      const py = spawnSync(path.join(REPO_ROOT, '.venv', 'bin', 'python'), ['-c', script, proxy.grpc], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const pyIds = py.stdout.trim().split(' ');
      const pyRows = (await db.query('SELECT id, epoch FROM envs WHERE id = ANY($1) UNION ALL SELECT id, epoch FROM agents WHERE id = ANY($1)', [pyIds])).rows;
      assert.equal(pyRows.length, pyIds.length);
      for (const r of pyRows) assert.ok(Number(r.epoch) <= 2, `Python client: ${r.id} moved at most once: epoch ${r.epoch}`);
    } finally {
      client.close();
      await db.end();
      await proxy.stop();
      for (const r of replicas) r.child.kill('SIGKILL');
    }
  });

  test('training runs: an async run on a replica killed with SIGKILL resumes on the other from its checkpoint and ends at its budget; GetRun, ListRuns and CancelRun work from either replica', async () => {
    const url = await pg.createDatabase();
    const args = (name: string) => ['--log-level', 'warn', '--database', url, '--replica', name, '--lease-seconds', '3', '--checkpoint-seconds', '0.2'];
    const replicas = [await serve(args('a')), await serve(args('b'))];
    const proxy = await startNginx(replicas.map((r) => ({ grpc: r.grpc, http: r.http.replace('http://', '') })), 5);
    const db = new pgDriver.Client({ connectionString: url });
    await db.connect();
    const killed = new Set<Served>();
    try {
      const env = await must(proxy.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 21 });
      const agent = await must(proxy.http, 'POST', '/v1/agents', { preset: 'fast-cartpole-dqn', env: env.id, seed: 4 });
      const run = await must(proxy.http, 'POST', `/v1/agents/${agent.id}:train`, { steps: 12_000, async: true });
      assert.ok(run.id.startsWith(`run-${agent.id}-`), run.id);
      // Kill the executor once a checkpoint past the start is saved.
      await until(async () => {
        const r = await must(proxy.http, 'GET', `/v1/runs/${run.id}`);
        return Number(r.checkpointSteps) >= 2000 ? true : undefined;
      }, 'a checkpoint', 1200);
      const executor = (await db.query('SELECT replica FROM agents WHERE id = $1', [agent.id])).rows[0].replica as string;
      const victim = replicas[executor === 'a' ? 0 : 1];
      victim.child.kill('SIGKILL');
      killed.add(victim);
      await victim.exit;
      // The other replica takes the run (once the agent's lease ends) and finishes it.
      const ended = await until(async () => {
        const r = await fetch(`${proxy.http}/v1/runs/${run.id}`);
        const json = (await r.json()) as any;
        return r.status === 200 && json.state !== 'RUN_STATE_RUNNING' ? json : undefined;
      }, 'the resumed run to end', 2400);
      assert.equal(ended.state, 'RUN_STATE_SUCCEEDED', ended.error);
      assert.equal(Number(ended.steps), 12_000, 'stops at exactly its step budget');
      assert.ok(Number(ended.resumes) >= 1);
      const survivor = executor === 'a' ? 'b' : 'a';
      assert.equal((await db.query('SELECT replica FROM agents WHERE id = $1', [agent.id])).rows[0].replica, survivor);
      const listed = await must(proxy.http, 'GET', `/v1/runs?agent=${agent.id}`);
      assert.deepEqual(listed.runs.map((r: { id: string }) => r.id), [run.id]);

      // A second run, cancelled (the run shows its end before its final save frees the agent).
      await until(async () => ((await must(proxy.http, 'GET', `/v1/agents/${agent.id}`)).training ? undefined : true), 'the agent to be free');
      const other = await must(proxy.http, 'POST', `/v1/agents/${agent.id}:train`, { steps: 200_000, async: true });
      await until(async () => (Number((await must(proxy.http, 'GET', `/v1/runs/${other.id}`)).steps) > 0 ? true : undefined), 'the second run to start');
      const cancelled = await must(proxy.http, 'POST', `/v1/runs/${other.id}:cancel`, {});
      assert.equal(cancelled.state, 'RUN_STATE_CANCELLED');
    } finally {
      await db.end();
      await proxy.stop();
      for (const r of replicas) if (!killed.has(r)) r.child.kill('SIGKILL');
    }
  });

  test('a run executed by one replica: GetRun, ListRuns and WatchRun on another answer from its row, CancelRun there stops it; calls on its agent answer AGENT_TRAINING at once', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await replica(url, 'a', 5), await replica(url, 'b', 5)];
    try {
      const env = await must(a.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 2 });
      const agent = await must(a.httpAddress, 'POST', '/v1/agents', { preset: 'fast-cartpole-dqn', env: env.id, seed: 2 });
      const run = await must(a.httpAddress, 'POST', `/v1/agents/${agent.id}:train`, { steps: 500_000, async: true, evalEverySteps: 1000, evalEpisodes: 1 });
      await until(async () => (Number((await must(b.httpAddress, 'GET', `/v1/runs/${run.id}`)).checkpointSteps) > 0 ? true : undefined), 'a checkpoint seen from b');
      const listed = await must(b.httpAddress, 'GET', `/v1/runs?agent=${agent.id}`);
      assert.deepEqual(listed.runs.map((r: { id: string; state: string }) => [r.id, r.state]), [[run.id, 'RUN_STATE_RUNNING']]);
      const busy = await http(b, 'POST', `/v1/agents/${agent.id}:chooseAction`, { state: [0, 0, 0, 0] });
      assert.equal(busy.status, 400, JSON.stringify(busy.body));
      assert.equal(busy.body.details[0].reason, 'AGENT_TRAINING');
      // WatchRun on b (NDJSON): the run, then its progress from its row, until the cancel below ends it.
      const watching = fetch(`${b.httpAddress}/v1/runs/${run.id}:watch`).then((r) => r.text());
      const cancelled = await must(b.httpAddress, 'POST', `/v1/runs/${run.id}:cancel`, {});
      assert.equal(cancelled.state, 'RUN_STATE_CANCELLED');
      assert.equal((await must(a.httpAddress, 'GET', `/v1/runs/${run.id}`)).state, 'RUN_STATE_CANCELLED');
      const lines = (await watching).trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines[0].run.state, 'RUN_STATE_RUNNING');
      assert.equal(lines.at(-1).run.state, 'RUN_STATE_CANCELLED');
      assert.equal((await http(b, 'GET', '/v1/runs/run-nothing')).status, 404);
    } finally {
      await Promise.all([a.close(0), b.close(0)]);
    }
  });

  test("users' totals add up over replicas: each writes what it counted, and /v1/usage on any shows the sum", async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await replica(url, 'a'), await replica(url, 'b')];
    try {
      const e1 = await must(a.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
      const e2 = await must(b.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 2 });
      await must(a.httpAddress, 'POST', `/v1/envs/${e1.id}:reset`, {});
      await must(b.httpAddress, 'POST', `/v1/envs/${e2.id}:reset`, {});
      for (let i = 0; i < 5; i++) await must(a.httpAddress, 'POST', `/v1/envs/${e1.id}:step`, { action: 0 });
      for (let i = 0; i < 3; i++) await must(b.httpAddress, 'POST', `/v1/envs/${e2.id}:step`, { action: 1 });
      // Each replica's view includes its own unsaved counts; the other's arrive with its save (every 0.1 s).
      for (const r of [a, b]) {
        const totals = await until(async () => {
          const t = (await must(r.httpAddress, 'GET', '/v1/usage')).totals;
          return Number(t.envSteps) === 8 ? t : undefined;
        }, 'the sum of both replicas');
        // The creates, resets and steps on both replicas (the /v1/usage reads add more, as each is saved).
        assert.ok(Number(totals.requests) >= 12, `requests ${totals.requests}`);
      }
      const db = new pgDriver.Client({ connectionString: url });
      await db.connect();
      try {
        await until(async () => ((await db.query("SELECT env_steps FROM users WHERE name = 'anonymous'")).rows[0]?.env_steps === '8' ? true : undefined), 'the row');
      } finally {
        await db.end();
      }
    } finally {
      await Promise.all([a.close(0), b.close(0)]);
    }
  });

  test('ListEnvs and ListAgents on any replica list the sessions and agents of every replica, without moving them', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await replica(url, 'a'), await replica(url, 'b')];
    try {
      const e1 = await must(a.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
      const e2 = await must(b.httpAddress, 'POST', '/v1/envs', { envId: 'FrozenLake-v1', seed: 2 });
      await must(b.httpAddress, 'POST', `/v1/envs/${e2.id}:reset`, {});
      await must(b.httpAddress, 'POST', `/v1/envs/${e2.id}:step`, { action: 1 });
      const g = await must(a.httpAddress, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 16 } }, actionSpace: { discrete: { n: 4 } }, seed: 1 });
      // b's session as b serves it, and as a lists it from its row once saved.
      const served = await must(b.httpAddress, 'GET', `/v1/envs/${e2.id}`);
      for (const r of [a, b]) {
        const listed = await until(async () => {
          const l = (await must(r.httpAddress, 'GET', '/v1/envs')).envs;
          return l.find((e: { id: string; totalSteps: string }) => e.id === e2.id && Number(e.totalSteps) === 1) ? l : undefined;
        }, 'the listing');
        assert.deepEqual(listed.map((e: { id: string }) => e.id), [e1.id, e2.id]);
        const row = listed.find((e: { id: string }) => e.id === e2.id);
        for (const field of ['envId', 'owner', 'config', 'rewardFunction', 'numEnvs', 'observationSpace', 'actionSpace', 'createTime', 'totalSteps', 'totalEpisodes', 'hasReset', 'maxEpisodeSteps', 'rewardOrigin', 'memoryBytes']) {
          assert.deepEqual(row[field], served[field], `${field} listed on ${r === a ? 'a' : 'b'}`);
        }
        const agents = (await must(r.httpAddress, 'GET', '/v1/agents')).agents;
        assert.deepEqual(agents.map((x: { id: string; kind: string }) => [x.id, x.kind]), [[g.id, 'tabular']]);
      }
      assert.equal(a.envs.hasSession(e2.id), false, 'listing did not move it');
      assert.equal(b.agents.hasAgent(g.id), false);
    } finally {
      await Promise.all([a.close(0), b.close(0)]);
    }
  });

  test("quotas count what a user holds on every replica: the session over the quota is refused wherever it is created", async () => {
    const url = await pg.createDatabase();
    const users = makeUsersFile([{ name: 'sam', role: 'student', quotas: { envSessions: 3 } }]);
    const options = { database: url, leaseSeconds: 1.5, checkpointSeconds: 0.1, workers: 1, usersFile: users.file };
    const a = await startTestServer({}, { ...options, replica: 'a' });
    const b = await startTestServer({}, { ...options, replica: 'b' });
    const auth = { authorization: `Bearer ${users.tokens.sam}` };
    try {
      for (let i = 0; i < 2; i++) assert.equal((await http(a, 'POST', '/v1/envs', { envId: 'CartPole-v1' }, auth)).status, 200);
      assert.equal((await http(b, 'POST', '/v1/envs', { envId: 'CartPole-v1' }, auth)).status, 200);
      // Each replica learns what the other serves at its lease renewals.
      for (const r of [a, b]) await until(async () => (Number((await http(r, 'GET', '/v1/usage', undefined, auth)).body.used.envSessions) === 3 ? true : undefined), 'the usage of both replicas');
      for (const r of [a, b]) {
        const refused = await http(r, 'POST', '/v1/envs', { envId: 'CartPole-v1' }, auth);
        assert.equal(refused.status, 429, JSON.stringify(refused.body));
        assert.equal(refused.body.details[0].reason, 'QUOTA_EXCEEDED');
        assert.match(refused.body.message, /quota envSessions exceeded: you have 3 env sessions and may have at most 3/);
      }
    } finally {
      await Promise.all([a.close(0), b.close(0)]);
    }
  });

  test('a queue of runs: an async run started on a replica whose workers all train waits for a free worker, here it is on the other replica', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await replica(url, 'a', 1.5), await replica(url, 'b', 1.5)];
    try {
      const started: { run: any; agent: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const env = await must(a.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: i });
        const agent = await must(a.httpAddress, 'POST', '/v1/agents', { preset: 'fast-cartpole-dqn', env: env.id, seed: i });
        // The first run keeps a's only worker busy until it is cancelled below.
        started.push({ run: await must(a.httpAddress, 'POST', `/v1/agents/${agent.id}:train`, { steps: i === 0 ? 1_000_000 : 3000, async: true }), agent: agent.id });
      }
      // a has one worker: the first run trains there, the second goes to the queue and b takes it.
      assert.ok(a.agents.hasAgent(started[0].agent));
      assert.equal(a.agents.hasAgent(started[1].agent), false, 'queued: its agent left a');
      await until(async () => (b.agents.runs.get(started[1].run.id)?.running ? true : undefined), 'b to take the queued run');
      const ended = await until(async () => {
        const r = await must(a.httpAddress, 'GET', `/v1/runs/${started[1].run.id}`);
        return r.state === 'RUN_STATE_RUNNING' ? undefined : r;
      }, 'the queued run to end', 2400);
      assert.equal(ended.state, 'RUN_STATE_SUCCEEDED', ended.error);
      assert.equal(Number(ended.steps), 3000);
      assert.equal((await must(a.httpAddress, 'GET', `/v1/runs/${started[0].run.id}`)).state, 'RUN_STATE_RUNNING', 'the first run still trains on a');
      assert.equal((await must(b.httpAddress, 'POST', `/v1/runs/${started[0].run.id}:cancel`, {})).state, 'RUN_STATE_CANCELLED');
    } finally {
      await Promise.all([a.close(0), b.close(0)]);
    }
  });

  test('a clean stop (SIGTERM) hands everything over at once: sessions go on mid-episode on another replica, and its runs resume there', async () => {
    const url = await pg.createDatabase();
    const [a, b] = [await replica(url, 'a', 30), await replica(url, 'b', 30)];
    const single = await startTestServer({}, { workers: 1 });
    try {
      const env = await must(a.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 9 });
      const ref = await must(single.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 9 });
      for (const [base, id] of [[a.httpAddress, env.id], [single.httpAddress, ref.id]]) {
        await must(base, 'POST', `/v1/envs/${id}:reset`, {});
        for (let i = 0; i < 3; i++) await must(base, 'POST', `/v1/envs/${id}:step`, { action: i % 2 });
      }
      const trainEnv = await must(a.httpAddress, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
      const agent = await must(a.httpAddress, 'POST', '/v1/agents', { preset: 'fast-cartpole-dqn', env: trainEnv.id, seed: 1 });
      const run = await must(a.httpAddress, 'POST', `/v1/agents/${agent.id}:train`, { steps: 4000, async: true });
      await until(async () => (Number((await must(a.httpAddress, 'GET', `/v1/runs/${run.id}`)).checkpointSteps) > 0 ? true : undefined), 'a checkpoint');
      // Leases of 30 s: b can only have the rows this soon because a released them.
      await a.close(5000);
      const got = await must(b.httpAddress, 'POST', `/v1/envs/${env.id}:step`, { action: 1 });
      const want = await must(single.httpAddress, 'POST', `/v1/envs/${ref.id}:step`, { action: 1 });
      assert.deepEqual(got.observation, want.observation, 'the episode goes on where it was');
      const ended = await until(async () => {
        const r = await must(b.httpAddress, 'GET', `/v1/runs/${run.id}`);
        return r.state === 'RUN_STATE_RUNNING' ? undefined : r;
      }, 'the run to end on b', 2400);
      assert.equal(ended.state, 'RUN_STATE_SUCCEEDED', ended.error);
      assert.equal(Number(ended.steps), 4000);
      assert.equal(Number(ended.resumes), 1);
    } finally {
      await Promise.all([a.close(0), b.close(0), single.close(0)]);
    }
  });
});
