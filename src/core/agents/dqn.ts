/**
 * Deep Q-learning as the seed describes it (REFERENCE s.1): the tabular loop with only
 * update_Q changed -
 *
 * 1. a network Q(s, .; Theta): input = the encoded state, one linear output per action;
 * 2. a finite replay queue Omega of (s, a, r, s', done), oldest dropped when full;
 * 3. gradient steps on the regression cost sum (Q(s_t, a_t; Theta) - q_t)^2 over (a subset
 *    of) Omega, q_t = r_t if done else r_t + gamma * max_k Q(s_{t+1}, k) held fixed;
 *
 * and the seed's enhancements and the usual variants, each a config option
 * (agent-config.ts): when the steps run ("online" every step, "every_k", "fitted" Q at
 * episode ends), what max_k Q(s', k) is computed with (the online network, the seed's
 * per-episode Theta^-, a copy synced every C steps, a Polyak average; optionally Theta^-
 * also for the greedy action; double DQN), squared or Huber cost, masked cost or the
 * seed's phantom outputs, gradient-norm clipping and epsilon schedules.
 *
 * Phantom outputs: for a tuple with action a the regression targets of the other outputs
 * are the network's own current outputs, so they contribute exactly zero error; the
 * gradient equals the masked cost's. In "phantom" mode the agent builds those full targets
 * and the network regresses every output against them (trainStep's fullTargets); "masked"
 * regresses the taken action only. Both give the same gradient (test/unit/nets.test.ts).
 */

import { invalidArgument } from '../errors.js';
import type { OptionValues } from '../options.js';
import type { Space } from '../spaces.js';
import { QAgentBase, type EpisodeEndWork } from './agent-base.js';
import { dqnConfigOf, MAX_REPLAY_BYTES, type DqnConfig } from './agent-config.js';
import {
  checkAction,
  checkDone,
  checkQOut,
  checkReward,
  checkStateBatch,
  stateAt,
  type GridDims,
  type StateEncoder,
} from './encoders.js';
import type { LossKind, QNetwork, TrainOptions } from './nets/types.js';
import { bytesPerTransition, ReplayBatch, ReplayBuffer } from './replay-buffer.js';
import { argmax, maxOf, nonNegInt } from './schedules.js';
import type { Agent, AgentSnapshot, Transition, UpdateResult } from './types.js';

/** Optional engine extension: the optimiser's moments, for exact snapshots. */
interface OptimizerStateful {
  getOptimizerState?(): Float32Array[];
  setOptimizerState?(state: Float32Array[]): void;
}

/** Everything a DqnAgent is made of; createAgent builds it. */
export interface DqnParts {
  readonly observationSpace: Space;
  readonly numActions: number;
  /** Resolved config with a concrete seed. */
  readonly config: OptionValues;
  readonly encoder: StateEncoder;
  readonly grid: GridDims;
  readonly online: QNetwork;
  /** Required unless config.target is "none". */
  readonly target: QNetwork | null;
}

export class DqnAgent extends QAgentBase implements Agent {
  readonly kind = 'dqn' as const;
  readonly observationSpace: Space;
  /** Typed hyperparameters. */
  readonly settings: DqnConfig;
  readonly encoder: StateEncoder;
  readonly grid: GridDims;
  /** Theta: the network every gradient step updates. */
  readonly onlineNetwork: QNetwork;
  /** Theta^- (null when config.target is "none"). */
  readonly targetNetwork: QNetwork | null;
  readonly replay: ReplayBuffer;

  private readonly trainOptions: TrainOptions;
  private readonly gamma: number;
  private gradientStepCount = 0;

  // Preallocated work arrays.
  private readonly batch: ReplayBatch;
  private readonly targets: Float32Array;
  private readonly values: Float32Array;
  private readonly qNext: Float32Array;
  private readonly qNextOnline: Float32Array;
  private readonly full: Float32Array;
  private readonly one: Float32Array;
  private readonly oneNext: Float32Array;
  private readonly qOne: Float32Array;
  private perm = new Int32Array(0);

