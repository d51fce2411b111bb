/**
 * Time to solve CartPole-v1: gymhost's `fast-cartpole-dqn` preset, in-process, against
 * Stable-Baselines3 DQN with the rl-baselines3-zoo CartPole-v1 hyperparameters (REFERENCE
 * s.5; bench/peer_sb3.py), run in the same invocation on the same seeds. Counts env steps
 * and training wall time to the first checkpoint that solves the env; reports each seed,
 * the medians and their ratio. **Target: gymhost's median wall time to solve <= 1/3 of SB3's.**
 *
 *   node --import tsx bench/time-to-solve.ts [--seeds 0,1,2,3,4] [--quick] [--cap 50000]
 *        [--chunk 1000] [--screen 20] [--confirm 100] [--torch-threads N] [--wait-idle S]
 *        [--no-peer] [--verbose] [--json FILE]
 *
 * "Solved", identically on both sides (bench/README.md, "time-to-solve.ts"):
 * - Checkpoints at the first episode end at or after every multiple of --chunk env steps
 *   (gymhost: one `train(env, agent, {steps, onEpisode, signal})` call for the whole run,
 *   whose onEpisode callback evaluates there while training waits for it, and aborts the
 *   run once solved; SB3: a callback inside one `learn(total_timesteps=cap)`); the last one
 *   at the first episode end at or after the cap (SB3: or where learn() stops, at the next
 *   multiple of its train_freq 256, if the episode is still running). train() stops at
 *   exactly its `steps` budget, cutting the running episode, so gymhost's budget is set past
 *   the cap and the abort at that last episode end is what stops it.
 * - At a checkpoint: --screen greedy episodes (reset seeds 10000 + i); if their mean return is
 *   >= 475, --confirm greedy episodes (reset seeds 1000000 + i); solved when that mean is
 *   >= 475 (CartPole-v1's reward threshold), on the standard CartPole-v1 (500-step limit,
 *   Gymnasium reward).
 * - Steps to solve: env steps taken when the solving checkpoint was reached. Wall time to
 *   solve: training time up to it, evaluation time excluded (on both sides); building the
 *   agent/model is reported apart as setup. Unsolved within the cap counts as +infinity in
 *   the medians.
 *
 * The preset is used by name (presetByName('fast-cartpole-dqn')): its config with `seed`
 * set per run, its env config, reward function and terminal reward if any.
 *
 * Order: seed by seed, gymhost's run then SB3's (one peer_sb3.py process per seed, started
 * with spawnSync), never both at once. Interleaving puts both sides under the same machine
 * conditions: on a shared 2-core machine other processes can slow SB3's two torch threads
 * several times over, for minutes. The CPU that other processes used while each side ran
 * (/proc/stat busy time minus our process's and its children's, /proc/self/stat) is reported as "background cores", and
 * --wait-idle S waits up to S seconds before each run for the others to go quiet.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAgent } from '../src/core/agents/create-agent.js';
import { presetByName } from '../src/core/agents/presets.js';
import type { Agent } from '../src/core/agents/types.js';
import { cartPoleType } from '../src/core/envs/cartpole.js';
import type { EnvBatch } from '../src/core/envs/types.js';
import { withTerminalReward } from '../src/core/training/reward-wrappers.js';
import { evaluate, train } from '../src/core/training/train.js';
import { BackgroundMeter, processCpuSeconds, waitIdle as waitIdleFor } from './background.js';
import { REPO_ROOT, fmtMachine, isMain, machine, markdownTable, parseCommonArgs, type Machine } from './lib.js';

export const PRESET = 'fast-cartpole-dqn';
/** Target: gymhost's median wall time to solve at most this fraction of SB3's. */
export const TARGET_FRACTION = 1 / 3;
export const SCREEN_SEED = 10_000;
export const CONFIRM_SEED = 1_000_000;
export const SOLVED_MEAN = 475;
/** Background load (cores used by other processes) above which the figures are flagged. */
const BUSY_CORES = 0.25;

export const SB3_PYTHON = process.env.GYMHOST_BENCH_TORCH_PYTHON || path.join(REPO_ROOT, '.venv-bench', 'bin', 'python');
export const SB3_SCRIPT = path.join(REPO_ROOT, 'bench', 'peer_sb3.py');

