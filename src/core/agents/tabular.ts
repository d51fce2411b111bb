/**
 * The seed's tabular Q-learning (REFERENCE s.1):
 *
 *   update_Q:      q = r                          if done
 *                  q = r + gamma * max_k Q[s'][k] otherwise
 *                  Q[s][a] = q                    (the seed: alpha = 1, literally)
 *                  Q[s][a] += alpha * (q - Q[s][a])   (alpha < 1: the usual learning rate)
 *   choose_action: a random action with probability p (epsilon), else argmax Q[s]
 *                  (ties to the lowest index); one uniform draw per exploring call.
 *
 * The table is float64 (Q-values of long discounted paths differ in late digits); reads
 * hand out float32 as the Agent interface does, snapshots carry both.
 */

import { invalidArgument } from '../errors.js';
import type { OptionValues } from '../options.js';
import type { DiscreteSpace, Space } from '../spaces.js';
import { QAgentBase, type EpisodeEndWork } from './agent-base.js';
import { MAX_TABLE_ENTRIES, tabularConfigOf, type TabularConfig } from './agent-config.js';
import { checkAction, checkDone, checkQOut, checkReward, checkStateBatch, discreteIndex, stateAt } from './encoders.js';
import { maxOf } from './schedules.js';
import type { Agent, AgentSnapshot, Transition, UpdateResult } from './types.js';

const NO_WORK: EpisodeEndWork = { lossSum: 0, count: 0, targetSynced: false };

export class TabularAgent extends QAgentBase implements Agent {
  readonly kind = 'tabular' as const;
  readonly observationSpace: DiscreteSpace;
  /** Typed hyperparameters. */
  readonly settings: TabularConfig;
  /** Q[s * numActions + a], s the 0-based state index. */
  readonly table: Float64Array;

  /**
   * @param config a config resolved by resolveAgentConfig('tabular', ...) with a concrete
   * seed (createAgent draws one for -1).
   */
  constructor(observationSpace: Space, numActions: number, config: OptionValues) {
    if (observationSpace.kind !== 'discrete') {
      throw invalidArgument('observation_space', 'a tabular agent needs a Discrete observation space (a state index); use a DQN agent for Box observations', 'UNSUPPORTED_SPACE');
    }
    if (!Number.isInteger(numActions) || numActions < 1) throw invalidArgument('action_space', `the action space must be Discrete(n >= 1), got n = ${numActions}`, 'UNSUPPORTED_SPACE');
    if (observationSpace.n * numActions > MAX_TABLE_ENTRIES) {
      throw invalidArgument(
        'observation_space',
        `a Q table of ${observationSpace.n} states x ${numActions} actions exceeds ${MAX_TABLE_ENTRIES} entries`,
        'TABLE_TOO_LARGE',
      );
    }
    const settings = tabularConfigOf(config);
    super(numActions, config, settings.epsilon, settings.seed);
    this.observationSpace = observationSpace;
    this.settings = settings;
    this.table = new Float64Array(observationSpace.n * numActions).fill(settings.qInit);
  }

  chooseAction(state: ArrayLike<number>, explore: boolean, qOut: Float32Array): number {
    const s = discreteIndex(this.observationSpace, state, 'state');
    const A = this.numActions;
    checkQOut(qOut, A);
    const base = s * A;
    for (let a = 0; a < A; a++) qOut[a] = this.table[base + a];
    return this.pick(explore, this.table, base);
  }

  updateQ(t: Transition): UpdateResult {
    const A = this.numActions;
    const s = discreteIndex(this.observationSpace, t.state, 'state');
    checkAction(t.action, A);
    checkReward(t.reward);
    const s2 = discreteIndex(this.observationSpace, t.nextState, 'next_state');
    checkDone(t.done);
    const q = t.done ? t.reward : t.reward + this.settings.gamma * maxOf(this.table, s2 * A, A);
    if (!Number.isFinite(q)) {
      throw invalidArgument('reward', `the target q = ${q} is not finite (reward ${t.reward}, gamma ${this.settings.gamma}, max Q(s') too large)`, 'NOT_FINITE');
    }
    this.touch();
    const k = s * A + t.action;
    const old = this.table[k];
    // alpha = 1 is the seed's assignment, written as one (old + (q - old) need not equal q).
    this.table[k] = this.settings.alpha === 1 ? q : old + this.settings.alpha * (q - old);
    this.countStep();
    // The tabular update is one step of size alpha down the squared TD error; it is the loss.
    const loss = (q - old) * (q - old);
    this.tracker.addLosses(loss, 1);
    return { loss, tdError: q - old, newQ: this.table[k], gradientSteps: 0 };
  }

  /** Nothing: the table is updated per transition. */
  protected episodeEnd(): EpisodeEndWork {
    return NO_WORK;
  }

  qValues(states: Float32Array, count: number): Float32Array {
    checkStateBatch(states, count, 1);
    const A = this.numActions;
    const index = new Int32Array(count);
    for (let i = 0; i < count; i++) index[i] = discreteIndex(this.observationSpace, stateAt(states, i, 1), `states[${i}]`);
    const out = new Float32Array(count * A);
    for (let i = 0; i < count; i++) for (let a = 0; a < A; a++) out[i * A + a] = this.table[index[i] * A + a];
    return out;
  }

  /** "q": the table as float32 [n x numActions]; "q_f64": its float64 bits (two float32 words per entry) for an exact import. */
  exportSnapshot(): AgentSnapshot {
    return {
      kind: 'tabular',
      version: 1,
      config: { ...this.config },
      observationSpace: this.observationSpace,
      numActions: this.numActions,
      state: this.commonState(),
      arrays: {
        q: Float32Array.from(this.table),
        q_f64: new Float32Array(this.table.buffer.slice(this.table.byteOffset, this.table.byteOffset + this.table.byteLength)),
      },
    };
  }

  /** Restores exportSnapshot's state into this (freshly constructed, same config) agent. */
  restore(snapshot: AgentSnapshot): void {
    const n = this.table.length;
    const exact = snapshot.arrays.q_f64;
    const rounded = snapshot.arrays.q;
    if (exact !== undefined && exact.length === 2 * n) {
      this.table.set(new Float64Array(exact.buffer.slice(exact.byteOffset, exact.byteOffset + exact.byteLength)));
    } else if (rounded !== undefined && rounded.length === n) {
      this.table.set(rounded);
    } else {
      throw invalidArgument('data', `a tabular export needs array "q" of ${n} values (states x actions)`, 'BAD_AGENT_EXPORT');
    }
    this.restoreCommon(snapshot.state);
  }

  dispose(): void {
    // Nothing to free: the table is garbage collected with the agent.
  }
}