  constructor(p: DqnParts) {
    const settings = dqnConfigOf(p.config);
    super(p.numActions, p.config, settings.epsilon, settings.seed);
    this.observationSpace = p.observationSpace;
    this.settings = settings;
    this.encoder = p.encoder;
    this.grid = p.grid;
    this.onlineNetwork = p.online;
    const s = this.settings;
    if (s.target !== 'none' && !p.target) throw new Error(`DqnAgent: config.target "${s.target}" needs a target network`);
    this.targetNetwork = s.target === 'none' ? null : p.target;
    this.targetNetwork?.updateFrom(this.onlineNetwork, 1);
    this.gamma = s.gamma;
    this.trainOptions = { loss: s.loss as LossKind, clipNorm: s.maxGradNorm };
    const n = p.encoder.inputSize;
    this.replay = new ReplayBuffer({
      inputSize: n,
      unit: s.replayUnit,
      capacity: s.replayCapacity,
      maxSteps: Math.floor(MAX_REPLAY_BYTES / bytesPerTransition(n)),
    });
    const B = s.batchSize;
    const A = p.numActions;
    this.batch = new ReplayBatch(B, n);
    this.targets = new Float32Array(B);
    this.values = new Float32Array(B);
    this.qNext = new Float32Array(B * A);
    this.qNextOnline = new Float32Array(B * A);
    this.full = new Float32Array(B * A);
    this.one = new Float32Array(n);
    this.oneNext = new Float32Array(n);
    this.qOne = new Float32Array(A);
  }

  /** Gradient steps taken so far. */
  get gradientSteps(): number {
    return this.gradientStepCount;
  }

  /** Completed episodes (endEpisode calls). */
  get episodeCount(): number {
    return this.episodes;
  }

  /** The network greedy actions come from: Theta^- with target_for_action, else Theta. */
  get actionNetwork(): QNetwork {
    return this.settings.targetForAction && this.targetNetwork ? this.targetNetwork : this.onlineNetwork;
  }

  chooseAction(state: ArrayLike<number>, explore: boolean, qOut: Float32Array): number {
    this.encoder.check(state, 'state');
    const A = this.numActions;
    checkQOut(qOut, A);
    this.encoder.encode(state, this.one, 0);
    this.actionNetwork.predict(this.one, 1, this.qOne);
    for (let a = 0; a < A; a++) qOut[a] = this.qOne[a];
    return this.pick(explore, this.qOne, 0);
  }

  updateQ(t: Transition): UpdateResult {
    // Check everything before changing anything.
    this.encoder.check(t.state, 'state');
    checkAction(t.action, this.numActions);
    checkReward(t.reward);
    this.encoder.check(t.nextState, 'next_state');
    checkDone(t.done);
    this.touch();

    const s = this.settings;
    this.encoder.encode(t.state, this.one, 0);
    this.encoder.encode(t.nextState, this.oneNext, 0);
    // TD error of this transition with the networks as they are.
    this.onlineNetwork.predict(this.one, 1, this.qOne);
    let q = t.reward;
    if (!t.done) {
      this.nextValues(this.oneNext, 1);
      q += this.gamma * this.values[0];
    }
    const tdError = Math.fround(q) - this.qOne[t.action];

    this.replay.push(this.one, 0, t.action, t.reward, this.oneNext, 0, t.done);
    this.countStep();

    let lossSum = 0;
    let count = 0;
    if (s.update !== 'fitted' && this.steps >= s.learningStarts && (s.update === 'online' || this.steps % s.trainEvery === 0)) {
      const B = s.batchSize;
      for (let g = 0; g < s.gradientSteps; g++) {
        this.replay.sample(this.rng, B, this.batch);
        lossSum += this.gradientStep(B);
        count++;
      }
      this.tracker.addLosses(lossSum, count);
    }
    if (s.target === 'steps' && this.steps % s.targetUpdateSteps === 0) this.targetNetwork?.updateFrom(this.onlineNetwork, 1);
    return { loss: count > 0 ? lossSum / count : Number.NaN, tdError, gradientSteps: count };
  }

