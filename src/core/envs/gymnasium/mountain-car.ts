import { resolveOptions, type OptionSpec, type OptionValues } from '../../options.js';
import type { NumpyGenerator } from '../../numpy-random.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../spaces.js';
import type { EnvBatchState } from '../types.js';
import { resetBounds } from './reset-bounds.js';
import { exportPhysicsState, importPhysicsState, makeGenerators, notReset, type GymDynamics } from './dynamics.js';

/*
 * MountainCar-v0: a port of Gymnasium 1.4's gymnasium/envs/classic_control/mountain_car.py
 * wrapped in TimeLimit(200).
 *
 * ## Description
 *
 * A car in a valley between two hills (height sin(3x) * 0.45 + 0.55) must reach the flag at
 * x = 0.5 on the right hill; its engine is too weak to drive straight up, so it has to swing.
 *
 * ## Action space
 *
 * Discrete(3): 0 accelerate left, 1 don't accelerate, 2 accelerate right.
 *
 * ## Observation space
 *
 * Box([-1.2, -0.07], [0.6, 0.07], (2,), float32): [position (m), velocity (m/step)], the
 * float64 state rounded to float32 as numpy's astype does.
 *
 * ## Dynamics (float64, Gymnasium's operations in Gymnasium's order)
 *
 *   velocity = velocity + ((action - 1) * 0.001 + cos(3 * position) * (-0.0025)),
 *   clipped to [-0.07, 0.07]; position = position + velocity, clipped to [-1.2, 0.6];
 *   velocity = 0 if the car hit the left wall (position == -1.2 and velocity < 0).
 *
 * ## Rewards
 *
 * -1 per step (also the terminating one).
 *
 * ## Starting state
 *
 * position uniform in [low, high) (default [-0.6, -0.4), one uniform() draw), velocity 0.
 *
 * ## Episode end
 *
 * Termination: position >= 0.5 and velocity >= goal_velocity. Truncation: 200 steps.
 */

export const MOUNTAIN_CAR_ID = 'MountainCar-v0';
export const MIN_POSITION = -1.2;
export const MAX_POSITION = 0.6;
export const MAX_SPEED = 0.07;
export const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;
const DEFAULT_LOW = -0.6;
const DEFAULT_HIGH = -0.4;
export const MOUNTAIN_CAR_REWARD_THRESHOLD = -110;

export const mountainCarConfigOptions: readonly OptionSpec[] = [
  { name: 'goal_velocity', type: 'number', description: 'Velocity (m/step) the car needs at the flag to terminate.', default: 0, minimum: -MAX_SPEED, maximum: MAX_SPEED },
  { name: 'max_episode_steps', type: 'int', description: 'Steps after which an episode is truncated (TimeLimit).', default: 200, minimum: 1, maximum: 100000 },
];

/** Reset options: bounds of the uniform start position (maybe_parse_reset_bounds). */
export const mountainCarResetOptions: readonly OptionSpec[] = [
  { name: 'low', type: 'number', description: 'Lower bound of the start position, m (must be <= high).', default: DEFAULT_LOW },
  { name: 'high', type: 'number', description: 'Upper bound of the start position, m (must be >= low).', default: DEFAULT_HIGH },
];

/** Box([-1.2, -0.07], [0.6, 0.07]) float32, bounds as float32 values widened to float64. */
export function mountainCarObservationSpace(): BoxSpace {
  return box([Math.fround(MIN_POSITION), Math.fround(-MAX_SPEED)], [Math.fround(MAX_POSITION), Math.fround(MAX_SPEED)], [2], 'float32');
}

export function mountainCarActionSpace(): DiscreteSpace {
  return discrete(3);
}

/** `numEnvs` copies of MountainCar-v0. */
export class MountainCarBatch implements GymDynamics {
  readonly numEnvs: number;
  readonly obsSize = 2;
  /** [numEnvs * 2] float32 [position, velocity]. */
  readonly observations: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeSteps: Int32Array;
  readonly maxEpisodeSteps: number;
  readonly goalVelocity: number;
  /** [numEnvs * 2] float64 [position (m), velocity (m/step)]. */
  readonly physics: Float64Array;
  readonly started: Uint8Array;
  readonly rngs: NumpyGenerator[];

  /** @param seed copy i's generator is seeded with seed + i; undefined seeds from OS entropy. */
  constructor(numEnvs: number, config: Record<string, unknown> = {}, seed?: number) {
    const c = resolveOptions(mountainCarConfigOptions, config, 'config');
    this.rngs = makeGenerators(numEnvs, seed);
    this.numEnvs = numEnvs;
    this.goalVelocity = c.goal_velocity as number;
    this.maxEpisodeSteps = c.max_episode_steps as number;
    this.observations = new Float32Array(2 * numEnvs);
    this.physics = new Float64Array(2 * numEnvs);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeSteps = new Int32Array(numEnvs);
    this.started = new Uint8Array(numEnvs);
  }

  reset(seed?: number, options?: OptionValues): void {
    resetBounds(options, DEFAULT_LOW, DEFAULT_HIGH);
    for (let i = 0; i < this.numEnvs; i++) this.resetCopy(i, seed === undefined ? undefined : seed + i, options);
  }

  /** state = [uniform(low, high), 0]. */
  resetCopy(i: number, seed?: number, options?: OptionValues): void {
    const [low, high] = resetBounds(options, DEFAULT_LOW, DEFAULT_HIGH);
    const rng = this.rngs[i];
    if (seed !== undefined) rng.seed(seed);
    const position = rng.uniform(low, high);
    this.physics[2 * i] = position;
    this.physics[2 * i + 1] = 0;
    this.observations[2 * i] = position;
    this.observations[2 * i + 1] = 0;
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    this.episodeSteps[i] = 0;
    this.started[i] = 1;
  }

  step(actions: ArrayLike<number>): void {
    for (let i = 0; i < this.numEnvs; i++) if (this.started[i] === 0) throw notReset(MOUNTAIN_CAR_ID, i);
    for (let i = 0; i < this.numEnvs; i++) this.advance(i, actions[i]);
  }

  stepCopy(i: number, action: number): void {
    if (this.started[i] === 0) throw notReset(MOUNTAIN_CAR_ID, i);
    this.advance(i, action);
  }

  /** True once copy i has been reset. */
  isStarted(i: number): boolean {
    return this.started[i] === 1;
  }

  private advance(i: number, action: number): void {
    const o = 2 * i;
    let position = this.physics[o];
    let velocity = this.physics[o + 1];
    velocity = velocity + ((action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY);
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    position = position + velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    this.physics[o] = position;
    this.physics[o + 1] = velocity;
    this.observations[o] = position;
    this.observations[o + 1] = velocity;
    this.terminated[i] = position >= GOAL_POSITION && velocity >= this.goalVelocity ? 1 : 0;
    this.rewards[i] = -1;
    const steps = this.episodeSteps[i] + 1;
    this.episodeSteps[i] = steps;
    this.truncated[i] = steps >= this.maxEpisodeSteps ? 1 : 0;
  }

  exportState(): EnvBatchState {
    return exportPhysicsState(this);
  }

  importState(state: EnvBatchState): void {
    importPhysicsState(this, state, MOUNTAIN_CAR_ID);
    const n = this.numEnvs;
    for (let k = 0; k < 2 * n; k++) this.observations[k] = this.physics[k];
  }
}

export function describeMountainCar(config: OptionValues) {
  const c = resolveOptions(mountainCarConfigOptions, config, 'config');
  return { observationSpace: mountainCarObservationSpace(), actionSpace: mountainCarActionSpace(), maxEpisodeSteps: c.max_episode_steps as number };
}
