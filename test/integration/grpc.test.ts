/**
 * gRPC integration tests: a real gymhost on free loopback ports, driven through the
 * generated EnvServiceClient (plus raw grpc-js clients for garbage bytes, health and
 * reflection).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/server.js';
import {
  AutoresetMode,
  EnvServiceClient,
  OptionType,
  RenderMode,
  StepStreamRequest,
  type CreateEnvRequest,
  type Env,
  type ResetResponse,
  type StepBatchResponse,
  type StepResponse,
  StepStreamResponse,
} from '../../src/gen/gymhost/v1/env_service.js';
import { ErrorDetail } from '../../src/gen/gymhost/v1/errors.js';
import { Dtype, type SpaceValue, type Tensor } from '../../src/gen/gymhost/v1/spaces.js';
import { envClient, startTestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const PKG_VERSION = (require('../../package.json') as { version: string }).version;

const CARTPOLE = 'CartPole-v1';
const GRIDWORLD = 'GridWorld-v0';
const UP = 0;
const DOWN = 1;
const LEFT = 2;
const RIGHT = 3;
/** small_maze: 13 columns x 11 rows, S at (9, 0), G at (9, 12). */
const MAZE_W = 13;
const MAZE_START = 9 * MAZE_W;
const X_THRESHOLD = 2.4;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
/** A 2x2 map: S at index 0, G at index 1 (right of S). */
const TINY_MAP = 'SG\n..';

// ---- helpers ----------------------------------------------------------------------------------

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;
type Method<Req, Res> = (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: Callback<Res>) => grpc.ClientUnaryCall;

/** Calls a unary method of the generated client as a promise. */
function rpc<Req, Res>(client: EnvServiceClient, method: Method<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, new grpc.Metadata(), {}, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Thin typed wrappers over the generated client. */
function api(client: EnvServiceClient) {
  return {
    listEnvTypes: () => rpc(client, client.listEnvTypes, {}),
    create: async (req: Partial<CreateEnvRequest>): Promise<Env> => {
      const res = await rpc(client, client.createEnv, {
        envId: CARTPOLE,
        rewardFunction: '',
        numEnvs: 0,
        renderMode: RenderMode.RENDER_MODE_UNSPECIFIED,
        autoresetMode: AutoresetMode.AUTORESET_MODE_UNSPECIFIED,
        ...req,
      });
      assert.ok(res.env, 'CreateEnv returns the env');
      return res.env;
    },
    get: async (id: string): Promise<Env> => {
      const res = await rpc(client, client.getEnv, { id });
      assert.ok(res.env);
      return res.env;
    },
    list: async (): Promise<Env[]> => (await rpc(client, client.listEnvs, { owner: '' })).envs,
    del: (id: string) => rpc(client, client.deleteEnv, { id }),
    reset: (id: string, seed?: number, options?: Record<string, unknown>) => rpc(client, client.reset, { id, seed, options }),
    step: (id: string, action: number) => rpc(client, client.step, { id, action: discrete(action) }),
    stepBatch: (id: string, actions: Tensor) => rpc(client, client.stepBatch, { id, actions }),
    render: (id: string, mode = RenderMode.RENDER_MODE_UNSPECIFIED, index = 0) => rpc(client, client.render, { id, mode, index }),
  };
}
type Api = ReturnType<typeof api>;

function discrete(value: number): SpaceValue {
  return { kind: { $case: 'discrete', value } };
}

function tensorOf(dtype: Dtype, shape: number[], data: Buffer): Tensor {
  return { dtype, shape, data };
}

function int32Tensor(values: number[], shape = [values.length]): Tensor {
  return tensorOf(Dtype.DTYPE_INT32, shape, Buffer.from(new Int32Array(values).buffer));
}

function int64Tensor(values: number[]): Tensor {
  return tensorOf(Dtype.DTYPE_INT64, [values.length], Buffer.from(new BigInt64Array(values.map(BigInt)).buffer));
}

function float32Tensor(values: number[]): Tensor {
  return tensorOf(Dtype.DTYPE_FLOAT32, [values.length], Buffer.from(new Float32Array(values).buffer));
}

/** Elements of a tensor, decoded little-endian by its dtype (after checking it). */
function decode(t: Tensor | undefined, dtype: Dtype, shape: number[]): number[] {
  assert.ok(t, 'tensor is set');
  assert.equal(t.dtype, dtype, `dtype ${t.dtype} != ${dtype}`);
  assert.deepEqual(t.shape, shape);
  const count = shape.reduce((a, b) => a * b, 1);
  const width = { [Dtype.DTYPE_FLOAT32]: 4, [Dtype.DTYPE_FLOAT64]: 8, [Dtype.DTYPE_INT32]: 4, [Dtype.DTYPE_INT64]: 8, [Dtype.DTYPE_UINT8]: 1 }[dtype as number];
  assert.ok(width);
  assert.equal(t.data.length, count * width, 'byte length matches dtype and shape');
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case Dtype.DTYPE_FLOAT32:
        out.push(view.getFloat32(i * 4, true));
        break;
      case Dtype.DTYPE_FLOAT64:
        out.push(view.getFloat64(i * 8, true));
        break;
      case Dtype.DTYPE_INT32:
        out.push(view.getInt32(i * 4, true));
        break;
      case Dtype.DTYPE_INT64:
        out.push(Number(view.getBigInt64(i * 8, true)));
        break;
      default:
        out.push(view.getUint8(i));
    }
  }
  return out;
}

/** A single CartPole observation: a float32 tensor of shape [4]. */
function cartObs(v: SpaceValue | undefined): number[] {
  assert.equal(v?.kind?.$case, 'tensor', 'CartPole observations are tensors');
  return decode(v.kind.value, Dtype.DTYPE_FLOAT32, [4]);
}

/** A single Discrete observation. */
function discreteObs(v: SpaceValue | undefined): number {
  assert.equal(v?.kind?.$case, 'discrete', 'Discrete observations are integers');
  return v.kind.value;
}

function rows<T>(flat: T[], width: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < flat.length; i += width) out.push(flat.slice(i, i + width));
  return out;
}

interface ExpectedError {
  field?: string;
  reason?: string;
  /** Must match the status details and the ErrorDetail message. */
  message?: RegExp;
}

/** Asserts `p` fails with `code`, the expected details, and a decodable gymhost-error-bin trailer. */
async function expectError(p: Promise<unknown>, code: grpc.status, expected: ExpectedError = {}): Promise<ErrorDetail> {
  let caught: grpc.ServiceError | undefined;
  try {
    await p;
  } catch (err) {
    caught = err as grpc.ServiceError;
  }
  assert.ok(caught, `expected ${grpc.status[code]}, but the call succeeded`);
  assert.equal(caught.code, code, `expected ${grpc.status[code]}, got ${grpc.status[caught.code]}: ${caught.details}`);
  const raw = caught.metadata?.get('gymhost-error-bin') ?? [];
  assert.equal(raw.length, 1, 'one gymhost-error-bin trailer');
  assert.ok(Buffer.isBuffer(raw[0]));
  const detail = ErrorDetail.decode(raw[0] as Buffer);
  assert.equal(detail.code, grpc.status[code], 'ErrorDetail.code is the canonical code name');
  if (expected.field !== undefined) {
    assert.equal(detail.field, expected.field);
    if (expected.field) assert.ok(caught.details.includes(expected.field), `details name the field ${expected.field}: ${caught.details}`);
  }
  if (expected.reason !== undefined) assert.equal(detail.reason, expected.reason);
  if (expected.message) {
    assert.match(caught.details, expected.message);
    assert.match(detail.message, expected.message);
  }
  return detail;
}

/** Runs requests over one StepStream, writing them all before reading; resolves with the answers in order. */
function streamAll(client: EnvServiceClient, requests: StepStreamRequest[]): Promise<StepStreamResponse[]> {
  return new Promise((resolve, reject) => {
    const stream = client.stepStream();
    const out: StepStreamResponse[] = [];
    stream.on('data', (res: StepStreamResponse) => out.push(res));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
    for (const r of requests) stream.write(r);
    stream.end();
  });
}

const sReset = (id: string, seed?: number, options?: Record<string, unknown>): StepStreamRequest => ({ request: { $case: 'reset', value: { id, seed, options } } });
const sStep = (id: string, action: number): StepStreamRequest => ({ request: { $case: 'step', value: { id, action: discrete(action) } } });
const sBatch = (id: string, actions: Tensor): StepStreamRequest => ({ request: { $case: 'stepBatch', value: { id, actions } } });

function asStep(r: StepStreamResponse | undefined): StepResponse {
  assert.equal(r?.response?.$case, 'step', `expected a step answer, got ${JSON.stringify(r?.response)}`);
  return r.response.value;
}
function asReset(r: StepStreamResponse | undefined): ResetResponse {
  assert.equal(r?.response?.$case, 'reset', `expected a reset answer, got ${JSON.stringify(r?.response)}`);
  return r.response.value;
}
function asBatch(r: StepStreamResponse | undefined): StepBatchResponse {
  assert.equal(r?.response?.$case, 'stepBatch', `expected a step_batch answer, got ${JSON.stringify(r?.response)}`);
  return r.response.value;
}
function asError(r: StepStreamResponse | undefined): ErrorDetail {
  assert.equal(r?.response?.$case, 'error', `expected an error answer, got ${JSON.stringify(r?.response)}`);
  return r.response.value;
}

