/**
 * In-process CartPole-v1 throughput: gymhost's CartPoleBatch stepped directly (no server),
 * against Gymnasium's CartPole-v1 stepped from Python in the same run.
 *
 *   node --import tsx bench/cartpole-inprocess.ts [--quick] [--seconds S] [--reps R]
 *        [--warmup W] [--sizes 1,16,256,1024,4096] [--no-peer] [--json FILE]
 *
 * - single: a batch of one, `step(0, a)` with pre-drawn random actions, `reset(0)` whenever
 *   the step terminated or truncated (Gymnasium's loop: TimeLimit 500 included). Units: steps.
 * - vector N: `stepAll(actions)` with pre-drawn random [N] actions, then `reset(i)` for each
 *   copy that terminated or truncated. Units: env-steps (N per call).
 * Peer: bench/peer_gymnasium.py (single: gymnasium.make("CartPole-v1"); vector:
 * make_vec(..., vectorization_mode="vector_entry_point")), same budget.
 */
import { writeFileSync } from 'node:fs';
import { cartPoleType } from '../src/core/envs/cartpole.js';
import type { EnvBatch } from '../src/core/envs/types.js';
import { resolveOptions } from '../src/core/options.js';
import {
  actionPool,
  fmtMachine,
  fmtRate,
  fmtRatio,
  fmtSpread,
  isMain,
  machine,
  measureSync,
  parseCommonArgs,
  passMiss,
  runPeer,
  textTable,
  type Budget,
  type Machine,
  type PeerResult,
  type Rate,
} from './lib.js';

export const DEFAULT_SIZES = [1, 16, 256, 1024, 4096];
/** Target: in-process single env at least this many times Gymnasium's single env. */
export const SINGLE_TARGET_RATIO = 50;
/** Target (issue 14): vector stepAll at VECTOR_TARGET_N copies at least this many times CartPoleVectorEnv's env-steps/s. */
export const VECTOR_TARGET_RATIO = 2;
export const VECTOR_TARGET_N = 4096;

export interface InProcessRow {
  /** "single" or "vector N". */
  readonly name: string;
  readonly numEnvs: number;
  readonly gymhost: Rate;
  /** Gymnasium's figure for the same measurement (env-steps/s). */
  readonly peer?: number;
  readonly peerName: string;
  readonly ratio?: number;
}

export interface InProcessResult {
  readonly kind: 'inprocess';
  readonly machine: Machine;
  readonly budget: Budget;
  readonly rows: InProcessRow[];
  readonly peer?: PeerResult;
  readonly peerError?: string;
  readonly target: { readonly description: string; readonly ratio: number | undefined; readonly required: number; readonly verdict: 'PASS' | 'MISS' };
  /** The vector goal, when N=VECTOR_TARGET_N was measured. */
  readonly vectorTarget?: { readonly description: string; readonly ratio: number | undefined; readonly required: number; readonly verdict: 'PASS' | 'MISS' };
}

function newBatch(numEnvs: number): { batch: EnvBatch; resetOptions: ReturnType<typeof resolveOptions> } {
  const config = resolveOptions(cartPoleType.configOptions, {}, 'config');
  const batch = cartPoleType.create(numEnvs, config, { name: cartPoleType.defaultRewardFunction, params: {} }, 0);
  const resetOptions = resolveOptions(cartPoleType.resetOptions, undefined, 'options');
  for (let i = 0; i < numEnvs; i++) batch.reset(i, undefined, resetOptions);
  return { batch, resetOptions };
}

/** Single env: step(0, a) in a loop, resetting when the episode ends. */
export function benchSingle(budget: Budget): Rate {
  const { batch, resetOptions } = newBatch(1);
  const POOL = 1 << 16;
  const MASK = POOL - 1;
  const actions = actionPool(POOL);
  const CHUNK = 10_000;
  const { terminated, truncated } = batch;
  let k = 0;
  return measureSync(budget, () => {
    for (let s = 0; s < CHUNK; s++) {
      batch.step(0, actions[k & MASK]);
      k++;
      if (terminated[0] | truncated[0]) batch.reset(0, undefined, resetOptions);
    }
    return CHUNK;
  });
}

/** N copies: stepAll(actions), then reset the copies that ended. */
export function benchVector(numEnvs: number, budget: Budget): Rate {
  const { batch, resetOptions } = newBatch(numEnvs);
  const rows = Math.max(16, Math.ceil((1 << 16) / numEnvs));
  const pool = actionPool(rows * numEnvs);
  const actionRows: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) actionRows.push(pool.subarray(r * numEnvs, (r + 1) * numEnvs));
  const callsPerChunk = Math.max(1, Math.floor(20_000 / numEnvs));
  const { terminated, truncated } = batch;
  let r = 0;
  return measureSync(budget, () => {
    for (let c = 0; c < callsPerChunk; c++) {
      batch.stepAll(actionRows[r]);
      r = r + 1 === rows ? 0 : r + 1;
      for (let i = 0; i < numEnvs; i++) if (terminated[i] | truncated[i]) batch.reset(i, undefined, resetOptions);
    }
    return callsPerChunk * numEnvs;
  });
}

