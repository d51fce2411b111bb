/**
 * dm_env_rpc.v1.Environment/Process on a real server, with a grpc-js client built from the
 * generated types (src/gen/dm_env_rpc): every request kind, the episode states
 * dm_env_adaptor relies on, bad input answered inline (the stream goes on), isolation
 * between users, authentication, quotas, health, reflection, metrics and shutdown.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { service as healthService } from 'grpc-health-check';
import {
  DataType,
  EnvironmentClient,
  EnvironmentRequest,
  EnvironmentResponse,
  EnvironmentService,
  EnvironmentStateType,
  type ActionObservationSpecs,
  type StepResponse,
  type Tensor,
} from '../../src/gen/dm_env_rpc/v1/dm_env_rpc.js';
import type { Status } from '../../src/gen/google/rpc/status.js';
import { ErrorDetail } from '../../src/gen/gymhost/v1/errors.js';
import { ANONYMOUS } from '../../src/core/sessions/caller.js';
import type { RunningServer } from '../../src/server/server.js';
import { startTestServer } from '../helpers/server.js';
import { makeUsersFile } from '../helpers/users.js';

const require = createRequire(import.meta.url);
const { RUNNING, TERMINATED, INTERRUPTED } = EnvironmentStateType;

// ---- tensors as a client writes them (Python's pack_tensor: ints as int64s, floats as doubles) ----

const str = (s: string): Tensor => ({ payload: { $case: 'strings', value: { array: [s] } }, shape: [] });
const int = (n: number): Tensor => ({ payload: { $case: 'int64s', value: { array: [n] } }, shape: [] });
const i32 = (n: number): Tensor => ({ payload: { $case: 'int32s', value: { array: [n] } }, shape: [] });
const dbl = (x: number): Tensor => ({ payload: { $case: 'doubles', value: { array: [x] } }, shape: [] });
const bool = (b: boolean): Tensor => ({ payload: { $case: 'bools', value: { array: [b] } }, shape: [] });

type Payload = NonNullable<EnvironmentRequest['payload']>;
type ResponseCase = NonNullable<EnvironmentResponse['payload']>['$case'];

/** One Process stream: requests sent in order, answers taken in order. */
class DmStream {
  private readonly call: grpc.ClientDuplexStream<EnvironmentRequest, EnvironmentResponse>;
  private readonly waiting: { resolve: (r: EnvironmentResponse) => void; reject: (e: Error) => void }[] = [];
  /** The stream's end: undefined when it ended OK, else its error. */
  readonly ended: Promise<grpc.ServiceError | undefined>;

  constructor(client: EnvironmentClient, token?: string) {
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    this.call = client.process(md);
    this.call.on('data', (r: EnvironmentResponse) => this.waiting.shift()?.resolve(r));
    this.ended = new Promise((resolve) => {
      this.call.on('error', (e: grpc.ServiceError) => {
        for (const w of this.waiting.splice(0)) w.reject(e);
        resolve(e);
      });
      this.call.on('end', () => resolve(undefined));
    });
  }

