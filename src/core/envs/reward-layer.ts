/**
 * The reward machinery every env batch shares: which reward function the batch pays
 * (built-in, operator plugin or sandboxed client code), the reward transaction that rolls
 * the batch back when a plugin or sandboxed function fails, and the batching of sandboxed
 * calls (one call per step of the whole batch). An env extends RewardedBatch and provides
 * only its physics (advance, which fills `facts` and calls payReward), its rendering and
 * its save/restore hooks (capture, apply).
 */

import { invalidArgument } from '../errors.js';
import { resolveOptions, type OptionValues } from '../options.js';
import { flushSandboxedRewards, runRewardTransaction, SandboxedReward, type TransitionRecorder } from '../rewards/external.js';
import type { RewardAwareBatch, RewardFunction, RewardImpl } from '../rewards/types.js';
import { transitionCodec, TransitionWriter, type TransitionSchema } from './transition-schema.js';
import type { EnvBatchState } from './types.js';

/** An env type's built-in reward functions and the transitions they see. */
export interface EnvRewards<S, F> {
  /** The env id, for error messages. */
  readonly envId: string;
  readonly schema: TransitionSchema<S, F>;
  readonly builtins: readonly RewardFunction<S, F>[];
  /** Name of the built-in a batch pays by default and after its sandbox is disposed. */
  readonly defaultName: string;
}

/** A batch's saved step state: named typed arrays (rollback snapshots and exportState). */
export type SavedState = Record<string, Float64Array | Int32Array | Uint8Array>;

/**
 * Base of env batches: EnvBatch's step, stepAll, setReward and exportState, and
 * RewardAwareBatch. `S` is the state argument of the env's reward functions, `F` its facts
 * object, `Saved` what capture returns.
 */
export abstract class RewardedBatch<S, F, Saved extends SavedState> implements RewardAwareBatch {
  /** [numEnvs] reward of each copy's last step. */
  readonly rewards: Float64Array;
  /** What the current step did: advance fills it before payReward. One object per batch, reused. */
  protected readonly facts: F;

  private readonly spec: EnvRewards<S, F>;
  private readonly writer: TransitionWriter<S, F>;
  private reward: RewardFunction<S, F>;
  private rewardParams: OptionValues = {};
  /** A plugin or sandboxed reward function: steps are transactions (rewardTransaction). */
  private guarded = false;
  /** A sandboxed reward function; its recorder collects transitions for one call per batch. */
  private sandboxed: SandboxedReward | undefined;
  private recorder: TransitionRecorder | undefined;
  private txnOpen = false;
  /** Rollback copy of the step state (allocated on the first guarded transaction). */
  private snap: Saved | undefined;

  /**
   * Subclasses call setReward at the end of their constructor (the default built-in is
   * paid until then).
   */
  protected constructor(
    readonly numEnvs: number,
    spec: EnvRewards<S, F>,
    facts: F,
  ) {
    this.spec = spec;
    this.facts = facts;
    this.rewards = new Float64Array(numEnvs);
    this.writer = new TransitionWriter(spec.schema, facts);
    this.reward = this.builtin(spec.defaultName);
  }

  /** One step of copy i with a checked action: moves the copy, fills `facts` and calls payReward. */
  protected abstract advance(i: number, action: number): void;
  /** Every copy's step state (positions or physics, counters, flags, rewards, PRNGs) into `into` (new arrays when absent). */
  protected abstract capture(into: Saved | undefined): Saved;
  /** Puts back a state from capture (observations included). */
  protected abstract apply(saved: Saved): void;
  /** Throws if copy i cannot be stepped now (called for every copy before any moves). */
  protected checkStep(_i: number): void {}

  /** Steps copy i; with a plugin or sandboxed reward, as a transaction. */
  step(i: number, action: number): void {
    this.checkStep(i);
    if (!this.guarded) this.advance(i, action);
    else this.rewardTransaction(() => this.advance(i, action));
  }

