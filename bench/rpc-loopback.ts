/**
 * gRPC loopback throughput: a real gymhost in a child process (`node bin/gymhost.js serve`,
 * so client and server each have their own event loop and core) driven by the generated
 * grpc-js EnvServiceClient over 127.0.0.1, against Gymnasium stepped locally from Python in
 * the same run.
 *
 *   node --import tsx bench/rpc-loopback.ts [--quick] [--seconds S] [--reps R] [--warmup W]
 *        [--only unary,concurrent,stream,batch,service] [--batch-sizes 256,1024] [--window 64]
 *        [--profile-server DIR] [--no-peer] [--json FILE]
 *
 * Measurements (all CartPole-v1, random pre-drawn actions, units counted as steps; resets
 * are not counted but their time is):
 * - unary: Step calls one after the other on one session; Reset when a step ends the episode.
 * - unary x8: the same loop on 8 sessions at once over the one channel.
 * - stream lockstep: StepStream with one request in flight (a closed-loop agent).
 * - stream pipelined: StepStream with up to --window requests in flight (answers in order).
 *   The client precomputes the episode ends with a local CartPoleBatch seeded like the
 *   session, so its Resets go into the stream exactly where the episodes end without waiting
 *   (open loop: actions do not depend on observations). Every answer's end flags are checked
 *   against the plan; mismatches are reported.
 * - StepBatch N: one vector session of N copies (autoreset NEXT_STEP), StepBatch calls one
 *   after the other with int32 little-endian action tensors. Units: env-steps (N per call).
 * - StepStream step_batch N: the same StepBatch requests sent over one StepStream, one in
 *   flight (no new HTTP/2 stream per call).
 * - no transport (diagnostic): EnvService.step / stepBatch called in-process, the server's
 *   own work per call; the gap to the rows above is gRPC + HTTP/2 + protobuf + loopback.
 * Peer: bench/peer_gymnasium.py -- gymnasium.make("CartPole-v1") single-env loop (the local
 * Python loop the remote loops replace) and make_vec(N, "vector_entry_point") for StepBatch.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cartPoleType } from '../src/core/envs/cartpole.js';
import { resolveOptions } from '../src/core/options.js';
import { ANONYMOUS } from '../src/core/sessions/session-store.js';
import { EnvService } from '../src/server/services/env-service.js';
import {
  EnvServiceClient,
  type CreateEnvRequest,
  type CreateEnvResponse,
  type ResetRequest,
  type ResetResponse,
  type StepBatchRequest,
  type StepBatchResponse,
  type StepRequest,
  type StepResponse,
  type StepStreamRequest,
  type StepStreamResponse,
} from '../src/gen/gymhost/v1/env_service.js';
import { Dtype, type Tensor } from '../src/gen/gymhost/v1/spaces.js';
import {
  REPO_ROOT,
  actionPool,
  measureSync,
  fmtMachine,
  fmtRate,
  fmtRatio,
  fmtSpread,
  isMain,
  machine,
  measureAsync,
  parseCommonArgs,
  passMiss,
  runPeer,
  textTable,
  type Budget,
  type Machine,
  type PeerResult,
  type Rate,
} from './lib.js';

export const STREAM_TARGET = 10_000;
export const BATCH_TARGET = 1_000_000;
export const DEFAULT_BATCH_SIZES = [256, 1024];
export const DEFAULT_WINDOW = 64;
const ALL_PARTS = ['unary', 'concurrent', 'stream', 'batch', 'service'] as const;
type Part = (typeof ALL_PARTS)[number];
const CONCURRENT_SESSIONS = 8;
const SESSION_SEED = 20240611;

export interface RpcRow {
  readonly name: string;
  /** What the figure counts. */
  readonly unit: 'steps/s' | 'env-steps/s';
  readonly gymhost: Rate;
  readonly peer?: number;
  readonly peerName?: string;
  readonly ratio?: number;
  readonly target?: number;
  readonly verdict?: 'PASS' | 'MISS';
  readonly note?: string;
  /** A diagnostic figure (not an RPC measurement): where the time goes. */
  readonly diagnostic?: boolean;
}

