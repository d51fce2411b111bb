/**
 * The compiled server: bin/gymhost.js runs dist/ (npm run build), which must hold every module
 * and asset of src/; the light commands load none of the server's packages; and a production
 * install without the optional tfjs engine or the dev dependency tsx answers with the command
 * that adds them. Packages are made missing with test/fixtures/hide-packages.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TFJS_INSTALL } from '../../src/core/agents/nets/create-network.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/gymhost.js');
const HIDE = path.join(ROOT, 'test/fixtures/hide-packages/register.mjs');
const PLUGINS = path.join(ROOT, 'test/fixtures/plugins/good');
/** What the server loads and `--help`, `--version` and `users` must not. */
const SERVER_PACKAGES = ['@grpc/grpc-js', '@grpc/reflection', 'grpc-health-check', 'express', 'better-sqlite3', 'pino', 'prom-client', 'protobufjs', '@tensorflow/tfjs', 'tsx'];
const BUILD_HINT = 'dist/ is out of date: run npm run build';

/** `gymhost ARGS` (the compiled CLI) with `hidden` packages missing. */
function gymhostWithout(hidden: string[], args: string[]) {
  const r = spawnSync(process.execPath, ['--import', HIDE, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GYMHOST_TEST_HIDE_PACKAGES: hidden.join(',') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `gymhost serve` on free loopback ports with `hidden` packages missing. */
async function serveWithout(hidden: string[], args: string[] = []) {
  const child = spawn(process.execPath, ['--import', HIDE, BIN, 'serve', '--grpc-port', '0', '--http-port', '0', '--workers', '1', ...args], {
    env: { ...process.env, GYMHOST_TEST_HIDE_PACKAGES: hidden.join(',') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const http = await new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /and HTTP on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exit.then(() => resolve(undefined));
  });
  return { child, http, exit, stderr: () => err };
}

async function post(base: string, route: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + route, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() };
}

/** Files under `dir`, relative, with '/' separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

describe('the compiled server (dist/)', () => {
  test('dist/ holds a module for every source file and a copy of every other file the server reads', () => {
    const src = path.join(ROOT, 'src');
    const dist = path.join(ROOT, 'dist');
    assert.ok(existsSync(path.join(dist, 'cli.js')), BUILD_HINT);
    for (const rel of filesUnder(src)) {
      if (rel.endsWith('.ts')) {
        const js = rel.replace(/\.ts$/, '.js');
        assert.ok(existsSync(path.join(dist, js)) && existsSync(path.join(dist, `${js}.map`)), `dist/${js}: ${BUILD_HINT}`);
      } else if (rel === 'server/workers/bootstrap.mjs') {
        // Loads tsx for workers of a server run from src/; the compiled pool starts worker.js.
        assert.ok(!existsSync(path.join(dist, rel)), `dist/${rel} is not needed`);
      } else {
        assert.ok(existsSync(path.join(dist, rel)), `dist/${rel}: ${BUILD_HINT}`);
        assert.ok(readFileSync(path.join(dist, rel)).equals(readFileSync(path.join(src, rel))), `dist/${rel} differs from src/${rel}: ${BUILD_HINT}`);
      }
    }
    assert.doesNotMatch(readFileSync(BIN, 'utf8'), /tsx/, 'bin/gymhost.js runs plain JavaScript');
  });

  test('--help, --version and users run without loading the server, gRPC, express, SQLite or tfjs', () => {
    const help = gymhostWithout(SERVER_PACKAGES, ['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^gymhost \S+: RL environments/);
    assert.match(help.stdout, /Defaults: 127\.0\.0\.1, gRPC 50051, HTTP 8080\./);
    const version = gymhostWithout(SERVER_PACKAGES, ['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gymhost-build-')), 'users.yaml');
    const added = gymhostWithout(SERVER_PACKAGES, ['users', 'add', 'ada', '--role', 'student', '--file', file]);
    assert.equal(added.code, 0, added.stderr);
    const listed = gymhostWithout(SERVER_PACKAGES, ['users', 'list', '--file', file]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ada/);
    // The check is real: serve does need them.
    const serve = gymhostWithout(['@grpc/grpc-js'], ['serve', '--grpc-port', '0', '--http-port', '0']);
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr, /Cannot find package '@grpc\/grpc-js'/);
  });

  test('without @tensorflow/tfjs the default agents work and engine tfjs is FAILED_PRECONDITION naming the install', async () => {
    const server = await serveWithout(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']);
    try {
      assert.ok(server.http, server.stderr());
      const env = await post(server.http, '/v1/envs', { envId: 'CartPole-v1', seed: 0 });
      assert.equal(env.status, 200, JSON.stringify(env.body));
      const fused = await post(server.http, '/v1/agents', { kind: 'dqn', env: env.body.id, seed: 0 });
      assert.equal(fused.status, 200, JSON.stringify(fused.body));
      assert.equal(fused.body.engine, 'fused');
      const trained = await post(server.http, `/v1/agents/${fused.body.id}:train`, { steps: 200 });
      assert.equal(trained.status, 200, JSON.stringify(trained.body));
      const tfjs = await post(server.http, '/v1/agents', { kind: 'dqn', env: env.body.id, seed: 0, config: { engine: 'tfjs' } });
      assert.equal(tfjs.body.code, 'FAILED_PRECONDITION', JSON.stringify(tfjs.body));
      assert.equal(tfjs.body.details[0].field, 'config.engine');
      assert.equal(tfjs.body.details[0].reason, 'TFJS_NOT_INSTALLED');
      assert.ok(tfjs.body.message.includes(TFJS_INSTALL), tfjs.body.message);
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  test('without tsx a TypeScript reward plugin stops start-up naming the file and `npm install tsx`', async () => {
    const server = await serveWithout(['tsx'], ['--reward-plugins', PLUGINS]);
    assert.equal(server.http, undefined, 'it must not serve');
    assert.equal(await server.exit, 1);
    assert.match(server.stderr(), /10-grid\.ts/);
    assert.match(server.stderr(), /npm install tsx/);
  });
});