export interface Protocol {
  readonly seeds: number[];
  /** Env-step budget per seed. */
  readonly cap: number;
  /** Env steps between checkpoints. */
  readonly chunk: number;
  readonly screen: number;
  readonly confirm: number;
  readonly threshold: number;
  /** torch.set_num_threads for SB3 (0 = torch's default). */
  readonly torchThreads: number;
  readonly quick: boolean;
}

export interface Checkpoint {
  readonly steps: number;
  /** Training seconds up to this checkpoint (evaluation excluded). */
  readonly train_s: number;
  /** Mean greedy return of the screening episodes, and of the confirming ones if run. */
  readonly screen: number;
  readonly confirm: number | null;
}

/** One seed's run, the same shape on both sides (peer_sb3.py prints these). */
export interface SeedRun {
  readonly seed: number;
  readonly solved: boolean;
  /** Env steps at the solving checkpoint (null when not solved). */
  readonly steps: number | null;
  /** Training seconds to the solving checkpoint (null when not solved). */
  readonly train_s: number | null;
  /** Seconds spent in evaluations (excluded from train_s). */
  readonly eval_s: number;
  /** Seconds to build the agent / model. */
  readonly setup_s: number;
  /** Env steps and training seconds of the whole run (to the solve or to the cap). */
  readonly total_steps: number;
  readonly total_train_s: number | null;
  readonly checkpoints: Checkpoint[];
}

interface PeerOutput {
  python?: string;
  torch?: string | null;
  sb3?: string | null;
  gymnasium?: string | null;
  numpy?: string | null;
  torch_threads?: number | null;
  /** CPU seconds of the whole Python process (all threads, imports included). */
  process_cpu_s?: number;
  runs: SeedRun[];
  error: string | null;
}

export interface Side {
  readonly runs: SeedRun[];
  /** Medians over the seeds, unsolved = +infinity (null when infinite: most seeds unsolved). */
  readonly medianSteps: number | null;
  readonly medianSeconds: number | null;
  readonly solved: number;
  /** Mean cores used by other processes while this side ran (Linux /proc/stat; null elsewhere). */
  readonly backgroundCores: number | null;
}

