/**
 * Durable state, tried as an operator would: a real `gymhost serve` process on a data
 * directory, killed with SIGKILL during a burst of creates and during training, then started
 * again on the same directory. Every acknowledged write is there, the agent's weights are its
 * last checkpoint's (read from the database itself after the kill), the history is intact and
 * the run resumes and ends exactly where an uninterrupted run from that checkpoint ends.
 * The same tests run on both stores: SQLite in a data directory, and PostgreSQL
 * (`--database`, a fresh database of a real server this file starts on 127.0.0.1).
 * A corrupt or read-only SQLite database stops start-up with a clear error; a full one refuses
 * writes with RESOURCE_EXHAUSTED while reads go on; so does an unreachable PostgreSQL server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { after, before, describe, test } from 'node:test';
import { importAgent } from '../../src/core/agents/create-agent.js';
import { decodeSnapshot } from '../../src/core/agents/snapshot-codec.js';
import { envTypeById } from '../../src/core/envs/registry.js';
import type { EnvSessionState } from '../../src/core/sessions/env-session.js';
import type { TrainLoopState } from '../../src/core/training/train.js';
import { runLoop } from '../../src/server/services/run-loop.js';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startServer } from '../../src/server/server.js';
import { BIN, serve as serveCli, type Served } from '../helpers/cli-server.js';

/** Where a server keeps its data: the flags that name it, and the store a test reads it with. */
interface DataLocation {
  readonly args: readonly string[];
  open(): Promise<Store>;
}

/** A store backend the durable-state tests run on; fresh() gives an empty place for one test. */
interface Backend {
  readonly name: string;
  fresh(): Promise<DataLocation>;
}

const sqlite: Backend = {
  name: 'SQLite',
  async fresh() {
    const dir = tmp();
    return { args: ['--data-dir', dir], open: async () => new SqliteStore(dir) };
  },
};

let postgresServer: PostgresServer | undefined;
const postgres: Backend = {
  name: 'PostgreSQL',
  async fresh() {
    const url = await postgresServer!.createDatabase();
    return { args: ['--database', url], open: () => PostgresStore.open(url, { poolSize: 1 }) };
  },
};

/** `gymhost serve ARGS` on `at` (warnings and errors logged only) on free loopback ports. */
function serve(at: DataLocation | string, args: string[] = []): Promise<Served> {
  const where = typeof at === 'string' ? ['--data-dir', at] : at.args;
  return serveCli(['--log-level', 'warn', ...where, ...args]);
}

