/**
 * A worker thread of the compute pool (pool.ts): runs what must not run on the thread that
 * serves RPCs. It holds no agent between tasks (agents come as snapshots and go back the
 * same way); it does host env sessions whose steps are costly or untrusted (sandboxed or
 * plugin reward functions, very large vector sessions), created here by `env.host`.
 *
 * Long tasks (Train, Evaluate) yield to this thread's event loop every few milliseconds, so
 * several tasks on one worker take turns, and a cancel message stops them.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { DomainError } from '../../core/errors.js';
import { createAgent, importAgent } from '../../core/agents/create-agent.js';
import type { Agent, AgentSnapshot } from '../../core/agents/types.js';
import { envTypeById, envTypes } from '../../core/envs/registry.js';
import type { EnvBatch } from '../../core/envs/types.js';
import { resolveOptions } from '../../core/options.js';
import { loadRewardPlugins } from '../../core/rewards/plugins.js';
import type { PluginReward, ResolvedReward } from '../../core/rewards/registry.js';
import { DEFAULT_SANDBOX_LIMITS, loadSandbox, withSandboxes } from '../../core/rewards/sandbox.js';
import type { RewardFunction, SandboxLimits } from '../../core/rewards/types.js';
import type { Caller } from '../../core/sessions/caller.js';
import type { Space } from '../../core/spaces.js';
import { evaluate } from '../../core/training/train.js';
import { runLoop } from '../services/run-loop.js';
import { EnvService, type HostedRewardResolver } from '../services/env-service.js';
import { AGENT_CALLS, evaluationToProto } from '../services/agent-calls.js';
import { messageType, restToCanonical } from '../rest/json.js';
import { parseJsonBody } from '../rest/body.js';
import { agentRoutes, envRoutes, usageRoutes } from '../rest/routes.js';
import { snapshotBuffers, type EnvRecipe, type FromWorker, type RewardSpec, type Tasks, type ToWorker, type WireError } from './protocol.js';

/** What the pool gives each worker. */
export interface WorkerSetup {
  readonly index: number;
  readonly rewardPlugins?: string;
  readonly sandbox?: Partial<SandboxLimits>;
  /**
   * Shared Float64Array slots, one per worker: the time (performance.timeOrigin-based ms)
   * by which the plugin call running now must return, or 0. The pool's watchdog reads it.
   */
  readonly pluginDeadlines: SharedArrayBuffer;
  /** Time a plugin reward call may take, ms. */
  readonly pluginCallMs: number;
  /** Nice value of this thread (Linux): above the request thread's, so that it yields the CPU to it. */
  readonly niceness: number;
}

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const sandboxLimits: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, ...setup.sandbox };
const deadlines = new Float64Array(setup.pluginDeadlines);

/**
 * Plugin functions watched by the pool: the deadline is set in shared memory for the call
 * and cleared after it, so a call that never returns gets this worker restarted.
 */
function watched(p: PluginReward): PluginReward {
  const inner = p.fn;
  const slot = setup.index;
  const fn: RewardFunction<unknown, unknown> = {
    ...inner,
    compute(s, a, sNext, facts, params) {
      deadlines[slot] = performance.timeOrigin + performance.now() + setup.pluginCallMs;
      try {
        return inner.compute(s, a, sNext, facts, params);
      } finally {
        deadlines[slot] = 0;
      }
    },
  };
  return { ...p, fn };
}

let envs: EnvService;

/** A hosted session's reward resolver: plugins and built-ins from this worker's registry, client code from the spec it came with. */
function resolverFor(spec: RewardSpec): HostedRewardResolver {
  let current = spec;
  return {
    setSpec(next: RewardSpec) {
      current = next;
    },
    resolve(type, name, params, owner, sessionId): ResolvedReward {
      const chosen = name || type.defaultRewardFunction;
      if (current.origin === 'client' && chosen === current.name) {
        return {
          name: chosen,
          params: resolveOptions(current.paramSpecs ?? [], params, 'reward_params'),
          origin: 'client',
          impl: { kind: 'sandbox', source: current.source ?? '', limits: sandboxLimits, origin: 'client' },
        };
      }
      return envs.rewards.resolve(type, chosen, params, owner, sessionId);
    },
    use() {},
    sessionClosed() {},
  };
}

/** The reward choice a spec means on this worker. */
function rewardOf(typeId: string, spec: RewardSpec): ResolvedReward {
  return resolverFor(spec).resolve(envTypeById(typeId), spec.name, spec.params, '', '');
}

