/**
 * What every Q-learning agent does the same way, so that each algorithm keeps only its Q
 * function and update (Stable-Baselines3's style of shared bases): the exploration
 * probability (epsilon) over episodes or steps, the step and episode counters, the episode
 * tracker and history, epsilon-greedy action choice with the agent's own Rng, the episode
 * end, and the part of the snapshot all of that is.
 */

import type { OptionValues } from '../options.js';
import { Rng } from '../rng.js';
import type { EpsilonConfig } from './agent-config.js';
import { checkEpisodeEnd } from './encoders.js';
import { argmax, EpisodeTracker, epsilonFor, nonNegInt, rngState, setRngState } from './schedules.js';
import type { EndEpisodeResult, EpisodeRecord } from './types.js';

/** What an algorithm did at an episode end (see QAgentBase.episodeEnd). */
export interface EpisodeEndWork {
  /** Sum of the losses of the gradient steps it ran, and how many ran. */
  readonly lossSum: number;
  readonly count: number;
  readonly targetSynced: boolean;
}

export abstract class QAgentBase {
  readonly numActions: number;
  /** Resolved hyperparameters. */
  readonly config: OptionValues;
  /** Whether the last chooseAction drew its action at random (exploration). */
  lastExplored = false;
  /** The agent's stream of exploration (and, for DQN, sampling) draws. */
  protected readonly rng: Rng;
  protected readonly tracker = new EpisodeTracker();
  /** Transitions given to updateQ. */
  protected steps = 0;
  /** Completed episodes (endEpisode calls). */
  protected episodes = 0;
  private currentEpsilon: number;

  /**
   * @param schedule the exploration schedule (config `epsilon`).
   * @param seed the Rng's seed (a concrete one: createAgent draws one for -1).
   */
  protected constructor(
    numActions: number,
    config: OptionValues,
    private readonly schedule: EpsilonConfig,
    seed: number,
  ) {
    this.numActions = numActions;
    this.config = config;
    this.rng = new Rng(seed);
    this.currentEpsilon = epsilonFor(schedule, 0, 0);
  }

  /** Exploration probability of the current episode. */
  get epsilon(): number {
    return this.currentEpsilon;
  }

  get totalSteps(): number {
    return this.steps;
  }

  get history(): readonly EpisodeRecord[] {
    return this.tracker.history;
  }

  /** Restarts the exploration stream (equal seeds: equal subsequent draws). */
  reseed(seed: number): void {
    this.rng.seed(seed);
  }

  /**
   * The seed's choose_action on Q-values q[offset, offset + numActions): when `explore`,
   * opens the episode and with probability epsilon returns a uniformly random action (one
   * draw, a second for the action); else argmax (ties to the lowest index).
   */
  protected pick(explore: boolean, q: ArrayLike<number>, offset: number): number {
    this.lastExplored = false;
    if (explore) {
      this.tracker.touch(this.currentEpsilon);
      if (this.rng.nextFloat() < this.currentEpsilon) {
        this.lastExplored = true;
        return this.rng.nextInt(this.numActions);
      }
    }
    return argmax(q, offset, this.numActions);
  }

  /** Opens the episode if it is not open (updateQ, after its checks). */
  protected touch(): void {
    this.tracker.touch(this.currentEpsilon);
  }

  /** Counts one updateQ transition; a schedule in steps moves on. */
  protected countStep(): void {
    this.steps++;
    if (this.schedule.unit === 'steps') this.currentEpsilon = epsilonFor(this.schedule, this.episodes, this.steps);
  }

  /** The algorithm's work at an episode end, run after the episode count moved on (DQN: fitted Q, target sync). */
  protected abstract episodeEnd(): EpisodeEndWork;

  /** Ends an episode with its return and length: the algorithm's work, the record, the next epsilon. */
  endEpisode(episodeReturn: number, length: number): EndEpisodeResult {
    checkEpisodeEnd(episodeReturn, length);
    this.episodes++;
    const work = this.episodeEnd();
    if (work.count > 0) this.tracker.addLosses(work.lossSum, work.count);
    const record = this.tracker.finish(episodeReturn, length, this.currentEpsilon);
    this.currentEpsilon = epsilonFor(this.schedule, this.episodes, this.steps);
    return {
      loss: work.count > 0 ? work.lossSum / work.count : Number.NaN,
      gradientSteps: work.count,
      epsilon: this.currentEpsilon,
      targetSynced: work.targetSynced,
      record,
    };
  }

  /** Snapshot state every agent has: totalSteps, episodes, epsilon, rng, tracker. */
  protected commonState(): Record<string, unknown> {
    return {
      totalSteps: this.steps,
      episodes: this.episodes,
      epsilon: this.currentEpsilon,
      rng: rngState(this.rng),
      tracker: this.tracker.toJSON(),
    };
  }

  /** Puts back commonState's part of a snapshot (missing or bad values: zero counters, the schedule's epsilon). */
  protected restoreCommon(st: Record<string, unknown>): void {
    this.steps = nonNegInt(st.totalSteps);
    this.episodes = nonNegInt(st.episodes);
    this.currentEpsilon = typeof st.epsilon === 'number' ? st.epsilon : epsilonFor(this.schedule, this.episodes, this.steps);
    setRngState(this.rng, st.rng);
    if (st.tracker && typeof st.tracker === 'object') this.tracker.restore(st.tracker as Record<string, unknown>);
  }
}
