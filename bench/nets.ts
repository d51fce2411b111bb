/**
 * Gradient steps/s of the fused Q-network engine against PyTorch (one thread and its default
 * thread count), measured in the same run, the two sides alternating.
 *
 * One gradient step = forward a batch (default 256), the masked squared loss on the taken
 * actions, backward, one Adam step (lr 1e-3, no clipping): FusedMlp.trainStep on our side,
 * `net(x).gather(1, a)`, `F.mse_loss`, `backward()`, `Adam.step()` on PyTorch's
 * (bench/peer_torch.py). MLPs 4-h-h-2 with ReLU (default h = 64, 256, 1024). Both sides cycle
 * through 8 pre-drawn batches; nothing random is timed.
 *
 * Order: `--reps` rounds (default 3). In each round, for each size, the PyTorch peer runs
 * (`spawnSync`, so it never shares the cores with our measurement: its own warm-up, then one
 * timed run of `--seconds` with 1 thread and one with its default thread count) and the fused
 * engine runs one timed run of `--seconds`; which side goes first alternates from round to
 * round. Each figure is the median over the rounds. The load average before and after, and the
 * cores other processes used while each side measured (/proc, bench/background.ts), are printed
 * with the table: on a shared machine, quote ratios only from one run.
 *
 * `--baseline DIR` also measures DIR/src/core/agents/nets/fused-mlp.ts (another checkout, e.g.
 * the commit before a change) in the same rounds, next to this tree's engine. `--tfjs` adds
 * tfjs on the wasm backend (and tfjs-node when it loads), measured once per size after the
 * rounds. PyTorch comes from .venv-bench (scripts/setup-bench-python.sh; override with
 * GYMHOST_BENCH_TORCH_PYTHON); without it the table says the peer is unavailable, and why.
 *
 *   node --import tsx bench/nets.ts [--hidden 64,256,1024] [--batch 256] [--reps R] [--seconds S]
 *        [--warmup W] [--quick] [--no-peer] [--baseline DIR] [--tfjs] [--json FILE]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FusedMlp } from '../src/core/agents/nets/fused-mlp.js';
import type { MlpSpec, OptimizerSpec, QNetwork, TrainOptions } from '../src/core/agents/nets/types.js';
import { Rng } from '../src/core/rng.js';
import { BackgroundMeter, processCpuSeconds } from './background.js';
import { REPO_ROOT, fmtMachine, fmtRate, fmtRatio, isMain, machine, markdownTable, measureSync, median, parseCommonArgs, type Budget } from './lib.js';

const POOL = 8;
/** Goal of issue 14 at 4-256-256-2: the fused engine at least this many times PyTorch on one thread. */
const TARGET_RATIO = 1.5;
const OPT: OptimizerSpec = { kind: 'adam', learningRate: 1e-3 };
const TRAIN: TrainOptions = { loss: 'squared', clipNorm: 0 };

export const TORCH_PYTHON = process.env.GYMHOST_BENCH_TORCH_PYTHON || path.join(REPO_ROOT, '.venv-bench', 'bin', 'python');

interface TorchFigure {
  hidden: number[];
  threads: number;
  threads_label: string;
  per_second: number;
  reps: number[];
}

interface TorchResult {
  python?: string;
  torch?: string | null;
  default_threads?: number | null;
  results: TorchFigure[];
  error: string | null;
}

/** One engine's figures at one size: a rate per round, and their median. */
interface Series {
  perSecond: number | null;
  rounds: number[];
  note?: string;
}

export interface NetsResult {
  machine: ReturnType<typeof machine>;
  batch: number;
  torch: { version: string | null; defaultThreads: number | null; error: string | null };
  load: { before: number[]; after: number[]; backgroundCoresOurs: number | null; backgroundCoresPeer: number | null };
  rows: { hidden: number[]; engine: string; perSecond: number | null; rounds: number[]; note?: string }[];
  markdown: string;
}

type NetCtor = new (spec: MlpSpec, opt: OptimizerSpec, seed: number) => QNetwork;

function batches(spec: MlpSpec, batch: number): { x: Float32Array; a: Int32Array; t: Float32Array }[] {
  const rng = new Rng(2024);
  return Array.from({ length: POOL }, () => ({
    x: Float32Array.from({ length: batch * spec.inputSize }, () => rng.uniform(-2, 2)),
    a: Int32Array.from({ length: batch }, () => rng.nextInt(spec.outputSize)),
    t: Float32Array.from({ length: batch }, () => rng.uniform(-3, 3)),
  }));
}

