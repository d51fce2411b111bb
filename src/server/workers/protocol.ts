/**
 * Messages between the request thread and the worker threads (see pool.ts, worker.ts).
 * Everything in them survives a structured clone; big typed arrays are transferred.
 */
import type { AgentSnapshot } from '../../core/agents/types.js';
import type { EnvBatchState } from '../../core/envs/types.js';
import type { OptionSpec, OptionValues } from '../../core/options.js';
import type { RewardOrigin } from '../../core/rewards/types.js';
import type { Caller } from '../../core/sessions/caller.js';
import type { AgentCallName } from '../services/agent-calls.js';
import type { EnvSessionState } from '../../core/sessions/env-session.js';
import type { RunLoopOptions, RunLoopResult } from '../services/run-loop.js';

/** A reward function as it travels to a worker: client code travels as its source. */
export interface RewardSpec {
  readonly name: string;
  readonly params: OptionValues;
  readonly origin: RewardOrigin;
  /** Client code (origin "client"), with its parameter specs. */
  readonly source?: string;
  readonly paramSpecs?: readonly OptionSpec[];
}

/** An env to build on a worker: its type, config and reward (Evaluate's private copy). */
export interface EnvRecipe {
  readonly typeId: string;
  readonly config: OptionValues;
  readonly reward: RewardSpec;
}

/** A single-env session lent to a worker for a Train run: its recipe and its copy's state. */
export interface LentEnv extends EnvRecipe {
  readonly state: EnvBatchState;
}

/** The tasks a worker runs, by op. */
export interface Tasks {
  /** One agent call on a copy of the agent; the copy comes back when the call changes it. */
  'agent.call': { in: { snapshot: AgentSnapshot; call: AgentCallName; req: unknown }; out: { res: unknown; snapshot?: AgentSnapshot } };
  /** A new agent (its networks' initial weights drawn there). */
  'agent.create': { in: { kind: string; observationSpace: unknown; numActions: number; config: Record<string, unknown>; grid: { gridWidth?: number; gridHeight?: number } }; out: { snapshot: AgentSnapshot } };
  /**
   * A training run; events are RunLoopEvents (episode records, evaluations, checkpoints),
   * each acknowledged by the request thread. The snapshot that comes back is the agent to
   * keep (the best evaluated one with keep_best).
   */
  'agent.train': {
    in: { snapshot: AgentSnapshot; env: { lent: LentEnv } | { hosted: string }; options: RunLoopOptions; evalEnv: EnvRecipe };
    out: { snapshot: AgentSnapshot; envState?: EnvBatchState; result: Omit<RunLoopResult, 'best'> & { keptBest: boolean } };
  };
  /** A hosted env session's whole state (the periodic save). */
  'env.export': { in: { id: string }; out: EnvSessionState };
  /** Greedy episodes on a private copy of an env. */
  'agent.evaluate': { in: { snapshot: AgentSnapshot; env: EnvRecipe; episodes: number; seed: number; recordTrajectories: boolean }; out: unknown };
  /** A REST body parsed and checked against its request message, returned as protobuf bytes. */
  'rest.decode': { in: { body: Uint8Array; requestType: string; rpc: string }; out: { bytes: Uint8Array } };
  /** Env sessions hosted on the worker: create one with a given id. */
  'env.host': { in: { id: string; owner: string; req: unknown; reward: RewardSpec; maxNumEnvs: number; maxBatchObservationBytes?: number; state?: EnvSessionState; restored?: boolean }; out: unknown };
  /** An EnvService call on a hosted session (reset, step, stepBatch, render, setReward, getEnv, deleteEnv, streamMessage). */
  'env.call': { in: { method: string; req: unknown; caller: Caller; reward?: RewardSpec }; out: unknown };
  /** Compiles client reward code in a sandbox to check it (RegisterReward). */
  'reward.check': { in: { source: string; params: readonly OptionSpec[] }; out: void };
}

export type Op = keyof Tasks;

/** Request thread -> worker. */
export type ToWorker =
  | { readonly type: 'task'; readonly id: number; readonly op: Op; readonly payload: unknown }
  | { readonly type: 'cancel'; readonly id: number }
  /** `count` more events of task `id` were handled (the worker may send that many more). */
  | { readonly type: 'ack'; readonly id: number; readonly count: number };

/** A failure as it crosses threads: a DomainError's fields, or a bug's text. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly field: string;
  readonly reason: string;
  /** Set for errors that are not DomainErrors (bugs): the stack, for the log. */
  readonly internal?: string;
}

/** Worker -> request thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'startup-failed'; readonly message: string }
  | { readonly type: 'done'; readonly id: number; readonly result: unknown }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'event'; readonly id: number; readonly event: unknown };

/** Transferable buffers of a snapshot's arrays (each a fresh copy, so safe to move). */
export function snapshotBuffers(s: AgentSnapshot | undefined): ArrayBuffer[] {
  if (!s) return [];
  const seen = new Set<ArrayBuffer>();
  for (const a of Object.values(s.arrays)) if (a.buffer instanceof ArrayBuffer && a.byteLength > 0) seen.add(a.buffer);
  return [...seen];
}
