import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from '../cli.js';
import { DATABASE_FILE, SqliteStore } from '../store/sqlite-store.js';

export const BACKUP_USAGE = `gymhost backup: a consistent copy of a server's database, also while it serves

  gymhost backup FILE [--data-dir DIR]

DIR is the server's --data-dir (default ${DEFAULT_DATA_DIR}, or GYMHOST_DATA_DIR). FILE gets a
complete SQLite database as of the moment the copy finished (SQLite's online backup). To
restore: stop the server, copy FILE to DIR/${DATABASE_FILE} (removing DIR/${DATABASE_FILE}-wal
and -shm), start the server. A PostgreSQL database (serve --database) is backed up with
PostgreSQL's own tools: pg_dump --format=custom, or the managed service's snapshots.
`;

/** `gymhost backup`; returns the exit code. */
export async function backupCommand(argv: string[]): Promise<number> {
  let file: string;
  let dataDir: string;
  try {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(BACKUP_USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('give one FILE to write the copy to');
    file = positionals[0];
    dataDir = values['data-dir'] ?? (process.env.GYMHOST_DATA_DIR || DEFAULT_DATA_DIR);
    if (dataDir === ':memory:') throw new Error('--data-dir :memory: keeps nothing to back up');
    if (!existsSync(path.join(dataDir, DATABASE_FILE))) throw new Error(`no database in ${dataDir} (${path.join(dataDir, DATABASE_FILE)} does not exist)`);
    if (existsSync(file)) throw new Error(`${file} exists; give a new file`);
  } catch (err) {
    process.stderr.write(`gymhost backup: ${(err as Error).message}\n\n${BACKUP_USAGE}`);
    return 2;
  }
  const store = new SqliteStore(dataDir);
  try {
    const pages = await store.backup(file);
    process.stdout.write(`backed up ${path.join(dataDir, DATABASE_FILE)} to ${file} (${pages} pages)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`gymhost backup: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