export function runInProcess(opts: { budget: Budget; sizes?: number[]; peer?: boolean; log?: (s: string) => void }): InProcessResult {
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const budget = opts.budget;

  log('in-process: gymhost single env ...');
  const single = benchSingle(budget);
  const vector = new Map<number, Rate>();
  for (const n of sizes) {
    log(`in-process: gymhost vector N=${n} ...`);
    vector.set(n, benchVector(n, budget));
  }

  let peer: PeerResult | undefined;
  let peerError: string | undefined;
  if (opts.peer !== false) {
    log(`in-process: Gymnasium peer (single, vector ${sizes.join(',')}) ...`);
    try {
      peer = runPeer({ single: true, vector: sizes, budget });
    } catch (err) {
      peerError = (err as Error).message;
      log(`in-process: peer failed: ${peerError}`);
    }
  }

  const rows: InProcessRow[] = [];
  const peerSingle = peer?.single?.per_second;
  rows.push({
    name: 'single env: step(0, a) loop',
    numEnvs: 1,
    gymhost: single,
    peer: peerSingle,
    peerName: 'gymnasium.make("CartPole-v1") step loop',
    ratio: peerSingle ? single.perSecond / peerSingle : undefined,
  });
  for (const n of sizes) {
    const g = vector.get(n)!;
    const p = peer?.vector?.[String(n)]?.per_second;
    rows.push({
      name: `vector N=${n}: stepAll`,
      numEnvs: n,
      gymhost: g,
      peer: p,
      peerName: `make_vec(num_envs=${n}, "vector_entry_point")`,
      ratio: p ? g.perSecond / p : undefined,
    });
  }
  const ratio = rows[0].ratio;
  const vectorRow = rows.find((row) => row.name.startsWith('vector') && row.numEnvs === VECTOR_TARGET_N);
  return {
    kind: 'inprocess',
    machine: machine(peer),
    budget,
    rows,
    peer,
    peerError,
    target: {
      description: `in-process single-env >= ${SINGLE_TARGET_RATIO}x Gymnasium single-env`,
      ratio,
      required: SINGLE_TARGET_RATIO,
      verdict: passMiss(ratio, SINGLE_TARGET_RATIO),
    },
    vectorTarget: vectorRow && {
      description: `in-process vector N=${VECTOR_TARGET_N} stepAll >= ${VECTOR_TARGET_RATIO}x Gymnasium's CartPoleVectorEnv`,
      ratio: vectorRow.ratio,
      required: VECTOR_TARGET_RATIO,
      verdict: passMiss(vectorRow.ratio, VECTOR_TARGET_RATIO),
    },
  };
}

export function formatInProcess(r: InProcessResult): string {
  const table = textTable(
    ['CartPole-v1 in-process', 'gymhost steps/s', 'spread', 'Gymnasium steps/s', 'ratio'],
    r.rows.map((row) => [row.name, fmtRate(row.gymhost.perSecond), fmtSpread(row.gymhost), fmtRate(row.peer), fmtRatio(row.ratio)]),
  );
  const extra = r.peer?.single_unwrapped
    ? `\n(Gymnasium single env without wrappers, env.unwrapped.step: ${fmtRate(r.peer.single_unwrapped.per_second)} steps/s)`
    : '';
  const t = r.target;
  const v = r.vectorTarget;
  const target = `target: ${t.description}: ${fmtRatio(t.ratio)} -> ${t.verdict}` + (v ? `\ntarget: ${v.description}: ${fmtRatio(v.ratio)} -> ${v.verdict}` : '');
  const peerNote = r.peerError ? `\npeer unavailable: ${r.peerError}` : '';
  return `${fmtMachine(r.machine)}\nbudget per figure: ${r.budget.warmupSeconds}s warm-up + median of ${r.budget.reps} x ${r.budget.seconds}s\n\n${table}${extra}\n${target}${peerNote}`;
}

async function main(): Promise<number> {
  const args = parseCommonArgs(process.argv.slice(2));
  const sizesArg = args.rest.get('sizes');
  const sizes = typeof sizesArg === 'string' ? sizesArg.split(',').map(Number) : DEFAULT_SIZES;
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--sizes must be positive integers');
  const result = runInProcess({ budget: args.budget, sizes, peer: !args.noPeer });
  console.log(formatInProcess(result));
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
