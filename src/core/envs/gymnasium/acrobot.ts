import { resolveOptions, type OptionSpec, type OptionValues } from '../../options.js';
import type { NumpyGenerator } from '../../numpy-random.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../spaces.js';
import type { EnvBatchState } from '../types.js';
import { exportPhysicsState, importPhysicsState, makeGenerators, notReset, type GymDynamics } from './dynamics.js';
import { resetBounds } from './reset-bounds.js';

/*
 * Acrobot-v1: a port of Gymnasium 1.4's gymnasium/envs/classic_control/acrobot.py ("book"
 * dynamics, no torque noise) wrapped in TimeLimit(500).
 *
 * ## Description
 *
 * Two links hang in a chain from a fixed joint; only the joint between them is actuated.
 * Swing the free end above the line one link length above the fixed joint.
 *
 * ## Action space
 *
 * Discrete(3): torque -1, 0 or +1 N m on the actuated joint.
 *
 * ## Observation space
 *
 * Box(6) float32: [cos theta1, sin theta1, cos theta2, sin theta2, theta1_dot, theta2_dot],
 * bounds [1, 1, 1, 1, 4 pi, 9 pi] and their negatives (rad/s for the velocities). theta1 is
 * the first link's angle from hanging down, theta2 the second link's relative to the first.
 *
 * ## Dynamics
 *
 * One RK4 step of dt = 0.2 s of Gymnasium's _dsdt (float64, Gymnasium's operations in its
 * order), then theta1, theta2 wrapped into [-pi, pi] and the velocities bounded to
 * [-4 pi, 4 pi] and [-9 pi, 9 pi].
 *
 * ## Rewards
 *
 * -1 per step, 0 on the terminating step.
 *
 * ## Starting state
 *
 * The four state components uniform in [low, high) (default [-0.1, 0.1), four uniform()
 * draws in order) and rounded to float32, as Gymnasium's astype(np.float32) does.
 *
 * ## Episode end
 *
 * Termination: -cos(theta1) - cos(theta2 + theta1) > 1. Truncation: 500 steps.
 */

export const ACROBOT_ID = 'Acrobot-v1';
export const ACROBOT_DT = 0.2;
export const MAX_VEL_1 = 4 * Math.PI;
export const MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0] as const;
const DEFAULT_LOW = -0.1;
const DEFAULT_HIGH = 0.1;
export const ACROBOT_REWARD_THRESHOLD = -100;

// Gymnasium's constants: link masses (kg), lengths (m), centre-of-mass positions (m), moments of inertia, g (m/s^2).
const M1 = 1.0;
const M2 = 1.0;
const L1 = 1.0;
const LC1 = 0.5;
const LC2 = 0.5;
const I1 = 1.0;
const I2 = 1.0;
const G = 9.8;

export const acrobotConfigOptions: readonly OptionSpec[] = [
  { name: 'max_episode_steps', type: 'int', description: 'Steps after which an episode is truncated (TimeLimit).', default: 500, minimum: 1, maximum: 100000 },
];

/** Reset options: bounds of the uniform start state (maybe_parse_reset_bounds). */
export const acrobotResetOptions: readonly OptionSpec[] = [
  { name: 'low', type: 'number', description: 'Lower bound of each start-state component (must be <= high).', default: DEFAULT_LOW },
  { name: 'high', type: 'number', description: 'Upper bound of each start-state component (must be >= low).', default: DEFAULT_HIGH },
];

export function acrobotObservationSpace(): BoxSpace {
  const high = [1, 1, 1, 1, Math.fround(MAX_VEL_1), Math.fround(MAX_VEL_2)];
  return box(high.map((h) => -h), high, [6], 'float32');
}

export function acrobotActionSpace(): DiscreteSpace {
  return discrete(3);
}

/**
 * Gymnasium's _dsdt ("book"): from y = [theta1, theta2, dtheta1, dtheta2, torque] writes
 * [dtheta1, dtheta2, ddtheta1, ddtheta2, 0] into out. Squares are products (NumPy's scalar
 * ** 2 calls pow, which may differ from x * x in the last bit).
 */
