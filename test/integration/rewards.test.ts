/**
 * Reward design over the wire: the registry in ListEnvTypes and OpenAPI, CreateEnv/SetReward
 * with built-in and plugin functions, RegisterReward/ListRewards/DeleteReward with
 * ownership, sandbox escape attempts answered with the right error while the server keeps
 * serving, StepStream answering reward errors inline, and start-up with broken plugins.
 */
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serveOptions } from '../../src/cli/serve-command.js';
import type { RunningServer } from '../../src/server/server.js';
import { ERROR_DETAIL_KEY } from '../../src/server/errors.js';
import { ErrorDetail } from '../../src/gen/gymhost/v1/errors.js';
import { OptionType, RewardOrigin, type EnvServiceClient, type StepStreamResponse } from '../../src/gen/gymhost/v1/env_service.js';
import { call, envClient, http, startTestServer } from '../helpers/server.js';

const PLUGINS = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let server: RunningServer;
let client: EnvServiceClient;
before(async () => {
  server = await startTestServer({ maxSessions: 200, maxNumEnvs: 1024 }, { rewardPlugins: PLUGINS + 'good' });
  client = envClient(server);
});
after(async () => {
  client.close();
  await server.close(100);
});

type Res = { status: number; body: any; contentType: string };

function assertError(res: Res, status: number, code: string, field?: string, reason?: string, text?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code, JSON.stringify(res.body));
  if (field !== undefined) assert.equal(res.body.details[0].field, field, JSON.stringify(res.body));
  if (reason !== undefined) assert.equal(res.body.details[0].reason, reason, JSON.stringify(res.body));
  if (text) assert.match(res.body.message, text);
}

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await http(server, 'POST', '/v1/envs', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.id as string;
}

async function registerJs(name: string, source: string, extra: Record<string, unknown> = {}): Promise<Res> {
  return http(server, 'POST', '/v1/rewards', { name, envId: 'GridWorld-v0', source, ...extra });
}

