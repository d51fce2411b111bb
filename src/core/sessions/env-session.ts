import { failedPrecondition, invalidArgument, resourceExhausted } from '../errors.js';
import { resolveOptions, type OptionValues } from '../options.js';
import { spaceSize, type Space } from '../spaces.js';
import type { EnvBatch, EnvBatchState, EnvType, RenderModeName } from '../envs/types.js';
import type { ResolvedReward } from '../rewards/registry.js';
import { isRewardAware, type RewardChoice, type RewardOrigin } from '../rewards/types.js';
import type { StoredSession } from './session-store.js';
import { EpisodeLog, type EpisodeLogState } from './episode-log.js';

/** Gymnasium's vector autoreset modes (see proto AutoresetMode). */
export type AutoresetMode = 'next_step' | 'same_step';

/** Largest seed accepted: seeds are integers in [0, 2^53 - 1]. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export interface EnvSessionParams {
  readonly config: Record<string, unknown> | undefined;
  readonly rewardFunction: string;
  readonly rewardParams: Record<string, unknown> | undefined;
  readonly numEnvs: number;
  readonly renderMode: RenderModeName | 'none';
  readonly autoresetMode: AutoresetMode;
  readonly seed: number | undefined;
  /**
   * Where reward function names resolve (built-ins, plugins, the owner's registered
   * functions: a RewardRegistry); absent = the env type's built-ins only.
   */
  readonly rewards?: SessionRewardResolver;
  /**
   * Called with the session's estimated bytes (estimateEnvSessionBytes) after the config
   * and reward are checked and before anything is allocated; throws to refuse (quotas).
   */
  readonly admit?: (bytes: number) => void;
  /**
   * Largest observations of one call (num_envs x observation size x 4 bytes), so that a
   * Reset or StepBatch answer fits in a message; RESOURCE_EXHAUSTED beyond. Default: no bound.
   */
  readonly maxBatchObservationBytes?: number;
}

/** Fixed cost of a session (objects, maps, info), bytes. */
const SESSION_OVERHEAD = 16 * 1024;

/**
 * Estimated bytes of a session of `numEnvs` copies: per copy its state and three
 * observation-sized arrays (observations, final observations, a transaction snapshot), and
 * for a sandboxed reward function the sandbox's heap plus a transition record per copy.
 */
export function estimateEnvSessionBytes(observationSpace: Space, numEnvs: number, sandboxBytes = 0): number {
  const perCopy = 256 + 3 * 4 * spaceSize(observationSpace) + (sandboxBytes > 0 ? 128 : 0);
  return SESSION_OVERHEAD + numEnvs * perCopy + sandboxBytes;
}

/** Heap bytes of a sandboxed reward function (0 for built-in and plugin functions). */
function sandboxBytesOf(reward: ResolvedReward): number {
  return reward.impl?.kind === 'sandbox' ? reward.impl.limits.memoryBytes : 0;
}

/** What a session needs from the reward registry (see rewards/registry.ts RewardRegistry). */
export interface SessionRewardResolver {
  resolve(type: EnvType, name: string, params: Record<string, unknown> | undefined, owner: string, sessionId: string): ResolvedReward;
  use(sessionId: string, next: ResolvedReward | undefined, previous: ResolvedReward | undefined): void;
  sessionClosed(sessionId: string, current: ResolvedReward | undefined): void;
}

/**
 * One env session: `numEnvs` copies of an env type plus the Gym-loop state around them
 * (reset before step, vector autoreset, counters). Inputs are validated here, before any
 * state changes, so a rejected call leaves the session as it was.
 */
