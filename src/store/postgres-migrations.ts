/**
 * The PostgreSQL schema as versioned migrations: POSTGRES_MIGRATIONS[v] takes a database from
 * schema version v to v + 1 (the `gymhost_schema` table). The same tables as the SQLite
 * schema (migrations.ts), in PostgreSQL's types: BYTEA for blobs, BIGINT for epoch
 * milliseconds and counters. Append; never edit one that has shipped.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: what SQLite's migrations 1 and 2 hold: sessions, agents, registered rewards, training
  // runs with their saved agents, user totals, grading logs, and facts about the database.
  `
  CREATE TABLE envs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state BYTEA
  );
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    env TEXT NOT NULL,
    preset TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    memory_bytes BIGINT NOT NULL,
    snapshot BYTEA NOT NULL
  );
  CREATE TABLE rewards (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    session_id TEXT NOT NULL,
    env_type TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner, name, session_id)
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    agent TEXT NOT NULL,
    env TEXT NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX runs_by_agent ON runs (agent);
  CREATE TABLE run_checkpoints (
    run_id TEXT NOT NULL,
    which TEXT NOT NULL CHECK (which IN ('best', 'last')),
    steps BIGINT NOT NULL,
    evaluation TEXT NOT NULL,
    snapshot BYTEA NOT NULL,
    PRIMARY KEY (run_id, which)
  );
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    env_steps BIGINT NOT NULL,
    training_steps BIGINT NOT NULL
  );
  CREATE TABLE grading_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment TEXT NOT NULL,
    submission TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    log TEXT NOT NULL
  );
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: leases. A replica serves a session or agent only while it holds the row's lease
  // (replica, until lease_until by the database's clock); every takeover adds one to epoch, and a
  // replica's writes of the row name the epoch it holds, so a replica that lost the lease
  // (paused, partitioned) can no longer write it.
  `
  ALTER TABLE envs ADD COLUMN replica TEXT, ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0, ADD COLUMN lease_until TIMESTAMPTZ;
  ALTER TABLE agents ADD COLUMN replica TEXT, ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0, ADD COLUMN lease_until TIMESTAMPTZ;
  CREATE INDEX envs_by_replica ON envs (replica);
  CREATE INDEX agents_by_replica ON agents (replica);
  `,
  // 3: a CancelRun on another replica than the one executing the run, kept until that replica
  // (or the one resuming the run after it died) ends the run.
  `
  ALTER TABLE runs ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false;
  `,
];
