/**
 * Start-up of the gymhost CLI: the TypeScript sources run through tsx (how bin/gymhost.js ran
 * before the build: `before`) against the compiled dist/ that bin/gymhost.js runs now
 * (`after`), in the same run, rounds interleaved so that both see the same machine load.
 *
 *   node --import tsx bench/startup.ts [--runs N] [--serve-runs M] [--cold-runs C]
 *        [--compare DIR] [--json FILE]
 *
 * Per variant: `gymhost --help` (spawn to exit) and `gymhost serve` (spawn to its start-up
 * line, with --data-dir :memory: and free ports, then SIGTERM), wall time and the process's
 * peak RSS (process.resourceUsage().maxRSS, written at exit by a module given with --import).
 * `tsx, cold cache` runs the tsx variant with an empty TMPDIR (tsx keeps its compiled files
 * in the temporary folder), as a first launch after install would. --compare DIR also runs
 * DIR/bin/gymhost.js as it is (e.g. a clone of an older commit, its node_modules linked).
 * Prints medians (min-max) and the load average before and after: on a shared machine,
 * read the figures together with the load.
 *
 * Run `npm run build` first: `after` is dist/ as built.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, isMain, median, textTable } from './lib.js';

interface Variant {
  readonly name: string;
  /** node arguments before the gymhost arguments. */
  readonly node: string[];
  /** Runs with a new empty TMPDIR each time (tsx's cache starts cold). */
  readonly freshTmp?: boolean;
}

interface Sample {
  readonly seconds: number;
  readonly maxRssMb: number;
}

export interface StartupRow {
  readonly variant: string;
  readonly command: 'help' | 'serve';
  readonly runs: number;
  readonly medianSeconds: number;
  readonly minSeconds: number;
  readonly maxSeconds: number;
  readonly medianMaxRssMb: number;
}

export interface StartupResult {
  readonly rows: StartupRow[];
  readonly loadBefore: number[];
  readonly loadAfter: number[];
  readonly cpus: number;
  readonly node: string;
}

const RSS_REPORTER = `import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
const out = process.env.GYMHOST_BENCH_RSS_FILE;
if (isMainThread && out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
`;

