/**
 * The seed's loop run in-process (REFERENCE s.1):
 *
 *   for each episode: s = reset()
 *     repeat: a = choose_action(s); s', r, terminated, truncated = step(a)
 *             update_Q(s, a, r, s', done = terminated)      (truncation bootstraps)
 *             total += r; s = s'
 *     until terminated or truncated (or maxSteps)
 *     end_episode(total, length)                           (fitted Q, Theta^- sync, schedules)
 *
 * `train` yields to the event loop every `yieldEveryMs` milliseconds (setImmediate), so a
 * server answering other calls stays responsive and an AbortSignal stops it within about
 * that long. `evaluate` runs greedy episodes from fixed seeds without changing the agent.
 */

import type { Agent, AgentSnapshot, EpisodeRecord } from '../agents/types.js';
import type { EnvBatch } from '../envs/types.js';
import { invalidArgument } from '../errors.js';
import type { OptionValues } from '../options.js';

export interface TrainOptions {
  /** Episodes to run, or */
  readonly episodes?: number;
  /**
   * environment steps to run: training stops at exactly this many steps, ending the episode
   * in progress there (endEpisode, as a truncation).
   */
  readonly steps?: number;
  /** Seed of the first reset (later resets continue the env's PRNG stream); none: the env's current stream. */
  readonly seed?: number;
  /** Reset options (already resolved against the env type's resetOptions); default {}. */
  readonly resetOptions?: OptionValues;
  /** Ends an episode (as truncation) after this many steps even if the env has not; 0 = the env's own limit only. */
  readonly maxSteps?: number;
  /**
   * Called after every episode with the agent's record; when it returns a promise, training
   * waits for it (backpressure: a reader that is behind holds the run).
   */
  readonly onEpisode?: (record: EpisodeRecord) => void | Promise<void>;
  /** Stops training: the running episode is ended there (endEpisode) and the summary says cancelled. */
  readonly signal?: AbortSignal;
  /** Longest stretch without yielding to the event loop, ms (default 10). */
  readonly yieldEveryMs?: number;
  /** Greedy evaluations during the run (SB3's EvalCallback), with best-agent keeping and an early stop. */
  readonly evaluation?: EvaluationSchedule;
  /**
   * Called at an episode's end once `checkpointEveryMs` have passed since the last call (and
   * at the end of the run) with the loop's state: the caller saves it with the agent's and
   * the env's state, and `resume` continues from there exactly.
   */
  readonly onCheckpoint?: (state: TrainLoopState) => void | Promise<void>;
  /** Milliseconds between checkpoints (default 2000). */
  readonly checkpointEveryMs?: number;
  /** Continue a run from a checkpoint's loop state (the agent and env already restored). */
  readonly resume?: TrainLoopState;
  /** Clock of the checkpoint interval, ms (tests inject one); default performance.now. */
  readonly now?: () => number;
}

/** When and how a training run evaluates its agent. */
export interface EvaluationSchedule {
  /** Evaluate at the end of the episode in which this many more steps were done (> 0), and at the end of the run. */
  readonly everySteps: number;
  /** Greedy episodes per evaluation. */
  readonly episodes: number;
  /** Evaluation episode i is reset with seed + i. */
  readonly seed: number;
  /** The private env copy evaluations run on (made once, on the first evaluation). */
  readonly env: () => EnvBatch;
  /** Stop once an evaluation's mean reaches this. */
  readonly stopAtMeanReward?: number;
  /**
   * Called with each evaluation; `best` is set when it is the best so far (highest mean,
   * earliest on ties), with the agent's snapshot then when `snapshotBest` is set.
   */
  readonly onEvaluation?: (evaluation: RunEvaluationRecord, best: { snapshot?: AgentSnapshot } | undefined) => void | Promise<void>;
  /** Take a snapshot of the agent at each new best evaluation (keep_best; the best checkpoint). */
  readonly snapshotBest?: boolean;
  /** Greedy episodes' step cap besides the env's own limit (0 = none). */
  readonly maxSteps?: number;
}