export interface TimeToSolveResult {
  readonly machine: Machine;
  readonly protocol: Protocol;
  readonly preset: string;
  readonly gymhost: Side;
  readonly sb3?: Side & { versions: string; torchThreads: number | null };
  readonly peerError?: string;
  /** gymhost median / SB3 median (wall seconds, and env steps). */
  readonly ratioSeconds?: number;
  readonly ratioSteps?: number;
  /** n/a without the peer. */
  readonly verdict: 'PASS' | 'MISS' | 'n/a';
  readonly markdown: string;
  readonly seconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function sideOf(runs: SeedRun[], backgroundCores: number | null): Side {
  const steps = median(runs.map((r) => (r.solved && r.steps !== null ? r.steps : Infinity)));
  const secs = median(runs.map((r) => (r.solved && r.train_s !== null ? r.train_s : Infinity)));
  return {
    runs,
    medianSteps: Number.isFinite(steps) ? steps : null,
    medianSeconds: Number.isFinite(secs) ? secs : null,
    solved: runs.filter((r) => r.solved).length,
    backgroundCores,
  };
}

// ---- Background load --------------------------------------------------------------------------

/**
 * CPU seconds of this process plus its waited-for children (utime, stime, cutime, cstime), so
 * a spawnSync'd peer is counted whole, start-up and exit included.
 */
const ownCpuSeconds = () => processCpuSeconds('self', true);

/** Accumulates the CPU that processes other than ours used during measured intervals. */
const newBackground = () => new BackgroundMeter(ownCpuSeconds);

/** Waits (up to maxS seconds) until other processes use less than BUSY_CORES; the seconds waited, or -1. */
const waitIdle = (maxS: number, log: (s: string) => void) => waitIdleFor(maxS, BUSY_CORES, ownCpuSeconds, log);

// ---- The two sides --------------------------------------------------------------------------

/** The standard CartPole-v1 used for every evaluation (defaults, Gymnasium reward). */
function evalEnv(): EnvBatch {
  return cartPoleType.create(1, {}, { name: 'gymnasium', params: {} }, 0);
}

async function runGymhostSeed(seed: number, p: Protocol): Promise<SeedRun> {
  const preset = presetByName(PRESET);
  if (!preset) throw new Error(`preset '${PRESET}' not found`);
  // A terminal-reward recipe (none for this preset today), in either shape presets.ts has had.
  const extra = preset as unknown as { terminalReward?: number; recommendedReward?: { base: string; terminalReward: number } };
  const rewardName = extra.recommendedReward?.base ?? preset.rewardFunction ?? cartPoleType.defaultRewardFunction;
  const terminalReward = extra.recommendedReward?.terminalReward ?? extra.terminalReward;
  const t0 = performance.now();
  let env: EnvBatch = cartPoleType.create(1, { ...(preset.envConfig ?? {}) }, { name: rewardName, params: { ...(preset.rewardParams ?? {}) } }, seed);
  if (terminalReward !== undefined) env = withTerminalReward(env, terminalReward);
  const actions = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0;
  const agent: Agent = await createAgent(preset.kind, env.observationSpace, actions, { ...preset.config, seed });
  const setup_s = (performance.now() - t0) / 1000;

  // One train() call for the whole run; the checkpoints are taken in its onEpisode callback
  // (training waits for the returned promise), at the first episode end at or after every
  // multiple of p.chunk, and at the first episode end at or after the cap, where the run is
  // stopped (abort; the episode has ended normally by then). train() stops at exactly its
  // `steps` budget, cutting the episode in progress, so the budget is set well past the cap
  // (a CartPole-v1 episode is at most 500 steps) and is never what ends the run.
  let steps = 0;
  let evalMs = 0;
  let next = p.chunk;
  let trainS = 0;
  const checkpoints: Checkpoint[] = [];
  let solved = false;
  const stop = new AbortController();
  let t0Train = 0;
  const checkpoint = async (): Promise<void> => {
    const te = performance.now();
    trainS = (te - t0Train - evalMs) / 1000;
    const screen = (await evaluate(evalEnv, agent, { episodes: p.screen, seed: SCREEN_SEED })).mean;
    let confirm: number | null = null;
    if (screen >= p.threshold) confirm = (await evaluate(evalEnv, agent, { episodes: p.confirm, seed: CONFIRM_SEED })).mean;
    evalMs += performance.now() - te;
    checkpoints.push({ steps, train_s: trainS, screen, confirm });
    if (confirm !== null && confirm >= p.threshold) solved = true;
  };
  try {
    t0Train = performance.now();
    const summary = await train(env, agent, {
      steps: p.cap + 100_000,
      seed,
      signal: stop.signal,
      onEpisode: async (record) => {
        steps += record.length;
        if (steps < next && steps < p.cap) return;
        next = (Math.floor(steps / p.chunk) + 1) * p.chunk;
        await checkpoint();
        if (solved || steps >= p.cap) stop.abort();
      },
    });
    if (summary.state.steps !== steps) throw new Error(`gymhost seed ${seed}: train() did ${summary.state.steps} steps, the episodes add up to ${steps}`);
    if (!stop.signal.aborted) throw new Error(`gymhost seed ${seed}: train() stopped at its budget (${summary.state.steps} steps) before the first episode end after the cap`);
  } finally {
    agent.dispose();
  }
  return {
    seed,
    solved,
    steps: solved ? steps : null,
    train_s: solved ? trainS : null,
    eval_s: evalMs / 1000,
    setup_s,
    total_steps: steps,
    total_train_s: trainS,
    checkpoints,
  };
}

/** bench/peer_sb3.py for `seeds`, synchronously; errors come back in `error`, never thrown. */
function runSb3(p: Protocol, seeds: number[]): PeerOutput {
  if (!existsSync(SB3_PYTHON)) {
    return { runs: [], error: `${SB3_PYTHON} not found; create it with \`bash scripts/setup-bench-python.sh\` (or set GYMHOST_BENCH_TORCH_PYTHON)` };
  }
  const args = [
    SB3_SCRIPT,
    '--seeds', seeds.join(','),
    '--cap', String(p.cap),
    '--chunk', String(p.chunk),
    '--screen', String(p.screen),
    '--confirm', String(p.confirm),
    '--threshold', String(p.threshold),
    '--torch-threads', String(p.torchThreads),
  ];
  // Generous: ~20-60 s per seed for 5e4 steps on an idle 2-core machine, several times that on a busy one.
  const timeout = 60_000 + seeds.length * Math.ceil(p.cap / 50_000) * 900_000;
  const res = spawnSync(SB3_PYTHON, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (res.error) return { runs: [], error: `SB3 peer: ${res.error.message}` };
  if (res.status !== 0) return { runs: [], error: `SB3 peer exited with ${res.status ?? res.signal}` };
  try {
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as PeerOutput;
  } catch {
    return { runs: [], error: 'SB3 peer printed no JSON' };
  }
}

// ---- Report ---------------------------------------------------------------------------------

const fmtSteps = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const fmtSec = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtX = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? 'n/a' : x >= 10 ? `${x.toFixed(1)}x` : x >= 0.1 ? `${x.toFixed(2)}x` : `${x.toFixed(3)}x`;
const fmtCores = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2));

