import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import { serveOptions } from '../../src/cli/serve-command.js';
import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent } from '../../src/server/heap-growth.js';
import { progressBar } from '../../src/cli/chart.js';
import { TrainProgress, readTrainingEnv } from '../../src/cli/train-command.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/core/agents/snapshot-codec.js';

const BIN = fileURLToPath(new URL('../../bin/gymhost.js', import.meta.url));

/** Starts `gymhost serve` with args/env and resolves with its start-up line. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, line, output: () => out, errors: () => err };
}

test('serve prints one line with both addresses, serves, and stops cleanly on SIGTERM', async () => {
  const cli = startCli(['--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0']);
  const line = await cli.line;
  const m = line.match(/gRPC on (127\.0\.0\.1:\d+) and HTTP on (http:\/\/127\.0\.0\.1:\d+)/);
  assert.ok(m, line);
  const health = await fetch(`${m[2]}/healthz`);
  assert.deepEqual(await health.json(), { status: 'SERVING' });
  const created = await fetch(`${m[2]}/v1/envs`, { method: 'POST', body: JSON.stringify({ envId: 'CartPole-v1' }), headers: { 'content-type': 'application/json' } });
  assert.equal(created.status, 200);
  cli.child.kill('SIGTERM');
  const [code] = await once(cli.child, 'exit');
  assert.equal(code, 0);
  assert.match(cli.output(), /SIGTERM received, shutting down/);
});

test('ports come from environment variables too, and SIGINT stops it', async () => {
  const cli = startCli([], { GYMHOST_GRPC_PORT: '0', GYMHOST_HTTP_PORT: '0', GYMHOST_HOST: '127.0.0.1' });
  const line = await cli.line;
  assert.match(line, /gRPC on 127\.0\.0\.1:\d+ and HTTP on http:\/\/127\.0\.0\.1:\d+/);
  assert.doesNotMatch(line, /:50051|:8080/);
  cli.child.kill('SIGINT');
  const [code, signal] = await once(cli.child, 'exit');
  assert.equal(code, 0, `signal ${signal}; stdout ${cli.output()}; stderr ${cli.errors()}`);
});

test('bad flags exit 2 with a message; a busy port exits 1', async () => {
  const bad = spawn(process.execPath, [BIN, 'serve', '--grpc-port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  bad.stderr.on('data', (d) => (err += d));
  const [code] = await once(bad, 'exit');
  assert.equal(code, 2);
  assert.match(err, /--grpc-port .* must be an integer in \[0, 65535\], got 'abc'/);

  const badHeap = spawn(process.execPath, [BIN, 'serve', '--grpc-port', '0'], { env: { ...process.env, GYMHOST_HEAP_GROWING_PERCENT: '3e2' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errHeap = '';
  badHeap.stderr.on('data', (d) => (errHeap += d));
  const [codeHeap] = await once(badHeap, 'exit');
  assert.equal(codeHeap, 2);
  assert.match(errHeap, /GYMHOST_HEAP_GROWING_PERCENT must be an integer from 0 \(V8's own heuristics\) to 1000, got "3e2"/);

  const first = startCli(['--grpc-port', '0', '--http-port', '0']);
  const httpPort = (await first.line).match(/HTTP on http:\/\/127\.0\.0\.1:(\d+)/)![1];
  const second = spawn(process.execPath, [BIN, 'serve', '--grpc-port', '0', '--http-port', httpPort], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err2 = '';
  second.stderr.on('data', (d) => (err2 += d));
  const [code2] = await once(second, 'exit');
  assert.equal(code2, 1);
  assert.match(err2, /cannot start: .*EADDRINUSE/);
  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
});

test('serveOptions: flags win over environment, which wins over defaults', () => {
  const o = serveOptions(['--http-port', '9001', '--session-ttl', '0'], { GYMHOST_HTTP_PORT: '7000', GYMHOST_GRPC_PORT: '7001', GYMHOST_MAX_SESSIONS: '5' });
  assert.equal(o.httpPort, 9001);
  assert.equal(o.grpcPort, 7001);
  assert.equal(o.limits.maxSessions, 5);
  assert.equal(o.limits.sessionTtlSeconds, 0);
  assert.equal(o.host, '127.0.0.1');
  assert.throws(() => serveOptions(['--max-sessions', '0'], {}), /max-sessions/);
  assert.throws(() => serveOptions(['--colour', 'red'], {}), /colour/);
});

test('heapGrowingPercent: GYMHOST_HEAP_GROWING_PERCENT, an integer in [0, 1000], else the default', () => {
  assert.equal(heapGrowingPercent({}), DEFAULT_HEAP_GROWING_PERCENT);
  assert.equal(heapGrowingPercent({ GYMHOST_HEAP_GROWING_PERCENT: '' }), DEFAULT_HEAP_GROWING_PERCENT);
  assert.equal(heapGrowingPercent({ GYMHOST_HEAP_GROWING_PERCENT: '0' }), 0);
  assert.equal(heapGrowingPercent({ GYMHOST_HEAP_GROWING_PERCENT: '1000' }), 1000);
  for (const bad of ['-1', '1001', '1.5', 'lots', '0x10']) {
    assert.throws(() => heapGrowingPercent({ GYMHOST_HEAP_GROWING_PERCENT: bad }), /GYMHOST_HEAP_GROWING_PERCENT must be an integer/, bad);
  }
});

test('serveOptions: --database takes a postgres:// URL (or GYMHOST_DATABASE_URL), not with --data-dir or --data-max-bytes', () => {
  const url = 'postgres://gymhost:pw@db.internal:5432/gymhost';
  assert.equal(serveOptions(['--database', url], {}).database, url);
  assert.equal(serveOptions([], { GYMHOST_DATABASE_URL: url.replace('postgres:', 'postgresql:') }).database, url.replace('postgres:', 'postgresql:'));
  assert.equal(serveOptions([], { GYMHOST_DATABASE_URL: '' }).database, undefined);
  assert.throws(() => serveOptions(['--database', 'mysql://root:pw@x/y'], {}), /--database must be a postgres:\/\/ or postgresql:\/\/ URL .*got 'mysql:\.\.\.'/);
  assert.throws(() => serveOptions(['--database', url, '--data-dir', '/tmp/x'], {}), /give --database \(PostgreSQL\) or --data-dir \(SQLite\), not both/);
  assert.throws(() => serveOptions(['--database', url, '--data-max-bytes', '1000'], {}), /--data-max-bytes caps the SQLite database only/);
});

/** Runs `gymhost ...args` to its end. */
async function gymhost(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  return { code, out, err };
}

