import type { OptionSpec, OptionValues } from '../options.js';

/**
 * A named reward function f(s, a, s') with parameters, for one env type. `F` is the env
 * type's per-step facts (e.g. which gridworld cell was entered, whether the pole fell),
 * passed as a reused object so a call allocates nothing.
 */
export interface RewardFunction<S, F> {
  readonly name: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
  /** Reward for moving from `s` with action `a` to `sNext`; must return a finite number. */
  compute(s: S, a: number, sNext: S, facts: F, params: OptionValues): number;
}

/** Where a reward function comes from (proto RewardOrigin). */
export type RewardOrigin = 'builtin' | 'plugin' | 'client';

/** Reward function metadata as listed by ListEnvTypes (with where it comes from). */
export interface RewardListing {
  readonly name: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
  readonly origin: RewardOrigin;
}

/** Limits of the sandbox that runs client reward code (see sandbox.ts). */
export interface SandboxLimits {
  /** Time one reward call may take, ms; a batched call of n transitions gets n times this, up to maxBatchMs. */
  readonly callMs: number;
  /** Longest time one batched call may take, ms. */
  readonly maxBatchMs: number;
  /** Time the source's top level may take when it is compiled, ms. */
  readonly compileMs: number;
  /** Heap of one sandbox (one session's copy of the function), bytes; the batch's own input and output come on top. */
  readonly memoryBytes: number;
  /** Native stack of the interpreter, bytes (deep recursion ends in a clean error). */
  readonly stackBytes: number;
}

/**
 * How a batch runs a reward function that is not one of its env type's built-ins:
 * - `inline`: an operator plugin's function, called in-process per step (checked: it must
 *   return a finite number, and a throw is reported as a reward error);
 * - `sandbox`: client JavaScript, compiled into the batch's own sandbox and called once per
 *   batch of steps with every transition (see sandbox.ts).
 * Either way the batch steps as a transaction: a failing reward leaves it as it was.
 */
export type RewardImpl =
  | { readonly kind: 'inline'; readonly fn: RewardFunction<unknown, unknown>; readonly origin: 'plugin' }
  | { readonly kind: 'sandbox'; readonly source: string; readonly limits: SandboxLimits; readonly origin: 'client' };

/** A reward function chosen for a batch: name, resolved params and, unless built-in, how to run it. */
export interface RewardChoice {
  readonly name: string;
  readonly params: OptionValues;
  readonly impl?: RewardImpl;
}

/**
 * What env batches offer beyond EnvBatch for rewards that are not built-in (sessions use it
 * when present). RewardedBatch (envs/reward-layer.ts), the base of every env batch,
 * implements it.
 */
export interface RewardAwareBatch {
  /** Switches the reward function; `impl` for plugin and sandboxed functions. */
  setReward(name: string, params: OptionValues, impl?: RewardImpl): void;
  /**
   * Runs `body` (resets and steps of any copies) as one transaction: with a plugin or
   * sandboxed reward function, the rewards of every step in it are computed (a sandboxed
   * function: in one call for all of them) before it returns, and if one fails every copy is
   * put back as it was before `body` and the error is rethrown. With a built-in reward
   * function it just runs `body`.
   */
  rewardTransaction<T>(body: () => T): T;
  /** Frees the sandbox of a sandboxed reward function (idempotent). */
  disposeReward(): void;
}

export function isRewardAware(batch: object): batch is RewardAwareBatch {
  return typeof (batch as Partial<RewardAwareBatch>).rewardTransaction === 'function';
}
