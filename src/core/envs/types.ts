import type { OptionSpec, OptionValues } from '../options.js';
import type { Space } from '../spaces.js';
import type { TransitionSchema } from './transition-schema.js';

export type RenderModeName = 'rgb_array' | 'ansi';

/** An RGB image: `data` is height*width*3 bytes, row-major. */
export interface RgbFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * `numEnvs` copies of one environment, stored structure-of-arrays and stepped without
 * allocation. Copy i's results live at index i of the output arrays (observations at
 * [i * obsSize, (i + 1) * obsSize)). A single env is a batch of one.
 *
 * Single-env semantics are Gymnasium's: stepping a copy whose episode has ended is allowed
 * (CartPole warns via info and pays the post-termination reward); autoreset for vector
 * sessions is applied by the caller (sessions/), not here.
 */
export interface EnvBatch {
  readonly numEnvs: number;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Numbers per observation (1 for Discrete). */
  readonly obsSize: number;
  /** [numEnvs * obsSize]; Int32Array for Discrete observations, Float32Array for Box float32. */
  readonly observations: Float32Array | Int32Array;
  /** [numEnvs] reward of each copy's last step. */
  readonly rewards: Float64Array;
  /** [numEnvs] 1 if the copy's last step ended the episode by a terminal state. */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 if the copy's episode has reached the step limit (TimeLimit: set even when it also terminated). */
  readonly truncated: Uint8Array;
  /** Episode step limit (truncation). */
  readonly maxEpisodeSteps: number;

  /**
   * Starts a new episode for copy i and writes its observation. A given seed reseeds the
   * copy's PRNG first (equal seeds give equal episodes). `options` are already validated
   * against the env type's resetOptions.
   */
  reset(i: number, seed: number | undefined, options: OptionValues): void;
  /** Steps copy i with an action already validated against actionSpace. */
  step(i: number, action: number): void;
  /** Steps every copy: actions[i] for copy i. */
  stepAll(actions: ArrayLike<number>): void;
  /**
   * Steps every copy i whose skip[i] is 0 (actions[i]) and leaves the others as they are:
   * stepAll for vector autoreset, where the copies that ended are reset instead of stepped.
   * Same results as step(i, actions[i]) for each such copy in index order.
   */
  stepWhere?(actions: ArrayLike<number>, skip: Uint8Array): void;
  /** Steps taken by copy i in its current episode. */
  episodeSteps(i: number): number;
  /** Gymnasium's info dict for copy i after its last reset or step (may allocate). */
  info(i: number): Record<string, unknown>;
  /** Copy i's current frame. */
  render(i: number, mode: RenderModeName): RgbFrame | string;
  /**
   * What a viewer draws states over (Evaluate's scene, JSON): `kind`, `state_names`,
   * `action_names` and the kind's own keys. The same for every copy.
   */
  scene(): Record<string, unknown>;
  /** Appends copy i's drawable state (scene().state_names order) to `out`. */
  drawState(i: number, out: number[]): void;
  /** Switches the reward function between episodes (already validated params). */
  setReward(name: string, params: OptionValues): void;
  /**
   * Every copy's state (physics or position, step counters, flags, last rewards, PRNG
   * states) as typed arrays that survive a structured clone (postMessage), so that the
   * copies can continue exactly, in this batch or another of the same type, config and size.
   */
  exportState(): EnvBatchState;
  /** Puts back a state from exportState of a batch of the same type, config and size; throws if it does not fit. */
  importState(state: EnvBatchState): void;
}

/** A batch's state from EnvBatch.exportState: named typed arrays. */
export type EnvBatchState = Readonly<Record<string, Float64Array | Int32Array | Uint8Array>>;

/** Reward function metadata as listed by ListEnvTypes. */
export interface RewardInfo {
  readonly name: string;
  readonly description: string;
  readonly params: readonly OptionSpec[];
}

/**
 * An environment type: its options, rewards, what its reward functions see, render
 * metadata and a factory of batches. This is the one place an env is declared: the server,
 * the reward plugins and the clients take everything env-specific from here (see
 * docs/adding-an-env.md).
 */
export interface EnvType {
  /** e.g. "CartPole-v1". */
  readonly id: string;
  readonly description: string;
  readonly configOptions: readonly OptionSpec[];
  readonly resetOptions: readonly OptionSpec[];
  readonly rewardFunctions: readonly RewardInfo[];
  readonly defaultRewardFunction: string;
  /** Mean return over 100 episodes that counts as solved, if any. */
  readonly rewardThreshold?: number;
  readonly renderModes: readonly RenderModeName[];
  /** Frames per second a viewer plays its frames at (Gymnasium's metadata["render_fps"]). */
  readonly renderFps: number;
  /**
   * Gymnasium's EnvSpec.max_episode_steps for gymnasium.make("gymhost/<id>"): the step
   * limit of the default config when a TimeLimit wrapper should mirror it, undefined when
   * the default limit depends on more than the id (GridWorld's world), so only the server
   * truncates.
   */
  readonly timeLimit?: number;
  /** What its reward functions are given for one step (rewards/<env>.ts defines it; see transition-schema.ts). */
  readonly transition: TransitionSchema<unknown, unknown>;
  /**
   * For configs whose Discrete observations are cells of a grid (index = row * width +
   * col): the grid's size, so agents can encode states as [row, col]. Absent or undefined
   * otherwise. `config` may be partial.
   */
  stateGrid?(config: Record<string, unknown>): { width: number; height: number } | undefined;
  /**
   * Validates `config` (resolved with resolveOptions against configOptions) for
   * combinations the schema cannot express; throws INVALID_ARGUMENT naming the field.
   * Returns the spaces and step limit that config gives.
   */
  describe(config: OptionValues): { observationSpace: Space; actionSpace: Space; maxEpisodeSteps: number };
  /**
   * Creates `numEnvs` copies with a resolved config and a validated reward function.
   * `seed` seeds copy i with seed + i (no seed: seeded from the OS's entropy).
   */
  create(numEnvs: number, config: OptionValues, reward: { name: string; params: OptionValues }, seed: number | undefined): EnvBatch;
}
