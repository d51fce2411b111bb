/**
 * Durability: what the SQLite store (`serve --data-dir`) costs and gives, measured on real
 * servers (child processes of `node bin/gymhost.js serve`, driven over REST on 127.0.0.1).
 * Run on demand; prints figures next to a peer measured in the same run, with ratios; never
 * asserts. Three parts (`--only cost,restart,keepbest`; all by default):
 *
 * 1. cost: the fast-cartpole-dqn preset trained for --steps (30,000) env steps on CartPole-v1
 *    by one blocking `POST /v1/agents/{id}:train`, on three servers started side by side:
 *    `--data-dir :memory:` (no checkpoints: the peer), a durable data dir with
 *    `--checkpoint-seconds 2` (the default) and one with 0.5 (a stress figure). The
 *    configurations alternate over --reps repetitions (the order rotates each rep), every run
 *    with the same env and agent seed (so the same work: the summaries are compared), after
 *    two untimed warm-up runs per server. Env steps/s = steps / the client's wall time of the
 *    call; medians; overhead = 1 - durable / memory. **Goal: overhead <= 5% at 2 s.**
 * 2. restart: a durable server is filled with --sessions (1,000) env sessions (half CartPole,
 *    half GridWorld; 80% of those without an agent reset and stepped 1-40 steps) and --agents
 *    (200) agents (half fast-cartpole-dqn on CartPole sessions, each trained --fill-steps
 *    (3,000) steps so that its replay queue holds them; half seed-tabular-gridworld on
 *    small_maze sessions, each trained 30 episodes), then stopped with SIGTERM. Then, over
 *    --restarts repetitions, alternating: the filled dir is started again; the peer, an empty
 *    `--data-dir :memory:` server; and an empty new data dir. For each start: spawn -> the
 *    start-up line ("serving gRPC on ..."), the server's own restore time (its "data restored"
 *    log line, --log-level info), spawn -> the first successful Step (restored: Reset + Step on
 *    a restored CartPole session; empty servers: CreateEnv + Reset + Step), and SIGTERM -> exit.
 *    The restored server's counts are checked against what was filled, and one DQN and one
 *    tabular agent must evaluate exactly as before the restart. DB size after the fill.
 *    **Goal: serving (first Step) within 2 s with 1,000 sessions and 200 agents.**
 * 3. keepbest: for --seeds (0..9), fast-cartpole-dqn on CartPole-v1 trained over REST with
 *    evalEverySteps --eval-every (2,000), evalEpisodes --eval-episodes (20), evalSeed 10,000,
 *    keepBest, stopAtMeanReward 475 and a budget of --budget (100,000) steps; then
 *    `:evaluate` on --fresh (100) episodes from seeds 1,000,000 + i (never used in training).
 *    The peer, bench/peer_sb3_evalcallback.py: SB3 DQN with the rl-zoo hyperparameters,
 *    EvalCallback (same frequency, episodes and evaluation seeds) with best_model_save_path and
 *    StopTrainingOnRewardThreshold(475), the same budget and seeds; its best model then checked
 *    on the same fresh seeds. Seed by seed, gymhost then SB3 (spawnSync), never both at once.
 *
 *   node --import tsx bench/durability.ts [--only cost,restart,keepbest] [--quick] [--no-peer]
 *        [--steps 30000] [--reps 5] [--sessions 1000] [--agents 200] [--fill-steps 3000]
 *        [--restarts 5] [--seeds 0,1,...] [--budget 100000] [--eval-every 2000]
 *        [--eval-episodes 20] [--fresh 100] [--torch-threads N] [--wait-idle S] [--verbose]
 *        [--keep-data] [--json FILE]
 *
 * The machine's load matters on a shared 2-core box (SB3's torch threads most of all): the
 * cores used by processes other than this one and its servers while each figure was taken are
 * reported ("background cores", /proc/stat minus /proc/<pid>/stat); --wait-idle S waits up to
 * S seconds for them to go quiet before each measurement.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { BackgroundMeter, processCpuSeconds, waitIdle as waitIdleFor } from './background.js';
import { REPO_ROOT, fmtMachine, isMain, machine, median, parseCommonArgs, textTable, type Machine } from './lib.js';

const PRESET_DQN = 'fast-cartpole-dqn';
const PRESET_TABULAR = 'seed-tabular-gridworld';
const THRESHOLD = 475;
const EVAL_SEED = 10_000;
const FRESH_SEED = 1_000_000;
/** Background load (cores used by other processes) above which figures are flagged. */
const BUSY_CORES = 0.25;
const SB3_PYTHON = process.env.GYMHOST_BENCH_TORCH_PYTHON || path.join(REPO_ROOT, '.venv-bench', 'bin', 'python');
const SB3_SCRIPT = path.join(REPO_ROOT, 'bench', 'peer_sb3_evalcallback.py');

const log = (s: string) => process.stderr.write(s + '\n');

// ---- CPU accounting -----------------------------------------------------------------------------

/** The servers this benchmark runs (their CPU is ours, not background). */
const live = new Map<number, ChildProcess>();

/** CPU seconds of this process, its reaped children and its live servers: continuous across a reap. */
function ourCpuSeconds(): number {
  let s = processCpuSeconds('self', true);
  for (const pid of live.keys()) s += processCpuSeconds(pid, false);
  return s;
}

/** Accumulates the cores other processes used while this benchmark measured. */
const newBackground = () => new BackgroundMeter(ourCpuSeconds);

/** Waits up to maxS seconds until other processes use less than BUSY_CORES. */
const waitIdle = (maxS: number) => waitIdleFor(maxS, BUSY_CORES, ourCpuSeconds, log);

// ---- Servers ------------------------------------------------------------------------------------

interface Server {
  readonly http: string;
  readonly pid: number;
  readonly command: string;
  /** ms from spawn() to the start-up line. */
  readonly startupMs: number;
  /** performance.now() and Date.now() just before spawn(). */
  readonly spawnedAt: number;
  readonly spawnedAtEpochMs: number;
  /** The parsed JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** Waits (up to ms) for a log line with this msg. */
  logLine(msg: string, ms?: number): Promise<Record<string, unknown> | undefined>;
  /** SIGTERM (SIGKILL after graceMs); resolves with the ms to exit. */
  stop(graceMs?: number): Promise<number>;
}

