import pg from 'pg';
import type { DomainError } from '../core/errors.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { runFromRow, runToRow, storageFullError, storageUnavailableError } from './rows.js';
import type { AgentRow, EnvRow, GradingLogRow, RewardRow, RunCheckpointRow, RunCheckpointWrite, RunRow, Store, StoredState, UserRow } from './store.js';

export interface PostgresStoreOptions {
  /** Most connections the store keeps open (default 8). */
  readonly poolSize?: number;
  /** How long opening a connection may take before it fails, in ms (default 10,000). */
  readonly connectTimeoutMs?: number;
}

/** Key of the advisory lock that serialises migrations of servers starting at once on one database. */
const MIGRATION_LOCK = 0x67796d68; // 'gymh'

/** BIGINT columns (epoch ms, counters) come back as numbers, not strings: all stay below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The store on a PostgreSQL server (`serve --database postgres://USER:PASSWORD@HOST:PORT/DB`)
 * through the `pg` driver: the same tables and answers as the SQLite store, in a database that
 * several servers can share. A write resolves once its transaction committed (PostgreSQL's
 * default synchronous_commit: on the server's disk). Schema migrations run at start-up under
 * an advisory lock, so servers started together migrate once.
 *
 * Connection failures and full disks become the same domain errors as SQLite's
 * (UNAVAILABLE STORAGE_UNAVAILABLE, RESOURCE_EXHAUSTED STORAGE_FULL), with the URL's
 * password left out of every message.
 */
export class PostgresStore implements Store {
  readonly durable = true;

  private constructor(
    private readonly pool: pg.Pool,
    /** The URL without its password. */
    readonly location: string,
  ) {}

