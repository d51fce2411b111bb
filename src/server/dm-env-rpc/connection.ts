/**
 * One dm_env_rpc connection (one Process stream) of an admitted caller: its requests
 * answered one at a time, in order, over gymhost's EnvService (so quotas, ownership,
 * worker-hosted sessions and step metrics are the same as for EnvService calls).
 *
 * A world is a single-env gymhost session (world_name = session id); CreateWorld makes one
 * owned by the caller. Episodes follow dm_env_rpc's states as dm_env_adaptor reads them:
 * the first Step after JoinWorld, Reset or an episode's end ignores its actions and answers
 * RUNNING with the episode's first observation (reward 0); a Step that ends the episode
 * answers TERMINATED (discount 0) or, when the step limit truncated it, INTERRUPTED
 * (discount 1). Errors are thrown (DomainError, or Unimplemented for unknown kinds).
 */
import { failedPrecondition, invalidArgument } from '../../core/errors.js';
import type { Caller } from '../../core/sessions/caller.js';
import type { Access } from '../../core/sessions/session-store.js';
import type { Space } from '../../core/spaces.js';
import {
  EnvironmentStateType,
  type ActionObservationSpecs,
  type CreateWorldRequest,
  type CreateWorldResponse,
  type DestroyWorldRequest,
  type DestroyWorldResponse,
  type EnvironmentRequest,
  type EnvironmentResponse,
  type JoinWorldRequest,
  type JoinWorldResponse,
  type ResetRequest,
  type ResetResponse,
  type ResetWorldRequest,
  type ResetWorldResponse,
  type StepRequest,
  type StepResponse,
  type Tensor,
} from '../../gen/dm_env_rpc/v1/dm_env_rpc.js';
import type { AnyEnvSession, EnvService } from '../services/env-service.js';
import { checkJoinSettings, createEnvRequestOf, resetSettingsOf } from './settings.js';
import { ACTION_UID, DISCOUNT_UID, OBSERVATION_NAMES, OBSERVATION_UID, REWARD_UID, worldSpecs } from './specs.js';
import { Unimplemented } from './status.js';
import { discreteAction, doubleScalar, observationTensor } from './tensors.js';
import type { World, Worlds } from './worlds.js';

const KINDS = 'create_world, join_world, step, reset, reset_world, leave_world, destroy_world';

/** What a connection works with. */
export interface ConnectionDeps {
  readonly envs: EnvService;
  readonly worlds: Worlds;
  /** Writes the audit line of a world (env session) created or destroyed. */
  readonly audit: (action: 'create' | 'delete', id: string) => void;
}

/** `map(value)`, or a promise of it when `value` is a promise. */
function then<T, U>(value: T | Promise<T>, map: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(map) : map(value);
}

export class DmEnvRpcConnection {
  /** The world this connection is joined to. */
  private joined: World | undefined;
  /** This connection, as World.joinedBy knows it. */
  private readonly token = {};

  constructor(
    private readonly deps: ConnectionDeps,
    private readonly caller: Caller,
  ) {}

  /** The response to one request (a promise when the env runs on a worker thread or a creation is saved). */
  handle(req: EnvironmentRequest): EnvironmentResponse | Promise<EnvironmentResponse> {
    const p = req.payload;
    switch (p?.$case) {
      case 'createWorld':
        return then(this.createWorld(p.value), (value) => ({ payload: { $case: 'createWorld', value } }));
      case 'joinWorld':
        return { payload: { $case: 'joinWorld', value: this.joinWorld(p.value) } };
      case 'step':
        return then(this.step(p.value), (value) => ({ payload: { $case: 'step', value } }));
      case 'reset':
        return then(this.reset(p.value), (value) => ({ payload: { $case: 'reset', value } }));
      case 'resetWorld':
        return then(this.resetWorld(p.value), (value) => ({ payload: { $case: 'resetWorld', value } }));
      case 'leaveWorld':
        this.leave();
        return { payload: { $case: 'leaveWorld', value: {} } };
      case 'destroyWorld':
        return then(this.destroyWorld(p.value), (value) => ({ payload: { $case: 'destroyWorld', value } }));
      case 'extension':
        throw new Unimplemented(`extension requests (${p.value.typeUrl || 'no type URL'}) are not served by gymhost; it serves ${KINDS}`);
      default:
        throw new Unimplemented(`the request sets no payload this server knows; gymhost serves ${KINDS}`);
    }
  }

  /** Leaves the joined world, if any (LeaveWorld, and when the stream ends). */
  leave(): void {
    const world = this.joined;
    if (!world) return;
    if (world.joinedBy === this.token) world.joinedBy = undefined;
    this.joined = undefined;
  }