/** One evaluation of a training run. */
export interface RunEvaluationRecord {
  /** 0-based number in its run. */
  readonly index: number;
  /** Training steps and episodes done when it ran. */
  readonly steps: number;
  readonly episodes: number;
  readonly mean: number;
  readonly std: number;
  /** Epoch ms. */
  readonly time: number;
}

/** Where a training loop is, between two episodes: what a resumed run needs besides the agent and env. */
export interface TrainLoopState {
  readonly episodes: number;
  readonly steps: number;
  /** Returns of the last (up to) 100 episodes. */
  readonly recentReturns: readonly number[];
  readonly lastReturn: number;
  readonly evaluations: readonly RunEvaluationRecord[];
  /** Index of the best evaluation, or -1. */
  readonly bestEvaluation: number;
  /** Step count at which the next evaluation is due (0 = none). */
  readonly nextEvaluationAt: number;
  /** Whether the run stopped because an evaluation reached the threshold. */
  readonly reachedThreshold: boolean;
  /** Training wall time so far, ms. */
  readonly wallTimeMs: number;
}

export interface TrainSummary {
  readonly episodes: number;
  readonly steps: number;
  readonly wallTimeMs: number;
  /** Mean return of the last (up to) 100 episodes of this call (NaN if none). */
  readonly meanReturn100: number;
  /** Return of the last episode of this call (NaN if none). */
  readonly lastReturn: number;
  readonly cancelled: boolean;
  /** Every episode's return in this call (since the resume, for a resumed run). */
  readonly returns: readonly number[];
  /** Every episode's length in this call. */
  readonly lengths: readonly number[];
  /** The run's evaluations (all of them, for a resumed run). */
  readonly evaluations: readonly RunEvaluationRecord[];
  /** Index of the best evaluation, or -1. */
  readonly bestEvaluation: number;
  readonly reachedThreshold: boolean;
  /** The loop's state at the end (what the final checkpoint saved). */
  readonly state: TrainLoopState;
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * When a loop should yield to the event loop: about every `yieldMs`. The clock is read every
 * `mask + 1` steps while steps are fast, and after every step once they are slow (big
 * networks), so that a yield (and with it a cancel) is never more than a step away.
 */
class YieldClock {
  private last = performance.now();

  constructor(
    private readonly yieldMs: number,
    private mask: number,
  ) {}

  /** Whether to yield after step `len` of an episode. */
  due(len: number): boolean {
    if ((len & this.mask) !== 0) return false;
    const waited = performance.now() - this.last;
    if (waited >= 2 * this.yieldMs) this.mask = 0;
    return waited >= this.yieldMs;
  }

  /** Whether `yieldMs` have passed since the last yield (at an episode's end). */
  get overdue(): boolean {
    return performance.now() - this.last >= this.yieldMs;
  }

  async yield(): Promise<void> {
    await nextTick();
    this.last = performance.now();
  }

  /** Counts time spent waiting elsewhere (for a reader) as a yield. */
  yielded(): void {
    this.last = performance.now();
  }
}

function checkEnv(env: EnvBatch, agent: Agent): void {
  if (env.numEnvs !== 1) throw invalidArgument('env', `training needs a single env (num_envs = 1), got ${env.numEnvs}`, 'VECTOR_SESSION');
  if (JSON.stringify(env.observationSpace) !== JSON.stringify(agent.observationSpace)) {
    throw invalidArgument('env', "the env's observation space differs from the agent's", 'SPACE_MISMATCH');
  }
  if (env.actionSpace.kind !== 'discrete' || env.actionSpace.n !== agent.numActions || env.actionSpace.start !== 0) {
    throw invalidArgument('env', `the env's action space is not the agent's Discrete(${agent.numActions})`, 'SPACE_MISMATCH');
  }
}

function checkCount(value: number | undefined, field: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw invalidArgument(field, `${field} must be a positive integer, got ${value}`, 'OUT_OF_RANGE');
  }
}

/** Copies env observation 0 into `out` (Int32 or Float32 source; exact in float64). */
function readObservation(env: EnvBatch, out: Float64Array): void {
  const obs = env.observations;
  for (let k = 0; k < out.length; k++) out[k] = obs[k];
}