/** One launch: spawn to exit (help) or to the start-up line (serve, then SIGTERM). */
async function launch(variant: Variant, command: 'help' | 'serve', work: string, reporter: string): Promise<Sample> {
  const rssFile = path.join(work, `rss-${process.hrtime.bigint()}`);
  const env: NodeJS.ProcessEnv = { ...process.env, GYMHOST_BENCH_RSS_FILE: rssFile };
  let tmp: string | undefined;
  if (variant.freshTmp) env.TMPDIR = tmp = mkdtempSync(path.join(work, 'tmp-'));
  const args = command === 'help' ? ['--help'] : ['serve', '--grpc-port', '0', '--http-port', '0', '--data-dir', ':memory:', '--log-level', 'warn'];
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', pathToFileURL(reporter).href, ...variant.node, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let seconds: number;
  if (command === 'help') {
    child.stdout.on('data', (d) => (out += d));
    const code = await exited;
    seconds = (performance.now() - started) / 1000;
    if (code !== 0 || !out.includes('Usage:')) throw new Error(`${variant.name} --help exited ${code}: ${err}`);
  } else {
    seconds = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('serving gRPC on')) resolve((performance.now() - started) / 1000);
      });
      void exited.then((code) => reject(new Error(`${variant.name} serve exited ${code} before serving: ${err}`)));
    });
    child.kill('SIGTERM');
    await exited;
  }
  const maxRssMb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : NaN;
  rmSync(rssFile, { force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  return { seconds, maxRssMb };
}

export async function runStartup(opts: { runs: number; serveRuns: number; coldRuns: number; compare?: string }): Promise<StartupResult> {
  const dist = path.join(REPO_ROOT, 'dist', 'cli.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'gymhost-startup-'));
  const reporter = path.join(work, 'rss-reporter.mjs');
  writeFileSync(reporter, RSS_REPORTER);
  // What bin/gymhost.js did before the build: register tsx's loader, then run src/cli.ts.
  const tsxBin = path.join(work, 'gymhost-tsx.mjs');
  writeFileSync(
    tsxBin,
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\n` +
      `const { main } = await import(${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'src', 'cli.ts')).href)});\n` +
      'process.exitCode = await main(process.argv.slice(2));\n',
  );
  const tsxEntry = [tsxBin];
  const variants: Variant[] = [
    { name: 'before: src/ through tsx', node: tsxEntry },
    { name: 'after: dist/ (bin/gymhost.js)', node: [path.join(REPO_ROOT, 'bin', 'gymhost.js')] },
  ];
  if (opts.compare) {
    const bin = path.join(path.resolve(opts.compare), 'bin', 'gymhost.js');
    if (!existsSync(bin)) throw new Error(`--compare: ${bin} is missing`);
    variants.push({ name: `${opts.compare}/bin/gymhost.js`, node: [bin] });
  }
  const cold: Variant = { name: 'before, cold tsx cache', node: tsxEntry, freshTmp: true };
  const samples = new Map<string, Sample[]>();
  const add = (v: Variant, c: string, s: Sample) => {
    const k = `${v.name}\u0000${c}`;
    samples.set(k, [...(samples.get(k) ?? []), s]);
  };
  const loadBefore = os.loadavg();
  try {
    // One launch of each first (warms the page cache and tsx's own cache), not counted.
    for (const v of variants) await launch(v, 'help', work, reporter);
    for (const command of ['help', 'serve'] as const) {
      const rounds = command === 'help' ? opts.runs : opts.serveRuns;
      for (let r = 0; r < rounds; r++) for (const v of variants) add(v, command, await launch(v, command, work, reporter));
      for (let r = 0; r < opts.coldRuns; r++) add(cold, command, await launch(cold, command, work, reporter));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const loadAfter = os.loadavg();
  const rows: StartupRow[] = [];
  for (const command of ['help', 'serve'] as const) {
    for (const v of [...variants, cold]) {
      const s = samples.get(`${v.name}\u0000${command}`) ?? [];
      if (s.length === 0) continue;
      const secs = s.map((x) => x.seconds);
      rows.push({
        variant: v.name,
        command,
        runs: s.length,
        medianSeconds: median(secs),
        minSeconds: Math.min(...secs),
        maxSeconds: Math.max(...secs),
        medianMaxRssMb: median(s.map((x) => x.maxRssMb)),
      });
    }
  }
  return { rows, loadBefore, loadAfter, cpus: os.availableParallelism(), node: process.version };
}

function format(r: StartupResult): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const table = textTable(
    ['command', 'variant', 'runs', 'median s', 'min-max s', 'peak RSS MB (median)'],
    r.rows.map((x) => [x.command === 'help' ? 'gymhost --help' : 'gymhost serve', x.variant, String(x.runs), x.medianSeconds.toFixed(3), `${x.minSeconds.toFixed(2)}-${x.maxSeconds.toFixed(2)}`, x.medianMaxRssMb.toFixed(0)]),
  );
  const ratio = (command: string) => {
    const before = r.rows.find((x) => x.command === command && x.variant.startsWith('before:'));
    const after = r.rows.find((x) => x.command === command && x.variant.startsWith('after:'));
    return before && after ? `${command}: after/before time ${(after.medianSeconds / before.medianSeconds).toFixed(2)}, RSS ${(after.medianMaxRssMb / before.medianMaxRssMb).toFixed(2)}` : '';
  };
  return `${table}\n${ratio('help')}\n${ratio('serve')}\nload average (1, 5, 15 min) before ${load(r.loadBefore)}, after ${load(r.loadAfter)}; ${r.cpus} CPUs; node ${r.node}\n`;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      'serve-runs': { type: 'string', default: '5' },
      'cold-runs': { type: 'string', default: '2' },
      compare: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const count = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got '${raw}'`);
    return n;
  };
  const result = await runStartup({
    runs: count('runs', values.runs),
    serveRuns: count('serve-runs', values['serve-runs']),
    coldRuns: count('cold-runs', values['cold-runs']),
    compare: values.compare,
  });
  process.stdout.write(format(result));
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
}