function buildEnv(recipe: EnvRecipe, seed: number | undefined): EnvBatch {
  const type = envTypeById(recipe.typeId);
  return type.create(1, recipe.config, rewardOf(recipe.typeId, recipe.reward), seed);
}

const running = new Map<number, AbortController>();
const acks = new Map<number, { unacked: number; wake?: () => void }>();
/** Episode records a Train run may have unacknowledged before it waits (backpressure). */
const EVENT_WINDOW = 32;

/** Sends a task's event; resolves once the request thread has taken enough of them. */
function emit(id: number, event: unknown): void | Promise<void> {
  const a = acks.get(id) ?? { unacked: 0 };
  acks.set(id, a);
  a.unacked++;
  post({ type: 'event', id, event });
  if (a.unacked < EVENT_WINDOW) return;
  return new Promise<void>((resolve) => {
    a.wake = resolve;
  });
}

async function hydrate(snapshot: AgentSnapshot): Promise<Agent> {
  return importAgent(snapshot);
}

type Handler<K extends keyof Tasks> = (payload: Tasks[K]['in'], id: number, signal: AbortSignal) => Promise<Tasks[K]['out']> | Tasks[K]['out'];

const handlers: { [K in keyof Tasks]: Handler<K> } = {
  async 'agent.call'({ snapshot, call, req }) {
    const agent = await hydrate(snapshot);
    try {
      const spec = AGENT_CALLS[call];
      const res = spec.run(agent, req as never);
      return { res, snapshot: spec.mutates ? agent.exportSnapshot() : undefined };
    } finally {
      agent.dispose();
    }
  },

  async 'agent.create'({ kind, observationSpace, numActions, config, grid }) {
    const agent = await createAgent(kind, observationSpace as Space, numActions, config, grid);
    try {
      return { snapshot: agent.exportSnapshot() };
    } finally {
      agent.dispose();
    }
  },

  async 'agent.train'({ snapshot, env, options, evalEnv }, id, signal) {
    const agent = await hydrate(snapshot);
    let batch: EnvBatch;
    let hosted: ReturnType<EnvService['hosted']> | undefined;
    if ('lent' in env) {
      batch = buildEnv(env.lent, undefined);
      batch.importState(env.lent.state);
    } else {
      hosted = envs.hosted(env.hosted);
      hosted.busyWith = 'training';
      batch = hosted.batch;
    }
    const start = hosted && { steps: hosted.totalSteps, episodes: hosted.totalEpisodes };
    try {
      const exportEnv = () => {
        if (!hosted) return batch.exportState();
        // The hosted session as it will be after the run so far: reset, its counters advanced.
        const state = hosted.exportState();
        return { ...state, hasReset: true };
      };
      const result = await runLoop(batch, agent, options, () => buildEnv(evalEnv, undefined), exportEnv, (e) => emit(id, e), signal);
      if (hosted && start) {
        hosted.hasReset = true;
        hosted.restoredMidEpisode = false;
        hosted.totalSteps = start.steps + result.steps;
        hosted.totalEpisodes = start.episodes + result.episodes;
      }
      const { best, ...rest } = result;
      return { snapshot: best ?? agent.exportSnapshot(), envState: hosted ? undefined : batch.exportState(), result: { ...rest, keptBest: best !== undefined } };
    } finally {
      if (hosted) hosted.busyWith = undefined;
      agent.dispose();
    }
  },

  async 'agent.evaluate'({ snapshot, env, episodes, seed, recordTrajectories }, _id, signal) {
    const agent = await hydrate(snapshot);
    try {
      const batch = buildEnv(env, seed);
      const result = await evaluate(batch, agent, { episodes, seed, recordTrajectories, signal });
      return evaluationToProto(result, agent.observationSpace);
    } finally {
      agent.dispose();
    }
  },

  'rest.decode'({ body, requestType, rpc }) {
    const route = [...envRoutes, ...agentRoutes, ...usageRoutes].find((r) => r.rpc === rpc && r.request.name === requestType);
    if (!route) throw new Error(`no REST route ${rpc} with request ${requestType}`);
    let raw = parseJsonBody(body);
    if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
      throw new DomainError('INVALID_ARGUMENT', `the request body must be a JSON object (${requestType})`, 'body', 'WRONG_JSON_TYPE');
    }
    if (route.restBody && raw) raw = route.restBody(raw as Record<string, unknown>);
    if (raw) route.check?.(raw as Record<string, unknown>);
    const message = route.request.codec.fromJSON(restToCanonical(messageType(requestType), raw));
    const codec = route.request.codec as unknown as { encode(m: unknown): { finish(): Uint8Array } };
    return { bytes: codec.encode(message).finish() };
  },

  // Hosting a session and SetReward compile client rewards: they wait for sandbox instances.
  async 'env.host'({ id, owner, req, reward, maxNumEnvs, maxBatchObservationBytes, state, restored }) {
    const env = await withSandboxes(() => envs.hostEnv(id, owner, req as never, resolverFor(reward), { maxNumEnvs, maxBatchObservationBytes }, state));
    if (restored) {
      const session = envs.hosted(id);
      session.restoredMidEpisode = session.episodeInProgress;
    }
    return env;
  },

  'env.export'({ id }) {
    return envs.hosted(id).exportState();
  },

  async 'env.call'({ method, req, caller, reward }) {
    if (method === 'setReward') return withSandboxes(() => envs.hostedCall(method, req, caller as Caller, reward));
    return envs.hostedCall(method, req, caller as Caller, reward);
  },

  async 'reward.check'({ source, params }) {
    await withSandboxes(() => envs.rewards.checkSource(source, params));
  },
};

