/**
 * Shared helpers of the benchmarks: time-bounded measurement, the Python peer, tables and
 * the machine description. Not a test helper: nothing here asserts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
export const PEER_SCRIPT = path.join(REPO_ROOT, 'bench', 'peer_gymnasium.py');

/** How long each measurement runs; the same numbers are handed to the Python peer. */
export interface Budget {
  /** Seconds of untimed warm-up before the timed repetitions. */
  readonly warmupSeconds: number;
  /** Seconds of each timed repetition. */
  readonly seconds: number;
  /** Timed repetitions; the median is reported. */
  readonly reps: number;
}

export const DEFAULT_BUDGET: Budget = { warmupSeconds: 0.3, seconds: 0.7, reps: 3 };
export const QUICK_BUDGET: Budget = { warmupSeconds: 0.1, seconds: 0.25, reps: 1 };

/** One figure: a rate with the repetitions it is the median of. */
export interface Rate {
  /** Median over repetitions, per second. */
  readonly perSecond: number;
  /** Each repetition's rate. */
  readonly reps: number[];
  /** Work units counted over all timed repetitions (steps or env-steps). */
  readonly units: number;
  /** Seconds over all timed repetitions. */
  readonly seconds: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function rateOf(reps: { units: number; seconds: number }[]): Rate {
  const rates = reps.map((r) => r.units / r.seconds);
  return {
    perSecond: median(rates),
    reps: rates,
    units: reps.reduce((a, r) => a + r.units, 0),
    seconds: reps.reduce((a, r) => a + r.seconds, 0),
  };
}

/**
 * Measures a synchronous chunk of work: `chunk()` does some work and returns how many units
 * it did; it is called until the repetition's time is up (checked between chunks, so a chunk
 * should take well under the budget, e.g. ~1 ms).
 */
export function measureSync(budget: Budget, chunk: () => number): Rate {
  const run = (seconds: number) => {
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let units = 0;
    let t = t0;
    do {
      units += chunk();
      t = performance.now();
    } while (t < end);
    return { units, seconds: (t - t0) / 1000 };
  };
  if (budget.warmupSeconds > 0) run(budget.warmupSeconds);
  const reps = [];
  for (let r = 0; r < budget.reps; r++) reps.push(run(budget.seconds));
  return rateOf(reps);
}

/** As measureSync for asynchronous work (RPC loops). */
export async function measureAsync(budget: Budget, chunk: () => Promise<number>): Promise<Rate> {
  const run = async (seconds: number) => {
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let units = 0;
    let t = t0;
    do {
      units += await chunk();
      t = performance.now();
    } while (t < end);
    return { units, seconds: (t - t0) / 1000 };
  };
  if (budget.warmupSeconds > 0) await run(budget.warmupSeconds);
  const reps = [];
  for (let r = 0; r < budget.reps; r++) reps.push(await run(budget.seconds));
  return rateOf(reps);
}

/** A pseudo-random 0/1 action pool (deterministic; the same for every run). */
export function actionPool(length: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = (x >>> 16) & 1;
  }
  return out;
}

// ---- The Python peer ------------------------------------------------------------------------

export interface PeerResult {
  readonly python: string;
  readonly gymnasium: string;
  readonly numpy: string;
  /** gymnasium.make("CartPole-v1") (TimeLimit, OrderEnforcing, PassiveEnvChecker) stepped by a Python loop. */
  readonly single?: PeerRate;
  /** env.unwrapped (CartPoleEnv without wrappers), stepped with TimeLimit's 500 done by the loop. */
  readonly single_unwrapped?: PeerRate;
  /** make_vec(..., vectorization_mode="vector_entry_point") (CartPoleVectorEnv), env-steps/s by num_envs. */
  readonly vector?: Record<string, PeerRate>;
}

export interface PeerRate {
  readonly per_second: number;
  readonly reps: number[];
  readonly units: number;
  readonly seconds: number;
}

export interface PeerRequest {
  readonly single: boolean;
  readonly vector: readonly number[];
  readonly budget: Budget;
  readonly python?: string;
}

/** The Python used for the peer: $GYMHOST_BENCH_PYTHON, else .venv/bin/python (scripts/setup-python.sh). */
export function peerPython(): string {
  return process.env.GYMHOST_BENCH_PYTHON || VENV_PYTHON;
}

/**
 * Runs bench/peer_gymnasium.py synchronously (so it never competes with our own timing for a
 * core) and returns its JSON. Throws with the peer's stderr when it fails.
 */
