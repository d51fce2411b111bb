/**
 * Fairness under load: a light client's unary Step latency (p50/p99) on a server that other
 * users load as the multi-user issue describes, and the throughput of two concurrent Trains
 * against one. The server runs in its own process (`gymhost serve`, authentication on, one
 * user per client); the clients are generated grpc-js clients and fetch, on 127.0.0.1.
 *
 * The light client runs in a process of its own; the loads run in this one.
 *
 *   node --import tsx bench/fairness.ts [--seconds 6] [--workers 2] [--only alone,trains,...]
 *                                       [--baseline DIR] [--md FILE] [--json FILE]
 *
 * Scenarios (each measures the light client for --seconds while the load runs):
 *   alone     nothing else (the peer figure of every other row)
 *   trains    two users' DQN Trains, MLP [1024, 1024], batch 1024, online updates
 *   updateq   the largest UpdateQ one call may do: one transition, batch 4096, 3 gradient
 *             steps, MLP [1024, 1024] (1.06M parameters), one call after another
 *   body      16 MiB JSON bodies (UpdateQ with 140k transitions, refused as too many), two in flight
 *   storm     another user's StepBatch calls on a session whose sandboxed reward runs past
 *             its time limit (every call fails), four in flight
 * and `scaling`: env steps/s of one Train alone and of two at once (DQN [256, 256], batch 256).
 *
 * --baseline DIR runs the same scenarios against another checkout (`node DIR/bin/gymhost.js
 * serve`, no authentication): e.g. the commit before this work, for a before/after in one run.
 * Goals: p99 at most 20 ms in every scenario; two Trains at least 1.7x the throughput of one.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvServiceClient, type StepRequest, type StepResponse } from '../src/gen/gymhost/v1/env_service.js';
import { AgentServiceClient, TrainRequest, type TrainResponse } from '../src/gen/gymhost/v1/agent_service.js';
import { withUser, writeUsersFile, type UsersFile } from '../src/server/auth/users-file.js';
import { REPO_ROOT, machine, fmtMachine, markdownTable, textTable } from './lib.js';

interface Args {
  seconds: number;
  workers: number;
  only: Set<string>;
  baseline?: string;
  md?: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seconds: 6, workers: os.availableParallelism(), only: new Set(['alone', 'trains', 'updateq', 'body', 'storm', 'scaling']) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--seconds') args.seconds = Number(next());
    else if (a === '--workers') args.workers = Number(next());
    else if (a === '--only') args.only = new Set(next().split(','));
    else if (a === '--baseline') args.baseline = path.resolve(next());
    else if (a === '--md') args.md = next();
    else if (a === '--json') args.json = next();
    else if (a === '--quick') args.seconds = 2;
    else throw new Error(`unknown flag ${a}`);
  }
  return args;
}

// ---- a server in a child process --------------------------------------------------------------

interface Server {
  grpc: string;
  http: string;
  label: string;
  /** Tokens by user name (empty without authentication). */
  tokens: Record<string, string>;
  stop(): Promise<void>;
}

const USERS = ['light', 'heavy1', 'heavy2', 'storm'];

async function startServer(dir: string, auth: boolean, workers: number): Promise<Server> {
  const args = [path.join(dir, 'bin', 'gymhost.js'), 'serve', '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0'];
  const tokens: Record<string, string> = {};
  if (auth) {
    let data: UsersFile = { version: 1, users: {} };
    for (const name of USERS) {
      const made = withUser(data, name, name === 'light' ? 'student' : 'instructor', { concurrentTrains: 4, memoryBytes: 8 * 1024 ** 3 });
      data = made.data;
      tokens[name] = made.token;
    }
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gymhost-fairness-')), 'users.json');
    writeUsersFile(file, data);
    args.push('--users', file, '--workers', String(workers));
  }
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (out.length < 100_000) out += d.toString();
      const found = /serving gRPC on (\S+) and HTTP on (\S+)/.exec(out);
      if (found) resolve(found);
    });
    void exited.then(() => reject(new Error(`server exited before it started:\n${out}\n${err}`)));
  });
  return {
    grpc: m[1],
    http: m[2],
    label: auth ? `this checkout, --workers ${workers}` : `baseline ${path.basename(dir)}`,
    tokens,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- clients ----------------------------------------------------------------------------------

function metadata(server: Server, user: string): grpc.Metadata {
  const md = new grpc.Metadata();
  const token = server.tokens[user];
  if (token) md.set('authorization', `Bearer ${token}`);
  return md;
}

async function rest(server: Server, user: string, method: string, p: string, body?: unknown): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = server.tokens[user];
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.http + p, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return text.startsWith('{') ? JSON.parse(text) : text;
}

