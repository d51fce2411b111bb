/**
 * Replicas behind nginx on one PostgreSQL (issue: beyond one machine): throughput through the
 * proxy with 1 and with 2 replicas (`serve --database URL --replica NAME`), in one run on this
 * machine, each configuration started fresh on a new database:
 *
 * - Train: `--clients` concurrent clients, each with its own CartPole session and DQN agent
 *   (preset fast-cartpole-dqn), each running blocking Train calls of `--train-steps` steps for
 *   `--seconds`; figure: training env-steps/s of all clients together. Each Train call saves
 *   its agent (replay buffer included) when it starts and ends, so short calls measure that
 *   more than training. The agents hash to the replicas at random: with few clients, most may
 *   land on one replica.
 * - Step: `--clients` concurrent clients, each stepping its own CartPole session with unary
 *   REST Step calls (random actions, reset at episode ends) for `--seconds`; figure: env
 *   steps/s of all clients together.
 *
 * Each replica gets `--workers` worker threads (default 1, so that two replicas have twice the
 * workers of one; `--workers 2` gives each as many as this machine has cores). The ratio is
 * 2 replicas / 1 replica. PostgreSQL (test/helpers/postgres.ts) and nginx
 * (test/helpers/nginx.ts) run on 127.0.0.1 like the tests'.
 *
 *   node --import tsx bench/replicas.ts [--clients 8] [--seconds 30] [--train-steps 20000] [--workers 1]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startNginx } from '../test/helpers/nginx.js';
import { startPostgres, type PostgresServer } from '../test/helpers/postgres.js';
import { REPO_ROOT, markdownTable } from './lib.js';

interface Replica {
  readonly grpc: string;
  readonly http: string;
  stop(): Promise<void>;
}

async function startReplica(url: string, name: string, workers: number): Promise<Replica> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'gymhost.js'), 'serve', '--grpc-port', '0', '--http-port', '0', '--log-level', 'warn', '--database', url, '--replica', name, '--workers', String(workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const found = /serving gRPC on (\S+) and HTTP on http:\/\/(\S+)/.exec(out);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`replica ${name} exited ${code}`)));
  });
  return {
    grpc: m[1],
    http: m[2],
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function post(base: string, route: string, body: unknown): Promise<any> {
  const res = await fetch(base + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${route}: ${JSON.stringify(json)}`);
  return json;
}

/** Runs `client(i, until)` for `clients` clients for `seconds`; answers units per second of all together. */
async function concurrently(clients: number, seconds: number, client: (i: number, until: number) => Promise<number>): Promise<number> {
  const start = performance.now();
  const until = start + seconds * 1000;
  const units = await Promise.all(Array.from({ length: clients }, (_, i) => client(i, until)));
  return units.reduce((a, b) => a + b, 0) / ((performance.now() - start) / 1000);
}

async function measure(pg: PostgresServer, replicas: number, o: { clients: number; seconds: number; trainSteps: number; workers: number }): Promise<{ train: number; step: number }> {
  const url = await pg.createDatabase();
  const started = await Promise.all(Array.from({ length: replicas }, (_, i) => startReplica(url, `r${i}`, o.workers)));
  const proxy = await startNginx(started.map((r) => ({ grpc: r.grpc, http: r.http })));
  try {
    // Sessions and agents first (each moves to its replica at its first call), then the clock.
    const setups = await Promise.all(
      Array.from({ length: o.clients }, async (_, i) => {
        const env = await post(proxy.http, '/v1/envs', { envId: 'CartPole-v1', seed: i });
        const agent = await post(proxy.http, '/v1/agents', { preset: 'fast-cartpole-dqn', env: env.id, seed: i });
        await post(proxy.http, `/v1/agents/${agent.id}:train`, { steps: 200 });
        const stepEnv = await post(proxy.http, '/v1/envs', { envId: 'CartPole-v1', seed: 1000 + i });
        await post(proxy.http, `/v1/envs/${stepEnv.id}:reset`, {});
        return { agent: agent.id, stepEnv: stepEnv.id };
      }),
    );
    const train = await concurrently(o.clients, o.seconds, async (i, until) => {
      let steps = 0;
      while (performance.now() < until) steps += Number((await post(proxy.http, `/v1/agents/${setups[i].agent}:train`, { steps: o.trainSteps })).steps);
      return steps;
    });
    const step = await concurrently(o.clients, o.seconds, async (i, until) => {
      let steps = 0;
      const id = setups[i].stepEnv;
      while (performance.now() < until) {
        const r = await post(proxy.http, `/v1/envs/${id}:step`, { action: steps & 1 });
        steps++;
        if (r.terminated || r.truncated) await post(proxy.http, `/v1/envs/${id}:reset`, {});
      }
      return steps;
    });
    return { train, step };
  } finally {
    await proxy.stop();
    await Promise.all(started.map((r) => r.stop()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { clients: { type: 'string' }, seconds: { type: 'string' }, 'train-steps': { type: 'string' }, workers: { type: 'string' } },
  });
  const o = {
    clients: Number(values.clients ?? 8),
    seconds: Number(values.seconds ?? 30),
    trainSteps: Number(values['train-steps'] ?? 20_000),
    workers: Number(values.workers ?? 1),
  };
  const pg = await startPostgres();
  try {
    const one = await measure(pg, 1, o);
    const two = await measure(pg, 2, o);
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
    process.stdout.write(
      markdownTable(
        ['through nginx, CartPole-v1', '1 replica', '2 replicas', '2 / 1', 'goal'],
        [
          [`Train (${o.clients} clients, blocking Train of ${o.trainSteps} steps, DQN fast-cartpole-dqn), env-steps/s`, fmt(one.train), fmt(two.train), (two.train / one.train).toFixed(2) + 'x', '>= 1.6x'],
          [`Step (${o.clients} clients, unary REST Step), steps/s`, fmt(one.step), fmt(two.step), (two.step / one.step).toFixed(2) + 'x', ''],
        ],
      ) + '\n',
    );
    process.stdout.write(`Each replica: --workers ${o.workers}; ${o.seconds} s per figure; ${os.cpus()[0]?.model} (${os.availableParallelism()} cores), Node ${process.version}; PostgreSQL and nginx on 127.0.0.1.\n`);
  } finally {
    await pg.stop();
  }
}

await main();