const tmpDir = () => mkdtemp(path.join(os.tmpdir(), 'gymhost-cli-'));
const meanOf = (out: string) => Number(out.match(/: mean (-?[\d.]+) \+-/)![1]);

test('train writes the agent, CSV and JSON history; eval scores the saved agent', async () => {
  const dir = await tmpDir();
  const agentFile = path.join(dir, 'maze.agent');
  const trained = await gymhost(['train', '--preset', 'seed-tabular-gridworld', '--seed', '1', '--save', agentFile,
    '--csv', path.join(dir, 'h.csv'), '--json', path.join(dir, 'h.json'), '--eval-episodes', '10']);
  assert.equal(trained.code, 0, trained.err);
  assert.match(trained.out, /done: 500 episodes/);
  assert.match(trained.out, /episode returns:\n/);
  assert.match(trained.out, /greedy evaluation over 10 episodes: mean -?\d/);
  const csv = (await readFile(path.join(dir, 'h.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'episode,return,length,loss,epsilon,wall_time_ms');
  assert.equal(csv.length, 501);
  const json = JSON.parse(await readFile(path.join(dir, 'h.json'), 'utf8'));
  assert.equal(json.history.length, 500);
  assert.equal(json.summary.episodes, 500);
  assert.equal(json.env.config.random_start, true);

  // The preset trains from random starts; from S (random_start false) on small_maze the greedy
  // path is the 58-move hazard-free route: -57.
  const [evaluated, bad] = await Promise.all([
    gymhost(['eval', '--agent', agentFile, '--env-config', '{"world": "small_maze"}', '--episodes', '3']),
    gymhost(['train', '--env', 'CartPole-v1', '--kind', 'dqn', '--config', '{"gamma": 2}']),
  ]);
  assert.equal(evaluated.code, 0, evaluated.err);
  assert.match(evaluated.out, /"random_start":false.*with --env-config/);
  assert.match(evaluated.out, /mean -57\.00 \+- 0\.00/);

  assert.equal(bad.code, 2);
  assert.match(bad.err, /INVALID_ARGUMENT: .*gamma/);
});

test('train --steps N stops at exactly N steps (tabular and DQN)', async () => {
  const dir = await tmpDir();
  const grid = await gymhost(['train', '--kind', 'tabular', '--env', 'GridWorld-v0', '--steps', '1234', '--seed', '3', '--quiet',
    '--csv', path.join(dir, 'g.csv'), '--json', path.join(dir, 'g.json')]);
  assert.equal(grid.code, 0, grid.err);
  assert.match(grid.out, /^done: \d+ episodes, 1234 steps in /);
  const lengths = (await readFile(path.join(dir, 'g.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
  assert.equal(lengths.reduce((a, b) => a + b, 0), 1234);
  assert.equal(JSON.parse(await readFile(path.join(dir, 'g.json'), 'utf8')).summary.steps, 1234);

  // A preset's own budget is steps too (fast-cartpole-dqn: 40000); --steps replaces it.
  const dqn = await gymhost(['train', '--preset', 'fast-cartpole-dqn', '--seed', '0', '--steps', '777', '--quiet']);
  assert.equal(dqn.code, 0, dqn.err);
  assert.match(dqn.out, /^done: \d+ episodes, 777 steps in /);
});

test('train --save records the env; eval runs on it by default, flags replace its parts, old files still load', async () => {
  const dir = await tmpDir();
  const agentFile = path.join(dir, 'moat.agent');
  const trained = await gymhost(['train', '--kind', 'tabular', '--env', 'GridWorld-v0', '--env-config', '{"world": "small_moat"}',
    '--reward', 'seed', '--reward-params', '{"goal": 0, "hazard": -50, "standard": -1}', '--episodes', '300', '--seed', '2', '--quiet', '--save', agentFile]);
  assert.equal(trained.code, 0, trained.err);
  assert.match(trained.out, /agent saved to .*moat\.agent \(with its env: GridWorld-v0 \{"world":"small_moat"/);
  const data = await readFile(agentFile);
  const saved = readTrainingEnv(data, agentFile)!;
  assert.equal(saved.envId, 'GridWorld-v0');
  assert.equal(saved.config.world, 'small_moat');
  assert.equal(saved.rewardFunction, 'seed');
  assert.deepEqual(saved.rewardParams, { goal: 0, hazard: -50, standard: -1 });

  // A file without the record (as older versions wrote them) still loads, given --env.
  const { trainingEnv: _dropped, ...old } = decodeSnapshot(data) as ReturnType<typeof decodeSnapshot> & { trainingEnv?: unknown };
  const oldFile = path.join(dir, 'old.agent');
  await writeFile(oldFile, encodeSnapshot(old));

  const [byDefault, otherWorld, noEnv, withEnv] = await Promise.all([
    gymhost(['eval', '--agent', agentFile, '--episodes', '2']),
    // The same agent on the default world (small_maze, same size) is another setting altogether.
    gymhost(['eval', '--agent', agentFile, '--env-config', '{"world": "small_maze"}', '--episodes', '2']),
    gymhost(['eval', '--agent', oldFile]),
    gymhost(['eval', '--agent', oldFile, '--env', 'GridWorld-v0', '--env-config', '{"world": "small_moat"}',
      '--reward', 'seed', '--reward-params', '{"goal": 0, "hazard": -50, "standard": -1}', '--episodes', '2']),
  ]);
  assert.equal(byDefault.code, 0, byDefault.err);
  assert.match(byDefault.out, /env: GridWorld-v0 \{"world":"small_moat".*reward seed \{"goal":0,"hazard":-50,"standard":-1\} \(the agent's training env\)/);
  assert.match(byDefault.out, /greedy evaluation of .* on GridWorld-v0 over 2 episodes/);
  assert.equal(otherWorld.code, 0, otherWorld.err);
  assert.match(otherWorld.out, /"world":"small_maze".*hazard":-50.*with --env-config/);
  assert.notEqual(meanOf(otherWorld.out), meanOf(byDefault.out));
  assert.equal(noEnv.code, 2);
  assert.match(noEnv.err, /--env is required: .*old\.agent does not record the env/);
  // The flags that spell the saved setting out give what the saved setting gives.
  assert.equal(withEnv.code, 0, withEnv.err);
  assert.match(withEnv.out, /\(from the flags\)/);
  assert.equal(meanOf(withEnv.out), meanOf(byDefault.out));
});

test('train evaluates during the run, keeps the best agent and stops at --stop-at-mean-reward', async () => {
  const dir = await tmpDir();
  const agentFile = path.join(dir, 'best.agent');
  const jsonFile = path.join(dir, 'run.json');
  const args = ['train', '--kind', 'tabular', '--env', 'GridWorld-v0', '--env-config', '{"world": "small_moat", "random_start": true}',
    '--seed', '1', '--steps', '20000', '--eval-every-steps', '2000', '--eval-episodes', '10', '--eval-seed', '7', '--keep-best',
    '--stop-at-mean-reward', '-20', '--save', agentFile, '--json', jsonFile];
  const trained = await gymhost(args);
  assert.equal(trained.code, 0, trained.err);
  const run = JSON.parse(await readFile(jsonFile, 'utf8'));
  const evaluations: { steps: number; episodes: number; meanReward: number }[] = run.evaluations;
  assert.ok(evaluations.length >= 2, JSON.stringify(evaluations));
  // One stderr line per evaluation, in order.
  const lines = trained.err.split('\n').filter((l) => l.startsWith('evaluation at '));
  assert.equal(lines.length, evaluations.length);
  evaluations.forEach((e, i) => assert.match(lines[i], new RegExp(`^evaluation at ${e.steps} steps \\(${e.episodes} episodes\\): mean ${e.meanReward.toFixed(2)} `)));
  // It reached the threshold at its last evaluation, before the budget, and says so.
  const last = evaluations[evaluations.length - 1];
  assert.ok(last.meanReward >= -20);
  assert.equal(run.summary.reachedThreshold, true);
  assert.equal(run.summary.steps, last.steps);
  assert.ok(run.summary.steps < 20000);
  assert.match(lines[lines.length - 1], /reached --stop-at-mean-reward -20/);
  const best = run.summary.bestEvaluation;
  assert.equal(best.meanReward, Math.max(...evaluations.map((e) => e.meanReward)));
  assert.match(trained.out, new RegExp(`^done: \\d+ episodes, ${run.summary.steps} steps .*; best evaluation: mean ${best.meanReward.toFixed(2)} \\+- [\\d.]+ at ${best.steps} steps \\(of ${evaluations.length} evaluations\\); reached --stop-at-mean-reward -20; the agent keeps the weights of its best evaluation`));

  // The saved agent is the best one: eval, on the saved env with the run's evaluation seeds, gives its mean.
  const [evaluated, quiet] = await Promise.all([
    gymhost(['eval', '--agent', agentFile, '--episodes', '10', '--seed', '7']),
    gymhost([...args.filter((a) => a !== '--save' && a !== agentFile && a !== '--json' && a !== jsonFile), '--quiet']),
  ]);
  assert.equal(evaluated.code, 0, evaluated.err);
  assert.equal(meanOf(evaluated.out), best.meanReward);

  assert.equal(quiet.code, 0, quiet.err);
  assert.doesNotMatch(quiet.err, /evaluation at/);
  assert.match(quiet.out, /reached --stop-at-mean-reward -20/);
});

test('bad train and eval values exit 2 with a message', async () => {
  const base = ['train', '--kind', 'tabular', '--env', 'GridWorld-v0', '--steps', '100'];
  const cases: [string[], RegExp][] = [
    [[...base, '--eval-every-steps', '0'], /--eval-every-steps must be an integer >= 1, got '0'/],
    [[...base, '--eval-every-steps', 'often'], /--eval-every-steps must be an integer >= 1, got 'often'/],
    [[...base, '--eval-every-steps', '50', '--eval-episodes', '1.5'], /--eval-episodes must be an integer >= 0, got '1\.5'/],
    [[...base, '--eval-every-steps', '50', '--eval-seed=-1'], /--eval-seed must be an integer >= 0, got '-1'/],
    [[...base, '--eval-every-steps', '50', '--stop-at-mean-reward', 'high'], /--stop-at-mean-reward must be a finite number, e\.g\. 475 or -60, got 'high'/],
    [[...base, '--eval-every-steps', '50', '--stop-at-mean-reward', 'Infinity'], /--stop-at-mean-reward must be a finite number/],
    [[...base, '--keep-best'], /--keep-best needs --eval-every-steps N/],
    [[...base, '--stop-at-mean-reward', '-20'], /--stop-at-mean-reward needs --eval-every-steps N/],
    [[...base, '--eval-seed', '3'], /--eval-seed needs --eval-every-steps N or --eval-episodes N/],
    [[...base, '--eval-every-steps', '50', '--eval-episodes', '200000'], /INVALID_ARGUMENT: eval_episodes must be an integer in \[0, 100000\]/],
    [['eval'], /--agent FILE is required/],
    [['eval', '--agent', '/nonexistent/x.agent'], /cannot read --agent \/nonexistent\/x\.agent/],
  ];
  // In-process (main, as bin/gymhost.js runs it), its stderr captured; two through the binary.
  for (const [args, message] of cases) {
    let err = '';
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(args);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(code, 2, `${args.join(' ')}: ${err}`);
    assert.match(err, message, args.join(' '));
  }
  const spawned = await Promise.all([gymhost(cases[6][0]), gymhost(cases[10][0])]);
  spawned.forEach((r, i) => {
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, cases[[6, 10][i]][1]);
    assert.equal(r.out, '');
  });
});

test('progress bar: rounds down, and the last draw is the run\'s true final count', () => {
  assert.match(progressBar(999, 1000, 'steps'), /^\[#{29}-\] 999\/1000 \(99%\) steps$/);
  assert.match(progressBar(29, 100, 'steps'), / 29\/100 \(29%\) /);
  assert.match(progressBar(1000, 1000, 'steps'), /^\[#{30}\] 1000\/1000 \(100%\) steps$/);

  const lastDraw = (written: string) => written.split('\r').filter(Boolean).at(-1)!;
  const record = (length: number, ret = -1) => ({ episode: 0, episodeReturn: ret, length, loss: Number.NaN, epsilon: 0.1, wallTimeMs: 1 });
  const summary = (steps: number, more: { cancelled?: boolean; reachedThreshold?: boolean } = {}) => ({ episodes: 3, steps, meanReturn100: -1, cancelled: false, reachedThreshold: false, ...more });

  // A frozen clock: only the first episode is drawn (throttled); finish draws the true end.
  let written = '';
  const tty = { isTTY: true, write: (s: string) => (written += s) };
  let p = new TrainProgress(tty, 'steps', 5000, { now: () => 0 });
  for (const len of [1000, 2000, 2000]) p.episode(record(len));
  assert.match(lastDraw(written), / 1000\/5000 \(20%\)/);
  p.finish(summary(5000));
  assert.match(lastDraw(written), /^\x1b\[2K\[#{30}\] 5000\/5000 \(100%\) steps {2}done {2}mean100 -1\.00\n$/);

  // Stopped early by the threshold or by Ctrl-C: the bar says where, not 100%.
  written = '';
  p = new TrainProgress(tty, 'steps', 5000, { now: () => 0, stopAtMeanReward: -20 });
  p.episode(record(1800));
  p.evaluation({ index: 0, steps: 1800, episodes: 1, meanReward: -12.2, stdReward: 3.12, time: undefined });
  assert.match(written, /\x1b\[2Kevaluation at 1800 steps \(1 episodes\): mean -12\.20 \+- 3\.12 {2}\(best so far, reached --stop-at-mean-reward -20\)\n/);
  p.finish(summary(1800, { reachedThreshold: true }));
  assert.match(lastDraw(written), /\[#{10}-{20}\] 1800\/5000 \(36%\) steps {2}reached the threshold/);
  written = '';
  p = new TrainProgress(tty, 'episodes', 500, { now: () => 0 });
  p.finish({ ...summary(100, { cancelled: true }), episodes: 499 });
  assert.match(lastDraw(written), /\[#{29}-\] 499\/500 \(99%\) episodes {2}stopped/);

  // Not a terminal: no bar, only the evaluation lines; --quiet: nothing.
  written = '';
  const pipe = { isTTY: false, write: (s: string) => (written += s) };
  p = new TrainProgress(pipe, 'steps', 5000);
  p.episode(record(5000));
  p.evaluation({ index: 0, steps: 5000, episodes: 1, meanReward: -30, stdReward: 0, time: undefined });
  p.finish(summary(5000));
  assert.equal(written, 'evaluation at 5000 steps (1 episodes): mean -30.00 +- 0.00  (best so far)\n');
  written = '';
  p = new TrainProgress(tty, 'steps', 5000, { quiet: true });
  p.episode(record(5000));
  p.evaluation({ index: 0, steps: 5000, episodes: 1, meanReward: -30, stdReward: 0, time: undefined });
  p.finish(summary(5000));
  assert.equal(written, '');
});