/** Mean of `xs` (NaN when empty). */
export const meanOf = (xs: readonly number[]): number => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : Number.NaN);

/**
 * Runs the seed's training loop of `agent` on `env` (one env copy), with evaluations and
 * checkpoints between episodes when asked. A run resumed from a checkpoint (`resume`, with
 * the agent and env restored to that checkpoint) does exactly what the uninterrupted run did
 * from there on: checkpoints and evaluations fall between episodes and change neither the
 * agent nor the env.
 */
export async function train(env: EnvBatch, agent: Agent, options: TrainOptions): Promise<TrainSummary> {
  checkEnv(env, agent);
  const { episodes, steps } = options;
  checkCount(episodes, 'episodes');
  checkCount(steps, 'steps');
  if ((episodes === undefined) === (steps === undefined)) throw invalidArgument('episodes', 'give exactly one of episodes or steps', 'BAD_BUDGET');
  const maxSteps = options.maxSteps ?? 0;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 0) throw invalidArgument('max_steps', `max_steps must be an integer >= 0, got ${maxSteps}`, 'OUT_OF_RANGE');
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw invalidArgument('seed', `seed must be an integer, got ${options.seed}`, 'BAD_SEED');
  const schedule = options.evaluation;
  if (schedule) {
    checkCount(schedule.everySteps, 'eval_every_steps');
    checkCount(schedule.episodes, 'eval_episodes');
  }
  const yieldMs = options.yieldEveryMs ?? 10;
  const resetOptions = options.resetOptions ?? {};
  const signal = options.signal;
  const now = options.now ?? (() => performance.now());
  const checkpointEveryMs = options.checkpointEveryMs ?? 2000;

  const resumed = options.resume;
  const start = performance.now();
  const wallBefore = resumed?.wallTimeMs ?? 0;
  const clock = new YieldClock(yieldMs, 15);
  const returns: number[] = [];
  const lengths: number[] = [];
  const recent: number[] = [...(resumed?.recentReturns ?? [])];
  let lastReturn = resumed?.lastReturn ?? Number.NaN;
  let doneEpisodes = resumed?.episodes ?? 0;
  let totalSteps = resumed?.steps ?? 0;
  const evaluations: RunEvaluationRecord[] = [...(resumed?.evaluations ?? [])];
  let best = resumed?.bestEvaluation ?? -1;
  let nextEvaluationAt = resumed ? resumed.nextEvaluationAt : schedule ? schedule.everySteps : 0;
  let reachedThreshold = resumed?.reachedThreshold ?? false;
  let evalEnv: EnvBatch | undefined;
  let cancelled = signal?.aborted ?? false;
  let lastCheckpoint = now();
  const size = env.obsSize;
  let s = new Float64Array(size);
  let s2 = new Float64Array(size);
  const q = new Float32Array(agent.numActions);
  // One mutable transition object, reused (agents copy what they keep).
  const t = { state: s as ArrayLike<number>, action: 0, reward: 0, nextState: s2 as ArrayLike<number>, done: false };

  const loopState = (): TrainLoopState => ({
    episodes: doneEpisodes,
    steps: totalSteps,
    recentReturns: [...recent],
    lastReturn,
    evaluations: [...evaluations],
    bestEvaluation: best,
    nextEvaluationAt,
    reachedThreshold,
    wallTimeMs: wallBefore + performance.now() - start,
  });

  /** One evaluation; true when it reached the threshold. */
  const runEvaluation = async (): Promise<boolean> => {
    if (!schedule) return false;
    evalEnv ??= schedule.env();
    const result = await evaluate(evalEnv, agent, { episodes: schedule.episodes, seed: schedule.seed, resetOptions, maxSteps: schedule.maxSteps, signal });
    if (result.cancelled) return false;
    const record: RunEvaluationRecord = { index: evaluations.length, steps: totalSteps, episodes: doneEpisodes, mean: result.mean, std: result.std, time: Date.now() };
    evaluations.push(record);
    const isBest = best < 0 || record.mean > evaluations[best].mean;
    if (isBest) best = record.index;
    const delivered = schedule.onEvaluation?.(record, isBest ? { snapshot: schedule.snapshotBest ? agent.exportSnapshot() : undefined } : undefined);
    if (delivered instanceof Promise) await delivered;
    clock.yielded();
    return schedule.stopAtMeanReward !== undefined && record.mean >= schedule.stopAtMeanReward;
  };

  const budgetDone = () => (episodes !== undefined && doneEpisodes >= episodes) || (steps !== undefined && totalSteps >= steps);
  let finished = budgetDone() || reachedThreshold;
  let first = resumed === undefined;
  while (!cancelled && !finished) {
    env.reset(0, first ? options.seed : undefined, resetOptions);
    first = false;
    readObservation(env, s);
    let ret = 0;
    let len = 0;
    for (;;) {
      const a = agent.chooseAction(s, true, q);
      env.step(0, a);
      const r = env.rewards[0];
      const terminated = env.terminated[0] === 1;
      const truncated = env.truncated[0] === 1;
      readObservation(env, s2);
      t.state = s;
      t.action = a;
      t.reward = r;
      t.nextState = s2;
      t.done = terminated;
      agent.updateQ(t);
      ret += r;
      len++;
      totalSteps++;
      const tmp = s;
      s = s2;
      s2 = tmp;
      if (terminated || truncated || (maxSteps > 0 && len >= maxSteps) || (steps !== undefined && totalSteps >= steps)) break;
      if (clock.due(len)) {
        await clock.yield();
        if (signal?.aborted) {
          cancelled = true;
          break;
        }
      }
    }
    const { record } = agent.endEpisode(ret, len);
    returns.push(ret);
    lengths.push(len);
    doneEpisodes++;
    lastReturn = ret;
    recent.push(ret);
    if (recent.length > 100) recent.shift();
    const delivered = options.onEpisode?.(record);
    if (delivered instanceof Promise) {
      await delivered;
      clock.yielded();
    }
    finished = budgetDone();
    if (!cancelled && schedule && nextEvaluationAt > 0 && totalSteps >= nextEvaluationAt && !finished) {
      while (nextEvaluationAt <= totalSteps) nextEvaluationAt += schedule.everySteps;
      reachedThreshold = await runEvaluation();
      finished = reachedThreshold;
    }
    if (!cancelled && !finished && options.onCheckpoint && now() - lastCheckpoint >= checkpointEveryMs) {
      const saved = options.onCheckpoint(loopState());
      if (saved instanceof Promise) await saved;
      lastCheckpoint = now();
      clock.yielded();
    }
    if (clock.overdue) await clock.yield();
    if (signal?.aborted) cancelled = true;
  }
  // The final evaluation: the agent as the run leaves it (unless an evaluation just stopped it).
  if (!cancelled && schedule && !reachedThreshold && (evaluations.length === 0 || evaluations[evaluations.length - 1].steps !== totalSteps)) {
    nextEvaluationAt = 0;
    reachedThreshold = await runEvaluation();
  }
  const state = loopState();
  if (options.onCheckpoint) {
    const saved = options.onCheckpoint(state);
    if (saved instanceof Promise) await saved;
  }
  return {
    episodes: returns.length,
    steps: totalSteps - (resumed?.steps ?? 0),
    wallTimeMs: performance.now() - start,
    meanReturn100: meanOf(recent),
    lastReturn: returns.length ? returns[returns.length - 1] : Number.NaN,
    cancelled,
    returns,
    lengths,
    evaluations,
    bestEvaluation: best,
    reachedThreshold,
    state,
  };
}

