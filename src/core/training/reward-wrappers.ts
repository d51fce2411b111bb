/**
 * Reward shaping as an env wrapper, for recipes whose reward is not one of an env type's
 * reward functions: e.g. the course's cartpole DQN pays -100 when the pole falls
 * (REFERENCE s.5). The wrapper shares the inner env's observation and flag arrays and owns
 * only its rewards.
 */

import type { EnvBatch, EnvBatchState, RenderModeName, RgbFrame } from '../envs/types.js';
import type { OptionValues } from '../options.js';

/** `env` with the reward of every terminating step (terminated = 1) replaced by `reward`. */
export function withTerminalReward(env: EnvBatch, reward: number): EnvBatch {
  return new TerminalRewardEnv(env, reward);
}

class TerminalRewardEnv implements EnvBatch {
  readonly rewards: Float64Array;

  constructor(
    private readonly inner: EnvBatch,
    private readonly terminalReward: number,
  ) {
    this.rewards = new Float64Array(inner.numEnvs);
  }

  get numEnvs() {
    return this.inner.numEnvs;
  }
  get observationSpace() {
    return this.inner.observationSpace;
  }
  get actionSpace() {
    return this.inner.actionSpace;
  }
  get obsSize() {
    return this.inner.obsSize;
  }
  get observations() {
    return this.inner.observations;
  }
  get terminated() {
    return this.inner.terminated;
  }
  get truncated() {
    return this.inner.truncated;
  }
  get maxEpisodeSteps() {
    return this.inner.maxEpisodeSteps;
  }

  reset(i: number, seed: number | undefined, options: OptionValues): void {
    this.inner.reset(i, seed, options);
    this.rewards[i] = this.inner.rewards[i];
  }

  step(i: number, action: number): void {
    this.inner.step(i, action);
    this.rewards[i] = this.inner.terminated[i] === 1 ? this.terminalReward : this.inner.rewards[i];
  }

  stepAll(actions: ArrayLike<number>): void {
    this.inner.stepAll(actions);
    for (let i = 0; i < this.inner.numEnvs; i++) this.rewards[i] = this.inner.terminated[i] === 1 ? this.terminalReward : this.inner.rewards[i];
  }

  episodeSteps(i: number): number {
    return this.inner.episodeSteps(i);
  }

  info(i: number): Record<string, unknown> {
    return this.inner.info(i);
  }

  render(i: number, mode: RenderModeName): RgbFrame | string {
    return this.inner.render(i, mode);
  }

  scene(): Record<string, unknown> {
    return this.inner.scene();
  }

  drawState(i: number, out: number[]): void {
    this.inner.drawState(i, out);
  }

  setReward(name: string, params: OptionValues): void {
    this.inner.setReward(name, params);
  }

  /** The inner env's state with this wrapper's rewards. */
  exportState(): EnvBatchState {
    return { ...this.inner.exportState(), terminalRewards: this.rewards.slice() };
  }

  importState(state: EnvBatchState): void {
    const { terminalRewards, ...inner } = state;
    this.inner.importState(inner);
    if (terminalRewards instanceof Float64Array && terminalRewards.length === this.rewards.length) this.rewards.set(terminalRewards);
  }
}
