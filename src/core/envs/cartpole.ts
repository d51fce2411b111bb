import { randomInt } from 'node:crypto';
import { failedPrecondition, invalidArgument } from '../errors.js';
import { resolveOptions, type OptionSpec, type OptionValues } from '../options.js';
import {
  anglePositionReward,
  cartPoleRewards,
  cartPoleTransition,
  gymnasiumReward,
  newCartPoleFacts,
  suttonBartoRewardFunction,
  terminalPenaltyReward,
  type CartPoleFacts,
  type CartPoleState,
} from '../rewards/cartpole.js';
import type { RewardChoice } from '../rewards/types.js';
import { isPcg64State, pcg64Seed, pcg64Uniform } from '../numpy-random.js';
import { box, discrete, type BoxSpace, type DiscreteSpace } from '../spaces.js';
import { cartPoleSimdAvailable, CartPoleSimd, type CartPolePhysics } from './cartpole-simd.js';
import { RewardedBatch, type EnvRewards } from './reward-layer.js';
import { cosSmall, sinSmall, SMALL_ANGLE_MAX, SMALL_ANGLE_MIN } from './small-angle-trig.js';
import type { EnvBatch, EnvBatchState, EnvType, RenderModeName, RgbFrame } from './types.js';

/** Cart position beyond which the episode terminates, in metres. */
export const X_THRESHOLD = 2.4;
/** Pole angle beyond which the episode terminates: 12 degrees in radians. */
export const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
/** Frame size of render(i, 'rgb_array'), in pixels. */
export const SCREEN_WIDTH = 600;
export const SCREEN_HEIGHT = 400;

/** Gymnasium's message for a step taken after the episode terminated. */
export const STEP_AFTER_TERMINATION_WARNING =
  "You are calling 'step()' even though this environment has already returned terminated = True. " +
  "You should always call 'reset()' once you receive 'terminated = True' -- any further steps are undefined behavior.";

/**
 * Observation upper bound, as float32 values widened to float64: [x_threshold * 2,
 * Infinity, theta_threshold * 2, Infinity] (Gymnasium 1.x uses np.inf for the velocities).
 */
export const CARTPOLE_OBS_HIGH: readonly number[] = [
  Math.fround(X_THRESHOLD * 2),
  Infinity,
  Math.fround(THETA_THRESHOLD_RADIANS * 2),
  Infinity,
];

/**
 * Copies from which a CartPoleBatch steps its physics in WebAssembly SIMD (cartpole-simd.ts)
 * by default; smaller batches (single envs above all) keep plain typed arrays and the JS
 * kernel, and pay no WebAssembly.Memory each.
 */
export const CARTPOLE_SIMD_MIN_ENVS = 64;

/** Options of CartPoleBatch (for tests and benchmarks; the defaults are what to use). */
export interface CartPoleBatchOptions {
  /**
   * Step the physics in WebAssembly SIMD: true = whenever the runtime supports it (any
   * numEnvs), false = never; default: when numEnvs >= CARTPOLE_SIMD_MIN_ENVS, the runtime
   * supports it and GYMHOST_CARTPOLE_SIMD is not "0".
   */
  readonly simd?: boolean;
}

const DEFAULT_RESET_LOW = -0.05;
const DEFAULT_RESET_HIGH = 0.05;

/** Config options of CartPole-v1 (see the table above). */
export const cartPoleConfigOptions: readonly OptionSpec[] = [
  {
    name: 'kinematics_integrator',
    type: 'string',
    description: 'Integrator: "euler" (explicit Euler, Gymnasium\'s default) or "semi-implicit" (velocities first).',
    default: 'euler',
    choices: ['euler', 'semi-implicit'],
  },
  {
    name: 'sutton_barto_reward',
    type: 'bool',
    description:
      "Gymnasium's sutton_barto_reward: the 'gymnasium' reward function pays 0 per step and -1 on termination. " +
      "An explicitly chosen reward function other than 'gymnasium' wins over this flag.",
    default: false,
  },
  { name: 'max_episode_steps', type: 'int', description: 'Steps after which an episode is truncated (TimeLimit).', default: 500, minimum: 1, maximum: 100000 },
  { name: 'gravity', type: 'number', description: 'Gravitational acceleration, m/s^2.', default: 9.8, minimum: 0.01, maximum: 100 },
  { name: 'masscart', type: 'number', description: 'Mass of the cart, kg.', default: 1.0, minimum: 0.001, maximum: 1000 },
  { name: 'masspole', type: 'number', description: 'Mass of the pole, kg.', default: 0.1, minimum: 0.001, maximum: 1000 },
  { name: 'length', type: 'number', description: "HALF the pole's length, m.", default: 0.5, minimum: 0.01, maximum: 10 },
  { name: 'force_mag', type: 'number', description: 'Magnitude of the push of either action, N.', default: 10.0, minimum: 0.001, maximum: 1000 },
  { name: 'tau', type: 'number', description: 'Seconds between state updates.', default: 0.02, minimum: 0.0001, maximum: 1 },
];

/** Reset options of CartPole-v1: bounds of the uniform start state. */
export const cartPoleResetOptions: readonly OptionSpec[] = [
  { name: 'low', type: 'number', description: 'Lower bound of each start-state component (must be <= high).', default: DEFAULT_RESET_LOW },
  { name: 'high', type: 'number', description: 'Upper bound of each start-state component (must be >= low).', default: DEFAULT_RESET_HIGH },
];

function observationSpace(): BoxSpace {
  return box(
    CARTPOLE_OBS_HIGH.map((h) => -h),
    CARTPOLE_OBS_HIGH,
    [4],
    'float32',
  );
}

function actionSpace(): DiscreteSpace {
  return discrete(2);
}

/** Built-in rewards CartPoleBatch's stepAll kernel computes inline (KERNEL_NONE: none, use advance). */
const KERNEL_NONE = 0;
const KERNEL_GYMNASIUM = 1;
const KERNEL_SUTTON_BARTO = 2;
const KERNEL_TERMINAL_PENALTY = 3;
const KERNEL_ANGLE_POSITION = 4;

/** PRNG words a copy saves (NumpyGenerator.stateWords, pcg64Seed's layout), and what gymhost before NumPy's generator saved. */
const RNG_WORDS = 8;
const OLD_RNG_WORDS = 4;