export interface EvaluateOptions {
  /** Greedy episodes (default 100). */
  readonly episodes?: number;
  /** Episode i is reset with seed + i (default 0). */
  readonly seed?: number;
  /** Keep every episode's observations, actions and rewards. */
  readonly recordTrajectories?: boolean;
  readonly resetOptions?: OptionValues;
  /** Cap on steps per episode besides the env's own limit (0 = none). */
  readonly maxSteps?: number;
  readonly signal?: AbortSignal;
  readonly yieldEveryMs?: number;
}

export interface Trajectory {
  /** [(length + 1) * obsSize] observations from the reset to the last step (the env's dtype). */
  readonly observations: Float32Array | Int32Array;
  readonly actions: number[];
  readonly rewards: number[];
  /** [(length + 1) * stateSize] the env's drawable states (EnvBatch.drawState), as observations. */
  readonly states: Float32Array;
  readonly stateSize: number;
}

export interface EvaluationResult {
  readonly mean: number;
  /** Population standard deviation (numpy's np.std, as SB3's evaluate_policy). */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly returns: number[];
  readonly lengths: number[];
  readonly trajectories?: Trajectory[];
  /** With trajectories: what a viewer draws their states over (EnvBatch.scene). */
  readonly scene?: Record<string, unknown>;
  /** True when the signal stopped it early (the statistics cover the episodes finished). */
  readonly cancelled: boolean;
}

