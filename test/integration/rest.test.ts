import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import { call, envClient, http, startTestServer } from '../helpers/server.js';
import { Env } from '../../src/gen/gymhost/v1/env_service.js';

let server: RunningServer;
before(async () => {
  server = await startTestServer({ maxSessions: 50, maxNumEnvs: 1024 }, { maxMessageBytes: 64 * 1024 });
});
after(() => server.close(100));

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await http(server, 'POST', '/v1/envs', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id as string;
}

/** Asserts an error response: status, JSON body {code, message, details[0].field}. */
function assertError(res: { status: number; body: any; contentType: string }, status: number, code: string, field?: string, text?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.contentType, /application\/json/);
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(res.body.message.length > 10, res.body.message);
  if (field !== undefined) assert.equal(res.body.details[0].field, field);
  if (text) assert.match(res.body.message, text);
}

describe('REST Gym loop', () => {
  test('healthz and env-types', async () => {
    assert.deepEqual((await http(server, 'GET', '/healthz')).body, { status: 'SERVING' });
    const res = await http(server, 'GET', '/v1/env-types');
    assert.equal(res.status, 200);
    assert.equal(res.body.apiVersion, 'gymhost.v1');
    assert.match(res.body.serverVersion, /^\d+\.\d+\.\d+/);
    const ids = res.body.envTypes.map((t: { id: string }) => t.id).sort();
    assert.deepEqual(ids, ['Acrobot-v1', 'CartPole-v1', 'CliffWalking-v1', 'FrozenLake-v1', 'FrozenLake8x8-v1', 'GridWorld-v0', 'MountainCar-v0', 'Taxi-v4']);
    const cartpole = res.body.envTypes.find((t: { id: string }) => t.id === 'CartPole-v1');
    assert.deepEqual(cartpole.actionSpace, { discrete: { n: 2, start: 0 } });
    assert.deepEqual(cartpole.observationSpace.box.shape, [4]);
    assert.equal(cartpole.observationSpace.box.dtype, 'DTYPE_FLOAT32');
    assert.equal(cartpole.rewardThreshold, 475);
    assert.ok(cartpole.rewardFunctions.some((r: { name: string }) => r.name === 'sutton_barto'));
  });

  test('CartPole: create, reset with options, step to termination, delete', async () => {
    const id = await create({ envId: 'CartPole-v1', seed: 1, config: { max_episode_steps: 500 } });
    const got = await http(server, 'GET', `/v1/envs/${id}`);
    assert.equal(got.body.id, id);
    assert.equal(got.body.envId, 'CartPole-v1');
    assert.equal(got.body.hasReset, false);
    assert.equal(got.body.config.kinematics_integrator, 'euler');

    const reset = await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: 7, options: { low: 0.01, high: 0.01 } });
    assert.equal(reset.status, 200);
    assert.deepEqual(reset.body.observation, [0.01, 0.01, 0.01, 0.01]);
    assert.deepEqual(reset.body.info, {});

    const step = await http(server, 'POST', `/v1/envs/${id}:step`, { action: 1 });
    assert.equal(step.status, 200);
    assert.deepEqual(Object.keys(step.body).sort(), ['info', 'observation', 'reward', 'terminated', 'truncated']);
    assert.equal(step.body.reward, 1);
    assert.equal(step.body.terminated, false);
    assert.equal(step.body.truncated, false);
    // Euler step from 0.01 everywhere, pushed right: x' = x + tau * x_dot.
    assert.ok(Math.abs(step.body.observation[0] - (0.01 + 0.02 * 0.01)) < 1e-6);
    assert.ok(step.body.observation[1] > 0.01, 'pushing right speeds the cart up');

    let steps = 1;
    let last = step.body;
    while (!last.terminated && steps < 500) {
      last = (await http(server, 'POST', `/v1/envs/${id}:step`, { action: 1 })).body;
      steps++;
    }
    assert.equal(last.terminated, true, 'always pushing right tips the pole over');
    assert.equal(last.reward, 1, 'the terminating step pays +1');
    assert.ok(steps < 50);

    const del = await http(server, 'DELETE', `/v1/envs/${id}`);
    assert.equal(del.status, 200);
    assertError(await http(server, 'GET', `/v1/envs/${id}`), 404, 'NOT_FOUND', 'id', /was deleted/);
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: 0 }), 404, 'NOT_FOUND', 'id');
  });

  test('reset with the same seed twice gives identical observations', async () => {
    const id = await create({ envId: 'CartPole-v1' });
    const a = await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: 123 });
    const b = await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: 123 });
    const c = await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: 124 });
    assert.deepEqual(a.body.observation, b.body.observation);
    assert.notDeepEqual(a.body.observation, c.body.observation);
    for (const v of a.body.observation) assert.ok(Math.abs(v) <= 0.05);
  });

  test('GridWorld: observation is the state index, rewards per cell, info, render', async () => {
    const id = await create({ envId: 'GridWorld-v0', config: { world: 'small_maze' } });
    const reset = await http(server, 'POST', `/v1/envs/${id}:reset`, {});
    // small maze: 13 wide x 11 high, start at (row h-2 = 9, col 0) -> index 9 * 13 + 0.
    assert.equal(reset.body.observation, 117);
    assert.equal(reset.body.info.row, 9);
    assert.equal(reset.body.info.col, 0);
    const off = await http(server, 'POST', `/v1/envs/${id}:step`, { action: 2 });
    assert.equal(off.body.observation, 117, 'moving left off the grid stays put');
    const text = await http(server, 'GET', `/v1/envs/${id}:render?mode=RENDER_MODE_ANSI`);
    assert.equal(text.status, 200);
    const rows = text.body.text.split('\n');
    assert.equal(rows.length, 11);
    assert.equal(rows[9][0], 'A');
    const png = await fetch(`${server.httpAddress}/v1/envs/${id}:render`, { headers: { accept: 'image/png' } });
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    const bytes = new Uint8Array(await png.arrayBuffer());
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });

  test('render as JSON gives an HxWx3 frame', async () => {
    const id = await create({ envId: 'GridWorld-v0', renderMode: 'RENDER_MODE_RGB_ARRAY' });
    await http(server, 'POST', `/v1/envs/${id}:reset`, {});
    const res = await http(server, 'GET', `/v1/envs/${id}:render`);
    assert.equal(res.status, 200);
    const frame = res.body.frame as number[][][];
    assert.equal(frame.length % 11, 0);
    assert.equal(frame[0].length % 13, 0);
    assert.equal(frame[0][0].length, 3);
  });

  test('stepBatch: vector session with next-step autoreset', async () => {
    const id = await create({ envId: 'CartPole-v1', seed: 3, numEnvs: 4 });
    const reset = await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: 10 });
    assert.equal(reset.body.observation.length, 4);
    const single = await create({ envId: 'CartPole-v1' });
    const copy2 = await http(server, 'POST', `/v1/envs/${single}:reset`, { seed: 12 });
    assert.deepEqual(reset.body.observation[2], copy2.body.observation, 'copy i is seeded with seed + i');

    let res;
    let steps = 0;
    do {
      res = await http(server, 'POST', `/v1/envs/${id}:stepBatch`, { actions: [1, 1, 0, 0] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      steps++;
    } while (!res.body.terminated.some(Boolean) && steps < 200);
    assert.ok(res.body.terminated.some(Boolean));
    assert.deepEqual(res.body.resetMask, [false, false, false, false]);
    const ended = res.body.terminated.map(Boolean);
    const next = await http(server, 'POST', `/v1/envs/${id}:stepBatch`, { actions: [1, 1, 0, 0] });
    for (let i = 0; i < 4; i++) {
      if (ended[i]) {
        assert.equal(next.body.resetMask[i], true);
        assert.equal(next.body.rewards[i], 0);
        assert.equal(next.body.terminated[i], false);
        for (const v of next.body.observations[i]) assert.ok(Math.abs(v) <= 0.05, 'a fresh start');
      } else {
        assert.equal(next.body.resetMask[i], false);
        assert.equal(next.body.rewards[i], 1);
      }
    }
  });
});