  /** Connects, checks the server and brings the schema up to date; a clear error when any of that fails. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const location = redactedUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 8,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: 'gymhost',
      types: TYPES,
    });
    // An idle connection the server drops (restart, network) must not end the process: the
    // next query opens a new one, or fails with UNAVAILABLE.
    pool.on('error', () => {});
    try {
      await migrate(pool, location);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresStore(pool, location);
  }

  async loadAll(): Promise<StoredState> {
    // One snapshot of the whole database, whatever other servers write meanwhile.
    return this.transaction('load the stored state', async (c) => {
      const [envs, agents, rewards, runs, users, meta] = [
        await c.query('SELECT * FROM envs ORDER BY created_at, id'),
        await c.query('SELECT * FROM agents ORDER BY created_at, id'),
        await c.query('SELECT * FROM rewards ORDER BY created_at, owner, name, session_id'),
        await c.query('SELECT * FROM runs ORDER BY created_at, id'),
        await c.query('SELECT * FROM users ORDER BY name'),
        await c.query("SELECT value FROM meta WHERE key = 'clean_shutdown'"),
      ];
      return {
        envs: envs.rows.map((r) => ({ id: r.id, owner: r.owner, spec: JSON.parse(r.spec), createdAt: r.created_at, state: r.state ?? undefined })),
        agents: agents.rows.map((r) => ({ id: r.id, owner: r.owner, env: r.env, preset: r.preset, createdAt: r.created_at, memoryBytes: r.memory_bytes, snapshot: r.snapshot })),
        rewards: rewards.rows.map((r) => ({
          owner: r.owner,
          name: r.name,
          sessionId: r.session_id,
          envTypeId: r.env_type,
          source: r.source,
          description: r.description,
          params: JSON.parse(r.params),
          createdAt: r.created_at,
        })),
        runs: runs.rows.map(runFromRow),
        users: users.rows.map((r) => ({
          name: r.name,
          role: r.role,
          firstSeen: r.first_seen,
          lastSeen: r.last_seen,
          requests: r.requests,
          envSteps: r.env_steps,
          trainingSteps: r.training_steps,
        })),
        cleanShutdown: meta.rows[0]?.value === 'true',
      };
    }, 'REPEATABLE READ READ ONLY');
  }

  async setCleanShutdown(clean: boolean): Promise<void> {
    await this.query('record the shutdown', UPSERT_META, ['clean_shutdown', String(clean)]);
  }

  async putEnv(row: EnvRow): Promise<void> {
    await this.query('save env session', UPSERT_ENV, [row.id, row.owner, JSON.stringify(row.spec), row.createdAt, row.state ? bytes(row.state) : null]);
  }

  async putEnvStates(rows: readonly { id: string; state: Uint8Array }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction('save env session states', async (c) => {
      for (const r of rows) await c.query(SET_ENV_STATE, [bytes(r.state), r.id]);
    });
  }

  async deleteEnv(id: string): Promise<void> {
    await this.transaction('delete env session', async (c) => {
      await c.query('DELETE FROM envs WHERE id = $1', [id]);
      // Reward functions registered by the session go with it.
      await c.query("DELETE FROM rewards WHERE session_id = $1 AND session_id <> ''", [id]);
    });
  }

  async putAgent(row: AgentRow): Promise<void> {
    await this.query('save agent', UPSERT_AGENT, [row.id, row.owner, row.env, row.preset, row.createdAt, row.memoryBytes, bytes(row.snapshot)]);
  }

  async putAgentSnapshots(rows: readonly { id: string; snapshot: Uint8Array }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction('save agents', async (c) => {
      for (const r of rows) await c.query(SET_AGENT_SNAPSHOT, [bytes(r.snapshot), r.id]);
    });
  }

  async deleteAgent(id: string): Promise<void> {
    await this.transaction('delete agent', async (c) => {
      await c.query('DELETE FROM agents WHERE id = $1', [id]);
      // The agents its runs saved go with it (the runs' records stay).
      await c.query('DELETE FROM run_checkpoints WHERE run_id IN (SELECT id FROM runs WHERE agent = $1)', [id]);
    });
  }

  async putReward(row: RewardRow): Promise<void> {
    await this.query('save reward function', UPSERT_REWARD, [row.owner, row.name, row.sessionId, row.envTypeId, row.source, row.description, JSON.stringify(row.params), row.createdAt]);
  }

  async deleteReward(owner: string, name: string, sessionId: string): Promise<void> {
    await this.query('delete reward function', 'DELETE FROM rewards WHERE owner = $1 AND name = $2 AND session_id = $3', [owner, name, sessionId]);
  }

  async putRun(row: RunRow): Promise<void> {
    await this.query('save training run', UPSERT_RUN, runToRow(row));
  }

  async checkpointRun(w: RunCheckpointWrite): Promise<void> {
    await this.transaction('checkpoint training run', async (c) => {
      await c.query(UPSERT_RUN, runToRow(w.run));
      // One 'last' copy per agent: its latest run's.
      await c.query("DELETE FROM run_checkpoints WHERE which = 'last' AND run_id IN (SELECT id FROM runs WHERE agent = $1 AND id <> $2)", [w.run.agent, w.run.id]);
      const snapshot = bytes(w.agent.snapshot);
      await c.query(SET_AGENT_SNAPSHOT, [snapshot, w.agent.id]);
      if (w.env) await c.query(SET_ENV_STATE, [bytes(w.env.state), w.env.id]);
      await c.query(UPSERT_CHECKPOINT, [w.run.id, 'last', (w.run.body.steps as number) ?? 0, 'null', snapshot]);
    });
  }

  async putRunCheckpoint(row: RunCheckpointRow): Promise<void> {
    await this.query('save run checkpoint', UPSERT_CHECKPOINT, [row.runId, row.which, row.steps, JSON.stringify(row.evaluation ?? null), bytes(row.snapshot)]);
  }

  async getRunCheckpoint(runId: string, which: 'best' | 'last'): Promise<RunCheckpointRow | undefined> {
    const result = await this.query('read run checkpoint', 'SELECT steps, evaluation, snapshot FROM run_checkpoints WHERE run_id = $1 AND which = $2', [runId, which]);
    const r = result.rows[0];
    if (!r) return undefined;
    return { runId, which, steps: r.steps, evaluation: JSON.parse(r.evaluation), snapshot: r.snapshot };
  }

  async putUsers(rows: readonly UserRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction('save user totals', async (c) => {
      for (const u of rows) await c.query(UPSERT_USER, [u.name, u.role, u.firstSeen, u.lastSeen, u.requests, u.envSteps, u.trainingSteps]);
    });
  }

  async putGradingLog(row: GradingLogRow): Promise<void> {
    await this.query('save grading log', 'INSERT INTO grading_logs (assignment, submission, created_at, log) VALUES ($1, $2, $3, $4)', [row.assignment, row.submission, row.createdAt, JSON.stringify(row.log)]);
  }

  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.pool.end();
  }

  /** One statement (its own transaction). */
  private async query(what: string, sql: string, values: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(sql, values);
    } catch (err) {
      throw storageError(what, err, this.location);
    }
  }

  /** Runs `fn` in one transaction on one connection: all of it is written, or none. */
  private async transaction<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>, mode = ''): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storageError(what, err, this.location);
    }
    let broken: unknown;
    try {
      await client.query(mode ? `BEGIN ISOLATION LEVEL ${mode}` : 'BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => (broken = rollbackErr));
      throw storageError(what, err, this.location);
    } finally {
      // A connection whose rollback failed is not given back to the pool.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

const UPSERT_ENV = `INSERT INTO envs (id, owner, spec, created_at, state) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, spec = EXCLUDED.spec, created_at = EXCLUDED.created_at, state = EXCLUDED.state`;
const SET_ENV_STATE = 'UPDATE envs SET state = $1 WHERE id = $2';
const UPSERT_AGENT = `INSERT INTO agents (id, owner, env, preset, created_at, memory_bytes, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, env = EXCLUDED.env, preset = EXCLUDED.preset, created_at = EXCLUDED.created_at,
  memory_bytes = EXCLUDED.memory_bytes, snapshot = EXCLUDED.snapshot`;
const SET_AGENT_SNAPSHOT = 'UPDATE agents SET snapshot = $1 WHERE id = $2';
const UPSERT_REWARD = `INSERT INTO rewards (owner, name, session_id, env_type, source, description, params, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (owner, name, session_id) DO UPDATE SET env_type = EXCLUDED.env_type, source = EXCLUDED.source, description = EXCLUDED.description,
  params = EXCLUDED.params, created_at = EXCLUDED.created_at`;
const UPSERT_RUN = `INSERT INTO runs (id, owner, agent, env, state, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, agent = EXCLUDED.agent, env = EXCLUDED.env, state = EXCLUDED.state, body = EXCLUDED.body,
  created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`;
const UPSERT_CHECKPOINT = `INSERT INTO run_checkpoints (run_id, which, steps, evaluation, snapshot) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (run_id, which) DO UPDATE SET steps = EXCLUDED.steps, evaluation = EXCLUDED.evaluation, snapshot = EXCLUDED.snapshot`;
const UPSERT_USER = `INSERT INTO users (name, role, first_seen, last_seen, requests, env_steps, training_steps) VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
  requests = EXCLUDED.requests, env_steps = EXCLUDED.env_steps, training_steps = EXCLUDED.training_steps`;
const UPSERT_META = 'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value';

/** A Buffer over the same bytes (what the driver sends as BYTEA), without a copy. */
function bytes(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** The URL as shown in messages and logs: the password replaced by '***'. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable database URL)';
  }
}