/** Reads the store at `at` with `fn`, then closes it. */
async function inStore<T>(at: DataLocation, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await at.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function kill(s: Served): Promise<void> {
  s.child.kill('SIGKILL');
  await s.exit;
}

async function call(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + route, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function must(base: string, method: string, route: string, body?: unknown): Promise<any> {
  const r = await call(base, method, route, body);
  assert.equal(r.status, 200, `${method} ${route}: ${JSON.stringify(r.json)}`);
  return r.json;
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gymhost-durable-'));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns a value (bounded in count, not asserted in time). */
async function until<T>(fn: () => Promise<T | undefined>, what: string, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Fixed CartPole states whose Q-values are compared. */
const STATES = [
  [0, 0, 0, 0],
  [0.05, -0.3, 0.02, 0.4],
  [-0.5, 0.8, -0.1, -0.6],
  [1.2, 1.5, 0.15, 1.1],
];

for (const backend of [sqlite, postgres]) {
describe(`durable state (${backend.name})`, () => {
  if (backend === postgres) {
    before(async () => {
      postgresServer = await startPostgres();
    });
    after(async () => {
      await postgresServer?.stop();
    });
  }

  test('every acknowledged create, delete, import and registration survives SIGKILL during a burst of creates', async () => {
    const dir = await backend.fresh();
    let s = await serve(dir);
    const env = await must(s.http, 'POST', '/v1/envs', { envId: 'GridWorld-v0', config: { world: 'small_maze' }, seed: 3 });
    const agent = await must(s.http, 'POST', '/v1/agents', { kind: 'tabular', env: env.id, seed: 1 });
    const exported = await must(s.http, 'GET', `/v1/agents/${agent.id}:export`);
    const imported = await must(s.http, 'POST', '/v1/agents:import', { data: exported.data, env: env.id });
    await must(s.http, 'POST', '/v1/rewards', { name: 'step_penalty', envId: 'GridWorld-v0', source: 'function reward(s, a, s2, facts, params) { return -1; }' });
    const doomed = await must(s.http, 'POST', '/v1/envs', { envId: 'CartPole-v1' });
    await must(s.http, 'DELETE', `/v1/envs/${doomed.id}`);
    await must(s.http, 'POST', `/v1/envs/${env.id}:setReward`, { rewardFunction: 'step_penalty' });

    // Eight clients create sessions as fast as they can; the server is killed mid-burst.
    const acknowledged: string[] = [];
    let stop = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await call(s.http, 'POST', '/v1/envs', { envId: i % 2 ? 'CartPole-v1' : 'GridWorld-v0', seed: 100 * c + i });
          if (r.status === 200) acknowledged.push(r.json.id);
        } catch {
          return; // the connection died with the server
        }
      }
    });
    await until(async () => (acknowledged.length >= 60 ? true : undefined), '60 acknowledged creates');
    await kill(s);
    stop = true;
    await Promise.all(clients);

    s = await serve(dir);
    try {
      for (const id of acknowledged) assert.equal((await call(s.http, 'GET', `/v1/envs/${id}`)).status, 200, `acknowledged session ${id} is back`);
      const back = await must(s.http, 'GET', `/v1/envs/${env.id}`);
      assert.equal(back.rewardFunction, 'step_penalty', 'the config change is back');
      assert.equal(back.rewardOrigin, 'REWARD_ORIGIN_CLIENT');
      assert.equal((await call(s.http, 'GET', `/v1/envs/${doomed.id}`)).status, 404, 'a deleted session stays deleted');
      assert.equal((await must(s.http, 'GET', `/v1/agents/${agent.id}`)).kind, 'tabular');
      assert.equal((await must(s.http, 'GET', `/v1/agents/${imported.id}`)).env, env.id);
      const rewards = await must(s.http, 'GET', '/v1/rewards');
      assert.deepEqual(rewards.rewards.map((r: { name: string }) => r.name), ['step_penalty']);
      // The restored session with the client reward steps (after its Reset).
      await must(s.http, 'POST', `/v1/envs/${env.id}:reset`, { seed: 1 });
      assert.equal((await must(s.http, 'POST', `/v1/envs/${env.id}:step`, { action: 1 })).reward, -1);
    } finally {
      await kill(s);
    }
  });

  test('an env session that was inside an episode answers Step with FAILED_PRECONDITION until Reset; its episode log and RNG stream are kept', async () => {
    const dir = await backend.fresh();
    let s = await serve(dir, ['--checkpoint-seconds', '0.1']);
    const env = await must(s.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 11 });
    await must(s.http, 'POST', `/v1/envs/${env.id}:reset`, {});
    for (let i = 0; i < 3; i++) await must(s.http, 'POST', `/v1/envs/${env.id}:step`, { action: i % 2 });
    // Wait for a periodic save that has all three steps.
    await until(async () => {
      const row = await inStore(dir, async (store) => (await store.loadAll()).envs.find((e) => e.id === env.id));
      return row?.state && (v8.deserialize(Buffer.from(row.state)) as EnvSessionState).totalSteps === 3 ? true : undefined;
    }, 'the session saved');
    await kill(s);
    s = await serve(dir);
    try {
      const refused = await call(s.http, 'POST', `/v1/envs/${env.id}:step`, { action: 0 });
      assert.equal(refused.status, 400);
      assert.equal(refused.json.code, 'FAILED_PRECONDITION');
      assert.equal(refused.json.details[0].reason, 'SESSION_RESTORED');
      assert.match(refused.json.message, /restored after a server restart.*Reset/);
      const info = await must(s.http, 'GET', `/v1/envs/${env.id}`);
      assert.equal(info.totalSteps, 3);
      await must(s.http, 'POST', `/v1/envs/${env.id}:reset`, {});
      await must(s.http, 'POST', `/v1/envs/${env.id}:step`, { action: 0 });
      const log = await must(s.http, 'GET', `/v1/envs/${env.id}/episodes`);
      assert.equal(log.episodes.length, 1, 'the cut episode is logged as abandoned');
      assert.equal(log.episodes[0].abandoned, true);
      assert.equal(log.episodes[0].length, 3);
    } finally {
      await kill(s);
    }
  });

  test('SIGKILL during training: the agent is its last checkpoint, the history is intact, and the run resumes to where an uninterrupted run from that checkpoint ends', async () => {
    const dir = await backend.fresh();
    let s = await serve(dir, ['--checkpoint-seconds', '0.2']);
    const env = await must(s.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 21 });
    const agent = await must(s.http, 'POST', '/v1/agents', { preset: 'fast-cartpole-dqn', env: env.id, seed: 4 });
    const options = { steps: 12_000, evalEverySteps: 3000, evalEpisodes: 3, evalSeed: 500 };
    const run = await must(s.http, 'POST', `/v1/agents/${agent.id}:train`, { ...options, async: true });
    assert.equal(run.state, 'RUN_STATE_RUNNING');
    // Kill once a checkpoint past the start is on disk and the run has gone beyond it.
    await until(async () => {
      const r = await must(s.http, 'GET', `/v1/runs/${run.id}`);
      return Number(r.checkpointSteps) >= 2000 && Number(r.steps) > Number(r.checkpointSteps) ? true : undefined;
    }, 'a checkpoint');
    await kill(s);

    // The checkpoint, read from the database as the killed server left it.
    const store = await dir.open();
    let checkpoint: { loop: TrainLoopState; snapshot: Uint8Array; envState: EnvSessionState; history: number[] };
    try {
      const all = await store.loadAll();
      const runRow = all.runs.find((r) => r.id === run.id)!;
      assert.equal(runRow.state, 'running');
      const agentRow = all.agents.find((a) => a.id === agent.id)!;
      const envRow = all.envs.find((e) => e.id === env.id)!;
      const loop = (runRow.body as { loop: TrainLoopState }).loop;
      const snapshot = decodeSnapshot(agentRow.snapshot);
      const history = ((snapshot.state as { tracker?: { history?: { return: number }[] } }).tracker?.history ?? []).map((h) => h.return);
      checkpoint = { loop, snapshot: agentRow.snapshot, envState: v8.deserialize(Buffer.from(envRow.state!)) as EnvSessionState, history };
      assert.ok(loop.steps >= 2000 && loop.steps < options.steps, `checkpoint at ${loop.steps} steps`);
      assert.equal(checkpoint.history.length, loop.episodes, 'the saved agent has one history record per episode of the checkpoint');
    } finally {
      await store.close();
    }
    const checkpointAgent = await importAgent(decodeSnapshot(checkpoint.snapshot));
    const states = Float32Array.from(STATES.flat());
    const qAtCheckpoint = Array.from(checkpointAgent.qValues(states, STATES.length));

    // The uninterrupted run from that checkpoint, in this process.
    const type = envTypeById('CartPole-v1');
    const batch = type.create(1, { ...env.config }, { name: 'gymnasium', params: {} }, undefined);
    batch.importState(checkpoint.envState.batch);
    const reference = await runLoop(
      batch,
      checkpointAgent,
      { episodes: 0, steps: options.steps, evaluation: { everySteps: options.evalEverySteps, episodes: options.evalEpisodes, seed: options.evalSeed, keepBest: false }, checkpointEveryMs: 0, resume: checkpoint.loop },
      () => type.create(1, { ...env.config }, { name: 'gymnasium', params: {} }, undefined),
      () => undefined,
      () => undefined,
      new AbortController().signal,
    );
    const qReference = Array.from(checkpointAgent.qValues(states, STATES.length));

    s = await serve(dir);
    try {
      const ended = await until(async () => {
        const r = await must(s.http, 'GET', `/v1/runs/${run.id}`);
        return r.state === 'RUN_STATE_RUNNING' ? undefined : r;
      }, 'the resumed run to end', 2400);
      assert.equal(ended.state, 'RUN_STATE_SUCCEEDED', ended.error);
      assert.equal(Number(ended.resumes), 1);
      assert.equal(Number(ended.steps), options.steps, 'stops at exactly its step budget');
      assert.equal(Number(ended.episodes), reference.loop.episodes);
      assert.deepEqual(
        ended.evaluations.map((e: { meanReward: number; steps: string }) => [Number(e.steps), e.meanReward]),
        reference.loop.evaluations.map((e) => [e.steps, e.mean]),
        'the same evaluations at the same steps',
      );
      const q = await must(s.http, 'POST', `/v1/agents/${agent.id}:getQ`, { states: STATES });
      assert.deepEqual(q.q.flat().map(Math.fround), qReference.map(Math.fround), 'the resumed run ends with the weights of the uninterrupted one');
      assert.notDeepEqual(qReference, qAtCheckpoint, 'training went on after the checkpoint');
      const history = await must(s.http, 'GET', `/v1/agents/${agent.id}/history`);
      assert.equal(Number(history.total), reference.loop.episodes);
      assert.deepEqual(history.records.slice(0, checkpoint.history.length).map((r: { episodeReturn: number }) => r.episodeReturn), checkpoint.history, 'the history up to the checkpoint is intact');
    } finally {
      await kill(s);
    }
  });

  test("an agent trained by a client's own loop comes back with its last saved weights after SIGKILL", async () => {
    const dir = await backend.fresh();
    let s = await serve(dir, ['--checkpoint-seconds', '0.1']);
    const agent = await must(s.http, 'POST', '/v1/agents', {
      kind: 'dqn',
      observationSpace: { box: { low: [-5, -5, -5, -5], high: [5, 5, 5, 5], shape: [4], dtype: 'DTYPE_FLOAT32' } },
      actionSpace: { discrete: { n: 2 } },
      seed: 9,
      config: { hidden_sizes: [16], learning_starts: 0, batch_size: 8, optimizer: 'adam' },
    });
    const transitions = Array.from({ length: 64 }, (_, i) => ({ state: [i / 64, -i / 64, 0.1, 0.2], action: i % 2, reward: (i % 5) - 2, nextState: [(i + 1) / 64, -i / 64, 0.1, 0.3], done: i % 9 === 0 }));
    for (let k = 0; k < 8; k++) await must(s.http, 'POST', `/v1/agents/${agent.id}:updateQ`, { transitions });
    const before = await must(s.http, 'POST', `/v1/agents/${agent.id}:getQ`, { states: STATES });
    // Wait until the periodic save has the agent as it is now.
    await until(async () => {
      const row = await inStore(dir, async (store) => (await store.loadAll()).agents.find((a) => a.id === agent.id)!);
      const saved = await importAgent(decodeSnapshot(row.snapshot));
      const q = Array.from(saved.qValues(Float32Array.from(STATES.flat()), STATES.length));
      return q.map(Math.fround).join() === before.q.flat().map(Math.fround).join() ? true : undefined;
    }, 'the agent saved');
    await kill(s);
    s = await serve(dir);
    try {
      const after = await must(s.http, 'POST', `/v1/agents/${agent.id}:getQ`, { states: STATES });
      assert.deepEqual(after.q, before.q);
      assert.equal(Number((await must(s.http, 'GET', `/v1/agents/${agent.id}`)).totalSteps), 8 * 64);
    } finally {
      await kill(s);
    }
  });

  test('SIGTERM during a run: the server drains, saves every session as it is, and the run resumes from its checkpoint on the next start', async () => {
    const dir = await backend.fresh();
    let s = await serve(dir, ['--checkpoint-seconds', '0.2']);
    const env = await must(s.http, 'POST', '/v1/envs', { envId: 'GridWorld-v0', config: { world: 'small_maze' }, seed: 2 });
    const agent = await must(s.http, 'POST', '/v1/agents', { kind: 'tabular', env: env.id, seed: 2 });
    const run = await must(s.http, 'POST', `/v1/agents/${agent.id}:train`, { episodes: 10_000, async: true });
    // A client's session inside an episode: a clean stop saves it as it is.
    const cart = await must(s.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 3 });
    await must(s.http, 'POST', `/v1/envs/${cart.id}:reset`, {});
    await must(s.http, 'POST', `/v1/envs/${cart.id}:step`, { action: 0 });
    await until(async () => (Number((await must(s.http, 'GET', `/v1/runs/${run.id}`)).checkpointSteps) > 0 ? true : undefined), 'a checkpoint');
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
    // The agent on disk is the run's last checkpoint, not what the run did after it.
    const store = await dir.open();
    try {
      const all = await store.loadAll();
      assert.equal(all.cleanShutdown, true);
      const loop = (all.runs.find((r) => r.id === run.id)!.body as { loop: TrainLoopState }).loop;
      const saved = decodeSnapshot(all.agents.find((a) => a.id === agent.id)!.snapshot);
      assert.equal((saved.state as { totalSteps: number }).totalSteps, loop.steps);
    } finally {
      await store.close();
    }
    s = await serve(dir);
    try {
      const stepped = await must(s.http, 'POST', `/v1/envs/${cart.id}:step`, { action: 1 });
      assert.equal(stepped.terminated, false, 'after a clean stop the episode goes on');
      assert.equal(Number((await must(s.http, 'GET', `/v1/envs/${cart.id}`)).totalSteps), 2);
      const resumed = await must(s.http, 'GET', `/v1/runs/${run.id}`);
      assert.equal(resumed.state, 'RUN_STATE_RUNNING');
      assert.equal(Number(resumed.resumes), 1);
      const cancelled = await must(s.http, 'POST', `/v1/runs/${run.id}:cancel`, {});
      assert.equal(cancelled.state, 'RUN_STATE_CANCELLED');
    } finally {
      await kill(s);
    }
  });

  test("users' totals survive a restart", async () => {
    const dir = await backend.fresh();
    let s = await serve(dir);
    const env = await must(s.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
    await must(s.http, 'POST', `/v1/envs/${env.id}:reset`, {});
    for (let i = 0; i < 5; i++) await must(s.http, 'POST', `/v1/envs/${env.id}:step`, { action: 1 });
    const before = (await must(s.http, 'GET', '/v1/usage')).totals;
    assert.equal(Number(before.envSteps), 5);
    assert.ok(Number(before.requests) >= 8);
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0);
    s = await serve(dir);
    try {
      const after = (await must(s.http, 'GET', '/v1/usage')).totals;
      assert.equal(Number(after.envSteps), 5);
      assert.ok(Number(after.requests) > Number(before.requests), 'counted before the restart and since');
      assert.equal(after.firstSeenTime, before.firstSeenTime);
    } finally {
      await kill(s);
    }
  });
});
}