/** A timed runner of trainStep on one network: run(budget) -> steps/s of each timed run. */
function stepper(net: QNetwork, batch: number): (budget: Budget) => number[] {
  const pool = batches(net.spec, batch);
  let i = 0;
  const chunk = Math.max(1, Math.round(2e6 / (batch * net.spec.hiddenSizes.reduce((a, h) => a * h, 1))));
  return (budget) =>
    measureSync(budget, () => {
      for (let s = 0; s < chunk; s++) {
        const b = pool[i++ & (POOL - 1)];
        net.trainStep(b.x, b.a, b.t, batch, TRAIN);
      }
      return chunk;
    }).reps;
}

function runTorch(budget: Budget, hidden: number[], batch: number): TorchResult {
  if (!existsSync(TORCH_PYTHON)) {
    return { results: [], error: `${TORCH_PYTHON} not found (create it with \`bash scripts/setup-bench-python.sh\`)` };
  }
  const res = spawnSync(
    TORCH_PYTHON,
    [path.join(REPO_ROOT, 'bench', 'peer_torch.py'), '--hidden', hidden.join(','), '--threads', '1,default', '--batch', String(batch),
      '--seconds', String(budget.seconds), '--reps', String(budget.reps), '--warmup', String(budget.warmupSeconds)],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 },
  );
  if (res.error) return { results: [], error: `PyTorch peer: ${res.error.message}` };
  if (res.status !== 0) return { results: [], error: `PyTorch peer exited with ${res.status ?? res.signal}: ${res.stderr.trim().split('\n').pop()}` };
  try {
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as TorchResult;
  } catch {
    return { results: [], error: `PyTorch peer printed no JSON: ${res.stdout.slice(0, 200)}` };
  }
}

const seriesOf = (rounds: number[]): Series => ({ perSecond: rounds.length ? median(rounds) : null, rounds });
const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
const fmtCores = (c: number | null) => (c === null ? 'n/a' : `${c.toFixed(2)} cores`);

