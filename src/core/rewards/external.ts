/**
 * What env batches use to run reward functions that are not built-in: the recorder of
 * transitions for sandboxed functions, the sandboxed function bound to a batch, the error a
 * failed reward becomes, and PRNG snapshots for rolling a step back.
 */

import { DomainError } from '../errors.js';
import type { OptionValues } from '../options.js';
import { RewardCallFailure, SandboxProgram, type SandboxCodec } from './sandbox.js';
import type { SandboxLimits } from './types.js';

/**
 * Transitions waiting for a sandboxed reward function: row k of `data` (`width` numbers)
 * is the transition of copy `copies[k]`.
 */
export class TransitionRecorder {
  data: Float64Array;
  copies: Int32Array;
  count = 0;

  constructor(
    readonly width: number,
    capacity: number,
  ) {
    this.data = new Float64Array(Math.max(1, capacity) * width);
    this.copies = new Int32Array(Math.max(1, capacity));
  }

  /** Reserves the next row for copy `copy`; returns its offset in `data`. */
  push(copy: number): number {
    const k = this.count;
    if (k === this.copies.length) this.grow();
    this.copies[k] = copy;
    this.count = k + 1;
    return k * this.width;
  }

  private grow(): void {
    const data = new Float64Array(this.data.length * 2);
    data.set(this.data);
    this.data = data;
    const copies = new Int32Array(this.copies.length * 2);
    copies.set(this.copies);
    this.copies = copies;
  }
}

/** The DomainError a failed reward call becomes (FAILED_PRECONDITION on `reward_function`). */
export function rewardError(name: string, reason: string, detail: string, copy: number | undefined, numEnvs: number): DomainError {
  const where = copy === undefined || numEnvs <= 1 ? '' : ` on copy ${copy}`;
  return new DomainError(
    'FAILED_PRECONDITION',
    `reward function '${name}' failed${where}: ${detail}. The step was not taken: the session is as it was before it ` +
      '(fix the function, or choose another with SetReward)',
    'reward_function',
    reason,
  );
}

/** A client's reward function compiled into a batch's own sandbox, with the batch's recorder. */
export class SandboxedReward {
  readonly recorder: TransitionRecorder;
  private out: Float64Array;

  private constructor(
    readonly name: string,
    private readonly program: SandboxProgram,
    recordWidth: number,
    private readonly numEnvs: number,
  ) {
    this.recorder = new TransitionRecorder(recordWidth, numEnvs);
    this.out = new Float64Array(Math.max(1, numEnvs));
  }

  /** Compiles `source` for a batch of `numEnvs` copies (INVALID_ARGUMENT on `source` if it does not compile). */
  static compile(name: string, source: string, codec: SandboxCodec, params: OptionValues, limits: SandboxLimits, numEnvs: number): SandboxedReward {
    const program = SandboxProgram.compile(source, codec, params, limits);
    return new SandboxedReward(name, program, codec.recordWidth, numEnvs);
  }

  /**
   * Evaluates every recorded transition in one sandbox call and writes the rewards to
   * `rewards[copy]`. The records are consumed whether it succeeds or not; a failure throws
   * the reward's DomainError and writes nothing.
   */
  flush(rewards: Float64Array): void {
    const rec = this.recorder;
    const n = rec.count;
    if (n === 0) return;
    rec.count = 0;
    if (this.out.length < n) this.out = new Float64Array(n);
    const out = this.out;
    try {
      this.program.run(n, rec.data, out);
    } catch (err) {
      if (err instanceof RewardCallFailure) {
        throw rewardError(this.name, err.reason, err.detail, err.index >= 0 ? rec.copies[err.index] : undefined, this.numEnvs);
      }
      throw err;
    }
    const copies = rec.copies;
    for (let k = 0; k < n; k++) rewards[copies[k]] = out[k];
  }

  /** Forgets recorded transitions (after a rollback). */
  discard(): void {
    this.recorder.count = 0;
  }

  dispose(): void {
    this.program.dispose();
  }
}

/**
 * Runs `body` (steps of a batch whose reward is a plugin or sandboxed function) as one
 * transaction: `save` first; at the end the sandboxed rewards of the recorded transitions
 * are computed in one call; if anything throws, the sandbox's pending records are dropped
 * and `restore` puts the step state back, so the steps have no effect.
 */
export function runRewardTransaction<T>(
  sandboxed: SandboxedReward | undefined,
  rewards: Float64Array,
  save: () => void,
  restore: () => void,
  body: () => T,
): T {
  save();
  try {
    const out = body();
    flushSandboxedRewards(sandboxed, rewards);
    return out;
  } catch (err) {
    sandboxed?.discard();
    restore();
    throw err;
  }
}

/** Computes the rewards of the transitions a sandboxed function has recorded, in one call. */
export function flushSandboxedRewards(sandboxed: SandboxedReward | undefined, rewards: Float64Array): void {
  if (sandboxed !== undefined && sandboxed.recorder.count > 0) sandboxed.flush(rewards);
}

/** A PRNG whose state a batch saves and restores: `stateWords` numbers. */
export interface SavableRng {
  readonly stateWords: number;
  saveTo(into: Float64Array, offset: number): void;
  loadFrom(from: ArrayLike<number>, offset: number): boolean;
}

/** Copies the PRNG states of `rngs` into `into` (stateWords words each, in order; no allocation). */
export function saveRngs(rngs: readonly SavableRng[], into: Float64Array): void {
  for (let i = 0; i < rngs.length; i++) rngs[i].saveTo(into, i * rngs[i].stateWords);
}

/** Puts back PRNG states saved by saveRngs. */
export function restoreRngs(rngs: readonly SavableRng[], from: Float64Array): void {
  for (let i = 0; i < rngs.length; i++) rngs[i].loadFrom(from, i * rngs[i].stateWords);
}
