/**
 * Per-call cost of gymhost's gRPC server against a raw grpc-js server of the same service
 * (bench/echo-server.ts: constant answers of the same size, same generated codecs), each in
 * its own child process, driven by one grpc-js client in this process over 127.0.0.1.
 *
 *   node --import tsx bench/per-call.ts [--quick] [--seconds S] [--reps R] [--warmup W]
 *        [--only unary,stream,batch] [--batch-sizes 1024] [--window 64] [--profile DIR] [--json FILE]
 *
 * gymhost runs with --data-dir :memory: (no checkpoint writes). Once both servers are idle
 * (start-up JIT and GC done), rounds (--reps, default 5) alternate the two servers (gymhost
 * first in even rounds, the echo first in odd ones); in each round every part runs --seconds
 * (default 1) on each server after a --warmup. Per part and server: calls/s, and the server's CPU time per call
 * (process.cpuUsage() of the server process, read over IPC by bench/cpu-probe.mjs before and
 * after the run: user + system of all its threads). Ratios are gymhost / echo per round;
 * the table shows their median and range. Goals (issue 14): calls/s >= 0.9x the echo's in
 * every round for unary Step and pipelined StepStream, CPU per call <= 1.2x the echo's.
 *
 * - unary: Step calls one after the other on one CartPole-v1 session, actions 0,1,0,1,...
 *   (the pole stays up for long, so episodes end rarely); Reset when one ends. Every call
 *   (Step or Reset) counts.
 * - stream: one StepStream, --window requests in flight; Resets are placed where a local
 *   CartPoleBatch seeded like the session ends its episodes (as in rpc-loopback.ts), so both
 *   servers get the same request sequence. Every answer counts.
 * - batch N: unary StepBatch calls on a vector session of N copies; the figure is calls/s
 *   (times N for env-steps/s).
 * Also printed: the load average before and after, and the cores other processes used
 * while the figures were measured (/proc), since the machine may be shared.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cartPoleType } from '../src/core/envs/cartpole.js';
import { resolveOptions } from '../src/core/options.js';
import {
  EnvServiceClient,
  type CreateEnvRequest,
  type CreateEnvResponse,
  type StepBatchRequest,
  type StepBatchResponse,
  type StepRequest,
  type StepResponse,
  type StepStreamRequest,
  type StepStreamResponse,
} from '../src/gen/gymhost/v1/env_service.js';
import { Dtype } from '../src/gen/gymhost/v1/spaces.js';
import { BackgroundMeter, processCpuSeconds } from './background.js';
import { REPO_ROOT, actionPool, fmtMachine, fmtRate, isMain, machine, median, parseCommonArgs, textTable, type Budget } from './lib.js';

const PARTS = ['unary', 'stream', 'batch'] as const;
type Part = (typeof PARTS)[number];
const SEED = 20240611;
const PROBE = path.join(REPO_ROOT, 'bench', 'cpu-probe.mjs');
const CALL_GOAL = 0.9;
const CPU_GOAL = 1.2;

// ---- Server processes ------------------------------------------------------------------------

interface Server {
  readonly name: 'gymhost' | 'echo';
  readonly address: string;
  readonly pid: number;
  /** The server process's CPU seconds so far (process.cpuUsage, over IPC). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Spawns `node --import cpu-probe.mjs ...args` with an IPC channel; resolves at its start-up line. */