/** Entries of CartPoleBatch's kernelConsts. */
const K_FORCE_MAG = 0;
const K_POLEMASS_LENGTH = 1;
const K_TOTAL_MASS = 2;
const K_GRAVITY = 3;
const K_LENGTH = 4;
const K_MASSPOLE = 5;
const K_TAU = 6;
const K_X_MAX = 7;
const K_THETA_MAX = 8;
const K_SMALL_MIN = 9;
const K_SMALL_MAX = 10;
const K_X_THRESHOLD = 11;
const K_THETA_THRESHOLD = 12;
const K_P0 = 13;
const K_P1 = 14;
const K_P2 = 15;
const K_P3 = 16;
const K_COUNT = 17;

/** Offsets of a copy's entries in CartPoleBatch's counters (4 a copy). */
const C_ELAPSED = 0;
const C_BEYOND = 1;
const C_WARNED = 2;

/** Saved state of a CartPoleBatch (rollback snapshots and exportState). */
type SavedCopies = {
  state: Float64Array;
  ints: Int32Array;
  flags: Uint8Array;
  rewards: Float64Array;
  rngs: Float64Array;
};

/** CartPole's reward functions for the shared reward layer. */
const cartPoleRewardSpec: EnvRewards<CartPoleState, CartPoleFacts> = {
  envId: 'CartPole-v1',
  schema: cartPoleTransition,
  builtins: [...cartPoleRewards.values()],
  defaultName: gymnasiumReward.name,
};

/**
 * `numEnvs` copies of CartPole-v1: a port of Gymnasium 1.x's
 * gymnasium/envs/classic_control/cartpole.py (checked against gymnasium 1.4.0) wrapped in
 * TimeLimit(max_episode_steps=500).
 *
 * State is float64, interleaved: copy i's [x (m), x_dot (m/s), theta (rad), theta_dot
 * (rad/s)] at [4i, 4i + 4). step/stepAll allocate nothing; with a built-in reward stepAll
 * and stepWhere step every copy in a few short loops over all copies (stepKernel), without
 * per-copy calls; plugin and sandboxed rewards step copy by copy (advance), as transactions.
 * Every copy's generator state lives in one Uint32Array and a reset draws its four start
 * values with one call (pcg64Uniform), so resets touch no per-copy objects. From
 * CARTPOLE_SIMD_MIN_ENVS copies, state, observations and terminated are views into one
 * WebAssembly.Memory of this batch's and the kernel's physics runs in WebAssembly SIMD
 * (cartpole-simd.ts), bit for bit the same.
 *
 * ## Description
 *
 * The cart-pole problem of Barto, Sutton and Anderson, "Neuronlike Adaptive Elements That Can
 * Solve Difficult Learning Control Problems". A pole is attached by an un-actuated joint to a
 * cart that moves along a frictionless track. The pole starts upright and the goal is to keep
 * it balanced by pushing the cart left or right.
 *
 * ## Action space
 *
 * Discrete(2): 0 pushes the cart to the left, 1 pushes it to the right, with a fixed force of
 * `force_mag` newtons. (How much the push changes the velocity depends on the pole's angle.)
 *
 * ## Observation space
 *
 * Box(4) float32, the state rounded from float64 to float32 (as numpy's astype does):
 *
 * | Num | Observation           | Min                 | Max               |
 * |-----|-----------------------|---------------------|-------------------|
 * | 0   | Cart position (m)     | -4.8                | 4.8               |
 * | 1   | Cart velocity (m/s)   | -Infinity           | Infinity          |
 * | 2   | Pole angle (rad)      | ~ -0.418 (-24 deg)  | ~ 0.418 (24 deg)  |
 * | 3   | Pole angular velocity | -Infinity           | Infinity          |
 *
 * The bounds are Gymnasium's: twice the termination thresholds, unbounded velocities. The
 * episode terminates long before x or theta reach them.
 *
 * ## Rewards
 *
 * Reward functions (see src/core/rewards/cartpole.ts):
 * - `gymnasium` (default): +1 for every step, including the terminating step; 0 for a step
 *   taken after the episode terminated (while the state stays out of bounds). With config
 *   `sutton_barto_reward=true` it pays the `sutton_barto` reward instead, exactly as
 *   Gymnasium's constructor argument does.
 * - `sutton_barto`: 0 per step, -1 on the terminating step and -1 on every step after it
 *   (while the state stays out of bounds). Choosing it explicitly wins over the config flag:
 *   `sutton_barto_reward=false` with reward function `sutton_barto` pays sutton_barto.
 *
 * ## Starting state
 *
 * Each of the four state components uniform in [low, high), by default [-0.05, 0.05), drawn
 * from the copy's own generator (src/core/numpy-random.ts: NumPy's PCG64, seeded as
 * Gymnasium's reset(seed) seeds np_random, bit for bit what NumpyGenerator draws), so equal
 * seeds give Gymnasium's start states.
 *
 * ## Episode end
 *
 * 1. Termination: |x| > 2.4 (the cart's centre leaves the track).
 * 2. Termination: |theta| > 12 degrees (0.20943951023931953 rad).
 * 3. Truncation (TimeLimit): the step count of the episode reaches `max_episode_steps`
 *    (default 500). As in Gymnasium, a step can be both terminated and truncated, and every
 *    later step is truncated too.
 *
 * Stepping after termination is allowed, as in Gymnasium: the physics keeps going, the
 * post-termination reward is paid and info(i) carries a `warning` (on every such step;
 * Gymnasium logs it once). `terminated` is recomputed from each new state, so if the state
 * comes back inside the bounds Gymnasium (and this port) reports terminated = 0 and the
 * in-bounds reward again.
 *
 * ## Arguments (config)
 *
 * | Option                  | Type   | Default | Meaning                                             |
 * |-------------------------|--------|---------|-----------------------------------------------------|
 * | `kinematics_integrator` | string | "euler" | "euler" (explicit) or "semi-implicit" Euler         |
 * | `sutton_barto_reward`   | bool   | false   | the `gymnasium` reward pays Sutton & Barto's reward |
 * | `max_episode_steps`     | int    | 500     | TimeLimit truncation, 1..100000                     |
 * | `gravity`               | number | 9.8     | m/s^2                                               |
 * | `masscart`              | number | 1.0     | kg                                                  |
 * | `masspole`              | number | 0.1     | kg                                                  |
 * | `length`                | number | 0.5     | m, HALF the pole's length                           |
 * | `force_mag`             | number | 10.0    | N                                                   |
 * | `tau`                   | number | 0.02    | s between state updates                             |
 *
 * ## Reset options
 *
 * `low` and `high` (defaults -0.05 and 0.05): the bounds of the uniform start state, with
 * Gymnasium's maybe_parse_reset_bounds semantics (either may be given alone; low > high is
 * an error, INVALID_ARGUMENT on `options.low`). low == high starts every component at exactly
 * that value whatever the PRNG draws, which is how parity with Gymnasium is tested.
 */
