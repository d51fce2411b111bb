import type { OptionValues } from '../../options.js';
import type { NumpyGenerator } from '../../numpy-random.js';
import type { EnvBatchState } from '../types.js';
import {
  fits,
  generatorsFit,
  loadGenerators,
  makeGenerators,
  notReset,
  saveGenerators,
  type GymDynamics,
} from './dynamics.js';
import type { TransitionTable } from './transition-table.js';

/**
 * `numEnvs` copies of a Gymnasium toy-text env (FrozenLake, CliffWalking, Taxi) wrapped in
 * TimeLimit: reset draws the start state with categorical_sample over the table's start
 * distribution, step draws the outcome of (state, action) with categorical_sample, each
 * with one random() of the copy's generator, in Gymnasium's order. Subclasses add draws
 * after these (Taxi's fickle passenger) through afterReset / afterStep.
 *
 * Observations are the state indices (Int32Array, obsSize 1). Stepping a copy whose episode
 * ended is allowed and follows the table (Gymnasium's terminal states loop on themselves).
 */
export class TabularBatch implements GymDynamics {
  readonly numEnvs: number;
  readonly obsSize = 1;
  /** [numEnvs] the state index of each copy. */
  readonly observations: Int32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeSteps: Int32Array;
  /** [numEnvs] the last action of each copy, -1 after reset (Gymnasium's lastaction = None). */
  readonly lastAction: Int32Array;
  /** [numEnvs] Gymnasium's info "prob" of each copy's last transition (1 after reset). */
  readonly lastProb: Float64Array;
  /** [numEnvs] 1 once the copy has been reset. */
  protected readonly started: Uint8Array;
  protected readonly rngs: NumpyGenerator[];

  /**
   * @param envId the Gymnasium id, for error messages.
   * @param table the transition model (shared, read only).
   * @param maxEpisodeSteps TimeLimit; 0 for none.
   * @param seed copy i's generator is seeded with seed + i; undefined seeds from OS entropy.
   */
  constructor(
    readonly envId: string,
    readonly table: TransitionTable,
    numEnvs: number,
    readonly maxEpisodeSteps: number,
    seed: number | undefined,
  ) {
    this.rngs = makeGenerators(numEnvs, seed);
    this.numEnvs = numEnvs;
    this.observations = new Int32Array(numEnvs);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeSteps = new Int32Array(numEnvs);
    this.lastAction = new Int32Array(numEnvs).fill(-1);
    this.lastProb = new Float64Array(numEnvs);
    this.started = new Uint8Array(numEnvs);
  }

  /** Resets every copy; with a seed, copy i is reseeded with seed + i. No reset options. */
  reset(seed?: number, _options?: OptionValues): void {
    for (let i = 0; i < this.numEnvs; i++) this.resetCopy(i, seed === undefined ? undefined : seed + i);
  }

  /** Gymnasium's reset: (reseed,) s = categorical_sample(initial_state_distrib), lastaction = None, then afterReset. */
  resetCopy(i: number, seed?: number, _options?: OptionValues): void {
    const rng = this.rngs[i];
    if (seed !== undefined) rng.seed(seed);
    this.observations[i] = this.table.sampleStart(rng.random());
    this.lastAction[i] = -1;
    this.lastProb[i] = 1;
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    this.episodeSteps[i] = 0;
    this.started[i] = 1;
    this.afterReset(i, rng);
  }

  step(actions: ArrayLike<number>): void {
    for (let i = 0; i < this.numEnvs; i++) if (this.started[i] === 0) throw notReset(this.envId, i);
    for (let i = 0; i < this.numEnvs; i++) this.advance(i, actions[i]);
  }

  stepCopy(i: number, action: number): void {
    if (this.started[i] === 0) throw notReset(this.envId, i);
    this.advance(i, action);
  }

  /** True once copy i has been reset. */
  isStarted(i: number): boolean {
    return this.started[i] === 1;
  }

  /** One env.step + TimeLimit step of copy i (allocation-free). */
  private advance(i: number, action: number): void {
    const t = this.table;
    const rng = this.rngs[i];
    const prev = this.observations[i];
    const k = t.sampleOutcome(prev, action, rng.random());
    this.observations[i] = this.afterStep(i, prev, t.next[k], rng);
    this.rewards[i] = t.reward[k];
    this.terminated[i] = t.terminal[k];
    this.lastAction[i] = action;
    this.lastProb[i] = t.probs[k];
    const steps = this.episodeSteps[i] + 1;
    this.episodeSteps[i] = steps;
    this.truncated[i] = this.maxEpisodeSteps > 0 && steps >= this.maxEpisodeSteps ? 1 : 0;
  }

  /** Hook after reset's draw (copy i's state is set). */
  protected afterReset(_i: number, _rng: NumpyGenerator): void {}

  /** Hook after step's draw: returns the state copy i moves to (by default the table's `next`). */
  protected afterStep(_i: number, _prev: number, next: number, _rng: NumpyGenerator): number {
    return next;
  }

  /** Extra per-copy flags a subclass saves (a Uint8Array of numEnvs * extraFlags), after the base flags. */
  protected get extraFlags(): number {
    return 0;
  }

  protected saveExtraFlags(_into: Uint8Array, _offset: number): void {}

  protected loadExtraFlags(_from: Uint8Array, _offset: number): void {}

  /** states [n]; ints [2n]: episode steps, last action; flags [(3 + extra) n]: terminated, truncated, started, extra...; rewards, probs [n]; rngs. */
  exportState(): EnvBatchState {
    const n = this.numEnvs;
    const ints = new Int32Array(2 * n);
    ints.set(this.episodeSteps, 0);
    ints.set(this.lastAction, n);
    const flags = new Uint8Array((3 + this.extraFlags) * n);
    flags.set(this.terminated, 0);
    flags.set(this.truncated, n);
    flags.set(this.started, 2 * n);
    this.saveExtraFlags(flags, 3 * n);
    return {
      states: Int32Array.from(this.observations),
      ints,
      flags,
      rewards: Float64Array.from(this.rewards),
      probs: Float64Array.from(this.lastProb),
      rngs: saveGenerators(this.rngs),
    };
  }

  importState(state: EnvBatchState): void {
    const n = this.numEnvs;
    const { states, ints, flags, rewards, probs, rngs } = state;
    const ok =
      fits(states, Int32Array, n) &&
      fits(ints, Int32Array, 2 * n) &&
      fits(flags, Uint8Array, (3 + this.extraFlags) * n) &&
      fits(rewards, Float64Array, n) &&
      fits(probs, Float64Array, n) &&
      generatorsFit(this.rngs, rngs) &&
      states.every((s) => s >= 0 && s < this.table.numStates) &&
      ints.subarray(n).every((a) => a >= -1 && a < this.table.numActions);
    if (!ok) throw new Error(`${this.envId}: importState got a state that is not of ${n} copies of this env`);
    this.observations.set(states);
    this.episodeSteps.set(ints.subarray(0, n));
    this.lastAction.set(ints.subarray(n, 2 * n));
    this.terminated.set(flags.subarray(0, n));
    this.truncated.set(flags.subarray(n, 2 * n));
    this.started.set(flags.subarray(2 * n, 3 * n));
    this.loadExtraFlags(flags, 3 * n);
    this.rewards.set(rewards);
    this.lastProb.set(probs);
    loadGenerators(this.rngs, rngs);
  }
}