export class EnvSession implements StoredSession {
  lastUsedAt = 0;
  /** Epoch ms (kept across restarts). */
  createdAt = Date.now();
  /**
   * Set when the session came back after a server restart with an episode in progress: its
   * steps since the last save are lost, so Step and StepBatch refuse until a Reset.
   */
  restoredMidEpisode = false;
  readonly batch: EnvBatch;
  /**
   * The env type, as seen from this session: `create` resolves reward function names in the
   * session's scope (its own and its owner's registered functions), so a private copy of the
   * env (e.g. for Evaluate) pays the session's reward.
   */
  readonly type: EnvType;
  readonly config: OptionValues;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  readonly numEnvs: number;
  rewardFunction: string;
  rewardParams: OptionValues;
  rewardOrigin: RewardOrigin;
  /** Estimated bytes held (estimateEnvSessionBytes), for the memoryBytes quota. */
  memoryBytes: number;
  private reward: ResolvedReward;
  private disposed = false;
  totalSteps = 0;
  totalEpisodes = 0;
  hasReset = false;
  /** Set while a server-side loop (Train) drives this session: client resets and steps are refused. */
  busyWith: string | undefined;
  /** [numEnvs] 1 where the copy's episode ended on the last stepBatch (NEXT_STEP pending reset). */
  private readonly ended: Uint8Array;
  /** [numEnvs] 1 where the last stepBatch reset the copy. */
  readonly resetMask: Uint8Array;
  /** Every episode as the server measured it (ListEpisodes). */
  readonly episodes: EpisodeLog;
  /** [numEnvs * obsSize] SAME_STEP: last observations of episodes that ended on the last stepBatch. */
  readonly finalObservations: Float32Array | Int32Array;
  private resetOptions: OptionValues;

  constructor(
    readonly id: string,
    readonly owner: string,
    type: EnvType,
    readonly params: EnvSessionParams,
    maxNumEnvs: number,
  ) {
    const { numEnvs } = params;
    checkNumEnvs(numEnvs, maxNumEnvs);
    checkSeed(params.seed, 'seed');
    if (params.renderMode !== 'none' && !type.renderModes.includes(params.renderMode)) {
      throw invalidArgument('render_mode', `${type.id} renders as ${type.renderModes.join(' or ')}, not ${params.renderMode}`);
    }
    this.config = resolveOptions(type.configOptions, params.config, 'config');
    const described = type.describe(this.config);
    this.observationSpace = described.observationSpace;
    this.actionSpace = described.actionSpace;
    this.maxEpisodeSteps = described.maxEpisodeSteps;
    const batchBytes = numEnvs * spaceSize(this.observationSpace) * 4;
    if (params.maxBatchObservationBytes !== undefined && batchBytes > params.maxBatchObservationBytes) {
      throw resourceExhausted(
        `num_envs ${numEnvs} x ${spaceSize(this.observationSpace)} observation numbers = ${batchBytes} bytes of observations per call; the limit is ${params.maxBatchObservationBytes} bytes (one message): use fewer copies or a smaller encoding`,
        'CALL_TOO_LARGE',
        'num_envs',
      );
    }
    const reward = this.resolve(type, params.rewardFunction, params.rewardParams);
    this.memoryBytes = estimateEnvSessionBytes(this.observationSpace, numEnvs, sandboxBytesOf(reward));
    params.admit?.(this.memoryBytes);
    this.reward = reward;
    this.rewardFunction = reward.name;
    this.rewardParams = reward.params;
    this.rewardOrigin = reward.origin;
    this.numEnvs = numEnvs;
    this.batch = type.create(numEnvs, this.config, reward, params.seed);
    params.rewards?.use(id, reward, undefined);
    this.type = { ...type, create: (n, config, choice, seed) => type.create(n, config, this.choiceFor(type, choice), seed) };
    this.ended = new Uint8Array(numEnvs);
    this.resetMask = new Uint8Array(numEnvs);
    this.episodes = new EpisodeLog(numEnvs);
    this.finalObservations = this.batch.observations instanceof Int32Array
      ? new Int32Array(this.batch.observations.length)
      : new Float32Array(this.batch.observations.length);
    this.resetOptions = resolveOptions(type.resetOptions, undefined, 'options');
  }

  get isVector(): boolean {
    return this.numEnvs > 1;
  }

  /** Starts a new episode in every copy; copy i gets seed + i when a seed is given. */
  reset(seed: number | undefined, options: Record<string, unknown> | undefined): void {
    this.requireIdle();
    checkSeed(seed, 'seed');
    if (seed !== undefined && seed + this.numEnvs - 1 > MAX_SEED) {
      throw invalidArgument('seed', `seed + num_envs - 1 must be at most ${MAX_SEED}`, 'OUT_OF_RANGE');
    }
    const resolved = resolveOptions(this.type.resetOptions, options, 'options');
    // Reset copy 0 first: an invalid combination of options throws before any state changes.
    for (let i = 0; i < this.numEnvs; i++) this.batch.reset(i, seed === undefined ? undefined : seed + i, resolved);
    for (let i = 0; i < this.numEnvs; i++) this.episodes.begin(i, seed === undefined ? undefined : seed + i);
    this.episodes.trim();
    this.resetOptions = resolved;
    this.restoredMidEpisode = false;
    this.ended.fill(0);
    this.resetMask.fill(0);
    this.hasReset = true;
    this.totalEpisodes += this.numEnvs;
  }