export interface RpcResult {
  readonly kind: 'rpc';
  readonly machine: Machine;
  readonly budget: Budget;
  readonly rows: RpcRow[];
  readonly peer?: PeerResult;
  readonly peerError?: string;
  readonly serverCommand: string;
}

// ---- The server in a child process ----------------------------------------------------------

export interface ChildServer {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly command: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last-resort cleanup: never leave a server behind, even on an uncaught error or Ctrl-C. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/**
 * Starts `node bin/gymhost.js serve` on 127.0.0.1 with ports 0 (the OS picks free ones, so
 * there is no window between finding a free port and binding it) and reads the ports from its
 * start-up line. `nodeFlags` go before the script (e.g. --cpu-prof).
 */
export async function startChildServer(nodeFlags: string[] = [], timeoutMs = 30_000): Promise<ChildServer> {
  installExitHook();
  const args = [...nodeFlags, path.join(REPO_ROOT, 'bin', 'gymhost.js'), 'serve', '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0'];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => live.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const stop = async (graceMs = 5000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    const addresses = await new Promise<{ grpc: string; http: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms`)), timeoutMs);
      // Log lines after the start-up line are read and dropped (not kept and searched again
      // on every chunk, which would cost this process more the longer the server logs).
      let started = false;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        if (started) return;
        stdout += d;
        const m = /serving gRPC on (\S+) and HTTP on (\S+)/.exec(stdout);
        if (m) {
          started = true;
          clearTimeout(timer);
          resolve({ grpc: m[1], http: m[2] });
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code ?? signal} before it started`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return { grpcAddress: addresses.grpc, httpAddress: addresses.http, command: `node ${args.map((a) => path.relative(REPO_ROOT, a) || a).join(' ')}`, stop };
  } catch (err) {
    await stop(1000);
    throw new Error(`${(err as Error).message}\nserver stdout:\n${stdout}\nserver stderr:\n${stderr}`);
  }
}

// ---- Client helpers -------------------------------------------------------------------------

function unaryCall<Req, Res>(
  client: EnvServiceClient,
  method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

class Api {
  constructor(readonly client: EnvServiceClient) {}
  createEnv(numEnvs: number, seed: number): Promise<CreateEnvResponse> {
    const req: CreateEnvRequest = { envId: 'CartPole-v1', seed, rewardFunction: '', numEnvs, renderMode: 0, autoresetMode: 0 };
    return unaryCall(this.client, this.client.createEnv, req);
  }
  async newSession(numEnvs: number, seed: number): Promise<string> {
    const res = await this.createEnv(numEnvs, seed);
    const id = res.env!.id;
    await this.reset({ id });
    return id;
  }
  reset(req: ResetRequest): Promise<ResetResponse> {
    return unaryCall(this.client, this.client.reset, req);
  }
  step(req: StepRequest): Promise<StepResponse> {
    return unaryCall(this.client, this.client.step, req);
  }
  stepBatch(req: StepBatchRequest): Promise<StepBatchResponse> {
    return unaryCall(this.client, this.client.stepBatch, req);
  }
  deleteEnv(id: string): Promise<unknown> {
    return unaryCall(this.client, this.client.deleteEnv, { id });
  }
}

/** Pre-built Step requests for action 0 and 1 of session `id` (requests are not mutated by grpc-js). */
function stepRequests(id: string): [StepRequest, StepRequest] {
  return [
    { id, action: { kind: { $case: 'discrete', value: 0 } } },
    { id, action: { kind: { $case: 'discrete', value: 1 } } },
  ];
}

/** One session stepped with unary calls, Reset when an episode ends. */
function unaryLoop(api: Api, id: string, seedOffset: number): (steps: number) => Promise<number> {
  const POOL = 1 << 16;
  const actions = actionPool(POOL, 12345 + seedOffset);
  const reqs = stepRequests(id);
  const resetReq: ResetRequest = { id };
  let k = 0;
  return async (steps: number) => {
    for (let s = 0; s < steps; s++) {
      const res = await api.step(reqs[actions[k & (POOL - 1)]]);
      k++;
      if (res.terminated || res.truncated) await api.reset(resetReq);
    }
    return steps;
  };
}

export async function benchUnary(api: Api, budget: Budget): Promise<Rate> {
  const id = await api.newSession(1, SESSION_SEED);
  const loop = unaryLoop(api, id, 0);
  const rate = await measureAsync(budget, () => loop(200));
  await api.deleteEnv(id);
  return rate;
}

export async function benchUnaryConcurrent(api: Api, budget: Budget, sessions = CONCURRENT_SESSIONS): Promise<Rate> {
  const ids = await Promise.all(Array.from({ length: sessions }, (_, s) => api.newSession(1, SESSION_SEED + 1000 * s)));
  const loops = ids.map((id, s) => unaryLoop(api, id, s));
  const rate = await measureAsync(budget, async () => (await Promise.all(loops.map((l) => l(200)))).reduce((a, b) => a + b, 0));
  await Promise.all(ids.map((id) => api.deleteEnv(id)));
  return rate;
}

interface StreamStats {
  mismatches: number;
  errors: number;
  resets: number;
  firstError?: string;
}

/**
 * StepStream on one session with up to `window` requests in flight. Resets are placed by a
 * local CartPoleBatch seeded like the session (see the file comment).
 */
export async function benchStream(api: Api, budget: Budget, window: number): Promise<{ rate: Rate; stats: StreamStats }> {
  const res = await api.createEnv(1, SESSION_SEED);
  const id = res.env!.id;
  // The oracle: the same env code with the same seed, so it knows where each episode ends.
  const config = resolveOptions(cartPoleType.configOptions, {}, 'config');
  const resetOptions = resolveOptions(cartPoleType.resetOptions, undefined, 'options');
  const oracle = cartPoleType.create(1, config, { name: cartPoleType.defaultRewardFunction, params: {} }, SESSION_SEED);
  const POOL = 1 << 16;
  const actions = actionPool(POOL, 777);
  const stepReqs = stepRequests(id).map((step): StepStreamRequest => ({ request: { $case: 'step', value: step } }));
  const resetReq: StepStreamRequest = { request: { $case: 'reset', value: { id } } };
  /** Expected answers in order: -1 = reset, 0 = step that does not end the episode, 1 = step that ends it. */
  const expected: number[] = [];
  let expectedHead = 0;
  let needReset = true;
  let k = 0;
  const nextRequest = (): StepStreamRequest => {
    if (needReset) {
      oracle.reset(0, undefined, resetOptions);
      needReset = false;
      expected.push(-1);
      return resetReq;
    }
    const a = actions[k++ & (POOL - 1)];
    oracle.step(0, a);
    const ends = oracle.terminated[0] | oracle.truncated[0];
    if (ends) needReset = true;
    expected.push(ends);
    return stepReqs[a];
  };

  const stats: StreamStats = { mismatches: 0, errors: 0, resets: 0 };
  const call = api.client.stepStream();
  let inFlight = 0;
  let stepsDone = 0;
  let sending = true;
  let waiter: { target: number; resolve: () => void } | undefined;
  let failure: Error | undefined;
  let drained: (() => void) | undefined;
  let ended: (() => void) | undefined;
  const endedP = new Promise<void>((resolve) => (ended = resolve));

  const fill = () => {
    while (sending && inFlight < window) {
      inFlight++;
      call.write(nextRequest());
    }
  };
  call.on('data', (msg: StepStreamResponse) => {
    inFlight--;
    const want = expected[expectedHead++];
    if (expectedHead > 4096) {
      expected.splice(0, expectedHead);
      expectedHead = 0;
    }
    const r = msg.response;
    if (r?.$case === 'step') {
      stepsDone++;
      const ends = r.value.terminated || r.value.truncated ? 1 : 0;
      if (want !== ends) stats.mismatches++;
    } else if (r?.$case === 'reset') {
      stats.resets++;
      if (want !== -1) stats.mismatches++;
    } else {
      stats.errors++;
      if (r?.$case === 'error') stats.firstError ??= `${r.value.code}: ${r.value.message}`;
    }
    if (waiter && stepsDone >= waiter.target) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
    if (sending) fill();
    else if (inFlight === 0) drained?.();
  });
  call.on('error', (err) => {
    failure = err;
    if (waiter) waiter.resolve();
    drained?.();
    ended?.();
  });
  call.on('end', () => ended?.());

  fill();
  const rate = await measureAsync(budget, async () => {
    const start = stepsDone;
    await new Promise<void>((resolve) => (waiter = { target: start + 2000, resolve }));
    if (failure) throw failure;
    return stepsDone - start;
  });
  sending = false;
  if (inFlight > 0 && !failure) await new Promise<void>((resolve) => (drained = resolve));
  call.end();
  await endedP;
  if (failure) throw failure;
  await api.deleteEnv(id);
  return { rate, stats };
}

/** 16 StepBatch requests of random actions for session `id`: int32 little-endian tensors of shape [n]. */
function batchRequests(id: string, n: number): StepBatchRequest[] {
  const rows = 16;
  const pool = actionPool(rows * n, 4242);
  const reqs: StepBatchRequest[] = [];
  for (let r = 0; r < rows; r++) {
    const data = Buffer.alloc(4 * n);
    for (let i = 0; i < n; i++) data.writeInt32LE(pool[r * n + i], 4 * i);
    const actions: Tensor = { dtype: Dtype.DTYPE_INT32, shape: [n], data };
    reqs.push({ id, actions });
  }
  return reqs;
}

/** StepBatch on one vector session of n copies, calls one after the other. */
export async function benchStepBatch(api: Api, budget: Budget, n: number): Promise<Rate> {
  const id = await api.newSession(n, SESSION_SEED);
  const reqs = batchRequests(id, n);
  const rows = reqs.length;
  const callsPerChunk = Math.max(1, Math.floor(16_384 / n));
  let r = 0;
  const rate = await measureAsync(budget, async () => {
    for (let c = 0; c < callsPerChunk; c++) {
      const res = await api.stepBatch(reqs[r]);
      r = r + 1 === rows ? 0 : r + 1;
      if (res.observations!.data.length !== 16 * n) throw new Error(`StepBatch: expected ${16 * n} observation bytes, got ${res.observations!.data.length}`);
    }
    return callsPerChunk * n;
  });
  await api.deleteEnv(id);
  return rate;
}

/**
 * StepBatch requests sent over StepStream on one vector session of n copies, one in flight
 * (lockstep, as a closed-loop vector agent steps): the same work as benchStepBatch without a
 * new HTTP/2 stream per call.
 */
export async function benchStreamStepBatch(api: Api, budget: Budget, n: number): Promise<Rate> {
  const id = await api.newSession(n, SESSION_SEED);
  const reqs = batchRequests(id, n).map((value): StepStreamRequest => ({ request: { $case: 'stepBatch', value } }));
  const rows = reqs.length;
  const call = api.client.stepStream();
  const pending: { resolve: (m: StepStreamResponse) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  call.on('data', (m: StepStreamResponse) => pending.shift()?.resolve(m));
  call.on('error', (err: Error) => {
    failure = err;
    for (const p of pending.splice(0)) p.reject(err);
  });
  const ended = new Promise<void>((resolve) => {
    call.on('end', () => resolve());
    call.on('error', () => resolve());
  });
  const send = (req: StepStreamRequest) =>
    new Promise<StepStreamResponse>((resolve, reject) => {
      if (failure) return reject(failure);
      pending.push({ resolve, reject });
      call.write(req);
    });
  const callsPerChunk = Math.max(1, Math.floor(16_384 / n));
  let r = 0;
  const rate = await measureAsync(budget, async () => {
    for (let c = 0; c < callsPerChunk; c++) {
      const m = await send(reqs[r]);
      r = r + 1 === rows ? 0 : r + 1;
      const res = m.response;
      if (res?.$case !== 'stepBatch') throw new Error(`StepStream step_batch: unexpected answer ${JSON.stringify(res).slice(0, 300)}`);
      if (res.value.observations!.data.length !== 16 * n) throw new Error('StepStream step_batch: wrong observation size');
    }
    return callsPerChunk * n;
  });
  call.end();
  await ended;
  await api.deleteEnv(id);
  return rate;
}

/**
 * Diagnostic, no transport: the server's own work per call -- EnvService.step / stepBatch
 * (request object in, response object out, as the gRPC handlers call them) -- in this
 * process. The gap to the RPC rows is what gRPC, HTTP/2, protobuf and the loopback cost.
 */
export function benchServiceStep(budget: Budget): Rate {
  const svc = new EnvService();
  try {
    const id = (svc.createEnv({ envId: 'CartPole-v1', seed: SESSION_SEED, rewardFunction: '', numEnvs: 1, renderMode: 0, autoresetMode: 0 }, ANONYMOUS) as CreateEnvResponse).env!.id;
    svc.reset({ id }, ANONYMOUS);
    const POOL = 1 << 16;
    const actions = actionPool(POOL);
    const reqs = stepRequests(id);
    const resetReq: ResetRequest = { id };
    let k = 0;
    return measureSync(budget, () => {
      for (let s = 0; s < 1000; s++) {
        const res = svc.step(reqs[actions[k++ & (POOL - 1)]], ANONYMOUS) as StepResponse; // no pool: answers at once
        if (res.terminated || res.truncated) svc.reset(resetReq, ANONYMOUS);
      }
      return 1000;
    });
  } finally {
    svc.close();
  }
}

export function benchServiceStepBatch(budget: Budget, n: number): Rate {
  const svc = new EnvService();
  try {
    const id = (svc.createEnv({ envId: 'CartPole-v1', seed: SESSION_SEED, rewardFunction: '', numEnvs: n, renderMode: 0, autoresetMode: 0 }, ANONYMOUS) as CreateEnvResponse).env!.id;
    svc.reset({ id }, ANONYMOUS);
    const reqs = batchRequests(id, n);
    const callsPerChunk = Math.max(1, Math.floor(16_384 / n));
    let r = 0;
    return measureSync(budget, () => {
      for (let c = 0; c < callsPerChunk; c++) {
        svc.stepBatch(reqs[r], ANONYMOUS);
        r = r + 1 === reqs.length ? 0 : r + 1;
      }
      return callsPerChunk * n;
    });
  } finally {
    svc.close();
  }
}

// ---- The whole benchmark --------------------------------------------------------------------

export interface RpcOptions {
  readonly budget: Budget;
  readonly parts?: readonly Part[];
  readonly batchSizes?: readonly number[];
  readonly window?: number;
  readonly peer?: boolean;
  /** Write the server's CPU profile (node --cpu-prof) into this directory. */
  readonly profileServerDir?: string;
  readonly log?: (s: string) => void;
}

export async function runRpc(opts: RpcOptions): Promise<RpcResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const parts = new Set(opts.parts ?? ALL_PARTS);
  const batchSizes = opts.batchSizes ?? DEFAULT_BATCH_SIZES;
  const window = opts.window ?? DEFAULT_WINDOW;
  const budget = opts.budget;

  // The peer runs first, alone: it must not share the cores with the server and client.
  let peer: PeerResult | undefined;
  let peerError: string | undefined;
  if (opts.peer !== false) {
    const vec = parts.has('batch') ? [...batchSizes] : [];
    log(`rpc: Gymnasium peer (single${vec.length ? `, vector ${vec.join(',')}` : ''}) ...`);
    try {
      peer = runPeer({ single: true, vector: vec, budget });
    } catch (err) {
      peerError = (err as Error).message;
      log(`rpc: peer failed: ${peerError}`);
    }
  }

  // Diagnostic rows without transport, also before the server exists (nothing else running).
  const serviceRows: RpcRow[] = [];
  if (parts.has('service')) {
    log('rpc: EnvService.step in-process (no transport) ...');
    const g = benchServiceStep(budget);
    const p = peer?.single?.per_second;
    serviceRows.push({ name: 'no transport: EnvService.step in-process', unit: 'steps/s', gymhost: g, peer: p, peerName: 'gymnasium.make("CartPole-v1") local loop', ratio: p ? g.perSecond / p : undefined, diagnostic: true });
    if (parts.has('batch')) {
      for (const n of batchSizes) {
        log(`rpc: EnvService.stepBatch N=${n} in-process (no transport) ...`);
        const gb = benchServiceStepBatch(budget, n);
        const pb = peer?.vector?.[String(n)]?.per_second;
        serviceRows.push({ name: `no transport: EnvService.stepBatch N=${n} in-process`, unit: 'env-steps/s', gymhost: gb, peer: pb, peerName: `make_vec(num_envs=${n}, "vector_entry_point") local`, ratio: pb ? gb.perSecond / pb : undefined, diagnostic: true });
      }
    }
  }

  const nodeFlags = opts.profileServerDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileServerDir] : [];
  log('rpc: starting server child process ...');
  const server = await startChildServer(nodeFlags);
  const client = new EnvServiceClient(server.grpcAddress, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const api = new Api(client);
  const rows: RpcRow[] = [];
  const peerSingle = peer?.single?.per_second;
  const vsLocal = (rate: Rate) => (peerSingle ? rate.perSecond / peerSingle : undefined);
  const localName = 'gymnasium.make("CartPole-v1") local loop';
  try {
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
    if (parts.has('unary')) {
      log('rpc: unary Step, 1 session ...');
      const g = await benchUnary(api, budget);
      rows.push({ name: 'Step (unary, sequential, 1 session)', unit: 'steps/s', gymhost: g, peer: peerSingle, peerName: localName, ratio: vsLocal(g) });
    }
    if (parts.has('concurrent')) {
      log(`rpc: unary Step, ${CONCURRENT_SESSIONS} sessions ...`);
      const g = await benchUnaryConcurrent(api, budget);
      rows.push({ name: `Step (unary, ${CONCURRENT_SESSIONS} sessions concurrently, total)`, unit: 'steps/s', gymhost: g, peer: peerSingle, peerName: localName, ratio: vsLocal(g) });
    }
    if (parts.has('stream')) {
      log('rpc: StepStream lockstep ...');
      const a = await benchStream(api, budget, 1);
      rows.push({
        name: 'StepStream (lockstep: 1 in flight, 1 session)',
        unit: 'steps/s',
        gymhost: a.rate,
        peer: peerSingle,
        peerName: localName,
        ratio: vsLocal(a.rate),
        note: streamNote(a.stats),
      });
      log(`rpc: StepStream pipelined (window ${window}) ...`);
      const b = await benchStream(api, budget, window);
      rows.push({
        name: `StepStream (pipelined: ${window} in flight, 1 session)`,
        unit: 'steps/s',
        gymhost: b.rate,
        peer: peerSingle,
        peerName: localName,
        ratio: vsLocal(b.rate),
        target: STREAM_TARGET,
        verdict: passMiss(b.rate.perSecond, STREAM_TARGET),
        note: streamNote(b.stats),
      });
    }
    if (parts.has('batch')) {
      for (const n of batchSizes) {
        log(`rpc: StepBatch N=${n} ...`);
        const g = await benchStepBatch(api, budget, n);
        const p = peer?.vector?.[String(n)]?.per_second;
        rows.push({
          name: `StepBatch (N=${n}, 1 call in flight)`,
          unit: 'env-steps/s',
          gymhost: g,
          peer: p,
          peerName: `make_vec(num_envs=${n}, "vector_entry_point") local`,
          ratio: p ? g.perSecond / p : undefined,
          target: BATCH_TARGET,
          verdict: passMiss(g.perSecond, BATCH_TARGET),
        });
      }
      for (const n of batchSizes) {
        log(`rpc: StepStream step_batch N=${n} ...`);
        const g = await benchStreamStepBatch(api, budget, n);
        const p = peer?.vector?.[String(n)]?.per_second;
        rows.push({
          name: `StepStream step_batch (N=${n}, 1 in flight)`,
          unit: 'env-steps/s',
          gymhost: g,
          peer: p,
          peerName: `make_vec(num_envs=${n}, "vector_entry_point") local`,
          ratio: p ? g.perSecond / p : undefined,
          target: BATCH_TARGET,
          verdict: passMiss(g.perSecond, BATCH_TARGET),
        });
      }
    }
  } finally {
    client.close();
    log('rpc: stopping server ...');
    await server.stop();
  }
  rows.push(...serviceRows);
  return { kind: 'rpc', machine: machine(peer), budget, rows, peer, peerError, serverCommand: server.command };
}

function streamNote(s: StreamStats): string | undefined {
  if (s.mismatches === 0 && s.errors === 0) return undefined;
  return `${s.mismatches} answers differed from the local plan, ${s.errors} errors${s.firstError ? ` (first: ${s.firstError})` : ''}`;
}

export function formatRpc(r: RpcResult): string {
  const table = textTable(
    ['CartPole-v1 over gRPC loopback', 'gymhost', 'unit', 'spread', 'Gymnasium local', 'ratio', 'target', 'verdict'],
    r.rows.map((row) => [
      row.name,
      fmtRate(row.gymhost.perSecond),
      row.unit,
      fmtSpread(row.gymhost),
      fmtRate(row.peer),
      fmtRatio(row.ratio),
      row.target ? `>= ${fmtRate(row.target)}` : '',
      row.verdict ?? '',
    ]),
  );
  const notes = r.rows.filter((row) => row.note).map((row) => `note: ${row.name}: ${row.note}`);
  const peerLine = r.peer?.single ? `Gymnasium peer (local, no RPC): single env ${fmtRate(r.peer.single.per_second)} steps/s; StepBatch rows compare with CartPoleVectorEnv of the same N.` : '';
  return [
    fmtMachine(r.machine),
    `server: ${r.serverCommand}`,
    `budget per figure: ${r.budget.warmupSeconds}s warm-up + median of ${r.budget.reps} x ${r.budget.seconds}s`,
    '',
    table,
    peerLine,
    ...notes,
    r.peerError ? `peer unavailable: ${r.peerError}` : '',
  ]
    .filter((l, i) => l !== '' || i === 3)
    .join('\n');
}

async function main(): Promise<number> {
  const args = parseCommonArgs(process.argv.slice(2));
  const list = (key: string): string[] | undefined => {
    const v = args.rest.get(key);
    return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  };
  const only = list('only');
  if (only && only.some((p) => !(ALL_PARTS as readonly string[]).includes(p))) throw new Error(`--only takes ${ALL_PARTS.join(',')}`);
  const batchSizes = list('batch-sizes')?.map(Number);
  if (batchSizes?.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--batch-sizes must be positive integers');
  const windowArg = args.rest.get('window');
  const window = typeof windowArg === 'string' ? Number(windowArg) : undefined;
  if (window !== undefined && (!Number.isInteger(window) || window < 1)) throw new Error('--window must be a positive integer');
  const profile = args.rest.get('profile-server');
  const result = await runRpc({
    budget: args.budget,
    parts: only as Part[] | undefined,
    batchSizes,
    window,
    peer: !args.noPeer,
    profileServerDir: typeof profile === 'string' ? path.resolve(profile) : undefined,
  });
  console.log(formatRpc(result));
  if (args.jsonOut) writeFileSync(args.jsonOut, JSON.stringify(result, null, 2));
  return 0;
}

if (isMain(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (err) => {
      console.error(err instanceof Error ? err.stack ?? err.message : err);
      process.exitCode = 1;
    },
  );
}