  /** Steps every copy: actions[i] for copy i. */
  stepAll(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) this.checkStep(i);
    if (!this.guarded) {
      for (let i = 0; i < n; i++) this.advance(i, actions[i]);
      return;
    }
    this.rewardTransaction(() => {
      for (let i = 0; i < n; i++) this.advance(i, actions[i]);
      // One sandbox call for the whole batch, so callers may read the rewards at once.
      flushSandboxedRewards(this.sandboxed, this.rewards);
    });
  }

  /**
   * Steps every copy i with skip[i] === 0 (actions[i]); copies with skip[i] !== 0 are left
   * untouched. `actions` and `skip` have numEnvs entries. One transaction and one sandbox
   * call for the whole batch, as stepAll.
   */
  stepWhere(actions: ArrayLike<number>, skip: Uint8Array): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) if (skip[i] === 0) this.checkStep(i);
    if (!this.guarded) {
      for (let i = 0; i < n; i++) if (skip[i] === 0) this.advance(i, actions[i]);
      return;
    }
    this.rewardTransaction(() => {
      for (let i = 0; i < n; i++) if (skip[i] === 0) this.advance(i, actions[i]);
      flushSandboxedRewards(this.sandboxed, this.rewards);
    });
  }

  /**
   * The built-in reward function paid now, or undefined while a plugin or sandboxed function
   * is paid (steps are then transactions). Envs use it, with builtinRewardParams, to compute
   * built-in rewards inline in a vectorised stepAll.
   */
  protected builtinReward(): RewardFunction<S, F> | undefined {
    return this.guarded ? undefined : this.reward;
  }

  /** The resolved params of the reward function paid now (the same object until setReward). */
  protected builtinRewardParams(): OptionValues {
    return this.rewardParams;
  }

  /**
   * Pays copy i's step from s with action a to sNext, `facts` filled in: computes the reward
   * now, or (sandboxed) records the transition for one call at the end of the step.
   */
  protected payReward(i: number, s: S, a: number, sNext: S): void {
    const rec = this.recorder;
    if (rec === undefined) {
      this.rewards[i] = this.reward.compute(s, a, sNext, this.facts, this.rewardParams);
    } else {
      const o = rec.push(i);
      this.writer.write(rec.data, o, s, a, sNext);
    }
  }

  /**
   * Switches to reward function `name` from the next step on: a built-in or, with `impl`, a
   * plugin or sandboxed function (params already resolved against its schema). A sandboxed
   * function is compiled into this batch's own sandbox first; if that fails the batch keeps
   * its reward function.
   */
  setReward(name: string, params: OptionValues, impl?: RewardImpl): void {
    if (this.txnOpen) throw new Error('setReward inside a reward transaction');
    if (impl === undefined) {
      const fn = this.builtin(name);
      const resolved = resolveOptions(fn.params, params, 'reward_params');
      this.disposeReward();
      this.rewardParams = resolved;
      this.reward = fn;
      this.guarded = false;
      return;
    }
    if (impl.kind === 'inline') {
      this.disposeReward();
      this.rewardParams = params;
      this.reward = impl.fn as RewardFunction<S, F>;
      this.guarded = true;
      return;
    }
    const sandboxed = SandboxedReward.compile(name, impl.source, transitionCodec(this.spec.schema, this.facts), params, impl.limits, this.numEnvs);
    this.disposeReward();
    this.sandboxed = sandboxed;
    this.recorder = sandboxed.recorder;
    this.rewardParams = params;
    this.guarded = true;
  }

  /** Frees the sandbox of a sandboxed reward function (the batch then pays the default built-in). */
  disposeReward(): void {
    const sandboxed = this.sandboxed;
    if (!sandboxed) return;
    this.sandboxed = undefined;
    this.recorder = undefined;
    this.reward = this.builtin(this.spec.defaultName);
    this.rewardParams = resolveOptions(this.reward.params, {}, 'reward_params');
    this.guarded = false;
    sandboxed.dispose();
  }

  /** See RewardAwareBatch.rewardTransaction. */
  rewardTransaction<T>(body: () => T): T {
    if (!this.guarded || this.txnOpen) return body();
    this.txnOpen = true;
    try {
      return runRewardTransaction(
        this.sandboxed,
        this.rewards,
        () => void (this.snap = this.capture(this.snap)),
        () => this.apply(this.snap!),
        body,
      );
    } finally {
      this.txnOpen = false;
    }
  }

  /** See EnvBatch.exportState: a copy of every copy's state. */
  exportState(): EnvBatchState {
    return { ...this.capture(undefined) };
  }

  private builtin(name: string): RewardFunction<S, F> {
    const fn = this.spec.builtins.find((f) => f.name === name);
    if (!fn) {
      throw invalidArgument(
        'reward_function',
        `unknown reward function '${name}' for ${this.spec.envId}; available: ${this.spec.builtins.map((f) => f.name).join(', ')}`,
        'UNKNOWN_REWARD_FUNCTION',
      );
    }
    return fn;
  }
}