  /** Resolves a reward function name in this session's scope. */
  private resolve(type: EnvType, name: string, params: Record<string, unknown> | undefined): ResolvedReward {
    if (this.params.rewards) return this.params.rewards.resolve(type, name, params, this.owner, this.id);
    return { ...resolveReward(type, name, params), origin: 'builtin' };
  }

  /** What a private copy made by `type.create` runs for `choice`: the session's own reward when it names it. */
  private choiceFor(type: EnvType, choice: RewardChoice): RewardChoice {
    if (choice.impl !== undefined) return choice;
    if (choice.name === this.rewardFunction && choice.params === this.rewardParams) return this.reward;
    if (choice.name === this.rewardFunction && JSON.stringify(choice.params) === JSON.stringify(this.rewardParams)) return this.reward;
    return this.resolve(type, choice.name, choice.params);
  }

  /** One Gymnasium step of a single-env session. */
  step(action: number, field = 'action'): void {
    if (this.isVector) {
      throw failedPrecondition(`session ${this.id} is a vector session of ${this.numEnvs} envs: use StepBatch`, 'VECTOR_SESSION');
    }
    this.requireIdle();
    this.requireReset();
    checkAction(this.actionSpace, action, field);
    const { batch } = this;
    batch.step(0, action);
    this.episodes.stepped(0, batch.rewards[0], batch.terminated[0], batch.truncated[0]);
    this.episodes.trim();
    this.totalSteps++;
  }