  private createWorld(req: CreateWorldRequest): Promise<CreateWorldResponse> {
    const create = createEnvRequestOf(req.settings);
    return this.deps.envs.createEnvWhenReady(create, this.caller).then((res) => {
      const id = res.env!.id;
      this.deps.audit('create', id);
      return { worldName: id };
    });
  }

  private joinWorld(req: JoinWorldRequest): JoinWorldResponse {
    if (this.joined) {
      throw failedPrecondition(`this connection is joined to world '${this.joined.id}' already; send LeaveWorld first (one world per connection)`, 'ALREADY_JOINED', 'world_name');
    }
    checkJoinSettings(req.settings);
    const session = this.session(req.worldName, 'write');
    const specs = this.specsOf(session);
    const world = this.deps.worlds.of(session);
    if (world.joinedBy) {
      throw failedPrecondition(`world '${session.id}' has an agent joined on another connection; gymhost worlds host one agent: that connection must LeaveWorld (or end) first`, 'WORLD_HAS_AGENT', 'world_name');
    }
    world.joinedBy = this.token;
    world.agentRunning = false;
    this.joined = world;
    // A new agent starts a new episode: one left running by an earlier agent is abandoned.
    if (world.phase === 'running') world.phase = 'idle';
    world.interruptPending = false;
    return { specs };
  }

  private step(req: StepRequest): StepResponse | Promise<StepResponse> {
    const world = this.requireJoined('Step');
    const session = this.session(world.id, 'write');
    const requested = checkRequested(req.requestedObservations);
    if (world.interruptPending) {
      world.interruptPending = false;
      // A ResetWorld from another connection ended the agent's episode: say so once, then the next Step starts the new one.
      if (world.agentRunning && world.lastObservation) return answer(world, EnvironmentStateType.INTERRUPTED, world.lastObservation, 0, 1, requested);
    }
    const id = world.id;
    const epoch = world.epoch;
    switch (world.phase) {
      case 'ready': {
        world.phase = 'running';
        const observation = world.readyObservation!;
        world.readyObservation = undefined;
        return answer(world, EnvironmentStateType.RUNNING, observation, 0, 1, requested);
      }
      case 'idle': {
        world.stepping = true;
        return settle(world, this.deps.envs.reset({ id, seed: undefined, options: undefined }, this.caller), (res) => {
          if (world.epoch === epoch) world.phase = 'running';
          return answer(world, EnvironmentStateType.RUNNING, observationTensor(res.observation), 0, 1, requested);
        });
      }
      case 'running': {
        const action = readAction(req.actions, session.actionSpace);
        world.stepping = true;
        return settle(world, this.deps.envs.step({ id, action: { kind: { $case: 'discrete', value: action } } }, this.caller), (res) => {
          const state = res.terminated ? EnvironmentStateType.TERMINATED : res.truncated ? EnvironmentStateType.INTERRUPTED : EnvironmentStateType.RUNNING;
          // After a ResetWorld that came while this step ran, the phase is the reset's.
          if (world.epoch === epoch && state !== EnvironmentStateType.RUNNING) world.phase = 'idle';
          return answer(world, state, observationTensor(res.observation), res.reward, res.terminated ? 0 : 1, requested);
        });
      }
    }
  }

  private reset(req: ResetRequest): ResetResponse | Promise<ResetResponse> {
    const world = this.requireJoined('Reset');
    const session = this.session(world.id, 'write');
    const specs = this.specsOf(session);
    // After a Reset the agent is between episodes (dm_env_adaptor expects no INTERRUPTED).
    const endEpisode = () => {
      world.agentRunning = false;
      world.interruptPending = false;
    };
    if (Object.keys(req.settings).length === 0) {
      // No settings: the running episode (if any) ends; the next Step starts one. Otherwise a no-op.
      if (world.phase === 'running') world.phase = 'idle';
      endEpisode();
      return { specs };
    }
    const { seed, options } = resetSettingsOf(req.settings, session.type, 'Reset');
    return then(this.deps.envs.reset({ id: world.id, seed, options }, this.caller), (res) => {
      world.phase = 'ready';
      world.readyObservation = observationTensor(res.observation);
      endEpisode();
      return { specs };
    });
  }

  private resetWorld(req: ResetWorldRequest): ResetWorldResponse | Promise<ResetWorldResponse> {
    const session = this.session(req.worldName, 'write');
    this.specsOf(session);
    const world = this.deps.worlds.of(session);
    const { seed, options } = resetSettingsOf(req.settings, session.type, 'ResetWorld');
    return then(this.deps.envs.reset({ id: session.id, seed, options }, this.caller), (res) => {
      world.epoch++;
      // Another connection's agent inside an episode is told INTERRUPTED on its next Step; the
      // caller's own agent (or one not inside an episode) starts the new episode on its next Step.
      if (world.joinedBy !== undefined && world.joinedBy !== this.token && (world.agentRunning || world.stepping)) world.interruptPending = true;
      world.phase = 'ready';
      world.readyObservation = observationTensor(res.observation);
      return {};
    });
  }