function wireError(err: unknown): WireError {
  if (err instanceof DomainError) return { code: err.code, message: err.message, field: err.field, reason: err.reason };
  if (err instanceof RangeError && /call stack/i.test(err.message)) return { code: 'INVALID_ARGUMENT', message: 'the request is nested too deeply', field: '', reason: 'TOO_DEEP' };
  return { code: 'INTERNAL', message: 'internal error', field: '', reason: 'INTERNAL', internal: (err as Error)?.stack ?? String(err) };
}

/** Buffers of a result that may be moved rather than copied. */
function transferOf(op: string, result: unknown): ArrayBuffer[] {
  const r = result as { snapshot?: AgentSnapshot; bytes?: Uint8Array } | undefined;
  if (op === 'rest.decode' && r?.bytes) return r.bytes.byteOffset === 0 && r.bytes.byteLength === r.bytes.buffer.byteLength ? [r.bytes.buffer as ArrayBuffer] : [];
  return snapshotBuffers(r?.snapshot);
}

async function runTask(msg: Extract<ToWorker, { type: 'task' }>): Promise<void> {
  const controller = new AbortController();
  running.set(msg.id, controller);
  try {
    const handler = handlers[msg.op] as Handler<typeof msg.op>;
    const result = await handler(msg.payload as never, msg.id, controller.signal);
    post({ type: 'done', id: msg.id, result }, transferOf(msg.op, result));
  } catch (err) {
    post({ type: 'failed', id: msg.id, error: wireError(err) });
  } finally {
    running.delete(msg.id);
    acks.delete(msg.id);
  }
}

/**
 * Lowers this thread's CPU priority (Linux: a thread's own nice value, set through its
 * thread id). Where that is not possible the worker runs at the process's priority.
 */
function lowerPriority(niceness: number): void {
  if (niceness <= 0) return;
  try {
    const tid = Number(path.basename(readlinkSync('/proc/thread-self')));
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, Math.min(19, niceness));
  } catch {
    // Not Linux, or not allowed: keep the default priority.
  }
}

async function start(): Promise<void> {
  lowerPriority(setup.niceness);
  await loadSandbox();
  const plugins = setup.rewardPlugins ? (await loadRewardPlugins(setup.rewardPlugins, [...envTypes.keys()])).map(watched) : [];
  envs = new EnvService({ maxSessions: 1_000_000, maxNumEnvs: 1 << 22, sessionTtlSeconds: 0 }, { plugins, sandbox: setup.sandbox });
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'task') void runTask(msg);
    else if (msg.type === 'cancel') running.get(msg.id)?.abort();
    else if (msg.type === 'ack') {
      const a = acks.get(msg.id);
      if (a) {
        a.unacked -= msg.count;
        if (a.wake && a.unacked < EVENT_WINDOW / 2) {
          const wake = a.wake;
          a.wake = undefined;
          wake();
        }
      }
    }
  });
  post({ type: 'ready' });
}

start().catch((err) => post({ type: 'startup-failed', message: (err as Error)?.stack ?? String(err) }));
