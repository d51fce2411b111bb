import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DomainError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import { runFromRow, runToRow, storageFullError, storageUnavailableError } from './rows.js';
import type { AgentRow, EnvRow, GradingLogRow, RewardRow, RunCheckpointRow, RunCheckpointWrite, RunRow, Store, StoredState, UserRow } from './store.js';

/** Name of the database file in the data directory. */
export const DATABASE_FILE = 'gymhost.db';

export interface SqliteStoreOptions {
  /** Largest database size in bytes (SQLite's max_page_count); writes beyond fail with RESOURCE_EXHAUSTED. 0 = no cap. */
  readonly maxBytes?: number;
}

/**
 * The embedded store: one SQLite database (better-sqlite3) in write-ahead-log mode with
 * synchronous=FULL, so a write is on disk when its call returns. Schema migrations are
 * versioned (PRAGMA user_version) and run at start-up. `dataDir` ':memory:' keeps it in
 * memory (nothing survives the process): it then keeps only what the server reads back while
 * it runs (training runs and their saved agents), not sessions, agents, rewards or totals.
 *
 * better-sqlite3 is synchronous: a write blocks the thread for its fsync (about a
 * millisecond); the methods return promises so that a networked backend fits the interface.
 */
export class SqliteStore implements Store {
  readonly location: string;
  readonly durable: boolean;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepare>;

