import type { OptionValues } from '../options.js';
import { frozenLakeRewards, frozenLakeTransition, newFrozenLakeFacts, FROZEN_LAKE_CELLS, type FrozenLakeFacts } from '../rewards/frozen-lake.js';
import type { RewardChoice } from '../rewards/types.js';
import type { DiscreteSpace } from '../spaces.js';
import {
  describeFrozenLake,
  FROZEN_LAKE_8X8_ID,
  FROZEN_LAKE_ID,
  FrozenLakeBatch,
  frozenLakeActionSpace,
  frozenLakeConfigOptions,
  frozenLakeObservationSpace,
  frozenLakeResetOptions,
  frozenLakeRewardThreshold,
  resolveFrozenLakeConfig,
  type FrozenLakeId,
} from './gymnasium/frozen-lake.js';
import { GymEnvBatch } from './gymnasium/gym-env-batch.js';
import { COLORS, drawGrid, type Rgb } from './gymnasium/raster.js';
import type { EnvRewards } from './reward-layer.js';
import type { EnvType, RenderModeName, RgbFrame } from './types.js';

/** Index into FROZEN_LAKE_CELLS of each map letter. */
const CELL_OF: Readonly<Record<string, number>> = { S: 0, F: 1, H: 2, G: 3 };
/** Map letters as the dashboard's 'grid' scene draws them. */
const SCENE_CHAR: Readonly<Record<string, string>> = { S: 'S', F: '.', H: 'H', G: 'G' };
const CELL_RGB: readonly Rgb[] = [COLORS.start, COLORS.frozen, COLORS.hole, COLORS.goal];
/** Largest rgb_array frame side, pixels (Gymnasium's window is min(64 * cells, 512)). */
const MAX_FRAME = 512;

function rewardSpec(id: FrozenLakeId): EnvRewards<number, FrozenLakeFacts> {
  return { envId: id, schema: frozenLakeTransition, builtins: frozenLakeRewards, defaultName: 'gymnasium' };
}

/**
 * `numEnvs` copies of FrozenLake-v1 or FrozenLake8x8-v1 (the port in
 * gymnasium/frozen-lake.ts, Gymnasium's dynamics and draws) paying the chosen reward
 * function. Observations are state indices row * ncol + col.
 */
export class FrozenLakeEnvBatch extends GymEnvBatch<FrozenLakeBatch, number, FrozenLakeFacts> {
  readonly observationSpace: DiscreteSpace;
  readonly actionSpace: DiscreteSpace = frozenLakeActionSpace();
  protected readonly envId: string;
  private readonly ncol: number;
  private readonly nrow: number;
  /** [states] index into FROZEN_LAKE_CELLS. */
  private readonly kinds: Uint8Array;
  /** [states] Manhattan distance to the nearest goal, cells. */
  private readonly goalDistance: Int32Array;

  constructor(numEnvs: number, config: Record<string, unknown>, reward: RewardChoice, seed: number | undefined, id: FrozenLakeId = FROZEN_LAKE_ID) {
    const dyn = new FrozenLakeBatch(numEnvs, config, seed, id);
    const desc = dyn.config.desc;
    super(dyn, rewardSpec(id), newFrozenLakeFacts(desc[0].length, desc.length), 0, 0);
    this.envId = id;
    this.nrow = desc.length;
    this.ncol = desc[0].length;
    this.observationSpace = frozenLakeObservationSpace(dyn.config);
    const n = this.nrow * this.ncol;
    this.kinds = new Uint8Array(n);
    this.goalDistance = new Int32Array(n);
    const goals: number[] = [];
    for (let s = 0; s < n; s++) {
      const letter = desc[Math.floor(s / this.ncol)][s % this.ncol];
      this.kinds[s] = CELL_OF[letter];
      if (letter === 'G') goals.push(s);
    }
    for (let s = 0; s < n; s++) {
      let best = goals.length === 0 ? 0 : Infinity;
      for (const g of goals) best = Math.min(best, Math.abs(Math.floor(s / this.ncol) - Math.floor(g / this.ncol)) + Math.abs((s % this.ncol) - (g % this.ncol)));
      this.goalDistance[s] = best;
    }
    this.setReward(reward.name, reward.params, reward.impl);
  }