  private destroyWorld(req: DestroyWorldRequest): DestroyWorldResponse | Promise<DestroyWorldResponse> {
    const session = this.session(req.worldName, 'delete');
    if (this.joined?.id === session.id) {
      throw failedPrecondition(`this connection is joined to world '${session.id}'; send LeaveWorld before DestroyWorld`, 'WORLD_JOINED', 'world_name');
    }
    if (this.deps.worlds.of(session).joinedBy !== undefined) {
      throw failedPrecondition(`world '${session.id}' has an agent joined on another connection; it must LeaveWorld (or end) before the world is destroyed`, 'WORLD_HAS_AGENT', 'world_name');
    }
    return then(this.deps.envs.deleteEnv({ id: session.id }, this.caller), () => {
      this.deps.audit('delete', session.id);
      return {};
    });
  }

  /** The session of world `id` if the caller may `access` it (another user's is NOT_FOUND); single envs only. */
  private session(id: string, access: Access): AnyEnvSession {
    const session = this.deps.envs.sessions.get(id, this.caller, 'world_name', access);
    if (session.numEnvs !== 1) {
      throw failedPrecondition(`session '${id}' is a vector session (num_envs ${session.numEnvs}); a dm_env_rpc world is a single env: create one with CreateWorld`, 'VECTOR_SESSION', 'world_name');
    }
    return session;
  }

  private specsOf(session: AnyEnvSession): ActionObservationSpecs {
    return worldSpecs(session.id, session.observationSpace, session.actionSpace);
  }

  private requireJoined(what: string): World {
    if (!this.joined) throw failedPrecondition(`${what} needs a joined world: send JoinWorld first (CreateWorld makes one)`, 'NOT_JOINED');
    return this.joined;
  }
}

/** Runs `map` on the env's answer, clearing World.stepping however the call ends. */
function settle<T, U>(world: World, value: T | Promise<T>, map: (v: T) => U): U | Promise<U> {
  if (!(value instanceof Promise)) {
    world.stepping = false;
    return map(value);
  }
  return value.then(
    (v) => {
      world.stepping = false;
      return map(v);
    },
    (err) => {
      world.stepping = false;
      throw err;
    },
  );
}

/** The requested observation UIDs, checked (an empty list asks for none). */
function checkRequested(uids: readonly number[]): ReadonlySet<number> {
  for (const [i, uid] of uids.entries()) {
    if (!OBSERVATION_NAMES.has(uid)) {
      const known = [...OBSERVATION_NAMES].map(([u, n]) => `${u} (${n})`).join(', ');
      throw invalidArgument(`requested_observations[${i}]`, `unknown observation uid ${uid}; this world's observations are ${known}`, 'UNKNOWN_UID');
    }
  }
  return new Set(uids);
}

/** The action of a Step inside an episode: uid ACTION_UID, a member of the Discrete action space. */
function readAction(actions: { readonly [uid: number]: Tensor }, space: Space): number {
  const range = space.kind === 'discrete' ? `an INT32 scalar in [${space.start}, ${space.start + space.n - 1}]` : 'a tensor';
  for (const key of Object.keys(actions)) {
    if (Number(key) !== ACTION_UID) throw invalidArgument(`actions[${key}]`, `unknown action uid ${key}; this world's one action is uid ${ACTION_UID} ('action'): ${range}`, 'UNKNOWN_UID');
  }
  const t = actions[ACTION_UID];
  if (!t) {
    throw invalidArgument(`actions[${ACTION_UID}]`, `a Step inside an episode needs the action: uid ${ACTION_UID} ('action'), ${range}`, 'MISSING_FIELD');
  }
  return discreteAction(t, `actions[${ACTION_UID}]`);
}

/** A StepResponse with the requested observations; remembers what the agent was told. */
function answer(world: World, state: EnvironmentStateType, observation: Tensor, reward: number, discount: number, requested: ReadonlySet<number>): StepResponse {
  world.lastObservation = observation;
  world.agentRunning = state === EnvironmentStateType.RUNNING;
  const observations: { [uid: number]: Tensor } = {};
  if (requested.has(OBSERVATION_UID)) observations[OBSERVATION_UID] = observation;
  if (requested.has(REWARD_UID)) observations[REWARD_UID] = doubleScalar(reward);
  if (requested.has(DISCOUNT_UID)) observations[DISCOUNT_UID] = doubleScalar(discount);
  return { state, observations };
}