export async function runNets(argv: string[]): Promise<NetsResult> {
  const args = parseCommonArgs(argv);
  const hiddenArg = args.rest.get('hidden');
  const hidden = typeof hiddenArg === 'string' ? hiddenArg.split(',').map(Number) : [64, 256, 1024];
  const batchArg = args.rest.get('batch');
  const batch = typeof batchArg === 'string' ? Number(batchArg) : 256;
  if (!Number.isInteger(batch) || batch < 1) throw new Error('--batch needs a positive integer');
  const baselineArg = args.rest.get('baseline');
  if (baselineArg === true) throw new Error('--baseline needs a directory (a checkout of gymhost)');
  const withTfjs = args.rest.has('tfjs');
  const budget = args.budget;
  const rounds = budget.reps;
  const one: Budget = { warmupSeconds: 0, seconds: budget.seconds, reps: 1 };
  const log = (s: string) => process.stderr.write(s + '\n');
  const loadBefore = os.loadavg();

  let Baseline: NetCtor | undefined;
  if (typeof baselineArg === 'string') {
    const file = path.resolve(baselineArg, 'src/core/agents/nets/fused-mlp.ts');
    Baseline = ((await import(pathToFileURL(file).href)) as { FusedMlp: NetCtor }).FusedMlp;
  }
  const ours = new Map<number, (b: Budget) => number[]>();
  const base = new Map<number, (b: Budget) => number[]>();
  for (const h of hidden) {
    const spec: MlpSpec = { inputSize: 4, hiddenSizes: [h, h], outputSize: 2, activation: 'relu' };
    ours.set(h, stepper(new FusedMlp(spec, OPT, 1), batch));
    if (Baseline) base.set(h, stepper(new Baseline(spec, OPT, 1), batch));
  }

  const own = () => processCpuSeconds('self', true);
  const meterOurs = new BackgroundMeter(own);
  const meterPeer = new BackgroundMeter(own);
  const fused = new Map<number, number[]>(hidden.map((h) => [h, []]));
  const baseline = new Map<number, number[]>(hidden.map((h) => [h, []]));
  const torchRounds = new Map<string, number[]>();
  let torchInfo: TorchResult = { results: [], error: args.noPeer ? 'skipped (--no-peer)' : null };
  for (let r = 0; r < rounds; r++) {
    for (const h of hidden) {
      const mine = async () => {
        if (r === 0 && budget.warmupSeconds > 0) {
          ours.get(h)?.({ ...one, seconds: budget.warmupSeconds });
          base.get(h)?.({ ...one, seconds: budget.warmupSeconds });
        }
        // Baseline and this tree alternate too, so neither always runs right after the peer.
        const order = r % 2 ? [base, ours] : [ours, base];
        for (const m of order) {
          const run = m.get(h);
          if (!run) continue;
          const rate = await meterOurs.measure(() => run(one)[0]);
          (m === ours ? fused : baseline).get(h)?.push(rate);
        }
      };
      const peer = async () => {
        if (args.noPeer) return;
        log(`round ${r + 1}/${rounds}, 4-${h}-${h}-2: PyTorch`);
        const res = await meterPeer.measure(() => runTorch({ warmupSeconds: budget.warmupSeconds, seconds: budget.seconds, reps: 1 }, [h], batch));
        if (res.error) torchInfo = res;
        else if (!torchInfo.torch) torchInfo = { ...res, results: [] };
        for (const f of res.results) {
          const key = `${h}/${f.threads_label}`;
          torchRounds.set(key, [...(torchRounds.get(key) ?? []), f.per_second]);
        }
      };
      log(`round ${r + 1}/${rounds}, 4-${h}-${h}-2: fused`);
      if ((r + hidden.indexOf(h)) % 2) {
        await peer();
        await mine();
      } else {
        await mine();
        await peer();
      }
    }
  }
  const loadAfter = os.loadavg();

  const rows: NetsResult['rows'] = [];
  const torchEngine = (label: string) =>
    label === '1' ? `PyTorch ${torchInfo.torch ?? ''} (1 thread)` : `PyTorch ${torchInfo.torch ?? ''} (${torchInfo.default_threads ?? '?'} threads, default)`;
  for (const h of hidden) {
    rows.push({ hidden: [h, h], engine: 'fused', ...seriesOf(fused.get(h) ?? []) });
    if (Baseline) rows.push({ hidden: [h, h], engine: `fused (baseline ${baselineArg as string})`, ...seriesOf(baseline.get(h) ?? []) });
    for (const label of ['1', 'default']) {
      const s = seriesOf(torchRounds.get(`${h}/${label}`) ?? []);
      rows.push({ hidden: [h, h], engine: torchEngine(label), ...s, ...(s.perSecond === null ? { note: `unavailable: ${torchInfo.error ?? 'no figure'}` } : {}) });
    }
  }

  if (withTfjs) {
    const { TfjsMlp, initTfjs, tfjsNodeAvailable } = await import('../src/core/agents/nets/tfjs-mlp.js');
    const hasNode = await tfjsNodeAvailable();
    for (const h of hidden) {
      const spec: MlpSpec = { inputSize: 4, hiddenSizes: [h, h], outputSize: 2, activation: 'relu' };
      for (const backend of ['wasm', 'tensorflow'] as const) {
        const engine = backend === 'wasm' ? 'tfjs-wasm' : 'tfjs-node';
        if (backend === 'tensorflow' && !hasNode) {
          rows.push({ hidden: [h, h], engine, perSecond: null, rounds: [], note: 'not installed (@tensorflow/tfjs-node is optional)' });
          continue;
        }
        log(`4-${h}-${h}-2: ${engine}`);
        if ((await initTfjs(backend)) !== backend) {
          rows.push({ hidden: [h, h], engine, perSecond: null, rounds: [], note: `${backend} backend did not start` });
          continue;
        }
        const net = new TfjsMlp(spec, OPT, 1);
        const reps = stepper(net, batch)({ ...one, warmupSeconds: budget.warmupSeconds });
        net.dispose();
        rows.push({ hidden: [h, h], engine, ...seriesOf(reps) });
      }
    }
  }

  // Table: every engine against PyTorch on 1 thread and with its default threads, same run.
  const header = [`MLP (batch ${batch})`, 'engine', 'gradient steps/s', 'rounds', 'vs PyTorch 1 thread', 'vs PyTorch default threads'];
  const lines: string[][] = [];
  const goalLines: string[] = [];
  const at = (h: number, pick: (e: string) => boolean) => rows.find((r) => r.hidden[0] === h && pick(r.engine))?.perSecond ?? undefined;
  for (const h of hidden) {
    const t1 = at(h, (e) => e.startsWith('PyTorch') && e.includes('(1 thread)'));
    const tn = at(h, (e) => e.startsWith('PyTorch') && e.includes('default'));
    for (const r of rows.filter((x) => x.hidden[0] === h)) {
      const isTorch = r.engine.startsWith('PyTorch');
      lines.push([
        `4-${h}-${h}-2`,
        r.engine,
        r.perSecond === null ? (r.note ?? 'n/a') : fmtRate(r.perSecond),
        r.rounds.map((x) => fmtRate(x)).join(', '),
        r.perSecond === null || isTorch || t1 === undefined ? '' : fmtRatio(r.perSecond / t1),
        r.perSecond === null || isTorch || tn === undefined ? '' : fmtRatio(r.perSecond / tn),
      ]);
    }
  }
  const f = (h: number) => at(h, (e) => e === 'fused');
  const t1 = (h: number) => at(h, (e) => e.startsWith('PyTorch') && e.includes('(1 thread)'));
  // Per-round ratios (the two sides measured back to back) are steadier than the ratio of
  // medians when the load drifts during the run.
  const paired = (h: number): number[] => {
    const ours1 = fused.get(h) ?? [];
    const peer1 = torchRounds.get(`${h}/1`) ?? [];
    return ours1.length === peer1.length ? ours1.map((x, k) => x / peer1[k]) : [];
  };
  for (const h of hidden) {
    const ratios = paired(h);
    if (ratios.length) goalLines.push(`- 4-${h}-${h}-2: fused / PyTorch 1 thread per round: ${ratios.map(fmtRatio).join(', ')} (median ${fmtRatio(median(ratios))})`);
  }
  if (hidden.includes(256)) {
    const x = f(256);
    const p = t1(256);
    goalLines.push(
      x === undefined || p === undefined
        ? `- 4-256-256-2: fused >= ${TARGET_RATIO}x PyTorch on 1 thread: n/a (PyTorch peer unavailable${torchInfo.error ? `: ${torchInfo.error}` : ''})`
        : `- 4-256-256-2: fused >= ${TARGET_RATIO}x PyTorch on 1 thread: ${fmtRatio(x / p)} (ratio of the medians) -> ${x >= TARGET_RATIO * p ? 'PASS' : 'MISS'}`,
    );
  }
  // Cost against arithmetic: multiply-adds per step grow as 6 * batch * parameters.
  const params = (h: number) => 4 * h + h + h * h + h + 2 * h + 2;
  for (let k = 0; k + 1 < hidden.length; k++) {
    const [a, b] = [hidden[k], hidden[k + 1]];
    const [fa, fb] = [f(a), f(b)];
    if (fa === undefined || fb === undefined) continue;
    const pa = t1(a);
    const pb = t1(b);
    goalLines.push(
      `- 4-${a}-${a}-2 -> 4-${b}-${b}-2: ${(params(b) / params(a)).toFixed(1)}x the arithmetic; fused ${(fa / fb).toFixed(1)}x the time per step` +
        (pa !== undefined && pb !== undefined ? ` (PyTorch 1 thread ${(pa / pb).toFixed(1)}x)` : ''),
    );
  }
  const m = machine();
  const markdown = [
    markdownTable(header, lines),
    '',
    ...goalLines,
    '',
    `Load average (1 / 5 / 15 min) before: ${fmtLoad(loadBefore)}; after: ${fmtLoad(loadAfter)}. ` +
      `Other processes used ${fmtCores(meterOurs.cores())} while gymhost measured, ${fmtCores(meterPeer.cores())} while PyTorch did (its start-up included).`,
    `Machine: ${fmtMachine(m)}; PyTorch ${torchInfo.torch ?? 'unavailable'}${torchInfo.python ? ` on Python ${torchInfo.python}` : ''}. ` +
      `${rounds} rounds, sides alternating; per round and figure ${budget.seconds}s timed after a ${budget.warmupSeconds}s warm-up (ours: first round only); median of the rounds.`,
  ].join('\n');
  return {
    machine: m,
    batch,
    torch: { version: torchInfo.torch ?? null, defaultThreads: torchInfo.default_threads ?? null, error: torchInfo.error },
    load: { before: loadBefore, after: loadAfter, backgroundCoresOurs: meterOurs.cores(), backgroundCoresPeer: meterPeer.cores() },
    rows,
    markdown,
  };
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const result = await runNets(args);
  process.stdout.write(result.markdown + '\n');
  const json = parseCommonArgs(args).jsonOut;
  if (json) writeFileSync(json, JSON.stringify(result, null, 2));
}
