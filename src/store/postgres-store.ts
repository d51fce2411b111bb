import pg from 'pg';
import { DomainError } from '../core/errors.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { runFromRow, runToRow, storageFullError, storageUnavailableError } from './rows.js';
import type { AgentRow, EnvRow, GradingLogRow, RewardRow, RunCheckpointRow, RunCheckpointWrite, RunRow, Store, StoredState, UserRow } from './store.js';

export interface PostgresStoreOptions {
  /** Most connections the store keeps open (default 8). */
  readonly poolSize?: number;
  /** How long opening a connection may take before it fails, in ms (default 10,000). */
  readonly connectTimeoutMs?: number;
  /**
   * This server's name among replicas sharing the database. Given, the store works with
   * leases: a session or agent row is written only under the lease this replica holds on it
   * (see claim, renewLeases); unset, rows are written without leases (one server).
   */
  readonly replica?: string;
  /** How long a lease lasts after it was taken or last renewed, in ms (default 10,000). */
  readonly leaseMs?: number;
}

/** The two kinds of rows replicas hold leases on. */
export type LeaseKind = 'env' | 'agent';

/** What claim() found: the row, now this replica's under a new epoch; or who holds it; or nothing. */
export type ClaimResult =
  | {
      readonly claimed: true;
      readonly epoch: number;
      readonly row: EnvRow | AgentRow;
      /** The replica whose lease ended (it died or paused: the row is its last save), or undefined when the lease was free (released after a save). */
      readonly previousHolder: string | undefined;
    }
  | { readonly claimed: false; readonly holder: string; /** ms until the holder's lease ends unless renewed. */ readonly remainingMs: number }
  | undefined;