export class CartPoleBatch extends RewardedBatch<CartPoleState, CartPoleFacts, SavedCopies> implements EnvBatch {
  readonly observationSpace: BoxSpace = observationSpace();
  readonly actionSpace: DiscreteSpace = actionSpace();
  readonly obsSize = 4;
  /** [numEnvs * 4] float32 observations: the state rounded to float32. */
  readonly observations: Float32Array;
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 once the episode's step count reaches maxEpisodeSteps (even if terminated too). */
  readonly truncated: Uint8Array;
  readonly maxEpisodeSteps: number;
  /**
   * [numEnvs * 4] float64 state, interleaved per copy (see the class comment). Writable for
   * tests and tools (like Gymnasium's env.unwrapped.state); observations follow on the next step.
   */
  readonly state: Float64Array;
  /** The resolved config this batch was made with. */
  readonly config: OptionValues;
  /** Whether stepAll / stepWhere step the physics in WebAssembly SIMD (CartPoleBatchOptions.simd). */
  readonly simd: boolean;

  private readonly gravity: number;
  private readonly masscart: number;
  private readonly masspole: number;
  private readonly totalMass: number;
  private readonly length: number;
  private readonly polemassLength: number;
  private readonly forceMag: number;
  private readonly tau: number;
  private readonly semiImplicit: boolean;

  /**
   * [numEnvs * 8] copy i's `np_random` (NumPy's PCG64 generator, as Gymnasium's env has after
   * reset(seed)) at [8i, 8i + 8): the words of pcg64Seed / NumpyGenerator.saveTo. One array
   * for all copies, so resets touch no per-copy objects.
   */
  private readonly rngWords: Uint32Array;
  /**
   * [numEnvs * 4] copy i's counters at [4i, 4i + 4): C_ELAPSED, the steps in the current
   * episode (TimeLimit's _elapsed_steps); C_BEYOND, Gymnasium's steps_beyond_terminated (-1
   * for None); C_WARNED, 1 if the last step was taken after the episode had terminated. One
   * array, so stepKernel's last pass touches one array for all three.
   */
  private readonly counters: Int32Array;
  /** [numEnvs] 1 once the copy has been reset. */
  private readonly started: Uint8Array;
  /** How many entries of `started` are 1 (stepAll skips its per-copy check once all are). */
  private startedCount = 0;

  /** The reward function and params selectKernel last decoded, and what it decoded them to. */
  private kernelFn: unknown = undefined;
  private kernelParams: OptionValues | undefined = undefined;
  private kernelReward = KERNEL_NONE;
  /**
   * stepKernel's constants (K_*): the physics, the thresholds and the decoded reward params
   * (see selectKernel). Read from a Float64Array they arrive in the kernel as raw float64
   * values; read from fields they would be checked and unboxed in every loop iteration.
   */
  private readonly kernelConsts = new Float64Array(K_COUNT);

  /**
   * [numEnvs * 2] stepKernel's scratch: sin and cos of copy i's angle at [2i] and [2i + 1],
   * then its accelerations xacc and thetaacc (empty when simd).
   */
  private readonly scratch: Float64Array;
  /** The SIMD kernel, whose memory holds state, observations and terminated, when simd. */
  private readonly simdKernel: CartPoleSimd | undefined;
  /** The physics constants the SIMD kernel takes. */
  private readonly physics: CartPolePhysics;

  private readonly sPrev = new Float64Array(4);
  private readonly sNext = new Float64Array(4);

  /**
   * @param numEnvs copies, an integer >= 1.
   * @param config config options (resolved or partial; validated and defaulted here).
   * @param reward reward function name and params (default `gymnasium`).
   * @param seed copy i's PRNG is seeded with seed + i; undefined seeds from OS entropy.
   * @param options see CartPoleBatchOptions.
   */
  constructor(
    numEnvs: number,
    config: Record<string, unknown> = {},
    reward: RewardChoice = { name: gymnasiumReward.name, params: {} },
    seed?: number,
    options: CartPoleBatchOptions = {},
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw invalidArgument('num_envs', `num_envs must be an integer >= 1, got ${numEnvs}`, 'OUT_OF_RANGE');
    }
    const c = resolveOptions(cartPoleConfigOptions, config, 'config');
    const facts = newCartPoleFacts();
    facts.suttonBartoConfig = c.sutton_barto_reward as boolean;
    super(numEnvs, cartPoleRewardSpec, facts);
    this.config = c;
    this.maxEpisodeSteps = c.max_episode_steps as number;
    this.gravity = c.gravity as number;
    this.masscart = c.masscart as number;
    this.masspole = c.masspole as number;
    this.totalMass = this.masspole + this.masscart;
    this.length = c.length as number;
    this.polemassLength = this.masspole * this.length;
    this.forceMag = c.force_mag as number;
    this.tau = c.tau as number;
    this.semiImplicit = c.kinematics_integrator === 'semi-implicit';
    const k = this.kernelConsts;
    k[K_FORCE_MAG] = this.forceMag;
    k[K_POLEMASS_LENGTH] = this.polemassLength;
    k[K_TOTAL_MASS] = this.totalMass;
    k[K_GRAVITY] = this.gravity;
    k[K_LENGTH] = this.length;
    k[K_MASSPOLE] = this.masspole;
    k[K_TAU] = this.tau;
    k[K_X_MAX] = X_THRESHOLD;
    k[K_THETA_MAX] = THETA_THRESHOLD_RADIANS;
    k[K_SMALL_MIN] = SMALL_ANGLE_MIN;
    k[K_SMALL_MAX] = SMALL_ANGLE_MAX;