describe('REST errors', () => {
  test('unknown env id lists the available ids', async () => {
    const res = await http(server, 'POST', '/v1/envs', { envId: 'Pong-v0' });
    assertError(res, 400, 'INVALID_ARGUMENT', 'env_id', /CartPole-v1.*GridWorld-v0|GridWorld-v0.*CartPole-v1/);
  });

  test('bad config: unknown key, wrong type, out of range, bad map', async () => {
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', config: { gravityy: 1 } }), 400, 'INVALID_ARGUMENT', 'config.gravityy', /allowed/);
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', config: { max_episode_steps: 'x' } }), 400, 'INVALID_ARGUMENT', 'config.max_episode_steps');
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', config: { max_episode_steps: -5 } }), 400, 'INVALID_ARGUMENT', 'config.max_episode_steps');
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'GridWorld-v0', config: { world: 'tiny' } }), 400, 'INVALID_ARGUMENT', 'config.world', /small_maze/);
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'GridWorld-v0', config: { map: 'S..\nXXG' } }), 400, 'INVALID_ARGUMENT', 'config.map');
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', config: [1, 2] }), 400, 'INVALID_ARGUMENT', 'config');
  });

  test('bad seeds', async () => {
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: -1 }), 400, 'INVALID_ARGUMENT', 'seed');
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 1.5 }), 400, 'INVALID_ARGUMENT', 'seed');
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', seed: 'abc' }), 400, 'INVALID_ARGUMENT', 'seed');
    const id = await create({ envId: 'CartPole-v1' });
    assertError(await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: -3 }), 400, 'INVALID_ARGUMENT', 'seed');
    assertError(await http(server, 'POST', `/v1/envs/${id}:reset`, { options: { low: 0.1, high: -0.1 } }), 400, 'INVALID_ARGUMENT', 'options.low');
    assertError(await http(server, 'POST', `/v1/envs/${id}:reset`, { options: { lo: 0.1 } }), 400, 'INVALID_ARGUMENT', 'options.lo');
  });

  test('bad actions: range, type, shape, NaN, step before reset', async () => {
    const id = await create({ envId: 'CartPole-v1' });
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: 1 }), 400, 'FAILED_PRECONDITION', undefined, /Reset/);
    await http(server, 'POST', `/v1/envs/${id}:reset`, {});
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: 2 }), 400, 'INVALID_ARGUMENT', 'action', /\[0, 1\]/);
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: -1 }), 400, 'INVALID_ARGUMENT', 'action');
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: 0.5 }), 400, 'INVALID_ARGUMENT', 'action');
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: 'left' }), 400, 'INVALID_ARGUMENT', 'action');
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, {}), 400, 'INVALID_ARGUMENT', 'action', /required/);
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, { action: [0.1, 0.2] }), 400, 'INVALID_ARGUMENT');
    // NaN and Infinity are not JSON; 1e999 parses to Infinity.
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, '{"action": 1e999}'), 400, 'INVALID_ARGUMENT', 'action');
    assertError(await http(server, 'POST', `/v1/envs/${id}:step`, '{"action": NaN}'), 400, 'INVALID_ARGUMENT', 'body', /malformed JSON/);

    const vec = await create({ envId: 'CartPole-v1', numEnvs: 3 });
    await http(server, 'POST', `/v1/envs/${vec}:reset`, {});
    assertError(await http(server, 'POST', `/v1/envs/${vec}:step`, { action: 1 }), 400, 'FAILED_PRECONDITION', undefined, /StepBatch/);
    assertError(await http(server, 'POST', `/v1/envs/${vec}:stepBatch`, { actions: [1, 0] }), 400, 'INVALID_ARGUMENT', 'actions.shape');
    assertError(await http(server, 'POST', `/v1/envs/${vec}:stepBatch`, { actions: [1, 0, 7] }), 400, 'INVALID_ARGUMENT', 'actions[2]');
    assertError(await http(server, 'POST', `/v1/envs/${vec}:stepBatch`, { actions: [1, 0, 0.5] }), 400, 'INVALID_ARGUMENT', 'actions.dtype');
    assertError(await http(server, 'POST', `/v1/envs/${vec}:stepBatch`, { actions: [[1], [0, 1], [0]] }), 400, 'INVALID_ARGUMENT');
  });

  test('malformed and unexpected bodies', async () => {
    assertError(await http(server, 'POST', '/v1/envs', '{"envId": "CartPole-v1",'), 400, 'INVALID_ARGUMENT', 'body', /malformed JSON/);
    assertError(await http(server, 'POST', '/v1/envs', '[1,2,3]'), 400, 'INVALID_ARGUMENT', 'body');
    assertError(await http(server, 'POST', '/v1/envs', '"CartPole-v1"'), 400, 'INVALID_ARGUMENT', 'body');
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', colour: 'red' }), 400, 'INVALID_ARGUMENT', 'colour', /allowed: envId/);
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', renderMode: 'RENDER_MODE_3D' }), 400, 'INVALID_ARGUMENT', 'renderMode', /RENDER_MODE_RGB_ARRAY/);
    const big = JSON.stringify({ envId: 'CartPole-v1', config: { pad: 'x'.repeat(100 * 1024) } });
    assertError(await http(server, 'POST', '/v1/envs', big), 413, 'RESOURCE_EXHAUSTED', 'body', /limit/);
  });

  test('unknown routes and sessions answer JSON, never HTML', async () => {
    assertError(await http(server, 'GET', '/v1/nothing'), 404, 'NOT_FOUND', 'path');
    assertError(await http(server, 'GET', '/v1/envs/doesnotexist'), 404, 'NOT_FOUND', 'id', /does not exist/);
    assertError(await http(server, 'POST', '/v1/envs/doesnotexist:reset', {}), 404, 'NOT_FOUND', 'id');
    assertError(await http(server, 'DELETE', '/v1/envs/doesnotexist'), 404, 'NOT_FOUND', 'id');
    assertError(await http(server, 'POST', '/v1/envs/abc:fly', {}), 404, 'NOT_FOUND');
  });

  test('num_envs above the limit and too many sessions', async () => {
    assertError(await http(server, 'POST', '/v1/envs', { envId: 'CartPole-v1', numEnvs: 5000 }), 400, 'INVALID_ARGUMENT', 'num_envs', /1024/);
    const small = await startTestServer({ maxSessions: 2 });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await http(small, 'POST', '/v1/envs', { envId: 'CartPole-v1' })).status, 200);
      assertError(await http(small, 'POST', '/v1/envs', { envId: 'CartPole-v1' }), 429, 'RESOURCE_EXHAUSTED', undefined, /at most 2/);
      const list = await http(small, 'GET', '/v1/envs');
      assert.equal(list.body.envs.length, 2);
      await http(small, 'DELETE', `/v1/envs/${list.body.envs[0].id}`);
      assert.equal((await http(small, 'POST', '/v1/envs', { envId: 'CartPole-v1' })).status, 200, 'a freed slot can be reused');
    } finally {
      await small.close(100);
    }
  });

  test('the server keeps serving after bad input', async () => {
    const id = await create({ envId: 'GridWorld-v0' });
    await http(server, 'POST', `/v1/envs/${id}:reset`, {});
    await http(server, 'POST', `/v1/envs/${id}:step`, '{{{');
    await http(server, 'POST', `/v1/envs/${id}:step`, { action: 99 });
    const ok = await http(server, 'POST', `/v1/envs/${id}:step`, { action: 3 });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.reward, -1);
    const got = await http(server, 'GET', `/v1/envs/${id}`);
    assert.equal(got.body.totalSteps, 1, 'rejected steps change nothing');
  });
});