  send(payload: Payload | undefined): Promise<EnvironmentResponse> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.call.write({ payload });
    });
  }

  /** The answer's value, asserting it is the `expected` kind, not an error. */
  async ok<C extends ResponseCase>(payload: Payload, expected: C): Promise<Extract<NonNullable<EnvironmentResponse['payload']>, { $case: C }>['value']> {
    const res = await this.send(payload);
    assert.equal(res.payload?.$case, expected, `expected ${expected}, got ${JSON.stringify(res.payload)}`);
    return res.payload!.value as any;
  }

  /** The error answered for `payload`, with its ErrorDetail; asserts the code. */
  async err(payload: Payload | undefined, code: grpc.status, message?: RegExp): Promise<{ status: Status; detail: ErrorDetail }> {
    const res = await this.send(payload);
    assert.equal(res.payload?.$case, 'error', `expected an error, got ${JSON.stringify(res.payload)}`);
    const status = res.payload!.value as Status;
    assert.equal(status.code, code, `code ${status.code} (${status.message})`);
    if (message) assert.match(status.message, message);
    assert.equal(status.details[0]?.typeUrl, 'type.googleapis.com/gymhost.v1.ErrorDetail');
    return { status, detail: ErrorDetail.decode(status.details[0].value) };
  }

  async createWorld(settings: Record<string, Tensor>): Promise<string> {
    return (await this.ok({ $case: 'createWorld', value: { settings } }, 'createWorld')).worldName;
  }

  async join(worldName: string): Promise<ActionObservationSpecs> {
    return (await this.ok({ $case: 'joinWorld', value: { worldName, settings: {} } }, 'joinWorld')).specs!;
  }

  step(action?: number, requested: number[] = [1, 2, 3]): Promise<StepResponse> {
    return this.ok({ $case: 'step', value: { actions: action === undefined ? {} : { 1: i32(action) }, requestedObservations: requested } }, 'step');
  }

  close(): void {
    this.call.end();
  }
}

const floats = (t: Tensor | undefined): number[] => {
  assert.equal(t?.payload?.$case, 'floats');
  return (t!.payload as { value: { array: number[] } }).value.array;
};
const scalar = (t: Tensor | undefined): number => {
  const p = t?.payload;
  assert.ok(p && (p.$case === 'doubles' || p.$case === 'int32s'), JSON.stringify(t));
  assert.deepEqual(t!.shape, []);
  return (p.value as { array: number[] }).array[0];
};
const reward = (s: StepResponse) => scalar(s.observations[2]);
const discount = (s: StepResponse) => scalar(s.observations[3]);
/** CartPole's balancing policy: push toward where the pole falls. */
const balance = (obs: number[]) => (obs[2] + 0.5 * obs[3] > 0 ? 1 : 0);

/** The observation of gymhost's own Reset of a new CartPole session with `seed` (the reference). */
async function cartPoleResetObservation(server: RunningServer, seed: number, options?: Record<string, unknown>): Promise<number[]> {
  const created = await server.envs.createEnvWhenReady({ envId: 'CartPole-v1', seed, rewardFunction: '', numEnvs: 1, renderMode: 0, autoresetMode: 0 }, ANONYMOUS);
  const res = await server.envs.reset({ id: created.env!.id, options }, ANONYMOUS);
  await server.envs.deleteEnv({ id: created.env!.id }, ANONYMOUS);
  const t = res.observation!.kind!;
  assert.equal(t.$case, 'tensor');
  const data = (t.value as { data: Buffer }).data;
  return [...new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))];
}