let exitHook = false;
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const child of live.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const child of live.values()) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/**
 * `node bin/gymhost.js serve --host 127.0.0.1 --grpc-port 0 --http-port 0 --data-dir DIR
 * --checkpoint-seconds S --log-level L`; resolves at its start-up line, the instant being
 * taken when the line arrives. `onStartup` runs right then (the first-Step probe).
 */
async function startServer(
  opts: { dataDir: string; checkpointSeconds?: number; logLevel?: string },
  onStartup?: (httpAddress: string) => void,
): Promise<Server> {
  installExitHook();
  const args = [path.join(REPO_ROOT, 'bin', 'gymhost.js'), 'serve', '--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0', '--data-dir', opts.dataDir];
  if (opts.checkpointSeconds !== undefined) args.push('--checkpoint-seconds', String(opts.checkpointSeconds));
  args.push('--log-level', opts.logLevel ?? 'warn');
  const spawnedAtEpochMs = Date.now();
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(child.pid!, child);
  const exited = new Promise<number>((resolve) => child.once('exit', () => resolve(performance.now())));
  void exited.then(() => live.delete(child.pid!));
  let stdout = '';
  let stderr = '';
  const logs: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 100_000) stderr += d;
  });
  const command = `node ${[path.relative(REPO_ROOT, args[0]), ...args.slice(1)].join(' ')}`;
  const stop = async (graceMs = 30_000): Promise<number> => {
    if (child.exitCode !== null || child.signalCode !== null) return 0;
    const t = performance.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const end = await exited;
    clearTimeout(timer);
    if (child.signalCode === 'SIGKILL') log(`  (server ${child.pid} needed SIGKILL after ${graceMs} ms)`);
    return end - t;
  };
  let partial = '';
  const started = await new Promise<{ http: string; at: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 120 s')), 120_000);
    let found = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const at = performance.now();
      if (stdout.length < 200_000) stdout += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!found) {
          const m = /serving gRPC on (\S+) and HTTP on (\S+)/.exec(line);
          if (m) {
            found = true;
            clearTimeout(timer);
            onStartup?.(m[2]);
            resolve({ http: m[2], at });
          }
        }
        if (line.startsWith('{')) {
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
            for (const w of waiters.splice(0)) w();
          } catch {
            // not a log line
          }
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code ?? signal} before it started`));
    });
  }).catch(async (err: Error) => {
    await stop(1000);
    throw new Error(`${err.message}\n${command}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  });
  const logLine = async (msg: string, ms = 5000) => {
    const end = performance.now() + ms;
    for (;;) {
      const hit = logs.find((l) => l.msg === msg);
      if (hit || performance.now() >= end) return hit;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { http: started.http, pid: child.pid!, command, startupMs: started.at - spawnedAt, spawnedAt, spawnedAtEpochMs, logs, logLine, stop };
}

// ---- REST ---------------------------------------------------------------------------------------

class RestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function rest(base: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(base + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new RestError(`${method} ${p}: HTTP ${res.status}: ${text.slice(0, 300)}`, res.status, undefined, undefined);
  }
  if (!res.ok) {
    const reason = json?.details?.find?.((d: { reason?: string }) => d?.reason)?.reason ?? json?.reason;
    throw new RestError(`${method} ${p}: HTTP ${res.status} ${json?.code ?? ''} ${json?.message ?? text.slice(0, 300)}`, res.status, json?.code, reason);
  }
  return json;
}

/** Runs fn over items with at most n at once. */
async function forEachLimit<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/** A deterministic stream of 32-bit integers (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function tempDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `gymhost-durability-${tag}-`));
}

function dbBytes(dir: string): { db: number; wal: number; shm: number } {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  const db = path.join(dir, 'gymhost.db');
  return { db: size(db), wal: size(`${db}-wal`), shm: size(`${db}-shm`) };
}

/** Loads undici (global fetch) and opens no connection to the servers: the client's first call is not timed cold. */
async function warmClient(): Promise<void> {
  const server = http.createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  for (let i = 0; i < 3; i++) await rest(`http://127.0.0.1:${port}`, 'POST', '/x', { a: 1 });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// ---- Formatting ---------------------------------------------------------------------------------

const fmtInt = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`);
const fmtS = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const fmtPct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`);
const fmtX = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`);
const fmtMean = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(1));
const fmtCores = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
const fmtMiB = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const busyNote = (x: number | null | undefined) => (typeof x === 'number' && x > BUSY_CORES ? ' **(busy machine: do not quote)**' : '');
const spread = (xs: number[]) => {
  if (xs.length < 2) return '';
  const m = median(xs);
  return `±${Math.round((50 * (Math.max(...xs) - Math.min(...xs))) / m)}%`;
};

// ---- Part 1: checkpoint cost --------------------------------------------------------------------

interface CostConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly checkpointSeconds: number;
  readonly peer: boolean;
}

interface CostRun {
  readonly rep: number;
  readonly wallS: number;
  /** steps / client wall. */
  readonly stepsPerS: number;
  /** steps / the server loop's wallTimeMs. */
  readonly loopStepsPerS: number;
  readonly episodes: number;
  readonly lastReturn: number;
  readonly meanReturn100: number;
}

interface CostResult {
  readonly steps: number;
  readonly seed: number;
  readonly configs: { name: string; command: string; runs: CostRun[]; median: number; loopMedian: number; backgroundCores: number | null; overheadPct?: number }[];
  readonly sameWork: boolean;
}

async function trainOnce(base: string, seed: number, steps: number): Promise<{ wallS: number; summary: Record<string, number> }> {
  const env = await rest(base, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed });
  const agent = await rest(base, 'POST', '/v1/agents', { preset: PRESET_DQN, env: env.id, seed });
  const t = performance.now();
  const summary = await rest(base, 'POST', `/v1/agents/${agent.id}:train`, { steps });
  const wallS = (performance.now() - t) / 1000;
  await rest(base, 'DELETE', `/v1/agents/${agent.id}`);
  await rest(base, 'DELETE', `/v1/envs/${env.id}`);
  return { wallS, summary };
}

async function partCost(o: Options): Promise<CostResult> {
  log(`\n[1/3] checkpoint cost: ${PRESET_DQN}, ${o.steps} steps per Train, ${o.reps} reps`);
  const dirs = [tempDir('cost2'), tempDir('cost05')];
  const configs: CostConfig[] = [
    { name: '--data-dir :memory: (no checkpoints)', dataDir: ':memory:', checkpointSeconds: 2, peer: true },
    { name: 'durable, --checkpoint-seconds 2', dataDir: dirs[0], checkpointSeconds: 2, peer: false },
    { name: 'durable, --checkpoint-seconds 0.5', dataDir: dirs[1], checkpointSeconds: 0.5, peer: false },
  ];
  const servers: Server[] = [];
  try {
    for (const c of configs) servers.push(await startServer({ dataDir: c.dataDir, checkpointSeconds: c.checkpointSeconds }));
    for (const s of servers) for (let w = 0; w < 2; w++) await trainOnce(s.http, 1000 + w, Math.min(5000, o.steps));
    const runs: CostRun[][] = configs.map(() => []);
    const bgs = configs.map(() => newBackground());
    for (let rep = 0; rep < o.reps; rep++) {
      for (let k = 0; k < configs.length; k++) {
        const c = (rep + k) % configs.length;
        await waitIdle(o.waitIdle);
        const { wallS, summary } = await bgs[c].measure(() => trainOnce(servers[c].http, o.costSeed, o.steps));
        const run: CostRun = {
          rep,
          wallS,
          stepsPerS: Number(summary.steps) / wallS,
          loopStepsPerS: Number(summary.steps) / (Number(summary.wallTimeMs) / 1000),
          episodes: Number(summary.episodes),
          lastReturn: Number(summary.lastReturn),
          meanReturn100: Number(summary.meanReturn100),
        };
        if (Number(summary.steps) !== o.steps) log(`  (!) ${configs[c].name}: Train did ${summary.steps} steps, asked ${o.steps}`);
        runs[c].push(run);
        log(`  rep ${rep} ${configs[c].name}: ${fmtInt(run.stepsPerS)} steps/s (${fmtS(wallS)} s; loop ${fmtInt(run.loopStepsPerS)} steps/s), ${run.episodes} episodes`);
      }
    }
    const all = runs.flat();
    const sameWork = all.every((r) => r.episodes === all[0].episodes && r.lastReturn === all[0].lastReturn && r.meanReturn100 === all[0].meanReturn100);
    const base = median(runs[0].map((r) => r.stepsPerS));
    return {
      steps: o.steps,
      seed: o.costSeed,
      sameWork,
      configs: configs.map((c, i) => {
        const m = median(runs[i].map((r) => r.stepsPerS));
        return {
          name: c.name,
          command: servers[i].command,
          runs: runs[i],
          median: m,
          loopMedian: median(runs[i].map((r) => r.loopStepsPerS)),
          backgroundCores: bgs[i].cores(),
          overheadPct: c.peer ? undefined : (1 - m / base) * 100,
        };
      }),
    };
  } finally {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

function costReport(r: CostResult): string {
  const base = r.configs[0].median;
  const rows = r.configs.map((c) => [
    c.name,
    fmtInt(c.median),
    spread(c.runs.map((x) => x.stepsPerS)),
    fmtInt(c.loopMedian),
    c.overheadPct === undefined ? '(peer)' : fmtX(c.median / base),
    c.overheadPct === undefined ? '' : fmtPct(c.overheadPct),
    fmtCores(c.backgroundCores),
  ]);
  const at2 = r.configs[1].overheadPct;
  const notes = [
    `${PRESET_DQN}, one blocking REST Train of ${fmtInt(r.steps)} steps on CartPole-v1 (env and agent seed ${r.seed}) per run; ${r.configs[0].runs.length} runs per configuration, alternating; medians. ` +
      'Env steps/s = steps / the client\'s wall time of the call; "loop" = steps / the server\'s own wallTimeMs. Overhead = 1 - durable / :memory:.',
    r.sameWork
      ? 'Every run did the same work (same episodes, last return and mean return over the last 100 episodes).'
      : '**The runs did not all do the same work (episodes or returns differ between runs): check the seeds.**',
    `**Goal: overhead <= 5% at --checkpoint-seconds 2: ${at2 === undefined ? 'n/a' : at2 <= 5 ? 'met' : 'NOT met'} (${fmtPct(at2)}).**`,
  ];
  const busy = r.configs.filter((c) => typeof c.backgroundCores === 'number' && c.backgroundCores > BUSY_CORES);
  if (busy.length) notes.push(`**Background load above ${BUSY_CORES} cores during: ${busy.map((c) => c.name).join('; ')}: do not quote.**`);
  return `${textTable(['configuration', 'env steps/s', 'spread', 'loop steps/s', 'ratio', 'overhead', 'bg cores'], rows)}\n\n${notes.join('\n')}`;
}

// ---- Part 2: restart ----------------------------------------------------------------------------

interface StartRun {
  readonly kind: 'restored' | 'empty :memory:' | 'empty data dir';
  readonly rep: number;
  readonly startupMs: number;
  readonly restoreMs: number | null;
  /** spawn -> the end of the restore, by the "data restored" line's own timestamp (ms resolution). */
  readonly restoreDoneMs: number | null;
  readonly firstStepMs: number;
  readonly stopMs: number;
  readonly restored?: Record<string, unknown>;
}

interface RestartResult {
  readonly sessions: number;
  readonly agents: { dqn: number; tabular: number };
  readonly fillSteps: number;
  readonly fill: { seconds: number; envSteps: number; trainSteps: number; tabularEpisodes: number; firstStopMs: number };
  readonly dbBytes: { db: number; wal: number; shm: number };
  readonly runs: StartRun[];
  readonly checks: string[];
  readonly probe: string;
  readonly backgroundCores: number | null;
  readonly command: string;
}

const GRID_WORLDS = ['small_maze', 'small_random', 'small_moat'];

async function fill(base: string, o: Options): Promise<{ midEpisode: string[]; dqnIds: string[]; tabIds: string[]; envSteps: number; trainSteps: number; tabularEpisodes: number }> {
  const nDqn = Math.floor(o.agents / 2);
  const nTab = o.agents - nDqn;
  const r = rng(424242);
  const specs = Array.from({ length: o.sessions }, (_, i) => {
    const cartpole = i % 2 === 0;
    const k = i >> 1; // index among its kind
    const forAgent = cartpole ? k < nDqn : k < nTab;
    return { i, cartpole, forAgent, steps: forAgent ? 0 : r() % 10 < 8 ? 1 + (r() % 40) : -1, seed: i };
  });
  const ids: string[] = new Array(o.sessions);
  let envSteps = 0;
  const midEpisode: string[] = [];
  await forEachLimit(specs, 8, async (s) => {
    const body = s.cartpole
      ? { envId: 'CartPole-v1', seed: s.seed }
      : s.forAgent
        ? { envId: 'GridWorld-v0', seed: s.seed, config: { world: 'small_maze', random_start: true }, rewardFunction: 'seed', rewardParams: { goal: 0, hazard: -200, standard: -1 } }
        : { envId: 'GridWorld-v0', seed: s.seed, config: { world: GRID_WORLDS[s.i % GRID_WORLDS.length], random_start: s.i % 3 === 0 } };
    const env = await rest(base, 'POST', '/v1/envs', body);
    ids[s.i] = env.id;
    if (s.steps < 0 || s.forAgent) return;
    await rest(base, 'POST', `/v1/envs/${env.id}:reset`, {});
    const act = rng(s.seed + 1);
    let ended = false;
    for (let t = 0; t < s.steps && !ended; t++) {
      const out = await rest(base, 'POST', `/v1/envs/${env.id}:step`, { action: act() % (s.cartpole ? 2 : 4) });
      envSteps++;
      ended = Boolean(out.terminated || out.truncated);
    }
    if (!ended && s.cartpole) midEpisode.push(env.id);
  });
  log(`  ${o.sessions} env sessions created, ${fmtInt(envSteps)} steps over REST`);
  const dqnIds: string[] = [];
  const tabIds: string[] = [];
  const agentSpecs = specs.filter((s) => s.forAgent);
  let trainSteps = 0;
  let tabularEpisodes = 0;
  let done = 0;
  await forEachLimit(agentSpecs, 2, async (s) => {
    const agent = await rest(base, 'POST', '/v1/agents', { preset: s.cartpole ? PRESET_DQN : PRESET_TABULAR, env: ids[s.i], seed: s.seed });
    (s.cartpole ? dqnIds : tabIds).push(agent.id);
    const sum = await rest(base, 'POST', `/v1/agents/${agent.id}:train`, s.cartpole ? { steps: o.fillSteps } : { episodes: 30 });
    if (s.cartpole) trainSteps += Number(sum.steps);
    else tabularEpisodes += Number(sum.episodes);
    if (++done % 50 === 0) log(`  ${done}/${agentSpecs.length} agents created and trained`);
  });
  dqnIds.sort();
  tabIds.sort();
  return { midEpisode, dqnIds, tabIds, envSteps, trainSteps, tabularEpisodes };
}

/** What must come back: counts, and two agents' exact greedy returns. */
async function fingerprint(base: string, dqn: string, tab: string): Promise<{ envs: number; agents: number; dqn: number[]; tab: number[] }> {
  const envs = (await rest(base, 'GET', '/v1/envs')).envs?.length ?? 0;
  const agents = (await rest(base, 'GET', '/v1/agents')).agents?.length ?? 0;
  const d = await rest(base, 'POST', `/v1/agents/${dqn}:evaluate`, { episodes: 5, seed: 4242 });
  const t = await rest(base, 'POST', `/v1/agents/${tab}:evaluate`, { episodes: 5, seed: 4242 });
  return { envs, agents, dqn: d.returns, tab: t.returns };
}

async function partRestart(o: Options): Promise<RestartResult> {
  const nDqn = Math.floor(o.agents / 2);
  log(`\n[2/3] restart: filling a data dir with ${o.sessions} env sessions and ${o.agents} agents (${nDqn} DQN trained ${o.fillSteps} steps each, ${o.agents - nDqn} tabular)`);
  await warmClient();
  const dir = tempDir('restart');
  const bg = newBackground();
  const checks: string[] = [];
  let probe = '';
  try {
    const t0 = performance.now();
    const filler = await startServer({ dataDir: dir, checkpointSeconds: 2 });
    const f = await fill(filler.http, o);
    const before = await fingerprint(filler.http, f.dqnIds[0], f.tabIds[0]);
    const fillS = (performance.now() - t0) / 1000;
    const firstStopMs = await filler.stop();
    const bytes = dbBytes(dir);
    log(`  filled in ${fmtS(fillS)} s; SIGTERM -> exit ${fmtMs(firstStopMs)}; gymhost.db ${fmtMiB(bytes.db)} (+ wal ${fmtMiB(bytes.wal)})`);
    if (before.envs !== o.sessions || before.agents !== o.agents) checks.push(`**before the restart the server listed ${before.envs} sessions and ${before.agents} agents (expected ${o.sessions} and ${o.agents})**`);
    if (f.midEpisode.length < o.restarts) throw new Error(`only ${f.midEpisode.length} CartPole sessions were left inside an episode; need ${o.restarts}`);

    const kinds: StartRun['kind'][] = ['restored', 'empty :memory:', 'empty data dir'];
    const runs: StartRun[] = [];
    let restoredRep = 0;
    for (let rep = 0; rep < o.restarts; rep++) {
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(rep + k) % kinds.length];
        await waitIdle(o.waitIdle);
        const emptyDir = kind === 'empty data dir' ? tempDir('empty') : undefined;
        const session = kind === 'restored' ? f.midEpisode[restoredRep++] : undefined;
        let firstStep: Promise<number> | undefined;
        const server = await bg.measure(() =>
          startServer({ dataDir: kind === 'restored' ? dir : (emptyDir ?? ':memory:'), checkpointSeconds: 2, logLevel: 'info' }, (base) => {
            // Right at the start-up line: the first Step a client can get.
            firstStep = (async () => {
              let id = session;
              if (!id) id = (await rest(base, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 7 })).id;
              await rest(base, 'POST', `/v1/envs/${id}:reset`, {});
              await rest(base, 'POST', `/v1/envs/${id}:step`, { action: 1 });
              return performance.now();
            })();
          }),
        );
        const stepAt = await firstStep!;
        const restoredLine = kind === 'restored' || kind === 'empty data dir' ? await server.logLine('data restored') : undefined;
        if (kind === 'restored' && rep === 0) {
          const after = await fingerprint(server.http, f.dqnIds[0], f.tabIds[0]);
          checks.push(
            `After the restart: ${after.envs} sessions and ${after.agents} agents listed (before: ${before.envs} and ${before.agents}); ` +
              `DQN agent greedy returns ${JSON.stringify(after.dqn) === JSON.stringify(before.dqn) ? 'identical' : `**differ** (${before.dqn} -> ${after.dqn})`}, ` +
              `tabular agent ${JSON.stringify(after.tab) === JSON.stringify(before.tab) ? 'identical' : `**differ** (${before.tab} -> ${after.tab})`} (5 episodes, seeds 4242+i).`,
          );
          // Not timed: what a client gets when it steps a session restored inside an episode, without a Reset.
          try {
            await rest(server.http, 'POST', `/v1/envs/${f.midEpisode[f.midEpisode.length - 1]}:step`, { action: 0 });
            probe = 'A Step without Reset on a session restored inside an episode was answered normally.';
          } catch (err) {
            const e = err as RestError;
            probe = `A Step without Reset on a session saved inside an episode (clean SIGTERM before the restart) was refused: HTTP ${e.status} ${e.code ?? ''} ${e.reason ?? ''}`.trim() + '.';
          }
        }
        const stopMs = await bg.measure(() => server.stop());
        if (emptyDir) rmSync(emptyDir, { recursive: true, force: true });
        const run: StartRun = {
          kind,
          rep,
          startupMs: server.startupMs,
          restoreMs: typeof restoredLine?.ms === 'number' ? restoredLine.ms : null,
          restoreDoneMs: typeof restoredLine?.time === 'string' ? Date.parse(restoredLine.time) - server.spawnedAtEpochMs : null,
          firstStepMs: stepAt - server.spawnedAt,
          stopMs,
          restored: restoredLine ? Object.fromEntries(['envs', 'agents', 'rewards', 'runs', 'resumedRuns', 'failed'].map((k) => [k, restoredLine[k]])) : undefined,
        };
        runs.push(run);
        log(`  rep ${rep} ${kind}: start-up line ${fmtMs(run.startupMs)}, restore ${fmtMs(run.restoreMs)} (done at ${fmtMs(run.restoreDoneMs)}), first Step ${fmtMs(run.firstStepMs)}, stop ${fmtMs(stopMs)}` + (run.restored ? ` ${JSON.stringify(run.restored)}` : ''));
      }
    }
    return {
      sessions: o.sessions,
      agents: { dqn: nDqn, tabular: o.agents - nDqn },
      fillSteps: o.fillSteps,
      fill: { seconds: fillS, envSteps: f.envSteps, trainSteps: f.trainSteps, tabularEpisodes: f.tabularEpisodes, firstStopMs },
      dbBytes: bytes,
      runs,
      checks,
      probe,
      backgroundCores: bg.cores(),
      command: filler.command.replace(dir, 'DIR').replace('--log-level warn', '--log-level info'),
    };
  } finally {
    if (o.keepData) log(`  (--keep-data: the filled data dir stays in ${dir})`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function restartReport(r: RestartResult): string {
  const kinds: StartRun['kind'][] = ['restored', 'empty :memory:', 'empty data dir'];
  const med = (k: StartRun['kind'], f: (x: StartRun) => number | null) => {
    const xs = r.runs.filter((x) => x.kind === k).map(f).filter((x): x is number => x !== null);
    return xs.length ? median(xs) : null;
  };
  const peerStep = med('empty :memory:', (x) => x.firstStepMs);
  const peerStart = med('empty :memory:', (x) => x.startupMs);
  const label: Record<StartRun['kind'], string> = {
    restored: `restored: ${fmtInt(r.sessions)} sessions, ${r.agents.dqn + r.agents.tabular} agents`,
    'empty :memory:': 'empty, --data-dir :memory: (peer)',
    'empty data dir': 'empty, new data dir',
  };
  const rows = kinds.map((k) => [
    label[k],
    fmtMs(med(k, (x) => x.startupMs)),
    fmtMs(med(k, (x) => x.restoreMs)),
    fmtMs(med(k, (x) => x.restoreDoneMs)),
    fmtMs(med(k, (x) => x.firstStepMs)),
    k === 'empty :memory:' ? '(peer)' : fmtX((med(k, (x) => x.startupMs) ?? NaN) / (peerStart ?? NaN)),
    k === 'empty :memory:' ? '(peer)' : fmtX((med(k, (x) => x.firstStepMs) ?? NaN) / (peerStep ?? NaN)),
    k === 'empty :memory:' ? '(peer)' : `${fmtMs((med(k, (x) => x.firstStepMs) ?? NaN) - (peerStep ?? NaN))}`,
    fmtMs(med(k, (x) => x.stopMs)),
  ]);
  const restoredStep = med('restored', (x) => x.firstStepMs);
  const db = r.dbBytes;
  const notes = [
    `Medians of ${r.runs.filter((x) => x.kind === 'restored').length} starts each, alternating. Server: \`${r.command}\`. ` +
      'Start-up = spawn -> the "serving gRPC on ..." line (node + tsx + server start, restore included); restore = the ms of the server\'s "data restored" log line, ' +
      '"done at" = spawn -> that line\'s own timestamp (what comes before it is process, tsx, module and worker-pool start-up); ' +
      'first Step = spawn -> the answer of the first Step, sent at the start-up line (restored: Reset + Step on a restored CartPole session that was inside an episode; ' +
      'empty servers: CreateEnv + Reset + Step); stop = SIGTERM -> exit.',
    `Fill: ${fmtInt(r.sessions)} sessions (half CartPole-v1, half GridWorld-v0; ${fmtInt(r.fill.envSteps)} Steps over REST), ${r.agents.dqn} \`${PRESET_DQN}\` agents trained ` +
      `${fmtInt(r.fillSteps)} steps each (${fmtInt(r.fill.trainSteps)} in all, replay queues holding them), ${r.agents.tabular} \`${PRESET_TABULAR}\` agents trained 30 episodes each ` +
      `(${fmtInt(r.fill.tabularEpisodes)}); ${fmtS(r.fill.seconds)} s. First SIGTERM -> exit after the fill: ${fmtMs(r.fill.firstStopMs)}.`,
    `DB size after the fill and SIGTERM: gymhost.db ${fmtMiB(db.db)}, -wal ${fmtMiB(db.wal)}, -shm ${fmtMiB(db.shm)}.`,
    ...r.checks,
    ...(r.probe ? [r.probe] : []),
    `**Goal: serving (first Step) within 2 s with ${fmtInt(r.sessions)} sessions and ${r.agents.dqn + r.agents.tabular} agents: ${restoredStep === null ? 'n/a' : restoredStep <= 2000 ? 'met' : 'NOT met'} (${fmtMs(restoredStep)} from spawn; ` +
      `the empty :memory: server takes ${fmtMs(peerStep)} to its first Step, so the data adds ${fmtMs((restoredStep ?? NaN) - (peerStep ?? NaN))}).**`,
    `Background load while the servers started and stopped: ${fmtCores(r.backgroundCores)} cores${busyNote(r.backgroundCores)}.`,
  ];
  return `${textTable(['start', 'start-up line', 'restore (server)', 'restore done at', 'first Step', 'start-up ratio', 'first Step ratio', 'first Step - peer', 'stop'], rows)}\n\n${notes.join('\n')}`;
}