function cellsOf(r: SeedRun | undefined): string[] {
  if (!r) return ['n/a', 'n/a', 'n/a'];
  if (!r.solved) return ['no', `not within ${fmtSteps(r.total_steps)}`, `(${fmtSec(r.total_train_s)} to the cap)`];
  return ['yes', fmtSteps(r.steps), fmtSec(r.train_s)];
}

export function resultMarkdown(r: Omit<TimeToSolveResult, 'markdown' | 'seconds'>): string {
  const p = r.protocol;
  const header = ['seed', 'gymhost solved', 'gymhost env steps', 'gymhost wall s', 'SB3 solved', 'SB3 env steps', 'SB3 wall s'];
  const rows: string[][] = [];
  for (const seed of p.seeds) {
    const g = r.gymhost.runs.find((x) => x.seed === seed);
    const s = r.sb3?.runs.find((x) => x.seed === seed);
    rows.push([String(seed), ...cellsOf(g), ...cellsOf(s)]);
  }
  const medSteps = (x: Side | undefined) => (x ? (x.medianSteps === null ? 'not solved' : fmtSteps(x.medianSteps)) : 'n/a');
  const medSec = (x: Side | undefined) => (x ? (x.medianSeconds === null ? 'not solved' : fmtSec(x.medianSeconds)) : 'n/a');
  rows.push([
    `**median of ${p.seeds.length}**`,
    `${r.gymhost.solved}/${r.gymhost.runs.length}`,
    medSteps(r.gymhost),
    medSec(r.gymhost),
    r.sb3 ? `${r.sb3.solved}/${r.sb3.runs.length}` : 'n/a',
    medSteps(r.sb3),
    medSec(r.sb3),
  ]);
  const sum = (side: Side | undefined, k: 'eval_s' | 'setup_s') => (side ? side.runs.reduce((a, x) => a + x[k], 0) : undefined);
  const failed = r.gymhost.runs.filter((x) => !x.solved).map((x) => x.seed);
  const threads = p.torchThreads > 0 ? `${p.torchThreads} (set)` : `${r.sb3?.torchThreads ?? '?'} (torch's default)`;
  const notes = [
    `Machine: ${fmtMachine(r.machine)}${r.sb3 ? `; SB3 side: ${r.sb3.versions}, torch threads ${threads}` : ''}.`,
    `gymhost: preset \`${r.preset}\` in-process (createAgent + train + evaluate on cartPoleType; one thread). ` +
      'SB3: `DQN("MlpPolicy", gymnasium.make("CartPole-v1"), ...)` with the rl-zoo CartPole-v1 hyperparameters (lr 2.3e-3, batch 64, buffer 1e5, learning_starts 1000, ' +
      'gamma 0.99, target update 10, train_freq 256, gradient_steps 128, exploration 0.16 -> 0.04, MLP [256, 256]), device cpu, one `learn(total_timesteps=cap)` per seed.',
    `Solved: at checkpoints (the first episode end at or after every ${fmtSteps(p.chunk)} env steps, up to the cap of ${fmtSteps(p.cap)} steps), ` +
      `greedy mean return over ${p.screen} episodes >= ${p.threshold}, confirmed by the mean over ${p.confirm} other episodes >= ${p.threshold}; ` +
      'same protocol on both sides. Wall s = training time to the solving checkpoint, evaluation excluded on both sides. Medians count an unsolved seed as infinite.',
    `Outside the figures: evaluation ${fmtSec(sum(r.gymhost, 'eval_s'))} s gymhost` +
      (r.sb3 ? `, ${fmtSec(sum(r.sb3, 'eval_s'))} s SB3` : '') +
      `; setup (agent / model construction) ${fmtSec(sum(r.gymhost, 'setup_s'))} s gymhost` +
      (r.sb3 ? `, ${fmtSec(sum(r.sb3, 'setup_s'))} s SB3.` : '.'),
  ];
  if (r.sb3) {
    notes.push(
      `Ratios gymhost / SB3 of the medians: wall time ${fmtX(r.ratioSeconds)}, env steps ${fmtX(r.ratioSteps)}. ` +
        `**Target: median wall time to solve <= 1/3 of SB3's: ${r.verdict}.**`,
    );
  } else {
    notes.push(`SB3 peer ${r.peerError ? `unavailable: ${r.peerError}` : 'not run (--no-peer)'}; no verdict on the target (<= 1/3 of SB3's wall time).`);
  }
  if (failed.length) notes.push(`gymhost seeds not solved within the cap: ${failed.join(', ')} (preset \`${r.preset}\` as it stands; not tuned here).`);
  const busy = [
    ['gymhost', r.gymhost.backgroundCores],
    ['SB3', r.sb3?.backgroundCores],
  ].filter(([, x]) => typeof x === 'number' && x > BUSY_CORES).map(([name]) => name);
  notes.push(
    `Background load (cores used by other processes while each side ran): gymhost ${fmtCores(r.gymhost.backgroundCores)}` +
      (r.sb3 ? `, SB3 ${fmtCores(r.sb3.backgroundCores)}` : '') +
      (busy.length
        ? ` -- **the machine was busy during the ${busy.join(' and ')} runs (above ${BUSY_CORES} cores): their wall times may be inflated` +
          ' (SB3\'s multi-threaded torch suffers most); rerun on an idle machine before quoting.**'
        : '.'),
  );
  if (p.quick) notes.push('Quick run (--quick: one seed, cap 20,000, so a shorter SB3 exploration schedule): a smoke test, not figures to quote.');
  return `${markdownTable(header, rows)}\n\n${notes.join('\n')}`;
}