function outOfBounds(obs: number[]): boolean {
  return Math.abs(obs[0]) > X_THRESHOLD || Math.abs(obs[2]) > THETA_THRESHOLD;
}

function inStartRange(obs: number[], low = -0.05, high = 0.05): boolean {
  return obs.every((v) => v >= Math.fround(low) && v <= Math.fround(high));
}

/** A grpc.health.v1.Health client built from grpc-health-check's service definition. */
interface HealthClient extends grpc.Client {
  check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void;
  watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
}
function healthClient(server: RunningServer): HealthClient {
  const Health = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');
  return new Health(server.grpcAddress, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the main server -------------------------------------------------------------------------

describe('gRPC EnvService', () => {
  let server: RunningServer;
  let client: EnvServiceClient;
  let env: Api;

  before(async () => {
    server = await startTestServer();
    client = envClient(server);
    env = api(client);
  });

  after(async () => {
    client.close();
    await server.close(500);
  });

  describe('ListEnvTypes', () => {
    it('lists every env type with versions and limits', async () => {
      const res = await env.listEnvTypes();
      assert.deepEqual(res.envTypes.map((t) => t.id).sort(), ['Acrobot-v1', CARTPOLE, 'CliffWalking-v1', 'FrozenLake-v1', 'FrozenLake8x8-v1', GRIDWORLD, 'MountainCar-v0', 'Taxi-v4']);
      assert.equal(res.apiVersion, 'gymhost.v1');
      assert.equal(res.serverVersion, PKG_VERSION);
      assert.match(res.serverVersion, /^\d+\.\d+\.\d+/);
      assert.equal(res.maxSessions, 1000);
      assert.equal(res.maxNumEnvs, 65536);
      assert.equal(res.sessionTtlSeconds, 3600);
    });

    it('describes CartPole-v1: Box(4) float32 with Gymnasium bounds, Discrete(2), options and rewards', async () => {
      const t = (await env.listEnvTypes()).envTypes.find((e) => e.id === CARTPOLE);
      assert.ok(t);
      assert.match(t.description, /pole/i);
      assert.equal(t.observationSpace?.kind?.$case, 'box');
      const box = t.observationSpace.kind.value;
      assert.deepEqual(box.shape, [4]);
      assert.equal(box.dtype, Dtype.DTYPE_FLOAT32);
      const high = [Math.fround(4.8), Infinity, Math.fround(THETA_THRESHOLD * 2), Infinity];
      assert.deepEqual(box.high, high);
      assert.deepEqual(box.low, high.map((h) => -h));
      assert.deepEqual(t.actionSpace, { kind: { $case: 'discrete', value: { n: 2, start: 0 } } });
      assert.equal(t.maxEpisodeSteps, 500);
      assert.equal(t.rewardThreshold, 475);
      assert.deepEqual([...t.renderModes].sort(), [RenderMode.RENDER_MODE_RGB_ARRAY, RenderMode.RENDER_MODE_ANSI].sort());

      const opts = new Map(t.configOptions.map((o) => [o.name, o]));
      assert.deepEqual([...opts.keys()].sort(), ['force_mag', 'gravity', 'kinematics_integrator', 'length', 'masscart', 'masspole', 'max_episode_steps', 'sutton_barto_reward', 'tau']);
      const gravity = opts.get('gravity');
      assert.equal(gravity?.type, OptionType.OPTION_TYPE_NUMBER);
      assert.equal(gravity?.defaultValue, 9.8);
      assert.equal(gravity?.minimum, 0.01);
      assert.equal(gravity?.maximum, 100);
      const integrator = opts.get('kinematics_integrator');
      assert.equal(integrator?.type, OptionType.OPTION_TYPE_STRING);
      assert.equal(integrator?.defaultValue, 'euler');
      assert.deepEqual(integrator?.choices, ['euler', 'semi-implicit']);
      assert.equal(opts.get('max_episode_steps')?.type, OptionType.OPTION_TYPE_INT);
      assert.equal(opts.get('max_episode_steps')?.defaultValue, 500);
      assert.equal(opts.get('sutton_barto_reward')?.type, OptionType.OPTION_TYPE_BOOL);
      assert.equal(opts.get('sutton_barto_reward')?.defaultValue, false);

      assert.deepEqual(t.rewardFunctions.map((r) => r.name).sort(), ['angle_position', 'gymnasium', 'sutton_barto', 'terminal_penalty']);
      assert.equal(t.defaultRewardFunction, 'gymnasium');
      assert.ok(t.rewardFunctions.every((r) => r.description.length > 0));
      const reset = new Map(t.resetOptions.map((o) => [o.name, o]));
      assert.equal(reset.get('low')?.defaultValue, -0.05);
      assert.equal(reset.get('high')?.defaultValue, 0.05);
      assert.equal(reset.get('low')?.type, OptionType.OPTION_TYPE_NUMBER);
    });

    it('describes GridWorld-v0: Discrete(143) for the default small_maze 13x11, Discrete(4), options and rewards', async () => {
      const t = (await env.listEnvTypes()).envTypes.find((e) => e.id === GRIDWORLD);
      assert.ok(t);
      assert.deepEqual(t.observationSpace, { kind: { $case: 'discrete', value: { n: 143, start: 0 } } });
      assert.deepEqual(t.actionSpace, { kind: { $case: 'discrete', value: { n: 4, start: 0 } } });
      assert.equal(t.maxEpisodeSteps, 5 * 13 * 11);
      assert.equal(t.rewardThreshold, undefined);
      const opts = new Map(t.configOptions.map((o) => [o.name, o]));
      const world = opts.get('world');
      assert.equal(world?.defaultValue, 'small_maze');
      assert.equal(world?.type, OptionType.OPTION_TYPE_STRING);
      assert.ok(world?.choices.includes('small_maze') && world.choices.includes('large_maze'), `choices ${world?.choices}`);
      assert.equal(world.choices.length, 6);
      assert.deepEqual(opts.get('encoding')?.choices, ['index', 'onehot', 'rowcol', 'lights_off']);
      assert.equal(opts.get('random_start')?.type, OptionType.OPTION_TYPE_BOOL);
      assert.deepEqual(t.rewardFunctions.map((r) => r.name), ['seed', 'seed_v2', 'distance_shaping']);
      assert.equal(t.defaultRewardFunction, 'seed');
      const seed = t.rewardFunctions[0];
      assert.deepEqual(Object.fromEntries(seed.params.map((p) => [p.name, p.defaultValue])), { goal: 0, hazard: -200, standard: -1 });
      assert.deepEqual(t.resetOptions.map((o) => o.name).sort(), ['start_col', 'start_row']);
      assert.ok(t.renderModes.includes(RenderMode.RENDER_MODE_ANSI));
    });
  });

  describe('session lifecycle', () => {
    it('creates, gets, lists and deletes a session; Get after Delete is NOT_FOUND saying it was deleted', async () => {
      const before = Date.now();
      const created = await env.create({ envId: CARTPOLE, seed: 7 });
      assert.match(created.id, /^[A-Za-z0-9_-]{12}$/);
      assert.equal(created.envId, CARTPOLE);
      assert.equal(created.owner, 'anonymous');
      assert.equal(created.numEnvs, 1);
      assert.equal(created.hasReset, false);
      assert.equal(created.totalSteps, 0);
      assert.equal(created.totalEpisodes, 0);
      assert.equal(created.maxEpisodeSteps, 500);
      assert.equal(created.rewardFunction, 'gymnasium');
      assert.equal(created.renderMode, RenderMode.RENDER_MODE_NONE);
      assert.equal(created.autoresetMode, AutoresetMode.AUTORESET_MODE_NEXT_STEP);
      assert.ok(created.createTime instanceof Date);
      assert.ok(created.createTime.getTime() >= before - 1000 && created.createTime.getTime() <= Date.now() + 1000);
      assert.equal(created.observationSpace?.kind?.$case, 'box');
      assert.deepEqual(created.actionSpace, { kind: { $case: 'discrete', value: { n: 2, start: 0 } } });

      const got = await env.get(created.id);
      assert.equal(got.id, created.id);
      assert.deepEqual(got.config, created.config);
      assert.ok(got.lastUsedTime && created.createTime && got.lastUsedTime.getTime() >= created.createTime.getTime());

      await env.reset(created.id);
      await env.step(created.id, 1);
      await env.step(created.id, 0);
      const used = await env.get(created.id);
      assert.equal(used.hasReset, true);
      assert.equal(used.totalSteps, 2);
      assert.equal(used.totalEpisodes, 1);

      const other = await env.create({ envId: GRIDWORLD });
      const ids = (await env.list()).map((e) => e.id);
      assert.ok(ids.includes(created.id) && ids.includes(other.id));

      assert.deepEqual(await env.del(created.id), {});
      const afterDelete = (await env.list()).map((e) => e.id);
      assert.ok(!afterDelete.includes(created.id));
      assert.ok(afterDelete.includes(other.id));
      await expectError(env.get(created.id), grpc.status.NOT_FOUND, { field: 'id', reason: 'ENV_SESSION_NOT_FOUND', message: /was deleted/ });
      await expectError(env.step(created.id, 0), grpc.status.NOT_FOUND, { message: /was deleted/ });
      await expectError(env.del(created.id), grpc.status.NOT_FOUND, { message: /was deleted/ });
      await env.del(other.id);
    });

    it('echoes the config with defaults applied, the reward function and num_envs', async () => {
      const cp = await env.create({ envId: CARTPOLE, config: { gravity: 12.5, max_episode_steps: 200 }, numEnvs: 3 });
      assert.deepEqual(cp.config, {
        kinematics_integrator: 'euler',
        sutton_barto_reward: false,
        max_episode_steps: 200,
        gravity: 12.5,
        masscart: 1,
        masspole: 0.1,
        length: 0.5,
        force_mag: 10,
        tau: 0.02,
      });
      assert.equal(cp.numEnvs, 3);
      assert.equal(cp.maxEpisodeSteps, 200);
      assert.deepEqual(cp.rewardParams, {});

      const gw = await env.create({
        envId: GRIDWORLD,
        config: { encoding: 'rowcol' },
        rewardFunction: 'seed_v2',
        rewardParams: { hazard: -50 },
        renderMode: RenderMode.RENDER_MODE_ANSI,
        autoresetMode: AutoresetMode.AUTORESET_MODE_SAME_STEP,
      });
      assert.deepEqual(gw.config, { world: 'small_maze', map: '', encoding: 'rowcol', random_start: false, off_grid: 'stay', max_episode_steps: 0 });
      assert.equal(gw.rewardFunction, 'seed_v2');
      assert.deepEqual(gw.rewardParams, { goal: 0, hazard: -50, standard: -0.001 });
      assert.equal(gw.numEnvs, 1);
      assert.equal(gw.maxEpisodeSteps, 715);
      assert.equal(gw.renderMode, RenderMode.RENDER_MODE_ANSI);
      assert.equal(gw.autoresetMode, AutoresetMode.AUTORESET_MODE_SAME_STEP);
      // The rowcol encoding changes the observation space: Box([0, 0], [10, 12]).
      assert.deepEqual(gw.observationSpace, { kind: { $case: 'box', value: { low: [0, 0], high: [10, 12], shape: [2], dtype: Dtype.DTYPE_FLOAT32 } } });
      await env.del(cp.id);
      await env.del(gw.id);
    });

    it('a CreateEnv seed seeds the first Reset exactly as a Reset seed does', async () => {
      const a = await env.create({ envId: CARTPOLE, seed: 1234 });
      const b = await env.create({ envId: CARTPOLE });
      const c = await env.create({ envId: CARTPOLE, seed: 1234 });
      const obsA = cartObs((await env.reset(a.id)).observation);
      const obsB = cartObs((await env.reset(b.id, 1234)).observation);
      const obsC = cartObs((await env.reset(c.id)).observation);
      assert.deepEqual(obsA, obsB);
      assert.deepEqual(obsA, obsC);
      // A second unseeded reset continues the stream: a new start state.
      const obsA2 = cartObs((await env.reset(a.id)).observation);
      assert.notDeepEqual(obsA2, obsA);
      for (const s of [a, b, c]) await env.del(s.id);
    });
  });

  describe('Reset and Step', () => {
    it('Reset with the same seed twice gives identical observations; other seeds differ', async () => {
      const s = await env.create({ envId: CARTPOLE });
      const r1 = await env.reset(s.id, 42);
      const o1 = cartObs(r1.observation);
      assert.deepEqual(r1.info, {});
      assert.ok(inStartRange(o1), `start state ${o1} in [-0.05, 0.05]`);
      assert.ok(o1.some((v) => v !== 0));
      await env.step(s.id, 1);
      const o2 = cartObs((await env.reset(s.id, 42)).observation);
      assert.deepEqual(o2, o1);
      const o3 = cartObs((await env.reset(s.id, 43)).observation);
      assert.notDeepEqual(o3, o1);
      // Same seed and actions: same trajectory.
      const traj = async (): Promise<number[][]> => {
        await env.reset(s.id, 42);
        const out: number[][] = [];
        for (const a of [1, 0, 0, 1, 1]) out.push(cartObs((await env.step(s.id, a)).observation));
        return out;
      };
      assert.deepEqual(await traj(), await traj());
      await env.del(s.id);
    });

    it('Reset options low == high start every component exactly there; low > high is rejected', async () => {
      const s = await env.create({ envId: CARTPOLE, seed: 1 });
      const obs = cartObs((await env.reset(s.id, undefined, { low: 0.03, high: 0.03 })).observation);
      assert.deepEqual(obs, [0.03, 0.03, 0.03, 0.03].map(Math.fround));
      const zero = cartObs((await env.reset(s.id, 5, { low: 0, high: 0 })).observation);
      assert.deepEqual(zero, [0, 0, 0, 0]);
      const narrow = cartObs((await env.reset(s.id, 5, { low: -0.001, high: 0.001 })).observation);
      assert.ok(inStartRange(narrow, -0.001, 0.001), `${narrow}`);
      await expectError(env.reset(s.id, undefined, { low: 0.2, high: 0.1 }), grpc.status.INVALID_ARGUMENT, { field: 'options.low', reason: 'RESET_BOUNDS' });
      await expectError(env.reset(s.id, undefined, { middle: 0 }), grpc.status.INVALID_ARGUMENT, { field: 'options.middle', reason: 'UNKNOWN_OPTION', message: /allowed: low, high/ });
      await expectError(env.reset(s.id, undefined, { low: 'a' }), grpc.status.INVALID_ARGUMENT, { field: 'options.low', message: /finite number/ });
      // The session is still usable after rejected resets, with the last good start state.
      const after = cartObs((await env.reset(s.id, 5, { low: -0.001, high: 0.001 })).observation);
      assert.deepEqual(after, narrow);
      await env.del(s.id);
    });

    it('Step pays 1 per step with flags false, and a CartPole episode ends by termination', async () => {
      const s = await env.create({ envId: CARTPOLE });
      let obs = cartObs((await env.reset(s.id, 2024)).observation);
      let steps = 0;
      let last: StepResponse | undefined;
      // Always pushing right tips the pole over within a few dozen steps.
      for (;;) {
        last = await env.step(s.id, 1);
        steps++;
        obs = cartObs(last.observation);
        assert.equal(last.reward, 1);
        assert.equal(last.truncated, false);
        assert.deepEqual(last.info, {});
        if (last.terminated) break;
        assert.ok(!outOfBounds(obs), `step ${steps}: still in bounds until terminated`);
        assert.ok(steps < 100, 'terminates quickly when always pushing right');
      }
      assert.ok(steps >= 5, `took ${steps} steps`);
      assert.ok(outOfBounds(obs), `terminal observation ${obs} is out of bounds`);
      assert.ok(obs[2] < -THETA_THRESHOLD || obs[0] > X_THRESHOLD, 'pushing right tips the pole left or pushes the cart right');
      // Gymnasium: a step after termination pays 0 and warns in info.
      const beyond = await env.step(s.id, 1);
      assert.equal(beyond.reward, 0);
      assert.equal(beyond.terminated, true);
      assert.match(String(beyond.info?.warning), /already returned terminated = True/);
      const info = await env.get(s.id);
      assert.equal(info.totalSteps, steps + 1);
      await env.del(s.id);
    });

    it('truncates at max_episode_steps', async () => {
      const s = await env.create({ envId: CARTPOLE, config: { max_episode_steps: 6 } });
      await env.reset(s.id, 3);
      const flags: [boolean, boolean][] = [];
      for (let t = 0; t < 6; t++) {
        const r = await env.step(s.id, t % 2);
        flags.push([r.terminated, r.truncated]);
      }
      assert.deepEqual(flags, [[false, false], [false, false], [false, false], [false, false], [false, false], [false, true]]);
      await env.del(s.id);
    });

    it('GridWorld steps pay -1 on standard cells, -200 on hazards, and report row/col/cell in info', async () => {
      const s = await env.create({ envId: GRIDWORLD });
      const r = await env.reset(s.id, 0);
      assert.equal(discreteObs(r.observation), MAZE_START);
      assert.deepEqual(r.info, { row: 9, col: 0, cell: 'start' });
      const up = await env.step(s.id, UP);
      assert.equal(discreteObs(up.observation), 8 * MAZE_W);
      assert.equal(up.reward, -1);
      assert.equal(up.terminated, false);
      assert.equal(up.truncated, false);
      assert.deepEqual(up.info, { row: 8, col: 0, cell: 'standard' });
      const hazard = await env.step(s.id, UP);
      assert.equal(discreteObs(hazard.observation), 7 * MAZE_W);
      assert.equal(hazard.reward, -200);
      assert.equal(hazard.terminated, false, 'hazards do not end the episode');
      assert.deepEqual(hazard.info, { row: 7, col: 0, cell: 'hazard' });
      // Off the grid: stay on the hazard and pay it again.
      const stay = await env.step(s.id, LEFT);
      assert.equal(discreteObs(stay.observation), 7 * MAZE_W);
      assert.equal(stay.reward, -200);
      const right = await env.step(s.id, RIGHT);
      assert.deepEqual(right.info, { row: 7, col: 1, cell: 'standard' });
      assert.equal(right.reward, -1);
      await env.del(s.id);
    });

    it('GridWorld ends on the goal with the goal reward; reward params apply', async () => {
      const s = await env.create({ envId: GRIDWORLD, config: { map: 'S.G\n...' }, rewardFunction: 'seed_v2', rewardParams: { goal: 5, standard: -0.5 } });
      assert.deepEqual(s.observationSpace, { kind: { $case: 'discrete', value: { n: 6, start: 0 } } });
      await env.reset(s.id);
      const a = await env.step(s.id, RIGHT);
      assert.deepEqual([discreteObs(a.observation), a.reward, a.terminated], [1, -0.5, false]);
      const b = await env.step(s.id, RIGHT);
      assert.deepEqual([discreteObs(b.observation), b.reward, b.terminated, b.truncated], [2, 5, true, false]);
      assert.deepEqual(b.info, { row: 0, col: 2, cell: 'goal' });
      // Reset options pick the start cell.
      const r = await env.reset(s.id, undefined, { start_row: 1, start_col: 2 });
      assert.equal(discreteObs(r.observation), 5);
      await expectError(env.reset(s.id, undefined, { start_row: 0, start_col: 2 }), grpc.status.INVALID_ARGUMENT, { field: 'options.start_row', reason: 'INVALID_START', message: /goal/ });
      await expectError(env.reset(s.id, undefined, { start_row: 1 }), grpc.status.INVALID_ARGUMENT, { field: 'options.start_col', reason: 'INVALID_START' });
      await env.del(s.id);
    });

    it('accepts a Discrete action given as a scalar int tensor', async () => {
      const s = await env.create({ envId: GRIDWORLD });
      await env.reset(s.id);
      const res = await rpc(client, client.step, { id: s.id, action: { kind: { $case: 'tensor', value: int32Tensor([UP], []) } } });
      assert.equal(discreteObs(res.observation), 8 * MAZE_W);
      await env.del(s.id);
    });
  });

  describe('StepBatch', () => {
    for (const n of [8, 256]) {
      it(`num_envs=${n}: tensor shapes and dtypes; copy i reset with seed s equals a single env reset with seed s+i`, async () => {
        const seed = 900;
        const v = await env.create({ envId: CARTPOLE, numEnvs: n });
        assert.equal(v.numEnvs, n);
        const reset = await env.reset(v.id, seed);
        assert.equal(reset.observation?.kind?.$case, 'tensor');
        const obs = rows(decode(reset.observation.kind.value, Dtype.DTYPE_FLOAT32, [n, 4]), 4);
        assert.ok(obs.every((o) => inStartRange(o)));
        assert.equal(new Set(obs.map((o) => o.join())).size, n, 'every copy starts differently');
        const checked = n <= 8 ? [...Array(n).keys()] : [0, 1, 17, 128, n - 1];
        for (const i of checked) {
          const single = await env.create({ envId: CARTPOLE });
          assert.deepEqual(cartObs((await env.reset(single.id, seed + i)).observation), obs[i], `copy ${i} == single env seeded ${seed + i}`);
          if (i === checked[checked.length - 1]) {
            // Stepping matches too (no cross-talk between copies): two steps with action i % 2.
            const actions = Array.from({ length: n }, (_, k) => k % 2);
            const b1 = await env.stepBatch(v.id, int32Tensor(actions));
            const b2 = await env.stepBatch(v.id, int32Tensor(actions));
            const s1 = cartObs((await env.step(single.id, i % 2)).observation);
            const s2 = cartObs((await env.step(single.id, i % 2)).observation);
            assert.deepEqual(rows(decode(b1.observations, Dtype.DTYPE_FLOAT32, [n, 4]), 4)[i], s1);
            assert.deepEqual(rows(decode(b2.observations, Dtype.DTYPE_FLOAT32, [n, 4]), 4)[i], s2);
          }
          await env.del(single.id);
        }

        const res = await env.stepBatch(v.id, int64Tensor(Array.from({ length: n }, (_, i) => (i * 7) % 2)));
        const next = decode(res.observations, Dtype.DTYPE_FLOAT32, [n, 4]);
        assert.ok(next.every(Number.isFinite));
        assert.deepEqual(decode(res.rewards, Dtype.DTYPE_FLOAT64, [n]), new Array(n).fill(1));
        assert.deepEqual(decode(res.terminated, Dtype.DTYPE_UINT8, [n]), new Array(n).fill(0));
        assert.deepEqual(decode(res.truncated, Dtype.DTYPE_UINT8, [n]), new Array(n).fill(0));
        assert.deepEqual(decode(res.resetMask, Dtype.DTYPE_UINT8, [n]), new Array(n).fill(0));
        assert.equal(res.finalObservations, undefined, 'final_observations only in SAME_STEP mode');
        // UINT8 actions are accepted too.
        await env.stepBatch(v.id, tensorOf(Dtype.DTYPE_UINT8, [n], Buffer.alloc(n, 1)));
        const info = await env.get(v.id);
        assert.equal(info.totalSteps, 4 * n);
        assert.equal(info.totalEpisodes, n);
        await env.del(v.id);
      });
    }

    it('GridWorld vector observations are int32 of shape [num_envs]', async () => {
      const v = await env.create({ envId: GRIDWORLD, numEnvs: 5 });
      const r = await env.reset(v.id, 0);
      assert.equal(r.observation?.kind?.$case, 'tensor');
      assert.deepEqual(decode(r.observation.kind.value, Dtype.DTYPE_INT32, [5]), new Array(5).fill(MAZE_START));
      const b = await env.stepBatch(v.id, int32Tensor([UP, DOWN, LEFT, RIGHT, UP]));
      assert.deepEqual(decode(b.observations, Dtype.DTYPE_INT32, [5]), [8 * MAZE_W, 10 * MAZE_W, MAZE_START, MAZE_START + 1, 8 * MAZE_W]);
      assert.deepEqual(decode(b.rewards, Dtype.DTYPE_FLOAT64, [5]), [-1, -1, -1, -1, -1]);
      await env.del(v.id);
    });

    it('NEXT_STEP: the step after termination resets the copy (reset_mask 1, reward 0, flags 0, fresh start)', async () => {
      const v = await env.create({ envId: GRIDWORLD, config: { map: TINY_MAP }, numEnvs: 4 });
      await env.reset(v.id);
      // Copies 0 and 2 walk onto the goal; 1 and 3 go down.
      const end = await env.stepBatch(v.id, int32Tensor([RIGHT, DOWN, RIGHT, DOWN]));
      assert.deepEqual(decode(end.observations, Dtype.DTYPE_INT32, [4]), [1, 2, 1, 2]);
      assert.deepEqual(decode(end.terminated, Dtype.DTYPE_UINT8, [4]), [1, 0, 1, 0]);
      assert.deepEqual(decode(end.rewards, Dtype.DTYPE_FLOAT64, [4]), [0, -1, 0, -1]);
      assert.deepEqual(decode(end.resetMask, Dtype.DTYPE_UINT8, [4]), [0, 0, 0, 0]);
      // Next call: copies 0 and 2 are reset (their actions ignored), 1 and 3 step right.
      const next = await env.stepBatch(v.id, int32Tensor([DOWN, RIGHT, DOWN, RIGHT]));
      assert.deepEqual(decode(next.resetMask, Dtype.DTYPE_UINT8, [4]), [1, 0, 1, 0]);
      assert.deepEqual(decode(next.observations, Dtype.DTYPE_INT32, [4]), [0, 3, 0, 3]);
      assert.deepEqual(decode(next.rewards, Dtype.DTYPE_FLOAT64, [4]), [0, -1, 0, -1]);
      assert.deepEqual(decode(next.terminated, Dtype.DTYPE_UINT8, [4]), [0, 0, 0, 0]);
      assert.deepEqual(decode(next.truncated, Dtype.DTYPE_UINT8, [4]), [0, 0, 0, 0]);
      // And the reset copies play on normally.
      const again = await env.stepBatch(v.id, int32Tensor([RIGHT, UP, DOWN, UP]));
      assert.deepEqual(decode(again.resetMask, Dtype.DTYPE_UINT8, [4]), [0, 0, 0, 0]);
      assert.deepEqual(decode(again.observations, Dtype.DTYPE_INT32, [4]), [1, 1, 2, 1]);
      assert.deepEqual(decode(again.terminated, Dtype.DTYPE_UINT8, [4]), [1, 1, 0, 1]);
      assert.equal((await env.get(v.id)).totalEpisodes, 4 + 2);
      await env.del(v.id);
    });

    it('NEXT_STEP with CartPole: autoreset uses the last Reset options (low == high gives an exact start)', async () => {
      const n = 8;
      const v = await env.create({ envId: CARTPOLE, numEnvs: n, seed: 11 });
      const start = new Array(4).fill(Math.fround(0.01));
      const r = await env.reset(v.id, undefined, { low: 0.01, high: 0.01 });
      assert.equal(r.observation?.kind?.$case, 'tensor');
      assert.deepEqual(rows(decode(r.observation.kind.value, Dtype.DTYPE_FLOAT32, [n, 4]), 4), new Array(n).fill(start));
      const actions = int32Tensor(Array.from({ length: n }, (_, i) => (i < 4 ? 1 : 0)));
      let ended: number[] = [];
      for (let t = 0; t < 200 && ended.length === 0; t++) {
        const b = await env.stepBatch(v.id, actions);
        assert.deepEqual(decode(b.resetMask, Dtype.DTYPE_UINT8, [n]), new Array(n).fill(0));
        assert.deepEqual(decode(b.rewards, Dtype.DTYPE_FLOAT64, [n]), new Array(n).fill(1));
        const term = decode(b.terminated, Dtype.DTYPE_UINT8, [n]);
        const obs = rows(decode(b.observations, Dtype.DTYPE_FLOAT32, [n, 4]), 4);
        ended = term.flatMap((f, i) => (f ? [i] : []));
        for (const i of ended) assert.ok(outOfBounds(obs[i]), `copy ${i} ended out of bounds`);
      }
      assert.ok(ended.length > 0, 'some copy terminated');
      const after = await env.stepBatch(v.id, actions);
      const mask = decode(after.resetMask, Dtype.DTYPE_UINT8, [n]);
      const rewards = decode(after.rewards, Dtype.DTYPE_FLOAT64, [n]);
      const term = decode(after.terminated, Dtype.DTYPE_UINT8, [n]);
      const trunc = decode(after.truncated, Dtype.DTYPE_UINT8, [n]);
      const obs = rows(decode(after.observations, Dtype.DTYPE_FLOAT32, [n, 4]), 4);
      for (let i = 0; i < n; i++) {
        if (ended.includes(i)) {
          assert.deepEqual([mask[i], rewards[i], term[i], trunc[i]], [1, 0, 0, 0], `copy ${i} was reset`);
          assert.deepEqual(obs[i], start, `copy ${i} starts afresh at the reset options' state`);
        } else {
          assert.deepEqual([mask[i], rewards[i]], [0, 1], `copy ${i} stepped`);
        }
      }
      await env.del(v.id);
    });

    it('SAME_STEP: the ending step returns the new start and the final observation', async () => {
      const v = await env.create({ envId: GRIDWORLD, config: { map: TINY_MAP }, numEnvs: 4, autoresetMode: AutoresetMode.AUTORESET_MODE_SAME_STEP });
      assert.equal(v.autoresetMode, AutoresetMode.AUTORESET_MODE_SAME_STEP);
      await env.reset(v.id);
      const b = await env.stepBatch(v.id, int32Tensor([RIGHT, DOWN, RIGHT, UP]));
      assert.deepEqual(decode(b.observations, Dtype.DTYPE_INT32, [4]), [0, 2, 0, 0], 'ended copies are already back on S');
      assert.deepEqual(decode(b.resetMask, Dtype.DTYPE_UINT8, [4]), [1, 0, 1, 0]);
      assert.deepEqual(decode(b.finalObservations, Dtype.DTYPE_INT32, [4]), [1, 0, 1, 0], 'final observation: the goal');
      const rewards = decode(b.rewards, Dtype.DTYPE_FLOAT64, [4]);
      assert.equal(rewards[1], -1);
      assert.equal(rewards[3], -1, 'an off-grid stay on S pays the standard reward');
      assert.deepEqual(decode(b.terminated, Dtype.DTYPE_UINT8, [4])[1], 0);
      // CartPole: the final observation is the out-of-bounds one, the observation a fresh start.
      const n = 8;
      const cp = await env.create({ envId: CARTPOLE, numEnvs: n, seed: 3, autoresetMode: AutoresetMode.AUTORESET_MODE_SAME_STEP });
      await env.reset(cp.id);
      const ones = int32Tensor(new Array(n).fill(1));
      let found = false;
      for (let t = 0; t < 200 && !found; t++) {
        const r = await env.stepBatch(cp.id, ones);
        const mask = decode(r.resetMask, Dtype.DTYPE_UINT8, [n]);
        const obs = rows(decode(r.observations, Dtype.DTYPE_FLOAT32, [n, 4]), 4);
        const fin = rows(decode(r.finalObservations, Dtype.DTYPE_FLOAT32, [n, 4]), 4);
        for (let i = 0; i < n; i++) {
          if (mask[i]) {
            found = true;
            assert.ok(outOfBounds(fin[i]), `final observation of copy ${i} (${fin[i]}) is terminal`);
            assert.ok(inStartRange(obs[i]), `observation of copy ${i} (${obs[i]}) is a fresh start`);
          } else {
            assert.deepEqual(fin[i], [0, 0, 0, 0], `no final observation for copy ${i}`);
            assert.ok(!outOfBounds(obs[i]));
          }
        }
      }
      assert.ok(found, 'some copy ended');
      await env.del(v.id);
      await env.del(cp.id);
    });

    it('SAME_STEP keeps the ending step\'s reward and terminated flag, and zeroes stale final observations', async () => {
      const v = await env.create({
        envId: GRIDWORLD,
        config: { map: TINY_MAP },
        numEnvs: 2,
        rewardParams: { goal: 10 },
        autoresetMode: AutoresetMode.AUTORESET_MODE_SAME_STEP,
      });
      await env.reset(v.id);
      try {
        const b = await env.stepBatch(v.id, int32Tensor([RIGHT, DOWN]));
        assert.deepEqual(decode(b.resetMask, Dtype.DTYPE_UINT8, [2]), [1, 0]);
        assert.deepEqual(decode(b.rewards, Dtype.DTYPE_FLOAT64, [2]), [10, -1], 'the goal reward of the ended episode');
        assert.deepEqual(decode(b.terminated, Dtype.DTYPE_UINT8, [2]), [1, 0], 'the ended copy reports terminated');
        const c = await env.stepBatch(v.id, int32Tensor([DOWN, UP]));
        assert.deepEqual(decode(c.resetMask, Dtype.DTYPE_UINT8, [2]), [0, 0]);
        assert.deepEqual(decode(c.finalObservations, Dtype.DTYPE_INT32, [2]), [0, 0], 'zero where reset_mask is 0');
      } finally {
        await env.del(v.id);
      }
    });
  });

  describe('StepStream', () => {
    it('answers many pipelined requests in order, matching the unary results', async () => {
      const s = await env.create({ envId: CARTPOLE });
      const requests: StepStreamRequest[] = [];
      const starts: number[] = [];
      for (let k = 0; k < 100; k++) {
        const v = Math.round((k - 50) * 0.0009 * 1e4) / 1e4;
        starts.push(v);
        requests.push(sReset(s.id, undefined, { low: v, high: v }));
        for (let j = 0; j < 4; j++) requests.push(sStep(s.id, (k + j) % 2));
      }
      const answers = await streamAll(client, requests);
      assert.equal(answers.length, requests.length, 'one answer per request');
      // Replay over unary calls on a second session: same answers, same order.
      const u = await env.create({ envId: CARTPOLE });
      for (let k = 0; k < 100; k++) {
        const r = asReset(answers[k * 5]);
        assert.deepEqual(cartObs(r.observation), new Array(4).fill(Math.fround(starts[k])), `reset answer ${k} is in order`);
        await env.reset(u.id, undefined, { low: starts[k], high: starts[k] });
        for (let j = 0; j < 4; j++) {
          const st = asStep(answers[k * 5 + 1 + j]);
          const ref = await env.step(u.id, (k + j) % 2);
          assert.deepEqual(cartObs(st.observation), cartObs(ref.observation));
          assert.equal(st.reward, 1);
        }
      }
      assert.equal((await env.get(s.id)).totalSteps, 400);
      await env.del(s.id);
      await env.del(u.id);
    });

    it('one stream drives a CartPole and a GridWorld session interleaved', async () => {
      const cp = await env.create({ envId: CARTPOLE });
      const gw = await env.create({ envId: GRIDWORLD });
      const vec = await env.create({ envId: GRIDWORLD, numEnvs: 2 });
      const answers = await streamAll(client, [
        sReset(cp.id, 77),
        sReset(gw.id),
        sStep(cp.id, 1),
        sStep(gw.id, UP),
        sStep(cp.id, 0),
        sStep(gw.id, UP),
        sReset(vec.id),
        sBatch(vec.id, int32Tensor([UP, RIGHT])),
        sStep(gw.id, RIGHT),
      ]);
      assert.equal(answers.length, 9);
      const cpStart = cartObs(asReset(answers[0]).observation);
      assert.equal(discreteObs(asReset(answers[1]).observation), MAZE_START);
      const cp1 = asStep(answers[2]);
      assert.equal(cp1.reward, 1);
      const gw1 = asStep(answers[3]);
      assert.deepEqual([discreteObs(gw1.observation), gw1.reward], [8 * MAZE_W, -1]);
      const cp2 = asStep(answers[4]);
      const gw2 = asStep(answers[5]);
      assert.deepEqual([discreteObs(gw2.observation), gw2.reward, gw2.info?.cell], [7 * MAZE_W, -200, 'hazard']);
      const vr = asReset(answers[6]);
      assert.equal(vr.observation?.kind?.$case, 'tensor');
      assert.deepEqual(decode(vr.observation.kind.value, Dtype.DTYPE_INT32, [2]), [MAZE_START, MAZE_START]);
      assert.deepEqual(decode(asBatch(answers[7]).observations, Dtype.DTYPE_INT32, [2]), [8 * MAZE_W, MAZE_START + 1]);
      assert.deepEqual(asStep(answers[8]).info, { row: 7, col: 1, cell: 'standard' });
      // The CartPole answers equal a unary replay with the same seed.
      const ref = await env.create({ envId: CARTPOLE });
      assert.deepEqual(cartObs((await env.reset(ref.id, 77)).observation), cpStart);
      assert.deepEqual(cartObs((await env.step(ref.id, 1)).observation), cartObs(cp1.observation));
      assert.deepEqual(cartObs((await env.step(ref.id, 0)).observation), cartObs(cp2.observation));
      for (const s of [cp, gw, vec, ref]) await env.del(s.id);
    });

    it('answers errors inline with code, field and reason, and goes on', async () => {
      const cp = await env.create({ envId: CARTPOLE });
      const fresh = await env.create({ envId: GRIDWORLD });
      const vec = await env.create({ envId: CARTPOLE, numEnvs: 3 });
      const answers = await streamAll(client, [
        sReset(cp.id, 5),
        sStep(cp.id, 5),
        sStep('no-such-session', 0),
        sStep(cp.id, 1),
        { request: undefined },
        sStep(fresh.id, UP),
        sReset(vec.id, 0),
        sBatch(vec.id, int32Tensor([0, 1])),
        sStep(vec.id, 0),
        sBatch(vec.id, float32Tensor([0, 1, 0])),
        sReset(cp.id, -3),
        sStep(cp.id, 0),
      ]);
      assert.equal(answers.length, 12);
      asReset(answers[0]);
      const inline = asError(answers[1]);
      assert.match(inline.requestId, /^\S{6,}$/, 'inline errors carry the stream\'s request id');
      assert.deepEqual(inline, {
        code: 'INVALID_ARGUMENT',
        message: 'action must be an integer in [0, 1] (Discrete(2)), got 5',
        field: 'action',
        reason: 'ACTION_OUT_OF_RANGE',
        requestId: inline.requestId,
        retryAfterSeconds: 0,
      });
      const nf = asError(answers[2]);
      assert.deepEqual([nf.code, nf.field, nf.reason], ['NOT_FOUND', 'id', 'ENV_SESSION_NOT_FOUND']);
      assert.match(nf.message, /'no-such-session' does not exist/);
      assert.equal(asStep(answers[3]).reward, 1, 'the stream goes on after errors');
      const missing = asError(answers[4]);
      assert.deepEqual([missing.code, missing.field, missing.reason], ['INVALID_ARGUMENT', 'request', 'MISSING_FIELD']);
      const pre = asError(answers[5]);
      assert.deepEqual([pre.code, pre.reason], ['FAILED_PRECONDITION', 'STEP_BEFORE_RESET']);
      asReset(answers[6]);
      const shape = asError(answers[7]);
      assert.deepEqual([shape.code, shape.field, shape.reason], ['INVALID_ARGUMENT', 'actions.shape', 'WRONG_SHAPE']);
      assert.match(shape.message, /\[3\], got \[2\]/);
      const vecStep = asError(answers[8]);
      assert.deepEqual([vecStep.code, vecStep.reason], ['FAILED_PRECONDITION', 'VECTOR_SESSION']);
      const dtype = asError(answers[9]);
      assert.deepEqual([dtype.code, dtype.field, dtype.reason], ['INVALID_ARGUMENT', 'actions.dtype', 'WRONG_DTYPE']);
      const seed = asError(answers[10]);
      assert.deepEqual([seed.code, seed.field, seed.reason], ['INVALID_ARGUMENT', 'seed', 'BAD_SEED']);
      const last = asStep(answers[11]);
      assert.equal(last.reward, 1);
      assert.equal(last.terminated, false);
      assert.equal((await env.get(cp.id)).totalSteps, 2, 'rejected steps change nothing');
      for (const s of [cp, fresh, vec]) await env.del(s.id);
    });

    it('answers an undecodable message inline as INVALID_ARGUMENT and goes on', async () => {
      const s = await env.create({ envId: GRIDWORLD });
      await env.reset(s.id);
      const raw = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
      const GARBAGE = Symbol('garbage');
      type Out = StepStreamRequest | typeof GARBAGE;
      const answers = await new Promise<StepStreamResponse[]>((resolve, reject) => {
        const stream = raw.makeBidiStreamRequest<Out, StepStreamResponse>(
          '/gymhost.v1.EnvService/StepStream',
          (m) => (m === GARBAGE ? Buffer.from([0xff, 0xff, 0xff]) : Buffer.from(StepStreamRequest.encode(m).finish())),
          (b) => StepStreamResponse.decode(b),
        );
        const out: StepStreamResponse[] = [];
        stream.on('data', (r: StepStreamResponse) => out.push(r));
        stream.on('error', reject);
        stream.on('end', () => resolve(out));
        stream.write(sStep(s.id, UP));
        stream.write(GARBAGE);
        stream.write(sStep(s.id, UP));
        stream.end();
      });
      raw.close();
      assert.equal(answers.length, 3);
      assert.equal(discreteObs(asStep(answers[0]).observation), 8 * MAZE_W);
      const err = asError(answers[1]);
      assert.deepEqual([err.code, err.reason], ['INVALID_ARGUMENT', 'MALFORMED_REQUEST']);
      assert.match(err.message, /not a valid protobuf message/);
      assert.equal(discreteObs(asStep(answers[2]).observation), 7 * MAZE_W);
      await env.del(s.id);
    });
  });

  describe('Render', () => {
    it('CartPole RGB_ARRAY: a [400, 600, 3] uint8 frame of 720000 bytes', async () => {
      const s = await env.create({ envId: CARTPOLE, renderMode: RenderMode.RENDER_MODE_RGB_ARRAY });
      await env.reset(s.id, 0, { low: 0, high: 0 });
      const res = await env.render(s.id);
      assert.equal(res.text, '');
      assert.ok(res.frame);
      assert.equal(res.frame.dtype, Dtype.DTYPE_UINT8);
      assert.deepEqual(res.frame.shape, [400, 600, 3]);
      assert.equal(res.frame.data.length, 720000);
      const px = (row: number, col: number) => [...res.frame!.data.subarray((row * 600 + col) * 3, (row * 600 + col) * 3 + 3)];
      assert.deepEqual(px(0, 0), [255, 255, 255], 'white background');
      assert.deepEqual(px(399 - 100, 10), [0, 0, 0], 'the track is a black line at y = 100 (flipped)');
      assert.deepEqual(px(399 - 100, 300), [0, 0, 0], 'the cart is centred');
      // The pole (colour 202, 152, 101) stands upright above the cart.
      assert.deepEqual(px(399 - 150, 300), [202, 152, 101]);
      // ANSI on request.
      const text = await env.render(s.id, RenderMode.RENDER_MODE_ANSI);
      assert.equal(text.frame, undefined);
      assert.equal(text.text, 'x=0.000000 x_dot=0.000000 theta=0.000000 theta_dot=0.000000');
      await env.del(s.id);
    });

    it('GridWorld ANSI: the map text with the agent as A; RGB frames are 20 px per cell', async () => {
      const s = await env.create({ envId: GRIDWORLD, renderMode: RenderMode.RENDER_MODE_ANSI });
      await env.reset(s.id);
      const res = await env.render(s.id);
      assert.equal(res.frame, undefined);
      const lines = res.text.split('\n');
      assert.equal(lines.length, 11);
      assert.ok(lines.every((l) => l.length === 13));
      assert.equal(lines[9], 'A.H..H..H..HG');
      assert.equal(res.text.split('A').length - 1, 1, 'exactly one agent');
      await env.step(s.id, RIGHT);
      assert.equal((await env.render(s.id)).text.split('\n')[9], 'SAH..H..H..HG');
      const rgb = await env.render(s.id, RenderMode.RENDER_MODE_RGB_ARRAY);
      assert.deepEqual(rgb.frame?.shape, [220, 260, 3]);
      assert.equal(rgb.frame?.data.length, 220 * 260 * 3);
      await env.del(s.id);
    });

    it('rejects a bad mode, a bad index and a render before reset', async () => {
      const v = await env.create({ envId: GRIDWORLD, numEnvs: 2 });
      await expectError(env.render(v.id), grpc.status.FAILED_PRECONDITION, { reason: 'STEP_BEFORE_RESET' });
      await env.reset(v.id);
      const second = await env.render(v.id, RenderMode.RENDER_MODE_ANSI, 1);
      assert.match(second.text, /A/);
      await expectError(env.render(v.id, RenderMode.RENDER_MODE_ANSI, 2), grpc.status.INVALID_ARGUMENT, { field: 'index', reason: 'OUT_OF_RANGE', message: /\[0, 1\], got 2/ });
      await expectError(env.render(v.id, RenderMode.RENDER_MODE_NONE), grpc.status.INVALID_ARGUMENT, { field: 'mode' });
      await expectError(env.render(v.id, 42 as RenderMode), grpc.status.INVALID_ARGUMENT, { field: 'mode', message: /got 42/ });
      await env.del(v.id);
    });
  });

  describe('errors', () => {
    it('unknown env id: INVALID_ARGUMENT listing the available ids', async () => {
      const d = await expectError(env.create({ envId: 'Pong-v0' }), grpc.status.INVALID_ARGUMENT, {
        field: 'env_id',
        reason: 'UNKNOWN_ENV_ID',
        message: /unknown env id 'Pong-v0'; available: CartPole-v1, GridWorld-v0/,
      });
      assert.equal(d.field, 'env_id');
      await expectError(env.create({ envId: '' }), grpc.status.INVALID_ARGUMENT, { field: 'env_id', message: /env_id is required; available: CartPole-v1, GridWorld-v0/ });
    });

    it('bad config: unknown key, wrong type, out of range, bad choice, NaN', async () => {
      await expectError(env.create({ config: { gravityy: 9.8 } }), grpc.status.INVALID_ARGUMENT, { field: 'config.gravityy', reason: 'UNKNOWN_OPTION', message: /allowed: kinematics_integrator/ });
      await expectError(env.create({ config: { gravity: 'strong' } }), grpc.status.INVALID_ARGUMENT, { field: 'config.gravity', message: /must be a finite number, got "strong"/ });
      await expectError(env.create({ config: { gravity: 1000 } }), grpc.status.INVALID_ARGUMENT, { field: 'config.gravity', reason: 'OUT_OF_RANGE', message: /\[0\.01, 100\], got 1000/ });
      await expectError(env.create({ config: { max_episode_steps: 2.5 } }), grpc.status.INVALID_ARGUMENT, { field: 'config.max_episode_steps', message: /integer/ });
      await expectError(env.create({ config: { sutton_barto_reward: 1 } }), grpc.status.INVALID_ARGUMENT, { field: 'config.sutton_barto_reward', message: /true or false/ });
      await expectError(env.create({ config: { gravity: NaN } }), grpc.status.INVALID_ARGUMENT, { field: 'config.gravity', message: /finite number, got NaN/ });
      await expectError(env.create({ envId: GRIDWORLD, config: { world: 'huge_maze' } }), grpc.status.INVALID_ARGUMENT, { field: 'config.world', message: /must be one of .*small_maze/ });
      await expectError(env.create({ envId: GRIDWORLD, config: { map: 'S.\n.X' } }), grpc.status.INVALID_ARGUMENT, { field: 'config.map' });
      await expectError(env.create({ rewardFunction: 'shaped' }), grpc.status.INVALID_ARGUMENT, { field: 'reward_function', reason: 'UNKNOWN_REWARD_FUNCTION', message: /available: / });
      await expectError(env.create({ envId: GRIDWORLD, rewardParams: { lava: 1 } }), grpc.status.INVALID_ARGUMENT, { field: 'reward_params.lava', reason: 'UNKNOWN_OPTION' });
      await expectError(env.create({ renderMode: 9 as RenderMode }), grpc.status.INVALID_ARGUMENT, { field: 'render_mode' });
      await expectError(env.create({ autoresetMode: 9 as AutoresetMode }), grpc.status.INVALID_ARGUMENT, { field: 'autoreset_mode' });
    });

    it('negative seeds and bad num_envs', async () => {
      await expectError(env.create({ seed: -1 }), grpc.status.INVALID_ARGUMENT, { field: 'seed', reason: 'BAD_SEED', message: /seed must be an integer in \[0, 9007199254740991\], got -1/ });
      const s = await env.create({});
      await expectError(env.reset(s.id, -5), grpc.status.INVALID_ARGUMENT, { field: 'seed', reason: 'BAD_SEED', message: /got -5/ });
      await expectError(env.create({ numEnvs: -2 }), grpc.status.INVALID_ARGUMENT, { field: 'num_envs', reason: 'OUT_OF_RANGE', message: /\[1, 65536\], got -2/ });
      await expectError(env.create({ numEnvs: 65537 }), grpc.status.INVALID_ARGUMENT, { field: 'num_envs', reason: 'OUT_OF_RANGE' });
      await env.del(s.id);
    });

    it('Step: before reset, out of range, missing action, on a vector session, unknown or empty id', async () => {
      const s = await env.create({ envId: CARTPOLE });
      await expectError(env.step(s.id, 0), grpc.status.FAILED_PRECONDITION, { field: '', reason: 'STEP_BEFORE_RESET', message: /has not been reset: call Reset before Step/ });
      await env.reset(s.id, 1);
      await expectError(env.step(s.id, 2), grpc.status.INVALID_ARGUMENT, { field: 'action', reason: 'ACTION_OUT_OF_RANGE', message: /\[0, 1\] \(Discrete\(2\)\), got 2/ });
      await expectError(env.step(s.id, -1), grpc.status.INVALID_ARGUMENT, { field: 'action', reason: 'ACTION_OUT_OF_RANGE' });
      await expectError(rpc(client, client.step, { id: s.id, action: undefined }), grpc.status.INVALID_ARGUMENT, { field: 'action', reason: 'MISSING_FIELD' });
      await expectError(
        rpc(client, client.step, { id: s.id, action: { kind: { $case: 'tensor', value: float32Tensor([NaN]) } } }),
        grpc.status.INVALID_ARGUMENT,
        { field: 'action.dtype', reason: 'WRONG_DTYPE' },
      );
      await expectError(env.step('nope', 0), grpc.status.NOT_FOUND, { field: 'id', reason: 'ENV_SESSION_NOT_FOUND', message: /env session 'nope' does not exist/ });
      await expectError(env.step('', 0), grpc.status.INVALID_ARGUMENT, { field: 'id', reason: 'MISSING_ID' });
      await expectError(env.get('nope'), grpc.status.NOT_FOUND, { field: 'id' });
      await expectError(env.del('nope'), grpc.status.NOT_FOUND, { field: 'id' });
      const v = await env.create({ envId: CARTPOLE, numEnvs: 2 });
      await env.reset(v.id);
      await expectError(env.step(v.id, 0), grpc.status.FAILED_PRECONDITION, { reason: 'VECTOR_SESSION', message: /use StepBatch/ });
      assert.equal((await env.get(s.id)).totalSteps, 0, 'rejected steps change nothing');
      await env.del(s.id);
      await env.del(v.id);
    });

    it('StepBatch: wrong dtype, shape, byte length, NaN in a float tensor, out-of-range action, before reset', async () => {
      const v = await env.create({ envId: CARTPOLE, numEnvs: 4 });
      await expectError(env.stepBatch(v.id, int32Tensor([0, 1, 0, 1])), grpc.status.FAILED_PRECONDITION, { reason: 'STEP_BEFORE_RESET' });
      await env.reset(v.id, 0);
      await expectError(env.stepBatch(v.id, float32Tensor([0, 1, 0, 1])), grpc.status.INVALID_ARGUMENT, { field: 'actions.dtype', reason: 'WRONG_DTYPE', message: /integer dtype/ });
      await expectError(env.stepBatch(v.id, float32Tensor([0, NaN, 0, 1])), grpc.status.INVALID_ARGUMENT, { field: 'actions.dtype', reason: 'WRONG_DTYPE' });
      await expectError(
        env.stepBatch(v.id, tensorOf(Dtype.DTYPE_FLOAT64, [4], Buffer.from(new Float64Array([0, NaN, 0, 1]).buffer))),
        grpc.status.INVALID_ARGUMENT,
        { field: 'actions.dtype', reason: 'WRONG_DTYPE' },
      );
      await expectError(env.stepBatch(v.id, tensorOf(Dtype.DTYPE_UNSPECIFIED, [4], Buffer.alloc(16))), grpc.status.INVALID_ARGUMENT, { field: 'actions.dtype', reason: 'WRONG_DTYPE', message: /must be set/ });
      await expectError(env.stepBatch(v.id, int32Tensor([0, 1, 0])), grpc.status.INVALID_ARGUMENT, { field: 'actions.shape', reason: 'WRONG_SHAPE', message: /must be \[4\], got \[3\]/ });
      await expectError(env.stepBatch(v.id, int32Tensor([0, 1, 0, 1], [2, 2])), grpc.status.INVALID_ARGUMENT, { field: 'actions.shape', reason: 'WRONG_SHAPE' });
      await expectError(env.stepBatch(v.id, tensorOf(Dtype.DTYPE_INT32, [4], Buffer.alloc(12))), grpc.status.INVALID_ARGUMENT, { field: 'actions.data', reason: 'WRONG_SIZE', message: /16 bytes\), got 12 bytes/ });
      await expectError(env.stepBatch(v.id, int32Tensor([0, 1, 3, 1])), grpc.status.INVALID_ARGUMENT, { field: 'actions[2]', reason: 'ACTION_OUT_OF_RANGE', message: /got 3/ });
      await expectError(rpc(client, client.stepBatch, { id: v.id, actions: undefined }), grpc.status.INVALID_ARGUMENT, { field: 'actions', reason: 'MISSING_FIELD' });
      assert.equal((await env.get(v.id)).totalSteps, 0, 'rejected batches change nothing');
      await env.del(v.id);
    });

    it('a request whose bytes are not valid protobuf: INVALID_ARGUMENT with the error trailer', async () => {
      const raw = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
      try {
        for (const method of ['CreateEnv', 'Step', 'ListEnvTypes']) {
          const p = new Promise<unknown>((resolve, reject) => {
            raw.makeUnaryRequest<null, Buffer>(
              `/gymhost.v1.EnvService/${method}`,
              () => Buffer.from([0xff, 0xff, 0xff]),
              (b) => b,
              null,
              (err, res) => (err ? reject(err) : resolve(res)),
            );
          });
          await expectError(p, grpc.status.INVALID_ARGUMENT, { field: '', reason: 'MALFORMED_REQUEST', message: /not a valid protobuf message/ });
        }
      } finally {
        raw.close();
      }
    });

    it('after all the errors the server still serves a session normally', async () => {
      const s = await env.create({ envId: GRIDWORLD, seed: 9 });
      assert.equal(discreteObs((await env.reset(s.id)).observation), MAZE_START);
      const r = await env.step(s.id, UP);
      assert.deepEqual([discreteObs(r.observation), r.reward], [8 * MAZE_W, -1]);
      await env.del(s.id);
    });
  });

  describe('concurrency', () => {
    it('20 clients stepping their own sessions concurrently get the trajectories they get alone', async () => {
      const CLIENTS = 20;
      const STEPS = 200;
      /** One trajectory: seeded reset, deterministic actions, reset on episode end. */
      const run = async (e: Api, k: number): Promise<string[]> => {
        const s = await e.create({ envId: CARTPOLE, seed: 5000 + k });
        const out: string[] = [cartObs((await e.reset(s.id)).observation).join()];
        let x = k * 2654435761;
        for (let t = 0; t < STEPS; t++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          const r = await e.step(s.id, (x >>> 16) & 1);
          out.push(`${cartObs(r.observation).join()}|${r.reward}|${r.terminated}|${r.truncated}`);
          if (r.terminated || r.truncated) out.push(cartObs((await e.reset(s.id)).observation).join());
        }
        await e.del(s.id);
        return out;
      };
      const clients = Array.from({ length: CLIENTS }, () => envClient(server));
      try {
        const together = await Promise.all(clients.map((c, k) => run(api(c), k)));
        for (let k = 0; k < CLIENTS; k++) {
          const alone = await run(env, k);
          assert.equal(together[k].length, alone.length);
          assert.deepEqual(together[k], alone, `client ${k}`);
        }
        assert.ok(together.some((t) => t.length > STEPS + 1), 'some episodes ended and were reset');
        assert.notDeepEqual(together[0], together[1]);
      } finally {
        for (const c of clients) c.close();
      }
    });
  });

  describe('standard services', () => {
    it('grpc.health.v1 Check is SERVING for "" and gymhost.v1.EnvService, NOT_FOUND for others', async () => {
      const health = healthClient(server);
      const check = (service: string) =>
        new Promise<{ status: string }>((resolve, reject) => health.check({ service }, (err, res) => (err ? reject(err) : resolve(res))));
      try {
        assert.deepEqual(await check(''), { status: 'SERVING' });
        assert.deepEqual(await check('gymhost.v1.EnvService'), { status: 'SERVING' });
        await assert.rejects(check('gymhost.v1.Nope'), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
      } finally {
        health.close();
      }
    });

    it('server reflection lists gymhost.v1.EnvService and serves its file descriptor', async () => {
      const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
      const def = protoLoader.loadSync(reflectionProto, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
      const pkg = grpc.loadPackageDefinition(def) as any;
      const reflection = new pkg.grpc.reflection.v1.ServerReflection(server.grpcAddress, grpc.credentials.createInsecure()) as grpc.Client & {
        ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, unknown>, any>;
      };
      try {
        const answers = await new Promise<any[]>((resolve, reject) => {
          const stream = reflection.ServerReflectionInfo();
          const out: any[] = [];
          stream.on('data', (r: any) => out.push(r));
          stream.on('error', reject);
          stream.on('end', () => resolve(out));
          stream.write({ list_services: '' });
          stream.write({ file_containing_symbol: 'gymhost.v1.EnvService' });
          stream.end();
        });
        assert.equal(answers.length, 2);
        const names: string[] = answers[0].list_services_response.service.map((s: { name: string }) => s.name);
        assert.ok(names.includes('gymhost.v1.EnvService'), `services: ${names}`);
        const files: Buffer[] = answers[1].file_descriptor_response?.file_descriptor_proto ?? [];
        assert.ok(files.length >= 1);
        const all = Buffer.concat(files).toString('latin1');
        assert.ok(all.includes('gymhost/v1/env_service.proto'));
        assert.ok(all.includes('StepStream'));
      } finally {
        reflection.close();
      }
    });
  });
});

// ---- servers with tight limits ------------------------------------------------------------------

describe('gRPC limits', () => {
  let server: RunningServer;
  let client: EnvServiceClient;
  let env: Api;

  before(async () => {
    server = await startTestServer({ maxSessions: 3, maxNumEnvs: 16 }, { maxMessageBytes: 64 * 1024 });
    client = envClient(server);
    env = api(client);
  });

  after(async () => {
    client.close();
    await server.close(500);
  });

  it('ListEnvTypes reports the limits', async () => {
    const res = await env.listEnvTypes();
    assert.equal(res.maxSessions, 3);
    assert.equal(res.maxNumEnvs, 16);
  });

  it('too many sessions: RESOURCE_EXHAUSTED; deleting one frees a slot', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await env.create({ envId: GRIDWORLD })).id);
    await expectError(env.create({ envId: CARTPOLE }), grpc.status.RESOURCE_EXHAUSTED, { reason: 'TOO_MANY_SESSIONS', message: /at most 3/ });
    await env.del(ids.pop()!);
    ids.push((await env.create({ envId: CARTPOLE })).id);
    for (const id of ids) await env.del(id);
  });

  it('num_envs above the limit: INVALID_ARGUMENT naming num_envs', async () => {
    await expectError(env.create({ numEnvs: 17 }), grpc.status.INVALID_ARGUMENT, { field: 'num_envs', reason: 'OUT_OF_RANGE', message: /\[1, 16\], got 17/ });
    const ok = await env.create({ numEnvs: 16 });
    assert.equal(ok.numEnvs, 16);
    await env.del(ok.id);
  });

  it('a message over maxMessageBytes: RESOURCE_EXHAUSTED, and the server goes on', async () => {
    const big = 'S' + '.'.repeat(70 * 1024);
    await assert.rejects(
      rpc(client, client.createEnv, { envId: GRIDWORLD, config: { map: big }, rewardFunction: '', numEnvs: 0, renderMode: 0, autoresetMode: 0 }),
      (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.match(err.details, /larger than max/);
        return true;
      },
    );
    // A response over the limit (a 720000-byte CartPole frame) is RESOURCE_EXHAUSTED too.
    const s = await env.create({ envId: CARTPOLE });
    await env.reset(s.id, 0);
    await assert.rejects(env.render(s.id), (err: grpc.ServiceError) => err.code === grpc.status.RESOURCE_EXHAUSTED && /larger than max/.test(err.details));
    assert.equal((await env.step(s.id, 0)).reward, 1);
    assert.match((await env.render(s.id, RenderMode.RENDER_MODE_ANSI)).text, /^x=/);
    await env.del(s.id);
  });
});