    this.physics = {
      forceMag: this.forceMag,
      polemassLength: this.polemassLength,
      totalMass: this.totalMass,
      gravity: this.gravity,
      length: this.length,
      masspole: this.masspole,
      tau: this.tau,
      xMax: X_THRESHOLD,
      thetaMax: THETA_THRESHOLD_RADIANS,
      smallMin: SMALL_ANGLE_MIN,
      smallMax: SMALL_ANGLE_MAX,
      semiImplicit: this.semiImplicit,
    };
    this.simdKernel = wantsSimd(numEnvs, options) ? newSimdKernel(numEnvs) : undefined;
    this.simd = this.simdKernel !== undefined;
    if (this.simdKernel !== undefined) {
      this.state = this.simdKernel.state;
      this.observations = this.simdKernel.observations;
      this.terminated = this.simdKernel.terminated;
      this.scratch = new Float64Array(0);
    } else {
      this.state = new Float64Array(4 * numEnvs);
      this.observations = new Float32Array(4 * numEnvs);
      this.terminated = new Uint8Array(numEnvs);
      this.scratch = new Float64Array(2 * numEnvs);
    }
    this.truncated = new Uint8Array(numEnvs);
    this.counters = new Int32Array(4 * numEnvs);
    for (let i = 0; i < numEnvs; i++) this.counters[4 * i + C_BEYOND] = -1;
    this.started = new Uint8Array(numEnvs);
    const base = seed ?? randomInt(0, 2 ** 48 - 1);
    this.rngWords = new Uint32Array(RNG_WORDS * numEnvs);
    for (let i = 0; i < numEnvs; i++) pcg64Seed(base + i, this.rngWords, RNG_WORDS * i);
    this.setReward(reward.name, reward.params, reward.impl);
  }

  /**
   * Starts copy i's episode: reseeds its PRNG if `seed` is given, then draws each state
   * component uniformly in [options.low, options.high). Throws INVALID_ARGUMENT (field
   * `options.low`) before changing anything if low > high.
   */
  reset(i: number, seed: number | undefined, options: OptionValues): void {
    const low = typeof options.low === 'number' ? options.low : DEFAULT_RESET_LOW;
    const high = typeof options.high === 'number' ? options.high : DEFAULT_RESET_HIGH;
    if (low > high) {
      throw invalidArgument('options.low', `options.low (${low}) must be lower than or equal to options.high (${high})`, 'RESET_BOUNDS');
    }
    if (seed !== undefined) pcg64Seed(seed, this.rngWords, RNG_WORDS * i);
    // np_random.uniform(low, high, size=(4,)): four draws in order.
    const o = 4 * i;
    const st = this.state;
    pcg64Uniform(this.rngWords, RNG_WORDS * i, low, high, st, o, 4);
    const obs = this.observations;
    obs[o] = st[o];
    obs[o + 1] = st[o + 1];
    obs[o + 2] = st[o + 2];
    obs[o + 3] = st[o + 3];
    const c = 4 * i;
    this.counters[c + C_ELAPSED] = 0;
    this.counters[c + C_BEYOND] = -1;
    this.counters[c + C_WARNED] = 0;
    if (this.started[i] === 0) {
      this.started[i] = 1;
      this.startedCount++;
    }
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
  }

  /** Steps need a reset first (copy i's, for step; every copy's, for stepAll). */
  protected override checkStep(i: number): void {
    if (this.started[i] === 0) throw notReset(i);
  }

  episodeSteps(i: number): number {
    return this.counters[4 * i + C_ELAPSED];
  }

  /** {} normally; {warning} when the last step was taken after the episode terminated. */
  info(i: number): Record<string, unknown> {
    return this.counters[4 * i + C_WARNED] ? { warning: STEP_AFTER_TERMINATION_WARNING } : {};
  }

  /**
   * 'rgb_array': a new 600x400 RGB frame drawn as Gymnasium's pygame renderer draws it.
   * 'ansi': one line "x=… x_dot=… theta=… theta_dot=…" (metres, m/s, radians, rad/s).
   */
  render(i: number, mode: RenderModeName): RgbFrame | string {
    if (this.started[i] === 0) throw notReset(i);
    const o = 4 * i;
    const s = this.state;
    if (mode === 'ansi') {
      return `x=${fmt(s[o])} x_dot=${fmt(s[o + 1])} theta=${fmt(s[o + 2])} theta_dot=${fmt(s[o + 3])}`;
    }
    return drawCartPole(s[o], s[o + 2], this.length);
  }

  /** The track (x in [-x_threshold, x_threshold] m), the pole's half length (m) and failure angle (rad), and tau (s between states). */
  scene(): Record<string, unknown> {
    return {
      kind: 'cart_pole',
      state_names: ['x', 'x_dot', 'theta', 'theta_dot'],
      action_names: ['push left', 'push right'],
      x_threshold: X_THRESHOLD,
      theta_threshold_radians: THETA_THRESHOLD_RADIANS,
      pole_half_length: this.length,
      tau: this.tau,
    };
  }

  /** [x, x_dot, theta, theta_dot] of copy i (float64 state, not the float32 observation). */
  drawState(i: number, out: number[]): void {
    const o = 4 * i;
    out.push(this.state[o], this.state[o + 1], this.state[o + 2], this.state[o + 3]);
  }

  /** Every copy's state (physics, counters, flags, rewards, PRNGs) into `into` (a new object when absent). */
  protected capture(into: SavedCopies | undefined): SavedCopies {
    const n = this.numEnvs;
    const snap = into ?? {
      state: new Float64Array(4 * n),
      ints: new Int32Array(2 * n),
      flags: new Uint8Array(4 * n),
      rewards: new Float64Array(n),
      rngs: new Float64Array(RNG_WORDS * n),
    };
    snap.state.set(this.state);
    const counters = this.counters;
    for (let i = 0; i < n; i++) {
      snap.ints[i] = counters[4 * i + C_ELAPSED];
      snap.ints[n + i] = counters[4 * i + C_BEYOND];
      snap.flags[2 * n + i] = counters[4 * i + C_WARNED];
    }
    snap.flags.set(this.terminated, 0);
    snap.flags.set(this.truncated, n);
    snap.flags.set(this.started, 3 * n);
    snap.rewards.set(this.rewards);
    snap.rngs.set(this.rngWords);
    return snap;
  }

  protected apply(snap: SavedCopies): void {
    const n = this.numEnvs;
    this.state.set(snap.state);
    // Observations are the state rounded to float32, as step and reset write them.
    for (let k = 0; k < 4 * n; k++) this.observations[k] = snap.state[k];
    const counters = this.counters;
    for (let i = 0; i < n; i++) {
      counters[4 * i + C_ELAPSED] = snap.ints[i];
      counters[4 * i + C_BEYOND] = snap.ints[n + i];
      counters[4 * i + C_WARNED] = snap.flags[2 * n + i];
    }
    this.terminated.set(snap.flags.subarray(0, n));
    this.truncated.set(snap.flags.subarray(n, 2 * n));
    this.started.set(snap.flags.subarray(3 * n, 4 * n));
    let started = 0;
    for (let i = 0; i < n; i++) started += this.started[i] === 0 ? 0 : 1;
    this.startedCount = started;
    this.rewards.set(snap.rewards);
    // As NumpyGenerator.loadFrom: a copy whose saved words are no PCG64 state keeps its own.
    const words = this.rngWords;
    const saved = snap.rngs;
    for (let i = 0; i < n; i++) {
      const o = RNG_WORDS * i;
      if (!isPcg64State(saved, o)) continue;
      for (let k = 0; k < RNG_WORDS; k++) words[o + k] = saved[o + k];
    }
  }

  /** See EnvBatch.importState. */
  importState(state: EnvBatchState): void {
    const n = this.numEnvs;
    const s = state as Partial<SavedCopies>;
    const fits = s.state instanceof Float64Array && s.state.length === 4 * n && s.ints instanceof Int32Array && s.ints.length === 2 * n
      && s.flags instanceof Uint8Array && s.flags.length === 4 * n && s.rewards instanceof Float64Array && s.rewards.length === n
      && s.rngs instanceof Float64Array && (s.rngs.length === RNG_WORDS * n || s.rngs.length === OLD_RNG_WORDS * n);
    if (!fits) throw new Error(`CartPoleBatch.importState: not the state of ${n} CartPole copies`);
    // A state saved before the PRNG became NumPy's (4 words a copy) keeps its physics; later
    // unseeded resets draw from this batch's own generators.
    this.apply(s.rngs!.length === RNG_WORDS * n ? (s as SavedCopies) : { ...(s as SavedCopies), rngs: this.capture(undefined).rngs });
  }

  /** Steps every copy (see EnvBatch.stepAll); built-in rewards take the one-pass kernel. */
  override stepAll(actions: ArrayLike<number>): void {
    if (!this.selectKernel()) {
      super.stepAll(actions);
      return;
    }
    if (this.startedCount !== this.numEnvs) {
      const started = this.started;
      for (let i = 0; i < this.numEnvs; i++) if (started[i] === 0) throw notReset(i);
    }
    this.stepKernel(actions, undefined);
  }

  /** Steps the copies with skip[i] === 0 (see EnvBatch.stepWhere); built-in rewards take the one-pass kernel. */
  override stepWhere(actions: ArrayLike<number>, skip: Uint8Array): void {
    if (!this.selectKernel()) {
      super.stepWhere(actions, skip);
      return;
    }
    if (this.startedCount !== this.numEnvs) {
      const started = this.started;
      for (let i = 0; i < this.numEnvs; i++) if (skip[i] === 0 && started[i] === 0) throw notReset(i);
    }
    this.stepKernel(actions, skip);
  }

  /**
   * Whether the reward paid now is a built-in the kernel computes; if so sets kernelReward
   * and kernelP0..3 from it and its params. Decoded again only after setReward.
   */
  private selectKernel(): boolean {
    const fn = this.builtinReward();
    if (fn === undefined) return false;
    const params = this.builtinRewardParams();
    if (fn === this.kernelFn && params === this.kernelParams) return this.kernelReward !== KERNEL_NONE;
    this.kernelFn = fn;
    this.kernelParams = params;
    const k = this.kernelConsts;
    k[K_P0] = k[K_P1] = k[K_P2] = k[K_P3] = 0;
    k[K_X_THRESHOLD] = this.facts.xThreshold;
    k[K_THETA_THRESHOLD] = this.facts.thetaThreshold;
    if (fn === gymnasiumReward) {
      this.kernelReward = this.facts.suttonBartoConfig ? KERNEL_SUTTON_BARTO : KERNEL_GYMNASIUM;
    } else if (fn === suttonBartoRewardFunction) {
      this.kernelReward = KERNEL_SUTTON_BARTO;
    } else if (fn === terminalPenaltyReward) {
      this.kernelReward = KERNEL_TERMINAL_PENALTY;
      k[K_P0] = params.step as number;
      k[K_P1] = params.penalty as number;
    } else if (fn === anglePositionReward) {
      this.kernelReward = KERNEL_ANGLE_POSITION;
      k[K_P0] = params.alive as number;
      k[K_P1] = params.angle_weight as number;
      k[K_P2] = params.position_weight as number;
      k[K_P3] = params.failure as number;
    } else {
      this.kernelReward = KERNEL_NONE;
    }
    return this.kernelReward !== KERNEL_NONE;
  }

  /**
   * advance() of every copy i with skip absent or skip[i] === 0, without per-copy calls or allocation: the
   * same float64 operations in the same order, the float32 observations written in the same
   * pass, and the built-in reward chosen by selectKernel computed inline (the same arithmetic
   * as its compute in src/core/rewards/cartpole.ts). `actions`: [numEnvs].
   *
   * Four passes over the copies, each a short loop whose iterations are independent, so the
   * CPU overlaps many copies (one long loop body is bound by the latency of its chain
   * sin/cos -> temp -> thetaacc -> xacc instead), and none with a call or a data-dependent
   * branch:
   * 1. sin and cos of every copy's angle into the scratch: the small-angle polynomials
   *    unconditionally, then Math.sin / Math.cos for the rare copies outside their range;
   * 2a. the accelerations (into the scratch);
   * 2b. the integration: state, observations and `terminated`;
   * 3. the counters, flags and reward, in one loop per reward function.
   * When simd, passes 1 to 2b run in WebAssembly SIMD (cartpole-simd.ts), with the same
   * results bit for bit.
   */
  private stepKernel(actions: ArrayLike<number>, skipOrAll: Uint8Array | undefined): void {
    if (this.simdKernel !== undefined) this.simdKernel.step(actions, skipOrAll, this.physics);
    else this.physicsJs(actions, skipOrAll);
    this.countersAndRewards(skipOrAll);
  }

  /** stepKernel's passes 1, 2a and 2b in JS. */
  private physicsJs(actions: ArrayLike<number>, skipOrAll: Uint8Array | undefined): void {
    const n = this.numEnvs;
    // stepAll tests no mask at all: `hasSkip && ...` is false before any load.
    const hasSkip = skipOrAll !== undefined;
    const skip = skipOrAll ?? this.terminated;
    const st = this.state;
    const sc = this.scratch;

    // 1. sin and cos of theta, bit for bit Math.sin / Math.cos (small-angle-trig.ts): the
    // polynomials for every copy (skipped ones too: their entries are not read), then
    // Math.sin / Math.cos for the copies outside the polynomials' range.
    const k = this.kernelConsts;
    const smallMax = k[K_SMALL_MAX];
    const smallMin = k[K_SMALL_MIN];
    let large = 0;
    for (let i = 0; i < n; i++) {
      const theta = st[4 * i + 2];
      sc[2 * i] = sinSmall(theta);
      sc[2 * i + 1] = cosSmall(theta);
      const a = Math.abs(theta);
      large += a < smallMax && a >= smallMin ? 0 : 1;
    }
    if (large !== 0) {
      for (let i = 0; i < n; i++) {
        const theta = st[4 * i + 2];
        const a = Math.abs(theta);
        if (!(a < smallMax && a >= smallMin)) {
          sc[2 * i] = Math.sin(theta);
          sc[2 * i + 1] = Math.cos(theta);
        }
      }
    }

    // 2a. Accelerations, Gymnasium's operations in Gymnasium's order (as advance): xacc
    // replaces sin in the scratch, thetaacc replaces cos.
    const forceMag = k[K_FORCE_MAG];
    const polemassLength = k[K_POLEMASS_LENGTH];
    const totalMass = k[K_TOTAL_MASS];
    const gravity = k[K_GRAVITY];
    const length = k[K_LENGTH];
    const masspole = k[K_MASSPOLE];
    for (let i = 0; i < n; i++) {
      const thetaDot = st[4 * i + 3];
      // actions[i] === 1 ? forceMag : -forceMag, without a branch (random actions mispredict).
      const force = forceMag * (Number(actions[i] === 1) * 2 - 1);
      const sintheta = sc[2 * i];
      const costheta = sc[2 * i + 1];
      const temp = (force + polemassLength * (thetaDot * thetaDot) * sintheta) / totalMass;
      const thetaacc = (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - (masspole * (costheta * costheta)) / totalMass));
      sc[2 * i] = temp - (polemassLength * thetaacc * costheta) / totalMass;
      sc[2 * i + 1] = thetaacc;
    }

    // 2b. Integration (explicit or semi-implicit Euler), state, float32 observations, terminated.
    const obs = this.observations;
    const terminatedOut = this.terminated;
    const tau = k[K_TAU];
    const xMax = k[K_X_MAX];
    const thetaMax = k[K_THETA_MAX];
    const semiImplicit = this.semiImplicit;
    for (let i = 0; i < n; i++) {
      if (hasSkip && skip[i] !== 0) continue;
      const o = 4 * i;
      const x = st[o];
      const xDot = st[o + 1];
      const theta = st[o + 2];
      const thetaDot = st[o + 3];
      const xacc = sc[2 * i];
      const thetaacc = sc[2 * i + 1];
      let nx: number;
      let nxDot: number;
      let nTheta: number;
      let nThetaDot: number;
      if (!semiImplicit) {
        nx = x + tau * xDot;
        nxDot = xDot + tau * xacc;
        nTheta = theta + tau * thetaDot;
        nThetaDot = thetaDot + tau * thetaacc;
      } else {
        nxDot = xDot + tau * xacc;
        nx = x + tau * nxDot;
        nThetaDot = thetaDot + tau * thetaacc;
        nTheta = theta + tau * nThetaDot;
      }
      st[o] = nx;
      st[o + 1] = nxDot;
      st[o + 2] = nTheta;
      st[o + 3] = nThetaDot;
      obs[o] = nx;
      obs[o + 1] = nxDot;
      obs[o + 2] = nTheta;
      obs[o + 3] = nThetaDot;
      terminatedOut[i] = nx < -xMax || nx > xMax || nTheta < -thetaMax || nTheta > thetaMax ? 1 : 0;
    }
  }

  /** stepKernel's pass 3: TimeLimit's step count, steps_beyond_terminated, the warning flag and the reward. */
  private countersAndRewards(skipOrAll: Uint8Array | undefined): void {
    const n = this.numEnvs;
    const hasSkip = skipOrAll !== undefined;
    const skip = skipOrAll ?? this.terminated;
    const st = this.state;
    const k = this.kernelConsts;
    const terminatedOut = this.terminated;
    const rewards = this.rewards;
    const truncatedOut = this.truncated;
    const counters = this.counters;
    const maxSteps = this.maxEpisodeSteps | 0;
    const kind = this.kernelReward;
    const p0 = k[K_P0];
    const p1 = k[K_P1];
    const p2 = k[K_P2];
    const p3 = k[K_P3];
    if (kind === KERNEL_GYMNASIUM) {
      for (let i = 0; i < n; i++) {
        if (hasSkip && skip[i] !== 0) continue;
        const terminated = terminatedOut[i] !== 0;
        const c = 4 * i;
        const beyond = counters[c + C_BEYOND];
        const afterTermination = beyond !== -1;
        if (terminated) counters[c + C_BEYOND] = afterTermination ? beyond + 1 : 0;
        rewards[i] = terminated && afterTermination ? 0 : 1;
        const steps = counters[c + C_ELAPSED] + 1;
        counters[c + C_ELAPSED] = steps;
        truncatedOut[i] = steps >= maxSteps ? 1 : 0;
        counters[c + C_WARNED] = afterTermination ? 1 : 0;
      }
    } else if (kind === KERNEL_SUTTON_BARTO) {
      for (let i = 0; i < n; i++) {
        if (hasSkip && skip[i] !== 0) continue;
        const terminated = terminatedOut[i] !== 0;
        const c = 4 * i;
        const beyond = counters[c + C_BEYOND];
        const afterTermination = beyond !== -1;
        if (terminated) counters[c + C_BEYOND] = afterTermination ? beyond + 1 : 0;
        rewards[i] = terminated ? -1 : 0;
        const steps = counters[c + C_ELAPSED] + 1;
        counters[c + C_ELAPSED] = steps;
        truncatedOut[i] = steps >= maxSteps ? 1 : 0;
        counters[c + C_WARNED] = afterTermination ? 1 : 0;
      }
    } else if (kind === KERNEL_TERMINAL_PENALTY) {
      for (let i = 0; i < n; i++) {
        if (hasSkip && skip[i] !== 0) continue;
        const terminated = terminatedOut[i] !== 0;
        const c = 4 * i;
        const beyond = counters[c + C_BEYOND];
        const afterTermination = beyond !== -1;
        if (terminated) counters[c + C_BEYOND] = afterTermination ? beyond + 1 : 0;
        rewards[i] = !terminated ? p0 : afterTermination ? 0 : p1;
        const steps = counters[c + C_ELAPSED] + 1;
        counters[c + C_ELAPSED] = steps;
        truncatedOut[i] = steps >= maxSteps ? 1 : 0;
        counters[c + C_WARNED] = afterTermination ? 1 : 0;
      }
    } else {
      // KERNEL_ANGLE_POSITION.
      const xThreshold = k[K_X_THRESHOLD];
      const thetaThreshold = k[K_THETA_THRESHOLD];
      for (let i = 0; i < n; i++) {
        if (hasSkip && skip[i] !== 0) continue;
        const terminated = terminatedOut[i] !== 0;
        const c = 4 * i;
        const beyond = counters[c + C_BEYOND];
        const afterTermination = beyond !== -1;
        if (terminated) counters[c + C_BEYOND] = afterTermination ? beyond + 1 : 0;
        if (terminated) {
          rewards[i] = afterTermination ? 0 : p3;
        } else {
          const u = st[4 * i + 2] / thetaThreshold;
          const v = st[4 * i] / xThreshold;
          rewards[i] = p0 - p1 * u * u - p2 * v * v;
        }
        const steps = counters[c + C_ELAPSED] + 1;
        counters[c + C_ELAPSED] = steps;
        truncatedOut[i] = steps >= maxSteps ? 1 : 0;
        counters[c + C_WARNED] = afterTermination ? 1 : 0;
      }
    }
  }

  /** One Gymnasium CartPoleEnv.step + TimeLimit step of copy i; allocation-free. */
  protected advance(i: number, action: number): void {
    const st = this.state;
    const o = 4 * i;
    const x = st[o];
    const xDot = st[o + 1];
    const theta = st[o + 2];
    const thetaDot = st[o + 3];
    const prev = this.sPrev;
    prev[0] = x;
    prev[1] = xDot;
    prev[2] = theta;
    prev[3] = thetaDot;

    // Same operations in the same order as Gymnasium, so float64 results agree bit for bit
    // up to the last-ulp differences of the platform's sin/cos.
    const force = action === 1 ? this.forceMag : -this.forceMag;
    const absTheta = Math.abs(theta);
    const small = absTheta < SMALL_ANGLE_MAX && absTheta >= SMALL_ANGLE_MIN;
    const costheta = small ? cosSmall(theta) : Math.cos(theta);
    const sintheta = small ? sinSmall(theta) : Math.sin(theta);
    const temp = (force + this.polemassLength * (thetaDot * thetaDot) * sintheta) / this.totalMass;
    const thetaacc =
      (this.gravity * sintheta - costheta * temp) /
      (this.length * (4.0 / 3.0 - (this.masspole * (costheta * costheta)) / this.totalMass));
    const xacc = temp - (this.polemassLength * thetaacc * costheta) / this.totalMass;

    let nx: number;
    let nxDot: number;
    let nTheta: number;
    let nThetaDot: number;
    const tau = this.tau;
    if (!this.semiImplicit) {
      nx = x + tau * xDot;
      nxDot = xDot + tau * xacc;
      nTheta = theta + tau * thetaDot;
      nThetaDot = thetaDot + tau * thetaacc;
    } else {
      nxDot = xDot + tau * xacc;
      nx = x + tau * nxDot;
      nThetaDot = thetaDot + tau * thetaacc;
      nTheta = theta + tau * nThetaDot;
    }
    st[o] = nx;
    st[o + 1] = nxDot;
    st[o + 2] = nTheta;
    st[o + 3] = nThetaDot;
    const next = this.sNext;
    next[0] = nx;
    next[1] = nxDot;
    next[2] = nTheta;
    next[3] = nThetaDot;
    const obs = this.observations;
    obs[o] = nx;
    obs[o + 1] = nxDot;
    obs[o + 2] = nTheta;
    obs[o + 3] = nThetaDot;

    const terminated =
      nx < -X_THRESHOLD || nx > X_THRESHOLD || nTheta < -THETA_THRESHOLD_RADIANS || nTheta > THETA_THRESHOLD_RADIANS;
    const counters = this.counters;
    const c = 4 * i;
    const beyond = counters[c + C_BEYOND];
    const afterTermination = beyond !== -1;
    if (terminated) counters[c + C_BEYOND] = afterTermination ? beyond + 1 : 0;

    const steps = counters[c + C_ELAPSED] + 1;
    const truncated = steps >= this.maxEpisodeSteps;
    const facts = this.facts;
    facts.terminated = terminated;
    facts.afterTermination = afterTermination;
    facts.stepsBeyondTerminated = counters[c + C_BEYOND];
    facts.truncated = truncated;
    facts.steps = steps;
    this.payReward(i, prev, action, next);
    this.terminated[i] = terminated ? 1 : 0;
    counters[c + C_ELAPSED] = steps;
    this.truncated[i] = truncated ? 1 : 0;
    counters[c + C_WARNED] = afterTermination ? 1 : 0;
  }
}