  /**
   * One step of every copy with autoreset (see proto StepBatchResponse). `actions` has
   * numEnvs entries. Results are in batch.observations/rewards/terminated/truncated,
   * resetMask and (SAME_STEP) finalObservations.
   */
  stepBatch(actions: ArrayLike<number>, field = 'actions'): void {
    this.requireIdle();
    this.requireReset();
    if (actions.length !== this.numEnvs) {
      throw invalidArgument(field, `${field} must hold num_envs = ${this.numEnvs} actions, got ${actions.length}`, 'WRONG_SHAPE');
    }
    const space = this.actionSpace;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      // Fast path for the common case; checkAction builds the error message only on failure.
      if (space.kind !== 'discrete' || !Number.isInteger(a) || a < space.start || a >= space.start + space.n) checkAction(space, a, `${field}[${i}]`);
    }
    if (this.rewardOrigin !== 'builtin' && isRewardAware(this.batch)) {
      // A plugin or sandboxed reward: one transaction, so a failing reward function (or a
      // sandbox error) leaves every copy and this session's counters as they were.
      const saved = {
        ended: this.ended.slice(),
        resetMask: this.resetMask.slice(),
        totalSteps: this.totalSteps,
        totalEpisodes: this.totalEpisodes,
        finalObservations: this.params.autoresetMode === 'same_step' ? this.finalObservations.slice() : undefined,
        episodes: this.episodes.mark(),
      };
      try {
        this.batch.rewardTransaction(() => this.stepBatchNow(actions));
      } catch (err) {
        this.episodes.rollback(saved.episodes);
        this.ended.set(saved.ended);
        this.resetMask.set(saved.resetMask);
        this.totalSteps = saved.totalSteps;
        this.totalEpisodes = saved.totalEpisodes;
        if (saved.finalObservations) this.finalObservations.set(saved.finalObservations);
        throw err;
      }
      this.episodes.trim();
      return;
    }
    this.stepBatchNow(actions);
    this.episodes.trim();
  }

  private stepBatchNow(actions: ArrayLike<number>): void {
    const { batch, ended, resetMask, episodes } = this;
    const n = this.numEnvs;
    resetMask.fill(0);
    if (this.params.autoresetMode === 'next_step') {
      let anyEnded = 0;
      for (let i = 0; i < n; i++) anyEnded |= ended[i];
      if (anyEnded === 0) {
        batch.stepAll(actions);
      } else if (batch.stepWhere !== undefined) {
        // The copies that ended are reset (their own PRNGs) and the others stepped in one
        // batch pass: the same results as resetting and stepping them copy by copy.
        for (let i = 0; i < n; i++) if (ended[i]) this.autoreset(i);
        batch.stepWhere(actions, ended);
      } else {
        for (let i = 0; i < n; i++) {
          if (ended[i]) this.autoreset(i);
          else batch.step(i, actions[i]);
        }
      }
      const { terminated, truncated } = batch;
      for (let i = 0; i < n; i++) ended[i] = terminated[i] | truncated[i];
      // A copy reset by this call took no step.
      episodes.steppedAll(batch.rewards, terminated, truncated, anyEnded === 0 ? undefined : resetMask);
    } else {
      batch.stepAll(actions);
      const { terminated, truncated, rewards } = batch;
      episodes.steppedAll(rewards, terminated, truncated, undefined);
      const size = batch.obsSize;
      this.finalObservations.fill(0);
      for (let i = 0; i < n; i++) {
        const t = terminated[i];
        const u = truncated[i];
        if ((t | u) === 0) continue;
        this.finalObservations.set(batch.observations.subarray(i * size, (i + 1) * size), i * size);
        // The ending step's reward and flags are reported; reset only replaces the observation.
        const reward = rewards[i];
        batch.reset(i, undefined, this.resetOptions);
        rewards[i] = reward;
        terminated[i] = t;
        truncated[i] = u;
        resetMask[i] = 1;
        this.totalEpisodes++;
        episodes.begin(i, undefined);
      }
    }
    this.totalSteps += n;
  }

  /** Frame or text of copy `index`. */
  render(index: number, mode: RenderModeName | undefined): ReturnType<EnvBatch['render']> {
    if (!Number.isInteger(index) || index < 0 || index >= this.numEnvs) {
      throw invalidArgument('index', `index must be an integer in [0, ${this.numEnvs - 1}], got ${index}`, 'OUT_OF_RANGE');
    }
    const chosen = mode ?? (this.params.renderMode === 'none' ? 'rgb_array' : this.params.renderMode);
    if (!this.type.renderModes.includes(chosen)) {
      throw invalidArgument('mode', `${this.type.id} renders as ${this.type.renderModes.join(' or ')}, not ${chosen}`);
    }
    if (!this.hasReset) this.requireReset();
    return this.batch.render(index, chosen);
  }

  /**
   * Chooses another reward function (built-in, plugin or registered); it applies from the
   * next step on, also mid-episode. Refused while a server-side loop drives the session. A
   * registered function is compiled into this session's own sandbox first; if anything
   * fails the session keeps its reward function.
   */
  setReward(name: string, params: Record<string, unknown> | undefined, admit?: (extraBytes: number) => void): void {
    this.requireIdle();
    const reward = this.resolve(this.type, name, params);
    const memoryBytes = estimateEnvSessionBytes(this.observationSpace, this.numEnvs, sandboxBytesOf(reward));
    if (memoryBytes > this.memoryBytes) admit?.(memoryBytes - this.memoryBytes);
    if (isRewardAware(this.batch)) this.batch.setReward(reward.name, reward.params, reward.impl);
    else if (reward.impl === undefined) this.batch.setReward(reward.name, reward.params);
    else throw failedPrecondition(`${this.type.id} sessions cannot run ${reward.origin} reward functions`, 'REWARD_NOT_SUPPORTED', 'reward_function');
    this.params.rewards?.use(this.id, reward, this.reward);
    this.memoryBytes = memoryBytes;
    this.reward = reward;
    this.rewardFunction = reward.name;
    this.rewardParams = reward.params;
    this.rewardOrigin = reward.origin;
  }

  /** The reward function as chosen (name, params, origin and, for client code, its registry entry). */
  get resolvedReward(): ResolvedReward {
    return this.reward;
  }

  /** The reset options of the last Reset (autoreset resets with them). */
  get lastResetOptions(): OptionValues {
    return this.resetOptions;
  }

  /**
   * Everything a copy of this session (same type, config, size and reward) needs to go on
   * exactly where this one is: the copies' state and the Gym-loop state around them.
   */
  exportState(): EnvSessionState {
    return {
      batch: this.batch.exportState(),
      ended: this.ended.slice(),
      resetMask: this.resetMask.slice(),
      finalObservations: this.finalObservations.slice(),
      resetOptions: { ...this.resetOptions },
      hasReset: this.hasReset,
      totalSteps: this.totalSteps,
      totalEpisodes: this.totalEpisodes,
      episodes: this.episodes.save(),
    };
  }

  /** Whether any copy is inside an episode (reset and not yet ended). */
  get episodeInProgress(): boolean {
    return this.episodes.anyOpen();
  }

  /** Puts back exportState's output (of a session like this one); throws if it does not fit. */
  importState(state: EnvSessionState): void {
    this.batch.importState(state.batch);
    this.ended.set(state.ended);
    this.resetMask.set(state.resetMask);
    this.finalObservations.set(state.finalObservations as never);
    this.resetOptions = { ...state.resetOptions };
    this.hasReset = state.hasReset;
    this.totalSteps = state.totalSteps;
    this.totalEpisodes = state.totalEpisodes;
    this.episodes.restore(state.episodes);
  }

  /** Frees the session's sandbox and the reward functions it owned (the store calls it on delete and expiry). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.params.rewards?.sessionClosed(this.id, this.reward);
    if (isRewardAware(this.batch)) this.batch.disposeReward();
  }

  /** NEXT_STEP autoreset of copy `i`, which ended at the last step: reset, no reward, a new episode. */
  private autoreset(i: number): void {
    const batch = this.batch;
    batch.reset(i, undefined, this.resetOptions);
    batch.rewards[i] = 0;
    batch.terminated[i] = 0;
    batch.truncated[i] = 0;
    this.resetMask[i] = 1;
    this.totalEpisodes++;
    this.episodes.begin(i, undefined);
  }

  private requireIdle(): void {
    if (this.busyWith !== undefined) {
      throw failedPrecondition(`session ${this.id} is busy: ${this.busyWith}; wait for it to finish or cancel it`, 'SESSION_BUSY');
    }
  }

  private requireReset(): void {
    if (this.restoredMidEpisode) {
      throw failedPrecondition(
        `session ${this.id} was restored after a server restart with an episode in progress; the steps since its last save are lost: call Reset to start a new episode`,
        'SESSION_RESTORED',
      );
    }
    if (!this.hasReset) {
      throw failedPrecondition(`session ${this.id} has not been reset: call Reset before Step`, 'STEP_BEFORE_RESET');
    }
  }
}