  constructor(dataDir: string, options: SqliteStoreOptions = {}) {
    this.durable = dataDir !== ':memory:';
    this.location = this.durable ? path.resolve(dataDir, DATABASE_FILE) : ':memory:';
    this.db = openDatabase(dataDir, this.location);
    try {
      if (options.maxBytes) {
        const pageSize = this.db.pragma('page_size', { simple: true }) as number;
        this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
      }
      migrate(this.db, this.location);
      this.statements = prepare(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  async loadAll(): Promise<StoredState> {
    const s = this.statements;
    return {
      envs: (s.allEnvs.all() as Record<string, unknown>[]).map((r) => ({
        id: r.id as string,
        owner: r.owner as string,
        spec: JSON.parse(r.spec as string),
        createdAt: r.created_at as number,
        state: (r.state as Buffer | null) ?? undefined,
      })),
      agents: (s.allAgents.all() as Record<string, unknown>[]).map((r) => ({
        id: r.id as string,
        owner: r.owner as string,
        env: r.env as string,
        preset: r.preset as string,
        createdAt: r.created_at as number,
        memoryBytes: r.memory_bytes as number,
        snapshot: r.snapshot as Buffer,
      })),
      rewards: (s.allRewards.all() as Record<string, unknown>[]).map((r) => ({
        owner: r.owner as string,
        name: r.name as string,
        sessionId: r.session_id as string,
        envTypeId: r.env_type as string,
        source: r.source as string,
        description: r.description as string,
        params: JSON.parse(r.params as string),
        createdAt: r.created_at as number,
      })),
      runs: (s.allRuns.all() as Record<string, unknown>[]).map(runFromRow),
      users: (s.allUsers.all() as Record<string, unknown>[]).map((r) => ({
        name: r.name as string,
        role: r.role as string,
        firstSeen: r.first_seen as number,
        lastSeen: r.last_seen as number,
        requests: r.requests as number,
        envSteps: r.env_steps as number,
        trainingSteps: r.training_steps as number,
      })),
      cleanShutdown: (s.getMeta.get('clean_shutdown') as { value?: string } | undefined)?.value === 'true',
    };
  }

  async setCleanShutdown(clean: boolean): Promise<void> {
    this.write('record the shutdown', () => this.statements.putMeta.run('clean_shutdown', String(clean)));
  }

  async putEnv(row: EnvRow): Promise<void> {
    if (!this.durable) return;
    this.write('save env session', () => this.statements.putEnv.run(row.id, row.owner, JSON.stringify(row.spec), row.createdAt, row.state ?? null));
  }

  async putEnvStates(rows: readonly { id: string; state: Uint8Array }[]): Promise<void> {
    if (!this.durable) return;
    this.write('save env session states', () => {
      for (const r of rows) this.statements.setEnvState.run(r.state, r.id);
    });
  }

  async deleteEnv(id: string): Promise<void> {
    this.write('delete env session', () => {
      this.statements.deleteEnv.run(id);
      // Reward functions registered by the session go with it.
      this.statements.deleteSessionRewards.run(id);
    });
  }

  async putAgent(row: AgentRow): Promise<void> {
    if (!this.durable) return;
    this.write('save agent', () => this.statements.putAgent.run(row.id, row.owner, row.env, row.preset, row.createdAt, row.memoryBytes, row.snapshot));
  }

  async putAgentSnapshots(rows: readonly { id: string; snapshot: Uint8Array }[]): Promise<void> {
    if (!this.durable) return;
    this.write('save agents', () => {
      for (const r of rows) this.statements.setAgentSnapshot.run(r.snapshot, r.id);
    });
  }

  async deleteAgent(id: string): Promise<void> {
    this.write('delete agent', () => {
      this.statements.deleteAgent.run(id);
      // The agents its runs saved go with it (the runs' records stay).
      this.statements.deleteAgentCheckpoints.run(id);
    });
  }

  async putReward(row: RewardRow): Promise<void> {
    if (!this.durable) return;
    this.write('save reward function', () =>
      this.statements.putReward.run(row.owner, row.name, row.sessionId, row.envTypeId, row.source, row.description, JSON.stringify(row.params), row.createdAt),
    );
  }

  async deleteReward(owner: string, name: string, sessionId: string): Promise<void> {
    this.write('delete reward function', () => this.statements.deleteReward.run(owner, name, sessionId));
  }

  async putRun(row: RunRow): Promise<void> {
    this.write('save training run', () => this.statements.putRun.run(...runToRow(row)));
  }

  async checkpointRun(w: RunCheckpointWrite): Promise<void> {
    this.write('checkpoint training run', () => {
      const s = this.statements;
      s.putRun.run(...runToRow(w.run));
      // One 'last' copy per agent: its latest run's.
      s.dropOlderLast.run(w.run.agent, w.run.id);
      s.setAgentSnapshot.run(w.agent.snapshot, w.agent.id);
      if (w.env) s.setEnvState.run(w.env.state, w.env.id);
      s.putCheckpoint.run(w.run.id, 'last', (w.run.body.steps as number) ?? 0, 'null', w.agent.snapshot);
    });
  }

  async putRunCheckpoint(row: RunCheckpointRow): Promise<void> {
    this.write('save run checkpoint', () => this.statements.putCheckpoint.run(row.runId, row.which, row.steps, JSON.stringify(row.evaluation ?? null), row.snapshot));
  }

  async getRunCheckpoint(runId: string, which: 'best' | 'last'): Promise<RunCheckpointRow | undefined> {
    const r = this.statements.getCheckpoint.get(runId, which) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return { runId, which, steps: r.steps as number, evaluation: JSON.parse(r.evaluation as string), snapshot: r.snapshot as Buffer };
  }

  async putUsers(rows: readonly UserRow[]): Promise<void> {
    if (!this.durable) return;
    this.write('save user totals', () => {
      for (const u of rows) this.statements.putUser.run(u.name, u.role, u.firstSeen, u.lastSeen, u.requests, u.envSteps, u.trainingSteps);
    });
  }

  async putGradingLog(row: GradingLogRow): Promise<void> {
    this.write('save grading log', () => this.statements.putGradingLog.run(row.assignment, row.submission, row.createdAt, JSON.stringify(row.log)));
  }

  /** A consistent copy of the database in `file` (SQLite's online backup; the server may keep writing). Returns its pages. */
  async backup(file: string): Promise<number> {
    const result = await this.db.backup(file);
    return result.totalPages;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    if (this.durable) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // A read-only or full database keeps its WAL; SQLite replays it on the next open.
      }
    }
    this.db.close();
  }

  /** Runs `fn` in a transaction, turning SQLite's failures into the domain's errors. */
  private write(what: string, fn: () => unknown): void {
    try {
      this.db.transaction(fn)();
    } catch (err) {
      throw storageError(what, err, this.location);
    }
  }
}

/** RESOURCE_EXHAUSTED when the database (or disk) is full, UNAVAILABLE for other write failures. */
function storageError(what: string, err: unknown, location: string): DomainError {
  const code = (err as { code?: string })?.code ?? '';
  const text = (err as Error)?.message ?? String(err);
  if (code === 'SQLITE_FULL' || /database or disk is full/i.test(text)) return storageFullError(what, location);
  return storageUnavailableError(what, location, text);
}

/** Opens (creating it and its directory if needed) and checks the database; clear errors for corrupt or read-only files. */
function openDatabase(dataDir: string, location: string): Database.Database {
  if (location !== ':memory:') {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new Error(`cannot create the data directory ${dataDir}: ${(err as Error).message}`);
    }
  }
  let db: Database.Database;
  try {
    db = new Database(location);
  } catch (err) {
    throw new Error(`cannot open the database ${location}: ${(err as Error).message} (check that the data directory is writable, or give --data-dir)`);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(String(check));
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_IOERR')) {
      throw new Error(`cannot open the database ${location} (${(err as Error).message}): it and its directory must be readable and writable by gymhost (a read-only file system or file is not enough)`);
    }
    throw new Error(
      `the database ${location} is corrupt or not a gymhost database (${(err as Error).message}). Restore it from a backup, or move it away to start empty`,
    );
  }
  try {
    if (location !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // A test write: a read-only file or directory is an error now, not at the first create.
    db.exec('BEGIN IMMEDIATE; COMMIT');
  } catch (err) {
    db.close();
    const text = (err as Error).message;
    if (/readonly|read-only/i.test(text)) throw new Error(`the database ${location} is read-only (${text}): gymhost must be able to write its data directory`);
    throw new Error(`cannot write the database ${location}: ${text}`);
  }
  return db;
}