function notReset(i: number) {
  return failedPrecondition(`CartPole copy ${i} has not been reset: call reset before step or render`, 'STEP_BEFORE_RESET');
}

function fmt(v: number): string {
  return v.toFixed(6);
}

// ---- Rendering: Gymnasium's pygame drawing, rasterised by hand -----------------------------

const POLE_COLOR = [202, 152, 101] as const;
const AXLE_COLOR = [129, 132, 203] as const;
const BLACK = [0, 0, 0] as const;

/**
 * A 600x400 frame of the cart at `x` (m) with the pole at `theta` (rad), `halfLength` (m)
 * being the config's `length`. Shapes are computed in pygame's surface coordinates (y down,
 * cart top at y = 100) and the frame is flipped vertically, as Gymnasium does.
 */
export function drawCartPole(x: number, theta: number, halfLength: number): RgbFrame {
  const W = SCREEN_WIDTH;
  const H = SCREEN_HEIGHT;
  const data = new Uint8Array(W * H * 3).fill(255);
  const worldWidth = X_THRESHOLD * 2;
  const scale = W / worldWidth;
  const polewidth = 10.0;
  const polelen = scale * (2 * halfLength);
  const cartwidth = 50.0;
  const cartheight = 30.0;
  const axleoffset = cartheight / 4.0;
  const cartx = x * scale + W / 2.0;
  const carty = 100;

  // Cart: rectangle (l, b), (l, t), (r, t), (r, b) around (cartx, carty).
  {
    const l = -cartwidth / 2;
    const r = cartwidth / 2;
    const t = cartheight / 2;
    const b = -cartheight / 2;
    fillPolygon(data, W, H, [l + cartx, l + cartx, r + cartx, r + cartx], [b + carty, t + carty, t + carty, b + carty], BLACK);
  }
  // Pole: rectangle rotated by -theta (pygame Vector2.rotate_rad), hinged at the axle.
  {
    const l = -polewidth / 2;
    const r = polewidth / 2;
    const t = polelen - polewidth / 2;
    const b = -polewidth / 2;
    const corners: [number, number][] = [[l, b], [l, t], [r, t], [r, b]];
    const c = Math.cos(-theta);
    const s = Math.sin(-theta);
    const xs = corners.map(([px, py]) => px * c - py * s + cartx);
    const ys = corners.map(([px, py]) => px * s + py * c + carty + axleoffset);
    fillPolygon(data, W, H, xs, ys, POLE_COLOR);
  }
  fillCircle(data, W, H, Math.trunc(cartx), Math.trunc(carty + axleoffset), Math.trunc(polewidth / 2), AXLE_COLOR);
  // Track: gfxdraw.hline(surf, 0, screen_width, carty).
  for (let px = 0; px < W; px++) setPixel(data, W, H, px, carty, BLACK);
  return { width: W, height: H, data };
}