describe('REST and gRPC answer the same resource', () => {
  /** The message a JSON form decodes to, re-encoded, without the fields that move with time. */
  const normal = (json: unknown): Record<string, unknown> => {
    const { idleSeconds: _i, lastUsedTime: _l, ...rest } = Env.toJSON(Env.fromJSON(json)) as Record<string, unknown>;
    return rest;
  };

  test("CreateEnv, GetEnv and SetReward: the REST body is the gRPC response's env, in proto3 JSON", async () => {
    const client = envClient(server);
    try {
      const created = await http(server, 'POST', '/v1/envs', { envId: 'GridWorld-v0', seed: 3, config: { world: 'small_moat' } });
      assert.equal(created.status, 200);
      assert.equal(typeof created.body.id, 'string');
      const id = created.body.id as string;
      const viaGrpc = await call(client, client.getEnv, { id });
      assert.deepEqual(normal(created.body), normal(Env.toJSON(viaGrpc.env!)));
      assert.deepEqual(normal((await http(server, 'GET', `/v1/envs/${id}`)).body), normal(Env.toJSON(viaGrpc.env!)));
      const setViaRest = await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'seed_v2' });
      const setViaGrpc = await call(client, client.setReward, { id, rewardFunction: 'seed_v2' });
      assert.equal(setViaRest.body.rewardFunction, 'seed_v2');
      assert.deepEqual(normal(setViaRest.body), normal(Env.toJSON(setViaGrpc.env!)));
      const openapi = await http(server, 'GET', '/openapi.json');
      assert.match(JSON.stringify(openapi.body.paths['/v1/envs'].post.responses), /gymhost\.v1\.Env"/);
    } finally {
      client.close();
    }
  });
});

