/**
 * Gradient steps/s of the Q-network engines against PyTorch, measured in the same run.
 *
 * One gradient step = forward a batch of 64, the masked squared loss on the taken actions,
 * backward, one Adam step (lr 1e-3, no clipping): QNetwork.trainStep on our side,
 * `net(x).gather(1, a)`, `F.mse_loss`, `backward()`, `Adam.step()` on PyTorch's
 * (bench/peer_torch.py). MLPs 4-64-64-2 and 4-256-256-2 with ReLU. Both sides cycle through
 * 8 pre-drawn batches; nothing random is timed.
 *
 * Engines: fused (Float32Array), tfjs on the wasm backend, tfjs-node when
 * `import('@tensorflow/tfjs-node')` works, and PyTorch from .venv-bench
 * (scripts/setup-bench-python.sh; override with GYMHOST_BENCH_TORCH_PYTHON) with its default
 * thread count and with torch.set_num_threads(1). Without PyTorch the table says the peer is
 * unavailable, and why.
 *
 *   node --import tsx bench/nets.ts [--quick] [--seconds S] [--reps R] [--warmup W]
 *        [--no-peer] [--json FILE] [--hidden 64,256]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FusedMlp } from '../src/core/agents/nets/fused-mlp.js';
import { TfjsMlp, initTfjs, tfjsNodeAvailable } from '../src/core/agents/nets/tfjs-mlp.js';
import type { MlpSpec, OptimizerSpec, QNetwork, TrainOptions } from '../src/core/agents/nets/types.js';
import { Rng } from '../src/core/rng.js';
import { REPO_ROOT, fmtMachine, fmtRate, fmtRatio, fmtSpread, isMain, machine, markdownTable, measureSync, parseCommonArgs, type Budget, type Rate } from './lib.js';

const BATCH = 64;
const POOL = 8;
const TARGET_RATIO = 3;
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

export interface NetsResult {
  machine: ReturnType<typeof machine>;
  torch: { version: string | null; defaultThreads: number | null; error: string | null };
  rows: { hidden: number[]; engine: string; perSecond: number | null; reps: number[]; note?: string }[];
  markdown: string;
}

function batches(spec: MlpSpec): { x: Float32Array; a: Int32Array; t: Float32Array }[] {
  const rng = new Rng(2024);
  return Array.from({ length: POOL }, () => ({
    x: Float32Array.from({ length: BATCH * spec.inputSize }, () => rng.uniform(-2, 2)),
    a: Int32Array.from({ length: BATCH }, () => rng.nextInt(spec.outputSize)),
    t: Float32Array.from({ length: BATCH }, () => rng.uniform(-3, 3)),
  }));
}

function measureNet(net: QNetwork, budget: Budget, stepsPerChunk: number): Rate {
  const pool = batches(net.spec);
  let i = 0;
  return measureSync(budget, () => {
    for (let s = 0; s < stepsPerChunk; s++) {
      const b = pool[i++ & (POOL - 1)];
      net.trainStep(b.x, b.a, b.t, BATCH, TRAIN);
    }
    return stepsPerChunk;
  });
}

function runTorch(budget: Budget, hidden: number[]): TorchResult {
  if (!existsSync(TORCH_PYTHON)) {
    return { results: [], error: `${TORCH_PYTHON} not found (create it with \`bash scripts/setup-bench-python.sh\`)` };
  }
  const res = spawnSync(
    TORCH_PYTHON,
    [path.join(REPO_ROOT, 'bench', 'peer_torch.py'), '--hidden', hidden.join(','), '--threads', 'default,1', '--batch', String(BATCH),
      '--seconds', String(budget.seconds), '--reps', String(budget.reps), '--warmup', String(budget.warmupSeconds)],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  if (res.error) return { results: [], error: `PyTorch peer: ${res.error.message}` };
  if (res.status !== 0) return { results: [], error: `PyTorch peer exited with ${res.status ?? res.signal}: ${res.stderr.trim().split('\n').pop()}` };
  try {
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as TorchResult;
  } catch {
    return { results: [], error: `PyTorch peer printed no JSON: ${res.stdout.slice(0, 200)}` };
  }
}

export async function runNets(argv: string[]): Promise<NetsResult> {
  const args = parseCommonArgs(argv);
  const hiddenArg = args.rest.get('hidden');
  const hidden = typeof hiddenArg === 'string' ? hiddenArg.split(',').map(Number) : [64, 256];
  const budget = args.budget;
  const rows: NetsResult['rows'] = [];
  const log = (s: string) => process.stderr.write(s + '\n');

  // PyTorch first, synchronously, so it never shares the cores with our measurements.
  const torch: TorchResult = args.noPeer ? { results: [], error: 'skipped (--no-peer)' } : runTorch(budget, hidden);
  if (torch.error) log(`PyTorch peer unavailable: ${torch.error}`);

  const hasNode = await tfjsNodeAvailable();
  for (const h of hidden) {
    const spec: MlpSpec = { inputSize: 4, hiddenSizes: [h, h], outputSize: 2, activation: 'relu' };
    const chunk = h <= 128 ? 20 : 2;
    log(`4-${h}-${h}-2: fused`);
    const fused = new FusedMlp(spec, OPT, 1);
    const rf = measureNet(fused, budget, chunk);
    rows.push({ hidden: [h, h], engine: 'fused', perSecond: rf.perSecond, reps: rf.reps });

    log(`4-${h}-${h}-2: tfjs-wasm`);
    const wasm = await initTfjs('wasm');
    if (wasm === 'wasm') {
      const net = new TfjsMlp(spec, OPT, 1);
      const r = measureNet(net, budget, 1);
      net.dispose();
      rows.push({ hidden: [h, h], engine: 'tfjs-wasm', perSecond: r.perSecond, reps: r.reps });
    } else {
      rows.push({ hidden: [h, h], engine: 'tfjs-wasm', perSecond: null, reps: [], note: `wasm backend did not start (got ${wasm})` });
    }

    if (hasNode && (await initTfjs('tensorflow')) === 'tensorflow') {
      log(`4-${h}-${h}-2: tfjs-node`);
      const net = new TfjsMlp(spec, OPT, 1);
      const r = measureNet(net, budget, 1);
      net.dispose();
      rows.push({ hidden: [h, h], engine: 'tfjs-node', perSecond: r.perSecond, reps: r.reps });
    } else {
      rows.push({ hidden: [h, h], engine: 'tfjs-node', perSecond: null, reps: [], note: 'not installed (@tensorflow/tfjs-node is optional)' });
    }

    for (const label of ['default', '1']) {
      const f = torch.results.find((r) => r.hidden[0] === h && r.threads_label === label);
      const engine = `PyTorch ${torch.torch ?? ''} (${label === 'default' ? `${torch.default_threads ?? '?'} threads, default` : '1 thread'})`.replace('  ', ' ');
      rows.push(
        f
          ? { hidden: [h, h], engine, perSecond: f.per_second, reps: f.reps }
          : { hidden: [h, h], engine: `PyTorch (${label === 'default' ? 'default threads' : '1 thread'})`, perSecond: null, reps: [], note: `unavailable: ${torch.error ?? 'no figure'}` },
      );
    }
  }

  // Table: every engine against PyTorch with default threads and with 1 thread.
  const header = ['MLP (batch 64)', 'engine', 'gradient steps/s', 'spread', 'vs PyTorch (default threads)', 'vs PyTorch (1 thread)'];
  const lines: string[][] = [];
  const targetLines: string[] = [];
  for (const h of hidden) {
    const mine = rows.filter((r) => r.hidden[0] === h);
    const torchDefault = mine.find((r) => r.engine.startsWith('PyTorch') && r.engine.includes('default'))?.perSecond ?? undefined;
    const torchOne = mine.find((r) => r.engine.startsWith('PyTorch') && r.engine.includes('1 thread'))?.perSecond ?? undefined;
    for (const r of mine) {
      const isTorch = r.engine.startsWith('PyTorch');
      lines.push([
        `4-${h}-${h}-2`,
        r.engine,
        r.perSecond === null ? (r.note ?? 'n/a') : fmtRate(r.perSecond),
        r.perSecond === null ? '' : fmtSpread({ perSecond: r.perSecond, reps: r.reps }),
        r.perSecond === null || isTorch || torchDefault === undefined ? '' : fmtRatio(r.perSecond / torchDefault),
        r.perSecond === null || isTorch || torchOne === undefined ? '' : fmtRatio(r.perSecond / torchOne),
      ]);
    }
    const f = mine.find((r) => r.engine === 'fused')?.perSecond ?? undefined;
    const best = Math.max(torchDefault ?? 0, torchOne ?? 0);
    targetLines.push(
      f === undefined || best === 0
        ? `- 4-${h}-${h}-2: fused >= 3x PyTorch: n/a (PyTorch peer unavailable${torch.error ? `: ${torch.error}` : ''})`
        : `- 4-${h}-${h}-2: fused >= 3x PyTorch (the faster of its two thread settings, ${fmtRate(best)}/s): ` +
            `${fmtRatio(f / best)} -> ${f >= TARGET_RATIO * best ? 'PASS' : 'MISS'}`,
    );
  }
  const noisy = rows.filter((r) => r.perSecond !== null && r.reps.length > 1 && (Math.max(...r.reps) - Math.min(...r.reps)) / r.perSecond > 0.5);
  if (noisy.length) {
    targetLines.push(
      `- Noisy (repetitions differ by more than ±25%; other load on the machine?): ${noisy.map((r) => `4-${r.hidden[0]}-${r.hidden[1]}-2 ${r.engine}`).join('; ')}. Rerun for a clean figure.`,
    );
  }
  const m = machine();
  const markdown = [
    markdownTable(header, lines),
    '',
    'Target: fused >= 3x PyTorch gradient steps/s.',
    ...targetLines,
    '',
    `Machine: ${fmtMachine(m)}; PyTorch ${torch.torch ?? 'unavailable'}${torch.python ? ` on Python ${torch.python}` : ''}. ` +
      `Budget per figure: ${budget.warmupSeconds}s warm-up + ${budget.reps} x ${budget.seconds}s, median.`,
  ].join('\n');
  return {
    machine: m,
    torch: { version: torch.torch ?? null, defaultThreads: torch.default_threads ?? null, error: torch.error },
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