/** Writes one pixel given in pygame surface coordinates; the row is flipped into the frame. */
function setPixel(data: Uint8Array, W: number, H: number, px: number, py: number, rgb: readonly number[]): void {
  if (px < 0 || px >= W || py < 0 || py >= H) return;
  const k = ((H - 1 - py) * W + px) * 3;
  data[k] = rgb[0];
  data[k + 1] = rgb[1];
  data[k + 2] = rgb[2];
}

/**
 * Scanline fill of a polygon with integer-truncated vertices, following SDL_gfx's
 * filledPolygon (used by pygame.gfxdraw): edge crossings per pixel row, half-open in y, and
 * filled inclusively between pairs.
 */
function fillPolygon(data: Uint8Array, W: number, H: number, xsIn: number[], ysIn: number[], rgb: readonly number[]): void {
  const n = xsIn.length;
  const xs = xsIn.map(Math.trunc);
  const ys = ysIn.map(Math.trunc);
  const miny = Math.max(Math.min(...ys), 0);
  const maxyAll = Math.max(...ys);
  const maxy = Math.min(maxyAll, H - 1);
  const crossings: number[] = [];
  for (let y = miny; y <= maxy; y++) {
    crossings.length = 0;
    for (let e = 0; e < n; e++) {
      const a = e === 0 ? n - 1 : e - 1;
      let x1 = xs[a];
      let y1 = ys[a];
      let x2 = xs[e];
      let y2 = ys[e];
      if (y1 === y2) continue;
      if (y1 > y2) {
        [x1, x2] = [x2, x1];
        [y1, y2] = [y2, y1];
      }
      if ((y >= y1 && y < y2) || (y === maxyAll && y > y1 && y <= y2)) {
        crossings.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
      }
    }
    crossings.sort((p, q) => p - q);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const xa = Math.max(Math.round(crossings[k]), 0);
      const xb = Math.min(Math.round(crossings[k + 1]), W - 1);
      for (let px = xa; px <= xb; px++) setPixel(data, W, H, px, y, rgb);
    }
  }
}