async function must(server: Server, user: string, method: string, p: string, body?: unknown): Promise<any> {
  const out = await rest(server, user, method, p, body);
  if (out?.code) throw new Error(`${method} ${p}: ${out.code} ${out.message}`);
  return out;
}

interface Latency {
  p50: number;
  p99: number;
  max: number;
  calls: number;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * The light client in a process of its own (so the load generators of this process do not
 * delay it): `--light GRPC HTTP TOKEN SECONDS` prints its Latency as JSON.
 */
async function lightClient(server: Server, seconds: number): Promise<Latency> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--light', server.grpc, server.http, server.tokens.light ?? '', String(seconds)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`light client exited ${code}: ${out}`);
  return JSON.parse(out) as Latency;
}

/** The light client's loop: unary Step after Step (resetting when an episode ends) for `seconds`. */
async function lightLoop(server: Server, seconds: number): Promise<Latency> {
  const env = await must(server, 'light', 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1 });
  await must(server, 'light', 'POST', `/v1/envs/${env.id}:reset`, {});
  const client = new EnvServiceClient(server.grpc, grpc.credentials.createInsecure());
  const md = metadata(server, 'light');
  const call = <Req, Res>(fn: (req: Req, md: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: Res) => void) => grpc.ClientUnaryCall, req: Req) =>
    new Promise<Res>((resolve, reject) => fn.call(client, req, md, (e, r) => (e ? reject(e) : resolve(r))));
  let times: number[] = [];
  try {
    // One second of warm-up (connection, JIT), not counted.
    const warm = performance.now() + 1000;
    const end = warm + seconds * 1000;
    let a = 0;
    let warming = true;
    while (performance.now() < end) {
      if (warming && performance.now() >= warm) {
        warming = false;
        times = [];
      }
      const req: StepRequest = { id: env.id, action: { kind: { $case: 'discrete', value: a++ & 1 } } };
      const t0 = performance.now();
      const res = await call<StepRequest, StepResponse>(client.step, req);
      times.push(performance.now() - t0);
      if (res.terminated || res.truncated) await call(client.reset, { id: env.id, seed: undefined, options: undefined });
    }
  } finally {
    client.close();
    await rest(server, 'light', 'DELETE', `/v1/envs/${env.id}`);
  }
  times.sort((x, y) => x - y);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1], calls: times.length };
}

// ---- loads ------------------------------------------------------------------------------------

/** A running load: wait until it is under way, then stop it; `progress` says what it did. */
interface Load {
  started: Promise<void>;
  stop(): Promise<void>;
  progress(): string;
}

/** A Train streamed over gRPC until stopped; resolves `started` at its first episode. */
async function startTrain(server: Server, user: string, config: Record<string, unknown>, steps: number): Promise<{ load: Load; done: Promise<{ steps: number; wallTimeMs: number }> }> {
  const env = await must(server, user, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 7 });
  const agent = await must(server, user, 'POST', '/v1/agents', { kind: 'dqn', env: env.id, seed: 7, config });
  const client = new AgentServiceClient(server.grpc, grpc.credentials.createInsecure());
  const call = client.train(TrainRequest.fromPartial({ id: agent.id, env: '', episodes: 0, steps, stream: false }), metadata(server, user));
  let episodes = 0;
  let trainSteps = 0;
  let first!: () => void;
  const started = new Promise<void>((resolve) => (first = resolve));
  const done = new Promise<{ steps: number; wallTimeMs: number }>((resolve, reject) => {
    let summary = { steps: trainSteps, wallTimeMs: 0 };
    call.on('data', (m: TrainResponse) => {
      if (m.event?.$case === 'episode') {
        episodes++;
        trainSteps += m.event.value.length;
        first();
      } else if (m.event?.$case === 'summary') summary = { steps: m.event.value.steps, wallTimeMs: m.event.value.wallTimeMs };
    });
    call.on('end', () => resolve(summary));
    call.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? resolve({ steps: trainSteps, wallTimeMs: 0 }) : reject(e)));
  });
  const t0 = performance.now();
  return {
    done,
    load: {
      started,
      async stop() {
        call.cancel();
        await done.catch(() => undefined);
        client.close();
        await rest(server, user, 'DELETE', `/v1/agents/${agent.id}`);
        await rest(server, user, 'DELETE', `/v1/envs/${env.id}`);
      },
      progress: () => `${episodes} episodes, ${((trainSteps / (performance.now() - t0)) * 1000).toFixed(0)} steps/s`,
    },
  };
}

