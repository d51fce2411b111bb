/**
 * The gymhost CLI as a user runs it, for tests: `gymhost ARGS` to completion, `gymhost users
 * add` (its token), and `gymhost serve` on free loopback ports with its stdout lines (the JSON
 * logs) kept for the test to read.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/gymhost.js', import.meta.url));

export function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `gymhost users add`: the token is the last line of stdout. */
export function addUser(file: string, name: string, role: string): string {
  const r = cli(['users', 'add', name, '--role', role, '--file', file]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1];
}

export interface Served {
  child: ReturnType<typeof spawn>;
  grpc: string;
  http: string;
  /** Every line it has written to stdout so far. */
  lines: () => string[];
  /** What it has written to stderr so far. */
  stderr: () => string;
  exit: Promise<number | null>;
}

/** `gymhost serve ARGS` on free loopback ports; resolves once it printed its addresses. */
export async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--grpc-port', '0', '--http-port', '0', '--workers', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const found = /serving gRPC on (\S+) and HTTP on (\S+)/.exec(out);
      if (found) resolve(found);
    });
    void exit.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, grpc: m[1], http: m[2], lines: () => out.split('\n'), stderr: () => err, exit };
}