// ---- Part 3: keep_best --------------------------------------------------------------------------

interface KeepBestRun {
  readonly seed: number;
  readonly steps: number;
  readonly reached: boolean;
  readonly best_mean: number | null;
  readonly fresh_mean: number;
  readonly fresh_min?: number;
  readonly wall_s: number;
  readonly evaluations: [number, number][];
  /** Cores other processes used during this seed's run (set by durability.ts). */
  bg?: number | null;
}

interface KeepBestSide {
  readonly runs: KeepBestRun[];
  readonly backgroundCores: number | null;
  readonly versions?: string;
}

interface KeepBestResult {
  readonly protocol: { seeds: number[]; budget: number; evalEvery: number; evalEpisodes: number; fresh: number; torchThreads: number };
  readonly gymhost: KeepBestSide;
  readonly sb3?: KeepBestSide;
  readonly peerError?: string;
  readonly command: string;
}

async function gymhostKeepBest(base: string, seed: number, o: Options): Promise<KeepBestRun> {
  const env = await rest(base, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed });
  const agent = await rest(base, 'POST', '/v1/agents', { preset: PRESET_DQN, env: env.id, seed });
  const t = performance.now();
  const sum = await rest(base, 'POST', `/v1/agents/${agent.id}:train`, {
    steps: o.budget,
    evalEverySteps: o.evalEvery,
    evalEpisodes: o.evalEpisodes,
    evalSeed: EVAL_SEED,
    keepBest: true,
    stopAtMeanReward: THRESHOLD,
  });
  const wall = (performance.now() - t) / 1000;
  const run = await rest(base, 'GET', `/v1/runs/${sum.run}`);
  const fresh = await rest(base, 'POST', `/v1/agents/${agent.id}:evaluate`, { episodes: o.fresh, seed: FRESH_SEED });
  await rest(base, 'DELETE', `/v1/agents/${agent.id}`);
  await rest(base, 'DELETE', `/v1/envs/${env.id}`);
  const evals = ((run.evaluations ?? []) as { steps: string | number; meanReward: number }[]).map((e) => [Number(e.steps), e.meanReward] as [number, number]);
  return {
    seed,
    steps: Number(sum.steps),
    reached: Boolean(sum.reachedThreshold),
    best_mean: sum.bestEvaluation ? Number(sum.bestEvaluation.meanReward) : null,
    fresh_mean: Number(fresh.meanReward),
    fresh_min: Number(fresh.minReward),
    wall_s: wall,
    evaluations: evals,
  };
}