/** SQLSTATE classes and codes a write can fail with that mean the storage is full. */
const FULL_CODES = new Set(['53100', '53200', '54000']);

/** RESOURCE_EXHAUSTED for a full disk or a value beyond PostgreSQL's limits, UNAVAILABLE for other failures. */
function storageError(what: string, err: unknown, location: string): DomainError {
  const code = (err as { code?: string })?.code ?? '';
  if (FULL_CODES.has(code)) return storageFullError(what, location);
  return storageUnavailableError(what, location, describe(err));
}

/** The driver's message, or a system error's code ("ECONNREFUSED") when it has none. */
function describe(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  const text = e?.message || e?.errors?.map((x) => x.message).join('; ') || e?.code || String(err);
  return text;
}

/** Creates the schema table when missing and runs the migrations newer than its version, one transaction each. */
async function migrate(pool: pg.Pool, location: string): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new Error(`cannot connect to the database ${location}: ${describe(err)} (check --database: postgres://USER:PASSWORD@HOST:PORT/DATABASE, and that the server is up)`);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS gymhost_schema (version INTEGER NOT NULL)');
    const current = await client.query('SELECT version FROM gymhost_schema');
    if (current.rows.length === 0) await client.query('INSERT INTO gymhost_schema (version) VALUES (0)');
    const version: number = current.rows[0]?.version ?? 0;
    if (version > POSTGRES_MIGRATIONS.length) {
      throw new Error(`the database ${location} has schema version ${version}, newer than this gymhost (${POSTGRES_MIGRATIONS.length}): upgrade gymhost`);
    }
    for (let v = version; v < POSTGRES_MIGRATIONS.length; v++) {
      await client.query('BEGIN');
      try {
        await client.query(POSTGRES_MIGRATIONS[v]);
        await client.query('UPDATE gymhost_schema SET version = $1', [v + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`cannot migrate the database ${location} to schema version ${v + 1}: ${describe(err)}`);
      }
    }
  } catch (err) {
    if (err instanceof Error && /^(the database|cannot migrate)/.test(err.message)) throw err;
    throw new Error(`cannot use the database ${location}: ${describe(err)} (gymhost's user needs to create tables in it)`);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