async function startServer(name: Server['name'], args: string[], nodeFlags: string[]): Promise<Server> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', PROBE, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  // Output is kept (for an error message) only until the start-up line; later log lines
  // are read and dropped, so the reader's cost does not grow with them.
  let out = '';
  let started = false;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (!started) out += d;
  });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s:\n${out}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (started) return;
      out += d;
      const m = /serving gRPC on (\S+)/.exec(out);
      if (m) {
        started = true;
        out = '';
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code ?? sig} before it started:\n${out}`));
    });
  });
  const cpuSeconds = () =>
    new Promise<number>((resolve, reject) => {
      const onMessage = (m: { cpuUsage?: { user: number; system: number } }) => {
        if (!m.cpuUsage) return;
        child.off('message', onMessage);
        resolve((m.cpuUsage.user + m.cpuUsage.system) / 1e6);
      };
      child.on('message', onMessage);
      if (!child.send({ cpuUsage: true })) reject(new Error(`${name}: IPC channel closed`));
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { name, address, pid: child.pid!, cpuSeconds, stop };
}

/** Waits (up to 30 s) until `server` uses under 2% of a core over half a second. */
async function settle(server: Server): Promise<void> {
  const end = performance.now() + 30_000;
  let c0 = await server.cpuSeconds();
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const c1 = await server.cpuSeconds();
    if (c1 - c0 < 0.01) return;
    c0 = c1;
  }
}

// ---- Client loops ----------------------------------------------------------------------------

function unary<Req, Res>(client: EnvServiceClient, method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** A driver of one server: a function that runs calls for `seconds` and returns how many. */
type Driver = (seconds: number) => Promise<number>;

/** The session id the echo gets: any string of the length of gymhost's ids. */
const ECHO_ID = 'x'.repeat(12);

async function newSession(client: EnvServiceClient, server: Server, numEnvs: number): Promise<string> {
  if (server.name === 'echo') return ECHO_ID;
  const res = await unary<CreateEnvRequest, CreateEnvResponse>(client, client.createEnv, { envId: 'CartPole-v1', seed: SEED, rewardFunction: '', numEnvs, renderMode: 0, autoresetMode: 0 });
  const id = res.env!.id;
  await unary(client, client.reset, { id });
  return id;
}

async function unaryDriver(client: EnvServiceClient, server: Server): Promise<Driver> {
  const id = await newSession(client, server, 1);
  const reqs: StepRequest[] = [0, 1].map((a) => ({ id, action: { kind: { $case: 'discrete', value: a } } }));
  const reset = { id };
  let k = 0;
  return async (seconds) => {
    const end = performance.now() + seconds * 1000;
    let calls = 0;
    do {
      for (let i = 0; i < 100; i++) {
        const res: StepResponse = await unary(client, client.step, reqs[k++ & 1]);
        calls++;
        if (res.terminated || res.truncated) {
          await unary(client, client.reset, reset);
          calls++;
        }
      }
    } while (performance.now() < end);
    return calls;
  };
}

/** Pipelined StepStream; Resets placed by a local CartPoleBatch seeded like the session. */
async function streamDriver(client: EnvServiceClient, server: Server, window: number): Promise<Driver> {
  const id = await newSession(client, server, 1);
  const oracle = cartPoleType.create(1, resolveOptions(cartPoleType.configOptions, {}, 'config'), { name: cartPoleType.defaultRewardFunction, params: {} }, SEED);
  const resetOptions = resolveOptions(cartPoleType.resetOptions, undefined, 'options');
  const steps: StepStreamRequest[] = [0, 1].map((a) => ({ request: { $case: 'step', value: { id, action: { kind: { $case: 'discrete', value: a } } } } }));
  const resetReq: StepStreamRequest = { request: { $case: 'reset', value: { id } } };
  // The session was reset by newSession; the oracle starts the same episode.
  oracle.reset(0, undefined, resetOptions);
  let needReset = false;
  let k = 0;
  const next = (): StepStreamRequest => {
    if (needReset) {
      oracle.reset(0, undefined, resetOptions);
      needReset = false;
      return resetReq;
    }
    const a = k++ & 1;
    oracle.step(0, a);
    if (oracle.terminated[0] | oracle.truncated[0]) needReset = true;
    return steps[a];
  };
  return async (seconds) => {
    const call = client.stepStream();
    let inFlight = 0;
    let answers = 0;
    let sending = true;
    let errors = 0;
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m: StepStreamResponse) => {
        inFlight--;
        answers++;
        if (m.response?.$case === 'error') errors++;
        if (sending) fill();
        else if (inFlight === 0) call.end();
      });
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    const fill = () => {
      while (sending && inFlight < window) {
        inFlight++;
        call.write(next());
      }
    };
    const t0 = performance.now();
    fill();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    sending = false;
    const counted = answers;
    const elapsed = (performance.now() - t0) / 1000;
    if (inFlight === 0) call.end();
    await done;
    if (errors > 0) throw new Error(`${server.name}: ${errors} StepStream answers were errors`);
    // Scale to the nominal duration (the timer fires a little late).
    return (counted * seconds) / elapsed;
  };
}

async function batchDriver(client: EnvServiceClient, server: Server, n: number): Promise<Driver> {
  const id = await newSession(client, server, n);
  const pool = actionPool(16 * n, 4242);
  const reqs: StepBatchRequest[] = [];
  for (let r = 0; r < 16; r++) {
    const data = Buffer.alloc(4 * n);
    for (let i = 0; i < n; i++) data.writeInt32LE(pool[r * n + i], 4 * i);
    reqs.push({ id, actions: { dtype: Dtype.DTYPE_INT32, shape: [n], data } });
  }
  let r = 0;
  return async (seconds) => {
    const end = performance.now() + seconds * 1000;
    let calls = 0;
    do {
      const res: StepBatchResponse = await unary(client, client.stepBatch, reqs[r]);
      r = (r + 1) & 15;
      if (res.observations!.data.length !== 16 * n) throw new Error(`${server.name}: StepBatch answered ${res.observations!.data.length} observation bytes`);
      calls++;
    } while (performance.now() < end);
    return calls;
  };
}

// ---- The benchmark ---------------------------------------------------------------------------

interface Sample {
  readonly callsPerSecond: number;
  /** Server CPU microseconds per call. */
  readonly cpuMicros: number;
}

export interface PerCallRow {
  readonly name: string;
  readonly unit: string;
  readonly gymhost: Sample[];
  readonly echo: Sample[];
  /** gymhost / echo per round. */
  readonly callRatios: number[];
  readonly cpuRatios: number[];
  readonly goals: boolean;
}

export interface PerCallResult {
  readonly kind: 'per-call';
  readonly budget: Budget;
  readonly rows: PerCallRow[];
  readonly loadBefore: number[];
  readonly loadAfter: number[];
  /** Mean cores other processes used while the figures were measured (null without /proc). */
  readonly backgroundCores: number | null;
}

export interface PerCallOptions {
  readonly budget: Budget;
  readonly parts: readonly Part[];
  readonly batchSizes: readonly number[];
  readonly window: number;
  /** Write each server's CPU profile (node --cpu-prof) into DIR/gymhost and DIR/echo. */
  readonly profileDir?: string;
  readonly log: (s: string) => void;
}

export async function runPerCall(opts: PerCallOptions): Promise<PerCallResult> {
  const { budget, log } = opts;
  const loadBefore = os.loadavg();
  const prof = (name: string) => (opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(opts.profileDir, name)] : []);
  const servers = await Promise.all([
    startServer('gymhost', [path.join(REPO_ROOT, 'bin', 'gymhost.js'), 'serve', '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0', '--data-dir', ':memory:'], prof('gymhost')),
    startServer('echo', ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'echo-server.ts')], prof('echo')),
  ]);
  const own = () => processCpuSeconds('self', true) + servers.reduce((a, s) => a + processCpuSeconds(s.pid, true), 0);
  const meter = new BackgroundMeter(own);
  const clients = servers.map(
    (s) => new EnvServiceClient(s.address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20, 'grpc.max_send_message_length': 64 << 20 }),
  );
  try {
    await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())))));
    const specs: { name: string; unit: string; goals: boolean; make: (c: EnvServiceClient, s: Server) => Promise<Driver> }[] = [];
    if (opts.parts.includes('unary')) specs.push({ name: 'Step (unary, sequential)', unit: 'calls/s', goals: true, make: unaryDriver });
    if (opts.parts.includes('stream')) specs.push({ name: `StepStream (pipelined, ${opts.window} in flight)`, unit: 'answers/s', goals: true, make: (c, s) => streamDriver(c, s, opts.window) });
    if (opts.parts.includes('batch')) {
      for (const n of opts.batchSizes) specs.push({ name: `StepBatch N=${n} (unary, sequential)`, unit: 'calls/s', goals: false, make: (c, s) => batchDriver(c, s, n) });
    }
    // A fresh server keeps a core busy for a while (JIT, GC of start-up garbage): wait until
    // both are idle so that none of it is counted as the first figures' CPU per call.
    log('per-call: waiting for the servers to go idle ...');
    await Promise.all(servers.map((s) => settle(s)));
    const rows: PerCallRow[] = [];
    for (const spec of specs) {
      log(`per-call: ${spec.name} ...`);
      const drivers = await Promise.all(servers.map((s, i) => spec.make(clients[i], s)));
      const samples: Sample[][] = [[], []];
      for (let round = 0; round < budget.reps; round++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          if (budget.warmupSeconds > 0) await drivers[i](budget.warmupSeconds);
          const c0 = await servers[i].cpuSeconds();
          const t0 = performance.now();
          const calls = await meter.measure(() => drivers[i](budget.seconds));
          const wall = (performance.now() - t0) / 1000;
          const c1 = await servers[i].cpuSeconds();
          samples[i].push({ callsPerSecond: calls / wall, cpuMicros: ((c1 - c0) / calls) * 1e6 });
        }
      }
      const [g, e] = samples;
      rows.push({
        name: spec.name,
        unit: spec.unit,
        gymhost: g,
        echo: e,
        callRatios: g.map((s, r) => s.callsPerSecond / e[r].callsPerSecond),
        cpuRatios: g.map((s, r) => s.cpuMicros / e[r].cpuMicros),
        goals: spec.goals,
      });
    }
    return { kind: 'per-call', budget, rows, loadBefore, loadAfter: os.loadavg(), backgroundCores: meter.cores() };
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

const fmt2 = (x: number) => x.toFixed(2);
const range = (xs: number[]) => `${fmt2(Math.min(...xs))}-${fmt2(Math.max(...xs))}`;

export function formatPerCall(r: PerCallResult): string {
  const table = textTable(
    ['per call, gymhost vs raw grpc-js echo', 'gymhost', 'echo', 'unit', 'ratio (range)', 'CPU us/call gymhost', 'echo', 'CPU ratio (range)', 'goals'],
    r.rows.map((row) => {
      const g = median(row.gymhost.map((s) => s.callsPerSecond));
      const e = median(row.echo.map((s) => s.callsPerSecond));
      const gc = median(row.gymhost.map((s) => s.cpuMicros));
      const ec = median(row.echo.map((s) => s.cpuMicros));
      const ok = Math.min(...row.callRatios) >= CALL_GOAL && median(row.cpuRatios) <= CPU_GOAL;
      return [
        row.name,
        fmtRate(g),
        fmtRate(e),
        row.unit,
        `${fmt2(median(row.callRatios))} (${range(row.callRatios)})`,
        gc.toFixed(1),
        ec.toFixed(1),
        `${fmt2(median(row.cpuRatios))} (${range(row.cpuRatios)})`,
        row.goals ? (ok ? 'PASS' : 'MISS') : '',
      ];
    }),
  );
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const bg = r.backgroundCores === null ? 'n/a' : `${r.backgroundCores.toFixed(2)} cores`;
  return [
    fmtMachine(machine()),
    `${r.budget.reps} rounds alternating gymhost and echo, ${r.budget.warmupSeconds}s warm-up + ${r.budget.seconds}s per figure; ratios are gymhost / echo per round (median, min-max)`,
    `goals: calls/s ratio >= ${CALL_GOAL} in every round and CPU ratio <= ${CPU_GOAL} (median) for the rows marked; load average before ${la(r.loadBefore)}, after ${la(r.loadAfter)}; other processes used ${bg} while measuring`,
    '',
    table,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseCommonArgs(process.argv.slice(2));
  const list = (key: string) => {
    const v = args.rest.get(key);
    return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  };
  const parts = (list('only') ?? [...PARTS]) as Part[];
  if (parts.some((p) => !PARTS.includes(p))) throw new Error(`--only takes ${PARTS.join(',')}`);
  const batchSizes = (list('batch-sizes') ?? ['1024']).map(Number);
  if (batchSizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--batch-sizes must be positive integers');
  const window = Number(args.rest.get('window') ?? 64);
  if (!Number.isInteger(window) || window < 1) throw new Error('--window must be a positive integer');
  // Longer defaults than the other benchmarks: CPU time per call needs runs of a second or more.
  const budget: Budget = args.rest.has('quick')
    ? args.budget
    : {
        warmupSeconds: process.argv.includes('--warmup') ? args.budget.warmupSeconds : 0.3,
        seconds: process.argv.includes('--seconds') ? args.budget.seconds : 1,
        reps: process.argv.includes('--reps') ? args.budget.reps : 5,
      };
  const profile = args.rest.get('profile');
  const profileDir = typeof profile === 'string' ? path.resolve(profile) : undefined;
  const result = await runPerCall({ budget, parts, batchSizes, window, profileDir, log: (s) => process.stderr.write(s + '\n') });
  console.log(formatPerCall(result));
  if (args.jsonOut) writeFileSync(args.jsonOut, JSON.stringify(result, null, 2));
}

if (isMain(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}