/** A session's state from EnvSession.exportState (survives a structured clone). */
export interface EnvSessionState {
  readonly batch: EnvBatchState;
  readonly ended: Uint8Array;
  readonly resetMask: Uint8Array;
  readonly finalObservations: Float32Array | Int32Array;
  readonly resetOptions: OptionValues;
  readonly hasReset: boolean;
  readonly totalSteps: number;
  readonly totalEpisodes: number;
  readonly episodes: EpisodeLogState;
}

/** Validates the reward function name and parameters against the env type's registry. */
export function resolveReward(type: EnvType, name: string, params: Record<string, unknown> | undefined): { name: string; params: OptionValues } {
  const chosen = name || type.defaultRewardFunction;
  const info = type.rewardFunctions.find((r) => r.name === chosen);
  if (!info) {
    throw invalidArgument('reward_function', `unknown reward function '${chosen}' for ${type.id}; available: ${type.rewardFunctions.map((r) => r.name).join(', ')}`, 'UNKNOWN_REWARD_FUNCTION');
  }
  return { name: chosen, params: resolveOptions(info.params, params, 'reward_params') };
}

/** INVALID_ARGUMENT unless `numEnvs` is an integer in [1, maxNumEnvs]. */
export function checkNumEnvs(numEnvs: number, maxNumEnvs: number): void {
  if (!Number.isInteger(numEnvs) || numEnvs < 1 || numEnvs > maxNumEnvs) {
    throw invalidArgument('num_envs', `num_envs must be an integer in [1, ${maxNumEnvs}], got ${numEnvs}`, 'OUT_OF_RANGE');
  }
}

function checkSeed(seed: number | undefined, field: string): void {
  if (seed === undefined) return;
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw invalidArgument(field, `${field} must be an integer in [0, ${MAX_SEED}], got ${seed}`, 'BAD_SEED');
  }
}

/** Throws INVALID_ARGUMENT unless `action` is a member of `space`. */
export function checkAction(space: Space, action: number, field: string): void {
  if (space.kind === 'discrete') {
    if (!Number.isInteger(action) || action < space.start || action >= space.start + space.n) {
      throw invalidArgument(field, `${field} must be an integer in [${space.start}, ${space.start + space.n - 1}] (Discrete(${space.n})), got ${action}`, 'ACTION_OUT_OF_RANGE');
    }
    return;
  }
  throw invalidArgument(field, `Box action spaces take a tensor action`, 'WRONG_ACTION_TYPE');
}