describe('the SQLite store', () => {
  test('`gymhost backup` copies a serving database into one another server starts from', async () => {
    const dir = tmp();
    let s = await serve(dir);
    const env = await must(s.http, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
    await must(s.http, 'POST', `/v1/envs/${env.id}:reset`, {});
    for (let i = 0; i < 5; i++) await must(s.http, 'POST', `/v1/envs/${env.id}:step`, { action: 1 });
    const copy = path.join(tmp(), 'backup.db');
    const backup = spawnSync(process.execPath, [BIN, 'backup', copy, '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(backup.status, 0, backup.stderr);
    assert.match(backup.stdout, /backed up .*gymhost\.db to .*backup\.db/);
    await kill(s);
    const restored = tmp();
    writeFileSync(path.join(restored, DATABASE_FILE), readFileSync(copy));
    s = await serve(restored);
    try {
      assert.equal((await must(s.http, 'GET', `/v1/envs/${env.id}`)).id, env.id, 'the backup holds the session');
    } finally {
      await kill(s);
    }
    const refused = spawnSync(process.execPath, [BIN, 'backup', copy, '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /exists; give a new file/);
  });

  test('a corrupt or read-only database stops start-up with a clear error', async () => {
    const corrupt = tmp();
    writeFileSync(path.join(corrupt, DATABASE_FILE), 'this is not a database, just some bytes '.repeat(200));
    const r = spawnSync(process.execPath, [BIN, 'serve', '--grpc-port', '0', '--http-port', '0', '--data-dir', corrupt], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot start: the database .*gymhost\.db is corrupt or not a gymhost database .*Restore it from a backup/);

    // Read-only: a database in a directory nobody may write. Root ignores permission bits, so
    // there the directory is made immutable (chattr +i) where the file system allows it.
    const readOnly = tmp();
    const store = new SqliteStore(readOnly);
    await store.close();
    let locked = false;
    if (process.getuid?.() !== 0) {
      chmodSync(path.join(readOnly, DATABASE_FILE), 0o444);
      chmodSync(readOnly, 0o555);
      locked = true;
    } else {
      locked = spawnSync('chattr', ['+i', path.join(readOnly, DATABASE_FILE)]).status === 0 && spawnSync('chattr', ['+i', readOnly]).status === 0;
    }
    if (!locked) return;
    try {
      const ro = spawnSync(process.execPath, [BIN, 'serve', '--grpc-port', '0', '--http-port', '0', '--data-dir', readOnly], { encoding: 'utf8' });
      assert.equal(ro.status, 1);
      assert.match(ro.stderr, /cannot start: (the database .* is read-only|cannot (open|write) the database .*(readable and writable|read-only))/);
    } finally {
      if (process.getuid?.() === 0) {
        spawnSync('chattr', ['-i', readOnly]);
        spawnSync('chattr', ['-i', path.join(readOnly, DATABASE_FILE)]);
      } else chmodSync(readOnly, 0o755);
    }
  });

  test('a full database refuses writes with RESOURCE_EXHAUSTED (nothing half-made) and keeps serving reads', async () => {
    const dir = tmp();
    const server = await startServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, workers: 1, dataDir: dir, dataMaxBytes: 160 * 1024, logLevel: 'error' });
    try {
      const base = server.httpAddress;
      const made: string[] = [];
      let refused: { status: number; json: any } | undefined;
      for (let i = 0; i < 2000 && !refused; i++) {
        const r = await call(base, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 400 } }, actionSpace: { discrete: { n: 4 } }, seed: i });
        if (r.status === 200) made.push(r.json.id);
        else refused = r;
      }
      assert.ok(refused, 'the database filled up');
      assert.equal(refused.status, 429);
      assert.equal(refused.json.code, 'RESOURCE_EXHAUSTED');
      assert.equal(refused.json.details[0].reason, 'STORAGE_FULL');
      assert.match(refused.json.message, /storage is full/);
      const listed = await must(base, 'GET', '/v1/agents');
      assert.equal(listed.agents.length, made.length, 'the refused agent was not kept');
      // Reads and steps that need no write go on.
      await must(base, 'GET', `/v1/agents/${made[0]}`);
      await must(base, 'POST', `/v1/agents/${made[0]}:chooseAction`, { state: 3 });
      const again = await call(base, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 400 } }, actionSpace: { discrete: { n: 4 } } });
      assert.equal(again.status, 429, 'the next create is refused the same way');
      // Deleting frees the space again.
      for (const id of made.slice(0, 10)) await must(base, 'DELETE', `/v1/agents/${id}`);
      await must(base, 'POST', '/v1/agents', { kind: 'tabular', observationSpace: { discrete: { n: 400 } }, actionSpace: { discrete: { n: 4 } } });
    } finally {
      await server.close(0);
    }
  });
});