export function runPeer(req: PeerRequest): PeerResult {
  const python = req.python ?? peerPython();
  if (!existsSync(python)) {
    throw new Error(`Python peer: ${python} not found; create it with \`bash scripts/setup-python.sh\` (or set GYMHOST_BENCH_PYTHON)`);
  }
  const args = [
    PEER_SCRIPT,
    '--seconds', String(req.budget.seconds),
    '--reps', String(req.budget.reps),
    '--warmup', String(req.budget.warmupSeconds),
  ];
  if (req.single) args.push('--single');
  if (req.vector.length) args.push('--vector', req.vector.join(','));
  const res = spawnSync(python, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (res.error) throw new Error(`Python peer: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`Python peer exited with ${res.status ?? res.signal}:\n${res.stderr}`);
  const line = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PeerResult;
}

// ---- Formatting -----------------------------------------------------------------------------

/** 1234567 -> "1,234,567"; small numbers keep a few significant digits. */
export function fmtRate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}

export function fmtRatio(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x >= 100) return `${Math.round(x).toLocaleString('en-US')}x`;
  if (x >= 10) return `${x.toFixed(1)}x`;
  return `${x.toFixed(2)}x`;
}

/** Spread of the repetitions as +-percent of the median, e.g. "±3%". */
export function fmtSpread(r: { perSecond: number; reps: number[] } | undefined): string {
  if (!r || r.reps.length < 2) return '';
  const lo = Math.min(...r.reps);
  const hi = Math.max(...r.reps);
  return `±${Math.round((50 * (hi - lo)) / r.perSecond)}%`;
}

/** A plain text table with right-aligned columns except the first. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A GitHub markdown table (first column left-aligned, the others right-aligned). */
export function markdownTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, c) => (c === 0 ? ' :--- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function passMiss(value: number | undefined, target: number): 'PASS' | 'MISS' {
  return value !== undefined && value >= target ? 'PASS' : 'MISS';
}

// ---- Machine --------------------------------------------------------------------------------

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly os: string;
  readonly node: string;
  readonly python?: string;
  readonly gymnasium?: string;
  readonly numpy?: string;
}

export function machine(peer?: { python: string; gymnasium: string; numpy: string }): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: peer?.python,
    gymnasium: peer?.gymnasium,
    numpy: peer?.numpy,
  };
}

export function fmtMachine(m: Machine): string {
  const py = m.python ? `, Python ${m.python}, Gymnasium ${m.gymnasium}, NumPy ${m.numpy}` : '';
  return `${m.cpu} (${m.cores} cores), ${m.os}, Node ${m.node}${py}`;
}

// ---- Command line ---------------------------------------------------------------------------

export interface CommonArgs {
  readonly budget: Budget;
  /** Write the results as JSON to this file (run-all reads it). */
  readonly jsonOut?: string;
  /** Skip the Python peer. */
  readonly noPeer: boolean;
  readonly rest: Map<string, string | true>;
}

/**
 * Flags shared by every benchmark: --quick (short budget), --seconds S, --reps R, --warmup W,
 * --json FILE, --no-peer; anything else is returned in `rest` (--flag or --flag value).
 */
export function parseCommonArgs(argv: string[]): CommonArgs {
  const rest = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      rest.set(key, next);
      i++;
    } else {
      rest.set(key, true);
    }
  }
  let budget = rest.has('quick') ? QUICK_BUDGET : DEFAULT_BUDGET;
  const num = (key: string): number | undefined => {
    const v = rest.get(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v === true || !Number.isFinite(n) || n < 0) throw new Error(`--${key} needs a non-negative number`);
    return n;
  };
  budget = {
    warmupSeconds: num('warmup') ?? budget.warmupSeconds,
    seconds: num('seconds') ?? budget.seconds,
    reps: Math.max(1, Math.round(num('reps') ?? budget.reps)),
  };
  const json = rest.get('json');
  if (json === true) throw new Error('--json needs a file name');
  const out = { budget, jsonOut: json, noPeer: rest.has('no-peer'), rest };
  for (const k of ['quick', 'warmup', 'seconds', 'reps', 'json', 'no-peer']) rest.delete(k);
  return out;
}

/** True when `importMetaUrl` is the module node was started with. */
export function isMain(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  return path.resolve(entry) === fileURLToPath(importMetaUrl);
}
