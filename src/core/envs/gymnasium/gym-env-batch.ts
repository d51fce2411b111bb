import type { OptionValues } from '../../options.js';
import type { Space } from '../../spaces.js';
import { RewardedBatch, type EnvRewards, type SavedState } from '../reward-layer.js';
import type { EnvBatch, EnvBatchState, RenderModeName, RgbFrame } from '../types.js';
import { fits, notReset, type GymDynamics } from './dynamics.js';

/** The facts every Gymnasium port's reward functions see (each env's facts type extends it). */
export interface GymStepFacts {
  /** The reward Gymnasium's env pays for this step (its table or its step function). */
  gymnasiumReward: number;
  /** The step reached a terminal state. */
  terminated: boolean;
  /** This step reaches the episode's step limit (TimeLimit; may coincide with terminated). */
  truncated: boolean;
  /** Steps of the episode so far, this one included. */
  steps: number;
}

/** Saved state: the dynamics' exportState plus `paid`, the [numEnvs] rewards the batch paid. */
type GymSaved = SavedState;

/**
 * An EnvBatch over one of the Gymnasium ports (dynamics.ts): the dynamics move the copies
 * and compute Gymnasium's reward, this class pays the chosen reward function through the
 * shared reward layer. Subclasses say what the reward functions see (`readState`,
 * `fillFacts`) and how a copy is shown (info, render, scene, drawState).
 *
 * `observations`, `terminated` and `truncated` are the dynamics' own arrays; `rewards` is
 * what the chosen reward function paid (the dynamics' `rewards` hold Gymnasium's reward,
 * facts.gymnasiumReward). A rollback snapshot (plugin and sandboxed rewards) is the
 * dynamics' exportState, so guarded steps allocate it anew each time.
 */
export abstract class GymEnvBatch<D extends GymDynamics, S, F extends GymStepFacts> extends RewardedBatch<S, F, GymSaved> implements EnvBatch {
  readonly observations: Float32Array | Int32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly maxEpisodeSteps: number;
  readonly obsSize: number;
  abstract readonly observationSpace: Space;
  abstract readonly actionSpace: Space;

  protected constructor(
    /** The copies' dynamics (created by the subclass with the batch's seed). */
    readonly dynamics: D,
    spec: EnvRewards<S, F>,
    facts: F,
    private readonly scratchBefore: S,
    private readonly scratchAfter: S,
  ) {
    super(dynamics.numEnvs, spec, facts);
    this.observations = dynamics.observations;
    this.terminated = dynamics.terminated;
    this.truncated = dynamics.truncated;
    this.maxEpisodeSteps = dynamics.maxEpisodeSteps;
    this.obsSize = dynamics.obsSize;
  }

  /** Copy i's current state as its reward functions see it: a state index, or written into `into` (a reused array). */
  protected abstract readState(i: number, into: S): S;
  /** Fills the env's own facts after copy i stepped with `action` from `s` (the common fields are set already). */
  protected abstract fillFacts(i: number, action: number, s: S, sNext: S): void;
  abstract info(i: number): Record<string, unknown>;
  /** Copy i's frame (it has been reset). */
  protected abstract draw(i: number, mode: RenderModeName): RgbFrame | string;
  abstract scene(): Record<string, unknown>;
  abstract drawState(i: number, out: number[]): void;

  /** See EnvBatch.reset: the dynamics' reset of copy i (options already validated), reward 0. */
  reset(i: number, seed: number | undefined, options: OptionValues): void {
    this.dynamics.resetCopy(i, seed, options);
    this.rewards[i] = 0;
  }

  episodeSteps(i: number): number {
    return this.dynamics.episodeSteps[i];
  }

  render(i: number, mode: RenderModeName): RgbFrame | string {
    if (!this.dynamics.isStarted(i)) throw notReset(this.envId, i);
    return this.draw(i, mode);
  }

  /** The Gymnasium id (for errors). */
  protected abstract readonly envId: string;

  protected override checkStep(i: number): void {
    if (!this.dynamics.isStarted(i)) throw notReset(this.envId, i);
  }

  protected advance(i: number, action: number): void {
    const d = this.dynamics;
    const s = this.readState(i, this.scratchBefore);
    d.stepCopy(i, action);
    const sNext = this.readState(i, this.scratchAfter);
    const f = this.facts;
    f.gymnasiumReward = d.rewards[i];
    f.terminated = d.terminated[i] === 1;
    f.truncated = d.truncated[i] === 1;
    f.steps = d.episodeSteps[i];
    this.fillFacts(i, action, s, sNext);
    this.payReward(i, s, action, sNext);
  }

  protected capture(_into: GymSaved | undefined): GymSaved {
    return { ...this.dynamics.exportState(), paid: Float64Array.from(this.rewards) };
  }

  protected apply(saved: GymSaved): void {
    this.dynamics.importState(saved);
    this.rewards.set(saved.paid);
  }

  /** See EnvBatch.importState: the dynamics' state (checked by them) plus the paid rewards. */
  importState(state: EnvBatchState): void {
    if (!fits(state.paid, Float64Array, this.numEnvs)) throw new Error(`${this.envId}: importState got a state that is not of ${this.numEnvs} copies of this env`);
    this.dynamics.importState(state);
    this.rewards.set(state.paid);
  }
}
