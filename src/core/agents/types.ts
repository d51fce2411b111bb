import type { OptionValues } from '../options.js';
import type { Space } from '../spaces.js';

/**
 * Q-learning agents behind one interface (the seed's loop:
 * reset -> chooseAction -> env step -> updateQ ... -> endEpisode). States are raw
 * observations as numbers: a Discrete observation is a one-element array [index]; a Box
 * observation its elements. The agent encodes them for its Q function itself.
 */

/** One transition (s, a, r, s', done) of the seed's replay queue. */
export interface Transition {
  readonly state: ArrayLike<number>;
  readonly action: number;
  readonly reward: number;
  readonly nextState: ArrayLike<number>;
  /** True when the episode ended by a terminal state (q = r, no bootstrap). */
  readonly done: boolean;
}

export interface UpdateResult {
  /**
   * DQN: mean loss of the gradient steps this update ran, or NaN when none ran.
   * Tabular: the squared TD error (q - Q(s, a))^2 before the update (what it reduces).
   */
  readonly loss: number;
  /** q - Q(s, a) before the update, for the given transition. */
  readonly tdError: number;
  /** Tabular only: Q(s, a) after the update. */
  readonly newQ?: number;
  /** Gradient steps this update ran (0 for tabular, and for DQN before learning starts). */
  readonly gradientSteps: number;
}

export interface EndEpisodeResult {
  /** Mean loss of the episode-end update (fitted Q), or NaN when none ran. */
  readonly loss: number;
  readonly gradientSteps: number;
  /** Exploration probability for the next episode. */
  readonly epsilon: number;
  /** Whether the target network was synced at this episode end. */
  readonly targetSynced: boolean;
  readonly record: EpisodeRecord;
}

/** One line of the agent's history. */
export interface EpisodeRecord {
  /** 1-based episode number. */
  readonly episode: number;
  /** Total reward of the episode. */
  readonly return: number;
  /** Steps in the episode. */
  readonly length: number;
  /** Mean loss of the episode's updates (DQN: gradient steps; tabular: squared TD errors), NaN if none. */
  readonly loss: number;
  /** Exploration probability used during the episode. */
  readonly epsilon: number;
  /** Wall time of the episode in milliseconds (from the first step to endEpisode). */
  readonly wallTimeMs: number;
}

/** Serialised agent: JSON-safe metadata plus named binary arrays (Q table or weights). */
export interface AgentSnapshot {
  readonly kind: 'tabular' | 'dqn';
  readonly version: 1;
  readonly config: OptionValues;
  readonly observationSpace: Space;
  readonly numActions: number;
  /** Counters, schedules, history. */
  readonly state: Record<string, unknown>;
  /** Named float32 arrays: "q" for tabular; "online/0", "online/1", ..., "target/0", ... for DQN. */
  readonly arrays: Record<string, Float32Array>;
}

export interface Agent {
  readonly kind: 'tabular' | 'dqn';
  readonly observationSpace: Space;
  readonly numActions: number;
  /** Resolved hyperparameters. */
  readonly config: OptionValues;
  /** Exploration probability of the current episode. */
  readonly epsilon: number;
  readonly totalSteps: number;
  readonly history: readonly EpisodeRecord[];
  /** Whether the last chooseAction drew its action at random (exploration). */
  readonly lastExplored: boolean;

  /**
   * The seed's choose_action: with probability epsilon (when `explore`) a uniformly random
   * action, else argmax Q (ties to the lowest index). Writes Q(s, .) into qOut[numActions].
   */
  chooseAction(state: ArrayLike<number>, explore: boolean, qOut: Float32Array): number;
  /** The seed's update_Q for one transition (tabular: the table; DQN: queue + schedule). */
  updateQ(t: Transition): UpdateResult;
  /** Ends an episode with its return and length: fitted-Q update, target sync, schedules. */
  endEpisode(episodeReturn: number, length: number): EndEpisodeResult;
  /** Q-values of `count` states (each observation-sized) into a new [count * numActions] array. */
  qValues(states: Float32Array, count: number): Float32Array;
  exportSnapshot(): AgentSnapshot;
  dispose(): void;
}
