/**
 * Running gymhost for a class, as an administrator would from the command line: users and
 * tokens (`gymhost users`), authentication with a users file re-read on SIGHUP, the refusal
 * to listen beyond loopback without it, TLS for gRPC and HTTPS (a self-signed certificate,
 * the TS client connecting with a token), JSON logs with audit lines, /metrics, and a drain
 * on SIGTERM that answers 503 and ends open streams with a status.
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { GymhostClient, GymhostError, Role } from '../../clients/ts/index.js';
import { addUser, BIN, cli, serve } from '../helpers/cli-server.js';
import { EnvServiceClient, type StepStreamResponse } from '../../src/gen/gymhost/v1/env_service.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gymhost-class-'));
}

describe('gymhost users', () => {
  test('add prints the token last, stores only its hash; list, rotate and remove; bad input exits 2', () => {
    const file = path.join(tmp(), 'users.json');
    const token = addUser(file, 'alice', 'student');
    assert.match(token, /^gh_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(token), 'the token itself is not stored');
    assert.match(text, /"tokenSha256": "[0-9a-f]{64}"/);
    assert.equal(execFileSync('stat', ['-c', '%a', file], { encoding: 'utf8' }).trim(), '600', 'readable by its owner only');
    addUser(file, 'prof', 'instructor');
    const list = cli(['users', 'list', '--file', file]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /alice\s+student/);
    assert.match(list.stdout, /prof\s+instructor/);
    const rotated = cli(['users', 'rotate', 'alice', '--file', file]);
    assert.equal(rotated.code, 0);
    const next = rotated.stdout.trim().split('\n').pop()!;
    assert.notEqual(next, token);
    assert.equal(cli(['users', 'remove', 'prof', '--file', file]).code, 0);
    assert.doesNotMatch(cli(['users', 'list', '--file', file]).stdout, /prof/);
    for (const bad of [
      ['users', 'add', 'alice', '--role', 'student', '--file', file],
      ['users', 'add', 'x', '--role', 'teacher', '--file', file],
      ['users', 'add', 'bad name', '--role', 'student', '--file', file],
      ['users', 'add', 'y', '--role', 'student', '--file', file, '--quota', 'memory=1'],
      ['users', 'remove', 'nobody', '--file', file],
      ['users', 'frobnicate', '--file', file],
    ]) {
      const r = cli(bad);
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /gymhost users: /);
    }
  });
});

describe('serve for a class', () => {
  test('without --users it refuses to listen beyond loopback unless --insecure-no-auth', async () => {
    const refused = spawnSync(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--grpc-port', '0', '--http-port', '0'], { encoding: 'utf8' });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 without authentication/);
    assert.match(refused.stderr, /--users FILE/);
    assert.match(refused.stderr, /--insecure-no-auth/);
    const open = await serve(['--host', '0.0.0.0', '--insecure-no-auth']);
    open.child.kill('SIGTERM');
    assert.equal(await open.exit, 0);
  });

  test('tokens are required; the users file is read again on SIGHUP (an invalid one keeps the old users)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'users.json');
    const alice = addUser(file, 'alice', 'student');
    const server = await serve(['--users', file]);
    try {
      const get = (token?: string) => fetch(`${server.http}/v1/envs`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal((await get()).status, 401);
      assert.equal((await get(alice)).status, 200);
      assert.equal((await fetch(`${server.http}/healthz`)).status, 200, 'health needs no token');
      const bob = addUser(file, 'bob', 'student');
      assert.equal((await get(bob)).status, 401, 'not yet reloaded');
      const reloaded = async (expect: number, token: string) => {
        for (let i = 0; i < 200; i++) {
          if ((await get(token)).status === expect) return true;
          await new Promise((r) => setTimeout(r, 25));
        }
        return false;
      };
      server.child.kill('SIGHUP');
      assert.ok(await reloaded(200, bob), 'bob works after SIGHUP');
      const rotated = cli(['users', 'rotate', 'alice', '--file', file]).stdout.trim().split('\n').pop()!;
      server.child.kill('SIGHUP');
      assert.ok(await reloaded(401, alice), "alice's old token stops working");
      assert.equal((await get(rotated)).status, 200);
      writeFileSync(file, '{ not json');
      server.child.kill('SIGHUP');
      for (let i = 0; i < 200 && !server.lines().some((l) => l.includes('NOT reloaded')); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(server.lines().some((l) => l.includes('users file NOT reloaded')), 'the failed reload is logged');
      assert.equal((await get(bob)).status, 200, 'the previous users stay in force');
      // JSON logs: one line per request with id, user, method, code; audit lines.
      await fetch(`${server.http}/v1/envs`, { method: 'POST', headers: { authorization: `Bearer ${bob}` }, body: JSON.stringify({ envId: 'CartPole-v1' }) });
      const records = () => server.lines().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const createLine = (r: any) => r.method === 'EnvService/CreateEnv' && r.user === 'bob';
      for (let i = 0; i < 200 && !records().some(createLine); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(records().some((r) => r.audit === 'auth_failure' && r.reason === 'MISSING_TOKEN'));
      assert.ok(records().some((r) => r.audit === 'create' && r.kind === 'env_session' && r.user === 'bob'));
      const request = records().find(createLine);
      assert.ok(request, 'a request line for the create');
      assert.equal(request.code, 'OK');
      assert.equal(request.role, 'student');
      assert.match(request.reqId, /^\S{6,}$/);
      assert.equal(typeof request.durationMs, 'number');
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  test('TLS: gRPC and HTTPS with a self-signed certificate; the TS client connects with a token', async () => {
    const dir = tmp();
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const file = path.join(dir, 'users.json');
    const token = addUser(file, 'carol', 'student');
    const admin = addUser(file, 'root', 'admin');
    const server = await serve(['--users', file, '--tls-cert', cert, '--tls-key', key]);
    try {
      assert.match(server.http, /^https:\/\//);
      const ca = readFileSync(cert);
      const client = new GymhostClient({ address: server.grpc, tls: { rootCerts: ca }, token });
      try {
        const env = await client.envs.create({ envId: 'CartPole-v1', seed: 1 });
        assert.equal(env.owner, 'carol');
        const usage = await client.usage();
        assert.equal(usage.user, 'carol');
        assert.equal(usage.role, Role.ROLE_STUDENT);
        assert.equal(usage.used?.envSessions, 1);
        assert.equal(usage.authentication, true);
      } finally {
        client.close();
      }
      // Without the token: UNAUTHENTICATED over TLS too; plaintext is not spoken.
      const anonymous = new GymhostClient({ address: server.grpc, tls: { rootCerts: ca }, retries: 0 });
      await assert.rejects(anonymous.envs.list(), (e: unknown) => e instanceof GymhostError && e.code === 'UNAUTHENTICATED');
      anonymous.close();
      const plain = new EnvServiceClient(server.grpc, grpc.credentials.createInsecure());
      await assert.rejects(new Promise((resolve, reject) => plain.listEnvs({ owner: '' }, new grpc.Metadata(), { deadline: Date.now() + 3000 }, (e, r) => (e ? reject(e) : resolve(r)))));
      plain.close();
      // HTTPS with the same certificate; /metrics with an admin token.
      const get = (p: string, auth: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = https.request(`${server.http}${p}`, { ca, headers: { authorization: `Bearer ${auth}` } }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const envs = await get('/v1/envs', token);
      assert.equal(envs.status, 200);
      assert.equal(JSON.parse(envs.body).envs.length, 1);
      assert.equal((await get('/metrics', token)).status, 403, 'students do not read metrics');
      const metrics = await get('/metrics', admin);
      assert.equal(metrics.status, 200);
      for (const name of ['gymhost_rpc_total', 'gymhost_rpc_duration_seconds_bucket', 'gymhost_live_resources', 'gymhost_worker_queue_depth', 'gymhost_memory_estimated_bytes', 'gymhost_nodejs_eventloop_lag_seconds', 'gymhost_auth_failures_total']) {
        assert.ok(metrics.body.includes(name), `metric ${name}`);
      }
      assert.match(metrics.body, /gymhost_rpc_total\{method="EnvService\/CreateEnv",transport="grpc",code="OK"\} 1/);
      assert.match(metrics.body, /gymhost_live_resources\{kind="env_session",role="student"\} 1/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  test('SIGTERM drains: /healthz answers 503, open StepStreams end with UNAVAILABLE and a message, the process exits 0', async () => {
    const server = await serve([]);
    const env = (await (await fetch(`${server.http}/v1/envs`, { method: 'POST', body: JSON.stringify({ envId: 'CartPole-v1', seed: 0 }) })).json()) as { id: string };
    // A long run streamed over REST keeps the server draining for a while.
    const train = await fetch(`${server.http}/v1/agents`, { method: 'POST', body: JSON.stringify({ kind: 'dqn', env: env.id }) });
    const agent = (await train.json()) as { id: string };
    const run = await fetch(`${server.http}/v1/agents/${agent.id}:train`, { method: 'POST', body: JSON.stringify({ steps: 5_000_000, stream: true }) });
    const reader = run.body!.getReader();
    await reader.read();
    const client = new EnvServiceClient(server.grpc, grpc.credentials.createInsecure());
    const stream = client.stepStream();
    const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    const answers: StepStreamResponse[] = [];
    stream.on('data', (m: StepStreamResponse) => answers.push(m));
    stream.write({ request: { $case: 'reset', value: { id: env.id, seed: 1, options: undefined } } });
    while (answers.length === 0) await new Promise((r) => setTimeout(r, 10));
    server.child.kill('SIGTERM');
    const err = await ended;
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    assert.match(err.details, /shutting down/);
    // The streamed run ends with an error line saying why.
    let text = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      text += Buffer.from(value!).toString();
    }
    const last = JSON.parse(text.trim().split('\n').pop()!);
    assert.equal(last.error?.code, 'UNAVAILABLE');
    assert.match(last.error.message, /shutting down; the run was stopped/);
    client.close();
    assert.equal(await server.exit, 0);
  });

  test('during the drain /healthz answers 503 NOT_SERVING and new calls UNAVAILABLE, until the grace period ends', async () => {
    const server = await serve(['--shutdown-grace', '2']);
    // A unary call in flight holds the drain open: Q-values of 100,000 states from a network
    // of a million parameters (far longer than the grace period).
    const post = async (p: string, body: unknown) => (await (await fetch(`${server.http}${p}`, { method: 'POST', body: JSON.stringify(body) })).json()) as any;
    const env = await post('/v1/envs', { envId: 'CartPole-v1', seed: 0 });
    const agent = await post('/v1/agents', { kind: 'dqn', env: env.id, seed: 0, config: { hidden_sizes: [1024, 1024] } });
    const states = Array.from({ length: 100_000 }, (_, i) => [i / 1e5, 0, 0, 0]);
    const slow = fetch(`${server.http}/v1/agents/${agent.id}:getQ`, { method: 'POST', body: JSON.stringify({ states }) }).catch(() => undefined);
    const grpcClient = new EnvServiceClient(server.grpc, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) => grpcClient.listEnvs({ owner: '' }, (e) => (e ? reject(e) : resolve())));
    server.child.kill('SIGTERM');
    let health = 200;
    let refused: any;
    for (let i = 0; i < 400 && health === 200; i++) {
      const res = await fetch(`${server.http}/healthz`).catch(() => undefined);
      if (!res) break;
      health = res.status;
      if (health === 503) {
        assert.deepEqual(await res.json(), { status: 'NOT_SERVING' });
        refused = await (await fetch(`${server.http}/v1/envs`)).json();
      } else await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(health, 503, '/healthz answered 503 while draining');
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.match(refused.message, /shutting down/);
    grpcClient.close();
    await slow;
    assert.equal(await server.exit, 0);
  });
});
