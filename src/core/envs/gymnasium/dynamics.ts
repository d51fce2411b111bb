import { randomInt } from 'node:crypto';
import { failedPrecondition, invalidArgument } from '../../errors.js';
import type { OptionValues } from '../../options.js';
import { NumpyGenerator } from '../../numpy-random.js';
import type { EnvBatchState } from '../types.js';

/**
 * The contract of the Gymnasium ports in this folder: `numEnvs` copies of one env's
 * dynamics, structure of arrays, each copy with its own NumPy generator (copy i seeded with
 * base + i, as Gymnasium's SyncVectorEnv seeds its copies). Copy i's results are at index i
 * of the output arrays (observations at [i * obsSize, (i + 1) * obsSize)). step/stepCopy
 * allocate nothing. Reward functions, autoreset and sessions are the caller's business.
 */
export interface GymDynamics {
  readonly numEnvs: number;
  /** Numbers per observation (1 for Discrete). */
  readonly obsSize: number;
  /** [numEnvs * obsSize]: Int32Array for Discrete observations, Float32Array for Box float32. */
  readonly observations: Int32Array | Float32Array;
  /** [numEnvs] reward of each copy's last step (0 after reset). */
  readonly rewards: Float64Array;
  /** [numEnvs] 1 if the copy's last step reached a terminal state. */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 once the copy's episode step count reaches maxEpisodeSteps (TimeLimit; set even when terminated too). */
  readonly truncated: Uint8Array;
  /** [numEnvs] steps taken in each copy's current episode. */
  readonly episodeSteps: Int32Array;
  /** TimeLimit's max_episode_steps; 0 means no limit (never truncated). */
  readonly maxEpisodeSteps: number;
  /** Resets every copy; with a seed, copy i's generator is reseeded with seed + i first. */
  reset(seed?: number, options?: OptionValues): void;
  /** Resets copy i; with a seed, its generator is reseeded with `seed` first. */
  resetCopy(i: number, seed?: number, options?: OptionValues): void;
  /** Steps every copy: actions[i] (an integer in the action space) for copy i. */
  step(actions: ArrayLike<number>): void;
  /** Steps copy i only. */
  stepCopy(i: number, action: number): void;
  /** True once copy i has been reset. */
  isStarted(i: number): boolean;
  /** Every copy's state (positions or physics, counters, flags, rewards, generators) as typed arrays. */
  exportState(): EnvBatchState;
  /** Puts back exportState's result from dynamics of the same env, config and size; throws if it does not fit. */
  importState(state: EnvBatchState): void;
}

/** Words one copy's generator saves: PCG64 state and increment, then the buffered 32-bit half. */
export const RNG_WORDS = 10;

/** `numEnvs` generators seeded base + i; no seed: base from the OS's entropy. */
export function makeGenerators(numEnvs: number, seed: number | undefined): NumpyGenerator[] {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) {
    throw invalidArgument('num_envs', `num_envs must be an integer >= 1, got ${numEnvs}`, 'OUT_OF_RANGE');
  }
  const base = seed ?? randomInt(0, 2 ** 48 - 1);
  return Array.from({ length: numEnvs }, (_, i) => new NumpyGenerator(base + i));
}

/** Every generator's RNG_WORDS words, copy by copy. */
export function saveGenerators(rngs: readonly NumpyGenerator[]): Float64Array {
  const out = new Float64Array(RNG_WORDS * rngs.length);
  rngs.forEach((g, i) => {
    g.saveTo(out, RNG_WORDS * i);
    g.saveBufferTo(out, RNG_WORDS * i + g.stateWords);
  });
  return out;
}

/** True if `words` holds valid saved generators for these copies (checked on scratch generators, nothing changes). */
export function generatorsFit(rngs: readonly NumpyGenerator[], words: unknown): words is Float64Array {
  if (!(words instanceof Float64Array) || words.length !== RNG_WORDS * rngs.length) return false;
  const probe = new NumpyGenerator(0);
  for (let i = 0; i < rngs.length; i++) {
    if (!probe.loadFrom(words, RNG_WORDS * i) || !probe.loadBufferFrom(words, RNG_WORDS * i + probe.stateWords)) return false;
  }
  return true;
}

/** Restores saveGenerators' words (check with generatorsFit first). */
export function loadGenerators(rngs: readonly NumpyGenerator[], words: Float64Array): void {
  rngs.forEach((g, i) => {
    g.loadFrom(words, RNG_WORDS * i);
    g.loadBufferFrom(words, RNG_WORDS * i + g.stateWords);
  });
}

/** True if `a` is a typed array of `ctor` with `length` elements. */
export function fits<T extends Float64Array | Int32Array | Uint8Array>(
  a: unknown,
  ctor: new (n: number) => T,
  length: number,
): a is T {
  return a instanceof ctor && a.length === length;
}

/** The error for stepping or rendering copy i before its first reset (Gymnasium's ResetNeeded). */
export function notReset(envId: string, i: number) {
  return failedPrecondition(`${envId} copy ${i} has not been reset: call reset before step or render`, 'STEP_BEFORE_RESET');
}

/** The per-copy arrays of a classic-control batch (MountainCar, Acrobot) that its saved state holds. */
export interface PhysicsCopies {
  readonly numEnvs: number;
  /** [numEnvs * physics dims] float64 state. */
  readonly physics: Float64Array;
  /** [numEnvs] steps of the running episodes. */
  readonly episodeSteps: Int32Array;
  /** [numEnvs] flags of the last step, and whether each copy was reset. */
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly started: Uint8Array;
  /** [numEnvs] rewards of the last step. */
  readonly rewards: Float64Array;
  readonly rngs: readonly NumpyGenerator[];
}

/** physics [dims * n]; ints [n] episode steps; flags [3n] terminated, truncated, started; rewards [n]; rngs. */
export function exportPhysicsState(b: PhysicsCopies): EnvBatchState {
  const n = b.numEnvs;
  const flags = new Uint8Array(3 * n);
  flags.set(b.terminated, 0);
  flags.set(b.truncated, n);
  flags.set(b.started, 2 * n);
  return {
    physics: Float64Array.from(b.physics),
    ints: Int32Array.from(b.episodeSteps),
    flags,
    rewards: Float64Array.from(b.rewards),
    rngs: saveGenerators(b.rngs),
  };
}

/**
 * Loads what exportPhysicsState saved into `b` (the caller rewrites its observations from the
 * physics after); throws, changing nothing, if `state` is not of b.numEnvs copies of `envId`.
 */
export function importPhysicsState(b: PhysicsCopies, state: EnvBatchState, envId: string): void {
  const n = b.numEnvs;
  const { physics, ints, flags, rewards, rngs } = state;
  const ok =
    fits(physics, Float64Array, b.physics.length) &&
    fits(ints, Int32Array, n) &&
    fits(flags, Uint8Array, 3 * n) &&
    fits(rewards, Float64Array, n) &&
    generatorsFit(b.rngs, rngs) &&
    physics.every(Number.isFinite);
  if (!ok) throw new Error(`${envId}: importState got a state that is not of ${n} copies of this env`);
  b.physics.set(physics);
  b.episodeSteps.set(ints);
  b.terminated.set(flags.subarray(0, n));
  b.truncated.set(flags.subarray(n, 2 * n));
  b.started.set(flags.subarray(2 * n, 3 * n));
  b.rewards.set(rewards);
  loadGenerators(b.rngs, rngs);
}
