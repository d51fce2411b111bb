import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serveOptions } from '../../src/cli.js';

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

test('train writes the agent, CSV and JSON history; eval scores the saved agent', async () => {
  const { mkdtemp, readFile } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gymhost-cli-'));
  const agentFile = path.join(dir, 'maze.agent');
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    return { code, out, err };
  };
  const trained = await run(['train', '--preset', 'seed-tabular-gridworld', '--seed', '1', '--save', agentFile,
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

  const evaluated = await run(['eval', '--agent', agentFile, '--env', 'GridWorld-v0', '--episodes', '3']);
  assert.equal(evaluated.code, 0, evaluated.err);
  // From S on small_maze the greedy path is the 58-move hazard-free route: -57.
  assert.match(evaluated.out, /mean -57\.00 \+- 0\.00/);

  const bad = await run(['train', '--env', 'CartPole-v1', '--kind', 'dqn', '--config', '{"gamma": 2}']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /INVALID_ARGUMENT: .*gamma/);
});