  protected readState(i: number): number {
    return this.dynamics.observations[i];
  }

  protected fillFacts(i: number, _action: number, s: number, sNext: number): void {
    const f = this.facts;
    const ncol = this.ncol;
    f.cell = FROZEN_LAKE_CELLS[this.kinds[sNext]];
    f.afterTermination = this.kinds[s] >= 2;
    f.prob = this.dynamics.lastProb[i];
    f.row = Math.floor(s / ncol);
    f.col = s % ncol;
    f.nextRow = Math.floor(sNext / ncol);
    f.nextCol = sNext % ncol;
    f.goalDistance = this.goalDistance[s];
    f.nextGoalDistance = this.goalDistance[sNext];
  }

  /** Gymnasium's info: {prob} of the last transition (1 after reset). */
  info(i: number): Record<string, unknown> {
    return { prob: this.dynamics.lastProb[i] };
  }

  /** 'ansi': Gymnasium's text (last action, map with the agent's cell highlighted); 'rgb_array': the map, up to 64 px a cell, the agent a dark disc. */
  protected draw(i: number, mode: RenderModeName): RgbFrame | string {
    if (mode === 'ansi') return this.dynamics.renderAnsi(i);
    const s = this.dynamics.observations[i];
    const px = Math.max(4, Math.min(64, Math.floor(MAX_FRAME / Math.max(this.nrow, this.ncol))));
    return drawGrid(this.nrow, this.ncol, px, (r, c) => CELL_RGB[this.kinds[r * this.ncol + c]], Math.floor(s / this.ncol), s % this.ncol).frame();
  }

  /** The dashboard's 'grid' scene: rows of '.', 'H', 'S', 'G'. */
  scene(): Record<string, unknown> {
    const rows = this.dynamics.config.desc.map((line) => [...line].map((ch) => SCENE_CHAR[ch]).join(''));
    return { kind: 'grid', state_names: ['row', 'col'], action_names: ['left', 'down', 'right', 'up'], width: this.ncol, height: this.nrow, rows };
  }

  drawState(i: number, out: number[]): void {
    const s = this.dynamics.observations[i];
    out.push(Math.floor(s / this.ncol), s % this.ncol);
  }
}

function makeFrozenLakeType(id: FrozenLakeId): EnvType {
  const eight = id === FROZEN_LAKE_8X8_ID;
  return {
    id,
    description:
      `Gymnasium's ${id}: cross a frozen lake (${eight ? '8x8' : '4x4'} map by default) from S to G without falling in a hole; ` +
      'on slippery ice (default) a move goes the intended way with probability 1/3, else to either side. Actions 0 left, 1 down, 2 right, 3 up; ' +
      `observation row * ncol + col; reward 1 at the goal; truncated at ${eight ? 200 : 100} steps.`,
    configOptions: frozenLakeConfigOptions(id),
    resetOptions: frozenLakeResetOptions,
    rewardFunctions: frozenLakeRewards.map((r) => ({ name: r.name, description: r.description, params: r.params })),
    defaultRewardFunction: 'gymnasium',
    rewardThreshold: frozenLakeRewardThreshold(id),
    renderModes: ['ansi', 'rgb_array'],
    renderFps: 4,
    timeLimit: eight ? 200 : 100,
    transition: frozenLakeTransition,
    stateGrid(config) {
      // A random map without map_seed is drawn anew: only its size matters here.
      const cfg = resolveFrozenLakeConfig(config, id);
      return { width: cfg.desc[0].length, height: cfg.desc.length };
    },
    describe: (config: OptionValues) => describeFrozenLake(config, id),
    create: (numEnvs, config, reward, seed) => new FrozenLakeEnvBatch(numEnvs, config, reward, seed, id),
  };
}

/** The FrozenLake-v1 env type (4x4 map, 100 steps). */
export const frozenLakeType: EnvType = makeFrozenLakeType(FROZEN_LAKE_ID);
/** The FrozenLake8x8-v1 env type (8x8 map, 200 steps). */
export const frozenLake8x8Type: EnvType = makeFrozenLakeType(FROZEN_LAKE_8X8_ID);