/** Runs the migrations newer than the database's user_version, each in its own transaction. */
function migrate(db: Database.Database, location: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`the database ${location} has schema version ${version}, newer than this gymhost (${MIGRATIONS.length}): upgrade gymhost`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

function prepare(db: Database.Database) {
  return {
    allEnvs: db.prepare('SELECT * FROM envs ORDER BY created_at, id'),
    putEnv: db.prepare('INSERT OR REPLACE INTO envs (id, owner, spec, created_at, state) VALUES (?, ?, ?, ?, ?)'),
    setEnvState: db.prepare('UPDATE envs SET state = ? WHERE id = ?'),
    deleteEnv: db.prepare('DELETE FROM envs WHERE id = ?'),
    allAgents: db.prepare('SELECT * FROM agents ORDER BY created_at, id'),
    putAgent: db.prepare('INSERT OR REPLACE INTO agents (id, owner, env, preset, created_at, memory_bytes, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    setAgentSnapshot: db.prepare('UPDATE agents SET snapshot = ? WHERE id = ?'),
    deleteAgent: db.prepare('DELETE FROM agents WHERE id = ?'),
    allRewards: db.prepare('SELECT * FROM rewards ORDER BY created_at'),
    putReward: db.prepare('INSERT OR REPLACE INTO rewards (owner, name, session_id, env_type, source, description, params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteReward: db.prepare('DELETE FROM rewards WHERE owner = ? AND name = ? AND session_id = ?'),
    deleteSessionRewards: db.prepare("DELETE FROM rewards WHERE session_id = ? AND session_id <> ''"),
    allRuns: db.prepare('SELECT * FROM runs ORDER BY created_at, id'),
    putRun: db.prepare('INSERT OR REPLACE INTO runs (id, owner, agent, env, state, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    putCheckpoint: db.prepare('INSERT OR REPLACE INTO run_checkpoints (run_id, which, steps, evaluation, snapshot) VALUES (?, ?, ?, ?, ?)'),
    getCheckpoint: db.prepare('SELECT * FROM run_checkpoints WHERE run_id = ? AND which = ?'),
    dropOlderLast: db.prepare("DELETE FROM run_checkpoints WHERE which = 'last' AND run_id IN (SELECT id FROM runs WHERE agent = ? AND id <> ?)"),
    deleteAgentCheckpoints: db.prepare('DELETE FROM run_checkpoints WHERE run_id IN (SELECT id FROM runs WHERE agent = ?)'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    putMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    allUsers: db.prepare('SELECT * FROM users ORDER BY name'),
    putUser: db.prepare('INSERT OR REPLACE INTO users (name, role, first_seen, last_seen, requests, env_steps, training_steps) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    putGradingLog: db.prepare('INSERT INTO grading_logs (assignment, submission, created_at, log) VALUES (?, ?, ?, ?)'),
  };
}