describe('reward registry over REST', () => {
  it('ListEnvTypes lists built-in and plugin reward functions with origin and parameter schemas', async () => {
    const res = await http(server, 'GET', '/v1/env-types');
    const grid = res.body.envTypes.find((t: { id: string }) => t.id === 'GridWorld-v0');
    assert.deepEqual(
      grid.rewardFunctions.map((r: { name: string; origin: string }) => [r.name, r.origin]),
      [
        ['seed', 'REWARD_ORIGIN_BUILTIN'],
        ['seed_v2', 'REWARD_ORIGIN_BUILTIN'],
        ['distance_shaping', 'REWARD_ORIGIN_BUILTIN'],
        ['goal_bonus', 'REWARD_ORIGIN_PLUGIN'],
        ['explodes_on_hazard', 'REWARD_ORIGIN_PLUGIN'],
      ],
    );
    const shaping = grid.rewardFunctions.find((r: { name: string }) => r.name === 'distance_shaping');
    assert.deepEqual(
      shaping.params.map((p: { name: string; defaultValue: unknown }) => [p.name, p.defaultValue]),
      [['goal', 0], ['hazard', -200], ['standard', -1], ['gamma', 0.8], ['scale', 0.1]],
    );
    const cart = res.body.envTypes.find((t: { id: string }) => t.id === 'CartPole-v1');
    assert.deepEqual(cart.rewardFunctions.map((r: { name: string }) => r.name), ['gymnasium', 'sutton_barto', 'terminal_penalty', 'angle_position', 'upright_bonus']);
  });

  it('the OpenAPI document has the reward routes and the RewardOrigin enum', async () => {
    const doc = (await http(server, 'GET', '/openapi.json')).body;
    assert.ok(doc.paths['/v1/rewards'].get && doc.paths['/v1/rewards'].post && doc.paths['/v1/rewards'].delete);
    assert.ok(doc.paths['/v1/envs/{id}:setReward'].post);
    assert.deepEqual(doc.components.schemas['gymhost.v1.RewardOrigin'].enum, ['REWARD_ORIGIN_UNSPECIFIED', 'REWARD_ORIGIN_BUILTIN', 'REWARD_ORIGIN_PLUGIN', 'REWARD_ORIGIN_CLIENT']);
  });

  it('CreateEnv with a shaping function and parameters; SetReward switches between episodes and is recorded', async () => {
    const id = await create({ envId: 'GridWorld-v0', rewardFunction: 'distance_shaping', rewardParams: { gamma: 1, scale: 2 } });
    const got = (await http(server, 'GET', `/v1/envs/${id}`)).body;
    assert.equal(got.rewardFunction, 'distance_shaping');
    assert.deepEqual(got.rewardParams, { goal: 0, hazard: -200, standard: -1, gamma: 1, scale: 2 });
    assert.equal(got.rewardOrigin, 'REWARD_ORIGIN_BUILTIN');
    await http(server, 'POST', `/v1/envs/${id}:reset`, {});
    // S (9, 0) -> (9, 1): -1 + 2 * (12 - 11)
    assert.equal((await http(server, 'POST', `/v1/envs/${id}:step`, { action: 3 })).body.reward, 1);

    const set = await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'goal_bonus', rewardParams: { bonus: 7 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.id, id);
    assert.equal(set.body.rewardFunction, 'goal_bonus');
    assert.equal(set.body.rewardOrigin, 'REWARD_ORIGIN_PLUGIN');
    assert.deepEqual(set.body.rewardParams, { bonus: 7, hazard: -200 });
    await http(server, 'POST', `/v1/envs/${id}:reset`, { options: { start_row: 10, start_col: 12 } });
    const goal = (await http(server, 'POST', `/v1/envs/${id}:step`, { action: 0 })).body;
    assert.equal(goal.reward, 7);
    assert.equal(goal.terminated, true);

    assertError(await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'nope' }), 400, 'INVALID_ARGUMENT', 'reward_function', 'UNKNOWN_REWARD_FUNCTION', /available: seed, seed_v2, distance_shaping, goal_bonus/);
    assertError(await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'seed', rewardParams: { goal: 'big' } }), 400, 'INVALID_ARGUMENT', 'reward_params.goal');
    assertError(await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'seed', extra: 1 }), 400, 'INVALID_ARGUMENT', 'extra');
    assert.equal((await http(server, 'GET', `/v1/envs/${id}`)).body.rewardFunction, 'goal_bonus', 'refused changes keep the reward');
    // Empty name: back to the env type's default.
    assert.equal((await http(server, 'POST', `/v1/envs/${id}:setReward`, {})).body.rewardFunction, 'seed');
  });

  it('RegisterReward, use it in a vector session, ListRewards, DeleteReward (refused while in use)', async () => {
    const reg = await registerJs('close_values', '(s, a, sNext, info, p) => info.cell === "goal" ? p.goal : info.cell === "hazard" ? p.hazard : p.standard', {
      description: 'goal, hazard and standard close together',
      params: [
        { name: 'goal', type: 'OPTION_TYPE_NUMBER', defaultValue: 0 },
        { name: 'hazard', type: 'OPTION_TYPE_NUMBER', defaultValue: -2, maximum: 0 },
        { name: 'standard', type: 'OPTION_TYPE_NUMBER', defaultValue: -1 },
      ],
    });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    assert.equal(reg.body.name, 'close_values');
    assert.equal(reg.body.envId, 'GridWorld-v0');
    assert.equal(reg.body.owner, 'anonymous');
    assert.equal(reg.body.env, '');
    assert.deepEqual(reg.body.usedBy, []);

    const id = await create({ envId: 'GridWorld-v0', numEnvs: 4, rewardFunction: 'close_values', rewardParams: { hazard: -3 } });
    assert.equal((await http(server, 'GET', `/v1/envs/${id}`)).body.rewardOrigin, 'REWARD_ORIGIN_CLIENT');
    await http(server, 'POST', `/v1/envs/${id}:reset`, {});
    await http(server, 'POST', `/v1/envs/${id}:stepBatch`, { actions: [3, 3, 0, 1] });
    const step = await http(server, 'POST', `/v1/envs/${id}:stepBatch`, { actions: [3, 2, 3, 3] });
    // (9,1) -> (9,2) H; (9,1) -> (9,0) S; (8,0) -> (8,1); (10,0) -> (10,1)
    assert.deepEqual(step.body.rewards, [-3, -1, -1, -1]);

    const list = await http(server, 'GET', '/v1/rewards?envId=GridWorld-v0');
    const mine = list.body.rewards.find((r: { name: string }) => r.name === 'close_values');
    assert.deepEqual(mine.usedBy, [id]);
    assert.equal(mine.params[1].maximum, 0);
    assert.deepEqual((await http(server, 'GET', '/v1/rewards?envId=CartPole-v1')).body.rewards, []);

    assertError(await http(server, 'DELETE', '/v1/rewards?name=close_values'), 400, 'FAILED_PRECONDITION', 'name', 'REWARD_IN_USE', new RegExp(id));
    await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'seed' });
    assert.equal((await http(server, 'DELETE', '/v1/rewards?name=close_values')).status, 200);
    assertError(await http(server, 'DELETE', '/v1/rewards?name=close_values'), 404, 'NOT_FOUND', 'name');
    assertError(await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'close_values' }), 400, 'INVALID_ARGUMENT', 'reward_function');
  });

  it('a reward owned by a session is usable only there and is deleted with the session', async () => {
    const a = await create({ envId: 'GridWorld-v0' });
    const b = await create({ envId: 'GridWorld-v0' });
    const reg = await http(server, 'POST', '/v1/rewards', { name: 'just_a', env: a, source: '() => -5' });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    assert.equal(reg.body.env, a);
    assert.equal(reg.body.envId, 'GridWorld-v0');
    assert.equal((await http(server, 'POST', `/v1/envs/${a}:setReward`, { rewardFunction: 'just_a' })).status, 200);
    assertError(await http(server, 'POST', `/v1/envs/${b}:setReward`, { rewardFunction: 'just_a' }), 400, 'INVALID_ARGUMENT', 'reward_function');
    assert.deepEqual((await http(server, 'GET', `/v1/rewards?env=${a}`)).body.rewards.map((r: { name: string }) => r.name), ['just_a']);
    assertError(await http(server, 'POST', '/v1/rewards', { name: 'x', env: a, envId: 'CartPole-v1', source: '() => 1' }), 400, 'INVALID_ARGUMENT', 'env_id');
    assertError(await http(server, 'POST', '/v1/rewards', { name: 'x', env: 'nosuchsession', source: '() => 1' }), 404, 'NOT_FOUND', 'env');
    await http(server, 'DELETE', `/v1/envs/${a}`);
    assert.ok(!(await http(server, 'GET', '/v1/rewards')).body.rewards.some((r: { name: string }) => r.name === 'just_a'));
  });

  it('RegisterReward refuses bad input with the field at fault', async () => {
    assertError(await registerJs('syn', '(s) => s +* 2'), 400, 'INVALID_ARGUMENT', 'source', 'SOURCE_ERROR', /SyntaxError/);
    assertError(await registerJs('seed', '() => 1'), 409, 'ALREADY_EXISTS', 'name', 'REWARD_NAME_TAKEN');
    assertError(await registerJs('goal_bonus', '() => 1'), 409, 'ALREADY_EXISTS', 'name');
    assertError(await registerJs('bad name', '() => 1'), 400, 'INVALID_ARGUMENT', 'name');
    assertError(await registerJs('p', '() => 1', { params: [{ name: 'k', type: 'OPTION_TYPE_INT_LIST', defaultValue: [1] }] }), 400, 'INVALID_ARGUMENT', 'params[0].type');
    assertError(await registerJs('p', '() => 1', { params: [{ name: 'k', type: 'OPTION_TYPE_NUMBER' }] }), 400, 'INVALID_ARGUMENT', 'params[0].default_value');
    assertError(await http(server, 'POST', '/v1/rewards', { name: 'x', envId: 'Pong-v0', source: '() => 1' }), 400, 'INVALID_ARGUMENT', 'env_id');
    assertError(await http(server, 'POST', '/v1/rewards', { name: 'x', source: '() => 1' }), 400, 'INVALID_ARGUMENT', 'env_id');
  });
});