/** Filled disc of integer centre and radius, in pygame surface coordinates. */
function fillCircle(data: Uint8Array, W: number, H: number, cx: number, cy: number, r: number, rgb: readonly number[]): void {
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy <= r * r) setPixel(data, W, H, cx + dx, cy + dy, rgb);
    }
  }
}

/** Whether a batch of numEnvs copies with these options steps in WebAssembly SIMD. */
function wantsSimd(numEnvs: number, options: CartPoleBatchOptions): boolean {
  if (options.simd === false) return false;
  if (options.simd === undefined && (numEnvs < CARTPOLE_SIMD_MIN_ENVS || process.env.GYMHOST_CARTPOLE_SIMD === '0')) return false;
  return cartPoleSimdAvailable();
}

/** A CartPoleSimd for numEnvs copies, or undefined when its memory cannot be had. */
function newSimdKernel(numEnvs: number): CartPoleSimd | undefined {
  try {
    return new CartPoleSimd(numEnvs);
  } catch {
    return undefined;
  }
}

/** The CartPole-v1 env type. */
export const cartPoleType: EnvType = {
  id: 'CartPole-v1',
  description:
    "Gymnasium's CartPole-v1: balance a pole on a cart by pushing it left (0) or right (1). " +
    'Observation [x, x_dot, theta, theta_dot] float32; +1 per step; terminates when |x| > 2.4 or |theta| > 12 degrees; ' +
    'truncated at 500 steps.',
  configOptions: cartPoleConfigOptions,
  resetOptions: cartPoleResetOptions,
  rewardFunctions: [...cartPoleRewards.values()].map((r) => ({ name: r.name, description: r.description, params: r.params })),
  defaultRewardFunction: gymnasiumReward.name,
  rewardThreshold: 475,
  renderModes: ['rgb_array', 'ansi'],
  // 1 / tau with the default tau = 0.02 s, as Gymnasium's metadata.
  renderFps: 50,
  timeLimit: 500,
  transition: cartPoleTransition,
  describe(config: OptionValues) {
    // Every config the schema accepts is valid: resolving again only fills in defaults.
    const c = resolveOptions(cartPoleConfigOptions, config, 'config');
    return { observationSpace: observationSpace(), actionSpace: actionSpace(), maxEpisodeSteps: c.max_episode_steps as number };
  },
  create(numEnvs, config, reward, seed) {
    return new CartPoleBatch(numEnvs, config, reward, seed);
  },
};
