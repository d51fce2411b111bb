/**
 * What the dashboard draws from, over both transports: WatchRun with replay sends a run's
 * past episodes and then its live ones without gaps or repeats (running and finished runs),
 * and a recorded greedy episode carries the env's drawable states and scene.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { startTestServer } from '../helpers/server.js';
import { GymhostClient } from '../../clients/ts/index.js';

let server: RunningServer;
let client: GymhostClient;

before(async () => {
  server = await startTestServer();
  client = new GymhostClient({ address: server.grpcAddress });
});
after(async () => {
  client.close();
  await server.close(100);
});

type Line = { run?: any; episode?: any; evaluation?: any; error?: any };

/** WatchRun as REST NDJSON lines or gRPC events (in REST's shape), stopping after `limit` episodes if given. */
async function watch(transport: 'rest' | 'grpc', id: string, replay: boolean, limit = Infinity): Promise<Line[]> {
  const lines: Line[] = [];
  let episodes = 0;
  const controller = new AbortController();
  if (transport === 'rest') {
    const res = await fetch(`${server.httpAddress}/v1/runs/${id}:watch?replay=${replay}`, { signal: controller.signal });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body!) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffered.slice(0, nl)) as Line;
          buffered = buffered.slice(nl + 1);
          lines.push(line);
          if (line.episode && ++episodes >= limit) {
            controller.abort();
            return lines;
          }
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
    return lines;
  }
  for await (const e of client.agents.watchRun(id, { replay, signal: controller.signal })) {
    const value = e.value as any;
    lines.push({ [e.$case]: e.$case === 'episode' ? { ...value, episode: Number(value.episode) } : value });
    if (e.$case === 'episode' && ++episodes >= limit) {
      controller.abort();
      break;
    }
  }
  return lines;
}

const episodeNumbers = (lines: Line[]) => lines.filter((l) => l.episode).map((l) => Number(l.episode.episode));

for (const transport of ['rest', 'grpc'] as const) {
  describe(`WatchRun replay over ${transport}`, () => {
    test('a running run: the past, then live episodes, strictly in order without repeats; a finished run: every episode exactly once', async () => {
      const env = await client.envs.create({ envId: 'GridWorld-v0', seed: 3, config: { world: 'large_maze' } });
      const agent = await client.agents.create({ kind: 'tabular', env: env.id, seed: 5 });
      const run = await client.agents.train(agent.id, { episodes: 3000, async: true });
      // Wait until it has some past to replay.
      while (Number((await client.agents.getRun(run.id)).episodes) < 30) await new Promise((r) => setTimeout(r, 5));
      const live = await watch(transport, run.id, true, 200);
      assert.ok(live[0].run, 'the run comes first');
      const seen = episodeNumbers(live);
      assert.equal(seen[0], 1, 'replay starts at the first episode');
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `episode ${seen[i]} after ${seen[i - 1]}`);
      const ended = await client.agents.cancelRun(run.id);
      const total = Number(ended.episodes);
      assert.ok(total >= 30);
      const all = await watch(transport, run.id, true);
      assert.equal(all.length, total + 1, 'the run, then each episode once');
      assert.deepEqual(episodeNumbers(all), Array.from({ length: total }, (_, i) => i + 1));
      for (const l of all.slice(1)) assert.equal(typeof l.episode.episodeReturn, 'number');
      // Without replay a finished run is the run alone.
      const plain = await watch(transport, run.id, false);
      assert.equal(plain.length, 1);
      assert.ok(plain[0].run);
    });
  });
}

describe('a recorded greedy episode carries drawable states and the scene', () => {
  test('GridWorld: states are the [row, col] the observations encode; the scene is the map', async () => {
    const map = 'S..H\n.H..\n...G';
    for (const encoding of ['index', 'rowcol']) {
      const env = await client.envs.create({ envId: 'GridWorld-v0', seed: 1, config: { map, encoding } });
      const agent = await client.agents.create({ kind: encoding === 'index' ? 'tabular' : 'dqn', env: env.id, seed: 2 });
      await client.agents.train(agent.id, { episodes: 30 });
      for (const seed of [0, 7, 123]) {
        const res = await fetch(`${server.httpAddress}/v1/agents/${agent.id}:evaluate`, { method: 'POST', body: JSON.stringify({ episodes: 1, seed, recordTrajectories: true }) });
        const body = (await res.json()) as any;
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.deepEqual(body.scene.rows, map.split('\n'));
        assert.equal(body.scene.kind, 'grid');
        assert.deepEqual([body.scene.width, body.scene.height], [4, 3]);
        assert.deepEqual(body.scene.state_names, ['row', 'col']);
        const t = body.trajectories[0];
        assert.equal(t.states.length, t.actions.length + 1);
        t.states.forEach((s: number[], i: number) => {
          const obs = t.observations[i];
          assert.deepEqual(s, encoding === 'index' ? [Math.floor(obs / 4), obs % 4] : obs, `step ${i}`);
        });
        assert.deepEqual(t.states[0], [0, 0], 'starts on S');
      }
    }
  });

  test('CartPole: states are the physics state the float32 observations round; the scene has the track and pole', async () => {
    const env = await client.envs.create({ envId: 'CartPole-v1', seed: 1 });
    const agent = await client.agents.create({ kind: 'dqn', env: env.id, seed: 2 });
    for (const seed of [0, 42]) {
      const ev = await client.agents.evaluate(agent.id, { episodes: 2, seed, recordTrajectories: true });
      const scene = ev.scene as any;
      assert.equal(scene.kind, 'cart_pole');
      assert.equal(scene.x_threshold, 2.4);
      assert.equal(scene.pole_half_length, 0.5);
      assert.equal(scene.tau, 0.02);
      assert.equal(ev.trajectories.length, 2);
      for (const t of ev.trajectories) {
        const n = t.actions.length + 1;
        assert.deepEqual(t.states!.shape, [n, 4]);
        assert.deepEqual(t.observations!.shape, [n, 4]);
        const states = new Float32Array(t.states!.data.buffer.slice(t.states!.data.byteOffset, t.states!.data.byteOffset + t.states!.data.byteLength));
        const obs = new Float32Array(t.observations!.data.buffer.slice(t.observations!.data.byteOffset, t.observations!.data.byteOffset + t.observations!.data.byteLength));
        assert.deepEqual(states, obs);
      }
    }
  });
});