/** Repeats `one()` with `inFlight` calls at a time until stopped. */
function loop(inFlight: number, one: () => Promise<unknown>, what: string): Load {
  let stopping = false;
  let calls = 0;
  let started_ = 0;
  let first!: () => void;
  const started = new Promise<void>((resolve) => (first = resolve));
  const runners = Array.from({ length: inFlight }, async () => {
    while (!stopping) {
      started_++;
      const p = one();
      first();
      await p.catch(() => undefined);
      calls++;
    }
  });
  return {
    started,
    async stop() {
      stopping = true;
      await Promise.all(runners);
    },
    progress: () => `${calls} ${what} done (${started_} sent)`,
  };
}

const BIG = { hidden_sizes: [1024, 1024], update: 'online', learning_starts: 100 };

async function loadTrains(server: Server): Promise<Load> {
  const a = await startTrain(server, 'heavy1', { ...BIG, batch_size: 1024 }, 10_000_000);
  const b = await startTrain(server, 'heavy2', { ...BIG, batch_size: 1024 }, 10_000_000);
  return {
    started: Promise.all([a.load.started, b.load.started]).then(() => undefined),
    stop: async () => void (await Promise.all([a.load.stop(), b.load.stop()])),
    progress: () => `${a.load.progress()}; ${b.load.progress()}`,
  };
}

async function loadUpdateQ(server: Server): Promise<Load> {
  const space = { box: { low: [-5, -5, -5, -5], high: [5, 5, 5, 5], shape: [4], dtype: 'DTYPE_FLOAT32' } };
  const config = { hidden_sizes: [1024, 1024], batch_size: 4096, gradient_steps: 3, update: 'online', learning_starts: 4096, replay_capacity: 8192 };
  const agent = await must(server, 'heavy1', 'POST', '/v1/agents', { kind: 'dqn', observationSpace: space, actionSpace: { discrete: { n: 2 } }, config, seed: 3 });
  const t = (i: number) => ({ state: [i % 5, 0.1, -0.1, 0.2], action: i & 1, reward: 1, nextState: [0.2, 0.1, 0, -0.1], done: i % 50 === 0 });
  // Fill the replay queue to learning_starts, without gradient steps.
  for (let k = 0; k < 4; k++) await must(server, 'heavy1', 'POST', `/v1/agents/${agent.id}:updateQ`, { transitions: Array.from({ length: 1024 }, (_, i) => t(k * 1024 + i)) });
  let n = 0;
  const load = loop(1, () => rest(server, 'heavy1', 'POST', `/v1/agents/${agent.id}:updateQ`, t(n++)), 'UpdateQ calls (3 gradient steps of batch 4096 each)');
  return { ...load, stop: async () => void (await load.stop(), await rest(server, 'heavy1', 'DELETE', `/v1/agents/${agent.id}`)) };
}

async function loadBody(server: Server): Promise<Load> {
  const env = await must(server, 'heavy1', 'POST', '/v1/envs', { envId: 'CartPole-v1' });
  const agent = await must(server, 'heavy1', 'POST', '/v1/agents', { kind: 'dqn', env: env.id, config: { hidden_sizes: [8] } });
  const one = '{"state":[0.01,0.02,0.03,0.04],"action":1,"reward":1,"nextState":[0.05,0.06,0.07,0.08],"done":false}';
  const target = 16 * 1024 * 1024 - 4096;
  const count = Math.floor((target - 20) / (one.length + 1));
  const body = `{"transitions":[${Array.from({ length: count }, () => one).join(',')}]}`;
  const load = loop(2, () => rest(server, 'heavy1', 'POST', `/v1/agents/${agent.id}:updateQ`, body), `bodies of ${(body.length / 1048576).toFixed(1)} MiB`);
  return { ...load, stop: async () => void (await load.stop(), await rest(server, 'heavy1', 'DELETE', `/v1/envs/${env.id}`)) };
}

