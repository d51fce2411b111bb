/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary directory, `postgres` on a
 * free 127.0.0.1 port (password authentication, fsync on), stopped by stop() or when the test
 * process exits. The server binaries are Debian's (`bash scripts/setup-postgres.sh` installs
 * them when missing; GYMHOST_PG_BIN overrides the directory). As root, the server runs as the
 * `postgres` user (PostgreSQL refuses to run as root). Nothing is skipped when the binaries
 * are missing: startPostgres() throws saying how to install them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './ports.js';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** 127.0.0.1 port the server listens on. */
  readonly port: number;
  /** Superuser name and password of the test cluster. */
  readonly user: string;
  readonly password: string;
  /** postgres:// URL of `database` on this server. */
  url(database?: string): string;
  /** Creates a new, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** The server process (tests may signal it). */
  readonly process: ChildProcess;
  /** Fast shutdown; removes the cluster's directory. */
  stop(): Promise<void>;
}

/** The directory of initdb and postgres: GYMHOST_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string | undefined {
  if (process.env.GYMHOST_PG_BIN) return process.env.GYMHOST_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

let databases = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (initdb, postgres): run `bash scripts/setup-postgres.sh` (installs Debian\'s postgresql), or set GYMHOST_PG_BIN');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-pg-'));
  const data = path.join(dir, 'data');
  const user = 'gymhost';
  const password = 'test-' + Math.random().toString(36).slice(2);
  writeFileSync(path.join(dir, 'pwfile'), password + '\n');
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root, PostgreSQL needs the `postgres` system user: run `bash scripts/setup-postgres.sh`');
    uid = Number(id.stdout.trim());
    gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chownSync(path.join(dir, 'pwfile'), uid, gid);
  }
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', user, `--pwfile=${path.join(dir, 'pwfile')}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'], {
    encoding: 'utf8',
    uid,
    gid,
  });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  const port = await freePort();
  const child = spawn(
    path.join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB'],
    { uid, gid, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = (database = 'postgres') => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  // Ready when a query answers (bounded in tries, not asserted in time).
  for (let i = 0; ; i++) {
    const c = new pg.Client({ connectionString: url() });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      break;
    } catch (err) {
      await c.end().catch(() => {});
      if (child.exitCode !== null || i >= 300) {
        child.kill('SIGKILL');
        throw new Error(`PostgreSQL did not start on port ${port}: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    user,
    password,
    url,
    process: child,
    async createDatabase() {
      const name = `gymhost_test_${process.pid}_${++databases}`;
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