describe('OpenAPI', () => {
  test('/openapi.json documents every route with schemas from the proto messages', async () => {
    const res = await http(server, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    for (const p of ['/v1/env-types', '/v1/envs', '/v1/envs/{id}', '/v1/envs/{id}:reset', '/v1/envs/{id}:step', '/v1/envs/{id}:stepBatch', '/v1/envs/{id}:render', '/healthz']) {
      assert.ok(res.body.paths[p], `missing ${p}`);
    }
    assert.ok(res.body.paths['/v1/envs'].post.requestBody);
    assert.ok(res.body.paths['/v1/envs/{id}'].delete);
    const create = res.body.components.schemas['gymhost.v1.CreateEnvRequest'];
    assert.deepEqual(Object.keys(create.properties).sort(), ['autoresetMode', 'config', 'envId', 'numEnvs', 'renderMode', 'rewardFunction', 'rewardParams', 'seed']);
    assert.deepEqual(res.body.components.schemas['gymhost.v1.RenderMode'].enum.slice(0, 2), ['RENDER_MODE_UNSPECIFIED', 'RENDER_MODE_NONE']);
  });

  test('/docs serves a page that browses it', async () => {
    const page = await fetch(`${server.httpAddress}/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /openapi\.json/);
    const js = await fetch(`${server.httpAddress}/docs/assets/swagger-ui-bundle.js`);
    assert.equal(js.status, 200);
    assert.ok((await js.arrayBuffer()).byteLength > 100_000);
  });
});