async function loadStorm(server: Server): Promise<Load> {
  const name = `slow_${Math.random().toString(36).slice(2, 8)}`;
  await must(server, 'storm', 'POST', '/v1/rewards', { name, envId: 'CartPole-v1', source: '(s, a, sNext) => { let x = 0; for (let i = 0; i < 1e9; i++) x += i; return x; }' });
  const env = await must(server, 'storm', 'POST', '/v1/envs', { envId: 'CartPole-v1', numEnvs: 16, rewardFunction: name });
  await must(server, 'storm', 'POST', `/v1/envs/${env.id}:reset`, {});
  const actions = Array.from({ length: 16 }, (_, i) => i & 1);
  const load = loop(4, () => rest(server, 'storm', 'POST', `/v1/envs/${env.id}:stepBatch`, { actions }), 'failing StepBatch calls (reward past its time limit)');
  return {
    ...load,
    stop: async () => {
      await load.stop();
      await rest(server, 'storm', 'DELETE', `/v1/envs/${env.id}`);
      await rest(server, 'storm', 'DELETE', `/v1/rewards?name=${name}`);
    },
  };
}

const LOADS: Record<string, { what: string; start: (s: Server) => Promise<Load> }> = {
  trains: { what: 'two DQN Trains, [1024, 1024], batch 1024, online updates', start: loadTrains },
  updateq: { what: 'largest UpdateQ: batch 4096 x 3 gradient steps, 1.06M parameters', start: loadUpdateQ },
  body: { what: '16 MiB JSON bodies, 2 in flight', start: loadBody },
  storm: { what: "another user's failing slow-reward StepBatch storm, 4 in flight", start: loadStorm },
};

/** Env steps/s of one Train, and of two at once (total), with a mid-size network. */
async function scaling(server: Server): Promise<{ one: number; two: number; ratio: number }> {
  const config = { hidden_sizes: [256, 256], batch_size: 256, update: 'online', learning_starts: 100 };
  const steps = 4000;
  const rate = (r: { steps: number }, ms: number) => (r.steps / ms) * 1000;
  const solo = await startTrain(server, 'heavy1', config, steps);
  const t0 = performance.now();
  const r1 = await solo.done;
  const one = rate(r1, performance.now() - t0);
  await solo.load.stop();
  const a = await startTrain(server, 'heavy1', config, steps);
  const b = await startTrain(server, 'heavy2', config, steps);
  const t1 = performance.now();
  const [ra, rb] = await Promise.all([a.done, b.done]);
  const two = rate({ steps: ra.steps + rb.steps }, performance.now() - t1);
  await Promise.all([a.load.stop(), b.load.stop()]);
  return { one, two, ratio: two / one };
}

// ---- main -------------------------------------------------------------------------------------

interface Row {
  server: string;
  scenario: string;
  latency?: Latency;
  /** The server's event-loop delay while the light client ran (its own /metrics), ms. */
  serverLag?: { p99: number; max: number };
  load?: string;
  error?: string;
}

/**
 * The server's event-loop delay since the last scrape (prom-client resets it at each
 * collection): p99 and max in ms; undefined where the server has no /metrics (baseline).
 */
async function eventLoopLag(server: Server): Promise<{ p99: number; max: number } | undefined> {
  if (!server.tokens.heavy1) return undefined;
  const text = await rest(server, 'heavy1', 'GET', '/metrics');
  if (typeof text !== 'string') return undefined;
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]) * 1000;
  return { p99: read('gymhost_nodejs_eventloop_lag_p99_seconds'), max: read('gymhost_nodejs_eventloop_lag_max_seconds') };
}

