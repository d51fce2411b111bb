/**
 * Runs every benchmark, one after the other, each in its own node process (so one's JIT and
 * heap state cannot colour the other's figures), then prints one markdown table for the
 * README: gymhost's figure, Gymnasium's figure from the same run, the ratio, the target and
 * PASS/MISS, plus the machine.
 *
 *   node --import tsx bench/run-all.ts [--quick] [--seconds S] [--reps R] [--warmup W]
 *        [--no-peer] [--md FILE] [--json FILE] [--with-solve]
 *
 * --with-solve also runs bench/time-to-solve.ts (CartPole-v1 time to solve against SB3 DQN;
 * several minutes, so off by default) and appends its table; --quick and --no-peer are
 * forwarded to it.
 *
 * Exit code 0 even when a target is missed (benchmarks report, they do not gate); 1 when a
 * benchmark could not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InProcessResult } from './cartpole-inprocess.js';
import {
  REPO_ROOT,
  fmtMachine,
  fmtRate,
  fmtRatio,
  fmtSpread,
  markdownTable,
  parseCommonArgs,
  type Machine,
} from './lib.js';
import type { RpcResult } from './rpc-loopback.js';
import type { TimeToSolveResult } from './time-to-solve.js';

interface Combined {
  readonly machine: Machine;
  readonly inprocess: InProcessResult;
  readonly rpc: RpcResult;
  /** bench/time-to-solve.ts, with --with-solve. */
  readonly solve?: TimeToSolveResult;
  readonly markdown: string;
  readonly seconds: number;
}

function runChild(script: string, args: string[], jsonOut: string, timeoutMs = 240_000): void {
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench', script), ...args, '--json', jsonOut], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: timeoutMs,
  });
  if (res.error) throw new Error(`${script}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${script} exited with ${res.status ?? res.signal}`);
}

/** "make_vec(num_envs=256, ...)" -> "make_vec N=256"; "gymnasium.make(...)" -> "gym.make loop". */
function shortPeerName(name: string): string {
  const n = /num_envs=(\d+)/.exec(name);
  if (n) return `make_vec N=${n[1]}`;
  return name.includes('make(') ? 'gym.make loop' : name;
}