describe('gRPC idle TTL', () => {
  let server: RunningServer;
  let client: EnvServiceClient;
  let env: Api;

  before(async () => {
    server = await startTestServer({ sessionTtlSeconds: 1 });
    client = envClient(server);
    env = api(client);
  });

  after(async () => {
    client.close();
    await server.close(500);
  });

  it('a session idle longer than the TTL is gone (NOT_FOUND saying it expired); a used one stays', async () => {
    assert.equal((await env.listEnvTypes()).sessionTtlSeconds, 1);
    const idle = await env.create({ envId: CARTPOLE });
    const busy = await env.create({ envId: GRIDWORLD });
    await sleep(700);
    await env.reset(busy.id);
    await sleep(600);
    server.envs.sessions.sweep();
    await expectError(env.get(idle.id), grpc.status.NOT_FOUND, { field: 'id', reason: 'ENV_SESSION_NOT_FOUND', message: /expired after 1 s idle/ });
    await expectError(env.reset(idle.id), grpc.status.NOT_FOUND, { message: /expired/ });
    const ids = (await env.list()).map((e) => e.id);
    assert.ok(ids.includes(busy.id) && !ids.includes(idle.id));
    assert.equal(discreteObs((await env.step(busy.id, UP)).observation), 8 * MAZE_W);
    await env.del(busy.id);
  });
});

describe('gRPC shutdown', () => {
  it('health turns NOT_SERVING for watchers once close begins', { timeout: 10_000 }, async () => {
    const server = await startTestServer();
    const health = healthClient(server);
    const seen: string[] = [];
    const watch = health.watch({ service: 'gymhost.v1.EnvService' });
    const notServing = new Promise<void>((resolve, reject) => {
      watch.on('data', (r: { status: string }) => {
        seen.push(r.status);
        if (r.status === 'NOT_SERVING') resolve();
      });
      watch.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
    });
    while (seen.length === 0) await sleep(10);
    assert.deepEqual(seen, ['SERVING']);
    const closing = server.close(300);
    await notServing;
    assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
    watch.cancel();
    health.close();
    await closing;
  });
});
