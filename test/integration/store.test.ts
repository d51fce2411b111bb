/**
 * The Store interface's contract, run on both backends with the same cases: SQLite in a
 * temporary directory, and PostgreSQL on a real server this file starts on 127.0.0.1 (a
 * fresh database per case). Rows come back as written (blobs byte for byte, JSON with NaN),
 * upserts replace, deletes take what belongs to the deleted row, a checkpoint is one
 * transaction, and everything survives closing and reopening. PostgreSQL's own failures
 * (unreachable server, wrong password, a newer schema, a server that goes away) are clear
 * errors that never show the password.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DomainError } from '../../src/core/errors.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { AgentRow, EnvRow, RunRow, Store } from '../../src/store/store.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

let server: PostgresServer | undefined;

interface Backend {
  readonly name: string;
  /** An empty store, and a way to open it again. */
  fresh(): Promise<{ store: Store; reopen(): Promise<Store> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    async fresh() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-store-'));
      return { store: new SqliteStore(dir), reopen: async () => new SqliteStore(dir) };
    },
  },
  {
    name: 'PostgreSQL',
    async fresh() {
      const url = await server!.createDatabase();
      return { store: await PostgresStore.open(url), reopen: () => PostgresStore.open(url) };
    },
  },
];

/** Every byte value, a few times over, in a view that does not start at its buffer's start. */
function blob(seed: number, length = 1000): Uint8Array {
  const backing = new Uint8Array(length + 7);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + seed) & 255;
  return backing.subarray(7);
}

function env(id: string, owner = 'alice', createdAt = 1000): EnvRow {
  return { id, owner, spec: { envId: 'CartPole-v1', seed: 3, config: { nested: [1, 'two'] } }, createdAt, state: blob(id.length) };
}

function agent(id: string, envId: string, createdAt = 2000): AgentRow {
  return { id, owner: 'alice', env: envId, preset: 'fast-cartpole-dqn', createdAt, memoryBytes: 123_456_789, snapshot: blob(7, 100_000) };
}

function run(id: string, agentId: string, state = 'running', steps = 100): RunRow {
  return { id, owner: 'alice', agent: agentId, env: 'e1', state, body: { steps, bestReturn: Number.NaN, worst: -Infinity, loop: { episodes: 4 } }, createdAt: 3000, updatedAt: 4000 + steps };
}

const bytes = (u: Uint8Array | undefined) => (u ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : undefined);