/** The light client's latency and the server's event-loop delay over the same time. */
async function measure(server: Server, seconds: number): Promise<{ latency: Latency; serverLag?: { p99: number; max: number } }> {
  await eventLoopLag(server);
  const latency = await lightClient(server, seconds);
  return { latency, serverLag: await eventLoopLag(server) };
}

async function runAll(server: Server, args: Args, rows: Row[]): Promise<{ one: number; two: number; ratio: number } | undefined> {
  if (args.only.has('alone')) {
    rows.push({ server: server.label, scenario: 'alone', ...(await measure(server, args.seconds)) });
    console.error(`[${server.label}] alone: done`);
  }
  for (const [name, spec] of Object.entries(LOADS)) {
    if (!args.only.has(name)) continue;
    let load: Load | undefined;
    try {
      load = await spec.start(server);
      await load.started;
      const m = await measure(server, args.seconds);
      rows.push({ server: server.label, scenario: spec.what, ...m, load: load.progress() });
    } catch (err) {
      rows.push({ server: server.label, scenario: spec.what, error: (err as Error).message.slice(0, 200) });
    } finally {
      await load?.stop().catch(() => undefined);
    }
    console.error(`[${server.label}] ${name}: done`);
  }
  return args.only.has('scaling') ? scaling(server) : undefined;
}

const ms = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(2)} ms`);

async function main(): Promise<void> {
  if (process.argv[2] === '--light') {
    const [grpcAddress, httpAddress, token, seconds] = process.argv.slice(3);
    const server: Server = { grpc: grpcAddress, http: httpAddress, label: '', tokens: token ? { light: token } : {}, stop: async () => undefined };
    process.stdout.write(JSON.stringify(await lightLoop(server, Number(seconds))));
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const rows: Row[] = [];
  const scale: Record<string, { one: number; two: number; ratio: number } | undefined> = {};
  for (const [dir, auth] of [[REPO_ROOT, true], ...(args.baseline ? [[args.baseline, false] as const] : [])] as const) {
    const server = await startServer(dir, auth, args.workers);
    try {
      scale[server.label] = await runAll(server, args, rows);
    } finally {
      await server.stop();
    }
  }
  const alone = new Map(rows.filter((r) => r.scenario === 'alone').map((r) => [r.server, r.latency!]));
  const header = ['server', 'load on the server', 'light Step p50', 'p99', 'max', 'calls', 'p99 vs alone', 'goal p99 <= 20 ms', 'server event-loop delay p99 / max', 'what the load did'];
  const body = rows.map((r) => [
    r.server,
    r.scenario,
    r.error ? `error: ${r.error}` : ms(r.latency?.p50),
    ms(r.latency?.p99),
    ms(r.latency?.max),
    String(r.latency?.calls ?? ''),
    r.latency && alone.get(r.server) ? `${(r.latency.p99 / alone.get(r.server)!.p99).toFixed(1)}x` : '',
    r.latency ? (r.latency.p99 <= 20 ? 'PASS' : 'MISS') : 'MISS',
    r.serverLag ? `${r.serverLag.p99.toFixed(1)} / ${r.serverLag.max.toFixed(1)} ms` : 'n/a',
    r.load ?? '',
  ]);
  const scaleRows = Object.entries(scale)
    .filter(([, s]) => s)
    .map(([label, s]) => [label, `${s!.one.toFixed(0)} steps/s`, `${s!.two.toFixed(0)} steps/s`, `${s!.ratio.toFixed(2)}x`, s!.ratio >= 1.7 ? 'PASS' : 'MISS']);
  const scaleHeader = ['server', 'one Train alone', 'two Trains at once (total)', 'ratio', 'goal >= 1.7x'];
  const m = machine();
  console.log(textTable(header, body));
  if (scaleRows.length) console.log('\n' + textTable(scaleHeader, scaleRows));
  console.log(`\n${fmtMachine(m)}\nEach light-client figure: ${args.seconds} s of sequential unary Steps (CartPole-v1, generated grpc-js client, 127.0.0.1) while the load ran.`);
  if (args.md) {
    const text = `${markdownTable(header, body)}\n\n${scaleRows.length ? markdownTable(scaleHeader, scaleRows) : ''}\n\n${fmtMachine(m)}\n`;
    writeFileSync(args.md, text);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ rows, scaling: scale, machine: m }, null, 2));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