interface PeerOut {
  python?: string;
  torch?: string;
  sb3?: string;
  gymnasium?: string;
  numpy?: string;
  torch_threads?: number;
  runs: KeepBestRun[];
  error: string | null;
}

function runSb3(seed: number, o: Options): PeerOut {
  if (!existsSync(SB3_PYTHON)) return { runs: [], error: `${SB3_PYTHON} not found; create it with \`bash scripts/setup-bench-python.sh\` (or set GYMHOST_BENCH_TORCH_PYTHON)` };
  const args = [
    SB3_SCRIPT,
    '--seeds', String(seed),
    '--budget', String(o.budget),
    '--eval-every', String(o.evalEvery),
    '--eval-episodes', String(o.evalEpisodes),
    '--eval-seed', String(EVAL_SEED),
    '--threshold', String(THRESHOLD),
    '--fresh', String(o.fresh),
    '--fresh-seed', String(FRESH_SEED),
    '--torch-threads', String(o.torchThreads),
  ];
  const res = spawnSync(SB3_PYTHON, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 3 * 3600_000, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (res.error) return { runs: [], error: `SB3 peer: ${res.error.message}` };
  if (res.status !== 0) return { runs: [], error: `SB3 peer exited with ${res.status ?? res.signal}` };
  try {
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as PeerOut;
  } catch {
    return { runs: [], error: 'SB3 peer printed no JSON' };
  }
}

async function partKeepBest(o: Options): Promise<KeepBestResult> {
  log(`\n[3/3] keep_best: seeds ${o.seeds.join(',')}, budget ${o.budget}, evaluate every ${o.evalEvery} steps on ${o.evalEpisodes} episodes, stop at ${THRESHOLD}; fresh check ${o.fresh} episodes`);
  const dir = tempDir('keepbest');
  const server = await startServer({ dataDir: dir, checkpointSeconds: 2 });
  const gBg = newBackground();
  const sBg = newBackground();
  const gRuns: KeepBestRun[] = [];
  const sRuns: KeepBestRun[] = [];
  let peer: PeerOut | undefined;
  let peerError: string | undefined;
  try {
    await gymhostKeepBest(server.http, 999, { ...o, budget: Math.min(o.budget, 3000) }); // warm-up, untimed
    for (const seed of o.seeds) {
      await waitIdle(o.waitIdle);
      const g = await gBg.measure(() => gymhostKeepBest(server.http, seed, o));
      g.bg = gBg.last;
      gRuns.push(g);
      log(`  gymhost seed ${seed}: ${g.steps} steps, ${g.reached ? 'reached' : 'did not reach'} ${THRESHOLD} (best eval ${fmtMean(g.best_mean)}), fresh ${o.fresh}-episode mean ${fmtMean(g.fresh_mean)}, ${fmtS(g.wall_s)} s`);
      if (o.noPeer || peerError) continue;
      await waitIdle(o.waitIdle);
      const out = await sBg.measure(() => runSb3(seed, o));
      if (out.error) {
        peerError = out.error;
        log(`  SB3: ${out.error}`);
        continue;
      }
      peer = out;
      for (const x of out.runs) x.bg = sBg.last;
      sRuns.push(...out.runs);
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    protocol: { seeds: o.seeds, budget: o.budget, evalEvery: o.evalEvery, evalEpisodes: o.evalEpisodes, fresh: o.fresh, torchThreads: o.torchThreads },
    gymhost: { runs: gRuns, backgroundCores: gBg.cores() },
    sb3:
      peer && !peerError
        ? {
            runs: sRuns,
            backgroundCores: sBg.cores(),
            versions: `Python ${peer.python}, torch ${peer.torch} (${peer.torch_threads} threads${o.torchThreads > 0 ? ', set' : ", torch's default"}), stable-baselines3 ${peer.sb3}, Gymnasium ${peer.gymnasium}, NumPy ${peer.numpy}`,
          }
        : undefined,
    peerError,
    command: server.command.replace(dir, 'DIR'),
  };
}

function keepBestReport(r: KeepBestResult, verbose: boolean): string {
  const p = r.protocol;
  const cells = (x: KeepBestRun | undefined) =>
    x ? [fmtInt(x.steps), x.reached ? 'yes' : 'no', fmtMean(x.best_mean), fmtMean(x.fresh_mean), fmtS(x.wall_s)] : ['n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  const rows = p.seeds.map((seed) => [String(seed), ...cells(r.gymhost.runs.find((x) => x.seed === seed)), ...cells(r.sb3?.runs.find((x) => x.seed === seed))]);
  const summary = (side: KeepBestSide | undefined) => {
    if (!side) return ['n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
    const n = side.runs.length;
    return [
      fmtInt(median(side.runs.map((x) => x.steps))),
      `${side.runs.filter((x) => x.reached).length}/${n}`,
      fmtMean(median(side.runs.map((x) => x.best_mean ?? NaN))),
      `${side.runs.filter((x) => x.fresh_mean >= THRESHOLD).length}/${n} >= ${THRESHOLD}`,
      fmtS(median(side.runs.map((x) => x.wall_s))),
    ];
  };
  rows.push([`median of ${p.seeds.length}`, ...summary(r.gymhost), ...summary(r.sb3)]);
  const header = ['seed', 'gh steps', 'gh reached', 'gh best eval', `gh fresh ${p.fresh}`, 'gh wall s', 'SB3 steps', 'SB3 reached', 'SB3 best eval', `SB3 fresh ${p.fresh}`, 'SB3 wall s'];
  const gWall = median(r.gymhost.runs.map((x) => x.wall_s));
  const notes = [
    `gymhost ("gh"): \`${PRESET_DQN}\` over REST on a durable server (\`${r.command}\`): POST :train {steps: ${fmtInt(p.budget)}, evalEverySteps: ${p.evalEvery}, ` +
      `evalEpisodes: ${p.evalEpisodes}, evalSeed: ${EVAL_SEED}, keepBest: true, stopAtMeanReward: ${THRESHOLD}}, then POST :evaluate {episodes: ${p.fresh}, seed: ${FRESH_SEED}}. ` +
      'Wall s = the blocking Train call (evaluations included).',
    `SB3: bench/peer_sb3_evalcallback.py, DQN with the rl-zoo CartPole-v1 hyperparameters (exploration 0.16 of the budget), EvalCallback(eval_freq=${p.evalEvery}, n_eval_episodes=${p.evalEpisodes}, ` +
      `deterministic, best_model_save_path, evaluation episode i reset with seed ${EVAL_SEED} + i) + StopTrainingOnRewardThreshold(${THRESHOLD}), learn(total_timesteps=${p.budget}); ` +
      `best_model.zip then run greedily on the same ${p.fresh} fresh seeds (${FRESH_SEED} + i). Wall s = learn() (evaluations included).` +
      (r.sb3?.versions ? ` ${r.sb3.versions}.` : ''),
    'Steps: env steps when training stopped. Reached: an evaluation reached the threshold (training stopped there). Best eval: the best evaluation mean (what keepBest / best_model kept). ' +
      'Fresh: mean return of the kept agent over episodes never used in training or its evaluations. (Start states differ between the two sides for equal seeds: different PRNGs.)',
  ];
  if (r.sb3) {
    const sWall = median(r.sb3.runs.map((x) => x.wall_s));
    notes.push(`Ratio gymhost / SB3 of the median wall times: ${fmtX(gWall / sWall)}; of the median steps: ${fmtX(median(r.gymhost.runs.map((x) => x.steps)) / median(r.sb3.runs.map((x) => x.steps)))}.`);
  } else {
    notes.push(`SB3 peer ${r.peerError ? `unavailable: ${r.peerError}` : 'not run (--no-peer)'}.`);
  }
  const gap = (side: KeepBestSide | undefined, name: string) =>
    side?.runs.filter((x) => x.reached && x.fresh_mean < THRESHOLD).map((x) => `${name} seed ${x.seed} (best eval ${fmtMean(x.best_mean)}, fresh ${fmtMean(x.fresh_mean)}, min ${fmtMean(x.fresh_min)})`) ?? [];
  const gaps = [...gap(r.gymhost, 'gymhost'), ...gap(r.sb3, 'SB3')];
  if (gaps.length) notes.push(`Reached ${THRESHOLD} in training evaluation but below it on the fresh episodes: ${gaps.join('; ')}.`);
  const busySeeds = [...r.gymhost.runs.map((x) => ['gymhost', x] as const), ...(r.sb3?.runs ?? []).map((x) => ['SB3', x] as const)]
    .filter(([, x]) => typeof x.bg === 'number' && x.bg > BUSY_CORES)
    .map(([name, x]) => `${name} seed ${x.seed} (${fmtCores(x.bg)})`);
  notes.push(
    `Background load: gymhost ${fmtCores(r.gymhost.backgroundCores)}${busyNote(r.gymhost.backgroundCores)}` +
      (r.sb3 ? `, SB3 ${fmtCores(r.sb3.backgroundCores)}${busyNote(r.sb3.backgroundCores)}` : '') +
      ' cores' +
      (busySeeds.length ? `; **seeds run on a busy machine (wall times inflated): ${busySeeds.join(', ')}**.` : '.'),
  );
  if (verbose) {
    for (const [name, side] of [['gymhost', r.gymhost], ['SB3', r.sb3]] as const) {
      for (const x of side?.runs ?? []) notes.push(`${name} seed ${x.seed} evaluations (steps:mean): ${x.evaluations.map(([s, m]) => `${s}:${m.toFixed(0)}`).join(' ')}`);
    }
  }
  return `${textTable(header, rows)}\n\n${notes.join('\n')}`;
}

// ---- Command line -------------------------------------------------------------------------------

interface Options {
  readonly parts: Set<string>;
  readonly quick: boolean;
  readonly noPeer: boolean;
  readonly verbose: boolean;
  /** Leave the restart part's data dir in place (its path is printed). */
  readonly keepData: boolean;
  readonly waitIdle: number;
  readonly steps: number;
  readonly reps: number;
  readonly costSeed: number;
  readonly sessions: number;
  readonly agents: number;
  readonly fillSteps: number;
  readonly restarts: number;
  readonly seeds: number[];
  readonly budget: number;
  readonly evalEvery: number;
  readonly evalEpisodes: number;
  readonly fresh: number;
  readonly torchThreads: number;
}

function parseOptions(argv: string[]): { o: Options; json?: string } {
  const common = parseCommonArgs(argv);
  const rest = common.rest;
  const quick = argv.includes('--quick');
  const int = (key: string, fallback: number, min = 1): number => {
    const v = rest.get(key);
    rest.delete(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (v === true || !Number.isSafeInteger(n) || n < min) throw new Error(`--${key} needs an integer >= ${min}`);
    return n;
  };
  const list = (key: string, fallback: string[]): string[] => {
    const v = rest.get(key);
    rest.delete(key);
    if (v === undefined) return fallback;
    if (v === true) throw new Error(`--${key} needs a comma-separated list`);
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  };
  const parts = new Set(list('only', ['cost', 'restart', 'keepbest']));
  for (const x of parts) if (!['cost', 'restart', 'keepbest'].includes(x)) throw new Error(`--only: unknown part '${x}' (cost, restart, keepbest)`);
  const seeds = list('seeds', quick ? ['0'] : ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']).map(Number);
  if (!seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new Error('--seeds: non-negative integers');
  const verbose = rest.has('verbose');
  const keepData = rest.has('keep-data');
  rest.delete('verbose');
  rest.delete('keep-data');
  const o: Options = {
    parts,
    quick,
    noPeer: common.noPeer,
    verbose,
    keepData,
    waitIdle: int('wait-idle', 0, 0),
    steps: int('steps', quick ? 5000 : 30_000),
    reps: argv.includes('--reps') ? common.budget.reps : quick ? 1 : 5,
    costSeed: int('cost-seed', 0, 0),
    sessions: int('sessions', quick ? 100 : 1000, 2),
    agents: int('agents', quick ? 20 : 200, 2),
    fillSteps: int('fill-steps', quick ? 1000 : 3000),
    restarts: int('restarts', quick ? 1 : 5),
    seeds,
    budget: int('budget', quick ? 10_000 : 100_000),
    evalEvery: int('eval-every', 2000),
    evalEpisodes: int('eval-episodes', 20),
    fresh: int('fresh', 100),
    torchThreads: int('torch-threads', 0, 0),
  };
  if (o.agents > o.sessions) throw new Error('--agents must be at most --sessions');
  if (rest.size) throw new Error(`unknown option(s): ${[...rest.keys()].map((k) => `--${k}`).join(' ')}`);
  return { o, json: common.jsonOut };
}

export interface DurabilityResult {
  readonly machine: Machine;
  readonly commit: string;
  readonly cost?: CostResult;
  readonly restart?: RestartResult;
  readonly keepBest?: KeepBestResult;
  readonly seconds: number;
}

export async function durability(argv: string[]): Promise<{ result: DurabilityResult; text: string; json?: string }> {
  const { o, json } = parseOptions(argv);
  const t0 = performance.now();
  const codeState = () => {
    const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'bin', 'proto'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const diff = spawnSync('git', ['diff', 'HEAD', '--', 'src', 'bin', 'proto'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
    return { text: `${git.stdout.trim() || '?'}${dirty.stdout.trim() ? ' (with uncommitted changes under src/, bin/ or proto/)' : ''}`, key: `${git.stdout}|${dirty.stdout}|${diff.stdout}` };
  };
  const before = codeState();
  let commit = before.text;
  const cost = o.parts.has('cost') ? await partCost(o) : undefined;
  const restart = o.parts.has('restart') ? await partRestart(o) : undefined;
  const keepBest = o.parts.has('keepbest') ? await partKeepBest(o) : undefined;
  const after = codeState();
  if (after.key !== before.key) commit += ` at the start; **the server code changed during the run** (now ${after.text})`;
  const result: DurabilityResult = { machine: machine(), commit, cost, restart, keepBest, seconds: (performance.now() - t0) / 1000 };
  const sections = [`# Durability benchmark (bench/durability.ts)\n\nMachine: ${fmtMachine(result.machine)}; gymhost ${commit}.${o.quick ? ' Quick run (--quick): a smoke test, not figures to quote.' : ''}`];
  if (cost) sections.push(`## 1. Checkpoint cost (env steps/s of a REST Train)\n\n${costReport(cost)}`);
  if (restart) sections.push(`## 2. Restart with a full data dir\n\n${restartReport(restart)}`);
  if (keepBest) sections.push(`## 3. keep_best: the kept agent on fresh episodes, gymhost vs SB3 EvalCallback\n\n${keepBestReport(keepBest, o.verbose)}`);
  sections.push(`Whole benchmark: ${result.seconds.toFixed(0)} s.`);
  return { result, text: sections.join('\n\n'), json };
}

async function main(): Promise<void> {
  const { result, text, json } = await durability(process.argv.slice(2));
  console.log(`\n${text}`);
  if (json) writeFileSync(json, JSON.stringify(result, null, 2));
}

if (isMain(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exitCode = 1;
  });
}