describe('sandbox escape attempts over REST: contained, and the server keeps serving', () => {
  const attempts: [string, string, string][] = [
    ['req', '() => require("child_process").execSync("id")', 'REWARD_THREW'],
    ['proc', '() => process.mainModule', 'REWARD_THREW'],
    ['glob', '() => globalThis.constructor.constructor("return process")().env', 'REWARD_THREW'],
    ['loop', '() => { while (true) {} }', 'REWARD_TIMEOUT'],
    ['mem', '() => { const a = []; for (;;) a.push(new Array(1e5).fill(0.5)); }', 'REWARD_OUT_OF_MEMORY'],
    ['str', '() => "z".repeat(1 << 23)', 'REWARD_NOT_A_NUMBER'],
    ['proto', '() => { Object.prototype.x = 1; Array.prototype.map = null; return NaN }', 'REWARD_NOT_FINITE'],
  ];
  for (const [name, source, reason] of attempts) {
    it(`${name}: ${reason}`, async () => {
      assert.equal((await registerJs(`esc_${name}`, source)).status, 200);
      const id = await create({ envId: 'GridWorld-v0', numEnvs: 8, rewardFunction: `esc_${name}` });
      await http(server, 'POST', `/v1/envs/${id}:reset`, { seed: 1 });
      const before = (await http(server, 'GET', `/v1/envs/${id}`)).body;
      assertError(await http(server, 'POST', `/v1/envs/${id}:stepBatch`, { actions: [3, 3, 3, 3, 0, 0, 1, 1] }), 400, 'FAILED_PRECONDITION', 'reward_function', reason, /The step was not taken/);
      const afterwards = (await http(server, 'GET', `/v1/envs/${id}`)).body;
      assert.equal(afterwards.totalSteps, before.totalSteps);
      assert.deepEqual((await http(server, 'GET', '/healthz')).body, { status: 'SERVING' });
      // Other sessions are unaffected; this one goes on with another reward function.
      const other = await create({ envId: 'CartPole-v1', seed: 3 });
      await http(server, 'POST', `/v1/envs/${other}:reset`, {});
      assert.equal((await http(server, 'POST', `/v1/envs/${other}:step`, { action: 1 })).body.reward, 1);
      await http(server, 'POST', `/v1/envs/${id}:setReward`, { rewardFunction: 'seed' });
      const ok = await http(server, 'POST', `/v1/envs/${id}:stepBatch`, { actions: [3, 3, 3, 3, 0, 0, 1, 1] });
      assert.deepEqual(ok.body.rewards, [-1, -1, -1, -1, -1, -1, -1, -1]);
      await http(server, 'DELETE', `/v1/envs/${id}`);
      await http(server, 'DELETE', `/v1/envs/${other}`);
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });
  }
});