  /** Closes the replay queue's episode; fitted Q every fit_every_episodes; the per-episode target sync. */
  protected episodeEnd(): EpisodeEndWork {
    const s = this.settings;
    this.replay.endEpisode();
    let fitted = { lossSum: 0, count: 0 };
    if (s.update === 'fitted' && this.episodes % s.fitEveryEpisodes === 0 && this.steps >= s.learningStarts && this.replay.size > 0) fitted = this.fit();
    let targetSynced = false;
    if (s.target === 'episode' && this.targetNetwork) {
      this.targetNetwork.updateFrom(this.onlineNetwork, 1);
      targetSynced = true;
    }
    return { lossSum: fitted.lossSum, count: fitted.count, targetSynced };
  }

  qValues(states: Float32Array, count: number): Float32Array {
    const enc = this.encoder;
    checkStateBatch(states, count, enc.obsSize);
    for (let i = 0; i < count; i++) enc.check(stateAt(states, i, enc.obsSize), `states[${i}]`);
    const inputs = new Float32Array(count * enc.inputSize);
    for (let i = 0; i < count; i++) enc.encode(stateAt(states, i, enc.obsSize), inputs, i * enc.inputSize);
    const out = new Float32Array(count * this.numActions);
    this.onlineNetwork.predict(inputs, count, out);
    return out;
  }

  /**
   * The seed's phantom-output targets for a batch: row i is the online network's current
   * Q(states_i, .) with entry actions[i] replaced by targets[i]. [batch * numActions].
   */
  phantomTargets(inputs: Float32Array, actions: Int32Array, targets: Float32Array, batch: number): Float32Array {
    const A = this.numActions;
    const out = new Float32Array(batch * A);
    this.onlineNetwork.predict(inputs, batch, out);
    for (let i = 0; i < batch; i++) out[i * A + actions[i]] = targets[i];
    return out;
  }

  /**
   * Arrays: "online/i" and "target/i" (getWeights order), "replay/states",
   * "replay/next_states", "replay/actions", "replay/rewards", "replay/dones" (oldest
   * first), and "optimizer/i" when the engine exposes its moments.
   */
  exportSnapshot(): AgentSnapshot {
    const arrays: Record<string, Float32Array> = {};
    this.onlineNetwork.getWeights().forEach((w, i) => (arrays[`online/${i}`] = w));
    this.targetNetwork?.getWeights().forEach((w, i) => (arrays[`target/${i}`] = w));
    const r = this.replay.exportArrays();
    arrays['replay/states'] = r.states;
    arrays['replay/next_states'] = r.nextStates;
    arrays['replay/actions'] = r.actions;
    arrays['replay/rewards'] = r.rewards;
    arrays['replay/dones'] = r.dones;
    const opt = (this.onlineNetwork as QNetwork & OptimizerStateful).getOptimizerState?.();
    opt?.forEach((a, i) => (arrays[`optimizer/${i}`] = a));
    return {
      kind: 'dqn',
      version: 1,
      config: { ...this.config },
      observationSpace: this.observationSpace,
      numActions: this.numActions,
      state: {
        ...this.commonState(),
        gradientSteps: this.gradientStepCount,
        replay: this.replay.exportMeta(),
        encoding: this.encoder.encoding,
        grid: { ...this.grid },
        engine: this.onlineNetwork.engine,
        optimizerArrays: opt?.length ?? 0,
      },
      arrays,
    };
  }