// ---- Command line ---------------------------------------------------------------------------

function seedList(v: string | true | undefined, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  if (v === true) throw new Error('--seeds needs a list, e.g. 0,1,2');
  const xs = v.split(',').filter((s) => s.trim() !== '').map(Number);
  if (!xs.length || !xs.every((x) => Number.isSafeInteger(x) && x >= 0) || new Set(xs).size !== xs.length) throw new Error(`--seeds: bad list '${v}'`);
  return xs;
}

function intOpt(rest: Map<string, string | true>, key: string, fallback: number, min = 1): number {
  const v = rest.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isSafeInteger(n) || n < min) throw new Error(`--${key} needs an integer >= ${min}`);
  return n;
}

export async function timeToSolve(argv: string[]): Promise<TimeToSolveResult> {
  const args = parseCommonArgs(argv);
  const quick = argv.includes('--quick');
  const rest = args.rest;
  const verbose = rest.has('verbose');
  const p: Protocol = {
    seeds: seedList(rest.get('seeds'), quick ? [0] : [0, 1, 2, 3, 4]),
    cap: intOpt(rest, 'cap', quick ? 20_000 : 50_000),
    chunk: intOpt(rest, 'chunk', 1000),
    screen: intOpt(rest, 'screen', 20),
    confirm: intOpt(rest, 'confirm', 100),
    threshold: SOLVED_MEAN,
    torchThreads: intOpt(rest, 'torch-threads', 0, 0),
    quick,
  };
  const waitS = intOpt(rest, 'wait-idle', 0, 0);
  for (const k of ['seeds', 'cap', 'chunk', 'screen', 'confirm', 'torch-threads', 'wait-idle', 'verbose']) rest.delete(k);
  if (rest.size) throw new Error(`unknown option(s): ${[...rest.keys()].map((k) => `--${k}`).join(' ')}`);
  const t0 = performance.now();
  const log = (s: string) => process.stderr.write(s + '\n');
  const runLine = (name: string, r: SeedRun) =>
    `  ${name} seed ${r.seed}: ` +
    (r.solved ? `solved at ${r.steps} steps, ${fmtSec(r.train_s)} s training` : `not solved within ${r.total_steps} steps (${fmtSec(r.total_train_s)} s training)`) +
    ` (+${fmtSec(r.eval_s)} s evaluating)`;

  log(`Time to solve CartPole-v1: gymhost ${PRESET} vs SB3 DQN (rl-zoo), seeds ${p.seeds.join(',')}, cap ${p.cap} steps${args.noPeer ? ' (no peer)' : ''}`);
  const gRuns: SeedRun[] = [];
  const sRuns: SeedRun[] = [];
  const gBg = newBackground();
  const sBg = newBackground();
  let peer: PeerOutput | undefined;
  let peerError: string | undefined;
  for (const seed of p.seeds) {
    await waitIdle(waitS, log);
    const g = await gBg.measure(() => runGymhostSeed(seed, p));
    gRuns.push(g);
    log(runLine('gymhost', g));
    if (args.noPeer || peerError) continue;
    await waitIdle(waitS, log);
    const out = await sBg.measure(() => runSb3(p, [seed]));
    if (out.error) {
      peerError = out.error;
      log(`  SB3: ${out.error}`);
      continue;
    }
    peer = out;
    sRuns.push(...out.runs); // peer_sb3.py logs its own line per seed
  }
  const gymhost = sideOf(gRuns, gBg.cores());
  const sb3: TimeToSolveResult['sb3'] =
    peer && !peerError
      ? {
          ...sideOf(sRuns, sBg.cores()),
          versions: `Python ${peer.python}, torch ${peer.torch}, stable-baselines3 ${peer.sb3}, Gymnasium ${peer.gymnasium}, NumPy ${peer.numpy}`,
          torchThreads: peer.torch_threads ?? null,
        }
      : undefined;

  let ratioSeconds: number | undefined;
  let ratioSteps: number | undefined;
  let verdict: TimeToSolveResult['verdict'] = 'n/a';
  if (sb3) {
    // Unsolved medians are infinite: gymhost infinite -> ratio infinite (MISS); SB3 alone infinite -> 0 (PASS).
    const ratio = (a: number | null, b: number | null) => (a === null ? Infinity : b === null ? 0 : a / b);
    ratioSeconds = ratio(gymhost.medianSeconds, sb3.medianSeconds);
    ratioSteps = ratio(gymhost.medianSteps, sb3.medianSteps);
    verdict = ratioSeconds <= TARGET_FRACTION ? 'PASS' : 'MISS';
  }
  const m = machine(peer && !peer.error ? { python: peer.python ?? '?', gymnasium: peer.gymnasium ?? '?', numpy: peer.numpy ?? '?' } : undefined);
  const base = { machine: m, protocol: p, preset: PRESET, gymhost, sb3, peerError, ratioSeconds, ratioSteps, verdict };
  if (verbose) {
    for (const [name, runs] of [['gymhost', gymhost.runs], ['SB3', sb3?.runs ?? []]] as const) {
      for (const r of runs) {
        log(
          `${name} seed ${r.seed} checkpoints (steps:screen[/confirm]): ` +
            r.checkpoints.map((c) => `${c.steps}:${c.screen.toFixed(0)}${c.confirm === null ? '' : `/${c.confirm.toFixed(0)}`}`).join(' '),
        );
      }
    }
  }
  return { ...base, markdown: resultMarkdown(base), seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const res = await timeToSolve(argv);
  console.log(`\n## CartPole-v1 time to solve: gymhost \`${PRESET}\` vs SB3 DQN (rl-zoo)\n\n${res.markdown}\n\nWhole benchmark: ${res.seconds.toFixed(0)} s.`);
  const json = parseCommonArgs(argv).jsonOut;
  if (json) writeFileSync(json, JSON.stringify(res, null, 2));
}

if (isMain(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