for (const backend of BACKENDS) {
  describe(`store contract (${backend.name})`, () => {
    if (backend.name === 'PostgreSQL') {
      before(async () => {
        server = await startPostgres();
      });
      after(async () => {
        await server?.stop();
      });
    }

    test('an empty store loads empty; every kind of row comes back as written, also after reopening', async () => {
      const { store, reopen } = await backend.fresh();
      const empty = await store.loadAll();
      assert.deepEqual(empty, { envs: [], agents: [], rewards: [], runs: [], users: [], cleanShutdown: false });
      await store.putEnv(env('e2', 'bob', 1001));
      await store.putEnv({ ...env('e1'), state: undefined });
      await store.putAgent(agent('a1', 'e1'));
      await store.putReward({ owner: 'alice', name: 'step_penalty', sessionId: '', envTypeId: 'GridWorld-v0', source: 'function reward() { return -1; }', description: 'é ✓', params: [{ name: 'k', default: 0.5 }], createdAt: 5 });
      await store.putRun(run('r1', 'a1'));
      await store.putUsers([{ name: 'alice', role: 'student', firstSeen: 1_700_000_000_000, lastSeen: 1_800_000_000_000, requests: 2 ** 40, envSteps: 12, trainingSteps: 0 }]);
      await store.setCleanShutdown(true);
      await store.putGradingLog({ assignment: 'hw1', submission: 's1', createdAt: 9, log: { episodes: [1, 2] } });
      await store.close();

      const again = await reopen();
      try {
        const all = await again.loadAll();
        assert.deepEqual(all.envs.map((e) => [e.id, e.owner, e.spec, e.createdAt, bytes(e.state)]), [
          ['e1', 'alice', env('e1').spec, 1000, undefined],
          ['e2', 'bob', env('e2').spec, 1001, bytes(blob(2))],
        ]);
        assert.equal(all.agents.length, 1);
        assert.deepEqual({ ...all.agents[0], snapshot: bytes(all.agents[0].snapshot) }, { ...agent('a1', 'e1'), snapshot: bytes(agent('a1', 'e1').snapshot) });
        assert.deepEqual(all.rewards, [{ owner: 'alice', name: 'step_penalty', sessionId: '', envTypeId: 'GridWorld-v0', source: 'function reward() { return -1; }', description: 'é ✓', params: [{ name: 'k', default: 0.5 }], createdAt: 5 }]);
        assert.deepEqual(all.runs, [run('r1', 'a1')]);
        assert.deepEqual(all.users, [{ name: 'alice', role: 'student', firstSeen: 1_700_000_000_000, lastSeen: 1_800_000_000_000, requests: 2 ** 40, envSteps: 12, trainingSteps: 0 }]);
        assert.equal(all.cleanShutdown, true);
      } finally {
        await again.close();
      }
    });

    test('puts replace, the periodic flushes update only the blobs, and deletes take what belongs to the row', async () => {
      const { store } = await backend.fresh();
      try {
        await store.putEnv(env('e1'));
        await store.putEnv({ ...env('e1'), owner: 'carol' });
        await store.putEnvStates([{ id: 'e1', state: blob(99, 10) }, { id: 'gone', state: blob(1) }]);
        await store.putAgent(agent('a1', 'e1'));
        await store.putAgentSnapshots([{ id: 'a1', snapshot: blob(42, 3) }]);
        await store.putReward({ owner: 'carol', name: 'mine', sessionId: '', envTypeId: 'CartPole-v1', source: 'x', description: '', params: [], createdAt: 1 });
        await store.putReward({ owner: 'carol', name: 'mine', sessionId: 'e1', envTypeId: 'CartPole-v1', source: 'y', description: '', params: [], createdAt: 2 });
        let all = await store.loadAll();
        assert.deepEqual(all.envs.map((e) => [e.owner, bytes(e.state)]), [['carol', bytes(blob(99, 10))]]);
        assert.deepEqual(all.agents.map((a) => bytes(a.snapshot)), [bytes(blob(42, 3))]);
        assert.equal(all.rewards.length, 2);

        // A session's own reward functions go with it; its owner's stay.
        await store.deleteEnv('e1');
        all = await store.loadAll();
        assert.deepEqual(all.envs, []);
        assert.deepEqual(all.rewards.map((r) => [r.sessionId, r.source]), [['', 'x']]);
        await store.deleteReward('carol', 'mine', '');
        assert.deepEqual((await store.loadAll()).rewards, []);

        // An agent's saved copies go with it; its runs' records stay.
        await store.putRun(run('r1', 'a1'));
        await store.putRunCheckpoint({ runId: 'r1', which: 'best', steps: 50, evaluation: { mean: 12.5, std: 1 }, snapshot: blob(5) });
        await store.deleteAgent('a1');
        all = await store.loadAll();
        assert.deepEqual(all.agents, []);
        assert.equal(all.runs.length, 1);
        assert.equal(await store.getRunCheckpoint('r1', 'best'), undefined);
      } finally {
        await store.close();
      }
    });

    test("a checkpoint writes the run, the agent, the env and the run's 'last' copy together, keeping one 'last' per agent", async () => {
      const { store } = await backend.fresh();
      try {
        await store.putEnv(env('e1'));
        await store.putAgent(agent('a1', 'e1'));
        await store.putRun(run('old', 'a1', 'succeeded'));
        await store.checkpointRun({ run: run('old', 'a1', 'succeeded', 10), agent: { id: 'a1', snapshot: blob(1) } });
        assert.equal((await store.getRunCheckpoint('old', 'last'))?.steps, 10);
        await store.putRunCheckpoint({ runId: 'old', which: 'best', steps: 8, evaluation: { meanReward: 200 }, snapshot: blob(2) });

        await store.checkpointRun({ run: run('new', 'a1', 'running', 300), agent: { id: 'a1', snapshot: blob(3, 50) }, env: { id: 'e1', state: blob(4, 20) } });
        const all = await store.loadAll();
        assert.deepEqual(all.runs.map((r) => [r.id, r.state, r.body.steps]), [['new', 'running', 300], ['old', 'succeeded', 10]].sort());
        assert.deepEqual(bytes(all.agents[0].snapshot), bytes(blob(3, 50)));
        assert.deepEqual(bytes(all.envs[0].state), bytes(blob(4, 20)));
        const last = await store.getRunCheckpoint('new', 'last');
        assert.deepEqual([last?.steps, last?.evaluation, bytes(last?.snapshot)], [300, null, bytes(blob(3, 50))]);
        assert.equal(await store.getRunCheckpoint('old', 'last'), undefined, "the agent's older run lost its 'last' copy");
        const best = await store.getRunCheckpoint('old', 'best');
        assert.deepEqual([best?.steps, best?.evaluation, bytes(best?.snapshot)], [8, { meanReward: 200 }, bytes(blob(2))], "'best' copies stay");
      } finally {
        await store.close();
      }
    });

    test('concurrent writes of many rows all land', async () => {
      const { store, reopen } = await backend.fresh();
      await Promise.all(Array.from({ length: 60 }, (_, i) => store.putEnv(env(`e${String(i).padStart(2, '0')}`, 'alice', i))));
      await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? store.deleteEnv(`e${String(i).padStart(2, '0')}`) : store.putEnvStates([{ id: `e${String(i).padStart(2, '0')}`, state: blob(i, 64) }]))));
      await store.close();
      const again = await reopen();
      try {
        const envs = (await again.loadAll()).envs;
        assert.equal(envs.length, 40);
        for (const e of envs) assert.deepEqual(bytes(e.state), bytes(blob(Number(e.id.slice(1)), 64)));
      } finally {
        await again.close();
      }
    });
  });
}