describe('dm_env_rpc Environment/Process', () => {
  let server: RunningServer;
  let client: EnvironmentClient;

  before(async () => {
    server = await startTestServer();
    client = new EnvironmentClient(server.grpcAddress, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.close(100);
  });

  it('CreateWorld makes a CartPole session; JoinWorld answers the specs dm_env_adaptor reads', async () => {
    const s = new DmStream(client);
    try {
      const world = await s.createWorld({ env_id: str('CartPole-v1'), seed: int(5), max_episode_steps: int(20), gravity: dbl(9.8) });
      const env = (await server.envs.getEnv({ id: world }, ANONYMOUS)).env!;
      assert.equal(env.envId, 'CartPole-v1');
      assert.equal(env.config!.max_episode_steps, 20);
      assert.equal(env.owner, 'anonymous');
      const specs = await s.join(world);
      assert.deepEqual(specs.actions, {
        1: { name: 'action', shape: [], dtype: DataType.INT32, min: { payload: { $case: 'int32s', value: { array: [0] } } }, max: { payload: { $case: 'int32s', value: { array: [1] } } } },
      });
      const obs = specs.observations[1];
      assert.equal(obs.name, 'observation');
      assert.equal(obs.dtype, DataType.FLOAT);
      assert.deepEqual(obs.shape, [4]);
      assert.deepEqual(floats({ payload: obs.max!.payload as Tensor['payload'], shape: [] }), [Math.fround(4.8), Infinity, Math.fround((2 * 12 * 2 * Math.PI) / 360), Infinity]);
      assert.deepEqual(specs.observations[2], { name: 'reward', shape: [], dtype: DataType.DOUBLE, min: undefined, max: undefined });
      assert.equal(specs.observations[3].name, 'discount');
      assert.deepEqual(specs.observations[3].min, { payload: { $case: 'doubles', value: { array: [0] } } });
      assert.deepEqual(specs.observations[3].max, { payload: { $case: 'doubles', value: { array: [1] } } });
    } finally {
      s.close();
    }
  });

  it('Steps: the first starts the episode (actions ignored), truncation is INTERRUPTED with discount 1, termination TERMINATED with discount 0', async () => {
    const s = new DmStream(client);
    try {
      const world = await s.createWorld({ env_id: str('CartPole-v1'), seed: int(5), max_episode_steps: int(20) });
      await s.join(world);
      const first = await s.step(7); // an out-of-range action: ignored on the first step
      assert.equal(first.state, RUNNING);
      assert.deepEqual(floats(first.observations[1]), await cartPoleResetObservation(server, 5));
      assert.equal(reward(first), 0);
      assert.equal(discount(first), 1);
      let obs = floats(first.observations[1]);
      for (let t = 1; t <= 20; t++) {
        const r = await s.step(balance(obs));
        obs = floats(r.observations[1]);
        assert.equal(reward(r), 1);
        if (t < 20) assert.equal(r.state, RUNNING, `step ${t}`);
        else {
          assert.equal(r.state, INTERRUPTED, 'the step limit truncates: INTERRUPTED');
          assert.equal(discount(r), 1);
        }
      }
      // The next step starts a new episode (unseeded: it continues the seed's stream).
      const next = await s.step();
      assert.equal(next.state, RUNNING);
      assert.equal(reward(next), 0);
      let last: StepResponse = next;
      for (let t = 0; t < 20 && last.state === RUNNING; t++) last = await s.step(1);
      assert.equal(last.state, TERMINATED, 'always pushing right topples the pole within 20 steps');
      assert.equal(discount(last), 0);
      assert.equal(reward(last), 1);
      // Only the requested observations are answered; none when none are requested.
      const only = await s.step(0, [2]);
      assert.deepEqual(Object.keys(only.observations), ['2']);
      const none = await s.step(0, []);
      assert.deepEqual(none.observations, {});
    } finally {
      s.close();
    }
  });

  it('Reset with settings (seed, reset options) starts the next episode from them; without settings it ends the running one', async () => {
    const s = new DmStream(client);
    try {
      const world = await s.createWorld({ env_id: str('CartPole-v1') });
      const specs = await s.join(world);
      const reset = await s.ok({ $case: 'reset', value: { settings: { seed: int(11) } } }, 'reset');
      assert.deepEqual(reset.specs, specs);
      const a = await s.step(1);
      assert.equal(a.state, RUNNING);
      assert.deepEqual(floats(a.observations[1]), await cartPoleResetObservation(server, 11));
      await s.step(1);
      await s.ok({ $case: 'reset', value: { settings: { low: dbl(0.01), high: dbl(0.01) } } }, 'reset');
      const b = await s.step(0);
      assert.equal(b.state, RUNNING);
      assert.deepEqual(floats(b.observations[1]), new Array(4).fill(Math.fround(0.01)));
      assert.equal(reward(b), 0);
      // Reset without settings mid-episode: the next step starts a new episode (reward 0).
      await s.step(1);
      await s.ok({ $case: 'reset', value: { settings: {} } }, 'reset');
      const c = await s.step(1);
      assert.equal(c.state, RUNNING);
      assert.equal(reward(c), 0);
      assert.notDeepEqual(floats(c.observations[1]), floats(b.observations[1]));
    } finally {
      s.close();
    }
  });

  it('GridWorld: Discrete observations as INT32 scalars, a goal TERMINATED; onehot as a FLOAT vector', async () => {
    const s = new DmStream(client);
    try {
      const world = await s.createWorld({ env_id: str('GridWorld-v0'), map: str('S.H\n..G'), seed: int(0) });
      const specs = await s.join(world);
      assert.deepEqual(specs.observations[1], {
        name: 'observation', shape: [], dtype: DataType.INT32, min: { payload: { $case: 'int32s', value: { array: [0] } } }, max: { payload: { $case: 'int32s', value: { array: [5] } } },
      });
      assert.deepEqual(specs.actions[1].max, { payload: { $case: 'int32s', value: { array: [3] } } });
      const states: number[] = [];
      const rewards: number[] = [];
      let r = await s.step();
      states.push(scalar(r.observations[1]));
      for (const a of [3, 1, 3]) {
        r = await s.step(a);
        states.push(scalar(r.observations[1]));
        rewards.push(reward(r));
      }
      assert.deepEqual(states, [0, 1, 4, 5]);
      assert.deepEqual(rewards, [-1, -1, 0]);
      assert.equal(r.state, TERMINATED);
      assert.equal(discount(r), 0);

      const s2 = new DmStream(client);
      try {
        const onehot = await s2.createWorld({ env_id: str('GridWorld-v0'), map: str('S.H\n..G'), encoding: str('onehot'), random_start: bool(false) });
        const spec = (await s2.join(onehot)).observations[1];
        assert.equal(spec.dtype, DataType.FLOAT);
        assert.deepEqual(spec.shape, [6]);
        assert.deepEqual(spec.min, { payload: { $case: 'floats', value: { array: [0] } } });
        assert.deepEqual(floats((await s2.step()).observations[1]), [1, 0, 0, 0, 0, 0]);
      } finally {
        s2.close();
      }
    } finally {
      s.close();
    }
  });

  it('ResetWorld: the joined agent of another connection gets INTERRUPTED once, then the new episode; one of its own starts it at once', async () => {
    const agent = new DmStream(client);
    const host = new DmStream(client);
    try {
      const world = await host.createWorld({ env_id: str('CartPole-v1'), seed: int(1) });
      // No agent yet: the reset episode waits for the first agent's first step.
      await host.ok({ $case: 'resetWorld', value: { worldName: world, settings: { seed: int(21) } } }, 'resetWorld');
      await agent.join(world);
      const first = await agent.step();
      assert.deepEqual(floats(first.observations[1]), await cartPoleResetObservation(server, 21));
      const mid = await agent.step(1);
      assert.equal(mid.state, RUNNING);
      await host.ok({ $case: 'resetWorld', value: { worldName: world, settings: { seed: int(22) } } }, 'resetWorld');
      const interrupted = await agent.step(1);
      assert.equal(interrupted.state, INTERRUPTED);
      assert.deepEqual(interrupted.observations[1], mid.observations[1], 'the last observation again');
      assert.equal(discount(interrupted), 1);
      const restarted = await agent.step(1);
      assert.equal(restarted.state, RUNNING);
      assert.deepEqual(floats(restarted.observations[1]), await cartPoleResetObservation(server, 22));
      // From the joined connection itself: no INTERRUPTED, the next step begins the episode.
      await agent.step(0);
      await agent.ok({ $case: 'resetWorld', value: { worldName: world, settings: { seed: int(23) } } }, 'resetWorld');
      const own = await agent.step(0);
      assert.equal(own.state, RUNNING);
      assert.deepEqual(floats(own.observations[1]), await cartPoleResetObservation(server, 23));
      // An agent between episodes (after its Reset) is not interrupted: its next step starts the reset episode.
      await agent.step(0);
      await agent.ok({ $case: 'reset', value: { settings: {} } }, 'reset');
      await host.ok({ $case: 'resetWorld', value: { worldName: world, settings: { seed: int(24) } } }, 'resetWorld');
      const fresh = await agent.step(0);
      assert.equal(fresh.state, RUNNING);
      assert.deepEqual(floats(fresh.observations[1]), await cartPoleResetObservation(server, 24));
    } finally {
      agent.close();
      host.close();
    }
  });

  it('LeaveWorld and DestroyWorld: leaving twice is a no-op, a destroyed world is gone', async () => {
    const s = new DmStream(client);
    try {
      const world = await s.createWorld({ env_id: str('CartPole-v1') });
      await s.join(world);
      await s.step();
      await s.err({ $case: 'destroyWorld', value: { worldName: world } }, grpc.status.FAILED_PRECONDITION, /joined to world .* send LeaveWorld before DestroyWorld/);
      await s.ok({ $case: 'leaveWorld', value: {} }, 'leaveWorld');
      await s.ok({ $case: 'leaveWorld', value: {} }, 'leaveWorld');
      await s.err({ $case: 'step', value: { actions: {}, requestedObservations: [1] } }, grpc.status.FAILED_PRECONDITION, /needs a joined world: send JoinWorld first/);
      // Another connection may join it now, and the world's next step starts a new episode.
      const other = new DmStream(client);
      await other.join(world);
      assert.equal((await other.step(1)).state, RUNNING);
      await s.err({ $case: 'destroyWorld', value: { worldName: world } }, grpc.status.FAILED_PRECONDITION, /agent joined on another connection/);
      other.close();
      assert.equal(await other.ended, undefined);
      await s.ok({ $case: 'destroyWorld', value: { worldName: world } }, 'destroyWorld');
      await s.err({ $case: 'joinWorld', value: { worldName: world, settings: {} } }, grpc.status.NOT_FOUND, /was deleted/);
      assert.ok(!server.envs.sessions.list(ANONYMOUS).some((e) => e.id === world));
    } finally {
      s.close();
    }
  });

  it('bad input is answered inline with the code and what is allowed; the stream goes on', async () => {
    const s = new DmStream(client);
    try {
      const create = (settings: Record<string, Tensor>) => ({ $case: 'createWorld' as const, value: { settings } });
      let e = await s.err(create({}), grpc.status.INVALID_ARGUMENT, /settings.env_id is required; available: CartPole-v1, GridWorld-v0/);
      assert.equal(e.detail.field, 'settings.env_id');
      assert.ok(e.detail.requestId.length > 0);
      await s.err(create({ env_id: str('Pong-v0') }), grpc.status.INVALID_ARGUMENT, /unknown env id 'Pong-v0'; available: CartPole-v1, GridWorld-v0/);
      await s.err(create({ env_id: int(3) }), grpc.status.INVALID_ARGUMENT, /settings.env_id must be a string, got a int tensor/);
      e = await s.err(create({ env_id: str('CartPole-v1'), colour: str('red') }), grpc.status.INVALID_ARGUMENT, /unknown setting 'colour' for CreateWorld of CartPole-v1; allowed: env_id, seed, reward_function, kinematics_integrator/);
      assert.equal(e.detail.reason, 'UNKNOWN_SETTING');
      await s.err(create({ env_id: str('CartPole-v1'), gravity: str('high') }), grpc.status.INVALID_ARGUMENT, /settings.gravity must be a finite number/);
      await s.err(create({ env_id: str('CartPole-v1'), gravity: dbl(1000) }), grpc.status.INVALID_ARGUMENT, /settings.gravity must be in \[0.01, 100\], got 1000/);
      await s.err(create({ env_id: str('GridWorld-v0'), world: str('nowhere') }), grpc.status.INVALID_ARGUMENT, /settings.world must be one of "small_maze"/);
      await s.err(create({ env_id: str('CartPole-v1'), seed: int(-1) }), grpc.status.INVALID_ARGUMENT, /settings.seed must be an integer in \[0, 9007199254740991\], got -1/);
      await s.err(create({ env_id: str('CartPole-v1'), seed: dbl(1.5) }), grpc.status.INVALID_ARGUMENT, /settings.seed must be an integer/);
      await s.err(create({ env_id: str('CartPole-v1'), seed: { payload: { $case: 'int64s', value: { array: [1, 2] } }, shape: [2] } }), grpc.status.INVALID_ARGUMENT, /settings.seed must be a scalar/);
      await s.err(create({ env_id: str('CartPole-v1'), seed: { payload: { $case: 'int64s', value: { array: [1, 2, 3] } }, shape: [2] } }), grpc.status.INVALID_ARGUMENT, /has 3 elements but shape \[2\] needs 2/);
      await s.err(create({ env_id: { payload: undefined, shape: [] } }), grpc.status.INVALID_ARGUMENT, /settings.env_id has no payload/);
      await s.err(create({ env_id: str('CartPole-v1'), reward_function: str('nope') }), grpc.status.INVALID_ARGUMENT, /unknown reward function 'nope'/);

      await s.err({ $case: 'joinWorld', value: { worldName: '', settings: {} } }, grpc.status.INVALID_ARGUMENT, /world_name is required/);
      await s.err({ $case: 'joinWorld', value: { worldName: 'nosuchworld', settings: {} } }, grpc.status.NOT_FOUND, /env session 'nosuchworld' does not exist/);
      await s.err({ $case: 'reset', value: { settings: {} } }, grpc.status.FAILED_PRECONDITION, /Reset needs a joined world/);
      await s.err({ $case: 'resetWorld', value: { worldName: 'nosuchworld', settings: {} } }, grpc.status.NOT_FOUND);
      await s.err({ $case: 'destroyWorld', value: { worldName: 'nosuchworld' } }, grpc.status.NOT_FOUND);

      const world = await s.createWorld({ env_id: str('CartPole-v1') });
      await s.err({ $case: 'joinWorld', value: { worldName: world, settings: { seed: int(1) } } }, grpc.status.INVALID_ARGUMENT, /JoinWorld takes no settings, got 'seed'/);
      await s.join(world);
      await s.err({ $case: 'joinWorld', value: { worldName: world, settings: {} } }, grpc.status.FAILED_PRECONDITION, /joined to world .* already; send LeaveWorld first/);
      const other = new DmStream(client);
      await other.err({ $case: 'joinWorld', value: { worldName: world, settings: {} } }, grpc.status.FAILED_PRECONDITION, /has an agent joined on another connection/);
      other.close();
      await s.step();
      const step = (actions: Record<number, Tensor>, requestedObservations = [1]) => ({ $case: 'step' as const, value: { actions, requestedObservations } });
      await s.err(step({}), grpc.status.INVALID_ARGUMENT, /a Step inside an episode needs the action: uid 1 \('action'\), an INT32 scalar in \[0, 1\]/);
      e = await s.err(step({ 1: i32(2) }), grpc.status.INVALID_ARGUMENT, /action must be an integer in \[0, 1\] \(Discrete\(2\)\), got 2/);
      assert.equal(e.detail.reason, 'ACTION_OUT_OF_RANGE');
      await s.err(step({ 1: dbl(1) }), grpc.status.INVALID_ARGUMENT, /actions\[1\] must be an integer tensor \(INT32, as the action spec says\), got a float tensor/);
      await s.err(step({ 7: i32(1) }), grpc.status.INVALID_ARGUMENT, /unknown action uid 7; this world's one action is uid 1/);
      await s.err(step({ 1: i32(1) }, [9]), grpc.status.INVALID_ARGUMENT, /unknown observation uid 9; this world's observations are 1 \(observation\), 2 \(reward\), 3 \(discount\)/);
      await s.err({ $case: 'reset', value: { settings: { start_row: int(1) } } }, grpc.status.INVALID_ARGUMENT, /unknown setting 'start_row' for Reset of CartPole-v1; allowed: seed, low, high/);
      await s.err({ $case: 'reset', value: { settings: { low: dbl(0.2), high: dbl(0.1) } } }, grpc.status.INVALID_ARGUMENT, /must be lower than or equal to/);
      // Errors change nothing: the episode goes on.
      assert.equal((await s.step(1)).state, RUNNING);

      await s.err({ $case: 'extension', value: { typeUrl: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) } }, grpc.status.UNIMPLEMENTED, /extension requests .* are not served by gymhost; it serves create_world, join_world, step/);
      await s.err(undefined, grpc.status.UNIMPLEMENTED, /the request sets no payload this server knows/);

      // A vector session (EnvService, num_envs 2) is no world.
      const vec = await server.envs.createEnvWhenReady({ envId: 'CartPole-v1', numEnvs: 2, rewardFunction: '', renderMode: 0, autoresetMode: 0 }, ANONYMOUS);
      await s.ok({ $case: 'leaveWorld', value: {} }, 'leaveWorld');
      await s.err({ $case: 'joinWorld', value: { worldName: vec.env!.id, settings: {} } }, grpc.status.FAILED_PRECONDITION, /is a vector session \(num_envs 2\)/);
      await s.err(step({}), grpc.status.FAILED_PRECONDITION, /Step needs a joined world/);
    } finally {
      s.close();
    }
  });

  it('undecodable bytes are INVALID_ARGUMENT inline', async () => {
    const Raw = grpc.makeGenericClientConstructor({ process: { ...EnvironmentService.process, requestSerialize: (b: Buffer) => b } } as unknown as grpc.ServiceDefinition, 'Environment');
    const raw = new Raw(server.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & { process(): grpc.ClientDuplexStream<Buffer, EnvironmentResponse> };
    try {
      const call = raw.process();
      const answers: EnvironmentResponse[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (r: EnvironmentResponse) => answers.push(r));
        call.on('error', reject);
        call.on('end', () => resolve());
      });
      call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
      call.write(Buffer.from(EnvironmentRequest.encode({ payload: { $case: 'leaveWorld', value: {} } }).finish()));
      call.end();
      await done;
      assert.equal(answers.length, 2);
      assert.equal(answers[0].payload?.$case, 'error');
      const status = answers[0].payload!.value as Status;
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.message, /not a valid protobuf message/);
      assert.equal(answers[1].payload?.$case, 'leaveWorld');
    } finally {
      raw.close();
    }
  });

  it('a world whose reward runs on a worker thread (a registered JavaScript reward) steps the same way', async () => {
    await server.envs.registerReward({ name: 'two_per_step', envId: 'CartPole-v1', env: '', source: '() => 2', description: '', params: [] }, ANONYMOUS);
    const s = new DmStream(client);
    try {
      const world = await s.createWorld({ env_id: str('CartPole-v1'), seed: int(5), reward_function: str('two_per_step') });
      await s.join(world);
      const first = await s.step();
      assert.deepEqual(floats(first.observations[1]), await cartPoleResetObservation(server, 5));
      const next = await s.step(balance(floats(first.observations[1])));
      assert.equal(next.state, RUNNING);
      assert.equal(reward(next), 2);
    } finally {
      s.close();
    }
  });

  it('is listed by health and reflection, and counted in the RPC metrics', async () => {
    const Health = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'Health');
    const health = new Health(server.grpcAddress, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void;
    };
    try {
      const res = await new Promise<{ status: string }>((resolve, reject) => health.check({ service: 'dm_env_rpc.v1.Environment' }, (err, r) => (err ? reject(err) : resolve(r))));
      assert.equal(res.status, 'SERVING');
    } finally {
      health.close();
    }
    const def = protoLoader.loadSync(require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
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
        stream.write({ file_containing_symbol: 'dm_env_rpc.v1.Environment' });
        stream.end();
      });
      const names: string[] = answers[0].list_services_response.service.map((x: { name: string }) => x.name);
      assert.ok(names.includes('dm_env_rpc.v1.Environment'), `services: ${names}`);
      const files = Buffer.concat(answers[1].file_descriptor_response?.file_descriptor_proto ?? []).toString('latin1');
      assert.ok(files.includes('dm_env_rpc/v1/dm_env_rpc.proto'));
    } finally {
      reflection.close();
    }
    const metrics = await (await fetch(`${server.httpAddress}/metrics`)).text();
    assert.match(metrics, /gymhost_rpc_total\{[^}]*method="Environment\/Process"[^}]*code="OK"/);
  });
});

