/**
 * The database schema as versioned migrations: MIGRATIONS[v] takes a database from schema
 * version v to v + 1 (PRAGMA user_version). Append; never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: sessions, agents, registered rewards, training runs with their saved agents, user totals, grading logs.
  `
  CREATE TABLE envs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state BLOB
  );
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    env TEXT NOT NULL,
    preset TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    memory_bytes INTEGER NOT NULL,
    snapshot BLOB NOT NULL
  );
  CREATE TABLE rewards (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    session_id TEXT NOT NULL,
    env_type TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (owner, name, session_id)
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    agent TEXT NOT NULL,
    env TEXT NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX runs_by_agent ON runs (agent);
  CREATE TABLE run_checkpoints (
    run_id TEXT NOT NULL,
    which TEXT NOT NULL CHECK (which IN ('best', 'last')),
    steps INTEGER NOT NULL,
    evaluation TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    PRIMARY KEY (run_id, which)
  );
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    env_steps INTEGER NOT NULL,
    training_steps INTEGER NOT NULL
  );
  CREATE TABLE grading_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    submission TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    log TEXT NOT NULL
  );
  `,
  // 2: facts about the database itself: whether the last server stopped cleanly (everything saved).
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
];