/**
 * Greedy episodes (argmax Q, no exploration, no updates) from fixed seeds: episode i is
 * reset with seed + i. `env` is an env or a factory called once (one env copy).
 */
export async function evaluate(env: EnvBatch | (() => EnvBatch), agent: Agent, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const batch = typeof env === 'function' ? env() : env;
  checkEnv(batch, agent);
  const episodes = options.episodes ?? 100;
  checkCount(episodes, 'episodes');
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw invalidArgument('seed', `seed must be an integer, got ${seed}`, 'BAD_SEED');
  const maxSteps = options.maxSteps ?? 0;
  const yieldMs = options.yieldEveryMs ?? 10;
  const resetOptions = options.resetOptions ?? {};
  const size = batch.obsSize;
  const s = new Float64Array(size);
  const q = new Float32Array(agent.numActions);
  const returns: number[] = [];
  const lengths: number[] = [];
  const trajectories: Trajectory[] = [];
  const clock = new YieldClock(yieldMs, 63);
  let cancelled = false;
  for (let e = 0; e < episodes && !cancelled; e++) {
    batch.reset(0, seed + e, resetOptions);
    readObservation(batch, s);
    const obs: number[] = options.recordTrajectories ? Array.from(s) : [];
    const states: number[] = [];
    if (options.recordTrajectories) batch.drawState(0, states);
    const actions: number[] = [];
    const rewards: number[] = [];
    let ret = 0;
    let len = 0;
    for (;;) {
      const a = agent.chooseAction(s, false, q);
      batch.step(0, a);
      const r = batch.rewards[0];
      readObservation(batch, s);
      ret += r;
      len++;
      if (options.recordTrajectories) {
        for (let k = 0; k < size; k++) obs.push(s[k]);
        batch.drawState(0, states);
        actions.push(a);
        rewards.push(r);
      }
      if (batch.terminated[0] === 1 || batch.truncated[0] === 1 || (maxSteps > 0 && len >= maxSteps)) break;
      if (clock.due(len)) {
        await clock.yield();
        if (options.signal?.aborted) {
          cancelled = true;
          break;
        }
      }
    }
    // A cancelled episode is left out: the statistics cover finished episodes only.
    if (cancelled) break;
    returns.push(ret);
    lengths.push(len);
    if (options.recordTrajectories) {
      trajectories.push({
        observations: batch.observations instanceof Int32Array ? Int32Array.from(obs) : Float32Array.from(obs),
        actions,
        rewards,
        states: Float32Array.from(states),
        stateSize: states.length / (actions.length + 1),
      });
    }
    if (options.signal?.aborted) cancelled = true;
  }
  const n = returns.length;
  const mean = n ? returns.reduce((x, y) => x + y, 0) / n : Number.NaN;
  const std = n ? Math.sqrt(returns.reduce((acc, x) => acc + (x - mean) * (x - mean), 0) / n) : Number.NaN;
  return {
    mean,
    std,
    min: n ? Math.min(...returns) : Number.NaN,
    max: n ? Math.max(...returns) : Number.NaN,
    returns,
    lengths,
    ...(options.recordTrajectories ? { trajectories, scene: batch.scene() } : {}),
    cancelled,
  };
}
