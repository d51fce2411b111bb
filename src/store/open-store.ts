/**
 * Picks the store backend from the server's options: PostgreSQL when a database URL is given
 * (its driver is imported only then), otherwise SQLite in the data directory.
 */
import type { Store } from './store.js';
import { SqliteStore } from './sqlite-store.js';

export interface StoreChoice {
  /** postgres:// or postgresql:// URL of a shared PostgreSQL database; wins over dataDir. */
  readonly database?: string;
  /** Directory of the SQLite database; ':memory:' keeps nothing. */
  readonly dataDir?: string;
  /** Largest SQLite database in bytes (0 = no cap). */
  readonly maxBytes?: number;
  /** This server's name among replicas sharing the PostgreSQL database (leases on). */
  readonly replica?: string;
  /** Lease time of a replica, ms. */
  readonly leaseMs?: number;
}

/** Whether `url` names a PostgreSQL database (the only networked backend). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export async function openStore(choice: StoreChoice): Promise<Store> {
  if (choice.replica !== undefined && !choice.database) throw new Error('--replica needs --database: replicas share one PostgreSQL database');
  if (choice.database) {
    if (!isPostgresUrl(choice.database)) throw new Error(`--database must be a postgres:// or postgresql:// URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE), got '${choice.database.split(':')[0]}:...'`);
    const { PostgresStore } = await import('./postgres-store.js');
    return PostgresStore.open(choice.database, { replica: choice.replica, leaseMs: choice.leaseMs });
  }
  return new SqliteStore(choice.dataDir ?? ':memory:', { maxBytes: choice.maxBytes });
}