function dsdt(y: Float64Array, out: Float64Array): void {
  const theta1 = y[0];
  const theta2 = y[1];
  const dtheta1 = y[2];
  const dtheta2 = y[3];
  const a = y[4];
  const cos2 = Math.cos(theta2);
  const sin2 = Math.sin(theta2);
  const d1 = M1 * LC1 ** 2 + M2 * (L1 ** 2 + LC2 ** 2 + 2 * L1 * LC2 * cos2) + I1 + I2;
  const d2 = M2 * (LC2 ** 2 + L1 * LC2 * cos2) + I2;
  const phi2 = M2 * LC2 * G * Math.cos(theta1 + theta2 - Math.PI / 2.0);
  const phi1 =
    -M2 * L1 * LC2 * (dtheta2 * dtheta2) * sin2 -
    2 * M2 * L1 * LC2 * dtheta2 * dtheta1 * sin2 +
    (M1 * LC1 + M2 * L1) * G * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  const ddtheta2 = (a + (d2 / d1) * phi1 - M2 * L1 * LC2 * (dtheta1 * dtheta1) * sin2 - phi2) / (M2 * LC2 ** 2 + I2 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
  out[4] = 0.0;
}

/** Gymnasium's wrap(x, m, M): shifts x by M - m until m <= x <= M. */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

/** `numEnvs` copies of Acrobot-v1. */
export class AcrobotBatch implements GymDynamics {
  readonly numEnvs: number;
  readonly obsSize = 6;
  /** [numEnvs * 6] float32 observations. */
  readonly observations: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeSteps: Int32Array;
  readonly maxEpisodeSteps: number;
  /** [numEnvs * 4] float64 [theta1 (rad), theta2 (rad), dtheta1 (rad/s), dtheta2 (rad/s)]. */
  readonly physics: Float64Array;
  readonly started: Uint8Array;
  readonly rngs: NumpyGenerator[];
  // RK4 scratch: the augmented state, the stage input and the four slopes (5 each).
  private readonly y0 = new Float64Array(5);
  private readonly yt = new Float64Array(5);
  private readonly k1 = new Float64Array(5);
  private readonly k2 = new Float64Array(5);
  private readonly k3 = new Float64Array(5);
  private readonly k4 = new Float64Array(5);

  /** @param seed copy i's generator is seeded with seed + i; undefined seeds from OS entropy. */
  constructor(numEnvs: number, config: Record<string, unknown> = {}, seed?: number) {
    const c = resolveOptions(acrobotConfigOptions, config, 'config');
    this.rngs = makeGenerators(numEnvs, seed);
    this.numEnvs = numEnvs;
    this.maxEpisodeSteps = c.max_episode_steps as number;
    this.observations = new Float32Array(6 * numEnvs);
    this.physics = new Float64Array(4 * numEnvs);
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

  /** state = uniform(low, high, size=(4,)).astype(float32). */
  resetCopy(i: number, seed?: number, options?: OptionValues): void {
    const [low, high] = resetBounds(options, DEFAULT_LOW, DEFAULT_HIGH);
    const rng = this.rngs[i];
    if (seed !== undefined) rng.seed(seed);
    for (let k = 0; k < 4; k++) this.physics[4 * i + k] = Math.fround(rng.uniform(low, high));
    this.writeObservation(i);
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    this.episodeSteps[i] = 0;
    this.started[i] = 1;
  }

  step(actions: ArrayLike<number>): void {
    for (let i = 0; i < this.numEnvs; i++) if (this.started[i] === 0) throw notReset(ACROBOT_ID, i);
    for (let i = 0; i < this.numEnvs; i++) this.advance(i, actions[i]);
  }

  stepCopy(i: number, action: number): void {
    if (this.started[i] === 0) throw notReset(ACROBOT_ID, i);
    this.advance(i, action);
  }

  /** True once copy i has been reset. */
  isStarted(i: number): boolean {
    return this.started[i] === 1;
  }

  /** [cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2] rounded to float32. */
  private writeObservation(i: number): void {
    const s = this.physics;
    const o = 4 * i;
    const ob = 6 * i;
    this.observations[ob] = Math.cos(s[o]);
    this.observations[ob + 1] = Math.sin(s[o]);
    this.observations[ob + 2] = Math.cos(s[o + 1]);
    this.observations[ob + 3] = Math.sin(s[o + 1]);
    this.observations[ob + 4] = s[o + 2];
    this.observations[ob + 5] = s[o + 3];
  }

  /** Gymnasium's step: rk4(_dsdt, [s, torque], [0, dt]), wrap, bound, terminal test (allocation-free). */
  private advance(i: number, action: number): void {
    const s = this.physics;
    const o = 4 * i;
    const { y0, yt, k1, k2, k3, k4 } = this;
    for (let k = 0; k < 4; k++) y0[k] = s[o + k];
    y0[4] = AVAIL_TORQUE[action];
    const dt = ACROBOT_DT - 0;
    const dt2 = dt / 2.0;
    dsdt(y0, k1);
    for (let k = 0; k < 5; k++) yt[k] = y0[k] + dt2 * k1[k];
    dsdt(yt, k2);
    for (let k = 0; k < 5; k++) yt[k] = y0[k] + dt2 * k2[k];
    dsdt(yt, k3);
    for (let k = 0; k < 5; k++) yt[k] = y0[k] + dt * k3[k];
    dsdt(yt, k4);
    const c = dt / 6.0;
    for (let k = 0; k < 4; k++) s[o + k] = y0[k] + c * (k1[k] + 2 * k2[k] + 2 * k3[k] + k4[k]);
    s[o] = wrap(s[o], -Math.PI, Math.PI);
    s[o + 1] = wrap(s[o + 1], -Math.PI, Math.PI);
    s[o + 2] = Math.min(Math.max(s[o + 2], -MAX_VEL_1), MAX_VEL_1);
    s[o + 3] = Math.min(Math.max(s[o + 3], -MAX_VEL_2), MAX_VEL_2);
    const terminated = -Math.cos(s[o]) - Math.cos(s[o + 1] + s[o]) > 1.0;
    this.terminated[i] = terminated ? 1 : 0;
    this.rewards[i] = terminated ? 0.0 : -1.0;
    this.writeObservation(i);
    const steps = this.episodeSteps[i] + 1;
    this.episodeSteps[i] = steps;
    this.truncated[i] = steps >= this.maxEpisodeSteps ? 1 : 0;
  }

  exportState(): EnvBatchState {
    return exportPhysicsState(this);
  }

  importState(state: EnvBatchState): void {
    importPhysicsState(this, state, ACROBOT_ID);
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) this.writeObservation(i);
  }
}

export function describeAcrobot(config: OptionValues) {
  const c = resolveOptions(acrobotConfigOptions, config, 'config');
  return { observationSpace: acrobotObservationSpace(), actionSpace: acrobotActionSpace(), maxEpisodeSteps: c.max_episode_steps as number };
}