function grpcDetail(err: grpc.ServiceError): ErrorDetail {
  const bin = err.metadata.get(ERROR_DETAIL_KEY)[0] as Buffer;
  return ErrorDetail.decode(bin);
}

describe('reward RPCs over gRPC', () => {
  it('RegisterReward, SetReward, ListRewards, DeleteReward; errors carry the reason', async () => {
    const reg = await call(client, client.registerReward, {
      name: 'grpc_fn',
      envId: 'CartPole-v1',
      env: '',
      source: '(s, a, sn, info, p) => info.terminated ? p.fail : 1 - Math.abs(sn[2])',
      description: 'upright',
      params: [{ name: 'fail', type: OptionType.OPTION_TYPE_NUMBER, description: '', defaultValue: -10, choices: [] }],
    });
    assert.equal(reg.reward?.name, 'grpc_fn');
    const created = await call(client, client.createEnv, { envId: 'CartPole-v1', seed: 1, config: undefined, rewardFunction: '', rewardParams: undefined, numEnvs: 0, renderMode: 0, autoresetMode: 0 });
    const id = created.env!.id;
    const set = await call(client, client.setReward, { id, rewardFunction: 'grpc_fn', rewardParams: { fail: -20 } });
    assert.equal(set.env?.rewardOrigin, RewardOrigin.REWARD_ORIGIN_CLIENT);
    assert.deepEqual(set.env?.rewardParams, { fail: -20 });
    await call(client, client.reset, { id, seed: 0, options: { low: 0, high: 0 } });
    let last;
    for (let k = 0; k < 100; k++) {
      last = await call(client, client.step, { id, action: { kind: { $case: 'discrete', value: 1 } } });
      if (last.terminated) break;
    }
    assert.equal(last?.terminated, true);
    assert.equal(last?.reward, -20);
    const list = await call(client, client.listRewards, { envId: 'CartPole-v1', env: '', owner: '' });
    assert.deepEqual(list.rewards.map((r) => [r.name, r.usedBy]), [['grpc_fn', [id]]]);
    try {
      await call(client, client.deleteReward, { name: 'grpc_fn', env: '', owner: '' });
      assert.fail('deleted while in use');
    } catch (err) {
      assert.equal((err as grpc.ServiceError).code, grpc.status.FAILED_PRECONDITION);
      assert.equal(grpcDetail(err as grpc.ServiceError).reason, 'REWARD_IN_USE');
    }
    await call(client, client.deleteEnv, { id });
    await call(client, client.deleteReward, { name: 'grpc_fn', env: '', owner: '' });
    try {
      await call(client, client.registerReward, { name: 'g2', envId: 'CartPole-v1', env: '', source: 'function (', description: '', params: [] });
      assert.fail('registered a syntax error');
    } catch (err) {
      assert.equal((err as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
      assert.equal(grpcDetail(err as grpc.ServiceError).field, 'source');
    }
  });

  it('StepStream answers a failing reward inline and goes on', async () => {
    await call(client, client.registerReward, { name: 'stream_bad', envId: 'GridWorld-v0', env: '', source: '(s, a, sn, info) => { if (info.cell === "hazard") throw new Error("no hazards"); return -1 }', description: '', params: [] });
    const created = await call(client, client.createEnv, { envId: 'GridWorld-v0', seed: 1, config: undefined, rewardFunction: 'stream_bad', rewardParams: undefined, numEnvs: 0, renderMode: 0, autoresetMode: 0 });
    const id = created.env!.id;
    const stream = client.stepStream();
    const answers: StepStreamResponse[] = [];
    stream.on('data', (m: StepStreamResponse) => answers.push(m));
    const step = (a: number) => ({ request: { $case: 'step' as const, value: { id, action: { kind: { $case: 'discrete' as const, value: a } } } } });
    stream.write({ request: { $case: 'reset', value: { id, seed: 0, options: undefined } } });
    stream.write(step(3)); // (9, 1): -1
    stream.write(step(3)); // (9, 2) is a hazard: error inline, not taken
    stream.write(step(2)); // back to (9, 0): -1, so the failed step was not taken
    stream.end();
    await once(stream, 'end');
    assert.deepEqual(answers.map((m) => m.response?.$case), ['reset', 'step', 'error', 'step']);
    const err = answers[2].response as { $case: 'error'; value: ErrorDetail };
    assert.equal(err.value.reason, 'REWARD_THREW');
    assert.match(err.value.message, /no hazards/);
    const back = answers[3].response as { $case: 'step'; value: { observation?: { kind?: { $case: string; value: unknown } }; reward: number } };
    assert.equal(back.value.observation?.kind?.value, 9 * 13);
    assert.equal(back.value.reward, -1);
  });
});

describe('start-up with reward plugins', () => {
  it('serveOptions reads --reward-plugins and GYMHOST_REWARD_PLUGINS (the flag wins)', () => {
    assert.equal(serveOptions([], {}).rewardPlugins, undefined);
    assert.equal(serveOptions([], { GYMHOST_REWARD_PLUGINS: '/env/dir' }).rewardPlugins, '/env/dir');
    assert.equal(serveOptions(['--reward-plugins', '/flag/dir'], { GYMHOST_REWARD_PLUGINS: '/env/dir' }).rewardPlugins, '/flag/dir');
  });

  it('gymhost serve with a broken plugin exits 1 with a message naming the file and the problem', async () => {
    const child = spawn(process.execPath, ['bin/gymhost.js', 'serve', '--grpc-port', '0', '--http-port', '0', '--reward-plugins', PLUGINS + 'broken-syntax'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1, stdout + stderr);
    assert.match(stderr, /gymhost serve: cannot start: reward plugin .*broken-syntax\/bad\.mjs: cannot be loaded: SyntaxError/);
    assert.doesNotMatch(stdout, /serving/);
  });

  it('gymhost serve loads good plugins (GYMHOST_REWARD_PLUGINS) and lists them', async () => {
    const child = spawn(process.execPath, ['bin/gymhost.js', 'serve', '--grpc-port', '0', '--http-port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GYMHOST_REWARD_PLUGINS: PLUGINS + 'good' },
    });
    try {
      let out = '';
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /HTTP on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (c) => reject(new Error(`exited ${c}`)));
      });
      const types = (await (await fetch(`${address}/v1/env-types`)).json()) as { envTypes: { id: string; rewardFunctions: { name: string; origin: string }[] }[] };
      const cart = types.envTypes.find((t) => t.id === 'CartPole-v1')!;
      assert.ok(cart.rewardFunctions.some((r) => r.name === 'upright_bonus' && r.origin === 'REWARD_ORIGIN_PLUGIN'));
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