describe('the PostgreSQL store on a server that fails', () => {
  let pgServer: PostgresServer;
  before(async () => {
    pgServer = await startPostgres();
  });
  after(async () => {
    await pgServer?.stop();
  });

  test('an unreachable server, a wrong password and a schema newer than this gymhost are clear start-up errors without the password', async () => {
    const closedPort = pgServer.port === 1 ? 2 : 1;
    await assert.rejects(PostgresStore.open(`postgres://gymhost:s3cret-pw@127.0.0.1:${closedPort}/x`, { connectTimeoutMs: 2000 }), (err: Error) => {
      assert.match(err.message, /cannot connect to the database postgres:\/\/gymhost:\*\*\*@127\.0\.0\.1:\d+\/x: .*ECONNREFUSED.*check --database/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
    const wrong = pgServer.url().replace(encodeURIComponent(pgServer.password), 'not-the-password');
    await assert.rejects(PostgresStore.open(wrong), (err: Error) => {
      assert.match(err.message, /cannot connect to the database .*password authentication failed/);
      assert.doesNotMatch(err.message, /not-the-password/);
      return true;
    });
    const url = await pgServer.createDatabase();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE gymhost_schema (version INTEGER NOT NULL); INSERT INTO gymhost_schema VALUES (99)');
    await c.end();
    await assert.rejects(PostgresStore.open(url), /has schema version 99, newer than this gymhost \(3\): upgrade gymhost/);
  });

  test('servers starting together on one database migrate it once; they share what each writes', async () => {
    const url = await pgServer.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url, { poolSize: 2 })));
    try {
      await Promise.all(stores.map((s, i) => s.putEnv(env(`from-${i}`))));
      for (const s of stores) assert.deepEqual((await s.loadAll()).envs.map((e) => e.id).sort(), ['from-0', 'from-1', 'from-2', 'from-3']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('writes while the server is down fail with UNAVAILABLE STORAGE_UNAVAILABLE, not a crash, and succeed again once it is back', async () => {
    const url = await pgServer.createDatabase();
    const store = await PostgresStore.open(url, { connectTimeoutMs: 2000 });
    try {
      await store.putEnv(env('before'));
      // Every connection of gymhost's ends, as when the server restarts or the network drops.
      const admin = new pg.Client({ connectionString: pgServer.url() });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gymhost'");
      await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} ALLOW_CONNECTIONS false`);
      await assert.rejects(store.putEnv(env('during')), (err: unknown) => {
        assert.ok(err instanceof DomainError, String(err));
        assert.equal(err.code, 'UNAVAILABLE');
        assert.equal(err.reason, 'STORAGE_UNAVAILABLE');
        assert.match(err.message, /cannot save env session: the server's storage cannot be written \(postgres:\/\/gymhost:\*\*\*@127\.0\.0\.1.*nothing was changed/);
        assert.doesNotMatch(err.message, new RegExp(pgServer.password));
        return true;
      });
      await admin.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} ALLOW_CONNECTIONS true`);
      await admin.end();
      await store.putEnv(env('after'));
      // Both were made at the same time: by id.
      assert.deepEqual((await store.loadAll()).envs.map((e) => e.id), ['after', 'before']);
    } finally {
      await store.close();
    }
  });
});

describe('leases between replicas sharing a PostgreSQL database', () => {
  let pgServer: PostgresServer;
  before(async () => {
    pgServer = await startPostgres();
  });
  after(async () => {
    await pgServer?.stop();
  });

  /**
   * Two replicas' stores on one fresh database with long leases, and a reader (no leases: a
   * replica's loadAll leaves sessions out). Tests end a replica's leases themselves
   * (endLeases) instead of waiting for them: nothing depends on how fast the machine is.
   */
  async function replicas(): Promise<{ a: PostgresStore; b: PostgresStore; reader: PostgresStore; endLeases: (replica: string) => Promise<void>; leaseUntil: (id: string) => Promise<number> }> {
    const url = await pgServer.createDatabase();
    const [a, b, reader] = [await PostgresStore.open(url, { replica: 'replica-a', leaseMs: 60_000 }), await PostgresStore.open(url, { replica: 'replica-b', leaseMs: 60_000 }), await PostgresStore.open(url, { poolSize: 1 })];
    const sql = async (text: string, values: unknown[]) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await c.query(text, values);
      } finally {
        await c.end();
      }
    };
    return {
      a,
      b,
      reader,
      // As if `replica` had stopped renewing a lease time ago.
      endLeases: async (replica) => {
        for (const table of ['envs', 'agents']) await sql(`UPDATE ${table} SET lease_until = clock_timestamp() - interval '1 millisecond' WHERE replica = $1`, [replica]);
      },
      leaseUntil: async (id) => Number((await sql('SELECT EXTRACT(EPOCH FROM lease_until) * 1000 AS t FROM envs WHERE id = $1', [id])).rows[0].t),
    };
  }

  test("a live lease keeps other replicas out; once it ends, one takes the row over with a higher epoch and the old holder's writes are fenced off", async () => {
    const { a, b, reader, endLeases } = await replicas();
    try {
      await a.putEnv(env('e1'));
      await a.putAgent(agent('a1', 'e1'));
      assert.ok(a.holds('env', 'e1') && a.holds('agent', 'a1'));
      const refused = await b.claim('env', 'e1');
      assert.ok(refused && !refused.claimed);
      assert.equal(refused.holder, 'replica-a');
      assert.ok(refused.remainingMs > 0 && refused.remainingMs <= 60_000);
      assert.equal(await b.claim('env', 'no-such-session'), undefined);
      await assert.rejects(b.putEnv({ ...env('e1'), owner: 'mallory' }), (err: unknown) => err instanceof DomainError && err.reason === 'LEASE_LOST' && /served by another replica/.test(err.message));

      // A's lease ends without renewal (a paused or dead replica): B takes both rows over.
      await a.putEnvStates([{ id: 'e1', state: blob(1, 16) }]);
      await endLeases('replica-a');
      const taken = await b.claim('env', 'e1');
      assert.ok(taken?.claimed);
      assert.equal(taken.epoch, 2);
      assert.equal(taken.previousHolder, 'replica-a', 'taken from a replica whose lease ended');
      assert.deepEqual(bytes((taken.row as EnvRow).state), bytes(blob(1, 16)), 'B loads the last state A saved');
      const agentTaken = await b.claim('agent', 'a1');
      assert.ok(agentTaken?.claimed);

      // A wakes up: its writes no longer land, and it learns it lost the leases.
      await a.putEnvStates([{ id: 'e1', state: blob(2, 16) }]);
      await assert.rejects(a.checkpointRun({ run: run('r1', 'a1'), agent: { id: 'a1', snapshot: blob(3) }, env: { id: 'e1', state: blob(3) } }), (err: unknown) => err instanceof DomainError && err.reason === 'LEASE_LOST');
      await assert.rejects(a.deleteEnv('e1'), (err: unknown) => err instanceof DomainError && err.reason === 'LEASE_LOST');
      assert.deepEqual(a.takeLost().sort((x, y) => x.kind.localeCompare(y.kind)), [{ kind: 'agent', id: 'a1' }, { kind: 'env', id: 'e1' }]);
      assert.equal(a.holds('env', 'e1'), false);
      const all = await reader.loadAll();
      assert.deepEqual(bytes(all.envs[0].state), bytes(blob(1, 16)), "A's late write did not land");
      assert.deepEqual(all.runs, [], "A's failed checkpoint wrote nothing");
      assert.deepEqual((await b.loadAll()).envs, [], "a replica's start-up loads no sessions (they come when called for)");
      // B writes under its lease.
      await b.putEnvStates([{ id: 'e1', state: blob(4, 16) }]);
      assert.deepEqual(bytes((await reader.loadAll()).envs[0].state), bytes(blob(4, 16)));
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });

  test('renewing extends a lease; a renewal after a takeover reports the loss; a released lease can be claimed at once', async () => {
    const { a, b, reader, endLeases, leaseUntil } = await replicas();
    await reader.close();
    try {
      await a.putEnv(env('kept'));
      await a.putEnv(env('moved'));
      const before = await leaseUntil('kept');
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await a.renewLeases(), []);
      assert.ok((await leaseUntil('kept')) > before, 'the renewal moved the lease end later');
      const refused = await b.claim('env', 'kept');
      assert.ok(refused && !refused.claimed, 'a live lease is not taken');
      // Released, a row is free at once, and comes back as a clean handover.
      await a.releaseLease('env', 'moved');
      const claimed = await b.claim('env', 'moved');
      assert.ok(claimed?.claimed);
      assert.equal(claimed.epoch, 2);
      assert.equal(claimed.previousHolder, undefined);
      // 'kept' ends unrenewed and B takes it: A's next renewal reports it.
      await endLeases('replica-a');
      assert.ok((await b.claim('env', 'kept'))?.claimed);
      assert.deepEqual(await a.renewLeases(), [{ kind: 'env', id: 'kept' }]);
      assert.deepEqual(await b.renewLeases(), []);
      await b.releaseAllLeases();
      assert.equal(b.holds('env', 'kept') || b.holds('env', 'moved'), false);
      assert.ok((await a.claim('env', 'kept'))?.claimed, 'all released');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('two replicas racing to claim one row: exactly one wins each round', async () => {
    const { a, b, reader } = await replicas();
    await reader.close();
    try {
      await a.putEnv(env('raced'));
      await a.releaseLease('env', 'raced');
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all([a.claim('env', 'raced'), b.claim('env', 'raced')]);
        const winners = results.filter((r) => r?.claimed);
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r?.claimed))}`);
        await (results[0]?.claimed ? a : b).releaseLease('env', 'raced');
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