export function combinedMarkdown(ip: InProcessResult, rpc: RpcResult): string {
  const m: Machine = { ...rpc.machine, python: ip.machine.python ?? rpc.machine.python, gymnasium: ip.machine.gymnasium ?? rpc.machine.gymnasium, numpy: ip.machine.numpy ?? rpc.machine.numpy };
  const header = ['CartPole-v1', 'gymhost', 'Gymnasium (same run)', 'peer measured as', 'ratio', 'target', 'result'];
  const peerCells = (peer: number | undefined, name: string | undefined): string[] =>
    peer === undefined ? ['n/a', ''] : [fmtRate(peer), shortPeerName(name ?? '')];
  const rows: string[][] = [];
  for (const r of ip.rows) {
    const single = r.numEnvs === 1 && r.name.startsWith('single');
    rows.push([
      `in-process, ${r.name}`,
      `${fmtRate(r.gymhost.perSecond)} ${r.numEnvs === 1 && single ? 'steps/s' : 'env-steps/s'}`,
      ...peerCells(r.peer, r.peerName),
      fmtRatio(r.ratio),
      single ? `>= ${ip.target.required}x Gymnasium` : '',
      single ? ip.target.verdict : '',
    ]);
  }
  for (const r of rpc.rows) {
    rows.push([
      r.diagnostic ? r.name : `gRPC loopback, ${r.name}`,
      `${fmtRate(r.gymhost.perSecond)} ${r.unit}`,
      ...peerCells(r.peer, r.peerName),
      fmtRatio(r.ratio),
      r.target ? `>= ${fmtRate(r.target)} ${r.unit}` : '',
      r.verdict ?? '',
    ]);
  }
  const verdicts = [ip.target.verdict, ...rpc.rows.filter((r) => r.verdict).map((r) => r.verdict!)];
  const passed = verdicts.filter((v) => v === 'PASS').length;
  const b = ip.budget;
  const notes = [
    `Machine: ${fmtMachine(m)}.`,
    `Each figure: ${b.warmupSeconds} s warm-up, then the median of ${b.reps} runs of ${b.seconds} s; Gymnasium measured by bench/peer_gymnasium.py in the same run with the same budget.`,
    'Random pre-drawn actions everywhere; single-env loops reset when an episode terminates or is truncated (500 steps). ' +
      'gRPC: server in its own process (`node bin/gymhost.js serve`), generated grpc-js client, 127.0.0.1. ' +
      '"gym.make loop": `gymnasium.make("CartPole-v1")` stepped by a Python loop; "make_vec N": ' +
      '`gymnasium.make_vec("CartPole-v1", num_envs=N, vectorization_mode="vector_entry_point")` (NumPy CartPoleVectorEnv). ' +
      'Ratio = gymhost / Gymnasium; for gRPC rows that is the remote figure over the local Python figure. ' +
      '"no transport" rows call the server\'s EnvService in-process: the server\'s own work per call, for comparison with the gRPC rows.',
    `Targets: ${passed}/${verdicts.length} PASS.`,
  ];
  const spreads = [...ip.rows.map((r) => ({ name: `in-process ${r.name}`, s: fmtSpread(r.gymhost) })), ...rpc.rows.map((r) => ({ name: r.name, s: fmtSpread(r.gymhost) }))]
    .filter((x) => x.s && Number(x.s.slice(1, -1)) >= 10)
    .map((x) => `${x.name} ${x.s}`);
  if (spreads.length) notes.push(`Noisy figures (spread of the runs around the median): ${spreads.join('; ')}.`);
  for (const r of rpc.rows) if (r.note) notes.push(`Note (${r.name}): ${r.note}.`);
  if (ip.peerError || rpc.peerError) notes.push(`Peer unavailable: ${ip.peerError ?? rpc.peerError}`);
  return `${markdownTable(header, rows)}\n\n${notes.join('\n')}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const args = parseCommonArgs(argv);
  const md = args.rest.get('md');
  // Forward the budget flags to the children as given.
  const forward: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick' || a === '--no-peer') forward.push(a);
    else if (a === '--seconds' || a === '--reps' || a === '--warmup') forward.push(a, argv[++i]);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymhost-bench-'));
  const t0 = performance.now();
  try {
    process.stderr.write('== bench/cartpole-inprocess.ts\n');
    runChild('cartpole-inprocess.ts', forward, path.join(dir, 'inprocess.json'));
    process.stderr.write('\n== bench/rpc-loopback.ts\n');
    runChild('rpc-loopback.ts', forward, path.join(dir, 'rpc.json'));
    const inprocess = JSON.parse(readFileSync(path.join(dir, 'inprocess.json'), 'utf8')) as InProcessResult;
    const rpc = JSON.parse(readFileSync(path.join(dir, 'rpc.json'), 'utf8')) as RpcResult;
    let solve: TimeToSolveResult | undefined;
    if (args.rest.has('with-solve')) {
      process.stderr.write('\n== bench/time-to-solve.ts\n');
      const solveArgs = argv.filter((a) => a === '--quick' || a === '--no-peer');
      runChild('time-to-solve.ts', solveArgs, path.join(dir, 'solve.json'), 3 * 3600_000);
      solve = JSON.parse(readFileSync(path.join(dir, 'solve.json'), 'utf8')) as TimeToSolveResult;
    }
    let markdown = combinedMarkdown(inprocess, rpc);
    if (solve) markdown += `\n\n### CartPole-v1 time to solve (gymhost \`${solve.preset}\` vs SB3 DQN, rl-zoo)\n\n${solve.markdown}`;
    const seconds = (performance.now() - t0) / 1000;
    console.log(`\n## gymhost benchmarks\n\n${markdown}\nWhole suite: ${seconds.toFixed(0)} s.`);
    if (typeof md === 'string') writeFileSync(md, markdown + '\n');
    if (args.jsonOut) {
      const combined: Combined = { machine: rpc.machine, inprocess, rpc, solve, markdown, seconds };
      writeFileSync(args.jsonOut, JSON.stringify(combined, null, 2));
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