const LEASE_TABLE: Record<LeaseKind, string> = { env: 'envs', agent: 'agents' };

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
  /** This replica's name (leases on), or undefined (one server, no leases). */
  readonly replica: string | undefined;
  private readonly leaseMs: number;
  /** The epoch of every lease this replica holds, by `${kind}:${id}`. */
  private readonly held = new Map<string, number>();
  /** Leases found lost by a write or a renewal, not yet taken by takeLost(). */
  private readonly lost = new Set<string>();
  /**
   * Replicas: each user's totals as this replica last loaded or wrote them. Replicas write the
   * difference from it (added to the row), so that the counts of all replicas add up.
   */
  private readonly userBaseline = new Map<string, UserRow>();

  private constructor(
    private readonly pool: pg.Pool,
    /** The URL without its password. */
    readonly location: string,
    options: PostgresStoreOptions,
  ) {
    this.replica = options.replica;
    this.leaseMs = options.leaseMs ?? 10_000;
  }

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
    return new PostgresStore(pool, location, options);
  }

  async loadAll(): Promise<StoredState> {
    // One snapshot of the whole database, whatever other servers write meanwhile.
    // A replica loads sessions, agents and runs when they are called for (claim): none here.
    const sharedOnly = this.replica !== undefined;
    return this.transaction('load the stored state', async (c) => {
      const none = { rows: [] as any[] };
      const [envs, agents, rewards, runs, users, meta] = [
        sharedOnly ? none : await c.query('SELECT * FROM envs ORDER BY created_at, id'),
        sharedOnly ? none : await c.query('SELECT * FROM agents ORDER BY created_at, id'),
        await c.query('SELECT * FROM rewards ORDER BY created_at, owner, name, session_id'),
        sharedOnly ? none : await c.query('SELECT * FROM runs ORDER BY created_at, id'),
        await c.query('SELECT * FROM users ORDER BY name'),
        await c.query("SELECT value FROM meta WHERE key = 'clean_shutdown'"),
      ];
      return {
        envs: envs.rows.map(envFromRow),
        agents: agents.rows.map(agentFromRow),
        rewards: rewards.rows.map(rewardFromRow),
        runs: runs.rows.map(runFromRow),
        users: users.rows.map(userFromRow),
        cleanShutdown: meta.rows[0]?.value === 'true',
      };
    }, 'REPEATABLE READ READ ONLY').then((state) => {
      for (const u of state.users) this.userBaseline.set(u.name, u);
      return state;
    });
  }

  async setCleanShutdown(clean: boolean): Promise<void> {
    await this.query('record the shutdown', UPSERT_META, ['clean_shutdown', String(clean)]);
  }

  async putEnv(row: EnvRow): Promise<void> {
    const values = [row.id, row.owner, JSON.stringify(row.spec), row.createdAt, row.state ? bytes(row.state) : null];
    if (this.replica === undefined) {
      await this.query('save env session', UPSERT_ENV, values);
      return;
    }
    const result = await this.query('save env session', UPSERT_ENV_LEASED, [...values, this.replica, this.leaseMs]);
    this.holdOrLose('env', row.id, result, 'save env session');
  }

  async putEnvStates(rows: readonly { id: string; state: Uint8Array }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction('save env session states', async (c) => {
      for (const r of rows) await this.setBlob(c, 'env', r.id, bytes(r.state), false);
    });
  }

  async deleteEnv(id: string): Promise<void> {
    await this.transaction('delete env session', async (c) => {
      await this.deleteLeased(c, 'env', id);
      // Reward functions registered by the session go with it.
      await c.query("DELETE FROM rewards WHERE session_id = $1 AND session_id <> ''", [id]);
    });
  }

  async putAgent(row: AgentRow): Promise<void> {
    const values = [row.id, row.owner, row.env, row.preset, row.createdAt, row.memoryBytes, bytes(row.snapshot)];
    if (this.replica === undefined) {
      await this.query('save agent', UPSERT_AGENT, values);
      return;
    }
    const result = await this.query('save agent', UPSERT_AGENT_LEASED, [...values, this.replica, this.leaseMs]);
    this.holdOrLose('agent', row.id, result, 'save agent');
  }

  async putAgentSnapshots(rows: readonly { id: string; snapshot: Uint8Array }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.transaction('save agents', async (c) => {
      for (const r of rows) await this.setBlob(c, 'agent', r.id, bytes(r.snapshot), false);
    });
  }

  async deleteAgent(id: string): Promise<void> {
    await this.transaction('delete agent', async (c) => {
      await this.deleteLeased(c, 'agent', id);
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
      // A run whose agent or env moved to another replica must not write them: the whole checkpoint fails.
      await this.setBlob(c, 'agent', w.agent.id, snapshot, true);
      if (w.env) await this.setBlob(c, 'env', w.env.id, bytes(w.env.state), true);
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
    if (this.replica === undefined) {
      await this.transaction('save user totals', async (c) => {
        for (const u of rows) await c.query(UPSERT_USER, [u.name, u.role, u.firstSeen, u.lastSeen, u.requests, u.envSteps, u.trainingSteps]);
      });
      return;
    }
    // Replicas add what they counted since their last write.
    await this.transaction('save user totals', async (c) => {
      for (const u of rows) {
        const b = this.userBaseline.get(u.name);
        await c.query(ADD_TO_USER, [u.name, u.role, u.firstSeen, u.lastSeen, u.requests - (b?.requests ?? 0), u.envSteps - (b?.envSteps ?? 0), u.trainingSteps - (b?.trainingSteps ?? 0)]);
      }
    });
    for (const u of rows) this.userBaseline.set(u.name, u);
  }

  /**
   * A user's totals over all replicas: the row (every replica's saved counts) plus what this
   * replica counted since its last write (`local`: its own running totals). Undefined when
   * neither has any.
   */
  async userTotals(name: string, local: Omit<UserRow, 'name'> | undefined): Promise<UserRow | undefined> {
    const result = await this.query('read user totals', 'SELECT * FROM users WHERE name = $1', [name]);
    const row = result.rows[0] ? userFromRow(result.rows[0]) : undefined;
    if (!local) return row;
    const b = this.userBaseline.get(name);
    const pending = { requests: local.requests - (b?.requests ?? 0), envSteps: local.envSteps - (b?.envSteps ?? 0), trainingSteps: local.trainingSteps - (b?.trainingSteps ?? 0) };
    if (!row) return { name, ...local };
    return {
      ...row,
      firstSeen: Math.min(row.firstSeen, local.firstSeen),
      lastSeen: Math.max(row.lastSeen, local.lastSeen),
      requests: row.requests + pending.requests,
      envSteps: row.envSteps + pending.envSteps,
      trainingSteps: row.trainingSteps + pending.trainingSteps,
    };
  }

  async putGradingLog(row: GradingLogRow): Promise<void> {
    await this.query('save grading log', 'INSERT INTO grading_logs (assignment, submission, created_at, log) VALUES ($1, $2, $3, $4)', [row.assignment, row.submission, row.createdAt, JSON.stringify(row.log)]);
  }

  /**
   * Takes the lease on a session or agent row when nobody holds it, its lease ended, or this
   * replica holds it already; the epoch goes up by one either way, fencing off whoever held it
   * before. Answers the row as stored (its last save), who holds it, or undefined when there
   * is no such row. Replica mode only.
   */
  async claim(kind: LeaseKind, id: string): Promise<ClaimResult> {
    const replica = this.requireReplica();
    const table = LEASE_TABLE[kind];
    const result = await this.query(
      `claim ${kind === 'env' ? 'env session' : 'agent'}`,
      `WITH before AS (SELECT id, replica FROM ${table} WHERE id = $1 FOR UPDATE)
       UPDATE ${table} SET replica = $2, epoch = ${table}.epoch + 1, lease_until = clock_timestamp() + $3 * interval '1 millisecond'
       FROM before WHERE ${table}.id = before.id AND (${table}.replica IS NULL OR ${table}.replica = $2 OR ${table}.lease_until < clock_timestamp())
       RETURNING ${table}.*, before.replica AS previous_holder`,
      [id, replica, this.leaseMs],
    );
    const r = result.rows[0];
    if (r) {
      this.held.set(`${kind}:${id}`, r.epoch);
      this.lost.delete(`${kind}:${id}`);
      const row = kind === 'env' ? envFromRow(r) : agentFromRow(r);
      return { claimed: true, epoch: r.epoch, row, previousHolder: r.previous_holder ?? undefined };
    }
    const other = await this.query('read a lease', `SELECT replica, GREATEST(0, EXTRACT(EPOCH FROM lease_until - clock_timestamp()) * 1000) AS remaining FROM ${table} WHERE id = $1`, [id]);
    const o = other.rows[0];
    return o ? { claimed: false, holder: o.replica, remainingMs: Math.ceil(Number(o.remaining)) } : undefined;
  }

  /**
   * Extends every lease this replica holds by the lease time (one statement per kind); answers
   * the leases it no longer holds (another replica took them after they ended), which it must
   * stop serving. Call well within the lease time (e.g. every third of it).
   */
  async renewLeases(): Promise<{ kind: LeaseKind; id: string }[]> {
    const replica = this.requireReplica();
    // Only leases held when the renewal began can be found lost by it: one taken meanwhile
    // (a create, a claim) may be missing from its answer without being lost.
    const before = new Map(this.held);
    const renewed = new Set<string>();
    for (const kind of ['env', 'agent'] as const) {
      const result = await this.query(
        'renew leases',
        `UPDATE ${LEASE_TABLE[kind]} SET lease_until = clock_timestamp() + $2 * interval '1 millisecond' WHERE replica = $1 RETURNING id, epoch`,
        [replica, this.leaseMs],
      );
      for (const r of result.rows) if (before.get(`${kind}:${r.id}`) === r.epoch) renewed.add(`${kind}:${r.id}`);
    }
    for (const [key, epoch] of before) if (!renewed.has(key) && this.held.get(key) === epoch) this.loseLease(key);
    return this.takeLost();
  }

  /** Gives up the lease on a row (e.g. at a clean shutdown, after its last save), so another replica may claim it at once. */
  async releaseLease(kind: LeaseKind, id: string): Promise<void> {
    const replica = this.requireReplica();
    const key = `${kind}:${id}`;
    const epoch = this.held.get(key);
    if (epoch === undefined) return;
    this.held.delete(key);
    await this.query('release a lease', `UPDATE ${LEASE_TABLE[kind]} SET replica = NULL, lease_until = NULL WHERE id = $1 AND replica = $2 AND epoch = $3`, [id, replica, epoch]);
  }

  /** Every lease this replica holds, released (a clean shutdown, after the last save). */
  async releaseAllLeases(): Promise<void> {
    for (const key of [...this.held.keys()]) {
      const [kind, id] = splitKey(key);
      await this.releaseLease(kind, id);
    }
  }

  /** Env session rows (their last save) of `owner` (every owner's when undefined), except `skip`'s; replicas list the sessions others serve from them. */
  async listEnvs(owner: string | undefined, skip: ReadonlySet<string>): Promise<EnvRow[]> {
    const result = await this.query('list env sessions', 'SELECT * FROM envs WHERE ($1::text IS NULL OR owner = $1) ORDER BY created_at, id LIMIT 100000', [owner ?? null]);
    return result.rows.filter((r) => !skip.has(r.id)).map(envFromRow);
  }

  /** Agent rows (their last save) of `owner` (every owner's when undefined), except `skip`'s. */
  async listAgents(owner: string | undefined, skip: ReadonlySet<string>): Promise<AgentRow[]> {
    const result = await this.query('list agents', 'SELECT * FROM agents WHERE ($1::text IS NULL OR owner = $1) ORDER BY created_at, id LIMIT 100000', [owner ?? null]);
    return result.rows
      .filter((r) => !skip.has(r.id))
      .map(agentFromRow);
  }

  /**
   * What every user holds on other replicas than this one (or on none, e.g. after a replica
   * died): env sessions, agents and running training runs, by owner. Replicas check quotas
   * against these plus what they serve themselves.
   */
  async usageElsewhere(): Promise<{ envSessions: Map<string, number>; agents: Map<string, number>; concurrentTrains: Map<string, number> }> {
    const replica = this.requireReplica();
    const result = await this.query(
      'read usage',
      `SELECT 'envSessions' AS kind, owner, count(*)::int AS n FROM envs WHERE replica IS DISTINCT FROM $1 GROUP BY owner
       UNION ALL SELECT 'agents', owner, count(*)::int FROM agents WHERE replica IS DISTINCT FROM $1 GROUP BY owner
       UNION ALL SELECT 'concurrentTrains', r.owner, count(*)::int FROM runs r JOIN agents a ON a.id = r.agent
         WHERE r.state = 'running' AND a.replica IS DISTINCT FROM $1 GROUP BY r.owner`,
      [replica],
    );
    const out = { envSessions: new Map<string, number>(), agents: new Map<string, number>(), concurrentTrains: new Map<string, number>() };
    for (const r of result.rows) out[r.kind as keyof typeof out].set(r.owner, r.n);
    return out;
  }

  /** One training run's row (replicas answer calls on runs another replica executes from it). */
  async getRun(id: string): Promise<RunRow | undefined> {
    const result = await this.query('read training run', 'SELECT * FROM runs WHERE id = $1', [id]);
    return result.rows[0] ? runFromRow(result.rows[0]) : undefined;
  }

  /** Training runs' rows, newest first, optionally of one owner and one agent. */
  async listRuns(filter: { owner?: string; agent?: string }): Promise<RunRow[]> {
    const result = await this.query(
      'list training runs',
      'SELECT * FROM runs WHERE ($1::text IS NULL OR owner = $1) AND ($2::text IS NULL OR agent = $2) ORDER BY created_at DESC, id LIMIT 10000',
      [filter.owner ?? null, filter.agent ?? null],
    );
    return result.rows.map(runFromRow);
  }

  /**
   * Takes up to `limit` running training runs that no replica executes (their agent's lease is
   * free, ended, or this replica's while the run is not in `executing`), oldest first, with the
   * lease on each one's agent: rows other replicas are claiming at the same time are skipped
   * (FOR UPDATE SKIP LOCKED), so each run is taken by one replica. Answers each run with its
   * agent's row (its last checkpoint). Replica mode only.
   */
  async claimOrphanedRuns(
    limit: number,
    executing: readonly string[],
  ): Promise<{ run: RunRow; agent: AgentRow; epoch: number; previousHolder: string | undefined; cancelRequested: boolean }[]> {
    const replica = this.requireReplica();
    if (limit <= 0) return [];
    return this.transaction('claim training runs', async (c) => {
      const found = await c.query(
        `SELECT r.*, a.replica AS agent_holder FROM runs r JOIN agents a ON a.id = r.agent
         WHERE r.state = 'running' AND NOT (r.id = ANY($3::text[]))
           AND (a.replica IS NULL OR a.lease_until < clock_timestamp() OR a.replica = $2)
         ORDER BY r.created_at, r.id LIMIT $1 FOR UPDATE OF r, a SKIP LOCKED`,
        [limit, replica, executing],
      );
      const out: { run: RunRow; agent: AgentRow; epoch: number; previousHolder: string | undefined; cancelRequested: boolean }[] = [];
      for (const r of found.rows) {
        const claimed = await c.query(
          `UPDATE agents SET replica = $2, epoch = epoch + 1, lease_until = clock_timestamp() + $3 * interval '1 millisecond' WHERE id = $1 RETURNING *`,
          [r.agent, replica, this.leaseMs],
        );
        const a = claimed.rows[0];
        out.push({
          run: runFromRow(r),
          agent: agentFromRow(a),
          epoch: a.epoch,
          cancelRequested: r.cancel_requested === true,
          previousHolder: r.agent_holder === replica ? undefined : (r.agent_holder ?? undefined),
        });
      }
      return out;
    }).then((claimed) => {
      // Held once the transaction committed.
      for (const c of claimed) {
        this.held.set(`agent:${c.agent.id}`, c.epoch);
        this.lost.delete(`agent:${c.agent.id}`);
      }
      return claimed;
    });
  }

  /** Records a CancelRun of a running run (kept until the replica executing or resuming it ends it); false if it is not running. */
  async requestRunCancel(id: string): Promise<boolean> {
    const result = await this.query('cancel training run', "UPDATE runs SET cancel_requested = true WHERE id = $1 AND state = 'running'", [id]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Whether a CancelRun of run `id` is waiting for its executor. */
  async runCancelRequested(id: string): Promise<boolean> {
    const result = await this.query('read training run', 'SELECT cancel_requested FROM runs WHERE id = $1', [id]);
    return result.rows[0]?.cancel_requested === true;
  }

  /** The reward functions `owner` registered (a replica restoring one of their sessions needs them). */
  async rewardsOf(owner: string): Promise<RewardRow[]> {
    const result = await this.query('read reward functions', 'SELECT * FROM rewards WHERE owner = $1 ORDER BY created_at, name, session_id', [owner]);
    return result.rows.map(rewardFromRow);
  }

  /**
   * Calls `onMessage` with every notification on `channel` (PostgreSQL LISTEN, on a connection
   * of its own). Answers a function that stops listening. A dropped connection is opened again
   * after `retryMs`.
   */
  async listen(channel: string, onMessage: (payload: string) => void, retryMs = 1000): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ ...this.pool.options, types: TYPES });
      c.on('notification', (n) => {
        if (n.channel === channel) onMessage(n.payload ?? '');
      });
      c.on('error', () => {
        if (client === c) client = undefined;
        c.end().catch(() => {});
        if (!stopped) retry = setTimeout(() => void connect().catch(() => {}), retryMs).unref();
      });
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (stopped) await c.end();
      else client = c;
    };
    try {
      await connect();
    } catch (err) {
      throw storageError(`listen on ${channel}`, err, this.location);
    }
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    };
  }

  /** Sends `payload` to every connection listening on `channel` (PostgreSQL NOTIFY). */
  async notify(channel: string, payload: string): Promise<void> {
    await this.query('notify', 'SELECT pg_notify($1, $2)', [channel, payload]);
  }

  /** How many leases of `kind` this replica holds. */
  heldCount(kind: LeaseKind): number {
    let n = 0;
    for (const key of this.held.keys()) if (key.startsWith(kind + ':')) n++;
    return n;
  }

  /** Whether this replica holds the lease on a row (as far as it knows: renewLeases finds out). */
  holds(kind: LeaseKind, id: string): boolean {
    return this.replica === undefined || this.held.has(`${kind}:${id}`);
  }

  /** The leases found lost since the last call (by fenced writes or renewals); each is reported once. */
  takeLost(): { kind: LeaseKind; id: string }[] {
    const out = [...this.lost].map((key) => {
      const [kind, id] = splitKey(key);
      return { kind, id };
    });
    this.lost.clear();
    return out;
  }

  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.pool.end();
  }

  private requireReplica(): string {
    if (this.replica === undefined) throw new Error('leases need a replica name (PostgresStore.open with options.replica)');
    return this.replica;
  }

  private loseLease(key: string): void {
    this.held.delete(key);
    this.lost.add(key);
  }

  /** After a leased upsert: the row's new epoch is held, or (no row came back) the lease is another replica's. */
  private holdOrLose(kind: LeaseKind, id: string, result: pg.QueryResult, what: string): void {
    const r = result.rows[0];
    if (r) {
      this.held.set(`${kind}:${id}`, r.epoch);
      return;
    }
    this.loseLease(`${kind}:${id}`);
    throw leaseLostError(what, kind, id);
  }

  /** Writes a row's blob (state or snapshot) under this replica's lease when leases are on; `strict` throws when it was lost, otherwise the row is skipped and reported by takeLost(). */
  private async setBlob(c: pg.PoolClient, kind: LeaseKind, id: string, blob: Buffer, strict: boolean): Promise<void> {
    const column = kind === 'env' ? 'state' : 'snapshot';
    const table = LEASE_TABLE[kind];
    if (this.replica === undefined) {
      await c.query(`UPDATE ${table} SET ${column} = $1 WHERE id = $2`, [blob, id]);
      return;
    }
    const epoch = this.held.get(`${kind}:${id}`) ?? -1;
    const result = await c.query(`UPDATE ${table} SET ${column} = $1 WHERE id = $2 AND replica = $3 AND epoch = $4`, [blob, id, this.replica, epoch]);
    if (result.rowCount) return;
    const exists = await c.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
    if (exists.rowCount === 0) return; // deleted meanwhile: nothing to save
    this.loseLease(`${kind}:${id}`);
    if (strict) throw leaseLostError('checkpoint training run', kind, id);
  }

  /** Deletes a row; with leases on, only under this replica's lease (LEASE_LOST otherwise). */
  private async deleteLeased(c: pg.PoolClient, kind: LeaseKind, id: string): Promise<void> {
    const table = LEASE_TABLE[kind];
    if (this.replica === undefined) {
      await c.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      return;
    }
    const epoch = this.held.get(`${kind}:${id}`) ?? -1;
    const result = await c.query(`DELETE FROM ${table} WHERE id = $1 AND replica = $2 AND epoch = $3`, [id, this.replica, epoch]);
    if (result.rowCount) {
      this.held.delete(`${kind}:${id}`);
      return;
    }
    const exists = await c.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
    if (exists.rowCount === 0) return;
    this.loseLease(`${kind}:${id}`);
    throw leaseLostError(`delete ${kind === 'env' ? 'env session' : 'agent'}`, kind, id);
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
      throw err instanceof DomainError ? err : storageError(what, err, this.location);
    } finally {
      // A connection whose rollback failed is not given back to the pool.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

const UPSERT_ENV = `INSERT INTO envs (id, owner, spec, created_at, state) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, spec = EXCLUDED.spec, created_at = EXCLUDED.created_at, state = EXCLUDED.state`;
/**
 * The upserts of replicas (leases on), which also take the row's lease for replica $6 / $8
 * for $7 / $9 ms: a new row starts at epoch 1; an existing one is replaced only when its lease
 * is free, ended or this replica's, one epoch higher. They answer the epoch; no row means the
 * lease is another replica's.
 */
const UPSERT_ENV_LEASED = `INSERT INTO envs (id, owner, spec, created_at, state, replica, epoch, lease_until)
  VALUES ($1, $2, $3, $4, $5, $6, 1, clock_timestamp() + $7 * interval '1 millisecond')
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, spec = EXCLUDED.spec, created_at = EXCLUDED.created_at, state = EXCLUDED.state,
  replica = EXCLUDED.replica, epoch = envs.epoch + 1, lease_until = EXCLUDED.lease_until
  WHERE envs.replica IS NULL OR envs.replica = EXCLUDED.replica OR envs.lease_until < clock_timestamp()
  RETURNING epoch`;
const UPSERT_AGENT_LEASED = `INSERT INTO agents (id, owner, env, preset, created_at, memory_bytes, snapshot, replica, epoch, lease_until)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, clock_timestamp() + $9 * interval '1 millisecond')
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, env = EXCLUDED.env, preset = EXCLUDED.preset, created_at = EXCLUDED.created_at,
  memory_bytes = EXCLUDED.memory_bytes, snapshot = EXCLUDED.snapshot, replica = EXCLUDED.replica, epoch = agents.epoch + 1, lease_until = EXCLUDED.lease_until
  WHERE agents.replica IS NULL OR agents.replica = EXCLUDED.replica OR agents.lease_until < clock_timestamp()
  RETURNING epoch`;
const UPSERT_AGENT = `INSERT INTO agents (id, owner, env, preset, created_at, memory_bytes, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, env = EXCLUDED.env, preset = EXCLUDED.preset, created_at = EXCLUDED.created_at,
  memory_bytes = EXCLUDED.memory_bytes, snapshot = EXCLUDED.snapshot`;
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
/** A replica's counts since its last write, added to the user's row (first and last seen: the earliest and latest). */
const ADD_TO_USER = `INSERT INTO users (name, role, first_seen, last_seen, requests, env_steps, training_steps) VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, first_seen = LEAST(users.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(users.last_seen, EXCLUDED.last_seen),
  requests = users.requests + EXCLUDED.requests, env_steps = users.env_steps + EXCLUDED.env_steps, training_steps = users.training_steps + EXCLUDED.training_steps`;
const UPSERT_META = 'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value';

function envFromRow(r: Record<string, any>): EnvRow {
  return { id: r.id, owner: r.owner, spec: JSON.parse(r.spec), createdAt: r.created_at, state: r.state ?? undefined };
}

function agentFromRow(r: Record<string, any>): AgentRow {
  return { id: r.id, owner: r.owner, env: r.env, preset: r.preset, createdAt: r.created_at, memoryBytes: r.memory_bytes, snapshot: r.snapshot };
}

function userFromRow(r: Record<string, any>): UserRow {
  return { name: r.name, role: r.role, firstSeen: r.first_seen, lastSeen: r.last_seen, requests: r.requests, envSteps: r.env_steps, trainingSteps: r.training_steps };
}

function rewardFromRow(r: Record<string, any>): RewardRow {
  return { owner: r.owner, name: r.name, sessionId: r.session_id, envTypeId: r.env_type, source: r.source, description: r.description, params: JSON.parse(r.params), createdAt: r.created_at };
}

function splitKey(key: string): [LeaseKind, string] {
  const at = key.indexOf(':');
  return [key.slice(0, at) as LeaseKind, key.slice(at + 1)];
}

/** UNAVAILABLE LEASE_LOST: another replica serves this session or agent now; the client's retry reaches it. */
function leaseLostError(what: string, kind: LeaseKind, id: string): DomainError {
  return new DomainError(
    'UNAVAILABLE',
    `cannot ${what}: ${kind === 'env' ? 'env session' : 'agent'} ${id} is now served by another replica (this one's lease on it ended); nothing was changed. Retry: the proxy sends the call to its new owner`,
    '',
    'LEASE_LOST',
  );
}

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