  /** Restores exportSnapshot's state into this (freshly built, same config) agent; INVALID_ARGUMENT 'data' if it does not fit. */
  restore(snapshot: AgentSnapshot): void {
    const bad = (why: string) => invalidArgument('data', `the DQN export does not fit its config: ${why}`, 'BAD_AGENT_EXPORT');
    const weightsOf = (prefix: string, net: QNetwork) => {
      const expected = net.getWeights();
      const out = expected.map((w, i) => {
        const a = snapshot.arrays[`${prefix}/${i}`];
        if (!a || a.length !== w.length) throw bad(`array "${prefix}/${i}" must hold ${w.length} values`);
        return a;
      });
      if (snapshot.arrays[`${prefix}/${expected.length}`]) throw bad(`too many "${prefix}/" arrays`);
      return out;
    };
    const online = weightsOf('online', this.onlineNetwork);
    const target = this.targetNetwork ? weightsOf('target', this.targetNetwork) : null;
    const st = snapshot.state;
    const a = snapshot.arrays;
    const replayError = this.replay.importFrom(
      { states: a['replay/states'], nextStates: a['replay/next_states'], actions: a['replay/actions'], rewards: a['replay/rewards'], dones: a['replay/dones'] },
      (st.replay ?? { size: 0 }) as Record<string, unknown>,
    );
    if (replayError) throw bad(replayError);
    this.onlineNetwork.setWeights(online);
    if (target && this.targetNetwork) this.targetNetwork.setWeights(target);
    const optCount = nonNegInt(st.optimizerArrays);
    const setOpt = (this.onlineNetwork as QNetwork & OptimizerStateful).setOptimizerState;
    if (optCount > 0 && setOpt) {
      const opt: Float32Array[] = [];
      for (let i = 0; i < optCount; i++) {
        const arr = a[`optimizer/${i}`];
        if (!arr) throw bad(`array "optimizer/${i}" is missing`);
        opt.push(arr);
      }
      setOpt.call(this.onlineNetwork, opt);
    }
    this.restoreCommon(st);
    this.gradientStepCount = nonNegInt(st.gradientSteps);
  }

  dispose(): void {
    this.onlineNetwork.dispose();
    this.targetNetwork?.dispose();
  }

  // ---------------------------------------------------------------------------------

  /** values[i] = max_k Q(next_i, k) with the bootstrap network (double DQN: argmax by Theta, value by Theta^-). */
  private nextValues(next: Float32Array, count: number): void {
    const A = this.numActions;
    const boot = this.targetNetwork ?? this.onlineNetwork;
    boot.predict(next, count, this.qNext);
    if (this.settings.doubleDqn) {
      this.onlineNetwork.predict(next, count, this.qNextOnline);
      for (let i = 0; i < count; i++) this.values[i] = this.qNext[i * A + argmax(this.qNextOnline, i * A, A)];
    } else {
      for (let i = 0; i < count; i++) this.values[i] = maxOf(this.qNext, i * A, A);
    }
  }

  /** One gradient step on batch[0, count); returns its loss (before the step). */
  private gradientStep(count: number): number {
    const b = this.batch;
    const A = this.numActions;
    this.nextValues(b.nextStates, count);
    for (let i = 0; i < count; i++) this.targets[i] = b.dones[i] ? b.rewards[i] : b.rewards[i] + this.gamma * this.values[i];
    let loss: number;
    if (this.settings.outputMode === 'phantom') {
      this.onlineNetwork.predict(b.states, count, this.full);
      for (let i = 0; i < count; i++) this.full[i * A + b.actions[i]] = this.targets[i];
      loss = this.onlineNetwork.trainStep(b.states, b.actions, this.targets, count, this.trainOptions, this.full);
    } else {
      loss = this.onlineNetwork.trainStep(b.states, b.actions, this.targets, count, this.trainOptions);
    }
    this.gradientStepCount++;
    if (this.settings.target === 'soft') this.targetNetwork?.updateFrom(this.onlineNetwork, this.settings.tau);
    return loss;
  }

  /** Fitted Q: fitted_epochs passes over the whole queue in shuffled minibatches. */
  private fit(): { lossSum: number; count: number } {
    const size = this.replay.size;
    const B = this.settings.batchSize;
    if (this.perm.length < size) this.perm = new Int32Array(Math.max(size, this.perm.length * 2));
    const perm = this.perm;
    let lossSum = 0;
    let count = 0;
    for (let epoch = 0; epoch < this.settings.fittedEpochs; epoch++) {
      for (let i = 0; i < size; i++) perm[i] = i;
      if (size > B) {
        for (let i = size - 1; i > 0; i--) {
          const j = this.rng.nextInt(i + 1);
          const tmp = perm[i];
          perm[i] = perm[j];
          perm[j] = tmp;
        }
      }
      for (let off = 0; off < size; off += B) {
        const c = Math.min(B, size - off);
        this.replay.gather(perm, off, c, this.batch);
        lossSum += this.gradientStep(c);
        count++;
      }
    }
    return { lossSum, count };
  }
}