describe('dm_env_rpc with users: authentication, isolation, quotas', () => {
  let server: RunningServer;
  let client: EnvironmentClient;
  let tokens: Record<string, string>;

  before(async () => {
    const users = makeUsersFile([
      { name: 'alice', role: 'student' },
      { name: 'bob', role: 'student', quotas: { envSessions: 1 } },
      { name: 'prof', role: 'instructor' },
    ]);
    tokens = users.tokens;
    server = await startTestServer({}, { usersFile: users.file });
    client = new EnvironmentClient(server.grpcAddress, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.close(100);
  });

  it('no token or a wrong one ends the stream UNAUTHENTICATED', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const s = new DmStream(client, token);
      await assert.rejects(s.send({ $case: 'leaveWorld', value: {} }), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
      assert.equal((await s.ended)?.code, grpc.status.UNAUTHENTICATED);
    }
  });

  it("another user's world is NOT_FOUND, exactly like a missing one; an instructor may not step a student's world", async () => {
    const alice = new DmStream(client, tokens.alice);
    const bob = new DmStream(client, tokens.bob);
    const prof = new DmStream(client, tokens.prof);
    try {
      const world = await alice.createWorld({ env_id: str('CartPole-v1'), seed: int(1) });
      assert.equal((await server.envs.getEnv({ id: world }, { user: 'alice', role: 'student' })).env!.owner, 'alice');
      const missing = await bob.err({ $case: 'joinWorld', value: { worldName: 'nosuchworld', settings: {} } }, grpc.status.NOT_FOUND);
      const theirs = await bob.err({ $case: 'joinWorld', value: { worldName: world, settings: {} } }, grpc.status.NOT_FOUND);
      assert.equal(theirs.status.message, missing.status.message.replace('nosuchworld', world));
      await bob.err({ $case: 'resetWorld', value: { worldName: world, settings: {} } }, grpc.status.NOT_FOUND, /does not exist/);
      await bob.err({ $case: 'destroyWorld', value: { worldName: world } }, grpc.status.NOT_FOUND, /does not exist/);
      const ro = await prof.err({ $case: 'joinWorld', value: { worldName: world, settings: {} } }, grpc.status.PERMISSION_DENIED, /belongs to another user/);
      assert.equal(ro.detail.reason, 'READ_ONLY');
      await alice.join(world);
      assert.equal((await alice.step()).state, RUNNING);
    } finally {
      alice.close();
      bob.close();
      prof.close();
    }
  });

  it('CreateWorld counts against the envSessions quota (RESOURCE_EXHAUSTED inline)', async () => {
    const bob = new DmStream(client, tokens.bob);
    try {
      await bob.createWorld({ env_id: str('GridWorld-v0') });
      const e = await bob.err({ $case: 'createWorld', value: { settings: { env_id: str('GridWorld-v0') } } }, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(e.status.message, /envSessions/);
    } finally {
      bob.close();
    }
  });
});

describe('dm_env_rpc on shutdown', () => {
  it('an open stream ends with UNAVAILABLE and a message when the server drains', async () => {
    const server = await startTestServer();
    const client = new EnvironmentClient(server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const s = new DmStream(client);
      const world = await s.createWorld({ env_id: str('CartPole-v1') });
      await s.join(world);
      await s.step();
      await server.close(2000);
      const end = await s.ended;
      assert.equal(end?.code, grpc.status.UNAVAILABLE);
      assert.match(end!.details, /shutting down/);
    } finally {
      client.close();
    }
  });
});
